/* deadline: exact due times per regime and level, level changes, boundaries,
 * calendar months, and broken regime files with their FILE:LINE:COL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/deadline.h"
#include "soc/tz.h"
#include "testutil.h"

#define H 3600LL
#define DIR SOC_SOURCE_DIR "/rules/deadlines"

static int64_t utc(int y, int mo, int d, int h, int mi) {
  return soc_tz_days_from_civil(y, mo, d) * 86400 + h * H + mi * 60;
}

static soc_regime *load(const char *name) {
  soc_diag *d = soc_diag_new();
  soc_regime *r = NULL;
  int rc = soc_regime_load_named(DIR, name, &r, d);
  if (rc != 0) soc_diag_print(d, stderr);
  assert_int_equal(rc, 0);
  soc_diag_free(d);
  return r;
}

static const soc_deadline *find(const soc_deadline *rows, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(rows[i].step->id, id)) return &rows[i];
  return NULL;
}

/* find() for a step that must be there: fails the test otherwise (abort()
 * tells the compiler so, as cmocka's fail_msg is not marked noreturn). */
static const soc_deadline *get(const soc_deadline *rows, size_t n, const char *id) {
  const soc_deadline *d = find(rows, n, id);
  if (!d) {
    fail_msg("no step '%s'", id);
    abort();
  }
  return d;
}

static size_t compute(const soc_regime *r, int level, const soc_incident_times *t,
                      soc_deadline *rows) {
  size_t n = 0;
  assert_int_equal(soc_deadlines_compute(r, level, t, rows, 16, &n), 0);
  return n;
}

static void expect(const soc_deadline *rows, size_t n, const char *id, int64_t due,
                   soc_deadline_status st) {
  const soc_deadline *d = get(rows, n, id);
  assert_int_equal(d->due, due);
  assert_int_equal(d->status, st);
}

static void test_tw2026_level3_vs_1(void **state) {
  (void)state;
  soc_regime *r = load("tw-2026");
  soc_deadline rows[16];
  int64_t disc = utc(2026, 1, 5, 2, 0), rep = disc + 40 * 60;
  soc_incident_times t = {.at = {[SOC_ANCHOR_DISCOVERY] = disc, [SOC_ANCHOR_REPORT] = rep},
                          .now = rep + 60};
  assert_string_equal(soc_regime_id(r), "tw-2026");
  size_t n = compute(r, 3, &t, rows);
  assert_int_equal(n, 4);
  expect(rows, n, "report", disc + H, SOC_DEADLINE_MET);
  expect(rows, n, "review", rep + 2 * H, SOC_DEADLINE_OPEN);
  expect(rows, n, "recovery", disc + 36 * H, SOC_DEADLINE_OPEN);
  expect(rows, n, "investigation", 0, SOC_DEADLINE_WAITING);
  assert_string_equal(get(rows, n, "review")->step->clause, "§5 I (2)");

  n = compute(r, 1, &t, rows);
  assert_int_equal(n, 3); /* no investigation report for levels 1-2 */
  assert_null(find(rows, n, "investigation"));
  expect(rows, n, "review", rep + 8 * H, SOC_DEADLINE_OPEN);
  expect(rows, n, "recovery", disc + 72 * H, SOC_DEADLINE_OPEN);

  /* recovery on 2026-01-06 10:15 → investigation due 2026-02-06 10:15 */
  t.at[SOC_ANCHOR_RECOVERY] = utc(2026, 1, 6, 10, 15);
  n = compute(r, 4, &t, rows);
  expect(rows, n, "recovery", disc + 36 * H, SOC_DEADLINE_MET);
  expect(rows, n, "investigation", utc(2026, 2, 6, 10, 15), SOC_DEADLINE_OPEN);
  soc_step_done done = {"investigation", utc(2026, 2, 6, 10, 16)};
  t.done = &done;
  t.ndone = 1;
  n = compute(r, 4, &t, rows);
  expect(rows, n, "investigation", utc(2026, 2, 6, 10, 15), SOC_DEADLINE_OVERDUE);
  soc_regime_free(r);
}

static void test_level_change(void **state) {
  (void)state;
  soc_regime *r = load("tw-2026");
  soc_deadline rows[16];
  int64_t disc = utc(2026, 3, 1, 0, 0), rep = disc + H;
  soc_incident_times t = {.at = {[SOC_ANCHOR_DISCOVERY] = disc, [SOC_ANCHOR_REPORT] = rep},
                          .now = rep + 30 * 60};
  size_t n = compute(r, 2, &t, rows);
  expect(rows, n, "review", rep + 8 * H, SOC_DEADLINE_OPEN);
  n = compute(r, 4, &t, rows); /* re-rated 2 → 4: the review clock shrinks */
  expect(rows, n, "review", rep + 2 * H, SOC_DEADLINE_OPEN);
  expect(rows, n, "recovery", disc + 36 * H, SOC_DEADLINE_OPEN);
  t.now = rep + 3 * H;
  n = compute(r, 4, &t, rows);
  expect(rows, n, "review", rep + 2 * H, SOC_DEADLINE_OVERDUE);

  /* reviewed at +5h while level 2 (on time), re-rated to 4 at +6h: stays met */
  t.at[SOC_ANCHOR_REVIEW] = rep + 5 * H;
  t.prev_level = 2;
  t.level_changed_at = rep + 6 * H;
  n = compute(r, 4, &t, rows);
  expect(rows, n, "review", rep + 2 * H, SOC_DEADLINE_MET);
  /* the same review after the change is late */
  t.level_changed_at = rep + 4 * H;
  n = compute(r, 4, &t, rows);
  expect(rows, n, "review", rep + 2 * H, SOC_DEADLINE_OVERDUE);
  soc_regime_free(r);
}

static void test_boundaries(void **state) {
  (void)state;
  soc_regime *r = load("tw-2018");
  soc_deadline rows[16];
  int64_t disc = utc(2025, 6, 1, 12, 0);
  soc_incident_times t = {.at = {[SOC_ANCHOR_DISCOVERY] = disc}, .now = disc + H};
  size_t n = compute(r, 3, &t, rows);
  expect(rows, n, "report", disc + H, SOC_DEADLINE_OPEN); /* now == due: not yet late */
  expect(rows, n, "review", 0, SOC_DEADLINE_WAITING);
  t.now = disc + H + 1;
  n = compute(r, 3, &t, rows);
  expect(rows, n, "report", disc + H, SOC_DEADLINE_OVERDUE);
  t.at[SOC_ANCHOR_REPORT] = disc + H; /* exactly on the due time = met */
  n = compute(r, 3, &t, rows);
  expect(rows, n, "report", disc + H, SOC_DEADLINE_MET);
  t.at[SOC_ANCHOR_REPORT] = disc + H + 1;
  n = compute(r, 3, &t, rows);
  expect(rows, n, "report", disc + H, SOC_DEADLINE_OVERDUE);
  assert_int_equal(get(rows, n, "report")->done, disc + H + 1);

  size_t need = 0;
  assert_int_equal(soc_deadlines_compute(r, 3, &t, rows, 2, &need), -ENOSPC);
  assert_int_equal(need, 4);
  assert_int_equal(soc_deadlines_compute(r, 5, &t, rows, 16, &need), -EINVAL);
  assert_int_equal(soc_deadlines_compute(r, 0, &t, rows, 16, &need), -EINVAL);
  soc_regime_free(r);
}

static void test_calendar_month(void **state) {
  (void)state;
  assert_int_equal(soc_deadline_add_months(utc(2026, 1, 31, 9, 30), 1), utc(2026, 2, 28, 9, 30));
  assert_int_equal(soc_deadline_add_months(utc(2028, 1, 31, 9, 30), 1), utc(2028, 2, 29, 9, 30));
  assert_int_equal(soc_deadline_add_months(utc(2026, 2, 28, 0, 0), 1), utc(2026, 3, 28, 0, 0));
  assert_int_equal(soc_deadline_add_months(utc(2026, 12, 15, 23, 59), 1), utc(2027, 1, 15, 23, 59));
  assert_int_equal(soc_deadline_add_months(utc(2026, 3, 31, 1, 0), 13), utc(2027, 4, 30, 1, 0));

  soc_regime *r = load("tw-2026");
  soc_deadline rows[16];
  soc_incident_times t = {.at = {[SOC_ANCHOR_DISCOVERY] = utc(2028, 1, 30, 0, 0),
                                 [SOC_ANCHOR_RECOVERY] = utc(2028, 1, 31, 18, 0)}};
  size_t n = compute(r, 3, &t, rows);
  expect(rows, n, "investigation", utc(2028, 2, 29, 18, 0), SOC_DEADLINE_OPEN);
  soc_regime_free(r);
}

static void test_nis2_gdpr_dora(void **state) {
  (void)state;
  soc_deadline rows[16];
  int64_t disc = utc(2026, 1, 31, 8, 0), rep = disc + 50 * H;
  soc_incident_times t = {.at = {[SOC_ANCHOR_DISCOVERY] = disc, [SOC_ANCHOR_REPORT] = rep},
                          .now = rep};
  soc_regime *r = load("nis2");
  size_t n = compute(r, 1, &t, rows);
  assert_int_equal(n, 3);
  expect(rows, n, "early-warning", disc + 24 * H, SOC_DEADLINE_OVERDUE);
  expect(rows, n, "notification", disc + 72 * H, SOC_DEADLINE_MET);
  expect(rows, n, "final-report", utc(2026, 3, 2, 10, 0), SOC_DEADLINE_OPEN);
  soc_regime_free(r);

  r = load("gdpr");
  n = compute(r, 4, &t, rows);
  assert_int_equal(n, 1);
  expect(rows, n, "notification", disc + 72 * H, SOC_DEADLINE_MET);
  soc_regime_free(r);

  r = load("dora");
  t.at[SOC_ANCHOR_REPORT] = 0;
  t.now = disc + H;
  n = compute(r, 3, &t, rows);
  expect(rows, n, "initial", 0, SOC_DEADLINE_WAITING);
  expect(rows, n, "initial-latest", disc + 24 * H, SOC_DEADLINE_OPEN);
  t.at[SOC_ANCHOR_CLASSIFICATION] = disc + 2 * H;
  n = compute(r, 3, &t, rows);
  expect(rows, n, "initial", disc + 6 * H, SOC_DEADLINE_OPEN);
  soc_regime_free(r);
}

static void expect_broken(const char *text, const char *message) {
  char full[512];
  soc_diag *d = soc_diag_new();
  soc_regime *r = (soc_regime *)1;
  const char *path = write_file("broken.yaml", text);
  snprintf(full, sizeof full, "%s%s", path, message);
  assert_int_equal(soc_regime_load(path, &r, d), -EINVAL);
  assert_null(r);
  assert_diag_contains(d, full);
  soc_diag_free(d);
}

#define HEAD "id: x\ntitle: X\nsource: test\nsteps:\n"

static void test_broken_files(void **state) {
  (void)state;
  expect_broken(HEAD
                "  - id: report\n    title: R\n    who: agency\n    levels: all\n"
                "    from: discovery\n    within: 1h\n    clase: \"§4\"\n",
                ":11:5: error: unknown key 'clase' in steps[0]; did you mean 'clause'?");
  expect_broken(HEAD "  - {id: r, title: R, who: a, levels: all, from: discovery, within: 3x}\n",
                ":5:69: error: steps[0].within: bad duration '3x'; expected e.g. 1h, 36h, 3d or "
                "1mo (a calendar month), greater than zero");
  expect_broken(HEAD "  - {id: r, title: R, who: a, levels: all, from: discovery, within: 0mo}\n",
                ":5:69: error: steps[0].within: bad duration '0mo'");
  expect_broken(
      HEAD "  - {id: r, title: R, who: a, levels: all, from: discvery, within: 1h}\n",
      ":5:50: error: steps[0].from: unknown anchor 'discvery'; did you mean 'discovery'?; "
      "expected discovery, report, review, recovery or classification");
  expect_broken(HEAD "  - {id: r, title: R, who: a, levels: [3, 5], from: report, within: 1h}\n",
                ":5:43: error: steps[0].levels: '5' is not a level; levels are 1 to 4");
  expect_broken(HEAD
                "  - {id: r, title: R, who: a, levels: [1, 2], from: report, within: 8h}\n"
                "  - {id: r, title: R, who: a, levels: [2, 3], from: report, within: 2h}\n",
                ":6:10: error: steps[1]: step id 'r' is already defined for some of these levels "
                "(line 5)");
  expect_broken("id: x\ntitle: X\nsteps: []\n",
                ":1:1: error: regime: missing required key 'source'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tw2026_level3_vs_1), cmocka_unit_test(test_level_change),
      cmocka_unit_test(test_boundaries),         cmocka_unit_test(test_calendar_month),
      cmocka_unit_test(test_nis2_gdpr_dora),     cmocka_unit_test(test_broken_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
