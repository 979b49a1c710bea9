/*
 * Unit tests for utf8 (validation and repair) and hash (SHA-256).
 *
 * The repair cases come from the Unicode standard's own examples of
 * maximal subparts (table 3-8) and the classic ill-formed sequences:
 * overlongs, surrogates, code points past U+10FFFF, stray continuation
 * bytes and sequences cut short. A seeded random sweep checks that repair
 * is total and always yields text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "soc/hash.h"
#include "soc/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static size_t prefix(const char *s) { return soc_utf8_valid_prefix(s, strlen(s)); }

static void test_valid_text(void **state) {
  (void)state;
  static const char *const ok[] = {
      "",
      "plain ascii with\ttabs and \x1b escapes \x7f",
      "\xE8\xB3\x87\xE5\xAE\x89\xE4\xBA\x8B\xE4\xBB\xB6",    /* 資安事件 */
      "\xC2\x80 \xDF\xBF",                                   /* U+0080, U+07FF */
      "\xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF", /* around the surrogates */
      "\xF0\x90\x80\x80 \xF0\x9F\x94\x92 \xF4\x8F\xBF\xBF",  /* U+10000, 🔒, U+10FFFF */
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    assert_int_equal(prefix(ok[i]), strlen(ok[i]));
  assert_int_equal(soc_utf8_valid_prefix(NULL, 0), 0);
}

static void test_invalid_text(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t len; /* 0: strlen */
    size_t valid;
  } bad[] = {
      {"ab\x80", 0, 2},           /* stray continuation byte */
      {"\xC0\xAF", 0, 0},         /* overlong '/' */
      {"\xC1\xBF", 0, 0},         /* overlong */
      {"\xE0\x80\xAF", 0, 0},     /* overlong, 3 bytes */
      {"\xF0\x80\x80\xAF", 0, 0}, /* overlong, 4 bytes */
      {"x\xED\xA0\x80", 0, 1},    /* high surrogate */
      {"\xED\xBF\xBF", 0, 0},     /* low surrogate */
      {"\xF4\x90\x80\x80", 0, 0}, /* U+110000 */
      {"\xF5\x80\x80\x80", 0, 0}, /* lead byte past F4 */
      {"\xFF", 0, 0},
      {"ok\xE8\xB3", 0, 2},  /* cut short at the end */
      {"ok\xE8\xB3x", 0, 2}, /* cut short in the middle */
      {"\xF0\x9F\x94", 0, 0},
      {"nul\0after", 9, 3}, /* NUL is refused on purpose */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t len = bad[i].len ? bad[i].len : strlen(bad[i].s);
    assert_int_equal(soc_utf8_valid_prefix(bad[i].s, len), bad[i].valid);
  }
}

/* The word-at-a-time loop must see a bad byte at every alignment. */
static void test_every_offset(void **state) {
  (void)state;
  char buf[200];
  for (size_t at = 0; at < 64; at++) {
    memset(buf, 'a', sizeof buf);
    buf[at] = '\x80';
    assert_int_equal(soc_utf8_valid_prefix(buf, sizeof buf), at);
    buf[at] = '\0';
    assert_int_equal(soc_utf8_valid_prefix(buf, sizeof buf), at);
    buf[at] = 'a';
    assert_int_equal(soc_utf8_valid_prefix(buf, at + 1), at + 1);
  }
  /* every length, a bad byte at every place: the 64- and 16-byte steps,
   * the last 16 bytes read over what was checked, and the word and byte
   * tails */
  for (size_t n = 1; n <= sizeof buf; n++)
    for (size_t at = 0; at < n; at++) {
      memset(buf, 'a', sizeof buf);
      buf[at] = (char)(at % 2 ? 0x80 : 0x00);
      assert_int_equal(soc_utf8_valid_prefix(buf, n), at);
      buf[at] = 'a';
      assert_int_equal(soc_utf8_valid_prefix(buf, n), n);
    }
}

static void check_repair(const char *in, size_t len, const char *want, size_t want_replaced) {
  char out[256];
  size_t outlen = 99, replaced = 99;
  assert_int_equal(soc_utf8_repair(in, len, out, sizeof out, &outlen, &replaced), 0);
  assert_string_equal(out, want);
  assert_int_equal(outlen, strlen(want));
  assert_int_equal(replaced, want_replaced);
}

static void test_repair_maximal_subparts(void **state) {
  (void)state;
  /* Unicode 15, table 3-8. */
  check_repair("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
               "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 6);
  check_repair("\xED\xA0\x80", 3, FFFD FFFD FFFD, 3); /* surrogate: each byte */
  check_repair("\xC0\xAF", 2, FFFD FFFD, 2);          /* overlong */
  check_repair("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4);
  check_repair("ok\xE8\xB3", 4, "ok" FFFD, 1); /* cut short: one U+FFFD */
  check_repair("a\0b", 3, "a" FFFD "b", 1);    /* NUL */
  check_repair("\xE8\xB3\x87\xFF\xE5\xAE\x89", 7, "\xE8\xB3\x87" FFFD "\xE5\xAE\x89", 1);
  check_repair("clean", 5, "clean", 0);
  check_repair("", 0, "", 0);
}

static void test_repair_bounded(void **state) {
  (void)state;
  static const char two[] = "\xE8\xB3\x87\xE5\xAE\x89"; /* 資安 */
  char out[8];
  size_t outlen, replaced;
  /* Room for 4 bytes: only the first character fits, never a half one. */
  assert_int_equal(soc_utf8_repair(two, 6, out, 5, &outlen, &replaced), -ENOSPC);
  assert_int_equal(outlen, 3);
  assert_string_equal(out, "\xE8\xB3\x87"); /* 資 */
  assert_int_equal(soc_utf8_repair(two, 6, out, 3, &outlen, NULL), -ENOSPC);
  assert_string_equal(out, "");
  assert_int_equal(soc_utf8_repair(two, 6, out, 7, &outlen, NULL), 0);
  assert_int_equal(outlen, 6);
  /* A U+FFFD that does not fit is not half-written. */
  assert_int_equal(soc_utf8_repair("ab\xFF", 3, out, 5, &outlen, &replaced), -ENOSPC);
  assert_string_equal(out, "ab");
  assert_int_equal(replaced, 0);
  assert_int_equal(soc_utf8_repair("abc", 3, out, 1, &outlen, NULL), -ENOSPC);
  assert_string_equal(out, "");
  assert_int_equal(soc_utf8_repair("abc", 3, NULL, 4, &outlen, NULL), -EINVAL);
  assert_int_equal(soc_utf8_repair("abc", 3, out, 0, &outlen, NULL), -EINVAL);
  assert_int_equal(soc_utf8_repair(NULL, 3, out, 4, &outlen, NULL), -EINVAL);
  assert_int_equal(soc_utf8_repair(NULL, 0, out, 4, &outlen, NULL), 0);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint8_t next_byte(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint8_t)rng;
}

/* Random bytes, biased towards the interesting ones: repair must always
 * yield text within the worst-case bound, and repairing text changes
 * nothing. */
static void test_repair_random(void **state) {
  (void)state;
  static const uint8_t pool[] = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED,
                                 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x90, 0x8F};
  uint8_t in[64];
  char out[SOC_UTF8_REPAIRED_MAX(sizeof in) + 1], again[sizeof out];
  for (int round = 0; round < 20000; round++) {
    size_t len = next_byte() % sizeof in, outlen, outlen2, replaced;
    for (size_t i = 0; i < len; i++) {
      uint8_t r = next_byte();
      in[i] = r & 1 ? pool[(r >> 1) % sizeof pool] : next_byte();
    }
    assert_int_equal(soc_utf8_repair(in, len, out, sizeof out, &outlen, &replaced), 0);
    assert_int_equal(soc_utf8_valid_prefix(out, outlen), outlen);
    assert_int_equal(strlen(out), outlen);
    if (soc_utf8_valid_prefix(in, len) == len) {
      assert_int_equal(replaced, 0);
      assert_memory_equal(out, in, len);
    } else {
      assert_true(replaced > 0);
    }
    assert_int_equal(soc_utf8_repair(out, outlen, again, sizeof again, &outlen2, &replaced), 0);
    assert_int_equal(replaced, 0);
    assert_int_equal(outlen2, outlen);
  }
}

static void hex_of(const void *data, size_t len, char out[SOC_SHA256_HEX_LEN + 1]) {
  uint8_t d[SOC_SHA256_LEN];
  assert_int_equal(soc_sha256(data, len, d), 0);
  soc_hex(d, sizeof d, out);
}

/* soc_utf8_copy_ascii: every length around its 8-byte words, with a byte
 * that is not ASCII (or a NUL) at every place or none. */
static void test_copy_ascii(void **state) {
  (void)state;
  static const char odd[] = {'\0', '\x80', '\xc3', '\xff'};
  char src[40], dst[sizeof src + 8];
  for (size_t n = 0; n < sizeof src; n++)
    for (size_t at = 0; at <= n; at++)
      for (size_t k = 0; k < sizeof odd; k++) {
        for (size_t i = 0; i < n; i++) src[i] = (char)(0x01 + (i * 37) % 0x7f);
        if (at < n) src[at] = odd[k];
        memset(dst, '#', sizeof dst);
        int ascii = soc_utf8_copy_ascii(dst, src, n);
        assert_int_equal(ascii, at == n);
        assert_int_equal(ascii, soc_utf8_valid_prefix(src, n) == n && !memchr(src, 0, n));
        if (ascii) assert_memory_equal(dst, src, n);
        if (at == n) break; /* no odd byte: one round is enough */
      }
}

static void test_sha256(void **state) {
  (void)state;
  char hex[SOC_SHA256_HEX_LEN + 1];
  uint8_t d[SOC_SHA256_LEN], d2[SOC_SHA256_LEN];
  hex_of("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hex_of(NULL, 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hex_of("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_int_equal(soc_sha256(NULL, 1, d), -EINVAL);

  soc_sha256_ctx *c = soc_sha256_new();
  assert_non_null(c);
  assert_int_equal(soc_sha256_update(c, "a", 1), 0);
  assert_int_equal(soc_sha256_update(c, NULL, 0), 0);
  assert_int_equal(soc_sha256_update(c, "bc", 2), 0);
  assert_int_equal(soc_sha256_final(c, d), 0);
  assert_int_equal(soc_sha256("abc", 3, d2), 0);
  assert_memory_equal(d, d2, sizeof d);
  /* A finished context refuses more input rather than hash garbage. */
  assert_int_equal(soc_sha256_update(c, "x", 1), -EINVAL);
  assert_int_equal(soc_sha256_final(c, d), -EINVAL);
  /* restarted, finished or not, it hashes as new: two blocks (FIPS 180-2) */
  static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  assert_int_equal(soc_sha256_restart(c), 0);
  assert_int_equal(soc_sha256_update(c, "x", 1), 0);
  assert_int_equal(soc_sha256_restart(c), 0);
  assert_int_equal(soc_sha256_update(c, two, sizeof two - 1), 0);
  assert_int_equal(soc_sha256_final(c, d), 0);
  soc_hex(d, sizeof d, hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  soc_sha256_free(c);
  soc_sha256_free(NULL);

  uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  char small[9];
  soc_hex(bytes, sizeof bytes, small);
  assert_string_equal(small, "000fa5ff");
}

/* A prefix's state, copied for each message, gives the digest of prefix and
 * message hashed at once, at every length around the 64-byte blocks, and
 * stays unchanged by the messages hashed from it (event ids, step 15). */
static void test_sha256_prefix(void **state) {
  (void)state;
  uint8_t buf[200], d[SOC_SHA256_LEN], want[SOC_SHA256_LEN];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 131 + 7);
  for (size_t plen = 0; plen <= 130; plen += 13) {
    soc_sha256_prefix *p = soc_sha256_prefix_new(buf, plen);
    assert_non_null(p);
    for (size_t mlen = 0; plen + mlen <= sizeof buf; mlen += 9) {
      assert_int_equal(soc_sha256_prefix_hash(p, buf + plen, mlen, d), 0);
      assert_int_equal(soc_sha256(buf, plen + mlen, want), 0);
      assert_memory_equal(d, want, sizeof d);
    }
    assert_int_equal(soc_sha256_prefix_hash(p, NULL, 1, d), -EINVAL);
    soc_sha256_prefix_free(p);
  }
  assert_null(soc_sha256_prefix_new(NULL, 1));
  soc_sha256_prefix_free(NULL);
}

/* Issue 16: what an analyst typed or a message carried, printed without
 * control characters (an escape sequence could clear the screen, a newline
 * forge a line). */
static void test_printable(void **state) {
  (void)state;
  char out[64];
  assert_string_equal(soc_utf8_printable("王小明 ok", out, sizeof out), "王小明 ok");
  assert_string_equal(soc_utf8_printable("a\x1b[2Jb\nc\x7f", out, sizeof out),
                      "a\\x1b[2Jb\\x0ac\\x7f");
  assert_string_equal(soc_utf8_printable("x\xc2\x9by", out, sizeof out),
                      "x\\xc2\\x9by"); /* C1 CSI */
  assert_string_equal(soc_utf8_printable("\xff", out, sizeof out), FFFD);
  assert_string_equal(soc_utf8_printable(NULL, out, sizeof out), "");
  /* cut between characters, never inside one or inside an escape */
  char small[6];
  assert_string_equal(soc_utf8_printable("ab王c", small, sizeof small), "ab王");
  assert_string_equal(soc_utf8_printable("a\x01", small, sizeof small), "a\\x01");
  assert_string_equal(soc_utf8_printable("ab\x01", small, sizeof small), "ab");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_printable),
      cmocka_unit_test(test_valid_text),
      cmocka_unit_test(test_invalid_text),
      cmocka_unit_test(test_every_offset),
      cmocka_unit_test(test_repair_maximal_subparts),
      cmocka_unit_test(test_repair_bounded),
      cmocka_unit_test(test_repair_random),
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_sha256_prefix),
      cmocka_unit_test(test_copy_ascii),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
