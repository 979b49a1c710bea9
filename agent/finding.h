/*
 * finding — a detection that is not a log line (a YARA match on a file or,
 * later, on a reassembled stream; a page changed against the baseline)
 * turned into a draft incident through the same tables as the log rules:
 * the draft (agent/draft.c's body plus the finding's own detail), its
 * evidence, the matched object, an ECS alert for <prefix>.alerts and, for a new draft, a copy
 * for <prefix>.incidents — all in the caller's transaction, so a crash
 * keeps the draft, its dedupe mark and the caller's own state together or
 * not at all.
 *
 * A finding is drafted once per (rule, object, sha256): found again (a
 * rescan after a restart) it changes nothing; the same object with new
 * content counts again on the open draft of (rule, object, asset).
 *
 * Ownership: everything in soc_finding is borrowed for the call.
 */
#ifndef SOC_AGENT_FINDING_H
#define SOC_AGENT_FINDING_H

#include <json.h> /* libfastjson */
#include <stdint.h>

#include "soc/assets.h"
#include "soc/config.h"
#include "soc/level.h"
#include "soc/rules.h"
#include "soc/store.h"

typedef struct soc_finding {
  const char *rule_id;      /* the draft's rule: at most SOC_DRAFT_RULE_MAX - 1 bytes kept */
  const char *seen_rule;    /* the dedupe key's rule (e.g. "namespace:rule"); NULL: rule_id */
  const char *title, *description;
  const char *const *references;
  size_t nreferences;
  soc_incident_category category;
  const char *subtype;      /* the form's sub-type, e.g. "defacement", "web trojan" */
  soc_impact_kind impact;
  soc_severity severity;    /* of a tampering */
  const char *asset_key;    /* host name or address looked up in the inventory */
  const char *host;         /* host.name */
  const char *source;       /* the input's id */
  const char *object;       /* file path or flow id: the draft's key */
  const char *sha256;       /* hex, of the object's content */
  int64_t ts_ns;            /* when it was seen */
  fjson_object *ecs;        /* ECS fields of the alert (file.*, ...): copied into it */
  fjson_object *detail;     /* added to the draft's body as "finding" */
  const char *evidence;     /* one line of text for the evidence list */
  /* The object that matched, kept with the draft for the evidence bundle
   * when object_len == object_size <= evidence.object_max_bytes; otherwise
   * only its name, size and hash are. object_size 0 and no bytes: none. */
  const void *object_bytes;
  size_t object_len;
  int64_t object_size;
} soc_finding;

typedef struct soc_finding_sink {
  const soc_config *cfg;
  soc_store *store;
  const soc_assets *assets;
} soc_finding_sink;

/* In the caller's transaction. Returns 1 when drafted (a new draft or a
 * count on the open one), 0 when this finding was drafted before, or a
 * negative errno (the store's message in soc_store_errmsg). */
int soc_finding_draft(const soc_finding_sink *k, const soc_finding *f);

#endif
