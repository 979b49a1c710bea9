/* store_center: center.db's writes are idempotent (an event once per id, a
 * quarantined or generic message once per offset, an agent only moved
 * forward in time), counters add up, an agent's broker round trip is NULL
 * when unknown (also in a file upgraded from before it), and the two kinds
 * of store refuse each other's files. Also the collector's validator on
 * the cases the integration test cannot easily produce. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawsql.h"
#include "soc/store_center.h"
#include "testutil.h"
#include "validate.h"

static soc_center_store *open_center(const char *name) {
  char path[256], err[256];
  soc_center_store *s = NULL;
  snprintf(path, sizeof path, "%s/%s", test_dir(), name);
  int rc = soc_center_store_open(path, &s, err, sizeof err);
  if (rc) fprintf(stderr, "%s\n", err);
  assert_int_equal(rc, 0);
  return s;
}

static void test_events_once(void **state) {
  (void)state;
  soc_center_store *s = open_center("events.db"), *s2 = open_center("events.db");
  soc_center_writer *w = NULL, *w2 = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  assert_int_equal(soc_store_center_writer_new(s2, &w2), 0);
  soc_center_origin o = {.topic = "soc.events", .partition = 1, .offset = 7, .received_ns = 1};
  int dup = -1;
  const char *body = "{\"event\":{\"id\":\"x\"}}";
  assert_int_equal(soc_center_store_begin(s), 0);
  assert_int_equal(
      soc_store_center_event_put(w, &o, "id1", "a1", "h", "t", body, strlen(body), &dup), 0);
  assert_int_equal(dup, 0);
  assert_int_equal(
      soc_store_center_event_put(w, &o, "id2", "a2", "h", "t", body, strlen(body), &dup), 0);
  assert_int_equal(soc_center_store_commit(s), 0);
  /* the same id through another connection (another collector): dropped */
  o.offset = 99;
  assert_int_equal(
      soc_store_center_event_put(w2, &o, "id1", "a1", "h", "t", body, strlen(body), &dup), 0);
  assert_int_equal(dup, 1);
  int64_t n = 0;
  assert_int_equal(soc_store_center_events_count(s, NULL, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(soc_store_center_events_count(s, "a1", &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(soc_store_center_events_count(s, "nobody", &n), 0);
  assert_int_equal(n, 0);
  /* a rolled-back batch leaves nothing */
  assert_int_equal(soc_center_store_begin(s), 0);
  assert_int_equal(
      soc_store_center_event_put(w, &o, "id3", "a1", "h", "t", body, strlen(body), &dup), 0);
  assert_int_equal(soc_center_store_rollback(s), 0);
  assert_int_equal(soc_store_center_events_count(s, NULL, &n), 0);
  assert_int_equal(n, 2);
  soc_store_center_writer_free(w);
  soc_store_center_writer_free(w2);
  soc_center_store_close(s);
  soc_center_store_close(s2);
}

/* Issue 16: an event id is unique per agent only, so nobody can take
 * another agent's ids before it. */
static void test_event_ids_per_agent(void **state) {
  (void)state;
  soc_center_store *s = open_center("scoped.db");
  soc_center_writer *w = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  soc_center_origin o = {.topic = "soc.events", .partition = 0, .offset = 1, .received_ns = 1};
  int dup = -1;
  const char *body = "{}";
  assert_int_equal(soc_center_store_begin(s), 0);
  assert_int_equal(soc_store_center_event_put(w, &o, "id1", "mallory", "h", "t", body, 2, &dup), 0);
  assert_int_equal(dup, 0);
  assert_int_equal(soc_store_center_event_put(w, &o, "id1", "victim", "h", "t", body, 2, &dup), 0);
  assert_int_equal(dup, 0);
  assert_int_equal(soc_store_center_event_put(w, &o, "id1", "victim", "h", "t", body, 2, &dup), 0);
  assert_int_equal(dup, 1);
  assert_int_equal(soc_center_store_commit(s), 0);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

typedef struct keys_seen {
  char line[8][160];
  size_t n;
} keys_seen;

static int collect_key(void *arg, const soc_center_enrolment *e) {
  keys_seen *k = arg;
  if (k->n < 8)
    snprintf(k->line[k->n++], sizeof k->line[0], "%s %s %s %s %lld", e->agent, e->state, e->key,
             e->agency, (long long)e->messages);
  return 0;
}

static void test_enrolment(void **state) {
  (void)state;
  soc_center_store *s = open_center("keys.db");
  soc_center_writer *w = NULL;
  soc_center_key_row row;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  assert_int_equal(soc_store_center_key_of(w, "a1", &row), -ENOENT);
  /* an unknown sender's key, seen twice: one pending entry */
  assert_int_equal(soc_store_center_pending_seen(w, "a1", "K1", 10), 0);
  assert_int_equal(soc_store_center_pending_seen(w, "a1", "K1", 20), 0);
  assert_int_equal(soc_store_center_pending_seen(w, "a2", "K2", 30), 0);
  keys_seen k = {0};
  assert_int_equal(soc_store_center_enrolments_scan(s, collect_key, &k), 0);
  assert_int_equal(k.n, 2);
  assert_string_equal(k.line[0], "a1 pending K1  2");
  /* enrolled: its pending entry goes, the key is found */
  soc_center_enrolment e = {
      .agent = "a1", .key = "K1", .agency = "ag", .by = "ops", .os_user = "root", .at_ns = 40};
  assert_int_equal(soc_store_center_enrol(s, &e), 0);
  assert_int_equal(soc_store_center_key_of(w, "a1", &row), 0);
  assert_string_equal(row.key, "K1");
  assert_string_equal(row.agency, "ag");
  assert_int_equal(row.revoked, 0);
  assert_string_equal(row.prev_key, "");
  /* the agent rotates to K3: K1 is kept as the previous key */
  assert_int_equal(soc_store_center_rotate(w, "a1", "K3", 45), 0);
  assert_int_equal(soc_store_center_key_of(w, "a1", &row), 0);
  assert_string_equal(row.key, "K3");
  assert_string_equal(row.prev_key, "K1");
  assert_int_equal(row.rotated_ns, 45);
  /* the same rotation again changes nothing */
  assert_int_equal(soc_store_center_rotate(w, "a1", "K3", 46), 0);
  assert_int_equal(soc_store_center_key_of(w, "a1", &row), 0);
  assert_string_equal(row.prev_key, "K1");
  assert_int_equal(row.rotated_ns, 45);
  memset(&k, 0, sizeof k);
  assert_int_equal(soc_store_center_enrolments_scan(s, collect_key, &k), 0);
  assert_int_equal(k.n, 2);
  assert_string_equal(k.line[0], "a1 enrolled K3 ag 0");
  assert_string_equal(k.line[1], "a2 pending K2  1");
  /* revoked: still known, marked */
  assert_int_equal(soc_store_center_revoke(s, "a1", "ops", "root", 50), 0);
  assert_int_equal(soc_store_center_key_of(w, "a1", &row), 0);
  assert_int_equal(row.revoked, 1);
  assert_string_equal(row.prev_key, ""); /* nor does the rotated-away key count any more */
  assert_int_equal(soc_store_center_revoke(s, "nobody", "ops", "root", 50), -ENOENT);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

static void test_orphan_chunks(void **state) {
  (void)state;
  soc_center_store *s = open_center("orphans.db");
  int dup = 0;
  int64_t n = -1, bytes = -1;
  assert_int_equal(soc_store_center_chunk_put(s, "a/1/evidence", 0, 0, "abcd", 4, 100, &dup), 0);
  assert_int_equal(soc_store_center_chunk_put(s, "a/2/evidence", 0, 0, "abcdef", 6, 100, &dup), 0);
  assert_int_equal(soc_store_center_chunk_put(s, "a/3/evidence", 0, 0, "ab", 2, 300, &dup), 0);
  /* a/2 got its manifest: not an orphan however old */
  assert_int_equal(soc_store_center_bundle_put(s, "a/2/evidence", "a/2", "a", 1, 6, "{}", &dup), 0);
  assert_int_equal(soc_store_center_orphans_expire(s, 200, &n, &bytes), 0);
  assert_int_equal(n, 1);
  assert_int_equal(bytes, 4);
  assert_int_equal(soc_store_center_orphans_expire(s, 200, &n, &bytes), 0);
  assert_int_equal(n, 0);
  assert_int_equal(soc_store_center_orphans_expire(s, 301, &n, &bytes), 0);
  assert_int_equal(n, 1);
  soc_center_store_close(s);
}

static int check_rejected(void *arg, const soc_center_rejected *r) {
  int *n = arg;
  assert_string_equal(r->reason, "not_json");
  assert_int_equal(r->size, 10000);
  assert_int_equal(r->payload_len, SOC_CENTER_QUARANTINE_HEAD);
  assert_int_equal(r->key_len, SOC_CENTER_KEY_MAX);
  (*n)++;
  return 0;
}

static void test_quarantine(void **state) {
  (void)state;
  soc_center_store *s = open_center("q.db");
  soc_center_writer *w = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  static char junk[10000], key[2000];
  memset(junk, 0xff, sizeof junk);
  memset(key, 'k', sizeof key);
  soc_center_origin o = {.topic = "soc.events", .partition = 0, .offset = 3, .received_ns = 5};
  int dup = -1;
  assert_int_equal(soc_store_center_quarantine_put(w, &o, key, sizeof key, "not_json", "d", junk,
                                                   sizeof junk, &dup),
                   0);
  assert_int_equal(dup, 0);
  assert_int_equal(soc_store_center_quarantine_put(w, &o, key, sizeof key, "not_json", "d", junk,
                                                   sizeof junk, &dup),
                   0);
  assert_int_equal(dup, 1); /* a replay of the same offset */
  int n = 0;
  assert_int_equal(soc_store_center_quarantine_scan(s, 0, check_rejected, &n), 0);
  assert_int_equal(n, 1);
  /* generic messages: once per offset too */
  assert_int_equal(soc_store_center_message_put(w, &o, "a1", "k", 1, "{}", 2, &dup), 0);
  assert_int_equal(dup, 0);
  assert_int_equal(soc_store_center_message_put(w, &o, "a1", "k", 1, "{}", 2, &dup), 0);
  assert_int_equal(dup, 1);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

static int get_agent(void *arg, const soc_center_agent *a) {
  int64_t *seen = arg;
  assert_string_equal(a->id, "a1");
  seen[0] = a->seen_ns;
  seen[1] = a->lag_lines;
  seen[2] = a->audit_seq;
  seen[3] = a->audit_head && a->audit_head[0] ? a->audit_head[0] : 0;
  return 0;
}

static int sum_counters(void *arg, const char *collector, const char *name, int64_t value) {
  int64_t *sum = arg;
  assert_string_equal(collector, "c1");
  assert_string_equal(name, "events");
  *sum += value;
  return 0;
}

static void test_agents_and_counters(void **state) {
  (void)state;
  soc_center_store *s = open_center("agents.db");
  soc_center_writer *w = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  soc_center_agent a = {.id = "a1",
                        .agency = "x",
                        .authority = 36,
                        .version = "0.1.0",
                        .seen_ns = 200,
                        .hb_ts = "t",
                        .lag_lines = 5,
                        .broker = "up",
                        .counters = "{}"};
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  a.seen_ns = 100; /* an old heartbeat replayed: no effect */
  a.lag_lines = 9;
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  int64_t seen[4] = {0};
  assert_int_equal(soc_store_center_agents_scan(s, get_agent, seen), 0);
  assert_int_equal(seen[0], 200);
  assert_int_equal(seen[1], 5);
  a.seen_ns = 300;
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(soc_store_center_agents_scan(s, get_agent, seen), 0);
  assert_int_equal(seen[0], 300);
  assert_int_equal(seen[1], 9);
  assert_int_equal(seen[2], 0); /* no audit head reported yet */
  /* the audit anchor: taken from a newer heartbeat, never lowered by one
   * that reports a shorter log (cut back on the agent) */
  a.seen_ns = 400;
  a.audit_seq = 7;
  a.audit_head = "7777777777777777777777777777777777777777777777777777777777777777";
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  a.seen_ns = 500;
  a.audit_seq = 5;
  a.audit_head = "5555555555555555555555555555555555555555555555555555555555555555";
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(soc_store_center_agents_scan(s, get_agent, seen), 0);
  assert_int_equal(seen[0], 500);
  assert_int_equal(seen[2], 7);
  assert_int_equal(seen[3], '7');
  assert_int_equal(soc_store_center_counter_add(w, "c1", "events", 3), 0);
  assert_int_equal(soc_store_center_counter_add(w, "c1", "events", 4), 0);
  int64_t sum = 0;
  assert_int_equal(soc_store_center_counters_scan(s, sum_counters, &sum), 0);
  assert_int_equal(sum, 7);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

/* What agents_scan gave for the one agent of a store. */
typedef struct agent_row {
  char agency[16], audit_head[8], store_id[8], counters[32];
  int64_t seen_ns, lag_lines, audit_seq, store_block, broker_rtt_ms;
} agent_row;

static int read_agent(void *arg, const soc_center_agent *a) {
  agent_row *r = arg;
  assert_string_equal(a->id, "a1");
  snprintf(r->agency, sizeof r->agency, "%s", a->agency);
  snprintf(r->audit_head, sizeof r->audit_head, "%.7s", a->audit_head);
  snprintf(r->store_id, sizeof r->store_id, "%s", a->store_id);
  snprintf(r->counters, sizeof r->counters, "%s", a->counters);
  r->seen_ns = a->seen_ns;
  r->lag_lines = a->lag_lines;
  r->audit_seq = a->audit_seq;
  r->store_block = a->store_block;
  r->broker_rtt_ms = a->broker_rtt_ms;
  return 0;
}

static int64_t rtt_of(soc_center_store *s) {
  agent_row r = {.broker_rtt_ms = -2};
  assert_int_equal(soc_store_center_agents_scan(s, read_agent, &r), 0);
  return r.broker_rtt_ms;
}

/* A heartbeat of a1 seen at seen_ns that names rtt_ms. */
static soc_center_agent beat(int64_t seen_ns, int64_t rtt_ms) {
  return (soc_center_agent){.id = "a1",
                            .agency = "x",
                            .version = "1",
                            .seen_ns = seen_ns,
                            .hb_ts = "t",
                            .broker = "up",
                            .counters = "{}",
                            .broker_rtt_ms = rtt_ms};
}

/* The brokers' round trip of an agent's last heartbeat: kept as it came,
 * NULL in the table when the heartbeat named none (not 0, a broker on the
 * same host), moved only with the rest of the row (an old heartbeat
 * replayed changes nothing). */
static void test_agent_rtt(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/rtt.db", test_dir());
  soc_center_store *s = open_center("rtt.db");
  soc_center_writer *w = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  soc_center_agent a = beat(100, 85);
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(rtt_of(s), 85);
  a = beat(200, 0);
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(rtt_of(s), 0);
  assert_int_equal(raw_int(path, "SELECT broker_rtt_ms IS NULL FROM agent"), 0);
  a = beat(300, -1); /* the agent restarted: none measured yet */
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(rtt_of(s), -1);
  assert_int_equal(raw_int(path, "SELECT broker_rtt_ms IS NULL FROM agent"), 1);
  a = beat(250, 40); /* an old one replayed */
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(rtt_of(s), -1);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

/* A center.db from before the column (its last migration undone, an agent
 * in it as that version wrote it) is upgraded in place when it is opened:
 * the agent's row is whole, its round trip unknown until a heartbeat names
 * one. */
static void test_agent_rtt_upgraded(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/old.db", test_dir());
  soc_center_store_close(open_center("old.db"));
  int version = raw_int(path, "PRAGMA user_version");
  char sql[1024];
  snprintf(sql, sizeof sql,
           "ALTER TABLE agent DROP COLUMN broker_rtt_ms; PRAGMA user_version = %d;"
           "INSERT INTO agent(id, agency, authority, version, seen_ns, hb_ts, uptime_s,"
           " lag_lines, broker, counters, audit_seq, audit_head, store_id, store_block)"
           " VALUES('a1', 'x', 36, '1', 500, 't', 9, 12, 'up', '{\"app\":{}}', 3, 'abcdef0',"
           " '5c0e', 7);",
           version - 1);
  raw_exec(path, sql);
  assert_int_equal(raw_int(path,
                           "SELECT count(*) FROM pragma_table_info('agent')"
                           " WHERE name = 'broker_rtt_ms'"),
                   0);
  soc_center_store *s = open_center("old.db");
  assert_int_equal(raw_int(path, "PRAGMA user_version"), version);
  agent_row r = {0};
  assert_int_equal(soc_store_center_agents_scan(s, read_agent, &r), 0);
  assert_string_equal(r.agency, "x");
  assert_int_equal(r.seen_ns, 500);
  assert_int_equal(r.lag_lines, 12);
  assert_int_equal(r.audit_seq, 3);
  assert_string_equal(r.audit_head, "abcdef0");
  assert_string_equal(r.store_id, "5c0e");
  assert_int_equal(r.store_block, 7);
  assert_string_equal(r.counters, "{\"app\":{}}");
  assert_int_equal(r.broker_rtt_ms, -1);
  assert_int_equal(raw_int(path, "SELECT broker_rtt_ms IS NULL FROM agent"), 1);
  /* and the next heartbeat's round trip is kept */
  soc_center_writer *w = NULL;
  assert_int_equal(soc_store_center_writer_new(s, &w), 0);
  soc_center_agent a = beat(600, 120);
  assert_int_equal(soc_store_center_agent_seen(w, &a), 0);
  assert_int_equal(rtt_of(s), 120);
  soc_store_center_writer_free(w);
  soc_center_store_close(s);
}

static void test_kinds_refuse_each_other(void **state) {
  (void)state;
  char path[256], err[256];
  soc_store *s = NULL;
  soc_center_store *c = NULL;
  snprintf(path, sizeof path, "%s/agent.db", test_dir());
  assert_int_equal(soc_store_open(path, 0, &s, err, sizeof err), 0);
  soc_store_close(s);
  assert_int_equal(soc_center_store_open(path, &c, err, sizeof err), -EBADMSG);
  assert_null(c);
  assert_non_null(strstr(err, "agent's store"));
  soc_center_store_close(open_center("kind.db"));
  snprintf(path, sizeof path, "%s/kind.db", test_dir());
  assert_int_equal(soc_store_open(path, 0, &s, err, sizeof err), -EBADMSG);
  assert_null(s);
  assert_non_null(strstr(err, "collector's store"));
}

/* Two collectors started together open one new center.db at the same
 * moment: both must open it (the loser of the switch to WAL waits). */
static void test_opened_at_once(void **state) {
  (void)state;
  char path[256], err[256];
  for (int round = 0; round < 30; round++) {
    snprintf(path, sizeof path, "%s/once%d.db", test_dir(), round);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
      pids[i] = fork();
      assert_true(pids[i] >= 0);
      if (!pids[i]) {
        soc_center_store *s = NULL;
        int rc = soc_center_store_open(path, &s, err, sizeof err);
        if (rc) fprintf(stderr, "round %d: %s\n", round, err);
        soc_center_store_close(s);
        _exit(rc ? 1 : 0);
      }
    }
    for (int i = 0; i < 2; i++) {
      int st = 0;
      assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
      assert_true(WIFEXITED(st));
      assert_int_equal(WEXITSTATUS(st), 0);
    }
  }
}

static int judge(soc_collector_kind kind, const char *agent, const char *schema,
                 const char *payload) {
  soc_collector_msg m = {.kind = kind,
                         .payload = payload,
                         .len = strlen(payload),
                         .hdr_agent = agent,
                         .hdr_agent_len = agent ? strlen(agent) : 0,
                         .hdr_schema = schema,
                         .hdr_schema_len = schema ? strlen(schema) : 0};
  soc_collector_verdict v;
  int rc = soc_collector_validate(&m, &v);
  soc_collector_verdict_clear(&v);
  return rc;
}

#define EV(agent, id) "{\"agent\":{\"id\":\"" agent "\"},\"event\":{\"id\":\"" id "\"}}"
#define ID "0123456789abcdef0123456789abcdef"

static void test_validate(void **state) {
  (void)state;
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", EV("a1", ID)), SOC_COLLECTOR_OK);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, NULL, "1", EV("a1", ID)), SOC_COLLECTOR_NO_HEADER);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", NULL, EV("a1", ID)), SOC_COLLECTOR_NO_HEADER);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "2", EV("a1", ID)), SOC_COLLECTOR_BAD_SCHEMA);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", EV("a2", ID)),
                   SOC_COLLECTOR_AGENT_MISMATCH);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a/1", "1", EV("a1", ID)), SOC_COLLECTOR_BAD_AGENT);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", EV("a1", "0123")),
                   SOC_COLLECTOR_BAD_EVENT_ID);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", EV("a1", ID) " x"),
                   SOC_COLLECTOR_NOT_JSON);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", EV("a1", ID) " \n"), SOC_COLLECTOR_OK);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", "[]"), SOC_COLLECTOR_NOT_OBJECT);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", "{\"x\":\"\xc3\x28\"}"),
                   SOC_COLLECTOR_NOT_UTF8);
  assert_int_equal(judge(SOC_COLLECTOR_HEARTBEAT, NULL, NULL, "{\"agent\":{\"id\":\"a1\"}}"),
                   SOC_COLLECTOR_BAD_FIELD); /* no socagent object */
  assert_int_equal(judge(SOC_COLLECTOR_OTHER, NULL, NULL, "{\"agent\":{\"id\":\"a1\"}}"),
                   SOC_COLLECTOR_OK);
  assert_int_equal(judge(SOC_COLLECTOR_OTHER, NULL, NULL, "{\"agent\":{}}"),
                   SOC_COLLECTOR_NO_AGENT);
  assert_int_equal(judge(SOC_COLLECTOR_OTHER, NULL, NULL, "{\"agent\":{\"id\":\"a\\u00001\"}}"),
                   SOC_COLLECTOR_BAD_AGENT);
  static char big[SOC_COLLECTOR_MSG_MAX + 2];
  memset(big, ' ', sizeof big - 1);
  assert_int_equal(judge(SOC_COLLECTOR_EVENTS, "a1", "1", big), SOC_COLLECTOR_TOO_LARGE);
  assert_int_equal(soc_collector_topic_kind("soc.events", "soc"), SOC_COLLECTOR_EVENTS);
  assert_int_equal(soc_collector_topic_kind("soc.heartbeat", "soc"), SOC_COLLECTOR_HEARTBEAT);
  assert_int_equal(soc_collector_topic_kind("socx.events", "soc"), SOC_COLLECTOR_OTHER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_events_once),
      cmocka_unit_test(test_event_ids_per_agent),
      cmocka_unit_test(test_enrolment),
      cmocka_unit_test(test_orphan_chunks),
      cmocka_unit_test(test_quarantine),
      cmocka_unit_test(test_agents_and_counters),
      cmocka_unit_test(test_agent_rtt),
      cmocka_unit_test(test_agent_rtt_upgraded),
      cmocka_unit_test(test_kinds_refuse_each_other),
      cmocka_unit_test(test_opened_at_once),
      cmocka_unit_test(test_validate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
