/*
 * netscan — YARA over captured traffic, for the pcap input: the first
 * scan_bytes of each direction of every TCP connection, reassembled, less
 * its HTTP bodies and its ciphertext (TLS application data, SSH after the
 * key exchange: netmon's on_opaque; scan_encrypted keeps it), and every
 * HTTP body, decoded: each byte is scanned once.
 * Never packet by packet: each object is collected whole (bounded) and
 * scanned once, when it is complete (its size reached, its body ended, its
 * flow ended).
 *
 * A match becomes a draft through agent/finding.c, as a watched file's
 * does: the asset is the server (by the HTTP Host, else its address), the
 * evidence is the flow tuple and direction, the rule, its strings and
 * offsets, and the SHA-256 of the object scanned; the object's bytes go
 * with the draft (up to evidence.object_max_bytes) for the evidence bundle,
 * as a watched file's do.
 *
 * Findings wait in memory for the journal's commit, and are drafted in the
 * commit's transaction (soc_netscan_write from the input's checkpoint), so
 * events, positions and drafts land together: a file read again after a
 * crash finds the same objects and drafts nothing twice (finding.h).
 *
 * Memory: every buffer grows as bytes come, up to its object's limit, and
 * all of them together, with the matched objects waiting for their commit,
 * up to scan_memory; an object that would pass it is scanned early with
 * what it holds (counted as scan.early).
 *
 * Ownership: borrows the input (its config, ingest and store), which must
 * outlive it. Not thread-safe: it runs on the input's thread, like netmon.
 */
#ifndef SOC_AGENT_NETSCAN_H
#define SOC_AGENT_NETSCAN_H

#include "input.h"
#include "soc/netmon.h"

typedef struct soc_netscan soc_netscan;

/* NULL (and 0) when there is nothing to scan with: no rules.yara, or
 * neither scan_bytes nor scan_bodies. Problems are printed. */
int soc_netscan_new(soc_input *in, soc_netscan **out);
/* Frees the flows' buffers without scanning them. NULL is a no-op. */
void soc_netscan_free(soc_netscan *s);

/* The netmon hooks (netmon.h), with s as their argument. */
void soc_netscan_stream(soc_netscan *s, soc_flow *flow, int dir, const uint8_t *bytes, size_t len,
                        uint64_t offset);
void soc_netscan_body(soc_netscan *s, soc_flow *flow, const soc_http_txn *txn, int dir,
                      const uint8_t *bytes, size_t len, uint64_t offset, int final);
void soc_netscan_opaque(soc_netscan *s, soc_flow *flow, int dir, const uint8_t *bytes, size_t len);
void soc_netscan_flow_end(soc_netscan *s, soc_flow *flow);
/* From now on flows end without being scanned (the input is going away). */
void soc_netscan_close(soc_netscan *s);

/* Inside the commit transaction: drafts the findings waiting. */
int soc_netscan_write(soc_netscan *s, soc_store *store);
/* That transaction is durable: forget them. */
void soc_netscan_committed(soc_netscan *s);

/* Counters ("scan.streams", "scan.bodies", "scan.matches", ...). */
void soc_netscan_counters(const soc_netscan *s, soc_netmon_counter_cb cb, void *arg);

#endif
