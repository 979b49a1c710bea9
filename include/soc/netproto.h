/*
 * netproto — application-layer metadata from reassembled traffic: DNS
 * (netproto_dns.c), HTTP/1.x (netproto_http.c), the TLS handshake
 * (netproto_tls.c) and SSH banners and key exchange (netproto_ssh.c).
 *
 * Parsers take bytes as the reassembler delivers them, in any pieces, per
 * direction (0: client to server, 1: back). They never trust a length
 * field further than the bytes at hand, buffer at most a fixed amount per
 * direction (stated below), and give up on a direction that makes no
 * sense (counted in soc_netproto_stats) rather than guess. A gap (bytes
 * lost) ends parsing of that direction, except where a message boundary
 * can be found again (HTTP bodies of known length are simply skipped).
 *
 * What they find is written into soc_event fields named by ECS where ECS
 * has a name (dns.*, http.*, url.*, user_agent.*, tls.*), and under ssh.*
 * where it has none.
 *
 * Ownership: each parser handle owns its buffers; strings in the structs
 * given to callbacks are borrowed for the call.
 */
#ifndef SOC_NETPROTO_H
#define SOC_NETPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"

typedef struct soc_netproto_stats {
  int64_t dns_messages, dns_errors;
  int64_t http_requests, http_responses, http_errors, http_body_truncated, http_decode_errors;
  int64_t tls_client_hellos, tls_server_hellos, tls_errors;
  int64_t ssh_banners, ssh_kexinits, ssh_errors;
} soc_netproto_stats;

/* ---- field names ------------------------------------------------------ */

/* A field name the protocol parsers set on every event of a kind, checked
 * once: an extra's name through soc_event_key_of (its setter then skips the
 * check and the writer's ranking), a known field's by name as before. */
typedef struct soc_net_name {
  const char *name;
  soc_event_key key;
  int keyed;
} soc_net_name;

/* Fills the keys of names[0..n); call once (pthread_once) per table. */
void soc_net_names_init(soc_net_name *names, size_t n);
/* soc_event_set and soc_event_set_json for the name n; they return as those
 * do. */
int soc_net_set(soc_event *ev, const soc_net_name *n, const char *value, size_t len);
int soc_net_set_json(soc_event *ev, const soc_net_name *n, const char *json, size_t len);
/* soc_event_set_json of v in decimal. */
int soc_net_set_num(soc_event *ev, const soc_net_name *n, int64_t v);
/* soc_event_get for the name n. */
const char *soc_net_get(const soc_event *ev, const soc_net_name *n);

/* ---- DNS -------------------------------------------------------------- */

/* Largest DNS message over TCP; UDP ones are smaller. */
#define SOC_DNS_MSG_MAX 65535

/* Fills ev with the message's dns.* fields: dns.id, dns.type (query or
 * answer), dns.op_code, dns.header_flags, dns.response_code,
 * dns.question.{name,type,class}, dns.answers (name, type, class, ttl,
 * data), dns.resolved_ip. Names are followed through compression pointers
 * (each at most once). Returns 0, or -EBADMSG (nothing set) for a message
 * that does not parse. */
int soc_dns_to_event(const uint8_t *msg, size_t len, soc_event *ev);

/* ---- HTTP/1.x ---------------------------------------------------------- */

/* A request and its response. Strings are NUL-terminated, "" when absent. */
typedef struct soc_http_txn {
  char method[24];
  char version[16]; /* "1.1" */
  const char *uri;  /* request target as sent */
  const char *host; /* Host header, without port */
  const char *user_agent;
  const char *referrer;
  const char *request_type;  /* request Content-Type */
  int status;                /* 0: no response seen */
  const char *response_type; /* response Content-Type */
  uint64_t body_bytes[2];    /* decoded body bytes by direction (also past body_max) */
  uint8_t truncated[2];      /* the body was longer than body_max */
  uint8_t has_request;
} soc_http_txn;

typedef struct soc_http_cbs {
  /* A transaction is over (its response body ended, or the flow did). */
  void (*on_txn)(void *arg, const soc_http_txn *t);
  /* Body bytes of direction dir, decoded (chunked, gzip, deflate), at
   * offset in the decoded body; final once, at its end (len 0 then). At
   * most body_max bytes per body reach this callback. May be NULL. */
  void (*on_body)(void *arg, const soc_http_txn *t, int dir, const uint8_t *data, size_t len,
                  uint64_t offset, int final);
  void *arg;
  size_t body_max;           /* default 1 MiB */
  soc_netproto_stats *stats; /* borrowed, required */
} soc_http_cbs;

typedef struct soc_http soc_http;

/* Headers are kept up to 16 KiB per message; a longer header block ends
 * parsing of that direction. */
soc_http *soc_http_new(const soc_http_cbs *cbs);
void soc_http_data(soc_http *h, int dir, const uint8_t *data, size_t len);
/* Bytes lost in direction dir. */
void soc_http_gap(soc_http *h, int dir, size_t len);
/* The flow ended: bodies that run to the close end, and transactions still
 * open are reported as they are. Then frees h. NULL is a no-op. */
void soc_http_free(soc_http *h);

/* ---- TLS --------------------------------------------------------------- */

#define SOC_TLS_ALPN_MAX 16

typedef struct soc_tls_info {
  uint8_t have_client, have_server;
  uint16_t client_version; /* highest offered (supported_versions), else legacy */
  uint16_t server_version; /* chosen */
  char sni[256];
  char alpn[SOC_TLS_ALPN_MAX][64]; /* offered by the client, in order */
  unsigned nalpn;
  char server_alpn[64];   /* chosen by the server */
  char ja3[33], ja3s[33]; /* MD5 hex of the JA3 / JA3S strings */
} soc_tls_info;

typedef struct soc_tls soc_tls;

/* Handshake messages are kept up to 32 KiB per direction. */
soc_tls *soc_tls_new(soc_netproto_stats *stats);
void soc_tls_free(soc_tls *t);
/* Returns 1 once both hellos are parsed (or the handshake can go no
 * further): the caller reports and stops feeding. */
int soc_tls_data(soc_tls *t, int dir, const uint8_t *data, size_t len);
const soc_tls_info *soc_tls_info_get(const soc_tls *t);
/* Writes tls.* fields (and nothing when no hello was seen). */
void soc_tls_to_event(const soc_tls_info *i, soc_event *ev);

/* ---- SSH --------------------------------------------------------------- */

typedef struct soc_ssh_info {
  char banner[2][256]; /* "SSH-2.0-OpenSSH_7.4", by direction */
  char hassh[2][33];   /* HASSH (client) / HASSHServer (server), MD5 hex */
  uint8_t have_banner[2], have_kex[2];
} soc_ssh_info;

typedef struct soc_ssh soc_ssh;

/* KEXINIT packets are kept up to 64 KiB per direction. */
soc_ssh *soc_ssh_new(soc_netproto_stats *stats);
void soc_ssh_free(soc_ssh *s);
/* Returns 1 once both sides' banner and KEXINIT are parsed. */
int soc_ssh_data(soc_ssh *s, int dir, const uint8_t *data, size_t len);
const soc_ssh_info *soc_ssh_info_get(const soc_ssh *s);
/* Writes ssh.client.{software,proto_version,hassh}, ssh.server.{...}. */
void soc_ssh_to_event(const soc_ssh_info *i, soc_event *ev);

#endif
