/* yamldoc: positions, and the defences against hostile rule files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "soc/yamldoc.h"
#include "testutil.h"

static soc_ydoc *load(const char *text, soc_diag *d, int *rc) {
  soc_ydoc *doc = NULL;
  *rc = soc_ydoc_load_buffer("t.yaml", text, strlen(text), &doc, d);
  return doc;
}

static void test_positions(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  int rc;
  soc_ydoc *doc = load("a: 1\nlist:\n  - x\n  - \"y\"\nmap: { k: ~ }\n", d, &rc);
  assert_int_equal(rc, 0);
  const soc_ynode *root = soc_ydoc_root(doc);
  assert_int_equal(root->kind, SOC_YNODE_MAP);
  assert_int_equal(root->n, 3);
  const soc_ynode *list = soc_ynode_get(root, "list");
  assert_int_equal(list->kind, SOC_YNODE_SEQ);
  assert_int_equal(list->n, 2);
  assert_int_equal(list->items[1]->line, 4);
  assert_int_equal(list->items[1]->col, 5);
  assert_false(list->items[1]->plain);
  assert_true(soc_ynode_is_null(soc_ynode_get(soc_ynode_get(root, "map"), "k")));
  assert_null(soc_ynode_get(root, "absent"));
  assert_string_equal(soc_ydoc_name(doc), "t.yaml");
  soc_ydoc_free(doc);
  soc_diag_free(d);
}

static void expect_error(const char *text, const char *needle) {
  soc_diag *d = soc_diag_new();
  int rc;
  soc_ydoc *doc = load(text, d, &rc);
  assert_true(rc < 0);
  assert_null(doc);
  assert_diag_contains(d, needle);
  soc_diag_free(d);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("a: 1\na: 2\n", "t.yaml:2:1: error: duplicate key 'a' (first at line 1)");
  expect_error("a: &x [1]\nb: *x\n", "anchors and aliases are not supported");
  expect_error("a: [1, 2\n", "t.yaml:2:1: error: invalid YAML");
  expect_error("a: 1\n---\nb: 2\n", "more than one YAML document");
  expect_error("? [a]\n: 1\n", "a mapping key must be a scalar");
  expect_error("\t- a\n", "invalid YAML");
}

static void test_depth_limit(void **state) {
  (void)state;
  size_t n = SOC_YDOC_MAX_DEPTH + 5;
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; i < n; i++) s[i] = '[';
  for (size_t i = 0; i < n; i++) s[n + i] = ']';
  s[2 * n] = '\0';
  expect_error(s, "nesting deeper than 64 levels");
  free(s);
}

static void test_size_limit(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_ydoc *doc = NULL;
  size_t len = SOC_YDOC_MAX_BYTES + 1;
  char *big = malloc(len);
  memset(big, '#', len);
  assert_int_equal(soc_ydoc_load_buffer("big.yaml", big, len, &doc, d), -EFBIG);
  assert_true(soc_diag_contains(d, "larger than the"));
  free(big);
  soc_diag_free(d);
}

static void test_empty_and_missing(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  int rc;
  soc_ydoc *doc = load("", d, &rc);
  assert_int_equal(rc, 0);
  assert_null(soc_ydoc_root(doc));
  soc_ydoc_free(doc);
  doc = NULL;
  assert_int_equal(soc_ydoc_load_file("/nonexistent/x.yaml", &doc, d), -ENOENT);
  assert_true(soc_diag_contains(d, "/nonexistent/x.yaml: error: cannot open"));
  soc_diag_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_depth_limit), cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_empty_and_missing)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
