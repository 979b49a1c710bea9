/*
 * store — the agent's and the collector's SQLite database.
 *
 * Everything durable lives here: today a small key/value table of metadata;
 * later the event journal, source checkpoints, drafts, the outbox and the
 * audit trail. No other module writes SQL: each of those gets functions in
 * this interface, so the schema, its migrations and its transactions stay
 * in one file.
 *
 * Opening a store creates the file if needed with mode 0600 (0640 with
 * SOC_STORE_GROUP_READ, 0660 with SOC_STORE_GROUP_WRITE), whatever the umask, and sets the same
 * mode on its -wal and -shm companions; checks the file with PRAGMA quick_check; turns on WAL; and
 * brings the schema up to date, one migration per transaction. A file written by a newer version of
 * this program is refused rather than guessed at. Every error message names the file.
 *
 * Errors are negative errno codes:
 *   -EBADMSG   the file is not an SQLite database, or is corrupt
 *   -ENOTSUP   the schema is newer than this program
 *   -EBUSY     another process held a lock past the busy timeout
 *   -ENOSPC    the disk is full
 *   -EACCES, -ENOENT, -ELOOP, ...  from opening the file
 *   -EIO       any other SQLite failure
 * soc_store_errmsg() then has the words.
 *
 * A soc_store is used by one thread at a time.
 */
#ifndef SOC_STORE_H
#define SOC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "soc/hash.h"

/* soc_store_open flags */
#define SOC_STORE_GROUP_READ (1u << 0) /* files get mode 0640, not 0600 */
/* Files get mode 0660: the agent's agent.db, which analysts in the agent's
 * group read and write through socctl. A WAL reader must write the -shm
 * file, and a decision is a write, so read access alone would not do. Every
 * opener of one file must pass the same mode (an owner would reset it). */
#define SOC_STORE_GROUP_WRITE (1u << 2)
/* The one mode policy of the agent's agent.db: every connection to it (the
 * ingest loop, the detector, the forwarder, watched directories, the
 * workflow, socctl) opens it with these flags, so that none resets the
 * mode another one set, and an analyst in the state folder's group can
 * open it (a WAL reader writes the -shm file). */
#define SOC_STORE_AGENT SOC_STORE_GROUP_WRITE

/* Longest value soc_store_meta_set takes, and longest key. */
#define SOC_STORE_META_VALUE_MAX 65536
#define SOC_STORE_META_KEY_MAX 256

typedef struct soc_store soc_store;

/* Opens (creating if missing) the store at path.
 * OUT: *out, owned by the caller, close with soc_store_close; NULL on error.
 * On error, err (errlen bytes, may be NULL/0) receives a message naming the
 * file. Returns 0 or a negative errno code as above; -EINVAL for a NULL
 * path or out, or unknown flags. */
int soc_store_open(const char *path, unsigned flags, soc_store **out, char *err, size_t errlen);
/* Rolls back an open transaction and closes. NULL is a no-op. */
void soc_store_close(soc_store *s);

/* The schema version this program writes (the number of migrations). */
int soc_store_schema_version(void);
/* The message of the last failed call on s; "" when none. Owned by s. */
const char *soc_store_errmsg(const soc_store *s);

/* Explicit transactions, for callers that group several writes; without
 * one, each call commits on its own. begin takes the write lock at once
 * (BEGIN IMMEDIATE), so a transaction never fails half-way for a lock.
 * begin inside a transaction, and commit or rollback outside one, return
 * -EINVAL: SQLite has no nesting, and pretending would hide a bug. */
int soc_store_begin(soc_store *s);
int soc_store_commit(soc_store *s);
int soc_store_rollback(soc_store *s);
/* The version of the alerts and drafts in *out: every row of alert or
 * draft added, removed or changed, by any writer, moves it on, except a
 * change of an alert's first_ns, last_ns and count alone (what
 * soc_store_alert_touch writes: only the triage that counts an alert does).
 * Read at the start of a transaction (which holds the write lock) and
 * again before its commit, it tells a caller that keeps what it read of
 * alerts across its transactions whether anyone else changed them in
 * between; journal blocks, counters and the outbox leave it. 0, -ENOENT
 * when the file has no version (its row deleted by hand), or an error as
 * above. */
int soc_store_triage_version(soc_store *s, int64_t *out);

/* The store's id (meta "store.id"): 32 random hex digits made with the
 * file. renew replaces it with a new random one. */
#define SOC_STORE_ID_LEN 32
int soc_store_renew_id(soc_store *s);

/* Savepoints: writes that land whole or not at all, whether a transaction
 * is open (they nest in it) or not (they are one). name: lower-case letters
 * and '_'. rollback_to undoes the writes since the savepoint and ends it. */
int soc_store_savepoint(soc_store *s, const char *name);
int soc_store_release(soc_store *s, const char *name);
int soc_store_rollback_to(soc_store *s, const char *name);

/* Copies the value of key, NUL-terminated, into buf.
 * OUT: *len (may be NULL), the value's length, also when it did not fit.
 * Returns 0, -ENOENT when key is absent, -ENOSPC when buf is too small
 * (buf then holds ""), -EINVAL for NULL arguments. */
int soc_store_meta_get(soc_store *s, const char *key, char *buf, size_t buflen, size_t *len);
/* Inserts or replaces key = value. Returns 0, -EINVAL for NULL, empty or
 * over-long arguments, or an error as above. */
int soc_store_meta_set(soc_store *s, const char *key, const char *value);

/* ---- journal blocks (store_journal.c) ---------------------------------
 * A block holds consecutive lines of one stream (a file, or a network
 * input), encoded and compressed by journal.c; the store only indexes it. */

typedef struct soc_block_meta {
  int64_t id;         /* OUT of insert; set by scans */
  const char *source; /* input id */
  int64_t stream;     /* file stream id; 0 for network inputs */
  uint64_t first_pos, last_pos;
  int64_t first_ts, last_ts; /* event times, ns */
  int64_t recv_last;         /* when the newest line was read, ns */
  uint32_t lines;
  uint32_t raw_bytes; /* before compression */
  int codec;          /* journal.c's codec number */
  const char *hosts;  /* distinct host names, '\n'-separated; "" for none */
  int check;          /* set by scans: SOC_BLOCK_OK, _UNCHECKED or _DAMAGED */
} soc_block_meta;

/* What a scan found of a block's checksum (a SHA-256 over the data and
 * every column above, written by insert). */
#define SOC_BLOCK_OK 0
#define SOC_BLOCK_UNCHECKED 1 /* written before checksums existed (schema < 9) */
#define SOC_BLOCK_DAMAGED 2   /* the checksum does not match: do not trust any of it */

/* Inserts one block. OUT: *id (may be NULL). */
int soc_store_block_insert(soc_store *s, const soc_block_meta *m, const void *data, size_t len,
                           int64_t *id);

typedef struct soc_block_query {
  int64_t after_id;   /* blocks with id > after_id (0: from the start) */
  int64_t upto_id;    /* and id <= upto_id (0: no limit) */
  const char *source; /* NULL: any */
  int64_t since_ns;   /* blocks whose last_ts >= since_ns (0: any) */
  int64_t until_ns;   /* blocks whose first_ts <= until_ns (0: any) */
  const char *host;   /* NULL: any; else blocks whose hosts list has it */
  size_t limit;       /* 0: no limit */
} soc_block_query;

/* Calls cb for each matching block in id order; data and strings are valid
 * only during the call. A non-zero return from cb stops the scan and is
 * returned. */
typedef int (*soc_block_cb)(void *arg, const soc_block_meta *m, const void *data, size_t len);
int soc_store_block_scan(soc_store *s, const soc_block_query *q, soc_block_cb cb, void *arg);

typedef struct soc_block_totals {
  int64_t blocks, lines, raw_bytes, stored_bytes;
  int64_t first_id, last_id; /* 0 when empty */
} soc_block_totals;
int soc_store_block_totals(soc_store *s, soc_block_totals *out);
/* The same for the blocks with id > after_id: what is not forwarded yet. */
int soc_store_block_totals_after(soc_store *s, int64_t after_id, soc_block_totals *out);

/* The newest block's id (0 when the journal is empty): cheap, by index. */
int soc_store_block_last(soc_store *s, int64_t *id);
/* The id of the oldest block after after_id (0 when there is none): cheap, by
 * index, without reading or checking the block as soc_store_block_scan does. */
int soc_store_block_next(soc_store *s, int64_t after_id, int64_t *id);

/* Records, once per block id, that block m is damaged and why (what its row
 * still says is kept with it). OUT: *fresh, 1 when it was not known yet. */
int soc_store_block_damage_once(soc_store *s, const soc_block_meta *m, const char *why, int *fresh);
/* Every block ever found damaged, by id; m->hosts is "" and m->check
 * SOC_BLOCK_DAMAGED. A non-zero return from cb stops and is returned. */
typedef int (*soc_damage_cb)(void *arg, const soc_block_meta *m, const char *why);
int soc_store_block_damage_scan(soc_store *s, soc_damage_cb cb, void *arg);

/* Deletes whole blocks, oldest (lowest id) first, with id <= upto_id, until
 * at least free_bytes of stored data are gone or none is left; or, with
 * free_bytes < 0, every block with id <= upto_id read before before_ns
 * (recv_last). The newest block is never deleted: ids are rowids, and
 * deleting the highest would let the next block reuse its id behind the
 * readers' cursors.
 * OUT: *gone, what was deleted (may be NULL). */
int soc_store_block_delete(soc_store *s, int64_t upto_id, int64_t free_bytes, int64_t before_ns,
                           soc_block_totals *gone);

/* ---- file streams (store_files.c) ---------------------------------------
 * One row per file the tail input has read: its identity and the committed
 * position (every byte before it is in the journal). */

#define SOC_STREAM_PATH_MAX 4096
#define SOC_STREAM_FP_MAX 32

typedef enum {
  SOC_STREAM_ACTIVE = 0,
  SOC_STREAM_DRAINING = 1,
  SOC_STREAM_DONE = 2
} soc_stream_state;

typedef struct soc_stream_row {
  int64_t id;
  char input[SOC_STORE_META_KEY_MAX];
  char path[SOC_STREAM_PATH_MAX];
  uint64_t dev, ino;
  uint32_t fp_len;               /* bytes of the file the fingerprint covers */
  uint8_t fp[SOC_STREAM_FP_MAX]; /* SHA-256 of them */
  uint64_t offset;
  soc_stream_state state;
  uint32_t flags; /* the input's own (e.g. "inside an over-long line") */
} soc_stream_row;

/* Every stream of input that is not DONE. OUT: *rows (free()), *n. */
int soc_store_streams_load(soc_store *s, const char *input, soc_stream_row **rows, size_t *n);
/* The latest `max` DONE streams of input whose fingerprint covers at least
 * min_fp_len bytes, newest first: what a copy of an ended file is known by.
 * OUT: *rows (free()), *n. */
int soc_store_streams_ended(soc_store *s, const char *input, uint32_t min_fp_len, size_t max,
                            soc_stream_row **rows, size_t *n);
/* Inserts row and sets row->id. */
int soc_store_stream_insert(soc_store *s, soc_stream_row *row);
/* Writes path, identity, fingerprint, offset and state of row->id. */
int soc_store_stream_update(soc_store *s, const soc_stream_row *row);
/* The stream's row by id, in whatever state. Returns 0, -ENOENT. */
int soc_store_stream_get(soc_store *s, int64_t id, soc_stream_row *row);

/* ---- network sequences and counters (store_files.c) --------------------- */

/* The next position of a network input (0 when never set). */
int soc_store_seq_get(soc_store *s, const char *input, uint64_t *seq);
int soc_store_seq_set(soc_store *s, const char *input, uint64_t seq);

int soc_store_counter_set(soc_store *s, const char *input, const char *name, int64_t value);
/* The same, skipped when value is saved, what the store holds since the
 * caller's last commit (INT64_MIN: nothing known, always written): a
 * writer that commits several times a second writes only the rows that
 * moved. *writing is what the store holds once this transaction commits;
 * the caller makes it its saved value after the commit, and keeps saved
 * after a rollback. */
int soc_store_counter_put(soc_store *s, const char *input, const char *name, int64_t value,
                          int64_t saved, int64_t *writing);
/* Calls cb for every counter, ordered by input then name. */
typedef int (*soc_counter_cb)(void *arg, const char *input, const char *name, int64_t value);
int soc_store_counters_scan(soc_store *s, soc_counter_cb cb, void *arg);

/* ---- detection (store_detect.c) -------------------------------------------
 * Correlation state, drafts with their evidence, and the outbox: all written
 * by the detector in one transaction with its journal cursor, so a crash
 * replays detection exactly. */

/* Inserts or replaces the state blob of (rule, key); len 0 deletes it.
 * Inside a transaction the puts are kept in the handle and written at
 * the commit as one packed row (forgotten at a rollback; a savepoint's
 * release or rollback to it keeps or forgets those put inside it); outside
 * one, a put is written at once. -EINVAL for a rule id over 255 bytes, a key or a
 * state over 65,535. */
int soc_store_detect_state_put(soc_store *s, const char *rule, const char *key, const void *blob,
                               size_t len);
/* Forgets every saved state (a full dump follows). */
int soc_store_detect_state_clear(soc_store *s);
/* Puts and deletes are appended to a log, which only a clear empties: the
 * records it holds (cheap: a sum over its rows, which are few), so the
 * caller knows when to clear it and write every live state again. */
int soc_store_detect_state_rows(soc_store *s, int64_t *rows);
typedef int (*soc_state_cb)(void *arg, const char *rule, const char *key, const void *blob,
                            size_t len);
/* Calls cb for every live key's newest state, in (rule, key) order (strcmp),
 * this transaction's puts included. Reads the whole log into memory.
 * -EBADMSG (the row named in the error) when a packed row is damaged. */
int soc_store_detect_state_scan(soc_store *s, soc_state_cb cb, void *arg);

#define SOC_DRAFT_RULE_MAX 65
#define SOC_DRAFT_KEY_MAX 513
#define SOC_DRAFT_ASSET_MAX 129
#define SOC_DRAFT_STATUS_MAX 16

typedef struct soc_draft_row {
  int64_t id;
  char rule[SOC_DRAFT_RULE_MAX];
  char key[SOC_DRAFT_KEY_MAX];
  char asset[SOC_DRAFT_ASSET_MAX];
  char status[SOC_DRAFT_STATUS_MAX]; /* open, confirmed, rejected, merged */
  int level;
  int64_t first_ns, last_ns, discovered_ns;
  int64_t count;
  char *body; /* JSON, owned by the row: soc_draft_row_clear */
} soc_draft_row;

void soc_draft_row_clear(soc_draft_row *row);
int soc_store_draft_get(soc_store *s, int64_t id, soc_draft_row *out);
/* Inserts (row->id == 0: sets it) or updates every column of row->id. */
int soc_store_draft_put(soc_store *s, soc_draft_row *row);
/* Drafts whose status is `status` (NULL: all), newest discovery first. */
typedef int (*soc_draft_cb)(void *arg, const soc_draft_row *row);
int soc_store_drafts_scan(soc_store *s, const char *status, soc_draft_cb cb, void *arg);

typedef struct soc_evidence_row {
  int64_t draft;
  int seq;
  int64_t block;
  const char *source;
  int64_t stream;
  uint64_t pos;
  int64_t ts;
  const void *line;
  size_t len;
} soc_evidence_row;
int soc_store_evidence_add(soc_store *s, const soc_evidence_row *e);
/* How many evidence lines draft has (0 on error). */
int soc_store_evidence_count(soc_store *s, int64_t draft);
typedef int (*soc_evidence_cb)(void *arg, const soc_evidence_row *e);
int soc_store_evidence_scan(soc_store *s, int64_t draft, soc_evidence_cb cb, void *arg);

/* The outbox: messages for <prefix>.<topic>, shipped by the forwarder in id
 * order. OUT: *id (may be NULL). */
int soc_store_outbox_add(soc_store *s, const char *topic, const char *key, const void *payload,
                         size_t len, int64_t *id);
/* The id of the newest outbox row, 0 when empty or on error. */
int64_t soc_store_outbox_last(soc_store *s);
typedef int (*soc_outbox_cb)(void *arg, int64_t id, const char *topic, const char *key,
                             const void *payload, size_t len);
int soc_store_outbox_scan(soc_store *s, int64_t after_id, size_t limit, soc_outbox_cb cb,
                          void *arg);

/* ---- triage (store_detect.c) -----------------------------------------------
 * Every rule firing is an alert (no clock); drafts are made only where a
 * rule shows impact, and take in the alerts that share an entity with them
 * on the same host (agent/detect/triage.c, docs/TRIAGE.md). Written in the
 * detector's transaction, with the correlation state. */

#define SOC_ALERT_IMPACT_MAX 16

typedef struct soc_alert_row {
  int64_t id;
  char rule[SOC_DRAFT_RULE_MAX];
  char key[SOC_DRAFT_KEY_MAX];
  char host[SOC_DRAFT_ASSET_MAX]; /* the grouping's scope: host.name, else the asset */
  char asset[SOC_DRAFT_ASSET_MAX];
  char impact[SOC_ALERT_IMPACT_MAX]; /* none, leak, tamper, outage */
  int level;                         /* its rule's level alone; 0 for none */
  int64_t first_ns, last_ns, count;  /* times from the lines */
  int64_t draft;                     /* the draft that took it in; 0: none */
  char *body;                        /* its ECS alert, owned: soc_alert_row_clear */
} soc_alert_row;

void soc_alert_row_clear(soc_alert_row *row);
/* The newest last_ns of rule's alerts on host (INT64_MIN: none), by index.
 * Returns 0 or the store's error. */
int soc_store_alert_last(soc_store *s, const char *rule, const char *host, int64_t *last_ns);
/* The newest alert of (rule, key, host) last seen at or after since_ns.
 * Returns 0, -ENOENT. */
int soc_store_alert_find(soc_store *s, const char *rule, const char *key, const char *host,
                         int64_t since_ns, soc_alert_row *out);
int soc_store_alert_get(soc_store *s, int64_t id, soc_alert_row *out);
/* Inserts (row->id == 0: sets it) or updates every column of row->id. */
int soc_store_alert_put(soc_store *s, soc_alert_row *row);
/* A later hit of row->id: only its first_ns, last_ns and count are written
 * (an update in place, where put replaces the row and its index entries). */
int soc_store_alert_touch(soc_store *s, const soc_alert_row *row);
/* draft < 0: every alert, newest first; else the alerts draft took in (0:
 * none took them in), oldest first. A non-zero return from cb stops. */
typedef int (*soc_alert_cb)(void *arg, const soc_alert_row *row);
int soc_store_alerts_scan(soc_store *s, int64_t draft, soc_alert_cb cb, void *arg);
/* Evidence of an alert: soc_evidence_row with .draft = the alert's id. */
int soc_store_alert_evidence_add(soc_store *s, const soc_evidence_row *e);
int soc_store_alert_evidence_count(soc_store *s, int64_t alert);
int soc_store_alert_evidence_scan(soc_store *s, int64_t alert, soc_evidence_cb cb, void *arg);
/* Appends alert's evidence lines to draft's, up to max lines in all. */
int soc_store_alert_evidence_copy(soc_store *s, int64_t alert, int64_t draft, int max);
/* Records that alert carries kind=value on host (once). */
int soc_store_alert_entity_put(soc_store *s, const char *host, const char *kind, const char *value,
                               int64_t alert);
/* Alerts carrying kind=value on host last seen at or after since_ns: grouped 1,
 * those an open draft took in (newest first); 0, those no draft took in. */
typedef int (*soc_entity_cb)(void *arg, int64_t alert, int64_t draft);
int soc_store_entity_scan(soc_store *s, const char *host, const char *kind, const char *value,
                          int64_t since_ns, int grouped, soc_entity_cb cb, void *arg);

/* Notices from the technical center (a campaign across agencies): kept
 * once by the center's decision id. OUT: *fresh 1 when it is new. */
int soc_store_notice_put(soc_store *s, const char *id, int64_t at_ns, const char *kind,
                         const char *source, const char *body, int *fresh);
/* Newest first. A non-zero return from cb stops. */
typedef int (*soc_notice_cb)(void *arg, const char *id, int64_t at_ns, const char *kind,
                             const char *source, const char *body);
int soc_store_notices_scan(soc_store *s, soc_notice_cb cb, void *arg);

/* ---- reports (store_report.c) ---------------------------------------------
 * A report is a confirmed draft's notification form (report.c,
 * docs/REPORTS.md): id is the draft's id; body the canonical JSON. */

#define SOC_REPORT_STATE_MAX 16

typedef struct soc_report_row {
  int64_t id;
  char state[SOC_REPORT_STATE_MAX];
  int level;
  int64_t revision;
  int64_t discovered_ns, updated_ns;
  char *body; /* owned by the row: soc_report_row_clear */
} soc_report_row;

void soc_report_row_clear(soc_report_row *row);
/* Returns 0, -ENOENT, or a store error. */
int soc_store_report_get(soc_store *s, int64_t id, soc_report_row *out);
/* Inserts or replaces every column of row->id. */
int soc_store_report_put(soc_store *s, const soc_report_row *row);
/* Reports in id order; state NULL: all. A non-zero return from cb stops the
 * scan and is returned. The row is valid only during the call. */
typedef int (*soc_report_cb)(void *arg, const soc_report_row *row);
int soc_store_reports_scan(soc_store *s, const char *state, soc_report_cb cb, void *arg);
/* Records that alert kind for (report, step, due) was raised. OUT: *fresh 1
 * when it was not raised before (the caller raises it), 0 when it was. */
int soc_store_deadline_alert_once(soc_store *s, int64_t report, const char *step, const char *kind,
                                  int64_t due, int *fresh);
/* Records that the center's decision id was applied to report. OUT: *fresh
 * as above. */
int soc_store_center_decision_once(soc_store *s, const char *id, int64_t report, int *fresh);
/* ---- watched directories (store_watch.c) -------------------------------------
 * The baseline of each watch input's files, and the findings (YARA matches,
 * changed pages) already turned into drafts. */

typedef struct soc_watch_file_row {
  char input[SOC_STORE_META_KEY_MAX];
  char path[SOC_STREAM_PATH_MAX];
  int64_t size;
  int64_t mtime_ns;
  char sha256[SOC_SHA256_HEX_LEN + 1];
} soc_watch_file_row;

/* The baseline row of (input, path). Returns 0, -ENOENT. */
int soc_store_watch_file_get(soc_store *s, const char *input, const char *path,
                             soc_watch_file_row *out);
/* Inserts or replaces the row. */
int soc_store_watch_file_put(soc_store *s, const soc_watch_file_row *row);
int soc_store_watch_file_delete(soc_store *s, const char *input, const char *path);
/* Every row of input, by path. A non-zero return from cb stops the scan. */
typedef int (*soc_watch_file_cb)(void *arg, const soc_watch_file_row *row);
int soc_store_watch_files_scan(soc_store *s, const char *input, soc_watch_file_cb cb, void *arg);
/* How many rows input has. */
int soc_store_watch_files_count(soc_store *s, const char *input, int64_t *n);

/* Records that (rule, object, sha256) was found. Returns 0 when it is new,
 * -EEXIST when it was there already (nothing written). */
int soc_store_finding_seen_add(soc_store *s, const char *rule, const char *object,
                               const char *sha256);

/* An object a finding matched, for the evidence bundle. */
typedef struct soc_object_row {
  int64_t draft;
  char sha256[SOC_SHA256_HEX_LEN + 1];
  char name[SOC_STREAM_PATH_MAX];
  int64_t size;
  int kept; /* bytes present */
  int64_t ts_ns;
  const void *bytes; /* scan: valid during the callback only; NULL unless kept */
} soc_object_row;

/* Records that draft matched the object (sha256, name). With bytes
 * (row->kept and len == row->size) they are kept once per sha256; without,
 * only the record is (an object larger than evidence.object_max_bytes). */
int soc_store_object_add(soc_store *s, const soc_object_row *row, const void *bytes, size_t len);
/* Every object of draft, by time. A non-zero return from cb stops the scan. */
typedef int (*soc_object_cb)(void *arg, const soc_object_row *row);
int soc_store_objects_scan(soc_store *s, int64_t draft, soc_object_cb cb, void *arg);

/* ---- the audit log (store_audit.c) -----------------------------------------
 * Rows of the append-only audit table; the chain's hashes are computed and
 * checked by audit.c (include/soc/audit.h), which is what callers use. */

#define SOC_AUDIT_HASH_HEX 64 /* characters of a hex SHA-256, without the NUL */

typedef struct soc_audit_row {
  int64_t seq;
  int64_t ts_ns;
  const char *actor, *action, *object;
  const char *details;   /* JSON object */
  const char *prev_hash; /* hex; 64 zeros for the first entry */
  const char *hash;      /* hex */
} soc_audit_row;

/* 1 when a transaction is open on s (soc_store_begin or soc_store_read_begin). */
int soc_store_in_transaction(soc_store *s);
/* A read transaction (deferred BEGIN): one consistent snapshot for several
 * reads, without taking the write lock. End it with soc_store_commit. */
int soc_store_read_begin(soc_store *s);

/* The highest seq in the table. OUT: *seq, 0 when empty. */
int soc_store_audit_max_seq(soc_store *s, int64_t *seq);
/* Inserts r as it is (seq included). Fails if r->seq exists. */
int soc_store_audit_insert(soc_store *s, const soc_audit_row *r);
/* Calls cb for each row with seq > after_seq in seq order, at most limit
 * (0: all). Strings are valid only during the call. A non-zero return from
 * cb stops the scan and is returned. */
typedef int (*soc_audit_row_cb)(void *arg, const soc_audit_row *r);
int soc_store_audit_scan(soc_store *s, int64_t after_seq, size_t limit, soc_audit_row_cb cb,
                         void *arg);

#endif
