/*
 * The inbox (agent/inbox.c): the technical center's decisions, read from the
 * agency's topic on librdkafka's mock cluster in this process. A decision
 * about one of this agent's reports is applied once, with its audit entry
 * and its id in the once-only ledger; the same decision sent again, one
 * about another agent's report and a message that is not a decision change
 * nothing. An analyst's decision on a draft made in the console (confirm,
 * reject) is applied as socctl would (agent/analyst.c): the report is made,
 * and a decision the draft's state refuses is kept in its body, refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "agentutil.h"
#include "inbox.h"
#include "soc/center_topic.h"
#include "soc/sign.h"

/* Sends each message to topic, keyed by the report, signed by center (none:
 * unsigned), and waits for them all to be delivered. */
static void produce(const agent_cluster *c, const char *topic, const soc_sign_key *center,
                    const char *const *msgs, size_t n) {
  char err[256], sig[SOC_SIGN_SIG_TEXT + 1];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  assert_non_null(rk);
  for (size_t i = 0; i < n; i++) {
    rd_kafka_headers_t *h = rd_kafka_headers_new(1);
    if (center) {
      assert_int_equal(soc_sign_message(center, topic, "unit/5", 6, msgs[i], strlen(msgs[i]), sig),
                       0);
      rd_kafka_header_add(h, "signature", -1, sig, SOC_SIGN_SIG_TEXT);
    }
    assert_int_equal(
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("unit/5", 6),
                          RD_KAFKA_V_VALUE((void *)msgs[i], strlen(msgs[i])), RD_KAFKA_V_HEADERS(h),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
        0);
  }
  assert_int_equal(rd_kafka_flush(rk, 30000), 0);
  rd_kafka_destroy(rk);
}

static void decisions_apply_once(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("inbox");
  char kafka[512], topic[256], path[300], err[256], pub[SOC_SIGN_PUB_TEXT + 1];
  soc_sign_key *center = NULL;
  snprintf(path, sizeof path, "%s/center.key", dir);
  assert_int_equal(soc_sign_key_load(path, 1, &center, NULL, err, sizeof err), 0);
  soc_sign_pub_text(soc_sign_key_pub(center), pub);
  snprintf(kafka, sizeof kafka, "brokers: '%s', center_key: '%s'", c->brokers, pub);
  soc_config *cfg = agent_config(dir, kafka, "");
  agent_report(cfg, 5, 30);
  assert_true(soc_center_topic(cfg->kafka.topic_prefix, cfg->agent.agency, topic, sizeof topic) >
              0);
  assert_int_equal(rd_kafka_mock_topic_create(c->mock, topic, 1, 1), 0);
  static const char *const msgs[] = {
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/1\",\"report\":\"unit/"
      "5\",\"kind\":\"review\","
      "\"at\":\"2026-03-02T02:00:00.000Z\",\"by\":\"TWCERT\",\"reason\":\"center review\","
      "\"result\":\"level confirmed\"}",
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/2\",\"report\":\"unit/5\",\"kind\":\"level\","
      "\"at\":\"2026-03-02T02:05:00.000Z\",\"by\":\"TWCERT\",\"reason\":\"core after all\","
      "\"level\":3}",
      /* the first again (the center's outbox delivers at least once) */
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/1\",\"report\":\"unit/"
      "5\",\"kind\":\"review\","
      "\"at\":\"2026-03-02T02:00:00.000Z\",\"by\":\"TWCERT\",\"reason\":\"center review\","
      "\"result\":\"a replay\"}",
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/9\",\"report\":\"other/"
      "5\",\"kind\":\"level\","
      "\"at\":\"2026-03-02T02:05:00.000Z\",\"by\":\"x\",\"reason\":\"not ours\",\"level\":1}",
      "this is not JSON",
      /* last on the partition: once it is in, everything before it was read */
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/3\",\"report\":\"unit/"
      "5\",\"kind\":\"review\","
      "\"at\":\"2026-03-02T02:10:00.000Z\",\"by\":\"TWCERT\",\"reason\":\"again\","
      "\"result\":\"the last one\"}",
  };
  /* anyone else on the topic first: a decision without the center's
   * signature, with the id the center uses next, is never applied */
  static const char *const forged[] = {
      "{\"schema\":\"socagent.decision/1\",\"id\":\"c/2\",\"report\":\"unit/5\",\"kind\":\"level\","
      "\"at\":\"2026-03-02T02:04:00.000Z\",\"by\":\"mallory\",\"reason\":\"forged\",\"level\":1}",
  };
  produce(c, topic, NULL, forged, 1);
  produce(c, topic, center, msgs, sizeof msgs / sizeof *msgs);
  soc_sign_key_free(center);

  soc_ingest *ing = NULL; /* the agent's store, as the workflow thread has it */
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  soc_diag *d = soc_diag_new();
  soc_regime *g = NULL;
  assert_int_equal(soc_regime_load_named(NULL, "tw-2026", &g, d), 0);
  soc_inbox *ib = NULL;
  assert_int_equal(soc_inbox_new(cfg, soc_ingest_store(ing), g, &ib), 0);
  /* the deadline only ends a test that would hang (a consumer group forms in seconds) */
  time_t give_up = time(NULL) + 120;
  while (agent_db_int(dir, "select count(*) from center_decision where id = 'c/3'") < 1 &&
         time(NULL) < give_up)
    assert_true(soc_inbox_poll(ib, 500) >= 0);
  soc_inbox_free(ib);

  char ids[256];
  assert_string_equal(agent_db_text(dir,
                                    "select group_concat(id, ' ') from "
                                    "(select id from center_decision order by id)",
                                    ids, sizeof ids),
                      "c/1 c/2 c/3");
  assert_int_equal(agent_db_int(dir, "select count(*) from audit where action = 'center.decision'"),
                   3);
  assert_int_equal(agent_db_int(dir, "select level from report where id = 5"), 3);
  assert_int_equal(agent_db_int(dir, "select count(*) from audit where actor like '%mallory%'"), 0);
  soc_regime_free(g);
  soc_diag_free(d);
  soc_ingest_free(ing);
  soc_config_free(cfg);
}

/* An open draft number in the agent's store, as the detector leaves one. */
static void open_draft(soc_store *s, int64_t number) {
  char body[512];
  snprintf(
      body, sizeof body,
      "{\"id\":%lld,\"rule\":{\"id\":\"SOC-SSH-001\",\"title\":\"SSH brute force\"},"
      "\"asset\":{\"name\":\"gw\",\"tier\":\"core\"},\"level\":2,\"clause\":{\"ref\":\"§2.3\"},"
      "\"category\":\"intrusion\",\"host\":\"gw1\",\"status\":\"open\",\"count\":4,"
      "\"discovered\":\"2026-03-02T01:00:00.000Z\"}",
      (long long)number);
  soc_draft_row row = {.id = number,
                       .level = 2,
                       .count = 4,
                       .first_ns = agent_t0() * 1000000000LL,
                       .last_ns = agent_t0() * 1000000000LL,
                       .discovered_ns = agent_t0() * 1000000000LL,
                       .body = strdup(body)};
  snprintf(row.rule, sizeof row.rule, "SOC-SSH-001");
  snprintf(row.asset, sizeof row.asset, "gw");
  snprintf(row.status, sizeof row.status, "open");
  assert_int_equal(soc_store_draft_put(s, &row), 0);
  soc_draft_row_clear(&row);
}

static void draft_decisions_apply(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("inbox-drafts");
  char kafka[512], topic[256], path[300], err[256], pub[SOC_SIGN_PUB_TEXT + 1];
  soc_sign_key *center = NULL;
  snprintf(path, sizeof path, "%s/center.key", dir);
  assert_int_equal(soc_sign_key_load(path, 1, &center, NULL, err, sizeof err), 0);
  soc_sign_pub_text(soc_sign_key_pub(center), pub);
  /* a group of its own: the first test's consumer has left its group,
   * which takes a session timeout to notice */
  snprintf(kafka, sizeof kafka,
           "brokers: '%s', center_key: '%s', properties: { group.id: socagent-unit-drafts }",
           c->brokers, pub);
  soc_config *cfg = agent_config(dir, kafka, "");
  assert_true(soc_center_topic(cfg->kafka.topic_prefix, cfg->agent.agency, topic, sizeof topic) >
              0);
  rd_kafka_mock_topic_create(c->mock, topic, 1, 1); /* the first test may have made it */
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  soc_store *s = soc_ingest_store(ing);
  assert_int_equal(soc_store_begin(s), 0);
  open_draft(s, 7);
  open_draft(s, 8);
  assert_int_equal(soc_store_commit(s), 0);
  static const char *const msgs[] = {
      "{\"schema\":\"socagent.decision/1\",\"id\":\"d/1\",\"report\":\"unit/7\","
      "\"kind\":\"confirm\",\"at\":\"2026-03-02T01:10:00.000Z\",\"by\":\"ana\","
      "\"reason\":\"the gateway is core\",\"level\":3,\"drafts\":[]}",
      "{\"schema\":\"socagent.decision/1\",\"id\":\"d/2\",\"report\":\"unit/8\","
      "\"kind\":\"reject\",\"at\":\"2026-03-02T01:11:00.000Z\",\"by\":\"ana\","
      "\"reason\":\"a scanner we run\",\"drafts\":[]}",
      /* decided already: refused, and said so in the draft */
      "{\"schema\":\"socagent.decision/1\",\"id\":\"d/3\",\"report\":\"unit/7\","
      "\"kind\":\"reject\",\"at\":\"2026-03-02T01:12:00.000Z\",\"by\":\"bob\","
      "\"reason\":\"too late\",\"drafts\":[]}",
  };
  static const char *const forged[] = {
      "{\"schema\":\"socagent.decision/1\",\"id\":\"d/9\",\"report\":\"unit/8\","
      "\"kind\":\"confirm\",\"at\":\"2026-03-02T01:10:00.000Z\",\"by\":\"mallory\","
      "\"level\":4,\"reason\":\"x\"}",
  };
  produce(c, topic, NULL, forged, 1);
  produce(c, topic, center, msgs, sizeof msgs / sizeof *msgs);
  soc_sign_key_free(center);
  soc_diag *d = soc_diag_new();
  soc_regime *g = NULL;
  assert_int_equal(soc_regime_load_named(NULL, "tw-2026", &g, d), 0);
  soc_inbox *ib = NULL;
  assert_int_equal(soc_inbox_new(cfg, s, g, &ib), 0);
  time_t give_up = time(NULL) + 120;
  while (agent_db_int(dir, "select count(*) from center_decision where id = 'd/3'") < 1 &&
         time(NULL) < give_up)
    assert_true(soc_inbox_poll(ib, 500) >= 0);
  soc_inbox_free(ib);

  char text[256];
  assert_string_equal(
      agent_db_text(dir,
                    "select group_concat(status, ' ') from (select status from draft order by id)",
                    text, sizeof text),
      "confirmed rejected");
  /* confirm made the report, at the analyst's level */
  assert_int_equal(agent_db_int(dir, "select level from report where id = 7"), 3);
  assert_string_equal(
      agent_db_text(dir,
                    "select group_concat(json_extract(value, '$.id') || '=' ||"
                    " json_extract(value, '$.applied'), ' ') from draft,"
                    " json_each(json_extract(draft.body, '$.center_decisions')) where draft.id = 7",
                    text, sizeof text),
      "d/1=1 d/3=0");
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from audit where action = 'confirm' and"
                                " actor = 'center:ana'"),
                   1);
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from audit where action = 'reject' and"
                                " json_extract(details, '$.refused') is not null"),
                   1);
  assert_int_equal(agent_db_int(dir, "select count(*) from audit where actor like '%mallory%'"), 0);
  /* each change went out on <prefix>.incidents for the center */
  assert_true(agent_db_int(dir, "select count(*) from outbox where topic = 'incidents'") >= 3);
  soc_regime_free(g);
  soc_diag_free(d);
  soc_ingest_free(ing);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decisions_apply_once),
      cmocka_unit_test(draft_decisions_apply),
  };
  return cmocka_run_group_tests(tests, agent_cluster_setup, agent_cluster_teardown);
}
