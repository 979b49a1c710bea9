/*
 * Tests for the §2.3 level classifier.
 *
 * The heart is one table with a row for every cell of the level table in
 * SPEC.md: each impact row × each tier (and, for leaks, each data class),
 * including the cells marked "-" there, to show what those combinations
 * really give (tampering, minor, on CII is level 3, not 4). Each row names
 * the clause it expects by ref and by the guideline's own words, so a
 * swapped half of a clause is caught as well as a wrong number. The
 * expected texts are written out here again, not taken from lib/level.c,
 * so that a typo there cannot agree with itself.
 *
 * Then: the outage boundary (exactly the tolerable downtime is within it),
 * several impacts at once, every kind of invalid input, and the names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "soc/level.h"

/* The guideline's words for each half-clause, as printed in §2.3. */
#define ZH_4_1 "國家機密資料遭洩漏"
#define ZH_4_2 "關鍵資訊基礎設施系統或資料遭嚴重竄改"
#define ZH_4_3 "關鍵資訊基礎設施運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"
#define ZH_3_1 "密級或敏感資料遭洩漏"
#define ZH_3_2_CORE "核心業務系統或資料遭嚴重竄改"
#define ZH_3_2_CII "關鍵資訊基礎設施系統或資料遭輕微竄改"
#define ZH_3_3_CORE "核心業務運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"
#define ZH_3_3_CII "關鍵資訊基礎設施運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"
#define ZH_2_1 "核心業務（含關鍵資訊基礎設施）一般資料遭洩漏"
#define ZH_2_2_NONCORE "非核心業務系統或資料遭嚴重竄改"
#define ZH_2_2_CORE "核心業務系統或資料遭輕微竄改"
#define ZH_2_3_NONCORE "非核心業務運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"
#define ZH_2_3_CORE "核心業務運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"
#define ZH_1_1 "非核心業務一般資料遭洩漏"
#define ZH_1_2 "非核心業務系統或資料遭輕微竄改"
#define ZH_1_3 "非核心業務運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"

#define LEAK(t, c) \
  { .kind = SOC_IMPACT_LEAK, .tier = SOC_TIER_##t, .data_class = SOC_DATA_##c }
#define TAMPER(t, s) \
  { .kind = SOC_IMPACT_TAMPER, .tier = SOC_TIER_##t, .severity = SOC_SEVERITY_##s }
#define OUTAGE(t, secs, tol)                                                   \
  {                                                                            \
    .kind = SOC_IMPACT_OUTAGE, .tier = SOC_TIER_##t, .outage_seconds = (secs), \
    .tolerable_seconds = (tol)                                                 \
  }

typedef struct row {
  int line; /* so a failure names the row that failed */
  soc_impact impact;
  int level;
  const char *ref;
  const char *text_zh;
} row;

#define ROW(impact, level, ref, zh) \
  { __LINE__, impact, level, ref, zh }

static const row level_table[] = {
    /* leak: the data class decides; the tier only matters for general data */
    ROW(LEAK(NON_CORE, NATIONAL_SECRET), 4, "§2.3(一)1", ZH_4_1),
    ROW(LEAK(CORE, NATIONAL_SECRET), 4, "§2.3(一)1", ZH_4_1),
    ROW(LEAK(CII, NATIONAL_SECRET), 4, "§2.3(一)1", ZH_4_1),
    ROW(LEAK(NON_CORE, CLASSIFIED), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(CORE, CLASSIFIED), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(CII, CLASSIFIED), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(NON_CORE, SENSITIVE), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(CORE, SENSITIVE), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(CII, SENSITIVE), 3, "§2.3(二)1", ZH_3_1),
    ROW(LEAK(CII, GENERAL), 2, "§2.3(三)1", ZH_2_1),
    ROW(LEAK(CORE, GENERAL), 2, "§2.3(三)1", ZH_2_1),
    ROW(LEAK(NON_CORE, GENERAL), 1, "§2.3(四)1", ZH_1_1),

    /* tampering, severe: CII 4, core 3, non-core 2, never 1 */
    ROW(TAMPER(CII, SEVERE), 4, "§2.3(一)2", ZH_4_2),
    ROW(TAMPER(CORE, SEVERE), 3, "§2.3(二)2", ZH_3_2_CORE),
    ROW(TAMPER(NON_CORE, SEVERE), 2, "§2.3(三)2", ZH_2_2_NONCORE),

    /* tampering, minor: CII 3 (not 4), core 2, non-core 1 */
    ROW(TAMPER(CII, MINOR), 3, "§2.3(二)2", ZH_3_2_CII),
    ROW(TAMPER(CORE, MINOR), 2, "§2.3(三)2", ZH_2_2_CORE),
    ROW(TAMPER(NON_CORE, MINOR), 1, "§2.3(四)2", ZH_1_2),

    /* outage beyond the tolerable downtime: CII 4, core 3, non-core 2 */
    ROW(OUTAGE(CII, 7200, 3600), 4, "§2.3(一)3", ZH_4_3),
    ROW(OUTAGE(CORE, 7200, 3600), 3, "§2.3(二)3", ZH_3_3_CORE),
    ROW(OUTAGE(NON_CORE, 7200, 3600), 2, "§2.3(三)3", ZH_2_3_NONCORE),

    /* outage within the tolerable downtime: CII 3 (not 4), core 2, non-core 1 */
    ROW(OUTAGE(CII, 60, 3600), 3, "§2.3(二)3", ZH_3_3_CII),
    ROW(OUTAGE(CORE, 60, 3600), 2, "§2.3(三)3", ZH_2_3_CORE),
    ROW(OUTAGE(NON_CORE, 60, 3600), 1, "§2.3(四)3", ZH_1_3),
};

static const row boundary_table[] = {
    /* exactly the tolerable downtime is still within it */
    ROW(OUTAGE(CII, 3600, 3600), 3, "§2.3(二)3", ZH_3_3_CII),
    ROW(OUTAGE(CORE, 3600, 3600), 2, "§2.3(三)3", ZH_2_3_CORE),
    ROW(OUTAGE(NON_CORE, 3600, 3600), 1, "§2.3(四)3", ZH_1_3),
    /* one second more is beyond it */
    ROW(OUTAGE(CII, 3601, 3600), 4, "§2.3(一)3", ZH_4_3),
    ROW(OUTAGE(CORE, 3601, 3600), 3, "§2.3(二)3", ZH_3_3_CORE),
    ROW(OUTAGE(NON_CORE, 3601, 3600), 2, "§2.3(三)3", ZH_2_3_NONCORE),
    /* no tolerable downtime at all: only a zero-length outage is within */
    ROW(OUTAGE(CII, 0, 0), 3, "§2.3(二)3", ZH_3_3_CII),
    ROW(OUTAGE(CII, 1, 0), 4, "§2.3(一)3", ZH_4_3),
    ROW(OUTAGE(NON_CORE, 0, 0), 1, "§2.3(四)3", ZH_1_3),
    ROW(OUTAGE(NON_CORE, 1, 0), 2, "§2.3(三)3", ZH_2_3_NONCORE),
    /* no overflow at the far end */
    ROW(OUTAGE(CORE, INT64_MAX, INT64_MAX), 2, "§2.3(三)3", ZH_2_3_CORE),
    ROW(OUTAGE(CORE, INT64_MAX, INT64_MAX - 1), 3, "§2.3(二)3", ZH_3_3_CORE),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_rows(const row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const row *r = &rows[i];
    const soc_level_clause *c = NULL;
    int got = soc_level_of(&r->impact, &c);
    if (got != r->level) fail_msg("row at line %d: level %d, want %d", r->line, got, r->level);
    if (c == NULL) fail_msg("row at line %d: no clause", r->line);
    if (c->level != r->level)
      fail_msg("row at line %d: clause level %d, want %d", r->line, c->level, r->level);
    if (strcmp(c->ref, r->ref) != 0)
      fail_msg("row at line %d: ref %s, want %s", r->line, c->ref, r->ref);
    if (strcmp(c->text_zh, r->text_zh) != 0)
      fail_msg("row at line %d: text_zh %s, want %s", r->line, c->text_zh, r->text_zh);
    if (c->text == NULL || c->text[0] == '\0') fail_msg("row at line %d: no English text", r->line);
  }
}

static void test_every_cell(void **state) {
  (void)state;
  check_rows(level_table, COUNT(level_table));
}

static void test_outage_boundaries(void **state) {
  (void)state;
  check_rows(boundary_table, COUNT(boundary_table));
}

/* The header promises that re-running the classifier as an outage goes on
 * moves it up exactly when the tolerable downtime is passed. */
static void test_outage_relevels_upward(void **state) {
  (void)state;
  soc_impact o = OUTAGE(CII, 0, 1800);
  for (int64_t t = 0; t <= 3600; t += 60) {
    o.outage_seconds = t;
    assert_int_equal(soc_level_of(&o, NULL), t <= 1800 ? 3 : 4);
  }
}

/* Halves of one clause share a ref but must not share an entry, or the text
 * would name the wrong half. */
static void test_clause_halves_are_distinct(void **state) {
  (void)state;
  static const soc_impact pairs[][2] = {
      {TAMPER(CORE, SEVERE), TAMPER(CII, MINOR)},
      {TAMPER(NON_CORE, SEVERE), TAMPER(CORE, MINOR)},
      {OUTAGE(CORE, 2, 1), OUTAGE(CII, 1, 1)},
      {OUTAGE(NON_CORE, 2, 1), OUTAGE(CORE, 1, 1)},
  };
  for (size_t i = 0; i < COUNT(pairs); i++) {
    const soc_level_clause *a = NULL, *b = NULL;
    assert_true(soc_level_of(&pairs[i][0], &a) > 0);
    assert_true(soc_level_of(&pairs[i][1], &b) > 0);
    assert_int_equal(a->level, b->level);
    assert_string_equal(a->ref, b->ref);
    assert_ptr_not_equal(a, b);
    assert_string_not_equal(a->text, b->text);
    assert_string_not_equal(a->text_zh, b->text_zh);
  }
}

/* Fields a kind does not use must not change its level. */
static void test_unused_fields_ignored(void **state) {
  (void)state;
  soc_impact leak = LEAK(CORE, GENERAL);
  leak.severity = SOC_SEVERITY_SEVERE;
  leak.outage_seconds = -5;
  assert_int_equal(soc_level_of(&leak, NULL), 2);

  soc_impact tamper = TAMPER(CORE, MINOR);
  tamper.data_class = SOC_DATA_NATIONAL_SECRET;
  tamper.tolerable_seconds = -1;
  assert_int_equal(soc_level_of(&tamper, NULL), 2);

  soc_impact outage = OUTAGE(CORE, 10, 20);
  outage.data_class = SOC_DATA_NATIONAL_SECRET;
  outage.severity = SOC_SEVERITY_SEVERE;
  assert_int_equal(soc_level_of(&outage, NULL), 2);
}

static void test_invalid_impacts(void **state) {
  (void)state;
  static const struct {
    int line;
    soc_impact impact;
  } bad[] = {
      {__LINE__, {.kind = SOC_IMPACT_NONE, .tier = SOC_TIER_CORE}},
      {__LINE__, {.kind = (soc_impact_kind)99, .tier = SOC_TIER_CORE}},
      /* missing or out-of-range tier, for every kind */
      {__LINE__, LEAK(NONE, NATIONAL_SECRET)},
      {__LINE__, TAMPER(NONE, SEVERE)},
      {__LINE__, OUTAGE(NONE, 10, 20)},
      {__LINE__, {.kind = SOC_IMPACT_LEAK, .tier = (soc_tier)7, .data_class = SOC_DATA_GENERAL}},
      /* leak without a data class */
      {__LINE__, LEAK(CII, NONE)},
      {__LINE__, {.kind = SOC_IMPACT_LEAK, .tier = SOC_TIER_CORE, .data_class = (soc_data_class)9}},
      /* tampering without a severity */
      {__LINE__, TAMPER(CII, NONE)},
      {__LINE__, {.kind = SOC_IMPACT_TAMPER, .tier = SOC_TIER_CORE, .severity = (soc_severity)3}},
      /* negative durations */
      {__LINE__, OUTAGE(CORE, -1, 3600)},
      {__LINE__, OUTAGE(CORE, 10, -1)},
      {__LINE__, OUTAGE(CORE, -1, -1)},
      {__LINE__, OUTAGE(CII, INT64_MIN, 0)},
  };
  static const soc_level_clause sentinel = {0, "", "", ""};

  for (size_t i = 0; i < COUNT(bad); i++) {
    const soc_level_clause *c = &sentinel;
    int got = soc_level_of(&bad[i].impact, &c);
    if (got != -EINVAL) fail_msg("row at line %d: got %d, want -EINVAL", bad[i].line, got);
    if (c != NULL) fail_msg("row at line %d: clause not cleared", bad[i].line);
    assert_int_equal(soc_level_of(&bad[i].impact, NULL), -EINVAL);
  }

  const soc_level_clause *c = &sentinel;
  assert_int_equal(soc_level_of(NULL, &c), -EINVAL);
  assert_null(c);
}

static void assert_zeroed(const soc_level_result *r) {
  assert_int_equal(r->level, 0);
  assert_int_equal(r->n, 0);
  for (size_t i = 0; i < SOC_LEVEL_MAX_IMPACTS; i++) assert_null(r->clauses[i]);
}

static void test_classify_highest_wins_order_kept(void **state) {
  (void)state;
  /* the highest in the middle, at the start and at the end */
  static const soc_impact mixes[][3] = {
      {TAMPER(CORE, MINOR), LEAK(NON_CORE, SENSITIVE), OUTAGE(NON_CORE, 1, 5)},
      {LEAK(NON_CORE, SENSITIVE), TAMPER(CORE, MINOR), OUTAGE(NON_CORE, 1, 5)},
      {OUTAGE(NON_CORE, 1, 5), TAMPER(CORE, MINOR), LEAK(NON_CORE, SENSITIVE)},
  };
  for (size_t m = 0; m < COUNT(mixes); m++) {
    soc_level_result r;
    memset(&r, 0xab, sizeof r);
    assert_int_equal(soc_level_classify(mixes[m], 3, &r), 3);
    assert_int_equal(r.level, 3);
    assert_int_equal(r.n, 3);
    for (size_t i = 0; i < 3; i++) {
      const soc_level_clause *want = NULL;
      assert_true(soc_level_of(&mixes[m][i], &want) > 0);
      assert_ptr_equal(r.clauses[i], want);
    }
    for (size_t i = 3; i < SOC_LEVEL_MAX_IMPACTS; i++) assert_null(r.clauses[i]);
  }
}

/* Impacts of the same level are all kept: the reason may be several. */
static void test_classify_keeps_equal_clauses(void **state) {
  (void)state;
  const soc_impact same[] = {TAMPER(CII, SEVERE), LEAK(CORE, NATIONAL_SECRET), OUTAGE(CII, 10, 5),
                             TAMPER(CII, SEVERE)};
  soc_level_result r;
  assert_int_equal(soc_level_classify(same, COUNT(same), &r), 4);
  assert_int_equal(r.n, 4);
  assert_string_equal(r.clauses[0]->ref, "§2.3(一)2");
  assert_string_equal(r.clauses[1]->ref, "§2.3(一)1");
  assert_string_equal(r.clauses[2]->ref, "§2.3(一)3");
  assert_ptr_equal(r.clauses[3], r.clauses[0]);
}

static void test_classify_single(void **state) {
  (void)state;
  const soc_impact one = LEAK(NON_CORE, GENERAL);
  soc_level_result r;
  assert_int_equal(soc_level_classify(&one, 1, &r), 1);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.clauses[0]->ref, "§2.3(四)1");
}

static void test_classify_max_impacts(void **state) {
  (void)state;
  soc_impact many[SOC_LEVEL_MAX_IMPACTS + 1];
  for (size_t i = 0; i < COUNT(many); i++) many[i] = (soc_impact)TAMPER(NON_CORE, MINOR);
  many[SOC_LEVEL_MAX_IMPACTS - 1] = (soc_impact)LEAK(CII, NATIONAL_SECRET);

  soc_level_result r;
  assert_int_equal(soc_level_classify(many, SOC_LEVEL_MAX_IMPACTS, &r), 4);
  assert_int_equal(r.n, SOC_LEVEL_MAX_IMPACTS);
  assert_string_equal(r.clauses[0]->ref, "§2.3(四)2");
  assert_string_equal(r.clauses[SOC_LEVEL_MAX_IMPACTS - 1]->ref, "§2.3(一)1");

  memset(&r, 0xab, sizeof r);
  assert_int_equal(soc_level_classify(many, SOC_LEVEL_MAX_IMPACTS + 1, &r), -EINVAL);
  assert_zeroed(&r);
}

static void test_classify_invalid(void **state) {
  (void)state;
  const soc_impact ok = TAMPER(CORE, SEVERE);
  soc_level_result r;

  memset(&r, 0xab, sizeof r);
  assert_int_equal(soc_level_classify(&ok, 0, &r), -EINVAL);
  assert_zeroed(&r);

  memset(&r, 0xab, sizeof r);
  assert_int_equal(soc_level_classify(NULL, 1, &r), -EINVAL);
  assert_zeroed(&r);

  assert_int_equal(soc_level_classify(&ok, 1, NULL), -EINVAL);

  /* one bad impact spoils the lot, wherever it is, with nothing left over */
  const soc_impact with_bad[][3] = {
      {TAMPER(CII, SEVERE), LEAK(CORE, GENERAL), LEAK(CORE, NONE)},
      {TAMPER(CORE, NONE), TAMPER(CII, SEVERE), LEAK(CORE, GENERAL)},
      {TAMPER(CII, SEVERE), OUTAGE(CORE, -1, 60), LEAK(CORE, GENERAL)},
  };
  for (size_t i = 0; i < COUNT(with_bad); i++) {
    memset(&r, 0xab, sizeof r);
    assert_int_equal(soc_level_classify(with_bad[i], 3, &r), -EINVAL);
    assert_zeroed(&r);
  }
}

/* Every value's name parses back to it, and the names are the documented
 * ones: config files and rules are written against these spellings. */
static void test_names_round_trip(void **state) {
  (void)state;
  static const char *const kinds[] = {"none", "leak", "tamper", "outage"};
  static const char *const tiers[] = {"none", "non-core", "core", "cii"};
  static const char *const classes[] = {"none", "general", "sensitive", "classified",
                                        "national-secret"};
  static const char *const severities[] = {"none", "minor", "severe"};

  for (int i = 0; i < (int)COUNT(kinds); i++) {
    assert_string_equal(soc_impact_kind_name((soc_impact_kind)i), kinds[i]);
    assert_int_equal(soc_impact_kind_parse(kinds[i]), i);
  }
  for (int i = 0; i < (int)COUNT(tiers); i++) {
    assert_string_equal(soc_tier_name((soc_tier)i), tiers[i]);
    assert_int_equal(soc_tier_parse(tiers[i]), i);
  }
  for (int i = 0; i < (int)COUNT(classes); i++) {
    assert_string_equal(soc_data_class_name((soc_data_class)i), classes[i]);
    assert_int_equal(soc_data_class_parse(classes[i]), i);
  }
  for (int i = 0; i < (int)COUNT(severities); i++) {
    assert_string_equal(soc_severity_name((soc_severity)i), severities[i]);
    assert_int_equal(soc_severity_parse(severities[i]), i);
  }
}

static void test_parse_case_and_aliases(void **state) {
  (void)state;
  assert_int_equal(soc_impact_kind_parse("LEAK"), SOC_IMPACT_LEAK);
  assert_int_equal(soc_impact_kind_parse("Tamper"), SOC_IMPACT_TAMPER);
  assert_int_equal(soc_impact_kind_parse("oUtAgE"), SOC_IMPACT_OUTAGE);
  assert_int_equal(soc_tier_parse("CII"), SOC_TIER_CII);
  assert_int_equal(soc_tier_parse("Core"), SOC_TIER_CORE);
  assert_int_equal(soc_tier_parse("Non-Core"), SOC_TIER_NON_CORE);
  assert_int_equal(soc_tier_parse("noncore"), SOC_TIER_NON_CORE);
  assert_int_equal(soc_tier_parse("NonCore"), SOC_TIER_NON_CORE);
  assert_int_equal(soc_tier_parse("non_core"), SOC_TIER_NON_CORE);
  assert_int_equal(soc_tier_parse("NON_CORE"), SOC_TIER_NON_CORE);
  assert_int_equal(soc_data_class_parse("National-Secret"), SOC_DATA_NATIONAL_SECRET);
  assert_int_equal(soc_data_class_parse("national_secret"), SOC_DATA_NATIONAL_SECRET);
  assert_int_equal(soc_data_class_parse("CLASSIFIED"), SOC_DATA_CLASSIFIED);
  assert_int_equal(soc_data_class_parse("Sensitive"), SOC_DATA_SENSITIVE);
  assert_int_equal(soc_data_class_parse("GENERAL"), SOC_DATA_GENERAL);
  assert_int_equal(soc_severity_parse("MINOR"), SOC_SEVERITY_MINOR);
  assert_int_equal(soc_severity_parse("Severe"), SOC_SEVERITY_SEVERE);
}

static void test_parse_unknown(void **state) {
  (void)state;
  static const char *const junk[] = {
      "",     "none", "NONE",   " core",    "core ", "cor",  "cores", "non core",
      "non-", "nc",   "secret", "critical", "leaks", "ddos", "high",  "-",
  };
  for (size_t i = 0; i < COUNT(junk); i++) {
    assert_int_equal(soc_impact_kind_parse(junk[i]), SOC_IMPACT_NONE);
    assert_int_equal(soc_tier_parse(junk[i]), SOC_TIER_NONE);
    assert_int_equal(soc_data_class_parse(junk[i]), SOC_DATA_NONE);
    assert_int_equal(soc_severity_parse(junk[i]), SOC_SEVERITY_NONE);
  }
  assert_int_equal(soc_impact_kind_parse(NULL), SOC_IMPACT_NONE);
  assert_int_equal(soc_tier_parse(NULL), SOC_TIER_NONE);
  assert_int_equal(soc_data_class_parse(NULL), SOC_DATA_NONE);
  assert_int_equal(soc_severity_parse(NULL), SOC_SEVERITY_NONE);
}

static void test_name_out_of_range(void **state) {
  (void)state;
  assert_string_equal(soc_impact_kind_name((soc_impact_kind)4), "unknown");
  assert_string_equal(soc_tier_name((soc_tier)4), "unknown");
  assert_string_equal(soc_data_class_name((soc_data_class)5), "unknown");
  assert_string_equal(soc_severity_name((soc_severity)3), "unknown");
  assert_string_equal(soc_tier_name((soc_tier)-1), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_cell),
      cmocka_unit_test(test_outage_boundaries),
      cmocka_unit_test(test_outage_relevels_upward),
      cmocka_unit_test(test_clause_halves_are_distinct),
      cmocka_unit_test(test_unused_fields_ignored),
      cmocka_unit_test(test_invalid_impacts),
      cmocka_unit_test(test_classify_highest_wins_order_kept),
      cmocka_unit_test(test_classify_keeps_equal_clauses),
      cmocka_unit_test(test_classify_single),
      cmocka_unit_test(test_classify_max_impacts),
      cmocka_unit_test(test_classify_invalid),
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_parse_case_and_aliases),
      cmocka_unit_test(test_parse_unknown),
      cmocka_unit_test(test_name_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
