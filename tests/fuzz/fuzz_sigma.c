/*
 * libFuzzer harness: the Sigma loader (sigma.c) on arbitrary bytes (a
 * shared Sigma rule is untrusted input), and, when a rule loads, the
 * matcher on the same bytes: every line is also read as the JSON input
 * reads it (soc_event_from_json_line_or_syslog) and as an audit record, and
 * matched through the automaton and by evaluating every rule; the two must
 * agree, which holds the compiled prefilter set (soc_rule.req) to account
 * on whatever detection the fuzzer invents. A rule is loaded or refused
 * with a counted reason, never both, never neither.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "soc/auditd.h"
#include "soc/diag.h"
#include "soc/json_event.h"
#include "soc/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static int count(const soc_rule *rule, soc_event *ev, void *arg) {
  (void)rule;
  (void)ev;
  (*(int *)arg)++;
  return 0;
}

static void exercise(const soc_rules *rs, const char *text, size_t size) {
  soc_match_ctx *fast = soc_match_ctx_new(rs), *slow = soc_match_ctx_new(rs);
  soc_event *a = soc_event_new(), *b = soc_event_new();
  soc_json_event_opts jo = {.time_field = "@timestamp", .host_field = "host"};
  soc_syslog_opts so = {.recv_ns = INT64_C(1795593600000000000)};
  size_t lines = 0;
  if (!fast || !slow || !a || !b) goto out;
  soc_match_ctx_set_flags(slow, SOC_MATCH_NO_PREFILTER);
  for (size_t off = 0; off <= size && lines < MAX_LINES; lines++) {
    const char *nl = memchr(text + off, '\n', size - off);
    size_t len = nl ? (size_t)(nl - (text + off)) : size - off;
    for (int how = 0; how < 2; how++) {
      int x = 0, y = 0;
      soc_event_reset(a);
      soc_event_reset(b);
      if (how == 0) {
        soc_event_from_json_line_or_syslog(a, text + off, len, &jo, &so);
        soc_event_from_json_line_or_syslog(b, text + off, len, &jo, &so);
      } else {
        soc_event_from_audit_line(a, text + off, len);
        soc_event_from_audit_line(b, text + off, len);
      }
      if (soc_rules_match(rs, fast, a, count, &x) < 0) __builtin_trap();
      if (soc_rules_match(rs, slow, b, count, &y) < 0) __builtin_trap();
      if (x != y) __builtin_trap();
    }
    off += len + 1;
  }
out:
  soc_event_free(a);
  soc_event_free(b);
  soc_match_ctx_free(fast);
  soc_match_ctx_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  size_t reasons = 0;
  int rc = soc_rules_load_sigma_buffer("/fuzz/rule.yml", (const char *)data, size, &rs, &st, d);
  if (rc == 0 && !rs) __builtin_trap();
  if (rc == 0) {
    for (int r = 0; r < SOC_SIGMA_REASONS; r++) reasons += st.sigma_reasons[r];
    if (reasons != st.sigma_refused) __builtin_trap();
    if (st.sigma_loaded + st.sigma_refused != 1) __builtin_trap();
    if (st.sigma_loaded != soc_rules_count(rs)) __builtin_trap();
    if (st.sigma_refused && !soc_diag_count(d)) __builtin_trap(); /* never silent */
  }
  if (rs && soc_rules_count(rs)) exercise(rs, (const char *)data, size);
  soc_rules_free(rs);
  soc_diag_free(d);
  return 0;
}
