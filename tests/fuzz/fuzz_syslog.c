/*
 * libFuzzer harness: the syslog parser on arbitrary bytes. Each input is
 * parsed under a few receive times and zones (the present, the two ends of
 * what int64 nanoseconds hold, a zone with DST and a fixed offset), so that
 * the year inference and the zone code meet their edges as well as the
 * scanner. The event must always serialise, peek must agree with parse on
 * the form, the time and the host, and a raw line must keep its message.
 * The detector's lazy parse (soc_syslog_parse_lazy, then
 * soc_syslog_later_set) must make the very event the full parse makes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/event.h"
#include "soc/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static soc_syslog_opts opts[4];
static soc_event *ev, *lazy;

static void setup(void) {
  static const struct {
    const char *zone;
    int64_t recv_ns;
  } set[4] = {
      {"UTC", INT64_C(1795593600000000000)},              /* 2026-11-25T08:00:00Z */
      {"America/New_York", INT64_C(1793512800000000000)}, /* 2026-11-01T05:20:00Z */
      {"+08:00", INT64_MAX},
      {"-05:30", INT64_MIN},
  };
  for (size_t i = 0; i < 4; i++) {
    if (soc_tz_parse(set[i].zone, &opts[i].tz)) abort();
    opts[i].recv_ns = set[i].recv_ns;
  }
  ev = soc_event_new();
  lazy = soc_event_new();
  if (!ev || !lazy) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *msg = (const char *)data;
  if (!ev) setup();
  for (size_t i = 0; i < 4; i++) {
    char host[64], *json = NULL;
    int64_t ts = 0, pts = 0;
    soc_event_reset(ev);
    soc_syslog_format form = soc_syslog_parse(msg, size, &opts[i], ev);
    if (soc_syslog_peek(msg, size, &opts[i], host, sizeof host, &pts) != form) __builtin_trap();
    if (soc_event_get_time(ev, &ts) || ts != pts) __builtin_trap();
    /* peek's host is the event's, or the start of it cut to fit */
    const char *h = soc_event_get_str(ev, SOC_ECS_HOST_NAME);
    size_t hl = strlen(host);
    if (!h) h = "";
    if (strncmp(host, h, hl) || (strlen(h) < sizeof host && h[hl])) __builtin_trap();
    if (form == SOC_SYSLOG_RAW && !soc_event_get_str(ev, SOC_ECS_MESSAGE)) __builtin_trap();
    if (soc_event_to_json(ev, &json, NULL) || !json) __builtin_trap();
    char *lazy_json = NULL;
    soc_syslog_later later = {.deferred = 1};
    soc_event_reset(lazy);
    if (soc_syslog_parse_lazy(msg, size, &opts[i], lazy, &later) != form) __builtin_trap();
    soc_syslog_later_set(msg, &later, lazy);
    if (soc_event_to_json(lazy, &lazy_json, NULL) || strcmp(json, lazy_json)) __builtin_trap();
    free(lazy_json);
    free(json);
  }
  return 0;
}
