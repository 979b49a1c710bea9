/*
 * libFuzzer harness: the collector's message validator (collector/validate.c)
 * on arbitrary bytes. The first input byte picks the topic kind and which
 * headers are present, the next two the lengths of the agent.id and
 * schema.version header values taken from the input; the rest is the
 * payload. So the fuzzer reaches header/body disagreements as well as the
 * JSON parser. The verdict must be consistent: a reason within range with
 * a NUL-terminated detail; when accepted, an agent id that passes the id
 * check, an event id of 32 hex digits for events, a heartbeat's broker
 * round trip unknown (-1) or within its bound, and all strings within
 * their buffers. And it must be the verdict libfastjson alone gives
 * (soc_collector_validate_reference): the fast path for events changes
 * nothing but the cost.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap) {
  if (!memchr(s, '\0', cap)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_collector_msg m = {0};
  soc_collector_verdict v, ref;
  if (size < 3) return 0;
  uint8_t flags = data[0];
  size_t alen = data[1] % 80, slen = data[2] % 4;
  data += 3;
  size -= 3;
  m.kind = (soc_collector_kind)(flags % (SOC_COLLECTOR_OTHER + 1));
  if (flags & 0x04) {
    if (alen > size) alen = size;
    m.hdr_agent = data;
    m.hdr_agent_len = alen;
    data += alen;
    size -= alen;
  }
  if (flags & 0x08) {
    if (slen > size) slen = size;
    m.hdr_schema = data;
    m.hdr_schema_len = slen;
    data += slen;
    size -= slen;
  }
  m.payload = data;
  m.len = size;
  int rc = soc_collector_validate(&m, &v);
  if (rc < 0 || rc >= SOC_COLLECTOR_REASONS || (int)v.reason != rc) __builtin_trap();
  /* the one-pass scanner must say exactly what libfastjson says */
  if (soc_collector_validate_reference(&m, &ref) != rc || !soc_collector_verdict_same(&v, &ref))
    __builtin_trap();
  soc_collector_verdict_clear(&ref);
  check_str(v.detail, sizeof v.detail);
  check_str(v.agent, sizeof v.agent);
  check_str(v.event_id, sizeof v.event_id);
  check_str(v.host, sizeof v.host);
  check_str(v.ts, sizeof v.ts);
  check_str(v.agency, sizeof v.agency);
  check_str(v.version, sizeof v.version);
  check_str(v.broker, sizeof v.broker);
  if (rc == SOC_COLLECTOR_OK) {
    if (!soc_collector_agent_id_ok(v.agent, strlen(v.agent))) __builtin_trap();
    if (m.hdr_agent &&
        (m.hdr_agent_len != strlen(v.agent) || memcmp(m.hdr_agent, v.agent, m.hdr_agent_len)))
      __builtin_trap();
    if (m.kind == SOC_COLLECTOR_EVENTS && (strlen(v.event_id) != 32 || !m.hdr_agent))
      __builtin_trap();
    if (m.len > SOC_COLLECTOR_MSG_MAX) __builtin_trap();
    /* a round trip taken is one the center can show: unknown, or in range */
    if (m.kind == SOC_COLLECTOR_HEARTBEAT &&
        (v.broker_rtt_ms < -1 || v.broker_rtt_ms > SOC_COLLECTOR_RTT_MAX_MS))
      __builtin_trap();
  } else if (v.counters) {
    __builtin_trap(); /* nothing is handed out with a rejection */
  }
  soc_collector_verdict_clear(&v);
  return 0;
}
