/*
 * ingest — the agent's core: inputs hand lines in, the journal keeps them,
 * and a commit every commit_interval (or when the journal's memory fills)
 * makes lines and input positions durable together.
 *
 * Ownership: a soc_ingest owns its inputs, journal, store and loop.
 */
#ifndef SOC_AGENT_INGEST_H
#define SOC_AGENT_INGEST_H

#include <stdint.h>

#include "input.h"
#include "loop.h"
#include "soc/config.h"
#include "soc/journal.h"
#include "soc/store.h"
#include "soc/yarascan.h"

typedef struct soc_ingest soc_ingest;

/* Opens the store under cfg->agent.state_dir (creating the folder), the
 * journal and every input that this build supports. cfg must outlive it. */
int soc_ingest_new(const soc_config *cfg, soc_ingest **out);
void soc_ingest_free(soc_ingest *ing);

/* Opens every input (binds sockets, opens capture handles and files) and
 * registers it with the loop; nothing is read until soc_ingest_run. The
 * daemon calls it while still privileged, then drops privileges. */
int soc_ingest_start(soc_ingest *ing);
/* Daemon mode: start inputs (if not yet), run until a signal, commit, return. */
int soc_ingest_run(soc_ingest *ing);
/* --oneshot: drain every file input to its current end, commit, return.
 * An input that could not be read completely (a file that could not be
 * opened) is said and the others are read all the same; then its error is
 * returned. */
int soc_ingest_oneshot(soc_ingest *ing);

/* For inputs. Takes one line of stream: fills ts_ns and host from its
 * header (format: syslog), counts it, and appends it to the journal.
 * Returns 0, or -EAGAIN when the journal is full: the input must pause
 * (in->paused is set) and offer the line again after resume(). */
int soc_ingest_line(soc_input *in, const char *source, int64_t stream, soc_jline *line);

/* For inputs that build events themselves (pcap): takes one event as its
 * JSON (soc_event_write_json) in line->data, with line->ts_ns its time and
 * line->pos its position in the stream (the source of its event.id). It
 * is journaled flagged SOC_JLINE_EVENT. Returns as soc_ingest_line. */
int soc_ingest_event(soc_input *in, const char *source, int64_t stream, soc_jline *line);

/* For inputs: a resource ran out (no file descriptor, no memory) while
 * opening or reading path. Said once a minute for all inputs together,
 * with how many more there were: a limit reached is reached on every
 * attempt, and a line per attempt would bury everything else. */
void soc_ingest_resource_error(soc_ingest *ing, const char *input, const char *path,
                               const char *what, int err);

/* Whether a resource ran out in the last RESOURCE_PAUSE_MS: inputs then
 * leave new opens for later rather than fail each again at once (a full
 * descriptor table fails thousands of opens per scan). */
int soc_ingest_resources_short(soc_ingest *ing);

/* fn(arg) is called on the ingest's thread after each commit that worked,
 * in the order added: the daemon wakes the detector and the forwarder with
 * it, so that they sleep while nothing comes instead of polling the
 * journal. At most SOC_INGEST_HOOKS; -ENOSPC past them. */
#define SOC_INGEST_HOOKS 4
int soc_ingest_on_commit(soc_ingest *ing, void (*fn)(void *), void *arg);

/* Asks for a commit as soon as possible (an input must wait for one). */
void soc_ingest_kick(soc_ingest *ing);
/* Says the next commit has positions to save even if no line came. */
void soc_ingest_touch(soc_ingest *ing);

/* The agent's YARA engine for inputs that scan what they read (pcap:
 * streams and HTTP bodies), borrowed: it must outlive ing. Set before
 * soc_ingest_run / soc_ingest_oneshot (the engine is made after the
 * privileges are dropped, inputs are created before); NULL: no rules,
 * nothing is scanned. */
void soc_ingest_set_yara(soc_ingest *ing, soc_yara_engine *engine);
soc_yara_engine *soc_ingest_yara(soc_ingest *ing);

soc_loop *soc_ingest_loop(soc_ingest *ing);
soc_store *soc_ingest_store(soc_ingest *ing);
const soc_config *soc_ingest_config(soc_ingest *ing);

/* Commits now (used by the timer and by oneshot). */
int soc_ingest_commit(soc_ingest *ing);

#endif
