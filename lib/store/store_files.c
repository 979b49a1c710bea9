/*
 * store_files — where each input stands: file streams (identity and
 * committed offset), network sequence numbers and counters.
 *
 * These rows are written in the same transaction as the journal blocks
 * they describe, which is what makes "committed" mean the same thing for
 * the data and for the position: a crash can never leave a position ahead
 * of the data, or data without its position.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static void row_from(sqlite3_stmt *st, soc_stream_row *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  snprintf(r->input, sizeof r->input, "%s", (const char *)sqlite3_column_text(st, 1));
  snprintf(r->path, sizeof r->path, "%s", (const char *)sqlite3_column_text(st, 2));
  r->dev = (uint64_t)sqlite3_column_int64(st, 3);
  r->ino = (uint64_t)sqlite3_column_int64(st, 4);
  r->fp_len = (uint32_t)sqlite3_column_int64(st, 5);
  int fplen = sqlite3_column_bytes(st, 6);
  if (fplen > SOC_STREAM_FP_MAX) fplen = SOC_STREAM_FP_MAX;
  if (fplen > 0) memcpy(r->fp, sqlite3_column_blob(st, 6), (size_t)fplen);
  r->offset = (uint64_t)sqlite3_column_int64(st, 7);
  r->state = (soc_stream_state)sqlite3_column_int(st, 8);
  r->flags = (uint32_t)sqlite3_column_int64(st, 9);
}

int soc_store_streams_load(soc_store *s, const char *input, soc_stream_row **rows, size_t *n) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  soc_stream_row *v = NULL;
  size_t count = 0, cap = 0;
  *rows = NULL;
  *n = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT id, input, path, dev, ino, fp_len, fp, offset, state, flags"
                              " FROM file_stream WHERE input = ?1 AND state != 2 ORDER BY id",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) goto sql_error;
  sqlite3_bind_text(st, 1, input, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      soc_stream_row *nv = realloc(v, cap * sizeof *nv);
      if (!nv) {
        result = -ENOMEM;
        goto out;
      }
      v = nv;
    }
    row_from(st, &v[count++]);
  }
  if (rc != SQLITE_DONE) goto sql_error;
  *rows = v;
  *n = count;
  v = NULL;
  result = 0;
  goto out;
sql_error:
  result = soc_store_fail_sql(s, rc, "cannot read file positions");
out:
  free(v);
  sqlite3_finalize(st);
  return result;
}

int soc_store_stream_get(soc_store *s, int64_t id, soc_stream_row *row) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT id, input, path, dev, ino, fp_len, fp, offset, state, flags"
                              " FROM file_stream WHERE id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_from(st, row);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE) return -ENOENT;
  return soc_store_fail_sql(s, rc, "cannot read a file position");
}

/* Binds the columns both insert and update write, as ?2..?10. */
static void bind_row(sqlite3_stmt *st, const soc_stream_row *r) {
  sqlite3_bind_text(st, 2, r->input, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, r->path, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)r->dev);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)r->ino);
  sqlite3_bind_int64(st, 6, r->fp_len);
  sqlite3_bind_blob(st, 7, r->fp, r->fp_len ? SOC_STREAM_FP_MAX : 0, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, (sqlite3_int64)r->offset);
  sqlite3_bind_int(st, 9, (int)r->state);
  sqlite3_bind_int64(st, 10, r->flags);
}

int soc_store_stream_insert(soc_store *s, soc_stream_row *row) {
  sqlite3_stmt *st = soc_store_stmt(
      s, SOC_STMT_STREAM_INSERT,
      "INSERT INTO file_stream(id, input, path, dev, ino, fp_len, fp, offset, state, flags)"
      " VALUES(NULL,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  if (!st) return -EIO;
  bind_row(st, row);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return soc_store_fail_sql(s, rc, "cannot record a new file");
  row->id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

int soc_store_stream_update(soc_store *s, const soc_stream_row *row) {
  sqlite3_stmt *st = soc_store_stmt(
      s, SOC_STMT_STREAM_UPDATE,
      "UPDATE file_stream SET input=?2, path=?3, dev=?4, ino=?5, fp_len=?6, fp=?7, offset=?8,"
      " state=?9, flags=?10 WHERE id=?1");
  if (!st) return -EIO;
  sqlite3_bind_int64(st, 1, row->id);
  bind_row(st, row);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return soc_store_fail_sql(s, rc, "cannot record a file position");
  return 0;
}

int soc_store_seq_get(soc_store *s, const char *input, uint64_t *seq) {
  sqlite3_stmt *st = NULL;
  *seq = 0;
  int rc = sqlite3_prepare_v2(s->db, "SELECT seq FROM source_seq WHERE input = ?1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, input, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *seq = (uint64_t)sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return soc_store_fail_sql(s, rc, "cannot read a sequence number");
  return 0;
}

int soc_store_seq_set(soc_store *s, const char *input, uint64_t seq) {
  sqlite3_stmt *st = soc_store_stmt(s, SOC_STMT_SEQ_SET,
                                    "INSERT OR REPLACE INTO source_seq(input, seq) VALUES(?1, ?2)");
  if (!st) return -EIO;
  sqlite3_bind_text(st, 1, input, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot record a sequence number");
}

int soc_store_counter_set(soc_store *s, const char *input, const char *name, int64_t value) {
  sqlite3_stmt *st =
      soc_store_stmt(s, SOC_STMT_COUNTER_SET,
                     "INSERT OR REPLACE INTO counter(input, name, value) VALUES(?1, ?2, ?3)");
  if (!st) return -EIO;
  sqlite3_bind_text(st, 1, input, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, value);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot record a counter");
}

int soc_store_counters_scan(soc_store *s, soc_counter_cb cb, void *arg) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, "SELECT input, name, value FROM counter ORDER BY input, name",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) goto sql_error;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    result = cb(arg, (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
    if (result) goto out;
  }
  if (rc != SQLITE_DONE) goto sql_error;
  result = 0;
  goto out;
sql_error:
  result = soc_store_fail_sql(s, rc, "cannot read counters");
out:
  sqlite3_finalize(st);
  return result;
}
