/*
 * syslog — parsing one syslog message (or one line of a syslog file) into
 * ECS fields.
 *
 * Accepted forms, tried in this order:
 *   RFC 5424   "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD...] MSG"
 *   RFC 3164   "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG", also without
 *              <PRI> (the form of /var/log/syslog and /var/log/auth.log),
 *              and with an RFC 3339 timestamp in place of the BSD one (the
 *              form rsyslog writes on Debian 12: RSYSLOG_FileFormat)
 *   raw        anything else: the whole line is the message, @timestamp is
 *              the receive time, and the event is tagged "syslog_unparsed"
 *
 * Fields set: @timestamp, host.name (and log.syslog.hostname), process.name
 * (and log.syslog.appname), process.pid (when numeric; log.syslog.procid
 * always), log.syslog.msgid, log.syslog.facility.code/severity.code (from
 * PRI), log.syslog.version, structured data (RFC 5424), message. The caller
 * sets what it knows besides (event.id, log.file.path, ...).
 *
 * A BSD timestamp has no year and usually no zone: the year is inferred
 * from the receive time (a December line received in January belongs to
 * the previous year; no line is placed more than a day in the future), and
 * the zone comes from the input's configuration.
 *
 * The parser never reads past len, needs no NUL terminator, and never
 * fails on any input: the worst case is a raw event.
 */
#ifndef SOC_SYSLOG_H
#define SOC_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"
#include "soc/tz.h"

typedef enum {
  SOC_SYSLOG_RAW = 0,
  SOC_SYSLOG_RFC3164,
  SOC_SYSLOG_RFC5424,
} soc_syslog_format;

typedef struct soc_syslog_opts {
  soc_tz tz;       /* zone of timestamps that carry none */
  int64_t recv_ns; /* when the line was received: year inference, raw @timestamp */
} soc_syslog_opts;

/* Parses msg[0..len) into ev (which the caller has reset). Returns the
 * form that matched. */
soc_syslog_format soc_syslog_parse(const char *msg, size_t len, const soc_syslog_opts *opts,
                                   soc_event *ev);

/* The header's fields that soc_syslog_parse_lazy left out: host.name and
 * log.syslog.hostname (the host), appname (the app) and procid, as offsets
 * into its msg (only an RFC 3164 line waits: it has no msgid). */
typedef struct soc_syslog_later {
  int deferred; /* IN: they may wait; OUT: they do */
  size_t host_off, host_len, app_off, app_len, procid_off, procid_len;
} soc_syslog_later;

/* soc_syslog_parse for a reader that looks at host.name and the header's
 * copies under log.syslog only after the rest of the line (the detector,
 * which finishes few lines): with later->deferred set, an RFC 3164 line all
 * of whose values the event's budget keeps whatever their order
 * (soc_event_room) is parsed without them, and deferred stays 1; otherwise
 * it becomes 0 and the parse is soc_syslog_parse's. soc_syslog_later_set(msg,
 * later, ev), with the same msg and before anything else is set, then adds
 * them: the event is the same as soc_syslog_parse's. */
soc_syslog_format soc_syslog_parse_lazy(const char *msg, size_t len, const soc_syslog_opts *opts,
                                        soc_event *ev, soc_syslog_later *later /* IN/OUT */);
void soc_syslog_later_set(const char *msg, const soc_syslog_later *later, soc_event *ev);

/* Only the header's host name and timestamp, without building an event:
 * what the journal indexes. host receives at most hostcap-1 bytes and a NUL
 * ("" when there is none). *ts_ns falls back to recv_ns. Returns the form. */
soc_syslog_format soc_syslog_peek(const char *msg, size_t len, const soc_syslog_opts *opts,
                                  char *host, size_t hostcap, int64_t *ts_ns);

/* Details of both functions (lib/syslog.c says why):
 * - One trailing "\n", "\r\n" or "\r" is framing and is dropped first.
 * - opts may be NULL (UTC, received at the epoch); msg may be NULL (len is
 *   then taken as 0); parse with ev NULL only returns the form.
 * - The form depends on the header alone: a bad or out-of-range PRI (over
 *   191, more than 3 digits), a timestamp that is not a real date, an RFC
 *   5424 header missing a field, or a time outside what int64 nanoseconds
 *   hold make the line raw. What follows a good header never does: RFC
 *   5424 structured data that does not parse, and a TAG that is not one,
 *   stay in the message.
 * - RFC 3164 without a host: when the token after the timestamp ends with
 *   ':' or contains '[', it is the TAG and host.name is left unset.
 * - "Feb 29" takes the year of the receive time or the one before, when
 *   that is a leap year; otherwise the line is raw.
 * - Fractions of a second are kept to the nanosecond; a leap second (60)
 *   is read as 59. A BSD timestamp may carry a year after the day
 *   ("Nov 25 2026 07:23:31"); an RFC 3339 one without an offset is read in
 *   opts->tz.
 * - host is repaired like the event's host.name (utf8.h), cut between
 *   characters.
 * - With a SOC_TZ_LOCAL or SOC_TZ_NAMED zone both take soc_tz_to_utc's
 *   lock on a cache miss (about once per zone and hour). */

/* The time "dd/Mon/yyyy:HH:MM:SS +zzzz" at s[0..len) (what the Apache and
 * nginx access logs write between brackets) in *ns. Returns 0, -EINVAL. */
int soc_syslog_clf_time(const char *s, size_t len, int64_t *ns);

#endif
