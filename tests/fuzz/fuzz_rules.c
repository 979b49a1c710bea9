/*
 * libFuzzer harness: the rule loader on arbitrary bytes (rule files are
 * untrusted input), and, when the bytes load, the matcher and the
 * correlator on the same bytes: every line of the input is also parsed as a
 * syslog line and matched twice, through the automaton and by evaluating
 * every rule. The two must name the same rules in the same order, which
 * holds the required-literal analysis to account on whatever regexes the
 * fuzzer invents. Hits feed a small correlator whose dump must restore.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "soc/correlate.h"
#include "soc/diag.h"
#include "soc/rules.h"
#include "soc/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64
#define MAX_HITS 256

typedef struct hits {
  size_t n;
  size_t idx[MAX_HITS];
  soc_correlator *corr;
  int64_t ts;
} hits;

static int collect(const soc_rule *rule, soc_event *ev, void *arg) {
  hits *h = arg;
  soc_fire f;
  if (h->n < MAX_HITS) h->idx[h->n++] = soc_rule_index(rule);
  if (h->corr && soc_correlator_feed(h->corr, rule, ev, h->ts, &f) < 0) __builtin_trap();
  return 0;
}

static int restore_cb(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  if (!rule || !blob) return 0;
  if (len > SOC_CORRELATE_BLOB_MAX) __builtin_trap();
  /* what we dumped, we must be able to take back */
  if (soc_correlator_restore(arg, rule, key, blob, len) != 0) __builtin_trap();
  return 0;
}

static void exercise(const soc_rules *rs, const char *text, size_t size) {
  soc_match_ctx *fast = soc_match_ctx_new(rs), *slow = soc_match_ctx_new(rs);
  soc_event *a = soc_event_new(), *b = soc_event_new();
  soc_correlator *corr = NULL, *back = NULL;
  soc_syslog_opts opts = {.recv_ns = INT64_C(1795593600000000000)};
  size_t lines = 0;
  if (!fast || !slow || !a || !b || soc_correlator_new(rs, 16, &corr) < 0 ||
      soc_correlator_new(rs, 16, &back) < 0)
    goto out;
  soc_match_ctx_set_flags(slow, SOC_MATCH_NO_PREFILTER);
  for (size_t off = 0; off <= size && lines < MAX_LINES; lines++) {
    const char *nl = memchr(text + off, '\n', size - off);
    size_t len = nl ? (size_t)(nl - (text + off)) : size - off;
    hits x = {.corr = corr}, y = {0};
    soc_event_reset(a);
    soc_event_reset(b);
    soc_syslog_parse(text + off, len, &opts, a);
    soc_syslog_parse(text + off, len, &opts, b);
    /* the line's own time, as the detector uses: anywhere in int64 */
    if (soc_event_get_time(a, &x.ts) < 0) x.ts = opts.recv_ns;
    if (soc_rules_match(rs, fast, a, collect, &x) < 0) __builtin_trap();
    if (soc_rules_match(rs, slow, b, collect, &y) < 0) __builtin_trap();
    if (x.n != y.n || memcmp(x.idx, y.idx, x.n * sizeof x.idx[0])) __builtin_trap();
    off += len + 1;
  }
  if (soc_correlator_dump(corr, SOC_DUMP_ALL, restore_cb, back) != 0) __builtin_trap();
out:
  soc_correlator_free(back);
  soc_correlator_free(corr);
  soc_event_free(a);
  soc_event_free(b);
  soc_match_ctx_free(fast);
  soc_match_ctx_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  int rc = soc_rules_load_buffer("/fuzz/rules.yaml", (const char *)data, size, &rs, &st, d);
  if (rc == 0 && !rs) __builtin_trap();
  /* a file either loads whole or not at all */
  if (rc == 0 && st.files_failed != (soc_diag_errors(d) ? 1u : 0u)) __builtin_trap();
  if (rc == 0 && st.files_failed && soc_rules_count(rs)) __builtin_trap();
  if (rs && soc_rules_count(rs)) exercise(rs, (const char *)data, size);
  soc_rules_free(rs);
  soc_diag_free(d);
  return 0;
}
