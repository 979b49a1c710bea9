/*
 * access_log — one line of a web server's access log into an event: the
 * input option `format: access` (docs/SIGMA.md), what Sigma's webserver and
 * proxy rules read.
 *
 * The NCSA common and combined formats, as Apache (common, combined) and
 * nginx (combined, its default) write them, with any fields after them:
 *
 *   1.2.3.4 - alice [06/Dec/2026:22:00:00 +0100] "GET /a?b=1 HTTP/1.1" 200 512 "ref" "UA" ...
 *
 * Fields set (ECS, as the pcap input's HTTP transactions set them):
 * source.ip (source.domain for a host name), user.name, http.request.method,
 * url.original (the request target), url.path, url.query, url.domain (of
 * an absolute-form target: a proxy's log), http.version ("1.1"),
 * http.response.status_code, http.response.body.bytes (CLF's "-" is 0),
 * http.request.referrer, user_agent.original, event.outcome, and
 * event.dataset: "proxy.access" for a forward proxy's request (a target
 * with scheme and host, or CONNECT), else "web.access". A "-" referrer, user agent or user is no
 * field. A request that is not "METHOD TARGET[ HTTP/x.y]" ("-", the bytes
 * of a TLS hello sent to a plain port) sets no request fields.
 *
 * Quoted values are unescaped as the servers escape them: nginx's \xHH,
 * Apache's \" \\ and \xhh; any other backslash stays. A quote ends a value
 * when it is not escaped and the end of the line, or a space and then a
 * quote, '-', a digit or the end, follow: the unescaped quotes that old
 * Apache versions left in a user agent stay in it.
 */
#ifndef SOC_ACCESS_LOG_H
#define SOC_ACCESS_LOG_H

#include <stddef.h>

#include "soc/event.h"
#include "soc/syslog.h"

/* The names of the extras an access-log line may set. */
#define SOC_ACCESS_EXTRAS 11
extern const char *const soc_access_extras[SOC_ACCESS_EXTRAS];

/* Adds the fields of the access-log line line[0..len) to ev (not the
 * message); with set_time, the line's own time too. Returns 0, -EINVAL when
 * the line is no access-log line (ev is then untouched), -ENOMEM. */
int soc_event_access_fields(soc_event *ev, const char *line, size_t len, int set_time);

/* format: access. A line that is an access-log line gives its fields, its
 * message and its time (0); otherwise it is read as syslog (opts) and its
 * message, when it is one (nginx's access_log syslog:), gives the fields
 * (0); a syslog message that is none stays a syslog event (1: nginx sends
 * its error log the same way); a line that is neither is its message, with
 * the time it was read (-EINVAL: the caller tags and counts it). -ENOMEM. */
int soc_event_from_access_line(soc_event *ev, const char *line, size_t len,
                               const soc_syslog_opts *opts);

/* Whether line[0..len) is an access-log line, without building an event:
 * what an input counts as a parse failure. */
int soc_access_line_ok(const char *line, size_t len);

/* The syslog default format: a message from nginx, apache2 or httpd (its
 * process.name) that is an access-log line gets the fields too. Returns 1
 * when it did, 0, -ENOMEM. */
int soc_event_access_from_syslog(soc_event *ev);

#endif
