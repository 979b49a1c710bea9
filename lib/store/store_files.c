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
  snprintf(r->input, sizeof r->input, "%s", soc_store_text(st, 1));
  snprintf(r->path, sizeof r->path, "%s", soc_store_text(st, 2));
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

#define STREAM_COLUMNS \
  "SELECT id, input, path, dev, ino, fp_len, fp, offset, state, flags FROM file_stream"

/* The rows read so far, grown by doubling. */
typedef struct {
  soc_stream_row *v;
  size_t n, cap;
} stream_rows;

static int stream_row(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  stream_rows *rows = arg;
  if (rows->n == rows->cap) {
    size_t cap = rows->cap ? rows->cap * 2 : 16;
    soc_stream_row *nv = realloc(rows->v, cap * sizeof *nv);
    if (!nv) return -ENOMEM;
    rows->v = nv;
    rows->cap = cap;
  }
  row_from(st, &rows->v[rows->n++]);
  return 0;
}

/* Runs st (prepared by the caller) and hands over its rows. */
static int load_rows(soc_store *s, sqlite3_stmt *st, const char *what, soc_stream_row **rows,
                     size_t *n) {
  stream_rows got = {0};
  int result = soc_store_rows(s, st, what, 0, stream_row, NULL, &got);
  if (result) {
    free(got.v);
    return result;
  }
  *rows = got.v;
  *n = got.n;
  return 0;
}

int soc_store_streams_load(soc_store *s, const char *input, soc_stream_row **rows, size_t *n) {
  static const char what[] = "cannot read file positions";
  sqlite3_stmt *st = NULL;
  *rows = NULL;
  *n = 0;
  int result = soc_store_prep(
      s, &st, what, STREAM_COLUMNS " WHERE input = ?1 AND state != 2 ORDER BY id", "s", input);
  return result ? result : load_rows(s, st, what, rows, n);
}

int soc_store_streams_ended(soc_store *s, const char *input, uint32_t min_fp_len, size_t max,
                            soc_stream_row **rows, size_t *n) {
  static const char what[] = "cannot read ended file streams";
  sqlite3_stmt *st = NULL;
  *rows = NULL;
  *n = 0;
  int result = soc_store_prep(s, &st, what,
                              STREAM_COLUMNS
                              " WHERE input = ?1 AND state = 2 AND fp_len >= ?2"
                              " ORDER BY id DESC LIMIT ?3",
                              "sii", input, (int64_t)min_fp_len, (int64_t)max);
  return result ? result : load_rows(s, st, what, rows, n);
}

static int stream_one(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  row_from(st, arg);
  return 0;
}

int soc_store_stream_get(soc_store *s, int64_t id, soc_stream_row *row) {
  static const char what[] = "cannot read a file position";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what, STREAM_COLUMNS " WHERE id = ?1", "i", id);
  return result ? result : soc_store_rows(s, st, what, -ENOENT, stream_one, NULL, row);
}

/* The columns both insert and update write, ?1..?9, and their binding. */
#define STREAM_FMT "ssiiibiii"
#define STREAM_ARGS(r)                                                                            \
  (r)->input, (r)->path, (int64_t)(r)->dev, (int64_t)(r)->ino, (int64_t)(r)->fp_len,              \
      (const void *)(r)->fp, (size_t)((r)->fp_len ? SOC_STREAM_FP_MAX : 0), (int64_t)(r)->offset, \
      (int64_t)(r)->state, (int64_t)(r)->flags

int soc_store_stream_insert(soc_store *s, soc_stream_row *row) {
  static const char what[] = "cannot record a new file";
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_STREAM_INSERT,
      "INSERT INTO file_stream(id, input, path, dev, ino, fp_len, fp, offset, state, flags)"
      " VALUES(NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      what, STREAM_FMT, STREAM_ARGS(row));
  int result = st ? soc_store_step(s, st, what, NULL) : -EIO;
  if (!result) row->id = sqlite3_last_insert_rowid(s->db);
  return result;
}

int soc_store_stream_update(soc_store *s, const soc_stream_row *row) {
  static const char what[] = "cannot record a file position";
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_STREAM_UPDATE,
      "UPDATE file_stream SET input = ?1, path = ?2, dev = ?3, ino = ?4, fp_len = ?5, fp = ?6,"
      " offset = ?7, state = ?8, flags = ?9 WHERE id = ?10",
      what, STREAM_FMT "i", STREAM_ARGS(row), row->id);
  return st ? soc_store_step(s, st, what, NULL) : -EIO;
}

int soc_store_seq_get(soc_store *s, const char *input, uint64_t *seq) {
  static const char what[] = "cannot read a sequence number";
  sqlite3_stmt *st = NULL;
  int64_t v = 0;
  *seq = 0;
  int result =
      soc_store_prep(s, &st, what, "SELECT seq FROM source_seq WHERE input = ?1", "s", input);
  if (!result) result = soc_store_rows(s, st, what, 0, soc_store_int_row, NULL, &v);
  if (!result) *seq = (uint64_t)v;
  return result;
}

int soc_store_seq_set(soc_store *s, const char *input, uint64_t seq) {
  static const char what[] = "cannot record a sequence number";
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_SEQ_SET, "INSERT OR REPLACE INTO source_seq(input, seq) VALUES(?1, ?2)", what,
      "si", input, (int64_t)seq);
  return st ? soc_store_step(s, st, what, NULL) : -EIO;
}

int soc_store_counter_set(soc_store *s, const char *input, const char *name, int64_t value) {
  static const char what[] = "cannot record a counter";
  sqlite3_stmt *st =
      soc_store_cached(s, SOC_STMT_COUNTER_SET,
                       "INSERT OR REPLACE INTO counter(input, name, value) VALUES(?1, ?2, ?3)",
                       what, "ssi", input, name, value);
  return st ? soc_store_step(s, st, what, NULL) : -EIO;
}

int soc_store_counter_put(soc_store *s, const char *input, const char *name, int64_t value,
                          int64_t saved, int64_t *writing) {
  *writing = saved;
  if (value == saved) return 0;
  int rc = soc_store_counter_set(s, input, name, value);
  if (rc == 0) *writing = value;
  return rc;
}

static int counter_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_counter_cb)cb)(arg, soc_store_text(st, 0), soc_store_text(st, 1),
                              sqlite3_column_int64(st, 2));
}

int soc_store_counters_scan(soc_store *s, soc_counter_cb cb, void *arg) {
  static const char what[] = "cannot read counters";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT input, name, value FROM counter ORDER BY input, name", "");
  return result ? result : soc_store_rows(s, st, what, 0, counter_row, (void *)cb, arg);
}
