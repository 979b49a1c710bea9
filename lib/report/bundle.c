/*
 * bundle — building an evidence bundle and cutting it into messages (see
 * include/soc/bundle.h and docs/REPORTS.md, "Evidence bundles").
 *
 * The archive is built in one memory buffer, never on disk: the agent
 * writes it from its journal and ships it from its outbox, and a temporary
 * file would be one more place where evidence lies around unaccounted for.
 * The hard cap (max_bytes) is what makes that safe; it counts the whole
 * archive including the tar end marker, so a bundle that fits the cap
 * while it is built can only fail it at finish, by its tag files.
 *
 * A file can be written in pieces because the agent reads logs back from
 * the journal block by block. Its ustar header holds the size, so the
 * header block is reserved at begin and written at end; the SHA-256 runs
 * incrementally over the pieces, so no file is ever held twice.
 *
 * Names longer than ustar's 100 + 155 bytes (a long bundle id plus a long
 * path) get a pax extended header with a "path" record: POSIX, and what
 * GNU tar reads. The plain header after it carries a cut name that stays
 * inside the bundle folder, for tools that ignore pax headers.
 *
 * Payload files may not be listed twice, and paths are restricted so that
 * manifest lines never need BagIt's percent-escapes: the receiving side
 * parses them with the same rules (bundle_read.c).
 */
#include "soc/bundle.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle_internal.h"
#include "soc/hash.h"
#include "soc/utf8.h"

typedef struct bundle_file {
  char path[SOC_BUNDLE_PATH_MAX]; /* "data/..." */
  size_t size;
  char sha256[SOC_SHA256_HEX_LEN + 1];
} bundle_file;

typedef enum { B_OPEN, B_IN_FILE, B_FINISHED, B_BROKEN } bundle_state;

struct soc_bundle {
  char id[SOC_BUNDLE_ID_MAX];
  char top[SOC_BUNDLE_ID_MAX];
  size_t max;
  long long mtime; /* of every entry: when the bundle was started */
  bundle_state state;
  int broken;   /* B_BROKEN: the error every later call returns */
  uint8_t *buf; /* owned: the archive so far */
  size_t len, cap;
  /* the entry being written */
  size_t hdr_at;    /* offset of its header block */
  size_t entry_len; /* bytes written so far */
  char entry_path[TAR_PAX_MAX];
  soc_sha256_ctx *sha; /* owned, NULL between entries */
  bundle_file *files;  /* owned: payload files in order */
  size_t nfiles, files_cap;
  unsigned long long payload_bytes;
  char *custody; /* owned: custody.json, kept for the manifest message */
  char sha256[SOC_SHA256_HEX_LEN + 1];
};

/* ---- names ---- */

int soc_bundle_id_ok(const char *s, size_t n) {
  if (!s || n == 0 || n >= SOC_BUNDLE_ID_MAX) return 0;
  if (n == 1 && s[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '/' || c == '-'))
      return 0;
    if (c == '.' && i + 1 < n && s[i + 1] == '.') return 0;
  }
  return 1;
}

void soc_bundle_top(const char *id, char *top) {
  size_t i = 0;
  for (; id[i] && i < SOC_BUNDLE_ID_MAX - 1; i++) top[i] = id[i] == '/' ? '_' : id[i];
  top[i] = '\0';
}

int soc_bundle_path_ok(const char *s, size_t n) {
  size_t start = 0;
  if (!s || n == 0 || soc_utf8_valid_prefix(s, n) != n) return 0;
  for (size_t i = 0; i <= n; i++) {
    unsigned char c = i < n ? (unsigned char)s[i] : '/';
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '%') return 0;
    if (c != '/') continue;
    size_t clen = i - start;
    if (clen == 0 || (clen == 1 && s[start] == '.') ||
        (clen == 2 && s[start] == '.' && s[start + 1] == '.'))
      return 0;
    start = i + 1;
  }
  return 1;
}

int soc_bundle_hex_ok(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

/* ---- the archive buffer ---- */

static size_t pad_of(size_t n) { return (TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK; }

/* A half-written entry can not be taken back: the bundle is done for. */
static int broken(soc_bundle *b, int err) {
  b->state = B_BROKEN;
  b->broken = err;
  return err;
}

/* Appends n bytes (zeros when p is NULL). `after` is what the archive will
 * at least be once the current entry is padded; with the end marker it must
 * stay within the cap. */
static int put(soc_bundle *b, const void *p, size_t n, size_t after) {
  if (after > b->max || b->max - after < TAR_END) return broken(b, -EFBIG);
  if (n > b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap - b->len < n) cap = cap > b->max / 2 ? b->max : cap * 2;
    uint8_t *nb = realloc(b->buf, cap);
    if (!nb) return broken(b, -ENOMEM);
    b->buf = nb;
    b->cap = cap;
  }
  if (p)
    memcpy(b->buf + b->len, p, n);
  else
    memset(b->buf + b->len, 0, n);
  b->len += n;
  return 0;
}

static void octal(uint8_t *field, size_t width, unsigned long long v) {
  /* width-1 digits and a NUL, as POSIX asks */
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; v >>= 3) field[i] = (uint8_t)('0' + (v & 7));
}

/* Where to cut path into prefix "/" name, or 0 when it fits name alone;
 * -1 when it fits neither way. */
static long ustar_cut(const char *path, size_t n) {
  if (n <= TAR_NAME_LEN) return 0;
  for (size_t i = n > TAR_NAME_LEN + 1 ? n - TAR_NAME_LEN - 1 : 0; i < n && i <= TAR_PREFIX_LEN;
       i++)
    if (path[i] == '/' && i > 0 && i + 1 < n) return (long)i;
  return -1;
}

static void header(uint8_t h[TAR_BLOCK], const char *path, size_t size, char type,
                   long long mtime) {
  size_t n = strlen(path);
  long cut = ustar_cut(path, n);
  memset(h, 0, TAR_BLOCK);
  if (cut > 0) {
    memcpy(h + TAR_PREFIX, path, (size_t)cut);
    memcpy(h + TAR_NAME, path + cut + 1, n - (size_t)cut - 1);
  } else {
    memcpy(h + TAR_NAME, path, n < TAR_NAME_LEN ? n : TAR_NAME_LEN);
  }
  octal(h + TAR_MODE, 8, type == '5' ? 0755 : 0644);
  octal(h + TAR_UID, 8, 0);
  octal(h + TAR_GID, 8, 0);
  octal(h + TAR_SIZE, TAR_SIZE_LEN, size);
  octal(h + TAR_MTIME, 12, (unsigned long long)(mtime > 0 ? mtime : 0));
  h[TAR_TYPE] = (uint8_t)type;
  memcpy(h + TAR_MAGIC,
         "ustar\0"
         "00",
         8);
  memset(h + TAR_CHKSUM, ' ', TAR_CHKSUM_LEN);
  unsigned sum = 0;
  for (size_t i = 0; i < TAR_BLOCK; i++) sum += h[i];
  octal(h + TAR_CHKSUM, 7, sum); /* six digits, NUL, and the space left */
}

/* A pax "path" record: "<len> path=<p>\n", where len counts itself. */
static int pax_record(const char *p, char *out, size_t cap) {
  size_t body = strlen(" path=") + strlen(p) + 1, total = body + 1;
  while ((size_t)snprintf(NULL, 0, "%zu", total) + body != total) total++;
  int n = snprintf(out, cap, "%zu path=%s\n", total, p);
  return n < 0 || (size_t)n != total || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

/* Starts an entry at inner (relative to the bundle folder). */
static int entry_begin(soc_bundle *b, const char *inner) {
  char full[TAR_PAX_MAX];
  int n = snprintf(full, sizeof full, "%s/%s", b->top, inner);
  if (n < 0 || (size_t)n >= sizeof full) return -ENAMETOOLONG;
  int result = 0;
  if (ustar_cut(full, (size_t)n) < 0) {
    char rec[TAR_PAX_MAX + 32], name[TAR_NAME_LEN + 1];
    uint8_t h[TAR_BLOCK];
    int rn = pax_record(full, rec, sizeof rec);
    if (rn < 0) return rn;
    /* The pax header's own name is only seen by tools that do not know
     * pax; keep it inside the bundle folder too. */
    snprintf(name, sizeof name, "%.80s/PaxHeader", b->top);
    header(h, name, (size_t)rn, 'x', b->mtime);
    size_t after = b->len + TAR_BLOCK + (size_t)rn + pad_of((size_t)rn) + TAR_BLOCK;
    if ((result = put(b, h, sizeof h, after)) || (result = put(b, rec, (size_t)rn, after)) ||
        (result = put(b, NULL, pad_of((size_t)rn), after)))
      return result;
    /* the plain name: the bundle folder and the file's own name, cut */
    char base[20];
    snprintf(base, sizeof base, "%s", strrchr(full, '/') + 1);
    snprintf(full, sizeof full, "%.80s/%s", b->top, base);
  }
  memcpy(b->entry_path, full, strlen(full) + 1);
  b->hdr_at = b->len;
  b->entry_len = 0;
  if ((result = put(b, NULL, TAR_BLOCK, b->len + TAR_BLOCK))) return result;
  if (!(b->sha = soc_sha256_new())) return broken(b, -ENOMEM);
  b->state = B_IN_FILE;
  return 0;
}

static int entry_write(soc_bundle *b, const void *data, size_t len) {
  size_t size = b->entry_len + len;
  if (len > b->max || size > b->max) return broken(b, -EFBIG);
  int result = put(b, data, len, b->len + len + pad_of(size));
  if (result) return result;
  b->entry_len = size;
  if ((result = soc_sha256_update(b->sha, data, len))) return broken(b, result);
  return 0;
}

/* Ends the entry: its header, its padding. OUT: sha256 hex, *size. */
static int entry_end(soc_bundle *b, char sha256[SOC_SHA256_HEX_LEN + 1], size_t *size) {
  uint8_t digest[SOC_SHA256_LEN];
  int result = soc_sha256_final(b->sha, digest);
  soc_sha256_free(b->sha);
  b->sha = NULL;
  if (result) return broken(b, result);
  soc_hex(digest, sizeof digest, sha256);
  header(b->buf + b->hdr_at, b->entry_path, b->entry_len, '0', b->mtime);
  if ((result = put(b, NULL, pad_of(b->entry_len), b->len + pad_of(b->entry_len)))) return result;
  *size = b->entry_len;
  b->state = B_OPEN;
  return 0;
}

static int entry_whole(soc_bundle *b, const char *inner, const void *data, size_t len,
                       char sha256[SOC_SHA256_HEX_LEN + 1]) {
  size_t size = 0;
  int result = entry_begin(b, inner);
  if (!result) result = entry_write(b, data, len);
  if (!result) result = entry_end(b, sha256, &size);
  return result;
}

/* ---- building ---- */

int soc_bundle_new(const char *id, size_t max_bytes, soc_bundle **out) {
  if (!out) return -EINVAL;
  *out = NULL;
  if (!id || !soc_bundle_id_ok(id, strlen(id)) || !max_bytes || max_bytes > SOC_BUNDLE_ARCHIVE_MAX)
    return -EINVAL;
  soc_bundle *b = calloc(1, sizeof *b);
  if (!b) return -ENOMEM;
  memcpy(b->id, id, strlen(id) + 1);
  soc_bundle_top(id, b->top);
  b->max = max_bytes;
  b->mtime = (long long)time(NULL);
  *out = b;
  return 0;
}

void soc_bundle_free(soc_bundle *b) {
  if (!b) return;
  soc_sha256_free(b->sha);
  free(b->buf);
  free(b->files);
  free(b->custody);
  free(b);
}

/* The error that broke the bundle, else -EINVAL unless it is in state s. */
static int state_is(const soc_bundle *b, bundle_state s) {
  if (!b) return -EINVAL;
  if (b->state == B_BROKEN) return b->broken;
  return b->state == s ? 0 : -EINVAL;
}

int soc_bundle_file_begin(soc_bundle *b, const char *path) {
  int result = state_is(b, B_OPEN);
  if (result) return result;
  size_t n = path ? strnlen(path, SOC_BUNDLE_PATH_MAX) : 0;
  if (n + strlen("data/") >= SOC_BUNDLE_PATH_MAX || !soc_bundle_path_ok(path, n)) return -EINVAL;
  for (size_t i = 0; i < b->nfiles; i++)
    if (!strcmp(b->files[i].path + strlen("data/"), path)) return -EEXIST;
  if (b->nfiles >= SOC_BUNDLE_FILES_MAX) return -ENOSPC;
  if (b->nfiles == b->files_cap) {
    size_t cap = b->files_cap ? 2 * b->files_cap : 16;
    bundle_file *nf = realloc(b->files, cap * sizeof *nf);
    if (!nf) return -ENOMEM;
    b->files = nf;
    b->files_cap = cap;
  }
  bundle_file *f = &b->files[b->nfiles];
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "data/%s", path);
  if ((result = entry_begin(b, f->path))) return result;
  b->nfiles++;
  return 0;
}

int soc_bundle_file_write(soc_bundle *b, const void *data, size_t len) {
  int result = state_is(b, B_IN_FILE);
  if (result) return result;
  if (!data && len) return -EINVAL;
  return entry_write(b, data, len);
}

int soc_bundle_file_end(soc_bundle *b) {
  int result = state_is(b, B_IN_FILE);
  if (result) return result;
  bundle_file *f = &b->files[b->nfiles - 1];
  if ((result = entry_end(b, f->sha256, &f->size))) return result;
  b->payload_bytes += f->size;
  return 0;
}

int soc_bundle_add(soc_bundle *b, const char *path, const void *data, size_t len) {
  int result = soc_bundle_file_begin(b, path);
  if (!result) result = soc_bundle_file_write(b, data, len);
  if (!result) result = soc_bundle_file_end(b);
  return result;
}

/* One JSON object and nothing after it (but white space). */
static fjson_object *parse_object(const char *s, size_t n) {
  fjson_tokener *tok = fjson_tokener_new();
  fjson_object *o = NULL;
  if (!tok) return NULL;
  fjson_tokener_set_flags(tok, FJSON_TOKENER_STRICT);
  o = fjson_tokener_parse_ex(tok, s, (int)n);
  size_t used = (size_t)tok->char_offset;
  if (fjson_tokener_get_error(tok) != fjson_tokener_success || !o ||
      !fjson_object_is_type(o, fjson_type_object)) {
    fjson_object_put(o);
    o = NULL;
  }
  while (o && used < n && strchr(" \t\r\n", s[used])) used++;
  if (o && used < n) {
    fjson_object_put(o);
    o = NULL;
  }
  fjson_tokener_free(tok);
  return o;
}

static int info_ok(const char *const *info) {
  size_t count = 0;
  for (; info && info[count]; count++) {
    const char *l = info[count], *colon = strchr(l, ':');
    size_t n = strnlen(l, SOC_BUNDLE_INFO_LINE_MAX + 1);
    if (count >= SOC_BUNDLE_INFO_MAX || n > SOC_BUNDLE_INFO_LINE_MAX || !colon || colon == l ||
        colon[1] != ' ' || l[0] == ' ' || l[0] == '\t' || strpbrk(l, "\r\n") ||
        soc_utf8_valid_prefix(l, n) != n)
      return 0;
    if (!strncmp(l, "Bagging-Date:", 13) || !strncmp(l, "Payload-Oxum:", 13)) return 0;
  }
  return 1;
}

/* Text built in memory: the tag files. OUT: *text, *len (malloc'd). */
static int tag_bag_info(const soc_bundle *b, const char *const *info, char **text, size_t *len) {
  FILE *f = open_memstream(text, len);
  struct tm tm;
  time_t now = time(NULL);
  char date[16] = "1970-01-01";
  if (!f) return -ENOMEM;
  if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%d", &tm);
  for (size_t i = 0; info && info[i]; i++) fprintf(f, "%s\n", info[i]);
  fprintf(f, "Bagging-Date: %s\nPayload-Oxum: %llu.%zu\n", date, b->payload_bytes, b->nfiles);
  return fclose(f) ? -ENOMEM : 0;
}

static int tag_manifest(const bundle_file *files, size_t n, char **text, size_t *len) {
  FILE *f = open_memstream(text, len);
  if (!f) return -ENOMEM;
  for (size_t i = 0; i < n; i++) fprintf(f, "%s  %s\n", files[i].sha256, files[i].path);
  return fclose(f) ? -ENOMEM : 0;
}

int soc_bundle_finish(soc_bundle *b, const char *const *info, const char *custody_json,
                      const uint8_t **archive, size_t *len, char sha256_hex[65]) {
  int result = state_is(b, B_OPEN);
  char *bag_info = NULL, *manifest = NULL, *tagmanifest = NULL;
  size_t bag_info_len = 0, manifest_len = 0, tagmanifest_len = 0;
  bundle_file tags[4];
  char unused[SOC_SHA256_HEX_LEN + 1];
  uint8_t digest[SOC_SHA256_LEN];
  fjson_object *custody = NULL;
  int started = 0;
  if (result) goto out;
  result = -EINVAL;
  size_t clen = custody_json ? strnlen(custody_json, SOC_BUNDLE_CUSTODY_MAX + 1) : 0;
  if (!archive || !len || !sha256_hex || !info_ok(info) || !clen || clen > SOC_BUNDLE_CUSTODY_MAX ||
      !(custody = parse_object(custody_json, clen)))
    goto out;
  /* Until the first tag entry is written, a failure leaves the bundle as
   * it was: the caller may try again. */
  result = -ENOMEM;
  free(b->custody);
  if (!(b->custody = strdup(custody_json))) goto out;
  if ((result = tag_bag_info(b, info, &bag_info, &bag_info_len)) ||
      (result = tag_manifest(b->files, b->nfiles, &manifest, &manifest_len)))
    goto out;

  const struct {
    const char *name, *text;
    size_t len;
  } tag[4] = {{BAG_BAGIT, BAG_BAGIT_TEXT, strlen(BAG_BAGIT_TEXT)},
              {BAG_INFO, bag_info, bag_info_len},
              {BAG_CUSTODY, custody_json, clen},
              {BAG_MANIFEST, manifest, manifest_len}};
  started = 1;
  for (size_t i = 0; i < 4; i++) {
    snprintf(tags[i].path, sizeof tags[i].path, "%s", tag[i].name);
    if ((result = entry_whole(b, tag[i].name, tag[i].text, tag[i].len, tags[i].sha256))) goto out;
  }
  if ((result = tag_manifest(tags, 4, &tagmanifest, &tagmanifest_len)) ||
      (result = entry_whole(b, BAG_TAGMANIFEST, tagmanifest, tagmanifest_len, unused)))
    goto out;
  /* put() has kept room for the end marker all along: after = len. */
  if ((result = put(b, NULL, TAR_END, b->len))) goto out;
  if ((result = soc_sha256(b->buf, b->len, digest))) goto out;
  soc_hex(digest, sizeof digest, b->sha256);
  b->state = B_FINISHED;
  *archive = b->buf;
  *len = b->len;
  memcpy(sha256_hex, b->sha256, sizeof b->sha256);
  result = 0;
out:
  if (result && started && b->state != B_BROKEN) broken(b, result);
  fjson_object_put(custody);
  free(bag_info);
  free(manifest);
  free(tagmanifest);
  return result;
}

/* ---- messages ---- */

size_t soc_bundle_nchunks(const soc_bundle *b, size_t chunk) {
  if (!b || b->state != B_FINISHED || !chunk) return 0;
  return b->len / chunk + (b->len % chunk != 0);
}

/* A finished bundle, a valid report id, a chunk size the receiver takes. */
static int messages_ok(const soc_bundle *b, const char *report, size_t chunk) {
  return b && b->state == B_FINISHED && report &&
         soc_bundle_id_ok(report, strnlen(report, SOC_BUNDLE_ID_MAX)) && chunk &&
         chunk <= SOC_BUNDLE_CHUNK_MAX && soc_bundle_nchunks(b, chunk) <= SOC_BUNDLE_CHUNKS_MAX;
}

/* Adds v under k; a NULL v (out of memory) fails the whole message. */
static int set(fjson_object *o, const char *k, fjson_object *v) {
  if (!v) return -ENOMEM;
  fjson_object_object_add(o, k, v);
  return 0;
}

static int set_size(fjson_object *o, const char *k, size_t v) {
  return set(o, k, fjson_object_new_int64((int64_t)v));
}

/* The fields both messages start with. */
static fjson_object *message_new(const soc_bundle *b, const char *type, const char *report) {
  fjson_object *o = fjson_object_new_object();
  if (o && !set(o, "schema", fjson_object_new_string(SOC_BUNDLE_SCHEMA)) &&
      !set(o, "type", fjson_object_new_string(type)) &&
      !set(o, "bundle", fjson_object_new_string(b->id)) &&
      !set(o, "report", fjson_object_new_string(report)))
    return o;
  fjson_object_put(o);
  return NULL;
}

static int message_text(fjson_object *o, char **json) {
  const char *s = fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN);
  if (!s) return -ENOMEM;
  if (strlen(s) > SOC_BUNDLE_MSG_MAX) return -EMSGSIZE;
  return (*json = strdup(s)) ? 0 : -ENOMEM;
}

int soc_bundle_manifest_json(const soc_bundle *b, const char *report, size_t chunk, char **json) {
  int result = -EINVAL;
  fjson_object *o = NULL, *files = NULL, *custody = NULL;
  if (!json) goto out;
  *json = NULL;
  if (!messages_ok(b, report, chunk)) goto out;
  result = -ENOMEM;
  if (!(o = message_new(b, "manifest", report)) ||
      set_size(o, "chunks", soc_bundle_nchunks(b, chunk)) || set_size(o, "size", b->len) ||
      set(o, "sha256", fjson_object_new_string(b->sha256)) ||
      set(o, "files", files = fjson_object_new_array()))
    goto out;
  for (size_t i = 0; i < b->nfiles; i++) {
    fjson_object *f = fjson_object_new_object();
    if (!f || fjson_object_array_add(files, f)) {
      fjson_object_put(f);
      goto out;
    }
    if (set(f, "path", fjson_object_new_string(b->files[i].path)) ||
        set_size(f, "size", b->files[i].size) ||
        set(f, "sha256", fjson_object_new_string(b->files[i].sha256)))
      goto out;
  }
  /* validated by finish; only memory can fail here */
  if (!(custody = parse_object(b->custody, strlen(b->custody)))) goto out;
  fjson_object_object_add(o, "custody", custody);
  result = message_text(o, json);
out:
  fjson_object_put(o);
  return result;
}

/* Written directly rather than through a JSON tree: every field is an id,
 * a number, hex or base64, none of which needs escaping, and the data is
 * encoded straight into the message instead of being copied three times. */
int soc_bundle_chunk_json(const soc_bundle *b, const char *report, size_t chunk, size_t seq,
                          char **json) {
  int result = -EINVAL;
  uint8_t digest[SOC_SHA256_LEN];
  char hex[SOC_SHA256_HEX_LEN + 1], *msg = NULL;
  if (!json) goto out;
  *json = NULL;
  if (!messages_ok(b, report, chunk)) goto out;
  result = -ERANGE;
  if (seq >= soc_bundle_nchunks(b, chunk)) goto out;
  size_t off = seq * chunk, n = b->len - off < chunk ? b->len - off : chunk;
  if ((result = soc_sha256(b->buf + off, n, digest))) goto out;
  soc_hex(digest, sizeof digest, hex);
  char head[2 * SOC_BUNDLE_ID_MAX + 256];
  int hn = snprintf(head, sizeof head,
                    "{\"schema\":\"" SOC_BUNDLE_SCHEMA
                    "\",\"type\":\"chunk\",\"bundle\":\"%s\","
                    "\"report\":\"%s\",\"seq\":%zu,\"offset\":%zu,\"size\":%zu,\"sha256\":\"%s\","
                    "\"data\":\"",
                    b->id, report, seq, off, n, hex);
  result = -ENOMEM;
  /* n <= SOC_BUNDLE_CHUNK_MAX: the base64 fits an int, the message the cap */
  size_t b64 = 4 * ((n + 2) / 3);
  if (hn < 0 || (size_t)hn >= sizeof head || !(msg = malloc((size_t)hn + b64 + 3))) goto out;
  memcpy(msg, head, (size_t)hn);
  EVP_EncodeBlock((unsigned char *)msg + hn, b->buf + off, (int)n);
  memcpy(msg + (size_t)hn + b64, "\"}", 3);
  *json = msg;
  result = 0;
out:
  return result;
}
