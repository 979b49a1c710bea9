/*
 * Unit tests for the SQLite store. Each test gets a fresh directory. The
 * tests open the files with SQLite directly to check what the store is
 * supposed to have done (WAL, user_version), and to fake what it must
 * survive: a newer schema, garbage bytes, a truncated file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#include "rawsql.h"
#include "soc/store.h"
#include "testutil.h"

struct fixture {
  char dir[64];
  char db[128];
  char err[512];
};

static int setup(void **state) {
  struct fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  snprintf(fx->dir, sizeof fx->dir, "/tmp/soc-test-store-XXXXXX");
  if (!mkdtemp(fx->dir)) return -1;
  snprintf(fx->db, sizeof fx->db, "%s/state.db", fx->dir);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  struct fixture *fx = *state;
  test_dir_remove_tree(fx->dir);
  free(fx);
  return 0;
}

static unsigned file_mode(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return (unsigned)(st.st_mode & 07777);
}

static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static soc_store *open_ok(struct fixture *fx, unsigned flags) {
  soc_store *s = NULL;
  int rc = soc_store_open(fx->db, flags, &s, fx->err, sizeof fx->err);
  if (rc) fail_msg("open failed (%d): %s", rc, fx->err);
  assert_non_null(s);
  assert_string_equal(fx->err, "");
  return s;
}

static void test_create_wal_and_modes(void **state) {
  struct fixture *fx = *state;
  char path[160];
  /* A permissive umask must not leak into the files' modes. */
  mode_t old = umask(022);
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_set(s, "agent.id", "agent-01"), 0);
  assert_int_equal(file_mode(fx->db), 0600);
  /* While the store is open and written to, the WAL companions exist. */
  snprintf(path, sizeof path, "%s-wal", fx->db);
  assert_int_equal(file_mode(path), 0600);
  snprintf(path, sizeof path, "%s-shm", fx->db);
  assert_int_equal(file_mode(path), 0600);
  assert_int_equal(raw_int(fx->db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
  assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), soc_store_schema_version());
  assert_true(soc_store_schema_version() >= 1);
  soc_store_close(s);
  umask(old);
}

static void test_group_read_and_fixing_modes(void **state) {
  struct fixture *fx = *state;
  char wal[160];
  /* A strict umask must not take the group bit away either. */
  mode_t old = umask(077);
  soc_store *s = open_ok(fx, SOC_STORE_GROUP_READ);
  assert_int_equal(soc_store_meta_set(s, "k", "v"), 0);
  assert_int_equal(file_mode(fx->db), 0640);
  snprintf(wal, sizeof wal, "%s-wal", fx->db);
  assert_int_equal(file_mode(wal), 0640);
  soc_store_close(s);
  /* Files left too open by someone else are tightened on the next open. */
  assert_int_equal(chmod(fx->db, 0666), 0);
  write_bytes(wal, "", 0);
  assert_int_equal(chmod(wal, 0644), 0);
  s = open_ok(fx, 0);
  assert_int_equal(file_mode(fx->db), 0600);
  assert_int_equal(file_mode(wal), 0600);
  soc_store_close(s);
  umask(old);
}

/* agent.db: analysts in the agent's group read and write it (socctl). */
static void test_group_write(void **state) {
  struct fixture *fx = *state;
  char wal[160], shm[160];
  mode_t old = umask(077);
  soc_store *s = open_ok(fx, SOC_STORE_GROUP_WRITE);
  assert_int_equal(soc_store_meta_set(s, "k", "v"), 0);
  snprintf(wal, sizeof wal, "%s-wal", fx->db);
  snprintf(shm, sizeof shm, "%s-shm", fx->db);
  assert_int_equal(file_mode(fx->db), 0660);
  assert_int_equal(file_mode(wal), 0660);
  assert_int_equal(file_mode(shm), 0660);
  soc_store_close(s);
  umask(old);
}

static void test_meta_and_reopen(void **state) {
  struct fixture *fx = *state;
  char buf[64];
  size_t len = 0;
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_get(s, "agent.id", buf, sizeof buf, &len), -ENOENT);
  assert_non_null(strstr(soc_store_errmsg(s), fx->db));
  assert_int_equal(soc_store_meta_set(s, "agent.id", "agent-01"), 0);
  assert_int_equal(soc_store_meta_set(s, "agent.id", "agent-02"), 0);
  assert_int_equal(soc_store_meta_set(s, "empty", ""), 0);
  assert_int_equal(soc_store_meta_set(s, "name", "\xE8\xB3\x87\xE5\xAE\x89"), 0);
  assert_int_equal(soc_store_meta_set(s, "", "v"), -EINVAL);
  assert_int_equal(soc_store_meta_set(s, "k", NULL), -EINVAL);
  soc_store_close(s);

  s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_get(s, "agent.id", buf, sizeof buf, &len), 0);
  assert_string_equal(buf, "agent-02");
  assert_int_equal(len, 8);
  assert_int_equal(soc_store_meta_get(s, "empty", buf, sizeof buf, &len), 0);
  assert_string_equal(buf, "");
  assert_int_equal(len, 0);
  assert_int_equal(soc_store_meta_get(s, "name", buf, sizeof buf, NULL), 0);
  assert_string_equal(buf, "\xE8\xB3\x87\xE5\xAE\x89");
  /* Too small a buffer: nothing half-copied, and the size to retry with. */
  assert_int_equal(soc_store_meta_get(s, "agent.id", buf, 8, &len), -ENOSPC);
  assert_string_equal(buf, "");
  assert_int_equal(len, 8);
  assert_int_equal(soc_store_meta_get(s, "agent.id", buf, 9, &len), 0);
  soc_store_close(s);
}

/* A store's random id: made with the file, kept across opens, new on
 * renew; another file has another. */
static void test_store_id(void **state) {
  struct fixture *fx = *state;
  char a[64], b[64], c[64], other[600];
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_get(s, "store.id", a, sizeof a, NULL), 0);
  assert_int_equal(strlen(a), SOC_STORE_ID_LEN);
  assert_int_equal(strspn(a, "0123456789abcdef"), SOC_STORE_ID_LEN);
  soc_store_close(s);
  s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_get(s, "store.id", b, sizeof b, NULL), 0);
  assert_string_equal(a, b);
  assert_int_equal(soc_store_renew_id(s), 0);
  assert_int_equal(soc_store_meta_get(s, "store.id", c, sizeof c, NULL), 0);
  assert_int_equal(strlen(c), SOC_STORE_ID_LEN);
  assert_string_not_equal(a, c);
  soc_store_close(s);
  snprintf(other, sizeof other, "%s.other", fx->db);
  assert_int_equal(soc_store_open(other, 0, &s, fx->err, sizeof fx->err), 0);
  assert_int_equal(soc_store_meta_get(s, "store.id", b, sizeof b, NULL), 0);
  assert_string_not_equal(a, b);
  assert_string_not_equal(c, b);
  soc_store_close(s);
}

static void test_migration_idempotent(void **state) {
  struct fixture *fx = *state;
  for (int i = 0; i < 3; i++) {
    soc_store *s = open_ok(fx, 0);
    if (i == 0) assert_int_equal(soc_store_meta_set(s, "first", "yes"), 0);
    soc_store_close(s);
    assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), soc_store_schema_version());
    assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'meta'"), 1);
    assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM meta WHERE key = 'first'"), 1);
  }
  /* Two handles on one file, as agent and socctl will have. */
  soc_store *a = open_ok(fx, 0), *b = open_ok(fx, 0);
  char buf[8];
  assert_int_equal(soc_store_meta_set(a, "shared", "1"), 0);
  assert_int_equal(soc_store_meta_get(b, "shared", buf, sizeof buf, NULL), 0);
  assert_string_equal(buf, "1");
  soc_store_close(a);
  soc_store_close(b);
}

/* The correlation state as soc_store_detect_state_scan gives it back, as
 * "rule key hex;" per key. */
static int state_text(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  char *out = arg;
  size_t at = strlen(out);
  at += (size_t)snprintf(out + at, 256 - at, "%s %s ", rule, key);
  for (size_t i = 0; i < len && at < 250; i++)
    at += (size_t)snprintf(out + at, 256 - at, "%02x", ((const unsigned char *)blob)[i]);
  snprintf(out + at, 256 - at, ";");
  return 0;
}

static const char *state_now(struct fixture *fx, char *out) {
  soc_store *s = open_ok(fx, 0);
  out[0] = '\0';
  assert_int_equal(soc_store_detect_state_scan(s, state_text, out), 0);
  soc_store_close(s);
  return out;
}

/* What migration 18 made, dropped again to fake an older file. */
#define UNDO_18                                                                        \
  "DROP TABLE triage_version; DROP TRIGGER alert_added; DROP TRIGGER alert_changed;"   \
  " DROP TRIGGER alert_removed; DROP TRIGGER draft_added; DROP TRIGGER draft_changed;" \
  " DROP TRIGGER draft_removed;"

/* Migration 13 moves the correlation state into a WITHOUT ROWID table,
 * rows and all, 14 adds its log beside it, 15 packs what a transaction
 * changed into one row, 16 compresses the rows (17 only bumps the version:
 * LZ4 journal blocks): a file of version 12 with the old table, opened
 * again, then rows of the log as a version 14 agent wrote them, then a
 * plain row as a version 15 agent wrote it; the scan reads all of them, the
 * newest of a key winning. */
static void test_detect_state_migrated(void **state) {
  struct fixture *fx = *state;
  char sql[1024], now[256];
  soc_store_close(open_ok(fx, 0));
  snprintf(sql, sizeof sql,
           UNDO_18
           "DROP TABLE detect_state_pack; DROP TABLE detect_state_log; DROP INDEX alert_recent;"
           "DROP TABLE detect_state;"
           "CREATE TABLE detect_state(rule TEXT NOT NULL, key TEXT NOT NULL,"
           " state BLOB NOT NULL, PRIMARY KEY(rule, key));"
           "INSERT INTO detect_state VALUES('R-1', '10.0.0.1', x'0102'), ('R-1', 'b', x'03'),"
           " ('R-0', 'z', x'05');"
           "PRAGMA user_version=%d;",
           12);
  raw_exec(fx->db, sql);
  soc_store_close(open_ok(fx, 0));
  assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), soc_store_schema_version());
  assert_int_equal(raw_int(fx->db,
                           "SELECT count(*) FROM sqlite_schema WHERE name = 'detect_state'"
                           " AND sql LIKE '%WITHOUT ROWID%'"),
                   1);
  assert_string_equal(state_now(fx, now), "R-0 z 05;R-1 10.0.0.1 0102;R-1 b 03;");
  /* a version 14 agent's log: its rows win over the table's, the later
   * over the earlier; an empty state: the key went away */
  raw_exec(fx->db,
           "INSERT INTO detect_state_log(rule, key, state) VALUES"
           " ('R-1', 'b', x'06'), ('R-1', 'c', x'07'), ('R-1', 'b', x'08'),"
           " ('R-0', 'z', x'');");
  assert_string_equal(state_now(fx, now), "R-1 10.0.0.1 0102;R-1 b 08;R-1 c 07;");
  /* later changes are packed, and win over both */
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R-1", "b", "\x04", 1), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R-1", "10.0.0.1", NULL, 0), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R-0", "z", "\x09", 1), 0);
  assert_int_equal(soc_store_commit(s), 0);
  soc_store_close(s);
  assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM detect_state_pack"), 1);
  assert_int_equal(raw_int(fx->db, "SELECT sum(n) FROM detect_state_pack"), 3);
  assert_string_equal(state_now(fx, now), "R-0 z 09;R-1 b 04;R-1 c 07;");
  /* a damaged pack is refused with an error, not read past its end */
  raw_exec(fx->db, "INSERT INTO detect_state_pack(n, body) VALUES(1, x'0400010001523100');");
  s = open_ok(fx, 0);
  now[0] = '\0';
  assert_int_equal(soc_store_detect_state_scan(s, state_text, now), -EBADMSG);
  assert_non_null(strstr(soc_store_errmsg(s), "detect_state_pack"));
  soc_store_close(s);
}

/* Packed rows are compressed when that makes them smaller (migration 16):
 * read back as they went in, over several rows; a row too short to shrink
 * stays plain; a frame that is cut, of an unknown codec, says it holds more
 * than a row can, or holds a damaged record is refused naming its row. */
#define ZKEYS 30000

static int state_mark(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  unsigned char *seen = arg;
  const unsigned char *b = blob;
  if (!strcmp(rule, "R-2")) {
    assert_string_equal(key, "x");
    seen[ZKEYS]++;
    return 0;
  }
  int i = atoi(key + strlen("10.0."));
  assert_string_equal(rule, "R-1");
  assert_int_equal(len, 52);
  for (size_t j = 0; j < len; j++)
    assert_int_equal(b[j], (unsigned char)(j < 36 ? j : (size_t)i + j));
  seen[i]++;
  return 0;
}

/* The scan with the row that row_sql adds as seq 99: refused naming it, and
 * the row taken out again; with none (NULL), every key read back once. */
static void zstate_with(struct fixture *fx, const char *row_sql) {
  static unsigned char seen[ZKEYS + 1];
  memset(seen, 0, sizeof seen);
  if (row_sql) raw_exec(fx->db, row_sql);
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_detect_state_scan(s, state_mark, seen), row_sql ? -EBADMSG : 0);
  if (row_sql)
    assert_non_null(strstr(soc_store_errmsg(s), "row 99 of detect_state_pack is damaged"));
  for (int i = 0; !row_sql && i <= ZKEYS; i++) assert_int_equal(seen[i], 1);
  soc_store_close(s);
  raw_exec(fx->db, "DELETE FROM detect_state_pack WHERE seq = 99;");
}

static void test_detect_state_compressed(void **state) {
  static const char *const damaged[] = {
      /* a frame cut short */
      "INSERT INTO detect_state_pack(seq, n, body, codec) SELECT 99, n,"
      " substr(body, 1, length(body) - 8), 1 FROM detect_state_pack WHERE seq = 1;",
      /* a codec nobody wrote */
      "INSERT INTO detect_state_pack(seq, n, body, codec) SELECT 99, n, body, 2"
      " FROM detect_state_pack WHERE seq = 1;",
      /* 1,300,005 zero bytes (185,715 empty records), more than a row and a record */
      "INSERT INTO detect_state_pack(seq, n, body, codec) VALUES(99, 1, x'"
      "28b52ffd844825d613005400001000000100fbff39c002020010000200100002"
      "00100002001000020010000200100002001000020010002bb10e00c831d685', 1);",
      /* the damaged record of test_detect_state_migrated, as a frame */
      "INSERT INTO detect_state_pack(seq, n, body, codec) VALUES(99, 1,"
      " x'28b52ffd24084100000400010001523100d33a4dd8', 1);",
  };
  struct fixture *fx = *state;
  unsigned char blob[52];
  char key[32];
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_begin(s), 0);
  for (int i = 0; i < ZKEYS; i++) {
    snprintf(key, sizeof key, "10.0.%d", i);
    for (size_t j = 0; j < sizeof blob; j++) blob[j] = (unsigned char)(j < 36 ? j : (size_t)i + j);
    assert_int_equal(soc_store_detect_state_put(s, "R-1", key, blob, sizeof blob), 0);
  }
  assert_int_equal(soc_store_commit(s), 0);
  assert_int_equal(soc_store_detect_state_put(s, "R-2", "x", "\x01", 1), 0); /* a row alone */
  soc_store_close(s);
  /* about 2.1 MB of records: three rows, each a fraction of its size */
  assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM detect_state_pack WHERE codec = 1"), 3);
  assert_int_equal(raw_int(fx->db, "SELECT sum(n) FROM detect_state_pack WHERE codec = 1"), ZKEYS);
  assert_true(raw_int(fx->db, "SELECT sum(length(body)) FROM detect_state_pack") < 700000);
  assert_int_equal(raw_int(fx->db, "SELECT codec FROM detect_state_pack WHERE n = 1"), 0);
  zstate_with(fx, NULL);
  for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) zstate_with(fx, damaged[i]);
  zstate_with(fx, NULL);
}

static void test_newer_schema_refused(void **state) {
  struct fixture *fx = *state;
  char sql[64];
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_set(s, "k", "v"), 0);
  soc_store_close(s);
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", soc_store_schema_version() + 1);
  raw_exec(fx->db, sql);
  s = (soc_store *)1;
  assert_int_equal(soc_store_open(fx->db, 0, &s, fx->err, sizeof fx->err), -ENOTSUP);
  assert_null(s);
  assert_non_null(strstr(fx->err, fx->db));
  assert_non_null(strstr(fx->err, "newer"));
  /* Refusing must not have touched the file. */
  assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), soc_store_schema_version() + 1);
  assert_int_equal(raw_int(fx->db, "SELECT count(*) FROM meta"), 2); /* k and store.id */
}

static void test_garbage_file(void **state) {
  struct fixture *fx = *state;
  uint8_t junk[8192];
  uint32_t x = 2463534242u;
  soc_store *s = NULL;
  for (size_t i = 0; i < sizeof junk; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    junk[i] = (uint8_t)x;
  }
  write_bytes(fx->db, junk, sizeof junk);
  assert_int_equal(soc_store_open(fx->db, 0, &s, fx->err, sizeof fx->err), -EBADMSG);
  assert_null(s);
  assert_non_null(strstr(fx->err, fx->db));
  assert_non_null(strstr(fx->err, "not an SQLite database"));

  write_bytes(fx->db, "just some text, not a database\n", 31);
  assert_int_equal(soc_store_open(fx->db, 0, &s, fx->err, sizeof fx->err), -EBADMSG);
  assert_non_null(strstr(fx->err, fx->db));
  /* The file is left as it was, for someone to look at. */
  assert_int_equal(file_mode(fx->db) & 0777, 0600);
  struct stat st;
  assert_int_equal(stat(fx->db, &st), 0);
  assert_int_equal(st.st_size, 31);
}

/* Fills a store, closes it (which folds the WAL into the file), and
 * returns the file's size. */
static off_t fill(struct fixture *fx) {
  char key[32], value[512];
  struct stat st;
  soc_store *s = open_ok(fx, 0);
  memset(value, 'v', sizeof value - 1);
  value[sizeof value - 1] = '\0';
  assert_int_equal(soc_store_begin(s), 0);
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "key-%04d", i);
    assert_int_equal(soc_store_meta_set(s, key, value), 0);
  }
  assert_int_equal(soc_store_commit(s), 0);
  soc_store_close(s);
  assert_int_equal(stat(fx->db, &st), 0);
  return st.st_size;
}

static void test_truncated_file(void **state) {
  struct fixture *fx = *state;
  soc_store *s = NULL;
  off_t size = fill(fx);
  assert_true(size > 64 * 1024);
  assert_int_equal(truncate(fx->db, size / 2), 0);
  assert_int_equal(soc_store_open(fx->db, 0, &s, fx->err, sizeof fx->err), -EBADMSG);
  assert_null(s);
  assert_non_null(strstr(fx->err, fx->db));
  assert_non_null(strstr(fx->err, "corrupt"));
}

static void test_damaged_page(void **state) {
  struct fixture *fx = *state;
  soc_store *s = NULL;
  off_t size = fill(fx);
  /* Scribble over the middle of the file, away from the header. */
  int fd = open(fx->db, O_WRONLY);
  assert_true(fd >= 0);
  uint8_t junk[4096];
  memset(junk, 0xA5, sizeof junk);
  assert_int_equal(pwrite(fd, junk, sizeof junk, size / 2 / 4096 * 4096), (ssize_t)sizeof junk);
  close(fd);
  assert_int_equal(soc_store_open(fx->db, 0, &s, fx->err, sizeof fx->err), -EBADMSG);
  assert_null(s);
  assert_non_null(strstr(fx->err, fx->db));
  assert_non_null(strstr(fx->err, "corrupt"));
}

static void test_refused_paths(void **state) {
  struct fixture *fx = *state;
  char link[160];
  soc_store *s = NULL;
  /* A symlink could point a root daemon's writes anywhere. */
  soc_store_close(open_ok(fx, 0));
  snprintf(link, sizeof link, "%s/link.db", fx->dir);
  assert_int_equal(symlink(fx->db, link), 0);
  assert_int_equal(soc_store_open(link, 0, &s, fx->err, sizeof fx->err), -ELOOP);
  assert_non_null(strstr(fx->err, "symbolic link"));
  assert_int_equal(soc_store_open(fx->dir, 0, &s, fx->err, sizeof fx->err), -EISDIR);
  assert_non_null(strstr(fx->err, fx->dir));
  snprintf(link, sizeof link, "%s/no/such/dir.db", fx->dir);
  assert_int_equal(soc_store_open(link, 0, &s, fx->err, sizeof fx->err), -ENOENT);
  assert_int_equal(soc_store_open(fx->db, 0x80, &s, fx->err, sizeof fx->err), -EINVAL);
  assert_int_equal(soc_store_open(NULL, 0, &s, fx->err, sizeof fx->err), -EINVAL);
  assert_int_equal(soc_store_open(fx->db, 0, NULL, NULL, 0), -EINVAL);
  assert_null(s);
}

static void test_transactions(void **state) {
  struct fixture *fx = *state;
  char buf[16];
  soc_store *s = open_ok(fx, 0);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_meta_set(s, "a", "1"), 0);
  assert_int_equal(soc_store_begin(s), -EINVAL);
  assert_non_null(strstr(soc_store_errmsg(s), "already"));
  assert_int_equal(soc_store_rollback(s), 0);
  assert_int_equal(soc_store_meta_get(s, "a", buf, sizeof buf, NULL), -ENOENT);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_meta_set(s, "a", "2"), 0);
  assert_int_equal(soc_store_commit(s), 0);
  assert_int_equal(soc_store_commit(s), -EINVAL);
  assert_int_equal(soc_store_rollback(s), -EINVAL);
  /* An open transaction is rolled back by close. */
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_meta_set(s, "a", "3"), 0);
  soc_store_close(s);
  s = open_ok(fx, 0);
  assert_int_equal(soc_store_meta_get(s, "a", buf, sizeof buf, NULL), 0);
  assert_string_equal(buf, "2");
  soc_store_close(s);
  soc_store_close(NULL);
  assert_string_equal(soc_store_errmsg(NULL), "");
}

/* The version of alerts and drafts (migration 18): a file of version 17,
 * opened again, gets it at 0; every writer moves it on for a row of alert
 * or draft added, removed or changed (a raw connection as much as the
 * store's), not for an alert's times and count alone, its evidence, or
 * what the ingest and the forwarder write (journal, counters, meta, the
 * outbox). */
static void test_triage_version(void **state) {
  struct fixture *fx = *state;
  char sql[320];
  soc_store_close(open_ok(fx, 0));
  snprintf(sql, sizeof sql, UNDO_18 "PRAGMA user_version=%d;", 17);
  raw_exec(fx->db, sql);
  soc_store *s = open_ok(fx, 0), *other = open_ok(fx, 0);
  assert_int_equal(raw_int(fx->db, "PRAGMA user_version"), soc_store_schema_version());
  int64_t v = -1, was;
#define VERSION_MOVED(moved)                                           \
  do {                                                                 \
    was = v;                                                           \
    assert_int_equal(soc_store_triage_version(other, &v), 0);          \
    if ((moved) != (v != was)) fail_msg("version %lld", (long long)v); \
  } while (0)
  VERSION_MOVED(1);
  assert_int_equal(v, 0);
  soc_alert_row a = {.first_ns = 100, .last_ns = 200, .count = 1};
  snprintf(a.rule, sizeof a.rule, "R-1");
  snprintf(a.key, sizeof a.key, "10.0.0.1");
  snprintf(a.host, sizeof a.host, "web01");
  assert_int_equal(soc_store_alert_put(s, &a), 0);
  VERSION_MOVED(1);
  a.count = 2;
  a.last_ns = 300;
  assert_int_equal(soc_store_alert_touch(s, &a), 0);
  soc_evidence_row e = {.draft = a.id, .source = "app", .ts = 300, .line = "x", .len = 1};
  assert_int_equal(soc_store_alert_evidence_add(s, &e), 0);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_meta_set(s, "detect.cursor", "7"), 0);
  assert_int_equal(soc_store_counter_set(s, "detect", "lines", 8), 0);
  assert_int_equal(soc_store_outbox_add(s, "alerts", "web01", "{}", 2, NULL), 0);
  assert_int_equal(soc_store_commit(s), 0);
  raw_exec(fx->db, "UPDATE alert SET count = count + 1, last_ns = 400");
  VERSION_MOVED(0);
  soc_draft_row d = {.level = 2, .count = 1};
  snprintf(d.status, sizeof d.status, "open");
  assert_int_equal(soc_store_draft_put(s, &d), 0);
  VERSION_MOVED(1);
  a.draft = d.id;
  assert_int_equal(soc_store_alert_put(s, &a), 0);
  VERSION_MOVED(1);
  raw_exec(fx->db, "UPDATE draft SET status = 'rejected'");
  VERSION_MOVED(1);
  raw_exec(fx->db, "UPDATE alert SET draft = 0");
  VERSION_MOVED(1);
  /* a write that changes no row moves nothing */
  raw_exec(fx->db, "UPDATE alert SET draft = 1 WHERE id = -1");
  VERSION_MOVED(0);
  raw_exec(fx->db, "DELETE FROM alert");
  VERSION_MOVED(1);
  raw_exec(fx->db, "DELETE FROM draft");
  VERSION_MOVED(1);
  /* a rolled back write leaves it */
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_store_draft_put(s, &d), 0);
  assert_int_equal(soc_store_rollback(s), 0);
  VERSION_MOVED(0);
#undef VERSION_MOVED
  /* a file whose version row was deleted by hand says so */
  raw_exec(fx->db, "DELETE FROM triage_version");
  assert_int_equal(soc_store_triage_version(other, &v), -ENOENT);
  soc_store_close(s);
  soc_store_close(other);
}

/* The ended streams a copy of an ended file is known by: this input's DONE
 * rows only, with a fingerprint of at least the asked length, newest first,
 * at most the asked number. */
static void test_streams_ended(void **state) {
  struct fixture *fx = *state;
  soc_store *s = open_ok(fx, 0);
  /* id order: app done 1024, app active, other done, app done 512, app done 1024 x3 */
  static const struct {
    const char *input;
    soc_stream_state st;
    uint32_t fp_len;
  } rows[] = {{"app", SOC_STREAM_DONE, 1024},     {"app", SOC_STREAM_ACTIVE, 1024},
              {"other", SOC_STREAM_DONE, 1024},   {"app", SOC_STREAM_DONE, 512},
              {"app", SOC_STREAM_DONE, 1024},     {"app", SOC_STREAM_DONE, 1024},
              {"app", SOC_STREAM_DRAINING, 1024}, {"app", SOC_STREAM_DONE, 1024}};
  int64_t ids[sizeof rows / sizeof rows[0]];
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    soc_stream_row r = {
        .ino = i + 1, .fp_len = rows[i].fp_len, .offset = 100 * (i + 1), .state = rows[i].st};
    snprintf(r.input, sizeof r.input, "%s", rows[i].input);
    snprintf(r.path, sizeof r.path, "/var/log/%zu.log", i);
    r.fp[0] = (uint8_t)i;
    assert_int_equal(soc_store_stream_insert(s, &r), 0);
    ids[i] = r.id;
  }
  soc_stream_row *got = NULL;
  size_t n = 0;
  assert_int_equal(soc_store_streams_ended(s, "app", 1024, 64, &got, &n), 0);
  assert_int_equal(n, 4);
  static const size_t want[] = {7, 5, 4, 0};
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(got[i].id, ids[want[i]]);
    assert_int_equal(got[i].offset, 100 * (want[i] + 1));
    assert_int_equal(got[i].fp[0], want[i]);
    assert_int_equal(got[i].state, SOC_STREAM_DONE);
  }
  free(got);
  assert_int_equal(soc_store_streams_ended(s, "app", 1024, 2, &got, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(got[1].id, ids[5]);
  free(got);
  assert_int_equal(soc_store_streams_ended(s, "app", 512, 64, &got, &n), 0);
  assert_int_equal(n, 5);
  free(got);
  assert_int_equal(soc_store_streams_ended(s, "none", 0, 64, &got, &n), 0);
  assert_int_equal(n, 0);
  free(got);
  soc_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_wal_and_modes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_read_and_fixing_modes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_write, setup, teardown),
      cmocka_unit_test_setup_teardown(test_meta_and_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migration_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_detect_state_migrated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_detect_state_compressed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_truncated_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_page, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_triage_version, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streams_ended, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
