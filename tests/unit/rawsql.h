/*
 * rawsql — a store's file opened with SQLite directly, beside the store
 * (header-only, tests only): to check what the store wrote and to fake
 * what it must survive, such as a file of an older schema. Needs cmocka.h
 * included first.
 */
#ifndef SOC_RAWSQL_H
#define SOC_RAWSQL_H

#include <sqlite3.h>

/* One integer answer of sql on the file at db. */
static inline int raw_int(const char *db, const char *sql) {
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

/* Runs sql (any number of statements) on the file at db. */
static inline void raw_exec(const char *db, const char *sql) {
  sqlite3 *h = NULL;
  char *err = NULL;
  assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
  sqlite3_close(h);
}

#endif
