/*
 * utf8 — a validator and a repairer that every log line passes through.
 *
 * Nearly all log text is ASCII, so the hot loop checks eight bytes at a time
 * for a high bit or a zero byte and only drops to the byte-wise decoder
 * when it sees one. The decoder follows table 3-7 of the Unicode standard
 * literally: the lead byte fixes how many continuation bytes follow and the
 * allowed range of the first of them, which is what rules out overlongs
 * (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points past
 * U+10FFFF (F4 90..BF). When a sequence breaks off, the bytes read so far
 * form one "maximal subpart" and earn one U+FFFD, and decoding resumes at
 * the byte that broke it; that byte may well start a good character.
 */
#include "soc/utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};

#ifdef __SSE2__
/* A vector whose bytes have their high bit set where v holds a NUL or a
 * byte past 7F. */
static inline __m128i not_ascii(__m128i v) {
  return _mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128()));
}
#endif

/* Length of the run of bytes 01..7F at the start of p[0..n). Every line
 * ingested is checked: 16 bytes a step where the CPU has SSE2 (every
 * x86-64), a byte's high bit and a NUL found by one mask; 64 bytes a step
 * while they are all ASCII (one mask and one branch for four vectors; a
 * mixed-lines line is ~155 bytes), the 16-byte steps finding the place. */
static size_t ascii_run(const uint8_t *p, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  while (n - i >= 64) {
    const __m128i *q = (const __m128i *)(const void *)(p + i);
    __m128i a = _mm_or_si128(not_ascii(_mm_loadu_si128(q)), not_ascii(_mm_loadu_si128(q + 1)));
    __m128i b = _mm_or_si128(not_ascii(_mm_loadu_si128(q + 2)), not_ascii(_mm_loadu_si128(q + 3)));
    if (_mm_movemask_epi8(_mm_or_si128(a, b))) break;
    i += 64;
  }
  while (n - i >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
    unsigned stop = (unsigned)_mm_movemask_epi8(not_ascii(v));
    if (stop) return i + (size_t)__builtin_ctz(stop);
    i += 16;
  }
  if (i < n && n >= 16) { /* the last 16 bytes, overlapping those checked */
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
    unsigned stop = (unsigned)_mm_movemask_epi8(not_ascii(v));
    return stop ? n - 16 + (size_t)__builtin_ctz(stop) : n;
  }
#endif
  while (n - i >= 8) {
    uint64_t w;
    memcpy(&w, p + i, sizeof w);
    if (soc_word_not_ascii(w)) break;
    i += 8;
  }
  while (i < n && (unsigned)p[i] - 1u < 0x7fu) i++;
  return i;
}

/* Length (1..4) of the well-formed character that starts p[0..n), n >= 1,
 * or 0 when there is none; then *bad is the length of the maximal
 * ill-formed subpart to replace, at least 1. */
static size_t char_len(const uint8_t *p, size_t n, size_t *bad) {
  uint8_t b = p[0];
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;
  *bad = 1;
  if (b >= 0x01 && b <= 0x7F) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < 2 || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < need; i++) {
    if (i >= n || p[i] < 0x80 || p[i] > 0xBF) {
      *bad = i;
      return 0;
    }
  }
  return need;
}

size_t soc_utf8_valid_prefix(const void *s, size_t len) {
  const uint8_t *p = s;
  size_t i = 0, bad;
  while (i < len) {
    i += ascii_run(p + i, len - i);
    if (i == len) break;
    size_t c = char_len(p + i, len - i, &bad);
    if (!c) break;
    i += c;
  }
  return i;
}

int soc_utf8_repair(const void *in, size_t len, char *out, size_t outcap, size_t *outlen,
                    size_t *replaced) {
  int result = -EINVAL;
  const uint8_t *p = in;
  size_t i = 0, o = 0, nrep = 0, bad, room;
  if (!out || !outcap || (!in && len)) goto out;
  room = outcap - 1;
  while (i < len) {
    size_t valid = soc_utf8_valid_prefix(p + i, len - i);
    size_t fit = valid;
    if (fit > room - o) {
      /* Back off to a character boundary: p[i + fit] lies inside the valid
       * run, so it is either a lead byte or a continuation byte. */
      fit = room - o;
      while (fit && (p[i + fit] & 0xC0) == 0x80) fit--;
    }
    memcpy(out + o, p + i, fit);
    o += fit;
    i += fit;
    if (fit < valid) {
      result = -ENOSPC;
      goto out;
    }
    if (i == len) break;
    if (room - o < sizeof replacement) {
      result = -ENOSPC;
      goto out;
    }
    (void)char_len(p + i, len - i, &bad);
    memcpy(out + o, replacement, sizeof replacement);
    o += sizeof replacement;
    nrep++;
    i += bad;
  }
  result = 0;
out:
  if (out && outcap) out[o] = '\0';
  if (outlen) *outlen = o;
  if (replaced) *replaced = nrep;
  return result;
}

char *soc_utf8_printable(const char *in, char *out, size_t outcap) {
  char text[4096];
  size_t len = 0, o = 0;
  if (!out || !outcap) return out;
  /* A name longer than text is cut: a listing shows names, not books. */
  soc_utf8_repair(in ? in : "", in ? strnlen(in, sizeof text / 3 - 1) : 0, text, sizeof text, &len,
                  NULL);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    int c1 = c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] < 0xa0;
    if (c < 0x20 || c == 0x7f || c1) {
      size_t n = c1 ? 8 : 4;
      if (outcap - o <= n) break;
      if (c1)
        snprintf(out + o, outcap - o, "\\x%02x\\x%02x", c, (unsigned char)text[i + 1]);
      else
        snprintf(out + o, outcap - o, "\\x%02x", c);
      o += n;
      i += (size_t)c1;
      continue;
    }
    /* whole characters only: a lead byte and its continuation bytes */
    size_t n = 1;
    while (i + n < len && ((unsigned char)text[i + n] & 0xc0) == 0x80) n++;
    if (outcap - o <= n) break;
    memcpy(out + o, text + i, n);
    o += n;
    i += n - 1;
  }
  out[o] = '\0';
  return out;
}
