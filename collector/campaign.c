/*
 * campaign — see the header.
 */
#include "campaign.h"

#include <errno.h>
#include <inttypes.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/center_topic.h"
#include "soc/decision.h"
#include "soc/event.h"
#include "soc/json_obj.h"
#include "soc/report.h"

typedef struct gather {
  soc_campaign *v;
  size_t n, cap;
  soc_campaign cur;
  int oom;
} gather;

static void campaign_clear(soc_campaign *c) {
  free(c->source);
  for (size_t i = 0; i < c->nag; i++) free(c->ag[i].agency);
  memset(c, 0, sizeof *c);
}

/* The source gathered so far is a campaign when enough agencies named it. */
static void flush(gather *g) {
  soc_campaign *c = &g->cur;
  if (c->source && c->nag + c->more >= SOC_CAMPAIGN_MIN_AGENCIES) {
    if (g->n == g->cap) {
      size_t cap = g->cap ? g->cap * 2 : 16;
      soc_campaign *v = realloc(g->v, cap * sizeof *v);
      if (!v) {
        g->oom = 1;
        campaign_clear(c);
        return;
      }
      g->v = v;
      g->cap = cap;
    }
    g->v[g->n++] = *c;
    memset(c, 0, sizeof *c);
    return;
  }
  campaign_clear(c);
}

static int add_row(void *arg, const char *kind, const char *source, const char *agency,
                   int64_t alerts, int64_t first_ns, int64_t last_ns) {
  gather *g = arg;
  soc_campaign *c = &g->cur;
  if (!c->source || strcmp(c->kind, kind) || strcmp(c->source, source)) {
    flush(g);
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    if (!(c->source = strdup(source))) return -ENOMEM;
    c->first_ns = first_ns;
  }
  if (c->nag < SOC_CAMPAIGN_AGENCIES_MAX) {
    if (!(c->ag[c->nag].agency = strdup(agency ? agency : ""))) return -ENOMEM;
    c->ag[c->nag++].alerts = alerts;
  } else {
    c->more++;
  }
  c->alerts += alerts;
  if (first_ns < c->first_ns) c->first_ns = first_ns;
  if (last_ns > c->last_ns) c->last_ns = last_ns;
  return 0;
}

typedef struct told {
  const char *agency;
  int yes;
} told;

static int was_told(void *arg, const char *kind, int64_t at_ns, const char *body) {
  (void)at_ns;
  told *t = arg;
  fjson_object *o = strcmp(kind, "notice") ? NULL : fjson_tokener_parse(body);
  const char *a = o ? soc_report_str(o, "agency") : NULL;
  if (a && !strcmp(a, t->agency)) t->yes = 1;
  if (o) fjson_object_put(o);
  return 0;
}

/* Records the notice of campaign c for agency a, unless it was sent before.
 * OUT: *n the decision's number, 0 when none was recorded. */
static int notice(const soc_collector_config *cfg, soc_centerdb *s, const soc_campaign *c,
                  const soc_campaign_agency *a, int64_t now_ns, int64_t since_ns, int64_t *n) {
  char report[512], topic[SOC_CENTER_TOPIC_MAX + 1], did[128], at[SOC_EVENT_TIME_BUF],
      since[SOC_EVENT_TIME_BUF], reason[768];
  told t = {.agency = a->agency};
  *n = 0;
  snprintf(report, sizeof report, "campaign/%s/%s", c->kind, c->source);
  int rc = soc_centerdb_decisions_scan(s, report, was_told, &t);
  if (rc < 0 || t.yes) return rc;
  if (soc_center_topic(cfg->kafka.topic_prefix, a->agency, topic, sizeof topic) < 0) {
    fprintf(stderr, "soccollector: campaigns: no topic can be made for agency '%s'; not told\n",
            a->agency);
    return 0;
  }
  if ((rc = soc_centerdb_decision_next(s, n)) < 0) return rc;
  snprintf(did, sizeof did, "%s/%" PRId64, cfg->collector.id, *n);
  soc_event_format_time(now_ns, 3, at, sizeof at);
  soc_event_format_time(since_ns, 0, since, sizeof since);
  snprintf(reason, sizeof reason, "%s %s alerted at %zu agencies since %s (%" PRId64 " alerts)",
           c->kind, c->source, c->nag + c->more, since, c->alerts);
  fjson_object *m = fjson_object_new_object(), *src = fjson_object_new_object();
  soc_json_add_str(m, "schema", SOC_DECISION_SCHEMA);
  soc_json_add_str(m, "id", did);
  soc_json_add_str(m, "report", report);
  soc_json_add_str(m, "kind", "notice");
  soc_json_add_str(m, "by", cfg->collector.id);
  soc_json_add_str(m, "at", at);
  soc_json_add_str(m, "reason", reason);
  soc_json_add_str(m, "agency", a->agency);
  soc_json_add_str(src, "kind", c->kind);
  soc_json_add_str(src, "value", c->source);
  fjson_object_object_add(m, "source", src);
  fjson_object_object_add(m, "agencies", fjson_object_new_int64((int64_t)(c->nag + c->more)));
  fjson_object_object_add(m, "alerts", fjson_object_new_int64(c->alerts));
  fjson_object_object_add(m, "alerts_here", fjson_object_new_int64(a->alerts));
  rc = soc_centerdb_decision_put(s, *n, did, report, "notice", now_ns, cfg->collector.id, topic,
                                 fjson_object_to_json_string_ext(m, FJSON_TO_STRING_PLAIN));
  fjson_object_put(m);
  return rc;
}

static void print_campaigns(const gather *g, int json) {
  char first[SOC_EVENT_TIME_BUF], last[SOC_EVENT_TIME_BUF];
  fjson_object *arr = json ? fjson_object_new_array() : NULL;
  if (!json && !g->n) printf("no campaigns\n");
  for (size_t i = 0; i < g->n; i++) {
    const soc_campaign *c = &g->v[i];
    soc_event_format_time(c->first_ns, 0, first, sizeof first);
    soc_event_format_time(c->last_ns, 0, last, sizeof last);
    if (json) {
      fjson_object *o = fjson_object_new_object(), *ag = fjson_object_new_array();
      soc_json_add_str(o, "kind", c->kind);
      soc_json_add_str(o, "source", c->source);
      fjson_object_object_add(o, "agencies", fjson_object_new_int64((int64_t)(c->nag + c->more)));
      fjson_object_object_add(o, "alerts", fjson_object_new_int64(c->alerts));
      soc_json_add_str(o, "first_received", first);
      soc_json_add_str(o, "last_received", last);
      for (size_t k = 0; k < c->nag; k++) {
        fjson_object *a = fjson_object_new_object();
        soc_json_add_str(a, "agency", c->ag[k].agency);
        fjson_object_object_add(a, "alerts", fjson_object_new_int64(c->ag[k].alerts));
        fjson_object_array_add(ag, a);
      }
      fjson_object_object_add(o, "by_agency", ag);
      fjson_object_array_add(arr, o);
      continue;
    }
    if (!i)
      printf("%-18s %-40s %8s %7s  %-20s %s\n", "KIND", "SOURCE", "AGENCIES", "ALERTS",
             "FIRST RECEIVED", "LAST RECEIVED");
    printf("%-18s %-40s %8zu %7" PRId64 "  %-20s %s\n", c->kind, c->source, c->nag + c->more,
           c->alerts, first, last);
    for (size_t k = 0; k < c->nag; k++)
      printf("  %s: %" PRId64 " alert(s)\n", c->ag[k].agency, c->ag[k].alerts);
    if (c->more) printf("  ... and %zu more agencies\n", c->more);
  }
  if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(arr, FJSON_TO_STRING_PLAIN));
    fjson_object_put(arr);
  }
}

/* The campaigns of alerts received since since_ns, in g. */
static int gather_all(soc_centerdb *s, int64_t since_ns, gather *g) {
  int rc = soc_centerdb_alert_sources(s, since_ns, add_row, g);
  if (!rc) flush(g);
  if (!rc && g->oom) rc = -ENOMEM;
  return rc;
}

static void gather_clear(gather *g) {
  campaign_clear(&g->cur);
  for (size_t i = 0; i < g->n; i++) campaign_clear(&g->v[i]);
  free(g->v);
}

int soc_campaigns_scan(soc_centerdb *s, int64_t since_ns, soc_campaign_cb cb, void *arg) {
  gather g = {0};
  int rc = gather_all(s, since_ns, &g);
  for (size_t i = 0; !rc && i < g.n; i++) rc = cb(arg, &g.v[i]);
  gather_clear(&g);
  return rc;
}

/* Records a notice to each agency of g's campaigns not told before, in one
 * transaction; g gathered in it. 0 or a store error (said, rolled back). */
static int notify_all(const soc_collector_config *cfg, soc_centerdb *s, int64_t since_ns,
                      int64_t now_ns, int64_t *ns, size_t *made, gather *g) {
  int rc = soc_centerdb_begin(s);
  *made = 0;
  if (!rc) rc = gather_all(s, since_ns, g);
  for (size_t i = 0; !rc && i < g->n; i++)
    for (size_t k = 0; !rc && k < g->v[i].nag && *made < SOC_CAMPAIGN_NOTICES_MAX; k++) {
      int64_t n = 0;
      rc = notice(cfg, s, &g->v[i], &g->v[i].ag[k], now_ns, since_ns, &n);
      if (!rc && n) ns[(*made)++] = n;
    }
  if (!rc) rc = soc_centerdb_commit(s);
  if (rc) {
    fprintf(stderr, "soccollector: campaigns: %s\n",
            rc == -ENOMEM ? strerror(ENOMEM) : soc_centerdb_errmsg(s));
    if (soc_centerdb_in_transaction(s)) soc_centerdb_rollback(s);
    *made = 0;
  }
  return rc;
}

int soc_campaigns_notify(const soc_collector_config *cfg, soc_centerdb *s, int64_t since_ns,
                         int64_t now_ns, int64_t *ns, size_t *made) {
  gather g = {0};
  int rc = notify_all(cfg, s, since_ns, now_ns, ns, made, &g);
  gather_clear(&g);
  return rc;
}

int soc_campaigns_run(const soc_collector_config *cfg, soc_centerdb *s, int json, int64_t since_ns,
                      int64_t now_ns, int64_t *ns, size_t *made) {
  gather g = {0};
  int status = 1;
  if (notify_all(cfg, s, since_ns, now_ns, ns, made, &g)) goto out;
  print_campaigns(&g, json);
  if (*made && !json) printf("%zu notice(s) to agencies recorded\n", *made);
  status = 0;
out:
  gather_clear(&g);
  return status;
}
