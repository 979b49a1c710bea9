/*
 * analyst — a person's decisions on drafts: confirm (the report is made),
 * reject with a reason, merge, note, promote alerts into a draft, assign.
 * One implementation for `socctl confirm|reject|merge|note|promote`
 * (ctl/socctl_decide.c) and for the same decisions made in the center's
 * console, which reach the agent as signed decisions (agent/inbox.c).
 *
 * A draft is only a suggestion (§6.2 punishes false reports); these are
 * where a person decides. Each call works inside the caller's write
 * transaction: it rewrites the draft row and its JSON body, queues the
 * body for <prefix>.incidents (so the center sees what was decided) and,
 * for confirm, stores the report and queues it; the caller appends the
 * audit entry with the details filled here and commits, so all of it
 * lands or none does. A level 3-4 report's evidence bundle is then built
 * by the workflow thread (agent/workflow.c), whoever confirmed it.
 *
 * Only open drafts can be confirmed, rejected, merged or assigned: a
 * decision is made once. A level different from the suggested one needs a
 * reason ("level_override" in the body). Merging keeps the first id: the
 * others become "merged" with "merged_into", their counts and spans folded
 * into the survivor. Notes may be added to a draft in any state.
 *
 * Ownership: everything in soc_analyst is borrowed except details, which
 * the caller owns (a JSON object the calls fill).
 */
#ifndef SOC_AGENT_ANALYST_H
#define SOC_AGENT_ANALYST_H

#include <json.h> /* libfastjson */
#include <stddef.h>
#include <stdint.h>

#include "soc/assets.h"
#include "soc/audit.h"
#include "soc/config.h"
#include "soc/deadline.h"
#include "soc/store.h"

#define SOC_ANALYST_WHY_MAX 512
#define SOC_ANALYST_NOTE_MAX (SOC_AUDIT_DETAILS_MAX / 2) /* bytes of a note */
#define SOC_ANALYST_IDS_MAX 64                           /* drafts merged, alerts promoted */

typedef struct soc_analyst {
  const soc_config *cfg;
  soc_store *store;              /* a write transaction open */
  const soc_regime *regime;      /* confirm: the report's clocks */
  const soc_assets *assets;      /* promote: the inventory; NULL: none */
  const char *by;                /* who decides; required */
  fjson_object *record;          /* NULL, or the center's decision: added, with "applied"
                                  * and "refused", to the draft's "center_decisions" */
  fjson_object *details;         /* the audit entry's details, filled here */
  char why[SOC_ANALYST_WHY_MAX]; /* what refused it, or the store's error */
} soc_analyst;

typedef struct soc_analyst_result {
  int64_t draft; /* the draft decided: merge's survivor, promote's new draft (refused with
                  * -EEXIST: the open draft holding the alert) */
  int level_from, level;
  int64_t count_from, count;
  char category_from[64], category[64]; /* confirm: equal when unchanged */
  char status[SOC_DRAFT_STATUS_MAX];    /* the draft's, after the decision */
} soc_analyst_result;

/* Each returns 0 done; a refusal, a->why saying it: -ENOENT (no such draft
 * or alert), -EALREADY (not open any more), -EINVAL (a level change
 * without a reason, an unknown category, a note too long, an id twice),
 * -EEXIST (an alert already in an open draft); or a store error (-EIO,
 * -ENOMEM: the caller rolls back). OUT: *res. */
int soc_analyst_confirm(soc_analyst *a, int64_t id, int level, const char *reason,
                        const char *category, soc_analyst_result *res);
int soc_analyst_reject(soc_analyst *a, int64_t id, const char *reason, soc_analyst_result *res);
/* ids[0] survives. */
int soc_analyst_merge(soc_analyst *a, const int64_t *ids, size_t n, soc_analyst_result *res);
int soc_analyst_note(soc_analyst *a, int64_t id, const char *text, soc_analyst_result *res);
/* A new open draft of the alerts; level 0: the suggested one. */
int soc_analyst_promote(soc_analyst *a, const int64_t *alerts, size_t n, int level,
                        soc_analyst_result *res);
/* The analyst who works on the draft from now on. */
int soc_analyst_assign(soc_analyst *a, int64_t id, const char *to, soc_analyst_result *res);

/* A refusal of a->record is the center's word too: kept in draft id's
 * "center_decisions" and sent on, so the console can say so. Returns 0 (also
 * when there is no such draft) or a store error. */
int soc_analyst_refused(soc_analyst *a, int64_t id, const char *why);

#endif
