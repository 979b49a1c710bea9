/*
 * ipfrag — see the header.
 *
 * Datagrams sit in a small chained hash (by key) and on one list in order
 * of arrival, which is also the order of their timeouts and of eviction.
 * A completed datagram is unlinked and kept as `done` until the next call,
 * so the caller can read its bytes without copying them.
 */
#include "soc/ipfrag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DGRAM_MAX 65535u
#define BLOCKS ((DGRAM_MAX + 7) / 8 + 1)
#define BUCKETS 256

typedef struct dgram {
  struct dgram *hnext;       /* bucket chain */
  struct dgram *prev, *next; /* arrival list */
  uint8_t version, proto;
  uint8_t src[16], dst[16];
  uint32_t id;
  unsigned bucket;
  int64_t first_ns;
  uint32_t nfrags;
  uint32_t total; /* 0 until the last fragment came */
  uint8_t *buf;
  size_t cap;                   /* allocated bytes of buf */
  size_t end;                   /* furthest byte received */
  uint8_t have[BLOCKS / 8 + 1]; /* filled 8-byte blocks */
} dgram;

struct soc_ipfrag {
  soc_ipfrag_opts o;
  soc_ipfrag_stats st;
  dgram *bucket[BUCKETS];
  dgram *head, *tail; /* oldest first */
  uint32_t count;
  size_t bytes;
  dgram *done; /* last completed datagram, freed on the next call */
};

soc_ipfrag *soc_ipfrag_new(const soc_ipfrag_opts *opts) {
  soc_ipfrag *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  if (opts) f->o = *opts;
  if (!f->o.max_bytes) f->o.max_bytes = 4u << 20;
  if (!f->o.max_datagrams) f->o.max_datagrams = 1024;
  if (!f->o.max_fragments) f->o.max_fragments = 64;
  if (!f->o.timeout_ns) f->o.timeout_ns = 30LL * 1000000000LL;
  return f;
}

static void dgram_free(soc_ipfrag *f, dgram *d) {
  if (!d) return;
  f->bytes -= d->cap + sizeof *d;
  free(d->buf);
  free(d);
}

static unsigned hash_key(const soc_packet *p) {
  uint32_t h = 2166136261u;
  size_t n = p->ip_version == 6 ? 16 : 4;
  for (size_t i = 0; i < n; i++) h = (h ^ p->src[i]) * 16777619u;
  for (size_t i = 0; i < n; i++) h = (h ^ p->dst[i]) * 16777619u;
  h = (h ^ p->frag_id) * 16777619u;
  return (h ^ p->proto) % BUCKETS;
}

static void unlink_dgram(soc_ipfrag *f, dgram *d) {
  dgram **pp = &f->bucket[d->bucket];
  while (*pp != d) pp = &(*pp)->hnext;
  *pp = d->hnext;
  if (d->prev)
    d->prev->next = d->next;
  else
    f->head = d->next;
  if (d->next)
    d->next->prev = d->prev;
  else
    f->tail = d->prev;
  f->count--;
}

static void drop(soc_ipfrag *f, dgram *d) {
  unlink_dgram(f, d);
  dgram_free(f, d);
}

void soc_ipfrag_free(soc_ipfrag *f) {
  if (!f) return;
  while (f->head) drop(f, f->head);
  dgram_free(f, f->done);
  free(f);
}

void soc_ipfrag_expire(soc_ipfrag *f, int64_t now_ns) {
  dgram_free(f, f->done);
  f->done = NULL;
  while (f->head && now_ns - f->head->first_ns > f->o.timeout_ns) {
    f->st.timeouts++;
    drop(f, f->head);
  }
}

const soc_ipfrag_stats *soc_ipfrag_stats_get(const soc_ipfrag *f) { return &f->st; }
size_t soc_ipfrag_bytes(const soc_ipfrag *f) { return f->bytes; }

static int has(const dgram *d, size_t b) { return d->have[b / 8] >> (b % 8) & 1; }
static void set(dgram *d, size_t b) { d->have[b / 8] = (uint8_t)(d->have[b / 8] | 1u << (b % 8)); }

static dgram *find(soc_ipfrag *f, const soc_packet *p, unsigned h) {
  size_t n = p->ip_version == 6 ? 16 : 4;
  for (dgram *d = f->bucket[h]; d; d = d->hnext)
    if (d->id == p->frag_id && d->proto == p->proto && d->version == p->ip_version &&
        !memcmp(d->src, p->src, n) && !memcmp(d->dst, p->dst, n))
      return d;
  return NULL;
}

/* Makes room for `need` more bytes by dropping the oldest datagrams other
 * than keep. Returns 0, or -ENOSPC when keep alone is too much. */
static int make_room(soc_ipfrag *f, size_t need, const dgram *keep) {
  while (f->bytes + need > f->o.max_bytes) {
    dgram *old = f->head;
    if (old && old == keep) old = old->next;
    if (!old) return -ENOSPC;
    f->st.evicted++;
    drop(f, old);
  }
  return 0;
}

static int complete(const dgram *d) {
  if (!d->total) return 0;
  for (size_t b = 0; b < (d->total + 7) / 8; b++)
    if (!has(d, b)) return 0;
  return 1;
}

int soc_ipfrag_add(soc_ipfrag *f, const soc_packet *p, const uint8_t **data, size_t *len) {
  dgram_free(f, f->done);
  f->done = NULL;
  f->st.fragments++;
  size_t off = p->frag_offset, n = p->frag_len, end = off + n;
  /* Only the last fragment may end off an 8-byte boundary. */
  if (end > DGRAM_MAX || (p->frag_more && n % 8) || (p->frag_more && !n)) {
    f->st.bad++;
    return 0;
  }
  unsigned h = hash_key(p);
  dgram *d = find(f, p, h);
  if (!d) {
    if (f->count == f->o.max_datagrams) {
      f->st.evicted++;
      drop(f, f->head);
    }
    if (make_room(f, sizeof *d, NULL) < 0 || !(d = calloc(1, sizeof *d))) return 0;
    f->bytes += sizeof *d;
    d->version = p->ip_version;
    d->proto = p->proto;
    memcpy(d->src, p->src, 16);
    memcpy(d->dst, p->dst, 16);
    d->id = p->frag_id;
    d->first_ns = p->ts_ns;
    d->bucket = h;
    d->hnext = f->bucket[h];
    f->bucket[h] = d;
    d->prev = f->tail;
    if (f->tail)
      f->tail->next = d;
    else
      f->head = d;
    f->tail = d;
    f->count++;
  }
  if (++d->nfrags > f->o.max_fragments) {
    f->st.too_many++;
    drop(f, d);
    return 0;
  }
  if (!p->frag_more) {
    if ((d->total && d->total != end) || end < d->end) {
      f->st.bad++;
      drop(f, d);
      return 0;
    }
    d->total = (uint32_t)end;
  } else if (d->total && end > d->total) {
    f->st.bad++;
    drop(f, d);
    return 0;
  }
  if (end > d->cap) {
    size_t cap = d->cap ? d->cap : 1024;
    while (cap < end) cap *= 2;
    if (cap > DGRAM_MAX + 1) cap = DGRAM_MAX + 1;
    if (make_room(f, cap - d->cap, d) < 0) {
      f->st.evicted++;
      drop(f, d);
      return 0;
    }
    uint8_t *nb = realloc(d->buf, cap);
    if (!nb) return 0;
    f->bytes += cap - d->cap;
    d->buf = nb;
    d->cap = cap;
  }
  int overlap = 0;
  for (size_t b = off / 8; b * 8 < end; b++) {
    size_t from = b * 8, to = from + 8 < end ? from + 8 : end;
    if (has(d, b)) {
      overlap = 1;
      continue;
    }
    memcpy(d->buf + from, p->frag_data + (from - off), to - from);
    set(d, b);
  }
  if (overlap) f->st.overlaps++;
  if (end > d->end) d->end = end;
  if (!complete(d)) return 0;
  unlink_dgram(f, d);
  f->done = d;
  f->st.reassembled++;
  *data = d->buf;
  *len = d->total;
  return 1;
}
