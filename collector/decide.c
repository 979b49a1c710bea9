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

/* One decision: checked against the center's view of the report (the same
 * lifecycle rule the agent will apply) and recorded for delivery. OUT: *n,
 * its number. */
int soc_center_decide(const soc_collector_config *cfg, soc_center *c, soc_center_store *s,
                      const char *id, const char *kind, const soc_center_decide_opts *o, int64_t *n,
                      char *out, size_t out_len) {
  report_copy r = {0};
  soc_center_view v = {0};
  fjson_object *msg = NULL;
  char why[SOC_REPORT_WHY_MAX] = "", topic[SOC_CENTER_TOPIC_MAX + 1], did[128], t[40];
  int status = 1, rc = soc_center_store_begin(s);
  if (!rc) rc = soc_store_center_report_get(s, id, copy_report, &r);
  if (rc == -ENOENT) {
    snprintf(out, out_len, "no report %s at the center", id);
    goto out;
  }
  soc_center_report row = {.id = id, .agency = r.agency, .body = r.body};
  if (!rc) rc = soc_center_view_of(c, s, &row, o->at_ns / 1000000000, &v);
  if (rc) goto fail;
  /* The check: the lifecycle function on the center's view. */
  int refused = 0;
  if (!strcmp(kind, "review"))
    refused = soc_report_review(v.doc, o->by, o->result, "center", o->at_ns, why, sizeof why);
  else if (!strcmp(kind, "level"))
    refused = soc_report_relevel(v.doc, o->level, o->by, o->reason, o->at_ns, why, sizeof why);
  else if (soc_report_time(v.doc, "support.dispatched"))
    refused = snprintf(why, sizeof why, "support for %s was already dispatched", id) > 0;
  else if (!v.support_requested)
    refused = snprintf(why, sizeof why, "%s did not request support", id) > 0;
  if (refused) {
    snprintf(out, out_len, "%s: %s", kind, why);
    status = 2;
    goto out;
  }
  if (soc_center_topic(cfg->kafka.topic_prefix, r.agency, topic, sizeof topic) < 0) {
    snprintf(out, out_len, "report %s names no agency a topic can be made for", id);
    goto out;
  }
  if ((rc = soc_store_center_decision_next(s, n))) goto fail;
  snprintf(did, sizeof did, "%s/%" PRId64, cfg->collector.id, *n);
  msg = fjson_object_new_object();
  fjson_object_object_add(msg, "schema", jstr(SOC_DECISION_SCHEMA));
  fjson_object_object_add(msg, "id", jstr(did));
  fjson_object_object_add(msg, "report", jstr(id));
  fjson_object_object_add(msg, "kind", jstr(kind));
  struct tm tm;
  time_t secs = (time_t)(o->at_ns / 1000000000);
  gmtime_r(&secs, &tm);
  size_t tl = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(t + tl, sizeof t - tl, ".%03dZ", (int)(o->at_ns / 1000000 % 1000));
  fjson_object_object_add(msg, "at", jstr(t));
  fjson_object_object_add(msg, "by", jstr(o->by));
  fjson_object_object_add(msg, "reason", jstr(o->reason));
  if (!strcmp(kind, "level")) fjson_object_object_add(msg, "level", fjson_object_new_int(o->level));
  if (!strcmp(kind, "review")) fjson_object_object_add(msg, "result", jstr(o->result));
  if (!strcmp(kind, "support")) fjson_object_object_add(msg, "dispatched", jstr(t));
  const char *body = fjson_object_to_json_string_ext(msg, FJSON_TO_STRING_PLAIN);
  rc = soc_store_center_decision_put(s, *n, did, id, kind, o->at_ns, o->by, topic, body);
  /* A level the center raises to 3-4 owes the notifications too. */
  if (!rc && !strcmp(kind, "level") && o->level >= 3) {
    rc = soc_store_center_notify(s, id, o->level, SOC_CENTER_NOTIFY_HSO, o->at_ns, NULL);
    if (!rc) rc = soc_store_center_notify(s, id, o->level, SOC_CENTER_NOTIFY_NCSO, o->at_ns, NULL);
  }
  if (rc) goto fail;
  if ((rc = soc_center_store_commit(s))) goto fail;
  snprintf(out, out_len, "%s: %s %s recorded for %s", did, kind, id, topic);
  status = 0;
  goto out;
fail:
  snprintf(out, out_len, "%s", rc == -ENOMEM ? strerror(ENOMEM) : soc_center_store_errmsg(s));
out:
  if (soc_center_store_in_transaction(s)) soc_center_store_rollback(s);
  fjson_object_put(msg);
  soc_center_view_clear(&v);
  free(r.body);
  return status;
}
