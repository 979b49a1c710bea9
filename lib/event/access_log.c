/*
 * access_log — web server access-log lines into events (see the header).
 */
#include "soc/access_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soc/utf8.h"

typedef struct {
  const char *p;
  size_t n;
} span;

/* One parsed line: spans into it, quoted ones still escaped. */
typedef struct {
  span client, user, time, request, status, bytes, referrer, agent;
} access;

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c) {
  return is_digit(c)            ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static size_t strip_eol(const char *s, size_t len) {
  if (len && s[len - 1] == '\n') len--;
  if (len && s[len - 1] == '\r') len--;
  return len;
}

/* A run of non-spaces and the one space after it (none at the end). */
static int token(const char **pp, const char *end, span *out) {
  const char *p = *pp, *s = p;
  while (p < end && *p != ' ') p++;
  if (p == s) return -1;
  out->p = s;
  out->n = (size_t)(p - s);
  *pp = p < end ? p + 1 : p;
  return 0;
}

/* What may follow a closing quote: the end, or a space and then a quote,
 * '-', a digit or the end. */
static int ends_value(const char *p, const char *end) {
  if (p == end) return 1;
  if (*p != ' ') return 0;
  p++;
  return p == end || *p == '"' || *p == '-' || is_digit(*p);
}

/* The first '"' or '\\' in [p, end), or end. A word at a time: the
 * request and the user agent are tens of bytes each, and most hold
 * neither but the quote that ends them. */
static const char *quote_or_escape(const char *p, const char *end) {
  for (; p < end; p += 8) {
    size_t n = (size_t)(end - p);
    uint64_t w;
    if (n >= 8)
      memcpy(&w, p, sizeof w);
    else
      w = soc_load_short(p, n, UINT64_C(0x0101010101010101) * 'a');
    /* a byte flagged here may sit above a genuine one, never without one */
    if (soc_word_has_byte(w, '"') | soc_word_has_byte(w, '\\')) {
      while (*p != '"' && *p != '\\') p++;
      return p;
    }
  }
  return end;
}

/* A quoted value and the space after it; out is what is between the quotes,
 * escapes still in it. */
static int quoted(const char **pp, const char *end, span *out) {
  const char *p = *pp;
  if (p >= end || *p != '"') return -1;
  for (const char *q = p + 1; (q = quote_or_escape(q, end)) < end; q++) {
    if (*q == '\\') {
      /* \" and \\ are no quote and no escape */
      if (++q == end) break;
      continue;
    }
    if (ends_value(q + 1, end)) {
      out->p = p + 1;
      out->n = (size_t)(q - p - 1);
      *pp = q + 1 < end ? q + 2 : q + 1;
      return 0;
    }
  }
  return -1;
}

static int dash(span s) { return s.n == 1 && s.p[0] == '-'; }

static int all_digits(span s, size_t max) {
  if (!s.n || s.n > max) return 0;
  for (size_t i = 0; i < s.n; i++)
    if (!is_digit(s.p[i])) return 0;
  return 1;
}

static int parse(const char *line, size_t len, access *a) {
  const char *p = line, *end = line + strip_eol(line, len);
  span ident;
  memset(a, 0, sizeof *a);
  if (token(&p, end, &a->client) || token(&p, end, &ident) || token(&p, end, &a->user)) return -1;
  /* [dd/Mon/yyyy:HH:MM:SS +zzzz] */
  if (end - p < 28 || p[0] != '[' || p[27] != ']') return -1;
  a->time.p = p + 1;
  a->time.n = 26;
  p += 28;
  if (p >= end || *p++ != ' ') return -1;
  if (quoted(&p, end, &a->request) || token(&p, end, &a->status) || token(&p, end, &a->bytes))
    return -1;
  if ((!dash(a->status) && !all_digits(a->status, 3)) ||
      (!dash(a->bytes) && !all_digits(a->bytes, 18)))
    return -1;
  /* combined's two more; anything after them is some format's own */
  if (p < end && !quoted(&p, end, &a->referrer)) (void)quoted(&p, end, &a->agent);
  return 0;
}

/* s unescaped: *out is s itself when it holds no backslash, else buf
 * (room for s.n bytes) with the value written into it. Returns the length. */
static size_t unescape(span s, char *buf, const char **out) {
  size_t n = 0;
  *out = s.p;
  if (!memchr(s.p, '\\', s.n)) return s.n;
  *out = buf;
  for (size_t i = 0; i < s.n; i++) {
    char c = s.p[i];
    if (c == '\\' && i + 1 < s.n) {
      char d = s.p[i + 1];
      if (d == '"' || d == '\\') {
        buf[n++] = d;
        i++;
        continue;
      }
      if (d == 'x' && i + 3 < s.n && hexval(s.p[i + 2]) >= 0 && hexval(s.p[i + 3]) >= 0) {
        buf[n++] = (char)(hexval(s.p[i + 2]) << 4 | hexval(s.p[i + 3]));
        i += 3;
        continue;
      }
    }
    buf[n++] = c;
  }
  return n;
}

/* The extras this file sets, their names checked once. */
enum {
  K_SOURCE_DOMAIN,
  K_HTTP_VERSION,
  K_METHOD,
  K_URL_ORIGINAL,
  K_URL_DOMAIN,
  K_URL_PATH,
  K_URL_QUERY,
  K_STATUS,
  K_BODY_BYTES,
  K_REFERRER,
  K_USER_AGENT,
  K_COUNT
};
_Static_assert(K_COUNT == SOC_ACCESS_EXTRAS, "soc_access_extras' length");
const char *const soc_access_extras[SOC_ACCESS_EXTRAS] = {
    [K_SOURCE_DOMAIN] = "source.domain",
    [K_HTTP_VERSION] = "http.version",
    [K_METHOD] = "http.request.method",
    [K_URL_ORIGINAL] = "url.original",
    [K_URL_DOMAIN] = "url.domain",
    [K_URL_PATH] = "url.path",
    [K_URL_QUERY] = "url.query",
    [K_STATUS] = "http.response.status_code",
    [K_BODY_BYTES] = "http.response.body.bytes",
    [K_REFERRER] = "http.request.referrer",
    [K_USER_AGENT] = "user_agent.original",
};
static soc_event_key keys[K_COUNT];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_build(void) {
  /* The names are the table's constants: one refused is a mistake in it,
   * caught by the first line any test parses. */
  for (int i = 0; i < K_COUNT; i++)
    if (soc_event_key_to_set(soc_access_extras[i], &keys[i])) abort();
}

static int put(soc_event *ev, int k, const char *v, size_t n) {
  return soc_event_set_keyed(ev, soc_access_extras[k], &keys[k], v, n) == -ENOMEM ? -ENOMEM : 0;
}

static int put_num(soc_event *ev, int k, span s) {
  return soc_event_set_json_keyed(ev, soc_access_extras[k], &keys[k], s.p, s.n) == -ENOMEM ? -ENOMEM
                                                                                           : 0;
}

/* "METHOD TARGET HTTP/x.y" (or HTTP/0.9's "METHOD TARGET") in r[0..n).
 * Returns 1 for a forward proxy's request (an absolute-form target or
 * CONNECT), 0, -ENOMEM. */
static int request(soc_event *ev, const char *r, size_t n) {
  const char *sp1 = memchr(r, ' ', n), *end = r + n, *tgt, *tend, *path, *q;
  if (!sp1 || sp1 == r) return 0;
  for (const char *m = r; m < sp1; m++)
    if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || *m == '-' || *m == '_')) return 0;
  tgt = sp1 + 1;
  tend = end;
  for (const char *s = end; s > tgt; s--)
    if (s[-1] == ' ') {
      if (end - s > 5 && !memcmp(s, "HTTP/", 5)) {
        if (put(ev, K_HTTP_VERSION, s + 5, (size_t)(end - s - 5))) return -ENOMEM;
        tend = s - 1;
      }
      break;
    }
  if (tend == tgt) return 0;
  if (put(ev, K_METHOD, r, (size_t)(sp1 - r)) || put(ev, K_URL_ORIGINAL, tgt, (size_t)(tend - tgt)))
    return -ENOMEM;
  if (sp1 - r == 7 && !memcmp(r, "CONNECT", 7)) return 1;
  /* path and query of an origin-form or absolute-form target, as the pcap
   * input takes them from a request */
  path = tgt;
  if ((tend - tgt > 7 && !strncasecmp(tgt, "http://", 7)) ||
      (tend - tgt > 8 && !strncasecmp(tgt, "https://", 8))) {
    const char *host = memchr(tgt, '/', (size_t)(tend - tgt)) + 2, *h = host;
    while (h < tend && *h != '/' && *h != ':' && *h != '?') h++;
    if (h > host && put(ev, K_URL_DOMAIN, host, (size_t)(h - host))) return -ENOMEM;
    while (h < tend && *h != '/') h++;
    path = h;
  }
  q = memchr(path, '?', (size_t)(tend - path));
  if (path < tend && put(ev, K_URL_PATH, path, (size_t)((q ? q : tend) - path))) return -ENOMEM;
  if (q && q + 1 < tend && put(ev, K_URL_QUERY, q + 1, (size_t)(tend - q - 1))) return -ENOMEM;
  return path != tgt;
}

static int is_ip(span s) {
  char buf[INET6_ADDRSTRLEN];
  unsigned char addr[16];
  if (s.n >= sizeof buf) return 0;
  memcpy(buf, s.p, s.n);
  buf[s.n] = '\0';
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* Room for the unescaped values of most lines without an allocation. */
#define UNESCAPE_BUF 2048

int soc_event_access_fields(soc_event *ev, const char *line, size_t len, int set_time) {
  access a;
  char small[UNESCAPE_BUF], *buf = small, *heap = NULL;
  const char *v;
  size_t n;
  int64_t ns;
  int result = -EINVAL;
  if (!ev || !line || parse(line, len, &a)) goto out;
  pthread_once(&keys_once, keys_build);
  result = -ENOMEM;
  if (len > sizeof small && !(buf = heap = malloc(len))) goto out;
  if (set_time && soc_syslog_clf_time(a.time.p, a.time.n, &ns) == 0) soc_event_set_time(ev, ns);
  /* The address checked once, by what source.ip takes. is_ip takes more:
   * an address and a NUL after it (it reads up to the NUL), which source.ip
   * refuses; such a client is neither field. */
  if (soc_event_str_takes(SOC_ECS_SOURCE_IP, a.client.p, a.client.n)) {
    if (soc_event_set_str_taken(ev, SOC_ECS_SOURCE_IP, a.client.p, a.client.n) == -ENOMEM) goto out;
  } else if (!dash(a.client) && !is_ip(a.client) &&
             put(ev, K_SOURCE_DOMAIN, a.client.p, a.client.n)) {
    goto out;
  }
  if (!dash(a.user) && soc_event_set_str(ev, SOC_ECS_USER_NAME, a.user.p, a.user.n) == -ENOMEM)
    goto out;
  n = unescape(a.request, buf, &v);
  int proxy = request(ev, v, n);
  if (proxy < 0) goto out;
  if (!dash(a.status)) {
    int bad = a.status.p[0] >= '4';
    if (put_num(ev, K_STATUS, a.status) ||
        soc_event_set_str(ev, SOC_ECS_EVENT_OUTCOME, bad ? "failure" : "success", 7) == -ENOMEM)
      goto out;
  }
  if (put_num(ev, K_BODY_BYTES, dash(a.bytes) ? (span){"0", 1} : a.bytes)) goto out;
  if (a.referrer.p && !dash(a.referrer) && (n = unescape(a.referrer, buf, &v)) &&
      put(ev, K_REFERRER, v, n))
    goto out;
  if (a.agent.p && !dash(a.agent) && (n = unescape(a.agent, buf, &v)) &&
      put(ev, K_USER_AGENT, v, n))
    goto out;
  if (soc_event_set_str(ev, SOC_ECS_EVENT_DATASET, proxy ? "proxy.access" : "web.access",
                        proxy ? 12 : 10) == -ENOMEM)
    goto out;
  result = 0;
out:
  free(heap);
  return result;
}

int soc_access_line_ok(const char *line, size_t len) {
  access a;
  return line && parse(line, len, &a) == 0;
}

int soc_event_from_access_line(soc_event *ev, const char *line, size_t len,
                               const soc_syslog_opts *opts) {
  const char *msg;
  soc_syslog_format form;
  int rc;
  if (!ev || !line) return -EINVAL;
  rc = soc_event_access_fields(ev, line, len, 1);
  if (rc != -EINVAL) {
    if (!rc) rc = soc_event_set_str(ev, SOC_ECS_MESSAGE, line, strip_eol(line, len));
    return rc == -ENOMEM ? -ENOMEM : 0;
  }
  form = soc_syslog_parse(line, len, opts, ev);
  msg = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  /* setting the fields leaves the message alone: msg stays valid */
  rc = msg ? soc_event_access_fields(ev, msg, strlen(msg), 0) : -EINVAL;
  if (rc != -EINVAL) return rc;
  return form != SOC_SYSLOG_RAW ? 1 : -EINVAL;
}

int soc_event_access_from_syslog(soc_event *ev) {
  static const struct {
    const char *s;
    size_t n;
  } servers[] = {{"nginx", 5}, {"apache2", 7}, {"httpd", 5}};
  size_t plen = 0, mlen;
  /* every syslog line asks: lengths first, a value holds no NUL */
  const char *prog = ev ? soc_event_get_strn(ev, SOC_ECS_PROCESS_NAME, &plen) : NULL, *msg;
  int rc;
  if (!prog) return 0;
  for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
    if (plen == servers[i].n && !memcmp(prog, servers[i].s, plen)) {
      if (!(msg = soc_event_get_strn(ev, SOC_ECS_MESSAGE, &mlen))) return 0;
      rc = soc_event_access_fields(ev, msg, mlen, 0);
      return rc == -ENOMEM ? -ENOMEM : rc == 0;
    }
  return 0;
}
