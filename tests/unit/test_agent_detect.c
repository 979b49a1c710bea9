/*
 * The detector's block transaction (agent/detect/detect.c): one journal
 * block's rule hits, correlation state, drafts, evidence, outbox messages
 * and the detector's cursor are committed together. A block whose commit
 * fails leaves nothing behind, in the store or in the correlator's memory,
 * so detection that goes on afterwards ends exactly where a run without the
 * failure ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agentutil.h"
#include "detect.h"
#include "ingest.h"

#define SUMMARY_MAX 16384

/* The shipped rules on loghub's OpenSSH sample, journaled by a oneshot. */
static soc_config *journaled(const char *name, const char **dir) {
  char extra[512], cmd[1024];
  *dir = agent_dir(name);
  snprintf(extra, sizeof extra, "rules: { log: [ '%s/rules/log/*.yaml' ] }\n", SOC_SOURCE_DIR);
  soc_config *cfg = agent_config(*dir, "brokers: '127.0.0.1:9'", extra);
  snprintf(cmd, sizeof cmd, "cp %s/logs/OpenSSH_2k.log %s/logs/", SOC_TEST_DATA, *dir);
  assert_int_equal(system(cmd), 0);
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_ingest_free(ing);
  return cfg;
}

/* What detection left in the store, as one comparable text. */
static void summary(const char *dir, char *out, size_t len) {
  char drafts[SUMMARY_MAX / 2];
  agent_db_text(dir,
                "select group_concat(rule || ' ' || key || ' ' || level || ' ' || count, '; ') "
                "from (select * from draft order by rule, key, id)",
                drafts, sizeof drafts);
  snprintf(out, len, "drafts: %s | evidence %lld | outbox %lld | hits %lld | state %lld", drafts,
           (long long)agent_db_int(dir, "select count(*) from draft_evidence"),
           (long long)agent_db_int(dir, "select count(*) from outbox"),
           (long long)agent_db_int(
               dir, "select value from counter where input='detect' and name='rule_hits'"),
           (long long)agent_db_int(dir, "select count(*) from detect_state"));
}

static void failed_block_is_undone(void **state) {
  (void)state;
  const char *dir;
  static char calm[SUMMARY_MAX], crashed[SUMMARY_MAX];

  soc_config *cfg = journaled("calm", &dir);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  summary(dir, calm, sizeof calm);
  assert_true(agent_db_int(dir, "select count(*) from draft") > 0); /* the sample makes drafts */
  int64_t last = agent_db_int(dir, "select max(id) from journal_block");
  soc_config_free(cfg);

  /* the same journal, and the commit of the block halfway fails */
  cfg = journaled("failing", &dir);
  int64_t half = last / 2;
  char sql[512];
  snprintf(sql, sizeof sql,
           "CREATE TRIGGER no_cursor_i BEFORE INSERT ON meta WHEN NEW.key = 'detect.cursor' AND "
           "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;"
           "CREATE TRIGGER no_cursor_u BEFORE UPDATE ON meta WHEN NEW.key = 'detect.cursor' AND "
           "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;",
           (long long)half, (long long)half);
  agent_db_exec(dir, sql);
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_true(soc_detect_drain(d) < 0);
  /* every block before it is committed, nothing of it */
  assert_int_equal(agent_db_int(dir, "select value from meta where key = 'detect.cursor'"),
                   half - 1);

  /* the same detector goes on once the store takes the commit again */
  agent_db_exec(dir, "DROP TRIGGER no_cursor_i; DROP TRIGGER no_cursor_u;");
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  assert_int_equal(agent_db_int(dir, "select value from meta where key = 'detect.cursor'"), last);
  summary(dir, crashed, sizeof crashed);
  if (strcmp(crashed, calm))
    fail_msg("after a failed block:\n%s\nwithout:\n%s", crashed + strlen(crashed) - 80,
             calm + strlen(calm) - 80);

  /* and a drain with nothing new changes nothing */
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  summary(dir, crashed, sizeof crashed);
  if (strcmp(crashed, calm))
    fail_msg("after a failed block:\n%s\nwithout:\n%s", crashed + strlen(crashed) - 80,
             calm + strlen(calm) - 80);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(failed_block_is_undone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
