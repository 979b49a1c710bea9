/*
 * spool — the emergency spool: lines taken in that the store could not
 * keep when the agent had to stop.
 *
 * While the disk is full the inputs stop reading (ingest.c), so what is in
 * memory is bounded by the journal's pending_max. A file input's lines
 * need no spool: their positions were not committed either, so the next
 * start reads them again from the file. A network input's cannot be had
 * again: on SIGTERM with lines not committable, they are written to a
 * spool file on another file system (journal.spool_dir, default
 * /run/socagent: a tmpfs, in memory, which survives a restart of the
 * service but not of the machine), and taken back at the next start.
 *
 * Exactly once: a spool is taken back in one transaction with its lines,
 * its inputs' next sequences (past every spooled line, so no position and
 * no event.id repeats) and a record of its name (meta "spool.taken.NAME");
 * the file is removed after that commit, and a spool found already
 * recorded is only removed.
 *
 * File: "SOCSPOOL 1\n", then per block: u32 length and the input id, i64
 * stream, u64 first position, i64 first time, u32 lines, u64 length and
 * the lines as the journal encodes them; then "END " and a SHA-256 of all
 * before it. A spool that does not check is renamed *.bad and said, never
 * taken half.
 */
#ifndef SOC_AGENT_SPOOL_H
#define SOC_AGENT_SPOOL_H

#include <stdint.h>

#include "soc/journal.h"
#include "soc/store.h"

/* Which inputs' lines go to the spool (1) or are read again (0). */
typedef int (*soc_spool_keep_cb)(void *arg, const char *source);

/* Writes the journal's pending lines that keep() selects to
 * dir/<agent_id>.<time>.spool (dir is created). OUT: *lines, how many.
 * Returns 0 or a negative errno (nothing is left behind then). */
int soc_spool_write(soc_journal *j, const char *dir, const char *agent_id, soc_spool_keep_cb keep,
                    void *arg, int64_t *lines);

/* Takes back every spool of agent_id in dir, each once, committing it into
 * s through j (whose pending lines must be empty). What happens is said on
 * stderr. Returns 0, or a negative errno when a spool could not be taken
 * (it stays for the next start). */
int soc_spool_take(soc_store *s, soc_journal *j, const char *dir, const char *agent_id);

#endif
