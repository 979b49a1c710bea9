/*
 * Unit tests for the audit log's hash chain. Each test builds a real store
 * file, then tampers with it through SQLite directly, the way someone with
 * access to the file would, and checks that verify names the right entry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "soc/audit.h"
#include "soc/store.h"
#include "testutil.h"

#define ENTRIES 10

struct fixture {
  char dir[64];
  char db[128];
};

static int setup(void **state) {
  struct fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  snprintf(fx->dir, sizeof fx->dir, "/tmp/soc-test-audit-XXXXXX");
  if (!mkdtemp(fx->dir)) return -1;
  snprintf(fx->db, sizeof fx->db, "%s/agent.db", fx->dir);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  struct fixture *fx = *state;
  test_dir_remove_tree(fx->dir);
  free(fx);
  return 0;
}

static soc_store *open_store(const struct fixture *fx) {
  soc_store *s = NULL;
  char err[512];
  if (soc_store_open(fx->db, 0, &s, err, sizeof err) < 0) fail_msg("%s", err);
  return s;
}

/* A store with n entries, closed again. */
static void make_log(const struct fixture *fx, int n) {
  soc_store *s = open_store(fx);
  for (int i = 1; i <= n; i++) {
    char object[32], details[64];
    int64_t seq = 0;
    snprintf(object, sizeof object, "draft:%d", i);
    snprintf(details, sizeof details, "{\"note\":\"entry %d\",\"level\":%d}", i, i % 4 + 1);
    assert_int_equal(soc_audit_append(s, "analyst1", "draft.confirm", object, details, &seq), 0);
    assert_int_equal(seq, i);
  }
  soc_store_close(s);
}

/* What someone with write access to the file could do. */
static void tamper(const struct fixture *fx, const char *sql) {
  sqlite3 *db = NULL;
  char *msg = NULL;
  assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

static soc_audit_report verify(const struct fixture *fx) {
  soc_audit_report rep;
  soc_store *s = open_store(fx);
  assert_int_equal(soc_audit_verify(s, &rep), 0);
  soc_store_close(s);
  return rep;
}

static void expect_broken_at(const struct fixture *fx, int64_t seq, const char *words) {
  soc_audit_report rep = verify(fx);
  if (rep.ok || rep.bad_seq != seq || !strstr(rep.what, words))
    fail_msg("expected broken at %" PRId64 " (%s), got ok=%d at %" PRId64 ": %s", seq, words,
             rep.ok, rep.bad_seq, rep.what);
}

static void test_fresh_store_is_empty_and_intact(void **state) {
  struct fixture *fx = *state;
  soc_store_close(open_store(fx));
  soc_audit_report rep = verify(fx);
  assert_true(rep.ok);
  assert_int_equal(rep.entries, 0);
  assert_string_equal(rep.head, "");
}

static void test_intact_chain(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  soc_audit_report rep = verify(fx);
  assert_true(rep.ok);
  assert_int_equal(rep.entries, ENTRIES);
  assert_int_equal(strlen(rep.head), SOC_AUDIT_HASH_HEX);
  /* the head is also the last row's hash, and the first links to zeros */
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_prepare_v2(db, "SELECT prev_hash FROM audit WHERE seq = 1", -1, &st, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0),
                      "0000000000000000000000000000000000000000000000000000000000000000");
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq = 10", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), rep.head);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void test_edited_details(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "UPDATE audit SET details = '{\"note\":\"nothing happened\"}' WHERE seq = 4");
  expect_broken_at(fx, 4, "edited");
}

static void test_edited_actor_by_one_byte(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "UPDATE audit SET actor = 'analyst2' WHERE seq = 7");
  expect_broken_at(fx, 7, "edited");
}

static void test_removed_middle(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "DELETE FROM audit WHERE seq = 5");
  expect_broken_at(fx, 5, "missing");
}

static void test_removed_middle_and_renumbered(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  /* closing the gap by renumbering breaks the hashes, which cover seq */
  tamper(fx,
         "DELETE FROM audit WHERE seq = 5;"
         "UPDATE audit SET seq = seq - 1 WHERE seq > 5");
  expect_broken_at(fx, 5, "edited");
}

static void test_removed_last(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "DELETE FROM audit WHERE seq = 10");
  expect_broken_at(fx, 10, "removed from the end");
}

static void test_removed_all(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "DELETE FROM audit");
  expect_broken_at(fx, 1, "removed from the end");
}

static void test_removed_head_record(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "DELETE FROM meta WHERE key = 'audit.head'");
  expect_broken_at(fx, 10, "head record");
  /* and appending refuses rather than start a clean-looking chain */
  soc_store *s = open_store(fx);
  assert_int_equal(soc_audit_append(s, "analyst1", "x", "", NULL, NULL), -EBADMSG);
  soc_store_close(s);
}

static void test_swapped_rows(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx,
         "UPDATE audit SET seq = -1 WHERE seq = 3;"
         "UPDATE audit SET seq = 3 WHERE seq = 6;"
         "UPDATE audit SET seq = 6 WHERE seq = -1");
  expect_broken_at(fx, 3, "edited");
}

static void test_swapped_contents_keep_hash_columns(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  /* move the details between two entries, leaving everything else */
  tamper(fx,
         "UPDATE audit SET details = CASE seq WHEN 2 THEN"
         " (SELECT details FROM audit WHERE seq = 8) ELSE"
         " (SELECT details FROM audit WHERE seq = 2) END WHERE seq IN (2, 8)");
  expect_broken_at(fx, 2, "edited");
}

/* Replaces entry seq with a forgery whose own hash is right but whose
 * prev_hash is prev: the forger does not know (or fakes) the link. */
static void forge(const struct fixture *fx, int64_t seq, const char *prev, int insert) {
  char hash[SOC_AUDIT_HASH_HEX + 1], sql[1024];
  soc_audit_row r = {.seq = seq,
                     .ts_ns = 1700000000000000000LL,
                     .actor = "mallory",
                     .action = "draft.reject",
                     .object = "draft:1",
                     .details = "{}",
                     .prev_hash = prev};
  assert_int_equal(soc_audit_hash(&r, hash), 0);
  if (insert)
    snprintf(sql, sizeof sql,
             "INSERT INTO audit VALUES (%" PRId64 ", %" PRId64
             ", 'mallory', 'draft.reject', 'draft:1', '{}', '%s', '%s')",
             seq, r.ts_ns, prev, hash);
  else
    snprintf(
        sql, sizeof sql,
        "UPDATE audit SET ts_ns = %" PRId64
        ", actor = 'mallory', action = 'draft.reject',"
        " object = 'draft:1', details = '{}', prev_hash = '%s', hash = '%s' WHERE seq = %" PRId64,
        r.ts_ns, prev, hash, seq);
  tamper(fx, sql);
}

static void test_forged_row_wrong_prev(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  forge(fx, 6, "0000000000000000000000000000000000000000000000000000000000000000", 0);
  expect_broken_at(fx, 6, "prev_hash");
}

static void test_forged_row_appended_past_head(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  soc_audit_report rep = verify(fx);
  /* a perfect link to the real last entry: only the head gives it away */
  forge(fx, ENTRIES + 1, rep.head, 1);
  expect_broken_at(fx, ENTRIES + 1, "past the recorded head");
}

static void test_forged_row_before_first(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  forge(fx, 0, "0000000000000000000000000000000000000000000000000000000000000000", 1);
  expect_broken_at(fx, 0, "before the first");
}

static void test_append_after_tail_removed_keeps_gap(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  tamper(fx, "DELETE FROM audit WHERE seq >= 9");
  soc_store *s = open_store(fx);
  int64_t seq = 0;
  assert_int_equal(soc_audit_append(s, "socagent", "agent.start", "", NULL, &seq), 0);
  assert_int_equal(seq, ENTRIES + 1);
  soc_store_close(s);
  expect_broken_at(fx, 9, "missing");
}

static void test_transaction_variant(void **state) {
  struct fixture *fx = *state;
  soc_store *s = open_store(fx);
  int64_t seq = 0;
  soc_audit_report rep;
  /* _tx insists on the caller's transaction */
  assert_int_equal(soc_audit_append_tx(s, "a", "b", "", NULL, &seq), -EINVAL);
  /* rolled back with the caller's work: no entry, head unchanged */
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_audit_append_tx(s, "a", "draft.confirm", "draft:1", NULL, &seq), 0);
  assert_int_equal(soc_store_rollback(s), 0);
  assert_int_equal(soc_audit_verify(s, &rep), 0);
  assert_true(rep.ok);
  assert_int_equal(rep.entries, 0);
  /* committed with it: both entries, seq continuing */
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_audit_append(s, "a", "draft.confirm", "draft:1", NULL, &seq), 0);
  assert_int_equal(soc_audit_append_tx(s, "a", "report.send", "draft:1", "{\"to\":\"x\"}", &seq),
                   0);
  assert_int_equal(seq, 2);
  /* verify inside the caller's transaction sees its own writes */
  assert_int_equal(soc_audit_verify(s, &rep), 0);
  assert_true(rep.ok);
  assert_int_equal(rep.entries, 2);
  assert_int_equal(soc_store_commit(s), 0);
  soc_store_close(s);
  rep = verify(fx);
  assert_true(rep.ok);
  assert_int_equal(rep.entries, 2);
}

static void test_bad_arguments(void **state) {
  struct fixture *fx = *state;
  soc_store *s = open_store(fx);
  char big[SOC_AUDIT_FIELD_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(soc_audit_append(s, "", "a", "", NULL, NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", NULL, "", NULL, NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, big, "a", "", NULL, NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", "b", "\xff", NULL, NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", "b", "", "[1]", NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", "b", "", "{} x", NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", "b", "", "{\"a\":", NULL), -EINVAL);
  assert_int_equal(soc_audit_append(s, "a", "b", "", "{\"a\":1}\n", NULL), 0);
  /* a failed append leaves no transaction behind */
  assert_false(soc_store_in_transaction(s));
  soc_store_close(s);
}

static void test_hash_is_length_prefixed(void **state) {
  (void)state;
  char h1[SOC_AUDIT_HASH_HEX + 1], h2[SOC_AUDIT_HASH_HEX + 1];
  soc_audit_row a = {
      .seq = 1, .actor = "ab", .action = "c", .object = "", .details = "{}", .prev_hash = ""};
  soc_audit_row b = a;
  b.actor = "a";
  b.action = "bc";
  assert_int_equal(soc_audit_hash(&a, h1), 0);
  assert_int_equal(soc_audit_hash(&b, h2), 0);
  assert_string_not_equal(h1, h2);
}

/* A head recorded off the machine (the heartbeat's) holds the log to it. */
static soc_audit_report verify_anchored(const struct fixture *fx, int64_t seq, const char *hash) {
  soc_audit_report rep;
  soc_store *s = open_store(fx);
  assert_int_equal(soc_audit_verify_anchored(s, seq, hash, &rep), 0);
  soc_store_close(s);
  return rep;
}

static void test_anchor(void **state) {
  struct fixture *fx = *state;
  make_log(fx, ENTRIES);
  soc_store *s = open_store(fx);
  int64_t seq = 0;
  char head[SOC_AUDIT_HASH_HEX + 1], other[SOC_AUDIT_HASH_HEX + 1];
  assert_int_equal(soc_audit_head(s, &seq, head), 0);
  soc_store_close(s);
  assert_int_equal(seq, ENTRIES);
  assert_true(verify_anchored(fx, seq, head).ok);
  /* a wrong hash for an entry that is there: rewritten */
  memcpy(other, head, sizeof other);
  other[0] = other[0] == 'a' ? 'b' : 'a';
  soc_audit_report rep = verify_anchored(fx, seq, other);
  assert_false(rep.ok);
  assert_int_equal(rep.bad_seq, seq);
  assert_non_null(strstr(rep.what, "rewritten"));
  /* the tail cut back and the head moved with it: intact on its own,
   * broken against the anchor */
  tamper(fx,
         "DELETE FROM audit WHERE seq > 7;"
         "UPDATE meta SET value = (SELECT seq || ':' || hash FROM audit WHERE seq = 7)"
         " WHERE key = 'audit.head'");
  assert_true(verify(fx).ok);
  rep = verify_anchored(fx, seq, head);
  assert_false(rep.ok);
  assert_int_equal(rep.bad_seq, ENTRIES);
  assert_non_null(strstr(rep.what, "recorded off this machine"));
  /* an anchor older than the cut still holds */
  s = open_store(fx);
  assert_int_equal(soc_audit_head(s, &seq, head), 0);
  soc_store_close(s);
  assert_int_equal(seq, 7);
  assert_true(verify_anchored(fx, 7, head).ok);
  s = open_store(fx);
  assert_int_equal(soc_audit_verify_anchored(s, 3, NULL, &rep), -EINVAL);
  soc_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fresh_store_is_empty_and_intact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_intact_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edited_details, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edited_actor_by_one_byte, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_middle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_middle_and_renumbered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_last, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_all, setup, teardown),
      cmocka_unit_test_setup_teardown(test_removed_head_record, setup, teardown),
      cmocka_unit_test_setup_teardown(test_swapped_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_swapped_contents_keep_hash_columns, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forged_row_wrong_prev, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forged_row_appended_past_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forged_row_before_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_append_after_tail_removed_keeps_gap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_transaction_variant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
      cmocka_unit_test(test_hash_is_length_prefixed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
