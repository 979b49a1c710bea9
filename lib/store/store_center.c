/*
 * store_center — the technical center's tables in center.db: events,
 * other topics' messages, the quarantine, agents and counters.
 *
 * The collector commits Kafka offsets only after the SQLite transaction that
 * holds a batch has committed, so after a crash (or a rebalance that moved a
 * partition to another collector) messages come again. Every write here is
 * therefore idempotent:
 *  - an event is keyed by its event.id, which the agent derives from (agent,
 *    source, position), so INSERT OR IGNORE keeps the first copy and a
 *    replay, from Kafka or from the agent's own rewind, is dropped and
 *    counted as a duplicate;
 *  - messages without such an id (alerts, incidents, quarantined junk) are
 *    keyed by where they were read, (topic, partition, offset);
 *  - an agent row moves only forward in time.
 * That is also what lets several collectors share one file: whichever writes
 * a row first wins, the others find it there.
 *
 * The hot path (one insert per message) uses statements prepared once per
 * writer rather than per call; the writer is a separate handle because the
 * store's own statement cache belongs to the agent's modules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/tz.h"
#include "store_internal.h"

enum {
  W_EVENT,
  W_MESSAGE,
  W_QUARANTINE,
  W_AGENT,
  W_COUNTER,
  W_KEY_OF,
  W_PENDING,
  W_ROTATE,
  W_COUNT
};

static const char *const writer_sql[W_COUNT] = {
    [W_EVENT] =
        "INSERT OR IGNORE INTO event(id, agent, host, ts, topic, partition, offset,"
        " received_ns, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [W_MESSAGE] =
        "INSERT OR IGNORE INTO message(topic, partition, offset, agent, key,"
        " received_ns, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [W_QUARANTINE] =
        "INSERT OR IGNORE INTO quarantine(topic, partition, offset, key, reason,"
        " detail, size, received_ns, payload)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    /* The WHERE of the upsert is what keeps a replayed old heartbeat from
     * bringing a silent agent back to life. */
    [W_AGENT] =
        "INSERT INTO agent(id, agency, authority, version, seen_ns, hb_ts, uptime_s,"
        " lag_lines, broker, counters, audit_seq, audit_head, store_id, store_block,"
        " broker_rtt_ms)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " CASE WHEN ?15 >= 0 THEN ?15 END)" /* negative: unknown, NULL */
        " ON CONFLICT(id) DO UPDATE SET agency = excluded.agency,"
        " authority = excluded.authority, version = excluded.version,"
        " seen_ns = excluded.seen_ns, hb_ts = excluded.hb_ts,"
        " uptime_s = excluded.uptime_s, lag_lines = excluded.lag_lines,"
        " broker = excluded.broker, counters = excluded.counters,"
        /* the last heartbeat's, as the lag: unknown again after the agent's
         * restart until its next statistics */
        " broker_rtt_ms = excluded.broker_rtt_ms,"
        /* the audit anchor only moves up: a log cut back cannot lower it */
        " audit_head = CASE WHEN excluded.audit_seq > agent.audit_seq"
        "   THEN excluded.audit_head ELSE agent.audit_head END,"
        " audit_seq = max(agent.audit_seq, excluded.audit_seq),"
        /* another store id, or fewer blocks: the agent's store lost
         * commits (storemark.h); flagged with the time it was seen */
        " store_flag_ns = CASE WHEN excluded.store_id = '' OR agent.store_id = '' THEN"
        "   agent.store_flag_ns WHEN excluded.store_id != agent.store_id"
        "   OR excluded.store_block < agent.store_block THEN excluded.seen_ns"
        "   ELSE agent.store_flag_ns END,"
        " store_flag = CASE WHEN excluded.store_id = '' OR agent.store_id = '' THEN"
        "   agent.store_flag WHEN excluded.store_id != agent.store_id THEN"
        "   printf('store replaced or gone back: id %s with journal blocks up to %d,"
        " now id %s with %d',"
        "     agent.store_id, agent.store_block, excluded.store_id, excluded.store_block)"
        "   WHEN excluded.store_block < agent.store_block THEN"
        "   printf('store went backwards: journal blocks up to %d, after %d',"
        "     excluded.store_block, agent.store_block)"
        "   ELSE agent.store_flag END,"
        " store_id = CASE WHEN excluded.store_id = '' THEN agent.store_id"
        "   ELSE excluded.store_id END,"
        " store_block = CASE WHEN excluded.store_id = '' THEN agent.store_block"
        "   ELSE excluded.store_block END"
        " WHERE excluded.seen_ns > agent.seen_ns",
    [W_COUNTER] =
        "INSERT INTO counter(collector, name, value) VALUES(?1, ?2, ?3)"
        " ON CONFLICT(collector, name) DO UPDATE SET value = value + excluded.value",
    [W_KEY_OF] = "SELECT key, agency, state, prev_key, rotated_ns FROM enrolment WHERE agent = ?1",
    [W_PENDING] =
        "INSERT INTO pending_key(agent, key, first_ns, last_ns, messages)"
        " VALUES(?1, ?2, ?3, ?3, 1) ON CONFLICT(agent, key) DO UPDATE SET"
        " last_ns = max(last_ns, excluded.last_ns), messages = messages + 1",
    [W_ROTATE] =
        "UPDATE enrolment SET prev_key = key, key = ?2, rotated_ns = ?3"
        " WHERE agent = ?1 AND state = '" SOC_CENTER_ENROLLED "' AND key <> ?2",
};

struct soc_center_writer {
  soc_store *s;              /* borrowed */
  sqlite3_stmt *st[W_COUNT]; /* owned */
};

int soc_store_center_writer_new(soc_center_store *c, soc_center_writer **out) {
  soc_store *s = soc_center_conn(c);
  int result = -EINVAL;
  soc_center_writer *w = NULL;
  if (!out) return -EINVAL;
  *out = NULL;
  if (!s) goto out;
  result = -ENOMEM;
  w = calloc(1, sizeof *w);
  if (!w) goto out;
  w->s = s;
  for (int i = 0; i < W_COUNT; i++) {
    int rc =
        sqlite3_prepare_v3(s->db, writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL);
    if (rc != SQLITE_OK) {
      result = soc_store_fail_sql(s, rc, "cannot prepare the center's statements");
      goto out;
    }
  }
  *out = w;
  w = NULL;
  result = 0;
out:
  soc_store_center_writer_free(w);
  return result;
}

void soc_store_center_writer_free(soc_center_writer *w) {
  if (!w) return;
  for (int i = 0; i < W_COUNT; i++) sqlite3_finalize(w->st[i]);
  free(w);
}

/* The statement i, reset and bound as soc_store_bind binds. OUT: *rc, SQLite's code. */
static sqlite3_stmt *stmt(soc_center_writer *w, int i, int *rc, const char *fmt, ...) {
  va_list ap;
  sqlite3_reset(w->st[i]);
  sqlite3_clear_bindings(w->st[i]);
  va_start(ap, fmt);
  *rc = soc_store_bindv(w->st[i], fmt, ap);
  va_end(ap);
  return w->st[i];
}

/* Steps an insert bound with code rc; OUT: *dup 1 when it changed nothing. */
static int step_insert(soc_center_writer *w, sqlite3_stmt *st, int rc, int *dup, const char *what) {
  int changed = 0, result;
  if (rc != SQLITE_OK) {
    result = soc_store_fail_sql(w->s, rc, what);
    sqlite3_reset(st);
    return result;
  }
  result = soc_store_step(w->s, st, what, &changed);
  if (!result && dup) *dup = !changed;
  return result;
}

/* A message's origin binds as "sii". */
#define ORIGIN(o) (o)->topic, (int64_t)(o)->partition, (o)->offset

int soc_store_center_event_put(soc_center_writer *w, const soc_center_origin *o, const char *id,
                               const char *agent, const char *host, const char *ts,
                               const char *body, size_t len, int *dup) {
  if (!w || !o || !id || !agent || !host || !ts || !body) return -EINVAL;
  int rc;
  sqlite3_stmt *st =
      stmt(w, W_EVENT, &rc, "sssssiiit", id, agent, host, ts, ORIGIN(o), o->received_ns, body, len);
  return step_insert(w, st, rc, dup, "cannot store an event");
}

int soc_store_center_message_put(soc_center_writer *w, const soc_center_origin *o,
                                 const char *agent, const void *key, size_t key_len,
                                 const char *body, size_t len, int *dup) {
  if (!w || !o || !agent || !body || (key_len && !key)) return -EINVAL;
  if (key_len > SOC_CENTER_KEY_MAX) key_len = SOC_CENTER_KEY_MAX;
  int rc;
  sqlite3_stmt *st =
      stmt(w, W_MESSAGE, &rc, "siisbit", ORIGIN(o), agent, key, key_len, o->received_ns, body, len);
  return step_insert(w, st, rc, dup, "cannot store a message");
}

int soc_store_center_quarantine_put(soc_center_writer *w, const soc_center_origin *o,
                                    const void *key, size_t key_len, const char *reason,
                                    const char *detail, const void *payload, size_t size,
                                    int *dup) {
  if (!w || !o || !reason || !detail || (key_len && !key) || (size && !payload)) return -EINVAL;
  if (key_len > SOC_CENTER_KEY_MAX) key_len = SOC_CENTER_KEY_MAX;
  size_t head = size < SOC_CENTER_QUARANTINE_HEAD ? size : SOC_CENTER_QUARANTINE_HEAD;
  int rc;
  /* The payload is a blob, not text: what is kept is whatever was sent, broken UTF-8 too. */
  sqlite3_stmt *st = stmt(w, W_QUARANTINE, &rc, "siibssiib", ORIGIN(o), key, key_len, reason,
                          detail, (int64_t)size, o->received_ns, payload, head);
  return step_insert(w, st, rc, dup, "cannot quarantine a message");
}

int soc_store_center_agent_seen(soc_center_writer *w, const soc_center_agent *a) {
  if (!w || !a || !a->id || !a->agency || !a->version || !a->hb_ts || !a->broker || !a->counters)
    return -EINVAL;
  int rc;
  sqlite3_stmt *st = stmt(w, W_AGENT, &rc, "ssisisiississii", a->id, a->agency, a->authority,
                          a->version, a->seen_ns, a->hb_ts, a->uptime_s, a->lag_lines, a->broker,
                          a->counters, a->audit_seq, a->audit_head ? a->audit_head : "",
                          a->store_id ? a->store_id : "", a->store_block, a->broker_rtt_ms);
  return step_insert(w, st, rc, NULL, "cannot record an agent's heartbeat");
}

int soc_store_center_counter_add(soc_center_writer *w, const char *collector, const char *name,
                                 int64_t delta) {
  if (!w || !collector || !name) return -EINVAL;
  if (!delta) return 0;
  int rc;
  sqlite3_stmt *st = stmt(w, W_COUNTER, &rc, "ssi", collector, name, delta);
  return step_insert(w, st, rc, NULL, "cannot update a counter");
}

int soc_store_center_key_of(soc_center_writer *w, const char *agent, soc_center_key_row *out) {
  if (!w || !agent || !out) return -EINVAL;
  int result = -ENOENT, rc;
  sqlite3_stmt *st = stmt(w, W_KEY_OF, &rc, "s", agent);
  memset(out, 0, sizeof *out);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(out->key, sizeof out->key, "%s", soc_store_text(st, 0));
    snprintf(out->agency, sizeof out->agency, "%s", soc_store_text(st, 1));
    out->revoked = strcmp(soc_store_text(st, 2), SOC_CENTER_ENROLLED) != 0;
    snprintf(out->prev_key, sizeof out->prev_key, "%s", soc_store_text(st, 3));
    out->rotated_ns = sqlite3_column_int64(st, 4);
    result = 0;
  } else if (rc != SQLITE_DONE) {
    result = soc_store_fail_sql(w->s, rc, "cannot read an agent's key");
  }
  sqlite3_reset(st);
  return result;
}

int soc_store_center_pending_seen(soc_center_writer *w, const char *agent, const char *key,
                                  int64_t at_ns) {
  if (!w || !agent || !key) return -EINVAL;
  int rc;
  sqlite3_stmt *st = stmt(w, W_PENDING, &rc, "ssi", agent, key, at_ns);
  return step_insert(w, st, rc, NULL, "cannot record a pending key");
}

int soc_store_center_rotate(soc_center_writer *w, const char *agent, const char *key,
                            int64_t at_ns) {
  if (!w || !agent || !key) return -EINVAL;
  int rc;
  sqlite3_stmt *st = stmt(w, W_ROTATE, &rc, "ssi", agent, key, at_ns);
  return step_insert(w, st, rc, NULL, "cannot rotate an agent's key");
}

static int flag_row(sqlite3_stmt *st, void *cap, void *flag) {
  snprintf(flag, *(size_t *)cap, "%s", soc_store_text(st, 0));
  return 1;
}

int soc_store_center_agent_flag(soc_center_store *c, const char *agent, int64_t seen_ns, char *flag,
                                size_t cap) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  flag[0] = '\0';
  int result = soc_store_prep(s, &st, "cannot read an agent's store flag",
                              "SELECT store_flag FROM agent WHERE id = ?1 AND store_flag_ns = ?2"
                              " AND store_flag != ''",
                              "si", agent, seen_ns);
  /* 1 (the row callback's answer) when flagged, 0 when not */
  return result
             ? result
             : soc_store_rows(s, st, "cannot read an agent's store flag", 0, flag_row, &cap, flag);
}

int soc_store_center_alert_add(soc_center_store *c, const char *collector, const char *kind,
                               const char *message) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, "cannot record an alert",
                              "INSERT INTO center_alert(collector, ts_ns, kind, message)"
                              " VALUES(?1, ?2, ?3, ?4)",
                              "siss", collector, soc_now_real_ns(), kind, message);
  return result ? result : soc_store_done(s, st, "cannot record an alert", NULL);
}

static int alert_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_alert_cb)cb)(arg, soc_store_text(st, 0), sqlite3_column_int64(st, 1),
                                   soc_store_text(st, 2), soc_store_text(st, 3));
}

int soc_store_center_alerts_scan(soc_center_store *c, size_t limit, soc_center_alert_cb cb,
                                 void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int result = soc_store_prep(s, &st, "cannot read alerts",
                              "SELECT collector, ts_ns, kind, message FROM (SELECT * FROM"
                              " center_alert ORDER BY id DESC LIMIT ?1) ORDER BY id",
                              "i", limit ? (int64_t)limit : (int64_t)-1);
  return result ? result
                : soc_store_rows(s, st, "cannot read alerts", 0, alert_row, (void *)cb, arg);
}

/* ---- reading ------------------------------------------------------------------- */

int soc_store_center_events_count(soc_center_store *c, const char *agent, int64_t *n) {
  static const char what[] = "cannot count events";
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !n) return -EINVAL;
  int result = soc_store_prep(
      s, &st, what,
      agent ? "SELECT count(*) FROM event WHERE agent = ?1" : "SELECT count(*) FROM event",
      agent ? "s" : "", agent);
  return result ? result : soc_store_rows(s, st, what, -EIO, soc_store_int_row, NULL, n);
}

static int agent_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_center_agent a = {
      .id = soc_store_text(st, 0),
      .agency = soc_store_text(st, 1),
      .authority = sqlite3_column_int64(st, 2),
      .version = soc_store_text(st, 3),
      .seen_ns = sqlite3_column_int64(st, 4),
      .hb_ts = soc_store_text(st, 5),
      .uptime_s = sqlite3_column_int64(st, 6),
      .lag_lines = sqlite3_column_int64(st, 7),
      .broker = soc_store_text(st, 8),
      .counters = soc_store_text(st, 9),
      .audit_seq = sqlite3_column_int64(st, 10),
      .audit_head = soc_store_text(st, 11),
      .store_id = soc_store_text(st, 12),
      .store_block = sqlite3_column_int64(st, 13),
      .store_flag = soc_store_text(st, 14),
      .store_flag_ns = sqlite3_column_int64(st, 15),
      .broker_rtt_ms =
          sqlite3_column_type(st, 16) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 16),
  };
  return ((soc_center_agent_cb)cb)(arg, &a);
}

int soc_store_center_agents_scan(soc_center_store *c, soc_center_agent_cb cb, void *arg) {
  static const char what[] = "cannot read agents";
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT id, agency, authority, version, seen_ns, hb_ts, uptime_s,"
                              " lag_lines, broker, counters, audit_seq, audit_head,"
                              " store_id, store_block, store_flag, store_flag_ns, broker_rtt_ms"
                              " FROM agent ORDER BY id",
                              "");
  return result ? result : soc_store_rows(s, st, what, 0, agent_row, (void *)cb, arg);
}

static int rejected_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_center_rejected r = {
      .topic = soc_store_text(st, 0),
      .partition = sqlite3_column_int(st, 1),
      .offset = sqlite3_column_int64(st, 2),
      .key = sqlite3_column_blob(st, 3),
      .key_len = (size_t)sqlite3_column_bytes(st, 3),
      .reason = soc_store_text(st, 4),
      .detail = soc_store_text(st, 5),
      .size = sqlite3_column_int64(st, 6),
      .received_ns = sqlite3_column_int64(st, 7),
      .payload = sqlite3_column_blob(st, 8),
      .payload_len = (size_t)sqlite3_column_bytes(st, 8),
  };
  return ((soc_center_rejected_cb)cb)(arg, &r);
}

int soc_store_center_quarantine_scan(soc_center_store *c, size_t limit, soc_center_rejected_cb cb,
                                     void *arg) {
  static const char what[] = "cannot read the quarantine";
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(s, &st, what,
                              "SELECT topic, partition, offset, key, reason, detail, size,"
                              " received_ns, payload FROM quarantine"
                              " ORDER BY received_ns, topic, partition, offset LIMIT ?1",
                              "i", limit ? (int64_t)limit : (int64_t)-1);
  return result ? result : soc_store_rows(s, st, what, 0, rejected_row, (void *)cb, arg);
}

static int counter_row(sqlite3_stmt *st, void *cb, void *arg) {
  return ((soc_center_counter_cb)cb)(arg, soc_store_text(st, 0), soc_store_text(st, 1),
                                     sqlite3_column_int64(st, 2));
}

int soc_store_center_counters_scan(soc_center_store *c, soc_center_counter_cb cb, void *arg) {
  static const char what[] = "cannot read counters";
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(
      s, &st, what, "SELECT collector, name, value FROM counter ORDER BY collector, name", "");
  return result ? result : soc_store_rows(s, st, what, 0, counter_row, (void *)cb, arg);
}
