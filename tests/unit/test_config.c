/*
 * config: a valid file loads with its defaults; every broken file in the
 * table is refused with its exact FILE:LINE:COL message; the loader reports
 * all problems at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/config.h"
#include "testutil.h"

#define AGENT "agent: { id: web01, agency: x, authority: 36 }\n"
#define CONTACTS "contacts: [ {name: a, phone: '1'}, {name: b, email: b@x.tw} ]\n"
#define KAFKA "kafka: { brokers: '127.0.0.1:9092' }\n"

static void test_valid(void **state) {
  (void)state;
  write_file("assets.yaml", "assets:\n  - { name: p, tier: core, hosts: [web01] }\n");
  write_file("ok.yar", "rule ok { strings: $a = \"abc\" condition: $a and filename != \"\" }\n");
  char text[2048];
  snprintf(text, sizeof text,
           AGENT CONTACTS
           "assets: assets.yaml\n"
           "inputs:\n"
           "  - { type: file, paths: [ '/var/log/*.log' ], exclude: ['*.gz'] }\n"
           "  - { type: syslog, id: net, listen: 'tcp://[::1]:5514' }\n"
           "  - { type: pcap, interface: lo, bpf: 'tcp port 80', snaplen: 1500 }\n"
           "  - { type: watch, paths: /srv/www }\n"
           "rules: { yara: [ '*.yar' ], sigma_impact: { attack.discovery: tamper, r-1: alert },\n"
           "         sigma_placeholders: { admins: [ root, bob ], one: x } }\n"
           "kafka: { brokers: '127.0.0.1:9092,[::1]:9093', properties: { acks: all, "
           "compression.type: zstd } }\n");
  const char *path = write_file("ok.yaml", text);
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  int rc = soc_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d);
  if (rc) soc_diag_print(d, stderr);
  assert_int_equal(rc, 0);
  assert_string_equal(cfg->agent.id, "web01");
  assert_int_equal(cfg->agent.authority, 36);
  assert_string_equal(cfg->agent.state_dir, "/var/lib/socagent"); /* the default */
  assert_string_equal(cfg->journal.codec, "lz4");                 /* the default */
  assert_int_equal(cfg->ncontacts, 2);
  assert_null(cfg->contacts[0].email);
  assert_int_equal(cfg->ninputs, 4);
  assert_int_equal(cfg->inputs[0].type, SOC_INPUT_FILE);
  assert_string_equal(cfg->inputs[0].id, "file-0");
  assert_string_equal(cfg->inputs[0].exclude[0], "*.gz");
  assert_string_equal(cfg->inputs[1].id, "net");
  assert_int_equal(cfg->inputs[2].snaplen, 1500);
  assert_int_equal(cfg->inputs[2].buffer_size, 16 * 1024 * 1024);
  assert_false(cfg->inputs[2].promiscuous);
  assert_int_equal(cfg->inputs[3].npaths, 1);
  assert_string_equal(cfg->kafka.topic_prefix, "soc");
  assert_int_equal(cfg->kafka.nproperties, 2);
  assert_string_equal(cfg->kafka.properties[1].key, "compression.type");
  /* relative paths follow the config file, not the working directory */
  char expect[256];
  snprintf(expect, sizeof expect, "%s/assets.yaml", test_dir());
  assert_string_equal(cfg->assets_path, expect);
  snprintf(expect, sizeof expect, "%s/*.yar", test_dir());
  assert_string_equal(cfg->rules.yara[0], expect);
  const soc_sigma_opts *so = &cfg->rules.sigma_opts;
  assert_int_equal(so->nimpact, 2);
  assert_string_equal(so->impact[1].key, "r-1");
  assert_string_equal(so->impact[1].value, "alert");
  assert_int_equal(so->nplaceholders, 3);
  assert_string_equal(so->placeholders[1].key, "admins");
  assert_string_equal(so->placeholders[1].value, "bob");
  assert_string_equal(so->placeholders[2].key, "one");
  /* file input path matched nothing: a warning, not an error; contacts ok */
  assert_false(soc_diag_contains(d, "security contact"));
  soc_assets *a = NULL;
  assert_int_equal(soc_config_load_assets(cfg, &a, d), 0);
  assert_int_equal(soc_assets_count(a), 1);
  soc_assets_free(a);
  soc_config_free(cfg);
  soc_diag_free(d);
}

static void test_warnings_only(void **state) {
  (void)state;
  const char *path = write_file("warn.yaml", AGENT "contacts: [ {name: a, phone: '1'} ]\n" KAFKA);
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  assert_int_equal(soc_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d), 0);
  assert_int_equal(soc_diag_errors(d), 0);
  assert_diag_contains(d, "only 1 security contact(s): §2.4");
  assert_diag_contains(d, "no 'assets' inventory");
  assert_diag_contains(d, "no inputs");
  soc_assets *a = NULL;
  assert_int_equal(soc_config_load_assets(cfg, &a, d), 0);
  assert_int_equal(soc_assets_default(a)->tier, SOC_TIER_NON_CORE);
  soc_assets_free(a);
  soc_config_free(cfg);
  soc_diag_free(d);
}

static const struct broken {
  const char *yaml;
  const char *message; /* after "<file>:" */
} broken[] = {
    /* 1 unknown top-level key, with a hint */
    {AGENT CONTACTS KAFKA "input: []\n",
     "4:1: error: unknown key 'input' in the top level; did you mean 'inputs'?"},
    /* 2 unknown key in a section */
    {"agent: { id: a, agency: x, authority: 36, stat_dir: /x }\n" CONTACTS KAFKA,
     "1:43: error: unknown key 'stat_dir' in agent; did you mean 'state_dir'?"},
    /* 3 authority outside the appendix */
    {"agent: { id: a, agency: x, authority: 58 }\n" CONTACTS KAFKA,
     "1:39: error: agent.authority: expected an integer from 1 to 57, got '58'"},
    /* 4 authority not a number */
    {"agent: { id: a, agency: x, authority: taipei }\n" CONTACTS KAFKA,
     "1:39: error: agent.authority: expected an integer, got 'taipei'"},
    /* 5 missing agent section */
    {CONTACTS KAFKA, "1:1: error: missing required section 'agent'"},
    /* 6 missing required key */
    {"agent: { id: a, authority: 36 }\n" CONTACTS KAFKA,
     "1:8: error: agent: missing required key 'agency'"},
    /* 7 bad agent id */
    {"agent: { id: 'web 01', agency: x, authority: 36 }\n" CONTACTS KAFKA,
     "1:14: error: agent.id: 'web 01' is not a valid id"},
    /* 8 unknown input type */
    {AGENT CONTACTS KAFKA "inputs: [ { type: tail, paths: [x] } ]\n",
     "4:19: error: inputs[0].type: unknown input type 'tail'"},
    /* 9 key of another input type */
    {AGENT CONTACTS KAFKA "inputs: [ { type: file, listen: 'udp://1.2.3.4:5' } ]\n",
     "4:25: error: unknown key 'listen' in inputs[0]"},
    /* 10 bad listen port */
    {AGENT CONTACTS KAFKA "inputs: [ { type: syslog, listen: 'udp://127.0.0.1:0' } ]\n",
     "4:35: error: inputs[0].listen: 'udp://127.0.0.1:0': the port must be 1-65535"},
    /* 11 bad listen scheme */
    {AGENT CONTACTS KAFKA "inputs: [ { type: syslog, listen: '127.0.0.1:514' } ]\n",
     "expected udp://HOST:PORT or tcp://HOST:PORT"},
    /* 12 pcap with both interface and file */
    {AGENT CONTACTS KAFKA "inputs: [ { type: pcap, interface: lo, file: x.pcap } ]\n",
     "4:11: error: inputs[0]: a pcap input needs exactly one of 'interface' and 'file'"},
    /* 13 BPF that does not compile */
    {AGENT CONTACTS KAFKA "inputs: [ { type: pcap, interface: lo, bpf: 'port eighty' } ]\n",
     "4:45: error: inputs[0].bpf: 'port eighty' does not compile"},
    /* 14 unknown librdkafka property */
    {AGENT CONTACTS "kafka: { brokers: 'h:1', properties: { lingr.ms: 5 } }\n",
     "3:40: error: kafka.properties.lingr.ms: No such configuration property"},
    /* 15 invalid librdkafka value */
    {AGENT CONTACTS "kafka: { brokers: 'h:1', properties: { acks: maybe } }\n",
     "3:40: error: kafka.properties.acks: Invalid value"},
    /* 16 broker without a port */
    {AGENT CONTACTS "kafka: { brokers: 'localhost' }\n",
     "3:19: error: kafka.brokers: 'localhost': expected HOST:PORT"},
    /* 17 missing kafka */
    {AGENT CONTACTS, "1:1: error: missing required section 'kafka'"},
    /* 18 contact with no way to reach them */
    {AGENT "contacts: [ {name: a}, {name: b, email: b@x} ]\n" KAFKA,
     "2:13: error: contacts[0]: contact 'a' has neither phone nor email"},
    /* 19 not YAML at all */
    {"agent: [\n", "2:1: error: invalid YAML"},
    /* 20 top level is a list */
    {"- agent\n", "1:1: error: expected a mapping of sections at the top level, got a list"},
    /* 21 duplicate input ids */
    {AGENT CONTACTS KAFKA "inputs: [ {type: watch, id: w, paths: /a}, {type: watch, id: w, "
                          "paths: /b} ]\n",
     "duplicate input id 'w' (also inputs[0])"},
    /* 22 wrong type of value */
    {AGENT CONTACTS KAFKA "inputs: [ { type: pcap, interface: lo, promiscuous: sometimes } ]\n",
     "4:53: error: inputs[0].promiscuous: expected true or false, got 'sometimes'"},
    /* 23 size out of range */
    {AGENT CONTACTS KAFKA "inputs: [ { type: pcap, interface: lo, snaplen: 1MiB } ]\n",
     "4:49: error: inputs[0].snaplen: expected a size such as 65536, 64KiB or 10MB from 64 to "
     "262144, got '1MiB'"},
    /* 24 assets file that does not exist */
    {AGENT CONTACTS KAFKA "assets: nowhere.yaml\n", "nowhere.yaml: error: cannot open"},
    /* 25 pcap file that does not exist */
    {AGENT CONTACTS KAFKA "inputs: [ { type: pcap, file: none.pcap } ]\n",
     "4:31: error: inputs[0].file: cannot read"},
    /* 27 no broker at all */
    {AGENT CONTACTS "kafka: { brokers: '' }\n", "3:19: error: kafka.brokers: empty"},
    /* 26 topic prefix with a space */
    {AGENT CONTACTS "kafka: { brokers: 'h:1', topic_prefix: 'a b' }\n",
     "kafka.topic_prefix: 'a b' is not a valid topic name part"},
    /* 28 journald priority that is not one */
    {AGENT CONTACTS KAFKA "inputs: [ { type: journald, priority: loud } ]\n",
     "4:39: error: inputs[0].priority: unknown priority 'loud'; expected emerg, alert, crit, err, "
     "warning, notice, info, debug or 0..7"},
    /* 29 journald key misspelt */
    {AGENT CONTACTS KAFKA "inputs: [ { type: journald, unit: [ ssh.service ] } ]\n",
     "4:29: error: unknown key 'unit' in inputs[0]; did you mean 'units'?"},
    /* 30 metrics beyond loopback */
    {AGENT CONTACTS KAFKA "metrics: { listen: '0.0.0.0:9464' }\n",
     "4:20: error: metrics.listen: '0.0.0.0:9464': the endpoint has no authentication: only a "
     "loopback address (127.0.0.0/8) is accepted"},
    /* 31 a Sigma tier we do not have */
    {AGENT CONTACTS KAFKA "rules: { sigma_impact: { attack.impact: outage } }\n",
     "4:41: error: rules.sigma_impact.attack.impact: 'outage': expected tamper, leak or alert"},
    /* 32 a placeholder named with its %s */
    {AGENT CONTACTS KAFKA "rules: { sigma_placeholders: { '%a%': x } }\n",
     "rules.sigma_placeholders: '%a%': a name, without the %s"},
    /* 33 a journal codec we do not have */
    {AGENT CONTACTS KAFKA "journal: { codec: gzip }\n",
     "journal.codec: unknown value 'gzip'; expected one of: lz4, zstd"},
};

static void test_broken(void **state) {
  (void)state;
  int failures = 0;
  assert_true(sizeof broken / sizeof broken[0] >= 15);
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "broken%zu.yaml", i + 1);
    const char *path = write_file(name, broken[i].yaml);
    char file[256];
    snprintf(file, sizeof file, "%s", path);
    soc_diag *d = soc_diag_new();
    soc_config *cfg = NULL;
    int rc = soc_config_load(file, SOC_CONFIG_CHECK_REFERENCES, &cfg, d);
    char expect[512];
    /* messages about the config itself start with its path */
    if (broken[i].message[0] >= '0' && broken[i].message[0] <= '9')
      snprintf(expect, sizeof expect, "%s:%s", file, broken[i].message);
    else
      snprintf(expect, sizeof expect, "%s", broken[i].message);
    if (rc != -EINVAL || cfg || !soc_diag_contains(d, expect)) {
      /* report every failing case, not just the first */
      soc_diag_print(d, stderr);
      print_error("case %zu: rc=%d, expected -EINVAL and a message containing\n  %s\n", i + 1, rc,
                  expect);
      failures++;
    }
    soc_diag_free(d);
  }
  assert_int_equal(failures, 0);
}

static void test_all_problems_reported(void **state) {
  (void)state;
  const char *path = write_file("many.yaml",
                                "agent: { id: 'a b', agency: x, authority: 0 }\n"
                                "contacts: []\n"
                                "inputs: [ { type: nope } ]\n"
                                "kafka: { brokers: x }\n"
                                "extra: 1\n");
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  assert_int_equal(soc_config_load(path, 0, &cfg, d), -EINVAL);
  assert_true(soc_diag_errors(d) >= 5);
  assert_diag_contains(d, "unknown key 'extra'");
  assert_diag_contains(d, "agent.id");
  assert_diag_contains(d, "agent.authority");
  assert_diag_contains(d, "unknown input type 'nope'");
  assert_diag_contains(d, "kafka.brokers");
  assert_diag_contains(d, "only 0 security contact(s)");
  soc_diag_free(d);
}

static void test_broken_rule_files(void **state) {
  (void)state;
  write_file("bad.yar", "rule ok { condition: true }\nrule bad { condition: $nope }\n");
  write_file("good.yar", "rule fine { condition: filesize > 10 and extension == \".php\" }\n");
  write_file("bad-rules.yaml", "- id: x\n  title: [unclosed\n");
  const char *path =
      write_file("rules.yaml", AGENT CONTACTS KAFKA
                 "rules: { yara: [ 'bad.yar', 'good.yar' ], log: [ 'bad-rules.yaml' ] }\n");
  char file[256];
  snprintf(file, sizeof file, "%s/bad.yar", test_dir());
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  assert_int_equal(soc_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d), -EINVAL);
  char expect[300];
  snprintf(expect, sizeof expect, "%s:2: error: YARA: undefined string \"$nope\"", file);
  assert_diag_contains(d, expect);
  assert_diag_contains(d, "bad-rules.yaml:3:1: error: invalid YAML");
  assert_false(soc_diag_contains(d, "good.yar"));
  soc_diag_free(d);
}

static void test_collector(void **state) {
  (void)state;
  const char *path = write_file("c.yaml", "collector: { id: center }\n" KAFKA);
  soc_diag *d = soc_diag_new();
  soc_collector_config *cfg = NULL;
  assert_int_equal(soc_collector_config_load(path, SOC_CONFIG_CHECK_REFERENCES, &cfg, d), 0);
  assert_string_equal(cfg->kafka.group_id, "soccollector");
  assert_int_equal(cfg->collector.agent_silence, 300);
  soc_collector_config_free(cfg);
  path = write_file("c2.yaml", "collector: { agent_silense: 5m }\n" KAFKA "agent: {}\n");
  cfg = NULL;
  assert_int_equal(soc_collector_config_load(path, 0, &cfg, d), -EINVAL);
  assert_diag_contains(d, "did you mean 'agent_silence'");
  assert_diag_contains(d, "unknown key 'agent' in the top level");
  soc_diag_free(d);
}

static void test_environment(void **state) {
  (void)state;
  setenv("SOC_TEST_BROKER", "10.0.0.1:9093", 1);
  unsetenv("SOC_TEST_UNSET");
  const char *path = write_file("env.yaml", AGENT CONTACTS
                                "kafka: { brokers: '${SOC_TEST_BROKER},${SOC_TEST_UNSET:-h:1}',"
                                " topic_prefix: 'x${SOC_TEST_UNSET:-}y' }\n");
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  assert_int_equal(soc_config_load(path, 0, &cfg, d), 0);
  assert_string_equal(cfg->kafka.brokers, "10.0.0.1:9093,h:1");
  assert_string_equal(cfg->kafka.topic_prefix, "xy");
  soc_config_free(cfg);
  cfg = NULL;
  path = write_file("env2.yaml", AGENT CONTACTS "kafka: { brokers: '${SOC_TEST_UNSET}' }\n");
  assert_int_equal(soc_config_load(path, 0, &cfg, d), -EINVAL);
  assert_diag_contains(d,
                       "3:19: error: kafka.brokers: environment variable 'SOC_TEST_UNSET' is"
                       " not set");
  soc_diag_free(d);
}

static void test_journald(void **state) {
  (void)state;
  const char *path = write_file("jd.yaml", AGENT CONTACTS KAFKA
                                "inputs:\n"
                                "  - { type: journald }\n"
                                "  - { type: journald, id: ssh, units: [ ssh.service ], "
                                "identifiers: [ sshd, sshd-session ],\n"
                                "      transports: [ syslog ], priority: warning, read_from: end,\n"
                                "      skip_if_exists: [ /var/log/auth.log ] }\n"
                                "metrics: { listen: '[::1]:9464' }\n");
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  int rc = soc_config_load(path, 0, &cfg, d);
  if (rc) soc_diag_print(d, stderr);
  assert_int_equal(rc, 0);
  const soc_input_config *a = &cfg->inputs[0], *b = &cfg->inputs[1];
  assert_int_equal(a->type, SOC_INPUT_JOURNALD);
  assert_string_equal(a->id, "journald-0");
  assert_null(a->directory);
  assert_string_equal(a->priority, "debug");
  assert_string_equal(a->read_from, "beginning");
  assert_int_equal(a->poll_ms, 250);
  assert_int_equal(a->max_message_bytes, 65536);
  assert_int_equal(b->nunits, 1);
  assert_int_equal(b->nidentifiers, 2);
  assert_string_equal(b->identifiers[1], "sshd-session");
  assert_string_equal(b->transports[0], "syslog");
  assert_int_equal(soc_journald_priority(b->priority), 4);
  assert_string_equal(b->skip_if_exists[0], "/var/log/auth.log");
  assert_string_equal(cfg->metrics.listen, "[::1]:9464");
  assert_int_equal(soc_journald_priority("7"), 7);
  assert_int_equal(soc_journald_priority("8"), -EINVAL);
  soc_config_free(cfg);
  soc_diag_free(d);
}

static void test_listen_parse(void **state) {
  (void)state;
  soc_listen l;
  const char *why = NULL;
  assert_int_equal(soc_listen_parse("udp://127.0.0.1:5514", &l, &why), 0);
  assert_false(l.tcp);
  assert_string_equal(l.host, "127.0.0.1");
  assert_int_equal(l.port, 5514);
  assert_int_equal(soc_listen_parse("tcp://[::1]:601", &l, &why), 0);
  assert_true(l.tcp);
  assert_string_equal(l.host, "::1");
  assert_int_equal(soc_listen_parse("tcp://[::1]601", &l, &why), -EINVAL);
  assert_int_equal(soc_listen_parse("udp://:514", &l, &why), -EINVAL);
  assert_int_equal(soc_listen_parse("udp://h:65536", &l, &why), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_valid),
                                     cmocka_unit_test(test_warnings_only),
                                     cmocka_unit_test(test_broken),
                                     cmocka_unit_test(test_all_problems_reported),
                                     cmocka_unit_test(test_broken_rule_files),
                                     cmocka_unit_test(test_collector),
                                     cmocka_unit_test(test_listen_parse),
                                     cmocka_unit_test(test_environment),
                                     cmocka_unit_test(test_journald)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
