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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int done_or_fail(soc_store *s, int rc, const char *what) {
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}

/* The statements below run once per hit or firing: they stay prepared for
 * the connection's life (soc_store_stmt) and are reset, not finalized,
 * after use, so no read stays open. Only statements stepped once are kept
 * (a scan's callback could use the same statement again). */
static int cached(soc_store *s, soc_store_stmt_id id, const char *sql, sqlite3_stmt **st) {
  *st = soc_store_stmt(s, id, sql);
  return *st ? SQLITE_OK : sqlite3_errcode(s->db);
}

int soc_store_detect_state_put(soc_store *s, const char *rule, const char *key, const void *blob,
                               size_t len) {
  sqlite3_stmt *st = NULL;
  int rc = len ? cached(s, SOC_STMT_STATE_PUT,
                        /* an update in place, where REPLACE deletes and inserts again */
                        "INSERT INTO detect_state(rule, key, state) VALUES(?1, ?2, ?3)"
                        " ON CONFLICT(rule, key) DO UPDATE SET state = excluded.state",
                        &st)
               : cached(s, SOC_STMT_STATE_DELETE,
                        "DELETE FROM detect_state WHERE rule = ?1 AND key = ?2", &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (len) sqlite3_bind_blob64(st, 3, blob, len, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  return done_or_fail(s, rc, "cannot save correlation state");
}

int soc_store_detect_state_clear(soc_store *s) {
  return soc_store_exec(s, "DELETE FROM detect_state", "cannot clear correlation state");
}

int soc_store_detect_state_scan(soc_store *s, soc_state_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db, "SELECT rule, key, state FROM detect_state", -1, &st, NULL);
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
      result = cb(arg, (const char *)sqlite3_column_text(st, 0),
                  (const char *)sqlite3_column_text(st, 1), sqlite3_column_blob(st, 2),
                  (size_t)sqlite3_column_bytes(st, 2));
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read correlation state");
}

void soc_draft_row_clear(soc_draft_row *row) {
  free(row->body);
  memset(row, 0, sizeof *row);
}

#define DRAFT_COLUMNS \
  "id, rule, key, asset, status, level, first_ns, last_ns, discovered_ns, count, body"

static void draft_from(sqlite3_stmt *st, soc_draft_row *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  snprintf(r->rule, sizeof r->rule, "%s", (const char *)sqlite3_column_text(st, 1));
  snprintf(r->key, sizeof r->key, "%s", (const char *)sqlite3_column_text(st, 2));
  snprintf(r->asset, sizeof r->asset, "%s", (const char *)sqlite3_column_text(st, 3));
  snprintf(r->status, sizeof r->status, "%s", (const char *)sqlite3_column_text(st, 4));
  r->level = sqlite3_column_int(st, 5);
  r->first_ns = sqlite3_column_int64(st, 6);
  r->last_ns = sqlite3_column_int64(st, 7);
  r->discovered_ns = sqlite3_column_int64(st, 8);
  r->count = sqlite3_column_int64(st, 9);
  const char *body = (const char *)sqlite3_column_text(st, 10);
  r->body = strdup(body ? body : "{}");
}

/* Steps a one-row query (cached) with its parameters bound; from() maps the
 * row. Returns 0, -ENOENT, -ENOMEM or the store's error about `what`. */
static int one_row(soc_store *s, sqlite3_stmt *st, int rc, void (*from)(sqlite3_stmt *, void *),
                   void *out, char *const *body, const char *what) {
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) from(st, out);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return *body ? 0 : -ENOMEM;
  if (rc == SQLITE_DONE) return -ENOENT;
  return soc_store_fail_sql(s, rc, what);
}

static void draft_row_from(sqlite3_stmt *st, void *out) { draft_from(st, out); }

int soc_store_draft_get(soc_store *s, int64_t id, soc_draft_row *out) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_DRAFT_GET, "SELECT " DRAFT_COLUMNS " FROM draft WHERE id = ?1", &st);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, id);
  out->body = NULL;
  return one_row(s, st, rc, draft_row_from, out, &out->body, "cannot read a draft");
}

/* An INSERT OR REPLACE of a row whose id 0 means a new one: ?1. */
static void bind_row_id(sqlite3_stmt *st, int64_t id) {
  if (id)
    sqlite3_bind_int64(st, 1, id);
  else
    sqlite3_bind_null(st, 1);
}

/* Steps and resets such a write (cached); a new row's id goes to *id. */
static int put_done(soc_store *s, sqlite3_stmt *st, int rc, int64_t *id, const char *what) {
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return soc_store_fail_sql(s, rc, what);
  if (!*id) *id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

int soc_store_draft_put(soc_store *s, soc_draft_row *r) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_DRAFT_PUT,
                  "INSERT OR REPLACE INTO draft(" DRAFT_COLUMNS
                  ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                  &st);
  if (rc == SQLITE_OK) {
    bind_row_id(st, r->id);
    sqlite3_bind_text(st, 2, r->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->level);
    sqlite3_bind_int64(st, 7, r->first_ns);
    sqlite3_bind_int64(st, 8, r->last_ns);
    sqlite3_bind_int64(st, 9, r->discovered_ns);
    sqlite3_bind_int64(st, 10, r->count);
    sqlite3_bind_text(st, 11, r->body ? r->body : "{}", -1, SQLITE_STATIC);
  }
  return put_done(s, st, rc, &r->id, "cannot write a draft");
}

int soc_store_drafts_scan(soc_store *s, const char *status, soc_draft_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  soc_draft_row row;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT " DRAFT_COLUMNS
                              " FROM draft WHERE ?1 IS NULL OR status = ?1"
                              " ORDER BY discovered_ns DESC, id DESC",
                              -1, &st, NULL);
  if (rc == SQLITE_OK && status) sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      draft_from(st, &row);
      result = row.body ? cb(arg, &row) : -ENOMEM;
      soc_draft_row_clear(&row);
    }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read drafts");
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
  sqlite3_stmt *st = NULL;
  int rc = cached(s, alert ? SOC_STMT_ALERT_EVIDENCE_ADD : SOC_STMT_EVIDENCE_ADD,
                  evidence_sql[alert][0], &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, e->draft);
    sqlite3_bind_int(st, 2, e->seq);
    sqlite3_bind_int64(st, 3, e->block);
    sqlite3_bind_text(st, 4, e->source ? e->source : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->stream);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)e->pos);
    sqlite3_bind_int64(st, 7, e->ts);
    sqlite3_bind_blob64(st, 8, e->line, e->len, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  return done_or_fail(s, rc, "cannot write evidence");
}

static int evidence_count(soc_store *s, int alert, int64_t owner) {
  sqlite3_stmt *st = NULL;
  int n = 0;
  if (cached(s, alert ? SOC_STMT_ALERT_EVIDENCE_COUNT : SOC_STMT_EVIDENCE_COUNT,
             evidence_sql[alert][1], &st) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, owner);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  }
  sqlite3_reset(st);
  return n;
}

static int evidence_scan(soc_store *s, int alert, int64_t owner, soc_evidence_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db, evidence_sql[alert][2], -1, &st, NULL);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, owner);
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      soc_evidence_row e = {
          .draft = sqlite3_column_int64(st, 0),
          .seq = sqlite3_column_int(st, 1),
          .block = sqlite3_column_int64(st, 2),
          .source = (const char *)sqlite3_column_text(st, 3),
          .stream = sqlite3_column_int64(st, 4),
          .pos = (uint64_t)sqlite3_column_int64(st, 5),
          .ts = sqlite3_column_int64(st, 6),
          .line = sqlite3_column_blob(st, 7),
          .len = (size_t)sqlite3_column_bytes(st, 7),
      };
      result = cb(arg, &e);
    }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read evidence");
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
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_OUTBOX_ADD,
                  "INSERT INTO outbox(topic, key, payload, created_ns)"
                  " VALUES(?1, ?2, ?3, CAST((julianday('now') - 2440587.5)"
                  " * 86400000000000 AS INTEGER))",
                  &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, payload, len, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return soc_store_fail_sql(s, rc, "cannot write to the outbox");
  if (id) *id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

int64_t soc_store_outbox_last(soc_store *s) {
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM outbox", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return id;
}

int soc_store_outbox_scan(soc_store *s, int64_t after_id, size_t limit, soc_outbox_cb cb,
                          void *arg) {
  sqlite3_stmt *st = NULL;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT id, topic, key, payload FROM outbox WHERE id > ?1"
                              " ORDER BY id LIMIT ?2",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
  }
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
      result = cb(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                  (const char *)sqlite3_column_text(st, 2), sqlite3_column_blob(st, 3),
                  (size_t)sqlite3_column_bytes(st, 3));
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read the outbox");
}

/* ---- triage: alerts, their evidence and entities ------------------------------ */

void soc_alert_row_clear(soc_alert_row *row) {
  free(row->body);
  memset(row, 0, sizeof *row);
}

#define ALERT_COLUMNS \
  "id, rule, key, host, asset, impact, level, first_ns, last_ns, count, draft, body"

static void alert_from(sqlite3_stmt *st, soc_alert_row *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  snprintf(r->rule, sizeof r->rule, "%s", (const char *)sqlite3_column_text(st, 1));
  snprintf(r->key, sizeof r->key, "%s", (const char *)sqlite3_column_text(st, 2));
  snprintf(r->host, sizeof r->host, "%s", (const char *)sqlite3_column_text(st, 3));
  snprintf(r->asset, sizeof r->asset, "%s", (const char *)sqlite3_column_text(st, 4));
  snprintf(r->impact, sizeof r->impact, "%s", (const char *)sqlite3_column_text(st, 5));
  r->level = sqlite3_column_int(st, 6);
  r->first_ns = sqlite3_column_int64(st, 7);
  r->last_ns = sqlite3_column_int64(st, 8);
  r->count = sqlite3_column_int64(st, 9);
  r->draft = sqlite3_column_int64(st, 10);
  const char *body = (const char *)sqlite3_column_text(st, 11);
  r->body = strdup(body ? body : "{}");
}

static void alert_row_from(sqlite3_stmt *st, void *out) { alert_from(st, out); }

int soc_store_alert_find(soc_store *s, const char *rule, const char *key, const char *host,
                         int64_t since_ns, soc_alert_row *out) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_FIND,
                  "SELECT " ALERT_COLUMNS
                  " FROM alert WHERE rule = ?1 AND key = ?2"
                  " AND host = ?3 AND last_ns >= ?4 ORDER BY id DESC LIMIT 1",
                  &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, since_ns);
  }
  out->body = NULL;
  return one_row(s, st, rc, alert_row_from, out, &out->body, "cannot read an alert");
}

int soc_store_alert_get(soc_store *s, int64_t id, soc_alert_row *out) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_GET, "SELECT " ALERT_COLUMNS " FROM alert WHERE id = ?1", &st);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, id);
  out->body = NULL;
  return one_row(s, st, rc, alert_row_from, out, &out->body, "cannot read an alert");
}

int soc_store_alert_put(soc_store *s, soc_alert_row *r) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_PUT,
                  "INSERT OR REPLACE INTO alert(" ALERT_COLUMNS
                  ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                  &st);
  if (rc == SQLITE_OK) {
    bind_row_id(st, r->id);
    sqlite3_bind_text(st, 2, r->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->impact, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, r->level);
    sqlite3_bind_int64(st, 8, r->first_ns);
    sqlite3_bind_int64(st, 9, r->last_ns);
    sqlite3_bind_int64(st, 10, r->count);
    sqlite3_bind_int64(st, 11, r->draft);
    sqlite3_bind_text(st, 12, r->body ? r->body : "{}", -1, SQLITE_STATIC);
  }
  return put_done(s, st, rc, &r->id, "cannot write an alert");
}

int soc_store_alert_touch(soc_store *s, const soc_alert_row *r) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_TOUCH,
                  "UPDATE alert SET first_ns = ?2, last_ns = ?3, count = ?4 WHERE id = ?1", &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->first_ns);
    sqlite3_bind_int64(st, 3, r->last_ns);
    sqlite3_bind_int64(st, 4, r->count);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  return done_or_fail(s, rc, "cannot write an alert");
}

int soc_store_alerts_scan(soc_store *s, int64_t draft, soc_alert_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  soc_alert_row row;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              draft < 0 ? "SELECT " ALERT_COLUMNS " FROM alert ORDER BY id DESC"
                                        : "SELECT " ALERT_COLUMNS
                                          " FROM alert WHERE draft = ?1"
                                          " ORDER BY first_ns, id",
                              -1, &st, NULL);
  if (rc == SQLITE_OK && draft >= 0) sqlite3_bind_int64(st, 1, draft);
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      alert_from(st, &row);
      result = row.body ? cb(arg, &row) : -ENOMEM;
      soc_alert_row_clear(&row);
    }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read alerts");
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
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_EVIDENCE_COPY,
                  "INSERT OR IGNORE INTO draft_evidence(draft, seq, block, source,"
                  " stream, pos, ts, line) SELECT ?1, ?2 + seq, block, source, stream,"
                  " pos, ts, line FROM alert_evidence WHERE alert = ?3 AND seq < ?4",
                  &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, draft);
    sqlite3_bind_int(st, 2, base);
    sqlite3_bind_int64(st, 3, alert);
    sqlite3_bind_int(st, 4, max - base);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  return done_or_fail(s, rc, "cannot copy an alert's evidence");
}

int soc_store_alert_entity_put(soc_store *s, const char *host, const char *kind, const char *value,
                               int64_t alert) {
  sqlite3_stmt *st = NULL;
  int rc = cached(s, SOC_STMT_ALERT_ENTITY_PUT,
                  "INSERT OR IGNORE INTO alert_entity(host, kind, value, alert)"
                  " VALUES(?1, ?2, ?3, ?4)",
                  &st);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, alert);
    rc = sqlite3_step(st);
  }
  sqlite3_reset(st);
  return done_or_fail(s, rc, "cannot write an alert's entity");
}

int soc_store_entity_scan(soc_store *s, const char *host, const char *kind, const char *value,
                          int64_t since_ns, int grouped, soc_entity_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  int result = 0;
  int rc = sqlite3_prepare_v2(
      s->db,
      grouped ? "SELECT a.id, a.draft FROM alert_entity e JOIN alert a ON a.id = e.alert"
                " JOIN draft d ON d.id = a.draft WHERE e.host = ?1 AND e.kind = ?2 AND"
                " e.value = ?3 AND a.last_ns >= ?4 AND d.status = 'open'"
                " ORDER BY a.last_ns DESC, a.id DESC"
              : "SELECT a.id, a.draft FROM alert_entity e JOIN alert a ON a.id = e.alert"
                " WHERE e.host = ?1 AND e.kind = ?2 AND e.value = ?3 AND a.last_ns >= ?4 AND"
                " a.draft = 0 ORDER BY a.id",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, since_ns);
  }
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
      result = cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read entities");
}

/* ---- notices from the technical center ---------------------------------------- */

int soc_store_notice_put(soc_store *s, const char *id, int64_t at_ns, const char *kind,
                         const char *source, const char *body, int *fresh) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "INSERT OR IGNORE INTO center_notice(id, at_ns, kind, source, body)"
                              " VALUES(?1, ?2, ?3, ?4, ?5)",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, at_ns);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (fresh) *fresh = rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
  return done_or_fail(s, rc, "cannot keep a notice");
}

int soc_store_notices_scan(soc_store *s, soc_notice_cb cb, void *arg) {
  sqlite3_stmt *st = NULL;
  int result = 0;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT id, at_ns, kind, source, body FROM center_notice"
                              " ORDER BY at_ns DESC, id",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
      result =
          cb(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
             (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
             (const char *)sqlite3_column_text(st, 4));
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, "cannot read notices");
}
