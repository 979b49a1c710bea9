/*
 * Findings (agent/detect/finding.c): a detection that is not a log line
 * becomes a draft through the same tables as the log rules, once per
 * (rule, object, content). Found again, it changes nothing; the same object
 * with new content counts again on the open draft; the matched object is
 * kept for the evidence bundle when it is small enough, else only named.
 * With a key (traffic), sightings of one content fold into one alert.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "agentutil.h"
#include "finding.h"

static const char shell[] = "<?php eval($_POST['x']); ?>\n";

/* A webshell found by YARA in a file of the web root, with content sha256. */
static soc_finding webshell(const char *sha256) {
  return (soc_finding){.rule_id = "SOC-YARA-001",
                       .title = "PHP webshell",
                       .category = SOC_CATEGORY_WEB_ATTACK,
                       .subtype = "web trojan",
                       .impact = SOC_IMPACT_TAMPER,
                       .severity = SOC_SEVERITY_MINOR,
                       .asset_key = "portal.example",
                       .host = "portal.example",
                       .source = "webroot",
                       .object = "/var/www/upload/x.php",
                       .sha256 = sha256,
                       .ts_ns = agent_t0() * 1000000000LL,
                       .evidence = "file /var/www/upload/x.php",
                       .object_bytes = shell,
                       .object_len = sizeof shell - 1,
                       .object_size = (int64_t)(sizeof shell - 1)};
}

/* soc_finding_draft in a transaction of its own, as watch.c runs it. */
static int draft(const soc_finding_sink *k, const soc_finding *f) {
  assert_int_equal(soc_store_begin(k->store), 0);
  int rc = soc_finding_draft(k, f);
  assert_true(rc >= 0);
  assert_int_equal(soc_store_commit(k->store), 0);
  return rc;
}

/* An agent's store and an empty inventory (every host non-core). */
typedef struct fixture {
  soc_config *cfg;
  soc_ingest *ing;
  soc_diag *diag;
  soc_assets *assets;
  soc_finding_sink k;
} fixture;

static void fixture_open(fixture *x, const char *dir, const char *more) {
  x->cfg = agent_config(dir, "brokers: '127.0.0.1:9'", more);
  x->ing = NULL;
  assert_int_equal(soc_ingest_new(x->cfg, &x->ing), 0);
  x->diag = soc_diag_new();
  x->assets = NULL;
  assert_int_equal(soc_config_load_assets(x->cfg, &x->assets, x->diag), 0);
  x->k = (soc_finding_sink){.cfg = x->cfg, .store = soc_ingest_store(x->ing), .assets = x->assets};
}

static void fixture_close(fixture *x) {
  soc_assets_free(x->assets);
  soc_diag_free(x->diag);
  soc_ingest_free(x->ing);
  soc_config_free(x->cfg);
}

static void drafted_once_per_content(void **state) {
  (void)state;
  const char *dir = agent_dir("finding");
  /* objects up to 64 bytes are kept with their draft, larger ones only named */
  fixture x;
  fixture_open(&x, dir, "evidence: { object_max_bytes: 64 }\n");
  soc_finding_sink k = x.k;
  const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const char *b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

  soc_finding f = webshell(a);
  assert_int_equal(draft(&k, &f), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from draft"), 1);
  assert_int_equal(agent_db_int(dir, "select count from draft"), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from draft_evidence"), 1);
  /* small enough: the bytes are kept for the bundle */
  assert_int_equal(agent_db_int(dir, "select kept from draft_object"), 1);
  assert_int_equal(agent_db_int(dir, "select length(bytes) from object"),
                   (int64_t)(sizeof shell - 1));
  /* an alert, and the new draft for the center */
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox where topic = 'alerts'"), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox where topic = 'incidents'"), 1);

  /* found again (a rescan after a restart): nothing changes */
  assert_int_equal(draft(&k, &f), 0);
  assert_int_equal(agent_db_int(dir, "select count from draft"), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox"), 2);

  /* new content in the same file: a second sighting on the open draft */
  soc_finding g = webshell(b);
  char big[200];
  memset(big, 'x', sizeof big);
  g.object_bytes = big;
  g.object_len = sizeof big;
  g.object_size = sizeof big;
  assert_int_equal(draft(&k, &g), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from draft"), 1);
  assert_int_equal(agent_db_int(dir, "select count from draft"), 2);
  /* over evidence.object_max_bytes: named, not kept */
  assert_int_equal(agent_db_int(dir, "select count(*) from draft_object"), 2);
  char sql[256];
  snprintf(sql, sizeof sql, "select kept from draft_object where sha256 = '%s'", b);
  assert_int_equal(agent_db_int(dir, sql), 0);
  snprintf(sql, sizeof sql, "select count(*) from object where sha256 = '%s'", b);
  assert_int_equal(agent_db_int(dir, sql), 0);

  fixture_close(&x);
}

/* With a key (traffic: the content's hash), sightings of one content fold:
 * the first fires an alert, later ones count on it and on its draft with
 * their evidence, no new alert goes out; another content is another alert;
 * after the draft was decided, the next sighting fires anew. */
static void folded_by_key(void **state) {
  (void)state;
  const char *dir = agent_dir("finding-key");
  fixture x;
  fixture_open(&x, dir, "");
  soc_finding_sink k = x.k;
  const char *a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const char *b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const char *sightings[] = {"stream tcp 10.0.0.1:1 -> 10.0.0.9:80 client-to-server #1",
                             "stream tcp 10.0.0.2:2 -> 10.0.0.9:80 client-to-server #1",
                             "stream tcp 10.0.0.3:3 -> 10.0.0.9:80 client-to-server #1"};
  for (int i = 0; i < 3; i++) {
    soc_finding f = webshell(a);
    f.object = sightings[i];
    f.key = "sha256:aaaa";
    f.conversation = sightings[i]; /* one per conversation */
    f.evidence = sightings[i];
    assert_int_equal(draft(&k, &f), 1);
    assert_int_equal(draft(&k, &f), 0); /* the same sighting again: nothing */
  }
  assert_int_equal(agent_db_int(dir, "select count(*) from alert"), 1);
  assert_int_equal(agent_db_int(dir, "select count from alert"), 3);
  assert_int_equal(agent_db_int(dir, "select count(*) from draft"), 1);
  assert_int_equal(agent_db_int(dir, "select count from draft"), 3);
  assert_int_equal(agent_db_int(dir, "select count(*) from draft_evidence"), 3);
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox where topic = 'alerts'"), 1);
  /* another content: its own alert, never lost in the first one's count */
  soc_finding g = webshell(b);
  g.object = sightings[0];
  g.key = "sha256:bbbb";
  assert_int_equal(draft(&k, &g), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from alert"), 2);
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox where topic = 'alerts'"), 2);
  /* the first draft decided: the next sighting is a new firing */
  agent_db_exec(dir, "update draft set status = 'rejected' where key = 'sha256:aaaa'");
  soc_finding h = webshell(a);
  h.object = "stream tcp 10.0.0.4:4 -> 10.0.0.9:80 client-to-server #1";
  h.key = "sha256:aaaa";
  assert_int_equal(draft(&k, &h), 1);
  assert_int_equal(agent_db_int(dir, "select count(*) from alert where key = 'sha256:aaaa'"), 2);
  assert_int_equal(agent_db_int(dir, "select count(*) from outbox where topic = 'alerts'"), 3);

  /* a live capture keeps no mark: the same sighting name again counts */
  int64_t marks = agent_db_int(dir, "select count(*) from finding_seen");
  soc_finding u = webshell(b);
  u.object = "stream tcp 10.0.0.5:5 -> 10.0.0.9:80 client-to-server #1";
  u.key = "sha256:bbbb";
  u.unmarked = 1;
  assert_int_equal(draft(&k, &u), 1);
  assert_int_equal(draft(&k, &u), 1);
  assert_int_equal(agent_db_int(dir, "select count from alert where key = 'sha256:bbbb'"), 3);
  assert_int_equal(agent_db_int(dir, "select count(*) from finding_seen"), marks);

  fixture_close(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(drafted_once_per_content),
      cmocka_unit_test(folded_by_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
