/*
 * Unit tests for decode: Ethernet, QinQ, Linux SLL, raw IP; IPv4 with
 * options and padding; IPv6 extension headers and fragments; TCP, UDP,
 * ICMP; every malformed packet gets its reason, and a packet cut at every
 * length never reads past what it was given (ASan checks that).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "soc/decode.h"

static const uint8_t eth_vlan2_ipv4_tcp[] = {
    /* Ethernet: dst, src, 802.1ad */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0xa8, 0x00, 0x64, 0x81,
    0x00,                   /* outer tag 100, then 802.1Q */
    0x00, 0xc8, 0x08, 0x00, /* inner tag 200, then IPv4 */
    /* IPv4, IHL 6 (one option word), total 24 + 20 + 3 */
    0x46, 0, 0, 47, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2, 1, 1, 1, 0,
    /* TCP 1234 -> 80, seq 0x01020304, SYN|ACK, data offset 5 */
    0x04, 0xd2, 0, 80, 1, 2, 3, 4, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0, 'a', 'b', 'c', 0,
    0, 0, 0 /* Ethernet padding: beyond the IPv4 total length */
};

static void ethernet_qinq_ipv4_tcp(void **state) {
  (void)state;
  soc_packet p;
  size_t n = sizeof eth_vlan2_ipv4_tcp;
  assert_int_equal(soc_decode(SOC_LINK_ETHERNET, eth_vlan2_ipv4_tcp, n, (uint32_t)n, 7, &p),
                   SOC_DECODE_OK);
  assert_int_equal(p.nvlan, 2);
  assert_int_equal(p.vlan[0], 100);
  assert_int_equal(p.vlan[1], 200);
  assert_int_equal(p.ip_version, 4);
  assert_int_equal(p.proto, SOC_IPPROTO_TCP);
  assert_int_equal(p.sport, 1234);
  assert_int_equal(p.dport, 80);
  assert_int_equal(p.seq, 0x01020304);
  assert_int_equal(p.tcp_flags, SOC_TCP_SYN | SOC_TCP_ACK);
  assert_int_equal(p.payload_len, 3); /* the padding is not payload */
  assert_memory_equal(p.payload, "abc", 3);
  char a[64];
  soc_packet_addr_str(&p, 1, a, sizeof a);
  assert_string_equal(a, "198.51.100.2");
}

static void every_cut_is_safe(void **state) {
  (void)state;
  soc_packet p;
  /* Each prefix in its own allocation, so ASan sees any read past it. */
  for (size_t n = 0; n < sizeof eth_vlan2_ipv4_tcp; n++) {
    uint8_t *b = malloc(n ? n : 1);
    memcpy(b, eth_vlan2_ipv4_tcp, n);
    soc_decode_result r = soc_decode(SOC_LINK_ETHERNET, b, n, (uint32_t)n, 0, &p);
    if (n < 14)
      assert_int_equal(r, SOC_DECODE_BAD_LINK);
    else if (n < 22)
      assert_int_equal(r, SOC_DECODE_BAD_VLAN);
    else if (n < 22 + 24)
      assert_int_equal(r, SOC_DECODE_BAD_IPV4);
    else if (n < 22 + 47)
      assert_int_equal(r, SOC_DECODE_BAD_IPV4); /* total length lies */
    else
      assert_int_equal(r, SOC_DECODE_OK);
    /* The same bytes cut by a snap length are not malformed. */
    r = soc_decode(SOC_LINK_ETHERNET, b, n, 200, 0, &p);
    if (n >= 22 + 24 + 20) {
      assert_int_equal(r, SOC_DECODE_OK);
      assert_true(p.snapped || n >= 22 + 47);
    }
    free(b);
  }
}

static const uint8_t ipv6_ext_frag_udp[] = {
    0x60, 0,    0,    0,    0,    32,   0 /* hop-by-hop */,
    64,   0x20, 0x01, 0x0d, 0xb8, 0,    0,
    0,    0,    0,    0,    0,    0,    0,
    0,    0,    1,    0x20, 0x01, 0x0d, 0xb8,
    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    2,    60,   0,
    1,    4,    0,    0,    0,    0, /* hop-by-hop -> destination options, 8 bytes */
    44,   0,    1,    4,    0,    0,    0,
    0, /* destination options -> fragment */
    17,   0,    0x00, 0x01, 0,    0,    0,
    42, /* fragment: UDP, offset 0, more, id 42 */
    0x00, 0x35, 0x30, 0x39, 0,    16,   0,
    0, /* the first 8 bytes of a UDP datagram */
};

static void ipv6_extension_headers_and_fragment(void **state) {
  (void)state;
  soc_packet p;
  size_t n = sizeof ipv6_ext_frag_udp;
  assert_int_equal(soc_decode(SOC_LINK_RAW, ipv6_ext_frag_udp, n, (uint32_t)n, 0, &p),
                   SOC_DECODE_FRAGMENT);
  assert_int_equal(p.ip_version, 6);
  assert_int_equal(p.proto, SOC_IPPROTO_UDP);
  assert_int_equal(p.frag_id, 42);
  assert_int_equal(p.frag_offset, 0);
  assert_true(p.frag_more);
  assert_int_equal(p.frag_len, 8);
  /* An extension header that claims more than is there. */
  uint8_t bad[sizeof ipv6_ext_frag_udp];
  memcpy(bad, ipv6_ext_frag_udp, n);
  bad[41] = 9;
  assert_int_equal(soc_decode(SOC_LINK_RAW, bad, n, (uint32_t)n, 0, &p), SOC_DECODE_BAD_IPV6_EXT);
}

static void linux_sll_and_other_links(void **state) {
  (void)state;
  soc_packet p;
  uint8_t sll[16 + 28] = {0,    0,    0,  1, 0,  6, 1, 2, 3, 4,  5, 6, 0, 0,  0x08,
                          0x00, 0x45, 0,  0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0,
                          0,    1,    10, 0, 0,  2, 8, 0, 0, 0,  0, 1, 0, 1};
  assert_int_equal(soc_decode(SOC_LINK_LINUX_SLL, sll, sizeof sll, sizeof sll, 0, &p),
                   SOC_DECODE_OK);
  assert_int_equal(p.proto, SOC_IPPROTO_ICMP);
  assert_int_equal(p.sport, 8); /* ICMP type */
  uint8_t arp[14 + 28] = {[12] = 0x08, [13] = 0x06};
  assert_int_equal(soc_decode(SOC_LINK_ETHERNET, arp, sizeof arp, sizeof arp, 0, &p),
                   SOC_DECODE_NOT_IP);
  assert_int_equal(soc_decode(147, arp, sizeof arp, sizeof arp, 0, &p), SOC_DECODE_BAD_LINKTYPE);
  /* A TCP header whose data offset points past the packet. */
  uint8_t tcp[20 + 20] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1,    10,
                          0,    0, 2, 0,  1, 0, 2, 0, 0,  0, 0, 0, 0,  0, 0, 0xf0, 0x02};
  assert_int_equal(soc_decode(SOC_LINK_RAW, tcp, sizeof tcp, sizeof tcp, 0, &p),
                   SOC_DECODE_BAD_TCP);
  assert_string_equal(soc_decode_result_name(SOC_DECODE_BAD_TCP), "bad_tcp");
}

/* soc_ip_addr_str writes IPv4 by hand: the same text as inet_ntop for
 * every octet value in every place, and a buffer too small for it. */
static void addr_text_as_inet_ntop(void **state) {
  (void)state;
  char a[64], b[64];
  for (int place = 0; place < 4; place++)
    for (unsigned v = 0; v < 256; v++) {
      uint8_t ip[4] = {10, 200, 3, 99};
      ip[place] = (uint8_t)v;
      soc_ip_addr_str(4, ip, a, sizeof a);
      assert_non_null(inet_ntop(AF_INET, ip, b, sizeof b));
      assert_string_equal(a, b);
    }
  uint8_t big[4] = {255, 255, 255, 255}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  soc_ip_addr_str(4, big, a, 16);
  assert_string_equal(a, "255.255.255.255");
  soc_ip_addr_str(4, big, a, 15);
  assert_string_equal(a, "");
  soc_ip_addr_str(6, v6, a, sizeof a);
  assert_string_equal(a, "2001:db8::1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ethernet_qinq_ipv4_tcp),
      cmocka_unit_test(every_cut_is_safe),
      cmocka_unit_test(ipv6_extension_headers_and_fragment),
      cmocka_unit_test(linux_sll_and_other_links),
      cmocka_unit_test(addr_text_as_inet_ntop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
