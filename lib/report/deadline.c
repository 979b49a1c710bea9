/*
 * deadline — regime tables and the due times computed from them.
 *
 * The loader reads each step through a soc_field table, like the asset
 * inventory, so unknown keys get the same "did you mean" and every problem
 * points at its FILE:LINE:COL. The fields that need more than a string
 * (levels, from, completes, within) are CUSTOM parsers that see the node,
 * so their errors point at the offending value, not at the step.
 *
 * "within" reuses the config files' duration syntax (90s, 30m, 4h, 2d, 1w)
 * and adds "mo" for calendar months, because "one month after recovery" is
 * not 30 days: a month from Jan 31 ends on Feb 28 (or 29), and a month from
 * Feb 28 ends on Mar 28. Months are counted in UTC so the result does not
 * depend on the machine's zone.
 */
#include "soc/deadline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "soc/schema.h"
#include "soc/tz.h"
#include "soc/yamldoc.h"

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define MAX_STEPS 256
#define MAX_MONTHS 120
#define MAX_WITHIN_S (86400LL * 3660)

static const char *const anchor_names[] = {"discovery", "report",         "review",
                                           "recovery",  "classification", NULL};

struct soc_regime {
  char *id, *title, *source;
  soc_deadline_step *steps;
  size_t n;
};

typedef struct within_val {
  int64_t seconds;
  int months;
} within_val;

typedef struct step_raw {
  char *id, *title, *title_zh, *who, *clause;
  unsigned levels;
  int from; /* soc_anchor; SOC_ANCHOR_NONE until parsed */
  int completes;
  within_val within;
} step_raw;

typedef struct regime_raw {
  char *id, *title, *source;
  const soc_ynode *steps; /* a view into the document */
} regime_raw;

const char *soc_deadline_anchor_name(soc_anchor a) {
  return a >= 0 && a < SOC_ANCHOR_COUNT ? anchor_names[a] : "?";
}

const char *soc_deadline_status_name(soc_deadline_status s) {
  switch (s) {
    case SOC_DEADLINE_WAITING:
      return "waiting";
    case SOC_DEADLINE_OPEN:
      return "open";
    case SOC_DEADLINE_MET:
      return "met";
    case SOC_DEADLINE_OVERDUE:
      return "overdue";
  }
  return "?";
}

static int scalar_or_error(const soc_ynode *node, const soc_schema_ctx *ctx, const char *where,
                           const char *key, const char *expect) {
  if (node->kind == SOC_YNODE_SCALAR) return 0;
  soc_schema_error(ctx, node, "%s.%s: expected %s, got %s", where, key, expect,
                   soc_ynode_kind_name(node));
  return -EINVAL;
}

static int parse_anchor_node(const soc_ynode *node, int *dst, const soc_schema_ctx *ctx,
                             const char *where, const char *key) {
  if (scalar_or_error(node, ctx, where, key, "an anchor event") < 0) return -EINVAL;
  for (int i = 0; anchor_names[i]; i++)
    if (strcmp(node->value, anchor_names[i]) == 0) {
      *dst = i;
      return 0;
    }
  const char *best = soc_schema_suggest(node->value, anchor_names);
  soc_schema_error(ctx, node,
                   "%s.%s: unknown anchor '%.100s'%s%s%s; expected discovery, report, review, "
                   "recovery or classification",
                   where, key, node->value, best ? "; did you mean '" : "", best ? best : "",
                   best ? "'?" : "");
  return -EINVAL;
}

static int parse_from(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                      const char *where) {
  return parse_anchor_node(node, dst, ctx, where, "from");
}

static int parse_completes(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                           const char *where) {
  return parse_anchor_node(node, dst, ctx, where, "completes");
}

/* "1mo", "12mo" are calendar months; everything else is a plain duration. */
static int parse_within(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                        const char *where) {
  within_val *w = dst;
  if (scalar_or_error(node, ctx, where, "within", "a duration") < 0) return -EINVAL;
  const char *s = node->value;
  size_t len = strlen(s);
  if (len > 2 && strcmp(s + len - 2, "mo") == 0) {
    char num[16];
    int64_t v;
    if (len - 2 < sizeof num) {
      memcpy(num, s, len - 2);
      num[len - 2] = '\0';
      if (soc_parse_int(num, &v) == 0 && v > 0 && v <= MAX_MONTHS) {
        w->months = (int)v;
        w->seconds = 0;
        return 0;
      }
    }
  } else {
    int64_t v;
    if (soc_parse_duration(s, &v) == 0 && v > 0 && v <= MAX_WITHIN_S) {
      w->seconds = v;
      w->months = 0;
      return 0;
    }
  }
  soc_schema_error(ctx, node,
                   "%s.within: bad duration '%.100s'; expected e.g. 1h, 36h, 3d or 1mo (a "
                   "calendar month), greater than zero",
                   where, s);
  return -EINVAL;
}

static int level_value(const soc_ynode *n, unsigned *mask, const soc_schema_ctx *ctx,
                       const char *where) {
  int64_t v;
  if (n->kind != SOC_YNODE_SCALAR || soc_parse_int(n->value, &v) < 0 || v < 1 || v > 4) {
    soc_schema_error(ctx, n, "%s.levels: '%.100s' is not a level; levels are 1 to 4", where,
                     n->kind == SOC_YNODE_SCALAR ? n->value : soc_ynode_kind_name(n));
    return -EINVAL;
  }
  *mask |= 1u << v;
  return 0;
}

/* [1, 2], [3, 4], a single level, or "all". */
static int parse_levels(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                        const char *where) {
  unsigned *mask = dst;
  int result = 0;
  *mask = 0;
  if (node->kind == SOC_YNODE_SCALAR && strcmp(node->value, "all") == 0) {
    *mask = 0x1e;
    return 0;
  }
  if (node->kind == SOC_YNODE_SCALAR) return level_value(node, mask, ctx, where);
  if (node->kind != SOC_YNODE_SEQ || node->n == 0) {
    soc_schema_error(ctx, node, "%s.levels: expected a list of levels 1 to 4 or 'all', got %s",
                     where,
                     node->kind == SOC_YNODE_SEQ ? "an empty list" : soc_ynode_kind_name(node));
    return -EINVAL;
  }
  for (size_t i = 0; i < node->n; i++)
    if (level_value(node->items[i], mask, ctx, where) < 0) result = -EINVAL;
  return result;
}

static int keep_node(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                     const char *where) {
  if (node->kind != SOC_YNODE_SEQ) {
    soc_schema_error(ctx, node, "%s.steps: expected a list of steps, got %s", where,
                     soc_ynode_kind_name(node));
    return -EINVAL;
  }
  *(const soc_ynode **)dst = node;
  return 0;
}

static const soc_field regime_fields[] = {
    {.key = "id",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(regime_raw, id),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the regime's name, as --regime takes it"},
    {.key = "title",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(regime_raw, title),
     .flags = SOC_FIELD_REQUIRED,
     .help = "what the regime is called"},
    {.key = "source",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(regime_raw, source),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the legal reference"},
    {.key = "steps",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(regime_raw, steps),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the deadlines",
     .parse = keep_node},
};

static const soc_field step_fields[] = {
    {.key = "id",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(step_raw, id),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the step's name"},
    {.key = "title",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(step_raw, title),
     .flags = SOC_FIELD_REQUIRED,
     .help = "what is due, in English"},
    {.key = "title_zh",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(step_raw, title_zh),
     .help = "the term the regulation uses"},
    {.key = "who",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(step_raw, who),
     .flags = SOC_FIELD_REQUIRED,
     .help = "agency, supervisor, center, ..."},
    {.key = "levels",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(step_raw, levels),
     .flags = SOC_FIELD_REQUIRED,
     .help = "[1, 2], [3, 4] or all",
     .parse = parse_levels},
    {.key = "from",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(step_raw, from),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the event the clock starts at",
     .parse = parse_from},
    {.key = "within",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(step_raw, within),
     .flags = SOC_FIELD_REQUIRED,
     .help = "1h, 36h, 1mo, ...",
     .parse = parse_within},
    {.key = "clause",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(step_raw, clause),
     .help = "the article or paragraph"},
    {.key = "completes",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(step_raw, completes),
     .help = "the anchor that marks the step done",
     .parse = parse_completes},
};

static void free_step(soc_deadline_step *s) {
  free((char *)s->id);
  free((char *)s->title);
  free((char *)s->title_zh);
  free((char *)s->who);
  free((char *)s->clause);
}

void soc_regime_free(soc_regime *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) free_step(&r->steps[i]);
  free(r->steps);
  free(r->id);
  free(r->title);
  free(r->source);
  free(r);
}

static int load_step(soc_regime *r, const soc_ynode *node, const soc_schema_ctx *ctx, size_t i) {
  char where[32];
  step_raw raw = {.from = SOC_ANCHOR_NONE, .completes = SOC_ANCHOR_NONE};
  int result = 0;
  snprintf(where, sizeof where, "steps[%zu]", i);
  if (node->kind != SOC_YNODE_MAP) {
    soc_schema_error(ctx, node, "%s: expected a mapping, got %s", where, soc_ynode_kind_name(node));
    return -EINVAL;
  }
  if (soc_schema_apply(step_fields, NFIELDS(step_fields), node, &raw, ctx, where) < 0)
    result = -EINVAL;
  for (size_t j = 0; raw.id && j < r->n; j++)
    if (strcmp(r->steps[j].id, raw.id) == 0 && (r->steps[j].levels & raw.levels)) {
      /* one id per level: the same step for other levels (review: 2h for
       * 3-4, 8h for 1-2) is how a level change finds the old clock */
      soc_schema_error(ctx, soc_ynode_get(node, "id"),
                       "%s: step id '%s' is already defined for some of these levels (line %u)",
                       where, raw.id, r->steps[j].line);
      result = -EINVAL;
    }
  soc_deadline_step *s = &r->steps[r->n++];
  s->id = raw.id ? raw.id : strdup("?");
  s->title = raw.title;
  s->title_zh = raw.title_zh;
  s->who = raw.who;
  s->clause = raw.clause;
  raw.id = raw.title = raw.title_zh = raw.who = raw.clause = NULL;
  s->levels = raw.levels;
  s->from = (soc_anchor)raw.from;
  s->completes = (soc_anchor)raw.completes;
  s->within_s = raw.within.seconds;
  s->within_months = raw.within.months;
  s->line = node->line;
  soc_schema_release(step_fields, NFIELDS(step_fields), &raw);
  if (!s->id) return -ENOMEM;
  return result;
}

/* Generated from rules/deadlines/ by cmake/embed.cmake. */
extern const struct {
  const char *name;
  const char *data;
  size_t len;
} soc_regimes_embedded[];

/* Loads from buf when it is non-NULL (path then only names it), else from the file path. */
static int load(const char *path, const char *buf, size_t len, soc_regime **out, soc_diag *diag) {
  int result = -ENOMEM;
  int bad = 0;
  soc_ydoc *doc = NULL;
  regime_raw raw = {0};
  soc_regime *r = calloc(1, sizeof *r);
  soc_schema_ctx ctx = {.file = path, .diag = diag};
  *out = NULL;
  if (!r) goto out;
  result =
      buf ? soc_ydoc_load_buffer(path, buf, len, &doc, diag) : soc_ydoc_load_file(path, &doc, diag);
  if (result < 0) goto out;
  result = -EINVAL;
  const soc_ynode *root = soc_ydoc_root(doc);
  if (!root || root->kind != SOC_YNODE_MAP) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, root ? root->line : 1, root ? root->col : 1,
                 "expected a mapping with id, title, source and steps, got %s",
                 root ? soc_ynode_kind_name(root) : "an empty file");
    goto out;
  }
  if (soc_schema_apply(regime_fields, NFIELDS(regime_fields), root, &raw, &ctx, "regime") < 0)
    bad = 1;
  r->id = raw.id;
  r->title = raw.title;
  r->source = raw.source;
  raw.id = raw.title = raw.source = NULL;
  const soc_ynode *steps = raw.steps;
  if (steps && steps->n > MAX_STEPS) {
    soc_schema_error(&ctx, steps, "steps: %zu entries, more than the limit of %d", steps->n,
                     MAX_STEPS);
    goto out;
  }
  if (steps && steps->n == 0) {
    soc_schema_error(&ctx, steps, "steps: the list is empty; a regime has at least one deadline");
    bad = 1;
  }
  if (steps && steps->n) {
    r->steps = calloc(steps->n, sizeof *r->steps);
    if (!r->steps) {
      result = -ENOMEM;
      goto out;
    }
    for (size_t i = 0; i < steps->n; i++) {
      int rc = load_step(r, steps->items[i], &ctx, i);
      if (rc == -ENOMEM) {
        result = rc;
        goto out;
      }
      if (rc < 0) bad = 1;
    }
  }
  result = bad ? -EINVAL : 0;
out:
  soc_schema_release(regime_fields, NFIELDS(regime_fields), &raw);
  soc_ydoc_free(doc);
  if (result == 0)
    *out = r;
  else
    soc_regime_free(r);
  return result;
}

int soc_regime_load(const char *path, soc_regime **out, soc_diag *diag) {
  return load(path, NULL, 0, out, diag);
}

int soc_regime_load_named(const char *dir, const char *name, soc_regime **out, soc_diag *diag) {
  char path[4096];
  *out = NULL;
  /* a name, not a path: --regime ../../etc/x must not reach outside dir */
  if (!name || !*name || name[0] == '.' || strlen(name) > 64) goto bad;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '_' || *p == '.'))
      goto bad;
  if (dir) {
    if ((size_t)snprintf(path, sizeof path, "%s/%s.yaml", dir, name) >= sizeof path) goto bad;
    if (access(path, F_OK) == 0) return load(path, NULL, 0, out, diag);
  }
  for (size_t i = 0; soc_regimes_embedded[i].name; i++)
    if (!strcmp(soc_regimes_embedded[i].name, name)) {
      snprintf(path, sizeof path, "(built in)/%s.yaml", name);
      return load(path, soc_regimes_embedded[i].data, soc_regimes_embedded[i].len, out, diag);
    }
  char shipped[256] = "";
  for (size_t i = 0, n = 0; soc_regimes_embedded[i].name; i++)
    n += (size_t)snprintf(shipped + n, n < sizeof shipped ? sizeof shipped - n : 0, "%s%s",
                          i ? ", " : "", soc_regimes_embedded[i].name);
  soc_diag_add(diag, SOC_DIAG_ERROR, NULL, 0, 0,
               "no regime '%s' in %s, nor built in (built in: %s)", name, dir ? dir : "-", shipped);
  return -ENOENT;
bad:
  soc_diag_add(diag, SOC_DIAG_ERROR, NULL, 0, 0,
               "'%.80s' is not a regime name; expected e.g. tw-2026, nis2, gdpr", name ? name : "");
  return -EINVAL;
}

const char *soc_regime_default_dir(void) { return SOC_DATADIR "/rules/deadlines"; }

const char *soc_regime_id(const soc_regime *r) { return r ? r->id : NULL; }
const char *soc_regime_title(const soc_regime *r) { return r ? r->title : NULL; }
const char *soc_regime_source(const soc_regime *r) { return r ? r->source : NULL; }
size_t soc_regime_nsteps(const soc_regime *r) { return r ? r->n : 0; }
const soc_deadline_step *soc_regime_step(const soc_regime *r, size_t i) {
  return r && i < r->n ? &r->steps[i] : NULL;
}

int64_t soc_deadline_add_months(int64_t anchor, int months) {
  int64_t days = anchor >= 0 ? anchor / 86400 : -((-anchor + 86399) / 86400);
  int64_t tod = anchor - days * 86400;
  time_t tt = (time_t)(days * 86400);
  struct tm tm;
  if (!gmtime_r(&tt, &tm)) return anchor;
  int64_t m0 = (int64_t)tm.tm_year + 1900;
  int64_t idx = m0 * 12 + tm.tm_mon + months;
  int year = (int)(idx / 12), month = (int)(idx % 12) + 1;
  int mday = tm.tm_mday, last = soc_tz_days_in_month(year, month);
  if (mday > last) mday = last;
  return soc_tz_days_from_civil(year, month, mday) * 86400 + tod;
}

static int64_t due_of(const soc_deadline_step *s, int64_t anchor) {
  return s->within_months ? soc_deadline_add_months(anchor, s->within_months)
                          : anchor + s->within_s;
}

static int64_t done_of(const soc_deadline_step *s, const soc_incident_times *t) {
  if (s->completes != SOC_ANCHOR_NONE) return t->at[s->completes];
  for (size_t i = 0; t->done && i < t->ndone; i++)
    if (t->done[i].step && strcmp(t->done[i].step, s->id) == 0) return t->done[i].at;
  return 0;
}

int soc_deadlines_compute(const soc_regime *r, int level, const soc_incident_times *t,
                          soc_deadline *out, size_t cap, size_t *n) {
  int result = -EINVAL;
  size_t k = 0;
  if (n) *n = 0;
  if (!r || !t || !n || (cap && !out) || level < 1 || level > 4) goto out;
  for (size_t i = 0; i < r->n; i++) {
    const soc_deadline_step *s = &r->steps[i];
    if (!(s->levels & (1u << level))) continue;
    if (k >= cap) {
      k++;
      continue;
    }
    soc_deadline *d = &out[k++];
    int64_t anchor = t->at[s->from];
    memset(d, 0, sizeof *d);
    d->step = s;
    d->done = done_of(s, t);
    if (!anchor) {
      d->status = SOC_DEADLINE_WAITING;
      continue;
    }
    d->due = due_of(s, anchor);
    /* done before the level changed: also judged by the clock of the level
     * in force then (the step with the same id for that level), so what was
     * on time stays on time */
    int64_t judge = d->due;
    if (d->done && t->prev_level >= 1 && t->prev_level <= 4 && t->level_changed_at &&
        d->done <= t->level_changed_at)
      for (size_t j = 0; j < r->n; j++) {
        const soc_deadline_step *o = &r->steps[j];
        if (strcmp(o->id, s->id) != 0 || !(o->levels & (1u << t->prev_level))) continue;
        int64_t old_anchor = t->at[o->from];
        int64_t old_due = old_anchor ? due_of(o, old_anchor) : 0;
        if (old_due > judge) judge = old_due;
        break;
      }
    if (d->done)
      d->status = d->done <= judge ? SOC_DEADLINE_MET : SOC_DEADLINE_OVERDUE;
    else
      d->status = t->now && t->now > d->due ? SOC_DEADLINE_OVERDUE : SOC_DEADLINE_OPEN;
  }
  *n = k;
  result = k > cap ? -ENOSPC : 0;
out:
  return result;
}
