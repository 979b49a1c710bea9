/* store_detect: correlation state, drafts, evidence and the outbox survive a
 * reopen and come back as they went in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/store.h"
#include "testutil.h"

static soc_store *open_store(void) {
  char path[256], err[256];
  soc_store *s = NULL;
  snprintf(path, sizeof path, "%s/detect.db", test_dir());
  assert_int_equal(soc_store_open(path, 0, &s, err, sizeof err), 0);
  return s;
}

static int count_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  int *n = arg;
  assert_string_equal(rule, "R1");
  assert_true(strcmp(key, "k1") == 0 || strcmp(key, "k2") == 0);
  assert_int_equal(len, 3);
  assert_memory_equal(blob, "\x01\x00\x02", 3);
  (*n)++;
  return 0;
}

static void test_state(void **state) {
  (void)state;
  soc_store *s = open_store();
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k1", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k2", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k3", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k3", NULL, 0), 0); /* evicted */
  soc_store_close(s);
  s = open_store();
  int n = 0;
  assert_int_equal(soc_store_detect_state_scan(s, count_state, &n), 0);
  assert_int_equal(n, 2);
  soc_store_close(s);
}

/* The state as a model says it must be, checked row by row. */
#define LOG_KEYS 40
typedef struct state_model {
  char value[LOG_KEYS][16]; /* "" : no state */
  int seen, last;           /* rows scanned; the last key index (order) */
} state_model;

static int check_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  state_model *m = arg;
  int k = atoi(key + 1);
  assert_string_equal(rule, key[0] == 'a' ? "R1" : "R2");
  assert_true(k > m->last); /* in (rule, key) order, as the table's key gives */
  m->last = k;
  assert_true(m->value[k][0]);
  assert_int_equal(len, strlen(m->value[k]));
  assert_memory_equal(blob, m->value[k], len);
  m->seen++;
  return 0;
}

static void scan_is(soc_store *s, state_model *m) {
  int live = 0;
  for (int k = 0; k < LOG_KEYS; k++) live += m->value[k][0] != 0;
  m->seen = 0;
  m->last = -1;
  assert_int_equal(soc_store_detect_state_scan(s, check_state, m), 0);
  assert_int_equal(m->seen, live);
}

/* Every live state written again after a clear, as the detector does when
 * the log has grown (the model's, in an order of its own). */
static void rewrite_all(soc_store *s, const state_model *m) {
  int64_t rows = -1;
  assert_int_equal(soc_store_detect_state_clear(s), 0);
  assert_int_equal(soc_store_detect_state_rows(s, &rows), 0);
  assert_int_equal(rows, 0);
  for (int k = LOG_KEYS - 1; k >= 0; k--) {
    char key[8];
    snprintf(key, sizeof key, "%c%02d", k < LOG_KEYS / 2 ? 'a' : 'b', k);
    if (m->value[k][0])
      assert_int_equal(soc_store_detect_state_put(s, k < LOG_KEYS / 2 ? "R1" : "R2", key,
                                                  m->value[k], strlen(m->value[k])),
                       0);
  }
}

/* States written, changed and deleted in any order, everything written
 * again after a clear at any point (or not): the scan gives each key's last
 * state, in key order, before and after a reopen and a rolled back
 * rewrite. */
static void test_state_log(void **state) {
  (void)state;
  soc_store *s = open_store();
  state_model m = {0};
  uint32_t r = 7;
  assert_int_equal(soc_store_detect_state_clear(s), 0);
  for (int i = 0; i < 3000; i++) {
    r = r * 1103515245u + 12345u;
    int k = (int)((r >> 16) % LOG_KEYS), del = (r >> 8) % 5 == 0;
    /* keys a0..a19 of R1 sort before b20..b39 of R2 */
    char key[8];
    snprintf(key, sizeof key, "%c%02d", k < LOG_KEYS / 2 ? 'a' : 'b', k);
    if (del)
      m.value[k][0] = '\0';
    else
      snprintf(m.value[k], sizeof m.value[k], "v%d", i);
    assert_int_equal(soc_store_detect_state_put(s, k < LOG_KEYS / 2 ? "R1" : "R2", key,
                                                del ? NULL : m.value[k], strlen(m.value[k])),
                     0);
    if (i % 97 == 0) {
      int64_t rows = 0;
      assert_int_equal(soc_store_detect_state_rows(s, &rows), 0);
      assert_true(rows > 0);
      if ((r >> 4) % 3 == 0) rewrite_all(s, &m);
    }
    if (i % 500 == 499) scan_is(s, &m); /* sometimes inside a transaction */
    /* most puts in transactions, one packed row each at the commit */
    if (i % 300 == 10) assert_int_equal(soc_store_begin(s), 0);
    if (i % 300 == 160) assert_int_equal(soc_store_commit(s), 0);
    if (i == 1800) {
      assert_int_equal(soc_store_begin(s), 0);
      state_model none = {0};
      rewrite_all(s, &none);
      assert_int_equal(soc_store_rollback(s), 0);
      scan_is(s, &m);
      soc_store_close(s);
      s = open_store();
      scan_is(s, &m);
    }
  }
  rewrite_all(s, &m);
  scan_is(s, &m);
  assert_int_equal(soc_store_detect_state_clear(s), 0);
  memset(&m, 0, sizeof m);
  scan_is(s, &m);
  soc_store_close(s);
}

/* Big states, in one transaction: more than one packed row (a row ends
 * past 1 MiB), each key read back whole and once; a rolled back
 * transaction's puts are gone, and so is what a clear forgot. */
#define BIG_KEYS 300
#define BIG_LEN 6000

static int check_big(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  int *seen = arg;
  int k = atoi(key);
  const unsigned char *b = blob;
  assert_string_equal(rule, "R-BIG");
  assert_int_equal(len, BIG_LEN - k);
  for (size_t i = 0; i < len; i++) assert_int_equal(b[i], (unsigned char)((size_t)k + i));
  seen[k]++;
  return 0;
}

static void test_state_big(void **state) {
  (void)state;
  static unsigned char blob[BIG_LEN];
  int seen[BIG_KEYS] = {0};
  int64_t rows = 0;
  soc_store *s = open_store();
  assert_int_equal(soc_store_detect_state_clear(s), 0);
  assert_int_equal(soc_store_begin(s), 0);
  for (int k = 0; k < BIG_KEYS; k++) {
    char key[16];
    snprintf(key, sizeof key, "%03d", k);
    for (int i = 0; i < BIG_LEN - k; i++) blob[i] = (unsigned char)(k + i);
    assert_int_equal(soc_store_detect_state_put(s, "R-BIG", key, blob, (size_t)(BIG_LEN - k)), 0);
  }
  assert_int_equal(soc_store_commit(s), 0);
  assert_int_equal(soc_store_detect_state_rows(s, &rows), 0);
  assert_int_equal(rows, BIG_KEYS);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R-BIG", "000", NULL, 0), 0);
  assert_int_equal(soc_store_rollback(s), 0);
  soc_store_close(s);
  s = open_store();
  assert_int_equal(soc_store_detect_state_scan(s, check_big, seen), 0);
  for (int k = 0; k < BIG_KEYS; k++) assert_int_equal(seen[k], 1);
  /* a put too long for a record is refused, with the rule named */
  static unsigned char huge[65536];
  assert_int_equal(soc_store_detect_state_put(s, "R-BIG", "x", huge, sizeof huge), -EINVAL);
  soc_store_close(s);
}

/* Puts inside a savepoint, which is a transaction of its own when none is
 * open: written when it is released, gone when it is rolled back to, the
 * puts before it kept either way. */
static void test_state_savepoint(void **state) {
  (void)state;
  int n = 0;
  soc_store *s = open_store();
  assert_int_equal(soc_store_detect_state_clear(s), 0);
  assert_int_equal(soc_store_savepoint(s, "outer"), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k1", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_release(s, "outer"), 0);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k2", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_savepoint(s, "inner"), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R1", "k3", "\x01\x00\x02", 3), 0);
  assert_int_equal(soc_store_rollback_to(s, "inner"), 0);
  assert_int_equal(soc_store_commit(s), 0);
  soc_store_close(s);
  s = open_store();
  assert_int_equal(soc_store_detect_state_scan(s, count_state, &n), 0); /* k1, k2 */
  assert_int_equal(n, 2);
  soc_store_close(s);
}

static int collect_draft(void *arg, const soc_draft_row *r) {
  int64_t *ids = arg;
  for (int i = 0; i < 8; i++)
    if (!ids[i]) {
      ids[i] = r->id;
      break;
    }
  return 0;
}

static int collect_evidence(void *arg, const soc_evidence_row *e) {
  int *n = arg;
  assert_int_equal(e->seq, *n);
  assert_int_equal(e->pos, 100 + (uint64_t)*n);
  assert_int_equal(e->len, 6);
  assert_memory_equal(e->line, "line\0x", 6); /* bytes, NUL included */
  (*n)++;
  return 0;
}

static void test_drafts(void **state) {
  (void)state;
  soc_store *s = open_store();
  soc_draft_row d = {.level = 3, .first_ns = 10, .last_ns = 20, .discovered_ns = 30, .count = 5};
  snprintf(d.rule, sizeof d.rule, "SOC-SSH-001");
  snprintf(d.key, sizeof d.key, "203.0.113.7");
  snprintf(d.asset, sizeof d.asset, "portal");
  snprintf(d.status, sizeof d.status, "open");
  d.body = strdup("{\"category\":\"intrusion\"}");
  assert_int_equal(soc_store_draft_put(s, &d), 0);
  assert_true(d.id > 0);
  int64_t id = d.id;
  soc_draft_row got;
  assert_int_equal(soc_store_draft_get(s, id, &got), 0);
  assert_int_equal(got.id, id);
  assert_int_equal(got.count, 5);
  assert_string_equal(got.body, "{\"category\":\"intrusion\"}");
  /* an update keeps the id */
  got.count = 9;
  snprintf(got.status, sizeof got.status, "confirmed");
  assert_int_equal(soc_store_draft_put(s, &got), 0);
  assert_int_equal(got.id, id);
  soc_draft_row_clear(&got);
  assert_int_equal(soc_store_draft_get(s, id, &got), 0);
  assert_int_equal(got.count, 9);
  assert_string_equal(got.status, "confirmed");
  soc_draft_row_clear(&got);
  assert_int_equal(soc_store_draft_get(s, id + 100, &got), -ENOENT);
  for (int i = 0; i < 3; i++) {
    soc_evidence_row e = {.draft = id,
                          .seq = i,
                          .block = 1,
                          .source = "app",
                          .stream = 2,
                          .pos = 100 + (uint64_t)i,
                          .ts = 5,
                          .line = "line\0x",
                          .len = 6};
    assert_int_equal(soc_store_evidence_add(s, &e), 0);
  }
  int n = 0;
  assert_int_equal(soc_store_evidence_scan(s, id, collect_evidence, &n), 0);
  assert_int_equal(n, 3);
  /* a second draft; scan orders newest discovery first, filters by status */
  soc_draft_row d2 = d;
  d2.id = 0;
  d2.discovered_ns = 99;
  d2.body = NULL;
  assert_int_equal(soc_store_draft_put(s, &d2), 0);
  int64_t ids[8] = {0};
  assert_int_equal(soc_store_drafts_scan(s, NULL, collect_draft, ids), 0);
  assert_int_equal(ids[0], d2.id);
  assert_int_equal(ids[1], id);
  memset(ids, 0, sizeof ids);
  assert_int_equal(soc_store_drafts_scan(s, "open", collect_draft, ids), 0);
  assert_int_equal(ids[0], d2.id);
  assert_int_equal(ids[1], 0);
  free(d.body);
  soc_store_close(s);
}

static int collect_outbox(void *arg, int64_t id, const char *topic, const char *key,
                          const void *payload, size_t len) {
  int *n = arg;
  (void)id;
  assert_string_equal(topic, *n ? "incidents" : "alerts");
  assert_string_equal(key, "web01");
  assert_int_equal(len, 2);
  assert_memory_equal(payload, "{}", 2);
  (*n)++;
  return 0;
}

static void test_outbox(void **state) {
  (void)state;
  soc_store *s = open_store();
  int64_t a = 0, b = 0;
  assert_int_equal(soc_store_outbox_add(s, "alerts", "web01", "{}", 2, &a), 0);
  assert_int_equal(soc_store_outbox_add(s, "incidents", "web01", "{}", 2, &b), 0);
  assert_true(b > a);
  int n = 0;
  assert_int_equal(soc_store_outbox_scan(s, a - 1, 10, collect_outbox, &n), 0);
  assert_int_equal(n, 2);
  n = 1; /* after a: only the second */
  assert_int_equal(soc_store_outbox_scan(s, a, 10, collect_outbox, &n), 0);
  assert_int_equal(n, 2);
  soc_store_close(s);
}

static int note_entity(void *arg, int64_t alert, int64_t draft) {
  int64_t *got = arg;
  got[0]++;
  got[1] = alert;
  got[2] = draft;
  return 0;
}

static int count_alert(void *arg, const soc_alert_row *a) {
  (*(int *)arg)++;
  assert_string_equal(a->impact, "none");
  return 0;
}

/* Alerts (issue 15): found by (rule, key, host) within a time, their
 * evidence copied after a draft's, their entities found grouped or not. */
static void test_alerts(void **state) {
  (void)state;
  soc_store *s = open_store();
  soc_alert_row a = {.level = 0, .first_ns = 100, .last_ns = 200, .count = 3};
  snprintf(a.rule, sizeof a.rule, "SOC-SSH-001");
  snprintf(a.key, sizeof a.key, "198.51.100.7");
  snprintf(a.host, sizeof a.host, "gw01");
  snprintf(a.asset, sizeof a.asset, "ssh-gateway");
  snprintf(a.impact, sizeof a.impact, "none");
  assert_int_equal(soc_store_alert_put(s, &a), 0);
  assert_true(a.id > 0);
  soc_alert_row got = {0};
  assert_int_equal(soc_store_alert_find(s, "SOC-SSH-001", "198.51.100.7", "gw01", 150, &got), 0);
  assert_int_equal(got.id, a.id);
  assert_int_equal(got.count, 3);
  assert_string_equal(got.body, "{}");
  soc_alert_row_clear(&got);
  /* last seen before the time asked: another alert's business */
  assert_int_equal(soc_store_alert_find(s, "SOC-SSH-001", "198.51.100.7", "gw01", 201, &got),
                   -ENOENT);
  assert_int_equal(soc_store_alert_find(s, "SOC-SSH-001", "198.51.100.7", "db01", 0, &got),
                   -ENOENT);
  /* a later hit: times and count change, the rest (the body) stays */
  soc_alert_row later = a;
  later.body = NULL;
  later.first_ns = 90;
  later.last_ns = 250;
  later.count = 4;
  snprintf(later.asset, sizeof later.asset, "not-written");
  assert_int_equal(soc_store_alert_touch(s, &later), 0);
  assert_int_equal(soc_store_alert_get(s, a.id, &got), 0);
  assert_true(got.first_ns == 90 && got.last_ns == 250 && got.count == 4);
  assert_string_equal(got.asset, "ssh-gateway");
  assert_string_equal(got.body, "{}");
  soc_alert_row_clear(&got);
  assert_int_equal(soc_store_alert_touch(s, &a), 0); /* as it was, for what follows */
  for (int i = 0; i < 3; i++) {
    soc_evidence_row e = {.draft = a.id,
                          .seq = i,
                          .block = 1,
                          .source = "auth",
                          .ts = 100 + i,
                          .line = "Failed password",
                          .len = 15};
    assert_int_equal(soc_store_alert_evidence_add(s, &e), 0);
  }
  assert_int_equal(soc_store_alert_evidence_count(s, a.id), 3);
  /* entities: not grouped until a draft takes the alert in */
  int64_t seen[3] = {0};
  assert_int_equal(soc_store_alert_entity_put(s, "gw01", "source.ip", "198.51.100.7", a.id), 0);
  assert_int_equal(soc_store_alert_entity_put(s, "gw01", "source.ip", "198.51.100.7", a.id), 0);
  assert_int_equal(
      soc_store_entity_scan(s, "gw01", "source.ip", "198.51.100.7", 0, 1, note_entity, seen), 0);
  assert_int_equal(seen[0], 0);
  assert_int_equal(
      soc_store_entity_scan(s, "gw01", "source.ip", "198.51.100.7", 200, 0, note_entity, seen), 0);
  assert_int_equal(seen[0], 1); /* once, and by the alert's last time */
  assert_int_equal(
      soc_store_entity_scan(s, "gw01", "source.ip", "198.51.100.7", 201, 0, note_entity, seen), 0);
  assert_int_equal(seen[0], 1);
  assert_int_equal(seen[1], a.id);
  soc_draft_row d = {.level = 3, .first_ns = 100, .last_ns = 300, .count = 1};
  snprintf(d.rule, sizeof d.rule, "SOC-SSH-003");
  snprintf(d.status, sizeof d.status, "open");
  assert_int_equal(soc_store_draft_put(s, &d), 0);
  soc_evidence_row e = {
      .draft = d.id, .seq = 0, .source = "auth", .ts = 300, .line = "Accepted", .len = 8};
  assert_int_equal(soc_store_evidence_add(s, &e), 0);
  a.draft = d.id;
  assert_int_equal(soc_store_alert_put(s, &a), 0);
  assert_int_equal(soc_store_alert_evidence_copy(s, a.id, d.id, 3), 0); /* room for 2 */
  assert_int_equal(soc_store_evidence_count(s, d.id), 3);
  memset(seen, 0, sizeof seen);
  assert_int_equal(
      soc_store_entity_scan(s, "gw01", "source.ip", "198.51.100.7", 0, 1, note_entity, seen), 0);
  assert_int_equal(seen[0], 1);
  assert_int_equal(seen[2], d.id);
  soc_store_close(s);
  s = open_store();
  int n = 0;
  assert_int_equal(soc_store_alerts_scan(s, d.id, count_alert, &n), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(soc_store_alerts_scan(s, 0, count_alert, &n), 0);
  assert_int_equal(n, 0);
  n = 0;
  assert_int_equal(soc_store_alerts_scan(s, -1, count_alert, &n), 0);
  assert_int_equal(n, 1);
  soc_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_state),     cmocka_unit_test(test_state_log),
      cmocka_unit_test(test_state_big), cmocka_unit_test(test_state_savepoint),
      cmocka_unit_test(test_drafts),    cmocka_unit_test(test_outbox),
      cmocka_unit_test(test_alerts)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
