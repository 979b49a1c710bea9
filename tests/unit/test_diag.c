/* diag: the message format operators and editors rely on, and the cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "soc/diag.h"

static void test_format(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  soc_diag_add(d, SOC_DIAG_ERROR, "a.yaml", 3, 7, "bad %s", "thing");
  soc_diag_add(d, SOC_DIAG_WARNING, "a.yaml", 4, 0, "careful");
  soc_diag_add(d, SOC_DIAG_ERROR, NULL, 0, 0, "no place");
  assert_string_equal(soc_diag_message(d, 0), "a.yaml:3:7: error: bad thing");
  assert_string_equal(soc_diag_message(d, 1), "a.yaml:4: warning: careful");
  assert_string_equal(soc_diag_message(d, 2), "error: no place");
  assert_null(soc_diag_message(d, 3));
  assert_int_equal(soc_diag_errors(d), 2);
  assert_int_equal(soc_diag_warnings(d), 1);
  assert_true(soc_diag_contains(d, "careful"));
  assert_false(soc_diag_contains(d, "absent"));
  soc_diag_free(d);
  soc_diag_free(NULL);
}

static void test_cap(void **state) {
  (void)state;
  soc_diag *d = soc_diag_new();
  for (int i = 0; i < SOC_DIAG_MAX + 50; i++) soc_diag_add(d, SOC_DIAG_ERROR, "f", 1, 1, "e%d", i);
  assert_int_equal(soc_diag_count(d), SOC_DIAG_MAX);
  assert_int_equal(soc_diag_errors(d), SOC_DIAG_MAX + 50);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  soc_diag_print(d, f);
  fclose(f);
  assert_non_null(strstr(buf, "and 50 more"));
  free(buf);
  soc_diag_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_format), cmocka_unit_test(test_cap)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
