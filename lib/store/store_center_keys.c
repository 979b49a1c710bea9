/*
 * store_center_keys — enrolment in center.db: which key speaks for which
 * agent id, revocations, the keys nobody enrolled yet, and the evidence
 * chunks whose manifest never came (store.h says what each call promises).
 *
 * These are operator commands and a sweep, not the hot path: statements
 * are prepared per call. The per-message lookups (a key by agent id, a
 * pending key seen again) are the writer's, in store_center.c.
 */
#include <errno.h>
#include <string.h>

#include "store_internal.h"

int soc_store_center_enrol(soc_center_store *c, const soc_center_enrolment *e) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !e || !e->agent || !e->key || !e->agency || !e->by || !e->os_user) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot enrol an agent",
      "INSERT OR REPLACE INTO enrolment(agent, key, agency, state, by, os_user, at_ns)"
      " VALUES(?1, ?2, ?3, '" SOC_CENTER_ENROLLED "', ?4, ?5, ?6)",
      "sssssi", e->agent, e->key, e->agency, e->by, e->os_user, e->at_ns);
  if (!result) result = soc_store_done(s, st, "cannot enrol an agent", NULL);
  if (!result)
    result = soc_store_prep(s, &st, "cannot clear a pending key",
                            "DELETE FROM pending_key WHERE agent = ?1 AND key = ?2", "ss", e->agent,
                            e->key);
  if (!result) result = soc_store_done(s, st, "cannot clear a pending key", NULL);
  return result;
}

int soc_store_center_revoke(soc_center_store *c, const char *agent, const char *by,
                            const char *os_user, int64_t at_ns) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int changed = 0;
  if (!s || !agent || !by || !os_user) return -EINVAL;
  int result = soc_store_prep(s, &st, "cannot revoke a key",
                              "UPDATE enrolment SET state = '" SOC_CENTER_REVOKED
                              "', by = ?2,"
                              " os_user = ?3, at_ns = ?4, prev_key = '' WHERE agent = ?1",
                              "sssi", agent, by, os_user, at_ns);
  if (!result) result = soc_store_done(s, st, "cannot revoke a key", &changed);
  if (!result && !changed) result = soc_store_fail(s, -ENOENT, "agent '%s' is not enrolled", agent);
  return result;
}

static int enrolment_row(sqlite3_stmt *st, void *cb, void *arg) {
  soc_center_enrolment e = {.agent = soc_store_text(st, 0),
                            .key = soc_store_text(st, 1),
                            .agency = soc_store_text(st, 2),
                            .state = soc_store_text(st, 3),
                            .by = soc_store_text(st, 4),
                            .os_user = soc_store_text(st, 5),
                            .at_ns = sqlite3_column_int64(st, 6),
                            .last_ns = sqlite3_column_int64(st, 7),
                            .messages = sqlite3_column_int64(st, 8),
                            .prev_key = soc_store_text(st, 10),
                            .rotated_ns = sqlite3_column_int64(st, 11)};
  return ((soc_center_enrolment_cb)cb)(arg, &e);
}

int soc_store_center_enrolments_scan(soc_center_store *c, soc_center_enrolment_cb cb, void *arg) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  if (!s || !cb) return -EINVAL;
  int result = soc_store_prep(
      s, &st, "cannot read the enrolments",
      "SELECT agent, key, agency, state, by, os_user, at_ns, 0, 0, 0 AS o, prev_key, rotated_ns"
      " FROM enrolment UNION ALL SELECT agent, key, '', '" SOC_CENTER_PENDING
      "', '', '',"
      " first_ns, last_ns, messages, 1 AS o, '', 0 FROM pending_key ORDER BY o, agent, key",
      NULL);
  return result ? result
                : soc_store_rows(s, st, "cannot read the enrolments", 0, enrolment_row, (void *)cb,
                                 arg);
}

static int count_row(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  int64_t *out = arg;
  out[0] = sqlite3_column_int64(st, 0);
  out[1] = sqlite3_column_int64(st, 1);
  return 0;
}

int soc_store_center_orphans_expire(soc_center_store *c, int64_t before_ns, int64_t *chunks,
                                    int64_t *bytes) {
  soc_store *s = soc_center_conn(c);
  sqlite3_stmt *st = NULL;
  int64_t found[2] = {0, 0};
  if (!s || !chunks || !bytes) return -EINVAL;
#define ORPHANS \
  " FROM evidence_chunk WHERE received_ns < ?1 AND bundle NOT IN (SELECT id FROM bundle)"
  int result =
      soc_store_prep(s, &st, "cannot count orphan chunks",
                     "SELECT count(*), coalesce(sum(length(data)), 0)" ORPHANS, "i", before_ns);
  if (!result)
    result = soc_store_rows(s, st, "cannot count orphan chunks", 0, count_row, NULL, found);
  if (!result && found[0])
    result =
        soc_store_prep(s, &st, "cannot expire orphan chunks", "DELETE" ORPHANS, "i", before_ns);
  if (!result && found[0]) result = soc_store_done(s, st, "cannot expire orphan chunks", NULL);
#undef ORPHANS
  *chunks = result ? 0 : found[0];
  *bytes = result ? 0 : found[1];
  return result;
}
