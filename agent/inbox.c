/*
 * inbox — applying the technical center's decisions (inbox.h).
 */
#include "inbox.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/audit.h"
#include "soc/center_topic.h"
#include "soc/report.h"
#include "soc/tz.h"

#define DECISION_MAX 65536 /* bytes of one decision message */
#define BATCH 64

struct soc_inbox {
  const soc_config *cfg;
  soc_store *store;
  const soc_regime *regime;
  rd_kafka_t *rk; /* owned */
  char topic[256];
  char prefix[160]; /* "<agent id>/": the report ids that are ours */
};

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "socagent: inbox: kafka: %s: %s\n", fac, buf);
}

int soc_inbox_new(const soc_config *cfg, soc_store *store, const soc_regime *regime,
                  soc_inbox **out) {
  char err[512], group[300];
  int result = -EINVAL;
  *out = NULL;
  soc_inbox *ib = calloc(1, sizeof *ib);
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  if (!ib || !c) {
    result = -ENOMEM;
    goto out;
  }
  ib->cfg = cfg;
  ib->store = store;
  ib->regime = regime;
  snprintf(ib->prefix, sizeof ib->prefix, "%s/", cfg->agent.id);
  if (soc_center_topic(cfg->kafka.topic_prefix, cfg->agent.agency, ib->topic,
                              sizeof ib->topic) < 0)
    goto out;
  snprintf(group, sizeof group, "socagent-%s", cfg->agent.id);
  const char *defaults[][2] = {{"bootstrap.servers", cfg->kafka.brokers},
                               {"group.id", group},
                               {"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               {"auto.offset.reset", "earliest"},
                               {"client.id", cfg->agent.id}};
  for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
    if (rd_kafka_conf_set(c, defaults[i][0], defaults[i][1], err, sizeof err) != RD_KAFKA_CONF_OK)
      goto bad;
  /* the operator's properties (TLS, SASL ...) apply here too; producer-only
   * ones are ignored by librdkafka with a warning */
  for (size_t i = 0; i < cfg->kafka.nproperties; i++)
    if (rd_kafka_conf_set(c, cfg->kafka.properties[i].key, cfg->kafka.properties[i].value, err,
                          sizeof err) != RD_KAFKA_CONF_OK)
      goto bad;
  /* the decisions are ours to commit, whatever the properties said */
  rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set(c, "enable.auto.offset.store", "false", err, sizeof err);
  rd_kafka_conf_set_log_cb(c, on_log);
  ib->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (!ib->rk) goto bad;
  c = NULL;
  rd_kafka_poll_set_consumer(ib->rk);
  rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(t, ib->topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(ib->rk, t);
  rd_kafka_topic_partition_list_destroy(t);
  if (e) {
    snprintf(err, sizeof err, "%s", rd_kafka_err2str(e));
    goto bad;
  }
  fprintf(stderr, "socagent: inbox: the center's decisions from %s\n", ib->topic);
  *out = ib;
  return 0;
bad:
  fprintf(stderr, "socagent: inbox: %s\n", err);
out:
  if (c) rd_kafka_conf_destroy(c);
  soc_inbox_free(ib);
  return result;
}

void soc_inbox_free(soc_inbox *ib) {
  if (!ib) return;
  if (ib->rk) {
    rd_kafka_consumer_close(ib->rk);
    rd_kafka_destroy(ib->rk);
  }
  free(ib);
}

static const char *str(fjson_object *o, const char *k) {
  fjson_object *v = NULL;
  return o && fjson_object_object_get_ex(o, k, &v) && fjson_object_is_type(v, fjson_type_string)
             ? fjson_object_get_string(v)
             : NULL;
}

/* Applies one decision to report r. OUT: why on refusal. */
static int apply(fjson_object *d, fjson_object *r, const char *kind, const char *by, int64_t at,
                 char *why, size_t why_len) {
  if (!strcmp(kind, "review"))
    return soc_report_review(r, by, str(d, "result") ? str(d, "result") : "", "center", at, why,
                             why_len);
  if (!strcmp(kind, "level")) {
    fjson_object *lv = NULL;
    int level = fjson_object_object_get_ex(d, "level", &lv) ? fjson_object_get_int(lv) : 0;
    return soc_report_relevel(r, level, by, str(d, "reason"), at, why, why_len);
  }
  if (!strcmp(kind, "support")) return soc_report_support_dispatched(r, by, at, why, why_len);
  snprintf(why, why_len, "unknown decision kind '%s'", kind);
  return -EINVAL;
}

/* One message: 1 applied, 0 not ours or refused (recorded), <0 store error. */
static int handle(soc_inbox *ib, const rd_kafka_message_t *m) {
  char why[SOC_REPORT_WHY_MAX] = "", actor[300], object[48];
  fjson_object *d = NULL, *r = NULL, *rec = NULL;
  soc_report_row row = {0};
  int result = 0;
  if (!m->payload || m->len > DECISION_MAX) {
    fprintf(stderr, "socagent: inbox: a message of %zu bytes at %s [%d] @%lld is not a decision\n",
            m->len, ib->topic, m->partition, (long long)m->offset);
    return 0;
  }
  char *text = malloc(m->len + 1);
  if (!text) return -ENOMEM;
  memcpy(text, m->payload, m->len);
  text[m->len] = 0;
  d = fjson_tokener_parse(text);
  free(text);
  const char *schema = str(d, "schema"), *id = str(d, "id"), *report = str(d, "report"),
             *kind = str(d, "kind"), *by = str(d, "by"), *at_s = str(d, "at");
  int64_t at = 0;
  if (!d || !schema || strcmp(schema, "socagent.decision/1") || !id || !report || !kind || !by ||
      !at_s || soc_time_parse_ns(at_s, &at) < 0) {
    fprintf(stderr, "socagent: inbox: %s [%d] @%lld: not a socagent.decision/1 message; skipped\n",
            ib->topic, m->partition, (long long)m->offset);
    goto out;
  }
  /* other agents of the agency read the same topic */
  if (strncmp(report, ib->prefix, strlen(ib->prefix))) goto out;
  char *end = NULL;
  int64_t number = strtoll(report + strlen(ib->prefix), &end, 10);
  if (*end || number <= 0) goto out;
  if ((result = soc_store_begin(ib->store)) < 0) goto out;
  int fresh = 0;
  result = soc_store_center_decision_once(ib->store, id, number, &fresh);
  if (result < 0 || !fresh) goto done;
  result = soc_store_report_get(ib->store, number, &row);
  if (result == -ENOENT) {
    fprintf(stderr, "socagent: inbox: decision %s is about %s, which this agent does not have\n",
            id, report);
    result = 0;
    goto done;
  }
  if (result < 0 || !(r = fjson_tokener_parse(row.body))) goto done;
  /* the center's clock is not ours: a decision stamped a moment before the
   * incident was known here is skew, not a claim about the past */
  int64_t disc = soc_report_time(r, "event.discovered");
  if (at < disc) at = disc;
  int rc = apply(d, r, kind, by, at, why, sizeof why);
  /* a refused decision is still the center's word: keep it on the report */
  rec = fjson_object_new_object();
  fjson_object_object_add(rec, "id", fjson_object_new_string(id));
  fjson_object_object_add(rec, "kind", fjson_object_new_string(kind));
  fjson_object_object_add(rec, "by", fjson_object_new_string(by));
  fjson_object_object_add(rec, "at", fjson_object_new_string(at_s));
  fjson_object_object_add(rec, "applied", fjson_object_new_boolean(rc == 0));
  if (rc < 0) fjson_object_object_add(rec, "refused", fjson_object_new_string(why));
  fjson_object *list = NULL;
  if (!fjson_object_object_get_ex(r, "center_decisions", &list) ||
      !fjson_object_is_type(list, fjson_type_array)) {
    list = fjson_object_new_array();
    fjson_object_object_add(r, "center_decisions", list);
  }
  fjson_object_array_add(list, fjson_object_get(rec));
  result = soc_report_save(ib->store, r, ib->regime, soc_now_real_ns() / 1000000000LL);
  snprintf(actor, sizeof actor, "center:%.250s", by);
  snprintf(object, sizeof object, "report:%lld", (long long)number);
  if (result == 0)
    result = soc_audit_append_tx(ib->store, actor, "center.decision", object,
                                 fjson_object_to_json_string_ext(d, FJSON_TO_STRING_PLAIN), NULL);
  if (result == 0) {
    fprintf(stderr, "socagent: inbox: report %s: the center's %s by %s %s%s\n", report, kind, by,
            rc == 0 ? "applied" : "refused: ", rc == 0 ? "" : why);
    result = 1;
  }
done:
  if (result >= 0 && soc_store_commit(ib->store) < 0) result = -EIO;
  if (result < 0) {
    soc_store_rollback(ib->store);
    fprintf(stderr, "socagent: inbox: %s; the decision will be read again\n",
            soc_store_errmsg(ib->store));
  }
out:
  if (d) fjson_object_put(d);
  if (r) fjson_object_put(r);
  if (rec) fjson_object_put(rec);
  soc_report_row_clear(&row);
  return result;
}

int soc_inbox_poll(soc_inbox *ib, int timeout_ms) {
  rd_kafka_message_t *msgs[BATCH];
  int applied = 0;
  rd_kafka_message_t *m = rd_kafka_consumer_poll(ib->rk, timeout_ms);
  if (!m) return 0;
  size_t n = 0;
  msgs[n++] = m;
  while (n < BATCH && (m = rd_kafka_consumer_poll(ib->rk, 0))) msgs[n++] = m;
  for (size_t i = 0; i < n; i++) {
    m = msgs[i];
    int rc = 0;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
          m->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        fprintf(stderr, "socagent: inbox: %s\n", rd_kafka_message_errstr(m));
    } else if ((rc = handle(ib, m)) < 0) {
      /* not stored: go back to it, and leave the rest of the batch for then */
      rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(t, rd_kafka_topic_name(m->rkt), m->partition)->offset =
          m->offset;
      rd_kafka_seek_partitions(ib->rk, t, 1000);
      rd_kafka_topic_partition_list_destroy(t);
      for (size_t j = i; j < n; j++) rd_kafka_message_destroy(msgs[j]);
      return rc;
    } else {
      applied += rc;
      rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(t, rd_kafka_topic_name(m->rkt), m->partition)->offset =
          m->offset + 1;
      rd_kafka_offsets_store(ib->rk, t);
      rd_kafka_topic_partition_list_destroy(t);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_commit(ib->rk, NULL, 0); /* synchronous: after the store's commits */
  return applied;
}
