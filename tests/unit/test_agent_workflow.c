/*
 * The workflow's clocks (agent/workflow.c) on a controlled clock, as the
 * collector's are tested (test_center.c): soc_workflow_tick is given the
 * time. A step's deadline.near alert comes once when the step is due within
 * report.warn_before, its deadline.overdue alert once when it is past due,
 * a step that is done raises nothing, and every alert waits in the outbox
 * for the forwarder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "agentutil.h"
#include "soc/tz.h"
#include "workflow.h"

#define MIN 60LL

/* discovery of the incident, seconds since the epoch */
static int64_t t0;

/* Alerts in the outbox with this action for this step. */
static int64_t alerts(const char *dir, const char *action, const char *step) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "select count(*) from outbox where topic = 'alerts' and "
           "json_extract(cast(payload as text), '$.event.action') = '%s' and "
           "json_extract(cast(payload as text), '$.deadline.step') = '%s'",
           action, step);
  return agent_db_int(dir, sql);
}

static void count_call(void *arg) { (*(int *)arg)++; }

static void near_then_overdue_once_each(void **state) {
  (void)state;
  const char *dir = agent_dir("clocks");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'",
                                 "report: { regime: tw-2026, warn_before: 15m }\n");
  agent_report(cfg, 5, 0);
  soc_workflow *w = NULL;
  int told = 0; /* ticks that queued something: the forwarder is woken for them */
  assert_int_equal(soc_workflow_new(cfg, &w), 0);
  soc_workflow_on_outbox(w, count_call, &told);

  /* tw-2026: a level 2 report is due on the platform 1 h after discovery */
  assert_int_equal(soc_workflow_tick(w, t0 + 20 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 0);
  assert_int_equal(told, 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 46 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 1);
  assert_int_equal(told, 1);
  assert_int_equal(soc_workflow_tick(w, t0 + 50 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 1);
  assert_int_equal(told, 1);
  assert_int_equal(alerts(dir, "deadline.overdue", "report"), 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 61 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.overdue", "report"), 1);
  assert_int_equal(soc_workflow_tick(w, t0 + 90 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.overdue", "report"), 1);
  /* recovery is 72 h from discovery: nothing yet; review waits for the report */
  assert_int_equal(alerts(dir, "deadline.near", "recovery"), 0);
  assert_int_equal(alerts(dir, "deadline.near", "review"), 0);
  /* a new workflow (a restart) does not say it again */
  soc_workflow_free(w);
  assert_int_equal(soc_workflow_new(cfg, &w), 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 91 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.overdue", "report"), 1);
  /* 71 h 50 min after discovery, recovery is near */
  assert_int_equal(soc_workflow_tick(w, t0 + (71 * 60 + 50) * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "recovery"), 1);
  soc_workflow_free(w);
  soc_config_free(cfg);
}

static void done_step_is_quiet(void **state) {
  (void)state;
  const char *dir = agent_dir("filed");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", "");
  agent_report(cfg, 5, 30);
  soc_workflow *w = NULL;
  assert_int_equal(soc_workflow_new(cfg, &w), 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 46 * MIN), 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 61 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 0);
  assert_int_equal(alerts(dir, "deadline.overdue", "report"), 0);
  /* the review's clock runs from the filing: 8 h for level 2 */
  assert_int_equal(soc_workflow_tick(w, t0 + (8 * 60 + 20) * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "review"), 1);
  soc_workflow_free(w);
  soc_config_free(cfg);
}

int main(void) {
  t0 = agent_t0();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(near_then_overdue_once_each),
      cmocka_unit_test(done_step_is_quiet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
