/*
 * sigma: Sigma rules compiled onto the rule engine. Each modifier, the
 * wildcards and their escapes, null and empty values, keywords, every
 * condition form; the logsource's own tests (Windows channel and event id,
 * syslog program); refusals, each with its reason and counted; the JSON
 * input's flattening. Every match is checked twice, through the prefilter
 * and by evaluating every rule, which must agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "soc/auditd.h"
#include "soc/correlate.h"
#include "soc/json_event.h"
#include "soc/rules.h"
#include "soc/syslog.h"
#include "testutil.h"

#define WIN_HEAD \
  "title: t\n"   \
  "id: r1\n"     \
  "logsource: { product: windows, category: process_creation }\n"

/* A Sysmon process creation as evtx_dump writes it, with EventData. */
static const char *win_event(char *buf, size_t len, const char *data) {
  snprintf(
      buf, len,
      "{\"Event\":{\"#attributes\":{\"xmlns\":\"x\"},\"System\":{\"Provider\":{\"#attributes\":"
      "{\"Name\":\"Microsoft-Windows-Sysmon\"}},\"EventID\":1,\"Channel\":"
      "\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"pc1\",\"TimeCreated\":"
      "{\"#attributes\":{\"SystemTime\":\"2026-04-17T05:24:53.092051Z\"}}},"
      "\"EventData\":{%s}}}",
      data);
  return buf;
}

/* The one Sigma rule in text, loaded with the operator's tables (NULL:
 * none). */
static soc_rules *load_with(const char *text, const soc_sigma_opts *opts, soc_rules_stats *st) {
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  const char *file = write_file("r.yml", text);
  assert_int_equal(soc_rules_load_sigma_opts(NULL, 0, &file, 1, opts, &rs, st, d), 0);
  assert_int_equal(soc_diag_errors(d), 0);
  if (st->sigma_refused) soc_diag_print(d, stderr);
  soc_diag_free(d);
  return rs;
}

static soc_rules *load(const char *text, soc_rules_stats *st) { return load_with(text, NULL, st); }

static int count_hit(const soc_rule *r, soc_event *ev, void *arg) {
  (void)r;
  (void)ev;
  (*(int *)arg)++;
  return 0;
}

/* Whether the one rule in text fires on the JSON line (both ways). */
static int fires_json_with(const char *rule, const char *json, const soc_sigma_opts *opts) {
  soc_rules_stats st;
  soc_rules *rs = load_with(rule, opts, &st);
  soc_json_event_opts o = {.time_field = "Event.System.TimeCreated.SystemTime",
                           .host_field = "Event.System.Computer"};
  int a = 0, b = 0;
  assert_int_equal(st.sigma_loaded, 1);
  soc_match_ctx *fast = soc_match_ctx_new(rs), *slow = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  assert_non_null(fast);
  assert_non_null(slow);
  soc_match_ctx_set_flags(slow, SOC_MATCH_NO_PREFILTER);
  assert_true(soc_event_from_json_line(ev, json, strlen(json), &o) >= 0);
  assert_true(soc_rules_match(rs, fast, ev, count_hit, &a) >= 0);
  assert_true(soc_rules_match(rs, slow, ev, count_hit, &b) >= 0);
  assert_int_equal(a, b);
  soc_event_free(ev);
  soc_match_ctx_free(fast);
  soc_match_ctx_free(slow);
  soc_rules_free(rs);
  return a;
}

static int fires_json(const char *rule, const char *json) {
  return fires_json_with(rule, json, NULL);
}

/* The rule WIN_HEAD + detection on an event with EventData data. */
static int win(const char *detection, const char *data) {
  char rule[4096], ev[4096];
  snprintf(rule, sizeof rule, WIN_HEAD "detection:\n%s", detection);
  return fires_json(rule, win_event(ev, sizeof ev, data));
}

/* The reason the rule is refused for, or -1 when it loads. */
static int refused(const char *text) {
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  int reason = -1;
  assert_int_equal(soc_rules_load_sigma_buffer("r.yml", text, strlen(text), &rs, &st, d), 0);
  for (int r = 0; r < SOC_SIGMA_REASONS; r++)
    if (st.sigma_reasons[r]) reason = r;
  if (reason >= 0) {
    assert_int_equal(st.sigma_refused, 1);
    assert_int_equal(soc_rules_count(rs), 0);
    assert_true(soc_diag_contains(d, "refused"));
  }
  soc_rules_free(rs);
  soc_diag_free(d);
  return reason;
}

static void test_plain_values(void **state) {
  (void)state;
  const char *img = "\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\"";
  /* plain: whole value, ASCII case ignored */
  assert_int_equal(win("  s: { Image: 'c:\\windows\\system32\\CMD.EXE' }\n  condition: s\n", img),
                   1);
  assert_int_equal(win("  s: { Image: 'cmd.exe' }\n  condition: s\n", img), 0);
  assert_int_equal(win("  s: { Image|endswith: '\\cmd.exe' }\n  condition: s\n", img), 1);
  assert_int_equal(win("  s: { Image|startswith: 'C:\\Windows\\' }\n  condition: s\n", img), 1);
  assert_int_equal(win("  s: { Image|contains: 'system32' }\n  condition: s\n", img), 1);
  assert_int_equal(win("  s: { Image|contains: 'system64' }\n  condition: s\n", img), 0);
  /* cased */
  assert_int_equal(win("  s: { Image|contains|cased: 'system32' }\n  condition: s\n", img), 0);
  assert_int_equal(win("  s: { Image|contains|cased: 'System32' }\n  condition: s\n", img), 1);
  /* a list is any of; all makes it every one */
  assert_int_equal(win("  s: { Image|contains: [ 'zz', 'cmd' ] }\n  condition: s\n", img), 1);
  assert_int_equal(win("  s: { Image|contains|all: [ 'zz', 'cmd' ] }\n  condition: s\n", img), 0);
  assert_int_equal(win("  s: { Image|contains|all: [ 'windows', 'cmd' ] }\n  condition: s\n", img),
                   1);
  /* numbers compare as text */
  assert_int_equal(win("  s: { ProcessId: 4688 }\n  condition: s\n", "\"ProcessId\":4688"), 1);
  assert_int_equal(win("  s: { ProcessId: 468 }\n  condition: s\n", "\"ProcessId\":4688"), 0);
}

static void test_wildcards(void **state) {
  (void)state;
  const char *cl = "\"CommandLine\":\"powershell -enc AAAA *star? x\"";
  assert_int_equal(win("  s: { CommandLine: 'power*-enc*' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine: 'power*-ENC ?\?\?\?' }\n  condition: s\n", cl), 0);
  assert_int_equal(win("  s: { CommandLine: 'power*-ENC ?\?\?\?*' }\n  condition: s\n", cl), 1);
  /* escapes: \* and \? are the characters themselves */
  assert_int_equal(win("  s: { CommandLine|contains: '\\*star\\?' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine|contains: 'x\\*star' }\n  condition: s\n", cl), 0);
  /* a * inside contains still spans anything */
  assert_int_equal(win("  s: { CommandLine|contains: 'shell*AAAA' }\n  condition: s\n", cl), 1);
  /* a lone * matches any value that is there */
  assert_int_equal(win("  s: { CommandLine: '*' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { ParentImage: '*' }\n  condition: s\n", cl), 0);
}

static void test_null_empty_exists(void **state) {
  (void)state;
  const char *d = "\"Image\":\"a.exe\",\"Description\":\"\"";
  assert_int_equal(win("  s: { OriginalFileName: null }\n  condition: s\n", d), 1);
  assert_int_equal(win("  s: { Image: null }\n  condition: s\n", d), 0);
  assert_int_equal(win("  s: { Description: '' }\n  condition: s\n", d), 1);
  assert_int_equal(win("  s: { Image: '' }\n  condition: s\n", d), 0);
  assert_int_equal(win("  s: { Image|exists: true }\n  condition: s\n", d), 1);
  assert_int_equal(win("  s: { Image|exists: false }\n  condition: s\n", d), 0);
  assert_int_equal(win("  s: { Hashes|exists: false }\n  condition: s\n", d), 1);
}

static void test_conditions(void **state) {
  (void)state;
  const char *d = "\"Image\":\"a.exe\",\"User\":\"bob\"";
  const char *sels =
      "  sel_a: { Image: 'a.exe' }\n"
      "  sel_b: { User: 'eve' }\n"
      "  filter: { User: 'bob' }\n";
  char det[1024];
#define COND(c) (snprintf(det, sizeof det, "%s  condition: %s\n", sels, c), det)
  assert_int_equal(win(COND("sel_a and sel_b"), d), 0);
  assert_int_equal(win(COND("sel_a or sel_b"), d), 1);
  assert_int_equal(win(COND("sel_a and not filter"), d), 0);
  assert_int_equal(win(COND("not sel_b"), d), 1);
  assert_int_equal(win(COND("1 of sel_*"), d), 1);
  assert_int_equal(win(COND("all of sel_*"), d), 0);
  assert_int_equal(win(COND("all of sel_* or filter"), d), 1);
  assert_int_equal(win(COND("sel_b or (sel_a and filter)"), d), 1);
  assert_int_equal(win(COND("(sel_b or sel_a) and not filter"), d), 0);
  assert_int_equal(win(COND("1 of them"), d), 1);
  assert_int_equal(win(COND("all of them"), d), 0);
  /* not binds tighter than and, and than or */
  assert_int_equal(win(COND("not sel_b and sel_a or sel_b"), d), 1);
  /* the old list form: any of the conditions */
  snprintf(det, sizeof det, "%s  condition: [ sel_b, filter ]\n", sels);
  assert_int_equal(win(det, d), 1);
  /* a list of maps is any of them */
  assert_int_equal(win("  s:\n    - { Image: x }\n    - { User: bob }\n  condition: s\n", d), 1);
#undef COND
}

static void test_modifiers(void **state) {
  (void)state;
  /* re: a search, case-sensitive unless i */
  const char *cl = "\"CommandLine\":\"Cmd /c whoami\\nnext\"";
  assert_int_equal(win("  s: { CommandLine|re: 'c\\s+whoami' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine|re: '^cmd' }\n  condition: s\n", cl), 0);
  assert_int_equal(win("  s: { CommandLine|re|i: '^cmd' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine|re: '^next' }\n  condition: s\n", cl), 0);
  assert_int_equal(win("  s: { CommandLine|re|m: '^next' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine|re: 'whoami.next' }\n  condition: s\n", cl), 0);
  assert_int_equal(win("  s: { CommandLine|re|s: 'whoami.next' }\n  condition: s\n", cl), 1);
  /* windash: -, /, en dash, em dash, horizontal bar */
  assert_int_equal(win("  s: { CommandLine|windash|contains: ' -c ' }\n  condition: s\n", cl), 1);
  assert_int_equal(win("  s: { CommandLine|windash|contains: ' -c ' }\n  condition: s\n",
                       "\"CommandLine\":\"cmd \xe2\x80\x94"
                       "c whoami\""),
                   1);
  assert_int_equal(win("  s: { CommandLine|windash|contains: ' -x ' }\n  condition: s\n", cl), 0);
  /* base64 / base64offset ("whoami": d2hvYW1p; at offset 1 " whoami": IHdob2FtaQ) */
  assert_int_equal(win("  s: { CommandLine|base64: 'whoami' }\n  condition: s\n",
                       "\"CommandLine\":\"d2hvYW1p\""),
                   1);
  assert_int_equal(win("  s: { CommandLine|base64offset|contains: 'whoami' }\n  condition: s\n",
                       "\"CommandLine\":\"x IHdob2FtaQ== y\""),
                   1);
  assert_int_equal(win("  s: { CommandLine|base64offset|contains: 'whoami' }\n  condition: s\n",
                       "\"CommandLine\":\"x d2hvYW1p y\""),
                   1);
  assert_int_equal(win("  s: { CommandLine|base64offset|contains: 'whoami' }\n  condition: s\n",
                       "\"CommandLine\":\"d2hpYW1p\""),
                   0);
  /* utf16le then base64: "ab" -> 61 00 62 00 -> YQBiAA== */
  assert_int_equal(win("  s: { CommandLine|wide|base64: 'ab' }\n  condition: s\n",
                       "\"CommandLine\":\"YQBiAA==\""),
                   1);
  assert_int_equal(win("  s: { CommandLine|utf16be|base64: 'ab' }\n  condition: s\n",
                       "\"CommandLine\":\"AGEAYg==\""),
                   1);
  /* cidr, v4 and v6 */
  const char *ip = "\"DestinationIp\":\"10.1.2.3\",\"SourceIp\":\"2001:db8::5\"";
  assert_int_equal(win("  s: { DestinationIp|cidr: [ '192.168.0.0/16', '10.0.0.0/8' ] }\n"
                       "  condition: s\n",
                       ip),
                   1);
  assert_int_equal(win("  s: { DestinationIp|cidr: '10.2.0.0/16' }\n  condition: s\n", ip), 0);
  assert_int_equal(win("  s: { SourceIp|cidr: '2001:db8::/32' }\n  condition: s\n", ip), 1);
  /* numbers */
  const char *n = "\"LogonType\":\"10\"";
  assert_int_equal(win("  s: { LogonType|gt: 9 }\n  condition: s\n", n), 1);
  assert_int_equal(win("  s: { LogonType|gt: 10 }\n  condition: s\n", n), 0);
  assert_int_equal(win("  s: { LogonType|gte: 10 }\n  condition: s\n", n), 1);
  assert_int_equal(win("  s: { LogonType|lt: 10 }\n  condition: s\n", n), 0);
  assert_int_equal(win("  s: { LogonType|lte: 10 }\n  condition: s\n", n), 1);
  /* fieldref */
  assert_int_equal(win("  s: { Image|fieldref: ParentImage }\n  condition: s\n",
                       "\"Image\":\"a\",\"ParentImage\":\"a\""),
                   1);
  assert_int_equal(win("  s: { Image|fieldref: ParentImage }\n  condition: s\n",
                       "\"Image\":\"a\",\"ParentImage\":\"b\""),
                   0);
}

static void test_logsource(void **state) {
  (void)state;
  char ev[1024];
  /* a file_event rule does not fire on a process creation (event id 1) */
  assert_int_equal(
      fires_json("title: t\nid: r\nlogsource: { product: windows, category: file_event }\n"
                 "detection:\n  s: { Image|endswith: 'a.exe' }\n  condition: s\n",
                 win_event(ev, sizeof ev, "\"Image\":\"a.exe\"")),
      0);
  /* a Security-channel rule does not fire on Sysmon's channel */
  assert_int_equal(
      fires_json("title: t\nid: r\nlogsource: { product: windows, service: security }\n"
                 "detection:\n  s: { Image|endswith: 'a.exe' }\n  condition: s\n",
                 win_event(ev, sizeof ev, "\"Image\":\"a.exe\"")),
      0);
  /* Winlogbeat's shape maps too */
  assert_int_equal(
      fires_json(WIN_HEAD "detection:\n  s: { Image|endswith: 'a.exe' }\n  condition: s\n",
                 "{\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":1,"
                 "\"event_data\":{\"Image\":\"C:\\\\a.exe\"}}}"),
      1);
  /* and NXLog's flat object (im_msvistalog to JSON); a Security event is not Sysmon's */
  assert_int_equal(
      fires_json(WIN_HEAD "detection:\n  s: { Image|endswith: 'a.exe' }\n  condition: s\n",
                 "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
                 "\"SourceName\":\"Microsoft-Windows-Sysmon\",\"Image\":\"C:\\\\a.exe\"}"),
      1);
  assert_int_equal(
      fires_json(WIN_HEAD "detection:\n  s: { Image|endswith: 'a.exe' }\n  condition: s\n",
                 "{\"EventID\":4688,\"Channel\":\"Security\",\"Image\":\"C:\\\\a.exe\"}"),
      0);
  /* Linux syslog: keywords over the message of the service's program */
  const char *rule =
      "title: t\nid: r\nlogsource: { product: linux, service: sshd }\n"
      "detection:\n  keywords: [ 'error: buffer*overflow', 'bad thing' ]\n"
      "  condition: keywords\n";
  soc_rules_stats st;
  soc_rules *rs = load(rule, &st);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *e = soc_event_new();
  soc_syslog_opts o = {.recv_ns = INT64_C(1795593600000000000)};
  const char *lines[] = {"<38>Jan  5 10:00:00 h sshd[1]: error: buffer big overflow here",
                         "<38>Jan  5 10:00:00 h cron[1]: error: buffer big overflow here",
                         "<38>Jan  5 10:00:00 h sshd[1]: a BAD THING"};
  int want[] = {1, 0, 1};
  for (size_t i = 0; i < 3; i++) {
    int hits = 0;
    soc_event_reset(e);
    soc_syslog_parse(lines[i], strlen(lines[i]), &o, e);
    assert_true(soc_rules_match(rs, ctx, e, count_hit, &hits) >= 0);
    assert_int_equal(hits, want[i]);
  }
  soc_event_free(e);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
}

static void test_refusals(void **state) {
  (void)state;
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image|foo: x }\n  condition: s\n"),
                   SOC_SIGMA_MODIFIER);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image|re: '(' }\n  condition: s\n"),
                   SOC_SIGMA_REGEX);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image|cidr: 'x/8' }\n  condition: s\n"),
                   SOC_SIGMA_VALUE);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: t\n"),
                   SOC_SIGMA_CONDITION);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: s and\n"),
                   SOC_SIGMA_CONDITION);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: (s\n"),
                   SOC_SIGMA_CONDITION);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: 1 of z*\n"),
                   SOC_SIGMA_CONDITION);
  assert_int_equal(
      refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: s | count() > 5\n"),
      SOC_SIGMA_CORRELATION);
  assert_int_equal(refused("title: t\nid: r\nlogsource: { product: aws, service: cloudtrail }\n"
                           "detection:\n  s: { a: x }\n  condition: s\n"),
                   SOC_SIGMA_LOGSOURCE);
  assert_int_equal(refused("title: t\nid: r\nlogsource: { category: webserver }\n"
                           "detection:\n  s: { cs-cookie: x }\n  condition: s\n"),
                   SOC_SIGMA_FIELD);
  assert_int_equal(refused(WIN_HEAD "detection:\n  keywords: [ x ]\n  condition: keywords\n"),
                   SOC_SIGMA_FIELD);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image|utf16le: x }\n  condition: s\n"),
                   SOC_SIGMA_MODIFIER);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image|expand: '%x%' }\n  condition: s\n"),
                   SOC_SIGMA_VALUE); /* no value for the placeholder */
  assert_int_equal(
      refused(WIN_HEAD "detection:\n  s: { Image|re|expand: '%x%' }\n  condition: s\n"),
      SOC_SIGMA_MODIFIER);
  assert_int_equal(refused("title: t\nid: r\ncorrelation: { type: event_count }\n"),
                   SOC_SIGMA_CORRELATION);
  assert_int_equal(refused("title: t\nlogsource: { product: windows }\ndetection: {}\n"),
                   SOC_SIGMA_SYNTAX);
  assert_int_equal(refused(WIN_HEAD "detection:\n  s: { Image: x }\n  condition: s\n"), -1);
}

static void test_metadata_and_summary(void **state) {
  (void)state;
  soc_rules_stats st;
  soc_rules *rs = load(
      "title: Whoami\nid: 11111111-2222-3333-4444-555555555555\n"
      "author: A. Person\nlevel: high\n"
      "references: [ 'https://example.org/x' ]\n"
      "tags: [ attack.discovery, attack.t1033, attack.t1059.001 ]\n"
      "logsource: { category: webserver }\n"
      "detection:\n  s: { cs-uri-query|contains: 'whoami' }\n  condition: s\n",
      &st);
  const soc_rule *r = soc_rules_at(rs, 0);
  size_t n = 0;
  assert_non_null(r);
  assert_string_equal(soc_rule_title(r), "Whoami");
  assert_string_equal(soc_rule_level(r), "high");
  assert_string_equal(soc_rule_author(r), "A. Person");
  assert_true(soc_rule_is_sigma(r));
  const char *const *m = soc_rule_mitre(r, &n);
  assert_int_equal(n, 2);
  assert_string_equal(m[0], "T1033");
  assert_string_equal(m[1], "T1059.001");
  soc_rule_references(r, &n);
  assert_int_equal(n, 1);
  assert_int_equal(soc_rule_incident_of(r)->category, SOC_CATEGORY_WEB_ATTACK);
  /* discovery: an alert with no clock (docs/SIGMA.md, "Alerts or drafts") */
  assert_int_equal(soc_rule_incident_of(r)->impact, SOC_IMPACT_NONE);
  assert_true(soc_rule_incident_of(r)->alert_only);
  assert_true(soc_rule_anchored(r));
  soc_rules_free(rs);
  /* a tactic with impact: tampering, severe for a high rule; exfiltration
   * outranks it as a leak of the asset's data */
  rs = load(
      "title: Backdoor\nid: 11111111-2222-3333-4444-555555555556\nlevel: high\n"
      "tags: [ attack.persistence ]\nlogsource: { category: webserver }\n"
      "detection:\n  s: { cs-uri-query|contains: 'x' }\n  condition: s\n",
      &st);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->impact, SOC_IMPACT_TAMPER);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->severity, SOC_SEVERITY_SEVERE);
  soc_rules_free(rs);
  rs = load(
      "title: Taken\nid: 11111111-2222-3333-4444-555555555557\nlevel: low\n"
      "tags: [ attack.persistence, attack.exfiltration ]\nlogsource: { category: webserver }\n"
      "detection:\n  s: { cs-uri-query|contains: 'x' }\n  condition: s\n",
      &st);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->impact, SOC_IMPACT_LEAK);
  assert_true(soc_rule_incident_of(soc_rules_at(rs, 0))->data_from_asset);
  st.sigma_refused = 3;
  st.sigma_reasons[SOC_SIGMA_FIELD] = 2;
  st.sigma_reasons[SOC_SIGMA_LOGSOURCE] = 1;
  char buf[256];
  soc_rules_sigma_summary(&st, buf, sizeof buf);
  assert_string_equal(buf, "1 Sigma rule(s) loaded, 3 refused (1 logsource, 2 field)");
  soc_rules_free(rs);
}

static void test_json_event(void **state) {
  (void)state;
  soc_event *ev = soc_event_new();
  soc_json_event_opts o = {.time_field = "Event.System.TimeCreated.SystemTime",
                           .host_field = "Event.System.Computer"};
  char buf[2048];
  int64_t ns = 0;
  win_event(buf, sizeof buf, "\"a b\":null,\"x\":true");
  int rc = soc_event_from_json_line(ev, buf, strlen(buf), &o);
  assert_int_equal(rc, SOC_JSON_EVENT_TIME | SOC_JSON_EVENT_HOST);
  assert_string_equal(soc_event_get(ev, "Event.System.Provider.Name"), "Microsoft-Windows-Sysmon");
  assert_string_equal(soc_event_get(ev, "Event.System.EventID"), "1");
  assert_string_equal(soc_event_get(ev, "Event.EventData.x"), "true");
  assert_null(soc_event_get(ev, "Event.EventData.a_b"));
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME), "pc1");
  assert_int_equal(soc_event_get_time(ev, &ns), 0);
  assert_true(ns == INT64_C(1776403493092051000));
  soc_event_reset(ev);
  assert_int_equal(soc_event_from_json_line(ev, "[1]", 3, &o), -EINVAL);
  assert_int_equal(soc_event_from_json_line(ev, "{\"a", 3, &o), -EINVAL);
  /* a syslog header in front of the object */
  soc_syslog_opts so = {.recv_ns = INT64_C(1795593600000000000)};
  const char *line = "<14>Jan  5 10:00:00 win1 nxlog: {\"EventID\":4625,\"message\":\"m\"}";
  soc_event_reset(ev);
  assert_true(soc_event_from_json_line_or_syslog(ev, line, strlen(line), &o, &so) >= 0);
  assert_string_equal(soc_event_get(ev, "EventID"), "4625");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "m");
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_HOST_NAME), "win1");
  soc_event_reset(ev);
  assert_int_equal(soc_event_from_json_line_or_syslog(ev, "plain text", 10, &o, &so), -EINVAL);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "plain text");
  soc_event_free(ev);
}

/* Web rules: the pcap input's HTTP transactions and access-log lines
 * (format: access; a web server's for webserver rules, a forward proxy's
 * for proxy rules), cs-uri-query being the request target as SigmaHQ's
 * rules use it; service apache/nginx: the error log's lines. */
static void test_web_sources(void **state) {
  (void)state;
  static const char f5[] =
      "title: F5\nid: f5\nlogsource: { category: webserver }\n"
      "detection:\n  s: { cs-method: POST, cs-uri-query|endswith: '/mgmt/tm/util/bash' }\n"
      "  condition: s\n";
  static const char proxy[] =
      "title: F5 out\nid: f5p\nlogsource: { category: proxy }\n"
      "detection:\n  s: { cs-method: POST, c-uri|endswith: '/mgmt/tm/util/bash' }\n"
      "  condition: s\n";
  static const char segv[] =
      "title: segv\nid: segv\nlogsource: { service: apache }\n"
      "detection:\n  k: [ 'exit signal Segmentation Fault' ]\n"
      "  condition: k\n";
#define HTTP(ds, m)                                                            \
  "{\"event\":{\"dataset\":\"" ds "\"},\"http\":{\"request\":{\"method\":\"" m \
  "\"}},"                                                                      \
  "\"url\":{\"original\":\"/mgmt/tm/util/bash\",\"path\":\"/mgmt/tm/util/bash\"}}"
  assert_int_equal(fires_json(f5, HTTP("web.access", "POST")), 1);
  assert_int_equal(fires_json(f5, HTTP("network.http", "POST")), 1);
  assert_int_equal(fires_json(f5, HTTP("web.access", "GET")), 0);
  assert_int_equal(fires_json(f5, HTTP("system.syslog", "POST")), 0);
  /* a proxy rule: a forward proxy's log, not a web server's */
  assert_int_equal(fires_json(proxy, HTTP("proxy.access", "POST")), 1);
  assert_int_equal(fires_json(proxy, HTTP("network.http", "POST")), 1);
  assert_int_equal(fires_json(proxy, HTTP("web.access", "POST")), 0);
  assert_int_equal(fires_json(f5, HTTP("proxy.access", "POST")), 0);
#undef HTTP
  assert_int_equal(
      fires_json(segv, "{\"message\":\"[notice] child pid 7 exit signal Segmentation fault\"}"), 1);
  assert_int_equal(fires_json(segv, "{\"message\":\"[notice] caught SIGTERM\"}"), 0);
  /* an apache service has no fields of ours */
  assert_int_equal(refused("title: t\nid: t\nlogsource: { service: nginx }\n"
                           "detection:\n  s: { cs-method: GET }\n  condition: s\n"),
                   SOC_SIGMA_FIELD);
}

static void test_auditd_line(void **state) {
  (void)state;
  soc_event *ev = soc_event_new();
  int64_t ns = 0;
  const char *l1 =
      "type=EXECVE msg=audit(1700000000.123:42): argc=3 a0=\"chmod\" a1=2B78 a2=\"/t\"";
  assert_int_equal(soc_event_from_audit_line(ev, l1, strlen(l1)), 0);
  assert_string_equal(soc_event_get(ev, "auditd.type"), "EXECVE");
  assert_string_equal(soc_event_get(ev, "auditd.a0"), "chmod");
  assert_string_equal(soc_event_get(ev, "auditd.a1"), "+x"); /* hex decoded */
  assert_string_equal(soc_event_get(ev, "auditd.argc"), "3");
  assert_int_equal(soc_event_get_time(ev, &ns), 0);
  assert_true(ns == INT64_C(1700000000123000000));
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), l1);
  /* proctitle: NULs between arguments become spaces; SYSCALL's a0 stays hex */
  const char *l2 = "type=PROCTITLE msg=audit(1.5:1): proctitle=2F62696E2F7368002D63";
  soc_event_reset(ev);
  assert_int_equal(soc_event_from_audit_line(ev, l2, strlen(l2)), 0);
  assert_string_equal(soc_event_get(ev, "auditd.proctitle"), "/bin/sh -c");
  const char *l3 =
      "type=SYSCALL msg=audit(1.5:1): a0=55 comm=\"ls\"\x1d"
      "SYSCALL=execve AUID=\"root\"";
  soc_event_reset(ev);
  assert_int_equal(soc_event_from_audit_line(ev, l3, strlen(l3)), 0);
  assert_string_equal(soc_event_get(ev, "auditd.a0"), "55");
  assert_string_equal(soc_event_get(ev, "auditd.SYSCALL"), "execve");
  assert_string_equal(soc_event_get(ev, "auditd.AUID"), "root");
  /* not a record: only the message; a key without a name is skipped */
  soc_event_reset(ev);
  assert_int_equal(soc_event_from_audit_line(ev, "=x =y hello", 11), -EINVAL);
  assert_string_equal(soc_event_get_str(ev, SOC_ECS_MESSAGE), "=x =y hello");
  soc_event_free(ev);
}

/* ---- correlation rules --------------------------------------------------- */

#define BASE(id, name, img)                                       \
  "title: " id "\nid: " id "\nname: " name                        \
  "\n"                                                            \
  "logsource: { product: windows, category: process_creation }\n" \
  "detection:\n  s: { Image|endswith: '" img "' }\n  condition: s\n"

typedef struct corr_run {
  soc_rules *rs;
  soc_match_ctx *ctx;
  soc_correlator *corr;
  soc_event *ev, *closed;
  char fired[1024];
} corr_run;

static void corr_note(corr_run *cr, const soc_fire *f) {
  char one[600];
  snprintf(one, sizeof one, "%s=%s ", soc_rule_id(f->rule), f->key);
  assert_true(strlen(cr->fired) + strlen(one) < sizeof cr->fired);
  strcat(cr->fired, one);
}

static size_t fields_read; /* values fields_agree found set */

static void same_value(const soc_event *ev, const char *name, const soc_rules_field *f) {
  char a[64], b[64];
  const char *x = soc_rules_field_value(ev, name, a, sizeof a);
  const char *y = soc_rules_field_get(ev, f, b, sizeof b);
  assert_non_null(f);
  if (!x || !y) {
    assert_ptr_equal(x, y);
    return;
  }
  assert_string_equal(x, y);
  fields_read++;
}

static void same_values(const soc_event *ev, const char *const *names,
                        const soc_rules_field *const *f, size_t n) {
  for (size_t i = 0; i < n; i++) same_value(ev, names[i], f[i]);
}

/* Every field name of every rule of rs reads on ev, resolved, what it reads
 * by its name. */
static void fields_agree(const soc_rules *rs, const soc_event *ev) {
  for (size_t i = 0; i < soc_rules_count(rs); i++) {
    const soc_rule *r = soc_rules_at(rs, i);
    const soc_rule_incident *in = soc_rule_incident_of(r);
    const soc_rule_correlate *c = soc_rule_correlation(r);
    same_values(ev, in->asset_from, in->asset_from_fields, in->nasset_from);
    same_values(ev, in->group_by, in->group_by_fields, in->ngroup_by);
    if (!c) continue;
    same_values(ev, c->group_by, c->group_by_fields, c->ngroup_by);
    if (c->distinct) same_value(ev, c->distinct, c->distinct_field);
    for (size_t m = 0; m < c->nmembers; m++) {
      same_values(ev, c->member_group_by[m], c->member_group_by_fields[m], c->ngroup_by);
      if (c->member_distinct) same_value(ev, c->member_distinct[m], c->member_distinct_fields[m]);
    }
  }
}

static int corr_hit(const soc_rule *r, soc_event *ev, void *arg) {
  corr_run *cr = arg;
  fields_agree(cr->rs, ev);
  soc_fire f;
  int64_t ts = 0;
  soc_event_get_time(ev, &ts);
  int rc = soc_correlator_feed(cr->corr, r, ev, ts, &f);
  assert_true(rc >= 0);
  if (rc == 1 && !soc_rule_silent(r)) corr_note(cr, &f);
  while (soc_correlator_next(cr->corr, &f)) corr_note(cr, &f);
  return 0;
}

/* Feeds (second, user, image, command line) events; returns the firings. */
static const char *corr_feed(corr_run *cr, const char *const *evs, size_t n) {
  cr->fired[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    char sec[8], user[32], img[64], cl[64], data[512], line[2048];
    assert_int_equal(sscanf(evs[i], "%7s %31s %63s %63s", sec, user, img, cl), 4);
    snprintf(data, sizeof data,
             "\"User\":\"%s\",\"Image\":\"C:\\\\W\\\\%s\",\"CommandLine\":\"%s\"", user, img, cl);
    win_event(line, sizeof line, data);
    /* the time: 2026-04-17T05:24:SS */
    char *t = strstr(line, "05:24:53.092051Z");
    assert_non_null(t);
    memcpy(t + 6, sec, 2);
    soc_event_reset(cr->ev);
    soc_json_event_opts o = {.time_field = "Event.System.TimeCreated.SystemTime"};
    assert_true(soc_event_from_json_line(cr->ev, line, strlen(line), &o) >= 0);
    assert_true(soc_rules_match(cr->rs, cr->ctx, cr->ev, corr_hit, cr) >= 0);
    int64_t now = 0;
    soc_event_get_time(cr->ev, &now);
    /* a window's end is decided by the next line past it, whatever it is */
    if (soc_correlator_close(cr->corr, now)) {
      soc_fire f;
      while (soc_correlator_next(cr->corr, &f)) {
        assert_int_equal(soc_correlator_key_event(&f, cr->closed), 0);
        strcat(cr->fired, "closed:");
        corr_note(cr, &f);
      }
    }
  }
  return cr->fired;
}

/* The two base rules, the correlation and (when not NULL) another one. */
static void corr_load_with(corr_run *cr, const char *corr_text, const char *more,
                           soc_rules_stats *st) {
  static char paths[4][256];
  const char *files[4] = {paths[0], paths[1], paths[2], paths[3]};
  snprintf(paths[0], 256, "%s", write_file("a.yml", BASE("a1", "whoami", "whoami.exe")));
  snprintf(paths[1], 256, "%s", write_file("b.yml", BASE("b1", "net", "net.exe")));
  snprintf(paths[2], 256, "%s", write_file("c.yml", corr_text));
  snprintf(paths[3], 256, "%s", more ? write_file("d.yml", more) : "");
  soc_diag *d = soc_diag_new();
  memset(cr, 0, sizeof *cr);
  assert_int_equal(soc_rules_load_with_sigma(NULL, 0, files, more ? 4 : 3, &cr->rs, st, d), 0);
  if (st->sigma_refused) soc_diag_print(d, stderr);
  soc_diag_free(d);
  cr->ctx = soc_match_ctx_new(cr->rs);
  cr->ev = soc_event_new();
  cr->closed = soc_event_new();
  assert_int_equal(soc_correlator_new(cr->rs, 100, &cr->corr), 0);
}

/* The saved states, as the store keeps them. */
typedef struct saved {
  char rule[64], key[SOC_CORRELATE_KEY_MAX + 1];
  unsigned char blob[SOC_CORRELATE_BLOB_MAX];
  size_t len;
} saved;

static int save_one(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  saved *v = arg;
  size_t i = 0;
  if (!rule) return 0;
  while (v[i].len) i++;
  assert_true(i < 16);
  snprintf(v[i].rule, sizeof v[i].rule, "%s", rule);
  snprintf(v[i].key, sizeof v[i].key, "%s", key);
  memcpy(v[i].blob, blob, len);
  v[i].len = len;
  return 0;
}

/* A restart: every state dumped, the correlator made again from them. */
static void corr_reload(corr_run *cr) {
  static saved v[17];
  memset(v, 0, sizeof v);
  assert_int_equal(soc_correlator_dump(cr->corr, SOC_DUMP_ALL, save_one, v), 0);
  soc_correlator_free(cr->corr);
  assert_int_equal(soc_correlator_new(cr->rs, 100, &cr->corr), 0);
  for (size_t i = 0; v[i].len; i++)
    assert_int_equal(soc_correlator_restore(cr->corr, v[i].rule, v[i].key, v[i].blob, v[i].len), 0);
}

static void corr_load(corr_run *cr, const char *corr_text, soc_rules_stats *st) {
  corr_load_with(cr, corr_text, NULL, st);
}

static void corr_free(corr_run *cr) {
  soc_correlator_free(cr->corr);
  soc_match_ctx_free(cr->ctx);
  soc_event_free(cr->ev);
  soc_event_free(cr->closed);
  soc_rules_free(cr->rs);
}

/* The names our rules give outside their match, resolved at load: strings,
 * integers, the facility and severity names, event.id, extras, and a name
 * "a|b" of Sigma's correlations (test_correlation's hits check those). */
static void test_fields_resolved(void **state) {
  (void)state;
  static const char text[] =
      "- id: F\n  title: t\n  match:\n    all: [ { regex: 'x' } ]\n"
      "  correlate: { group_by: [ host.name, source.port, log.syslog.facility.name,"
      " log.syslog.severity.name, labels.tag, event.id ], distinct: user.name, count: 2,"
      " within: 1m }\n"
      "  incident: { category: other, impact: outage, asset_from: [ source.ip, process.pid,"
      " labels.zone ], group_by: [ user.name, destination.port, host.name ] }\n"
      "- id: G\n  title: t\n  match:\n    all: [ { regex: 'y' } ]\n"
      "  incident: { category: other, impact: outage }\n";
  static const char *const sets[][2] = {
      {"host.name", "web1"},
      {"source.port", "4242"},
      {"log.syslog.facility.code", "4"},
      {"log.syslog.severity.code", "6"},
      {"labels.tag", "a|b"},
      {"user.name", "root"},
      {"source.ip", "192.0.2.7"},
      {"process.pid", "17"},
      {"labels.zone", "dmz"},
      {"destination.port", "0"},
  };
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  assert_int_equal(soc_rules_load_buffer("f.yaml", text, strlen(text), &rs, &st, d), 0);
  assert_int_equal(st.files_failed, 0);
  soc_event *ev = soc_event_new();
  fields_read = 0;
  /* every field unset, then one more set at a time, then each alone */
  fields_agree(rs, ev);
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
    assert_int_equal(soc_event_set(ev, sets[i][0], sets[i][1], strlen(sets[i][1])), 0);
    fields_agree(rs, ev);
  }
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
    soc_event_reset(ev);
    assert_int_equal(soc_event_set(ev, sets[i][0], sets[i][1], strlen(sets[i][1])), 0);
    fields_agree(rs, ev);
  }
  assert_int_equal(soc_event_set_id(ev, "abc"), 0);
  fields_agree(rs, ev);
  assert_true(fields_read >= 60);
  /* a Sigma correlation's key is "a|b|...": each alternative alone, then two */
  corr_run cr;
  corr_load(&cr,
            "title: c\nid: c1\ncorrelation:\n  type: value_count\n  rules: [ whoami ]\n"
            "  group-by: [ User ]\n  timespan: 1m\n  condition: { field: CommandLine, gte: 2 }\n",
            &st);
  static const char *const alts[] = {"Event.EventData.User", "winlog.event_data.User",
                                     "Event.UserData.User", "winlog.user_data.User", "User"};
  size_t before = fields_read;
  for (size_t i = 0; i < sizeof alts / sizeof *alts; i++) {
    soc_event_reset(ev);
    assert_int_equal(soc_event_set(ev, alts[i], "bob", 3), 0);
    fields_agree(cr.rs, ev);
    assert_int_equal(soc_event_set(ev, alts[(i + 2) % 5], "eve", 3), 0);
    fields_agree(cr.rs, ev);
  }
  assert_true(fields_read >= before + 10);
  corr_free(&cr);
  soc_event_free(ev);
  soc_rules_free(rs);
  soc_diag_free(d);
}

static void test_correlation(void **state) {
  (void)state;
  corr_run cr;
  soc_rules_stats st;
  /* event_count: 3 whoami by one user within a minute */
  corr_load(&cr,
            "title: c\nid: c1\nlevel: high\ncorrelation:\n  type: event_count\n"
            "  rules: [ whoami ]\n  group-by: [ User ]\n  timespan: 1m\n  condition: { gte: 3 }\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  assert_true(soc_rule_silent(soc_rules_find(cr.rs, "a1")));
  assert_false(soc_rule_silent(soc_rules_find(cr.rs, "b1")));
  const char *burst[] = {"01 bob whoami.exe x", "02 eve whoami.exe x", "03 bob net.exe x",
                         "04 bob whoami.exe x", "05 bob whoami.exe x"};
  assert_string_equal(corr_feed(&cr, burst, 5), "b1= c1=bob ");
  corr_free(&cr);
  corr_load(&cr,
            "title: c\nid: c1\ncorrelation:\n  type: event_count\n"
            "  rules: [ a1 ]\n  group-by: [ User ]\n  timespan: 2s\n  condition: { gt: 2 }\n",
            &st);
  const char *slow[] = {"01 bob whoami.exe x", "03 bob whoami.exe x", "06 bob whoami.exe x",
                        "09 eve whoami.exe x"};
  assert_string_equal(corr_feed(&cr, slow, 4), ""); /* never 3 within 2 s */
  corr_free(&cr);
  /* value_count: 2 distinct command lines of net by one user */
  corr_load(&cr,
            "title: c\nid: c2\ncorrelation:\n  type: value_count\n  rules: b1\n"
            "  group-by: [ User ]\n  timespan: 1m\n  condition: { field: CommandLine, gte: 2 }\n",
            &st);
  const char *same[] = {"01 bob net.exe user", "02 bob net.exe user", "03 eve net.exe group"};
  assert_string_equal(corr_feed(&cr, same, 3), "");
  const char *diff[] = {"10 bob net.exe group"};
  assert_string_equal(corr_feed(&cr, diff, 1), "c2=bob ");
  corr_free(&cr);
  /* temporal_ordered: whoami, then net, same user, within a minute */
  corr_load(&cr,
            "title: c\nid: c3\ncorrelation:\n  type: temporal_ordered\n  rules: [ whoami, net ]\n"
            "  group-by: [ User ]\n  timespan: 1m\n  generate: true\n",
            &st);
  assert_false(soc_rule_silent(soc_rules_find(cr.rs, "a1")));
  const char *wrong[] = {"01 bob net.exe x", "02 eve whoami.exe x"};
  assert_string_equal(corr_feed(&cr, wrong, 2), "b1= a1= ");
  const char *right[] = {"03 bob whoami.exe x", "04 bob net.exe x"};
  assert_string_equal(corr_feed(&cr, right, 2), "a1= b1= c3=bob ");
  const char *late[] = {"10 bob whoami.exe x", "12 ann net.exe x", "20 bob net.exe x"};
  assert_string_equal(corr_feed(&cr, late, 3), "a1= b1= b1= c3=bob ");
  corr_free(&cr);
  /* generate: true in any correlation that names a rule keeps its alerts */
  corr_load_with(&cr,
                 "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [ a1 ]\n"
                 "  timespan: 1m\n  condition: { gte: 2 }\n",
                 "title: g\nid: g1\ncorrelation:\n  type: event_count\n  rules: [ a1 ]\n"
                 "  timespan: 1m\n  condition: { gte: 9 }\n  generate: true\n",
                 &st);
  assert_int_equal(st.sigma_loaded, 4);
  assert_false(soc_rule_silent(soc_rules_find(cr.rs, "a1")));
  corr_free(&cr);
  /* temporal: both rules for one user within 10 s, either order */
  corr_load(&cr,
            "title: c\nid: c4\ncorrelation:\n  type: temporal\n  rules: [ a1, net ]\n"
            "  group-by: [ User ]\n  timespan: 10s\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  assert_true(soc_rule_silent(soc_rules_find(cr.rs, "a1")));
  assert_true(soc_rule_silent(soc_rules_find(cr.rs, "b1")));
  const char *either[] = {"01 bob net.exe x", "02 eve whoami.exe x", "03 bob whoami.exe x",
                          "04 bob net.exe x"};
  assert_string_equal(corr_feed(&cr, either, 2), "");
  corr_reload(&cr); /* a restart in between: the states are saved and taken back */
  assert_string_equal(corr_feed(&cr, either + 2, 2), "c4=bob "); /* once: then it starts empty */
  const char *apart[] = {"20 bob whoami.exe x", "31 bob net.exe x", "45 eve net.exe x"};
  assert_string_equal(corr_feed(&cr, apart, 3), ""); /* 11 s apart; eve's whoami slid out */
  const char *again[] = {"50 eve whoami.exe x", "52 eve net.exe x"};
  assert_string_equal(corr_feed(&cr, again, 2), "c4=eve ");
  corr_free(&cr);
  /* aliases: one name for a field each rule calls its own */
  corr_load(&cr,
            "title: c\nid: c5\ncorrelation:\n  type: temporal_ordered\n  rules: [ whoami, net ]\n"
            "  group-by: [ who ]\n  timespan: 10s\n"
            "  aliases:\n    who: { whoami: User, net: CommandLine }\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  const char *alias[] = {"01 bob whoami.exe x", "02 bob net.exe eve", "03 eve net.exe bob"};
  assert_string_equal(corr_feed(&cr, alias, 1), "");
  corr_reload(&cr);
  assert_string_equal(corr_feed(&cr, alias + 1, 2), "c5=bob ");
  const char *far[] = {"20 ann whoami.exe x", "31 eve net.exe ann"}; /* 11 s: too late */
  assert_string_equal(corr_feed(&cr, far, 2), "");
  corr_free(&cr);
  /* upper bounds: decided when the window (from the first hit) closes */
  corr_load(&cr,
            "title: c\nid: c6\ncorrelation:\n  type: event_count\n  rules: [ a1 ]\n"
            "  group-by: [ User ]\n  timespan: 10s\n  condition: { lt: 3 }\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  const char *low[] = {"01 bob whoami.exe x", "02 eve whoami.exe x", "03 eve whoami.exe x",
                       "04 eve whoami.exe x", "09 bob whoami.exe x", "11 bob net.exe x"};
  assert_string_equal(corr_feed(&cr, low, 6), "b1= "); /* 01 + 10 s: still open at 11 */
  corr_reload(&cr); /* open windows and when they end are taken back */
  const char *later[] = {"13 bob net.exe x"};
  assert_string_equal(corr_feed(&cr, later, 1), "b1= closed:c6=bob "); /* eve's 3: too many */
  /* a hit of the key past its window decides it at once */
  const char *next[] = {"20 bob whoami.exe x", "31 bob whoami.exe x"};
  assert_string_equal(corr_feed(&cr, next, 2), "c6=bob ");
  corr_free(&cr);
  corr_load(&cr,
            "title: c\nid: c7\ncorrelation:\n  type: value_count\n  rules: [ net ]\n"
            "  group-by: [ User ]\n  timespan: 10s\n"
            "  condition: { field: CommandLine, gte: 2, lte: 3 }\n",
            &st);
  const char *range[] = {"01 bob net.exe a", "02 bob net.exe a", "03 eve net.exe a",
                         "04 ann net.exe a", "05 ann net.exe b", "06 ann net.exe c",
                         "07 ann net.exe d", "08 bob net.exe b", "30 eve net.exe x"};
  assert_string_equal(corr_feed(&cr, range, 8), "");
  corr_reload(&cr);
  assert_string_equal(corr_feed(&cr, range + 8, 1), "closed:c7=bob "); /* eve 1 value, ann 4 */
  corr_free(&cr);
  /* event_count and value_count of several rules: their hits together */
  corr_load(&cr,
            "title: c\nid: c10\ncorrelation:\n  type: event_count\n  rules: [ a1, net ]\n"
            "  group-by: [ User ]\n  timespan: 10s\n  condition: { gte: 3 }\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  assert_true(soc_rule_silent(soc_rules_find(cr.rs, "b1")));
  const char *both[] = {"01 bob whoami.exe x", "02 bob net.exe x",    "03 eve net.exe x",
                        "04 eve whoami.exe x", "05 bob whoami.exe x", "20 eve net.exe x"};
  assert_string_equal(corr_feed(&cr, both, 3), "");
  corr_reload(&cr);
  assert_string_equal(corr_feed(&cr, both + 3, 3), "c10=bob "); /* eve: 2, then one too late */
  corr_free(&cr);
  corr_load(&cr,
            "title: c\nid: c11\ncorrelation:\n  type: value_count\n  rules: [ a1, b1 ]\n"
            "  group-by: [ who ]\n  timespan: 10s\n  condition: { field: what, gte: 2 }\n"
            "  aliases:\n    who: { a1: User, b1: User }\n"
            "    what: { a1: CommandLine, b1: Image }\n",
            &st);
  assert_int_equal(st.sigma_loaded, 3);
  const char *vals[] = {"01 bob whoami.exe x", "02 eve whoami.exe x", "03 eve whoami.exe x",
                        "04 bob net.exe x"};
  /* bob: x and C:\W\net.exe; eve: x twice */
  assert_string_equal(corr_feed(&cr, vals, 4), "c11=bob ");
  corr_free(&cr);
  /* the event of a window decided at its end: the group-by values, and the
   * host when Computer is one of them */
  corr_load(&cr,
            "title: c\nid: c12\ncorrelation:\n  type: event_count\n  rules: [ a1 ]\n"
            "  group-by: [ Computer, User ]\n  timespan: 10s\n  condition: { eq: 1 }\n",
            &st);
  const char *one[] = {"01 bob whoami.exe x", "30 eve net.exe x"};
  assert_string_equal(corr_feed(&cr, one, 2), "b1= closed:c12=pc1|bob ");
  assert_string_equal(soc_event_get_str(cr.closed, SOC_ECS_HOST_NAME), "pc1");
  assert_string_equal(soc_event_get(cr.closed, "Event.EventData.User"), "bob");
  corr_free(&cr);
  /* neq: any count but that one, decided at the window's end */
  corr_load(&cr,
            "title: c\nid: c8\ncorrelation:\n  type: event_count\n  rules: [ a1 ]\n"
            "  group-by: [ User ]\n  timespan: 10s\n  condition: { neq: 2 }\n",
            &st);
  const char *ne[] = {"01 bob whoami.exe x", "02 eve whoami.exe x", "03 eve whoami.exe x",
                      "04 ann whoami.exe x", "05 ann whoami.exe x", "06 ann whoami.exe x",
                      "30 zed net.exe x"};
  assert_string_equal(corr_feed(&cr, ne, 7), "b1= closed:c8=bob closed:c8=ann ");
  corr_free(&cr);
  /* refused, with the reason */
  const char *refused[] = {
      "  type: event_count\n  rules: [ nosuch ]\n  timespan: 1m\n  condition: { gte: 2 }\n",
      "  type: event_count\n  rules: [ a1 ]\n  timespan: 1m\n  condition: { eq: 2, neq: 2 }\n",
      "  type: event_count\n  rules: [ a1 ]\n  timespan: 1m\n  condition: { lt: 1 }\n",
      "  type: event_count\n  rules: [ a1 ]\n  timespan: 1m\n  condition: { gte: 5, lte: 4 }\n",
      "  type: temporal\n  rules: [ a1, b1 ]\n  timespan: 1m\n  condition: { gte: 2 }\n",
      "  type: temporal\n  rules: [ a1, a1 ]\n  timespan: 1m\n",
      "  type: temporal\n  rules: [ a1 ]\n  timespan: 1m\n",
      "  type: temporal\n  rules: [ a1, b1 ]\n  group-by: [ u ]\n  timespan: 1m\n"
      "  aliases: { u: { a1: User } }\n",
      "  type: value_count\n  rules: [ a1 ]\n  timespan: 1m\n  condition: { gte: 2 }\n",
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    char text[512];
    snprintf(text, sizeof text, "title: c\nid: c9\ncorrelation:\n%s", refused[i]);
    corr_load(&cr, text, &st);
    assert_int_equal(st.sigma_loaded, 2);
    assert_int_equal(st.sigma_refused, 1);
    corr_free(&cr);
  }
}

/* rules.sigma_impact and rules.sigma_placeholders */
static void test_operator_tables(void **state) {
  (void)state;
  static const soc_sigma_pair impact[] = {{"attack.discovery", "tamper"},
                                          {"attack.persistence", "alert"},
                                          {"11111111-2222-3333-4444-000000000003", "leak"}};
  static const soc_sigma_pair ph[] = {
      {"admins", "root"}, {"other", "x"}, {"admins", "bob"}, {"tools", "mimi"}};
  soc_sigma_opts o = {.impact = impact, .nimpact = 3, .placeholders = ph, .nplaceholders = 4};
  soc_rules_stats st;
#define TAGGED(id, tags)                                                                \
  "title: t\nid: 11111111-2222-3333-4444-00000000000" id "\nlevel: high\ntags: [ " tags \
  " ]\n"                                                                                \
  "logsource: { category: webserver }\n"                                                \
  "detection:\n  s: { cs-uri-query|contains: 'x' }\n  condition: s\n"
  /* a tag the built-in table leaves an alert, made tampering */
  soc_rules *rs = load_with(TAGGED("1", "attack.discovery"), &o, &st);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->impact, SOC_IMPACT_TAMPER);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->severity, SOC_SEVERITY_SEVERE);
  soc_rules_free(rs);
  /* a built-in line replaced: persistence is an alert here */
  rs = load_with(TAGGED("2", "attack.persistence"), &o, &st);
  assert_true(soc_rule_incident_of(soc_rules_at(rs, 0))->alert_only);
  soc_rules_free(rs);
  rs = load_with(TAGGED("2", "attack.persistence"), NULL, &st);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->impact, SOC_IMPACT_TAMPER);
  soc_rules_free(rs);
  /* the rule's own line outranks its tags */
  rs = load_with(TAGGED("3", "attack.discovery"), &o, &st);
  assert_int_equal(soc_rule_incident_of(soc_rules_at(rs, 0))->impact, SOC_IMPACT_LEAK);
  assert_false(soc_rule_incident_of(soc_rules_at(rs, 0))->alert_only);
  soc_rules_free(rs);
#undef TAGGED
  /* expand: each value of the placeholder, in place */
  char ev[4096];
  const char *rule = WIN_HEAD "detection:\n  s: { User|expand: '%admins%' }\n  condition: s\n";
  assert_true(fires_json_with(rule, win_event(ev, sizeof ev, "\"User\":\"bob\""), &o));
  assert_true(fires_json_with(rule, win_event(ev, sizeof ev, "\"User\":\"ROOT\""), &o));
  assert_false(fires_json_with(rule, win_event(ev, sizeof ev, "\"User\":\"eve\""), &o));
  rule = WIN_HEAD
      "detection:\n  s: { CommandLine|contains|expand: '%tools%.exe' }\n"
      "  condition: s\n";
  assert_true(
      fires_json_with(rule, win_event(ev, sizeof ev, "\"CommandLine\":\"a mimi.exe\""), &o));
  assert_false(fires_json_with(rule, win_event(ev, sizeof ev, "\"CommandLine\":\"a mimi\""), &o));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_values),      cmocka_unit_test(test_wildcards),
      cmocka_unit_test(test_null_empty_exists), cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_modifiers),         cmocka_unit_test(test_logsource),
      cmocka_unit_test(test_refusals),          cmocka_unit_test(test_metadata_and_summary),
      cmocka_unit_test(test_json_event),        cmocka_unit_test(test_auditd_line),
      cmocka_unit_test(test_web_sources),       cmocka_unit_test(test_fields_resolved),
      cmocka_unit_test(test_correlation),       cmocka_unit_test(test_operator_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
