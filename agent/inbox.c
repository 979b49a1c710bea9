/*
 * inbox — applying the technical center's decisions (inbox.h).
 *
 * Anyone who can write to the agency's decision topic could otherwise
 * re-level a report or take a decision id before the center does. So a
 * decision counts only when its signature over (topic, key, payload) is
 * the center's key's (kafka.center_key); anything else is skipped, said
 * and counted (inbox.refused), and does not enter the once-only ledger,
 * so the center's own decision of that id is still applied when it comes.
 */
#include "inbox.h"
#include "analyst.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/audit.h"
#include "soc/center_topic.h"
#include "soc/decision.h"
#include "soc/json_obj.h"
#include "soc/report.h"
#include "soc/sign.h"
#include "soc/tz.h"

#define BATCH 64

struct soc_inbox {
  const soc_config *cfg;
  soc_store *store;
  const soc_regime *regime;
  rd_kafka_t *rk; /* owned */
  char topic[256];
  int has_key;
  soc_sign_pub center; /* kafka.center_key */
  soc_assets *assets;  /* for promotions; NULL when the inventory did not load */
  int64_t refused;
};

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "socagent: inbox: kafka: %s: %s\n", fac, buf);
}

/* The counter goes on from where the last run left it. */
static int find_refused(void *arg, const char *input, const char *name, int64_t value) {
  if (!strcmp(input, "inbox") && !strcmp(name, "refused")) *(int64_t *)arg = value;
  return 0;
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
  /* config.c has checked it */
  ib->has_key =
      cfg->kafka.center_key &&
      soc_sign_pub_parse(cfg->kafka.center_key, strlen(cfg->kafka.center_key), &ib->center) == 0;
  soc_store_counters_scan(store, find_refused, &ib->refused);
  soc_diag *diag = soc_diag_new();
  if (soc_config_load_assets(cfg, &ib->assets, diag) < 0) ib->assets = NULL;
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (!ib->has_key)
    fprintf(stderr,
            "socagent: inbox: kafka.center_key is not set: no decision of the center "
            "will be applied\n");
  if (soc_center_topic(cfg->kafka.topic_prefix, cfg->agent.agency, ib->topic, sizeof ib->topic) < 0)
    goto out;
  snprintf(group, sizeof group, "socagent-%s", cfg->agent.id);
  const char *defaults[][2] = {
      {"bootstrap.servers", cfg->kafka.brokers}, {"group.id", group},
      {"enable.auto.commit", "false"},           {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},         {"client.id", cfg->agent.id}};
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
  soc_assets_free(ib->assets);
  free(ib);
}

/* A notice of the center's view across agencies (a campaign): kept once,
 * for `socctl alerts`; no report changes. Returns 1 kept, 0 known or not
 * one, <0 a store error. */
static int keep_notice(soc_inbox *ib, const soc_decision *d) {
  fjson_object *src = NULL;
  const char *kind = "", *value = "";
  if (fjson_object_object_get_ex(d->doc, "source", &src)) {
    kind = soc_report_str(src, "kind") ? soc_report_str(src, "kind") : "";
    value = soc_report_str(src, "value") ? soc_report_str(src, "value") : "";
  }
  int fresh = 0;
  int rc =
      soc_store_notice_put(ib->store, d->id, d->at_ns, kind, value,
                           fjson_object_to_json_string_ext(d->doc, FJSON_TO_STRING_PLAIN), &fresh);
  if (rc < 0) {
    fprintf(stderr, "socagent: inbox: %s; the notice will be read again\n",
            soc_store_errmsg(ib->store));
    return rc;
  }
  if (fresh)
    fprintf(stderr, "socagent: inbox: the center's notice %s: %s\n", d->id,
            d->reason ? d->reason : "");
  return fresh;
}

/* 1 when m carries the center's signature. */
static int signed_by_center(const soc_inbox *ib, const rd_kafka_message_t *m) {
  rd_kafka_headers_t *h = NULL;
  const void *sig = NULL;
  size_t len = 0;
  if (!ib->has_key || rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(h, "signature", &sig, &len) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return 0;
  return soc_sign_verify(&ib->center, rd_kafka_topic_name(m->rkt), m->key, m->key ? m->key_len : 0,
                         m->payload, m->payload ? m->len : 0, sig, len) == 0;
}

/* A message that is not the center's: said, counted, never applied. */
static void refuse(soc_inbox *ib, const rd_kafka_message_t *m) {
  ib->refused++;
  fprintf(stderr,
          "socagent: inbox: %s [%d] @%lld: not signed by the center's key "
          "(kafka.center_key); ignored\n",
          ib->topic, m->partition, (long long)m->offset);
  /* not worth failing the batch for: the log line above says it too */
  if (soc_store_counter_set(ib->store, "inbox", "refused", ib->refused) < 0)
    fprintf(stderr, "socagent: inbox: %s\n", soc_store_errmsg(ib->store));
}

/* The integers of d's list key after first (0: none) into ids. */
static size_t ids_of(const soc_decision *d, const char *key, int64_t first, int64_t *ids) {
  fjson_object *list = NULL;
  size_t n = 0;
  if (first) ids[n++] = first;
  if (!fjson_object_object_get_ex(d->doc, key, &list) ||
      !fjson_object_is_type(list, fjson_type_array))
    return n;
  for (int i = 0; i < fjson_object_array_length(list) && n < SOC_ANALYST_IDS_MAX; i++) {
    fjson_object *v = fjson_object_array_get_idx(list, i);
    if (fjson_object_is_type(v, fjson_type_int) && fjson_object_get_int64(v) > 0)
      ids[n++] = fjson_object_get_int64(v);
  }
  return n;
}

/* A decision on drafts made in the center's console: agent/analyst.c does
 * it as `socctl confirm` ... would, and the draft's body keeps it, applied
 * or refused, for the center to see. In the caller's transaction. Returns
 * 1 done, <0 a store error. */
static int apply_analyst(soc_inbox *ib, const soc_decision *d, int64_t number) {
  fjson_object *details = fjson_object_new_object();
  soc_analyst a = {.cfg = ib->cfg,
                   .store = ib->store,
                   .regime = ib->regime,
                   .assets = ib->assets,
                   .by = d->by,
                   .record = d->doc,
                   .details = details};
  soc_analyst_result res = {0};
  int64_t ids[SOC_ANALYST_IDS_MAX];
  char actor[300], object[48];
  int rc = -EINVAL;
  const char *k = d->kind;
  if (!strcmp(k, "confirm"))
    rc = soc_analyst_confirm(&a, number, d->level, d->reason, soc_report_str(d->doc, "category"),
                             &res);
  else if (!strcmp(k, "reject"))
    rc = soc_analyst_reject(&a, number, d->reason, &res);
  else if (!strcmp(k, "note"))
    rc = soc_analyst_note(&a, number, soc_report_str(d->doc, "text"), &res);
  else if (!strcmp(k, "assign"))
    rc = soc_analyst_assign(&a, number, soc_report_str(d->doc, "to"), &res);
  else if (!strcmp(k, "merge"))
    rc = soc_analyst_merge(&a, ids, ids_of(d, "drafts", number, ids), &res);
  else if (!ib->assets)
    snprintf(a.why, sizeof a.why, "the asset inventory is not loaded");
  else
    rc = soc_analyst_promote(&a, ids, ids_of(d, "alerts", 0, ids), d->level, &res);
  if (rc == -EIO || rc == -ENOMEM) goto out;
  if (rc < 0) {
    /* the refusal is said in the draft's body, which the center reads; a
     * refused promotion in the open draft that holds its alert, if any (no
     * such alert: only the log line and the audit say it) */
    int64_t on = strcmp(k, "promote") ? number : res.draft;
    if (on && (rc = soc_analyst_refused(&a, on, a.why)) < 0) goto out;
    soc_json_add_str(details, "refused", a.why);
    res.draft = on;
  }
  soc_json_add_str(details, "decision", d->id);
  snprintf(actor, sizeof actor, "center:%.250s", d->by);
  snprintf(object, sizeof object, "draft:%lld", (long long)res.draft);
  rc = soc_audit_append_tx(ib->store, actor, k, object,
                           fjson_object_to_json_string_ext(details, FJSON_TO_STRING_PLAIN), NULL);
  if (rc < 0) goto out;
  fprintf(stderr, "socagent: inbox: %s %s by %s in the console: %s%s\n", k, d->report, d->by,
          soc_report_str(details, "refused") ? "refused: " : "applied",
          soc_report_str(details, "refused") ? a.why : "");
  rc = 1;
out:
  fjson_object_put(details);
  return rc;
}

/* One message: 1 applied, 0 not ours or refused (recorded), <0 store error. */
static int handle(soc_inbox *ib, const rd_kafka_message_t *m) {
  char why[SOC_REPORT_WHY_MAX] = "", actor[300], object[48];
  soc_decision d;
  fjson_object *r = NULL;
  soc_report_row row = {0};
  int result = 0;
  if (!signed_by_center(ib, m)) {
    refuse(ib, m);
    return 0;
  }
  if (soc_decision_parse(m->payload, m->len, &d, why, sizeof why) < 0) {
    fprintf(stderr, "socagent: inbox: %s [%d] @%lld: not a decision (%s); skipped\n", ib->topic,
            m->partition, (long long)m->offset, why);
    return 0;
  }
  if (!strcmp(d.kind, "notice")) {
    result = keep_notice(ib, &d);
    goto out;
  }
  int64_t number = soc_decision_report_number(&d, ib->cfg->agent.id);
  if (!number) goto out; /* another agent's */
  if ((result = soc_store_begin(ib->store)) < 0) goto out;
  int fresh = 0;
  result = soc_store_center_decision_once(ib->store, d.id, number, &fresh);
  if (result < 0 || !fresh) goto done;
  if (soc_decision_on_draft(d.kind)) {
    result = apply_analyst(ib, &d, number);
    goto done;
  }
  result = soc_store_report_get(ib->store, number, &row);
  if (result == -ENOENT) {
    fprintf(stderr, "socagent: inbox: decision %s is about %s, which this agent does not have\n",
            d.id, d.report);
    result = 0;
    goto done;
  }
  if (result < 0 || !(r = fjson_tokener_parse(row.body))) goto done;
  int rc = soc_decision_apply(&d, r, why, sizeof why);
  result = soc_report_save(ib->store, r, ib->regime, soc_now_real_ns() / 1000000000LL);
  snprintf(actor, sizeof actor, "center:%.250s", d.by);
  snprintf(object, sizeof object, "report:%lld", (long long)number);
  if (result == 0)
    result =
        soc_audit_append_tx(ib->store, actor, "center.decision", object,
                            fjson_object_to_json_string_ext(d.doc, FJSON_TO_STRING_PLAIN), NULL);
  if (result == 0) {
    fprintf(stderr, "socagent: inbox: report %s: the center's %s by %s %s%s\n", d.report, d.kind,
            d.by, rc == 0 ? "applied" : "refused: ", rc == 0 ? "" : why);
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
  soc_decision_clear(&d);
  if (r) fjson_object_put(r);
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
