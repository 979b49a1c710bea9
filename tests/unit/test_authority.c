/*
 * Tests for the table of supervisory authorities (附件 主管機關列表).
 *
 * The spot checks are taken from the appendix by hand, across both of its
 * printed pages and at both ends, so that a shifted row shows up as a name
 * against the wrong number. The structural checks (every number once, in
 * order, no name twice) catch a row dropped or pasted twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "soc/authority.h"

static void test_count(void **state) {
  (void)state;
  assert_int_equal(SOC_AUTHORITY_COUNT, 57);
  assert_non_null(soc_authority_at(SOC_AUTHORITY_COUNT - 1));
  assert_null(soc_authority_at(SOC_AUTHORITY_COUNT));
  assert_null(soc_authority_at((size_t)-1));
}

static void test_spot_checks(void **state) {
  (void)state;
  static const struct {
    int number;
    const char *name;
  } spots[] = {
      {1, "行政院"},
      {2, "內政部"},
      {13, "科技部"},
      {16, "行政院環境保護署"},
      {17, "行政院海岸巡防署"},
      {20, "金融監督管理委員會"},
      {22, "國軍退除役官兵輔導委員會"},
      {27, "中央銀行"},
      {32, "公平交易委員會"},
      {33, "國家通訊傳播委員會"},
      {34, "臺灣省政府"},
      {36, "臺北市政府"},
      {41, "高雄市政府"},
      {45, "彰化縣政府"},
      {46, "雲林縣政府"},
      {54, "連江縣政府"},
      {56, "新竹市政府"},
      {57, "嘉義市政府"},
  };
  for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
    const soc_authority *a = soc_authority_find(spots[i].number);
    assert_non_null(a);
    assert_int_equal(a->number, spots[i].number);
    assert_string_equal(a->name, spots[i].name);
  }
}

static void test_unknown_numbers(void **state) {
  (void)state;
  static const int bad[] = {0, 58, -1, 100, INT_MAX, INT_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_null(soc_authority_find(bad[i]));
}

/* Appendix order is number order, and find and at agree on every entry. */
static void test_all_present_in_order(void **state) {
  (void)state;
  for (size_t i = 0; i < SOC_AUTHORITY_COUNT; i++) {
    const soc_authority *a = soc_authority_at(i);
    assert_non_null(a);
    assert_int_equal(a->number, (int)i + 1);
    assert_ptr_equal(soc_authority_find((int)i + 1), a);
    assert_non_null(a->name);
    assert_true(a->name[0] != '\0');
  }
}

static void test_no_duplicate_names(void **state) {
  (void)state;
  for (size_t i = 0; i < SOC_AUTHORITY_COUNT; i++) {
    for (size_t j = i + 1; j < SOC_AUTHORITY_COUNT; j++) {
      if (strcmp(soc_authority_at(i)->name, soc_authority_at(j)->name) == 0)
        fail_msg("%s listed as both %d and %d", soc_authority_at(i)->name,
                 soc_authority_at(i)->number, soc_authority_at(j)->number);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_count),
      cmocka_unit_test(test_spot_checks),
      cmocka_unit_test(test_unknown_numbers),
      cmocka_unit_test(test_all_present_in_order),
      cmocka_unit_test(test_no_duplicate_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
