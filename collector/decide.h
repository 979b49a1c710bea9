/*
 * decide — one decision of the center's (review, level, support) on a
 * report: checked against the center's view of the report with the same
 * lifecycle rule the agent will apply, numbered, and recorded in center.db's
 * outbox (the decision table) with its message for <prefix>.center.<agency>
 * in one transaction. The outbox (outbox.c) signs and produces it: the
 * command that made it, or any running collector at its next sweep.
 * Used by the command line (center_cli.c) and the console (console.c).
 *
 * Ownership: everything is borrowed; s has no transaction open.
 */
#ifndef SOC_COLLECTOR_DECIDE_H
#define SOC_COLLECTOR_DECIDE_H

#include <stdint.h>

#include "center.h"
#include "soc/config.h"
#include "soc/store_center.h"

#define SOC_CENTER_DECIDE_WHY_MAX 640

typedef struct soc_center_decide_opts {
  int64_t at_ns;
  const char *by, *reason, *result; /* by: required; the others may be NULL */
  int level;                        /* kind "level": 1-4 */
  const char *via, *status;         /* file: platform|phone; recover: controlled|recovered */
  struct fjson_object *fields;      /* set: path -> text (borrowed) */
} soc_center_decide_opts;

/* kind: "review", "level" or "support" (the center's); "file", "set",
 * "recover", "close" or "investigation" (the agency's own steps, made in
 * the console; soc_decision_change says what each needs). Returns 0 recorded (OUT: *n, its
 * number; why: "<id>: <kind> <report> recorded for <topic>"), 2 refused by
 * the report's lifecycle, 1 an unknown report or a store error; why says
 * which. */
int soc_center_decide(const soc_collector_config *cfg, soc_center *c, soc_centerdb *s,
                      const char *id, const char *kind, const soc_center_decide_opts *o, int64_t *n,
                      char *why, size_t why_len);

/* An analyst's decision on an agent's drafts or alerts, made in the
 * console: confirm, reject, merge, note, assign (ids: drafts; merge keeps
 * ids[0]) or promote (ids: alerts). Checked against the latest copy the
 * agent forwarded (the draft exists, is the agency's, is still open), then
 * recorded as soc_center_decide does, for the agent's inbox to apply with
 * agent/analyst.c, as `socctl confirm` ... does. */
typedef struct soc_center_draft_opts {
  const char *agent;       /* whose drafts or alerts */
  const int64_t *ids;      /* drafts, or alerts for promote */
  size_t n;                /* 1 to SOC_CENTER_DRAFT_IDS_MAX */
  const char *category;    /* confirm: NULL keeps the draft's */
  const char *text, *to;   /* note's text; assign's analyst */
  const char *agency_only; /* NULL: any agency; else only this agency's drafts exist */
} soc_center_draft_opts;
#define SOC_CENTER_DRAFT_IDS_MAX 64

/* Returns 0 recorded (OUT: *n; why as soc_center_decide's), 2 refused, 3
 * no such draft or alert (or another agency's), 1 a store error. The
 * drafts the agents sent are read from db, the decision is recorded there. */
int soc_center_decide_draft(const soc_collector_config *cfg, soc_centerdb *db, const char *kind,
                            const soc_center_decide_opts *o, const soc_center_draft_opts *d,
                            int64_t *n, char *why, size_t why_len);

#endif
