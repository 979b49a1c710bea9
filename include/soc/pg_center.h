/*
 * pg_center — the technical center's tables on PostgreSQL, for centers
 * whose collectors outgrow one SQLite file (docs/CENTER.md): the ingest path
 * here and in pg_center.c, the reporting workflow in pg_center_report.c.
 *
 * The same rows and the same idempotence as center.db (store_center.h, "the
 * technical center"): an event once per (agent, event.id), other messages
 * and the quarantine once per (topic, partition, offset), an agent row that
 * only moves forward, counters per collector. The origin, agent and
 * enrolment types are store_center.h's.
 *
 * Writes are used inside the caller's soc_pg_center_begin/commit, like the
 * SQLite writer; reads, and the outbox's marks of a delivered decision, may
 * also run outside one (each statement is then its own transaction, as on
 * center.db). A connection lost (the server restarted) fails the call; the
 * next _begin connects again, so the caller's retry of the batch is all
 * that is needed.
 */
#ifndef SOC_PG_CENTER_H
#define SOC_PG_CENTER_H

#include <stddef.h>
#include <stdint.h>

#include "soc/store_center.h"

#define SOC_PG_URL_PREFIX "postgresql://"

typedef struct soc_pg_center soc_pg_center;

/* Connects to url (a libpq URI) and brings the schema to the newest
 * version, under an advisory lock so that of several collectors starting
 * together one migrates and the others wait. retention_s > 0: events
 * older than that many seconds go with their day's partition, at each
 * soc_pg_center_maintain (the running collector's; a command never drops). OUT: *out, owned by the
 * caller (free it with soc_pg_center_free). On failure err holds why. */
int soc_pg_center_open(const char *url, int64_t retention_s, soc_pg_center **out, char *err,
                       size_t cap);
void soc_pg_center_free(soc_pg_center *pg);
/* The last failure, for a message. Borrowed until the next call. */
const char *soc_pg_center_errmsg(const soc_pg_center *pg);

int soc_pg_center_begin(soc_pg_center *pg);
/* A read-only transaction seeing one snapshot, ended by _commit. */
int soc_pg_center_read_begin(soc_pg_center *pg);
int soc_pg_center_commit(soc_pg_center *pg);
void soc_pg_center_rollback(soc_pg_center *pg);
/* Outside a transaction: drops the partitions retention no longer keeps.
 * OUT: *dropped (may be NULL), how many. */
int soc_pg_center_maintain(soc_pg_center *pg, int *dropped);

/* As soc_store_center_event_put and the others of the writer, but events
 * are inserted a batch at a time: *dup is always 0, and the duplicates
 * are known at soc_pg_center_flush, which must come before the commit. */
int soc_pg_center_event_put(soc_pg_center *pg, const soc_center_origin *o, const char *id,
                            const char *agent, const char *host, const char *ts, const char *body,
                            size_t len, int *dup);
/* Inserts the events put since the last flush. OUT: *late_dups (may be
 * NULL: they are kept for the next call) how many of the events put since
 * the last call that asked were there already. */
int soc_pg_center_flush(soc_pg_center *pg, int64_t *late_dups);
int soc_pg_center_message_put(soc_pg_center *pg, const soc_center_origin *o, const char *agent,
                              const void *key, size_t key_len, const char *body, size_t len,
                              int *dup);
int soc_pg_center_quarantine_put(soc_pg_center *pg, const soc_center_origin *o, const void *key,
                                 size_t key_len, const char *reason, const char *detail,
                                 const void *payload, size_t size, int *dup);
int soc_pg_center_agent_seen(soc_pg_center *pg, const soc_center_agent *a);
int soc_pg_center_agent_flag(soc_pg_center *pg, const char *agent, int64_t seen_ns, char *flag,
                             size_t cap);
int soc_pg_center_alert_add(soc_pg_center *pg, const char *collector, const char *kind,
                            const char *message);
int soc_pg_center_counter_add(soc_pg_center *pg, const char *collector, const char *name,
                              int64_t delta);
int soc_pg_center_key_of(soc_pg_center *pg, const char *agent, soc_center_key_row *out);
int soc_pg_center_rotate(soc_pg_center *pg, const char *agent, const char *key, int64_t at_ns);
int soc_pg_center_pending_seen(soc_pg_center *pg, const char *agent, const char *key,
                               int64_t at_ns);
int soc_pg_center_enrol(soc_pg_center *pg, const soc_center_enrolment *e);
int soc_pg_center_revoke(soc_pg_center *pg, const char *agent, const char *by, const char *os_user,
                         int64_t at_ns);

/* 1 inside a transaction (a failed one too, until its rollback). */
int soc_pg_center_in_transaction(soc_pg_center *pg);

/* Reading, as soc_store_center_events_count and the others. */
int soc_pg_center_events_count(soc_pg_center *pg, const char *agent, int64_t *n);
int soc_pg_center_counters_scan(soc_pg_center *pg, soc_center_counter_cb cb, void *arg);
int soc_pg_center_alerts_scan(soc_pg_center *pg, size_t limit, soc_center_alert_cb cb, void *arg);
int soc_pg_center_agents_scan(soc_pg_center *pg, soc_center_agent_cb cb, void *arg);
int soc_pg_center_enrolments_scan(soc_pg_center *pg, soc_center_enrolment_cb cb, void *arg);
int soc_pg_center_quarantine_scan(soc_pg_center *pg, size_t limit, soc_center_rejected_cb cb,
                                  void *arg);

/* ---- the reporting workflow (pg_center_report.c) ----------------------------
 * As store.h's soc_store_center_* of the same names: reports and their
 * revisions, notifications, decisions (the center's outbox), evidence
 * bundles and chunks, campaigns' scan of the alerts, and the expiry of
 * chunks whose manifest never came. Writes run in the caller's transaction;
 * decision_next also serialises, until that transaction ends, the
 * numbering of the decisions of every collector and command on the
 * database. */
int soc_pg_center_report_put(soc_pg_center *pg, const soc_center_report *r, int *current);
int soc_pg_center_report_get(soc_pg_center *pg, const char *id, soc_center_report_cb cb, void *arg);
int soc_pg_center_reports_scan(soc_pg_center *pg, soc_center_report_cb cb, void *arg);
int soc_pg_center_report_flag(soc_pg_center *pg, const char *id, int64_t at_ns, const char *why);
int soc_pg_center_notify(soc_pg_center *pg, const char *report, int level, const char *who,
                         int64_t at_ns, int *fresh);
int soc_pg_center_notifications_scan(soc_pg_center *pg, const char *report, soc_center_notify_cb cb,
                                     void *arg);
int soc_pg_center_decision_next(soc_pg_center *pg, int64_t *n);
int soc_pg_center_decision_put(soc_pg_center *pg, int64_t n, const char *id, const char *report,
                               const char *kind, int64_t at_ns, const char *by, const char *topic,
                               const char *body);
int soc_pg_center_decisions_pending(soc_pg_center *pg, soc_center_pending_cb cb, void *arg);
int soc_pg_center_decision_delivered(soc_pg_center *pg, int64_t n, int64_t at_ns);
int soc_pg_center_decisions_scan(soc_pg_center *pg, const char *report, soc_center_decision_cb cb,
                                 void *arg);
int soc_pg_center_alert_sources(soc_pg_center *pg, int64_t since_ns, soc_center_source_cb cb,
                                void *arg);
int soc_pg_center_chunk_put(soc_pg_center *pg, const char *bundle, int64_t seq, int64_t offset,
                            const void *data, size_t len, int64_t received_ns, int *dup);
int soc_pg_center_bundle_put(soc_pg_center *pg, const char *bundle, const char *report,
                             const char *agent, int64_t chunks, int64_t size, const char *manifest,
                             int *dup);
int soc_pg_center_bundle_get(soc_pg_center *pg, const char *id, soc_center_bundle_cb cb, void *arg);
int soc_pg_center_bundles_scan(soc_pg_center *pg, soc_center_bundle_cb cb, void *arg);
int soc_pg_center_chunks_scan(soc_pg_center *pg, const char *bundle, soc_center_chunk_cb cb,
                              void *arg);
int soc_pg_center_bundle_set(soc_pg_center *pg, const char *id, const char *state, const char *path,
                             const char *reason, int64_t checked_ns);
int soc_pg_center_orphans_expire(soc_pg_center *pg, int64_t before_ns, int64_t *chunks,
                                 int64_t *bytes);

/* ---- the web console (pg_center_console.c) ---- */

/* As store_center.h's soc_store_console_* of the same names; the id path
 * is a JSON path PostgreSQL reads too ("$.id"). "The latest" of a message
 * is the last received (then the highest offset), center.db's last
 * inserted. */
int soc_pg_center_user_add(soc_pg_center *pg, const soc_console_user *u);
int soc_pg_center_user_set(soc_pg_center *pg, const char *name, const char *hash, int64_t at_ns);
int soc_pg_center_user_get(soc_pg_center *pg, const char *name, soc_console_user_cb cb, void *arg);
int soc_pg_center_latest_scan(soc_pg_center *pg, const char *topic, const char *id_path,
                              size_t limit, soc_console_message_cb cb, void *arg);
int soc_pg_center_latest_get(soc_pg_center *pg, const char *topic, const char *id_path,
                             const char *agent, int64_t id, soc_console_message_cb cb, void *arg);
/* The audit log's rows and head, for audit.h's soc_audit_log: as store.h's
 * soc_store_audit_* and the meta record SOC_AUDIT_HEAD_KEY. Inside a
 * transaction; _head_get first waits for the log's transaction-scoped
 * advisory lock, so appends from several collectors take turns. */
int soc_pg_center_audit_head_get(soc_pg_center *pg, const char *key, char *buf, size_t cap);
int soc_pg_center_audit_head_set(soc_pg_center *pg, const char *key, const char *head);
int soc_pg_center_audit_max_seq(soc_pg_center *pg, int64_t *seq);
int soc_pg_center_audit_insert(soc_pg_center *pg, const soc_audit_row *r);
int soc_pg_center_audit_scan(soc_pg_center *pg, int64_t after_seq, size_t limit,
                             soc_audit_row_cb cb, void *arg);

#endif
