/*
 * rules_match — the matching engine: which rules can match a line, and
 * whether they do.
 *
 * Evaluating every rule on every line costs rules x lines regex runs, and a
 * set of a thousand rules would hold the agent to a few thousand lines a
 * second. Almost every rule needs some fixed text ("Failed password",
 * "sshd", "/etc/passwd"), so we collect one such literal per rule and put
 * them all in one Aho-Corasick automaton per subject field; one pass over
 * the line then names the few rules whose literal is present, and only
 * those are confirmed. The automaton is a DFA over byte classes (ASCII
 * letters folded, every byte that is in no literal sharing one class), so
 * the inner loop is one table load per byte whatever the number of rules.
 *
 * The prefilter may only ever say "maybe": a rule it skips must be a rule
 * that can not match. So the literal chosen for a rule must be required by
 * every match of the rule:
 *   - plain patterns (contains/startswith/endswith/equals) require their
 *     text, ASCII-folded when nocase;
 *   - a regex requires the literals our small parser below can prove: runs
 *     of literal characters outside optional items, and recursively the
 *     literals of groups that must match, with alternations giving a set
 *     "one of these". Anything the parser does not model (verbs such as
 *     (*ACCEPT), callouts, extended mode) means "no literal". Caseless
 *     regexes drop any non-ASCII character from their literals; Unicode
 *     folds U+212A KELVIN SIGN and U+017F LONG S onto 'k' and 's', so the
 *     automaton looks for each literal also with those in their place
 *     (add_literals);
 *   - a rule is anchored by the best literal set of one `all` pattern, or
 *     by the union of its `any` patterns' sets when every one has one.
 * Rules without such a literal are evaluated on every line.
 * A candidate rule still runs only the regexes and contains patterns that
 * can match: every one with a literal set has it in the automaton too (its
 * pid), so one whose literals were not seen is not run, and a rule whose
 * `any` has none left is dropped before its `all` runs. A regex written the same in
 * several rules runs once per event (its memo slot).
 * The unit tests and the fuzz harness hold this to account by comparing
 * with SOC_MATCH_NO_PREFILTER, which evaluates every rule.
 *
 * Captures go through a staging area in the soc_match_ctx, so `where` sees
 * them before anything is written, and a rule that does not match leaves the
 * event untouched. If a rule's capture rewrites a field an automaton has
 * scanned, the rest of that event is evaluated without the prefilter, which
 * keeps the answer the same as evaluating every rule in order.
 *
 * Regexes run with a match limit and a bounded JIT stack from the ctx: a
 * pathological pattern on a hostile line counts as no match (and is
 * counted) rather than stalling the detector.
 */
#define _GNU_SOURCE /* memmem */
#include "soc/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

const char *const soc_rules_facility_names[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};
static const char *const severity_names[8] = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

/* Cells (states x classes) of one automaton: 16 Mi x 4 bytes = 64 MiB. A
 * set that needs more is rebuilt with shorter literals (still required,
 * being parts of required ones) before giving up. */
#define AC_CELLS_MAX (16u * 1024u * 1024u)
#define MATCH_LIMIT 200000u
#define JIT_STACK_MIN (32u * 1024u)
#define JIT_STACK_MAX (1024u * 1024u)
#define NUMBUF 32
/* Texts shorter than this are scanned in one pass: the split's setup and
 * the first half's run past the cut would cost more than they hide. */
#define SCAN_SPLIT_MIN 16
/* States a scan notes before it marks them (scan4): 16 steps of four
 * parts; a line reaches an output in about two. */
#define SCAN_OUTS 64

static uint8_t fold(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

static size_t utf8_len(uint8_t c) {
  return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* ---- required literals of a regex --------------------------------------- */

#define LX_DEPTH_MAX 300

typedef struct lx {
  const uint8_t *p, *end;
  int caseless; /* literals must survive Unicode case folding */
  int saw_i;    /* an inline (?i) somewhere: rerun caseless */
  int giveup;   /* a construct we do not model: no literal at all */
  unsigned depth;
} lx;

typedef struct seq {
  uint8_t run[RULES_LIT_MAX];
  size_t runlen;
  size_t lastlen; /* bytes of the last item when it is a literal at the run's end */
  litset best;
  litset second;  /* the next best of the required sets (lx_seq's caller may want it) */
  litset pending; /* a group's set, until we know no quantifier makes it optional */
  int have_pending;
} seq;

/* How few lines a literal lets through, roughly: its length, one more
 * with a letter or digit in it, as a literal of only spaces, quotes and
 * brackets is the log format's, on every line (`] "` in each access-log
 * line, where "404" is not). */
static size_t lit_weight(const char *lit, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (isalnum((unsigned char)lit[i])) return len + 1;
  return len;
}

static size_t set_minweight(const litset *s) {
  size_t m = SIZE_MAX;
  for (size_t i = 0; i < s->n; i++) {
    size_t w = lit_weight(s->lit[i], s->len[i]);
    if (w < m) m = w;
  }
  return m;
}

/* Heavier lightest literal first (fewer lines pass), then fewer members. */
static int set_better(const litset *a, const litset *b) {
  size_t la, lb;
  if (!a->n) return 0;
  if (!b->n) return 1;
  la = set_minweight(a);
  lb = set_minweight(b);
  if (la != lb) return la > lb;
  return a->n < b->n;
}

/* c is required: it becomes the best or the second best, or neither. */
static void seq_offer(seq *s, const litset *c) {
  if (set_better(c, &s->best)) {
    s->second = s->best;
    s->best = *c;
  } else if (set_better(c, &s->second)) {
    s->second = *c;
  }
}

static void seq_flush(seq *s) {
  if (s->runlen) {
    litset c = {.n = 1};
    c.len[0] = s->runlen;
    memcpy(c.lit[0], s->run, s->runlen);
    seq_offer(s, &c);
  }
  s->runlen = 0;
  s->lastlen = 0;
}

static void seq_commit_pending(seq *s) {
  if (s->have_pending) seq_offer(s, &s->pending);
  s->have_pending = 0;
}

static void seq_lit(const lx *x, seq *s, const uint8_t *b, size_t n) {
  seq_commit_pending(s);
  if (x->caseless && (n > 1 || b[0] >= 0x80)) {
    seq_flush(s);
    return;
  }
  if (s->runlen + n > RULES_LIT_MAX) seq_flush(s); /* the first part is as good as any */
  for (size_t i = 0; i < n; i++) s->run[s->runlen++] = fold(b[i]);
  s->lastlen = n;
}

static void seq_nonlit(seq *s) {
  seq_commit_pending(s);
  seq_flush(s);
}

/* kind 1: the item before may be absent; kind 2: it is there at least once
 * but may repeat, so the run can not continue past it. */
static void seq_quant(seq *s, int kind) {
  if (kind == 1) {
    s->runlen -= s->lastlen;
    s->have_pending = 0;
  }
  seq_flush(s);
}

static void skip_to(lx *x, const uint8_t *p, uint8_t closer) {
  while (p < x->end && *p != closer) p++;
  if (p >= x->end) {
    x->giveup = 1;
    x->p = x->end;
    return;
  }
  x->p = p + 1;
}

enum { ESC_LIT, ESC_NONLIT, ESC_NOTHING, ESC_QUOTE };

static int hexval(uint8_t c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* x->p is at a backslash. A literal goes into out[0..*n). */
static int lx_escape(lx *x, uint8_t out[4], size_t *n) {
  const uint8_t *p = x->p + 1, *end = x->end;
  uint8_t c;
  if (p >= end) {
    x->giveup = 1;
    x->p = end;
    return ESC_NONLIT;
  }
  c = *p;
  if (c >= 0x80) {
    size_t k = utf8_len(c);
    if (k > (size_t)(end - p)) k = (size_t)(end - p);
    memcpy(out, p, k);
    *n = k;
    x->p = p + k;
    return ESC_LIT;
  }
  if (!isalnum(c)) {
    out[0] = c;
    *n = 1;
    x->p = p + 1;
    return ESC_LIT;
  }
  p++;
  x->p = p;
  switch (c) {
    case 'a':
      out[0] = 0x07;
      *n = 1;
      return ESC_LIT;
    case 'e':
      out[0] = 0x1b;
      *n = 1;
      return ESC_LIT;
    case 'f':
      out[0] = 0x0c;
      *n = 1;
      return ESC_LIT;
    case 'n':
      out[0] = 0x0a;
      *n = 1;
      return ESC_LIT;
    case 'r':
      out[0] = 0x0d;
      *n = 1;
      return ESC_LIT;
    case 't':
      out[0] = 0x09;
      *n = 1;
      return ESC_LIT;
    case 'x': {
      unsigned long v = 0;
      int digits = 0;
      if (p < end && *p == '{') {
        const uint8_t *q = p + 1;
        for (; q < end && *q != '}'; q++) {
          int h = hexval(*q);
          if (h < 0 || ++digits > 8)
            digits = 99;
          else
            v = v * 16 + (unsigned long)h;
        }
        skip_to(x, p, '}');
        if (digits > 8) return ESC_NONLIT;
      } else {
        while (digits < 2 && p < end && hexval(*p) >= 0)
          v = v * 16 + (unsigned long)hexval(*p++), digits++;
        x->p = p;
      }
      if (v > 0x7f) return ESC_NONLIT;
      out[0] = (uint8_t)v;
      *n = 1;
      return ESC_LIT;
    }
    case 'o':
    case 'N':
      if (p < end && *p == '{') skip_to(x, p, '}');
      return ESC_NONLIT;
    case 'p':
    case 'P':
      if (p < end && *p == '{')
        skip_to(x, p, '}');
      else if (p < end)
        x->p = p + 1;
      return ESC_NONLIT;
    case 'c':
      if (p < end) x->p = p + 1;
      return ESC_NONLIT;
    case 'k':
    case 'g':
      if (p < end && (*p == '{' || *p == '<' || *p == '\''))
        skip_to(x, p + 1, *p == '{' ? '}' : *p == '<' ? '>' : '\'');
      else if (c == 'g') {
        if (p < end && (*p == '+' || *p == '-')) p++;
        while (p < end && isdigit(*p)) p++;
        x->p = p;
      }
      return ESC_NONLIT;
    case 'Q':
      return ESC_QUOTE;
    case 'E':
      return ESC_NOTHING;
    default:
      /* \0 octal, \1.. back references, \d \w \s \b \K \R \X ...: one item
       * that is not a literal; trailing digits belong to it. */
      if (isdigit(c))
        while (x->p < end && isdigit(*x->p)) x->p++;
      return ESC_NONLIT;
  }
}

/* x->p is at '['; moves past the class. */
static void lx_class(lx *x) {
  const uint8_t *p = x->p + 1, *end = x->end;
  if (p < end && *p == '^') p++;
  if (p < end && *p == ']') p++;
  while (p < end && *p != ']') {
    if (*p == '\\') {
      if (p + 1 < end && p[1] == 'Q') {
        p += 2;
        while (p + 1 < end && !(p[0] == '\\' && p[1] == 'E')) p++;
        p = p + 1 < end ? p + 2 : end;
        continue;
      }
      p += 2;
      continue;
    }
    if (*p == '[' && p + 1 < end && p[1] == ':') {
      /* [:name:] as PCRE2 checks it; anything else is a plain '[' */
      const uint8_t *q = p + 2;
      if (q < end && *q == '^') q++;
      while (q < end && isalpha(*q)) q++;
      if (q + 1 < end && q[0] == ':' && q[1] == ']') {
        p = q + 2;
        continue;
      }
    }
    p++;
  }
  if (p >= end) {
    x->giveup = 1;
    x->p = end;
    return;
  }
  x->p = p + 1;
}

/* A quantifier at x->p: 0 none, 1 minimum 0, 2 minimum 1 or more. Braces
 * that only might be a quantifier in some PCRE2 version count as one with
 * minimum 0, which can only lose literals, never invent one. */
static int lx_quant(lx *x) {
  const uint8_t *p = x->p, *end = x->end;
  int kind;
  if (p >= end) return 0;
  if (*p == '?' || *p == '*') {
    kind = 1;
    p++;
  } else if (*p == '+') {
    kind = 2;
    p++;
  } else if (*p == '{') {
    const uint8_t *q = p + 1;
    int digits = 0, strict = 1, comma = 0;
    unsigned long lo = 0;
    for (; q < end && (*q == ' ' || *q == '\t' || isdigit(*q) || *q == ','); q++) {
      if (*q == ' ' || *q == '\t') {
        strict = 0;
      } else if (*q == ',') {
        if (comma++) break;
        if (!digits) strict = 0;
      } else {
        digits++;
        if (!comma && lo < 100000) lo = lo * 10 + (unsigned long)(*q - '0');
      }
    }
    if (q >= end || *q != '}' || !digits) return 0;
    kind = strict && lo >= 1 ? 2 : 1;
    p = q + 1;
  } else {
    return 0;
  }
  if (p < end && (*p == '?' || *p == '+')) p++;
  x->p = p;
  return kind;
}

static void lx_alt(lx *x, litset *out, litset *second);

/* x->p is at '('; moves past the matching ')'. Returns 1 with *g when the
 * group's content must match where it stands, 0 for other constructs
 * (lookarounds, conditionals, references, option settings). */
static int lx_group(lx *x, litset *g) {
  const uint8_t *p = x->p + 1, *end = x->end;
  int use = 1;
  g->n = 0;
  if (++x->depth > LX_DEPTH_MAX || p >= end || *p == '*') {
    x->giveup = 1; /* (*VERB) can end a match early: nothing is required */
    goto out;
  }
  if (*p == '?') {
    p++;
    if (p >= end) {
      x->giveup = 1;
      goto out;
    }
    switch (*p) {
      case ':':
      case '|':
      case '>':
        p++;
        break;
      case '<':
        if (p + 1 < end && (p[1] == '=' || p[1] == '!')) {
          use = 0;
          p += 2;
          break;
        }
        skip_to(x, p, '>');
        p = x->p;
        break;
      case 'P':
        if (p + 1 < end && p[1] == '<') {
          skip_to(x, p, '>');
          p = x->p;
          break;
        }
        skip_to(x, p, ')');
        x->depth--;
        return 0;
      case '\'':
        skip_to(x, p + 1, '\'');
        p = x->p;
        break;
      case '=':
      case '!':
        use = 0;
        p++;
        break;
      case '(':
        use = 0; /* conditional: "(cond)yes|no" parses as a sequence */
        break;
      case '#':
      case 'R':
      case '&':
      case '+':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        skip_to(x, p, ')');
        x->depth--;
        return 0;
      case 'C':
        x->giveup = 1; /* callout arguments may hold ')' */
        goto out;
      case '-':
        if (p + 1 < end && isdigit(p[1])) {
          skip_to(x, p, ')');
          x->depth--;
          return 0;
        }
        __attribute__((fallthrough)); /* an option setting such as (?-i) */
      default: {
        const uint8_t *q = p;
        for (; q < end && (isalpha(*q) || *q == '^' || *q == '-'); q++) {
          if (*q == 'x') x->giveup = 1; /* extended mode: spaces and # change meaning */
          if (*q == 'i') x->saw_i = 1;
        }
        if (x->giveup || q >= end) {
          x->giveup = 1;
          goto out;
        }
        if (*q == ')') {
          x->p = q + 1;
          x->depth--;
          return 0;
        }
        if (*q != ':') {
          x->giveup = 1;
          goto out;
        }
        p = q + 1;
      }
    }
  }
  if (x->giveup) goto out;
  x->p = p;
  lx_alt(x, g, NULL);
  if (x->giveup) goto out;
  if (x->p >= end || *x->p != ')') {
    x->giveup = 1;
    goto out;
  }
  x->p++;
out:
  x->depth--;
  if (x->giveup || !use) {
    g->n = 0;
    return 0;
  }
  return 1;
}

/* second, when not NULL, gets the second best required set (or none). */
static void lx_seq(lx *x, litset *best, litset *second) {
  seq s;
  memset(&s, 0, sizeof s);
  while (x->p < x->end && !x->giveup && *x->p != '|' && *x->p != ')') {
    uint8_t c = *x->p, buf[4];
    size_t n = 0;
    if (c == '\\') {
      int e = lx_escape(x, buf, &n);
      if (e == ESC_NOTHING) {
        /* \E alone: a quantifier after it binds to the item before */
      } else if (e == ESC_QUOTE) {
        /* \Q...\E: every character is a literal item */
        while (x->p < x->end && !(x->p[0] == '\\' && x->p + 1 < x->end && x->p[1] == 'E')) {
          size_t k = utf8_len(*x->p);
          if (k > (size_t)(x->end - x->p)) k = (size_t)(x->end - x->p);
          seq_lit(x, &s, x->p, k);
          x->p += k;
        }
        if (x->p < x->end) x->p += 2;
      } else if (e == ESC_LIT) {
        seq_lit(x, &s, buf, n);
      } else {
        seq_nonlit(&s);
      }
    } else if (c == '[') {
      seq_nonlit(&s);
      lx_class(x);
    } else if (c == '(') {
      litset g;
      seq_nonlit(&s);
      if (lx_group(x, &g) && g.n) {
        s.pending = g;
        s.have_pending = 1;
      }
    } else if (c == '.' || c == '^' || c == '$') {
      seq_nonlit(&s);
      x->p++;
    } else {
      n = utf8_len(c);
      if (n > (size_t)(x->end - x->p)) n = (size_t)(x->end - x->p);
      seq_lit(x, &s, x->p, n);
      x->p += n;
    }
    for (int q; (q = lx_quant(x)) != 0;) seq_quant(&s, q);
  }
  seq_commit_pending(&s);
  seq_flush(&s);
  *best = s.best;
  if (second) *second = s.second;
}

/* second, when not NULL, gets a second required set: only a regex of one
 * alternative has one (each alternative's would be needed otherwise). */
static void lx_alt(lx *x, litset *out, litset *second) {
  litset acc;
  int complete = 1, nalt = 0;
  acc.n = 0;
  for (;;) {
    litset b;
    lx_seq(x, &b, second && !nalt++ ? second : NULL);
    if (x->giveup) break;
    if (!b.n) {
      complete = 0;
    } else if (complete) {
      if (acc.n + b.n > RULES_LITSET_MAX) {
        complete = 0;
      } else {
        for (size_t i = 0; i < b.n; i++) {
          acc.len[acc.n] = b.len[i];
          memcpy(acc.lit[acc.n], b.lit[i], b.len[i]);
          acc.n++;
        }
      }
    }
    if (x->p < x->end && *x->p == '|') {
      x->p++;
      continue;
    }
    break;
  }
  if (x->giveup || !complete) acc.n = 0;
  *out = acc;
  if (second && (nalt > 1 || !acc.n)) second->n = 0;
}

/* second (NULL: not wanted) gets another set the regex requires too. */
static void regex_literals(const pattern *p, int caseless, litset *out, litset *second) {
  lx x = {.p = (const uint8_t *)p->text,
          .end = (const uint8_t *)p->text + p->len,
          .caseless = caseless};
  lx_alt(&x, out, second);
  if (x.giveup || x.p != x.end) {
    out->n = 0;
    if (second) second->n = 0;
    return;
  }
  if (x.saw_i && !caseless) regex_literals(p, 1, out, second);
}

void soc_rules_pattern_literals(const pattern *p, litset *out) {
  out->n = 0;
  if (p->kind == PAT_REGEX) {
    regex_literals(p, p->nocase, out, NULL);
    return;
  }
  if (!p->len) return;
  out->n = 1;
  out->len[0] = p->len < RULES_LIT_MAX ? p->len : RULES_LIT_MAX;
  for (size_t i = 0; i < out->len[0]; i++) out->lit[0][i] = (char)fold((uint8_t)p->text[i]);
}

/* ---- choosing a rule's anchor -------------------------------------------- */

enum { ANCHOR_NONE, ANCHOR_ALL, ANCHOR_ANY, ANCHOR_REQ };

static int anchor_choose(const soc_rule *r, size_t *all_index, const pattern **blame) {
  litset best = {0}, s;
  size_t any_min = SIZE_MAX, any_n = 0;
  int any_ok = r->nany > 0, kind = ANCHOR_NONE;
  if (blame) *blame = NULL;
  if (r->nreq) return ANCHOR_REQ; /* sigma.c chose them, each with a literal */
  for (size_t i = 0; i < r->nall; i++) {
    soc_rules_pattern_literals(&r->all[i], &s);
    if (!s.n && blame && !*blame && r->all[i].kind == PAT_REGEX) *blame = &r->all[i];
    if (set_better(&s, &best)) {
      best = s;
      *all_index = i;
      kind = ANCHOR_ALL;
    }
  }
  for (size_t i = 0; i < r->nany; i++) {
    soc_rules_pattern_literals(&r->any[i], &s);
    if (!s.n) {
      if (blame && !*blame && r->any[i].kind == PAT_REGEX) *blame = &r->any[i];
      any_ok = 0;
      continue;
    }
    if (set_minweight(&s) < any_min) any_min = set_minweight(&s);
    any_n += s.n;
  }
  if (any_ok && (kind == ANCHOR_NONE || any_min > set_minweight(&best) ||
                 (any_min == set_minweight(&best) && any_n < best.n)))
    kind = ANCHOR_ANY;
  if (kind != ANCHOR_NONE && blame) *blame = NULL;
  return kind;
}

int soc_rules_rule_anchor_blame(const soc_rule *r, const pattern **blame) {
  size_t idx = 0;
  return anchor_choose(r, &idx, blame) != ANCHOR_NONE;
}

/* ---- building the automata ----------------------------------------------- */

/* The name of the automaton that scans f: an extra's own name or the
 * one it shares; NULL for the known fields. */
static const char *scan_name(const fref *f) {
  if (f->kind != FREF_EXTRA) return NULL;
  return f->scan_as ? f->scan_as : f->name;
}

static int scan_eq(const fref *a, const fref *b) {
  const char *x = scan_name(a), *y = scan_name(b);
  if (x || y) return x && y && !strcmp(x, y);
  return a->kind == b->kind && (a->kind != FREF_STR && a->kind != FREF_INT ? 1 : a->ecs == b->ecs);
}

static int fref_eq(const fref *a, const fref *b) {
  if (a->kind != b->kind) return 0;
  if (a->kind == FREF_STR || a->kind == FREF_INT) return a->ecs == b->ecs;
  if (a->kind == FREF_EXTRA) return !strcmp(a->name, b->name);
  return 1;
}

typedef struct lit_entry {
  size_t field;
  uint32_t rule;
  size_t len;
  char lit[RULES_LIT_MAX];
} lit_entry;

typedef struct out_pair {
  uint32_t state, rule;
} out_pair;

static int cmp_out_pair(const void *a, const void *b) {
  const out_pair *x = a, *y = b;
  if (x->state != y->state) return x->state < y->state ? -1 : 1;
  return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void ac_release(ac_auto *a) {
  soc_rules_fref_release(&a->field);
  free(a->delta);
  free(a->out_start);
  free(a->out_count);
  free(a->out_nrules);
  free(a->depth);
  free(a->out_rules);
  memset(a, 0, sizeof *a);
}

/* Moves state s to number to[s] in every table of a, and makes a->delta
 * from g (the caller's): each entry its state's row offset less
 * a->out_from, which the caller set. */
static int ac_renumber(ac_auto *a, const uint32_t *g, const uint32_t *to, uint32_t nst,
                       uint32_t ncls) {
  int result = -ENOMEM;
  int32_t *ng = malloc((size_t)nst * ncls * sizeof *ng);
  uint32_t *start = malloc(nst * sizeof *start), *count = malloc(nst * sizeof *count);
  uint32_t *nrules = malloc(nst * sizeof *nrules);
  uint8_t *depth = malloc(nst);
  if (!ng || !start || !count || !nrules || !depth) goto out;
  for (uint32_t s = 0; s < nst; s++) {
    for (uint32_t c = 0; c < ncls; c++)
      ng[(size_t)to[s] * ncls + c] =
          (int32_t)(to[g[(size_t)s * ncls + c]] * ncls) - (int32_t)a->out_from;
    start[to[s]] = a->out_start[s];
    count[to[s]] = a->out_count[s];
    nrules[to[s]] = a->out_nrules[s];
    depth[to[s]] = a->depth[s];
  }
  free(a->out_start);
  free(a->out_count);
  free(a->out_nrules);
  free(a->depth);
  a->delta = ng;
  a->out_start = start;
  a->out_count = count;
  a->out_nrules = nrules;
  a->depth = depth;
  ng = NULL;
  start = count = nrules = NULL;
  depth = NULL;
  result = 0;
out:
  free(ng);
  free(start);
  free(count);
  free(nrules);
  free(depth);
  return result;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Gives each state of a (numbered as built) one list of every id that
 * reaching it marks: its own literal's and those of the literals that end
 * in it as its suffixes (along dict, the failure chain's states with
 * output), each once, ascending, so the rules (ids < nrules) come first
 * and the patterns' pids after them. The scan's mark then walks one list
 * per output, with no chain, and writes a pid without the test and the
 * candidate a rule needs. */
static int ac_flatten(ac_auto *a, const uint32_t *dict, uint32_t nst, size_t nrules) {
  size_t total = 0, k = 0;
  for (uint32_t s = 1; s < nst; s++) {
    a->nliterals += a->out_count[s] > 0;
    for (uint32_t q = s; q; q = dict[q]) total += a->out_count[q];
  }
  if (total > UINT32_MAX) return -E2BIG;
  uint32_t *v = malloc((total ? total : 1) * sizeof *v);
  uint32_t *start = calloc(nst, sizeof *start), *count = calloc(nst, sizeof *count);
  a->out_nrules = calloc(nst, sizeof *a->out_nrules);
  if (!v || !start || !count || !a->out_nrules) {
    free(v);
    free(start);
    free(count);
    return -ENOMEM;
  }
  for (uint32_t s = 1; s < nst; s++) {
    size_t from = k, m = 0;
    for (uint32_t q = s; q; q = dict[q])
      for (uint32_t i = 0; i < a->out_count[q]; i++) v[k++] = a->out_rules[a->out_start[q] + i];
    qsort(v + from, k - from, sizeof *v, cmp_u32);
    for (size_t i = from; i < k; i++)
      if (i == from || v[i] != v[from + m - 1]) v[from + m++] = v[i];
    k = from + m;
    start[s] = (uint32_t)from;
    count[s] = (uint32_t)m;
    for (size_t i = from; i < k && v[i] < nrules; i++) a->out_nrules[s]++;
  }
  free(a->out_rules);
  free(a->out_start);
  free(a->out_count);
  a->out_rules = v;
  a->out_start = start;
  a->out_count = count;
  return 0;
}

/* Builds the DFA for the entries of one field, literals cut at lit_max;
 * ids below nrules are rules, the others pids. */
static int ac_build(ac_auto *a, const lit_entry *e, size_t n, size_t field, size_t lit_max,
                    size_t nrules) {
  int result = -ENOMEM;
  uint8_t used[256] = {0}, cls_of[256] = {0};
  size_t maxst = 1, npairs = 0, nout = 0;
  uint32_t ncls = 1, nst = 1, *g = NULL, *fail = NULL, *queue = NULL, *dict = NULL;
  out_pair *pairs = NULL;
  uint8_t *term = NULL;
  for (size_t i = 0; i < n; i++) {
    if (e[i].field != field) continue;
    size_t len = e[i].len < lit_max ? e[i].len : lit_max;
    for (size_t j = 0; j < len; j++) used[(uint8_t)e[i].lit[j]] = 1;
    maxst += len;
    npairs++;
  }
  for (unsigned b = 0; b < 256; b++)
    if (used[b]) cls_of[b] = (uint8_t)ncls++;
  for (unsigned b = 0; b < 256; b++) a->cls[b] = cls_of[fold((uint8_t)b)];
  a->ncls = ncls;
  if ((uint64_t)maxst * ncls > AC_CELLS_MAX) {
    result = -E2BIG;
    goto out;
  }
  g = calloc(maxst * ncls, sizeof *g);
  pairs = calloc(npairs ? npairs : 1, sizeof *pairs);
  a->depth = calloc(maxst, 1);
  if (!g || !pairs || !a->depth) goto out;
  npairs = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t s = 0;
    if (e[i].field != field) continue;
    size_t len = e[i].len < lit_max ? e[i].len : lit_max;
    for (size_t j = 0; j < len; j++) {
      uint32_t *cell = &g[(size_t)s * ncls + a->cls[(uint8_t)e[i].lit[j]]];
      if (!*cell) {
        a->depth[nst] = (uint8_t)(j + 1);
        *cell = nst++;
      }
      s = *cell;
    }
    pairs[npairs++] = (out_pair){s, e[i].rule};
  }
  qsort(pairs, npairs, sizeof *pairs, cmp_out_pair);
  a->nstates = nst;
  a->out_start = calloc(nst, sizeof *a->out_start);
  a->out_count = calloc(nst, sizeof *a->out_count);
  a->out_rules = calloc(npairs ? npairs : 1, sizeof *a->out_rules);
  dict = calloc(nst, sizeof *dict);
  fail = calloc(nst, sizeof *fail);
  queue = calloc(nst, sizeof *queue);
  term = calloc(nst, 1);
  if (!a->out_start || !a->out_count || !dict || !a->out_rules || !fail || !queue || !term)
    goto out;
  for (size_t i = 0; i < npairs; i++) {
    if (i && pairs[i].state == pairs[i - 1].state && pairs[i].rule == pairs[i - 1].rule) continue;
    if (!a->out_count[pairs[i].state]) a->out_start[pairs[i].state] = (uint32_t)nout;
    a->out_count[pairs[i].state]++;
    a->out_rules[nout++] = pairs[i].rule;
  }
  /* Breadth first, so a state's failure target (shallower) has its row
   * complete before the state's own missing edges copy from it. */
  size_t head = 0, tail = 0;
  for (uint32_t c = 0; c < ncls; c++)
    if (g[c]) queue[tail++] = g[c];
  while (head < tail) {
    uint32_t s = queue[head++];
    for (uint32_t c = 0; c < ncls; c++) {
      uint32_t *cell = &g[(size_t)s * ncls + c];
      uint32_t via = g[(size_t)fail[s] * ncls + c];
      if (*cell) {
        fail[*cell] = via;
        dict[*cell] = a->out_count[via] ? via : dict[via];
        queue[tail++] = *cell;
      } else {
        *cell = via;
      }
    }
  }
  /* Renumbered: the start state stays 0 (reaching it ends no literal the
   * scan could name), the states that end one go last. */
  if ((result = ac_flatten(a, dict, nst, nrules))) goto out;
  result = -ENOMEM;
  uint32_t nout_states = 0, lo = 1;
  for (uint32_t s = 1; s < nst; s++) {
    term[s] = a->out_count[s] > 0;
    nout_states += term[s];
  }
  for (uint32_t s = 1, hi = nst - nout_states; s < nst; s++) queue[s] = term[s] ? hi++ : lo++;
  queue[0] = 0;
  a->out_from = lo * ncls;
  if (ac_renumber(a, g, queue, nst, ncls)) goto out;
  /* ceil(2^40 / ncls): for row = state * ncls < 2^24 (AC_CELLS_MAX),
   * row * row_magic = state * 2^40 + state * (< ncls), the excess < 2^40 */
  a->row_magic = ((1ull << 40) + ncls - 1) / ncls;
  result = 0;
out:
  free(g);
  free(pairs);
  free(dict);
  free(fail);
  free(queue);
  free(term);
  return result;
}

void soc_rules_free_automata(soc_rules *rules) {
  for (size_t i = 0; rules->ac && i < rules->nac; i++) ac_release(&rules->ac[i]);
  free(rules->ac);
  free(rules->ac_extra);
  free(rules->ac_plain);
  rules->ac_extra = NULL;
  rules->ac_plain = NULL;
  rules->ac_extra_cap = rules->nac_extra = rules->nac_plain = 0;
  free(rules->unanchored);
  free(rules->prog_names);
  free(rules->prog_ids);
  rules->prog_names = NULL;
  rules->prog_ids = NULL;
  rules->prog_cap = 0;
  rules->ac = NULL;
  rules->unanchored = NULL;
  rules->nac = rules->nunanchored = 0;
}

/* Unicode case folding: a caseless regex matches 's' and 'k' also as
 * these (UTF-8). */
#define LONG_S "\xc5\xbf"
#define KELVIN "\xe2\x84\xaa"
#define SECOND_WEIGHT_MIN 10 /* lit_weight of a second set's lightest literal */
#define FOLD_VARIANTS_MAX 3  /* s or k expanded per literal: 8 variants */

/* Enters lit, and for a regex (caseless or with an inline (?i)) its
 * variants with U+017F for 's' and U+212A for 'k', each cut at
 * RULES_LIT_MAX (a prefix of a required literal is required too). After
 * FOLD_VARIANTS_MAX such letters the literal is cut. Plain patterns fold
 * ASCII only: their literal is entered as it is. */
static int add_variants(size_t f, uint32_t rule, const char *lit, size_t len, int regex,
                        lit_entry **e, size_t *n, size_t *cap) {
  size_t pos[FOLD_VARIANTS_MAX], npos = 0;
  for (size_t i = 0; regex && i < len; i++) {
    if (lit[i] != 's' && lit[i] != 'k') continue;
    if (npos == FOLD_VARIANTS_MAX) {
      len = i;
      break;
    }
    pos[npos++] = i;
  }
  for (unsigned v = 0; v < (1u << npos); v++) {
    lit_entry *x;
    size_t k = 0, o = 0;
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 64;
      lit_entry *ne = realloc(*e, nc * sizeof *ne);
      if (!ne) return -ENOMEM;
      *e = ne;
      *cap = nc;
    }
    x = &(*e)[*n];
    for (size_t i = 0; i < len && o < RULES_LIT_MAX; i++) {
      const char *rep = NULL;
      if (k < npos && pos[k] == i && (v >> k++) & 1) rep = lit[i] == 's' ? LONG_S : KELVIN;
      if (!rep) {
        x->lit[o++] = lit[i];
        continue;
      }
      for (; *rep && o < RULES_LIT_MAX; rep++) x->lit[o++] = *rep;
    }
    x->field = f;
    x->rule = rule;
    x->len = o;
    (*n)++;
  }
  return 0;
}

/* Enters set s of pattern p's literals under output id rule. */
static int add_set(const pattern *p, const litset *s, uint32_t rule, const fref **fields,
                   size_t *nfields, lit_entry **e, size_t *n, size_t *cap) {
  size_t f = 0;
  while (f < *nfields && !scan_eq(fields[f], &p->field)) f++;
  if (f == *nfields) fields[(*nfields)++] = &p->field;
  for (size_t i = 0; i < s->n; i++)
    if (add_variants(f, rule, s->lit[i], s->len[i], p->kind == PAT_REGEX, e, n, cap))
      return -ENOMEM;
  return 0;
}

static int add_literals(const pattern *p, uint32_t rule, const fref **fields, size_t *nfields,
                        lit_entry **e, size_t *n, size_t *cap) {
  litset s;
  soc_rules_pattern_literals(p, &s);
  return add_set(p, &s, rule, fields, nfields, e, n, cap);
}

static int cmp_lit_entry(const void *a, const void *b) {
  const lit_entry *x = a, *y = b;
  if (x->field != y->field) return x->field < y->field ? -1 : 1;
  if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return memcmp(x->lit, y->lit, x->len);
}

/* Drops repeated (field, rule, literal) entries: fields that share an
 * automaton bring the same literal once per shape, and the automaton's
 * size bound counts every entry. Returns the new count. */
static size_t lit_unique(lit_entry *e, size_t n) {
  size_t k = 0;
  if (n > 1) qsort(e, n, sizeof *e, cmp_lit_entry);
  for (size_t i = 0; i < n; i++)
    if (!k || cmp_lit_entry(&e[k - 1], &e[i])) e[k++] = e[i];
  return k;
}

/* Calls fn on every pattern of r: all, any, none and those of its `where`
 * tree (Sigma); stops at the first nonzero return. */
typedef int (*pattern_fn)(pattern *p, void *arg);

static int cond_patterns(cond *c, pattern_fn fn, void *arg) {
  if (c->op == C_PATTERN) return fn(c->pat, arg);
  if (c->op != C_ANY_OF && c->op != C_ALL_OF && c->op != C_NOT) return 0;
  for (size_t i = 0; i < (c->op == C_NOT ? 1 : c->nsub); i++) {
    int rc = cond_patterns(&c->sub[i], fn, arg);
    if (rc) return rc;
  }
  return 0;
}

/* r's all, any and none: a Sigma rule has none of these (its tree is
 * `where`). */
static int rule_own_patterns(soc_rule *r, pattern_fn fn, void *arg) {
  pattern *v[3] = {r->all, r->any, r->none};
  size_t nv[3] = {r->nall, r->nany, r->nnone};
  int rc = 0;
  for (size_t k = 0; k < 3 && !rc; k++)
    for (size_t i = 0; i < nv[k] && !rc; i++) rc = fn(&v[k][i], arg);
  return rc;
}

static int rule_patterns(soc_rule *r, pattern_fn fn, void *arg) {
  int rc = rule_own_patterns(r, fn, arg);
  for (size_t i = 0; i < r->nwhere && !rc; i++) rc = cond_patterns(&r->where[i], fn, arg);
  return rc;
}

static int count_pattern(pattern *p, void *arg) {
  (void)p;
  (*(size_t *)arg)++;
  return 0;
}

typedef struct pid_env {
  soc_rules *rs;
  const fref **fields;
  size_t *nfields;
  lit_entry **e;
  size_t *n, *cap;
  int contains; /* 0: regexes; 1: contains patterns */
  int second;   /* a regex's second set of literals wanted (not Sigma's) */
} pid_env;

/* Gives set s of p's literals the next pid (*pid: 1 + its index among
 * them), entered under output id rules->n + that index. */
static int pid_add(pid_env *x, const pattern *p, const litset *s, uint32_t *pid) {
  *pid = (uint32_t)++x->rs->npid;
  return add_set(p, s, (uint32_t)(x->rs->n + *pid - 1), x->fields, x->nfields, x->e, x->n, x->cap);
}

/* Gives regex p a pid and its literals to the automaton of its field, so
 * that a line without them never runs it (pattern_possible). Extras are
 * left out: their automata are shared between names (scan_as) and found
 * from the event's side, so a pid there would need every name entered.
 * Then (x->contains) the same for the contains patterns of all, any and
 * none, on a field that has an automaton already: a nocase contains folds
 * the whole subject and searches it (a kernel line's four SYN flood
 * spellings did so on every one), yet a field scanned for them alone costs
 * every line a pass. Sigma's are left out: a pack's thousands, found in
 * lines whose rules are no candidates, cost more marks than they save.
 * A regex that requires a second set of literals besides its best (a
 * sequence of literals apart: SOC-FW-001's "proto=tcp spt=" is on every
 * firewall line, its "syn urgp=" on the SYN ones only) gets a second pid
 * for it, and runs only when both were found. Only a long one (lit_weight
 * SECOND_WEIGHT_MIN): a second literal is a mark wherever it is, and the
 * short ones are nearly everywhere (" " and '"' doubled the scan; at weight 6
 * " from ", "password", "command=" cost bench/gen_lines.py's lines 2.7 % more
 * than they saved; at 10, 1 %, for 12 % less on bench/gen_mixed.py's). Not
 * Sigma's: with the SigmaHQ pack they saved 125 runs of 31,875 and cost more. */
static int pid_assign(pattern *p, void *arg) {
  pid_env *x = arg;
  litset s, second = {.n = 0};
  size_t f = 0;
  int rc;
  if (p->pid || p->kind != (x->contains ? PAT_CONTAINS : PAT_REGEX) || p->field.kind == FREF_EXTRA)
    return 0;
  while (x->contains && f < *x->nfields && !scan_eq(x->fields[f], &p->field)) f++;
  if (x->contains && f == *x->nfields) return 0;
  if (p->kind == PAT_REGEX)
    regex_literals(p, p->nocase, &s, &second);
  else
    soc_rules_pattern_literals(p, &s);
  if (!s.n) return 0;
  rc = pid_add(x, p, &s, &p->pid);
  if (rc || !x->second || !second.n || set_minweight(&second) < SECOND_WEIGHT_MIN) return rc;
  return pid_add(x, p, &second, &p->pid2);
}

typedef struct regex_list {
  pattern **v;
  size_t n, cap;
} regex_list;

static int list_regex(pattern *p, void *arg) {
  regex_list *l = arg;
  if (p->kind != PAT_REGEX || !p->re) return 0;
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 64;
    pattern **nv = realloc(l->v, nc * sizeof *nv);
    if (!nv) return -ENOMEM;
    l->v = nv;
    l->cap = nc;
  }
  l->v[l->n++] = p;
  return 0;
}

static int cmp_regex(const void *a, const void *b) {
  const pattern *x = *(pattern *const *)a, *y = *(pattern *const *)b;
  uint32_t ox = 0, oy = 0;
  int c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  if ((c = memcmp(x->text, y->text, x->len))) return c;
  (void)pcre2_pattern_info(x->re, PCRE2_INFO_ALLOPTIONS, &ox);
  (void)pcre2_pattern_info(y->re, PCRE2_INFO_ALLOPTIONS, &oy);
  if (ox != oy) return ox < oy ? -1 : 1;
  if (x->field.kind != y->field.kind) return x->field.kind < y->field.kind ? -1 : 1;
  if (x->field.kind == FREF_EXTRA) return strcmp(x->field.name, y->field.name);
  if (x->field.kind == FREF_STR || x->field.kind == FREF_INT)
    return x->field.ecs < y->field.ecs ? -1 : x->field.ecs > y->field.ecs;
  return 0;
}

/* Regexes written the same in several rules (one access-log parse in
 * every web rule, the same firewall line in two) on the same field share
 * a memo slot: within one state of the event's fields the first run's
 * result and offsets serve the others (pattern_match). */
static int memo_assign(soc_rules *rs) {
  regex_list l = {0};
  int result = -ENOMEM;
  for (size_t i = 0; i < rs->n; i++)
    if (rule_patterns(rs->rules[i], list_regex, &l)) goto out;
  if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, cmp_regex);
  for (size_t i = 0, j; i < l.n; i = j) {
    for (j = i + 1; j < l.n && !cmp_regex(&l.v[i], &l.v[j]); j++) {
    }
    if (j - i < 2) continue;
    rs->nmemo++;
    for (size_t k = i; k < j; k++) l.v[k]->memo = (uint32_t)rs->nmemo;
  }
  /* A capture into a field a shared regex reads makes its result stale.
   * Numbers and the fields derived from them (facility, severity names),
   * and extras (a Sigma name may stand for several: "a|b"), are compared
   * by kind only, which can only say "stale" too often. */
  for (size_t i = 0; i < rs->n; i++) {
    soc_rule *r = rs->rules[i];
    for (size_t c = 0; c < r->ncaps && !r->rewrites_memo; c++) {
      const fref *t = &r->caps[c].target;
      int tnum = t->kind != FREF_STR;
      for (size_t k = 0; k < l.n && !r->rewrites_memo; k++) {
        const fref *f = &l.v[k]->field;
        int fnum = f->kind != FREF_STR;
        if (l.v[k]->memo &&
            (fref_eq(t, f) || (tnum && fnum && (t->kind == FREF_EXTRA) == (f->kind == FREF_EXTRA))))
          r->rewrites_memo = 1;
      }
    }
  }
  result = 0;
out:
  free(l.v);
  return result;
}

static uint32_t regex_groups_max(const pattern *v, size_t n, uint32_t max) {
  for (size_t i = 0; i < n; i++) {
    uint32_t c = 0;
    if (v[i].re && pcre2_pattern_info(v[i].re, PCRE2_INFO_CAPTURECOUNT, &c) == 0 && c > max)
      max = c;
  }
  return max;
}

/* A program name's hash: its length and its first and last bytes, a few
 * instructions where a hash of every byte costs more than the compare
 * that confirms a slot. The names of one set are a few dozen at most. */
static size_t prog_hash(const char *s, size_t len) {
  if (!len) return 0;
  return len * 0x9e37u ^ (size_t)(uint8_t)s[0] * 0x1f1u ^ (uint8_t)s[len - 1];
}

/* The slot of program name s[0..len) in rs->prog_names, or PROG_NONE. */
#define PROG_NONE UINT32_MAX
static uint32_t prog_find(const soc_rules *rs, const char *s, size_t len) {
  const size_t m = rs->prog_cap - 1;
  if (!rs->prog_cap) return PROG_NONE;
  for (size_t i = prog_hash(s, len) & m; rs->prog_names[i].name; i = (i + 1) & m)
    if (rs->prog_names[i].len == len && !memcmp(rs->prog_names[i].name, s, len)) return (uint32_t)i;
  return PROG_NONE;
}

/* Interns every rule's program names into rs->prog_names and gives each
 * rule its names' slots. Returns 0 or -ENOMEM. */
static int prog_intern(soc_rules *rs) {
  size_t total = 0, cap = 16, k = 0;
  for (size_t i = 0; i < rs->n; i++) total += rs->rules[i]->nprograms;
  if (!total) return 0;
  while (cap < 2 * total) cap *= 2;
  rs->prog_names = calloc(cap, sizeof *rs->prog_names);
  rs->prog_ids = calloc(total, sizeof *rs->prog_ids);
  if (!rs->prog_names || !rs->prog_ids) return -ENOMEM;
  rs->prog_cap = cap;
  for (size_t i = 0; i < rs->n; i++) {
    soc_rule *r = rs->rules[i];
    r->prog_ids = rs->prog_ids + k;
    for (size_t j = 0; j < r->nprograms; j++) {
      const char *name = r->programs[j];
      size_t len = strlen(name), s = prog_hash(name, len) & (cap - 1);
      while (rs->prog_names[s].name && strcmp(rs->prog_names[s].name, name))
        s = (s + 1) & (cap - 1);
      rs->prog_names[s] = (struct prog_slot){.name = name, .len = len};
      rs->prog_ids[k++] = (uint32_t)s;
    }
  }
  return 0;
}

/* The table's entry for the extra called name, or NULL. */
static const ac_ref *ac_extra_find(const soc_rules *rs, const char *name, const soc_event_key *k) {
  if (!rs->ac_extra_cap || !k->len) return NULL;
  for (size_t i = k->hash & (rs->ac_extra_cap - 1); rs->ac_extra[i].name;
       i = (i + 1) & (rs->ac_extra_cap - 1)) {
    const ac_ref *ref = &rs->ac_extra[i];
    if (ref->key.hash == k->hash && ref->key.len == k->len && !strcmp(ref->name, name)) return ref;
  }
  return NULL;
}

/* Enters the extra x (scanned by automaton ac) into the table, once. */
static void ac_extra_put(soc_rules *rs, const fref *x, uint32_t ac) {
  size_t i;
  if (!x->key.len) return; /* a name no event can have */
  for (i = x->key.hash & (rs->ac_extra_cap - 1); rs->ac_extra[i].name;
       i = (i + 1) & (rs->ac_extra_cap - 1))
    if (!strcmp(rs->ac_extra[i].name, x->name)) return;
  rs->ac_extra[i] = (ac_ref){.name = x->name, .key = x->key, .ac = ac};
  rs->nac_extra++;
}

int soc_rules_build_automata(soc_rules *rs) {
  int result = -ENOMEM;
  lit_entry *e = NULL;
  size_t ne = 0, cap = 0, nfields = 0;
  /* one field per distinct subject: at most one per pattern */
  const fref **fields = NULL;
  size_t maxfields = 1;
  for (size_t i = 0; i < rs->n; i++) {
    maxfields += rs->rules[i]->nall + rs->rules[i]->nany + rs->rules[i]->nreq;
    (void)rule_patterns(rs->rules[i], count_pattern, &maxfields); /* their pids' fields */
  }
  fields = calloc(maxfields, sizeof *fields);
  rs->unanchored = calloc(rs->n ? rs->n : 1, sizeof *rs->unanchored);
  if (!fields || !rs->unanchored || prog_intern(rs) < 0) goto out;
  for (size_t i = 0; i < rs->n; i++) {
    soc_rule *r = rs->rules[i];
    size_t idx = 0;
    int kind = anchor_choose(r, &idx, NULL);
    r->anchored = kind != ANCHOR_NONE;
    rs->max_groups = regex_groups_max(r->all, r->nall, rs->max_groups);
    rs->max_groups = regex_groups_max(r->any, r->nany, rs->max_groups);
    rs->max_groups = regex_groups_max(r->none, r->nnone, rs->max_groups);
    if (r->ncaps > rs->max_caps) rs->max_caps = r->ncaps;
    if (r->members) continue; /* its members feed it: it matches nothing itself */
    if (kind == ANCHOR_NONE) {
      rs->unanchored[rs->nunanchored++] = (uint32_t)i;
      continue;
    }
    if (kind == ANCHOR_ALL) {
      if (add_literals(&r->all[idx], (uint32_t)i, fields, &nfields, &e, &ne, &cap)) goto out;
      continue;
    }
    if (kind == ANCHOR_REQ) {
      for (size_t j = 0; j < r->nreq; j++)
        if (add_literals(r->req[j], (uint32_t)i, fields, &nfields, &e, &ne, &cap)) goto out;
      continue;
    }
    for (size_t j = 0; j < r->nany; j++)
      if (add_literals(&r->any[j], (uint32_t)i, fields, &nfields, &e, &ne, &cap)) goto out;
  }
  {
    pid_env x = {rs, fields, &nfields, &e, &ne, &cap, 0, 0};
    for (size_t i = 0; i < rs->n; i++) {
      if (rs->rules[i]->members) continue;
      x.second = 1;
      if (rule_own_patterns(rs->rules[i], pid_assign, &x)) goto out;
      x.second = 0;
      if (rule_patterns(rs->rules[i], pid_assign, &x)) goto out;
    }
    x.contains = 1;
    for (size_t i = 0; i < rs->n; i++)
      if (!rs->rules[i]->members && rule_own_patterns(rs->rules[i], pid_assign, &x)) goto out;
  }
  if (memo_assign(rs)) goto out;
  ne = lit_unique(e, ne);
  rs->ac = calloc(nfields ? nfields : 1, sizeof *rs->ac);
  if (!rs->ac) goto out;
  for (size_t f = 0; f < nfields; f++) {
    ac_auto *a = &rs->ac[f];
    size_t lit_max = RULES_LIT_MAX;
    for (;;) {
      result = ac_build(a, e, ne, f, lit_max, rs->n);
      if (result != -E2BIG || lit_max <= 4) break;
      ac_release(a);
      lit_max /= 2;
    }
    if (result) goto out;
    rs->nac++;
    a->field = *fields[f];
    a->field.scan_as = NULL;
    a->field.name = strdup(scan_name(fields[f]) ? scan_name(fields[f]) : fields[f]->name);
    if (!a->field.name) {
      result = -ENOMEM;
      goto out;
    }
    if (a->field.kind == FREF_EXTRA && soc_event_key_of(a->field.name, &a->field.key))
      a->field.key.len = 0;
  }
  {
    /* every extra name an automaton scans: its own, and those that share it */
    size_t nextra = 0, capx = 16;
    for (size_t f = 0; f < nfields; f++) nextra += fields[f]->kind == FREF_EXTRA;
    for (size_t i = 0; i < rs->n; i++) nextra += rs->rules[i]->nreq;
    while (capx < 2 * nextra) capx *= 2;
    rs->ac_extra = calloc(capx, sizeof *rs->ac_extra);
    rs->ac_plain = calloc(rs->nac ? rs->nac : 1, sizeof *rs->ac_plain);
    if (!rs->ac_extra || !rs->ac_plain) {
      result = -ENOMEM;
      goto out;
    }
    rs->ac_extra_cap = capx;
    for (size_t f = 0; f < rs->nac; f++) {
      if (rs->ac[f].field.kind != FREF_EXTRA)
        rs->ac_plain[rs->nac_plain++] = (uint32_t)f;
      else
        ac_extra_put(rs, &rs->ac[f].field, (uint32_t)f);
    }
    for (size_t i = 0; i < rs->n; i++)
      for (size_t j = 0; j < rs->rules[i]->nreq; j++) {
        const fref *x = &rs->rules[i]->req[j]->field;
        if (!x->scan_as) continue;
        for (size_t f = 0; f < rs->nac; f++)
          if (scan_eq(&rs->ac[f].field, x)) {
            ac_extra_put(rs, x, (uint32_t)f);
            break;
          }
      }
  }
  /* A rule whose capture rewrites a scanned field changes what the
   * automaton saw; matching falls back to evaluating every later rule. */
  for (size_t i = 0; i < rs->n; i++) {
    soc_rule *r = rs->rules[i];
    for (size_t c = 0; c < r->ncaps; c++)
      for (size_t f = 0; f < rs->nac; f++)
        if (fref_eq(&r->caps[c].target, &rs->ac[f].field)) r->rewrites_anchor = 1;
    for (size_t c = 0; c < r->ncaps; c++)
      if (r->caps[c].target.kind == FREF_EXTRA &&
          ac_extra_find(rs, r->caps[c].target.name, &r->caps[c].target.key))
        r->rewrites_anchor = 1;
  }
  result = 0;
out:
  free(e);
  free(fields);
  return result;
}

/* ---- the per-thread context ---------------------------------------------- */

/* A captured value in the arena; set in the evaluation numbered gen (it is
 * the current evaluation's when gen is the context's egen). */
typedef struct staged {
  size_t off, len;
  uint64_t gen;
} staged;

struct soc_match_ctx {
  const soc_rules *rules;
  unsigned flags;
  uint32_t *mark; /* rule, then pid -> generation in which its literal was seen */
  uint32_t gen;
  int pf;        /* the automata's marks of this generation hold for the event's fields */
  uint64_t vgen; /* the fields' contents: bumped by a new event and by rewrites_memo */
  struct memo {
    uint64_t vgen; /* the contents of the fields the result is for */
    int rc;
  } * memo;
  PCRE2_SIZE *memo_ov; /* per slot: ovec_pairs pairs of offsets */
  uint32_t ovec_pairs;
  uint32_t *cand;
  size_t ncand;
  uint32_t *order;
  pcre2_match_data *md;
  pcre2_match_context *mc;
  pcre2_jit_stack *js;
  soc_event *probe; /* says whether the event would take a captured value */
  staged *staged;
  uint64_t egen; /* rule evaluations begun: a new one drops what the last staged */
  char *arena;
  size_t arena_len, arena_cap;
  struct {
    const char *s;
    size_t len;
    uint64_t gen;
  } fc[SOC_ECS_COUNT];
  uint64_t fgen;     /* 64 bits: a stale cached pointer must never look fresh again */
  uint32_t prog;     /* the event's process.name as prog_find gives it, while */
  uint64_t prog_gen; /* this is fgen */
  char *folded;      /* the last nocase subject, folded, for memmem */
  size_t folded_cap, folded_len;
  const fref *folded_of;
  uint64_t folded_gen;
  soc_match_stats st;
  /* soc_match_ctx_defer: */
  unsigned char ready[SOC_ECS_COUNT]; /* fields a pending event holds already */
  soc_match_complete_cb complete;
  void *complete_arg;
  int later_scanned;     /* an automaton scans an extra that complete sets */
  int pending_next;      /* soc_match_ctx_pending was called for the next event */
  soc_event *pending_ev; /* the event being matched, while complete is due */
};

void soc_match_ctx_free(soc_match_ctx *ctx) {
  if (!ctx) return;
  free(ctx->mark);
  free(ctx->memo);
  free(ctx->memo_ov);
  free(ctx->cand);
  free(ctx->order);
  pcre2_match_data_free(ctx->md);
  pcre2_match_context_free(ctx->mc);
  pcre2_jit_stack_free(ctx->js);
  soc_event_free(ctx->probe);
  free(ctx->staged);
  free(ctx->arena);
  free(ctx->folded);
  free(ctx);
}

soc_match_ctx *soc_match_ctx_new(const soc_rules *rules) {
  soc_match_ctx *ctx = NULL;
  size_t n;
  if (!rules) return NULL;
  n = rules->n ? rules->n : 1;
  ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->rules = rules;
  ctx->mark = calloc(n + rules->npid, sizeof *ctx->mark);
  ctx->cand = calloc(n, sizeof *ctx->cand);
  ctx->order = calloc(n, sizeof *ctx->order);
  ctx->md = pcre2_match_data_create(rules->max_groups + 1, NULL);
  ctx->ovec_pairs = rules->max_groups + 1;
  ctx->memo = calloc(rules->nmemo ? rules->nmemo : 1, sizeof *ctx->memo);
  ctx->memo_ov =
      calloc((rules->nmemo ? rules->nmemo : 1) * 2 * ctx->ovec_pairs, sizeof *ctx->memo_ov);
  ctx->mc = pcre2_match_context_create(NULL);
  ctx->js = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
  ctx->probe = soc_event_new();
  ctx->staged = calloc(rules->max_caps ? rules->max_caps : 1, sizeof *ctx->staged);
  ctx->arena_cap = 1024; /* never NULL: staged values point into it, empty ones too */
  ctx->arena = malloc(ctx->arena_cap);
  if (!ctx->arena || !ctx->mark || !ctx->memo || !ctx->memo_ov || !ctx->cand || !ctx->order ||
      !ctx->md || !ctx->mc || !ctx->js || !ctx->probe || !ctx->staged) {
    soc_match_ctx_free(ctx);
    return NULL;
  }
  pcre2_set_match_limit(ctx->mc, MATCH_LIMIT);
  pcre2_set_depth_limit(ctx->mc, MATCH_LIMIT);
  pcre2_jit_stack_assign(ctx->mc, NULL, ctx->js);
  return ctx;
}

void soc_match_ctx_set_flags(soc_match_ctx *ctx, unsigned flags) {
  if (ctx) ctx->flags = flags;
}

void soc_match_ctx_defer(soc_match_ctx *ctx, const soc_ecs_field *ready, size_t n,
                         const char *const *later, size_t nlater, soc_match_complete_cb complete,
                         void *arg) {
  if (!ctx) return;
  memset(ctx->ready, 0, sizeof ctx->ready);
  for (size_t i = 0; i < n; i++)
    if ((unsigned)ready[i] < SOC_ECS_COUNT) ctx->ready[ready[i]] = 1;
  ctx->later_scanned = 0;
  for (size_t i = 0; i < nlater; i++) {
    soc_event_key k;
    /* a name the event refuses is never set */
    if (!soc_event_key_of(later[i], &k) && ac_extra_find(ctx->rules, later[i], &k))
      ctx->later_scanned = 1;
  }
  ctx->complete = complete;
  ctx->complete_arg = arg;
}

void soc_match_ctx_pending(soc_match_ctx *ctx) {
  if (ctx && ctx->complete) ctx->pending_next = 1;
}

/* Finishes the pending event now. The fields read so far are ready ones,
 * which complete leaves as they are; cached pointers are dropped all the
 * same. */
static void complete_now(soc_match_ctx *ctx) {
  soc_event *ev = ctx->pending_ev;
  ctx->pending_ev = NULL;
  ctx->complete(ev, ctx->complete_arg);
  ctx->fgen++;
}

/* Completes a pending event unless field f is ready in it. */
static void need(soc_match_ctx *ctx, const fref *f) {
  int ready = 0;
  if (!ctx || !ctx->pending_ev) return;
  switch (f->kind) {
    case FREF_STR:
    case FREF_INT:
      ready = ctx->ready[f->ecs];
      break;
    case FREF_FACILITY:
      ready = ctx->ready[SOC_ECS_LOG_SYSLOG_FACILITY_CODE];
      break;
    case FREF_SEVERITY:
      ready = ctx->ready[SOC_ECS_LOG_SYSLOG_SEVERITY_CODE];
      break;
    case FREF_EVENT_ID:
    case FREF_EXTRA:
      break;
  }
  if (!ready) complete_now(ctx);
}

static void need_ecs(soc_match_ctx *ctx, soc_ecs_field f) {
  if (ctx->pending_ev && !ctx->ready[f]) complete_now(ctx);
}

void soc_match_ctx_stats(const soc_match_ctx *ctx, soc_match_stats *out) {
  if (!out) return;
  if (ctx)
    *out = ctx->st;
  else
    memset(out, 0, sizeof *out);
}

/* ---- reading fields ------------------------------------------------------ */

static const char *int_text(int64_t v, char *buf, size_t buflen, size_t *len) {
  int w = snprintf(buf, buflen, "%lld", (long long)v);
  *len = w > 0 ? (size_t)w : 0;
  return buf;
}

/* The value of f as rules read it; buf holds numbers (NUMBUF bytes). */
static const char *value_of(soc_match_ctx *ctx, const soc_event *ev, const fref *f, char *buf,
                            size_t *len) {
  const char *s = NULL;
  int64_t v;
  need(ctx, f);
  switch (f->kind) {
    case FREF_STR:
      if (ctx && ctx->fc[f->ecs].gen == ctx->fgen) {
        *len = ctx->fc[f->ecs].len;
        return ctx->fc[f->ecs].s;
      }
      s = soc_event_get_strn(ev, (soc_ecs_field)f->ecs, len);
      if (ctx) {
        ctx->fc[f->ecs].s = s;
        ctx->fc[f->ecs].len = *len;
        ctx->fc[f->ecs].gen = ctx->fgen;
      }
      return s;
    case FREF_INT:
      if (soc_event_get_int(ev, (soc_ecs_field)f->ecs, &v)) return NULL;
      return int_text(v, buf, NUMBUF, len);
    case FREF_FACILITY:
      if (soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, &v) || v < 0 || v > 23)
        return NULL;
      s = soc_rules_facility_names[v];
      break;
    case FREF_SEVERITY:
      if (soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, &v) || v < 0 || v > 7)
        return NULL;
      s = severity_names[v];
      break;
    case FREF_EVENT_ID:
      s = soc_event_get_id(ev);
      break;
    case FREF_EXTRA:
      s = f->key.len ? soc_event_get_keyed(ev, f->name, &f->key) : NULL;
      break;
  }
  *len = s ? strlen(s) : 0;
  return s;
}

const char *soc_rules_field_value(const soc_event *ev, const char *name, char *buf, size_t buflen) {
  int f;
  int64_t v;
  size_t len;
  const char *bar;
  if (!ev || !name) return NULL;
  if ((bar = strchr(name, '|'))) {
    /* "a|b|c" (Sigma: one field in several event shapes): the first there */
    char one[SOC_EVENT_KEY_MAX + 1];
    const char *s;
    do {
      size_t n = (size_t)(bar - name);
      if (n < sizeof one) {
        memcpy(one, name, n);
        one[n] = '\0';
        if ((s = soc_rules_field_value(ev, one, buf, buflen))) return s;
      }
      name = bar + 1;
    } while ((bar = strchr(name, '|')));
  }
  if (!strcmp(name, "log.syslog.facility.name") || !strcmp(name, "log.syslog.severity.name")) {
    int fac = name[11] == 'f';
    if (soc_event_get_int(
            ev, fac ? SOC_ECS_LOG_SYSLOG_FACILITY_CODE : SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, &v) ||
        v < 0 || v > (fac ? 23 : 7))
      return NULL;
    return fac ? soc_rules_facility_names[v] : severity_names[v];
  }
  if (!strcmp(name, "event.id")) return soc_event_get_id(ev);
  f = soc_ecs_field_lookup(name);
  if (f < 0) return soc_event_get(ev, name);
  const char *s = soc_event_get_str(ev, (soc_ecs_field)f);
  if (s) return s;
  if (!buf || buflen < NUMBUF || soc_event_get_int(ev, (soc_ecs_field)f, &v)) return NULL;
  return int_text(v, buf, buflen, &len);
}

const char *soc_rules_field_get(const soc_event *ev, const soc_rules_field *f, char *buf,
                                size_t buflen) {
  for (size_t i = 0; ev && f && i < f->n; i++) {
    const field_alt *a = &f->alt[i];
    const char *s = NULL;
    size_t len;
    if (a->by_name)
      s = soc_rules_field_value(ev, a->f.name, buf, buflen);
    else if (a->f.kind != FREF_INT || (buf && buflen >= NUMBUF))
      s = value_of(NULL, ev, &a->f, buf, &len);
    if (s) return s;
  }
  return NULL;
}

/* ---- confirming one rule ------------------------------------------------- */

static int eq_nocase(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fold((uint8_t)a[i]) != fold((uint8_t)b[i])) return 0;
  return 1;
}

/* The subject folded, cached per (field, generation): several nocase
 * patterns on one message fold it once. NULL when out of memory. */
static const char *folded_value(soc_match_ctx *ctx, const fref *f, const char *v, size_t len) {
  if (ctx->folded_of && ctx->folded_gen == ctx->fgen && fref_eq(ctx->folded_of, f))
    return ctx->folded;
  if (len + 1 > ctx->folded_cap) {
    size_t nc = len + 1 < 256 ? 256 : len + 1;
    char *nb = realloc(ctx->folded, nc);
    if (!nb) return NULL;
    ctx->folded = nb;
    ctx->folded_cap = nc;
  }
  for (size_t i = 0; i < len; i++) ctx->folded[i] = (char)fold((uint8_t)v[i]);
  ctx->folded[len] = '\0';
  ctx->folded_len = len;
  ctx->folded_of = f;
  ctx->folded_gen = ctx->fgen;
  return ctx->folded;
}

/* Writes v to a capture's target. A known string field goes by its number:
 * the loader checked the name once, and checking it again cost some 350
 * instructions a write (integers still go by name: the event parses them). */
static int set_target(soc_event *ev, const fref *t, const char *v, size_t len) {
  if (t->kind == FREF_STR) return soc_event_set_str(ev, (soc_ecs_field)t->ecs, v, len);
  /* an extra's name was checked at load (key.len 0: a name the event refuses) */
  if (t->kind == FREF_EXTRA && t->key.len) return soc_event_set_keyed(ev, t->name, &t->key, v, len);
  return soc_event_set(ev, t->name, v, len);
}

/* Writes a staged value to its capture's target. An address stage took
 * (validate) is not checked again: its check is most of the write. */
static int set_staged(soc_event *ev, const capmap *c, const char *v, size_t len) {
  if (c->validate && c->target.kind == FREF_STR)
    return soc_event_set_str_taken(ev, (soc_ecs_field)c->target.ecs, v, len);
  return set_target(ev, &c->target, v, len);
}

static int stage(soc_match_ctx *ctx, const soc_rule *r, size_t cap, const char *v, size_t len) {
  const capmap *c = &r->caps[cap];
  if (c->validate) {
    /* an IP or integer field: ask the event whether it takes the value, so
     * `where` never sees a value the event would then refuse (a string
     * field without writing it: one an event with room always takes) */
    if (c->target.kind == FREF_STR) {
      if (!soc_event_str_takes((soc_ecs_field)c->target.ecs, v, len)) return 0;
    } else {
      soc_event_reset(ctx->probe);
      if (set_target(ctx->probe, &c->target, v, len) != 0) return 0;
    }
  }
  if (ctx->arena_len + len > ctx->arena_cap) {
    size_t nc = ctx->arena_cap;
    while (nc < ctx->arena_len + len) nc *= 2;
    char *na = realloc(ctx->arena, nc);
    if (!na) return -ENOMEM;
    ctx->arena = na;
    ctx->arena_cap = nc;
  }
  memcpy(ctx->arena + ctx->arena_len, v, len);
  ctx->staged[cap] = (staged){ctx->arena_len, len, ctx->egen};
  ctx->arena_len += len;
  return 0;
}

/* 0 when p is a regex or contains none of whose required literals the
 * automaton found in its field: it cannot match, and is not run. Inline:
 * called for every `any` pattern of every candidate (750,000 times per
 * 100,000 mixed lines), the call cost twice the test. */
static inline int pattern_possible(soc_match_ctx *ctx, const pattern *p) {
  const uint32_t *pm = ctx->mark + ctx->rules->n - 1; /* by pid */
  if (!p->pid || !ctx->pf || (pm[p->pid] == ctx->gen && (!p->pid2 || pm[p->pid2] == ctx->gen)))
    return 1;
  ctx->st.regex_skips += p->kind == PAT_REGEX; /* what the statistic has always counted */
  return 0;
}

static int pattern_match(soc_match_ctx *ctx, const soc_event *ev, const soc_rule *r,
                         const pattern *p, int capture) {
  char buf[NUMBUF];
  size_t len = 0;
  if (!pattern_possible(ctx, p)) return 0;
  const char *v = value_of(ctx, ev, &p->field, buf, &len);
  if (!v) return 0;
  switch (p->kind) {
    case PAT_CONTAINS:
      if (!p->nocase) return memmem(v, len, p->text, p->len) != NULL;
      {
        const char *f = folded_value(ctx, &p->field, v, len);
        return f && memmem(f, len, p->text, p->len) != NULL; /* text is folded at load */
      }
    case PAT_STARTSWITH:
      return len >= p->len &&
             (p->nocase ? eq_nocase(v, p->text, p->len) : !memcmp(v, p->text, p->len));
    case PAT_ENDSWITH:
      return len >= p->len && (p->nocase ? eq_nocase(v + len - p->len, p->text, p->len)
                                         : !memcmp(v + len - p->len, p->text, p->len));
    case PAT_EQUALS:
      return len == p->len &&
             (p->nocase ? eq_nocase(v, p->text, p->len) : !memcmp(v, p->text, p->len));
    case PAT_REGEX: {
      PCRE2_SIZE *ov;
      uint32_t pairs;
      int rc;
      struct memo *m = p->memo ? &ctx->memo[p->memo - 1] : NULL;
      if (m && m->vgen == ctx->vgen) {
        rc = m->rc; /* the same regex on the same value, run for another rule */
        ov = ctx->memo_ov + (size_t)(p->memo - 1) * 2 * ctx->ovec_pairs;
        pairs = ctx->ovec_pairs;
      } else {
        /* Event values are valid UTF-8 (event.c repairs them), so the UTF
         * check can be skipped; pcre2_jit_match never does it anyway. */
        ctx->st.regexes++;
        rc = p->jit
                 ? pcre2_jit_match(p->re, (PCRE2_SPTR)v, len, 0, 0, ctx->md, ctx->mc)
                 : pcre2_match(p->re, (PCRE2_SPTR)v, len, 0, PCRE2_NO_UTF_CHECK, ctx->md, ctx->mc);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) ctx->st.regex_limits++;
        ov = pcre2_get_ovector_pointer(ctx->md);
        pairs = pcre2_get_ovector_count(ctx->md);
        if (m) {
          m->vgen = ctx->vgen;
          m->rc = rc;
          if (rc >= 0)
            memcpy(ctx->memo_ov + (size_t)(p->memo - 1) * 2 * ctx->ovec_pairs, ov,
                   2 * (size_t)pairs * sizeof *ov);
        }
      }
      if (rc < 0) return 0;
      if (capture && p->ncg) {
        for (size_t i = 0; i < p->ncg; i++) {
          uint32_t g = p->cg[i].group;
          if (g >= pairs || ctx->staged[p->cg[i].cap].gen == ctx->egen) continue;
          if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g]) continue;
          if (stage(ctx, r, p->cg[i].cap, v + ov[2 * g], ov[2 * g + 1] - ov[2 * g]) < 0) return 0;
        }
      }
      return 1;
    }
  }
  return 0;
}

static int parse_ip(const char *v, size_t len, uint8_t out[16]) {
  char buf[INET6_ADDRSTRLEN];
  if (!len || len >= sizeof buf) return -EINVAL;
  memcpy(buf, v, len);
  buf[len] = '\0';
  memset(out, 0, 16);
  if (inet_pton(AF_INET, buf, out + 12) == 1) {
    out[10] = out[11] = 0xff;
    return 0;
  }
  return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -EINVAL;
}

static int in_net(const cidr_net *n, const uint8_t *addr) {
  int full = n->len / 8, rest = n->len % 8;
  if (memcmp(n->addr, addr, (size_t)full)) return 0;
  if (!rest) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (n->addr[full] & mask) == (addr[full] & mask);
}

static int number_of(const char *v, size_t len, double *out) {
  char buf[64], *end = NULL;
  if (!len || len >= sizeof buf) return -EINVAL;
  memcpy(buf, v, len);
  buf[len] = '\0';
  if (isspace((unsigned char)buf[0])) return -EINVAL;
  double d = strtod(buf, &end);
  if (*end || !isfinite(d)) return -EINVAL;
  *out = d;
  return 0;
}

static int in_list(const cond *c, const char *v, size_t len) {
  for (size_t i = 0; i < c->nvals; i++)
    if (c->lens[i] == len && !memcmp(c->vals[i], v, len)) return 1;
  return 0;
}

static int cond_eval(soc_match_ctx *ctx, const soc_event *ev, const cond *c) {
  char buf[NUMBUF];
  size_t len = 0;
  const char *v;
  uint8_t addr[16];
  double d;
  if (c->op == C_ANY_OF) {
    for (size_t i = 0; i < c->nsub; i++)
      if (cond_eval(ctx, ev, &c->sub[i])) return 1;
    return 0;
  }
  if (c->op == C_ALL_OF) {
    for (size_t i = 0; i < c->nsub; i++)
      if (!cond_eval(ctx, ev, &c->sub[i])) return 0;
    return 1;
  }
  if (c->op == C_NOT) return !cond_eval(ctx, ev, c->sub);
  if (c->op == C_PATTERN) return pattern_match(ctx, ev, NULL, c->pat, 0);
  /* the rule's own captures are seen before they are written */
  if (c->cap >= 0 && ctx->staged[c->cap].gen == ctx->egen) {
    v = ctx->arena + ctx->staged[c->cap].off;
    len = ctx->staged[c->cap].len;
  } else {
    v = value_of(ctx, ev, &c->field, buf, &len);
  }
  switch (c->op) {
    case C_EXISTS:
      return (v != NULL) == c->exists;
    case C_EQUALS:
    case C_IN:
      return v && in_list(c, v, len);
    case C_NOT_IN:
      return !(v && in_list(c, v, len));
    case C_CIDR:
      if (!v || parse_ip(v, len, addr)) return 0;
      for (size_t i = 0; i < c->nnets; i++)
        if (in_net(&c->nets[i], addr)) return 1;
      return 0;
    case C_GT:
      return v && !number_of(v, len, &d) && d > c->num;
    case C_LT:
      return v && !number_of(v, len, &d) && d < c->num;
    case C_GE:
      return v && !number_of(v, len, &d) && d >= c->num;
    case C_LE:
      return v && !number_of(v, len, &d) && d <= c->num;
    case C_FIELDREF: {
      char rbuf[NUMBUF];
      size_t rlen = 0;
      const char *rv;
      if (!v) return 0;
      rv = value_of(ctx, ev, &c->ref, rbuf, &rlen);
      return rv && rlen == len && !memcmp(rv, v, len);
    }
    default:
      return 0;
  }
}

static int rule_eval(soc_match_ctx *ctx, const soc_event *ev, const soc_rule *r) {
  if (r->match_of) return rule_eval(ctx, ev, r->match_of); /* one level: sigma.c */
  if (r->members) return 0;                                /* fed by its members */
  ctx->arena_len = 0;
  ctx->egen++; /* nothing staged yet: no loop over the captures */
  if (r->nprograms) {
    size_t i = 0;
    need_ecs(ctx, SOC_ECS_PROCESS_NAME);
    if (ctx->prog_gen != ctx->fgen) { /* once a line, and after each hit */
      size_t len;
      const char *prog = soc_event_get_strn(ev, SOC_ECS_PROCESS_NAME, &len);
      ctx->prog = prog ? prog_find(ctx->rules, prog, len) : PROG_NONE;
      ctx->prog_gen = ctx->fgen;
    }
    while (i < r->nprograms && r->prog_ids[i] != ctx->prog) i++;
    if (i == r->nprograms) return 0;
  }
  if (r->facilities) {
    int64_t code;
    need_ecs(ctx, SOC_ECS_LOG_SYSLOG_FACILITY_CODE);
    if (soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_FACILITY_CODE, &code) || code < 0 || code > 23 ||
        !(r->facilities & (1u << code)))
      return 0;
  }
  /* Literals first: a rule whose `any` has no regex left to try is
   * dropped before its `all` regexes run. The `any` patterns before the
   * first possible one are not tried again below; their skips count twice
   * all the same, as the statistic always has. */
  size_t first = 0;
  uint64_t skipped = ctx->st.regex_skips;
  if (ctx->pf && r->nany) {
    while (first < r->nany && !pattern_possible(ctx, &r->any[first])) first++;
    if (first == r->nany) return 0;
  }
  skipped = ctx->st.regex_skips - skipped;
  for (size_t i = 0; i < r->nall; i++)
    if (!pattern_match(ctx, ev, r, &r->all[i], 1)) return 0;
  if (r->nany) {
    size_t i = first;
    ctx->st.regex_skips += skipped;
    while (i < r->nany && !pattern_match(ctx, ev, r, &r->any[i], 1)) i++;
    if (i == r->nany) return 0;
  }
  for (size_t i = 0; i < r->nnone; i++)
    if (pattern_match(ctx, ev, r, &r->none[i], 0)) return 0;
  for (size_t i = 0; i < r->nwhere; i++)
    if (!cond_eval(ctx, ev, &r->where[i])) return 0;
  return 1;
}

/* ---- the automaton pass -------------------------------------------------- */

/* The state whose row starts at offset row: a multiply for a division, on
 * the scan's way (row < 2^24, exact: build's row_magic). */
static uint32_t row_state(uint64_t row_magic, size_t row) {
  return (uint32_t)(((uint64_t)row * row_magic) >> 40);
}

/* Marks the literals that end in the state of table entry s (its row
 * offset less out_from: s >= 0): its list's rules as candidates, once
 * each, then its pids. */
static void mark(soc_match_ctx *ctx, const ac_auto *a, ptrdiff_t s) {
  uint32_t q = row_state(a->row_magic, (size_t)(s + a->out_from)), gen = ctx->gen;
  const uint32_t *r = a->out_rules + a->out_start[q], *pids = r + a->out_nrules[q];
  const uint32_t *end = r + a->out_count[q];
  uint32_t *m = ctx->mark;
  for (; r < pids; r++)
    if (m[*r] != gen) {
      m[*r] = gen;
      ctx->cand[ctx->ncand++] = *r;
    }
  for (; r < end; r++) m[*r] = gen;
}

/* Runs the part of a scan that ends at `end` on over the text after it
 * from its state s (a table entry), for as long as s is a literal's prefix
 * begun before end (deeper than the bytes read past end): a literal that
 * starts in the part and ends after it must be one. */
static void scan_past(soc_match_ctx *ctx, const ac_auto *a, const uint8_t *p, size_t end, size_t n,
                      ptrdiff_t s) {
  /* the row (the entry plus out_from) is what the depth's lookup needs and
   * what indexes the table unmoved: one add a byte either way */
  const int32_t *d = a->delta;
  const uint8_t *cls = a->cls, *depth = a->depth, *x = p + end;
  const ptrdiff_t out = a->out_from;
  const uint64_t magic = a->row_magic;
  size_t past = 0, row = (size_t)(s + out);
  while (past < n - end && depth[row_state(magic, row)] > past) {
    s = d[row + cls[x[past++]]];
    row = (size_t)(s + out);
    if (s >= 0) mark(ctx, a, s);
  }
}

/* What scan_run keeps between calls: the four parts' states, and the
 * states of the steps where one reached an output, four at a time, to be
 * marked after the run (the order of marks does not matter: candidates
 * are sorted). */
typedef struct scan4 {
  ptrdiff_t st[4];
  size_t nout;
  ptrdiff_t out[SCAN_OUTS];
} scan4;

/* Steps four parts q bytes apart from x to end, their states in w->st,
 * noting in w->out the states of every step where one reaches an output.
 * Returns end, or the byte just stepped when w->out was full (its states,
 * not noted, are w->st). States are table entries (row offsets less
 * out_from, on a table base moved by out_from): negative but for outputs,
 * so whether any part reached one is the sign of their AND. A function of
 * its own with no call in it: every value it uses stays in a register,
 * where the scan's calls to mark made the compiler keep some on the stack. */
__attribute__((noinline)) static const uint8_t *scan_run(const int32_t *d, const uint8_t *cls,
                                                         const uint8_t *x, const uint8_t *end,
                                                         size_t q, scan4 *w) {
  ptrdiff_t s0 = w->st[0], s1 = w->st[1], s2 = w->st[2], s3 = w->st[3];
  for (; x < end; x++) {
    s0 = d[s0 + cls[x[0]]];
    s1 = d[s1 + cls[x[q]]];
    s2 = d[s2 + cls[x[2 * q]]];
    s3 = d[s3 + cls[x[3 * q]]];
    if ((s0 & s1 & s2 & s3) >= 0) {
      ptrdiff_t *o = w->out + w->nout;
      if (w->nout > SCAN_OUTS - 4) break;
      o[0] = s0;
      o[1] = s1;
      o[2] = s2;
      o[3] = s3;
      w->nout += 4;
    }
  }
  w->st[0] = s0;
  w->st[1] = s1;
  w->st[2] = s2;
  w->st[3] = s3;
  return x;
}

/* Marks the outputs among n states. */
static void mark_outs(soc_match_ctx *ctx, const ac_auto *a, const ptrdiff_t *s, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (s[k] >= 0) mark(ctx, a, s[k]);
}

/* Each byte's step waits for the load of the step before, so a text is cut
 * in four parts scanned side by side, each from the start state: a part
 * sees every literal that starts in it, running past its end for those
 * that end after it (scan_past). A literal seen twice is marked once. */
static void scan(soc_match_ctx *ctx, const ac_auto *a, const uint8_t *p, size_t n) {
  const int32_t *d = a->delta + a->out_from;
  const uint8_t *cls = a->cls;
  /* ptrdiff_t: the sum that indexes the table needs no widening on the
   * chain from one load to the next */
  ptrdiff_t s = -(ptrdiff_t)a->out_from;
  size_t i = 0;
  if (n >= SCAN_SPLIT_MIN) {
    size_t q = n / 4;
    const uint8_t *x = p, *end = p + q;
    scan4 w; /* out is written before it is read: not cleared */
    w.st[0] = w.st[1] = w.st[2] = w.st[3] = s;
    w.nout = 0;
    for (;;) {
      x = scan_run(d, cls, x, end, q, &w);
      mark_outs(ctx, a, w.out, w.nout);
      w.nout = 0;
      if (x == end) break;
      mark_outs(ctx, a, w.st, 4); /* the step that found w.out full */
      x++;
    }
    scan_past(ctx, a, p, q, n, w.st[0]);
    scan_past(ctx, a, p, 2 * q, n, w.st[1]);
    scan_past(ctx, a, p, 3 * q, n, w.st[2]);
    s = w.st[3];
    i = 4 * q;
  }
  for (; i < n; i++) {
    s = d[s + cls[p[i]]];
    if (s >= 0) mark(ctx, a, s);
  }
}

/* A new generation of marks: none set, no candidates. */
static void next_gen(soc_match_ctx *ctx) {
  const soc_rules *rs = ctx->rules;
  if (++ctx->gen == 0) {
    memset(ctx->mark, 0, ((rs->n ? rs->n : 1) + rs->npid) * sizeof *ctx->mark);
    ctx->gen = 1;
  }
  ctx->ncand = 0;
}

size_t soc_rules_scan_ids(soc_match_ctx *ctx, size_t ac, const uint8_t *p, size_t n,
                          uint32_t *ids) {
  const soc_rules *rs = ctx->rules;
  size_t k = 0;
  next_gen(ctx);
  scan(ctx, &rs->ac[ac], p, n);
  for (uint32_t i = 0; i < rs->n + rs->npid; i++)
    if (ctx->mark[i] == ctx->gen) ids[k++] = i;
  ctx->ncand = 0;
  return k;
}

/* A line's candidates are a handful, found almost in rule order: an
 * insertion sort costs a few comparisons where qsort's calls cost hundreds
 * of instructions; a long list still goes to qsort. */
static void sort_candidates(uint32_t *v, size_t n) {
  if (n > 32) {
    qsort(v, n, sizeof *v, cmp_u32);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    uint32_t x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

/* Candidates and unanchored rules, merged in rule order. */
static size_t candidates(soc_match_ctx *ctx, const soc_rules *rs, const soc_event *ev) {
  size_t i = 0, j = 0, k = 0;
  next_gen(ctx);
  for (size_t p = 0; p < rs->nac_plain; p++) {
    char buf[NUMBUF];
    size_t len = 0;
    const ac_auto *a = &rs->ac[rs->ac_plain[p]];
    const char *v = value_of(ctx, ev, &a->field, buf, &len);
    if (v) scan(ctx, a, (const uint8_t *)v, len);
  }
  /* extras: from the event's side */
  const char *name, *xv;
  soc_event_key key;
  if (ctx->later_scanned && ctx->pending_ev) complete_now(ctx);
  for (size_t x = 0; rs->nac_extra && (name = soc_event_extra_at(ev, x, &xv, &key)); x++) {
    const ac_ref *ref = ac_extra_find(rs, name, &key);
    if (ref) scan(ctx, &rs->ac[ref->ac], (const uint8_t *)xv, strlen(xv));
  }
  sort_candidates(ctx->cand, ctx->ncand);
  while (i < ctx->ncand || j < rs->nunanchored) {
    if (j == rs->nunanchored || (i < ctx->ncand && ctx->cand[i] < rs->unanchored[j]))
      ctx->order[k++] = ctx->cand[i++];
    else
      ctx->order[k++] = rs->unanchored[j++];
  }
  return k;
}

int soc_rules_match(const soc_rules *rules, soc_match_ctx *ctx, soc_event *ev, soc_rule_hit_cb cb,
                    void *arg) {
  size_t norder = 0, k = 0, next = 0;
  int brute, hits = 0, pending = ctx && ctx->pending_next;
  if (ctx) ctx->pending_next = 0;
  if (!rules || !ctx || ctx->rules != rules || !ev) return -EINVAL;
  ctx->st.events++;
  ctx->fgen++;
  ctx->vgen++;
  ctx->pending_ev = pending ? ev : NULL;
  brute = (ctx->flags & SOC_MATCH_NO_PREFILTER) != 0;
  ctx->pf = 0;
  if (!brute) {
    norder = candidates(ctx, rules, ev);
    ctx->pf = 1;
  }
  for (;;) {
    size_t i;
    if (brute) {
      if (next >= rules->n) break;
      i = next++;
    } else {
      if (k >= norder) break;
      i = ctx->order[k++];
    }
    const soc_rule *r = rules->rules[i];
    ctx->st.candidates++;
    if (!rule_eval(ctx, ev, r)) continue;
    if (ctx->pending_ev) complete_now(ctx);
    for (size_t c = 0; c < r->ncaps; c++)
      if (ctx->staged[c].gen == ctx->egen)
        (void)set_staged(ev, &r->caps[c], ctx->arena + ctx->staged[c].off, ctx->staged[c].len);
    ctx->fgen++; /* values read before may have moved */
    if (r->rewrites_memo) ctx->vgen++;
    hits++;
    ctx->st.hits++;
    if (r->rewrites_anchor && !brute) {
      brute = 1;
      ctx->pf = 0;
      next = i + 1;
    }
    if (cb) {
      int rc = cb(r, ev, arg);
      ctx->fgen++;
      if (rc < 0) return rc;
    }
  }
  ctx->pending_ev = NULL;
  return hits;
}
