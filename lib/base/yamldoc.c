/*
 * yamldoc — builds a tree from libyaml's event stream.
 *
 * We use the event API rather than yaml_document_t because we want our own
 * caps (depth, nodes, bytes) enforced while parsing, and our own node layout
 * with 1-based positions. The tree is a handful of mallocs per node; config
 * and rule files are small, and they are parsed once.
 */
#include "soc/yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct soc_ydoc {
  char *name;
  soc_ynode *root;
  size_t nodes;
};

typedef struct builder {
  yaml_parser_t parser;
  soc_ydoc *doc;
  soc_diag *diag;
  int failed;
} builder;

static void node_free(soc_ynode *n) {
  if (!n) return;
  for (size_t i = 0; i < (n->kind == SOC_YNODE_MAP ? 2 * n->n : n->n); i++) node_free(n->items[i]);
  free(n->items);
  free((char *)n->value);
  free(n);
}

void soc_ydoc_free(soc_ydoc *doc) {
  if (!doc) return;
  node_free(doc->root);
  free(doc->name);
  free(doc);
}

static void fail(builder *b, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(builder *b, const yaml_mark_t *mark, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  soc_diag_add(b->diag, SOC_DIAG_ERROR, b->doc->name, (unsigned)mark->line + 1,
               (unsigned)mark->column + 1, "%s", msg);
  b->failed = 1;
}

static soc_ynode *node_new(builder *b, soc_ynode_kind kind, const yaml_mark_t *mark) {
  if (++b->doc->nodes > SOC_YDOC_MAX_NODES) {
    fail(b, mark, "too many YAML nodes (more than %d), file refused", SOC_YDOC_MAX_NODES);
    return NULL;
  }
  soc_ynode *n = calloc(1, sizeof *n);
  if (!n) {
    fail(b, mark, "out of memory");
    return NULL;
  }
  n->kind = kind;
  n->line = (unsigned)mark->line + 1;
  n->col = (unsigned)mark->column + 1;
  return n;
}

/* Reads events until the node that starts with ev is complete. Takes
 * ownership of ev. Returns the node or NULL on failure. */
static soc_ynode *parse_node(builder *b, yaml_event_t *ev, unsigned depth);

static int next_event(builder *b, yaml_event_t *ev) {
  if (!yaml_parser_parse(&b->parser, ev)) {
    char msg[512];
    snprintf(msg, sizeof msg, "invalid YAML: %s%s%s",
             b->parser.problem ? b->parser.problem : "parse error", b->parser.context ? " " : "",
             b->parser.context ? b->parser.context : "");
    soc_diag_add(b->diag, SOC_DIAG_ERROR, b->doc->name, (unsigned)b->parser.problem_mark.line + 1,
                 (unsigned)b->parser.problem_mark.column + 1, "%s", msg);
    b->failed = 1;
    return -EINVAL;
  }
  return 0;
}

static soc_ynode *parse_collection(builder *b, soc_ynode *n, yaml_event_type_t end,
                                   unsigned depth) {
  size_t cap = 0, count = 0;
  for (;;) {
    yaml_event_t ev;
    if (next_event(b, &ev) < 0) goto error;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      break;
    }
    yaml_mark_t mark = ev.start_mark;
    soc_ynode *child = parse_node(b, &ev, depth + 1);
    if (!child) goto error;
    if (count + 1 > cap) {
      size_t ncap = cap ? cap * 2 : 8;
      soc_ynode **items = realloc(n->items, ncap * sizeof *items);
      if (!items) {
        node_free(child);
        fail(b, &mark, "out of memory");
        goto error;
      }
      n->items = items;
      cap = ncap;
    }
    n->items[count++] = child;
    if (n->kind == SOC_YNODE_MAP) {
      n->n = count / 2;
      if (count % 2 == 1) {
        if (child->kind != SOC_YNODE_SCALAR) {
          fail(b, &mark, "a mapping key must be a scalar, not a list or mapping");
          node_free(child);
          count--;
          goto error;
        }
        for (size_t k = 0; k + 1 < count; k += 2)
          if (strcmp(n->items[k]->value, child->value) == 0) {
            fail(b, &mark, "duplicate key '%.200s' (first at line %u)", child->value,
                 n->items[k]->line);
            node_free(child);
            count--;
            goto error;
          }
      }
    } else {
      n->n = count;
    }
  }
  return n;
error:
  /* a key without its value is freed here too */
  if (n->kind == SOC_YNODE_MAP && count % 2 == 1) node_free(n->items[--count]);
  if (n->kind == SOC_YNODE_MAP)
    n->n = count / 2;
  else
    n->n = count;
  node_free(n);
  return NULL;
}

static soc_ynode *parse_node(builder *b, yaml_event_t *ev, unsigned depth) {
  soc_ynode *n = NULL;
  yaml_mark_t mark = ev->start_mark;
  if (depth > SOC_YDOC_MAX_DEPTH) {
    fail(b, &mark, "nesting deeper than %d levels, file refused", SOC_YDOC_MAX_DEPTH);
    goto out;
  }
  switch (ev->type) {
    case YAML_SCALAR_EVENT: {
      if (ev->data.scalar.anchor) {
        fail(b, &mark, "YAML anchors and aliases are not supported");
        goto out;
      }
      n = node_new(b, SOC_YNODE_SCALAR, &mark);
      if (!n) goto out;
      char *v = malloc(ev->data.scalar.length + 1);
      if (!v) {
        fail(b, &mark, "out of memory");
        free(n);
        n = NULL;
        goto out;
      }
      memcpy(v, ev->data.scalar.value, ev->data.scalar.length);
      v[ev->data.scalar.length] = '\0';
      n->value = v;
      n->len = ev->data.scalar.length;
      n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      int is_map = ev->type == YAML_MAPPING_START_EVENT;
      if ((is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor)) {
        fail(b, &mark, "YAML anchors and aliases are not supported");
        goto out;
      }
      n = node_new(b, is_map ? SOC_YNODE_MAP : SOC_YNODE_SEQ, &mark);
      if (!n) goto out;
      yaml_event_delete(ev);
      return parse_collection(b, n, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                              depth);
    }
    case YAML_ALIAS_EVENT:
      fail(b, &mark, "YAML anchors and aliases are not supported");
      goto out;
    default:
      fail(b, &mark, "unexpected YAML structure");
      goto out;
  }
out:
  yaml_event_delete(ev);
  return n;
}

static int build(builder *b) {
  int result = -EINVAL;
  yaml_event_t ev;
  int in_doc = 0;
  for (;;) {
    if (next_event(b, &ev) < 0) goto out;
    yaml_event_type_t type = ev.type;
    yaml_mark_t mark = ev.start_mark;
    if (type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT) {
      yaml_event_delete(&ev);
      continue;
    }
    if (type == YAML_DOCUMENT_START_EVENT) {
      yaml_event_delete(&ev);
      if (in_doc++) {
        fail(b, &mark, "more than one YAML document in the file; expected one");
        goto out;
      }
      continue;
    }
    soc_ynode *root = parse_node(b, &ev, 1);
    if (!root) goto out;
    b->doc->root = root;
  }
  result = b->failed ? -EINVAL : 0;
out:
  return result;
}

int soc_ydoc_load_buffer(const char *name, const char *buf, size_t len, soc_ydoc **out,
                         soc_diag *diag) {
  int result = -ENOMEM;
  builder b = {.diag = diag};
  *out = NULL;
  b.doc = calloc(1, sizeof *b.doc);
  if (!b.doc) goto out;
  b.doc->name = strdup(name ? name : "<memory>");
  if (!b.doc->name) goto out;
  if (len > SOC_YDOC_MAX_BYTES) {
    soc_diag_add(diag, SOC_DIAG_ERROR, b.doc->name, 0, 0,
                 "file is %zu bytes, larger than the %u-byte limit for YAML files", len,
                 SOC_YDOC_MAX_BYTES);
    result = -EFBIG;
    goto out;
  }
  if (!yaml_parser_initialize(&b.parser)) goto out;
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
  result = build(&b);
  yaml_parser_delete(&b.parser);
  if (result == 0) {
    *out = b.doc;
    b.doc = NULL;
  }
out:
  soc_ydoc_free(b.doc);
  return result;
}

int soc_ydoc_load_file(const char *path, soc_ydoc **out, soc_diag *diag) {
  int result = -EIO;
  char *buf = NULL;
  size_t len = 0;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    result = -errno;
    soc_diag_add(diag, SOC_DIAG_ERROR, path, 0, 0, "cannot open: %s", strerror(errno));
    goto out;
  }
  buf = malloc(SOC_YDOC_MAX_BYTES + 1);
  if (!buf) {
    result = -ENOMEM;
    goto out;
  }
  len = fread(buf, 1, SOC_YDOC_MAX_BYTES + 1, f);
  if (ferror(f)) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, 0, 0, "cannot read: %s", strerror(errno));
    goto out;
  }
  result = soc_ydoc_load_buffer(path, buf, len, out, diag);
out:
  if (f) fclose(f);
  free(buf);
  return result;
}

const soc_ynode *soc_ydoc_root(const soc_ydoc *doc) { return doc ? doc->root : NULL; }
const char *soc_ydoc_name(const soc_ydoc *doc) { return doc ? doc->name : NULL; }

const soc_ynode *soc_ynode_get(const soc_ynode *map, const char *key) {
  if (!map || map->kind != SOC_YNODE_MAP) return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (strcmp(map->items[2 * i]->value, key) == 0) return map->items[2 * i + 1];
  return NULL;
}

int soc_ynode_is_null(const soc_ynode *node) {
  if (!node) return 1;
  if (node->kind != SOC_YNODE_SCALAR || !node->plain) return 0;
  return node->len == 0 || strcmp(node->value, "~") == 0 || strcasecmp(node->value, "null") == 0;
}

const char *soc_ynode_kind_name(const soc_ynode *node) {
  if (!node) return "nothing";
  switch (node->kind) {
    case SOC_YNODE_MAP:
      return "a mapping";
    case SOC_YNODE_SEQ:
      return "a list";
    default:
      return "a scalar";
  }
}
