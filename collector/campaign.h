/*
 * campaign — the technical center's view across agencies (docs/TRIAGE.md):
 * a source (an address, or a file's SHA-256) that the alerts of several
 * agencies name within a window, and a notice to each agency it touched.
 *
 * A notice is a decision message (socagent.decision/1, kind "notice") on
 * the agency's decision topic, recorded in center.db's decision outbox like
 * the center's other decisions, once per (source, agency): running the
 * command again notifies only agencies that were not told before.
 *
 * Ownership: everything is borrowed for the call.
 */
#ifndef SOC_COLLECTOR_CAMPAIGN_H
#define SOC_COLLECTOR_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "soc/config.h"
#include "soc/store_center.h"

#define SOC_CAMPAIGN_MIN_AGENCIES 2  /* a source is a campaign at this many agencies */
#define SOC_CAMPAIGN_NOTICES_MAX 256 /* notices recorded by one run */

/* Prints the campaigns of alerts received since since_ns (text or JSON)
 * and records a notice for each agency not told before, in one
 * transaction. OUT: ns[] (room for SOC_CAMPAIGN_NOTICES_MAX) the decision
 * numbers recorded, *made their count. Returns the exit status. */
int soc_campaigns_run(const soc_collector_config *cfg, soc_center_store *s, int json,
                      int64_t since_ns, int64_t now_ns, int64_t *ns, size_t *made);

#endif
