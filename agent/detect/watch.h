/*
 * watch — watched directories (`type: watch` inputs): web roots where
 * webshells and defacements leave their files.
 *
 * Why a detector of its own and not an agent/input_*.c: an input hands
 * lines to the journal under the commit contract of input.h; a watched
 * file is not a stream of lines, and what comes out of it is a finding
 * (a YARA match, a changed page), not an event to keep. So watch runs
 * like the log detector and the forwarder: its own threads, its own store
 * connections, nothing on the ingestion loop (a scan may take up to
 * rules.yara_timeout). Its findings go through agent/finding.c into the
 * same draft, evidence and outbox tables as the log rules.
 *
 * Threads: one reads inotify; `workers` threads each own a YARA scanner
 * and a store connection and take files from a bounded queue. A file
 * always goes to the same worker (by a hash of its path), so two workers
 * never race on one baseline row. A full queue, or the kernel's inotify
 * queue overflowing, costs no file: the worker does a full rescan instead.
 *
 * The baseline (path, size, mtime, SHA-256 per file, in the store) makes
 * a start a comparison: every file is hashed again, a changed one is
 * scanned (and, if its name matches report_changes, drafted as a
 * defacement), a new one is scanned, a vanished one leaves the baseline.
 * Unchanged files are scanned again only when the YARA rules changed.
 *
 * Ownership: borrows the config and the YARA engine (may be NULL: the
 * baseline still works), which must outlive it.
 */
#ifndef SOC_AGENT_WATCH_H
#define SOC_AGENT_WATCH_H

#include "soc/config.h"
#include "soc/yarascan.h"

typedef struct soc_watch soc_watch;

/* With no watch inputs it succeeds and does nothing. Problems are printed. */
int soc_watch_new(const soc_config *cfg, soc_yara_engine *engine, soc_watch **out);
/* Adds the inotify watches, then starts the threads (a full rescan first). */
int soc_watch_start(soc_watch *w);
/* --oneshot: one full rescan of every watch input on the calling thread. */
int soc_watch_drain(soc_watch *w);
void soc_watch_stop(soc_watch *w);
void soc_watch_free(soc_watch *w);

#endif
