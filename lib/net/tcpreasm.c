/*
 * tcpreasm — see the header.
 *
 * Offsets are 64-bit stream offsets, computed from the 32-bit sequence
 * numbers relative to the next expected one, so wrap-around costs nothing
 * and a segment from before the stream's start (a retransmitted SYN's
 * data, an old duplicate) shows up as a negative offset and is trimmed.
 *
 * Waiting segments are kept non-overlapping: a new one is cut into the
 * pieces that fill holes between those already waiting (first-wins), so
 * delivery never has to choose between two copies.
 */
#include "soc/tcpreasm.h"

#include <stdlib.h>
#include <string.h>

struct soc_tcpreasm {
  soc_tcpreasm_opts o;
  soc_tcpreasm_stats st;
  size_t pending; /* bytes waiting in all streams */
};

soc_tcpreasm *soc_tcpreasm_new(const soc_tcpreasm_opts *opts) {
  soc_tcpreasm *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (opts) r->o = *opts;
  if (!r->o.depth) r->o.depth = 1u << 20;
  if (!r->o.max_pending) r->o.max_pending = 256u << 10;
  if (!r->o.memcap) r->o.memcap = 64u << 20;
  return r;
}

void soc_tcpreasm_free(soc_tcpreasm *r) { free(r); }
const soc_tcpreasm_stats *soc_tcpreasm_stats_get(const soc_tcpreasm *r) { return &r->st; }
uint64_t soc_tcpreasm_depth(const soc_tcpreasm *r) { return r->o.depth; }

void soc_tcp_stream_syn(soc_tcp_stream *s, uint32_t seq) {
  if (s->started) return;
  s->started = 1;
  s->next_seq = seq + 1;
  s->next = 0;
}

/* Hands [data, data+len) at the stream's next offset to cb, within depth. */
static void deliver(soc_tcpreasm *r, soc_tcp_stream *s, const uint8_t *data, size_t len,
                    soc_tcp_data_cb cb, void *arg) {
  if (s->done) return;
  if (s->next + len >= r->o.depth) {
    len = (size_t)(r->o.depth - s->next);
    s->done = 1;
    r->st.depth_reached++;
  }
  if (len) {
    if (data) {
      cb(arg, data, len, s->next);
    } else {
      r->st.gaps++;
      r->st.gap_bytes += (int64_t)len;
      cb(arg, NULL, len, s->next);
    }
  }
  s->next += len;
  s->next_seq += (uint32_t)len;
}

static void seg_free(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_seg *g) {
  s->pending_bytes -= g->len;
  r->pending -= g->len;
  free(g);
}

/* Delivers the waiting segments that have become contiguous. */
static void drain(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_data_cb cb, void *arg) {
  while (s->pending && s->pending->off <= s->next) {
    soc_tcp_seg *g = s->pending;
    s->pending = g->next;
    uint64_t end = g->off + g->len;
    if (end > s->next) {
      size_t skip = (size_t)(s->next - g->off);
      deliver(r, s, g->data + skip, g->len - skip, cb, arg);
    }
    seg_free(r, s, g);
  }
  if (s->done) soc_tcp_stream_release(r, s);
}

/* Gives up on the hole before the first waiting segment. */
static void skip_hole(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_data_cb cb, void *arg) {
  if (!s->pending) return;
  deliver(r, s, NULL, (size_t)(s->pending->off - s->next), cb, arg);
  drain(r, s, cb, arg);
}

static int wait_piece(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_seg **at, uint64_t off,
                      const uint8_t *data, size_t len) {
  soc_tcp_seg *g = malloc(sizeof *g + len);
  if (!g) return -1;
  g->off = off;
  g->len = (uint32_t)len;
  memcpy(g->data, data, len);
  g->next = *at;
  *at = g;
  s->pending_bytes += len;
  r->pending += len;
  return 0;
}

/* Counts differing bytes where [off, off+len) meets what waits at g. */
static int differs(const soc_tcp_seg *g, uint64_t off, const uint8_t *data, size_t len) {
  uint64_t from = off > g->off ? off : g->off;
  uint64_t to = off + len < g->off + g->len ? off + len : g->off + g->len;
  return from < to && memcmp(g->data + (from - g->off), data + (from - off), (size_t)(to - from));
}

/* Puts the parts of [off, off+len) not already waiting into the list. */
static void wait_segment(soc_tcpreasm *r, soc_tcp_stream *s, uint64_t off, const uint8_t *data,
                         size_t len) {
  uint64_t c = off, end = off + len;
  int overlap = 0, conflict = 0;
  soc_tcp_seg **at = &s->pending;
  for (; *at && c < end; at = &(*at)->next) {
    soc_tcp_seg *g = *at;
    uint64_t gend = g->off + g->len;
    if (gend <= c) continue;
    if (g->off >= end) break;
    overlap = 1;
    conflict |= differs(g, off, data, len);
    if (g->off > c) {
      if (wait_piece(r, s, at, c, data + (c - off), (size_t)(g->off - c)) < 0) return;
      at = &(*at)->next; /* now at g again */
    }
    c = gend;
  }
  if (c < end) wait_piece(r, s, at, c, data + (c - off), (size_t)(end - c));
  if (overlap) r->st.overlaps++;
  if (conflict) r->st.overlap_conflicts++;
}

void soc_tcp_stream_add(soc_tcpreasm *r, soc_tcp_stream *s, uint32_t seq, const uint8_t *data,
                        size_t len, soc_tcp_data_cb cb, void *arg) {
  if (!len) return;
  r->st.segments++;
  if (!s->started) {
    s->started = 1;
    s->next_seq = seq;
  }
  if (s->done) return;
  int64_t o = (int64_t)s->next + (int32_t)(seq - s->next_seq);
  if (o < 0) { /* begins before the stream did */
    if ((uint64_t)-o >= len) {
      r->st.retransmissions++;
      return;
    }
    data += (size_t)-o;
    len -= (size_t)-o;
    o = 0;
  }
  uint64_t off = (uint64_t)o;
  uint64_t end = off + len;
  if (end <= s->next) {
    r->st.retransmissions++;
    return;
  }
  if (off < s->next) {
    /* Bytes already delivered win; the rest is new. */
    r->st.overlaps++;
    size_t skip = (size_t)(s->next - off);
    data += skip;
    len -= skip;
    off = s->next;
  }
  if (off == s->next) {
    /* What waits and overlaps this segment keeps its bytes: deliver only
     * up to the first waiting segment, then let drain do the rest. */
    size_t n = len;
    if (s->pending && s->pending->off < end) {
      n = (size_t)(s->pending->off - off);
      wait_segment(r, s, off + n, data + n, len - n);
    }
    deliver(r, s, data, n, cb, arg);
    drain(r, s, cb, arg);
    return;
  }
  r->st.out_of_order++;
  if (off >= r->o.depth) return; /* will never be delivered */
  if (end > r->o.depth) len = (size_t)(r->o.depth - off);
  while (s->pending &&
         (s->pending_bytes + len > r->o.max_pending || r->pending + len > r->o.memcap)) {
    if (r->pending + len > r->o.memcap) r->st.memcap_reached++;
    skip_hole(r, s, cb, arg);
    if (s->done) return;
  }
  if (off < s->next) { /* the skip went past part of it */
    if (off + len <= s->next) return;
    size_t skip = (size_t)(s->next - off);
    data += skip;
    len -= skip;
    off = s->next;
  }
  if (len > r->o.max_pending || r->pending + len > r->o.memcap) {
    r->st.memcap_reached++;
    return;
  }
  if (off == s->next) {
    deliver(r, s, data, len, cb, arg);
    drain(r, s, cb, arg);
    return;
  }
  wait_segment(r, s, off, data, len);
}

void soc_tcp_stream_flush(soc_tcpreasm *r, soc_tcp_stream *s, soc_tcp_data_cb cb, void *arg) {
  while (s->pending && !s->done) skip_hole(r, s, cb, arg);
  soc_tcp_stream_release(r, s);
}

void soc_tcp_stream_release(soc_tcpreasm *r, soc_tcp_stream *s) {
  while (s->pending) {
    soc_tcp_seg *g = s->pending;
    s->pending = g->next;
    seg_free(r, s, g);
  }
}
