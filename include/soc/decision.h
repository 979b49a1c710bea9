/*
 * decision — the technical center's decisions on an agency's reports
 * (docs/REPORTS.md, "Center decisions"): the message an agent reads from
 * <prefix>.center.<agency>, parsed and applied to a report document.
 *
 * The message is untrusted (anyone who can write to the topic wrote it):
 * parsing checks the schema, the required fields and their types, and
 * bounds the size; applying goes through the report's own lifecycle calls,
 * which refuse what the report's state does not allow.
 *
 * No store, no Kafka: agent/inbox.c does the once-only ledger, the audit
 * entry and the offsets.
 */
#ifndef SOC_DECISION_H
#define SOC_DECISION_H

#include <json.h> /* libfastjson */
#include <stddef.h>
#include <stdint.h>

#define SOC_DECISION_SCHEMA "socagent.decision/1"
#define SOC_DECISION_MAX 65536 /* bytes of one decision message */

/* A parsed decision. Every string points into doc, which it owns. */
typedef struct soc_decision {
  fjson_object *doc;
  const char *id, *report, *kind, *by, *at_text, *reason, *result;
  int64_t at_ns;
  int level; /* kind "level": 1-4; 0 when absent or not an integer */
} soc_decision;

/* Parses one message of len bytes (need not be NUL-terminated). Returns 0,
 * or -EINVAL with why filled (not JSON, wrong schema, a required field
 * missing or not a string, a bad time, too large). OUT: *out, cleared on
 * failure. */
int soc_decision_parse(const void *data, size_t len, soc_decision *out, char *why, size_t why_len);
void soc_decision_clear(soc_decision *d); /* NULL-safe, idempotent */

/* 1 when kind is an analyst's decision on drafts or alerts (confirm,
 * reject, merge, note, promote, assign: agent/analyst.c applies them),
 * rather than one on a report (review, level, support) or a notice. */
int soc_decision_on_draft(const char *kind);

/* The report number when d->report is "<agent id>/<number>" of this agent
 * (other agents of the agency read the same topic). Returns the number,
 * or 0 when the decision is about someone else's report. */
int64_t soc_decision_report_number(const soc_decision *d, const char *agent_id);

/* d's change to report r through the report's lifecycle calls (review,
 * level, support; and the agency's own steps made in the console: file,
 * set (its "fields": path -> text, as `socctl set`), recover ("status":
 * controlled or recovered), close, investigation), at time at, without
 * recording it: what the center checks on its copy before sending d, and
 * what soc_decision_apply does. Returns 0, or -EINVAL / -EPERM with why. */
int soc_decision_change(const soc_decision *d, fjson_object *r, int64_t at, char *why,
                        size_t why_len);

/* Applies d to report r (a socagent.report/1 document) and records it in
 * r's "center_decisions" list, applied or refused: a refused decision is
 * still the center's word. A time before the report's discovery is taken as
 * the center's clock skew and moved up to it. Returns 0 applied, or
 * -EINVAL / -EPERM refused, with why filled; r is changed either way. */
int soc_decision_apply(const soc_decision *d, fjson_object *r, char *why, size_t why_len);

#endif
