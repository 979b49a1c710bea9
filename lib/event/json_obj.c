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

fjson_object *soc_json_parse_object(const char *text) {
  fjson_object *o = text ? fjson_tokener_parse(text) : NULL;
  if (o && !fjson_object_is_type(o, fjson_type_object)) {
    fjson_object_put(o);
    o = NULL;
  }
  return o;
}

fjson_object *soc_json_strings(const char *const *v, size_t n) {
  fjson_object *a = fjson_object_new_array();
  for (size_t i = 0; a && i < n; i++) fjson_object_array_add(a, fjson_object_new_string(v[i]));
  return a;
}
