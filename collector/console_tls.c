/*
 * console_tls — see the header.
 */
#include "console_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "soc/metrics.h"

#define CONSOLE_TLS_HANDSHAKE_MS 5000 /* the handshake */
#define CONSOLE_TLS_DEADLINE_MS 10000 /* a handshake and its relayed request, in all */
#define RELAY_BUF 16384

struct soc_console_tls {
  SSL_CTX *ctx;
  soc_metrics_server *server;
  unsigned backend_port;
};

static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void ssl_reason(char *why, unsigned len) {
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, why, len);
  else
    snprintf(why, len, "unknown TLS error");
  ERR_clear_error();
}

/* The context: TLS 1.2 or later, cert's chain and the key that matches it.
 * NULL with why filled. */
static SSL_CTX *make_ctx(const char *cert, const char *key, char *why, unsigned why_len) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) goto bad;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
    char r[200];
    ssl_reason(r, sizeof r);
    snprintf(why, why_len, "console.tls_cert: %s: %s", cert, r);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
    char r[200];
    ssl_reason(r, sizeof r);
    snprintf(why, why_len, "console.tls_key: %s: %s", key, r);
    goto fail;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    snprintf(why, why_len, "console.tls_key: %s does not match the certificate %s", key, cert);
    goto fail;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  return ctx;
bad:
  ssl_reason(why, why_len);
fail:
  SSL_CTX_free(ctx);
  return NULL;
}

int soc_console_tls_check(const char *cert, const char *key, char *why, unsigned why_len) {
  SSL_CTX *ctx = make_ctx(cert, key, why, why_len);
  SSL_CTX_free(ctx);
  return ctx ? 0 : -EINVAL;
}

/* Waits until fd can be read (or written) before the deadline: 1, or 0 at
 * the deadline or on an error. */
static int wait_fd(int fd, int write, int64_t deadline) {
  struct pollfd p = {.fd = fd, .events = write ? POLLOUT : POLLIN};
  for (;;) {
    int64_t left = deadline - mono_ms();
    if (left <= 0) return 0;
    int n = poll(&p, 1, (int)left);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

/* One SSL call that may want the socket first, retried until the deadline.
 * op: 0 accept, 1 read, 2 write. Returns the call's result (> 0 done). */
static int ssl_call(SSL *ssl, int fd, int op, void *buf, int n, int64_t deadline) {
  for (;;) {
    int r = op == 0 ? SSL_accept(ssl) : op == 1 ? SSL_read(ssl, buf, n) : SSL_write(ssl, buf, n);
    if (r > 0) return r;
    int e = SSL_get_error(ssl, r);
    if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
        !wait_fd(fd, e == SSL_ERROR_WANT_WRITE, deadline))
      return r;
  }
}

static int backend_connect(unsigned port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One connection (in one of the server's workers, others at the same time):
 * the handshake, then the request to the console and its answer back, all
 * before the deadline. The console closes after its answer, which ends the
 * relay. */
static void relay(void *arg, int fd) {
  soc_console_tls *t = arg;
  int64_t start = mono_ms(), deadline = start + CONSOLE_TLS_DEADLINE_MS;
  char *buf = malloc(RELAY_BUF);
  SSL *ssl = buf ? SSL_new(t->ctx) : NULL;
  int back = -1;
  size_t sent = 0;
  if (!ssl || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 || SSL_set_fd(ssl, fd) != 1)
    goto out;
  if (ssl_call(ssl, fd, 0, NULL, 0, start + CONSOLE_TLS_HANDSHAKE_MS) <= 0) goto out;
  if ((back = backend_connect(t->backend_port)) < 0) goto out;
  int client_done = 0;
  for (;;) {
    /* what OpenSSL holds decrypted already needs no poll; a client that
     * has said all it will is not polled again */
    struct pollfd p[2] = {{.fd = client_done ? -1 : fd, .events = POLLIN},
                          {.fd = back, .events = POLLIN}};
    int64_t left = deadline - mono_ms();
    if (left <= 0) break;
    int pending = !client_done && SSL_pending(ssl) > 0;
    errno = 0;
    int n = pending ? 0 : poll(p, 2, (int)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && !pending) break;
    if (pending || p[0].revents) {
      /* more than a request's bound is not passed on: the console has
       * answered 431 by then and closes */
      int r = SSL_read(ssl, buf, RELAY_BUF);
      int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
      if (r > 0 && (sent += (size_t)r) <= SOC_HTTP_REQUEST_MAX + RELAY_BUF) {
        if (send_all(back, buf, (size_t)r) < 0) break;
      } else if (r > 0 || (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)) {
        client_done = 1;
        shutdown(back, SHUT_WR);
      }
    }
    if (p[1].revents) {
      ssize_t got = recv(back, buf, RELAY_BUF, MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        SSL_shutdown(ssl);
        break;
      }
      if (ssl_call(ssl, fd, 2, buf, (int)got, deadline) <= 0) break;
    }
  }
out:
  if (back >= 0) close(back);
  SSL_free(ssl);
  ERR_clear_error();
  free(buf);
}

int soc_console_tls_start(const char *listen, const char *cert, const char *key,
                          unsigned backend_port, soc_console_tls **out) {
  char why[400];
  int result = -ENOMEM;
  soc_console_tls *t = calloc(1, sizeof *t);
  *out = NULL;
  if (!t) goto out;
  t->backend_port = backend_port;
  result = -EINVAL;
  if (!(t->ctx = make_ctx(cert, key, why, sizeof why))) {
    fprintf(stderr, "soccollector: console: %s\n", why);
    goto out;
  }
  if ((result = soc_tcp_server_start(listen, relay, t, &t->server)) < 0) {
    fprintf(stderr, "soccollector: console: cannot listen on %s: %s\n", listen, strerror(-result));
    goto out;
  }
  *out = t;
  t = NULL;
out:
  soc_console_tls_free(t);
  return result;
}

unsigned soc_console_tls_port(const soc_console_tls *t) {
  return t ? soc_metrics_server_port(t->server) : 0;
}

void soc_console_tls_free(soc_console_tls *t) {
  if (!t) return;
  soc_metrics_server_free(t->server);
  SSL_CTX_free(t->ctx);
  free(t);
}
