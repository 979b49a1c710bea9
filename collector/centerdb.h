/*
 * centerdb — the collector's store, one interface over two back ends:
 * center.db (SQLite, store.h) when collector.store is absent, PostgreSQL
 * (pg_center.h) when it is a postgresql:// URL. The ingest path (events,
 * other messages, quarantine, agents, keys, counters, alerts) and the
 * commands built on it use this; what is not yet on PostgreSQL (reports,
 * evidence, decisions, campaigns) asks soc_centerdb_sqlite for center.db
 * and is refused on PostgreSQL by soc_center_needs_sqlite (center.h).
 */
#ifndef SOC_COLLECTOR_CENTERDB_H
#define SOC_COLLECTOR_CENTERDB_H

#include "soc/config.h"
#include "soc/store_center.h"

typedef struct soc_centerdb soc_centerdb;

/* 1 when cfg puts the center on PostgreSQL. */
int soc_centerdb_is_pg(const soc_collector_config *cfg);
/* Opens the store cfg names (migrating it). OUT: *out, owned by the
 * caller (soc_centerdb_free). Problems printed. */
int soc_centerdb_open(const soc_collector_config *cfg, soc_centerdb **out);
void soc_centerdb_free(soc_centerdb *db);
/* center.db's handle, borrowed from db; NULL on PostgreSQL. */
soc_center_store *soc_centerdb_sqlite(soc_centerdb *db);
const char *soc_centerdb_errmsg(soc_centerdb *db);

int soc_centerdb_begin(soc_centerdb *db);
int soc_centerdb_commit(soc_centerdb *db);
void soc_centerdb_rollback(soc_centerdb *db);
/* Between batches: PostgreSQL drops the event partitions past
 * collector.retention. OUT: *dropped, how many. */
int soc_centerdb_maintain(soc_centerdb *db, int *dropped);

/* Before the commit: events are inserted a batch at a time on PostgreSQL,
 * where event_put's *dup is always 0 and the duplicates are known here.
 * OUT: *late_dups, how many of the events put in this transaction were
 * duplicates that event_put did not report (always 0 on center.db). */
int soc_centerdb_flush(soc_centerdb *db, int64_t *late_dups);

/* As store_center.h's soc_store_center_* of the same names. */
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

#endif
