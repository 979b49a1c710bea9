/* collector_validate: the one-pass scanner that takes well-formed events
 * (collector/validate.c) gives exactly libfastjson's verdict -- reason,
 * words and fields -- on hand-picked corners of JSON where the two could
 * differ and on every one-byte mutation of a real event. The fuzz harness
 * (tests/fuzz/fuzz_collector.c) makes the same comparison over its corpus.
 * And what a heartbeat's broker round trip may be. */
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

/* A heartbeat whose forward object ends with forward_tail (a member, or
 * ""): the reason, both paths agreeing. OUT: *rtt, the round trip taken;
 * detail, the words. */
static int heartbeat_rtt(const char *forward_tail, int64_t *rtt, char *detail, size_t cap) {
  char json[512];
  int n =
      snprintf(json, sizeof json,
               "{\"agent\":{\"id\":\"" AGENT "\"},\"socagent\":{\"forward\":{\"lag_lines\":0%s}}}",
               forward_tail);
  assert_true(n > 0 && (size_t)n < sizeof json);
  soc_collector_msg m = {.kind = SOC_COLLECTOR_HEARTBEAT, .payload = json, .len = (size_t)n};
  soc_collector_verdict v, ref;
  int rc = soc_collector_validate(&m, &v);
  assert_int_equal(soc_collector_validate_reference(&m, &ref), rc);
  assert_true(soc_collector_verdict_same(&v, &ref));
  *rtt = v.broker_rtt_ms;
  snprintf(detail, cap, "%s", v.detail);
  soc_collector_verdict_clear(&v);
  soc_collector_verdict_clear(&ref);
  return rc;
}

/* socagent.forward.broker_rtt_ms: taken when it is an integer of 0 to
 * SOC_COLLECTOR_RTT_MAX_MS; absent or null is unknown (-1) and the
 * heartbeat is kept; anything else refuses the heartbeat with a reason, as
 * its other fields do. */
static void test_heartbeat_rtt(void **state) {
  (void)state;
  int64_t rtt = 0;
  char why[160];
  assert_int_equal(heartbeat_rtt(",\"broker_rtt_ms\":85", &rtt, why, sizeof why), SOC_COLLECTOR_OK);
  assert_int_equal(rtt, 85);
  /* a broker on the same host: known, and not unknown */
  assert_int_equal(heartbeat_rtt(",\"broker_rtt_ms\":0", &rtt, why, sizeof why), SOC_COLLECTOR_OK);
  assert_int_equal(rtt, 0);
  assert_int_equal(heartbeat_rtt(",\"broker_rtt_ms\":3600000", &rtt, why, sizeof why),
                   SOC_COLLECTOR_OK);
  assert_int_equal(rtt, SOC_COLLECTOR_RTT_MAX_MS);
  /* an older agent, or no statistics yet */
  rtt = 0;
  assert_int_equal(heartbeat_rtt("", &rtt, why, sizeof why), SOC_COLLECTOR_OK);
  assert_int_equal(rtt, -1);
  rtt = 0;
  assert_int_equal(heartbeat_rtt(",\"broker_rtt_ms\":null", &rtt, why, sizeof why),
                   SOC_COLLECTOR_OK);
  assert_int_equal(rtt, -1);
  /* the wrong type: refused like any heartbeat field of the wrong type */
  const char *const typed[] = {",\"broker_rtt_ms\":\"85\"", ",\"broker_rtt_ms\":85.5",
                               ",\"broker_rtt_ms\":true", ",\"broker_rtt_ms\":[85]",
                               ",\"broker_rtt_ms\":{}"};
  for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
    assert_int_equal(heartbeat_rtt(typed[i], &rtt, why, sizeof why), SOC_COLLECTOR_BAD_FIELD);
    assert_non_null(strstr(why, "wrong type"));
  }
  /* negative, past the bound, past int64 */
  const char *const ranged[] = {",\"broker_rtt_ms\":-1", ",\"broker_rtt_ms\":-9223372036854775808",
                                ",\"broker_rtt_ms\":3600001",
                                ",\"broker_rtt_ms\":99999999999999999999999"};
  for (size_t i = 0; i < sizeof ranged / sizeof *ranged; i++) {
    int rc = heartbeat_rtt(ranged[i], &rtt, why, sizeof why);
    if (rc != SOC_COLLECTOR_BAD_FIELD || !strstr(why, "broker_rtt_ms is not a round trip of 0 to"))
      fail_msg("%s: %d '%s'", ranged[i], rc, why);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corners),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_heartbeat_rtt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
