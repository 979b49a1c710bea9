/*
 * Unit tests for tcpreasm: out of order, retransmission, overlaps
 * (first-wins), holes skipped at the bounds, depth, sequence wrap.
 *
 * Every case delivers into a buffer indexed by stream offset and records
 * holes as '#', so the result is one string to compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "soc/tcpreasm.h"

typedef struct sink {
  char buf[256];
  uint64_t next; /* the offset the next delivery must have */
  int calls;
} sink;

static void on_data(void *arg, const uint8_t *data, size_t len, uint64_t offset) {
  sink *s = arg;
  assert_int_equal(offset, s->next); /* in order, each byte once */
  assert_true(offset + len < sizeof s->buf);
  if (data)
    memcpy(s->buf + offset, data, len);
  else
    memset(s->buf + offset, '#', len);
  s->next = offset + len;
  s->calls++;
}

static void add(soc_tcpreasm *r, soc_tcp_stream *st, uint32_t seq, const char *text, sink *s) {
  soc_tcp_stream_add(r, st, seq, (const uint8_t *)text, strlen(text), on_data, s);
}

#define ISN 1000u

static void in_order_and_out_of_order(void **state) {
  (void)state;
  soc_tcpreasm *r = soc_tcpreasm_new(NULL);
  soc_tcp_stream st = {0};
  sink s = {0};
  soc_tcp_stream_syn(&st, ISN);
  add(r, &st, ISN + 1 + 6, "world", &s); /* ahead of a hole: waits */
  assert_int_equal(s.calls, 0);
  add(r, &st, ISN + 1, "hello ", &s); /* fills it: both go */
  assert_string_equal(s.buf, "hello world");
  assert_int_equal(soc_tcpreasm_stats_get(r)->out_of_order, 1);
  assert_null(st.pending);
  soc_tcpreasm_free(r);
}

static void retransmission_and_overlap_first_wins(void **state) {
  (void)state;
  soc_tcpreasm *r = soc_tcpreasm_new(NULL);
  soc_tcp_stream st = {0};
  sink s = {0};
  soc_tcp_stream_syn(&st, ISN);
  add(r, &st, ISN + 1, "GET /a", &s);
  add(r, &st, ISN + 1, "GET /a", &s);   /* the same again: a retransmission */
  add(r, &st, ISN + 1 + 4, "/XYZ", &s); /* overlaps "/a", differs: kept first, rest new */
  assert_string_equal(s.buf, "GET /aYZ");
  /* Waiting segments keep their bytes too. */
  add(r, &st, ISN + 1 + 10, "abc", &s);  /* waits at 10..12 */
  add(r, &st, ISN + 1 + 9, "-ZZZZ", &s); /* 9..13 overlaps the waiting 10..12 */
  add(r, &st, ISN + 1 + 8, "!", &s);     /* fills the hole at 8 */
  assert_string_equal(s.buf, "GET /aYZ!-abcZ");
  const soc_tcpreasm_stats *x = soc_tcpreasm_stats_get(r);
  assert_int_equal(x->retransmissions, 1);
  assert_int_equal(x->overlaps, 2);
  assert_int_equal(x->overlap_conflicts, 1);
  soc_tcpreasm_free(r);
}

static void depth_bounds_delivery(void **state) {
  (void)state;
  soc_tcpreasm_opts o = {.depth = 8};
  soc_tcpreasm *r = soc_tcpreasm_new(&o);
  soc_tcp_stream st = {0};
  sink s = {0};
  soc_tcp_stream_syn(&st, ISN);
  add(r, &st, ISN + 1, "0123", &s);
  add(r, &st, ISN + 1 + 20, "late", &s);  /* beyond depth: never waits */
  add(r, &st, ISN + 1 + 4, "456789", &s); /* crosses depth: cut */
  add(r, &st, ISN + 1 + 10, "ab", &s);
  assert_string_equal(s.buf, "01234567");
  assert_true(st.done);
  assert_null(st.pending);
  assert_int_equal(soc_tcpreasm_stats_get(r)->depth_reached, 1);
  soc_tcpreasm_free(r);
}

static void hole_skipped_at_bounds_and_flush(void **state) {
  (void)state;
  soc_tcpreasm_opts o = {.max_pending = 6};
  soc_tcpreasm *r = soc_tcpreasm_new(&o);
  soc_tcp_stream st = {0};
  sink s = {0};
  soc_tcp_stream_syn(&st, ISN);
  add(r, &st, ISN + 1, "ab", &s);
  add(r, &st, ISN + 1 + 4, "efgh", &s); /* waits (4 bytes) */
  add(r, &st, ISN + 1 + 10, "klm", &s); /* 7 would wait: the hole at 2 is skipped */
  assert_string_equal(s.buf, "ab##efgh");
  soc_tcp_stream_flush(r, &st, on_data, &s); /* the end: the last hole too */
  assert_string_equal(s.buf, "ab##efgh##klm");
  assert_int_equal(soc_tcpreasm_stats_get(r)->gaps, 2);
  assert_int_equal(soc_tcpreasm_stats_get(r)->gap_bytes, 4);
  soc_tcpreasm_free(r);
}

static void sequence_wrap_and_midstream_start(void **state) {
  (void)state;
  soc_tcpreasm *r = soc_tcpreasm_new(NULL);
  soc_tcp_stream st = {0};
  sink s = {0};
  /* No SYN: the first segment starts the stream, just below the wrap. */
  add(r, &st, 0xfffffffcu, "abcd", &s);
  add(r, &st, 4, "ijkl", &s);
  add(r, &st, 0, "efgh", &s);
  add(r, &st, 0xfffffff0u, "old!", &s); /* before the start: ignored */
  assert_string_equal(s.buf, "abcdefghijkl");
  soc_tcp_stream_release(r, &st);
  soc_tcpreasm_free(r);
}

static void memcap_is_shared(void **state) {
  (void)state;
  soc_tcpreasm_opts o = {.memcap = 8};
  soc_tcpreasm *r = soc_tcpreasm_new(&o);
  soc_tcp_stream a = {0}, b = {0};
  sink sa = {0}, sb = {0};
  soc_tcp_stream_syn(&a, ISN);
  soc_tcp_stream_syn(&b, ISN);
  add(r, &a, ISN + 1 + 2, "123456", &sa); /* a waits 6 */
  add(r, &b, ISN + 1 + 2, "xyz", &sb);    /* b cannot wait 3 more: b's segment goes */
  assert_int_equal(soc_tcpreasm_stats_get(r)->memcap_reached, 1);
  assert_int_equal(a.pending_bytes, 6);
  assert_int_equal(b.pending_bytes, 0);
  soc_tcp_stream_release(r, &a);
  soc_tcpreasm_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(in_order_and_out_of_order),
      cmocka_unit_test(retransmission_and_overlap_first_wins),
      cmocka_unit_test(depth_bounds_delivery),
      cmocka_unit_test(hole_skipped_at_bounds_and_flush),
      cmocka_unit_test(sequence_wrap_and_midstream_start),
      cmocka_unit_test(memcap_is_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
