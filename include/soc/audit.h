/*
 * audit — the append-only, hash-chained log of every action (issue 6).
 *
 * Each entry carries the SHA-256 of the entry before it (prev_hash) and its
 * own hash over a length-prefixed encoding of (seq, ts_ns, actor, action,
 * object, details, prev_hash). Editing an entry breaks its hash; removing,
 * inserting or reordering breaks a seq or prev_hash link. A removed tail
 * leaves a valid shorter chain, so the head (last seq and hash) is also kept
 * in the store's meta table as "audit.head", written in the same
 * transaction as the entry; verify requires the chain to end exactly there.
 * Someone who can rewrite both the tail and the head is beyond what a local
 * file can prove: the head also leaves the machine (every heartbeat carries
 * it to the technical center), and a head recorded there is an anchor that
 * soc_audit_verify_anchored holds the local log to.
 *
 * Ownership: strings are borrowed for the call. Errors are negative errno
 * codes (soc_store_errmsg has the words for store failures).
 */
#ifndef SOC_AUDIT_H
#define SOC_AUDIT_H

#include <stdint.h>

#include "soc/store.h"

#define SOC_AUDIT_FIELD_MAX 256     /* bytes of actor, action, object */
#define SOC_AUDIT_DETAILS_MAX 65536 /* bytes of details */
#define SOC_AUDIT_HEAD_KEY "audit.head"

/* Appends one entry, stamped with the current time. details_json must be a
 * JSON object (NULL: "{}"); actor and action must be non-empty, object may
 * be "". Fields must be UTF-8 text within the limits above.
 * Inside a transaction (soc_store_begin) the entry joins it, so an action
 * and its audit entry commit or roll back together; outside one, the
 * append runs in its own BEGIN IMMEDIATE transaction.
 * OUT: *seq_out (may be NULL), the entry's number.
 * Returns 0; -EINVAL for bad arguments; -EBADMSG when the head record is
 * missing although entries exist (appending would hide the tampering);
 * or a store error. */
int soc_audit_append(soc_store *s, const char *actor, const char *action, const char *object,
                     const char *details_json, int64_t *seq_out);
/* The same, but requires the caller's open transaction (-EINVAL without):
 * for callers whose action must never commit without its entry. */
int soc_audit_append_tx(soc_store *s, const char *actor, const char *action, const char *object,
                        const char *details_json, int64_t *seq_out);

typedef struct soc_audit_report {
  int ok;                            /* 1: intact */
  int64_t entries;                   /* entries that checked out */
  int64_t bad_seq;                   /* when !ok: the first bad entry */
  char head[SOC_AUDIT_HASH_HEX + 1]; /* hash of the last good entry; "" when none */
  char what[256];                    /* when !ok: what is wrong, in words */
} soc_audit_report;

/* Walks the whole chain in one read snapshot (or in the caller's open
 * transaction) and fills *report. Returns 0 whether or not the log is
 * intact (see report->ok), or a negative errno when it could not be read. */
int soc_audit_verify(soc_store *s, soc_audit_report *report);

/* Also requires entry anchor_seq to exist with hash anchor_hash (a head
 * recorded off the machine earlier): a log cut back below it, or rewritten
 * from it on, is broken there even when its own head agrees with it.
 * anchor_seq 0: soc_audit_verify. */
int soc_audit_verify_anchored(soc_store *s, int64_t anchor_seq, const char *anchor_hash,
                              soc_audit_report *report);

/* Where a chain is kept, for a log in another database than a soc_store
 * (the center's on PostgreSQL): the same chain, hashes and checks, over
 * these callbacks on handle h. head_get/head_set read and write the head
 * record ("SEQ:HASH"; head_get: -ENOENT when absent, -ENOSPC when longer
 * than cap); the others promise what store.h's soc_store_* and
 * soc_store_audit_* of the same names promise. begin must make appends
 * one at a time (several writers may share the database); read_begin must
 * give one snapshot for the whole walk. */
typedef struct soc_audit_log {
  void *h;
  int (*in_transaction)(void *h);
  int (*begin)(void *h);
  int (*read_begin)(void *h);
  int (*commit)(void *h);
  void (*rollback)(void *h);
  int (*head_get)(void *h, char *buf, size_t cap);
  int (*head_set)(void *h, const char *head);
  int (*max_seq)(void *h, int64_t *seq);
  int (*insert)(void *h, const soc_audit_row *r);
  int (*scan)(void *h, int64_t after_seq, size_t limit, soc_audit_row_cb cb, void *arg);
} soc_audit_log;

/* The log of s (its audit and meta tables), which soc_audit_append and
 * the others here use; s is borrowed. */
soc_audit_log soc_audit_store_log(soc_store *s);
/* soc_audit_append and soc_audit_verify_anchored on l. */
int soc_audit_log_append(const soc_audit_log *l, const char *actor, const char *action,
                         const char *object, const char *details_json, int64_t *seq_out);
int soc_audit_log_verify(const soc_audit_log *l, int64_t anchor_seq, const char *anchor_hash,
                         soc_audit_report *report);

/* An audit head as text, "SEQ:HASH" (the store's record, a heartbeat's
 * anchor): SEQ >= 1, HASH 64 lower-case hex digits. Returns 0 or -EINVAL. */
int soc_audit_anchor_parse(const char *text, int64_t *seq, char hash[SOC_AUDIT_HASH_HEX + 1]);
/* 1 when hex is a hash as the chain writes it: 64 lower-case hex digits. */
int soc_audit_hash_is_hex(const char *hex);

/* The recorded head: OUT *seq (0 when the log is empty) and hash ("" then).
 * Returns 0, -EBADMSG when the record is unreadable, or a store error. */
int soc_audit_head(soc_store *s, int64_t *seq, char hash[SOC_AUDIT_HASH_HEX + 1]);

/* The hash of an entry, as hex (65 bytes with the NUL). Exposed for tests
 * and for anyone re-checking an exported log. Returns 0 or -EIO. */
int soc_audit_hash(const soc_audit_row *r, char out[SOC_AUDIT_HASH_HEX + 1]);

#endif
