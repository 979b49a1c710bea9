/*
 * socctl deadlines — the legal clocks: of the stored reports (socctl_report.c),
 * or of one incident from a regime table:
 *
 *   socctl deadlines --regime tw-2026 --level 3 --discovered T [--reported T]
 *       [--reviewed T] [--recovered T] [--classified T] [--done STEP=T]...
 *       [--now T] [--json] [--regimes-dir DIR]
 *
 * One option table serves both: the incident's options (--regime, --level,
 * an anchor time, --done, --regimes-dir) select the second form, and
 * --overdue, which only the first has, cannot go with them.
 *
 * An analyst deciding on a level wants to see what each level would demand
 * and by when, before the store holds the incident: so this command takes
 * the times on the command line and needs no config or store. Times are
 * ISO 8601 (2026-01-05T09:30Z, 2026-01-05T17:30+08:00, or without a zone:
 * UTC) or @EPOCH. Output is in UTC so it compares with the platform's logs.
 *
 * The tables are found in ./rules/deadlines when run from the source tree
 * (developers, the demo), else in the installed SOC_DATADIR/rules/deadlines.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "socctl.h"
#include "soc/deadline.h"
#include "soc/schema.h"
#include "soc/tz.h"

#define MAX_DONE 16
#define MAX_ROWS 64

static void fmt_time(int64_t t, char *buf, size_t len) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, len, "-");
}

static void fmt_within(const soc_deadline_step *s, char *buf, size_t len) {
  if (s->within_months)
    snprintf(buf, len, "%dmo", s->within_months);
  else if (s->within_s % 3600 == 0)
    snprintf(buf, len, "%lldh", (long long)(s->within_s / 3600));
  else
    snprintf(buf, len, "%llds", (long long)s->within_s);
}

static void print_row(const soc_deadline *d, int64_t now, fjson_object *arr) {
  const soc_deadline_step *s = d->step;
  char due[32], done[32], within[24], left[48];
  fmt_time(d->due, due, sizeof due);
  fmt_time(d->done, done, sizeof done);
  fmt_within(s, within, sizeof within);
  if (d->status == SOC_DEADLINE_WAITING)
    snprintf(left, sizeof left, "waiting for %s", soc_deadline_anchor_name(s->from));
  else if (d->done)
    snprintf(left, sizeof left, "done %s", done);
  else
    soc_ctl_fmt_left(d->due - now, left, sizeof left);
  if (arr) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "step", fjson_object_new_string(s->id));
    fjson_object_object_add(o, "title", fjson_object_new_string(s->title));
    if (s->title_zh) fjson_object_object_add(o, "title_zh", fjson_object_new_string(s->title_zh));
    fjson_object_object_add(o, "who", fjson_object_new_string(s->who));
    if (s->clause) fjson_object_object_add(o, "clause", fjson_object_new_string(s->clause));
    fjson_object_object_add(o, "from", fjson_object_new_string(soc_deadline_anchor_name(s->from)));
    fjson_object_object_add(o, "within", fjson_object_new_string(within));
    fjson_object_object_add(o, "status",
                            fjson_object_new_string(soc_deadline_status_name(d->status)));
    if (d->due) {
      fjson_object_object_add(o, "due", fjson_object_new_string(due));
      if (!d->done) fjson_object_object_add(o, "left_s", fjson_object_new_int64(d->due - now));
    }
    if (d->done) fjson_object_object_add(o, "done", fjson_object_new_string(done));
    fjson_object_array_add(arr, o);
    return;
  }
  printf("%-15s %-10s %-6s %-14s %-20s %-8s %-26s %s%s%s\n", s->id, s->who, within,
         soc_deadline_anchor_name(s->from), due, soc_deadline_status_name(d->status), left,
         s->title, s->title_zh ? " " : "", s->title_zh ? s->title_zh : "");
}

/* A time option's value into *dst (seconds); prints the problem. */
static int parse_at(const char *opt, const char *v, int64_t *dst) {
  if (soc_time_parse(v, dst) == 0) return 0;
  fprintf(stderr,
          "socctl deadlines: --%s: '%s' is not a time; expected e.g. "
          "2026-01-05T09:30Z, 2026-01-05T17:30+08:00 or @1767605400\n",
          opt, v);
  return -1;
}

int soc_ctl_deadlines(const socctl_env *env, int argc, char **argv) {
  enum { O_REGIME = 1, O_DIR, O_LEVEL, O_DONE, O_NOW, O_JSON, O_OVERDUE, O_ANCHOR = 100 };
  static const struct option opts[] = {
      {"regime", required_argument, NULL, O_REGIME},
      {"regimes-dir", required_argument, NULL, O_DIR},
      {"level", required_argument, NULL, O_LEVEL},
      {"discovered", required_argument, NULL, O_ANCHOR + SOC_ANCHOR_DISCOVERY},
      {"reported", required_argument, NULL, O_ANCHOR + SOC_ANCHOR_REPORT},
      {"reviewed", required_argument, NULL, O_ANCHOR + SOC_ANCHOR_REVIEW},
      {"recovered", required_argument, NULL, O_ANCHOR + SOC_ANCHOR_RECOVERY},
      {"classified", required_argument, NULL, O_ANCHOR + SOC_ANCHOR_CLASSIFICATION},
      {"done", required_argument, NULL, O_DONE},
      {"now", required_argument, NULL, O_NOW},
      {"json", no_argument, NULL, O_JSON},
      {"overdue", no_argument, NULL, O_OVERDUE},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int result = 2, json = 0, overdue = 0, incident = 0, level = 0, opt;
  const char *regime = NULL, *dir = NULL, *now_arg = NULL;
  soc_incident_times t = {0};
  soc_step_done done[MAX_DONE];
  char done_ids[MAX_DONE][64];
  soc_deadline rows[MAX_ROWS];
  soc_regime *r = NULL;
  soc_diag *diag = NULL;
  size_t n = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    /* what only the second form has */
    incident |= opt == O_REGIME || opt == O_DIR || opt == O_LEVEL || opt == O_DONE ||
                (opt >= O_ANCHOR && opt < O_ANCHOR + SOC_ANCHOR_COUNT);
    switch (opt) {
      case O_REGIME:
        regime = optarg;
        break;
      case O_DIR:
        dir = optarg;
        break;
      case O_LEVEL:
        if (soc_ctl_parse_level("deadlines", optarg, &level)) goto out;
        break;
      case O_DONE: {
        const char *eq = strchr(optarg, '=');
        size_t idlen = eq ? (size_t)(eq - optarg) : 0;
        if (!eq || !idlen || idlen >= sizeof done_ids[0] || t.ndone >= MAX_DONE ||
            soc_time_parse(eq + 1, &done[t.ndone].at) < 0) {
          fprintf(stderr, "socctl deadlines: --done wants STEP=TIME (at most %d), not '%s'\n",
                  MAX_DONE, optarg);
          goto out;
        }
        memcpy(done_ids[t.ndone], optarg, idlen);
        done_ids[t.ndone][idlen] = '\0';
        done[t.ndone].step = done_ids[t.ndone];
        t.ndone++;
        t.done = done;
        break;
      }
      case O_NOW:
        now_arg = optarg;
        break;
      case O_JSON:
        json = 1;
        break;
      case O_OVERDUE:
        overdue = 1;
        break;
      case 'h':
        result = soc_ctl_usage("deadlines", stdout);
        goto out;
      default:
        if (opt >= O_ANCHOR && opt < O_ANCHOR + SOC_ANCHOR_COUNT) {
          const struct option *o = opts;
          while (o->val != opt) o++;
          if (parse_at(o->name, optarg, &t.at[opt - O_ANCHOR]) < 0) goto out;
          break;
        }
        result = soc_ctl_usage("deadlines", stderr);
        goto out;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "socctl deadlines: unexpected argument '%s'\n", argv[optind]);
    result = soc_ctl_usage("deadlines", stderr);
    goto out;
  }
  if (!incident) {
    int64_t now_ns = 0;
    result = now_arg ? soc_ctl_parse_time("deadlines", "--now", now_arg, &now_ns) : 0;
    if (!result) result = soc_ctl_report_deadlines(env, json, overdue, now_ns);
    goto out;
  }
  if (overdue) {
    fprintf(stderr,
            "socctl deadlines: --overdue is for the stored reports' clocks, not with "
            "--regime, --level or incident times\n");
    result = soc_ctl_usage("deadlines", stderr);
    goto out;
  }
  if (now_arg && parse_at("now", now_arg, &t.now) < 0) goto out;
  if (!regime || !level || !t.at[SOC_ANCHOR_DISCOVERY]) {
    fprintf(stderr, "socctl deadlines: --regime, --level and --discovered are required\n");
    result = soc_ctl_usage("deadlines", stderr);
    goto out;
  }
  if (!t.now) t.now = (int64_t)time(NULL);
  result = 1;
  diag = soc_diag_new();
  if (!diag) goto out;
  if (!dir) dir = soc_regime_default_dir();
  if (soc_regime_load_named(dir, regime, &r, diag) < 0) {
    soc_diag_print(diag, stderr);
    fprintf(stderr, "socctl deadlines: regime '%s' not loaded (from %s)\n", regime, dir);
    goto out;
  }
  if (soc_deadlines_compute(r, level, &t, rows, MAX_ROWS, &n) < 0) {
    fprintf(stderr, "socctl deadlines: %s has more than %d steps for level %d\n", regime, MAX_ROWS,
            level);
    goto out;
  }
  for (size_t i = 0; i < t.ndone; i++) {
    size_t j = 0;
    while (j < soc_regime_nsteps(r) && strcmp(soc_regime_step(r, j)->id, done[i].step)) j++;
    if (j == soc_regime_nsteps(r))
      fprintf(stderr, "socctl deadlines: warning: %s has no step '%s'\n", regime, done[i].step);
  }
  if (json) {
    char now[32];
    fjson_object *o = fjson_object_new_object(), *arr = fjson_object_new_array();
    fmt_time(t.now, now, sizeof now);
    fjson_object_object_add(o, "regime", fjson_object_new_string(soc_regime_id(r)));
    fjson_object_object_add(o, "source", fjson_object_new_string(soc_regime_source(r)));
    fjson_object_object_add(o, "level", fjson_object_new_int(level));
    fjson_object_object_add(o, "now", fjson_object_new_string(now));
    for (size_t i = 0; i < n; i++) print_row(&rows[i], t.now, arr);
    fjson_object_object_add(o, "deadlines", arr);
    printf("%s\n", fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PRETTY));
    fjson_object_put(o);
  } else {
    char now[32];
    fmt_time(t.now, now, sizeof now);
    printf("%s, level %d, now %s\n%s\n\n", soc_regime_title(r), level, now, soc_regime_source(r));
    printf("%-15s %-10s %-6s %-14s %-20s %-8s %-26s %s\n", "STEP", "WHO", "WITHIN", "FROM", "DUE",
           "STATUS", "LEFT", "WHAT");
    for (size_t i = 0; i < n; i++) print_row(&rows[i], t.now, NULL);
  }
  result = 0;
out:
  soc_regime_free(r);
  soc_diag_free(diag);
  return result;
}
