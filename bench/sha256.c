/*
 * SHA-256 throughput on event-sized messages (issue 20, step 26): OpenSSL's
 * one message at a time (soc_sha256: SHA256_Init/Update/Final, SHA-NI where
 * the CPU has it) against soc_sha256_many, two messages at a time with the
 * CPU's SHA extensions, and soc_sha256_many forced onto OpenSSL's path.
 * Native only: valgrind hides SHA-NI. Built and run by bench/sha256.sh.
 *
 *   sha256 [LEN] [ROUNDS]    (defaults: 724 bytes, the mean leaf's JSON; 5 rounds)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/hash.h"

#define BATCH 256 /* a joined message's events */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  size_t len = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 724;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  /* about 100 MB hashed a measurement, whatever the length */
  int iters = (int)(400000000.0 / (BATCH * (double)(len + 64)));
  uint8_t *data = malloc(BATCH * len + 1), (*out)[SOC_SHA256_LEN] = calloc(BATCH, SOC_SHA256_LEN);
  soc_sha256_parts *m = calloc(BATCH, sizeof *m);
  if (!data || !out || !m) return 1;
  for (size_t i = 0; i < BATCH * len; i++) data[i] = (uint8_t)(i * 131 + 7);
  for (size_t i = 0; i < BATCH; i++)
    m[i] = (soc_sha256_parts){.body = data + i * len, .body_len = len};
  int native = soc_sha256_many_native(1);
  printf("%zu-byte messages, %d a batch; SHA extensions %s\n", len, BATCH,
         native ? "in use" : "absent: both rows are OpenSSL's");
  printf(
      "| round | OpenSSL, one at a time (ns a message) | soc_sha256_many native | "
      "soc_sha256_many forced to OpenSSL | native speed-up |\n| --- | --- | --- | --- | --- |\n");
  for (int r = 1; r <= rounds; r++) {
    double t0 = now();
    for (int k = 0; k < iters; k++)
      for (size_t i = 0; i < BATCH; i++) soc_sha256(m[i].body, len, out[i]);
    double t1 = now();
    soc_sha256_many_native(1);
    for (int k = 0; k < iters; k++) soc_sha256_many(m, BATCH, out);
    double t2 = now();
    soc_sha256_many_native(0);
    for (int k = 0; k < iters; k++) soc_sha256_many(m, BATCH, out);
    double t3 = now();
    double n = (double)iters * BATCH / 1e9;
    printf("| %d | %.0f | %.0f | %.0f | %.2f× |\n", r, (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n,
           (t1 - t0) / (t2 - t1));
  }
  free(data);
  free(out);
  free(m);
  return 0;
}
