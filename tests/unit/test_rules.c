/*
 * rules: every pattern kind and nocase, captures into fields, each `where`
 * operator, program/facility filters, any/all/none together; broken rule
 * files each refused with their exact FILE:LINE:COL message while the good
 * file next to them loads; duplicate ids; the required-literal analysis;
 * and a randomized comparison of the automaton's candidates + confirmation
 * against evaluating every rule (and, for plain patterns, against an
 * independent brute-force oracle).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <time.h>

#include "../../lib/detect/rules_internal.h"
#include "soc/config.h"
#include "soc/rules.h"
#include "soc/syslog.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------- */

#define INCIDENT "  incident: { category: other, impact: outage }\n"

static soc_rules *load_text(const char *text, soc_diag *d) {
  soc_rules *r = NULL;
  soc_rules_stats st;
  int rc = soc_rules_load_buffer("t.yaml", text, strlen(text), &r, &st, d);
  if (rc || st.files_failed) {
    soc_diag_print(d, stderr);
    fail_msg("rules refused");
  }
  return r;
}

typedef struct hits {
  size_t n;
  size_t idx[256];
} hits;

static int collect(const soc_rule *rule, soc_event *ev, void *arg) {
  hits *h = arg;
  (void)ev;
  if (h->n < 256) h->idx[h->n++] = soc_rule_index(rule);
  return 0;
}

/* Matches a syslog line; returns the hits as a string of rule ids. */
static const char *match_line(const soc_rules *rs, soc_match_ctx *ctx, soc_event *ev,
                              const char *line) {
  static char out[1024];
  soc_syslog_opts o = {.recv_ns = INT64_C(1795593600000000000)};
  hits h = {0};
  soc_event_reset(ev);
  soc_syslog_parse(line, strlen(line), &o, ev);
  assert_true(soc_rules_match(rs, ctx, ev, collect, &h) >= 0);
  out[0] = '\0';
  for (size_t i = 0; i < h.n; i++) {
    if (i) strcat(out, ",");
    strcat(out, soc_rule_id(soc_rules_at(rs, h.idx[i])));
  }
  return out;
}

/* ---- pattern kinds ------------------------------------------------------- */

static void test_pattern_kinds(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- { id: C, title: t, match: { all: [ { contains: 'ab c' } ] },\n" INCIDENT
      "}\n"
      "- { id: Ci, title: t, match: { all: [ { contains: 'AB C', nocase: true } ] },\n" INCIDENT
      "}\n"
      "- { id: S, title: t, match: { all: [ { startswith: 'Begin' } ] },\n" INCIDENT
      "}\n"
      "- { id: Si, title: t, match: { all: [ { startswith: 'begin', nocase: true } ] },\n" INCIDENT
      "}\n"
      "- { id: E, title: t, match: { all: [ { endswith: 'End' } ] },\n" INCIDENT
      "}\n"
      "- { id: Ei, title: t, match: { all: [ { endswith: 'END', nocase: yes } ] },\n" INCIDENT
      "}\n"
      "- { id: Q, title: t, match: { all: [ { equals: 'exact' } ] },\n" INCIDENT
      "}\n"
      "- { id: Qi, title: t, match: { all: [ { equals: 'EXACT', nocase: true } ] },\n" INCIDENT
      "}\n"
      "- { id: R, title: t, match: { all: [ { regex: 'x[0-9]+y' } ] },\n" INCIDENT
      "}\n"
      "- { id: Ri, title: t, match: { all: [ { regex: 'X[0-9]+Y', nocase: true } ] },\n" INCIDENT
      "}\n"
      "- { id: H, title: t, match: { all: [ { equals: 'h1', field: host.name } ] },\n" INCIDENT
      "}\n",
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  /* raw lines: the whole line is the message */
  assert_string_equal(match_line(rs, ctx, ev, "xx ab c yy"), "C,Ci");
  assert_string_equal(match_line(rs, ctx, ev, "xx aB C yy"), "Ci");
  assert_string_equal(match_line(rs, ctx, ev, "Begin here"), "S,Si");
  assert_string_equal(match_line(rs, ctx, ev, "BEGIN here"), "Si");
  assert_string_equal(match_line(rs, ctx, ev, "here Begin"), "");
  assert_string_equal(match_line(rs, ctx, ev, "the End"), "E,Ei");
  assert_string_equal(match_line(rs, ctx, ev, "the end"), "Ei");
  assert_string_equal(match_line(rs, ctx, ev, "End of it"), "");
  assert_string_equal(match_line(rs, ctx, ev, "exact"), "Q,Qi");
  assert_string_equal(match_line(rs, ctx, ev, "Exact"), "Qi");
  assert_string_equal(match_line(rs, ctx, ev, "exact "), "");
  assert_string_equal(match_line(rs, ctx, ev, "a x12y b"), "R,Ri");
  assert_string_equal(match_line(rs, ctx, ev, "a x12Y b"), "Ri");
  assert_string_equal(match_line(rs, ctx, ev, "a xy b"), "");
  /* a pattern on its own field; a missing field matches nothing */
  assert_string_equal(match_line(rs, ctx, ev, "<13>Nov 25 07:00:00 h1 app: msg"), "H");
  assert_string_equal(match_line(rs, ctx, ev, "<13>Nov 25 07:00:00 h2 app: exact"), "Q,Qi");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* A pattern with an unknown key, a regex with no literal, and the Log4Shell
 * text, which must reach the matcher unexpanded. */
static void test_text_taken_as_written(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: L\n  title: t\n  match:\n    any:\n"
      "      - contains: '${jndi:ldap://'\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  assert_string_equal(match_line(rs, ctx, ev, "GET /?x=${jndi:ldap://evil/a}"), "L");
  assert_string_equal(match_line(rs, ctx, ev, "GET /?x=jndi:ldap://evil/a"), "");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* ---- captures ------------------------------------------------------------ */

/* A rule's captures start empty: what a rule evaluated before it on the
 * same line staged (and did not write: its `where` failed) is not its. */
static void test_captures_fresh_per_rule(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: A\n  title: t\n  match:\n    all: [ { regex: 'key=(?<k>\\w+)' } ]\n"
      "    captures: { k: related.user }\n"
      "    where: [ { field: related.user, equals: nobody } ]\n" INCIDENT
      "- id: B\n  title: t\n  match:\n    all: [ { regex: 'key=\\w+(?: by (?<b>\\w+))?' } ]\n"
      "    captures: { b: related.user }\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  for (int i = 0; i < 3; i++) {
    assert_string_equal(match_line(rs, ctx, ev, "key=alice"), "B");
    assert_null(soc_event_get(ev, "related.user"));
    assert_string_equal(match_line(rs, ctx, ev, "key=alice by bob"), "B");
    assert_string_equal(soc_event_get(ev, "related.user"), "bob");
  }
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* The program filter compares a line's program by its slot among the
 * set's names, looked up once: names of one length and the same first and
 * last bytes (abcd, axxd) share a hash, a name in no rule (sshd2, ssh)
 * or none at all matches no filtered rule, and a hit whose capture
 * rewrites process.name is seen by the rules after it. */
static void test_program_slots(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: A\n  title: t\n  match: { program: [ sshd, sudo ], all: [ { contains: x } ] "
      "}\n" INCIDENT
      "- id: B\n  title: t\n  match: { program: [ sudo, abcd ], all: [ { contains: x } ] "
      "}\n" INCIDENT
      "- id: C\n  title: t\n  match:\n    program: [ axxd, abcd ]\n"
      "    all: [ { regex: 'as=(?<p>\\w+)' } ]\n"
      "    captures: { p: process.name }\n" INCIDENT
      "- id: D\n  title: t\n  match: { program: [ sshd ], all: [ { contains: x } ] }\n" INCIDENT
      "- id: E\n  title: t\n  match: { program: [ axxd ], all: [ { contains: x } ] }\n" INCIDENT,
      d);
  assert_non_null(rs);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  for (int i = 0; i < 2; i++) {
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h sshd[1]: x"), "A,D");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h sudo: x"), "A,B");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h abcd: x"), "B");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h axxd: x"), "E");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h sshd2: x"), "");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h ssh: x"), "");
    assert_string_equal(match_line(rs, ctx, ev, "no header x as=sshd"), "");
    /* C rewrites process.name: D and E see the new one, B saw the old */
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h abcd: x as=sshd"), "B,C,D");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h axxd: x as=sudo"), "C");
    assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h abcd: x as=axxd"), "B,C,E");
  }
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* The statistic of regexes skipped: an `any` pattern whose literal is not
 * in the line counts once when the rule is checked for a possible pattern
 * and once more when the patterns are tried, those before the first
 * possible one included (rule_eval tries from that one on). */
static void test_skips_counted(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: A\n  title: t\n  match:\n    any:\n"
      "      - regex: 'alpha\\d'\n      - regex: 'beta\\d'\n"
      "      - regex: 'gamma\\d'\n      - regex: 'delta\\d'\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  soc_match_stats ms;
  assert_string_equal(match_line(rs, ctx, ev, "gamma7"), "A");
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.candidates, 1);
  assert_int_equal(ms.regexes, 1);
  assert_int_equal(ms.regex_skips, 4); /* alpha and beta, twice */
  assert_string_equal(match_line(rs, ctx, ev, "gamma delta7"), "A");
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.regexes, 3); /* gamma (no match), delta */
  assert_int_equal(ms.regex_skips, 8);
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

static void test_captures(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: SSH\n  title: t\n  match:\n    program: [ sshd ]\n    any:\n"
      "      - regex: 'Failed password for (?:invalid user )?(?<user>\\S+) from "
      "(?<ip>\\S+) port (?<port>\\d+)(?: (?<proto>ssh\\d))?'\n"
      "    captures: { user: user.name, ip: source.ip, port: source.port, proto: ssh.proto "
      "}\n" INCIDENT
      /* where sees the staged capture; the failed rule leaves no trace */
      "- id: NOROOT\n  title: t\n  match:\n    all: [ { regex: 'for (?<u>\\w+) from' } ]\n"
      "    captures: { u: related.user }\n"
      "    where: [ { field: related.user, equals: nobody } ]\n" INCIDENT
      "- id: SEEN\n  title: t\n  match:\n    all: [ { contains: from } ]\n"
      "    where: [ { field: related.user, exists: true } ]\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  int64_t port;
  assert_string_equal(
      match_line(rs, ctx, ev,
                 "Dec 10 07:28:12 LabSZ sshd[24251]: Failed password for invalid user admin "
                 "from 112.95.230.3 port 58304 ssh2"),
      "SSH");
  assert_string_equal(soc_event_get(ev, "user.name"), "admin");
  assert_string_equal(soc_event_get(ev, "source.ip"), "112.95.230.3");
  assert_int_equal(soc_event_get_int(ev, SOC_ECS_SOURCE_PORT, &port), 0);
  assert_int_equal(port, 58304);
  assert_string_equal(soc_event_get(ev, "ssh.proto"), "ssh2");
  assert_null(soc_event_get(ev, "related.user")); /* NOROOT failed: nothing written */
  /* an optional group that did not take part leaves its field unset; a
   * value the event refuses (not an address) leaves it unset too, and the
   * rule still matches */
  assert_string_equal(match_line(rs, ctx, ev,
                                 "Dec 10 07:28:12 LabSZ sshd[1]: Failed password for root "
                                 "from not-an-ip port 22"),
                      "SSH");
  assert_string_equal(soc_event_get(ev, "user.name"), "root");
  assert_null(soc_event_get(ev, "source.ip"));
  assert_null(soc_event_get(ev, "ssh.proto"));
  /* NOROOT matches and writes, SEEN then sees it */
  assert_string_equal(match_line(rs, ctx, ev, "auth for nobody from x"), "NOROOT,SEEN");
  assert_string_equal(soc_event_get(ev, "related.user"), "nobody");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* ---- where --------------------------------------------------------------- */

static void test_where(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  /* the message is "k=v k=v ..."; captures make fields to test */
  soc_rules *rs = load_text(
      "- id: EQ\n  title: t\n  match:\n    where: [ { field: process.name, equals: app } "
      "]\n" INCIDENT
      "- id: IN\n  title: t\n  match:\n    where: [ { field: host.name, in: [ h1, h2 ] } "
      "]\n" INCIDENT
      "- id: NOTIN\n  title: t\n  match:\n    where: [ { field: host.name, not_in: [ h1 ] } "
      "]\n" INCIDENT
      "- id: EX\n  title: t\n  match:\n    where: [ { field: process.pid, exists: true } "
      "]\n" INCIDENT
      "- id: NEX\n  title: t\n  match:\n    where: [ { field: process.pid, exists: false } "
      "]\n" INCIDENT
      "- id: CIDR\n  title: t\n  match:\n"
      "    all: [ { regex: 'ip=(?<ip>\\S+)' } ]\n    captures: { ip: source.ip }\n"
      "    where: [ { field: source.ip, cidr: [ 10.0.0.0/8, '2001:db8::/32', 192.0.2.7 ] } "
      "]\n" INCIDENT
      "- id: GT\n  title: t\n  match:\n    where: [ { field: process.pid, gt: 100 } ]\n" INCIDENT
      "- id: LT\n  title: t\n  match:\n"
      "    all: [ { regex: 'n=(?<n>\\S+)' } ]\n    captures: { n: x.n }\n"
      "    where: [ { field: x.n, lt: 2.5 } ]\n" INCIDENT
      "- id: ANYOF\n  title: t\n  match:\n    where:\n      - any_of:\n"
      "          - { field: host.name, equals: h9 }\n"
      "          - { field: log.syslog.facility.name, in: [ authpriv ] }\n" INCIDENT
      "- id: NOT\n  title: t\n  match:\n"
      "    where: [ { not: { field: log.syslog.severity.name, equals: Debug } } ]\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  /* <86> = authpriv.info; <15> = user.debug */
  assert_string_equal(match_line(rs, ctx, ev, "<86>Nov 25 07:00:00 h1 app[7]: ip=10.1.2.3 n=2"),
                      "EQ,IN,EX,CIDR,LT,ANYOF,NOT");
  assert_string_equal(
      match_line(rs, ctx, ev, "<15>Nov 25 07:00:00 h3 other[700]: ip=11.1.2.3 n=2.5"),
      "NOTIN,EX,GT");
  assert_string_equal(
      match_line(rs, ctx, ev, "<14>Nov 25 07:00:00 h9 other: ip=2001:db8::1 n=-1e3"),
      "NOTIN,NEX,CIDR,LT,ANYOF,NOT");
  assert_string_equal(match_line(rs, ctx, ev, "<14>Nov 25 07:00:00 h2 app[100]: ip=192.0.2.7 n=x"),
                      "EQ,IN,NOTIN,EX,CIDR,NOT");
  assert_string_equal(match_line(rs, ctx, ev, "<14>Nov 25 07:00:00 h2 app: ip=192.0.2.8"),
                      "EQ,IN,NOTIN,NEX,NOT");
  /* not_in holds for a missing field; every positive operator fails */
  assert_string_equal(match_line(rs, ctx, ev, "raw line ip=::ffff:10.9.9.9"), "NOTIN,NEX,CIDR,NOT");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* ---- filters and combinations -------------------------------------------- */

static void test_filters_and_blocks(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: P\n  title: t\n  match: { program: [ sshd, sudo ], all: [ { contains: x } ] "
      "}\n" INCIDENT
      "- id: F\n  title: t\n  match: { facility: [ auth, authpriv ], all: [ { contains: x } ] "
      "}\n" INCIDENT
      "- id: ANY\n  title: t\n  match: { any: [ { contains: aa }, { regex: 'b+c' } ] }\n" INCIDENT
      "- id: ALL\n  title: t\n  match: { all: [ { contains: aa }, { regex: 'b+c' } ] }\n" INCIDENT
      "- id: NONE\n  title: t\n  match: { all: [ { contains: x } ], none: [ { contains: aa },"
      " { regex: '^z' } ] }\n" INCIDENT
      "- id: MIX\n  title: t\n  match: { all: [ { contains: x } ], any: [ { equals: 'x1' },"
      " { endswith: 'bc' } ], none: [ { startswith: xx } ] }\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  /* <38> auth.info, <86> authpriv.info, <14> user.info */
  assert_string_equal(match_line(rs, ctx, ev, "<38>Nov 25 07:00:00 h sshd[1]: x"), "P,F,NONE");
  assert_string_equal(match_line(rs, ctx, ev, "<86>Nov 25 07:00:00 h sudo: x"), "P,F,NONE");
  assert_string_equal(match_line(rs, ctx, ev, "<14>Nov 25 07:00:00 h sshd2: x"), "NONE");
  assert_string_equal(match_line(rs, ctx, ev, "no header x"), "NONE"); /* no program, facility */
  assert_string_equal(match_line(rs, ctx, ev, "aa"), "ANY");
  assert_string_equal(match_line(rs, ctx, ev, "bbbc"), "ANY");
  assert_string_equal(match_line(rs, ctx, ev, "aa bc"), "ANY,ALL");
  assert_string_equal(match_line(rs, ctx, ev, "x aa"), "ANY");
  assert_string_equal(match_line(rs, ctx, ev, "z x"), "");
  assert_string_equal(match_line(rs, ctx, ev, "x1"), "NONE,MIX");
  assert_string_equal(match_line(rs, ctx, ev, "x abc"), "ANY,NONE,MIX");
  assert_string_equal(match_line(rs, ctx, ev, "xx abc"), "ANY,NONE");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* ---- broken files -------------------------------------------------------- */

static const struct broken {
  const char *text;
  const char *message; /* after "FILE:" */
} broken[] = {
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  incident: { category: other, impact: none, group_by: [ 'a b' ] }\n",
     "4:56: error: R1.incident.group_by: 'a b' is not a field name"},
    {"- id: x\n  title: [unclosed\n", "3:1: error: invalid YAML"},
    {"just text\n", "1:1: error: expected a rule (a mapping) or a list of rules, got a scalar"},
    {"- id: R1\n  titl: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT,
     "2:3: error: unknown key 'titl' in R1; did you mean 'title'?"},
    {"- title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT,
     "1:3: error: rules[0]: missing required key 'id'"},
    {"- id: 'bad id!'\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT,
     "1:7: error: rules[0].id: 'bad id!' is not a valid id"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  incident: { category: intrusoin, impact: outage }\n",
     "4:25: error: R1.incident.category: unknown category 'intrusoin'; did you mean "
     "'intrusion'?"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  incident: { category: other, impact: break }\n",
     "4:40: error: R1.incident.impact: unknown impact 'break'; expected none, leak, tamper or "
     "outage"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  incident: { category: other, impact: tamper }\n",
     "4:13: error: R1.incident: missing required key 'severity' (minor or severe) for a "
     "tamper impact"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  incident: { category: other, impact: leak, severity: minor }\n",
     "4:56: error: R1.incident.severity: only a tamper impact has a severity"},
    {"- id: R1\n  title: t\n  match:\n    any:\n      - regex: 'a(bc'\n" INCIDENT,
     "5:16: error: R1.match.any[0].regex: missing closing parenthesis at offset 4 of the "
     "pattern"},
    {"- id: R1\n  title: t\n  match:\n    any:\n      - { contains: a, regex: b }\n" INCIDENT,
     "5:9: error: R1.match.any[0]: expected exactly one of contains, startswith, endswith, "
     "equals or regex, got 2"},
    {"- id: R1\n  title: t\n  match:\n    any:\n      - { contians: a }\n" INCIDENT,
     "5:11: error: unknown key 'contians' in R1.match.any[0]; did you mean 'contains'?"},
    {"- id: R1\n  title: t\n  match:\n    any:\n      - { contains: '' }\n" INCIDENT,
     "5:21: error: R1.match.any[0].contains: must not be empty"},
    {"- id: R1\n  title: t\n  match:\n    any: [ { regex: 'u=(?<usr>\\w+)' } ]\n"
     "    captures: { user: user.name }\n" INCIDENT,
     "5:17: error: R1.match.captures: no regex of any/all has a group named 'user'"},
    {"- id: R1\n  title: t\n  match:\n    any: [ { regex: 'u=(?<f>\\w+)' } ]\n"
     "    captures: { f: log.syslog.facility.name }\n" INCIDENT,
     "5:20: error: R1.match.captures.f: rules can not set 'log.syslog.facility.name'"},
    {"- id: R1\n  title: t\n  match:\n    where: [ { field: host.name, equals: a, in: [b] } "
     "]\n" INCIDENT,
     "4:14: error: R1.match.where[0]: expected exactly one of equals, in, not_in, exists, "
     "cidr, gt, lt, any_of or not, got 2"},
    {"- id: R1\n  title: t\n  match:\n    where: [ { field: source.ip, cidr: [ 10.0.0.0/33 ] } "
     "]\n" INCIDENT,
     "4:42: error: R1.match.where[0].cidr: '10.0.0.0/33' is not a network"},
    {"- id: R1\n  title: t\n  match:\n    where: [ { field: source.port, gt: lots } ]\n" INCIDENT,
     "4:40: error: R1.match.where[0].gt: expected a number, got 'lots'"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { count: 0, within: 5m }\n" INCIDENT,
     "4:23: error: R1.correlate.count: expected an integer from 1 to 1000, got '0'"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { count: 5 }\n" INCIDENT,
     "4:14: error: R1.correlate: missing required key 'within'"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { within: '5 minutes', count: 2 }\n" INCIDENT,
     "4:24: error: R1.correlate.within: expected a duration such as 90s, 30m, 4h or 2d"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { after: { rule: R1, within: 1h } }\n" INCIDENT,
     "4:31: error: R1.correlate.after.rule: a rule can not follow itself"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { after: { rule: NOPE, within: 1h } }\n" INCIDENT,
     "4:31: error: R1.correlate.after.rule: no loaded rule has id 'NOPE'"},
    {"- id: R1\n  title: t\n  match: { facility: [ authh ], all: [ { contains: x } ] }\n" INCIDENT,
     "3:24: error: R1.match.facility: unknown facility 'authh'; did you mean 'auth'?"},
    {"- id: R1\n  title: t\n  mitre: [ T11 ]\n  match: { all: [ { contains: x } ] }\n" INCIDENT,
     "3:12: error: R1.mitre: 'T11' is not an ATT&CK technique id"},
    {"- id: R1\n  title: t\n" INCIDENT, "1:3: error: R1: missing required key 'match'"},
    {"- id: R1\n  title: t\n  match: { }\n" INCIDENT, "3:10: error: R1.match: nothing to match"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n"
     "  correlate: { group_by: [ 'source ip' ], count: 2, within: 1m }\n" INCIDENT,
     "4:26: error: R1.correlate.group_by: 'source ip' is not a field name"},
    {"- id: R1\n  title: t\n  match: { any: { contains: x } }\n" INCIDENT,
     "3:17: error: R1.match.any: expected a list of patterns, got a mapping"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT
     "- id: R1\n  title: t2\n  match: { all: [ { contains: y } ] }\n" INCIDENT,
     "5:7: error: duplicate rule id 'R1' (first at line 1)"},
    {"- id: R1\n  id: R2\n", "2:3: error: duplicate key 'id' (first at line 1)"},
    {"- id: R1\n  title: t\n  match: { all: [ { contains: x, nocase: maybe } ] }\n" INCIDENT,
     "3:42: error: R1.match.all[0].nocase: expected true or false, got 'maybe'"},
    {"- id: R1\n  title: t\n  match: { all: [ { regex: '(?<u>a)' } ], captures: { u: 'x..y' } "
     "}\n" INCIDENT,
     "3:58: error: R1.match.captures.u: 'x..y' is not a field name"},
    /* a good rule before a bad one: the whole file is refused */
    {"- id: OKFIRST\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT
     "- id: R2\n  title: t\n  match: { all: [ { equals: x, field: 'a b' } ] }\n" INCIDENT,
     "7:39: error: R2.match.all[0].field: 'a b' is not a field name"},
};

static void test_broken_files(void **state) {
  (void)state;
  size_t n = sizeof broken / sizeof broken[0];
  char paths[64][256];
  const char *files[64];
  assert_true(n + 1 <= 64);
  assert_true(n >= 20);
  snprintf(
      paths[0], sizeof paths[0], "%s",
      write_file("good.yaml",
                 "- id: GOOD\n  title: t\n  match: { all: [ { contains: fine } ] }\n" INCIDENT));
  files[0] = paths[0];
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "b%02zu.yaml", i);
    snprintf(paths[i + 1], sizeof paths[i + 1], "%s", write_file(name, broken[i].text));
    files[i + 1] = paths[i + 1];
  }
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  assert_int_equal(soc_rules_load(files, n + 1, &rs, &st, d), 0);
  for (size_t i = 0; i < n; i++) {
    char expect[600];
    snprintf(expect, sizeof expect, "%s:%s", paths[i + 1], broken[i].message);
    assert_diag_contains(d, expect);
  }
  assert_int_equal(st.files_ok, 1);
  assert_int_equal(st.files_failed, n);
  assert_int_equal(soc_rules_count(rs), 1);
  assert_non_null(soc_rules_find(rs, "GOOD"));
  assert_null(soc_rules_find(rs, "OKFIRST"));
  assert_false(soc_diag_contains(d, "good.yaml"));
  soc_rules_free(rs);
  soc_diag_free(d);

  /* each alone: the file fails by itself, with at least its message */
  for (size_t i = 0; i < n; i++) {
    soc_diag *d1 = soc_diag_new();
    soc_rules *one = NULL;
    assert_int_equal(soc_rules_load(&files[i + 1], 1, &one, &st, d1), 0);
    if (st.files_failed != 1) {
      soc_diag_print(d1, stderr);
      fail_msg("broken[%zu] loaded", i);
    }
    assert_int_equal(soc_rules_count(one), 0);
    soc_rules_free(one);
    soc_diag_free(d1);
  }
}

/* Ids across files, and a sequence whose first rule's file was refused. */
static void test_cross_file(void **state) {
  (void)state;
  char a[256], b[256], c[256], e[256];
  snprintf(a, sizeof a, "%s",
           write_file("x1.yaml",
                      "- id: A\n  title: t\n  match: { all: [ { contains: a } ] }\n" INCIDENT));
  snprintf(b, sizeof b, "%s",
           write_file("x2.yaml",
                      "- id: B\n  title: t\n  match: { all: [ { contains: b } ] }\n" INCIDENT
                      "- id: A\n  title: t\n  match: { all: [ { contains: a2 } ] }\n" INCIDENT));
  snprintf(c, sizeof c, "%s",
           write_file("x3.yaml",
                      "- id: C\n  title: t\n  match: { all: [ { contains: c } ] }\n"
                      "  correlate: { after: { rule: B, within: 1h } }\n" INCIDENT));
  snprintf(e, sizeof e, "%s",
           write_file("x4.yaml",
                      "- id: D\n  title: t\n  match: { all: [ { contains: d } ] }\n"
                      "  correlate: { after: { rule: A, within: 1h } }\n" INCIDENT));
  const char *files[] = {a, b, c, e};
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  assert_int_equal(soc_rules_load(files, 4, &rs, &st, d), 0);
  char expect[600];
  snprintf(expect, sizeof expect,
           "%s:5:3: error: duplicate rule id 'A' (first in %s:1); ids are unique across all "
           "rule files",
           b, a);
  assert_diag_contains(d, expect);
  /* x2 is refused, so C (after B) goes too; D (after A) stays */
  snprintf(expect, sizeof expect,
           "%s:4:31: error: C.correlate.after.rule: no loaded rule has id 'B'", c);
  assert_diag_contains(d, expect);
  assert_int_equal(st.files_ok, 2);
  assert_int_equal(st.files_failed, 2);
  assert_int_equal(soc_rules_count(rs), 2);
  const soc_rule *dr = soc_rules_find(rs, "D");
  assert_non_null(dr);
  assert_ptr_equal(soc_rule_correlation(dr)->after, soc_rules_find(rs, "A"));
  assert_string_equal(soc_rule_file(soc_rules_find(rs, "A")), a);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* ---- accessors ----------------------------------------------------------- */

static void test_accessors(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "id: SOC-X.1\ntitle: Web shell upload\ndescription: d\n"
      "references: [ 'https://example.org/a' ]\nmitre: [ T1505.003, T1190 ]\n"
      "match: { all: [ { contains: '.php' } ] }\n"
      "correlate: { group_by: [ source.ip, url.path ], count: 3, within: 90s, distinct: "
      "user.name, suppress: 1h }\n"
      "incident: { category: web_attack, subtype: webshell, impact: leak, data_class: "
      "sensitive, asset_from: [ destination.ip ] }\n",
      d);
  assert_int_equal(soc_rules_count(rs), 1);
  const soc_rule *r = soc_rules_at(rs, 0);
  size_t n;
  assert_string_equal(soc_rule_id(r), "SOC-X.1");
  assert_string_equal(soc_rule_title(r), "Web shell upload");
  assert_string_equal(soc_rule_description(r), "d");
  assert_int_equal(soc_rule_line(r), 1);
  assert_string_equal(soc_rule_mitre(r, &n)[1], "T1190");
  assert_int_equal(n, 2);
  assert_string_equal(soc_rule_references(r, &n)[0], "https://example.org/a");
  const soc_rule_incident *in = soc_rule_incident_of(r);
  assert_int_equal(in->category, SOC_CATEGORY_WEB_ATTACK);
  assert_string_equal(soc_incident_category_name(in->category), "web-attack");
  assert_string_equal(in->subtype, "webshell");
  assert_int_equal(in->impact, SOC_IMPACT_LEAK);
  assert_int_equal(in->data_class, SOC_DATA_SENSITIVE);
  assert_false(in->data_from_asset);
  assert_int_equal(in->nasset_from, 1);
  assert_string_equal(in->asset_from[0], "destination.ip");
  const soc_rule_correlate *k = soc_rule_correlation(r);
  assert_int_equal(k->ngroup_by, 2);
  assert_string_equal(k->group_by[1], "url.path");
  assert_int_equal(k->count, 3);
  assert_int_equal(k->within_ns, INT64_C(90000000000));
  assert_string_equal(k->distinct, "user.name");
  assert_int_equal(k->suppress_ns, INT64_C(3600000000000));
  assert_null(k->after);
  assert_null(soc_rules_find(rs, "nope"));
  assert_true(soc_rule_anchored(r));
  soc_rules_free(rs);
  /* defaults: leak from the asset, asset_from, no correlation */
  rs = load_text(
      "- id: D\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  incident: { category: other, impact: leak }\n",
      d);
  r = soc_rules_at(rs, 0);
  assert_true(soc_rule_incident_of(r)->data_from_asset);
  assert_int_equal(soc_rule_incident_of(r)->nasset_from, 3);
  assert_string_equal(soc_rule_incident_of(r)->asset_from[0], "host.name");
  assert_null(soc_rule_correlation(r));
  assert_string_equal(soc_rule_description(r), "");
  assert_false(soc_rule_incident_of(r)->alert_only);
  assert_false(soc_rule_incident_of(r)->group_by_set);
  soc_rules_free(rs);
  /* impact none: an alert only, no severity needed; the triage's group_by */
  rs = load_text(
      "- id: N\n  title: t\n  match: { all: [ { contains: x } ] }\n"
      "  incident: { category: intrusion, impact: none, group_by: [ host.name, user.name ] }\n",
      d);
  assert_int_equal(soc_rules_count(rs), 1);
  r = soc_rules_at(rs, 0);
  assert_true(soc_rule_incident_of(r)->alert_only);
  assert_int_equal(soc_rule_incident_of(r)->impact, SOC_IMPACT_NONE);
  assert_true(soc_rule_incident_of(r)->group_by_set);
  assert_int_equal(soc_rule_incident_of(r)->ngroup_by, 2);
  assert_string_equal(soc_rule_incident_of(r)->group_by[1], "user.name");
  soc_rules_free(rs);
  /* checking without building a set */
  soc_rules_stats st;
  const char *one = "- id: X\n  title: t\n  match: { all: [ { contains: x } ] }\n" INCIDENT;
  assert_int_equal(soc_rules_load_buffer("c.yaml", one, strlen(one), NULL, &st, d), 0);
  assert_int_equal(st.rules, 1);
  soc_diag_free(d);
}

/* ---- required literals --------------------------------------------------- */

static const char *lits(const char *re, int nocase) {
  static char out[512];
  pattern p = {.kind = PAT_REGEX, .nocase = nocase, .text = (char *)re, .len = strlen(re)};
  litset s;
  soc_rules_pattern_literals(&p, &s);
  out[0] = '\0';
  for (size_t i = 0; i < s.n; i++) {
    if (i) strcat(out, "|");
    strncat(out, s.lit[i], s.len[i]);
  }
  return out;
}

static void test_literals(void **state) {
  (void)state;
  assert_string_equal(
      lits("Failed password for (?:invalid user )?(?<user>\\S+) from (?<ip>[0-9A-Fa-f:.]+) "
           "port",
           0),
      "failed password for ");
  assert_string_equal(lits("Invalid user (?<user>\\S*) from", 0), "invalid user ");
  assert_string_equal(lits("ab?cd", 0), "cd");
  assert_string_equal(lits("abc+de", 0), "abc");
  assert_string_equal(lits("(foo|barbaz)qq", 0), "foo|barbaz");
  assert_string_equal(lits("x(foo|barbaz)?q", 0), "x");
  assert_string_equal(lits("(?:foo|bar)|(?:baz|quux)", 0), "foo|bar|baz|quux");
  assert_string_equal(lits("foo|.*", 0), "");
  assert_string_equal(lits("a\\.b\\x41\\Qc.d\\E", 0), "a.bac.d");
  assert_string_equal(lits("GET [a-z]+ HTTP/1\\.[01]", 0), " http/1.");
  assert_string_equal(lits("[]abc]xyz", 0), "xyz");
  assert_string_equal(lits("[[:alpha:]]+xyz", 0), "xyz");
  assert_string_equal(lits("\\p{Lu}{2}abc", 0), "abc");
  assert_string_equal(lits("ab{2}cd", 0), "ab");
  assert_string_equal(lits("ab{0,2}cd", 0), "cd");
  assert_string_equal(lits("a{,x}bc", 0), "a{,x}bc"); /* not a quantifier: literal braces */
  assert_string_equal(lits("(?=abc)de", 0), "de");
  assert_string_equal(lits("(?!abc)de", 0), "de");
  assert_string_equal(lits("(?<=abcd)e", 0), "e");
  assert_string_equal(lits("a(*ACCEPT)bcdef", 0), ""); /* verbs: give up */
  assert_string_equal(lits("(?x) a b c", 0), "");      /* extended: give up */
  assert_string_equal(lits("(?C1)abc", 0), "");
  /* caseless: non-ASCII are not literals (Unicode case folding); k and s
   * are, the automaton also looking for U+212A and U+017F in their place */
  assert_string_equal(lits("Kernel panic", 1), "kernel panic");
  assert_string_equal(lits("abc(?i)dxyz", 0), "dxyz"); /* inline (?i): whole pattern caseless */
  assert_string_equal(lits("café au", 0), "café au");
  assert_string_equal(lits("café au", 1), "caf");
  assert_string_equal(lits("\\d+\\s*\\w", 0), "");
  assert_string_equal(lits("^$", 0), "");
  assert_string_equal(lits("a\\1bc(d)", 0), "bc");
  assert_string_equal(lits("(?|ab|cd)e", 0), "ab|cd");
  assert_string_equal(lits("(?>abc)+d", 0), "abc");
  assert_string_equal(lits("x(?(1)abc|def)y", 0), "x");
  assert_string_equal(lits("a\\E?bc", 0), "bc");
  assert_string_equal(lits("ab{2}{3}cd", 0), "ab");
}

/* ---- the prefilter against evaluating every rule ------------------------- */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)((rng_state >> 33) % n);
}

static const char *const pieces[] = {"a",
                                     "b",
                                     "c",
                                     "k",
                                     "s",
                                     "A",
                                     "K",
                                     "S",
                                     ":",
                                     " ",
                                     "ab",
                                     "ks",
                                     "\xc5\xbf" /* U+017F */,
                                     "\xe2\x84\xaa" /* U+212A */,
                                     "1",
                                     "x"};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static void gen_text(char *out, size_t cap, size_t maxparts) {
  size_t n = rnd((uint32_t)maxparts + 1);
  out[0] = '\0';
  for (size_t i = 0; i < n && strlen(out) + 4 < cap; i++) strcat(out, pieces[rnd(NPIECES)]);
}

static void gen_regex(char *out, size_t cap, int depth) {
  static const char *const atoms[] = {
      "a",           "b",      "ks",        "K",     "s",        "\\.",          "\\x61",
      "\\x{6B}",     "[ab]",   "[^a]",      "[]k]",  ".",        "\\d",          "\\s",
      "\\w",         "\\b",    "\\Qa.b\\E", "(?i)",  "\xc5\xbf", "\xe2\x84\xaa", ":",
      " ",           "\\Sx",   "(?=a)",     "(?!b)", "(?<=k)",   "a{,2}",        "\\E",
      "[[:alpha:]]", "\\p{L}", "1"};
  static const char *const quants[] = {"",      "",      "",    "",   "?",  "*", "+",
                                       "{0,2}", "{1,2}", "{2}", "+?", "*+", "??"};
  size_t n = 1 + rnd(4);
  for (size_t i = 0; i < n && strlen(out) + 48 < cap; i++) {
    uint32_t k = rnd(10);
    if (k < 7 || depth > 2) {
      strcat(out, atoms[rnd(sizeof atoms / sizeof atoms[0])]);
    } else {
      static const char *const opens[] = {"(", "(?:", "(?i:", "(?>", "(?|"};
      strcat(out, opens[rnd(5)]);
      gen_regex(out, cap, depth + 1);
      if (rnd(2)) {
        strcat(out, "|");
        gen_regex(out, cap, depth + 1);
      }
      strcat(out, ")");
    }
    strcat(out, quants[rnd(sizeof quants / sizeof quants[0])]);
  }
  if (depth == 0 && rnd(4) == 0) {
    strcat(out, "|");
    gen_regex(out, cap, 1);
  }
}

static int regex_ok(const char *re) {
  int err;
  PCRE2_SIZE off;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, strlen(re), PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
                                &err, &off, NULL);
  pcre2_code_free(c);
  return c != NULL;
}

typedef struct plain_rule {
  int kind; /* 0 contains 1 startswith 2 endswith 3 equals */
  int nocase;
  char text[64];
} plain_rule;

static int ieq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
    int y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
    if (x != y) return 0;
  }
  return 1;
}

/* An oracle that shares no code with the engine. */
static int oracle(const plain_rule *p, const char *v) {
  size_t lv = strlen(v), lp = strlen(p->text);
  switch (p->kind) {
    case 0:
      for (size_t i = 0; i + lp <= lv; i++)
        if (p->nocase ? ieq(v + i, p->text, lp) : !memcmp(v + i, p->text, lp)) return 1;
      return 0;
    case 1:
      return lv >= lp && (p->nocase ? ieq(v, p->text, lp) : !memcmp(v, p->text, lp));
    case 2:
      return lv >= lp &&
             (p->nocase ? ieq(v + lv - lp, p->text, lp) : !memcmp(v + lv - lp, p->text, lp));
    default:
      return lv == lp && (p->nocase ? ieq(v, p->text, lp) : !memcmp(v, p->text, lp));
  }
}

static void random_round(uint64_t seed) {
  enum { NRULES = 160, NLINES = 1500 };
  static const char *const kinds[] = {"contains", "startswith", "endswith", "equals"};
  static char yaml[256 * 1024];
  static plain_rule plain[NRULES];
  int is_plain[NRULES] = {0};
  size_t used = 0;
  rng_state = seed;
  yaml[0] = '\0';
  for (int i = 0; i < NRULES; i++) {
    char block[2048] = "";
    int shape = (int)rnd(5);
    used += (size_t)snprintf(yaml + used, sizeof yaml - used,
                             "- id: r%d\n  title: t\n  incident: { category: other, impact: "
                             "outage }\n  match:\n",
                             i);
    if (shape == 0) {
      /* one plain pattern: checked against the oracle too */
      plain_rule *p = &plain[i];
      p->kind = (int)rnd(4);
      p->nocase = (int)rnd(2);
      do gen_text(p->text, sizeof p->text, 3);
      while (!p->text[0]);
      is_plain[i] = 1;
      snprintf(block, sizeof block, "    all: [ { %s: '%s', nocase: %s } ]\n", kinds[p->kind],
               p->text, p->nocase ? "true" : "false");
    } else {
      const char *blocks[] = {"any", "all", "none"};
      int nb = 0;
      for (int b = 0; b < 3; b++) {
        if (b == 2 && !nb) continue;
        if (rnd(3) == 0 && !(b == 1 && !nb)) continue;
        nb++;
        strcat(block, "    ");
        strcat(block, blocks[b]);
        strcat(block, ":\n");
        for (uint32_t j = 0, np = 1 + rnd(3); j < np; j++) {
          char text[256] = "";
          if (rnd(2)) {
            do {
              text[0] = '\0';
              gen_regex(text, sizeof text, 0);
            } while (!regex_ok(text));
            snprintf(block + strlen(block), sizeof block - strlen(block),
                     "      - { regex: '%s', nocase: %s }\n", text, rnd(3) ? "false" : "true");
          } else {
            do gen_text(text, 64, 3);
            while (!text[0]);
            snprintf(block + strlen(block), sizeof block - strlen(block),
                     "      - { %s: '%s', nocase: %s }\n", kinds[rnd(4)], text,
                     rnd(2) ? "false" : "true");
          }
        }
      }
    }
    used += (size_t)snprintf(yaml + used, sizeof yaml - used, "%s", block);
    assert_true(used < sizeof yaml - 1);
  }
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  assert_int_equal(soc_rules_load_buffer("random.yaml", yaml, used, &rs, &st, d), 0);
  if (st.files_failed) {
    soc_diag_print(d, stderr);
    fail_msg("random rules refused (seed %llu)", (unsigned long long)seed);
  }
  assert_int_equal(soc_rules_count(rs), NRULES);
  soc_match_ctx *fast = soc_match_ctx_new(rs), *slow = soc_match_ctx_new(rs);
  soc_match_ctx_set_flags(slow, SOC_MATCH_NO_PREFILTER);
  soc_event *ev = soc_event_new();
  size_t total = 0;
  for (int l = 0; l < NLINES; l++) {
    char line[256];
    hits a = {0}, b = {0};
    gen_text(line, sizeof line, 12);
    soc_event_reset(ev);
    assert_int_equal(soc_event_set_str(ev, SOC_ECS_MESSAGE, line, strlen(line)), 0);
    assert_true(soc_rules_match(rs, fast, ev, collect, &a) >= 0);
    assert_true(soc_rules_match(rs, slow, ev, collect, &b) >= 0);
    if (a.n != b.n || memcmp(a.idx, b.idx, a.n * sizeof a.idx[0])) {
      for (size_t i = 0; i < b.n; i++) {
        size_t j = 0;
        while (j < a.n && a.idx[j] != b.idx[i]) j++;
        if (j == a.n) fprintf(stderr, "missed: rule %zu on '%s'\n", b.idx[i], line);
      }
      fail_msg("prefilter differs (seed %llu)", (unsigned long long)seed);
    }
    total += a.n;
    for (int i = 0; i < NRULES; i++) {
      if (!is_plain[i]) continue;
      int want = oracle(&plain[i], line), got = 0;
      for (size_t j = 0; j < a.n; j++) got |= a.idx[j] == (size_t)i;
      if (want != got)
        fail_msg("rule r%d (%s '%s' nocase %d) on '%s': engine %d, oracle %d", i,
                 kinds[plain[i].kind], plain[i].text, plain[i].nocase, line, got, want);
    }
  }
  soc_match_stats fs, ss;
  soc_match_ctx_stats(fast, &fs);
  soc_match_ctx_stats(slow, &ss);
  assert_true(total > 0);                     /* the round tested something */
  assert_true(fs.candidates < ss.candidates); /* and the prefilter skipped work */
  soc_event_free(ev);
  soc_match_ctx_free(fast);
  soc_match_ctx_free(slow);
  soc_rules_free(rs);
  soc_diag_free(d);
}

static void test_prefilter_random(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 40; seed++) random_round(seed);
}

/* ---- the automaton pass against a plain walk ------------------------------ */

/* Ids marked by walking the automaton from the start state at every byte
 * for as long as the walk stays on the literals' trie (a state reached in
 * as many bytes as its depth), each state's own literals only: no failure
 * links, no output numbering, no split. depth is the states' BFS depth. */
static size_t plain_ids(const ac_auto *a, const uint32_t *depth, const uint8_t *p, size_t n,
                        uint8_t *seen, size_t nids, uint32_t *ids) {
  size_t k = 0;
  memset(seen, 0, nids);
  for (size_t b = 0; b < n; b++) {
    uint32_t s = 0;
    for (size_t e = b; e < n; e++) {
      s = (uint32_t)(a->delta[(size_t)s * a->ncls + a->cls[p[e]]] + (int32_t)a->out_from) / a->ncls;
      if (depth[s] != e - b + 1) break;
      for (uint32_t i = 0; i < a->out_count[s]; i++) seen[a->out_rules[a->out_start[s] + i]] = 1;
    }
  }
  for (size_t i = 0; i < nids; i++)
    if (seen[i]) ids[k++] = (uint32_t)i;
  return k;
}

static uint32_t *state_depths(const ac_auto *a) {
  uint32_t *depth = malloc(a->nstates * sizeof *depth), *queue = malloc(a->nstates * sizeof *queue);
  size_t head = 0, tail = 0;
  assert_non_null(depth);
  assert_non_null(queue);
  for (uint32_t s = 0; s < a->nstates; s++) depth[s] = UINT32_MAX;
  depth[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    uint32_t s = queue[head++];
    for (uint32_t c = 0; c < a->ncls; c++) {
      uint32_t t = (uint32_t)(a->delta[(size_t)s * a->ncls + c] + (int32_t)a->out_from) / a->ncls;
      if (depth[t] != UINT32_MAX) continue;
      depth[t] = depth[s] + 1;
      queue[tail++] = t;
    }
  }
  free(queue);
  return depth;
}

typedef struct texts {
  char **v;
  size_t n, cap;
} texts;

static void texts_add(texts *t, const char *s, size_t len) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 1024;
    t->v = realloc(t->v, t->cap * sizeof *t->v);
    assert_non_null(t->v);
  }
  t->v[t->n] = strndup(s, len);
  assert_non_null(t->v[t->n]);
  t->n++;
}

static void texts_file(texts *t, const char *path) {
  FILE *f = fopen(path, "r");
  char line[8192];
  assert_non_null(f);
  while (fgets(line, sizeof line, f)) texts_add(t, line, strcspn(line, "\n"));
  fclose(f);
}

/* Every automaton of the set, over every text and over texts made of
 * pieces of them (lengths around the split's threshold, literals across
 * the cut): the scan marks what the plain walk marks. */
static void scan_against_plain(soc_rules *rs, const texts *t) {
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  size_t nids = rs->n + rs->npid, checked = 0;
  uint32_t *a = malloc(nids * sizeof *a), *b = malloc(nids * sizeof *b);
  uint8_t *seen = malloc(nids);
  char made[1024];
  assert_non_null(ctx);
  assert_true(a && b && seen);
  assert_true(rs->nac > 0);
  srand(7);
  for (size_t f = 0; f < rs->nac; f++) {
    const ac_auto *au = &rs->ac[f];
    uint32_t *depth = state_depths(au);
    for (size_t i = 0; i < t->n + 4000; i++) {
      const char *x = made;
      size_t len = 0;
      if (i < t->n) {
        x = t->v[i];
        len = strlen(x);
      } else {
        size_t want = (size_t)rand() % (4 * RULES_LIT_MAX + 8);
        while (len < want) {
          const char *s = t->v[(size_t)rand() % t->n];
          size_t sl = strlen(s), from = sl ? (size_t)rand() % sl : 0;
          size_t take = 1 + (size_t)rand() % (RULES_LIT_MAX + 1);
          if (take > sl - from) take = sl - from;
          if (take > want - len) take = want - len;
          memcpy(made + len, s + from, take);
          len += take;
          if (!take) break;
        }
      }
      size_t na = soc_rules_scan_ids(ctx, f, (const uint8_t *)x, len, a);
      size_t nb = plain_ids(au, depth, (const uint8_t *)x, len, seen, nids, b);
      if (na != nb || memcmp(a, b, na * sizeof *a))
        fail_msg("automaton %zu (%s) marks %zu ids, the plain walk %zu, on '%.*s'", f,
                 au->field.name, na, nb, (int)len, x);
      checked += nb > 0;
    }
    free(depth);
  }
  assert_true(checked > 0);
  free(a);
  free(b);
  free(seen);
  soc_match_ctx_free(ctx);
}

static void test_scan_plain(void **state) {
  (void)state;
  char *log_glob[] = {SOC_SOURCE_DIR "/rules/log/*.yaml"};
  char *sigma_dir[] = {SOC_SOURCE_DIR "/rules/sigma"};
  char *corp[] = {SOC_TEST_DATA "/logs/*.log", SOC_TEST_DATA "/rules/*.log"};
  char **files = NULL, **sigma = NULL, **lines = NULL;
  size_t nfiles = 0, nsigma = 0, nlines = 0;
  texts t = {0};
  assert_int_equal(soc_config_glob(log_glob, 1, &files, &nfiles), 0);
  assert_int_equal(soc_config_glob_sigma(sigma_dir, 1, &sigma, &nsigma), 0);
  assert_int_equal(soc_config_glob(corp, 2, &lines, &nlines), 0);
  assert_true(nfiles > 0 && nsigma > 0 && nlines > 0);
  for (size_t i = 0; i < nlines; i++) texts_file(&t, lines[i]);
  for (int with_sigma = 0; with_sigma < 2; with_sigma++) {
    soc_rules *rs = NULL;
    soc_diag *d = soc_diag_new();
    assert_int_equal(
        soc_rules_load_with_sigma((const char *const *)files, nfiles, (const char *const *)sigma,
                                  with_sigma ? nsigma : 0, &rs, NULL, d),
        0);
    scan_against_plain(rs, &t);
    soc_rules_free(rs);
    soc_diag_free(d);
  }
  for (size_t i = 0; i < t.n; i++) free(t.v[i]);
  free(t.v);
  soc_config_glob_free(files, nfiles);
  soc_config_glob_free(sigma, nsigma);
  soc_config_glob_free(lines, nlines);
}

/* Whether lit (its first RULES_LIT_MAX bytes, as the automaton keeps it)
 * occurs in t, ASCII letters folded: a search from every position. */
static int naive_has(const char *t, size_t n, const char *lit) {
  size_t ll = strlen(lit);
  if (ll > RULES_LIT_MAX) ll = RULES_LIT_MAX;
  for (size_t i = 0; i + ll <= n; i++)
    if (ieq(t + i, lit, ll)) return 1;
  return 0;
}

/* How test_scan_naive's sets and texts are drawn. */
typedef struct scan_draw {
  const char *const *units; /* literals are made of these (UTF-8, for the YAML) */
  size_t nunits;
  const char *noise; /* the bytes between planted literals */
  size_t noise_len;
  int dense; /* short literals, planted often, and at a text's start and end */
} scan_draw;

/* Writes literal l at text + n, each letter in either case, cut at len;
 * returns where it ends. */
static size_t plant(char *text, size_t n, size_t len, const char *l) {
  for (size_t k = 0; l[k] && n < len; k++)
    text[n++] = (char)(rnd(2) && l[k] >= 'a' && l[k] <= 'z' ? l[k] - 32 : l[k]);
  return n;
}

static void scan_naive_sets(const scan_draw *w) {
  enum { NRULES = 120, NTEXTS = 3000 };
  static char yaml[64 * 1024];
  static char lit[NRULES][48];
  for (uint64_t seed = 1; seed <= 12; seed++) {
    size_t used = 0, checked = 0;
    rng_state = seed;
    for (int i = 0; i < NRULES; i++) {
      /* mostly short literals (many overlaps), some past RULES_LIT_MAX */
      size_t len = w->dense ? 1 + rnd(5) : rnd(8) ? 1 + rnd(6) : 7 + rnd(36), o = 0;
      for (size_t k = 0; k < len; k++) {
        const char *u = w->units[rnd((uint32_t)w->nunits)];
        if (o + strlen(u) >= sizeof lit[i]) break;
        memcpy(lit[i] + o, u, strlen(u));
        o += strlen(u);
      }
      lit[i][o] = '\0';
      used += (size_t)snprintf(yaml + used, sizeof yaml - used,
                               "- id: n%d\n  title: t\n" INCIDENT
                               "  match:\n    all: [ { contains: '%s', nocase: true } ]\n",
                               i, lit[i]);
      assert_true(used < sizeof yaml - 1);
    }
    soc_diag *d = soc_diag_new();
    soc_rules *rs = NULL;
    soc_rules_stats st;
    assert_int_equal(soc_rules_load_buffer("n.yaml", yaml, used, &rs, &st, d), 0);
    assert_int_equal(st.files_failed, 0);
    /* the statistic counts each distinct literal once, however many
     * states' lists hold its ids */
    size_t distinct = 0;
    for (int i = 0; i < NRULES; i++) {
      int seen = 0;
      for (int j = 0; j < i && !seen; j++)
        seen = rs->rules[j]->anchored &&
               (strlen(lit[j]) >= RULES_LIT_MAX && strlen(lit[i]) >= RULES_LIT_MAX
                    ? !memcmp(lit[i], lit[j], RULES_LIT_MAX)
                    : !strcmp(lit[i], lit[j]));
      distinct += !seen && rs->rules[i]->anchored;
    }
    assert_int_equal(st.literals, distinct);
    soc_match_ctx *ctx = soc_match_ctx_new(rs);
    size_t nids = rs->n + rs->npid, ac = 0;
    uint32_t *got = malloc(nids * sizeof *got), *want = malloc(nids * sizeof *want);
    assert_true(got && want && ctx);
    while (ac < rs->nac && strcmp(rs->ac[ac].field.name, "message")) ac++;
    assert_true(ac < rs->nac);
    for (int t = 0; t < NTEXTS; t++) {
      char text[512];
      size_t n = 0, want_n = 0, len = rnd(301);
      if (w->dense && rnd(2)) n = plant(text, n, len, lit[rnd(NRULES)]);
      while (n < len) {
        if (rnd(w->dense ? 3 : 6) == 0)
          n = plant(text, n, len, lit[rnd(NRULES)]);
        else
          text[n++] = w->noise[rnd((uint32_t)w->noise_len)];
      }
      if (w->dense && rnd(2)) { /* a literal that ends the text */
        const char *l = lit[rnd(NRULES)];
        size_t ll = strlen(l) < len ? strlen(l) : len;
        plant(text, len - ll, len, l);
      }
      for (size_t i = 0; i < rs->n; i++) {
        const soc_rule *r = rs->rules[i];
        if (!r->anchored || !naive_has(text, n, lit[i])) continue;
        want[want_n++] = (uint32_t)i;
      }
      for (size_t i = 0; i < rs->n; i++) {
        const pattern *pt = &rs->rules[i]->all[0];
        if (pt->pid && naive_has(text, n, lit[i])) want[want_n++] = (uint32_t)(rs->n + pt->pid - 1);
      }
      /* the pids ascend with the rules that own them */
      size_t got_n = soc_rules_scan_ids(ctx, ac, (const uint8_t *)text, n, got);
      if (got_n != want_n || memcmp(got, want, got_n * sizeof *got))
        fail_msg("seed %llu: the scan marks %zu ids, the search %zu, on '%.*s'",
                 (unsigned long long)seed, got_n, want_n, (int)n, text);
      checked += want_n;
    }
    size_t anchored = 0;
    for (size_t i = 0; i < rs->n; i++)
      if (rs->rules[i]->anchored) anchored++;
    assert_true(anchored > NRULES / 2); /* the automaton, not the fallback, was tested */
    assert_true(checked > NTEXTS);
    free(got);
    free(want);
    soc_match_ctx_free(ctx);
    soc_rules_free(rs);
    soc_diag_free(d);
  }
}

/* Random literal sets over a small alphabet (so literals overlap, repeat
 * and end in one another), each rule one `contains`, against random texts
 * of 0 to 300 bytes with literals planted anywhere, in either case: the
 * scan marks each rule and pattern pid whose literal a search from every
 * position finds, no more. A scan that skips a byte where a literal
 * begins, stops a part short of one that crosses its end, or drops a
 * suffix's ids from a longer literal's state fails here. */
static void test_scan_naive(void **state) {
  static const char *const units[] = {"a", "b", "c", "a", "b", " ", "c", ":", "=", "/", "s", "k"};
  static const char noise[] = "abcab c:=/sk";
  scan_draw w = {units, sizeof units / sizeof *units, noise, sizeof noise - 1, 0};
  (void)state;
  scan_naive_sets(&w);
}

/* The same with literals of 1 to 5 units over two letters and a
 * two-byte character, planted every few bytes and at the texts' starts
 * and ends, among bytes past ASCII: the automaton is deep most of the
 * time, and literals often cross the scan's part boundaries and a text's
 * end. */
static void test_scan_dense(void **state) {
  static const char *const units[] = {"a", "b", "\xc3\xa9"};
  static const char noise[] = "abAB\xc3\xa9\x80\xff ";
  scan_draw w = {units, sizeof units / sizeof *units, noise, sizeof noise - 1, 1};
  (void)state;
  scan_naive_sets(&w);
}

/* A capture that rewrites the scanned field: later rules see the new value
 * exactly as if every rule were evaluated. */
static void test_rewrite_scanned_field(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: UNWRAP\n  title: t\n  match:\n    all: [ { regex: '^wrapped:(?<m>.*)$' } ]\n"
      "    captures: { m: message }\n" INCIDENT
      "- id: INNER\n  title: t\n  match: { all: [ { contains: secret } ] }\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  assert_string_equal(match_line(rs, ctx, ev, "wrapped:the secret"), "UNWRAP,INNER");
  assert_string_equal(match_line(rs, ctx, ev, "wrapped:plain"), "UNWRAP");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* A regex written the same in several rules runs once per state of the
 * event's fields: each rule still takes its own captures from it, and a
 * rule that rewrites the field makes the next one run it again. */
static void test_same_regex(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: A\n  title: t\n  match:\n    all: [ { regex: '(?<u>\\w+)@(?<h>\\w+)' } ]\n"
      "    captures: { u: user.name }\n" INCIDENT
      "- id: B\n  title: t\n  match:\n    all: [ { regex: '(?<u>\\w+)@(?<h>\\w+)' } ]\n"
      "    captures: { h: host.name }\n" INCIDENT
      "- id: C\n  title: t\n  match:\n    all: [ { regex: '^wrapped:\\w+@\\w+ (?<m>.*)$' } ]\n"
      "    captures: { m: message }\n" INCIDENT
      "- id: D\n  title: t\n  match:\n    all: [ { regex: '(?<u>\\w+)@(?<h>\\w+)' } ]\n"
      "    captures: { u: related.user }\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  soc_match_stats ms;
  assert_string_equal(match_line(rs, ctx, ev, "wrapped:bob@web1 eve@db2"), "A,B,C,D");
  assert_string_equal(soc_event_get(ev, "user.name"), "bob");
  assert_string_equal(soc_event_get(ev, "host.name"), "web1");
  assert_string_equal(soc_event_get(ev, "related.user"), "eve");
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.regexes, 3); /* A (B takes its result), C, D */
  assert_string_equal(match_line(rs, ctx, ev, "no address here"), "");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* A regex that requires two literal sets apart runs only on a line where
 * the automaton found both, and still matches where it should: a set from
 * an optional item or from one alternative of several is not required. */
static void test_second_literals(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: A\n  title: t\n  match:\n    all: [ { regex: 'proto=tcp spt=\\d+ \\w+ syn urgp' } "
      "]\n" INCIDENT
      "- id: B\n  title: t\n  match:\n    all: [ { regex: 'alpha=(?:beta )?\\d+ gam' } ]\n" INCIDENT
      "- id: C\n  title: t\n  match:\n    all: [ { regex: 'delta=\\d+ eps|delta=\\d+ zeta' } "
      "]\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  soc_match_stats ms;
  assert_string_equal(match_line(rs, ctx, ev, "proto=tcp spt=1 x ack urgp"), "");
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.regexes, 0); /* "syn urgp" is not there: A does not run */
  assert_string_equal(match_line(rs, ctx, ev, "proto=tcp spt=1 x syn urgp"), "A");
  assert_string_equal(match_line(rs, ctx, ev, "alpha=7 gam"), "B");
  assert_string_equal(match_line(rs, ctx, ev, "delta=7 zeta"), "C");
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.regexes, 3);
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* soc_rules_names_field finds a field wherever a rule names it (the
 * detector leaves event.id unset when no rule does). */
static void test_names_field(void **state) {
  (void)state;
  static const char *const rules[] = {
      "    all: [ { field: event.id, regex: 'x' } ]\n",
      "    all: [ { regex: 'x' } ]\n    where: [ { any_of: [ { field: event.id, exists: true } ] } "
      "]\n",
      "    all: [ { regex: 'x' } ]\n  correlate: { group_by: [ event.id ], count: 1 }\n",
      "    all: [ { regex: 'x' } ]\n  correlate: { group_by: [ host.name ], distinct: event.id,"
      " count: 2, within: 1m }\n",
  };
  char text[1024];
  soc_diag *d = soc_diag_new();
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
    snprintf(text, sizeof text, "- id: N\n  title: t\n  match:\n%s" INCIDENT, rules[i]);
    soc_rules *rs = load_text(text, d);
    assert_int_equal(soc_rules_names_field(rs, "event.id"), 1);
    assert_int_equal(soc_rules_names_field(rs, "event"), 0);
    soc_rules_free(rs);
  }
  soc_rules *rs = load_text(
      "- id: N\n  title: t\n  match:\n    all: [ { field: user.name, regex: "
      "'x' } ]\n  incident: { category: other, impact: outage, asset_from: "
      "[ host.name, event.id ] }\n",
      d);
  assert_int_equal(soc_rules_names_field(rs, "event.id"), 1);
  assert_int_equal(soc_rules_names_field(rs, "user.name"), 1);
  assert_int_equal(soc_rules_names_field(rs, "source.ip"), 0);
  soc_rules_free(rs);
  soc_diag_free(d);
}

static void test_unanchored_warning(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = NULL;
  soc_rules_stats st;
  const char *text =
      "- id: U\n  title: t\n  match:\n    any: [ { regex: '\\d+\\s\\d+' } ]\n" INCIDENT
      "- id: A\n  title: t\n  match:\n    all: [ { regex: '\\d+' }, { contains: "
      "x } ]\n" INCIDENT;
  assert_int_equal(soc_rules_load_buffer("w.yaml", text, strlen(text), &rs, &st, d), 0);
  assert_diag_contains(d,
                       "w.yaml:4:21: warning: U: regex '\\d+\\s\\d+' has no literal it "
                       "requires, so this rule is evaluated on every line");
  assert_false(soc_diag_contains(d, "warning: A:")); /* anchored by its contains */
  assert_int_equal(st.unanchored, 1);
  assert_int_equal(st.warnings, 1);
  assert_false(soc_rule_anchored(soc_rules_find(rs, "U")));
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  assert_string_equal(match_line(rs, ctx, ev, "v 1 2"), "U");
  assert_string_equal(match_line(rs, ctx, ev, "x 12"), "A");
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

/* A catastrophic regex on a hostile line is cut short, counted, no match. */
static void test_regex_limit(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *rs = load_text(
      "- id: BAD\n  title: t\n  match:\n    any: [ { regex: "
      "'^(a|aa)+$' } ]\n" INCIDENT,
      d);
  soc_match_ctx *ctx = soc_match_ctx_new(rs);
  soc_event *ev = soc_event_new();
  char line[200];
  memset(line, 'a', 120);
  strcpy(line + 120, "!");
  clock_t t0 = clock();
  assert_string_equal(match_line(rs, ctx, ev, line), "");
  assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
  soc_match_stats ms;
  soc_match_ctx_stats(ctx, &ms);
  assert_int_equal(ms.regex_limits, 1);
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(rs);
  soc_diag_free(d);
}

static void test_ctx_mismatch(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_rules *a =
      load_text("- { id: A, title: t, match: { all: [ { contains: x } ] },\n" INCIDENT "}\n", d);
  soc_rules *b =
      load_text("- { id: B, title: t, match: { all: [ { contains: x } ] },\n" INCIDENT "}\n", d);
  soc_match_ctx *ctx = soc_match_ctx_new(a);
  soc_event *ev = soc_event_new();
  assert_int_equal(soc_rules_match(b, ctx, ev, NULL, NULL), -EINVAL);
  soc_event_set_str(ev, SOC_ECS_MESSAGE, "x", 1);
  assert_int_equal(soc_rules_match(a, ctx, ev, NULL, NULL), 1);
  soc_rules_free(NULL);
  soc_match_ctx_free(NULL);
  soc_event_free(ev);
  soc_match_ctx_free(ctx);
  soc_rules_free(a);
  soc_rules_free(b);
  soc_diag_free(d);
}

/* --check-config goes through the same loader, so it lists rule errors
 * (not only YAML syntax) with their positions, and rule warnings. */
static void test_check_config(void **state) {
  (void)state;
  write_file("cfg-bad.yaml",
             "- id: R1\n  title: t\n  match: { all: [ { regex: 'a(' } ] }\n" INCIDENT);
  write_file("cfg-warn.yaml",
             "- id: R2\n  title: t\n  match: { all: [ { regex: '\\d+' } ] }\n" INCIDENT);
  const char *path = write_file("cfg.yaml",
                                "agent: { id: web01, agency: x, authority: 36 }\n"
                                "contacts: [ {name: a, phone: '1'}, {name: b, email: b@x.tw} ]\n"
                                "kafka: { brokers: '127.0.0.1:9092' }\n"
                                "rules: { log: [ 'cfg-*.yaml' ] }\n");
  char expect[400];
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  assert_int_equal(soc_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d), -EINVAL);
  snprintf(expect, sizeof expect,
           "%s/cfg-bad.yaml:3:28: error: R1.match.all[0].regex: missing closing parenthesis",
           test_dir());
  assert_diag_contains(d, expect);
  snprintf(expect, sizeof expect, "%s/cfg-warn.yaml:3:28: warning: R2: regex", test_dir());
  assert_diag_contains(d, expect);
  soc_config_free(cfg);
  soc_diag_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pattern_kinds),
      cmocka_unit_test(test_text_taken_as_written),
      cmocka_unit_test(test_captures),
      cmocka_unit_test(test_captures_fresh_per_rule),
      cmocka_unit_test(test_program_slots),
      cmocka_unit_test(test_skips_counted),
      cmocka_unit_test(test_where),
      cmocka_unit_test(test_filters_and_blocks),
      cmocka_unit_test(test_broken_files),
      cmocka_unit_test(test_cross_file),
      cmocka_unit_test(test_accessors),
      cmocka_unit_test(test_literals),
      cmocka_unit_test(test_prefilter_random),
      cmocka_unit_test(test_scan_plain),
      cmocka_unit_test(test_scan_naive),
      cmocka_unit_test(test_scan_dense),
      cmocka_unit_test(test_rewrite_scanned_field),
      cmocka_unit_test(test_same_regex),
      cmocka_unit_test(test_second_literals),
      cmocka_unit_test(test_names_field),
      cmocka_unit_test(test_unanchored_warning),
      cmocka_unit_test(test_regex_limit),
      cmocka_unit_test(test_ctx_mismatch),
      cmocka_unit_test(test_check_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
