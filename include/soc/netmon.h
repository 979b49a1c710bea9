/*
 * netmon — traffic in, ECS events out: the pipeline that an input (live
 * capture, pcap file), the fuzzer and the tests share.
 *
 *   packet -> decode -> ipfrag -> flow table -> tcpreasm -> netproto
 *                                   |                |          |
 *                              flow records   on_stream_data   DNS, HTTP, TLS,
 *                              when a flow    (first N bytes   SSH events;
 *                              ends           per direction)   on_body (HTTP bodies)
 *
 * Protocols are recognised by content, not port (HTTP by its request line
 * or status line, TLS by a handshake record, SSH by its banner), except
 * DNS, which is port 53 over UDP and TCP. One event per DNS message, one
 * per HTTP transaction, one per TLS handshake, one per SSH connection,
 * and one flow record per flow (when enabled), all with the flow's
 * client as source.* and server as destination.*, and its Community ID.
 *
 * Times are packet times: soc_netmon_packet expires flows as the capture's
 * clock moves; a live capture calls soc_netmon_tick when no packet comes.
 *
 * Ownership: the events handed to on_event are borrowed for the call and
 * reused afterwards. Not thread-safe: one netmon per capture thread.
 */
#ifndef SOC_NETMON_H
#define SOC_NETMON_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"
#include "soc/flow.h"
#include "soc/ipfrag.h"
#include "soc/netproto.h"
#include "soc/tcpreasm.h"

typedef struct soc_netmon_opts {
  soc_flowtab_opts flow;
  soc_ipfrag_opts frag;
  soc_tcpreasm_opts tcp; /* tcp.depth: the "first N bytes" of each direction */
  size_t body_max;       /* HTTP body bytes decoded and handed on, per body */
  int flow_records;      /* emit an event per flow when it ends */

  void *arg; /* for every callback */
  /* An event is ready (required). */
  void (*on_event)(void *arg, soc_event *ev);
  /* THE STREAM HOOK, for scanners (YARA): the reassembled bytes of a TCP
   * connection, per direction (0: client to server, 1: back), in order,
   * each byte once, at stream offset `offset`, up to tcp.depth bytes per
   * direction. bytes is NULL for a hole that will never be filled (len
   * bytes lost). Borrowed for the call; a scanner keeps its own copy of
   * what it needs (in flow->user). UDP payloads are not passed. May be
   * NULL. */
  void (*on_stream_data)(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len,
                         uint64_t offset);
  /* HTTP bodies, decoded (chunked, gzip, deflate), up to body_max bytes
   * each, with the transaction they belong to: a download is dir 1, an
   * upload dir 0. final is set once, with len 0, when the body ends. May
   * be NULL. */
  void (*on_body)(void *arg, soc_flow *flow, const soc_http_txn *txn, int dir, const uint8_t *bytes,
                  size_t len, uint64_t offset, int final);
  /* Ciphertext: len bytes at `bytes`, inside the data last handed to
   * on_stream_data for this direction, that no signature can be seen in —
   * the payload of a TLS record of type application_data (all of TLS 1.3
   * after the hellos), and every byte of an SSH direction after its
   * NEWKEYS packet. A scanner may leave them out of its object. Only
   * directions whose framing was followed from their first byte and
   * without a hole are told; anything unsure is not. May be NULL. */
  void (*on_opaque)(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len);
  /* A flow ends, after its last on_stream_data and on_body: where a
   * scanner finishes what it kept per flow in flow->user (the caller's to
   * allocate and to free here). May be NULL. */
  void (*on_flow_end)(void *arg, soc_flow *flow);
} soc_netmon_opts;

typedef struct soc_netmon soc_netmon;

/* Returns NULL when out of memory. */
soc_netmon *soc_netmon_new(const soc_netmon_opts *opts);
/* Ends every flow (events are emitted) and frees. NULL is a no-op. */
void soc_netmon_free(soc_netmon *nm);

/* One captured packet (see soc_decode). */
void soc_netmon_packet(soc_netmon *nm, int linktype, const uint8_t *data, size_t caplen,
                       uint32_t wire_len, int64_t ts_ns);
/* The clock moved without packets (live capture): expire what is due. */
void soc_netmon_tick(soc_netmon *nm, int64_t now_ns);
/* Ends every flow now (end of a file), emitting their events. */
void soc_netmon_flush(soc_netmon *nm);

/* Every counter, by name ("packets", "decode.bad_tcp", "flows.evicted",
 * "tcp.overlaps", "http.requests", ...), in a fixed order. */
typedef void (*soc_netmon_counter_cb)(void *arg, const char *name, int64_t value);
void soc_netmon_counters(const soc_netmon *nm, soc_netmon_counter_cb cb, void *arg);
/* Packets that did not decode, all reasons together. */
int64_t soc_netmon_malformed(const soc_netmon *nm);

#endif
