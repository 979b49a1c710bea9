/*
 * correlate — turning rule hits into firings: counts in a window, distinct
 * values, sequences (`after`) and suppression, per rule and key
 * (docs/RULES.md, `correlate:`).
 *
 * Time is the event's time (@timestamp) that the caller passes, never the
 * wall clock: a replay of last week's log fires exactly as the live stream
 * did, and tests are deterministic. Windows slide by event time.
 *
 * Semantics, precisely:
 *   - The key is the values of group_by joined by '|' ('|' and '\' in a
 *     value are escaped with '\'); a hit that lacks one of them (or the
 *     distinct field) is not counted. Keys longer than
 *     SOC_CORRELATE_KEY_MAX end in '#' and a hash of the whole key.
 *   - count N within W: fires when the key's N newest hits span at most W
 *     (both ends included). After a firing the key's window starts empty.
 *   - distinct F: the same with the number of distinct values of F among
 *     the hits of the last W.
 *   - after {rule: A, within: V}: fires only if A fired for the same key
 *     (this rule's group_by read from A's event) at most V before.
 *   - suppress S: a firing at t silences the key until t + S (excluded);
 *     hits meanwhile still slide the window, so an attack that goes on
 *     fires again as soon as the quiet time is over.
 *   - A rule without `correlate:` fires on every hit.
 *   - count_max, count_neq (Sigma's lt/lte/eq/neq): the window opens at
 *     the key's first hit and is decided once event time passes its end (a
 *     later hit of the key, or soc_correlator_close): it fires when count
 *     <= hits (or distinct values) <= count_max and hits != count_neq; the
 *     next hit opens a new window.
 *   - members (Sigma temporal, temporal_ordered): each member's firing
 *     notes its time for its key; when all are there within the window
 *     (and, ordered, each after the one before it) the rule fires and its
 *     key starts empty. Those firings are queued: soc_correlator_next.
 *
 * Memory is bounded: at most max_keys (rule, key) states in all, the one
 * updated longest ago evicted (and counted) to make room; each state keeps
 * at most `count` hit times (or distinct value hashes).
 *
 * Persistence is the caller's (the store's) business: dump hands out one
 * opaque, bounded blob per (rule id, key) and restore takes it back,
 * checking it as untrusted input (it comes from disk). Only what changed
 * since the last dump need be written.
 *
 * Ownership: a correlator borrows its soc_rules, which must outlive it. Not
 * thread-safe: one detector thread feeds it.
 */
#ifndef SOC_CORRELATE_H
#define SOC_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"
#include "soc/rules.h"

#define SOC_CORRELATE_KEY_MAX 512         /* bytes of a key, without the NUL */
#define SOC_CORRELATE_DEFAULT_KEYS 100000 /* rules.max_keys's default */
#define SOC_CORRELATE_BLOB_MAX (40 + 16 * SOC_RULE_COUNT_MAX)

typedef struct soc_fire {
  const soc_rule *rule;
  char key[SOC_CORRELATE_KEY_MAX + 1];
  size_t count;     /* hits (or distinct values) that made it fire */
  int64_t first_ns; /* the oldest of them */
  int64_t last_ns;  /* the newest */
  /* soc_correlator_feed: 1 when key holds the hit's group_by values as
   * they are, joined with '|' (none missing, none escaped, not cut), fired
   * or not, so the caller need not join them again; else 0 */
  int key_plain;
} soc_fire;

typedef struct soc_correlator soc_correlator;

/* max_keys 0 means SOC_CORRELATE_DEFAULT_KEYS. Returns 0 and *out (owned
 * by the caller), or -ENOMEM / -EINVAL. */
int soc_correlator_new(const soc_rules *rules, size_t max_keys, soc_correlator **out);
/* NULL is a no-op. */
void soc_correlator_free(soc_correlator *c);

/* One hit of rule on ev (captures set) at event time ts_ns. Returns 1 and
 * fills *out when the rule fires, 0 when it does not (out->key then holds
 * the hit's key when out->key_plain says so), or a negative errno.
 * Call it for every hit soc_rules_match reports, in that order: a firing
 * also arms the rules that name this one in `after` and feeds the members
 * rules it is a member of (a members rule's own hit is ignored: 0). */
int soc_correlator_feed(soc_correlator *c, const soc_rule *rule, const soc_event *ev, int64_t ts_ns,
                        soc_fire *out);

/* Takes the next queued firing: one of a rule that its members fed
 * (queued by the soc_correlator_feed just made: the event was the feed's),
 * or of a window that soc_correlator_close decided (no event: the key
 * holds the group_by values). Returns 1 and fills *out, 0 when none is
 * left. Call it until 0 after each feed and each close. */
int soc_correlator_next(soc_correlator *c, soc_fire *out);

/* Decides the count_max/count_neq windows that event time now_ns has passed, and
 * queues the firings (for soc_correlator_next). Cheap when none is due:
 * call it for every line. Returns how many were queued. */
size_t soc_correlator_close(soc_correlator *c, int64_t now_ns);

/* Makes ev (reset first) the event of a decided window's firing: each
 * group_by value of f's key in the first of its field's names ("a|b": a),
 * the host_by one also as host.name, the time f's last hit's. A value cut by the key's length limit
 * is kept as cut. Returns 0, or a negative errno from soc_event_set. */
int soc_correlator_key_event(const soc_fire *f, soc_event *ev);

/* Drops states that can no longer matter at event time now_ns (window,
 * suppression and sequence all past). Returns how many. */
size_t soc_correlator_expire(soc_correlator *c, int64_t now_ns);

typedef struct soc_correlator_stats {
  size_t keys, max_keys;
  uint64_t evicted; /* states dropped to stay within max_keys */
  uint64_t expired; /* states dropped by soc_correlator_expire */
  uint64_t fired;
  uint64_t suppressed; /* firings held back by suppress */
  uint64_t ungrouped;  /* hits without a group_by or distinct field */
  uint64_t restored;
  uint64_t refused; /* blobs restore rejected */
  uint64_t dropped; /* firings of members' rules lost to a full queue */
} soc_correlator_stats;
void soc_correlator_stats_get(const soc_correlator *c, soc_correlator_stats *out);

/* Persistence. The callback gets, in this order:
 *   rule_id == NULL, key == NULL: forget every saved state (then all
 *     states follow); sent first by SOC_DUMP_ALL, and by SOC_DUMP_DIRTY
 *     when too many states went away to list them one by one;
 *   blob == NULL, len == 0: the state (rule_id, key) is gone, delete it;
 *   otherwise: save blob[0..len) (len <= SOC_CORRELATE_BLOB_MAX) for
 *     (rule_id, key), replacing what was there.
 * Strings and blob are valid during the call only. A non-zero return stops
 * the dump and is returned. Dumping changes nothing: call
 * soc_correlator_mark_clean once what was dumped is safely stored (no feed
 * in between), and the next SOC_DUMP_DIRTY only reports later changes. */
#define SOC_DUMP_ALL 0u
#define SOC_DUMP_DIRTY 1u
typedef int (*soc_dump_cb)(void *arg, const char *rule_id, const char *key, const void *blob,
                           size_t len);
int soc_correlator_dump(const soc_correlator *c, unsigned flags, soc_dump_cb cb, void *arg);
void soc_correlator_mark_clean(soc_correlator *c);

/* Takes back one saved state. Returns 0; -ENOENT when the rule is gone or
 * no longer correlates (drop the row); -EINVAL for a malformed blob, a key
 * that is too long, or a blob that no longer fits the rule (counting mode
 * changed); -ENOMEM. A restored state is not dirty. A rule whose count was
 * lowered keeps the newest hits. */
int soc_correlator_restore(soc_correlator *c, const char *rule_id, const char *key,
                           const void *blob, size_t len);

#endif
