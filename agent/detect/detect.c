/*
 * detect — journal lines through the log rules, into alerts and drafts.
 *
 * For each line: normalise it into an event (normalize.c, the same view the
 * technical center gets), run the rules (one Aho-Corasick pass, then only
 * the candidate rules), feed each hit to the correlator. A firing becomes an
 * alert, and a draft where the rule shows impact (triage.c): the asset found
 * from the fields the rule names, the level that §2.3 gives for the rule's
 * impact on that asset's tier (level.c), the category, the times from the
 * lines, the count, the evidence lines with their journal references, and
 * the entities (the rule's group_by values) that tie it to the other alerts
 * and drafts of the same intrusion. Later hits of a firing key count on its
 * alert instead of opening another.
 *
 * Evidence of a correlated rule is the hits that made it fire, which came
 * before the firing line: the detector keeps the last few hits of each key
 * (bounded: RECENT_KEYS keys, RECENT_HITS hits each, lines cut at
 * RECENT_LINE bytes) so it can attach them when the rule fires. The hits
 * are kept by their place in each key's ring, all keys' first hits
 * together, then all second hits...: most keys have one or two hits (a
 * scan's random sources), and only the pages of the places used are ever
 * touched, about 2 MiB where key by key the 13 MiB of the whole array were.
 *
 * Alerts, drafts, their grouping and the outbox rows are written in the
 * blocks' transaction, with the correlation state and the cursor.
 *
 * Reload (SIGHUP): the ingestion thread only raises a flag; this thread
 * re-reads the configuration and loads the rules and the inventory between
 * two blocks, where the correlator holds nothing that the store does not.
 * A new rule set with any error is refused whole and the old one goes on,
 * so a typo in a rule file never leaves an agency without detection.
 */
#include "detect.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "normalize.h"
#include "soc/access_log.h"
#include "soc/assets.h"
#include "soc/correlate.h"
#include "soc/hash.h"
#include "soc/journal.h"
#include "soc/level.h"
#include "soc/rules.h"
#include "soc/thread.h"
#include "triage.h"

#define RECENT_KEYS 2048
#define RECENT_HITS 10
#define RECENT_LINE 512
#define RECENT_BUCKETS 4096 /* a power of two, twice RECENT_KEYS */
#define NIL UINT32_MAX
#define IDLE_MS 100
/* With the journal read to its end the thread sleeps until the ingest says
 * it committed blocks (soc_detect_wake), or this long at most (a safety
 * net: only the ingest writes blocks). Looking every IDLE_MS woke an idle
 * agent ten times a second for nothing. */
#define IDLE_WAIT_MS 1000
#define STATE_LOG_MIN 128
/* Blocks looked at in one transaction when the journal holds them, until
 * one of them has taken the lines past TXN_LINES: what a transaction costs
 * beside its lines (the state's write-back, the alerts' counts, the
 * cursor, the counters, the commit's sync) is paid once for them all,
 * while the write lock, which the ingest waits for, is held for some
 * milliseconds (16 blocks of the default 1,024 lines; one block of a
 * journal with blocks of more lines). */
#define TXN_BLOCKS 64
#define TXN_LINES 16384
#define DETECT_COUNTERS 7 /* write_counters' */

typedef struct recent_hit {
  int64_t block, stream, ts;
  uint64_t pos;
  size_t len;
  char source[64];
  char line[RECENT_LINE]; /* last: an undo copy keeps only its len bytes */
} recent_hit;

typedef struct recent_key {
  size_t rule; /* soc_rule_index + 1; 0: free slot */
  size_t n, next;
  uint64_t used;  /* for evicting the least recently used */
  uint64_t saved; /* the block (epoch) that saved it for undo */
  /* last: an undo copy keeps the key up to its end, one cache line of a slot
   * taken over (every hit past 2,048 keys) rather than nine */
  char key[SOC_CORRELATE_KEY_MAX + 1];
} recent_key; /* its hits: a ring of RECENT_HITS in soc_detect.rhits (hit_of) */

#define HIT_HEAD offsetof(recent_hit, line)
#define KEY_HEAD offsetof(recent_key, key)
#define UNDO_MAX \
  (RECENT_KEYS * (sizeof(size_t) + sizeof(recent_key) + RECENT_HITS * sizeof(recent_hit)))

struct soc_detect {
  const soc_config *cfg;
  soc_store *store;
  soc_rules *rules;
  soc_match_ctx *mctx;
  soc_correlator *corr;
  soc_triage_memo *memo;  /* later hits of the block's alerts (triage.h) */
  int64_t triage_version; /* the store's at the last commit: the memo's too (-1: none) */
  soc_assets *assets;
  soc_normalizer *norm;
  soc_event *ev;
  soc_event *closed; /* the event of a decided window's firing (soc_correlator_key_event) */
  recent_key *recent;
  recent_hit *rhits; /* place j of slot i's ring at [j * RECENT_KEYS + i] */
  uint64_t clock;
  /* recent's index, so a hit costs the same however many keys are live:
   * (rule, key) hashed to a chain of slots, and the slots in order of use
   * (rtail: the least recent). Rebuilt from the slots when a rollback or a
   * reload rewrote them. */
  uint32_t rbucket[RECENT_BUCKETS];
  uint32_t rhnext[RECENT_KEYS], rprev[RECENT_KEYS], rnext[RECENT_KEYS];
  /* each slot's key hash, beside the chain: a lookup past 2,048 keys reads no
   * slot that is not the one it looks for, each a cache miss */
  uint32_t rhash[RECENT_KEYS];
  uint32_t rhead, rtail;
  /* A block whose commit fails is looked at again, so the recent hits must
   * be as they were before it: each slot it touches is saved once (at most
   * RECENT_KEYS per block), as its slot number, its head and its n hits cut
   * to their lines' lengths, one after the other (the buffer grows to what
   * blocks need). */
  unsigned char *undo;
  size_t nundo, capundo; /* bytes */
  uint64_t epoch, clock_before;
  pthread_t thread;
  int started;
  atomic_int stop;
  atomic_int reload; /* set by soc_detect_reload, taken by run() */
  /* wake-ups: woken counts soc_detect_wake's calls (under wake_mx) */
  pthread_mutex_t wake_mx;
  pthread_cond_t wake_cv; /* on CLOCK_MONOTONIC */
  uint64_t woken;
  int64_t idle_wait_ms;
  void (*on_commit)(void *);
  void *on_commit_arg;
  int64_t cursor;
  const soc_jentry *cur; /* the line being looked at */
  int64_t newest_ns;     /* the newest event time seen: idle keys expire by it */
  int error;             /* a store error inside a callback */
  int64_t lines, hits, fires, alerts_new, drafts_new, drafts_updated;
  /* the counters' rows as the last commit left them (INT64_MIN: not yet
   * written), and as this transaction writes them */
  int64_t saved[DETECT_COUNTERS], writing[DETECT_COUNTERS];
};

/* ---- keys and recent hits ---------------------------------------------------- */

/* src into dst[0..cap), cut to cap - 1 bytes as snprintf's "%s" cuts it
 * (cap >= 1), at a few instructions a byte where snprintf costs hundreds a
 * call: three of these run on every hit. Returns the bytes written. */
static size_t copy_cut(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
  return n;
}

/* The rule's group_by values joined with '|' (as the correlator keys them),
 * cut at len - 1 bytes. */
static void key_of(const soc_rule *rule, const soc_event *ev, char *out, size_t len) {
  const soc_rule_correlate *c = soc_rule_correlation(rule);
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; c && i < c->ngroup_by; i++) {
    char num[64];
    const char *v = soc_rules_field_get(ev, c->group_by_fields[i], num, sizeof num);
    if (i) used += copy_cut(out + used, len - used, "|");
    used += copy_cut(out + used, len - used, v ? v : "");
  }
}

/* The i-th oldest of k's n remembered hits. */
static recent_hit *hit_of(soc_detect *d, const recent_key *k, size_t i) {
  size_t place = (k->next + RECENT_HITS - k->n + i) % RECENT_HITS;
  return &d->rhits[place * RECENT_KEYS + (size_t)(k - d->recent)];
}

/* Saves slot k for a rollback of this block before its first change in it. */
static int recent_touch(soc_detect *d, recent_key *k) {
  if (k->saved == d->epoch) return 0;
  size_t need = sizeof(size_t) + sizeof *k + k->n * sizeof(recent_hit); /* at most */
  if (d->nundo + need > d->capundo) {
    size_t cap = d->capundo ? d->capundo * 2 : 64 * 1024;
    while (cap < d->nundo + need) cap *= 2;
    if (cap > UNDO_MAX) cap = UNDO_MAX; /* every slot whole: never more */
    unsigned char *u = realloc(d->undo, cap);
    if (!u) return -ENOMEM;
    d->undo = u;
    d->capundo = cap;
  }
  unsigned char *p = d->undo + d->nundo;
  size_t slot = (size_t)(k - d->recent);
  memcpy(p, &slot, sizeof slot);
  p += sizeof slot;
  size_t klen = strlen(k->key) + 1;
  memcpy(p, k, KEY_HEAD + klen);
  p += KEY_HEAD + klen;
  for (size_t i = 0; i < k->n; i++) {
    const recent_hit *h = hit_of(d, k, i);
    memcpy(p, h, HIT_HEAD + h->len);
    p += HIT_HEAD + h->len;
  }
  d->nundo = (size_t)(p - d->undo);
  k->saved = d->epoch;
  return 0;
}

static uint32_t recent_hash(size_t rule, const char *key) {
  return (uint32_t)soc_fnv1a(SOC_FNV1A_SEED ^ rule, key);
}

static void recent_unlink(soc_detect *d, uint32_t i) {
  if (d->rprev[i] != NIL)
    d->rnext[d->rprev[i]] = d->rnext[i];
  else
    d->rhead = d->rnext[i];
  if (d->rnext[i] != NIL)
    d->rprev[d->rnext[i]] = d->rprev[i];
  else
    d->rtail = d->rprev[i];
}

static void recent_front(soc_detect *d, uint32_t i) {
  d->rprev[i] = NIL;
  d->rnext[i] = d->rhead;
  if (d->rhead != NIL)
    d->rprev[d->rhead] = i;
  else
    d->rtail = i;
  d->rhead = i;
}

static void recent_hash_add(soc_detect *d, uint32_t i, uint32_t h) {
  size_t b = h & (RECENT_BUCKETS - 1);
  d->rhash[i] = h;
  d->rhnext[i] = d->rbucket[b];
  d->rbucket[b] = i;
}

static void recent_hash_remove(soc_detect *d, uint32_t i) {
  uint32_t *p = &d->rbucket[d->rhash[i] & (RECENT_BUCKETS - 1)];
  while (*p != NIL && *p != i) p = &d->rhnext[*p];
  if (*p == i) *p = d->rhnext[i];
}

typedef struct recent_use {
  uint64_t used;
  uint32_t slot;
} recent_use;

static int by_use(const void *a, const void *b) {
  const recent_use *x = a, *y = b;
  return x->used < y->used ? -1 : x->used > y->used;
}

/* The index from what the slots hold (free slots are the least recent). */
static void recent_index(soc_detect *d) {
  recent_use order[RECENT_KEYS]; /* 32 KiB, rarely: at start, rollback, reload */
  memset(d->rbucket, 0xff, sizeof d->rbucket);
  d->rhead = d->rtail = NIL;
  for (uint32_t i = 0; i < RECENT_KEYS; i++) {
    order[i] = (recent_use){d->recent[i].used, i};
    if (d->recent[i].rule) recent_hash_add(d, i, recent_hash(d->recent[i].rule, d->recent[i].key));
  }
  qsort(order, RECENT_KEYS, sizeof *order, by_use);
  for (size_t i = 0; i < RECENT_KEYS; i++) recent_front(d, order[i].slot);
}

/* The block committed (keep = 1) or rolled back (keep = 0). */
static void recent_settle(soc_detect *d, int keep) {
  /* each slot is in the buffer once: the order does not matter */
  for (size_t off = 0; !keep && off < d->nundo;) {
    size_t slot;
    memcpy(&slot, d->undo + off, sizeof slot);
    off += sizeof slot;
    recent_key *k = &d->recent[slot];
    memcpy(k, d->undo + off, KEY_HEAD);
    size_t klen = strlen((const char *)d->undo + off + KEY_HEAD) + 1;
    memcpy(k->key, d->undo + off + KEY_HEAD, klen);
    off += KEY_HEAD + klen;
    for (size_t i = 0; i < k->n; i++) {
      recent_hit *h = hit_of(d, k, i);
      memcpy(h, d->undo + off, HIT_HEAD);
      memcpy(h->line, d->undo + off + HIT_HEAD, h->len);
      off += HIT_HEAD + h->len;
    }
  }
  if (!keep) {
    d->clock = d->clock_before;
    recent_index(d);
  }
  d->nundo = 0;
  d->epoch++;
  d->clock_before = d->clock;
}

/* NULL when the key has no slot (and create is 0) or undo needs memory
 * that is not there (*err = -ENOMEM). */
static recent_key *recent_slot(soc_detect *d, const soc_rule *rule, const char *key, int create,
                               int *err) {
  size_t ri = soc_rule_index(rule) + 1;
  uint32_t h = recent_hash(ri, key);
  uint32_t i = d->rbucket[h & (RECENT_BUCKETS - 1)];
  while (i != NIL &&
         (d->rhash[i] != h || d->recent[i].rule != ri || strcmp(d->recent[i].key, key) != 0))
    i = d->rhnext[i];
  if (i == NIL && !create) return NULL;
  if (i == NIL) i = d->rtail;
  recent_key *k = &d->recent[i];
  if ((*err = recent_touch(d, k)) < 0) return NULL;
  if (k->rule != ri || strcmp(k->key, key) != 0) { /* the least recent slot, taken over */
    if (k->rule) recent_hash_remove(d, i);
    size_t len = strnlen(key, sizeof k->key - 1);
    k->rule = ri;
    k->n = k->next = 0; /* the hits past n are never read */
    memcpy(k->key, key, len);
    k->key[len] = '\0';
    recent_hash_add(d, i, h);
  }
  k->used = ++d->clock;
  recent_unlink(d, i);
  recent_front(d, i);
  return k;
}

static void remember(soc_detect *d, recent_key *k, const soc_jentry *e) {
  if (k->n < RECENT_HITS) k->n++;
  k->next = (k->next + 1) % RECENT_HITS;
  recent_hit *h = hit_of(d, k, k->n - 1); /* the newest: where next was */
  h->block = e->block;
  h->stream = e->stream;
  h->ts = e->line.ts_ns;
  h->pos = e->line.pos;
  copy_cut(h->source, sizeof h->source, e->source);
  h->len = e->line.len < RECENT_LINE ? e->line.len : RECENT_LINE;
  memcpy(h->line, e->line.data, h->len);
}

/* ---- assets and levels --------------------------------------------------------- */

static void find_asset(soc_detect *d, const soc_rule *rule, const soc_event *ev,
                       soc_asset_match *m) {
  static const char *const fallback_fields[] = {"host.name", "host.ip", "destination.ip"};
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  int own = inc && inc->nasset_from;
  size_t n = own ? inc->nasset_from : 3;
  soc_assets_lookup(d->assets, NULL, m); /* the default, if nothing better turns up */
  for (size_t i = 0; i < n; i++) {
    char num[64];
    const char *v = own ? soc_rules_field_get(ev, inc->asset_from_fields[i], num, sizeof num)
                        : soc_rules_field_value(ev, fallback_fields[i], num, sizeof num);
    if (!v || !*v) continue;
    soc_asset_match cand;
    soc_assets_lookup(d->assets, v, &cand);
    if (!cand.fallback) {
      *m = cand;
      return;
    }
  }
}

static int classify(const soc_rule *rule, const soc_asset *asset, soc_level_result *r) {
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  soc_impact imp = {.kind = inc ? inc->impact : SOC_IMPACT_TAMPER,
                    .tier = asset->tier ? asset->tier : SOC_TIER_NON_CORE,
                    .severity = inc && inc->severity ? inc->severity : SOC_SEVERITY_MINOR,
                    .data_class = inc ? inc->data_class : SOC_DATA_NONE,
                    .outage_seconds = inc ? inc->outage_minutes * 60 : 0,
                    .tolerable_seconds = asset->tolerable_seconds};
  if (!imp.kind) imp.kind = SOC_IMPACT_TAMPER;
  if (inc && inc->data_from_asset) imp.data_class = soc_asset_top_data_class(asset);
  if (imp.kind == SOC_IMPACT_LEAK && !imp.data_class) imp.data_class = SOC_DATA_GENERAL;
  /* an asset without a stated downtime tolerates none: an outage is levelled as
   * not restored in time, the cautious reading */
  if (imp.tolerable_seconds < 0) imp.tolerable_seconds = 0;
  return soc_level_classify(&imp, 1, r);
}

/* ---- triage ----------------------------------------------------------------------- */

#define ENTITY_MAX 8
#define ENTITY_VALUE_MAX 256

/* The values that tie a firing to others (docs/TRIAGE.md): the rule's
 * incident.group_by, else its correlate.group_by; host.name is the scope of
 * the grouping, so naming it means "any open draft of the host";
 * source.address counts as source.ip. */
static size_t entities_of(const soc_rule *rule, const soc_event *ev, soc_entity *out,
                          char vals[][ENTITY_VALUE_MAX], int *join_host) {
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  const soc_rule_correlate *c = soc_rule_correlation(rule);
  const char *const *fields = NULL;
  const soc_rules_field *const *refs = NULL;
  size_t nf = 0, n = 0;
  if (inc && inc->group_by_set) {
    fields = inc->group_by;
    refs = inc->group_by_fields;
    nf = inc->ngroup_by;
  } else if (c) {
    fields = c->group_by;
    refs = c->group_by_fields;
    nf = c->ngroup_by;
  }
  *join_host = 0;
  for (size_t i = 0; i < nf && n < ENTITY_MAX; i++) {
    if (!strcmp(fields[i], "host.name")) {
      *join_host = inc && inc->group_by_set;
      continue;
    }
    char num[64];
    const char *v = soc_rules_field_get(ev, refs[i], num, sizeof num);
    if (!v || !*v) continue;
    copy_cut(vals[n], ENTITY_VALUE_MAX, v);
    /* an address is one entity whichever field a rule captured it in */
    out[n].kind = strcmp(fields[i], "source.address") ? fields[i] : "source.ip";
    out[n].value = vals[n];
    n++;
  }
  return n;
}

static soc_evidence_row evidence_of_hit(const recent_hit *h) {
  return (soc_evidence_row){.block = h->block,
                            .source = h->source,
                            .stream = h->stream,
                            .pos = h->pos,
                            .ts = h->ts,
                            .line = h->line,
                            .len = h->len};
}

/* A firing, or a later hit of a firing key: an alert, and the draft it
 * belongs to (triage.c). A later hit that the memo counts (most hits) needs
 * only the rule, key, host, time and line: the asset, level, entities and
 * evidence of what led to it, which only a firing or the store's answer
 * reads, are looked up after the memo said it can not count it. (classify
 * fails for no loaded rule: the loader checks what it reads, and the
 * asset's tier and classes come from a checked inventory.) */
static int to_triage(soc_detect *d, const soc_rule *rule, const soc_event *ev, const soc_fire *f,
                     const char *key) {
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  soc_asset_match m;
  soc_level_result lv;
  soc_entity ent[ENTITY_MAX];
  char vals[ENTITY_MAX][ENTITY_VALUE_MAX];
  soc_evidence_row lead[RECENT_HITS];
  size_t nlead = 0;
  int alert_only = inc && inc->alert_only;
  soc_evidence_row cur = {.block = d->cur->block,
                          .source = d->cur->source,
                          .stream = d->cur->stream,
                          .pos = d->cur->line.pos,
                          .ts = d->cur->line.ts_ns,
                          .line = d->cur->line.data,
                          .len = d->cur->line.len};
  soc_signal sig = {.rule_id = soc_rule_id(rule),
                    .host = soc_event_get_str(ev, SOC_ECS_HOST_NAME),
                    .key = key,
                    .first_ns = f ? f->first_ns : d->cur->line.ts_ns,
                    .last_ns = f ? f->last_ns : d->cur->line.ts_ns,
                    .count = f ? (int64_t)f->count : 1,
                    .fired = f != NULL,
                    .evidence = &cur,
                    .nevidence = 1};
  soc_triage_out out;
  int rc;
  if (!f && sig.host && *sig.host) {
    if ((rc = soc_triage_memo_hit(d->cfg, d->store, d->memo, &sig, &out)) != 0)
      return rc < 0 ? rc : 0;
    sig.memo_asked = 1;
  }
  find_asset(d, rule, ev, &m);
  if (!alert_only && classify(rule, m.asset, &lv) < 0)
    return 0; /* a rule the loader let through oddly */
  int err = 0;
  recent_key *k = f ? recent_slot(d, rule, key, 0, &err) : NULL;
  if (err < 0) return err;
  for (size_t i = 0; k && i < k->n; i++) {
    const recent_hit *h = hit_of(d, k, i);
    if (h->block == d->cur->block && h->pos == d->cur->line.pos) continue;
    lead[nlead++] = evidence_of_hit(h);
  }
  sig.title = soc_rule_title(rule);
  sig.description = soc_rule_description(rule);
  sig.category = inc ? inc->category : SOC_CATEGORY_OTHER;
  sig.subtype = inc ? inc->subtype : "";
  sig.impact = inc ? inc->impact : SOC_IMPACT_TAMPER;
  sig.alert_only = alert_only;
  sig.asset = &m;
  sig.level = alert_only ? NULL : &lv;
  sig.module = d->cur->source;
  sig.message = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  sig.lead = lead;
  sig.nlead = nlead;
  if (!alert_only && !sig.impact) sig.impact = SOC_IMPACT_TAMPER;
  sig.mitre = soc_rule_mitre(rule, &sig.nmitre);
  sig.references = soc_rule_references(rule, &sig.nreferences);
  if (soc_rule_is_sigma(rule)) sig.author = soc_rule_author(rule);
  sig.nentities = entities_of(rule, ev, ent, vals, &sig.join_host);
  sig.entities = ent;
  if ((rc = soc_triage_record_memo(d->cfg, d->store, d->memo, &sig, &out)) < 0) return rc;
  if (out.new_alert) d->alerts_new++;
  if (out.new_draft)
    d->drafts_new++;
  else if (out.draft)
    d->drafts_updated++;
  return 0;
}

/* ---- the journal, line by line ------------------------------------------------- */

/* A firing (f) or a plain hit (f NULL) of rule on ev: to triage keyed
 * key, and remembered as a recent hit of (rule, hit_key). */
static int record(soc_detect *d, const soc_rule *rule, soc_event *ev, const soc_fire *f,
                  const char *key, const char *hit_key) {
  int rc = to_triage(d, rule, ev, f, key);
  if (rc < 0) return rc;
  if (f) d->fires++;
  recent_key *k = recent_slot(d, rule, hit_key, 1, &rc);
  if (!k) return rc;
  remember(d, k, d->cur);
  return 0;
}

/* The firings the correlator queued (Sigma temporal rules a hit
 * completed: ev is theirs; windows closed: ev is NULL and made from the
 * key). */
static int queued(soc_detect *d, soc_event *ev) {
  soc_fire f;
  int rc = 0;
  while (rc == 0 && soc_correlator_next(d->corr, &f)) {
    if (!ev && (rc = soc_correlator_key_event(&f, d->closed)) < 0) break;
    rc = record(d, f.rule, ev ? ev : d->closed, &f, f.key, f.key);
  }
  return rc;
}

static int on_hit(const soc_rule *rule, soc_event *ev, void *arg) {
  soc_detect *d = arg;
  char joined[SOC_CORRELATE_KEY_MAX + 1];
  const char *key = joined;
  soc_fire fire;
  int64_t ts = d->cur->line.ts_ns;
  int rc = 0;
  soc_event_get_time(ev, &ts);
  d->hits++;
  int fired = soc_correlator_feed(d->corr, rule, ev, ts, &fire);
  /* the correlator's key is the hit's when it escaped and cut nothing */
  if (fired >= 0 && fire.key_plain)
    key = fire.key;
  else
    key_of(rule, ev, joined, sizeof joined);
  /* fired < 0: a hit the correlator can not key, counted there; silent: a
   * Sigma rule that only feeds a correlation (generate: false) */
  if (fired >= 0 && !soc_rule_silent(rule))
    rc = record(d, rule, ev, fired ? &fire : NULL, fired ? fire.key : key, key);
  if (rc == 0) rc = queued(d, ev);
  if (rc < 0) d->error = rc;
  return rc;
}

/* The rest of the line's normalization, which matching asks for only when
 * a rule reads a field it sets or hits (soc_match_ctx_defer). */
static void finish_line(soc_event *ev, void *arg) {
  soc_detect *d = arg;
  soc_normalize_rest(d->norm, d->cur, ev);
}

/* A matching context whose events are normalized lazily. */
static soc_match_ctx *match_ctx(soc_detect *d, const soc_rules *rules) {
  soc_match_ctx *m = soc_match_ctx_new(rules);
  soc_match_ctx_defer(m, soc_normalize_lazy_ready, soc_normalize_lazy_nready, soc_access_extras,
                      SOC_ACCESS_EXTRAS, finish_line, d);
  return m;
}

static int on_line(void *arg, const soc_jentry *e) {
  soc_detect *d = arg;
  d->cur = e;
  d->lines++;
  if (e->line.ts_ns > d->newest_ns) d->newest_ns = e->line.ts_ns;
  if (soc_normalize_lazy(d->norm, e, d->ev)) soc_match_ctx_pending(d->mctx);
  int rc = soc_rules_match(d->rules, d->mctx, d->ev, on_hit, d);
  /* windows that must stay low are decided once event time passes them */
  if (!d->error && rc >= 0 && soc_correlator_close(d->corr, d->newest_ns)) rc = queued(d, NULL);
  return d->error ? d->error : (rc < 0 ? rc : 0);
}

/* What the transaction writes of the correlation state: the keys it
 * changed, appended to the state's log (one packed row at the commit), or
 * every live key, after a clear, once the log holds three times as many
 * records as there are keys (STATE_LOG_MIN at least): a key then costs
 * about half a record more per change, every record appended at the end
 * of one b-tree, where an update in place of each changed key dirtied a
 * page of its own at every commit. */
static int dump_flags(soc_detect *d, unsigned *flags) {
  int64_t rows = 0;
  soc_correlator_stats st;
  int rc = soc_store_detect_state_rows(d->store, &rows);
  soc_correlator_stats_get(d->corr, &st);
  size_t due = st.keys > STATE_LOG_MIN / 3 ? st.keys * 3 : STATE_LOG_MIN;
  *flags = rows >= (int64_t)due ? 0 : SOC_DUMP_DIRTY;
  return rc;
}

static int save_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  soc_detect *d = arg;
  if (!rule) return soc_store_detect_state_clear(d->store); /* all states follow */
  return soc_store_detect_state_put(d->store, rule, key, len ? blob : NULL, len);
}

static int restore_state(void *arg, const char *rule, const char *key, const void *blob,
                         size_t len) {
  soc_detect *d = arg;
  soc_correlator_restore(d->corr, rule, key, blob, len); /* a bad blob is refused and counted */
  return 0;
}

/* A correlator for rules, with the state the store holds. */
static int stored_correlator(soc_detect *d, const soc_rules *rules, soc_correlator **out) {
  soc_correlator *keep = d->corr;
  int rc = soc_correlator_new(rules, SOC_CORRELATE_DEFAULT_KEYS, &d->corr);
  if (rc == 0) rc = soc_store_detect_state_scan(d->store, restore_state, d);
  if (rc == 0) soc_correlator_mark_clean(d->corr);
  if (rc < 0) soc_correlator_free(d->corr);
  *out = rc == 0 ? d->corr : NULL;
  d->corr = keep;
  return rc;
}

static int fresh_correlator(soc_detect *d) {
  soc_correlator *c = NULL;
  int rc = stored_correlator(d, d->rules, &c);
  soc_correlator_free(d->corr);
  d->corr = c;
  return rc;
}

/* Only the counters that changed since the last commit are written: a
 * daemon commits about five times a second, and most of its transactions
 * move two counters of seven (each row 11,000 instructions). */
static void write_counters(soc_detect *d) {
  static const char *const names[DETECT_COUNTERS] = {
      "lines", "rule_hits", "firings", "alerts_opened", "drafts_opened", "drafts_updated", "rules"};
  const int64_t now[DETECT_COUNTERS] = {d->lines,
                                        d->hits,
                                        d->fires,
                                        d->alerts_new,
                                        d->drafts_new,
                                        d->drafts_updated,
                                        (int64_t)soc_rules_count(d->rules)};
  /* a row that cannot be written is left for the next transaction */
  for (int i = 0; i < DETECT_COUNTERS; i++)
    (void)soc_store_counter_put(d->store, "detect", names[i], now[i], d->saved[i], &d->writing[i]);
}

/* The lines of block id, the one after block after. */
static int scan_block(soc_detect *d, int64_t after, int64_t id) {
  soc_block_query q = {.after_id = after, .upto_id = id, .limit = 1};
  int rc = soc_journal_scan(d->store, &q, on_line, d);
  if (rc == -EBADMSG) {
    fprintf(stderr, "socagent: detect: journal block %lld is damaged; skipped\n", (long long)id);
    rc = 0;
  }
  /* keys whose windows have passed leave memory and the store (now and
   * then: it looks at every key) */
  if (rc == 0 && (id & 63) == 0) soc_correlator_expire(d->corr, d->newest_ns);
  return rc;
}

/* Looks at the next blocks the journal holds in one transaction (up to
 * TXN_BLOCKS, or TXN_LINES lines). Returns 1 when some were done, 0 when
 * the journal has nothing new, a negative errno on a store error. */
static int step(soc_detect *d) {
  int64_t id = 0, last = d->cursor;
  int rc = soc_store_block_next(d->store, d->cursor, &id);
  if (rc < 0) return rc;
  if (!id) return 0;
  if ((rc = soc_store_begin(d->store)) < 0) return rc;
  /* the memo knows the alerts as this connection left them: it goes on
   * unless another connection (socctl, an analyst's decision, another
   * input's triage) changed an alert or a draft since, and the alerts of a
   * busy key are not asked for again each transaction; the ingest's
   * journal blocks leave the version */
  int64_t version = -1;
  if (soc_store_triage_version(d->store, &version) < 0 || version != d->triage_version)
    soc_triage_memo_drop(d->memo);
  d->error = 0;
  /* the counters too are the transaction's: a rolled back block did not count */
  const int64_t counted[] = {d->lines,      d->hits,       d->fires,
                             d->alerts_new, d->drafts_new, d->drafts_updated};
  for (int n = 0; rc == 0 && id;) {
    rc = scan_block(d, last, id);
    last = id;
    id = 0;
    if (rc == 0 && ++n < TXN_BLOCKS && d->lines - counted[0] < TXN_LINES)
      rc = soc_store_block_next(d->store, last, &id);
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)last);
  if (rc == 0) rc = soc_triage_memo_write(d->memo, d->store);
  unsigned flags = SOC_DUMP_DIRTY;
  if (rc == 0) rc = dump_flags(d, &flags);
  if (rc == 0) rc = soc_correlator_dump(d->corr, flags, save_state, d);
  if (rc == 0) rc = soc_store_meta_set(d->store, "detect.cursor", buf);
  if (rc == 0) write_counters(d);
  /* this transaction's own alerts and drafts moved the version on too */
  if (rc == 0 && soc_store_triage_version(d->store, &d->triage_version) < 0) d->triage_version = -1;
  if (rc == 0) rc = soc_store_commit(d->store);
  if (rc < 0) {
    d->triage_version = -1;
    soc_store_rollback(d->store);
    soc_triage_memo_drop(d->memo);
    fprintf(stderr, "socagent: detect: %s; the block will be looked at again\n",
            soc_store_errmsg(d->store));
    /* the correlator saw hits that did not land: take it back to the store's */
    fresh_correlator(d);
    recent_settle(d, 0);
    d->lines = counted[0];
    d->hits = counted[1];
    d->fires = counted[2];
    d->alerts_new = counted[3];
    d->drafts_new = counted[4];
    d->drafts_updated = counted[5];
    return rc;
  }
  recent_settle(d, 1);
  soc_correlator_mark_clean(d->corr);
  memcpy(d->saved, d->writing, sizeof d->saved);
  d->cursor = last;
  return 1;
}

static void reload(soc_detect *d);

static uint64_t woken(soc_detect *d) {
  pthread_mutex_lock(&d->wake_mx);
  uint64_t n = d->woken;
  pthread_mutex_unlock(&d->wake_mx);
  return n;
}

/* Sleeps until a wake-up after the one numbered seen, a stop or a reload,
 * or idle_wait_ms. A wake-up that came while the block was looked for is
 * not lost: seen was taken before. */
static void wait_woken(soc_detect *d, uint64_t seen) {
  const struct timespec until = soc_thread_deadline(CLOCK_MONOTONIC, d->idle_wait_ms);
  pthread_mutex_lock(&d->wake_mx);
  while (d->woken == seen && !atomic_load(&d->stop) && !atomic_load(&d->reload))
    if (pthread_cond_timedwait(&d->wake_cv, &d->wake_mx, &until) == ETIMEDOUT) break;
  pthread_mutex_unlock(&d->wake_mx);
}

static void *run(void *arg) {
  soc_detect *d = arg;
  while (!atomic_load(&d->stop)) {
    if (atomic_exchange(&d->reload, 0)) reload(d);
    uint64_t seen = woken(d);
    int rc = step(d);
    if (rc < 0)
      usleep(IDLE_MS * 1000); /* a store error: look again soon */
    else if (rc == 0)
      wait_woken(d, seen);
    else if (d->on_commit) /* its alerts and drafts are in the outbox */
      d->on_commit(d->on_commit_arg);
  }
  return NULL;
}

void soc_detect_wake(soc_detect *d) {
  if (!d) return;
  pthread_mutex_lock(&d->wake_mx);
  d->woken++;
  pthread_cond_signal(&d->wake_cv);
  pthread_mutex_unlock(&d->wake_mx);
}

void soc_detect_on_commit(soc_detect *d, void (*fn)(void *), void *arg) {
  d->on_commit = fn;
  d->on_commit_arg = arg;
}

void soc_detect_set_idle_wait(soc_detect *d, int64_t ms) { d->idle_wait_ms = ms; }

int soc_detect_drain(soc_detect *d) {
  int rc;
  if (!d->rules) return 0;
  while ((rc = step(d)) > 0) {
  }
  return rc;
}

/* ---- life cycle ------------------------------------------------------------------ */

/* The rule files that cfg's rules.log globs match, loaded. *out stays NULL
 * when there are none; *failed counts the files refused (their errors are
 * printed). */
static int load_rules(const soc_config *cfg, soc_rules **out, size_t *failed) {
  char **files = NULL, **sigma = NULL;
  size_t n = 0, nsigma = 0;
  int result = soc_config_glob(cfg->rules.log, cfg->rules.nlog, &files, &n);
  if (result == 0)
    result = soc_config_glob_sigma(cfg->rules.sigma, cfg->rules.nsigma, &sigma, &nsigma);
  if (result < 0 || !(n + nsigma)) goto out;
  soc_diag *diag = soc_diag_new();
  soc_rules_stats st;
  result = soc_rules_load_sigma_opts((const char *const *)files, n, (const char *const *)sigma,
                                     nsigma, &cfg->rules.sigma_opts, out, &st, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (failed) *failed = st.files_failed;
  if (result == 0 && *out)
    fprintf(stderr, "socagent: detect: %zu log rule(s) from %zu file(s)%s\n", st.rules, st.files_ok,
            st.files_failed ? " (some files refused, see above)" : "");
  if (result == 0 && nsigma) {
    char sum[512];
    soc_rules_sigma_summary(&st, sum, sizeof sum);
    fprintf(stderr, "socagent: detect: %s\n", sum);
  }
out:
  soc_config_glob_free(files, n);
  soc_config_glob_free(sigma, nsigma);
  return result;
}

int soc_detect_new(const soc_config *cfg, soc_detect **out) {
  int result = -ENOMEM;
  char path[4096], err[600], buf[32];
  soc_detect *d = calloc(1, sizeof *d);
  *out = NULL;
  if (!d) return -ENOMEM;
  d->cfg = cfg;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&d->wake_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&d->wake_mx, NULL);
  d->idle_wait_ms = IDLE_WAIT_MS;
  result = load_rules(cfg, &d->rules, NULL);
  if (result < 0 || !d->rules) goto out; /* no rules: a detector that does nothing */
  snprintf(path, sizeof path, "%s/agent.db", cfg->agent.state_dir);
  result = soc_store_open(path, SOC_STORE_AGENT, &d->store, err, sizeof err);
  if (result < 0) {
    fprintf(stderr, "socagent: detect: %s\n", err);
    goto out;
  }
  soc_diag *diag = soc_diag_new();
  result = soc_config_load_assets(cfg, &d->assets, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (result < 0) goto out;
  result = -ENOMEM;
  d->mctx = match_ctx(d, d->rules);
  d->norm = soc_normalizer_new(cfg, d->store);
  d->ev = soc_event_new();
  d->closed = soc_event_new();
  d->memo = soc_triage_memo_new();
  d->triage_version = -1;
  for (int i = 0; i < DETECT_COUNTERS; i++) d->saved[i] = INT64_MIN;
  d->recent = calloc(RECENT_KEYS, sizeof *d->recent);
  d->rhits = calloc((size_t)RECENT_KEYS * RECENT_HITS, sizeof *d->rhits);
  d->epoch = 1; /* slots start saved by epoch 0, which is never current */
  if (!d->mctx || !d->norm || !d->ev || !d->closed || !d->memo || !d->recent || !d->rhits) goto out;
  soc_normalizer_skip_ids(d->norm, !soc_rules_names_field(d->rules, "event.id"));
  recent_index(d);
  result = fresh_correlator(d);
  if (result < 0) goto out;
  if (soc_store_meta_get(d->store, "detect.cursor", buf, sizeof buf, NULL) == 0)
    d->cursor = strtoll(buf, NULL, 10);
out:
  if (result == 0)
    *out = d;
  else
    soc_detect_free(d);
  return result;
}

/* On the detector's thread, between two blocks. Everything new is built
 * aside first; the old set is only let go once the new one is complete. */
static void reload(soc_detect *d) {
  soc_diag *diag = soc_diag_new();
  soc_config *cfg = NULL;
  soc_rules *rules = NULL;
  soc_assets *assets = NULL;
  soc_match_ctx *mctx = NULL;
  soc_correlator *corr = NULL;
  size_t failed = 0;
  const char *why = "out of memory";
  if (!diag) goto out;
  why = "the configuration file has errors (above)";
  if (soc_config_load(d->cfg->path, 0, &cfg, diag) < 0) goto out;
  why = "the new rule set has errors (above)";
  if (load_rules(cfg, &rules, &failed) < 0 || failed) goto out;
  why = "rules.log matches no rule file; detection can not be switched off by a reload";
  if (!rules) goto out;
  why = "the asset inventory has errors (above)";
  if (soc_config_load_assets(cfg, &assets, diag) < 0) goto out;
  why = "out of memory, or the store failed";
  if (!(mctx = match_ctx(d, rules)) || stored_correlator(d, rules, &corr) < 0) goto out;
  size_t before = soc_rules_count(d->rules), now = soc_rules_count(rules);
  soc_match_ctx_free(d->mctx);
  soc_correlator_free(d->corr);
  soc_rules_free(d->rules);
  soc_assets_free(d->assets);
  d->mctx = mctx;
  d->corr = corr;
  d->rules = rules;
  d->assets = assets;
  soc_normalizer_skip_ids(d->norm, !soc_rules_names_field(rules, "event.id"));
  /* remembered hits name rules by index, which the new set renumbers */
  memset(d->recent, 0, RECENT_KEYS * sizeof *d->recent);
  recent_settle(d, 1);
  recent_index(d);
  /* what the memo knew was found under the old rules and assets */
  soc_triage_memo_drop(d->memo);
  mctx = NULL, corr = NULL, rules = NULL, assets = NULL, why = NULL;
  fprintf(stderr,
          "socagent: reload: %zu log rule(s) now active (%zu before) and the asset inventory "
          "re-read; other configuration changes take effect at the next restart\n",
          now, before);
out:
  if (diag) soc_diag_print(diag, stderr);
  if (why) {
    fprintf(stderr, "socagent: reload refused: %s; the %zu rule(s) loaded before stay active\n",
            why, soc_rules_count(d->rules));
  }
  soc_match_ctx_free(mctx);
  soc_correlator_free(corr);
  soc_rules_free(rules);
  soc_assets_free(assets);
  soc_config_free(cfg);
  soc_diag_free(diag);
}

int soc_detect_reload(soc_detect *d) {
  if (!d || !d->started) {
    fprintf(stderr,
            "socagent: reload: no log rules were loaded at start, so there is no "
            "detector to reload; restart the agent to begin detection\n");
    return -ENOTSUP;
  }
  atomic_store(&d->reload, 1);
  soc_detect_wake(d);
  return 0;
}

int soc_detect_start(soc_detect *d) {
  if (!d->rules) return 0;
  int rc = pthread_create(&d->thread, NULL, run, d);
  if (rc) return -rc;
  d->started = 1;
  soc_thread_name(d->thread, "soc:detect");
  return 0;
}

void soc_detect_stop(soc_detect *d) {
  if (!d || !d->started) return;
  atomic_store(&d->stop, 1);
  soc_detect_wake(d);
  pthread_join(d->thread, NULL);
  d->started = 0;
}

void soc_detect_free(soc_detect *d) {
  if (!d) return;
  soc_detect_stop(d);
  soc_correlator_free(d->corr);
  soc_match_ctx_free(d->mctx);
  soc_rules_free(d->rules);
  soc_assets_free(d->assets);
  soc_normalizer_free(d->norm);
  soc_event_free(d->ev);
  soc_event_free(d->closed);
  soc_triage_memo_free(d->memo);
  free(d->recent);
  free(d->rhits);
  free(d->undo);
  soc_store_close(d->store);
  pthread_cond_destroy(&d->wake_cv);
  pthread_mutex_destroy(&d->wake_mx);
  free(d);
}
