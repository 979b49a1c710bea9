/*
 * schema — declarative tables that map a YAML mapping onto a C struct.
 *
 * Each config section (and each input, output, detector) describes its keys
 * once, as a constant array of soc_field: name, type, where it lives in the
 * struct, its default and its help text. One table then drives parsing,
 * defaults, error messages ("unknown key 'brokr'; did you mean 'brokers'?")
 * and the documentation that `--help-config` prints, so the three can not
 * drift apart.
 *
 * Ownership: strings and lists that soc_schema_apply stores in the struct are
 * heap copies owned by the struct; soc_schema_release frees them.
 */
#ifndef SOC_SCHEMA_H
#define SOC_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "soc/diag.h"
#include "soc/yamldoc.h"

typedef enum {
  SOC_FIELD_STRING,   /* char *            */
  SOC_FIELD_INT,      /* int64_t           */
  SOC_FIELD_BOOL,     /* int (0/1)         */
  SOC_FIELD_DURATION, /* int64_t seconds: 90, 90s, 30m, 4h, 2d, 1w */
  SOC_FIELD_SIZE,     /* int64_t bytes: 65536, 64KiB, 10MB, 1GiB   */
  SOC_FIELD_MILLIS,   /* int64_t milliseconds: 250ms, 2s, 1m (a plain number is seconds) */
  SOC_FIELD_STRINGS,  /* char ** + size_t count at count_offset; a scalar counts as one */
  SOC_FIELD_CUSTOM,   /* parsed by the field's parse callback */
} soc_field_type;

enum {
  SOC_FIELD_REQUIRED = 1u << 0,
  SOC_FIELD_PATH = 1u << 1, /* relative paths are resolved against the file's folder */
};

typedef struct soc_schema_ctx {
  const char *file;     /* for diagnostics */
  const char *base_dir; /* for SOC_FIELD_PATH; NULL leaves paths as they are */
  soc_diag *diag;
} soc_schema_ctx;

typedef struct soc_field soc_field;
struct soc_field {
  const char *key;
  soc_field_type type;
  size_t offset;
  const char *def; /* default, written as it would be in YAML; NULL: none */
  unsigned flags;
  int64_t min, max; /* INT, DURATION, SIZE: checked when min < max */
  const char *help;
  size_t count_offset; /* STRINGS only */
  /* CUSTOM only: parse node into (char *)obj + offset; return 0 or -EINVAL
   * after adding a diagnostic. release frees what parse stored. */
  int (*parse)(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx, const char *where);
  void (*release)(void *dst);
};

/* Applies the table to map (NULL map: only defaults). `where` names the
 * section in messages, e.g. "kafka" or "inputs[2]". Every problem is added
 * to ctx->diag; returns 0 or -EINVAL. Fields are filled even on error, so
 * soc_schema_release must always be called. */
int soc_schema_apply(const soc_field *fields, size_t nfields, const soc_ynode *map, void *obj,
                     const soc_schema_ctx *ctx, const char *where);
void soc_schema_release(const soc_field *fields, size_t nfields, void *obj);

/* A diagnostic at node n (its line and column; none when n is NULL), in the
 * file ctx names: what every loader reports its problems with. */
void soc_schema_error(const soc_schema_ctx *ctx, const soc_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void soc_schema_warning(const soc_schema_ctx *ctx, const soc_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports an unknown key with the closest known one as a hint. keys is a
 * NULL-terminated list. */
void soc_schema_unknown_key(const soc_schema_ctx *ctx, const soc_ynode *key, const char *where,
                            const char *const *keys);

/* The choice closest to value (by edit distance), or NULL when none is close
 * enough to be a likely typo. choices is NULL-terminated. */
const char *soc_schema_suggest(const char *value, const char *const *choices);

/* Scalar parsers shared with hand-written parsers. Return 0 or -EINVAL. */
int soc_parse_duration(const char *s, int64_t *seconds);
int soc_parse_millis(const char *s, int64_t *ms);
int soc_parse_size(const char *s, int64_t *bytes);
int soc_parse_int(const char *s, int64_t *v);

/* Expands ${NAME} and ${NAME:-default} from the environment (string values
 * of config files, so that one file serves several machines). OUT: *out, a
 * heap string. Returns 0, -ENOENT for an unset variable without a default
 * (its name goes into unset), -E2BIG past 64 KiB, -ENOMEM. */
int soc_expand_env(const char *s, char **out, char *unset, size_t unsetlen);

/* Joins base_dir and path unless path is absolute; returns a heap string. */
char *soc_path_resolve(const char *base_dir, const char *path);

/* Writes one line per key: name, type, default and help. */
void soc_schema_print_doc(const soc_field *fields, size_t nfields, const char *section, FILE *out);
/* The same as man(7) source: one tagged paragraph (.TP) per key, text
 * escaped for roff. The configuration manual pages are made of it at
 * build time, so they can not drift from --help-config. */
void soc_schema_print_man(const soc_field *fields, size_t nfields, const char *section, FILE *out);
/* s as roff text: backslashes and hyphens escaped, and a leading '.' or
 * '\'' made literal. */
void soc_schema_roff(const char *s, FILE *out);

#endif
