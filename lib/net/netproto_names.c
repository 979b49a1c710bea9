/* Field names checked once for the protocol parsers' setters. */

#include "soc/netproto.h"

void soc_net_names_init(soc_net_name *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    names[i].keyed = soc_event_key_of(names[i].name, &names[i].key) == 0;
}

int soc_net_set(soc_event *ev, const soc_net_name *n, const char *value, size_t len) {
  if (n->keyed) return soc_event_set_keyed(ev, n->name, &n->key, value, len);
  return soc_event_set(ev, n->name, value, len);
}

int soc_net_set_json(soc_event *ev, const soc_net_name *n, const char *json, size_t len) {
  if (n->keyed) return soc_event_set_json_keyed(ev, n->name, &n->key, json, len);
  return soc_event_set_json(ev, n->name, json, len);
}

const char *soc_net_get(const soc_event *ev, const soc_net_name *n) {
  if (n->keyed) return soc_event_get_keyed(ev, n->name, &n->key);
  return soc_event_get(ev, n->name);
}

int soc_net_set_num(soc_event *ev, const soc_net_name *n, int64_t v) {
  char buf[SOC_EVENT_DECIMAL_MAX];
  if (n->keyed) return soc_event_set_int_keyed(ev, n->name, &n->key, v);
  return soc_net_set_json(ev, n, buf, soc_event_decimal(v, buf));
}
