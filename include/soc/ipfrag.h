/*
 * ipfrag — IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * A datagram is keyed by (version, source, destination, protocol, id).
 * Its bytes go into one buffer that grows to the furthest fragment seen
 * (at most 64 KiB), and a bitmap of 8-byte blocks says what is filled:
 * fragment offsets are multiples of 8 in both IP versions. Overlaps are
 * resolved first-wins: bytes already received are never overwritten (the
 * same policy as tcpreasm.h), and every overlap is counted: honest stacks
 * do not send them, evasion tools do.
 *
 * Bounds: max_bytes for all buffers together, max_datagrams at once,
 * max_fragments per datagram, and a timeout in packet time. When memory or
 * the datagram count runs out the oldest datagram is dropped (counted), so
 * a flood of incomplete junk cannot starve real traffic for long.
 *
 * Ownership: a soc_ipfrag owns its buffers; the datagram returned by
 * soc_ipfrag_add stays valid until the next call on the same handle.
 */
#ifndef SOC_IPFRAG_H
#define SOC_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "soc/decode.h"

typedef struct soc_ipfrag_opts {
  size_t max_bytes;       /* default 4 MiB */
  uint32_t max_datagrams; /* default 1024 */
  uint32_t max_fragments; /* per datagram, default 64 */
  int64_t timeout_ns;     /* default 30 s */
} soc_ipfrag_opts;

typedef struct soc_ipfrag_stats {
  int64_t fragments;   /* taken in */
  int64_t reassembled; /* datagrams completed */
  int64_t timeouts;    /* datagrams dropped incomplete after the timeout */
  int64_t evicted;     /* datagrams dropped to stay within max_bytes / max_datagrams */
  int64_t overlaps;    /* fragments that overlapped bytes already received */
  int64_t too_many;    /* datagrams dropped past max_fragments */
  int64_t bad;         /* inconsistent: beyond the end a last fragment set, ... */
} soc_ipfrag_stats;

typedef struct soc_ipfrag soc_ipfrag;

/* opts may be NULL for the defaults. Returns NULL when out of memory. */
soc_ipfrag *soc_ipfrag_new(const soc_ipfrag_opts *opts);
void soc_ipfrag_free(soc_ipfrag *f);

/* Takes the fragment pkt (decoded as SOC_DECODE_FRAGMENT). When it
 * completes its datagram, returns 1 and sets *data, *len to the datagram's
 * transport bytes (borrowed, valid until the next call); else 0. */
int soc_ipfrag_add(soc_ipfrag *f, const soc_packet *pkt, const uint8_t **data, size_t *len);

/* Drops datagrams older than the timeout at time now_ns (packet time). */
void soc_ipfrag_expire(soc_ipfrag *f, int64_t now_ns);

const soc_ipfrag_stats *soc_ipfrag_stats_get(const soc_ipfrag *f);
/* Bytes held now. */
size_t soc_ipfrag_bytes(const soc_ipfrag *f);

#endif
