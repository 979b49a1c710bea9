/*
 * damage — what the agent does with a journal block found damaged.
 *
 * Any reader of the journal can be the first to find a damaged block (the
 * forwarder, `socctl journal export` or `verify`): journal.c skips it whole
 * and hands its row to the reader, which calls soc_damage_note. That names
 * the block on stderr (id, input, stream, positions, lines, why) every time
 * a reader skips it, and the first time only records it in the store's
 * journal_damage table (counted as DATA DAMAGED by `socctl status`) and
 * queues an alert for the center, in one savepoint.
 *
 * Ownership: borrows everything.
 */
#ifndef SOC_AGENT_DAMAGE_H
#define SOC_AGENT_DAMAGE_H

#include "soc/config.h"
#include "soc/store.h"

/* who prefixes the message ("socagent: forward", "socctl journal export").
 * Returns 0, or a store error (then said on stderr too: the block is skipped
 * all the same). */
int soc_damage_note(soc_store *s, const soc_config *cfg, const char *who, const soc_block_meta *m,
                    const char *why);

#endif
