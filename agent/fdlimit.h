/*
 * fdlimit — file descriptors: the agent asks for all it may have, and says
 * beforehand when its inputs need more.
 *
 * A file input keeps every file it tails open (that is how a rotated file
 * is read to its end), and a TCP listener holds a descriptor per sender; the
 * default soft limit of 1024 is far below what 4,096 inputs need. The soft
 * limit is raised to the hard one at start (the hard one is the operator's
 * word: LimitNOFILE= in the unit, ulimit -Hn), and --check-config warns
 * when the inputs as configured need more than that.
 */
#ifndef SOC_AGENT_FDLIMIT_H
#define SOC_AGENT_FDLIMIT_H

#include <stdint.h>

#include "soc/config.h"

/* Raises the soft RLIMIT_NOFILE to the hard limit. Returns the soft limit
 * in force afterwards (-1: unlimited or unknown). */
int64_t soc_fdlimit_raise(void);

/* Descriptors the inputs of cfg need at most, with what they match now:
 * the files the file inputs' globs match, max_connections per TCP
 * listener, one per other listener, capture or watch, and the agent's own
 * (store connections, Kafka sockets). OUT: *files (may be NULL), the files
 * matched. */
int64_t soc_fdlimit_needed(const soc_config *cfg, int64_t *files);

#endif
