/*
 * rules — loading log rule files into a compiled, immutable rule set.
 *
 * A rule file is untrusted input that an operator nevertheless has to be
 * able to fix quickly, so the loader behaves like a compiler: it never stops
 * at the first problem, points at each one with FILE:LINE:COL, and refuses
 * a file as a whole when anything in it is wrong. Half a file would be worse
 * than none: a rule that loads without the exclusion (`none:`) next to it,
 * or a sequence (`after:`) whose first step was refused, fires on the wrong
 * things, and nobody would notice from the alerts alone.
 *
 * Every mapping is described by a soc_field table, so unknown keys get the
 * same "did you mean" as the config file. Text values are taken as written:
 * the tables grab the YAML node (SOC_FIELD_CUSTOM) instead of using
 * SOC_FIELD_STRING, because that type expands ${VAR}, and a pattern such as
 * "${jndi:ldap://" (Log4Shell) must reach the matcher byte for byte.
 *
 * Checks that span files run after every file is parsed, in file order: an
 * id already taken by an earlier good file refuses the later file, and an
 * `after:` must name a rule that is finally loaded, which is repeated until
 * nothing changes, because refusing one file can orphan a sequence in
 * another.
 *
 * The matcher's structures (automata, regex match data sizes) are built in
 * rules_match.c from what this file compiles; rules_internal.h is the
 * contract between the two.
 */
#include "soc/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"
#include "soc/schema.h"
#include "soc/yamldoc.h"

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define WHERE_MAX 160
#define WINDOW_MAX_S (30 * 86400) /* 30 days: longer windows are a retention question */
#define NS 1000000000LL

/* ---- names ------------------------------------------------------------- */

static const char *const category_names[] = {
    [SOC_CATEGORY_NONE] = "none",           [SOC_CATEGORY_WEB_ATTACK] = "web-attack",
    [SOC_CATEGORY_INTRUSION] = "intrusion", [SOC_CATEGORY_DENIAL_OF_SERVICE] = "denial-of-service",
    [SOC_CATEGORY_EQUIPMENT] = "equipment", [SOC_CATEGORY_OTHER] = "other",
};
#define NCATEGORIES (sizeof category_names / sizeof category_names[0])

const char *soc_incident_category_name(soc_incident_category c) {
  return (size_t)c < NCATEGORIES ? category_names[c] : "unknown";
}

const char *soc_incident_category_name_zh(soc_incident_category c) {
  switch (c) {
    case SOC_CATEGORY_WEB_ATTACK:
      return "網頁攻擊";
    case SOC_CATEGORY_INTRUSION:
      return "非法入侵";
    case SOC_CATEGORY_DENIAL_OF_SERVICE:
      return "阻斷服務";
    case SOC_CATEGORY_EQUIPMENT:
      return "設備異常";
    default:
      return "其他";
  }
}

/* Compares ignoring ASCII case and taking '_' for '-', like level.h. */
static int name_eq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = (char)tolower((unsigned char)(*a == '_' ? '-' : *a));
    char y = (char)tolower((unsigned char)(*b == '_' ? '-' : *b));
    if (x != y) return 0;
  }
  return *a == *b;
}

soc_incident_category soc_incident_category_parse(const char *s) {
  for (size_t i = 1; s && i < NCATEGORIES; i++)
    if (name_eq(s, category_names[i])) return (soc_incident_category)i;
  return SOC_CATEGORY_NONE;
}

/* ---- freeing ------------------------------------------------------------ */

static void strv_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

void soc_rules_fref_release(fref *f) {
  free(f->name);
  free(f->scan_as);
  f->name = f->scan_as = NULL;
}

static void field_free(soc_rules_field *f) {
  for (size_t i = 0; f && i < f->n; i++) soc_rules_fref_release(&f->alt[i].f);
  free(f);
}

static void fieldv_free(soc_rules_field **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) field_free(v[i]);
  free(v);
}

static void pattern_release(pattern *p) {
  soc_rules_fref_release(&p->field);
  free(p->text);
  pcre2_code_free(p->re);
  free(p->cg);
  memset(p, 0, sizeof *p);
}

static void patterns_free(pattern *v, size_t n) {
  for (size_t i = 0; v && i < n; i++) pattern_release(&v[i]);
  free(v);
}

void soc_rules_cond_release(cond *c) {
  soc_rules_fref_release(&c->field);
  strv_free(c->vals, c->nvals);
  free(c->lens);
  free(c->nets);
  for (size_t i = 0; c->sub && i < c->nsub; i++) soc_rules_cond_release(&c->sub[i]);
  free(c->sub);
  if (c->pat) pattern_release(c->pat);
  free(c->pat);
  soc_rules_fref_release(&c->ref);
  memset(c, 0, sizeof *c);
}

void soc_rules_rule_free(soc_rule *r) {
  if (!r) return;
  free(r->id);
  free(r->title);
  free(r->description);
  free(r->file);
  strv_free(r->mitre, r->nmitre);
  strv_free(r->refs, r->nrefs);
  free(r->subtype);
  strv_free(r->asset_from, r->nasset_from);
  strv_free(r->triage_by, r->ntriage_by);
  strv_free(r->programs, r->nprograms);
  patterns_free(r->all, r->nall);
  patterns_free(r->any, r->nany);
  patterns_free(r->none, r->nnone);
  for (size_t i = 0; r->caps && i < r->ncaps; i++) {
    free(r->caps[i].group);
    soc_rules_fref_release(&r->caps[i].target);
  }
  free(r->caps);
  for (size_t i = 0; r->where && i < r->nwhere; i++) soc_rules_cond_release(&r->where[i]);
  free(r->where);
  free(r->req);
  free(r->level);
  free(r->author);
  free(r->sigma_name);
  strv_free(r->group_by, r->corr.ngroup_by);
  free(r->distinct);
  free(r->after_id);
  for (size_t i = 0; r->member_group_by && i < r->nmember_group_by; i++)
    strv_free(r->member_group_by[i], r->corr.ngroup_by);
  free(r->member_group_by);
  strv_free(r->member_distinct, r->nmember_group_by);
  free(r->members);
  fieldv_free(r->asset_from_f, r->incident.nasset_from);
  fieldv_free(r->triage_by_f, r->incident.ngroup_by);
  fieldv_free(r->group_by_f, r->corr.ngroup_by);
  field_free(r->distinct_f);
  for (size_t i = 0; r->member_group_by_f && i < r->corr.nmembers; i++)
    fieldv_free(r->member_group_by_f[i], r->corr.ngroup_by);
  free(r->member_group_by_f);
  fieldv_free(r->member_distinct_f, r->corr.nmembers);
  free(r);
}

void soc_rules_free(soc_rules *rules) {
  if (!rules) return;
  soc_rules_free_automata(rules);
  for (size_t i = 0; i < rules->n; i++) soc_rules_rule_free(rules->rules[i]);
  free(rules->rules);
  free(rules->by_id);
  free(rules);
}

/* ---- the loader's context and messages ---------------------------------- */

typedef struct loader {
  soc_schema_ctx ctx;
  soc_event *probe;                 /* scratch event: asks event.c which names it takes */
  size_t conditions;                /* where conditions of the current rule, nested included */
  const soc_sigma_opts *sigma_opts; /* borrowed; NULL: none */
} loader;

/* Builds a "where" path for messages; a deep path is cut, which is fine. */
static void wjoin(char w[WHERE_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wjoin(char w[WHERE_MAX], const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w, WHERE_MAX, fmt, ap);
  va_end(ap);
}

/* The schema tables below store the node itself; the code that knows the
 * key's meaning checks it. A null node (`key:` with nothing) is kept, so
 * "given but empty" can be told from "absent". */
static int grab(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx, const char *where) {
  (void)ctx;
  (void)where;
  *(const soc_ynode **)dst = node;
  return 0;
}

#define GRAB(strct, k, member, flg, hlp)                                                  \
  {                                                                                       \
    .key = k, .type = SOC_FIELD_CUSTOM, .offset = offsetof(strct, member), .parse = grab, \
    .flags = flg, .help = hlp                                                             \
  }

/* ---- scalar helpers ----------------------------------------------------- */

/* A scalar's text as written: no ${} expansion, no NUL, at most max bytes.
 * NULL after a message. */
static char *text_dup(loader *L, const soc_ynode *n, const char *where, const char *key, size_t max,
                      int allow_empty) {
  char *s;
  if (!n || n->kind != SOC_YNODE_SCALAR || soc_ynode_is_null(n)) {
    soc_schema_error(&L->ctx, n, "%s.%s: expected text, got %s", where, key,
                     n && n->kind == SOC_YNODE_SCALAR ? "nothing" : soc_ynode_kind_name(n));
    return NULL;
  }
  if (strlen(n->value) != n->len) {
    soc_schema_error(&L->ctx, n, "%s.%s: a NUL byte inside the text is not allowed", where, key);
    return NULL;
  }
  if (n->len > max) {
    soc_schema_error(&L->ctx, n, "%s.%s: %zu bytes, longer than the limit of %zu", where, key,
                     n->len, max);
    return NULL;
  }
  if (!n->len && !allow_empty) {
    soc_schema_error(&L->ctx, n, "%s.%s: must not be empty", where, key);
    return NULL;
  }
  s = strdup(n->value);
  if (!s) soc_schema_error(&L->ctx, n, "%s.%s: out of memory", where, key);
  return s;
}

/* A scalar or a list of scalars. Returns 0 or -EINVAL after a message;
 * *out and *nout hold what was read either way (free with strv_free). */
static int texts_dup(loader *L, const soc_ynode *n, const char *where, const char *key,
                     size_t maxlen, int allow_empty, char ***out, size_t *nout) {
  size_t items;
  *out = NULL;
  *nout = 0;
  if (!n || n->kind == SOC_YNODE_MAP || soc_ynode_is_null(n)) {
    soc_schema_error(&L->ctx, n, "%s.%s: expected text or a list of texts, got %s", where, key,
                     n && n->kind != SOC_YNODE_MAP ? "nothing" : soc_ynode_kind_name(n));
    return -EINVAL;
  }
  items = n->kind == SOC_YNODE_SEQ ? n->n : 1;
  if (!items) {
    soc_schema_error(&L->ctx, n, "%s.%s: the list is empty", where, key);
    return -EINVAL;
  }
  if (items > SOC_RULE_LIST_MAX) {
    soc_schema_error(&L->ctx, n, "%s.%s: %zu items, more than the limit of %d", where, key, items,
                     SOC_RULE_LIST_MAX);
    return -EINVAL;
  }
  *out = calloc(items, sizeof **out);
  if (!*out) {
    soc_schema_error(&L->ctx, n, "%s.%s: out of memory", where, key);
    return -EINVAL;
  }
  for (size_t i = 0; i < items; i++) {
    const soc_ynode *it = n->kind == SOC_YNODE_SEQ ? n->items[i] : n;
    char *s = text_dup(L, it, where, key, maxlen, allow_empty);
    if (!s) return -EINVAL;
    (*out)[(*nout)++] = s;
  }
  return 0;
}

/* A dotted field name as event.h's extras take them. */
static int field_name_ok(const char *s) {
  static const char seg[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  size_t n = strlen(s);
  if (!n || n > SOC_EVENT_KEY_MAX) return 0;
  for (;;) {
    size_t k = strspn(s, seg);
    if (!k) return 0;
    s += k;
    if (!*s) return 1;
    if (*s != '.') return 0;
    s++;
  }
}

int soc_rules_fref_resolve(const char *name, soc_event *probe, fref *out) {
  int f;
  memset(out, 0, sizeof *out);
  if (!field_name_ok(name)) return -EINVAL;
  out->name = strdup(name);
  if (!out->name) return -ENOMEM;
  if (!strcmp(name, "log.syslog.facility.name")) {
    out->kind = FREF_FACILITY;
  } else if (!strcmp(name, "log.syslog.severity.name")) {
    out->kind = FREF_SEVERITY;
  } else if (!strcmp(name, "event.id")) {
    out->kind = FREF_EVENT_ID;
  } else if ((f = soc_ecs_field_lookup(name)) >= 0) {
    /* event.h does not say which fields are integers; it answers when
     * asked, which keeps this list from drifting from its table. */
    soc_event_reset(probe);
    out->kind = soc_event_set_int(probe, (soc_ecs_field)f, 0) == 0 ? FREF_INT : FREF_STR;
    out->ecs = f;
  } else {
    out->kind = FREF_EXTRA;
    /* a name no extra can have (it clashes with a known one) is never set */
    if (soc_event_key_of(name, &out->key)) out->key.len = 0;
  }
  return 0;
}

/* Reads a field name; 0 or -EINVAL after a message. */
static int field_of(loader *L, const soc_ynode *n, const char *where, const char *key, fref *out) {
  char *name = text_dup(L, n, where, key, SOC_EVENT_KEY_MAX + 1, 0);
  int rc = -EINVAL;
  memset(out, 0, sizeof *out);
  if (!name) return -EINVAL;
  rc = soc_rules_fref_resolve(name, L->probe, out);
  if (rc == -EINVAL)
    soc_schema_error(&L->ctx, n,
                     "%s.%s: '%.100s' is not a field name; expected dotted ECS names such as "
                     "source.ip or user.name",
                     where, key, name);
  else if (rc)
    soc_schema_error(&L->ctx, n, "%s.%s: out of memory", where, key);
  free(name);
  return rc ? -EINVAL : 0;
}

/* ---- patterns ----------------------------------------------------------- */

typedef struct pattern_raw {
  const soc_ynode *contains, *startswith, *endswith, *equals, *regex, *field;
  int nocase;
} pattern_raw;

static const soc_field pattern_fields[] = {
    GRAB(pattern_raw, "contains", contains, 0, "the field contains this text"),
    GRAB(pattern_raw, "startswith", startswith, 0, "the field starts with this text"),
    GRAB(pattern_raw, "endswith", endswith, 0, "the field ends with this text"),
    GRAB(pattern_raw, "equals", equals, 0, "the field is exactly this text"),
    GRAB(pattern_raw, "regex", regex, 0, "a PCRE2 regular expression; named groups feed captures"),
    GRAB(pattern_raw, "field", field, 0, "the field to look at (default: match.field)"),
    {.key = "nocase",
     .type = SOC_FIELD_BOOL,
     .offset = offsetof(pattern_raw, nocase),
     .def = "false",
     .help = "ignore case (ASCII letters for plain text)"},
};

int soc_rules_regex_compile(pattern *p, uint32_t extra, char *err, size_t errlen) {
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  uint32_t opts = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C | (p->nocase ? PCRE2_CASELESS : 0u) | extra;
  p->re = pcre2_compile((PCRE2_SPTR)p->text, p->len, opts, &errcode, &erroff, NULL);
  if (!p->re) {
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
      snprintf((char *)msg, sizeof msg, "error %d", errcode);
    snprintf(err, errlen, "%s at offset %zu of the pattern", (const char *)msg, (size_t)erroff);
    return -EINVAL;
  }
  /* Without JIT (an unsupported CPU, or a pattern JIT refuses) the
   * interpreter gives the same answers, only slower. */
  p->jit = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) == 0;
  return 0;
}

static int compile_regex(loader *L, const soc_ynode *n, const char *where, pattern *p) {
  char err[300];
  if (soc_rules_regex_compile(p, 0, err, sizeof err) == 0) return 0;
  soc_schema_error(&L->ctx, n, "%s.regex: %s", where, err);
  return -EINVAL;
}

static int pattern_build(loader *L, const soc_ynode *item, const char *where,
                         const char *default_field, pattern *p) {
  static const struct {
    const char *key;
    pat_kind kind;
  } kinds[] = {{"contains", PAT_CONTAINS},
               {"startswith", PAT_STARTSWITH},
               {"endswith", PAT_ENDSWITH},
               {"equals", PAT_EQUALS},
               {"regex", PAT_REGEX}};
  pattern_raw raw = {0};
  const soc_ynode *val = NULL;
  const char *key = NULL;
  size_t given = 0;
  int result =
      soc_schema_apply(pattern_fields, NFIELDS(pattern_fields), item, &raw, &L->ctx, where);
  if (!item || item->kind != SOC_YNODE_MAP) return -EINVAL;
  for (size_t k = 0; k < NFIELDS(kinds); k++) {
    const soc_ynode *v = soc_ynode_get(item, kinds[k].key);
    if (!v) continue;
    if (!given++) {
      val = v;
      key = kinds[k].key;
      p->kind = kinds[k].kind;
    }
  }
  if (given != 1) {
    soc_schema_error(&L->ctx, item,
                     "%s: expected exactly one of contains, startswith, endswith, equals or "
                     "regex, got %zu",
                     where, given);
    return -EINVAL;
  }
  p->nocase = raw.nocase;
  if (raw.field && !soc_ynode_is_null(raw.field)) {
    if (field_of(L, raw.field, where, "field", &p->field) < 0) result = -EINVAL;
  } else if (soc_rules_fref_resolve(default_field, L->probe, &p->field) < 0) {
    result = -EINVAL; /* the default was checked already; only ENOMEM is left */
  }
  /* equals "" is a real question (is the field empty?); an empty
   * substring, prefix or regex matches everything and is a mistake. */
  p->line = val->line;
  p->col = val->col;
  p->text = text_dup(L, val, where, key, SOC_RULE_TEXT_MAX, p->kind == PAT_EQUALS);
  if (!p->text) return -EINVAL;
  p->len = strlen(p->text);
  if (p->kind == PAT_REGEX && compile_regex(L, val, where, p) < 0) return -EINVAL;
  /* plain nocase text is kept folded: the matcher folds the subject */
  for (size_t i = 0; p->nocase && p->kind != PAT_REGEX && i < p->len; i++)
    if (p->text[i] >= 'A' && p->text[i] <= 'Z') p->text[i] = (char)(p->text[i] + 32);
  return result;
}

/* Reads any/all/none. Plain patterns of `all` and `none` go first: their
 * order does not change the answer, and they are cheaper than regexes. */
static int patterns_build(loader *L, const soc_ynode *n, const char *where, const char *key,
                          const char *default_field, int reorder, pattern **out, size_t *nout) {
  int result = 0;
  char w[WHERE_MAX];
  *out = NULL;
  *nout = 0;
  if (!n || n->kind != SOC_YNODE_SEQ) {
    soc_schema_error(&L->ctx, n, "%s.%s: expected a list of patterns, got %s", where, key,
                     n && soc_ynode_is_null(n) ? "nothing" : soc_ynode_kind_name(n));
    return -EINVAL;
  }
  if (!n->n || n->n > SOC_RULE_PATTERNS_MAX) {
    soc_schema_error(&L->ctx, n, "%s.%s: expected 1 to %d patterns, got %zu", where, key,
                     SOC_RULE_PATTERNS_MAX, n->n);
    return -EINVAL;
  }
  *out = calloc(n->n, sizeof **out);
  if (!*out) return -ENOMEM;
  for (size_t i = 0; i < n->n; i++) {
    wjoin(w, "%s.%s[%zu]", where, key, i);
    if (pattern_build(L, n->items[i], w, default_field, &(*out)[i]) < 0) result = -EINVAL;
    (*nout)++;
  }
  if (reorder && !result) {
    size_t k = 0;
    for (size_t i = 0; i < *nout; i++)
      if ((*out)[i].kind != PAT_REGEX) {
        pattern t = (*out)[i];
        memmove(&(*out)[k + 1], &(*out)[k], (i - k) * sizeof t);
        (*out)[k++] = t;
      }
  }
  return result;
}

/* ---- where conditions --------------------------------------------------- */

typedef struct cond_raw {
  const soc_ynode *field, *equals, *in, *not_in, *exists, *cidr, *gt, *lt, *any_of, *not_;
} cond_raw;

static const soc_field cond_fields[] = {
    GRAB(cond_raw, "field", field, 0, "the field the condition is about"),
    GRAB(cond_raw, "equals", equals, 0, "the field is exactly this"),
    GRAB(cond_raw, "in", in, 0, "the field is one of these"),
    GRAB(cond_raw, "not_in", not_in, 0, "the field is none of these (or absent)"),
    GRAB(cond_raw, "exists", exists, 0, "true: the field is set; false: it is not"),
    GRAB(cond_raw, "cidr", cidr, 0, "the field is an address in one of these networks"),
    GRAB(cond_raw, "gt", gt, 0, "the field is a number greater than this"),
    GRAB(cond_raw, "lt", lt, 0, "the field is a number less than this"),
    GRAB(cond_raw, "any_of", any_of, 0, "at least one of these conditions holds"),
    GRAB(cond_raw, "not", not_, 0, "this condition does not hold"),
};

/* "192.0.2.0/24", "2001:db8::/32", a bare address. As in assets.c, IPv4
 * lives in the v4-mapped IPv6 space so one comparison serves both. */
int soc_rules_parse_net(const char *s, cidr_net *out) {
  char buf[INET6_ADDRSTRLEN + 8];
  const char *slash = strchr(s, '/');
  size_t alen = slash ? (size_t)(slash - s) : strlen(s);
  int v4 = 0, max;
  if (!alen || alen >= INET6_ADDRSTRLEN) return -EINVAL;
  memcpy(buf, s, alen);
  buf[alen] = '\0';
  memset(out->addr, 0, sizeof out->addr);
  if (inet_pton(AF_INET, buf, out->addr + 12) == 1) {
    out->addr[10] = out->addr[11] = 0xff;
    v4 = 1;
  } else if (inet_pton(AF_INET6, buf, out->addr) != 1) {
    return -EINVAL;
  }
  max = v4 ? 32 : 128;
  out->len = max;
  if (slash) {
    int64_t v;
    if (soc_parse_int(slash + 1, &v) < 0 || v < 0 || v > max) return -EINVAL;
    out->len = (int)v;
  }
  if (v4) out->len += 96;
  return 0;
}

static int parse_number(const char *s, double *out) {
  char *end = NULL;
  if (!*s || isspace((unsigned char)*s)) return -EINVAL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v)) return -EINVAL;
  *out = v;
  return 0;
}

static int cond_build(loader *L, const soc_ynode *n, const char *where, const soc_rule *r, cond *c);

static int conds_build(loader *L, const soc_ynode *n, const char *where, const char *key,
                       const soc_rule *r, cond **out, size_t *nout) {
  int result = 0;
  char w[WHERE_MAX];
  *out = NULL;
  *nout = 0;
  if (!n || n->kind != SOC_YNODE_SEQ || !n->n) {
    soc_schema_error(&L->ctx, n, "%s.%s: expected a non-empty list of conditions, got %s", where,
                     key, n && n->kind == SOC_YNODE_SEQ ? "an empty list" : soc_ynode_kind_name(n));
    return -EINVAL;
  }
  if (n->n > SOC_RULE_CONDITIONS_MAX) {
    soc_schema_error(&L->ctx, n, "%s.%s: more than %d conditions", where, key,
                     SOC_RULE_CONDITIONS_MAX);
    return -EINVAL;
  }
  *out = calloc(n->n, sizeof **out);
  if (!*out) return -ENOMEM;
  for (size_t i = 0; i < n->n; i++) {
    wjoin(w, "%s.%s[%zu]", where, key, i);
    (*nout)++;
    if (cond_build(L, n->items[i], w, r, &(*out)[i]) < 0) result = -EINVAL;
  }
  return result;
}

static int values_build(loader *L, const soc_ynode *v, const char *where, const char *key,
                        cond *c) {
  if (texts_dup(L, v, where, key, SOC_RULE_TEXT_MAX, 1, &c->vals, &c->nvals) < 0) return -EINVAL;
  c->lens = calloc(c->nvals, sizeof *c->lens);
  if (!c->lens) return -ENOMEM;
  for (size_t i = 0; i < c->nvals; i++) c->lens[i] = strlen(c->vals[i]);
  return 0;
}

static int cond_build(loader *L, const soc_ynode *n, const char *where, const soc_rule *r,
                      cond *c) {
  static const struct {
    const char *key;
    cond_op op;
    size_t off;
  } ops[] = {
      {"equals", C_EQUALS, offsetof(cond_raw, equals)},
      {"in", C_IN, offsetof(cond_raw, in)},
      {"not_in", C_NOT_IN, offsetof(cond_raw, not_in)},
      {"exists", C_EXISTS, offsetof(cond_raw, exists)},
      {"cidr", C_CIDR, offsetof(cond_raw, cidr)},
      {"gt", C_GT, offsetof(cond_raw, gt)},
      {"lt", C_LT, offsetof(cond_raw, lt)},
      {"any_of", C_ANY_OF, offsetof(cond_raw, any_of)},
      {"not", C_NOT, offsetof(cond_raw, not_)},
  };
  cond_raw raw = {0};
  const soc_ynode *v = NULL;
  const char *key = NULL;
  size_t given = 0;
  int result;
  c->cap = -1;
  if (++L->conditions > SOC_RULE_CONDITIONS_MAX) {
    soc_schema_error(&L->ctx, n, "%s: more than %d conditions in one rule", where,
                     SOC_RULE_CONDITIONS_MAX);
    return -EINVAL;
  }
  result = soc_schema_apply(cond_fields, NFIELDS(cond_fields), n, &raw, &L->ctx, where);
  if (!n || n->kind != SOC_YNODE_MAP) return -EINVAL;
  for (size_t k = 0; k < NFIELDS(ops); k++) {
    const soc_ynode *x = *(const soc_ynode **)((const char *)&raw + ops[k].off);
    if (!x) continue;
    if (!given++) {
      v = x;
      key = ops[k].key;
      c->op = ops[k].op;
    }
  }
  if (given != 1) {
    soc_schema_error(&L->ctx, n,
                     "%s: expected exactly one of equals, in, not_in, exists, cidr, gt, lt, any_of "
                     "or not, got %zu",
                     where, given);
    return -EINVAL;
  }
  if (c->op == C_ANY_OF || c->op == C_NOT) {
    if (raw.field) {
      soc_schema_error(&L->ctx, raw.field, "%s.field: %s takes conditions, not a field", where,
                       key);
      return -EINVAL;
    }
    if (c->op == C_ANY_OF) return conds_build(L, v, where, "any_of", r, &c->sub, &c->nsub);
    c->sub = calloc(1, sizeof *c->sub);
    if (!c->sub) return -ENOMEM;
    c->nsub = 1;
    char w[WHERE_MAX];
    wjoin(w, "%s.not", where);
    return cond_build(L, v, w, r, c->sub) < 0 ? -EINVAL : result;
  }
  if (!raw.field) {
    soc_schema_error(&L->ctx, n,
                     "%s: missing required key 'field' (the field the condition is about)", where);
    return -EINVAL;
  }
  if (field_of(L, raw.field, where, "field", &c->field) < 0) result = -EINVAL;
  for (size_t i = 0; c->field.name && i < r->ncaps; i++)
    if (!strcmp(r->caps[i].target.name, c->field.name)) c->cap = (int)i;
  switch (c->op) {
    case C_EQUALS:
      if (v->kind != SOC_YNODE_SCALAR || soc_ynode_is_null(v)) {
        soc_schema_error(&L->ctx, v, "%s.equals: expected a value, got %s", where,
                         v->kind == SOC_YNODE_SCALAR ? "nothing" : soc_ynode_kind_name(v));
        return -EINVAL;
      }
      return values_build(L, v, where, key, c) < 0 ? -EINVAL : result;
    case C_IN:
    case C_NOT_IN:
      return values_build(L, v, where, key, c) < 0 ? -EINVAL : result;
    case C_EXISTS:
      if (v->kind == SOC_YNODE_SCALAR &&
          (!strcmp(v->value, "true") || !strcmp(v->value, "false"))) {
        c->exists = v->value[0] == 't';
        return result;
      }
      soc_schema_error(&L->ctx, v, "%s.exists: expected true or false, got '%.100s'", where,
                       v->kind == SOC_YNODE_SCALAR ? v->value : soc_ynode_kind_name(v));
      return -EINVAL;
    case C_CIDR: {
      char **nets = NULL;
      size_t nn = 0;
      if (texts_dup(L, v, where, key, 64, 0, &nets, &nn) < 0) {
        strv_free(nets, nn);
        return -EINVAL;
      }
      c->nets = calloc(nn, sizeof *c->nets);
      if (!c->nets) {
        strv_free(nets, nn);
        return -ENOMEM;
      }
      for (size_t i = 0; i < nn; i++) {
        const soc_ynode *at = v->kind == SOC_YNODE_SEQ ? v->items[i] : v;
        if (soc_rules_parse_net(nets[i], &c->nets[c->nnets]) < 0) {
          soc_schema_error(&L->ctx, at,
                           "%s.cidr: '%s' is not a network; expected e.g. 10.0.0.0/8, "
                           "192.0.2.7 or 2001:db8::/32",
                           where, nets[i]);
          result = -EINVAL;
          continue;
        }
        c->nnets++;
      }
      strv_free(nets, nn);
      return result;
    }
    case C_GT:
    case C_LT:
      if (v->kind != SOC_YNODE_SCALAR || parse_number(v->value, &c->num) < 0) {
        soc_schema_error(&L->ctx, v, "%s.%s: expected a number, got '%.100s'", where, key,
                         v->kind == SOC_YNODE_SCALAR ? v->value : soc_ynode_kind_name(v));
        return -EINVAL;
      }
      return result;
    default:
      return -EINVAL;
  }
}

/* ---- match block -------------------------------------------------------- */

typedef struct match_raw {
  const soc_ynode *program, *facility, *field, *any, *all, *none, *captures, *where;
} match_raw;

static const soc_field match_fields[] = {
    GRAB(match_raw, "program", program, 0, "process.name is one of these"),
    GRAB(match_raw, "facility", facility, 0, "log.syslog.facility.name is one of these"),
    GRAB(match_raw, "field", field, 0, "the field patterns look at (default message)"),
    GRAB(match_raw, "any", any, 0, "at least one of these patterns matches"),
    GRAB(match_raw, "all", all, 0, "every one of these patterns matches"),
    GRAB(match_raw, "none", none, 0, "none of these patterns matches"),
    GRAB(match_raw, "captures", captures, 0, "named regex groups -> fields set on the event"),
    GRAB(match_raw, "where", where, 0, "conditions over fields, after captures"),
};

static int facilities_build(loader *L, const soc_ynode *n, const char *where, soc_rule *r) {
  char **names = NULL;
  size_t nn = 0;
  int result = texts_dup(L, n, where, "facility", 32, 0, &names, &nn);
  for (size_t i = 0; i < nn; i++) {
    const soc_ynode *at = n->kind == SOC_YNODE_SEQ ? n->items[i] : n;
    size_t f = 0;
    while (f < 24 && strcmp(names[i], soc_rules_facility_names[f])) f++;
    if (f < 24) {
      r->facilities |= 1u << f;
      continue;
    }
    const char *hint = soc_schema_suggest(
        names[i], (const char *const[]){"kern",         "user",   "mail",   "daemon",   "auth",
                                        "syslog",       "lpr",    "news",   "uucp",     "cron",
                                        "authpriv",     "ftp",    "ntp",    "security", "console",
                                        "solaris-cron", "local0", "local1", "local2",   "local3",
                                        "local4",       "local5", "local6", "local7",   NULL});
    soc_schema_error(&L->ctx, at, "%s.facility: unknown facility '%.64s'%s%s%s", where, names[i],
                     hint ? "; did you mean '"
                          : "; expected a syslog facility such as auth, authpriv, "
                            "daemon or local0",
                     hint ? hint : "", hint ? "'?" : "");
    result = -EINVAL;
  }
  strv_free(names, nn);
  return result;
}

/* Group names of one regex: every group number called name (several with
 * (?J) or (?|...)), appended to p->cg as (cap, group) pairs. */
static int regex_groups(pattern *p, uint16_t cap, const char *name, int *found) {
  PCRE2_SPTR first = NULL, last = NULL;
  uint32_t entry = 0;
  int rc = pcre2_substring_nametable_scan(p->re, (PCRE2_SPTR)name, &first, &last);
  if (rc < 0) return 0;
  if (pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &entry) != 0 || !entry) return 0;
  for (PCRE2_SPTR e = first; e <= last; e += entry) {
    capgroup *g = realloc(p->cg, (p->ncg + 1) * sizeof *g);
    if (!g) return -ENOMEM;
    p->cg = g;
    p->cg[p->ncg].cap = cap;
    p->cg[p->ncg].group = (uint16_t)((e[0] << 8) | e[1]);
    p->ncg++;
  }
  *found = 1;
  return 0;
}

/* Whether an event takes a value for name (a known field, or an extra that
 * does not collide with one). */
static int field_settable(loader *L, const fref *f) {
  if (f->kind == FREF_STR || f->kind == FREF_INT) return 1;
  if (f->kind != FREF_EXTRA) return 0;
  soc_event_reset(L->probe);
  return soc_event_set(L->probe, f->name, "x", 1) == 0;
}

static int captures_build(loader *L, const soc_ynode *n, const char *where, soc_rule *r) {
  int result = 0;
  char w[WHERE_MAX];
  wjoin(w, "%s.captures", where);
  if (n->kind != SOC_YNODE_MAP || !n->n) {
    soc_schema_error(&L->ctx, n, "%s: expected a mapping of group names to fields, got %s", w,
                     n->kind == SOC_YNODE_MAP ? "an empty mapping" : soc_ynode_kind_name(n));
    return -EINVAL;
  }
  if (n->n > SOC_RULE_CAPTURES_MAX) {
    soc_schema_error(&L->ctx, n, "%s: more than %d captures", w, SOC_RULE_CAPTURES_MAX);
    return -EINVAL;
  }
  r->caps = calloc(n->n, sizeof *r->caps);
  if (!r->caps) return -ENOMEM;
  for (size_t i = 0; i < n->n; i++) {
    const soc_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    capmap *c = &r->caps[r->ncaps];
    int found = 0;
    if (field_of(L, v, w, k->value, &c->target) < 0) {
      result = -EINVAL;
      continue;
    }
    c->group = strdup(k->value);
    r->ncaps++;
    if (!c->group) return -ENOMEM;
    if (c->target.kind == FREF_INT) {
      c->validate = 1;
    } else if (c->target.kind == FREF_STR) {
      soc_event_reset(L->probe); /* only address fields refuse the empty string */
      c->validate = soc_event_set_str(L->probe, (soc_ecs_field)c->target.ecs, "", 0) == -EINVAL;
    }
    if (!field_settable(L, &c->target)) {
      soc_schema_error(&L->ctx, v,
                       "%s.%s: rules can not set '%s' (it is computed, or clashes with a known "
                       "field's name)",
                       w, k->value, c->target.name);
      result = -EINVAL;
    }
    for (size_t j = 0; j + 1 < r->ncaps; j++)
      if (!strcmp(r->caps[j].target.name, c->target.name)) {
        soc_schema_error(&L->ctx, v, "%s.%s: field '%s' is already written by capture '%s'", w,
                         k->value, c->target.name, r->caps[j].group);
        result = -EINVAL;
      }
    for (size_t j = 0; j < r->nall; j++)
      if (r->all[j].re && regex_groups(&r->all[j], (uint16_t)(r->ncaps - 1), c->group, &found))
        return -ENOMEM;
    for (size_t j = 0; j < r->nany; j++)
      if (r->any[j].re && regex_groups(&r->any[j], (uint16_t)(r->ncaps - 1), c->group, &found))
        return -ENOMEM;
    if (!found) {
      soc_schema_error(&L->ctx, k,
                       "%s: no regex of any/all has a group named '%.64s'; write (?<%.64s>...)", w,
                       k->value, k->value);
      result = -EINVAL;
    }
  }
  return result;
}

static int match_build(loader *L, const soc_ynode *n, const char *where, soc_rule *r) {
  match_raw raw = {0};
  char w[WHERE_MAX];
  const char *def = "message";
  char *deffield = NULL;
  int result;
  wjoin(w, "%s.match", where);
  result = soc_schema_apply(match_fields, NFIELDS(match_fields), n, &raw, &L->ctx, w);
  if (!n || n->kind != SOC_YNODE_MAP) return -EINVAL;
  if (raw.field && !soc_ynode_is_null(raw.field)) {
    fref f;
    if (field_of(L, raw.field, w, "field", &f) < 0) return -EINVAL;
    deffield = f.name; /* kept for the patterns, resolved again per pattern */
    def = deffield;
  }
  if (raw.program &&
      texts_dup(L, raw.program, w, "program", 256, 0, &r->programs, &r->nprograms) < 0)
    result = -EINVAL;
  if (raw.facility && facilities_build(L, raw.facility, w, r) < 0) result = -EINVAL;
  if (raw.all && patterns_build(L, raw.all, w, "all", def, 1, &r->all, &r->nall) < 0)
    result = -EINVAL;
  if (raw.any && patterns_build(L, raw.any, w, "any", def, 0, &r->any, &r->nany) < 0)
    result = -EINVAL;
  if (raw.none && patterns_build(L, raw.none, w, "none", def, 1, &r->none, &r->nnone) < 0)
    result = -EINVAL;
  free(deffield);
  if (raw.captures && !soc_ynode_is_null(raw.captures) && captures_build(L, raw.captures, w, r) < 0)
    result = -EINVAL;
  L->conditions = 0;
  if (raw.where && conds_build(L, raw.where, w, "where", r, &r->where, &r->nwhere) < 0)
    result = -EINVAL;
  if (!raw.any && !raw.all && !raw.none && !raw.program && !raw.facility && !raw.where) {
    soc_schema_error(&L->ctx, n,
                     "%s: nothing to match; give at least one of program, facility, any, all, none "
                     "or where",
                     w);
    result = -EINVAL;
  }
  return result;
}

/* ---- correlate and incident -------------------------------------------- */

typedef struct corr_raw {
  const soc_ynode *group_by, *distinct, *after;
  int64_t count, within, suppress;
} corr_raw;

static const soc_field corr_fields[] = {
    GRAB(corr_raw, "group_by", group_by, 0, "the fields whose values make the key"),
    {.key = "count",
     .type = SOC_FIELD_INT,
     .offset = offsetof(corr_raw, count),
     .def = "1",
     .min = 1,
     .max = SOC_RULE_COUNT_MAX,
     .help = "fire at this many hits (or distinct values)"},
    {.key = "within",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(corr_raw, within),
     .min = 1,
     .max = WINDOW_MAX_S,
     .help = "the window the hits must fall in"},
    GRAB(corr_raw, "distinct", distinct, 0, "count distinct values of this field"),
    GRAB(corr_raw, "after", after, 0, "{ rule: ID, within: DURATION }: a sequence"),
    {.key = "suppress",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(corr_raw, suppress),
     .min = 1,
     .max = WINDOW_MAX_S,
     .help = "quiet time for the key after a firing"},
};

typedef struct after_raw {
  const soc_ynode *rule;
  int64_t within;
} after_raw;

static const soc_field after_fields[] = {
    GRAB(after_raw, "rule", rule, SOC_FIELD_REQUIRED, "the rule that must have fired first"),
    {.key = "within",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(after_raw, within),
     .flags = SOC_FIELD_REQUIRED,
     .min = 1,
     .max = WINDOW_MAX_S,
     .help = "how long before this rule's firing"},
};

static int id_ok(const char *s) {
  size_t n = strlen(s);
  return n && n <= SOC_RULE_ID_MAX &&
         strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int correlate_build(loader *L, const soc_ynode *n, const char *where, soc_rule *r) {
  corr_raw raw = {.within = -1, .suppress = -1};
  char w[WHERE_MAX];
  int result;
  wjoin(w, "%s.correlate", where);
  result = soc_schema_apply(corr_fields, NFIELDS(corr_fields), n, &raw, &L->ctx, w);
  if (!n || n->kind != SOC_YNODE_MAP) return -EINVAL;
  r->has_corr = 1;
  r->corr.count = raw.count > 0 ? raw.count : 1;
  if (raw.group_by) {
    if (texts_dup(L, raw.group_by, w, "group_by", SOC_EVENT_KEY_MAX, 0, &r->group_by,
                  &r->corr.ngroup_by) < 0)
      result = -EINVAL;
    if (r->corr.ngroup_by > SOC_RULE_GROUP_BY_MAX) {
      soc_schema_error(&L->ctx, raw.group_by, "%s.group_by: more than %d fields", w,
                       SOC_RULE_GROUP_BY_MAX);
      result = -EINVAL;
    }
    for (size_t i = 0; i < r->corr.ngroup_by; i++)
      if (!field_name_ok(r->group_by[i])) {
        soc_schema_error(&L->ctx, raw.group_by, "%s.group_by: '%.100s' is not a field name", w,
                         r->group_by[i]);
        result = -EINVAL;
      }
  }
  if (raw.distinct) {
    fref f;
    if (field_of(L, raw.distinct, w, "distinct", &f) < 0) {
      result = -EINVAL;
    } else {
      r->distinct = f.name;
    }
  }
  if ((r->corr.count > 1 || raw.distinct) && !soc_ynode_get(n, "within")) {
    soc_schema_error(&L->ctx, n,
                     "%s: missing required key 'within' (the window that count%s applies to)", w,
                     raw.distinct ? " of distinct values" : "");
    result = -EINVAL;
  }
  r->corr.within_ns = raw.within > 0 ? raw.within * NS : 0;
  r->corr.suppress_ns = raw.suppress > 0 ? raw.suppress * NS : 0;
  if (raw.after) {
    after_raw a = {.within = -1};
    char aw[WHERE_MAX];
    wjoin(aw, "%s.after", w);
    if (soc_schema_apply(after_fields, NFIELDS(after_fields), raw.after, &a, &L->ctx, aw) < 0)
      result = -EINVAL;
    if (a.rule) {
      r->after_id = text_dup(L, a.rule, aw, "rule", SOC_RULE_ID_MAX + 1, 0);
      if (!r->after_id) {
        result = -EINVAL;
      } else if (!id_ok(r->after_id)) {
        soc_schema_error(&L->ctx, a.rule, "%s.rule: '%.100s' is not a rule id", aw, r->after_id);
        result = -EINVAL;
      } else if (!strcmp(r->after_id, r->id)) {
        soc_schema_error(&L->ctx, a.rule,
                         "%s.rule: a rule can not follow itself (it could never fire first)", aw);
        result = -EINVAL;
      }
      r->after_line = a.rule->line;
      r->after_col = a.rule->col;
    }
    r->corr.after_within_ns = a.within > 0 ? a.within * NS : 0;
  }
  r->corr.group_by = (const char *const *)r->group_by;
  r->corr.distinct = r->distinct;
  return result;
}

typedef struct incident_raw {
  const soc_ynode *category, *subtype, *impact, *severity, *data_class, *asset_from, *group_by;
  int64_t outage_minutes;
} incident_raw;

static const soc_field incident_fields[] = {
    GRAB(incident_raw, "category", category, SOC_FIELD_REQUIRED,
         "web-attack, intrusion, denial-of-service, equipment or other"),
    GRAB(incident_raw, "subtype", subtype, 0, "free text within the category"),
    GRAB(incident_raw, "impact", impact, SOC_FIELD_REQUIRED,
         "none (alerts only), leak, tamper or outage (a draft)"),
    GRAB(incident_raw, "severity", severity, 0, "tamper: minor or severe"),
    GRAB(incident_raw, "data_class", data_class, 0,
         "leak: national-secret, classified, sensitive, general or asset"),
    {.key = "outage_minutes",
     .type = SOC_FIELD_INT,
     .offset = offsetof(incident_raw, outage_minutes),
     .def = "0",
     .min = 0,
     .max = 525600,
     .help = "outage: minutes known at detection"},
    GRAB(incident_raw, "asset_from", asset_from, 0, "fields to find the asset by"),
    GRAB(incident_raw, "group_by", group_by, 0,
         "entities that make a firing part of an intrusion (default: correlate.group_by "
         "without host.name); host.name: any open draft of the host"),
};

/* A level.h or category name from a node; NULL when absent (or after a message). */
static char *name_of(loader *L, const soc_ynode *n, const char *where, const char *key) {
  return n ? text_dup(L, n, where, key, 64, 0) : NULL;
}

/* A list of field names under key of where. Returns 0, or -EINVAL after
 * the messages. */
static int field_names_dup(loader *L, const soc_ynode *n, const char *where, const char *key,
                           char ***out, size_t *nout) {
  int result = texts_dup(L, n, where, key, SOC_EVENT_KEY_MAX, 0, out, nout) < 0 ? -EINVAL : 0;
  for (size_t i = 0; i < *nout; i++)
    if (!field_name_ok((*out)[i])) {
      soc_schema_error(&L->ctx, n, "%s.%s: '%.100s' is not a field name", where, key, (*out)[i]);
      result = -EINVAL;
    }
  return result;
}

static int incident_build(loader *L, const soc_ynode *n, const char *where, soc_rule *r) {
  incident_raw raw = {0};
  soc_rule_incident *in = &r->incident;
  char w[WHERE_MAX], *s;
  int result;
  wjoin(w, "%s.incident", where);
  result = soc_schema_apply(incident_fields, NFIELDS(incident_fields), n, &raw, &L->ctx, w);
  if (!n || n->kind != SOC_YNODE_MAP) return -EINVAL;
  if ((s = name_of(L, raw.category, w, "category"))) {
    in->category = soc_incident_category_parse(s);
    if (in->category == SOC_CATEGORY_NONE) {
      const char *hint = soc_schema_suggest(
          s, (const char *const[]){"web-attack", "intrusion", "denial-of-service", "equipment",
                                   "other", NULL});
      soc_schema_error(&L->ctx, raw.category, "%s.category: unknown category '%.64s'%s%s%s", w, s,
                       hint ? "; did you mean '"
                            : "; expected web-attack, intrusion, denial-of-service, "
                              "equipment or other",
                       hint ? hint : "", hint ? "'?" : "");
      result = -EINVAL;
    }
    free(s);
  } else if (raw.category) {
    result = -EINVAL;
  }
  if ((s = name_of(L, raw.impact, w, "impact"))) {
    in->impact = soc_impact_kind_parse(s);
    in->alert_only = name_eq(s, "none");
    if (in->impact == SOC_IMPACT_NONE && !in->alert_only) {
      soc_schema_error(&L->ctx, raw.impact,
                       "%s.impact: unknown impact '%.64s'; expected none, leak, tamper or outage",
                       w, s);
      result = -EINVAL;
    }
    free(s);
  } else if (raw.impact) {
    result = -EINVAL;
  }
  if ((s = name_of(L, raw.severity, w, "severity"))) {
    in->severity = soc_severity_parse(s);
    if (in->severity == SOC_SEVERITY_NONE) {
      soc_schema_error(&L->ctx, raw.severity,
                       "%s.severity: unknown severity '%.64s'; expected minor or severe", w, s);
      result = -EINVAL;
    } else if (in->impact != SOC_IMPACT_TAMPER && in->impact != SOC_IMPACT_NONE) {
      soc_schema_error(&L->ctx, raw.severity, "%s.severity: only a tamper impact has a severity",
                       w);
      result = -EINVAL;
    }
    free(s);
  } else if (raw.severity) {
    result = -EINVAL;
  } else if (in->impact == SOC_IMPACT_TAMPER) {
    soc_schema_error(
        &L->ctx, n, "%s: missing required key 'severity' (minor or severe) for a tamper impact", w);
    result = -EINVAL;
  }
  if ((s = name_of(L, raw.data_class, w, "data_class"))) {
    if (name_eq(s, "asset")) {
      in->data_from_asset = 1;
    } else if ((in->data_class = soc_data_class_parse(s)) == SOC_DATA_NONE) {
      soc_schema_error(&L->ctx, raw.data_class,
                       "%s.data_class: unknown data class '%.64s'; expected "
                       "national-secret, classified, sensitive, general or asset",
                       w, s);
      result = -EINVAL;
    }
    if (in->impact != SOC_IMPACT_LEAK && in->impact != SOC_IMPACT_NONE) {
      soc_schema_error(&L->ctx, raw.data_class,
                       "%s.data_class: only a leak impact has a data class", w);
      result = -EINVAL;
    }
    free(s);
  } else if (raw.data_class) {
    result = -EINVAL;
  } else if (in->impact == SOC_IMPACT_LEAK) {
    in->data_from_asset = 1; /* RULES.md: the asset's highest class */
  }
  in->outage_minutes = raw.outage_minutes;
  if (raw.outage_minutes && in->impact != SOC_IMPACT_OUTAGE && in->impact != SOC_IMPACT_NONE) {
    soc_schema_error(&L->ctx, soc_ynode_get(n, "outage_minutes"),
                     "%s.outage_minutes: only an outage impact has minutes", w);
    result = -EINVAL;
  }
  if (raw.subtype && !soc_ynode_is_null(raw.subtype)) {
    if (!(r->subtype = text_dup(L, raw.subtype, w, "subtype", 256, 1))) result = -EINVAL;
  }
  if (!r->subtype && !(r->subtype = strdup(""))) return -ENOMEM;
  if (raw.asset_from) {
    if (field_names_dup(L, raw.asset_from, w, "asset_from", &r->asset_from, &r->nasset_from) < 0)
      result = -EINVAL;
  } else {
    static const char *const def[] = {"host.name", "host.ip", "destination.ip"};
    r->asset_from = calloc(3, sizeof *r->asset_from);
    if (!r->asset_from) return -ENOMEM;
    for (size_t i = 0; i < 3; i++) {
      if (!(r->asset_from[i] = strdup(def[i]))) return -ENOMEM;
      r->nasset_from++;
    }
  }
  if (raw.group_by) {
    if (field_names_dup(L, raw.group_by, w, "group_by", &r->triage_by, &r->ntriage_by) < 0)
      result = -EINVAL;
    in->group_by_set = 1;
  }
  in->group_by = (const char *const *)r->triage_by;
  in->ngroup_by = r->ntriage_by;
  in->subtype = r->subtype;
  in->asset_from = (const char *const *)r->asset_from;
  in->nasset_from = r->nasset_from;
  return result;
}

/* ---- one rule ----------------------------------------------------------- */

typedef struct rule_raw {
  const soc_ynode *id, *title, *description, *references, *mitre, *match, *correlate, *incident;
} rule_raw;

static const soc_field rule_fields[] = {
    GRAB(rule_raw, "id", id, SOC_FIELD_REQUIRED, "unique id: 1-64 of [A-Za-z0-9._-]"),
    GRAB(rule_raw, "title", title, SOC_FIELD_REQUIRED, "one line an analyst reads first"),
    GRAB(rule_raw, "description", description, 0, "what the rule detects and why"),
    GRAB(rule_raw, "references", references, 0, "links"),
    GRAB(rule_raw, "mitre", mitre, 0, "ATT&CK technique ids, e.g. T1110.001"),
    GRAB(rule_raw, "match", match, SOC_FIELD_REQUIRED, "what one line must look like"),
    GRAB(rule_raw, "correlate", correlate, 0, "counting, windows, sequences, suppression"),
    GRAB(rule_raw, "incident", incident, SOC_FIELD_REQUIRED, "what a hit means"),
};

static int mitre_ok(const char *s) {
  /* T1234 or T1234.567 */
  if (s[0] != 'T') return 0;
  for (int i = 1; i <= 4; i++)
    if (!isdigit((unsigned char)s[i])) return 0;
  if (!s[5]) return 1;
  return s[5] == '.' && isdigit((unsigned char)s[6]) && isdigit((unsigned char)s[7]) &&
         isdigit((unsigned char)s[8]) && !s[9];
}

static soc_rule *rule_build(loader *L, const soc_ynode *n, size_t idx, int single) {
  rule_raw raw = {0};
  char where[WHERE_MAX];
  int bad = 0;
  soc_rule *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->line = n->line;
  r->col = n->col;
  if (single)
    wjoin(where, "rule");
  else
    wjoin(where, "rules[%zu]", idx);
  r->file = strdup(L->ctx.file);
  if (!r->file) goto fail;
  if (n->kind != SOC_YNODE_MAP) {
    soc_schema_error(&L->ctx, n,
                     "%s: expected a rule (a mapping with id, title, match, incident), got %s",
                     where, soc_ynode_kind_name(n));
    goto fail;
  }
  const soc_ynode *idn = soc_ynode_get(n, "id");
  if (idn && idn->kind == SOC_YNODE_SCALAR && id_ok(idn->value))
    wjoin(where, "%s", idn->value); /* messages name the rule */
  if (soc_schema_apply(rule_fields, NFIELDS(rule_fields), n, &raw, &L->ctx, where) < 0) bad = 1;
  if (raw.id) {
    r->id = text_dup(L, raw.id, where, "id", SOC_RULE_ID_MAX + 64, 0);
    if (!r->id) {
      bad = 1;
    } else if (!id_ok(r->id)) {
      soc_schema_error(&L->ctx, raw.id,
                       "%s.id: '%.100s' is not a valid id; expected 1-64 letters, digits, "
                       "'.', '_' or '-'",
                       where, r->id);
      bad = 1;
    }
  }
  if (!r->id && !(r->id = strdup(""))) goto fail;
  if (raw.title && !(r->title = text_dup(L, raw.title, where, "title", 256, 0))) bad = 1;
  if (raw.description && !soc_ynode_is_null(raw.description) &&
      !(r->description = text_dup(L, raw.description, where, "description", SOC_RULE_TEXT_MAX, 1)))
    bad = 1;
  if (raw.references && !soc_ynode_is_null(raw.references) &&
      texts_dup(L, raw.references, where, "references", 2048, 0, &r->refs, &r->nrefs) < 0)
    bad = 1;
  if (raw.mitre && !soc_ynode_is_null(raw.mitre)) {
    if (texts_dup(L, raw.mitre, where, "mitre", 16, 0, &r->mitre, &r->nmitre) < 0) bad = 1;
    for (size_t i = 0; i < r->nmitre; i++)
      if (!mitre_ok(r->mitre[i])) {
        const soc_ynode *at = raw.mitre->kind == SOC_YNODE_SEQ ? raw.mitre->items[i] : raw.mitre;
        soc_schema_error(&L->ctx, at,
                         "%s.mitre: '%s' is not an ATT&CK technique id such as T1110 or T1110.001",
                         where, r->mitre[i]);
        bad = 1;
      }
  }
  if (raw.match && match_build(L, raw.match, where, r) < 0) bad = 1;
  if (raw.correlate && !soc_ynode_is_null(raw.correlate) &&
      correlate_build(L, raw.correlate, where, r) < 0)
    bad = 1;
  if (raw.incident && incident_build(L, raw.incident, where, r) < 0) bad = 1;
  if (!r->title && !(r->title = strdup(""))) goto fail;
  if (!r->description && !(r->description = strdup(""))) goto fail;
  if (!bad) {
    const pattern *blame = NULL;
    r->anchored = soc_rules_rule_anchor_blame(r, &blame);
    if (!r->anchored && blame)
      soc_diag_add(L->ctx.diag, SOC_DIAG_WARNING, L->ctx.file, blame->line, blame->col,
                   "%s: regex '%.80s' has no literal it requires, so this rule is evaluated on "
                   "every line and slows every other rule down; add a fixed word outside "
                   "groups and alternations, or a contains: pattern",
                   where, blame->text);
  }
  if (bad) goto fail;
  return r;
fail:
  soc_rules_rule_free(r);
  return NULL;
}

/* ---- files and the set -------------------------------------------------- */

typedef struct file_rules {
  char *name;
  soc_rule **rules;
  size_t n;
  int ok;
} file_rules;

static void file_rules_release(file_rules *f) {
  for (size_t i = 0; i < f->n; i++) soc_rules_rule_free(f->rules[i]);
  free(f->rules);
  free(f->name);
  memset(f, 0, sizeof *f);
}

/* Compiles one parsed document. f->ok tells whether the file is good. */
static int load_doc(loader *L, const soc_ydoc *doc, file_rules *f) {
  const soc_ynode *root = soc_ydoc_root(doc);
  size_t errors = soc_diag_errors(L->ctx.diag);
  size_t n;
  int single;
  if (!root) {
    soc_schema_warning(&L->ctx, NULL, "no rules in the file");
    f->ok = 1;
    return 0;
  }
  if (root->kind == SOC_YNODE_SCALAR) {
    soc_schema_error(&L->ctx, root, "expected a rule (a mapping) or a list of rules, got a scalar");
    return 0;
  }
  single = root->kind == SOC_YNODE_MAP;
  n = single ? 1 : root->n;
  if (n > SOC_RULES_MAX) {
    soc_schema_error(&L->ctx, root, "%zu rules, more than the limit of %d", n, SOC_RULES_MAX);
    return 0;
  }
  if (!n) soc_schema_warning(&L->ctx, root, "no rules in the file");
  f->rules = calloc(n ? n : 1, sizeof *f->rules);
  if (!f->rules) return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    soc_rule *r = rule_build(L, single ? root : root->items[i], i, single);
    if (!r) continue;
    for (size_t j = 0; j < f->n; j++)
      if (!strcmp(f->rules[j]->id, r->id)) {
        const soc_ynode *at = soc_ynode_get(single ? root : root->items[i], "id");
        soc_schema_error(&L->ctx, at, "duplicate rule id '%s' (first at line %u)", r->id,
                         f->rules[j]->line);
      }
    f->rules[f->n++] = r;
  }
  f->ok = soc_diag_errors(L->ctx.diag) == errors;
  return 0;
}

typedef struct id_entry {
  const char *id;
  size_t file, pos;
} id_entry;

static int cmp_id_entry(const void *a, const void *b) {
  const id_entry *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  if (c) return c;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The good files' ids, sorted. */
static id_entry *index_ids(file_rules *files, size_t nfiles, size_t *count) {
  size_t n = 0, k = 0;
  id_entry *e;
  for (size_t i = 0; i < nfiles; i++)
    if (files[i].ok) n += files[i].n;
  e = calloc(n ? n : 1, sizeof *e);
  if (!e) return NULL;
  for (size_t i = 0; i < nfiles; i++)
    for (size_t j = 0; files[i].ok && j < files[i].n; j++)
      e[k++] = (id_entry){files[i].rules[j]->id, i, j};
  qsort(e, n, sizeof *e, cmp_id_entry);
  *count = n;
  return e;
}

static const id_entry *find_id(const id_entry *e, size_t n, const char *id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(e[mid].id, id);
    if (!c) {
      while (mid > 0 && !strcmp(e[mid - 1].id, id)) mid--;
      return &e[mid];
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* Checks across files, in file order: later duplicates, then sequences
 * whose first rule did not load, until nothing changes. */
static int cross_check(file_rules *files, size_t nfiles, soc_diag *diag) {
  size_t n = 0;
  id_entry *e = index_ids(files, nfiles, &n);
  if (!e) return -ENOMEM;
  for (size_t i = 1; i < n; i++) {
    if (strcmp(e[i].id, e[i - 1].id)) continue;
    size_t first = i - 1;
    while (first > 0 && !strcmp(e[first - 1].id, e[i].id)) first--;
    if (e[i].file == e[first].file) continue; /* reported by load_doc */
    const soc_rule *r = files[e[i].file].rules[e[i].pos];
    const soc_rule *o = files[e[first].file].rules[e[first].pos];
    soc_diag_add(diag, SOC_DIAG_ERROR, r->file, r->line, r->col,
                 "duplicate rule id '%s' (first in %s:%u); ids are unique across all rule files",
                 r->id, o->file, o->line);
    files[e[i].file].ok = 0;
  }
  for (int changed = 1; changed;) {
    changed = 0;
    free(e);
    e = index_ids(files, nfiles, &n);
    if (!e) return -ENOMEM;
    for (size_t i = 0; i < nfiles; i++)
      for (size_t j = 0; files[i].ok && j < files[i].n; j++) {
        const soc_rule *r = files[i].rules[j];
        if (!r->after_id || find_id(e, n, r->after_id)) continue;
        soc_diag_add(diag, SOC_DIAG_ERROR, r->file, r->after_line, r->after_col,
                     "%s.correlate.after.rule: no loaded rule has id '%s'", r->id, r->after_id);
        files[i].ok = 0;
        changed = 1;
      }
  }
  free(e);
  return 0;
}

static int cmp_rule_id(const void *a, const void *b) {
  return strcmp((*(soc_rule *const *)a)->id, (*(soc_rule *const *)b)->id);
}

/* name resolved (soc_rules_field in rules_internal.h); NULL when out of
 * memory. */
static soc_rules_field *field_resolve(const char *name, soc_event *probe) {
  size_t n = 1;
  for (const char *p = name; (p = strchr(p, '|')); p++) n++;
  soc_rules_field *f = calloc(1, sizeof *f + n * sizeof f->alt[0]);
  if (!f) return NULL;
  for (const char *p = name;;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    /* soc_rules_field_value passes over a part before a '|' too long to be a name */
    if (!bar || len <= SOC_EVENT_KEY_MAX) {
      field_alt *a = &f->alt[f->n++];
      char *one = strndup(p, len);
      int rc = one ? soc_rules_fref_resolve(one, probe, &a->f) : -ENOMEM;
      if (rc == -EINVAL) {
        a->by_name = 1;
        a->f.name = one;
        one = NULL;
      }
      free(one);
      if (rc == -ENOMEM) {
        field_free(f);
        return NULL;
      }
    }
    if (!bar) return f;
    p = bar + 1;
  }
}

/* names[0..n) resolved into *out (NULL when names is); -ENOMEM. */
static int fields_resolve(const char *const *names, size_t n, soc_event *probe,
                          soc_rules_field ***out) {
  *out = NULL;
  if (!names) return 0;
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out) return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (!((*out)[i] = field_resolve(names[i], probe))) return -ENOMEM;
  return 0;
}

/* The field names the public structs of r name, resolved beside them. */
static int rule_fields_resolve(soc_rule *r, soc_event *probe) {
  soc_rule_incident *in = &r->incident;
  soc_rule_correlate *c = &r->corr;
  if (fields_resolve(in->asset_from, in->nasset_from, probe, &r->asset_from_f) < 0 ||
      fields_resolve(in->group_by, in->ngroup_by, probe, &r->triage_by_f) < 0 ||
      fields_resolve(c->group_by, c->ngroup_by, probe, &r->group_by_f) < 0 ||
      fields_resolve(c->member_distinct, c->nmembers, probe, &r->member_distinct_f) < 0 ||
      (c->distinct && !(r->distinct_f = field_resolve(c->distinct, probe))))
    return -ENOMEM;
  if (c->member_group_by) {
    size_t nm = c->nmembers;
    if (!(r->member_group_by_f = calloc(nm ? nm : 1, sizeof *r->member_group_by_f))) return -ENOMEM;
    for (size_t i = 0; i < nm; i++)
      if (fields_resolve(c->member_group_by[i], c->ngroup_by, probe, &r->member_group_by_f[i]) < 0)
        return -ENOMEM;
  }
  in->asset_from_fields = (const soc_rules_field *const *)r->asset_from_f;
  in->group_by_fields = (const soc_rules_field *const *)r->triage_by_f;
  c->group_by_fields = (const soc_rules_field *const *)r->group_by_f;
  c->distinct_field = r->distinct_f;
  c->member_group_by_fields = (const soc_rules_field *const *const *)r->member_group_by_f;
  c->member_distinct_fields = (const soc_rules_field *const *)r->member_distinct_f;
  return 0;
}

/* Moves the good files' rules into a set and builds the matcher. */
static int build_set(file_rules *files, size_t nfiles, soc_event *probe, soc_rules **out,
                     soc_diag *diag) {
  int result = -ENOMEM;
  size_t total = 0;
  soc_rules *rs = calloc(1, sizeof *rs);
  if (!rs) goto out;
  for (size_t i = 0; i < nfiles; i++)
    if (files[i].ok) total += files[i].n;
  if (total > SOC_RULES_MAX) {
    soc_diag_add(diag, SOC_DIAG_ERROR, NULL, 0, 0, "%zu rules in all, more than the limit of %d",
                 total, SOC_RULES_MAX);
    result = -E2BIG;
    goto out;
  }
  rs->rules = calloc(total ? total : 1, sizeof *rs->rules);
  rs->by_id = calloc(total ? total : 1, sizeof *rs->by_id);
  if (!rs->rules || !rs->by_id) goto out;
  for (size_t i = 0; i < nfiles; i++) {
    for (size_t j = 0; files[i].ok && j < files[i].n; j++) {
      soc_rule *r = files[i].rules[j];
      r->index = rs->n;
      rs->rules[rs->n] = rs->by_id[rs->n] = r;
      rs->n++;
      files[i].rules[j] = NULL;
    }
  }
  qsort(rs->by_id, rs->n, sizeof *rs->by_id, cmp_rule_id);
  for (size_t i = 0; i < rs->n; i++) {
    soc_rule *r = rs->rules[i];
    if (r->after_id) r->corr.after = soc_rules_find(rs, r->after_id);
    if (rule_fields_resolve(r, probe) < 0) goto out;
  }
  result = soc_rules_build_automata(rs);
  if (result == -E2BIG)
    soc_diag_add(diag, SOC_DIAG_ERROR, NULL, 0, 0,
                 "the rules' literals make an automaton larger than the limit");
  if (result) goto out;
  *out = rs;
  rs = NULL;
out:
  soc_rules_free(rs);
  return result;
}

typedef struct source {
  const char *name;
  const char *buf; /* NULL: read the file called name */
  size_t len;
  int sigma; /* a Sigma rule (sigma.c), not one of ours */
} source;

/* A Sigma file holds one rule, loaded or refused with a warning: a refused
 * Sigma rule is an answer (that engine can not run it), not a broken file,
 * so the file stays good and only its rule is missing. */
static int sigma_done(file_rules *f, soc_rules_stats *st, soc_rule *r, int reason) {
  f->ok = 1;
  if (!r) {
    st->sigma_refused++;
    st->sigma_reasons[reason]++;
    return 0;
  }
  f->rules = calloc(1, sizeof *f->rules);
  if (!f->rules) {
    soc_rules_rule_free(r);
    return -ENOMEM;
  }
  f->rules[f->n++] = r;
  st->sigma_loaded++;
  return 0;
}

static int load_sigma(loader *L, const soc_ydoc *doc, file_rules *f, soc_rules_stats *st) {
  soc_rule *r = NULL;
  int reason = SOC_SIGMA_SYNTAX;
  int rc = soc_rules_sigma_compile(soc_ydoc_root(doc), L->ctx.file, L->probe, L->ctx.diag,
                                   L->sigma_opts, &r, &reason);
  return rc ? rc : sigma_done(f, st, r, reason);
}

/* A correlation names its rules by Sigma id or name; only rules of good
 * files count, as in cross_check. */
typedef struct sigma_scope {
  file_rules *files;
  size_t n;
} sigma_scope;

static soc_rule *sigma_lookup(void *arg, const char *name) {
  const sigma_scope *sc = arg;
  for (size_t i = 0; i < sc->n; i++)
    for (size_t j = 0; sc->files[i].ok && j < sc->files[i].n; j++) {
      soc_rule *r = sc->files[i].rules[j];
      if (r->sigma && (!strcmp(r->id, name) || (r->sigma_name && !strcmp(r->sigma_name, name))))
        return r;
    }
  return NULL;
}

/* Correlations last, once every rule they may name is in; one whose id
 * is taken is refused like a duplicate file. */
static int load_sigma_correlation(const soc_ydoc *doc, file_rules *files, size_t n, size_t i,
                                  const soc_sigma_opts *opts, soc_rules_stats *st, soc_diag *diag) {
  sigma_scope sc = {files, n};
  soc_rule *r = NULL;
  int reason = SOC_SIGMA_SYNTAX;
  int rc = soc_rules_sigma_compile_correlation(soc_ydoc_root(doc), files[i].name, diag, opts,
                                               sigma_lookup, &sc, &r, &reason);
  if (rc) return rc;
  if (r && sigma_lookup(&sc, r->id)) {
    soc_diag_add(diag, SOC_DIAG_WARNING, files[i].name, r->line, r->col,
                 "Sigma rule %s refused (syntax): the id is taken by another rule", r->id);
    soc_rules_rule_free(r);
    r = NULL;
    reason = SOC_SIGMA_SYNTAX;
  }
  return sigma_done(&files[i], st, r, reason);
}

static int load_sources(const source *src, size_t n, const soc_sigma_opts *opts, soc_rules **out,
                        soc_rules_stats *st, soc_diag *diag) {
  int result = -ENOMEM;
  file_rules *files = calloc(n ? n : 1, sizeof *files);
  soc_ydoc **later = calloc(n ? n : 1, sizeof *later);
  soc_rules *rs = NULL;
  size_t warnings = soc_diag_warnings(diag);
  loader L = {.ctx = {.diag = diag}, .sigma_opts = opts};
  soc_rules_stats local;
  if (out) *out = NULL;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  L.probe = soc_event_new();
  if (!files || !later || !L.probe) goto out;
  for (size_t i = 0; i < n; i++) {
    soc_ydoc *doc = NULL;
    int rc;
    files[i].name = strdup(src[i].name ? src[i].name : "<memory>");
    if (!files[i].name) goto out;
    L.ctx.file = files[i].name;
    rc = src[i].buf || !src[i].name
             ? soc_ydoc_load_buffer(files[i].name, src[i].buf ? src[i].buf : "", src[i].len, &doc,
                                    diag)
             : soc_ydoc_load_file(files[i].name, &doc, diag);
    if (rc == -ENOMEM) goto out;
    if (rc && src[i].sigma) {
      st->sigma_refused++;
      st->sigma_reasons[SOC_SIGMA_SYNTAX]++;
    }
    if (rc == 0 && src[i].sigma && soc_ydoc_root(doc) &&
        soc_ynode_get(soc_ydoc_root(doc), "correlation")) {
      later[i] = doc; /* compiled once every rule it may name is in */
      continue;
    }
    if (rc == 0)
      rc = src[i].sigma ? load_sigma(&L, doc, &files[i], st) : load_doc(&L, doc, &files[i]);
    soc_ydoc_free(doc);
    if (rc == -ENOMEM) goto out;
  }
  result = cross_check(files, n, diag);
  if (result) goto out;
  for (size_t i = 0; i < n; i++) {
    if (!later[i]) continue;
    result = load_sigma_correlation(later[i], files, n, i, opts, st, diag);
    soc_ydoc_free(later[i]);
    later[i] = NULL;
    if (result) goto out;
  }
  result = build_set(files, n, L.probe, &rs, diag);
  if (result) goto out;
  for (size_t i = 0; i < n; i++) {
    if (files[i].ok)
      st->files_ok++;
    else
      st->files_failed++;
  }
  st->rules = rs->n;
  for (size_t i = 0; i < rs->nac; i++) st->literals += rs->ac[i].nliterals;
  st->unanchored = rs->nunanchored;
  st->warnings = soc_diag_warnings(diag) - warnings;
  if (out) {
    *out = rs;
    rs = NULL;
  }
out:
  for (size_t i = 0; files && i < n; i++) file_rules_release(&files[i]);
  for (size_t i = 0; later && i < n; i++) soc_ydoc_free(later[i]);
  free(later);
  free(files);
  soc_event_free(L.probe);
  soc_rules_free(rs);
  return result;
}

int soc_rules_load(const char *const *files, size_t n, soc_rules **out, soc_rules_stats *st,
                   soc_diag *diag) {
  return soc_rules_load_with_sigma(files, n, NULL, 0, out, st, diag);
}

int soc_rules_load_with_sigma(const char *const *files, size_t n, const char *const *sigma,
                              size_t nsigma, soc_rules **out, soc_rules_stats *st, soc_diag *diag) {
  return soc_rules_load_sigma_opts(files, n, sigma, nsigma, NULL, out, st, diag);
}

int soc_rules_load_sigma_opts(const char *const *files, size_t n, const char *const *sigma,
                              size_t nsigma, const soc_sigma_opts *opts, soc_rules **out,
                              soc_rules_stats *st, soc_diag *diag) {
  int result = -ENOMEM;
  source *src = calloc(n + nsigma ? n + nsigma : 1, sizeof *src);
  if (!src) return result;
  for (size_t i = 0; i < n; i++) src[i].name = files[i];
  for (size_t i = 0; i < nsigma; i++) src[n + i] = (source){.name = sigma[i], .sigma = 1};
  result = load_sources(src, n + nsigma, opts, out, st, diag);
  free(src);
  return result;
}

int soc_rules_load_sigma_buffers(const char *const *names, const char *const *bufs,
                                 const size_t *lens, size_t n, const soc_sigma_opts *opts,
                                 soc_rules **out, soc_rules_stats *st, soc_diag *diag) {
  int result = -ENOMEM;
  source *src = calloc(n ? n : 1, sizeof *src);
  if (!src) return result;
  for (size_t i = 0; i < n; i++)
    src[i] = (source){.name = names[i] ? names[i] : "<memory>",
                      .buf = bufs[i] ? bufs[i] : "",
                      .len = bufs[i] ? lens[i] : 0,
                      .sigma = 1};
  result = load_sources(src, n, opts, out, st, diag);
  free(src);
  return result;
}

int soc_rules_load_sigma_buffer(const char *name, const char *buf, size_t len, soc_rules **out,
                                soc_rules_stats *st, soc_diag *diag) {
  source src = {
      .name = name ? name : "<memory>", .buf = buf ? buf : "", .len = buf ? len : 0, .sigma = 1};
  return load_sources(&src, 1, NULL, out, st, diag);
}

int soc_rules_load_buffer(const char *name, const char *buf, size_t len, soc_rules **out,
                          soc_rules_stats *st, soc_diag *diag) {
  source src = {.name = name ? name : "<memory>", .buf = buf ? buf : "", .len = buf ? len : 0};
  return load_sources(&src, 1, NULL, out, st, diag);
}

/* ---- accessors ---------------------------------------------------------- */

size_t soc_rules_count(const soc_rules *rules) { return rules ? rules->n : 0; }

/* Whether list (a field name, or "a|b|...") names name. */
static int names(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p; p = strchr(p, '|')) {
    if (*p == '|') p++;
    if (!strncmp(p, name, n) && (p[n] == '\0' || p[n] == '|')) return 1;
  }
  return 0;
}

static int names_in(char *const *list, size_t n, const char *name) {
  for (size_t i = 0; list && i < n; i++)
    if (list[i] && names(list[i], name)) return 1;
  return 0;
}

static int patterns_name(const pattern *p, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (names(p[i].field.name, name)) return 1;
  return 0;
}

static int conds_name(const cond *c, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++) {
    if ((c[i].field.name && names(c[i].field.name, name)) ||
        (c[i].ref.name && names(c[i].ref.name, name)) ||
        (c[i].pat && names(c[i].pat->field.name, name)) || conds_name(c[i].sub, c[i].nsub, name))
      return 1;
  }
  return 0;
}

int soc_rules_names_field(const soc_rules *rules, const char *name) {
  for (size_t i = 0; rules && i < rules->n; i++) {
    const soc_rule *r = rules->rules[i];
    if (patterns_name(r->all, r->nall, name) || patterns_name(r->any, r->nany, name) ||
        patterns_name(r->none, r->nnone, name) || conds_name(r->where, r->nwhere, name) ||
        names_in(r->group_by, r->corr.ngroup_by, name) ||
        (r->distinct && names(r->distinct, name)) ||
        names_in(r->asset_from, r->nasset_from, name) ||
        names_in(r->triage_by, r->ntriage_by, name) ||
        names_in(r->member_distinct, r->nmember_group_by, name))
      return 1;
    for (size_t j = 0; j < r->ncaps; j++)
      if (names(r->caps[j].target.name, name)) return 1;
    for (size_t j = 0; r->member_group_by && j < r->nmember_group_by; j++)
      if (names_in(r->member_group_by[j], r->corr.ngroup_by, name)) return 1;
  }
  return 0;
}

const soc_rule *soc_rules_at(const soc_rules *rules, size_t i) {
  return rules && i < rules->n ? rules->rules[i] : NULL;
}

const soc_rule *soc_rules_find(const soc_rules *rules, const char *id) {
  size_t lo = 0, hi = rules && id ? rules->n : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(rules->by_id[mid]->id, id);
    if (!c) return rules->by_id[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

size_t soc_rule_index(const soc_rule *r) { return r->index; }
const char *soc_rule_id(const soc_rule *r) { return r->id; }
const char *soc_rule_title(const soc_rule *r) { return r->title; }
const char *soc_rule_description(const soc_rule *r) { return r->description; }
const char *soc_rule_file(const soc_rule *r) { return r->file; }
const char *soc_rule_level(const soc_rule *r) { return r->level ? r->level : ""; }
const char *soc_rule_author(const soc_rule *r) { return r->author ? r->author : ""; }
int soc_rule_is_sigma(const soc_rule *r) { return r->sigma; }
int soc_rule_silent(const soc_rule *r) { return r->silent && !r->generate; }
unsigned soc_rule_line(const soc_rule *r) { return r->line; }

const char *const *soc_rule_mitre(const soc_rule *r, size_t *n) {
  if (n) *n = r->nmitre;
  return (const char *const *)r->mitre;
}

const char *const *soc_rule_references(const soc_rule *r, size_t *n) {
  if (n) *n = r->nrefs;
  return (const char *const *)r->refs;
}

const soc_rule_incident *soc_rule_incident_of(const soc_rule *r) { return &r->incident; }

const soc_rule_correlate *soc_rule_correlation(const soc_rule *r) {
  return r->has_corr ? &r->corr : NULL;
}

int soc_rule_anchored(const soc_rule *r) { return r->anchored; }
