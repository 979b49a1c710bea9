/*
 * agentutil — what the agent core's unit tests (test_agent_*.c) share: an
 * agent configuration in a folder of its own, log files to feed it, and
 * questions to its agent.db (header-only, tests only). Needs cmocka.h
 * included first.
 */
#ifndef SOC_AGENTUTIL_H
#define SOC_AGENTUTIL_H

#include <json.h> /* libfastjson */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ingest.h"
#include "soc/config.h"
#include "soc/deadline.h"
#include "soc/diag.h"
#include "soc/report.h"
#include "soc/tz.h"
#include "testutil.h"

/* A fresh folder test_dir()/name with logs/ in it; the path is static,
 * one per test is all that is needed. */
static inline const char *agent_dir(const char *name) {
  static char dir[256];
  char logs[300];
  snprintf(dir, sizeof dir, "%s/%s", test_dir(), name);
  snprintf(logs, sizeof logs, "%s/logs", dir);
  if (mkdir(dir, 0700) != 0 || mkdir(logs, 0700) != 0) fail_msg("cannot make %s", logs);
  return dir;
}

/* Loads dir/agent.yaml made of an agent head (state_dir: state, one file
 * input "app" on the .log files in logs/, 8 lines per journal block), the
 * inside of the kafka map ("brokers: 'host:port'" and more), and extra YAML
 * (more top-level keys, or ""). Owned by the caller. */
static inline soc_config *agent_config(const char *dir, const char *kafka, const char *extra) {
  char path[300], text[4096];
  snprintf(path, sizeof path, "%s/agent.yaml", dir);
  snprintf(text, sizeof text,
           "agent: { id: unit, agency: test, authority: 36, state_dir: state, timezone: UTC }\n"
           "contacts: [ {name: a, phone: '1'}, {name: b, phone: '2'} ]\n"
           "inputs: [ { type: file, id: app, paths: [ 'logs/*.log' ] } ]\n"
           "journal: { block_lines: 8 }\n"
           "kafka: { %s }\n%s",
           kafka, extra);
  FILE *f = fopen(path, "w");
  if (!f) fail_msg("cannot write %s", path);
  fputs(text, f);
  fclose(f);
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  if (soc_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d) != 0) {
    soc_diag_print(d, stderr);
    fail_msg("%s does not load", path);
  }
  soc_diag_free(d);
  return cfg;
}

/* Appends syslog lines "<tag> seq=<n>" for n in [from, to] to dir/logs/name. */
static inline void agent_log(const char *dir, const char *name, int from, int to, const char *tag) {
  char path[400];
  snprintf(path, sizeof path, "%s/logs/%s", dir, name);
  FILE *f = fopen(path, "a");
  if (!f) fail_msg("cannot append to %s", path);
  for (int i = from; i <= to; i++)
    fprintf(f, "Nov 25 08:00:00 web01 app[1]: %s seq=%08d\n", tag, i);
  fclose(f);
}

/* The first column of the first row of sql on dir/state/agent.db, as text
 * in buf (cut to fit; "" for no row or NULL). Returns buf. */
static inline const char *agent_db_text(const char *dir, const char *sql, char *buf, size_t len) {
  char path[400];
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  buf[0] = '\0';
  snprintf(path, sizeof path, "%s/state/agent.db", dir);
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, db ? sqlite3_errmsg(db) : "cannot open");
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return buf;
}

/* The same as an integer (-1: no row or NULL). */
static inline int64_t agent_db_int(const char *dir, const char *sql) {
  char buf[32];
  return *agent_db_text(dir, sql, buf, sizeof buf) ? strtoll(buf, NULL, 10) : -1;
}

/* Runs sql (several statements allowed) on dir/state/agent.db. */
static inline void agent_db_exec(const char *dir, const char *sql) {
  char path[400];
  sqlite3 *db = NULL;
  snprintf(path, sizeof path, "%s/state/agent.db", dir);
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, db ? sqlite3_errmsg(db) : "cannot open");
  sqlite3_close(db);
}

/* librdkafka's mock cluster in this process, one broker, as
 * tests/broker/socbroker hosts it for the integration tests. */
typedef struct agent_cluster {
  rd_kafka_t *host; /* the mock cluster's bookkeeping instance */
  rd_kafka_mock_cluster_t *mock;
  char brokers[256];
} agent_cluster;

/* cmocka group setup and teardown: *state is the (static) cluster. */
static inline int agent_cluster_setup(void **state) {
  static agent_cluster c;
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  c.host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!c.host) return -1;
  c.mock = rd_kafka_mock_cluster_new(c.host, 1);
  if (!c.mock) return -1;
  snprintf(c.brokers, sizeof c.brokers, "%s", rd_kafka_mock_cluster_bootstraps(c.mock));
  *state = &c;
  return 0;
}

static inline int agent_cluster_teardown(void **state) {
  agent_cluster *c = *state;
  rd_kafka_mock_cluster_destroy(c->mock);
  rd_kafka_destroy(c->host);
  return 0;
}

/* When agent_report's incident was discovered (its draft says so too):
 * 2026-03-02T01:00Z, in seconds since the epoch. */
static inline int64_t agent_t0(void) {
  int64_t ns = 0;
  if (soc_time_parse_ns("2026-03-02T01:00Z", &ns) != 0) fail_msg("agent_t0");
  return ns / 1000000000LL;
}

/* Stores report number (a level 2 web scan on web01, discovered at
 * agent_t0() and confirmed ten minutes later) in the agent's store, as
 * socctl confirm does; filed on the platform filed_min minutes after
 * discovery (0: not). */
static inline void agent_report(const soc_config *cfg, int64_t number, int64_t filed_min) {
  const int64_t ns = 1000000000LL, t0_s = agent_t0(), t0_ns = t0_s * ns;
  char json[1024], why[SOC_REPORT_WHY_MAX];
  snprintf(json, sizeof json,
           "{\"id\":%lld,\"rule\":{\"id\":\"SOC-WEB-002\",\"title\":\"Web scan\","
           "\"mitre\":[\"T1595\"]},\"key\":\"198.51.100.7\",\"asset\":{\"name\":\"portal\","
           "\"tier\":\"non-core\"},\"level\":2,\"clause\":{\"ref\":\"§2.3\"},"
           "\"category\":\"intrusion\",\"category_zh\":\"非法入侵\",\"subtype\":\"scan\","
           "\"host\":\"web01\",\"first_seen\":\"2026-03-02T00:50:00.000Z\","
           "\"last_seen\":\"2026-03-02T00:59:00.000Z\","
           "\"discovered\":\"2026-03-02T01:00:00.000Z\",\"count\":9}",
           (long long)number);
  fjson_object *draft = fjson_tokener_parse(json), *r = NULL;
  soc_report_origin o = {.agent_id = cfg->agent.id,
                         .agency = cfg->agent.agency,
                         .authority = (int)cfg->agent.authority,
                         .reporter_name = "amy",
                         .regime = "tw-2026"};
  assert_int_equal(soc_report_new(&o, number, draft, "amy", t0_ns + 10 * 60 * ns, &r), 0);
  if (filed_min)
    assert_int_equal(
        soc_report_file(r, "platform", "amy", t0_ns + filed_min * 60 * ns, why, sizeof why), 0);
  soc_diag *d = soc_diag_new();
  soc_regime *g = NULL;
  assert_int_equal(soc_regime_load_named(NULL, "tw-2026", &g, d), 0);
  soc_ingest *ing = NULL; /* opens (and makes) the agent's store */
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  soc_store *s = soc_ingest_store(ing);
  assert_int_equal(soc_store_begin(s), 0);
  assert_int_equal(soc_report_save(s, r, g, t0_s + 10 * 60), 0);
  assert_int_equal(soc_store_commit(s), 0);
  soc_ingest_free(ing);
  soc_regime_free(g);
  soc_diag_free(d);
  fjson_object_put(r);
  fjson_object_put(draft);
}

#endif
