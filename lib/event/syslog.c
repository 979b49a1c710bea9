/*
 * syslog — one syslog line into ECS fields, at the speed of the log stream.
 *
 * This runs on every line the agent reads, so it is a hand-written scanner:
 * one pass over the header with a cursor that is checked against the end
 * before every read, no regex, no copies, no allocation of its own (the
 * event copies what it keeps), and nothing that depends on a NUL byte. The
 * work is split in two. parse_header() finds the form, the timestamp and
 * the host and leaves slices into the input; that is all soc_syslog_peek()
 * needs, so the journal's index costs no event. soc_syslog_parse() then
 * reads the rest (TAG, structured data) and fills the event. Whether a line
 * is raw is decided by the header alone, so peek and parse always agree.
 *
 * Raw is the safety net: a line whose header we cannot read is kept whole
 * as the message, rather than guessed at, so no byte of it is lost. The
 * header is read strictly (a bad PRI, an impossible date, an RFC 5424
 * header missing a field make the line raw); what follows it is read
 * leniently, because there senders differ most and a stray byte must not
 * cost the header: RFC 5424 structured data that does not parse stays in
 * the message; a TAG we do not recognise stays in the message.
 *
 * Decisions the RFCs leave open, and why:
 * - One line terminator ("\n", "\r\n" or "\r") at the end is framing, not
 *   message, and is dropped, as rsyslog does for UDP.
 * - RFC 3164 hosts are optional in practice: the token after the timestamp
 *   is the TAG, not the host, when it ends with ':' or contains '['
 *   ("sshd[1]:"). IPv6 hosts never end with ':', names never contain '['.
 * - A TAG is 1..128 bytes (RFC 3164 says 32; systemd units and Java apps
 *   run longer) followed by "[PID]" and/or ':'; a bare "word:" counts only
 *   when a space or the end follows, so "http://x" and "12:30" are message.
 * - The year of a BSD timestamp: of this year, next year and last year, the
 *   latest that is not more than a day after the receive time. "Feb 29" is
 *   placed the same way, so it lands in the receive year or the one before
 *   when that is a leap year; otherwise the line cannot come from the last
 *   twelve months, the clock that wrote it is wrong, and the line is raw,
 *   which keeps the original date text in the message.
 * - Fractions of a second are kept to the nanosecond (the event's
 *   resolution); digits past the ninth are dropped. A leap second (:60)
 *   becomes :59 of the same fraction, since UTC epoch seconds have no 60.
 * - An RFC 3339 timestamp without an offset (not RFC 5424, but written by
 *   some senders) is read in the input's zone, like a BSD one.
 * - A raw line keeps its time when it carries one we know: an ISO 8601
 *   prefix ("2026-11-25 12:01:01,123", "2026-11-25T12:01:01+08:00"; the
 *   input's zone without an offset) or the "[25/Nov/2026:12:01:01 +0800]"
 *   of the Apache and nginx access logs. Otherwise it takes the receive
 *   time and the tag time_from_read.
 * - RFC 5424 param values: \" \\ \] are unescaped; any other backslash is
 *   kept, as the RFC says. A ']' left unescaped inside quotes is accepted,
 *   since only '"' can end a value.
 */
#include "soc/syslog.h"

#include <errno.h>
#include <string.h>

#include "soc/utf8.h"

#define NS_PER_SEC INT64_C(1000000000)
#define SECS_PER_DAY 86400
#define PRI_MAX 191
#define TAG_MAX 128
#define PROCID_MAX 128 /* RFC 5424's PROCID limit, also used for a TAG's [PID] */
#define FRAC_DIGITS 9

typedef unsigned char uchar;

typedef struct span {
  const uchar *p;
  size_t n; /* 0: absent (or NILVALUE) */
} span;

typedef struct header {
  int pri; /* -1: no PRI */
  int64_t ts_ns;
  span host, app, procid, msgid;
  const uchar *body; /* RFC 3164: TAG and MSG; RFC 5424: SD and MSG */
  const uchar *end;
} header;

static const soc_syslog_opts default_opts = {{SOC_TZ_UTC, 0, ""}, 0};

static int is_digit(uchar c) { return (unsigned)(c - '0') < 10u; }

/* A header token's bytes: printable, or part of a multi-byte character. */
static int is_token(uchar c) { return c > ' ' && c != 0x7F; }

/* The value of the n digits at p (the caller made sure n bytes are there),
 * or -1 when one of them is not a digit. */
static int read_digits(const uchar *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(p[i])) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static int to_ns(int64_t secs, int64_t frac_ns, int64_t *ns) {
  if (secs < INT64_MIN / NS_PER_SEC || secs > (INT64_MAX - frac_ns) / NS_PER_SEC) return -ERANGE;
  *ns = secs * NS_PER_SEC + frac_ns;
  return 0;
}

/* "<PRI>" with 1..3 digits and a value up to 191, or nothing (*pri = -1).
 * Returns -1 for a '<' that does not start a valid PRI. */
static int parse_pri(const uchar **pp, const uchar *end, int *pri) {
  const uchar *p = *pp;
  int v = 0, nd = 0;
  *pri = -1;
  if (p == end || *p != '<') return 0;
  for (p++; p < end && nd < 3 && is_digit(*p); p++, nd++) v = v * 10 + (*p - '0');
  if (!nd || p == end || *p != '>' || v > PRI_MAX) return -1;
  *pri = v;
  *pp = p + 1;
  return 0;
}

/* ".digits" at *pp, if there: the fraction in nanoseconds. */
static int parse_frac(const uchar **pp, const uchar *end, int64_t *frac_ns) {
  const uchar *p = *pp;
  int64_t v = 0;
  size_t nd = 0;
  *frac_ns = 0;
  if (p == end || *p != '.') return 0;
  for (p++; p < end && is_digit(*p); p++, nd++)
    if (nd < FRAC_DIGITS) v = v * 10 + (*p - '0');
  if (!nd) return -1;
  for (; nd < FRAC_DIGITS; nd++) v *= 10;
  *frac_ns = v;
  *pp = p;
  return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM]". */
static int parse_rfc3339(const uchar **pp, const uchar *end, const soc_tz *zone, int64_t *ns) {
  const uchar *p = *pp;
  soc_tz fixed = {SOC_TZ_FIXED, 0, ""};
  int y, mo, d, h, mi, s, oh, om;
  int64_t frac, secs;
  if (end - p < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') ||
      p[13] != ':' || p[16] != ':')
    return -1;
  y = read_digits(p, 4);
  mo = read_digits(p + 5, 2);
  d = read_digits(p + 8, 2);
  h = read_digits(p + 11, 2);
  mi = read_digits(p + 14, 2);
  s = read_digits(p + 17, 2);
  if ((y | mo | d | h | mi | s) < 0) return -1;
  p += 19;
  if (parse_frac(&p, end, &frac)) return -1;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    zone = &fixed;
    p++;
  } else if (p < end && (*p == '+' || *p == '-')) {
    if (end - p < 6 || p[3] != ':') return -1;
    oh = read_digits(p + 1, 2);
    om = read_digits(p + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return -1;
    fixed.offset_sec = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    zone = &fixed;
    p += 6;
  }
  if (s == 60) s = 59;
  if (soc_tz_to_utc(zone, y, mo, d, h, mi, s, &secs) || to_ns(secs, frac, ns)) return -1;
  *pp = p;
  return 0;
}

#define MONTH(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))

/* One switch on the three letters rather than a walk through the twelve
 * names: every BSD header asks, and November was the eleventh. */
static int month_of(const uchar *p) {
  /* | 0x20 folds case; it maps nothing but the letters onto these. */
  switch (MONTH(p[0] | 0x20, p[1] | 0x20, p[2] | 0x20)) {
    case MONTH('j', 'a', 'n'):
      return 1;
    case MONTH('f', 'e', 'b'):
      return 2;
    case MONTH('m', 'a', 'r'):
      return 3;
    case MONTH('a', 'p', 'r'):
      return 4;
    case MONTH('m', 'a', 'y'):
      return 5;
    case MONTH('j', 'u', 'n'):
      return 6;
    case MONTH('j', 'u', 'l'):
      return 7;
    case MONTH('a', 'u', 'g'):
      return 8;
    case MONTH('s', 'e', 'p'):
      return 9;
    case MONTH('o', 'c', 't'):
      return 10;
    case MONTH('n', 'o', 'v'):
      return 11;
    case MONTH('d', 'e', 'c'):
      return 12;
    default:
      return 0;
  }
}

/* The year for a BSD timestamp received at recv_s: see the top of the file. */
static int infer_year_of(const soc_tz *zone, int64_t recv_s, int mo, int d, int h, int mi, int s,
                         int64_t *secs) {
  static const soc_tz utc = {SOC_TZ_UTC, 0, ""};
  const int64_t limit = recv_s + SECS_PER_DAY;
  const int y0 = soc_tz_utc_year(recv_s);
  for (int y = y0 + 1; y >= y0 - 1; y--) {
    int64_t naive, t;
    if (soc_tz_to_utc(&utc, y, mo, d, h, mi, s, &naive)) continue; /* Feb 29, common year */
    /* No zone is a day or more from UTC: this year is too late whatever
     * the zone, and the zone's rules need not be asked. */
    if (naive - SECS_PER_DAY > limit) continue;
    if (soc_tz_to_utc(zone, y, mo, d, h, mi, s, &t)) return -1;
    if (t <= limit) {
      *secs = t;
      return 0;
    }
  }
  return -1;
}

/* This thread's last year inference and its answer. Lines come many to the
 * second (a file read in chunks, a sender's burst), and the inference (up
 * to six conversions) was most of what a BSD header cost; its answer
 * depends on its arguments alone, a zone being its kind, offset and name
 * (tz.c keeps a zone's offsets by the hour). Per thread: the ingest, the
 * forwarder and the detector each parse headers. */
typedef struct year_memo {
  soc_tz zone;
  int64_t recv_s, secs;
  int mo, d, h, mi, s, rc, used;
} year_memo;

static _Thread_local year_memo last_year;

static int same_zone(const soc_tz *a, const soc_tz *b) {
  return a->kind == b->kind && a->offset_sec == b->offset_sec &&
         (a->kind != SOC_TZ_NAMED || strncmp(a->name, b->name, sizeof a->name) == 0);
}

static int infer_year(const soc_tz *zone, int64_t recv_s, int mo, int d, int h, int mi, int s,
                      int64_t *secs) {
  year_memo *m = &last_year;
  if (!m->used || m->recv_s != recv_s || m->s != s || m->mi != mi || m->h != h || m->d != d ||
      m->mo != mo || !same_zone(&m->zone, zone)) {
    *m = (year_memo){
        .zone = *zone, .recv_s = recv_s, .mo = mo, .d = d, .h = h, .mi = mi, .s = s, .used = 1};
    m->rc = infer_year_of(zone, recv_s, mo, d, h, mi, s, &m->secs);
  }
  if (!m->rc) *secs = m->secs;
  return m->rc;
}

/* "Mmm dd hh:mm:ss[.frac]" (dd may be " d" or "d"), also with the year
 * after the day ("Mmm dd yyyy hh:mm:ss"), as Cisco devices can send. */
static int parse_bsd(const uchar **pp, const uchar *end, const soc_syslog_opts *o, int64_t *ns) {
  const uchar *p = *pp;
  int mo, d, y = -1, h, mi, s;
  int64_t frac, secs;
  if (end - p < 6 || !(mo = month_of(p)) || p[3] != ' ') return -1;
  p += 4;
  if (*p == ' ') p++;
  if (!is_digit(*p)) return -1;
  d = *p++ - '0';
  if (p < end && is_digit(*p)) d = d * 10 + (*p++ - '0');
  if (p == end || *p++ != ' ') return -1;
  if (end - p >= 5 && p[4] == ' ' && (y = read_digits(p, 4)) >= 0) p += 5;
  if (end - p < 8 || p[2] != ':' || p[5] != ':') return -1;
  h = read_digits(p, 2);
  mi = read_digits(p + 3, 2);
  s = read_digits(p + 6, 2);
  if ((h | mi | s) < 0) return -1;
  p += 8;
  if (parse_frac(&p, end, &frac)) return -1;
  if (s == 60) s = 59;
  if (y >= 0 ? soc_tz_to_utc(&o->tz, y, mo, d, h, mi, s, &secs)
             : infer_year(&o->tz, o->recv_ns / NS_PER_SEC - (o->recv_ns % NS_PER_SEC < 0), mo, d, h,
                          mi, s, &secs))
    return -1;
  if (to_ns(secs, frac, ns)) return -1;
  *pp = p;
  return 0;
}

/* A zone after a time in a raw line: Z, +HH:MM or +HHMM (and -). */
static int parse_zone(const uchar **pp, const uchar *end, soc_tz *fixed) {
  const uchar *p = *pp;
  int oh, om;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    *pp = p + 1;
    return 1;
  }
  if (p == end || (*p != '+' && *p != '-')) return 0;
  if (end - p >= 6 && p[3] == ':') {
    oh = read_digits(p + 1, 2);
    om = read_digits(p + 4, 2);
    *pp = p + 6;
  } else if (end - p >= 5) {
    oh = read_digits(p + 1, 2);
    om = read_digits(p + 3, 2);
    *pp = p + 5;
  } else {
    return -1;
  }
  if (oh < 0 || om < 0 || oh > 23 || om > 59) return -1;
  fixed->offset_sec = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  return 1;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.,frac][zone]" at the start of a raw line (the
 * ISO 8601 prefix of application logs), in the input's zone without one. */
static int raw_iso_time(const uchar *p, const uchar *end, const soc_syslog_opts *o, int64_t *ns) {
  soc_tz fixed = {SOC_TZ_FIXED, 0, ""};
  const soc_tz *zone = &o->tz;
  int64_t frac = 0, secs;
  if (end - p < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
      p[13] != ':' || p[16] != ':')
    return -1;
  int y = read_digits(p, 4), mo = read_digits(p + 5, 2), d = read_digits(p + 8, 2),
      h = read_digits(p + 11, 2), mi = read_digits(p + 14, 2), s = read_digits(p + 17, 2);
  if ((y | mo | d | h | mi | s) < 0) return -1;
  p += 19;
  if (p < end && *p == ',') { /* log4j, Python logging: a comma before the fraction */
    const uchar *q = p + 1;
    while (q < end && is_digit(*q)) q++;
    if (q == p + 1) return -1;
    p = q;
  } else if (parse_frac(&p, end, &frac)) {
    return -1;
  }
  int z = parse_zone(&p, end, &fixed);
  if (z < 0 || (p < end && *p != ' ' && *p != '\t' && *p != ']')) return -1;
  if (z) zone = &fixed;
  if (s == 60) s = 59;
  if (soc_tz_to_utc(zone, y, mo, d, h, mi, s, &secs) || to_ns(secs, frac, ns)) return -1;
  return 0;
}

/* "dd/Mon/yyyy:HH:MM:SS +zzzz" at p, the time of the Apache and nginx
 * common and combined log formats. */
static int clf_time_at(const uchar *p, const uchar *end, int64_t *ns) {
  soc_tz fixed = {SOC_TZ_FIXED, 0, ""};
  int64_t secs;
  if (end - p < 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' ||
      p[20] != ' ')
    return -1;
  int d = read_digits(p, 2), mo = month_of(p + 3), y = read_digits(p + 7, 4),
      h = read_digits(p + 12, 2), mi = read_digits(p + 15, 2), s = read_digits(p + 18, 2);
  const uchar *z = p + 21;
  if ((d | y | h | mi | s) < 0 || !mo || parse_zone(&z, end, &fixed) != 1 || z != p + 26) return -1;
  if (s == 60) s = 59;
  if (soc_tz_to_utc(&fixed, y, mo, d, h, mi, s, &secs) || to_ns(secs, 0, ns)) return -1;
  return 0;
}

int soc_syslog_clf_time(const char *s, size_t len, int64_t *ns) {
  const uchar *p = (const uchar *)s;
  return s && ns && clf_time_at(p, p + len, ns) == 0 ? 0 : -EINVAL;
}

/* "[dd/Mon/yyyy:HH:MM:SS +zzzz]" looked for in the first bytes of a raw
 * line (after the client address, the ident and the user). */
#define CLF_SEARCH 320
static int raw_clf_time(const uchar *p, const uchar *end, int64_t *ns) {
  const uchar *lim = end - p > CLF_SEARCH ? p + CLF_SEARCH : end, *b;
  while ((b = memchr(p, '[', (size_t)(lim - p)))) {
    p = b + 1;
    if (end - p >= 27 && p[26] == ']' && clf_time_at(p, end, ns) == 0) return 0;
  }
  return -1;
}

/* The time of a raw line: from the line when it carries one we know, else
 * when it was read (*from_read set). */
static int64_t raw_time(const char *msg, size_t len, const soc_syslog_opts *o, int *from_read) {
  const uchar *p = (const uchar *)msg, *end = p + len;
  int64_t ns;
  *from_read = 0;
  if (raw_iso_time(p, end, o, &ns) == 0 || raw_clf_time(p, end, &ns) == 0) return ns;
  *from_read = 1;
  return o->recv_ns;
}

/* One RFC 5424 header field and the space after it (none at the end when
 * last_ok). "-" (NILVALUE) gives an empty span. */
static int field(const uchar **pp, const uchar *end, span *out, int last_ok) {
  const uchar *p = *pp, *s = p;
  while (p < end && is_token(*p)) p++;
  if (p == s || (p < end && *p != ' ') || (p == end && !last_ok)) return -1;
  out->p = s;
  out->n = p - s == 1 && *s == '-' ? 0 : (size_t)(p - s);
  *pp = p < end ? p + 1 : p;
  return 0;
}

/* After "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each followed
 * by a space; structured data may be missing at the very end. */
static soc_syslog_format parse_5424_header(const uchar *p, const uchar *end,
                                           const soc_syslog_opts *o, header *h) {
  if (p < end && *p == '-') {
    h->ts_ns = o->recv_ns;
    p++;
  } else if (parse_rfc3339(&p, end, &o->tz, &h->ts_ns)) {
    return SOC_SYSLOG_RAW;
  }
  if (p == end || *p++ != ' ') return SOC_SYSLOG_RAW;
  if (field(&p, end, &h->host, 0) || field(&p, end, &h->app, 0) || field(&p, end, &h->procid, 0) ||
      field(&p, end, &h->msgid, 1))
    return SOC_SYSLOG_RAW;
  h->body = p;
  return SOC_SYSLOG_RFC5424;
}

/* After the optional PRI: a BSD or RFC 3339 timestamp, the host (unless
 * the next token is a TAG), and the rest. */
static soc_syslog_format parse_3164_header(const uchar *p, const uchar *end,
                                           const soc_syslog_opts *o, header *h) {
  const uchar *tok;
  int rc = p < end && is_digit(*p) ? parse_rfc3339(&p, end, &o->tz, &h->ts_ns)
                                   : parse_bsd(&p, end, o, &h->ts_ns);
  if (rc || (p < end && *p != ' ')) return SOC_SYSLOG_RAW;
  while (p < end && *p == ' ') p++;
  tok = p;
  while (p < end && is_token(*p)) p++;
  h->body = tok;
  if (p == tok || (p < end && *p != ' ') || p[-1] == ':' || memchr(tok, '[', (size_t)(p - tok)))
    return SOC_SYSLOG_RFC3164;
  h->host.p = tok;
  h->host.n = (size_t)(p - tok);
  while (p < end && *p == ' ') p++;
  h->body = p;
  return SOC_SYSLOG_RFC3164;
}

static soc_syslog_format parse_header(const char *msg, size_t len, const soc_syslog_opts *o,
                                      header *h) {
  const uchar *p = (const uchar *)msg, *end = p + len;
  memset(h, 0, sizeof *h);
  h->end = end;
  if (parse_pri(&p, end, &h->pri)) return SOC_SYSLOG_RAW;
  if (h->pri >= 0 && end - p >= 2 && p[0] == '1' && p[1] == ' ')
    return parse_5424_header(p + 2, end, o, h);
  return parse_3164_header(p, end, o, h);
}

/* A line terminator at the end is framing: see the top of the file. */
static size_t strip_eol(const char *msg, size_t len) {
  if (len && msg[len - 1] == '\n') len--;
  if (len && msg[len - 1] == '\r') len--;
  return len;
}

/* The event's setters flag what did not fit (soc_event_flags) and parsing
 * never fails, so their results are not needed here. */
static void set_span(soc_event *ev, soc_ecs_field f, span s) {
  if (s.n) (void)soc_event_set_str(ev, f, (const char *)s.p, s.n);
}

static void set_message(soc_event *ev, const uchar *p, const uchar *end) {
  (void)soc_event_set_str(ev, SOC_ECS_MESSAGE, (const char *)p, (size_t)(end - p));
}

/* Everything the two forms share. The message goes in before the rest, so
 * that it is the last thing the event's byte budget would refuse. Without
 * all, host.name and the copies under log.syslog are left out. */
static void set_header_fields(soc_event *ev, const header *h, int all) {
  uint64_t pid = 0;
  size_t i;
  soc_event_set_time(ev, h->ts_ns);
  if (h->pri >= 0) {
    (void)soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, h->pri >> 3);
    (void)soc_event_set_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, h->pri & 7);
  }
  if (all) {
    set_span(ev, SOC_ECS_HOST_NAME, h->host);
    set_span(ev, SOC_ECS_LOG_SYSLOG_HOSTNAME, h->host);
  }
  set_span(ev, SOC_ECS_PROCESS_NAME, h->app);
  if (all) {
    set_span(ev, SOC_ECS_LOG_SYSLOG_APPNAME, h->app);
    set_span(ev, SOC_ECS_LOG_SYSLOG_PROCID, h->procid);
    set_span(ev, SOC_ECS_LOG_SYSLOG_MSGID, h->msgid);
  }
  /* 18 digits cannot overflow an int64; a longer PROCID is no pid. */
  for (i = 0; i < h->procid.n && i < 18 && is_digit(h->procid.p[i]); i++)
    pid = pid * 10 + (uint64_t)(h->procid.p[i] - '0');
  if (h->procid.n && i == h->procid.n)
    (void)soc_event_set_int(ev, SOC_ECS_PROCESS_PID, (int64_t)pid);
}

/* The bytes a TAG (a token but '[' and ':') and a PID (a token but ']')
 * go on with: one load a byte instead of four tests. */
#define TAG_BYTE 1
#define PID_BYTE 2
static const uint8_t tag_bytes[256] = {
    [0x21 ... 0x39] = TAG_BYTE | PID_BYTE, [':'] = PID_BYTE,
    [0x3B ... 0x5A] = TAG_BYTE | PID_BYTE, ['['] = PID_BYTE,
    ['\\'] = TAG_BYTE | PID_BYTE,          [']'] = TAG_BYTE,
    [0x5E ... 0x7E] = TAG_BYTE | PID_BYTE, [0x80 ... 0xFF] = TAG_BYTE | PID_BYTE,
};

/* The end of the run at p of bytes of kind (TAG_BYTE or PID_BYTE), at most
 * max of them. */
static const uchar *run_of(const uchar *p, const uchar *end, size_t max, uint8_t kind) {
  const uchar *lim = (size_t)(end - p) > max ? p + max : end;
  while (p < lim && (tag_bytes[*p] & kind)) p++;
  return p;
}

/* "TAG[PID]: ", "TAG: " or "TAG[PID] " at p: fills app and procid and
 * returns where MSG starts, or returns p when there is no TAG. */
static const uchar *parse_tag(const uchar *p, const uchar *end, header *h) {
  const uchar *s = p, *pid = NULL, *pid_end = NULL;
  p = run_of(p, end, TAG_MAX, TAG_BYTE);
  if (p == s || p == end) return s;
  h->app.p = s;
  h->app.n = (size_t)(p - s);
  if (*p == '[') {
    pid = ++p;
    p = run_of(p, end, PROCID_MAX, PID_BYTE);
    if (p == end || *p != ']') goto none;
    pid_end = p++;
    if (p < end && *p == ':')
      p++;
    else if (p < end && *p != ' ')
      goto none;
  } else if (*p == ':') {
    p++;
    if (p < end && *p != ' ') goto none;
  } else {
    goto none;
  }
  if (pid) {
    h->procid.p = pid;
    h->procid.n = (size_t)(pid_end - pid);
  }
  return p < end && *p == ' ' ? p + 1 : p;
none:
  h->app.n = 0;
  return s;
}

/* Where span s is in line (0 when it is empty: its p may be NULL). */
static size_t offset_in(span s, const char *line) {
  return s.n ? (size_t)((const char *)s.p - line) : 0;
}

/* Whether the header's fields that no rule reads before the rest of a
 * lazy line (host.name and the copies under log.syslog) can wait, for a
 * line whose message starts at msg: when the budget keeps every value of
 * the line whatever their order, set afterwards (soc_syslog_later_set)
 * they are what they would have been. If so, notes where they are. An
 * RFC 3164 header has no msgid. */
static int defer_later(const soc_event *ev, const header *h, const uchar *msg, const char *line,
                       soc_syslog_later *later) {
  size_t all = (size_t)(h->end - msg) + 2 * (h->host.n + h->app.n) + h->procid.n;
  if (SOC_UTF8_REPAIRED_MAX(all) > soc_event_room(ev)) return 0;
  later->host_off = offset_in(h->host, line);
  later->host_len = h->host.n;
  later->app_off = offset_in(h->app, line);
  later->app_len = h->app.n;
  later->procid_off = offset_in(h->procid, line);
  later->procid_len = h->procid.n;
  return 1;
}

/* With later->deferred set, leaves host.name and the copies under
 * log.syslog out where they can wait (defer_later), and deferred so. */
static void emit_3164(soc_event *ev, header *h, const char *line, soc_syslog_later *later) {
  const uchar *msg = parse_tag(h->body, h->end, h);
  if (later->deferred) later->deferred = defer_later(ev, h, msg, line, later);
  set_message(ev, msg, h->end);
  set_header_fields(ev, h, !later->deferred);
}

/* Values with a backslash are copied without their escapes; the buffer
 * has room for the longest value an event keeps plus one byte, so that a
 * longer one is still cut, and flagged, by the event. Kept out of line so
 * that its 64 KiB frame is paid only by the rare value that needs it. */
__attribute__((noinline)) static void add_param_unescaped(soc_event *ev, span id, span name,
                                                          const uchar *v, size_t n) {
  char buf[SOC_EVENT_VALUE_MAX + 1];
  size_t o = 0;
  for (size_t i = 0; i < n && o < sizeof buf; i++) {
    if (v[i] == '\\' && i + 1 < n && (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']')) i++;
    buf[o++] = (char)v[i];
  }
  (void)soc_event_add_sd_param(ev, (const char *)id.p, id.n, (const char *)name.p, name.n, buf, o);
}

/* An SD-ID or PARAM-NAME: printable US-ASCII but '=', ' ', ']' and '"'. */
static const uchar *sd_name(const uchar *p, const uchar *end) {
  while (p<end && * p> ' ' && *p < 0x7F && *p != '=' && *p != ']' && *p != '"') p++;
  return p;
}

/* Walks the SD-ELEMENTs at p. Returns the end of the structured data (a
 * space or the end of the line follows it), or NULL when it is malformed.
 * With an event, each parameter is added to it; the caller walks once
 * without one first, so a malformed SD adds nothing. */
static const uchar *sd_walk(const uchar *p, const uchar *end, soc_event *ev) {
  while (p < end && *p == '[') {
    span id, name;
    id.p = ++p;
    p = sd_name(p, end);
    id.n = (size_t)(p - id.p);
    if (!id.n) return NULL;
    for (;;) {
      const uchar *v;
      int escaped = 0;
      while (p < end && *p == ' ') p++;
      if (p == end) return NULL;
      if (*p == ']') {
        p++;
        break;
      }
      if (p[-1] != ' ') return NULL;
      name.p = p;
      p = sd_name(p, end);
      name.n = (size_t)(p - name.p);
      if (!name.n || end - p < 2 || p[0] != '=' || p[1] != '"') return NULL;
      p += 2;
      v = p;
      for (; p < end && *p != '"'; p++) {
        if (*p != '\\') continue;
        escaped = 1;
        if (++p == end) return NULL;
      }
      if (p == end) return NULL;
      if (ev && escaped)
        add_param_unescaped(ev, id, name, v, (size_t)(p - v));
      else if (ev)
        (void)soc_event_add_sd_param(ev, (const char *)id.p, id.n, (const char *)name.p, name.n,
                                     (const char *)v, (size_t)(p - v));
      p++;
    }
  }
  return p < end && *p != ' ' ? NULL : p;
}

static void emit_5424(soc_event *ev, header *h) {
  static const uchar bom[3] = {0xEF, 0xBB, 0xBF};
  const uchar *p = h->body, *end = h->end, *sd_end = NULL;
  if (p < end && *p == '-' && (p + 1 == end || p[1] == ' '))
    sd_end = p + 1;
  else if (p < end && *p == '[')
    sd_end = sd_walk(p, end, NULL);
  /* Without a readable SD, all of the rest is the message. */
  if (sd_end) p = sd_end < end ? sd_end + 1 : sd_end;
  if (end - p >= 3 && !memcmp(p, bom, sizeof bom)) p += sizeof bom;
  set_message(ev, p, end);
  set_header_fields(ev, h, 1);
  (void)soc_event_set_str(ev, SOC_ECS_LOG_SYSLOG_VERSION, "1", 1);
  if (sd_end && *h->body == '[') (void)sd_walk(h->body, end, ev);
}

soc_syslog_format soc_syslog_parse(const char *msg, size_t len, const soc_syslog_opts *opts,
                                   soc_event *ev) {
  soc_syslog_later later; /* only deferred is read: nothing waits */
  later.deferred = 0;
  return soc_syslog_parse_lazy(msg, len, opts, ev, &later);
}

/* In the order the whole parse sets them (set_header_fields). */
void soc_syslog_later_set(const char *msg, const soc_syslog_later *later, soc_event *ev) {
  if (!later->deferred) return;
  const span host = {(const uchar *)msg + later->host_off, later->host_len};
  const span app = {(const uchar *)msg + later->app_off, later->app_len};
  const span procid = {(const uchar *)msg + later->procid_off, later->procid_len};
  set_span(ev, SOC_ECS_HOST_NAME, host);
  set_span(ev, SOC_ECS_LOG_SYSLOG_HOSTNAME, host);
  set_span(ev, SOC_ECS_LOG_SYSLOG_APPNAME, app);
  set_span(ev, SOC_ECS_LOG_SYSLOG_PROCID, procid);
}

soc_syslog_format soc_syslog_parse_lazy(const char *msg, size_t len, const soc_syslog_opts *opts,
                                        soc_event *ev, soc_syslog_later *later) {
  static const char tag[] = "syslog_unparsed";
  header h;
  soc_syslog_format form;
  int defer = later->deferred;
  later->deferred = 0;
  if (!msg) {
    msg = "";
    len = 0;
  }
  if (!opts) opts = &default_opts;
  len = strip_eol(msg, len);
  form = parse_header(msg, len, opts, &h);
  if (!ev) return form;
  switch (form) {
    case SOC_SYSLOG_RFC5424:
      emit_5424(ev, &h);
      break;
    case SOC_SYSLOG_RFC3164:
      later->deferred = defer;
      emit_3164(ev, &h, msg, later);
      break;
    case SOC_SYSLOG_RAW: {
      static const char read_tag[] = "time_from_read";
      int from_read;
      (void)soc_event_set_str(ev, SOC_ECS_MESSAGE, msg, len);
      soc_event_set_time(ev, raw_time(msg, len, opts, &from_read));
      (void)soc_event_add_tag(ev, tag, sizeof tag - 1);
      if (from_read) (void)soc_event_add_tag(ev, read_tag, sizeof read_tag - 1);
      break;
    }
  }
  return form;
}

soc_syslog_format soc_syslog_peek(const char *msg, size_t len, const soc_syslog_opts *opts,
                                  char *host, size_t hostcap, int64_t *ts_ns) {
  header h;
  soc_syslog_format form;
  if (!msg) {
    msg = "";
    len = 0;
  }
  if (!opts) opts = &default_opts;
  len = strip_eol(msg, len);
  form = parse_header(msg, len, opts, &h);
  if (form == SOC_SYSLOG_RAW) {
    int from_read;
    h.ts_ns = raw_time(msg, len, opts, &from_read);
  }
  /* Repaired like the event's host.name, so the index and the event agree. */
  if (host && hostcap) {
    /* Most hosts are short ASCII, checked while copied: what the repair
     * would write. */
    if (h.host.n && form != SOC_SYSLOG_RAW && h.host.n + 8 < hostcap &&
        soc_utf8_copy_ascii(host, h.host.p, h.host.n))
      host[h.host.n] = '\0';
    else if (h.host.n && form != SOC_SYSLOG_RAW)
      (void)soc_utf8_repair(h.host.p, h.host.n, host, hostcap, NULL, NULL);
    else
      host[0] = '\0';
  }
  if (ts_ns) *ts_ns = h.ts_ns;
  return form;
}
