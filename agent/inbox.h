/*
 * inbox — the technical center's decisions for this agent's reports.
 *
 * The center answers on one topic per agency (soc_center_topic):
 * a review done by the center, a level it changed, support dispatched
 * (docs/REPORTS.md, "Center decisions"). Each agent of the agency reads the
 * whole topic in its own consumer group ("socagent-<agent id>") and keeps
 * the decisions about its own reports. A decision is applied in one store
 * transaction with its audit entry, the report's new revision (queued back
 * to the center) and the decision's id in the once-only ledger; the Kafka
 * offset is committed only after that, so a crash replays the message and
 * the ledger makes the replay harmless.
 *
 * This is the one place besides the forwarder where the agent talks to
 * Kafka: decisions flow the other way, and keeping them apart means a
 * broker outage for either direction never blocks the other.
 *
 * Ownership: borrows the config, the store connection and the regime; used
 * from the workflow thread only.
 */
#ifndef SOC_AGENT_INBOX_H
#define SOC_AGENT_INBOX_H

#include "soc/config.h"
#include "soc/deadline.h"
#include "soc/store.h"

typedef struct soc_inbox soc_inbox;

/* Subscribes to the agency's topic. Problems are printed. */
int soc_inbox_new(const soc_config *cfg, soc_store *store, const soc_regime *regime,
                  soc_inbox **out);
void soc_inbox_free(soc_inbox *ib); /* closes the consumer (leaves the group); NULL no-op */

/* Waits up to timeout_ms for decisions and applies what arrives. Returns
 * how many were applied, or a negative errno when the store failed (the
 * messages come again). */
int soc_inbox_poll(soc_inbox *ib, int timeout_ms);

#endif
