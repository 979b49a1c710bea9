/*
 * Fuzz harness: packets through the whole traffic pipeline (lib/netmon.c:
 * decode, fragments, flows, TCP reassembly, DNS / HTTP / TLS / SSH) and
 * every event out through the JSON writer.
 *
 * Input: one byte choosing the link type, then packets, each a 2-byte
 * big-endian length and its bytes. Packet times advance 0.5 s per packet,
 * so flows and fragments also time out. The corpus (corpus/decode/) holds
 * conversations cut from the Suricata pcaps in tests/data/pcap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/netmon.h"

static void on_event(void *arg, soc_event *ev) {
  char *json = NULL;
  (void)arg;
  if (soc_event_to_json(ev, &json, NULL) == 0) free(json);
}

static void touch(const uint8_t *bytes, size_t len) {
  volatile uint8_t sink = 0;
  if (bytes && len) sink = (uint8_t)(bytes[0] ^ bytes[len - 1]); /* touch both ends */
  (void)sink;
}

/* The data last handed to the stream hook, per direction: ciphertext
 * (on_opaque) must lie inside it. */
static const uint8_t *last_data[2];
static size_t last_len[2];

static void on_stream(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len,
                      uint64_t offset) {
  (void)arg;
  (void)flow;
  (void)offset;
  touch(bytes, len);
  last_data[dir] = bytes;
  last_len[dir] = bytes ? len : 0;
}

static void on_opaque(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len) {
  (void)arg;
  (void)flow;
  uintptr_t p = (uintptr_t)bytes, d = (uintptr_t)last_data[dir];
  if (!len || p < d || p - d + len > last_len[dir]) abort();
  touch(bytes, len);
}

/* A body hook that reads every string of its transaction, as a scanner's
 * evidence does. */
static void on_body(void *arg, soc_flow *flow, const soc_http_txn *t, int dir, const uint8_t *bytes,
                    size_t len, uint64_t offset, int final) {
  (void)arg;
  (void)flow;
  (void)dir;
  (void)offset;
  (void) final;
  touch(bytes, len);
  if (t->uri) touch((const uint8_t *)t->uri, strlen(t->uri));
  if (t->host) touch((const uint8_t *)t->host, strlen(t->host));
}

static void on_flow_end(void *arg, soc_flow *flow) {
  (void)arg;
  flow->user = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int links[] = {SOC_LINK_ETHERNET,   SOC_LINK_RAW,  SOC_LINK_LINUX_SLL,
                              SOC_LINK_LINUX_SLL2, SOC_LINK_NULL, SOC_LINK_IPV4,
                              SOC_LINK_IPV6};
  if (size < 1) return 0;
  soc_netmon_opts o = {.flow = {.max_flows = 64},
                       .frag = {.max_bytes = 256 * 1024},
                       .tcp = {.depth = 64 * 1024, .max_pending = 16 * 1024},
                       .body_max = 64 * 1024,
                       .flow_records = 1,
                       .on_event = on_event,
                       .on_stream_data = on_stream,
                       .on_body = on_body,
                       .on_opaque = on_opaque,
                       .on_flow_end = on_flow_end};
  soc_netmon *nm = soc_netmon_new(&o);
  if (!nm) return 0;
  int link = links[data[0] % (sizeof links / sizeof *links)];
  size_t off = 1;
  int64_t ts = 1000000000LL;
  while (size - off >= 2) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    /* Its own copy, so a read past the packet is caught. */
    uint8_t *pkt = malloc(len ? len : 1);
    if (!pkt) break;
    for (size_t i = 0; i < len; i++) pkt[i] = data[off + i];
    soc_netmon_packet(nm, link, pkt, len, (uint32_t)len, ts);
    free(pkt);
    off += len;
    ts += 500000000LL;
  }
  soc_netmon_flush(nm);
  soc_netmon_free(nm);
  return 0;
}
