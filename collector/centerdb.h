/*
 * centerdb — the collector's store, one interface over two back ends:
 * center.db (SQLite, store.h) when collector.store is absent, PostgreSQL
 * (pg_center.h) when it is a postgresql:// URL. Everything the collector
 * keeps goes through it: the ingest path (events, other messages,
 * quarantine, agents, keys, counters, alerts), the reporting workflow
 * (reports and revisions, notifications, decisions and their outbox,
 * evidence bundles and chunks, campaigns) and the commands on them. Each
 * back end is one struct of callbacks (centerdb_be.h); no caller asks
 * which one is open. The web console and `soccollector user` too: the
 * accounts, the messages the console lists and its audit log.
 */
#ifndef SOC_COLLECTOR_CENTERDB_H
#define SOC_COLLECTOR_CENTERDB_H

#include "soc/audit.h"
#include "soc/config.h"
#include "soc/store_center.h"

typedef struct soc_centerdb soc_centerdb;

/* 1 when cfg puts the center on PostgreSQL. */
int soc_centerdb_is_pg(const soc_collector_config *cfg);
/* Opens the store cfg names (migrating it). OUT: *out, owned by the
 * caller (soc_centerdb_free). Problems printed. */
int soc_centerdb_open(const soc_collector_config *cfg, soc_centerdb **out);
/* A soc_centerdb over center.db's handle s, which stays the caller's and
 * must outlive it (the unit tests, the fuzz harness). OUT: *out. */
int soc_centerdb_wrap(soc_center_store *s, soc_centerdb **out);
void soc_centerdb_free(soc_centerdb *db);
/* "center.db" or "PostgreSQL", for messages. */
const char *soc_centerdb_name(const soc_centerdb *db);
const char *soc_centerdb_errmsg(soc_centerdb *db);

int soc_centerdb_begin(soc_centerdb *db);
int soc_centerdb_commit(soc_centerdb *db);
void soc_centerdb_rollback(soc_centerdb *db);
int soc_centerdb_in_transaction(soc_centerdb *db);
/* Between batches: PostgreSQL drops the event partitions past
 * collector.retention. OUT: *dropped, how many. */
int soc_centerdb_maintain(soc_centerdb *db, int *dropped);

/* Before the commit: events are inserted a batch at a time on PostgreSQL,
 * where event_put's *dup is always 0 and the duplicates are known here.
 * OUT: *late_dups, how many of the events put in this transaction were
 * duplicates that event_put did not report (always 0 on center.db). */
int soc_centerdb_flush(soc_centerdb *db, int64_t *late_dups);

/* As store.h's soc_store_center_* of the same names, inside the caller's
 * transaction where store.h says so. */
int soc_centerdb_event_put(soc_centerdb *db, const soc_center_origin *o, const char *id,
                           const char *agent, const char *host, const char *ts, const char *body,
                           size_t len, int *dup);
int soc_centerdb_message_put(soc_centerdb *db, const soc_center_origin *o, const char *agent,
                             const void *key, size_t key_len, const char *body, size_t len,
                             int *dup);
int soc_centerdb_quarantine_put(soc_centerdb *db, const soc_center_origin *o, const void *key,
                                size_t key_len, const char *reason, const char *detail,
                                const void *payload, size_t size, int *dup);
int soc_centerdb_agent_seen(soc_centerdb *db, const soc_center_agent *a);
int soc_centerdb_agent_flag(soc_centerdb *db, const char *agent, int64_t seen_ns, char *flag,
                            size_t cap);
int soc_centerdb_alert_add(soc_centerdb *db, const char *collector, const char *kind,
                           const char *message);
int soc_centerdb_counter_add(soc_centerdb *db, const char *collector, const char *name,
                             int64_t delta);
int soc_centerdb_key_of(soc_centerdb *db, const char *agent, soc_center_key_row *out);
int soc_centerdb_rotate(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns);
int soc_centerdb_pending_seen(soc_centerdb *db, const char *agent, const char *key, int64_t at_ns);
int soc_centerdb_enrol(soc_centerdb *db, const soc_center_enrolment *e);
int soc_centerdb_revoke(soc_centerdb *db, const char *agent, const char *by, const char *os_user,
                        int64_t at_ns);
int soc_centerdb_alerts_scan(soc_centerdb *db, size_t limit, soc_center_alert_cb cb, void *arg);
int soc_centerdb_events_count(soc_centerdb *db, const char *agent, int64_t *n);
int soc_centerdb_counters_scan(soc_centerdb *db, soc_center_counter_cb cb, void *arg);
int soc_centerdb_agents_scan(soc_centerdb *db, soc_center_agent_cb cb, void *arg);
int soc_centerdb_enrolments_scan(soc_centerdb *db, soc_center_enrolment_cb cb, void *arg);
int soc_centerdb_quarantine_scan(soc_centerdb *db, size_t limit, soc_center_rejected_cb cb,
                                 void *arg);
int soc_centerdb_orphans_expire(soc_centerdb *db, int64_t before_ns, int64_t *chunks,
                                int64_t *bytes);
int soc_centerdb_report_put(soc_centerdb *db, const soc_center_report *r, int *current);
int soc_centerdb_report_get(soc_centerdb *db, const char *id, soc_center_report_cb cb, void *arg);
int soc_centerdb_reports_scan(soc_centerdb *db, soc_center_report_cb cb, void *arg);
int soc_centerdb_report_flag(soc_centerdb *db, const char *id, int64_t at_ns, const char *why);
int soc_centerdb_notify(soc_centerdb *db, const char *report, int level, const char *who,
                        int64_t at_ns, int *fresh);
int soc_centerdb_notifications_scan(soc_centerdb *db, const char *report, soc_center_notify_cb cb,
                                    void *arg);
int soc_centerdb_decision_next(soc_centerdb *db, int64_t *n);
int soc_centerdb_decision_put(soc_centerdb *db, int64_t n, const char *id, const char *report,
                              const char *kind, int64_t at_ns, const char *by, const char *topic,
                              const char *body);
int soc_centerdb_decisions_pending(soc_centerdb *db, soc_center_pending_cb cb, void *arg);
int soc_centerdb_decision_delivered(soc_centerdb *db, int64_t n, int64_t at_ns);
int soc_centerdb_decisions_scan(soc_centerdb *db, const char *report, soc_center_decision_cb cb,
                                void *arg);
int soc_centerdb_alert_sources(soc_centerdb *db, int64_t since_ns, soc_center_source_cb cb,
                               void *arg);
int soc_centerdb_chunk_put(soc_centerdb *db, const char *bundle, int64_t seq, int64_t offset,
                           const void *data, size_t len, int64_t received_ns, int *dup);
int soc_centerdb_bundle_put(soc_centerdb *db, const char *bundle, const char *report,
                            const char *agent, int64_t chunks, int64_t size, const char *manifest,
                            int *dup);
int soc_centerdb_bundle_get(soc_centerdb *db, const char *id, soc_center_bundle_cb cb, void *arg);
int soc_centerdb_bundles_scan(soc_centerdb *db, soc_center_bundle_cb cb, void *arg);
int soc_centerdb_chunks_scan(soc_centerdb *db, const char *bundle, soc_center_chunk_cb cb,
                             void *arg);
int soc_centerdb_bundle_set(soc_centerdb *db, const char *id, const char *state, const char *path,
                            const char *reason, int64_t checked_ns);

/* As store_center.h's soc_store_console_* of the same names. */
int soc_centerdb_user_add(soc_centerdb *db, const soc_console_user *u);
int soc_centerdb_user_set(soc_centerdb *db, const char *name, const char *hash, int64_t at_ns);
int soc_centerdb_user_get(soc_centerdb *db, const char *name, soc_console_user_cb cb, void *arg);
int soc_centerdb_latest_scan(soc_centerdb *db, const char *topic, const char *id_path, size_t limit,
                             soc_console_message_cb cb, void *arg);
int soc_centerdb_latest_get(soc_centerdb *db, const char *topic, const char *id_path,
                            const char *agent, int64_t id, soc_console_message_cb cb, void *arg);
/* The center's audit log, one hash chain (audit.h) on either store: as
 * soc_audit_append (joining the caller's transaction, else its own),
 * soc_audit_verify and soc_store_audit_scan. */
int soc_centerdb_audit_append(soc_centerdb *db, const char *actor, const char *action,
                              const char *object, const char *details_json);
int soc_centerdb_audit_verify(soc_centerdb *db, soc_audit_report *report);
int soc_centerdb_audit_scan(soc_centerdb *db, int64_t after_seq, size_t limit, soc_audit_row_cb cb,
                            void *arg);

#endif
