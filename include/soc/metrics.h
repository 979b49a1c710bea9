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

#endif
