/*
 * store_watch — the baseline of watched directories and the findings
 * already drafted, and the objects YARA matched (agent/watch.c and
 * agent/finding.c write them in one transaction with the
 * drafts they make, so a crash keeps all or none).
 *
 * finding_seen is what makes a rescan harmless: a finding is keyed by the
 * rule, the object (a path) and the SHA-256 of the content that matched.
 * The same webshell found again after a restart is the same key and is
 * not drafted again; the same file with new content is a new key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static void row_from(sqlite3_stmt *st, soc_watch_file_row *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->input, sizeof r->input, "%s", soc_store_text(st, 0));
  snprintf(r->path, sizeof r->path, "%s", soc_store_text(st, 1));
  r->size = sqlite3_column_int64(st, 2);
  r->mtime_ns = sqlite3_column_int64(st, 3);
  snprintf(r->sha256, sizeof r->sha256, "%s", soc_store_text(st, 4));
}

#define WATCH_COLUMNS "SELECT input, path, size, mtime_ns, sha256 FROM watch_file"

int soc_store_watch_file_get(soc_store *s, const char *input, const char *path,
                             soc_watch_file_row *out) {
  static const char what[] = "cannot read the watch baseline";
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(s, &st, what, WATCH_COLUMNS " WHERE input = ?1 AND path = ?2", "ss",
                          input, path);
  if (rc < 0) return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) row_from(st, out);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE) return -ENOENT;
  return soc_store_fail_sql(s, rc, what);
}

int soc_store_watch_file_put(soc_store *s, const soc_watch_file_row *r) {
  static const char what[] = "cannot write the watch baseline";
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(s, &st, what,
                          "INSERT OR REPLACE INTO watch_file(input, path, size, mtime_ns, sha256)"
                          " VALUES(?1, ?2, ?3, ?4, ?5)",
                          "ssiis", r->input, r->path, r->size, r->mtime_ns, r->sha256);
  return rc < 0 ? rc : soc_store_done(s, st, what, NULL);
}

int soc_store_watch_file_delete(soc_store *s, const char *input, const char *path) {
  static const char what[] = "cannot write the watch baseline";
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(s, &st, what, "DELETE FROM watch_file WHERE input = ?1 AND path = ?2",
                          "ss", input, path);
  return rc < 0 ? rc : soc_store_done(s, st, what, NULL);
}

int soc_store_watch_files_scan(soc_store *s, const char *input, soc_watch_file_cb cb, void *arg) {
  static const char what[] = "cannot read the watch baseline";
  sqlite3_stmt *st = NULL;
  soc_watch_file_row r;
  int result =
      soc_store_prep(s, &st, what, WATCH_COLUMNS " WHERE input = ?1 ORDER BY path", "s", input);
  if (result < 0) return result;
  int rc = SQLITE_DONE;
  while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    row_from(st, &r);
    result = cb(arg, &r);
  }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}

int soc_store_watch_files_count(soc_store *s, const char *input, int64_t *n) {
  static const char what[] = "cannot read the watch baseline";
  sqlite3_stmt *st = NULL;
  *n = 0;
  int rc =
      soc_store_prep(s, &st, what, "SELECT count(*) FROM watch_file WHERE input = ?1", "s", input);
  if (rc < 0) return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : soc_store_fail_sql(s, rc, what);
}

int soc_store_finding_seen_add(soc_store *s, const char *rule, const char *object,
                               const char *sha256) {
  sqlite3_stmt *st = NULL;
  int changed = 0;
  int rc = soc_store_prep(s, &st, "cannot record a finding",
                          "INSERT OR IGNORE INTO finding_seen(rule, object, sha256, ts_ns)"
                          " VALUES(?1, ?2, ?3, CAST((julianday('now') - 2440587.5)"
                          " * 86400000000000 AS INTEGER))",
                          "sss", rule, object, sha256);
  if (rc == 0) rc = soc_store_done(s, st, "cannot record a finding", &changed);
  if (rc < 0) return rc;
  return changed ? 0 : -EEXIST;
}

int soc_store_object_add(soc_store *s, const soc_object_row *row, const void *bytes, size_t len) {
  static const char what[] = "cannot keep a matched object";
  sqlite3_stmt *st = NULL;
  int rc;
  int kept = row->kept && bytes && (int64_t)len == row->size;
  if (kept) {
    rc = soc_store_prep(s, &st, what, "INSERT OR IGNORE INTO object(sha256, bytes) VALUES(?1, ?2)",
                        "sb", row->sha256, bytes, len);
    if (rc == 0) rc = soc_store_done(s, st, what, NULL);
    if (rc < 0) return rc;
  }
  rc = soc_store_prep(s, &st, what,
                      "INSERT OR IGNORE INTO draft_object(draft, sha256, name, size, kept, ts_ns)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                      "issiii", row->draft, row->sha256, row->name, row->size, (int64_t)kept,
                      row->ts_ns);
  return rc < 0 ? rc : soc_store_done(s, st, what, NULL);
}

int soc_store_objects_scan(soc_store *s, int64_t draft, soc_object_cb cb, void *arg) {
  static const char what[] = "cannot read the matched objects";
  sqlite3_stmt *st = NULL;
  soc_object_row r;
  int result = soc_store_prep(s, &st, what,
                              "SELECT d.sha256, d.name, d.size, d.kept, d.ts_ns, o.bytes"
                              " FROM draft_object d LEFT JOIN object o ON o.sha256 = d.sha256"
                              " WHERE d.draft = ?1 ORDER BY d.ts_ns, d.name",
                              "i", draft);
  if (result < 0) return result;
  int rc = SQLITE_DONE;
  while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&r, 0, sizeof r);
    r.draft = draft;
    snprintf(r.sha256, sizeof r.sha256, "%s", soc_store_text(st, 0));
    snprintf(r.name, sizeof r.name, "%s", soc_store_text(st, 1));
    r.size = sqlite3_column_int64(st, 2);
    r.ts_ns = sqlite3_column_int64(st, 4);
    r.bytes = sqlite3_column_blob(st, 5);
    /* kept means the bytes are whole: a row whose blob went missing is not */
    r.kept = sqlite3_column_int(st, 3) && sqlite3_column_type(st, 5) == SQLITE_BLOB &&
             sqlite3_column_bytes(st, 5) == r.size;
    if (!r.kept) r.bytes = NULL;
    result = cb(arg, &r);
  }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}
