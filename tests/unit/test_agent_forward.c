/*
 * The forwarder's cursor and rewind (agent/forward.c) against librdkafka's
 * mock cluster in this process (as tests/broker/socbroker hosts it for the
 * integration tests): the cursor moves over a block only once every line of
 * it is delivered; deliveries that fail leave it where it was and rewind,
 * and everything after it is sent again once the broker is back. Events
 * go joined (kafka.events_per_message, 256 by default: a block's events in
 * one message here) or one a message, and the delivered counter counts
 * events either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "agentutil.h"
#include "forward.h"
#include "ingest.h"

#define PARTITIONS 4

static int setup(void **state) {
  if (agent_cluster_setup(state)) return -1;
  agent_cluster *c = *state;
  return rd_kafka_mock_topic_create(c->mock, "soc.events", PARTITIONS, 1) ? -1 : 0;
}

/* Messages in soc.events: the sum of the partitions' high watermarks. */
static int64_t events_in_topic(const agent_cluster *c) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  assert_non_null(rk);
  int64_t total = 0;
  for (int32_t p = 0; p < PARTITIONS; p++) {
    int64_t low = 0, high = 0;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, "soc.events", p, &low, &high, 10000), 0);
    total += high;
  }
  rd_kafka_destroy(rk);
  return total;
}

/* n lines journaled by a oneshot run into dir's agent */
static void journal(const soc_config *cfg, const char *dir, int n) {
  agent_log(dir, "app.log", 1, n, "fwd");
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_ingest_free(ing);
}

static int64_t cursor(const char *dir) {
  return agent_db_int(dir, "select value from meta where key = 'forward.cursor'");
}

static int64_t delivered(const char *dir) {
  return agent_db_int(dir, "select value from counter where input='forward' and name='delivered'");
}

/* 20 lines in 3 blocks forwarded with kafka.events_per_message per (0:
 * the default), in the messages expected. */
static void cursor_moves(agent_cluster *c, const char *name, int per, int64_t messages) {
  const char *dir = agent_dir(name);
  char kafka[300];
  snprintf(kafka, sizeof kafka, "brokers: '%s'%s", c->brokers,
           per == 1 ? ", events_per_message: 1" : "");
  soc_config *cfg = agent_config(dir, kafka, "");
  int64_t before = events_in_topic(c);
  journal(cfg, dir, 20);
  int64_t last = agent_db_int(dir, "select max(id) from journal_block");
  assert_int_equal(last, 3); /* 8 lines a block */

  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  soc_forward_free(f);
  assert_int_equal(cursor(dir), last);
  assert_int_equal(events_in_topic(c) - before, messages);
  assert_int_equal(delivered(dir), 20);

  /* a new forwarder starts at the cursor: nothing is sent twice */
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  soc_forward_free(f);
  assert_int_equal(events_in_topic(c) - before, messages);
  assert_int_equal(delivered(dir), 0); /* the counter is this run's */
  soc_config_free(cfg);
}

static void cursor_moves_on_delivery(void **state) {
  cursor_moves(*state, "delivered", 0, 3); /* a message per block: batches end with blocks */
}

static void cursor_moves_one_event_a_message(void **state) {
  cursor_moves(*state, "delivered1", 1, 20);
}

/* 600 lines in one block, joined at the default 256 a message: messages of
 * 256, 256 and 88 events, and delivered counts all 600 (a message's
 * opaque must hold 256). */
static void full_joined_messages(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("joined256");
  char kafka[300];
  snprintf(kafka, sizeof kafka, "brokers: '%s'", c->brokers);
  soc_config *cfg = agent_config(dir, kafka, "");
  cfg->journal.block_lines = 1000;
  int64_t before = events_in_topic(c);
  journal(cfg, dir, 600);
  assert_int_equal(agent_db_int(dir, "select max(id) from journal_block"), 1);
  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  soc_forward_free(f);
  assert_int_equal(events_in_topic(c) - before, 3);
  assert_int_equal(delivered(dir), 600);
  soc_config_free(cfg);
}

static void failed_delivery_rewinds(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("rewind");
  char kafka[512];
  /* deliveries give up after a second (by default they never do), and the
   * producer is back soon after the broker */
  snprintf(kafka, sizeof kafka,
           "brokers: '%s', properties: { message.timeout.ms: '1000', "
           "reconnect.backoff.max.ms: '200' }",
           c->brokers);
  soc_config *cfg = agent_config(dir, kafka, "");
  journal(cfg, dir, 20);
  int64_t last = agent_db_int(dir, "select max(id) from journal_block");
  int64_t before = events_in_topic(c);

  /* the broker away: every delivery fails, the cursor stays, rewinds are counted */
  assert_int_equal(rd_kafka_mock_broker_set_down(c->mock, 1), 0);
  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 3000), -ETIMEDOUT);
  assert_true(cursor(dir) < 1); /* never saved, or saved at 0 */
  assert_true(
      agent_db_int(dir, "select value from counter where input='forward' and name='rewinds'") >= 1);

  /* back: the same forwarder sends everything after the cursor again */
  assert_int_equal(rd_kafka_mock_broker_set_up(c->mock, 1), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  soc_forward_free(f);
  assert_int_equal(cursor(dir), last);
  assert_true(events_in_topic(c) - before >= 3);
  assert_true(delivered(dir) >= 20);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cursor_moves_on_delivery),
      cmocka_unit_test(cursor_moves_one_event_a_message),
      cmocka_unit_test(full_joined_messages),
      cmocka_unit_test(failed_delivery_rewinds),
  };
  return cmocka_run_group_tests(tests, setup, agent_cluster_teardown);
}
