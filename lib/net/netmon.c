/*
 * netmon — see the header.
 *
 * Each flow carries an `app` record once it has payload: which protocol
 * its bytes turned out to be, that parser's state, and for DNS over TCP
 * the message being collected per direction. The protocol is chosen on the
 * first bytes of either direction and never changes; a flow that is none
 * of ours stops costing parser work at once (the stream hook still sees
 * its bytes).
 *
 * Events are built in one soc_event that is reset for each: the flow's
 * common fields first (time, ECS categorisation, addresses, Community ID),
 * then the protocol's.
 */
#include "soc/netmon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { P_UNKNOWN, P_NONE, P_DNS, P_HTTP, P_TLS, P_SSH };

#define DETECT_TRIES 4                /* pieces of data looked at before giving up on a flow */
#define TLS_RECORD_MAX (16384 + 2048) /* RFC 8446 5.2: a ciphertext record's bound */
#define SSH_PACKET_MAX 35000          /* RFC 4253 6.1: what every implementation takes */

/* A direction's framing, followed after the handshake events for the
 * on_opaque hook: where the ciphertext is. */
enum { W_OFF, W_TLS, W_SSH_BANNER, W_SSH, W_SSH_ENCRYPTED };

typedef struct walk {
  uint8_t state;
  uint8_t nh;      /* header bytes collected */
  uint8_t opaque;  /* the record in progress is ciphertext */
  uint8_t newkeys; /* SSH: the packet in progress is NEWKEYS */
  uint8_t hdr[6];
  uint32_t left; /* of the record or packet in progress */
} walk;

typedef struct app {
  int proto;
  int tries;
  uint8_t early[2]; /* bytes of that direction came before the protocol was known */
  walk *w;          /* [2], for a TLS or SSH flow when on_opaque is set */
  int reported;     /* TLS / SSH: the event is out */
  soc_http *http;
  soc_tls *tls;
  soc_ssh *ssh;
  uint8_t *dns[2]; /* DNS over TCP: length prefix and message */
  size_t dnslen[2];
} app;

/* The text of a flow's addresses and its Community ID, kept for the flows
 * of the latest events: the events of a flow come together (a DNS
 * connection's messages, an HTTP connection's transactions, then its
 * record), and inet_ntop and a SHA-1 for every event were a quarter of the
 * pipeline's cost. Slots are taken by the flow's id, which the table never
 * gives twice, so a slot is either this flow's or another's, never stale. */
#define TEXT_SLOTS 64

typedef struct flow_text {
  uint64_t id; /* 0: empty (ids start at 1) */
  char addr[2][48];
  char cid[40]; /* "" when the protocol has none */
} flow_text;

struct soc_netmon {
  soc_netmon_opts o;
  soc_ipfrag *frag;
  soc_flowtab *flows;
  soc_tcpreasm *reasm;
  soc_event *ev;
  soc_event *flow_ev;  /* the fields of flow flow_ev_id's events, for a copy */
  uint64_t flow_ev_id; /* 0: none */
  soc_netproto_stats proto;
  int64_t decode[SOC_DECODE_COUNT];
  int64_t packets, bytes, snapped, events, no_memory;
  int64_t last_expire_ns;
  soc_flow *cur; /* the flow whose callbacks are running */
  flow_text text[TEXT_SLOTS];
};

/* What the reassembler's callback needs to know. */
typedef struct stream_ctx {
  soc_netmon *nm;
  soc_flow *flow;
  int dir;
} stream_ctx;

/* ---- events ------------------------------------------------------------------ */

static const char *transport_name(uint8_t proto, char *buf, size_t cap) {
  switch (proto) {
    case SOC_IPPROTO_TCP:
      return "tcp";
    case SOC_IPPROTO_UDP:
      return "udp";
    case SOC_IPPROTO_ICMP:
      return "icmp";
    case SOC_IPPROTO_ICMPV6:
      return "ipv6-icmp";
    default:
      snprintf(buf, cap, "%u", proto);
      return buf;
  }
}

/* The names this file sets on every event of a kind, checked once. */
enum {
  F_SOURCE_BYTES,
  F_SOURCE_PACKETS,
  F_DESTINATION_BYTES,
  F_DESTINATION_PACKETS,
  F_EVENT_DURATION,
  F_EVENT_START,
  F_EVENT_END,
  F_EVENT_REASON,
  F_FLOW_TCP_FLAGS_SOURCE,
  F_FLOW_TCP_FLAGS_DESTINATION,
  F_DNS_TYPE,
  F_HTTP_REQUEST_METHOD,
  F_URL_ORIGINAL,
  F_URL_PATH,
  F_URL_QUERY,
  F_URL_DOMAIN,
  F_USER_AGENT_ORIGINAL,
  F_HTTP_REQUEST_REFERRER,
  F_HTTP_REQUEST_MIME_TYPE,
  F_HTTP_REQUEST_BODY_BYTES,
  F_HTTP_VERSION,
  F_HTTP_RESPONSE_STATUS_CODE,
  F_HTTP_RESPONSE_MIME_TYPE,
  F_HTTP_RESPONSE_BODY_BYTES,
  F_DESTINATION_DOMAIN,
  F_COUNT
};
static soc_net_name fields[F_COUNT] = {
    [F_SOURCE_BYTES] = {.name = "source.bytes"},
    [F_SOURCE_PACKETS] = {.name = "source.packets"},
    [F_DESTINATION_BYTES] = {.name = "destination.bytes"},
    [F_DESTINATION_PACKETS] = {.name = "destination.packets"},
    [F_EVENT_DURATION] = {.name = "event.duration"},
    [F_EVENT_START] = {.name = "event.start"},
    [F_EVENT_END] = {.name = "event.end"},
    [F_EVENT_REASON] = {.name = "event.reason"},
    [F_FLOW_TCP_FLAGS_SOURCE] = {.name = "flow.tcp_flags.source"},
    [F_FLOW_TCP_FLAGS_DESTINATION] = {.name = "flow.tcp_flags.destination"},
    [F_DNS_TYPE] = {.name = "dns.type"},
    [F_HTTP_REQUEST_METHOD] = {.name = "http.request.method"},
    [F_URL_ORIGINAL] = {.name = "url.original"},
    [F_URL_PATH] = {.name = "url.path"},
    [F_URL_QUERY] = {.name = "url.query"},
    [F_URL_DOMAIN] = {.name = "url.domain"},
    [F_USER_AGENT_ORIGINAL] = {.name = "user_agent.original"},
    [F_HTTP_REQUEST_REFERRER] = {.name = "http.request.referrer"},
    [F_HTTP_REQUEST_MIME_TYPE] = {.name = "http.request.mime_type"},
    [F_HTTP_REQUEST_BODY_BYTES] = {.name = "http.request.body.bytes"},
    [F_HTTP_VERSION] = {.name = "http.version"},
    [F_HTTP_RESPONSE_STATUS_CODE] = {.name = "http.response.status_code"},
    [F_HTTP_RESPONSE_MIME_TYPE] = {.name = "http.response.mime_type"},
    [F_HTTP_RESPONSE_BODY_BYTES] = {.name = "http.response.body.bytes"},
    [F_DESTINATION_DOMAIN] = {.name = "destination.domain"},
};
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void fields_build(void) { soc_net_names_init(fields, F_COUNT); }

static void set_cstr(soc_event *ev, int f, const char *v) {
  soc_net_set(ev, &fields[f], v, strlen(v));
}

static void set_num(soc_event *ev, int f, int64_t v) { soc_net_set_num(ev, &fields[f], v); }

/* The fields every event of this flow has. */
static const flow_text *text_of(soc_netmon *nm, const soc_flow *f) {
  flow_text *t = &nm->text[f->id % TEXT_SLOTS];
  if (f->id && t->id == f->id) return t; /* (a flow made outside a table has id 0) */
  t->id = f->id;
  soc_flow_addr_str(f, 0, t->addr[0], sizeof t->addr[0]);
  soc_flow_addr_str(f, 1, t->addr[1], sizeof t->addr[1]);
  if (soc_flow_community_id(f, t->cid, sizeof t->cid) < 0) t->cid[0] = '\0';
  return t;
}

/* The fields that every event of flow f has, onto ev. */
static void flow_fields(soc_netmon *nm, const soc_flow *f, soc_event *ev) {
  const flow_text *ft = text_of(nm, f);
  char buf[40];
  soc_event_set_str(ev, SOC_ECS_EVENT_KIND, "event", 5);
  soc_event_set_str(ev, SOC_ECS_EVENT_CATEGORY, "network", 7);
  soc_event_set_str(ev, SOC_ECS_EVENT_MODULE, "network", 7);
  const char *t = transport_name(f->proto, buf, sizeof buf);
  soc_event_set_str(ev, SOC_ECS_NETWORK_TRANSPORT, t, strlen(t));
  soc_event_set_str(ev, SOC_ECS_NETWORK_TYPE, f->version == 6 ? "ipv6" : "ipv4", 4);
  soc_event_set_str(ev, SOC_ECS_SOURCE_IP, ft->addr[0], strlen(ft->addr[0]));
  soc_event_set_str(ev, SOC_ECS_DESTINATION_IP, ft->addr[1], strlen(ft->addr[1]));
  if (f->proto == SOC_IPPROTO_TCP || f->proto == SOC_IPPROTO_UDP) {
    soc_event_set_int(ev, SOC_ECS_SOURCE_PORT, f->port[0]);
    soc_event_set_int(ev, SOC_ECS_DESTINATION_PORT, f->port[1]);
  }
  if (ft->cid[0]) soc_event_set_str(ev, SOC_ECS_NETWORK_COMMUNITY_ID, ft->cid, strlen(ft->cid));
}

/* A new event of flow f. Its flow's fields are set once per flow, on
 * flow_ev, and copied from there (soc_event_copy skips the checks that
 * setting them anew repeats): a flow's events mostly come together. */
static soc_event *begin(soc_netmon *nm, const soc_flow *f, int64_t ts, const char *dataset,
                        const char *action, const char *type) {
  soc_event *ev = nm->ev;
  if (f->id && nm->flow_ev_id != f->id) {
    soc_event_reset(nm->flow_ev);
    flow_fields(nm, f, nm->flow_ev);
    nm->flow_ev_id = f->id;
  }
  if (!f->id || soc_event_copy(ev, nm->flow_ev) < 0) {
    soc_event_reset(ev);
    flow_fields(nm, f, ev);
  }
  soc_event_set_time(ev, ts);
  soc_event_set_str(ev, SOC_ECS_EVENT_TYPE, type, strlen(type));
  soc_event_set_str(ev, SOC_ECS_EVENT_ACTION, action, strlen(action));
  soc_event_set_str(ev, SOC_ECS_EVENT_DATASET, dataset, strlen(dataset));
  return ev;
}

static void emit(soc_netmon *nm) {
  nm->events++;
  nm->o.on_event(nm->o.arg, nm->ev);
}

static void flags_text(uint8_t fl, char *buf, size_t cap) {
  static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  size_t n = 0;
  for (int i = 0; i < 8 && n + 4 < cap; i++) /* every name is three letters */
    if (fl & (1u << i)) {
      if (n) buf[n++] = ',';
      memcpy(buf + n, names[i], 3);
      n += 3;
    }
  buf[n] = '\0';
}

static void flow_record(soc_netmon *nm, soc_flow *f, soc_flow_end why) {
  char buf[64];
  soc_event *ev = begin(nm, f, f->last_ns, "network.flow", "network_flow", "connection");
  soc_event_set_int(ev, SOC_ECS_NETWORK_BYTES, (int64_t)(f->bytes[0] + f->bytes[1]));
  soc_event_set_int(ev, SOC_ECS_NETWORK_PACKETS, (int64_t)(f->packets[0] + f->packets[1]));
  set_num(ev, F_SOURCE_BYTES, (int64_t)f->bytes[0]);
  set_num(ev, F_SOURCE_PACKETS, (int64_t)f->packets[0]);
  set_num(ev, F_DESTINATION_BYTES, (int64_t)f->bytes[1]);
  set_num(ev, F_DESTINATION_PACKETS, (int64_t)f->packets[1]);
  set_num(ev, F_EVENT_DURATION, f->last_ns - f->first_ns);
  if (soc_event_format_time(f->first_ns, 6, buf, sizeof buf) == 0) set_cstr(ev, F_EVENT_START, buf);
  if (soc_event_format_time(f->last_ns, 6, buf, sizeof buf) == 0) set_cstr(ev, F_EVENT_END, buf);
  set_cstr(ev, F_EVENT_REASON, soc_flow_end_name(why));
  if (f->proto == SOC_IPPROTO_TCP) {
    flags_text(f->tcp_flags[0], buf, sizeof buf);
    if (buf[0]) set_cstr(ev, F_FLOW_TCP_FLAGS_SOURCE, buf);
    flags_text(f->tcp_flags[1], buf, sizeof buf);
    if (buf[0]) set_cstr(ev, F_FLOW_TCP_FLAGS_DESTINATION, buf);
  }
  emit(nm);
}

/* ---- application layer --------------------------------------------------------- */

static void dns_message(soc_netmon *nm, soc_flow *f, const uint8_t *m, size_t len) {
  soc_event *ev = begin(nm, f, f->last_ns, "network.dns", "dns", "protocol");
  if (soc_dns_to_event(m, len, ev) < 0) {
    nm->proto.dns_errors++;
    return;
  }
  nm->proto.dns_messages++;
  soc_event_set_str(ev, SOC_ECS_NETWORK_PROTOCOL, "dns", 3);
  const char *t = soc_net_get(ev, &fields[F_DNS_TYPE]);
  const char *action = t && !strcmp(t, "answer") ? "dns_answer" : "dns_query";
  soc_event_set_str(ev, SOC_ECS_EVENT_ACTION, action, strlen(action));
  emit(nm);
}

/* DNS over TCP: two length bytes, then the message (RFC 1035 4.2.2). */
static void dns_tcp(soc_netmon *nm, soc_flow *f, app *a, int dir, const uint8_t *p, size_t n) {
  if (!a->dns[dir] && !(a->dns[dir] = malloc(2 + SOC_DNS_MSG_MAX))) return;
  uint8_t *b = a->dns[dir];
  while (n) {
    size_t need = a->dnslen[dir] < 2 ? 2 : 2 + ((size_t)b[0] << 8 | b[1]);
    size_t k = need - a->dnslen[dir] < n ? need - a->dnslen[dir] : n;
    memcpy(b + a->dnslen[dir], p, k);
    a->dnslen[dir] += k;
    p += k;
    n -= k;
    if (a->dnslen[dir] == 2 && !b[0] && !b[1]) { /* an empty message: nothing to wait for */
      nm->proto.dns_errors++;
      a->dnslen[dir] = 0;
    } else if (a->dnslen[dir] == need && need > 2) {
      dns_message(nm, f, b + 2, need - 2);
      a->dnslen[dir] = 0;
    }
  }
}

static void http_txn(void *arg, const soc_http_txn *t) {
  soc_netmon *nm = arg;
  soc_flow *f = nm->cur;
  soc_event *ev = begin(nm, f, f->last_ns, "network.http", "http", "protocol");
  soc_event_set_str(ev, SOC_ECS_NETWORK_PROTOCOL, "http", 4);
  soc_event_set_str(ev, SOC_ECS_EVENT_ACTION, "http_request", 12);
  if (t->has_request) {
    set_cstr(ev, F_HTTP_REQUEST_METHOD, t->method);
    set_cstr(ev, F_URL_ORIGINAL, t->uri);
    /* path and query of an origin-form or absolute-form target */
    const char *path = t->uri;
    if (!strncasecmp(path, "http://", 7) || !strncasecmp(path, "https://", 8)) {
      const char *slash = strchr(strstr(path, "://") + 3, '/');
      path = slash ? slash : "";
    }
    const char *q = strchr(path, '?');
    if (*path) soc_net_set(ev, &fields[F_URL_PATH], path, q ? (size_t)(q - path) : strlen(path));
    if (q && q[1]) set_cstr(ev, F_URL_QUERY, q + 1);
    if (*t->host) set_cstr(ev, F_URL_DOMAIN, t->host);
    if (*t->user_agent) set_cstr(ev, F_USER_AGENT_ORIGINAL, t->user_agent);
    if (*t->referrer) set_cstr(ev, F_HTTP_REQUEST_REFERRER, t->referrer);
    if (*t->request_type) set_cstr(ev, F_HTTP_REQUEST_MIME_TYPE, t->request_type);
    set_num(ev, F_HTTP_REQUEST_BODY_BYTES, (int64_t)t->body_bytes[0]);
  }
  if (t->version[0]) set_cstr(ev, F_HTTP_VERSION, t->version);
  if (t->status) {
    set_num(ev, F_HTTP_RESPONSE_STATUS_CODE, t->status);
    if (*t->response_type) set_cstr(ev, F_HTTP_RESPONSE_MIME_TYPE, t->response_type);
    set_num(ev, F_HTTP_RESPONSE_BODY_BYTES, (int64_t)t->body_bytes[1]);
    soc_event_set_str(ev, SOC_ECS_EVENT_OUTCOME, t->status < 400 ? "success" : "failure", 7);
  }
  emit(nm);
}

static void http_body(void *arg, const soc_http_txn *t, int dir, const uint8_t *data, size_t len,
                      uint64_t offset, int final) {
  soc_netmon *nm = arg;
  if (nm->o.on_body) nm->o.on_body(nm->o.arg, nm->cur, t, dir, data, len, offset, final);
}

static void report_tls(soc_netmon *nm, soc_flow *f, app *a) {
  const soc_tls_info *i = soc_tls_info_get(a->tls);
  a->reported = 1;
  if (!i->have_client && !i->have_server) return;
  soc_event *ev = begin(nm, f, f->last_ns, "network.tls", "tls_handshake", "protocol");
  soc_event_set_str(ev, SOC_ECS_NETWORK_PROTOCOL, "tls", 3);
  soc_tls_to_event(i, ev);
  if (i->sni[0]) set_cstr(ev, F_DESTINATION_DOMAIN, i->sni);
  emit(nm);
}

static void report_ssh(soc_netmon *nm, soc_flow *f, app *a) {
  const soc_ssh_info *i = soc_ssh_info_get(a->ssh);
  a->reported = 1;
  if (!i->have_banner[0] && !i->have_banner[1]) return;
  soc_event *ev = begin(nm, f, f->last_ns, "network.ssh", "ssh_handshake", "protocol");
  soc_event_set_str(ev, SOC_ECS_NETWORK_PROTOCOL, "ssh", 3);
  soc_ssh_to_event(i, ev);
  emit(nm);
}

static int starts_method(const uint8_t *p, size_t n) {
  static const char *const m[] = {"GET ",     "POST ",    "HEAD ",  "PUT ",   "DELETE ",
                                  "OPTIONS ", "CONNECT ", "PATCH ", "TRACE ", "PROPFIND "};
  for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
    size_t l = strlen(m[i]);
    if (n >= l && !memcmp(p, m[i], l)) return 1;
  }
  return 0;
}

static int detect(soc_netmon *nm, soc_flow *f, app *a, int dir, const uint8_t *p, size_t n) {
  if (f->port[1] == 53 || f->port[0] == 53) return P_DNS;
  if (n >= 4 && !memcmp(p, "SSH-", 4)) {
    a->ssh = soc_ssh_new(&nm->proto);
    return a->ssh ? P_SSH : P_NONE;
  }
  if ((dir == 0 && starts_method(p, n)) || (dir == 1 && n >= 5 && !memcmp(p, "HTTP/", 5))) {
    soc_http_cbs cbs = {.on_txn = http_txn,
                        .on_body = http_body,
                        .arg = nm,
                        .body_max = nm->o.body_max,
                        .stats = &nm->proto};
    a->http = soc_http_new(&cbs);
    return a->http ? P_HTTP : P_NONE;
  }
  if (dir == 0 && n >= 3 && p[0] == 22 && p[1] == 3) {
    a->tls = soc_tls_new(&nm->proto);
    return a->tls ? P_TLS : P_NONE;
  }
  /* A few bytes may not tell yet (an HTTP method split across segments). */
  return n >= 8 || ++a->tries >= DETECT_TRIES ? P_NONE : P_UNKNOWN;
}

/* Reads the framing of p[0..n) and hands the ciphertext in it to
 * on_opaque. Anything unexpected (a record type or length no TLS stack
 * sends, a packet no SSH stack takes) turns the walk off: its bytes are
 * then scanned as any others. */
static void walk_data(soc_netmon *nm, soc_flow *f, int dir, walk *w, const uint8_t *p, size_t n) {
  while (n && w->state != W_OFF) {
    if (w->state == W_SSH_ENCRYPTED) {
      nm->o.on_opaque(nm->o.arg, f, dir, p, n);
      return;
    }
    if (w->state == W_SSH_BANNER) { /* "SSH-2.0-...\r\n" */
      const uint8_t *nl = memchr(p, '\n', n);
      size_t k = nl ? (size_t)(nl - p) + 1 : n;
      if (nl) w->state = W_SSH;
      p += k;
      n -= k;
      continue;
    }
    if (w->left) {
      size_t k = w->left < n ? w->left : n;
      if (w->opaque) nm->o.on_opaque(nm->o.arg, f, dir, p, k);
      w->left -= (uint32_t)k;
      p += k;
      n -= k;
      if (!w->left && w->newkeys) w->state = W_SSH_ENCRYPTED;
      continue;
    }
    /* TLS: type, version, length (5 bytes); SSH: packet length, padding
     * length, message number (6 bytes) */
    size_t need = w->state == W_TLS ? 5 : 6;
    while (w->nh < need && n) {
      w->hdr[w->nh++] = *p++;
      n--;
    }
    if (w->nh < need) return;
    w->nh = 0;
    if (w->state == W_TLS) {
      size_t len = (size_t)w->hdr[3] << 8 | w->hdr[4];
      if (w->hdr[0] < 20 || w->hdr[0] > 24 || w->hdr[1] != 3 || len > TLS_RECORD_MAX) {
        w->state = W_OFF;
        return;
      }
      w->left = (uint32_t)len;
      w->opaque = w->hdr[0] == 23; /* application_data */
    } else {
      size_t len =
          (size_t)w->hdr[0] << 24 | (size_t)w->hdr[1] << 16 | (size_t)w->hdr[2] << 8 | w->hdr[3];
      if (len < 2 || len > SSH_PACKET_MAX || w->hdr[4] >= len) {
        w->state = W_OFF;
        return;
      }
      w->left = (uint32_t)(len - 2);
      w->opaque = 0;
      w->newkeys = w->hdr[5] == 21; /* SSH_MSG_NEWKEYS: the next packet is encrypted */
      if (!w->left && w->newkeys) w->state = W_SSH_ENCRYPTED;
    }
  }
}

/* The walks of a flow just found to be TLS or SSH: a direction that had
 * bytes before (not seen as this protocol's) is not followed. Without
 * memory for them nothing is: every byte is scanned. */
static void walk_start(soc_netmon *nm, app *a, uint8_t state) {
  if (!(a->w = calloc(2, sizeof *a->w))) {
    nm->no_memory++;
    return;
  }
  for (int d = 0; d < 2; d++) a->w[d].state = a->early[d] ? W_OFF : state;
}

static app *app_of(soc_netmon *nm, soc_flow *f) {
  if (!f->app && !(f->app = calloc(1, sizeof(app)))) nm->no_memory++;
  return f->app;
}

static void app_data(soc_netmon *nm, soc_flow *f, int dir, const uint8_t *p, size_t n) {
  app *a = app_of(nm, f);
  if (!a) return;
  if (a->proto == P_UNKNOWN) {
    a->proto = detect(nm, f, a, dir, p, n);
    if (nm->o.on_opaque && a->proto == P_TLS) walk_start(nm, a, W_TLS);
    if (nm->o.on_opaque && a->proto == P_SSH) walk_start(nm, a, W_SSH_BANNER);
    if (a->proto == P_UNKNOWN) a->early[dir] = 1;
  }
  if (a->w && a->w[dir].state != W_OFF) walk_data(nm, f, dir, &a->w[dir], p, n);
  switch (a->proto) {
    case P_DNS:
      dns_tcp(nm, f, a, dir, p, n);
      break;
    case P_HTTP:
      soc_http_data(a->http, dir, p, n);
      break;
    case P_TLS:
      if (!a->reported && soc_tls_data(a->tls, dir, p, n)) report_tls(nm, f, a);
      break;
    case P_SSH:
      if (!a->reported && soc_ssh_data(a->ssh, dir, p, n)) report_ssh(nm, f, a);
      break;
    default:
      break;
  }
}

static void app_gap(soc_flow *f, int dir, size_t len) {
  app *a = f->app;
  if (!a) return;
  if (a->w) a->w[dir].state = W_OFF; /* the framing is lost with the hole */
  if (a->proto == P_UNKNOWN) a->early[dir] = 1;
  if (a->proto == P_HTTP) {
    soc_http_gap(a->http, dir, len);
  } else if (a->proto == P_DNS) {
    a->dnslen[dir] = 0; /* the framing is lost; what follows is read as if it restarted */
    free(a->dns[dir]);
    a->dns[dir] = NULL;
    a->proto = P_NONE;
  }
}

static void app_end(soc_netmon *nm, soc_flow *f) {
  app *a = f->app;
  if (!a) return;
  if (a->proto == P_HTTP) soc_http_free(a->http);
  if (a->proto == P_TLS && !a->reported) report_tls(nm, f, a);
  if (a->proto == P_SSH && !a->reported) report_ssh(nm, f, a);
  soc_tls_free(a->tls);
  soc_ssh_free(a->ssh);
  free(a->dns[0]);
  free(a->dns[1]);
  free(a->w);
  free(a);
  f->app = NULL;
}

/* ---- streams and flows ---------------------------------------------------------- */

static void on_stream(void *arg, const uint8_t *data, size_t len, uint64_t offset) {
  stream_ctx *c = arg;
  soc_netmon *nm = c->nm;
  if (nm->o.on_stream_data) nm->o.on_stream_data(nm->o.arg, c->flow, c->dir, data, len, offset);
  if (data)
    app_data(nm, c->flow, c->dir, data, len);
  else
    app_gap(c->flow, c->dir, len);
}

static void on_flow_end(void *arg, soc_flow *f, soc_flow_end why) {
  soc_netmon *nm = arg;
  soc_flow *saved = nm->cur;
  nm->cur = f;
  for (int dir = 0; dir < 2; dir++) {
    stream_ctx c = {nm, f, dir};
    soc_tcp_stream_flush(nm->reasm, &f->stream[dir], on_stream, &c);
  }
  app_end(nm, f);
  if (nm->o.on_flow_end) nm->o.on_flow_end(nm->o.arg, f);
  if (nm->o.flow_records) flow_record(nm, f, why);
  nm->cur = saved;
}

soc_netmon *soc_netmon_new(const soc_netmon_opts *opts) {
  soc_netmon *nm = calloc(1, sizeof *nm);
  if (!nm) return NULL;
  pthread_once(&fields_once, fields_build);
  nm->o = *opts;
  if (!(nm->frag = soc_ipfrag_new(&opts->frag)) ||
      !(nm->flows = soc_flowtab_new(&opts->flow, on_flow_end, nm)) ||
      !(nm->reasm = soc_tcpreasm_new(&opts->tcp)) || !(nm->ev = soc_event_new()) ||
      !(nm->flow_ev = soc_event_new())) {
    soc_netmon_free(nm);
    return NULL;
  }
  return nm;
}

void soc_netmon_free(soc_netmon *nm) {
  if (!nm) return;
  soc_flowtab_free(nm->flows); /* ends every flow: their events go out first */
  soc_tcpreasm_free(nm->reasm);
  soc_ipfrag_free(nm->frag);
  soc_event_free(nm->ev);
  soc_event_free(nm->flow_ev);
  free(nm);
}

void soc_netmon_tick(soc_netmon *nm, int64_t now_ns) {
  nm->last_expire_ns = now_ns;
  soc_flowtab_expire(nm->flows, now_ns);
  soc_ipfrag_expire(nm->frag, now_ns);
}

void soc_netmon_flush(soc_netmon *nm) { soc_flowtab_flush(nm->flows); }

static void transport(soc_netmon *nm, const soc_packet *pkt) {
  int dir = 0;
  soc_flow *f = soc_flowtab_packet(nm->flows, pkt, &dir);
  if (!f) return;
  nm->cur = f;
  if (pkt->proto == SOC_IPPROTO_TCP) {
    if (pkt->tcp_flags & SOC_TCP_SYN) soc_tcp_stream_syn(&f->stream[dir], pkt->seq);
    if (pkt->payload_len && !(pkt->tcp_flags & SOC_TCP_RST)) {
      stream_ctx c = {nm, f, dir};
      soc_tcp_stream_add(nm->reasm, &f->stream[dir], pkt->seq, pkt->payload, pkt->payload_len,
                         on_stream, &c);
    }
  } else if (pkt->proto == SOC_IPPROTO_UDP && pkt->payload_len &&
             (pkt->sport == 53 || pkt->dport == 53)) {
    dns_message(nm, f, pkt->payload, pkt->payload_len);
  }
  nm->cur = NULL;
}

void soc_netmon_packet(soc_netmon *nm, int linktype, const uint8_t *data, size_t caplen,
                       uint32_t wire_len, int64_t ts_ns) {
  soc_packet pkt;
  nm->packets++;
  nm->bytes += wire_len > caplen ? wire_len : (int64_t)caplen;
  /* Expiry once per second of capture time is plenty, and cheap. */
  if (ts_ns - nm->last_expire_ns >= 1000000000LL || ts_ns < nm->last_expire_ns)
    soc_netmon_tick(nm, ts_ns);
  soc_decode_result r = soc_decode(linktype, data, caplen, wire_len, ts_ns, &pkt);
  nm->decode[r]++;
  if (pkt.snapped) nm->snapped++;
  if (r == SOC_DECODE_FRAGMENT) {
    const uint8_t *d;
    size_t len;
    if (!soc_ipfrag_add(nm->frag, &pkt, &d, &len)) return;
    r = soc_decode_transport(&pkt, d, len);
    if (r != SOC_DECODE_OK) {
      nm->decode[r]++;
      return;
    }
  }
  if (r == SOC_DECODE_OK) transport(nm, &pkt);
}

int64_t soc_netmon_malformed(const soc_netmon *nm) {
  int64_t n = 0;
  for (int r = SOC_DECODE_BAD_LINKTYPE; r < SOC_DECODE_COUNT; r++) n += nm->decode[r];
  return n;
}

void soc_netmon_counters(const soc_netmon *nm, soc_netmon_counter_cb cb, void *arg) {
  char name[48];
  cb(arg, "packets", nm->packets);
  cb(arg, "packet_bytes", nm->bytes);
  cb(arg, "malformed", soc_netmon_malformed(nm));
  for (int r = SOC_DECODE_FRAGMENT; r < SOC_DECODE_COUNT; r++) {
    snprintf(name, sizeof name, "decode.%s", soc_decode_result_name((soc_decode_result)r));
    cb(arg, name, nm->decode[r]);
  }
  cb(arg, "snapped", nm->snapped);
  cb(arg, "events", nm->events);
  cb(arg, "no_memory", nm->no_memory);
  const soc_flowtab_stats *fs = soc_flowtab_stats_get(nm->flows);
  cb(arg, "flows.created", fs->created);
  cb(arg, "flows.active", fs->active);
  cb(arg, "flows.timeouts", fs->timeouts);
  cb(arg, "flows.evicted", fs->evicted);
  cb(arg, "flows.alloc_failures", fs->alloc_failures);
  const soc_ipfrag_stats *is = soc_ipfrag_stats_get(nm->frag);
  cb(arg, "frag.fragments", is->fragments);
  cb(arg, "frag.reassembled", is->reassembled);
  cb(arg, "frag.timeouts", is->timeouts);
  cb(arg, "frag.evicted", is->evicted);
  cb(arg, "frag.overlaps", is->overlaps);
  cb(arg, "frag.too_many", is->too_many);
  cb(arg, "frag.bad", is->bad);
  const soc_tcpreasm_stats *ts = soc_tcpreasm_stats_get(nm->reasm);
  cb(arg, "tcp.segments", ts->segments);
  cb(arg, "tcp.out_of_order", ts->out_of_order);
  cb(arg, "tcp.retransmissions", ts->retransmissions);
  cb(arg, "tcp.overlaps", ts->overlaps);
  cb(arg, "tcp.overlap_conflicts", ts->overlap_conflicts);
  cb(arg, "tcp.gaps", ts->gaps);
  cb(arg, "tcp.gap_bytes", ts->gap_bytes);
  cb(arg, "tcp.depth_reached", ts->depth_reached);
  cb(arg, "tcp.memcap_reached", ts->memcap_reached);
  const soc_netproto_stats *p = &nm->proto;
  cb(arg, "dns.messages", p->dns_messages);
  cb(arg, "dns.errors", p->dns_errors);
  cb(arg, "http.requests", p->http_requests);
  cb(arg, "http.responses", p->http_responses);
  cb(arg, "http.errors", p->http_errors);
  cb(arg, "http.body_truncated", p->http_body_truncated);
  cb(arg, "http.decode_errors", p->http_decode_errors);
  cb(arg, "tls.client_hellos", p->tls_client_hellos);
  cb(arg, "tls.server_hellos", p->tls_server_hellos);
  cb(arg, "tls.errors", p->tls_errors);
  cb(arg, "ssh.banners", p->ssh_banners);
  cb(arg, "ssh.kexinits", p->ssh_kexinits);
  cb(arg, "ssh.errors", p->ssh_errors);
}
