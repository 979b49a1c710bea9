/*
 * store_center_report — the center's side of the workflow in center.db:
 * reports, notifications, decisions and evidence bundles (store.h says
 * what each call promises).
 *
 * Like the rest of center.db every write must survive a replay: Kafka
 * offsets are committed after the SQLite transaction, so the same message
 * can come twice. Report revisions, notifications and chunks are keyed by
 * what they are (report id + revision, report + level + recipient, bundle +
 * seq) and inserted with INSERT OR IGNORE; the report row itself only moves
 * to a higher revision. None of this is on the hot path (a handful of
 * reports a day against thousands of events a second), so statements are
 * prepared per call and bound by the store's typed binder (soc_store_prep).
 */
#include <errno.h>
#include <string.h>

#include "store_internal.h"

/* ---- reports ---- */

int soc_store_center_report_put(soc_center_store *c, const soc_center_report *r, int *current) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int result = -EINVAL;
  if (current) *current = 0;
  if (!s || !r || !r->id || !r->body) return result;
  result = soc_store_prep(s, &st, "cannot keep a report revision",
                          "INSERT OR IGNORE INTO report_revision(id, revision, received_ns, body)"
                          " VALUES(?1, ?2, ?3, ?4)",
                          "siis", r->id, r->revision, r->received_ns, r->body);
  if (!result) result = soc_store_done(s, st, "cannot keep a report revision", NULL);
  if (result) return result;
  result = soc_store_prep(
      s, &st, "cannot store a report",
      "INSERT INTO report(id, agent, agency, level, state, category, revision,"
      " discovered_ns, received_ns, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, agency = excluded.agency,"
      " level = excluded.level, state = excluded.state, category = excluded.category,"
      " revision = excluded.revision, discovered_ns = excluded.discovered_ns,"
      " received_ns = excluded.received_ns, body = excluded.body"
      " WHERE excluded.revision > report.revision",
      "sssissiiis", r->id, r->agent ? r->agent : "", r->agency ? r->agency : "", (int64_t)r->level,
      r->state ? r->state : "", r->category ? r->category : "", r->revision, r->discovered_ns,
      r->received_ns, r->body);
  return result ? result : soc_store_done(s, st, "cannot store a report", current);
}

static int report_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_center_report r = {.id = soc_store_text(st, 0),
                         .agent = soc_store_text(st, 1),
                         .agency = soc_store_text(st, 2),
                         .level = sqlite3_column_int(st, 3),
                         .state = soc_store_text(st, 4),
                         .category = soc_store_text(st, 5),
                         .revision = sqlite3_column_int64(st, 6),
                         .discovered_ns = sqlite3_column_int64(st, 7),
                         .received_ns = sqlite3_column_int64(st, 8),
                         .flagged_ns = sqlite3_column_int64(st, 9),
                         .flag = soc_store_text(st, 10),
                         .body = soc_store_text(st, 11)};
  return ((soc_center_report_cb)cb)(arg, &r);
}

#define REPORT_COLUMNS                                                                      \
  "SELECT id, agent, agency, level, state, category, revision, discovered_ns, received_ns," \
  " flagged_ns, flag, body FROM report"

int soc_store_center_report_get(soc_center_store *c, const char *id, soc_center_report_cb cb,
                                void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !id || !cb) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot read a report", REPORT_COLUMNS " WHERE id = ?1", "s", id);
  return result ? result : soc_store_rows(s, st, "report", -ENOENT, report_row, (void *)cb, arg);
}

int soc_store_center_reports_scan(soc_center_store *c, soc_center_report_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot read the reports", REPORT_COLUMNS " ORDER BY id", NULL);
  return result ? result
                : soc_store_rows(s, st, "cannot read the reports", 0, report_row, (void *)cb, arg);
}

int soc_store_center_report_flag(soc_center_store *c, const char *id, int64_t at_ns,
                                 const char *why) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !id || !why) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot flag a report",
      "UPDATE report SET flagged_ns = ?2, flag = ?3 WHERE id = ?1 AND flagged_ns = 0", "sis", id,
      at_ns, why);
  return result ? result : soc_store_done(s, st, "cannot flag a report", NULL);
}

/* ---- notifications ---- */

int soc_store_center_notify(soc_center_store *c, const char *report, int level, const char *who,
                            int64_t at_ns, int *fresh) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !report || !who) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot record a notification",
                              "INSERT OR IGNORE INTO notification(report, level, who, at_ns)"
                              " VALUES(?1, ?2, ?3, ?4)",
                              "sisi", report, (int64_t)level, who, at_ns);
  return result ? result : soc_store_done(s, st, "cannot record a notification", fresh);
}

static int notify_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_notify_cb)cb)(arg, soc_store_text(st, 0), sqlite3_column_int(st, 1),
                                    soc_store_text(st, 2), sqlite3_column_int64(st, 3));
}

int soc_store_center_notifications_scan(soc_center_store *c, const char *report,
                                        soc_center_notify_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot read the notifications",
                              "SELECT report, level, who, at_ns FROM notification"
                              " WHERE ?1 IS NULL OR report = ?1 ORDER BY at_ns, report, level, who",
                              "s", report);
  return result ? result
                : soc_store_rows(s, st, "cannot read the notifications", 0, notify_row, (void *)cb,
                                 arg);
}

/* ---- decisions ---- */

int soc_store_center_decision_next(soc_center_store *c, int64_t *n) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !n) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot number a decision",
                              "SELECT coalesce(max(n), 0) + 1 FROM decision", NULL);
  if (result) return result;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *n = sqlite3_column_int64(st, 0);
  else
    result = soc_store_fail_sql(s, rc, "cannot number a decision");
  sqlite3_finalize(st);
  return result;
}

int soc_store_center_decision_put(soc_center_store *c, int64_t n, const char *id,
                                  const char *report, const char *kind, int64_t at_ns,
                                  const char *by, const char *topic, const char *body) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !id || !report || !kind || !by || !topic || !body) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot record a decision",
                              "INSERT INTO decision(n, id, report, kind, at_ns, by, topic, body)"
                              " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              "isssisss", n, id, report, kind, at_ns, by, topic, body);
  return result ? result : soc_store_done(s, st, "cannot record a decision", NULL);
}

static int pending_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_pending_cb)cb)(arg, sqlite3_column_int64(st, 0), soc_store_text(st, 1),
                                     soc_store_text(st, 2), soc_store_text(st, 3));
}

int soc_store_center_decisions_pending(soc_center_store *c, soc_center_pending_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot read the decisions to send",
      "SELECT n, report, topic, body FROM decision WHERE delivered_ns = 0 ORDER BY n", NULL);
  return result ? result
                : soc_store_rows(s, st, "cannot read the decisions to send", 0, pending_row,
                                 (void *)cb, arg);
}

int soc_store_center_decision_delivered(soc_center_store *c, int64_t n, int64_t at_ns) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot mark a decision delivered",
      "UPDATE decision SET delivered_ns = ?2 WHERE n = ?1 AND delivered_ns = 0", "ii", n, at_ns);
  return result ? result : soc_store_done(s, st, "cannot mark a decision delivered", NULL);
}

static int decision_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_decision_cb)cb)(arg, soc_store_text(st, 0), sqlite3_column_int64(st, 1),
                                      soc_store_text(st, 2));
}

int soc_store_center_decisions_scan(soc_center_store *c, const char *report,
                                    soc_center_decision_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !report || !cb) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot read the decisions",
                              "SELECT kind, at_ns, body FROM decision WHERE report = ?1 ORDER BY n",
                              "s", report);
  return result
             ? result
             : soc_store_rows(s, st, "cannot read the decisions", 0, decision_row, (void *)cb, arg);
}

/* ---- evidence ---- */

int soc_store_center_chunk_put(soc_center_store *c, const char *bundle, int64_t seq, int64_t offset,
                               const void *data, size_t len, int64_t received_ns, int *dup) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int changed = 0;
  if (!s || !bundle || (!data && len)) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot keep an evidence chunk",
                     "INSERT OR IGNORE INTO evidence_chunk(bundle, seq, offset, data, received_ns)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
                     "siibi", bundle, seq, offset, data, len, received_ns);
  if (!result) result = soc_store_done(s, st, "cannot keep an evidence chunk", &changed);
  if (!result && dup) *dup = !changed;
  return result;
}

int soc_store_center_bundle_put(soc_center_store *c, const char *bundle, const char *report,
                                const char *agent, int64_t chunks, int64_t size,
                                const char *manifest, int *dup) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int changed = 0;
  if (!s || !bundle || !report || !agent || !manifest) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot keep an evidence manifest",
                     "INSERT OR IGNORE INTO bundle(id, report, agent, chunks, size, manifest)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                     "sssiis", bundle, report, agent, chunks, size, manifest);
  if (!result) result = soc_store_done(s, st, "cannot keep an evidence manifest", &changed);
  if (!result && dup) *dup = !changed;
  return result;
}

static int bundle_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_center_bundle b = {.id = soc_store_text(st, 0),
                         .report = soc_store_text(st, 1),
                         .agent = soc_store_text(st, 2),
                         .chunks = sqlite3_column_int64(st, 3),
                         .size = sqlite3_column_int64(st, 4),
                         .manifest = soc_store_text(st, 5),
                         .state = soc_store_text(st, 6),
                         .path = soc_store_text(st, 7),
                         .reason = soc_store_text(st, 8),
                         .checked_ns = sqlite3_column_int64(st, 9),
                         .have = sqlite3_column_int64(st, 10)};
  return ((soc_center_bundle_cb)cb)(arg, &b);
}

#define BUNDLE_COLUMNS                                                                            \
  "SELECT id, report, agent, chunks, size, manifest, state, path, reason, checked_ns,"            \
  " (SELECT count(*) FROM evidence_chunk c WHERE c.bundle = bundle.id AND c.seq < bundle.chunks)" \
  " FROM bundle"

int soc_store_center_bundle_get(soc_center_store *c, const char *id, soc_center_bundle_cb cb,
                                void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !id || !cb) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot read a bundle", BUNDLE_COLUMNS " WHERE id = ?1", "s", id);
  return result ? result : soc_store_rows(s, st, "bundle", -ENOENT, bundle_row, (void *)cb, arg);
}

int soc_store_center_bundles_scan(soc_center_store *c, soc_center_bundle_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot read the bundles", BUNDLE_COLUMNS " ORDER BY id", NULL);
  return result ? result
                : soc_store_rows(s, st, "cannot read the bundles", 0, bundle_row, (void *)cb, arg);
}

static int chunk_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_chunk_cb)cb)(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                   sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
}

int soc_store_center_chunks_scan(soc_center_store *c, const char *bundle, soc_center_chunk_cb cb,
                                 void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !bundle || !cb) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot read the chunks",
      "SELECT seq, offset, data FROM evidence_chunk WHERE bundle = ?1 ORDER BY seq", "s", bundle);
  return result ? result
                : soc_store_rows(s, st, "cannot read the chunks", 0, chunk_row, (void *)cb, arg);
}

int soc_store_center_bundle_set(soc_center_store *c, const char *id, const char *state,
                                const char *path, const char *reason, int64_t checked_ns) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !id || !state || !path || !reason) return -EINVAL;
  int result =
      soc_store_prep(s, &st, "cannot update a bundle",
                     "UPDATE bundle SET state = ?2, path = ?3, reason = ?4, checked_ns = ?5"
                     " WHERE id = ?1",
                     "ssssi", id, state, path, reason, checked_ns);
  return result ? result : soc_store_done(s, st, "cannot update a bundle", NULL);
}

/* ---- campaigns (issue 15) ---- */

static int source_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_source_cb)cb)(arg, soc_store_text(st, 0), soc_store_text(st, 1),
                                    soc_store_text(st, 2), sqlite3_column_int64(st, 3),
                                    sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
}

int soc_store_center_alert_sources(soc_center_store *c, int64_t since_ns, soc_center_source_cb cb,
                                   void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  /* the alerts' own ECS fields: the attacker's address, or the content of
   * the object found; an alert carries its agency (agent.agency) */
  int result = soc_store_prep(
      s, &st, "cannot read the alerts",
      "SELECT kind, src, agency, count(*), min(received_ns), max(received_ns) FROM ("
      " SELECT 'source.ip' AS kind, json_extract(body, '$.source.ip') AS src,"
      "  coalesce(json_extract(body, '$.agent.agency'), agent) AS agency, received_ns"
      "  FROM message WHERE topic LIKE '%.alerts' AND received_ns >= ?1 AND json_valid(body)"
      " UNION ALL"
      " SELECT 'file.hash.sha256', json_extract(body, '$.file.hash.sha256'),"
      "  coalesce(json_extract(body, '$.agent.agency'), agent), received_ns"
      "  FROM message WHERE topic LIKE '%.alerts' AND received_ns >= ?1 AND json_valid(body))"
      " WHERE typeof(src) = 'text' AND src != '' GROUP BY kind, src, agency"
      " ORDER BY kind, src, agency",
      "i", since_ns);
  return result ? result
                : soc_store_rows(s, st, "cannot read the alerts", 0, source_row, (void *)cb, arg);
}
