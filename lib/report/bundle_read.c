/*
 * bundle_read — the receiving side of evidence bundles: parsing messages
 * from the evidence topic, verifying a rebuilt archive, extracting it (see
 * include/soc/bundle.h). Everything here reads untrusted bytes.
 *
 * The tar reader accepts only what bundle.c writes: POSIX ustar headers
 * with valid checksums, regular files, folders, and pax extended headers
 * carrying nothing but a "path". Links, devices, GNU extensions and
 * base-256 sizes are refused rather than interpreted: each is a way to
 * make an extractor write somewhere other than where the verifier looked.
 * For the same reason a path may appear only once (a second copy would
 * silently replace the verified one on extraction), and nothing but zeros
 * may follow the end marker (bytes there are covered by no manifest).
 *
 * Lookups go through sorted arrays, so a hostile archive with many small
 * entries costs n log n, not n squared.
 */
#include "soc/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <json.h> /* libfastjson */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_internal.h"
#include "soc/hash.h"
#include "soc/utf8.h"

#define JSON_DEPTH 16
#define HEX_LEN SOC_SHA256_HEX_LEN

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  if (!buf || !n) return;
  va_start(ap, fmt);
  vsnprintf(buf, n, fmt, ap);
  va_end(ap);
}

static int sha_hex(const void *p, size_t n, char hex[HEX_LEN + 1]) {
  uint8_t digest[SOC_SHA256_LEN];
  int result = soc_sha256(p, n, digest);
  if (!result) soc_hex(digest, sizeof digest, hex);
  return result;
}

/* ---- messages ---- */

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict base64 (RFC 4648, with padding, no line breaks). OUT: *n bytes
 * into out, which holds 3 * (len / 4). 0 or -1. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t *n) {
  size_t o = 0;
  if (len % 4) return -1;
  for (size_t i = 0; i < len; i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; j++) {
      int d = b64_value(s[i + j]);
      if (s[i + j] == '=' && i + 4 == len && j >= 2 && (j == 3 || s[i + 3] == '=')) {
        pad++;
        v <<= 6;
        continue;
      }
      if (d < 0 || pad) return -1;
      v = v << 6 | (uint32_t)d;
    }
    out[o++] = (uint8_t)(v >> 16);
    if (pad < 2) out[o++] = (uint8_t)(v >> 8);
    if (pad < 1) out[o++] = (uint8_t)v;
  }
  *n = o;
  return 0;
}

/* A string member of at most cap-1 bytes with no NUL. OUT: *s, *n. */
static int get_str(fjson_object *root, const char *key, size_t cap, const char **s, size_t *n) {
  fjson_object *v = NULL;
  if (!fjson_object_object_get_ex(root, key, &v) || !fjson_object_is_type(v, fjson_type_string))
    return -1;
  int len = fjson_object_get_string_len(v);
  *s = fjson_object_get_string(v);
  if (!*s || len < 0 || (size_t)len >= cap || strlen(*s) != (size_t)len) return -1;
  *n = (size_t)len;
  return 0;
}

/* An integer member in 0..max. */
static int get_size(fjson_object *root, const char *key, size_t max, size_t *out) {
  fjson_object *v = NULL;
  if (!fjson_object_object_get_ex(root, key, &v) || !fjson_object_is_type(v, fjson_type_int))
    return -1;
  int64_t i = fjson_object_get_int64(v);
  if (i < 0 || (uint64_t)i > max) return -1;
  *out = (size_t)i;
  return 0;
}

static int get_sha(fjson_object *root, const char *key, char out[HEX_LEN + 1]) {
  const char *s = NULL;
  size_t n = 0;
  if (get_str(root, key, HEX_LEN + 1, &s, &n) || n != HEX_LEN || !soc_bundle_hex_ok(s, n))
    return -1;
  memcpy(out, s, HEX_LEN + 1);
  return 0;
}

static int get_id(fjson_object *root, const char *key, char out[SOC_BUNDLE_ID_MAX]) {
  const char *s = NULL;
  size_t n = 0;
  if (get_str(root, key, SOC_BUNDLE_ID_MAX, &s, &n) || !soc_bundle_id_ok(s, n)) return -1;
  memcpy(out, s, n + 1);
  return 0;
}

/* A manifest's files: [{"path": "data/...", "size": n, "sha256": "..."}]. */
static int files_ok(fjson_object *files, char *why, size_t why_len) {
  int n = fjson_object_array_length(files);
  if (n < 0 || (size_t)n > SOC_BUNDLE_FILES_MAX) {
    say(why, why_len, "more than %u files", SOC_BUNDLE_FILES_MAX);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    fjson_object *f = fjson_object_array_get_idx(files, i);
    const char *p = NULL;
    size_t plen = 0, size = 0;
    char sha[HEX_LEN + 1];
    if (!f || !fjson_object_is_type(f, fjson_type_object) ||
        get_str(f, "path", SOC_BUNDLE_PATH_MAX, &p, &plen) || strncmp(p, "data/", 5) ||
        !soc_bundle_path_ok(p, plen) || get_size(f, "size", SOC_BUNDLE_ARCHIVE_MAX, &size) ||
        get_sha(f, "sha256", sha)) {
      say(why, why_len, "files[%d] is not {\"path\": \"data/...\", \"size\": n, \"sha256\": hex}",
          i);
      return -1;
    }
  }
  return 0;
}

static int parse_chunk(fjson_object *root, soc_bundle_msg *out, char *why, size_t why_len) {
  const char *data = NULL;
  size_t dlen = 0, n = 0;
  char hex[HEX_LEN + 1];
  if (get_size(root, "seq", SOC_BUNDLE_CHUNKS_MAX - 1, &out->seq) ||
      get_size(root, "offset", SOC_BUNDLE_ARCHIVE_MAX, &out->offset) ||
      get_size(root, "size", SOC_BUNDLE_CHUNK_MAX, &out->size) || !out->size ||
      out->offset + out->size > SOC_BUNDLE_ARCHIVE_MAX || get_sha(root, "sha256", out->sha256)) {
    say(why, why_len, "a chunk needs seq, offset, size (1..%u, within %u) and sha256",
        SOC_BUNDLE_CHUNK_MAX, SOC_BUNDLE_ARCHIVE_MAX);
    return -EBADMSG;
  }
  if (get_str(root, "data", 4 * (SOC_BUNDLE_CHUNK_MAX / 3 + 1) + 1, &data, &dlen)) {
    say(why, why_len, "chunk %zu: no data string, or over %u bytes decoded", out->seq,
        SOC_BUNDLE_CHUNK_MAX);
    return -EBADMSG;
  }
  if (!(out->data = malloc(dlen / 4 * 3 + 1))) return -ENOMEM;
  if (b64_decode(data, dlen, out->data, &n)) {
    say(why, why_len, "chunk %zu: data is not base64", out->seq);
    return -EBADMSG;
  }
  if (n != out->size) {
    say(why, why_len, "chunk %zu: %zu bytes of data, size says %zu", out->seq, n, out->size);
    return -EBADMSG;
  }
  if (sha_hex(out->data, n, hex)) return -ENOMEM;
  if (strcmp(hex, out->sha256)) {
    say(why, why_len, "chunk %zu: sha256 mismatch", out->seq);
    return -EBADMSG;
  }
  return 0;
}

static int parse_manifest(fjson_object *root, const void *buf, size_t len, soc_bundle_msg *out,
                          char *why, size_t why_len) {
  fjson_object *files = NULL, *custody = NULL;
  if (get_size(root, "size", SOC_BUNDLE_ARCHIVE_MAX, &out->size) || !out->size ||
      get_size(root, "chunks", SOC_BUNDLE_CHUNKS_MAX, &out->chunks) || !out->chunks ||
      out->chunks > out->size || get_sha(root, "sha256", out->sha256)) {
    say(why, why_len, "a manifest needs size (1..%u), chunks (1..%u) and sha256",
        SOC_BUNDLE_ARCHIVE_MAX, SOC_BUNDLE_CHUNKS_MAX);
    return -EBADMSG;
  }
  if (!fjson_object_object_get_ex(root, "files", &files) ||
      !fjson_object_is_type(files, fjson_type_array)) {
    say(why, why_len, "a manifest needs a files array");
    return -EBADMSG;
  }
  if (files_ok(files, why, why_len)) return -EBADMSG;
  if (!fjson_object_object_get_ex(root, "custody", &custody) ||
      !fjson_object_is_type(custody, fjson_type_object)) {
    say(why, why_len, "a manifest needs a custody object");
    return -EBADMSG;
  }
  if (!(out->manifest_json = malloc(len + 1))) return -ENOMEM;
  memcpy(out->manifest_json, buf, len);
  out->manifest_json[len] = '\0';
  return 0;
}

/* Parses into out; on success *rootp (if given) keeps the JSON tree. */
static int parse(const void *buf, size_t len, soc_bundle_msg *out, fjson_object **rootp, char *why,
                 size_t why_len) {
  int result = -EBADMSG;
  fjson_object *root = NULL;
  fjson_tokener *tok = NULL;
  const char *s = buf, *type = NULL, *schema = NULL;
  size_t n = 0, used = 0;
  if (len == 0 || len > SOC_BUNDLE_MSG_MAX) {
    say(why, why_len, "%zu bytes: a message is 1..%u bytes", len, SOC_BUNDLE_MSG_MAX);
    goto out;
  }
  if ((used = soc_utf8_valid_prefix(s, len)) != len) {
    say(why, why_len, "not UTF-8 text (NUL or bad byte at %zu)", used);
    goto out;
  }
  result = -ENOMEM;
  if (!(tok = fjson_tokener_new_ex(JSON_DEPTH))) goto out;
  fjson_tokener_set_flags(tok, FJSON_TOKENER_STRICT);
  root = fjson_tokener_parse_ex(tok, s, (int)len); /* len <= 8 MiB fits an int */
  enum fjson_tokener_error jerr = fjson_tokener_get_error(tok);
  used = (size_t)tok->char_offset;
  result = -EBADMSG;
  if (!root || jerr != fjson_tokener_success) {
    say(why, why_len, "not JSON (%s, at byte %zu)",
        jerr == fjson_tokener_continue ? "cut short" : fjson_tokener_error_desc(jerr), used);
    goto out;
  }
  while (used < len && strchr(" \t\r\n", s[used])) used++;
  if (used < len) {
    say(why, why_len, "junk after the JSON value at byte %zu", used);
    goto out;
  }
  if (!fjson_object_is_type(root, fjson_type_object) || get_str(root, "schema", 64, &schema, &n) ||
      strcmp(schema, SOC_BUNDLE_SCHEMA)) {
    say(why, why_len, "not an object with \"schema\": \"%s\"", SOC_BUNDLE_SCHEMA);
    goto out;
  }
  if (get_str(root, "type", 16, &type, &n) || (strcmp(type, "chunk") && strcmp(type, "manifest"))) {
    say(why, why_len, "\"type\" must be \"chunk\" or \"manifest\"");
    goto out;
  }
  if (get_id(root, "bundle", out->bundle) || get_id(root, "report", out->report)) {
    say(why, why_len, "\"bundle\" and \"report\" must be ids: 1..%d of [A-Za-z0-9._/-], no \"..\"",
        SOC_BUNDLE_ID_MAX - 1);
    goto out;
  }
  out->is_manifest = !strcmp(type, "manifest");
  result = out->is_manifest ? parse_manifest(root, buf, len, out, why, why_len)
                            : parse_chunk(root, out, why, why_len);
out:
  if (tok) fjson_tokener_free(tok); /* libfastjson's free does not take NULL */
  if (result || !rootp)
    fjson_object_put(root);
  else
    *rootp = root;
  return result;
}

int soc_bundle_msg_parse(const void *buf, size_t len, soc_bundle_msg *out, char *why,
                         size_t why_len) {
  if (why && why_len) why[0] = '\0';
  if (!out) return -EINVAL;
  memset(out, 0, sizeof *out);
  if (!buf && len) return -EINVAL;
  int result = parse(buf, len, out, NULL, why, why_len);
  if (result == -ENOMEM) say(why, why_len, "out of memory");
  if (result) soc_bundle_msg_clear(out);
  return result;
}

void soc_bundle_msg_clear(soc_bundle_msg *m) {
  if (!m) return;
  free(m->data);
  free(m->manifest_json);
  memset(m, 0, sizeof *m);
}

/* ---- the ustar stream ---- */

typedef struct tar_entry {
  char path[TAR_PAX_MAX]; /* full path, no trailing "/" */
  char type;              /* '0' file, '5' folder */
  size_t data, size;      /* offset and length of its bytes */
} tar_entry;

/* A NUL-terminated or full-width octal field; -1 for anything else
 * (including base-256, which our writer never uses). */
static long long tar_octal(const uint8_t *f, size_t width) {
  unsigned long long v = 0;
  size_t i = 0;
  while (i < width && f[i] == ' ') i++;
  size_t digits = 0;
  for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
    if (v > (1ull << 40)) return -1;
    v = v * 8 + (unsigned)(f[i] - '0');
  }
  if (!digits) return -1;
  for (; i < width; i++)
    if (f[i] != ' ' && f[i] != '\0') return -1;
  return (long long)v;
}

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* The single "path" record of a pax extended header. */
static int pax_path(const uint8_t *p, size_t n, char *path) {
  size_t i = 0, len = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '9' && i < 5; i++) len = len * 10 + (size_t)(p[i] - '0');
  if (!i || len != n || i >= n || p[i] != ' ') return -1;
  if (n - i - 1 < strlen("path=") + 2 || memcmp(p + i + 1, "path=", 5) || p[n - 1] != '\n')
    return -1;
  size_t start = i + 1 + 5, plen = n - 1 - start;
  if (plen >= TAR_PAX_MAX || memchr(p + start, '\0', plen)) return -1;
  memcpy(path, p + start, plen);
  path[plen] = '\0';
  return 0;
}

/* Reads the entry at *pos. Returns 1 with *e, 0 at a well-formed end, -1
 * with why. */
static int tar_next(const uint8_t *a, size_t len, size_t *pos, tar_entry *e, char *why,
                    size_t why_len) {
  int have_pax = 0;
  for (;;) {
    size_t at = *pos;
    if (len - at < TAR_BLOCK) {
      say(why, why_len, "archive cut short at byte %zu (no end-of-archive marker)", at);
      return -1;
    }
    const uint8_t *h = a + at;
    if (all_zero(h, TAR_BLOCK)) {
      if (have_pax) {
        say(why, why_len, "extended header at byte %zu has no entry", at);
        return -1;
      }
      if (len - at < TAR_END) {
        say(why, why_len, "archive cut short at byte %zu (one end block of two)", at);
        return -1;
      }
      if (!all_zero(h, len - at)) {
        say(why, why_len, "bytes after the end-of-archive marker at byte %zu", at);
        return -1;
      }
      return 0;
    }
    long long sum = tar_octal(h + TAR_CHKSUM, TAR_CHKSUM_LEN), mine = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
      mine += i >= TAR_CHKSUM && i < TAR_CHKSUM + TAR_CHKSUM_LEN ? ' ' : h[i];
    if (sum != mine) {
      say(why, why_len, "header at byte %zu: bad checksum", at);
      return -1;
    }
    if (memcmp(h + TAR_MAGIC,
               "ustar\0"
               "00",
               8)) {
      say(why, why_len, "header at byte %zu: not a POSIX ustar header", at);
      return -1;
    }
    long long size = tar_octal(h + TAR_SIZE, TAR_SIZE_LEN);
    size_t data = at + TAR_BLOCK, room = len - data;
    if (size < 0) {
      say(why, why_len, "header at byte %zu: bad size field", at);
      return -1;
    }
    if ((unsigned long long)size > room ||
        (size_t)size + (TAR_BLOCK - (size_t)size % TAR_BLOCK) % TAR_BLOCK > room) {
      say(why, why_len, "header at byte %zu: size past the end of the archive", at);
      return -1;
    }
    size_t n = (size_t)size;
    *pos = data + n + (TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK;
    char type = (char)h[TAR_TYPE];
    if (type == 'x') {
      if (have_pax || pax_path(a + data, n, e->path)) {
        say(why, why_len, "header at byte %zu: an extended header other than one path", at);
        return -1;
      }
      have_pax = 1;
      continue;
    }
    if (type == '\0') type = '0';
    if (type != '0' && type != '5') {
      say(why, why_len, "header at byte %zu: entry type '%c' (only files and folders are allowed)",
          at, type >= 0x21 && type < 0x7f ? type : '?');
      return -1;
    }
    if (!have_pax) {
      size_t pl = strnlen((const char *)h + TAR_PREFIX, TAR_PREFIX_LEN),
             nl = strnlen((const char *)h + TAR_NAME, TAR_NAME_LEN), o = 0;
      if (pl) {
        memcpy(e->path, h + TAR_PREFIX, pl);
        e->path[pl] = '/';
        o = pl + 1;
      }
      memcpy(e->path + o, h + TAR_NAME, nl);
      e->path[o + nl] = '\0';
    }
    size_t plen = strlen(e->path);
    if (type == '5' && plen && e->path[plen - 1] == '/') e->path[--plen] = '\0';
    if (!soc_bundle_path_ok(e->path, plen)) {
      say(why, why_len, "header at byte %zu: a path that is absolute, has \"..\" or is malformed",
          at);
      return -1;
    }
    if (type == '5' && n) {
      say(why, why_len, "header at byte %zu: a folder with data", at);
      return -1;
    }
    e->type = type;
    e->data = data;
    e->size = n;
    return 1;
  }
}

/* ---- verification ---- */

/* What one verification holds to: the payload files, the tag files and
 * folders. */
#define VERIFY_ENTRIES_MAX (SOC_BUNDLE_FILES_MAX + 64u)

typedef struct vfile {
  char *path;      /* owned: the path in the archive */
  const char *rel; /* in path: after "<top>/" */
  size_t data, size;
  char sha256[HEX_LEN + 1];
} vfile;

typedef struct mline { /* one line of a manifest, pointing into the archive */
  const char *path;
  size_t path_len;
  const char *sha256; /* HEX_LEN bytes */
  int seen;
} mline;

typedef struct verify_ctx {
  const uint8_t *a;
  size_t len;
  vfile *files; /* owned, sorted by rel */
  size_t nfiles;
  mline *payload, *tags; /* owned, sorted by path */
  size_t npayload, ntags;
  soc_bundle_check *check;
} verify_ctx;

__attribute__((format(printf, 2, 3))) static int bad(verify_ctx *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->check->what, sizeof v->check->what, fmt, ap);
  va_end(ap);
  return 1;
}

static int vfile_cmp(const void *x, const void *y) {
  return strcmp(((const vfile *)x)->rel, ((const vfile *)y)->rel);
}

static int mline_cmp(const void *x, const void *y) {
  const mline *a = x, *b = y;
  size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
  int c = memcmp(a->path, b->path, n);
  return c ? c : (a->path_len > b->path_len) - (a->path_len < b->path_len);
}

static const vfile *find_file(const verify_ctx *v, const char *rel, size_t n) {
  char key[TAR_PAX_MAX];
  if (n >= sizeof key) return NULL;
  memcpy(key, rel, n);
  key[n] = '\0';
  vfile k = {.rel = key};
  return bsearch(&k, v->files, v->nfiles, sizeof *v->files, vfile_cmp);
}

static mline *find_line(mline *lines, size_t n, const char *path, size_t len) {
  mline k = {.path = path, .path_len = len};
  return bsearch(&k, lines, n, sizeof *lines, mline_cmp);
}

/* Every entry inside the bundle folder; regular files hashed and sorted.
 * Returns 0, 1 (bad: check->what says why) or -ENOMEM. */
static int read_entries(verify_ctx *v, const char *top) {
  size_t pos = 0, count = 0, cap = 0, tl = strlen(top);
  tar_entry e;
  int r;
  while ((r = tar_next(v->a, v->len, &pos, &e, v->check->what, sizeof v->check->what)) == 1) {
    int inside = !strncmp(e.path, top, tl) && (e.path[tl] == '/' || !e.path[tl]);
    if (!inside) return bad(v, "%s: outside the bundle folder %s/", e.path, top);
    if (++count > VERIFY_ENTRIES_MAX) return bad(v, "more than %u entries", VERIFY_ENTRIES_MAX);
    if (e.type != '0') continue;
    if (!e.path[tl]) return bad(v, "%s: a file where the bundle folder should be", e.path);
    if (v->nfiles == cap) {
      cap = cap ? 2 * cap : 64;
      vfile *nf = realloc(v->files, cap * sizeof *nf);
      if (!nf) return -ENOMEM;
      v->files = nf;
    }
    vfile *f = &v->files[v->nfiles];
    if (!(f->path = strdup(e.path))) return -ENOMEM;
    v->nfiles++;
    f->rel = f->path + tl + 1;
    f->data = e.data;
    f->size = e.size;
    if (sha_hex(v->a + e.data, e.size, f->sha256)) return -ENOMEM;
  }
  if (r < 0) return 1;
  qsort(v->files, v->nfiles, sizeof *v->files, vfile_cmp);
  for (size_t i = 1; i < v->nfiles; i++)
    if (!strcmp(v->files[i - 1].rel, v->files[i].rel))
      return bad(v, "%s: in the archive twice", v->files[i].path);
  return 0;
}

/* Parses a manifest file ("<sha256> <space(s)> <path>" lines) into sorted
 * lines. payload: the paths must be under data/, else must not be. */
static int read_manifest(verify_ctx *v, const char *name, int payload, mline **out, size_t *n) {
  const vfile *f = find_file(v, name, strlen(name));
  if (!f) return bad(v, "%s missing", name);
  const char *p = (const char *)v->a + f->data, *end = p + f->size;
  size_t cap = f->size / (HEX_LEN + 2) + 1, count = 0;
  if (!(*out = malloc(cap * sizeof **out))) return -ENOMEM;
  for (size_t line = 1; p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *q = p + HEX_LEN;
    if (eol - p < HEX_LEN + 2 || !soc_bundle_hex_ok(p, HEX_LEN) || (*q != ' ' && *q != '\t'))
      return bad(v, "%s:%zu: not \"<sha256>  <path>\"", name, line);
    while (q < eol && (*q == ' ' || *q == '\t')) q++;
    size_t plen = (size_t)(eol - q);
    int in_data = plen > 5 && !memcmp(q, "data/", 5);
    if (!soc_bundle_path_ok(q, plen) || in_data != payload)
      return bad(v, "%s:%zu: a path that is malformed or %s data/", name, line,
                 payload ? "outside" : "inside");
    (*out)[count++] = (mline){.path = q, .path_len = plen, .sha256 = p};
    p = nl ? nl + 1 : end;
  }
  *n = count;
  qsort(*out, count, sizeof **out, mline_cmp);
  for (size_t i = 1; i < count; i++)
    if (!mline_cmp(&(*out)[i - 1], &(*out)[i]))
      return bad(v, "%s: %.*s listed twice", name, (int)(*out)[i].path_len, (*out)[i].path);
  return 0;
}

/* Every line's file exists with that hash. */
static int check_lines(verify_ctx *v, const char *name, const mline *lines, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const vfile *f = find_file(v, lines[i].path, lines[i].path_len);
    int len = (int)lines[i].path_len;
    if (!f) return bad(v, "%.*s: in %s but not in the archive", len, lines[i].path, name);
    if (memcmp(f->sha256, lines[i].sha256, HEX_LEN))
      return bad(v, "%.*s: sha256 mismatch (%s)", len, lines[i].path, name);
  }
  return 0;
}

static int check_bag(verify_ctx *v) {
  int r;
  const vfile *bagit = find_file(v, BAG_BAGIT, strlen(BAG_BAGIT));
  if (!bagit) return bad(v, BAG_BAGIT " missing");
  const char *bt = (const char *)v->a + bagit->data;
  if (bagit->size < strlen("BagIt-Version: ") || memcmp(bt, "BagIt-Version: ", 15))
    return bad(v, BAG_BAGIT ": does not start with BagIt-Version");
  if ((r = read_manifest(v, BAG_MANIFEST, 1, &v->payload, &v->npayload)) ||
      (r = check_lines(v, BAG_MANIFEST, v->payload, v->npayload)))
    return r;
  unsigned long long bytes = 0;
  size_t count = 0;
  for (size_t i = 0; i < v->nfiles; i++) {
    const vfile *f = &v->files[i];
    int payload = !strncmp(f->rel, "data/", 5);
    if (payload) {
      count++;
      bytes += f->size;
    }
    if (payload && !find_line(v->payload, v->npayload, f->rel, strlen(f->rel)))
      return bad(v, "%s: not in " BAG_MANIFEST, f->rel);
  }
  v->check->files = count;
  if ((r = read_manifest(v, BAG_TAGMANIFEST, 0, &v->tags, &v->ntags)) ||
      (r = check_lines(v, BAG_TAGMANIFEST, v->tags, v->ntags)))
    return r;
  for (size_t i = 0; i < v->nfiles; i++) {
    const vfile *f = &v->files[i];
    if (strncmp(f->rel, "data/", 5) && strcmp(f->rel, BAG_TAGMANIFEST) &&
        !find_line(v->tags, v->ntags, f->rel, strlen(f->rel)))
      return bad(v, "%s: not in " BAG_TAGMANIFEST, f->rel);
  }
  /* Payload-Oxum: the cheap completeness check of RFC 8493 */
  const vfile *info = find_file(v, BAG_INFO, strlen(BAG_INFO));
  if (!info) return bad(v, BAG_INFO " missing");
  const char *it = (const char *)v->a + info->data, *end = it + info->size;
  for (const char *l = it; l < end;) {
    const char *nl = memchr(l, '\n', (size_t)(end - l));
    size_t ll = (size_t)((nl ? nl : end) - l);
    char want[64];
    if (ll > 14 && !memcmp(l, "Payload-Oxum: ", 14)) {
      int wl = snprintf(want, sizeof want, "%llu.%zu", bytes, count);
      if ((size_t)wl != ll - 14 || memcmp(l + 14, want, (size_t)wl))
        return bad(v, BAG_INFO ": Payload-Oxum does not match the payload (%s)", want);
      return 0;
    }
    l = nl ? nl + 1 : end;
  }
  return bad(v, BAG_INFO ": no Payload-Oxum");
}

/* The manifest message's files, against manifest-sha256.txt. */
static int check_files_list(verify_ctx *v, fjson_object *root) {
  fjson_object *files = NULL;
  fjson_object_object_get_ex(root, "files", &files); /* shape checked by parse */
  size_t n = (size_t)fjson_object_array_length(files);
  for (size_t i = 0; i < n; i++) {
    fjson_object *f = fjson_object_array_get_idx(files, (int)i);
    const char *p = NULL;
    size_t plen = 0, size = 0;
    char sha[HEX_LEN + 1];
    get_str(f, "path", SOC_BUNDLE_PATH_MAX, &p, &plen);
    get_size(f, "size", SOC_BUNDLE_ARCHIVE_MAX, &size);
    get_sha(f, "sha256", sha);
    mline *l = find_line(v->payload, v->npayload, p, plen);
    if (!l) return bad(v, "%s: in the manifest message but not in " BAG_MANIFEST, p);
    if (l->seen) return bad(v, "%s: twice in the manifest message", p);
    l->seen = 1;
    const vfile *vf = find_file(v, p, plen);
    if (memcmp(l->sha256, sha, HEX_LEN)) return bad(v, "%s: sha256 differs from " BAG_MANIFEST, p);
    if (vf->size != size)
      return bad(v, "%s: %zu bytes, the manifest message says %zu", p, vf->size, size);
  }
  for (size_t i = 0; i < v->npayload; i++)
    if (!v->payload[i].seen)
      return bad(v, "%.*s: missing from the manifest message", (int)v->payload[i].path_len,
                 v->payload[i].path);
  return 0;
}

int soc_bundle_verify(const uint8_t *archive, size_t len, const char *manifest_json,
                      soc_bundle_check *check) {
  int result = -EINVAL;
  soc_bundle_msg m = {0};
  fjson_object *root = NULL;
  verify_ctx v = {.a = archive, .len = len, .check = check};
  char why[200], top[SOC_BUNDLE_ID_MAX], hex[HEX_LEN + 1];
  if (!check) return -EINVAL;
  memset(check, 0, sizeof *check);
  if ((!archive && len) || !manifest_json) goto out;
  result = parse(manifest_json, strlen(manifest_json), &m, &root, why, sizeof why);
  if (result == -EBADMSG) {
    result = 0;
    bad(&v, "manifest message: %s", why);
    goto out;
  }
  if (result) goto out;
  result = 0;
  if (!m.is_manifest) {
    bad(&v, "manifest message: a chunk, not a manifest");
    goto out;
  }
  if (len != m.size) {
    bad(&v, "archive is %zu bytes, the manifest says %zu", len, m.size);
    goto out;
  }
  if (sha_hex(archive, len, hex)) {
    result = -ENOMEM;
    goto out;
  }
  if (strcmp(hex, m.sha256)) {
    bad(&v, "archive sha256 %.12s..., the manifest says %.12s...", hex, m.sha256);
    goto out;
  }
  soc_bundle_top(m.bundle, top);
  int r = read_entries(&v, top);
  if (!r) r = check_bag(&v);
  if (!r) r = check_files_list(&v, root);
  if (r < 0) result = r;
  check->ok = r == 0;
out:
  if (check && !check->ok) check->files = 0;
  soc_bundle_msg_clear(&m);
  fjson_object_put(root);
  for (size_t i = 0; i < v.nfiles; i++) free(v.files[i].path);
  free(v.files);
  free(v.payload);
  free(v.tags);
  return result;
}

/* ---- extraction ---- */

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? -errno : -EIO;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Opens (creating 0700) the folder name under dirfd, never through a link. */
static int open_dir(int dirfd, const char *name) {
  if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) return -errno;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static int extract_one(int root, const uint8_t *a, const tar_entry *e) {
  char path[TAR_PAX_MAX];
  int result = 0, fd = dup(root);
  if (fd < 0) return -errno;
  memcpy(path, e->path, strlen(e->path) + 1);
  char *name = path, *slash;
  /* soc_bundle_path_ok has ruled out "", ".", ".." and a leading "/" */
  while ((slash = strchr(name, '/'))) {
    *slash = '\0';
    int next = open_dir(fd, name);
    close(fd);
    if (next < 0) return next;
    fd = next;
    name = slash + 1;
  }
  if (e->type == '5') {
    int d = open_dir(fd, name);
    if (d < 0)
      result = d;
    else
      close(d);
  } else {
    int out = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
      result = -errno;
    } else {
      result = write_all(out, a + e->data, e->size);
      if (close(out) < 0 && !result) result = -errno;
    }
  }
  close(fd);
  return result;
}

int soc_bundle_extract(const uint8_t *archive, size_t len, const char *dir) {
  int result = -EINVAL, root = -1, r;
  size_t pos = 0;
  tar_entry e;
  if ((!archive && len) || !dir || !*dir) goto out;
  /* the whole stream first: nothing is written from a malformed archive */
  result = -EBADMSG;
  while ((r = tar_next(archive, len, &pos, &e, NULL, 0)) == 1) {
  }
  if (r < 0) goto out;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
    result = -errno;
    goto out;
  }
  if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
    result = -errno;
    goto out;
  }
  pos = 0;
  while ((r = tar_next(archive, len, &pos, &e, NULL, 0)) == 1)
    if ((result = extract_one(root, archive, &e))) goto out;
  result = 0;
out:
  if (root >= 0) close(root);
  return result;
}
