/*
 * event_golden: the ECS JSON of a fixed set of lines, read the ways the
 * inputs read them, must stay byte for byte what it was when the event
 * code was last changed on purpose. The event code (syslog and access-log
 * parsing, the fields, the JSON writer) is on the agent's hottest path and
 * gets made faster; this test is what says the bytes on the wire did not
 * move. tests/data/events/golden.txt holds a digest of each event's JSON
 * (the first 48 bits of its SHA-256), one a line, made by the commit that
 * last changed the JSON (528341b). A change meant to alter the JSON writes
 * the file again: build/tests/test_event_golden --write FILE, and says why.
 *
 * The lines: the loghub samples (every fourth line), each file of the
 * syslog and access-log fuzz corpora whole, and lines made here: access
 * lines with every kind of status and byte count libfastjson may rewrite,
 * escapes, invalid UTF-8, control bytes, RFC 5424 structured data, JSON
 * objects, audit records, lines past the value cap and the event budget,
 * and random bytes. Each is read as syslog (with the access-log fields of
 * nginx), as an access log, as JSON and as auditd, into an event that starts
 * as a copy of the forwarder's template, with an id, an offset and the
 * time it was read, as normalize.c and forward.c make them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soc/access_log.h"
#include "soc/auditd.h"
#include "soc/event.h"
#include "soc/hash.h"
#include "soc/json_event.h"
#include "soc/syslog.h"
#include "soc/tz.h"

#define RECV_NS INT64_C(1764072000123456789) /* 2025-11-25T12:00:00.123456789Z */
#define DIGEST_HEX 12

typedef struct lines {
  char **s;
  size_t *len, n, cap;
} lines;

static void add(lines *l, const char *s, size_t len) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->s = realloc(l->s, l->cap * sizeof *l->s);
    l->len = realloc(l->len, l->cap * sizeof *l->len);
    assert_non_null(l->s);
    assert_non_null(l->len);
  }
  l->s[l->n] = malloc(len + 1);
  assert_non_null(l->s[l->n]);
  if (len) memcpy(l->s[l->n], s, len);
  l->s[l->n][len] = '\0';
  l->len[l->n++] = len;
}

static void addf(lines *l, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  assert_true(n > 0 && (size_t)n < sizeof buf);
  add(l, buf, (size_t)n);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0, got;
  assert_non_null(f);
  do {
    if (cap - n < 65536) {
      cap = cap ? 2 * cap : 65536;
      buf = realloc(buf, cap + 1);
      assert_non_null(buf);
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Every fourth line of a log file. */
static void add_log(lines *l, const char *path) {
  size_t len, i = 0, k = 0;
  char *buf = slurp(path, &len);
  while (i < len) {
    char *nl = memchr(buf + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - buf) : len;
    if (k++ % 4 == 0) add(l, buf + i, end - i);
    i = end + 1;
  }
  free(buf);
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* Each file of a folder, whole, in the order of their names. */
static void add_corpus(lines *l, const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, by_name);
  assert_true(n > 0);
  for (int i = 0; i < n; i++) {
    char path[4096];
    size_t len;
    if (names[i]->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
      char *buf = slurp(path, &len);
      add(l, buf, len);
      free(buf);
    }
    free(names[i]);
  }
  free(names);
}

static void add_made(lines *l) {
  static const char *const status[] = {"200", "404", "500", "000", "007", "-", "0", "99", "301"};
  static const char *const bytes[] = {"0",
                                      "-",
                                      "1",
                                      "512",
                                      "00",
                                      "0123",
                                      "999999999999999999",
                                      "12",
                                      "9223372036854775807",
                                      "123456789012345678"};
  static const char *const fixed[] = {
      "<13>Nov 25 12:01:01 h apache2: ::1 - - [25/Nov/2026:12:01:01 -0130] \"CONNECT a.b:443 "
      "HTTP/1.1\" 200 - \"ref\\\\\" \"ua\"",
      "<13>Nov 25 12:01:01 h httpd: host.example - - [25/Nov/2026:12:01:01 +0000] \"GET "
      "http://x.y:8/p?q HTTP/1.0\" 302 17",
      "<13>Nov 25 12:01:01 h nginx: not an access line at all",
      "<13>Nov 25 12:01:01 h nginx: 1.2.3.4 - - [25/Nov/2026:12:01:01 +0000] \"\\x16\\x03\\x01\" "
      "400 157 \"-\" \"-\"",
      "<13>Nov 25 12:01:01 h nginx: 1.2.3.4 - - [25/Nov/2026:12:01:01 +0000] \"GET /\xff\xfe "
      "HTTP/1.1\" 200 1",
      "<13>Nov 25 12:01:01 h sshd[12]: bad utf8 \xc3\x28 \xe2\x82 \xf0\x90\x80 \xed\xa0\x80 ok "
      "\x01\x02\x1f\x7f \"q\" \\ \t tab",
      "<13>Nov 25 12:01:01 h sshd[99999999999999999999]: long pid",
      "<13>1 2026-11-25T12:01:01.123456789+05:45 host app 123 ID47 [ex@1 a=\"1\" "
      "b=\"x\\\"y\\]z\\\\\" c=\"\xff\"][o@2 a=\"2\"][ex@1 a=\"3\"] \xef\xbb\xbf"
      "BOM msg",
      "<13>1 2026-11-25T12:01:60Z host app - - - leap",
      "<13>1 - - - - - -",
      "<191>1 1970-01-01T00:00:00.000001Z - - - - [x y=\"z\"]",
      "<0>Feb 29 00:00:00 h leap: feb 29",
      "<0>Dec 31 23:59:59.999999 h k: year end",
      "Jan  1 00:00:00 h k: no pri",
      "2026-11-25 12:01:01,123 INFO raw iso",
      "2026-11-25T12:01:01-03:30 raw iso zone",
      "1.1.1.1 - - [25/Nov/2026:12:01:01 +0800] \"GET / HTTP/1.1\" 200 2 raw clf",
      "<13>Nov 25 12:01:01 h a: {\"json\": [1, 2, {\"a\": -3}], \"s\": \"x\"}",
      "{\"@timestamp\":\"2026-11-25T12:01:01.5Z\",\"host\":{\"name\":\"h\"},\"n\":0,\"m\":-1,"
      "\"big\":9223372036854775807,\"min\":-9223372036854775808,\"over\":99999999999999999999,"
      "\"f\":1.5,\"t\":true,\"fa\":false,\"nu\":null,\"arr\":[1,\"a\",{\"b\":2}],\"lz\":\"007\","
      "\"s\":\"a\\u0000b\\ud800\",\"Event\":{\"UserData\":{\"W\":{\"x\":\"1\"}},\"System\":{"
      "\"#attributes\":{\"Name\":\"p\"}}}}",
      "{\"@timestamp\":1764043261,\"message\":\"m\",\"source\":{\"port\":\"22\",\"ip\":\"1.2.3.4\"}"
      ","
      "\"process\":{\"pid\":12},\"event\":{\"severity\":3},\"tags\":[\"x\",\"y\"]}",
      "{\"@timestamp\":\"bad\",\"source\":{\"port\":99999}}",
      "<13>Nov 25 12:01:01 h app: {\"a\":{\"b\":[true,false,null]},\"k e y\":1}",
      "{\"num\": 1e5, \"neg\": -0, \"plus\": 12, \"list\": [007]}",
      "type=SYSCALL msg=audit(1764043261.123:77): arch=c000003e syscall=59 success=yes exit=0 "
      "a0=55 ppid=1 pid=2 auid=1000 uid=0 comm=\"ls\" exe=\"/bin/ls\" key=(null)\x1d"
      "ARCH=x86_64 UID=\"root\"",
      "type=EXECVE msg=audit(1764043261.123:77): argc=2 a0=\"ls\" a1=2D6C",
      "type=USER_LOGIN msg=audit(1764043262.5:78): pid=1 uid=0 msg='op=login acct=\"bob\" "
      "exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=ssh res=failed'",
  };
  for (size_t s = 0; s < sizeof status / sizeof status[0]; s++)
    for (size_t b = 0; b < sizeof bytes / sizeof bytes[0]; b++)
      addf(l,
           "<190>Nov 25 12:01:01 web1 nginx: 10.0.0.%zu - bob [25/Nov/2026:12:01:01 +0800] \"GET "
           "/a?b=%s HTTP/1.1\" %s %s \"-\" \"Mozilla/5.0 \\\"x\\\" \\x41\"",
           s * 10 + b, status[s], status[s], bytes[b]);
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) add(l, fixed[i], strlen(fixed[i]));
  add(l, "\0\0nul bytes\0", 12);
  /* past the value cap, past the event's budget, and a long escaped one */
  static char big[200000];
  size_t n = (size_t)snprintf(big, sizeof big, "<13>Nov 25 12:01:01 h big: ");
  memset(big + n, 'x', 70000);
  add(l, big, n + 70000);
  for (size_t i = n; i + 4 <= sizeof big; i += 4) memcpy(big + i, "\xc3\xa9z\x01", 4);
  add(l, big, sizeof big);
  for (size_t i = n; i + 2 <= sizeof big; i += 2) memcpy(big + i, "\"\\", 2);
  add(l, big, 60000);
  /* random bytes, the same every run */
  uint32_t seed = 7;
  for (int i = 0; i < 200; i++) {
    char r[300];
    seed = seed * 1103515245u + 12345u;
    size_t len = 1 + (seed >> 16) % sizeof r;
    for (size_t j = 0; j < len; j++) {
      seed = seed * 1103515245u + 12345u;
      r[j] = (char)(1 + (seed >> 16) % 255);
      if (r[j] == '\n' || r[j] == '\r') r[j] = ' ';
    }
    add(l, r, len);
  }
}

enum { F_SYSLOG, F_ACCESS, F_JSON, F_AUDITD, F_COUNT };

/* The forwarder's template of a file input's events (forward.c). */
static void make_proto(soc_event *p) {
  soc_event_reset(p);
  soc_event_set_str(p, SOC_ECS_EVENT_KIND, "event", 5);
  soc_event_set_str(p, SOC_ECS_EVENT_DATASET, "socagent.file", 13);
  soc_event_set_str(p, SOC_ECS_AGENT_ID, "golden", 6);
  soc_event_set_str(p, SOC_ECS_AGENT_NAME, "golden", 6);
  soc_event_set_str(p, SOC_ECS_AGENT_TYPE, "socagent", 8);
  soc_event_set_str(p, SOC_ECS_AGENT_VERSION, "0.1.0", 5);
  soc_event_set_str(p, SOC_ECS_ORGANIZATION_NAME, "bench", 5);
  soc_event_set(p, "labels.authority", "36", 2);
  soc_event_set_str(p, SOC_ECS_LOG_FILE_PATH, "/var/log/x.log", 14);
}

/* ev from line i read as format f, as normalize.c and forward.c make it. */
static void build(soc_event *ev, const soc_event *proto, const char *line, size_t len, size_t i,
                  int f) {
  soc_syslog_opts so = {.recv_ns = RECV_NS};
  soc_json_event_opts jo = {.time_field = "@timestamp", .host_field = "host.name"};
  char id[SOC_EVENT_ID_LEN + 1], ts[SOC_EVENT_TIME_BUF];
  assert_int_equal(soc_tz_parse(i % 3 ? "+08:00" : "-03:30", &so.tz), 0);
  assert_int_equal(soc_event_copy(ev, proto), 0);
  switch (f) {
    case F_SYSLOG:
      soc_syslog_parse(line, len, &so, ev);
      soc_event_access_from_syslog(ev);
      break;
    case F_ACCESS:
      if (soc_event_from_access_line(ev, line, len, &so) == -EINVAL)
        soc_event_add_tag(ev, "bad_access", 10);
      break;
    case F_JSON:
      if (soc_event_from_json_line_or_syslog(ev, line, len, &jo, &so) < 0)
        soc_event_add_tag(ev, "bad_json", 8);
      break;
    default:
      if (soc_event_from_audit_line(ev, line, len) < 0) soc_event_add_tag(ev, "bad_auditd", 10);
      break;
  }
  if (soc_event_get_time(ev, NULL) < 0) soc_event_set_time(ev, RECV_NS - 1000);
  assert_int_equal(soc_event_make_id("golden", "store/input/7", i * F_COUNT + (size_t)f, id), 0);
  assert_int_equal(soc_event_set_id(ev, id), 0);
  soc_event_set_int(ev, SOC_ECS_LOG_OFFSET, (int64_t)(i * 100));
  if (!soc_event_get_str(ev, SOC_ECS_HOST_NAME)) soc_event_set_str(ev, SOC_ECS_HOST_NAME, "me", 2);
  if (i % 5 == 0) soc_event_add_tag(ev, "line_truncated", 14);
  assert_int_equal(soc_event_format_time(RECV_NS + (int64_t)i, 6, ts, sizeof ts), 0);
  soc_event_set_str(ev, SOC_ECS_EVENT_INGESTED, ts, strlen(ts));
}

static const char *write_path;

static void test_golden(void **state) {
  (void)state;
  lines l = {0};
  static char json[SOC_EVENT_JSON_MAX];
  char want_path[4096], row[64];
  add_log(&l, SOC_TEST_DATA "/logs/OpenSSH_2k.log");
  add_log(&l, SOC_TEST_DATA "/logs/Apache_2k.log");
  add_corpus(&l, SOC_SOURCE_DIR "/tests/fuzz/corpus/syslog");
  add_corpus(&l, SOC_SOURCE_DIR "/tests/fuzz/corpus/access_log");
  add_made(&l);
  snprintf(want_path, sizeof want_path, "%s/events/golden.txt", SOC_TEST_DATA);
  FILE *out = write_path ? fopen(write_path, "w") : NULL;
  FILE *want = write_path ? NULL : fopen(want_path, "r");
  assert_non_null(write_path ? out : want);
  soc_event *ev = soc_event_new(), *proto = soc_event_new();
  assert_non_null(ev);
  assert_non_null(proto);
  make_proto(proto);
  size_t bad = 0;
  for (size_t i = 0; i < l.n; i++)
    for (int f = 0; f < F_COUNT; f++) {
      uint8_t digest[SOC_SHA256_LEN];
      char hex[2 * SOC_SHA256_LEN + 1];
      size_t len;
      build(ev, proto, l.s[i], l.len[i], i, f);
      assert_int_equal(soc_event_write_json(ev, json, sizeof json, &len), 0);
      assert_int_equal(soc_sha256(json, len, digest), 0);
      soc_hex(digest, SOC_SHA256_LEN, hex);
      hex[DIGEST_HEX] = '\0';
      if (out) {
        fprintf(out, "%s\n", hex);
        continue;
      }
      if (!fgets(row, sizeof row, want)) fail_msg("%s ends before line %zu", want_path, i);
      row[strcspn(row, "\n")] = '\0';
      if (strcmp(row, hex) != 0 && bad++ < 10)
        print_error("line %zu as format %d: JSON changed, now %.2000s\n", i, f, json);
    }
  if (want) assert_null(fgets(row, sizeof row, want)); /* no more events than lines */
  if (out) assert_int_equal(fclose(out), 0);
  if (want) fclose(want);
  soc_event_free(ev);
  soc_event_free(proto);
  for (size_t i = 0; i < l.n; i++) free(l.s[i]);
  free(l.s);
  free(l.len);
  assert_int_equal(bad, 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_golden)};
  if (argc == 3 && !strcmp(argv[1], "--write")) write_path = argv[2];
  return cmocka_run_group_tests(tests, NULL, NULL);
}
