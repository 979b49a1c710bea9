/*
 * Triage's memo of later hits (agent/detect/triage.c, soc_triage_memo): the
 * detector counts a block's later hits of an alert in memory and writes
 * them back once. Nothing may differ from recording each hit with its own
 * queries: the same signals, recorded into two stores with and without a
 * memo, must leave the same alerts (counts, times, drafts), evidence,
 * entities, drafts and outbox rows. The signals mix what the memo must
 * notice: firings between later hits, hits of alerts in open drafts and in
 * decided ones, lines out of time order, alerts that go stale (older than
 * the triage window), hits of a host whose alerts are about a window old,
 * more keys than the memo holds, and a rolled back transaction. A third
 * store records them as the detector does: a later hit first asks the memo
 * alone (soc_triage_memo_hit) with a signal that has no asset, level or
 * entities, and only when the memo can not count it is the whole signal
 * recorded; and, on a connection of its own as the detector's, its memo
 * outlives each commit unless another connection changed an alert or a
 * draft (an analyst moving an alert into a draft): that too must leave the
 * same rows. Between all transactions the ingest commits journal blocks,
 * as in the daemon: they must not void the memo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agentutil.h"
#include "triage.h"

#define SIGNALS 6000
#define PER_TRANSACTION 150
#define RESULT_MAX (4 * 1024 * 1024)
#define EDGE_EVERY 211
#define SCRIPT_EVERY 97

typedef struct side {
  const char *dir;
  soc_ingest *ing;
  soc_store *st;
  soc_triage_memo *memo; /* NULL: every hit asks the store */
  int ask_first;         /* a later hit asks soc_triage_memo_hit first */
  /* the memo outlives the commit (soc_triage_memo_write) while no other
   * connection changes alerts or drafts (soc_store_triage_version), as in
   * the detector, on a store connection of its own (st; else the ingest's) */
  int keep;
  int64_t version; /* before the last commit; -1 after a rollback */
  int drops;       /* transactions that began without the memo */
} side;

static void begin(side *sd) {
  assert_int_equal(soc_store_begin(sd->st), 0);
  int64_t v = -1;
  if (!sd->keep) return;
  assert_int_equal(soc_store_triage_version(sd->st, &v), 0);
  if (v != sd->version) {
    soc_triage_memo_drop(sd->memo);
    sd->drops++;
  }
}

static uint32_t next_rand(uint32_t *s) { /* xorshift32 */
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* Records signal number i (the same for both sides, from the seed). */
static void record(const soc_config *cfg, const soc_assets *assets, side *sd, uint32_t *seed,
                   int64_t *t, int i) {
  /* R-ALONE: alert-only, its entity shared with no other rule, so its
   * firings join no draft and the memo keeps what it knows past them */
  static const char *const rules[] = {"R-PROBE", "R-TAMPER", "R-ALONE"};
  char key[64], host[32], line[96];
  uint32_t r = next_rand(seed);
  int rule = (int)(r % 3), fired = next_rand(seed) % 23 == 0;
  /* 300 keys: more than the memo holds; most hits on a few of them */
  int k = next_rand(seed) % 4 ? (int)(next_rand(seed) % 6) : (int)(next_rand(seed) % 300);
  uint32_t step = next_rand(seed) % 10000;
  /* mostly forward, sometimes back, now and then past the triage window */
  *t += step < 9600 ? (int64_t)(step / 1000) * 1000000000LL
                    : (step < 9990 ? -30LL * 1000000000LL : 2LL * 3600 * 1000000000LL);
  snprintf(host, sizeof host, "host%d", (int)(next_rand(seed) % 2));
  int64_t when = *t;
  if (i % EDGE_EVERY == 0) {
    /* a host whose hits come a triage window apart (exactly, 10 s more, 10 s
     * less), on a clock of their own: whether its rule has an alert recent
     * enough is decided at the window's edge */
    int n = i / EDGE_EVERY;
    snprintf(host, sizeof host, "edge");
    rule = 0;
    k = 0;
    fired = n % 3 == 0;
    when = (agent_t0() + (int64_t)n * 3600 + (n % 3 == 2 ? 10 : 0)) * 1000000000LL;
  }
  snprintf(key, sizeof key, "10.0.0.%d", k);
  if (i % SCRIPT_EVERY >= 1 && i % SCRIPT_EVERY <= 5) {
    /* an alert the memo knows (R-PROBE's, in no draft: fired, then two
     * hits), taken into the draft a firing of R-TAMPER of the same address
     * makes: its next hit belongs to the draft */
    static const int script_rule[] = {0, 0, 0, 1, 0}, script_fired[] = {1, 0, 0, 1, 0};
    int j = i % SCRIPT_EVERY - 1;
    snprintf(host, sizeof host, "script");
    snprintf(key, sizeof key, "10.9.%d.%d", i / SCRIPT_EVERY / 250, i / SCRIPT_EVERY % 250);
    rule = script_rule[j];
    fired = script_fired[j];
  }
  snprintf(line, sizeof line, "line %d of %s", i, key);
  soc_asset_match m;
  soc_level_result lv;
  soc_assets_lookup(assets, host, &m);
  soc_impact imp = {
      .kind = SOC_IMPACT_TAMPER, .tier = SOC_TIER_NON_CORE, .severity = SOC_SEVERITY_MINOR};
  assert_true(soc_level_classify(&imp, 1, &lv) >= 0);
  soc_entity ent = {.kind = rule == 2 ? "user.name" : "source.ip", .value = key};
  soc_evidence_row ev = {.block = i / 8 + 1,
                         .source = "app",
                         .stream = 1,
                         .pos = (uint64_t)i,
                         .ts = when,
                         .line = line,
                         .len = strlen(line)};
  soc_signal s = {.rule_id = rules[rule],
                  .title = rules[rule],
                  .description = "",
                  .category = SOC_CATEGORY_OTHER,
                  .subtype = "",
                  .impact = rule == 1 ? SOC_IMPACT_TAMPER : SOC_IMPACT_NONE,
                  .alert_only = rule != 1,
                  .asset = &m,
                  .level = rule == 1 ? &lv : NULL,
                  .host = host,
                  .module = "app",
                  .key = key,
                  .message = line,
                  .first_ns = when,
                  .last_ns = when,
                  .count = fired ? 3 : 1,
                  .fired = fired,
                  .entities = &ent,
                  .nentities = 1,
                  .evidence = &ev,
                  .nevidence = 1};
  soc_triage_out out;
  if (sd->ask_first && !fired) {
    /* only what the memo reads: a lookup it needed would crash here */
    soc_signal bare = {.rule_id = s.rule_id,
                       .host = s.host,
                       .key = s.key,
                       .first_ns = s.first_ns,
                       .last_ns = s.last_ns,
                       .count = s.count,
                       .evidence = s.evidence,
                       .nevidence = s.nevidence};
    int rc = soc_triage_memo_hit(cfg, sd->st, sd->memo, &bare, &out);
    assert_true(rc == 0 || rc == 1);
    if (rc == 1) return;
    s.memo_asked = 1;
  }
  assert_int_equal(soc_triage_record_memo(cfg, sd->st, sd->memo, &s, &out), 0);
}

/* Everything triage wrote but the clock's start (discovered_ns, now). */
static const char *const result_sql[] = {
    "select group_concat(x, char(10)) from (select id || ' ' || rule || ' ' || key || ' ' || host"
    " || ' ' || level || ' ' || first_ns || ' ' || last_ns || ' ' || count || ' ' || draft || ' '"
    " || body as x from alert order by id)",
    "select group_concat(x, char(10)) from (select alert || ' ' || seq || ' ' || pos || ' ' || ts"
    " || ' ' || line as x from alert_evidence order by alert, seq)",
    "select group_concat(x, char(10)) from (select host || ' ' || kind || ' ' || value || ' ' ||"
    " alert as x from alert_entity order by 1)",
    "select group_concat(x, char(10)) from (select id || ' ' || rule || ' ' || key || ' ' ||"
    " status || ' ' || level || ' ' || first_ns || ' ' || last_ns || ' ' || count as x"
    " from draft order by id)",
    "select group_concat(x, char(10)) from (select draft || ' ' || seq || ' ' || pos || ' ' || line"
    " as x from draft_evidence order by draft, seq)",
    "select group_concat(x, char(10)) from (select id || ' ' || topic || ' ' || key as x"
    " from outbox order by id)",
};

static int oldest(void *arg, const soc_draft_row *r) {
  int64_t *id = arg;
  if (!*id || r->id < *id) *id = r->id;
  return 0;
}

static void decide_oldest(soc_store *st) {
  int64_t id = 0;
  soc_draft_row r;
  assert_int_equal(soc_store_drafts_scan(st, "open", oldest, &id), 0);
  if (!id) return;
  assert_int_equal(soc_store_draft_get(st, id, &r), 0);
  snprintf(r.status, sizeof r.status, "closed");
  assert_int_equal(soc_store_draft_put(st, &r), 0);
  soc_draft_row_clear(&r);
}

static void same_as_without_memo(void **state) {
  (void)state;
  static char got[RESULT_MAX], want[RESULT_MAX];
  side sides[3] = {{.dir = NULL}, {.dir = NULL}, {.ask_first = 1, .keep = 1, .version = -1}};
  int moved = 0, undone = 0; /* the keeping side's analyst writes, its rollbacks */
  soc_config *cfgs[3];
  soc_assets *assets = NULL;
  soc_diag *diag = soc_diag_new();
  for (int i = 0; i < 3; i++) {
    char dirs[3][256];
    snprintf(dirs[i], sizeof dirs[i], "%s", agent_dir(i ? (i == 1 ? "memo" : "ask") : "plain"));
    sides[i].dir = strdup(dirs[i]);
    cfgs[i] = agent_config(sides[i].dir, "brokers: '127.0.0.1:9'", "");
    assert_int_equal(soc_ingest_new(cfgs[i], &sides[i].ing), 0);
    sides[i].st = soc_ingest_store(sides[i].ing);
    if (sides[i].keep) {
      char path[300], err[256];
      snprintf(path, sizeof path, "%s/state/agent.db", sides[i].dir);
      assert_int_equal(soc_store_open(path, 0, &sides[i].st, err, sizeof err), 0);
    }
  }
  assert_int_equal(soc_config_load_assets(cfgs[0], &assets, diag), 0);
  assert_non_null(sides[1].memo = soc_triage_memo_new());
  assert_non_null(sides[2].memo = soc_triage_memo_new());
  for (int i = 0; i < 3; i++) {
    uint32_t seed = 20;
    int64_t t = agent_t0() * 1000000000LL;
    for (int n = 0; n < SIGNALS; n += PER_TRANSACTION) {
      int undo = n / PER_TRANSACTION % 7 == 3; /* this one is rolled back */
      uint32_t seed_before = seed;
      int64_t t_before = t;
      begin(&sides[i]);
      for (int j = n; j < n + PER_TRANSACTION; j++)
        record(cfgs[i], assets, &sides[i], &seed, &t, j);
      if (undo) {
        assert_int_equal(soc_store_rollback(sides[i].st), 0);
        soc_triage_memo_drop(sides[i].memo);
        sides[i].version = -1;
        undone += sides[i].keep;
        seed = seed_before;
        t = t_before;
        begin(&sides[i]);
        for (int j = n; j < n + PER_TRANSACTION; j++)
          record(cfgs[i], assets, &sides[i], &seed, &t, j);
      }
      if (sides[i].keep)
        assert_int_equal(soc_triage_memo_write(sides[i].memo, sides[i].st), 0);
      else
        assert_int_equal(soc_triage_memo_flush(sides[i].memo, sides[i].st), 0);
      /* an analyst decides the oldest open draft now and then */
      if (n / PER_TRANSACTION % 5 == 4) decide_oldest(sides[i].st);
      if (sides[i].keep)
        assert_int_equal(soc_store_triage_version(sides[i].st, &sides[i].version), 0);
      assert_int_equal(soc_store_commit(sides[i].st), 0);
      /* and, on a connection of their own, puts the busiest alert of no
       * draft into the newest open draft: what the memo knew of it is void */
      if (n / PER_TRANSACTION % 3 == 1) {
        int64_t before = agent_db_int(sides[i].dir, "select n from triage_version");
        agent_db_exec(
            sides[i].dir,
            "update alert set draft = (select max(id) from draft where status = 'open')"
            " where id = (select id from alert where draft = 0 order by count desc, id limit 1)"
            " and exists (select 1 from draft where status = 'open')");
        if (sides[i].keep)
          moved += agent_db_int(sides[i].dir, "select n from triage_version") != before;
      }
      /* the ingest's lines land in between, as in the daemon */
      agent_log(sides[i].dir, "app.log", n, n + 9, "between");
      assert_int_equal(soc_ingest_oneshot(sides[i].ing), 0);
    }
  }
  assert_true(agent_db_int(sides[1].dir, "select max(count) from alert") > 30);
  assert_true(agent_db_int(sides[1].dir, "select count(*) from draft") > 1);
  assert_true(agent_db_int(sides[1].dir, "select count(*) from draft where status = 'closed'") > 0);
  /* the memo was dropped at the first transaction, after each rollback and
   * after each analyst's write, never for the journal's commits */
  assert_true(agent_db_int(sides[2].dir, "select count(*) from journal_block") >=
              SIGNALS / PER_TRANSACTION);
  assert_true(moved > 3);
  assert_int_equal(sides[2].drops, 1 + undone + moved);
  for (size_t q = 0; q < sizeof result_sql / sizeof *result_sql; q++) {
    agent_db_text(sides[0].dir, result_sql[q], want, sizeof want);
    for (int i = 1; i < 3; i++) {
      agent_db_text(sides[i].dir, result_sql[q], got, sizeof got);
      if (strcmp(got, want))
        fail_msg("with the memo%s, %s differs", i == 2 ? " asked first" : "", result_sql[q]);
    }
  }
  soc_triage_memo_free(sides[1].memo);
  soc_triage_memo_free(sides[2].memo);
  soc_store_close(sides[2].st);
  for (int i = 0; i < 3; i++) {
    soc_ingest_free(sides[i].ing);
    soc_config_free(cfgs[i]);
    free((void *)sides[i].dir);
  }
  soc_assets_free(assets);
  soc_diag_free(diag);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_as_without_memo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
