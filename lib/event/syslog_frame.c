/*
 * syslog_frame — RFC 6587 framing of a syslog TCP stream, as a pure state
 * machine (include/soc/syslog_frame.h has the rules and the use).
 *
 * Why it looks the way it does:
 *
 *  - Nothing here owns a buffer. The network input keeps one per
 *    connection and asks for the next frame after every read; this module
 *    only says where the frame is and how many bytes it takes. Keeping the
 *    bytes with the caller is what lets the caller hold a frame back when
 *    the journal is full and ask again later: soc_frame_next changes only
 *    what is safe to repeat (how far it has scanned, and the switch to
 *    newline framing, which the same bytes would cause again anyway).
 *
 *  - A scan never starts over: when a newline-framed message is still
 *    incomplete, `scanned` remembers how far there is no terminator, so a
 *    sender trickling a long line one byte at a time costs linear time,
 *    not quadratic.
 *
 *  - Every decision looks only at bytes that are already here, and is
 *    taken only when more bytes could not change it. So the frames do not
 *    depend on how the stream was cut into reads (the fuzz harness checks
 *    exactly that).
 */
#include "soc/syslog_frame.h"

#include <string.h>

#include "soc/journal.h"

_Static_assert(SOC_FRAME_TRUNCATED == SOC_JLINE_TRUNCATED, "frame flags are journal flags");
_Static_assert(SOC_FRAME_PARTIAL == SOC_JLINE_PARTIAL, "frame flags are journal flags");

void soc_frame_init(soc_frame_state *fs, size_t cap) {
  memset(fs, 0, sizeof *fs);
  fs->cap = cap < 1 ? 1 : cap > SOC_FRAME_CAP_MAX ? SOC_FRAME_CAP_MAX : cap;
}

/* The first '\n' or NUL in p[from..n), or NULL. */
static const char *find_term(const char *p, size_t from, size_t n) {
  if (from >= n) return NULL;
  const char *nl = memchr(p + from, '\n', n - from);
  size_t upto = nl ? (size_t)(nl - p) : n;
  const char *nul = memchr(p + from, '\0', upto - from);
  return nul ? nul : nl;
}

/* Octet counting: "LEN SP" at p. Returns 1 with the header length and the
 * count, 0 when it is not a count header (newline framing), -1 when more
 * bytes are needed to tell, -2 for a count that can not be right.
 *
 * A digit run of max + 2 bytes is not a count, whatever follows it: it is
 * as long as a message. Deciding that before looking further matters: if
 * a space right after such a run made it a bad count, the stream would go
 * newline_only or not depending on whether that space came in the same
 * read (the fuzzer found this). */
static int octet_header(size_t max, const char *p, size_t avail, size_t *hdr, size_t *count) {
  size_t i = 0, v = 0;
  while (i < avail && i < max + 2 && p[i] >= '0' && p[i] <= '9') {
    if (i < SOC_FRAME_MAX_DIGITS + 1) v = v * 10 + (size_t)(p[i] - '0');
    i++;
  }
  if (i == max + 2) return 0; /* a digit run as long as a message */
  if (i == avail) return -1;
  if (p[i] != ' ') return 0;
  if (p[0] == '0' || i > SOC_FRAME_MAX_DIGITS || v > max) return -2;
  *hdr = i + 1;
  *count = v;
  return 1;
}

/* The rest of a cut message: up to and with its terminator, or all of it. */
static int skip_frame(const char *p, size_t avail, soc_frame *f) {
  const char *t = find_term(p, 0, avail);
  f->consumed = t ? (size_t)(t - p) + 1 : avail;
  f->skip_rest = !t;
  return SOC_FRAME_SKIPPED;
}

int soc_frame_next(soc_frame_state *fs, const char *p, size_t avail, int eof, soc_frame *f) {
  size_t max = fs->cap;
  memset(f, 0, sizeof *f);
  if (!avail) return SOC_FRAME_NEED_MORE;
  if (fs->skipping) return skip_frame(p, avail, f);
  if (!fs->newline_only && p[0] >= '0' && p[0] <= '9') {
    size_t hdr = 0, count = 0;
    int k = octet_header(max, p, avail, &hdr, &count);
    if (k == 1) {
      f->off = hdr;
      if (avail >= hdr + count) {
        f->len = count;
        f->consumed = hdr + count;
        return SOC_FRAME_MESSAGE;
      }
      if (!eof) return SOC_FRAME_NEED_MORE;
      f->len = avail - hdr;
      f->consumed = avail;
      f->flags = SOC_FRAME_PARTIAL;
      return SOC_FRAME_MESSAGE;
    }
    if (k == -1 && !eof) return SOC_FRAME_NEED_MORE;
    if (k == -2) {
      f->bad_count = 1;
      fs->newline_only = 1;
    }
  }
  size_t window = avail < max + 2 ? avail : max + 2;
  const char *t = find_term(p, fs->scanned < window ? fs->scanned : window, window);
  if (t) {
    size_t len = (size_t)(t - p);
    if (len && p[len - 1] == '\r') len--;
    f->len = len > max ? max : len;
    f->flags = len > max ? SOC_FRAME_TRUNCATED : 0;
    f->consumed = (size_t)(t - p) + 1;
    return SOC_FRAME_MESSAGE;
  }
  fs->scanned = window;
  if (avail >= max + 2) {
    f->len = max;
    f->flags = SOC_FRAME_TRUNCATED;
    f->consumed = max;
    f->skip_rest = 1;
    return SOC_FRAME_MESSAGE;
  }
  if (!eof) return SOC_FRAME_NEED_MORE;
  f->len = avail > max ? max : avail;
  f->flags = SOC_FRAME_PARTIAL | (avail > max ? SOC_FRAME_TRUNCATED : 0);
  f->consumed = avail;
  return SOC_FRAME_MESSAGE;
}

void soc_frame_done(soc_frame_state *fs, const soc_frame *f) {
  fs->scanned = 0;
  fs->skipping = f->skip_rest;
}
