/*
 * correlate: count windows and their boundaries by event time, distinct
 * values, sequences (`after`), suppression, keys, eviction at max_keys with
 * its counter, expiry, the dirty/tombstone protocol, a dump/restore round
 * trip that behaves as if nothing restarted, and malformed blobs refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/correlate.h"
#include "testutil.h"

#define S(x) ((int64_t)((x)*1000000000.0))
#define INCIDENT "  incident: { category: other, impact: outage }\n"

static soc_rules *load(const char *text) {
  soc_diag *d = soc_diag_new();
  soc_rules *r = NULL;
  soc_rules_stats st;
  int rc = soc_rules_load_buffer("c.yaml", text, strlen(text), &r, &st, d);
  if (rc || st.files_failed) {
    soc_diag_print(d, stderr);
    fail_msg("rules refused");
  }
  soc_diag_free(d);
  return r;
}

static soc_event *ev_of(const char *ip, const char *user) {
  static soc_event *ev;
  if (!ev) ev = soc_event_new();
  soc_event_reset(ev);
  if (ip) assert_int_equal(soc_event_set(ev, "source.ip", ip, strlen(ip)), 0);
  if (user) assert_int_equal(soc_event_set(ev, "user.name", user, strlen(user)), 0);
  return ev;
}

/* Feeds one hit; returns 1 when it fired. */
static int feed(soc_correlator *c, const soc_rules *rs, const char *rule, const char *ip,
                const char *user, double t, soc_fire *f) {
  soc_fire local;
  int rc = soc_correlator_feed(c, soc_rules_find(rs, rule), ev_of(ip, user), S(t), f ? f : &local);
  assert_true(rc == 0 || rc == 1);
  return rc;
}

static soc_correlator *corr_new(const soc_rules *rs, size_t max_keys) {
  soc_correlator *c = NULL;
  assert_int_equal(soc_correlator_new(rs, max_keys, &c), 0);
  return c;
}

static void test_count_window(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 3, within: 10s }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_fire f;
  /* exactly the window: both ends count */
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 5, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 10, &f), 1);
  assert_string_equal(soc_rule_id(f.rule), "N");
  assert_string_equal(f.key, "10.0.0.1");
  assert_int_equal(f.count, 3);
  assert_int_equal(f.first_ns, S(0));
  assert_int_equal(f.last_ns, S(10));
  /* the next firing needs three new hits */
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 11, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 12, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 13, &f), 1);
  assert_int_equal(f.first_ns, S(11));
  /* one nanosecond too wide: no firing; the window slides on */
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 5, NULL), 0);
  assert_int_equal(
      soc_correlator_feed(c, soc_rules_find(rs, "N"), ev_of("10.0.0.2", NULL), S(10) + 1, &f), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 14, &f), 1);
  assert_int_equal(f.first_ns, S(5));
  /* keys are separate; a hit without the group_by field is not counted */
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 20, NULL), 0);
  assert_int_equal(feed(c, rs, "N", NULL, "u", 20, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 21, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 22, NULL), 1);
  /* out of order: a late hit still counts in its place */
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 100, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 101, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 99, NULL), 1);
  soc_correlator_stats st;
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.ungrouped, 1);
  assert_int_equal(st.fired, 5);
  assert_int_equal(st.keys, 4);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_no_correlate_and_keys(void **state) {
  (void)state;
  soc_rules *rs = load("- id: EVERY\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT
                       "- id: TWO\n  title: t\n  match: { all: [ { contains: x } ] }\n"
                       "  correlate: { group_by: [ user.name, source.ip ], count: 1 }\n" INCIDENT
                       "- id: ALL\n  title: t\n  match: { all: [ { contains: x } ] }\n"
                       "  correlate: { count: 2, within: 1m }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_fire f, g;
  assert_int_equal(feed(c, rs, "EVERY", NULL, NULL, 1, &f), 1);
  assert_string_equal(f.key, "");
  assert_int_equal(f.count, 1);
  assert_int_equal(f.first_ns, S(1));
  assert_int_equal(feed(c, rs, "EVERY", NULL, NULL, 1, NULL), 1);
  /* values joined by '|', with '|' and '\' escaped: no two tuples share a key */
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "a|b\\", 1, &f), 1);
  assert_string_equal(f.key, "a\\|b\\\\|10.0.0.1");
  /* without group_by every hit shares one key */
  assert_int_equal(feed(c, rs, "ALL", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(feed(c, rs, "ALL", "10.0.0.2", NULL, 2, &f), 1);
  assert_string_equal(f.key, "");
  /* a key past the limit is cut and ends in a hash of the whole */
  char big[700];
  memset(big, 'u', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", big, 1, &f), 1);
  big[600] = 'v';
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", big, 1, &g), 1);
  assert_true(strlen(f.key) <= SOC_CORRELATE_KEY_MAX);
  assert_int_equal(f.key[strlen(f.key) - 17], '#');
  assert_int_equal(strncmp(f.key, g.key, 400), 0);
  assert_string_not_equal(f.key, g.key);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

/* key_plain: the key of a hit, fired or not, is the values joined as they
 * are only when none was escaped, missing or cut (the detector then keeps
 * its recent hits under it instead of joining the values again). */
static void test_plain_key(void **state) {
  (void)state;
  soc_rules *rs =
      load("- id: EVERY\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT
           "- id: TWO\n  title: t\n  match: { all: [ { contains: x } ] }\n"
           "  correlate: { group_by: [ user.name, source.ip ], count: 3, within: 1h }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_fire f;
  assert_int_equal(feed(c, rs, "EVERY", NULL, NULL, 1, &f), 1);
  assert_true(f.key_plain);
  assert_string_equal(f.key, "");
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "ann", 1, &f), 0);
  assert_true(f.key_plain);
  assert_string_equal(f.key, "ann|10.0.0.1");
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "ann", 2, NULL), 0);
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "ann", 3, &f), 1);
  assert_true(f.key_plain);
  assert_string_equal(f.key, "ann|10.0.0.1");
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "a|b", 1, &f), 0);
  assert_false(f.key_plain);
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", "a\\b", 1, &f), 0);
  assert_false(f.key_plain);
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", NULL, 1, &f), 0);
  assert_false(f.key_plain);
  char big[SOC_CORRELATE_KEY_MAX + 1];
  memset(big, 'u', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", big, 1, &f), 0);
  assert_false(f.key_plain);
  /* the longest key not cut */
  big[SOC_CORRELATE_KEY_MAX - strlen("|10.0.0.1")] = '\0';
  assert_int_equal(feed(c, rs, "TWO", "10.0.0.1", big, 1, &f), 0);
  assert_true(f.key_plain);
  assert_int_equal(strlen(f.key), SOC_CORRELATE_KEY_MAX);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_distinct(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: SPRAY\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], distinct: user.name, count: 3,"
      " within: 1m }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_fire f;
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.1", "a", 0, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.1", "a", 1, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.1", "b", 2, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.1", NULL, 2, NULL), 0); /* no user: ignored */
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.1", "c", 3, &f), 1);
  assert_int_equal(f.count, 3);
  assert_int_equal(f.first_ns, S(1)); /* "a" last seen at 1 */
  assert_int_equal(f.last_ns, S(3));
  /* values slide out of the window */
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.2", "a", 0, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.2", "b", 30, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.2", "c", 61, NULL), 0); /* "a" is gone */
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.2", "d", 62, &f), 1);
  assert_int_equal(f.first_ns, S(30));
  /* the boundary: exactly one window apart still counts */
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.3", "a", 0, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.3", "b", 0, NULL), 0);
  assert_int_equal(feed(c, rs, "SPRAY", "10.0.0.3", "c", 60, NULL), 1);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_sequence(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: BRUTE\n  title: t\n  match: { all: [ { contains: fail } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 2, within: 1m }\n" INCIDENT
      "- id: LOGIN\n  title: t\n  match: { all: [ { contains: ok } ] }\n"
      "  correlate: { group_by: [ source.ip ], after: { rule: BRUTE,"
      " within: 5m } }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_fire f;
  /* a login before the brute force fired is nothing */
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(feed(c, rs, "BRUTE", "10.0.0.1", NULL, 5, NULL), 0);
  assert_int_equal(feed(c, rs, "BRUTE", "10.0.0.1", NULL, 10, NULL), 1);
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.2", NULL, 20, NULL), 0); /* another key */
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.1", NULL, 20, &f), 1);
  assert_string_equal(f.key, "10.0.0.1");
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.1", NULL, 310, NULL), 1); /* 300 s: inside */
  soc_fire late;
  assert_int_equal(soc_correlator_feed(c, soc_rules_find(rs, "LOGIN"), ev_of("10.0.0.1", NULL),
                                       S(310) + 1, &late),
                   0);
  /* a login whose event time is before the brute force does not follow it */
  assert_int_equal(feed(c, rs, "BRUTE", "10.0.0.3", NULL, 100, NULL), 0);
  assert_int_equal(feed(c, rs, "BRUTE", "10.0.0.3", NULL, 101, NULL), 1);
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.3", NULL, 99, NULL), 0);
  assert_int_equal(feed(c, rs, "LOGIN", "10.0.0.3", NULL, 102, NULL), 1);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_suppress(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: ONCE\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], suppress: 60s }\n" INCIDENT
      "- id: BURST\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 2, within: 10s,"
      " suppress: 1m }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  soc_correlator_stats st;
  assert_int_equal(feed(c, rs, "ONCE", "10.0.0.1", NULL, 0, NULL), 1);
  assert_int_equal(feed(c, rs, "ONCE", "10.0.0.1", NULL, 30, NULL), 0);
  assert_int_equal(soc_correlator_feed(c, soc_rules_find(rs, "ONCE"), ev_of("10.0.0.1", NULL),
                                       S(60) - 1, &(soc_fire){0}),
                   0);
  assert_int_equal(feed(c, rs, "ONCE", "10.0.0.2", NULL, 30, NULL), 1); /* per key */
  assert_int_equal(feed(c, rs, "ONCE", "10.0.0.1", NULL, 60, NULL), 1); /* end excluded */
  /* hits while quiet still slide the window */
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 1, NULL), 1);
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 2, NULL), 0);
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 3, NULL), 0);
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 59, NULL), 0);
  assert_int_equal(feed(c, rs, "BURST", "10.0.0.1", NULL, 62, NULL), 1); /* 59 and 62 */
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.suppressed, 3);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void ip_of(char *ip, size_t len, int i) {
  snprintf(ip, len, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
}

/* A correlator of keep keys for rule N (2 hits in 1h), fed fed addresses
 * once each at 1s: the oldest fed - keep are evicted. */
static soc_correlator *fed_full(const soc_rules *rs, int keep, int fed) {
  soc_correlator *c = corr_new(rs, (size_t)keep);
  soc_correlator_stats st;
  char ip[32];
  for (int i = 0; i < fed; i++) {
    ip_of(ip, sizeof ip, i);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 1, NULL), 0);
  }
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.evicted, fed - keep);
  assert_int_equal(st.keys, keep);
  return c;
}

#define RULE_N                                                   \
  "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n" \
  "  correlate: { group_by: [ source.ip ], count: 2, within: 1h }\n" INCIDENT

/* Thousands of evictions out of a full table: every key still there is
 * found (its second hit fires), every evicted one starts over. Fails when
 * taking a state out of the table loses one that followed it in its run. */
static void test_eviction_many(void **state) {
  (void)state;
  enum { KEEP = 1000, FED = 5000 };
  soc_rules *rs = load(RULE_N);
  soc_correlator *c = fed_full(rs, KEEP, FED);
  char ip[32];
  for (int i = FED - KEEP; i < FED; i++) {
    ip_of(ip, sizeof ip, i);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 2, NULL), 1);
  }
  assert_int_equal(feed(c, rs, "N", "10.0.0.0", NULL, 3, NULL), 0); /* evicted */
  soc_correlator_free(c);
  soc_rules_free(rs);
}

/* The table through its growth (from 64 slots), many evictions and
 * expiries (removals from the runs of a table up to 4/5 full, among
 * hashes that share their top bits): every key kept is found again (a lost
 * one would come back as a new key, counted), every key gone starts over.
 * Fails when a removal does not move back the rest of its run. */
static void test_table_churn(void **state) {
  (void)state;
  enum { KEEP = 30000, FED = 45000 };
  soc_rules *rs = load(RULE_N);
  soc_correlator *c = fed_full(rs, KEEP, FED);
  soc_correlator_stats st;
  char ip[32];
  /* every other kept key is seen again much later; the rest expire */
  for (int i = FED - KEEP; i < FED; i += 2) {
    ip_of(ip, sizeof ip, i);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 7200, NULL), 0); /* out of the window */
  }
  assert_int_equal(soc_correlator_expire(c, S(7200)), KEEP / 2);
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.keys, KEEP / 2);
  for (int i = FED - KEEP; i < FED; i++) {
    ip_of(ip, sizeof ip, i);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 7201, NULL), (i - (FED - KEEP)) % 2 == 0);
  }
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.keys, KEEP);
  assert_int_equal(st.evicted, FED - KEEP);
  for (int i = 0; i < FED - KEEP; i += 97) { /* evicted long ago: new keys, evicting */
    ip_of(ip, sizeof ip, i);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 7202, NULL), 0);
  }
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_eviction(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 2, within: 1h }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 3);
  soc_correlator_stats st;
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 2, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 3, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 4, NULL), 1); /* .2 is fresh again */
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 5, NULL), 0); /* evicts .1 */
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.evicted, 1);
  assert_int_equal(st.keys, 3);
  assert_int_equal(st.max_keys, 3);
  /* .1 starts over (it would have fired), and evicts .3, the stalest */
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 6, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 7, NULL), 1); /* .4 survived */
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 8, NULL), 0); /* evicts .2 */
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.evicted, 3);
  assert_int_equal(st.keys, 3);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

/* Times from hostile lines span all of int64: nothing overflows (UBSan
 * builds check), and the far past and the far future are never one window. */
static void test_extreme_times(void **state) {
  (void)state;
  soc_rules *rs = load(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 2, within: 30d,"
      " suppress: 30d }\n" INCIDENT
      "- id: S\n  title: t\n  match: { all: [ { contains: y } ] }\n"
      "  correlate: { group_by: [ source.ip ], after: { rule: N, within: 30d } }\n" INCIDENT
      "- id: D\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], distinct: user.name, count: 2,"
      " within: 30d }\n" INCIDENT);
  soc_correlator *c = corr_new(rs, 0);
  const soc_rule *n = soc_rules_find(rs, "N"), *sq = soc_rules_find(rs, "S"),
                 *dr = soc_rules_find(rs, "D");
  const int64_t lo = INT64_MIN + 1, hi = INT64_MAX;
  soc_fire f;
#define FEED(rule, ip, user, t) soc_correlator_feed(c, rule, ev_of(ip, user), t, &f)
  /* a window from the far past to the far future is not 30 days */
  assert_int_equal(FEED(n, "10.0.0.1", NULL, lo), 0);
  assert_int_equal(FEED(n, "10.0.0.1", NULL, hi), 0);
  assert_int_equal(FEED(n, "10.0.0.1", NULL, hi - 1), 1);
  /* suppressed from the far future, a pair in the far past stays quiet */
  assert_int_equal(FEED(n, "10.0.0.1", NULL, lo), 0);
  assert_int_equal(FEED(n, "10.0.0.1", NULL, lo + 1), 0);
  /* a sequence armed in the far past does not reach the far future */
  assert_int_equal(FEED(n, "10.0.0.2", NULL, lo), 0);
  assert_int_equal(FEED(n, "10.0.0.2", NULL, lo + 1), 1);
  assert_int_equal(FEED(sq, "10.0.0.2", NULL, hi), 0);
  assert_int_equal(FEED(sq, "10.0.0.2", NULL, lo + 2), 1);
  /* distinct values seen at both ends are not in one window */
  assert_int_equal(FEED(dr, "10.0.0.1", "a", lo), 0);
  assert_int_equal(FEED(dr, "10.0.0.1", "b", hi), 0);
  assert_int_equal(FEED(dr, "10.0.0.1", "c", hi), 1);
#undef FEED
  soc_correlator_stats st;
  soc_correlator_stats_get(c, &st);
  assert_int_equal(st.suppressed, 1);
  /* horizons saturate: nothing expires at the far past, all at the end */
  assert_int_equal(soc_correlator_expire(c, lo), 0);
  assert_int_equal(soc_correlator_expire(c, INT64_MAX), 2); /* N/.2 and S/.2 */
  soc_correlator_free(c);
  soc_rules_free(rs);
}

/* ---- persistence --------------------------------------------------------- */

typedef struct saved {
  char rule[80], key[SOC_CORRELATE_KEY_MAX + 1];
  uint8_t blob[SOC_CORRELATE_BLOB_MAX];
  size_t len;
  int deleted;
} saved;

typedef struct store {
  saved rows[64];
  size_t n;
  int resets, deletes, writes;
} store;

static int save_cb(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  store *s = arg;
  if (!rule) {
    s->resets++;
    s->n = 0;
    return 0;
  }
  assert_true(len <= SOC_CORRELATE_BLOB_MAX);
  size_t i = 0;
  while (i < s->n && (strcmp(s->rows[i].rule, rule) || strcmp(s->rows[i].key, key))) i++;
  if (!blob) {
    s->deletes++;
    if (i < s->n) s->rows[i] = s->rows[--s->n];
    return 0;
  }
  s->writes++;
  if (i == s->n) {
    if (s->n == 64) return -ENOSPC;
    s->n++;
  }
  snprintf(s->rows[i].rule, sizeof s->rows[i].rule, "%s", rule);
  snprintf(s->rows[i].key, sizeof s->rows[i].key, "%s", key);
  memcpy(s->rows[i].blob, blob, len);
  s->rows[i].len = len;
  return 0;
}

static const char *persist_rules =
    "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
    "  correlate: { group_by: [ source.ip ], count: 3, within: 1m, suppress: 10m }\n" INCIDENT
    "- id: D\n  title: t\n  match: { all: [ { contains: x } ] }\n"
    "  correlate: { group_by: [ source.ip ], distinct: user.name, count: 3, within: 1m }\n" INCIDENT
    "- id: A\n  title: t\n  match: { all: [ { contains: ok } ] }\n"
    "  correlate: { group_by: [ source.ip ], after: { rule: N, within: 1h } }\n" INCIDENT
    "- id: PLAIN\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT;

/* What is saved stays what older agents saved: distinct values are kept as
 * SipHash-1-3 hashes under a fixed key, read back after a restart or an
 * upgrade. Values of 1 to 17 bytes (every tail length, one and two words)
 * through D, its blobs hashed here and compared with what the agents
 * before the hash read its words a load each wrote. */
static void test_saved_hashes(void **state) {
  (void)state;
  static const char *const users[] = {
      "a",      "ab",      "abc",      "abcd",      "abcde",
      "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmnopq"};
  soc_rules *rs = load(persist_rules);
  soc_correlator *c = corr_new(rs, 0);
  static store s;
  memset(&s, 0, sizeof s);
  for (int i = 0; i < 5; i++) {
    char ip[32];
    snprintf(ip, sizeof ip, "10.0.1.%d", i);
    assert_int_equal(feed(c, rs, "D", ip, users[2 * i], 10, NULL), 0);
    assert_int_equal(feed(c, rs, "D", ip, users[2 * i + 1], 11, NULL), 0);
  }
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_ALL, save_cb, &s), 0);
  assert_int_equal(s.n, 5);
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < 5; i++) {
    char ip[32];
    size_t r = 0;
    snprintf(ip, sizeof ip, "10.0.1.%d", i);
    while (r < s.n && strcmp(s.rows[r].key, ip)) r++;
    assert_true(r < s.n);
    for (size_t b = 0; b < s.rows[r].len; b++)
      h = (h ^ ((const unsigned char *)s.rows[r].blob)[b]) * 1099511628211ULL;
  }
  assert_int_equal(h, 0x593a89de5650193eULL); /* as e5f9b3a's agent saved them */
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_dump_restore(void **state) {
  (void)state;
  soc_rules *rs = load(persist_rules);
  soc_correlator *c = corr_new(rs, 0), *c2;
  static store s;
  memset(&s, 0, sizeof s);
  /* state: N fired for .1 (suppressed now, and A armed), N has two hits for
   * .2, D has two users for .1 */
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 2, NULL), 1);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 10, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 11, NULL), 0);
  assert_int_equal(feed(c, rs, "D", "10.0.0.1", "a", 10, NULL), 0);
  assert_int_equal(feed(c, rs, "D", "10.0.0.1", "b", 11, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_ALL, save_cb, &s), 0);
  assert_int_equal(s.resets, 1);
  assert_int_equal(s.n, 4); /* N/.1, N/.2, D/.1, A/.1 */
  /* a fresh correlator with the saved state behaves as if nothing restarted */
  c2 = corr_new(rs, 0);
  for (size_t i = 0; i < s.n; i++)
    assert_int_equal(
        soc_correlator_restore(c2, s.rows[i].rule, s.rows[i].key, s.rows[i].blob, s.rows[i].len),
        0);
  for (soc_correlator *x = c; x; x = x == c ? c2 : NULL) {
    soc_fire f;
    assert_int_equal(feed(x, rs, "N", "10.0.0.2", NULL, 12, &f), 1);
    assert_int_equal(f.first_ns, S(10));
    assert_int_equal(feed(x, rs, "N", "10.0.0.1", NULL, 20, NULL), 0);
    assert_int_equal(feed(x, rs, "N", "10.0.0.1", NULL, 21, NULL), 0);
    assert_int_equal(feed(x, rs, "N", "10.0.0.1", NULL, 22, NULL), 0); /* suppressed */
    assert_int_equal(feed(x, rs, "D", "10.0.0.1", "c", 12, &f), 1);
    assert_int_equal(f.first_ns, S(10));
    assert_int_equal(feed(x, rs, "A", "10.0.0.1", NULL, 30, NULL), 1); /* after N */
    assert_int_equal(feed(x, rs, "A", "10.0.0.9", NULL, 30, NULL), 0);
  }
  soc_correlator_stats st;
  soc_correlator_stats_get(c2, &st);
  assert_int_equal(st.restored, 4);
  assert_int_equal(st.suppressed, 1);
  soc_correlator_free(c2);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static void test_dirty(void **state) {
  (void)state;
  soc_rules *rs = load(persist_rules);
  soc_correlator *c = corr_new(rs, 2);
  static store s;
  memset(&s, 0, sizeof s);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 0, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.writes, 2);
  assert_int_equal(s.resets, 0);
  /* until mark_clean, the same changes are dumped again */
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.writes, 4);
  soc_correlator_mark_clean(c);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.writes, 4);
  /* one change, one write */
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.writes, 5);
  for (size_t i = 0; i < s.n; i++) /* .1 now holds two hits */
    if (!strcmp(s.rows[i].key, "10.0.0.1")) assert_int_equal(s.rows[i].len, 36 + 2 * 8);
  soc_correlator_mark_clean(c);
  /* an eviction of a saved state becomes a delete */
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 2, NULL), 0); /* evicts .2 */
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.deletes, 1);
  assert_int_equal(s.writes, 6);
  assert_int_equal(s.n, 2);
  soc_correlator_mark_clean(c);
  /* expiry past every horizon removes (and deletes) states */
  assert_int_equal(soc_correlator_expire(c, S(30)), 0);
  assert_int_equal(soc_correlator_expire(c, S(1000)), 2);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.deletes, 3);
  assert_int_equal(s.n, 0);
  soc_correlator_free(c);

  /* more removals than tombstones: one "forget everything" instead */
  c = corr_new(rs, 0);
  char ip[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(ip, sizeof ip, "10.1.%d.%d", i / 256, i % 256);
    assert_int_equal(feed(c, rs, "N", ip, NULL, 0, NULL), 0);
  }
  soc_correlator_mark_clean(c);
  assert_int_equal(feed(c, rs, "N", "10.9.9.9", NULL, 500, NULL), 0);
  assert_int_equal(soc_correlator_expire(c, S(100)), 5000);
  memset(&s, 0, sizeof s);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.resets, 1);
  assert_int_equal(s.deletes, 0);
  assert_int_equal(s.n, 1);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

/* A state goes away as a delete only when it was saved: made and gone in
 * one transaction it never reaches the store; saved and changed since, it
 * is still there (mark_clean starts a generation instead of visiting the
 * dirty states, so "saved" is told from the generation a state was last
 * changed in). */
static void test_dirty_generations(void **state) {
  (void)state;
  soc_rules *rs = load(persist_rules);
  soc_correlator *c = corr_new(rs, 2);
  static store s;
  memset(&s, 0, sizeof s);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 0, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.2", NULL, 0, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  soc_correlator_mark_clean(c);
  for (int round = 0; round < 3; round++) { /* generations that change nothing */
    assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
    soc_correlator_mark_clean(c);
  }
  assert_int_equal(s.writes, 2);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 1, NULL), 0); /* saved, changed */
  assert_int_equal(feed(c, rs, "N", "10.0.0.3", NULL, 2, NULL), 0); /* evicts .2: saved */
  assert_int_equal(feed(c, rs, "N", "10.0.0.4", NULL, 3, NULL), 0); /* evicts .1: saved */
  assert_int_equal(feed(c, rs, "N", "10.0.0.5", NULL, 4, NULL), 0); /* evicts .3: never */
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.deletes, 2);
  assert_int_equal(s.writes, 4); /* .4 and .5 */
  assert_int_equal(s.n, 2);
  soc_correlator_mark_clean(c);
  /* saved in the generation before: expired, both are deletes */
  assert_int_equal(feed(c, rs, "N", "10.0.0.5", NULL, 5, NULL), 0);
  assert_int_equal(soc_correlator_expire(c, S(1000)), 2);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_DIRTY, save_cb, &s), 0);
  assert_int_equal(s.deletes, 4);
  assert_int_equal(s.writes, 4);
  assert_int_equal(s.n, 0);
  soc_correlator_free(c);
  soc_rules_free(rs);
}

static int first_blob(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  saved *out = arg;
  if (!rule || !blob || out->len) return 0;
  snprintf(out->rule, sizeof out->rule, "%s", rule);
  snprintf(out->key, sizeof out->key, "%s", key);
  memcpy(out->blob, blob, len);
  out->len = len;
  return 0;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void test_malformed_blobs(void **state) {
  (void)state;
  soc_rules *rs = load(persist_rules);
  soc_correlator *c = corr_new(rs, 0);
  static saved good, dgood;
  static uint8_t b[SOC_CORRELATE_BLOB_MAX + 8];
  memset(&good, 0, sizeof good);
  memset(&dgood, 0, sizeof dgood);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 1, NULL), 0);
  assert_int_equal(feed(c, rs, "N", "10.0.0.1", NULL, 2, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_ALL, first_blob, &good), 0);
  assert_int_equal(good.len, 36 + 2 * 8);
  soc_correlator_free(c);
  c = corr_new(rs, 0);
  assert_int_equal(feed(c, rs, "D", "10.0.0.1", "a", 1, NULL), 0);
  assert_int_equal(feed(c, rs, "D", "10.0.0.1", "b", 2, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_ALL, first_blob, &dgood), 0);
  assert_int_equal(dgood.len, 36 + 2 * 16);
  soc_correlator_free(c);
  c = corr_new(rs, 0);
#define REFUSE(rule, key, buf, len) \
  assert_int_equal(soc_correlator_restore(c, rule, key, buf, len), -EINVAL)
  assert_int_equal(soc_correlator_restore(c, "N", "k", good.blob, good.len), 0);
  assert_int_equal(soc_correlator_restore(c, "D", "k", dgood.blob, dgood.len), 0);
  /* truncated, padded, empty */
  for (size_t n = 0; n < good.len; n++) REFUSE("N", "k", good.blob, n);
  memcpy(b, good.blob, good.len);
  REFUSE("N", "k", b, good.len + 1);
  REFUSE("N", "k", NULL, 0);
  /* magic, version, kind, flags, reserved */
  memcpy(b, good.blob, good.len);
  b[0] = 'X';
  REFUSE("N", "k", b, good.len);
  memcpy(b, good.blob, good.len);
  b[4] = 2;
  REFUSE("N", "k", b, good.len);
  memcpy(b, good.blob, good.len);
  b[6] = 4;
  REFUSE("N", "k", b, good.len);
  b[6] = 1; /* says "fired" but the time is none */
  REFUSE("N", "k", b, good.len);
  memcpy(b, good.blob, good.len);
  b[7] = 1;
  REFUSE("N", "k", b, good.len);
  /* a count blob for a distinct rule, and the other way round */
  REFUSE("D", "k", good.blob, good.len);
  REFUSE("N", "k", dgood.blob, dgood.len);
  /* item count: too many, or not matching the length */
  memcpy(b, good.blob, good.len);
  put32(b + 32, 3);
  REFUSE("N", "k", b, good.len);
  put32(b + 32, SOC_RULE_COUNT_MAX + 1);
  REFUSE("N", "k", b, 36 + 8 * (SOC_RULE_COUNT_MAX + 1));
  /* hit times out of order; duplicate distinct hashes */
  memcpy(b, good.blob, good.len);
  memcpy(b + 36, good.blob + 44, 8);
  memcpy(b + 44, good.blob + 36, 8);
  REFUSE("N", "k", b, good.len);
  memcpy(b, dgood.blob, dgood.len);
  memcpy(b + 52, b + 36, 8);
  REFUSE("D", "k", b, dgood.len);
  /* a key that is too long */
  char longkey[SOC_CORRELATE_KEY_MAX + 2];
  memset(longkey, 'k', sizeof longkey - 1);
  longkey[sizeof longkey - 1] = '\0';
  REFUSE("N", longkey, good.blob, good.len);
  /* rules that are gone, or do not correlate: drop the row */
  assert_int_equal(soc_correlator_restore(c, "GONE", "k", good.blob, good.len), -ENOENT);
  assert_int_equal(soc_correlator_restore(c, "PLAIN", "k", good.blob, good.len), -ENOENT);
  /* random damage never crashes and never half-applies */
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 20000; i++) {
    const saved *src = i % 2 ? &good : &dgood;
    memcpy(b, src->blob, src->len);
    for (int k = 0; k < 1 + i % 4; k++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b[x % src->len] ^= (uint8_t)(1u << (x >> 40) % 8);
    }
    int rc = soc_correlator_restore(c, i % 2 ? "N" : "D", "r", b, src->len);
    assert_true(rc == 0 || rc == -EINVAL);
  }
  soc_correlator_stats st;
  soc_correlator_stats_get(c, &st);
  assert_true(st.refused >= 60);
  soc_correlator_free(c);
  soc_correlator_free(NULL);
  soc_rules_free(rs);
}

/* The count was lowered since the dump: the newest hits are kept. */
static void test_restore_shrinks(void **state) {
  (void)state;
  soc_rules *big = load(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 5, within: 1m }\n" INCIDENT);
  soc_rules *small = load(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  correlate: { group_by: [ source.ip ], count: 3, within: 1m }\n" INCIDENT);
  soc_correlator *c = corr_new(big, 0);
  static saved sv;
  memset(&sv, 0, sizeof sv);
  for (int t = 1; t <= 4; t++) assert_int_equal(feed(c, big, "N", "10.0.0.1", NULL, t, NULL), 0);
  assert_int_equal(soc_correlator_dump(c, SOC_DUMP_ALL, first_blob, &sv), 0);
  soc_correlator_free(c);
  c = corr_new(small, 0);
  assert_int_equal(soc_correlator_restore(c, "N", sv.key, sv.blob, sv.len), 0);
  soc_fire f;
  assert_int_equal(feed(c, small, "N", "10.0.0.1", NULL, 5, &f), 1);
  assert_int_equal(f.first_ns, S(3)); /* 3, 4 and 5 */
  soc_correlator_free(c);
  soc_rules_free(big);
  soc_rules_free(small);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_count_window),    cmocka_unit_test(test_no_correlate_and_keys),
      cmocka_unit_test(test_plain_key),       cmocka_unit_test(test_distinct),
      cmocka_unit_test(test_sequence),        cmocka_unit_test(test_suppress),
      cmocka_unit_test(test_eviction),        cmocka_unit_test(test_eviction_many),
      cmocka_unit_test(test_extreme_times),   cmocka_unit_test(test_table_churn),
      cmocka_unit_test(test_dump_restore),    cmocka_unit_test(test_dirty_generations),
      cmocka_unit_test(test_saved_hashes),    cmocka_unit_test(test_dirty),
      cmocka_unit_test(test_malformed_blobs), cmocka_unit_test(test_restore_shrinks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
