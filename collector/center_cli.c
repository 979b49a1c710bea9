/*
 * center_cli — the operator's commands on reports, evidence and the
 * center's decisions: incidents, overdue, evidence, summary, review,
 * support (README, "The technical center").
 *
 * A decision (review, level, support) is numbered and recorded in center.db
 * with the message for <prefix>.center.<agency> in one transaction, and
 * produced after the commit (outbox.c): the write lock is never held while
 * Kafka is waited for, so the collectors keep consuming. Exit 0 says Kafka
 * confirmed it; exit 1 after "recorded" says it was not confirmed in time and
 * is sent again (by the next decision or a collector), never lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "center.h"
#include "decide.h"
#include "outbox.h"
#include "soc/utf8.h"

#include "soc/bundle.h"
#include "soc/center_topic.h"
#include "soc/decision.h"
#include "soc/report.h"
#include "soc/tz.h"

#define DELIVERY_MS 15000 /* how long a command waits for Kafka's acknowledgement */
#define CAMPAIGN_WINDOW_NS (86400LL * 1000000000LL) /* campaigns without --since: a day */

typedef struct opts {
  int json;
  int64_t now_ns, since_ns, at_ns;
  const char *by, *reason, *result;
  int level;
} opts;

/* "2026-11-25T10:05:55Z" (UTC), or "-" for 0. */
static const char *stamp(int64_t s, char *buf, size_t cap) {
  struct tm tm;
  time_t t = (time_t)s;
  if (!s || !gmtime_r(&t, &tm)) return "-";
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

static fjson_object *jstr(const char *s) { return fjson_object_new_string(s ? s : ""); }

static fjson_object *jtime(int64_t s) {
  char b[32];
  return s ? fjson_object_new_string(stamp(s, b, sizeof b)) : NULL;
}

/* ---- incidents and overdue ---- */

typedef struct list_ctx {
  soc_center *c;
  soc_center_store *s;
  const opts *o;
  int overdue_only;
  fjson_object *out; /* --json */
  size_t n;
  int err;
} list_ctx;

static int count_notes(void *arg, const char *report, int level, const char *who, int64_t at) {
  (void)report, (void)level, (void)who, (void)at;
  (*(size_t *)arg)++;
  return 0;
}

typedef struct bundle_state {
  char state[16];
} bundle_state;

static int bundle_of(void *arg, const soc_center_bundle *b) {
  bundle_state *x = arg;
  snprintf(x->state, sizeof x->state, "%s", b->state);
  return 0;
}

static void print_clock(const char *step, soc_deadline_status st, int64_t due, int64_t done,
                        const char *id) {
  char d1[32], d2[32];
  printf("  %-14s %-8s due %s done %s%s%s\n", step, soc_deadline_status_name(st),
         stamp(due, d1, sizeof d1), stamp(done, d2, sizeof d2), id ? "  " : "", id ? id : "");
}

static int list_one(void *arg, const soc_center_report *r) {
  list_ctx *x = arg;
  soc_center_view v;
  size_t notes = 0;
  bundle_state b = {"-"};
  char bid[SOC_BUNDLE_ID_MAX], t1[32];
  int rc = soc_center_view_of(x->c, x->s, r, x->o->now_ns / 1000000000, &v);
  if (rc == -EBADMSG) {
    fprintf(stderr, "soccollector: report %s: the stored document is not JSON\n", r->id);
    x->err = 1;
    return 0;
  }
  if (rc) goto out;
  if (x->overdue_only && !v.overdue && !r->flagged_ns) goto out;
  x->n++;
  if ((rc = soc_store_center_notifications_scan(x->s, r->id, count_notes, &notes))) goto out;
  const char *bundle = soc_report_str(v.doc, "bundle.id");
  snprintf(bid, sizeof bid, "%s", bundle ? bundle : "");
  if (bundle && (rc = soc_store_center_bundle_get(x->s, bid, bundle_of, &b)) == -ENOENT) {
    snprintf(b.state, sizeof b.state, "awaited");
    rc = 0;
  }
  if (rc) goto out;
  const char *state = soc_report_str(v.doc, "state");
  int level = soc_report_level(v.doc);
  if (x->out) {
    fjson_object *o = fjson_object_new_object(), *clocks = fjson_object_new_array();
    fjson_object_object_add(o, "id", jstr(r->id));
    fjson_object_object_add(o, "agency", jstr(r->agency));
    fjson_object_object_add(o, "level", fjson_object_new_int(level));
    fjson_object_object_add(o, "state", jstr(state));
    fjson_object_object_add(o, "category", jstr(r->category));
    fjson_object_object_add(o, "revision", fjson_object_new_int64(r->revision));
    fjson_object_object_add(o, "discovered", jtime(r->discovered_ns / 1000000000));
    fjson_object_object_add(o, "regime", jstr(soc_regime_id(v.regime)));
    fjson_object_object_add(o, "flagged", jtime(r->flagged_ns / 1000000000));
    fjson_object_object_add(o, "flag", jstr(r->flag));
    fjson_object_object_add(o, "notifications", fjson_object_new_int64((int64_t)notes));
    fjson_object_object_add(o, "bundle", bundle ? jstr(bid) : NULL);
    fjson_object_object_add(o, "bundle_state", bundle ? jstr(b.state) : NULL);
    for (size_t i = 0; i < v.ndl; i++) {
      if (x->overdue_only && !(v.dl[i].status == SOC_DEADLINE_OVERDUE && !v.dl[i].done)) continue;
      fjson_object *k = fjson_object_new_object();
      fjson_object_object_add(k, "step", jstr(v.dl[i].step->id));
      fjson_object_object_add(k, "who", jstr(v.dl[i].step->who));
      fjson_object_object_add(k, "status", jstr(soc_deadline_status_name(v.dl[i].status)));
      fjson_object_object_add(k, "due", jtime(v.dl[i].due));
      fjson_object_object_add(k, "done", jtime(v.dl[i].done));
      fjson_object_array_add(clocks, k);
    }
    if (v.support_requested &&
        (!x->overdue_only || (v.support_status == SOC_DEADLINE_OVERDUE && !v.support_done))) {
      fjson_object *k = fjson_object_new_object();
      fjson_object_object_add(k, "step", jstr("support"));
      fjson_object_object_add(k, "who", jstr("center"));
      fjson_object_object_add(k, "status", jstr(soc_deadline_status_name(v.support_status)));
      fjson_object_object_add(k, "due", jtime(v.support_due));
      fjson_object_object_add(k, "done", jtime(v.support_done));
      fjson_object_array_add(clocks, k);
    }
    fjson_object_object_add(o, "clocks", clocks);
    fjson_object_array_add(x->out, o);
    goto out;
  }
  /* the agency and the category are what the agent's report said */
  char agency[SOC_UTF8_PRINTABLE_BUF(256)], category[SOC_UTF8_PRINTABLE_BUF(256)];
  printf("%s  %s  level %d  %s  %s  notified %zu  evidence %s%s\n", r->id,
         soc_utf8_printable(r->agency, agency, sizeof agency), level, state ? state : "?",
         soc_utf8_printable(r->category, category, sizeof category), notes, b.state,
         r->flagged_ns ? "  FLAGGED: center reviews directly (§3.3(一))" : "");
  if (r->flagged_ns)
    printf("  flagged %s: %s\n", stamp(r->flagged_ns / 1000000000, t1, sizeof t1), r->flag);
  for (size_t i = 0; i < v.ndl; i++) {
    int late = v.dl[i].status == SOC_DEADLINE_OVERDUE && !v.dl[i].done;
    if (x->overdue_only && !late) continue;
    print_clock(v.dl[i].step->id, v.dl[i].status, v.dl[i].due, v.dl[i].done,
                late ? "OVERDUE" : NULL);
  }
  if (v.support_requested &&
      (!x->overdue_only || (v.support_status == SOC_DEADLINE_OVERDUE && !v.support_done)))
    print_clock("support", v.support_status, v.support_due, v.support_done,
                v.support_status == SOC_DEADLINE_OVERDUE && !v.support_done ? "OVERDUE" : NULL);
out:
  soc_center_view_clear(&v);
  return rc;
}

static int cmd_list(soc_center *c, soc_center_store *s, const opts *o, int overdue_only) {
  list_ctx x = {.c = c,
                .s = s,
                .o = o,
                .overdue_only = overdue_only,
                .out = o->json ? fjson_object_new_array() : NULL};
  int rc = soc_center_store_begin(s);
  /* The clocks as of --now flag what they find overdue, in the store. */
  if (!rc) rc = soc_center_sweep(c, s, o->now_ns, NULL);
  if (!rc) rc = soc_center_store_commit(s);
  if (!rc) rc = soc_store_center_reports_scan(s, list_one, &x);
  if (rc) {
    if (soc_center_store_in_transaction(s)) soc_center_store_rollback(s);
    fprintf(stderr, "soccollector: %s\n", soc_center_store_errmsg(s));
  } else if (x.out) {
    printf("%s\n", fjson_object_to_json_string_ext(x.out, FJSON_TO_STRING_PRETTY));
  } else if (!x.n) {
    printf(overdue_only ? "nothing overdue\n" : "no reports\n");
  }
  fjson_object_put(x.out);
  if (rc || x.err) return 1;
  return overdue_only && x.n ? 3 : 0; /* like socctl deadlines --overdue */
}

/* ---- summary (§3.3(三)) ---- */

static int cmd_summary(soc_center *c, soc_center_store *s, const opts *o) {
  soc_center_sum_row *rows = NULL;
  size_t n = 0;
  char t1[32], t2[32];
  int64_t tot[3] = {0};
  int rc = soc_center_summary(c, s, o->since_ns, o->now_ns, &rows, &n);
  if (rc) {
    fprintf(stderr, "soccollector: %s\n",
            rc == -ENOMEM ? strerror(ENOMEM) : soc_center_store_errmsg(s));
    return 1;
  }
  fjson_object *out = o->json ? fjson_object_new_object() : NULL, *list = NULL;
  if (out) {
    fjson_object_object_add(out, "as_of", jtime(o->now_ns / 1000000000));
    fjson_object_object_add(out, "since", jtime(o->since_ns / 1000000000));
    fjson_object_object_add(out, "rows", list = fjson_object_new_array());
  } else {
    printf("summary as of %s, reports discovered since %s\n%-24s %5s %-16s %6s %8s %6s\n",
           stamp(o->now_ns / 1000000000, t1, sizeof t1),
           o->since_ns ? stamp(o->since_ns / 1000000000, t2, sizeof t2) : "the start", "AGENCY",
           "LEVEL", "CATEGORY", "OPEN", "OVERDUE", "CLOSED");
  }
  for (size_t i = 0; i < n; i++) {
    const soc_center_sum_row *w = &rows[i];
    tot[0] += w->open;
    tot[1] += w->overdue;
    tot[2] += w->closed;
    if (!out) {
      char agency[SOC_UTF8_PRINTABLE_BUF(256)], category[SOC_UTF8_PRINTABLE_BUF(256)];
      printf("%-24s %5d %-16s %6" PRId64 " %8" PRId64 " %6" PRId64 "\n",
             soc_utf8_printable(w->agency, agency, sizeof agency), w->level,
             soc_utf8_printable(w->category, category, sizeof category), w->open, w->overdue,
             w->closed);
      continue;
    }
    fjson_object *e = fjson_object_new_object();
    fjson_object_object_add(e, "agency", jstr(w->agency));
    fjson_object_object_add(e, "level", fjson_object_new_int(w->level));
    fjson_object_object_add(e, "category", jstr(w->category));
    fjson_object_object_add(e, "open", fjson_object_new_int64(w->open));
    fjson_object_object_add(e, "overdue", fjson_object_new_int64(w->overdue));
    fjson_object_object_add(e, "closed", fjson_object_new_int64(w->closed));
    fjson_object_array_add(list, e);
  }
  if (out) {
    fjson_object *t = fjson_object_new_object();
    fjson_object_object_add(t, "open", fjson_object_new_int64(tot[0]));
    fjson_object_object_add(t, "overdue", fjson_object_new_int64(tot[1]));
    fjson_object_object_add(t, "closed", fjson_object_new_int64(tot[2]));
    fjson_object_object_add(out, "total", t);
    printf("%s\n", fjson_object_to_json_string_ext(out, FJSON_TO_STRING_PRETTY));
    fjson_object_put(out);
  } else {
    printf("%-24s %5s %-16s %6" PRId64 " %8" PRId64 " %6" PRId64 "\n", "total", "", "", tot[0],
           tot[1], tot[2]);
  }
  free(rows);
  return 0;
}

/* ---- evidence ---- */

static int print_bundle(void *arg, const soc_center_bundle *b) {
  (void)arg;
  char reason[SOC_UTF8_PRINTABLE_BUF(512)];
  printf("%s  report %s  %lld/%lld chunks  %lld bytes  %s%s%s\n", b->id, b->report,
         (long long)b->have, (long long)b->chunks, (long long)b->size, b->state,
         b->reason[0] ? ": " : "", soc_utf8_printable(b->reason, reason, sizeof reason));
  return 0;
}

static int cmd_evidence(soc_center *c, soc_center_store *s, int argc, char **argv, const opts *o) {
  char what[300] = "";
  if (argc == 0) {
    int rc = soc_store_center_bundles_scan(s, print_bundle, NULL);
    if (rc) fprintf(stderr, "soccollector: %s\n", soc_center_store_errmsg(s));
    return rc ? 1 : 0;
  }
  if (argc != 2 || strcmp(argv[0], "verify")) {
    fprintf(stderr, "soccollector: usage: evidence [verify BUNDLE-ID]\n");
    return 2;
  }
  int rc = soc_center_store_begin(s);
  if (!rc) rc = soc_center_bundle_recheck(c, s, argv[1], o->now_ns, what, sizeof what);
  if (rc >= 0 && soc_center_store_commit(s) < 0) rc = -EIO;
  if (rc == -ENOENT) {
    soc_center_store_rollback(s);
    fprintf(stderr, "soccollector: evidence %s: no such bundle (no manifest received)\n", argv[1]);
    return 1;
  }
  if (rc < 0) {
    if (soc_center_store_in_transaction(s)) soc_center_store_rollback(s);
    fprintf(stderr, "soccollector: evidence %s: %s\n", argv[1],
            rc == -ENOMEM ? strerror(ENOMEM) : soc_center_store_errmsg(s));
    return 1;
  }
  printf("%s: %s (%s)\n", argv[1], rc ? "FAILED" : "verified", what);
  return rc ? 1 : 0;
}

/* ---- decisions ---- */

typedef struct pending_one {
  int64_t n;
  int pending;
} pending_one;

static int is_pending(void *arg, int64_t n, const char *report, const char *topic,
                      const char *body) {
  (void)report, (void)topic, (void)body;
  pending_one *x = arg;
  x->pending |= n == x->n;
  return 0;
}

/* Produces what is pending, these decisions among it, and waits for Kafka's
 * acknowledgement. Returns the exit status: 0 when all of ns[] were
 * confirmed. */
static int deliver_decisions(const soc_collector_config *cfg, soc_center_store *s,
                             const int64_t *ns, size_t k, int quiet) {
  soc_center_outbox *ob = NULL;
  int status = 1;
  if (soc_center_outbox_new(cfg, s, &ob) < 0) goto out;
  if (soc_center_outbox_send(ob) < 0) {
    fprintf(stderr, "soccollector: %s\n", soc_center_store_errmsg(s));
    goto out;
  }
  soc_center_outbox_poll(ob, DELIVERY_MS);
  status = 0;
  for (size_t i = 0; i < k; i++) {
    pending_one x = {.n = ns[i]};
    if (soc_store_center_decisions_pending(s, is_pending, &x) < 0 || x.pending) {
      fprintf(stderr,
              "soccollector: decision %s/%" PRId64
              " is recorded but Kafka has not "
              "confirmed it yet; it is sent again, by the next decision or a running "
              "collector\n",
              cfg->collector.id, ns[i]);
      status = 1;
    }
  }
  if (!status && !quiet) printf("delivered\n");
out:
  soc_center_outbox_free(ob, 0);
  return status;
}

/* One decision from the command line, said on stdout or stderr. */
static int decide_cli(const soc_collector_config *cfg, soc_center *c, soc_center_store *s,
                      const char *id, const char *kind, const opts *o, int64_t *n) {
  char why[SOC_CENTER_DECIDE_WHY_MAX];
  soc_center_decide_opts d = {
      .at_ns = o->at_ns, .by = o->by, .reason = o->reason, .result = o->result, .level = o->level};
  int status = soc_center_decide(cfg, c, s, id, kind, &d, n, why, sizeof why);
  fprintf(status ? stderr : stdout, "%s%s\n", status ? "soccollector: " : "", why);
  return status;
}

static void usage(void) {
  fprintf(stderr,
          "usage: soccollector -c FILE incidents|overdue [--json] [--now T]\n"
          "       soccollector -c FILE summary [--since T] [--json] [--now T]\n"
          "       soccollector -c FILE evidence [verify BUNDLE-ID]\n"
          "       soccollector -c FILE review REPORT-ID --by NAME [--result TEXT]\n"
          "                                   [--level N --reason TEXT] [--at T]\n"
          "       soccollector -c FILE support REPORT-ID --by NAME [--at T]\n"
          "       soccollector -c FILE campaigns [--json] [--since T]\n");
}

static int parse_time(const char *what, const char *s, int64_t *ns) {
  if (soc_time_parse_ns(s, ns) == 0) return 0;
  fprintf(stderr, "soccollector: %s '%s': expected an RFC 3339 time or @EPOCH\n", what, s);
  return -1;
}

int soc_center_command(const soc_collector_config *cfg, int argc, char **argv) {
  static const char *const names[] = {"incidents", "overdue", "summary",   "evidence",
                                      "review",    "support", "campaigns", NULL};
  static const struct option lopts[] = {{"json", no_argument, NULL, 'j'},
                                        {"now", required_argument, NULL, 'n'},
                                        {"since", required_argument, NULL, 's'},
                                        {"at", required_argument, NULL, 'a'},
                                        {"by", required_argument, NULL, 'b'},
                                        {"reason", required_argument, NULL, 'r'},
                                        {"result", required_argument, NULL, 'R'},
                                        {"level", required_argument, NULL, 'l'},
                                        {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  size_t k = 0;
  while (names[k] && strcmp(names[k], cmd)) k++;
  if (!names[k]) return -1;
  opts o = {.now_ns = soc_now_real_ns()};
  int opt, bad = 0, have_at = 0;
  /* 0, not 1: glibc then starts afresh, permuting (main's "+" stops at the
   * command), so REPORT-ID may come before its options. */
  optind = 0;
  while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        o.json = 1;
        break;
      case 'n':
        bad |= parse_time("--now", optarg, &o.now_ns);
        break;
      case 's':
        bad |= parse_time("--since", optarg, &o.since_ns);
        break;
      case 'a':
        bad |= parse_time("--at", optarg, &o.at_ns), have_at = 1;
        break;
      case 'b':
        o.by = optarg;
        break;
      case 'r':
        o.reason = optarg;
        break;
      case 'R':
        o.result = optarg;
        break;
      case 'l': {
        char *end = NULL;
        long l = strtol(optarg, &end, 10);
        if (*end || l < 1 || l > 4) {
          fprintf(stderr, "soccollector: --level '%s': expected 1 to 4\n", optarg);
          bad = 1;
        }
        o.level = (int)l;
        break;
      }
      default:
        bad = 1;
    }
  }
  if (!have_at) o.at_ns = o.now_ns;
  int decision = !strcmp(cmd, "review") || !strcmp(cmd, "support");
  const char *id = decision && optind < argc ? argv[optind++] : NULL;
  if (!bad && decision && (!id || !o.by || !*o.by)) {
    fprintf(stderr, "soccollector: %s needs REPORT-ID and --by NAME\n", cmd);
    bad = 1;
  }
  if (!bad && o.level && (!o.reason || !*o.reason)) {
    fprintf(stderr, "soccollector: --level needs --reason (who changed it and why is recorded)\n");
    bad = 1;
  }
  if (!bad && strcmp(cmd, "evidence") && optind < argc) bad = 1;
  if (bad) {
    usage();
    return 2;
  }
  soc_center *c = NULL;
  soc_center_store *s = NULL;
  int status = 1;
  if (soc_center_new(cfg, &c) < 0 || soc_center_open(cfg, &s) < 0) goto out;
  if (k <= 1) {
    status = cmd_list(c, s, &o, k == 1);
  } else if (k == 2) {
    status = cmd_summary(c, s, &o);
  } else if (k == 3) {
    status = cmd_evidence(c, s, argc - optind, argv + optind, &o);
  } else if (k == 6) {
    int64_t ns[SOC_CAMPAIGN_NOTICES_MAX];
    size_t made = 0;
    if (!o.since_ns) o.since_ns = o.now_ns - CAMPAIGN_WINDOW_NS;
    status = soc_campaigns_run(cfg, s, o.json, o.since_ns, o.now_ns, ns, &made);
    /* the notices recorded go out; a collector sends what Kafka missed */
    if (!status && made) status = deliver_decisions(cfg, s, ns, made, o.json);
  } else {
    int64_t ns[2];
    size_t made = 0;
    if (k == 5) {
      status = decide_cli(cfg, c, s, id, "support", &o, &ns[made]);
      made += !status;
    } else {
      /* --level re-levels; a review is recorded unless only the level was
       * given (the report may have been reviewed already). */
      status = 0;
      if (o.level && !(status = decide_cli(cfg, c, s, id, "level", &o, &ns[made]))) made++;
      if (!status && (!o.level || o.result) &&
          !(status = decide_cli(cfg, c, s, id, "review", &o, &ns[made])))
        made++;
    }
    /* what was recorded goes out, even after a refusal of the second */
    if (made) {
      int delivered = deliver_decisions(cfg, s, ns, made, 0);
      if (!status) status = delivered;
    }
  }
out:
  soc_center_store_close(s);
  soc_center_free(c);
  return status;
}
