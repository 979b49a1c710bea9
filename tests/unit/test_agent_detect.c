/*
 * The detector's transaction (agent/detect/detect.c): the rule hits,
 * correlation state, drafts, evidence and outbox messages of one or a few
 * journal blocks and the detector's cursor are committed together. Blocks
 * whose commit fails leave nothing behind, in the store or in the detector's memory
 * (the correlator, the counters, the recent hits that become a draft's
 * evidence), so detection that goes on afterwards ends exactly where a run
 * without the failure ends — wherever the failure falls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "agentutil.h"
#include "detect.h"
#include "ingest.h"
#include "normalize.h"
#include "soc/access_log.h"
#include "soc/rules.h"
#include "soc/store.h"

#define SUMMARY_MAX 16384
#define CUT_EVERY 15 /* journal blocks between two places a commit fails */

static char journal_dir[256]; /* loghub's OpenSSH sample, journaled, not yet detected */

static soc_config *config_of(const char *dir) {
  char extra[512];
  snprintf(extra, sizeof extra, "rules: { log: [ '%s/rules/log/*.yaml' ] }\n", SOC_SOURCE_DIR);
  return agent_config(dir, "brokers: '127.0.0.1:9'", extra);
}

static int setup(void **state) {
  char cmd[1024];
  (void)state;
  snprintf(journal_dir, sizeof journal_dir, "%s", agent_dir("journal"));
  soc_config *cfg = config_of(journal_dir);
  snprintf(cmd, sizeof cmd, "cp %s/logs/OpenSSH_2k.log %s/logs/", SOC_TEST_DATA, journal_dir);
  if (system(cmd) != 0) return -1;
  soc_ingest *ing = NULL;
  int rc = soc_ingest_new(cfg, &ing);
  if (rc == 0) rc = soc_ingest_oneshot(ing);
  soc_ingest_free(ing);
  soc_config_free(cfg);
  return rc;
}

/* A fresh agent folder name holding a copy of the journal. OUT: dir. */
static soc_config *copy_of_journal(const char *name, char *dir, size_t len) {
  char sql[600], state[300];
  snprintf(dir, len, "%s", agent_dir(name));
  snprintf(state, sizeof state, "%s/state", dir);
  assert_int_equal(mkdir(state, 0700), 0);
  snprintf(sql, sizeof sql, "VACUUM INTO '%s/agent.db'", state);
  agent_db_exec(journal_dir, sql);
  return config_of(dir);
}

/* The correlation state as the detector reads it back (the scan of every
 * form it is saved in): how many keys, and an FNV-1a digest of each key's
 * rule, key and state in scan order. */
typedef struct {
  int64_t keys;
  uint64_t digest;
} state_sum;

static void digest(state_sum *sum, const void *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    sum->digest = (sum->digest ^ ((const uint8_t *)p)[i]) * 1099511628211u;
}

static int sum_state(void *arg, const char *rule, const char *key, const void *blob, size_t len) {
  state_sum *sum = arg;
  sum->keys++;
  digest(sum, rule, strlen(rule) + 1);
  digest(sum, key, strlen(key) + 1);
  digest(sum, blob, len);
  return 0;
}

static state_sum state_of(const char *dir) {
  char path[400], err[256];
  state_sum sum = {0, 14695981039346656037u};
  soc_store *s = NULL;
  snprintf(path, sizeof path, "%s/state/agent.db", dir);
  assert_int_equal(soc_store_open(path, SOC_STORE_AGENT, &s, err, sizeof err), 0);
  assert_int_equal(soc_store_detect_state_scan(s, sum_state, &sum), 0);
  soc_store_close(s);
  return sum;
}

/* What detection left in the store, as one comparable text: the alerts and
 * drafts, their evidence (rows, distinct positions and distinct line texts:
 * a rolled back block must not leave remembered lines garbled), the outbox, the
 * detector's counters and the correlation state. */
static void summary(const char *dir, char *out, size_t len) {
  char alerts[SUMMARY_MAX / 4], drafts[SUMMARY_MAX / 4], evidence[SUMMARY_MAX / 8],
      alert_evidence[SUMMARY_MAX / 8], counters[256];
  state_sum st = state_of(dir);
  agent_db_text(dir,
                "select group_concat(name || '=' || value, ' ') from (select * from counter"
                " where input = 'detect' order by name)",
                counters, sizeof counters);
  agent_db_text(dir,
                "select group_concat(rule || ' ' || key || ' ' || count || ' ' || draft, '; ') "
                "from (select * from alert order by rule, key, id)",
                alerts, sizeof alerts);
  agent_db_text(dir,
                "select group_concat(n, ' ') from (select alert || ':' || count(*) || '/' || "
                "count(distinct block || '.' || pos) || '/' || count(distinct line) as n "
                "from alert_evidence group by alert "
                "order by alert)",
                alert_evidence, sizeof alert_evidence);
  agent_db_text(dir,
                "select group_concat(rule || ' ' || key || ' ' || level || ' ' || count, '; ') "
                "from (select * from draft order by rule, key, id)",
                drafts, sizeof drafts);
  agent_db_text(dir,
                "select group_concat(n, ' ') from (select draft || ':' || count(*) || '/' || "
                "count(distinct block || '.' || pos) || '/' || count(distinct line) as n "
                "from draft_evidence group by draft "
                "order by draft)",
                evidence, sizeof evidence);
  snprintf(out, len,
           "alerts: %s | evidence %s | drafts: %s | evidence %s | outbox %lld | hits %s | "
           "state %lld keys, %016llx",
           alerts, alert_evidence, drafts, evidence,
           (long long)agent_db_int(dir, "select count(*) from outbox"), counters,
           (long long)st.keys, (unsigned long long)st.digest);
}

static void assert_same(const char *what, const char *got, const char *want) {
  if (strcmp(got, want)) {
    fprintf(stderr, "%s:\n%s\nwithout a failure:\n%s\n", what, got, want);
    fail_msg("%s: detection differs from a run without a failure", what);
  }
}

/* A copy of the calm run's detection in dir, done once per test. OUT: the
 * summary in calm; returns the journal's last block. */
static int64_t calm_run(const char *name, char *dir, size_t len, char *calm) {
  soc_config *cfg = copy_of_journal(name, dir, len);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  soc_config_free(cfg);
  summary(dir, calm, SUMMARY_MAX);
  return agent_db_int(dir, "select max(id) from journal_block");
}

/* A fresh copy of the journal, named prefix-cut, where the transaction
 * that holds block cut (or a later one) fails until the triggers are
 * dropped: at its cursor's write, or with at_commit at its commit (the
 * correlation state's row, after the counters). OUT: dir. */
static soc_config *failing_copy(const char *prefix, int64_t cut, int at_commit, char *dir,
                                size_t len) {
  char sql[768], name[32];
  snprintf(name, sizeof name, "%s-%lld", prefix, (long long)cut);
  soc_config *cfg = copy_of_journal(name, dir, len);
  if (at_commit)
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER no_cursor_i BEFORE INSERT ON detect_state_pack WHEN (SELECT"
             " CAST(value AS INTEGER) FROM meta WHERE key = 'detect.cursor') >= %lld"
             " BEGIN SELECT RAISE(ABORT, 'injected'); END;"
             "CREATE TRIGGER no_cursor_u BEFORE UPDATE ON detect_state_pack"
             " BEGIN SELECT RAISE(ABORT, 'injected'); END;",
             (long long)cut);
  else
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER no_cursor_i BEFORE INSERT ON meta WHEN NEW.key = 'detect.cursor' AND "
             "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;"
             "CREATE TRIGGER no_cursor_u BEFORE UPDATE ON meta WHEN NEW.key = 'detect.cursor' AND "
             "CAST(NEW.value AS INTEGER) >= %lld BEGIN SELECT RAISE(ABORT, 'injected'); END;",
             (long long)cut, (long long)cut);
  agent_db_exec(dir, sql);
  return cfg;
}

static void failed_block_is_undone(void **state) {
  (void)state;
  char dir[256], what[64];
  static char calm[SUMMARY_MAX], crashed[SUMMARY_MAX];
  soc_config *cfg = NULL;
  soc_detect *d = NULL;

  int64_t last = calm_run("calm", dir, sizeof dir, calm);
  /* the sample's attempts make alerts (they make drafts only with impact) */
  assert_true(agent_db_int(dir, "select count(*) from alert") > 0);

  for (int64_t cut = 2; cut < last; cut += CUT_EVERY) {
    /* every other one fails at its commit, after its counters were written */
    int at_commit = (int)(cut / CUT_EVERY % 2);
    snprintf(what, sizeof what, "block %lld failed once%s", (long long)cut,
             at_commit ? " at its commit" : "");
    cfg = failing_copy("cut", cut, at_commit, dir, sizeof dir);
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_true(soc_detect_drain(d) < 0);
    /* the blocks before that transaction are committed, nothing of it */
    assert_true(agent_db_int(dir,
                             "select coalesce((select value from meta where key = "
                             "'detect.cursor'), 0)") < cut);
    /* the same detector goes on once the store takes the commit again */
    agent_db_exec(dir, "DROP TRIGGER no_cursor_i; DROP TRIGGER no_cursor_u;");
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    assert_int_equal(agent_db_int(dir, "select value from meta where key = 'detect.cursor'"), last);
    summary(dir, crashed, sizeof crashed);
    assert_same(what, crashed, calm);

    /* and a drain with nothing new changes nothing */
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    summary(dir, crashed, sizeof crashed);
    assert_same(what, crashed, calm);
    soc_config_free(cfg);
  }
}

/* The summary without what a new detector does not take over: the hits
 * counter (counted from its start) and the alerts' evidence (the hits a
 * detector remembers for it are in its memory only). */
static void restart_view(char *text) {
  static const char *const cuts[][2] = {{" | evidence ", " | drafts: "}, {" | hits ", " | state "}};
  for (size_t i = 0; i < 2; i++) {
    char *from = strstr(text, cuts[i][0]), *to = from ? strstr(from, cuts[i][1]) : NULL;
    if (to) memmove(from, to, strlen(to) + 1);
  }
}

/* A detector that stops in the middle of the input (its transaction
 * holding block cut failed, then it went away) and a new one that goes on
 * from what the first committed: the new one reads the correlation state
 * back from the store (every key the OpenSSH sample's brute-force rules
 * count, packed a transaction to a row), so it ends with the same
 * alerts, counts, outbox and state as one run through. */
static void restart_is_seamless(void **state) {
  (void)state;
  static char calm[SUMMARY_MAX], restarted[SUMMARY_MAX];
  char dir[256], what[64];
  soc_detect *d = NULL;

  int64_t last = calm_run("calm2", dir, sizeof dir, calm);
  restart_view(calm);
  assert_true(state_of(dir).keys > 1);

  for (int64_t cut = 70; cut < last; cut += 2 * CUT_EVERY + 1) {
    snprintf(what, sizeof what, "restarted at block %lld", (long long)cut);
    soc_config *cfg = failing_copy("restart", cut, 0, dir, sizeof dir);
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_true(soc_detect_drain(d) < 0);
    soc_detect_free(d);
    int64_t cursor = agent_db_int(dir, "select value from meta where key = 'detect.cursor'");
    assert_true(cursor > 0 && cursor < cut); /* some state committed, not all */
    agent_db_exec(dir, "DROP TRIGGER no_cursor_i; DROP TRIGGER no_cursor_u;");
    assert_int_equal(soc_detect_new(cfg, &d), 0);
    assert_int_equal(soc_detect_drain(d), 0);
    soc_detect_free(d);
    summary(dir, restarted, sizeof restarted);
    restart_view(restarted);
    assert_same(what, restarted, calm);
    soc_config_free(cfg);
  }
}

/* Values near and past the bounds of what a hit keeps: a key of group_by
 * values (SOC_CORRELATE_KEY_MAX bytes) and an entity's value (255 bytes),
 * each cut to its buffer. A later hit finds its key's alert only by the
 * key as cut, so every hit of a key of up to 512 bytes counts on one
 * alert; an entity keeps the value's first 255 bytes. */
static void long_values_cut(void **state) {
  (void)state;
  static const size_t lens[] = {250, 254, 255, 256, 300, 500, 501, 502};
  char dir[256], path[400], rules[600], extra[800], user[600];
  snprintf(dir, sizeof dir, "%s", agent_dir("long"));
  snprintf(rules, sizeof rules, "%s/long.yaml", dir);
  FILE *f = fopen(rules, "w");
  assert_non_null(f);
  fputs(
      "- id: LONG\n  title: t\n  match:\n    all:\n      - regex: 'user (?<u>\\S+) from "
      "(?<ip>\\S+)'\n    captures: { u: user.name, ip: source.ip }\n"
      "  correlate: { group_by: [ user.name, source.ip ], count: 2, within: 1h }\n"
      "  incident: { category: intrusion, impact: none, group_by: [ user.name ] }\n",
      f);
  fclose(f);
  snprintf(path, sizeof path, "%s/logs/long.log", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  for (int round = 0; round < 3; round++)
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
      memset(user, 'a' + (int)i, lens[i]);
      user[lens[i]] = '\0';
      fprintf(f, "Nov 25 08:00:%02d web01 sshd[1]: Failed password for user %s from 192.0.2.1\n",
              round, user);
    }
  fclose(f);
  snprintf(extra, sizeof extra, "rules: { log: [ '%s' ] }\n", rules);
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", extra);
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_ingest_free(ing);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  assert_int_equal(soc_detect_drain(d), 0);
  soc_detect_free(d);
  soc_config_free(cfg);
  /* "user|192.0.2.1": up to 502 + 10 bytes, the key's 512 */
  assert_int_equal(agent_db_int(dir, "select count(*) from alert"), 8);
  assert_int_equal(agent_db_int(dir, "select count(*) from alert where count = 3"), 8);
  assert_int_equal(agent_db_int(dir,
                                "select count(*) from alert a join alert_entity e on "
                                "e.alert = a.id where e.kind = 'user.name' and e.value = "
                                "substr(a.key, 1, min(255, instr(a.key, '|') - 1))"),
                   8);
  assert_int_equal(agent_db_int(dir, "select max(length(value)) from alert_entity"), 255);
}

/* ---- lazy normalization: the same hits, each seeing the same event ------ */

#define LAZY_INCIDENT "  incident: { category: other, impact: outage } }\n"

typedef struct seen {
  char *text; /* per hit: the rule's id and the event's JSON */
  size_t len, cap;
  size_t hits;
} seen;

static int note_hit(const soc_rule *rule, soc_event *ev, void *arg) {
  seen *s = arg;
  char *json = NULL;
  size_t n = 0;
  assert_int_equal(soc_event_to_json(ev, &json, &n), 0);
  const char *id = soc_rule_id(rule);
  size_t need = s->len + strlen(id) + n + 3;
  if (need > s->cap) {
    s->cap = need * 2;
    s->text = realloc(s->text, s->cap);
    assert_non_null(s->text);
  }
  s->len += (size_t)sprintf(s->text + s->len, "%s %.*s\n", id, (int)n, json);
  s->hits++;
  free(json);
  return 0;
}

typedef struct lazy_env {
  soc_normalizer *n;
  const soc_jentry *e;
  size_t finished;
} lazy_env;

static void finish_lazy(soc_event *ev, void *arg) {
  lazy_env *l = arg;
  l->finished++;
  soc_normalize_rest(l->n, l->e, ev);
}

/* Every line of the test logs, the rules' fire and quiet samples and made
 * lines (syslog'd nginx and Apache lines, RFC 5424 with structured data,
 * user names and units that `where` reads), through soc_normalize and
 * matching, and through soc_normalize_lazy and matching that finishes the
 * event when it needs to: the same rules hit, each seeing the same event,
 * and the finished event is the whole one. With rules/log and with the
 * SigmaHQ pack, which reads extras (every event finished first). */
static void lazy_normalize_same(void **state) {
  (void)state;
  static const char *const made[] = {
      "<13>Nov  1 00:00:00 web1 nginx: 10.1.2.67 - - [01/Nov/2026:00:00:00 +0800] \"GET "
      "/index.html "
      "HTTP/1.1\" 200 21658 \"-\" \"Mozilla/5.0\"",
      "Nov  1 00:00:00 web1 nginx: 203.0.113.9 - bob [01/Nov/2026:00:00:00 +0800] \"GET "
      "/news.php?id=1%27%20or%20%271%27=%271 HTTP/1.1\" 200 5120 \"-\" \"sqlmap/1.7\"",
      "Nov  1 00:00:00 web1 apache2: 203.0.113.9 - - [01/Nov/2026:00:00:00 +0800] \"GET "
      "/shell.php?cmd=id HTTP/1.1\" 200 51 \"-\" \"curl/8.5.0\"",
      "Nov  1 00:00:00 web1 httpd: 203.0.113.9 - - [01/Nov/2026:00:00:00 +0800] \"GET "
      "/../../etc/passwd HTTP/1.1\" 404 0 \"-\" \"-\"",
      "<86>1 2026-11-01T00:00:00Z host1 sudo 123 ID47 [meta user=\"x\"] pam_unix(sudo:session): "
      "session opened for user root(uid=0) by www-data(uid=33)",
      "Nov  1 00:00:00 host1 su[99]: pam_unix(su:session): session opened for user root by "
      "nginx(uid=0)",
      "Nov  1 00:00:00 host1 systemd[1]: nginx.service: Failed with result 'exit-code'.",
      "Nov  1 00:00:00 host1 sshd[7]: Failed password for invalid user admin from 198.51.100.7 "
      "port 22 ssh2",
      "no header at all, just text",
      "",
  };
  char dir[256], dbpath[400], err[256], extra[512];
  snprintf(dir, sizeof dir, "%s", agent_dir("lazy"));
  snprintf(extra, sizeof extra, "rules: { log: [ '%s/rules/log/*.yaml' ] }\n", SOC_SOURCE_DIR);
  soc_config *cfg = agent_config(dir, "brokers: '127.0.0.1:9'", extra);
  snprintf(dbpath, sizeof dbpath, "%s/lazy.db", dir);
  soc_store *store = NULL;
  assert_int_equal(soc_store_open(dbpath, SOC_STORE_AGENT, &store, err, sizeof err), 0);
  char *log_glob[] = {SOC_SOURCE_DIR "/rules/log/*.yaml"};
  char *sigma_dir[] = {SOC_SOURCE_DIR "/rules/sigma"};
  char *corp[] = {SOC_TEST_DATA "/logs/*.log", SOC_TEST_DATA "/rules/*.log",
                  SOC_TEST_DATA "/sigma/web/*.log"};
  char **files = NULL, **sigma = NULL, **logs = NULL;
  size_t nfiles = 0, nsigma = 0, nlogs = 0;
  assert_int_equal(soc_config_glob(log_glob, 1, &files, &nfiles), 0);
  assert_int_equal(soc_config_glob_sigma(sigma_dir, 1, &sigma, &nsigma), 0);
  assert_int_equal(soc_config_glob(corp, 3, &logs, &nlogs), 0);
  /* rules that read, before they hit, fields the rest of the line sets */
  static const char *const own_rules[2] = {
      "- { id: L-IP, title: t, match: { any: [ { contains: 'HTTP/1.1' } ],\n"
      "    where: [ { field: source.ip, cidr: [ 203.0.113.0/24 ] } ] },\n" LAZY_INCIDENT
      "- { id: L-URL, title: t, match: { any: [ { contains: 'HTTP/1.1' } ],\n"
      "    where: [ { field: url.path, equals: /index.html } ] },\n" LAZY_INCIDENT
      "- { id: L-HOST, title: t, match: { any: [ { contains: text } ],\n"
      "    where: [ { field: host.name, exists: true } ] },\n" LAZY_INCIDENT
      "- { id: L-OFFSET, title: t, match: { any: [ { contains: Failed } ],\n"
      "    where: [ { field: log.offset, gt: 0 } ] },\n" LAZY_INCIDENT
      "- { id: L-ID, title: t, match: { any: [ { contains: Invalid } ],\n"
      "    where: [ { field: event.id, exists: true } ] },\n" LAZY_INCIDENT,
      /* an automaton on an extra the rest sets: every line is finished */
      "- { id: L-PATH, title: t, match: { any: [ { field: url.path, contains: /index } ] "
      "},\n" LAZY_INCIDENT,
  };
  static const char *const own_ids[] = {"L-IP ",     "L-URL ", "L-HOST ",
                                        "L-OFFSET ", "L-ID ",  "L-PATH "};
  files = realloc(files, (nfiles + 2) * sizeof *files);
  assert_non_null(files);
  for (size_t i = 0; i < 2; i++) {
    char own[400];
    snprintf(own, sizeof own, "%s/lazy%zu.yaml", dir, i);
    FILE *rf = fopen(own, "w");
    assert_non_null(rf);
    fputs(own_rules[i], rf);
    fclose(rf);
    assert_non_null(files[nfiles + i] = strdup(own));
  }
  /* rules/log and the rules reading fields the rest sets, then with the
   * automaton on url.path, then with the SigmaHQ pack */
  for (int round = 0; round < 3; round++) {
    soc_rules *rs = NULL;
    soc_diag *d = soc_diag_new();
    assert_int_equal(soc_rules_load_with_sigma((const char *const *)files, nfiles + 1 + (round > 0),
                                               (const char *const *)sigma, round == 2 ? nsigma : 0,
                                               &rs, NULL, d),
                     0);
    soc_normalizer *na = soc_normalizer_new(cfg, store), *nb = soc_normalizer_new(cfg, store);
    soc_match_ctx *ca = soc_match_ctx_new(rs), *cb = soc_match_ctx_new(rs);
    soc_event *ea = soc_event_new(), *eb = soc_event_new();
    lazy_env env = {nb, NULL, 0};
    seen sa = {0}, sb = {0};
    size_t lines = 0, left_lazy = 0;
    assert_true(na && nb && ca && cb && ea && eb);
    soc_match_ctx_defer(cb, soc_normalize_lazy_ready, soc_normalize_lazy_nready, soc_access_extras,
                        SOC_ACCESS_EXTRAS, finish_lazy, &env);
    for (size_t f = 0; f <= nlogs; f++) {
      FILE *in = f < nlogs ? fopen(logs[f], "r") : NULL;
      /* web servers' access logs as nginx sends them to syslog */
      size_t from = f < nlogs && strstr(logs[f], "/sigma/web/") ? 28 : 0;
      char line[8192] = "Nov  1 00:00:00 web1 nginx: ";
      size_t m = 0;
      for (;;) {
        if (in ? !fgets(line + from, (int)(sizeof line - from), in)
               : m == sizeof made / sizeof made[0])
          break;
        if (!in) snprintf(line, sizeof line, "%s", made[m++]);
        line[strcspn(line, "\n")] = '\0';
        soc_jentry e = {.block = 1, .source = "app", .stream = 1};
        e.line.data = line;
        e.line.len = strlen(line);
        e.line.pos = (uint64_t)lines * 100;
        e.line.ts_ns = 1790000000000000000LL;
        e.line.recv_ns = e.line.ts_ns;
        lines++;
        env.e = &e;
        soc_normalize(na, &e, ea);
        assert_true(soc_rules_match(rs, ca, ea, note_hit, &sa) >= 0);
        size_t before = env.finished;
        if (soc_normalize_lazy(nb, &e, eb)) soc_match_ctx_pending(cb);
        assert_true(soc_rules_match(rs, cb, eb, note_hit, &sb) >= 0);
        if (sa.len != sb.len || (sa.len && memcmp(sa.text, sb.text, sa.len)))
          fail_msg("lazy normalization differs on '%s' (round %d)", line, round);
        /* the event as a whole, finished now if matching did not */
        if (env.finished == before) {
          left_lazy++;
          soc_normalize_rest(nb, &e, eb);
          soc_normalize(na, &e, ea);
        }
        char *ja = NULL, *jb = NULL;
        size_t la = 0, lb = 0;
        assert_int_equal(soc_event_to_json(ea, &ja, &la), 0);
        assert_int_equal(soc_event_to_json(eb, &jb, &lb), 0);
        if (la != lb || memcmp(ja, jb, la)) fail_msg("finished event differs on '%s'", line);
        free(ja);
        free(jb);
      }
      if (in) fclose(in);
    }
    assert_true(sa.hits > 100);
    for (size_t i = 0; i < (round ? 6u : 5u); i++) /* each of the own rules hit */
      assert_non_null(strstr(sa.text, own_ids[i]));
    /* rules/log reads few fields: most lines are never finished; an
     * automaton on url.path, or the Sigma rules, scan what the rest sets:
     * every line is */
    if (!round)
      assert_true(left_lazy > lines / 4);
    else
      assert_int_equal(left_lazy, 0);
    free(sa.text);
    free(sb.text);
    soc_event_free(ea);
    soc_event_free(eb);
    soc_match_ctx_free(ca);
    soc_match_ctx_free(cb);
    soc_normalizer_free(na);
    soc_normalizer_free(nb);
    soc_rules_free(rs);
    soc_diag_free(d);
  }
  soc_config_glob_free(files, nfiles + 2);
  soc_config_glob_free(sigma, nsigma);
  soc_config_glob_free(logs, nlogs);
  soc_store_close(store);
  soc_config_free(cfg);
}

static int64_t detected(const char *dir) {
  return agent_db_int(dir, "select value from counter where input='detect' and name='lines'");
}

/* Whether dir's detector has looked at want lines within ms. */
static int detected_within(const char *dir, int64_t want, int ms) {
  for (int waited = 0; waited < ms && detected(dir) < want; waited += 20) usleep(20000);
  return detected(dir) >= want;
}

static void count_call(void *arg) { (*(atomic_int *)arg)++; }

/* A running detector that has read the journal to its end sleeps (here
 * told to for ten minutes) until it is woken: lines journaled meanwhile are
 * looked at as soon as soc_detect_wake says so, and its hook is told after
 * each transaction. */
static void idle_detector_woken(void **state) {
  (void)state;
  const char *dir = agent_dir("woken");
  soc_config *cfg = config_of(dir);
  atomic_int commits = 0;
  agent_log(dir, "app.log", 1, 20, "det");
  soc_ingest *ing = NULL;
  assert_int_equal(soc_ingest_new(cfg, &ing), 0);
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_detect *d = NULL;
  assert_int_equal(soc_detect_new(cfg, &d), 0);
  soc_detect_set_idle_wait(d, 600000);
  soc_detect_on_commit(d, count_call, &commits);
  assert_int_equal(soc_detect_start(d), 0);
  assert_true(detected_within(dir, 20, 30000));
  usleep(300000); /* asleep by now */
  int before = atomic_load(&commits);
  assert_true(before >= 1);

  agent_log(dir, "app.log", 21, 40, "det");
  assert_int_equal(soc_ingest_oneshot(ing), 0);
  soc_detect_wake(d);
  if (!detected_within(dir, 40, 20000))
    fail_msg("woken, the detector looked at %lld of 40 lines in 20 s", (long long)detected(dir));
  assert_true(atomic_load(&commits) > before);
  soc_detect_free(d); /* a stop wakes it too */
  soc_ingest_free(ing);
  soc_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(failed_block_is_undone), cmocka_unit_test(restart_is_seamless),
      cmocka_unit_test(long_values_cut),        cmocka_unit_test(lazy_normalize_same),
      cmocka_unit_test(idle_detector_woken),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
