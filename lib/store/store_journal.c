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
  static const char what[] = "cannot write a journal block";
  uint8_t sum[SOC_SHA256_LEN];
  int result = block_sum(m, data, len, sum);
  if (result) return soc_store_fail(s, result, "cannot checksum a journal block");
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_BLOCK_INSERT,
      "INSERT INTO journal_block(source, stream, first_pos, last_pos, first_ts, last_ts, lines,"
      " raw_bytes, codec, hosts, data, recv_last, checksum)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      what, "siiiiiiiisbib", m->source, m->stream, (int64_t)m->first_pos, (int64_t)m->last_pos,
      m->first_ts, m->last_ts, (int64_t)m->lines, (int64_t)m->raw_bytes, (int64_t)m->codec,
      m->hosts ? m->hosts : "", data, len, m->recv_last, (const void *)sum, sizeof sum);
  result = st ? soc_store_step(s, st, what, NULL) : -EIO;
  if (!result && id) *id = sqlite3_last_insert_rowid(s->db);
  return result;
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

static int block_row(sqlite3_stmt *st, void *cb, void *arg) {
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
    int result = block_sum(&m, data, len, sum);
    if (result) return result;
    m.check = sqlite3_column_bytes(st, 13) == SOC_SHA256_LEN && memcmp(stored, sum, sizeof sum) == 0
                  ? SOC_BLOCK_OK
                  : SOC_BLOCK_DAMAGED;
  }
  return ((soc_block_cb)cb)(arg, &m, data, len);
}

int soc_store_block_scan(soc_store *s, const soc_block_query *q, soc_block_cb cb, void *arg) {
  static const char what[] = "cannot read the journal";
  /* Host names are matched against the '\n'-joined list with delimiters on
   * both sides, so "web1" does not match "web10". */
  static const char sql[] =
      "SELECT id, source, stream, first_pos, last_pos, first_ts, last_ts, lines, raw_bytes,"
      " codec, hosts, data, recv_last, checksum FROM journal_block"
      " WHERE id > ?1 AND (?2 = 0 OR id <= ?2) AND (?3 IS NULL OR source = ?3)"
      " AND (?4 = 0 OR last_ts >= ?4) AND (?5 = 0 OR first_ts <= ?5)"
      " AND (?6 IS NULL OR instr(char(10) || hosts || char(10), char(10) || ?6 || char(10)) > 0)"
      " ORDER BY id LIMIT ?7";
  sqlite3_stmt *st = NULL;
  int result;
  /* Kept prepared: the detector scans every block, and preparing this cost
   * some 240,000 instructions a block. A scan begun inside another's
   * callback, while the kept one runs, prepares its own. */
  if (!s->stmts[SOC_STMT_BLOCK_SCAN] || !sqlite3_stmt_busy(s->stmts[SOC_STMT_BLOCK_SCAN])) {
    st = soc_store_cached(s, SOC_STMT_BLOCK_SCAN, sql, what, "iisiisi", q->after_id, q->upto_id,
                          q->source, q->since_ns, q->until_ns, q->host,
                          q->limit ? (int64_t)q->limit : (int64_t)-1);
    return soc_store_rows_kept(s, st, what, 0, block_row, (void *)cb, arg);
  }
  result =
      soc_store_prep(s, &st, what, sql, "iisiisi", q->after_id, q->upto_id, q->source, q->since_ns,
                     q->until_ns, q->host, q->limit ? (int64_t)q->limit : (int64_t)-1);
  return result ? result : soc_store_rows(s, st, what, 0, block_row, (void *)cb, arg);
}

int soc_store_block_last(soc_store *s, int64_t *id) {
  static const char what[] = "cannot read the newest block";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what, "SELECT coalesce(max(id), 0) FROM journal_block", "");
  return result ? result : soc_store_rows(s, st, what, -EIO, soc_store_int_row, NULL, id);
}

int soc_store_block_next(soc_store *s, int64_t after_id, int64_t *id) {
  static const char what[] = "cannot read the journal";
  /* once per block read: kept prepared (no callback runs inside it) */
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_BLOCK_NEXT, "SELECT coalesce(min(id), 0) FROM journal_block WHERE id > ?1", what,
      "i", after_id);
  return soc_store_rows_kept(s, st, what, -EIO, soc_store_int_row, NULL, id);
}

int soc_store_block_damage_once(soc_store *s, const soc_block_meta *m, const char *why,
                                int *fresh) {
  static const char what[] = "cannot record a damaged block";
  sqlite3_stmt *st = NULL;
  *fresh = 0;
  int result = soc_store_prep(s, &st, what,
                              "INSERT OR IGNORE INTO journal_damage(block, source, stream,"
                              " first_pos, last_pos, lines, why, found_ns)"
                              " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              "isiiiisi", m->id, m->source ? m->source : "", m->stream,
                              (int64_t)m->first_pos, (int64_t)m->last_pos, (int64_t)m->lines, why,
                              soc_now_real_ns());
  return result ? result : soc_store_done(s, st, what, fresh);
}

static int damage_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_block_meta m = {
      .lines = (uint32_t)sqlite3_column_int64(st, 5),
      .hosts = "",
      .check = SOC_BLOCK_DAMAGED,
  };
  read_head(st, &m);
  return ((soc_damage_cb)cb)(arg, &m, soc_store_text(st, 6));
}

int soc_store_block_damage_scan(soc_store *s, soc_damage_cb cb, void *arg) {
  static const char what[] = "cannot read damaged blocks";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT block, source, stream, first_pos, last_pos, lines, why"
                              " FROM journal_damage ORDER BY block",
                              "");
  return result ? result : soc_store_rows(s, st, what, 0, damage_row, (void *)cb, arg);
}

static int totals_row(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  *(soc_block_totals *)arg = (soc_block_totals){
      .blocks = sqlite3_column_int64(st, 0),
      .lines = sqlite3_column_int64(st, 1),
      .raw_bytes = sqlite3_column_int64(st, 2),
      .stored_bytes = sqlite3_column_int64(st, 3),
      .first_id = sqlite3_column_int64(st, 4),
      .last_id = sqlite3_column_int64(st, 5),
  };
  return 0;
}

/* where uses ?1 = a and ?2 = b, or fewer. */
static int totals_where(soc_store *s, const char *where, int64_t a, int64_t b,
                        soc_block_totals *out) {
  static const char what[] = "cannot measure the journal";
  sqlite3_stmt *st = NULL;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*), coalesce(sum(lines),0), coalesce(sum(raw_bytes),0),"
           " coalesce(sum(length(data)),0), coalesce(min(id),0), coalesce(max(id),0)"
           " FROM journal_block %s",
           where);
  int result = soc_store_prep(s, &st, what, sql,
                              strstr(where, "?2")  ? "ii"
                              : strchr(where, '?') ? "i"
                                                   : "",
                              a, b);
  return result ? result : soc_store_rows(s, st, what, -EIO, totals_row, NULL, out);
}

int soc_store_block_totals(soc_store *s, soc_block_totals *out) {
  return totals_where(s, "", 0, 0, out);
}

int soc_store_block_totals_after(soc_store *s, int64_t after_id, soc_block_totals *out) {
  return totals_where(s, "WHERE id > ?1", after_id, 0, out);
}

int soc_store_block_delete(soc_store *s, int64_t upto_id, int64_t free_bytes, int64_t before_ns,
                           soc_block_totals *gone) {
  static const char what[] = "cannot trim the journal";
  int result = -EIO;
  int64_t cut = upto_id; /* not enough to free: everything allowed goes */
  soc_block_totals t = {0};
  sqlite3_stmt *st = NULL;
#define NOT_NEWEST " AND id < (SELECT max(id) FROM journal_block)"
  if (free_bytes >= 0) {
    /* The last id to delete: the running sum of sizes, oldest first, up to
     * the first block at which it reaches free_bytes. */
    result = soc_store_prep(s, &st, what,
                            "SELECT id FROM (SELECT id, sum(length(data)) OVER (ORDER BY id) AS run"
                            " FROM journal_block WHERE id <= ?1" NOT_NEWEST
                            ") WHERE run >= ?2 ORDER BY id LIMIT 1",
                            "ii", upto_id, free_bytes);
    if (!result) result = soc_store_rows(s, st, what, 0, soc_store_int_row, NULL, &cut);
    if (!result) result = totals_where(s, "WHERE id <= ?1" NOT_NEWEST, cut, 0, &t);
    if (!result)
      result = soc_store_prep(s, &st, what, "DELETE FROM journal_block WHERE id <= ?1" NOT_NEWEST,
                              "i", cut);
  } else {
    result =
        totals_where(s, "WHERE id <= ?1 AND recv_last < ?2" NOT_NEWEST, upto_id, before_ns, &t);
    if (!result)
      result = soc_store_prep(
          s, &st, what, "DELETE FROM journal_block WHERE id <= ?1 AND recv_last < ?2" NOT_NEWEST,
          "ii", upto_id, before_ns);
  }
  if (!result) result = soc_store_done(s, st, what, NULL);
  if (!result && gone) *gone = t;
  return result;
}
