/*
 * utf8 — checking and repairing text from untrusted sources.
 *
 * "Text" here means well-formed UTF-8 (Unicode §3.9, table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF) that contains no NUL
 * byte. NUL is refused although UTF-8 allows it, because everything past
 * this point is C strings and JSON via libfastjson, and both would cut the
 * value at the NUL without a word.
 *
 * Repair replaces each maximal ill-formed subpart with U+FFFD (the
 * replacement character, bytes EF BF BD), as Unicode recommends and as
 * browsers and Python do. We chose U+FFFD over a "\xNN" spelling because a
 * "\xNN" cannot be told apart from the same four characters in a genuine
 * log line, and rules that match text would start matching our repairs. The
 * raw bytes are not lost: the journal keeps what was read; the repaired copy
 * is only what goes into JSON. Logs in Big5 should be converted at the input;
 * this is the safety net for what slips through.
 *
 * Both functions are total: any bytes, any length, no allocation.
 */
#ifndef SOC_UTF8_H
#define SOC_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* p[0..n), n < 8, as the low-addressed bytes of a word whose other bytes
 * are pad's: for the word-at-a-time scans here and in the JSON writer,
 * without a call to memcpy for a length that is not a constant (most
 * values are this short, and the call cost more than the bytes). */
static inline uint64_t soc_load_short(const void *p, size_t n, uint64_t pad) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint8_t *b = p;
  uint64_t v = 0, low = (UINT64_C(1) << (8 * n)) - 1;
  if (n >= 4) { /* two loads that overlap */
    uint32_t lo, hi;
    memcpy(&lo, b, sizeof lo);
    memcpy(&hi, b + n - 4, sizeof hi);
    v = (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
  } else {
    for (size_t k = 0; k < n; k++) v |= (uint64_t)b[k] << (8 * k);
  }
  return v | (pad & ~low);
#else
  if (n) memcpy(&pad, p, n);
  return pad;
#endif
}

/* Copies src[0..n) to dst a word at a time while stop(word) is 0 for every
 * word: 0 when all of it was copied, 1 as soon as a word is stopped on
 * (dst then holds part of it). A source under 8 bytes is padded with pad,
 * which stop must pass, and stored whole: dst needs 8 bytes of room then.
 * The tail of a longer one is its last eight bytes, overlapping what was
 * copied. Inlined where stop is a constant, so is stop: the UTF-8 copy and
 * the JSON writer each keep their own check inside the loop. */
static inline int soc_copy_words_until(char *dst, const void *src, size_t n, uint64_t pad,
                                       int (*stop)(uint64_t)) {
  const char *p = src;
  uint64_t w = pad;
  size_t i = 0;
  if (n < 8) {
    w = soc_load_short(p, n, w);
    memcpy(dst, &w, sizeof w);
    return stop(w);
  }
  for (; n - i > 8; i += 8) {
    memcpy(&w, p + i, sizeof w);
    if (stop(w)) return 1;
    memcpy(dst + i, &w, sizeof w);
  }
  memcpy(&w, p + n - 8, sizeof w);
  memcpy(dst + n - 8, &w, sizeof w);
  return stop(w);
}

/* Worst-case size of a repaired copy of n input bytes, without the NUL
 * terminator: every byte may become one 3-byte U+FFFD. */
#define SOC_UTF8_REPAIRED_MAX(n) ((n)*3)

/* Length of the longest prefix of s[0..len) that is text; equal to len
 * exactly when all of it is. s may be NULL when len is 0. */
size_t soc_utf8_valid_prefix(const void *s, size_t len);

/* The high bit set in each byte of w that may equal c, for word-at-a-time
 * searches: the lowest byte flagged is always a genuine one, a byte above
 * it may be flagged without being one (Hacker's Delight 6-1). */
static inline uint64_t soc_word_has_byte(uint64_t w, uint8_t c) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
  const uint64_t x = w ^ (ones * c);
  return (x - ones) & ~x & highs;
}

/* Whether the 8 bytes in w hold one that is not ASCII, or a NUL: the high
 * bit of a byte, or of (w - ones) & ~w in the lowest zero byte, if any. */
static inline int soc_word_not_ascii(uint64_t w) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
  return ((w | ((w - ones) & ~w)) & highs) != 0;
}

/* Copies src[0..n) to dst, a word at a time, while checking that it is
 * ASCII without NUL (text that needs no repair): 1 when it is, 0 as soon
 * as it is not (dst then holds part of it). dst must have room for n + 8
 * bytes: it may be written up to 8 bytes past n. Not NUL-terminated.
 * Inline: every value an event is given goes through it, most of them a
 * few words long. */
static inline int soc_utf8_copy_ascii(char *dst, const void *src, size_t n) {
  return !soc_copy_words_until(dst, src, n, UINT64_C(0x0101010101010101) * 'a', soc_word_not_ascii);
}

/* Copies in[0..len) to out as text, replacing what is not, and
 * NUL-terminates it. At most outcap - 1 bytes are written before the NUL,
 * and a cut only ever falls between whole characters, so out is always text.
 *
 * OUT: *outlen, the bytes written before the NUL (may be NULL).
 * OUT: *replaced, how many U+FFFD were put in for bad input, counting only
 *      those that fit into out (may be NULL).
 * Returns 0 when all of in was copied, -ENOSPC when out was too small (out
 * then holds the repaired prefix that fit), -EINVAL when out is NULL or
 * outcap is 0, or when in is NULL with a non-zero len. */
int soc_utf8_repair(const void *in, size_t len, char *out, size_t outcap, size_t *outlen,
                    size_t *replaced);

/* Worst case of soc_utf8_printable for n bytes of text, without the NUL. */
#define SOC_UTF8_PRINTABLE_MAX(n) ((n)*4)
#define SOC_UTF8_PRINTABLE_BUF(n) (SOC_UTF8_PRINTABLE_MAX(n) + 1) /* with the NUL */
/* Copies the C string in to out for a terminal: every control character
 * (C0, DEL and the C1 range U+0080-U+009F, where escape sequences start)
 * becomes \xHH per byte, so a name or a reason that somebody typed, or a
 * message carried, can neither clear the screen nor forge a line. Text that
 * is not UTF-8 is repaired first. Cut, never between a character's bytes,
 * to outcap - 1 bytes and NUL-terminated. Returns out. */
char *soc_utf8_printable(const char *in, char *out, size_t outcap);

#endif
