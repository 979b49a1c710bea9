/*
 * yarascan — see the header.
 *
 * Why a cache at all: signature-base alone is hundreds of rules, and
 * compiling it (twice, see yararules.c) takes seconds of CPU at every
 * start; loading the compiled form takes milliseconds. The digest covers
 * everything that makes the compiled form differ (the sources and libyara's
 * version, whose file format changes between releases), so a stale cache
 * is never loaded; a cache that libyara refuses is simply compiled again.
 *
 * Why scanners are per thread: YR_SCANNER holds the matches and the
 * external variables of the scan in progress; YR_RULES is read-only while
 * scanning. One shared YR_RULES keeps memory at one copy of the rules, the
 * way `yara -p` does it.
 *
 * Why libyara's fault handler is off unless a source may use a module:
 * around every scan libyara installs handlers for SIGSEGV and SIGBUS and
 * saves the signal mask, then restores them — a dozen system calls per
 * scan, 5-7 % of the CPU of bench/pcap.sh, which scans tens of thousands of
 * small objects. The handler is there for memory-mapped files that shrink
 * under the scan (SIGBUS); later libyara releases catch only faults inside
 * such a mapping. We never scan a mapping: every object is a buffer of
 * ours (soc_yarascan_file reads the file into one), alive and unchanged
 * for the whole scan. Without modules, the only code that reads it is
 * libyara's matcher, within its bounds. A module (pe, elf, dotnet ...)
 * parses the bytes with code of its own, where a bug on hostile input is
 * the fault the handler would turn into a scan error instead of a crash;
 * so a source that may import one (the word "import" or "include"
 * anywhere in it: a false yes only costs the system calls) keeps it.
 */
#define _GNU_SOURCE /* memmem */
#include "soc/yarascan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yara.h>

#include "soc/yararules.h"

#define READ_CHUNK 65536
#define CACHE_PREFIX "yara-"
#define CACHE_SUFFIX ".yarc"

struct soc_yara_engine {
  YR_RULES *rules;
  int timeout_s;
  char digest[SOC_SHA256_HEX_LEN + 1];
  int64_t nrules, cache_hit;
  int guarded; /* a source may use a module: libyara's fault handler stays on */
  atomic_llong scans, matches, timeouts, errors, bytes;
};

#define SOC_YARA_VARIABLES 5 /* filename, filepath, extension, filetype, owner */

struct soc_yara_scanner {
  soc_yara_engine *e;
  YR_SCANNER *yr;
  soc_yara_match_cb cb;
  void *arg;
  int stopped; /* the callback's non-zero answer */
  int nmatches;
  /* The external variables as last defined (owned copies; NULL: not
   * known): libyara copies a value and looks its name up at every
   * definition, about 400 instructions each, and most of them (file type,
   * owner, extension) repeat from one object to the next. */
  char *defined[SOC_YARA_VARIABLES];
  soc_yara_string strings[SOC_YARA_STRINGS_MAX];
  soc_yara_kv meta[SOC_YARA_META_MAX];
  char meta_num[SOC_YARA_META_MAX][24];
  const char *tags[SOC_YARA_TAGS_MAX];
};

/* ---- the digest and the cache ------------------------------------------------- */

/* Whether p[0..n) may name a module (see the top). A word cut by the
 * chunk's start is found in carry (the last 6 bytes read before: a word is
 * at most 7 long) joined to p's first bytes; carry then keeps p's last. */
static int mentions_module(const char *p, size_t n, char carry[6], size_t *ncarry) {
  static const char *const words[] = {"import", "include"};
  char seam[6 + 7];
  size_t head = n < 7 ? n : 7, ns = *ncarry + head;
  memcpy(seam, carry, *ncarry);
  memcpy(seam + *ncarry, p, head);
  int found = 0;
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    found |= memmem(p, n, words[i], strlen(words[i])) != NULL ||
             memmem(seam, ns, words[i], strlen(words[i])) != NULL;
  const char *tail = n >= 6 ? p + n - 6 : seam + (ns > 6 ? ns - 6 : 0);
  *ncarry = n >= 6 || ns > 6 ? 6 : ns;
  memmove(carry, tail, *ncarry);
  return found;
}

static int digest_sources(const soc_yara_engine_opts *o, char hex[SOC_SHA256_HEX_LEN + 1],
                          int *modules) {
  int result = -ENOMEM;
  uint8_t md[SOC_SHA256_LEN];
  char *buf = malloc(READ_CHUNK);
  soc_sha256_ctx *c = soc_sha256_new();
  if (!buf || !c) goto out;
  result = soc_sha256_update(c, "libyara " YR_VERSION "\n", strlen("libyara " YR_VERSION "\n"));
  for (size_t i = 0; result == 0 && i < o->nfiles; i++) {
    /* the path is part of it: it is the rules' namespace */
    result = soc_sha256_update(c, o->files[i], strlen(o->files[i]) + 1);
    FILE *f = fopen(o->files[i], "rb");
    if (!f) continue; /* compiling will say why; the digest just differs */
    size_t n, ncarry = 0;
    char carry[6];
    while (result == 0 && (n = fread(buf, 1, READ_CHUNK, f)) > 0) {
      result = soc_sha256_update(c, buf, n);
      *modules |= mentions_module(buf, n, carry, &ncarry);
    }
    fclose(f);
    if (result == 0) result = soc_sha256_update(c, "\n--\n", 4);
  }
  if (result == 0) result = soc_sha256_final(c, md);
  if (result == 0) soc_hex(md, sizeof md, hex);
out:
  soc_sha256_free(c);
  free(buf);
  return result;
}

static size_t stream_write(const void *ptr, size_t size, size_t count, void *user) {
  return fwrite(ptr, size, count, user);
}

/* Writes the compiled rules next to their final name, then renames: a
 * crash leaves either the old cache or the new one, never half of one. */
static int cache_save(YR_RULES *rules, const char *dir, const char *path, soc_diag *diag) {
  int result = -EIO;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    if (fd >= 0) close(fd);
    soc_diag_add(diag, SOC_DIAG_WARNING, tmp, 0, 0, "cannot write the YARA cache: %s",
                 strerror(errno));
    return -errno;
  }
  YR_STREAM st = {.user_data = f, .write = stream_write};
  int ok =
      yr_rules_save_stream(rules, &st) == ERROR_SUCCESS && fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (ok && rename(tmp, path) == 0) {
    result = 0;
  } else {
    soc_diag_add(diag, SOC_DIAG_WARNING, path, 0, 0, "cannot write the YARA cache");
    unlink(tmp);
  }
  /* older caches are of other sources: they would never be loaded again */
  DIR *d = result == 0 ? opendir(dir) : NULL;
  const char *keep = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  for (struct dirent *de; d && (de = readdir(d));) {
    if (fnmatch(CACHE_PREFIX "*" CACHE_SUFFIX, de->d_name, 0) != 0 || !strcmp(de->d_name, keep))
      continue;
    char old[4200];
    snprintf(old, sizeof old, "%s/%s", dir, de->d_name);
    unlink(old);
  }
  if (d) closedir(d);
  return result;
}

int soc_yarascan_engine_new(const soc_yara_engine_opts *o, soc_yara_engine **out, soc_diag *diag) {
  int result = -ENOMEM;
  char cache[4200] = "";
  soc_yara_engine *e = calloc(1, sizeof *e);
  *out = NULL;
  if (!e) return -ENOMEM;
  e->timeout_s = o->timeout_s > 0 ? o->timeout_s : SOC_YARA_DEFAULT_TIMEOUT_S;
  if ((result = digest_sources(o, e->digest, &e->guarded)) < 0) goto out;
  if (o->cache_dir) {
    snprintf(cache, sizeof cache, "%s/" CACHE_PREFIX "%s" CACHE_SUFFIX, o->cache_dir, e->digest);
    if (yr_initialize() != ERROR_SUCCESS) {
      result = -ENOMEM;
      goto out;
    }
    if (yr_rules_load(cache, &e->rules) == ERROR_SUCCESS) {
      e->cache_hit = 1;
    } else {
      e->rules = NULL;
      yr_finalize(); /* the compile below takes its own reference */
    }
  }
  if (!e->rules) {
    soc_yara_stats st;
    result = soc_yararules_compile(o->files, o->nfiles, &e->rules, &st, diag);
    if (result < 0) goto out;
    if (o->cache_dir) cache_save(e->rules, o->cache_dir, cache, diag); /* a warning at worst */
  }
  YR_RULE *rule;
  yr_rules_foreach(e->rules, rule) e->nrules++;
  result = 0;
out:
  if (result == 0)
    *out = e;
  else
    soc_yarascan_engine_free(e);
  return result;
}

void soc_yarascan_engine_free(soc_yara_engine *e) {
  if (!e) return;
  if (e->rules) {
    yr_rules_destroy(e->rules);
    soc_yararules_shutdown(); /* the reference the load or the compile took */
  }
  free(e);
}

void soc_yarascan_counters(const soc_yara_engine *e, soc_yara_counters *c) {
  memset(c, 0, sizeof *c);
  if (!e) return;
  c->scans = atomic_load(&e->scans);
  c->matches = atomic_load(&e->matches);
  c->timeouts = atomic_load(&e->timeouts);
  c->errors = atomic_load(&e->errors);
  c->bytes = atomic_load(&e->bytes);
  c->rules = e->nrules;
  c->cache_hits = e->cache_hit;
  c->guarded = e->guarded;
}

const char *soc_yarascan_digest(const soc_yara_engine *e) { return e ? e->digest : ""; }

/* ---- scanning ------------------------------------------------------------------ */

int soc_yarascan_scanner_new(soc_yara_engine *e, soc_yara_scanner **out) {
  soc_yara_scanner *s = calloc(1, sizeof *s);
  *out = NULL;
  if (!s) return -ENOMEM;
  s->e = e;
  if (yr_scanner_create(e->rules, &s->yr) != ERROR_SUCCESS) {
    free(s);
    return -ENOMEM;
  }
  yr_scanner_set_timeout(s->yr, e->timeout_s);
  yr_scanner_set_flags(
      s->yr, SCAN_FLAGS_REPORT_RULES_MATCHING | (e->guarded ? 0 : SCAN_FLAGS_NO_TRYCATCH));
  *out = s;
  return 0;
}

void soc_yarascan_scanner_free(soc_yara_scanner *s) {
  if (!s) return;
  yr_scanner_destroy(s->yr);
  for (size_t i = 0; i < SOC_YARA_VARIABLES; i++) free(s->defined[i]);
  free(s);
}

const char *soc_yara_match_meta(const soc_yara_match *m, const char *key) {
  for (size_t i = 0; i < m->nmeta; i++)
    if (!strcmp(m->meta[i].key, key)) return m->meta[i].value;
  return NULL;
}

static int on_rule(YR_SCAN_CONTEXT *ctx, YR_RULE *rule, soc_yara_scanner *s) {
  soc_yara_match m = {.rule = rule->identifier,
                      .ns = rule->ns ? rule->ns->name : "",
                      .tags = s->tags,
                      .meta = s->meta,
                      .strings = s->strings};
  const char *tag;
  const YR_META *meta;
  const YR_STRING *str;
  s->nmatches++;
  if (!s->cb || s->stopped) return CALLBACK_CONTINUE;
  yr_rule_tags_foreach(rule, tag) if (m.ntags < SOC_YARA_TAGS_MAX) s->tags[m.ntags++] = tag;
  yr_rule_metas_foreach(rule, meta) {
    if (m.nmeta == SOC_YARA_META_MAX) break;
    soc_yara_kv *kv = &s->meta[m.nmeta];
    kv->key = meta->identifier;
    if (meta->type == META_TYPE_STRING) {
      kv->value = meta->string;
    } else if (meta->type == META_TYPE_BOOLEAN) {
      kv->value = meta->integer ? "true" : "false";
    } else {
      snprintf(s->meta_num[m.nmeta], sizeof s->meta_num[0], "%lld", (long long)meta->integer);
      kv->value = s->meta_num[m.nmeta];
    }
    m.nmeta++;
  }
  yr_rule_strings_foreach(rule, str) {
    /* libyara keeps matches in an arena that does not align them; copy
     * each out instead of reading through the pointer (its own
     * yr_string_matches_foreach does, which UBSan rightly flags) */
    for (const YR_MATCH *p = ctx->matches[str->idx].head; p;) {
      YR_MATCH hit;
      memcpy(&hit, p, sizeof hit);
      p = hit.next;
      if (hit.is_private) continue;
      m.strings_total++;
      if (m.nstrings == SOC_YARA_STRINGS_MAX) continue;
      soc_yara_string *o = &s->strings[m.nstrings++];
      o->id = str->identifier;
      o->offset = (uint64_t)(hit.base + hit.offset);
      o->data = hit.data;
      o->len = hit.data_length < 0 ? 0 : (size_t)hit.data_length;
      if (o->len > SOC_YARA_STRING_DATA_MAX) o->len = SOC_YARA_STRING_DATA_MAX;
    }
  }
  s->stopped = s->cb(s->arg, &m);
  return s->stopped ? CALLBACK_ABORT : CALLBACK_CONTINUE;
}

static int on_message(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user) {
  if (message == CALLBACK_MSG_RULE_MATCHING) return on_rule(ctx, data, user);
  return CALLBACK_CONTINUE; /* too many matches of a string: libyara keeps the first ones */
}

int soc_yarascan_buffer(soc_yara_scanner *s, const void *data, size_t len,
                        const soc_yara_meta *meta, soc_yara_match_cb cb, void *arg) {
  static const soc_yara_meta none = {0};
  const soc_yara_meta *m = meta ? meta : &none;
  const char *const names[SOC_YARA_VARIABLES] = {"filename", "filepath", "extension", "filetype",
                                                 "owner"};
  const char *const values[SOC_YARA_VARIABLES] = {m->filename, m->filepath, m->extension,
                                                  m->filetype, m->owner};
  soc_yara_engine *e = s->e;
  for (size_t i = 0; i < SOC_YARA_VARIABLES; i++) {
    const char *v = values[i] ? values[i] : "";
    if (s->defined[i] && !strcmp(s->defined[i], v)) continue;
    free(s->defined[i]);
    s->defined[i] = NULL;
    if (yr_scanner_define_string_variable(s->yr, names[i], v) != ERROR_SUCCESS) {
      atomic_fetch_add(&e->errors, 1);
      return -ENOMEM;
    }
    s->defined[i] = strdup(v); /* NULL: defined again next time */
  }
  s->cb = cb;
  s->arg = arg;
  s->stopped = 0;
  s->nmatches = 0;
  yr_scanner_set_callback(s->yr, on_message, s);
  int rc = yr_scanner_scan_mem(s->yr, len ? data : (const uint8_t *)"", len);
  atomic_fetch_add(&e->scans, 1);
  atomic_fetch_add(&e->bytes, (long long)len);
  if (rc == ERROR_SCAN_TIMEOUT) {
    atomic_fetch_add(&e->timeouts, 1);
    return -ETIMEDOUT;
  }
  if (rc != ERROR_SUCCESS) {
    atomic_fetch_add(&e->errors, 1);
    return rc == ERROR_INSUFFICIENT_MEMORY ? -ENOMEM : -EIO;
  }
  atomic_fetch_add(&e->matches, s->nmatches);
  return s->stopped ? s->stopped : s->nmatches;
}

/* ---- files ------------------------------------------------------------------------ */

void soc_yarascan_file_clear(soc_yara_file *f) {
  free(f->data);
  memset(f, 0, sizeof *f);
}

int soc_yarascan_read_file(const char *path, size_t max_bytes, soc_yara_file *out) {
  int result = -ENOMEM;
  size_t cap = 0;
  uint8_t chunk[8192];
  soc_sha256_ctx *h = NULL;
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    result = -errno;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    result = -EINVAL; /* a FIFO or a device must never be read: it may block or never end */
    goto out;
  }
  out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  out->uid = st.st_uid;
  out->mode = st.st_mode;
  if (!(h = soc_sha256_new())) goto out;
  /* read what is there now, whatever stat said: the file may be growing */
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = -errno;
      goto out;
    }
    if (n == 0) break;
    if ((result = soc_sha256_update(h, chunk, (size_t)n)) < 0) goto out;
    result = -ENOMEM;
    out->size += (uint64_t)n;
    if (out->too_large) continue;
    if (out->size > max_bytes) {
      out->too_large = 1;
      free(out->data);
      out->data = NULL;
      out->len = 0;
      continue;
    }
    if (out->len + (size_t)n > cap) {
      size_t ncap = cap ? cap : (size_t)st.st_size + 1;
      while (ncap < out->len + (size_t)n) ncap *= 2;
      if (ncap > max_bytes) ncap = max_bytes;
      uint8_t *p = realloc(out->data, ncap ? ncap : 1);
      if (!p) goto out;
      out->data = p;
      cap = ncap;
    }
    memcpy(out->data + out->len, chunk, (size_t)n);
    out->len += (size_t)n;
  }
  if (!out->data && !out->too_large && !(out->data = malloc(1))) goto out;
  result = soc_sha256_final(h, out->sha256);
out:
  soc_sha256_free(h);
  close(fd);
  if (result < 0) soc_yarascan_file_clear(out);
  return result;
}

/* The file type names THOR and signature-base compare `filetype` with. */
static const char *filetype_of(const uint8_t *d, size_t n) {
  static const struct {
    const char *magic;
    size_t len;
    const char *name;
  } types[] = {
      {"MZ", 2, "EXE"},
      {"\x7f"
       "ELF",
       4, "ELF"},
      {"PK\x03\x04", 4, "ZIP"},
      {"GIF8", 4, "GIF"},
      {"\xff\xd8\xff", 3, "JPEG"},
      {"\x89PNG", 4, "PNG"},
      {"%PDF", 4, "PDF"},
      {"\xd0\xcf\x11\xe0", 4, "MSOFFICE"},
      {"Rar!", 4, "RAR"},
      {"\x1f\x8b", 2, "GZIP"},
      {"7z\xbc\xaf", 4, "7Z"},
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (n >= types[i].len && memcmp(d, types[i].magic, types[i].len) == 0) return types[i].name;
  return "";
}

void soc_yarascan_meta_for(const char *path, const soc_yara_file *f, char *buf, size_t buflen,
                           soc_yara_meta *m) {
  uid_t uid = f->uid;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  struct passwd pw, *res = NULL;
  char pwbuf[1024];
  m->filename = base;
  m->filepath = path;
  m->extension = "";
  m->owner = "";
  m->filetype = filetype_of(f->data, f->len);
  if (!buf || buflen < 2) return;
  /* ".php", lower case: the form third-party sets compare with */
  size_t used = 0;
  if (dot && dot != base) {
    for (const char *p = dot; *p && used + 1 < buflen / 2; p++)
      buf[used++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    buf[used++] = '\0';
    m->extension = buf;
  }
  char *owner = buf + used;
  size_t left = buflen - used;
  if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
    snprintf(owner, left, "%s", pw.pw_name);
  else
    snprintf(owner, left, "%lu", (unsigned long)uid);
  m->owner = owner;
}

int soc_yarascan_file(soc_yara_scanner *s, const char *path, size_t max_bytes,
                      const soc_yara_meta *meta, soc_yara_match_cb cb, void *arg,
                      soc_yara_file *info) {
  soc_yara_file f;
  soc_yara_meta m;
  char buf[512];
  int rc = soc_yarascan_read_file(path, max_bytes, &f);
  if (rc < 0) return rc;
  soc_yarascan_meta_for(path, &f, buf, sizeof buf, &m);
  if (meta) {
    if (meta->filename) m.filename = meta->filename;
    if (meta->filepath) m.filepath = meta->filepath;
    if (meta->extension) m.extension = meta->extension;
    if (meta->filetype) m.filetype = meta->filetype;
    if (meta->owner) m.owner = meta->owner;
  }
  rc = f.too_large ? -EFBIG : soc_yarascan_buffer(s, f.data, f.len, &m, cb, arg);
  if (info) {
    *info = f;
    info->data = NULL;
    info->len = 0;
  }
  free(f.data);
  return rc;
}
