/*
 * store_detect — the detector's tables: correlation state, drafts, their
 * evidence, and the outbox of messages for Kafka.
 *
 * A draft keeps the columns that queries select on (rule, key, asset,
 * status, level, times, count) and the rest as a JSON body, because the
 * draft's shape grows with the reporting workflow (issue 6) and a body
 * column needs no migration for that.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* The writes below run once per hit or firing: they stay prepared for the
 * connection's life (soc_store_cached) and are reset, not finalized, after
 * use, so no read stays open. Only statements stepped once are kept (a
 * scan's callback could use the same statement again). */

/* Steps and resets such a write (st NULL: preparing or binding it failed,
 * already recorded); a new row's id goes to *id when id is given and *id
 * is 0. */
static int put_done(soc_store *s, sqlite3_stmt *st, int64_t *id, const char *what) {
  if (!st) return -EIO;
  int result = soc_store_step(s, st, what, NULL);
  if (!result && id && !*id) *id = sqlite3_last_insert_rowid(s->db);
  return result;
}

/* Correlation state (migration 15 says why). A transaction's puts are
 * records of one detect_state_pack row, written at its commit:
 *   rule length (1 byte), key length (2), state length (2; 0: the key went
 *   away), the rule and a NUL, the key and a NUL, the state
 * (lengths big-endian; the NULs let the scan hand out the strings in
 * place). Outside a transaction a put is a row of its own at once. */
#define REC_HEAD 5
#define REC_RULE_MAX 255
#define REC_LEN_MAX 65535
/* a transaction's records past this many bytes go on in another row, so
 * that a rewrite of every live key is not one huge blob */
#define PACK_ROW_MAX ((size_t)1 << 20)
/* A row's body (migration 16): the records, or a zstd frame of them at
 * zstd's fastest level, which the row's records shrink to a fraction of
 * (they repeat the rule, most of a key and a state's header), when that is
 * smaller. A frame decodes to at most a full row and one record more. */
#define PACK_PLAIN 0
#define PACK_ZSTD 1
#define PACK_LEVEL 1
#define PACK_DECODED_MAX \
  (PACK_ROW_MAX + REC_HEAD + REC_RULE_MAX + 1 + REC_LEN_MAX + 1 + REC_LEN_MAX)

/* Appends the record; -EINVAL when a length does not fit its field (no
 * rule id, key or state the detector writes is that long). */
static int rec_add(soc_bytes *r, const char *rule, const char *key, const void *blob, size_t len) {
  size_t rl = strlen(rule), kl = strlen(key), need = REC_HEAD + rl + 1 + kl + 1 + len;
  if (rl > REC_RULE_MAX || kl > REC_LEN_MAX || len > REC_LEN_MAX) return -EINVAL;
  if (soc_bytes_reserve(r, need)) return -ENOMEM;
  uint8_t *p = r->p + r->len;
  p[0] = (unsigned char)rl;
  p[1] = (unsigned char)(kl >> 8);
  p[2] = (unsigned char)kl;
  p[3] = (unsigned char)(len >> 8);
  p[4] = (unsigned char)len;
  memcpy(p + REC_HEAD, rule, rl + 1);
  memcpy(p + REC_HEAD + rl + 1, key, kl + 1);
  if (len) memcpy(p + REC_HEAD + rl + 1 + kl + 1, blob, len);
  r->len += need;
  return 0;
}

/* The size of the record at p, of the avail bytes there; 0 when it does
 * not fit or its strings are not NUL-ended text. */
static size_t rec_size(const unsigned char *p, size_t avail) {
  if (avail < REC_HEAD) return 0;
  size_t rl = p[0], kl = (size_t)p[1] << 8 | p[2], len = (size_t)p[3] << 8 | p[4];
  size_t size = REC_HEAD + rl + 1 + kl + 1 + len;
  const unsigned char *rule = p + REC_HEAD, *key = rule + rl + 1;
  if (size > avail || rule[rl] || key[kl] || memchr(rule, 0, rl) || memchr(key, 0, kl)) return 0;
  return size;
}

/* The pending records as a zstd frame in s->state_z: 1 and the frame in
 * *body, *len; 0 when it would not be smaller, or there is no memory for
 * it (the records are then written as they are: as good, only longer). */
static int pack_compress(soc_store *s, const void **body, size_t *len) {
  size_t bound = ZSTD_compressBound(*len), n;
  if (!s->state_zc && !(s->state_zc = ZSTD_createCCtx())) return 0;
  if (soc_bytes_reserve(&s->state_z, bound)) return 0;
  n = ZSTD_compressCCtx(s->state_zc, s->state_z.p, bound, *body, *len, PACK_LEVEL);
  if (ZSTD_isError(n) || n >= *len) return 0;
  *body = s->state_z.p;
  *len = n;
  return 1;
}

int soc_store_state_flush(soc_store *s) {
  static const char what[] = "cannot save correlation state";
  const void *body = s->state.p;
  size_t len = s->state.len;
  if (!s->state_n) return 0;
  int64_t codec = pack_compress(s, &body, &len) ? PACK_ZSTD : PACK_PLAIN;
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_STATE_PUT, "INSERT INTO detect_state_pack(n, body, codec) VALUES(?1, ?2, ?3)",
      what, "ibi", s->state_n, body, len, codec);
  int result = put_done(s, st, NULL, what);
  if (!result) soc_store_state_drop(s);
  return result;
}

void soc_store_state_drop(soc_store *s) {
  s->state.len = 0;
  s->state_n = 0;
}

void soc_store_state_free(soc_store *s) {
  free(s->state.p);
  free(s->state_z.p);
  ZSTD_freeCCtx(s->state_zc);
}

int soc_store_detect_state_put(soc_store *s, const char *rule, const char *key, const void *blob,
                               size_t len) {
  int result = -EINVAL;
  if (!s || !rule || !key || (!blob && len)) goto out;
  result = rec_add(&s->state, rule, key, blob, len);
  if (result) {
    result = soc_store_fail(s, result, "cannot save correlation state of %s", rule);
    goto out;
  }
  s->state_n++;
  if (sqlite3_get_autocommit(s->db) || s->state.len >= PACK_ROW_MAX) {
    result = soc_store_state_flush(s);
    if (sqlite3_get_autocommit(s->db)) soc_store_state_drop(s); /* failed: not saved */
  }
out:
  return result;
}

int soc_store_detect_state_clear(soc_store *s) {
  soc_store_state_drop(s);
  return soc_store_exec(s,
                        "DELETE FROM detect_state; DELETE FROM detect_state_log;"
                        " DELETE FROM detect_state_pack;",
                        "cannot clear correlation state");
}

int soc_store_detect_state_rows(soc_store *s, int64_t *rows) {
  static const char what[] = "cannot read correlation state";
  *rows = 0;
  /* the logs are only ever emptied whole: the old one's row count from its
   * first and last rowid (each alone, so that SQLite looks them up, not
   * scans); a pack says how many records it holds */
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_STATE_ROWS,
                                      "SELECT coalesce((SELECT max(seq) FROM detect_state_log) -"
                                      " (SELECT min(seq) FROM detect_state_log) + 1, 0) +"
                                      " (SELECT coalesce(sum(n), 0) FROM detect_state_pack)",
                                      what, "");
  int result = soc_store_rows_kept(s, st, what, 0, soc_store_int_row, NULL, rows);
  *rows += s->state_n;
  return result;
}

/* The scan's reading of the three forms into one buffer of records, older
 * to newer. */
static int old_row(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  size_t len = (size_t)sqlite3_column_bytes(st, 2);
  int rc = rec_add(arg, soc_store_text(st, 0), soc_store_text(st, 1),
                   len ? sqlite3_column_blob(st, 2) : NULL, len);
  /* a row no record can hold is none the correlator would take back (its
   * key or state longer than it writes, its rule no rule's id) */
  return rc == -EINVAL ? 0 : rc;
}

/* A row's records appended to r (a frame decoded), each checked. */
static int pack_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_store *s = cb;
  soc_bytes *r = arg;
  const unsigned char *body = sqlite3_column_blob(st, 1);
  uint8_t *p;
  size_t len = (size_t)sqlite3_column_bytes(st, 1), at = 0, size;
  int64_t codec = sqlite3_column_int64(st, 2);
  unsigned long long plain = len;
  int result = -EBADMSG;
  if (codec == PACK_ZSTD) /* unknown and error are above the maximum */
    plain = len ? ZSTD_getFrameContentSize(body, len) : ZSTD_CONTENTSIZE_ERROR;
  if ((codec != PACK_PLAIN && codec != PACK_ZSTD) ||
      (codec == PACK_ZSTD && plain > PACK_DECODED_MAX))
    goto out;
  result = -ENOMEM;
  if (soc_bytes_reserve(r, (size_t)plain)) goto out;
  result = -EBADMSG;
  p = r->p + r->len;
  if (codec == PACK_ZSTD) {
    size_t n = ZSTD_decompress(p, (size_t)plain, body, len);
    if (ZSTD_isError(n) || n != plain) goto out;
  } else if (len) {
    memcpy(p, body, len);
  }
  for (; at < plain; at += size)
    if (!(size = rec_size(p + at, (size_t)plain - at))) goto out;
  r->len += (size_t)plain;
  result = 0;
out:
  if (result == -EBADMSG)
    soc_store_fail(s, result, "correlation state: row %lld of detect_state_pack is damaged",
                   (long long)sqlite3_column_int64(st, 0));
  return result;
}

/* Records by rule, then key (the order ORDER BY rule, key gave the
 * correlator), then age: a record later in the buffer is newer. */
static int rec_key_cmp(const unsigned char *x, const unsigned char *y) {
  int c = strcmp((const char *)x + REC_HEAD, (const char *)y + REC_HEAD);
  return c ? c
           : strcmp((const char *)x + REC_HEAD + x[0] + 1, (const char *)y + REC_HEAD + y[0] + 1);
}

static int rec_order(const void *a, const void *b) {
  const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
  int c = rec_key_cmp(x, y);
  return c ? c : (x > y) - (x < y);
}

int soc_store_detect_state_scan(soc_store *s, soc_state_cb cb, void *arg) {
  static const char what[] = "cannot read correlation state";
  static const char *const forms[] = {
      "SELECT rule, key, state FROM detect_state",
      "SELECT rule, key, state FROM detect_state_log ORDER BY seq",
      "SELECT seq, body, codec FROM detect_state_pack ORDER BY seq",
  };
  soc_bytes r = {0};
  const unsigned char **recs = NULL;
  size_t n = 0;
  int result = -EINVAL;
  if (!s || !cb) goto out;
  if ((result = soc_store_state_flush(s)) != 0) goto out; /* this transaction's puts too */
  for (size_t i = 0; i < sizeof forms / sizeof forms[0] && !result; i++) {
    sqlite3_stmt *st = NULL;
    result = soc_store_prep(s, &st, what, forms[i], "");
    if (!result) result = soc_store_rows(s, st, what, 0, i < 2 ? old_row : pack_row, s, &r);
  }
  if (result) goto out;
  for (size_t at = 0; at < r.len; at += rec_size(r.p + at, r.len - at)) n++;
  result = -ENOMEM;
  if (n && !(recs = malloc(n * sizeof *recs))) goto out;
  n = 0;
  for (size_t at = 0; at < r.len; at += rec_size(r.p + at, r.len - at)) recs[n++] = r.p + at;
  if (n > 1) qsort(recs, n, sizeof *recs, rec_order); /* recs is NULL when n is 0 */
  result = 0;
  for (size_t i = 0; i < n && !result; i++) {
    const unsigned char *p = recs[i];
    size_t rl = p[0], kl = (size_t)p[1] << 8 | p[2], len = (size_t)p[3] << 8 | p[4];
    if (!len || (i + 1 < n && !rec_key_cmp(p, recs[i + 1]))) continue; /* gone, or not the newest */
    result = cb(arg, (const char *)p + REC_HEAD, (const char *)p + REC_HEAD + rl + 1,
                p + REC_HEAD + rl + 1 + kl + 1, len);
  }
out:
  free(recs);
  free(r.p);
  return result;
}

/* Drafts and alerts are read the same way: their columns, in SELECT order,
 * described once (where each goes in the row and as what), so one reader
 * serves both. */
typedef enum { COL_I64, COL_INT, COL_TEXT, COL_BODY } col_type;
typedef struct {
  col_type type;
  size_t off, cap; /* cap: a text field's size */
} col;
typedef struct {
  const col *cols;
  size_t n, size;
} row_kind;

#define I64(T, f) \
  { COL_I64, offsetof(T, f), 0 }
#define INT(T, f) \
  { COL_INT, offsetof(T, f), 0 }
#define TEXT(T, f) \
  { COL_TEXT, offsetof(T, f), sizeof((T *)0)->f }
#define BODY(T, f) \
  { COL_BODY, offsetof(T, f), 0 }

/* Reads the row as kind says into out (zeroed first); a body is an owned
 * copy. Returns 0 or -ENOMEM. */
static int row_read(sqlite3_stmt *st, const row_kind *kind, void *out) {
  memset(out, 0, kind->size);
  for (size_t i = 0; i < kind->n; i++) {
    char *field = (char *)out + kind->cols[i].off;
    int c = (int)i;
    if (kind->cols[i].type == COL_I64) {
      *(int64_t *)(void *)field = sqlite3_column_int64(st, c);
    } else if (kind->cols[i].type == COL_INT) {
      *(int *)(void *)field = sqlite3_column_int(st, c);
    } else if (kind->cols[i].type == COL_TEXT) {
      snprintf(field, kind->cols[i].cap, "%s", soc_store_text(st, c));
    } else {
      const char *body = (const char *)sqlite3_column_text(st, c);
      if (!(*(char **)(void *)field = strdup(body ? body : "{}"))) return -ENOMEM;
    }
  }
  return 0;
}

/* Steps a one-row query (cached, NULL when it could not be bound) into out.
 * Returns 0, -ENOENT, -ENOMEM or the store's error about `what`. */
static int one_row(soc_store *s, sqlite3_stmt *st, const row_kind *kind, void *out,
                   const char *what) {
  int result = -EIO;
  memset(out, 0, kind->size);
  if (!st) return result;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    result = row_read(st, kind, out);
  else if (rc == SQLITE_DONE)
    result = -ENOENT;
  else
    result = soc_store_fail_sql(s, rc, what);
  sqlite3_reset(st);
  return result;
}

void soc_draft_row_clear(soc_draft_row *row) {
  free(row->body);
  memset(row, 0, sizeof *row);
}

#define DRAFT_COLUMNS \
  "id, rule, key, asset, status, level, first_ns, last_ns, discovered_ns, count, body"
static const col draft_cols[] = {
    I64(soc_draft_row, id),       TEXT(soc_draft_row, rule),   TEXT(soc_draft_row, key),
    TEXT(soc_draft_row, asset),   TEXT(soc_draft_row, status), INT(soc_draft_row, level),
    I64(soc_draft_row, first_ns), I64(soc_draft_row, last_ns), I64(soc_draft_row, discovered_ns),
    I64(soc_draft_row, count),    BODY(soc_draft_row, body),
};
static const row_kind draft_kind = {draft_cols, sizeof draft_cols / sizeof *draft_cols,
                                    sizeof(soc_draft_row)};

int soc_store_draft_get(soc_store *s, int64_t id, soc_draft_row *out) {
  static const char what[] = "cannot read a draft";
  return one_row(
      s,
      soc_store_cached(s, SOC_STMT_DRAFT_GET, "SELECT " DRAFT_COLUMNS " FROM draft WHERE id = ?1",
                       what, "i", id),
      &draft_kind, out, what);
}

/* The puts below are INSERT OR REPLACE of a row whose id 0 means a new one
 * (nullif: a NULL rowid is given the next one). */
int soc_store_draft_put(soc_store *s, soc_draft_row *r) {
  static const char what[] = "cannot write a draft";
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_DRAFT_PUT,
                                      "INSERT OR REPLACE INTO draft(" DRAFT_COLUMNS
                                      ") VALUES(nullif(?1, 0),?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                                      what, "issssiiiiis", r->id, r->rule, r->key, r->asset,
                                      r->status, (int64_t)r->level, r->first_ns, r->last_ns,
                                      r->discovered_ns, r->count, r->body ? r->body : "{}");
  return put_done(s, st, &r->id, what);
}

static int draft_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_draft_row r;
  int result = row_read(st, &draft_kind, &r);
  if (!result) result = ((soc_draft_cb)cb)(arg, &r);
  soc_draft_row_clear(&r);
  return result;
}

int soc_store_drafts_scan(soc_store *s, const char *status, soc_draft_cb cb, void *arg) {
  static const char what[] = "cannot read drafts";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT " DRAFT_COLUMNS
                              " FROM draft WHERE ?1 IS NULL OR status = ?1"
                              " ORDER BY discovered_ns DESC, id DESC",
                              "s", status);
  return result ? result : soc_store_rows(s, st, what, 0, draft_row, (void *)cb, arg);
}

/* Evidence lines of a draft or of an alert: the same columns in two tables. */
static const char *const evidence_sql[2][3] = {
    {"INSERT OR REPLACE INTO draft_evidence(draft, seq, block, source, stream, pos, ts, line)"
     " VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
     /* seq runs from 0 without a gap (evidence is only added, at the
      * count): the last one found by the key, not every row counted */
     "SELECT coalesce(max(seq) + 1, 0) FROM draft_evidence WHERE draft = ?1",
     "SELECT draft, seq, block, source, stream, pos, ts, line FROM draft_evidence"
     " WHERE draft = ?1 ORDER BY ts, seq"},
    {"INSERT OR REPLACE INTO alert_evidence(alert, seq, block, source, stream, pos, ts, line)"
     " VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
     "SELECT coalesce(max(seq) + 1, 0) FROM alert_evidence WHERE alert = ?1",
     "SELECT alert, seq, block, source, stream, pos, ts, line FROM alert_evidence"
     " WHERE alert = ?1 ORDER BY seq"},
};

static int evidence_add(soc_store *s, int alert, const soc_evidence_row *e) {
  static const char what[] = "cannot write evidence";
  sqlite3_stmt *st = soc_store_cached(
      s, alert ? SOC_STMT_ALERT_EVIDENCE_ADD : SOC_STMT_EVIDENCE_ADD, evidence_sql[alert][0], what,
      "iiisiiib", e->draft, (int64_t)e->seq, e->block, e->source ? e->source : "", e->stream,
      (int64_t)e->pos, e->ts, (const void *)e->line, (size_t)e->len);
  return put_done(s, st, NULL, what);
}

static int evidence_count(soc_store *s, int alert, int64_t owner) {
  int64_t n = 0;
  sqlite3_stmt *st =
      soc_store_cached(s, alert ? SOC_STMT_ALERT_EVIDENCE_COUNT : SOC_STMT_EVIDENCE_COUNT,
                       evidence_sql[alert][1], "cannot count evidence", "i", owner);
  if (st && sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  if (st) sqlite3_reset(st);
  return (int)n;
}

static int evidence_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_evidence_row e = {
      .draft = sqlite3_column_int64(st, 0),
      .seq = sqlite3_column_int(st, 1),
      .block = sqlite3_column_int64(st, 2),
      .source = soc_store_text(st, 3),
      .stream = sqlite3_column_int64(st, 4),
      .pos = (uint64_t)sqlite3_column_int64(st, 5),
      .ts = sqlite3_column_int64(st, 6),
      .line = sqlite3_column_blob(st, 7),
      .len = (size_t)sqlite3_column_bytes(st, 7),
  };
  return ((soc_evidence_cb)cb)(arg, &e);
}

static int evidence_scan(soc_store *s, int alert, int64_t owner, soc_evidence_cb cb, void *arg) {
  static const char what[] = "cannot read evidence";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what, evidence_sql[alert][2], "i", owner);
  return result ? result : soc_store_rows(s, st, what, 0, evidence_row, (void *)cb, arg);
}

int soc_store_evidence_add(soc_store *s, const soc_evidence_row *e) {
  return evidence_add(s, 0, e);
}

int soc_store_evidence_count(soc_store *s, int64_t draft) { return evidence_count(s, 0, draft); }

int soc_store_evidence_scan(soc_store *s, int64_t draft, soc_evidence_cb cb, void *arg) {
  return evidence_scan(s, 0, draft, cb, arg);
}

int soc_store_outbox_add(soc_store *s, const char *topic, const char *key, const void *payload,
                         size_t len, int64_t *id) {
  static const char what[] = "cannot write to the outbox";
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_OUTBOX_ADD,
                                      "INSERT INTO outbox(topic, key, payload, created_ns)"
                                      " VALUES(?1, ?2, ?3, CAST((julianday('now') - 2440587.5)"
                                      " * 86400000000000 AS INTEGER))",
                                      what, "ssb", topic, key, payload, len);
  if (id) *id = 0;
  return put_done(s, st, id, what);
}

int64_t soc_store_outbox_last(soc_store *s) {
  static const char what[] = "cannot read the outbox";
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  if (soc_store_prep(s, &st, what, "SELECT coalesce(max(id), 0) FROM outbox", "") < 0 ||
      soc_store_rows(s, st, what, 0, soc_store_int_row, NULL, &id) < 0)
    return 0;
  return id;
}

static int outbox_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_outbox_cb)cb)(arg, sqlite3_column_int64(st, 0), soc_store_text(st, 1),
                             soc_store_text(st, 2), sqlite3_column_blob(st, 3),
                             (size_t)sqlite3_column_bytes(st, 3));
}

int soc_store_outbox_scan(soc_store *s, int64_t after_id, size_t limit, soc_outbox_cb cb,
                          void *arg) {
  static const char what[] = "cannot read the outbox";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT id, topic, key, payload FROM outbox WHERE id > ?1"
                              " ORDER BY id LIMIT ?2",
                              "ii", after_id, limit ? (int64_t)limit : (int64_t)-1);
  return result ? result : soc_store_rows(s, st, what, 0, outbox_row, (void *)cb, arg);
}

/* ---- triage: alerts, their evidence and entities ------------------------------ */

void soc_alert_row_clear(soc_alert_row *row) {
  free(row->body);
  memset(row, 0, sizeof *row);
}

#define ALERT_COLUMNS \
  "id, rule, key, host, asset, impact, level, first_ns, last_ns, count, draft, body"
static const col alert_cols[] = {
    I64(soc_alert_row, id),    TEXT(soc_alert_row, rule),    TEXT(soc_alert_row, key),
    TEXT(soc_alert_row, host), TEXT(soc_alert_row, asset),   TEXT(soc_alert_row, impact),
    INT(soc_alert_row, level), I64(soc_alert_row, first_ns), I64(soc_alert_row, last_ns),
    I64(soc_alert_row, count), I64(soc_alert_row, draft),    BODY(soc_alert_row, body),
};
static const row_kind alert_kind = {alert_cols, sizeof alert_cols / sizeof *alert_cols,
                                    sizeof(soc_alert_row)};

int soc_store_alert_find(soc_store *s, const char *rule, const char *key, const char *host,
                         int64_t since_ns, soc_alert_row *out) {
  static const char what[] = "cannot read an alert";
  return one_row(s,
                 soc_store_cached(s, SOC_STMT_ALERT_FIND,
                                  /* by (rule, key, host), not by alert_recent: a rule's
                                   * alerts on a host are many, one key's few */
                                  "SELECT " ALERT_COLUMNS " FROM alert INDEXED BY alert_key"
                                  " WHERE rule = ?1 AND key = ?2"
                                  " AND host = ?3 AND last_ns >= ?4 ORDER BY id DESC LIMIT 1",
                                  what, "sssi", rule, key, host, since_ns),
                 &alert_kind, out, what);
}

int soc_store_alert_get(soc_store *s, int64_t id, soc_alert_row *out) {
  static const char what[] = "cannot read an alert";
  return one_row(
      s,
      soc_store_cached(s, SOC_STMT_ALERT_GET, "SELECT " ALERT_COLUMNS " FROM alert WHERE id = ?1",
                       what, "i", id),
      &alert_kind, out, what);
}

int soc_store_alert_put(soc_store *s, soc_alert_row *r) {
  static const char what[] = "cannot write an alert";
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_ALERT_PUT,
                                      "INSERT OR REPLACE INTO alert(" ALERT_COLUMNS
                                      ") VALUES(nullif(?1, 0),?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                                      what, "isssssiiiiis", r->id, r->rule, r->key, r->host,
                                      r->asset, r->impact, (int64_t)r->level, r->first_ns,
                                      r->last_ns, r->count, r->draft, r->body ? r->body : "{}");
  return put_done(s, st, &r->id, what);
}

int soc_store_alert_touch(soc_store *s, const soc_alert_row *r) {
  static const char what[] = "cannot write an alert";
  sqlite3_stmt *st =
      soc_store_cached(s, SOC_STMT_ALERT_TOUCH,
                       "UPDATE alert SET first_ns = ?2, last_ns = ?3, count = ?4 WHERE id = ?1",
                       what, "iiii", r->id, r->first_ns, r->last_ns, r->count);
  return put_done(s, st, NULL, what);
}

int soc_store_alert_last(soc_store *s, const char *rule, const char *host, int64_t *last_ns) {
  static const char what[] = "cannot read alerts";
  sqlite3_stmt *st = soc_store_cached(
      s, SOC_STMT_ALERT_LAST, "SELECT max(last_ns) FROM alert WHERE rule = ?1 AND host = ?2", what,
      "ss", rule, host);
  int result = -EIO, rc = st ? sqlite3_step(st) : SQLITE_ERROR;
  *last_ns = INT64_MIN;
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) *last_ns = sqlite3_column_int64(st, 0);
    result = 0;
  } else if (st) {
    result = soc_store_fail_sql(s, rc, what);
  }
  if (st) sqlite3_reset(st);
  return result;
}

static int alert_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_alert_row r;
  int result = row_read(st, &alert_kind, &r);
  if (!result) result = ((soc_alert_cb)cb)(arg, &r);
  soc_alert_row_clear(&r);
  return result;
}

int soc_store_alerts_scan(soc_store *s, int64_t draft, soc_alert_cb cb, void *arg) {
  static const char what[] = "cannot read alerts";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              draft < 0 ? "SELECT " ALERT_COLUMNS " FROM alert ORDER BY id DESC"
                                        : "SELECT " ALERT_COLUMNS
                                          " FROM alert WHERE draft = ?1"
                                          " ORDER BY first_ns, id",
                              draft < 0 ? "" : "i", draft);
  return result ? result : soc_store_rows(s, st, what, 0, alert_row, (void *)cb, arg);
}

int soc_store_alert_evidence_add(soc_store *s, const soc_evidence_row *e) {
  return evidence_add(s, 1, e);
}

int soc_store_alert_evidence_count(soc_store *s, int64_t alert) {
  return evidence_count(s, 1, alert);
}

int soc_store_alert_evidence_scan(soc_store *s, int64_t alert, soc_evidence_cb cb, void *arg) {
  return evidence_scan(s, 1, alert, cb, arg);
}

int soc_store_alert_evidence_copy(soc_store *s, int64_t alert, int64_t draft, int max) {
  int base = soc_store_evidence_count(s, draft);
  if (base >= max) return 0;
  static const char what[] = "cannot copy an alert's evidence";
  sqlite3_stmt *st =
      soc_store_cached(s, SOC_STMT_ALERT_EVIDENCE_COPY,
                       "INSERT OR IGNORE INTO draft_evidence(draft, seq, block, source,"
                       " stream, pos, ts, line) SELECT ?1, ?2 + seq, block, source, stream,"
                       " pos, ts, line FROM alert_evidence WHERE alert = ?3 AND seq < ?4",
                       what, "iiii", draft, (int64_t)base, alert, (int64_t)(max - base));
  return put_done(s, st, NULL, what);
}

int soc_store_alert_entity_put(soc_store *s, const char *host, const char *kind, const char *value,
                               int64_t alert) {
  static const char what[] = "cannot write an alert's entity";
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_ALERT_ENTITY_PUT,
                                      "INSERT OR IGNORE INTO alert_entity(host, kind, value, alert)"
                                      " VALUES(?1, ?2, ?3, ?4)",
                                      what, "sssi", host, kind, value, alert);
  return put_done(s, st, NULL, what);
}

static int entity_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_entity_cb)cb)(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
}

int soc_store_entity_scan(soc_store *s, const char *host, const char *kind, const char *value,
                          int64_t since_ns, int grouped, soc_entity_cb cb, void *arg) {
  static const char what[] = "cannot read entities";
  sqlite3_stmt *st = soc_store_cached(
      s, grouped ? SOC_STMT_ENTITY_SCAN_GROUPED : SOC_STMT_ENTITY_SCAN,
      grouped ? "SELECT a.id, a.draft FROM alert_entity e JOIN alert a ON a.id = e.alert"
                " JOIN draft d ON d.id = a.draft WHERE e.host = ?1 AND e.kind = ?2 AND"
                " e.value = ?3 AND a.last_ns >= ?4 AND d.status = 'open'"
                " ORDER BY a.last_ns DESC, a.id DESC"
              : "SELECT a.id, a.draft FROM alert_entity e JOIN alert a ON a.id = e.alert"
                " WHERE e.host = ?1 AND e.kind = ?2 AND e.value = ?3 AND a.last_ns >= ?4 AND"
                " a.draft = 0 ORDER BY a.id",
      what, "sssi", host, kind, value, since_ns);
  return soc_store_rows_kept(s, st, what, 0, entity_row, (void *)cb, arg);
}

/* ---- notices from the technical center ---------------------------------------- */

int soc_store_notice_put(soc_store *s, const char *id, int64_t at_ns, const char *kind,
                         const char *source, const char *body, int *fresh) {
  static const char what[] = "cannot keep a notice";
  sqlite3_stmt *st = NULL;
  int changed = 0;
  int result = soc_store_prep(s, &st, what,
                              "INSERT OR IGNORE INTO center_notice(id, at_ns, kind, source, body)"
                              " VALUES(?1, ?2, ?3, ?4, ?5)",
                              "sisss", id, at_ns, kind, source, body);
  if (!result) result = soc_store_done(s, st, what, &changed);
  if (fresh) *fresh = !result && changed;
  return result;
}

static int notice_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_notice_cb)cb)(arg, soc_store_text(st, 0), sqlite3_column_int64(st, 1),
                             soc_store_text(st, 2), soc_store_text(st, 3), soc_store_text(st, 4));
}

int soc_store_notices_scan(soc_store *s, soc_notice_cb cb, void *arg) {
  static const char what[] = "cannot read notices";
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT id, at_ns, kind, source, body FROM center_notice"
                              " ORDER BY at_ns DESC, id",
                              "");
  return result ? result : soc_store_rows(s, st, what, 0, notice_row, (void *)cb, arg);
}
