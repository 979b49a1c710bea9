/* collector_validate: the one-pass scanner that takes well-formed events
 * (collector/validate.c) gives exactly libfastjson's verdict -- reason,
 * words and fields -- on hand-picked corners of JSON where the two could
 * differ and on every one-byte mutation of a real event. The fuzz harness
 * (tests/fuzz/fuzz_collector.c) makes the same comparison over its corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

#define AGENT "web-01"

static const char event_json[] =
    "{\"@timestamp\":\"2026-12-06T10:00:00.123Z\",\"agent\":{\"id\":\"" AGENT
    "\",\"version\":\"1.2\"},\"event\":{\"id\":\"0123456789abcdef0123456789abcdef\","
    "\"kind\":\"alert\",\"severity\":-3.5e+2},\"host\":{\"name\":\"h\xc3\xa9\","
    "\"ip\":[\"10.0.0.1\",null,true,false,0,1E3]},\"message\":\"a \\\"q\\\" \\\\ \\/ \\n\\u00e9\","
    "\"nested\":[[{}],{\"a\":[]}]}\n";

/* 1 when the message was accepted; fails the test when the paths differ. */
static int same_verdict(const char *payload, size_t len, soc_collector_kind kind) {
  soc_collector_msg m = {.kind = kind, .payload = payload, .len = len};
  soc_collector_verdict fast, ref;
  m.hdr_agent = AGENT;
  m.hdr_agent_len = strlen(AGENT);
  m.hdr_schema = SOC_COLLECTOR_SCHEMA;
  m.hdr_schema_len = strlen(SOC_COLLECTOR_SCHEMA);
  int a = soc_collector_validate(&m, &fast);
  int b = soc_collector_validate_reference(&m, &ref);
  if (a != b || !soc_collector_verdict_same(&fast, &ref)) {
    print_error("paths differ (%d '%s' host '%s' ts '%s' / %d '%s' host '%s' ts '%s') on: %.*s\n",
                a, fast.detail, fast.host, fast.ts, b, ref.detail, ref.host, ref.ts, (int)len,
                payload);
    fail();
  }
  soc_collector_verdict_clear(&fast);
  soc_collector_verdict_clear(&ref);
  return a == SOC_COLLECTOR_OK;
}

static int same_str(const char *s) { return same_verdict(s, strlen(s), SOC_COLLECTOR_EVENTS); }

#define EV_ID "\"event\":{\"id\":\"0123456789abcdef0123456789abcdef\"}"
#define AG "\"agent\":{\"id\":\"" AGENT "\"}"

static void test_corners(void **state) {
  (void)state;
  assert_true(same_str(event_json));
  assert_true(same_str("{" AG "," EV_ID "}"));
  assert_true(same_str(" \t\r\n{" AG "," EV_ID ",\"host\":null,\"@timestamp\":null} \n"));
  assert_true(same_str("{" AG "," EV_ID ",\"host\":\"not an object\"}"));
  assert_true(same_str("{" AG "," EV_ID ",\"host\":{\"name\":null}}"));
  assert_true(same_str("{" AG "," EV_ID ",\"host\":{\"name\":\"a\\tb\"}}"));
  assert_true(same_str("{" AG "," EV_ID ",\"n\":123456789012345678901234567890}"));
  assert_true(same_str("{" AG "," EV_ID ",\"n\":1e999,\"m\":-0.0e-0}"));
  assert_true(same_str("{" AG "," EV_ID ",\"s\":\"\\ud83d\\ude00\"}"));
  /* where libfastjson decides, whatever it decides */
  const char *const corners[] = {
      "{" AG "," AG "," EV_ID "}",
      "{" AG "," EV_ID ",\"agent\":{\"id\":\"other\"}}",
      "{\"\\u0061gent\":{\"id\":\"other\"}," AG "," EV_ID "}",
      "{" AG "," EV_ID ",\"host\":{\"name\":\"a\",\"name\":\"b\"}}",
      "{" AG "," EV_ID ",\"@timestamp\":5}",
      "{" AG "," EV_ID ",\"@timestamp\":\"\\u0000\"}",
      "{" AG "," EV_ID ",\"s\":\"\\ud800\"}",
      "{" AG "," EV_ID ",\"s\":\"\\ude00\\ud800\"}",
      "{" AG "," EV_ID ",\"s\":\"tab\there\"}",
      "{" AG "," EV_ID ",\"n\":0123}",
      "{" AG "," EV_ID ",\"n\":-}",
      "{" AG "," EV_ID ",\"n\":1.}",
      "{" AG "," EV_ID ",\"n\":.5}",
      "{" AG "," EV_ID ",\"n\":+1}",
      "{" AG "," EV_ID ",\"n\":NaN}",
      "{" AG "," EV_ID ",\"n\":Infinity}",
      "{" AG "," EV_ID ",\"n\":True}",
      "{" AG "," EV_ID ",}",
      "{" AG "," EV_ID ",\"a\":[1,]}",
      "{" AG "," EV_ID "/* c */}",
      "{" AG "," EV_ID "}\f",
      "\xef\xbb\xbf{" AG "," EV_ID "}",
      "{'agent':{'id':'" AGENT "'}," EV_ID "}",
      "{" AG "," EV_ID "}{}",
      "{" AG "," EV_ID "} x",
      "[{" AG "," EV_ID "}]",
      "{" AG "," EV_ID ",\"x\":\"\\x41\"}",
      "{" AG "," EV_ID ",\"x\":\"\\u12\"}",
      "{\"agent\":{\"id\":\"web-02\"}," EV_ID "}",
      "{\"agent\":{\"id\":\"web\\u002d01\"}," EV_ID "}",
      "{\"agent\":[]," EV_ID "}",
      "{\"agent\":{\"id\":\"other\"}," AG "," EV_ID "}",
      "{\"agent\":{\"id\":\"other\",\"id\":\"" AGENT "\"}," EV_ID "}",
      "{" AG "," EV_ID
      ",\"@timestamp\":\"0123456789012345678901234567890123456789012345678901234567890123\"}",
      "{" AG "," EV_ID
      ",\"@timestamp\":\"012345678901234567890123456789012345678901234567890123456789012\"}",
      "{" AG ",\"event\":{\"id\":\"0123456789ABCDEF0123456789abcdef\"}}",
  };
  for (size_t i = 0; i < sizeof corners / sizeof *corners; i++) same_str(corners[i]);
  /* nesting on both sides of the scanner's limit and libfastjson's */
  for (int depth = 30; depth <= 70; depth += 4) {
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{" AG "," EV_ID ",\"d\":");
    for (int i = 0; i < depth; i++) buf[n++] = '[';
    for (int i = 0; i < depth; i++) buf[n++] = ']';
    buf[n++] = '}';
    same_verdict(buf, n, SOC_COLLECTOR_EVENTS);
  }
}

/* Every deletion, and every replacement and insertion of a byte that means
 * something to JSON, at every position of a real event. */
static void test_mutations(void **state) {
  (void)state;
  static const char bytes[] = "\"\\{}[],: \t\f0-.eEu/ax\x01\x7f";
  const size_t len = sizeof event_json - 1;
  char buf[sizeof event_json + 1];
  size_t accepted = 0, refused = 0;
  for (size_t i = 0; i < len; i++) {
    memcpy(buf, event_json, i);
    memcpy(buf + i, event_json + i + 1, len - i - 1);
    same_verdict(buf, len - 1, SOC_COLLECTOR_EVENTS) ? accepted++ : refused++;
    for (size_t b = 0; b < sizeof bytes - 1; b++) {
      memcpy(buf, event_json, len);
      buf[i] = bytes[b];
      same_verdict(buf, len, SOC_COLLECTOR_EVENTS) ? accepted++ : refused++;
      memcpy(buf, event_json, i);
      buf[i] = bytes[b];
      memcpy(buf + i + 1, event_json + i, len - i);
      same_verdict(buf, len + 1, SOC_COLLECTOR_EVENTS) ? accepted++ : refused++;
    }
  }
  /* both kinds of verdict were compared, not only one */
  assert_true(accepted > 100);
  assert_true(refused > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corners),
      cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
