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

/* What detection left in the store, as one comparable text: the alerts and
 * drafts, their evidence (rows, distinct positions and distinct line texts:
 * a rolled back block must not leave remembered lines garbled), the outbox, the counters
 * and the correlation state. */
static void summary(const char *dir, char *out, size_t len) {
  char alerts[SUMMARY_MAX / 4], drafts[SUMMARY_MAX / 4], evidence[SUMMARY_MAX / 8],
      alert_evidence[SUMMARY_MAX / 8];
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
           "state %lld",
           alerts, alert_evidence, drafts, evidence,
           (long long)agent_db_int(dir, "select count(*) from outbox"),
           (long long)agent_db_int(
               dir, "select value from counter where input='detect' and name='rule_hits'"),
           (long long)agent_db_int(dir, "select count(*) from detect_state_now"));
}

static void assert_same(const char *what, const char *got, const char *want) {
  if (strcmp(got, want)) {
    fprintf(stderr, "%s:\n%s\nwithout a failure:\n%s\n", what, got, want);
    fail_msg("%s: detection differs from a run without a failure", what);
  }
}

static void failed_block_is_undone(void **state) {
  (void)state;
  char dir[256], name[32], sql[512], what[64];
  static char calm[SUMMARY_MAX], crashed[SUMMARY_MAX];

  soc_config *cfg = copy_of_journal("calm", dir, sizeof dir);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  soc_config_free(cfg);
  summary(dir, calm, sizeof calm);
  /* the sample's attempts make alerts (they make drafts only with impact) */
  assert_true(agent_db_int(dir, "select count(*) from alert") > 0);
  int64_t last = agent_db_int(dir, "select max(id) from journal_block");

  for (int64_t cut = 2; cut < last; cut += CUT_EVERY) {
    snprintf(name, sizeof name, "cut-%lld", (long long)cut);
    snprintf(what, sizeof what, "block %lld failed once", (long long)cut);
    cfg = copy_of_journal(name, dir, sizeof dir);
    /* the commit of the transaction that holds block cut fails */
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER no_cursor_i BEFORE INSERT ON meta WHEN NEW.key = 'detect.cursor' AND "
             "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;"
             "CREATE TRIGGER no_cursor_u BEFORE UPDATE ON meta WHEN NEW.key = 'detect.cursor' AND "
             "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;",
             (long long)cut, (long long)cut);
    agent_db_exec(dir, sql);
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
      cmocka_unit_test(long_values_cut),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
