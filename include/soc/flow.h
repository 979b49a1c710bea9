/*
 * flow — the flow table: packets grouped by bidirectional 5-tuple, with
 * per-direction counters, TCP flags, the two reassembly streams, and the
 * application parser's state.
 *
 * Direction 0 is from the client (the side that sent the first packet, or
 * the receiver of a first SYN-ACK) to the server, direction 1 back. ICMP
 * is one flow per pair of hosts (ports 0).
 *
 * A flow ends when it has been idle for `timeout_ns`, shortly
 * (`closed_timeout_ns`) after a RST or a FIN from both sides, when the
 * table is full and it is the least recently active one (evicted, and
 * counted: the memory cap is `max_flows`), or at soc_flowtab_flush (end of
 * a pcap file, shutdown). Times are packet times, so a file is processed
 * the same however fast it is read. The end callback sees the flow
 * complete, then the table frees it.
 *
 * Ownership: the table owns its flows. A soc_flow pointer is valid until
 * the flow's end callback returns. `app` belongs to the caller, who frees
 * it in the end callback.
 */
#ifndef SOC_FLOW_H
#define SOC_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "soc/decode.h"
#include "soc/tcpreasm.h"

typedef enum {
  SOC_FLOW_END_TIMEOUT, /* idle */
  SOC_FLOW_END_CLOSED,  /* FIN both ways */
  SOC_FLOW_END_RESET,   /* RST */
  SOC_FLOW_END_EVICTED, /* the table was full */
  SOC_FLOW_END_FLUSH,   /* end of input */
} soc_flow_end;

const char *soc_flow_end_name(soc_flow_end why);

typedef struct soc_flow {
  uint64_t id; /* unique within the table, in order of creation */
  uint8_t version, proto;
  uint8_t addr[2][16]; /* [0] client, [1] server */
  uint16_t port[2];
  int64_t first_ns, last_ns;
  uint64_t packets[2], bytes[2]; /* by direction; bytes on the wire */
  uint8_t tcp_flags[2];          /* OR of every packet's flags, by direction */
  uint8_t fin[2], rst;
  soc_tcp_stream stream[2];
  void *app;  /* the caller's (netmon: its protocol parsers) */
  void *user; /* netmon's caller's (netmon.h, on_flow_end) */
  /* The table's. */
  struct soc_flow *hnext, *prev, *next;
  uint32_t hash;
  uint8_t closing;
} soc_flow;

typedef struct soc_flowtab_opts {
  uint32_t max_flows;        /* default 65536 */
  int64_t timeout_ns;        /* idle; default 120 s */
  int64_t closed_timeout_ns; /* after RST / FIN both ways; default 5 s */
} soc_flowtab_opts;

typedef struct soc_flowtab_stats {
  int64_t created, ended, evicted, timeouts;
  int64_t active;
  int64_t alloc_failures;
} soc_flowtab_stats;

typedef void (*soc_flow_end_cb)(void *arg, soc_flow *flow, soc_flow_end why);

typedef struct soc_flowtab soc_flowtab;

/* opts may be NULL for the defaults. on_end (may be NULL) is called for
 * every flow that ends. Returns NULL when out of memory. */
soc_flowtab *soc_flowtab_new(const soc_flowtab_opts *opts, soc_flow_end_cb on_end, void *arg);
/* Ends every flow still there (as soc_flowtab_flush: on_end frees what
 * the caller hung on them), then frees the table. NULL is a no-op. */
void soc_flowtab_free(soc_flowtab *t);

/* The flow of pkt (a decoded, non-fragment IP packet), created if new,
 * with pkt counted in it. OUT: *dir, the packet's direction. Returns NULL
 * when memory is short (counted in alloc_failures). */
soc_flow *soc_flowtab_packet(soc_flowtab *t, const soc_packet *pkt, int *dir);
/* Ends the flows whose time is up at now_ns. */
void soc_flowtab_expire(soc_flowtab *t, int64_t now_ns);
/* Ends every flow (reason SOC_FLOW_END_FLUSH). */
void soc_flowtab_flush(soc_flowtab *t);

const soc_flowtab_stats *soc_flowtab_stats_get(const soc_flowtab *t);

/* The address of side 0 (client) or 1 (server) as text ("" if it does not
 * fit). buf holds >= 46 bytes for any address. */
void soc_flow_addr_str(const soc_flow *f, int side, char *buf, size_t buflen);

/* Community ID v1 (seed 0) of the flow, "1:" + base64 of a SHA-1 over the
 * ordered tuple, as Zeek, Suricata and Elastic compute it. Only for TCP,
 * UDP, SCTP; returns -ENOTSUP for other protocols. buf holds >= 32 bytes. */
int soc_flow_community_id(const soc_flow *f, char *buf, size_t buflen);

#endif
