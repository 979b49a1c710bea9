/*
 * socctl rules — trying log rules on log lines, the operator's logtest.
 *
 *   socctl rules test -r RULEFILE [-r RULEFILE...] [--sigma PATH...] [--timezone Z] [--json]
 *                     [--max-keys N] [--quiet] [--stats] [--no-prefilter]
 *                     [--format syslog|json|auditd|access [--time-field P] [--host-field P]]
 *                     [LOGFILE...]
 *
 * Each line (from the files, or stdin) is parsed as syslog exactly as the
 * agent does, received "now", then matched and correlated by the same code
 * the detector runs, and every firing is printed: rule, key, count, first
 * and last event time, and the line. Correlation runs on event time, so a
 * log file from last week fires here as it did (or would have) live.
 *
 * Any error in a rule file is printed with FILE:LINE:COL and the command
 * stops before reading a line: a test against half a rule set would answer
 * the wrong question. --stats prints the CPU time spent matching and
 * correlating apart from parsing, which is what bench/rules.sh measures.
 *
 * Sigma rules (--sigma, docs/SIGMA.md) load beside ours; each one refused
 * is a warning with its reason, and the summary (loaded, refused by
 * reason) is printed before any line is read. --format json reads each
 * line as the agent's `format: json` inputs do (Windows events as JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socctl.h"
#include "soc/correlate.h"
#include "soc/diag.h"
#include "soc/access_log.h"
#include "soc/auditd.h"
#include "soc/config.h"
#include "soc/event.h"
#include "soc/json_event.h"
#include "soc/rules.h"
#include "soc/schema.h"
#include "soc/syslog.h"
#include "soc/utf8.h"
#include "soc/tz.h"

#define LINE_MAX_BYTES (64 * 1024) /* what the syslog inputs accept per message */
#define MAX_RULE_FILES 4096

/* Lines are parsed and matched a batch at a time, so that --stats can time
 * the two phases apart with a few clock reads per batch: the process CPU
 * clock is a system call, and one per line would cost more than matching. */
#define BATCH_LINES 1024
#define BATCH_BYTES (1024 * 1024)

typedef struct test_state {
  const soc_rules *rules;
  soc_correlator *corr;
  soc_match_ctx *ctx;
  soc_event *ev;     /* the event being matched: one of evs */
  soc_event *closed; /* a decided window's (soc_correlator_key_event) */
  soc_event *evs[BATCH_LINES];
  int64_t ts[BATCH_LINES];
  size_t off[BATCH_LINES], lens[BATCH_LINES];
  size_t nbatch;
  char *buf; /* the batch's lines, BATCH_BYTES + LINE_MAX_BYTES */
  size_t used;
  soc_syslog_opts opts;
  soc_json_event_opts jopts;
  int json, quiet, json_in, auditd_in, access_in;
  const char *line;
  size_t len;
  uint64_t lines, cut, hits, fires;
  int64_t cur_ts;
  double cpu_match, cpu_parse;
  int failed;
} test_state;

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fmt_time(int64_t ns, char buf[SOC_EVENT_TIME_BUF]) {
  if (soc_event_format_time(ns, 3, buf, SOC_EVENT_TIME_BUF) < 0) snprintf(buf, 8, "?");
}

static void print_fire(test_state *s, const soc_fire *f) {
  char first[SOC_EVENT_TIME_BUF], last[SOC_EVENT_TIME_BUF];
  char *text = malloc(SOC_UTF8_REPAIRED_MAX(s->len) + 1);
  size_t tlen = 0;
  if (!text) {
    s->failed = 1;
    return;
  }
  /* the line as text: a raw byte would make the JSON (or a terminal) lie */
  soc_utf8_repair(s->line, s->len, text, SOC_UTF8_REPAIRED_MAX(s->len) + 1, &tlen, NULL);
  fmt_time(f->first_ns, first);
  fmt_time(f->last_ns, last);
  if (!s->json) {
    /* DRL 1.1: a view of a Sigma rule's matches names the rule's author */
    if (soc_rule_is_sigma(f->rule))
      printf("%s key=%s count=%zu first=%s last=%s level=%s author=\"%s\": %s\n",
             soc_rule_id(f->rule), f->key[0] ? f->key : "-", f->count, first, last,
             soc_rule_level(f->rule), soc_rule_author(f->rule), text);
    else
      printf("%s key=%s count=%zu first=%s last=%s: %s\n", soc_rule_id(f->rule),
             f->key[0] ? f->key : "-", f->count, first, last, text);
    free(text);
    return;
  }
  struct fjson_object *o = fjson_object_new_object(), *evj = NULL;
  char *json = NULL;
  if (o && soc_event_to_json(s->ev, &json, NULL) == 0) evj = fjson_tokener_parse(json);
  if (!o) {
    free(text);
    s->failed = 1;
    return;
  }
  fjson_object_object_add(o, "rule", fjson_object_new_string(soc_rule_id(f->rule)));
  fjson_object_object_add(o, "title", fjson_object_new_string(soc_rule_title(f->rule)));
  if (soc_rule_is_sigma(f->rule)) {
    fjson_object_object_add(o, "level", fjson_object_new_string(soc_rule_level(f->rule)));
    fjson_object_object_add(o, "author", fjson_object_new_string(soc_rule_author(f->rule)));
  }
  fjson_object_object_add(o, "key", fjson_object_new_string(f->key));
  fjson_object_object_add(o, "count", fjson_object_new_int64((int64_t)f->count));
  fjson_object_object_add(o, "first", fjson_object_new_string(first));
  fjson_object_object_add(o, "last", fjson_object_new_string(last));
  fjson_object_object_add(o, "line", fjson_object_new_string_len(text, (int)tlen));
  if (evj) fjson_object_object_add(o, "event", evj);
  puts(fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
  free(json);
  free(text);
}

/* The firings the correlator queued: Sigma temporal rules the hit on
 * s->ev completed, or (closed) windows decided, printed with the event
 * made from their key and no line. */
static int queued(test_state *s, int closed) {
  soc_fire f;
  soc_event *ev = s->ev;
  const char *line = s->line;
  size_t len = s->len;
  int rc = 0;
  while (rc == 0 && soc_correlator_next(s->corr, &f)) {
    s->fires++;
    if (closed) {
      rc = soc_correlator_key_event(&f, s->closed);
      s->ev = s->closed;
      s->line = "";
      s->len = 0;
    }
    if (rc == 0 && !s->quiet) print_fire(s, &f);
  }
  s->ev = ev;
  s->line = line;
  s->len = len;
  return rc;
}

static int on_hit(const soc_rule *rule, soc_event *ev, void *arg) {
  test_state *s = arg;
  soc_fire f;
  int rc = soc_correlator_feed(s->corr, rule, ev, s->cur_ts, &f);
  s->hits++;
  if (rc < 0) return rc;
  if (rc == 1) {
    s->fires++;
    /* a Sigma correlation's rules (generate: false) feed it, quietly */
    if (!s->quiet && !soc_rule_silent(rule)) print_fire(s, &f);
  }
  return queued(s, 0);
}

static int run_batch(test_state *s) {
  double t0 = cpu_now(), t1;
  int rc = 0;
  for (size_t i = 0; i < s->nbatch; i++) {
    soc_event_reset(s->evs[i]);
    s->opts.recv_ns = soc_now_real_ns();
    if (s->auditd_in) {
      soc_event_from_audit_line(s->evs[i], s->buf + s->off[i], s->lens[i]);
    } else if (s->access_in) {
      if (soc_event_from_access_line(s->evs[i], s->buf + s->off[i], s->lens[i], &s->opts) ==
          -EINVAL)
        soc_event_add_tag(s->evs[i], "bad_access", 10);
    } else if (!s->json_in) {
      soc_syslog_parse(s->buf + s->off[i], s->lens[i], &s->opts, s->evs[i]);
      (void)soc_event_access_from_syslog(s->evs[i]);
    } else if (soc_event_from_json_line_or_syslog(s->evs[i], s->buf + s->off[i], s->lens[i],
                                                  &s->jopts, &s->opts) < 0)
      soc_event_add_tag(s->evs[i], "bad_json", 8);
    if (soc_event_get_time(s->evs[i], &s->ts[i]) < 0) s->ts[i] = s->opts.recv_ns;
  }
  t1 = cpu_now();
  for (size_t i = 0; i < s->nbatch && rc >= 0; i++) {
    s->ev = s->evs[i];
    s->line = s->buf + s->off[i];
    s->len = s->lens[i];
    s->cur_ts = s->ts[i];
    rc = soc_rules_match(s->rules, s->ctx, s->ev, on_hit, s);
    /* windows that must stay low are decided once event time passes them */
    if (rc >= 0 && soc_correlator_close(s->corr, s->cur_ts)) rc = queued(s, 1);
  }
  s->cpu_parse += t1 - t0;
  s->cpu_match += cpu_now() - t1;
  s->lines += s->nbatch;
  s->nbatch = 0;
  s->used = 0;
  return rc < 0 ? rc : 0;
}

/* Reads lines of at most LINE_MAX_BYTES; the rest of a longer one is
 * dropped (and counted), as the syslog inputs do. */
static int test_stream(test_state *s, FILE *in, const char *name) {
  int result = 0;
  for (;;) {
    char *line = s->buf + s->used;
    if (!fgets(line, LINE_MAX_BYTES + 2, in)) break;
    size_t len = strlen(line); /* a NUL inside a line ends it here; fine for a test tool */
    if (!(len && line[len - 1] == '\n') && !feof(in)) {
      int c;
      s->cut++;
      while ((c = fgetc(in)) != EOF && c != '\n') {
      }
    }
    if (len && line[len - 1] == '\n') len--;
    if (len && line[len - 1] == '\r') len--;
    if (len > LINE_MAX_BYTES) len = LINE_MAX_BYTES;
    s->off[s->nbatch] = s->used;
    s->lens[s->nbatch++] = len;
    s->used += len;
    if (s->nbatch == BATCH_LINES || s->used >= BATCH_BYTES) {
      result = run_batch(s);
      if (result < 0) break;
    }
  }
  if (!result && s->nbatch) result = run_batch(s);
  if (!result && ferror(in)) {
    fprintf(stderr, "socctl rules test: %s: %s\n", name, strerror(errno));
    result = -EIO;
  }
  return result;
}

static int rules_test(const socctl_env *env, int argc, char **argv) {
  enum { O_TZ = 1, O_JSON, O_KEYS, O_STATS, O_NOPRE, O_SIGMA, O_FORMAT, O_TIMEF, O_HOSTF, O_CFG };
  static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                       {"timezone", required_argument, NULL, O_TZ},
                                       {"json", no_argument, NULL, O_JSON},
                                       {"max-keys", required_argument, NULL, O_KEYS},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"stats", no_argument, NULL, O_STATS},
                                       {"no-prefilter", no_argument, NULL, O_NOPRE},
                                       {"sigma", required_argument, NULL, O_SIGMA},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"time-field", required_argument, NULL, O_TIMEF},
                                       {"host-field", required_argument, NULL, O_HOSTF},
                                       {"with-config", no_argument, NULL, O_CFG},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *files[MAX_RULE_FILES];
  char *sigma_pats[MAX_RULE_FILES];
  char **sigma = NULL;
  const char *zone = "local";
  size_t nfiles = 0, nsigma_pats = 0, nsigma = 0;
  int verbose = 0, with_config = 0;
  soc_config *cfg = NULL;
  int64_t max_keys = 0;
  int opt, stats = 0, noprefilter = 0, status = 2;
  test_state s = {0};
  soc_rules *rules = NULL;
  soc_diag *diag = NULL;
  soc_rules_stats st;
  s.jopts.time_field = "@timestamp";
  while ((opt = getopt_long(argc, argv, "r:qvh", opts, NULL)) != -1) {
    switch (opt) {
      case 'r':
        if (nfiles == MAX_RULE_FILES) {
          fprintf(stderr, "socctl rules test: more than %d rule files\n", MAX_RULE_FILES);
          return 2;
        }
        files[nfiles++] = optarg;
        break;
      case O_TZ:
        zone = optarg;
        break;
      case O_JSON:
        s.json = 1;
        break;
      case O_KEYS:
        if (soc_parse_int(optarg, &max_keys) < 0 || max_keys < 1 || max_keys > 100000000) {
          fprintf(stderr, "socctl rules test: --max-keys '%s': expected 1 to 100000000\n", optarg);
          return 2;
        }
        break;
      case 'q':
        s.quiet = 1;
        break;
      case O_STATS:
        stats = 1;
        break;
      case O_NOPRE:
        noprefilter = 1;
        break;
      case O_SIGMA:
        if (nsigma_pats == MAX_RULE_FILES) {
          fprintf(stderr, "socctl rules test: more than %d --sigma\n", MAX_RULE_FILES);
          return 2;
        }
        sigma_pats[nsigma_pats++] = optarg;
        break;
      case 'v':
        verbose = 1;
        break;
      case O_FORMAT:
        if (strcmp(optarg, "syslog") && strcmp(optarg, "json") && strcmp(optarg, "auditd") &&
            strcmp(optarg, "access")) {
          fprintf(stderr,
                  "socctl rules test: --format '%s': expected syslog, json, auditd or access\n",
                  optarg);
          return 2;
        }
        s.json_in = !strcmp(optarg, "json");
        s.auditd_in = !strcmp(optarg, "auditd");
        s.access_in = !strcmp(optarg, "access");
        break;
      case O_TIMEF:
        s.jopts.time_field = optarg;
        break;
      case O_HOSTF:
        s.jopts.host_field = optarg;
        break;
      case O_CFG:
        with_config = 1;
        break;
      case 'h':
        soc_ctl_usage("rules", stdout);
        return 0;
      default:
        soc_ctl_usage("rules", stderr);
        return 2;
    }
  }
  if (!nfiles && !nsigma_pats) {
    fprintf(stderr, "socctl rules test: give at least one rule file with -r or --sigma\n");
    soc_ctl_usage("rules", stderr);
    return 2;
  }
  if (soc_tz_parse(zone, &s.opts.tz) < 0) {
    fprintf(stderr,
            "socctl rules test: --timezone '%s': expected local, UTC, +08:00 or an "
            "IANA name such as Asia/Taipei\n",
            zone);
    return 2;
  }
  status = 1;
  diag = soc_diag_new();
  if (!diag) goto out;
  if (soc_config_glob_sigma(sigma_pats, nsigma_pats, &sigma, &nsigma) < 0) goto out;
  if (nsigma_pats && !nsigma) {
    fprintf(stderr, "socctl rules test: --sigma matches no file\n");
    goto out;
  }
  /* the operator's Sigma tables, as the agent would take them */
  if (with_config && soc_config_load(env->config_path, 0, &cfg, diag) < 0) {
    soc_diag_print(diag, stderr);
    fprintf(stderr, "socctl rules test: %s: configuration refused\n", env->config_path);
    status = 2;
    goto out;
  }
  int rc = soc_rules_load_sigma_opts(files, nfiles, (const char *const *)sigma, nsigma,
                                     cfg ? &cfg->rules.sigma_opts : NULL, &rules, &st, diag);
  soc_diag_print(diag, stderr);
  if (rc == 0 && nsigma) {
    char sum[512];
    for (size_t i = 0; verbose && i < soc_rules_count(rules); i++) {
      const soc_rule *r = soc_rules_at(rules, i);
      if (soc_rule_is_sigma(r))
        fprintf(stderr, "%s: loaded Sigma rule %s (%s)\n", soc_rule_file(r), soc_rule_id(r),
                soc_rule_title(r));
    }
    soc_rules_sigma_summary(&st, sum, sizeof sum);
    fprintf(stderr, "socctl rules test: %s\n", sum);
  }
  if (rc < 0 || soc_diag_errors(diag)) {
    fprintf(stderr, "socctl rules test: rule files refused (%zu error(s)); nothing was tested\n",
            soc_diag_errors(diag));
    goto out;
  }
  s.rules = rules;
  s.ctx = soc_match_ctx_new(rules);
  s.buf = malloc(BATCH_BYTES + LINE_MAX_BYTES + 2);
  if (!(s.closed = soc_event_new())) s.failed = 1;
  for (size_t i = 0; i < BATCH_LINES; i++)
    if (!(s.evs[i] = soc_event_new())) s.failed = 1;
  if (!s.ctx || !s.buf || s.failed || soc_correlator_new(rules, (size_t)max_keys, &s.corr) < 0) {
    fprintf(stderr, "socctl rules test: out of memory\n");
    goto out;
  }
  if (noprefilter) soc_match_ctx_set_flags(s.ctx, SOC_MATCH_NO_PREFILTER);
  rc = 0;
  if (optind == argc) rc = test_stream(&s, stdin, "stdin");
  for (int i = optind; i < argc && rc >= 0; i++) {
    FILE *in = fopen(argv[i], "rb");
    if (!in) {
      fprintf(stderr, "socctl rules test: %s: %s\n", argv[i], strerror(errno));
      rc = -errno;
      break;
    }
    rc = test_stream(&s, in, argv[i]);
    fclose(in);
  }
  if (rc < 0 || s.failed) {
    if (rc != -EIO && rc != -ENOENT && rc != -EACCES)
      fprintf(stderr, "socctl rules test: %s\n", strerror(rc < 0 ? -rc : ENOMEM));
    goto out;
  }
  if (stats) {
    soc_match_stats ms;
    soc_correlator_stats cs;
    soc_match_ctx_stats(s.ctx, &ms);
    soc_correlator_stats_get(s.corr, &cs);
    fprintf(
        stderr,
        "rules %zu (unanchored %zu, literals %zu); lines %llu (cut %llu); rules evaluated "
        "%llu; regexes run %llu (skipped %llu); hits %llu; firings %llu; keys %zu (evicted %llu); "
        "regex limits %llu\n"
        "cpu parse %.3f s; cpu match+correlate %.3f s; %.0f lines per CPU-second of "
        "match+correlate\n",
        st.rules, st.unanchored, st.literals, (unsigned long long)s.lines,
        (unsigned long long)s.cut, (unsigned long long)ms.candidates,
        (unsigned long long)ms.regexes, (unsigned long long)ms.regex_skips,
        (unsigned long long)s.hits, (unsigned long long)s.fires, cs.keys,
        (unsigned long long)cs.evicted, (unsigned long long)ms.regex_limits, s.cpu_parse,
        s.cpu_match, s.cpu_match > 0 ? (double)s.lines / s.cpu_match : 0.0);
  }
  status = fflush(stdout) == 0 ? 0 : 1;
out:
  soc_correlator_free(s.corr);
  soc_match_ctx_free(s.ctx);
  for (size_t i = 0; i < BATCH_LINES; i++) soc_event_free(s.evs[i]);
  soc_event_free(s.closed);
  free(s.buf);
  soc_rules_free(rules);
  soc_diag_free(diag);
  soc_config_glob_free(sigma, nsigma);
  soc_config_free(cfg);
  return status;
}

int soc_ctl_rules(const socctl_env *env, int argc, char **argv) {
  /* rule files are named on the command line; the config only with --with-config */
  if (argc >= 2 && !strcmp(argv[1], "test")) return rules_test(env, argc - 1, argv + 1);
  int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
  return soc_ctl_usage("rules", help ? stdout : stderr);
}
