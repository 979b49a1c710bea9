/*
 * libFuzzer harness: a journal block as the agent's readers get it back from
 * agent.db (lib/store/journal.c: the codec's decoder, then the walk over the
 * encoded lines). The block's checksum only proves that the row is what
 * was written; this harness is the insurance that whatever a checksum lets
 * through (a writer's bug, a block from another version, a file edited by
 * hand and re-summed) can stop a reader but never crash it.
 *
 * Input layout:
 *   byte 0     bits 0-1: the codec: 0 LZ4, 1 zstd, 2 the number in byte 1
 *              (mostly unknown), 3 LZ4; bit 7: the rest is the block's
 *              plain encoding, compressed here with the codec (so that the
 *              walk over lines is reached through a real decoder)
 *   byte 1     with codec 2, the codec number
 *   byte 2-3   the row's line count (little-endian u16 % 2048)
 *   the rest   the row's data (or, with bit 7, its plain encoding)
 *
 * The block is inserted with a correct checksum into a store opened once
 * and read back by soc_journal_scan_checked. Invariants:
 *   - the scan returns 0 or -ENOMEM (a bad block is damage, not an error);
 *   - a block is all or nothing: either it is reported damaged once and
 *     gives no line, or it gives exactly its line count and no damage;
 *   - every line it gives lies within the decoded bytes (ASan checks the
 *     reads; the lengths are checked here), its host has at most 255 bytes;
 *   - with bit 7, the lines read back through the codec are the lines
 *     soc_journal_decode gives from the plain encoding, in order.
 */
#include <errno.h>
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "soc/hash.h"
#include "soc/journal.h"
#include "soc/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                \
  do {                          \
    if (!(x)) __builtin_trap(); \
  } while (0)

#define LINES_MAX 2048
#define PLAIN_MAX (1u << 20) /* the harness's own packing: far above any input */

static soc_store *store;

static void open_store(void) {
  char dir[] = "/tmp/fuzz_journal_block.XXXXXX", path[64], err[256];
  CHECK(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/agent.db", dir);
  if (soc_store_open(path, 0, &store, err, sizeof err) < 0) {
    fprintf(stderr, "fuzz_journal_block: %s\n", err);
    __builtin_trap();
  }
  /* the open store keeps its files; their names can go now */
  static const char *const files[] = {"agent.db", "agent.db-wal", "agent.db-shm"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  rmdir(dir);
}

/* What the lines of one block add up to: their count, their bytes, and a
 * running hash of every field, so that two reads can be compared. */
typedef struct tally {
  size_t lines, bytes;
  soc_sha256_ctx *h;
} tally;

static int count_line(void *arg, const soc_jentry *e) {
  tally *t = arg;
  CHECK(e->line.host && strlen(e->line.host) <= 255);
  CHECK(!e->line.peer || strlen(e->line.peer) <= 255);
  CHECK(e->line.len <= PLAIN_MAX);
  t->lines++;
  t->bytes += e->line.len;
  if (t->h) {
    const uint64_t nums[] = {e->line.pos, (uint64_t)e->line.ts_ns, (uint64_t)e->line.recv_ns,
                             e->line.flags, e->line.len};
    CHECK(soc_sha256_update(t->h, nums, sizeof nums) == 0);
    CHECK(soc_sha256_update(t->h, e->line.host, strlen(e->line.host) + 1) == 0);
    CHECK(soc_sha256_update(t->h, e->line.data, e->line.len) == 0);
  }
  return 0;
}

static int count_damage(void *arg, const soc_block_meta *m, const char *why) {
  (void)m;
  CHECK(why != NULL);
  (*(int *)arg)++;
  return 0;
}

/* Packs plain with codec as journal.c writes a block; 0 or -1. */
static int pack(int codec, const uint8_t *plain, size_t n, uint8_t *out, size_t cap, size_t *len) {
  if (codec == SOC_JOURNAL_CODEC_LZ4) {
    if (cap < 4) return -1;
    int k = LZ4_compress_default((const char *)plain, (char *)out + 4, (int)n, (int)(cap - 4));
    if (k <= 0) return -1;
    for (unsigned i = 0; i < 4; i++) out[i] = (uint8_t)(n >> (8 * i));
    *len = 4 + (size_t)k;
    return 0;
  }
  size_t k = ZSTD_compress(out, cap, plain, n, 1);
  if (ZSTD_isError(k)) return -1;
  *len = k;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4 || size - 4 > PLAIN_MAX / 2) return 0;
  if (!store) open_store();
  static const int codecs[] = {SOC_JOURNAL_CODEC_LZ4, SOC_JOURNAL_CODEC_ZSTD, 0,
                               SOC_JOURNAL_CODEC_LZ4};
  int codec = codecs[data[0] & 3];
  if (!codec) codec = data[1];
  int packed =
      (data[0] & 0x80) && (codec == SOC_JOURNAL_CODEC_LZ4 || codec == SOC_JOURNAL_CODEC_ZSTD);
  uint32_t lines = (uint32_t)(data[2] | data[3] << 8) % LINES_MAX;
  const uint8_t *body = data + 4;
  size_t body_len = size - 4;

  static uint8_t buf[PLAIN_MAX];
  const uint8_t *row = body;
  size_t row_len = body_len;
  if (packed) {
    if (pack(codec, body, body_len, buf, sizeof buf, &row_len) < 0) __builtin_trap();
    row = buf;
  }
  soc_block_meta m = {.source = "fuzz",
                      .stream = 1,
                      .first_pos = 0,
                      .last_pos = body_len,
                      .first_ts = 1700000000000000000,
                      .last_ts = 1700000000000000000,
                      .recv_last = 1700000000000000000,
                      .lines = lines,
                      .raw_bytes = (uint32_t)body_len,
                      .codec = codec,
                      .hosts = ""};
  int64_t id = 0;
  CHECK(soc_store_block_insert(store, &m, row, row_len, &id) == 0);

  tally got = {0};
  if (packed) got.h = soc_sha256_new();
  int damage = 0;
  int64_t damaged = 0;
  soc_block_query q = {.after_id = id - 1, .upto_id = id};
  int rc = soc_journal_scan_checked(store, &q, count_line, &got, count_damage, &damage, &damaged);
  CHECK(rc == 0 || rc == -ENOMEM);
  if (!rc) {
    CHECK(damage == damaged);
    CHECK((damage == 1 && got.lines == 0) || (damage == 0 && got.lines == lines));
  }
  if (packed && !rc) {
    /* the plain encoding straight, as the emergency spool reads it back */
    tally plain = {.h = soc_sha256_new()};
    int drc = soc_journal_decode(&m, body, body_len, count_line, &plain);
    CHECK(drc == 0 || drc == -EBADMSG);
    CHECK(drc == 0 ? damage == 0 : damage == 1);
    if (!drc) {
      uint8_t a[SOC_SHA256_LEN], b[SOC_SHA256_LEN];
      CHECK(soc_sha256_final(got.h, a) == 0 && soc_sha256_final(plain.h, b) == 0);
      CHECK(plain.lines == got.lines && plain.bytes == got.bytes && memcmp(a, b, sizeof a) == 0);
      CHECK(got.bytes <= body_len);
    }
    soc_sha256_free(plain.h);
  }
  soc_sha256_free(got.h);
  /* keep the file small over millions of inputs: only the newest row stays */
  CHECK(soc_store_block_delete(store, INT64_MAX, -1, INT64_MAX, NULL) == 0);
  return 0;
}
