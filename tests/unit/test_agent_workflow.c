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
#include <json.h> /* libfastjson */
#include <string.h>

#include "agentutil.h"
#include "ingest.h"
#include "soc/deadline.h"
#include "soc/report.h"
#include "soc/tz.h"
#include "workflow.h"

#define MIN 60LL

/* discovery of the incident, seconds since the epoch */
static int64_t t0;

/* A level 2 report, confirmed ten minutes after discovery, in the agent's
 * store; filed on the platform filed_min minutes after discovery (0: not). */
static void store_report(const soc_config *cfg, int64_t filed_min) {
  int64_t t0_ns = t0 * 1000000000LL;
  fjson_object *draft = fjson_tokener_parse(
      "{\"id\":5,\"rule\":{\"id\":\"SOC-WEB-002\",\"title\":\"Web scan\",\"mitre\":[\"T1595\"]},"
      "\"key\":\"198.51.100.7\",\"asset\":{\"name\":\"portal\",\"tier\":\"non-core\"},"
      "\"level\":2,\"clause\":{\"ref\":\"§2.3\"},\"category\":\"intrusion\","
      "\"category_zh\":\"非法入侵\",\"subtype\":\"scan\",\"host\":\"web01\","
      "\"first_seen\":\"2026-03-02T00:50:00.000Z\",\"last_seen\":\"2026-03-02T00:59:00.000Z\","
      "\"discovered\":\"2026-03-02T01:00:00.000Z\",\"count\":9}");
  soc_report_origin o = {.agent_id = cfg->agent.id,
                         .agency = cfg->agent.agency,
                         .authority = (int)cfg->agent.authority,
                         .reporter_name = "amy",
                         .regime = "tw-2026"};
  fjson_object *r = NULL;
  assert_int_equal(soc_report_new(&o, 5, draft, "amy", t0_ns + 10 * MIN * 1000000000LL, &r), 0);
  char why[SOC_REPORT_WHY_MAX];
  if (filed_min)
    assert_int_equal(soc_report_file(r, "platform", "amy", t0_ns + filed_min * MIN * 1000000000LL,
                                     why, sizeof why),
                     0);
  soc_diag *d = soc_diag_new();
  soc_regime *g = NULL;
  assert_int_equal(soc_regime_load_named(NULL, "tw-2026", &g, d), 0);
  soc_ingest *ing = NULL; /* opens (and makes) the agent's store */
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  soc_store *s = soc_ingest_store(ing);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_report_save(s, r, g, t0 + 10 * MIN), 0);
  assert_int_equal(soc_store_commit(s), 0);
  soc_ingest_free(ing);
  soc_regime_free(g);
  soc_diag_free(d);
  fjson_object_put(r);
  fjson_object_put(draft);
}

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

static void near_then_overdue_once_each(void **state) {
  (void)state;
  const char *dir = agent_dir("clocks");
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'",
                                 "report: { regime: tw-2026, warn_before: 15m }\n");
  store_report(cfg, 0);
  soc_workflow *w = NULL;
  assert_int_equal(soc_workflow_new(cfg, &w), 0);

  /* tw-2026: a level 2 report is due on the platform 1 h after discovery */
  assert_int_equal(soc_workflow_tick(w, t0 + 20 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 0);
  assert_int_equal(soc_workflow_tick(w, t0 + 46 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 1);
  assert_int_equal(soc_workflow_tick(w, t0 + 50 * MIN), 0);
  assert_int_equal(alerts(dir, "deadline.near", "report"), 1);
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
  store_report(cfg, 30);
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
  int64_t ns = 0;
  if (soc_time_parse_ns("2026-03-02T01:00Z", &ns) != 0) return 1;
  t0 = ns / 1000000000LL;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(near_then_overdue_once_each),
      cmocka_unit_test(done_step_is_quiet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
