/*
 * Unit tests for flow: both directions in one flow, the client found from
 * a SYN-ACK seen first, closing after FIN both ways and RST, idle timeout,
 * eviction at max_flows, and the Community ID of a known tuple.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "soc/flow.h"

typedef struct ended {
  int n;
  soc_flow_end why[8];
  uint64_t packets[8][2];
} ended;

static void on_end(void *arg, soc_flow *f, soc_flow_end why) {
  ended *e = arg;
  if (e->n < 8) {
    e->why[e->n] = why;
    e->packets[e->n][0] = f->packets[0];
    e->packets[e->n][1] = f->packets[1];
  }
  e->n++;
}

static soc_packet tcp(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t flags,
                      int64_t ts) {
  soc_packet p = {.ts_ns = ts,
                  .ip_version = 4,
                  .proto = SOC_IPPROTO_TCP,
                  .sport = sp,
                  .dport = dp,
                  .tcp_flags = flags,
                  .wire_len = 60};
  memcpy(p.src, src, 4);
  memcpy(p.dst, dst, 4);
  return p;
}

#define A "\xc0\xa8\x00\x01"
#define B "\xc0\xa8\x00\x02"
#define SEC 1000000000LL

static void directions_and_close(void **state) {
  (void)state;
  ended e = {0};
  soc_flowtab *t = soc_flowtab_new(NULL, on_end, &e);
  int dir = -1;
  soc_packet p = tcp(B, 80, A, 40000, SOC_TCP_SYN | SOC_TCP_ACK, 0); /* SYN-ACK first */
  soc_flow *f = soc_flowtab_packet(t, &p, &dir);
  assert_int_equal(dir, 1);
  assert_int_equal(f->port[0], 40000); /* the client: the SYN-ACK's receiver */
  p = tcp(A, 40000, B, 80, SOC_TCP_ACK | SOC_TCP_FIN, 1);
  assert_ptr_equal(soc_flowtab_packet(t, &p, &dir), f);
  assert_int_equal(dir, 0);
  p = tcp(B, 80, A, 40000, SOC_TCP_ACK | SOC_TCP_FIN, 2);
  soc_flowtab_packet(t, &p, &dir);
  p = tcp(A, 40000, B, 80, SOC_TCP_ACK, 3); /* the last ACK still counts in it */
  soc_flowtab_packet(t, &p, &dir);
  soc_flowtab_expire(t, 3 + SEC); /* closing waits 5 s */
  assert_int_equal(e.n, 0);
  soc_flowtab_expire(t, 3 + 6 * SEC);
  assert_int_equal(e.n, 1);
  assert_int_equal(e.why[0], SOC_FLOW_END_CLOSED);
  assert_int_equal(e.packets[0][0], 2);
  assert_int_equal(e.packets[0][1], 2);
  assert_int_equal(soc_flowtab_stats_get(t)->active, 0);
  soc_flowtab_free(t);
}

static void timeout_eviction_and_flush(void **state) {
  (void)state;
  ended e = {0};
  soc_flowtab_opts o = {.max_flows = 2, .timeout_ns = 10 * SEC};
  soc_flowtab *t = soc_flowtab_new(&o, on_end, &e);
  int dir;
  for (uint16_t port = 1; port <= 3; port++) {
    soc_packet p = tcp(A, port, B, 80, SOC_TCP_SYN, port);
    soc_flowtab_packet(t, &p, &dir);
  }
  assert_int_equal(e.n, 1); /* the third pushed the least recently active out */
  assert_int_equal(e.why[0], SOC_FLOW_END_EVICTED);
  assert_int_equal(soc_flowtab_stats_get(t)->evicted, 1);
  soc_packet p = tcp(A, 3, B, 80, SOC_TCP_ACK, 9 * SEC); /* keeps port 3 alive */
  soc_flowtab_packet(t, &p, &dir);
  soc_flowtab_expire(t, 12 * SEC);
  assert_int_equal(e.n, 2);
  assert_int_equal(e.why[1], SOC_FLOW_END_TIMEOUT);
  p = tcp(A, 3, B, 80, SOC_TCP_RST, 12 * SEC);
  soc_flowtab_packet(t, &p, &dir);
  soc_flowtab_flush(t);
  assert_int_equal(e.n, 3);
  assert_int_equal(e.why[2], SOC_FLOW_END_FLUSH);
  soc_flowtab_free(t);
}

static void community_id(void **state) {
  (void)state;
  /* The Community ID spec's example: TCP 128.232.110.120:34855 ->
   * 66.35.250.204:80 gives 1:LQU9qZlK+B5F3KDmev6m5PMibrg=. */
  soc_flow f = {.version = 4, .proto = SOC_IPPROTO_TCP, .port = {34855, 80}};
  memcpy(f.addr[0], "\x80\xe8\x6e\x78", 4);
  memcpy(f.addr[1], "\x42\x23\xfa\xcc", 4);
  char buf[40];
  assert_int_equal(soc_flow_community_id(&f, buf, sizeof buf), 0);
  assert_string_equal(buf, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  /* The same flow seen from the other side. */
  soc_flow g = {.version = 4, .proto = SOC_IPPROTO_TCP, .port = {80, 34855}};
  memcpy(g.addr[0], f.addr[1], 4);
  memcpy(g.addr[1], f.addr[0], 4);
  char buf2[40];
  soc_flow_community_id(&g, buf2, sizeof buf2);
  assert_string_equal(buf, buf2);
  f.proto = SOC_IPPROTO_ICMP;
  assert_int_equal(soc_flow_community_id(&f, buf, sizeof buf), -95 /* -ENOTSUP */);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(directions_and_close),
      cmocka_unit_test(timeout_eviction_and_flush),
      cmocka_unit_test(community_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
