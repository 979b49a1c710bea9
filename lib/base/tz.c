/*
 * tz — wall-clock times without a zone, turned into UTC.
 *
 * UTC and fixed offsets are plain arithmetic on a proleptic Gregorian day
 * count (Howard Hinnant's days_from_civil), with no C library involved, so
 * they are exact for any year and cost a few multiplications.
 *
 * Named zones and "local" need the zone's rules, and the only portable
 * reader of tzdata files is the C library, which reads the zone named by the
 * TZ environment variable. So a conversion sets TZ, calls tzset(), asks
 * localtime_r() for the UTC offsets around the wanted time, and puts TZ back.
 * That costs a file read each time the zone changes, far too much per log
 * line, so the offset found for a (zone, local hour) is cached: a stream of
 * lines from one source touches the C library once an hour. A local hour is
 * cached only when the same offset holds at its first and its last second;
 * the hours of a DST change (or of a zone's change at a half hour, as Lord
 * Howe Island's) are worked out again for each call instead.
 *
 * We ask localtime_r() for offsets rather than letting mktime() solve the
 * equation, because what mktime() does with a time that a DST change skips
 * or repeats depends on tm_isdst and differs between C libraries. Here the
 * rule is ours and one rule covers both cases: when a wall-clock time is
 * ambiguous or does not exist, the offset in force before the change
 * applies. For a repeated hour (autumn) that gives the earlier instant, as
 * tz.h promises; for a skipped hour (spring) it reads 02:30 as if the
 * clocks had not yet moved (02:30 EST = 03:30 EDT), as RFC 5545, Java and
 * Temporal do.
 *
 * The cache, like TZ itself, is process-wide state: one mutex guards both,
 * since the agent parses on two threads (ingestion's header peek and the
 * forwarder's full parse). Other code that reads TZ while a miss is being
 * served could see the switched zone for a moment; nothing in the agent
 * calls localtime() for that reason.
 */
#include "soc/tz.h"
#include "soc/hash.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define LOCAL_TZ ":/etc/localtime"
#define SECS_PER_HOUR 3600
#define SECS_PER_DAY 86400
#define YEAR_MIN 0
#define YEAR_MAX 9999
#define CACHE_SLOTS 64 /* a power of two: one slot per (zone, hour) in use */

_Static_assert(sizeof(time_t) == 8, "offsets are probed past 2038");

struct cache_slot {
  int used;
  soc_tz_kind kind;
  char name[sizeof(((soc_tz *)0)->name)];
  int64_t hour; /* local wall-clock hours since 1970-01-01T00 */
  long offset;  /* seconds east of UTC for the whole of that hour */
};

static struct cache_slot cache[CACHE_SLOTS];
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t soc_tz_days_from_civil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int soc_tz_utc_year(int64_t epoch) {
  /* civil_from_days, keeping only the year. */
  int64_t z = (epoch >= 0 ? epoch : epoch - (SECS_PER_DAY - 1)) / SECS_PER_DAY + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  return (int)(yoe + era * 400 + (mp >= 10));
}

int soc_tz_days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) return 29;
  return days[month - 1];
}

/* An IANA name is a relative path below ZONEINFO_DIR: we refuse anything
 * that could climb out of it or is not spelt like a zone. */
static int zone_name_ok(const char *s, size_t n) {
  if (!n || n >= sizeof(((soc_tz *)0)->name) || s[0] == '/') return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((i == 0 || s[i - 1] == '/') && (c == '.' || c == '/')) return 0;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
          c == '_' || c == '-' || c == '+' || c == '.'))
      return 0;
  }
  return s[n - 1] != '/';
}

/* Whether the zone's file exists and is a compiled zone (magic "TZif"),
 * which rules out folders and the tables (zone.tab, tzdata.zi) beside them. */
static int zone_file_ok(const char *name) {
  char path[sizeof ZONEINFO_DIR + sizeof(((soc_tz *)0)->name)];
  char magic[4];
  int fd, ok;
  memcpy(path, ZONEINFO_DIR, sizeof ZONEINFO_DIR - 1);
  strcpy(path + sizeof ZONEINFO_DIR - 1, name);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ok = read(fd, magic, sizeof magic) == (ssize_t)sizeof magic && !memcmp(magic, "TZif", 4);
  close(fd);
  return ok;
}

static int two_digits(const char *s, int *out) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return 0;
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return 1;
}

int soc_tz_parse(const char *s, soc_tz *out) {
  size_t n;
  int hh, mm;
  if (!s || !out) return -EINVAL;
  memset(out, 0, sizeof *out);
  n = strlen(s);
  if (!strcasecmp(s, "UTC") || !strcasecmp(s, "Z")) {
    out->kind = SOC_TZ_UTC;
    return 0;
  }
  if (!strcmp(s, "local")) {
    out->kind = SOC_TZ_LOCAL;
    return 0;
  }
  if (s[0] == '+' || s[0] == '-') {
    if (!((n == 6 && s[3] == ':' && two_digits(s + 1, &hh) && two_digits(s + 4, &mm)) ||
          (n == 5 && two_digits(s + 1, &hh) && two_digits(s + 3, &mm))) ||
        hh > 23 || mm > 59)
      return -EINVAL;
    out->kind = SOC_TZ_FIXED;
    out->offset_sec = (s[0] == '-' ? -1 : 1) * (hh * SECS_PER_HOUR + mm * 60);
    return 0;
  }
  if (!zone_name_ok(s, n) || !zone_file_ok(s)) return -EINVAL;
  out->kind = SOC_TZ_NAMED;
  memcpy(out->name, s, n + 1);
  return 0;
}

/* The UTC offset in force at instant t in the zone TZ now names. */
static int offset_at(int64_t t, long *off) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!localtime_r(&tt, &tm)) return -EINVAL;
  *off = tm.tm_gmtoff;
  return 0;
}

/* The offset to subtract from wall-clock seconds `wall` (local time counted
 * as if it were UTC). Offsets a day either side bracket the instant; a
 * candidate instant is real when the zone's offset there is the one that
 * produced it. Two real candidates: a repeated hour, take the earlier
 * instant (the larger offset). None: a skipped hour, keep the offset from
 * before. This assumes no two changes fall within a day of each other,
 * which the rules of every zone in use today respect. */
static int resolve(int64_t wall, long *off) {
  long before = 0, after = 0, at_b, at_a;
  int rc = offset_at(wall - SECS_PER_DAY, &before);
  if (!rc) rc = offset_at(wall + SECS_PER_DAY, &after);
  if (rc || before == after) {
    *off = before;
    return rc;
  }
  rc = offset_at(wall - before, &at_b);
  if (!rc) rc = offset_at(wall - after, &at_a);
  if (rc) return rc;
  if (at_b == before && at_a == after)
    *off = before > after ? before : after;
  else if (at_a == after)
    *off = after;
  else
    *off = before;
  return 0;
}

/* Finds the offset of local hour `hour` (and, when that hour is not
 * uniform, of the exact time `wall`) in zone tzval. Returns 0 and whether
 * the hour's offset may be cached. */
static int zone_lookup(const char *tzval, int64_t hour, int64_t wall, long *off, int *uniform) {
  int result = -ENOMEM;
  const char *old = getenv("TZ");
  char *saved = NULL;
  long first = 0, last = 0;
  if (old && !(saved = strdup(old))) goto out;
  result = -EINVAL;
  if (setenv("TZ", tzval, 1)) goto restore;
  tzset();
  result = resolve(hour * SECS_PER_HOUR, &first);
  if (!result) result = resolve(hour * SECS_PER_HOUR + SECS_PER_HOUR - 1, &last);
  if (result) goto restore;
  *uniform = first == last;
  if (*uniform)
    *off = first;
  else
    result = resolve(wall, off);
restore:
  if (saved)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  tzset();
out:
  free(saved);
  return result;
}

static size_t slot_of(soc_tz_kind kind, const char *name, int64_t hour) {
  uint64_t h = soc_fnv1a(SOC_FNV1A_SEED ^ (uint64_t)kind, name);
  h ^= (uint64_t)hour * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 58) & (CACHE_SLOTS - 1);
}

/* Local or named zone: the cache first, the C library on a miss. The
 * caller holds zone_lock. */
static int zone_to_utc_locked(const soc_tz *tz, int64_t wall, int64_t *epoch) {
  char tzval[1 + sizeof tz->name];
  const char *name = tz->kind == SOC_TZ_NAMED ? tz->name : "";
  int64_t hour = (wall >= 0 ? wall : wall - (SECS_PER_HOUR - 1)) / SECS_PER_HOUR;
  struct cache_slot *slot;
  long off = 0;
  int uniform = 0, rc;
  size_t n = strnlen(name, sizeof tz->name);
  if (n == sizeof tz->name) return -EINVAL;
  slot = &cache[slot_of(tz->kind, name, hour)];
  if (slot->used && slot->hour == hour && slot->kind == tz->kind && !strcmp(slot->name, name)) {
    *epoch = wall - slot->offset;
    return 0;
  }
  if (tz->kind == SOC_TZ_NAMED) {
    /* A zone that soc_tz_parse would refuse must not become UTC quietly,
     * which is what glibc makes of a TZ it cannot read; ':' makes glibc
     * read the name as a file, never as a POSIX rule such as "UTC8". */
    if (!zone_name_ok(name, n) || !zone_file_ok(name)) return -EINVAL;
    tzval[0] = ':';
    memcpy(tzval + 1, name, n + 1);
  } else {
    memcpy(tzval, LOCAL_TZ, sizeof LOCAL_TZ);
  }
  rc = zone_lookup(tzval, hour, wall, &off, &uniform);
  if (rc) return rc;
  if (uniform) {
    slot->used = 1;
    slot->kind = tz->kind;
    memcpy(slot->name, name, n + 1);
    slot->hour = hour;
    slot->offset = off;
  }
  *epoch = wall - off;
  return 0;
}

int soc_tz_to_utc(const soc_tz *tz, int year, int month, int day, int hour, int min, int sec,
                  int64_t *epoch) {
  int64_t wall;
  if (!tz || !epoch || year < YEAR_MIN || year > YEAR_MAX || month < 1 || month > 12 || day < 1 ||
      day > soc_tz_days_in_month(year, month) || hour < 0 || hour > 23 || min < 0 || min > 59 ||
      sec < 0 || sec > 59)
    return -EINVAL;
  wall = soc_tz_days_from_civil(year, month, day) * SECS_PER_DAY + hour * SECS_PER_HOUR + min * 60 +
         sec;
  switch (tz->kind) {
    case SOC_TZ_UTC:
      *epoch = wall;
      return 0;
    case SOC_TZ_FIXED:
      *epoch = wall - tz->offset_sec;
      return 0;
    case SOC_TZ_LOCAL:
    case SOC_TZ_NAMED: {
      pthread_mutex_lock(&zone_lock);
      int rc = zone_to_utc_locked(tz, wall, epoch);
      pthread_mutex_unlock(&zone_lock);
      return rc;
    }
  }
  return -EINVAL;
}

int soc_time_parse_ns(const char *s, int64_t *ns) {
  int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
  int64_t v, frac = 0;
  if (!s) return -EINVAL;
  if (s[0] == '@') {
    char *end = NULL;
    errno = 0;
    long long e = strtoll(s + 1, &end, 10);
    if (errno || end == s + 1 || *end || e <= 0 || e > INT64_MAX / 1000000000LL) return -EINVAL;
    *ns = (int64_t)e * 1000000000LL;
    return 0;
  }
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return -EINVAL;
  const char *p = s + used;
  if (*p == 'T' || *p == ' ') {
    int n = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5) return -EINVAL;
    p += 1 + n;
    if (*p == ':') {
      if (sscanf(p + 1, "%2d%n", &sec, &n) != 1 || n != 2) return -EINVAL;
      p += 1 + n;
      if (*p == '.' || *p == ',') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
          if (digits < 9) frac = frac * 10 + (*p - '0');
        if (!digits) return -EINVAL;
        for (; digits < 9; digits++) frac *= 10;
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > soc_tz_days_in_month(y, mo) || h > 23 || mi > 59 ||
      sec > 59 || h < 0 || mi < 0 || sec < 0)
    return -EINVAL;
  int64_t off = 0;
  if (*p == 'Z' && !p[1]) {
    p++;
  } else if (*p == '+' || *p == '-') {
    soc_tz tz;
    if (soc_tz_parse(p, &tz) < 0 || tz.kind != SOC_TZ_FIXED) return -EINVAL;
    off = tz.offset_sec;
    p += strlen(p);
  }
  if (*p) return -EINVAL;
  v = soc_tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
  /* Nanoseconds in an int64 end in April 2262; a later year (the format
   * allows 9999, a hostile report may say so) is refused, not wrapped. */
  if (v <= 0 || v >= INT64_MAX / 1000000000LL) return -EINVAL;
  *ns = v * 1000000000LL + frac;
  return 0;
}

int soc_time_parse(const char *s, int64_t *epoch) {
  int64_t ns;
  int rc = soc_time_parse_ns(s, &ns);
  if (rc == 0) *epoch = ns / 1000000000LL;
  return rc;
}

int64_t soc_now_real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
