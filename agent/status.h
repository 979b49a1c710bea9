/*
 * status — what the agent is doing, as its store holds it: the journal's
 * size, how far forwarding has got, and every counter the inputs, the
 * detector and the forwarder commit. `socctl status` prints it and the
 * metrics endpoint (metrics.listen) serves it in the Prometheus format, so
 * both always show the same numbers.
 *
 * Ownership: the store is borrowed; a soc_agent_metrics owns its server
 * thread and its own store connection (opened on that thread).
 */
#ifndef SOC_AGENT_STATUS_H
#define SOC_AGENT_STATUS_H

#include <stdint.h>

#include "soc/config.h"
#include "soc/deadline.h"
#include "soc/store.h"

typedef struct soc_agent_status {
  soc_block_totals journal; /* everything the journal holds */
  soc_block_totals lag;     /* what is not forwarded yet */
  int64_t forward_cursor;   /* the last block delivered */
  int64_t open_clocks;      /* reports' steps not done whose clock runs (overdue ones too) */
  int64_t overdue_steps;    /* of them, past their due time */
} soc_agent_status;

/* Reads the journal's totals, the forwarder's cursor and, with a regime
 * (may be NULL: no clocks), the reports' clocks as of now_s, counted as
 * `socctl deadlines` lists them. Returns 0 or a negative errno
 * (soc_store_errmsg says why). */
int soc_agent_status_read(soc_store *store, const soc_regime *regime, int64_t now_s,
                          soc_agent_status *out /* OUT */);

typedef struct soc_agent_metrics soc_agent_metrics;

/* Starts the endpoint at cfg->metrics.listen (nothing when it is unset:
 * *out stays NULL). cfg must outlive it. Returns 0 or a negative errno. */
int soc_agent_metrics_start(const soc_config *cfg, soc_agent_metrics **out);
/* The port bound, for tests; 0 when none. */
unsigned soc_agent_metrics_port(const soc_agent_metrics *m);
/* NULL is a no-op. */
void soc_agent_metrics_free(soc_agent_metrics *m);

#endif
