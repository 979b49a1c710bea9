/*
 * syslog_frame — splitting a syslog TCP stream into messages (RFC 6587).
 *
 * This is the framing state machine of the network syslog input, kept
 * apart from the sockets so that it can be unit tested with exact
 * expectations and fuzzed on its own: it reads a caller's buffer, never
 * allocates, never writes outside its state, and never reads past the
 * length it is given.
 *
 * The rules, decided per message as rsyslog and syslog-ng do:
 *
 *  - A frame that starts with a digit run and a space is octet-counted,
 *    "LEN SP MSG": the message is the LEN bytes after the space.
 *  - Anything else runs to a newline or a NUL (some senders use NUL); one
 *    CR before the newline is dropped. The terminator is consumed.
 *  - A count that can not be right (leading zero, more than 8 digits, more
 *    than the cap) is a framing error: the sender is not speaking octet
 *    counting, so the stream is read by newline from then on
 *    (newline_only) and the digits stay part of the message.
 *  - A digit run as long as a message (cap + 2 digits) is not a count
 *    either, whatever follows it: it is framed by newline, this once, and
 *    is no framing error (so the outcome does not depend on where the
 *    reads cut the stream).
 *  - A newline-framed message longer than the cap is cut at the cap and
 *    flagged truncated; when its terminator is not within cap + 2 bytes the
 *    rest of it is skipped up to the terminator (skipping), without being
 *    handed to anyone.
 *  - At the end of the stream (eof) what is left is a frame of its own,
 *    flagged partial (and truncated when longer than the cap).
 *
 * Memory: a caller whose buffer holds cap + SOC_FRAME_SLACK bytes always
 * gets a frame out of a full buffer, so that buffer never needs to grow
 * further (the fuzz harness checks this).
 *
 * Use (p points at the first unprocessed byte, avail counts them):
 *
 *   soc_frame f;
 *   int k = soc_frame_next(&fs, p, avail, eof, &f);
 *   if (f.bad_count) count a framing error;          (even when k == 0)
 *   if (k == SOC_FRAME_NEED_MORE) read more, or stop;
 *   if (k == SOC_FRAME_MESSAGE) hand p[f.off .. f.off + f.len) with f.flags;
 *   if that worked (or k == SOC_FRAME_SKIPPED): drop f.consumed bytes from
 *     the front, then soc_frame_done(&fs, &f).
 *
 * Calling soc_frame_next again on the same bytes without soc_frame_done
 * (the journal said "wait") gives the same frame again.
 */
#ifndef SOC_SYSLOG_FRAME_H
#define SOC_SYSLOG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define SOC_FRAME_SLACK 32u         /* buffer room past the cap: "LEN " and CRLF */
#define SOC_FRAME_CAP_MAX 16777216u /* a count has at most 8 digits */
#define SOC_FRAME_MAX_DIGITS 8

/* Frame flags: the same bits as SOC_JLINE_TRUNCATED and SOC_JLINE_PARTIAL
 * (soc/journal.h), so they can be handed to the journal as they are. */
#define SOC_FRAME_TRUNCATED (1u << 0) /* longer than the cap: cut */
#define SOC_FRAME_PARTIAL (1u << 1)   /* the stream ended inside it */

enum {
  SOC_FRAME_NEED_MORE = 0, /* no frame yet: nothing consumed */
  SOC_FRAME_MESSAGE = 1,   /* a message: hand it, then consume */
  SOC_FRAME_SKIPPED = 2,   /* the rest of a cut message: consume, hand nothing */
};

typedef struct soc_frame_state {
  size_t cap;       /* max message bytes, 1..SOC_FRAME_CAP_MAX */
  size_t scanned;   /* bytes after the front known to hold no terminator */
  int newline_only; /* a bad octet count was seen: no more counting */
  int skipping;     /* discarding the rest of an over-long message */
} soc_frame_state;

typedef struct soc_frame {
  size_t off, len; /* the message: p[off .. off + len), within p[0 .. consumed) */
  size_t consumed; /* bytes from the front that this frame takes (> 0) */
  uint32_t flags;  /* SOC_FRAME_TRUNCATED, SOC_FRAME_PARTIAL */
  int skip_rest;   /* once consumed: skip up to the next terminator */
  int bad_count;   /* this call found a bad count and went newline_only */
} soc_frame;

/* A fresh stream's state. cap is clamped to 1..SOC_FRAME_CAP_MAX. */
void soc_frame_init(soc_frame_state *fs, size_t cap);

/* The next frame in p[0 .. avail). eof: no more bytes will come. Returns
 * SOC_FRAME_NEED_MORE, SOC_FRAME_MESSAGE or SOC_FRAME_SKIPPED and fills *f
 * (OUT: always, bad_count included). May update fs->scanned and
 * fs->newline_only (safe to repeat); consumes nothing by itself. */
int soc_frame_next(soc_frame_state *fs, const char *p, size_t avail, int eof, soc_frame *f);

/* The caller dropped f->consumed bytes from the front: moves to the next
 * frame. */
void soc_frame_done(soc_frame_state *fs, const soc_frame *f);

#endif
