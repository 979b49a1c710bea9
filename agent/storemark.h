/*
 * storemark — a store that knows itself: has agent.db lost commits?
 *
 * A -wal file lost after a crash, or a backup put back, leaves an agent.db
 * that opens cleanly and is older than what was committed: lines the agent
 * took in (and told their senders it had) are gone, and its network inputs'
 * sequences start over, so their event.ids would repeat ids the center
 * already holds and be dropped there as duplicates.
 *
 * So the agent keeps a marker beside the database (agent.db.marker: the
 * store's id and the newest journal block committed), rewritten after each
 * commit that added blocks. At start the store is held to it:
 *
 *  - another store id: the database was replaced or made anew
 *    ("STORE REPLACED"); it already has a new id of its own;
 *  - the same id, fewer blocks: it went back ("STORE WENT BACKWARDS"); it
 *    is given a new random id here, before anything reads it, so no
 *    event.id repeats.
 *
 * Both are said on stderr, with what was expected and found, and raised as
 * an alert. The marker is written without fsync, after the commit's own
 * sync: it can lag the store after a power cut (no alarm), never lead it.
 *
 * Ownership: a soc_storemark borrows the store and the config.
 */
#ifndef SOC_AGENT_STOREMARK_H
#define SOC_AGENT_STOREMARK_H

#include "soc/config.h"
#include "soc/store.h"

typedef struct soc_storemark soc_storemark;

/* Checks the store at db_path (open as s) against its marker, says and
 * alerts what it finds, and writes the marker. OUT: *out. Returns 0, or a
 * store error or -ENOMEM (a marker that cannot be written is said, not an
 * error). */
int soc_storemark_new(soc_store *s, const soc_config *cfg, const char *db_path,
                      soc_storemark **out);
/* After a successful commit: moves the marker to the newest block. */
void soc_storemark_committed(soc_storemark *m);
void soc_storemark_free(soc_storemark *m);

#endif
