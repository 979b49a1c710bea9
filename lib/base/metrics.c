/*
 * metrics — Prometheus text and a loopback HTTP server (see the header).
 *
 * Why a server of our own and not a library: it answers one request, GET
 * /metrics, from one scraper every few seconds. A thread that accepts,
 * reads at most REQUEST_MAX bytes within a timeout, answers and closes is
 * all that needs, and keeps every buffer bounded: a client that sends a
 * huge or slow request gets 400 or is dropped, never our memory or the
 * thread for long. Only loopback addresses are accepted for listening,
 * because the endpoint has no authentication. The console's listeners use
 * the same loop in a few threads at once (each accepting from the shared,
 * non-blocking socket), so that one slow client does not hold the others.
 *
 * Samples are collected first and written grouped by name (a stable sort
 * keeps the callers' order within a family), since the text format wants
 * each family's samples together under one # HELP and # TYPE, and callers
 * naturally iterate by source, not by metric.
 */
#define _GNU_SOURCE /* accept4 */
#include "soc/metrics.h"
#include "soc/thread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX SOC_HTTP_REQUEST_MAX
#define IO_TIMEOUT_MS 2000

typedef struct sample {
  char name[SOC_METRICS_NAME_MAX];
  char label_key[SOC_METRICS_NAME_MAX];
  char label_value[2 * SOC_METRICS_LABEL_MAX]; /* escaped: at most 2 bytes per byte */
  const char *help;
  soc_metric_type type;
  int64_t value;
  size_t order;
} sample;

struct soc_metrics_text {
  sample *v;
  size_t n, cap;
};

struct soc_metrics_server {
  int fd;      /* non-blocking: the workers race for each connection */
  int stop_fd; /* eventfd: _free wakes every worker (nobody reads it) */
  unsigned port;
  pthread_t threads[SOC_HTTP_WORKERS];
  int started; /* threads running */
  soc_metrics_render_fn render;
  void *render_arg;
  soc_http_handler_fn handler;
  void *arg;            /* the handler's (or conn's); the server itself for metrics */
  soc_tcp_conn_fn conn; /* NULL: HTTP requests for handler */
};

/* ---- the text format -------------------------------------------------------- */

soc_metrics_text *soc_metrics_text_new(void) { return calloc(1, sizeof(soc_metrics_text)); }

void soc_metrics_text_free(soc_metrics_text *t) {
  if (!t) return;
  free(t->v);
  free(t);
}

static void clean_name(char *out, size_t cap, const char *in) {
  size_t i = 0;
  for (; in[i] && i + 1 < cap; i++) {
    char c = in[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
             (i > 0 && c >= '0' && c <= '9');
    out[i] = ok ? c : '_';
  }
  out[i] = '\0';
}

/* Label values: backslash, double quote and newline are escaped. */
static void escape_value(char *out, size_t cap, const char *in) {
  size_t o = 0;
  for (size_t i = 0; in[i] && i < SOC_METRICS_LABEL_MAX && o + 3 < cap; i++) {
    char c = in[i];
    if (c == '\\' || c == '"') {
      out[o++] = '\\';
      out[o++] = c;
    } else if (c == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else {
      out[o++] = c;
    }
  }
  out[o] = '\0';
}

int soc_metrics_add(soc_metrics_text *t, const char *name, soc_metric_type type, const char *help,
                    const char *label_key, const char *label_value, int64_t value) {
  if (t->n == SOC_METRICS_SAMPLES_MAX) return -ENOSPC;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    sample *v = realloc(t->v, cap * sizeof *v);
    if (!v) return -ENOMEM;
    t->v = v;
    t->cap = cap;
  }
  sample *s = &t->v[t->n];
  memset(s, 0, sizeof *s);
  clean_name(s->name, sizeof s->name, name);
  if (label_key && label_value) {
    clean_name(s->label_key, sizeof s->label_key, label_key);
    escape_value(s->label_value, sizeof s->label_value, label_value);
  }
  s->help = help ? help : "";
  s->type = type;
  s->value = value;
  s->order = t->n++;
  return 0;
}

static int by_name(const void *a, const void *b) {
  const sample *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

int soc_metrics_text_render(soc_metrics_text *t, char **text, size_t *len) {
  char *buf = NULL;
  size_t cap = 0;
  FILE *f = open_memstream(&buf, &cap);
  if (!f) return -ENOMEM;
  if (t->n) qsort(t->v, t->n, sizeof *t->v, by_name);
  for (size_t i = 0; i < t->n; i++) {
    const sample *s = &t->v[i];
    if (i == 0 || strcmp(s->name, t->v[i - 1].name) != 0) {
      fprintf(f, "# HELP %s ", s->name);
      for (const char *h = s->help; *h; h++) { /* help: backslash and newline escaped */
        if (*h == '\\')
          fputs("\\\\", f);
        else if (*h == '\n')
          fputs("\\n", f);
        else
          fputc(*h, f);
      }
      fprintf(f, "\n# TYPE %s %s\n", s->name, s->type == SOC_METRIC_COUNTER ? "counter" : "gauge");
    }
    if (s->label_key[0])
      fprintf(f, "%s{%s=\"%s\"} %" PRId64 "\n", s->name, s->label_key, s->label_value, s->value);
    else
      fprintf(f, "%s %" PRId64 "\n", s->name, s->value);
  }
  if (fclose(f) != 0) {
    free(buf);
    return -ENOMEM;
  }
  *text = buf;
  *len = cap;
  return 0;
}

/* ---- the listening address ---------------------------------------------------- */

static int listen_parse(const char *s, int loopback_only, struct sockaddr_storage *ss,
                        socklen_t *len, const char **why) {
  char host[64];
  const char *colon = s ? strrchr(s, ':') : NULL;
  memset(ss, 0, sizeof *ss);
  if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) {
    *why = "expected HOST:PORT, e.g. 127.0.0.1:9464";
    return -EINVAL;
  }
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (errno || *end || end == colon + 1 || port > 65535) {
    *why = "the port must be a number from 0 to 65535";
    return -EINVAL;
  }
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  size_t hl = strlen(host);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = '\0';
    if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) {
      *why = "not an IPv6 address in brackets";
      return -EINVAL;
    }
    if (loopback_only && !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) {
      *why = "the endpoint has no authentication: only a loopback address ([::1]) is accepted";
      return -EINVAL;
    }
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 0;
  }
  if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
    *why = loopback_only ? "expected an IPv4 address, [::1] or localhost"
                         : "expected an IPv4 address, an IPv6 address in brackets or localhost";
    return -EINVAL;
  }
  if (loopback_only && (ntohl(a4->sin_addr.s_addr) >> 24) != 127) {
    *why = "the endpoint has no authentication: only a loopback address (127.0.0.0/8) is accepted";
    return -EINVAL;
  }
  a4->sin_family = AF_INET;
  a4->sin_port = htons((uint16_t)port);
  *len = sizeof *a4;
  return 0;
}

int soc_metrics_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                             const char **why) {
  return listen_parse(s, 1, ss, len, why);
}

int soc_listen_parse_any(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                         const char **why) {
  return listen_parse(s, 0, ss, len, why);
}

/* ---- the server ------------------------------------------------------------------ */

void soc_http_send(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* The status line and headers of an answer of n bytes; their length, or -1
 * when they do not fit cap. */
static int head_format(char *head, size_t cap, const char *status, const char *extra,
                       const char *type, size_t n) {
  int h = snprintf(head, cap,
                   "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "%sConnection: close\r\n\r\n",
                   status, type, n, extra ? extra : "");
  return h < 0 || (size_t)h >= cap ? -1 : h;
}

void soc_http_respond(int fd, const char *status, const char *extra, const char *type,
                      const char *body, size_t n) {
  char head[2048];
  int h = head_format(head, sizeof head, status, extra, type, n);
  if (h < 0) return;
  soc_http_send(fd, head, (size_t)h);
  soc_http_send(fd, body, n);
}

int soc_http_response(const char *status, const char *extra, const char *type, const char *body,
                      size_t n, char **out, size_t *out_len) {
  char head[2048];
  int h = head_format(head, sizeof head, status, extra, type, n);
  *out = NULL;
  *out_len = 0;
  if (h < 0) return -EINVAL;
  if (n > SIZE_MAX - (size_t)h || !(*out = malloc((size_t)h + n + 1))) return -ENOMEM;
  memcpy(*out, head, (size_t)h);
  if (n) memcpy(*out + h, body, n);
  *out_len = (size_t)h + n;
  (*out)[*out_len] = '\0';
  return 0;
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t n) {
  soc_http_respond(fd, status, NULL, type, body, n);
}

int soc_http_header(const soc_http_request *r, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = r->headers; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncasecmp(p, name, nl) != 0 || p[nl] != ':') continue;
    const char *v = p + nl + 1;
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strcspn(v, "\r\n");
    if (n >= cap) n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
  }
  return -ENOENT;
}

static void serve_metrics(void *arg, int fd, const soc_http_request *r) {
  soc_metrics_server *s = arg;
  static const char plain[] = "text/plain; charset=utf-8";
  if (strcmp(r->method, "GET") != 0) {
    respond(fd, "405 Method Not Allowed", plain, "only GET\n", 9);
    return;
  }
  if (strncmp(r->target, "/metrics", 8) != 0 || (r->target[8] && r->target[8] != '?')) {
    respond(fd, "404 Not Found", plain, "try /metrics\n", 13);
    return;
  }
  soc_metrics_text *t = soc_metrics_text_new();
  char *text = NULL;
  size_t len = 0;
  if (t && s->render(s->render_arg, t) == 0 && soc_metrics_text_render(t, &text, &len) == 0)
    respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
  else
    respond(fd, "500 Internal Server Error", plain, "metrics unavailable\n", 20);
  free(text);
  soc_metrics_text_free(t);
}

int soc_http_parse(char *buf, size_t got, size_t max, soc_http_request *out) {
  char *head_end = strstr(buf, "\r\n\r\n");
  if (!head_end) return got >= max ? -EMSGSIZE : -EAGAIN;
  size_t head = (size_t)(head_end + 4 - buf);
  const char *cl = strcasestr(buf, "\ncontent-length:");
  unsigned long long n = cl && cl < head_end ? strtoull(cl + 16, NULL, 10) : 0;
  if (n > max || head + (size_t)n > max) return -EMSGSIZE;
  if (got < head + (size_t)n) return -EAGAIN;
  /* "METHOD TARGET HTTP/1.x\r\n" */
  char *line_end = strstr(buf, "\r\n"), *sp1 = strchr(buf, ' ');
  char *sp2 = sp1 && sp1 < line_end ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp2 || sp2 > line_end) return -EINVAL;
  *sp1 = *sp2 = *head_end = '\0';
  buf[head + (size_t)n] = '\0'; /* anything after the body is not this request's */
  *out = (soc_http_request){.method = buf,
                            .target = sp1 + 1,
                            .headers = line_end + 2,
                            .body = head_end + 4,
                            .body_len = (size_t)n};
  return 0;
}

/* Reads one request within REQUEST_MAX and the timeout, and has it
 * answered. */
static void serve(soc_metrics_server *s, int fd) {
  char req[REQUEST_MAX + 1];
  static const char plain[] = "text/plain; charset=utf-8";
  size_t got = 0;
  soc_http_request r;
  int rc = -EAGAIN;
  struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000};
  struct timespec t0, t;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (rc == -EAGAIN && got < REQUEST_MAX) {
    /* the timeout is the whole request's: a client sending a byte now and
     * then cannot hold the thread for longer */
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t left_ms = IO_TIMEOUT_MS -
                      ((int64_t)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    if (left_ms <= 0) return;
    tv = (struct timeval){.tv_sec = left_ms / 1000, .tv_usec = (left_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, req + got, REQUEST_MAX - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* closed or too slow */
    got += (size_t)n;
    req[got] = '\0';
    rc = soc_http_parse(req, got, REQUEST_MAX, &r);
  }
  if (rc == 0)
    s->handler(s->arg, fd, &r);
  else if (rc == -EINVAL)
    respond(fd, "400 Bad Request", plain, "bad request line\n", 17);
  else
    respond(fd, "431 Request Header Fields Too Large", plain, "request too large\n", 18);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int soc_http_form_get(const char *s, size_t n, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  if (cap) out[0] = '\0';
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && s[end] != '&') end++;
    if (end - i > kl && !strncmp(s + i, key, kl) && s[i + kl] == '=') {
      size_t o = 0;
      for (size_t j = i + kl + 1; j < end && o + 1 < cap; j++) {
        int h, l;
        if (s[j] == '+') {
          out[o++] = ' ';
        } else if (s[j] == '%' && j + 2 < end && (h = hexval(s[j + 1])) >= 0 &&
                   (l = hexval(s[j + 2])) >= 0) {
          out[o++] = (char)(h * 16 + l);
          j += 2;
        } else {
          out[o++] = s[j];
        }
      }
      if (cap) out[o] = '\0';
      return 0;
    }
    i = end + 1;
  }
  return -ENOENT;
}

int soc_http_cookie(const soc_http_request *r, const char *name, char *out, size_t cap) {
  char all[2048];
  size_t nl = strlen(name);
  if (cap) out[0] = '\0';
  if (soc_http_header(r, "Cookie", all, sizeof all) < 0) return -ENOENT;
  for (char *p = all; *p;) {
    while (*p == ' ' || *p == ';') p++;
    size_t n = strcspn(p, ";");
    if (n > nl && !strncmp(p, name, nl) && p[nl] == '=') {
      snprintf(out, cap, "%.*s", (int)(n - nl - 1), p + nl + 1);
      return 0;
    }
    p += n;
  }
  return -ENOENT;
}

static void *run(void *arg) {
  soc_metrics_server *s = arg;
  struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->stop_fd, .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    /* another worker may have taken it: EAGAIN */
    int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (s->conn)
      s->conn(s->arg, c);
    else
      serve(s, c);
    close(c);
  }
  return NULL;
}

unsigned soc_metrics_server_port(const soc_metrics_server *s) { return s ? s->port : 0; }

/* workers: threads each accepting and serving one connection at a time,
 * 1..SOC_HTTP_WORKERS. */
static int server_start(const char *listen_at, int loopback_only, int workers,
                        soc_http_handler_fn handler, soc_tcp_conn_fn conn,
                        soc_metrics_render_fn render, void *arg, soc_metrics_server **out) {
  int result = -EINVAL;
  struct sockaddr_storage ss;
  socklen_t sl;
  const char *why = NULL;
  soc_metrics_server *s = calloc(1, sizeof *s);
  *out = NULL;
  if (!s) return -ENOMEM;
  s->fd = s->stop_fd = -1;
  s->render = render;
  s->render_arg = arg;
  s->handler = handler;
  s->conn = conn;
  s->arg = render ? (void *)s : arg;
  if (listen_parse(listen_at, loopback_only, &ss, &sl, &why) < 0) goto out;
  s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  s->stop_fd = eventfd(0, EFD_CLOEXEC);
  if (s->fd < 0 || s->stop_fd < 0) {
    result = -errno;
    goto out;
  }
  int one = 1;
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s->fd, (struct sockaddr *)&ss, sl) < 0 || listen(s->fd, 16) < 0) {
    result = -errno;
    goto out;
  }
  sl = sizeof ss;
  if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0)
    s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
  result = 0;
  while (result == 0 && s->started < workers)
    if ((result = -pthread_create(&s->threads[s->started], NULL, run, s)) == 0)
      soc_thread_name(s->threads[s->started++], "soc:http");
out:
  if (result == 0)
    *out = s;
  else
    soc_metrics_server_free(s);
  return result;
}

int soc_metrics_server_start(const char *listen_at, soc_metrics_render_fn render, void *arg,
                             soc_metrics_server **out) {
  return server_start(listen_at, 1, 1, serve_metrics, NULL, render, arg, out);
}

int soc_http_server_start(const char *listen_at, soc_http_handler_fn handler, void *arg,
                          soc_metrics_server **out) {
  return server_start(listen_at, 1, SOC_HTTP_WORKERS, handler, NULL, NULL, arg, out);
}

int soc_tcp_server_start(const char *listen_at, soc_tcp_conn_fn conn, void *arg,
                         soc_metrics_server **out) {
  return server_start(listen_at, 0, SOC_HTTP_WORKERS, NULL, conn, NULL, arg, out);
}

void soc_metrics_server_free(soc_metrics_server *s) {
  if (!s) return;
  if (s->started) {
    uint64_t one = 1;
    int woken = write(s->stop_fd, &one, sizeof one) == sizeof one;
    for (int i = 0; i < s->started; i++) {
      if (!woken) pthread_cancel(s->threads[i]);
      pthread_join(s->threads[i], NULL);
    }
  }
  if (s->fd >= 0) close(s->fd);
  if (s->stop_fd >= 0) close(s->stop_fd);
  free(s);
}
