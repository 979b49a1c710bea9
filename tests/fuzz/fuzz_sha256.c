/*
 * libFuzzer harness: soc_sha256_many (two messages at a time with the
 * CPU's SHA extensions where it has them) against OpenSSL's one-message
 * SHA-256 on arbitrary pairs. The input's first four bytes say where it
 * splits: into two messages, and each message into its head and body; the
 * rest is the bytes. Invariant: both paths (native, and OpenSSL's forced)
 * give soc_sha256's digest of each message, in either order.
 */
#include <stdint.h>
#include <string.h>

#include "soc/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t cut(const uint8_t *at, size_t len) {
  return len ? (size_t)(at[0] | at[1] << 8) % (len + 1) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  const uint8_t *p = data + 4;
  size_t len = size - 4, first = cut(data, len);
  size_t head_a = cut(data + 2, first), head_b = (head_a * 3) % (len - first + 1);
  const soc_sha256_parts a = {
      .head = p, .head_len = head_a, .body = p + head_a, .body_len = first - head_a};
  const soc_sha256_parts b = {.head = p + first,
                              .head_len = head_b,
                              .body = p + first + head_b,
                              .body_len = len - first - head_b};
  uint8_t want[2][SOC_SHA256_LEN], got[2][SOC_SHA256_LEN];
  if (soc_sha256(p, first, want[0]) || soc_sha256(p + first, len - first, want[1]))
    __builtin_trap();
  for (int native = 1; native >= 0; native--) {
    soc_sha256_many_native(native);
    const soc_sha256_parts ab[2] = {a, b}, ba[2] = {b, a};
    if (soc_sha256_many(ab, 2, got) || memcmp(got[0], want[0], SOC_SHA256_LEN) ||
        memcmp(got[1], want[1], SOC_SHA256_LEN))
      __builtin_trap();
    if (soc_sha256_many(ba, 2, got) || memcmp(got[0], want[1], SOC_SHA256_LEN) ||
        memcmp(got[1], want[0], SOC_SHA256_LEN))
      __builtin_trap();
  }
  soc_sha256_many_native(1);
  return 0;
}
