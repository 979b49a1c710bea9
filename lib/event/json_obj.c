/*
 * json_obj — see the header.
 */
#include "soc/json_obj.h"

#include "soc/event.h"

void soc_json_add_str(fjson_object *o, const char *k, const char *v) {
  fjson_object_object_add(o, k, fjson_object_new_string(v ? v : ""));
}

void soc_json_add_time(fjson_object *o, const char *k, int64_t ns) {
  char ts[SOC_EVENT_TIME_BUF];
  if (soc_event_format_time(ns, 3, ts, sizeof ts) == 0) soc_json_add_str(o, k, ts);
}
