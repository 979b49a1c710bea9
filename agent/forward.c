/*
 * forward — journal blocks to Kafka messages, and the cursor that moves
 * only on delivery.
 *
 * In-flight blocks sit in a small window, oldest first; each counts the
 * messages of its lines not yet acknowledged. A delivery report finds its
 * block through the message's opaque value (slot and generation), and the
 * cursor moves over the blocks at the front of the window that are fully
 * acknowledged — so a block whose last line is delivered before an earlier
 * block's first does not move the cursor past the earlier one.
 *
 * Failure handling, and why:
 * - The producer is idempotent with acks=all and, by default, never gives up
 *   a message (message.timeout.ms=0): while the broker is away, librdkafka
 *   keeps retrying in order, the journal keeps growing, and nothing is
 *   dropped. librdkafka's queue is bounded (2 MiB of payload); when it is full we stop
 *   reading the journal and wait for delivery reports — no sleeping.
 * - A delivery error that does happen (a timeout the operator configured, a
 *   purge) rewinds: the queue is purged and everything after the cursor is
 *   produced again. Duplicates carry the same event.id.
 * - A fatal error (the idempotent producer's sequence is lost) recreates the
 *   producer, then rewinds.
 * - An event larger than message.max.bytes is replaced by a stub (same id,
 *   time and host, the first 8 KiB of the message, tag "too_large_for_kafka")
 *   and counted; the whole line stays in the journal.
 *
 * Cost. Every line becomes an event, a JSON text and a Kafka message, so
 * per-line work is kept to what differs per line. What a stream's lines
 * share (its input, the source part of event.id, the file path, and the
 * agent's own fields) is worked out when the stream changes, which is at
 * most once per block, into a prototype event that each line's event starts
 * as a copy of. The JSON goes into one buffer kept for the forwarder's life.
 * What is left per line is the parse, the SHA-256 of event.id, the JSON,
 * and librdkafka's own per-message work (the message, its headers, the
 * delivery report), which is about half of the total.
 *
 * Signatures (docs/SECURITY.md). Every message is signed with the agent's
 * key; events a batch at a time (up to SOC_SIGN_BATCH_MAX under one
 * Ed25519 signature of a Merkle root, each with its proof, packed with
 * the key and the root's signature into one header "sig"), since one
 * signature per event would have cost about 20 µs a line here and 55 µs an
 * event at the collector. A batch is made whole before its first event is
 * produced and is remade only from the line where something changed it (a
 * lower message.max.bytes) or after a rewind.
 *
 * Joined (kafka.events_per_message > 1, the default): a batch (up to
 * SOC_SIGN_JOINED_MAX events) goes as ONE message, its events' JSON one a line, their keys in a
 * header, the root's signature and no proofs (sign.h), keyed by the agent id. librdkafka's work is
 * per message (the message and its headers allocated, copied, framed, compressed, reported and
 * freed), and was the largest share of the forwarder at one event a message (docs/BENCHMARKS.md,
 * step 10). The window still counts messages; the delivered counter counts events (the opaque
 * carries how many a message holds).
 */
#include "forward.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <json.h> /* libfastjson, for the heartbeat, the stubs and the statistics */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "damage.h"
#include "identity.h"
#include "loop.h"
#include "normalize.h"
#include "soc/audit.h"
#include "soc/event.h"
#include "soc/journal.h"
#include "soc/sign.h"
#include "soc/store.h"
#include "soc/thread.h"

#define WINDOW 256 /* blocks in flight */
#define PERSIST_EVERY_MS 200
#define FORWARD_COUNTERS 5 /* saved by persist */
/* With nothing in flight and nothing new the thread sleeps in
 * rd_kafka_poll until soc_forward_wake (the ingest committed blocks, the
 * detector or the workflow queued outbox rows) or this long at most, by
 * which outbox rows that another process wrote (socctl: an analyst's
 * decision) are seen. Polling the journal and the outbox every 50 ms was
 * half of an idle agent's CPU. */
#define IDLE_WAIT_MS 1000
#define STUB_MESSAGE_MAX 8192
#define SCHEMA_VERSION "1"

typedef struct wblock {
  int64_t id;
  uint32_t outstanding; /* produced, not yet acknowledged */
  int produced_all;
} wblock;

/* Where a line's text and strings are in the arena while it grows. */
typedef struct line_at {
  size_t data, source, host, peer; /* peer: NO_PEER when there is none */
} line_at;

#define NO_PEER SIZE_MAX

/* The lines of the block being produced. */
typedef struct cur_block {
  int64_t id;
  size_t slot;
  soc_jentry *lines; /* once loaded, data and strings point into arena */
  line_at *at;       /* while loading: the same as offsets */
  size_t n, cap, next;
  char *arena; /* grows to the largest block read; journal.c caps one at 64 MiB */
  size_t arena_len, arena_cap;
  int loaded;
} cur_block;

/* A text that every event carries, with its length. */
typedef struct konst {
  const char *s;
  size_t len;
} konst;

/* One event of a batch: its JSON and then its key, in the batch's buffer;
 * joined (kafka.events_per_message > 1), its JSON there and its key at
 * key_off in the batch's keys. */
typedef struct batch_msg {
  size_t off, len, key_len, key_off;
  size_t line; /* its line in cur */
  int stub;
} batch_msg;

/* Events are signed a batch at a time (sign.h): all of a batch's events
 * are made before the first is produced. */
#define BATCH_BYTES (1u << 20) /* a batch stops growing past this much JSON */
/* Room kept after a joined batch's bytes, where the next event's JSON is
 * written in place: an event of mixed logs is about 700 bytes, and one
 * that does not fit is written into the forwarder's buffer and copied. */
#define JOIN_ROOM (64u * 1024u)
typedef struct ev_batch {
  batch_msg msg[SOC_SIGN_JOINED_MAX];
  size_t n, next; /* messages; the next to produce */
  size_t end;     /* the line after the batch's last */
  char *buf;      /* grows to the largest batch made */
  size_t len, cap;
  char *keys; /* joined: the "keys" header (sign.h), SOC_SIGN_KEYS_TEXT bytes */
  size_t keys_len;
  soc_sign_batch sig;
  int ready;
} ev_batch;

struct soc_forward {
  const soc_config *cfg;
  soc_store *store;
  int64_t damaged; /* journal blocks skipped as damaged by this forwarder */
  rd_kafka_t *rk;
  rd_kafka_topic_t *t_events, *t_heartbeat;
  char name_events[300], name_heartbeat[300];
  soc_sign_key *key; /* signs every message (identity.h) */
  char key_text[SOC_SIGN_PUB_TEXT + 1];
  char key_cert[SOC_SIGN_SIG_TEXT + 1]; /* after a rotation: the old key's word for it, or "" */
  char errstr[512];
  pthread_t thread;
  int started;
  atomic_int stop;
  /* rk's main queue, yielded by soc_forward_wake from other threads; the
   * mutex keeps it from going away with a producer meanwhile */
  pthread_mutex_t wake_mx;
  rd_kafka_queue_t *mainq;
  int64_t idle_wait_ms;
  atomic_int rewind, fatal, hb_in_flight;
  uint32_t generation;
  /* the outbox (alerts, drafts): one batch in flight at a time */
  int64_t outbox_cursor, outbox_batch_end, saved_outbox;
  size_t outbox_outstanding;
  atomic_int outbox_failed;
  wblock win[WINDOW];
  size_t head, count;
  cur_block cur;
  int64_t cursor, saved_cursor, read_pos;
  int64_t max_message;
  /* A joined message (its events and keys) stops growing past this: a
   * quarter of librdkafka's queue (make_producer). */
  size_t join_bytes;
  /* librdkafka's statistics (on_stats): the brokers' mean round trip over
   * the last interval, -1 before any; linger.ms as set; warned once a
   * producer that the round trip outgrows it */
  int64_t rtt_ms, linger_ms;
  int rtt_warned;
  atomic_llong delivered, errors, too_large;
  int64_t produced, restarts, rewinds;
  char broker[160];
  int broker_changed;
  /* the counters as the last save wrote them (INT64_MIN: none yet);
   * persisted: a save worked */
  int64_t saved_counters[FORWARD_COUNTERS];
  int persisted;
  int64_t last_persist_ms, last_heartbeat_ms, start_ms;
  soc_event *ev;
  soc_event *proto; /* what every event of the current stream starts from */
  char *json;       /* SOC_EVENT_JSON_MAX bytes, reused for every event */
  konst agent_id, agency, authority, version;
  char authority_buf[24];
  int64_t proto_stream; /* the stream f->proto was made for */
  char proto_source[SOC_STORE_META_KEY_MAX];
  soc_normalizer *norm;
  ev_batch batch; /* events made and signed, not all produced yet */
};

/* ---- opaque: slot, events and generation in one pointer-sized value ----- */

_Static_assert(sizeof(uintptr_t) >= 8 && WINDOW < 0xffff && SOC_SIGN_JOINED_MAX <= 0xffff,
               "the opaque holds 32 bits of generation, 16 of events, 16 of slot");

/* events: how many the message carries, for the delivered counter, which
 * counts events whatever kafka.events_per_message is. */
static void *opaque_of(uint32_t generation, size_t slot, size_t events) {
  return (void *)(uintptr_t)(((uint64_t)generation << 32) | (uint64_t)events << 16 |
                             (uint64_t)(slot + 1));
}

/* Outbox messages carry slot WINDOW (never a journal block's slot). */
#define OUTBOX_SLOT WINDOW

/* ---- librdkafka callbacks (run on our thread, inside rd_kafka_poll) ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg) {
  soc_forward *f = arg;
  (void)rk;
  uintptr_t op = (uintptr_t)m->_private;
  if (!op) { /* a heartbeat */
    atomic_store(&f->hb_in_flight, 0);
    return;
  }
  uint32_t gen = (uint32_t)(op >> 32);
  size_t slot = (size_t)(op & 0xffff) - 1, events = (size_t)(op >> 16 & 0xffff);
  if (gen != f->generation || slot > WINDOW) return; /* purged by a rewind */
  if (slot == OUTBOX_SLOT) {
    if (m->err) atomic_store(&f->outbox_failed, 1);
    if (f->outbox_outstanding) f->outbox_outstanding--;
    return;
  }
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    f->win[slot].outstanding--;
    atomic_fetch_add(&f->delivered, (long long)events);
    if (f->broker_changed || strncmp(f->broker, "up", 2) != 0) {
      snprintf(f->broker, sizeof f->broker, "up");
      f->broker_changed = 1;
    }
    return;
  }
  atomic_fetch_add(&f->errors, 1);
  /* The broker takes less than we thought: what was too large is sent again
   * as a stub, by rewinding with a lower limit. */
  if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && (int64_t)m->len - 512 < f->max_message)
    f->max_message = (int64_t)m->len - 512;
  /* said once per rewind, not once per message of the queue */
  if (!atomic_exchange(&f->rewind, 1))
    fprintf(stderr, "socagent: forward: delivery failed (%s); resending from the cursor\n",
            rd_kafka_err2str(m->err));
}

/* librdkafka's own messages, in our format. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "socagent: kafka: %s: %s\n", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *arg) {
  soc_forward *f = arg;
  (void)rk;
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    atomic_store(&f->fatal, 1);
  } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
             err == RD_KAFKA_RESP_ERR__RESOLVE) {
    char state[160];
    snprintf(state, sizeof state, "down: %.140s", reason);
    if (strcmp(state, f->broker) != 0) {
      if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        fprintf(stderr, "socagent: forward: all brokers down; the journal keeps the data\n");
      snprintf(f->broker, sizeof f->broker, "%s", state);
      f->broker_changed = 1;
    }
  }
}

/* The slowest broker's mean round trip (µs) in librdkafka's statistics,
 * of the brokers that answered in the interval (the bootstrap entries,
 * nodeid -1, left out); -1 when none did. */
static int64_t stats_rtt_us(const char *json, size_t len) {
  int64_t worst = -1;
  if (len > INT32_MAX) return -1;
  fjson_tokener *tok = fjson_tokener_new();
  fjson_object *o = tok ? fjson_tokener_parse_ex(tok, json, (int)len) : NULL, *brokers, *v, *rtt;
  if (o && fjson_object_object_get_ex(o, "brokers", &brokers) &&
      fjson_object_is_type(brokers, fjson_type_object)) {
    struct fjson_object_iterator it = fjson_object_iter_begin(brokers),
                                 end = fjson_object_iter_end(brokers);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
      fjson_object *b = fjson_object_iter_peek_value(&it);
      if (fjson_object_object_get_ex(b, "nodeid", &v) && fjson_object_get_int64(v) >= 0 &&
          fjson_object_object_get_ex(b, "rtt", &rtt) &&
          fjson_object_object_get_ex(rtt, "cnt", &v) && fjson_object_get_int64(v) > 0 &&
          fjson_object_object_get_ex(rtt, "avg", &v) && fjson_object_get_int64(v) > worst)
        worst = fjson_object_get_int64(v);
    }
  }
  fjson_object_put(o);
  if (tok) fjson_tokener_free(tok);
  return worst;
}

/* A message smaller than a quarter of the queue can wait up to about four
 * round trips for the requests ahead of it (make_producer); past linger.ms
 * librdkafka's broker thread polls without sleeping meanwhile. Said once a
 * producer, with what to do; pessimistic at the default message size,
 * where none waits in a catch-up. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *arg) {
  soc_forward *f = arg;
  (void)rk;
  int64_t us = stats_rtt_us(json, len);
  if (us < 0) return 0;
  f->rtt_ms = (us + 500) / 1000;
  if (4 * f->rtt_ms >= f->linger_ms && !f->rtt_warned) {
    fprintf(stderr,
            "socagent: forward: the round trip to the brokers is %lld ms; with linger.ms %lld "
            "librdkafka polls without sleeping while a request is in flight: set "
            "kafka.properties linger.ms to %lld or more (docs/INSTALL.md, Across a WAN)\n",
            (long long)f->rtt_ms, (long long)f->linger_ms, (long long)(6 * f->rtt_ms));
    f->rtt_warned = 1;
  }
  return 0; /* librdkafka frees json */
}

/* ---- producer -------------------------------------------------------------- */

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen) {
  return rd_kafka_conf_set(c, k, v, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;
}

static int make_producer(soc_forward *f) {
  int result = -EINVAL;
  const soc_kafka_config *k = &f->cfg->kafka;
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  char *err = f->errstr;
  size_t el = sizeof f->errstr;
  if (!c) return -ENOMEM;
  /* Our defaults first; kafka.properties may override any of them.
   * Measured with the dev broker on loopback, forwarding only: lz4 costs
   * about 0.1 CPU-s per million events more than no compression and zstd
   * 0.5 more than lz4; lz4 stays because the real link is a WAN to the
   * technical center and it shrinks our JSON about 9x (zstd 16x).
   * linger.ms is 500, not librdkafka's 5 nor our 20 before, because of how
   * an idempotent producer keeps order: at most 5 *messages* in flight per
   * partition (rktp_msgs_inflight counts messages, not requests), and all
   * our joined messages are keyed by the agent id. Where five of them hold
   * less than the queue (short events, or events_per_message lower than
   * the default: at 256 events they were one request), the next ones wait
   * in it, and one that waits longer than linger.ms sets the broker
   * thread's next wake-up to now: it polls with a zero timeout until the
   * response comes. With a broker 20 ms away that was a whole core while
   * catching up (issue 20, step 43). Such a message can wait up to about
   * four round trips: 500 ms held at 100 ms and not at 150 (on_stats
   * warns). Messages of a quarter of the queue (join_bytes, below) fill it
   * before the cap, so none waits in a catch-up (step 44). The longer
   * linger delays a trickle's last message and each outbox batch (one in
   * flight at a time); stopping and --forward-once flush. The
   * queue is 2 MiB of payload: each message also carries headers (identity
   * and signature: then about 1 KiB with librdkafka's own, now three
   * headers, 430 bytes in all) that the limit does not count, so
   * at 8 MiB librdkafka held 19 MiB and the daemon with rules peaked at
   * 78 MiB RSS; at 2 MiB 61 MiB (without rules 62 -> 47), at the same CPU
   * per line (docs/BENCHMARKS.md). */
  if (set(c, "bootstrap.servers", k->brokers, err, el) ||
      set(c, "enable.idempotence", "true", err, el) || set(c, "acks", "all", err, el) ||
      set(c, "compression.type", "lz4", err, el) || set(c, "linger.ms", "500", err, el) ||
      set(c, "message.timeout.ms", "0", err, el) ||
      set(c, "queue.buffering.max.kbytes", "2048", err, el) ||
      set(c, "queue.buffering.max.messages", "100000", err, el) ||
      set(c, "statistics.interval.ms", "60000", err, el) ||
      set(c, "client.id", f->cfg->agent.id, err, el))
    goto out;
  for (size_t i = 0; i < k->nproperties; i++)
    if (set(c, k->properties[i].key, k->properties[i].value, err, el)) goto out;
  char buf[64];
  size_t blen = sizeof buf;
  if (rd_kafka_conf_get(c, "message.max.bytes", buf, &blen) == RD_KAFKA_CONF_OK)
    f->max_message = strtoll(buf, NULL, 10);
  /* leave room for the headers and the record's own framing */
  f->max_message = f->max_message > 4096 ? f->max_message - 1024 : 1000000;
  /* An idempotent producer has at most five messages in flight to a
   * partition, and the queue (queued and in flight) holds at most
   * queue.buffering.max.kbytes: a round trip carries the fewer of five
   * messages and the queue. A quarter of the queue a message keeps four in
   * flight with room to make the next: at 2 MiB, ~500 KB and ~900 mixed
   * events, where 256 events (~150 KB) let about 1,300 go per round trip
   * (docs/BENCHMARKS.md, issue 20 step 44). */
  blen = sizeof buf;
  int64_t queue = rd_kafka_conf_get(c, "queue.buffering.max.kbytes", buf, &blen) == RD_KAFKA_CONF_OK
                      ? strtoll(buf, NULL, 10) * 1024
                      : 2048 * 1024;
  f->join_bytes = (size_t)queue / 4;
  /* One message must fit the whole queue, or producing it fails for ever
   * (queue full) and the forwarder waits on it: past that, an event goes
   * as a stub (too_large_for_kafka), as past message.max.bytes. */
  if (queue - 1024 < f->max_message) f->max_message = queue - 1024;
  blen = sizeof buf;
  f->linger_ms = rd_kafka_conf_get(c, "linger.ms", buf, &blen) == RD_KAFKA_CONF_OK
                     ? (int64_t)strtod(buf, NULL)
                     : 500;
  f->rtt_warned = 0;
  rd_kafka_conf_set_stats_cb(c, on_stats);
  rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
  rd_kafka_conf_set_error_cb(c, on_error);
  rd_kafka_conf_set_log_cb(c, on_log);
  rd_kafka_conf_set_opaque(c, f);
  f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, el);
  if (!f->rk) goto out;
  c = NULL; /* owned by rk now */
  snprintf(f->name_events, sizeof f->name_events, "%s.events", k->topic_prefix);
  f->t_events = rd_kafka_topic_new(f->rk, f->name_events, NULL);
  snprintf(f->name_heartbeat, sizeof f->name_heartbeat, "%s.heartbeat", k->topic_prefix);
  f->t_heartbeat = rd_kafka_topic_new(f->rk, f->name_heartbeat, NULL);
  pthread_mutex_lock(&f->wake_mx);
  f->mainq = rd_kafka_queue_get_main(f->rk);
  pthread_mutex_unlock(&f->wake_mx);
  result = f->t_events && f->t_heartbeat && f->mainq ? 0 : -ENOMEM;
out:
  if (c) rd_kafka_conf_destroy(c);
  if (result) fprintf(stderr, "socagent: forward: cannot create the Kafka producer: %s\n", err);
  return result;
}

static void drop_producer(soc_forward *f) {
  if (!f->rk) return;
  f->generation++; /* what the purge reports is not a delivery failure */
  rd_kafka_purge(f->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(f->rk, 0);
  if (f->t_events) rd_kafka_topic_destroy(f->t_events);
  if (f->t_heartbeat) rd_kafka_topic_destroy(f->t_heartbeat);
  pthread_mutex_lock(&f->wake_mx);
  if (f->mainq) rd_kafka_queue_destroy(f->mainq);
  f->mainq = NULL;
  pthread_mutex_unlock(&f->wake_mx);
  rd_kafka_destroy(f->rk);
  f->rk = NULL;
  f->t_events = f->t_heartbeat = NULL;
}

/* Everything after the cursor is produced again. */
static void rewind_to_cursor(soc_forward *f) {
  f->generation++; /* reports of what was in flight are ignored from now on */
  if (f->rk) {
    rd_kafka_purge(f->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(f->rk, 0);
  }
  f->head = f->count = 0;
  f->cur.loaded = 0;
  f->batch.ready = 0;
  f->read_pos = f->cursor;
  f->outbox_outstanding = 0;
  f->outbox_batch_end = 0;
  f->rewinds++;
  atomic_store(&f->rewind, 0);
}

/* ---- signatures ------------------------------------------------------------------ */

/* Who sends: the agent id, the schema, and after a rotation the old key's
 * certificate of the key, which lets the center take the new key. The key
 * itself follows: its own header, or in an event's packed signature. */
static rd_kafka_headers_t *identity_headers(soc_forward *f, size_t n) {
  rd_kafka_headers_t *h = rd_kafka_headers_new(n);
  rd_kafka_header_add(h, "agent.id", 8, f->agent_id.s, (ssize_t)f->agent_id.len);
  rd_kafka_header_add(h, "schema.version", 14, SCHEMA_VERSION, sizeof SCHEMA_VERSION - 1);
  if (f->key_cert[0]) rd_kafka_header_add(h, "key.cert", 8, f->key_cert, SOC_SIGN_SIG_TEXT);
  return h;
}

/* The headers every message carries: who sends it, the schema, the key it
 * is signed with and the signature over (topic, key, payload), which the
 * center checks against the key it enrolled for agent.id. librdkafka takes
 * the headers with the message and frees them on delivery, so they are made
 * anew for each one. NULL when memory or signing failed. */
static rd_kafka_headers_t *signed_headers(soc_forward *f, const char *topic, const char *key,
                                          size_t key_len, const void *payload, size_t len) {
  char sig[SOC_SIGN_SIG_TEXT + 1];
  if (soc_sign_message(f->key, topic, key, key_len, payload, len, sig) < 0) return NULL;
  rd_kafka_headers_t *h = identity_headers(f, 5);
  rd_kafka_header_add(h, "agent.key", 9, f->key_text, SOC_SIGN_PUB_TEXT);
  rd_kafka_header_add(h, "signature", 9, sig, SOC_SIGN_SIG_TEXT);
  return h;
}

/* ---- reading the journal ----------------------------------------------------- */

/* Appends s[0..len) and a NUL to the arena. OUT: *off, where it went. */
static int arena_put(cur_block *c, const char *s, size_t len, size_t *off) {
  if (c->arena_cap - c->arena_len < len + 1) {
    size_t cap = c->arena_cap ? c->arena_cap : 256 * 1024;
    while (cap - c->arena_len < len + 1) cap *= 2;
    char *a = realloc(c->arena, cap);
    if (!a) return -ENOMEM;
    c->arena = a;
    c->arena_cap = cap;
  }
  memcpy(c->arena + c->arena_len, s, len);
  c->arena[c->arena_len + len] = '\0';
  *off = c->arena_len;
  c->arena_len += len + 1;
  return 0;
}

/* Copies one line into cur. The arena may move while it grows, so lines
 * record offsets here, and load_block turns them into pointers at the end.
 * A block is one stream, so the source (and mostly the host) is the
 * previous line's: those are copied only when they change. */
static int collect_line(void *arg, const soc_jentry *e) {
  cur_block *c = arg;
  const char *host = e->line.host ? e->line.host : "";
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    soc_jentry *v = realloc(c->lines, cap * sizeof *v);
    if (!v) return -ENOMEM;
    c->lines = v;
    line_at *a = realloc(c->at, cap * sizeof *a);
    if (!a) return -ENOMEM;
    c->at = a;
    c->cap = cap;
  }
  line_at *at = &c->at[c->n];
  int rc = arena_put(c, e->line.data, e->line.len, &at->data);
  if (c->n && strcmp(c->arena + c->at[c->n - 1].source, e->source) == 0)
    at->source = c->at[c->n - 1].source;
  else if (!rc)
    rc = arena_put(c, e->source, strlen(e->source), &at->source);
  if (c->n && strcmp(c->arena + c->at[c->n - 1].host, host) == 0)
    at->host = c->at[c->n - 1].host;
  else if (!rc)
    rc = arena_put(c, host, strlen(host), &at->host);
  at->peer = NO_PEER;
  if (!rc && e->line.peer) rc = arena_put(c, e->line.peer, strlen(e->line.peer), &at->peer);
  if (rc) return rc;
  c->lines[c->n++] = *e;
  c->id = e->block;
  return 0;
}

/* A damaged block is sent as nothing: the cursor steps over it. */
static int note_damage(void *arg, const soc_block_meta *m, const char *why) {
  soc_forward *f = arg;
  f->damaged++;
  f->cur.n = 0;
  soc_damage_note(f->store, f->cfg, "socagent: forward", m, why);
  return 0;
}

/* Loads the next block after read_pos into cur. Returns 1 loaded, 0 none.
 * The block's id is found first and the scan is held to it: scanning "the
 * next block" and then, on finding nothing, asking the index which block
 * that was, would race the ingest thread's commit in between and step over
 * a block that had just arrived, never sending it. */
static int load_block(soc_forward *f) {
  cur_block *c = &f->cur;
  int64_t id = 0;
  int rc = soc_store_block_next(f->store, f->read_pos, &id);
  if (rc < 0) return rc;
  if (!id) return 0;
  soc_block_query q = {.after_id = f->read_pos, .upto_id = id, .limit = 1};
  c->n = c->next = c->arena_len = 0;
  f->batch.ready = 0;
  c->id = id;
  rc = soc_journal_scan_checked(f->store, &q, collect_line, c, note_damage, f, NULL);
  if (rc < 0) return rc;
  c->id = id;
  for (size_t i = 0; i < c->n; i++) {
    soc_jentry *d = &c->lines[i];
    const line_at *at = &c->at[i];
    d->line.data = c->arena + at->data;
    d->source = c->arena + at->source;
    d->line.host = c->arena + at->host;
    d->line.peer = at->peer == NO_PEER ? NULL : c->arena + at->peer;
  }
  c->slot = (f->head + f->count) % WINDOW;
  f->win[c->slot] = (wblock){.id = c->id};
  f->count++;
  c->loaded = 1;
  f->read_pos = c->id;
  return 1;
}

/* ---- lines to events ----------------------------------------------------------- */

static void set_text(soc_event *ev, soc_ecs_field field, const char *v) {
  if (v && *v) soc_event_set_str(ev, field, v, strlen(v));
}

static void set_konst(soc_event *ev, soc_ecs_field field, konst k) {
  if (k.len) soc_event_set_str(ev, field, k.s, k.len);
}

/* The fields that all events of one stream share, set once into f->proto,
 * and their JSON; each event starts as a copy of it. */
static void make_proto(soc_forward *f, const soc_norm_stream *si) {
  static const konst file_set = {"socagent.file", 13}, syslog_set = {"socagent.syslog", 15};
  soc_event *p = f->proto;
  soc_event_reset(p);
  soc_event_set_str(p, SOC_ECS_EVENT_KIND, "event", 5);
  set_konst(p, SOC_ECS_EVENT_DATASET, si->is_file ? file_set : syslog_set);
  set_konst(p, SOC_ECS_AGENT_ID, f->agent_id);
  set_konst(p, SOC_ECS_AGENT_NAME, f->agent_id);
  soc_event_set_str(p, SOC_ECS_AGENT_TYPE, "socagent", 8);
  set_konst(p, SOC_ECS_AGENT_VERSION, f->version);
  set_konst(p, SOC_ECS_ORGANIZATION_NAME, f->agency);
  soc_event_set(p, "labels.authority", f->authority.s, f->authority.len);
  if (si->is_file) set_text(p, SOC_ECS_LOG_FILE_PATH, si->path);
  /* their JSON written once: without it (-ENOMEM) each event writes it */
  (void)soc_event_template(p);
}

/* Fills f->ev from one journal line: the stream's template, then the line
 * (normalize.c, the same as the detector sees), then when it was read. */
static void build_event(soc_forward *f, const soc_jentry *e) {
  soc_event *ev = f->ev;
  const soc_norm_stream *si = soc_normalizer_stream(f->norm, e);
  char ts[SOC_EVENT_TIME_BUF];
  if (f->proto_stream != e->stream || strcmp(f->proto_source, e->source) != 0) {
    make_proto(f, si);
    f->proto_stream = e->stream;
    snprintf(f->proto_source, sizeof f->proto_source, "%s", e->source);
  }
  soc_event_copy(ev, f->proto); /* resets ev when it fails */
  soc_normalize_into(f->norm, si, e, ev);
  if (soc_event_format_time(e->line.recv_ns, 6, ts, sizeof ts) == 0)
    soc_event_set_str(ev, SOC_ECS_EVENT_INGESTED, ts, SOC_EVENT_TIME_LEN(6));
}

/* The event is too large for Kafka: keep what identifies it, and a cut
 * message; the whole line stays in the journal. */
static void shrink_event(soc_forward *f, size_t msg_max) {
  soc_event *ev = f->ev;
  char id[SOC_EVENT_ID_MAX + 1], host[256], msg[STUB_MESSAGE_MAX];
  int64_t t = 0;
  if (msg_max > sizeof msg) msg_max = sizeof msg;
  snprintf(id, sizeof id, "%s", soc_event_get_id(ev) ? soc_event_get_id(ev) : "");
  snprintf(
      host, sizeof host, "%s",
      soc_event_get_str(ev, SOC_ECS_HOST_NAME) ? soc_event_get_str(ev, SOC_ECS_HOST_NAME) : "");
  const char *m = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  size_t ml = m ? strlen(m) : 0;
  if (ml > msg_max) ml = msg_max;
  /* cut between characters: the stub must stay valid text */
  while (ml && m && ((unsigned char)m[ml] & 0xc0) == 0x80) ml--;
  if (ml) memcpy(msg, m, ml);
  soc_event_get_time(ev, &t);
  soc_event_reset(ev);
  soc_event_set_time(ev, t);
  if (*id) soc_event_set_id(ev, id);
  set_text(ev, SOC_ECS_HOST_NAME, host);
  set_konst(ev, SOC_ECS_AGENT_ID, f->agent_id);
  soc_event_set_str(ev, SOC_ECS_MESSAGE, msg, ml);
  soc_event_add_tag(ev, "too_large_for_kafka", 19);
}

/* Writes f->ev as JSON at dst (cap bytes; dst may be NULL) when it fits
 * there, the place it is sent from, else into f->json; an event over the
 * size Kafka takes becomes a stub in f->json whose message halves until it
 * fits. OUT: *json, where it is. Returns the length, or 0 when even an
 * empty stub does not fit (the line is then counted and left to the
 * journal). */
static size_t event_json(soc_forward *f, char *dst, size_t cap, const char **json, int *stub) {
  size_t len = 0;
  *stub = 0;
  if (dst && soc_event_write_json(f->ev, dst, cap, &len) == 0 && (int64_t)len <= f->max_message) {
    *json = dst;
    return len;
  }
  *json = f->json;
  if (soc_event_write_json(f->ev, f->json, SOC_EVENT_JSON_MAX, &len) < 0) return 0;
  if ((int64_t)len <= f->max_message) return len;
  *stub = 1;
  for (size_t msg_max = STUB_MESSAGE_MAX;; msg_max /= 2) {
    shrink_event(f, msg_max);
    if (soc_event_write_json(f->ev, f->json, SOC_EVENT_JSON_MAX, &len) == 0 &&
        (int64_t)len <= f->max_message)
      return len;
    if (!msg_max) return 0;
  }
}

/* Room in the batch's buffer for more bytes. */
static int batch_room(ev_batch *b, size_t more) {
  if (b->cap - b->len >= more) return 0;
  size_t cap = b->cap ? b->cap : 64 * 1024;
  while (cap - b->len < more) cap *= 2;
  char *nb = realloc(b->buf, cap);
  if (!nb) return -ENOMEM;
  b->buf = nb;
  b->cap = cap;
  return 0;
}

/* Adds json (len bytes) with its key to a joined batch: the JSON texts
 * one a line, the keys framed in b->keys (sign.h). json may already be in
 * its place (join_at), which then has room for it. Returns 1 added, 0 when
 * it must open the next batch instead (a message is at most limit bytes
 * with its keys, and an event with a raw newline goes alone), or a
 * negative errno. *alone: it must be the batch's last. */
static int join_event(ev_batch *b, const char *json, size_t len, const char *key, size_t klen,
                      size_t limit, int *alone) {
  *alone = klen > SOC_SIGN_MSGKEY_MAX || memchr(json, '\n', len) != NULL;
  if (b->n && (*alone || b->len + 1 + len + b->keys_len + 6 + klen > limit)) return 0;
  int in_place = json == b->buf + b->len + (b->n != 0);
  if (!in_place && batch_room(b, len + 1) < 0) return -ENOMEM;
  batch_msg *m = &b->msg[b->n];
  if (b->n) b->buf[b->len++] = '\n';
  m->off = b->len;
  m->len = len;
  m->key_len = klen;
  if (!in_place) memcpy(b->buf + b->len, json, len);
  b->len += len;
  if (*alone) {
    /* its key after its JSON, as in a batch sent one event a message */
    if (batch_room(b, klen) < 0) return -ENOMEM;
    memcpy(b->buf + b->len, key, klen);
    m->key_off = SIZE_MAX;
    return 1;
  }
  if (soc_sign_keys_add(b->keys, SOC_SIGN_KEYS_TEXT, &b->keys_len, key, klen) < 0) return -ENOMEM;
  m->key_off = b->keys_len - klen;
  return 1;
}

/* Makes the next batch: the events of the lines of cur from cur.next on,
 * up to SOC_SIGN_BATCH_MAX of them (kafka.events_per_message, up to
 * SOC_SIGN_JOINED_MAX, when they are joined into one message) or BATCH_BYTES of JSON, and one
 * signature over them all (sign.h). Lines too large for any message are counted and left out.
 * Returns 0 (possibly with no message, when every line was left out) or a negative errno. */
static int make_batch(soc_forward *f) {
  cur_block *c = &f->cur;
  ev_batch *b = &f->batch;
  uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
  soc_sign_item items[SOC_SIGN_JOINED_MAX];
  int joined = f->cfg->kafka.events_per_message > 1;
  size_t most = joined ? (size_t)f->cfg->kafka.events_per_message : SOC_SIGN_BATCH_MAX;
  size_t limit =
      joined && f->max_message < (int64_t)BATCH_BYTES ? (size_t)f->max_message : BATCH_BYTES;
  if (joined && f->join_bytes < limit) limit = f->join_bytes;
  b->n = b->next = b->len = b->keys_len = 0;
  size_t line = c->next;
  for (; line < c->n && b->n < most && b->len < BATCH_BYTES; line++) {
    const soc_jentry *e = &c->lines[line];
    int stub = 0, alone = 0;
    char *at = NULL;
    const char *json = NULL;
    size_t room = 0;
    build_event(f, e);
    if (joined) { /* written where it is sent from: after the batch's newline */
      if (batch_room(b, 1 + JOIN_ROOM) < 0) return -ENOMEM;
      at = b->buf + b->len + (b->n != 0);
      room = b->cap - b->len - (b->n != 0);
    }
    size_t len = event_json(f, at, room, &json, &stub);
    if (!len) { /* message.max.bytes below any event: counted, left to the journal */
      atomic_fetch_add(&f->too_large, 1);
      continue;
    }
    const char *key = soc_event_get_str(f->ev, SOC_ECS_HOST_NAME);
    if (!key) key = e->source;
    size_t klen = strlen(key);
    if (joined) {
      int rc = join_event(b, json, len, key, klen, limit, &alone);
      if (rc < 0) return rc;
      if (!rc) break; /* this line opens the next batch */
      b->msg[b->n].line = line;
      b->msg[b->n].stub = stub;
      json = b->buf + b->msg[b->n].off; /* the buffer may have moved for a key */
    } else {
      if (batch_room(b, len + klen) < 0) return -ENOMEM;
      batch_msg *m = &b->msg[b->n];
      *m = (batch_msg){.off = b->len,
                       .len = len,
                       .key_len = klen,
                       .key_off = SIZE_MAX,
                       .line = line,
                       .stub = stub};
      memcpy(b->buf + b->len, json, len);
      memcpy(b->buf + b->len + len, key, klen);
      b->len += len + klen;
    }
    b->n++;
    if (alone) {
      line++;
      break;
    }
  }
  b->end = line;
  /* the leaves once the batch is made, two at a time (sign.h): the
   * buffer no longer moves, and each event's key is where it is sent from */
  for (size_t i = 0; i < b->n; i++) {
    const batch_msg *m = &b->msg[i];
    const char *json = b->buf + m->off;
    items[i] = (soc_sign_item){.event = json,
                               .event_len = m->len,
                               .key = m->key_off == SIZE_MAX ? json + m->len : b->keys + m->key_off,
                               .key_len = m->key_len};
  }
  soc_sign_leaves(f->name_events, items, b->n, leaves);
  /* joined, the proofs are not sent: the root's signature is enough */
  const uint8_t(*lv)[SOC_SIGN_HASH_LEN] = (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves;
  if (b->n && (joined && b->n > 1 ? soc_sign_batch_sign(f->key, lv, b->n, b->sig.sig)
                                  : soc_sign_batch_make(f->key, lv, b->n, &b->sig)) < 0)
    return -EIO;
  b->ready = 1;
  return 0;
}

/* The outcome of one produce call for the batch from its event first:
 * 0 produced, -EAGAIN to try again later (queue full, or a rewind is due),
 * 1 when the batch is to be made again from first's line (the broker takes
 * less than we thought: aim lower). */
static int produce_failed(soc_forward *f, rd_kafka_resp_err_t err, size_t len,
                          const batch_msg *first) {
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return -EAGAIN;
  if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && (int64_t)len > 1024) {
    /* the limit is lower than we computed (headers, framing) */
    f->max_message = (int64_t)len - 512;
    f->cur.next = first->line;
    f->batch.ready = 0;
    return 1;
  }
  fprintf(stderr, "socagent: forward: cannot produce: %s\n", rd_kafka_err2str(err));
  atomic_store(&f->rewind, 1);
  return -EAGAIN;
}

/* A joined batch of two or more events as one message (sign.h): the JSON
 * texts one a line, the key and the root's signature in "sig.batch", the
 * events' keys in "keys", and the agent id as the Kafka key, so that all
 * of an agent's events stay in order on one partition. Same returns as
 * produce_failed. */
static int produce_joined(soc_forward *f, wblock *w) {
  ev_batch *b = &f->batch;
  char packed[SOC_SIGN_BATCH_PACKED_TEXT];
  soc_sign_pack_batch(f->key_text, b->sig.sig, packed);
  rd_kafka_headers_t *h = identity_headers(f, 5);
  rd_kafka_header_add(h, "sig.batch", 9, packed, sizeof packed);
  rd_kafka_header_add(h, "keys", 4, b->keys, (ssize_t)b->keys_len);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      f->rk, RD_KAFKA_V_RKT(f->t_events), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
      RD_KAFKA_V_VALUE(b->buf, b->len), RD_KAFKA_V_KEY(f->agent_id.s, f->agent_id.len),
      RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(opaque_of(f->generation, f->cur.slot, b->n)),
      RD_KAFKA_V_END);
  if (err) { /* the buffer is still ours: the batch is tried again or made again in it */
    rd_kafka_headers_destroy(h);
    return produce_failed(f, err, b->len, &b->msg[0]);
  }
  /* librdkafka owns the buffer now and frees it when the message is done;
   * the next batch is written into a new one of the same size (its pages
   * untouched until written; NULL, batch_room tries again) */
  b->buf = malloc(b->cap);
  if (!b->buf) b->cap = 0;
  for (size_t i = 0; i < b->n; i++)
    if (b->msg[i].stub) atomic_fetch_add(&f->too_large, 1);
  w->outstanding++;
  f->produced++;
  b->next = b->n;
  return 0;
}

/* Produces the lines of cur from cur.next on, a batch at a time. Returns 0
 * when the block is all produced, -EAGAIN when librdkafka's queue is full
 * (or a produce failed and a rewind is due); the batch then goes on where
 * it stopped. A batch of one event goes in the one-event form, joined or
 * not.
 *
 * A one-event message's JSON is handed over with RD_KAFKA_MSG_F_COPY:
 * librdkafka then allocates the message and its payload in one piece,
 * where F_FREE would cost our malloc for the payload and its own for the
 * message. A joined message (up to 512 KB by default) is handed over
 * with F_FREE instead, its buffer and all (produce_joined): copying it
 * cost more than a malloc. */
static int produce_block(soc_forward *f) {
  cur_block *c = &f->cur;
  wblock *w = &f->win[c->slot];
  ev_batch *b = &f->batch;
  while (c->next < c->n) {
    if (!b->ready && make_batch(f) < 0) return -EAGAIN; /* out of memory: again next turn */
    if (b->n > 1 && f->cfg->kafka.events_per_message > 1) {
      int rc = produce_joined(f, w);
      if (rc < 0) return rc;
      if (rc) continue;
    }
    while (b->next < b->n) {
      const batch_msg *m = &b->msg[b->next];
      const char *json = b->buf + m->off, *key = json + m->len;
      if (m->key_off != SIZE_MAX) key = b->keys + m->key_off; /* joined, sent alone */
      /* the key, the root's signature and the proof in one header
       * (sign.h): their lengths are fixed by how they are made */
      char packed[SOC_SIGN_PACKED_TEXT + 1];
      size_t plen = soc_sign_pack(f->key_text, b->sig.sig, b->sig.proof[b->next], packed);
      rd_kafka_headers_t *h = identity_headers(f, 4);
      rd_kafka_header_add(h, "sig", 3, packed, (ssize_t)plen);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          f->rk, RD_KAFKA_V_RKT(f->t_events), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE((void *)json, m->len), RD_KAFKA_V_KEY(key, m->key_len),
          RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(opaque_of(f->generation, c->slot, 1)),
          RD_KAFKA_V_END);
      if (err) {
        rd_kafka_headers_destroy(h);
        int rc = produce_failed(f, err, m->len, m);
        if (rc < 0) return rc;
        break;
      }
      if (m->stub) atomic_fetch_add(&f->too_large, 1);
      w->outstanding++;
      f->produced++;
      b->next++;
    }
    if (b->ready) { /* all of it produced */
      c->next = b->end;
      b->ready = 0;
    }
  }
  w->produced_all = 1;
  c->loaded = 0;
  return 0;
}

/* Produces until the journal is read to its end, the window or
 * librdkafka's queue is full, or something failed. Returns 1 when the
 * caller should wait (for delivery reports, more lines, or before trying
 * again), 0 when a rewind or a stop is due and it should not. */
static int fill(soc_forward *f) {
  while (!atomic_load(&f->rewind) && !atomic_load(&f->stop)) {
    if (!f->cur.loaded && (f->count == WINDOW || load_block(f) <= 0)) return 1;
    if (produce_block(f) < 0) return 1;
  }
  return 0;
}

/* Moves the cursor over the fully acknowledged blocks at the front. */
static void advance(soc_forward *f) {
  while (f->count) {
    wblock *w = &f->win[f->head];
    if (!w->produced_all || w->outstanding) break;
    f->cursor = w->id;
    f->head = (f->head + 1) % WINDOW;
    f->count--;
  }
}

/* Whether the cursors or the broker moved since the last save. */
static int unsaved(const soc_forward *f) {
  return f->cursor != f->saved_cursor || f->outbox_cursor != f->saved_outbox || f->broker_changed;
}

/* Only what changed since the last save is written (a row costs ~11,000
 * instructions, and a live log's saves, five a second, move the cursor
 * and the delivered counter of eight rows); the first save of a run
 * writes them all: the counters are this run's. */
static void persist(soc_forward *f, int force) {
  int64_t now = soc_now_mono_ms();
  if (!force && now - f->last_persist_ms < PERSIST_EVERY_MS) return;
  if (!force && !unsaved(f)) return;
  f->last_persist_ms = now;
  static const char *const names[FORWARD_COUNTERS] = {"delivered", "delivery_errors", "too_large",
                                                      "producer_restarts", "rewinds"};
  const int64_t counters[FORWARD_COUNTERS] = {atomic_load(&f->delivered), atomic_load(&f->errors),
                                              atomic_load(&f->too_large), f->restarts, f->rewinds};
  int64_t writing[FORWARD_COUNTERS];
  int all = !f->persisted;
  char buf[32];
  /* one transaction, one fsync, for the cursor and the counters */
  if (soc_store_begin(f->store) < 0) return;
  int rc = 0;
  if (all || f->cursor != f->saved_cursor) {
    snprintf(buf, sizeof buf, "%lld", (long long)f->cursor);
    rc = soc_store_meta_set(f->store, "forward.cursor", buf);
  }
  if (!rc && (all || f->outbox_cursor != f->saved_outbox)) {
    snprintf(buf, sizeof buf, "%lld", (long long)f->outbox_cursor);
    rc = soc_store_meta_set(f->store, "forward.outbox_cursor", buf);
  }
  if (!rc && (all || f->broker_changed))
    rc = soc_store_meta_set(f->store, "forward.broker", f->broker[0] ? f->broker : "unknown");
  for (int i = 0; !rc && i < FORWARD_COUNTERS; i++)
    rc = soc_store_counter_put(f->store, "forward", names[i], counters[i], f->saved_counters[i],
                               &writing[i]);
  if (!rc && soc_store_commit(f->store) == 0) {
    f->saved_cursor = f->cursor;
    f->saved_outbox = f->outbox_cursor;
    f->broker_changed = 0;
    memcpy(f->saved_counters, writing, sizeof f->saved_counters);
    f->persisted = 1;
  } else {
    soc_store_rollback(f->store);
  }
}

/* ---- heartbeat ---------------------------------------------------------------- */

static int add_counter(void *arg, const char *input, const char *name, int64_t value) {
  fjson_object *inputs = arg, *o = NULL;
  if (!fjson_object_object_get_ex(inputs, input, &o)) {
    o = fjson_object_new_object();
    fjson_object_object_add(inputs, input, o);
  }
  fjson_object_object_add(o, name, fjson_object_new_int64(value));
  return 0;
}

static void heartbeat(soc_forward *f) {
  int64_t now = soc_now_mono_ms();
  if (now - f->last_heartbeat_ms < f->cfg->kafka.heartbeat_s * 1000) return;
  if (atomic_load(&f->hb_in_flight)) return; /* the last one is still queued: no pile-up */
  f->last_heartbeat_ms = now;
  soc_block_totals all = {0}, lag = {0};
  soc_store_block_totals(f->store, &all);
  soc_store_block_totals_after(f->store, f->cursor, &lag);
  char ts[SOC_EVENT_TIME_BUF];
  soc_event_format_time(soc_now_real_ns(), 3, ts, sizeof ts);
  fjson_object *o = fjson_object_new_object(), *agent = fjson_object_new_object(),
               *sa = fjson_object_new_object(), *j = fjson_object_new_object(),
               *fw = fjson_object_new_object(), *counters = fjson_object_new_object(),
               *ev = fjson_object_new_object(), *rules = fjson_object_new_object();
  fjson_object_object_add(o, "@timestamp", fjson_object_new_string(ts));
  fjson_object_object_add(ev, "kind", fjson_object_new_string("metric"));
  fjson_object_object_add(ev, "dataset", fjson_object_new_string("socagent.heartbeat"));
  fjson_object_object_add(o, "event", ev);
  fjson_object_object_add(agent, "id", fjson_object_new_string(f->cfg->agent.id));
  fjson_object_object_add(agent, "type", fjson_object_new_string("socagent"));
  fjson_object_object_add(agent, "version", fjson_object_new_string(SOC_VERSION));
  fjson_object_object_add(o, "agent", agent);
  fjson_object_object_add(sa, "uptime_s", fjson_object_new_int64((now - f->start_ms) / 1000));
  fjson_object_object_add(sa, "agency", fjson_object_new_string(f->cfg->agent.agency));
  fjson_object_object_add(sa, "authority", fjson_object_new_int64(f->cfg->agent.authority));
  fjson_object_object_add(j, "lines", fjson_object_new_int64(all.lines));
  fjson_object_object_add(j, "blocks", fjson_object_new_int64(all.blocks));
  fjson_object_object_add(j, "stored_bytes", fjson_object_new_int64(all.stored_bytes));
  fjson_object_object_add(sa, "journal", j);
  fjson_object_object_add(fw, "cursor", fjson_object_new_int64(f->cursor));
  fjson_object_object_add(fw, "lag_lines", fjson_object_new_int64(lag.lines));
  fjson_object_object_add(fw, "lag_blocks", fjson_object_new_int64(lag.blocks));
  fjson_object_object_add(fw, "delivered", fjson_object_new_int64(atomic_load(&f->delivered)));
  fjson_object_object_add(fw, "delivery_errors", fjson_object_new_int64(atomic_load(&f->errors)));
  fjson_object_object_add(fw, "too_large", fjson_object_new_int64(atomic_load(&f->too_large)));
  fjson_object_object_add(fw, "broker",
                          fjson_object_new_string(f->broker[0] ? f->broker : "unknown"));
  if (f->rtt_ms >= 0)
    fjson_object_object_add(fw, "broker_rtt_ms", fjson_object_new_int64(f->rtt_ms));
  fjson_object_object_add(sa, "forward", fw);
  soc_store_counters_scan(f->store, add_counter, counters);
  fjson_object_object_add(sa, "counters", counters);
  /* the rule counts as the detectors last wrote them among the counters */
  fjson_object *cnt = NULL, *n = NULL;
  fjson_object_object_add(
      rules, "log",
      fjson_object_new_int64(fjson_object_object_get_ex(counters, "detect", &cnt) &&
                                     fjson_object_object_get_ex(cnt, "rules", &n)
                                 ? fjson_object_get_int64(n)
                                 : 0));
  fjson_object_object_add(
      rules, "yara",
      fjson_object_new_int64(fjson_object_object_get_ex(counters, "yara", &cnt) &&
                                     fjson_object_object_get_ex(cnt, "rules", &n)
                                 ? fjson_object_get_int64(n)
                                 : 0));
  fjson_object_object_add(sa, "rules", rules);
  /* the store's id and newest block: the center sees a store that lost
   * commits (storemark.h) */
  char sid[SOC_STORE_ID_LEN + 1];
  if (soc_store_meta_get(f->store, "store.id", sid, sizeof sid, NULL) == 0) {
    fjson_object *so = fjson_object_new_object();
    fjson_object_object_add(so, "id", fjson_object_new_string(sid));
    fjson_object_object_add(so, "block", fjson_object_new_int64(all.last_id));
    fjson_object_object_add(sa, "store", so);
  }
  /* the audit log's head leaves the machine: an anchor for audit verify */
  int64_t aseq = 0;
  char ahash[SOC_AUDIT_HASH_HEX + 1];
  if (soc_audit_head(f->store, &aseq, ahash) == 0 && aseq > 0) {
    fjson_object *au = fjson_object_new_object();
    fjson_object_object_add(au, "seq", fjson_object_new_int64(aseq));
    fjson_object_object_add(au, "head", fjson_object_new_string(ahash));
    fjson_object_object_add(sa, "audit", au);
  }
  fjson_object_object_add(o, "socagent", sa);
  const char *s = fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN);
  rd_kafka_headers_t *hdrs =
      signed_headers(f, f->name_heartbeat, f->agent_id.s, f->agent_id.len, s, strlen(s));
  atomic_store(&f->hb_in_flight, 1);
  if (!hdrs || rd_kafka_producev(f->rk, RD_KAFKA_V_RKT(f->t_heartbeat),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE((void *)s, strlen(s)),
                                 RD_KAFKA_V_KEY(f->agent_id.s, f->agent_id.len),
                                 RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END) != 0) {
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    atomic_store(&f->hb_in_flight, 0);
  }
  fjson_object_put(o);
}

/* ---- the outbox ------------------------------------------------------------------ */

#define OUTBOX_BATCH 256

static int ship_one(void *arg, int64_t id, const char *topic, const char *key, const void *payload,
                    size_t len) {
  soc_forward *f = arg;
  char name[300];
  snprintf(name, sizeof name, "%s.%s", f->cfg->kafka.topic_prefix, topic);
  rd_kafka_headers_t *hdrs = signed_headers(f, name, key, strlen(key), payload, len);
  if (!hdrs) return -EAGAIN;
  rd_kafka_resp_err_t err = rd_kafka_producev(
      f->rk, RD_KAFKA_V_TOPIC(name), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_KEY(key, strlen(key)),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque_of(f->generation, OUTBOX_SLOT, 0)),
      RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(hdrs);
    return -EAGAIN; /* queue full: the batch goes again as a whole */
  }
  f->outbox_outstanding++;
  f->outbox_batch_end = id;
  return 0;
}

/* Alerts and drafts the detector wrote: sent one batch at a time, and the
 * outbox cursor moves past a batch only when all of it is delivered. A
 * failure sends the batch again (duplicates carry the same ids). */
static void ship_outbox(soc_forward *f) {
  if (f->outbox_batch_end) {
    if (f->outbox_outstanding) return;
    if (atomic_exchange(&f->outbox_failed, 0)) {
      f->outbox_batch_end = 0; /* again, from the cursor */
      return;
    }
    f->outbox_cursor = f->outbox_batch_end;
    f->outbox_batch_end = 0;
  }
  if (soc_store_outbox_scan(f->store, f->outbox_cursor, OUTBOX_BATCH, ship_one, f) == -EAGAIN &&
      f->outbox_outstanding == 0)
    f->outbox_batch_end = 0;
}

/* ---- the thread ------------------------------------------------------------------ */

/* How long a turn with nothing to send waits for delivery reports: poll_ms
 * while anything is in flight; with nothing in flight up to idle_ms (a
 * wake-up ends it sooner), but never past a cursor save or a heartbeat
 * that is due. */
static int wait_ms(const soc_forward *f, int poll_ms, int64_t idle_ms) {
  if (f->count || f->outbox_outstanding || f->outbox_batch_end || atomic_load(&f->hb_in_flight))
    return poll_ms;
  int64_t now = soc_now_mono_ms(), until = now + idle_ms;
  int64_t beat = f->last_heartbeat_ms + f->cfg->kafka.heartbeat_s * 1000;
  if (beat < until) until = beat;
  if (unsaved(f) && f->last_persist_ms + PERSIST_EVERY_MS < until)
    until = f->last_persist_ms + PERSIST_EVERY_MS;
  return until <= now ? 0 : (int)(until - now);
}

static void turn(soc_forward *f, int poll_ms, int64_t idle_ms) {
  if (atomic_load(&f->fatal)) {
    char why[256];
    rd_kafka_fatal_error(f->rk, why, sizeof why);
    fprintf(stderr, "socagent: forward: fatal producer error (%s); starting a new producer\n", why);
    drop_producer(f);
    atomic_store(&f->fatal, 0);
    f->restarts++;
    if (make_producer(f) < 0) {
      usleep(1000000); /* the config did not change: wait before trying again */
      return;
    }
    rewind_to_cursor(f);
  }
  if (atomic_load(&f->rewind)) rewind_to_cursor(f);
  /* Waiting in poll is what keeps a full queue from spinning: it returns
   * as soon as delivery reports come in, which is when there is room. */
  int wait = fill(f);
  ship_outbox(f);
  rd_kafka_poll(f->rk, wait ? wait_ms(f, poll_ms, idle_ms) : 0);
  advance(f);
  persist(f, 0);
  heartbeat(f);
}

static void *run(void *arg) {
  soc_forward *f = arg;
  while (!atomic_load(&f->stop)) turn(f, 50, f->idle_wait_ms);
  /* What is in flight gets flush_timeout to be delivered; with the broker
   * away there is no point in waiting: it is all in the journal. */
  int64_t deadline = soc_now_mono_ms() + f->cfg->kafka.flush_ms;
  while (f->count && strncmp(f->broker, "down", 4) != 0 && soc_now_mono_ms() < deadline &&
         !atomic_load(&f->rewind)) {
    (void)rd_kafka_flush(f->rk, 50); /* nothing more comes: no linger.ms (make_producer) */
    advance(f);
  }
  persist(f, 1);
  return NULL;
}

int soc_forward_drain(soc_forward *f, int64_t timeout_ms) {
  soc_block_totals t;
  if (soc_store_block_totals(f->store, &t) < 0) return -EIO;
  int64_t deadline = soc_now_mono_ms() + timeout_ms;
  int64_t outbox_last = soc_store_outbox_last(f->store);
  /* the heartbeat too, so that a batch run is seen at the center */
  while ((f->cursor < t.last_id || f->outbox_cursor < outbox_last ||
          atomic_load(&f->hb_in_flight) || !f->last_heartbeat_ms) &&
         soc_now_mono_ms() < deadline) {
    turn(f, 20, 20);
    /* All of the journal produced: its last messages need not wait
     * linger.ms for company (make_producer). Not sooner, as flushing
     * also brings back the broker thread's polling while a request is
     * in flight. */
    if (f->read_pos >= t.last_id && !f->cur.loaded) (void)rd_kafka_flush(f->rk, 20);
  }
  persist(f, 1);
  return f->cursor >= t.last_id && f->outbox_cursor >= outbox_last ? 0 : -ETIMEDOUT;
}

int64_t soc_forward_damaged(const soc_forward *f) { return f->damaged; }

int soc_forward_new(const soc_config *cfg, soc_forward **out) {
  int result = -ENOMEM;
  char path[4096], err[600], buf[32];
  soc_forward *f = calloc(1, sizeof *f);
  *out = NULL;
  if (!f) return -ENOMEM;
  f->cfg = cfg;
  pthread_mutex_init(&f->wake_mx, NULL);
  f->idle_wait_ms = IDLE_WAIT_MS;
  f->rtt_ms = -1;
  for (int i = 0; i < FORWARD_COUNTERS; i++) f->saved_counters[i] = INT64_MIN;
  f->start_ms = soc_now_mono_ms();
  f->ev = soc_event_new();
  f->proto = soc_event_new();
  f->json = malloc(SOC_EVENT_JSON_MAX);
  if (!f->ev || !f->proto || !f->json) goto out;
  if (cfg->kafka.events_per_message > 1 && !(f->batch.keys = malloc(SOC_SIGN_KEYS_TEXT))) goto out;
  f->agent_id = (konst){cfg->agent.id, strlen(cfg->agent.id)};
  f->agency = (konst){cfg->agent.agency, cfg->agent.agency ? strlen(cfg->agent.agency) : 0};
  f->version = (konst){SOC_VERSION, strlen(SOC_VERSION)};
  snprintf(f->authority_buf, sizeof f->authority_buf, "%lld", (long long)cfg->agent.authority);
  f->authority = (konst){f->authority_buf, strlen(f->authority_buf)};
  snprintf(path, sizeof path, "%s/agent.db", cfg->agent.state_dir);
  result = soc_store_open(path, SOC_STORE_AGENT, &f->store, err, sizeof err);
  if (result < 0) {
    fprintf(stderr, "socagent: forward: %s\n", err);
    goto out;
  }
  if ((result = soc_agent_key_load(cfg, 1, &f->key)) < 0) goto out;
  soc_sign_pub_text(soc_sign_key_pub(f->key), f->key_text);
  soc_agent_key_cert(cfg, f->key, f->key_cert);
  result = -ENOMEM;
  if (!(f->norm = soc_normalizer_new(cfg, f->store))) goto out;
  if (soc_store_meta_get(f->store, "forward.cursor", buf, sizeof buf, NULL) == 0)
    f->cursor = f->saved_cursor = f->read_pos = strtoll(buf, NULL, 10);
  if (soc_store_meta_get(f->store, "forward.outbox_cursor", buf, sizeof buf, NULL) == 0)
    f->outbox_cursor = f->saved_outbox = strtoll(buf, NULL, 10);
  result = make_producer(f);
out:
  if (result == 0)
    *out = f;
  else
    soc_forward_free(f);
  return result;
}

int soc_forward_start(soc_forward *f) {
  int rc = pthread_create(&f->thread, NULL, run, f);
  if (rc) return -rc;
  f->started = 1;
  soc_thread_name(f->thread, "soc:forward");
  return 0;
}

void soc_forward_wake(soc_forward *f) {
  if (!f) return;
  pthread_mutex_lock(&f->wake_mx);
  if (f->mainq) rd_kafka_queue_yield(f->mainq);
  pthread_mutex_unlock(&f->wake_mx);
}

void soc_forward_set_idle_wait(soc_forward *f, int64_t ms) { f->idle_wait_ms = ms; }

void soc_forward_stop(soc_forward *f) {
  if (!f || !f->started) return;
  atomic_store(&f->stop, 1);
  soc_forward_wake(f);
  pthread_join(f->thread, NULL);
  f->started = 0;
}

void soc_forward_free(soc_forward *f) {
  if (!f) return;
  soc_forward_stop(f);
  drop_producer(f);
  soc_store_close(f->store);
  soc_event_free(f->ev);
  soc_event_free(f->proto);
  free(f->json);
  free(f->cur.lines);
  free(f->cur.at);
  free(f->cur.arena);
  free(f->batch.buf);
  free(f->batch.keys);
  soc_normalizer_free(f->norm);
  soc_sign_key_free(f->key);
  pthread_mutex_destroy(&f->wake_mx);
  free(f);
}
