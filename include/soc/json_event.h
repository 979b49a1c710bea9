/*
 * json_event — a line that is a JSON object from someone else's tool
 * (NXLog, Winlogbeat, evtx_dump, auditd to JSON), made into an event: the
 * input option `format: json` (docs/SIGMA.md).
 *
 * Nested objects become dotted names (Event.System.Channel). A level named
 * "#attributes" (how XML attributes are written in JSON) is dropped, so an
 * attribute reads like a child element: Event.System.Provider.Name; and
 * the one element inside Windows' Event.UserData (a wrapper named by the
 * provider) is skipped, so its fields read as Event.UserData.X. Bytes
 * of a key that an event field name can not hold become '_'. Strings are
 * kept as they are, numbers and booleans as their JSON text (rules compare
 * text), nulls are left out (a Sigma `null` means "not there"), arrays are
 * kept as JSON. Names of our ECS fields (message, host.name, source.ip...)
 * land in those fields. What does not fit an event is dropped and flagged
 * as event.h says.
 *
 * The time and the host come from the fields the options name (dotted
 * paths as above): a time as RFC 3339 / ISO 8601 text or epoch seconds.
 */
#ifndef SOC_JSON_EVENT_H
#define SOC_JSON_EVENT_H

#include <stddef.h>

#include "soc/event.h"
#include "soc/syslog.h"

typedef struct soc_json_event_opts {
  const char *time_field; /* NULL: the event keeps no time from the line */
  const char *host_field; /* NULL: no host.name from the line */
} soc_json_event_opts;

/* What soc_event_from_json_line found. */
#define SOC_JSON_EVENT_TIME 1u /* the time field was there and read */
#define SOC_JSON_EVENT_HOST 2u /* the host field was there */

/* Adds the object in line[0..len) to ev. Returns a mask of
 * SOC_JSON_EVENT_* (>= 0), -EINVAL when the line is not a JSON object,
 * -ENOMEM. o may be NULL. */
int soc_event_from_json_line(soc_event *ev, const char *line, size_t len,
                             const soc_json_event_opts *o);

/* What `format: json` does with a line: a JSON object as above; or a
 * syslog message whose text is one (NXLog and rsyslog wrap JSON in a
 * syslog header): the header's fields, then the object's. Anything else is
 * parsed as syslog, kept as the message, and -EINVAL returned so the caller
 * can flag it. Returns as soc_event_from_json_line. */
int soc_event_from_json_line_or_syslog(soc_event *ev, const char *line, size_t len,
                                       const soc_json_event_opts *o, const soc_syslog_opts *so);

#endif
