/*
 * netproto_http — HTTP/1.x requests and responses from the two byte
 * streams of a connection.
 *
 * Each direction is a small state machine: a header block (kept whole, at
 * most HDR_MAX bytes, then parsed), then a body framed by Content-Length,
 * chunked transfer coding, or (responses only) the end of the connection.
 * Requests queue up as transactions (pipelining: at most TXN_MAX waiting);
 * a response belongs to the oldest one, and the pair is reported when the
 * response body ends. 1xx responses are skipped; HEAD, 204 and 304 have no
 * body; a CONNECT that succeeds turns the connection into a tunnel, which
 * ends parsing.
 *
 * Bodies are undone of chunked coding and of gzip / deflate content coding
 * (zlib, with the output bounded by body_max per body) and handed to the
 * body callback: that is what a YARA scan of a download or an upload sees.
 * The sizes reported (http.*.body.bytes) are those on the wire, after
 * chunked decoding and before decompression, as ECS defines them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "soc/netproto.h"

#define HDR_MAX (16 * 1024)
#define TXN_MAX 16
#define STR_MAX 4096 /* a header value or URI kept for the event */
#define INFLATE_CHUNK 16384

enum {
  S_START,
  S_HEADERS,
  S_BODY_LEN,
  S_CHUNK_SIZE,
  S_CHUNK_DATA,
  S_CHUNK_CRLF,
  S_TRAILER,
  S_BODY_CLOSE,
  S_DEAD
};

typedef struct txn {
  soc_http_txn pub;
  char *uri, *host, *ua, *ref, *reqtype, *resptype; /* owned, NULL when absent */
  uint8_t answered;                                 /* a (non-1xx) response has begun */
} txn;

typedef struct dirstate {
  int state;
  char *hdr; /* the header block being collected */
  size_t hlen;
  uint64_t remaining; /* body or chunk bytes left */
  char line[80];      /* a chunk-size or trailer line */
  size_t llen;
  int coded; /* gzip/deflate content coding */
  int zinit;
  z_stream z;
  uint64_t decoded; /* decoded bytes handed over */
  txn *cur;         /* whose body this is; NULL once reported */
} dirstate;

struct soc_http {
  soc_http_cbs cb;
  dirstate d[2];
  txn *q[TXN_MAX]; /* oldest first */
  size_t qn;
};

static const char empty[] = "";

soc_http *soc_http_new(const soc_http_cbs *cbs) {
  soc_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->cb = *cbs;
  if (!h->cb.body_max) h->cb.body_max = 1u << 20;
  return h;
}

static void txn_free(txn *t) {
  if (!t) return;
  free(t->uri);
  free(t->host);
  free(t->ua);
  free(t->ref);
  free(t->reqtype);
  free(t->resptype);
  free(t);
}

/* Points the public strings at the owned copies (or ""). */
static void txn_publish(txn *t) {
  t->pub.uri = t->uri ? t->uri : empty;
  t->pub.host = t->host ? t->host : empty;
  t->pub.user_agent = t->ua ? t->ua : empty;
  t->pub.referrer = t->ref ? t->ref : empty;
  t->pub.request_type = t->reqtype ? t->reqtype : empty;
  t->pub.response_type = t->resptype ? t->resptype : empty;
}

/* Reports and frees q[i]. */
static void txn_done(soc_http *h, size_t i) {
  txn *t = h->q[i];
  for (int d = 0; d < 2; d++)
    if (h->d[d].cur == t) h->d[d].cur = NULL;
  txn_publish(t);
  if (h->cb.on_txn) h->cb.on_txn(h->cb.arg, &t->pub);
  memmove(h->q + i, h->q + i + 1, (h->qn - i - 1) * sizeof *h->q);
  h->qn--;
  txn_free(t);
}

static txn *txn_add(soc_http *h) {
  if (h->qn == TXN_MAX) txn_done(h, 0);
  txn *t = calloc(1, sizeof *t);
  if (t) h->q[h->qn++] = t;
  return t;
}

static char *dup_cut(const char *s, size_t n) {
  if (n > STR_MAX) n = STR_MAX;
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static void set_str(char **dst, const char *s, size_t n) {
  if (*dst) return; /* the first of repeated headers */
  *dst = dup_cut(s, n);
}

/* ---- bodies ---------------------------------------------------------------- */

static void hand(soc_http *h, int dir, const uint8_t *p, size_t n) {
  dirstate *d = &h->d[dir];
  txn *t = d->cur;
  if (!t || !n) return;
  if (d->decoded >= h->cb.body_max) {
    if (!t->pub.truncated[dir]) h->cb.stats->http_body_truncated++;
    t->pub.truncated[dir] = 1;
    return;
  }
  if (n > h->cb.body_max - d->decoded) {
    n = (size_t)(h->cb.body_max - d->decoded);
    t->pub.truncated[dir] = 1;
    h->cb.stats->http_body_truncated++;
  }
  txn_publish(t);
  if (h->cb.on_body) h->cb.on_body(h->cb.arg, &t->pub, dir, p, n, d->decoded, 0);
  d->decoded += n;
}

/* Body bytes after chunked decoding: counted, decompressed, handed on. */
static void body(soc_http *h, int dir, const uint8_t *p, size_t n) {
  dirstate *d = &h->d[dir];
  if (d->cur) d->cur->pub.body_bytes[dir] += n;
  if (!d->coded || !d->cur) {
    hand(h, dir, p, n);
    return;
  }
  if (d->decoded >= h->cb.body_max) {
    hand(h, dir, p, 1); /* only marks it truncated */
    return;
  }
  if (!d->zinit) {
    memset(&d->z, 0, sizeof d->z);
    /* 15 + 32: zlib or gzip header, detected. */
    if (inflateInit2(&d->z, 15 + 32) != Z_OK) {
      d->coded = 0;
      return;
    }
    d->zinit = 1;
  }
  uint8_t out[INFLATE_CHUNK];
  d->z.next_in = (Bytef *)(uintptr_t)p;
  d->z.avail_in = (uInt)n;
  while (d->z.avail_in && d->decoded < h->cb.body_max) {
    d->z.next_out = out;
    d->z.avail_out = sizeof out;
    int rc = inflate(&d->z, Z_NO_FLUSH);
    hand(h, dir, out, sizeof out - d->z.avail_out);
    if (rc == Z_DATA_ERROR && d->decoded == 0 && d->z.total_in <= n) {
      /* "deflate" sent raw, without the zlib header: common enough. */
      inflateEnd(&d->z);
      if (inflateInit2(&d->z, -15) != Z_OK) {
        d->zinit = 0;
        d->coded = 0;
        return;
      }
      d->z.next_in = (Bytef *)(uintptr_t)p;
      d->z.avail_in = (uInt)n;
      continue;
    }
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      h->cb.stats->http_decode_errors++;
      d->coded = 0; /* the rest goes through as it is */
      break;
    }
    if (rc == Z_BUF_ERROR && d->z.avail_out) break;
  }
}

static void body_end(soc_http *h, int dir) {
  dirstate *d = &h->d[dir];
  txn *t = d->cur;
  if (d->zinit) {
    inflateEnd(&d->z);
    d->zinit = 0;
  }
  if (t) {
    txn_publish(t);
    if (h->cb.on_body && (t->pub.body_bytes[dir] || d->decoded))
      h->cb.on_body(h->cb.arg, &t->pub, dir, NULL, 0, d->decoded, 1);
  }
  d->coded = 0;
  d->decoded = 0;
  d->state = S_START;
  if (dir == 1 && t) {
    for (size_t i = 0; i < h->qn; i++)
      if (h->q[i] == t) {
        txn_done(h, i);
        break;
      }
  }
  d->cur = NULL;
}

/* ---- header blocks ------------------------------------------------------------ */

static int is_token_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *trim(const char *s, const char *e, size_t *n) {
  while (s < e && (*s == ' ' || *s == '\t')) s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
  *n = (size_t)(e - s);
  return s;
}

typedef struct framing {
  int chunked, has_len, coded, bad;
  uint64_t len;
} framing;

/* Reads the header lines of block b[0..n) (after the start line) into t
 * (dir 0: request fields, 1: response fields) and f. */
static void parse_headers(const char *b, const char *e, int dir, txn *t, framing *f) {
  while (b < e) {
    const char *nl = memchr(b, '\n', (size_t)(e - b));
    const char *le = nl ? nl : e;
    const char *colon = memchr(b, ':', (size_t)(le - b));
    if (colon) {
      size_t nlen = (size_t)(colon - b), vlen;
      const char *v = trim(colon + 1, le, &vlen);
#define IS(name) (nlen == sizeof name - 1 && !strncasecmp(b, name, nlen))
      if (IS("content-length")) {
        uint64_t x = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9' && x < (UINT64_C(1) << 60); i++)
          x = x * 10 + (uint64_t)(v[i] - '0');
        if (i == 0 || i != vlen || (f->has_len && f->len != x)) f->bad = 1;
        f->has_len = 1;
        f->len = x;
      } else if (IS("transfer-encoding")) {
        for (size_t i = 0; i + 7 <= vlen; i++)
          if (!strncasecmp(v + i, "chunked", 7)) f->chunked = 1;
      } else if (IS("content-encoding")) {
        if ((vlen >= 4 && !strncasecmp(v, "gzip", 4)) ||
            (vlen >= 6 && !strncasecmp(v, "x-gzip", 6)) ||
            (vlen >= 7 && !strncasecmp(v, "deflate", 7)))
          f->coded = 1;
      } else if (IS("content-type")) {
        const char *semi = memchr(v, ';', vlen);
        size_t tl;
        const char *tv = trim(v, semi ? semi : v + vlen, &tl);
        set_str(dir ? &t->resptype : &t->reqtype, tv, tl);
      } else if (dir == 0 && IS("host")) {
        /* Without the port; an IPv6 literal keeps its brackets. */
        size_t hl = vlen;
        const char *rb = memchr(v, ']', vlen);
        const char *c = memchr(rb ? rb : v, ':', vlen - (size_t)((rb ? rb : v) - v));
        if (c) hl = (size_t)(c - v);
        set_str(&t->host, v, hl);
      } else if (dir == 0 && IS("user-agent")) {
        set_str(&t->ua, v, vlen);
      } else if (dir == 0 && IS("referer")) {
        set_str(&t->ref, v, vlen);
      }
#undef IS
    }
    b = nl ? nl + 1 : e;
  }
}

/* The header block of direction dir is complete: hdr[0..n). */
static void headers_done(soc_http *h, int dir, const char *hb, size_t n) {
  dirstate *d = &h->d[dir];
  const char *e = hb + n, *nl = memchr(hb, '\n', n);
  const char *le = nl ? nl : e;
  framing f = {0};
  txn *t = NULL;
  if (dir == 0) {
    /* METHOD SP target SP HTTP/x.y */
    const char *sp1 = memchr(hb, ' ', (size_t)(le - hb));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;
    size_t ml = sp1 ? (size_t)(sp1 - hb) : 0;
    int ok = sp1 && sp2 && ml && ml < sizeof t->pub.method && le - sp2 >= 9 &&
             !memcmp(sp2 + 1, "HTTP/", 5);
    for (size_t i = 0; ok && i < ml; i++) ok = is_token_char((unsigned char)hb[i]);
    if (!ok || !(t = txn_add(h))) goto bad;
    h->cb.stats->http_requests++;
    t->pub.has_request = 1;
    memcpy(t->pub.method, hb, ml);
    size_t vl;
    const char *v = trim(sp2 + 6, le, &vl);
    snprintf(t->pub.version, sizeof t->pub.version, "%.*s", (int)(vl < 8 ? vl : 8), v);
    t->uri = dup_cut(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  } else {
    /* HTTP/x.y SP 3DIGIT [SP reason] */
    if (le - hb < 12 || memcmp(hb, "HTTP/", 5)) goto bad;
    const char *sp = memchr(hb, ' ', (size_t)(le - hb));
    if (!sp || le - sp < 4 || sp[1] < '1' || sp[1] > '5' || sp[2] < '0' || sp[2] > '9' ||
        sp[3] < '0' || sp[3] > '9')
      goto bad;
    int status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
    if (status < 200) { /* 100 Continue and friends: the real one follows */
      d->state = S_START;
      return;
    }
    h->cb.stats->http_responses++;
    if (h->qn && !h->q[0]->answered) {
      t = h->q[0];
    } else if (!(t = txn_add(h))) {
      goto bad;
    }
    t->answered = 1;
    t->pub.status = status;
    if (!t->pub.version[0])
      snprintf(t->pub.version, sizeof t->pub.version, "%.*s",
               (int)(sp - hb - 5 < 8 ? sp - hb - 5 : 8), hb + 5);
  }
  parse_headers(nl ? nl + 1 : e, e, dir, t, &f);
  if (f.bad) h->cb.stats->http_errors++;
  d->cur = t;
  d->coded = f.coded;
  d->decoded = 0;
  if (dir == 1) {
    int nobody = !strcmp(t->pub.method, "HEAD") || t->pub.status == 204 || t->pub.status == 304;
    if (!strcmp(t->pub.method, "CONNECT") && t->pub.status < 300) {
      /* A tunnel: what follows is not HTTP. */
      body_end(h, 1);
      h->d[0].state = h->d[1].state = S_DEAD;
      return;
    }
    if (nobody) {
      body_end(h, 1);
      return;
    }
  }
  if (f.chunked) {
    d->state = S_CHUNK_SIZE;
    d->llen = 0;
  } else if (f.has_len && f.len) {
    d->state = S_BODY_LEN;
    d->remaining = f.len;
  } else if (f.has_len || dir == 0) {
    body_end(h, dir);
  } else {
    d->state = S_BODY_CLOSE;
  }
  return;
bad:
  h->cb.stats->http_errors++;
  d->state = S_DEAD;
}

/* ---- the byte loop ------------------------------------------------------------- */

/* Collects a line into d->line; returns 1 when it is complete. */
static int take_line(dirstate *d, const uint8_t **p, const uint8_t *e) {
  while (*p < e) {
    uint8_t c = *(*p)++;
    if (c == '\n') {
      d->line[d->llen < sizeof d->line ? d->llen : sizeof d->line - 1] = '\0';
      return 1;
    }
    if (d->llen < sizeof d->line - 1) d->line[d->llen] = (char)c;
    d->llen++;
  }
  return 0;
}

void soc_http_data(soc_http *h, int dir, const uint8_t *p, size_t len) {
  dirstate *d = &h->d[dir];
  const uint8_t *e = p + len;
  while (p < e && d->state != S_DEAD) {
    switch (d->state) {
      case S_START:
        /* Stray CRLFs between messages are allowed (RFC 9112 2.2). */
        while (p < e && (*p == '\r' || *p == '\n')) p++;
        if (p == e) return;
        d->state = S_HEADERS;
        d->hlen = 0;
        break;
      case S_HEADERS: {
        if (!d->hdr && !(d->hdr = malloc(HDR_MAX))) {
          d->state = S_DEAD;
          return;
        }
        size_t from = d->hlen > 3 ? d->hlen - 3 : 0;
        size_t n = (size_t)(e - p);
        if (n > HDR_MAX - d->hlen) n = HDR_MAX - d->hlen;
        memcpy(d->hdr + d->hlen, p, n);
        d->hlen += n;
        /* The end of the block: an empty line, CRLF or bare LF. */
        size_t end = 0;
        /* line by line (memchr), not byte by byte: most lines are not empty */
        for (size_t i = from; i < d->hlen && !end; i++) {
          const char *nl = memchr(d->hdr + i, '\n', d->hlen - i);
          if (!nl) break;
          i = (size_t)(nl - d->hdr);
          if (i + 1 < d->hlen && d->hdr[i + 1] == '\n')
            end = i + 2;
          else if (i + 2 < d->hlen && d->hdr[i + 1] == '\r' && d->hdr[i + 2] == '\n')
            end = i + 3;
        }
        if (!end) {
          if (d->hlen == HDR_MAX) {
            h->cb.stats->http_errors++;
            d->state = S_DEAD;
          }
          p += n;
          break;
        }
        p += end - (d->hlen - n); /* what of this piece belonged to the block */
        headers_done(h, dir, d->hdr, end);
        break;
      }
      case S_BODY_LEN: {
        size_t n = (size_t)(e - p) < d->remaining ? (size_t)(e - p) : (size_t)d->remaining;
        body(h, dir, p, n);
        p += n;
        d->remaining -= n;
        if (!d->remaining) body_end(h, dir);
        break;
      }
      case S_CHUNK_SIZE:
        if (!take_line(d, &p, e)) break;
        {
          uint64_t x = 0;
          size_t i = 0, digits = 0;
          while (d->line[i] == ' ') i++;
          for (;; i++, digits++) {
            char c = d->line[i];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0) break;
            if (x >> 56) break;
            x = x * 16 + (uint64_t)v;
          }
          d->llen = 0;
          if (!digits) {
            h->cb.stats->http_errors++;
            d->state = S_DEAD;
            break;
          }
          d->remaining = x;
          d->state = x ? S_CHUNK_DATA : S_TRAILER;
        }
        break;
      case S_CHUNK_DATA: {
        size_t n = (size_t)(e - p) < d->remaining ? (size_t)(e - p) : (size_t)d->remaining;
        body(h, dir, p, n);
        p += n;
        d->remaining -= n;
        if (!d->remaining) {
          d->state = S_CHUNK_CRLF;
          d->llen = 0;
        }
        break;
      }
      case S_CHUNK_CRLF:
        if (take_line(d, &p, e)) {
          d->llen = 0;
          d->state = S_CHUNK_SIZE;
        }
        break;
      case S_TRAILER:
        if (!take_line(d, &p, e)) break;
        {
          int blank = d->llen == 0 || (d->llen == 1 && d->line[0] == '\r');
          d->llen = 0;
          if (blank) body_end(h, dir);
        }
        break;
      case S_BODY_CLOSE:
        body(h, dir, p, (size_t)(e - p));
        p = e;
        break;
    }
  }
}

void soc_http_gap(soc_http *h, int dir, size_t len) {
  dirstate *d = &h->d[dir];
  if (d->state == S_BODY_LEN && !d->coded && len < d->remaining) {
    /* A hole in a body of known length: the framing survives. */
    if (d->cur) {
      d->cur->pub.truncated[dir] = 1;
      d->cur->pub.body_bytes[dir] += len;
    }
    d->remaining -= len;
    d->decoded += len;
    return;
  }
  if (d->state == S_BODY_CLOSE) {
    if (d->cur) d->cur->pub.truncated[dir] = 1;
    return;
  }
  d->state = S_DEAD;
}

void soc_http_free(soc_http *h) {
  if (!h) return;
  for (int dir = 0; dir < 2; dir++)
    if (h->d[dir].state == S_BODY_CLOSE) body_end(h, dir);
  while (h->qn) txn_done(h, 0);
  for (int dir = 0; dir < 2; dir++) {
    if (h->d[dir].zinit) inflateEnd(&h->d[dir].z);
    free(h->d[dir].hdr);
  }
  free(h);
}
