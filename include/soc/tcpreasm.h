/*
 * tcpreasm — one direction of a TCP connection turned back into the byte
 * stream the sender wrote, for the application-layer parsers and for
 * scanners (YARA) that need to see what crossed the wire in one piece.
 *
 * Segments arrive out of order, twice, or overlapping. The policy is
 * FIRST-WINS: a byte, once received (delivered or waiting), is never
 * replaced by a later segment that carries other bytes for the same
 * sequence number. Overlaps whose bytes differ are counted on their own
 * (`overlap_conflicts`): that is an evasion attempt or a broken stack,
 * never normal retransmission.
 *
 * Bytes are handed to a callback as soon as they are contiguous; nothing
 * is kept once delivered. Only out-of-order segments wait, bounded per
 * stream (max_pending) and for all streams together (memcap). When the
 * bound is reached the stream skips the hole: the callback is told of a
 * gap (data NULL) and the bytes after it are delivered. Delivery stops for
 * good at `depth` bytes (the first N bytes of each direction), which
 * bounds the work per flow however long it lives.
 *
 * Ownership: a soc_tcp_stream is embedded in its owner (a flow) and owns
 * its waiting segments; soc_tcp_stream_release frees them. The data given
 * to the callback is borrowed for the call.
 */
#ifndef SOC_TCPREASM_H
#define SOC_TCPREASM_H

#include <stddef.h>
#include <stdint.h>

typedef struct soc_tcpreasm_opts {
  uint64_t depth;     /* bytes delivered per direction at most; default 1 MiB */
  size_t max_pending; /* out-of-order bytes waiting per direction; default 256 KiB */
  size_t memcap;      /* out-of-order bytes waiting in all streams; default 64 MiB */
} soc_tcpreasm_opts;

typedef struct soc_tcpreasm_stats {
  int64_t segments;          /* with data */
  int64_t out_of_order;      /* arrived ahead of a hole */
  int64_t retransmissions;   /* carried only bytes already received */
  int64_t overlaps;          /* carried some bytes already received */
  int64_t overlap_conflicts; /* ... that differed from the first copy (kept) */
  int64_t gaps;              /* holes skipped (lost packets, or bounds reached) */
  int64_t gap_bytes;
  int64_t depth_reached;  /* streams cut at depth */
  int64_t memcap_reached; /* times a segment could not wait for lack of memory */
} soc_tcpreasm_stats;

/* A segment waiting for the hole before it. */
typedef struct soc_tcp_seg {
  struct soc_tcp_seg *next;
  uint64_t off;
  uint32_t len;
  uint8_t data[];
} soc_tcp_seg;

typedef struct soc_tcp_stream {
  uint8_t started;      /* next_seq is known */
  uint8_t done;         /* depth reached: nothing more is delivered */
  uint32_t next_seq;    /* sequence number of byte `next` */
  uint64_t next;        /* stream offset of the next byte to deliver */
  soc_tcp_seg *pending; /* sorted by off, never overlapping */
  size_t pending_bytes;
} soc_tcp_stream;

typedef struct soc_tcpreasm soc_tcpreasm;

/* Called with contiguous bytes at stream offset `offset`, or, with data
 * NULL, for a hole of len bytes that will never be filled. */
typedef void (*soc_tcp_data_cb)(void *arg, const uint8_t *data, size_t len, uint64_t offset);

/* opts may be NULL for the defaults. Returns NULL when out of memory. */
soc_tcpreasm *soc_tcpreasm_new(const soc_tcpreasm_opts *opts);
void soc_tcpreasm_free(soc_tcpreasm *r);
const soc_tcpreasm_stats *soc_tcpreasm_stats_get(const soc_tcpreasm *r);
uint64_t soc_tcpreasm_depth(const soc_tcpreasm *r);

/* The SYN (or SYN-ACK) of this direction: the stream starts at seq + 1. */
void soc_tcp_stream_syn(soc_tcp_stream *s, uint32_t seq);
/* A segment of this direction with len > 0 bytes of data. Without a SYN
 * seen, the first segment starts the stream (a capture begun mid-way). */
void soc_tcp_stream_add(soc_tcpreasm *r, soc_tcp_stream *s, uint32_t seq, const uint8_t *data,
                        size_t len, soc_tcp_data_cb cb, void *arg);
/* The connection is over: delivers what waits, with its holes. */
void soc_tcp_stream_flush(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_data_cb cb, void *arg);
/* Frees what waits, without delivering it. */
void soc_tcp_stream_release(soc_tcpreasm *r, soc_tcp_stream *s);

#endif
