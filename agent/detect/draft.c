/*
 * draft — see the header. Extracted from the log detector so that every
 * detector's drafts have the same body.
 */
#include "draft.h"

#include <string.h>

#include "soc/event.h"

#define REPORT_CLOCK_NS (3600LL * 1000000000LL) /* §3.1: report within one hour */

fjson_object *soc_draft_json(const soc_config *cfg, const soc_draft_row *r,
                             const soc_draft_info *in) {
  fjson_object *o = fjson_object_new_object(), *ru = fjson_object_new_object(),
               *as = fjson_object_new_object(), *cl = fjson_object_new_object(),
               *ag = fjson_object_new_object();
  const soc_asset_match *m = in->asset;
  const soc_level_result *lv = in->level;
  fjson_object_object_add(o, "id", fjson_object_new_int64(r->id));
  soc_json_add_str(ag, "id", cfg->agent.id);
  soc_json_add_str(ag, "agency", cfg->agent.agency);
  fjson_object_object_add(ag, "authority", fjson_object_new_int64(cfg->agent.authority));
  fjson_object_object_add(o, "agent", ag);
  soc_json_add_str(ru, "id", in->rule_id);
  soc_json_add_str(ru, "title", in->title);
  soc_json_add_str(ru, "description", in->description);
  fjson_object_object_add(ru, "mitre", soc_json_strings(in->mitre, in->nmitre));
  fjson_object_object_add(ru, "references", soc_json_strings(in->references, in->nreferences));
  if (in->author && *in->author) soc_json_add_str(ru, "author", in->author);
  fjson_object_object_add(o, "rule", ru);
  soc_json_add_str(o, "key", r->key);
  soc_json_add_str(as, "name", m->asset->name);
  soc_json_add_str(as, "tier", soc_tier_name(m->asset->tier));
  soc_json_add_str(as, "match",
                   m->kind == SOC_MATCH_HOST      ? "host"
                   : m->kind == SOC_MATCH_ADDRESS ? "address"
                                                  : "default");
  fjson_object_object_add(as, "fallback", fjson_object_new_boolean(m->fallback));
  fjson_object_object_add(o, "asset", as);
  fjson_object_object_add(o, "level", fjson_object_new_int(lv->level));
  soc_json_add_str(cl, "ref", lv->clauses[0]->ref);
  soc_json_add_str(cl, "text", lv->clauses[0]->text);
  soc_json_add_str(cl, "text_zh", lv->clauses[0]->text_zh);
  fjson_object_object_add(o, "clause", cl);
  soc_json_add_str(o, "category", soc_incident_category_name(in->category));
  soc_json_add_str(o, "category_zh", soc_incident_category_name_zh(in->category));
  soc_json_add_str(o, "subtype", in->subtype);
  soc_json_add_str(o, "impact", soc_impact_kind_name(in->impact));
  soc_json_add_str(o, "host", in->host);
  soc_json_add_time(o, "first_seen", r->first_ns);
  soc_json_add_time(o, "last_seen", r->last_ns);
  soc_json_add_time(o, "discovered", r->discovered_ns);
  soc_json_add_time(o, "report_due", r->discovered_ns + REPORT_CLOCK_NS);
  fjson_object_object_add(o, "count", fjson_object_new_int64(r->count));
  soc_json_add_str(o, "status", r->status);
  return o;
}
