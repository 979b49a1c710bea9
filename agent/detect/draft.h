/*
 * draft — the JSON body of a draft incident, the same for every detector
 * (log rules in detect.c, YARA and changed pages in finding.c), so that
 * `socctl show`, the analyst's decisions and the technical center read one
 * shape whatever made the draft.
 *
 * Ownership: the strings and arrays of soc_draft_info are borrowed for the
 * call; soc_draft_json returns a new object owned by the caller
 * (fjson_object_put).
 */
#ifndef SOC_AGENT_DRAFT_H
#define SOC_AGENT_DRAFT_H

#include <json.h> /* libfastjson */

#include "soc/json_obj.h"
#include <stdint.h>

#include "soc/assets.h"
#include "soc/config.h"
#include "soc/level.h"
#include "soc/rules.h"
#include "soc/store.h"

typedef struct soc_draft_info {
  const char *rule_id, *title, *description;
  const char *const *mitre;
  size_t nmitre;
  const char *const *references;
  size_t nreferences;
  const char *author; /* a Sigma rule's; NULL: none */
  const soc_asset_match *asset;
  const soc_level_result *level;
  soc_incident_category category;
  const char *subtype;
  soc_impact_kind impact;
  const char *host;
} soc_draft_info;

/* The body of row r: id, agent, rule, key, asset, level and clause,
 * category (English and the form's Chinese), sub-type, impact, host, times,
 * the §3.1 report due time, count and status. */
fjson_object *soc_draft_json(const soc_config *cfg, const soc_draft_row *r,
                             const soc_draft_info *info);

#endif
