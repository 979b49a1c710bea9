/*
 * socctl reports / report / file / review / recover / close / relevel /
 * investigation / set, and `deadlines` over the stored reports: the
 * reporting workflow at the analyst's command line.
 *
 *   socctl reports [--json] [--state S] [--now T]
 *   socctl report ID [--format json|stix|text] [--now T]
 *   socctl file ID --analyst NAME [--via platform|phone] [--at T]
 *   socctl review ID --analyst NAME [--result TEXT] [--at T]
 *   socctl recover ID --analyst NAME --status controlled|recovered [--at T]
 *   socctl close ID --analyst NAME [--at T]
 *   socctl relevel ID --level N --reason TEXT --analyst NAME [--at T]
 *   socctl investigation ID --analyst NAME [--at T]
 *   socctl set ID FIELD=VALUE... --analyst NAME       (socctl set --list)
 *   socctl deadlines [--overdue] [--json] [--now T]
 *
 * Each change is one transaction (socctl_tx): the report's new revision,
 * its audit entry, and its copy in the outbox for <prefix>.reports. --at
 * records when a thing happened when it is entered later (a phone call at
 * 10:20 typed in at 10:40); the audit entry keeps both times. --now
 * evaluates the clocks as of another time: drills (§5.2.1) and tests.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socctl.h"
#include "soc/tz.h"
#include "soc/deadline.h"
#include "soc/event.h"
#include "soc/json_obj.h"
#include "soc/report.h"
#include "soc/report_export.h"

#define MAX_SETS 32
#define MAX_DEADLINES 32

int soc_ctl_load_regime(const char *cmd, const soc_config *cfg, soc_regime **out) {
  soc_diag *diag = soc_diag_new();
  if (!diag) return 1;
  const char *dir = cfg->report.regimes_dir ? cfg->report.regimes_dir : soc_regime_default_dir();
  int rc = soc_regime_load_named(dir, cfg->report.regime, out, diag);
  if (rc < 0) {
    soc_diag_print(diag, stderr);
    fprintf(stderr, "socctl %s: deadline table '%s' not loaded\n", cmd, cfg->report.regime);
  }
  soc_diag_free(diag);
  return rc < 0 ? 1 : 0;
}

/* Stores r as its next revision and queues it for the center. */
static int save(socctl_tx *t, fjson_object *r, const soc_regime *g, int64_t now_ns) {
  if (soc_report_save(t->store, r, g, now_ns / 1000000000LL) < 0) {
    fprintf(stderr, "socctl %s: %s\n", t->cmd, soc_store_errmsg(t->store));
    return 1;
  }
  return 0;
}

/* ---- changes ---- */

typedef struct change_opts {
  int64_t id, at_ns;
  const char *analyst, *via, *result, *status, *reason;
  int level;
  const char *sets[MAX_SETS];
  size_t nsets;
} change_opts;

static void list_settable(void) {
  const char *help = NULL, *path;
  printf("form fields for `socctl set ID FIELD=VALUE`:\n");
  for (size_t i = 0; (path = soc_report_settable(i, &help)); i++)
    printf("  %-32s %s\n", path, help);
}

/* Returns 0; -1 when there is nothing more to do (--help, set --list);
 * or prints the problem and returns 2. */
static int parse_change(int argc, char **argv, change_opts *o) {
  enum { O_ANALYST = 1, O_VIA, O_RESULT, O_STATUS, O_REASON, O_AT, O_LEVEL, O_LIST };
  static const struct option opts[] = {{"analyst", required_argument, NULL, O_ANALYST},
                                       {"via", required_argument, NULL, O_VIA},
                                       {"result", required_argument, NULL, O_RESULT},
                                       {"status", required_argument, NULL, O_STATUS},
                                       {"reason", required_argument, NULL, O_REASON},
                                       {"at", required_argument, NULL, O_AT},
                                       {"level", required_argument, NULL, O_LEVEL},
                                       {"list", no_argument, NULL, O_LIST},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  int opt;
  memset(o, 0, sizeof *o);
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case O_ANALYST:
        o->analyst = optarg;
        break;
      case O_VIA:
        o->via = optarg;
        break;
      case O_RESULT:
        o->result = optarg;
        break;
      case O_STATUS:
        o->status = optarg;
        break;
      case O_REASON:
        o->reason = optarg;
        break;
      case O_AT:
        if (soc_ctl_parse_time(cmd, "--at", optarg, &o->at_ns)) return 2;
        break;
      case O_LEVEL:
        if (soc_ctl_parse_level(cmd, optarg, &o->level)) return 2;
        break;
      case O_LIST:
        if (strcmp(cmd, "set")) return soc_ctl_usage(cmd, stderr);
        list_settable();
        return -1;
      case 'h':
        soc_ctl_usage(cmd, stdout);
        return -1;
      default:
        return soc_ctl_usage(cmd, stderr);
    }
  }
  for (int i = optind; i < argc; i++) {
    const char *a = argv[i];
    if (!o->id) {
      if (soc_ctl_parse_id(a, &o->id) < 0) {
        fprintf(stderr, "socctl %s: \"%s\" is not a report id\n", cmd, a);
        return 2;
      }
    } else if (!strcmp(cmd, "set") && strchr(a, '=') && o->nsets < MAX_SETS) {
      o->sets[o->nsets++] = a;
    } else {
      fprintf(stderr, "socctl %s: unexpected \"%s\"\n", cmd, a);
      return soc_ctl_usage(cmd, stderr);
    }
  }
  if (!o->id) return soc_ctl_usage(cmd, stderr);
  if (!o->analyst || !*o->analyst) {
    fprintf(stderr, "socctl %s: --analyst NAME is required (who did it)\n", cmd);
    return 2;
  }
  if (!strcmp(cmd, "set") && !o->nsets) {
    fprintf(stderr, "socctl set: no FIELD=VALUE given\n");
    return soc_ctl_usage(cmd, stderr);
  }
  return 0;
}

/* Applies the command's change to r. Returns 0 or an exit status. */
static int apply(const char *cmd, const change_opts *o, fjson_object *r, int64_t at,
                 fjson_object *details) {
  char why[SOC_REPORT_WHY_MAX] = "";
  int rc = -EINVAL;
  if (!strcmp(cmd, "file")) {
    const char *via = o->via ? o->via : "platform";
    rc = soc_report_file(r, via, o->analyst, at, why, sizeof why);
    fjson_object_object_add(details, "via", fjson_object_new_string(via));
  } else if (!strcmp(cmd, "review")) {
    rc = soc_report_review(r, o->analyst, o->result ? o->result : "", "agent", at, why, sizeof why);
  } else if (!strcmp(cmd, "recover")) {
    int st = !o->status                         ? 0
             : !strcmp(o->status, "controlled") ? 2
             : !strcmp(o->status, "recovered")  ? 3
                                                : 0;
    rc = soc_report_recover(r, st, o->analyst, at, why, sizeof why);
    if (o->status) fjson_object_object_add(details, "status", fjson_object_new_string(o->status));
  } else if (!strcmp(cmd, "close")) {
    rc = soc_report_close(r, o->analyst, at, why, sizeof why);
  } else if (!strcmp(cmd, "relevel")) {
    fjson_object_object_add(details, "level_from", fjson_object_new_int(soc_report_level(r)));
    rc = soc_report_relevel(r, o->level, o->analyst, o->reason, at, why, sizeof why);
    fjson_object_object_add(details, "level_to", fjson_object_new_int(o->level));
    fjson_object_object_add(details, "reason", fjson_object_new_string(o->reason ? o->reason : ""));
  } else if (!strcmp(cmd, "investigation")) {
    rc = soc_report_investigation(r, o->analyst, at, why, sizeof why);
  } else if (!strcmp(cmd, "set")) {
    fjson_object *f = fjson_object_new_object();
    fjson_object_object_add(details, "fields", f);
    for (size_t i = 0; i < o->nsets; i++) {
      char path[128];
      const char *eq = strchr(o->sets[i], '=');
      snprintf(path, sizeof path, "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
      if ((rc = soc_report_set(r, path, eq + 1, why, sizeof why)) < 0) break;
      fjson_object_object_add(f, path, fjson_object_new_string(eq + 1));
    }
  }
  if (rc < 0) {
    fprintf(stderr, "socctl %s: %s\n", cmd, why);
    return rc == -ENOMEM ? 1 : 2;
  }
  return 0;
}

int soc_ctl_report_change(const socctl_env *env, int argc, char **argv) {
  const char *cmd = argv[0];
  change_opts o;
  int status = parse_change(argc, argv, &o);
  if (status) return status < 0 ? 0 : status;
  socctl_tx t;
  soc_report_row row = {0};
  soc_regime *g = NULL;
  fjson_object *r = NULL, *details = fjson_object_new_object();
  int64_t now = soc_now_real_ns(), at = o.at_ns ? o.at_ns : now;
  char from[SOC_REPORT_STATE_MAX] = "", object[48];
  if ((status = soc_ctl_tx_open(&t, env, cmd))) goto out;
  if ((status = soc_ctl_load_regime(cmd, t.cfg, &g))) goto out;
  int rc = soc_store_report_get(t.store, o.id, &row);
  if (rc == -ENOENT) {
    fprintf(stderr, "socctl %s: no report %lld (a draft becomes a report when confirmed)\n", cmd,
            (long long)o.id);
    status = 2;
    goto out;
  }
  if (rc < 0 || !(r = soc_json_parse_object(row.body))) {
    fprintf(stderr, "socctl %s: report %lld: %s\n", cmd, (long long)o.id,
            rc < 0 ? soc_store_errmsg(t.store) : "its stored document is not JSON");
    status = 1;
    goto out;
  }
  snprintf(from, sizeof from, "%s", row.state);
  if ((status = apply(cmd, &o, r, at, details))) goto out;
  {
    char ts[SOC_EVENT_TIME_BUF];
    soc_event_format_time(at, 3, ts, sizeof ts);
    fjson_object_object_add(details, "at", fjson_object_new_string(ts));
  }
  fjson_object_object_add(details, "state_from", fjson_object_new_string(from));
  fjson_object_object_add(details, "state_to",
                          fjson_object_new_string(soc_report_state_name(soc_report_state_of(r))));
  if ((status = save(&t, r, g, now))) goto out;
  snprintf(object, sizeof object, "report:%lld", (long long)o.id);
  status = soc_ctl_tx_audit(&t, o.analyst, object, details);
out:
  status = soc_ctl_tx_close(&t, status);
  if (!status)
    printf("report %lld: %s by %s; state %s → %s, level %d\n", (long long)o.id, cmd, o.analyst,
           from, soc_report_state_name(soc_report_state_of(r)), soc_report_level(r));
  if (r) fjson_object_put(r);
  fjson_object_put(details);
  soc_report_row_clear(&row);
  soc_regime_free(g);
  return status;
}

/* ---- reading ---- */

/* The step due soonest that is not done: for listings. OUT: *d. 0 when none. */
static int next_due(fjson_object *r, const soc_regime *g, int64_t now_s, soc_deadline *d) {
  soc_deadline rows[MAX_DEADLINES];
  size_t n = 0;
  int found = 0;
  if (soc_report_deadlines(r, g, now_s, rows, MAX_DEADLINES, &n) < 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (rows[i].done || rows[i].status == SOC_DEADLINE_WAITING) continue;
    if (!found || rows[i].due < d->due) *d = rows[i];
    found = 1;
  }
  return found;
}

typedef struct view {
  const soc_config *cfg;
  const soc_regime *g;
  int64_t now_s;
  int json, overdue_only;
  fjson_object *arr;
  size_t n;
} view;

static const char *mark(const view *v, const soc_deadline *d) {
  if (d->status == SOC_DEADLINE_OVERDUE) return "OVERDUE";
  if (d->due - v->now_s <= v->cfg->report.warn_before) return "DUE SOON";
  return "";
}

static int list_one(void *arg, const soc_report_row *row) {
  view *v = arg;
  fjson_object *r = soc_json_parse_object(row->body);
  if (!r) return 0;
  soc_deadline d = {0};
  int has = next_due(r, v->g, v->now_s, &d);
  char left[48] = "-", due[SOC_EVENT_TIME_BUF] = "-";
  if (has) {
    soc_ctl_fmt_left(d.due - v->now_s, left, sizeof left);
    soc_event_format_time(d.due * 1000000000LL, 0, due, sizeof due);
  }
  const char *hosts = "";
  fjson_object *ev = NULL, *h = NULL;
  if (fjson_object_object_get_ex(r, "event", &ev) && fjson_object_object_get_ex(ev, "hosts", &h) &&
      fjson_object_array_length(h) > 0)
    hosts = fjson_object_get_string(fjson_object_array_get_idx(h, 0));
  if (v->json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "id", fjson_object_new_int64(row->id));
    fjson_object_object_add(o, "report", fjson_object_new_string(soc_report_str(r, "id")));
    fjson_object_object_add(o, "state", fjson_object_new_string(row->state));
    fjson_object_object_add(o, "level", fjson_object_new_int(row->level));
    fjson_object_object_add(o, "revision", fjson_object_new_int64(row->revision));
    const char *cat = soc_report_str(r, "event.category");
    fjson_object_object_add(o, "category", fjson_object_new_string(cat ? cat : ""));
    fjson_object_object_add(o, "host", fjson_object_new_string(hosts));
    if (has) {
      fjson_object *n = fjson_object_new_object();
      fjson_object_object_add(n, "step", fjson_object_new_string(d.step->id));
      fjson_object_object_add(n, "due", fjson_object_new_string(due));
      fjson_object_object_add(n, "left_s", fjson_object_new_int64(d.due - v->now_s));
      fjson_object_object_add(n, "status",
                              fjson_object_new_string(soc_deadline_status_name(d.status)));
      fjson_object_object_add(n, "mark", fjson_object_new_string(mark(v, &d)));
      fjson_object_object_add(o, "next", n);
    }
    fjson_object_array_add(v->arr, o);
  } else {
    const char *cat = soc_report_str(r, "event.category");
    printf("%-5lld %-5d %-10s %-17s %-14s %-14s %-20s %-22s %s\n", (long long)row->id, row->level,
           row->state, cat ? cat : "", hosts, has ? d.step->id : "-", due, left,
           has ? mark(v, &d) : "");
  }
  v->n++;
  fjson_object_put(r);
  return 0;
}

static int view_open(view *v, const char *cmd, soc_config *cfg, soc_regime **g, int64_t now_ns) {
  memset(v, 0, sizeof *v);
  v->cfg = cfg;
  v->now_s = (now_ns ? now_ns : soc_now_real_ns()) / 1000000000LL;
  int status = soc_ctl_load_regime(cmd, cfg, g);
  v->g = *g;
  return status;
}

int soc_ctl_reports(const socctl_env *env, int argc, char **argv) {
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  soc_regime *g = NULL;
  view v;
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"state", required_argument, NULL, 's'},
                                       {"now", required_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, status, opt;
  const char *state = NULL;
  int64_t now = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        json = 1;
        break;
      case 's':
        state = optarg;
        break;
      case 'n':
        if (soc_ctl_parse_time("reports", "--now", optarg, &now)) return 2;
        break;
      case 'h':
        return soc_ctl_usage(argv[0], stdout);
      default:
        return soc_ctl_usage(argv[0], stderr);
    }
  }
  if (optind < argc) return soc_ctl_usage(argv[0], stderr);
  if (state && soc_report_state_parse(state) < 0) {
    fprintf(stderr,
            "socctl reports: unknown state '%s' (confirmed, reported, reviewed, "
            "contained, recovered, closed)\n",
            state);
    return 2;
  }
  if ((status = soc_ctl_open_store(env, &cfg, &store))) return status;
  if ((status = view_open(&v, "reports", cfg, &g, now))) goto out;
  v.json = json;
  if (json)
    v.arr = fjson_object_new_array();
  else
    printf("%-5s %-5s %-10s %-17s %-14s %-14s %-20s %-22s %s\n", "ID", "LEVEL", "STATE", "CATEGORY",
           "HOST", "NEXT STEP", "DUE", "LEFT", "");
  if (soc_store_reports_scan(store, state, list_one, &v) < 0) {
    fprintf(stderr, "socctl reports: %s\n", soc_store_errmsg(store));
    status = 1;
  } else if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(v.arr, FJSON_TO_STRING_PRETTY));
  }
out:
  if (v.arr) fjson_object_put(v.arr);
  soc_regime_free(g);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

int soc_ctl_report(const socctl_env *env, int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"now", required_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *format = "json";
  int64_t id = 0, now = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'f':
        format = optarg;
        break;
      case 'n':
        if (soc_ctl_parse_time("report", "--now", optarg, &now)) return 2;
        break;
      case 'h':
        return soc_ctl_usage(argv[0], stdout);
      default:
        return soc_ctl_usage(argv[0], stderr);
    }
  }
  if (optind != argc - 1 || soc_ctl_parse_id(argv[optind], &id) < 0 ||
      (strcmp(format, "json") && strcmp(format, "stix") && strcmp(format, "text")))
    return soc_ctl_usage(argv[0], stderr);
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  soc_regime *g = NULL;
  soc_report_row row = {0};
  fjson_object *r = NULL;
  char *out_text = NULL;
  view v;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  if ((status = view_open(&v, "report", cfg, &g, now))) goto out;
  status = 1;
  int rc = soc_store_report_get(store, id, &row);
  if (rc == -ENOENT) {
    fprintf(stderr, "socctl report: no report %lld\n", (long long)id);
    status = 2;
    goto out;
  }
  if (rc < 0 || !(r = soc_json_parse_object(row.body))) {
    fprintf(stderr, "socctl report: %lld: %s\n", (long long)id,
            rc < 0 ? soc_store_errmsg(store) : "its stored document is not JSON");
    goto out;
  }
  /* the clocks as of now, without making a new revision */
  soc_report_refresh_deadlines(r, g, v.now_s);
  if (!strcmp(format, "json")) {
    printf("%s\n", fjson_object_to_json_string_ext(r, FJSON_TO_STRING_PRETTY));
    status = 0;
  } else if ((!strcmp(format, "stix") ? soc_report_export_stix(r, &out_text)
                                      : soc_report_export_text(r, v.now_s, &out_text)) == 0) {
    fputs(out_text, stdout);
    status = 0;
  } else {
    fprintf(stderr, "socctl report: %lld: cannot render it as %s\n", (long long)id, format);
  }
out:
  free(out_text);
  if (r) fjson_object_put(r);
  soc_report_row_clear(&row);
  soc_regime_free(g);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

/* ---- deadlines of the stored reports ---- */

static int deadlines_one(void *arg, const soc_report_row *row) {
  view *v = arg;
  soc_deadline d[MAX_DEADLINES];
  size_t n = 0;
  fjson_object *r = soc_json_parse_object(row->body);
  if (!r) return 0;
  if (soc_report_deadlines(r, v->g, v->now_s, d, MAX_DEADLINES, &n) < 0) n = 0;
  for (size_t i = 0; i < n; i++) {
    if (v->overdue_only && (d[i].status != SOC_DEADLINE_OVERDUE || d[i].done)) continue;
    if (!v->overdue_only && d[i].status == SOC_DEADLINE_WAITING) continue;
    char due[SOC_EVENT_TIME_BUF] = "-", done[SOC_EVENT_TIME_BUF] = "", left[48] = "";
    soc_event_format_time(d[i].due * 1000000000LL, 0, due, sizeof due);
    if (d[i].done)
      soc_event_format_time(d[i].done * 1000000000LL, 0, done, sizeof done);
    else
      soc_ctl_fmt_left(d[i].due - v->now_s, left, sizeof left);
    if (v->json) {
      fjson_object *o = fjson_object_new_object();
      fjson_object_object_add(o, "report", fjson_object_new_int64(row->id));
      fjson_object_object_add(o, "level", fjson_object_new_int(row->level));
      fjson_object_object_add(o, "step", fjson_object_new_string(d[i].step->id));
      fjson_object_object_add(o, "who", fjson_object_new_string(d[i].step->who));
      fjson_object_object_add(o, "due", fjson_object_new_string(due));
      if (*done)
        fjson_object_object_add(o, "done", fjson_object_new_string(done));
      else
        fjson_object_object_add(o, "left_s", fjson_object_new_int64(d[i].due - v->now_s));
      fjson_object_object_add(o, "status",
                              fjson_object_new_string(soc_deadline_status_name(d[i].status)));
      fjson_object_object_add(o, "mark", fjson_object_new_string(d[i].done ? "" : mark(v, &d[i])));
      fjson_object_array_add(v->arr, o);
    } else {
      printf("%-6lld %-5d %-14s %-11s %-20s %-8s %-22s %s\n", (long long)row->id, row->level,
             d[i].step->id, d[i].step->who, due, soc_deadline_status_name(d[i].status),
             *done ? done : left, d[i].done ? "" : mark(v, &d[i]));
    }
    v->n++;
  }
  fjson_object_put(r);
  return 0;
}

int soc_ctl_report_deadlines(const socctl_env *env, int json, int overdue, int64_t now) {
  int status;
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  soc_regime *g = NULL;
  view v;
  if ((status = soc_ctl_open_store(env, &cfg, &store))) return status;
  if ((status = view_open(&v, "deadlines", cfg, &g, now))) goto out;
  v.json = json;
  v.overdue_only = overdue;
  if (json)
    v.arr = fjson_object_new_array();
  else
    printf("%-6s %-5s %-14s %-11s %-20s %-8s %-22s %s\n", "REPORT", "LEVEL", "STEP", "WHO", "DUE",
           "STATUS", "LEFT / DONE", "");
  if (soc_store_reports_scan(store, NULL, deadlines_one, &v) < 0) {
    fprintf(stderr, "socctl deadlines: %s\n", soc_store_errmsg(store));
    status = 1;
  } else if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(v.arr, FJSON_TO_STRING_PRETTY));
  } else if (!v.n) {
    printf(overdue ? "(nothing overdue)\n" : "(no open clocks)\n");
  }
  /* --overdue exits 3 when something is overdue, so monitoring can alarm on it */
  if (!status && overdue && v.n) status = 3;
out:
  if (v.arr) fjson_object_put(v.arr);
  soc_regime_free(g);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}
