/*
 * schema — the one place where YAML scalars become typed struct fields.
 *
 * Loaders describe their keys as soc_field tables and call
 * soc_schema_apply; every error message about a key therefore has the same
 * shape: where it is, which key, what was found and what was expected.
 */
#include "soc/schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD_PTR(obj, off) ((void *)((char *)(obj) + (off)))

void soc_schema_error(const soc_schema_ctx *ctx, const soc_ynode *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  soc_diag_vadd(ctx->diag, SOC_DIAG_ERROR, ctx->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
  va_end(ap);
}

void soc_schema_warning(const soc_schema_ctx *ctx, const soc_ynode *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  soc_diag_vadd(ctx->diag, SOC_DIAG_WARNING, ctx->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
  va_end(ap);
}

int soc_parse_int(const char *s, int64_t *v) {
  char *end = NULL;
  if (!s || !*s || isspace((unsigned char)*s)) return -EINVAL;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || *end) return -EINVAL;
  *v = (int64_t)x;
  return 0;
}

/* Splits "30m" into 30 and "m"; returns -EINVAL when there is no number or
 * the number is negative or too large. */
static int split_number(const char *s, int64_t *num, const char **unit) {
  char *end = NULL;
  if (!s || !isdigit((unsigned char)*s)) return -EINVAL;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 10);
  if (errno || x > (unsigned long long)INT64_MAX) return -EINVAL;
  while (*end == ' ') end++;
  *num = (int64_t)x;
  *unit = end;
  return 0;
}

static int scale(int64_t num, int64_t mult, int64_t *out) {
  if (num > INT64_MAX / mult) return -EINVAL;
  *out = num * mult;
  return 0;
}

int soc_parse_duration(const char *s, int64_t *seconds) {
  static const struct {
    const char *unit;
    int64_t mult;
  } units[] = {
      {"", 1},     {"s", 1},    {"sec", 1},   {"m", 60},
      {"min", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800},
  };
  int64_t num;
  const char *unit;
  if (split_number(s, &num, &unit) < 0) return -EINVAL;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(unit, units[i].unit) == 0) return scale(num, units[i].mult, seconds);
  return -EINVAL;
}

int soc_parse_millis(const char *s, int64_t *ms) {
  int64_t num, sec;
  const char *unit;
  if (split_number(s, &num, &unit) < 0) return -EINVAL;
  if (strcmp(unit, "ms") == 0) return *ms = num, 0;
  if (soc_parse_duration(s, &sec) < 0) return -EINVAL;
  return scale(sec, 1000, ms);
}

int soc_parse_size(const char *s, int64_t *bytes) {
  static const struct {
    const char *unit;
    int64_t mult;
  } units[] = {
      {"", 1},
      {"B", 1},
      {"K", 1000},
      {"KB", 1000},
      {"KiB", 1024},
      {"M", 1000000},
      {"MB", 1000000},
      {"MiB", 1048576},
      {"G", 1000000000},
      {"GB", 1000000000},
      {"GiB", 1073741824},
      {"TB", 1000000000000},
      {"TiB", 1099511627776},
  };
  int64_t num;
  const char *unit;
  if (split_number(s, &num, &unit) < 0) return -EINVAL;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcasecmp(unit, units[i].unit) == 0) return scale(num, units[i].mult, bytes);
  return -EINVAL;
}

char *soc_path_resolve(const char *base_dir, const char *path) {
  if (!path) return NULL;
  if (path[0] == '/' || !base_dir || !*base_dir || strcmp(base_dir, ".") == 0) return strdup(path);
  size_t len = strlen(base_dir) + strlen(path) + 2;
  char *s = malloc(len);
  if (s) snprintf(s, len, "%s/%s", base_dir, path);
  return s;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return SIZE_MAX;
  size_t prev[65], cur[65];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
      size_t best = prev[j - 1] + cost;
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
    }
    memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
  }
  return prev[lb];
}

const char *soc_schema_suggest(const char *value, const char *const *choices) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX, len = strlen(value);
  for (size_t i = 0; choices[i]; i++) {
    size_t d = edit_distance(value, choices[i]);
    if (d < best_d) {
      best_d = d;
      best = choices[i];
    }
  }
  return best && best_d <= (len < 6 ? 1 : len / 3 + 1) ? best : NULL;
}

void soc_schema_unknown_key(const soc_schema_ctx *ctx, const soc_ynode *key, const char *where,
                            const char *const *keys) {
  char list[512] = "";
  size_t used = 0;
  for (size_t i = 0; keys[i]; i++) {
    int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", keys[i]);
    if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
  }
  const char *best = soc_schema_suggest(key->value, keys);
  if (best)
    soc_schema_error(ctx, key,
                     "unknown key '%.100s' in %s; did you mean '%s'? (expected one of: %s)",
                     key->value, where, best, list);
  else
    soc_schema_error(ctx, key, "unknown key '%.100s' in %s; expected one of: %s", key->value, where,
                     list);
}

static const char *type_expectation(const soc_field *f) {
  switch (f->type) {
    case SOC_FIELD_STRING:
      return "a string";
    case SOC_FIELD_INT:
      return "an integer";
    case SOC_FIELD_BOOL:
      return "true or false";
    case SOC_FIELD_DURATION:
      return "a duration such as 90s, 30m, 4h or 2d";
    case SOC_FIELD_SIZE:
      return "a size such as 65536, 64KiB or 10MB";
    case SOC_FIELD_MILLIS:
      return "a duration such as 250ms, 2s or 1m";
    case SOC_FIELD_STRINGS:
      return "a string or a list of strings";
    default:
      return "a value";
  }
}

static void bad_value(const soc_schema_ctx *ctx, const soc_ynode *n, const char *where,
                      const soc_field *f, const char *extra) {
  const char *got = n->kind == SOC_YNODE_SCALAR ? n->value : soc_ynode_kind_name(n);
  soc_schema_error(ctx, n, "%s.%s: expected %s%s, got '%.100s'", where, f->key, type_expectation(f),
                   extra ? extra : "", got);
}

static int parse_bool(const char *s, int *out) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) return *out = 1, 0;
    if (strcasecmp(s, no[i]) == 0) return *out = 0, 0;
  }
  return -EINVAL;
}

#define EXPANDED_MAX 65536

int soc_expand_env(const char *s, char **out, char *unset, size_t unsetlen) {
  size_t cap = strlen(s) + 1, len = 0;
  char *r = malloc(cap);
  *out = NULL;
  if (!r) return -ENOMEM;
  while (*s) {
    const char *close = s[0] == '$' && s[1] == '{' ? strchr(s + 2, '}') : NULL;
    const char *add = s;
    size_t n = 1;
    char name[256];
    if (close && (size_t)(close - s - 2) < sizeof name) {
      memcpy(name, s + 2, (size_t)(close - s - 2));
      name[close - s - 2] = '\0';
      char *dflt = strstr(name, ":-");
      if (dflt) *dflt = '\0';
      const char *v = getenv(name);
      if (v && *v) {
        add = v;
      } else if (dflt) {
        add = dflt + 2;
      } else {
        snprintf(unset, unsetlen, "%s", name);
        free(r);
        return -ENOENT;
      }
      n = strlen(add);
      s = close + 1;
    } else {
      s++;
    }
    if (len + n + 1 > EXPANDED_MAX) {
      free(r);
      return -E2BIG;
    }
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      char *g = realloc(r, cap);
      if (!g) {
        free(r);
        return -ENOMEM;
      }
      r = g;
    }
    memcpy(r + len, add, n);
    len += n;
  }
  r[len] = '\0';
  *out = r;
  return 0;
}

/* A string value from the file: ${VAR} expanded, a path made absolute. */
static char *dup_string(const soc_field *f, const soc_schema_ctx *ctx, const soc_ynode *n,
                        const char *where, const char *s) {
  char *expanded = NULL, unset[256] = "";
  int rc = soc_expand_env(s, &expanded, unset, sizeof unset);
  if (rc == -ENOENT)
    soc_schema_error(ctx, n,
                     "%s.%s: environment variable '%s' is not set; set it or write ${%s:-default}",
                     where, f->key, unset, unset);
  else if (rc == -E2BIG)
    soc_schema_error(ctx, n, "%s.%s: longer than %d bytes once expanded", where, f->key,
                     EXPANDED_MAX);
  if (!expanded || !(f->flags & SOC_FIELD_PATH)) return expanded;
  char *path = soc_path_resolve(ctx->base_dir, expanded);
  free(expanded);
  return path;
}

static int apply_strings(const soc_field *f, const soc_ynode *n, void *obj,
                         const soc_schema_ctx *ctx, const char *where) {
  char ***list = FIELD_PTR(obj, f->offset);
  size_t *count = FIELD_PTR(obj, f->count_offset);
  size_t items = n->kind == SOC_YNODE_SEQ ? n->n : 1;
  if (n->kind == SOC_YNODE_MAP) {
    bad_value(ctx, n, where, f, NULL);
    return -EINVAL;
  }
  char **v = calloc(items ? items : 1, sizeof *v);
  if (!v) return -ENOMEM;
  *list = v;
  *count = 0;
  for (size_t i = 0; i < items; i++) {
    const soc_ynode *it = n->kind == SOC_YNODE_SEQ ? n->items[i] : n;
    if (it->kind != SOC_YNODE_SCALAR || soc_ynode_is_null(it)) {
      bad_value(ctx, it, where, f, NULL);
      return -EINVAL;
    }
    v[i] = dup_string(f, ctx, it, where, it->value);
    if (!v[i]) return -EINVAL;
    (*count)++;
  }
  return 0;
}

static int check_range(const soc_field *f, const soc_ynode *n, int64_t v, const soc_schema_ctx *ctx,
                       const char *where) {
  if (f->min < f->max && (v < f->min || v > f->max)) {
    char extra[96];
    snprintf(extra, sizeof extra, " from %" PRId64 " to %" PRId64, f->min, f->max);
    bad_value(ctx, n, where, f, extra);
    return -EINVAL;
  }
  return 0;
}

static int apply_one(const soc_field *f, const soc_ynode *n, void *obj, const soc_schema_ctx *ctx,
                     const char *where) {
  void *dst = FIELD_PTR(obj, f->offset);
  int64_t v = 0;
  if (f->type == SOC_FIELD_CUSTOM) return f->parse(n, dst, ctx, where);
  if (f->type == SOC_FIELD_STRINGS) return apply_strings(f, n, obj, ctx, where);
  if (n->kind != SOC_YNODE_SCALAR || soc_ynode_is_null(n)) {
    bad_value(ctx, n, where, f, NULL);
    return -EINVAL;
  }
  switch (f->type) {
    case SOC_FIELD_STRING: {
      char **s = dst;
      free(*s);
      *s = dup_string(f, ctx, n, where, n->value);
      if (!*s) return -EINVAL;
      if (strlen(n->value) != n->len) {
        soc_schema_error(ctx, n, "%s.%s: a NUL byte inside a string is not allowed", where, f->key);
        return -EINVAL;
      }
      return 0;
    }
    case SOC_FIELD_BOOL:
      if (parse_bool(n->value, dst) < 0) break;
      return 0;
    case SOC_FIELD_INT:
      if (soc_parse_int(n->value, &v) < 0) break;
      if (check_range(f, n, v, ctx, where) < 0) return -EINVAL;
      *(int64_t *)dst = v;
      return 0;
    case SOC_FIELD_DURATION:
      if (soc_parse_duration(n->value, &v) < 0) break;
      if (check_range(f, n, v, ctx, where) < 0) return -EINVAL;
      *(int64_t *)dst = v;
      return 0;
    case SOC_FIELD_MILLIS:
      if (soc_parse_millis(n->value, &v) < 0) break;
      if (check_range(f, n, v, ctx, where) < 0) return -EINVAL;
      *(int64_t *)dst = v;
      return 0;
    case SOC_FIELD_SIZE:
      if (soc_parse_size(n->value, &v) < 0) break;
      if (check_range(f, n, v, ctx, where) < 0) return -EINVAL;
      *(int64_t *)dst = v;
      return 0;
    default:
      break;
  }
  bad_value(ctx, n, where, f, NULL);
  return -EINVAL;
}

/* Defaults are parsed by the same code as file values, from a one-scalar
 * YAML document, so a default can never be a value the file could not hold. */
static int apply_default(const soc_field *f, void *obj, const soc_schema_ctx *ctx,
                         const char *where) {
  soc_ydoc *doc = NULL;
  int result = soc_ydoc_load_buffer("<default>", f->def, strlen(f->def), &doc, ctx->diag);
  if (result == 0 && soc_ydoc_root(doc)) result = apply_one(f, soc_ydoc_root(doc), obj, ctx, where);
  soc_ydoc_free(doc);
  return result;
}

int soc_schema_apply(const soc_field *fields, size_t nfields, const soc_ynode *map, void *obj,
                     const soc_schema_ctx *ctx, const char *where) {
  int result = 0;
  const char *keys[64];
  size_t nkeys = nfields < 63 ? nfields : 63;
  for (size_t i = 0; i < nkeys; i++) keys[i] = fields[i].key;
  keys[nkeys] = NULL;

  if (map && map->kind != SOC_YNODE_MAP) {
    soc_schema_error(ctx, map, "%s: expected a mapping of keys, got %s", where,
                     soc_ynode_kind_name(map));
    map = NULL;
    result = -EINVAL;
  }
  for (size_t k = 0; map && k < map->n; k++) {
    const soc_ynode *key = map->items[2 * k];
    size_t i = 0;
    while (i < nfields && strcmp(fields[i].key, key->value) != 0) i++;
    if (i == nfields) {
      soc_schema_unknown_key(ctx, key, where, keys);
      result = -EINVAL;
    }
  }
  for (size_t i = 0; i < nfields; i++) {
    const soc_field *f = &fields[i];
    const soc_ynode *n = soc_ynode_get(map, f->key);
    if (n && soc_ynode_is_null(n) && f->type != SOC_FIELD_CUSTOM) n = NULL;
    if (n) {
      if (apply_one(f, n, obj, ctx, where) < 0) result = -EINVAL;
    } else if (f->flags & SOC_FIELD_REQUIRED) {
      soc_schema_error(ctx, map, "%s: missing required key '%s' (%s)", where, f->key,
                       f->help ? f->help : type_expectation(f));
      result = -EINVAL;
    } else if (f->def) {
      if (apply_default(f, obj, ctx, where) < 0) result = -EINVAL;
    }
  }
  return result;
}

void soc_schema_release(const soc_field *fields, size_t nfields, void *obj) {
  for (size_t i = 0; i < nfields; i++) {
    const soc_field *f = &fields[i];
    void *dst = FIELD_PTR(obj, f->offset);
    if (f->type == SOC_FIELD_STRING) {
      free(*(char **)dst);
      *(char **)dst = NULL;
    } else if (f->type == SOC_FIELD_STRINGS) {
      char ***list = dst;
      size_t *count = FIELD_PTR(obj, f->count_offset);
      for (size_t j = 0; *list && j < *count; j++) free((*list)[j]);
      free(*list);
      *list = NULL;
      *count = 0;
    } else if (f->type == SOC_FIELD_CUSTOM && f->release) {
      f->release(dst);
    }
  }
}

static const char *type_name(soc_field_type t) {
  static const char *const names[] = {"string", "integer",  "bool", "duration",
                                      "size",   "duration", "list", "object"};
  return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "value";
}

void soc_schema_print_doc(const soc_field *fields, size_t nfields, const char *section, FILE *out) {
  for (size_t i = 0; i < nfields; i++) {
    const soc_field *f = &fields[i];
    fprintf(out, "  %s.%-20s %-9s %s%s%s%s\n", section, f->key, type_name(f->type),
            (f->flags & SOC_FIELD_REQUIRED) ? "(required) " : "", f->def ? "[default: " : "",
            f->def ? f->def : "", f->def ? "] " : "");
    if (f->help) fprintf(out, "      %s\n", f->help);
  }
}

void soc_schema_roff(const char *s, FILE *out) {
  if (*s == '.' || *s == '\'') fputs("\\&", out);
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\e", out);
    else if (*s == '-')
      fputs("\\-", out);
    else
      fputc(*s, out);
  }
}

void soc_schema_print_man(const soc_field *fields, size_t nfields, const char *section, FILE *out) {
  for (size_t i = 0; i < nfields; i++) {
    const soc_field *f = &fields[i];
    fputs(".TP\n.B ", out);
    soc_schema_roff(section, out);
    fputc('.', out);
    soc_schema_roff(f->key, out);
    fprintf(out, "\n(%s%s", type_name(f->type),
            (f->flags & SOC_FIELD_REQUIRED) ? ", required" : "");
    if (f->def) {
      fputs(", default \\fB", out);
      soc_schema_roff(f->def, out);
      fputs("\\fR", out);
    }
    fputs(")\n", out);
    if (f->help) {
      fputs(".br\n", out);
      soc_schema_roff(f->help, out);
      fputc('\n', out);
    }
  }
}
