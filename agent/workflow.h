/*
 * workflow — the reporting workflow's own work in the agent: what happens
 * with no one asking.
 *
 * Every report.check_interval it (1) evaluates the legal clocks of every
 * report and raises a deadline.near or deadline.overdue alert once per
 * step and due time, through the outbox to <prefix>.alerts; (2) for each
 * level 3–4 report without one, builds the evidence bundle of §4.1(二)7 —
 * the journal lines of the involved hosts from evidence.window_before
 * before the first sighting up to now, the report's evidence lines and the
 * report itself, as a BagIt bag with a SHA-256 manifest and a chain of
 * custody — and queues it in chunks for <prefix>.evidence; (3) applies the
 * technical center's decisions that the forwarder's consumer stored.
 *
 * It runs on its own thread with its own store connection, so a large
 * bundle never holds up ingestion or detection. Each report's alerts, and
 * each bundle with its report update and audit entry, are one transaction:
 * a crash repeats the work rather than half-doing it.
 *
 * Ownership: borrows the config, which must outlive it.
 */
#ifndef SOC_AGENT_WORKFLOW_H
#define SOC_AGENT_WORKFLOW_H

#include <stdint.h>

#include "soc/config.h"

typedef struct soc_workflow soc_workflow;

/* Loads the deadline table and opens the store. Problems are printed. */
int soc_workflow_new(const soc_config *cfg, soc_workflow **out);
int soc_workflow_start(soc_workflow *w);
void soc_workflow_stop(soc_workflow *w);
void soc_workflow_free(soc_workflow *w); /* stops first; NULL is a no-op */

/* One pass on the calling thread, with the clocks read as of now_s (0: the
 * real time). For --oneshot, drills and tests. */
int soc_workflow_tick(soc_workflow *w, int64_t now_s);
/* fn(arg) is called after a tick that queued rows in the outbox (deadline
 * alerts, bundles, reports): the daemon wakes the forwarder with it. Set
 * before soc_workflow_start. */
void soc_workflow_on_outbox(soc_workflow *w, void (*fn)(void *), void *arg);

#endif
