/*
 * finding — see the header.
 */
#include "finding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "loop.h"
#include "soc/tz.h"
#include "soc/hash.h"

#define EVIDENCE_MAX 50 /* evidence lines kept per draft, as for log rules */

static int level_of(const soc_finding *f, const soc_asset *asset, soc_level_result *lv) {
  soc_impact imp = {.kind = f->impact ? f->impact : SOC_IMPACT_TAMPER,
                    .tier = asset->tier ? asset->tier : SOC_TIER_NON_CORE,
                    .severity = f->severity ? f->severity : SOC_SEVERITY_MINOR};
  if (imp.kind == SOC_IMPACT_LEAK) imp.data_class = SOC_DATA_GENERAL;
  return soc_level_classify(&imp, 1, lv);
}

/* The ECS alert for <prefix>.alerts. Its id is derived from what was found,
 * so a replay of the outbox carries the same id. */
static char *alert_json(const soc_finding_sink *k, const soc_finding *f, const char *seen_rule,
                        const soc_draft_row *r) {
  char src[SOC_STREAM_PATH_MAX + 512], id[SOC_SHA256_HEX_LEN + 1];
  uint8_t h[SOC_SHA256_LEN];
  int sl = snprintf(src, sizeof src, "%s\n%s\n%s\n%s", k->cfg->agent.id, seen_rule, f->object,
                    f->sha256);
  soc_sha256(src, sl > 0 ? ((size_t)sl < sizeof src ? (size_t)sl : sizeof src - 1) : 0, h);
  soc_hex(h, 16, id);
  fjson_object *o = fjson_object_new_object(), *ev = fjson_object_new_object(),
               *ag = fjson_object_new_object(), *ho = fjson_object_new_object(),
               *ru = fjson_object_new_object();
  soc_json_add_time(o, "@timestamp", f->ts_ns);
  soc_json_add_str(ev, "id", id);
  soc_json_add_str(ev, "kind", "alert");
  soc_json_add_str(ev, "dataset", "socagent.alert");
  soc_json_add_str(ev, "module", f->source);
  fjson_object_object_add(o, "event", ev);
  soc_json_add_str(ag, "id", k->cfg->agent.id);
  fjson_object_object_add(o, "agent", ag);
  soc_json_add_str(ho, "name", f->host);
  fjson_object_object_add(o, "host", ho);
  soc_json_add_str(ru, "id", r->rule);
  soc_json_add_str(ru, "name", f->title);
  soc_json_add_str(ru, "ruleset", seen_rule);
  soc_json_add_str(ru, "category", soc_incident_category_name(f->category));
  fjson_object_object_add(o, "rule", ru);
  if (f->ecs) {
    struct fjson_object_iterator it = fjson_object_iter_begin(f->ecs),
                                 end = fjson_object_iter_end(f->ecs);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it))
      fjson_object_object_add(o, fjson_object_iter_peek_name(&it),
                              fjson_object_get(fjson_object_iter_peek_value(&it)));
  }
  fjson_object_object_add(o, "level", fjson_object_new_int(r->level));
  fjson_object_object_add(o, "draft", fjson_object_new_int64(r->id));
  char *s = strdup(fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
  return s;
}

int soc_finding_draft(const soc_finding_sink *k, const soc_finding *f) {
  int result = 0, created = 0;
  const char *seen_rule = f->seen_rule ? f->seen_rule : f->rule_id;
  soc_asset_match m;
  soc_level_result lv;
  soc_draft_row r = {0};
  char *alert = NULL;
  int rc = soc_store_finding_seen_add(k->store, seen_rule, f->object, f->sha256);
  if (rc == -EEXIST) return 0;
  if (rc < 0) return rc;
  soc_assets_lookup(k->assets, f->asset_key, &m);
  if (level_of(f, m.asset, &lv) < 0) return -EINVAL;
  char rule[SOC_DRAFT_RULE_MAX], key[SOC_DRAFT_KEY_MAX];
  snprintf(rule, sizeof rule, "%s", f->rule_id);
  snprintf(key, sizeof key, "%s", f->object);
  rc = soc_store_draft_find_open(k->store, rule, key, m.asset->name, &r);
  if (rc == -ENOENT) {
    memset(&r, 0, sizeof r);
    snprintf(r.rule, sizeof r.rule, "%s", rule);
    snprintf(r.key, sizeof r.key, "%s", key);
    snprintf(r.asset, sizeof r.asset, "%s", m.asset->name);
    snprintf(r.status, sizeof r.status, "open");
    r.first_ns = r.last_ns = f->ts_ns;
    r.discovered_ns = soc_now_real_ns(); /* the §3.1 clock starts now */
    r.count = 1;
    created = 1;
  } else if (rc < 0) {
    return rc;
  } else {
    r.count++;
    if (f->ts_ns > r.last_ns) r.last_ns = f->ts_ns;
  }
  r.level = lv.level;
  free(r.body);
  r.body = NULL;
  if ((result = soc_store_draft_put(k->store, &r)) < 0) goto out;
  soc_draft_info info = {.rule_id = r.rule, .title = f->title, .description = f->description,
                         .references = f->references, .nreferences = f->nreferences,
                         .asset = &m, .level = &lv, .category = f->category,
                         .subtype = f->subtype, .impact = f->impact ? f->impact : SOC_IMPACT_TAMPER,
                         .host = f->host};
  fjson_object *body = soc_draft_json(k->cfg, &r, &info);
  if (f->detail) fjson_object_object_add(body, "finding", fjson_object_get(f->detail));
  r.body = strdup(fjson_object_to_json_string_ext(body, FJSON_TO_STRING_PLAIN));
  fjson_object_put(body);
  result = -ENOMEM;
  if (!r.body || (result = soc_store_draft_put(k->store, &r)) < 0) goto out;
  int seq = soc_store_evidence_count(k->store, r.id);
  if (seq < EVIDENCE_MAX) {
    soc_evidence_row e = {.draft = r.id, .seq = seq, .source = f->source, .ts = f->ts_ns,
                          .line = f->evidence, .len = strlen(f->evidence)};
    if ((result = soc_store_evidence_add(k->store, &e)) < 0) goto out;
  }
  if (f->object_bytes || f->object_size > 0) {
    soc_object_row o = {.draft = r.id, .size = f->object_size, .ts_ns = f->ts_ns,
                        .kept = f->object_bytes && f->object_size <= k->cfg->evidence.object_max_bytes};
    snprintf(o.sha256, sizeof o.sha256, "%s", f->sha256);
    snprintf(o.name, sizeof o.name, "%s", f->object);
    if ((result = soc_store_object_add(k->store, &o, f->object_bytes, f->object_len)) < 0) goto out;
  }
  result = -ENOMEM;
  if (!(alert = alert_json(k, f, seen_rule, &r))) goto out;
  const char *okey = f->host && *f->host ? f->host : k->cfg->agent.id;
  if ((result = soc_store_outbox_add(k->store, "alerts", okey, alert, strlen(alert), NULL)) < 0)
    goto out;
  if (created &&
      (result = soc_store_outbox_add(k->store, "incidents", okey, r.body, strlen(r.body), NULL)) < 0)
    goto out;
  result = 1;
out:
  free(alert);
  soc_draft_row_clear(&r);
  return result;
}
