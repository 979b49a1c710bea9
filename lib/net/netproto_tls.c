/*
 * netproto_tls — the ClientHello and ServerHello of a TLS handshake.
 *
 * Handshake records (content type 22) are unwrapped and their payloads
 * joined, since a hello may span records (post-quantum key shares make a
 * ClientHello larger than one record); the first handshake message of each
 * direction is parsed once it is whole. Anything else first (a record of
 * another type, SSLv2, bytes that are no TLS record) ends that direction.
 *
 * From the ClientHello: the server name (SNI), the ALPN list, the highest
 * version offered (supported_versions, else the legacy field), and JA3;
 * from the ServerHello: the version and the ALPN protocol chosen, and
 * JA3S. GREASE values (RFC 8701) are left out of versions and JA3, as the
 * JA3 definition says.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/hash.h"
#include "soc/netproto.h"

#define HS_MAX (32 * 1024)
#define JA3_MAX 4096

typedef struct tdir {
  uint8_t rec[5]; /* a record header being collected */
  size_t rlen;
  size_t body_left; /* bytes of the current record's payload still to come */
  uint8_t *hs;      /* handshake bytes joined */
  size_t hslen;
  int done; /* parsed, or given up */
} tdir;

struct soc_tls {
  soc_netproto_stats *stats;
  tdir d[2];
  soc_tls_info info;
};

soc_tls *soc_tls_new(soc_netproto_stats *stats) {
  soc_tls *t = calloc(1, sizeof *t);
  if (t) t->stats = stats;
  return t;
}

void soc_tls_free(soc_tls *t) {
  if (!t) return;
  free(t->d[0].hs);
  free(t->d[1].hs);
  free(t);
}

const soc_tls_info *soc_tls_info_get(const soc_tls *t) { return &t->info; }

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static int grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

/* A bounded reader: every get fails once past the end, and stays failed. */
typedef struct rd {
  const uint8_t *p;
  size_t n, off;
  int bad;
} rd;

static const uint8_t *take(rd *r, size_t k) {
  if (r->bad || r->n - r->off < k) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *p = r->p + r->off;
  r->off += k;
  return p;
}
static unsigned get8(rd *r) {
  const uint8_t *p = take(r, 1);
  return p ? p[0] : 0;
}
static unsigned get16(rd *r) {
  const uint8_t *p = take(r, 2);
  return p ? be16(p) : 0;
}

/* Appends v to a JA3 list, after a '-' unless it is the list's first. */
static void ja3_add(char *s, size_t *n, int first, unsigned v) {
  if (*n >= JA3_MAX - 16) return; /* room for '-', five digits and the NUL */
  if (!first) s[(*n)++] = '-';
  *n += soc_event_decimal(v, s + *n);
}

/* Appends the 16-bit values of list (its length in bytes first, lenbytes
 * wide) without GREASE, joined by '-'. */
static void ja3_list16(char *s, size_t *n, rd *r, size_t lenbytes) {
  size_t l = lenbytes == 1 ? get8(r) : get16(r);
  const uint8_t *p = take(r, l);
  int first = 1;
  for (size_t i = 0; p && i + 1 < l; i += 2) {
    uint16_t v = be16(p + i);
    if (grease(v)) continue;
    ja3_add(s, n, first, v);
    first = 0;
  }
}

static void md5_hex(const char *s, size_t n, char out[33]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  out[0] = '\0';
  if (!EVP_Digest(s, n, md, &len, EVP_md5(), NULL)) return;
  soc_hex(md, len < 16 ? len : 16, out);
}

static void copy_text(char *dst, size_t cap, const uint8_t *p, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++)
    dst[k++] = (char)(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
  dst[k] = '\0';
}

/* Extensions of a hello: r is at the extensions' length. */
static void parse_extensions(soc_tls *t, rd *r, int server, char *ja3, size_t *jn, char *curves,
                             size_t *cn, char *formats, size_t *fn) {
  soc_tls_info *i = &t->info;
  size_t total = get16(r);
  const uint8_t *ext = take(r, total);
  rd e = {ext, ext ? total : 0, 0, !ext};
  int first = 1;
  while (!e.bad && e.off + 4 <= e.n) {
    unsigned type = get16(&e), len = get16(&e);
    const uint8_t *body = take(&e, len);
    if (!body) break;
    rd b = {body, len, 0, 0};
    if (!grease((uint16_t)type)) {
      ja3_add(ja3, jn, first, type);
      first = 0;
    }
    if (type == 0 && !server) { /* server_name: list of (type, name) */
      get16(&b);
      if (get8(&b) == 0) {
        unsigned nl = get16(&b);
        const uint8_t *name = take(&b, nl);
        if (name) copy_text(i->sni, sizeof i->sni, name, nl);
      }
    } else if (type == 16) { /* ALPN */
      size_t l = get16(&b);
      rd a = {take(&b, l), l, 0, 0};
      a.bad = !a.p;
      while (!a.bad && a.off < a.n) {
        unsigned pl = get8(&a);
        const uint8_t *proto = take(&a, pl);
        if (!proto) break;
        if (server) {
          copy_text(i->server_alpn, sizeof i->server_alpn, proto, pl);
        } else if (i->nalpn < SOC_TLS_ALPN_MAX) {
          copy_text(i->alpn[i->nalpn++], sizeof i->alpn[0], proto, pl);
        }
      }
    } else if (type == 43) { /* supported_versions */
      if (server) {
        i->server_version = (uint16_t)get16(&b);
      } else {
        size_t l = get8(&b);
        const uint8_t *v = take(&b, l);
        for (size_t k = 0; v && k + 1 < l; k += 2) {
          uint16_t ver = be16(v + k);
          if (!grease(ver) && ver > i->client_version) i->client_version = ver;
        }
      }
    } else if (type == 10 && !server) { /* supported_groups */
      ja3_list16(curves, cn, &b, 2);
    } else if (type == 11 && !server) { /* ec_point_formats */
      size_t l = get8(&b);
      const uint8_t *f = take(&b, l);
      for (size_t k = 0; f && k < l; k++) ja3_add(formats, fn, k == 0, f[k]);
    }
  }
}

static int parse_client_hello(soc_tls *t, const uint8_t *m, size_t n) {
  soc_tls_info *i = &t->info;
  char ja3[JA3_MAX], exts[JA3_MAX], curves[JA3_MAX], formats[JA3_MAX];
  size_t jn = 0, en = 0, cn = 0, fn = 0;
  exts[0] = curves[0] = formats[0] = '\0';
  rd r = {m, n, 0, 0};
  unsigned legacy = get16(&r);
  take(&r, 32);       /* random */
  take(&r, get8(&r)); /* session id */
  jn = (size_t)snprintf(ja3, sizeof ja3, "%u,", legacy);
  ja3_list16(ja3, &jn, &r, 2); /* cipher suites */
  take(&r, get8(&r));          /* compression methods */
  if (r.bad) return -EBADMSG;
  if (r.off < r.n) parse_extensions(t, &r, 0, exts, &en, curves, &cn, formats, &fn);
  if (jn < JA3_MAX - 8)
    jn += (size_t)snprintf(ja3 + jn, JA3_MAX - jn, ",%s,%s,%s", exts, curves, formats);
  if (jn >= JA3_MAX) jn = JA3_MAX - 1;
  md5_hex(ja3, jn, i->ja3);
  if (!i->client_version || legacy > i->client_version) i->client_version = (uint16_t)legacy;
  i->have_client = 1;
  t->stats->tls_client_hellos++;
  return 0;
}

static int parse_server_hello(soc_tls *t, const uint8_t *m, size_t n) {
  soc_tls_info *i = &t->info;
  char ja3s[JA3_MAX], exts[JA3_MAX], unused[JA3_MAX];
  size_t jn = 0, en = 0, un = 0;
  exts[0] = '\0';
  rd r = {m, n, 0, 0};
  unsigned legacy = get16(&r);
  take(&r, 32);
  take(&r, get8(&r));
  unsigned cipher = get16(&r);
  get8(&r);
  if (r.bad) return -EBADMSG;
  if (r.off < r.n) parse_extensions(t, &r, 1, exts, &en, unused, &un, unused, &un);
  jn = (size_t)snprintf(ja3s, sizeof ja3s, "%u,%u,%s", legacy, cipher, exts);
  if (jn >= sizeof ja3s) jn = sizeof ja3s - 1;
  md5_hex(ja3s, jn, i->ja3s);
  if (!i->server_version) i->server_version = (uint16_t)legacy;
  i->have_server = 1;
  t->stats->tls_server_hellos++;
  return 0;
}

/* Joins handshake payload; parses the first message once it is whole. */
static void handshake(soc_tls *t, int dir, const uint8_t *p, size_t n) {
  tdir *d = &t->d[dir];
  if (d->done) return;
  if (!d->hs && !(d->hs = malloc(HS_MAX))) {
    d->done = 1;
    return;
  }
  if (n > HS_MAX - d->hslen) n = HS_MAX - d->hslen;
  memcpy(d->hs + d->hslen, p, n);
  d->hslen += n;
  if (d->hslen < 4) return;
  size_t mlen = (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
  if (4 + mlen > HS_MAX) {
    t->stats->tls_errors++;
    d->done = 1;
    return;
  }
  if (d->hslen < 4 + mlen) return;
  int rc = -EBADMSG;
  if (dir == 0 && d->hs[0] == 1) rc = parse_client_hello(t, d->hs + 4, mlen);
  if (dir == 1 && d->hs[0] == 2) rc = parse_server_hello(t, d->hs + 4, mlen);
  if (rc < 0) t->stats->tls_errors++;
  d->done = 1;
  free(d->hs);
  d->hs = NULL;
}

int soc_tls_data(soc_tls *t, int dir, const uint8_t *p, size_t n) {
  tdir *d = &t->d[dir];
  while (n && !d->done) {
    if (d->body_left) {
      size_t k = n < d->body_left ? n : d->body_left;
      handshake(t, dir, p, k);
      p += k;
      n -= k;
      d->body_left -= k;
      continue;
    }
    while (n && d->rlen < 5) {
      d->rec[d->rlen++] = *p++;
      n--;
    }
    if (d->rlen < 5) break;
    d->rlen = 0;
    /* type 22 (handshake), version 3.x, a length TLS allows */
    size_t rl = be16(d->rec + 3);
    if (d->rec[0] != 22 || d->rec[1] != 3 || rl == 0 || rl > 16384 + 2048) {
      if (!(dir == 1 && t->info.have_client && d->rec[0] == 21)) t->stats->tls_errors++;
      d->done = 1;
      break;
    }
    d->body_left = rl;
  }
  return t->d[0].done && t->d[1].done;
}

static const char *version_text(uint16_t v) {
  switch (v) {
    case 0x0300:
      return "3.0";
    case 0x0301:
      return "1.0";
    case 0x0302:
      return "1.1";
    case 0x0303:
      return "1.2";
    case 0x0304:
      return "1.3";
    default:
      return NULL;
  }
}

void soc_tls_to_event(const soc_tls_info *i, soc_event *ev) {
  char buf[SOC_TLS_ALPN_MAX * 70 + 4];
  if (!i->have_client && !i->have_server) return;
  uint16_t v = i->have_server ? i->server_version : i->client_version;
  const char *vt = version_text(v);
  if (vt) {
    soc_event_set(ev, "tls.version", vt, strlen(vt));
    soc_event_set(ev, "tls.version_protocol", v == 0x0300 ? "ssl" : "tls", 3);
  }
  if (i->have_client) {
    if (i->sni[0]) soc_event_set(ev, "tls.client.server_name", i->sni, strlen(i->sni));
    if (i->ja3[0]) soc_event_set(ev, "tls.client.ja3", i->ja3, 32);
    if (i->nalpn) {
      /* copy_text left printable ASCII: only quotes and backslashes need escaping. */
      size_t n = 0;
      buf[n++] = '[';
      for (unsigned k = 0; k < i->nalpn; k++) {
        if (k) buf[n++] = ',';
        buf[n++] = '"';
        for (const char *c = i->alpn[k]; *c; c++) {
          if (*c == '"' || *c == '\\') buf[n++] = '\\';
          buf[n++] = *c;
        }
        buf[n++] = '"';
      }
      buf[n++] = ']';
      soc_event_set_json(ev, "tls.client.supported_protocols", buf, n);
    }
  }
  if (i->have_server) {
    if (i->ja3s[0]) soc_event_set(ev, "tls.server.ja3s", i->ja3s, 32);
    if (i->server_alpn[0])
      soc_event_set(ev, "tls.next_protocol", i->server_alpn, strlen(i->server_alpn));
  }
  soc_event_set_json(ev, "tls.established", i->have_server ? "true" : "false",
                     i->have_server ? 4 : 5);
}
