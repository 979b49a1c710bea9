/*
 * store_journal — the journal's table: one row per block of lines.
 *
 * The store does not look inside a block (journal.c encodes and compresses
 * it); it keeps the columns that queries select on: id (commit order, the
 * forwarder's cursor), source, times and the list of host names. A scan
 * streams rows to a callback so that an export of gigabytes needs memory
 * for one block at a time.
 *
 * Each row carries a SHA-256 of the block's data and of every column a
 * reader relies on (positions, times, source, hosts), checked whenever the
 * row is read: a bit flipped on disk inside a row passes SQLite's page
 * checks, and would otherwise turn into a changed log line, a wrong
 * position or an undecodable block that stops every reader behind it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "soc/tz.h"
#include "store_internal.h"

static int sum_put(soc_sha256_ctx *c, uint64_t v) {
  uint8_t le[8];
  for (int i = 0; i < 8; i++) le[i] = (uint8_t)(v >> (8 * i));
  return soc_sha256_update(c, le, sizeof le);
}

/* The checksum of a block: its columns in a fixed order (strings with their
 * NUL, numbers as 8 bytes little-endian), then its data. */
static int block_sum(const soc_block_meta *m, const void *data, size_t len,
                     uint8_t out[SOC_SHA256_LEN]) {
  int result = -ENOMEM;
  soc_sha256_ctx *c = soc_sha256_new();
  if (!c) goto out;
  const char *hosts = m->hosts ? m->hosts : "";
  result = -EIO;
  if (soc_sha256_update(c, m->source, strlen(m->source) + 1) || sum_put(c, (uint64_t)m->stream) ||
      sum_put(c, m->first_pos) || sum_put(c, m->last_pos) || sum_put(c, (uint64_t)m->first_ts) ||
      sum_put(c, (uint64_t)m->last_ts) || sum_put(c, (uint64_t)m->recv_last) ||
      sum_put(c, m->lines) || sum_put(c, m->raw_bytes) || sum_put(c, (uint64_t)m->codec) ||
      soc_sha256_update(c, hosts, strlen(hosts) + 1) || soc_sha256_update(c, data, len) ||
      soc_sha256_final(c, out))
    goto out;
  result = 0;
out:
  soc_sha256_free(c);
  return result;
}

int soc_store_block_insert(soc_store *s, const soc_block_meta *m, const void *data, size_t len,
                           int64_t *id) {
  uint8_t sum[SOC_SHA256_LEN];
  int result = block_sum(m, data, len, sum);
  if (result) return soc_store_fail(s, result, "cannot checksum a journal block");
  sqlite3_stmt *st = soc_store_stmt(
      s, SOC_STMT_BLOCK_INSERT,
      "INSERT INTO journal_block(source, stream, first_pos, last_pos, first_ts, last_ts, lines,"
      " raw_bytes, codec, hosts, data, recv_last, checksum) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!st) return -EIO;
  sqlite3_bind_text(st, 1, m->source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, m->stream);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)m->first_pos);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)m->last_pos);
  sqlite3_bind_int64(st, 5, m->first_ts);
  sqlite3_bind_int64(st, 6, m->last_ts);
  sqlite3_bind_int64(st, 7, m->lines);
  sqlite3_bind_int64(st, 8, m->raw_bytes);
  sqlite3_bind_int(st, 9, m->codec);
  sqlite3_bind_text(st, 10, m->hosts ? m->hosts : "", -1, SQLITE_STATIC);
  sqlite3_bind_blob64(st, 11, data, len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 12, m->recv_last);
  sqlite3_bind_blob(st, 13, sum, sizeof sum, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return soc_store_fail_sql(s, rc, "cannot write a journal block");
  if (id) *id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

/* The columns both block rows and damage rows start with: id, source,
 * stream, first_pos, last_pos. */
static void read_head(sqlite3_stmt *st, soc_block_meta *m) {
  m->id = sqlite3_column_int64(st, 0);
  m->source = soc_store_text(st, 1);
  m->stream = sqlite3_column_int64(st, 2);
  m->first_pos = (uint64_t)sqlite3_column_int64(st, 3);
  m->last_pos = (uint64_t)sqlite3_column_int64(st, 4);
}

int soc_store_block_scan(soc_store *s, const soc_block_query *q, soc_block_cb cb, void *arg) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  /* Host names are matched against the '\n'-joined list with delimiters on
   * both sides, so "web1" does not match "web10". */
  static const char sql[] =
      "SELECT id, source, stream, first_pos, last_pos, first_ts, last_ts, lines, raw_bytes,"
      " codec, hosts, data, recv_last, checksum FROM journal_block"
      " WHERE id > ?1 AND (?2 = 0 OR id <= ?2) AND (?3 IS NULL OR source = ?3)"
      " AND (?4 = 0 OR last_ts >= ?4) AND (?5 = 0 OR first_ts <= ?5)"
      " AND (?6 IS NULL OR instr(char(10) || hosts || char(10), char(10) || ?6 || char(10)) > 0)"
      " ORDER BY id LIMIT ?7";
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    result = soc_store_fail_sql(s, rc, "cannot read the journal");
    goto out;
  }
  sqlite3_bind_int64(st, 1, q->after_id);
  sqlite3_bind_int64(st, 2, q->upto_id);
  if (q->source) sqlite3_bind_text(st, 3, q->source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, q->since_ns);
  sqlite3_bind_int64(st, 5, q->until_ns);
  if (q->host) sqlite3_bind_text(st, 6, q->host, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, q->limit ? (sqlite3_int64)q->limit : -1);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    soc_block_meta m = {
        .first_ts = sqlite3_column_int64(st, 5),
        .last_ts = sqlite3_column_int64(st, 6),
        .lines = (uint32_t)sqlite3_column_int64(st, 7),
        .raw_bytes = (uint32_t)sqlite3_column_int64(st, 8),
        .codec = sqlite3_column_int(st, 9),
        .hosts = soc_store_text(st, 10),
        .recv_last = sqlite3_column_int64(st, 12),
    };
    read_head(st, &m);
    const void *data = sqlite3_column_blob(st, 11);
    size_t len = (size_t)sqlite3_column_bytes(st, 11);
    const void *stored = sqlite3_column_blob(st, 13);
    uint8_t sum[SOC_SHA256_LEN];
    if (!stored) {
      m.check = SOC_BLOCK_UNCHECKED;
    } else {
      result = block_sum(&m, data, len, sum);
      if (result) goto out;
      m.check =
          sqlite3_column_bytes(st, 13) == SOC_SHA256_LEN && memcmp(stored, sum, sizeof sum) == 0
              ? SOC_BLOCK_OK
              : SOC_BLOCK_DAMAGED;
    }
    result = cb(arg, &m, data, len);
    if (result) goto out;
  }
  result = rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read the journal");
out:
  sqlite3_finalize(st);
  return result;
}

int soc_store_block_last(soc_store *s, int64_t *id) {
  sqlite3_stmt *st = NULL;
  int rc =
      sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM journal_block", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : soc_store_fail_sql(s, rc, "cannot read the newest block");
}

int soc_store_block_damage_once(soc_store *s, const soc_block_meta *m, const char *why,
                                int *fresh) {
  sqlite3_stmt *st = NULL;
  *fresh = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              "INSERT OR IGNORE INTO journal_damage(block, source, stream,"
                              " first_pos, last_pos, lines, why, found_ns)"
                              " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, m->id);
    sqlite3_bind_text(st, 2, m->source ? m->source : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->stream);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)m->first_pos);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)m->last_pos);
    sqlite3_bind_int64(st, 6, m->lines);
    sqlite3_bind_text(st, 7, why, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, soc_now_real_ns());
    rc = sqlite3_step(st);
  }
  if (rc == SQLITE_DONE) *fresh = sqlite3_changes(s->db) > 0;
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot record a damaged block");
}

int soc_store_block_damage_scan(soc_store *s, soc_damage_cb cb, void *arg) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT block, source, stream, first_pos, last_pos, lines, why"
                              " FROM journal_damage ORDER BY block",
                              -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    soc_block_meta m = {
        .lines = (uint32_t)sqlite3_column_int64(st, 5),
        .hosts = "",
        .check = SOC_BLOCK_DAMAGED,
    };
    read_head(st, &m);
    result = cb(arg, &m, soc_store_text(st, 6));
    if (result) goto out;
    rc = SQLITE_OK;
  }
  result = rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read damaged blocks");
out:
  sqlite3_finalize(st);
  return result;
}

static int totals_where(soc_store *s, const char *where, int64_t a, int64_t b,
                        soc_block_totals *out) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*), coalesce(sum(lines),0), coalesce(sum(raw_bytes),0),"
           " coalesce(sum(length(data)),0), coalesce(min(id),0), coalesce(max(id),0)"
           " FROM journal_block %s",
           where);
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    if (strchr(where, '?')) sqlite3_bind_int64(st, 1, a);
    if (strstr(where, "?2")) sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_ROW) {
    result = soc_store_fail_sql(s, rc, "cannot measure the journal");
    goto out;
  }
  *out = (soc_block_totals){
      .blocks = sqlite3_column_int64(st, 0),
      .lines = sqlite3_column_int64(st, 1),
      .raw_bytes = sqlite3_column_int64(st, 2),
      .stored_bytes = sqlite3_column_int64(st, 3),
      .first_id = sqlite3_column_int64(st, 4),
      .last_id = sqlite3_column_int64(st, 5),
  };
  result = 0;
out:
  sqlite3_finalize(st);
  return result;
}

int soc_store_block_totals(soc_store *s, soc_block_totals *out) {
  return totals_where(s, "", 0, 0, out);
}

int soc_store_block_totals_after(soc_store *s, int64_t after_id, soc_block_totals *out) {
  return totals_where(s, "WHERE id > ?1", after_id, 0, out);
}

int soc_store_block_delete(soc_store *s, int64_t upto_id, int64_t free_bytes, int64_t before_ns,
                           soc_block_totals *gone) {
  int result = -EIO;
  int64_t cut = 0;
  soc_block_totals t = {0};
  sqlite3_stmt *st = NULL;
  int rc;
  if (free_bytes >= 0) {
    /* The last id to delete: the running sum of sizes, oldest first, up to
     * the first block at which it reaches free_bytes. */
    rc = sqlite3_prepare_v2(
        s->db,
        "SELECT id FROM (SELECT id, sum(length(data)) OVER (ORDER BY id) AS run"
        " FROM journal_block WHERE id <= ?1 AND id < (SELECT max(id) FROM journal_block))"
        " WHERE run >= ?2 ORDER BY id LIMIT 1",
        -1, &st, NULL);
    if (rc != SQLITE_OK) goto sql_error;
    sqlite3_bind_int64(st, 1, upto_id);
    sqlite3_bind_int64(st, 2, free_bytes);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
      cut = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
      cut = upto_id; /* not enough: everything allowed goes */
    else
      goto sql_error;
    sqlite3_finalize(st);
    st = NULL;
#define NOT_NEWEST " AND id < (SELECT max(id) FROM journal_block)"
    result = totals_where(s, "WHERE id <= ?1" NOT_NEWEST, cut, 0, &t);
    if (result) goto out;
    rc = sqlite3_prepare_v2(s->db, "DELETE FROM journal_block WHERE id <= ?1" NOT_NEWEST, -1, &st,
                            NULL);
    if (rc != SQLITE_OK) goto sql_error;
    sqlite3_bind_int64(st, 1, cut);
  } else {
    result =
        totals_where(s, "WHERE id <= ?1 AND recv_last < ?2" NOT_NEWEST, upto_id, before_ns, &t);
    if (result) goto out;
    rc = sqlite3_prepare_v2(
        s->db, "DELETE FROM journal_block WHERE id <= ?1 AND recv_last < ?2" NOT_NEWEST, -1, &st,
        NULL);
    if (rc != SQLITE_OK) goto sql_error;
    sqlite3_bind_int64(st, 1, upto_id);
    sqlite3_bind_int64(st, 2, before_ns);
  }
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) goto sql_error;
  if (gone) *gone = t;
  result = 0;
  goto out;
sql_error:
  result = soc_store_fail_sql(s, rc, "cannot trim the journal");
out:
  sqlite3_finalize(st);
  return result;
}
