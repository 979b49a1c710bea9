/*
 * triage — see the header.
 *
 * The order inside one call: find or make the alert of (rule, key, host),
 * record its entities, then find the draft it belongs to (its own, or an
 * open draft of the host that carries one of its entities within the
 * window), make one when the rule shows impact and none was found, and let
 * that draft take in the alerts of the same entities that no draft holds
 * yet. The draft's times, count and level are then those of its members.
 *
 * Grouping looks one step wide: an alert taken in does not bring in the
 * alerts of its own other entities. That keeps a busy shared value (an
 * address behind NAT) from chaining unrelated alerts into one incident.
 */
#include "triage.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "soc/event.h"
#include "soc/hash.h"
#include "soc/json_obj.h"
#include "soc/rules.h"
#include "soc/tz.h"

#define TAKE_MAX 256 /* alerts taken into a draft by one call */
#define NS 1000000000LL

fjson_object *soc_alert_envelope(const soc_config *cfg, int64_t ts_ns, const char *id,
                                 const char *dataset, const char *module, const char *host) {
  fjson_object *o = fjson_object_new_object(), *ev = fjson_object_new_object(),
               *ag = fjson_object_new_object();
  soc_json_add_time(o, "@timestamp", ts_ns);
  if (id) soc_json_add_str(ev, "id", id);
  soc_json_add_str(ev, "kind", "alert");
  soc_json_add_str(ev, "dataset", dataset);
  if (module && *module) soc_json_add_str(ev, "module", module);
  fjson_object_object_add(o, "event", ev);
  soc_json_add_str(ag, "id", cfg->agent.id);
  soc_json_add_str(ag, "agency", cfg->agent.agency);
  fjson_object_object_add(o, "agent", ag);
  if (host && *host) {
    fjson_object *ho = fjson_object_new_object();
    soc_json_add_str(ho, "name", host);
    fjson_object_object_add(o, "host", ho);
  }
  return o;
}

/* Sets "a.b.c": v in o, making the objects on the way. */
static void put_path(fjson_object *o, const char *path, const char *v) {
  char part[SOC_EVENT_KEY_MAX];
  const char *dot;
  while ((dot = strchr(path, '.'))) {
    size_t n = (size_t)(dot - path) < sizeof part - 1 ? (size_t)(dot - path) : sizeof part - 1;
    memcpy(part, path, n);
    part[n] = '\0';
    fjson_object *child = NULL;
    if (!fjson_object_object_get_ex(o, part, &child) ||
        !fjson_object_is_type(child, fjson_type_object)) {
      child = fjson_object_new_object();
      fjson_object_object_add(o, part, child);
    }
    o = child;
    path = dot + 1;
  }
  soc_json_add_str(o, path, v);
}

static const char *impact_name(const soc_signal *s) {
  return s->alert_only ? "none" : soc_impact_kind_name(s->impact);
}

/* The ECS alert of a firing. Its id is derived from what fired, so a replay
 * after a crash carries the same id and the center keeps it once. */
static char *alert_json(const soc_config *cfg, const soc_signal *s, const soc_alert_row *a) {
  char src[SOC_DRAFT_RULE_MAX + SOC_DRAFT_KEY_MAX + 512], id[SOC_SHA256_HEX_LEN + 1];
  uint8_t h[SOC_SHA256_LEN];
  int sl = snprintf(src, sizeof src, "%s\n%s\n%s\n%s\n%lld", cfg->agent.id, s->rule_id,
                    s->ruleset ? s->ruleset : "", s->key, (long long)s->last_ns);
  soc_sha256(src, sl > 0 ? ((size_t)sl < sizeof src ? (size_t)sl : sizeof src - 1) : 0, h);
  soc_hex(h, 16, id);
  fjson_object *o = soc_alert_envelope(cfg, s->last_ns, id, "socagent.alert", s->module, s->host),
               *ru = fjson_object_new_object();
  soc_json_add_str(ru, "id", s->rule_id);
  soc_json_add_str(ru, "name", s->title);
  if (s->ruleset) soc_json_add_str(ru, "ruleset", s->ruleset);
  soc_json_add_str(ru, "category", soc_incident_category_name(s->category));
  if (s->author && *s->author) soc_json_add_str(ru, "author", s->author);
  if (s->nreferences)
    fjson_object_object_add(ru, "reference", soc_json_strings(s->references, s->nreferences));
  fjson_object_object_add(o, "rule", ru);
  for (size_t i = 0; i < s->nentities; i++) put_path(o, s->entities[i].kind, s->entities[i].value);
  if (s->ecs) {
    struct fjson_object_iterator it = fjson_object_iter_begin(s->ecs),
                                 end = fjson_object_iter_end(s->ecs);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it))
      fjson_object_object_add(o, fjson_object_iter_peek_name(&it),
                              fjson_object_get(fjson_object_iter_peek_value(&it)));
  }
  soc_json_add_str(o, "key", s->key);
  fjson_object_object_add(o, "count", fjson_object_new_int64(s->count));
  soc_json_add_time(o, "first_seen", s->first_ns);
  soc_json_add_time(o, "last_seen", s->last_ns);
  soc_json_add_str(o, "impact", impact_name(s));
  fjson_object_object_add(o, "level", fjson_object_new_int(a->level));
  fjson_object_object_add(o, "alert", fjson_object_new_int64(a->id));
  fjson_object_object_add(o, "draft", fjson_object_new_int64(a->draft));
  if (s->message) soc_json_add_str(o, "message", s->message);
  char *json = strdup(fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
  return json;
}

static int draft_is_open(soc_store *st, int64_t id) {
  soc_draft_row r;
  if (!id || soc_store_draft_get(st, id, &r) < 0) return 0;
  int open = strcmp(r.status, "open") == 0;
  soc_draft_row_clear(&r);
  return open;
}

static int first_draft(void *arg, int64_t alert, int64_t draft) {
  (void)alert;
  *(int64_t *)arg = draft;
  return 1;
}

typedef struct taken {
  int64_t ids[TAKE_MAX];
  size_t n;
} taken;

static int collect(void *arg, int64_t alert, int64_t draft) {
  (void)draft;
  taken *t = arg;
  for (size_t i = 0; i < t->n; i++)
    if (t->ids[i] == alert) return 0;
  if (t->n < TAKE_MAX) t->ids[t->n++] = alert;
  return 0;
}

/* The open draft that one of the signal's entities (and with join_host, its
 * host) already belongs to: *draft, or 0. */
static int find_group(soc_store *st, const soc_signal *s, const char *host, int64_t since,
                      int64_t *draft) {
  *draft = 0;
  for (size_t i = 0; i <= s->nentities && !*draft; i++) {
    const char *kind = i < s->nentities ? s->entities[i].kind : "host.name";
    const char *value = i < s->nentities ? s->entities[i].value : host;
    if (i == s->nentities && !s->join_host) break;
    int rc = soc_store_entity_scan(st, host, kind, value, since, 1, first_draft, draft);
    if (rc < 0) return rc;
  }
  return 0;
}

/* The alerts of the signal's entities that no draft holds yet join draft,
 * with their evidence. */
static int take_in(soc_store *st, const soc_signal *s, const char *host, int64_t since,
                   int64_t draft) {
  taken t = {.n = 0};
  for (size_t i = 0; i < s->nentities; i++) {
    int rc = soc_store_entity_scan(st, host, s->entities[i].kind, s->entities[i].value, since, 0,
                                   collect, &t);
    if (rc < 0) return rc;
  }
  for (size_t i = 0; i < t.n; i++) {
    soc_alert_row a;
    int rc = soc_store_alert_get(st, t.ids[i], &a);
    if (rc < 0) return rc;
    a.draft = draft;
    rc = soc_store_alert_put(st, &a);
    if (rc == 0) rc = soc_store_alert_evidence_copy(st, a.id, draft, SOC_TRIAGE_DRAFT_EVIDENCE_MAX);
    soc_alert_row_clear(&a);
    if (rc < 0) return rc;
  }
  return 0;
}

typedef struct members {
  fjson_object *arr;
  int64_t first_ns, last_ns, count, top_alert;
  int level;
  char top_rule[SOC_DRAFT_RULE_MAX];
  size_t n;
} members;

static int add_member(void *arg, const soc_alert_row *a) {
  members *m = arg;
  fjson_object *o = fjson_object_new_object();
  fjson_object_object_add(o, "alert", fjson_object_new_int64(a->id));
  soc_json_add_str(o, "rule", a->rule);
  soc_json_add_str(o, "key", a->key);
  soc_json_add_str(o, "impact", a->impact);
  fjson_object_object_add(o, "level", fjson_object_new_int(a->level));
  fjson_object_object_add(o, "count", fjson_object_new_int64(a->count));
  soc_json_add_time(o, "first_seen", a->first_ns);
  soc_json_add_time(o, "last_seen", a->last_ns);
  fjson_object *body = fjson_tokener_parse(a->body), *ru = NULL, *name = NULL;
  if (body && fjson_object_object_get_ex(body, "rule", &ru) &&
      fjson_object_object_get_ex(ru, "name", &name))
    fjson_object_object_add(o, "title", fjson_object_get(name));
  if (body) fjson_object_put(body);
  fjson_object_array_add(m->arr, o);
  if (!m->n || a->first_ns < m->first_ns) m->first_ns = a->first_ns;
  if (!m->n || a->last_ns > m->last_ns) m->last_ns = a->last_ns;
  m->count += a->count;
  if (a->level > m->level) {
    m->level = a->level;
    m->top_alert = a->id;
    snprintf(m->top_rule, sizeof m->top_rule, "%s", a->rule);
  }
  m->n++;
  return 0;
}

/* The draft after its members changed: times, count and members from the
 * alerts it holds; rule, key, level and clause from the member that gives
 * the highest level (this signal, when it is that member). */
static int update_draft(const soc_config *cfg, soc_store *st, const soc_signal *s,
                        const soc_alert_row *a, int64_t id, int created) {
  soc_draft_row r = {0};
  members m = {.arr = fjson_object_new_array()};
  fjson_object *body = NULL;
  int result = soc_store_draft_get(st, id, &r);
  if (result < 0) goto out;
  int64_t before_count = r.count;
  int before_level = r.level;
  size_t before_members = 0;
  fjson_object *old = fjson_tokener_parse(r.body), *arr = NULL;
  if (old && fjson_object_object_get_ex(old, "members", &arr))
    before_members = (size_t)fjson_object_array_length(arr);
  if ((result = soc_store_alerts_scan(st, id, add_member, &m)) < 0) {
    if (old) fjson_object_put(old);
    goto out;
  }
  if (created || (s->level && a->id == m.top_alert && s->level->level > r.level)) {
    if (old) fjson_object_put(old);
    old = NULL;
    snprintf(r.rule, sizeof r.rule, "%s", s->rule_id);
    snprintf(r.key, sizeof r.key, "%s", s->key);
    snprintf(r.asset, sizeof r.asset, "%s", s->asset->asset->name);
    r.level = s->level->level;
    soc_draft_info info = {.rule_id = s->rule_id,
                           .title = s->title,
                           .description = s->description,
                           .mitre = s->mitre,
                           .nmitre = s->nmitre,
                           .references = s->references,
                           .nreferences = s->nreferences,
                           .author = s->author,
                           .asset = s->asset,
                           .level = s->level,
                           .category = s->category,
                           .subtype = s->subtype,
                           .impact = s->impact,
                           .host = s->host};
    body = soc_draft_json(cfg, &r, &info);
    if (s->detail) fjson_object_object_add(body, "finding", fjson_object_get(s->detail));
  } else {
    body = old;
  }
  result = -EBADMSG;
  if (!body) goto out;
  r.first_ns = m.first_ns;
  r.last_ns = m.last_ns;
  r.count = m.count;
  soc_json_add_time(body, "first_seen", r.first_ns);
  soc_json_add_time(body, "last_seen", r.last_ns);
  fjson_object_object_add(body, "count", fjson_object_new_int64(r.count));
  if (m.top_alert) { /* else an analyst's promotion of attempts: socctl says so */
    fjson_object *from = fjson_object_new_object();
    fjson_object_object_add(from, "alert", fjson_object_new_int64(m.top_alert));
    soc_json_add_str(from, "rule", m.top_rule);
    fjson_object_object_add(body, "level_from", from);
  }
  fjson_object_object_add(body, "members", fjson_object_get(m.arr));
  free(r.body);
  result = -ENOMEM;
  if (!(r.body = strdup(fjson_object_to_json_string_ext(body, FJSON_TO_STRING_PLAIN)))) goto out;
  if ((result = soc_store_draft_put(st, &r)) < 0) goto out;
  /* a copy for the center when something an analyst would read changed;
   * a count that doubles, not every hit */
  int grew = r.count > before_count && (r.count & (r.count - 1)) == 0;
  if (created || r.level != before_level || m.n != before_members || grew) {
    const char *okey = s->host && *s->host ? s->host : cfg->agent.id;
    result = soc_store_outbox_add(st, "incidents", okey, r.body, strlen(r.body), NULL);
  }
out:
  if (body) fjson_object_put(body);
  fjson_object_put(m.arr);
  soc_draft_row_clear(&r);
  return result;
}

/* A new draft row for s, its body written by update_draft. */
static int new_draft(soc_store *st, const soc_signal *s, int64_t *id) {
  soc_draft_row r = {0};
  snprintf(r.rule, sizeof r.rule, "%s", s->rule_id);
  snprintf(r.key, sizeof r.key, "%s", s->key);
  snprintf(r.asset, sizeof r.asset, "%s", s->asset->asset->name);
  snprintf(r.status, sizeof r.status, "open");
  r.first_ns = s->first_ns;
  r.last_ns = s->last_ns;
  r.discovered_ns = soc_now_real_ns(); /* the §3.1 clock starts now */
  r.count = s->count;
  r.level = s->level->level;
  int rc = soc_store_draft_put(st, &r);
  *id = r.id;
  return rc;
}

/* The n lines as evidence of the alert, numbered from *seq on (which
 * follows), and of its draft from dseq on, each up to its cap. */
static int evidence_put(soc_store *st, const soc_evidence_row *ev, size_t n, const soc_alert_row *a,
                        int *seq, int dseq) {
  for (size_t i = 0; i < n; i++) {
    soc_evidence_row e = ev[i];
    int rc = 0;
    if (*seq < SOC_TRIAGE_EVIDENCE_MAX) {
      e.draft = a->id;
      e.seq = (*seq)++;
      rc = soc_store_alert_evidence_add(st, &e);
    }
    if (rc == 0 && dseq < SOC_TRIAGE_DRAFT_EVIDENCE_MAX) {
      e.draft = a->draft;
      e.seq = dseq++;
      rc = soc_store_evidence_add(st, &e);
    }
    if (rc < 0) return rc;
  }
  return 0;
}

static int add_evidence(soc_store *st, const soc_evidence_row *ev, size_t n, const soc_alert_row *a,
                        int to_draft) {
  int seq = soc_store_alert_evidence_count(st, a->id);
  int dseq = to_draft ? soc_store_evidence_count(st, a->draft) : SOC_TRIAGE_DRAFT_EVIDENCE_MAX;
  return evidence_put(st, ev, n, a, &seq, dseq);
}

/* ---- the memo of later hits (triage.h) ---------------------------------------- */

#define MEMO_SLOTS 256 /* a power of two; flushed whole at three quarters */
#define MEMO_ID_MAX (SOC_DRAFT_RULE_MAX + SOC_DRAFT_KEY_MAX + SOC_DRAFT_ASSET_MAX)

/* What one (rule, key, host) looked like after its last hit. It answers a
 * later hit whose since is at or after the one it was found with: the alert
 * soc_store_alert_find gives is then the same one (the newest of a smaller
 * set, as long as this one is still in it), or still none.
 *
 * An entry of (rule, host) alone holds the newest last_ns of the rule's
 * alerts on the host (INT64_MIN: none): a hit of a key the memo does not
 * know, older than that by more than the window, has no alert to count on
 * without asking (a scan's thousands of new keys, each asked once). */
typedef struct memo_entry {
  size_t idlen;
  int known;     /* 0: ask the store (the entry is only holding its slot) */
  int64_t since; /* found with this since */
  int64_t alert; /* 0: there is no such alert */
  int64_t first_ns, last_ns, count;
  int seq;   /* the alert's next evidence number */
  int dirty; /* first_ns, last_ns and count are not written yet */
  /* the slot + 1 of the (rule, host) entry of a (rule, key, host) one, 0:
   * not found yet; slots are given up only all at once (drop) */
  uint16_t rule_at;
  char id[MEMO_ID_MAX]; /* rule, key and host (or rule and host), each ending with its NUL */
} memo_entry;

struct soc_triage_memo {
  memo_entry *slots;
  /* each slot's hash (0: free), apart: a probe reads this array, not the
   * entries of 1 KiB each */
  uint64_t hash[MEMO_SLOTS];
  uint16_t used[MEMO_SLOTS]; /* the slots taken, in the order taken */
  size_t n;
};

soc_triage_memo *soc_triage_memo_new(void) {
  soc_triage_memo *m = calloc(1, sizeof *m);
  if (m && !(m->slots = calloc(MEMO_SLOTS, sizeof *m->slots))) {
    free(m);
    m = NULL;
  }
  return m;
}

void soc_triage_memo_free(soc_triage_memo *m) {
  if (!m) return;
  free(m->slots);
  free(m);
}

static int memo_write(soc_store *st, memo_entry *e) {
  if (!e->dirty) return 0;
  soc_alert_row a = {
      .id = e->alert, .first_ns = e->first_ns, .last_ns = e->last_ns, .count = e->count};
  e->dirty = 0;
  return soc_store_alert_touch(st, &a);
}

void soc_triage_memo_drop(soc_triage_memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) m->hash[m->used[i]] = 0;
  m->n = 0;
}

int soc_triage_memo_write(soc_triage_memo *m, soc_store *st) {
  int result = 0;
  for (size_t i = 0; m && i < m->n && result == 0; i++)
    result = memo_write(st, &m->slots[m->used[i]]);
  return result;
}

int soc_triage_memo_flush(soc_triage_memo *m, soc_store *st) {
  int result = soc_triage_memo_write(m, st);
  soc_triage_memo_drop(m);
  return result;
}

/* The slot hash of an entry's id: FNV-1a's steps over eight bytes at a
 * time (and the last few one by one), about an eighth of the instructions
 * of byte-wise FNV over the 30 to 60 bytes of each hit's id; the hash only
 * picks the probe's start, the id itself is compared. */
static uint64_t memo_hash(const char *id, size_t len) {
  uint64_t h = SOC_FNV1A_SEED, w;
  size_t i = 0;
  for (; i + sizeof w <= len; i += sizeof w) {
    memcpy(&w, id + i, sizeof w);
    h = (h ^ w) * UINT64_C(1099511628211);
    h ^= h >> 29; /* a product carries upward only: the high bytes reach the slot bits */
  }
  for (; i < len; i++) h = (h ^ (unsigned char)id[i]) * UINT64_C(1099511628211);
  return h ? h : 1;
}

/* The entry of the nparts names in part ((rule, key, host) or (rule,
 * host)), taking a slot for it with take (flushing the memo when it is
 * full); NULL when there is none, or the names are too long to be kept
 * (the store is asked then). */
static memo_entry *memo_find(soc_triage_memo *m, soc_store *st, const char *const *part, int nparts,
                             int take, int *err) {
  char id[MEMO_ID_MAX];
  size_t idlen = 0;
  *err = 0;
  if (!m) return NULL;
  for (int p = 0; p < nparts; p++) {
    size_t n = strlen(part[p]) + 1;
    if (n > sizeof id - idlen) return NULL;
    memcpy(id + idlen, part[p], n);
    idlen += n;
  }
  uint64_t h = memo_hash(id, idlen);
  size_t i = (size_t)h & (MEMO_SLOTS - 1);
  for (; m->hash[i]; i = (i + 1) & (MEMO_SLOTS - 1))
    if (m->hash[i] == h && m->slots[i].idlen == idlen && !memcmp(m->slots[i].id, id, idlen))
      return &m->slots[i];
  if (!take) return NULL;
  if (m->n >= MEMO_SLOTS * 3 / 4) {
    if ((*err = soc_triage_memo_flush(m, st)) < 0) return NULL;
    i = (size_t)h & (MEMO_SLOTS - 1);
  }
  memo_entry *e = &m->slots[i];
  memset(e, 0, offsetof(memo_entry, id));
  m->hash[i] = h;
  e->idlen = idlen;
  memcpy(e->id, id, idlen);
  m->used[m->n++] = (uint16_t)i;
  return e;
}

/* The rule's (rule, host) entry follows its alerts' newest last_ns; e, the
 * (rule, key, host) entry when there is one, remembers where it is, so
 * most hits look up one entry, not two. */
static void memo_rule_seen(soc_triage_memo *m, memo_entry *e, const soc_signal *s, const char *host,
                           int64_t last_ns) {
  const char *part[2] = {s->rule_id, host};
  int err;
  memo_entry *r =
      e && e->rule_at ? &m->slots[e->rule_at - 1] : memo_find(m, NULL, part, 2, 0, &err);
  if (r && e) e->rule_at = (uint16_t)(r - m->slots + 1);
  if (r && last_ns > r->last_ns) r->last_ns = last_ns;
}

/* 1 when the rule has no alert on the host last seen at or after since
 * (so neither has this key), 0 when it may, or a negative errno. */
static int memo_rule_quiet(soc_triage_memo *m, soc_store *st, const soc_signal *s, const char *host,
                           int64_t since) {
  const char *part[2] = {s->rule_id, host};
  int err;
  memo_entry *r = memo_find(m, st, part, 2, 0, &err);
  if (!r) {
    int64_t last = INT64_MIN;
    if ((err = soc_store_alert_last(st, s->rule_id, host, &last)) < 0) return err;
    if (!(r = memo_find(m, st, part, 2, 1, &err))) return err;
    r->known = 1;
    r->last_ns = last;
  }
  return r->last_ns < since;
}

/* A later hit (not a firing) the memo knows: counted on its alert, its line
 * numbered as the alert's next evidence; one of a key it does not know, of
 * a rule with nothing recent on the host, needs nothing. Returns 1 when
 * done, 0 when the store must be asked (the entry's count written first:
 * the query reads it), or a negative errno. */
static int memo_hit(soc_triage_memo *m, soc_store *st, const soc_signal *s, const char *host,
                    int64_t since, soc_triage_out *out) {
  const char *part[3] = {s->rule_id, s->key, host};
  int err;
  memo_entry *e = memo_find(m, st, part, 3, 0, &err);
  if (!e || !e->known) return memo_rule_quiet(m, st, s, host, since);
  if (since < e->since || (e->alert && e->last_ns < since)) {
    e->known = 0;
    return memo_write(st, e);
  }
  if (!e->alert) return 1; /* nothing open: nothing to do, as the store would say */
  if (s->first_ns < e->first_ns) e->first_ns = s->first_ns;
  if (s->last_ns > e->last_ns) e->last_ns = s->last_ns;
  e->count++;
  e->dirty = 1;
  memo_rule_seen(m, e, s, host, e->last_ns);
  out->alert = e->alert;
  soc_alert_row a = {.id = e->alert};
  int rc = evidence_put(st, s->evidence, s->nevidence, &a, &e->seq, SOC_TRIAGE_DRAFT_EVIDENCE_MAX);
  return rc < 0 ? rc : 1;
}

/* After a firing whose alert no draft holds, which wrote that alert alone
 * (a draft's would take in others): its (rule, key, host) is asked again,
 * and its rule's newest last_ns on the host follows it. What the memo knows
 * of every other alert still holds, so their next hits need no query. */
static void memo_fired(soc_triage_memo *m, const soc_signal *s, const char *host,
                       const soc_alert_row *a) {
  const char *part[3] = {s->rule_id, s->key, host};
  int err;
  memo_entry *e = memo_find(m, NULL, part, 3, 0, &err);
  if (e) e->known = 0;
  memo_rule_seen(m, NULL, s, host, a->last_ns);
}

/* Keeps what the store said about a later hit: alert a (NULL: none), whose
 * next evidence number is seq; its row is written. */
static int memo_keep(soc_triage_memo *m, soc_store *st, const soc_signal *s, const char *host,
                     int64_t since, const soc_alert_row *a, int seq) {
  const char *part[3] = {s->rule_id, s->key, host};
  int err;
  if (a) memo_rule_seen(m, NULL, s, host, a->last_ns);
  memo_entry *e = memo_find(m, st, part, 3, 1, &err);
  if (!e) return err;
  e->known = 1;
  e->since = since;
  e->alert = a ? a->id : 0;
  e->first_ns = a ? a->first_ns : 0;
  e->last_ns = a ? a->last_ns : 0;
  e->count = a ? a->count : 0;
  e->seq = seq;
  e->dirty = 0;
  return 0;
}

int soc_triage_record(const soc_config *cfg, soc_store *st, const soc_signal *s,
                      soc_triage_out *out) {
  return soc_triage_record_memo(cfg, st, NULL, s, out);
}

/* The oldest last_ns of an alert that s still counts on. */
static int64_t since_of(const soc_config *cfg, const soc_signal *s) {
  return s->timeless ? INT64_MIN : s->first_ns - cfg->triage.window_s * NS;
}

int soc_triage_memo_hit(const soc_config *cfg, soc_store *st, soc_triage_memo *memo,
                        const soc_signal *s, soc_triage_out *out) {
  memset(out, 0, sizeof *out);
  if (!memo || s->fired || !s->host || !*s->host) return -EINVAL;
  return memo_hit(memo, st, s, s->host, since_of(cfg, s), out);
}

int soc_triage_record_memo(const soc_config *cfg, soc_store *st, soc_triage_memo *memo,
                           const soc_signal *s, soc_triage_out *out) {
  soc_alert_row a = {0};
  char *json = NULL;
  const char *host = s->host && *s->host ? s->host : s->asset->asset->name;
  int64_t since = since_of(cfg, s);
  memset(out, 0, sizeof *out);
  int result = 0;
  if (memo && !s->fired && !s->memo_asked &&
      (result = memo_hit(memo, st, s, host, since, out)) != 0)
    return result < 0 ? result : 0;
  /* a firing reads and writes more than its own alert: the memo's counts
   * go to the store first (what it knows is settled after the firing) */
  if (memo && s->fired && (result = soc_triage_memo_write(memo, st)) < 0) return result;
  result = soc_store_alert_find(st, s->rule_id, s->key, host, since, &a);
  /* an alert whose draft an analyst has decided on stays with that
   * decision: a new firing is a new alert */
  if (result == 0 && a.draft && s->fired && !draft_is_open(st, a.draft)) {
    soc_alert_row_clear(&a);
    result = -ENOENT;
  }
  if (result == -ENOENT) {
    result = 0;
    /* a hit with nothing open and no firing: nothing to do */
    if (!s->fired) {
      if (memo) result = memo_keep(memo, st, s, host, since, NULL, 0);
      goto out;
    }
    memset(&a, 0, sizeof a);
    snprintf(a.rule, sizeof a.rule, "%s", s->rule_id);
    snprintf(a.key, sizeof a.key, "%s", s->key);
    snprintf(a.host, sizeof a.host, "%s", host);
    snprintf(a.asset, sizeof a.asset, "%s", s->asset->asset->name);
    snprintf(a.impact, sizeof a.impact, "%s", impact_name(s));
    a.level = s->level ? s->level->level : 0;
    a.first_ns = s->first_ns;
    a.last_ns = s->last_ns;
    a.count = s->count;
    out->new_alert = 1;
  } else if (result < 0) {
    goto out;
  } else {
    if (s->first_ns < a.first_ns) a.first_ns = s->first_ns;
    if (s->last_ns > a.last_ns) a.last_ns = s->last_ns;
    a.count++;
  }
  if ((result = out->new_alert ? soc_store_alert_put(st, &a) : soc_store_alert_touch(st, &a)) < 0)
    goto out;
  out->alert = a.id;
  /* a later hit of a firing key adds no entity (its values are the key's);
   * one that no open draft holds is not looked up again: a draft made since
   * took in the alerts of its entities (take_in), and a decided draft stays
   * decided until the rule fires again */
  int open = draft_is_open(st, a.draft);
  if (!s->fired && !open) {
    int seq = soc_store_alert_evidence_count(st, a.id);
    if ((result = evidence_put(st, s->evidence, s->nevidence, &a, &seq,
                               SOC_TRIAGE_DRAFT_EVIDENCE_MAX)) < 0)
      goto out;
    if (memo) result = memo_keep(memo, st, s, host, since, &a, seq);
    goto out;
  }
  /* a hit of an alert in an open draft rewrites the draft from its members
   * (a firing's counts went to the store already) */
  if (memo && !s->fired && (result = soc_triage_memo_flush(memo, st)) < 0) goto out;
  for (size_t i = 0; s->fired && i < s->nentities; i++)
    if ((result = soc_store_alert_entity_put(st, host, s->entities[i].kind, s->entities[i].value,
                                             a.id)) < 0)
      goto out;
  if (s->fired && (result = soc_store_alert_entity_put(st, host, "host.name", host, a.id)) < 0)
    goto out;
  /* the draft: its own while open, else one that shares an entity, else a
   * new one when the rule shows impact */
  int64_t draft = open ? a.draft : 0;
  int joined = 0;
  if (!draft && (result = find_group(st, s, host, since, &draft)) < 0) goto out;
  if (!draft && !s->alert_only) {
    if ((result = new_draft(st, s, &draft)) < 0) goto out;
    out->new_draft = 1;
  }
  if (draft && a.draft != draft) {
    joined = 1;
    a.draft = draft;
  }
  if (out->new_alert && (result = add_evidence(st, s->lead, s->nlead, &a, 0)) < 0) goto out;
  if ((result = add_evidence(st, s->evidence, s->nevidence, &a, draft && !joined)) < 0) goto out;
  if (draft) {
    if (joined) {
      if ((result = soc_store_alert_put(st, &a)) < 0) goto out;
      if ((result = soc_store_alert_evidence_copy(st, a.id, draft, SOC_TRIAGE_DRAFT_EVIDENCE_MAX)) <
          0)
        goto out;
    }
    if ((result = take_in(st, s, host, since, draft)) < 0) goto out;
    if ((result = update_draft(cfg, st, s, &a, draft, out->new_draft)) < 0) goto out;
    out->draft = draft;
  }
  if (out->new_alert || s->fired) {
    result = -ENOMEM;
    if (!(json = alert_json(cfg, s, &a))) goto out;
    if (out->new_alert) {
      free(a.body);
      a.body = json;
      json = NULL;
      if ((result = soc_store_alert_put(st, &a)) < 0) goto out;
    }
    const char *payload = json ? json : a.body;
    const char *okey = s->host && *s->host ? s->host : cfg->agent.id;
    if ((result = soc_store_outbox_add(st, "alerts", okey, payload, strlen(payload), NULL)) < 0)
      goto out;
  }
  if (memo && s->fired) {
    if (draft)
      soc_triage_memo_drop(memo);
    else
      memo_fired(memo, s, host, &a);
  }
  result = 0;
out:
  free(json);
  soc_alert_row_clear(&a);
  return result;
}

/* The rule part of an alert's stored ECS body, for a promoted draft. */
static const char *body_rule(fjson_object *body, const char *key) {
  fjson_object *ru = NULL, *v = NULL;
  if (body && fjson_object_object_get_ex(body, "rule", &ru) &&
      fjson_object_object_get_ex(ru, key, &v))
    return fjson_object_get_string(v);
  return "";
}

int soc_triage_promote(const soc_config *cfg, soc_store *st, const soc_assets *assets,
                       const int64_t *ids, size_t n, int64_t *draft, int64_t *bad_alert) {
  soc_alert_row a = {0}, lead = {0};
  fjson_object *body = NULL;
  int result = -EINVAL;
  *draft = 0;
  *bad_alert = 0;
  if (!n) goto out;
  /* the member whose rule justifies most leads; none may be in an open draft */
  for (size_t i = 0; i < n; i++) {
    if ((result = soc_store_alert_get(st, ids[i], &a)) < 0) {
      *bad_alert = ids[i];
      goto out;
    }
    if (draft_is_open(st, a.draft)) {
      *bad_alert = ids[i];
      *draft = a.draft;
      result = -EEXIST;
      goto out;
    }
    if (!lead.id || a.level > lead.level) {
      soc_alert_row_clear(&lead);
      lead = a;
      memset(&a, 0, sizeof a);
    }
    soc_alert_row_clear(&a);
  }
  soc_asset_match m;
  soc_level_result lv;
  soc_assets_lookup(assets, lead.host, &m);
  /* an attempt judged an incident: at least minor tampering of the asset */
  soc_impact imp = {.kind = soc_impact_kind_parse(lead.impact),
                    .tier = m.asset->tier ? m.asset->tier : SOC_TIER_NON_CORE,
                    .severity = SOC_SEVERITY_MINOR,
                    .tolerable_seconds = 0};
  if (!imp.kind) imp.kind = SOC_IMPACT_TAMPER;
  if (imp.kind == SOC_IMPACT_LEAK) imp.data_class = SOC_DATA_GENERAL;
  if ((result = soc_level_classify(&imp, 1, &lv)) < 0) goto out;
  if (lead.level > lv.level) lv.level = lead.level;
  body = fjson_tokener_parse(lead.body);
  soc_incident_category cat = soc_incident_category_parse(body_rule(body, "category"));
  soc_signal s = {.rule_id = lead.rule,
                  .title = body_rule(body, "name"),
                  .description = "",
                  .category = cat ? cat : SOC_CATEGORY_OTHER,
                  .subtype = "",
                  .impact = imp.kind,
                  .asset = &m,
                  .level = &lv,
                  .host = lead.host,
                  .key = lead.key,
                  .first_ns = lead.first_ns,
                  .last_ns = lead.last_ns,
                  .count = lead.count};
  if ((result = new_draft(st, &s, draft)) < 0) goto out;
  for (size_t i = 0; i < n; i++) {
    if ((result = soc_store_alert_get(st, ids[i], &a)) < 0) goto out;
    a.draft = *draft;
    if ((result = soc_store_alert_put(st, &a)) < 0 ||
        (result = soc_store_alert_evidence_copy(st, a.id, *draft, SOC_TRIAGE_DRAFT_EVIDENCE_MAX)) <
            0)
      goto out;
    soc_alert_row_clear(&a);
  }
  result = update_draft(cfg, st, &s, &lead, *draft, 1);
out:
  if (body) fjson_object_put(body);
  soc_alert_row_clear(&a);
  soc_alert_row_clear(&lead);
  return result;
}
