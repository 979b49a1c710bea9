/*
 * centerdb_be — what a back end of the collector's store provides
 * (centerdb.h): one constant struct of callbacks per back end, as the
 * agent's inputs and outputs are. centerdb.c calls through it and knows no
 * back end; centerdb_sqlite.c (center.db) and centerdb_pg.c (PostgreSQL)
 * each fill one.
 *
 * soc_centerdb_be is each back end's own state: declared here without its
 * members, completed privately in the one file that implements the back end.
 * Every callback promises what store.h's soc_store_center_* of the same name
 * promises; the transaction calls are soc_center_store_begin's and the others'.
 */
#ifndef SOC_COLLECTOR_CENTERDB_BE_H
#define SOC_COLLECTOR_CENTERDB_BE_H

#include "soc/audit.h"
#include "soc/config.h"
#include "soc/store_center.h"

typedef struct soc_centerdb_be soc_centerdb_be;

typedef struct soc_centerdb_ops {
  const char *name; /* for messages: "center.db", "PostgreSQL" */
  void (*free)(soc_centerdb_be *b);
  const char *(*errmsg)(soc_centerdb_be *b);

  /* ---- transactions ---- */
  int (*begin)(soc_centerdb_be *b);
  int (*commit)(soc_centerdb_be *b);
  void (*rollback)(soc_centerdb_be *b);
  int (*in_transaction)(soc_centerdb_be *b);
  int (*flush)(soc_centerdb_be *b, int64_t *late_dups); /* see centerdb.h */
  int (*maintain)(soc_centerdb_be *b, int *dropped);

  /* ---- the ingest path ---- */
  int (*event_put)(soc_centerdb_be *b, const soc_center_origin *o, const char *id,
                   const char *agent, const char *host, const char *ts, const char *body,
                   size_t len, int *dup);
  int (*message_put)(soc_centerdb_be *b, const soc_center_origin *o, const char *agent,
                     const void *key, size_t key_len, const char *body, size_t len, int *dup);
  int (*quarantine_put)(soc_centerdb_be *b, const soc_center_origin *o, const void *key,
                        size_t key_len, const char *reason, const char *detail, const void *payload,
                        size_t size, int *dup);
  int (*agent_seen)(soc_centerdb_be *b, const soc_center_agent *a);
  int (*agent_flag)(soc_centerdb_be *b, const char *agent, int64_t seen_ns, char *flag, size_t cap);
  int (*alert_add)(soc_centerdb_be *b, const char *collector, const char *kind,
                   const char *message);
  int (*counter_add)(soc_centerdb_be *b, const char *collector, const char *name, int64_t delta);
  int (*key_of)(soc_centerdb_be *b, const char *agent, soc_center_key_row *out);
  int (*rotate)(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns);
  int (*pending_seen)(soc_centerdb_be *b, const char *agent, const char *key, int64_t at_ns);

  /* ---- the operator's commands on agents and the ingest ---- */
  int (*enrol)(soc_centerdb_be *b, const soc_center_enrolment *e);
  int (*revoke)(soc_centerdb_be *b, const char *agent, const char *by, const char *os_user,
                int64_t at_ns);
  int (*alerts_scan)(soc_centerdb_be *b, size_t limit, soc_center_alert_cb cb, void *arg);
  int (*events_count)(soc_centerdb_be *b, const char *agent, int64_t *n);
  int (*counters_scan)(soc_centerdb_be *b, soc_center_counter_cb cb, void *arg);
  int (*agents_scan)(soc_centerdb_be *b, soc_center_agent_cb cb, void *arg);
  int (*enrolments_scan)(soc_centerdb_be *b, soc_center_enrolment_cb cb, void *arg);
  int (*quarantine_scan)(soc_centerdb_be *b, size_t limit, soc_center_rejected_cb cb, void *arg);
  int (*orphans_expire)(soc_centerdb_be *b, int64_t before_ns, int64_t *chunks, int64_t *bytes);

  /* ---- the reporting workflow ---- */
  int (*report_put)(soc_centerdb_be *b, const soc_center_report *r, int *current);
  int (*report_get)(soc_centerdb_be *b, const char *id, soc_center_report_cb cb, void *arg);
  int (*reports_scan)(soc_centerdb_be *b, soc_center_report_cb cb, void *arg);
  int (*report_flag)(soc_centerdb_be *b, const char *id, int64_t at_ns, const char *why);
  int (*notify)(soc_centerdb_be *b, const char *report, int level, const char *who, int64_t at_ns,
                int *fresh);
  int (*notifications_scan)(soc_centerdb_be *b, const char *report, soc_center_notify_cb cb,
                            void *arg);
  int (*decision_next)(soc_centerdb_be *b, int64_t *n);
  int (*decision_put)(soc_centerdb_be *b, int64_t n, const char *id, const char *report,
                      const char *kind, int64_t at_ns, const char *by, const char *topic,
                      const char *body);
  int (*decisions_pending)(soc_centerdb_be *b, soc_center_pending_cb cb, void *arg);
  int (*decision_delivered)(soc_centerdb_be *b, int64_t n, int64_t at_ns);
  int (*decisions_scan)(soc_centerdb_be *b, const char *report, soc_center_decision_cb cb,
                        void *arg);
  int (*alert_sources)(soc_centerdb_be *b, int64_t since_ns, soc_center_source_cb cb, void *arg);
  int (*chunk_put)(soc_centerdb_be *b, const char *bundle, int64_t seq, int64_t offset,
                   const void *data, size_t len, int64_t received_ns, int *dup);
  int (*bundle_put)(soc_centerdb_be *b, const char *bundle, const char *report, const char *agent,
                    int64_t chunks, int64_t size, const char *manifest, int *dup);
  int (*bundle_get)(soc_centerdb_be *b, const char *id, soc_center_bundle_cb cb, void *arg);
  int (*bundles_scan)(soc_centerdb_be *b, soc_center_bundle_cb cb, void *arg);
  int (*chunks_scan)(soc_centerdb_be *b, const char *bundle, soc_center_chunk_cb cb, void *arg);
  int (*bundle_set)(soc_centerdb_be *b, const char *id, const char *state, const char *path,
                    const char *reason, int64_t checked_ns);

  /* ---- the web console: accounts, messages, its audit log ---- */
  int (*user_add)(soc_centerdb_be *b, const soc_console_user *u);
  int (*user_set)(soc_centerdb_be *b, const char *name, const char *hash, int64_t at_ns);
  int (*user_get)(soc_centerdb_be *b, const char *name, soc_console_user_cb cb, void *arg);
  int (*latest_scan)(soc_centerdb_be *b, const char *topic, const char *id_path, size_t limit,
                     soc_console_message_cb cb, void *arg);
  int (*latest_get)(soc_centerdb_be *b, const char *topic, const char *id_path, const char *agent,
                    int64_t id, soc_console_message_cb cb, void *arg);
  /* The store's audit log, for audit.c's chain (valid while b is). */
  soc_audit_log (*audit_log)(soc_centerdb_be *b);
} soc_centerdb_ops;

/* center.db (centerdb_sqlite.c). _open opens state_dir/center.db (problems
 * printed); _borrow uses s, which stays the caller's. OUT: *out, freed by
 * ops->free. */
extern const soc_centerdb_ops soc_centerdb_sqlite_ops;
int soc_centerdb_sqlite_open(const soc_collector_config *cfg, soc_centerdb_be **out);
int soc_centerdb_sqlite_borrow(soc_center_store *s, soc_centerdb_be **out);

/* PostgreSQL (centerdb_pg.c), at cfg's collector.store. Problems printed. */
extern const soc_centerdb_ops soc_centerdb_pg_ops;
int soc_centerdb_pg_open(const soc_collector_config *cfg, soc_centerdb_be **out);

#endif
