/*
 * decode — one captured packet, from its link layer down to TCP, UDP or
 * ICMP, without allocating and without trusting a single length in it.
 *
 * Input is what libpcap hands over: the link type of the capture, the
 * captured bytes (caplen, maybe cut by the snap length) and the time.
 * Output is a soc_packet whose pointers point into those bytes. A packet
 * that does not decode gets a reason (SOC_DECODE_BAD_*) that the caller
 * counts; nothing here aborts or reads past caplen.
 *
 * Link types: Ethernet (with up to two 802.1Q / 802.1ad tags: QinQ),
 * Linux cooked capture v1 and v2, raw IP (LINKTYPE_RAW, IPV4, IPV6) and BSD
 * loopback (NULL). Network: IPv4 with options, IPv6 with its extension
 * headers (hop-by-hop, routing, fragment, destination options, AH; ESP
 * and "no next header" end the walk). A fragment is decoded up to its
 * fragment data and flagged: the caller reassembles (ipfrag.h) and then
 * decodes the transport header of the whole datagram with
 * soc_decode_transport.
 *
 * Checksums are not verified: a sensor sees offloaded checksums as wrong,
 * and Suricata's test pcaps are read with checksum checks off too.
 *
 * Ownership: a soc_packet borrows the bytes it was decoded from.
 */
#ifndef SOC_DECODE_H
#define SOC_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Link types (the LINKTYPE_ numbers of pcap files). */
#define SOC_LINK_NULL 0
#define SOC_LINK_ETHERNET 1
#define SOC_LINK_RAW 101
#define SOC_LINK_LINUX_SLL 113
#define SOC_LINK_IPV4 228
#define SOC_LINK_IPV6 229
#define SOC_LINK_LINUX_SLL2 276

#define SOC_IPPROTO_ICMP 1
#define SOC_IPPROTO_TCP 6
#define SOC_IPPROTO_UDP 17
#define SOC_IPPROTO_ICMPV6 58

/* TCP flags as in the header's 13th byte. */
#define SOC_TCP_FIN 0x01
#define SOC_TCP_SYN 0x02
#define SOC_TCP_RST 0x04
#define SOC_TCP_PSH 0x08
#define SOC_TCP_ACK 0x10
#define SOC_TCP_URG 0x20
#define SOC_TCP_ECE 0x40
#define SOC_TCP_CWR 0x80

typedef enum {
  SOC_DECODE_OK = 0,   /* transport decoded (or an IP protocol we do not decode) */
  SOC_DECODE_FRAGMENT, /* an IP fragment: frag_* set, transport not decoded */
  SOC_DECODE_NOT_IP,   /* ARP, LLDP, ...: fine, just not ours */
  /* Malformed, counted by reason. */
  SOC_DECODE_BAD_LINKTYPE, /* a link type we cannot read */
  SOC_DECODE_BAD_LINK,     /* link header cut short */
  SOC_DECODE_BAD_VLAN,     /* more than two VLAN tags, or a tag cut short */
  SOC_DECODE_BAD_IPV4,     /* version, header length or total length wrong */
  SOC_DECODE_BAD_IPV6,     /* header cut short or payload length wrong */
  SOC_DECODE_BAD_IPV6_EXT, /* an extension header cut short, or too many */
  SOC_DECODE_BAD_FRAGMENT, /* a fragment whose offset and length exceed 64 KiB */
  SOC_DECODE_BAD_TCP,      /* TCP header cut short or data offset wrong */
  SOC_DECODE_BAD_UDP,      /* UDP header cut short or length wrong */
  SOC_DECODE_BAD_ICMP,     /* ICMP header cut short */
  SOC_DECODE_COUNT
} soc_decode_result;

/* Text for counters and messages ("ok", "bad_tcp", ...). */
const char *soc_decode_result_name(soc_decode_result r);

typedef struct soc_packet {
  int64_t ts_ns;
  uint32_t wire_len; /* the packet's length on the wire (>= cap_len) */
  uint32_t cap_len;  /* bytes captured */
  uint16_t vlan[2];  /* VLAN ids, outer first */
  uint8_t nvlan;
  uint8_t ip_version;       /* 4 or 6; 0 when not IP */
  uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 bytes */
  uint8_t proto;            /* transport protocol number (IPv6: after extension headers) */
  uint8_t ttl;              /* IPv4 TTL or IPv6 hop limit */
  uint8_t snapped;          /* the capture cut this packet: payload is shorter than it was */
  /* Fragments (SOC_DECODE_FRAGMENT). */
  uint32_t frag_id;     /* IPv4 identification or IPv6 fragment id */
  uint32_t frag_offset; /* bytes */
  uint8_t frag_more;    /* more fragments follow */
  const uint8_t *frag_data;
  size_t frag_len;
  /* Transport. */
  uint16_t sport, dport; /* ICMP: type and code */
  uint8_t tcp_flags;
  uint32_t seq, ack; /* TCP */
  uint16_t window;
  const uint8_t *payload;
  size_t payload_len;
} soc_packet;

/* Decodes data[0..caplen) of link type linktype into *pkt (reset first).
 * wire_len is the original length (caplen when unknown). */
soc_decode_result soc_decode(int linktype, const uint8_t *data, size_t caplen, uint32_t wire_len,
                             int64_t ts_ns, soc_packet *pkt /* OUT */);

/* Decodes the transport header of pkt->proto from data[0..len) (a
 * reassembled datagram's payload) into pkt's transport fields. */
soc_decode_result soc_decode_transport(soc_packet *pkt, const uint8_t *data, size_t len);

/* The address as text: "192.0.2.1" or "2001:db8::1". buf holds >= 46 bytes. */
void soc_packet_addr_str(const soc_packet *pkt, int dst, char *buf, size_t buflen);
/* The address addr of IP version 4 or 6 as inet_ntop writes it, into
 * buf[0..buflen); "" when it does not fit. */
void soc_ip_addr_str(int version, const uint8_t *addr, char *buf, size_t buflen);

#endif
