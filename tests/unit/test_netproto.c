/*
 * Unit tests for netproto: a DNS response with compressed names and its
 * answers; a DNS pointer loop refused; HTTP pipelining, chunked and gzip
 * bodies handed to the body callback, a 100 Continue skipped; and the
 * JSON values these parsers set surviving soc_event_from_json; names
 * checked once setting what the same names set by name would, numbers
 * written as "%lld" writes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "soc/netproto.h"

static const uint8_t dns_response[] =
    {
        0x12, 0x34, 0x81, 0x80, 0,   1,   0,   2,    0,   0,   0,    0,  3,
        'w',  'w',  'w',  7,    'e', 'x', 'a', 'm',  'p', 'l', 'e',  3,  'o',
        'r',  'g',  0,    0,    1,   0,   1,   0xc0, 12,  0,   5,    0,  1,
        0,    0,    0,    60,   0,   6,   3,   'c',  'd', 'n', 0xc0, 16, /* CNAME cdn.example.org */
        0xc0, 45,   0,    1,    0,   1,   0,   0,    1,   0,   0,    4,  192,
        0,    2,    7, /* A 192.0.2.7 */
};

static void dns_answers(void **state) {
  (void)state;
  soc_event *ev = soc_event_new();
  assert_int_equal(soc_dns_to_event(dns_response, sizeof dns_response, ev), 0);
  assert_string_equal(soc_event_get(ev, "dns.id"), "4660");
  assert_string_equal(soc_event_get(ev, "dns.type"), "answer");
  assert_string_equal(soc_event_get(ev, "dns.question.name"), "www.example.org");
  assert_string_equal(soc_event_get(ev, "dns.question.type"), "A");
  assert_string_equal(soc_event_get(ev, "dns.response_code"), "NOERROR");
  assert_string_equal(soc_event_get(ev, "dns.resolved_ip"), "[\"192.0.2.7\"]");
  assert_string_equal(soc_event_get(ev, "dns.header_flags"), "[\"RD\",\"RA\"]");
  const char *a = soc_event_get(ev, "dns.answers");
  assert_non_null(strstr(a, "\"data\":\"cdn.example.org\""));
  assert_non_null(strstr(a, "\"name\":\"cdn.example.org\",\"type\":\"A\""));
  /* Read back from its JSON, as normalize.c does with the journal. */
  soc_event_set_time(ev, 0);
  char *json;
  assert_int_equal(soc_event_to_json(ev, &json, NULL), 0);
  soc_event *back = soc_event_new();
  assert_int_equal(soc_event_from_json(back, json, strlen(json)), 0);
  assert_string_equal(soc_event_get(back, "dns.answers"), a);
  assert_string_equal(soc_event_get(back, "dns.question.name"), "www.example.org");
  free(json);
  /* A pointer to itself, and a message cut short: refused, nothing set. */
  uint8_t loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  soc_event_reset(back);
  assert_int_equal(soc_dns_to_event(loop, sizeof loop, back), -EBADMSG);
  assert_int_equal(soc_dns_to_event(dns_response, 40, back), -EBADMSG);
  assert_null(soc_event_get(back, "dns.id"));
  soc_event_free(back);
  soc_event_free(ev);
}

typedef struct got {
  int txns;
  char uris[4][32];
  int status[4];
  char body[256];
  size_t blen;
  int finals;
} got;

static void on_txn(void *arg, const soc_http_txn *t) {
  got *g = arg;
  if (g->txns < 4) {
    snprintf(g->uris[g->txns], sizeof g->uris[0], "%s %s", t->method, t->uri);
    g->status[g->txns] = t->status;
  }
  g->txns++;
}

static void on_body(void *arg, const soc_http_txn *t, int dir, const uint8_t *data, size_t len,
                    uint64_t offset, int final) {
  got *g = arg;
  (void)t;
  if (dir == 0) return; /* uploads: not what these cases look at */
  if (final) {
    g->finals++;
    return;
  }
  assert_int_equal(offset, g->blen);
  assert_true(g->blen + len < sizeof g->body);
  memcpy(g->body + g->blen, data, len);
  g->blen += len;
}

static void http_pipelining_chunked_gzip(void **state) {
  (void)state;
  soc_netproto_stats st = {0};
  got g = {0};
  soc_http_cbs cbs = {.on_txn = on_txn, .on_body = on_body, .arg = &g, .stats = &st};
  soc_http *h = soc_http_new(&cbs);
  const char *req =
      "GET /a HTTP/1.1\r\nHost: x.example:8080\r\n\r\n"
      "HEAD /b HTTP/1.1\r\nHost: x.example\r\n\r\n";
  /* Fed a byte at a time: the parser must not care how data is cut. */
  for (size_t i = 0; req[i]; i++) soc_http_data(h, 0, (const uint8_t *)req + i, 1);
  /* The body: "hello, world" gzipped, sent in two chunks. */
  uint8_t gz[128];
  z_stream z = {0};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)"hello, world";
  z.avail_in = 12;
  z.next_out = gz;
  z.avail_out = sizeof gz;
  deflate(&z, Z_FINISH);
  size_t gzlen = sizeof gz - z.avail_out;
  deflateEnd(&z);
  char resp[512];
  int n = snprintf(resp, sizeof resp,
                   "HTTP/1.1 100 Continue\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n\r\n%zx\r\n",
                   (size_t)5);
  memcpy(resp + n, gz, 5);
  n += 5;
  n += snprintf(resp + n, sizeof resp - (size_t)n, "\r\n%zx;ext=1\r\n", gzlen - 5);
  memcpy(resp + n, gz + 5, gzlen - 5);
  n += (int)(gzlen - 5);
  n += snprintf(resp + n, sizeof resp - (size_t)n,
                "\r\n0\r\nTrailer: x\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n");
  soc_http_data(h, 1, (const uint8_t *)resp, (size_t)n);
  assert_int_equal(g.txns, 2); /* HEAD's response has no body, despite the length */
  assert_string_equal(g.uris[0], "GET /a");
  assert_int_equal(g.status[0], 200);
  assert_string_equal(g.uris[1], "HEAD /b");
  assert_int_equal(g.status[1], 404);
  assert_int_equal(g.blen, 12);
  assert_memory_equal(g.body, "hello, world", 12);
  assert_int_equal(g.finals, 1);
  assert_int_equal(st.http_requests, 2);
  assert_int_equal(st.http_responses, 2);
  /* Not HTTP any more: the direction gives up, counted. */
  soc_http_data(h, 0, (const uint8_t *)"\x16\x03\x01 garbage\r\n\r\n", 15);
  assert_int_equal(st.http_errors, 1);
  soc_http_free(h);
}

/* The header block ends at the first empty line, CRLF or bare LF (the
 * end is looked for a line at a time): the same transaction and body for
 * every place the data is cut in two, lines ending in \r in the middle. */
static void http_header_end_cut_anywhere(void **state) {
  (void)state;
  const char *req = "GET /a HTTP/1.1\nHost: x\rx\nA: \n\r\n\n";
  const char *resp = "HTTP/1.1 200 OK\r\nB: \r\r\nContent-Length: 4\r\n\r\n\nok\n";
  for (int dir = 0; dir < 2; dir++) {
    const char *m = dir ? resp : req;
    for (size_t cut = 0; cut <= strlen(m); cut++) {
      soc_netproto_stats st = {0};
      got g = {0};
      soc_http_cbs cbs = {.on_txn = on_txn, .on_body = on_body, .arg = &g, .stats = &st};
      soc_http *h = soc_http_new(&cbs);
      if (dir) soc_http_data(h, 0, (const uint8_t *)req, strlen(req));
      soc_http_data(h, dir, (const uint8_t *)m, cut);
      soc_http_data(h, dir, (const uint8_t *)m + cut, strlen(m) - cut);
      if (!dir) soc_http_data(h, 1, (const uint8_t *)resp, strlen(resp));
      assert_int_equal(g.txns, 1);
      assert_string_equal(g.uris[0], "GET /a");
      assert_int_equal(g.status[0], 200);
      assert_int_equal(g.blen, 4);
      assert_memory_equal(g.body, "\nok\n", 4);
      assert_int_equal(st.http_errors, 0);
      soc_http_free(h);
    }
  }
}

static void http_body_bounded_and_open_txn_reported(void **state) {
  (void)state;
  soc_netproto_stats st = {0};
  got g = {0};
  soc_http_cbs cbs = {.on_txn = on_txn, .on_body = on_body, .arg = &g, .stats = &st, .body_max = 4};
  soc_http *h = soc_http_new(&cbs);
  const char *req = "POST /up HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc";
  soc_http_data(h, 0, (const uint8_t *)req, strlen(req));
  const char *resp = "HTTP/1.0 200 OK\r\n\r\n0123456789";
  soc_http_data(h, 1, (const uint8_t *)resp, strlen(resp));
  assert_int_equal(g.txns, 0); /* the body runs to the close */
  soc_http_free(h);            /* the close */
  assert_int_equal(g.txns, 1);
  assert_int_equal(g.blen, 4);
  assert_int_equal(st.http_body_truncated, 1);
}

/* A name checked once sets what soc_event_set and soc_event_set_json set by
 * name: an extra by its key, a known field's name (message) and a bad
 * one as before. */
static void names_checked_once(void **state) {
  (void)state;
  soc_net_name n[] = {{.name = "dns.question.name"}, {.name = "message"}, {.name = "a..b"}};
  soc_net_names_init(n, 3);
  assert_true(n[0].keyed);
  assert_false(n[1].keyed);
  assert_false(n[2].keyed);
  soc_event *a = soc_event_new(), *b = soc_event_new();
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(soc_net_set(a, &n[0], "x.example", 9),
                   soc_event_set(b, n[0].name, "x.example", 9));
  assert_int_equal(soc_net_set(a, &n[1], "/p?q", 4), soc_event_set(b, n[1].name, "/p?q", 4));
  assert_int_equal(soc_net_set(a, &n[2], "v", 1), -EINVAL);
  assert_int_equal(soc_net_set_num(a, &n[0], -7), soc_event_set_json(b, n[0].name, "-7", 2));
  assert_string_equal(soc_net_get(a, &n[0]), "-7");
  assert_string_equal(soc_net_get(a, &n[1]), "/p?q");
  char ja[4096], jb[4096];
  size_t la = 0, lb = 0;
  soc_event_set_time(a, 0);
  soc_event_set_time(b, 0);
  assert_int_equal(soc_event_write_json(a, ja, sizeof ja, &la), 0);
  assert_int_equal(soc_event_write_json(b, jb, sizeof jb, &lb), 0);
  assert_memory_equal(ja, jb, la);
  assert_int_equal(la, lb);
  soc_event_free(a);
  soc_event_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dns_answers),
      cmocka_unit_test(http_pipelining_chunked_gzip),
      cmocka_unit_test(http_header_end_cut_anywhere),
      cmocka_unit_test(http_body_bounded_and_open_txn_reported),
      cmocka_unit_test(names_checked_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
