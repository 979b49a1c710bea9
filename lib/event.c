/*
 * event — the event model and its ECS JSON.
 *
 * Known fields live in fixed slots indexed by soc_ecs_field, so inputs that set
 * them by enum pay no lookup; anything else goes into a short list of
 * "extra" dotted names. One table below gives every known field its ECS
 * name and type, and the JSON writer walks it, so adding a field is one
 * enum entry and one table row.
 *
 * JSON nesting is built from the dotted names. Two names clash when one is
 * a leaf and the other would need it to be an object ("host" next to
 * "host.name"); we refuse such a name when it is set rather than when the
 * JSON is written, so a parser learns of its mistake at the call that made
 * it and the writer can never produce an ambiguous document.
 *
 * Values are copied through utf8.h's repair, so the JSON writer can hand
 * them to libfastjson as they are: libfastjson escapes quotes, backslashes
 * and control characters, but copies bytes >= 0x80 untouched and stops a
 * string at a NUL, which is why both are dealt with here first.
 */
#include "soc/event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libfastjson/json.h>

#include "soc/hash.h"
#include "soc/utf8.h"

typedef enum { T_STR, T_IP, T_INT } field_type;

static const struct {
  const char *name;
  field_type type;
  int64_t min, max; /* T_INT only */
} fields[SOC_ECS_COUNT] = {
    [SOC_ECS_EVENT_KIND] = {"event.kind", T_STR, 0, 0},
    [SOC_ECS_EVENT_CATEGORY] = {"event.category", T_STR, 0, 0},
    [SOC_ECS_EVENT_TYPE] = {"event.type", T_STR, 0, 0},
    [SOC_ECS_EVENT_ACTION] = {"event.action", T_STR, 0, 0},
    [SOC_ECS_EVENT_OUTCOME] = {"event.outcome", T_STR, 0, 0},
    [SOC_ECS_EVENT_SEVERITY] = {"event.severity", T_INT, 0, INT64_MAX},
    [SOC_ECS_EVENT_DATASET] = {"event.dataset", T_STR, 0, 0},
    [SOC_ECS_EVENT_MODULE] = {"event.module", T_STR, 0, 0},
    [SOC_ECS_EVENT_ORIGINAL] = {"event.original", T_STR, 0, 0},
    [SOC_ECS_HOST_NAME] = {"host.name", T_STR, 0, 0},
    [SOC_ECS_HOST_IP] = {"host.ip", T_IP, 0, 0},
    [SOC_ECS_SOURCE_IP] = {"source.ip", T_IP, 0, 0},
    [SOC_ECS_SOURCE_PORT] = {"source.port", T_INT, 0, 65535},
    [SOC_ECS_DESTINATION_IP] = {"destination.ip", T_IP, 0, 0},
    [SOC_ECS_DESTINATION_PORT] = {"destination.port", T_INT, 0, 65535},
    [SOC_ECS_USER_NAME] = {"user.name", T_STR, 0, 0},
    [SOC_ECS_PROCESS_NAME] = {"process.name", T_STR, 0, 0},
    [SOC_ECS_PROCESS_PID] = {"process.pid", T_INT, 0, INT64_MAX},
    [SOC_ECS_MESSAGE] = {"message", T_STR, 0, 0},
    [SOC_ECS_LOG_FILE_PATH] = {"log.file.path", T_STR, 0, 0},
    [SOC_ECS_LOG_OFFSET] = {"log.offset", T_INT, 0, INT64_MAX},
    [SOC_ECS_LOG_SYSLOG_FACILITY_CODE] = {"log.syslog.facility.code", T_INT, 0, 23},
    [SOC_ECS_LOG_SYSLOG_SEVERITY_CODE] = {"log.syslog.severity.code", T_INT, 0, 7},
    [SOC_ECS_LOG_SYSLOG_HOSTNAME] = {"log.syslog.hostname", T_STR, 0, 0},
    [SOC_ECS_LOG_SYSLOG_APPNAME] = {"log.syslog.appname", T_STR, 0, 0},
    [SOC_ECS_LOG_SYSLOG_PROCID] = {"log.syslog.procid", T_STR, 0, 0},
    [SOC_ECS_LOG_SYSLOG_MSGID] = {"log.syslog.msgid", T_STR, 0, 0},
    [SOC_ECS_LOG_SYSLOG_VERSION] = {"log.syslog.version", T_STR, 0, 0},
    [SOC_ECS_NETWORK_TRANSPORT] = {"network.transport", T_STR, 0, 0},
    [SOC_ECS_NETWORK_PROTOCOL] = {"network.protocol", T_STR, 0, 0},
    [SOC_ECS_NETWORK_DIRECTION] = {"network.direction", T_STR, 0, 0},
    [SOC_ECS_NETWORK_TYPE] = {"network.type", T_STR, 0, 0},
    [SOC_ECS_NETWORK_COMMUNITY_ID] = {"network.community_id", T_STR, 0, 0},
    [SOC_ECS_NETWORK_BYTES] = {"network.bytes", T_INT, 0, INT64_MAX},
    [SOC_ECS_NETWORK_PACKETS] = {"network.packets", T_INT, 0, INT64_MAX},
    [SOC_ECS_RULE_ID] = {"rule.id", T_STR, 0, 0},
};

_Static_assert(SOC_ECS_COUNT <= 64, "num_set is a 64-bit mask");

/* Leaves that the writer adds itself; extras must not clash with them. */
static const char *const reserved[] = {
    "@timestamp",          "ecs.version",         "event.id",
    "tags",                "log.syslog.priority", "log.syslog.facility.name",
    "log.syslog.severity.name", "log.syslog.structured_data",
};

/* RFC 5424 table 1 keywords and table 2 names; ECS's examples use both. */
static const char *const facility_names[24] = {
    "kern",     "user",   "mail",   "daemon", "auth",   "syslog",      "lpr",    "news",
    "uucp",     "cron",   "authpriv", "ftp",  "ntp",    "security",    "console", "solaris-cron",
    "local0",   "local1", "local2", "local3", "local4", "local5",      "local6", "local7",
};
static const char *const severity_names[8] = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

/* An owned, repaired copy: s is NUL-terminated text of len bytes, or NULL. */
struct text {
  char *s;
  size_t len;
};

struct extra {
  char *key; /* owned; a checked dotted name */
  struct text value;
};

struct sd_param {
  struct text id, name, value;
};

struct soc_event {
  int64_t time_ns;
  int has_time;
  char id[SOC_EVENT_ID_MAX + 1]; /* "" when unset */
  struct text str[SOC_ECS_COUNT];
  int64_t num[SOC_ECS_COUNT];
  uint64_t num_set; /* bit f: num[f] is set */
  struct text tags[SOC_EVENT_TAG_MAX];
  size_t ntags;
  struct extra extras[SOC_EVENT_EXTRA_MAX];
  size_t nextras;
  struct sd_param sd[SOC_EVENT_SD_MAX];
  size_t nsd;
  size_t bytes; /* stored bytes, counted against SOC_EVENT_BYTES_MAX */
  unsigned flags;
};

static int field_ok(soc_ecs_field f) { return (unsigned)f < SOC_ECS_COUNT; }

static void text_free(struct text *t) {
  free(t->s);
  t->s = NULL;
  t->len = 0;
}

/* Makes a repaired copy of v[0..len) into *out, cut at cap bytes and at what
 * is left of the budget once `freed` bytes (the value it replaces) are given
 * back. The caller accounts for the new bytes. */
static int text_copy(soc_event *ev, const char *v, size_t len, size_t cap, size_t freed,
                     struct text *out) {
  int result = -EINVAL;
  char *s = NULL;
  size_t left = SOC_EVENT_BYTES_MAX - (ev->bytes - freed);
  size_t size, n = 0, nrep = 0;
  if (!v && len) goto out;
  if (cap > left) cap = left;
  if (!cap && len) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  /* Valid input copies byte for byte; only repair can grow it. */
  if (len > cap)
    size = cap;
  else if (soc_utf8_valid_prefix(v, len) == len)
    size = len;
  else
    size = SOC_UTF8_REPAIRED_MAX(len) < cap ? SOC_UTF8_REPAIRED_MAX(len) : cap;
  s = malloc(size + 1);
  if (!s) {
    result = -ENOMEM;
    goto out;
  }
  if (soc_utf8_repair(v, len, s, size + 1, &n, &nrep) == -ENOSPC) ev->flags |= SOC_EVENT_TRUNCATED;
  if (nrep) ev->flags |= SOC_EVENT_INVALID_UTF8;
  out->s = s;
  out->len = n;
  s = NULL;
  result = 0;
out:
  free(s);
  return result;
}

/* Puts a fresh copy in place of an old value and fixes the byte count. */
static void text_replace(soc_event *ev, struct text *slot, struct text fresh) {
  ev->bytes = ev->bytes - slot->len + fresh.len;
  free(slot->s);
  *slot = fresh;
}

soc_event *soc_event_new(void) { return calloc(1, sizeof(soc_event)); }

void soc_event_reset(soc_event *ev) {
  if (!ev) return;
  for (size_t f = 0; f < SOC_ECS_COUNT; f++) text_free(&ev->str[f]);
  for (size_t i = 0; i < ev->ntags; i++) text_free(&ev->tags[i]);
  for (size_t i = 0; i < ev->nextras; i++) {
    free(ev->extras[i].key);
    text_free(&ev->extras[i].value);
  }
  for (size_t i = 0; i < ev->nsd; i++) {
    text_free(&ev->sd[i].id);
    text_free(&ev->sd[i].name);
    text_free(&ev->sd[i].value);
  }
  memset(ev, 0, sizeof *ev);
}

void soc_event_free(soc_event *ev) {
  if (!ev) return;
  soc_event_reset(ev);
  free(ev);
}

const char *soc_ecs_field_name(soc_ecs_field f) { return field_ok(f) ? fields[f].name : NULL; }

int soc_ecs_field_lookup(const char *name) {
  if (!name) return -ENOENT;
  for (int f = 0; f < SOC_ECS_COUNT; f++)
    if (!strcmp(fields[f].name, name)) return f;
  return -ENOENT;
}

void soc_event_set_time(soc_event *ev, int64_t ns) {
  if (!ev) return;
  ev->time_ns = ns;
  ev->has_time = 1;
}

int soc_event_get_time(const soc_event *ev, int64_t *ns) {
  if (!ev || !ev->has_time) return -ENOENT;
  if (ns) *ns = ev->time_ns;
  return 0;
}

int soc_event_format_time(int64_t ns, unsigned digits, char *buf, size_t buflen) {
  static const int64_t scale[] = {1000000000, 1000000, 1000, 1};
  int64_t sec = ns / 1000000000, frac = ns % 1000000000;
  struct tm tm;
  time_t t;
  int n;
  if (!buf || (digits != 0 && digits != 3 && digits != 6 && digits != 9)) return -EINVAL;
  if (buflen < SOC_EVENT_TIME_BUF) return -ENOSPC;
  /* C division truncates toward zero; times before 1970 need the floor. */
  if (frac < 0) {
    frac += 1000000000;
    sec--;
  }
  t = (time_t)sec;
  /* int64 nanoseconds span the years 1677..2262, so this cannot fail and
   * the year always has four digits; the check is for the C library's
   * sake. */
  if (!gmtime_r(&t, &tm)) return -ERANGE;
  n = snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (digits)
    n += snprintf(buf + n, buflen - (size_t)n, ".%0*lld", (int)digits,
                  (long long)(frac / scale[digits / 3]));
  snprintf(buf + n, buflen - (size_t)n, "Z");
  return 0;
}

/* Appends a 4-byte big-endian length and the bytes. */
static size_t put_len_prefixed(uint8_t *p, const void *s, size_t n) {
  p[0] = (uint8_t)(n >> 24);
  p[1] = (uint8_t)(n >> 16);
  p[2] = (uint8_t)(n >> 8);
  p[3] = (uint8_t)n;
  memcpy(p + 4, s, n);
  return n + 4;
}

/*
 * The id is SHA-256 over a length-prefixed encoding of a version label, the
 * agent id, the source id and the position (8 bytes, big-endian). Length
 * prefixes keep ("ab", "c") and ("a", "bc") apart; the label lets a later
 * scheme coexist without colliding with this one.
 *
 * We keep 128 bits (32 hex digits). The collector drops an event whose id it
 * has seen, so a collision would silently lose a real event: with 64 bits
 * that becomes likely after a few billion events (birthday bound), a
 * fleet's volume over a retention period, while with 128 bits a trillion
 * events collide with odds near 2^-49. The full 256 bits would double every
 * record's key and index entry for no practical gain; 128 bits is also the
 * size of a UUID, which downstream stores handle well.
 */
int soc_event_make_id(const char *agent_id, const char *source_id, uint64_t position,
                      char out[SOC_EVENT_ID_LEN + 1]) {
  static const char label[] = "socagent event.id v1";
  uint8_t buf[3 * 4 + sizeof label + 2 * SOC_EVENT_ID_INPUT_MAX + 8];
  uint8_t digest[SOC_SHA256_LEN];
  size_t n = 0, alen, slen;
  int rc;
  if (!agent_id || !source_id || !out) return -EINVAL;
  alen = strlen(agent_id);
  slen = strlen(source_id);
  if (alen > SOC_EVENT_ID_INPUT_MAX || slen > SOC_EVENT_ID_INPUT_MAX) return -EINVAL;
  n += put_len_prefixed(buf + n, label, sizeof label - 1);
  n += put_len_prefixed(buf + n, agent_id, alen);
  n += put_len_prefixed(buf + n, source_id, slen);
  for (int i = 7; i >= 0; i--) buf[n++] = (uint8_t)(position >> (8 * i));
  rc = soc_sha256(buf, n, digest);
  if (rc) return rc;
  soc_hex(digest, SOC_EVENT_ID_LEN / 2, out);
  return 0;
}

int soc_event_set_id(soc_event *ev, const char *id) {
  size_t n;
  if (!ev || !id) return -EINVAL;
  n = strlen(id);
  if (!n || n > SOC_EVENT_ID_MAX || strspn(id,
                                           "abcdefghijklmnopqrstuvwxyz"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789._:-") != n)
    return -EINVAL;
  memcpy(ev->id, id, n + 1);
  return 0;
}

const char *soc_event_get_id(const soc_event *ev) { return ev && ev->id[0] ? ev->id : NULL; }

static int is_ip(const char *v, size_t len) {
  char buf[INET6_ADDRSTRLEN];
  uint8_t addr[16];
  if (!v || !len || len >= sizeof buf || memchr(v, '\0', len)) return 0;
  memcpy(buf, v, len);
  buf[len] = '\0';
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

int soc_event_set_str(soc_event *ev, soc_ecs_field f, const char *value, size_t len) {
  struct text fresh;
  int rc;
  if (!ev || !field_ok(f) || fields[f].type == T_INT) return -EINVAL;
  if (fields[f].type == T_IP && !is_ip(value, len)) return -EINVAL;
  rc = text_copy(ev, value, len, SOC_EVENT_VALUE_MAX, ev->str[f].len, &fresh);
  if (rc) return rc;
  text_replace(ev, &ev->str[f], fresh);
  return 0;
}

int soc_event_set_int(soc_event *ev, soc_ecs_field f, int64_t value) {
  if (!ev || !field_ok(f) || fields[f].type != T_INT) return -EINVAL;
  if (value < fields[f].min || value > fields[f].max) return -EINVAL;
  ev->num[f] = value;
  ev->num_set |= UINT64_C(1) << f;
  return 0;
}

const char *soc_event_get_str(const soc_event *ev, soc_ecs_field f) {
  return ev && field_ok(f) ? ev->str[f].s : NULL;
}

int soc_event_get_int(const soc_event *ev, soc_ecs_field f, int64_t *value) {
  if (!ev || !field_ok(f) || !(ev->num_set & (UINT64_C(1) << f))) return -ENOENT;
  if (value) *value = ev->num[f];
  return 0;
}

/* A strict decimal: optional '-', 1..19 digits, no overflow, nothing else. */
static int parse_int64(const char *v, size_t len, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  uint64_t acc = 0, limit = (uint64_t)INT64_MAX;
  if (!v || !len) return -EINVAL;
  if (v[0] == '-') {
    neg = 1;
    i = 1;
    limit++; /* |INT64_MIN| */
  }
  if (i == len) return -EINVAL;
  for (; i < len; i++) {
    unsigned d = (unsigned)(unsigned char)v[i] - '0';
    if (d > 9 || acc > (limit - d) / 10) return -EINVAL;
    acc = acc * 10 + d;
  }
  *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
  return 0;
}

/* Whether a and b cannot both be leaves: equal, or one is the other plus a
 * dot and more. */
static int names_clash(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
  if (memcmp(a, b, n)) return 0;
  if (la == lb) return 1;
  return (la < lb ? b[la] : a[lb]) == '.';
}

static int extra_name_ok(const char *name) {
  static const char seg_chars[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  size_t n = strlen(name);
  const char *p = name;
  if (!n || n > SOC_EVENT_KEY_MAX) return 0;
  for (;;) {
    size_t seg = strspn(p, seg_chars);
    if (!seg) return 0;
    p += seg;
    if (!*p) return 1;
    if (*p != '.') return 0;
    p++;
  }
}

static int set_extra(soc_event *ev, const char *name, const char *value, size_t len) {
  int result = -EINVAL;
  struct extra *slot = NULL;
  struct text fresh = {0};
  char *key = NULL;
  size_t keylen;
  if (!extra_name_ok(name)) goto out;
  keylen = strlen(name);
  for (size_t f = 0; f < SOC_ECS_COUNT; f++)
    if (names_clash(name, fields[f].name)) goto out;
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (names_clash(name, reserved[i])) goto out;
  for (size_t i = 0; i < ev->nextras; i++) {
    if (!strcmp(name, ev->extras[i].key)) {
      slot = &ev->extras[i];
      break;
    }
    if (names_clash(name, ev->extras[i].key)) goto out;
  }
  if (slot) {
    result = text_copy(ev, value, len, SOC_EVENT_VALUE_MAX, slot->value.len, &fresh);
    if (result) goto out;
    text_replace(ev, &slot->value, fresh);
    goto out;
  }
  if (ev->nextras == SOC_EVENT_EXTRA_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  /* The key counts against the budget too, so reserve it while copying. */
  if (SOC_EVENT_BYTES_MAX - ev->bytes < keylen) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  ev->bytes += keylen;
  result = text_copy(ev, value, len, SOC_EVENT_VALUE_MAX, 0, &fresh);
  ev->bytes -= keylen;
  if (result) goto out;
  key = strdup(name);
  if (!key) {
    result = -ENOMEM;
    goto out;
  }
  slot = &ev->extras[ev->nextras++];
  slot->key = key;
  key = NULL;
  ev->bytes += keylen;
  text_replace(ev, &slot->value, fresh);
out:
  free(key);
  if (result) text_free(&fresh);
  return result;
}

int soc_event_set(soc_event *ev, const char *name, const char *value, size_t len) {
  int f;
  int64_t n;
  if (!ev || !name) return -EINVAL;
  f = soc_ecs_field_lookup(name);
  if (f < 0) return set_extra(ev, name, value, len);
  if (fields[f].type != T_INT) return soc_event_set_str(ev, (soc_ecs_field)f, value, len);
  if (parse_int64(value, len, &n)) return -EINVAL;
  return soc_event_set_int(ev, (soc_ecs_field)f, n);
}

const char *soc_event_get(const soc_event *ev, const char *name) {
  int f;
  if (!ev || !name) return NULL;
  f = soc_ecs_field_lookup(name);
  if (f >= 0) return soc_event_get_str(ev, (soc_ecs_field)f);
  for (size_t i = 0; i < ev->nextras; i++)
    if (!strcmp(name, ev->extras[i].key)) return ev->extras[i].value.s;
  return NULL;
}

int soc_event_add_tag(soc_event *ev, const char *tag, size_t len) {
  struct text fresh;
  int rc;
  if (!ev || !tag || !len) return -EINVAL;
  rc = text_copy(ev, tag, len, SOC_EVENT_KEY_MAX, 0, &fresh);
  if (rc) return rc;
  for (size_t i = 0; i < ev->ntags; i++) {
    if (!strcmp(ev->tags[i].s, fresh.s)) {
      text_free(&fresh);
      return 0;
    }
  }
  if (ev->ntags == SOC_EVENT_TAG_MAX) {
    text_free(&fresh);
    ev->flags |= SOC_EVENT_DROPPED;
    return -ENOSPC;
  }
  text_replace(ev, &ev->tags[ev->ntags++], fresh);
  return 0;
}

int soc_event_add_sd_param(soc_event *ev, const char *sd_id, size_t id_len, const char *name,
                           size_t name_len, const char *value, size_t value_len) {
  int result = -EINVAL;
  struct sd_param p = {{0}, {0}, {0}};
  struct sd_param *slot = NULL;
  size_t held = 0; /* bytes of p reserved in ev->bytes while copying */
  if (!ev || !sd_id || !id_len || !name || !name_len) goto out;
  result = text_copy(ev, sd_id, id_len, SOC_EVENT_SD_NAME_MAX, 0, &p.id);
  if (result) goto out;
  ev->bytes += p.id.len;
  held += p.id.len;
  result = text_copy(ev, name, name_len, SOC_EVENT_SD_NAME_MAX, 0, &p.name);
  if (result) goto out;
  ev->bytes += p.name.len;
  held += p.name.len;
  for (size_t i = 0; i < ev->nsd; i++) {
    if (!strcmp(ev->sd[i].id.s, p.id.s) && !strcmp(ev->sd[i].name.s, p.name.s)) {
      slot = &ev->sd[i];
      break;
    }
  }
  if (slot) {
    ev->bytes -= held;
    held = 0;
    result = text_copy(ev, value, value_len, SOC_EVENT_VALUE_MAX, slot->value.len, &p.value);
    if (result) goto out;
    text_replace(ev, &slot->value, p.value);
    p.value.s = NULL;
    goto out;
  }
  if (ev->nsd == SOC_EVENT_SD_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  result = text_copy(ev, value, value_len, SOC_EVENT_VALUE_MAX, 0, &p.value);
  if (result) goto out;
  ev->bytes += p.value.len;
  held = 0;
  ev->sd[ev->nsd++] = p;
  p = (struct sd_param){{0}, {0}, {0}};
out:
  if (ev) ev->bytes -= held;
  text_free(&p.id);
  text_free(&p.name);
  text_free(&p.value);
  return result;
}

unsigned soc_event_flags(const soc_event *ev) { return ev ? ev->flags : 0; }

/* The object under parent called key, made if missing. NULL when out of
 * memory, or when key holds a value that is not an object, which the
 * clash checks at set time rule out. */
static struct fjson_object *child_object(struct fjson_object *parent, const char *key) {
  struct fjson_object *child = NULL;
  if (fjson_object_object_get_ex(parent, key, &child))
    return fjson_object_is_type(child, fjson_type_object) ? child : NULL;
  child = fjson_object_new_object();
  if (child) fjson_object_object_add(parent, key, child);
  return child;
}

/* Adds val (taking its reference, also on failure) at the dotted path. */
static int put_path(struct fjson_object *root, const char *path, struct fjson_object *val) {
  int result = -ENOMEM;
  char seg[SOC_EVENT_KEY_MAX + 1];
  struct fjson_object *o = root;
  const char *p = path, *dot;
  if (!val) goto out;
  while ((dot = strchr(p, '.'))) {
    size_t n = (size_t)(dot - p);
    if (n >= sizeof seg) {
      result = -EINVAL;
      goto out;
    }
    memcpy(seg, p, n);
    seg[n] = '\0';
    o = child_object(o, seg);
    if (!o) goto out;
    p = dot + 1;
  }
  fjson_object_object_add(o, p, val);
  val = NULL;
  result = 0;
out:
  fjson_object_put(val);
  return result;
}

static struct fjson_object *json_text(const struct text *t) {
  return fjson_object_new_string_len(t->s, (int)t->len);
}

static int add_fields(const soc_event *ev, struct fjson_object *root) {
  int rc = 0;
  for (size_t f = 0; f < SOC_ECS_COUNT && !rc; f++) {
    if (fields[f].type != T_INT) {
      if (ev->str[f].s) rc = put_path(root, fields[f].name, json_text(&ev->str[f]));
      continue;
    }
    if (!(ev->num_set & (UINT64_C(1) << f))) continue;
    rc = put_path(root, fields[f].name, fjson_object_new_int64(ev->num[f]));
    if (!rc && f == SOC_ECS_LOG_SYSLOG_FACILITY_CODE)
      rc = put_path(root, "log.syslog.facility.name",
                    fjson_object_new_string(facility_names[ev->num[f]]));
    if (!rc && f == SOC_ECS_LOG_SYSLOG_SEVERITY_CODE)
      rc = put_path(root, "log.syslog.severity.name",
                    fjson_object_new_string(severity_names[ev->num[f]]));
  }
  /* RFC 5424's PRI, which ECS keeps as log.syslog.priority. */
  const uint64_t pri = (UINT64_C(1) << SOC_ECS_LOG_SYSLOG_FACILITY_CODE) |
                       (UINT64_C(1) << SOC_ECS_LOG_SYSLOG_SEVERITY_CODE);
  if (!rc && (ev->num_set & pri) == pri)
    rc = put_path(root, "log.syslog.priority",
                  fjson_object_new_int64(ev->num[SOC_ECS_LOG_SYSLOG_FACILITY_CODE] * 8 +
                                         ev->num[SOC_ECS_LOG_SYSLOG_SEVERITY_CODE]));
  return rc;
}

/* SD-IDs and parameter names are arbitrary text, dots included, so they
 * are keys one level each rather than dotted paths. */
static int add_structured_data(const soc_event *ev, struct fjson_object *root) {
  struct fjson_object *sd, *byid, *val;
  int rc;
  if (!ev->nsd) return 0;
  sd = fjson_object_new_object();
  rc = put_path(root, "log.syslog.structured_data", sd);
  for (size_t i = 0; i < ev->nsd && !rc; i++) {
    byid = child_object(sd, ev->sd[i].id.s);
    val = json_text(&ev->sd[i].value);
    if (!byid || !val) {
      fjson_object_put(val);
      rc = -ENOMEM;
      break;
    }
    fjson_object_object_add(byid, ev->sd[i].name.s, val);
  }
  return rc;
}

static int add_tags(const soc_event *ev, struct fjson_object *root) {
  static const struct {
    unsigned flag;
    const char *tag;
  } flag_tags[] = {
      {SOC_EVENT_INVALID_UTF8, "invalid_utf8"},
      {SOC_EVENT_TRUNCATED, "truncated"},
      {SOC_EVENT_DROPPED, "fields_dropped"},
  };
  struct fjson_object *arr, *tag;
  int rc;
  if (!ev->ntags && !ev->flags) return 0;
  arr = fjson_object_new_array();
  rc = put_path(root, "tags", arr);
  for (size_t i = 0; i < ev->ntags && !rc; i++) {
    tag = json_text(&ev->tags[i]);
    if (!tag || fjson_object_array_add(arr, tag)) {
      fjson_object_put(tag);
      rc = -ENOMEM;
    }
  }
  for (size_t i = 0; i < sizeof flag_tags / sizeof flag_tags[0] && !rc; i++) {
    if (!(ev->flags & flag_tags[i].flag)) continue;
    tag = fjson_object_new_string(flag_tags[i].tag);
    if (!tag || fjson_object_array_add(arr, tag)) {
      fjson_object_put(tag);
      rc = -ENOMEM;
    }
  }
  return rc;
}

int soc_event_to_json(const soc_event *ev, char **json, size_t *len) {
  int result = -EINVAL;
  struct fjson_object *root = NULL;
  char ts[SOC_EVENT_TIME_BUF];
  const char *s;
  if (!ev || !json || !ev->has_time) goto out;
  result = soc_event_format_time(ev->time_ns, 6, ts, sizeof ts);
  if (result) goto out;
  result = -ENOMEM;
  root = fjson_object_new_object();
  if (!root) goto out;
  result = put_path(root, "@timestamp", fjson_object_new_string(ts));
  if (!result) result = put_path(root, "ecs.version", fjson_object_new_string(SOC_ECS_VERSION));
  if (!result && ev->id[0]) result = put_path(root, "event.id", fjson_object_new_string(ev->id));
  if (!result) result = add_fields(ev, root);
  if (!result) result = add_structured_data(ev, root);
  for (size_t i = 0; i < ev->nextras && !result; i++)
    result = put_path(root, ev->extras[i].key, json_text(&ev->extras[i].value));
  if (!result) result = add_tags(ev, root);
  if (result) goto out;
  result = -ENOMEM;
  s = fjson_object_to_json_string_ext(root, FJSON_TO_STRING_PLAIN);
  if (!s || !(*json = strdup(s))) goto out;
  if (len) *len = strlen(*json);
  result = 0;
out:
  fjson_object_put(root);
  return result;
}
