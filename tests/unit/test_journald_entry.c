/* journald_entry: a journal entry becomes the ECS event a syslog line
 * becomes, field by field; the fallbacks (_COMM, SYSLOG_PID); numbers
 * that do not parse or are out of range are left out; MESSAGE is cut at
 * the cap and said so; hostile bytes are repaired by the event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "soc/journald_entry.h"

typedef struct field {
  const char *name, *value;
  size_t len; /* 0: strlen(value) */
} field;

static const char *get(void *arg, const char *name, size_t *len) {
  for (const field *f = arg; f->name; f++)
    if (strcmp(f->name, name) == 0) {
      *len = f->len ? f->len : strlen(f->value);
      return f->value;
    }
  return NULL;
}

static void test_sshd_entry(void **state) {
  (void)state;
  field e[] = {{"MESSAGE", "Failed password for root from 203.0.113.7 port 40001 ssh2", 0},
               {"SYSLOG_IDENTIFIER", "sshd", 0},
               {"_COMM", "sshd-session", 0},
               {"_PID", "1234", 0},
               {"PRIORITY", "6", 0},
               {"SYSLOG_FACILITY", "4", 0},
               {"_HOSTNAME", "web01", 0},
               {"_SYSTEMD_UNIT", "ssh.service", 0},
               {"_TRANSPORT", "syslog", 0},
               {NULL, NULL, 0}};
  soc_event *ev = soc_event_new();
  int64_t v = 0;
  assert_int_equal(soc_journald_entry_event(ev, get, e, 1795593600000000000, 65536), 0);
  assert_int_equal(soc_event_get_time(ev, &v), 0);
  assert_int_equal(v, 1795593600000000000);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), e[0].value);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_PROCESS_NAME), "sshd");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_LOG_SYSLOG_APPNAME), "sshd");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME), "web01");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_LOG_SYSLOG_HOSTNAME), "web01");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_LOG_SYSLOG_PROCID), "1234");
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v), 0);
  assert_int_equal(v, 1234);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, &v), 0);
  assert_int_equal(v, 6);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, &v), 0);
  assert_int_equal(v, 4);
  assert_string_equal(soc_event_get(ev, "systemd.unit"), "ssh.service");
  assert_string_equal(soc_event_get(ev, "systemd.transport"), "syslog");
  soc_event_free(ev);
}

static void test_fallbacks_and_bad_numbers(void **state) {
  (void)state;
  field e[] = {{"MESSAGE", "disk on fire", 0},
               {"_COMM", "app", 0},
               {"_PID", "-1", 0},
               {"SYSLOG_PID", "77", 0},
               {"PRIORITY", "9", 0},
               {"SYSLOG_FACILITY", "4 ", 0},
               {NULL, NULL, 0}};
  soc_event *ev = soc_event_new();
  int64_t v = 0;
  assert_int_equal(soc_journald_entry_event(ev, get, e, 1, 65536), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_PROCESS_NAME), "app");
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v), 0);
  assert_int_equal(v, 77);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, &v), -ENOENT);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, &v), -ENOENT);
  assert_null(soc_event_get_str(ev, SOC_ECS_HOST_NAME));
  assert_null(soc_event_get(ev, "systemd.unit"));
  soc_event_free(ev);
}

static void test_cut_and_repaired(void **state) {
  (void)state;
  static const char msg[] = "ab\xff\0cdefgh";
  field e[] = {{"MESSAGE", msg, sizeof msg - 1}, {NULL, NULL, 0}};
  soc_event *ev = soc_event_new();
  assert_int_equal(soc_journald_entry_event(ev, get, e, 1, 6), 1);
  /* "ab", U+FFFD for 0xff and for the NUL, "cd" */
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE),
                      "ab\xef\xbf\xbd\xef\xbf\xbd"
                      "cd");
  assert_true(soc_event_flags(ev) & SOC_EVENT_INVALID_UTF8);
  assert_int_equal(soc_journald_entry_event(ev, get, e, 1, sizeof msg - 1), 0);
  soc_event_free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sshd_entry),
      cmocka_unit_test(test_fallbacks_and_bad_numbers),
      cmocka_unit_test(test_cut_and_repaired),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
