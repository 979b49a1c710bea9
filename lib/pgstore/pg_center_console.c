/*
 * pg_center_console — what the web console and `soccollector user` keep
 * on PostgreSQL (pg_center.h): the accounts, the latest message of each
 * draft or alert, and the rows of the audit log whose chain audit.c builds
 * and checks (the hashing stays there: this file only reads and writes
 * rows). A few requests a minute: the statements are not prepared.
 */
#include <errno.h>
#include <stdio.h>

#include "pg_center_internal.h"

#define AUDIT_LOCK 0x736f636175646974LL /* "socaudit": the appends' advisory lock */

/* ---- accounts ---- */

int soc_pg_center_user_add(soc_pg_center *pg, const soc_console_user *u) {
  char b[2][24];
  int changed = 0;
  if (!pg || !u || !u->name || !u->hash || !u->role || !u->agency) return -EINVAL;
  const char *v[6] = {u->name,
                      u->hash,
                      u->role,
                      u->agency,
                      soc_pg_i64(b[0], u->authority),
                      soc_pg_i64(b[1], u->changed_ns)};
  int rc = soc_pg_write(pg,
                        "INSERT INTO console_user(name, hash, role, agency, authority, disabled,"
                        " changed_ns) VALUES($1, $2, $3, $4, $5, 0, $6) ON CONFLICT DO NOTHING",
                        6, v, NULL, NULL, &changed, "cannot add the account");
  if (rc) return rc;
  return changed ? 0 : soc_pg_fail(pg, -EEXIST, "the account %s exists already", u->name);
}

int soc_pg_center_user_set(soc_pg_center *pg, const char *name, const char *hash, int64_t at_ns) {
  char at[24];
  int changed = 0;
  if (!pg || !name) return -EINVAL;
  const char *v[3] = {name, soc_pg_i64(at, at_ns), hash};
  int rc = hash ? soc_pg_write(pg,
                               "UPDATE console_user SET hash = $3, changed_ns = $2"
                               " WHERE name = $1",
                               3, v, NULL, NULL, &changed, "cannot change the password")
                : soc_pg_write(pg,
                               "UPDATE console_user SET disabled = 1, changed_ns = $2"
                               " WHERE name = $1",
                               2, v, NULL, NULL, &changed, "cannot disable the account");
  if (rc) return rc;
  return changed ? 0 : soc_pg_fail(pg, -ENOENT, "no account %s", name);
}

static int user_row(const PGresult *res, int r, void *cb, void *arg) {
  soc_console_user u = {.name = PQgetvalue(res, r, 0),
                        .hash = PQgetvalue(res, r, 1),
                        .role = PQgetvalue(res, r, 2),
                        .agency = PQgetvalue(res, r, 3),
                        .authority = SOC_PG_INT(res, r, 4),
                        .disabled = (int)SOC_PG_INT(res, r, 5),
                        .changed_ns = SOC_PG_INT(res, r, 6)};
  return ((soc_console_user_cb)cb)(arg, &u);
}

int soc_pg_center_user_get(soc_pg_center *pg, const char *name, soc_console_user_cb cb, void *arg) {
  if (!pg || !name || !cb) return -EINVAL;
  const char *v[1] = {name};
  return soc_pg_rows(pg,
                     "SELECT name, hash, role, agency, authority, disabled, changed_ns"
                     " FROM console_user WHERE name = $1",
                     1, v, 0, "the account", -ENOENT, user_row, (void *)cb, arg);
}

/* ---- the latest message of each draft or alert ---- */

static int message_row(const PGresult *res, int r, void *cb, void *arg) {
  return ((soc_console_message_cb)cb)(arg, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                                      SOC_PG_INT(res, r, 2), PQgetvalue(res, r, 3));
}

int soc_pg_center_latest_scan(soc_pg_center *pg, const char *topic, const char *id_path,
                              size_t limit, soc_console_message_cb cb, void *arg) {
  char n[24];
  if (!pg || !topic || !id_path || !cb) return -EINVAL;
  const char *v[3] = {topic, id_path, soc_pg_i64(n, (int64_t)limit)};
  /* bodies that are no JSON are left out, as json_valid does on center.db;
   * the agency as center.db gives it: enrolled, else from the heartbeats */
  return soc_pg_rows(
      pg,
      "SELECT m.agent, COALESCE(e.agency, a.agency, ''), m.received_ns, m.body FROM"
      " (SELECT DISTINCT ON (agent, jsonb_path_query_first(j, $2::jsonpath))"
      "   agent, received_ns, body, partition, \"offset\""
      "   FROM (SELECT *, soc_jsonb(body) AS j FROM message WHERE topic = $1) t"
      "   WHERE j IS NOT NULL"
      "   ORDER BY agent, jsonb_path_query_first(j, $2::jsonpath), received_ns DESC,"
      "   partition DESC, \"offset\" DESC) m"
      " LEFT JOIN enrolment e ON e.agent = m.agent LEFT JOIN agent a ON a.id = m.agent"
      " ORDER BY m.received_ns DESC LIMIT $3",
      3, v, 0, "cannot read the messages", 0, message_row, (void *)cb, arg);
}

int soc_pg_center_latest_get(soc_pg_center *pg, const char *topic, const char *id_path,
                             const char *agent, int64_t id, soc_console_message_cb cb, void *arg) {
  char n[24];
  if (!pg || !topic || !id_path || !agent || !cb) return -EINVAL;
  const char *v[4] = {topic, agent, id_path, soc_pg_i64(n, id)};
  return soc_pg_rows(
      pg,
      "SELECT m.agent, COALESCE(e.agency, a.agency, ''), m.received_ns, m.body FROM"
      " (SELECT agent, received_ns, body FROM message WHERE topic = $1 AND agent = $2"
      "   AND jsonb_path_query_first(soc_jsonb(body), $3::jsonpath) = to_jsonb($4::bigint)"
      "   ORDER BY received_ns DESC, partition DESC, \"offset\" DESC LIMIT 1) m"
      " LEFT JOIN enrolment e ON e.agent = m.agent LEFT JOIN agent a ON a.id = m.agent",
      4, v, 0, "the message", -ENOENT, message_row, (void *)cb, arg);
}

/* ---- the audit log's rows ---- */

static int head_row(const PGresult *res, int r, void *buf, void *cap) {
  const char *value = PQgetvalue(res, r, 0);
  if (strlen(value) >= *(size_t *)cap) return -ENOSPC;
  memcpy(buf, value, strlen(value) + 1);
  return 0;
}

int soc_pg_center_audit_head_get(soc_pg_center *pg, const char *key, char *buf, size_t cap) {
  char lock[24];
  if (!pg || !key || !buf || !cap) return -EINVAL;
  /* its own statement: a statement's snapshot is taken before its locks,
   * and the head must be read as the previous append committed it */
  const char *l[1] = {soc_pg_i64(lock, AUDIT_LOCK)};
  PGresult *res = NULL;
  int rc = soc_pg_query(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, l, NULL, NULL, 0,
                        PGRES_TUPLES_OK, &res, "cannot lock the audit log");
  if (rc) return rc;
  PQclear(res);
  const char *v[1] = {key};
  return soc_pg_rows(pg, "SELECT value FROM meta WHERE key = $1", 1, v, 0, "the audit head",
                     -ENOENT, head_row, buf, &cap);
}

int soc_pg_center_audit_head_set(soc_pg_center *pg, const char *key, const char *head) {
  if (!pg || !key || !head) return -EINVAL;
  const char *v[2] = {key, head};
  return soc_pg_write(pg,
                      "INSERT INTO meta(key, value) VALUES($1, $2)"
                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      2, v, NULL, NULL, NULL, "cannot record the audit head");
}

int soc_pg_center_audit_max_seq(soc_pg_center *pg, int64_t *seq) {
  if (!pg || !seq) return -EINVAL;
  PGresult *res = NULL;
  int rc = soc_pg_query(pg, "SELECT COALESCE(max(seq), 0) FROM audit", 0, NULL, NULL, NULL, 0,
                        PGRES_TUPLES_OK, &res, "cannot read the audit log");
  if (rc) return rc;
  *seq = SOC_PG_INT(res, 0, 0);
  PQclear(res);
  return 0;
}

int soc_pg_center_audit_insert(soc_pg_center *pg, const soc_audit_row *r) {
  char b[2][24];
  if (!pg || !r) return -EINVAL;
  const char *v[8] = {soc_pg_i64(b[0], r->seq),
                      soc_pg_i64(b[1], r->ts_ns),
                      r->actor,
                      r->action,
                      r->object,
                      r->details,
                      r->prev_hash,
                      r->hash};
  return soc_pg_write(pg,
                      "INSERT INTO audit(seq, ts_ns, actor, action, object, details, prev_hash,"
                      " hash) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
                      8, v, NULL, NULL, NULL, "cannot append to the audit log");
}

static int audit_row(const PGresult *res, int r, void *cb, void *arg) {
  soc_audit_row a = {.seq = SOC_PG_INT(res, r, 0),
                     .ts_ns = SOC_PG_INT(res, r, 1),
                     .actor = PQgetvalue(res, r, 2),
                     .action = PQgetvalue(res, r, 3),
                     .object = PQgetvalue(res, r, 4),
                     .details = PQgetvalue(res, r, 5),
                     .prev_hash = PQgetvalue(res, r, 6),
                     .hash = PQgetvalue(res, r, 7)};
  return ((soc_audit_row_cb)cb)(arg, &a);
}

int soc_pg_center_audit_scan(soc_pg_center *pg, int64_t after_seq, size_t limit,
                             soc_audit_row_cb cb, void *arg) {
  char b[2][24];
  if (!pg || !cb) return -EINVAL;
  /* limit 0: all (LIMIT NULL) */
  const char *v[2] = {soc_pg_i64(b[0], after_seq), limit ? soc_pg_i64(b[1], (int64_t)limit) : NULL};
  return soc_pg_rows(pg,
                     "SELECT seq, ts_ns, actor, action, object, details, prev_hash, hash"
                     " FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2::bigint",
                     2, v, 0, "cannot read the audit log", 0, audit_row, (void *)cb, arg);
}
