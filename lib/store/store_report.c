/*
 * store_report — the report table and the two "once" ledgers of the
 * reporting workflow: which deadline alerts were raised, and which of the
 * technical center's decisions were applied. Both are what make the
 * workflow safe to re-run: the daemon's clock check and a replayed Kafka
 * message can come twice, the alert and the decision only land once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "soc/tz.h"

#define REPORT_COLUMNS "id, state, level, revision, discovered_ns, updated_ns, body"

void soc_report_row_clear(soc_report_row *row) {
  free(row->body);
  memset(row, 0, sizeof *row);
}

/* Fills out from the current row of st; -ENOMEM when the body cannot be copied. */
static int read_row(sqlite3_stmt *st, soc_report_row *out) {
  memset(out, 0, sizeof *out);
  out->id = sqlite3_column_int64(st, 0);
  snprintf(out->state, sizeof out->state, "%s", soc_store_text(st, 1));
  out->level = sqlite3_column_int(st, 2);
  out->revision = sqlite3_column_int64(st, 3);
  out->discovered_ns = sqlite3_column_int64(st, 4);
  out->updated_ns = sqlite3_column_int64(st, 5);
  out->body = strdup(soc_store_text(st, 6));
  return out->body ? 0 : -ENOMEM;
}

int soc_store_report_get(soc_store *s, int64_t id, soc_report_row *out) {
  static const char what[] = "cannot read a report";
  sqlite3_stmt *st = NULL;
  memset(out, 0, sizeof *out);
  int result =
      soc_store_prep(s, &st, what, "SELECT " REPORT_COLUMNS " FROM report WHERE id = ?1", "i", id);
  if (result < 0) return result;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    result = read_row(st, out) < 0 ? soc_store_fail(s, -ENOMEM, "out of memory") : 0;
  else if (rc == SQLITE_DONE)
    result = -ENOENT;
  else
    result = soc_store_fail_sql(s, rc, what);
  sqlite3_finalize(st);
  return result;
}

int soc_store_report_put(soc_store *s, const soc_report_row *r) {
  static const char what[] = "cannot write a report";
  sqlite3_stmt *st = NULL;
  int rc = soc_store_prep(s, &st, what,
                          "INSERT OR REPLACE INTO report(" REPORT_COLUMNS
                          ") VALUES(?1,?2,?3,?4,?5,?6,?7)",
                          "isiiiis", r->id, r->state, (int64_t)r->level, r->revision,
                          r->discovered_ns, r->updated_ns, r->body ? r->body : "{}");
  if (rc < 0) return rc;
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}

int soc_store_reports_scan(soc_store *s, const char *state, soc_report_cb cb, void *arg) {
  static const char what[] = "cannot read reports";
  sqlite3_stmt *st = NULL;
  soc_report_row row;
  int result = soc_store_prep(s, &st, what,
                              "SELECT " REPORT_COLUMNS
                              " FROM report WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
                              "s", state);
  if (result < 0) return result;
  int rc = SQLITE_DONE;
  while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (read_row(st, &row) < 0) {
      result = soc_store_fail(s, -ENOMEM, "out of memory");
      break;
    }
    result = cb(arg, &row);
    soc_report_row_clear(&row);
  }
  sqlite3_finalize(st);
  if (result) return result;
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}

/* Runs an INSERT OR IGNORE already prepared and bound; *fresh = whether a
 * row went in. Finalizes st. */
static int insert_once(soc_store *s, sqlite3_stmt *st, int *fresh, const char *what) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) *fresh = sqlite3_changes(s->db) > 0;
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
}

int soc_store_deadline_alert_once(soc_store *s, int64_t report, const char *step, const char *kind,
                                  int64_t due, int *fresh) {
  static const char what[] = "cannot record a deadline alert";
  sqlite3_stmt *st = NULL;
  *fresh = 0;
  int rc = soc_store_prep(s, &st, what,
                          "INSERT OR IGNORE INTO deadline_alert(report, step, kind, due,"
                          " raised_ns) VALUES(?1, ?2, ?3, ?4, ?5)",
                          "issii", report, step, kind, due, soc_now_real_ns());
  return rc < 0 ? rc : insert_once(s, st, fresh, what);
}

int soc_store_center_decision_once(soc_store *s, const char *id, int64_t report, int *fresh) {
  static const char what[] = "cannot record a center decision";
  sqlite3_stmt *st = NULL;
  *fresh = 0;
  int rc = soc_store_prep(s, &st, what,
                          "INSERT OR IGNORE INTO center_decision(id, report, applied_ns)"
                          " VALUES(?1, ?2, ?3)",
                          "sii", id, report, soc_now_real_ns());
  return rc < 0 ? rc : insert_once(s, st, fresh, what);
}
