/* One handle type per database: compiled by handle_types.cmake three ways.
 * Plain, it must compile; with AGENT_TO_CENTER or CENTER_TO_AGENT, handing
 * one database's handle to the other's function must not. */
#include <stddef.h>
#include <stdint.h>

#include "soc/store.h"
#include "soc/store_center.h"

int handle_types(soc_store *agent, soc_center_store *center);

int handle_types(soc_store *agent, soc_center_store *center) {
  int64_t n = 0;
#if defined(AGENT_TO_CENTER)
  return soc_store_center_events_count(agent, NULL, &n);
#elif defined(CENTER_TO_AGENT)
  return soc_store_meta_set(center, "k", "v");
#else
  return soc_store_center_events_count(center, NULL, &n) + soc_store_meta_set(agent, "k", "v") +
         (int)n;
#endif
}
