/*
 * syslog: every accepted form, field by field and exactly (a field the
 * table leaves NULL must be unset); the year inference at its boundaries;
 * zones; structured data with escapes; malformed lines falling back to raw
 * with the whole line as the message; peek agreeing with parse; and every
 * prefix of every line parsed from an exact-size heap copy, so that ASan
 * sees any read past len.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfastjson/json.h>

#include "soc/syslog.h"
#include "soc/utf8.h"

#define NS INT64_C(1000000000)
#define RECV INT64_C(1795593600) /* 2026-11-25T08:00:00Z */
#define LEN(s) (sizeof(s) - 1)

static soc_syslog_opts opts_at(const char *zone, int64_t recv_s) {
  soc_syslog_opts o;
  memset(&o, 0, sizeof o);
  if (soc_tz_parse(zone, &o.tz)) fail_msg("zone '%s' refused", zone);
  o.recv_ns = recv_s * NS;
  return o;
}

/* What a line must give; NULL strings and -1 numbers mean "unset". */
typedef struct expect {
  const char *line;
  size_t len; /* 0: strlen(line) */
  soc_syslog_format form;
  int64_t ts_ns;
  int pri;
  const char *host, *app, *procid, *msgid;
  int64_t pid;
  const char *message;
} expect;

static void check_str(const soc_event *ev, soc_ecs_field f, const char *want, const char *line) {
  const char *got = soc_event_get_str(ev, f);
  if (!want && got) fail_msg("%s: %s should be unset, is '%s'", line, soc_ecs_field_name(f), got);
  if (want && (!got || strcmp(got, want)))
    fail_msg("%s: %s is '%s', expected '%s'", line, soc_ecs_field_name(f), got ? got : "(unset)",
             want);
}

static void check_int(const soc_event *ev, soc_ecs_field f, int64_t want, const char *line) {
  int64_t got = -1;
  int rc = soc_event_get_int(ev, f, &got);
  if (want < 0 && rc != -ENOENT)
    fail_msg("%s: %s should be unset, is %lld", line, soc_ecs_field_name(f), (long long)got);
  if (want >= 0 && (rc || got != want))
    fail_msg("%s: %s is %lld, expected %lld", line, soc_ecs_field_name(f), (long long)got,
             (long long)want);
}

/* The event's JSON, parsed back. */
static struct fjson_object *as_json(const soc_event *ev) {
  char *json = NULL;
  assert_int_equal(soc_event_to_json(ev, &json, NULL), 0);
  struct fjson_object *o = fjson_tokener_parse(json);
  if (!o) fail_msg("not JSON: %s", json);
  free(json);
  return o;
}

static int has_tag(const soc_event *ev, const char *tag) {
  struct fjson_object *root = as_json(ev), *tags;
  int found = 0;
  if (fjson_object_object_get_ex(root, "tags", &tags))
    for (int i = 0; i < fjson_object_array_length(tags); i++)
      if (!strcmp(fjson_object_get_string(fjson_object_array_get_idx(tags, i)), tag)) found = 1;
  fjson_object_put(root);
  return found;
}

/* log.syslog.structured_data.<id>.<name>, copied; NULL when absent. */
static char *sd_value(const soc_event *ev, const char *id, const char *name) {
  struct fjson_object *root = as_json(ev), *o = root;
  const char *path[] = {"log", "syslog", "structured_data", id, name};
  char *v = NULL;
  size_t i;
  for (i = 0; i < 5 && fjson_object_object_get_ex(o, path[i], &o); i++) continue;
  if (i == 5) v = strdup(fjson_object_get_string(o));
  fjson_object_put(root);
  return v;
}

static size_t sd_count(const soc_event *ev) {
  struct fjson_object *root = as_json(ev), *o;
  size_t n = 0;
  if (fjson_object_object_get_ex(root, "log", &o) && fjson_object_object_get_ex(o, "syslog", &o) &&
      fjson_object_object_get_ex(o, "structured_data", &o)) {
    struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it))
      n += (size_t)fjson_object_object_length(fjson_object_iter_peek_value(&it));
  }
  fjson_object_put(root);
  return n;
}

static void check(const expect *e, const soc_syslog_opts *o) {
  size_t len = e->len ? e->len : strlen(e->line);
  soc_event *ev = soc_event_new();
  int64_t ts = -1;
  assert_non_null(ev);
  soc_syslog_format form = soc_syslog_parse(e->line, len, o, ev);
  if (form != e->form) fail_msg("%s: form %d, expected %d", e->line, form, e->form);
  assert_int_equal(soc_event_get_time(ev, &ts), 0);
  if (ts != e->ts_ns)
    fail_msg("%s: @timestamp %lld, expected %lld", e->line, (long long)ts, (long long)e->ts_ns);
  check_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, e->pri < 0 ? -1 : e->pri >> 3, e->line);
  check_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, e->pri < 0 ? -1 : e->pri & 7, e->line);
  check_str(ev, SOC_ECS_HOST_NAME, e->host, e->line);
  check_str(ev, SOC_ECS_LOG_SYSLOG_HOSTNAME, e->host, e->line);
  check_str(ev, SOC_ECS_PROCESS_NAME, e->app, e->line);
  check_str(ev, SOC_ECS_LOG_SYSLOG_APPNAME, e->app, e->line);
  check_str(ev, SOC_ECS_LOG_SYSLOG_PROCID, e->procid, e->line);
  check_str(ev, SOC_ECS_LOG_SYSLOG_MSGID, e->msgid, e->line);
  check_int(ev, SOC_ECS_PROCESS_PID, e->pid, e->line);
  check_str(ev, SOC_ECS_LOG_SYSLOG_VERSION, e->form == SOC_SYSLOG_RFC5424 ? "1" : NULL, e->line);
  check_str(ev, SOC_ECS_MESSAGE, e->message, e->line);
  if (has_tag(ev, "syslog_unparsed") != (e->form == SOC_SYSLOG_RAW))
    fail_msg("%s: syslog_unparsed tag wrong", e->line);

  /* peek sees the same host and time */
  char host[300];
  int64_t pts = -1;
  assert_int_equal(soc_syslog_peek(e->line, len, o, host, sizeof host, &pts), e->form);
  assert_string_equal(host, e->host ? e->host : "");
  assert_int_equal(pts, e->ts_ns);
  soc_event_free(ev);
}

static void check_all(const expect *e, size_t n, const soc_syslog_opts *o) {
  for (size_t i = 0; i < n; i++) check(&e[i], o);
}

#define T(s) ((s)*NS)

static void test_rfc3164(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  static const expect cases[] = {
      /* loghub OpenSSH_2k.log, first line; no PRI */
      {"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for "
       "ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
       0, SOC_SYSLOG_RFC3164, T(1765349746), -1, "LabSZ", "sshd", "24200", NULL, 24200,
       "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] "
       "failed - POSSIBLE BREAK-IN ATTEMPT!"},
      /* RFC 3164 section 5.4's first example */
      {"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", 0,
       SOC_SYSLOG_RFC3164, T(1791756855), 34, "mymachine", "su", NULL, NULL, -1,
       "'su root' failed for lonvick on /dev/pts/8"},
      {"<13>Nov 25 07:23:31 web01 sshd[123]: Accepted publickey for root", 0, SOC_SYSLOG_RFC3164,
       T(1795591411), 13, "web01", "sshd", "123", NULL, 123, "Accepted publickey for root"},
      /* PRI 0 and 191 are the bounds */
      {"<0>Nov 25 07:23:31 h k: m", 0, SOC_SYSLOG_RFC3164, T(1795591411), 0, "h", "k", NULL, NULL,
       -1, "m"},
      {"<191>Nov 25 07:23:31 h k: m", 0, SOC_SYSLOG_RFC3164, T(1795591411), 191, "h", "k", NULL,
       NULL, -1, "m"},
      /* single-digit day: two spaces as the RFC says, or one */
      {"Nov  5 07:23:31 web01 kernel: eth0 up", 0, SOC_SYSLOG_RFC3164, T(1793863411), -1, "web01",
       "kernel", NULL, NULL, -1, "eth0 up"},
      {"Nov 5 07:23:31 web01 kernel: eth0 up", 0, SOC_SYSLOG_RFC3164, T(1793863411), -1, "web01",
       "kernel", NULL, NULL, -1, "eth0 up"},
      {"nov 05 07:23:31 web01 kernel: eth0 up", 0, SOC_SYSLOG_RFC3164, T(1793863411), -1, "web01",
       "kernel", NULL, NULL, -1, "eth0 up"},
      /* no host: the token after the time is the TAG */
      {"<13>Nov 25 07:23:31 sshd[1]: msg", 0, SOC_SYSLOG_RFC3164, T(1795591411), 13, NULL, "sshd",
       "1", NULL, 1, "msg"},
      {"<13>Nov 25 07:23:31 kernel: msg", 0, SOC_SYSLOG_RFC3164, T(1795591411), 13, NULL, "kernel",
       NULL, NULL, -1, "msg"},
      {"<13>Nov 25 07:23:31 sshd[1] msg", 0, SOC_SYSLOG_RFC3164, T(1795591411), 13, NULL, "sshd",
       "1", NULL, 1, "msg"},
      /* a host and no TAG */
      {"Nov 25 07:23:31 web01 -- MARK --", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", NULL,
       NULL, NULL, -1, "-- MARK --"},
      {"Nov 25 07:23:31 web01 http://example.tw/x is down", 0, SOC_SYSLOG_RFC3164, T(1795591411),
       -1, "web01", NULL, NULL, NULL, -1, "http://example.tw/x is down"},
      {"Nov 25 07:23:31 web01 backup done at 12:30 today", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1,
       "web01", NULL, NULL, NULL, -1, "backup done at 12:30 today"},
      /* TAG forms: long, with slashes, without ':' after [PID], ':' without space */
      {"Nov 25 07:23:31 web01 org.freedesktop.impl.portal.PermissionStore[1234]: ok", 0,
       SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01",
       "org.freedesktop.impl.portal.PermissionStore", "1234", NULL, 1234, "ok"},
      {"Nov 25 07:23:31 mail postfix/smtpd[99]: connect from x", 0, SOC_SYSLOG_RFC3164,
       T(1795591411), -1, "mail", "postfix/smtpd", "99", NULL, 99, "connect from x"},
      {"Nov 25 07:23:31 web01 app[7] no colon", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01",
       "app", "7", NULL, 7, "no colon"},
      {"Nov 25 07:23:31 web01 app[7]:tight", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01",
       "app", "7", NULL, 7, "tight"},
      {"Nov 25 07:23:31 web01 app[main-thread]: x", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1,
       "web01", "app", "main-thread", NULL, -1, "x"},
      {"Nov 25 07:23:31 web01 sudo:", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", "sudo",
       NULL, NULL, -1, ""},
      {"Nov 25 07:23:31 web01 sudo:  two spaces kept", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1,
       "web01", "sudo", NULL, NULL, -1, " two spaces kept"},
      /* broken TAGs stay in the message */
      {"Nov 25 07:23:31 web01 app[7 x: y", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", NULL,
       NULL, NULL, -1, "app[7 x: y"},
      {"Nov 25 07:23:31 web01 app[7]x: y", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", NULL,
       NULL, NULL, -1, "app[7]x: y"},
      {"Nov 25 07:23:31 [x]: y", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, NULL, NULL, NULL, NULL,
       -1, "[x]: y"},
      /* a timestamp and nothing else; a host and nothing else */
      {"<13>Nov 25 07:23:31", 0, SOC_SYSLOG_RFC3164, T(1795591411), 13, NULL, NULL, NULL, NULL, -1,
       ""},
      {"Nov 25 07:23:31 web01", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", NULL, NULL, NULL,
       -1, ""},
      /* fractions and a year after the day (Cisco) */
      {"Nov 25 07:23:31.250 web01 a: b", 0, SOC_SYSLOG_RFC3164, T(1795591411) + 250000000, -1,
       "web01", "a", NULL, NULL, -1, "b"},
      {"Nov 25 2024 07:23:31 web01 a: b", 0, SOC_SYSLOG_RFC3164, T(1732519411), -1, "web01", "a",
       NULL, NULL, -1, "b"},
      /* RSYSLOG_FileFormat (Debian 12) and RSYSLOG_ForwardFormat */
      {"2026-11-25T07:23:31.123456+08:00 web01 sshd[123]: Failed password for root from "
       "203.0.113.5 port 22 ssh2",
       0, SOC_SYSLOG_RFC3164, T(1795562611) + 123456000, -1, "web01", "sshd", "123", NULL, 123,
       "Failed password for root from 203.0.113.5 port 22 ssh2"},
      {"<86>2026-11-25T07:23:31-05:30 web01 CRON[5]: x", 0, SOC_SYSLOG_RFC3164,
       T(1795591411 + 19800), 86, "web01", "CRON", "5", NULL, 5, "x"},
      {"2026-11-25T07:23:31Z web01 kernel: [12.5] usb 1-1: new device", 0, SOC_SYSLOG_RFC3164,
       T(1795591411), -1, "web01", "kernel", NULL, NULL, -1, "[12.5] usb 1-1: new device"},
      /* leap second, zoneless RFC 3339 (the input's zone applies) */
      {"2016-12-31T23:59:60.5Z h a: b", 0, SOC_SYSLOG_RFC3164, T(1483228799) + 500000000, -1, "h",
       "a", NULL, NULL, -1, "b"},
      {"2026-11-25T07:23:31 h a: b", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "h", "a", NULL, NULL,
       -1, "b"},
      {"Dec 31 23:59:60 h a: leap", 0, SOC_SYSLOG_RFC3164, T(1798761599 - 365 * 86400), -1, "h",
       "a", NULL, NULL, -1, "leap"},
      /* one line terminator is framing */
      {"Nov 25 07:23:31 web01 a: b\r\n", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", "a",
       NULL, NULL, -1, "b"},
      {"Nov 25 07:23:31 web01 a: b\n\n", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", "a",
       NULL, NULL, -1, "b\n"},
      /* a pid too long for an integer is still the procid */
      {"Nov 25 07:23:31 h a[1234567890123456789]: b", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "h",
       "a", "1234567890123456789", NULL, -1, "b"},
      {"Nov 25 07:23:31 h a[123456789012345678]: b", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "h",
       "a", "123456789012345678", NULL, 123456789012345678, "b"},
  };
  check_all(cases, sizeof cases / sizeof cases[0], &o);
}

static void test_tag_length(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  char line[512], tag[200];
  memset(tag, 'x', sizeof tag);
  for (size_t n = 120; n <= 130; n++) {
    snprintf(line, sizeof line, "Nov 25 07:23:31 h %.*s[1]: m", (int)n, tag);
    soc_event *ev = soc_event_new();
    assert_int_equal(soc_syslog_parse(line, strlen(line), &o, ev), SOC_SYSLOG_RFC3164);
    const char *app = soc_event_get_str(ev, SOC_ECS_PROCESS_NAME);
    if (n <= 128) {
      assert_non_null(app);
      assert_int_equal(strlen(app), n);
      assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "m");
    } else {
      assert_null(app);
      assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), line + 18);
    }
    soc_event_free(ev);
  }
}

/* What the TAG of body[0..n) is, byte by byte as RFC 3164 reads it: the
 * app, the pid (each as an offset and a length, 0 when there is none) and
 * where the message starts. The parse looks bytes up in a table; this is
 * the plain reading it must agree with. */
typedef struct tag_ref {
  size_t app, appn, pid, pidn, msg;
} tag_ref;

static int ref_token(unsigned char c) { return c > ' ' && c != 0x7F; }

static tag_ref ref_tag(const unsigned char *b, size_t n) {
  tag_ref r = {0};
  size_t i = 0, pid = 0, pid_end = 0;
  while (i < n && i < 128 && ref_token(b[i]) && b[i] != '[' && b[i] != ':') i++;
  if (i == 0 || i == n) return r;
  r.appn = i;
  if (b[i] == '[') {
    pid = ++i;
    while (i < n && i - pid < 128 && ref_token(b[i]) && b[i] != ']') i++;
    if (i == n || b[i] != ']') return (tag_ref){0};
    pid_end = i++;
    if (i < n && b[i] == ':')
      i++;
    else if (i < n && b[i] != ' ')
      return (tag_ref){0};
    r.pid = pid;
    r.pidn = pid_end - pid;
  } else if (b[i] == ':') {
    i++;
    if (i < n && b[i] != ' ') return (tag_ref){0};
  } else {
    return (tag_ref){0};
  }
  r.msg = i < n && b[i] == ' ' ? i + 1 : i;
  return r;
}

/* Field f of ev is what setting v[0..n) gives (unset when n is 0, but the
 * message, which is always set). */
static void same_as_set(const soc_event *ev, soc_ecs_field f, const char *v, size_t n) {
  soc_event *want = soc_event_new();
  assert_non_null(want);
  if (n || f == SOC_ECS_MESSAGE) assert_int_equal(soc_event_set_str(want, f, v, n), 0);
  const char *a = soc_event_get_str(ev, f), *b = soc_event_get_str(want, f);
  if ((a != NULL) != (b != NULL))
    fail_msg("%s: '%s', expected '%s'", soc_ecs_field_name(f), a ? a : "(unset)",
             b ? b : "(unset)");
  if (a) assert_string_equal(a, b);
  soc_event_free(want);
}

/* Every byte in each place of a TAG and its PID, and PIDs about the
 * longest one: the app, the procid and the message are the plain
 * reading's. */
static void test_tag_bytes(void **state) {
  (void)state;
  static const char *const shapes[] = {"ta%cg[12]: m", "tag[1%c2]: m", "tag%c m",
                                       "tag[12]%cm",   "%ctag: m",     "tag:%cm"};
  soc_syslog_opts o = opts_at("UTC", RECV);
  const char head[] = "Nov 25 07:23:31 h ";
  char line[512], body[300];
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0] + 5; k++)
    for (int c = 0; c < 256; c++) {
      size_t n;
      if (k < sizeof shapes / sizeof shapes[0]) {
        const char *at = strstr(shapes[k], "%c");
        size_t pre = (size_t)(at - shapes[k]);
        memcpy(body, shapes[k], pre);
        body[pre] = (char)c;
        memcpy(body + pre + 1, at + 2, strlen(at + 2));
        n = strlen(shapes[k]) - 1;
      } else { /* a PID of 126 to 130 bytes, and a byte after it */
        size_t digits = 126 + (k - sizeof shapes / sizeof shapes[0]);
        n = (size_t)snprintf(body, sizeof body, "t[%0*d", (int)digits, 0);
        body[n++] = (char)c;
        memcpy(body + n, ": m", 3);
        n += 3;
      }
      memcpy(line, head, LEN(head));
      memcpy(line + LEN(head), body, n);
      size_t lead = 0; /* the header's spaces before the TAG */
      while (lead < n && body[lead] == ' ') lead++;
      tag_ref r = ref_tag((const unsigned char *)body + lead, n - lead);
      r.app += lead;
      r.pid += lead;
      r.msg += lead;
      soc_event *ev = soc_event_new();
      assert_non_null(ev);
      assert_int_equal(soc_syslog_parse(line, LEN(head) + n, &o, ev), SOC_SYSLOG_RFC3164);
      same_as_set(ev, SOC_ECS_PROCESS_NAME, body + r.app, r.appn);
      same_as_set(ev, SOC_ECS_LOG_SYSLOG_PROCID, body + r.pid, r.pidn);
      same_as_set(ev, SOC_ECS_MESSAGE, body + r.msg, n - r.msg);
      soc_event_free(ev);
    }
}

static void test_rfc5424(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  static const expect cases[] = {
      /* RFC 5424 section 6.5, examples 1 and 2 (BOM before MSG) */
      {"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' "
       "failed for lonvick on /dev/pts/8",
       0, SOC_SYSLOG_RFC5424, T(1065910455) + 3000000, 34, "mymachine.example.com", "su", NULL,
       "ID47", -1, "'su root' failed for lonvick on /dev/pts/8"},
      {"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
       "the do-nuts.",
       0, SOC_SYSLOG_RFC5424, T(1061727255) + 3000, 165, "192.0.2.1", "myproc", "8710", NULL, 8710,
       "%% It's time to make the do-nuts."},
      /* example 4: structured data and no MSG */
      {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
       "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
       "class=\"high\"]",
       0, SOC_SYSLOG_RFC5424, T(1065910455) + 3000000, 165, "mymachine.example.com", "evntslog",
       NULL, "ID47", -1, ""},
      /* every field NILVALUE: the receive time stands in */
      {"<13>1 - - - - - -", 0, SOC_SYSLOG_RFC5424, T(RECV), 13, NULL, NULL, NULL, NULL, -1, ""},
      {"<13>1 - - - - -", 0, SOC_SYSLOG_RFC5424, T(RECV), 13, NULL, NULL, NULL, NULL, -1, ""},
      {"<13>1 - - - - - - ", 0, SOC_SYSLOG_RFC5424, T(RECV), 13, NULL, NULL, NULL, NULL, -1, ""},
      /* more than six fraction digits: kept to the nanosecond, the rest cut */
      {"<13>1 2026-11-25T07:23:31.1234567891234Z h a 1 m - x", 0, SOC_SYSLOG_RFC5424,
       T(1795591411) + 123456789, 13, "h", "a", "1", "m", 1, "x"},
      {"<13>1 2026-11-25T07:23:31.5+08:00 h a 1 m - x", 0, SOC_SYSLOG_RFC5424,
       T(1795562611) + 500000000, 13, "h", "a", "1", "m", 1, "x"},
      {"<13>1 2016-12-31T23:59:60Z h a - - - leap", 0, SOC_SYSLOG_RFC5424, T(1483228799), 13, "h",
       "a", NULL, NULL, -1, "leap"},
      /* no SD at all (a lazy sender): the rest is the message */
      {"<13>1 2026-11-25T07:23:31Z h a - - plain message", 0, SOC_SYSLOG_RFC5424, T(1795591411), 13,
       "h", "a", NULL, NULL, -1, "plain message"},
      /* malformed SD stays in the message, byte for byte */
      {"<13>1 2026-11-25T07:23:31Z h a - - [x@1 a=\"open] msg", 0, SOC_SYSLOG_RFC5424,
       T(1795591411), 13, "h", "a", NULL, NULL, -1, "[x@1 a=\"open] msg"},
      {"<13>1 2026-11-25T07:23:31Z h a - - [x@1 a=\"v\"]trailing", 0, SOC_SYSLOG_RFC5424,
       T(1795591411), 13, "h", "a", NULL, NULL, -1, "[x@1 a=\"v\"]trailing"},
      {"<13>1 2026-11-25T07:23:31Z h a - - [x@1 a=v] m", 0, SOC_SYSLOG_RFC5424, T(1795591411), 13,
       "h", "a", NULL, NULL, -1, "[x@1 a=v] m"},
      {"<13>1 2026-11-25T07:23:31Z h a - - [x@1a=\"v\"] m", 0, SOC_SYSLOG_RFC5424, T(1795591411),
       13, "h", "a", NULL, NULL, -1, "[x@1a=\"v\"] m"},
      {"<13>1 2026-11-25T07:23:31Z h a - - [] m", 0, SOC_SYSLOG_RFC5424, T(1795591411), 13, "h",
       "a", NULL, NULL, -1, "[] m"},
      {"<13>1 2026-11-25T07:23:31Z h a - - -x m", 0, SOC_SYSLOG_RFC5424, T(1795591411), 13, "h",
       "a", NULL, NULL, -1, "-x m"},
      /* a BOM only counts right at the start of MSG */
      {"<13>1 2026-11-25T07:23:31Z h a - - - x\xEF\xBB\xBFy", 0, SOC_SYSLOG_RFC5424, T(1795591411),
       13, "h", "a", NULL, NULL, -1, "x\xEF\xBB\xBFy"},
  };
  check_all(cases, sizeof cases / sizeof cases[0], &o);
}

static soc_event *parsed(const char *line, const soc_syslog_opts *o, soc_syslog_format form) {
  soc_event *ev = soc_event_new();
  assert_non_null(ev);
  assert_int_equal(soc_syslog_parse(line, strlen(line), o, ev), form);
  return ev;
}

static void assert_sd(const soc_event *ev, const char *id, const char *name, const char *want) {
  char *got = sd_value(ev, id, name);
  if (!got || strcmp(got, want))
    fail_msg("SD %s.%s is '%s', expected '%s'", id, name, got ? got : "(absent)", want);
  free(got);
}

static void test_structured_data(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  soc_event *ev = parsed(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF"
      "An application event log entry...",
      &o, SOC_SYSLOG_RFC5424);
  assert_sd(ev, "exampleSDID@32473", "iut", "3");
  assert_sd(ev, "exampleSDID@32473", "eventSource", "Application");
  assert_sd(ev, "exampleSDID@32473", "eventID", "1011");
  assert_int_equal(sd_count(ev), 3);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "An application event log entry...");
  soc_event_free(ev);

  ev = parsed(
      "<165>1 2003-10-11T22:14:15.003Z h e - ID47 [exampleSDID@32473 iut=\"3\"]"
      "[examplePriority@32473 class=\"high\"]",
      &o, SOC_SYSLOG_RFC5424);
  assert_sd(ev, "exampleSDID@32473", "iut", "3");
  assert_sd(ev, "examplePriority@32473", "class", "high");
  assert_int_equal(sd_count(ev), 2);
  soc_event_free(ev);

  /* escapes: \" \\ \] become the character; any other backslash stays */
  ev = parsed(
      "<13>1 2026-11-25T07:23:31Z h a - - [x@1 q=\"say \\\"hi\\\"\" b=\"a\\\\b\" "
      "c=\"[1\\]\" d=\"C:\\temp\\n\" e=\"\" f=\"un]escaped\" g=\"\\\\\"] after",
      &o, SOC_SYSLOG_RFC5424);
  assert_sd(ev, "x@1", "q", "say \"hi\"");
  assert_sd(ev, "x@1", "b", "a\\b");
  assert_sd(ev, "x@1", "c", "[1]");
  assert_sd(ev, "x@1", "d", "C:\\temp\\n");
  assert_sd(ev, "x@1", "e", "");
  assert_sd(ev, "x@1", "f", "un]escaped");
  assert_sd(ev, "x@1", "g", "\\");
  assert_int_equal(sd_count(ev), 7);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "after");
  soc_event_free(ev);

  /* UTF-8 values pass; a malformed element adds nothing at all */
  ev = parsed("<13>1 2026-11-25T07:23:31Z h a - - [meta@1 who=\"\xE5\xBC\xB5\xE4\xB8\x89\"] m", &o,
              SOC_SYSLOG_RFC5424);
  assert_sd(ev, "meta@1", "who", "\xE5\xBC\xB5\xE4\xB8\x89");
  soc_event_free(ev);
  ev = parsed("<13>1 2026-11-25T07:23:31Z h a - - [ok@1 a=\"1\"][bad@1 b=\"2] m", &o,
              SOC_SYSLOG_RFC5424);
  assert_int_equal(sd_count(ev), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "[ok@1 a=\"1\"][bad@1 b=\"2] m");
  soc_event_free(ev);

  /* Long escaped values: "\]" 32,818 times fits; "\\y" 40,000 times
   * (80,000 bytes once unescaped) is cut at the event's cap and flagged. */
  const size_t k = (SOC_EVENT_VALUE_MAX + 100) / 2, m = 40000;
  char *line = malloc(3 * m + 100);
  assert_non_null(line);
  size_t off = (size_t)snprintf(line, 100, "<13>1 - h a - - [big@1 v=\"");
  for (size_t i = 0; i < k; i++) memcpy(line + off + 2 * i, "\\]", 2);
  strcpy(line + off + 2 * k, "\"] tail");
  ev = parsed(line, &o, SOC_SYSLOG_RFC5424);
  char *v = sd_value(ev, "big@1", "v");
  assert_non_null(v);
  assert_int_equal(strlen(v), k);
  assert_int_equal(strspn(v, "]"), k);
  assert_false(soc_event_flags(ev) & SOC_EVENT_TRUNCATED);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "tail");
  free(v);
  soc_event_free(ev);
  for (size_t i = 0; i < m; i++) memcpy(line + off + 3 * i, "\\\\y", 3);
  strcpy(line + off + 3 * m, "\"] tail");
  ev = parsed(line, &o, SOC_SYSLOG_RFC5424);
  v = sd_value(ev, "big@1", "v");
  assert_non_null(v);
  assert_int_equal(strlen(v), SOC_EVENT_VALUE_MAX);
  assert_memory_equal(v, "\\y\\y", 4);
  assert_true(soc_event_flags(ev) & SOC_EVENT_TRUNCATED);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "tail");
  free(v);
  soc_event_free(ev);
  free(line);
}

/* The year of a BSD timestamp, at the edges of the window. */
static void test_year_inference(void **state) {
  (void)state;
  static const struct {
    const char *line;
    int64_t recv_s;
    soc_syslog_format form;
    int64_t want_s; /* -1: raw, receive time */
  } cases[] = {
      /* a December line received on New Year's Day: last year */
      {"Dec 31 23:59:59 h a: m", 1798761610, SOC_SYSLOG_RFC3164, 1798761599},
      /* a line up to a day ahead of the receive clock: that day */
      {"Jan  1 00:00:05 h a: m", 1798761590, SOC_SYSLOG_RFC3164, 1798761605},
      {"Nov 26 08:00:00 h a: m", RECV, SOC_SYSLOG_RFC3164, 1795680000},
      /* a second more, or two days: a year earlier */
      {"Nov 26 08:00:01 h a: m", RECV, SOC_SYSLOG_RFC3164, 1764144001},
      {"Nov 27 08:00:00 h a: m", RECV, SOC_SYSLOG_RFC3164, 1764230400},
      /* just past: this year */
      {"Nov 25 07:59:59 h a: m", RECV, SOC_SYSLOG_RFC3164, 1795593599},
      {"Jan  1 00:00:00 h a: m", RECV, SOC_SYSLOG_RFC3164, 1767225600},
      /* Feb 29: in the year before a common receive year */
      {"Feb 29 07:00:00 h a: m", 1736467200, SOC_SYSLOG_RFC3164, 1709190000},
      /* in the leap receive year itself, also a little ahead */
      {"Feb 29 00:30:00 h a: m", 1835391600, SOC_SYSLOG_RFC3164, 1835397000},
      /* two common years after the last Feb 29: raw, the date text kept */
      {"Feb 29 07:00:00 h a: m", 1772323200, SOC_SYSLOG_RAW, -1},
      /* impossible dates are raw whatever the year */
      {"Feb 30 07:00:00 h a: m", RECV, SOC_SYSLOG_RAW, -1},
      {"Nov 31 07:00:00 h a: m", RECV, SOC_SYSLOG_RAW, -1},
      /* receive times near the epoch's ends do not overflow */
      {"Jan  1 00:00:00 h a: m", 0, SOC_SYSLOG_RFC3164, 0},
      {"Dec 31 23:59:59 h a: m", 0, SOC_SYSLOG_RFC3164, -1},
      {"Apr 11 23:47:16 h a: m", INT64_MAX / NS, SOC_SYSLOG_RFC3164, INT64_MAX / NS},
      /* the year that fits is past what int64 nanoseconds hold: raw */
      {"Apr 11 23:47:17 h a: m", INT64_MAX / NS, SOC_SYSLOG_RAW, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    soc_syslog_opts o = opts_at("UTC", cases[i].recv_s);
    soc_event *ev = soc_event_new();
    int64_t ts;
    assert_int_equal(soc_syslog_parse(cases[i].line, strlen(cases[i].line), &o, ev), cases[i].form);
    assert_int_equal(soc_event_get_time(ev, &ts), 0);
    int64_t want = cases[i].form == SOC_SYSLOG_RAW ? o.recv_ns : cases[i].want_s * NS;
    if (ts != want)
      fail_msg("%s at %lld: %lld, expected %lld", cases[i].line, (long long)cases[i].recv_s,
               (long long)ts, (long long)want);
    if (cases[i].form == SOC_SYSLOG_RAW)
      assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), cases[i].line);
    soc_event_free(ev);
  }
}

/* Times without a zone take the input's; times with one ignore it. */
static void test_zones(void **state) {
  (void)state;
  soc_syslog_opts tp = opts_at("Asia/Taipei", RECV), ny = opts_at("America/New_York", RECV);
  static const expect taipei[] = {
      {"Nov 25 07:23:31 web01 a: b", 0, SOC_SYSLOG_RFC3164, T(1795562611), -1, "web01", "a", NULL,
       NULL, -1, "b"},
      {"2026-11-25T07:23:31 web01 a: b", 0, SOC_SYSLOG_RFC3164, T(1795562611), -1, "web01", "a",
       NULL, NULL, -1, "b"},
      {"2026-11-25T07:23:31Z web01 a: b", 0, SOC_SYSLOG_RFC3164, T(1795591411), -1, "web01", "a",
       NULL, NULL, -1, "b"},
      {"<13>1 2026-11-25T07:23:31-05:00 web01 a - - - b", 0, SOC_SYSLOG_RFC5424, T(1795609411), 13,
       "web01", "a", NULL, NULL, -1, "b"},
  };
  check_all(taipei, sizeof taipei / sizeof taipei[0], &tp);
  /* New Year in Taipei is still the old year in UTC: the year comes out
   * right although the receive time's UTC year is the old one. */
  soc_syslog_opts tp_ny = opts_at("Asia/Taipei", 1798747200); /* 2026-12-31T20:00:00Z */
  static const expect newyear[] = {
      {"Jan  1 04:00:00 h a: b", 0, SOC_SYSLOG_RFC3164, T(1798747200), -1, "h", "a", NULL, NULL, -1,
       "b"},
  };
  check_all(newyear, 1, &tp_ny);
  /* New York: the repeated hour takes the earlier instant, the skipped one
   * the offset from before; one line either side of each change. */
  ny = opts_at("America/New_York", 1793600000); /* 2026-11-02 */
  static const expect fall[] = {
      {"Nov  1 00:59:59 h a: b", 0, SOC_SYSLOG_RFC3164, T(1793509199), -1, "h", "a", NULL, NULL, -1,
       "b"},
      {"Nov  1 01:30:00 h a: b", 0, SOC_SYSLOG_RFC3164, T(1793511000), -1, "h", "a", NULL, NULL, -1,
       "b"},
      {"Nov  1 02:00:00 h a: b", 0, SOC_SYSLOG_RFC3164, T(1793516400), -1, "h", "a", NULL, NULL, -1,
       "b"},
  };
  check_all(fall, 3, &ny);
  ny = opts_at("America/New_York", 1773000000); /* 2026-03-08T20:00Z */
  static const expect spring[] = {
      {"Mar  8 01:59:59 h a: b", 0, SOC_SYSLOG_RFC3164, T(1772953199), -1, "h", "a", NULL, NULL, -1,
       "b"},
      {"Mar  8 02:30:00 h a: b", 0, SOC_SYSLOG_RFC3164, T(1772955000), -1, "h", "a", NULL, NULL, -1,
       "b"},
      {"Mar  8 03:00:00 h a: b", 0, SOC_SYSLOG_RFC3164, T(1772953200), -1, "h", "a", NULL, NULL, -1,
       "b"},
  };
  check_all(spring, 3, &ny);
}

/* Lines we cannot read: raw, receive time, tagged, the line is the message. */
static void test_raw_fallback(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  static const char *const lines[] = {
      "",
      "x",
      /* loghub Apache_2k.log */
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
      /* PRI out of range or malformed */
      "<192>Nov 25 07:23:31 web01 sshd[1]: m",
      "<999>Nov 25 07:23:31 web01 sshd[1]: m",
      "<0013>Nov 25 07:23:31 web01 sshd[1]: m",
      "<99999999999999999999>1 - - - - - -",
      "<>Nov 25 07:23:31 web01 sshd[1]: m",
      "<-1>Nov 25 07:23:31 web01 sshd[1]: m",
      "<13",
      "<13>",
      "<13>Nov",
      "<html><body>",
      /* Cisco sequence numbers and '*' (unsynchronised clock) */
      "<189>123: *Nov 25 07:23:31.123: %SYS-5-CONFIG_I: Configured from console by vty0",
      "<189>Nov 25 07:23:31: %SYS-5-CONFIG_I: Configured",
      /* BSD timestamps cut short or wrong */
      "Nov 25 07:23 web01 a: b",
      "Nov 25 7:23:31 web01 a: b",
      "Nov 25 07:23:31x web01 a: b",
      "Nov 25 07:23:61 web01 a: b",
      "Nov 25 24:00:00 web01 a: b",
      "Nov 32 07:23:31 web01 a: b",
      "Nov 0 07:23:31 web01 a: b",
      "Nov   5 07:23:31 web01 a: b",
      "Foo 25 07:23:31 web01 a: b",
      "Nov 25 07:23:31. web01 a: b",
      "Nov-25 07:23:31 web01 a: b",
      /* RFC 3339 timestamps cut short or wrong */
      "2026-11-25T07:23:31+08 web01 a: b",
      "2026-13-25T07:23:31Z web01 a: b",
      "2026-02-29T07:23:31Z web01 a: b",
      "2026-11-25T07:23:31+24:00 web01 a: b",
      "2026-11-25T07:23:31.Z web01 a: b",
      "12026-11-25T07:23:31Z web01 a: b",
      /* RFC 5424 headers cut short or wrong */
      "<13>1 2026-11-25T07:23:31Z web01 app",
      "<13>1 2026-11-25T07:23:31Z web01 app 1",
      "<13>1 2026-11-25T07:23:31Z web01",
      "<13>1 2026-11-25T07:23:31Z",
      "<13>1 ",
      "<13>1 2026-11-25T07:23:31Z  web01 app 1 m - x",
      "<13>1 2026-11-25T07:23:31Zx web01 app 1 m - x",
      "<13>1 -x web01 app 1 m - x",
      "<13>2 2026-11-25T07:23:31Z web01 app 1 m - x",
      "<13>1 2026-11-25t07:23:31 web01 app\t1 m - x",
      "<13>1 0000-01-01T00:00:00Z h a - - - year zero is before int64 nanoseconds",
      "<13>1 9999-12-31T23:59:59Z h a - - - so is 9999",
      "1 2026-11-25T07:23:31Z web01 app 1 m - no PRI",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    const expect e = {lines[i], 0,    SOC_SYSLOG_RAW, T(RECV), -1,      NULL,
                      NULL,     NULL, NULL,           -1,      lines[i]};
    check(&e, &o);
  }
}

/* Raw lines that carry a time we know keep it (issue 15): ISO 8601
 * prefixes and the access logs' [dd/Mon/yyyy:HH:MM:SS zone]; peek agrees;
 * others keep the receive time and are tagged time_from_read. */
static void test_raw_times(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("+08:00", RECV);
  static const struct {
    const char *line;
    int64_t want_s; /* -1: the receive time */
  } cases[] = {
      {"2026-11-25 07:23:31 web01 a: b", 1795593600 - 3600 + 23 * 60 + 31 - 8 * 3600},
      {"2026-11-25T07:23:31+0800 web01 a: b", 1795593600 - 3600 + 23 * 60 + 31 - 8 * 3600},
      {"2026-11-25 07:23:31Z app started", 1795593600 - 3600 + 23 * 60 + 31},
      {"2026-11-25 07:23:31,123 INFO [main] Server started",
       1795593600 - 3600 + 23 * 60 + 31 - 8 * 3600},
      {"2026-11-25 07:23:31-02:00 x", 1795593600 - 3600 + 23 * 60 + 31 + 2 * 3600},
      {"2026-11-25 07:23:31.5 no zone", 1795593600 - 3600 + 23 * 60 + 31 - 8 * 3600},
      {"203.0.113.9 - - [25/Nov/2026:12:01:01 +0800] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"",
       1795593600 - 8 * 3600 + 12 * 3600 + 61 - 8 * 3600},
      {"2001:db8::1 - bob [25/Nov/2026:04:01:01 +0000] \"GET / HTTP/1.1\" 404 5",
       1795593600 - 4 * 3600 + 61},
      {"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", -1},
      {"1.2.3.4 - - [25/Nov/2026:12:01:01] \"GET / HTTP/1.1\" 200 5", -1},
      {"1.2.3.4 - - [31/Nov/2026:12:01:01 +0800] \"GET / HTTP/1.1\" 200 5", -1},
      {"2026-11-25T07:23:31+08 web01 a: b", -1},
      {"2026-11-25 07:23:31x", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    soc_event *ev = soc_event_new();
    int64_t ts = 0, peeked = 0;
    const char *line = cases[i].line;
    int64_t want = cases[i].want_s < 0 ? T(RECV) : T(cases[i].want_s);
    if (strstr(line, ":31.5 ")) want += NS / 2; /* the fraction is kept */
    assert_int_equal(soc_syslog_parse(line, strlen(line), &o, ev), SOC_SYSLOG_RAW);
    assert_int_equal(soc_event_get_time(ev, &ts), 0);
    if (ts != want) fail_msg("%s: time %lld, expected %lld", line, (long long)ts, (long long)want);
    assert_int_equal(soc_syslog_peek(line, strlen(line), &o, NULL, 0, &peeked), SOC_SYSLOG_RAW);
    assert_int_equal(peeked, want);
    if (has_tag(ev, "time_from_read") != (cases[i].want_s < 0))
      fail_msg("%s: time_from_read tag wrong", line);
    assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), line);
    soc_event_free(ev);
  }
}

/* The year inference remembers its last answer per thread (lines come many
 * to the second): the same header with another receive second, zone or
 * time must not get the remembered answer, and a repeat must get the same
 * one, a refusal included. */
static void test_year_memo(void **state) {
  (void)state;
  static const char nov26[] = "Nov 26 08:00:00 h a: m", nov25[] = "Nov 25 07:00:00 h a: m",
                    feb29[] = "Feb 29 07:00:00 h a: m";
  const struct {
    const char *line;
    const char *zone;
    int64_t recv_s;
    int64_t want_s; /* -1: raw, receive time */
  } seq[] = {
      {nov26, "UTC", RECV, 1795680000},
      {nov26, "UTC", RECV, 1795680000},
      {nov26, "UTC", RECV - 1, 1764144000}, /* one second earlier: a day and a second ahead */
      {nov26, "UTC", RECV, 1795680000},
      {nov25, "UTC", RECV, RECV - 3600},
      {nov25, "+08:00", RECV, RECV - 3600 - 8 * 3600},
      {nov25, "+09:00", RECV, RECV - 3600 - 9 * 3600},
      {nov25, "Asia/Taipei", RECV, RECV - 3600 - 8 * 3600},
      {nov25, "America/New_York", RECV, RECV - 3600 + 5 * 3600},
      {nov25, "America/New_York", RECV, RECV - 3600 + 5 * 3600},
      {nov25, "Asia/Taipei", RECV, RECV - 3600 - 8 * 3600},
      {feb29, "UTC", 1772323200, -1},
      {feb29, "UTC", 1772323200, -1},
      {feb29, "UTC", 1736467200, 1709190000},
  };
  for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
    soc_syslog_opts o = opts_at(seq[i].zone, seq[i].recv_s);
    int64_t ts = 0;
    int64_t want = (seq[i].want_s < 0 ? seq[i].recv_s : seq[i].want_s) * NS;
    soc_syslog_format form = soc_syslog_peek(seq[i].line, strlen(seq[i].line), &o, NULL, 0, &ts);
    assert_int_equal(form, seq[i].want_s < 0 ? SOC_SYSLOG_RAW : SOC_SYSLOG_RFC3164);
    if (ts != want)
      fail_msg("step %zu, %s in %s: time %lld, expected %lld", i, seq[i].line, seq[i].zone,
               (long long)ts, (long long)want);
  }
}

/* Every month's name, in any case; a near miss is no BSD time. */
static void test_month_names(void **state) {
  (void)state;
  static const char *const names[] = {"Jan", "feb", "MAR", "Apr", "may", "JUN",
                                      "Jul", "aUG", "Sep", "oct", "Nov", "DEC"};
  soc_syslog_opts o = opts_at("UTC", 1798761599); /* 2026-12-31T23:59:59Z */
  for (int m = 1; m <= 12; m++) {
    char line[64];
    int64_t ts = 0;
    snprintf(line, sizeof line, "%s 10 12:00:00 h a: m", names[m - 1]);
    assert_int_equal(soc_syslog_peek(line, strlen(line), &o, NULL, 0, &ts), SOC_SYSLOG_RFC3164);
    assert_int_equal(ts, (soc_tz_days_from_civil(2026, m, 10) * 86400 + 12 * 3600) * NS);
  }
  static const char *const near[] = {"Jam 10 12:00:00 h a: m", "Nox 10 12:00:00 h a: m",
                                     "J@n 10 12:00:00 h a: m", "Ja  10 12:00:00 h a: m",
                                     "Jun\xa0 10 12:00:00 h a: m"};
  for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
    int64_t ts = 0;
    soc_syslog_format f = soc_syslog_peek(near[i], strlen(near[i]), &o, NULL, 0, &ts);
    if (f != SOC_SYSLOG_RAW) fail_msg("'%s' read as a BSD time", near[i]);
  }
}

/* Bytes that are not text never cost the line: they are repaired in
 * place (U+FFFD) and flagged, in raw and in parsed lines alike. */
static void test_not_text(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  soc_event *ev = soc_event_new();
  /* 資安 in Big5, a NUL, a lone continuation byte */
  static const char raw[] = "\xb8\xea\xa6w \x00 \x80 end";
  assert_int_equal(soc_syslog_parse(raw, LEN(raw), &o, ev), SOC_SYSLOG_RAW);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE),
                      "\xEF\xBF\xBD\xEF\xBF\xBDw \xEF\xBF\xBD \xEF\xBF\xBD end");
  assert_true(soc_event_flags(ev) & SOC_EVENT_INVALID_UTF8);
  soc_event_free(ev);

  ev = soc_event_new();
  static const char line[] =
      "<13>Nov 25 07:23:31 web\xff"
      "01 app\xb8\xea[1]: \xb8\xea\xa6w\x00x";
  assert_int_equal(soc_syslog_parse(line, LEN(line), &o, ev), SOC_SYSLOG_RFC3164);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME),
                      "web\xEF\xBF\xBD"
                      "01");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_PROCESS_NAME), "app\xEF\xBF\xBD\xEF\xBF\xBD");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE),
                      "\xEF\xBF\xBD\xEF\xBF\xBDw\xEF\xBF\xBDx");
  char host[64];
  assert_int_equal(soc_syslog_peek(line, LEN(line), &o, host, sizeof host, NULL),
                   SOC_SYSLOG_RFC3164);
  assert_string_equal(host,
                      "web\xEF\xBF\xBD"
                      "01");
  soc_event_free(ev);

  /* a control byte inside the token after the time: no host, kept */
  ev = soc_event_new();
  static const char ctl[] =
      "Nov 25 07:23:31 we\x01"
      "b a: b";
  assert_int_equal(soc_syslog_parse(ctl, LEN(ctl), &o, ev), SOC_SYSLOG_RFC3164);
  assert_null(soc_event_get_str(ev, SOC_ECS_HOST_NAME));
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE),
                      "we\x01"
                      "b a: b");
  soc_event_free(ev);

  /* the whole of a huge raw line, up to the event's cap */
  size_t n = SOC_EVENT_VALUE_MAX - 10;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, 'a', n);
  ev = soc_event_new();
  assert_int_equal(soc_syslog_parse(big, n, &o, ev), SOC_SYSLOG_RAW);
  assert_int_equal(strlen(soc_event_get_str(ev, SOC_ECS_MESSAGE)), n);
  assert_int_equal(soc_event_flags(ev), 0);
  soc_event_free(ev);
  free(big);
}

/* peek's host, whatever the buffer: ASCII copied as it is, the rest (and
 * what does not fit) as soc_utf8_repair writes it. */
static void test_peek_host_as_repaired(void **state) {
  (void)state;
  const char *hosts[] = {
      "h",
      "web1",
      "host-of-16-bytes",
      "caf\xc3\xa9",
      "bad\xff\xfe",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
  const size_t caps[] = {1, 2, 5, 8, 9, 12, 13, 17, 25, 26, 300};
  for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
      char line[200], got[300], want[300];
      int64_t ts;
      snprintf(line, sizeof line, "<13>Oct 11 22:14:15 %s app: hi", hosts[i]);
      memset(got, 'x', sizeof got);
      assert_int_equal(soc_syslog_peek(line, strlen(line), NULL, got, caps[c], &ts),
                       SOC_SYSLOG_RFC3164);
      (void)soc_utf8_repair(hosts[i], strlen(hosts[i]), want, caps[c], NULL, NULL);
      assert_string_equal(got, want);
    }
}

static void test_peek(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  char host[8];
  int64_t ts = 0;
  static const char line[] = "<13>Nov 25 07:23:31 web01.example.gov.tw sshd[1]: m";
  assert_int_equal(soc_syslog_peek(line, LEN(line), &o, host, sizeof host, &ts),
                   SOC_SYSLOG_RFC3164);
  assert_string_equal(host, "web01.e"); /* cut to hostcap - 1 */
  assert_int_equal(ts, T(1795591411));
  assert_int_equal(soc_syslog_peek(line, LEN(line), &o, host, 1, NULL), SOC_SYSLOG_RFC3164);
  assert_string_equal(host, "");
  assert_int_equal(soc_syslog_peek(line, LEN(line), &o, NULL, 0, NULL), SOC_SYSLOG_RFC3164);
  /* a cut never splits a character: 資 is 3 bytes */
  static const char cjk[] = "Nov 25 07:23:31 ab\xE8\xB3\x87\xE5\xAE\x89 a: b";
  assert_int_equal(soc_syslog_peek(cjk, LEN(cjk), &o, host, 5, NULL), SOC_SYSLOG_RFC3164);
  assert_string_equal(host, "ab");
  assert_int_equal(soc_syslog_peek(cjk, LEN(cjk), &o, host, 6, NULL), SOC_SYSLOG_RFC3164);
  assert_string_equal(host, "ab\xE8\xB3\x87");
  /* raw: no host, the receive time */
  memset(host, 'x', sizeof host);
  assert_int_equal(soc_syslog_peek("garbage", 7, &o, host, sizeof host, &ts), SOC_SYSLOG_RAW);
  assert_string_equal(host, "");
  assert_int_equal(ts, T(RECV));
  /* a header parsed halfway before failing leaves nothing behind */
  assert_int_equal(
      soc_syslog_peek("<13>1 2025-01-01T00:00:00Z web01 x", 34, &o, host, sizeof host, &ts),
      SOC_SYSLOG_RAW);
  assert_string_equal(host, "");
  assert_int_equal(ts, T(RECV));
}

static void test_null_arguments(void **state) {
  (void)state;
  soc_event *ev = soc_event_new();
  char host[8] = "x";
  int64_t ts = 5;
  assert_int_equal(soc_syslog_parse(NULL, 10, NULL, ev), SOC_SYSLOG_RAW);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "");
  assert_int_equal(soc_event_get_time(ev, &ts), 0);
  assert_int_equal(ts, 0);
  assert_int_equal(soc_syslog_parse("Nov 25 07:23:31 h a: b", 22, NULL, NULL), SOC_SYSLOG_RFC3164);
  assert_int_equal(soc_syslog_peek(NULL, 3, NULL, host, sizeof host, &ts), SOC_SYSLOG_RAW);
  assert_string_equal(host, "");
  /* without options: UTC, received at the epoch (so the year is 1970) */
  assert_int_equal(soc_syslog_peek("Jan  1 00:00:01 h a: b", 22, NULL, host, sizeof host, &ts),
                   SOC_SYSLOG_RFC3164);
  assert_int_equal(ts, T(1));
  soc_event_free(ev);
}

/* Every prefix of every line, each in a heap block of exactly its length
 * (ASan reports a read past it), parses, and peek agrees with parse. */
static void test_prefixes(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  static const char *const lines[] = {
      ("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
       "iut=\"3\" eventSource=\"Appl\\\"ication\" eventID=\"1011\"][p@1 c=\"h\"] \xEF\xBB\xBFmsg"),
      "<34>Oct 11 22:14:15 mymachine su[12]: 'su root' failed for lonvick on /dev/pts/8",
      "2026-11-25T07:23:31.123456+08:00 web01 sshd[123]: Failed password for root",
      "Nov  5 2024 07:23:31.5 h org.example.App: x",
      "<13>Nov 25 07:23:31 sshd[1]: msg",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    size_t len = strlen(lines[i]);
    for (size_t n = 0; n <= len; n++) {
      char *copy = malloc(n ? n : 1);
      char host[300];
      int64_t ts, pts;
      assert_non_null(copy);
      memcpy(copy, lines[i], n);
      soc_event *ev = soc_event_new();
      soc_syslog_format form = soc_syslog_parse(copy, n, &o, ev);
      assert_int_equal(soc_syslog_peek(copy, n, &o, host, sizeof host, &pts), form);
      assert_int_equal(soc_event_get_time(ev, &ts), 0);
      assert_int_equal(ts, pts);
      const char *h = soc_event_get_str(ev, SOC_ECS_HOST_NAME);
      assert_string_equal(host, h ? h : "");
      if (form == SOC_SYSLOG_RAW)
        assert_memory_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), copy, n);
      soc_event_free(ev);
      free(copy);
    }
  }
}

/* The sample files: every OpenSSH line parses with host LabSZ and a sshd
 * TAG; every Apache error-log line is raw and kept whole. */
static void test_sample_files(void **state) {
  (void)state;
  soc_syslog_opts o = opts_at("UTC", RECV);
  static const struct {
    const char *file;
    soc_syslog_format form;
  } files[] = {{"OpenSSH_2k.log", SOC_SYSLOG_RFC3164}, {"Apache_2k.log", SOC_SYSLOG_RAW}};
  for (size_t f = 0; f < 2; f++) {
    char path[512], buf[4096];
    size_t lines = 0;
    snprintf(path, sizeof path, "%s/logs/%s", SOC_TEST_DATA, files[f].file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    while (fgets(buf, sizeof buf, fp)) {
      size_t n = strlen(buf);
      soc_event *ev = soc_event_new();
      assert_int_equal(soc_syslog_parse(buf, n, &o, ev), files[f].form);
      if (files[f].form == SOC_SYSLOG_RFC3164) {
        assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME), "LabSZ");
        assert_string_equal(soc_event_get_str(ev, SOC_ECS_PROCESS_NAME), "sshd");
        assert_int_equal(soc_event_get_int(ev, SOC_ECS_PROCESS_PID, NULL), 0);
        assert_non_null(strstr(buf, soc_event_get_str(ev, SOC_ECS_MESSAGE)));
      } else {
        buf[strcspn(buf, "\r\n")] = '\0'; /* the files end lines with CRLF: framing */
        assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), buf);
      }
      soc_event_free(ev);
      lines++;
    }
    fclose(fp);
    assert_int_equal(lines, 2000);
  }
}

/* The event soc_syslog_parse_lazy and then soc_syslog_later_set make, and
 * the flags, are soc_syslog_parse's, for 3164 lines with and without a
 * PID, a host, bytes that are not UTF-8, RFC 5424 and raw lines, on events
 * whose byte budget has from 128 KiB down to a few hundred bytes left:
 * host.name and the copies wait only where every value fits whatever the
 * order (many lines here), and otherwise are set in the parse's order
 * (many too). */
static int same_event(const char *line, size_t len, size_t pre) {
  static char big[SOC_EVENT_VALUE_MAX];
  soc_syslog_opts o = {.recv_ns = 1790000000000000000LL};
  soc_event *ev[2] = {soc_event_new(), soc_event_new()};
  char *json[2];
  size_t jl[2];
  soc_syslog_later later = {.deferred = 1};
  memset(big, 'p', sizeof big);
  for (int k = 0; k < 2; k++) {
    assert_non_null(ev[k]);
    /* what the line's values find already taken */
    size_t a = pre < sizeof big ? pre : sizeof big;
    if (a) assert_int_equal(soc_event_set_str(ev[k], SOC_ECS_LOG_FILE_PATH, big, a), 0);
    if (pre > a) assert_int_equal(soc_event_set_str(ev[k], SOC_ECS_USER_NAME, big, pre - a), 0);
  }
  soc_syslog_format f = soc_syslog_parse(line, len, &o, ev[0]);
  assert_int_equal(soc_syslog_parse_lazy(line, len, &o, ev[1], &later), f);
  if (later.deferred) {
    assert_int_equal(f, SOC_SYSLOG_RFC3164);
    assert_null(soc_event_get_str(ev[1], SOC_ECS_LOG_SYSLOG_APPNAME));
    assert_null(soc_event_get_str(ev[1], SOC_ECS_HOST_NAME));
  }
  soc_syslog_later_set(line, &later, ev[1]); /* nothing when not deferred */
  for (int k = 0; k < 2; k++) assert_int_equal(soc_event_to_json(ev[k], &json[k], &jl[k]), 0);
  if (jl[0] != jl[1] || memcmp(json[0], json[1], jl[0]))
    fail_msg("lazy parse differs on %zu bytes with %zu taken", len, pre);
  assert_int_equal(soc_event_flags(ev[0]), soc_event_flags(ev[1]));
  for (int k = 0; k < 2; k++) {
    free(json[k]);
    soc_event_free(ev[k]);
  }
  return later.deferred;
}

static void test_lazy_header(void **state) {
  (void)state;
  static const char *const heads[][2] = {{"Nov  1 00:00:00 ", " sshd[4711]: "},
                                         {"<34>Nov  1 00:00:00 ", " su: "},
                                         {"Nov  1 00:00:00 ", ": "},
                                         {"<86>1 2026-11-01T00:00:00Z ", " sudo 123 ID47 - "},
                                         {"no header ", " "}};
  static char line[8192];
  size_t deferred = 0, not_deferred = 0;
  for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
    int n = snprintf(line, sizeof line, "%s%s%s", heads[h][0],
                     h % 2 ? "host-with-a-longer-name" : "h", heads[h][1]);
    /* a fresh event: nothing is cut */
    assert_true(same_event(line, (size_t)n, 0) == (h < 3));
    for (size_t room = 400; room <= 3000; room += 650) {
      size_t pre = SOC_EVENT_BYTES_MAX - room;
      for (size_t m = 0; m < 3000; m += 37) {
        for (size_t i = 0; i < m; i++) line[n + (int)i] = (char)(i % 50 == 7 ? 0xff : 'a' + i % 26);
        if (same_event(line, (size_t)n + m, pre))
          deferred++;
        else
          not_deferred++;
      }
    }
  }
  assert_true(deferred > 100);
  assert_true(not_deferred > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc3164),
      cmocka_unit_test(test_tag_length),
      cmocka_unit_test(test_tag_bytes),
      cmocka_unit_test(test_rfc5424),
      cmocka_unit_test(test_structured_data),
      cmocka_unit_test(test_year_inference),
      cmocka_unit_test(test_year_memo),
      cmocka_unit_test(test_month_names),
      cmocka_unit_test(test_zones),
      cmocka_unit_test(test_raw_fallback),
      cmocka_unit_test(test_raw_times),
      cmocka_unit_test(test_not_text),
      cmocka_unit_test(test_peek),
      cmocka_unit_test(test_peek_host_as_repaired),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_prefixes),
      cmocka_unit_test(test_sample_files),
      cmocka_unit_test(test_lazy_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
