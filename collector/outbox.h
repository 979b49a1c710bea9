/*
 * outbox — the center's decisions on their way to the agencies' topics
 * (<prefix>.center.<agency>).
 *
 * A decision is committed to center.db first (the decision table is the
 * outbox: soc_centerdb_decision_put) and produced after the commit, so
 * no write lock is held while Kafka is waited for. A row stays pending until
 * its delivery report arrives; then it is marked delivered. Whatever was
 * committed and not acknowledged (Kafka down, the process killed in between)
 * is produced again: by the next command that delivers, by a collector when
 * it starts and at every sweep. A decision may so reach the topic twice; the
 * agent applies each decision id once (agent/inbox.c).
 *
 * Ownership: the outbox borrows the configuration and the store, and owns
 * its producer. Delivery marks are written in autocommit, from
 * soc_center_outbox_poll: call it when no transaction of the store's is
 * open (a mark inside a transaction rolled back is only a re-send later).
 */
#ifndef SOC_COLLECTOR_OUTBOX_H
#define SOC_COLLECTOR_OUTBOX_H

#include "soc/config.h"
#include "centerdb.h"
#include "soc/store_center.h"

typedef struct soc_center_outbox soc_center_outbox;

/* OUT: *out. -EINVAL (message on stderr) when Kafka's configuration is refused. */
int soc_center_outbox_new(const soc_collector_config *cfg, soc_centerdb *s,
                          soc_center_outbox **out);
/* Waits up to wait_ms for what is in flight, then frees. NULL is a no-op. */
void soc_center_outbox_free(soc_center_outbox *o, int wait_ms);

/* Produces every pending decision, unless some are still in flight from the
 * last call (they are not sent twice by one process). Returns how many were
 * queued, or a negative store error. */
int soc_center_outbox_send(soc_center_outbox *o);
/* Serves delivery reports for up to wait_ms (0: only what has arrived),
 * returning early once nothing is in flight. Returns how many are still in
 * flight. */
int soc_center_outbox_poll(soc_center_outbox *o, int wait_ms);

#endif
