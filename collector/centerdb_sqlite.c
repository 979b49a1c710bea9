/*
 * centerdb_sqlite — the collector's store on center.db (centerdb_be.h):
 * each callback is store.h's soc_store_center_* of the same name, on the
 * store or on its writer (the prepared statements of the ingest path).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "center.h"
#include "centerdb_be.h"

struct soc_centerdb_be {
  soc_center_store *s;  /* owned when owned is 1, else borrowed */
  soc_center_writer *w; /* owned */
  int owned;
};

static void sq_free(soc_centerdb_be *b) {
  if (!b) return;
  soc_store_center_writer_free(b->w);
  if (b->owned) soc_center_store_close(b->s);
  free(b);
}

/* Every event is known at once on center.db: nothing waits for a flush. */
static int sq_flush(soc_centerdb_be *b, int64_t *late_dups) {
  (void)b;
  *late_dups = 0;
  return 0;
}

/* Retention by partition is PostgreSQL's; center.db keeps its events. */
static int sq_maintain(soc_centerdb_be *b, int *dropped) {
  (void)b;
  *dropped = 0;
  return 0;
}

static const char *sq_errmsg(soc_centerdb_be *b) { return soc_center_store_errmsg(b->s); }
static int sq_begin(soc_centerdb_be *b) { return soc_center_store_begin(b->s); }
static int sq_commit(soc_centerdb_be *b) { return soc_center_store_commit(b->s); }
static void sq_rollback(soc_centerdb_be *b) { soc_center_store_rollback(b->s); }
static int sq_in_transaction(soc_centerdb_be *b) { return soc_center_store_in_transaction(b->s); }
static int sq_event_put(soc_centerdb_be *b, const soc_center_origin *o, const char *id,
                        const char *agent, const char *host, const char *ts, const char *body,
                        size_t len, int *dup) {
  return soc_store_center_event_put(b->w, o, id, agent, host, ts, body, len, dup);
}
static int sq_message_put(soc_centerdb_be *b, const soc_center_origin *o, const char *agent,
                          const void *key, size_t key_len, const char *body, size_t len, int *dup) {
  return soc_store_center_message_put(b->w, o, agent, key, key_len, body, len, dup);
}
static int sq_quarantine_put(soc_centerdb_be *b, const soc_center_origin *o, const void *key,
                             size_t key_len, const char *reason, const char *detail,
                             const void *payload, size_t size, int *dup) {
  return soc_store_center_quarantine_put(b->w, o, key, key_len, reason, detail, payload, size, dup);
}
static int sq_agent_seen(soc_centerdb_be *b, const soc_center_agent *a) {
  return soc_store_center_agent_seen(b->w, a);
}
static int sq_agent_flag(soc_centerdb_be *b, const char *agent, int64_t seen_ns, char *flag,
                         size_t cap) {
  return soc_store_center_agent_flag(b->s, agent, seen_ns, flag, cap);
}
static int sq_alert_add(soc_centerdb_be *b, const char *collector, const char *kind,
                        const char *message) {
  return soc_store_center_alert_add(b->s, collector, kind, message);
}
static int sq_counter_add(soc_centerdb_be *b, const char *collector, const char *name,
                          int64_t delta) {
  return soc_store_center_counter_add(b->w, collector, name, delta);
}
static int sq_key_of(soc_centerdb_be *b, const char *agent, soc_center_key_row *out) {
  return soc_store_center_key_of(b->w, agent, out);
}
static int sq_rotate(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns) {
  return soc_store_center_rotate(b->w, agent, key, at_ns);
}
static int sq_pending_seen(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns) {
  return soc_store_center_pending_seen(b->w, agent, key, at_ns);
}
static int sq_enrol(soc_centerdb_be *b, const soc_center_enrolment *e) {
  return soc_store_center_enrol(b->s, e);
}
static int sq_revoke(soc_centerdb_be *b, const char *agent, const char *by, const char *os_user,
                     int64_t at_ns) {
  return soc_store_center_revoke(b->s, agent, by, os_user, at_ns);
}
static int sq_alerts_scan(soc_centerdb_be *b, size_t limit, soc_center_alert_cb cb, void *arg) {
  return soc_store_center_alerts_scan(b->s, limit, cb, arg);
}
static int sq_events_count(soc_centerdb_be *b, const char *agent, int64_t *n) {
  return soc_store_center_events_count(b->s, agent, n);
}
static int sq_counters_scan(soc_centerdb_be *b, soc_center_counter_cb cb, void *arg) {
  return soc_store_center_counters_scan(b->s, cb, arg);
}
static int sq_agents_scan(soc_centerdb_be *b, soc_center_agent_cb cb, void *arg) {
  return soc_store_center_agents_scan(b->s, cb, arg);
}
static int sq_enrolments_scan(soc_centerdb_be *b, soc_center_enrolment_cb cb, void *arg) {
  return soc_store_center_enrolments_scan(b->s, cb, arg);
}
static int sq_quarantine_scan(soc_centerdb_be *b, size_t limit, soc_center_rejected_cb cb,
                              void *arg) {
  return soc_store_center_quarantine_scan(b->s, limit, cb, arg);
}
static int sq_orphans_expire(soc_centerdb_be *b, int64_t before_ns, int64_t *chunks,
                             int64_t *bytes) {
  return soc_store_center_orphans_expire(b->s, before_ns, chunks, bytes);
}
static int sq_report_put(soc_centerdb_be *b, const soc_center_report *r, int *current) {
  return soc_store_center_report_put(b->s, r, current);
}
static int sq_report_get(soc_centerdb_be *b, const char *id, soc_center_report_cb cb, void *arg) {
  return soc_store_center_report_get(b->s, id, cb, arg);
}
static int sq_reports_scan(soc_centerdb_be *b, soc_center_report_cb cb, void *arg) {
  return soc_store_center_reports_scan(b->s, cb, arg);
}
static int sq_report_flag(soc_centerdb_be *b, const char *id, int64_t at_ns, const char *why) {
  return soc_store_center_report_flag(b->s, id, at_ns, why);
}
static int sq_notify(soc_centerdb_be *b, const char *report, int level, const char *who,
                     int64_t at_ns, int *fresh) {
  return soc_store_center_notify(b->s, report, level, who, at_ns, fresh);
}
static int sq_notifications_scan(soc_centerdb_be *b, const char *report, soc_center_notify_cb cb,
                                 void *arg) {
  return soc_store_center_notifications_scan(b->s, report, cb, arg);
}
static int sq_decision_next(soc_centerdb_be *b, int64_t *n) {
  return soc_store_center_decision_next(b->s, n);
}
static int sq_decision_put(soc_centerdb_be *b, int64_t n, const char *id, const char *report,
                           const char *kind, int64_t at_ns, const char *by, const char *topic,
                           const char *body) {
  return soc_store_center_decision_put(b->s, n, id, report, kind, at_ns, by, topic, body);
}
static int sq_decisions_pending(soc_centerdb_be *b, soc_center_pending_cb cb, void *arg) {
  return soc_store_center_decisions_pending(b->s, cb, arg);
}
static int sq_decision_delivered(soc_centerdb_be *b, int64_t n, int64_t at_ns) {
  return soc_store_center_decision_delivered(b->s, n, at_ns);
}
static int sq_decisions_scan(soc_centerdb_be *b, const char *report, soc_center_decision_cb cb,
                             void *arg) {
  return soc_store_center_decisions_scan(b->s, report, cb, arg);
}
static int sq_alert_sources(soc_centerdb_be *b, int64_t since_ns, soc_center_source_cb cb,
                            void *arg) {
  return soc_store_center_alert_sources(b->s, since_ns, cb, arg);
}
static int sq_chunk_put(soc_centerdb_be *b, const char *bundle, int64_t seq, int64_t offset,
                        const void *data, size_t len, int64_t received_ns, int *dup) {
  return soc_store_center_chunk_put(b->s, bundle, seq, offset, data, len, received_ns, dup);
}
static int sq_bundle_put(soc_centerdb_be *b, const char *bundle, const char *report,
                         const char *agent, int64_t chunks, int64_t size, const char *manifest,
                         int *dup) {
  return soc_store_center_bundle_put(b->s, bundle, report, agent, chunks, size, manifest, dup);
}
static int sq_bundle_get(soc_centerdb_be *b, const char *id, soc_center_bundle_cb cb, void *arg) {
  return soc_store_center_bundle_get(b->s, id, cb, arg);
}
static int sq_bundles_scan(soc_centerdb_be *b, soc_center_bundle_cb cb, void *arg) {
  return soc_store_center_bundles_scan(b->s, cb, arg);
}
static int sq_chunks_scan(soc_centerdb_be *b, const char *bundle, soc_center_chunk_cb cb,
                          void *arg) {
  return soc_store_center_chunks_scan(b->s, bundle, cb, arg);
}
static int sq_bundle_set(soc_centerdb_be *b, const char *id, const char *state, const char *path,
                         const char *reason, int64_t checked_ns) {
  return soc_store_center_bundle_set(b->s, id, state, path, reason, checked_ns);
}
static int sq_user_add(soc_centerdb_be *b, const soc_console_user *u) {
  return soc_store_console_user_add(b->s, u);
}
static int sq_user_set(soc_centerdb_be *b, const char *name, const char *hash, int64_t at_ns) {
  return soc_store_console_user_set(b->s, name, hash, at_ns);
}
static int sq_user_get(soc_centerdb_be *b, const char *name, soc_console_user_cb cb, void *arg) {
  return soc_store_console_user_get(b->s, name, cb, arg);
}
static int sq_latest_scan(soc_centerdb_be *b, const char *topic, const char *id_path, size_t limit,
                          soc_console_message_cb cb, void *arg) {
  return soc_store_console_latest_scan(b->s, topic, id_path, limit, cb, arg);
}
static int sq_latest_get(soc_centerdb_be *b, const char *topic, const char *id_path,
                         const char *agent, int64_t id, soc_console_message_cb cb, void *arg) {
  return soc_store_console_latest_get(b->s, topic, id_path, agent, id, cb, arg);
}
static soc_audit_log sq_audit_log(soc_centerdb_be *b) {
  return soc_audit_store_log(soc_center_store_audit_log(b->s));
}

const soc_centerdb_ops soc_centerdb_sqlite_ops = {
    .name = "center.db",
    .free = sq_free,
    .flush = sq_flush,
    .maintain = sq_maintain,
    .errmsg = sq_errmsg,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .event_put = sq_event_put,
    .message_put = sq_message_put,
    .quarantine_put = sq_quarantine_put,
    .agent_seen = sq_agent_seen,
    .agent_flag = sq_agent_flag,
    .alert_add = sq_alert_add,
    .counter_add = sq_counter_add,
    .key_of = sq_key_of,
    .rotate = sq_rotate,
    .pending_seen = sq_pending_seen,
    .enrol = sq_enrol,
    .revoke = sq_revoke,
    .alerts_scan = sq_alerts_scan,
    .events_count = sq_events_count,
    .counters_scan = sq_counters_scan,
    .agents_scan = sq_agents_scan,
    .enrolments_scan = sq_enrolments_scan,
    .quarantine_scan = sq_quarantine_scan,
    .orphans_expire = sq_orphans_expire,
    .report_put = sq_report_put,
    .report_get = sq_report_get,
    .reports_scan = sq_reports_scan,
    .report_flag = sq_report_flag,
    .notify = sq_notify,
    .notifications_scan = sq_notifications_scan,
    .decision_next = sq_decision_next,
    .decision_put = sq_decision_put,
    .decisions_pending = sq_decisions_pending,
    .decision_delivered = sq_decision_delivered,
    .decisions_scan = sq_decisions_scan,
    .alert_sources = sq_alert_sources,
    .chunk_put = sq_chunk_put,
    .bundle_put = sq_bundle_put,
    .bundle_get = sq_bundle_get,
    .bundles_scan = sq_bundles_scan,
    .chunks_scan = sq_chunks_scan,
    .bundle_set = sq_bundle_set,
    .user_add = sq_user_add,
    .user_set = sq_user_set,
    .user_get = sq_user_get,
    .latest_scan = sq_latest_scan,
    .latest_get = sq_latest_get,
    .audit_log = sq_audit_log,
};

int soc_centerdb_sqlite_borrow(soc_center_store *s, soc_centerdb_be **out) {
  int result = -ENOMEM;
  soc_centerdb_be *b = calloc(1, sizeof *b);
  *out = NULL;
  if (!b) goto out;
  b->s = s;
  if ((result = soc_store_center_writer_new(s, &b->w)) < 0) {
    fprintf(stderr, "soccollector: %s\n", soc_center_store_errmsg(s));
    goto out;
  }
  *out = b;
  b = NULL;
out:
  sq_free(b);
  return result;
}

int soc_centerdb_sqlite_open(const soc_collector_config *cfg, soc_centerdb_be **out) {
  soc_center_store *s = NULL;
  int result = soc_center_open(cfg, &s);
  if (!result) result = soc_centerdb_sqlite_borrow(s, out);
  if (result)
    soc_center_store_close(s);
  else
    (*out)->owned = 1;
  return result;
}
