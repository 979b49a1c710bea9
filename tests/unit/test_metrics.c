/* metrics: samples given in any order come out grouped by family with one
 * HELP and TYPE each, names are made valid, label values escaped; only
 * loopback addresses are accepted for listening; the server answers GET
 * /metrics and refuses the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "soc/metrics.h"

static void test_grouped_and_escaped(void **state) {
  (void)state;
  soc_metrics_text *t = soc_metrics_text_new();
  char *text = NULL;
  size_t len = 0;
  assert_non_null(t);
  assert_int_equal(
      soc_metrics_add(t, "x_records_total", SOC_METRIC_COUNTER, "records", "input", "b", 2), 0);
  assert_int_equal(soc_metrics_add(t, "a_up", SOC_METRIC_GAUGE, "up\nnow", NULL, NULL, 1), 0);
  assert_int_equal(
      soc_metrics_add(t, "x_records_total", SOC_METRIC_COUNTER, "records", "input", "a\"\\\n", 3),
      0);
  assert_int_equal(soc_metrics_add(t, "bad-name.1", SOC_METRIC_GAUGE, "h", NULL, NULL, -4), 0);
  assert_int_equal(soc_metrics_text_render(t, &text, &len), 0);
  assert_string_equal(
      text,
      "# HELP a_up up\\nnow\n# TYPE a_up gauge\na_up 1\n"
      "# HELP bad_name_1 h\n# TYPE bad_name_1 gauge\nbad_name_1 -4\n"
      "# HELP x_records_total records\n# TYPE x_records_total counter\n"
      "x_records_total{input=\"b\"} 2\nx_records_total{input=\"a\\\"\\\\\\n\"} 3\n");
  assert_int_equal(len, strlen(text));
  free(text);
  soc_metrics_text_free(t);
}

static void test_sample_cap(void **state) {
  (void)state;
  soc_metrics_text *t = soc_metrics_text_new();
  for (int i = 0; i < SOC_METRICS_SAMPLES_MAX; i++)
    assert_int_equal(soc_metrics_add(t, "m", SOC_METRIC_GAUGE, "", NULL, NULL, i), 0);
  assert_int_equal(soc_metrics_add(t, "m", SOC_METRIC_GAUGE, "", NULL, NULL, 0), -ENOSPC);
  soc_metrics_text_free(t);
}

static void test_listen_loopback_only(void **state) {
  (void)state;
  struct sockaddr_storage ss;
  socklen_t sl;
  const char *why = NULL;
  assert_int_equal(soc_metrics_listen_parse("127.0.0.1:9464", &ss, &sl, &why), 0);
  assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9464);
  assert_int_equal(soc_metrics_listen_parse("127.1.2.3:1", &ss, &sl, &why), 0);
  assert_int_equal(soc_metrics_listen_parse("[::1]:9464", &ss, &sl, &why), 0);
  assert_int_equal(ss.ss_family, AF_INET6);
  assert_int_equal(soc_metrics_listen_parse("localhost:9464", &ss, &sl, &why), 0);
  assert_int_equal(soc_metrics_listen_parse("0.0.0.0:9464", &ss, &sl, &why), -EINVAL);
  assert_non_null(strstr(why, "loopback"));
  assert_int_equal(soc_metrics_listen_parse("[::]:9464", &ss, &sl, &why), -EINVAL);
  assert_int_equal(soc_metrics_listen_parse("10.0.0.1:9464", &ss, &sl, &why), -EINVAL);
  assert_int_equal(soc_metrics_listen_parse("127.0.0.1:65536", &ss, &sl, &why), -EINVAL);
  assert_int_equal(soc_metrics_listen_parse("127.0.0.1:", &ss, &sl, &why), -EINVAL);
  assert_int_equal(soc_metrics_listen_parse("9464", &ss, &sl, &why), -EINVAL);
  assert_int_equal(soc_metrics_listen_parse("host.example:9464", &ss, &sl, &why), -EINVAL);
}

static int render_one(void *arg, soc_metrics_text *t) {
  (void)arg;
  return soc_metrics_add(t, "t_up", SOC_METRIC_GAUGE, "up", NULL, NULL, 1);
}

/* A connection to the server with req sent. */
static int connect_send(unsigned port, const char *req) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
  return fd;
}

/* Sends req to the server and returns the status line's code. */
static int ask(unsigned port, const char *req, char *body, size_t cap) {
  int fd = connect_send(port, req);
  size_t got = 0;
  ssize_t r;
  while (got + 1 < cap && (r = recv(fd, body + got, cap - 1 - got, 0)) > 0) got += (size_t)r;
  body[got] = '\0';
  close(fd);
  return atoi(body + 9);
}

static void test_server(void **state) {
  (void)state;
  soc_metrics_server *s = NULL;
  char buf[4096];
  assert_int_equal(soc_metrics_server_start("127.0.0.1:0", render_one, NULL, &s), 0);
  unsigned port = soc_metrics_server_port(s);
  assert_true(port > 0);
  assert_int_equal(ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
  assert_non_null(strstr(buf, "text/plain; version=0.0.4"));
  assert_non_null(strstr(buf, "\r\n\r\n# HELP t_up up\n# TYPE t_up gauge\nt_up 1\n"));
  assert_int_equal(ask(port, "GET / HTTP/1.1\r\n\r\n", buf, sizeof buf), 404);
  assert_int_equal(ask(port, "POST /metrics HTTP/1.1\r\n\r\n", buf, sizeof buf), 405);
  soc_metrics_server_free(s);
  assert_int_equal(soc_metrics_server_start("0.0.0.0:0", render_one, NULL, &s), -EINVAL);
  assert_null(s);
}

static void answer_ok(void *arg, int fd, const soc_http_request *r) {
  (void)arg;
  (void)r;
  soc_http_respond(fd, "200 OK", "X-A: b\r\n", "text/plain", "ok\n", 3);
}

/* All but one of the workers held by clients stalled in their request
 * heads: the last one still answers, while the stalled are still
 * connected (one connection at a time, the answer would come only after
 * the server had dropped them). */
static void test_http_concurrent(void **state) {
  (void)state;
  soc_metrics_server *s = NULL;
  char buf[512];
  int stalled[SOC_HTTP_WORKERS - 1];
  assert_int_equal(soc_http_server_start("127.0.0.1:0", answer_ok, NULL, &s), 0);
  unsigned port = soc_metrics_server_port(s);
  for (size_t i = 0; i < SOC_HTTP_WORKERS - 1; i++)
    stalled[i] = connect_send(port, "GET / HTTP/1.1\r\nHost: stalled");
  assert_int_equal(ask(port, "GET / HTTP/1.1\r\n\r\n", buf, sizeof buf), 200);
  assert_non_null(strstr(buf, "\r\n\r\nok\n"));
  for (size_t i = 0; i < SOC_HTTP_WORKERS - 1; i++) {
    struct pollfd p = {.fd = stalled[i], .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0); /* neither answered nor closed */
    close(stalled[i]);
  }
  soc_metrics_server_free(s);
}

/* The buffered answer is the same bytes as the one sent at once. */
static void test_http_response(void **state) {
  (void)state;
  char *out = NULL;
  size_t n = 0;
  assert_int_equal(
      soc_http_response("404 Not Found", "X-A: b\r\n", "text/plain", "no\n", 3, &out, &n), 0);
  assert_int_equal(n, strlen(out));
  assert_string_equal(out,
                      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 3\r\nX-A: b\r\nConnection: close\r\n\r\nno\n");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grouped_and_escaped),  cmocka_unit_test(test_sample_cap),
      cmocka_unit_test(test_listen_loopback_only), cmocka_unit_test(test_server),
      cmocka_unit_test(test_http_concurrent),      cmocka_unit_test(test_http_response),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
