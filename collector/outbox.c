/*
 * outbox — the center's decisions produced after their commit (outbox.h
 * says why).
 */
#include "outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "enrol.h"
#include "soc/tz.h"

struct soc_center_outbox {
  soc_center_store *s; /* borrowed */
  rd_kafka_t *rk;      /* owned */
  soc_sign_key *key;   /* owned: the center's, which the agents check */
  int inflight;
};

/* A delivery report: the decision number travels as the message's opaque. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  soc_center_outbox *o = opaque;
  int64_t n = (int64_t)(intptr_t)m->_private;
  o->inflight--;
  if (m->err) {
    fprintf(stderr,
            "soccollector: decision %" PRId64 " not delivered to %s: %s; it is sent again\n", n,
            rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    return;
  }
  /* Not marked (the store busy past its timeout): sent again later, and
   * the agent applies it once. */
  if (soc_store_center_decision_delivered(o->s, n, soc_now_real_ns()) < 0)
    fprintf(stderr, "soccollector: decision %" PRId64 " delivered but not marked: %s\n", n,
            soc_center_store_errmsg(o->s));
}

int soc_center_outbox_new(const soc_collector_config *cfg, soc_center_store *s,
                          soc_center_outbox **out) {
  char err[512];
  int result = -EINVAL;
  soc_center_outbox *o = calloc(1, sizeof *o);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  *out = NULL;
  if (!o || !conf) {
    result = -ENOMEM;
    goto out;
  }
  o->s = s;
  if (soc_center_key_load(cfg, 1, &o->key) < 0) goto out;
  int bad = rd_kafka_conf_set(conf, "bootstrap.servers", cfg->kafka.brokers, err, sizeof err);
  for (size_t i = 0; i < cfg->kafka.nproperties && !bad; i++)
    bad = rd_kafka_conf_set(conf, cfg->kafka.properties[i].key, cfg->kafka.properties[i].value, err,
                            sizeof err);
  /* Every in-sync replica has it before it counts as delivered. */
  if (!bad) bad = rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
  if (bad) {
    fprintf(stderr, "soccollector: kafka: %s\n", err);
    goto out;
  }
  rd_kafka_conf_set_opaque(conf, o);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  o->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!o->rk) {
    fprintf(stderr, "soccollector: kafka: %s\n", err);
    goto out;
  }
  conf = NULL; /* rd_kafka_new took it */
  *out = o;
  o = NULL;
  result = 0;
out:
  if (conf) rd_kafka_conf_destroy(conf);
  soc_center_outbox_free(o, 0);
  return result;
}

void soc_center_outbox_free(soc_center_outbox *o, int wait_ms) {
  if (!o) return;
  if (o->rk) {
    soc_center_outbox_poll(o, wait_ms);
    rd_kafka_destroy(o->rk);
  }
  soc_sign_key_free(o->key);
  free(o);
}

static int produce(void *arg, int64_t n, const char *report, const char *topic, const char *body) {
  soc_center_outbox *o = arg;
  char sig[SOC_SIGN_SIG_TEXT + 1];
  /* Agents apply a decision only with the center's signature over exactly
   * this topic, key and body: made again at each send, from the row. */
  if (soc_sign_message(o->key, topic, report, strlen(report), body, strlen(body), sig) < 0)
    return 0; /* left pending */
  rd_kafka_headers_t *h = rd_kafka_headers_new(1);
  rd_kafka_header_add(h, "signature", 9, sig, SOC_SIGN_SIG_TEXT);
  rd_kafka_resp_err_t e = rd_kafka_producev(
      o->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE((void *)body, strlen(body)), RD_KAFKA_V_KEY(report, strlen(report)),
      RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE((void *)(intptr_t)n), RD_KAFKA_V_END);
  if (e) {
    rd_kafka_headers_destroy(h);
    /* Left pending: the next send tries again. */
    fprintf(stderr, "soccollector: kafka: cannot produce decision %" PRId64 " to %s: %s\n", n,
            topic, rd_kafka_err2str(e));
    return 0;
  }
  o->inflight++;
  return 0;
}

int soc_center_outbox_send(soc_center_outbox *o) {
  if (o->inflight) return 0;
  int rc = soc_store_center_decisions_pending(o->s, produce, o);
  return rc < 0 ? rc : o->inflight;
}

int soc_center_outbox_poll(soc_center_outbox *o, int wait_ms) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rd_kafka_poll(o->rk, 0);
  while (o->inflight > 0) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t left = wait_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    if (left <= 0) break;
    rd_kafka_poll(o->rk, left < 100 ? (int)left : 100);
  }
  return o->inflight;
}
