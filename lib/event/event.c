/*
 * event — the event model and its ECS JSON.
 *
 * The forwarder turns every journal line into one of these and then into
 * JSON, so this file is on the agent's hottest path: per line it must cost
 * a few hundred nanoseconds, not microseconds. That is why it is built the
 * way it is.
 *
 * Storage. Known fields live in fixed slots indexed by soc_ecs_field, so
 * inputs that set them by enum pay no lookup; anything else goes into a
 * short list of "extra" dotted names. One table below gives every known
 * field its ECS name and type, and the JSON writer walks it, so adding a
 * field is one enum entry and one table row. Every value slot keeps its
 * heap buffer across soc_event_reset, so an event refilled line after line
 * stops allocating once its buffers have grown to the lines' sizes; tags,
 * extra names and structured-data names are short and capped, and live
 * inside the struct. A buffer that a hostile line made large is given back
 * at the next reset, so that one line cannot pin memory for good.
 *
 * Names. Two names clash when one is a leaf and the other would need it to
 * be an object ("host" next to "host.name"); we refuse such a name when it
 * is set rather than when the JSON is written, so a parser learns of its
 * mistake at the call that made it and the writer can never produce an
 * ambiguous document. The known names (fields, the leaves the writer adds
 * itself, and every object on their paths) sit in a small hash table built
 * once, so a dotted name is checked in one pass over its bytes: each prefix
 * that ends at a dot is looked up as it goes by, and a prefix that is a
 * known leaf is a clash. Extras are checked against each other by length
 * first, so almost none of those comparisons touch the bytes.
 *
 * JSON. The design notes say "JSON via libfastjson", and parsing still is.
 * Writing is not: building a libfastjson tree per event cost a dozen
 * allocations, a hash table per object and a string copy, and was most of
 * the forwarder's CPU time. Instead the writer streams into a bounded
 * buffer. It visits the leaves in byte order of their dotted names (the
 * known ones in an order sorted once, the extras kept sorted as they are
 * set, the two merged as it goes), and byte order puts every name that
 * shares a prefix next to each other, so each object is opened once and
 * closed when the next leaf no longer shares it. Values are text already
 * (see below), so escaping is only quotes, backslashes and control bytes,
 * per RFC 8259, and the scan for those goes a word (or, with SSE2, 16
 * bytes) at a time and copies as it goes. The unit test checks that the
 * result parses with libfastjson to the same tree that the old writer made;
 * unit.event_golden, that the bytes are those of the writer before its
 * speed-ups.
 *
 * Values are copied through utf8.h's repair when they are set, so invalid
 * UTF-8 becomes U+FFFD once, not at every write, and no NUL can cut a
 * value short; most values are short ASCII, checked while copied. Numbers
 * and booleans that libfastjson would write back unchanged are taken as
 * they are; only other JSON values are parsed.
 */
#include "soc/event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json.h> /* libfastjson */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
    [SOC_ECS_EVENT_INGESTED] = {"event.ingested", T_STR, 0, 0},
    [SOC_ECS_AGENT_ID] = {"agent.id", T_STR, 0, 0},
    [SOC_ECS_AGENT_NAME] = {"agent.name", T_STR, 0, 0},
    [SOC_ECS_AGENT_TYPE] = {"agent.type", T_STR, 0, 0},
    [SOC_ECS_AGENT_VERSION] = {"agent.version", T_STR, 0, 0},
    [SOC_ECS_ORGANIZATION_NAME] = {"organization.name", T_STR, 0, 0},
    [SOC_ECS_LOG_SOURCE_ADDRESS] = {"log.source.address", T_STR, 0, 0},
};

/* Leaves that the writer adds itself, numbered after the fields so that
 * one 64-bit mask says which leaves an event has; extras must not clash
 * with them. */
enum {
  L_TIMESTAMP = SOC_ECS_COUNT,
  L_ECS_VERSION,
  L_EVENT_ID,
  L_TAGS,
  L_PRIORITY,
  L_FACILITY_NAME,
  L_SEVERITY_NAME,
  L_STRUCTURED_DATA,
  L_COUNT
};
_Static_assert(L_COUNT <= 64, "leaf masks are 64 bits");

static const char *const writer_leaves[L_COUNT - SOC_ECS_COUNT] = {
    [L_TIMESTAMP - SOC_ECS_COUNT] = "@timestamp",
    [L_ECS_VERSION - SOC_ECS_COUNT] = "ecs.version",
    [L_EVENT_ID - SOC_ECS_COUNT] = "event.id",
    [L_TAGS - SOC_ECS_COUNT] = "tags",
    [L_PRIORITY - SOC_ECS_COUNT] = "log.syslog.priority",
    [L_FACILITY_NAME - SOC_ECS_COUNT] = "log.syslog.facility.name",
    [L_SEVERITY_NAME - SOC_ECS_COUNT] = "log.syslog.severity.name",
    [L_STRUCTURED_DATA - SOC_ECS_COUNT] = "log.syslog.structured_data",
};

#define BIT(n) (UINT64_C(1) << (n))

/* RFC 5424 table 1 keywords and table 2 names; ECS's examples use both. */
static const char *const facility_names[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};
static const char *const severity_names[8] = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

/* A value: NUL-terminated text of len bytes in a buffer of cap bytes that
 * the slot keeps across resets. */
struct text {
  char *s;
  uint32_t len, cap;
};

/* Smallest buffer we allocate, and the largest one a reset leaves in place. */
#define TEXT_MIN 64
#define TEXT_KEEP 4096

struct extra {
  struct text value;
  uint64_t head; /* key's first 8 bytes, see name_head */
  uint32_t hash; /* of key, see hash_step */
  uint32_t keylen;
  uint32_t rank; /* how many known leaves sort before key: where the writer puts it */
  uint32_t json; /* value is checked JSON, written as it is (soc_event_set_json) */
  uint32_t form; /* key's JSON form: forms[form - 1]; 0 when the key came without one */
  char key[SOC_EVENT_KEY_MAX + 1]; /* a checked dotted name */
};

struct tag {
  uint32_t len;
  char s[SOC_EVENT_KEY_MAX + 1];
};

struct sd_param {
  uint32_t idlen, namelen;
  char id[SOC_EVENT_SD_NAME_MAX + 1], name[SOC_EVENT_SD_NAME_MAX + 1];
  struct text value;
};

/* A template's JSON (soc_event_template): its leaves in order, each
 * value and the next one's key as they follow it, written once and never
 * changed; a template made again gets a new id, by which a copy knows
 * whether it holds these already. */
#define TPL_BYTES 2048
struct tpl {
  uint64_t id;
  uint64_t ranks;                      /* its leaves by rank */
  uint64_t fields;                     /* those that are fields, by field */
  uint8_t index[L_COUNT];              /* by rank: the leaf's place i among them */
  uint32_t val[L_COUNT], end[L_COUNT]; /* the i-th leaf's value in frag */
  size_t used;
  char frag[TPL_BYTES + 16]; /* 16 to spare: copied 16 bytes at a time */
};

struct soc_event {
  int64_t time_ns;
  int has_time;
  int big;                        /* some buffer grew past TEXT_KEEP */
  char id[SOC_EVENT_ID_MAX + 1];  /* "" when unset */
  uint64_t set;                   /* bit f: field f is set */
  struct text str[SOC_ECS_COUNT]; /* string fields */
  int64_t num[SOC_ECS_COUNT];     /* integer fields */
  size_t ntags, nextras, nsd;
  uint64_t extra_bloom;               /* two bits per extra's name hash: most absent names
                                         are answered without a scan (rules ask for many) */
  uint8_t order[SOC_EVENT_EXTRA_MAX]; /* extras by key, in byte order */
  size_t bytes;                       /* stored bytes, counted against SOC_EVENT_BYTES_MAX */
  unsigned flags;
  struct tag tags[SOC_EVENT_TAG_MAX];
  struct extra extras[SOC_EVENT_EXTRA_MAX];
  struct sd_param sd[SOC_EVENT_SD_MAX];
  uint64_t tpl_fields; /* fields that hold tpl's values yet: its JSON may be copied */
  struct tpl *tpl;     /* NULL until the event is or copies a template */
};

static _Atomic uint64_t tpl_ids; /* the last template's id */

/* ---- the known names, built once ----------------------------------------------- */

enum { N_FIELD, N_WRITER, N_OBJECT };

/* Well over twice the leaves and their objects, so probes stay short. */
#define NAMES_SLOTS 256

struct name_slot {
  const char *name; /* NULL: empty slot; not NUL-terminated for an object */
  uint32_t len, hash;
  int kind;
  int leaf; /* the leaf's number for N_FIELD and N_WRITER */
};

/* A known leaf's key as the writer puts it, objects and all:
 * "log":{"file":{"path": for log.file.path. Written from off[j] on when
 * the first j objects are open already. */
#define LEAF_KEY_MAX 96
#define LEAF_DEPTH_MAX 6

struct leaf_key {
  char text[LEAF_KEY_MAX + 16]; /* 16 to spare: copied 16 bytes at a time */
  uint32_t len, depth;
  uint32_t off[LEAF_DEPTH_MAX + 1];
  uint8_t dots[LEAF_DEPTH_MAX]; /* where the name's dots are */
};

static struct name_slot names[NAMES_SLOTS];
static uint8_t leaf_order[L_COUNT]; /* leaves by name, in byte order */
static uint8_t leaf_rank[L_COUNT];  /* the inverse: a leaf's place in leaf_order */
static uint32_t leaf_len[L_COUNT];
static struct leaf_key leaf_keys[L_COUNT];
/* What the writer puts between two known leaves a and b, b after a by
 * name: a's objects that b's path does not share closed, the comma, and
 * b's key from its first object not shared. between[a + 1][b] is where in
 * between_text (offset << 8 | length); between[0][b] is b as the first
 * leaf. It depends on the pair only, so it is one copy per leaf rather
 * than a shared-object count, the braces and the key's tail each time.
 * Only pairs in name order are made: the writer goes in that order. */
#define BETWEEN_BYTES 32768 /* 28,647 used */
_Static_assert(LEAF_DEPTH_MAX + 1 + LEAF_KEY_MAX < 256 && BETWEEN_BYTES < 1 << 24,
               "a pair's length fits in 8 bits, its offset in 24");
static uint32_t between[L_COUNT + 1][L_COUNT];
static char between_text[BETWEEN_BYTES + 16]; /* 16 to spare: copied 16 bytes at a time */
/* By a byte of a set of fields (byte j: fields 8j..8j+7), their leaves by
 * rank: the writer's mask of an event's fields in six loads, not a step per
 * field. */
#define FIELD_BYTES ((SOC_ECS_COUNT + 7) / 8)
static uint64_t field_ranks[FIELD_BYTES][256];
static size_t known_json_max; /* JSON bytes that known names and values can take */
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Bytes that may appear in an extra's name between dots (1), and the
 * others an event.id may have (2). */
static const uint8_t seg_chars[256] = {
    ['.'] = 2, [':'] = 2, ['-'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* FNV-1a: byte at a time, so the hash of every prefix falls out of one
 * pass over a name. */
#define HASH_INIT UINT32_C(2166136261)
static uint32_t hash_step(uint32_t h, unsigned char c) { return (h ^ c) * UINT32_C(16777619); }

static const char *leaf_name(int leaf) {
  return leaf < SOC_ECS_COUNT ? fields[leaf].name : writer_leaves[leaf - SOC_ECS_COUNT];
}

static const struct name_slot *names_find(const char *s, size_t len, uint32_t h) {
  for (size_t i = h & (NAMES_SLOTS - 1);; i = (i + 1) & (NAMES_SLOTS - 1)) {
    const struct name_slot *e = &names[i];
    if (!e->name) return NULL;
    if (e->hash == h && e->len == len && !memcmp(e->name, s, len)) return e;
  }
}

static void names_add(const char *s, size_t len, uint32_t h, int kind, int leaf) {
  size_t i = h & (NAMES_SLOTS - 1);
  if (names_find(s, len, h)) return; /* an object that an earlier name made */
  while (names[i].name) i = (i + 1) & (NAMES_SLOTS - 1);
  names[i] =
      (struct name_slot){.name = s, .len = (uint32_t)len, .hash = h, .kind = kind, .leaf = leaf};
}

/* Byte order of two names, the shorter first when one starts the other. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

/* How many objects the paths of two dotted names share: the dots in their
 * common prefix. For the table of known leaves; the writer knows the dots
 * of the last leaf it wrote (shared_with_last). */
static size_t shared_objects(const char *a, size_t alen, const char *b, size_t blen) {
  size_t shared = 0, m = alen < blen ? alen : blen;
  for (size_t i = 0; i < m && a[i] == b[i]; i++) shared += b[i] == '.';
  return shared;
}

/* Writes "seg":{ for each object on name's path and "last": for its leaf.
 * Returns 0, or -1 when name is too deep or too long for a leaf_key. */
static int leaf_key_build(struct leaf_key *k, const char *name) {
  size_t n = 0, depth = 0;
  const char *seg = name;
  for (;;) {
    const char *dot = strchr(seg, '.');
    size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
    if (depth > LEAF_DEPTH_MAX || n + len + 4 > LEAF_KEY_MAX) return -1;
    k->off[depth] = (uint32_t)n;
    if (depth) k->dots[depth - 1] = (uint8_t)(seg - 1 - name);
    k->text[n++] = '"';
    memcpy(k->text + n, seg, len);
    n += len;
    memcpy(k->text + n, dot ? "\":{" : "\":", dot ? 3 : 2);
    n += dot ? 3 : 2;
    if (!dot) break;
    depth++;
    seg = dot + 1;
  }
  k->len = (uint32_t)n;
  k->depth = (uint32_t)depth;
  return 0;
}

/* Extras' keys as the writer puts them, made by soc_event_key_to_set for
 * the names that parsers set on every line (and by soc_event_template):
 * the writer then copies an extra's key instead of writing it a byte at a
 * time. Rules' names (soc_event_key_of) take none: they are read, not
 * written, and the Sigma pack alone has hundreds. A key holds its form's
 * number + 1 (0: none, when the table is full or the name too deep or long
 * for a leaf_key). Forms are added under forms_lock and never change, and
 * a key reaches other threads the way its holder does: a reader needs no
 * lock. */
#define FORMS_MAX 512
static struct leaf_key forms[FORMS_MAX];
static uint32_t nforms;
static pthread_mutex_t forms_lock = PTHREAD_MUTEX_INITIALIZER;

/* The number + 1 of name's form, added when it is new; 0 for none. */
static uint32_t form_of(const char *name) {
  struct leaf_key k;
  uint32_t i, result = 0;
  if (leaf_key_build(&k, name)) return 0;
  pthread_mutex_lock(&forms_lock);
  for (i = 0; i < nforms; i++)
    if (forms[i].len == k.len && !memcmp(forms[i].text, k.text, k.len)) break;
  if (i < FORMS_MAX) {
    if (i == nforms) forms[nforms++] = k;
    result = i + 1;
  }
  pthread_mutex_unlock(&forms_lock);
  return result;
}

static void names_build(void) {
  for (int leaf = 0; leaf < L_COUNT; leaf++) {
    const char *s = leaf_name(leaf);
    uint32_t h = HASH_INIT;
    size_t i, segs = 1;
    for (i = 0; s[i]; i++) {
      if (s[i] == '.') {
        names_add(s, i, h, N_OBJECT, -1);
        segs++;
      }
      h = hash_step(h, (unsigned char)s[i]);
    }
    names_add(s, i, h, leaf < SOC_ECS_COUNT ? N_FIELD : N_WRITER, leaf);
    leaf_len[leaf] = (uint32_t)i;
    /* The names are this file's constants; one that does not fit is a
     * mistake in the table, caught by the first event any test makes. */
    if (leaf_key_build(&leaf_keys[leaf], s)) abort();
    /* The name once as keys, six bytes of quotes, colon, brace and comma
     * per segment, and room for any value that is not counted in the
     * event's stored bytes: an integer, the time, the id, a syslog name,
     * the flag tags and the brackets around the tags. */
    known_json_max += i + 6 * segs + 96;
  }
  /* Insertion sort: L_COUNT names, once per process. */
  for (int i = 0; i < L_COUNT; i++) {
    int j = i;
    for (; j > 0; j--) {
      int prev = leaf_order[j - 1];
      if (name_cmp(leaf_name(prev), leaf_len[prev], leaf_name(i), leaf_len[i]) < 0) break;
      leaf_order[j] = leaf_order[j - 1];
    }
    leaf_order[j] = (uint8_t)i;
  }
  for (int i = 0; i < L_COUNT; i++) leaf_rank[leaf_order[i]] = (uint8_t)i;
  for (int j = 0; j < FIELD_BYTES; j++)
    for (int v = 0; v < 256; v++)
      for (int b = 0; b < 8 && 8 * j + b < SOC_ECS_COUNT; b++)
        if (v >> b & 1) field_ranks[j][v] |= BIT(leaf_rank[8 * j + b]);
  size_t used = 0;
  for (int a = -1; a < L_COUNT; a++) {
    for (int b = 0; b < L_COUNT; b++) {
      const struct leaf_key *k = &leaf_keys[b];
      size_t shared = 0, closes = 0;
      if (a >= 0) {
        if (leaf_rank[a] >= leaf_rank[b]) continue;
        shared = shared_objects(leaf_name(a), leaf_len[a], leaf_name(b), leaf_len[b]);
        closes = leaf_keys[a].depth - shared;
      }
      char *p = between_text + used;
      size_t n = closes + (a >= 0) + k->len - k->off[shared];
      /* As in leaf_key_build: a table that does not fit is this file's
       * mistake, caught by the first event any test makes. */
      if (used + n > BETWEEN_BYTES) abort();
      memset(p, '}', closes);
      if (a >= 0) p[closes] = ',';
      memcpy(p + closes + (a >= 0), k->text + k->off[shared], k->len - k->off[shared]);
      between[a + 1][b] = (uint32_t)(used << 8 | n);
      used += n;
    }
  }
  known_json_max += 16; /* the outer braces */
}

static void names_init(void) { pthread_once(&names_once, names_build); }

/* What a dotted name turned out to be. */
typedef struct {
  size_t len;
  uint32_t hash;
  int field;     /* for NAME_FIELD */
  uint32_t rank; /* NAME_EXTRA: see struct extra; RANK_UNKNOWN until asked for */
  uint32_t form; /* NAME_EXTRA: see struct extra */
} name_info;

#define RANK_UNKNOWN UINT32_MAX

enum { NAME_EXTRA, NAME_FIELD };

/* Checks name in one pass. Returns NAME_FIELD for a known field's name,
 * NAME_EXTRA for a name an extra may have (segments of seg_chars, at most
 * SOC_EVENT_KEY_MAX bytes, not a known leaf or object, no known leaf on its
 * path), else -EINVAL. */
static int name_check(const char *name, name_info *out) {
  const struct name_slot *e = NULL;
  uint32_t h = HASH_INIT;
  size_t i, seg = 0;
  names_init();
  for (i = 0;; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '.' || !c) {
      if (!seg) return -EINVAL;
      e = names_find(name, i, h);
      if (!c) break;
      if (e && e->kind != N_OBJECT) return -EINVAL; /* would make a leaf an object */
      seg = 0;
    } else if (seg_chars[c] == 1) {
      seg++;
    } else {
      return -EINVAL;
    }
    if (i == SOC_EVENT_KEY_MAX) return -EINVAL;
    h = hash_step(h, c);
  }
  out->len = i;
  out->hash = h;
  out->rank = RANK_UNKNOWN;
  out->form = 0;
  if (!e) return NAME_EXTRA;
  if (e->kind != N_FIELD) return -EINVAL; /* a leaf of the writer's, or a known object */
  out->field = e->leaf;
  return NAME_FIELD;
}

/* ---- values ---------------------------------------------------------------------- */

static int field_ok(soc_ecs_field f) { return (unsigned)f < SOC_ECS_COUNT; }

/* Room for a new value of len bytes: cap, cut to what the budget has left
 * once `freed` bytes (the value it replaces) are given back. */
static int budget_room(soc_event *ev, size_t len, size_t cap, size_t freed, size_t *room) {
  size_t left = SOC_EVENT_BYTES_MAX - (ev->bytes - freed);
  if (cap > left) cap = left;
  if (!cap && len) {
    ev->flags |= SOC_EVENT_DROPPED;
    return -ENOSPC;
  }
  *room = cap;
  return 0;
}

/* The most bytes a repaired copy of v[0..len) cut at room can take; valid
 * is soc_utf8_valid_prefix(v, len). */
static size_t copy_need(size_t len, size_t valid, size_t room) {
  size_t need = valid == len ? len : SOC_UTF8_REPAIRED_MAX(len);
  return need < room ? need : room;
}

/* Writes the repaired copy of v[0..len) into dst (room + 1 bytes), flags
 * what was cut or replaced, and returns its length. */
static size_t copy_text(soc_event *ev, char *dst, size_t room, const char *v, size_t len,
                        size_t valid) {
  size_t n = 0, nrep = 0;
  if (valid == len && len <= room) {
    if (len) memcpy(dst, v, len);
    dst[len] = '\0';
    return len;
  }
  if (soc_utf8_repair(v, len, dst, room + 1, &n, &nrep) == -ENOSPC)
    ev->flags |= SOC_EVENT_TRUNCATED;
  if (nrep) ev->flags |= SOC_EVENT_INVALID_UTF8;
  return n;
}

/* Whether v[0..len) lies in t's buffer, which a new value must not
 * overwrite while reading it. */
static int in_buffer(const struct text *t, const char *v, size_t len) {
  uintptr_t b = (uintptr_t)t->s, p = (uintptr_t)v;
  return t->s && v && p < b + t->cap && p + len > b;
}

/* text_set for what its inline part does not take: values that are not
 * ASCII, do not fit the slot's buffer, or are cut. */
__attribute__((noinline)) static int text_set_any(soc_event *ev, struct text *t, int live,
                                                  const char *v, size_t len) {
  int result = -EINVAL;
  size_t freed = live ? t->len : 0, room = 0, valid, need, n;
  if (!v && len) goto out;
  result = budget_room(ev, len, SOC_EVENT_VALUE_MAX, freed, &room);
  if (result) goto out;
  valid = soc_utf8_valid_prefix(v, len);
  need = copy_need(len, valid, room);
  if (need + 1 > t->cap || in_buffer(t, v, len)) {
    /* with the slack that lets the next value of this size be copied as
     * it is checked */
    size_t size = need + 9 > TEXT_MIN ? need + 9 : TEXT_MIN;
    char *s = malloc(size);
    if (!s) {
      result = -ENOMEM;
      goto out;
    }
    n = copy_text(ev, s, need, v, len, valid);
    free(t->s);
    t->s = s;
    t->cap = (uint32_t)size;
    if (size > TEXT_KEEP) ev->big = 1;
  } else {
    n = copy_text(ev, t->s, need, v, len, valid);
  }
  t->len = (uint32_t)n;
  ev->bytes = ev->bytes - freed + n;
  result = 0;
out:
  return result;
}

/* Sets t to the repaired copy of v[0..len), cut at SOC_EVENT_VALUE_MAX and
 * at the budget; live says whether t holds a value now, which it replaces.
 * A live value stays as it was when this fails. Inline, its common case
 * alone (every value an event is given, ~10 a line): most values are
 * ASCII, checked while copied into the slot's buffer, where it has the
 * copy's 8 bytes of slack, and within the budget. Over a live value only
 * where text_set_any cannot need another buffer either (copy_need with
 * nothing valid is its most): that could fail, and must then leave the
 * old value as it was. */
static inline int text_set(soc_event *ev, struct text *t, int live, const char *v, size_t len) {
  size_t freed = live ? t->len : 0, left = SOC_EVENT_BYTES_MAX - (ev->bytes - freed);
  size_t room = left < SOC_EVENT_VALUE_MAX ? left : SOC_EVENT_VALUE_MAX;
  if (v && len <= room && len + 8 < t->cap && (!live || copy_need(len, 0, room) + 8 < t->cap) &&
      !in_buffer(t, v, len) && soc_utf8_copy_ascii(t->s, v, len)) {
    t->s[len] = '\0';
    t->len = (uint32_t)len;
    ev->bytes = ev->bytes - freed + len;
    return 0;
  }
  return text_set_any(ev, t, live, v, len);
}

/* Copies a short name (a tag, an SD-ID, a parameter name) into dst, which
 * holds cap bytes and a NUL, cut at what the budget has left. The caller
 * counts the bytes once it keeps them. */
static int name_set(soc_event *ev, char *dst, uint32_t *dstlen, const char *v, size_t len,
                    size_t cap) {
  size_t room = 0, valid;
  int rc = budget_room(ev, len, cap, 0, &room);
  if (rc) return rc;
  valid = soc_utf8_valid_prefix(v, len);
  *dstlen = (uint32_t)copy_text(ev, dst, copy_need(len, valid, room), v, len, valid);
  return 0;
}

static void text_release(struct text *t) {
  free(t->s);
  *t = (struct text){0};
}

soc_event *soc_event_new(void) {
  names_init();
  return calloc(1, sizeof(soc_event));
}

void soc_event_reset(soc_event *ev) {
  if (!ev) return;
  if (ev->big) {
    for (size_t f = 0; f < SOC_ECS_COUNT; f++)
      if (ev->str[f].cap > TEXT_KEEP) text_release(&ev->str[f]);
    for (size_t i = 0; i < SOC_EVENT_EXTRA_MAX; i++)
      if (ev->extras[i].value.cap > TEXT_KEEP) text_release(&ev->extras[i].value);
    for (size_t i = 0; i < SOC_EVENT_SD_MAX; i++)
      if (ev->sd[i].value.cap > TEXT_KEEP) text_release(&ev->sd[i].value);
    ev->big = 0;
  }
  /* The slots keep their buffers; these say which of them hold values. */
  ev->time_ns = 0;
  ev->has_time = 0;
  ev->id[0] = '\0';
  ev->set = 0;
  ev->ntags = ev->nextras = ev->nsd = 0;
  ev->extra_bloom = 0;
  ev->bytes = 0;
  ev->flags = 0;
  ev->tpl_fields = 0;
}

int soc_event_reset_keeping(soc_event *ev, soc_ecs_field f, const char *v, size_t len) {
  const struct text *t;
  int keep;
  if (!ev) return 0;
  t = field_ok(f) ? &ev->str[f] : NULL;
  /* a buffer over TEXT_KEEP is one the reset frees */
  keep = t && fields[f].type != T_INT && (ev->set & BIT(f)) && t->len == len &&
         t->cap <= TEXT_KEEP && (!len || memcmp(t->s, v, len) == 0);
  soc_event_reset(ev);
  if (!keep) return 0;
  ev->set = BIT(f);
  ev->bytes = len;
  return 1;
}

void soc_event_free(soc_event *ev) {
  if (!ev) return;
  for (size_t f = 0; f < SOC_ECS_COUNT; f++) free(ev->str[f].s);
  for (size_t i = 0; i < SOC_EVENT_EXTRA_MAX; i++) free(ev->extras[i].value.s);
  for (size_t i = 0; i < SOC_EVENT_SD_MAX; i++) free(ev->sd[i].value.s);
  free(ev->tpl);
  free(ev);
}

const char *soc_ecs_field_name(soc_ecs_field f) { return field_ok(f) ? fields[f].name : NULL; }

int soc_ecs_field_lookup(const char *name) {
  name_info n;
  if (!name || name_check(name, &n) != NAME_FIELD) return -ENOENT;
  return n.field;
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

/* "00".."99", for writing two digits at a time. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static char *put2(char *p, unsigned v) {
  memcpy(p, digit_pairs + 2 * v, 2);
  return p + 2;
}

/*
 * Written by hand rather than with gmtime_r and snprintf: every event
 * carries two times, and the C library's way cost about 190 ns each. The
 * date comes from the day number by Howard Hinnant's civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"), exact over the whole
 * proleptic Gregorian calendar. Writes sec's "YYYY-MM-DDTHH:MM:SS" (19
 * bytes, no NUL) at p.
 */
static int format_second(int64_t sec, char *p) {
  int64_t days, sod, z, era, doe, yoe, y, doy, mp, d, m;
  days = sec / 86400;
  sod = sec % 86400;
  if (sod < 0) {
    sod += 86400;
    days--;
  }
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
  /* int64 nanoseconds span the years 1677..2262, so this cannot happen;
   * it keeps the four-digit year a checked promise, not a coincidence. */
  if (y < 0 || y > 9999) return -ERANGE;
  p = put2(p, (unsigned)(y / 100));
  p = put2(p, (unsigned)(y % 100));
  *p++ = '-';
  p = put2(p, (unsigned)m);
  *p++ = '-';
  p = put2(p, (unsigned)d);
  *p++ = 'T';
  p = put2(p, (unsigned)(sod / 3600));
  *p++ = ':';
  p = put2(p, (unsigned)(sod / 60 % 60));
  *p++ = ':';
  put2(p, (unsigned)(sod % 60));
  return 0;
}

/* The last two seconds written, per thread (the forwarder and the detector
 * each write events): an event's two times (its own and event.ingested)
 * are mostly those of the event before, whose line came from the same
 * block a moment later. Two, so that the two alternate without a miss. */
typedef struct second_memo {
  int64_t sec[2];
  char text[2][19];
  unsigned used; /* bit i: sec[i] and text[i] hold a second */
  unsigned next; /* the entry a miss replaces */
} second_memo;

static _Thread_local second_memo last_seconds;

/* The last two times written whole, per thread: the forwarder's
 * event.ingested is the same for every line of a read, and an event's own
 * time (a syslog header's, to the second) that of the lines around it, so
 * most calls write one of the two texts written last. A miss replaces the
 * one not used last, so that the two alternate without a miss. */
typedef struct time_memo {
  int64_t ns[2];
  unsigned digits[2];
  char text[2][SOC_EVENT_TIME_BUF]; /* NUL-padded: copied whole */
  unsigned used;                    /* bit i: entry i holds a time */
  unsigned last;                    /* the entry used last */
} time_memo;

static _Thread_local time_memo last_times;

static int format_time(int64_t ns, unsigned digits, char *buf);

int soc_event_format_time(int64_t ns, unsigned digits, char *buf, size_t buflen) {
  time_memo *tm = &last_times;
  unsigned i;
  if (!buf || (digits != 0 && digits != 3 && digits != 6 && digits != 9)) return -EINVAL;
  if (buflen < SOC_EVENT_TIME_BUF) return -ENOSPC;
  for (i = 0; i < 2; i++)
    if ((tm->used >> i & 1) && tm->ns[i] == ns && tm->digits[i] == digits) {
      memcpy(buf, tm->text[i], SOC_EVENT_TIME_BUF);
      tm->last = i;
      return 0;
    }
  if (format_time(ns, digits, buf) < 0) return -ERANGE;
  i = tm->used == 3 ? !tm->last : tm->used & 1;
  memset(tm->text[i], 0, SOC_EVENT_TIME_BUF);
  memcpy(tm->text[i], buf, SOC_EVENT_TIME_LEN(digits) + 1);
  tm->ns[i] = ns;
  tm->digits[i] = digits;
  tm->used |= 1u << i;
  tm->last = i;
  return 0;
}

/* soc_event_format_time past its checks and its memo. */
static int format_time(int64_t ns, unsigned digits, char *buf) {
  int64_t sec = ns / 1000000000, frac = ns % 1000000000;
  second_memo *mo = &last_seconds;
  char *p = buf;
  /* C division truncates toward zero; times before 1970 need the floor. */
  if (frac < 0) {
    frac += 1000000000;
    sec--;
  }
  if ((mo->used & 1) && mo->sec[0] == sec) {
    memcpy(p, mo->text[0], 19);
  } else if ((mo->used & 2) && mo->sec[1] == sec) {
    memcpy(p, mo->text[1], 19);
  } else {
    if (format_second(sec, p) < 0) return -ERANGE;
    mo->sec[mo->next] = sec;
    memcpy(mo->text[mo->next], p, 19);
    mo->used |= 1u << mo->next;
    mo->next ^= 1;
  }
  p += 19;
  if (digits) {
    /* constant divisors: a multiplication each, not a division */
    int64_t f = digits == 3 ? frac / 1000000 : digits == 6 ? frac / 1000 : frac;
    unsigned i = digits;
    *p++ = '.';
    for (; i >= 2; i -= 2, f /= 100) put2(p + i - 2, (unsigned)(f % 100));
    if (i) *p = (char)('0' + f);
    p += digits;
  }
  *p++ = 'Z';
  *p = '\0';
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
/* The bytes before the position (label, agent id, source id) into buf,
 * which holds ID_PREFIX_MAX; their length, or 0 for a refused input. */
#define ID_LABEL "socagent event.id v1"
#define ID_PREFIX_MAX (3 * 4 + sizeof ID_LABEL + 2 * SOC_EVENT_ID_INPUT_MAX)
static size_t id_prefix(const char *agent_id, const char *source_id, uint8_t *buf) {
  size_t n = 0, alen, slen;
  if (!agent_id || !source_id) return 0;
  alen = strlen(agent_id);
  slen = strlen(source_id);
  if (alen > SOC_EVENT_ID_INPUT_MAX || slen > SOC_EVENT_ID_INPUT_MAX) return 0;
  n += put_len_prefixed(buf + n, ID_LABEL, sizeof ID_LABEL - 1);
  n += put_len_prefixed(buf + n, agent_id, alen);
  n += put_len_prefixed(buf + n, source_id, slen);
  return n;
}

static void put_position(uint8_t *p, uint64_t position) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(position >> (8 * (7 - i)));
}

int soc_event_make_id(const char *agent_id, const char *source_id, uint64_t position,
                      char out[SOC_EVENT_ID_LEN + 1]) {
  uint8_t buf[ID_PREFIX_MAX + 8];
  uint8_t digest[SOC_SHA256_LEN];
  size_t n = id_prefix(agent_id, source_id, buf);
  if (!n || !out) return -EINVAL;
  put_position(buf + n, position);
  int rc = soc_sha256(buf, n + 8, digest);
  if (rc) return rc;
  soc_hex(digest, SOC_EVENT_ID_LEN / 2, out);
  return 0;
}

struct soc_event_ids {
  soc_sha256_prefix *prefix; /* owned */
};

soc_event_ids *soc_event_ids_new(const char *agent_id, const char *source_id) {
  uint8_t buf[ID_PREFIX_MAX];
  size_t n = id_prefix(agent_id, source_id, buf);
  soc_event_ids *g = n ? calloc(1, sizeof *g) : NULL;
  if (g && !(g->prefix = soc_sha256_prefix_new(buf, n))) {
    free(g);
    g = NULL;
  }
  return g;
}

int soc_event_ids_make(soc_event_ids *g, uint64_t position, char out[SOC_EVENT_ID_LEN + 1]) {
  uint8_t pos[8], digest[SOC_SHA256_LEN];
  put_position(pos, position);
  int rc = soc_sha256_prefix_hash(g->prefix, pos, sizeof pos, digest);
  if (rc) return rc;
  soc_hex(digest, SOC_EVENT_ID_LEN / 2, out);
  return 0;
}

int soc_event_ids_set(soc_event_ids *g, uint64_t position, soc_event *ev) {
  _Static_assert(sizeof ev->id > SOC_EVENT_ID_LEN, "an id made fits the event's");
  if (!g || !ev) return -EINVAL;
  return soc_event_ids_make(g, position, ev->id);
}

void soc_event_ids_free(soc_event_ids *g) {
  if (!g) return;
  soc_sha256_prefix_free(g->prefix);
  free(g);
}

int soc_event_set_id(soc_event *ev, const char *id) {
  size_t n = 0;
  if (!ev || !id) return -EINVAL;
  /* [A-Za-z0-9._:-]: a name's segment bytes, '.' and ':'; the NUL ends it */
  for (; seg_chars[(unsigned char)id[n]]; n++)
    if (n == SOC_EVENT_ID_MAX) return -EINVAL;
  if (id[n]) return -EINVAL;
  if (!n) return -EINVAL;
  memcpy(ev->id, id, n + 1);
  return 0;
}

const char *soc_event_get_id(const soc_event *ev) { return ev && ev->id[0] ? ev->id : NULL; }

/* Whether v[0..len) is dotted-quad IPv4 exactly as inet_pton takes it:
 * four decimal parts of at most 255, no leading zero. Most addresses set
 * are of this form (the netmon sets two per event); inet_pton needs a
 * NUL-terminated copy and costs ten times as much. */
static int is_ipv4(const char *v, size_t len) {
  unsigned part = 0, digits = 0, dots = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned d = (unsigned)(unsigned char)v[i] - '0';
    if (d <= 9) {
      if (digits && !part) return 0; /* a leading zero */
      part = part * 10 + d;
      if (part > 255) return 0;
      digits++;
    } else if (v[i] == '.' && digits && dots < 3) {
      dots++;
      part = digits = 0;
    } else {
      return 0;
    }
  }
  return dots == 3 && digits;
}

static int is_ip(const char *v, size_t len) {
  char buf[INET6_ADDRSTRLEN];
  uint8_t addr[16];
  if (v && is_ipv4(v, len)) return 1;
  if (!v || !len || len >= sizeof buf || memchr(v, '\0', len)) return 0;
  memcpy(buf, v, len);
  buf[len] = '\0';
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* Whether f is a string field and value[0..len) a text: all that
 * str_takes asks but the address check. */
static int str_field(soc_ecs_field f, const char *value, size_t len) {
  return field_ok(f) && fields[f].type != T_INT && (value || !len);
}

static int str_takes(soc_ecs_field f, const char *value, size_t len) {
  return str_field(f, value, len) && (fields[f].type != T_IP || is_ip(value, len));
}

int soc_event_str_takes(soc_ecs_field f, const char *value, size_t len) {
  return str_takes(f, value, len);
}

/* Sets string field f to a value it takes. */
static int str_set(soc_event *ev, soc_ecs_field f, const char *value, size_t len) {
  int rc;
  ev->tpl_fields &= ~BIT(f);
  rc = text_set(ev, &ev->str[f], (ev->set & BIT(f)) != 0, value, len);
  if (rc) return rc;
  ev->set |= BIT(f);
  return 0;
}

int soc_event_set_str(soc_event *ev, soc_ecs_field f, const char *value, size_t len) {
  if (!ev || !str_takes(f, value, len)) return -EINVAL;
  return str_set(ev, f, value, len);
}

int soc_event_set_str_taken(soc_event *ev, soc_ecs_field f, const char *value, size_t len) {
  if (!ev || !str_field(f, value, len)) return -EINVAL;
  return str_set(ev, f, value, len);
}

int soc_event_set_int(soc_event *ev, soc_ecs_field f, int64_t value) {
  if (!ev || !field_ok(f) || fields[f].type != T_INT) return -EINVAL;
  if (value < fields[f].min || value > fields[f].max) return -EINVAL;
  ev->tpl_fields &= ~BIT(f);
  ev->num[f] = value;
  ev->set |= BIT(f);
  return 0;
}

const char *soc_event_get_str(const soc_event *ev, soc_ecs_field f) {
  size_t len;
  return soc_event_get_strn(ev, f, &len);
}

const char *soc_event_get_strn(const soc_event *ev, soc_ecs_field f, size_t *len) {
  *len = 0;
  if (!ev || !field_ok(f) || fields[f].type == T_INT || !(ev->set & BIT(f))) return NULL;
  *len = ev->str[f].len;
  return ev->str[f].s;
}

int soc_event_get_int(const soc_event *ev, soc_ecs_field f, int64_t *value) {
  if (!ev || !field_ok(f) || fields[f].type != T_INT || !(ev->set & BIT(f))) return -ENOENT;
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

/* The extra called name (n from name_check), or NULL. */
static uint64_t bloom_bits(uint32_t hash) {
  return (UINT64_C(1) << (hash & 63)) | (UINT64_C(1) << ((hash >> 6) & 63));
}

static const struct extra *extra_find(const soc_event *ev, const char *name, const name_info *n) {
  uint64_t b = bloom_bits(n->hash);
  if ((ev->extra_bloom & b) != b) return NULL;
  for (size_t i = 0; i < ev->nextras; i++) {
    const struct extra *x = &ev->extras[i];
    if (x->hash == n->hash && x->keylen == n->len && !memcmp(x->key, name, n->len)) return x;
  }
  return NULL;
}

/* A name's first 8 bytes (zeros past its end) as a number that orders as
 * the bytes do: two names whose heads differ compare as their heads, and
 * most names differ within 8 bytes, so most of set_extra's comparisons
 * need no call to memcmp. */
static uint64_t name_head(const char *name, size_t len) {
  uint64_t x;
  if (len >= 8)
    memcpy(&x, name, sizeof x);
  else
    x = soc_load_short(name, len, 0);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  x = __builtin_bswap64(x);
#endif
  return x;
}

/* Byte order of an extra's key and name (head: name_head of it). */
static int extra_cmp(const struct extra *x, const char *name, size_t len, uint64_t head) {
  if (x->head != head) return x->head < head ? -1 : 1;
  return name_cmp(x->key, x->keylen, name, len);
}

/* Whether a and b (a shorter) cannot both be leaves: a is b up to a dot. */
static int is_object_of(const char *a, size_t alen, const char *b, size_t blen) {
  return alen < blen && b[alen] == '.' && !memcmp(a, b, alen);
}

/* How many known leaves sort before name (which is none of them). */
static uint32_t rank_among_leaves(const char *name, size_t len) {
  uint32_t lo = 0, hi = L_COUNT;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2, leaf = leaf_order[mid];
    if (name_cmp(leaf_name((int)leaf), leaf_len[leaf], name, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int set_extra(soc_event *ev, const char *name, const name_info *n, const char *value,
                     size_t len, uint32_t json) {
  int result = -EINVAL;
  struct extra *slot = NULL;
  size_t at = ev->nextras;
  uint64_t head = name_head(name, n->len);
  for (size_t i = 0; i < ev->nextras; i++) {
    struct extra *x = &ev->extras[i];
    if (x->keylen == n->len) {
      if (x->hash == n->hash && x->head == head && !memcmp(x->key, name, n->len)) slot = x;
    } else if (is_object_of(x->key, x->keylen, name, n->len) ||
               is_object_of(name, n->len, x->key, x->keylen)) {
      goto out;
    }
  }
  if (slot) {
    result = text_set(ev, &slot->value, 1, value, len);
    if (result == 0) slot->json = json;
    goto out;
  }
  if (ev->nextras == SOC_EVENT_EXTRA_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  /* The key counts against the budget too, so reserve it while copying. */
  if (SOC_EVENT_BYTES_MAX - ev->bytes < n->len) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  slot = &ev->extras[at];
  ev->bytes += n->len;
  result = text_set(ev, &slot->value, 0, value, len);
  if (result) {
    ev->bytes -= n->len;
    goto out;
  }
  memcpy(slot->key, name, n->len + 1);
  slot->keylen = (uint32_t)n->len;
  slot->hash = n->hash;
  slot->head = head;
  slot->rank = n->rank != RANK_UNKNOWN ? n->rank : rank_among_leaves(name, n->len);
  slot->json = json;
  slot->form = n->form;
  /* Keep order[] sorted, for the writer. */
  size_t pos = ev->nextras;
  for (; pos > 0; pos--) {
    if (extra_cmp(&ev->extras[ev->order[pos - 1]], name, n->len, head) < 0) break;
    ev->order[pos] = ev->order[pos - 1];
  }
  ev->order[pos] = (uint8_t)at;
  ev->nextras++;
  ev->extra_bloom |= bloom_bits(n->hash);
out:
  return result;
}

int soc_event_set(soc_event *ev, const char *name, const char *value, size_t len) {
  name_info n;
  int64_t v;
  int kind;
  if (!ev || !name) return -EINVAL;
  kind = name_check(name, &n);
  if (kind < 0) return kind;
  if (kind == NAME_EXTRA) return set_extra(ev, name, &n, value, len, 0);
  if (fields[n.field].type != T_INT)
    return soc_event_set_str(ev, (soc_ecs_field)n.field, value, len);
  if (parse_int64(value, len, &v)) return -EINVAL;
  return soc_event_set_int(ev, (soc_ecs_field)n.field, v);
}

const char *soc_event_get(const soc_event *ev, const char *name) {
  name_info n;
  const struct extra *x;
  int kind;
  if (!ev || !name) return NULL;
  kind = name_check(name, &n);
  if (kind == NAME_FIELD) return soc_event_get_str(ev, (soc_ecs_field)n.field);
  if (kind != NAME_EXTRA) return NULL;
  x = extra_find(ev, name, &n);
  return x ? x->value.s : NULL;
}

int soc_event_key_of(const char *name, soc_event_key *k) {
  name_info n;
  if (!name || !k || name_check(name, &n) != NAME_EXTRA) return -EINVAL;
  k->hash = n.hash;
  k->len = (uint32_t)n.len;
  k->rank = rank_among_leaves(name, n.len);
  k->form = 0;
  return 0;
}

int soc_event_key_to_set(const char *name, soc_event_key *k) {
  int rc = soc_event_key_of(name, k);
  if (!rc) k->form = form_of(name);
  return rc;
}

static name_info name_of_key(const soc_event_key *k) {
  return (name_info){.len = k->len, .hash = k->hash, .rank = k->rank, .form = k->form};
}

int soc_event_set_keyed(soc_event *ev, const char *name, const soc_event_key *k, const char *value,
                        size_t len) {
  name_info n;
  if (!ev || !name || !k) return -EINVAL;
  n = name_of_key(k);
  return set_extra(ev, name, &n, value, len, 0);
}

const char *soc_event_get_keyed(const soc_event *ev, const char *name, const soc_event_key *k) {
  name_info n = name_of_key(k);
  const struct extra *x = ev ? extra_find(ev, name, &n) : NULL;
  return x ? x->value.s : NULL;
}

const char *soc_event_extra_at(const soc_event *ev, size_t i, const char **value,
                               soc_event_key *k) {
  if (!ev || i >= ev->nextras) return NULL;
  *value = ev->extras[i].value.s;
  k->hash = ev->extras[i].hash;
  k->len = ev->extras[i].keylen;
  k->rank = ev->extras[i].rank;
  k->form = ev->extras[i].form;
  return ev->extras[i].key;
}

/* Whether o holds only what JSON writers agree on: no floating point
 * (NaN and precision differ between parsers), nesting within reason. */
static int json_plain(fjson_object *o, int depth) {
  if (depth > 16) return 0;
  switch (fjson_object_get_type(o)) {
    case fjson_type_double:
      return 0;
    case fjson_type_array:
      for (int i = 0; i < fjson_object_array_length(o); i++)
        if (!json_plain(fjson_object_array_get_idx(o, i), depth + 1)) return 0;
      return 1;
    case fjson_type_object: {
      struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
      for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it))
        if (!json_plain(fjson_object_iter_peek_value(&it), depth + 1)) return 0;
      return 1;
    }
    default:
      return 1;
  }
}

/* The length of the value at s[0..len) when it is written exactly as
 * libfastjson's plain writer would write it back (so parsing and writing
 * it again would change nothing), else 0: canonical integers (at most 18
 * digits: no overflow), true, false, strings of printable ASCII other than
 * '"', '\\' and '/' (the writer escapes '/'), and arrays of these, nested
 * at most 16 deep. Objects are left to the parser (a repeated key keeps
 * the last value), as is everything else. The netmon's numbers and arrays
 * of names are all of this form. */
static size_t canonical_json(const char *s, size_t len, int depth) {
  size_t i = 0;
  if (!len) return 0;
  if (s[0] == '"') {
    for (i = 1; i < len && s[i] != '"'; i++)
      if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\' || s[i] == '/') return 0;
    return i < len ? i + 1 : 0;
  }
  if (s[0] == '[') {
    if (depth == 16) return 0;
    if (len > 1 && s[1] == ']') return 2;
    for (i = 1; i < len;) {
      size_t n = canonical_json(s + i, len - i, depth + 1);
      if (!n || i + n == len) return 0;
      i += n;
      if (s[i] == ']') return i + 1;
      if (s[i++] != ',') return 0;
    }
    return 0;
  }
  if (len >= 4 && !memcmp(s, "true", 4)) return 4;
  if (len >= 5 && !memcmp(s, "false", 5)) return 5;
  if (s[0] == '-') i = 1;
  if (i < len && s[i] == '0') return i ? 0 : 1; /* "-0" is written "0" */
  size_t d = i;
  while (i < len && s[i] >= '0' && s[i] <= '9') i++;
  return i > d && i - d <= 18 ? i : 0;
}

/* Cut JSON is no JSON: 0 when the budget takes len bytes of it named n
 * whole, else -ENOSPC and the event flagged. */
static int json_fits(soc_event *ev, const name_info *n, size_t len) {
  if (SOC_EVENT_BYTES_MAX - ev->bytes < len + n->len || len > SOC_EVENT_VALUE_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    return -ENOSPC;
  }
  return 0;
}

/* soc_event_set_json for the extra called name, checked as n. */
static int set_json_named(soc_event *ev, const char *name, const name_info *n, const char *json,
                          size_t len) {
  int result = -EINVAL;
  fjson_object *o = NULL;
  fjson_tokener *tok = NULL;
  char *fixed = NULL;
  size_t flen = 0, nrep = 0;
  if (!json || len > SOC_EVENT_VALUE_MAX || len > INT32_MAX) goto out;
  if (len && canonical_json(json, len, 0) == len) {
    result = json_fits(ev, n, len);
    if (!result) result = set_extra(ev, name, n, json, len, 1);
    goto out;
  }
  result = -ENOMEM;
  /* NUL-terminated, so that a bare number knows where it ends. */
  if (!(tok = fjson_tokener_new()) || !(fixed = malloc(len + 1))) goto out;
  memcpy(fixed, json, len);
  fixed[len] = '\0';
  result = -EINVAL;
  o = fjson_tokener_parse_ex(tok, fixed, (int)len + 1);
  free(fixed);
  fixed = NULL;
  if (!o || fjson_tokener_get_error(tok) != fjson_tokener_success || !json_plain(o, 0)) goto out;
  /* Written again by the parser's own writer: canonical, escaped, one line. */
  const char *canon = fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN);
  size_t clen = strlen(canon);
  result = -E2BIG;
  if (clen > SOC_EVENT_VALUE_MAX) goto out;
  result = -ENOMEM;
  if (!(fixed = malloc(SOC_UTF8_REPAIRED_MAX(clen) + 1))) goto out;
  soc_utf8_repair(canon, clen, fixed, SOC_UTF8_REPAIRED_MAX(clen) + 1, &flen, &nrep);
  result = json_fits(ev, n, flen);
  if (result) goto out;
  if (nrep) ev->flags |= SOC_EVENT_INVALID_UTF8;
  result = set_extra(ev, name, n, fixed, flen, 1);
out:
  free(fixed);
  if (o) fjson_object_put(o);
  if (tok) fjson_tokener_free(tok);
  return result;
}

int soc_event_set_json(soc_event *ev, const char *name, const char *json, size_t len) {
  name_info n;
  if (!ev || !name || name_check(name, &n) != NAME_EXTRA) return -EINVAL;
  return set_json_named(ev, name, &n, json, len);
}

int soc_event_set_json_keyed(soc_event *ev, const char *name, const soc_event_key *k,
                             const char *json, size_t len) {
  name_info n;
  if (!ev || !name || !k) return -EINVAL;
  n = name_of_key(k);
  return set_json_named(ev, name, &n, json, len);
}

int soc_event_set_int_keyed(soc_event *ev, const char *name, const soc_event_key *k, int64_t v) {
  char buf[SOC_EVENT_DECIMAL_MAX];
  name_info n;
  size_t len;
  int rc;
  if (!ev || !name || !k) return -EINVAL;
  n = name_of_key(k);
  len = soc_event_decimal(v, buf);
  rc = json_fits(ev, &n, len);
  return rc ? rc : set_extra(ev, name, &n, buf, len, 1);
}

/* Adds the leaves under o (named prefix, plen bytes) to ev. */
static int from_json(soc_event *ev, fjson_object *o, char *prefix, size_t plen, int depth) {
  int rc = 0;
  if (depth > 16) return -EINVAL;
  struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
  for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
    const char *k = fjson_object_iter_peek_name(&it);
    fjson_object *v = fjson_object_iter_peek_value(&it);
    size_t klen = strlen(k);
    if (plen + 1 + klen > SOC_EVENT_KEY_MAX) continue;
    size_t nlen = plen ? plen + 1 + klen : klen;
    if (plen) prefix[plen] = '.';
    memcpy(prefix + (plen ? plen + 1 : 0), k, klen + 1);
    if (!strcmp(prefix, "@timestamp") || !strcmp(prefix, "ecs.version") ||
        !strcmp(prefix, "event.id")) {
      /* the caller's (time, id) and the writer's own */
    } else if (!strcmp(prefix, "tags") && fjson_object_is_type(v, fjson_type_array)) {
      for (int i = 0; i < fjson_object_array_length(v); i++) {
        const char *t = fjson_object_get_string(fjson_object_array_get_idx(v, i));
        if (t && *t) soc_event_add_tag(ev, t, strlen(t));
      }
    } else if (fjson_object_is_type(v, fjson_type_object)) {
      rc = from_json(ev, v, prefix, nlen, depth + 1);
    } else if (fjson_object_is_type(v, fjson_type_string)) {
      rc = soc_event_set(ev, prefix, fjson_object_get_string(v),
                         (size_t)fjson_object_get_string_len(v));
    } else if (v) {
      const char *s = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);
      name_info n;
      if (name_check(prefix, &n) == NAME_FIELD)
        rc = soc_event_set(ev, prefix, s, strlen(s));
      else
        rc = soc_event_set_json(ev, prefix, s, strlen(s));
    }
    prefix[plen] = '\0';
    if (rc == -ENOMEM) return rc;
  }
  return 0;
}

int soc_event_from_json(soc_event *ev, const char *json, size_t len) {
  int result = -EINVAL;
  fjson_tokener *tok = NULL;
  fjson_object *o = NULL;
  char prefix[SOC_EVENT_KEY_MAX + 2];
  if (!ev || !json || len > INT32_MAX) goto out;
  result = -ENOMEM;
  if (!(tok = fjson_tokener_new())) goto out;
  result = -EINVAL;
  o = fjson_tokener_parse_ex(tok, json, (int)len);
  if (!o || !fjson_object_is_type(o, fjson_type_object)) goto out;
  prefix[0] = '\0';
  result = from_json(ev, o, prefix, 0, 0);
out:
  if (o) fjson_object_put(o);
  if (tok) fjson_tokener_free(tok);
  return result;
}

int soc_event_add_tag(soc_event *ev, const char *tag, size_t len) {
  struct tag t;
  int rc;
  if (!ev || !tag || !len) return -EINVAL;
  /* Compared once repaired, as it would be stored. */
  rc = name_set(ev, t.s, &t.len, tag, len, SOC_EVENT_KEY_MAX);
  if (rc) return rc;
  for (size_t i = 0; i < ev->ntags; i++)
    if (ev->tags[i].len == t.len && !memcmp(ev->tags[i].s, t.s, t.len)) return 0;
  if (ev->ntags == SOC_EVENT_TAG_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    return -ENOSPC;
  }
  memcpy(ev->tags[ev->ntags].s, t.s, t.len + 1);
  ev->tags[ev->ntags++].len = t.len;
  ev->bytes += t.len;
  return 0;
}

int soc_event_add_sd_param(soc_event *ev, const char *sd_id, size_t id_len, const char *name,
                           size_t name_len, const char *value, size_t value_len) {
  int result = -EINVAL;
  char id[SOC_EVENT_SD_NAME_MAX + 1], nm[SOC_EVENT_SD_NAME_MAX + 1];
  uint32_t idlen = 0, nmlen = 0;
  size_t held = 0; /* bytes of id and name reserved in ev->bytes while copying */
  struct sd_param *p;
  if (!ev || !sd_id || !id_len || !name || !name_len) goto out;
  result = name_set(ev, id, &idlen, sd_id, id_len, SOC_EVENT_SD_NAME_MAX);
  if (result) goto out;
  ev->bytes += idlen;
  held += idlen;
  result = name_set(ev, nm, &nmlen, name, name_len, SOC_EVENT_SD_NAME_MAX);
  if (result) goto out;
  ev->bytes += nmlen;
  held += nmlen;
  for (size_t i = 0; i < ev->nsd; i++) {
    p = &ev->sd[i];
    if (p->idlen == idlen && p->namelen == nmlen && !memcmp(p->id, id, idlen) &&
        !memcmp(p->name, nm, nmlen)) {
      ev->bytes -= held; /* a repeat: only the value changes */
      held = 0;
      result = text_set(ev, &p->value, 1, value, value_len);
      goto out;
    }
  }
  if (ev->nsd == SOC_EVENT_SD_MAX) {
    ev->flags |= SOC_EVENT_DROPPED;
    result = -ENOSPC;
    goto out;
  }
  p = &ev->sd[ev->nsd];
  result = text_set(ev, &p->value, 0, value, value_len);
  if (result) goto out;
  memcpy(p->id, id, idlen + 1);
  memcpy(p->name, nm, nmlen + 1);
  p->idlen = idlen;
  p->namelen = nmlen;
  held = 0;
  ev->nsd++;
out:
  if (ev) ev->bytes -= held;
  return result;
}

unsigned soc_event_flags(const soc_event *ev) { return ev ? ev->flags : 0; }

size_t soc_event_room(const soc_event *ev) { return ev ? SOC_EVENT_BYTES_MAX - ev->bytes : 0; }

/* Copies a value that is text and within the caps already. */
static int text_copy_from(soc_event *ev, struct text *t, const struct text *from) {
  if (from->len + 1 > t->cap) {
    size_t size = from->len + 1 > TEXT_MIN ? from->len + 1 : TEXT_MIN;
    char *s = malloc(size);
    if (!s) return -ENOMEM;
    free(t->s);
    t->s = s;
    t->cap = (uint32_t)size;
    if (size > TEXT_KEEP) ev->big = 1;
  }
  memcpy(t->s, from->s, from->len + 1);
  t->len = from->len;
  return 0;
}

int soc_event_copy(soc_event *dst, const soc_event *src) {
  int result = -EINVAL;
  uint64_t intact;
  if (!dst || !src) goto out;
  result = 0;
  if (dst == src) goto out;
  /* The fields dst holds from its last copy of the same template and has
   * not set since: a reset keeps their buffers, so they hold the
   * template's values still (it frees only buffers over TEXT_KEEP, never
   * one that a template's value fits in; checked below all the same). */
  intact = src->tpl_fields && dst->tpl && dst->tpl->id == src->tpl->id
               ? dst->tpl_fields & src->tpl_fields
               : 0;
  soc_event_reset(dst);
  result = -ENOMEM;
  for (uint64_t b = src->set; b; b &= b - 1) {
    int f = __builtin_ctzll(b);
    if (fields[f].type == T_INT)
      dst->num[f] = src->num[f];
    else if (!((intact & BIT(f)) && dst->str[f].s) &&
             text_copy_from(dst, &dst->str[f], &src->str[f]))
      goto out;
  }
  for (size_t i = 0; i < src->nextras; i++) {
    struct extra *x = &dst->extras[i];
    const struct extra *y = &src->extras[i];
    if (text_copy_from(dst, &x->value, &y->value)) goto out;
    memcpy(x->key, y->key, y->keylen + 1);
    x->keylen = y->keylen;
    x->hash = y->hash;
    x->rank = y->rank;
    x->head = y->head;
    x->json = y->json;
    x->form = y->form;
  }
  for (size_t i = 0; i < src->nsd; i++) {
    struct sd_param *p = &dst->sd[i];
    const struct sd_param *q = &src->sd[i];
    if (text_copy_from(dst, &p->value, &q->value)) goto out;
    memcpy(p->id, q->id, q->idlen + 1);
    memcpy(p->name, q->name, q->namelen + 1);
    p->idlen = q->idlen;
    p->namelen = q->namelen;
  }
  for (size_t i = 0; i < src->ntags; i++) {
    memcpy(dst->tags[i].s, src->tags[i].s, src->tags[i].len + 1);
    dst->tags[i].len = src->tags[i].len;
  }
  memcpy(dst->order, src->order, src->nextras);
  memcpy(dst->id, src->id, sizeof dst->id);
  dst->time_ns = src->time_ns;
  dst->has_time = src->has_time;
  dst->set = src->set;
  dst->nextras = src->nextras;
  dst->extra_bloom = src->extra_bloom;
  dst->nsd = src->nsd;
  dst->ntags = src->ntags;
  dst->bytes = src->bytes;
  dst->flags = src->flags;
  /* the template's JSON: copied once per template (calloc: put_run reads
   * whole 16-byte blocks past what is used), and without it the copy is
   * whole all the same */
  if (src->tpl_fields && (dst->tpl || (dst->tpl = calloc(1, sizeof *dst->tpl)))) {
    if (dst->tpl->id != src->tpl->id)
      memcpy(dst->tpl, src->tpl, offsetof(struct tpl, frag) + src->tpl->used);
    dst->tpl_fields = src->tpl_fields;
  }
  result = 0;
out:
  if (result) soc_event_reset(dst);
  return result;
}

/* ---- the JSON writer --------------------------------------------------------------- */

/* Where the writer is: the buffer, the last leaf written (a known one by
 * number, an extra by its dotted name), and the objects open for it. A
 * known leaf's name, depth and dots are looked up only when an extra or
 * the end follows it: depth and dots are the last extra's. */
typedef struct {
  char *p, *end;    /* end leaves room for the NUL */
  int full;         /* something did not fit; sticky */
  int known;        /* the last leaf, when it was a known one; else -1 */
  const char *path; /* the last extra's name; NULL after a known leaf */
  size_t pathlen, depth;
  uint8_t dots[SOC_EVENT_KEY_MAX / 2]; /* where the last extra's dots are: depth of them */
} jw;

/* Whether n more bytes fit. After a "no" the end is moved to where the
 * writer stopped, so every later answer is no too. */
static int room(jw *w, size_t n) {
  if ((size_t)(w->end - w->p) < n) {
    w->full = 1;
    w->end = w->p;
    return 0;
  }
  return 1;
}

static void put_raw(jw *w, const char *s, size_t n) {
  if (!room(w, n)) return;
  memcpy(w->p, s, n);
  w->p += n;
}

/* n bytes from s, which may be read up to 16 bytes past n. Inlined by
 * force: a call costs as much as the copy of a key. */
__attribute__((always_inline)) static inline void put_blocks(jw *w, const char *s, size_t n) {
  if ((size_t)(w->end - w->p) >= n + 16) { /* whole blocks, not a call to memcpy */
    for (size_t i = 0; i < n; i += 16) memcpy(w->p + i, s + i, 16);
    w->p += n;
  } else {
    put_raw(w, s, n);
  }
}

static void put_char(jw *w, char c) {
  if (room(w, 1)) *w->p++ = c;
}

/* What each byte becomes inside a JSON string: 0 itself, else the letter
 * after the backslash ('u' for \u00XX). */
static const char escapes[256] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',  ['\r'] = 'r', [0x00] = 'u',
    [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',  [0x05] = 'u', [0x06] = 'u',
    [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether the 8 bytes in x hold a byte to escape. A hit may be flagged in
 * a byte above a genuine one, never without one (Hacker's Delight 6-1). */
static int word_needs_escape(uint64_t x) {
  uint64_t ctl = (x - ONES * 0x20) & ~x & HIGHS;
  return (ctl | soc_word_has_byte(x, '"') | soc_word_has_byte(x, '\\')) != 0;
}

/* Whether s[0..n) has a byte to escape, a word at a time: a short string
 * is padded with a harmless byte, and the tail of a long one is the last
 * eight bytes, overlapping what was checked already. */
static int needs_escape(const char *s, size_t n) {
  uint64_t x = ONES * 'a';
  size_t i = 0;
  if (n < 8) return word_needs_escape(soc_load_short(s, n, x));
  for (; n - i > 8; i += 8) {
    memcpy(&x, s + i, sizeof x);
    if (word_needs_escape(x)) return 1;
  }
  memcpy(&x, s + n - 8, sizeof x);
  return word_needs_escape(x);
}

/* Length of the run at s[0..n) that needs no escaping. */
static size_t plain_run(const char *s, size_t n) {
  size_t i = 0;
  while (n - i >= 8) {
    uint64_t x;
    memcpy(&x, s + i, sizeof x);
    if (word_needs_escape(x)) break;
    i += 8;
  }
  while (i < n && !escapes[(unsigned char)s[i]]) i++;
  return i;
}

static size_t escaped_len(const char *s, size_t n) {
  size_t total = n;
  for (size_t i = 0; i < n; i++) {
    char e = escapes[(unsigned char)s[i]];
    if (e) total += e == 'u' ? 5 : 1;
  }
  return total;
}

#ifdef __SSE2__
/* Whether the 16 bytes in x hold a byte to escape. */
static int vec_needs_escape(__m128i x) {
  const __m128i quote = _mm_set1_epi8('"'), back = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
  __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, back));
  hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl)); /* x <= 0x1f */
  return _mm_movemask_epi8(hit) != 0;
}
#endif

/* Copies s[0..n) to p a word at a time while checking it, as
 * needs_escape does; it may write up to 8 bytes past p + n. Returns 0, or
 * 1 as soon as a word holds a byte to escape (p then holds garbage). Long
 * values go 16 bytes at a time where the CPU has SSE2 (every x86-64).
 * Inlined by force into put_string's common case, which is inlined. */
__attribute__((always_inline)) static inline int copy_plain(char *p, const char *s, size_t n) {
#ifdef __SSE2__
  if (n >= 16) {
    __m128i v;
    size_t i = 0;
    for (; n - i > 16; i += 16) {
      v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
      if (vec_needs_escape(v)) return 1;
      _mm_storeu_si128((__m128i *)(void *)(p + i), v);
    }
    v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
    _mm_storeu_si128((__m128i *)(void *)(p + n - 16), v);
    return vec_needs_escape(v);
  }
#endif
  return soc_copy_words_until(p, s, n, ONES * 'a', word_needs_escape);
}

/* put_string's other cases: s[0..n) has a byte to escape, or the buffer
 * has no slack for a copy a word at a time (checked first, then copied
 * exactly). */
static void put_string_escaped(jw *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char *p;
  if ((size_t)(w->end - w->p) < n + 10 && !needs_escape(s, n)) {
    if (!room(w, n + 2)) return;
    p = w->p;
    *p = '"';
    memcpy(p + 1, s, n);
    p[n + 1] = '"';
    w->p = p + n + 2;
    return;
  }
  /* Six bytes per input byte is the worst case; count exactly only when
   * that does not fit. */
  if ((size_t)(w->end - w->p) < 6 * n + 2 && !room(w, escaped_len(s, n) + 2)) return;
  p = w->p;
  *p++ = '"';
  for (size_t i = 0;;) {
    size_t run = plain_run(s + i, n - i);
    memcpy(p, s + i, run);
    p += run;
    i += run;
    if (i == n) break;
    unsigned char c = (unsigned char)s[i++];
    char e = escapes[c];
    *p++ = '\\';
    *p++ = e;
    if (e == 'u') {
      memcpy(p, "00", 2);
      p[2] = hex[c >> 4];
      p[3] = hex[c & 15];
      p += 4;
    }
  }
  *p++ = '"';
  w->p = p;
}

/* s[0..n) as a JSON string. s is text (no invalid UTF-8, no NUL), so only
 * RFC 8259's must-escapes are escaped. Most values need no escape: checked
 * while copied, when the buffer has the copy's 8 bytes of slack. Inlined
 * by force: ~10 values an event, and the call and its saved registers
 * were about a sixth of its instructions (step 39). */
__attribute__((always_inline)) static inline void put_string(jw *w, const char *s, size_t n) {
  char *p = w->p;
  if ((size_t)(w->end - p) >= n + 10 && !copy_plain(p + 1, s, n)) {
    *p = '"';
    p[n + 1] = '"';
    w->p = p + n + 2;
    return;
  }
  put_string_escaped(w, s, n);
}

/* Written in place, two digits a step: the JSON writer and the netmon
 * write numbers on every event (ports, sizes, counts). */
size_t soc_event_decimal(int64_t v, char *buf) {
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, t = u;
  size_t len = v < 0, digits = 1;
  while (t >= 10) {
    t /= 10;
    digits++;
  }
  if (v < 0) buf[0] = '-';
  len += digits;
  char *p = buf + len;
  *p = '\0';
  for (; u >= 100; u /= 100) {
    p -= 2;
    memcpy(p, digit_pairs + 2 * (u % 100), 2);
  }
  if (u >= 10) {
    p -= 2;
    memcpy(p, digit_pairs + 2 * u, 2);
  } else {
    *--p = (char)('0' + u);
  }
  return len;
}

static void put_int(jw *w, int64_t v) {
  char buf[SOC_EVENT_DECIMAL_MAX];
  put_raw(w, buf, soc_event_decimal(v, buf));
}

/* Closes the objects of the last leaf that the next one does not share,
 * and writes the comma before the next one's key. */
static char *close_to(jw *w, char *p, size_t shared) {
  while (w->depth > shared) {
    *p++ = '}';
    w->depth--;
  }
  if (w->known >= 0 || w->path) *p++ = ',';
  return p;
}

/* How many of the last leaf's objects name, of len bytes, shares: those
 * whose dot lies within the bytes the two names have in common. Compared
 * a word at a time, and the dots are known already. */
static inline size_t shared_with_last(const jw *w, const char *name, size_t len) {
  size_t m = w->pathlen < len ? w->pathlen : len, i = 0, shared = 0;
  for (;;) {
    uint64_t x, y;
    if (m - i < 8) {
      while (i < m && w->path[i] == name[i]) i++;
      break;
    }
    memcpy(&x, w->path + i, sizeof x);
    memcpy(&y, name + i, sizeof y);
    if (x != y) { /* the first byte that differs */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      i += (size_t)__builtin_ctzll(x ^ y) / 8;
#else
      i += (size_t)__builtin_clzll(x ^ y) / 8;
#endif
      break;
    }
    i += 8;
  }
  while (shared < w->depth && w->dots[shared] < i) shared++;
  return shared;
}

/* A known leaf's key, with the objects on its path: after a known leaf
 * or none, what goes between the two from the table; after an extra, the
 * objects it shares with the leaf found and the key's tail from leaf_keys.
 * Inlined by force into the writer's loop, as when it had one caller:
 * soc_event_template calls it too. */
/* k's key after the last leaf's objects that it does not share (shared of
 * them) are closed and the comma: from k's first object not shared. What a
 * known leaf after an extra and an extra with a form both write. Returns 0
 * when it does not fit. */
__attribute__((always_inline)) static inline int put_key_from(jw *w, const struct leaf_key *k,
                                                              size_t shared) {
  size_t from = k->off[shared];
  if (!room(w, w->depth - shared + (w->path != NULL) + k->len - from)) return 0;
  w->p = close_to(w, w->p, shared);
  put_blocks(w, k->text + from, k->len - from);
  return 1;
}

__attribute__((always_inline)) static inline void put_known_key(jw *w, int leaf) {
  if (!w->path) {
    uint32_t e = between[w->known + 1][leaf];
    put_blocks(w, between_text + (e >> 8), e & 255);
  } else {
    (void)put_key_from(w, &leaf_keys[leaf], shared_with_last(w, leaf_name(leaf), leaf_len[leaf]));
    w->path = NULL;
  }
  w->known = leaf;
}

/* An extra's key, with the objects on its path. Names come in byte order,
 * so the objects it shares with the last leaf are the ones still open. A
 * key with a form (soc_event_key_to_set's) is copied from it as a known leaf's
 * is; any other is written a byte at a time. */
static void put_extra_key(jw *w, const char *name, size_t len, uint32_t form) {
  if (w->known >= 0) {
    const struct leaf_key *k = &leaf_keys[w->known];
    w->path = leaf_name(w->known);
    w->pathlen = leaf_len[w->known];
    w->depth = k->depth;
    memcpy(w->dots, k->dots, sizeof k->dots);
  }
  size_t shared = w->path ? shared_with_last(w, name, len) : 0;
  if (form) {
    const struct leaf_key *k = &forms[form - 1];
    if (!put_key_from(w, k, shared)) return;
    /* the dots of the objects shared are where they were */
    memcpy(w->dots, k->dots, sizeof k->dots);
    w->depth = k->depth;
    w->known = -1;
    w->path = name;
    w->pathlen = len;
    return;
  }
  size_t start = shared ? (size_t)w->dots[shared - 1] + 1 : 0;
  /* Each segment left: its bytes, two quotes and a colon, and a brace for
   * all but the last, which takes the place of its dot. There are at most
   * len - start + 1 of them; counted only when that bound does not fit. */
  size_t segs = len - start + 1, fixed = w->depth - shared + (w->path != NULL) + len - start;
  char *p;
  if ((size_t)(w->end - w->p) < fixed + 3 * segs) {
    segs = 1;
    for (size_t i = start; i < len; i++) segs += name[i] == '.';
    if (!room(w, fixed + 3 * segs)) return;
  }
  p = close_to(w, w->p, shared);
  /* Segments are short: a byte at a time beats a memchr and a memcpy per
   * segment, and natively also a word at a time (9 % fewer instructions,
   * no fewer cycles: measured in step 35). */
  *p++ = '"';
  for (size_t i = start; i < len; i++) {
    if (name[i] != '.') {
      *p++ = name[i];
      continue;
    }
    memcpy(p, "\":{\"", 4);
    p += 4;
    w->dots[w->depth++] = (uint8_t)i;
  }
  *p++ = '"';
  *p++ = ':';
  w->p = p;
  w->known = -1;
  w->path = name;
  w->pathlen = len;
}

static void put_tags(jw *w, const soc_event *ev) {
  static const struct {
    unsigned flag;
    const char *tag;
  } flag_tags[] = {
      {SOC_EVENT_INVALID_UTF8, "\"invalid_utf8\""},
      {SOC_EVENT_TRUNCATED, "\"truncated\""},
      {SOC_EVENT_DROPPED, "\"fields_dropped\""},
  };
  int first = 1;
  put_char(w, '[');
  for (size_t i = 0; i < ev->ntags; i++) {
    if (!first) put_char(w, ',');
    first = 0;
    put_string(w, ev->tags[i].s, ev->tags[i].len);
  }
  for (size_t i = 0; i < sizeof flag_tags / sizeof flag_tags[0]; i++) {
    if (!(ev->flags & flag_tags[i].flag)) continue;
    if (!first) put_char(w, ',');
    first = 0;
    put_raw(w, flag_tags[i].tag, strlen(flag_tags[i].tag));
  }
  put_char(w, ']');
}

/* SD-IDs and parameter names are arbitrary text, dots included, so they
 * are keys one level each rather than dotted paths. Parameters of one ID
 * go into one object, the IDs in the order they first came. */
static void put_structured_data(jw *w, const soc_event *ev) {
  uint64_t done = 0; /* bit i: sd[i] is written */
  _Static_assert(SOC_EVENT_SD_MAX <= 64, "done is a 64-bit mask");
  put_char(w, '{');
  for (size_t i = 0; i < ev->nsd; i++) {
    const struct sd_param *p = &ev->sd[i];
    if (done & BIT(i)) continue;
    if (i) put_char(w, ',');
    put_string(w, p->id, p->idlen);
    put_raw(w, ":{", 2);
    for (size_t j = i; j < ev->nsd; j++) {
      const struct sd_param *q = &ev->sd[j];
      if (q->idlen != p->idlen || memcmp(q->id, p->id, p->idlen)) continue;
      if (j != i) put_char(w, ',');
      put_string(w, q->name, q->namelen);
      put_char(w, ':');
      put_string(w, q->value.s, q->value.len);
      done |= BIT(j);
    }
    put_char(w, '}');
  }
  put_char(w, '}');
}

static void put_time(jw *w, int64_t ns) {
  char ts[SOC_EVENT_TIME_BUF + 2];
  /* 6 digits: microseconds, what Elastic's date type keeps by default.
   * Any int64 of nanoseconds is a year in 1677..2262: this cannot fail. */
  ts[0] = '"';
  (void)soc_event_format_time(ns, 6, ts + 1, SOC_EVENT_TIME_BUF);
  ts[1 + SOC_EVENT_TIME_LEN(6)] = '"';
  put_raw(w, ts, SOC_EVENT_TIME_LEN(6) + 2);
}

/* A known leaf's value; inlined by force, as put_known_key is. */
__attribute__((always_inline)) static inline void put_value(jw *w, const soc_event *ev, int leaf) {
  const char *s;
  if (leaf < SOC_ECS_COUNT) {
    if (fields[leaf].type == T_INT)
      put_int(w, ev->num[leaf]);
    else
      put_string(w, ev->str[leaf].s, ev->str[leaf].len);
    return;
  }
  switch (leaf) {
    case L_TIMESTAMP:
      put_time(w, ev->time_ns);
      break;
    case L_ECS_VERSION:
      put_raw(w, "\"" SOC_ECS_VERSION "\"", sizeof SOC_ECS_VERSION + 1);
      break;
    case L_EVENT_ID:
      put_string(w, ev->id, strlen(ev->id));
      break;
    case L_TAGS:
      put_tags(w, ev);
      break;
    case L_PRIORITY: /* RFC 5424's PRI, which ECS keeps as log.syslog.priority */
      put_int(w, ev->num[SOC_ECS_LOG_SYSLOG_FACILITY_CODE] * 8 +
                     ev->num[SOC_ECS_LOG_SYSLOG_SEVERITY_CODE]);
      break;
    case L_FACILITY_NAME:
      s = facility_names[ev->num[SOC_ECS_LOG_SYSLOG_FACILITY_CODE]];
      put_string(w, s, strlen(s));
      break;
    case L_SEVERITY_NAME:
      s = severity_names[ev->num[SOC_ECS_LOG_SYSLOG_SEVERITY_CODE]];
      put_string(w, s, strlen(s));
      break;
    case L_STRUCTURED_DATA:
      put_structured_data(w, ev);
      break;
  }
}

/* The template's leaves (soc_event_template) by rank that ev holds as the
 * template had them. */
static uint64_t tpl_ranks(const soc_event *ev) {
  uint64_t m;
  if (!ev->tpl_fields) return 0;
  m = ev->tpl->ranks;
  for (uint64_t b = ev->tpl->fields & ~ev->tpl_fields; b; b &= b - 1)
    m &= ~BIT(leaf_rank[__builtin_ctzll(b)]);
  return m;
}

/* After the key of the template's leaf at rank k: its value, and the
 * template's leaves after it up to the first leaf of ev's own (foreign, by
 * rank) or the next extra's place (rank next), keys and values, from the
 * template. Returns the rank of the last one written. */
static unsigned put_run(jw *w, const soc_event *ev, unsigned k, uint64_t foreign, uint32_t next) {
  const struct tpl *t = ev->tpl;
  uint64_t after = foreign & ~((BIT(k) << 1) - 1), below;
  unsigned stop = after ? (unsigned)__builtin_ctzll(after) : 64, last;
  if (next < stop) stop = next;
  below = t->ranks & (stop >= 64 ? ~UINT64_C(0) : BIT(stop) - 1);
  last = 63 - (unsigned)__builtin_clzll(below);
  const char *from = t->frag + t->val[t->index[k]];
  size_t n = t->end[t->index[last]] - t->val[t->index[k]];
  put_blocks(w, from, n);
  w->known = leaf_order[last];
  return last;
}

static void put_extra(jw *w, const struct extra *x) {
  put_extra_key(w, x->key, x->keylen, x->form);
  if (x->json)
    put_raw(w, x->value.s, x->value.len);
  else
    put_string(w, x->value.s, x->value.len);
}

/* The leaves this event has, its fields and the writer's own, as bits by
 * their place in leaf_order. */
static uint64_t ranks_of(const soc_event *ev) {
  const uint64_t pri =
      BIT(SOC_ECS_LOG_SYSLOG_FACILITY_CODE) | BIT(SOC_ECS_LOG_SYSLOG_SEVERITY_CODE);
  uint64_t m = BIT(leaf_rank[L_TIMESTAMP]) | BIT(leaf_rank[L_ECS_VERSION]);
  for (int j = 0; j < FIELD_BYTES; j++) m |= field_ranks[j][ev->set >> 8 * j & 255];
  if (ev->id[0]) m |= BIT(leaf_rank[L_EVENT_ID]);
  if (ev->ntags || ev->flags) m |= BIT(leaf_rank[L_TAGS]);
  if ((ev->set & pri) == pri) m |= BIT(leaf_rank[L_PRIORITY]);
  if (ev->set & BIT(SOC_ECS_LOG_SYSLOG_FACILITY_CODE)) m |= BIT(leaf_rank[L_FACILITY_NAME]);
  if (ev->set & BIT(SOC_ECS_LOG_SYSLOG_SEVERITY_CODE)) m |= BIT(leaf_rank[L_SEVERITY_NAME]);
  if (ev->nsd) m |= BIT(leaf_rank[L_STRUCTURED_DATA]);
  return m;
}

int soc_event_write_json(const soc_event *ev, char *buf, size_t cap, size_t *len) {
  int result = -EINVAL;
  jw w = {.known = -1};
  uint64_t ranks, tranks;
  uint32_t next;
  size_t x = 0;
  if (!ev || !buf || !ev->has_time) goto out;
  result = -ENOSPC;
  if (!cap) goto out;
  w.p = buf;
  w.end = buf + cap - 1;
  names_init();
  put_char(&w, '{');
  /* The known leaves in order, and each extra just before the first known
   * leaf that sorts after it: the next extra's rank kept at hand, since
   * most leaves have none before them. */
  next = ev->nextras ? ev->extras[ev->order[0]].rank : UINT32_MAX;
  tranks = tpl_ranks(ev);
  for (ranks = ranks_of(ev); ranks;) {
    unsigned k = (unsigned)__builtin_ctzll(ranks);
    while (next <= k) {
      put_extra(&w, &ev->extras[ev->order[x++]]);
      next = x < ev->nextras ? ev->extras[ev->order[x]].rank : UINT32_MAX;
    }
    put_known_key(&w, leaf_order[k]);
    if (tranks & BIT(k))
      k = put_run(&w, ev, k, ranks & ~tranks, next);
    else
      put_value(&w, ev, leaf_order[k]);
    ranks &= ~((BIT(k) << 1) - 1);
  }
  for (; x < ev->nextras; x++) put_extra(&w, &ev->extras[ev->order[x]]);
  if (w.known >= 0) w.depth = leaf_keys[w.known].depth;
  if (room(&w, w.depth + 1)) {
    memset(w.p, '}', w.depth + 1);
    w.p += w.depth + 1;
  }
  if (w.full) goto out;
  *w.p = '\0';
  if (len) *len = (size_t)(w.p - buf);
  result = 0;
out:
  return result;
}

int soc_event_template(soc_event *t) {
  int result = -EINVAL;
  struct tpl *p;
  uint64_t ranks;
  size_t n = 0;
  if (!t) goto out;
  names_init();
  t->tpl_fields = 0;
  result = -ENOMEM;
  if (!t->tpl && !(t->tpl = calloc(1, sizeof *t->tpl))) goto out;
  p = t->tpl;
  *p = (struct tpl){.id = atomic_fetch_add(&tpl_ids, 1) + 1};
  /* Each leaf's key as it follows the one before it here; a copy whose
   * own leaves come between writes that key itself (put_run). */
  jw w = {.p = p->frag, .end = p->frag + TPL_BYTES - 1, .known = -1};
  ranks = BIT(leaf_rank[L_ECS_VERSION]);
  for (uint64_t b = t->set; b; b &= b - 1) ranks |= BIT(leaf_rank[__builtin_ctzll(b)]);
  for (; ranks; ranks &= ranks - 1) {
    unsigned k = (unsigned)__builtin_ctzll(ranks);
    int leaf = leaf_order[k];
    put_known_key(&w, leaf);
    uint32_t val = (uint32_t)(w.p - p->frag);
    put_value(&w, t, leaf);
    if (w.full) break; /* the rest is written as always */
    p->index[k] = (uint8_t)n;
    p->val[n] = val;
    p->end[n++] = (uint32_t)(w.p - p->frag);
    p->ranks |= BIT(k);
    if (leaf < SOC_ECS_COUNT) p->fields |= BIT(leaf);
  }
  p->used = n ? p->end[n - 1] : 0;
  t->tpl_fields = p->fields;
  /* Its extras' keys made once too, for the copies to copy */
  for (size_t i = 0; i < t->nextras; i++)
    if (!t->extras[i].form) t->extras[i].form = form_of(t->extras[i].key);
  result = 0;
out:
  return result;
}

/* An upper bound of ev's JSON with its NUL; see soc_event_write_json. */
static size_t json_bound(const soc_event *ev) {
  size_t n = known_json_max + 6 * ev->bytes + 16 * ev->nsd + 4 * ev->ntags + 1;
  /* An extra's key is in bytes; its segments need quotes and braces. */
  for (size_t i = 0; i < ev->nextras; i++) n += 3 * (ev->extras[i].keylen + 1) + 8;
  return n;
}

int soc_event_to_json(const soc_event *ev, char **json, size_t *len) {
  int result = -EINVAL;
  char *buf = NULL;
  size_t cap;
  if (!ev || !json || !ev->has_time) goto out;
  names_init();
  cap = json_bound(ev);
  result = -ENOMEM;
  buf = malloc(cap);
  if (!buf) goto out;
  result = soc_event_write_json(ev, buf, cap, len);
  if (result) goto out;
  *json = buf;
  buf = NULL;
out:
  free(buf);
  return result;
}
