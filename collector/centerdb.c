/*
 * centerdb — one interface over center.db and PostgreSQL (centerdb.h).
 * Each call goes through the open back end's struct of callbacks
 * (centerdb_be.h); this file knows neither back end.
 */
#include "centerdb.h"

#include <errno.h>
#include <stdlib.h>

#include "centerdb_be.h"

struct soc_centerdb {
  const soc_centerdb_ops *ops;
  soc_centerdb_be *be; /* owned */
};

int soc_centerdb_is_pg(const soc_collector_config *cfg) { return cfg->collector.store != NULL; }

static int make(const soc_centerdb_ops *ops, soc_centerdb_be *be, soc_centerdb **out) {
  soc_centerdb *db = calloc(1, sizeof *db);
  if (!db) {
    ops->free(be);
    return -ENOMEM;
  }
  db->ops = ops;
  db->be = be;
  *out = db;
  return 0;
}

int soc_centerdb_open(const soc_collector_config *cfg, soc_centerdb **out) {
  soc_centerdb_be *be = NULL;
  const soc_centerdb_ops *ops =
      soc_centerdb_is_pg(cfg) ? &soc_centerdb_pg_ops : &soc_centerdb_sqlite_ops;
  *out = NULL;
  int result =
      soc_centerdb_is_pg(cfg) ? soc_centerdb_pg_open(cfg, &be) : soc_centerdb_sqlite_open(cfg, &be);
  return result < 0 ? result : make(ops, be, out);
}

int soc_centerdb_wrap(soc_center_store *s, soc_centerdb **out) {
  soc_centerdb_be *be = NULL;
  *out = NULL;
  int result = soc_centerdb_sqlite_borrow(s, &be);
  return result < 0 ? result : make(&soc_centerdb_sqlite_ops, be, out);
}

void soc_centerdb_free(soc_centerdb *db) {
  if (!db) return;
  db->ops->free(db->be);
  free(db);
}

const char *soc_centerdb_name(const soc_centerdb *db) { return db->ops->name; }
const char *soc_centerdb_errmsg(soc_centerdb *db) { return db->ops->errmsg(db->be); }
int soc_centerdb_begin(soc_centerdb *db) { return db->ops->begin(db->be); }
int soc_centerdb_commit(soc_centerdb *db) { return db->ops->commit(db->be); }
void soc_centerdb_rollback(soc_centerdb *db) { db->ops->rollback(db->be); }
int soc_centerdb_in_transaction(soc_centerdb *db) { return db->ops->in_transaction(db->be); }
int soc_centerdb_maintain(soc_centerdb *db, int *dropped) {
  return db->ops->maintain(db->be, dropped);
}
int soc_centerdb_flush(soc_centerdb *db, int64_t *late_dups) {
  return db->ops->flush(db->be, late_dups);
}
int soc_centerdb_event_put(soc_centerdb *db, const soc_center_origin *o, const char *id,
                           const char *agent, const char *host, const char *ts, const char *body,
                           size_t len, int *dup) {
  return db->ops->event_put(db->be, o, id, agent, host, ts, body, len, dup);
}
int soc_centerdb_message_put(soc_centerdb *db, const soc_center_origin *o, const char *agent,
                             const void *key, size_t key_len, const char *body, size_t len,
                             int *dup) {
  return db->ops->message_put(db->be, o, agent, key, key_len, body, len, dup);
}
int soc_centerdb_quarantine_put(soc_centerdb *db, const soc_center_origin *o, const void *key,
                                size_t key_len, const char *reason, const char *detail,
                                const void *payload, size_t size, int *dup) {
  return db->ops->quarantine_put(db->be, o, key, key_len, reason, detail, payload, size, dup);
}
int soc_centerdb_agent_seen(soc_centerdb *db, const soc_center_agent *a) {
  return db->ops->agent_seen(db->be, a);
}
int soc_centerdb_agent_flag(soc_centerdb *db, const char *agent, int64_t seen_ns, char *flag,
                            size_t cap) {
  return db->ops->agent_flag(db->be, agent, seen_ns, flag, cap);
}
int soc_centerdb_alert_add(soc_centerdb *db, const char *collector, const char *kind,
                           const char *message) {
  return db->ops->alert_add(db->be, collector, kind, message);
}
int soc_centerdb_counter_add(soc_centerdb *db, const char *collector, const char *name,
                             int64_t delta) {
  return db->ops->counter_add(db->be, collector, name, delta);
}
int soc_centerdb_key_of(soc_centerdb *db, const char *agent, soc_center_key_row *out) {
  return db->ops->key_of(db->be, agent, out);
}
int soc_centerdb_rotate(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns) {
  return db->ops->rotate(db->be, agent, key, at_ns);
}
int soc_centerdb_pending_seen(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns) {
  return db->ops->pending_seen(db->be, agent, key, at_ns);
}
int soc_centerdb_enrol(soc_centerdb *db, const soc_center_enrolment *e) {
  return db->ops->enrol(db->be, e);
}
int soc_centerdb_revoke(soc_centerdb *db, const char *agent, const char *by, const char *os_user,
                        int64_t at_ns) {
  return db->ops->revoke(db->be, agent, by, os_user, at_ns);
}
int soc_centerdb_alerts_scan(soc_centerdb *db, size_t limit, soc_center_alert_cb cb, void *arg) {
  return db->ops->alerts_scan(db->be, limit, cb, arg);
}
int soc_centerdb_events_count(soc_centerdb *db, const char *agent, int64_t *n) {
  return db->ops->events_count(db->be, agent, n);
}
int soc_centerdb_counters_scan(soc_centerdb *db, soc_center_counter_cb cb, void *arg) {
  return db->ops->counters_scan(db->be, cb, arg);
}
int soc_centerdb_agents_scan(soc_centerdb *db, soc_center_agent_cb cb, void *arg) {
  return db->ops->agents_scan(db->be, cb, arg);
}
int soc_centerdb_enrolments_scan(soc_centerdb *db, soc_center_enrolment_cb cb, void *arg) {
  return db->ops->enrolments_scan(db->be, cb, arg);
}
int soc_centerdb_quarantine_scan(soc_centerdb *db, size_t limit, soc_center_rejected_cb cb,
                                 void *arg) {
  return db->ops->quarantine_scan(db->be, limit, cb, arg);
}
int soc_centerdb_orphans_expire(soc_centerdb *db, int64_t before_ns, int64_t *chunks,
                                int64_t *bytes) {
  return db->ops->orphans_expire(db->be, before_ns, chunks, bytes);
}
int soc_centerdb_report_put(soc_centerdb *db, const soc_center_report *r, int *current) {
  return db->ops->report_put(db->be, r, current);
}
int soc_centerdb_report_get(soc_centerdb *db, const char *id, soc_center_report_cb cb, void *arg) {
  return db->ops->report_get(db->be, id, cb, arg);
}
int soc_centerdb_reports_scan(soc_centerdb *db, soc_center_report_cb cb, void *arg) {
  return db->ops->reports_scan(db->be, cb, arg);
}
int soc_centerdb_report_flag(soc_centerdb *db, const char *id, int64_t at_ns, const char *why) {
  return db->ops->report_flag(db->be, id, at_ns, why);
}
int soc_centerdb_notify(soc_centerdb *db, const char *report, int level, const char *who,
                        int64_t at_ns, int *fresh) {
  return db->ops->notify(db->be, report, level, who, at_ns, fresh);
}
int soc_centerdb_notifications_scan(soc_centerdb *db, const char *report, soc_center_notify_cb cb,
                                    void *arg) {
  return db->ops->notifications_scan(db->be, report, cb, arg);
}
int soc_centerdb_decision_next(soc_centerdb *db, int64_t *n) {
  return db->ops->decision_next(db->be, n);
}
int soc_centerdb_decision_put(soc_centerdb *db, int64_t n, const char *id, const char *report,
                              const char *kind, int64_t at_ns, const char *by, const char *topic,
                              const char *body) {
  return db->ops->decision_put(db->be, n, id, report, kind, at_ns, by, topic, body);
}
int soc_centerdb_decisions_pending(soc_centerdb *db, soc_center_pending_cb cb, void *arg) {
  return db->ops->decisions_pending(db->be, cb, arg);
}
int soc_centerdb_decision_delivered(soc_centerdb *db, int64_t n, int64_t at_ns) {
  return db->ops->decision_delivered(db->be, n, at_ns);
}
int soc_centerdb_decisions_scan(soc_centerdb *db, const char *report, soc_center_decision_cb cb,
                                void *arg) {
  return db->ops->decisions_scan(db->be, report, cb, arg);
}
int soc_centerdb_alert_sources(soc_centerdb *db, int64_t since_ns, soc_center_source_cb cb,
                               void *arg) {
  return db->ops->alert_sources(db->be, since_ns, cb, arg);
}
int soc_centerdb_chunk_put(soc_centerdb *db, const char *bundle, int64_t seq, int64_t offset,
                           const void *data, size_t len, int64_t received_ns, int *dup) {
  return db->ops->chunk_put(db->be, bundle, seq, offset, data, len, received_ns, dup);
}
int soc_centerdb_bundle_put(soc_centerdb *db, const char *bundle, const char *report,
                            const char *agent, int64_t chunks, int64_t size, const char *manifest,
                            int *dup) {
  return db->ops->bundle_put(db->be, bundle, report, agent, chunks, size, manifest, dup);
}
int soc_centerdb_bundle_get(soc_centerdb *db, const char *id, soc_center_bundle_cb cb, void *arg) {
  return db->ops->bundle_get(db->be, id, cb, arg);
}
int soc_centerdb_bundles_scan(soc_centerdb *db, soc_center_bundle_cb cb, void *arg) {
  return db->ops->bundles_scan(db->be, cb, arg);
}
int soc_centerdb_chunks_scan(soc_centerdb *db, const char *bundle, soc_center_chunk_cb cb,
                             void *arg) {
  return db->ops->chunks_scan(db->be, bundle, cb, arg);
}
int soc_centerdb_bundle_set(soc_centerdb *db, const char *id, const char *state, const char *path,
                            const char *reason, int64_t checked_ns) {
  return db->ops->bundle_set(db->be, id, state, path, reason, checked_ns);
}
int soc_centerdb_user_add(soc_centerdb *db, const soc_console_user *u) {
  return db->ops->user_add(db->be, u);
}
int soc_centerdb_user_set(soc_centerdb *db, const char *name, const char *hash, int64_t at_ns) {
  return db->ops->user_set(db->be, name, hash, at_ns);
}
int soc_centerdb_user_get(soc_centerdb *db, const char *name, soc_console_user_cb cb, void *arg) {
  return db->ops->user_get(db->be, name, cb, arg);
}
int soc_centerdb_latest_scan(soc_centerdb *db, const char *topic, const char *id_path, size_t limit,
                             soc_console_message_cb cb, void *arg) {
  return db->ops->latest_scan(db->be, topic, id_path, limit, cb, arg);
}
int soc_centerdb_latest_get(soc_centerdb *db, const char *topic, const char *id_path,
                            const char *agent, int64_t id, soc_console_message_cb cb, void *arg) {
  return db->ops->latest_get(db->be, topic, id_path, agent, id, cb, arg);
}
int soc_centerdb_audit_append(soc_centerdb *db, const char *actor, const char *action,
                              const char *object, const char *details_json) {
  soc_audit_log l = db->ops->audit_log(db->be);
  return soc_audit_log_append(&l, actor, action, object, details_json, NULL);
}
int soc_centerdb_audit_verify(soc_centerdb *db, soc_audit_report *report) {
  soc_audit_log l = db->ops->audit_log(db->be);
  return soc_audit_log_verify(&l, 0, NULL, report);
}
int soc_centerdb_audit_scan(soc_centerdb *db, int64_t after_seq, size_t limit, soc_audit_row_cb cb,
                            void *arg) {
  soc_audit_log l = db->ops->audit_log(db->be);
  return l.scan(l.h, after_seq, limit, cb, arg);
}
