/*
 * centerdb_pg — the collector's store on PostgreSQL (centerdb_be.h): each
 * callback is pg_center.h's soc_pg_center_* of the same name; the audit
 * log is audit.c's chain over pg_center's rows (audit.h's soc_audit_log).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "centerdb_be.h"
#include "soc/pg_center.h"

struct soc_centerdb_be {
  soc_pg_center *pg; /* owned */
};

static void pg_free(soc_centerdb_be *b) {
  if (!b) return;
  soc_pg_center_free(b->pg);
  free(b);
}

static const char *pg_errmsg(soc_centerdb_be *b) { return soc_pg_center_errmsg(b->pg); }
static int pg_begin(soc_centerdb_be *b) { return soc_pg_center_begin(b->pg); }
static int pg_commit(soc_centerdb_be *b) { return soc_pg_center_commit(b->pg); }
static void pg_rollback(soc_centerdb_be *b) { soc_pg_center_rollback(b->pg); }
static int pg_in_transaction(soc_centerdb_be *b) { return soc_pg_center_in_transaction(b->pg); }
static int pg_flush(soc_centerdb_be *b, int64_t *late_dups) {
  return soc_pg_center_flush(b->pg, late_dups);
}
static int pg_maintain(soc_centerdb_be *b, int *dropped) {
  return soc_pg_center_maintain(b->pg, dropped);
}
static int pg_event_put(soc_centerdb_be *b, const soc_center_origin *o, const char *id,
                        const char *agent, const char *host, const char *ts, const char *body,
                        size_t len, int *dup) {
  return soc_pg_center_event_put(b->pg, o, id, agent, host, ts, body, len, dup);
}
static int pg_message_put(soc_centerdb_be *b, const soc_center_origin *o, const char *agent,
                          const void *key, size_t key_len, const char *body, size_t len, int *dup) {
  return soc_pg_center_message_put(b->pg, o, agent, key, key_len, body, len, dup);
}
static int pg_quarantine_put(soc_centerdb_be *b, const soc_center_origin *o, const void *key,
                             size_t key_len, const char *reason, const char *detail,
                             const void *payload, size_t size, int *dup) {
  return soc_pg_center_quarantine_put(b->pg, o, key, key_len, reason, detail, payload, size, dup);
}
static int pg_agent_seen(soc_centerdb_be *b, const soc_center_agent *a) {
  return soc_pg_center_agent_seen(b->pg, a);
}
static int pg_agent_flag(soc_centerdb_be *b, const char *agent, int64_t seen_ns, char *flag,
                         size_t cap) {
  return soc_pg_center_agent_flag(b->pg, agent, seen_ns, flag, cap);
}
static int pg_alert_add(soc_centerdb_be *b, const char *collector, const char *kind,
                        const char *message) {
  return soc_pg_center_alert_add(b->pg, collector, kind, message);
}
static int pg_counter_add(soc_centerdb_be *b, const char *collector, const char *name,
                          int64_t delta) {
  return soc_pg_center_counter_add(b->pg, collector, name, delta);
}
static int pg_key_of(soc_centerdb_be *b, const char *agent, soc_center_key_row *out) {
  return soc_pg_center_key_of(b->pg, agent, out);
}
static int pg_rotate(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns) {
  return soc_pg_center_rotate(b->pg, agent, key, at_ns);
}
static int pg_pending_seen(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns) {
  return soc_pg_center_pending_seen(b->pg, agent, key, at_ns);
}
static int pg_enrol(soc_centerdb_be *b, const soc_center_enrolment *e) {
  return soc_pg_center_enrol(b->pg, e);
}
static int pg_revoke(soc_centerdb_be *b, const char *agent, const char *by, const char *os_user,
                     int64_t at_ns) {
  return soc_pg_center_revoke(b->pg, agent, by, os_user, at_ns);
}
static int pg_alerts_scan(soc_centerdb_be *b, size_t limit, soc_center_alert_cb cb, void *arg) {
  return soc_pg_center_alerts_scan(b->pg, limit, cb, arg);
}
static int pg_events_count(soc_centerdb_be *b, const char *agent, int64_t *n) {
  return soc_pg_center_events_count(b->pg, agent, n);
}
static int pg_counters_scan(soc_centerdb_be *b, soc_center_counter_cb cb, void *arg) {
  return soc_pg_center_counters_scan(b->pg, cb, arg);
}
static int pg_agents_scan(soc_centerdb_be *b, soc_center_agent_cb cb, void *arg) {
  return soc_pg_center_agents_scan(b->pg, cb, arg);
}
static int pg_enrolments_scan(soc_centerdb_be *b, soc_center_enrolment_cb cb, void *arg) {
  return soc_pg_center_enrolments_scan(b->pg, cb, arg);
}
static int pg_quarantine_scan(soc_centerdb_be *b, size_t limit, soc_center_rejected_cb cb,
                              void *arg) {
  return soc_pg_center_quarantine_scan(b->pg, limit, cb, arg);
}
static int pg_orphans_expire(soc_centerdb_be *b, int64_t before_ns, int64_t *chunks,
                             int64_t *bytes) {
  return soc_pg_center_orphans_expire(b->pg, before_ns, chunks, bytes);
}
static int pg_report_put(soc_centerdb_be *b, const soc_center_report *r, int *current) {
  return soc_pg_center_report_put(b->pg, r, current);
}
static int pg_report_get(soc_centerdb_be *b, const char *id, soc_center_report_cb cb, void *arg) {
  return soc_pg_center_report_get(b->pg, id, cb, arg);
}
static int pg_reports_scan(soc_centerdb_be *b, soc_center_report_cb cb, void *arg) {
  return soc_pg_center_reports_scan(b->pg, cb, arg);
}
static int pg_report_flag(soc_centerdb_be *b, const char *id, int64_t at_ns, const char *why) {
  return soc_pg_center_report_flag(b->pg, id, at_ns, why);
}
static int pg_notify(soc_centerdb_be *b, const char *report, int level, const char *who,
                     int64_t at_ns, int *fresh) {
  return soc_pg_center_notify(b->pg, report, level, who, at_ns, fresh);
}
static int pg_notifications_scan(soc_centerdb_be *b, const char *report, soc_center_notify_cb cb,
                                 void *arg) {
  return soc_pg_center_notifications_scan(b->pg, report, cb, arg);
}
static int pg_decision_next(soc_centerdb_be *b, int64_t *n) {
  return soc_pg_center_decision_next(b->pg, n);
}
static int pg_decision_put(soc_centerdb_be *b, int64_t n, const char *id, const char *report,
                           const char *kind, int64_t at_ns, const char *by, const char *topic,
                           const char *body) {
  return soc_pg_center_decision_put(b->pg, n, id, report, kind, at_ns, by, topic, body);
}
static int pg_decisions_pending(soc_centerdb_be *b, soc_center_pending_cb cb, void *arg) {
  return soc_pg_center_decisions_pending(b->pg, cb, arg);
}
static int pg_decision_delivered(soc_centerdb_be *b, int64_t n, int64_t at_ns) {
  return soc_pg_center_decision_delivered(b->pg, n, at_ns);
}
static int pg_decisions_scan(soc_centerdb_be *b, const char *report, soc_center_decision_cb cb,
                             void *arg) {
  return soc_pg_center_decisions_scan(b->pg, report, cb, arg);
}
static int pg_alert_sources(soc_centerdb_be *b, int64_t since_ns, soc_center_source_cb cb,
                            void *arg) {
  return soc_pg_center_alert_sources(b->pg, since_ns, cb, arg);
}
static int pg_chunk_put(soc_centerdb_be *b, const char *bundle, int64_t seq, int64_t offset,
                        const void *data, size_t len, int64_t received_ns, int *dup) {
  return soc_pg_center_chunk_put(b->pg, bundle, seq, offset, data, len, received_ns, dup);
}
static int pg_bundle_put(soc_centerdb_be *b, const char *bundle, const char *report,
                         const char *agent, int64_t chunks, int64_t size, const char *manifest,
                         int *dup) {
  return soc_pg_center_bundle_put(b->pg, bundle, report, agent, chunks, size, manifest, dup);
}
static int pg_bundle_get(soc_centerdb_be *b, const char *id, soc_center_bundle_cb cb, void *arg) {
  return soc_pg_center_bundle_get(b->pg, id, cb, arg);
}
static int pg_bundles_scan(soc_centerdb_be *b, soc_center_bundle_cb cb, void *arg) {
  return soc_pg_center_bundles_scan(b->pg, cb, arg);
}
static int pg_chunks_scan(soc_centerdb_be *b, const char *bundle, soc_center_chunk_cb cb,
                          void *arg) {
  return soc_pg_center_chunks_scan(b->pg, bundle, cb, arg);
}
static int pg_bundle_set(soc_centerdb_be *b, const char *id, const char *state, const char *path,
                         const char *reason, int64_t checked_ns) {
  return soc_pg_center_bundle_set(b->pg, id, state, path, reason, checked_ns);
}
static int pg_user_add(soc_centerdb_be *b, const soc_console_user *u) {
  return soc_pg_center_user_add(b->pg, u);
}
static int pg_user_set(soc_centerdb_be *b, const char *name, const char *hash, int64_t at_ns) {
  return soc_pg_center_user_set(b->pg, name, hash, at_ns);
}
static int pg_user_get(soc_centerdb_be *b, const char *name, soc_console_user_cb cb, void *arg) {
  return soc_pg_center_user_get(b->pg, name, cb, arg);
}
static int pg_latest_scan(soc_centerdb_be *b, const char *topic, const char *id_path, size_t limit,
                          soc_console_message_cb cb, void *arg) {
  return soc_pg_center_latest_scan(b->pg, topic, id_path, limit, cb, arg);
}
static int pg_latest_get(soc_centerdb_be *b, const char *topic, const char *id_path,
                         const char *agent, int64_t id, soc_console_message_cb cb, void *arg) {
  return soc_pg_center_latest_get(b->pg, topic, id_path, agent, id, cb, arg);
}

/* ---- the audit log: audit.c's chain over pg_center's rows ---- */

static int al_in_transaction(void *h) { return soc_pg_center_in_transaction(h); }
static int al_begin(void *h) { return soc_pg_center_begin(h); }
static int al_read_begin(void *h) { return soc_pg_center_read_begin(h); }
static int al_commit(void *h) { return soc_pg_center_commit(h); }
static void al_rollback(void *h) { soc_pg_center_rollback(h); }
static int al_head_get(void *h, char *buf, size_t cap) {
  return soc_pg_center_audit_head_get(h, SOC_AUDIT_HEAD_KEY, buf, cap);
}
static int al_head_set(void *h, const char *head) {
  return soc_pg_center_audit_head_set(h, SOC_AUDIT_HEAD_KEY, head);
}
static int al_max_seq(void *h, int64_t *seq) { return soc_pg_center_audit_max_seq(h, seq); }
static int al_insert(void *h, const soc_audit_row *r) { return soc_pg_center_audit_insert(h, r); }
static int al_scan(void *h, int64_t after_seq, size_t limit, soc_audit_row_cb cb, void *arg) {
  return soc_pg_center_audit_scan(h, after_seq, limit, cb, arg);
}
static soc_audit_log pg_audit_log(soc_centerdb_be *b) {
  return (soc_audit_log){.h = b->pg,
                         .in_transaction = al_in_transaction,
                         .begin = al_begin,
                         .read_begin = al_read_begin,
                         .commit = al_commit,
                         .rollback = al_rollback,
                         .head_get = al_head_get,
                         .head_set = al_head_set,
                         .max_seq = al_max_seq,
                         .insert = al_insert,
                         .scan = al_scan};
}

const soc_centerdb_ops soc_centerdb_pg_ops = {
    .name = "PostgreSQL",
    .free = pg_free,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .flush = pg_flush,
    .maintain = pg_maintain,
    .event_put = pg_event_put,
    .message_put = pg_message_put,
    .quarantine_put = pg_quarantine_put,
    .agent_seen = pg_agent_seen,
    .agent_flag = pg_agent_flag,
    .alert_add = pg_alert_add,
    .counter_add = pg_counter_add,
    .key_of = pg_key_of,
    .rotate = pg_rotate,
    .pending_seen = pg_pending_seen,
    .enrol = pg_enrol,
    .revoke = pg_revoke,
    .alerts_scan = pg_alerts_scan,
    .events_count = pg_events_count,
    .counters_scan = pg_counters_scan,
    .agents_scan = pg_agents_scan,
    .enrolments_scan = pg_enrolments_scan,
    .quarantine_scan = pg_quarantine_scan,
    .orphans_expire = pg_orphans_expire,
    .report_put = pg_report_put,
    .report_get = pg_report_get,
    .reports_scan = pg_reports_scan,
    .report_flag = pg_report_flag,
    .notify = pg_notify,
    .notifications_scan = pg_notifications_scan,
    .decision_next = pg_decision_next,
    .decision_put = pg_decision_put,
    .decisions_pending = pg_decisions_pending,
    .decision_delivered = pg_decision_delivered,
    .decisions_scan = pg_decisions_scan,
    .alert_sources = pg_alert_sources,
    .chunk_put = pg_chunk_put,
    .bundle_put = pg_bundle_put,
    .bundle_get = pg_bundle_get,
    .bundles_scan = pg_bundles_scan,
    .chunks_scan = pg_chunks_scan,
    .bundle_set = pg_bundle_set,
    .user_add = pg_user_add,
    .user_set = pg_user_set,
    .user_get = pg_user_get,
    .latest_scan = pg_latest_scan,
    .latest_get = pg_latest_get,
    .audit_log = pg_audit_log,
};

int soc_centerdb_pg_open(const soc_collector_config *cfg, soc_centerdb_be **out) {
  char err[600];
  int result = -ENOMEM;
  soc_centerdb_be *b = calloc(1, sizeof *b);
  *out = NULL;
  if (!b) goto out;
  result =
      soc_pg_center_open(cfg->collector.store, cfg->collector.retention, &b->pg, err, sizeof err);
  if (result < 0) {
    fprintf(stderr, "soccollector: collector.store: %s\n", err);
    goto out;
  }
  *out = b;
  b = NULL;
out:
  pg_free(b);
  return result;
}
