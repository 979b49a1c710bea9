/*
 * store_console — the console's accounts and the messages it lists in center.db
 * (see soc/store.h). Off the hot path: statements are prepared per call.
 */
#include <errno.h>

#include "store_internal.h"

int soc_store_console_user_add(soc_center_store *c, const soc_console_user *u) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int changed = 0;
  int rc =
      soc_store_prep(s, &st, "cannot add the account",
                     "INSERT OR IGNORE INTO console_user(name, hash, role, agency, authority,"
                     " disabled, changed_ns) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                     "ssssii", u->name, u->hash, u->role, u->agency, u->authority, u->changed_ns);
  if (rc < 0) return rc;
  rc = soc_store_done(s, st, "cannot add the account", &changed);
  if (rc < 0) return rc;
  return changed ? 0 : -EEXIST;
}

int soc_store_console_user_set(soc_center_store *c, const char *name, const char *hash,
                               int64_t at_ns) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int changed = 0;
  int rc = hash ? soc_store_prep(s, &st, "cannot change the password",
                                 "UPDATE console_user SET hash = ?2, changed_ns = ?3"
                                 " WHERE name = ?1",
                                 "ssi", name, hash, at_ns)
                : soc_store_prep(s, &st, "cannot disable the account",
                                 "UPDATE console_user SET disabled = 1, changed_ns = ?2"
                                 " WHERE name = ?1",
                                 "si", name, at_ns);
  if (rc < 0) return rc;
  rc = soc_store_done(s, st, "cannot change the account", &changed);
  if (rc < 0) return rc;
  return changed ? 0 : -ENOENT;
}

static int user_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_console_user u = {.name = soc_store_text(st, 0),
                        .hash = soc_store_text(st, 1),
                        .role = soc_store_text(st, 2),
                        .agency = soc_store_text(st, 3),
                        .authority = sqlite3_column_int64(st, 4),
                        .disabled = sqlite3_column_int(st, 5),
                        .changed_ns = sqlite3_column_int64(st, 6)};
  return ((soc_console_user_cb)cb)(arg, &u);
}

int soc_store_console_user_get(soc_center_store *c, const char *name, soc_console_user_cb cb,
                               void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(s, &st, "cannot read the account",
                          "SELECT name, hash, role, agency, authority, disabled, changed_ns"
                          " FROM console_user WHERE name = ?1",
                          "s", name);
  if (rc < 0) return rc;
  return soc_store_rows(s, st, "cannot read the account", -ENOENT, user_row, (void *)cb, arg);
}

static int message_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_console_message_cb)cb)(arg, soc_store_text(st, 0), soc_store_text(st, 1),
                                      sqlite3_column_int64(st, 2), soc_store_text(st, 3));
}

int soc_store_console_latest_scan(soc_center_store *c, const char *topic, const char *id_path,
                                  size_t limit, soc_console_message_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(
      s, &st, "cannot read the messages",
      "SELECT m.agent, COALESCE(e.agency, a.agency, ''), m.received_ns, m.body FROM message m"
      " LEFT JOIN enrolment e ON e.agent = m.agent LEFT JOIN agent a ON a.id = m.agent"
      " WHERE m.rowid IN (SELECT max(rowid) FROM message WHERE topic = ?1 AND json_valid(body)"
      "   GROUP BY agent, json_extract(body, ?2))"
      " ORDER BY m.received_ns DESC LIMIT ?3",
      "ssi", topic, id_path, (int64_t)limit);
  if (rc < 0) return rc;
  return soc_store_rows(s, st, "cannot read the messages", 0, message_row, (void *)cb, arg);
}

int soc_store_console_latest_get(soc_center_store *c, const char *topic, const char *id_path,
                                 const char *agent, int64_t id, soc_console_message_cb cb,
                                 void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(
      s, &st, "cannot read the message",
      "SELECT m.agent, COALESCE(e.agency, a.agency, ''), m.received_ns, m.body FROM message m"
      " LEFT JOIN enrolment e ON e.agent = m.agent LEFT JOIN agent a ON a.id = m.agent"
      " WHERE m.rowid = (SELECT max(rowid) FROM message WHERE topic = ?1 AND agent = ?2"
      "   AND json_valid(body) AND json_extract(body, ?3) = ?4)",
      "sssi", topic, agent, id_path, id);
  if (rc < 0) return rc;
  return soc_store_rows(s, st, "cannot read the message", -ENOENT, message_row, (void *)cb, arg);
}
