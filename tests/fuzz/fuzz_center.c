/*
 * libFuzzer harness: the technical center's report and evidence paths at the
 * collector (collector/center.c over lib/store_center_report.c), fed what an
 * agent's .reports and .evidence topics could carry.
 *
 * The input is one or more messages separated by 0x1e (a byte that JSON text
 * cannot hold raw, so a separator never cuts a valid message); the first
 * byte of each picks its topic: even .reports, odd .evidence. Each message
 * goes through the validator as soccollector.c does it, and when it passes,
 * into center.db; afterwards the clocks are swept and every report is viewed
 * and summed, as the consumer loop and the commands do. Several messages per
 * input let the fuzzer reach what needs more than one: revisions of one
 * report, and a manifest followed by its chunks (a bundle rebuilt, verified
 * and filed).
 *
 * Everything runs in one transaction rolled back after each input, so inputs
 * do not see each other. Checked: a message is accepted (0), refused with a
 * NUL-terminated reason (1), or fails only for want of memory; dup is 0 or 1;
 * the sweep, the views and the summary never fail on what was accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "center.h"
#include "soc/diag.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_NS 1772413200000000000LL /* 2026-03-02T01:00Z */
#define AGENT "ag1"

static soc_collector_config *cfg;
static soc_center *center;
static soc_center_store *store;
static soc_centerdb *db; /* over store, for center.c */

/* A state folder of its own, the configuration and center.db: once. */
static void setup(void) {
  char dir[] = "/tmp/fuzz_center.XXXXXX", path[256], err[256];
  if (!mkdtemp(dir)) abort();
  snprintf(path, sizeof path, "%s/collector.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f) abort();
  fprintf(f,
          "collector: { id: fuzz, state_dir: %s }\n"
          "center: { regime: tw-2026 }\n"
          "kafka: { brokers: \"127.0.0.1:9\", topic_prefix: soc, group_id: fuzz }\n",
          dir);
  fclose(f);
  soc_diag *d = soc_diag_new();
  if (!d || soc_collector_config_load(path, 0, &cfg, d) < 0) {
    soc_diag_print(d, stderr);
    abort();
  }
  soc_diag_free(d);
  snprintf(path, sizeof path, "%s/center.db", dir);
  if (soc_center_new(cfg, &center) < 0 ||
      soc_center_store_open(path, &store, err, sizeof err) < 0) {
    fprintf(stderr, "fuzz_center: %s\n", err);
    abort();
  }
  if (soc_centerdb_wrap(store, &db) < 0) abort();
}

static void one(const uint8_t *msg, size_t len) {
  if (!len) return;
  int evidence = msg[0] & 1, dup = -1;
  char why[256];
  soc_collector_msg m = {.kind = evidence ? SOC_COLLECTOR_EVIDENCE : SOC_COLLECTOR_REPORTS,
                         .payload = msg + 1,
                         .len = len - 1,
                         .hdr_agent = AGENT,
                         .hdr_agent_len = sizeof AGENT - 1,
                         .hdr_schema = "1",
                         .hdr_schema_len = 1};
  soc_collector_verdict v;
  int rc = soc_collector_validate(&m, &v);
  soc_collector_verdict_clear(&v);
  if (rc != SOC_COLLECTOR_OK) return; /* quarantined: fuzz_collector's part */
  memset(why, 0xff, sizeof why);
  rc = evidence ? soc_center_evidence_in(center, db, AGENT, m.payload, m.len, NOW_NS, &dup, why,
                                         sizeof why)
                : soc_center_report_in(center, db, AGENT, m.payload, m.len, NOW_NS, &dup, why,
                                       sizeof why);
  if (rc == 1 && !memchr(why, '\0', sizeof why)) __builtin_trap();
  if ((rc < 0 && rc != -ENOMEM) || rc > 1) __builtin_trap();
  if (rc == 0 && dup != 0 && dup != 1) __builtin_trap();
}

static int view_one(void *arg, const soc_center_report *r) {
  soc_center_view v;
  int rc = soc_center_view_of(center, db, r, *(int64_t *)arg, &v);
  soc_center_view_clear(&v);
  return rc == -EBADMSG ? 0 : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!store) setup();
  if (soc_center_store_begin(store) < 0) abort();
  for (size_t start = 0, i = 0; i <= size; i++) {
    if (i == size || data[i] == 0x1e) {
      one(data + start, i - start);
      start = i + 1;
    }
  }
  /* the consumer's sweep, incidents' views and summary a day later */
  int64_t later_s = NOW_NS / 1000000000 + 86400;
  soc_center_sum_row *rows = NULL;
  size_t flagged = 0, n = 0;
  if (soc_center_sweep(center, db, NOW_NS + 86400000000000LL, &flagged) < 0) __builtin_trap();
  if (soc_store_center_reports_scan(store, view_one, &later_s) < 0) __builtin_trap();
  if (soc_center_summary(center, db, 0, NOW_NS + 86400000000000LL, &rows, &n) < 0) __builtin_trap();
  free(rows);
  soc_center_store_rollback(store);
  return 0;
}
