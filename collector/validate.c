/*
 * validate — one Kafka message in, a verdict out (see validate.h).
 *
 * The checks run cheapest first and stop at the first failure, so a 1 MiB
 * blob of junk costs one length compare, and a message that is not UTF-8
 * never reaches the JSON parser. The parser gets the exact length (not a C
 * string), a depth limit, and must consume every byte: "{} trailing junk"
 * is not a JSON object, and neither are two objects back to back.
 *
 * Only the fields the store indexes are looked at; the body is kept as it
 * came, so a field the agent adds later needs no change here. Optional
 * fields (host.name, @timestamp) are taken when they are strings that fit;
 * a field of the wrong type or an over-long one rejects the message rather
 * than being cut, because a cut host name would file the event under
 * another host.
 */
#include "validate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "soc/utf8.h"

static const char *const reason_names[SOC_COLLECTOR_REASONS] = {
    [SOC_COLLECTOR_OK] = "ok",
    [SOC_COLLECTOR_TOO_LARGE] = "too_large",
    [SOC_COLLECTOR_NOT_UTF8] = "not_utf8",
    [SOC_COLLECTOR_NOT_JSON] = "not_json",
    [SOC_COLLECTOR_NOT_OBJECT] = "not_object",
    [SOC_COLLECTOR_NO_HEADER] = "missing_header",
    [SOC_COLLECTOR_BAD_SCHEMA] = "schema_version",
    [SOC_COLLECTOR_BAD_AGENT] = "bad_agent_id",
    [SOC_COLLECTOR_NO_AGENT] = "no_agent_id",
    [SOC_COLLECTOR_AGENT_MISMATCH] = "agent_mismatch",
    [SOC_COLLECTOR_BAD_EVENT_ID] = "bad_event_id",
    [SOC_COLLECTOR_BAD_FIELD] = "bad_field",
    [SOC_COLLECTOR_UNSIGNED] = "unsigned",
    [SOC_COLLECTOR_UNENROLLED] = "unenrolled",
    [SOC_COLLECTOR_REVOKED] = "revoked",
    [SOC_COLLECTOR_BAD_SIGNATURE] = "bad_signature",
    [SOC_COLLECTOR_AGENCY_MISMATCH] = "agency_mismatch",
    [SOC_COLLECTOR_BAD_BATCH] = "bad_batch",
};

const char *soc_collector_reason_name(soc_collector_reason r) {
  return (unsigned)r < SOC_COLLECTOR_REASONS ? reason_names[r] : "unknown";
}

soc_collector_kind soc_collector_topic_kind(const char *topic, const char *prefix) {
  size_t n = prefix ? strlen(prefix) : 0;
  if (!topic || strncmp(topic, prefix ? prefix : "", n) || topic[n] != '.')
    return SOC_COLLECTOR_OTHER;
  if (!strcmp(topic + n + 1, "events")) return SOC_COLLECTOR_EVENTS;
  if (!strcmp(topic + n + 1, "heartbeat")) return SOC_COLLECTOR_HEARTBEAT;
  if (!strcmp(topic + n + 1, "reports")) return SOC_COLLECTOR_REPORTS;
  if (!strcmp(topic + n + 1, "evidence")) return SOC_COLLECTOR_EVIDENCE;
  return SOC_COLLECTOR_OTHER;
}

int soc_collector_agent_id_ok(const char *s, size_t len) {
  if (!s || !len || len > SOC_COLLECTOR_AGENT_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    if (!ok) return 0;
  }
  return 1;
}

static int event_id_ok(const char *s, size_t len) {
  if (len != 32) return 0;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

static int reject(soc_collector_verdict *v, soc_collector_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(soc_collector_verdict *v, soc_collector_reason r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->detail, sizeof v->detail, fmt, ap);
  va_end(ap);
  v->reason = r;
  return (int)r;
}

/* o.a.b as an object member path; NULL when any step is missing. */
static fjson_object *path2(fjson_object *o, const char *a, const char *b) {
  fjson_object *x = NULL, *y = NULL;
  if (!fjson_object_object_get_ex(o, a, &x) || !fjson_object_is_type(x, fjson_type_object))
    return NULL;
  if (!b) return x;
  return fjson_object_object_get_ex(x, b, &y) ? y : NULL;
}

/* Copies an optional string field into buf (cap bytes with the NUL).
 * Absent or null: "" and 0. Present and not a string that fits: -1. */
static int take_str(fjson_object *f, char *buf, size_t cap) {
  buf[0] = '\0';
  if (!f) return 0;
  if (!fjson_object_is_type(f, fjson_type_string)) return -1;
  const char *s = fjson_object_get_string(f);
  int n = fjson_object_get_string_len(f);
  /* A "\u0000" in the JSON would cut the C string without a word. */
  if (!s || n < 0 || (size_t)n >= cap || strlen(s) != (size_t)n) return -1;
  memcpy(buf, s, (size_t)n + 1);
  return 0;
}

/* An optional integer field; absent: 0. */
static int take_int(fjson_object *f, int64_t *out) {
  *out = 0;
  if (!f) return 0;
  if (!fjson_object_is_type(f, fjson_type_int)) return -1;
  *out = fjson_object_get_int64(f);
  return 0;
}

/* The headers: required on events, checked when present elsewhere. */
static int check_headers(const soc_collector_msg *m, soc_collector_verdict *v) {
  int strict = m->kind == SOC_COLLECTOR_EVENTS;
  /* An evidence message names its agent only in the header. */
  if (!m->hdr_agent && (strict || m->kind == SOC_COLLECTOR_EVIDENCE))
    return reject(v, SOC_COLLECTOR_NO_HEADER, "no agent.id header");
  if (!m->hdr_schema && strict)
    return reject(v, SOC_COLLECTOR_NO_HEADER, "no schema.version header");
  if (m->hdr_schema && (m->hdr_schema_len != sizeof SOC_COLLECTOR_SCHEMA - 1 ||
                        memcmp(m->hdr_schema, SOC_COLLECTOR_SCHEMA, m->hdr_schema_len)))
    return reject(v, SOC_COLLECTOR_BAD_SCHEMA,
                  "schema.version is not \"" SOC_COLLECTOR_SCHEMA "\" (%zu bytes)",
                  m->hdr_schema_len);
  if (m->hdr_agent && !soc_collector_agent_id_ok(m->hdr_agent, m->hdr_agent_len))
    return reject(v, SOC_COLLECTOR_BAD_AGENT, "agent.id header is not a valid agent id");
  return SOC_COLLECTOR_OK;
}

static int check_event(fjson_object *root, soc_collector_verdict *v) {
  fjson_object *id = path2(root, "event", "id"), *ts = NULL;
  if (!id || !fjson_object_is_type(id, fjson_type_string))
    return reject(v, SOC_COLLECTOR_BAD_EVENT_ID, "no event.id string");
  const char *s = fjson_object_get_string(id);
  int n = fjson_object_get_string_len(id);
  if (!s || n < 0 || !event_id_ok(s, (size_t)n))
    return reject(v, SOC_COLLECTOR_BAD_EVENT_ID, "event.id is not 32 lowercase hex digits");
  memcpy(v->event_id, s, 33);
  if (take_str(path2(root, "host", "name"), v->host, sizeof v->host))
    return reject(v, SOC_COLLECTOR_BAD_FIELD, "host.name is not a string of at most %d bytes",
                  SOC_COLLECTOR_HOST_MAX);
  fjson_object_object_get_ex(root, "@timestamp", &ts);
  if (take_str(ts, v->ts, sizeof v->ts))
    return reject(v, SOC_COLLECTOR_BAD_FIELD, "@timestamp is not a string of at most %d bytes",
                  SOC_COLLECTOR_TS_MAX);
  return SOC_COLLECTOR_OK;
}

static int check_heartbeat(fjson_object *root, soc_collector_verdict *v) {
  fjson_object *sa = path2(root, "socagent", NULL), *ts = NULL, *counters = NULL;
  int bad = 0;
  if (!sa) return reject(v, SOC_COLLECTOR_BAD_FIELD, "no socagent object in a heartbeat");
  fjson_object_object_get_ex(root, "@timestamp", &ts);
  bad |= take_str(ts, v->ts, sizeof v->ts);
  bad |= take_str(path2(root, "agent", "version"), v->version, sizeof v->version);
  bad |= take_str(path2(root, "socagent", "agency"), v->agency, sizeof v->agency);
  bad |= take_int(path2(root, "socagent", "authority"), &v->authority);
  bad |= take_int(path2(root, "socagent", "uptime_s"), &v->uptime_s);
  bad |= take_int(path2(sa, "forward", "lag_lines"), &v->lag_lines);
  bad |= take_str(path2(sa, "forward", "broker"), v->broker, sizeof v->broker);
  bad |= take_int(path2(sa, "audit", "seq"), &v->audit_seq);
  bad |= take_str(path2(sa, "audit", "head"), v->audit_head, sizeof v->audit_head);
  bad |= take_str(path2(sa, "store", "id"), v->store_id, sizeof v->store_id);
  bad |= take_int(path2(sa, "store", "block"), &v->store_block);
  /* Absent from older agents' heartbeats and from those sent before
   * librdkafka's first statistics (forward.c): unknown (as is null), which
   * is not 0, a broker on the same host. */
  fjson_object *rtt = path2(sa, "forward", "broker_rtt_ms");
  bad |= take_int(rtt, &v->broker_rtt_ms);
  if (!rtt)
    v->broker_rtt_ms = -1;
  else if (!bad && (v->broker_rtt_ms < 0 || v->broker_rtt_ms > SOC_COLLECTOR_RTT_MAX_MS))
    return reject(v, SOC_COLLECTOR_BAD_FIELD,
                  "socagent.forward.broker_rtt_ms is not a round trip of 0 to %d ms",
                  SOC_COLLECTOR_RTT_MAX_MS);
  if (!bad &&
      (v->store_block < 0 || strspn(v->store_id, "0123456789abcdef") != strlen(v->store_id)))
    return reject(v, SOC_COLLECTOR_BAD_FIELD,
                  "socagent.store is not a hex id with a journal block number");
  /* an anchor is an entry number and a SHA-256, or nothing */
  if (!bad && (v->audit_seq < 0 || (v->audit_seq > 0) != (v->audit_head[0] != 0) ||
               (v->audit_seq > 0 && !soc_audit_hash_is_hex(v->audit_head))))
    return reject(v, SOC_COLLECTOR_BAD_FIELD,
                  "socagent.audit is not an entry number with a 64-hex-digit hash");
  if (bad)
    return reject(v, SOC_COLLECTOR_BAD_FIELD,
                  "a heartbeat field has the wrong type or is over %d bytes",
                  SOC_COLLECTOR_TEXT_MAX);
  if (fjson_object_object_get_ex(sa, "counters", &counters) &&
      fjson_object_is_type(counters, fjson_type_object)) {
    const char *c = fjson_object_to_json_string_ext(counters, FJSON_TO_STRING_PLAIN);
    if (c && !(v->counters = strdup(c))) return SOC_COLLECTOR_OK; /* caller sees -ENOMEM */
  }
  return SOC_COLLECTOR_OK;
}

/*
 * The fast path for events, which are nearly all the volume: one pass over
 * the bytes that checks the syntax and notes where the few fields we store
 * are, with no allocation. It accepts only a strict subset of what
 * libfastjson accepts -- RFC 8259 without raw control characters, escaped
 * keys, \u0000 or lone surrogates, long numbers, deep nesting, duplicates
 * of a field we read -- and only a message that passes every check. Anything
 * else, good or bad, is judged again by libfastjson below, so a refusal and
 * its words are exactly what they were (the fuzz harness and
 * test_collector_validate hold the two paths to the same verdict).
 */
enum {
  SCAN_DEPTH = 32,  /* half of SOC_COLLECTOR_JSON_DEPTH: no question of where the limit is */
  SCAN_DIGITS = 15, /* digits of a number: within a double's and an int64's range */
};

typedef enum { SCAN_NONE, SCAN_STR, SCAN_NULL, SCAN_OBJ, SCAN_OTHER } scan_type;

/* One member we read: how often it came, its type, and a string's bytes
 * (without escapes, so they are its value). */
typedef struct {
  int seen;
  scan_type type;
  const char *s;
  size_t len;
} scan_field;

typedef struct scan_key {
  const char *name;
  size_t len;
  scan_field *f;
  const struct scan_key *sub; /* the member read inside it, when an object */
} scan_key;

typedef struct {
  const char *p, *end;
} scanner;

static void scan_ws(scanner *sc) {
  while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
    sc->p++;
}

static int scan_hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

/* A string at sc->p. 1 with its span and whether it had escapes, or 0. */
static int scan_string(scanner *sc, const char **s, size_t *len, int *escaped) {
  const char *p = sc->p + 1;
  *escaped = 0;
  for (;;) {
    if (p >= sc->end) return 0;
    unsigned char c = (unsigned char)*p;
    if (c == '"') break;
    if (c < 0x20) return 0;
    if (c != '\\') {
      p++;
      continue;
    }
    *escaped = 1;
    if (sc->end - p < 2) return 0;
    if (p[1] == 'u') {
      unsigned u;
      if (sc->end - p < 6 || !scan_hex4(p + 2, &u) || u == 0 || (u >= 0xd800 && u <= 0xdfff))
        return 0;
      p += 6;
    } else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
      p += 2;
    } else {
      return 0;
    }
  }
  *s = sc->p + 1;
  *len = (size_t)(p - *s);
  sc->p = p + 1;
  return 1;
}

static size_t scan_digits(scanner *sc) {
  const char *p = sc->p;
  while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') sc->p++;
  return (size_t)(sc->p - p);
}

static int scan_number(scanner *sc) {
  size_t n, digits;
  if (*sc->p == '-') sc->p++;
  if (sc->p < sc->end && *sc->p == '0') {
    sc->p++;
    digits = 1;
  } else if (!(digits = scan_digits(sc))) {
    return 0;
  }
  if (sc->p < sc->end && *sc->p == '.') {
    sc->p++;
    if (!(n = scan_digits(sc))) return 0;
    digits += n;
  }
  if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
    sc->p++;
    if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-')) sc->p++;
    n = scan_digits(sc);
    if (!n || n > 2) return 0;
  }
  return digits <= SCAN_DIGITS;
}

static int scan_word(scanner *sc, const char *w, size_t n) {
  if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, w, n)) return 0;
  sc->p += n;
  return 1;
}

static int scan_value(scanner *sc, int depth, const scan_key *keys, scan_field *f);

/* An object or array at sc->p; keys: the members to note (objects only). */
static int scan_container(scanner *sc, int depth, const scan_key *keys) {
  char close = *sc->p == '{' ? '}' : ']';
  if (depth > SCAN_DEPTH) return 0;
  sc->p++;
  scan_ws(sc);
  if (sc->p < sc->end && *sc->p == close) {
    sc->p++;
    return 1;
  }
  for (;;) {
    const scan_key *k = NULL;
    if (close == '}') {
      const char *name;
      size_t len;
      int escaped;
      if (sc->p >= sc->end || *sc->p != '"' || !scan_string(sc, &name, &len, &escaped) || escaped)
        return 0;
      for (const scan_key *x = keys; x && x->name; x++)
        if (x->len == len && !memcmp(x->name, name, len)) k = x;
      scan_ws(sc);
      if (sc->p >= sc->end || *sc->p++ != ':') return 0;
      scan_ws(sc);
    }
    if (k && k->f->seen++) return 0;
    if (!scan_value(sc, depth, k ? k->sub : NULL, k ? k->f : NULL)) return 0;
    scan_ws(sc);
    if (sc->p >= sc->end) return 0;
    if (*sc->p == close) {
      sc->p++;
      return 1;
    }
    if (*sc->p++ != ',') return 0;
    scan_ws(sc);
  }
}

/* A value at sc->p; f (may be NULL) gets its type and a string's bytes. */
static int scan_value(scanner *sc, int depth, const scan_key *keys, scan_field *f) {
  scan_field dummy;
  if (!f) f = &dummy;
  f->type = SCAN_OTHER;
  if (sc->p >= sc->end) return 0;
  switch (*sc->p) {
    case '{':
      f->type = SCAN_OBJ;
      return scan_container(sc, depth + 1, keys);
    case '[':
      return scan_container(sc, depth + 1, NULL);
    case '"': {
      int escaped;
      if (!scan_string(sc, &f->s, &f->len, &escaped)) return 0;
      /* an escaped value we would have to decode: libfastjson's job */
      if (escaped && f != &dummy) return 0;
      f->type = SCAN_STR;
      return 1;
    }
    case 't':
      return scan_word(sc, "true", 4);
    case 'f':
      return scan_word(sc, "false", 5);
    case 'n':
      f->type = SCAN_NULL;
      return scan_word(sc, "null", 4);
    default:
      return scan_number(sc);
  }
}

/* An optional string member into buf (cap bytes with the NUL): absent or
 * null is "", a string that fits is copied; 0 for anything else. */
static int scan_take(const scan_field *f, char *buf, size_t cap) {
  buf[0] = '\0';
  if (!f->seen || f->type == SCAN_NULL) return 1;
  if (f->type != SCAN_STR || f->len >= cap) return 0;
  memcpy(buf, f->s, f->len);
  buf[f->len] = '\0';
  return 1;
}

/* 1 when m is an event this path accepts, with *v filled; 0: judge it the
 * long way. Headers, size and UTF-8 are already checked. */
static int scan_event(const soc_collector_msg *m, soc_collector_verdict *v) {
  scan_field agent = {0}, aid = {0}, event = {0}, eid = {0}, host = {0}, hname = {0}, ts = {0},
             root = {0};
  const scan_key agent_sub[] = {{"id", 2, &aid, NULL}, {0}};
  const scan_key event_sub[] = {{"id", 2, &eid, NULL}, {0}};
  const scan_key host_sub[] = {{"name", 4, &hname, NULL}, {0}};
  const scan_key top[] = {{"agent", 5, &agent, agent_sub},
                          {"event", 5, &event, event_sub},
                          {"host", 4, &host, host_sub},
                          {"@timestamp", 10, &ts, NULL},
                          {0}};
  scanner sc = {m->payload, (const char *)m->payload + m->len};
  scan_ws(&sc);
  if (sc.p >= sc.end || *sc.p != '{' || !scan_value(&sc, 0, top, &root)) return 0;
  scan_ws(&sc);
  if (sc.p != sc.end) return 0;
  /* the sub-members count only inside an object */
  if (agent.type != SCAN_OBJ || aid.type != SCAN_STR || event.type != SCAN_OBJ ||
      eid.type != SCAN_STR)
    return 0;
  if (!soc_collector_agent_id_ok(aid.s, aid.len) || !m->hdr_agent || m->hdr_agent_len != aid.len ||
      memcmp(m->hdr_agent, aid.s, aid.len) || !event_id_ok(eid.s, eid.len))
    return 0;
  if (host.type != SCAN_OBJ) hname.seen = 0;
  if (!scan_take(&hname, v->host, sizeof v->host) || !scan_take(&ts, v->ts, sizeof v->ts)) return 0;
  memcpy(v->agent, aid.s, aid.len);
  v->agent[aid.len] = '\0';
  memcpy(v->event_id, eid.s, 32);
  v->event_id[32] = '\0';
  return 1;
}

/* Returns the reason, or -ENOMEM. fast: try scan_event first. */
static int judge(const soc_collector_msg *m, soc_collector_verdict *v, fjson_object **rootp,
                 int fast) {
  int r;
  if (m->len > SOC_COLLECTOR_MSG_MAX)
    return reject(v, SOC_COLLECTOR_TOO_LARGE, "%zu bytes, more than %u", m->len,
                  SOC_COLLECTOR_MSG_MAX);
  if ((r = check_headers(m, v)) != SOC_COLLECTOR_OK) return r;
  size_t good = soc_utf8_valid_prefix(m->payload, m->len);
  if (good != m->len)
    return reject(v, SOC_COLLECTOR_NOT_UTF8, "not UTF-8 text (NUL or bad byte at %zu)", good);
  if (!m->len) return reject(v, SOC_COLLECTOR_NOT_JSON, "empty");
  if (fast && m->kind == SOC_COLLECTOR_EVENTS) {
    if (scan_event(m, v)) return SOC_COLLECTOR_OK;
    /* it may have filled part of v before giving up */
    memset(v, 0, sizeof *v);
  }
  fjson_tokener *tok = fjson_tokener_new_ex(SOC_COLLECTOR_JSON_DEPTH);
  if (!tok) return -ENOMEM; /* says nothing about the message: not a reason to quarantine */
  fjson_tokener_set_flags(tok, FJSON_TOKENER_STRICT);
  /* len <= 1 MiB, so it fits the tokener's int. */
  *rootp = fjson_tokener_parse_ex(tok, m->payload, (int)m->len);
  enum fjson_tokener_error jerr = fjson_tokener_get_error(tok);
  size_t used = (size_t)tok->char_offset;
  fjson_tokener_free(tok);
  if (!*rootp || jerr != fjson_tokener_success) {
    return reject(v, SOC_COLLECTOR_NOT_JSON, "not JSON (%s, at byte %zu)",
                  jerr == fjson_tokener_continue ? "cut short" : fjson_tokener_error_desc(jerr),
                  used);
  }
  /* Trailing white space is harmless; anything else is a second value. */
  while (used < m->len && strchr(" \t\r\n", ((const char *)m->payload)[used])) used++;
  if (used < m->len)
    return reject(v, SOC_COLLECTOR_NOT_JSON, "junk after the JSON value at %zu", used);
  if (!fjson_object_is_type(*rootp, fjson_type_object))
    return reject(v, SOC_COLLECTOR_NOT_OBJECT, "JSON, but not an object");

  if (m->kind == SOC_COLLECTOR_EVIDENCE) {
    memcpy(v->agent, m->hdr_agent, m->hdr_agent_len); /* checked: at most 64 bytes */
    return SOC_COLLECTOR_OK;
  }
  fjson_object *aid = path2(*rootp, "agent", "id");
  if (!aid || !fjson_object_is_type(aid, fjson_type_string))
    return reject(v, SOC_COLLECTOR_NO_AGENT, "no agent.id string in the body");
  const char *a = fjson_object_get_string(aid);
  int alen = fjson_object_get_string_len(aid);
  if (!a || alen < 0 || !soc_collector_agent_id_ok(a, (size_t)alen))
    return reject(v, SOC_COLLECTOR_BAD_AGENT, "agent.id in the body is not a valid agent id");
  if (m->hdr_agent && (m->hdr_agent_len != (size_t)alen || memcmp(m->hdr_agent, a, (size_t)alen)))
    return reject(v, SOC_COLLECTOR_AGENT_MISMATCH, "body agent.id '%s' differs from the header's",
                  a);
  memcpy(v->agent, a, (size_t)alen + 1);

  if (m->kind == SOC_COLLECTOR_EVENTS) return check_event(*rootp, v);
  if (m->kind == SOC_COLLECTOR_HEARTBEAT) return check_heartbeat(*rootp, v);
  /* the agency a report speaks for, which must be its agent's */
  if (m->kind == SOC_COLLECTOR_REPORTS &&
      take_str(path2(*rootp, "agent", "agency"), v->agency, sizeof v->agency))
    return reject(v, SOC_COLLECTOR_BAD_FIELD, "agent.agency is not a string of at most %d bytes",
                  SOC_COLLECTOR_TEXT_MAX);
  return SOC_COLLECTOR_OK;
}

static int validate(const soc_collector_msg *m, soc_collector_verdict *v, int fast) {
  int result = -EINVAL;
  fjson_object *root = NULL;
  if (!v) return -EINVAL;
  memset(v, 0, sizeof *v);
  if (!m || (m->len && !m->payload)) goto out;
  result = judge(m, v, &root, fast);
  /* A heartbeat whose counters could not be copied is accepted with none;
   * only the caller can tell it that memory ran out. */
  if (result == SOC_COLLECTOR_OK && m->kind == SOC_COLLECTOR_HEARTBEAT && !v->counters &&
      path2(path2(root, "socagent", NULL), "counters", NULL))
    result = -ENOMEM;
out:
  fjson_object_put(root);
  return result;
}

int soc_collector_validate(const soc_collector_msg *m, soc_collector_verdict *v) {
  return validate(m, v, 1);
}

int soc_collector_validate_reference(const soc_collector_msg *m, soc_collector_verdict *v) {
  return validate(m, v, 0);
}

int soc_collector_verdict_same(const soc_collector_verdict *a, const soc_collector_verdict *b) {
  if ((a->counters == NULL) != (b->counters == NULL) ||
      (a->counters && strcmp(a->counters, b->counters)))
    return 0;
  return a->reason == b->reason && !strcmp(a->detail, b->detail) && !strcmp(a->agent, b->agent) &&
         !strcmp(a->event_id, b->event_id) && !strcmp(a->host, b->host) && !strcmp(a->ts, b->ts) &&
         !strcmp(a->agency, b->agency) && !strcmp(a->version, b->version) &&
         !strcmp(a->broker, b->broker) && a->authority == b->authority &&
         a->uptime_s == b->uptime_s && a->lag_lines == b->lag_lines &&
         a->audit_seq == b->audit_seq && !strcmp(a->audit_head, b->audit_head) &&
         !strcmp(a->store_id, b->store_id) && a->store_block == b->store_block &&
         a->broker_rtt_ms == b->broker_rtt_ms;
}

int soc_collector_check_headers(const soc_collector_msg *m, soc_collector_verdict *v) {
  memset(v, 0, sizeof *v);
  return check_headers(m, v);
}

void soc_collector_verdict_clear(soc_collector_verdict *v) {
  if (!v) return;
  free(v->counters);
  v->counters = NULL;
}
