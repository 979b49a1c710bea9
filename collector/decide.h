/*
 * decide — one decision of the center's (review, level, support) on a
 * report: checked against the center's view of the report with the same
 * lifecycle rule the agent will apply, numbered, and recorded in center.db's
 * outbox (the decision table) with its message for <prefix>.center.<agency>
 * in one transaction. The outbox (outbox.c) signs and produces it: the
 * command that made it, or any running collector at its next sweep.
 * Used by the command line (center_cli.c) and the console (console.c).
 *
 * Ownership: everything is borrowed; s has no transaction open.
 */
#ifndef SOC_COLLECTOR_DECIDE_H
#define SOC_COLLECTOR_DECIDE_H

#include <stdint.h>

#include "center.h"
#include "soc/config.h"
#include "soc/store_center.h"

#define SOC_CENTER_DECIDE_WHY_MAX 640

typedef struct soc_center_decide_opts {
  int64_t at_ns;
  const char *by, *reason, *result; /* by: required; the others may be NULL */
  int level;                        /* kind "level": 1-4 */
} soc_center_decide_opts;

/* kind: "review", "level" or "support". Returns 0 recorded (OUT: *n, its
 * number; why: "<id>: <kind> <report> recorded for <topic>"), 2 refused by
 * the report's lifecycle, 1 an unknown report or a store error; why says
 * which. */
int soc_center_decide(const soc_collector_config *cfg, soc_center *c, soc_center_store *s,
                      const char *id, const char *kind, const soc_center_decide_opts *o, int64_t *n,
                      char *why, size_t why_len);

#endif
