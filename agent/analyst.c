/*
 * analyst — see the header.
 */
#include "analyst.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/event.h"
#include "soc/json_obj.h"
#include "soc/report.h"
#include "soc/rules.h"
#include "soc/tz.h"
#include "triage.h"

static int store_error(soc_analyst *a) {
  snprintf(a->why, sizeof a->why, "%s", soc_store_errmsg(a->store));
  return -EIO;
}

/* Loads draft id and parses its body (an empty object when it has none).
 * OUT: *row (clear it), *body (put it). */
static int load(soc_analyst *a, int64_t id, int must_be_open, soc_draft_row *row,
                fjson_object **body) {
  int rc = soc_store_draft_get(a->store, id, row);
  if (rc == -ENOENT) {
    snprintf(a->why, sizeof a->why, "no draft %lld", (long long)id);
    return -ENOENT;
  }
  if (rc < 0) return store_error(a);
  if (must_be_open && strcmp(row->status, "open")) {
    snprintf(a->why, sizeof a->why, "draft %lld is %s, not open: it was already decided",
             (long long)id, row->status);
    return -EALREADY;
  }
  if (!(*body = soc_json_parse_object(row->body))) *body = fjson_object_new_object();
  return *body ? 0 : -ENOMEM;
}

/* The center's decision, applied or refused, in the body's list. */
static void record(soc_analyst *a, fjson_object *body, const char *refused) {
  if (!a->record) return;
  fjson_object *rec = fjson_object_new_object(), *list = NULL;
  static const char *const keep[] = {"id", "kind", "by", "at"};
  for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
    const char *v = soc_report_str(a->record, keep[i]);
    soc_json_add_str(rec, keep[i], v ? v : "");
  }
  fjson_object_object_add(rec, "applied", fjson_object_new_boolean(refused == NULL));
  if (refused) soc_json_add_str(rec, "refused", refused);
  if (!fjson_object_object_get_ex(body, "center_decisions", &list) ||
      !fjson_object_is_type(list, fjson_type_array)) {
    list = fjson_object_new_array();
    fjson_object_object_add(body, "center_decisions", list);
  }
  fjson_object_array_add(list, rec);
}

/* Writes row (with body) back and copies the body to the outbox. */
static int save(soc_analyst *a, soc_draft_row *row, fjson_object *body) {
  soc_json_add_str(body, "status", row->status);
  fjson_object_object_add(body, "level", fjson_object_new_int(row->level));
  fjson_object_object_add(body, "count", fjson_object_new_int64(row->count));
  soc_json_add_time(body, "first_seen", row->first_ns);
  soc_json_add_time(body, "last_seen", row->last_ns);
  char *json = strdup(fjson_object_to_json_string_ext(body, FJSON_TO_STRING_PLAIN));
  if (!json) return -ENOMEM;
  free(row->body);
  row->body = json;
  const char *key = soc_report_str(body, "host");
  if (!key || !*key) key = a->cfg->agent.id;
  if (soc_store_draft_put(a->store, row) < 0 ||
      soc_store_outbox_add(a->store, "incidents", key, json, strlen(json), NULL) < 0)
    return store_error(a);
  return 0;
}

static fjson_object *from_to_str(const char *from, const char *to) {
  fjson_object *o = fjson_object_new_object();
  soc_json_add_str(o, "from", from);
  soc_json_add_str(o, "to", to);
  return o;
}

static fjson_object *by_at(const char *by, int64_t at_ns) {
  fjson_object *o = fjson_object_new_object();
  soc_json_add_str(o, "by", by);
  soc_json_add_time(o, "at", at_ns);
  return o;
}

static void result_of(const soc_draft_row *row, soc_analyst_result *res) {
  res->draft = row->id;
  res->level = row->level;
  res->count = row->count;
  snprintf(res->status, sizeof res->status, "%s", row->status);
}

/* ---- the report, made by confirm ---- */

typedef struct ev_ctx {
  fjson_object *r;
} ev_ctx;

static int add_one_evidence(void *arg, const soc_evidence_row *e) {
  ev_ctx *c = arg;
  /* beyond the report's cap the line is counted as dropped in the report */
  soc_report_add_evidence(c->r, e->source, e->stream, e->pos, e->ts, e->line, e->len);
  return 0;
}

/* The confirmed draft (row, body) as its report (report.c), with the
 * evidence of it and of the drafts merged into it, stored and queued. */
static int report_create(soc_analyst *a, const soc_draft_row *row, fjson_object *body,
                         int64_t at_ns) {
  const soc_config *cfg = a->cfg;
  const soc_contact *c0 = cfg->ncontacts ? &cfg->contacts[0] : NULL;
  soc_report_origin o = {
      .agent_id = cfg->agent.id,
      .agency = cfg->agent.agency,
      .authority = (int)cfg->agent.authority,
      .reporter_name = cfg->report.reporter_name ? cfg->report.reporter_name
                       : c0                      ? c0->name
                                                 : NULL,
      .reporter_phone = cfg->report.reporter_phone ? cfg->report.reporter_phone
                        : c0                       ? c0->phone
                                                   : NULL,
      .reporter_fax = cfg->report.reporter_fax,
      .reporter_email = cfg->report.reporter_email ? cfg->report.reporter_email
                        : c0                       ? c0->email
                                                   : NULL,
      .vendor = cfg->report.vendor,
      .regime = cfg->report.regime,
  };
  fjson_object *r = NULL;
  int result = -EINVAL;
  if (soc_report_new(&o, row->id, body, a->by, at_ns, &r) < 0) {
    snprintf(a->why, sizeof a->why, "draft %lld cannot become a report (no level?)",
             (long long)row->id);
    goto out;
  }
  ev_ctx ev = {.r = r};
  result = -EIO;
  if (soc_store_evidence_scan(a->store, row->id, add_one_evidence, &ev) < 0) goto store_err;
  /* drafts merged into this one: their spans, hosts, rules and evidence */
  fjson_object *merged = NULL;
  if (fjson_object_object_get_ex(body, "merged", &merged) &&
      fjson_object_is_type(merged, fjson_type_array)) {
    for (int i = 0; i < fjson_object_array_length(merged); i++) {
      fjson_object *m = fjson_object_array_get_idx(merged, i), *mid = NULL;
      int64_t id =
          fjson_object_is_type(m, fjson_type_object) && fjson_object_object_get_ex(m, "id", &mid)
              ? fjson_object_get_int64(mid)
              : fjson_object_get_int64(m);
      soc_draft_row other = {0};
      if (id <= 0 || soc_store_draft_get(a->store, id, &other) < 0) continue;
      fjson_object *ob = soc_json_parse_object(other.body);
      if (ob) soc_report_fold_draft(r, id, ob);
      if (ob) fjson_object_put(ob);
      int rc = soc_store_evidence_scan(a->store, id, add_one_evidence, &ev);
      soc_draft_row_clear(&other);
      if (rc < 0) goto store_err;
    }
  }
  if (soc_report_save(a->store, r, a->regime, at_ns / 1000000000LL) < 0) goto store_err;
  result = 0;
  goto out;
store_err:
  store_error(a);
out:
  if (r) fjson_object_put(r);
  return result;
}

/* ---- the decisions ---- */

int soc_analyst_confirm(soc_analyst *a, int64_t id, int level, const char *reason,
                        const char *category, soc_analyst_result *res) {
  soc_draft_row row = {0};
  fjson_object *body = NULL;
  soc_incident_category cat = SOC_CATEGORY_NONE;
  int result = -EINVAL;
  memset(res, 0, sizeof *res);
  if (category && *category && (cat = soc_incident_category_parse(category)) == SOC_CATEGORY_NONE) {
    snprintf(a->why, sizeof a->why,
             "unknown category \"%.64s\" (web-attack, intrusion, denial-of-service, equipment, "
             "other)",
             category);
    goto out;
  }
  if ((result = load(a, id, 1, &row, &body)) < 0) goto out;
  res->level_from = row.level;
  res->count_from = row.count;
  result = -EINVAL;
  if (level > 0 && level != row.level && (!reason || !*reason)) {
    snprintf(a->why, sizeof a->why, "changing draft %lld from level %d to %d needs --reason (why)",
             (long long)row.id, row.level, level);
    goto out;
  }
  fjson_object_object_add(a->details, "status", from_to_str(row.status, "confirmed"));
  snprintf(row.status, sizeof row.status, "confirmed");
  if (level > 0 && level != row.level) {
    fjson_object *ov = fjson_object_new_object();
    fjson_object_object_add(ov, "from", fjson_object_new_int(row.level));
    fjson_object_object_add(ov, "to", fjson_object_new_int(level));
    soc_json_add_str(ov, "reason", reason);
    soc_json_add_str(ov, "by", a->by);
    fjson_object_object_add(body, "level_override", ov);
    fjson_object_object_add(a->details, "level", fjson_object_get(ov));
    row.level = level;
  }
  const char *from_cat = soc_report_str(body, "category");
  snprintf(res->category_from, sizeof res->category_from, "%s", from_cat ? from_cat : "");
  snprintf(res->category, sizeof res->category, "%s", res->category_from);
  if (cat != SOC_CATEGORY_NONE && strcmp(res->category_from, soc_incident_category_name(cat))) {
    snprintf(res->category, sizeof res->category, "%s", soc_incident_category_name(cat));
    fjson_object_object_add(a->details, "category", from_to_str(res->category_from, res->category));
    soc_json_add_str(body, "category", res->category);
    soc_json_add_str(body, "category_zh", soc_incident_category_name_zh(cat));
  }
  int64_t at = soc_now_real_ns();
  fjson_object_object_add(body, "confirmed", by_at(a->by, at));
  record(a, body, NULL);
  if ((result = save(a, &row, body)) < 0) goto out;
  result = report_create(a, &row, body, at);
  result_of(&row, res);
out:
  if (body) fjson_object_put(body);
  soc_draft_row_clear(&row);
  return result;
}

/* reject, note, assign and a refusal: draft id loaded (open when
 * must_be_open), changed by change (with its text), the center's decision
 * recorded (refused: why it was refused) and saved. */
typedef void (*change_fn)(soc_analyst *a, soc_draft_row *row, fjson_object *body, const char *text);

static int on_draft(soc_analyst *a, int64_t id, int must_be_open, change_fn change,
                    const char *text, const char *refused, soc_analyst_result *res) {
  soc_draft_row row = {0};
  fjson_object *body = NULL;
  memset(res, 0, sizeof *res);
  int result = load(a, id, must_be_open, &row, &body);
  if (result < 0) goto out;
  if (change) change(a, &row, body, text);
  record(a, body, refused);
  result = save(a, &row, body);
  result_of(&row, res);
out:
  if (body) fjson_object_put(body);
  soc_draft_row_clear(&row);
  return result;
}

static void rejected(soc_analyst *a, soc_draft_row *row, fjson_object *body, const char *reason) {
  fjson_object_object_add(a->details, "status", from_to_str(row->status, "rejected"));
  soc_json_add_str(a->details, "reason", reason);
  snprintf(row->status, sizeof row->status, "rejected");
  fjson_object *rej = by_at(a->by, soc_now_real_ns());
  soc_json_add_str(rej, "reason", reason);
  fjson_object_object_add(body, "rejected", rej);
}

int soc_analyst_reject(soc_analyst *a, int64_t id, const char *reason, soc_analyst_result *res) {
  if (!reason || !*reason) {
    memset(res, 0, sizeof *res);
    snprintf(a->why, sizeof a->why, "a reason is required (why this is not an incident)");
    return -EINVAL;
  }
  return on_draft(a, id, 1, rejected, reason, NULL, res);
}

int soc_analyst_merge(soc_analyst *a, const int64_t *ids, size_t n, soc_analyst_result *res) {
  soc_draft_row keep = {0};
  fjson_object *body = NULL, *merged = NULL;
  int result = -EINVAL;
  memset(res, 0, sizeof *res);
  if (n < 2 || n > SOC_ANALYST_IDS_MAX) {
    snprintf(a->why, sizeof a->why, "a merge takes 2 to %d drafts", SOC_ANALYST_IDS_MAX);
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (ids[i] == ids[j]) {
        snprintf(a->why, sizeof a->why, "draft %lld is named twice", (long long)ids[i]);
        goto out;
      }
  if ((result = load(a, ids[0], 1, &keep, &body)) < 0) goto out;
  res->count_from = keep.count;
  res->level_from = keep.level;
  merged = fjson_object_new_array();
  fjson_object *prior = NULL;
  if (fjson_object_object_get_ex(body, "merged", &prior) &&
      fjson_object_is_type(prior, fjson_type_array)) {
    for (int k = 0; k < fjson_object_array_length(prior); k++)
      fjson_object_array_add(merged, fjson_object_get(fjson_object_array_get_idx(prior, k)));
  }
  for (size_t i = 1; i < n; i++) {
    soc_draft_row other = {0};
    fjson_object *ob = NULL;
    if ((result = load(a, ids[i], 1, &other, &ob)) == 0) {
      keep.count += other.count;
      if (other.first_ns && (!keep.first_ns || other.first_ns < keep.first_ns))
        keep.first_ns = other.first_ns;
      if (other.last_ns > keep.last_ns) keep.last_ns = other.last_ns;
      snprintf(other.status, sizeof other.status, "merged");
      fjson_object_object_add(ob, "merged_into", fjson_object_new_int64(keep.id));
      fjson_object_object_add(ob, "merge", by_at(a->by, soc_now_real_ns()));
      fjson_object_array_add(merged, fjson_object_new_int64(other.id));
      result = save(a, &other, ob);
    }
    if (ob) fjson_object_put(ob);
    soc_draft_row_clear(&other);
    if (result < 0) goto out;
  }
  fjson_object_object_add(body, "merged", fjson_object_get(merged));
  record(a, body, NULL);
  if ((result = save(a, &keep, body)) < 0) goto out;
  fjson_object *list = fjson_object_new_array();
  for (size_t i = 1; i < n; i++) fjson_object_array_add(list, fjson_object_new_int64(ids[i]));
  fjson_object_object_add(a->details, "merged", list);
  fjson_object *cnt = fjson_object_new_object();
  fjson_object_object_add(cnt, "from", fjson_object_new_int64(res->count_from));
  fjson_object_object_add(cnt, "to", fjson_object_new_int64(keep.count));
  fjson_object_object_add(a->details, "count", cnt);
  result_of(&keep, res);
out:
  if (body) fjson_object_put(body);
  if (merged) fjson_object_put(merged);
  soc_draft_row_clear(&keep);
  return result;
}

static void noted(soc_analyst *a, soc_draft_row *row, fjson_object *body, const char *text) {
  fjson_object *notes = NULL;
  (void)row;
  if (!fjson_object_object_get_ex(body, "notes", &notes) ||
      !fjson_object_is_type(notes, fjson_type_array)) {
    notes = fjson_object_new_array();
    fjson_object_object_add(body, "notes", notes);
  }
  fjson_object *n = by_at(a->by, soc_now_real_ns());
  soc_json_add_str(n, "text", text);
  fjson_object_array_add(notes, n);
  soc_json_add_str(a->details, "text", text);
}

int soc_analyst_note(soc_analyst *a, int64_t id, const char *text, soc_analyst_result *res) {
  if (!text || !*text || strlen(text) > SOC_ANALYST_NOTE_MAX) {
    memset(res, 0, sizeof *res);
    snprintf(a->why, sizeof a->why, "a note is 1 to %d bytes", SOC_ANALYST_NOTE_MAX);
    return -EINVAL;
  }
  return on_draft(a, id, 0, noted, text, NULL, res);
}

static void assigned(soc_analyst *a, soc_draft_row *row, fjson_object *body, const char *to) {
  const char *before = soc_report_str(body, "assigned.to");
  (void)row;
  fjson_object_object_add(a->details, "assigned", from_to_str(before ? before : "", to));
  fjson_object *as = by_at(a->by, soc_now_real_ns());
  soc_json_add_str(as, "to", to);
  fjson_object_object_add(body, "assigned", as);
}

int soc_analyst_assign(soc_analyst *a, int64_t id, const char *to, soc_analyst_result *res) {
  if (!to || !*to || strlen(to) >= SOC_AUDIT_FIELD_MAX) {
    memset(res, 0, sizeof *res);
    snprintf(a->why, sizeof a->why, "an assignment names the analyst (1 to %d bytes)",
             SOC_AUDIT_FIELD_MAX - 1);
    return -EINVAL;
  }
  return on_draft(a, id, 1, assigned, to, NULL, res);
}

/* Alerts judged an incident by a person (an attempt the analyst knows got
 * further, a probe of a system that matters): one new draft holding them,
 * its §3.1 clock starting now, from that awareness. */
int soc_analyst_promote(soc_analyst *a, const int64_t *alerts, size_t n, int level,
                        soc_analyst_result *res) {
  soc_draft_row row = {0};
  fjson_object *body = NULL, *ids = NULL;
  int64_t draft = 0, bad = 0;
  int result = -EINVAL;
  memset(res, 0, sizeof *res);
  if (n < 1 || n > SOC_ANALYST_IDS_MAX) {
    snprintf(a->why, sizeof a->why, "a promotion takes 1 to %d alerts", SOC_ANALYST_IDS_MAX);
    goto out;
  }
  result = soc_triage_promote(a->cfg, a->store, a->assets, alerts, n, &draft, &bad);
  if (result == -ENOENT) {
    snprintf(a->why, sizeof a->why, "no alert %lld", (long long)bad);
    goto out;
  }
  if (result == -EEXIST) {
    snprintf(a->why, sizeof a->why, "alert %lld is in open draft %lld already", (long long)bad,
             (long long)draft);
    res->draft = draft; /* where the refusal can be said */
    goto out;
  }
  if (result < 0) {
    result = store_error(a);
    goto out;
  }
  if ((result = load(a, draft, 1, &row, &body)) < 0) goto out;
  res->level_from = row.level;
  ids = fjson_object_new_array();
  for (size_t i = 0; i < n; i++) fjson_object_array_add(ids, fjson_object_new_int64(alerts[i]));
  fjson_object *p = by_at(a->by, row.discovered_ns);
  fjson_object_object_add(p, "alerts", fjson_object_get(ids));
  fjson_object_object_add(body, "promoted", p);
  fjson_object *from = NULL;
  if (!fjson_object_object_get_ex(body, "level_from", &from)) {
    from = fjson_object_new_object();
    soc_json_add_str(from, "analyst", a->by);
    fjson_object_object_add(body, "level_from", from);
  }
  if (level > 0 && level != row.level) {
    /* the clause stays that of the suggestion; the analyst's level is noted over it */
    fjson_object *ov = fjson_object_new_object();
    fjson_object_object_add(ov, "from", fjson_object_new_int(row.level));
    fjson_object_object_add(ov, "to", fjson_object_new_int(level));
    soc_json_add_str(ov, "by", a->by);
    fjson_object_object_add(body, "level_override", ov);
    row.level = level;
  }
  fjson_object_object_add(a->details, "alerts", fjson_object_get(ids));
  fjson_object_object_add(a->details, "level", fjson_object_new_int(row.level));
  record(a, body, NULL);
  result = save(a, &row, body);
  result_of(&row, res);
out:
  if (body) fjson_object_put(body);
  if (ids) fjson_object_put(ids);
  soc_draft_row_clear(&row);
  return result;
}

int soc_analyst_refused(soc_analyst *a, int64_t id, const char *why) {
  soc_analyst_result res;
  int rc = on_draft(a, id, 0, NULL, NULL, why, &res);
  return rc == -ENOENT ? 0 : rc;
}
