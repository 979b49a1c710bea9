/*
 * journald_entry — a systemd journal entry as the ECS event a syslog line
 * becomes (lib/event/syslog.c), so that every log rule works on it as it
 * is. Pure: the caller gives the entry's fields through a lookup function
 * (agent/inputs/input_journald.c wraps sd_journal_get_data; the tests and
 * the fuzz harness a table), so it is tested and fuzzed without journald.
 *
 * Fields are untrusted: any local process may log any field with any
 * bytes (sd_journal_send). Values are copied into the event, which
 * repairs and caps them (event.h); numbers that do not parse, or are out
 * of range, are left out.
 *
 *   __REALTIME_TIMESTAMP (given as ts_ns)  @timestamp
 *   MESSAGE                                message (cut at max_message)
 *   _HOSTNAME                              host.name, log.syslog.hostname
 *   SYSLOG_IDENTIFIER, else _COMM          process.name, log.syslog.appname
 *   _PID, else SYSLOG_PID                  process.pid, log.syslog.procid
 *   PRIORITY (0..7)                        log.syslog.severity.code
 *   SYSLOG_FACILITY (0..23)                log.syslog.facility.code
 *   _SYSTEMD_UNIT                          systemd.unit
 *   _TRANSPORT                             systemd.transport
 */
#ifndef SOC_JOURNALD_ENTRY_H
#define SOC_JOURNALD_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"

/* The value of the field called name (without "NAME="), not
 * NUL-terminated, with its length in *len; NULL when the entry has none.
 * The value must stay valid until the next call. */
typedef const char *(*soc_journald_get_fn)(void *arg, const char *name, size_t *len);

/* Resets ev and fills it from the entry. Returns 1 when MESSAGE was cut
 * at max_message bytes, else 0. */
int soc_journald_entry_event(soc_event *ev, soc_journald_get_fn get, void *arg, int64_t ts_ns,
                             size_t max_message);

#endif
