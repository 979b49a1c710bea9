/*
 * The forwarder's cursor and rewind (agent/forward.c) against librdkafka's
 * mock cluster in this process (as tests/broker/socbroker hosts it for the
 * integration tests): the cursor moves over a block only once every line of
 * it is delivered; deliveries that fail leave it where it was and rewind,
 * and everything after it is sent again once the broker is back. Events
 * go joined (kafka.events_per_message, 1024 by default, and a quarter of
 * librdkafka's queue in bytes: a block's events in one message here) or
 * one a message, and the delivered counter counts events either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agentutil.h"
#include "forward.h"
#include "identity.h"
#include "ingest.h"
#include "soc/sign.h"

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

/* lines from..to journaled by a oneshot run into dir's agent */
static void journal_more(const soc_config *cfg, const char *dir, int from, int to) {
  agent_log(dir, "app.log", from, to, "fwd");
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_ingest_free(ing);
}

/* The lines of dir's app.log. */
static int64_t lines_in(const char *dir) {
  char path[400];
  int64_t n = 0;
  snprintf(path, sizeof path, "%s/logs/app.log", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  for (int ch; (ch = fgetc(f)) != EOF;) n += ch == '\n';
  fclose(f);
  return n;
}

/* A forwarder of cfg sends everything in its journal, and goes. */
static void forward_all(const soc_config *cfg) {
  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  soc_forward_free(f);
}

/* n lines journaled by a oneshot run into dir's agent */
static void journal(const soc_config *cfg, const char *dir, int n) { journal_more(cfg, dir, 1, n); }

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

  forward_all(cfg);
  assert_int_equal(cursor(dir), last);
  assert_int_equal(events_in_topic(c) - before, messages);
  assert_int_equal(delivered(dir), 20);

  /* a new forwarder starts at the cursor: nothing is sent twice */
  forward_all(cfg);
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

/* 1,100 lines in one block, joined at the default 1024 a message (their
 * ~1024 × 400 bytes are under a quarter of the 2 MiB queue): messages of
 * 1024 and 76 events, and delivered counts all 1,100 (a message's opaque
 * must hold 1024). */
static void full_joined_messages(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("joined1024");
  char kafka[300];
  snprintf(kafka, sizeof kafka, "brokers: '%s'", c->brokers);
  soc_config *cfg = agent_config(dir, kafka, "");
  cfg->journal.block_lines = 2000;
  int64_t before = events_in_topic(c);
  journal(cfg, dir, 1100);
  assert_int_equal(agent_db_int(dir, "select max(id) from journal_block"), 1);
  forward_all(cfg);
  assert_int_equal(events_in_topic(c) - before, 2);
  assert_int_equal(delivered(dir), 1100);
  soc_config_free(cfg);
}

/* Every joined message in topic from its beginning, checked as the
 * collector checks it: its events and keys split, their leaves rebuilt
 * into the root, the root's signature verified with the agent's key.
 * Returns the events in the messages, *messages the messages and, if
 * largest is not NULL, *largest the most bytes of events and keys one
 * message held; fails at one that does not pass. */
static int64_t signed_events_in_topic(const agent_cluster *c, const soc_config *cfg,
                                      const char *topic, int64_t *messages, size_t *largest) {
  char err[256];
  soc_sign_key *key = NULL;
  assert_int_equal(soc_agent_key_load(cfg, 0, &key), 0);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "check", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  assert_non_null(rk);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
  int64_t want = 0, seen = 0, events = 0;
  if (largest) *largest = 0;
  for (int32_t p = 0; p < PARTITIONS; p++) {
    int64_t low = 0, high = 0;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 10000), 0);
    want += high - low;
    rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  assert_int_equal(rd_kafka_assign(rk, parts), 0);
  rd_kafka_topic_partition_list_destroy(parts);
  for (int tries = 0; seen < want && tries < 600; tries++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err) {
      rd_kafka_message_destroy(m);
      continue;
    }
    rd_kafka_headers_t *h = NULL;
    const void *packed = NULL, *keys = NULL;
    size_t packed_len = 0, keys_len = 0, n = 0;
    soc_sign_parts sp;
    static soc_sign_item items[SOC_SIGN_JOINED_MAX];
    static uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
    uint8_t root[SOC_SIGN_HASH_LEN];
    unsigned depth = 0;
    const char *why = NULL;
    assert_int_equal(rd_kafka_message_headers(m, &h), 0);
    assert_int_equal(rd_kafka_header_get_last(h, "sig.batch", &packed, &packed_len), 0);
    assert_int_equal(rd_kafka_header_get_last(h, "keys", &keys, &keys_len), 0);
    assert_int_equal(soc_sign_unpack_batch(packed, packed_len, &sp), 0);
    assert_int_equal(soc_sign_batch_split(m->payload, m->len, keys, keys_len, items, &n, &why), 0);
    soc_sign_leaves(topic, items, n, leaves);
    assert_int_equal(
        soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, root, &depth), 0);
    assert_int_equal(
        soc_sign_verify_root(soc_sign_key_pub(key), root, depth, sp.root_sig, sp.root_sig_len), 0);
    events += (int64_t)n;
    if (largest && m->len + keys_len > *largest) *largest = m->len + keys_len;
    seen++;
    rd_kafka_message_destroy(m);
  }
  assert_int_equal(seen, want);
  *messages = seen;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  soc_sign_key_free(key);
  return events;
}

/* n more lines of the agent in dir (1,000 a block) forwarded with kafka
 * settings extra to a topic of its own, <prefix>.events, so that only its
 * messages are in it; every line of its log delivered. Returns its config
 * (the caller frees it). */
static soc_config *forwarded_alone(agent_cluster *c, const char *dir, const char *prefix,
                                   const char *extra, int n) {
  char kafka[512], topic[64];
  snprintf(topic, sizeof topic, "%s.events", prefix);
  assert_int_equal(rd_kafka_mock_topic_create(c->mock, topic, PARTITIONS, 1), 0);
  snprintf(kafka, sizeof kafka, "brokers: '%s', topic_prefix: %s, %s", c->brokers, prefix, extra);
  soc_config *cfg = agent_config(dir, kafka, "");
  cfg->journal.block_lines = 1000;
  journal(cfg, dir, n);
  forward_all(cfg);
  assert_int_equal(delivered(dir), lines_in(dir));
  return cfg;
}

/* librdkafka's queue holds one message: producing the next joined
 * message fails (queue full) until the last one is delivered, and is tried
 * again from the same batch. A joined message's buffer is handed to
 * librdkafka (RD_KAFKA_MSG_F_FREE) only when produced; each message must
 * arrive signed as made, every event once. */
static void joined_queue_full(void **state) {
  agent_cluster *c = *state;
  int64_t messages = 0;
  soc_config *cfg = forwarded_alone(c, agent_dir("queuefull"), "full",
                                    "events_per_message: 256, properties: "
                                    "{ queue.buffering.max.messages: '1', linger.ms: '20' }",
                                    1600);
  assert_int_equal(signed_events_in_topic(c, cfg, "full.events", &messages, NULL), 1600);
  assert_int_equal(messages, 7); /* 4 for the first block's 1,000 lines, 3 for 600 */
  soc_config_free(cfg);
}

/* A joined message stops at a quarter of librdkafka's queue in bytes
 * (events and keys), so that four can be in flight: with a 64 KiB queue,
 * 16 KiB messages, each filled to within an event of that. */
static void joined_message_bytes(void **state) {
  agent_cluster *c = *state;
  int64_t messages = 0;
  size_t largest = 0;
  soc_config *cfg = forwarded_alone(c, agent_dir("joinedbytes"), "small",
                                    "properties: { queue.buffering.max.kbytes: '64' }", 600);
  assert_int_equal(signed_events_in_topic(c, cfg, "small.events", &messages, &largest), 600);
  assert_true(largest <= 16 * 1024);
  assert_true(largest > 15 * 1024);
  soc_config_free(cfg);
}

/* An event larger than librdkafka's whole queue could never be produced:
 * with a 64 KiB queue, a line of 64 KiB (the input's most) goes as a stub
 * (too_large_for_kafka) instead of holding the forwarder for ever, and the
 * lines around it go as they are. */
static void event_past_the_queue(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("pastqueue");
  char path[400];
  agent_log(dir, "app.log", 1, 10, "before");
  snprintf(path, sizeof path, "%s/logs/app.log", dir);
  FILE *log = fopen(path, "a");
  assert_non_null(log);
  fputs("Nov 25 08:00:00 web01 app[1]: ", log);
  for (int i = 0; i < 70000; i++) fputc('x', log);
  fputc('\n', log);
  fclose(log);
  agent_log(dir, "app.log", 1, 10, "after");
  int64_t messages = 0;
  soc_config *cfg =
      forwarded_alone(c, dir, "past", "properties: { queue.buffering.max.kbytes: '64' }", 0);
  assert_int_equal(signed_events_in_topic(c, cfg, "past.events", &messages, NULL), 21);
  assert_int_equal(agent_db_int(dir,
                                "select value from counter where input = 'forward' and "
                                "name = 'too_large'"),
                   1);
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

/* dir's agent on c's brokers, with more kafka settings after them */
static soc_config *broker_config(const agent_cluster *c, const char *dir, const char *more) {
  char kafka[300];
  snprintf(kafka, sizeof kafka, "brokers: '%s'%s", c->brokers, more);
  return agent_config(dir, kafka, "");
}

/* Whether dir's delivered counter reaches want within ms. */
static int delivered_within(const char *dir, int64_t want, int ms) {
  for (int waited = 0; waited < ms && delivered(dir) < want; waited += 20) usleep(20000);
  return delivered(dir) >= want;
}

/* A running forwarder with nothing in flight and nothing new sleeps (here
 * told to for ten minutes, the heartbeat an hour away) until it is woken:
 * lines journaled meanwhile go out as soon as soc_forward_wake says so. */
static void idle_forwarder_woken(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("woken");
  soc_config *cfg = broker_config(c, dir, ", heartbeat_interval: 1h");
  journal(cfg, dir, 20);
  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  soc_forward_set_idle_wait(f, 600000);
  assert_int_equal(soc_forward_start(f), 0);
  assert_true(delivered_within(dir, 20, 30000));
  usleep(300000); /* asleep by now: the counter's save was its last work */

  journal_more(cfg, dir, 21, 40);
  soc_forward_wake(f);
  if (!delivered_within(dir, 40, 20000))
    fail_msg("woken, the forwarder delivered %lld of 40 lines in 20 s", (long long)delivered(dir));
  soc_forward_free(f); /* a stop wakes it too: this does not wait ten minutes */
  soc_config_free(cfg);
}

/* A save of the cursor writes the rows that changed since the last save
 * that worked: the first of a run all eight (the counters are this run's),
 * and again after saves that failed; later ones the cursor and the
 * delivered counter. */
static void saves_what_changed(void **state) {
  agent_cluster *c = *state;
  const char *dir = agent_dir("saves");
  soc_config *cfg = broker_config(c, dir, "");
  journal(cfg, dir, 20);
  agent_db_exec(dir,
                "CREATE TABLE written(name TEXT);"
                "CREATE TRIGGER counted AFTER INSERT ON counter WHEN new.input = 'forward' "
                "BEGIN INSERT INTO written VALUES(new.name); END;"
                "CREATE TRIGGER meta_counted AFTER INSERT ON meta WHEN new.key LIKE 'forward.%' "
                "BEGIN INSERT INTO written VALUES(new.key); END;"
                "CREATE TRIGGER no_rewinds BEFORE INSERT ON counter WHEN new.name = 'rewinds' "
                "BEGIN SELECT RAISE(ABORT, 'injected by the test'); END;");
  soc_forward *f = NULL;
  assert_int_equal(soc_forward_new(cfg, &f), 0);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  assert_int_equal(agent_db_int(dir, "select count(*) from written"), 0); /* every save failed */

  agent_db_exec(dir, "DROP TRIGGER no_rewinds;");
  journal_more(cfg, dir, 21, 40);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  assert_int_equal(agent_db_int(dir, "select count(*) from written"), 8);

  agent_db_exec(dir, "DELETE FROM written;");
  journal_more(cfg, dir, 41, 60);
  assert_int_equal(soc_forward_drain(f, 60000), 0);
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from written where name in "
                                "('forward.cursor', 'delivered')"),
                   agent_db_int(dir, "select count(*) from written"));
  assert_true(agent_db_int(dir, "select count(*) from written where name = 'delivered'") >= 1);
  soc_forward_free(f);
  assert_int_equal(cursor(dir), agent_db_int(dir, "select max(id) from journal_block"));
  assert_int_equal(delivered(dir), 60);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cursor_moves_on_delivery),
      cmocka_unit_test(cursor_moves_one_event_a_message),
      cmocka_unit_test(full_joined_messages),
      cmocka_unit_test(joined_queue_full),
      cmocka_unit_test(joined_message_bytes),
      cmocka_unit_test(event_past_the_queue),
      cmocka_unit_test(failed_delivery_rewinds),
      cmocka_unit_test(idle_forwarder_woken),
      cmocka_unit_test(saves_what_changed),
  };
  return cmocka_run_group_tests(tests, setup, agent_cluster_teardown);
}
