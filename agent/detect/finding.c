/*
 * finding — see the header.
 */
#include "finding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage.h"
#include "loop.h"
#include "soc/json_obj.h"

#define EVIDENCE_LINE_MAX (SOC_STREAM_PATH_MAX + 2048)

static int level_of(const soc_finding *f, const soc_asset *asset, soc_level_result *lv) {
  soc_impact imp = {.kind = f->impact ? f->impact : SOC_IMPACT_TAMPER,
                    .tier = asset->tier ? asset->tier : SOC_TIER_NON_CORE,
                    .severity = f->severity ? f->severity : SOC_SEVERITY_MINOR};
  if (imp.kind == SOC_IMPACT_LEAK) imp.data_class = SOC_DATA_GENERAL;
  return soc_level_classify(&imp, 1, lv);
}

int soc_finding_draft(const soc_finding_sink *k, const soc_finding *f) {
  const char *seen_rule = f->seen_rule ? f->seen_rule : f->rule_id;
  soc_asset_match m;
  soc_level_result lv;
  int rc = f->unmarked ? 0 : soc_store_finding_seen_add(k->store, seen_rule, f->object, f->sha256);
  if (rc == -EEXIST) return 0;
  if (rc < 0) return rc;
  soc_assets_lookup(k->assets, f->asset_key, &m);
  if (!f->alert_only && level_of(f, m.asset, &lv) < 0) return -EINVAL;
  /* a folding key that has its alert already: a later sighting, a hit on
   * it — unless an analyst decided its draft: then it fires anew, as a log
   * rule's key does (triage.c) */
  const char *key = f->key ? f->key : f->object;
  int fired = 1;
  if (f->key) {
    soc_alert_row a = {0};
    soc_draft_row d;
    const char *host = f->host && *f->host ? f->host : m.asset->name;
    rc = soc_store_alert_find(k->store, f->rule_id, key, host, INT64_MIN, &a);
    if (rc == 0) {
      fired = 0;
      if (a.draft && soc_store_draft_get(k->store, a.draft, &d) == 0) {
        fired = strcmp(d.status, "open") != 0;
        soc_draft_row_clear(&d);
      }
    }
    soc_alert_row_clear(&a);
    if (rc < 0 && rc != -ENOENT) return rc;
  }
  /* several rules on one object are one incident: its content ties them
   * (and the conversation, for traffic) */
  soc_entity ent[2] = {{.kind = "file.hash.sha256", .value = f->sha256},
                       {.kind = "network.conversation", .value = f->conversation}};
  size_t nent = 0;
  if (f->sha256 && *f->sha256) nent++;
  if (f->conversation && *f->conversation) ent[nent++] = ent[1];
  soc_evidence_row ev = {
      .source = f->source, .ts = f->ts_ns, .line = f->evidence, .len = strlen(f->evidence)};
  soc_signal sig = {
      .rule_id = f->rule_id,
      .ruleset = seen_rule,
      .title = f->title,
      .description = f->description,
      .references = f->references,
      .nreferences = f->nreferences,
      .category = f->category,
      .subtype = f->subtype,
      .impact = f->alert_only ? SOC_IMPACT_NONE : (f->impact ? f->impact : SOC_IMPACT_TAMPER),
      .alert_only = f->alert_only,
      .asset = &m,
      .level = f->alert_only ? NULL : &lv,
      .host = f->host,
      .module = f->source,
      .key = key,
      .message = f->evidence,
      .first_ns = f->ts_ns,
      .last_ns = f->ts_ns,
      .count = 1,
      .fired = fired,
      .timeless = 1,
      .entities = ent,
      .nentities = nent,
      .ecs = f->ecs,
      .detail = f->detail,
      .evidence = &ev,
      .nevidence = 1};
  soc_triage_out out;
  if ((rc = soc_triage_record(k->cfg, k->store, &sig, &out)) < 0) return rc;
  if (out.draft && (f->object_bytes || f->object_size > 0)) {
    soc_object_row o = {
        .draft = out.draft,
        .size = f->object_size,
        .ts_ns = f->ts_ns,
        .kept = f->object_bytes && f->object_size <= k->cfg->evidence.object_max_bytes};
    snprintf(o.sha256, sizeof o.sha256, "%s", f->sha256);
    snprintf(o.name, sizeof o.name, "%s", f->object);
    if ((rc = soc_store_object_add(k->store, &o, f->object_bytes, f->object_len)) < 0) return rc;
  }
  return 1;
}

/* ---- YARA matches ------------------------------------------------------------ */

static char *dup_or(const char *s, const char *dflt) { return strdup(s && *s ? s : dflt); }

/* Printable text of matched bytes for the evidence line (\xNN for others). */
static void printable(const uint8_t *d, size_t n, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 5 < len; i++) {
    if (d[i] >= 0x20 && d[i] < 0x7f && d[i] != '"' && d[i] != '\\')
      out[o++] = (char)d[i];
    else
      o += (size_t)snprintf(out + o, len - o, "\\x%02x", d[i]);
  }
  out[o] = '\0';
}

int soc_found_from_yara(soc_found *f, const soc_yara_match *m, soc_incident_category dflt_category,
                        const char *what) {
  memset(f, 0, sizeof *f);
  const char *id = soc_yara_match_meta(m, "id"), *desc = soc_yara_match_meta(m, "description");
  char buf[SOC_DRAFT_RULE_MAX + 8];
  if (!id || strlen(id) >= SOC_DRAFT_RULE_MAX) {
    snprintf(buf, sizeof buf, "yara:%s", m->rule);
    id = buf;
  }
  f->rule_id = strdup(id);
  size_t sl = strlen(m->ns) + strlen(m->rule) + 2;
  if ((f->seen_rule = malloc(sl))) snprintf(f->seen_rule, sl, "%s:%s", m->ns, m->rule);
  f->title = dup_or(soc_yara_match_meta(m, "title"), desc && *desc ? desc : m->rule);
  f->description = dup_or(desc, "");
  f->reference = dup_or(soc_yara_match_meta(m, "reference"), "");
  const char *cat = soc_yara_match_meta(m, "category");
  f->category = cat ? soc_incident_category_parse(cat) : dflt_category;
  if (!f->category) f->category = dflt_category;
  const char *imp = soc_yara_match_meta(m, "impact"), *sev = soc_yara_match_meta(m, "severity");
  /* signature-base rules carry no impact: a found object is a tampering */
  f->impact = imp ? soc_impact_kind_parse(imp) : SOC_IMPACT_TAMPER;
  f->alert_only = imp && !strcmp(imp, "none");
  if (!f->impact && !f->alert_only) f->impact = SOC_IMPACT_TAMPER;
  f->severity = sev ? soc_severity_parse(sev) : SOC_SEVERITY_MINOR;
  f->subtype = dup_or(soc_yara_match_meta(m, "subtype"),
                      f->category == SOC_CATEGORY_WEB_ATTACK ? "web trojan" : "malware implanted");
  /* the rule, its tags and meta, the strings with their offsets */
  fjson_object *y = fjson_object_new_object(), *tags = fjson_object_new_array(),
               *meta = fjson_object_new_object(), *strs = fjson_object_new_array();
  soc_json_add_str(y, "rule", m->rule);
  soc_json_add_str(y, "namespace", m->ns);
  for (size_t i = 0; i < m->ntags; i++)
    fjson_object_array_add(tags, fjson_object_new_string(m->tags[i]));
  fjson_object_object_add(y, "tags", tags);
  for (size_t i = 0; i < m->nmeta; i++) soc_json_add_str(meta, m->meta[i].key, m->meta[i].value);
  fjson_object_object_add(y, "meta", meta);
  char ev[EVIDENCE_LINE_MAX], text[SOC_YARA_STRING_DATA_MAX * 4 + 1];
  size_t used = (size_t)snprintf(ev, sizeof ev, "%s rule=%s strings:", what, m->rule);
  for (size_t i = 0; i < m->nstrings; i++) {
    const soc_yara_string *s = &m->strings[i];
    fjson_object *so = fjson_object_new_object();
    printable(s->data, s->len, text, sizeof text);
    soc_json_add_str(so, "id", s->id);
    fjson_object_object_add(so, "offset", fjson_object_new_int64((int64_t)s->offset));
    soc_json_add_str(so, "data", text);
    fjson_object_array_add(strs, so);
    if (used < sizeof ev)
      used += (size_t)snprintf(ev + used, sizeof ev - used, " %s@%llu=\"%s\"", s->id,
                               (unsigned long long)s->offset, text);
  }
  fjson_object_object_add(y, "strings", strs);
  fjson_object_object_add(y, "strings_total", fjson_object_new_int64((int64_t)m->strings_total));
  f->evidence = strdup(ev);
  f->detail = fjson_object_new_object();
  fjson_object_object_add(f->detail, "yara", fjson_object_get(y));
  f->ecs = fjson_object_new_object();
  fjson_object_object_add(f->ecs, "yara", y);
  if (!f->rule_id || !f->seen_rule || !f->title || !f->description || !f->reference ||
      !f->subtype || !f->evidence || !f->detail || !f->ecs) {
    soc_found_clear(f);
    return -ENOMEM;
  }
  return 0;
}

void soc_found_clear(soc_found *f) {
  free(f->rule_id);
  free(f->seen_rule);
  free(f->title);
  free(f->description);
  free(f->reference);
  free(f->subtype);
  free(f->evidence);
  if (f->detail) fjson_object_put(f->detail);
  if (f->ecs) fjson_object_put(f->ecs);
  memset(f, 0, sizeof *f);
}

void soc_found_to_finding(const soc_found *f, const char *refs[1], soc_finding *out) {
  refs[0] = f->reference;
  memset(out, 0, sizeof *out);
  out->rule_id = f->rule_id;
  out->seen_rule = f->seen_rule;
  out->title = f->title;
  out->description = f->description;
  out->references = refs;
  out->nreferences = f->reference && *f->reference ? 1 : 0;
  out->category = f->category;
  out->subtype = f->subtype;
  out->impact = f->impact;
  out->alert_only = f->alert_only;
  out->severity = f->severity;
  out->ecs = f->ecs;
  out->detail = f->detail;
  out->evidence = f->evidence;
}
