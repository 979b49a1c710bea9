/*
 * metrics — the collector's Prometheus endpoint (metrics.listen): the
 * counters `soccollector stats` prints, and the agents it knows and how
 * many of them are silent (no heartbeat for collector.agent_silence), read
 * from center.db on the endpoint's own thread and connection.
 *
 * Ownership: cfg is borrowed and must outlive the handle.
 */
#ifndef SOC_COLLECTOR_METRICS_H
#define SOC_COLLECTOR_METRICS_H

#include "soc/config.h"

typedef struct soc_collector_metrics soc_collector_metrics;

/* Nothing (and *out NULL) when metrics.listen is unset. Returns 0 or a
 * negative errno. */
int soc_collector_metrics_start(const soc_collector_config *cfg, soc_collector_metrics **out);
/* NULL is a no-op. */
void soc_collector_metrics_free(soc_collector_metrics *m);

#endif
