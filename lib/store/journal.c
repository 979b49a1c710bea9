/*
 * journal — blocks of lines, their encoding, retention and read-back.
 *
 * Encoding of one line inside a block (before compression):
 *   varint  pos - first_pos
 *   zigzag  ts_ns - the lowest ts_ns of the lines before it in the block
 *           (the first line's own, until an older line comes)
 *   zigzag  recv_ns - ts_ns
 *   varint  flags
 *   varint  host length, host bytes
 *   varint  peer length, peer bytes
 *   varint  data length, data bytes
 * Deltas keep the numbers small; zstd or LZ4 (opts.codec, the block's codec
 * column) takes care of the repetition in host names and in the lines
 * themselves (log lines compress 5-12x).
 *
 * The decoder trusts nothing: a block comes from disk, which can be
 * damaged, so every length is checked against what is left.
 */
#include "soc/journal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <lz4.h>
#include <string.h>
#include <zstd.h>

#include "bytes.h"

#define LINE_MAX_BYTES (16u * 1024u * 1024u)
#define BLOCK_DECODED_MAX (64u * 1024u * 1024u)
#define HOSTS_MAX 4096 /* bytes of the host list in a block's index column */
/* An LZ4 block does not say how long it decodes to, and zstd's frame does:
 * an LZ4 block's first 4 bytes give it (little-endian), so a reader sizes its
 * buffer and checks that the block decodes to exactly that. */
#define LZ4_HEAD 4

/* The encoders write through a local pointer into room reserved before, and
 * the buffer's length is set once a line: stores through b->p (bytes may
 * alias anything) made the compiler reload b->p and b->len at every byte
 * (~190 instructions a line for the four numbers). */
static uint8_t *put_varint(uint8_t *o, uint64_t v) {
  while (v >= 0x80) {
    *o++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t)v;
  return o;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static uint8_t *put_bytes(uint8_t *o, const void *p, size_t n) {
  o = put_varint(o, n);
  if (n) memcpy(o, p, n);
  return o + n;
}

/* One block being filled, or full and waiting for the commit. */
typedef struct block {
  char *source;
  int64_t stream;
  soc_block_meta meta;
  soc_bytes data;
  char hosts[HOSTS_MAX];
  size_t hosts_len;
  size_t last_host_off, last_host_len; /* the host listed or found last; len 0: none */
  int sealed;
} block;

struct soc_journal {
  soc_store *store;
  soc_journal_opts o;
  block *blocks;
  size_t n, cap;
  size_t pending_bytes, pending_lines;
  ZSTD_CCtx *cctx;
  soc_bytes packed;
};

static void block_release(block *b) {
  free(b->source);
  free(b->data.p);
  memset(b, 0, sizeof *b);
}

int soc_journal_open(soc_store *store, const soc_journal_opts *opts, soc_journal **out) {
  soc_journal *j = calloc(1, sizeof *j);
  *out = NULL;
  if (!j) return -ENOMEM;
  j->store = store;
  if (opts) j->o = *opts;
  if (!j->o.block_lines) j->o.block_lines = 1024;
  if (!j->o.block_bytes) j->o.block_bytes = 256 * 1024;
  if (!j->o.pending_max) j->o.pending_max = 16u * 1024 * 1024;
  if (!j->o.level) j->o.level = 1;
  if (!j->o.codec) j->o.codec = SOC_JOURNAL_CODEC_ZSTD;
  if (j->o.codec != SOC_JOURNAL_CODEC_ZSTD && j->o.codec != SOC_JOURNAL_CODEC_LZ4) {
    free(j);
    return -EINVAL;
  }
  j->cctx = ZSTD_createCCtx();
  if (!j->cctx) {
    free(j);
    return -ENOMEM;
  }
  *out = j;
  return 0;
}

void soc_journal_free(soc_journal *j) {
  if (!j) return;
  for (size_t i = 0; i < j->n; i++) block_release(&j->blocks[i]);
  free(j->blocks);
  free(j->packed.p);
  ZSTD_freeCCtx(j->cctx);
  free(j);
}

size_t soc_journal_pending_lines(const soc_journal *j) { return j->pending_lines; }
size_t soc_journal_pending_bytes(const soc_journal *j) { return j->pending_bytes; }

/* The open block of (source, stream), or a new one. Streams are few (one
 * per tailed file or listener), so a linear search is cheapest. */
static block *open_block(soc_journal *j, const char *source, int64_t stream) {
  for (size_t i = j->n; i-- > 0;) {
    block *b = &j->blocks[i];
    if (!b->sealed && b->stream == stream && strcmp(b->source, source) == 0) return b;
  }
  if (j->n == j->cap) {
    size_t cap = j->cap ? j->cap * 2 : 16;
    block *nb = realloc(j->blocks, cap * sizeof *nb);
    if (!nb) return NULL;
    j->blocks = nb;
    j->cap = cap;
  }
  block *b = &j->blocks[j->n];
  memset(b, 0, sizeof *b);
  b->source = strdup(source);
  if (!b->source) return NULL;
  b->stream = stream;
  j->n++;
  return b;
}

/* Adds host to the block's index unless listed. Lines come in runs from
 * one host, so the host listed or found last is tried before the list. */
static void note_host(block *b, const char *host, size_t hl) {
  if (!hl || hl >= sizeof b->hosts - 1) return;
  if (hl == b->last_host_len && memcmp(b->hosts + b->last_host_off, host, hl) == 0) return;
  /* already listed? the list is '\n'-separated */
  const char *p = b->hosts, *end = b->hosts + b->hosts_len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (l == hl && memcmp(p, host, hl) == 0) {
      b->last_host_off = (size_t)(p - b->hosts);
      b->last_host_len = hl;
      return;
    }
    p += l + 1;
  }
  if (b->hosts_len + hl + 2 > sizeof b->hosts) return; /* index full: the scan still filters */
  if (b->hosts_len) b->hosts[b->hosts_len++] = '\n';
  memcpy(b->hosts + b->hosts_len, host, hl);
  b->last_host_off = b->hosts_len;
  b->last_host_len = hl;
  b->hosts_len += hl;
  b->hosts[b->hosts_len] = '\0';
}

int soc_journal_append(soc_journal *j, const char *source, int64_t stream, const soc_jline *l) {
  if (l->len > LINE_MAX_BYTES) return -E2BIG;
  if (j->pending_bytes >= j->o.pending_max) return -EAGAIN;
  block *b = open_block(j, source, stream);
  if (!b) return -ENOMEM;
  size_t host_len = l->host ? strlen(l->host) : 0, pl = l->peer ? strlen(l->peer) : 0;
  size_t hl = host_len > 255 ? 255 : host_len;
  if (pl > 255) pl = 255;
  size_t need = 7 * 10 + hl + pl + l->len;
  /* A new block's buffer takes a full block at once: doubling from 4 KiB
   * copied everything it held at each step (pages not yet written are not
   * resident), and the line that seals it usually fits too. */
  if (!b->data.cap && need < j->o.block_bytes) need = j->o.block_bytes + need;
  if (soc_bytes_reserve(&b->data, need) < 0) return -ENOMEM;
  if (b->meta.lines == 0) {
    b->meta.first_pos = l->pos;
    b->meta.first_ts = b->meta.last_ts = l->ts_ns;
  }
  size_t before = b->data.len;
  /* meta.first_ts is the lowest time so far: the row's first_ts, which time
   * queries select blocks by, is the lowest of the block (walk_lines) */
  uint8_t *o = b->data.p + before; /* need: 7 numbers of at most 10 bytes */
  o = put_varint(o, l->pos - b->meta.first_pos);
  o = put_varint(o, zigzag(l->ts_ns - b->meta.first_ts));
  o = put_varint(o, zigzag(l->recv_ns - l->ts_ns));
  o = put_varint(o, l->flags);
  o = put_bytes(o, l->host, hl);
  o = put_bytes(o, l->peer, pl);
  o = put_bytes(o, l->data, l->len);
  b->data.len = (size_t)(o - b->data.p);
  b->meta.last_pos = l->pos;
  if (l->ts_ns < b->meta.first_ts) b->meta.first_ts = l->ts_ns;
  if (l->ts_ns > b->meta.last_ts) b->meta.last_ts = l->ts_ns;
  if (l->recv_ns > b->meta.recv_last) b->meta.recv_last = l->recv_ns;
  b->meta.lines++;
  b->meta.raw_bytes += (uint32_t)l->len;
  note_host(b, l->host, host_len);
  j->pending_bytes += b->data.len - before;
  j->pending_lines++;
  if (b->meta.lines >= j->o.block_lines || b->data.len >= j->o.block_bytes) b->sealed = 1;
  return 0;
}

/* Compresses in into j->packed with the journal's codec. */
static int pack(soc_journal *j, const soc_bytes *in) {
  int lz4 = j->o.codec == SOC_JOURNAL_CODEC_LZ4;
  if (in->len > BLOCK_DECODED_MAX) return -E2BIG; /* no reader would take it */
  size_t bound =
      lz4 ? LZ4_HEAD + (size_t)LZ4_compressBound((int)in->len) : ZSTD_compressBound(in->len);
  j->packed.len = 0;
  if (soc_bytes_reserve(&j->packed, bound) < 0) return -ENOMEM;
  if (lz4) {
    int n = LZ4_compress_default((const char *)in->p, (char *)j->packed.p + LZ4_HEAD, (int)in->len,
                                 (int)(bound - LZ4_HEAD));
    if (n <= 0) return -EIO;
    for (unsigned k = 0; k < LZ4_HEAD; k++) j->packed.p[k] = (uint8_t)(in->len >> (8 * k));
    j->packed.len = LZ4_HEAD + (size_t)n;
    return 0;
  }
  size_t n = ZSTD_compressCCtx(j->cctx, j->packed.p, bound, in->p, in->len, j->o.level);
  if (ZSTD_isError(n)) return -EIO;
  j->packed.len = n;
  return 0;
}

int soc_journal_flush(soc_journal *j) {
  for (size_t i = 0; i < j->n; i++) {
    block *b = &j->blocks[i];
    if (!b->meta.lines) continue;
    int rc = pack(j, &b->data);
    if (rc < 0) return rc;
    b->meta.source = b->source;
    b->meta.stream = b->stream;
    b->meta.codec = j->o.codec;
    b->meta.hosts = b->hosts;
    rc = soc_store_block_insert(j->store, &b->meta, j->packed.p, j->packed.len, NULL);
    if (rc < 0) return rc;
  }
  return 0;
}

void soc_journal_done(soc_journal *j, int committed) {
  if (!committed) return;
  for (size_t i = 0; i < j->n; i++) block_release(&j->blocks[i]);
  j->n = 0;
  j->pending_bytes = j->pending_lines = 0;
}

int soc_journal_enforce(soc_journal *j, int64_t forwarded_upto, int64_t now_ns,
                        soc_journal_trim *trim) {
  int result;
  soc_block_totals t, gone;
  soc_journal_trim tr = {0};
  if (j->o.max_age_sec > 0 && forwarded_upto > 0) {
    result = soc_store_block_delete(j->store, forwarded_upto, -1,
                                    now_ns - j->o.max_age_sec * 1000000000LL, &gone);
    if (result) return result;
    tr.blocks += gone.blocks;
    tr.lines += gone.lines;
    tr.bytes += gone.stored_bytes;
  }
  result = soc_store_block_totals(j->store, &t);
  if (result) return result;
  if (j->o.max_bytes > 0 && t.stored_bytes > j->o.max_bytes && forwarded_upto > 0) {
    result =
        soc_store_block_delete(j->store, forwarded_upto, t.stored_bytes - j->o.max_bytes, 0, &gone);
    if (result) return result;
    tr.blocks += gone.blocks;
    tr.lines += gone.lines;
    tr.bytes += gone.stored_bytes;
    t.stored_bytes -= gone.stored_bytes;
  }
  if (j->o.hard_max_bytes > 0 && t.stored_bytes > j->o.hard_max_bytes) {
    result =
        soc_store_block_delete(j->store, INT64_MAX, t.stored_bytes - j->o.hard_max_bytes, 0, &gone);
    if (result) return result;
    tr.lost_blocks = gone.blocks;
    tr.lost_lines = gone.lines;
    tr.lost_bytes = gone.stored_bytes;
  }
  if (trim) *trim = tr;
  return 0;
}

/* ---- read-back ----------------------------------------------------------- */

typedef struct reader {
  const uint8_t *p, *end;
} reader;

/* A varint of up to 8 bytes with 8 bytes to read: read as one word, its
 * 7-bit groups joined in three steps instead of a test and a shift per
 * byte. Lines carry seven varints, times and their deltas in nanoseconds
 * up to 8 bytes long, and each block is walked twice, so this was most of
 * a reader's per-line cost. Returns 0 when the varint is longer (or fewer
 * than 8 bytes are left): get_varint then reads it byte by byte. */
static int get_varint_word(reader *r, uint64_t *v) {
  uint64_t w, ends;
  if (r->end - r->p < 8) return 0;
  memcpy(&w, r->p, sizeof w);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  ends = ~w & UINT64_C(0x8080808080808080);
  if (!ends) return 0;
  unsigned n = (unsigned)__builtin_ctzll(ends) / 8 + 1;
  if (n < 8) w &= (UINT64_C(1) << (8 * n)) - 1;
  w &= UINT64_C(0x7f7f7f7f7f7f7f7f);
  w = (w & UINT64_C(0x007f007f007f007f)) | (w & UINT64_C(0x7f007f007f007f00)) >> 1;
  w = (w & UINT64_C(0x00003fff00003fff)) | (w & UINT64_C(0x3fff00003fff0000)) >> 2;
  w = (w & UINT64_C(0x000000000fffffff)) | (w & UINT64_C(0x0fffffff00000000)) >> 4;
  *v = w;
  r->p += n;
  return 1;
}

static int get_varint(reader *r, uint64_t *v) {
  if (r->p < r->end && *r->p < 0x80) { /* flags and lengths: most are one byte */
    *v = *r->p++;
    return 0;
  }
  if (get_varint_word(r, v)) return 0;
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) return -EBADMSG;
    uint8_t c = *r->p++;
    x |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -EBADMSG;
}

static int get_bytes(reader *r, const uint8_t **p, size_t *n) {
  uint64_t len;
  if (get_varint(r, &len) < 0 || len > (uint64_t)(r->end - r->p)) return -EBADMSG;
  *p = r->p;
  *n = (size_t)len;
  r->p += len;
  return 0;
}

/* One line's framing, as the first walk of a block read it. */
typedef struct jframe {
  uint64_t dpos, drecv, flags;
  int64_t rel; /* its time against the first line's */
  const uint8_t *hp, *pp, *dp;
  size_t hl, pl, dl;
} jframe;

/* Lines of a block whose framing the first walk keeps for the second
 * (walk_lines): the default block holds 1,024 lines; the lines of a larger
 * block past these are read again. */
#define FRAMES_MAX 4096

typedef struct scan_ctx {
  const soc_block_query *q;
  soc_jentry_cb cb;
  void *arg;
  soc_jdamage_cb on_damage;
  void *damage_arg;
  int64_t damaged;
  soc_bytes plain;
  int64_t low; /* of the block being read: see walk_lines */
  jframe *fr;  /* the first nfr lines of the block being read */
  size_t nfr, frcap;
  const uint8_t *resume; /* where line nfr starts, */
  int64_t resume_low;    /* and the lowest time before it */
  char host[256], peer[256];
} scan_ctx;

static void copy_str(char *dst, const uint8_t *p, size_t n) {
  memcpy(dst, p, n);
  dst[n] = '\0';
}

/* Times come from disk and can be anything: sums wrap, never overflow. */
static int64_t wrap(uint64_t v) { return (int64_t)v; }

/* Reads the line at r into f; *low is the lowest time of the lines before
 * it (relative to the first line's) and then with it. */
static int read_frame(reader *r, int64_t *low, jframe *f) {
  uint64_t dts;
  if (get_varint(r, &f->dpos) || get_varint(r, &dts) || get_varint(r, &f->drecv) ||
      get_varint(r, &f->flags) || get_bytes(r, &f->hp, &f->hl) || f->hl > 255 ||
      get_bytes(r, &f->pp, &f->pl) || f->pl > 255 || get_bytes(r, &f->dp, &f->dl))
    return -EBADMSG;
  f->rel = wrap((uint64_t)*low + (uint64_t)unzigzag(dts));
  if (f->rel < *low) *low = f->rel;
  return 0;
}

/* The first walk over the n decoded bytes of m: checks the framing of
 * every line and finds how far below the first line's time the lowest
 * went (c->low), keeping the first FRAMES_MAX lines' framing for
 * deliver_lines. Returns 0 or -EBADMSG.
 *
 * A line's time is encoded against the lowest time of the lines before it
 * (soc_journal_append), and the row's first_ts is the lowest of the whole
 * block. So times are rebuilt relative to the first line's: c->low puts
 * the first line at first_ts - c->low. (Before 2026-12-07 readers took
 * every delta against first_ts: the lines of a block before an older line
 * came back with times, and receive times, moved by the difference.) */
static int walk_lines(scan_ctx *c, const soc_block_meta *m, size_t n) {
  reader r = {c->plain.p, c->plain.p + n};
  int64_t low = 0;
  size_t keep = m->lines < FRAMES_MAX ? m->lines : FRAMES_MAX;
  if (keep > c->frcap) {
    /* without the room, the second walk reads every line again */
    jframe *fr = realloc(c->fr, keep * sizeof *fr);
    if (fr) {
      c->fr = fr;
      c->frcap = keep;
    }
  }
  if (keep > c->frcap) keep = c->frcap;
  c->nfr = 0;
  c->resume = r.p;
  c->resume_low = 0;
  for (uint32_t i = 0; i < m->lines; i++) {
    jframe spare, *f = i < keep ? &c->fr[i] : &spare;
    if (read_frame(&r, &low, f)) return -EBADMSG;
    if (i + 1 == keep) {
      c->resume = r.p;
      c->resume_low = low;
    }
  }
  c->nfr = keep;
  c->low = low;
  return r.p == r.end ? 0 : -EBADMSG;
}

/* Hands the lines of m that the query takes to the callback, after
 * walk_lines. Returns 0, -EBADMSG, or the callback's non-zero. */
static int deliver_lines(scan_ctx *c, const soc_block_meta *m, size_t n) {
  reader r = {c->resume, c->plain.p + n};
  int64_t low = c->resume_low, first = wrap((uint64_t)m->first_ts - (uint64_t)c->low);
  for (uint32_t i = 0; i < m->lines; i++) {
    jframe spare;
    const jframe *f = &spare;
    if (i < c->nfr)
      f = &c->fr[i];
    else if (read_frame(&r, &low, &spare))
      return -EBADMSG;
    soc_jentry e = {.block = m->id, .source = m->source, .stream = m->stream};
    e.line.pos = m->first_pos + f->dpos;
    e.line.ts_ns = wrap((uint64_t)first + (uint64_t)f->rel);
    e.line.recv_ns = wrap((uint64_t)e.line.ts_ns + (uint64_t)unzigzag(f->drecv));
    e.line.flags = (uint32_t)f->flags;
    copy_str(c->host, f->hp, f->hl);
    copy_str(c->peer, f->pp, f->pl);
    e.line.host = c->host;
    e.line.peer = f->pl ? c->peer : NULL;
    e.line.data = (const char *)f->dp;
    e.line.len = f->dl;
    const soc_block_query *q = c->q;
    if (q->host && strcmp(q->host, c->host) != 0) continue;
    if (q->since_ns && e.line.ts_ns < q->since_ns) continue;
    if (q->until_ns && e.line.ts_ns > q->until_ns) continue;
    int rc = c->cb(c->arg, &e);
    if (rc) return rc;
  }
  return 0;
}

/* The decoded size that m's data says it has, or -EBADMSG: a codec this
 * program does not know, or bytes that are not of the block's codec. */
static int64_t decoded_size(const soc_block_meta *m, const uint8_t *data, size_t len) {
  uint64_t size = 0;
  if (m->codec == SOC_JOURNAL_CODEC_LZ4) {
    if (len <= LZ4_HEAD || len - LZ4_HEAD > INT_MAX) return -EBADMSG; /* LZ4 counts in int */
    for (unsigned k = 0; k < LZ4_HEAD; k++) size |= (uint64_t)data[k] << (8 * k);
  } else if (m->codec == SOC_JOURNAL_CODEC_ZSTD) {
    unsigned long long s = ZSTD_getFrameContentSize(data, len);
    if (s == ZSTD_CONTENTSIZE_ERROR || s == ZSTD_CONTENTSIZE_UNKNOWN) return -EBADMSG;
    size = s;
  } else {
    return -EBADMSG;
  }
  return size > BLOCK_DECODED_MAX ? -EBADMSG : (int64_t)size;
}

/* Decodes m's data into c->plain: its length, -EBADMSG, or -ENOMEM. */
static int64_t unpack(scan_ctx *c, const soc_block_meta *m, const uint8_t *data, size_t len) {
  int64_t size = decoded_size(m, data, len);
  if (size < 0) return size;
  c->plain.len = 0;
  if (soc_bytes_reserve(&c->plain, (size_t)size + 1) < 0) return -ENOMEM;
  if (m->codec == SOC_JOURNAL_CODEC_LZ4) {
    int n = LZ4_decompress_safe((const char *)data + LZ4_HEAD, (char *)c->plain.p,
                                (int)(len - LZ4_HEAD), (int)size);
    return n == size ? size : -EBADMSG;
  }
  size_t n = ZSTD_decompress(c->plain.p, (size_t)size + 1, data, len);
  return !ZSTD_isError(n) && n == (size_t)size ? size : -EBADMSG;
}

/* Decodes the whole block before handing any line of it: a damaged block
 * yields nothing rather than its first lines and then garbage. */
static int scan_block(void *arg, const soc_block_meta *m, const void *data, size_t len) {
  scan_ctx *c = arg;
  const char *why = NULL;
  size_t n = 0;
  if (m->check == SOC_BLOCK_DAMAGED) {
    why = "checksum mismatch";
  } else {
    int64_t size = unpack(c, m, data, len);
    if (size == -ENOMEM) return -ENOMEM;
    n = size < 0 ? 0 : (size_t)size;
    if (size < 0 || walk_lines(c, m, n) < 0) why = "does not decode";
  }
  if (why) {
    c->damaged++;
    return c->on_damage ? c->on_damage(c->damage_arg, m, why) : 0;
  }
  return deliver_lines(c, m, n);
}

int soc_journal_pending_scan(soc_journal *j, soc_jpending_cb cb, void *arg) {
  for (size_t i = 0; i < j->n; i++) {
    block *b = &j->blocks[i];
    if (!b->meta.lines) continue;
    b->meta.source = b->source;
    b->meta.stream = b->stream;
    int rc = cb(arg, &b->meta, b->data.p, b->data.len);
    if (rc) return rc;
  }
  return 0;
}

void soc_journal_discard(soc_journal *j) { soc_journal_done(j, 1); }

int soc_journal_decode(const soc_block_meta *m, const void *enc, size_t len, soc_jentry_cb cb,
                       void *arg) {
  static const soc_block_query all = {0};
  scan_ctx c = {.q = &all, .cb = cb, .arg = arg};
  c.plain.p = (uint8_t *)enc; /* only read: the walks never write or free it */
  int rc = walk_lines(&c, m, len);
  if (!rc) rc = deliver_lines(&c, m, len);
  free(c.fr);
  return rc;
}

int soc_journal_scan_checked(soc_store *store, const soc_block_query *q, soc_jentry_cb cb,
                             void *arg, soc_jdamage_cb on_damage, void *damage_arg,
                             int64_t *damaged) {
  scan_ctx c = {.q = q, .cb = cb, .arg = arg, .on_damage = on_damage, .damage_arg = damage_arg};
  int result = soc_store_block_scan(store, q, scan_block, &c);
  free(c.plain.p);
  free(c.fr);
  if (damaged) *damaged = c.damaged;
  return result;
}

int soc_journal_scan(soc_store *store, const soc_block_query *q, soc_jentry_cb cb, void *arg) {
  int64_t damaged = 0;
  int result = soc_journal_scan_checked(store, q, cb, arg, NULL, NULL, &damaged);
  return result ? result : damaged ? -EBADMSG : 0;
}
