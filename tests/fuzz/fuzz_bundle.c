/*
 * libFuzzer harness: evidence bundles, the receiving side, which reads
 * whatever arrives on the evidence topic. The first byte picks the target:
 *   0: soc_bundle_msg_parse on the rest (one message);
 *   1: soc_bundle_verify on the rest as an archive, against a manifest
 *      message written here with the archive's true size and SHA-256, as
 *      an attacker can: otherwise nearly every input would stop at the
 *      outer hash and the tar reader and bag checks would go untested. Its
 *      files list names one file, data/a.txt = "hello\n" in bundle "b1",
 *      which the seed archive holds, so the fuzzer also reaches "ok";
 *   2: the rest cut at its first NUL into a manifest message and an
 *      archive, verified as they are.
 * Invariants: a parsed message is consistent with its own fields; a
 * verdict of not ok always says why, and ok never does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/bundle.h"
#include "soc/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static void parse(const uint8_t *p, size_t n) {
  soc_bundle_msg m;
  char why[256];
  int r = soc_bundle_msg_parse(p, n, &m, why, sizeof why);
  if (r == -EBADMSG && !why[0]) __builtin_trap();
  if (r == 0 && m.is_manifest && (!m.manifest_json || strlen(m.manifest_json) != n))
    __builtin_trap();
  if (r == 0 && !m.is_manifest) {
    uint8_t d[SOC_SHA256_LEN];
    char hex[SOC_SHA256_HEX_LEN + 1];
    if (!m.data || !m.size || soc_sha256(m.data, m.size, d)) __builtin_trap();
    soc_hex(d, sizeof d, hex);
    if (strcmp(hex, m.sha256)) __builtin_trap();
  }
  soc_bundle_msg_clear(&m);
}

static void verify(const uint8_t *a, size_t n, const char *manifest) {
  soc_bundle_check c;
  if (soc_bundle_verify(a, n, manifest, &c)) return; /* out of memory */
  if (c.ok != !c.what[0]) __builtin_trap();
}

static void verify_sealed(const uint8_t *a, size_t n) {
  uint8_t d[SOC_SHA256_LEN];
  char hex[SOC_SHA256_HEX_LEN + 1], manifest[1024];
  if (soc_sha256(a, n, d)) return;
  soc_hex(d, sizeof d, hex);
  snprintf(manifest, sizeof manifest,
           "{\"schema\":\"socagent.evidence/1\",\"type\":\"manifest\",\"bundle\":\"b1\","
           "\"report\":\"r1\",\"chunks\":1,\"size\":%zu,\"sha256\":\"%s\",\"files\":[{\"path\":"
           "\"data/a.txt\",\"size\":6,\"sha256\":\"" HELLO_SHA "\"}],\"custody\":{}}",
           n, hex);
  verify(a, n, manifest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0:
      parse(p, n);
      break;
    case 1:
      verify_sealed(p, n);
      break;
    default: {
      const uint8_t *nul = memchr(p, '\0', n);
      size_t mlen = nul ? (size_t)(nul - p) : n;
      char *manifest = malloc(mlen + 1);
      if (!manifest) return 0;
      memcpy(manifest, p, mlen);
      manifest[mlen] = '\0';
      verify(nul ? nul + 1 : p + n, nul ? n - mlen - 1 : 0, manifest);
      free(manifest);
    }
  }
  return 0;
}
