/*
 * Unit tests for syslog_frame (RFC 6587 framing of a syslog TCP stream).
 *
 * Each case frames a stream the way the network input does (frame, hand,
 * drop the bytes, next) and compares the messages with an exact string:
 * every message followed by "/T" when truncated, "/P" when partial, and
 * ";". Skipped bytes show nowhere; the bytes left over and the framing
 * errors are checked separately.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "soc/journal.h"
#include "soc/syslog_frame.h"

typedef struct result {
  char out[512];
  size_t left;    /* bytes not consumed */
  unsigned bad;   /* framing errors */
  unsigned skips; /* SOC_FRAME_SKIPPED frames */
} result;

/* Frames p[0..n) with fs, appending to r. */
static void feed(soc_frame_state *fs, const char *p, size_t n, int eof, result *r) {
  size_t start = 0;
  while (start < n) {
    soc_frame f;
    int k = soc_frame_next(fs, p + start, n - start, eof, &f);
    r->bad += (unsigned)f.bad_count;
    if (k == SOC_FRAME_NEED_MORE) break;
    assert_true(f.consumed > 0 && f.consumed <= n - start);
    if (k == SOC_FRAME_MESSAGE) {
      size_t o = strlen(r->out);
      snprintf(r->out + o, sizeof r->out - o, "%.*s%s%s;", (int)f.len, p + start + f.off,
               (f.flags & SOC_FRAME_TRUNCATED) ? "/T" : "",
               (f.flags & SOC_FRAME_PARTIAL) ? "/P" : "");
    } else {
      assert_int_equal(k, SOC_FRAME_SKIPPED);
      r->skips++;
    }
    start += f.consumed;
    soc_frame_done(fs, &f);
  }
  r->left = n - start;
}

static result frame_n(size_t cap, const char *p, size_t n, int eof) {
  soc_frame_state fs;
  result r;
  memset(&r, 0, sizeof r);
  soc_frame_init(&fs, cap);
  feed(&fs, p, n, eof, &r);
  return r;
}

static result frame(size_t cap, const char *s, int eof) { return frame_n(cap, s, strlen(s), eof); }

static void test_octet_counting(void **state) {
  (void)state;
  result r = frame(1024, "5 hello6 world!12 with\nnewline", 0);
  assert_string_equal(r.out, "hello;world!;with\nnewline;");
  assert_int_equal(r.left, 0);
  assert_int_equal(r.bad, 0);
  r = frame(1024, "1 x10 0123456789", 0);
  assert_string_equal(r.out, "x;0123456789;");
}

static void test_newline_and_nul(void **state) {
  (void)state;
  result r = frame(1024, "a\nb\r\nc\n\nd", 0);
  assert_string_equal(r.out, "a;b;c;;");
  assert_int_equal(r.left, 1); /* "d" waits for its newline */
  r = frame_n(1024, "one\0two\0three\n", 14, 0);
  assert_string_equal(r.out, "one;two;three;");
  assert_int_equal(r.left, 0);
  /* only one CR is framing; a CR elsewhere is content */
  r = frame(1024, "x\r\r\ny\rz\n", 0);
  assert_string_equal(r.out, "x\r;y\rz;");
  /* a digit run not followed by a space is newline framed, not an error */
  r = frame(1024, "123abc\n42\n", 0);
  assert_string_equal(r.out, "123abc;42;");
  assert_int_equal(r.bad, 0);
}

static void test_mixed(void **state) {
  (void)state;
  result r = frame(1024, "3 abcxyz\n4 1234<13>plain\r\n2 ok", 0);
  assert_string_equal(r.out, "abc;xyz;1234;<13>plain;ok;");
  assert_int_equal(r.left, 0);
}

static void test_bad_counts(void **state) {
  (void)state;
  /* leading zero: the digits stay in the message, counting stops for good */
  result r = frame(1024, "05 hello\n3 abc\n", 0);
  assert_string_equal(r.out, "05 hello;3 abc;");
  assert_int_equal(r.bad, 1);
  /* more than 8 digits */
  r = frame(1024, "123456789 x\n", 0);
  assert_string_equal(r.out, "123456789 x;");
  assert_int_equal(r.bad, 1);
  /* past the cap: cut there (the terminator is within cap + 2) */
  r = frame(10, "11 hello world\n2 ab\n", 0);
  assert_string_equal(r.out, "11 hello w/T;2 ab;");
  assert_int_equal(r.bad, 1);
  /* a count equal to the cap is fine */
  r = frame(10, "10 0123456789", 0);
  assert_string_equal(r.out, "0123456789;");
  assert_int_equal(r.bad, 0);
  /* the error is counted once, even when the line is not complete yet */
  soc_frame_state fs;
  soc_frame_init(&fs, 1024);
  memset(&r, 0, sizeof r);
  feed(&fs, "07 par", 6, 0, &r);
  assert_int_equal(r.bad, 1);
  assert_int_equal(r.left, 6);
  assert_true(fs.newline_only);
  feed(&fs, "07 partial\n", 11, 0, &r);
  assert_string_equal(r.out, "07 partial;");
  assert_int_equal(r.bad, 1);
}

static void test_huge_counts(void **state) {
  (void)state;
  /* 8 digits, far past the cap */
  result r = frame(480, "99999999 x\n", 0);
  assert_string_equal(r.out, "99999999 x;");
  assert_int_equal(r.bad, 1);
  /* a digit run as long as a message: not a count; cut, the rest skipped */
  soc_frame_state fs;
  soc_frame_init(&fs, 4);
  memset(&r, 0, sizeof r);
  feed(&fs, "12345", 5, 0, &r);
  assert_string_equal(r.out, ""); /* 5 < cap + 2: might still be a count */
  assert_int_equal(r.left, 5);
  feed(&fs, "123456", 6, 0, &r);
  assert_string_equal(r.out, "1234/T;");
  assert_true(fs.skipping);
  feed(&fs, "5678\nok\n", 8, 0, &r);
  assert_string_equal(r.out, "1234/T;ok;");
  assert_int_equal(r.bad, 0);
  assert_false(fs.skipping);
  /* such a run followed by a space is the same, not a bad count: the
   * answer must not depend on whether the space came in the same read */
  r = frame(4, "123456 x\n3 abc", 0);
  assert_string_equal(r.out, "1234/T;abc;");
  assert_int_equal(r.bad, 0);
  r = frame(4, "12345 x\n3 ab\n", 0); /* one digit less: a bad count */
  assert_string_equal(r.out, "1234/T;3 ab;");
  assert_int_equal(r.bad, 1);
}

static void test_over_long(void **state) {
  (void)state;
  /* terminator within cap + 2: cut, the terminator consumed, nothing skipped */
  result r = frame(5, "abcdef\nnext\n", 0);
  assert_string_equal(r.out, "abcde/T;next;");
  assert_int_equal(r.skips, 0);
  /* cap bytes and CRLF fit; one more byte and the LF is past cap + 2 */
  r = frame(5, "abcde\r\nnext\n", 0);
  assert_string_equal(r.out, "abcde;next;");
  r = frame(5, "abcdef\r\nnext\n", 0);
  assert_string_equal(r.out, "abcde/T;next;");
  assert_int_equal(r.skips, 1);
  /* past it: cut at the cap, the rest skipped up to its terminator */
  r = frame(5, "abcdefghij\nnext\n", 0);
  assert_string_equal(r.out, "abcde/T;next;");
  assert_int_equal(r.skips, 1);
  /* a NUL ends the skip too */
  r = frame_n(5, "abcdefghij\0next\n", 16, 0);
  assert_string_equal(r.out, "abcde/T;next;");
  /* a skip that runs to the end of the bytes keeps skipping */
  soc_frame_state fs;
  soc_frame_init(&fs, 5);
  memset(&r, 0, sizeof r);
  feed(&fs, "abcdefghij", 10, 0, &r);
  assert_string_equal(r.out, "abcde/T;");
  assert_int_equal(r.left, 0);
  assert_true(fs.skipping);
  feed(&fs, "klm", 3, 0, &r);
  assert_int_equal(r.left, 0);
  assert_true(fs.skipping);
  feed(&fs, "n\nz\n", 4, 0, &r);
  assert_string_equal(r.out, "abcde/T;z;");
  assert_false(fs.skipping);
}

static void test_partials(void **state) {
  (void)state;
  result r = frame(1024, "5 abc", 0);
  assert_string_equal(r.out, "");
  assert_int_equal(r.left, 5);
  r = frame(1024, "5 abc", 1);
  assert_string_equal(r.out, "abc/P;");
  assert_int_equal(r.left, 0);
  r = frame(1024, "line\nrest", 1);
  assert_string_equal(r.out, "line;rest/P;");
  r = frame(1024, "12", 1); /* digits cut short: a message of their own */
  assert_string_equal(r.out, "12/P;");
  r = frame(1024, "12 ", 1); /* a count with nothing after it */
  assert_string_equal(r.out, "/P;");
  r = frame(3, "abcd", 1); /* longer than the cap, shorter than cap + 2 */
  assert_string_equal(r.out, "abc/T/P;");
  /* at eof a bad count still goes to newline framing */
  r = frame(1024, "0 x", 1);
  assert_string_equal(r.out, "0 x/P;");
  assert_int_equal(r.bad, 1);
}

/* Asking again without soc_frame_done (the journal was full) gives the
 * same frame; a line trickled byte by byte frames as it would whole. */
static void test_repeat_and_trickle(void **state) {
  (void)state;
  soc_frame_state fs;
  soc_frame f, g;
  soc_frame_init(&fs, 1024);
  assert_int_equal(soc_frame_next(&fs, "hello\nx", 7, 0, &f), SOC_FRAME_MESSAGE);
  assert_int_equal(soc_frame_next(&fs, "hello\nx", 7, 0, &g), SOC_FRAME_MESSAGE);
  assert_true(f.off == g.off && f.len == g.len && f.consumed == g.consumed && f.flags == g.flags &&
              f.skip_rest == g.skip_rest);
  assert_int_equal(f.off, 0);
  assert_int_equal(f.len, 5);
  assert_int_equal(f.consumed, 6);
  assert_int_equal(soc_frame_next(&fs, "", 0, 1, &f), SOC_FRAME_NEED_MORE);

  const char *line = "<34>1 2026-01-01T00:00:00Z host app - - - trickled\n";
  char buf[128];
  size_t n = strlen(line);
  soc_frame_init(&fs, 1024);
  for (size_t i = 1; i <= n; i++) {
    memcpy(buf, line, i);
    int k = soc_frame_next(&fs, buf, i, 0, &f);
    assert_int_equal(k, i < n ? SOC_FRAME_NEED_MORE : SOC_FRAME_MESSAGE);
  }
  assert_int_equal(f.len, n - 1);
  assert_int_equal(f.consumed, n);
  assert_int_equal(fs.scanned, n - 1);
  soc_frame_done(&fs, &f);
  assert_int_equal(fs.scanned, 0);
}

static void test_init(void **state) {
  (void)state;
  soc_frame_state fs;
  soc_frame_init(&fs, 0);
  assert_int_equal(fs.cap, 1);
  soc_frame_init(&fs, (size_t)-1);
  assert_int_equal(fs.cap, SOC_FRAME_CAP_MAX);
  assert_false(fs.newline_only || fs.skipping || fs.scanned);
  assert_int_equal(SOC_FRAME_TRUNCATED, SOC_JLINE_TRUNCATED);
  assert_int_equal(SOC_FRAME_PARTIAL, SOC_JLINE_PARTIAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_octet_counting), cmocka_unit_test(test_newline_and_nul),
      cmocka_unit_test(test_mixed),          cmocka_unit_test(test_bad_counts),
      cmocka_unit_test(test_huge_counts),    cmocka_unit_test(test_over_long),
      cmocka_unit_test(test_partials),       cmocka_unit_test(test_repeat_and_trickle),
      cmocka_unit_test(test_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
