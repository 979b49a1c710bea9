/*
 * libFuzzer harness: the technical center's decisions as the agent's inbox
 * reads them from Kafka (soc_decision_parse), and, when one parses, applied
 * to a filed level-3 report (soc_decision_apply) which is then exported, as
 * socctl would show it.
 * Invariants: a refusal always says why and a success never does; a parsed
 * decision has every required field; applying never leaves the report
 * unexportable or its level outside 1-4.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/decision.h"
#include "soc/report.h"
#include "soc/report_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRAFT                                                                                \
  "{\"id\":7,\"rule\":{\"id\":\"SOC-SSH-001\",\"title\":\"SSH brute force\"},\"key\":\"k\"," \
  "\"asset\":{\"name\":\"gw\",\"tier\":\"core\"},\"level\":3,\"category\":\"intrusion\","    \
  "\"host\":\"gw01\",\"first_seen\":\"2026-03-02T00:50:00.000Z\",\"last_seen\":"             \
  "\"2026-03-02T00:59:00.000Z\",\"discovered\":\"2026-03-02T01:00:00.000Z\",\"count\":1}"
#define T_FILED 1772413200000000000LL /* 2026-03-02T01:00Z */

static fjson_object *filed_report(void) {
  soc_report_origin o = {.agent_id = "web01", .agency = "A", .authority = 36, .regime = "tw-2026"};
  fjson_object *d = fjson_tokener_parse(DRAFT), *r = NULL;
  char why[SOC_REPORT_WHY_MAX];
  if (!d || soc_report_new(&o, 7, d, "amy", T_FILED, &r) < 0 ||
      soc_report_file(r, "platform", "amy", T_FILED + 600000000000LL, why, sizeof why) < 0)
    __builtin_trap();
  fjson_object_put(d);
  return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_decision d;
  char why[SOC_REPORT_WHY_MAX] = "";
  int rc = soc_decision_parse(data, size, &d, why, sizeof why);
  if ((rc == 0) == (why[0] != 0)) __builtin_trap();
  if (rc < 0) {
    if (d.doc) __builtin_trap();
    return 0;
  }
  if (!d.id || !d.report || !d.kind || !d.by || !d.at_text) __builtin_trap();
  (void)soc_decision_report_number(&d, "web01");
  fjson_object *r = filed_report();
  why[0] = 0;
  rc = soc_decision_apply(&d, r, why, sizeof why);
  if ((rc == 0) == (why[0] != 0)) __builtin_trap();
  int level = soc_report_level(r);
  if (level < 1 || level > 4) __builtin_trap();
  char *text = NULL;
  if (soc_report_export_text(r, 1772420000, &text) < 0 || !text) __builtin_trap();
  free(text);
  if (soc_report_export_stix(r, &text) < 0 || !text) __builtin_trap();
  free(text);
  fjson_object_put(r);
  soc_decision_clear(&d);
  return 0;
}
