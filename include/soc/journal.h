/*
 * journal — every line the agent takes in, kept durably and unaltered.
 *
 * Lines are grouped into blocks per stream (one file, or one network
 * input): up to block_lines lines or block_bytes raw bytes, encoded with
 * their positions, times, host and sender, compressed with zstd, and
 * written as one row of the store. A row per line would cost a B-tree
 * insert per line; a block costs one per thousand.
 *
 * Appending only buffers. The caller (the agent's ingest loop) groups a
 * commit: it begins a store transaction, calls soc_journal_flush, writes
 * the inputs' positions, commits, and then tells the journal how it went
 * with soc_journal_done. Until then the blocks stay in memory, so a failed
 * commit (disk full) loses nothing: the next one writes them again. Memory
 * is bounded by pending_max: past it, append says -EAGAIN and the input
 * must wait for a commit.
 *
 * The journal is also the retention of §4.1 (logs kept) and the source of
 * level 3-4 log bundles: soc_journal_scan reads lines back, oldest first.
 *
 * Ownership: a soc_journal borrows its soc_store (which must outlive it)
 * and copies every line given to it.
 */
#ifndef SOC_JOURNAL_H
#define SOC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "soc/store.h"

/* Line flags, kept with the line. */
#define SOC_JLINE_TRUNCATED (1u << 0)    /* longer than the input's maximum: cut */
#define SOC_JLINE_PARTIAL (1u << 1)      /* flushed without its newline after the idle time */
#define SOC_JLINE_CONVERTED (1u << 2)    /* the input converted it to UTF-8 (e.g. from Big5) */
#define SOC_JLINE_BAD_ENCODING (1u << 3) /* conversion failed on some bytes: kept raw */
/* The line is an event built by the agent itself (network metadata, flow
 * records), kept as the one-line ECS JSON that soc_event_write_json
 * writes; normalize.c reads it back with soc_event_from_json instead of
 * parsing a log line. */
#define SOC_JLINE_EVENT (1u << 4)

typedef struct soc_jline {
  const char *data; /* the line, without its newline; need not be NUL-terminated */
  size_t len;
  uint64_t pos;     /* byte offset of the line in its file, or the input's sequence */
  int64_t ts_ns;    /* event time (from the header, else recv_ns) */
  int64_t recv_ns;  /* when it was read */
  uint32_t flags;   /* SOC_JLINE_* */
  const char *host; /* host name from the header; NULL or "" when none */
  const char *peer; /* the sender's "address:port" for network inputs, else NULL */
} soc_jline;

typedef struct soc_journal_opts {
  int64_t max_bytes;      /* soft cap of stored bytes: forwarded blocks go first */
  int64_t hard_max_bytes; /* past this, unforwarded blocks go too, counted and reported */
  int64_t max_age_sec;    /* forwarded blocks older than this go; 0: no age limit */
  uint32_t block_lines;   /* default 1024 */
  uint32_t block_bytes;   /* default 256 KiB */
  size_t pending_max;     /* default 16 MiB */
  int level;              /* zstd level, default 1 */
  int codec;              /* of the blocks written: SOC_JOURNAL_CODEC_*, 0: zstd */
} soc_journal_opts;

/* A block's codec (soc_block_meta.codec). Blocks of either read back
 * whatever the journal writes now. LZ4 compresses about 2.5 times and
 * decompresses 3 times faster than zstd at level 1, for about 1.7 times
 * the bytes (docs/BENCHMARKS.md, step 20). */
#define SOC_JOURNAL_CODEC_ZSTD 1
#define SOC_JOURNAL_CODEC_LZ4 2

typedef struct soc_journal soc_journal;

/* OUT: *out. opts may be NULL for the defaults. */
int soc_journal_open(soc_store *store, const soc_journal_opts *opts, soc_journal **out);
/* Pending (uncommitted) lines are discarded. NULL is a no-op. */
void soc_journal_free(soc_journal *j);

/* Buffers one line of stream (source, stream). Returns 0, -EAGAIN when the
 * pending bytes have reached pending_max (the line is not taken: commit,
 * then append it again), -E2BIG for a line over 16 MiB, -ENOMEM. */
int soc_journal_append(soc_journal *j, const char *source, int64_t stream, const soc_jline *line);

size_t soc_journal_pending_lines(const soc_journal *j);
size_t soc_journal_pending_bytes(const soc_journal *j);

/* Writes every pending block into the store, inside the caller's
 * transaction. Then call soc_journal_done with whether the commit worked:
 * on success the blocks are released, on failure they stay pending. */
int soc_journal_flush(soc_journal *j);
void soc_journal_done(soc_journal *j, int committed);

/* What retention removed in one pass. */
typedef struct soc_journal_trim {
  int64_t blocks, lines, bytes;                /* forwarded data removed by size or age */
  int64_t lost_blocks, lost_lines, lost_bytes; /* NOT yet forwarded: the hard cap was reached */
} soc_journal_trim;

/* Applies the retention policy, inside the caller's transaction:
 * forwarded blocks (id <= forwarded_upto) older than max_age go; while the
 * journal is over max_bytes, the oldest forwarded blocks go; while it is
 * still over hard_max_bytes, the oldest unforwarded blocks go and are
 * reported in lost_*. OUT: *trim (may be NULL). */
int soc_journal_enforce(soc_journal *j, int64_t forwarded_upto, int64_t now_ns,
                        soc_journal_trim *trim);

/* One line read back. data and strings are valid during the callback. */
typedef struct soc_jentry {
  int64_t block; /* journal_block id */
  const char *source;
  int64_t stream;
  soc_jline line;
} soc_jentry;

typedef int (*soc_jentry_cb)(void *arg, const soc_jentry *e);

/* A damaged block: its checksum does not match, or it does not decode. m is
 * what its row says (which may itself be the damaged part); why is
 * "checksum mismatch" or "does not decode". A non-zero return stops the
 * scan and is returned. */
typedef int (*soc_jdamage_cb)(void *arg, const soc_block_meta *m, const char *why);

/* Reads committed lines, oldest block first and in order within a block,
 * keeping those that match q line by line (source, host, since/until on the
 * event time). A non-zero return from cb stops the scan and is returned.
 * Every block is checked (its checksum, then a full decode) before any of
 * its lines is handed over; a damaged block is skipped whole, given to
 * on_damage (may be NULL), and the scan goes on to the blocks after it.
 * OUT: *damaged (may be NULL), how many blocks were skipped. */
int soc_journal_scan_checked(soc_store *store, const soc_block_query *q, soc_jentry_cb cb,
                             void *arg, soc_jdamage_cb on_damage, void *damage_arg,
                             int64_t *damaged);
/* The pending (not yet committed) lines, block by block, for the emergency
 * spool: cb gets each block's meta (source, stream, first_pos, first_ts,
 * lines) and its lines encoded as in the journal, before compression. A
 * non-zero return stops and is returned. */
typedef int (*soc_jpending_cb)(void *arg, const soc_block_meta *m, const void *enc, size_t len);
int soc_journal_pending_scan(soc_journal *j, soc_jpending_cb cb, void *arg);
/* Drops every pending line (they were spooled, or are given up). */
void soc_journal_discard(soc_journal *j);
/* Hands the lines of one encoded block (as soc_journal_pending_scan gives
 * them; m: first_pos, first_ts, lines, source, stream) to cb, after
 * checking all of them. Returns 0, -EBADMSG, or cb's non-zero. */
int soc_journal_decode(const soc_block_meta *m, const void *enc, size_t len, soc_jentry_cb cb,
                       void *arg);

/* soc_journal_scan_checked without the names: after every intact block has
 * been read, returns -EBADMSG when any block was skipped as damaged. */
int soc_journal_scan(soc_store *store, const soc_block_query *q, soc_jentry_cb cb, void *arg);

#endif
