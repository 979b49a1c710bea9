/* report: a level-4 and a level-1 incident through their whole lifecycle on
 * a controlled clock (every deadline checked at each step, a re-level that
 * moves due times without making an on-time step late), the refusals of
 * out-of-order steps, the phone path, form fields, and the STIX and text
 * exports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/decision.h"
#include "soc/report.h"
#include "soc/report_export.h"
#include "soc/tz.h"
#include "testutil.h"

#define H 3600LL
#define NS 1000000000LL

static int64_t t0; /* discovery: 2026-03-02T01:00Z */

static soc_regime *regime(const char *name) {
  soc_diag *d = soc_diag_new();
  soc_regime *r = NULL;
  assert_int_equal(soc_regime_load_named(NULL, name, &r, d), 0); /* the built-in copy */
  soc_diag_free(d);
  return r;
}

static fjson_object *draft(int level) {
  char json[1024];
  snprintf(json, sizeof json,
           "{\"id\":7,\"rule\":{\"id\":\"SOC-SSH-001\",\"title\":\"SSH brute force\","
           "\"mitre\":[\"T1110.001\"]},\"key\":\"203.0.113.9\",\"asset\":{\"name\":\"gw\","
           "\"tier\":\"core\"},\"level\":%d,\"clause\":{\"ref\":\"§2.3\"},\"category\":"
           "\"intrusion\",\"category_zh\":\"非法入侵\",\"subtype\":\"abnormal login\","
           "\"host\":\"gw01\",\"first_seen\":\"2026-03-02T00:50:00.000Z\",\"last_seen\":"
           "\"2026-03-02T00:59:00.000Z\",\"discovered\":\"2026-03-02T01:00:00.000Z\","
           "\"count\":42}",
           level);
  return fjson_tokener_parse(json);
}

static fjson_object *new_report(int level) {
  soc_report_origin o = {.agent_id = "web01",
                         .agency = "Test Agency",
                         .authority = 36,
                         .reporter_name = "王小明",
                         .regime = "tw-2026"};
  fjson_object *d = draft(level), *r = NULL;
  assert_int_equal(soc_report_new(&o, 7, d, "amy", t0 + 10 * 60 * NS, &r), 0);
  fjson_object_put(d);
  return r;
}

/* The deadline of step at now (seconds); asserts it exists. */
static soc_deadline dl(fjson_object *r, const soc_regime *g, int64_t now, const char *step) {
  soc_deadline rows[32];
  size_t n = 0;
  assert_int_equal(soc_report_deadlines(r, g, now, rows, 32, &n), 0);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(rows[i].step->id, step)) return rows[i];
  fail_msg("no step %s", step);
  return rows[0];
}

static int64_t s(int64_t ns) { return ns / NS; }

static void setup_time(void) { assert_int_equal(soc_time_parse_ns("2026-03-02T01:00Z", &t0), 0); }

static void level4_lifecycle(void **state) {
  (void)state;
  char why[SOC_REPORT_WHY_MAX];
  setup_time();
  soc_regime *g = regime("tw-2026");
  fjson_object *r = new_report(3);
  assert_string_equal(soc_report_str(r, "id"), "web01/7");
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_CONFIRMED);
  assert_string_equal(soc_report_str(r, "event.indicators") ? "" : "ok", "ok");

  /* confirmed: report due 1 h after discovery; the others wait */
  soc_deadline d = dl(r, g, s(t0) + 30 * 60, "report");
  assert_int_equal(d.due, s(t0) + H);
  assert_int_equal(d.status, SOC_DEADLINE_OPEN);
  assert_int_equal(dl(r, g, s(t0), "review").status, SOC_DEADLINE_WAITING);
  assert_int_equal(dl(r, g, s(t0), "recovery").due, s(t0) + 36 * H); /* level 3 */

  /* a review before a filing is refused, and so is a time before discovery */
  assert_int_equal(soc_report_review(r, "boss", "", "agent", t0 + H * NS, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_file(r, "platform", "amy", t0 - H * NS, why, sizeof why), -EINVAL);

  /* filed by phone at 0:50 (platform down): the report step is met */
  assert_int_equal(soc_report_file(r, "phone", "amy", t0 + 50 * 60 * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_REPORTED);
  d = dl(r, g, s(t0) + 2 * H, "report");
  assert_int_equal(d.status, SOC_DEADLINE_MET);
  /* review: 2 h after the report for level 3 */
  d = dl(r, g, s(t0) + 2 * H, "review");
  assert_int_equal(d.due, s(t0) + 50 * 60 + 2 * H);
  assert_int_equal(d.status, SOC_DEADLINE_OPEN);
  assert_int_equal(dl(r, g, s(t0) + 3 * H, "review").status, SOC_DEADLINE_OVERDUE);
  /* the platform back-fill is status 1 again; a later filing is an edit */
  assert_int_equal(soc_report_file(r, "platform", "amy", t0 + 3 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_file(r, "platform", "amy", t0 + 4 * H * NS, why, sizeof why), 0);
  fjson_object *f = NULL;
  assert_true(fjson_object_object_get_ex(r, "filings", &f));
  assert_int_equal(fjson_object_array_length(f), 3);
  static const int want_status[] = {1, 1, 2};
  for (int i = 0; i < 3; i++) {
    fjson_object *x = fjson_object_array_get_idx(f, i), *st = NULL;
    assert_true(fjson_object_object_get_ex(x, "status", &st));
    assert_int_equal(fjson_object_get_int(st), want_status[i]);
  }

  /* reviewed late (3 h after the report): overdue, recorded as done late */
  assert_int_equal(
      soc_report_review(r, "boss", "agree", "agent", t0 + (50 * 60 + 3 * H) * NS, why, sizeof why),
      0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_REVIEWED);
  d = dl(r, g, s(t0) + 5 * H, "review");
  assert_int_equal(d.status, SOC_DEADLINE_OVERDUE);
  assert_int_not_equal(d.done, 0);

  /* re-level 3 → 4 at 10 h: a re-report; recovery stays 36 h (same for 3-4) */
  assert_int_equal(soc_report_relevel(r, 4, "amy", "", t0 + 10 * H * NS, why, sizeof why), -EINVAL);
  assert_int_equal(
      soc_report_relevel(r, 4, "amy", "data leaked", t0 + 10 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_level(r), 4);
  assert_int_equal(fjson_object_array_length(f), 4); /* the re-report filing */
  assert_int_equal(dl(r, g, s(t0) + 11 * H, "recovery").due, s(t0) + 36 * H);
  assert_int_equal(dl(r, g, s(t0) + 37 * H, "recovery").status, SOC_DEADLINE_OVERDUE);
  /* the investigation report waits for recovery */
  assert_int_equal(dl(r, g, s(t0) + 11 * H, "investigation").status, SOC_DEADLINE_WAITING);

  /* damage controlled at 20 h stops the recovery clock; recovered at 30 h */
  assert_int_equal(soc_report_close(r, "amy", t0 + 19 * H * NS, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_recover(r, 2, "amy", t0 + 20 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_CONTAINED);
  assert_int_equal(soc_report_recover(r, 2, "amy", t0 + 21 * H * NS, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_recover(r, 3, "amy", t0 + 30 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_RECOVERED);
  d = dl(r, g, s(t0) + 40 * H, "recovery");
  assert_int_equal(d.status, SOC_DEADLINE_MET);
  assert_int_equal(d.done, s(t0) + 20 * H);
  /* investigation: a calendar month after recovery (2026-03-02T21:00 → 04-02T21:00) */
  d = dl(r, g, s(t0) + 40 * H, "investigation");
  int64_t inv_due;
  assert_int_equal(soc_time_parse("2026-04-02T21:00Z", &inv_due), 0);
  assert_int_equal(d.due, inv_due);
  assert_int_equal(dl(r, g, inv_due + 1, "investigation").status, SOC_DEADLINE_OVERDUE);
  assert_int_equal(soc_report_investigation(r, "amy", (inv_due - 3600) * NS, why, sizeof why), 0);
  assert_int_equal(dl(r, g, inv_due + 1, "investigation").status, SOC_DEADLINE_MET);

  /* closure of a level 3-4 report is platform status 5; then nothing changes */
  assert_int_equal(soc_report_close(r, "amy", t0 + 31 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_CLOSED);
  fjson_object *last = fjson_object_array_get_idx(f, fjson_object_array_length(f) - 1), *st = NULL;
  assert_true(fjson_object_object_get_ex(last, "status", &st));
  assert_int_equal(fjson_object_get_int(st), 5);
  assert_int_equal(soc_report_relevel(r, 2, "amy", "x", t0 + 32 * H * NS, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_set(r, "event.scope", "x", why, sizeof why), -EPERM);

  /* touch: revision and the deadlines array */
  assert_int_equal(soc_report_touch(r, g, s(t0) + 40 * H), 0);
  assert_int_equal(soc_report_touch(r, g, s(t0) + 40 * H), 0);
  fjson_object *rev = NULL;
  assert_true(fjson_object_object_get_ex(r, "revision", &rev));
  assert_int_equal(fjson_object_get_int(rev), 2);
  fjson_object_put(r);
  soc_regime_free(g);
}

/* Level 1: an 8 h review and a 72 h recovery; no investigation; a re-level
 * to 3 shortens what is still open, but a review done on time under level 1
 * stays on time. */
static void level1_and_relevel(void **state) {
  (void)state;
  char why[SOC_REPORT_WHY_MAX];
  setup_time();
  soc_regime *g = regime("tw-2026");
  fjson_object *r = new_report(1);
  assert_int_equal(soc_report_file(r, "platform", "amy", t0 + 30 * 60 * NS, why, sizeof why), 0);
  assert_int_equal(dl(r, g, s(t0) + H, "review").due, s(t0) + 30 * 60 + 8 * H);
  assert_int_equal(dl(r, g, s(t0) + H, "recovery").due, s(t0) + 72 * H);
  soc_deadline rows[32];
  size_t n = 0;
  assert_int_equal(soc_report_deadlines(r, g, s(t0), rows, 32, &n), 0);
  for (size_t i = 0; i < n; i++) assert_string_not_equal(rows[i].step->id, "investigation");
  /* the supervisor reviews at 5 h: on time for level 1 (8 h), late for 3 (2 h) */
  assert_int_equal(soc_report_review(r, "boss", "", "agent", t0 + 5 * H * NS, why, sizeof why), 0);
  assert_int_equal(
      soc_report_relevel(r, 3, "amy", "spread to the DB", t0 + 6 * H * NS, why, sizeof why), 0);
  assert_int_equal(dl(r, g, s(t0) + 7 * H, "review").status, SOC_DEADLINE_MET);
  /* recovery is now 36 h, still open at 7 h, overdue at 37 h */
  assert_int_equal(dl(r, g, s(t0) + 7 * H, "recovery").due, s(t0) + 36 * H);
  assert_int_equal(dl(r, g, s(t0) + 37 * H, "recovery").status, SOC_DEADLINE_OVERDUE);
  /* the investigation report is owed now */
  assert_int_equal(dl(r, g, s(t0) + 7 * H, "investigation").status, SOC_DEADLINE_WAITING);
  /* closure of level 1-2 would be status 4: back to 2, recover, close */
  assert_int_equal(
      soc_report_relevel(r, 2, "amy", "contained to one host", t0 + 8 * H * NS, why, sizeof why),
      0);
  assert_int_equal(soc_report_investigation(r, "amy", t0 + 9 * H * NS, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_recover(r, 3, "amy", t0 + 9 * H * NS, why, sizeof why), 0);
  assert_int_equal(soc_report_close(r, "amy", t0 + 10 * H * NS, why, sizeof why), 0);
  fjson_object *f = NULL;
  assert_true(fjson_object_object_get_ex(r, "filings", &f));
  fjson_object *last = fjson_object_array_get_idx(f, fjson_object_array_length(f) - 1), *st = NULL;
  assert_true(fjson_object_object_get_ex(last, "status", &st));
  assert_int_equal(fjson_object_get_int(st), 4);
  fjson_object_put(r);
  soc_regime_free(g);
}

static void form_fields(void **state) {
  (void)state;
  char why[SOC_REPORT_WHY_MAX];
  setup_time();
  fjson_object *r = new_report(2);
  assert_int_equal(soc_report_set(r, "event.description", "SSH brute force", why, sizeof why), 0);
  assert_string_equal(soc_report_str(r, "event.description"), "SSH brute force");
  assert_int_equal(soc_report_set(r, "support.requested", "maybe", why, sizeof why), -EINVAL);
  assert_non_null(strstr(why, "yes or no"));
  assert_int_equal(soc_report_set(r, "event.affects_others", "4", why, sizeof why), -EINVAL);
  assert_int_equal(soc_report_set(r, "event.sectors", "2, 7", why, sizeof why), 0);
  assert_int_equal(soc_report_set(r, "event.sectors", "9", why, sizeof why), -EINVAL);
  assert_int_equal(soc_report_set(r, "event.category", "web-attack", why, sizeof why), 0);
  assert_string_equal(soc_report_str(r, "event.category_zh"), "網頁攻擊");
  assert_int_equal(soc_report_set(r, "level", "4", why, sizeof why), -EINVAL); /* relevel only */
  assert_int_equal(soc_report_set(r, "response.containment",
                                  "blocked 203.0.113.9 on fw01|2026-03-02T02:00Z", why, sizeof why),
                   0);
  assert_int_equal(soc_report_set(r, "response.evidence_kept", "firewall logs|2026-03-02T03:00Z",
                                  why, sizeof why),
                   -EINVAL);
  assert_int_equal(
      soc_report_set(r, "response.evidence_kept",
                     "firewall logs|2026-03-01T00:00Z|2026-03-02T03:00Z", why, sizeof why),
      0);
  assert_int_equal(soc_report_set(r, "impact.integrity.level", "2", why, sizeof why), 0);
  char big[9000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(soc_report_set(r, "event.scope", big, why, sizeof why), -EINVAL);
  assert_int_equal(soc_report_set(r, "event.scope", "\xff\xfe", why, sizeof why), -EINVAL);
  /* evidence is capped */
  for (int i = 0; i < SOC_REPORT_EVIDENCE_MAX; i++)
    assert_int_equal(soc_report_add_evidence(r, "auth", 1, (uint64_t)i, t0, "line", 4), 0);
  assert_int_equal(soc_report_add_evidence(r, "auth", 1, 999, t0, "line", 4), 1);

  char *text = NULL;
  assert_int_equal(soc_report_export_text(r, s(t0), &text), 0);
  assert_non_null(strstr(text, "Step 1  basic data 基本資料"));
  assert_non_null(strstr(text, "Step 6  closure"));
  assert_non_null(strstr(text, "blocked 203.0.113.9 on fw01"));
  assert_non_null(strstr(text, "2 energy 能源"));
  assert_null(strstr(text, "Closure summary")); /* only after recovery */
  free(text);
  fjson_object_put(r);
}

static void stix(void **state) {
  (void)state;
  setup_time();
  fjson_object *r = new_report(3);
  char *a = NULL, *b = NULL;
  assert_int_equal(soc_report_export_stix(r, &a), 0);
  assert_int_equal(soc_report_export_stix(r, &b), 0);
  assert_string_equal(a, b); /* deterministic ids */
  fjson_object *bundle = fjson_tokener_parse(a), *objs = NULL, *type = NULL;
  assert_non_null(bundle);
  assert_true(fjson_object_object_get_ex(bundle, "type", &type));
  assert_string_equal(fjson_object_get_string(type), "bundle");
  assert_true(fjson_object_object_get_ex(bundle, "objects", &objs));
  int seen_incident = 0, seen_indicator = 0, seen_sighting = 0, seen_observed = 0, seen_addr = 0;
  for (int i = 0; i < fjson_object_array_length(objs); i++) {
    fjson_object *o = fjson_object_array_get_idx(objs, i), *t = NULL, *id = NULL, *p = NULL;
    assert_true(fjson_object_object_get_ex(o, "type", &t));
    assert_true(fjson_object_object_get_ex(o, "id", &id));
    const char *ty = fjson_object_get_string(t), *ids = fjson_object_get_string(id);
    /* "<type>--<uuid v5>" */
    assert_int_equal(strncmp(ids, ty, strlen(ty)), 0);
    assert_int_equal(strlen(ids), strlen(ty) + 2 + 36);
    assert_int_equal(ids[strlen(ty) + 2 + 14], '5');
    seen_incident += !strcmp(ty, "incident");
    seen_sighting += !strcmp(ty, "sighting");
    seen_observed += !strcmp(ty, "observed-data");
    if (!strcmp(ty, "indicator")) {
      seen_indicator++;
      assert_true(fjson_object_object_get_ex(o, "pattern", &p));
      assert_string_equal(fjson_object_get_string(p), "[ipv4-addr:value = '203.0.113.9']");
    }
    if (!strcmp(ty, "ipv4-addr")) {
      seen_addr++;
      /* STIX 2.1's own example id for this value's namespace is v5 too; ours is stable */
      assert_true(fjson_object_object_get_ex(o, "value", &p));
    }
  }
  assert_int_equal(seen_incident, 1);
  assert_int_equal(seen_indicator, 1);
  assert_int_equal(seen_sighting, 1);
  assert_int_equal(seen_observed, 1);
  assert_int_equal(seen_addr, 1);
  fjson_object_put(bundle);
  free(a);
  free(b);
  fjson_object_put(r);
}

static void bad_input(void **state) {
  (void)state;
  soc_report_origin o = {.agent_id = "a", .regime = "tw-2026"};
  fjson_object *d = fjson_tokener_parse("{\"level\":9}"), *r = NULL;
  assert_int_equal(soc_report_new(&o, 1, d, "x", 1, &r), -EINVAL);
  assert_null(r);
  fjson_object_put(d);
  char why[64];
  fjson_object *empty = fjson_object_new_object();
  /* a document without times: no crash, refusals */
  assert_int_equal(soc_report_close(empty, "x", 1, why, sizeof why), -EPERM);
  assert_int_equal(soc_report_state_of(empty), SOC_REPORT_CONFIRMED);
  char *out = NULL;
  assert_int_equal(soc_report_export_stix(empty, &out), -EINVAL);
  fjson_object_put(empty);
}

/* The center's decisions (soc_decision): what the agent's inbox reads from
 * Kafka, parsed, matched to its reports and applied through the lifecycle. */
static int parse(const char *json, soc_decision *d) {
  char why[SOC_REPORT_WHY_MAX] = "";
  int rc = soc_decision_parse(json, strlen(json), d, why, sizeof why);
  assert_true(rc == 0 ? !why[0] : why[0] != 0);
  return rc;
}

#define DEC(kind, extra)                                                        \
  "{\"schema\":\"socagent.decision/1\",\"id\":\"c1/1\",\"report\":\"web01/7\"," \
  "\"kind\":\"" kind "\",\"by\":\"center-amy\",\"at\":\"2026-03-02T02:00:00Z\"" extra "}"

static void decisions(void **state) {
  (void)state;
  soc_decision d;
  char why[SOC_REPORT_WHY_MAX];
  /* refusals: not JSON, wrong schema, a field missing or of the wrong type, a bad time */
  assert_int_equal(parse("not json", &d), -EINVAL);
  assert_null(d.doc);
  assert_int_equal(parse("[1]", &d), -EINVAL);
  assert_int_equal(parse("{\"schema\":\"socagent.decision/2\"}", &d), -EINVAL);
  assert_int_equal(parse(DEC("review", ",\"by\":7"), &d), -EINVAL);
  assert_int_equal(parse("{\"schema\":\"socagent.decision/1\",\"id\":\"x\",\"report\":\"web01/7\","
                         "\"kind\":\"review\",\"by\":\"a\",\"at\":\"yesterday\"}",
                         &d),
                   -EINVAL);
  assert_int_equal(soc_decision_parse("{}\0{}", 5, &d, why, sizeof why), -EINVAL);
  assert_int_equal(soc_decision_parse("x", SOC_DECISION_MAX + 1, &d, why, sizeof why), -EINVAL);

  /* whose report: only "<this agent>/<number>" */
  assert_int_equal(parse(DEC("review", ""), &d), 0);
  assert_int_equal(soc_decision_report_number(&d, "web01"), 7);
  assert_int_equal(soc_decision_report_number(&d, "web0"), 0);
  assert_int_equal(soc_decision_report_number(&d, "web01/7"), 0);
  soc_decision_clear(&d);
  static const char *const others[] = {"web01/07", "web01/", "web01/7x", "web01/-7",
                                       "web01/99999999999999999999"};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    char json[512];
    snprintf(json, sizeof json,
             "{\"schema\":\"socagent.decision/1\",\"id\":\"x\",\"report\":\"%s\","
             "\"kind\":\"review\",\"by\":\"a\",\"at\":\"2026-03-02T02:00:00Z\"}",
             others[i]);
    assert_int_equal(parse(json, &d), 0);
    assert_int_equal(soc_decision_report_number(&d, "web01"), 0);
    soc_decision_clear(&d);
  }

  /* a review before the report was filed is refused, and still recorded */
  fjson_object *r = new_report(3);
  assert_int_equal(parse(DEC("review", ",\"result\":\"level confirmed\""), &d), 0);
  assert_int_equal(soc_decision_apply(&d, r, why, sizeof why), -EPERM);
  fjson_object *list = NULL, *refused = NULL;
  assert_true(fjson_object_object_get_ex(r, "center_decisions", &list));
  assert_true(fjson_object_object_get_ex(fjson_object_array_get_idx(list, 0), "refused", &refused));
  assert_string_equal(fjson_object_get_string(refused), why);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_CONFIRMED);
  /* filed, the same review applies */
  assert_int_equal(soc_report_file(r, "platform", "amy", t0 + 20 * 60 * NS, why, sizeof why), 0);
  assert_int_equal(soc_decision_apply(&d, r, why, sizeof why), 0);
  assert_int_equal(soc_report_state_of(r), SOC_REPORT_REVIEWED);
  assert_string_equal(soc_report_str(r, "review.source"), "center");
  assert_string_equal(soc_report_str(r, "review.result"), "level confirmed");
  assert_true(soc_report_time(r, "review.at") == t0 + H * NS);
  soc_decision_clear(&d);
  /* the center's level, with its reason */
  assert_int_equal(parse(DEC("level", ",\"level\":4,\"reason\":\"CII affected\""), &d), 0);
  assert_int_equal(d.level, 4);
  assert_int_equal(soc_decision_apply(&d, r, why, sizeof why), 0);
  assert_int_equal(soc_report_level(r), 4);
  soc_decision_clear(&d);
  /* a level out of range or of the wrong type is refused */
  assert_int_equal(parse(DEC("level", ",\"level\":\"4\""), &d), 0);
  assert_int_equal(d.level, 0);
  assert_true(soc_decision_apply(&d, r, why, sizeof why) < 0);
  assert_int_equal(soc_report_level(r), 4);
  soc_decision_clear(&d);
  /* support, stamped before discovery (the center's clock is behind): moved up to it */
  assert_int_equal(
      parse("{\"schema\":\"socagent.decision/1\",\"id\":\"c1/3\",\"report\":\"web01/7\","
            "\"kind\":\"support\",\"by\":\"c\",\"at\":\"2026-03-02T00:59:58Z\"}",
            &d),
      0);
  assert_int_equal(soc_decision_apply(&d, r, why, sizeof why), 0);
  assert_true(soc_report_time(r, "support.dispatched") == soc_report_time(r, "event.discovered"));
  soc_decision_clear(&d);
  /* an unknown kind: refused with its name */
  assert_int_equal(parse(DEC("pardon", ""), &d), 0);
  assert_int_equal(soc_decision_apply(&d, r, why, sizeof why), -EINVAL);
  assert_non_null(strstr(why, "pardon"));
  soc_decision_clear(&d);
  assert_int_equal(fjson_object_array_length(list), 6);
  fjson_object_put(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(level4_lifecycle), cmocka_unit_test(level1_and_relevel),
      cmocka_unit_test(form_fields),      cmocka_unit_test(stix),
      cmocka_unit_test(bad_input),        cmocka_unit_test(decisions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
