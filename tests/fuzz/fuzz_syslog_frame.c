/*
 * libFuzzer harness: the syslog TCP framer (lib/syslog_frame.c) on an
 * arbitrary stream, read the way the network input reads a connection.
 *
 * Input layout:
 *   byte 0-1   the cap (max message bytes): 1 + (little-endian u16 % 4096)
 *   byte 2     n, the number of read-plan bytes that follow (n % 32)
 *   n bytes    the read plan, used in a cycle: read (b & 0x7f) + 1 bytes,
 *              and when b & 0x80, say "journal full" to the first frame
 *              after that read (it must come back the same when asked again)
 *   the rest   the stream; the peer closes after it (eof)
 *
 * The stream is framed twice into a buffer of cap + SOC_FRAME_SLACK bytes,
 * as the input holds it: once reading as much as fits each time, once
 * following the read plan. Each call must keep the invariants below, and
 * both runs must give the same messages (same stream position, length,
 * flags, bytes taken) and the same framing errors: a message may not
 * depend on how TCP cut the stream. Any violation traps.
 *
 * Invariants of a call with avail bytes:
 *   - a frame lies within the buffer: off + len <= consumed <= avail, and
 *     consumed > 0; a message is at most cap bytes; skipped bytes carry no
 *     message; truncated means exactly cap bytes; partial only at eof
 *   - progress: at eof, or with a full buffer, a call never needs more
 *   - the total consumed never exceeds the stream, and at the end it is
 *     all of it
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/syslog_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                \
  do {                          \
    if (!(x)) __builtin_trap(); \
  } while (0)

typedef struct rec {
  int kind;
  size_t pos, len; /* the message: stream[pos .. pos + len) */
  size_t consumed;
  uint32_t flags;
} rec;

typedef struct run {
  const uint8_t *stream;
  size_t size;
  const uint8_t *plan; /* NULL: read as much as fits */
  size_t nplan;
  rec *recs; /* frames seen (at most size + 1) */
  size_t nrecs;
  size_t bad_counts;
} run;

static void check_frame(const soc_frame_state *fs, int k, const soc_frame *f, size_t avail,
                        size_t bufsize, int eof) {
  CHECK(k == SOC_FRAME_NEED_MORE || k == SOC_FRAME_MESSAGE || k == SOC_FRAME_SKIPPED);
  CHECK((f->flags & ~(uint32_t)(SOC_FRAME_TRUNCATED | SOC_FRAME_PARTIAL)) == 0);
  if (k == SOC_FRAME_NEED_MORE) {
    CHECK(f->consumed == 0 && f->len == 0 && f->flags == 0);
    CHECK(!eof || avail == 0); /* at eof everything is a frame */
    CHECK(avail < bufsize);    /* a full buffer always holds a frame */
    return;
  }
  CHECK(f->consumed > 0 && f->consumed <= avail);
  CHECK(f->off <= f->consumed && f->len <= f->consumed - f->off);
  CHECK(f->len <= fs->cap);
  if (f->flags & SOC_FRAME_TRUNCATED) CHECK(f->len == fs->cap);
  if (f->flags & SOC_FRAME_PARTIAL) CHECK(eof && f->consumed == avail);
  if (k == SOC_FRAME_SKIPPED) CHECK(f->off == 0 && f->len == 0 && f->flags == 0);
}

static int same_frame(const soc_frame *a, const soc_frame *b) {
  return a->off == b->off && a->len == b->len && a->consumed == b->consumed &&
         a->flags == b->flags && a->skip_rest == b->skip_rest;
}

/* Frames what the buffer holds, like the input's conn_process. */
static void process(run *r, soc_frame_state *fs, char *buf, size_t *len, size_t bufsize, int eof,
                    int refuse, size_t *total) {
  size_t start = 0;
  while (start < *len) {
    soc_frame f;
    size_t avail = *len - start;
    int k = soc_frame_next(fs, buf + start, avail, eof, &f);
    r->bad_counts += (size_t)f.bad_count;
    check_frame(fs, k, &f, avail, bufsize, eof);
    if (k == SOC_FRAME_NEED_MORE) break;
    if (refuse) {
      /* The journal is full: nothing is consumed, and asking again must
       * give the same frame (and no second framing error). */
      soc_frame g;
      refuse = 0;
      int k2 = soc_frame_next(fs, buf + start, avail, eof, &g);
      CHECK(k2 == k && same_frame(&f, &g) && !g.bad_count);
    }
    /* Skipped bytes are taken as they come (how many per call depends on
     * the reads); messages may not depend on them. */
    if (k == SOC_FRAME_MESSAGE) {
      CHECK(r->nrecs <= r->size);
      r->recs[r->nrecs++] = (rec){
          .kind = k, .pos = *total + f.off, .len = f.len, .consumed = f.consumed, .flags = f.flags};
    }
    start += f.consumed;
    *total += f.consumed;
    CHECK(*total <= r->size);
    soc_frame_done(fs, &f);
  }
  memmove(buf, buf + start, *len - start);
  *len -= start;
}

static void frame_stream(run *r, size_t cap, char *buf) {
  soc_frame_state fs;
  size_t bufsize = cap + SOC_FRAME_SLACK, len = 0, fed = 0, total = 0, step = 0;
  soc_frame_init(&fs, cap);
  CHECK(fs.cap == cap);
  while (fed < r->size) {
    size_t room = bufsize - len, want = room, refuse = 0;
    CHECK(room > 0); /* a full buffer was always framed */
    if (r->plan) {
      uint8_t b = r->plan[step++ % r->nplan];
      want = (size_t)(b & 0x7f) + 1;
      refuse = b & 0x80;
      if (want > room) want = room;
    }
    if (want > r->size - fed) want = r->size - fed;
    memcpy(buf + len, r->stream + fed, want);
    len += want;
    fed += want;
    size_t before = total;
    process(r, &fs, buf, &len, bufsize, 0, refuse != 0, &total);
    CHECK(total >= before);
  }
  process(r, &fs, buf, &len, bufsize, 1, 0, &total);
  CHECK(len == 0 && total == r->size); /* eof: everything was framed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  size_t cap = 1 + (size_t)((data[0] | (unsigned)data[1] << 8) % 4096u);
  size_t nplan = data[2] % 32u;
  if (size < 3 + nplan) return 0;
  const uint8_t *plan = data + 3, *stream = data + 3 + nplan;
  size_t ssize = size - 3 - nplan;

  char *buf = malloc(cap + SOC_FRAME_SLACK);
  rec *ra = malloc((ssize + 1) * sizeof *ra), *rb = malloc((ssize + 1) * sizeof *rb);
  CHECK(buf && ra && rb);
  run a = {.stream = stream, .size = ssize, .recs = ra};
  frame_stream(&a, cap, buf);
  if (nplan) {
    run b = {.stream = stream, .size = ssize, .plan = plan, .nplan = nplan, .recs = rb};
    frame_stream(&b, cap, buf);
    CHECK(a.nrecs == b.nrecs && a.bad_counts == b.bad_counts);
    for (size_t i = 0; i < a.nrecs; i++)
      CHECK(ra[i].kind == rb[i].kind && ra[i].pos == rb[i].pos && ra[i].len == rb[i].len &&
            ra[i].consumed == rb[i].consumed && ra[i].flags == rb[i].flags);
  }
  free(buf);
  free(ra);
  free(rb);
  return 0;
}
