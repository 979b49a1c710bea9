/* center: the technical center's side of the workflow (collector/center.c,
 * lib/store_center_report.c, lib/center_topic.c) on a controlled clock, every
 * time given explicitly: the highest report revision wins and older ones are
 * ignored; notifications for levels 3-4 only, once per level; an overdue
 * supervisor review is flagged once; the center's re-level recomputes the
 * clocks; the support dispatch clock runs from the review; bundles that
 * verify and bundles that fail are filed apart; the summary counts per
 * agency, level and category; the center's topic names for odd agency ids;
 * on PostgreSQL, an agent's broker round trip and its column's migration, and
 * a new day's event partition met by two writers at once.
 * With SOC_TEST_PG_URL (unit.center_pg, tests/unit/center_pg.sh) the same
 * tests run on PostgreSQL (lib/pgstore), each on an emptied database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <libpq-fe.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "center.h"
#include "soc/bundle.h"
#include "soc/center_topic.h"
#include "soc/report.h"
#include "soc/tz.h"
#include "testutil.h"

#define H 3600LL
#define NS 1000000000LL

static int64_t t0; /* discovery: 2026-03-02T01:00Z */

typedef struct fixture {
  soc_collector_config *cfg;
  soc_center *c;
  soc_center_store *s; /* center.db, or NULL on PostgreSQL */
  soc_centerdb *db;    /* over s, or PostgreSQL's */
  soc_regime *g;
} fixture;

/* Runs sql (statements; the last may be a query) on the database at url,
 * on a connection of its own. Returns the first column of the last
 * statement's first row as an integer, 0 when it returned none. */
static int64_t pg_run(const char *url, const char *sql) {
  PGconn *conn = PQconnectdb(url);
  assert_int_equal(PQstatus(conn), CONNECTION_OK);
  PGresult *res = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQerrorMessage(conn));
  int64_t v =
      st == PGRES_TUPLES_OK && PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
  PQclear(res);
  PQfinish(conn);
  return v;
}

/* Drops every table of the database at url: each test starts on an empty
 * one, as it does on a new center.db. */
static void empty_database(const char *url) {
  pg_run(url,
         "SET client_min_messages TO warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public");
}

static int setup(void **state) {
  static int n;
  char yaml[1024], name[32], path[256], err[256];
  fixture *f = calloc(1, sizeof *f);
  soc_diag *d = soc_diag_new();
  assert_non_null(f);
  assert_int_equal(soc_time_parse_ns("2026-03-02T01:00Z", &t0), 0);
  /* a state folder of its own per test: evidence/ is looked at */
  snprintf(name, sizeof name, "c%d", ++n);
  snprintf(path, sizeof path, "%s/%s", test_dir(), name);
  assert_int_equal(mkdir(path, 0700), 0);
  const char *pg = getenv("SOC_TEST_PG_URL");
  if (pg) empty_database(pg);
  snprintf(yaml, sizeof yaml,
           "collector: { id: t, state_dir: %s%s%s%s }\n"
           "center: { regime: tw-2026 }\n"
           "kafka: { brokers: \"127.0.0.1:9\", topic_prefix: soc, group_id: g }\n",
           path, pg ? ", store: \"" : "", pg ? pg : "", pg ? "\"" : "");
  snprintf(name, sizeof name, "c%d.yaml", n);
  int rc = soc_collector_config_load(write_file(name, yaml), 0, &f->cfg, d);
  if (rc) soc_diag_print(d, stderr);
  assert_int_equal(rc, 0);
  soc_diag_free(d);
  assert_int_equal(soc_center_new(f->cfg, &f->c), 0);
  snprintf(path + strlen(path), sizeof path - strlen(path), "/center.db");
  if (pg) {
    assert_int_equal(soc_centerdb_open(f->cfg, &f->db), 0);
  } else {
    assert_int_equal(soc_center_store_open(path, &f->s, err, sizeof err), 0);
    assert_int_equal(soc_centerdb_wrap(f->s, &f->db), 0);
  }
  d = soc_diag_new();
  assert_int_equal(soc_regime_load_named(NULL, "tw-2026", &f->g, d), 0);
  soc_diag_free(d);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  soc_centerdb_free(f->db);
  soc_center_store_close(f->s);
  soc_center_free(f->c);
  soc_regime_free(f->g);
  soc_collector_config_free(f->cfg);
  free(f);
  return 0;
}

/* A confirmed report of agent web01 (id web01/<number>), discovered at t0. */
static fjson_object *new_report(int64_t number, int level, const char *agency,
                                const char *category) {
  char json[1024];
  snprintf(json, sizeof json,
           "{\"id\":%lld,\"rule\":{\"id\":\"SOC-SSH-001\",\"title\":\"SSH brute force\"},"
           "\"key\":\"203.0.113.9\",\"asset\":{\"name\":\"gw\",\"tier\":\"core\"},\"level\":%d,"
           "\"clause\":{\"ref\":\"§2.3\"},\"category\":\"%s\",\"subtype\":\"abnormal login\","
           "\"host\":\"gw01\",\"first_seen\":\"2026-03-02T00:50:00.000Z\","
           "\"last_seen\":\"2026-03-02T00:59:00.000Z\","
           "\"discovered\":\"2026-03-02T01:00:00.000Z\",\"count\":42}",
           (long long)number, level, category);
  soc_report_origin o = {
      .agent_id = "web01", .agency = agency, .authority = 36, .regime = "tw-2026"};
  fjson_object *d = fjson_tokener_parse(json), *r = NULL;
  assert_non_null(d);
  assert_int_equal(soc_report_new(&o, number, d, "amy", t0 + 10 * 60 * NS, &r), 0);
  fjson_object_put(d);
  return r;
}

/* The agent's next revision of r as of at_ns, sent to the center at at_ns.
 * Returns what soc_center_report_in returned; OUT: *dup. */
static int send_as(fixture *f, fjson_object *r, const char *agent, int64_t at_ns, int *dup) {
  char why[256] = "";
  const char *body = fjson_object_to_json_string_ext(r, FJSON_TO_STRING_PLAIN);
  int rc =
      soc_center_report_in(f->c, f->db, agent, body, strlen(body), at_ns, dup, why, sizeof why);
  if (rc == 1) fprintf(stderr, "refused: %s\n", why);
  return rc;
}

static int send(fixture *f, fjson_object *r, int64_t at_ns) {
  int dup = -1;
  assert_int_equal(soc_report_touch(r, f->g, at_ns / NS), 0);
  int rc = send_as(f, r, "web01", at_ns, &dup);
  assert_int_equal(dup, 0);
  return rc;
}

/* Files r at at_ns and sends that revision. */
static void file_and_send(fixture *f, fjson_object *r, int64_t at_ns) {
  char why[SOC_REPORT_WHY_MAX];
  assert_int_equal(soc_report_file(r, "platform", "amy", at_ns, why, sizeof why), 0);
  assert_int_equal(send(f, r, at_ns), 0);
}

typedef struct row_copy {
  int64_t revision, flagged_ns;
  int level;
  char state[32];
  char body[32768]; /* these tests' documents are a few KiB */
} row_copy;

static int copy_row(void *arg, const soc_center_report *r) {
  row_copy *x = arg;
  x->revision = r->revision;
  x->flagged_ns = r->flagged_ns;
  x->level = r->level;
  snprintf(x->state, sizeof x->state, "%s", r->state);
  assert_true(strlen(r->body) < sizeof x->body);
  snprintf(x->body, sizeof x->body, "%s", r->body);
  return 0;
}

static row_copy get(fixture *f, const char *id) {
  row_copy x;
  memset(&x, 0, sizeof x);
  assert_int_equal(soc_centerdb_report_get(f->db, id, copy_row, &x), 0);
  return x;
}

/* The center's view of report id as of now_s. */
static void view(fixture *f, const char *id, int64_t now_s, soc_center_view *v) {
  row_copy x = get(f, id);
  soc_center_report r = {
      .id = id, .agency = "", .state = x.state, .body = x.body, .flagged_ns = x.flagged_ns};
  assert_int_equal(soc_center_view_of(f->c, f->db, &r, now_s, v), 0);
}

static int count_one(void *arg, const char *report, int level, const char *who, int64_t at) {
  (void)report, (void)who, (void)at;
  ((size_t *)arg)[level]++;
  return 0;
}

/* notifications of report id by level (index 0-4) */
static void notes(fixture *f, const char *id, size_t out[5]) {
  memset(out, 0, 5 * sizeof *out);
  assert_int_equal(soc_centerdb_notifications_scan(f->db, id, count_one, out), 0);
}

/* A decision of the center's as center_cli records it. */
static void decide(fixture *f, const char *report, const char *kind, int64_t at_ns,
                   const char *extra) {
  static int64_t n;
  char id[32], body[512];
  snprintf(id, sizeof id, "t/%lld", (long long)++n);
  snprintf(body, sizeof body,
           "{\"id\":\"%s\",\"report\":\"%s\",\"kind\":\"%s\",\"by\":\"TWCERT\"%s}", id, report,
           kind, extra ? extra : "");
  assert_int_equal(
      soc_centerdb_decision_put(f->db, n, id, report, kind, at_ns, "TWCERT", "soc.center.a", body),
      0);
}

static void revisions(void **state) {
  fixture *f = *state;
  int dup = -1;
  fjson_object *r = new_report(1, 2, "Agency A", "intrusion");
  file_and_send(f, r, t0 + 30 * 60 * NS);
  int64_t rev = get(f, "web01/1").revision;
  fjson_object *older = fjson_tokener_parse(fjson_object_to_json_string(r));
  /* a later revision: the agency re-levels to 3 */
  char why[SOC_REPORT_WHY_MAX];
  assert_int_equal(soc_report_relevel(r, 3, "amy", "core data", t0 + H * NS, why, sizeof why), 0);
  assert_int_equal(send(f, r, t0 + H * NS), 0);
  row_copy x = get(f, "web01/1");
  assert_true(x.revision > rev);
  assert_int_equal(x.level, 3);
  /* the older revision, arriving late: kept in the history, not current */
  assert_int_equal(send_as(f, older, "web01", t0 + 2 * H * NS, &dup), 0);
  x = get(f, "web01/1");
  assert_int_equal(x.level, 3);
  assert_true(x.revision > rev);
  /* the same revision again: a duplicate */
  assert_int_equal(send_as(f, r, "web01", t0 + 3 * H * NS, &dup), 0);
  assert_int_equal(dup, 1);
  /* another agent may not speak for web01's report; nor is junk a report */
  assert_int_equal(send_as(f, r, "web02", t0 + 3 * H * NS, &dup), 1);
  char why2[128];
  assert_int_equal(soc_center_report_in(f->c, f->db, "web01", "{\"schema\":\"x\"}", 14, t0, &dup,
                                        why2, sizeof why2),
                   1);
  assert_non_null(strstr(why2, "not a report"));
  fjson_object_put(older);
  fjson_object_put(r);
}

static void notifications_for_3_and_4_only(void **state) {
  fixture *f = *state;
  size_t n[5];
  char why[SOC_REPORT_WHY_MAX];
  fjson_object *low = new_report(2, 2, "Agency A", "intrusion");
  file_and_send(f, low, t0 + 30 * 60 * NS);
  notes(f, "web01/2", n);
  assert_int_equal(n[1] + n[2] + n[3] + n[4], 0);

  fjson_object *high = new_report(3, 3, "Agency A", "intrusion");
  file_and_send(f, high, t0 + 30 * 60 * NS);
  notes(f, "web01/3", n);
  assert_int_equal(n[3], 2); /* the Homeland Security Office and the NSC office */
  /* a later revision at the same level owes nothing more */
  assert_int_equal(soc_report_set(high, "event.description", "more", why, sizeof why), 0);
  assert_int_equal(send(f, high, t0 + H * NS), 0);
  notes(f, "web01/3", n);
  assert_int_equal(n[3], 2);
  /* re-levelled to 4: told again */
  assert_int_equal(
      soc_report_relevel(high, 4, "amy", "secret data", t0 + 2 * H * NS, why, sizeof why), 0);
  assert_int_equal(send(f, high, t0 + 2 * H * NS), 0);
  notes(f, "web01/3", n);
  assert_int_equal(n[3], 2);
  assert_int_equal(n[4], 2);
  fjson_object_put(low);
  fjson_object_put(high);
}

static void overdue_review_flagged(void **state) {
  fixture *f = *state;
  size_t flagged = 99;
  soc_center_view v;
  int64_t filed = t0 + 30 * 60 * NS;
  fjson_object *r = new_report(4, 3, "Agency A", "intrusion");
  file_and_send(f, r, filed);
  /* level 3: the supervisor has 2 h */
  view(f, "web01/4", filed / NS + 2 * H, &v);
  assert_int_equal(v.review_status, SOC_DEADLINE_OPEN);
  assert_int_equal(v.review_due, filed / NS + 2 * H);
  soc_center_view_clear(&v);
  assert_int_equal(soc_center_sweep(f->c, f->db, filed + 2 * H * NS, &flagged), 0);
  assert_int_equal(flagged, 0);
  assert_int_equal(get(f, "web01/4").flagged_ns, 0);
  assert_int_equal(soc_center_sweep(f->c, f->db, filed + (2 * H + 1) * NS, &flagged), 0);
  assert_int_equal(flagged, 1);
  row_copy x = get(f, "web01/4");
  assert_int_equal(x.flagged_ns, filed + (2 * H + 1) * NS);
  /* the first flag stays */
  assert_int_equal(soc_center_sweep(f->c, f->db, filed + 5 * H * NS, &flagged), 0);
  assert_int_equal(flagged, 0);
  assert_int_equal(get(f, "web01/4").flagged_ns, filed + (2 * H + 1) * NS);
  /* a reviewed report is not flagged however late it is looked at */
  fjson_object *ok = new_report(5, 3, "Agency A", "intrusion");
  file_and_send(f, ok, filed);
  decide(f, "web01/5", "review", filed + H * NS, ",\"result\":\"fine\"");
  assert_int_equal(soc_center_sweep(f->c, f->db, filed + 9 * H * NS, &flagged), 0);
  assert_int_equal(flagged, 0);
  fjson_object_put(r);
  fjson_object_put(ok);
}

static void relevel_recomputes_clocks(void **state) {
  fixture *f = *state;
  soc_center_view v;
  int64_t filed = t0 + 30 * 60 * NS;
  fjson_object *r = new_report(6, 2, "Agency A", "intrusion");
  file_and_send(f, r, filed);
  /* level 2: 8 h for the supervisor's review */
  view(f, "web01/6", filed / NS + 3 * H, &v);
  assert_int_equal(v.review_due, filed / NS + 8 * H);
  assert_int_equal(v.review_status, SOC_DEADLINE_OPEN);
  assert_int_equal(v.overdue, 0);
  soc_center_view_clear(&v);
  /* the center raises it to 3: 2 h, so already overdue at +3 h */
  decide(f, "web01/6", "level", filed + H * NS, ",\"level\":3,\"reason\":\"core system\"");
  view(f, "web01/6", filed / NS + 3 * H, &v);
  assert_int_equal(soc_report_level(v.doc), 3);
  assert_int_equal(v.review_due, filed / NS + 2 * H);
  assert_int_equal(v.review_status, SOC_DEADLINE_OVERDUE);
  assert_int_equal(v.overdue, 1);
  soc_center_view_clear(&v);
  /* a re-level of the agency's own, later than the center's, stands */
  char why[SOC_REPORT_WHY_MAX];
  assert_int_equal(
      soc_report_relevel(r, 1, "amy", "false alarm", filed + 2 * H * NS, why, sizeof why), 0);
  assert_int_equal(send(f, r, filed + 2 * H * NS), 0);
  view(f, "web01/6", filed / NS + 3 * H, &v);
  assert_int_equal(soc_report_level(v.doc), 1);
  soc_center_view_clear(&v);
  fjson_object_put(r);
}

static void support_clock(void **state) {
  fixture *f = *state;
  soc_center_view v;
  char why[SOC_REPORT_WHY_MAX];
  int64_t filed = t0 + 30 * 60 * NS, reviewed = filed + H * NS;
  fjson_object *r = new_report(7, 3, "Agency A", "intrusion");
  assert_int_equal(soc_report_set(r, "support.requested", "yes", why, sizeof why), 0);
  file_and_send(f, r, filed);
  view(f, "web01/7", filed / NS + 10 * H, &v);
  assert_true(v.support_requested);
  assert_int_equal(v.support_status, SOC_DEADLINE_WAITING); /* until reviewed */
  soc_center_view_clear(&v);
  decide(f, "web01/7", "review", reviewed, ",\"result\":\"ok\"");
  /* level 3: 1 h from the review */
  view(f, "web01/7", reviewed / NS + H, &v);
  assert_int_equal(v.support_due, reviewed / NS + H);
  assert_int_equal(v.support_status, SOC_DEADLINE_OPEN);
  soc_center_view_clear(&v);
  view(f, "web01/7", reviewed / NS + H + 1, &v);
  assert_int_equal(v.support_status, SOC_DEADLINE_OVERDUE);
  assert_int_equal(v.overdue, 1);
  soc_center_view_clear(&v);
  decide(f, "web01/7", "support", reviewed + 30 * 60 * NS, NULL);
  view(f, "web01/7", reviewed / NS + 5 * H, &v);
  assert_int_equal(v.support_status, SOC_DEADLINE_MET);
  assert_int_equal(v.support_done, reviewed / NS + 30 * 60);
  soc_center_view_clear(&v);
  /* levels 1-2: 2 h */
  fjson_object *low = new_report(8, 1, "Agency A", "intrusion");
  assert_int_equal(soc_report_set(low, "support.requested", "yes", why, sizeof why), 0);
  file_and_send(f, low, filed);
  decide(f, "web01/8", "review", reviewed, ",\"result\":\"ok\"");
  view(f, "web01/8", reviewed / NS, &v);
  assert_int_equal(v.support_due, reviewed / NS + 2 * H);
  soc_center_view_clear(&v);
  /* no support asked: no clock */
  fjson_object *none = new_report(9, 3, "Agency A", "intrusion");
  file_and_send(f, none, filed);
  decide(f, "web01/9", "review", reviewed, ",\"result\":\"ok\"");
  view(f, "web01/9", reviewed / NS + 9 * H, &v);
  assert_false(v.support_requested);
  assert_int_equal(v.support_status, SOC_DEADLINE_WAITING);
  soc_center_view_clear(&v);
  fjson_object_put(r);
  fjson_object_put(low);
  fjson_object_put(none);
}

/* ---- evidence ---- */

typedef struct bag {
  soc_bundle *b;
  const uint8_t *archive;
  size_t len;
  char sha[65];
} bag;

static void make_bag(bag *g, const char *id, const char *content) {
  assert_int_equal(soc_bundle_new(id, 1 << 20, &g->b), 0);
  assert_int_equal(soc_bundle_add(g->b, "logs/auth.log", content, strlen(content)), 0);
  assert_int_equal(soc_bundle_finish(g->b, NULL, "{\"who\":\"amy\"}", &g->archive, &g->len, g->sha),
                   0);
}

static int evidence(fixture *f, const char *json) {
  int dup = -1;
  char why[256] = "";
  int rc =
      soc_center_evidence_in(f->c, f->db, "web01", json, strlen(json), t0, &dup, why, sizeof why);
  if (rc) fprintf(stderr, "evidence: %d %s\n", rc, why);
  return rc;
}

/* Sends manifest of m and the chunks of c (the same bag, or a forgery). */
static void send_bag(fixture *f, const bag *m, const bag *c) {
  char *json = NULL;
  assert_int_equal(soc_bundle_manifest_json(m->b, "web01/10", 512, &json), 0);
  assert_int_equal(evidence(f, json), 0);
  free(json);
  for (size_t i = 0; i < soc_bundle_nchunks(c->b, 512); i++) {
    assert_int_equal(soc_bundle_chunk_json(c->b, "web01/10", 512, i, &json), 0);
    assert_int_equal(evidence(f, json), 0);
    free(json);
  }
}

typedef struct bundle_row {
  char state[16], path[512];
} bundle_row;

static int copy_bundle(void *arg, const soc_center_bundle *b) {
  bundle_row *x = arg;
  snprintf(x->state, sizeof x->state, "%s", b->state);
  snprintf(x->path, sizeof x->path, "%s", b->path);
  return 0;
}

static void evidence_kept_apart(void **state) {
  fixture *f = *state;
  char lines[3000], forged[3000], good_dir[512], failed_dir[512];
  bag good, real, fake;
  bundle_row b;
  struct stat st;
  for (size_t i = 0; i < sizeof lines - 1; i++) lines[i] = (char)('a' + i % 26);
  lines[sizeof lines - 1] = '\0';
  memcpy(forged, lines, sizeof lines);
  forged[1500] = 'Z'; /* the same size: only the content differs */
  make_bag(&good, "web01/b1", lines);
  make_bag(&real, "web01/b2", lines);
  make_bag(&fake, "web01/b2", forged);
  snprintf(good_dir, sizeof good_dir, "%s/evidence/", f->cfg->collector.state_dir);
  snprintf(failed_dir, sizeof failed_dir, "%s/evidence/failed/", f->cfg->collector.state_dir);

  send_bag(f, &good, &good);
  assert_int_equal(soc_centerdb_bundle_get(f->db, "web01/b1", copy_bundle, &b), 0);
  assert_string_equal(b.state, "verified");
  assert_memory_equal(b.path, good_dir, strlen(good_dir));
  assert_null(strstr(b.path, "/failed/"));
  assert_int_equal(stat(b.path, &st), 0);
  assert_int_equal((size_t)st.st_size, good.len);

  /* chunks that hash right one by one but are not the archive the manifest
   * names: rebuilt, refused, filed under failed/ */
  send_bag(f, &real, &fake);
  assert_int_equal(soc_centerdb_bundle_get(f->db, "web01/b2", copy_bundle, &b), 0);
  assert_string_equal(b.state, "failed");
  assert_memory_equal(b.path, failed_dir, strlen(failed_dir));
  assert_int_equal(stat(b.path, &st), 0);

  /* the good one re-checked from disk: still verified; altered on disk: moved apart */
  char what[300];
  assert_int_equal(soc_centerdb_bundle_get(f->db, "web01/b1", copy_bundle, &b), 0);
  assert_int_equal(soc_center_bundle_recheck(f->c, f->db, "web01/b1", t0, what, sizeof what), 0);
  FILE *fp = fopen(b.path, "r+b");
  assert_non_null(fp);
  fseek(fp, 600, SEEK_SET);
  fputc('X', fp);
  fclose(fp);
  assert_int_equal(soc_center_bundle_recheck(f->c, f->db, "web01/b1", t0, what, sizeof what), 1);
  assert_int_equal(soc_centerdb_bundle_get(f->db, "web01/b1", copy_bundle, &b), 0);
  assert_string_equal(b.state, "failed");
  assert_memory_equal(b.path, failed_dir, strlen(failed_dir));
  soc_bundle_free(good.b);
  soc_bundle_free(real.b);
  soc_bundle_free(fake.b);
}

/* ---- the summary ---- */

static void summary_counts(void **state) {
  fixture *f = *state;
  soc_center_sum_row *rows = NULL;
  size_t n = 0;
  int64_t filed = t0 + 30 * 60 * NS;
  fjson_object *r[5] = {
      new_report(11, 3, "Agency B", "intrusion"), new_report(12, 3, "Agency B", "intrusion"),
      new_report(13, 1, "Agency B", "web"), new_report(14, 2, "Agency A", "intrusion"),
      new_report(15, 2, "Agency A", "intrusion")};
  for (int i = 0; i < 5; i++) file_and_send(f, r[i], filed);
  /* one of B's level-3 reports reviewed in time; the center raises one of A's to 3 */
  decide(f, "web01/11", "review", filed + H * NS, ",\"result\":\"ok\"");
  decide(f, "web01/15", "level", filed + H * NS, ",\"level\":3,\"reason\":\"core\"");
  /* 3 h after the filing: level 3 reviews (2 h) are late unless done */
  assert_int_equal(soc_center_summary(f->c, f->db, 0, filed + 3 * H * NS, &rows, &n), 0);
  assert_int_equal(n, 4);
  const char *cat = soc_report_str(r[0], "event.category");
  assert_non_null(cat);
  assert_string_equal(rows[0].agency, "Agency A");
  assert_int_equal(rows[0].level, 2);
  assert_int_equal(rows[0].open, 1);
  assert_int_equal(rows[0].overdue, 0);
  assert_string_equal(rows[1].agency, "Agency A");
  assert_int_equal(rows[1].level, 3);
  assert_int_equal(rows[1].open, 1);
  assert_int_equal(rows[1].overdue, 1);
  assert_string_equal(rows[2].agency, "Agency B");
  assert_int_equal(rows[2].level, 1);
  assert_int_equal(rows[2].open, 1);
  assert_string_equal(rows[3].agency, "Agency B");
  assert_int_equal(rows[3].level, 3);
  assert_string_equal(rows[3].category, cat);
  assert_int_equal(rows[3].open, 2);
  assert_int_equal(rows[3].overdue, 1);
  assert_int_equal(rows[0].closed + rows[1].closed + rows[2].closed + rows[3].closed, 0);
  free(rows);
  /* discovered since after t0: none */
  assert_int_equal(soc_center_summary(f->c, f->db, t0 + NS, filed, &rows, &n), 0);
  assert_int_equal(n, 0);
  free(rows);
  for (int i = 0; i < 5; i++) fjson_object_put(r[i]);
}

/* ---- the outbox ---- */

static int list_pending(void *arg, int64_t n, const char *report, const char *topic,
                        const char *body) {
  int64_t *seen = arg;
  assert_string_equal(topic, "soc.center.a");
  assert_non_null(strstr(body, report));
  seen[seen[0]++ + 1] = n;
  return 0;
}

static void decisions_pending_until_delivered(void **state) {
  fixture *f = *state;
  int64_t seen[4] = {0};
  decide(f, "web01/20", "review", t0, ",\"result\":\"ok\"");
  decide(f, "web01/21", "support", t0, NULL);
  assert_int_equal(soc_centerdb_decisions_pending(f->db, list_pending, seen), 0);
  assert_int_equal(seen[0], 2);
  assert_true(seen[1] < seen[2]); /* oldest first */
  assert_int_equal(soc_centerdb_decision_delivered(f->db, seen[1], t0 + NS), 0);
  int64_t first = seen[1], second = seen[2];
  memset(seen, 0, sizeof seen);
  assert_int_equal(soc_centerdb_decisions_pending(f->db, list_pending, seen), 0);
  assert_int_equal(seen[0], 1);
  assert_int_equal(seen[1], second);
  /* a second acknowledgement (a re-send) changes nothing */
  assert_int_equal(soc_centerdb_decision_delivered(f->db, first, t0 + 9 * NS), 0);
  assert_int_equal(soc_centerdb_decision_delivered(f->db, second, t0 + 2 * NS), 0);
  memset(seen, 0, sizeof seen);
  assert_int_equal(soc_centerdb_decisions_pending(f->db, list_pending, seen), 0);
  assert_int_equal(seen[0], 0);
}

/* ---- two writers on PostgreSQL ---- */

#define WRITER_DECISIONS 40

/* One writer: its own connection, WRITER_DECISIONS decisions numbered and
 * recorded one transaction each, as two operators' socctl or collectors
 * would. Exits 0, or 1 at the first refusal (a number taken twice is a
 * primary key violation of decision.n). */
static void writer(const soc_collector_config *cfg, int w, int go) {
  soc_centerdb *db = NULL;
  char c;
  if (soc_centerdb_open(cfg, &db) < 0 || read(go, &c, 1) != 1) _exit(1);
  for (int i = 0; i < WRITER_DECISIONS; i++) {
    char id[32], body[128];
    int64_t n = 0;
    snprintf(id, sizeof id, "w%d/%d", w, i);
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    if (soc_centerdb_begin(db) < 0) _exit(1);
    int rc = soc_centerdb_decision_next(db, &n);
    sched_yield(); /* the other writer's turn, between the number and its row */
    if (!rc)
      rc = soc_centerdb_decision_put(db, n, id, "web01/1", "notice", t0, "TWCERT", "soc.center.a",
                                     body);
    if (rc || soc_centerdb_commit(db) < 0) {
      fprintf(stderr, "writer %d, decision %d (n %lld): %s\n", w, i, (long long)n,
              soc_centerdb_errmsg(db));
      _exit(1);
    }
  }
  soc_centerdb_free(db);
  _exit(0);
}

static int seen_number(void *arg, int64_t n, const char *report, const char *topic,
                       const char *body) {
  (void)report, (void)topic, (void)body;
  uint8_t *seen = arg;
  assert_in_range(n, 1, 2 * WRITER_DECISIONS);
  assert_int_equal(seen[n], 0);
  seen[n] = 1;
  return 0;
}

/* Decision numbers come from the advisory-locked max(n) + 1: two processes
 * numbering at once, on connections of their own, never get the same
 * number, and the numbers have no gap. PostgreSQL only: center.db has one
 * writer at a time by construction. */
static void decisions_numbered_by_two_writers(void **state) {
  fixture *f = *state;
  int go[2];
  pid_t pid[2];
  uint8_t seen[2 * WRITER_DECISIONS + 1] = {0};
  if (f->s) skip();
  assert_int_equal(pipe(go), 0);
  fflush(NULL);
  for (int w = 0; w < 2; w++) {
    pid[w] = fork();
    assert_true(pid[w] >= 0);
    if (pid[w] == 0) writer(f->cfg, w, go[0]);
  }
  /* both connected before either starts numbering */
  assert_int_equal(write(go[1], "gg", 2), 2);
  for (int w = 0; w < 2; w++) {
    int st = -1;
    assert_int_equal(waitpid(pid[w], &st, 0), pid[w]);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  close(go[0]);
  close(go[1]);
  assert_int_equal(soc_centerdb_decisions_pending(f->db, seen_number, seen), 0);
  for (int n = 1; n <= 2 * WRITER_DECISIONS; n++) assert_int_equal(seen[n], 1);
}

/* Two collectors meeting a new day at once (pg_center.c partition_for):
 * the first makes the day's event partition in its open batch; the second,
 * whose event of that day comes meanwhile, waits for the first's commit and
 * then finds the partition made, which failed its whole batch before (the
 * batch rolled back, a pause, read again). Its batch now goes on and both
 * events are stored. PostgreSQL only: center.db has no partitions. */
#define LOCK_WAITS                                                                \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND " \
  "wait_event_type = 'Lock'"
static void new_day_by_two_writers(void **state) {
  fixture *f = *state;
  const char *url = getenv("SOC_TEST_PG_URL");
  soc_center_origin o = {.topic = "soc.events", .partition = 0, .offset = 1, .received_ns = 1};
  int64_t late = 0;
  int ready[2], go[2];
  char c;
  if (f->s) skip();
  assert_int_equal(pipe(ready), 0);
  assert_int_equal(pipe(go), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* connected, its statements prepared and its batch begun, as a
     * collector that was running already */
    soc_centerdb *db = NULL;
    o.offset = 2;
    int ok = soc_centerdb_open(f->cfg, &db) == 0 && soc_centerdb_begin(db) == 0 &&
             write(ready[1], "r", 1) == 1 && read(go[0], &c, 1) == 1 &&
             soc_centerdb_event_put(db, &o, "e2", "a2", "h", "2026-03-02T02:00:00Z", "{}", 2,
                                    NULL) == 0 &&
             soc_centerdb_flush(db, &late) == 0 && soc_centerdb_commit(db) == 0;
    if (!ok) fprintf(stderr, "the second writer: %s\n", db ? soc_centerdb_errmsg(db) : "no db");
    _exit(ok ? 0 : 1);
  }
  assert_int_equal(read(ready[0], &c, 1), 1);
  assert_int_equal(soc_centerdb_begin(f->db), 0);
  assert_int_equal(
      soc_centerdb_event_put(f->db, &o, "e1", "a1", "h", "2026-03-02T01:00:00Z", "{}", 2, NULL), 0);
  assert_int_equal(write(go[1], "g", 1), 1);
  /* the second writer waits on our transaction's lock before we commit */
  for (int i = 0; i < 1000 && pg_run(url, LOCK_WAITS) == 0; i++) usleep(10000);
  assert_int_equal(pg_run(url, LOCK_WAITS), 1);
  assert_int_equal(soc_centerdb_flush(f->db, &late), 0);
  assert_int_equal(soc_centerdb_commit(f->db), 0);
  int st = -1;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  for (int i = 0; i < 2; i++) {
    close(ready[i]);
    close(go[i]);
  }
  assert_int_equal(pg_run(url, "SELECT count(*) FROM event"), 2);
  assert_int_equal(
      pg_run(url, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'event'::regclass"), 1);
}

/* ---- agents on PostgreSQL ---- */

/* The one agent's row, in words. */
static int agent_words(void *arg, const soc_center_agent *a) {
  snprintf(arg, 256, "%s %s %lld lag %lld audit %lld:%s store %s:%lld counters %s rtt %lld", a->id,
           a->agency, (long long)a->seen_ns, (long long)a->lag_lines, (long long)a->audit_seq,
           a->audit_head, a->store_id, (long long)a->store_block, a->counters,
           (long long)a->broker_rtt_ms);
  return 0;
}

static const char *agent_now(fixture *f, char *words) {
  words[0] = '\0';
  assert_int_equal(soc_centerdb_agents_scan(f->db, agent_words, words), 0);
  return words;
}

/* The brokers' round trip of an agent's last heartbeat: kept as it came,
 * NULL in the table when the heartbeat named none, moved only with the
 * rest of the row; and a database from before the column (its last
 * migration undone) is upgraded in place when a collector opens it, the
 * agent's row whole and its round trip unknown. center.db:
 * unit.store_center. */
static void agent_rtt_on_postgresql(void **state) {
  fixture *f = *state;
  const char *url = getenv("SOC_TEST_PG_URL");
  char words[256];
  if (f->s) skip();
  soc_center_agent a = {.id = "a1",
                        .agency = "x",
                        .version = "1",
                        .seen_ns = 100,
                        .hb_ts = "t",
                        .lag_lines = 12,
                        .broker = "up",
                        .counters = "{}",
                        .audit_seq = 3,
                        .audit_head = "abc",
                        .store_id = "5c0e",
                        .store_block = 7,
                        .broker_rtt_ms = 85};
  assert_int_equal(soc_centerdb_agent_seen(f->db, &a), 0);
  assert_string_equal(agent_now(f, words),
                      "a1 x 100 lag 12 audit 3:abc store 5c0e:7 counters {} rtt 85");
  a.seen_ns = 200;
  a.broker_rtt_ms = -1; /* the agent restarted: none measured yet */
  assert_int_equal(soc_centerdb_agent_seen(f->db, &a), 0);
  assert_string_equal(agent_now(f, words),
                      "a1 x 200 lag 12 audit 3:abc store 5c0e:7 counters {} rtt -1");
  assert_int_equal(pg_run(url, "SELECT count(*) FROM agent WHERE broker_rtt_ms IS NULL"), 1);
  a.seen_ns = 150; /* an old heartbeat replayed */
  a.broker_rtt_ms = 40;
  assert_int_equal(soc_centerdb_agent_seen(f->db, &a), 0);
  assert_string_equal(agent_now(f, words),
                      "a1 x 200 lag 12 audit 3:abc store 5c0e:7 counters {} rtt -1");
  a.seen_ns = 300;
  a.broker_rtt_ms = 0; /* a broker on the same host: known */
  assert_int_equal(soc_centerdb_agent_seen(f->db, &a), 0);
  assert_int_equal(pg_run(url, "SELECT count(*) FROM agent WHERE broker_rtt_ms = 0"), 1);

  /* as the collector before the column left it */
  soc_centerdb_free(f->db);
  f->db = NULL;
  int64_t version = pg_run(url, "SELECT max(version) FROM schema_version");
  pg_run(url,
         "ALTER TABLE agent DROP COLUMN broker_rtt_ms;"
         "DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)");
  assert_int_equal(soc_centerdb_open(f->cfg, &f->db), 0);
  assert_int_equal(pg_run(url, "SELECT max(version) FROM schema_version"), version);
  assert_string_equal(agent_now(f, words),
                      "a1 x 300 lag 12 audit 3:abc store 5c0e:7 counters {} rtt -1");
  assert_int_equal(pg_run(url, "SELECT count(*) FROM agent WHERE broker_rtt_ms IS NULL"), 1);
  a.seen_ns = 400;
  a.broker_rtt_ms = 120;
  assert_int_equal(soc_centerdb_agent_seen(f->db, &a), 0);
  assert_string_equal(agent_now(f, words),
                      "a1 x 400 lag 12 audit 3:abc store 5c0e:7 counters {} rtt 120");
}

/* ---- the center's topics ---- */

static void topic_names(void **state) {
  (void)state;
  char t[SOC_CENTER_TOPIC_MAX + 1];
  /* '_' doubles, so "_xx" can only come from an escaped byte: one-to-one */
  static const char *const cases[][2] = {
      {"moda", "soc.center.moda"},
      {"a_b", "soc.center.a__b"},
      {"a b/c", "soc.center.a_20b_2fc"},
      {"a_20b", "soc.center.a__20b"},
      {"測試_機關", "soc.center._e6_b8_ac_e8_a9_a6___e6_a9_9f_e9_97_9c"},
      {"A.b-9", "soc.center.A.b-9"},
      {"\x01\xff", "soc.center._01_ff"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(soc_center_topic("soc", cases[i][0], t, sizeof t), (int)strlen(cases[i][1]));
    assert_string_equal(t, cases[i][1]);
  }
  /* nothing to name, or no room */
  assert_int_equal(soc_center_topic("soc", "", t, sizeof t), -EINVAL);
  assert_int_equal(soc_center_topic("", "a", t, sizeof t), -EINVAL);
  assert_int_equal(soc_center_topic("soc", NULL, t, sizeof t), -EINVAL);
  assert_int_equal(soc_center_topic("soc", "ab", t, 13), -ENAMETOOLONG);
  assert_int_equal(soc_center_topic("soc", "ab", t, 14), 13);
  assert_string_equal(t, "soc.center.ab");
  char agency[300];
  memset(agency, 'x', sizeof agency - 1);
  agency[sizeof agency - 1] = '\0';
  assert_int_equal(soc_center_topic("soc", agency, t, sizeof t), -ENAMETOOLONG);
  /* Kafka's limit, whatever the buffer: at most SOC_CENTER_TOPIC_MAX */
  agency[SOC_CENTER_TOPIC_MAX - 11] = '\0';
  assert_int_equal(soc_center_topic("soc", agency, t, sizeof t), SOC_CENTER_TOPIC_MAX);
  agency[SOC_CENTER_TOPIC_MAX - 12] = '_';
  assert_int_equal(soc_center_topic("soc", agency, t, sizeof t), -ENAMETOOLONG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(revisions, setup, teardown),
      cmocka_unit_test_setup_teardown(notifications_for_3_and_4_only, setup, teardown),
      cmocka_unit_test_setup_teardown(overdue_review_flagged, setup, teardown),
      cmocka_unit_test_setup_teardown(relevel_recomputes_clocks, setup, teardown),
      cmocka_unit_test_setup_teardown(support_clock, setup, teardown),
      cmocka_unit_test_setup_teardown(evidence_kept_apart, setup, teardown),
      cmocka_unit_test_setup_teardown(summary_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(decisions_pending_until_delivered, setup, teardown),
      cmocka_unit_test_setup_teardown(decisions_numbered_by_two_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(new_day_by_two_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(agent_rtt_on_postgresql, setup, teardown),
      cmocka_unit_test(topic_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
