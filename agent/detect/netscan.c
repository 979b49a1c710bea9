/*
 * netscan — see the header for the why; here, the how.
 *
 * Per flow (flow->user) four buffers: the stream of each direction and the
 * HTTP body in progress of each direction. A stream buffer is scanned once,
 * when it holds scan_bytes or when its flow ends, then freed and marked
 * done; later bytes of that direction are not looked at (the "first N
 * bytes" of the issue: attacks are in the opening of a connection, and the
 * cost stays bounded per flow). A hole in the stream (a segment never
 * seen) is left out: the object is the bytes seen, in order, and the
 * offsets in the evidence are offsets in that object, which is what is
 * kept. A body is scanned when it ends (or its flow does); the next body
 * of that direction starts a fresh buffer.
 *
 * Each byte is scanned once: the bytes of an HTTP body that go into the
 * body's buffer are taken out of the stream's. The netmon hands a segment
 * to the stream hook first, then to the HTTP parser, whose body bytes
 * (neither chunked nor compressed: the parser passes them through) point
 * into that same segment; those are cut from the end of the stream
 * buffer, where the segment was just appended. So the stream object is a
 * direction's bytes less its bodies (the request and status lines,
 * headers, chunk sizes, a compressed body's raw bytes), and scan_bytes
 * counts those; a body's bytes are seen as the body, with its URL. A
 * stream that reached scan_bytes is scanned at its next segment or at the
 * flow's end, after the cut, not as soon as it is full.
 *
 * Scanning runs on the capture's thread. A scan of a 1 MiB object with the
 * shipped rules costs about a millisecond, and there is at most one per
 * direction per flow plus one per body, so the capture keeps its pace on
 * ordinary traffic (bench/pcap.sh measures it).
 *
 * Findings are kept (at most PENDING_MAX) until the next commit drafts
 * them; when the list could not take all of an object's findings the
 * commit is made at once, before the scan. Only a failing store loses one
 * (counted as scan.findings_lost).
 */
#include "netscan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "finding.h"
#include "ingest.h"
#include "soc/event.h"
#include "soc/hash.h"
#include "soc/json_obj.h"

#define FIRST_CAP 16384               /* a buffer's first allocation; it doubles up to its limit */
#define PENDING_MAX 256               /* findings waiting for a commit */
#define FINDINGS_MAX 16               /* rules drafted per object; more are only counted */
#define URL_MAX 2048                  /* bytes of a body's URL kept for its evidence */
#define TUPLE_MAX 160                 /* "tcp ADDR:PORT -> ADDR:PORT" for any two addresses */
#define SIGHTING_MAX (TUPLE_MAX + 48) /* "KIND TUPLE DIRECTION #N" */

enum {
  C_STREAMS,
  C_BODIES,
  C_BYTES,
  C_MATCHES,
  C_DRAFTS,
  C_EARLY,
  C_TIMEOUTS,
  C_ERRORS,
  C_LOST,
  C_OPAQUE,
  C_COUNT
};
static const char *const counter_names[C_COUNT] = {
    "scan.streams", "scan.bodies",   "scan.bytes",  "scan.matches",       "scan.drafts",
    "scan.early",   "scan.timeouts", "scan.errors", "scan.findings_lost", "scan.opaque_bytes"};

typedef struct buf {
  uint8_t *data;
  size_t len, cap;
  int done; /* scanned (or given up): later bytes are not kept */
} buf;

/* The segment last appended to a stream buffer, for the cut of its body
 * bytes (see the top). */
typedef struct seg {
  uintptr_t data; /* its first byte, as handed to the stream hook */
  size_t len;     /* of it appended */
  size_t at;      /* where its first byte went in the buffer */
  size_t cut;     /* bytes of it cut so far */
} seg;

typedef struct flowscan {
  buf stream[2];
  seg last[2];
  buf body[2];
  char *url[2];        /* of the body in progress: "http://host/uri" */
  char *host[2];       /* its Host header */
  unsigned scanned[2]; /* objects of each direction so far: a sighting's number */
} flowscan;

typedef struct pending {
  soc_found f;
  char object[SIGHTING_MAX];        /* this sighting: kind, flow, direction, its number there */
  char key[8 + SOC_SHA256_HEX_LEN]; /* the alert's: "sha256:HEX" (finding.h) */
  char conversation[TUPLE_MAX];     /* "tcp CLIENT -> SERVER:PORT": an entity of the alert */
  char asset[256];
  char sha256[SOC_SHA256_HEX_LEN + 1];
  int64_t ts_ns;
  const uint8_t *bytes; /* the object, kept with the draft (finding.h) */
  size_t len;
  uint8_t *owned;   /* the first finding of an object owns them */
  size_t owned_cap; /* counted in held until the commit */
} pending;

struct soc_netscan {
  soc_input *in;
  const soc_config *cfg;
  soc_assets *assets;
  soc_yara_scanner *scanner; /* made at the first object: the engine comes after us */
  int off;                   /* no engine after all: nothing is kept */
  int closing;
  size_t stream_limit, body_limit, memory;
  size_t held;    /* bytes of buffers, and of objects waiting to be drafted */
  size_t waiting; /* of which those waiting */
  char host[256];
  pending p[PENDING_MAX];
  size_t np;
  int64_t drafted; /* by the transaction in progress (in ctr already) */
  int64_t ctr[C_COUNT];
};

/* What one scan is about. */
typedef struct object {
  soc_netscan *s;
  const soc_flow *flow;
  int dir;
  const char *kind; /* "stream" or "http-body": YARA's filetype */
  const char *url, *http_host;
  const uint8_t *data;
  size_t len;
  char tuple[TUPLE_MAX], sha256[SOC_SHA256_HEX_LEN + 1];
  unsigned number; /* of this object in its flow's direction */
  pending *first;  /* this object's findings: first .. s->p + s->np */
} object;

static const char *dir_name(int dir) { return dir ? "server-to-client" : "client-to-server"; }

static int ready(soc_netscan *s) {
  if (s->scanner) return 1;
  if (s->off || s->closing) return 0;
  soc_yara_engine *e = soc_ingest_yara(s->in->ingest);
  if (!e || soc_yarascan_scanner_new(e, &s->scanner) < 0) s->off = 1;
  return !s->off;
}

/* ---- findings ------------------------------------------------------------------ */

static fjson_object *endpoint(const soc_flow *f, int side) {
  char a[64];
  fjson_object *o = fjson_object_new_object();
  soc_flow_addr_str(f, side, a, sizeof a);
  soc_json_add_str(o, "ip", a);
  fjson_object_object_add(o, "port", fjson_object_new_int(f->port[side]));
  return o;
}

/* What the object was, for the draft's finding and the alert: ECS source,
 * destination, network, file (its kind, size and hash), url. */
static void describe(const object *o, fjson_object *into) {
  char cid[64];
  fjson_object *net = fjson_object_new_object(), *file = fjson_object_new_object(),
               *hash = fjson_object_new_object();
  fjson_object_object_add(into, "source", endpoint(o->flow, 0));
  fjson_object_object_add(into, "destination", endpoint(o->flow, 1));
  soc_json_add_str(net, "transport", "tcp");
  soc_json_add_str(net, "direction", dir_name(o->dir));
  if (soc_flow_community_id(o->flow, cid, sizeof cid) == 0)
    soc_json_add_str(net, "community_id", cid);
  fjson_object_object_add(into, "network", net);
  soc_json_add_str(file, "type", o->kind);
  fjson_object_object_add(file, "size", fjson_object_new_int64((int64_t)o->len));
  soc_json_add_str(hash, "sha256", o->sha256);
  fjson_object_object_add(file, "hash", hash);
  fjson_object_object_add(into, "file", file);
  if (o->url) {
    fjson_object *url = fjson_object_new_object();
    soc_json_add_str(url, "full", o->url);
    fjson_object_object_add(into, "url", url);
  }
}

static int on_match(void *arg, const soc_yara_match *m) {
  object *o = arg;
  soc_netscan *s = o->s;
  char what[TUPLE_MAX + URL_MAX + 160];
  s->ctr[C_MATCHES]++;
  if (!o->sha256[0]) { /* only a finding needs it: most objects match nothing */
    uint8_t h[SOC_SHA256_LEN];
    soc_sha256(o->data, o->len, h);
    soc_hex(h, SOC_SHA256_LEN, o->sha256);
  }
  if (s->p + s->np - o->first == FINDINGS_MAX) return 0;
  if (s->np == PENDING_MAX) {
    s->ctr[C_LOST]++;
    return 0;
  }
  snprintf(what, sizeof what, "%s %s %s%s%s sha256=%s size=%zu", o->kind, o->tuple,
           dir_name(o->dir), o->url ? " url=" : "", o->url ? o->url : "", o->sha256, o->len);
  pending *p = &s->p[s->np];
  if (soc_found_from_yara(&p->f, m, SOC_CATEGORY_INTRUSION, what) < 0) {
    s->ctr[C_LOST]++;
    return 0;
  }
  describe(o, p->f.detail);
  describe(o, p->f.ecs);
  /* the server is the asset: by its host name when the inventory knows it */
  soc_asset_match am = {0};
  char addr[64];
  soc_flow_addr_str(o->flow, 1, addr, sizeof addr);
  if (o->http_host && *o->http_host) soc_assets_lookup(s->assets, o->http_host, &am);
  snprintf(p->asset, sizeof p->asset, "%s",
           o->http_host && *o->http_host && !am.fallback ? o->http_host : addr);
  snprintf(p->object, sizeof p->object, "%s %s %s #%u", o->kind, o->tuple, dir_name(o->dir),
           o->number);
  snprintf(p->key, sizeof p->key, "sha256:%s", o->sha256);
  char client[64];
  soc_flow_addr_str(o->flow, 0, client, sizeof client);
  snprintf(p->conversation, sizeof p->conversation, "tcp %s -> %s:%u", client, addr,
           o->flow->port[1]);
  memcpy(p->sha256, o->sha256, sizeof p->sha256);
  p->ts_ns = o->flow->last_ns;
  p->bytes = o->data; /* made the pending's own after the scan (take_bytes) */
  p->len = o->len;
  p->owned = NULL;
  s->np++;
  return 0;
}

/* The object's findings take its buffer (no copy: it is counted in held
 * until the commit frees it) when it may be kept with the drafts. */
static void take_bytes(soc_netscan *s, buf *b, pending *first) {
  int keep = b->len <= (size_t)s->cfg->evidence.object_max_bytes;
  for (pending *p = first; p < s->p + s->np; p++) p->bytes = keep ? b->data : NULL;
  if (!keep) return;
  first->owned = b->data;
  first->owned_cap = b->cap;
  s->waiting += b->cap;
  b->data = NULL;
  b->len = b->cap = 0;
}

/* "tcp A:P -> B:P" by hand: snprintf cost 1,500 instructions an object. */
_Static_assert(TUPLE_MAX >= 4 + 4 + 2 * (INET6_ADDRSTRLEN + 6), "a tuple fits");
static void tuple_text(const soc_flow *f, char *out) {
  char *p = out;
  memcpy(p, "tcp ", 4);
  p += 4;
  for (int side = 0; side < 2; side++) {
    soc_flow_addr_str(f, side, p, INET6_ADDRSTRLEN);
    p += strlen(p);
    *p++ = ':';
    p += soc_event_decimal(f->port[side], p);
    if (!side) {
      memcpy(p, " -> ", 4);
      p += 4;
    }
  }
}

static void scan(soc_netscan *s, const soc_flow *flow, int dir, const char *kind, buf *b,
                 const char *url, const char *http_host) {
  char name[256];
  object o = {.s = s,
              .flow = flow,
              .dir = dir,
              .kind = kind,
              .url = url,
              .http_host = http_host,
              .data = b->data,
              .len = b->len,
              .first = s->p + s->np};
  if (!b->len || !ready(s)) return;
  flowscan *fs = flow->user;
  o.number = fs ? ++fs->scanned[dir] : 0;
  if (s->np + FINDINGS_MAX > PENDING_MAX || s->waiting > s->memory / 2) {
    /* room for every finding of this object, and for new buffers: draft
     * those waiting now */
    soc_ingest_kick(s->in->ingest);
    soc_ingest_commit(s->in->ingest);
    o.first = s->p + s->np;
  }
  tuple_text(flow, o.tuple);
  /* a body's name is the last part of its URL's path, as a file's is */
  soc_yara_meta meta = {.filepath = url ? url : o.tuple, .filetype = kind};
  if (url) {
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    size_t n = path ? strcspn(path, "?#") : 0, base = 0;
    for (size_t i = 0; i < n; i++)
      if (path[i] == '/') base = i + 1;
    if (path && n - base < sizeof name) {
      snprintf(name, sizeof name, "%.*s", (int)(n - base), path + base);
      meta.filename = name;
      const char *dot = strrchr(name, '.');
      meta.extension = dot ? dot + 1 : "";
    }
  }
  int rc = soc_yarascan_buffer(s->scanner, b->data, b->len, &meta, on_match, &o);
  s->ctr[strcmp(kind, "stream") ? C_BODIES : C_STREAMS]++;
  s->ctr[C_BYTES] += (int64_t)b->len;
  if (rc == -ETIMEDOUT) {
    s->ctr[C_TIMEOUTS]++;
    fprintf(stderr, "socagent: %s: YARA scan of the %s %s timed out (rules.yara_timeout)\n",
            s->in->cfg->id, kind, o.tuple);
  } else if (rc < 0) {
    s->ctr[C_ERRORS]++;
  }
  if (s->p + s->np > o.first) {
    take_bytes(s, b, o.first);
    soc_ingest_kick(s->in->ingest); /* drafted at the next commit */
  }
}

/* ---- buffers ------------------------------------------------------------------- */

static flowscan *state_of(soc_netscan *s, soc_flow *flow) {
  if (!flow->user && (flow->user = calloc(1, sizeof(flowscan)))) s->held += sizeof(flowscan);
  return flow->user;
}

/* Appends up to limit bytes in all. Returns 0, or -ENOSPC when scan_memory
 * (or malloc) refuses more room: the caller scans what b holds. */
static int append(soc_netscan *s, buf *b, size_t limit, const uint8_t *p, size_t n) {
  if (n > limit - b->len) n = limit - b->len;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : FIRST_CAP;
    while (cap < b->len + n) cap *= 2;
    if (cap > limit) cap = limit;
    if (s->held - b->cap + cap > s->memory) return -ENOSPC;
    uint8_t *d = realloc(b->data, cap);
    if (!d) return -ENOSPC;
    b->data = d;
    s->held = s->held - b->cap + cap;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

static void release(soc_netscan *s, buf *b) {
  free(b->data);
  s->held -= b->cap;
  b->data = NULL;
  b->len = b->cap = 0;
}

static void end_body(soc_netscan *s, const soc_flow *flow, flowscan *fs, int dir) {
  if (!fs->body[dir].done)
    scan(s, flow, dir, "http-body", &fs->body[dir], fs->url[dir], fs->host[dir]);
  release(s, &fs->body[dir]);
  fs->body[dir].done = 0;
  free(fs->url[dir]);
  free(fs->host[dir]);
  fs->url[dir] = fs->host[dir] = NULL;
}

static void end_stream(soc_netscan *s, const soc_flow *flow, flowscan *fs, int dir) {
  scan(s, flow, dir, "stream", &fs->stream[dir], NULL, NULL);
  release(s, &fs->stream[dir]);
  fs->stream[dir].done = 1;
  fs->last[dir] = (seg){0};
}

void soc_netscan_stream(soc_netscan *s, soc_flow *flow, int dir, const uint8_t *bytes, size_t len,
                        uint64_t offset) {
  (void)offset; /* bytes come in order, each once; a hole is skipped (see the top) */
  if (!s->stream_limit || !bytes || !ready(s)) return;
  flowscan *fs = state_of(s, flow);
  if (!fs || fs->stream[dir].done) return;
  buf *b = &fs->stream[dir];
  if (b->len == s->stream_limit) { /* full, its last segment's body bytes cut */
    end_stream(s, flow, fs, dir);
    return;
  }
  size_t at = b->len;
  if (append(s, b, s->stream_limit, bytes, len) < 0) {
    s->ctr[C_EARLY]++;
    end_stream(s, flow, fs, dir);
    return;
  }
  fs->last[dir] = (seg){.data = (uintptr_t)bytes, .len = b->len - at, .at = at};
}

/* Takes the n bytes at p out of the stream buffer when they are bytes of
 * the segment it took last (see the top): a body's (decoded bytes are not)
 * or ciphertext. Returns the number taken out. */
static size_t cut(flowscan *fs, int dir, const uint8_t *p, size_t n) {
  seg *g = &fs->last[dir];
  buf *b = &fs->stream[dir];
  uintptr_t q = (uintptr_t)p;
  if (b->done || !g->len || q < g->data || q - g->data >= g->len) return 0;
  size_t off = q - g->data;
  if (n > g->len - off) n = g->len - off;
  size_t from = g->at + off - g->cut; /* where p's byte is in the buffer now */
  memmove(b->data + from, b->data + from + n, b->len - from - n);
  b->len -= n;
  g->cut += n;
  return n;
}

void soc_netscan_body(soc_netscan *s, soc_flow *flow, const soc_http_txn *txn, int dir,
                      const uint8_t *bytes, size_t len, uint64_t offset, int final) {
  (void)offset;
  if (!s->body_limit || !ready(s)) return;
  flowscan *fs = state_of(s, flow);
  if (!fs) return;
  buf *b = &fs->body[dir];
  if (len && !b->done) {
    if (!fs->url[dir]) {
      char url[URL_MAX];
      int abs = txn->uri && !strncmp(txn->uri, "http", 4) && strstr(txn->uri, "://");
      snprintf(url, sizeof url, "%s%s%s", abs ? "" : "http://",
               abs ? "" : (txn->host && *txn->host ? txn->host : "-"), txn->uri ? txn->uri : "");
      fs->url[dir] = strdup(url);
      fs->host[dir] = strndup(txn->host ? txn->host : "", 255);
    }
    size_t had = b->len;
    if (append(s, b, s->body_limit, bytes, len) < 0) {
      s->ctr[C_EARLY]++;
      scan(s, flow, dir, "http-body", b, fs->url[dir], fs->host[dir]);
      release(s, b);
      b->done = 1;
    } else {
      cut(fs, dir, bytes, b->len - had);
    }
  }
  if (final) end_body(s, flow, fs, dir);
}

void soc_netscan_opaque(soc_netscan *s, soc_flow *flow, int dir, const uint8_t *bytes, size_t len) {
  flowscan *fs = flow->user;
  if (fs) s->ctr[C_OPAQUE] += (int64_t)cut(fs, dir, bytes, len);
}

void soc_netscan_flow_end(soc_netscan *s, soc_flow *flow) {
  flowscan *fs = flow->user;
  if (!fs) return;
  for (int dir = 0; dir < 2; dir++) {
    if (!s->closing && !fs->stream[dir].done) end_stream(s, flow, fs, dir);
    release(s, &fs->stream[dir]);
    if (s->closing) fs->body[dir].done = 1;
    end_body(s, flow, fs, dir); /* a body cut short by the flow's end */
  }
  free(fs);
  s->held -= sizeof(flowscan);
  flow->user = NULL;
}

void soc_netscan_close(soc_netscan *s) {
  if (s) s->closing = 1;
}

/* ---- the commit ----------------------------------------------------------------- */

int soc_netscan_write(soc_netscan *s, soc_store *store) {
  int result = 0;
  soc_finding_sink sink = {.cfg = s->cfg, .store = store, .assets = s->assets};
  /* counted in the transaction, so the count lands with the drafts; an
   * earlier try that was rolled back is taken back first */
  s->ctr[C_DRAFTS] -= s->drafted;
  s->drafted = 0;
  for (size_t i = 0; result >= 0 && i < s->np; i++) {
    pending *p = &s->p[i];
    const char *refs[1];
    soc_finding fi;
    soc_found_to_finding(&p->f, refs, &fi);
    fi.asset_key = p->asset;
    fi.host = s->host;
    fi.source = s->in->cfg->id;
    fi.object = p->object;
    fi.key = p->key;
    fi.conversation = p->conversation;
    fi.unmarked = s->in->cfg->interface != NULL; /* packets are not read twice */
    fi.sha256 = p->sha256;
    fi.ts_ns = p->ts_ns;
    fi.object_bytes = p->bytes;
    fi.object_len = p->bytes ? p->len : 0;
    fi.object_size = (int64_t)p->len;
    result = soc_finding_draft(&sink, &fi);
    if (result > 0) s->drafted++;
  }
  s->ctr[C_DRAFTS] += s->drafted;
  if (result < 0)
    fprintf(stderr, "socagent: %s: drafting what YARA found: %s; tried again at the next commit\n",
            s->in->cfg->id, soc_store_errmsg(store));
  return result < 0 ? result : 0;
}

static void pending_clear(soc_netscan *s, pending *p) {
  soc_found_clear(&p->f);
  free(p->owned);
  s->held -= p->owned_cap;
  s->waiting -= p->owned_cap;
  p->owned = NULL;
  p->owned_cap = 0;
}

void soc_netscan_committed(soc_netscan *s) {
  for (size_t i = 0; i < s->np; i++) pending_clear(s, &s->p[i]);
  s->np = 0;
  s->drafted = 0;
}

void soc_netscan_counters(const soc_netscan *s, soc_netmon_counter_cb cb, void *arg) {
  for (int c = 0; c < C_COUNT; c++) cb(arg, counter_names[c], s->ctr[c]);
}

/* ---- life cycle ------------------------------------------------------------------ */

int soc_netscan_new(soc_input *in, soc_netscan **out) {
  int result = 0;
  const soc_config *cfg = soc_ingest_config(in->ingest);
  const soc_input_config *c = in->cfg;
  soc_netscan *s = NULL;
  *out = NULL;
  if (!cfg->rules.nyara || (!c->scan_bytes && !c->scan_bodies)) goto out;
  result = -ENOMEM;
  if (!(s = calloc(1, sizeof *s))) goto out;
  s->in = in;
  s->cfg = cfg;
  s->stream_limit = (size_t)c->scan_bytes;
  s->body_limit = c->scan_bodies ? (size_t)c->body_max : 0;
  s->memory = (size_t)c->scan_memory;
  if (gethostname(s->host, sizeof s->host - 1) < 0) snprintf(s->host, sizeof s->host, "localhost");
  soc_diag *diag = soc_diag_new();
  result = soc_config_load_assets(cfg, &s->assets, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (result < 0) goto out;
  *out = s;
  s = NULL;
out:
  soc_netscan_free(s);
  return result;
}

void soc_netscan_free(soc_netscan *s) {
  if (!s) return;
  for (size_t i = 0; i < s->np; i++) pending_clear(s, &s->p[i]);
  soc_yarascan_scanner_free(s->scanner);
  soc_assets_free(s->assets);
  free(s);
}
