/*
 * libFuzzer harness: the Sigma loader (sigma.c) on arbitrary bytes (a
 * shared Sigma rule is untrusted input), and, when a rule loads, the
 * matcher on the same bytes: every line is also read as the JSON input
 * reads it (soc_event_from_json_line_or_syslog) and as an audit record, and
 * matched through the automaton and by evaluating every rule; the two must
 * agree, which holds the compiled prefilter set (soc_rule.req) to account
 * on whatever detection the fuzzer invents. A rule is loaded or refused
 * with a counted reason, never both, never neither.
 *
 * Input that names a correlation is also loaded beside two fixed rules it
 * may name (whoami, net: Windows process creation, User and CommandLine),
 * with a fixed placeholder table, and fixed events of both (then its own
 * lines) fed through the correlator, queued firings and windows decided
 * at their end included.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "soc/auditd.h"
#include "soc/correlate.h"
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

static const soc_sigma_pair placeholders[] = {{"admins", "root"}, {"admins", "bob"}};
static const soc_sigma_opts opts = {.placeholders = placeholders, .nplaceholders = 2};

#define BASE(id, img)                                             \
  "title: " id "\nid: " id "\nname: " id                          \
  "\n"                                                            \
  "logsource: { product: windows, category: process_creation }\n" \
  "detection:\n  s: { Image|endswith: '" img "' }\n  condition: s\n"

typedef struct feed {
  soc_correlator *c;
  int64_t ts;
} feed;

static int fed(const soc_rule *rule, soc_event *ev, void *arg) {
  feed *f = arg;
  soc_fire fire;
  if (soc_correlator_feed(f->c, rule, ev, f->ts, &fire) < 0) return -1;
  while (soc_correlator_next(f->c, &fire))
    if (!fire.rule) __builtin_trap();
  return 0;
}

/* Whether "correlation" is in the bytes. */
static int names_correlation(const char *p, size_t n) {
  for (size_t i = 0; i + 11 <= n; i++)
    if (!memcmp(p + i, "correlation", 11)) return 1;
  return 0;
}

/* Events of the fixed rules: second, user, image, command line. */
static const char *const events[][4] = {
    {"01", "bob", "whoami", "a"}, {"02", "eve", "net", "bob"},  {"03", "bob", "net", "b"},
    {"04", "bob", "whoami", "c"}, {"09", "eve", "whoami", "a"}, {"20", "bob", "net", "a"},
    {"40", "ann", "net", "eve"},  {"59", "bob", "whoami", "a"},
};

static void feed_line(const soc_rules *rs, soc_match_ctx *ctx, feed *fd, soc_event *ev,
                      const char *line, size_t len) {
  soc_json_event_opts jo = {.time_field = "@timestamp"};
  soc_syslog_opts so = {.recv_ns = INT64_C(1795593600000000000)};
  soc_fire f;
  soc_event_reset(ev);
  soc_event_from_json_line_or_syslog(ev, line, len, &jo, &so);
  fd->ts = 0;
  soc_event_get_time(ev, &fd->ts);
  if (soc_rules_match(rs, ctx, ev, fed, fd) < 0) return;
  soc_correlator_close(fd->c, fd->ts);
  while (soc_correlator_next(fd->c, &f)) soc_correlator_key_event(&f, ev);
}

/* The correlation in data beside the fixed rules, fed their events and
 * data's lines. */
static void correlate(const char *text, size_t size) {
  static const char *const names[] = {"/fuzz/whoami.yml", "/fuzz/net.yml", "/fuzz/corr.yml"};
  const char *bufs[] = {BASE("whoami", "whoami.exe"), BASE("net", "net.exe"), text};
  size_t lens[] = {strlen(bufs[0]), strlen(bufs[1]), size};
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  feed fd = {NULL, 0};
  soc_match_ctx *ctx = NULL;
  soc_event *ev = soc_event_new();
  char line[512];
  if (!d || !ev || soc_rules_load_sigma_buffers(names, bufs, lens, 3, &opts, &rs, &st, d) < 0)
    goto out;
  if (st.sigma_loaded + st.sigma_refused != 3) __builtin_trap();
  if (!(ctx = soc_match_ctx_new(rs)) || soc_correlator_new(rs, 64, &fd.c) < 0) goto out;
  for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
    int n =
        snprintf(line, sizeof line,
                 "{\"@timestamp\":\"2026-01-01T00:00:%sZ\",\"Event\":{\"System\":{\"EventID\":1,"
                 "\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"},\"EventData\":{"
                 "\"User\":\"%s\",\"Image\":\"C:\\\\%s.exe\",\"CommandLine\":\"%s\"}}}",
                 events[i][0], events[i][1], events[i][2], events[i][3]);
    feed_line(rs, ctx, &fd, ev, line, (size_t)n);
  }
  for (size_t off = 0, lines = 0; off <= size && lines < MAX_LINES; lines++) {
    const char *nl = memchr(text + off, '\n', size - off);
    size_t len = nl ? (size_t)(nl - (text + off)) : size - off;
    feed_line(rs, ctx, &fd, ev, text + off, len);
    off += len + 1;
  }
out:
  soc_correlator_free(fd.c);
  soc_match_ctx_free(ctx);
  soc_event_free(ev);
  soc_rules_free(rs);
  soc_diag_free(d);
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
  if (names_correlation((const char *)data, size)) correlate((const char *)data, size);
  soc_rules_free(rs);
  soc_diag_free(d);
  return 0;
}
