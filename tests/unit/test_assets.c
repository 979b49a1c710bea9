/* assets: lookups by name, address and prefix; the fallback; bad inventories. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "soc/assets.h"
#include "testutil.h"

static const char *const inventory =
    "default: { tier: core, tolerable_downtime: 1h }\n"
    "assets:\n"
    "  - name: portal\n"
    "    tier: core\n"
    "    hosts: [web01, WWW.Example.gov.tw]\n"
    "    addresses: [192.0.2.10, \"2001:db8:10::/48\"]\n"
    "    data_classes: [general, sensitive]\n"
    "    tolerable_downtime: 4h\n"
    "    owner: IT\n"
    "  - name: scada\n"
    "    tier: cii\n"
    "    addresses: [198.51.100.0/24, 198.51.100.128/25]\n"
    "    tolerable_downtime: 30m\n"
    "  - name: lan\n"
    "    tier: non-core\n"
    "    addresses: [192.0.2.0/24, 198.51.0.0/16, \"2001:db8::/32\"]\n";

static soc_assets *load_ok(const char *text) {
  soc_diag *d = soc_diag_new();
  soc_assets *a = NULL;
  int rc = soc_assets_load(write_file("assets.yaml", text), &a, d);
  if (rc != 0) soc_diag_print(d, stderr);
  assert_int_equal(rc, 0);
  soc_diag_free(d);
  return a;
}

static void expect_match(const soc_assets *a, const char *key, const char *name,
                         soc_match_kind kind, int prefix) {
  soc_asset_match m;
  soc_assets_lookup(a, key, &m);
  assert_string_equal(m.asset->name, name);
  assert_int_equal(m.kind, kind);
  assert_int_equal(m.fallback, kind == SOC_MATCH_DEFAULT);
  if (kind == SOC_MATCH_ADDRESS) assert_int_equal(m.prefix_len, prefix);
}

static void test_lookup(void **state) {
  (void)state;
  soc_assets *a = load_ok(inventory);
  assert_int_equal(soc_assets_count(a), 3);
  expect_match(a, "web01", "portal", SOC_MATCH_HOST, 0);
  expect_match(a, "www.example.GOV.tw", "portal", SOC_MATCH_HOST, 0);
  /* longest prefix wins: /32 beats /24, /25 beats /24 beats /16 */
  expect_match(a, "192.0.2.10", "portal", SOC_MATCH_ADDRESS, 32);
  expect_match(a, "192.0.2.11", "lan", SOC_MATCH_ADDRESS, 24);
  expect_match(a, "198.51.100.200", "scada", SOC_MATCH_ADDRESS, 25);
  expect_match(a, "198.51.100.5", "scada", SOC_MATCH_ADDRESS, 24);
  expect_match(a, "198.51.7.7", "lan", SOC_MATCH_ADDRESS, 16);
  expect_match(a, "::ffff:192.0.2.10", "portal", SOC_MATCH_ADDRESS, 32);
  expect_match(a, "2001:db8:10::1", "portal", SOC_MATCH_ADDRESS, 48);
  expect_match(a, "2001:db8:11::1", "lan", SOC_MATCH_ADDRESS, 32);
  /* the fallback is visible */
  expect_match(a, "203.0.113.1", "(default)", SOC_MATCH_DEFAULT, 0);
  expect_match(a, "unknown-host", "(default)", SOC_MATCH_DEFAULT, 0);
  expect_match(a, "", "(default)", SOC_MATCH_DEFAULT, 0);
  const soc_asset *def = soc_assets_default(a);
  assert_int_equal(def->tier, SOC_TIER_CORE);
  assert_int_equal(def->tolerable_seconds, 3600);
  const soc_asset *p = soc_assets_by_name(a, "portal");
  assert_non_null(p);
  assert_int_equal(p->tolerable_seconds, 4 * 3600);
  assert_string_equal(p->owner, "IT");
  assert_int_equal(soc_asset_top_data_class(p), SOC_DATA_SENSITIVE);
  assert_int_equal(soc_asset_top_data_class(soc_assets_by_name(a, "scada")), SOC_DATA_NONE);
  assert_null(soc_assets_by_name(a, "nope"));
  soc_assets_free(a);
  soc_assets_free(NULL);
}

static void test_default_only(void **state) {
  (void)state;
  soc_assets *a = load_ok("assets: []\n");
  soc_asset_match m;
  soc_assets_lookup(a, "10.0.0.1", &m);
  assert_true(m.fallback);
  assert_int_equal(m.asset->tier, SOC_TIER_NON_CORE); /* the stated default of `default.tier` */
  assert_int_equal(m.asset->tolerable_seconds, -1);
  soc_assets_free(a);
  a = soc_assets_new_default(SOC_TIER_CII, 60);
  soc_assets_lookup(a, "x", &m);
  assert_int_equal(m.asset->tier, SOC_TIER_CII);
  soc_assets_free(a);
}

static void expect_error(const char *text, const char *needle) {
  soc_diag *d = soc_diag_new();
  soc_assets *a = NULL;
  assert_true(soc_assets_load(write_file("bad.yaml", text), &a, d) < 0);
  assert_null(a);
  assert_diag_contains(d, needle);
  soc_diag_free(d);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("assets:\n  - name: x\n    tier: gold\n    hosts: [a]\n",
               "bad.yaml:3:11: error: assets[0].tier: unknown tier 'gold'");
  expect_error("assets:\n  - name: x\n    tier: core\n    addresses: [10.0.0.300]\n",
               "bad.yaml:4:17: error: assets[0].addresses: '10.0.0.300' is not an IP address");
  expect_error("assets:\n  - name: x\n    tier: core\n    addresses: [10.0.0.0/33]\n",
               "'10.0.0.0/33' is not an IP address or CIDR");
  expect_error("assets:\n  - name: x\n    tier: core\n    data_classes: [secret]\n",
               "unknown data class 'secret'");
  expect_error(
      "assets:\n  - { name: a, tier: core, hosts: [h] }\n"
      "  - { name: b, tier: core, hosts: [H] }\n",
      "host 'H' is listed for both 'a' (line 2) and 'b'");
  expect_error(
      "assets:\n  - { name: a, tier: core, addresses: [10.0.0.0/8] }\n"
      "  - { name: b, tier: core, addresses: [10.0.0.0/8] }\n",
      "the same address range is listed for both 'a' (line 2) and 'b'");
  expect_error(
      "assets:\n  - { name: a, tier: core, hosts: [x] }\n"
      "  - { name: a, tier: cii, hosts: [y] }\n",
      "duplicate asset name 'a'");
  expect_error("assets:\n  - { tier: core, hosts: [x] }\n", "missing required key 'name'");
  expect_error("assets:\n  - { name: a, tier: core, hosts: [x], tolerable_downtime: 4 hours }\n",
               "expected a duration");
  expect_error("asets: []\n", "unknown key 'asets' in the asset inventory; did you mean 'assets'?");
  expect_error("- a\n", "expected a mapping with 'default' and 'assets'");
  expect_error("default: { tier: low }\n", "default.tier: unknown tier 'low'");
}

static void test_warnings(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_assets *a = NULL;
  assert_int_equal(
      soc_assets_load(write_file("w.yaml",
                                 "assets:\n"
                                 "  - { name: a, tier: core }\n"
                                 "  - { name: b, tier: core, addresses: [10.1.2.3/8] }\n"),
                      &a, d),
      0);
  assert_true(soc_diag_contains(d, "asset 'a' has no hosts or addresses"));
  assert_true(soc_diag_contains(d, "'10.1.2.3/8' has host bits set"));
  soc_asset_match m;
  soc_assets_lookup(a, "10.200.0.1", &m);
  assert_string_equal(m.asset->name, "b");
  soc_assets_free(a);
  soc_diag_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookup), cmocka_unit_test(test_default_only),
      cmocka_unit_test(test_errors), cmocka_unit_test(test_warnings)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
