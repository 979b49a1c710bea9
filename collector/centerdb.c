/*
 * centerdb — one interface over center.db and PostgreSQL (centerdb.h).
 * Each call goes to whichever back end is open; neither knows the other.
 */
#include "centerdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center.h"
#include "soc/pg_center.h"

struct soc_centerdb {
  soc_center_store *s;  /* owned: center.db, or NULL */
  soc_center_writer *w; /* owned, with s */
  soc_pg_center *pg;    /* owned: PostgreSQL, or NULL */
};

int soc_centerdb_is_pg(const soc_collector_config *cfg) { return cfg->collector.store != NULL; }

int soc_centerdb_open(const soc_collector_config *cfg, soc_centerdb **out) {
  int result = -ENOMEM;
  char err[600];
  soc_centerdb *db = calloc(1, sizeof *db);
  *out = NULL;
  if (!db) goto out;
  if (soc_centerdb_is_pg(cfg)) {
    result = soc_pg_center_open(cfg->collector.store, cfg->collector.retention, &db->pg, err,
                                sizeof err);
    if (result < 0) fprintf(stderr, "soccollector: collector.store: %s\n", err);
  } else {
    result = soc_center_open(cfg, &db->s);
    if (!result && (result = soc_store_center_writer_new(db->s, &db->w)) < 0)
      fprintf(stderr, "soccollector: %s\n", soc_center_store_errmsg(db->s));
  }
  if (result < 0) goto out;
  *out = db;
  db = NULL;
out:
  soc_centerdb_free(db);
  return result;
}

void soc_centerdb_free(soc_centerdb *db) {
  if (!db) return;
  soc_store_center_writer_free(db->w);
  soc_center_store_close(db->s);
  soc_pg_center_free(db->pg);
  free(db);
}

soc_center_store *soc_centerdb_sqlite(soc_centerdb *db) { return db ? db->s : NULL; }

const char *soc_centerdb_errmsg(soc_centerdb *db) {
  return db->pg ? soc_pg_center_errmsg(db->pg) : soc_center_store_errmsg(db->s);
}

int soc_centerdb_begin(soc_centerdb *db) {
  return db->pg ? soc_pg_center_begin(db->pg) : soc_center_store_begin(db->s);
}

int soc_centerdb_commit(soc_centerdb *db) {
  return db->pg ? soc_pg_center_commit(db->pg) : soc_center_store_commit(db->s);
}

void soc_centerdb_rollback(soc_centerdb *db) {
  if (db->pg)
    soc_pg_center_rollback(db->pg);
  else
    soc_center_store_rollback(db->s);
}

int soc_centerdb_flush(soc_centerdb *db, int64_t *late_dups) {
  *late_dups = 0;
  return db->pg ? soc_pg_center_flush(db->pg, late_dups) : 0;
}

int soc_centerdb_maintain(soc_centerdb *db, int *dropped) {
  *dropped = 0;
  return db->pg ? soc_pg_center_maintain(db->pg, dropped) : 0;
}

int soc_centerdb_event_put(soc_centerdb *db, const soc_center_origin *o, const char *id,
                           const char *agent, const char *host, const char *ts, const char *body,
                           size_t len, int *dup) {
  return db->pg ? soc_pg_center_event_put(db->pg, o, id, agent, host, ts, body, len, dup)
                : soc_store_center_event_put(db->w, o, id, agent, host, ts, body, len, dup);
}

int soc_centerdb_message_put(soc_centerdb *db, const soc_center_origin *o, const char *agent,
                             const void *key, size_t key_len, const char *body, size_t len,
                             int *dup) {
  return db->pg ? soc_pg_center_message_put(db->pg, o, agent, key, key_len, body, len, dup)
                : soc_store_center_message_put(db->w, o, agent, key, key_len, body, len, dup);
}

int soc_centerdb_quarantine_put(soc_centerdb *db, const soc_center_origin *o, const void *key,
                                size_t key_len, const char *reason, const char *detail,
                                const void *payload, size_t size, int *dup) {
  return db->pg ? soc_pg_center_quarantine_put(db->pg, o, key, key_len, reason, detail, payload,
                                               size, dup)
                : soc_store_center_quarantine_put(db->w, o, key, key_len, reason, detail, payload,
                                                  size, dup);
}

int soc_centerdb_agent_seen(soc_centerdb *db, const soc_center_agent *a) {
  return db->pg ? soc_pg_center_agent_seen(db->pg, a) : soc_store_center_agent_seen(db->w, a);
}

int soc_centerdb_agent_flag(soc_centerdb *db, const char *agent, int64_t seen_ns, char *flag,
                            size_t cap) {
  return db->pg ? soc_pg_center_agent_flag(db->pg, agent, seen_ns, flag, cap)
                : soc_store_center_agent_flag(db->s, agent, seen_ns, flag, cap);
}

int soc_centerdb_alert_add(soc_centerdb *db, const char *collector, const char *kind,
                           const char *message) {
  return db->pg ? soc_pg_center_alert_add(db->pg, collector, kind, message)
                : soc_store_center_alert_add(db->s, collector, kind, message);
}

int soc_centerdb_counter_add(soc_centerdb *db, const char *collector, const char *name,
                             int64_t delta) {
  return db->pg ? soc_pg_center_counter_add(db->pg, collector, name, delta)
                : soc_store_center_counter_add(db->w, collector, name, delta);
}

int soc_centerdb_key_of(soc_centerdb *db, const char *agent, soc_center_key_row *out) {
  return db->pg ? soc_pg_center_key_of(db->pg, agent, out)
                : soc_store_center_key_of(db->w, agent, out);
}

int soc_centerdb_rotate(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns) {
  return db->pg ? soc_pg_center_rotate(db->pg, agent, key, at_ns)
                : soc_store_center_rotate(db->w, agent, key, at_ns);
}

int soc_centerdb_pending_seen(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns) {
  return db->pg ? soc_pg_center_pending_seen(db->pg, agent, key, at_ns)
                : soc_store_center_pending_seen(db->w, agent, key, at_ns);
}

int soc_centerdb_enrol(soc_centerdb *db, const soc_center_enrolment *e) {
  return db->pg ? soc_pg_center_enrol(db->pg, e) : soc_store_center_enrol(db->s, e);
}

int soc_centerdb_events_count(soc_centerdb *db, const char *agent, int64_t *n) {
  return db->pg ? soc_pg_center_events_count(db->pg, agent, n)
                : soc_store_center_events_count(db->s, agent, n);
}

int soc_centerdb_counters_scan(soc_centerdb *db, soc_center_counter_cb cb, void *arg) {
  return db->pg ? soc_pg_center_counters_scan(db->pg, cb, arg)
                : soc_store_center_counters_scan(db->s, cb, arg);
}

int soc_centerdb_agents_scan(soc_centerdb *db, soc_center_agent_cb cb, void *arg) {
  return db->pg ? soc_pg_center_agents_scan(db->pg, cb, arg)
                : soc_store_center_agents_scan(db->s, cb, arg);
}

int soc_centerdb_enrolments_scan(soc_centerdb *db, soc_center_enrolment_cb cb, void *arg) {
  return db->pg ? soc_pg_center_enrolments_scan(db->pg, cb, arg)
                : soc_store_center_enrolments_scan(db->s, cb, arg);
}

int soc_centerdb_quarantine_scan(soc_centerdb *db, size_t limit, soc_center_rejected_cb cb,
                                 void *arg) {
  return db->pg ? soc_pg_center_quarantine_scan(db->pg, limit, cb, arg)
                : soc_store_center_quarantine_scan(db->s, limit, cb, arg);
}

int soc_centerdb_revoke(soc_centerdb *db, const char *agent, const char *by, const char *os_user,
                        int64_t at_ns) {
  return db->pg ? soc_pg_center_revoke(db->pg, agent, by, os_user, at_ns)
                : soc_store_center_revoke(db->s, agent, by, os_user, at_ns);
}

int soc_centerdb_alerts_scan(soc_centerdb *db, size_t limit, soc_center_alert_cb cb, void *arg) {
  return db->pg ? soc_pg_center_alerts_scan(db->pg, limit, cb, arg)
                : soc_store_center_alerts_scan(db->s, limit, cb, arg);
}
