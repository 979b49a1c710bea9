/*
 * socctl alerts — every rule firing the agent kept (docs/TRIAGE.md).
 *
 *   socctl -c FILE alerts [--notices] [--json]
 *
 * An alert is monitoring data for the technical center, with no clock: an
 * attempt, a probe, a scan, or a member of a draft. Each line says which
 * draft took it in ("-": none), so an analyst sees the attempts beside the
 * short list of drafts and can promote one (socctl promote). The technical
 * center's notices (a source alerting at several agencies) follow them;
 * --notices lists only those (with --json, as JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <string.h>

#include "socctl.h"
#include "soc/event.h"

typedef struct alerts_ctx {
  int json;
  fjson_object *arr;
  size_t n;
} alerts_ctx;

/* rule.<what> of the alert's body, "" when it has none. */
static const char *rule_field(fjson_object *body, const char *what) {
  fjson_object *ru = NULL, *v = NULL;
  if (body && fjson_object_object_get_ex(body, "rule", &ru) &&
      fjson_object_object_get_ex(ru, what, &v))
    return fjson_object_get_string(v);
  return "";
}

static int list_alert(void *arg, const soc_alert_row *a) {
  alerts_ctx *c = arg;
  char first[40], last[40];
  if (soc_event_format_time(a->first_ns, 0, first, sizeof first) < 0)
    snprintf(first, sizeof first, "-");
  if (soc_event_format_time(a->last_ns, 0, last, sizeof last) < 0) snprintf(last, sizeof last, "-");
  fjson_object *body = fjson_tokener_parse(a->body);
  if (c->json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "id", fjson_object_new_int64(a->id));
    fjson_object_object_add(o, "rule", fjson_object_new_string(a->rule));
    fjson_object_object_add(o, "title", fjson_object_new_string(rule_field(body, "name")));
    if (*rule_field(body, "author"))
      fjson_object_object_add(o, "author", fjson_object_new_string(rule_field(body, "author")));
    fjson_object_object_add(o, "key", fjson_object_new_string(a->key));
    fjson_object_object_add(o, "host", fjson_object_new_string(a->host));
    fjson_object_object_add(o, "asset", fjson_object_new_string(a->asset));
    fjson_object_object_add(o, "impact", fjson_object_new_string(a->impact));
    fjson_object_object_add(o, "level", fjson_object_new_int(a->level));
    fjson_object_object_add(o, "count", fjson_object_new_int64(a->count));
    fjson_object_object_add(o, "first_seen", fjson_object_new_string(first));
    fjson_object_object_add(o, "last_seen", fjson_object_new_string(last));
    fjson_object_object_add(o, "draft", fjson_object_new_int64(a->draft));
    fjson_object_array_add(c->arr, o);
  } else {
    char draft[24];
    if (!c->n)
      printf("%-6s %-7s %-14s %-16s %-24s %6s  %-20s %-20s %s\n", "ID", "IMPACT", "RULE", "HOST",
             "KEY", "COUNT", "FIRST SEEN", "LAST SEEN", "DRAFT");
    snprintf(draft, sizeof draft, a->draft ? "%lld" : "-", (long long)a->draft);
    printf("%-6lld %-7s %-14.14s %-16.16s %-24.24s %6lld  %-20s %-20s %s\n", (long long)a->id,
           a->impact, a->rule, a->host, a->key, (long long)a->count, first, last, draft);
    /* DRL 1.1: a view of a Sigma rule's matches names the rule's author */
    if (*rule_field(body, "author")) printf("       by %s\n", rule_field(body, "author"));
  }
  if (body) fjson_object_put(body);
  c->n++;
  return 0;
}

/* The technical center's notices: a source it saw alerting at several
 * agencies, this one among them. */
static int list_notice(void *arg, const char *id, int64_t at_ns, const char *kind,
                       const char *source, const char *body) {
  alerts_ctx *c = arg;
  char at[40];
  fjson_object *o = fjson_tokener_parse(body), *v = NULL;
  const char *reason =
      o && fjson_object_object_get_ex(o, "reason", &v) ? fjson_object_get_string(v) : "";
  if (soc_event_format_time(at_ns, 0, at, sizeof at) < 0) snprintf(at, sizeof at, "-");
  if (c->json) {
    fjson_object *n = fjson_object_new_object();
    fjson_object_object_add(n, "id", fjson_object_new_string(id));
    fjson_object_object_add(n, "at", fjson_object_new_string(at));
    fjson_object_object_add(n, "kind", fjson_object_new_string(kind));
    fjson_object_object_add(n, "source", fjson_object_new_string(source));
    fjson_object_object_add(n, "reason", fjson_object_new_string(reason ? reason : ""));
    fjson_object_array_add(c->arr, n);
  } else {
    if (!c->n) printf("notices from the technical center:\n");
    printf("  %s  %s  %s\n", at, id, reason ? reason : "");
  }
  c->n++;
  if (o) fjson_object_put(o);
  return 0;
}

int soc_ctl_alerts(const socctl_env *env, int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"notices", no_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, notices = 0, opt;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        json = 1;
        break;
      case 'n':
        notices = 1;
        break;
      case 'h':
        return soc_ctl_usage(argv[0], stdout);
      default:
        return soc_ctl_usage(argv[0], stderr);
    }
  }
  if (optind < argc) return soc_ctl_usage(argv[0], stderr);
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  alerts_ctx c = {.json = json, .arr = fjson_object_new_array()};
  int rc = notices ? 0 : soc_store_alerts_scan(store, -1, list_alert, &c);
  if (rc == 0 && !notices && !json && !c.n) printf("no alerts\n");
  alerts_ctx n = {.json = json, .arr = c.arr};
  /* the notices follow the alerts on screen; --json shows one or the other */
  if (rc == 0 && (notices || !json)) rc = soc_store_notices_scan(store, list_notice, &n);
  if (rc < 0) {
    fprintf(stderr, "socctl alerts: %s\n", soc_store_errmsg(store));
    status = 1;
  } else if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(c.arr, FJSON_TO_STRING_PLAIN));
  }
  fjson_object_put(c.arr);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}
