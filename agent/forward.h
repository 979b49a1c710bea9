/*
 * forward — the journal to Kafka, with nothing lost.
 *
 * The forwarder runs on its own thread with its own store connection (WAL
 * lets it read while ingestion writes), so JSON building and compression
 * use the second core and never delay a commit. It reads journal blocks in
 * commit order, turns each line into an ECS event, and produces it to
 * <prefix>.events keyed by host name, so one host's events stay in order
 * in one partition. Its cursor (meta "forward.cursor": every block up to it
 * is delivered) moves only when librdkafka's delivery reports say so, never
 * on enqueue; after a crash the blocks past the cursor are sent again with
 * the same event.ids, which the collector drops as duplicates.
 *
 * Ownership: a soc_forward borrows the config (which must outlive it).
 */
#ifndef SOC_AGENT_FORWARD_H
#define SOC_AGENT_FORWARD_H

#include <stdint.h>

#include "soc/config.h"

typedef struct soc_forward soc_forward;

/* Opens its own connection to state_dir/agent.db and builds the producer.
 * Problems are printed. */
int soc_forward_new(const soc_config *cfg, soc_forward **out);
/* Starts the thread. */
int soc_forward_start(soc_forward *f);
/* Asks the thread to stop: what is in flight gets kafka.flush_timeout to be
 * delivered, the cursor is saved, the thread is joined. Idempotent. */
void soc_forward_stop(soc_forward *f);
void soc_forward_free(soc_forward *f);

/* The running forwarder sleeps when it has nothing in flight and nothing
 * new. The ingest (blocks committed), the detector (alerts, drafts) and the
 * workflow (deadline alerts, bundles) call this from their threads: the forwarder then looks at
 * once; unwoken it looks again after a second. NULL is a no-op. */
void soc_forward_wake(soc_forward *f);
/* For tests: how long an unwoken idle forwarder sleeps (default 1000 ms). */
void soc_forward_set_idle_wait(soc_forward *f, int64_t ms);

/* Runs the forwarder on the calling thread until everything the journal
 * holds now is delivered, or timeout_ms passes. Returns 0 when all was
 * delivered, -ETIMEDOUT otherwise (what is left stays in the journal). */
int soc_forward_drain(soc_forward *f, int64_t timeout_ms);
/* How many damaged journal blocks this forwarder skipped (each named on
 * stderr and recorded, see damage.h). */
int64_t soc_forward_damaged(const soc_forward *f);

#endif
