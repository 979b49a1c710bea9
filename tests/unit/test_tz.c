/*
 * tz: zone strings parse or are refused; wall-clock times convert to the
 * epochs that Python's zoneinfo gives for the same zone (fold=0, which is
 * also our rule for DST gaps and repeats); the cache gives the same answers
 * as a fresh lookup across every hour of two years; TZ is put back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "soc/tz.h"

static soc_tz zone(const char *s) {
  soc_tz tz;
  if (soc_tz_parse(s, &tz)) fail_msg("zone '%s' refused", s);
  return tz;
}

static int64_t conv(const char *z, int y, int mo, int d, int h, int mi, int s) {
  soc_tz tz = zone(z);
  int64_t t = 0;
  int rc = soc_tz_to_utc(&tz, y, mo, d, h, mi, s, &t);
  if (rc) fail_msg("%s %04d-%02d-%02d %02d:%02d:%02d: %d", z, y, mo, d, h, mi, s, rc);
  return t;
}

static void test_parse(void **state) {
  (void)state;
  soc_tz tz;
  static const struct {
    const char *s;
    soc_tz_kind kind;
    int32_t offset;
  } ok[] = {
      {"UTC", SOC_TZ_UTC, 0},
      {"utc", SOC_TZ_UTC, 0},
      {"Z", SOC_TZ_UTC, 0},
      {"local", SOC_TZ_LOCAL, 0},
      {"+08:00", SOC_TZ_FIXED, 28800},
      {"+0800", SOC_TZ_FIXED, 28800},
      {"-05:30", SOC_TZ_FIXED, -19800},
      {"-00:00", SOC_TZ_FIXED, 0},
      {"+23:59", SOC_TZ_FIXED, 86340},
      {"Asia/Taipei", SOC_TZ_NAMED, 0},
      {"America/New_York", SOC_TZ_NAMED, 0},
      {"Etc/GMT+5", SOC_TZ_NAMED, 0},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    memset(&tz, 0x55, sizeof tz);
    if (soc_tz_parse(ok[i].s, &tz)) fail_msg("'%s' refused", ok[i].s);
    assert_int_equal(tz.kind, ok[i].kind);
    assert_int_equal(tz.offset_sec, ok[i].offset);
    assert_string_equal(tz.name, ok[i].kind == SOC_TZ_NAMED ? ok[i].s : "");
  }
  static const char *const bad[] = {
      "",
      "+8:00",
      "+08",
      "+24:00",
      "+08:60",
      "+08:00x",
      "08:00",
      "+08-00",
      "Nowhere/City",
      "asia/taipei",
      "Asia",
      "Asia/",
      "zone.tab",
      "tzdata.zi",
      "/etc/localtime",
      "../../../etc/passwd",
      "Asia/../Asia/Taipei",
      "Asia//Taipei",
      "Local",
      ".Asia",
      "Asia/Taipei\n",
      "America/Argentina/ComodRivadavia_but_far_too_long_for_the_name_field_xx",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (soc_tz_parse(bad[i], &tz) != -EINVAL) fail_msg("'%s' accepted", bad[i]);
  assert_int_equal(soc_tz_parse(NULL, &tz), -EINVAL);
  assert_int_equal(soc_tz_parse("UTC", NULL), -EINVAL);
}

static void test_calendar(void **state) {
  (void)state;
  assert_int_equal(soc_tz_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(soc_tz_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(soc_tz_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(soc_tz_days_from_civil(1, 1, 1), -719162);
  assert_int_equal(soc_tz_utc_year(0), 1970);
  assert_int_equal(soc_tz_utc_year(-1), 1969);
  assert_int_equal(soc_tz_utc_year(1735689599), 2024); /* 2024-12-31T23:59:59Z */
  assert_int_equal(soc_tz_utc_year(1735689600), 2025);
  assert_int_equal(soc_tz_utc_year(-62135596800), 1);
  assert_int_equal(soc_tz_utc_year(253402300799), 9999);
  assert_int_equal(soc_tz_days_in_month(2024, 2), 29);
  assert_int_equal(soc_tz_days_in_month(2025, 2), 28);
  assert_int_equal(soc_tz_days_in_month(2000, 2), 29);
  assert_int_equal(soc_tz_days_in_month(2100, 2), 28);
  assert_int_equal(soc_tz_days_in_month(2026, 4), 30);
  assert_int_equal(soc_tz_days_in_month(2026, 12), 31);
  assert_int_equal(soc_tz_days_in_month(2026, 0), 0);
  assert_int_equal(soc_tz_days_in_month(2026, 13), 0);
}

static void test_utc_and_fixed(void **state) {
  (void)state;
  assert_int_equal(conv("UTC", 1970, 1, 1, 0, 0, 0), 0);
  assert_int_equal(conv("UTC", 2026, 11, 25, 7, 23, 31), 1795591411);
  assert_int_equal(conv("+08:00", 2026, 11, 25, 7, 23, 31), 1795562611);
  assert_int_equal(conv("-05:30", 2026, 11, 25, 7, 23, 31), 1795591411 + 19800);
  assert_int_equal(conv("UTC", 2024, 2, 29, 0, 0, 0), 1709164800);
  assert_int_equal(conv("UTC", 9999, 12, 31, 23, 59, 59), 253402300799);
  assert_int_equal(conv("UTC", 1, 1, 1, 0, 0, 0), -62135596800);
}

static void test_out_of_range(void **state) {
  (void)state;
  static const int bad[][6] = {
      {2025, 2, 29, 0, 0, 0}, {1900, 2, 29, 0, 0, 0}, {2026, 4, 31, 0, 0, 0},
      {2026, 0, 1, 0, 0, 0},  {2026, 13, 1, 0, 0, 0}, {2026, 1, 0, 0, 0, 0},
      {2026, 1, 32, 0, 0, 0}, {2026, 1, 1, 24, 0, 0}, {2026, 1, 1, -1, 0, 0},
      {2026, 1, 1, 0, 60, 0}, {2026, 1, 1, 0, 0, 60}, {2026, 1, 1, 0, 0, -1},
      {-1, 1, 1, 0, 0, 0},    {10000, 1, 1, 0, 0, 0},
  };
  const char *zones[] = {"UTC", "+08:00", "Asia/Taipei", "local"};
  int64_t t = 42;
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    soc_tz tz = zone(zones[z]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      const int *b = bad[i];
      if (soc_tz_to_utc(&tz, b[0], b[1], b[2], b[3], b[4], b[5], &t) != -EINVAL)
        fail_msg("%s: row %zu accepted", zones[z], i);
    }
  }
  assert_int_equal(t, 42);
  soc_tz tz = zone("UTC");
  assert_int_equal(soc_tz_to_utc(NULL, 2026, 1, 1, 0, 0, 0, &t), -EINVAL);
  assert_int_equal(soc_tz_to_utc(&tz, 2026, 1, 1, 0, 0, 0, NULL), -EINVAL);
  /* a hand-made zone whose name is not a zone name */
  memset(&tz, 0, sizeof tz);
  tz.kind = SOC_TZ_NAMED;
  strcpy(tz.name, "../etc/passwd");
  assert_int_equal(soc_tz_to_utc(&tz, 2026, 1, 1, 0, 0, 0, &t), -EINVAL);
  strcpy(tz.name, "UTC8"); /* a POSIX rule, not a zone file */
  assert_int_equal(soc_tz_to_utc(&tz, 2026, 1, 1, 0, 0, 0, &t), -EINVAL);
  memset(tz.name, 'A', sizeof tz.name); /* no NUL */
  assert_int_equal(soc_tz_to_utc(&tz, 2026, 1, 1, 0, 0, 0, &t), -EINVAL);
  /* nanoseconds since 1970 in an int64 end on 2262-04-11 (found by fuzz_center) */
  int64_t ns = 42;
  assert_int_equal(soc_time_parse_ns("2262-04-11T23:47:16.854775807Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("4052-12-01T00:00Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("2262-04-10T00:00Z", &ns), 0);
  assert_true(ns > 0);
}

static void test_taipei(void **state) {
  (void)state;
  assert_int_equal(conv("Asia/Taipei", 2026, 11, 25, 7, 23, 31), 1795562611);
  assert_int_equal(conv("Asia/Taipei", 2024, 12, 31, 23, 59, 59), 1735660799);
  /* Taiwan last kept summer time (+09:00) in 1979. */
  assert_int_equal(conv("Asia/Taipei", 1979, 8, 1, 12, 0, 0), 302324400);
  assert_int_equal(conv("Asia/Taipei", 1979, 12, 1, 12, 0, 0), 312868800);
}

static void test_new_york_dst(void **state) {
  (void)state;
  const char *ny = "America/New_York";
  assert_int_equal(conv(ny, 2026, 1, 15, 12, 0, 0), 1768496400); /* EST */
  assert_int_equal(conv(ny, 2026, 7, 4, 12, 0, 0), 1783180800);  /* EDT */
  /* 2026-03-08: 02:00 EST becomes 03:00 EDT; 02:30 does not exist and
   * is read with the offset from before (EST). */
  assert_int_equal(conv(ny, 2026, 3, 8, 1, 59, 59), 1772953199);
  assert_int_equal(conv(ny, 2026, 3, 8, 2, 30, 0), 1772955000);
  assert_int_equal(conv(ny, 2026, 3, 8, 3, 0, 0), 1772953200);
  /* 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 happens twice and the
   * earlier (EDT) wins. */
  assert_int_equal(conv(ny, 2026, 11, 1, 0, 59, 59), 1793509199);
  assert_int_equal(conv(ny, 2026, 11, 1, 1, 30, 0), 1793511000);
  assert_int_equal(conv(ny, 2026, 11, 1, 1, 59, 59), 1793512799);
  assert_int_equal(conv(ny, 2026, 11, 1, 2, 0, 0), 1793516400);
  /* Asked again, from the cache, the answers stay. */
  assert_int_equal(conv(ny, 2026, 3, 8, 2, 30, 0), 1772955000);
  assert_int_equal(conv(ny, 2026, 11, 1, 1, 30, 0), 1793511000);
}

/* A zone whose change falls at a half hour: the hour around it is never
 * cached whole. */
static void test_lord_howe(void **state) {
  (void)state;
  const char *lh = "Australia/Lord_Howe";
  for (int round = 0; round < 2; round++) {
    assert_int_equal(conv(lh, 2026, 10, 4, 1, 59, 0), 1791041340);
    assert_int_equal(conv(lh, 2026, 10, 4, 2, 15, 0), 1791042300); /* in the gap */
    assert_int_equal(conv(lh, 2026, 10, 4, 2, 45, 0), 1791042300);
    assert_int_equal(conv(lh, 2026, 4, 5, 1, 15, 0), 1775312100);
    assert_int_equal(conv(lh, 2026, 4, 5, 1, 45, 0), 1775313900); /* repeated */
    assert_int_equal(conv(lh, 2026, 4, 5, 2, 15, 0), 1775317500);
  }
}

/* 26 zones with 26 offsets, over a week of hours, twice: they share the
 * cache's 64 slots, so some must meet in a slot, and none may take
 * another's offset. */
static void test_cache_keeps_zones_apart(void **state) {
  (void)state;
  for (int pass = 0; pass < 2; pass++) {
    for (int64_t h = 0; h < 7 * 24; h++) {
      for (int off = -12; off <= 14; off++) {
        char name[16];
        soc_tz tz;
        int64_t t;
        if (!off) continue;
        /* POSIX signs: Etc/GMT-8 is eight hours east of UTC */
        snprintf(name, sizeof name, "Etc/GMT%+d", -off);
        tz = zone(name);
        assert_int_equal(soc_tz_to_utc(&tz, 2026, 11, 23 + (int)(h / 24), (int)(h % 24), 30, 0, &t),
                         0);
        assert_int_equal(
            t, conv("UTC", 2026, 11, 23 + (int)(h / 24), (int)(h % 24), 30, 0) - off * 3600);
      }
    }
  }
}

static void wall_of(const char *tzval, int64_t t, struct tm *tm) {
  time_t tt = (time_t)t;
  setenv("TZ", tzval, 1);
  tzset();
  assert_non_null(localtime_r(&tt, tm));
}

/* Every hour of 2025 and 2026, at three minutes each, in zones that
 * alternate (so the cache is filled, hit and evicted): the result shows the
 * same wall clock in the zone, and no earlier instant does. */
static void test_sweep_against_libc(void **state) {
  (void)state;
  static const char *const names[] = {"America/New_York", "Asia/Taipei", "Europe/London",
                                      "Australia/Lord_Howe"};
  static const int minutes[] = {0, 17, 59};
  soc_tz tzs[4];
  char tzval[80];
  for (size_t z = 0; z < 4; z++) tzs[z] = zone(names[z]);
  int64_t start = soc_tz_days_from_civil(2025, 1, 1) * 86400;
  for (int64_t wall = start; wall < start + 2 * 365 * 86400; wall += 3600) {
    for (size_t k = 0; k < 3; k++) {
      size_t z = (size_t)(wall / 3600 + (int64_t)k) % 4;
      int64_t w = wall + minutes[k] * 60, t;
      struct tm civil, tm;
      time_t wt = (time_t)w;
      gmtime_r(&wt, &civil);
      assert_int_equal(soc_tz_to_utc(&tzs[z], civil.tm_year + 1900, civil.tm_mon + 1, civil.tm_mday,
                                     civil.tm_hour, civil.tm_min, civil.tm_sec, &t),
                       0);
      snprintf(tzval, sizeof tzval, ":%s", names[z]);
      wall_of(tzval, t, &tm);
      int64_t shown = soc_tz_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
                      tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
      if (shown == w) {
        /* The earlier instant wins: an hour (or half) before shows less. */
        for (int back = 1800; back <= 3600; back += 1800) {
          wall_of(tzval, t - back, &tm);
          int64_t before =
              soc_tz_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
              tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
          if (before == w) fail_msg("%s wall %lld: a later instant chosen", names[z], (long long)w);
        }
        continue;
      }
      /* Only a skipped time may show otherwise: then it is shown later by
       * the size of the jump (30 or 60 minutes). */
      if (shown - w != 3600 && shown - w != 1800)
        fail_msg("%s wall %lld shown as %lld", names[z], (long long)w, (long long)shown);
    }
  }
  unsetenv("TZ");
  tzset();
}

static void test_local_and_tz_restored(void **state) {
  (void)state;
  soc_tz local = zone("local"), taipei = zone("Asia/Taipei");
  int64_t t;
  struct tm tm;
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  assert_int_equal(soc_tz_to_utc(&taipei, 2026, 11, 25, 7, 23, 31, &t), 0);
  assert_int_equal(t, 1795562611);
  assert_string_equal(getenv("TZ"), "Europe/Paris");
  /* local is /etc/localtime, not the TZ of the moment */
  assert_int_equal(soc_tz_to_utc(&local, 2026, 6, 1, 12, 0, 0, &t), 0);
  assert_string_equal(getenv("TZ"), "Europe/Paris");
  wall_of(":/etc/localtime", t, &tm);
  assert_int_equal(tm.tm_year, 126);
  assert_int_equal(tm.tm_mon, 5);
  assert_int_equal(tm.tm_mday, 1);
  assert_int_equal(tm.tm_hour, 12);
  assert_int_equal(tm.tm_min, 0);
  unsetenv("TZ");
  tzset();
  assert_int_equal(soc_tz_to_utc(&taipei, 2027, 1, 2, 3, 4, 5, &t), 0);
  assert_null(getenv("TZ"));
}

/* Times a person or a document gives: RFC 3339 and @epoch, bounded to what
 * 64-bit nanoseconds hold (a year 5627 from a hostile message once
 * overflowed, found by fuzz_decision). */
static void test_time_parse(void **state) {
  (void)state;
  int64_t ns = 0, s = 0;
  assert_int_equal(soc_time_parse_ns("2026-01-05T17:30:00.250+08:00", &ns), 0);
  assert_true(ns == 1767605400250000000LL);
  assert_int_equal(soc_time_parse("2026-01-05 09:30", &s), 0);
  assert_true(s == 1767605400LL);
  assert_int_equal(soc_time_parse("@1767605400", &s), 0);
  assert_true(s == 1767605400LL);
  assert_int_equal(soc_time_parse_ns("2262-04-11T00:00:00Z", &ns), 0);
  assert_int_equal(soc_time_parse_ns("2262-04-12T00:00:00Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("5627-03-01T02:00:00Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("9999-12-31T23:59:59.999999999-12:00", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("1970-01-01T00:00:00Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("2026-02-30T00:00Z", &ns), -EINVAL);
  assert_int_equal(soc_time_parse_ns("2026-01-05T09:30Zjunk", &ns), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_calendar),
      cmocka_unit_test(test_utc_and_fixed),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_taipei),
      cmocka_unit_test(test_new_york_dst),
      cmocka_unit_test(test_lord_howe),
      cmocka_unit_test(test_cache_keeps_zones_apart),
      cmocka_unit_test(test_sweep_against_libc),
      cmocka_unit_test(test_local_and_tz_restored),
      cmocka_unit_test(test_time_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
