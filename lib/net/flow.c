/*
 * flow — see the header.
 *
 * Flows live in a chained hash table keyed by the tuple in canonical order
 * (lower address/port first), so both directions find the same flow, and
 * on two lists in order of last activity: open flows, and closing ones
 * (RST, FIN both ways) that wait a short while for their last ACKs. The
 * head of each list is the next to time out, so expiry looks at heads only,
 * and the head of the open list is the one evicted when the table is full.
 * The hash is seeded at random per table, so a sender cannot aim its
 * tuples at one bucket.
 */
#include "soc/flow.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "soc/hash.h"

typedef struct flist {
  soc_flow *head, *tail;
} flist;

struct soc_flowtab {
  soc_flowtab_opts o;
  soc_flowtab_stats st;
  soc_flow_end_cb on_end;
  void *arg;
  soc_flow **bucket;
  uint32_t mask;
  uint32_t seed;
  uint64_t next_id;
  flist open, closing;
};

static const char *const end_names[] = {"timeout", "closed", "reset", "evicted", "flush"};

const char *soc_flow_end_name(soc_flow_end why) {
  return (unsigned)why <= SOC_FLOW_END_FLUSH ? end_names[why] : "unknown";
}

soc_flowtab *soc_flowtab_new(const soc_flowtab_opts *opts, soc_flow_end_cb on_end, void *arg) {
  soc_flowtab *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  if (opts) t->o = *opts;
  if (!t->o.max_flows) t->o.max_flows = 65536;
  if (!t->o.timeout_ns) t->o.timeout_ns = 120LL * 1000000000LL;
  if (!t->o.closed_timeout_ns) t->o.closed_timeout_ns = 5LL * 1000000000LL;
  uint32_t n = 64;
  while (n < t->o.max_flows && n < (1u << 24)) n <<= 1;
  t->bucket = calloc(n, sizeof *t->bucket);
  if (!t->bucket) {
    free(t);
    return NULL;
  }
  t->mask = n - 1;
  if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != sizeof t->seed)
    t->seed = (uint32_t)(uintptr_t)t;
  t->on_end = on_end;
  t->arg = arg;
  return t;
}

static void list_del(flist *l, soc_flow *f) {
  if (f->prev)
    f->prev->next = f->next;
  else
    l->head = f->next;
  if (f->next)
    f->next->prev = f->prev;
  else
    l->tail = f->prev;
  f->prev = f->next = NULL;
}

static void list_add(flist *l, soc_flow *f) {
  f->next = NULL;
  f->prev = l->tail;
  if (l->tail)
    l->tail->next = f;
  else
    l->head = f;
  l->tail = f;
}

static void end_flow(soc_flowtab *t, soc_flow *f, soc_flow_end why) {
  soc_flow **pp = &t->bucket[f->hash & t->mask];
  while (*pp != f) pp = &(*pp)->hnext;
  *pp = f->hnext;
  list_del(f->closing ? &t->closing : &t->open, f);
  t->st.active--;
  t->st.ended++;
  if (why == SOC_FLOW_END_EVICTED) t->st.evicted++;
  if (why == SOC_FLOW_END_TIMEOUT) t->st.timeouts++;
  if (t->on_end) t->on_end(t->arg, f, why);
  free(f);
}

void soc_flowtab_flush(soc_flowtab *t) {
  while (t->open.head) end_flow(t, t->open.head, SOC_FLOW_END_FLUSH);
  while (t->closing.head) end_flow(t, t->closing.head, SOC_FLOW_END_FLUSH);
}

void soc_flowtab_free(soc_flowtab *t) {
  if (!t) return;
  soc_flowtab_flush(t);
  free(t->bucket);
  free(t);
}

void soc_flowtab_expire(soc_flowtab *t, int64_t now_ns) {
  while (t->open.head && now_ns - t->open.head->last_ns > t->o.timeout_ns)
    end_flow(t, t->open.head, SOC_FLOW_END_TIMEOUT);
  while (t->closing.head && now_ns - t->closing.head->last_ns > t->o.closed_timeout_ns) {
    soc_flow *f = t->closing.head;
    end_flow(t, f, f->rst ? SOC_FLOW_END_RESET : SOC_FLOW_END_CLOSED);
  }
}

const soc_flowtab_stats *soc_flowtab_stats_get(const soc_flowtab *t) { return &t->st; }

static int addr_cmp(int version, const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb) {
  int c = memcmp(a, b, version == 6 ? 16 : 4);
  if (c) return c;
  return (pa > pb) - (pa < pb);
}

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

soc_flow *soc_flowtab_packet(soc_flowtab *t, const soc_packet *pkt, int *dir) {
  size_t alen = pkt->ip_version == 6 ? 16 : 4;
  int icmp = pkt->proto == SOC_IPPROTO_ICMP || pkt->proto == SOC_IPPROTO_ICMPV6;
  uint16_t sp = icmp ? 0 : pkt->sport, dp = icmp ? 0 : pkt->dport;
  int lo_is_src = addr_cmp(pkt->ip_version, pkt->src, sp, pkt->dst, dp) <= 0;
  const uint8_t *la = lo_is_src ? pkt->src : pkt->dst, *ha = lo_is_src ? pkt->dst : pkt->src;
  uint16_t lp = lo_is_src ? sp : dp, hp = lo_is_src ? dp : sp;
  uint8_t ports[4] = {(uint8_t)(lp >> 8), (uint8_t)lp, (uint8_t)(hp >> 8), (uint8_t)hp};
  uint32_t h = t->seed ^ 2166136261u;
  h = mix(h, la, alen);
  h = mix(h, ha, alen);
  h = mix(h, ports, 4);
  h = mix(h, &pkt->proto, 1);
  h = mix(h, &pkt->ip_version, 1);
  soc_flow *f = t->bucket[h & t->mask];
  for (; f; f = f->hnext) {
    if (f->hash != h || f->proto != pkt->proto || f->version != pkt->ip_version) continue;
    if (!memcmp(f->addr[0], pkt->src, alen) && !memcmp(f->addr[1], pkt->dst, alen) &&
        f->port[0] == sp && f->port[1] == dp) {
      *dir = 0;
      break;
    }
    if (!memcmp(f->addr[0], pkt->dst, alen) && !memcmp(f->addr[1], pkt->src, alen) &&
        f->port[0] == dp && f->port[1] == sp) {
      *dir = 1;
      break;
    }
  }
  if (!f) {
    if ((uint32_t)t->st.active >= t->o.max_flows) {
      soc_flow *old = t->open.head ? t->open.head : t->closing.head;
      if (old) end_flow(t, old, SOC_FLOW_END_EVICTED);
    }
    f = calloc(1, sizeof *f);
    if (!f) {
      t->st.alloc_failures++;
      return NULL;
    }
    /* A SYN-ACK first: its receiver opened the connection. */
    int swap = pkt->proto == SOC_IPPROTO_TCP &&
               (pkt->tcp_flags & (SOC_TCP_SYN | SOC_TCP_ACK)) == (SOC_TCP_SYN | SOC_TCP_ACK);
    f->id = ++t->next_id;
    f->version = pkt->ip_version;
    f->proto = pkt->proto;
    memcpy(f->addr[swap], pkt->src, alen);
    memcpy(f->addr[!swap], pkt->dst, alen);
    f->port[swap] = sp;
    f->port[!swap] = dp;
    f->first_ns = pkt->ts_ns;
    f->hash = h;
    f->hnext = t->bucket[h & t->mask];
    t->bucket[h & t->mask] = f;
    list_add(&t->open, f);
    t->st.created++;
    t->st.active++;
    *dir = swap;
  } else {
    list_del(f->closing ? &t->closing : &t->open, f);
    list_add(f->closing ? &t->closing : &t->open, f);
  }
  int d = *dir;
  if (pkt->ts_ns > f->last_ns) f->last_ns = pkt->ts_ns;
  f->packets[d]++;
  f->bytes[d] += pkt->wire_len;
  if (pkt->proto == SOC_IPPROTO_TCP) {
    f->tcp_flags[d] |= pkt->tcp_flags;
    if (pkt->tcp_flags & SOC_TCP_FIN) f->fin[d] = 1;
    if (pkt->tcp_flags & SOC_TCP_RST) f->rst = 1;
    if (!f->closing && (f->rst || (f->fin[0] && f->fin[1]))) {
      list_del(&t->open, f);
      f->closing = 1;
      list_add(&t->closing, f);
    }
  }
  return f;
}

int soc_flow_community_id(const soc_flow *f, char *buf, size_t buflen) {
  if (f->proto != SOC_IPPROTO_TCP && f->proto != SOC_IPPROTO_UDP && f->proto != 132)
    return -ENOTSUP;
  if (buflen < 32) return -ENOSPC;
  size_t alen = f->version == 6 ? 16 : 4, n = 0;
  uint8_t in[2 + 32 + 2 + 4], md[SOC_SHA1_LEN];
  int s = addr_cmp(f->version, f->addr[0], f->port[0], f->addr[1], f->port[1]) <= 0 ? 0 : 1;
  in[n++] = 0; /* seed, big-endian */
  in[n++] = 0;
  memcpy(in + n, f->addr[s], alen);
  n += alen;
  memcpy(in + n, f->addr[!s], alen);
  n += alen;
  in[n++] = f->proto;
  in[n++] = 0;
  in[n++] = (uint8_t)(f->port[s] >> 8);
  in[n++] = (uint8_t)f->port[s];
  in[n++] = (uint8_t)(f->port[!s] >> 8);
  in[n++] = (uint8_t)f->port[!s];
  if (soc_sha1(in, n, md) < 0) return -EIO;
  memcpy(buf, "1:", 2);
  EVP_EncodeBlock((unsigned char *)buf + 2, md, SOC_SHA1_LEN);
  return 0;
}

void soc_flow_addr_str(const soc_flow *f, int side, char *buf, size_t buflen) {
  soc_ip_addr_str(f->version, f->addr[side ? 1 : 0], buf, buflen);
}
