/*
 * metrics — the Prometheus text format (exposition format 0.0.4) and the
 * small HTTP server that serves it on loopback, for the agent and the
 * collector (metrics.listen).
 *
 * A program gives a render callback; every GET /metrics calls it, on the
 * server's own thread, with an empty soc_metrics_text to fill with
 * samples. Samples may come in any order: the text groups them by name
 * (one # HELP and # TYPE per family, as the format requires) when it is
 * written out.
 *
 * Ownership: a soc_metrics_text belongs to the server and is valid only
 * during the callback; strings given to soc_metrics_add are copied. A
 * soc_metrics_server owns its thread and socket; _free stops both.
 */
#ifndef SOC_METRICS_H
#define SOC_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct soc_metrics_text soc_metrics_text;
typedef struct soc_metrics_server soc_metrics_server;

typedef enum { SOC_METRIC_COUNTER, SOC_METRIC_GAUGE } soc_metric_type;

/* Most samples one scrape holds; more are dropped and counted in
 * soc_metrics_samples_dropped. */
#define SOC_METRICS_SAMPLES_MAX 4096
/* Longest metric name, and longest label value (longer values are cut). */
#define SOC_METRICS_NAME_MAX 128
#define SOC_METRICS_LABEL_MAX 256

/* Adds one sample. name is made a valid metric name (any byte outside
 * [a-zA-Z0-9_:] becomes '_'); label_key/label_value may be NULL for no
 * label, else the value is escaped as the format wants. help is static
 * text (not copied). Returns 0, -ENOSPC past SOC_METRICS_SAMPLES_MAX,
 * -ENOMEM. */
int soc_metrics_add(soc_metrics_text *t, const char *name, soc_metric_type type, const char *help,
                    const char *label_key, const char *label_value, int64_t value);

/* Fills t; returns 0 or a negative errno (the scrape then answers 500). */
typedef int (*soc_metrics_render_fn)(void *arg, soc_metrics_text *t);

/* "HOST:PORT" where HOST is a loopback address (127.0.0.0/8, ::1 in
 * brackets, or localhost): the endpoint has no authentication, so it is
 * never offered beyond the machine. Returns 0 or -EINVAL with a reason in
 * *why (static text). */
int soc_metrics_listen_parse(const char *s, struct sockaddr_storage *ss /* OUT */,
                             socklen_t *len /* OUT */, const char **why);

/* The same, for a listener that authenticates its clients itself (the
 * console over TLS): any address. */
int soc_listen_parse_any(const char *s, struct sockaddr_storage *ss /* OUT */,
                         socklen_t *len /* OUT */, const char **why);

/* Binds listen and starts the server's thread. Returns 0 or a negative
 * errno (-EADDRINUSE, -EACCES for a port below 1024 without privilege ...).
 * OUT: *out, free with soc_metrics_server_free. */
int soc_metrics_server_start(const char *listen, soc_metrics_render_fn render, void *arg,
                             soc_metrics_server **out);
/* The port bound (useful with port 0). */
unsigned soc_metrics_server_port(const soc_metrics_server *s);
/* Stops the thread, closes the socket. NULL is a no-op. */
void soc_metrics_server_free(soc_metrics_server *s);

/* A text of one's own (the server makes one per scrape; tests too).
 * Returns NULL when out of memory; _free(NULL) is a no-op. */
soc_metrics_text *soc_metrics_text_new(void);
void soc_metrics_text_free(soc_metrics_text *t);
/* t's samples in the text format, grouped by name.
 * OUT: *text (owned by the caller, free() it; NUL-terminated), *len.
 * Returns 0 or -ENOMEM. */
int soc_metrics_text_render(soc_metrics_text *t, char **text, size_t *len);

/* ---- the same listener for other handlers (the collector's console) ----
 * One request per connection, read whole (head and a Content-Length body)
 * within SOC_HTTP_REQUEST_MAX bytes and the timeout, else 431/400 or
 * dropped; the handler answers on fd and the server closes it. The strings
 * are valid during the call only. */
#define SOC_HTTP_REQUEST_MAX 16384
typedef struct soc_http_request {
  const char *method, *target; /* "GET", "/path?query" */
  const char *headers;         /* the header lines, as sent */
  const char *body;            /* NUL-terminated; body_len bytes */
  size_t body_len;
} soc_http_request;
typedef void (*soc_http_handler_fn)(void *arg, int fd, const soc_http_request *r);
/* As soc_metrics_server_start, with handler answering every request, and
 * SOC_HTTP_WORKERS threads each serving one connection at a time, so that a
 * slow client holds one of them (for the timeout at most), not the others'
 * pages; more connections than that wait in the listen backlog. The
 * handler is then called from several threads at once. (The metrics server
 * has one thread.) */
#define SOC_HTTP_WORKERS 8
int soc_http_server_start(const char *listen, soc_http_handler_fn handler, void *arg,
                          soc_metrics_server **out);
/* A listener on any address (soc_listen_parse_any) whose SOC_HTTP_WORKERS
 * threads each hand one accepted connection at a time to conn (so conn runs
 * in several threads at once); the server closes it after.
 * For the console's TLS front (collector/console_tls.c). */
typedef void (*soc_tcp_conn_fn)(void *arg, int fd);
int soc_tcp_server_start(const char *listen, soc_tcp_conn_fn conn, void *arg,
                         soc_metrics_server **out);
/* Sends one response: extra is more header lines, each ending in CRLF
 * (may be NULL). */
void soc_http_respond(int fd, const char *status, const char *extra, const char *type,
                      const char *body, size_t n);
/* The same answer whole in one buffer, for a handler that sends it later
 * (outside its lock). OUT: *out (free() it; NUL-terminated), *out_len. 0,
 * -EINVAL (extra too long) or -ENOMEM. */
int soc_http_response(const char *status, const char *extra, const char *type, const char *body,
                      size_t n, char **out, size_t *out_len);
/* Sends n bytes of p, as far as the peer takes them (the send timeout). */
void soc_http_send(int fd, const char *p, size_t n);
/* Header name's value (case-insensitive name) into out, cut to cap; 0 or
 * -ENOENT. */
int soc_http_header(const soc_http_request *r, const char *name, char *out, size_t cap);
/* The cookie name's value from the Cookie header, cut to cap; 0 or
 * -ENOENT (out ""). */
int soc_http_cookie(const soc_http_request *r, const char *name, char *out, size_t cap);
/* key's value in the n bytes of s ("a=b&c=d", application/x-www-form-
 * urlencoded: '+' and %XX decoded), cut to cap; 0 or -ENOENT (out ""). */
int soc_http_form_get(const char *s, size_t n, const char *key, char *out, size_t cap);
/* Parses the request in buf (got bytes, NUL at buf[got]) in place: 0 and
 * *out, pointing into buf; -EAGAIN when more must be read; -EMSGSIZE when
 * it needs more than max bytes; -EINVAL for a bad request line. */
int soc_http_parse(char *buf, size_t got, size_t max, soc_http_request *out);

#endif
