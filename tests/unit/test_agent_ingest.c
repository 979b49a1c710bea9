/*
 * The ingest cycle (agent/ingest.c) with a real file input: lines and the
 * input's position become durable in one commit, so a run after a restart
 * reads on from where the last commit left off, and a commit that fails
 * leaves neither the lines nor the position behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "agentutil.h"
#include "ingest.h"
#include "soc/journal.h"

#define MAX_SEQ 100

/* How often each seq=<n> of tag is in the journal. */
typedef struct seen {
  const char *tag;
  int count[MAX_SEQ + 1];
} seen;

static int count_line(void *arg, const soc_jentry *e) {
  seen *s = arg;
  char line[256], want[64];
  size_t n = e->line.len < sizeof line - 1 ? e->line.len : sizeof line - 1;
  memcpy(line, e->line.data, n);
  line[n] = '\0';
  snprintf(want, sizeof want, ": %s seq=", s->tag);
  const char *p = strstr(line, want);
  if (p) {
    long seq = strtol(p + strlen(want), NULL, 10);
    if (seq >= 0 && seq <= MAX_SEQ) s->count[seq]++;
  }
  return 0;
}

/* Runs one --oneshot cycle as the daemon's main() would; returns its result
 * and fills s from the committed journal. */
static int oneshot(const soc_config *cfg, seen *s) {
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  int rc = soc_ingest_oneshot(ing);
  memset(s->count, 0, sizeof s->count);
  soc_block_query q = {0};
  assert_int_equal(soc_journal_scan(soc_ingest_store(ing), &q, count_line, s), 0);
  soc_ingest_free(ing);
  return rc;
}

/* Every seq in [from, to] exactly once, none outside. */
static void assert_once(const seen *s, int from, int to) {
  for (int i = 0; i <= MAX_SEQ; i++) {
    int want = i >= from && i <= to;
    if (s->count[i] != want)
      fail_msg("seq=%d is in the journal %d time(s), expected %d", i, s->count[i], want);
  }
}

static void restart_reads_on(void **state) {
  (void)state;
  const char *dir = agent_dir("restart");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  seen s = {.tag = "cycle"};
  agent_log(dir, "app.log", 1, 20, "cycle");
  assert_int_equal(oneshot(cfg, &s), 0);
  assert_once(&s, 1, 20);
  /* journal.block_lines: 8, so the 20 lines are three blocks */
  assert_int_equal(agent_db_int(dir, "select count(*) from journal_block"), 3);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), 20);

  /* a restart with nothing new reads nothing again */
  assert_int_equal(oneshot(cfg, &s), 0);
  assert_once(&s, 1, 20);
  /* and one after more lines takes only those */
  agent_log(dir, "app.log", 21, 30, "cycle");
  assert_int_equal(oneshot(cfg, &s), 0);
  assert_once(&s, 1, 30);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), 30);
  soc_config_free(cfg);
}

static void failed_commit_leaves_nothing(void **state) {
  (void)state;
  const char *dir = agent_dir("failed");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  seen s = {.tag = "tx"};
  agent_log(dir, "app.log", 1, 10, "tx");
  assert_int_equal(oneshot(cfg, &s), 0);
  int64_t blocks = agent_db_int(dir, "select count(*) from journal_block");

  /* the position cannot be saved: the commit that carries the new lines fails */
  agent_db_exec(dir,
                "CREATE TRIGGER no_position BEFORE UPDATE OF offset ON file_stream "
                "BEGIN SELECT RAISE(ABORT, 'injected by the test'); END;");
  agent_log(dir, "app.log", 11, 25, "tx");
  assert_true(oneshot(cfg, &s) < 0);
  assert_once(&s, 1, 10);
  assert_int_equal(agent_db_int(dir, "select count(*) from journal_block"), blocks);

  /* once it can, the lines come in once: nothing was half-committed */
  agent_db_exec(dir, "DROP TRIGGER no_position;");
  assert_int_equal(oneshot(cfg, &s), 0);
  assert_once(&s, 1, 25);
  soc_config_free(cfg);
}

/* What soc_ingest_on_commit's hooks saw: calls, and the order of the last two. */
typedef struct {
  int calls[2];
  int order[2], n;
} told;

static void hook0(void *arg) {
  told *t = arg;
  t->calls[0]++;
  t->order[t->n++ % 2] = 0;
}

static void hook1(void *arg) {
  told *t = arg;
  t->calls[1]++;
  t->order[t->n++ % 2] = 1;
}

static void nothing(void *arg) { (void)arg; }

/* The journal's readers are told after each commit that worked, in the
 * order they were added, and not after one that failed. */
static void commit_hooks_told(void **state) {
  (void)state;
  const char *dir = agent_dir("hooks");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  told t = {0};
  soc_ingest *ing = NULL;
  agent_log(dir, "app.log", 1, 10, "hook");
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_on_commit(ing, hook0, &t), 0);
  assert_int_equal(soc_ingest_on_commit(ing, hook1, &t), 0);
  assert_int_equal(soc_ingest_on_commit(ing, nothing, NULL), 0);
  assert_int_equal(soc_ingest_on_commit(ing, nothing, NULL), 0);
  assert_int_equal(soc_ingest_on_commit(ing, nothing, NULL), -ENOSPC);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  assert_true(t.calls[0] >= 1);
  assert_int_equal(t.calls[0], t.calls[1]);
  assert_int_equal(t.order[0], 0);
  assert_int_equal(t.order[1], 1);

  /* a commit that fails tells nobody */
  int before = t.calls[0];
  agent_db_exec(dir,
                "CREATE TRIGGER no_position BEFORE UPDATE OF offset ON file_stream "
                "BEGIN SELECT RAISE(ABORT, 'injected by the test'); END;");
  agent_log(dir, "app.log", 11, 20, "hook");
  assert_true(soc_ingest_oneshot(ing) < 0);
  assert_int_equal(t.calls[0], before);
  assert_int_equal(t.calls[1], before);
  soc_ingest_free(ing);
  soc_config_free(cfg);
}

/* A line the full journal refuses (pending_max, 16 MiB) is handed again
 * after the commit: its counters count it once, when it is taken. */
static void counted_once_past_a_full_journal(void **state) {
  (void)state;
  const char *dir = agent_dir("full");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  char path[400];
  snprintf(path, sizeof path, "%s/logs/raw.log", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  const int lines = 100000; /* 20 MB: the journal is full at least once */
  for (int i = 1; i <= lines; i++)
    fprintf(f, "no syslog header, seq=%08d %0180d\n", i, 0); /* every one a parse failure */
  fclose(f);
  seen s = {.tag = "unused"};
  assert_int_equal(oneshot(cfg, &s), 0);
  assert_true(agent_db_int(dir,
                           "select value from counter where input='app' and "
                           "name='journal_waits'") >= 1);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), lines);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='parse_failures'"),
      lines);
  soc_config_free(cfg);
}

/* The counters' rows are written when they change: the first commit
 * writes every one, a later commit only those that moved, and a counter
 * whose commit failed is written by the next commit that works. */
static void counters_written_when_changed(void **state) {
  (void)state;
  const char *dir = agent_dir("counters");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  soc_ingest *ing = NULL;
  agent_log(dir, "app.log", 1, 10, "ctr");
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  assert_int_equal(agent_db_int(dir, "select count(*) from counter where input='app'"),
                   SOC_CTR_COUNT);
  assert_int_equal(agent_db_int(dir, "select count(*) from counter where input='journal'"), 2);

  /* a row for each counter written from here on */
  agent_db_exec(dir,
                "CREATE TABLE written(input TEXT, name TEXT);"
                "CREATE TRIGGER counted AFTER INSERT ON counter "
                "BEGIN INSERT INTO written VALUES(new.input, new.name); END;");
  agent_log(dir, "app.log", 11, 20, "ctr");
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  assert_int_equal(agent_db_int(dir, "select count(*) from written"), 2);
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from written where input='app' and "
                                "name in ('lines', 'bytes')"),
                   2);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), 20);

  /* a commit that fails past the lines' row (at the bytes') leaves none
   * behind; the next one writes what moved */
  agent_db_exec(dir,
                "CREATE TRIGGER no_bytes BEFORE INSERT ON counter WHEN new.name = 'bytes' "
                "BEGIN SELECT RAISE(ABORT, 'injected by the test'); END;");
  agent_log(dir, "app.log", 21, 30, "ctr");
  assert_true(soc_ingest_oneshot(ing) < 0);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), 20);
  agent_db_exec(dir, "DROP TRIGGER no_bytes; DELETE FROM written;");
  int rc; /* the failure blocks intake: commits wait for its backoff (250 ms) */
  for (int i = 0; (rc = soc_ingest_commit(ing)) == -EAGAIN && i < 100; i++) usleep(20000);
  assert_int_equal(rc, 0);
  assert_int_equal(
      agent_db_int(dir, "select value from counter where input='app' and name='lines'"), 30);
  assert_int_equal(agent_db_int(dir, "select count(*) from written"), 2);
  soc_ingest_free(ing);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(restart_reads_on),
      cmocka_unit_test(failed_commit_leaves_nothing),
      cmocka_unit_test(commit_hooks_told),
      cmocka_unit_test(counted_once_past_a_full_journal),
      cmocka_unit_test(counters_written_when_changed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
