/*
 * The detector's transaction (agent/detect/detect.c): the rule hits,
 * correlation state, drafts, evidence and outbox messages of one or a few
 * journal blocks and the detector's cursor are committed together. Blocks
 * whose commit fails leave nothing behind, in the store or in the detector's memory
 * (the correlator, the counters, the recent hits that become a draft's
 * evidence), so detection that goes on afterwards ends exactly where a run
 * without the failure ends — wherever the failure falls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentutil.h"
#include "detect.h"
#include "ingest.h"
#include "soc/store.h"

#define SUMMARY_MAX 16384
#define CUT_EVERY 15 /* journal blocks between two places a commit fails */

static char journal_dir[256]; /* loghub's OpenSSH sample, journaled, not yet detected */

static soc_config *config_of(const char *dir) {
  char extra[512];
  snprintf(extra, sizeof extra, "rules: { log: [ '%s/rules/log/*.yaml' ] }\n", SOC_SOURCE_DIR);
  return agent_config(dir, "brokers: '127.0.0.1:9'", extra);
}

static int setup(void **state) {
  char cmd[1024];
  (void)state;
  snprintf(journal_dir, sizeof journal_dir, "%s", agent_dir("journal"));
  soc_config *cfg = config_of(journal_dir);
  snprintf(cmd, sizeof cmd, "cp %s/logs/OpenSSH_2k.log %s/logs/", SOC_TEST_DATA, journal_dir);
  if (system(cmd) != 0) return -1;
  soc_ingest *ing = NULL;
  int rc = soc_ingest_new(cfg, &ing);
  if (rc == 0) rc = soc_ingest_oneshot(ing);
  soc_ingest_free(ing);
  soc_config_free(cfg);
  return rc;
}

/* A fresh agent folder name holding a copy of the journal. OUT: dir. */
static soc_config *copy_of_journal(const char *name, char *dir, size_t len) {
  char sql[600], state[300];
  snprintf(dir, len, "%s", agent_dir(name));
  snprintf(state, sizeof state, "%s/state", dir);
  assert_int_equal(mkdir(state, 0700), 0);
  snprintf(sql, sizeof sql, "VACUUM INTO '%s/agent.db'", state);
  agent_db_exec(journal_dir, sql);
  return config_of(dir);
}

/* The correlation state as the detector reads it back (the scan of every
 * form it is saved in): how many keys, and an FNV-1a digest of each key's
 * rule, key and state in scan order. */
typedef struct {
  int64_t keys;
  uint64_t digest;
} state_sum;

static void digest(state_sum *sum, const void *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    sum->digest = (sum->digest ^ ((const uint8_t *)p)[i]) * 1099511628211u;
}

static int sum_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  state_sum *sum = arg;
  sum->keys++;
  digest(sum, rule, strlen(rule) + 1);
  digest(sum, key, strlen(key) + 1);
  digest(sum, blob, len);
  return 0;
}

static state_sum state_of(const char *dir) {
  char path[400], err[256];
  state_sum sum = {0, 14695981039346656037u};
  soc_store *s = NULL;
  snprintf(path, sizeof path, "%s/state/agent.db", dir);
  assert_int_equal(soc_store_open(path, SOC_STORE_AGENT, &s, err, sizeof err), 0);
  assert_int_equal(soc_store_detect_state_scan(s, sum_state, &sum), 0);
  soc_store_close(s);
  return sum;
}

/* What detection left in the store, as one comparable text: the alerts and
 * drafts, their evidence (rows, distinct positions and distinct line texts:
 * a rolled back block must not leave remembered lines garbled), the outbox, the counters
 * and the correlation state. */
static void summary(const char *dir, char *out, size_t len) {
  char alerts[SUMMARY_MAX / 4], drafts[SUMMARY_MAX / 4], evidence[SUMMARY_MAX / 8],
      alert_evidence[SUMMARY_MAX / 8];
  state_sum st = state_of(dir);
  agent_db_text(dir,
                "select group_concat(rule || ' ' || key || ' ' || count || ' ' || draft, '; ') "
                "from (select * from alert order by rule, key, id)",
                alerts, sizeof alerts);
  agent_db_text(dir,
                "select group_concat(n, ' ') from (select alert || ':' || count(*) || '/' || "
                "count(distinct block || '.' || pos) || '/' || count(distinct line) as n "
                "from alert_evidence group by alert "
                "order by alert)",
                alert_evidence, sizeof alert_evidence);
  agent_db_text(dir,
                "select group_concat(rule || ' ' || key || ' ' || level || ' ' || count, '; ') "
                "from (select * from draft order by rule, key, id)",
                drafts, sizeof drafts);
  agent_db_text(dir,
                "select group_concat(n, ' ') from (select draft || ':' || count(*) || '/' || "
                "count(distinct block || '.' || pos) || '/' || count(distinct line) as n "
                "from draft_evidence group by draft "
                "order by draft)",
                evidence, sizeof evidence);
  snprintf(out, len,
           "alerts: %s | evidence %s | drafts: %s | evidence %s | outbox %lld | hits %lld | "
           "state %lld keys, %016llx",
           alerts, alert_evidence, drafts, evidence,
           (long long)agent_db_int(dir, "select count(*) from outbox"),
           (long long)agent_db_int(
               dir, "select value from counter where input='detect' and name='rule_hits'"),
           (long long)st.keys, (unsigned long long)st.digest);
}

static void assert_same(const char *what, const char *got, const char *want) {
  if (strcmp(got, want)) {
    fprintf(stderr, "%s:\n%s\nwithout a failure:\n%s\n", what, got, want);
    fail_msg("%s: detection differs from a run without a failure", what);
  }
}

/* A copy of the calm run's detection in dir, done once per test. OUT: the
 * summary in calm; returns the journal's last block. */
static int64_t calm_run(const char *name, char *dir, size_t len, char *calm) {
  soc_config *cfg = copy_of_journal(name, dir, len);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  soc_config_free(cfg);
  summary(dir, calm, SUMMARY_MAX);
  return agent_db_int(dir, "select max(id) from journal_block");
}

/* A fresh copy of the journal, named prefix-cut, where the commit of the
 * transaction that holds block cut (or a later one) fails until the
 * triggers are dropped. OUT: dir. */
static soc_config *failing_copy(const char *prefix, int64_t cut, char *dir, size_t len) {
  char sql[512], name[32];
  snprintf(name, sizeof name, "%s-%lld", prefix, (long long)cut);
  soc_config *cfg = copy_of_journal(name, dir, len);
  snprintf(sql, sizeof sql,
           "CREATE TRIGGER no_cursor_i BEFORE INSERT ON meta WHEN NEW.key = 'detect.cursor' AND "
           "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;"
           "CREATE TRIGGER no_cursor_u BEFORE UPDATE ON meta WHEN NEW.key = 'detect.cursor' AND "
           "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;",
           (long long)cut, (long long)cut);
  agent_db_exec(dir, sql);
  return cfg;
}

static void failed_block_is_undone(void **state) {
  (void)state;
  char dir[256], what[64];
  static char calm[SUMMARY_MAX], crashed[SUMMARY_MAX];
  soc_config *cfg = NULL;
  soc_detect *d = NULL;

  int64_t last = calm_run("calm", dir, sizeof dir, calm);
  /* the sample's attempts make alerts (they make drafts only with impact) */
  assert_true(agent_db_int(dir, "select count(*) from alert") > 0);

  for (int64_t cut = 2; cut < last; cut += CUT_EVERY) {
    snprintf(what, sizeof what, "block %lld failed once", (long long)cut);
    cfg = failing_copy("cut", cut, dir, sizeof dir);
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_true(soc_detect_drain(d) < 0);
    /* the blocks before that transaction are committed, nothing of it */
    assert_true(agent_db_int(dir,
                             "select coalesce((select value from meta where key = "
                             "'detect.cursor'), 0)") < cut);
    /* the same detector goes on once the store takes the commit again */
    agent_db_exec(dir, "DROP TRIGGER no_cursor_i; DROP TRIGGER no_cursor_u;");
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    assert_int_equal(agent_db_int(dir, "select value from meta where key = 'detect.cursor'"), last);
    summary(dir, crashed, sizeof crashed);
    assert_same(what, crashed, calm);

    /* and a drain with nothing new changes nothing */
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    summary(dir, crashed, sizeof crashed);
    assert_same(what, crashed, calm);
    soc_config_free(cfg);
  }
}

/* The summary without what a new detector does not take over: the hits
 * counter (counted from its start) and the alerts' evidence (the hits a
 * detector remembers for it are in its memory only). */
static void restart_view(char *text) {
  static const char *const cuts[][2] = {{" | evidence ", " | drafts: "}, {" | hits ", " | state "}};
  for (size_t i = 0; i < 2; i++) {
    char *from = strstr(text, cuts[i][0]), *to = from ? strstr(from, cuts[i][1]) : NULL;
    if (to) memmove(from, to, strlen(to) + 1);
  }
}

/* A detector that stops in the middle of the input (its transaction
 * holding block cut failed, then it went away) and a new one that goes on
 * from what the first committed: the new one reads the correlation state
 * back from the store (every key the OpenSSH sample's brute-force rules
 * count, packed a transaction to a row), so it ends with the same
 * alerts, counts, outbox and state as one run through. */
static void restart_is_seamless(void **state) {
  (void)state;
  static char calm[SUMMARY_MAX], restarted[SUMMARY_MAX];
  char dir[256], what[64];
  soc_detect *d = NULL;

  int64_t last = calm_run("calm2", dir, sizeof dir, calm);
  restart_view(calm);
  assert_true(state_of(dir).keys > 1);

  for (int64_t cut = 70; cut < last; cut += 2 * CUT_EVERY + 1) {
    snprintf(what, sizeof what, "restarted at block %lld", (long long)cut);
    soc_config *cfg = failing_copy("restart", cut, dir, sizeof dir);
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_true(soc_detect_drain(d) < 0);
    soc_detect_free(d);
    int64_t cursor = agent_db_int(dir, "select value from meta where key = 'detect.cursor'");
    assert_true(cursor > 0 && cursor < cut); /* some state committed, not all */
    agent_db_exec(dir, "DROP TRIGGER no_cursor_i; DROP TRIGGER no_cursor_u;");
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    summary(dir, restarted, sizeof restarted);
    restart_view(restarted);
    assert_same(what, restarted, calm);
    soc_config_free(cfg);
  }
}

/* Values near and past the bounds of what a hit keeps: a key of group_by
 * values (SOC_CORRELATE_KEY_MAX bytes) and an entity's value (255 bytes),
 * each cut to its buffer. A later hit finds its key's alert only by the
 * key as cut, so every hit of a key of up to 512 bytes counts on one
 * alert; an entity keeps the value's first 255 bytes. */
static void long_values_cut(void **state) {
  (void)state;
  static const size_t lens[] = {250, 254, 255, 256, 300, 500, 501, 502};
  char dir[256], path[400], rules[600], extra[800], user[600];
  snprintf(dir, sizeof dir, "%s", agent_dir("long"));
  snprintf(rules, sizeof rules, "%s/long.yaml", dir);
  FILE *f = fopen(rules, "w");
  assert_non_null(f);
  fputs(
      "- id: LONG\n  title: t\n  match:\n    all:\n      - regex: 'user (?<u>\\S+) from "
      "(?<ip>\\S+)'\n    captures: { u: user.name, ip: source.ip }\n"
      "  correlate: { group_by: [ user.name, source.ip ], count: 2, within: 1h }\n"
      "  incident: { category: intrusion, impact: none, group_by: [ user.name ] }\n",
      f);
  fclose(f);
  snprintf(path, sizeof path, "%s/logs/long.log", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  for (int round = 0; round < 3; round++)
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
      memset(user, 'a' + (int)i, lens[i]);
      user[lens[i]] = '\0';
      fprintf(f, "Nov 25 08:00:%02d web01 sshd[1]: Failed password for user %s from 192.0.2.1\n",
              round, user);
    }
  fclose(f);
  snprintf(extra, sizeof extra, "rules: { log: [ '%s' ] }\n", rules);
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", extra);
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_ingest_free(ing);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  soc_config_free(cfg);
  /* "user|192.0.2.1": up to 502 + 10 bytes, the key's 512 */
  assert_int_equal(agent_db_int(dir, "select count(*) from alert"), 8);
  assert_int_equal(agent_db_int(dir, "select count(*) from alert where count = 3"), 8);
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from alert a join alert_entity e on "
                                "e.alert = a.id where e.kind = 'user.name' and e.value = "
                                "substr(a.key, 1, min(255, instr(a.key, '|') - 1))"),
                   8);
  assert_int_equal(agent_db_int(dir, "select max(length(value)) from alert_entity"), 255);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(failed_block_is_undone),
      cmocka_unit_test(restart_is_seamless),
      cmocka_unit_test(long_values_cut),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
