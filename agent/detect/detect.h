/*
 * detect — the log rules applied to the journal, and the drafts they make.
 *
 * The detector runs on its own thread with its own store connection, like
 * the forwarder, and reads the journal with its own cursor. It does not sit
 * in the ingestion path, so a slow rule never slows ingestion, and it does
 * not depend on Kafka, so detection goes on while the broker is away.
 *
 * One journal block is one transaction: the rule hits of its lines, the
 * correlation state they change, the drafts and evidence they create, the
 * outbox messages (alerts, incidents) and the detector's cursor are
 * committed together. A crash therefore replays detection exactly: no hit
 * counted twice, no draft made twice.
 *
 * Ownership: a soc_detect borrows the config (which must outlive it).
 */
#ifndef SOC_AGENT_DETECT_H
#define SOC_AGENT_DETECT_H

#include <stdint.h>

#include "soc/config.h"

typedef struct soc_detect soc_detect;

/* Loads the rules (rules.log) and the asset inventory and restores the
 * correlation state. With no log rules it succeeds and does nothing.
 * Problems are printed. */
int soc_detect_new(const soc_config *cfg, soc_detect **out);
int soc_detect_start(soc_detect *d);
void soc_detect_stop(soc_detect *d);
/* Asks the running detector to re-read the configuration file and load its
 * rules and asset inventory at the next block boundary (any thread may ask;
 * the work and its messages happen on the detector's thread). A new set with
 * any error is refused and the old one stays. -ENOTSUP when no detector runs. */
int soc_detect_reload(soc_detect *d);
void soc_detect_free(soc_detect *d);

/* The running detector sleeps when the journal is read to its end. The
 * ingest calls soc_detect_wake after each commit (any thread may): the
 * detector then looks for new blocks at once; unwoken it looks again after
 * a second. NULL is a no-op. */
void soc_detect_wake(soc_detect *d);
/* fn(arg) is called on the detector's thread after each transaction that
 * looked at lines (its alerts and drafts are then in the outbox): the
 * daemon wakes the forwarder with it. Set before soc_detect_start. */
void soc_detect_on_commit(soc_detect *d, void (*fn)(void *), void *arg);
/* For tests: how long an unwoken idle detector sleeps (default 1000 ms). */
void soc_detect_set_idle_wait(soc_detect *d, int64_t ms);

/* Runs on the calling thread until the journal is read to its end (for
 * --oneshot). */
int soc_detect_drain(soc_detect *d);

#endif
