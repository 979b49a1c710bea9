/*
 * store_center — the technical center's database, center.db.
 *
 * center.db is a schema of its own (its own migrations and application id),
 * so it has a handle type of its own: a soc_center_store is not a soc_store,
 * and handing the agent's store to a function of the center (or the
 * reverse) does not compile. Underneath it is the same SQLite connection
 * with the same guarantees as store.h describes (file mode 0600, quick
 * check, WAL, migrations one per transaction, negative errno codes); a file
 * of the other kind is refused with -EBADMSG.
 *
 * A soc_center_store is used by one thread at a time.
 */
#ifndef SOC_STORE_CENTER_H
#define SOC_STORE_CENTER_H

#include <stddef.h>
#include <stdint.h>

#include "soc/store.h"

typedef struct soc_center_store soc_center_store;

/* Opens (creating if missing) the center.db at path, as soc_store_open.
 * OUT: *out, owned by the caller, close with soc_center_store_close. */
int soc_center_store_open(const char *path, soc_center_store **out, char *err, size_t errlen);
/* Rolls back an open transaction and closes. NULL is a no-op. */
void soc_center_store_close(soc_center_store *s);
/* As soc_store_errmsg, soc_store_begin, _commit, _rollback and
 * _in_transaction. */
const char *soc_center_store_errmsg(const soc_center_store *s);
int soc_center_store_begin(soc_center_store *s);
int soc_center_store_commit(soc_center_store *s);
int soc_center_store_rollback(soc_center_store *s);
int soc_center_store_in_transaction(soc_center_store *s);
/* The console's actions are chained in the agent's audit format (audit.h,
 * its table migrated into center.db too), whose functions take the generic
 * handle: s's, borrowed, for those calls only. */
soc_store *soc_center_store_audit_log(soc_center_store *s);

/* ---- the technical center (store_center.c) ---------------------------------
 * center.db, the collector's store: opened with soc_center_store_open, which
 * selects the center's own schema (events deduplicated by event.id, other
 * topics' messages, quarantine, agents, counters). A file of the other kind
 * is refused with -EBADMSG. Several collectors may share one file: every
 * write is idempotent (INSERT OR IGNORE, or "only if newer"), so whichever
 * writes first wins and a replay changes nothing. */

/* A writer holds the prepared statements of the hot path (one insert per
 * message). OUT: *out, owned by the caller; free it with
 * soc_store_center_writer_free before closing s. It is used inside the caller's
 * soc_center_store_begin/commit. */
typedef struct soc_center_writer soc_center_writer;
int soc_store_center_writer_new(soc_center_store *s, soc_center_writer **out);
void soc_store_center_writer_free(soc_center_writer *w);

/* Where a message came from. Strings borrowed for the call. */
typedef struct soc_center_origin {
  const char *topic;
  int32_t partition;
  int64_t offset;
  int64_t received_ns;
} soc_center_origin;

/* Inserts an event unless its id is there already. OUT: *dup (may be NULL)
 * 1 when it was (a replay), else 0. body is len bytes of UTF-8 JSON. */
int soc_store_center_event_put(soc_center_writer *w, const soc_center_origin *o, const char *id,
                               const char *agent, const char *host, const char *ts,
                               const char *body, size_t len, int *dup);
/* Keeps a message of another topic (alerts, incidents, ...) once per
 * (topic, partition, offset). OUT: *dup as above. */
int soc_store_center_message_put(soc_center_writer *w, const soc_center_origin *o,
                                 const char *agent, const void *key, size_t key_len,
                                 const char *body, size_t len, int *dup);
/* Keeps a rejected message: at most SOC_CENTER_QUARANTINE_HEAD bytes of its
 * payload (size is the whole length), the reason's name and a detail. */
#define SOC_CENTER_QUARANTINE_HEAD 4096
#define SOC_CENTER_KEY_MAX 1024 /* bytes of a message key that are kept */
int soc_store_center_quarantine_put(soc_center_writer *w, const soc_center_origin *o,
                                    const void *key, size_t key_len, const char *reason,
                                    const char *detail, const void *payload, size_t size, int *dup);

/* What a heartbeat says about its agent. Strings borrowed for the call. */
typedef struct soc_center_agent {
  const char *id;
  const char *agency;
  int64_t authority;
  const char *version;
  int64_t seen_ns;   /* when it was sent, as far as the collector can tell */
  const char *hb_ts; /* its @timestamp */
  int64_t uptime_s;
  int64_t lag_lines;
  const char *broker;
  const char *counters; /* JSON */
  int64_t audit_seq;    /* the agent's audit log head: entry and hash (0, "" or NULL: none) */
  const char *audit_head;
  const char *store_id; /* the agent's store id and newest journal block ("" or NULL: none) */
  int64_t store_block;
  const char *store_flag; /* scans: what a change of them said ("" none), and when seen */
  int64_t store_flag_ns;
  /* the slowest Kafka broker's round trip (ms) that its last heartbeat
   * named; -1 (any negative) when it named none: an older agent, or one
   * without statistics yet. Stored as NULL. */
  int64_t broker_rtt_ms;
} soc_center_agent;
/* Inserts the agent, or updates it when a->seen_ns is newer than what is
 * stored: an old heartbeat replayed never makes a silent agent look alive.
 * The audit head kept is the highest entry ever reported. */
int soc_store_center_agent_seen(soc_center_writer *w, const soc_center_agent *a);
/* Adds delta to the counter (collector, name). */
/* Whether the heartbeat seen at seen_ns flagged agent's store (another id,
 * or fewer blocks than before: the agent lost data). Returns 1 with the
 * words in flag (cap bytes), 0, or a store error. */
int soc_store_center_agent_flag(soc_center_store *s, const char *agent, int64_t seen_ns, char *flag,
                                size_t cap);
/* The collectors' own alerts (center_alert): appended, in the caller's
 * transaction; scanned oldest first, the newest limit of them (0: all). */
int soc_store_center_alert_add(soc_center_store *s, const char *collector, const char *kind,
                               const char *message);
typedef int (*soc_center_alert_cb)(void *arg, const char *collector, int64_t ts_ns,
                                   const char *kind, const char *message);
int soc_store_center_alerts_scan(soc_center_store *s, size_t limit, soc_center_alert_cb cb,
                                 void *arg);
int soc_store_center_counter_add(soc_center_writer *w, const char *collector, const char *name,
                                 int64_t delta);

/* ---- reading (the CLI) ---- */
/* Events stored, all or of one agent (agent NULL). */
int soc_store_center_events_count(soc_center_store *s, const char *agent, int64_t *n);
/* Every agent, by id. Strings valid during the call. */
typedef int (*soc_center_agent_cb)(void *arg, const soc_center_agent *a);
int soc_store_center_agents_scan(soc_center_store *s, soc_center_agent_cb cb, void *arg);
/* The quarantine, oldest first; at most limit rows (0: all). */
typedef struct soc_center_rejected {
  const char *topic;
  int32_t partition;
  int64_t offset;
  const void *key;
  size_t key_len;
  const char *reason, *detail;
  int64_t size, received_ns;
  const void *payload; /* the head that was kept */
  size_t payload_len;
} soc_center_rejected;
typedef int (*soc_center_rejected_cb)(void *arg, const soc_center_rejected *r);
int soc_store_center_quarantine_scan(soc_center_store *s, size_t limit, soc_center_rejected_cb cb,
                                     void *arg);
/* Every counter of every collector, ordered by collector then name. */
typedef int (*soc_center_counter_cb)(void *arg, const char *collector, const char *name,
                                     int64_t value);
int soc_store_center_counters_scan(soc_center_store *s, soc_center_counter_cb cb, void *arg);

/* ---- enrolled agents' keys (store_center.c, store_center_keys.c) ------------
 * Which Ed25519 key speaks for which agent id (docs/SECURITY.md). An
 * operator enrols a key; a key seen from an agent id nobody enrolled it for
 * is kept as pending for an operator to look at, never trusted by itself. */
#define SOC_CENTER_ENROLLED "enrolled"
#define SOC_CENTER_REVOKED "revoked"
#define SOC_CENTER_PENDING "pending"

typedef struct soc_center_enrolment {
  const char *agent, *key, *agency;
  const char *state;         /* SOC_CENTER_ENROLLED, _REVOKED or _PENDING */
  const char *by, *os_user;  /* who enrolled or revoked it; "" for pending */
  int64_t at_ns;             /* then; pending: first seen */
  int64_t last_ns, messages; /* pending: last seen, how many messages */
  const char *prev_key;      /* enrolled: the key the agent rotated away from, or "" */
  int64_t rotated_ns;        /* and when */
} soc_center_enrolment;

#define SOC_CENTER_AGENCY_MAX 255
typedef struct soc_center_key_row {
  char key[64]; /* base64, SOC_SIGN_PUB_TEXT characters */
  char agency[SOC_CENTER_AGENCY_MAX + 1];
  int revoked;
  char prev_key[64]; /* the key it rotated away from, "" if none */
  int64_t rotated_ns;
} soc_center_key_row;
/* The enrolled key of agent, through the writer's prepared statement (one
 * lookup per message). Returns 0, -ENOENT when agent has none. */
int soc_store_center_key_of(soc_center_writer *w, const char *agent, soc_center_key_row *out);
/* The agent proved, with its enrolled key, that key is its next: it is
 * enrolled now, the old one kept as prev_key. */
int soc_store_center_rotate(soc_center_writer *w, const char *agent, const char *key,
                            int64_t at_ns);
/* Counts one message from agent signed by key, which nobody enrolled. */
int soc_store_center_pending_seen(soc_center_writer *w, const char *agent, const char *key,
                                  int64_t at_ns);
/* Enrols (or re-enrols, replacing the key) e->agent; its pending entry of
 * that key goes. */
int soc_store_center_enrol(soc_center_store *s, const soc_center_enrolment *e);
/* Revokes agent's key: -ENOENT when it has none. */
int soc_store_center_revoke(soc_center_store *s, const char *agent, const char *by,
                            const char *os_user, int64_t at_ns);
typedef int (*soc_center_enrolment_cb)(void *arg, const soc_center_enrolment *e);
/* Enrolled and revoked agents, then pending keys, each by agent id. */
int soc_store_center_enrolments_scan(soc_center_store *s, soc_center_enrolment_cb cb, void *arg);
/* Deletes the evidence chunks received before before_ns whose bundle has
 * no manifest (it never came). OUT: *chunks, *bytes deleted. */
int soc_store_center_orphans_expire(soc_center_store *s, int64_t before_ns, int64_t *chunks,
                                    int64_t *bytes);

/* ---- the center's side of the workflow (store_center_report.c) -------------
 * Reports (latest revision and every revision), the notifications owed for
 * levels 3-4, the center's decisions, and evidence bundles with their
 * chunks. Writes are idempotent like the rest of center.db (a replay
 * changes nothing) and run inside the caller's transaction; they are not on
 * the hot path, so statements are prepared per call. Strings handed to
 * callbacks are valid during the call only. */

typedef struct soc_center_report {
  const char *id, *agent, *agency, *state, *category;
  int level;
  int64_t revision, discovered_ns, received_ns;
  int64_t flagged_ns; /* reading: when the review deadline was found passed, 0: not */
  const char *flag;   /* reading: why */
  const char *body;   /* the document (JSON) */
} soc_center_report;
typedef int (*soc_center_report_cb)(void *arg, const soc_center_report *r);
/* Keeps this revision (once) and makes it the report's row when its revision
 * is higher than the stored one: a replayed or late older revision never
 * replaces a newer one. OUT: *current (may be NULL) 1 when it did. */
int soc_store_center_report_put(soc_center_store *s, const soc_center_report *r, int *current);
/* One report (-ENOENT when unknown) or all of them by id. */
int soc_store_center_report_get(soc_center_store *s, const char *id, soc_center_report_cb cb,
                                void *arg);
int soc_store_center_reports_scan(soc_center_store *s, soc_center_report_cb cb, void *arg);
/* Flags a report for the center's direct review; the first flag stays. */
int soc_store_center_report_flag(soc_center_store *s, const char *id, int64_t at_ns,
                                 const char *why);

/* A notification owed to who for report at level, once. OUT: *fresh (may
 * be NULL). */
int soc_store_center_notify(soc_center_store *s, const char *report, int level, const char *who,
                            int64_t at_ns, int *fresh);
typedef int (*soc_center_notify_cb)(void *arg, const char *report, int level, const char *who,
                                    int64_t at_ns);
/* Of one report, or all (report NULL), oldest first. */
int soc_store_center_notifications_scan(soc_center_store *s, const char *report,
                                        soc_center_notify_cb cb, void *arg);

/* The next decision number (inside the caller's write transaction, so two
 * operators never get the same). */
int soc_store_center_decision_next(soc_center_store *s, int64_t *n);
/* Records decision n as the message body to produce to topic (keyed by
 * report). It is the outbox row: pending until
 * soc_store_center_decision_delivered, so a decision committed and never
 * acknowledged (Kafka down, the process killed) is produced again. */
int soc_store_center_decision_put(soc_center_store *s, int64_t n, const char *id,
                                  const char *report, const char *kind, int64_t at_ns,
                                  const char *by, const char *topic, const char *body);
typedef int (*soc_center_pending_cb)(void *arg, int64_t n, const char *report, const char *topic,
                                     const char *body);
/* The decisions Kafka has not acknowledged yet, oldest first. */
int soc_store_center_decisions_pending(soc_center_store *s, soc_center_pending_cb cb, void *arg);
/* Kafka acknowledged decision n at at_ns; the first acknowledgement stays. */
int soc_store_center_decision_delivered(soc_center_store *s, int64_t n, int64_t at_ns);
typedef int (*soc_center_decision_cb)(void *arg, const char *kind, int64_t at_ns, const char *body);
/* The decisions on one report, in the order they were made. */
int soc_store_center_decisions_scan(soc_center_store *s, const char *report,
                                    soc_center_decision_cb cb, void *arg);
/* Campaigns: per (kind, source, agency), the alerts received since
 * since_ns that name the source (kind "source.ip" or "file.hash.sha256"),
 * with their count and first and last receipt; by kind, source, agency. */
typedef int (*soc_center_source_cb)(void *arg, const char *kind, const char *source,
                                    const char *agency, int64_t alerts, int64_t first_ns,
                                    int64_t last_ns);
int soc_store_center_alert_sources(soc_center_store *s, int64_t since_ns, soc_center_source_cb cb,
                                   void *arg);

/* Evidence: a chunk once per (bundle, seq), the manifest once per bundle. */
int soc_store_center_chunk_put(soc_center_store *s, const char *bundle, int64_t seq, int64_t offset,
                               const void *data, size_t len, int64_t received_ns, int *dup);
int soc_store_center_bundle_put(soc_center_store *s, const char *bundle, const char *report,
                                const char *agent, int64_t chunks, int64_t size,
                                const char *manifest, int *dup);
typedef struct soc_center_bundle {
  const char *id, *report, *agent, *manifest;
  const char *state;  /* incomplete | verified | failed */
  const char *path;   /* the archive on disk, "" before */
  const char *reason; /* why it failed */
  int64_t chunks, size;
  int64_t have; /* chunks stored */
  int64_t checked_ns;
} soc_center_bundle;
typedef int (*soc_center_bundle_cb)(void *arg, const soc_center_bundle *b);
/* One bundle (-ENOENT when no manifest came yet), or all, by id. */
int soc_store_center_bundle_get(soc_center_store *s, const char *id, soc_center_bundle_cb cb,
                                void *arg);
int soc_store_center_bundles_scan(soc_center_store *s, soc_center_bundle_cb cb, void *arg);
typedef int (*soc_center_chunk_cb)(void *arg, int64_t seq, int64_t offset, const void *data,
                                   size_t len);
/* A bundle's chunks in seq order. */
int soc_store_center_chunks_scan(soc_center_store *s, const char *bundle, soc_center_chunk_cb cb,
                                 void *arg);
int soc_store_center_bundle_set(soc_center_store *s, const char *id, const char *state,
                                const char *path, const char *reason, int64_t checked_ns);

/* ---- the console's accounts (store_console.c; its audit: audit.h) ---------- */

typedef struct soc_console_user {
  const char *name, *hash, *role, *agency;
  int64_t authority;
  int disabled;
  int64_t changed_ns;
} soc_console_user;
typedef int (*soc_console_user_cb)(void *arg, const soc_console_user *u);
/* Adds the account, or -EEXIST. */
int soc_store_console_user_add(soc_center_store *s, const soc_console_user *u);
/* A new hash (hash non-NULL) or disabled (hash NULL) for name; -ENOENT when
 * unknown. */
int soc_store_console_user_set(soc_center_store *s, const char *name, const char *hash,
                               int64_t at_ns);
/* name's row to cb, or -ENOENT. */
int soc_store_console_user_get(soc_center_store *s, const char *name, soc_console_user_cb cb,
                               void *arg);
/* The latest message of each (agent, id) on topic (id: the JSON path of
 * the body's own id, e.g. "$.id" for drafts, "$.alert" for alerts), newest
 * first, at most limit; agency is the one the agent was enrolled with (else
 * from its heartbeats, else ""). */
typedef int (*soc_console_message_cb)(void *arg, const char *agent, const char *agency,
                                      int64_t received_ns, const char *body);
int soc_store_console_latest_scan(soc_center_store *s, const char *topic, const char *id_path,
                                  size_t limit, soc_console_message_cb cb, void *arg);
/* The latest message of agent on topic whose id_path is id: one call of cb,
 * or -ENOENT. */
int soc_store_console_latest_get(soc_center_store *s, const char *topic, const char *id_path,
                                 const char *agent, int64_t id, soc_console_message_cb cb,
                                 void *arg);

#endif
