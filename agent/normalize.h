/*
 * normalize — one journal line back into an ECS event.
 *
 * The journal keeps lines as they came; every consumer (the detector, the
 * forwarder) turns them into events the same way: the syslog header parsed
 * in the input's time zone (or the whole line as the message for
 * `format: raw`), the deterministic event.id from (agent, source/stream,
 * position), the file path and offset or the sender's address, the flags
 * as tags. Keeping it in one place keeps the detector's view and what the
 * technical center receives identical.
 *
 * Ownership: a soc_normalizer borrows the config and the store (which must
 * outlive it); one per thread.
 */
#ifndef SOC_AGENT_NORMALIZE_H
#define SOC_AGENT_NORMALIZE_H

#include "soc/config.h"
#include "soc/event.h"
#include "soc/journal.h"
#include "soc/store.h"

typedef struct soc_normalizer soc_normalizer;

soc_normalizer *soc_normalizer_new(const soc_config *cfg, soc_store *store);
void soc_normalizer_free(soc_normalizer *n);

/* Resets ev and fills it from e. */
void soc_normalize(soc_normalizer *n, const soc_jentry *e, soc_event *ev);

/* The input a journal source belongs to, NULL if the config no longer has it. */
const soc_input_config *soc_normalizer_input(soc_normalizer *n, const char *source);

#endif
