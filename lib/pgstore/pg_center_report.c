/*
 * pg_center_report — the center's side of the reporting workflow on
 * PostgreSQL (pg_center.h): reports, notifications, decisions and evidence
 * bundles, with center.db's rules (store_center_report.c).
 *
 * Every write survives a replay, as on center.db: Kafka offsets are
 * committed after the transaction, so the same message can come twice.
 * Revisions, notifications and chunks are keyed by what they are and
 * inserted with ON CONFLICT DO NOTHING; a report row only moves to a higher
 * revision. Several collectors and commands may write at once here, which
 * center.db's single writer never allowed: the one shared counter, the
 * decision number, is taken under a transaction-scoped advisory lock, so
 * two operators never get the same. A handful of reports a day: the
 * statements are not prepared.
 */
#include <errno.h>
#include <stdio.h>

#include "pg_center_internal.h"

#define DECISION_LOCK 0x736f636465636973LL /* "socdecis": the numbering's advisory lock */

/* ---- shared with the other files (pg_center_internal.h) ---- */

int soc_pg_write(soc_pg_center *pg, const char *sql, int n, const char *const *v, const int *len,
                 const int *fmt, int *changed, const char *what) {
  PGresult *res = NULL;
  int rc = soc_pg_query(pg, sql, n, v, len, fmt, 0, PGRES_COMMAND_OK, &res, what);
  if (rc) return rc;
  if (changed) *changed = strcmp(PQcmdTuples(res), "0") != 0;
  PQclear(res);
  return 0;
}

int soc_pg_rows(soc_pg_center *pg, const char *sql, int n, const char *const *v, int binary,
                const char *what, int missing, int (*row)(const PGresult *, int, void *, void *),
                void *cb, void *arg) {
  PGresult *res = NULL;
  int rc = soc_pg_query(pg, sql, n, v, NULL, NULL, binary, PGRES_TUPLES_OK, &res, what);
  if (rc) return rc;
  int rows = PQntuples(res);
  for (int r = 0; r < rows && !rc; r++) rc = row(res, r, cb, arg);
  PQclear(res);
  if (!rc && !rows && missing) rc = soc_pg_fail(pg, missing, "%s: not found", what);
  return rc;
}

/* ---- reports ---- */

int soc_pg_center_report_put(soc_pg_center *pg, const soc_center_report *r, int *current) {
  char b[4][24];
  if (current) *current = 0;
  if (!pg || !r || !r->id || !r->body) return -EINVAL;
  const char *rev[4] = {r->id, soc_pg_i64(b[0], r->revision), soc_pg_i64(b[1], r->received_ns),
                        r->body};
  int rc = soc_pg_write(pg,
                        "INSERT INTO report_revision(id, revision, received_ns, body)"
                        " VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        4, rev, NULL, NULL, NULL, "cannot keep a report revision");
  if (rc) return rc;
  const char *v[10] = {r->id,
                       r->agent ? r->agent : "",
                       r->agency ? r->agency : "",
                       soc_pg_i64(b[2], r->level),
                       r->state ? r->state : "",
                       r->category ? r->category : "",
                       rev[1],
                       soc_pg_i64(b[3], r->discovered_ns),
                       rev[2],
                       r->body};
  return soc_pg_write(
      pg,
      "INSERT INTO report(id, agent, agency, level, state, category, revision,"
      " discovered_ns, received_ns, body) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
      " ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, agency = excluded.agency,"
      " level = excluded.level, state = excluded.state, category = excluded.category,"
      " revision = excluded.revision, discovered_ns = excluded.discovered_ns,"
      " received_ns = excluded.received_ns, body = excluded.body"
      " WHERE excluded.revision > report.revision",
      10, v, NULL, NULL, current, "cannot store a report");
}

static int report_row(const PGresult *res, int r, void *cb, void *arg) {
  soc_center_report x = {.id = PQgetvalue(res, r, 0),
                         .agent = PQgetvalue(res, r, 1),
                         .agency = PQgetvalue(res, r, 2),
                         .level = (int)SOC_PG_INT(res, r, 3),
                         .state = PQgetvalue(res, r, 4),
                         .category = PQgetvalue(res, r, 5),
                         .revision = SOC_PG_INT(res, r, 6),
                         .discovered_ns = SOC_PG_INT(res, r, 7),
                         .received_ns = SOC_PG_INT(res, r, 8),
                         .flagged_ns = SOC_PG_INT(res, r, 9),
                         .flag = PQgetvalue(res, r, 10),
                         .body = PQgetvalue(res, r, 11)};
  return ((soc_center_report_cb)cb)(arg, &x);
}

#define REPORT_COLUMNS                                                                      \
  "SELECT id, agent, agency, level, state, category, revision, discovered_ns, received_ns," \
  " flagged_ns, flag, body FROM report"

int soc_pg_center_report_get(soc_pg_center *pg, const char *id, soc_center_report_cb cb,
                             void *arg) {
  if (!pg || !id || !cb) return -EINVAL;
  const char *v[1] = {id};
  return soc_pg_rows(pg, REPORT_COLUMNS " WHERE id = $1", 1, v, 0, "report", -ENOENT, report_row,
                     (void *)cb, arg);
}

int soc_pg_center_reports_scan(soc_pg_center *pg, soc_center_report_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  /* byte order, as center.db sorts */
  return soc_pg_rows(pg, REPORT_COLUMNS " ORDER BY id COLLATE \"C\"", 0, NULL, 0,
                     "cannot read the reports", 0, report_row, (void *)cb, arg);
}

int soc_pg_center_report_flag(soc_pg_center *pg, const char *id, int64_t at_ns, const char *why) {
  char b[24];
  if (!pg || !id || !why) return -EINVAL;
  const char *v[3] = {id, soc_pg_i64(b, at_ns), why};
  return soc_pg_write(
      pg, "UPDATE report SET flagged_ns = $2, flag = $3 WHERE id = $1 AND flagged_ns = 0", 3, v,
      NULL, NULL, NULL, "cannot flag a report");
}

/* ---- notifications ---- */

int soc_pg_center_notify(soc_pg_center *pg, const char *report, int level, const char *who,
                         int64_t at_ns, int *fresh) {
  char b[2][24];
  if (!pg || !report || !who) return -EINVAL;
  const char *v[4] = {report, soc_pg_i64(b[0], level), who, soc_pg_i64(b[1], at_ns)};
  return soc_pg_write(pg,
                      "INSERT INTO notification(report, level, who, at_ns) VALUES($1, $2, $3, $4)"
                      " ON CONFLICT DO NOTHING",
                      4, v, NULL, NULL, fresh, "cannot record a notification");
}

static int notify_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_center_notify_cb)cb)(arg, PQgetvalue(res, r, 0), (int)SOC_PG_INT(res, r, 1),
                                    PQgetvalue(res, r, 2), SOC_PG_INT(res, r, 3));
}

int soc_pg_center_notifications_scan(soc_pg_center *pg, const char *report, soc_center_notify_cb cb,
                                     void *arg) {
  if (!pg || !cb) return -EINVAL;
  const char *v[1] = {report}; /* NULL: all */
  return soc_pg_rows(pg,
                     "SELECT report, level, who, at_ns FROM notification"
                     " WHERE $1::text IS NULL OR report = $1"
                     " ORDER BY at_ns, report COLLATE \"C\", level, who COLLATE \"C\"",
                     1, v, 0, "cannot read the notifications", 0, notify_row, (void *)cb, arg);
}

/* ---- decisions ---- */

int soc_pg_center_decision_next(soc_pg_center *pg, int64_t *n) {
  char b[24];
  if (!pg || !n) return -EINVAL;
  /* The lock first, in a statement of its own: the next statement's
   * snapshot then sees every number committed by whoever held it. */
  const char *lock[1] = {soc_pg_i64(b, DECISION_LOCK)};
  int rc = soc_pg_query(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock, NULL, NULL, 0,
                        PGRES_TUPLES_OK, NULL, "cannot number a decision");
  PGresult *res = NULL;
  if (!rc)
    rc = soc_pg_query(pg, "SELECT coalesce(max(n), 0) + 1 FROM decision", 0, NULL, NULL, NULL, 0,
                      PGRES_TUPLES_OK, &res, "cannot number a decision");
  if (rc) return rc;
  *n = SOC_PG_INT(res, 0, 0);
  PQclear(res);
  return 0;
}

int soc_pg_center_decision_put(soc_pg_center *pg, int64_t n, const char *id, const char *report,
                               const char *kind, int64_t at_ns, const char *by, const char *topic,
                               const char *body) {
  char b[2][24];
  if (!pg || !id || !report || !kind || !by || !topic || !body) return -EINVAL;
  const char *v[8] = {soc_pg_i64(b[0], n),     id, report, kind,
                      soc_pg_i64(b[1], at_ns), by, topic,  body};
  return soc_pg_write(pg,
                      "INSERT INTO decision(n, id, report, kind, at_ns, \"by\", topic, body)"
                      " VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
                      8, v, NULL, NULL, NULL, "cannot record a decision");
}

static int pending_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_center_pending_cb)cb)(arg, SOC_PG_INT(res, r, 0), PQgetvalue(res, r, 1),
                                     PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
}

int soc_pg_center_decisions_pending(soc_pg_center *pg, soc_center_pending_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  return soc_pg_rows(
      pg, "SELECT n, report, topic, body FROM decision WHERE delivered_ns = 0 ORDER BY n", 0, NULL,
      0, "cannot read the decisions to send", 0, pending_row, (void *)cb, arg);
}

int soc_pg_center_decision_delivered(soc_pg_center *pg, int64_t n, int64_t at_ns) {
  char b[2][24];
  if (!pg) return -EINVAL;
  const char *v[2] = {soc_pg_i64(b[0], n), soc_pg_i64(b[1], at_ns)};
  return soc_pg_write(pg, "UPDATE decision SET delivered_ns = $2 WHERE n = $1 AND delivered_ns = 0",
                      2, v, NULL, NULL, NULL, "cannot mark a decision delivered");
}

static int decision_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_center_decision_cb)cb)(arg, PQgetvalue(res, r, 0), SOC_PG_INT(res, r, 1),
                                      PQgetvalue(res, r, 2));
}

int soc_pg_center_decisions_scan(soc_pg_center *pg, const char *report, soc_center_decision_cb cb,
                                 void *arg) {
  if (!pg || !report || !cb) return -EINVAL;
  const char *v[1] = {report};
  return soc_pg_rows(pg, "SELECT kind, at_ns, body FROM decision WHERE report = $1 ORDER BY n", 1,
                     v, 0, "cannot read the decisions", 0, decision_row, (void *)cb, arg);
}

/* ---- campaigns ---- */

static int source_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_center_source_cb)cb)(arg, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                                    PQgetvalue(res, r, 2), SOC_PG_INT(res, r, 3),
                                    SOC_PG_INT(res, r, 4), SOC_PG_INT(res, r, 5));
}

int soc_pg_center_alert_sources(soc_pg_center *pg, int64_t since_ns, soc_center_source_cb cb,
                                void *arg) {
  char b[24];
  if (!pg || !cb) return -EINVAL;
  const char *v[1] = {soc_pg_i64(b, since_ns)};
  /* As center.db's: a source is a JSON string, the agency the alert's own
   * or else its agent's; bodies that are not JSON are passed over. */
  return soc_pg_rows(
      pg,
      "WITH a AS (SELECT soc_jsonb(body) AS j, agent, received_ns FROM message"
      "  WHERE topic LIKE '%.alerts' AND received_ns >= $1::bigint),"
      " s AS (SELECT 'source.ip' AS kind, j #> '{source,ip}' AS src,"
      "  coalesce(j #>> '{agent,agency}', agent) AS agency, received_ns FROM a"
      "  UNION ALL SELECT 'file.hash.sha256', j #> '{file,hash,sha256}',"
      "  coalesce(j #>> '{agent,agency}', agent), received_ns FROM a),"
      " t AS (SELECT kind, src #>> '{}' AS source, agency, received_ns FROM s"
      "  WHERE jsonb_typeof(src) = 'string' AND src #>> '{}' <> '')"
      " SELECT kind, source, agency, count(*), min(received_ns), max(received_ns) FROM t"
      " GROUP BY kind, source, agency"
      " ORDER BY kind COLLATE \"C\", source COLLATE \"C\", agency COLLATE \"C\"",
      1, v, 0, "cannot read the alerts", 0, source_row, (void *)cb, arg);
}

/* ---- evidence ---- */

int soc_pg_center_chunk_put(soc_pg_center *pg, const char *bundle, int64_t seq, int64_t offset,
                            const void *data, size_t len, int64_t received_ns, int *dup) {
  char b[3][24];
  int changed = 0;
  if (!pg || !bundle || (!data && len) || len > INT32_MAX) return -EINVAL;
  const char *v[5] = {bundle, soc_pg_i64(b[0], seq), soc_pg_i64(b[1], offset), data ? data : "",
                      soc_pg_i64(b[2], received_ns)};
  int lens[5] = {[3] = (int)len}, fmts[5] = {[3] = 1}; /* the bytes as they came */
  int rc = soc_pg_write(pg,
                        "INSERT INTO evidence_chunk(bundle, seq, \"offset\", data, received_ns)"
                        " VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        5, v, lens, fmts, &changed, "cannot keep an evidence chunk");
  if (!rc && dup) *dup = !changed;
  return rc;
}

int soc_pg_center_bundle_put(soc_pg_center *pg, const char *bundle, const char *report,
                             const char *agent, int64_t chunks, int64_t size, const char *manifest,
                             int *dup) {
  char b[2][24];
  int changed = 0;
  if (!pg || !bundle || !report || !agent || !manifest) return -EINVAL;
  const char *v[6] = {bundle,  report, agent, soc_pg_i64(b[0], chunks), soc_pg_i64(b[1], size),
                      manifest};
  int rc = soc_pg_write(pg,
                        "INSERT INTO bundle(id, report, agent, chunks, size, manifest)"
                        " VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        6, v, NULL, NULL, &changed, "cannot keep an evidence manifest");
  if (!rc && dup) *dup = !changed;
  return rc;
}

static int bundle_row(const PGresult *res, int r, void *cb, void *arg) {
  soc_center_bundle x = {.id = PQgetvalue(res, r, 0),
                         .report = PQgetvalue(res, r, 1),
                         .agent = PQgetvalue(res, r, 2),
                         .chunks = SOC_PG_INT(res, r, 3),
                         .size = SOC_PG_INT(res, r, 4),
                         .manifest = PQgetvalue(res, r, 5),
                         .state = PQgetvalue(res, r, 6),
                         .path = PQgetvalue(res, r, 7),
                         .reason = PQgetvalue(res, r, 8),
                         .checked_ns = SOC_PG_INT(res, r, 9),
                         .have = SOC_PG_INT(res, r, 10)};
  return ((soc_center_bundle_cb)cb)(arg, &x);
}

#define BUNDLE_COLUMNS                                                                            \
  "SELECT id, report, agent, chunks, size, manifest, state, path, reason, checked_ns,"            \
  " (SELECT count(*) FROM evidence_chunk c WHERE c.bundle = bundle.id AND c.seq < bundle.chunks)" \
  " FROM bundle"

int soc_pg_center_bundle_get(soc_pg_center *pg, const char *id, soc_center_bundle_cb cb,
                             void *arg) {
  if (!pg || !id || !cb) return -EINVAL;
  const char *v[1] = {id};
  return soc_pg_rows(pg, BUNDLE_COLUMNS " WHERE id = $1", 1, v, 0, "bundle", -ENOENT, bundle_row,
                     (void *)cb, arg);
}

int soc_pg_center_bundles_scan(soc_pg_center *pg, soc_center_bundle_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  return soc_pg_rows(pg, BUNDLE_COLUMNS " ORDER BY id COLLATE \"C\"", 0, NULL, 0,
                     "cannot read the bundles", 0, bundle_row, (void *)cb, arg);
}

static int chunk_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_center_chunk_cb)cb)(arg, soc_pg_int8(res, r, 0), soc_pg_int8(res, r, 1),
                                   PQgetvalue(res, r, 2), (size_t)PQgetlength(res, r, 2));
}

int soc_pg_center_chunks_scan(soc_pg_center *pg, const char *bundle, soc_center_chunk_cb cb,
                              void *arg) {
  if (!pg || !bundle || !cb) return -EINVAL;
  const char *v[1] = {bundle};
  /* binary: the data as bytes, not as hex text twice its size */
  return soc_pg_rows(
      pg, "SELECT seq, \"offset\", data FROM evidence_chunk WHERE bundle = $1 ORDER BY seq", 1, v,
      1, "cannot read the chunks", 0, chunk_row, (void *)cb, arg);
}

int soc_pg_center_bundle_set(soc_pg_center *pg, const char *id, const char *state, const char *path,
                             const char *reason, int64_t checked_ns) {
  char b[24];
  if (!pg || !id || !state || !path || !reason) return -EINVAL;
  const char *v[5] = {id, state, path, reason, soc_pg_i64(b, checked_ns)};
  return soc_pg_write(pg,
                      "UPDATE bundle SET state = $2, path = $3, reason = $4, checked_ns = $5"
                      " WHERE id = $1",
                      5, v, NULL, NULL, NULL, "cannot update a bundle");
}

int soc_pg_center_orphans_expire(soc_pg_center *pg, int64_t before_ns, int64_t *chunks,
                                 int64_t *bytes) {
  char b[24];
  PGresult *res = NULL;
  if (!pg || !chunks || !bytes) return -EINVAL;
  *chunks = *bytes = 0;
  const char *v[1] = {soc_pg_i64(b, before_ns)};
  /* one statement: what it deleted is what it counts */
  int rc =
      soc_pg_query(pg,
                   "WITH gone AS (DELETE FROM evidence_chunk WHERE received_ns < $1::bigint"
                   " AND NOT EXISTS (SELECT 1 FROM bundle b WHERE b.id = evidence_chunk.bundle)"
                   " RETURNING length(data) AS n)"
                   " SELECT count(*), coalesce(sum(n), 0) FROM gone",
                   1, v, NULL, NULL, 0, PGRES_TUPLES_OK, &res, "cannot expire orphan chunks");
  if (rc) return rc;
  *chunks = SOC_PG_INT(res, 0, 0);
  *bytes = SOC_PG_INT(res, 0, 1);
  PQclear(res);
  return 0;
}
