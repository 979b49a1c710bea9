/*
 * Unit tests for hash's batch SHA-256 (soc_sha256_many) and the leaves
 * built on it (soc_sign_leaves): every digest is compared with OpenSSL's
 * one-message SHA-256 (soc_sha256) of the same bytes, on both paths — the
 * CPU's SHA extensions where this machine has them, and OpenSSL's forced —
 * so a machine without SHA-NI (or valgrind, which hides it) still runs
 * the fallback, and one with it runs both. Lengths: every one from 0 to
 * 1,100 (all the block boundaries and padding cases, the size of a
 * joined message's events), split at several places between the head and
 * the body, paired with unequal neighbours; random ones up to 64 KiB.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soc/hash.h"
#include "soc/sign.h"

#define LONGEST (64 * 1024)
#define EVERY 1101

static uint8_t bytes[LONGEST];

static uint32_t rng = 2463534242u;
static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static int setup(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)next_random();
  return 0;
}

/* The digests of m[0..n) against soc_sha256 of each message's bytes. */
static void check_many(const soc_sha256_parts *m, size_t n) {
  static uint8_t whole[2 * LONGEST];
  uint8_t(*got)[SOC_SHA256_LEN] = calloc(n ? n : 1, SOC_SHA256_LEN);
  assert_non_null(got);
  assert_int_equal(soc_sha256_many(m, n, got), 0);
  for (size_t i = 0; i < n; i++) {
    uint8_t want[SOC_SHA256_LEN];
    assert_true(m[i].head_len + m[i].body_len <= sizeof whole);
    if (m[i].head_len) memcpy(whole, m[i].head, m[i].head_len);
    if (m[i].body_len) memcpy(whole + m[i].head_len, m[i].body, m[i].body_len);
    assert_int_equal(soc_sha256(whole, m[i].head_len + m[i].body_len, want), 0);
    if (memcmp(got[i], want, sizeof want)) fail_msg("message %zu of %zu differs", i, n);
  }
  free(got);
}

/* A message of len bytes from bytes + from, its head the first head. */
static soc_sha256_parts message(size_t from, size_t len, size_t head) {
  return (soc_sha256_parts){.head = head ? bytes + from : NULL,
                            .head_len = head,
                            .body = len > head ? bytes + from + head : NULL,
                            .body_len = len - head};
}

static void every_length(void) {
  static soc_sha256_parts m[EVERY];
  /* alone, and as the head, the body or split in the middle, each the
   * partner of its neighbour (unequal lengths end in different blocks) */
  for (size_t split = 0; split < 4; split++) {
    for (size_t len = 0; len < EVERY; len++) {
      size_t head = split == 0 ? 0 : split == 1 ? len : split == 2 ? len / 2 : (len * 7) % 97;
      if (head > len) head = len;
      m[len] = message(len % 13, len, head);
      check_many(&m[len], 1);
    }
    check_many(m, EVERY);
    /* longest with shortest: one lane runs alone for most of the blocks */
    for (size_t i = 0; i < EVERY / 2; i++) {
      soc_sha256_parts t = m[i];
      m[i] = m[EVERY - 1 - i];
      m[EVERY - 1 - i] = t;
    }
    check_many(m, EVERY);
  }
}

static void random_lengths(void) {
  soc_sha256_parts m[41];
  for (int round = 0; round < 20; round++) {
    size_t n = next_random() % 41;
    for (size_t i = 0; i < n; i++) {
      size_t len = next_random() % (LONGEST + 1);
      size_t from = next_random() % (LONGEST - len + 1);
      m[i] = message(from, len, len ? next_random() % (len + 1) : 0);
    }
    check_many(m, n);
  }
}

static void test_both_paths(void **state) {
  (void)state;
  int native = soc_sha256_many_native(1);
  printf("# SHA extensions: %s\n", native ? "in use" : "not on this CPU (or under valgrind)");
  every_length();
  random_lengths();
  assert_int_equal(soc_sha256_many_native(0), 0);
  every_length();
  random_lengths();
  assert_int_equal(soc_sha256_many_native(1), native);
}

static void test_refused(void **state) {
  (void)state;
  uint8_t out[2][SOC_SHA256_LEN];
  soc_sha256_parts bad[2] = {message(0, 10, 5), {.head = NULL, .head_len = 1}};
  assert_int_equal(soc_sha256_many(NULL, 1, out), -EINVAL);
  assert_int_equal(soc_sha256_many(bad, 1, NULL), -EINVAL);
  assert_int_equal(soc_sha256_many(bad, 2, out), -EINVAL);
  bad[1] = (soc_sha256_parts){.body = NULL, .body_len = 1};
  assert_int_equal(soc_sha256_many(bad, 2, out), -EINVAL);
  assert_int_equal(soc_sha256_many(NULL, 0, NULL), 0);
}

/* soc_sign_leaves gives soc_sign_leaf's leaves, in order, for keys that
 * fit the gathered head and keys that do not (alone, in between). */
static void test_leaves(void **state) {
  (void)state;
  static char keys[600];
  for (size_t i = 0; i < sizeof keys; i++) keys[i] = (char)('a' + i % 26);
  soc_sign_item items[SOC_SIGN_JOINED_MAX];
  uint8_t got[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN], want[SOC_SIGN_HASH_LEN];
  for (int native = 1; native >= 0; native--) {
    soc_sha256_many_native(native);
    for (size_t n = 0; n <= SOC_SIGN_JOINED_MAX; n += n < 40 ? 1 : 27) {
      for (size_t i = 0; i < n; i++) {
        size_t klen = i % 11 == 5 ? 180 + i % 400 : i % 40;
        size_t len = 1 + next_random() % 2000;
        items[i] = (soc_sign_item){
            .event = (const char *)bytes + i, .event_len = len, .key = keys, .key_len = klen};
      }
      soc_sign_leaves("soc.events", items, n, got);
      for (size_t i = 0; i < n; i++) {
        soc_sign_leaf("soc.events", items[i].key, items[i].key_len, items[i].event,
                      items[i].event_len, want);
        if (memcmp(got[i], want, sizeof want)) fail_msg("leaf %zu of %zu differs", i, n);
      }
    }
  }
  soc_sha256_many_native(1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_both_paths),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_leaves),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
