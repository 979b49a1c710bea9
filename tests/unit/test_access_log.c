/* access_log: nginx and Apache access-log lines become the HTTP fields the
 * pcap input's transactions have; the edges the servers write (escaped
 * quotes and bytes, "-" values, IPv6 clients, the common format without
 * referrer and agent, fields after combined's, HTTP/0.9, a bad request
 * line), lines wrapped in syslog, and lines that are no access log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "soc/access_log.h"

static soc_event *ev;

static int setup(void **state) {
  (void)state;
  ev = soc_event_new();
  return ev ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  soc_event_free(ev);
  return 0;
}

static int parse(const char *line) {
  soc_event_reset(ev);
  return soc_event_from_access_line(ev, line, strlen(line), NULL);
}

static void test_combined(void **state) {
  (void)state;
  static const char line[] =
      "203.0.113.9 - alice [06/Dec/2026:22:00:00 +0100] \"GET "
      "/a/b.php?id=1&x=%27 HTTP/1.1\" 200 512 \"https://ref.example/\" "
      "\"Mozilla/5.0 (X11; Linux x86_64)\"\n";
  int64_t ns = 0;
  assert_int_equal(parse(line), 0);
  assert_int_equal(soc_event_get_time(ev, &ns), 0);
  assert_int_equal(ns, INT64_C(1796590800) * 1000000000); /* 2026-12-06T21:00:00Z */
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_SOURCE_IP), "203.0.113.9");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_USER_NAME), "alice");
  assert_string_equal(soc_event_get(ev, "http.request.method"), "GET");
  assert_string_equal(soc_event_get(ev, "url.original"), "/a/b.php?id=1&x=%27");
  assert_string_equal(soc_event_get(ev, "url.path"), "/a/b.php");
  assert_string_equal(soc_event_get(ev, "url.query"), "id=1&x=%27");
  assert_string_equal(soc_event_get(ev, "http.version"), "1.1");
  assert_string_equal(soc_event_get(ev, "http.response.status_code"), "200");
  assert_string_equal(soc_event_get(ev, "http.response.body.bytes"), "512");
  assert_string_equal(soc_event_get(ev, "http.request.referrer"), "https://ref.example/");
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "Mozilla/5.0 (X11; Linux x86_64)");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_DATASET), "web.access");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_OUTCOME), "success");
  /* the message is the line, without its newline */
  assert_int_equal(strlen(soc_event_get_str(ev, SOC_ECS_MESSAGE)), sizeof line - 2);
  assert_null(soc_event_get(ev, "url.domain"));
  /* every field comes with its JSON key, which the writer copies */
  const char *v;
  soc_event_key k;
  size_t i = 0;
  for (; soc_event_extra_at(ev, i, &v, &k); i++) assert_int_not_equal(k.form, 0);
  assert_int_equal(i, 9);
}

static void test_common_dashes_ipv6(void **state) {
  (void)state;
  assert_int_equal(parse("2001:db8::5 - - [06/Dec/2026:22:00:02 +0000] \"POST /login HTTP/1.0\" "
                         "401 -"),
                   0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_SOURCE_IP), "2001:db8::5");
  assert_null(soc_event_get_str(ev, SOC_ECS_USER_NAME));
  assert_string_equal(soc_event_get(ev, "http.request.method"), "POST");
  assert_string_equal(soc_event_get(ev, "url.path"), "/login");
  assert_null(soc_event_get(ev, "url.query"));
  assert_string_equal(soc_event_get(ev, "http.version"), "1.0");
  assert_string_equal(soc_event_get(ev, "http.response.status_code"), "401");
  /* CLF's "-" is no body */
  assert_string_equal(soc_event_get(ev, "http.response.body.bytes"), "0");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_OUTCOME), "failure");
  assert_null(soc_event_get(ev, "http.request.referrer"));
  assert_null(soc_event_get(ev, "user_agent.original"));

  /* "-" referrer and agent are no fields; a host name is source.domain */
  assert_int_equal(parse("gw.example.org - - [06/Dec/2026:22:00:02 +0000] \"GET / HTTP/1.1\" 304 "
                         "0 \"-\" \"-\""),
                   0);
  assert_null(soc_event_get_str(ev, SOC_ECS_SOURCE_IP));
  assert_string_equal(soc_event_get(ev, "source.domain"), "gw.example.org");
  assert_null(soc_event_get(ev, "http.request.referrer"));
  assert_null(soc_event_get(ev, "user_agent.original"));
}

static void test_escapes_and_quotes(void **state) {
  (void)state;
  /* nginx: \xHH for '"', '\' and bytes outside printable ASCII */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /q?a=\\x22x\\x5C "
                         "HTTP/1.1\" 200 1 \"-\" \"curl \\x22evil\\x22\\x0A\""),
                   0);
  assert_string_equal(soc_event_get(ev, "url.query"), "a=\"x\\");
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "curl \"evil\"\n");
  /* Apache: \" and \\ */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /x HTTP/1.1\" 200 1 "
                         "\"-\" \"Mozilla \\\"q\\\" \\\\ \\q\""),
                   0);
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "Mozilla \"q\" \\ \\q");
  /* an old Apache's unescaped quotes stay in the agent */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /x HTTP/1.1\" 200 1 "
                         "\"-\" \"Mozilla \"evil\" agent\""),
                   0);
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "Mozilla \"evil\" agent");
  /* \x with no hex after it stays */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /\\xZZ\\x4 HTTP/1.1\" "
                         "200 1"),
                   0);
  assert_string_equal(soc_event_get(ev, "url.path"), "/\\xZZ\\x4");
  /* values without a backslash are taken from the line as they are; with
   * one, through a buffer, on the heap for a line longer than the one on
   * the stack */
  static char line[8192], want[4096];
  for (size_t agent = 10; agent < 4000; agent += 1990) {
    size_t n = (size_t)snprintf(line, sizeof line,
                                "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /p?q=\\x41 "
                                "HTTP/1.1\" 200 1 \"ref\" \"");
    memset(line + n, 'a', agent);
    memcpy(line + n + agent, "\\\"z\"", 5); /* \"z" and the NUL */
    memset(want, 'a', agent);
    memcpy(want + agent, "\"z", 3);
    assert_int_equal(parse(line), 0);
    assert_string_equal(soc_event_get(ev, "url.query"), "q=A");
    assert_string_equal(soc_event_get(ev, "http.request.referrer"), "ref");
    assert_string_equal(soc_event_get(ev, "user_agent.original"), want);
  }
}

/* What the client token becomes: source.ip when it is an address as
 * source.ip takes one, source.domain when it is no address at all, and
 * neither for "-" or an address that a NUL follows. */
static void test_clients(void **state) {
  (void)state;
  static const struct {
    const char *client;
    size_t len;
    const char *ip, *domain;
  } cases[] = {
      {"10.0.0.1", 8, "10.0.0.1", NULL},
      {"255.255.255.255", 15, "255.255.255.255", NULL},
      {"::1", 3, "::1", NULL},
      {"2001:db8::5", 11, "2001:db8::5", NULL},
      {"::ffff:10.0.0.1", 15, "::ffff:10.0.0.1", NULL},
      {"010.0.0.1", 9, NULL, "010.0.0.1"},
      {"10.0.0.256", 10, NULL, "10.0.0.256"},
      {"10.0.0", 6, NULL, "10.0.0"},
      {"host.example", 12, NULL, "host.example"},
      {"-", 1, NULL, NULL},
      {"10.0.0.1\0x", 10, NULL, NULL},
      {"::1\0", 4, NULL, NULL},
  };
  static const char rest[] = " - - [06/Dec/2026:22:00:00 +0000] \"GET / HTTP/1.1\" 200 1";
  char line[128];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memcpy(line, cases[i].client, cases[i].len);
    memcpy(line + cases[i].len, rest, sizeof rest);
    soc_event_reset(ev);
    assert_int_equal(soc_event_from_access_line(ev, line, cases[i].len + sizeof rest - 1, NULL), 0);
    const char *ip = soc_event_get_str(ev, SOC_ECS_SOURCE_IP),
               *dom = soc_event_get(ev, "source.domain");
    if (cases[i].ip)
      assert_string_equal(ip, cases[i].ip);
    else
      assert_null(ip);
    if (cases[i].domain)
      assert_string_equal(dom, cases[i].domain);
    else
      assert_null(dom);
  }
}

/* The quoted values' ends, found a word at a time, against a byte at a
 * time (the plain way): random agents and what follows them, of quotes,
 * backslashes and spaces at every place of a word. */
static const char *plain_quoted(const char *p, const char *end, size_t *n) {
  for (const char *q = p + 1; q < end; q++) {
    if (*q == '\\') {
      q++;
      continue;
    }
    if (*q == '"' && (q + 1 == end || (q[1] == ' ' && (q + 2 == end || q[2] == '"' || q[2] == '-' ||
                                                       (q[2] >= '0' && q[2] <= '9'))))) {
      *n = (size_t)(q - p - 1);
      return p + 1;
    }
  }
  return NULL;
}

static void test_random_agents(void **state) {
  (void)state;
  static const char *const bits[] = {"a", "bcdefgh", " ",    "\"",    "\\\"", "\\\\", "\\q",
                                     "-", "1",       "\" 1", "\" \"", "\" -", "\" a"};
  static const char head[] =
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" ";
  char line[512], want[512];
  uint32_t seed = 7;
  for (int round = 0; round < 20000; round++) {
    size_t n = sizeof head - 1, at = n, k = 0;
    memcpy(line, head, n);
    line[n++] = '"';
    seed = seed * 1103515245u + 12345u;
    for (size_t parts = (seed >> 16) % 24; parts--;) {
      seed = seed * 1103515245u + 12345u;
      const char *b = bits[(seed >> 16) % (sizeof bits / sizeof bits[0])];
      memcpy(line + n, b, strlen(b));
      n += strlen(b);
    }
    size_t len = 0;
    const char *v = plain_quoted(line + at, line + n, &len);
    soc_event_reset(ev);
    assert_int_equal(soc_event_from_access_line(ev, line, n, NULL), 0);
    const char *got = soc_event_get(ev, "user_agent.original");
    /* unescaped: \" and \\ are their second byte */
    for (size_t i = 0; v && i < len; i++) {
      if (v[i] == '\\' && i + 1 < len && (v[i + 1] == '"' || v[i + 1] == '\\')) i++;
      want[k++] = v[i];
    }
    want[k] = '\0';
    if (!v || !k || !strcmp(want, "-"))
      assert_null(got);
    else
      assert_string_equal(got, want);
  }
}

static void test_requests(void **state) {
  (void)state;
  /* a proxy's absolute-form target */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET "
                         "http://evil.example:8080/p/x.exe?d=1 HTTP/1.1\" 200 1 \"-\" \"a\""),
                   0);
  assert_string_equal(soc_event_get(ev, "url.domain"), "evil.example");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_DATASET), "proxy.access");
  assert_string_equal(soc_event_get(ev, "url.path"), "/p/x.exe");
  assert_string_equal(soc_event_get(ev, "url.query"), "d=1");
  /* HTTP/0.9 */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /old\" 200 1"), 0);
  assert_string_equal(soc_event_get(ev, "url.original"), "/old");
  assert_null(soc_event_get(ev, "http.version"));
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_DATASET), "web.access");
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"CONNECT evil.example:443 "
                         "HTTP/1.1\" 200 1"),
                   0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_EVENT_DATASET), "proxy.access");
  /* no request: nginx's "-", a TLS hello on a plain port; the line is still one */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"-\" 400 0 \"-\" \"-\""), 0);
  assert_null(soc_event_get(ev, "http.request.method"));
  assert_string_equal(soc_event_get(ev, "http.response.status_code"), "400");
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] "
                         "\"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\" 400 157 \"-\" \"-\""),
                   0);
  assert_null(soc_event_get(ev, "url.original"));
  /* fields after combined's (nginx's "$http_x_forwarded_for", times) */
  assert_int_equal(parse("10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /t HTTP/2.0\" 200 5 "
                         "\"-\" \"ua\" \"198.51.100.1\" rt=0.012"),
                   0);
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "ua");
  assert_string_equal(soc_event_get(ev, "http.version"), "2.0");
}

static void test_not_access(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "garbage",
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000]",
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] GET / 200 1",
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /\" 2000 1",
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET /\" 200 12x",
      "10.0.0.1 - - [06/Dec/2026:22:00:00 +0000] \"GET / 200 1",
      "10.0.0.1 - [06/Dec/2026:22:00:00 +0000] \"GET /\" 200 1",
      "10.0.0.1 - - [06/Dec/2026:22:00:00+0000] \"GET /\" 200 1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_false(soc_access_line_ok(bad[i], strlen(bad[i])));
    assert_int_equal(parse(bad[i]), -EINVAL);
    /* kept as the message, never a field of ours */
    assert_null(soc_event_get(ev, "http.response.status_code"));
    assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), bad[i]);
  }
  /* a bad time is still an access line; the caller gives it the read time */
  assert_int_equal(parse("10.0.0.1 - - [06/Foo/2026:22:00:00 +0000] \"GET /\" 200 1"), 0);
  assert_int_equal(soc_event_get_time(ev, NULL), -ENOENT);
}

static void test_syslog(void **state) {
  (void)state;
  /* nginx's access_log syslog:server=... */
  static const char wrapped[] =
      "<190>Dec  6 22:00:00 web01 nginx: 203.0.113.9 - - [06/Dec/2026:22:00:00 +0000] \"GET "
      "/x?cmd=id HTTP/1.1\" 200 5 \"-\" \"curl/8\"";
  static const char error[] =
      "<187>Dec  6 22:00:00 web01 nginx: 2026/12/06 22:00:00 [alert] "
      "1#1: worker process 7 exited on signal 6 (core dumped)";
  assert_int_equal(parse(wrapped), 0);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME), "web01");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_PROCESS_NAME), "nginx");
  assert_string_equal(soc_event_get(ev, "url.query"), "cmd=id");
  assert_string_equal(soc_event_get(ev, "user_agent.original"), "curl/8");
  /* nginx's error log the same way: a syslog event */
  assert_int_equal(parse(error), 1);
  assert_null(soc_event_get_str(ev, SOC_ECS_EVENT_DATASET));
  assert_non_null(strstr(soc_event_get_str(ev, SOC_ECS_MESSAGE), "core dumped"));

  /* the syslog format: only nginx, apache2 and httpd are looked at */
  soc_event_reset(ev);
  soc_syslog_parse(wrapped, sizeof wrapped - 1, NULL, ev);
  assert_int_equal(soc_event_access_from_syslog(ev), 1);
  assert_string_equal(soc_event_get(ev, "url.path"), "/x");
  soc_event_reset(ev);
  soc_syslog_parse(error, sizeof error - 1, NULL, ev);
  assert_int_equal(soc_event_access_from_syslog(ev), 0);
  static const char other[] =
      "<190>Dec  6 22:00:00 web01 myapp: 203.0.113.9 - - "
      "[06/Dec/2026:22:00:00 +0000] \"GET / HTTP/1.1\" 200 5";
  soc_event_reset(ev);
  soc_syslog_parse(other, sizeof other - 1, NULL, ev);
  assert_int_equal(soc_event_access_from_syslog(ev), 0);
  assert_null(soc_event_get(ev, "url.path"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_combined),
      cmocka_unit_test(test_common_dashes_ipv6),
      cmocka_unit_test(test_escapes_and_quotes),
      cmocka_unit_test(test_requests),
      cmocka_unit_test(test_not_access),
      cmocka_unit_test(test_syslog),
      cmocka_unit_test(test_clients),
      cmocka_unit_test(test_random_agents),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
