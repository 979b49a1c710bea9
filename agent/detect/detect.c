/*
 * detect — journal lines through the log rules, into drafts.
 *
 * For each line: normalise it into an event (normalize.c, the same view the
 * technical center gets), run the rules (one Aho-Corasick pass, then only
 * the candidate rules), feed each hit to the correlator. A firing becomes a
 * draft: the asset found from the fields the rule names, the level that
 * §2.3 gives for the rule's impact on that asset's tier (level.c), the
 * category, the times, the count, and the evidence lines with their journal
 * references. Later hits of the same rule and key on the same asset update
 * the open draft instead of opening another.
 *
 * Evidence of a correlated rule is the hits that made it fire, which came
 * before the firing line: the detector keeps the last few hits of each key
 * (bounded: RECENT_KEYS keys, RECENT_HITS hits each, lines cut at
 * RECENT_LINE bytes) so it can attach them when the rule fires.
 *
 * The outbox gets an alert for each firing and a copy of the draft when it
 * is made, when its level changes and when its count doubles; the
 * forwarder ships them to <prefix>.alerts and <prefix>.incidents.
 *
 * Reload (SIGHUP): the ingestion thread only raises a flag; this thread
 * re-reads the configuration and loads the rules and the inventory between
 * two blocks, where the correlator holds nothing that the store does not.
 * A new rule set with any error is refused whole and the old one goes on,
 * so a typo in a rule file never leaves an agency without detection.
 */
#include "detect.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draft.h"
#include "loop.h"
#include "normalize.h"
#include "soc/assets.h"
#include "soc/correlate.h"
#include "soc/hash.h"
#include "soc/journal.h"
#include "soc/level.h"
#include "soc/rules.h"

#define RECENT_KEYS 2048
#define RECENT_HITS 10
#define RECENT_LINE 512
#define EVIDENCE_MAX 50
#define IDLE_MS 100

typedef struct recent_hit {
  int64_t block, stream, ts;
  uint64_t pos;
  char source[64];
  char line[RECENT_LINE];
  size_t len;
} recent_hit;

typedef struct recent_key {
  size_t rule;                  /* soc_rule_index + 1; 0: free slot */
  char key[SOC_CORRELATE_KEY_MAX + 1];
  recent_hit hits[RECENT_HITS]; /* a ring */
  size_t n, next;
  uint64_t used;                /* for evicting the least recently used */
} recent_key;

struct soc_detect {
  const soc_config *cfg;
  soc_store *store;
  soc_rules *rules;
  soc_match_ctx *mctx;
  soc_correlator *corr;
  soc_assets *assets;
  soc_normalizer *norm;
  soc_event *ev;
  recent_key *recent;
  uint64_t clock;
  pthread_t thread;
  int started;
  atomic_int stop;
  atomic_int reload;            /* set by soc_detect_reload, taken by run() */
  int64_t cursor;
  const soc_jentry *cur;        /* the line being looked at */
  int64_t newest_ns;            /* the newest event time seen: idle keys expire by it */
  int error;                    /* a store error inside a callback */
  int64_t lines, hits, fires, drafts_new, drafts_updated;
};

/* ---- keys and recent hits ---------------------------------------------------- */

/* The rule's group_by values joined with '|' (as the correlator keys them). */
static void key_of(const soc_rule *rule, const soc_event *ev, char *out, size_t len) {
  const soc_rule_correlate *c = soc_rule_correlation(rule);
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; c && i < c->ngroup_by; i++) {
    char num[64];
    const char *v = soc_rules_field_value(ev, c->group_by[i], num, sizeof num);
    int w = snprintf(out + used, len - used, "%s%s", i ? "|" : "", v ? v : "");
    if (w < 0 || (size_t)w >= len - used) break;
    used += (size_t)w;
  }
}

static recent_key *recent_slot(soc_detect *d, const soc_rule *rule, const char *key, int create) {
  size_t ri = soc_rule_index(rule) + 1;
  recent_key *lru = &d->recent[0];
  for (size_t i = 0; i < RECENT_KEYS; i++) {
    recent_key *k = &d->recent[i];
    if (k->rule == ri && strcmp(k->key, key) == 0) {
      k->used = ++d->clock;
      return k;
    }
    if (k->used < lru->used) lru = k;
  }
  if (!create) return NULL;
  memset(lru, 0, sizeof *lru);
  lru->rule = ri;
  snprintf(lru->key, sizeof lru->key, "%s", key);
  lru->used = ++d->clock;
  return lru;
}

static void remember(recent_key *k, const soc_jentry *e) {
  recent_hit *h = &k->hits[k->next];
  k->next = (k->next + 1) % RECENT_HITS;
  if (k->n < RECENT_HITS) k->n++;
  h->block = e->block;
  h->stream = e->stream;
  h->ts = e->line.ts_ns;
  h->pos = e->line.pos;
  snprintf(h->source, sizeof h->source, "%s", e->source);
  h->len = e->line.len < RECENT_LINE ? e->line.len : RECENT_LINE;
  memcpy(h->line, e->line.data, h->len);
}

/* ---- assets and levels --------------------------------------------------------- */

static void find_asset(soc_detect *d, const soc_rule *rule, const soc_event *ev,
                       soc_asset_match *m) {
  static const char *const fallback_fields[] = {"host.name", "host.ip", "destination.ip"};
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  const char *const *fields = inc && inc->nasset_from ? inc->asset_from : fallback_fields;
  size_t n = inc && inc->nasset_from ? inc->nasset_from : 3;
  soc_assets_lookup(d->assets, NULL, m); /* the default, if nothing better turns up */
  for (size_t i = 0; i < n; i++) {
    char num[64];
    const char *v = soc_rules_field_value(ev, fields[i], num, sizeof num);
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

/* ---- drafts ----------------------------------------------------------------------- */

/* The draft as JSON: what the analyst and the technical center see. */
static char *draft_body(soc_detect *d, const soc_draft_row *r, const soc_rule *rule,
                        const soc_asset_match *m, const soc_level_result *lv,
                        const soc_event *ev) {
  const soc_rule_incident *inc = soc_rule_incident_of(rule);
  soc_draft_info info = {.rule_id = soc_rule_id(rule), .title = soc_rule_title(rule),
                         .description = soc_rule_description(rule), .asset = m, .level = lv,
                         .category = inc ? inc->category : SOC_CATEGORY_OTHER,
                         .subtype = inc ? inc->subtype : "",
                         .impact = inc ? inc->impact : SOC_IMPACT_TAMPER,
                         .host = soc_event_get_str(ev, SOC_ECS_HOST_NAME)};
  info.mitre = soc_rule_mitre(rule, &info.nmitre);
  info.references = soc_rule_references(rule, &info.nreferences);
  fjson_object *o = soc_draft_json(d->cfg, r, &info);
  char *s = strdup(fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
  return s;
}

static int add_evidence(soc_detect *d, int64_t draft, int seq, int64_t block, const char *source,
                        int64_t stream, uint64_t pos, int64_t ts, const char *line, size_t len) {
  soc_evidence_row e = {.draft = draft, .seq = seq, .block = block, .source = source,
                        .stream = stream, .pos = pos, .ts = ts, .line = line, .len = len};
  return soc_store_evidence_add(d->store, &e);
}

static int outbox_json(soc_detect *d, const char *topic, const char *key, const char *json) {
  return soc_store_outbox_add(d->store, topic, key && *key ? key : d->cfg->agent.id, json,
                              strlen(json), NULL);
}

static int emit_alert(soc_detect *d, const soc_rule *rule, const soc_fire *f, const soc_event *ev,
                      int level, int64_t draft) {
  char id[SOC_SHA256_HEX_LEN + 1], src[SOC_CORRELATE_KEY_MAX + 128];
  uint8_t h[SOC_SHA256_LEN];
  /* deterministic, so a replay after a crash gives the same alert id */
  int sl = snprintf(src, sizeof src, "%s\n%s\n%s\n%lld", d->cfg->agent.id, soc_rule_id(rule),
                    f->key, (long long)f->last_ns);
  soc_sha256(src, (size_t)(sl > 0 ? sl : 0), h);
  soc_hex(h, 16, id);
  fjson_object *o = fjson_object_new_object(), *ev_o = fjson_object_new_object(),
               *ru = fjson_object_new_object(), *ag = fjson_object_new_object();
  soc_json_add_time(o, "@timestamp", f->last_ns);
  soc_json_add_str(ev_o, "id", id);
  soc_json_add_str(ev_o, "kind", "alert");
  soc_json_add_str(ev_o, "dataset", "socagent.alert");
  fjson_object_object_add(o, "event", ev_o);
  soc_json_add_str(ag, "id", d->cfg->agent.id);
  fjson_object_object_add(o, "agent", ag);
  soc_json_add_str(ru, "id", soc_rule_id(rule));
  soc_json_add_str(ru, "name", soc_rule_title(rule));
  fjson_object_object_add(o, "rule", ru);
  soc_json_add_str(o, "key", f->key);
  fjson_object_object_add(o, "count", fjson_object_new_int64((int64_t)f->count));
  soc_json_add_time(o, "first_seen", f->first_ns);
  soc_json_add_time(o, "last_seen", f->last_ns);
  fjson_object_object_add(o, "level", fjson_object_new_int(level));
  fjson_object_object_add(o, "draft", fjson_object_new_int64(draft));
  soc_json_add_str(o, "host", soc_event_get_str(ev, SOC_ECS_HOST_NAME));
  soc_json_add_str(o, "message", soc_event_get_str(ev, SOC_ECS_MESSAGE));
  int rc = outbox_json(d, "alerts", soc_event_get_str(ev, SOC_ECS_HOST_NAME),
                       fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
  return rc;
}

/* A firing, or a later hit of a firing key: make or update the draft. */
static int to_draft(soc_detect *d, const soc_rule *rule, const soc_event *ev, const soc_fire *f,
                    const char *key) {
  soc_asset_match m;
  soc_level_result lv;
  soc_draft_row r = {0};
  int result = 0, emit = 0;
  find_asset(d, rule, ev, &m);
  if (classify(rule, m.asset, &lv) < 0) return 0; /* a rule the loader let through oddly */
  int rc = soc_store_draft_find_open(d->store, soc_rule_id(rule), key, m.asset->name, &r);
  if (rc == -ENOENT) {
    if (!f) return 0; /* a hit with no open draft and no firing: nothing to do */
    memset(&r, 0, sizeof r);
    snprintf(r.rule, sizeof r.rule, "%s", soc_rule_id(rule));
    snprintf(r.key, sizeof r.key, "%s", key);
    snprintf(r.asset, sizeof r.asset, "%s", m.asset->name);
    snprintf(r.status, sizeof r.status, "open");
    r.first_ns = f->first_ns;
    r.last_ns = f->last_ns;
    r.discovered_ns = soc_now_real_ns(); /* the §3.1 clock starts now */
    r.count = (int64_t)f->count;
    r.level = lv.level;
    emit = 1;
    d->drafts_new++;
  } else if (rc < 0) {
    return rc;
  } else {
    int64_t before = r.count;
    r.count++;
    if (d->cur->line.ts_ns > r.last_ns) r.last_ns = d->cur->line.ts_ns;
    if (lv.level != r.level) emit = 1;
    r.level = lv.level;
    /* a copy when the count doubles: the center sees it grow without a flood */
    if ((r.count & (r.count - 1)) == 0 && r.count > before) emit = 1;
    d->drafts_updated++;
  }
  free(r.body);
  r.body = NULL;
  if ((result = soc_store_draft_put(d->store, &r)) < 0) goto out;
  r.body = draft_body(d, &r, rule, &m, &lv, ev);
  if (!r.body || (result = soc_store_draft_put(d->store, &r)) < 0) goto out;
  /* evidence: on a firing the recent hits of the key, then this line */
  int seq = soc_store_evidence_count(d->store, r.id);
  if (f && seq == 0) {
    recent_key *k = recent_slot(d, rule, key, 0);
    for (size_t i = 0; k && i < k->n && seq < EVIDENCE_MAX - 1; i++) {
      const recent_hit *h = &k->hits[(k->next + RECENT_HITS - k->n + i) % RECENT_HITS];
      if (h->block == d->cur->block && h->pos == d->cur->line.pos) continue;
      if ((result = add_evidence(d, r.id, seq++, h->block, h->source, h->stream, h->pos, h->ts,
                                 h->line, h->len)) < 0)
        goto out;
    }
  }
  if (seq < EVIDENCE_MAX &&
      (result = add_evidence(d, r.id, seq, d->cur->block, d->cur->source, d->cur->stream,
                             d->cur->line.pos, d->cur->line.ts_ns, d->cur->line.data,
                             d->cur->line.len)) < 0)
    goto out;
  if (f && (result = emit_alert(d, rule, f, ev, lv.level, r.id)) < 0) goto out;
  if (emit) result = outbox_json(d, "incidents", soc_event_get_str(ev, SOC_ECS_HOST_NAME), r.body);
out:
  soc_draft_row_clear(&r);
  return result;
}

/* ---- the journal, line by line ------------------------------------------------- */

static int on_hit(const soc_rule *rule, soc_event *ev, void *arg) {
  soc_detect *d = arg;
  char key[SOC_CORRELATE_KEY_MAX + 1];
  soc_fire fire;
  int64_t ts = d->cur->line.ts_ns;
  soc_event_get_time(ev, &ts);
  d->hits++;
  key_of(rule, ev, key, sizeof key);
  int fired = soc_correlator_feed(d->corr, rule, ev, ts, &fire);
  if (fired < 0) return 0; /* a hit the correlator can not key: counted there */
  int rc = to_draft(d, rule, ev, fired ? &fire : NULL, fired ? fire.key : key);
  if (rc < 0) {
    d->error = rc;
    return rc;
  }
  if (fired) d->fires++;
  recent_key *k = recent_slot(d, rule, key, 1);
  remember(k, d->cur);
  return 0;
}

static int on_line(void *arg, const soc_jentry *e) {
  soc_detect *d = arg;
  d->cur = e;
  d->lines++;
  if (e->line.ts_ns > d->newest_ns) d->newest_ns = e->line.ts_ns;
  soc_normalize(d->norm, e, d->ev);
  int rc = soc_rules_match(d->rules, d->mctx, d->ev, on_hit, d);
  return d->error ? d->error : (rc < 0 ? rc : 0);
}

static int save_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  soc_detect *d = arg;
  if (!rule) return soc_store_detect_state_clear(d->store); /* all states follow */
  return soc_store_detect_state_put(d->store, rule, key, len ? blob : NULL, len);
}

static int next_block_id(void *arg, const soc_block_meta *m, const void *data, size_t len) {
  (void)data;
  (void)len;
  *(int64_t *)arg = m->id;
  return 1;
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

static void write_counters(soc_detect *d) {
  soc_store_counter_set(d->store, "detect", "lines", d->lines);
  soc_store_counter_set(d->store, "detect", "rule_hits", d->hits);
  soc_store_counter_set(d->store, "detect", "firings", d->fires);
  soc_store_counter_set(d->store, "detect", "drafts_opened", d->drafts_new);
  soc_store_counter_set(d->store, "detect", "drafts_updated", d->drafts_updated);
  soc_store_counter_set(d->store, "detect", "rules", (int64_t)soc_rules_count(d->rules));
}

/* Looks at the next block. Returns 1 when one was done, 0 when the journal
 * has nothing new, a negative errno on a store error. */
static int step(soc_detect *d) {
  int64_t id = 0;
  soc_block_query q = {.after_id = d->cursor, .limit = 1};
  int rc = soc_store_block_scan(d->store, &q, next_block_id, &id);
  if (rc < 0) return rc;
  if (!id) return 0;
  if ((rc = soc_store_begin(d->store)) < 0) return rc;
  q.upto_id = id;
  d->error = 0;
  rc = soc_journal_scan(d->store, &q, on_line, d);
  if (rc == -EBADMSG) {
    fprintf(stderr, "socagent: detect: journal block %lld is damaged; skipped\n", (long long)id);
    rc = 0;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)id);
  /* keys whose windows have passed leave memory and the store (now and
   * then: it looks at every key) */
  if (rc == 0 && (id & 63) == 0) soc_correlator_expire(d->corr, d->newest_ns);
  if (rc == 0) rc = soc_correlator_dump(d->corr, SOC_DUMP_DIRTY, save_state, d);
  if (rc == 0) rc = soc_store_meta_set(d->store, "detect.cursor", buf);
  if (rc == 0) write_counters(d);
  if (rc == 0) rc = soc_store_commit(d->store);
  if (rc < 0) {
    soc_store_rollback(d->store);
    fprintf(stderr, "socagent: detect: %s; the block will be looked at again\n",
            soc_store_errmsg(d->store));
    /* the correlator saw hits that did not land: take it back to the store's */
    fresh_correlator(d);
    return rc;
  }
  soc_correlator_mark_clean(d->corr);
  d->cursor = id;
  return 1;
}

static void reload(soc_detect *d);

static void *run(void *arg) {
  soc_detect *d = arg;
  while (!atomic_load(&d->stop)) {
    if (atomic_exchange(&d->reload, 0)) reload(d);
    int rc = step(d);
    if (rc <= 0) usleep(IDLE_MS * 1000); /* idle or a store error: look again soon */
  }
  return NULL;
}

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
  char **files = NULL;
  size_t n = 0;
  int result = soc_config_glob(cfg->rules.log, cfg->rules.nlog, &files, &n);
  if (result < 0 || !n) goto out;
  soc_diag *diag = soc_diag_new();
  soc_rules_stats st;
  result = soc_rules_load((const char *const *)files, n, out, &st, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (failed) *failed = st.files_failed;
  if (result == 0 && *out)
    fprintf(stderr, "socagent: detect: %zu log rule(s) from %zu file(s)%s\n", st.rules, st.files_ok,
            st.files_failed ? " (some files refused, see above)" : "");
out:
  soc_config_glob_free(files, n);
  return result;
}

int soc_detect_new(const soc_config *cfg, soc_detect **out) {
  int result = -ENOMEM;
  char path[4096], err[600], buf[32];
  soc_detect *d = calloc(1, sizeof *d);
  *out = NULL;
  if (!d) return -ENOMEM;
  d->cfg = cfg;
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
  d->mctx = soc_match_ctx_new(d->rules);
  d->norm = soc_normalizer_new(cfg, d->store);
  d->ev = soc_event_new();
  d->recent = calloc(RECENT_KEYS, sizeof *d->recent);
  if (!d->mctx || !d->norm || !d->ev || !d->recent) goto out;
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
  if (!(mctx = soc_match_ctx_new(rules)) || stored_correlator(d, rules, &corr) < 0) goto out;
  size_t before = soc_rules_count(d->rules), now = soc_rules_count(rules);
  soc_match_ctx_free(d->mctx);
  soc_correlator_free(d->corr);
  soc_rules_free(d->rules);
  soc_assets_free(d->assets);
  d->mctx = mctx;
  d->corr = corr;
  d->rules = rules;
  d->assets = assets;
  /* remembered hits name rules by index, which the new set renumbers */
  memset(d->recent, 0, RECENT_KEYS * sizeof *d->recent);
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
    fprintf(stderr, "socagent: reload: no log rules were loaded at start, so there is no "
                    "detector to reload; restart the agent to begin detection\n");
    return -ENOTSUP;
  }
  atomic_store(&d->reload, 1);
  return 0;
}

int soc_detect_start(soc_detect *d) {
  if (!d->rules) return 0;
  int rc = pthread_create(&d->thread, NULL, run, d);
  if (rc) return -rc;
  d->started = 1;
  return 0;
}

void soc_detect_stop(soc_detect *d) {
  if (!d || !d->started) return;
  atomic_store(&d->stop, 1);
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
  free(d->recent);
  soc_store_close(d->store);
  free(d);
}
