/*
 * decision — see the header.
 */
#include "soc/decision.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/report.h"
#include "soc/tz.h"

void soc_decision_clear(soc_decision *d) {
  if (!d) return;
  if (d->doc) fjson_object_put(d->doc);
  memset(d, 0, sizeof *d);
}

int soc_decision_parse(const void *data, size_t len, soc_decision *out, char *why, size_t why_len) {
  int result = -EINVAL;
  char *text = NULL;
  memset(out, 0, sizeof *out);
  if (!data || len == 0 || len > SOC_DECISION_MAX) {
    snprintf(why, why_len, "a message of %zu bytes (1 to %u expected)", len, SOC_DECISION_MAX);
    goto out;
  }
  if (memchr(data, 0, len)) {
    snprintf(why, why_len, "a NUL byte inside the message");
    goto out;
  }
  result = -ENOMEM;
  if (!(text = malloc(len + 1))) goto out;
  memcpy(text, data, len);
  text[len] = 0;
  result = -EINVAL;
  out->doc = fjson_tokener_parse(text);
  if (!out->doc || !fjson_object_is_type(out->doc, fjson_type_object)) {
    snprintf(why, why_len, "not a JSON object");
    goto out;
  }
  const char *schema = soc_report_str(out->doc, "schema");
  if (!schema || strcmp(schema, SOC_DECISION_SCHEMA)) {
    snprintf(why, why_len, "schema is not %s", SOC_DECISION_SCHEMA);
    goto out;
  }
  static const char *const need[] = {"id", "report", "kind", "by", "at"};
  const char **dst[] = {&out->id, &out->report, &out->kind, &out->by, &out->at_text};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!(*dst[i] = soc_report_str(out->doc, need[i])) || !**dst[i]) {
      snprintf(why, why_len, "\"%s\" missing or not a non-empty string", need[i]);
      goto out;
    }
  if (soc_time_parse_ns(out->at_text, &out->at_ns) < 0) {
    snprintf(why, why_len, "\"at\" is not an RFC 3339 time");
    goto out;
  }
  out->reason = soc_report_str(out->doc, "reason");
  out->result = soc_report_str(out->doc, "result");
  fjson_object *lv = NULL;
  if (fjson_object_object_get_ex(out->doc, "level", &lv) &&
      fjson_object_is_type(lv, fjson_type_int)) {
    int64_t l = fjson_object_get_int64(lv);
    out->level = l >= 1 && l <= 4 ? (int)l : 0;
  }
  result = 0;
out:
  free(text);
  if (result < 0) soc_decision_clear(out);
  return result;
}

int soc_decision_on_draft(const char *kind) {
  static const char *const kinds[] = {"confirm", "reject", "merge", "note", "promote", "assign"};
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (kind && !strcmp(kind, kinds[i])) return 1;
  return 0;
}

int64_t soc_decision_report_number(const soc_decision *d, const char *agent_id) {
  size_t n = strlen(agent_id);
  if (strncmp(d->report, agent_id, n) || d->report[n] != '/') return 0;
  const char *p = d->report + n + 1;
  if (*p < '1' || *p > '9') return 0;
  char *end = NULL;
  errno = 0;
  long long number = strtoll(p, &end, 10);
  return *end || errno ? 0 : number;
}

/* "set": every field of d's "fields" object, in order; the first refused
 * stops it. */
static int set_fields(const soc_decision *d, fjson_object *r, char *why, size_t why_len) {
  fjson_object *fields = NULL;
  if (!fjson_object_object_get_ex(d->doc, "fields", &fields) ||
      !fjson_object_is_type(fields, fjson_type_object) || !fjson_object_object_length(fields)) {
    snprintf(why, why_len, "\"fields\" missing or not a non-empty object");
    return -EINVAL;
  }
  struct fjson_object_iterator it = fjson_object_iter_begin(fields),
                               end = fjson_object_iter_end(fields);
  for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
    fjson_object *v = fjson_object_iter_peek_value(&it);
    const char *path = fjson_object_iter_peek_name(&it);
    if (!fjson_object_is_type(v, fjson_type_string)) {
      snprintf(why, why_len, "field %.128s: not a string", path);
      return -EINVAL;
    }
    int rc = soc_report_set(r, path, fjson_object_get_string(v), why, why_len);
    if (rc < 0) return rc;
  }
  return 0;
}

int soc_decision_change(const soc_decision *d, fjson_object *r, int64_t at, char *why,
                        size_t why_len) {
  const char *k = d->kind, *via = soc_report_str(d->doc, "via"),
             *status = soc_report_str(d->doc, "status");
  why[0] = 0;
  if (!strcmp(k, "review"))
    return soc_report_review(r, d->by, d->result ? d->result : "", "center", at, why, why_len);
  if (!strcmp(k, "level"))
    return soc_report_relevel(r, d->level, d->by, d->reason, at, why, why_len);
  if (!strcmp(k, "support")) return soc_report_support_dispatched(r, d->by, at, why, why_len);
  if (!strcmp(k, "file"))
    return soc_report_file(r, via && *via ? via : "platform", d->by, at, why, why_len);
  if (!strcmp(k, "recover")) {
    int st = !status ? 0 : !strcmp(status, "controlled") ? 2 : !strcmp(status, "recovered") ? 3 : 0;
    return soc_report_recover(r, st, d->by, at, why, why_len);
  }
  if (!strcmp(k, "close")) return soc_report_close(r, d->by, at, why, why_len);
  if (!strcmp(k, "investigation")) return soc_report_investigation(r, d->by, at, why, why_len);
  if (!strcmp(k, "set")) return set_fields(d, r, why, why_len);
  snprintf(why, why_len, "unknown decision kind '%.64s'", k);
  return -EINVAL;
}

int soc_decision_apply(const soc_decision *d, fjson_object *r, char *why, size_t why_len) {
  int64_t at = d->at_ns, disc = soc_report_time(r, "event.discovered");
  if (at < disc) at = disc;
  int rc = soc_decision_change(d, r, at, why, why_len);
  fjson_object *rec = fjson_object_new_object(), *list = NULL;
  fjson_object_object_add(rec, "id", fjson_object_new_string(d->id));
  fjson_object_object_add(rec, "kind", fjson_object_new_string(d->kind));
  fjson_object_object_add(rec, "by", fjson_object_new_string(d->by));
  fjson_object_object_add(rec, "at", fjson_object_new_string(d->at_text));
  fjson_object_object_add(rec, "applied", fjson_object_new_boolean(rc == 0));
  if (rc < 0) fjson_object_object_add(rec, "refused", fjson_object_new_string(why));
  if (!fjson_object_object_get_ex(r, "center_decisions", &list) ||
      !fjson_object_is_type(list, fjson_type_array)) {
    list = fjson_object_new_array();
    fjson_object_object_add(r, "center_decisions", list);
  }
  fjson_object_array_add(list, rec);
  return rc;
}
