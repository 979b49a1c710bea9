/*
 * journald_entry — see the header.
 */
#include "soc/journald_entry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PID_MAX 4194304 /* the kernel's pid_max ceiling */

/* A decimal field within 0..max: only digits, no sign, no spaces. */
static int field_int(soc_journald_get_fn get, void *arg, const char *name, int64_t max,
                     int64_t *out) {
  size_t len = 0;
  const char *v = get(arg, name, &len);
  int64_t x = 0;
  if (!v || !len || len > 18) return -ENOENT;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return -EINVAL;
    x = x * 10 + (v[i] - '0');
  }
  if (x > max) return -ERANGE;
  *out = x;
  return 0;
}

static void set_str(soc_event *ev, soc_journald_get_fn get, void *arg, const char *name,
                    soc_ecs_field f1, soc_ecs_field f2) {
  size_t len = 0;
  const char *v = get(arg, name, &len);
  if (!v) return;
  (void)soc_event_set_str(ev, f1, v, len);
  if (f2 != f1) (void)soc_event_set_str(ev, f2, v, len);
}

static void set_extra(soc_event *ev, soc_journald_get_fn get, void *arg, const char *name,
                      const char *key) {
  size_t len = 0;
  const char *v = get(arg, name, &len);
  if (v) (void)soc_event_set(ev, key, v, len);
}

int soc_journald_entry_event(soc_event *ev, soc_journald_get_fn get, void *arg, int64_t ts_ns,
                             size_t max_message) {
  size_t len = 0;
  int64_t v;
  int cut = 0;
  soc_event_reset(ev);
  soc_event_set_time(ev, ts_ns);
  const char *msg = get(arg, "MESSAGE", &len);
  if (msg) {
    if (len > max_message) {
      len = max_message;
      cut = 1;
    }
    (void)soc_event_set_str(ev, SOC_ECS_MESSAGE, msg, len);
  }
  set_str(ev, get, arg, "_HOSTNAME", SOC_ECS_HOST_NAME, SOC_ECS_LOG_SYSLOG_HOSTNAME);
  if (get(arg, "SYSLOG_IDENTIFIER", &len))
    set_str(ev, get, arg, "SYSLOG_IDENTIFIER", SOC_ECS_PROCESS_NAME, SOC_ECS_LOG_SYSLOG_APPNAME);
  else
    set_str(ev, get, arg, "_COMM", SOC_ECS_PROCESS_NAME, SOC_ECS_LOG_SYSLOG_APPNAME);
  if (field_int(get, arg, "_PID", PID_MAX, &v) == 0 ||
      field_int(get, arg, "SYSLOG_PID", PID_MAX, &v) == 0) {
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%" PRId64, v);
    (void)soc_event_set_int(ev, SOC_ECS_PROCESS_PID, v);
    (void)soc_event_set_str(ev, SOC_ECS_LOG_SYSLOG_PROCID, pid, (size_t)n);
  }
  if (field_int(get, arg, "PRIORITY", 7, &v) == 0)
    (void)soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, v);
  if (field_int(get, arg, "SYSLOG_FACILITY", 23, &v) == 0)
    (void)soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, v);
  set_extra(ev, get, arg, "_SYSTEMD_UNIT", "systemd.unit");
  set_extra(ev, get, arg, "_TRANSPORT", "systemd.transport");
  return cut;
}
