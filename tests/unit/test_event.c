/*
 * Unit tests for the event model: its JSON is parsed back with libfastjson
 * and checked field by field, so the tests see what the technical center
 * will see, not our own string building. The writer streams its JSON
 * rather than building a libfastjson tree, so it is also held to the tree
 * that the old writer made for the same event, and to a randomised check
 * that every leaf lands at its path once.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <libfastjson/json.h>

#include "soc/event.h"
#include "soc/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static int setup(void **state) {
  *state = soc_event_new();
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  soc_event_free(*state);
  return 0;
}

/* Serialises ev, checks the text is one line of valid UTF-8, parses it. */
static struct fjson_object *to_parsed(const soc_event *ev) {
  char *json = NULL;
  size_t len = 0;
  assert_int_equal(soc_event_to_json(ev, &json, &len), 0);
  assert_int_equal(strlen(json), len);
  assert_int_equal(soc_utf8_valid_prefix(json, len), len);
  for (size_t i = 0; i < len; i++) assert_true((unsigned char)json[i] >= 0x20);
  struct fjson_object *o = fjson_tokener_parse(json);
  assert_non_null(o);
  free(json);
  return o;
}

/* The value at a dotted path of nested objects, or NULL. */
static struct fjson_object *at(struct fjson_object *o, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *seg = strtok(buf, "."); seg && o; seg = strtok(NULL, "."))
    if (!fjson_object_object_get_ex(o, seg, &o)) return NULL;
  return o;
}

static const char *str_at(struct fjson_object *o, const char *path) {
  struct fjson_object *v = at(o, path);
  assert_non_null(v);
  assert_true(fjson_object_is_type(v, fjson_type_string));
  return fjson_object_get_string(v);
}

static int64_t int_at(struct fjson_object *o, const char *path) {
  struct fjson_object *v = at(o, path);
  assert_non_null(v);
  assert_true(fjson_object_is_type(v, fjson_type_int));
  return fjson_object_get_int64(v);
}

static int has_tag(struct fjson_object *o, const char *tag) {
  struct fjson_object *tags = at(o, "tags");
  if (!tags) return 0;
  for (int i = 0; i < fjson_object_array_length(tags); i++)
    if (!strcmp(fjson_object_get_string(fjson_object_array_get_idx(tags, i)), tag)) return 1;
  return 0;
}

static int set(soc_event *ev, soc_ecs_field f, const char *v) {
  return soc_event_set_str(ev, f, v, strlen(v));
}

static void test_event_id(void **state) {
  (void)state;
  char a[SOC_EVENT_ID_LEN + 1], b[SOC_EVENT_ID_LEN + 1];
  /* Pinned: a replay after an upgrade must produce the ids of before.
   * Computed independently as SHA-256 over the documented encoding. */
  assert_int_equal(soc_event_make_id("agent-01", "file:/var/log/auth.log", 12345, a), 0);
  assert_string_equal(a, "632056a4aa1f31b49c3d76f341c5514c");
  assert_int_equal(soc_event_make_id("", "", 0, a), 0);
  assert_string_equal(a, "4c48495d2d8290906a95ae06e5e397a7");

  assert_int_equal(soc_event_make_id("agent-01", "src", 7, a), 0);
  assert_int_equal(soc_event_make_id("agent-01", "src", 7, b), 0);
  assert_string_equal(a, b);
  assert_int_equal(strlen(a), SOC_EVENT_ID_LEN);
  assert_int_equal(strspn(a, "0123456789abcdef"), SOC_EVENT_ID_LEN);
  assert_int_equal(soc_event_make_id("agent-01", "src", 8, b), 0);
  assert_string_not_equal(a, b);
  assert_int_equal(soc_event_make_id("agent-02", "src", 7, b), 0);
  assert_string_not_equal(a, b);
  assert_int_equal(soc_event_make_id("agent-01", "src2", 7, b), 0);
  assert_string_not_equal(a, b);
  /* The length prefixes keep the boundary between the parts. */
  assert_int_equal(soc_event_make_id("ab", "c", 1, a), 0);
  assert_int_equal(soc_event_make_id("a", "bc", 1, b), 0);
  assert_string_not_equal(a, b);

  char big[SOC_EVENT_ID_INPUT_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(soc_event_make_id(big, "s", 1, a), -EINVAL);
  assert_int_equal(soc_event_make_id(NULL, "s", 1, a), -EINVAL);
}

/* soc_event_ids gives soc_event_make_id's ids (hashing from a kept prefix
 * state), for prefixes that end before, at and after a 64-byte block. */
static void test_event_ids(void **state) {
  (void)state;
  char a[SOC_EVENT_ID_LEN + 1], b[SOC_EVENT_ID_LEN + 1], src[200];
  soc_event_ids *g = soc_event_ids_new("agent-01", "file:/var/log/auth.log");
  assert_non_null(g);
  assert_int_equal(soc_event_ids_make(g, 12345, a), 0);
  assert_string_equal(a, "632056a4aa1f31b49c3d76f341c5514c"); /* pinned above */
  soc_event_ids_free(g);
  for (size_t n = 0; n < 150; n += 7) {
    memset(src, 's', n);
    src[n] = '\0';
    g = soc_event_ids_new("agent-01", src);
    assert_non_null(g);
    const uint64_t pos[] = {0, 1, 12345, UINT64_MAX};
    for (size_t i = 0; i < sizeof pos / sizeof *pos; i++) {
      assert_int_equal(soc_event_make_id("agent-01", src, pos[i], b), 0);
      assert_int_equal(soc_event_ids_make(g, pos[i], a), 0);
      assert_string_equal(a, b);
      /* made in place: the same id, over a longer one set before */
      soc_event *ev = soc_event_new();
      assert_non_null(ev);
      assert_int_equal(soc_event_set_id(ev, "a-longer-id-set-before:0123456789abcdef.0123"), 0);
      assert_int_equal(soc_event_ids_set(g, pos[i], ev), 0);
      assert_string_equal(soc_event_get_id(ev), b);
      assert_int_equal(soc_event_ids_set(NULL, pos[i], ev), -EINVAL);
      assert_int_equal(soc_event_ids_set(g, pos[i], NULL), -EINVAL);
      soc_event_free(ev);
    }
    soc_event_ids_free(g);
  }
  char big[SOC_EVENT_ID_INPUT_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_null(soc_event_ids_new(big, "s"));
  assert_null(soc_event_ids_new("a", NULL));
  soc_event_ids_free(NULL);
}

static void test_set_id(void **state) {
  soc_event *ev = *state;
  assert_null(soc_event_get_id(ev));
  assert_int_equal(soc_event_set_id(ev, "632056a4aa1f31b49c3d76f341c5514c"), 0);
  assert_string_equal(soc_event_get_id(ev), "632056a4aa1f31b49c3d76f341c5514c");
  assert_int_equal(soc_event_set_id(ev, ""), -EINVAL);
  assert_int_equal(soc_event_set_id(ev, "a\"b"), -EINVAL);
  assert_int_equal(
      soc_event_set_id(ev, "0123456789012345678901234567890123456789012345678901234567890123x"),
      -EINVAL);
  assert_string_equal(soc_event_get_id(ev), "632056a4aa1f31b49c3d76f341c5514c");
  /* every byte: the ones an id may have, and the rest refused */
  for (int c = 1; c < 256; c++) {
    char id[4] = {'a', (char)c, 'b', '\0'};
    int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '.' || c == ':' || c == '_' || c == '-';
    assert_int_equal(soc_event_set_id(ev, id), ok ? 0 : -EINVAL);
  }
  char longest[SOC_EVENT_ID_MAX + 2];
  memset(longest, 'f', SOC_EVENT_ID_MAX);
  longest[SOC_EVENT_ID_MAX] = '\0';
  assert_int_equal(soc_event_set_id(ev, longest), 0);
  assert_string_equal(soc_event_get_id(ev), longest);
  longest[SOC_EVENT_ID_MAX] = ':';
  longest[SOC_EVENT_ID_MAX + 1] = '\0';
  assert_int_equal(soc_event_set_id(ev, longest), -EINVAL);
}

static void test_format_time(void **state) {
  (void)state;
  char buf[SOC_EVENT_TIME_BUF];
  const int64_t t = INT64_C(1714552200123456789); /* 2024-05-01T08:30:00.123456789Z */
  assert_int_equal(soc_event_format_time(t, 3, buf, sizeof buf), 0);
  assert_string_equal(buf, "2024-05-01T08:30:00.123Z");
  assert_int_equal(soc_event_format_time(t, 6, buf, sizeof buf), 0);
  assert_string_equal(buf, "2024-05-01T08:30:00.123456Z");
  assert_int_equal(soc_event_format_time(t, 9, buf, sizeof buf), 0);
  assert_string_equal(buf, "2024-05-01T08:30:00.123456789Z");
  assert_int_equal(soc_event_format_time(t, 0, buf, sizeof buf), 0);
  assert_string_equal(buf, "2024-05-01T08:30:00Z");
  assert_int_equal(soc_event_format_time(0, 6, buf, sizeof buf), 0);
  assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
  /* Before the epoch the fraction still counts forward from the second. */
  assert_int_equal(soc_event_format_time(-1, 9, buf, sizeof buf), 0);
  assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
  assert_int_equal(soc_event_format_time(INT64_MIN, 9, buf, sizeof buf), 0);
  assert_string_equal(buf, "1677-09-21T00:12:43.145224192Z");
  assert_int_equal(soc_event_format_time(INT64_MAX, 9, buf, sizeof buf), 0);
  assert_string_equal(buf, "2262-04-11T23:47:16.854775807Z");
  assert_int_equal(soc_event_format_time(t, 4, buf, sizeof buf), -EINVAL);
  assert_int_equal(soc_event_format_time(t, 6, buf, SOC_EVENT_TIME_BUF - 1), -ENOSPC);
  /* Leap days and the centuries around them, each end of a day, and times
   * spread over the whole int64 range, against gmtime_r, with every digit
   * count. */
  static const char *const days[] = {
      "2000-02-29T23:59:59", "2000-03-01T00:00:00", "1900-02-28T23:59:59", "1900-03-01T00:00:00",
      "2100-02-28T12:00:00", "2100-03-01T00:00:00", "2024-02-29T00:00:00", "2023-12-31T23:59:59",
      "1969-12-31T23:59:59", "1700-03-01T00:00:00"};
  for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
    struct tm tm = {0};
    assert_non_null(strptime(days[i], "%Y-%m-%dT%H:%M:%S", &tm));
    assert_int_equal(
        soc_event_format_time((int64_t)timegm(&tm) * 1000000000 + 7, 9, buf, sizeof buf), 0);
    assert_memory_equal(buf, days[i], 19);
    assert_string_equal(buf + 19, ".000000007Z");
  }
  /* The second's text is remembered (two of them, per thread): times of
   * three nearby seconds in turn, each side of the epoch, hit and miss it;
   * every one must still read as its own. */
  static const int64_t secs[] = {1714552200, 1714552201, -1, 0, 1714552200, -86400};
  /* and whole times (two of them, the one not used last replaced): a third
   * of the calls are one of three times again, in any order and with any
   * digits, so that both are remembered, hit and replaced */
  static const int64_t again[] = {INT64_C(1714552200123456789), INT64_C(1714552200123456000), -1};
  uint64_t seed = 88172645463325252u;
  for (int i = 0; i < 150000; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    int64_t ns = (int64_t)seed;
    if (i % 3 == 1) /* one of a few seconds, the fraction random */
      ns = secs[(seed >> 32) % (sizeof secs / sizeof secs[0])] * 1000000000 +
           (int64_t)(seed % 1000000000);
    else if (i % 3 == 2)
      ns = again[(seed >> 40) % (sizeof again / sizeof again[0])];
    int64_t sec = ns / 1000000000 - (ns % 1000000000 < 0);
    int64_t frac = ns - sec * 1000000000;
    time_t tt = (time_t)sec;
    struct tm tm;
    char want[64];
    unsigned digits = (unsigned)((seed >> 24) % 4) * 3;
    assert_non_null(gmtime_r(&tt, &tm));
    size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
    if (digits)
      snprintf(want + n, sizeof want - n, ".%0*lldZ", (int)digits,
               (long long)(frac / (digits == 3   ? 1000000
                                   : digits == 6 ? 1000
                                                 : 1)));
    else
      snprintf(want + n, sizeof want - n, "Z");
    assert_int_equal(soc_event_format_time(ns, digits, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
    assert_int_equal(strlen(buf), SOC_EVENT_TIME_LEN(digits));
  }
}

static void test_nested_json(void **state) {
  soc_event *ev = *state;
  char id[SOC_EVENT_ID_LEN + 1];
  soc_event_set_time(ev, INT64_C(1714552200123456789));
  assert_int_equal(soc_event_make_id("agent-01", "file:auth.log", 42, id), 0);
  assert_int_equal(soc_event_set_id(ev, id), 0);
  assert_int_equal(set(ev, SOC_ECS_EVENT_KIND, "event"), 0);
  assert_int_equal(set(ev, SOC_ECS_EVENT_CATEGORY, "authentication"), 0);
  assert_int_equal(set(ev, SOC_ECS_EVENT_DATASET, "system.auth"), 0);
  assert_int_equal(set(ev, SOC_ECS_EVENT_MODULE, "system"), 0);
  assert_int_equal(set(ev, SOC_ECS_HOST_NAME, "gw01"), 0);
  assert_int_equal(set(ev, SOC_ECS_HOST_IP, "10.0.0.1"), 0);
  assert_int_equal(set(ev, SOC_ECS_SOURCE_IP, "2001:db8::7"), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_SOURCE_PORT, 50022), 0);
  assert_int_equal(set(ev, SOC_ECS_DESTINATION_IP, "10.0.0.1"), 0);
  assert_int_equal(soc_event_set(ev, "destination.port", "22", 2), 0);
  assert_int_equal(set(ev, SOC_ECS_USER_NAME, "root"), 0);
  assert_int_equal(set(ev, SOC_ECS_PROCESS_NAME, "sshd"), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_PROCESS_PID, 24200), 0);
  assert_int_equal(set(ev, SOC_ECS_MESSAGE, "Failed password for root"), 0);
  assert_int_equal(set(ev, SOC_ECS_LOG_FILE_PATH, "/var/log/auth.log"), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_LOG_OFFSET, 4096), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, 10), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, 6), 0);
  assert_int_equal(set(ev, SOC_ECS_LOG_SYSLOG_APPNAME, "sshd"), 0);
  assert_int_equal(set(ev, SOC_ECS_NETWORK_TRANSPORT, "tcp"), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_NETWORK_BYTES, 1234), 0);
  assert_int_equal(set(ev, SOC_ECS_RULE_ID, "ssh-bruteforce"), 0);
  assert_int_equal(soc_event_set(ev, "host.os.family", "debian", 6), 0);
  assert_int_equal(soc_event_set(ev, "agent.id", "agent-01", 8), 0);
  static const char sd_id[] = "origin.example@32473"; /* a dot: one key, not a path */
  assert_int_equal(soc_event_add_sd_param(ev, sd_id, strlen(sd_id), "ip", 2, "192.0.2.1", 9), 0);
  assert_int_equal(soc_event_add_sd_param(ev, sd_id, strlen(sd_id), "sw", 2, "old", 3), 0);
  assert_int_equal(soc_event_add_sd_param(ev, sd_id, strlen(sd_id), "sw", 2, "rsyslog", 7), 0);
  assert_int_equal(soc_event_add_sd_param(ev, "meta", 4, "sequenceId", 10, "7", 1), 0);
  assert_int_equal(soc_event_add_tag(ev, "ssh", 3), 0);
  assert_int_equal(soc_event_add_tag(ev, "ssh", 3), 0);
  assert_int_equal(soc_event_add_tag(ev, "auth", 4), 0);
  assert_int_equal(soc_event_flags(ev), 0);

  struct fjson_object *o = to_parsed(ev);
  assert_string_equal(str_at(o, "@timestamp"), "2024-05-01T08:30:00.123456Z");
  assert_string_equal(str_at(o, "ecs.version"), SOC_ECS_VERSION);
  assert_string_equal(str_at(o, "event.id"), id);
  assert_string_equal(str_at(o, "event.kind"), "event");
  assert_string_equal(str_at(o, "event.category"), "authentication");
  assert_string_equal(str_at(o, "event.dataset"), "system.auth");
  assert_string_equal(str_at(o, "event.module"), "system");
  assert_string_equal(str_at(o, "host.name"), "gw01");
  assert_string_equal(str_at(o, "host.ip"), "10.0.0.1");
  assert_string_equal(str_at(o, "host.os.family"), "debian");
  assert_string_equal(str_at(o, "source.ip"), "2001:db8::7");
  assert_int_equal(int_at(o, "source.port"), 50022);
  assert_string_equal(str_at(o, "destination.ip"), "10.0.0.1");
  assert_int_equal(int_at(o, "destination.port"), 22);
  assert_string_equal(str_at(o, "user.name"), "root");
  assert_string_equal(str_at(o, "process.name"), "sshd");
  assert_int_equal(int_at(o, "process.pid"), 24200);
  assert_string_equal(str_at(o, "message"), "Failed password for root");
  assert_string_equal(str_at(o, "log.file.path"), "/var/log/auth.log");
  assert_int_equal(int_at(o, "log.offset"), 4096);
  assert_int_equal(int_at(o, "log.syslog.facility.code"), 10);
  assert_string_equal(str_at(o, "log.syslog.facility.name"), "authpriv");
  assert_int_equal(int_at(o, "log.syslog.severity.code"), 6);
  assert_string_equal(str_at(o, "log.syslog.severity.name"), "Informational");
  assert_int_equal(int_at(o, "log.syslog.priority"), 86);
  assert_string_equal(str_at(o, "log.syslog.appname"), "sshd");
  assert_string_equal(str_at(o, "network.transport"), "tcp");
  assert_int_equal(int_at(o, "network.bytes"), 1234);
  assert_string_equal(str_at(o, "rule.id"), "ssh-bruteforce");
  assert_string_equal(str_at(o, "agent.id"), "agent-01");
  struct fjson_object *sd = at(o, "log.syslog.structured_data");
  struct fjson_object *origin = NULL;
  assert_non_null(sd);
  assert_true(fjson_object_object_get_ex(sd, sd_id, &origin));
  assert_string_equal(str_at(origin, "ip"), "192.0.2.1");
  assert_string_equal(str_at(origin, "sw"), "rsyslog");
  assert_string_equal(str_at(sd, "meta.sequenceId"), "7");
  struct fjson_object *tags = at(o, "tags");
  assert_int_equal(fjson_object_array_length(tags), 2);
  assert_true(has_tag(o, "ssh") && has_tag(o, "auth"));
  /* Unset fields are absent, not null. */
  assert_null(at(o, "event.original"));
  assert_null(at(o, "network.packets"));
  fjson_object_put(o);
}

static void test_json_escaping(void **state) {
  soc_event *ev = *state;
  static const char nasty[] = "q\"uote \\back /slash\nnl\rcr\ttab \x01\x1f\x7f end";
  soc_event_set_time(ev, 0);
  assert_int_equal(set(ev, SOC_ECS_MESSAGE, nasty), 0);
  assert_int_equal(soc_event_set(ev, "labels.note", "}\",{\"x\":1", 9), 0);
  char *json = NULL;
  assert_int_equal(soc_event_to_json(ev, &json, NULL), 0);
  assert_non_null(strstr(json, "q\\\"uote \\\\back"));
  assert_non_null(strstr(json, "\\n"));
  assert_non_null(strstr(json, "\\u0001\\u001f"));
  assert_null(strchr(json, '\n'));
  assert_null(strchr(json, '\x01'));
  free(json);
  struct fjson_object *o = to_parsed(ev);
  assert_string_equal(str_at(o, "message"), nasty);
  assert_string_equal(str_at(o, "labels.note"), "}\",{\"x\":1");
  assert_null(at(o, "x"));
  assert_null(at(o, "tags"));
  fjson_object_put(o);
  /* Every length around the writer's 8-byte words, with a byte to escape
   * at every place or none, read back as it went in. */
  char v[52];
  for (size_t len = 0; len < sizeof v; len++)
    for (size_t bad = 0; bad <= len; bad++) {
      for (size_t i = 0; i < len; i++) v[i] = (char)('a' + i % 26);
      if (bad < len) v[bad] = "\"\\\n\x1f"[bad % 4];
      soc_event_reset(ev);
      soc_event_set_time(ev, 0);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, v, len), 0);
      o = to_parsed(ev);
      assert_int_equal(fjson_object_get_string_len(at(o, "message")), len);
      assert_memory_equal(str_at(o, "message"), v, len);
      fjson_object_put(o);
    }
}

static void test_invalid_utf8(void **state) {
  soc_event *ev = *state;
  soc_event_set_time(ev, 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, "bad \xFF\xFE end", 10), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "bad " FFFD FFFD " end");
  assert_int_equal(soc_event_flags(ev), SOC_EVENT_INVALID_UTF8);
  /* A NUL would cut the string in C and in libfastjson: replaced too. */
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_USER_NAME, "ro\0ot", 5), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_USER_NAME), "ro" FFFD "ot");
  /* Big5 "資安" (B8EA A677) is not UTF-8. */
  assert_int_equal(soc_event_set(ev, "labels.big5", "\xB8\xEA\xA6\x77", 4), 0);
  assert_int_equal(soc_event_add_tag(ev, "t\xC0", 2), 0);
  static const char sdv[] = "v\xE8\xB3";
  assert_int_equal(soc_event_add_sd_param(ev, "id\xFF", 3, "n", 1, sdv, 3), 0);

  struct fjson_object *o = to_parsed(ev);
  assert_string_equal(str_at(o, "message"), "bad " FFFD FFFD " end");
  assert_string_equal(str_at(o, "user.name"), "ro" FFFD "ot");
  assert_string_equal(str_at(o, "labels.big5"), FFFD FFFD "w");
  assert_true(has_tag(o, "t" FFFD));
  assert_true(has_tag(o, "invalid_utf8"));
  struct fjson_object *sd = at(o, "log.syslog.structured_data"), *byid = NULL;
  assert_true(fjson_object_object_get_ex(sd, "id" FFFD, &byid));
  assert_string_equal(str_at(byid, "n"), "v" FFFD);
  fjson_object_put(o);
  /* Values are checked while copied into buffers an earlier value left:
   * one that turns out not to be ASCII half-way is repaired all the same,
   * whether it replaces a value or not, in every place around the words. */
  static const char ascii[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  char v[sizeof ascii], want[3 * sizeof ascii];
  for (size_t len = 1; len < sizeof ascii; len++)
    for (size_t bad = 0; bad < len; bad++) {
      memcpy(v, ascii, len);
      v[bad] = '\xff';
      memcpy(want, ascii, bad);
      memcpy(want + bad, FFFD, 3);
      memcpy(want + bad + 3, ascii + bad + 1, len - bad - 1);
      want[len + 2] = '\0';
      soc_event_reset(ev);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, ascii, sizeof ascii - 1), 0);
      soc_event_reset(ev);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, v, len), 0);
      assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), want);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_USER_NAME, ascii, len), 0);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_USER_NAME, v, len), 0);
      assert_string_equal(soc_event_get_str(ev, SOC_ECS_USER_NAME), want);
      assert_int_equal(soc_event_flags(ev), SOC_EVENT_INVALID_UTF8);
    }
}

static void test_typed_fields(void **state) {
  soc_event *ev = *state;
  int64_t v = 0;
  assert_int_equal(set(ev, SOC_ECS_SOURCE_IP, "192.0.2.10"), 0);
  assert_int_equal(set(ev, SOC_ECS_SOURCE_IP, "::ffff:192.0.2.10"), 0);
  assert_int_equal(set(ev, SOC_ECS_SOURCE_IP, "not-an-ip"), -EINVAL);
  assert_int_equal(set(ev, SOC_ECS_SOURCE_IP, "192.0.2.256"), -EINVAL);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_SOURCE_IP, "1.2.3.4\0x", 9), -EINVAL);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_SOURCE_IP, "", 0), -EINVAL);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_SOURCE_IP), "::ffff:192.0.2.10");

  assert_int_equal(soc_event_set_int(ev, SOC_ECS_SOURCE_PORT, 65535), 0);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_SOURCE_PORT, 65536), -EINVAL);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_SOURCE_PORT, -1), -EINVAL);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, 24), -EINVAL);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, 8), -EINVAL);
  assert_int_equal(soc_event_set_int(ev, SOC_ECS_MESSAGE, 1), -EINVAL);
  assert_int_equal(set(ev, SOC_ECS_SOURCE_PORT, "22"), -EINVAL);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_SOURCE_PORT, &v), 0);
  assert_int_equal(v, 65535);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v), -ENOENT);

  /* Integers by name take strict decimals only. */
  assert_int_equal(soc_event_set(ev, "process.pid", "123", 3), 0);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v), 0);
  assert_int_equal(v, 123);
  assert_int_equal(soc_event_set(ev, "process.pid", "12x", 3), -EINVAL);
  assert_int_equal(soc_event_set(ev, "process.pid", "", 0), -EINVAL);
  assert_int_equal(soc_event_set(ev, "process.pid", "-", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "process.pid", "-5", 2), -EINVAL);
  assert_int_equal(soc_event_set(ev, "log.offset", "9223372036854775807", 19), 0);
  assert_int_equal(soc_event_set(ev, "log.offset", "9223372036854775808", 19), -EINVAL);
  assert_int_equal(soc_event_set(ev, "log.offset", "99999999999999999999", 20), -EINVAL);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_LOG_OFFSET, &v), 0);
  assert_int_equal(v, INT64_MAX);
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v), 0);
  assert_int_equal(v, 123);

  /* No time, no JSON: ECS requires @timestamp. */
  char *json = NULL;
  assert_int_equal(soc_event_to_json(ev, &json, NULL), -EINVAL);
  assert_null(json);
}

static void test_field_table(void **state) {
  (void)state;
  for (int f = 0; f < SOC_ECS_COUNT; f++) {
    const char *name = soc_ecs_field_name((soc_ecs_field)f);
    assert_non_null(name);
    assert_int_equal(soc_ecs_field_lookup(name), f);
    /* No known name may need another to be an object. */
    for (int g = 0; g < SOC_ECS_COUNT; g++) {
      const char *other = soc_ecs_field_name((soc_ecs_field)g);
      size_t n = strlen(name);
      if (f != g) assert_false(!strncmp(name, other, n) && other[n] == '.');
    }
  }
  assert_null(soc_ecs_field_name(SOC_ECS_COUNT));
  assert_int_equal(soc_ecs_field_lookup("no.such.field"), -ENOENT);
}

static void test_extra_names(void **state) {
  soc_event *ev = *state;
  static const char *const refused[] = {
      "host",     "host.name.first",
      "log",      "log.syslog",
      "event.id", "@timestamp",
      "tags",     "tags.x",
      "a..b",     ".a",
      "a.",       "",
      "sp ace",   "uni\xC3\xA9",
      "ecs",      "log.syslog.structured_data.x",
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    assert_int_equal(soc_event_set(ev, refused[i], "v", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "host.domain", "example.gov.tw", 14), 0);
  assert_int_equal(soc_event_set(ev, "http.request.method", "GET", 3), 0);
  assert_int_equal(soc_event_set(ev, "http.request", "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "http.request.method.x", "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "http.request.bytes", "10", 2), 0);
  assert_int_equal(soc_event_set(ev, "http.request.method", "POST", 4), 0);
  assert_string_equal(soc_event_get(ev, "http.request.method"), "POST");
  assert_string_equal(soc_event_get(ev, "host.domain"), "example.gov.tw");
  assert_null(soc_event_get(ev, "http.request"));
  char key[SOC_EVENT_KEY_MAX + 2];
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = '\0';
  assert_int_equal(soc_event_set(ev, key, "v", 1), -EINVAL);
  key[SOC_EVENT_KEY_MAX] = '\0';
  assert_int_equal(soc_event_set(ev, key, "v", 1), 0);
  assert_int_equal(soc_event_flags(ev), 0);
}

static void test_limits(void **state) {
  soc_event *ev = *state;
  char name[32];
  soc_event_set_time(ev, 0);
  for (int i = 0; i < SOC_EVENT_EXTRA_MAX; i++) {
    snprintf(name, sizeof name, "labels.k%d", i);
    assert_int_equal(soc_event_set(ev, name, "v", 1), 0);
  }
  assert_int_equal(soc_event_set(ev, "labels.one_too_many", "v", 1), -ENOSPC);
  assert_int_equal(soc_event_set(ev, "labels.k3", "replaced", 8), 0);
  for (int i = 0; i < SOC_EVENT_TAG_MAX; i++) {
    snprintf(name, sizeof name, "tag%d", i);
    assert_int_equal(soc_event_add_tag(ev, name, strlen(name)), 0);
  }
  assert_int_equal(soc_event_add_tag(ev, "extra", 5), -ENOSPC);
  assert_int_equal(soc_event_add_tag(ev, "", 0), -EINVAL);
  for (int i = 0; i < SOC_EVENT_SD_MAX; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_int_equal(soc_event_add_sd_param(ev, "x", 1, name, strlen(name), "v", 1), 0);
  }
  assert_int_equal(soc_event_add_sd_param(ev, "x", 1, "more", 4, "v", 1), -ENOSPC);
  assert_int_equal(soc_event_add_sd_param(ev, "x", 1, "p0", 2, "again", 5), 0);
  assert_int_equal(soc_event_add_sd_param(ev, "", 0, "n", 1, "v", 1), -EINVAL);
  assert_int_equal(soc_event_flags(ev), SOC_EVENT_DROPPED);
  struct fjson_object *o = to_parsed(ev);
  assert_true(has_tag(o, "fields_dropped"));
  assert_true(has_tag(o, "tag31"));
  assert_false(has_tag(o, "extra"));
  assert_string_equal(str_at(o, "labels.k3"), "replaced");
  assert_null(at(o, "labels.one_too_many"));
  assert_string_equal(str_at(o, "log.syslog.structured_data.x.p0"), "again");
  fjson_object_put(o);
}

static void test_truncation_and_budget(void **state) {
  soc_event *ev = *state;
  const size_t big = 100 * 1024;
  char *buf = malloc(big);
  assert_non_null(buf);
  soc_event_set_time(ev, 0);
  /* 資 repeated: the cut must fall between characters. */
  for (size_t i = 0; i + 3 <= big; i += 3) memcpy(buf + i, "\xE8\xB3\x87", 3);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, buf, big - big % 3), 0);
  const char *m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  assert_int_equal(strlen(m), SOC_EVENT_VALUE_MAX / 3 * 3);
  assert_int_equal(soc_utf8_valid_prefix(m, strlen(m)), strlen(m));
  assert_int_equal(soc_event_flags(ev), SOC_EVENT_TRUNCATED);

  /* Worst case for the JSON size: control bytes escape to six. */
  memset(buf, '\x01', big);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, buf, big), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, buf, big), 0);
  /* The byte budget is spent: further fields are dropped, and say so. */
  assert_int_equal(set(ev, SOC_ECS_HOST_NAME, "gw01"), -ENOSPC);
  assert_null(soc_event_get_str(ev, SOC_ECS_HOST_NAME));
  assert_int_equal(soc_event_set(ev, "labels.x", "v", 1), -ENOSPC);
  assert_int_equal(soc_event_add_tag(ev, "t", 1), -ENOSPC);
  /* Replacing a value gives its bytes back first. */
  assert_int_equal(set(ev, SOC_ECS_EVENT_ORIGINAL, "short"), 0);
  assert_int_equal(set(ev, SOC_ECS_HOST_NAME, "gw01"), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, buf, big), 0);
  assert_int_equal(strlen(soc_event_get_str(ev, SOC_ECS_EVENT_ORIGINAL)),
                   SOC_EVENT_BYTES_MAX - SOC_EVENT_VALUE_MAX - 4);

  char *json = NULL;
  size_t len = 0;
  assert_int_equal(soc_event_to_json(ev, &json, &len), 0);
  assert_true(len < 1000 * 1000);
  free(json);
  struct fjson_object *o = to_parsed(ev);
  assert_true(has_tag(o, "truncated"));
  assert_true(has_tag(o, "fields_dropped"));
  assert_int_equal(strlen(str_at(o, "message")), SOC_EVENT_VALUE_MAX);
  fjson_object_put(o);

  /* Reset gives everything back. */
  soc_event_reset(ev);
  assert_int_equal(soc_event_flags(ev), 0);
  assert_null(soc_event_get_str(ev, SOC_ECS_MESSAGE));
  assert_int_equal(soc_event_get_time(ev, NULL), -ENOENT);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, buf, SOC_EVENT_VALUE_MAX), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, buf, SOC_EVENT_VALUE_MAX), 0);
  assert_int_equal(soc_event_flags(ev), 0);
  free(buf);
}

/* Whether two parsed values are the same; object members in any order. */
static int json_same(struct fjson_object *a, struct fjson_object *b) {
  if (fjson_object_get_type(a) != fjson_object_get_type(b)) return 0;
  switch (fjson_object_get_type(a)) {
    case fjson_type_object: {
      struct fjson_object_iterator it = fjson_object_iter_begin(a), end = fjson_object_iter_end(a);
      struct fjson_object *v;
      if (fjson_object_object_length(a) != fjson_object_object_length(b)) return 0;
      for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it))
        if (!fjson_object_object_get_ex(b, fjson_object_iter_peek_name(&it), &v) ||
            !json_same(fjson_object_iter_peek_value(&it), v))
          return 0;
      return 1;
    }
    case fjson_type_array:
      if (fjson_object_array_length(a) != fjson_object_array_length(b)) return 0;
      for (int i = 0; i < fjson_object_array_length(a); i++)
        if (!json_same(fjson_object_array_get_idx(a, i), fjson_object_array_get_idx(b, i)))
          return 0;
      return 1;
    case fjson_type_int:
      return fjson_object_get_int64(a) == fjson_object_get_int64(b);
    case fjson_type_string:
      return !strcmp(fjson_object_get_string(a), fjson_object_get_string(b));
    default:
      return 0;
  }
}

/* Field f set to a value of its type: 3, an address, or v-NAME. */
static void set_plain(soc_event *ev, soc_ecs_field f) {
  char v[64];
  if (soc_event_set_int(ev, f, 3) == 0) return;
  snprintf(v, sizeof v, "v-%s", soc_ecs_field_name(f));
  if (soc_event_set_str(ev, f, v, strlen(v)) == -EINVAL)
    assert_int_equal(set(ev, f, "192.0.2.1"), 0); /* an IP field */
}

/* Every field the first version knew, extras beside and inside known
 * objects, structured data, tags, escapes and invalid UTF-8. */
static void fill_rich(soc_event *ev) {
  static const char msg[] = "Failed \"password\" for r\\oot\n\t\x01 \xFF end /x \xE8\xB3\x87";
  soc_event_set_time(ev, INT64_C(1714552200123456789));
  assert_int_equal(soc_event_set_id(ev, "632056a4aa1f31b49c3d76f341c5514c"), 0);
  for (int f = 0; f <= SOC_ECS_RULE_ID; f++) set_plain(ev, (soc_ecs_field)f);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, msg, sizeof msg - 1), 0);
  static const char *const extras[][2] = {
      {"agent.id", "a1"},
      {"agent.name", "a1"},
      {"agent.type", "socagent"},
      {"labels.authority", "36"},
      {"organization.name", "Org \"x\""},
      {"host.os.family", "debian"},
      {"host.os.name", "Debian"},
      {"event.ingested", "2024-05-01T08:30:01.000000Z"},
      {"log.source.address", "192.0.2.9:514"},
      {"log.syslog.facility.extra_x", "fx"},
      {"log-x.a", "dash"},
      {"zz", "last"},
      {"A.B", "upper"},
  };
  for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++)
    assert_int_equal(soc_event_set(ev, extras[i][0], extras[i][1], strlen(extras[i][1])), 0);
  static const char sd_id[] = "origin.example@32473";
  assert_int_equal(soc_event_add_sd_param(ev, sd_id, strlen(sd_id), "ip", 2, "192.0.2.1", 9), 0);
  assert_int_equal(soc_event_add_sd_param(ev, sd_id, strlen(sd_id), "sw", 2, "rsyslog \"8\"", 11),
                   0);
  assert_int_equal(soc_event_add_sd_param(ev, "meta", 4, "sequenceId", 10, "7", 1), 0);
  assert_int_equal(soc_event_add_tag(ev, "ssh", 3), 0);
  assert_int_equal(soc_event_add_tag(ev, "a\"b", 3), 0);
}

/* What the libfastjson tree writer made of fill_rich's event, verbatim. */
static const char rich_tree_json[] =
    "{\"@timestamp\":\"2024-05-01T08:30:00.123456Z\",\"ecs\":{\"version\":\"8.11.0\"},"
    "\"event\":{\"id\":\"632056a4aa1f31b49c3d76f341c5514c\",\"kind\":\"v-event.kind\","
    "\"category\":\"v-event.category\",\"type\":\"v-event.type\","
    "\"action\":\"v-event.action\",\"outcome\":\"v-event.outcome\","
    "\"severity\":3,\"dataset\":\"v-event.dataset\",\"module\":\"v-event.module\","
    "\"original\":\"v-event.original\",\"ingested\":\"2024-05-01T08:30:01.000000Z\"},"
    "\"host\":{\"name\":\"v-host.name\",\"ip\":\"192.0.2.1\","
    "\"os\":{\"family\":\"debian\",\"name\":\"Debian\"}},\"source\":{\"ip\":\"192.0.2.1\","
    "\"port\":3},\"destination\":{\"ip\":\"192.0.2.1\",\"port\":3},"
    "\"user\":{\"name\":\"v-user.name\"},\"process\":{\"name\":\"v-process.name\","
    "\"pid\":3},\"message\":\"Failed \\\"password\\\" for r\\\\oot\\n\\t\\u0001 \xEF"
    "\xBF"
    "\xBD "
    "end \\/x \xE8"
    "\xB3"
    "\x87\",\"log\":{\"file\":{\"path\":\"v-log.file.path\"},"
    "\"offset\":3,\"syslog\":{\"facility\":{\"code\":3,\"name\":\"daemon\","
    "\"extra_x\":\"fx\"},\"severity\":{\"code\":3,\"name\":\"Error\"},"
    "\"hostname\":\"v-log.syslog.hostname\",\"appname\":\"v-log.syslog.appname\","
    "\"procid\":\"v-log.syslog.procid\",\"msgid\":\"v-log.syslog.msgid\","
    "\"version\":\"v-log.syslog.version\",\"priority\":27,\"structured_data\":{\"origin.examp"
    "le@32473\":{\"ip\":\"192.0.2.1\",\"sw\":\"rsyslog \\\"8\\\"\"},"
    "\"meta\":{\"sequenceId\":\"7\"}}},\"source\":{\"address\":\"192.0.2.9:514\"}},"
    "\"network\":{\"transport\":\"v-network.transport\",\"protocol\":\"v-network.protocol\","
    "\"direction\":\"v-network.direction\",\"type\":\"v-network.type\","
    "\"community_id\":\"v-network.community_id\",\"bytes\":3,"
    "\"packets\":3},\"rule\":{\"id\":\"v-rule.id\"},\"agent\":{\"id\":\"a1\","
    "\"name\":\"a1\",\"type\":\"socagent\"},\"labels\":{\"authority\":\"36\"},"
    "\"organization\":{\"name\":\"Org \\\"x\\\"\"},\"log-x\":{\"a\":\"dash\"},"
    "\"zz\":\"last\",\"A\":{\"B\":\"upper\"},\"tags\":[\"ssh\","
    "\"a\\\"b\",\"invalid_utf8\"]}";

/* The streaming writer's JSON is the tree writer's, member order aside;
 * soc_event_write_json and soc_event_to_json give the same bytes. */
static void test_stream_equals_tree(void **state) {
  soc_event *ev = *state;
  char *json = NULL, *buf = malloc(SOC_EVENT_JSON_MAX);
  size_t len = 0, blen = 0;
  assert_non_null(buf);
  fill_rich(ev);
  struct fjson_object *got = to_parsed(ev), *want = fjson_tokener_parse(rich_tree_json);
  assert_non_null(want);
  assert_true(json_same(got, want));
  fjson_object_put(got);
  fjson_object_put(want);
  assert_int_equal(soc_event_to_json(ev, &json, &len), 0);
  assert_int_equal(soc_event_write_json(ev, buf, SOC_EVENT_JSON_MAX, &blen), 0);
  assert_int_equal(blen, len);
  assert_memory_equal(buf, json, len + 1);
  free(json);
  free(buf);
}

/* Every cap short of the JSON and its NUL says -ENOSPC and writes nothing
 * past the cap; the exact cap works. */
static void test_write_json_caps(void **state) {
  soc_event *ev = *state;
  char *json = NULL, *buf;
  size_t len = 0, n = 0;
  assert_int_equal(soc_event_write_json(ev, (char[8]){0}, 8, &n), -EINVAL); /* no @timestamp */
  fill_rich(ev);
  assert_int_equal(soc_event_write_json(ev, NULL, 8, &n), -EINVAL);
  assert_int_equal(soc_event_to_json(ev, &json, &len), 0);
  buf = malloc(len + 2);
  assert_non_null(buf);
  for (size_t cap = 0; cap <= len; cap++) {
    memset(buf, 0x55, len + 2);
    assert_int_equal(soc_event_write_json(ev, buf, cap, &n), -ENOSPC);
    for (size_t i = cap; i < len + 2; i++) assert_int_equal((unsigned char)buf[i], 0x55);
  }
  assert_int_equal(soc_event_write_json(ev, buf, len + 1, &n), 0);
  assert_int_equal(n, len);
  assert_memory_equal(buf, json, len + 1);
  free(buf);
  free(json);
}

/* The largest event there can be still fits SOC_EVENT_JSON_MAX, and the
 * 1 MB that brokers take: every byte of the budget escaped to six, the
 * most extras with long dotted keys, all tags, all parameters. */
static void test_json_worst_case(void **state) {
  soc_event *ev = *state;
  char key[SOC_EVENT_KEY_MAX + 1], *json = NULL, *buf = malloc(SOC_EVENT_JSON_MAX);
  char ctl[SOC_EVENT_KEY_MAX];
  size_t len = 0, blen = 0;
  assert_non_null(buf);
  memset(ctl, '\x01', sizeof ctl);
  soc_event_set_time(ev, 0);
  for (int i = 0; i < SOC_EVENT_EXTRA_MAX; i++) {
    int n = snprintf(key, sizeof key, "k%02d", i);
    /* Segments of four: libfastjson parses no deeper than 32 levels. */
    while (n + 5 <= SOC_EVENT_KEY_MAX) n += snprintf(key + n, sizeof key - (size_t)n, ".abcd");
    assert_int_equal(soc_event_set(ev, key, ctl, 8), 0);
  }
  for (int i = 0; i < SOC_EVENT_SD_MAX; i++) {
    ctl[0] = (char)('A' + i % 26);
    ctl[1] = (char)('A' + i / 26);
    assert_int_equal(soc_event_add_sd_param(ev, ctl, SOC_EVENT_SD_NAME_MAX, ctl + 1,
                                            SOC_EVENT_SD_NAME_MAX, ctl, 8),
                     0);
  }
  for (int i = 0; i < SOC_EVENT_TAG_MAX; i++) {
    ctl[0] = (char)('A' + i);
    assert_int_equal(soc_event_add_tag(ev, ctl, sizeof ctl), 0);
  }
  char *big = malloc(SOC_EVENT_VALUE_MAX);
  assert_non_null(big);
  memset(big, '\x01', SOC_EVENT_VALUE_MAX);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, big, SOC_EVENT_VALUE_MAX), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, big, SOC_EVENT_VALUE_MAX), 0);
  for (int f = 0; f < SOC_ECS_COUNT; f++)
    if (soc_event_set_int(ev, (soc_ecs_field)f, INT64_MAX) == -EINVAL)
      soc_event_set_int(ev, (soc_ecs_field)f, 7); /* a ranged integer */
  static const char id64[] = "0123456789012345678901234567890123456789012345678901234567890123";
  assert_int_equal(soc_event_set_id(ev, id64), 0);
  free(big);
  assert_int_equal(soc_event_add_tag(ev, "one-more", 8), -ENOSPC);
  assert_int_equal(soc_event_flags(ev), SOC_EVENT_TRUNCATED | SOC_EVENT_DROPPED);
  assert_int_equal(soc_event_write_json(ev, buf, SOC_EVENT_JSON_MAX, &blen), 0);
  assert_true(blen < 1000 * 1000);
  assert_int_equal(soc_event_to_json(ev, &json, &len), 0);
  assert_int_equal(len, blen);
  assert_memory_equal(buf, json, len);
  fjson_object_put(to_parsed(ev));
  free(json);
  free(buf);
}

/* A copy serialises the same and is independent of its original. */
static void test_copy(void **state) {
  soc_event *ev = *state, *cp = soc_event_new();
  char *a = NULL, *b = NULL;
  assert_non_null(cp);
  assert_int_equal(soc_event_set(cp, "labels.stale", "x", 1), 0);
  fill_rich(ev);
  assert_int_equal(soc_event_copy(cp, ev), 0);
  assert_int_equal(soc_event_to_json(ev, &a, NULL), 0);
  assert_int_equal(soc_event_to_json(cp, &b, NULL), 0);
  assert_string_equal(a, b);
  assert_null(soc_event_get(cp, "labels.stale"));
  assert_int_equal(soc_event_flags(cp), soc_event_flags(ev));
  /* Changing the copy leaves the original alone. */
  assert_int_equal(set(cp, SOC_ECS_MESSAGE, "changed"), 0);
  assert_int_equal(soc_event_set(cp, "zz", "other", 5), 0);
  assert_string_equal(soc_event_get(ev, "zz"), "last");
  assert_string_not_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "changed");
  /* Copying onto itself changes nothing. */
  assert_int_equal(soc_event_copy(cp, cp), 0);
  free(b);
  assert_int_equal(soc_event_to_json(cp, &b, NULL), 0);
  assert_non_null(strstr(b, "\"message\":\"changed\""));
  assert_int_equal(soc_event_copy(NULL, ev), -EINVAL);
  free(a);
  free(b);
  soc_event_free(cp);
}

/* Random values for test_template: text that needs escaping now and then,
 * an address where the field takes only those, a number for numbers. */
static void set_random(soc_event *ev, soc_ecs_field f, unsigned *seed) {
  static const char *const texts[] = {
      "bench", "a\"b",  "c\\d",      "tab\there", "socagent", "x", "/var/log/a b.log",
      "0.1.0", "event", "web.access"};
  const char *v = texts[(size_t)rand_r(seed) % (sizeof texts / sizeof texts[0])];
  if (soc_event_set_int(ev, f, rand_r(seed) % 3) == 0) return;
  if (soc_event_str_takes(f, v, strlen(v)))
    assert_int_equal(set(ev, f, v), 0);
  else
    assert_int_equal(set(ev, f, rand_r(seed) % 2 ? "10.0.0.1" : "2001:db8::1"), 0);
}

/* The same random change to both events: fields (the template's too),
 * extras whose names sort among the template's leaves, tags, an id. */
static void change_both(soc_event *a, soc_event *b, unsigned *seed) {
  static const char *const names[] = {"agent.zz", "b.x",   "dd", "event.e",        "event.zz",
                                      "labels.x", "log.a", "m",  "organization.a", "zz"};
  for (int n = rand_r(seed) % 4; n > 0; n--) {
    soc_ecs_field f = (soc_ecs_field)(rand_r(seed) % SOC_ECS_COUNT);
    unsigned keep = *seed;
    set_random(a, f, seed);
    set_random(b, f, &keep);
  }
  for (int n = rand_r(seed) % 3; n > 0; n--) {
    const char *x = names[(size_t)rand_r(seed) % (sizeof names / sizeof names[0])];
    assert_int_equal(soc_event_set(a, x, "v", 1), 0);
    assert_int_equal(soc_event_set(b, x, "v", 1), 0);
  }
  if (rand_r(seed) % 4 == 0) {
    assert_int_equal(soc_event_add_tag(a, "t", 1), 0);
    assert_int_equal(soc_event_add_tag(b, "t", 1), 0);
  }
  if (rand_r(seed) % 2) {
    assert_int_equal(soc_event_set_id(a, "0123456789abcdef0123456789abcdef"), 0);
    assert_int_equal(soc_event_set_id(b, "0123456789abcdef0123456789abcdef"), 0);
  }
}

/* Both events' fields, as the getters give them. */
static void same_fields(const soc_event *a, const soc_event *b) {
  for (int f = 0; f < SOC_ECS_COUNT; f++) {
    const char *x = soc_event_get_str(a, (soc_ecs_field)f),
               *y = soc_event_get_str(b, (soc_ecs_field)f);
    int64_t i = 0, j = 0;
    assert_true((x == NULL) == (y == NULL));
    if (x) assert_string_equal(x, y);
    assert_int_equal(soc_event_get_int(a, (soc_ecs_field)f, &i),
                     soc_event_get_int(b, (soc_ecs_field)f, &j));
    assert_int_equal(i, j);
  }
}

/* Both events' JSON, byte for byte, whole and at each of the 48 caps
 * below its length, where both fail alike and write nothing past cap. */
static void same_json(const soc_event *a, const soc_event *b) {
  char ja[8192], jb[8192];
  size_t la = 0, lb = 0;
  assert_int_equal(soc_event_write_json(a, ja, sizeof ja, &la), 0);
  assert_int_equal(soc_event_write_json(b, jb, sizeof jb, &lb), 0);
  assert_int_equal(la, lb);
  assert_memory_equal(ja, jb, la + 1);
  for (size_t cap = la > 48 ? la - 48 : 0, end = la + 1; cap <= end; cap++) {
    memset(ja, 0x55, sizeof ja);
    memset(jb, 0x55, sizeof jb);
    int ra = soc_event_write_json(a, ja, cap, &la), rb = soc_event_write_json(b, jb, cap, &lb);
    assert_int_equal(ra, rb);
    if (!ra) assert_memory_equal(ja, jb, la + 1);
    for (size_t i = cap; i < cap + 24; i++) assert_int_equal((unsigned char)ja[i], 0x55);
  }
}

/* A copy of a template (soc_event_template) writes the JSON that the same
 * copy of a plain event with the same fields writes: with its own fields
 * and extras among the template's, the template's fields set again (to
 * the same value or another), the template changed after it was made, and
 * a second template copied onto the first one's copies; and the copy's
 * fields are the plain copy's, though it keeps the template's values from
 * its last copy of the same template where it did not set them since. */
static void test_template(void **state) {
  soc_event *t = *state, *plain = soc_event_new(), *a = soc_event_new(), *b = soc_event_new();
  unsigned seed = 20261207;
  assert_non_null(plain);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(soc_event_template(NULL), -EINVAL);
  for (int round = 0; round < 300; round++) {
    soc_event_reset(t);
    for (int f = 0; f < SOC_ECS_COUNT; f++)
      if (rand_r(&seed) % 3 == 0 || f == SOC_ECS_AGENT_ID || f == SOC_ECS_EVENT_KIND)
        set_random(t, (soc_ecs_field)f, &seed);
    if (rand_r(&seed) % 2) assert_int_equal(soc_event_set(t, "labels.authority", "36", 2), 0);
    if (rand_r(&seed) % 4 == 0) assert_int_equal(soc_event_set(t, "dd", "w", 1), 0);
    assert_int_equal(soc_event_copy(plain, t), 0); /* the same fields, no template */
    assert_int_equal(soc_event_template(t), 0);
    soc_event_set_time(t, 1000000007);
    soc_event_set_time(plain, 1000000007);
    same_json(t, plain);
    for (int i = 0; i < 20; i++) {
      if (i == 10) change_both(t, plain, &seed); /* the template changed after it was made */
      assert_int_equal(soc_event_copy(a, t), 0);
      assert_int_equal(soc_event_copy(b, plain), 0);
      same_fields(a, b);
      same_json(a, b);
      change_both(a, b, &seed);
      same_fields(a, b);
      same_json(a, b);
    }
  }
  soc_event_free(plain);
  soc_event_free(a);
  soc_event_free(b);
}

/* The fields the agent writes on every event are known by name too. */
static void test_agent_fields(void **state) {
  soc_event *ev = *state;
  assert_int_equal(soc_event_set(ev, "agent.id", "agent-01", 8), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_AGENT_ID), "agent-01");
  assert_int_equal(soc_ecs_field_lookup("log.source.address"), SOC_ECS_LOG_SOURCE_ADDRESS);
  assert_int_equal(soc_ecs_field_lookup("event.ingested"), SOC_ECS_EVENT_INGESTED);
  assert_int_equal(soc_event_set(ev, "agent", "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "agent.id.x", "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, "agent.ephemeral_id", "e1", 2), 0);
}

/* A value may be set from the event's own copy of it (the slot's buffer
 * is reused, so this must not read what it is overwriting). */
static void test_set_from_itself(void **state) {
  soc_event *ev = *state;
  assert_int_equal(set(ev, SOC_ECS_MESSAGE, "hello world"), 0);
  const char *m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, m + 6, 5), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "world");
  m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, m, 5), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "world");
  assert_int_equal(soc_event_set(ev, "labels.a", "abcdef", 6), 0);
  const char *v = soc_event_get(ev, "labels.a");
  assert_int_equal(soc_event_set(ev, "labels.a", v + 1, 5), 0);
  assert_string_equal(soc_event_get(ev, "labels.a"), "bcdef");
}

/* The setters' inline case (a short ASCII value copied into the slot's
 * buffer as it is checked) must leave the rest to the general one: a value
 * taken from the slot's own buffer, at every offset and length, and a value
 * that the slot's buffer would hold but the budget cuts. */
static void test_set_in_place(void **state) {
  soc_event *ev = *state;
  static char big[65536];
  const char *text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL";
  for (size_t k = 0; k <= 8; k++)
    for (size_t n = 0; n + k <= 48; n++) {
      assert_int_equal(set(ev, SOC_ECS_MESSAGE, text), 0);
      const char *m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, m + k, n), 0);
      m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
      assert_int_equal(strlen(m), n);
      assert_memory_equal(m, text + k, n);
    }
  soc_event_reset(ev);
  memset(big, 'a', sizeof big);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, big, sizeof big), 0);
  assert_int_equal(set(ev, SOC_ECS_MESSAGE, "x"), 0); /* the large buffer stays */
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, big, sizeof big), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_USER_NAME, big, 5000), 0);
  assert_int_equal(soc_event_flags(ev), 0);
  size_t left = SOC_EVENT_BYTES_MAX - sizeof big - 5000;
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, big, sizeof big - 536), 0);
  assert_int_equal(strlen(soc_event_get_str(ev, SOC_ECS_MESSAGE)), left);
  assert_true(soc_event_flags(ev) & SOC_EVENT_TRUNCATED);
  assert_int_equal(soc_event_room(ev), 0);
}

/* a and b the same: their JSON, flags, room and field f. */
static void same_events(const soc_event *a, const soc_event *b, soc_ecs_field f) {
  char *ja = NULL, *jb = NULL;
  size_t la = 0, lb = 0, na = 0, nb = 0;
  assert_int_equal(soc_event_to_json(a, &ja, &la), 0);
  assert_int_equal(soc_event_to_json(b, &jb, &lb), 0);
  assert_int_equal(la, lb);
  assert_memory_equal(ja, jb, la);
  free(ja);
  free(jb);
  assert_int_equal(soc_event_flags(a), soc_event_flags(b));
  assert_int_equal(soc_event_room(a), soc_event_room(b));
  const char *va = soc_event_get_strn(a, f, &na), *vb = soc_event_get_strn(b, f, &nb);
  assert_int_equal(va != NULL, vb != NULL);
  assert_int_equal(na, nb);
  if (va) assert_memory_equal(va, vb, na + 1);
}

/* soc_event_reset_keeping and then, where it says 0, the set leave what a
 * reset and the set leave, whatever the event held: the value kept only
 * when it is the same bytes, with none of the rest of the line before. */
static void test_reset_keeping(void **state) {
  soc_event *ev = *state, *fresh = soc_event_new();
  static char big[5000];
  const soc_ecs_field path = SOC_ECS_LOG_FILE_PATH;
  const struct {
    soc_ecs_field held; /* what the line before set, and to what */
    const char *was;
    size_t waslen;
    soc_ecs_field f; /* what the next line keeps or sets */
    const char *v;
    size_t len;
    int kept;
  } cases[] = {
      {path, "/var/log/a.log", 14, path, "/var/log/a.log", 14, 1},
      {path, "/var/log/a.log", 14, path, "/var/log/b.log", 14, 0},
      {path, "/var/log/a.log", 14, path, "/var/log/a.lo", 13, 0},
      {path, "/var/log/a.lo", 13, path, "/var/log/a.log", 14, 0},
      {path, "/var/log/a.log", 14, SOC_ECS_HOST_NAME, "/var/log/a.log", 14, 0},
      {SOC_ECS_HOST_NAME, "web1", 4, path, "web1", 4, 0},
      {path, "", 0, path, "", 0, 1},
      {path, "", 0, path, "x", 1, 0},
      {path, "x", 1, path, "", 0, 0},
      {path, big, sizeof big, path, big, sizeof big, 0}, /* a buffer the reset frees */
      {path, big, 4000, path, big, 4000, 1},
      {SOC_ECS_SOURCE_IP, "10.0.0.1", 8, SOC_ECS_SOURCE_IP, "10.0.0.1", 8, 1},
      {SOC_ECS_PROCESS_PID, NULL, 0, SOC_ECS_PROCESS_PID, "", 0, 0},
  };
  assert_non_null(fresh);
  memset(big, 'p', sizeof big);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int round = 0; round < 2; round++) {
      soc_event_reset(ev);
      if (cases[i].was)
        assert_int_equal(soc_event_set_str(ev, cases[i].held, cases[i].was, cases[i].waslen), 0);
      else
        assert_int_equal(soc_event_set_int(ev, cases[i].held, 4242), 0);
      /* the rest of a line: none of it may stay */
      assert_int_equal(set(ev, SOC_ECS_MESSAGE, "sshd: Failed password"), 0);
      assert_int_equal(soc_event_set(ev, "nginx.access.x", "1", 1), 0);
      assert_int_equal(soc_event_add_tag(ev, "line_truncated", 14), 0);
      assert_int_equal(soc_event_add_sd_param(ev, "a@1", 3, "b", 1, "c", 1), 0);
      soc_event_set_time(ev, 1234567890);
      assert_int_equal(soc_event_set_str(ev, SOC_ECS_USER_NAME, "\xff\xfe", 2), 0);
      assert_int_equal(soc_event_set_id(ev, "abc"), 0);
      if (round) /* the template's runs too */
        assert_int_equal(soc_event_template(ev), 0);
      int kept = soc_event_reset_keeping(ev, cases[i].f, cases[i].v, cases[i].len);
      assert_int_equal(kept, cases[i].kept);
      soc_event_reset(fresh);
      if (!kept && soc_event_str_takes(cases[i].f, cases[i].v, cases[i].len)) {
        assert_int_equal(soc_event_set_str(ev, cases[i].f, cases[i].v, cases[i].len), 0);
        assert_int_equal(soc_event_set_str(fresh, cases[i].f, cases[i].v, cases[i].len), 0);
      } else if (kept) {
        assert_int_equal(soc_event_set_str(fresh, cases[i].f, cases[i].v, cases[i].len), 0);
      }
      soc_event_set_time(ev, 1); /* the JSON needs one */
      soc_event_set_time(fresh, 1);
      same_events(ev, fresh, cases[i].f);
      assert_int_equal(set(ev, SOC_ECS_MESSAGE, "next"), 0);
      assert_int_equal(set(fresh, SOC_ECS_MESSAGE, "next"), 0);
      same_events(ev, fresh, cases[i].f);
    }
  }
  assert_int_equal(soc_event_reset_keeping(NULL, path, "x", 1), 0);
  soc_event_free(fresh);
}

/* Walks a parsed object, checking every string leaf against the names
 * that were set; returns how many leaves it found. */
static size_t check_leaves(struct fjson_object *o, char *path, size_t plen, const soc_event *ev) {
  struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
  size_t found = 0;
  for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
    const char *k = fjson_object_iter_peek_name(&it);
    struct fjson_object *v = fjson_object_iter_peek_value(&it);
    int n = snprintf(path + plen, 256 - plen, "%s%s", plen ? "." : "", k);
    if (fjson_object_is_type(v, fjson_type_object)) {
      found += check_leaves(v, path, plen + (size_t)n, ev);
    } else if (strcmp(path, "@timestamp") && strcmp(path, "ecs.version")) {
      assert_true(fjson_object_is_type(v, fjson_type_string));
      const char *want = soc_event_get(ev, path);
      assert_non_null(want);
      assert_string_equal(fjson_object_get_string(v), want);
      found++;
    }
    path[plen] = '\0';
  }
  return found;
}

/* Random names, some known and some not, nested in and beside each other
 * and set in any order: each accepted one is in the JSON once, at its
 * path, with its value, and nothing else is. */
static void test_random_nesting(void **state) {
  static const char *const pool[] = {
      "message",
      "host.name",
      "host.os.name",
      "host.os.family",
      "host.osx",
      "host-x",
      "log.file.path",
      "log.file.x",
      "log.filex.a",
      "log.syslog.appname",
      "log.syslog.facility.x",
      "log.level",
      "a",
      "a.b",
      "a-b.c",
      "a0.b.c",
      "Z",
      "z.y.x.w",
      "z.y.x.v",
      "z.y.u",
      "event.kind",
      "event.x",
      "event.id.x",
      "labels.k",
      "labels.k2",
      "agent.id",
      "agent.x.y",
      "user.name",
      "user.name2",
      "organization.name",
      /* segments of 8 bytes and more, dots at every place of a word */
      "labels.abcdefgh",
      "labels.abcdefghi.j",
      "abcdefghijklmnop.q",
      "abcdefgh.ijklmnopq.rstuvwxyz0123.4",
      "a.bcdefghijklmnopqrstu.v.w",
      "event.abcdefg.hijklmno",
  };
  soc_event *ev = *state;
  uint32_t seed = 12345;
  char path[256], value[16];
  for (int round = 0; round < 500; round++) {
    size_t want = 0;
    soc_event_reset(ev);
    soc_event_set_time(ev, round);
    for (size_t i = 0; i < 12; i++) {
      seed = seed * 1103515245u + 12345u;
      const char *name = pool[(seed >> 8) % (sizeof pool / sizeof pool[0])];
      /* Values with quotes, backslashes and control bytes. */
      size_t vlen = (seed >> 20) % sizeof value;
      for (size_t j = 0; j < vlen; j++) value[j] = "a\"\\\n\x01z/"[(seed >> (j % 24)) % 7];
      int had = soc_event_get(ev, name) != NULL;
      if (soc_event_set(ev, name, value, vlen) == 0 && !had) want++;
    }
    struct fjson_object *o = to_parsed(ev);
    path[0] = '\0';
    assert_int_equal(check_leaves(o, path, 0, ev), want);
    fjson_object_put(o);
  }
}

/* A leaf of parsed JSON: its dotted path, and its value as libfastjson
 * writes it (owned by the parsed object). */
struct flat_leaf {
  char path[128];
  const char *json;
};

/* o's leaves, structured data as one (its keys are not dotted paths). */
static size_t flatten(struct fjson_object *o, const char *prefix, struct flat_leaf *out, size_t n,
                      size_t max) {
  struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
  for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
    struct fjson_object *v = fjson_object_iter_peek_value(&it);
    char path[128];
    snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
             fjson_object_iter_peek_name(&it));
    if (fjson_object_is_type(v, fjson_type_object) && strcmp(path, "log.syslog.structured_data")) {
      n = flatten(v, path, out, n, max);
      continue;
    }
    assert_true(n < max);
    snprintf(out[n].path, sizeof out[n].path, "%s", path);
    out[n++].json = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);
  }
  return n;
}

static int flat_cmp(const void *a, const void *b) {
  return strcmp(((const struct flat_leaf *)a)->path, ((const struct flat_leaf *)b)->path);
}

/* Leaves in name order as nested objects, the plain way: each closes the
 * objects of the one before that it does not share, then opens its own. */
static void nest(const struct flat_leaf *l, size_t n, char *out, size_t cap) {
  size_t depth = 0, len = 0;
#define OUT(...) \
  (len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__), assert_true(len < cap))
  OUT("{");
  for (size_t i = 0; i < n; i++) {
    const char *prev = i ? l[i - 1].path : "", *seg = l[i].path;
    size_t shared = 0;
    for (size_t j = 0; prev[j] && prev[j] == seg[j]; j++) shared += seg[j] == '.';
    for (; depth > shared; depth--) OUT("}");
    if (i) OUT(",");
    for (size_t d = 0; d < shared; d++) seg = strchr(seg, '.') + 1;
    for (const char *dot; (dot = strchr(seg, '.')); seg = dot + 1, depth++)
      OUT("\"%.*s\":{", (int)(dot - seg), seg);
    OUT("\"%s\":%s", seg, l[i].json);
  }
  for (; depth; depth--) OUT("}");
  OUT("}");
#undef OUT
}

/* Every two known fields in one event, with now and then an id, a tag,
 * structured data and an extra among them: the JSON is byte for byte its
 * own leaves written the plain way, so whatever the writer puts between
 * two leaves (closed objects, comma, the next key's objects) is right for
 * every pair. */
static void test_leaf_pairs(void **state) {
  static const char *const extras[] = {NULL,          "a",        "agent.zz",
                                       "ecs.zz",      "event.zz", "host.os.name",
                                       "log.file.zz", "log.zz",   "log.syslog.facility.zz",
                                       "zz"};
  soc_event *ev = *state;
  struct flat_leaf leaves[64];
  char want[4096];
  for (int a = 0; a < SOC_ECS_COUNT; a++) {
    for (int b = a; b < SOC_ECS_COUNT; b++) {
      unsigned r = (unsigned)(a * SOC_ECS_COUNT + b);
      const char *x = extras[r % (sizeof extras / sizeof *extras)];
      soc_event_reset(ev);
      soc_event_set_time(ev, INT64_C(1714552200123456789));
      set_plain(ev, (soc_ecs_field)a);
      set_plain(ev, (soc_ecs_field)b);
      if (r % 3 == 0) assert_int_equal(soc_event_set_id(ev, "632056a4aa1f31b49c3d76f341c5514c"), 0);
      if (r % 5 == 0) assert_int_equal(soc_event_add_tag(ev, "ssh", 3), 0);
      if (r % 7 == 0) assert_int_equal(soc_event_add_sd_param(ev, "m.x@1", 5, "p", 1, "v", 1), 0);
      if (x) assert_int_equal(soc_event_set(ev, x, "x", 1), 0);
      char *json = NULL;
      assert_int_equal(soc_event_to_json(ev, &json, NULL), 0);
      struct fjson_object *o = to_parsed(ev);
      size_t n = flatten(o, "", leaves, 0, sizeof leaves / sizeof *leaves);
      qsort(leaves, n, sizeof *leaves, flat_cmp);
      nest(leaves, n, want, sizeof want);
      assert_string_equal(json, want);
      assert_non_null(at(o, soc_ecs_field_name((soc_ecs_field)a)));
      assert_non_null(at(o, soc_ecs_field_name((soc_ecs_field)b)));
      fjson_object_put(o);
      free(json);
    }
  }
}

/* A random JSON-ish text: mostly values in libfastjson's own plain form
 * (where soc_event_set_json skips the parse), some a byte off it. */
static size_t random_json(uint32_t *seed, char *out, size_t cap, int depth) {
  static const char *const atoms[] = {"0",
                                      "-0",
                                      "7",
                                      "-12",
                                      "007",
                                      "123456789012345678",
                                      "1234567890123456789",
                                      "\"RD\"",
                                      "\"a b~\"",
                                      "\"a/b\"",
                                      "\"x\\\"y\"",
                                      "\"\xc3\xa9\"",
                                      "\"\x01\"",
                                      "true",
                                      "false",
                                      "null",
                                      "1.5",
                                      "{\"a\":1}",
                                      "{\"a\":1,\"a\":2}",
                                      "[]",
                                      "-",
                                      "\"",
                                      " 1",
                                      "1 ",
                                      "tru",
                                      "[1,]",
                                      "[,1]",
                                      "1e3"};
  *seed = *seed * 1103515245u + 12345u;
  uint32_t r = *seed >> 8;
  if (depth < 18 && r % 3 == 0 && cap > 2) {
    size_t n = 0, k = (r >> 4) % 4;
    out[n++] = '[';
    for (size_t i = 0; i < k && n + 2 < cap; i++) {
      if (i) out[n++] = ',';
      n += random_json(seed, out + n, cap - n - 1, depth + 1);
    }
    out[n++] = ']';
    return n;
  }
  const char *a = atoms[r % (sizeof atoms / sizeof *atoms)];
  size_t l = strlen(a);
  if (l > cap) return 0;
  memcpy(out, a, l);
  return l;
}

/* set_json writes a value already in the parser's plain form as it is,
 * without parsing it: the result must be what the parse gives (a leading
 * space sends the same value through the parser). */
static void test_json_canonical(void **state) {
  soc_event *ev = *state, *slow = soc_event_new();
  assert_non_null(slow);
  uint32_t seed = 4242;
  char text[512], spaced[513];
  for (int round = 0; round < 20000; round++) {
    size_t n = random_json(&seed, text, sizeof text - 1, (int)(seed >> 28) % 20);
    spaced[0] = ' ';
    memcpy(spaced + 1, text, n);
    soc_event_reset(ev);
    soc_event_reset(slow);
    soc_event_set_time(ev, 1);
    soc_event_set_time(slow, 1);
    int rc = soc_event_set_json(ev, "x.v", text, n);
    assert_int_equal(rc, soc_event_set_json(slow, "x.v", spaced, n + 1));
    if (rc < 0) continue;
    assert_string_equal(soc_event_get(ev, "x.v"), soc_event_get(slow, "x.v"));
    char *a = NULL, *b = NULL;
    assert_int_equal(soc_event_to_json(ev, &a, NULL), 0);
    assert_int_equal(soc_event_to_json(slow, &b, NULL), 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
  soc_event_free(slow);
}

/* soc_event_set_json skips libfastjson for the values it would write back
 * unchanged: each value here must come out as libfastjson's own parse and
 * write of it, or be refused as before. */
static void test_set_json_scalars(void **state) {
  soc_event *ev = *state;
  /* '|' after each value */
  static const char values[] =
      "0|-0|00|007|1|-1|42|200|-65535|123456789012345678|999999999999999999|"
      "-999999999999999999|1234567890123456789|9223372036854775807|"
      "-9223372036854775808|9223372036854775808|-9223372036854775809|"
      "99999999999999999999|true|false|null|True|tru|truee|1.5|1e3|-1E2| 1|"
      "1 |-||+1|0x10|--1|1-|[1,-0]|{\"a\":007}|\"7\"|";
  char v[64];
  for (const char *p = values, *bar; (bar = strchr(p, '|')); p = bar + 1) {
    snprintf(v, sizeof v, "%.*s", (int)(bar - p), p);
    int want = -EINVAL;
    char canon[64] = "";
    struct fjson_tokener *tok = fjson_tokener_new();
    struct fjson_object *o = fjson_tokener_parse_ex(tok, v, (int)strlen(v) + 1);
    if (o && fjson_tokener_get_error(tok) == fjson_tokener_success &&
        !fjson_object_is_type(o, fjson_type_double)) {
      want = 0;
      snprintf(canon, sizeof canon, "%s",
               fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
    }
    if (o) fjson_object_put(o);
    fjson_tokener_free(tok);
    soc_event_reset(ev);
    int rc = soc_event_set_json(ev, "labels.n", v, strlen(v));
    if (rc != want) fail_msg("set_json(\"%s\") = %d, libfastjson says %d", v, rc, want);
    if (!want) assert_string_equal(soc_event_get(ev, "labels.n"), canon);
    if (want) assert_null(soc_event_get(ev, "labels.n"));
  }
  /* A number is refused whole when the budget is spent, like any JSON. */
  static char big[SOC_EVENT_VALUE_MAX];
  memset(big, 'x', sizeof big);
  soc_event_reset(ev);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, big, sizeof big), 0);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_EVENT_ORIGINAL, big, sizeof big - 5), 0);
  assert_int_equal(soc_event_set_json(ev, "n", "12345", 5), -ENOSPC);
  assert_true(soc_event_flags(ev) & SOC_EVENT_DROPPED);
  assert_null(soc_event_get(ev, "n"));
  assert_int_equal(soc_event_set_json(ev, "n", "1", 1), 0);
  assert_string_equal(soc_event_get(ev, "n"), "1");
}

/* The _keyed setters: the same event, byte for byte, as the named ones. */
static void test_set_keyed(void **state) {
  soc_event *ev = *state, *by_name = soc_event_new();
  static const char *const names[] = {
      "url.path", "zzz",          "a.b", "http.response.status_code",
      "event.zz", "log.syslog.x", "aaa", "agent.build"};
  char json1[4096], json2[4096];
  soc_event_key k;
  assert_non_null(by_name);
  soc_event_set_time(ev, 1);
  soc_event_set_time(by_name, 1);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    assert_int_equal(soc_event_key_of(names[i], &k), 0);
    if (i % 2) {
      assert_int_equal(soc_event_set_json_keyed(ev, names[i], &k, "-12", 3), 0);
      assert_int_equal(soc_event_set_json(by_name, names[i], "-12", 3), 0);
    } else {
      assert_int_equal(soc_event_set_keyed(ev, names[i], &k, "v\"\xff", 3), 0);
      assert_int_equal(soc_event_set(by_name, names[i], "v\"\xff", 3), 0);
    }
  }
  /* a clash is still refused */
  assert_int_equal(soc_event_key_of("a.b.c", &k), 0);
  assert_int_equal(soc_event_set_keyed(ev, "a.b.c", &k, "x", 1), -EINVAL);
  assert_int_equal(soc_event_set_json_keyed(ev, "a.b.c", &k, "[1]", 3), -EINVAL);
  assert_int_equal(soc_event_write_json(ev, json1, sizeof json1, NULL), 0);
  assert_int_equal(soc_event_write_json(by_name, json2, sizeof json2, NULL), 0);
  assert_string_equal(json1, json2);
  assert_int_equal(soc_event_flags(ev), soc_event_flags(by_name));
  /* an integer set by key: what soc_event_set_json makes of its decimal,
   * also past 18 digits (libfastjson's path there), and set again */
  static const int64_t nums[] = {0, -1, 7, 123456789012345678, INT64_MAX, INT64_MIN, 42};
  assert_int_equal(soc_event_key_of("flow.n", &k), 0);
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)nums[i]);
    assert_int_equal(soc_event_set_int_keyed(ev, "flow.n", &k, nums[i]), 0);
    assert_int_equal(soc_event_set_json(by_name, "flow.n", text, strlen(text)), 0);
    assert_string_equal(soc_event_get(ev, "flow.n"), text);
    assert_int_equal(soc_event_write_json(ev, json1, sizeof json1, NULL), 0);
    assert_int_equal(soc_event_write_json(by_name, json2, sizeof json2, NULL), 0);
    assert_string_equal(json1, json2);
  }
  assert_int_equal(soc_event_key_of("flow.n.x", &k), 0);
  assert_int_equal(soc_event_set_int_keyed(ev, "flow.n.x", &k, 1), -EINVAL);
  soc_event_free(by_name);
}

/* Extras whose keys the writer copies from soc_event_key_to_set's forms (also
 * those a template made) against the same extras set by name, written a
 * byte at a time: the same JSON at every cap, through random sets of names
 * that share objects with each other and with known leaves, as deep and as
 * long as forms take and beyond. */
static void test_extra_forms(void **state) {
  static const char *const names[] = {
      "0a.b",
      "a",
      "a.b",
      "a.c.d",
      "a.c.e.f",
      "agent.zz",
      "ecs.zz",
      "event.zz",
      "host.os.name",
      "http.request.method",
      "http.version",
      "http.request.referrer",
      "http.response.body.bytes",
      "http.response.status_code",
      "log.file.zz",
      "log.syslog.facility.zz",
      "log.zz",
      "source.domain",
      "url.original",
      "url.path",
      "user_agent.original",
      "zz",
      "zz.a.b.c.d.e.f",
      "zz.a.b.c.d.e.f.g.h", /* deeper than a form */
      "z0123456789012345678901234567890123456789.z0123456789012345678901234567890123456789."
      "z0123456789", /* longer than a form */
  };
  enum { N = sizeof names / sizeof *names };
  soc_event *by_key = *state, *by_name = soc_event_new(), *proto = soc_event_new(),
            *copy = soc_event_new();
  soc_event_key keys[N];
  char j1[4096], j2[4096], j3[4096];
  uint32_t seed = 42;
  assert_non_null(by_name);
  assert_non_null(proto);
  assert_non_null(copy);
  for (size_t i = 0; i < N; i++) assert_int_equal(soc_event_key_to_set(names[i], &keys[i]), 0);
  assert_int_not_equal(keys[0].form, 0);
  /* a reader's key (rules') takes no room in the table */
  soc_event_key reader;
  assert_int_equal(soc_event_key_of(names[0], &reader), 0);
  assert_int_equal(reader.form, 0);
  assert_int_equal(keys[N - 2].form, 0);
  assert_int_equal(keys[N - 1].form, 0);
  for (int round = 0; round < 3000; round++) {
    size_t len1 = 0, len2 = 0;
    soc_event_reset(by_key);
    soc_event_reset(by_name);
    soc_event_reset(proto);
    soc_event_set_time(by_key, 1);
    soc_event_set_time(by_name, 1);
    soc_event_set_time(proto, 1);
    /* a template's extra, as the forwarder's labels.authority */
    seed = seed * 1103515245u + 12345u;
    size_t t = (seed >> 8) % N;
    assert_int_equal(soc_event_set(proto, names[t], "p", 1), 0);
    assert_int_equal(soc_event_set(by_name, names[t], "p", 1), 0);
    if (round % 2) {
      assert_int_equal(set(proto, SOC_ECS_HOST_NAME, "h"), 0);
      assert_int_equal(set(by_name, SOC_ECS_HOST_NAME, "h"), 0);
    }
    assert_int_equal(soc_event_template(proto), 0);
    assert_int_equal(soc_event_copy(by_key, proto), 0);
    for (int k = 0; k < 1 + round % 7; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t i = (seed >> 8) % N;
      int json = (seed >> 20) % 3 == 0;
      int r1 = json ? soc_event_set_json_keyed(by_key, names[i], &keys[i], "12", 2)
                    : soc_event_set_keyed(by_key, names[i], &keys[i], "v", 1);
      int r2 = json ? soc_event_set_json(by_name, names[i], "12", 2)
                    : soc_event_set(by_name, names[i], "v", 1);
      assert_int_equal(r1, r2);
    }
    if (round % 3 == 0) {
      assert_int_equal(set(by_key, SOC_ECS_LOG_FILE_PATH, "/l"), 0);
      assert_int_equal(set(by_name, SOC_ECS_LOG_FILE_PATH, "/l"), 0);
    }
    assert_int_equal(soc_event_write_json(by_name, j2, sizeof j2, &len2), 0);
    assert_int_equal(soc_event_write_json(by_key, j1, sizeof j1, &len1), 0);
    assert_string_equal(j1, j2);
    /* a copy of it made again: the forms go with the extras */
    assert_int_equal(soc_event_copy(copy, by_key), 0);
    assert_int_equal(soc_event_write_json(copy, j3, sizeof j3, NULL), 0);
    assert_string_equal(j3, j2);
    /* the template made its extra's form, and copies keep the forms */
    const char *v;
    soc_event_key k1, k2;
    assert_non_null(soc_event_extra_at(proto, 0, &v, &k1));
    assert_int_equal(k1.form, keys[t].form);
    for (size_t i = 0; soc_event_extra_at(by_key, i, &v, &k1); i++) {
      assert_non_null(soc_event_extra_at(copy, i, &v, &k2));
      assert_int_equal(k2.form, k1.form);
    }
    /* too small by one byte and less: refused alike, wherever it runs out */
    for (size_t cap = len2 - (size_t)(round % 40); cap <= len2 && cap > 0; cap++) {
      assert_int_equal(soc_event_write_json(by_key, j1, cap, NULL), -ENOSPC);
      assert_int_equal(soc_event_write_json(by_name, j2, cap, NULL), -ENOSPC);
    }
    assert_int_equal(soc_event_write_json(by_key, j1, len2 + 1, NULL), 0);
  }
  soc_event_free(copy);
  soc_event_free(proto);
  soc_event_free(by_name);
}

static void test_null_handling(void **state) {
  (void)state;
  soc_event_free(NULL);
  soc_event_reset(NULL);
  assert_int_equal(soc_event_set_str(NULL, SOC_ECS_MESSAGE, "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(NULL, "message", "x", 1), -EINVAL);
  assert_null(soc_event_get(NULL, "message"));
  assert_int_equal(soc_event_flags(NULL), 0);
  soc_event *ev = soc_event_new();
  assert_non_null(ev);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, NULL, 1), -EINVAL);
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, NULL, 0), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "");
  assert_int_equal(soc_event_set_str(ev, SOC_ECS_COUNT, "x", 1), -EINVAL);
  assert_int_equal(soc_event_set(ev, NULL, "x", 1), -EINVAL);
  soc_event_free(ev);
}

static void decimal_as_printf(void **state) {
  (void)state;
  const int64_t v[] = {0, 1, -1, 9, 10, 65535, 1234567890123, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    char text[SOC_EVENT_DECIMAL_MAX], want[32];
    int n = snprintf(want, sizeof want, "%lld", (long long)v[i]);
    assert_int_equal(soc_event_decimal(v[i], text), (size_t)n);
    assert_string_equal(text, want);
  }
  /* two digits a step: every length, both signs, each side of a power of
   * ten, and values spread over the whole range */
  uint64_t r = 88172645463325252u;
  for (int i = 0; i < 200000; i++) {
    int64_t x;
    if (i < 19 * 6) {
      int64_t p = 1;
      for (int k = 0; k < i / 6; k++) p *= 10;
      x = p + (i % 3) - 1;
      if (i % 6 >= 3) x = -x;
    } else {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      x = (int64_t)(r >> (r % 64));
      if (r & 1) x = -x;
    }
    char text[SOC_EVENT_DECIMAL_MAX], want[32];
    int n = snprintf(want, sizeof want, "%lld", (long long)x);
    assert_int_equal(soc_event_decimal(x, text), (size_t)n);
    assert_string_equal(text, want);
  }
}

/* An IP field takes what inet_pton takes: dotted quads are checked by
 * hand first, so every short string of digits, dots and a few others is
 * compared with inet_pton's answer, as are some made to be near misses. */
static void ip_fields_as_inet_pton(void **state) {
  soc_event *ev = *state;
  static const char alphabet[] = "0123456789..:af x";
  static const char *const edges[] = {
      "0.0.0.0",         "255.255.255.255", "256.1.1.1",       "1.2.3.04",
      "01.2.3.4",        "1.2.3",           "1.2.3.4.",        ".1.2.3.4",
      "1..2.3",          "1.2.3.4.5",       "1.2.3.255",       "1.2.3.2555",
      "00.1.2.3",        "1.2.3.0",         "10.0.0.10",       "::1",
      "::ffff:1.2.3.4",  "1.2.3.4 ",        "199.199.199.199", "1.2.3.-1",
      "100.200.250.251",
  };
  char v[20];
  uint8_t addr[16];
  uint32_t r = 12345;
  for (size_t i = 0; i < sizeof edges / sizeof *edges + 200000; i++) {
    size_t len;
    if (i < sizeof edges / sizeof *edges) {
      len = strlen(edges[i]);
      memcpy(v, edges[i], len + 1);
    } else {
      r = r * 1103515245 + 12345;
      len = 1 + (r >> 16) % 16;
      for (size_t j = 0; j < len; j++) {
        r = r * 1103515245 + 12345;
        /* mostly digits and dots, so that many are near a dotted quad */
        v[j] = alphabet[(r >> 16) % ((r >> 8) % 4 ? 12 : sizeof alphabet - 1)];
      }
      v[len] = '\0';
    }
    int want = inet_pton(AF_INET, v, addr) == 1 || inet_pton(AF_INET6, v, addr) == 1;
    soc_event_reset(ev);
    assert_int_equal(soc_event_set_str(ev, SOC_ECS_SOURCE_IP, v, len) == 0, want);
    assert_int_equal(soc_event_str_takes(SOC_ECS_SOURCE_IP, v, len), want);
  }
  /* every field: the check says what the write does */
  static const char *const values[] = {"", "1.2.3.4", "::1", "x", "256.1.1.1", "é", NULL};
  for (int f = -1; f <= SOC_ECS_COUNT; f++)
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
      for (size_t len = 0; len < 3; len++) {
        size_t n = values[i] ? strlen(values[i]) : len;
        soc_event_reset(ev);
        int takes = soc_event_str_takes((soc_ecs_field)f, values[i], n);
        assert_int_equal(takes, soc_event_set_str(ev, (soc_ecs_field)f, values[i], n) == 0);
        /* a value taken is written by soc_event_set_str_taken as by
         * soc_event_set_str; no field, or no text, is refused */
        if (takes) {
          char kept[16];
          size_t klen = 0, glen = 0;
          const char *got = soc_event_get_strn(ev, (soc_ecs_field)f, &klen);
          assert_true(klen < sizeof kept);
          if (klen) memcpy(kept, got, klen);
          soc_event_reset(ev);
          assert_int_equal(soc_event_set_str_taken(ev, (soc_ecs_field)f, values[i], n), 0);
          got = soc_event_get_strn(ev, (soc_ecs_field)f, &glen);
          assert_int_equal(glen, klen);
          if (klen) assert_memory_equal(got, kept, klen);
        } else if (f < 0 || f >= SOC_ECS_COUNT || (!values[i] && n)) {
          assert_int_equal(soc_event_set_str_taken(ev, (soc_ecs_field)f, values[i], n), -EINVAL);
        }
      }
}

/* soc_event_get_strn gives soc_event_get_str's value and its strlen, for
 * values kept whole, repaired (bytes that are not UTF-8, NUL), cut at the
 * value cap and at the event's budget, set over a longer or shorter live
 * value, copied by soc_event_copy, and for fields unset or not strings. */
static void strn_is_strlen(void **state) {
  soc_event *ev = *state, *copy = soc_event_new();
  static char big[SOC_EVENT_VALUE_MAX + 100];
  static const char *const values[] = {"",        "x",         "web01",  "a\377b",
                                       "nul\0in", "\xe9t\xe9", "1.2.3.4"};
  static const size_t lens[] = {0, 1, 5, 3, 6, 3, 7};
  assert_non_null(copy);
  memset(big, 'v', sizeof big);
  for (int round = 0; round < 3; round++) {
    soc_event_reset(ev);
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
      for (int f = 0; f < SOC_ECS_COUNT; f++)
        (void)soc_event_set_str(ev, (soc_ecs_field)f, values[(i + (size_t)f) % 7],
                                lens[(i + (size_t)f) % 7]);
    if (round > 0) /* long values, over live ones, until the budget cuts */
      for (int f = 0; f < SOC_ECS_COUNT; f++)
        (void)soc_event_set_str(ev, (soc_ecs_field)f, big, sizeof big - (size_t)f * 7);
    if (round > 1) assert_int_equal(soc_event_copy(copy, ev), 0);
    for (int f = -1; f <= SOC_ECS_COUNT; f++) {
      const soc_event *e = round > 1 ? copy : ev;
      size_t len = 99;
      const char *s = soc_event_get_strn(e, (soc_ecs_field)f, &len);
      assert_ptr_equal(s, soc_event_get_str(e, (soc_ecs_field)f));
      assert_int_equal(len, s ? strlen(s) : 0);
    }
  }
  soc_event_free(copy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_event_id),
      cmocka_unit_test_setup_teardown(strn_is_strlen, setup, teardown),
      cmocka_unit_test(test_event_ids),
      cmocka_unit_test_setup_teardown(test_set_id, setup, teardown),
      cmocka_unit_test(test_format_time),
      cmocka_unit_test_setup_teardown(test_nested_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_escaping, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
      cmocka_unit_test_setup_teardown(test_typed_fields, setup, teardown),
      cmocka_unit_test(test_field_table),
      cmocka_unit_test_setup_teardown(test_extra_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_truncation_and_budget, setup, teardown),
      cmocka_unit_test(test_null_handling),
      cmocka_unit_test_setup_teardown(test_stream_equals_tree, setup, teardown),
      cmocka_unit_test_setup_teardown(test_write_json_caps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_worst_case, setup, teardown),
      cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_template, setup, teardown),
      cmocka_unit_test_setup_teardown(test_agent_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_from_itself, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_in_place, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset_keeping, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_nesting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_leaf_pairs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_canonical, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_json_scalars, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_keyed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_extra_forms, setup, teardown),
      cmocka_unit_test(decimal_as_printf),
      cmocka_unit_test_setup_teardown(ip_fields_as_inet_pton, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
