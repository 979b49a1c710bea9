/*
 * alert — the agent's alerts about itself (alert.h).
 */
#include "alert.h"

#include <string.h>

#include "soc/json_obj.h"
#include "soc/tz.h"

int soc_alert_raise(soc_store *s, const soc_config *cfg, const char *action, const char *dataset,
                    const char *name, fjson_object *detail, const char *message) {
  fjson_object *a = fjson_object_new_object(), *ev = fjson_object_new_object(),
               *ag = fjson_object_new_object();
  soc_json_add_time(a, "@timestamp", soc_now_real_ns());
  soc_json_add_str(ev, "kind", "alert");
  soc_json_add_str(ev, "action", action);
  soc_json_add_str(ev, "dataset", dataset);
  soc_json_add_str(ev, "module", "socagent");
  fjson_object_object_add(a, "event", ev);
  soc_json_add_str(ag, "id", cfg->agent.id);
  soc_json_add_str(ag, "agency", cfg->agent.agency);
  fjson_object_object_add(a, "agent", ag);
  if (detail) fjson_object_object_add(a, name, detail);
  soc_json_add_str(a, "message", message);
  const char *json = fjson_object_to_json_string_ext(a, FJSON_TO_STRING_PLAIN);
  int rc = soc_store_outbox_add(s, "alerts", cfg->agent.id, json, strlen(json), NULL);
  fjson_object_put(a);
  return rc;
}
