/*
 * libFuzzer harness: the access-log parser on arbitrary bytes, as
 * format: access reads a line and as the syslog format looks at a
 * message from nginx. Whatever it finds, the event must serialise (given the
 * read time when the line's own does not parse, as the agent does), a line
 * it takes for an access log must be one by soc_access_line_ok too, and a
 * line that is neither keeps its message.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/access_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static soc_event *ev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *line = (const char *)data;
  char *json = NULL;
  if (!ev && !(ev = soc_event_new())) abort();
  soc_event_reset(ev);
  int rc = soc_event_from_access_line(ev, line, size, NULL);
  if (rc == -ENOMEM) return 0;
  if (rc == -EINVAL && (soc_access_line_ok(line, size) || !soc_event_get_str(ev, SOC_ECS_MESSAGE)))
    __builtin_trap();
  /* an access line whose time does not parse has none: the agent gives it
   * the time it was read */
  if (soc_event_get_time(ev, NULL) < 0) soc_event_set_time(ev, 0);
  if (soc_event_to_json(ev, &json, NULL) || !json) __builtin_trap();
  free(json);
  /* the syslog format's look at a web server's messages */
  soc_event_reset(ev);
  soc_syslog_parse(line, size, NULL, ev);
  if (soc_event_access_from_syslog(ev) < 0) return 0;
  if (soc_event_to_json(ev, &json, NULL) || !json) __builtin_trap();
  free(json);
  return 0;
}
