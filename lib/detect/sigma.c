/*
 * sigma — Sigma rules (docs/SIGMA.md) compiled onto our rule engine.
 *
 * A Sigma rule's detection is a boolean expression over named selections,
 * each a set of field tests. We compile it into one `where` tree of the
 * engine's conditions (rules_internal.h), whose leaves are the engine's own
 * patterns: contains/startswith/endswith/equals folded the way the matcher
 * folds, and PCRE2 for what plain text can not say (wildcards inside a
 * value, the re modifier). So a Sigma rule costs what one of ours costs.
 *
 * Keeping the cost per line flat in the number of rules needs a literal per
 * rule for the Aho-Corasick prefilter. The tree gives it: a set of leaf
 * patterns one of which every match satisfies (an `and` needs any one
 * child's set, an `or` needs all its children's, a `not` gives none). The
 * set goes into soc_rule.req, and the rule is evaluated only on lines where
 * one of those literals is present. The logsource's own tests (a Windows
 * channel, say) are left out of that choice when the detection has a set:
 * a channel name shared by a thousand rules would make all of them
 * candidates on every event of that channel.
 *
 * Never silent: a rule we can not run exactly as the specification says is
 * refused, with one warning naming the reason and the spot, and counted by
 * reason (soc_rules_stats). What is refused and why is listed in
 * docs/SIGMA.md.
 */
#define _GNU_SOURCE /* strndup */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"
#include "sigma_internal.h"

#define SIGMA_VARIANTS_MAX 64 /* strings one value may become (windash, base64offset) */
#define SIGMA_REQ_MAX 16384   /* patterns in a rule's prefilter set */
#define SIGMA_NODES_MAX 16384 /* conditions in one compiled rule */
#define SIGMA_DEPTH_MAX 64    /* nesting of a condition */
#define SIGMA_TOKENS_MAX 1024 /* tokens of one condition */

static const char *const reason_names[SOC_SIGMA_REASONS] = {
    [SOC_SIGMA_SYNTAX] = "syntax",       [SOC_SIGMA_CORRELATION] = "correlation",
    [SOC_SIGMA_LOGSOURCE] = "logsource", [SOC_SIGMA_FIELD] = "field",
    [SOC_SIGMA_MODIFIER] = "modifier",   [SOC_SIGMA_VALUE] = "value",
    [SOC_SIGMA_REGEX] = "regex",         [SOC_SIGMA_CONDITION] = "condition",
    [SOC_SIGMA_LIMIT] = "limit",
};

const char *soc_sigma_reason_name(int reason) {
  return reason >= 0 && reason < SOC_SIGMA_REASONS ? reason_names[reason] : "unknown";
}

void soc_rules_sigma_summary(const soc_rules_stats *st, char *buf, size_t len) {
  size_t off = 0;
  int w, first = 1;
  if (!len) return;
  w = snprintf(buf, len, "%zu Sigma rule(s) loaded, %zu refused", st->sigma_loaded,
               st->sigma_refused);
  off = w > 0 && (size_t)w < len ? (size_t)w : len - 1;
  for (int r = 0; r < SOC_SIGMA_REASONS; r++) {
    if (!st->sigma_reasons[r]) continue;
    w = snprintf(buf + off, len - off, "%s%zu %s", first ? " (" : ", ", st->sigma_reasons[r],
                 reason_names[r]);
    off = w > 0 && (size_t)w < len - off ? off + (size_t)w : len - 1;
    first = 0;
  }
  if (!first) snprintf(buf + off, len - off, ")");
}

/* ---- the compiler's state and refusals ---------------------------------- */

typedef struct sc {
  const char *file;
  soc_diag *diag;
  soc_event *probe;
  const sigma_source *src;
  const soc_ynode *detection;
  const char *id;             /* for messages */
  const char *scan_as;        /* the first shape of the field being compiled, for the others */
  const soc_sigma_opts *opts; /* the operator's tables; NULL: none */
  int refused;                /* the first refusal is the one reported */
  int reason;
  size_t nodes;
  unsigned depth;
} sc;

static int refuse(sc *c, const soc_ynode *at, int reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(sc *c, const soc_ynode *at, int reason, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  if (c->refused) return -EINVAL;
  c->refused = 1;
  c->reason = reason;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  soc_diag_add(c->diag, SOC_DIAG_WARNING, c->file, at ? at->line : 0, at ? at->col : 0,
               "Sigma rule %s refused (%s): %s", c->id ? c->id : "", reason_names[reason], msg);
  return -EINVAL;
}

static const char *scalar(const soc_ynode *n) {
  return n && n->kind == SOC_YNODE_SCALAR && !soc_ynode_is_null(n) ? n->value : NULL;
}

/* ---- building conditions ------------------------------------------------ */

/* A condition tree under construction: the engine's cond, allocated. */
static int refuse(sc *c, const soc_ynode *at, int reason, const char *fmt, ...);

static cond *node_new(sc *c, cond_op op) {
  cond *n;
  if (++c->nodes > SIGMA_NODES_MAX) {
    refuse(c, NULL, SOC_SIGMA_LIMIT, "more than %d tests in the rule", SIGMA_NODES_MAX);
    return NULL;
  }
  n = calloc(1, sizeof *n);
  if (n) {
    n->op = op;
    n->cap = -1;
  }
  return n;
}

static void cond_free_tree(cond *n) {
  if (!n) return;
  soc_rules_cond_release(n);
  free(n);
}

/* The engine's reference to an event field; a name it can not hold
 * refuses the rule. */
static int fref_of(sc *c, const char *name, fref *out, const soc_ynode *at) {
  int rc = soc_rules_fref_resolve(name, c->probe, out);
  if (rc == -EINVAL)
    return refuse(c, at, SOC_SIGMA_FIELD, "'%.80s' can not be an event field name", name);
  return rc;
}

/* Makes op(subs[0..n)) and takes the children (moved into its array). */
static cond *node_group(sc *c, cond_op op, cond **subs, size_t n) {
  cond *g;
  if (n == 1 && op != C_NOT) {
    g = subs[0];
    subs[0] = NULL;
    return g;
  }
  g = node_new(c, op);
  if (!g) return NULL;
  g->sub = calloc(n ? n : 1, sizeof *g->sub);
  if (!g->sub) {
    free(g);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    g->sub[i] = *subs[i];
    free(subs[i]);
    subs[i] = NULL;
  }
  g->nsub = n;
  return g;
}

typedef struct nodes {
  cond **v;
  size_t n, cap;
} nodes;

static int nodes_push(nodes *l, cond *x) {
  if (!x) return -ENOMEM;
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 8;
    cond **nv = realloc(l->v, nc * sizeof *nv);
    if (!nv) {
      cond_free_tree(x);
      return -ENOMEM;
    }
    l->v = nv;
    l->cap = nc;
  }
  l->v[l->n++] = x;
  return 0;
}

static void nodes_release(nodes *l) {
  for (size_t i = 0; i < l->n; i++) cond_free_tree(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Groups the list (taking its nodes) and releases it. An empty `or` never
 * holds and an empty `and` always does; neither is made by what we accept. */
static cond *nodes_group(sc *c, nodes *l, cond_op op) {
  cond *g = l->n ? node_group(c, op, l->v, l->n) : NULL;
  if (g) l->n = 0;
  nodes_release(l);
  return g;
}

/* ---- values -------------------------------------------------------------- */

/* A value after escapes: bytes, and for each whether it is a wildcard. */
enum { W_LIT = 0, W_STAR, W_ONE };

typedef struct sval {
  char *b;
  uint8_t *w;
  size_t n;
} sval;

static void sval_free(sval *v) {
  free(v->b);
  free(v->w);
  memset(v, 0, sizeof *v);
}

static int sval_alloc(sval *v, size_t n) {
  v->b = malloc(n + 1);
  v->w = calloc(n + 1, 1);
  v->n = 0;
  return v->b && v->w ? 0 : -ENOMEM;
}

/* Sigma's escapes: \* \? and \\ are the character itself; any other
 * backslash is a plain backslash (Windows paths are written as they are). */
static int sval_parse(const char *s, size_t len, int wild, sval *out) {
  if (sval_alloc(out, len)) return -ENOMEM;
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    uint8_t w = W_LIT;
    if (wild && ch == '\\' && i + 1 < len &&
        (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
      ch = s[++i];
    } else if (wild && ch == '*') {
      w = W_STAR;
    } else if (wild && ch == '?') {
      w = W_ONE;
    }
    out->b[out->n] = ch;
    out->w[out->n++] = w;
  }
  return 0;
}

static int sval_has_wild(const sval *v) {
  for (size_t i = 0; i < v->n; i++)
    if (v->w[i]) return 1;
  return 0;
}

typedef struct svals {
  sval v[SIGMA_VARIANTS_MAX];
  size_t n;
} svals;

static void svals_release(svals *s) {
  for (size_t i = 0; i < s->n; i++) sval_free(&s->v[i]);
  s->n = 0;
}

/* windash: a dash that starts a word (command-line flag) may be written
 * with any of -, /, en dash, em dash, horizontal bar; every combination. */
static const char *const dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
#define NDASH 5

static int windash(sc *c, const soc_ynode *at, svals *s) {
  svals out = {0};
  int rc = 0;
  for (size_t i = 0; i < s->n && !rc; i++) {
    const sval *v = &s->v[i];
    size_t pos[8], np = 0, combos = 1;
    for (size_t k = 0; k < v->n; k++)
      if (!v->w[k] && (v->b[k] == '-' || v->b[k] == '/') && (k == 0 || v->b[k - 1] == ' ')) {
        if (np == 8)
          return refuse(c, at, SOC_SIGMA_LIMIT, "windash: more than 8 dashes in a value");
        pos[np++] = k;
      }
    for (size_t k = 0; k < np; k++) combos *= NDASH;
    if (out.n + combos > SIGMA_VARIANTS_MAX) {
      svals_release(&out);
      return refuse(c, at, SOC_SIGMA_LIMIT, "windash: more than %d variants of one value",
                    SIGMA_VARIANTS_MAX);
    }
    for (size_t m = 0; m < combos && !rc; m++) {
      sval *o = &out.v[out.n++];
      size_t code = m, p = 0;
      if ((rc = sval_alloc(o, v->n + 2 * np))) break;
      for (size_t k = 0; k < v->n; k++) {
        if (p < np && pos[p] == k) {
          const char *d = dashes[code % NDASH];
          code /= NDASH;
          p++;
          for (; *d; d++) {
            o->b[o->n] = *d;
            o->w[o->n++] = W_LIT;
          }
          continue;
        }
        o->b[o->n] = v->b[k];
        o->w[o->n++] = v->w[k];
      }
    }
  }
  svals_release(s);
  *s = out;
  return rc;
}

/* UTF-16 of the (UTF-8) value; NUL bytes are fine here, since only base64
 * of them is ever matched. */
static int utf16(sc *c, const soc_ynode *at, svals *s, int be) {
  for (size_t i = 0; i < s->n; i++) {
    sval *v = &s->v[i], o;
    if (sval_has_wild(v)) return refuse(c, at, SOC_SIGMA_VALUE, "utf16 of a value with wildcards");
    if (sval_alloc(&o, v->n * 4)) return -ENOMEM;
    for (size_t k = 0; k < v->n;) {
      uint8_t b0 = (uint8_t)v->b[k];
      uint32_t cp;
      size_t len = b0 < 0x80 ? 1 : b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : 2;
      if (k + len > v->n) len = v->n - k;
      cp = len == 1 ? b0 : len == 2 ? b0 & 0x1fu : len == 3 ? b0 & 0x0fu : b0 & 0x07u;
      for (size_t j = 1; j < len; j++) cp = cp << 6 | ((uint8_t)v->b[k + j] & 0x3fu);
      k += len;
      uint16_t units[2];
      size_t nu = 1;
      if (cp >= 0x10000) {
        cp -= 0x10000;
        units[0] = (uint16_t)(0xd800 | (cp >> 10));
        units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
        nu = 2;
      } else {
        units[0] = (uint16_t)cp;
      }
      for (size_t u = 0; u < nu; u++) {
        o.b[o.n++] = (char)(be ? units[u] >> 8 : units[u] & 0xff);
        o.b[o.n++] = (char)(be ? units[u] & 0xff : units[u] >> 8);
      }
    }
    sval_free(v);
    *v = o;
  }
  return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_of(const char *in, size_t n, sval *o) {
  if (sval_alloc(o, (n + 2) / 3 * 4)) return -ENOMEM;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t x = (uint32_t)(uint8_t)in[i] << 16;
    if (i + 1 < n) x |= (uint32_t)(uint8_t)in[i + 1] << 8;
    if (i + 2 < n) x |= (uint8_t)in[i + 2];
    o->b[o->n++] = b64[x >> 18 & 63];
    o->b[o->n++] = b64[x >> 12 & 63];
    o->b[o->n++] = i + 1 < n ? b64[x >> 6 & 63] : '=';
    o->b[o->n++] = i + 2 < n ? b64[x & 63] : '=';
  }
  return 0;
}

/* base64: the encoding, matched as plain text. base64offset: the three
 * encodings of the value at offsets 0, 1, 2 in a longer text, without the
 * characters that depend on the neighbours (the specification's table). */
static int base64(sc *c, const soc_ynode *at, svals *s, int offset) {
  svals out = {0};
  for (size_t i = 0; i < s->n; i++) {
    sval *v = &s->v[i];
    if (sval_has_wild(v)) {
      svals_release(&out);
      return refuse(c, at, SOC_SIGMA_VALUE, "base64 of a value with wildcards");
    }
    if (out.n + (offset ? 3 : 1) > SIGMA_VARIANTS_MAX) {
      svals_release(&out);
      return refuse(c, at, SOC_SIGMA_LIMIT, "more than %d variants of one value",
                    SIGMA_VARIANTS_MAX);
    }
    if (!offset) {
      if (base64_of(v->b, v->n, &out.v[out.n++])) goto nomem;
      continue;
    }
    for (size_t k = 0; k < 3; k++) {
      static const size_t start[3] = {0, 2, 3}, cut[3] = {0, 3, 2};
      char *pad = malloc(v->n + 3);
      sval e;
      if (!pad) goto nomem;
      memset(pad, ' ', k);
      memcpy(pad + k, v->b, v->n);
      int rc = base64_of(pad, v->n + k, &e);
      free(pad);
      if (rc) {
        sval_free(&e);
        goto nomem;
      }
      size_t end = e.n - cut[(v->n + k) % 3];
      if (end <= start[k]) {
        sval_free(&e);
        continue; /* too short to leave a stable part at this offset */
      }
      memmove(e.b, e.b + start[k], end - start[k]);
      e.n = end - start[k];
      out.v[out.n++] = e;
    }
  }
  svals_release(s);
  *s = out;
  return 0;
nomem:
  svals_release(&out);
  return -ENOMEM;
}

/* ---- leaves ------------------------------------------------------------- */

enum { MATCH_EXACT, MATCH_CONTAINS, MATCH_STARTS, MATCH_ENDS };

typedef struct mods {
  int match; /* MATCH_* */
  int all, re, re_i, re_m, re_s, cidr, b64, b64off, utf16, utf16be, windash, cased, exists,
      fieldref, expand;
  int cmp; /* 0, or C_GT, C_GE, C_LT, C_LE */
} mods;

/* Appends text to a regex, escaped. */
static int re_put(char **re, size_t *n, size_t *cap, const char *s, size_t len) {
  if (*n + len + 1 > *cap) {
    size_t nc = (*n + len + 1) * 2;
    char *nr = realloc(*re, nc);
    if (!nr) return -ENOMEM;
    *re = nr;
    *cap = nc;
  }
  memcpy(*re + *n, s, len);
  *n += len;
  (*re)[*n] = '\0';
  return 0;
}

/* The regex for a value with wildcards inside: anchored at both ends,
 * * is any run of characters and ? any one character. */
static char *wild_regex(const sval *v, size_t *len) {
  char *re = NULL;
  size_t n = 0, cap = 0;
  int rc = re_put(&re, &n, &cap, "^", 1);
  for (size_t i = 0; i < v->n && !rc; i++) {
    char ch = v->b[i];
    if (v->w[i] == W_STAR) {
      rc = re_put(&re, &n, &cap, ".*", 2);
    } else if (v->w[i] == W_ONE) {
      rc = re_put(&re, &n, &cap, ".", 1);
    } else if (strchr("\\^$.|?*+()[]{}", ch)) {
      char esc[2] = {'\\', ch};
      rc = re_put(&re, &n, &cap, esc, 2);
    } else {
      rc = re_put(&re, &n, &cap, &ch, 1);
    }
  }
  if (!rc) rc = re_put(&re, &n, &cap, "$", 1);
  if (rc) {
    free(re);
    return NULL;
  }
  *len = n;
  return re;
}

static cond *pattern_leaf(sc *c, const char *field, pat_kind kind, int nocase, char *text,
                          size_t len, uint32_t re_opts, const soc_ynode *at) {
  cond *n = node_new(c, C_PATTERN);
  pattern *p = n ? calloc(1, sizeof *p) : NULL;
  if (!p) {
    free(n);
    free(text);
    return NULL;
  }
  n->pat = p;
  p->kind = kind;
  p->nocase = nocase;
  p->text = text;
  p->len = len;
  p->line = at->line;
  p->col = at->col;
  if (fref_of(c, field, &p->field, at)) goto fail;
  if (c->scan_as && p->field.kind == FREF_EXTRA && !(p->field.scan_as = strdup(c->scan_as)))
    goto fail;
  if (kind == PAT_REGEX) {
    char err[300];
    if (soc_rules_regex_compile(p, re_opts, err, sizeof err)) {
      refuse(c, at, SOC_SIGMA_REGEX, "'%.80s': %s", text, err);
      goto fail;
    }
  } else if (nocase) {
    for (size_t i = 0; i < len; i++)
      if (p->text[i] >= 'A' && p->text[i] <= 'Z') p->text[i] = (char)(p->text[i] + 32);
  }
  return n;
fail:
  cond_free_tree(n);
  return NULL;
}

/* One string value on one field: plain text when the wildcards are only at
 * the ends, a regex otherwise. Sigma compares without case unless cased. */
static cond *string_leaf(sc *c, const char *field, const mods *m, const sval *v,
                         const soc_ynode *at) {
  size_t lo = 0, hi = v->n, inner = 0;
  int lead = 0, trail = 0;
  char *text;
  pat_kind kind;
  while (lo < hi && v->w[lo] == W_STAR) lead = 1, lo++;
  while (hi > lo && v->w[hi - 1] == W_STAR) trail = 1, hi--;
  for (size_t i = lo; i < hi; i++) inner |= v->w[i];
  if (m->match == MATCH_CONTAINS || m->match == MATCH_ENDS) lead = 1;
  if (m->match == MATCH_CONTAINS || m->match == MATCH_STARTS) trail = 1;
  if (inner) {
    sval w;
    size_t len = 0;
    if (sval_alloc(&w, v->n + 2)) return NULL;
    if (lead) w.w[w.n++] = W_STAR;
    for (size_t i = lo; i < hi; i++) {
      w.b[w.n] = v->b[i];
      w.w[w.n++] = v->w[i];
    }
    if (trail) w.w[w.n++] = W_STAR;
    text = wild_regex(&w, &len);
    sval_free(&w);
    if (!text) return NULL;
    return pattern_leaf(c, field, PAT_REGEX, !m->cased, text, len, PCRE2_DOTALL, at);
  }
  kind = lead && trail ? PAT_CONTAINS : lead ? PAT_ENDSWITH : trail ? PAT_STARTSWITH : PAT_EQUALS;
  text = malloc(hi - lo + 1);
  if (!text) return NULL;
  memcpy(text, v->b + lo, hi - lo);
  text[hi - lo] = '\0';
  return pattern_leaf(c, field, kind, !m->cased, text, hi - lo, 0, at);
}

static int parse_mods(sc *c, const char *key, const soc_ynode *at, mods *m, char *field,
                      size_t fieldlen) {
  const char *bar = strchr(key, '|');
  size_t flen = bar ? (size_t)(bar - key) : strlen(key);
  memset(m, 0, sizeof *m);
  if (flen >= fieldlen) return refuse(c, at, SOC_SIGMA_FIELD, "field name too long");
  memcpy(field, key, flen);
  field[flen] = '\0';
  while (bar) {
    const char *s = bar + 1;
    char mod[32];
    bar = strchr(s, '|');
    size_t n = bar ? (size_t)(bar - s) : strlen(s);
    if (n >= sizeof mod) return refuse(c, at, SOC_SIGMA_MODIFIER, "unknown modifier '%.40s'", s);
    memcpy(mod, s, n);
    mod[n] = '\0';
    if (!strcmp(mod, "contains") || !strcmp(mod, "startswith") || !strcmp(mod, "endswith")) {
      if (m->match) return refuse(c, at, SOC_SIGMA_MODIFIER, "two of contains/startswith/endswith");
      m->match = mod[0] == 'c' ? MATCH_CONTAINS : mod[0] == 's' ? MATCH_STARTS : MATCH_ENDS;
    } else if (!strcmp(mod, "all")) {
      m->all = 1;
    } else if (!strcmp(mod, "re")) {
      m->re = 1;
    } else if (!strcmp(mod, "i") || !strcmp(mod, "ignorecase")) {
      m->re_i = 1;
    } else if (!strcmp(mod, "m") || !strcmp(mod, "multiline")) {
      m->re_m = 1;
    } else if (!strcmp(mod, "s") || !strcmp(mod, "dotall")) {
      m->re_s = 1;
    } else if (!strcmp(mod, "cidr")) {
      m->cidr = 1;
    } else if (!strcmp(mod, "base64")) {
      m->b64 = 1;
    } else if (!strcmp(mod, "base64offset")) {
      m->b64off = 1;
    } else if (!strcmp(mod, "utf16le") || !strcmp(mod, "wide") || !strcmp(mod, "utf16")) {
      m->utf16 = 1;
    } else if (!strcmp(mod, "utf16be")) {
      m->utf16be = 1;
    } else if (!strcmp(mod, "windash")) {
      m->windash = 1;
    } else if (!strcmp(mod, "cased")) {
      m->cased = 1;
    } else if (!strcmp(mod, "exists")) {
      m->exists = 1;
    } else if (!strcmp(mod, "fieldref")) {
      m->fieldref = 1;
    } else if (!strcmp(mod, "expand")) {
      m->expand = 1;
    } else if (!strcmp(mod, "gt") || !strcmp(mod, "gte") || !strcmp(mod, "lt") ||
               !strcmp(mod, "lte")) {
      if (m->cmp) return refuse(c, at, SOC_SIGMA_MODIFIER, "two comparisons");
      m->cmp = mod[0] == 'g' ? (mod[2] ? C_GE : C_GT) : (mod[2] ? C_LE : C_LT);
    } else {
      return refuse(c, at, SOC_SIGMA_MODIFIER, "unknown modifier '%s'", mod);
    }
  }
  /* combinations the specification does not define are refused, not guessed */
  if ((m->re_i || m->re_m || m->re_s) && !m->re)
    return refuse(c, at, SOC_SIGMA_MODIFIER, "i, m and s go with re only");
  if (m->re && (m->match || m->b64 || m->b64off || m->utf16 || m->utf16be || m->windash ||
                m->cidr || m->cmp || m->exists || m->fieldref))
    return refuse(c, at, SOC_SIGMA_MODIFIER, "re with a modifier that changes the value");
  if ((m->cidr || m->cmp || m->exists) &&
      (m->match || m->b64 || m->b64off || m->utf16 || m->utf16be || m->windash || m->fieldref ||
       m->cidr + !!m->cmp + m->exists > 1))
    return refuse(c, at, SOC_SIGMA_MODIFIER, "cidr, lt/gt and exists take no other modifier");
  if ((m->utf16 || m->utf16be) && !(m->b64 || m->b64off))
    return refuse(c, at, SOC_SIGMA_MODIFIER, "utf16/wide without base64 or base64offset");
  if (m->b64 && m->b64off) return refuse(c, at, SOC_SIGMA_MODIFIER, "base64 with base64offset");
  if (m->fieldref && (m->b64 || m->b64off || m->windash || m->match))
    return refuse(c, at, SOC_SIGMA_MODIFIER, "fieldref takes no other modifier");
  if (m->expand && (m->re || m->cidr || m->cmp || m->exists || m->fieldref))
    return refuse(c, at, SOC_SIGMA_MODIFIER, "expand goes with plain, wildcard or base64 values");
  return 0;
}

#define SIGMA_EXPAND_MAX 256 /* values one placeholder may stand for */

/* expand: the texts value v stands for, its %placeholder% replaced by each
 * of the values rules.sigma_placeholders gives the name (one placeholder a
 * value; a value without one is itself). *out is owned by the caller
 * (strv). Refused when the table has no value for the name. */
static int expand_value(sc *c, const soc_ynode *v, char ***out, size_t *n) {
  const char *a = strchr(v->value, '%'), *b = a ? strchr(a + 1, '%') : NULL;
  size_t nopts = c->opts ? c->opts->nplaceholders : 0;
  *out = NULL;
  *n = 0;
  if (b && strchr(b + 1, '%'))
    return refuse(c, v, SOC_SIGMA_VALUE, "expand: one %%placeholder%% a value");
  if (!(*out = calloc(b ? SIGMA_EXPAND_MAX : 1, sizeof **out))) return -ENOMEM;
  if (!b) return (**out = strdup(v->value)) ? (*n = 1, 0) : -ENOMEM;
  for (size_t i = 0; i < nopts; i++) {
    const soc_sigma_pair *p = &c->opts->placeholders[i];
    size_t plen = strlen(p->value);
    if (strlen(p->key) != (size_t)(b - a - 1) || memcmp(p->key, a + 1, (size_t)(b - a - 1)))
      continue;
    if (*n == SIGMA_EXPAND_MAX)
      return refuse(c, v, SOC_SIGMA_LIMIT, "expand: more than %d values", SIGMA_EXPAND_MAX);
    char *t = malloc(v->len + plen + 1);
    if (!t) return -ENOMEM;
    memcpy(t, v->value, (size_t)(a - v->value));
    memcpy(t + (a - v->value), p->value, plen);
    strcpy(t + (a - v->value) + plen, b + 1);
    (*out)[(*n)++] = t;
  }
  if (!*n)
    return refuse(c, v, SOC_SIGMA_VALUE,
                  "expand: placeholder %.*s has no values in rules.sigma_placeholders",
                  (int)(b - a + 1), a);
  return 0;
}

static void texts_free(char **t, size_t n) {
  for (size_t i = 0; t && i < n; i++) free(t[i]);
  free(t);
}

/* The event fields a Sigma field (NULL: keywords) means here. */
static size_t map_field(sc *c, const char *field, const soc_ynode *at,
                        char alts[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1]) {
  size_t n = soc_sigma_map_field(c->src, field, alts);
  if (!n) {
    if (field)
      refuse(c, at, SOC_SIGMA_FIELD, "field '%.80s' has no mapping for logsource %s", field,
             c->src->name);
    else
      refuse(c, at, SOC_SIGMA_FIELD, "keywords: logsource %s has no full-text field", c->src->name);
  }
  return n;
}

/* The test of one value (v: a scalar or null) on one event field. */
static cond *value_leaf(sc *c, const char *field, const mods *m, const soc_ynode *v,
                        const soc_ynode *at) {
  const char *text = scalar(v);
  cond *n;
  if (m->exists) {
    if (!text || (strcmp(text, "true") && strcmp(text, "false"))) {
      refuse(c, v, SOC_SIGMA_VALUE, "exists takes true or false");
      return NULL;
    }
    if (!(n = node_new(c, C_EXISTS))) return NULL;
    n->exists = text[0] == 't';
    if (fref_of(c, field, &n->field, v)) goto fail;
    return n;
  }
  if (!text && soc_ynode_is_null(v)) {
    /* null: the field is not there */
    if (m->match || m->re || m->cidr || m->cmp || m->fieldref || m->b64 || m->b64off) {
      refuse(c, v, SOC_SIGMA_VALUE, "null with a modifier");
      return NULL;
    }
    if (!(n = node_new(c, C_EXISTS))) return NULL;
    n->exists = 0;
    if (fref_of(c, field, &n->field, v)) goto fail;
    return n;
  }
  if (!v || v->kind != SOC_YNODE_SCALAR) {
    refuse(c, v ? v : at, SOC_SIGMA_SYNTAX, "expected a value, got %s", soc_ynode_kind_name(v));
    return NULL;
  }
  text = v->value;
  if (m->cidr) {
    if (!(n = node_new(c, C_CIDR))) return NULL;
    if (!(n->nets = calloc(1, sizeof *n->nets))) goto fail;
    if (soc_rules_parse_net(text, &n->nets[0])) {
      refuse(c, v, SOC_SIGMA_VALUE, "'%.60s' is not a network", text);
      goto fail;
    }
    n->nnets = 1;
    if (fref_of(c, field, &n->field, v)) goto fail;
    return n;
  }
  if (m->cmp) {
    char *end = NULL;
    double d = strtod(text, &end);
    if (!*text || *end) {
      refuse(c, v, SOC_SIGMA_VALUE, "'%.60s' is not a number", text);
      return NULL;
    }
    if (!(n = node_new(c, (cond_op)m->cmp))) return NULL;
    n->num = d;
    if (fref_of(c, field, &n->field, v)) goto fail;
    return n;
  }
  if (m->re) {
    char *re = strdup(text);
    uint32_t opts = (m->re_m ? PCRE2_MULTILINE : 0u) | (m->re_s ? PCRE2_DOTALL : 0u);
    if (!re) return NULL;
    return pattern_leaf(c, field, PAT_REGEX, m->re_i, re, v->len, opts, v);
  }
  refuse(c, v, SOC_SIGMA_SYNTAX, "internal: unexpected value");
  return NULL;
fail:
  cond_free_tree(n);
  return NULL;
}

/* field|mods: values, compiled for every shape of the event. For a Sigma
 * field that maps to two shapes (XML-as-JSON and Winlogbeat), a test holds
 * when it holds in either; a test of absence when the field is absent in
 * both. */
static cond *field_test(sc *c, const char *key, const soc_ynode *keynode, const soc_ynode *vals) {
  char field[SOC_EVENT_KEY_MAX + 1], alts[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1];
  mods m;
  size_t nalts, nvals;
  nodes per_value = {0};
  int keyword = key[0] == '\0' || key[0] == '|';
  if (parse_mods(c, key, keynode, &m, field, sizeof field)) return NULL;
  if (!(nalts = map_field(c, keyword ? NULL : field, keynode, alts))) return NULL;
  if (m.fieldref) {
    char ralts[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1];
    const char *ref = scalar(vals);
    nodes l = {0};
    if (!ref) {
      refuse(c, vals, SOC_SIGMA_VALUE, "fieldref takes one field name");
      return NULL;
    }
    if (soc_sigma_map_field(c->src, ref, ralts) != nalts) {
      refuse(c, vals, SOC_SIGMA_FIELD, "field '%.80s' has no mapping for logsource %s", ref,
             c->src->name);
      return NULL;
    }
    for (size_t a = 0; a < nalts; a++) {
      cond *n = node_new(c, C_FIELDREF);
      if (nodes_push(&l, n)) goto nomem_l;
      if (fref_of(c, alts[a], &n->field, keynode) || fref_of(c, ralts[a], &n->ref, vals))
        goto nomem_l;
    }
    return nodes_group(c, &l, C_ANY_OF);
  nomem_l:
    nodes_release(&l);
    return NULL;
  }
  nvals = vals && vals->kind == SOC_YNODE_SEQ ? vals->n : 1;
  if (!nvals) {
    refuse(c, vals, SOC_SIGMA_VALUE, "an empty list of values");
    return NULL;
  }
  for (size_t i = 0; i < nvals; i++) {
    const soc_ynode *v = vals && vals->kind == SOC_YNODE_SEQ ? vals->items[i] : vals;
    int absence = !m.exists && soc_ynode_is_null(v) && !scalar(v);
    nodes shapes = {0};
    if (v && v->kind != SOC_YNODE_SCALAR) {
      refuse(c, v, SOC_SIGMA_SYNTAX, "expected a value, got %s", soc_ynode_kind_name(v));
      goto fail;
    }
    if (m.exists && scalar(v) && !strcmp(v->value, "false")) absence = 1;
    char **texts = NULL;
    size_t ntexts = 0;
    if (m.expand && scalar(v) && expand_value(c, v, &texts, &ntexts)) {
      texts_free(texts, ntexts);
      goto fail;
    }
    for (size_t a = 0; a < nalts; a++) {
      c->scan_as = a ? alts[0] : NULL;
      if (absence || m.exists || m.cidr || m.cmp || m.re || !scalar(v)) {
        if (nodes_push(&shapes, value_leaf(c, alts[a], &m, v, keynode))) goto fail_shapes;
        continue;
      }
      /* a string (each the placeholder stands for): escapes, then the
       * transformations in the order given */
      for (size_t t = 0; t < (texts ? ntexts : 1); t++) {
        svals sv = {0};
        int rc;
        const char *text = texts ? texts[t] : v->value;
        if (sval_parse(text, strlen(text), !(m.b64 || m.b64off), &sv.v[0])) goto fail_shapes;
        sv.n = 1;
        rc = m.windash ? windash(c, v, &sv) : 0;
        if (!rc && (m.utf16 || m.utf16be)) rc = utf16(c, v, &sv, m.utf16be);
        if (!rc && (m.b64 || m.b64off)) rc = base64(c, v, &sv, m.b64off);
        /* base64offset is searched for inside the text */
        mods mm = m;
        if (m.b64off && mm.match == MATCH_EXACT) mm.match = MATCH_CONTAINS;
        if (keyword && mm.match == MATCH_EXACT) mm.match = MATCH_CONTAINS;
        if (m.b64 || m.b64off) mm.cased = 1; /* base64 text is case-sensitive */
        for (size_t k = 0; !rc && k < sv.n; k++)
          if (nodes_push(&shapes, string_leaf(c, alts[a], &mm, &sv.v[k], v))) rc = -EINVAL;
        svals_release(&sv);
        if (rc) goto fail_shapes;
      }
    }
    texts_free(texts, ntexts);
    c->scan_as = NULL;
    if (nodes_push(&per_value, nodes_group(c, &shapes, absence ? C_ALL_OF : C_ANY_OF))) goto fail;
    continue;
  fail_shapes:
    texts_free(texts, ntexts);
    c->scan_as = NULL;
    nodes_release(&shapes);
    goto fail;
  }
  return nodes_group(c, &per_value, m.all ? C_ALL_OF : C_ANY_OF);
fail:
  nodes_release(&per_value);
  return NULL;
}

/* A selection: a map (all its fields), a list of maps (any of them), or
 * keywords (a list of strings, any of them, searched in the full text). */
static cond *selection(sc *c, const soc_ynode *sel) {
  nodes l = {0};
  if (!sel || soc_ynode_is_null(sel)) {
    refuse(c, sel, SOC_SIGMA_SYNTAX, "an empty selection");
    return NULL;
  }
  if (++c->depth > 4) {
    refuse(c, sel, SOC_SIGMA_SYNTAX, "a selection nested too deep");
    return NULL;
  }
  if (sel->kind == SOC_YNODE_MAP) {
    for (size_t i = 0; i < sel->n; i++) {
      const soc_ynode *k = sel->items[2 * i], *v = sel->items[2 * i + 1];
      if (nodes_push(&l, field_test(c, k->value, k, v))) goto fail;
    }
    c->depth--;
    if (!l.n) refuse(c, sel, SOC_SIGMA_SYNTAX, "an empty selection");
    return nodes_group(c, &l, C_ALL_OF);
  }
  if (sel->kind == SOC_YNODE_SEQ) {
    int maps = 0, scalars = 0;
    for (size_t i = 0; i < sel->n; i++) {
      maps += sel->items[i]->kind == SOC_YNODE_MAP;
      scalars += sel->items[i]->kind == SOC_YNODE_SCALAR;
    }
    if (!sel->n || (maps && scalars) || maps + scalars != (int)sel->n) {
      refuse(c, sel, SOC_SIGMA_SYNTAX,
             "a selection list holds either maps or keywords, not both or other things");
      c->depth--;
      return NULL;
    }
    if (scalars) {
      cond *n = field_test(c, "", sel, sel);
      c->depth--;
      return n;
    }
    for (size_t i = 0; i < sel->n; i++)
      if (nodes_push(&l, selection(c, sel->items[i]))) goto fail;
    c->depth--;
    return nodes_group(c, &l, C_ANY_OF);
  }
  c->depth--;
  return field_test(c, "", sel, sel); /* one keyword */
fail:
  c->depth--;
  nodes_release(&l);
  return NULL;
}

/* ---- conditions ----------------------------------------------------------- */

typedef struct tok {
  const char *s;
  size_t n;
} tok;

typedef struct cparse {
  sc *c;
  const soc_ynode *at;
  tok t[SIGMA_TOKENS_MAX];
  size_t n, i;
  unsigned depth;
} cparse;

static int tok_is(const tok *t, const char *w) {
  return t->n == strlen(w) && !strncasecmp(t->s, w, t->n);
}

static int tokenize(cparse *p, const char *s) {
  while (*s) {
    if (isspace((unsigned char)*s)) {
      s++;
      continue;
    }
    if (p->n == SIGMA_TOKENS_MAX)
      return refuse(p->c, p->at, SOC_SIGMA_LIMIT, "more than %d tokens in the condition",
                    SIGMA_TOKENS_MAX);
    if (*s == '|')
      return refuse(p->c, p->at, SOC_SIGMA_CORRELATION,
                    "aggregation in the condition ('| count()...'): write it as a correlation");
    if (*s == '(' || *s == ')') {
      p->t[p->n++] = (tok){s, 1};
      s++;
      continue;
    }
    const char *b = s;
    while (*s && !isspace((unsigned char)*s) && *s != '(' && *s != ')' && *s != '|') s++;
    p->t[p->n++] = (tok){b, (size_t)(s - b)};
  }
  return 0;
}

/* Whether detection key k matches pat[0..pn) with * wildcards; linear
 * backtracking to the last star, so a hostile condition can not make it
 * exponential. */
static int glob_match(const char *pat, size_t pn, const char *k) {
  size_t i = 0, star = SIZE_MAX;
  const char *mark = NULL;
  while (*k) {
    if (i < pn && pat[i] == '*') {
      star = i++;
      mark = k;
    } else if (i < pn && pat[i] == *k) {
      i++;
      k++;
    } else if (star != SIZE_MAX) {
      i = star + 1;
      k = ++mark;
    } else {
      return 0;
    }
  }
  while (i < pn && pat[i] == '*') i++;
  return i == pn;
}

static cond *named_selection(cparse *p, const soc_ynode *key, const soc_ynode *val) {
  (void)key;
  return selection(p->c, val);
}

static cond *parse_or(cparse *p);

/* 1 of X / all of X: X is a name with * wildcards, or them. */
static cond *parse_of(cparse *p, int all) {
  const soc_ynode *det = p->c->detection;
  nodes l = {0};
  tok *t;
  if (p->i >= p->n || !tok_is(&p->t[p->i], "of")) {
    refuse(p->c, p->at, SOC_SIGMA_CONDITION, "expected 'of' after '%s'", all ? "all" : "1");
    return NULL;
  }
  if (++p->i >= p->n) {
    refuse(p->c, p->at, SOC_SIGMA_CONDITION, "expected a name after 'of'");
    return NULL;
  }
  t = &p->t[p->i++];
  for (size_t k = 0; k < det->n; k++) {
    const char *name = det->items[2 * k]->value;
    if (!strcmp(name, "condition") || !strcmp(name, "timeframe")) continue;
    if (tok_is(t, "them") ? name[0] == '_' : !glob_match(t->s, t->n, name)) continue;
    if (nodes_push(&l, named_selection(p, det->items[2 * k], det->items[2 * k + 1]))) {
      nodes_release(&l);
      return NULL;
    }
  }
  if (!l.n) {
    refuse(p->c, p->at, SOC_SIGMA_CONDITION, "'%.*s' names no selection", (int)t->n, t->s);
    return NULL;
  }
  return nodes_group(p->c, &l, all ? C_ALL_OF : C_ANY_OF);
}

static cond *parse_unary(cparse *p) {
  tok *t;
  if (p->i >= p->n) {
    refuse(p->c, p->at, SOC_SIGMA_CONDITION, "the condition ends too early");
    return NULL;
  }
  if (++p->depth > SIGMA_DEPTH_MAX) {
    refuse(p->c, p->at, SOC_SIGMA_LIMIT, "the condition is nested too deep");
    return NULL;
  }
  t = &p->t[p->i++];
  cond *r = NULL;
  if (tok_is(t, "not")) {
    cond *x = parse_unary(p);
    r = x ? node_group(p->c, C_NOT, &x, 1) : NULL;
    if (x) cond_free_tree(x);
  } else if (tok_is(t, "(")) {
    r = parse_or(p);
    if (r && (p->i >= p->n || !tok_is(&p->t[p->i], ")"))) {
      refuse(p->c, p->at, SOC_SIGMA_CONDITION, "a '(' without its ')'");
      cond_free_tree(r);
      r = NULL;
    } else if (r) {
      p->i++;
    }
  } else if (tok_is(t, "1") || tok_is(t, "any")) {
    r = parse_of(p, 0);
  } else if (tok_is(t, "all")) {
    r = parse_of(p, 1);
  } else if (tok_is(t, "and") || tok_is(t, "or") || tok_is(t, ")") || tok_is(t, "of")) {
    refuse(p->c, p->at, SOC_SIGMA_CONDITION, "unexpected '%.*s'", (int)t->n, t->s);
  } else {
    const soc_ynode *det = p->c->detection;
    size_t k = 0;
    while (k < det->n &&
           !(tok_is(t, det->items[2 * k]->value) && strcmp(det->items[2 * k]->value, "condition")))
      k++;
    if (k == det->n)
      refuse(p->c, p->at, SOC_SIGMA_CONDITION, "'%.*s' is not a selection of this rule", (int)t->n,
             t->s);
    else
      r = named_selection(p, det->items[2 * k], det->items[2 * k + 1]);
  }
  p->depth--;
  return r;
}

static cond *parse_and(cparse *p) {
  nodes l = {0};
  if (nodes_push(&l, parse_unary(p))) goto fail;
  while (p->i < p->n && tok_is(&p->t[p->i], "and")) {
    p->i++;
    if (nodes_push(&l, parse_unary(p))) goto fail;
  }
  return nodes_group(p->c, &l, C_ALL_OF);
fail:
  nodes_release(&l);
  return NULL;
}

static cond *parse_or(cparse *p) {
  nodes l = {0};
  if (nodes_push(&l, parse_and(p))) goto fail;
  while (p->i < p->n && tok_is(&p->t[p->i], "or")) {
    p->i++;
    if (nodes_push(&l, parse_and(p))) goto fail;
  }
  return nodes_group(p->c, &l, C_ANY_OF);
fail:
  nodes_release(&l);
  return NULL;
}

static cond *condition(sc *c, const soc_ynode *cn) {
  cparse *p;
  cond *r = NULL;
  if (!scalar(cn)) {
    refuse(c, cn, SOC_SIGMA_CONDITION, "the condition must be one expression");
    return NULL;
  }
  p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->c = c;
  p->at = cn;
  if (tokenize(p, cn->value) == 0) {
    r = parse_or(p);
    if (r && p->i < p->n) {
      refuse(c, cn, SOC_SIGMA_CONDITION, "unexpected '%.*s'", (int)p->t[p->i].n, p->t[p->i].s);
      cond_free_tree(r);
      r = NULL;
    }
  }
  free(p);
  return r;
}

/* ---- the prefilter set ------------------------------------------------ */

typedef struct reqset {
  const pattern *p[SIGMA_REQ_MAX];
  size_t n;
  size_t minlen; /* shortest literal among them */
  int ok;
} reqset;

/* The set for n into *out; ok = 0 when there is none (also when out of
 * memory, which only costs speed: the rule is then evaluated more often). */
static void req_of(const cond *n, reqset *out) {
  reqset *s;
  out->n = 0;
  out->minlen = 0;
  out->ok = 0;
  if (n->op == C_PATTERN) {
    litset ls;
    soc_rules_pattern_literals(n->pat, &ls);
    if (!ls.n) return;
    out->ok = 1;
    out->n = 1;
    out->p[0] = n->pat;
    out->minlen = SIZE_MAX;
    for (size_t i = 0; i < ls.n; i++)
      if (ls.len[i] < out->minlen) out->minlen = ls.len[i];
    return;
  }
  if ((n->op != C_ALL_OF && n->op != C_ANY_OF) || !(s = malloc(sizeof *s))) return;
  if (n->op == C_ALL_OF) {
    for (size_t i = 0; i < n->nsub; i++) {
      req_of(&n->sub[i], s);
      if (s->ok &&
          (!out->ok || s->minlen > out->minlen || (s->minlen == out->minlen && s->n < out->n))) {
        memcpy(out->p, s->p, s->n * sizeof *s->p);
        out->n = s->n;
        out->minlen = s->minlen;
        out->ok = 1;
      }
    }
  } else {
    out->minlen = SIZE_MAX;
    out->ok = n->nsub > 0;
    for (size_t i = 0; i < n->nsub && out->ok; i++) {
      req_of(&n->sub[i], s);
      if (!s->ok || out->n + s->n > SIGMA_REQ_MAX) {
        out->ok = 0;
        out->n = 0;
        break;
      }
      memcpy(out->p + out->n, s->p, s->n * sizeof *s->p);
      out->n += s->n;
      if (s->minlen < out->minlen) out->minlen = s->minlen;
    }
  }
  free(s);
}

/* ---- the rule -------------------------------------------------------------- */

static char *dup_text(const soc_ynode *n, size_t max) {
  const char *s = scalar(n);
  if (!s) return strdup("");
  return strndup(s, max);
}

static int dup_list(const soc_ynode *n, size_t max, char ***out, size_t *nout) {
  size_t k = n && n->kind == SOC_YNODE_SEQ ? n->n : scalar(n) ? 1 : 0;
  *out = calloc(k ? k : 1, sizeof **out);
  *nout = 0;
  if (!*out) return -ENOMEM;
  for (size_t i = 0; i < k; i++) {
    const soc_ynode *it = n->kind == SOC_YNODE_SEQ ? n->items[i] : n;
    if (!scalar(it)) continue;
    if (!((*out)[*nout] = strndup(it->value, max))) return -ENOMEM;
    (*nout)++;
  }
  return 0;
}

/* attack.t1059.004 -> T1059.004; other tags are not techniques. */
static int mitre_from_tags(const soc_ynode *tags, soc_rule *r) {
  size_t k = tags && tags->kind == SOC_YNODE_SEQ ? tags->n : 0;
  r->mitre = calloc(k ? k : 1, sizeof *r->mitre);
  if (!r->mitre) return -ENOMEM;
  for (size_t i = 0; i < k; i++) {
    const char *t = scalar(tags->items[i]);
    char id[16];
    size_t n = 0;
    if (!t || strncasecmp(t, "attack.t", 8)) continue;
    t += 8;
    id[n++] = 'T';
    while (*t && n < sizeof id - 1 && (isdigit((unsigned char)*t) || *t == '.')) id[n++] = *t++;
    id[n] = '\0';
    if (*t || (n != 5 && n != 9)) continue;
    if (!(r->mitre[r->nmitre++] = strdup(id))) return -ENOMEM;
  }
  return 0;
}

/* Whether a Sigma rule's hit is an incident of this agency (§2.3: data
 * leaked, a system tampered with, operation stopped) or activity that may
 * lead to one, by its ATT&CK tactics (docs/SIGMA.md, "Alerts or drafts").
 * Most SigmaHQ rules see execution, discovery, credential access and the
 * like: alerts with no clock, which triage joins to a draft when one comes
 * on the same host (docs/TRIAGE.md). */
static const struct {
  const char *tag;
  soc_impact_kind impact;
} tactic_impact[] = {
    {"attack.impact", SOC_IMPACT_TAMPER},      /* destruction, encryption, stopped services */
    {"attack.exfiltration", SOC_IMPACT_LEAK},  /* data taken out */
    {"attack.persistence", SOC_IMPACT_TAMPER}, /* the system changed to let the intruder back */
};

/* The operator's tier for key (a tag or a rule id, rules.sigma_impact):
 * 1 and *out, or 0 when the table does not name it. The loader checked the
 * values: "leak", "tamper" or "alert". */
static int impact_opt(const soc_sigma_opts *o, const char *key, soc_impact_kind *out) {
  for (size_t i = o ? o->nimpact : 0; i-- > 0;) { /* the last one given wins */
    if (strcasecmp(o->impact[i].key, key)) continue;
    *out = !strcmp(o->impact[i].value, "leak")     ? SOC_IMPACT_LEAK
           : !strcmp(o->impact[i].value, "tamper") ? SOC_IMPACT_TAMPER
                                                   : SOC_IMPACT_NONE;
    return 1;
  }
  return 0;
}

static void impact_from_tags(const soc_sigma_opts *o, const soc_ynode *tags, soc_rule *r) {
  size_t k = tags && tags->kind == SOC_YNODE_SEQ ? tags->n : 0;
  soc_impact_kind imp = SOC_IMPACT_NONE;
  if (impact_opt(o, r->id, &imp)) k = 0; /* the rule's own line outranks its tags */
  for (size_t i = 0; i < k; i++) {
    const char *t = scalar(tags->items[i]);
    soc_impact_kind ti = SOC_IMPACT_NONE;
    if (!t) continue;
    if (!impact_opt(o, t, &ti)) /* the operator's line replaces the built-in one */
      for (size_t j = 0; j < sizeof tactic_impact / sizeof *tactic_impact; j++)
        if (!strcasecmp(t, tactic_impact[j].tag)) ti = tactic_impact[j].impact;
    /* a leak outranks tampering: it is what §2.3 levels highest */
    if (ti == SOC_IMPACT_LEAK || (ti == SOC_IMPACT_TAMPER && imp == SOC_IMPACT_NONE)) imp = ti;
  }
  r->incident.impact = imp;
  r->incident.alert_only = imp == SOC_IMPACT_NONE;
}

static int id_ok(const char *s) {
  size_t n = strlen(s);
  if (!n || n > SOC_RULE_ID_MAX) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return 0;
  return 1;
}

/* The logsource's own tests, ANDed to the detection. */
static int logsource_tests(sc *c, soc_rule *r, nodes *l, const soc_ynode *at) {
  const sigma_source *s = c->src;
  char alts[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1];
  if (s->programs) {
    size_t k = 0;
    while (s->programs[k]) k++;
    r->programs = calloc(k, sizeof *r->programs);
    if (!r->programs) return -ENOMEM;
    for (size_t i = 0; i < k; i++) {
      if (!(r->programs[i] = strdup(s->programs[i]))) return -ENOMEM;
      r->nprograms++;
    }
  }
  r->facilities = s->facilities;
  if (s->datasets) {
    nodes any = {0};
    for (size_t i = 0; s->datasets[i]; i++) {
      sval v = {0};
      mods m = {.cased = 1};
      if (sval_parse(s->datasets[i], strlen(s->datasets[i]), 0, &v)) {
        nodes_release(&any);
        return -ENOMEM;
      }
      int rc = nodes_push(&any, string_leaf(c, "event.dataset", &m, &v, at));
      sval_free(&v);
      if (rc) {
        nodes_release(&any);
        return rc;
      }
    }
    if (nodes_push(l, nodes_group(c, &any, C_ANY_OF))) return -ENOMEM;
  }
  for (int which = 1; which >= 0; which--) {
    const char *const *vals = which ? s->event_ids : s->channels;
    const char *field = which ? "EventID" : "Channel";
    nodes any = {0};
    size_t nalts;
    if (!vals) continue;
    nalts = soc_sigma_map_field(s, field, alts);
    for (size_t i = 0; vals[i]; i++)
      for (size_t a = 0; a < nalts; a++) {
        sval v = {0};
        mods m = {0};
        if (sval_parse(vals[i], strlen(vals[i]), 0, &v)) goto nomem;
        int rc = nodes_push(&any, string_leaf(c, alts[a], &m, &v, at));
        sval_free(&v);
        if (rc) goto nomem;
      }
    if (nodes_push(l, nodes_group(c, &any, C_ANY_OF))) return -ENOMEM;
    continue;
  nomem:
    nodes_release(&any);
    return -ENOMEM;
  }
  return 0;
}

static int level_ok(const char *s) {
  static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
  for (size_t i = 0; i < 5; i++)
    if (!strcmp(s, levels[i])) return 1;
  return 0;
}

/* A new rule with what every Sigma rule carries: id, title, description,
 * author, level, name, references, ATT&CK tags, and what a hit means (a
 * web logsource: a web attack, else an intrusion; its impact from its
 * tactics, above; tampering by a high or critical rule is severe). NULL
 * after a refusal or out of memory. */
static soc_rule *rule_new(sc *c, const soc_ynode *root, const char *file, const sigma_source *src) {
  static const char *const def[] = {"host.name", "host.ip", "destination.ip"};
  soc_rule *r = calloc(1, sizeof *r);
  const char *name = scalar(soc_ynode_get(root, "name"));
  if (!r) return NULL;
  r->sigma = 1;
  r->line = root->line;
  r->col = root->col;
  r->sigma_src = src;
  if (!(r->file = strdup(file)) || !(r->id = strdup(c->id)) ||
      !(r->title = dup_text(soc_ynode_get(root, "title"), 256)) ||
      !(r->description = dup_text(soc_ynode_get(root, "description"), SOC_RULE_TEXT_MAX)) ||
      !(r->author = dup_text(soc_ynode_get(root, "author"), 1024)) ||
      !(r->level = dup_text(soc_ynode_get(root, "level"), 32)) || !(r->subtype = strdup("")) ||
      (name && !(r->sigma_name = strndup(name, SOC_RULE_ID_MAX * 4))) ||
      dup_list(soc_ynode_get(root, "references"), 2048, &r->refs, &r->nrefs) ||
      mitre_from_tags(soc_ynode_get(root, "tags"), r) ||
      !(r->asset_from = calloc(3, sizeof *r->asset_from)))
    goto fail;
  if (*r->level && !level_ok(r->level)) {
    refuse(c, soc_ynode_get(root, "level"), SOC_SIGMA_SYNTAX,
           "level '%.32s' is not informational, low, medium, high or critical", r->level);
    goto fail;
  }
  for (size_t i = 0; i < 3; i++) {
    if (!(r->asset_from[i] = strdup(def[i]))) goto fail;
    r->nasset_from++;
  }
  r->incident.category =
      src->kind == SIGMA_SRC_WEB ? SOC_CATEGORY_WEB_ATTACK : SOC_CATEGORY_INTRUSION;
  impact_from_tags(c->opts, soc_ynode_get(root, "tags"), r);
  if (r->incident.impact == SOC_IMPACT_TAMPER)
    r->incident.severity = !strcmp(r->level, "high") || !strcmp(r->level, "critical")
                               ? SOC_SEVERITY_SEVERE
                               : SOC_SEVERITY_MINOR;
  else if (r->incident.impact == SOC_IMPACT_LEAK)
    r->incident.data_from_asset = 1;
  r->incident.subtype = r->subtype;
  r->incident.asset_from = (const char *const *)r->asset_from;
  r->incident.nasset_from = r->nasset_from;
  return r;
fail:
  soc_rules_rule_free(r);
  return NULL;
}

/* The end of a compilation: the rule, or the refusal's reason; 0, or
 * -ENOMEM when there is neither (a NULL without a refusal). */
static int conclude(sc *c, soc_rule *r, soc_rule **out, int *reason) {
  if (c->refused) {
    *reason = c->reason;
    soc_rules_rule_free(r);
    return 0;
  }
  *out = r;
  return r ? 0 : -ENOMEM;
}

int soc_rules_sigma_compile(const soc_ynode *root, const char *file, soc_event *probe,
                            soc_diag *diag, const soc_sigma_opts *opts, soc_rule **out,
                            int *reason) {
  int result = -ENOMEM;
  sc c = {.file = file, .diag = diag, .probe = probe, .opts = opts};
  soc_rule *r = NULL;
  cond *det = NULL;
  nodes top = {0};
  reqset *rq = NULL;
  const soc_ynode *ls, *cn;
  *out = NULL;
  *reason = SOC_SIGMA_SYNTAX;
  if (!root || root->kind != SOC_YNODE_MAP) {
    refuse(&c, root, SOC_SIGMA_SYNTAX, "expected a rule (a mapping)");
    goto refused;
  }
  c.id = scalar(soc_ynode_get(root, "id"));
  if (soc_ynode_get(root, "correlation")) {
    refuse(&c, soc_ynode_get(root, "correlation"), SOC_SIGMA_CORRELATION,
           "correlation rules are not supported yet");
    goto refused;
  }
  if (!c.id || !id_ok(c.id)) {
    refuse(&c, root, SOC_SIGMA_SYNTAX, "expected an id of 1-%d letters, digits, '.', '_' or '-'",
           SOC_RULE_ID_MAX);
    goto refused;
  }
  if (!scalar(soc_ynode_get(root, "title"))) {
    refuse(&c, root, SOC_SIGMA_SYNTAX, "missing title");
    goto refused;
  }
  ls = soc_ynode_get(root, "logsource");
  c.detection = soc_ynode_get(root, "detection");
  if (!ls || ls->kind != SOC_YNODE_MAP || !c.detection || c.detection->kind != SOC_YNODE_MAP) {
    refuse(&c, root, SOC_SIGMA_SYNTAX, "expected logsource and detection mappings");
    goto refused;
  }
  c.src = soc_sigma_map_source(scalar(soc_ynode_get(ls, "product")),
                               scalar(soc_ynode_get(ls, "category")),
                               scalar(soc_ynode_get(ls, "service")));
  if (!c.src) {
    const char *p = scalar(soc_ynode_get(ls, "product")),
               *ca = scalar(soc_ynode_get(ls, "category")),
               *sv = scalar(soc_ynode_get(ls, "service"));
    refuse(&c, ls, SOC_SIGMA_LOGSOURCE, "no input provides product=%s category=%s service=%s",
           p ? p : "-", ca ? ca : "-", sv ? sv : "-");
    goto refused;
  }
  if (soc_ynode_get(c.detection, "timeframe")) {
    refuse(&c, soc_ynode_get(c.detection, "timeframe"), SOC_SIGMA_CORRELATION,
           "timeframe belongs to correlation rules");
    goto refused;
  }
  cn = soc_ynode_get(c.detection, "condition");
  if (!cn) {
    refuse(&c, c.detection, SOC_SIGMA_CONDITION, "missing condition");
    goto refused;
  }
  if (cn->kind == SOC_YNODE_SEQ) {
    /* the old form: a list of conditions, any of which holds */
    nodes l = {0};
    for (size_t i = 0; i < cn->n; i++)
      if (nodes_push(&l, condition(&c, cn->items[i]))) {
        nodes_release(&l);
        goto refused;
      }
    det = nodes_group(&c, &l, C_ANY_OF);
  } else {
    det = condition(&c, cn);
  }
  if (!det) goto refused;

  if (!(r = rule_new(&c, root, file, c.src))) goto refused;

  /* the prefilter set, from the detection alone (see the top) */
  if (!(rq = malloc(sizeof *rq))) goto out;
  req_of(det, rq);
  /* the logsource's tests first: an event id rejects most candidates at
   * the cost of one comparison */
  if (logsource_tests(&c, r, &top, ls)) goto out;
  if (nodes_push(&top, det)) {
    det = NULL;
    goto out;
  }
  det = NULL;
  if (!rq->ok) {
    cond *all = node_group(&c, C_ALL_OF, top.v, top.n);
    if (!all) goto out;
    top.n = 0;
    req_of(all, rq);
    top.v[top.n++] = all;
  }
  if (rq->ok) {
    r->req = calloc(rq->n, sizeof *r->req);
    if (!r->req) goto out;
    memcpy(r->req, rq->p, rq->n * sizeof *rq->p);
    r->nreq = rq->n;
  }
  r->where = calloc(top.n, sizeof *r->where);
  if (!r->where) goto out;
  for (size_t i = 0; i < top.n; i++) {
    r->where[i] = *top.v[i];
    free(top.v[i]);
    r->nwhere++;
  }
  top.n = 0;
  result = conclude(&c, r, out, reason);
  r = NULL;
  goto out;
refused:
  result = conclude(&c, NULL, out, reason);
out:
  free(rq);
  nodes_release(&top);
  cond_free_tree(det);
  soc_rules_rule_free(r);
  return result;
}

/* ---- correlation rules ------------------------------------------------- */

#define SIGMA_TIMESPAN_MAX_S (30 * 86400) /* as our own windows */

/* "30s", "5m", "1h", "2d" -> ns; -1 when it is not one. */
static int64_t timespan_ns(const char *s) {
  char *end = NULL;
  long long v;
  int64_t unit;
  if (!s || !isdigit((unsigned char)*s)) return -1;
  v = strtoll(s, &end, 10);
  switch (*end) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return -1;
  }
  if (end[1] || v <= 0 || v > SIGMA_TIMESPAN_MAX_S / unit) return -1;
  return (int64_t)v * unit * 1000000000LL;
}

/* The event fields of Sigma field f for rule base, as "a|b|c" (the first
 * there, see soc_rules_field_value); NULL after a refusal or out of memory. */
static char *corr_field(sc *c, const soc_rule *base, const char *f, const soc_ynode *at) {
  char alts[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1], *out;
  size_t n = f && base->sigma_src ? soc_sigma_map_field(base->sigma_src, f, alts) : 0, len = 0;
  if (!n) {
    refuse(c, at, SOC_SIGMA_FIELD, "field '%.80s' has no mapping for the rule %s", f ? f : "",
           base->id);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) len += strlen(alts[i]) + 1;
  if (!(out = malloc(len))) return NULL;
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(out, "|");
    strcat(out, alts[i]);
  }
  return out;
}

/* A count condition's bounds into *min, *max (0: no upper bound) and
 * *neq (0: none): gte/gt give the least, lte/lt the most, eq both, neq a
 * count to avoid. 0 after a refusal. */
static int corr_bounds(sc *c, const soc_ynode *cn, int64_t *min, int64_t *max, int64_t *neq) {
  static const char *const ops[] = {"gte", "gt", "lte", "lt", "eq", "neq"};
  int64_t lo = 1, hi = INT64_MAX, ne = 0; /* INT64_MAX: no upper bound */
  int any = 0;
  if (!cn || cn->kind != SOC_YNODE_MAP) {
    refuse(c, cn, SOC_SIGMA_CORRELATION,
           "condition: expected a mapping of gte, gt, lte, lt, eq or neq");
    return 0;
  }
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    const char *v = scalar(soc_ynode_get(cn, ops[i]));
    char *end = NULL;
    long long n;
    if (!v) continue;
    n = strtoll(v, &end, 10);
    if (*end || end == v || n < 0 || n > SOC_RULE_COUNT_MAX) {
      refuse(c, soc_ynode_get(cn, ops[i]), SOC_SIGMA_CORRELATION,
             "condition: %s: a count from 0 to %d", ops[i], SOC_RULE_COUNT_MAX);
      return 0;
    }
    any = 1;
    if (i == 0 || i == 4) lo = n > lo ? n : lo;
    if (i == 1) lo = n + 1 > lo ? n + 1 : lo;
    if (i == 2 || i == 4) hi = n < hi ? n : hi;
    if (i == 3) hi = n - 1 < hi ? n - 1 : hi;
    if (i == 5) ne = n;
  }
  /* a window opens at a hit: a bound of no hit at all can never be seen */
  if (!any || hi < lo || (lo == hi && lo == ne)) {
    refuse(c, cn, SOC_SIGMA_CORRELATION,
           "condition: no count of 1 or more hits satisfies it (a window opens at a hit)");
    return 0;
  }
  if (lo > SOC_RULE_COUNT_MAX || (hi != INT64_MAX && hi >= SOC_RULE_COUNT_MAX) ||
      ne >= SOC_RULE_COUNT_MAX) {
    refuse(c, cn, SOC_SIGMA_LIMIT, "condition: counts up to %d", SOC_RULE_COUNT_MAX - 1);
    return 0;
  }
  *min = lo;
  *max = hi == INT64_MAX ? 0 : hi;
  *neq = ne; /* neq 0 holds for every window: it has a hit */
  return 1;
}

#define SIGMA_MEMBERS_MAX 16 /* rules of one correlation */

/* r is fed by the n rules of base (their keys in r->member_group_by). */
static int set_members(soc_rule *r, soc_rule *const *base, size_t n) {
  if (!(r->members = calloc(n, sizeof *r->members))) return -ENOMEM;
  memcpy(r->members, base, n * sizeof *base);
  r->corr.members = r->members;
  r->corr.member_group_by = (const char *const *const *)r->member_group_by;
  r->corr.nmembers = n;
  return 0;
}

/* The Sigma field that group-by entry g names in member rule `name`: its
 * alias when aliases has one (refused when the alias leaves the rule
 * out), else g itself. NULL after a refusal. */
static const char *alias_field(sc *c, const soc_ynode *aliases, const char *g, const char *name) {
  const soc_ynode *a = g ? soc_ynode_get(aliases, g) : NULL;
  const char *f;
  if (!a) return g;
  if (a->kind != SOC_YNODE_MAP || !(f = scalar(soc_ynode_get(a, name)))) {
    refuse(c, a, SOC_SIGMA_CORRELATION, "aliases.%.80s: expected the field of rule '%.80s'", g,
           name);
    return NULL;
  }
  return f;
}

int soc_rules_sigma_compile_correlation(const soc_ynode *root, const char *file, soc_diag *diag,
                                        const soc_sigma_opts *opts, rules_sigma_lookup lookup,
                                        void *arg, soc_rule **out, int *reason) {
  int result = -ENOMEM;
  sc c = {.file = file, .diag = diag, .opts = opts};
  soc_rule *r = NULL, *base[SIGMA_MEMBERS_MAX] = {NULL};
  const char *names[SIGMA_MEMBERS_MAX] = {NULL};
  const soc_ynode *corr, *rules, *gb, *aliases;
  const char *type;
  size_t nrules, min_rules, max_rules;
  int members = 0, ordered = 0, distinct = 0;
  int64_t span;
  *out = NULL;
  *reason = SOC_SIGMA_CORRELATION;
  c.id = scalar(soc_ynode_get(root, "id"));
  corr = soc_ynode_get(root, "correlation");
  if (!c.id || !id_ok(c.id) || !scalar(soc_ynode_get(root, "title")) || !corr ||
      corr->kind != SOC_YNODE_MAP) {
    refuse(&c, root, SOC_SIGMA_SYNTAX, "expected id, title and a correlation mapping");
    goto refused;
  }
  type = scalar(soc_ynode_get(corr, "type"));
  min_rules = 1;
  max_rules = SIGMA_MEMBERS_MAX;
  if (type && !strcmp(type, "event_count")) {
  } else if (type && !strcmp(type, "value_count")) {
    distinct = 1;
  } else if (type && (!strcmp(type, "temporal") || !strcmp(type, "temporal_ordered"))) {
    members = 1;
    ordered = !strcmp(type, "temporal_ordered");
    min_rules = 2;
  } else {
    refuse(&c, corr, SOC_SIGMA_CORRELATION,
           "type '%s': expected event_count, value_count, temporal or temporal_ordered",
           type ? type : "");
    goto refused;
  }
  aliases = soc_ynode_get(corr, "aliases");
  if (aliases && aliases->kind != SOC_YNODE_MAP) {
    refuse(&c, aliases, SOC_SIGMA_CORRELATION, "aliases: expected a mapping");
    goto refused;
  }
  rules = soc_ynode_get(corr, "rules");
  nrules = rules && rules->kind == SOC_YNODE_SEQ ? rules->n : scalar(rules) ? 1 : 0;
  if (nrules < min_rules || nrules > max_rules) {
    refuse(&c, rules ? rules : corr, SOC_SIGMA_CORRELATION, "%s takes %zu to %zu rules, got %zu",
           type, min_rules, max_rules, nrules);
    goto refused;
  }
  for (size_t i = 0; i < nrules; i++) {
    names[i] = scalar(rules->kind == SOC_YNODE_SEQ ? rules->items[i] : rules);
    if (!names[i] || !(base[i] = lookup(arg, names[i])) || base[i]->match_of || base[i]->has_corr) {
      refuse(&c, rules, SOC_SIGMA_CORRELATION, "rule '%.80s' is not a loaded Sigma rule",
             names[i] ? names[i] : "");
      goto refused;
    }
    for (size_t j = 0; j < i; j++)
      if (base[j] == base[i]) {
        refuse(&c, rules, SOC_SIGMA_CORRELATION, "rule '%.80s' is named twice", names[i]);
        goto refused;
      }
  }
  span = timespan_ns(scalar(soc_ynode_get(corr, "timespan")));
  if (span < 0) {
    refuse(&c, corr, SOC_SIGMA_CORRELATION,
           "timespan: expected e.g. 30s, 5m, 1h or 2d, up to 30 days");
    goto refused;
  }

  if (!(r = rule_new(&c, root, file, base[nrules - 1]->sigma_src))) goto refused;
  gb = soc_ynode_get(corr, "group-by");
  size_t ngb = gb && gb->kind == SOC_YNODE_SEQ ? gb->n : scalar(gb) ? 1 : 0;
  if (ngb > SOC_RULE_GROUP_BY_MAX) {
    refuse(&c, gb, SOC_SIGMA_LIMIT, "more than %d group-by fields", SOC_RULE_GROUP_BY_MAX);
    goto refused;
  }
  /* each rule's key, in its own fields (aliases name them per rule) */
  r->member_group_by = calloc(nrules, sizeof *r->member_group_by);
  if (!r->member_group_by) goto out;
  r->corr.ngroup_by = ngb;
  r->nmember_group_by = nrules;
  for (size_t i = 0; i < ngb; i++) { /* the host, for a window decided at its end */
    const char *g = scalar(gb->kind == SOC_YNODE_SEQ ? gb->items[i] : gb);
    if (g && (!strcmp(g, "Computer") || !strcmp(g, "ComputerName"))) r->corr.host_by = i + 1;
  }
  for (size_t m = 0; m < nrules; m++) {
    if (!(r->member_group_by[m] = calloc(ngb ? ngb : 1, sizeof **r->member_group_by))) goto out;
    for (size_t i = 0; i < ngb; i++) {
      const soc_ynode *f = gb->kind == SOC_YNODE_SEQ ? gb->items[i] : gb;
      const char *sf = alias_field(&c, aliases, scalar(f), names[m]);
      if (!sf || !(r->member_group_by[m][i] = corr_field(&c, base[m], sf, f))) goto refused;
    }
  }
  /* the firing's own key fields: the last rule's (the one that completes
   * an ordered sequence; the key's values are the same for every rule) */
  if (!(r->group_by = calloc(ngb ? ngb : 1, sizeof *r->group_by))) goto out;
  for (size_t i = 0; i < ngb; i++)
    if (!(r->group_by[i] = strdup(r->member_group_by[nrules - 1][i]))) goto out;
  r->has_corr = 1;
  r->corr.group_by = (const char *const *)r->group_by;
  r->corr.within_ns = span;
  if (members) {
    if (soc_ynode_get(corr, "condition")) {
      refuse(&c, soc_ynode_get(corr, "condition"), SOC_SIGMA_CORRELATION,
             "condition: %s takes none (every rule must match)", type);
      goto refused;
    }
    if (set_members(r, base, nrules)) goto out;
    r->corr.ordered = ordered;
    r->corr.count = (int64_t)nrules;
  } else {
    const soc_ynode *cn = soc_ynode_get(corr, "condition");
    if (nrules > 1) { /* their hits, counted together: fed by them */
      if (set_members(r, base, nrules)) goto out;
      r->corr.counting = 1;
    } else {
      r->match_of = base[0];
      /* the prefilter: what the matched rule's is */
      if (r->match_of->nreq) {
        if (!(r->req = calloc(r->match_of->nreq, sizeof *r->req))) goto out;
        memcpy(r->req, r->match_of->req, r->match_of->nreq * sizeof *r->req);
        r->nreq = r->match_of->nreq;
      }
    }
    if (!corr_bounds(&c, cn, &r->corr.count, &r->corr.count_max, &r->corr.count_neq)) goto refused;
    if (distinct) {
      const char *df = scalar(soc_ynode_get(cn, "field"));
      if (!df) {
        refuse(&c, cn, SOC_SIGMA_CORRELATION, "condition: value_count needs the field to count");
        goto refused;
      }
      /* each rule's own field (aliases name them per rule) */
      if (!(r->member_distinct = calloc(nrules, sizeof *r->member_distinct))) goto out;
      for (size_t m = 0; m < nrules; m++) {
        const char *f = alias_field(&c, aliases, df, names[m]);
        if (!f || !(r->member_distinct[m] = corr_field(&c, base[m], f, cn))) goto refused;
      }
      if (!(r->distinct = strdup(r->member_distinct[nrules - 1]))) goto out;
      r->corr.member_distinct = (const char *const *)r->member_distinct;
    }
    r->corr.distinct = r->distinct;
  }
  /* generate: false (the default) keeps the rules' own hits out of alerts */
  const char *gen = scalar(soc_ynode_get(corr, "generate"));
  for (size_t i = 0; i < nrules; i++) {
    if (gen && !strcmp(gen, "true"))
      base[i]->generate = 1;
    else
      base[i]->silent = 1;
  }
  result = conclude(&c, r, out, reason);
  r = NULL;
  goto out;
refused:
  result = conclude(&c, NULL, out, reason);
out:
  soc_rules_rule_free(r);
  return result;
}
