/*
 * decode — see the header.
 *
 * Every read goes through a (pointer, remaining length) pair that is
 * checked before the bytes are touched, so the worst a hostile packet can
 * do is earn a SOC_DECODE_BAD_* reason. Lengths inside headers are trusted
 * only as far as they agree with what was captured: an IPv4 total length
 * smaller than the capture trims Ethernet padding, a larger one means the
 * snap length cut the packet (flagged `snapped`, not malformed).
 */
#include "soc/decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100

#define IPV6_MAX_EXT 8

static const char *const result_names[SOC_DECODE_COUNT] = {
    [SOC_DECODE_OK] = "ok",
    [SOC_DECODE_FRAGMENT] = "fragment",
    [SOC_DECODE_NOT_IP] = "not_ip",
    [SOC_DECODE_BAD_LINKTYPE] = "bad_linktype",
    [SOC_DECODE_BAD_LINK] = "bad_link",
    [SOC_DECODE_BAD_VLAN] = "bad_vlan",
    [SOC_DECODE_BAD_IPV4] = "bad_ipv4",
    [SOC_DECODE_BAD_IPV6] = "bad_ipv6",
    [SOC_DECODE_BAD_IPV6_EXT] = "bad_ipv6_ext",
    [SOC_DECODE_BAD_FRAGMENT] = "bad_fragment",
    [SOC_DECODE_BAD_TCP] = "bad_tcp",
    [SOC_DECODE_BAD_UDP] = "bad_udp",
    [SOC_DECODE_BAD_ICMP] = "bad_icmp",
};

const char *soc_decode_result_name(soc_decode_result r) {
  return (unsigned)r < SOC_DECODE_COUNT ? result_names[r] : "unknown";
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

soc_decode_result soc_decode_transport(soc_packet *pkt, const uint8_t *p, size_t len) {
  switch (pkt->proto) {
    case SOC_IPPROTO_TCP: {
      if (len < 20) return SOC_DECODE_BAD_TCP;
      size_t off = (size_t)(p[12] >> 4) * 4;
      if (off < 20 || off > len) return SOC_DECODE_BAD_TCP;
      pkt->sport = be16(p);
      pkt->dport = be16(p + 2);
      pkt->seq = be32(p + 4);
      pkt->ack = be32(p + 8);
      pkt->tcp_flags = p[13];
      pkt->window = be16(p + 14);
      pkt->payload = p + off;
      pkt->payload_len = len - off;
      return SOC_DECODE_OK;
    }
    case SOC_IPPROTO_UDP: {
      if (len < 8) return SOC_DECODE_BAD_UDP;
      size_t ulen = be16(p + 4);
      if (ulen < 8) return SOC_DECODE_BAD_UDP;
      if (ulen > len) {
        /* Cut by the snap length, or lying; either way use what is here. */
        if (!pkt->snapped) return SOC_DECODE_BAD_UDP;
        ulen = len;
      }
      pkt->sport = be16(p);
      pkt->dport = be16(p + 2);
      pkt->payload = p + 8;
      pkt->payload_len = ulen - 8;
      return SOC_DECODE_OK;
    }
    case SOC_IPPROTO_ICMP:
    case SOC_IPPROTO_ICMPV6:
      if (len < 4) return SOC_DECODE_BAD_ICMP;
      pkt->sport = p[0];
      pkt->dport = p[1];
      pkt->payload = p + 4;
      pkt->payload_len = len - 4;
      return SOC_DECODE_OK;
    default:
      pkt->payload = p;
      pkt->payload_len = len;
      return SOC_DECODE_OK;
  }
}

/* Captured bytes vs. the length the IP header claims for the datagram:
 * fewer claimed is link-layer padding; more is the snap length at work if
 * the wire had more than was captured, and a lie otherwise. */
static int fit_length(soc_packet *pkt, size_t *have, size_t claimed) {
  if (claimed < *have) {
    *have = claimed;
  } else if (claimed > *have) {
    if (pkt->wire_len <= pkt->cap_len) return -1;
    pkt->snapped = 1;
  }
  return 0;
}

static soc_decode_result decode_ipv4(soc_packet *pkt, const uint8_t *p, size_t len) {
  if (len < 20 || p[0] >> 4 != 4) return SOC_DECODE_BAD_IPV4;
  size_t ihl = (size_t)(p[0] & 0x0f) * 4, total = be16(p + 2);
  if (ihl < 20 || ihl > len || total < ihl) return SOC_DECODE_BAD_IPV4;
  if (fit_length(pkt, &len, total) < 0) return SOC_DECODE_BAD_IPV4;
  pkt->ip_version = 4;
  pkt->ttl = p[8];
  pkt->proto = p[9];
  memcpy(pkt->src, p + 12, 4);
  memcpy(pkt->dst, p + 16, 4);
  uint16_t frag = be16(p + 6);
  uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
  if (offset || (frag & 0x2000)) {
    pkt->frag_id = be16(p + 4);
    pkt->frag_offset = offset;
    pkt->frag_more = (frag & 0x2000) != 0;
    pkt->frag_data = p + ihl;
    pkt->frag_len = len - ihl;
    if (offset + pkt->frag_len > 65535) return SOC_DECODE_BAD_FRAGMENT;
    return SOC_DECODE_FRAGMENT;
  }
  return soc_decode_transport(pkt, p + ihl, len - ihl);
}

static soc_decode_result decode_ipv6(soc_packet *pkt, const uint8_t *p, size_t len) {
  if (len < 40 || p[0] >> 4 != 6) return SOC_DECODE_BAD_IPV6;
  size_t total = 40 + (size_t)be16(p + 4);
  if (fit_length(pkt, &len, total) < 0) return SOC_DECODE_BAD_IPV6;
  pkt->ip_version = 6;
  pkt->ttl = p[7];
  memcpy(pkt->src, p + 8, 16);
  memcpy(pkt->dst, p + 24, 16);
  uint8_t next = p[6];
  size_t off = 40;
  for (int n = 0;; n++) {
    switch (next) {
      case 0:   /* hop-by-hop */
      case 43:  /* routing */
      case 60:  /* destination options */
      case 135: /* mobility */
        if (n == IPV6_MAX_EXT || len - off < 8) return SOC_DECODE_BAD_IPV6_EXT;
        {
          size_t elen = ((size_t)p[off + 1] + 1) * 8;
          if (elen > len - off) return SOC_DECODE_BAD_IPV6_EXT;
          next = p[off];
          off += elen;
        }
        continue;
      case 51: /* AH: length in 4-byte units, minus 2 */
        if (n == IPV6_MAX_EXT || len - off < 8) return SOC_DECODE_BAD_IPV6_EXT;
        {
          size_t elen = ((size_t)p[off + 1] + 2) * 4;
          if (elen > len - off) return SOC_DECODE_BAD_IPV6_EXT;
          next = p[off];
          off += elen;
        }
        continue;
      case 44: /* fragment */
        if (n == IPV6_MAX_EXT || len - off < 8) return SOC_DECODE_BAD_IPV6_EXT;
        {
          uint16_t fo = be16(p + off + 2);
          pkt->proto = p[off];
          pkt->frag_offset = (uint32_t)(fo & 0xfff8);
          pkt->frag_more = fo & 1;
          pkt->frag_id = be32(p + off + 4);
          off += 8;
          /* An "atomic" fragment (offset 0, no more) is a whole datagram. */
          if (pkt->frag_offset || pkt->frag_more) {
            pkt->frag_data = p + off;
            pkt->frag_len = len - off;
            if (pkt->frag_offset + pkt->frag_len > 65535) return SOC_DECODE_BAD_FRAGMENT;
            return SOC_DECODE_FRAGMENT;
          }
          next = pkt->proto;
        }
        continue;
      default:
        pkt->proto = next;
        return soc_decode_transport(pkt, p + off, len - off);
    }
  }
}

static soc_decode_result decode_ethertype(soc_packet *pkt, uint16_t type, const uint8_t *p,
                                          size_t len) {
  while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
    if (pkt->nvlan == 2 || len < 4) return SOC_DECODE_BAD_VLAN;
    pkt->vlan[pkt->nvlan++] = be16(p) & 0x0fff;
    type = be16(p + 2);
    p += 4;
    len -= 4;
  }
  if (type == ETH_IPV4) return decode_ipv4(pkt, p, len);
  if (type == ETH_IPV6) return decode_ipv6(pkt, p, len);
  return SOC_DECODE_NOT_IP;
}

static soc_decode_result decode_raw(soc_packet *pkt, const uint8_t *p, size_t len) {
  if (len < 1) return SOC_DECODE_BAD_LINK;
  if (p[0] >> 4 == 4) return decode_ipv4(pkt, p, len);
  if (p[0] >> 4 == 6) return decode_ipv6(pkt, p, len);
  return SOC_DECODE_NOT_IP;
}

soc_decode_result soc_decode(int linktype, const uint8_t *p, size_t caplen, uint32_t wire_len,
                             int64_t ts_ns, soc_packet *pkt) {
  memset(pkt, 0, sizeof *pkt);
  pkt->ts_ns = ts_ns;
  pkt->cap_len = caplen > UINT32_MAX ? UINT32_MAX : (uint32_t)caplen;
  pkt->wire_len = wire_len < pkt->cap_len ? pkt->cap_len : wire_len;
  switch (linktype) {
    case SOC_LINK_ETHERNET:
      if (caplen < 14) return SOC_DECODE_BAD_LINK;
      return decode_ethertype(pkt, be16(p + 12), p + 14, caplen - 14);
    case SOC_LINK_LINUX_SLL:
      if (caplen < 16) return SOC_DECODE_BAD_LINK;
      return decode_ethertype(pkt, be16(p + 14), p + 16, caplen - 16);
    case SOC_LINK_LINUX_SLL2:
      if (caplen < 20) return SOC_DECODE_BAD_LINK;
      return decode_ethertype(pkt, be16(p), p + 20, caplen - 20);
    case SOC_LINK_NULL: {
      /* The address family in the capturing host's byte order. */
      if (caplen < 4) return SOC_DECODE_BAD_LINK;
      uint32_t af =
          (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
      if (af > 0xffff) af = be32(p);
      if (af == 2) return decode_ipv4(pkt, p + 4, caplen - 4);
      if (af == 24 || af == 28 || af == 30) return decode_ipv6(pkt, p + 4, caplen - 4);
      return SOC_DECODE_NOT_IP;
    }
    case SOC_LINK_RAW:
    case 12: /* DLT_RAW on OpenBSD-style captures */
    case 14: /* DLT_RAW on BSD/OS */
      return decode_raw(pkt, p, caplen);
    case SOC_LINK_IPV4:
      return decode_ipv4(pkt, p, caplen);
    case SOC_LINK_IPV6:
      return decode_ipv6(pkt, p, caplen);
    default:
      return SOC_DECODE_BAD_LINKTYPE;
  }
}

/* IPv4 by hand: glibc's inet_ntop goes through sprintf, about 1,800
 * instructions an address, and the netmon and the scanner write two per
 * flow and per scanned object. IPv6 is rarer and its zero runs and mapped
 * forms are inet_ntop's to get right. */
void soc_ip_addr_str(int version, const uint8_t *addr, char *buf, size_t buflen) {
  if (version != 6 && buflen >= INET_ADDRSTRLEN) {
    char *p = buf;
    for (int i = 0; i < 4; i++) {
      unsigned v = addr[i];
      if (v >= 100) *p++ = (char)('0' + v / 100);
      if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
      *p++ = (char)('0' + v % 10);
      *p++ = i < 3 ? '.' : '\0';
    }
    return;
  }
  if (!inet_ntop(version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)buflen) && buflen)
    buf[0] = '\0';
}

void soc_packet_addr_str(const soc_packet *pkt, int dst, char *buf, size_t buflen) {
  soc_ip_addr_str(pkt->ip_version, dst ? pkt->dst : pkt->src, buf, buflen);
}
