/*
 * console_tls — the console over HTTPS with a configured certificate
 * (console.tls_cert, console.tls_key): a TLS front on console.listen that
 * relays each connection, once its handshake is done, to the console's own
 * plain HTTP listener on a loopback port only the collector knows. The
 * console's bounds stay where they are (one request per connection, 16 KiB,
 * 2 s); the front bounds what comes before: a handshake has
 * CONSOLE_TLS_HANDSHAKE_MS, a relayed connection CONSOLE_TLS_DEADLINE_MS in
 * all, and SOC_HTTP_WORKERS connections are served at once (each in its own
 * thread, as by the console itself), so a stalled client holds one of them.
 *
 * OpenSSL (libssl): TLS 1.2 or later, the certificate chain from a PEM file.
 *
 * Ownership: the front owns its thread, its socket and its SSL context;
 * _free stops and frees all of them.
 */
#ifndef SOC_COLLECTOR_CONSOLE_TLS_H
#define SOC_COLLECTOR_CONSOLE_TLS_H

typedef struct soc_console_tls soc_console_tls;

/* Loads cert (a PEM chain) and key and checks they match. Returns 0 or
 * -EINVAL with why (OpenSSL's reason) filled. For --check-config too. */
int soc_console_tls_check(const char *cert, const char *key, char *why, unsigned why_len);

/* Listens on listen ("HOST:PORT", any address) and relays to
 * 127.0.0.1:backend_port. Returns 0 or a negative errno (printed).
 * OUT: *out. */
int soc_console_tls_start(const char *listen, const char *cert, const char *key,
                          unsigned backend_port, soc_console_tls **out);
/* The port bound (listen may say 0). */
unsigned soc_console_tls_port(const soc_console_tls *t);
void soc_console_tls_free(soc_console_tls *t); /* NULL is a no-op */

#endif
