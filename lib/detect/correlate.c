/*
 * correlate — per (rule, key) state for counting, distinct values,
 * sequences and suppression.
 *
 * Each state is one heap block (the key is stored inline), found through an
 * open-addressing table of 8-byte slots (below), and on two lists: a
 * least-recently-updated list to evict from when max_keys is reached, and a
 * dirty list so a dump visits only what changed. A slot keeps a few bits of
 * its state's hash beside the pointer so a lookup reads only the state it
 * finds: with 100,000 keys every state is a cache miss, and a chain made
 * each of its neighbours one more. Both lists are intrusive and doubly
 * linked, so feeding, evicting and dumping a change are O(1) whatever the
 * key count.
 *
 * A count rule keeps its newest `count` hit times sorted; it fires when the
 * oldest of them is within the window of the newest. That is exact for
 * events in time order and cheap to keep (a hit usually appends); a hit
 * older than all kept ones can not help a window end later, and is dropped.
 * A distinct rule keeps up to `count` (value hash, last seen) pairs and
 * forgets those that slid out of the window. Hashes are 64-bit SipHash
 * with a fixed key, so they mean the same after a restart (they are
 * saved); a collision merges two values, which can only delay a firing.
 *
 * A rule decided at the window's end keeps its window's first count_max + 1
 * (or count_neq + 1) hits or values: one more says "too many". A members
 * rule (Sigma temporal) keeps a (member position, time) pair per member
 * that fired: for ordered ones the time the chain reaching that member
 * started, which is all the next member needs to know; a counting members
 * rule (Sigma event_count of several rules) counts as above.
 *
 * The hash table's own SipHash key is random per process: keys are
 * attacker-chosen text (source addresses, user names) and must not be able
 * to pile into one run of the table. Nothing observable depends on bucket order: dumps
 * walk the LRU list, and eviction follows it.
 *
 * Blobs (dump/restore) are big-endian and self-describing, so a blob from a
 * truncated or tampered row is refused rather than trusted: magic, version,
 * exact length, item count within bounds, sorted hit times, unique hashes.
 */
#include "soc/correlate.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define NONE INT64_MIN
#define TOMBSTONES_MAX 4096
#define BLOB_HEADER 36
#define NUMBUF 32
#define QUEUE_CLOSE 64 /* decided windows queued at a time */

/* Event times come from log lines, so any two int64 values can meet (a line
 * dated 1678 next to one dated 2261): every difference and sum saturates
 * rather than overflow. */
static int64_t sub_sat(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static int64_t add_sat(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

/* ---- SipHash-1-3 -------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND       \
  do {                 \
    v0 += v1;          \
    v1 = ROTL(v1, 13); \
    v1 ^= v0;          \
    v0 = ROTL(v0, 32); \
    v2 += v3;          \
    v3 = ROTL(v3, 16); \
    v3 ^= v2;          \
    v0 += v3;          \
    v3 = ROTL(v3, 21); \
    v3 ^= v0;          \
    v2 += v1;          \
    v1 = ROTL(v1, 17); \
    v1 ^= v2;          \
    v2 = ROTL(v2, 32); \
  } while (0)

static uint64_t siphash13(const uint64_t k[2], const void *data, size_t len) {
  const uint8_t *p = data;
  uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
  uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
  uint64_t b = (uint64_t)len << 56, m;
  size_t i, left = len & 7;
  /* the words little-endian, as SipHash reads them, a load each (a loop of
   * byte shifts was half of the hash) */
  for (i = 0; i + 8 <= len; i += 8) {
    memcpy(&m, p + i, sizeof m);
    m = le64toh(m);
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
  }
  m = 0;
  memcpy(&m, p + i, left);
  b |= le64toh(m);
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

/* Fixed: distinct hashes and long-key suffixes are saved and must mean the
 * same after a restart. */
static const uint64_t fixed_key[2] = {0x536f634167656e74ULL, 0x636f7272656c6174ULL};

/* ---- states ------------------------------------------------------------- */

typedef struct dv {
  uint64_t h;
  int64_t ts;
} dv;

typedef struct entry entry;
struct entry {
  /* first what the expiry walk reads of every key (keep_until): in 48
   * bytes, most often one cache line, where they spanned two or three */
  entry *prev, *next; /* LRU list, head = most recently updated */
  uint32_t rule;
  uint32_t n;       /* items kept */
  int64_t last_ns;  /* newest hit time */
  int64_t fired_ns; /* last firing, NONE */
  int64_t after_ns; /* last firing of corr.after for this key, NONE */
  uint64_t hash;
  entry *dprev, *dnext; /* dirty list */
  uint32_t cap;         /* items there is room for */
  /* on the dirty list while gen is the correlator's; one of an older
   * generation was dirty until a commit, so its state is saved (persisted
   * says so once it is dirty again) */
  uint32_t gen;
  int64_t *ts; /* count rules: sorted hit times */
  dv *dv;      /* distinct rules */
  /* ts or dv point here while the items fit (items_at): most keys hold a
   * hit or two, and with 100,000 live keys an array of their own was a
   * cache miss of its own on every hit, besides its malloc and free */
  union {
    int64_t ts[4];
    dv dv[2];
  } own;
  uint8_t persisted;
  uint16_t keylen;
  char key[];
};

typedef struct tdep {
  uint32_t rule; /* a members rule */
  uint32_t pos;  /* where the member stands in it */
} tdep;

typedef struct tomb {
  uint32_t rule;
  char *key;
} tomb;

/* A slot of the table: 0 when empty, else the state's address in its low
 * SLOT_ADDR_BITS (all that x86-64 and AArch64 user space hands out; a state
 * at an address above is refused as no memory), above it how far the slot
 * stands from the key's home (linear probing), and the top bits of the
 * key's hash. With 100,000 keys the table itself was a cache miss on every
 * hit (perf: most of get_entry's time was its first load): pairs of (hash,
 * pointer) kept at most half full took 4 MiB, these take 1 MiB at up to 4/5
 * full, which stays in cache more. A removal moves back the rest of the run
 * by the distances, reading no state; a distance too big for its bits (runs
 * of a thousand slots) grows the table instead. */
typedef uint64_t slot;
#define SLOT_ADDR_BITS 48
#define SLOT_DIST_BITS 10
#define SLOT_DIST_MAX ((1u << SLOT_DIST_BITS) - 1)
#define SLOT_TAG_SHIFT (SLOT_ADDR_BITS + SLOT_DIST_BITS)
#define SLOT_ADDR_MASK (((uint64_t)1 << SLOT_ADDR_BITS) - 1)

static entry *slot_entry(slot s) { return (entry *)(uintptr_t)(s & SLOT_ADDR_MASK); }

static size_t slot_dist(slot s) { return (size_t)(s >> SLOT_ADDR_BITS) & SLOT_DIST_MAX; }

static slot slot_of(const entry *e, uint64_t h, size_t dist) {
  return (uint64_t)(uintptr_t)e | (uint64_t)dist << SLOT_ADDR_BITS |
         h >> SLOT_TAG_SHIFT << SLOT_TAG_SHIFT;
}

struct soc_correlator {
  const soc_rules *rules;
  size_t max_keys;
  slot *slots;
  size_t nslots; /* a power of two, at most 4/5 full */
  size_t nkeys;
  entry *head, *tail;
  entry *dirty;
  uint32_t gen; /* of the dirty list: mark_clean starts the next, never 0 */
  uint64_t seed[2];
  uint32_t **deps; /* rule -> rules whose `after` names it (count in ndeps) */
  size_t *ndeps;
  tdep **tdeps; /* rule -> members rules it is a member of (count in ntdeps) */
  size_t *ntdeps;
  soc_fire *queue; /* firings for soc_correlator_next, a ring */
  size_t qcap, qhead, qn;
  int64_t next_close; /* no window decided at its end ends before this */
  tomb *tombs;
  size_t ntombs;
  int reset_needed; /* more went away than tombs can hold */
  soc_correlator_stats st;
};

static void seed_init(uint64_t seed[2]) {
  if (getrandom(seed, 2 * sizeof seed[0], GRND_NONBLOCK) == (ssize_t)(2 * sizeof seed[0])) return;
  /* No entropy yet (early boot): still different per process. */
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  seed[0] = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32) ^ (uint64_t)(uintptr_t)seed;
  seed[1] = (uint64_t)(uint32_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&t;
}

static uint64_t key_hash(const soc_correlator *c, uint32_t rule, const char *key, size_t len) {
  return siphash13(c->seed, key, len) ^ ((uint64_t)rule * 0x9e3779b97f4a7c15ULL);
}

static void lru_unlink(soc_correlator *c, entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push(soc_correlator *c, entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

static void touch(soc_correlator *c, entry *e) {
  if (c->head == e) return;
  lru_unlink(c, e);
  lru_push(c, e);
}

/* Whether e's state is in the store (as of the last mark_clean). */
static int saved(const soc_correlator *c, const entry *e) {
  return e->persisted || (e->gen && e->gen != c->gen);
}

static void set_dirty(soc_correlator *c, entry *e) {
  if (e->gen == c->gen) return;
  e->persisted = (uint8_t)saved(c, e);
  e->gen = c->gen;
  e->dprev = NULL;
  e->dnext = c->dirty;
  if (c->dirty) c->dirty->dprev = e;
  c->dirty = e;
}

static void clear_dirty(soc_correlator *c, entry *e) {
  if (e->gen != c->gen) return; /* its dprev and dnext are stale: not read */
  if (e->dprev)
    e->dprev->dnext = e->dnext;
  else
    c->dirty = e->dnext;
  if (e->dnext) e->dnext->dprev = e->dprev;
  e->dprev = e->dnext = NULL;
  e->gen = 0;
}

/* Forgets e's items, freeing them unless they were in the entry. */
static void items_free(entry *e) {
  void *p = e->dv ? (void *)e->dv : (void *)e->ts;
  if (p != (void *)&e->own) free(p);
  e->ts = NULL;
  e->dv = NULL;
  e->n = e->cap = 0;
}

/* Room for cap items of item bytes, the n kept ones moved there: the
 * entry's own while they fit. Returns NULL when memory ran out (the items
 * stay where they were). */
static void *items_at(entry *e, size_t item, uint32_t cap) {
  void *old = item == sizeof(dv) ? (void *)e->dv : (void *)e->ts, *p;
  if (cap * item <= sizeof e->own) {
    p = &e->own;
    if (old && old != p) memcpy(p, old, e->n * item);
    if (old != p) free(old);
  } else if (old == (void *)&e->own) {
    if ((p = malloc(cap * item))) memcpy(p, old, e->n * item);
  } else {
    p = realloc(old, cap * item);
  }
  if (!p) return NULL;
  if (item == sizeof(dv))
    e->dv = p;
  else
    e->ts = p;
  e->cap = cap;
  return p;
}

static void entry_free(entry *e) {
  if (!e) return;
  items_free(e);
  free(e);
}

/* Remembers that a saved state went away, so the store can delete it. */
static void add_tomb(soc_correlator *c, const entry *e) {
  if (!saved(c, e) || c->reset_needed) return;
  if (c->ntombs == TOMBSTONES_MAX) {
    c->reset_needed = 1;
    return;
  }
  char *k = strdup(e->key);
  if (!k) {
    c->reset_needed = 1;
    return;
  }
  c->tombs[c->ntombs].rule = e->rule;
  c->tombs[c->ntombs].key = k;
  c->ntombs++;
}

/* Takes e out of the table, moving back the later entries of its run that
 * may stand where it stood (linear probing without tombstones). */
static void table_remove(soc_correlator *c, const entry *e) {
  size_t mask = c->nslots - 1, i = e->hash & mask;
  while (slot_entry(c->slots[i]) != e) i = (i + 1) & mask;
  for (size_t j = (i + 1) & mask; c->slots[j]; j = (j + 1) & mask) {
    size_t dist = slot_dist(c->slots[j]), gap = (j - i) & mask;
    if (dist >= gap) { /* its home is at or before i */
      c->slots[i] = (c->slots[j] & ~((uint64_t)SLOT_DIST_MAX << SLOT_ADDR_BITS)) |
                    (uint64_t)(dist - gap) << SLOT_ADDR_BITS;
      i = j;
    }
  }
  c->slots[i] = 0;
}

/* Puts e in the first free slot of its run; -ENOSPC when that stands
 * farther from home than a slot can say (the table must grow). */
static int table_put(slot *slots, size_t nslots, uint64_t h, const entry *e) {
  size_t i = h & (nslots - 1), dist = 0;
  for (; slots[i]; i = (i + 1) & (nslots - 1))
    if (++dist > SLOT_DIST_MAX) return -ENOSPC;
  slots[i] = slot_of(e, h, dist);
  return 0;
}

static void entry_remove(soc_correlator *c, entry *e) {
  table_remove(c, e);
  lru_unlink(c, e);
  clear_dirty(c, e);
  add_tomb(c, e);
  c->nkeys--;
  entry_free(e);
}

/* The table at twice its size (or more, should a run be too long). */
static int grow_table(soc_correlator *c) {
  int result = -ENOMEM;
  slot *s = NULL;
  size_t n = c->nslots;
  do {
    free(s);
    n *= 2;
    result = -ENOMEM;
    if (!(s = calloc(n, sizeof *s))) goto out;
    result = 0;
    for (size_t i = 0; i < c->nslots && !result; i++)
      if (c->slots[i])
        result = table_put(s, n, slot_entry(c->slots[i])->hash, slot_entry(c->slots[i]));
  } while (result == -ENOSPC);
  free(c->slots);
  c->slots = s;
  c->nslots = n;
out:
  return result;
}

static entry *find(const soc_correlator *c, uint32_t rule, const char *key, size_t len,
                   uint64_t h) {
  size_t mask = c->nslots - 1;
  for (size_t i = h & mask; c->slots[i]; i = (i + 1) & mask) {
    if ((c->slots[i] ^ h) >> SLOT_TAG_SHIFT) continue; /* another hash: not read */
    entry *e = slot_entry(c->slots[i]);
    if (e->hash == h && e->rule == rule && e->keylen == len && !memcmp(e->key, key, len)) return e;
  }
  return NULL;
}

/* The state of (rule, key), made (evicting the stalest if need be) when
 * missing. */
static int get_entry(soc_correlator *c, uint32_t rule, const char *key, size_t len, entry **out) {
  uint64_t h = key_hash(c, rule, key, len);
  entry *e = find(c, rule, key, len, h);
  if (e) {
    *out = e;
    return 0;
  }
  if (c->nkeys >= c->max_keys && c->tail) {
    entry_remove(c, c->tail);
    c->st.evicted++;
  }
  if ((c->nkeys + 1) * 5 > c->nslots * 4 && grow_table(c) < 0) return -ENOMEM;
  e = calloc(1, sizeof *e + len + 1);
  if (!e) return -ENOMEM;
  if ((uint64_t)(uintptr_t)e > SLOT_ADDR_MASK) { /* a slot can not hold it */
    free(e);
    return -ENOMEM;
  }
  e->hash = h;
  e->rule = rule;
  e->keylen = (uint16_t)len;
  memcpy(e->key, key, len);
  e->key[len] = '\0';
  e->last_ns = e->fired_ns = e->after_ns = NONE;
  while (table_put(c->slots, c->nslots, h, e) < 0)
    if (grow_table(c) < 0) {
      free(e);
      return -ENOMEM;
    }
  lru_push(c, e);
  c->nkeys++;
  *out = e;
  return 0;
}

/* ---- keys --------------------------------------------------------------- */

typedef struct keybuf {
  char s[SOC_CORRELATE_KEY_MAX + 1];
  size_t len;   /* bytes kept */
  size_t full;  /* bytes of the whole key */
  uint64_t fnv; /* a running FNV-1a of the whole key, for the cut suffix */
  int escaped;  /* a value had a '|' or '\' */
} keybuf;

/* One byte of a key into s (while it fits), counted and hashed. The counts
 * are the caller's locals: through k, every byte stored (a char may alias
 * anything) made the compiler reload and store all three. */
static inline void key_put(char *s, size_t *len, size_t *full, uint64_t *fnv, char ch) {
  if (*len < SOC_CORRELATE_KEY_MAX) s[(*len)++] = ch;
  (*full)++;
  *fnv = (*fnv ^ (uint8_t)ch) * 0x100000001b3ULL;
}

/* Joins the values of fields (escaping '|' and '\'); -ENOENT when one is
 * missing. */
static int make_key(const soc_event *ev, const soc_rules_field *const *fields, size_t n,
                    keybuf *k) {
  char num[NUMBUF];
  size_t len = 0, full = 0;
  uint64_t fnv = 0xcbf29ce484222325ULL;
  int escaped = 0;
  for (size_t i = 0; i < n; i++) {
    const char *v = soc_rules_field_get(ev, fields[i], num, sizeof num);
    if (!v) return -ENOENT;
    if (i) key_put(k->s, &len, &full, &fnv, '|');
    for (; *v; v++) {
      if (*v == '|' || *v == '\\') {
        key_put(k->s, &len, &full, &fnv, '\\');
        escaped = 1;
      }
      key_put(k->s, &len, &full, &fnv, *v);
    }
  }
  k->len = len;
  k->full = full;
  k->fnv = fnv;
  k->escaped = escaped;
  if (k->full > SOC_CORRELATE_KEY_MAX) {
    /* cut between characters, then "#" and the whole key's hash */
    size_t cut = SOC_CORRELATE_KEY_MAX - 17;
    while (cut > 0 && ((uint8_t)k->s[cut] & 0xc0) == 0x80) cut--;
    snprintf(k->s + cut, sizeof k->s - cut, "#%016llx", (unsigned long long)k->fnv);
    k->len = cut + 17;
  }
  k->s[k->len] = '\0';
  return 0;
}

/* ---- new and free --------------------------------------------------------- */

void soc_correlator_free(soc_correlator *c) {
  if (!c) return;
  for (entry *e = c->head, *next; e; e = next) {
    next = e->next;
    entry_free(e);
  }
  for (size_t i = 0; c->deps && i < soc_rules_count(c->rules); i++) free(c->deps[i]);
  for (size_t i = 0; c->tdeps && i < soc_rules_count(c->rules); i++) free(c->tdeps[i]);
  free(c->deps);
  free(c->ndeps);
  free(c->tdeps);
  free(c->ntdeps);
  free(c->queue);
  for (size_t i = 0; i < c->ntombs; i++) free(c->tombs[i].key);
  free(c->tombs);
  free(c->slots);
  free(c);
}

int soc_correlator_new(const soc_rules *rules, size_t max_keys, soc_correlator **out) {
  int result = -EINVAL;
  soc_correlator *c = NULL;
  size_t n = soc_rules_count(rules);
  if (!out) goto out;
  *out = NULL;
  if (!rules) goto out;
  result = -ENOMEM;
  c = calloc(1, sizeof *c);
  if (!c) goto out;
  c->rules = rules;
  c->max_keys = max_keys ? max_keys : SOC_CORRELATE_DEFAULT_KEYS;
  c->st.max_keys = c->max_keys;
  c->nslots = 64;
  c->slots = calloc(c->nslots, sizeof *c->slots);
  c->deps = calloc(n ? n : 1, sizeof *c->deps);
  c->ndeps = calloc(n ? n : 1, sizeof *c->ndeps);
  c->tombs = calloc(TOMBSTONES_MAX, sizeof *c->tombs);
  c->tdeps = calloc(n ? n : 1, sizeof *c->tdeps);
  c->ntdeps = calloc(n ? n : 1, sizeof *c->ntdeps);
  if (!c->slots || !c->deps || !c->ndeps || !c->tombs || !c->tdeps || !c->ntdeps) goto out;
  seed_init(c->seed);
  c->next_close = INT64_MAX;
  c->gen = 1;
  for (size_t i = 0; i < n; i++) {
    const soc_rule_correlate *k = soc_rule_correlation(soc_rules_at(rules, i));
    if (!k) continue;
    for (size_t j = 0; j < k->nmembers; j++) {
      size_t a = soc_rule_index(k->members[j]);
      tdep *t = realloc(c->tdeps[a], (c->ntdeps[a] + 1) * sizeof *t);
      if (!t) goto out;
      c->tdeps[a] = t;
      t[c->ntdeps[a]++] = (tdep){(uint32_t)i, (uint32_t)j};
    }
    if (!k->after) continue;
    size_t a = soc_rule_index(k->after);
    uint32_t *d = realloc(c->deps[a], (c->ndeps[a] + 1) * sizeof *d);
    if (!d) goto out;
    c->deps[a] = d;
    d[c->ndeps[a]++] = (uint32_t)i;
  }
  /* room for every members rule one hit can complete, and a batch of
   * decided windows (a close that finds the queue full goes on later) */
  c->qcap = QUEUE_CLOSE;
  for (size_t i = 0; i < n; i++) c->qcap += c->ntdeps[i];
  if (!(c->queue = calloc(c->qcap, sizeof *c->queue))) goto out;
  *out = c;
  c = NULL;
  result = 0;
out:
  soc_correlator_free(c);
  return result;
}

/* ---- windows ------------------------------------------------------------ */

static int reserve(entry *e, size_t item, uint32_t max) {
  if (e->n < e->cap) return 0;
  uint32_t cap = e->cap ? e->cap * 2 : 4;
  if (cap > max) cap = max;
  return items_at(e, item, cap) ? 0 : -ENOMEM;
}

/* Whether the rule's windows are decided when they end (upper bounds). */
static int at_end(const soc_rule_correlate *k) { return k->count_max || k->count_neq; }

/* Members rules that wait for each member (not counting their hits). */
static int awaits(const soc_rule_correlate *k) { return k->nmembers && !k->counting; }

/* States of distinct and members rules hold (hash, time) pairs. */
static int uses_dv(const soc_rule_correlate *k) { return k->distinct || awaits(k); }

/* How many items a state of the rule keeps. */
static uint32_t item_cap(const soc_rule_correlate *k) {
  if (awaits(k)) return (uint32_t)k->nmembers;
  if (k->count_max) return (uint32_t)k->count_max + 1;
  return (uint32_t)(k->count_neq ? (k->count_neq > k->count ? k->count_neq : k->count) + 1
                                 : k->count);
}

/* Adds a hit time, keeping the newest `count` sorted. */
static int add_hit(entry *e, int64_t ts, uint32_t count) {
  uint32_t i;
  if (e->n == count) {
    if (ts < e->ts[0]) return 0; /* older than every kept hit: it can not help */
    memmove(e->ts, e->ts + 1, (e->n - 1) * sizeof *e->ts);
    e->n--;
  } else if (reserve(e, sizeof *e->ts, count) < 0) {
    return -ENOMEM;
  }
  for (i = e->n; i > 0 && e->ts[i - 1] > ts; i--) e->ts[i] = e->ts[i - 1];
  e->ts[i] = ts;
  e->n++;
  return 0;
}

/* Adds a distinct value seen at ts; forgets values that slid out. */
static int add_value(entry *e, uint64_t h, int64_t ts, int64_t within, uint32_t count) {
  int64_t newest = e->last_ns > ts ? e->last_ns : ts;
  uint32_t k = 0, oldest = 0;
  for (uint32_t i = 0; i < e->n; i++)
    if (sub_sat(newest, e->dv[i].ts) <= within) e->dv[k++] = e->dv[i];
  e->n = k;
  if (sub_sat(newest, ts) > within) return 0;
  for (uint32_t i = 0; i < e->n; i++) {
    if (e->dv[i].h == h) {
      if (ts > e->dv[i].ts) e->dv[i].ts = ts;
      return 0;
    }
    if (e->dv[i].ts < e->dv[oldest].ts) oldest = i;
  }
  if (e->n == count) {
    if (ts > e->dv[oldest].ts) e->dv[oldest] = (dv){h, ts};
    return 0;
  }
  if (reserve(e, sizeof(dv), count) < 0) return -ENOMEM;
  e->dv[e->n++] = (dv){h, ts};
  return 0;
}

/* Whether the window holds enough; sets first and last. */
static int window_full(const entry *e, const soc_rule_correlate *k, int64_t *first, int64_t *last) {
  if (e->n < (uint64_t)k->count) return 0;
  if (!k->distinct) {
    *first = e->ts[0];
    *last = e->ts[e->n - 1];
    return k->count == 1 || sub_sat(*last, *first) <= k->within_ns;
  }
  *first = *last = e->dv[0].ts;
  for (uint32_t i = 1; i < e->n; i++) {
    if (e->dv[i].ts < *first) *first = e->dv[i].ts;
    if (e->dv[i].ts > *last) *last = e->dv[i].ts;
  }
  return 1;
}

/* Arms the rules that follow `rule` for their keys of this event. */
static int arm_followers(soc_correlator *c, size_t rule, const soc_event *ev, int64_t ts) {
  keybuf k;
  for (size_t i = 0; i < c->ndeps[rule]; i++) {
    uint32_t b = c->deps[rule][i];
    const soc_rule_correlate *kb = soc_rule_correlation(soc_rules_at(c->rules, b));
    entry *e;
    if (make_key(ev, kb->group_by_fields, kb->ngroup_by, &k) < 0) continue;
    if (get_entry(c, b, k.s, k.len, &e) < 0) return -ENOMEM;
    if (e->after_ns == NONE || ts > e->after_ns) e->after_ns = ts;
    touch(c, e);
    set_dirty(c, e);
  }
  return 0;
}

static void enqueue(soc_correlator *c, const soc_fire *f) {
  if (c->qn == c->qcap) {
    c->st.dropped++; /* sized so that one feed can not: counted all the same */
    return;
  }
  c->queue[(c->qhead + c->qn++) % c->qcap] = *f;
}

int soc_correlator_next(soc_correlator *c, soc_fire *out) {
  if (!c || !out || !c->qn) return 0;
  *out = c->queue[c->qhead];
  c->qhead = (c->qhead + 1) % c->qcap;
  c->qn--;
  return 1;
}

static int count_hit(soc_correlator *c, entry *e, const soc_rule_correlate *k, uint64_t vh,
                     int64_t ts, soc_fire *out);

/* The hash of ev's value of field into *vh; -ENOENT when ev lacks it. */
static int value_hash(const soc_event *ev, const soc_rules_field *field, uint64_t *vh) {
  char num[NUMBUF];
  const char *v = soc_rules_field_get(ev, field, num, sizeof num);
  if (!v) return -ENOENT;
  *vh = siphash13(fixed_key, v, strlen(v));
  return 0;
}

/* Notes that member pos of members rule t fired at ts, for its key of ev
 * (a hit counted, or the member seen); queues t's firing when that
 * completes it. */
static int advance_member(soc_correlator *c, uint32_t t, uint32_t pos, const soc_event *ev,
                          int64_t ts) {
  const soc_rule *rule = soc_rules_at(c->rules, t);
  const soc_rule_correlate *k = soc_rule_correlation(rule);
  keybuf key;
  entry *e;
  int64_t start = ts, first;
  uint32_t i, kept = 0;
  uint64_t vh = 0;
  if (make_key(ev, k->member_group_by_fields[pos], k->ngroup_by, &key) < 0 ||
      (k->counting && k->distinct && value_hash(ev, k->member_distinct_fields[pos], &vh) < 0)) {
    c->st.ungrouped++;
    return 0;
  }
  if (k->counting) {
    soc_fire f = {.rule = rule};
    int rc = get_entry(c, t, key.s, key.len, &e);
    if (!rc) rc = count_hit(c, e, k, vh, ts, &f);
    if (rc == 1) enqueue(c, &f);
    return rc < 0 ? rc : 0;
  }
  if (get_entry(c, t, key.s, key.len, &e) < 0) return -ENOMEM;
  touch(c, e);
  set_dirty(c, e);
  if (e->last_ns == NONE || ts > e->last_ns) e->last_ns = ts;
  for (i = 0; i < e->n; i++) /* forget what slid out of the window */
    if (sub_sat(e->last_ns, e->dv[i].ts) <= k->within_ns) e->dv[kept++] = e->dv[i];
  e->n = kept;
  if (k->ordered && pos > 0) {
    /* only a chain that reached the member before goes on */
    for (i = 0; i < e->n && e->dv[i].h != pos - 1; i++) {
    }
    if (i == e->n || e->dv[i].ts > ts || sub_sat(ts, e->dv[i].ts) > k->within_ns) return 0;
    start = e->dv[i].ts;
  }
  for (i = 0; i < e->n && e->dv[i].h != pos; i++) {
  }
  if (i == e->n) {
    if (reserve(e, sizeof(dv), item_cap(k)) < 0) return -ENOMEM;
    e->dv[e->n++] = (dv){pos, start};
  } else if (start > e->dv[i].ts) {
    e->dv[i].ts = start; /* the later start leaves the longer window */
  }
  if (k->ordered ? pos + 1 < k->nmembers : e->n < k->nmembers) return 0;
  first = start;
  for (i = 0; !k->ordered && i < e->n; i++)
    if (e->dv[i].ts < first) first = e->dv[i].ts;
  soc_fire f = {.rule = rule, .count = k->nmembers, .first_ns = first, .last_ns = e->last_ns};
  memcpy(f.key, key.s, key.len + 1);
  e->n = 0; /* the next firing needs a window of its own */
  e->fired_ns = ts;
  c->st.fired++;
  enqueue(c, &f);
  return 0;
}

/* What follows a firing of rule: the rules that name it in `after`, and
 * the members rules it is a member of. */
static int followers(soc_correlator *c, size_t rule, const soc_event *ev, int64_t ts) {
  int rc = arm_followers(c, rule, ev, ts);
  for (size_t i = 0; !rc && i < c->ntdeps[rule]; i++)
    rc = advance_member(c, c->tdeps[rule][i].rule, c->tdeps[rule][i].pos, ev, ts);
  return rc;
}

/* ---- windows decided at their end ------------------------------------------- */

static int64_t window_end(const entry *e, const soc_rule_correlate *k) {
  int64_t start = e->n ? (k->distinct ? e->dv[0].ts : e->ts[0]) : NONE;
  for (uint32_t i = 1; k->distinct && i < e->n; i++)
    if (e->dv[i].ts < start) start = e->dv[i].ts;
  return add_sat(start, k->within_ns);
}

/* Decides e's window: 1 and *f when its count is within the bounds. The
 * key starts empty either way. */
static int decide(soc_correlator *c, entry *e, const soc_rule_correlate *k, soc_fire *f) {
  int in = e->n >= (uint64_t)k->count && (!k->count_max || e->n <= (uint64_t)k->count_max) &&
           e->n != (uint64_t)k->count_neq;
  f->count = e->n;
  f->first_ns = sub_sat(window_end(e, k), k->within_ns);
  f->last_ns = e->last_ns;
  memcpy(f->key, e->key, (size_t)e->keylen + 1);
  e->n = 0;
  if (in) {
    e->fired_ns = e->last_ns;
    c->st.fired++;
  }
  return in;
}

/* A hit of a rule decided at the window's end: a hit past the key's window decides it
 * first (returns 1 with *out when that fires), then opens the next. */
static int bounded_hit(soc_correlator *c, entry *e, const soc_rule_correlate *k, uint64_t vh,
                       int64_t ts, soc_fire *out) {
  int fired = e->n && ts > window_end(e, k) ? decide(c, e, k, out) : 0;
  uint32_t i = 0, cap = item_cap(k);
  if (k->distinct) {
    while (i < e->n && e->dv[i].h != vh) i++;
    if (i < e->n && ts > e->dv[i].ts) e->dv[i].ts = ts;
    if (i == e->n && e->n < cap) {
      if (reserve(e, sizeof(dv), cap) < 0) return -ENOMEM;
      e->dv[e->n++] = (dv){vh, ts};
    }
  } else if (e->n < cap) { /* more than cap: too many, whatever the rest */
    if (reserve(e, sizeof *e->ts, cap) < 0) return -ENOMEM;
    for (i = e->n; i > 0 && e->ts[i - 1] > ts; i--) e->ts[i] = e->ts[i - 1];
    e->ts[i] = ts;
    e->n++;
  }
  if (e->last_ns == NONE || ts > e->last_ns) e->last_ns = ts;
  if (window_end(e, k) < c->next_close) c->next_close = window_end(e, k);
  return fired;
}

size_t soc_correlator_close(soc_correlator *c, int64_t now_ns) {
  size_t n = 0;
  int64_t next = INT64_MAX;
  if (!c || now_ns <= c->next_close) return 0;
  for (entry *e = c->tail; e; e = e->prev) {
    const soc_rule_correlate *k = soc_rule_correlation(soc_rules_at(c->rules, e->rule));
    soc_fire f;
    if (!k || !at_end(k) || !e->n) continue;
    int64_t end = window_end(e, k);
    if (end >= now_ns || c->qn == c->qcap) { /* open, or no room yet: later */
      if (end < next) next = end;
      continue;
    }
    set_dirty(c, e);
    f.rule = soc_rules_at(c->rules, e->rule);
    if (!decide(c, e, k, &f)) continue;
    enqueue(c, &f);
    n++;
  }
  c->next_close = next;
  return n;
}

int soc_correlator_key_event(const soc_fire *f, soc_event *ev) {
  const soc_rule_correlate *k = soc_rule_correlation(f->rule);
  char val[SOC_CORRELATE_KEY_MAX + 1], name[SOC_EVENT_KEY_MAX + 1];
  const char *p = f->key;
  int rc = 0;
  soc_event_reset(ev);
  soc_event_set_time(ev, f->last_ns);
  for (size_t i = 0; k && i < k->ngroup_by && rc >= 0; i++) {
    size_t n = 0, nl = strcspn(k->group_by[i], "|");
    for (; *p && *p != '|'; p++) { /* make_key's escapes undone */
      if (*p == '\\' && p[1]) p++;
      val[n++] = *p;
    }
    if (*p) p++;
    if (nl > SOC_EVENT_KEY_MAX) return -EINVAL;
    memcpy(name, k->group_by[i], nl);
    name[nl] = '\0';
    rc = soc_event_set(ev, name, val, n);
    if (rc >= 0 && k->host_by == i + 1) rc = soc_event_set_str(ev, SOC_ECS_HOST_NAME, val, n);
  }
  return rc < 0 ? rc : 0;
}

/* One hit at ts counted into e, the state of a rule with k: 1 and *out
 * (count, times, key) when it fires, 0 when not, or -ENOMEM. */
static int count_hit(soc_correlator *c, entry *e, const soc_rule_correlate *k, uint64_t vh,
                     int64_t ts, soc_fire *out) {
  int64_t first, last;
  int rc;
  touch(c, e);
  set_dirty(c, e);
  if (at_end(k)) return bounded_hit(c, e, k, vh, ts, out);
  rc = k->distinct ? add_value(e, vh, ts, k->within_ns, (uint32_t)k->count)
                   : add_hit(e, ts, (uint32_t)k->count);
  if (rc) return rc;
  if (e->last_ns == NONE || ts > e->last_ns) e->last_ns = ts;
  if (!window_full(e, k, &first, &last)) return 0;
  if (k->after &&
      (e->after_ns == NONE || ts < e->after_ns || sub_sat(ts, e->after_ns) > k->after_within_ns))
    return 0;
  if (k->suppress_ns && e->fired_ns != NONE && sub_sat(ts, e->fired_ns) < k->suppress_ns) {
    c->st.suppressed++;
    return 0;
  }
  out->count = e->n;
  out->first_ns = first;
  out->last_ns = last;
  memcpy(out->key, e->key, (size_t)e->keylen + 1);
  e->fired_ns = ts;
  e->n = 0; /* the next firing needs a window of its own */
  c->st.fired++;
  return 1;
}

int soc_correlator_feed(soc_correlator *c, const soc_rule *rule, const soc_event *ev, int64_t ts_ns,
                        soc_fire *out) {
  int result = -EINVAL;
  const soc_rule_correlate *k;
  size_t idx;
  keybuf key;
  entry *e = NULL;
  uint64_t vh = 0;
  if (!c || !rule || !ev || !out) goto out;
  idx = soc_rule_index(rule);
  if (soc_rules_at(c->rules, idx) != rule) goto out;
  k = soc_rule_correlation(rule);
  out->rule = rule;
  out->key[0] = '\0';
  out->count = 0;
  out->first_ns = out->last_ns = 0;
  out->key_plain = !k; /* no group_by: the key is "" */
  if (!k) {
    out->count = 1;
    out->first_ns = out->last_ns = ts_ns;
    c->st.fired++;
    result = followers(c, idx, ev, ts_ns);
    if (!result) result = 1;
    goto out;
  }
  if (k->nmembers) { /* fed by its members only (the matcher never reports it) */
    result = 0;
    goto out;
  }
  if (make_key(ev, k->group_by_fields, k->ngroup_by, &key) < 0 ||
      (k->distinct && value_hash(ev, k->distinct_field, &vh) < 0)) {
    c->st.ungrouped++;
    result = 0;
    goto out;
  }
  if (!key.escaped && key.full == key.len) {
    memcpy(out->key, key.s, key.len + 1);
    out->key_plain = 1;
  }
  result = get_entry(c, (uint32_t)idx, key.s, key.len, &e);
  if (result) goto out;
  result = count_hit(c, e, k, vh, ts_ns, out);
  /* a window decided at its end makes no sequence: Sigma's rules only */
  if (result == 1 && !at_end(k)) {
    result = followers(c, idx, ev, ts_ns);
    if (!result) result = 1;
  }
out:
  return result;
}

/* The latest event time at which the state still matters. */
static int64_t keep_until(const soc_correlator *c, const entry *e) {
  const soc_rule_correlate *k = soc_rule_correlation(soc_rules_at(c->rules, e->rule));
  int64_t until = NONE;
  if (!k) return NONE;
  if (e->n && e->last_ns != NONE) until = add_sat(e->last_ns, k->within_ns);
  if (e->fired_ns != NONE && add_sat(e->fired_ns, k->suppress_ns) > until)
    until = add_sat(e->fired_ns, k->suppress_ns);
  if (e->after_ns != NONE && add_sat(e->after_ns, k->after_within_ns) > until)
    until = add_sat(e->after_ns, k->after_within_ns);
  return until;
}

size_t soc_correlator_expire(soc_correlator *c, int64_t now_ns) {
  size_t n = 0;
  if (!c) return 0;
  for (entry *e = c->tail, *prev; e; e = prev) {
    const soc_rule_correlate *k = soc_rule_correlation(soc_rules_at(c->rules, e->rule));
    prev = e->prev;
    if (keep_until(c, e) >= now_ns) continue;
    if (k && at_end(k) && e->n) continue; /* soc_correlator_close decides it first */
    entry_remove(c, e);
    n++;
  }
  c->st.expired += n;
  return n;
}

void soc_correlator_stats_get(const soc_correlator *c, soc_correlator_stats *out) {
  if (!out) return;
  if (!c) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = c->st;
  out->keys = c->nkeys;
}

/* ---- blobs -------------------------------------------------------------- */

/* Big-endian, a swap and a move: with 100,000 live keys a transaction
 * encodes about as many states as it has lines, and a loop of byte
 * shifts was a tenth of the instructions that grew with the keys. */
static void put64(uint8_t *p, uint64_t v) {
  v = htobe64(v);
  memcpy(p, &v, sizeof v);
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return be64toh(v);
}

/* magic "SCK1", version, kind, flags, reserved, last, fired, after, n */
static size_t encode(const soc_correlator *c, const entry *e, uint8_t *b) {
  const soc_rule_correlate *k = soc_rule_correlation(soc_rules_at(c->rules, e->rule));
  size_t off = BLOB_HEADER;
  int distinct = k && uses_dv(k);
  memcpy(b, "SCK1", 4);
  b[4] = 1;
  b[5] = (uint8_t)distinct;
  b[6] = (uint8_t)((e->fired_ns != NONE ? 1 : 0) | (e->after_ns != NONE ? 2 : 0));
  b[7] = 0;
  put64(b + 8, (uint64_t)e->last_ns);
  put64(b + 16, (uint64_t)e->fired_ns);
  put64(b + 24, (uint64_t)e->after_ns);
  b[32] = (uint8_t)(e->n >> 24);
  b[33] = (uint8_t)(e->n >> 16);
  b[34] = (uint8_t)(e->n >> 8);
  b[35] = (uint8_t)e->n;
  for (uint32_t i = 0; i < e->n; i++) {
    if (distinct) {
      put64(b + off, e->dv[i].h);
      put64(b + off + 8, (uint64_t)e->dv[i].ts);
      off += 16;
    } else {
      put64(b + off, (uint64_t)e->ts[i]);
      off += 8;
    }
  }
  return off;
}

static int emit(const soc_correlator *c, const entry *e, uint8_t *buf, soc_dump_cb cb, void *arg) {
  size_t len = encode(c, e, buf);
  return cb(arg, soc_rule_id(soc_rules_at(c->rules, e->rule)), e->key, buf, len);
}

int soc_correlator_dump(const soc_correlator *c, unsigned flags, soc_dump_cb cb, void *arg) {
  int result = -EINVAL;
  uint8_t *buf = NULL;
  if (!c || !cb) goto out;
  result = -ENOMEM;
  buf = malloc(SOC_CORRELATE_BLOB_MAX);
  if (!buf) goto out;
  result = 0;
  if (!(flags & SOC_DUMP_DIRTY) || c->reset_needed) {
    result = cb(arg, NULL, NULL, NULL, 0);
    for (const entry *e = c->tail; e && !result; e = e->prev) result = emit(c, e, buf, cb, arg);
    goto out;
  }
  for (size_t i = 0; i < c->ntombs && !result; i++)
    result =
        cb(arg, soc_rule_id(soc_rules_at(c->rules, c->tombs[i].rule)), c->tombs[i].key, NULL, 0);
  for (const entry *e = c->dirty; e && !result; e = e->dnext) result = emit(c, e, buf, cb, arg);
out:
  free(buf);
  return result;
}

void soc_correlator_mark_clean(soc_correlator *c) {
  if (!c) return;
  /* Every entry is made dirty as it is made (or restored persisted), so one
   * that is not dirty is persisted already. The dirty ones become so by a
   * new generation, not by a visit: with 100,000 keys a transaction changes
   * about as many states as it has lines, and walking them again after the
   * dump was a cache miss each (cachegrind: a tenth of the misses that grew
   * with the keys). Once in 2^32 commits the generations start over, every
   * entry told first whether it is saved. */
  if (++c->gen == 0) {
    for (entry *e = c->head; e; e = e->next) {
      if (e->gen) e->persisted = 1;
      e->gen = 0;
    }
    c->gen = 1;
  }
  c->dirty = NULL;
  for (size_t i = 0; i < c->ntombs; i++) free(c->tombs[i].key);
  c->ntombs = 0;
  c->reset_needed = 0;
}

int soc_correlator_restore(soc_correlator *c, const char *rule_id, const char *key,
                           const void *blob, size_t len) {
  int result = -EINVAL;
  const uint8_t *b = blob;
  const soc_rule *rule;
  const soc_rule_correlate *k;
  entry *e = NULL;
  uint32_t n, keep, skip;
  size_t item, klen;
  int dvm;
  if (!c || !rule_id || !key || (!blob && len)) goto out;
  rule = soc_rules_find(c->rules, rule_id);
  k = rule ? soc_rule_correlation(rule) : NULL;
  if (!k) {
    result = -ENOENT;
    goto out;
  }
  klen = strnlen(key, SOC_CORRELATE_KEY_MAX + 1);
  if (klen > SOC_CORRELATE_KEY_MAX || len < BLOB_HEADER || len > SOC_CORRELATE_BLOB_MAX)
    goto refused;
  if (memcmp(b, "SCK1", 4) || b[4] != 1 || b[5] > 1 || (b[6] & ~3u) || b[7]) goto refused;
  dvm = uses_dv(k);
  if (b[5] != dvm) goto refused; /* the rule changed its counting */
  n = (uint32_t)b[32] << 24 | (uint32_t)b[33] << 16 | (uint32_t)b[34] << 8 | b[35];
  item = dvm ? 16 : 8;
  if (n > SOC_RULE_COUNT_MAX || len != BLOB_HEADER + n * item) goto refused;
  for (uint32_t i = 1; i < n; i++) {
    const uint8_t *p = b + BLOB_HEADER + i * item;
    if (!dvm && (int64_t)get64(p) < (int64_t)get64(p - 8)) goto refused;
    for (uint32_t j = 0; dvm && j < i; j++)
      if (get64(p) == get64(b + BLOB_HEADER + j * item)) goto refused;
  }
  int64_t last = (int64_t)get64(b + 8), fired = (int64_t)get64(b + 16),
          after = (int64_t)get64(b + 24);
  if (((b[6] & 1) != 0) != (fired != NONE) || ((b[6] & 2) != 0) != (after != NONE)) goto refused;
  if (n && last == NONE) goto refused;
  result = get_entry(c, (uint32_t)soc_rule_index(rule), key, klen, &e);
  if (result) goto out;
  /* a count lowered since the dump: keep the newest */
  keep = n < item_cap(k) ? n : item_cap(k);
  skip = 0;
  items_free(e);
  if (keep && !items_at(e, dvm ? sizeof *e->dv : sizeof *e->ts, keep)) {
    entry_remove(c, e);
    result = -ENOMEM;
    goto out;
  }
  if (!dvm) skip = n - keep; /* sorted: the oldest come first */
  for (uint32_t i = skip; i < n; i++) {
    const uint8_t *p = b + BLOB_HEADER + i * item;
    if (dvm) {
      dv v = {get64(p), (int64_t)get64(p + 8)};
      if (e->n < keep) {
        e->dv[e->n++] = v;
      } else {
        uint32_t oldest = 0;
        for (uint32_t j = 1; j < e->n; j++)
          if (e->dv[j].ts < e->dv[oldest].ts) oldest = j;
        if (v.ts > e->dv[oldest].ts) e->dv[oldest] = v;
      }
    } else {
      e->ts[e->n++] = (int64_t)get64(p);
    }
  }
  e->last_ns = last;
  e->fired_ns = fired;
  e->after_ns = after;
  e->persisted = 1;
  clear_dirty(c, e);
  if (at_end(k) && e->n && window_end(e, k) < c->next_close) c->next_close = window_end(e, k);
  c->st.restored++;
  result = 0;
  goto out;
refused:
  c->st.refused++;
  result = -EINVAL;
out:
  return result;
}
