/*
 * decide — see the header.
 */
#define _GNU_SOURCE /* strdup, gmtime_r */
#include "decide.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/center_topic.h"
#include "soc/decision.h"
#include "soc/report.h"
#include "soc/rules.h"

static fjson_object *jstr(const char *s) { return fjson_object_new_string(s ? s : ""); }

typedef struct report_copy {
  char *body;
  char agency[256];
} report_copy;

static int copy_report(void *arg, const soc_center_report *r) {
  report_copy *x = arg;
  snprintf(x->agency, sizeof x->agency, "%s", r->agency);
  x->body = strdup(r->body);
  return x->body ? 0 : -ENOMEM;
}

/* Numbers the decision and records its message for the agency's topic, in
 * the caller's transaction; the message is msg (borrowed: the caller's own
 * fields in it) with the decision's common fields added. Returns 0 (out: "<id>: <kind> <report>
 * recorded for <topic>"), 1 with out said, or a store error. OUT: *n. */
static int put(const soc_collector_config *cfg, soc_centerdb *s, const char *agency,
               const char *report, const char *kind, const soc_center_decide_opts *o,
               fjson_object *msg, int64_t *n, char *out, size_t out_len) {
  char topic[SOC_CENTER_TOPIC_MAX + 1], did[128], t[40];
  if (soc_center_topic(cfg->kafka.topic_prefix, agency, topic, sizeof topic) < 0) {
    snprintf(out, out_len, "%s names no agency a topic can be made for", report);
    return 1;
  }
  int rc = soc_centerdb_decision_next(s, n);
  if (rc) return rc;
  snprintf(did, sizeof did, "%s/%" PRId64, cfg->collector.id, *n);
  fjson_object_object_add(msg, "schema", jstr(SOC_DECISION_SCHEMA));
  fjson_object_object_add(msg, "id", jstr(did));
  fjson_object_object_add(msg, "report", jstr(report));
  fjson_object_object_add(msg, "kind", jstr(kind));
  struct tm tm;
  time_t secs = (time_t)(o->at_ns / 1000000000);
  gmtime_r(&secs, &tm);
  size_t tl = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(t + tl, sizeof t - tl, ".%03dZ", (int)(o->at_ns / 1000000 % 1000));
  fjson_object_object_add(msg, "at", jstr(t));
  fjson_object_object_add(msg, "by", jstr(o->by));
  fjson_object_object_add(msg, "reason", jstr(o->reason));
  if (!strcmp(kind, "level") || !strcmp(kind, "confirm") || !strcmp(kind, "promote"))
    fjson_object_object_add(msg, "level", fjson_object_new_int(o->level));
  if (!strcmp(kind, "review")) fjson_object_object_add(msg, "result", jstr(o->result));
  if (!strcmp(kind, "support")) fjson_object_object_add(msg, "dispatched", jstr(t));
  const char *body = fjson_object_to_json_string_ext(msg, FJSON_TO_STRING_PLAIN);
  rc = soc_centerdb_decision_put(s, *n, did, report, kind, o->at_ns, o->by, topic, body);
  if (!rc) snprintf(out, out_len, "%s: %s %s recorded for %s", did, kind, report, topic);
  return rc;
}

/* One decision: checked against the center's view of the report (the same
 * lifecycle rule the agent will apply) and recorded for delivery. OUT: *n,
 * its number. */
int soc_center_decide(const soc_collector_config *cfg, soc_center *c, soc_centerdb *s,
                      const char *id, const char *kind, const soc_center_decide_opts *o, int64_t *n,
                      char *out, size_t out_len) {
  report_copy r = {0};
  soc_center_view v = {0};
  fjson_object *msg = NULL;
  char why[SOC_REPORT_WHY_MAX] = "";
  int status = 1, rc = soc_centerdb_begin(s);
  if (!rc) rc = soc_centerdb_report_get(s, id, copy_report, &r);
  if (rc == -ENOENT) {
    snprintf(out, out_len, "no report %s at the center", id);
    goto out;
  }
  soc_center_report row = {.id = id, .agency = r.agency, .body = r.body};
  if (!rc) rc = soc_center_view_of(c, s, &row, o->at_ns / 1000000000, &v);
  if (rc) goto fail;
  /* The check: the lifecycle function on the center's view, as the agent
   * will apply it (soc_decision_change) */
  msg = fjson_object_new_object();
  if (o->via) fjson_object_object_add(msg, "via", jstr(o->via));
  if (o->status) fjson_object_object_add(msg, "status", jstr(o->status));
  if (o->fields) fjson_object_object_add(msg, "fields", fjson_object_get(o->fields));
  soc_decision d = {.doc = msg,
                    .kind = kind,
                    .by = o->by,
                    .reason = o->reason,
                    .result = o->result,
                    .level = o->level,
                    .at_ns = o->at_ns};
  int refused = 0;
  if (strcmp(kind, "support"))
    refused = soc_decision_change(&d, v.doc, o->at_ns, why, sizeof why) < 0;
  else if (soc_report_time(v.doc, "support.dispatched"))
    refused = snprintf(why, sizeof why, "support for %s was already dispatched", id) > 0;
  else if (!v.support_requested)
    refused = snprintf(why, sizeof why, "%s did not request support", id) > 0;
  if (refused) {
    snprintf(out, out_len, "%s: %s", kind, why);
    status = 2;
    goto out;
  }
  rc = put(cfg, s, r.agency, id, kind, o, msg, n, out, out_len);
  if (rc > 0) goto out;
  /* A level the center raises to 3-4 owes the notifications too. */
  if (!rc && !strcmp(kind, "level") && o->level >= 3) {
    rc = soc_centerdb_notify(s, id, o->level, SOC_CENTER_NOTIFY_HSO, o->at_ns, NULL);
    if (!rc) rc = soc_centerdb_notify(s, id, o->level, SOC_CENTER_NOTIFY_NCSO, o->at_ns, NULL);
  }
  if (rc) goto fail;
  if ((rc = soc_centerdb_commit(s))) goto fail;
  status = 0;
  goto out;
fail:
  snprintf(out, out_len, "%s", rc == -ENOMEM ? strerror(ENOMEM) : soc_centerdb_errmsg(s));
out:
  if (soc_centerdb_in_transaction(s)) soc_centerdb_rollback(s);
  fjson_object_put(msg);
  soc_center_view_clear(&v);
  free(r.body);
  return status;
}

typedef struct latest {
  char agency[256], status[32];
  int level;
} latest;

static int copy_latest(void *arg, const char *agent, const char *agency, int64_t received_ns,
                       const char *text) {
  latest *x = arg;
  (void)agent;
  (void)received_ns;
  fjson_object *body = fjson_tokener_parse(text);
  const char *st = body ? soc_report_str(body, "status") : NULL;
  snprintf(x->agency, sizeof x->agency, "%s", agency);
  snprintf(x->status, sizeof x->status, "%s", st ? st : "");
  fjson_object *lv = NULL;
  if (body && fjson_object_object_get_ex(body, "level", &lv)) x->level = fjson_object_get_int(lv);
  if (body) fjson_object_put(body);
  return 0;
}

/* What the request itself must hold, before any draft is looked at: 1, or
 * 0 with out saying what is wrong. */
static int draft_request_ok(const char *kind, const soc_center_decide_opts *o,
                            const soc_center_draft_opts *d, char *out, size_t out_len) {
  if (!d->agent || !*d->agent || d->n < 1 || d->n > SOC_CENTER_DRAFT_IDS_MAX)
    return snprintf(out, out_len, "%s: no draft or alert named", kind) < 0;
  if (!strcmp(kind, "merge") && d->n < 2)
    return snprintf(out, out_len, "merge: name at least two drafts") < 0;
  for (size_t i = 0; i < d->n; i++)
    for (size_t j = i + 1; j < d->n; j++)
      if (d->ids[i] == d->ids[j])
        return snprintf(out, out_len, "%s: %" PRId64 " is named twice", kind, d->ids[i]) < 0;
  if (!strcmp(kind, "reject") && (!o->reason || !*o->reason))
    return snprintf(out, out_len, "reject: a reason is required") < 0;
  if (!strcmp(kind, "note") && (!d->text || !*d->text))
    return snprintf(out, out_len, "note: a note needs text") < 0;
  if (!strcmp(kind, "assign") && (!d->to || !*d->to))
    return snprintf(out, out_len, "assign: name the analyst") < 0;
  if (!strcmp(kind, "confirm") && d->category && *d->category &&
      soc_incident_category_parse(d->category) == SOC_CATEGORY_NONE)
    return snprintf(out, out_len, "confirm: unknown category \"%.64s\"", d->category) < 0;
  if ((!strcmp(kind, "confirm") || !strcmp(kind, "promote")) && (o->level < 0 || o->level > 4))
    return snprintf(out, out_len, "%s: a level is 1 to 4", kind) < 0;
  return 1;
}

int soc_center_decide_draft(const soc_collector_config *cfg, soc_centerdb *db, const char *kind,
                            const soc_center_decide_opts *o, const soc_center_draft_opts *d,
                            int64_t *n, char *out, size_t out_len) {
  char topic[300], report[300];
  fjson_object *extra = NULL;
  latest first = {0};
  int promote = !strcmp(kind, "promote"), status = 2, rc = 0;
  if (!draft_request_ok(kind, o, d, out, out_len)) return 2;
  snprintf(topic, sizeof topic, "%s.%s", cfg->kafka.topic_prefix, promote ? "alerts" : "incidents");
  if ((rc = soc_centerdb_begin(db))) goto fail;
  for (size_t i = 0; i < d->n; i++) {
    latest x = {0};
    rc = soc_centerdb_latest_get(db, topic, promote ? "$.alert" : "$.id", d->agent, d->ids[i],
                                 copy_latest, &x);
    if (rc == -ENOENT || (!rc && d->agency_only && strcmp(x.agency, d->agency_only))) {
      snprintf(out, out_len, "no %s %s/%" PRId64, promote ? "alert" : "draft", d->agent, d->ids[i]);
      status = 3;
      goto out;
    }
    if (rc) goto fail;
    /* a note may go on any draft; every other decision is made once */
    if (!promote && strcmp(kind, "note") && strcmp(x.status, "open")) {
      snprintf(out, out_len, "%s: draft %s/%" PRId64 " is %s, not open: it was already decided",
               kind, d->agent, d->ids[i], x.status);
      goto out;
    }
    if (i == 0) first = x;
  }
  if (!strcmp(kind, "confirm") && o->level && o->level != first.level &&
      (!o->reason || !*o->reason)) {
    snprintf(out, out_len, "confirm: changing level %d to %d needs a reason", first.level,
             o->level);
    goto out;
  }
  snprintf(report, sizeof report, "%s/%" PRId64, d->agent, d->ids[0]);
  extra = fjson_object_new_object();
  if (d->category && *d->category) fjson_object_object_add(extra, "category", jstr(d->category));
  if (d->text) fjson_object_object_add(extra, "text", jstr(d->text));
  if (d->to) fjson_object_object_add(extra, "to", jstr(d->to));
  fjson_object *ids = fjson_object_new_array();
  for (size_t i = promote ? 0 : 1; i < d->n; i++)
    fjson_object_array_add(ids, fjson_object_new_int64(d->ids[i]));
  fjson_object_object_add(extra, promote ? "alerts" : "drafts", ids);
  rc = put(cfg, db, first.agency, report, kind, o, extra, n, out, out_len);
  if (rc > 0) {
    status = 1;
    goto out;
  }
  if (rc || (rc = soc_centerdb_commit(db))) goto fail;
  status = 0;
  goto out;
fail:
  status = 1;
  snprintf(out, out_len, "%s", rc == -ENOMEM ? strerror(ENOMEM) : soc_centerdb_errmsg(db));
out:
  if (soc_centerdb_in_transaction(db)) soc_centerdb_rollback(db);
  fjson_object_put(extra);
  return status;
}
