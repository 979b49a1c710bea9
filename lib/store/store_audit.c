/*
 * store_audit — the audit table's SQL, and nothing else.
 *
 * The chain (what is hashed, what counts as broken) is audit.c's business;
 * this file only stores and returns rows exactly as given, so that verify
 * sees what is really on disk. Rows are never updated or deleted here: the
 * log is append-only, and the absence of such functions is part of that.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int soc_store_in_transaction(soc_store *s) { return s && !sqlite3_get_autocommit(s->db); }

int soc_store_read_begin(soc_store *s) {
  if (!s) return -EINVAL;
  if (!sqlite3_get_autocommit(s->db))
    return soc_store_fail(s, -EINVAL, "a transaction is already open");
  /* Deferred: a reader must not hold the write lock against the agent. */
  return soc_store_exec(s, "BEGIN DEFERRED", "cannot begin a read transaction");
}

int soc_store_audit_max_seq(soc_store *s, int64_t *seq) {
  static const char what[] = "cannot read the audit log";
  sqlite3_stmt *st = NULL;
  if (!s || !seq) return -EINVAL;
  *seq = 0;
  int result = soc_store_prep(s, &st, what, "SELECT COALESCE(MAX(seq), 0) FROM audit", "");
  return result ? result : soc_store_rows(s, st, what, -EIO, soc_store_int_row, NULL, seq);
}

int soc_store_audit_insert(soc_store *s, const soc_audit_row *r) {
  static const char what[] = "cannot append to the audit log";
  sqlite3_stmt *st = NULL;
  if (!s || !r || !r->actor || !r->action || !r->object || !r->details || !r->prev_hash || !r->hash)
    return -EINVAL;
  /* Plain INSERT, not OR REPLACE: an existing seq is an error, never overwritten. */
  int result = soc_store_prep(s, &st, what,
                              "INSERT INTO audit(seq, ts_ns, actor, action, object, details,"
                              " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              "iissssss", r->seq, r->ts_ns, r->actor, r->action, r->object,
                              r->details, r->prev_hash, r->hash);
  return result ? result : soc_store_done(s, st, what, NULL);
}

/* Columns are read with soc_store_text: a NULL put there by hand reads as "",
 * which then fails the hash check instead of crashing the verifier. */
int soc_store_audit_scan(soc_store *s, int64_t after_seq, size_t limit, soc_audit_row_cb cb,
                         void *arg) {
  int result = -EINVAL;
  sqlite3_stmt *st = NULL;
  int rc;
  if (!s || !cb) goto out;
  if ((result = soc_store_prep(s, &st, "cannot read the audit log",
                               "SELECT seq, ts_ns, actor, action, object, details, prev_hash, hash"
                               " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                               "ii", after_seq,
                               limit && limit < INT64_MAX ? (int64_t)limit : (int64_t)-1)) < 0)
    goto out;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    soc_audit_row r = {
        .seq = sqlite3_column_int64(st, 0),
        .ts_ns = sqlite3_column_int64(st, 1),
        .actor = soc_store_text(st, 2),
        .action = soc_store_text(st, 3),
        .object = soc_store_text(st, 4),
        .details = soc_store_text(st, 5),
        .prev_hash = soc_store_text(st, 6),
        .hash = soc_store_text(st, 7),
    };
    int stop = cb(arg, &r);
    if (stop) {
      result = stop;
      goto out;
    }
  }
  if (rc != SQLITE_DONE) goto sql_error;
  result = 0;
  goto out;
sql_error:
  result = soc_store_fail_sql(s, rc, "cannot read the audit log");
out:
  sqlite3_finalize(st);
  return result;
}
