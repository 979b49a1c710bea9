/*
 * yamldoc — a small, bounded YAML document tree on top of libyaml, with the
 * line and column of every node, so that config, asset and rule loaders can
 * point at the exact spot of a problem.
 *
 * Rule files are untrusted input, so the loader is defensive: a size cap on
 * the file, a depth cap and a node cap, and no anchors or aliases (the
 * "billion laughs" expansion needs them, and no file of ours does). Duplicate
 * keys in one mapping are errors, not last-one-wins.
 *
 * Nodes are read-only views owned by their soc_ydoc.
 */
#ifndef SOC_YAMLDOC_H
#define SOC_YAMLDOC_H

#include <stddef.h>

#include "soc/diag.h"

#define SOC_YDOC_MAX_BYTES (8u * 1024u * 1024u)
#define SOC_YDOC_MAX_DEPTH 64
#define SOC_YDOC_MAX_NODES 200000

typedef enum { SOC_YNODE_SCALAR = 1, SOC_YNODE_SEQ, SOC_YNODE_MAP } soc_ynode_kind;

typedef struct soc_ynode soc_ynode;
struct soc_ynode {
  soc_ynode_kind kind;
  unsigned line, col; /* 1-based position of the node's start */
  const char *value;  /* scalar: NUL-terminated text */
  size_t len;         /* scalar: length in bytes (a quoted scalar may hold "\0") */
  int plain;          /* scalar: 1 when unquoted, so that ~ and null mean null */
  size_t n;           /* seq: item count; map: pair count */
  soc_ynode **items;  /* seq: n items; map: 2n nodes, key then value */
};

typedef struct soc_ydoc soc_ydoc;

/* Loads one YAML document. Problems go into diag with the file's name.
 * Returns 0 and sets *out, or a negative errno (-ENOENT, -EFBIG, -EINVAL
 * for a syntax error) and *out is NULL. An empty file gives a document whose
 * root is NULL. */
int soc_ydoc_load_file(const char *path, soc_ydoc **out, soc_diag *diag);
/* Same, from memory; name is used in diagnostics. */
int soc_ydoc_load_buffer(const char *name, const char *buf, size_t len, soc_ydoc **out,
                         soc_diag *diag);
void soc_ydoc_free(soc_ydoc *doc);

const soc_ynode *soc_ydoc_root(const soc_ydoc *doc);
/* The name diagnostics use for this document (owned by doc). */
const char *soc_ydoc_name(const soc_ydoc *doc);

/* The value under key in a mapping, or NULL. */
const soc_ynode *soc_ynode_get(const soc_ynode *map, const char *key);
/* Whether the node is absent or a plain null scalar (~, null, empty). */
int soc_ynode_is_null(const soc_ynode *node);
/* Human name of a node's kind, for messages: "a mapping", "a list", "a scalar". */
const char *soc_ynode_kind_name(const soc_ynode *node);

#endif
