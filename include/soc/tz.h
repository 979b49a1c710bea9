/*
 * tz — turning a wall-clock time without a zone into UTC.
 *
 * Many agency servers log local time with no zone (RFC 3164 headers,
 * Apache error logs), so each input says which zone its clocks use. A zone
 * is "UTC", "local" (the agent's own /etc/localtime), a fixed offset such
 * as "+08:00", or an IANA name such as "Asia/Taipei".
 *
 * Ownership: a soc_tz is a small value; copy it freely.
 */
#ifndef SOC_TZ_H
#define SOC_TZ_H

#include <stdint.h>

typedef enum { SOC_TZ_UTC = 0, SOC_TZ_FIXED, SOC_TZ_LOCAL, SOC_TZ_NAMED } soc_tz_kind;

typedef struct soc_tz {
  soc_tz_kind kind;
  int32_t offset_sec; /* SOC_TZ_FIXED: seconds east of UTC */
  char name[64];      /* SOC_TZ_NAMED: the IANA name */
} soc_tz;

/* Parses "UTC", "Z", "local", "+08:00", "+0800", "-05:30" or an IANA name
 * that exists under /usr/share/zoneinfo. Returns 0 or -EINVAL. */
int soc_tz_parse(const char *s, soc_tz *out);

/* Seconds since the epoch of the wall-clock time given (month 1-12, day
 * 1-31, ...) in zone tz. Returns 0 or -EINVAL for out-of-range fields.
 * For a local time that a DST change makes ambiguous, the earlier instant
 * wins. Thread-safe: for SOC_TZ_LOCAL and SOC_TZ_NAMED a cache miss
 * switches the process's TZ under a lock (see tz.c), so nothing else in the
 * process should call localtime() meanwhile. */
int soc_tz_to_utc(const soc_tz *tz, int year, int month, int day, int hour, int min, int sec,
                  int64_t *epoch);
/* More on soc_tz_to_utc: year is 0..9999 and sec 0..59 (a leap second's
 * 60 is for the caller to clamp). A local time that a DST change skips is
 * read with the offset in force before the change: 02:30 on New York's
 * spring-forward day is 07:30 UTC. Results for SOC_TZ_LOCAL and
 * SOC_TZ_NAMED are cached per (zone, local hour), so a stream of times asks
 * the C library about once an hour per zone. */

/* A time an operator types or a document carries: ISO 8601 / RFC 3339
 * ("2026-01-05T09:30Z", "2026-01-05T17:30:00.250+08:00", "2026-01-05 09:30",
 * no zone = UTC) or "@EPOCH", after 1970 and before 2262-04-11 (what
 * nanoseconds fit in 64 bits). OUT: *epoch in seconds (fractions dropped);
 * soc_time_parse_ns keeps them. Returns 0 or -EINVAL. */
int soc_time_parse(const char *s, int64_t *epoch);
int soc_time_parse_ns(const char *s, int64_t *ns);

/* The wall-clock time, ns since the epoch: when a line was read, when a
 * person decided, when a clock started. */
int64_t soc_now_real_ns(void);

/* Calendar helpers for parsers that read dates (proleptic Gregorian, UTC,
 * no range checks beyond what each says). */

/* Days from 1970-01-01 to year-month-day (month 1-12); negative before. */
int64_t soc_tz_days_from_civil(int64_t year, int month, int day);
/* The UTC calendar year of epoch second t. */
int soc_tz_utc_year(int64_t epoch);
/* 28..31, or 0 for a month outside 1-12. */
int soc_tz_days_in_month(int year, int month);

#endif
