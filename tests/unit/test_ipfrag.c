/*
 * Unit tests for ipfrag: fragments in any order, overlaps (first-wins),
 * the per-datagram fragment cap, the memory cap (oldest evicted), the
 * timeout, and inconsistent ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "soc/ipfrag.h"

/* A fragment of datagram id carrying data at offset. */
static soc_packet frag(uint32_t id, uint32_t offset, int more, const char *data, int64_t ts) {
  soc_packet p = {.ts_ns = ts,
                  .ip_version = 4,
                  .proto = SOC_IPPROTO_UDP,
                  .frag_id = id,
                  .frag_offset = offset,
                  .frag_more = (uint8_t)more,
                  .frag_data = (const uint8_t *)data,
                  .frag_len = strlen(data)};
  memcpy(p.src, "\x0a\x00\x00\x01", 4);
  memcpy(p.dst, "\x0a\x00\x00\x02", 4);
  return p;
}

static int add(soc_ipfrag *f, soc_packet p, const char **out, size_t *len) {
  const uint8_t *d = NULL;
  int rc = soc_ipfrag_add(f, &p, &d, len);
  *out = (const char *)d;
  return rc;
}

static void reassembles_out_of_order_first_wins(void **state) {
  (void)state;
  soc_ipfrag *f = soc_ipfrag_new(NULL);
  const char *d;
  size_t n;
  assert_int_equal(add(f, frag(7, 16, 0, "tail", 0), &d, &n), 0);
  assert_int_equal(add(f, frag(7, 8, 1, "BBBBBBBB", 0), &d, &n), 0);
  assert_int_equal(add(f, frag(8, 0, 1, "otherdgm", 0), &d, &n), 0); /* another datagram */
  assert_int_equal(add(f, frag(7, 8, 1, "XXXXXXXX", 0), &d, &n), 0); /* overlap: ignored */
  assert_int_equal(add(f, frag(7, 0, 1, "AAAAAAAA", 0), &d, &n), 1);
  assert_int_equal(n, 20);
  assert_memory_equal(d, "AAAAAAAABBBBBBBBtail", 20);
  const soc_ipfrag_stats *s = soc_ipfrag_stats_get(f);
  assert_int_equal(s->reassembled, 1);
  assert_int_equal(s->overlaps, 1);
  soc_ipfrag_free(f);
}

static void caps_and_timeouts(void **state) {
  (void)state;
  soc_ipfrag_opts o = {.max_fragments = 3, .max_bytes = 3 * 1024 + 3 * 1024, .timeout_ns = 100};
  soc_ipfrag *f = soc_ipfrag_new(&o);
  const char *d;
  size_t n;
  /* Too many fragments: the datagram is dropped. */
  for (uint32_t i = 0; i < 4; i++) add(f, frag(1, 8 * i, 1, "12345678", 0), &d, &n);
  assert_int_equal(soc_ipfrag_stats_get(f)->too_many, 1);
  /* Memory: each datagram takes a 1 KiB buffer plus its record; new ones
   * push the oldest out. */
  for (uint32_t id = 10; id < 20; id++) add(f, frag(id, 0, 1, "12345678", 1), &d, &n);
  assert_true(soc_ipfrag_stats_get(f)->evicted > 0);
  assert_true(soc_ipfrag_bytes(f) <= o.max_bytes);
  /* The newest is still there and completes. */
  assert_int_equal(add(f, frag(19, 8, 0, "end", 2), &d, &n), 1);
  assert_int_equal(n, 11);
  /* Time passes: the rest expire. */
  soc_ipfrag_expire(f, 1000);
  assert_true(soc_ipfrag_stats_get(f)->timeouts > 0);
  assert_int_equal(soc_ipfrag_bytes(f), 0);
  /* A last fragment that ends before bytes already received. */
  add(f, frag(30, 16, 1, "12345678", 2000), &d, &n);
  assert_int_equal(add(f, frag(30, 0, 0, "1234", 2000), &d, &n), 0);
  assert_int_equal(soc_ipfrag_stats_get(f)->bad, 1);
  /* A middle fragment whose length is no multiple of 8. */
  assert_int_equal(add(f, frag(31, 0, 1, "odd", 2000), &d, &n), 0);
  assert_int_equal(soc_ipfrag_stats_get(f)->bad, 2);
  soc_ipfrag_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reassembles_out_of_order_first_wins),
      cmocka_unit_test(caps_and_timeouts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
