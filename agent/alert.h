/*
 * alert — an alert about the agent itself (its store, its data), queued in
 * the outbox for <prefix>.alerts like every other alert.
 *
 * Ownership: borrows s and cfg; takes detail.
 */
#ifndef SOC_AGENT_ALERT_H
#define SOC_AGENT_ALERT_H

#include <json.h> /* libfastjson */

#include "soc/config.h"
#include "soc/store.h"

/* Queues {"event": {"kind": "alert", "action": action, "dataset": dataset,
 * "module": "socagent"}, "agent": {id, agency}, <name>: detail, "message":
 * message}, keyed by the agent's id, in the caller's transaction (or its
 * own). detail (owned, may be NULL) goes under name. Returns 0 or a store
 * error. */
int soc_alert_raise(soc_store *s, const soc_config *cfg, const char *action, const char *dataset,
                    const char *name, fjson_object *detail, const char *message);

#endif
