/*
 * yarascan — YARA scanning for every part of the agent that has bytes to
 * look at: files in watched directories (agent/watch.c), and, from the
 * capture side, reassembled streams and extracted HTTP bodies.
 *
 * Two handles:
 *  - an engine holds the compiled rules (one YR_RULES) and the counters.
 *    Create it once per process and share it: it is read-only after
 *    creation and its counters are atomic, so any number of threads may use
 *    it at once.
 *  - a scanner belongs to one thread (libyara's YR_SCANNER keeps the scan
 *    state and the external variables). Make one per worker thread with
 *    soc_yarascan_scanner_new; never share it.
 *
 * Compiled rules are cached in cache_dir as yara-<digest>.yarc, where the
 * digest is the SHA-256 of libyara's version and of every source file's
 * path and bytes: a start with unchanged sources loads the cache (no
 * compile), a changed source, a file added or removed, or another libyara
 * compiles again and replaces the cache. The cache is trusted as the rules
 * themselves are (it lives in the state directory, mode 0600).
 *
 * Scanning a buffer, for the capture code (one call per object, never per
 * packet: a scan with thousands of rules costs about a millisecond):
 *
 *   soc_yara_meta meta = {.filename = "upload.php", .filetype = "http-body"};
 *   int n = soc_yarascan_buffer(scanner, body, body_len, &meta, on_match, ctx);
 *   // n >= 0: rules that matched (each passed to on_match before return);
 *   // -ETIMEDOUT: the scan took longer than the engine's timeout (counted);
 *   // another negative errno: libyara failed (counted as an error).
 *
 * Everything a match callback receives is borrowed for the call only; copy
 * what must outlive it. Matched strings are bounded: at most
 * SOC_YARA_STRINGS_MAX per rule (the rest counted in strings_total), each
 * showing at most SOC_YARA_STRING_DATA_MAX bytes of what matched.
 *
 * Errors are negative errno values; problems while loading go to a
 * soc_diag (FILE:LINE for rule files).
 */
#ifndef SOC_YARASCAN_H
#define SOC_YARASCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "soc/diag.h"
#include "soc/hash.h"

#define SOC_YARA_STRINGS_MAX 16
#define SOC_YARA_STRING_DATA_MAX 64
#define SOC_YARA_META_MAX 32
#define SOC_YARA_TAGS_MAX 16
#define SOC_YARA_DEFAULT_TIMEOUT_S 10

typedef struct soc_yara_engine soc_yara_engine;
typedef struct soc_yara_scanner soc_yara_scanner;

typedef struct soc_yara_engine_opts {
  const char *const *files; /* rule files, already expanded (no globs); borrowed */
  size_t nfiles;
  const char *cache_dir; /* NULL: compile every time, cache nothing */
  int timeout_s;         /* per scan; <= 0: SOC_YARA_DEFAULT_TIMEOUT_S */
} soc_yara_engine_opts;

typedef struct soc_yara_counters {
  int64_t scans, matches, timeouts, errors, bytes;
  int64_t rules;      /* rules in the compiled set */
  int64_t cache_hits; /* 1 when this engine was loaded from the cache */
  int64_t guarded;    /* 1: libyara's fault handler wraps each scan (a source may use a module) */
} soc_yara_counters;

/* Loads the rules from the cache or compiles them (and refreshes the
 * cache). OUT: *out, owned by the caller (soc_yarascan_engine_free).
 * Returns 0, or -EINVAL when no file compiled at all; files that fail are
 * reported in diag and left out, the others still load. */
int soc_yarascan_engine_new(const soc_yara_engine_opts *opts, soc_yara_engine **out,
                            soc_diag *diag);
/* Every scanner of the engine must be freed first. NULL is a no-op. */
void soc_yarascan_engine_free(soc_yara_engine *e);
void soc_yarascan_counters(const soc_yara_engine *e, soc_yara_counters *out);
/* The hex digest of the sources (owned by e): changes when the rules do. */
const char *soc_yarascan_digest(const soc_yara_engine *e);

/* OUT: *out, owned by the calling thread. */
int soc_yarascan_scanner_new(soc_yara_engine *e, soc_yara_scanner **out);
void soc_yarascan_scanner_free(soc_yara_scanner *s);

/* The external variables of the object scanned (NULL or missing: ""). */
typedef struct soc_yara_meta {
  const char *filename;  /* base name */
  const char *filepath;  /* full path (or a flow tuple, a URI) */
  const char *extension; /* without the dot, lower case as found */
  const char *filetype;  /* e.g. "file", "http-body", "stream" */
  const char *owner;     /* user name (or uid) owning the file */
} soc_yara_meta;

typedef struct soc_yara_string {
  const char *id;      /* "$a" */
  uint64_t offset;     /* in the object */
  const uint8_t *data; /* what matched, cut at SOC_YARA_STRING_DATA_MAX */
  size_t len;
} soc_yara_string;

typedef struct soc_yara_kv {
  const char *key;
  const char *value; /* integers and booleans as text */
} soc_yara_kv;

typedef struct soc_yara_match {
  const char *rule; /* identifier */
  const char *ns;   /* namespace: the rule file's path */
  const char *const *tags;
  size_t ntags;
  const soc_yara_kv *meta;
  size_t nmeta;
  const soc_yara_string *strings;
  size_t nstrings;
  size_t strings_total; /* all string matches, >= nstrings */
} soc_yara_match;

/* The value of a rule's meta key, NULL when absent. */
const char *soc_yara_match_meta(const soc_yara_match *m, const char *key);

/* Return non-zero to stop the scan (that value is then returned). */
typedef int (*soc_yara_match_cb)(void *arg, const soc_yara_match *m);

/* Scans len bytes. Returns the number of matching rules, or a negative
 * errno as above. meta and cb may be NULL. */
int soc_yarascan_buffer(soc_yara_scanner *s, const void *data, size_t len,
                        const soc_yara_meta *meta, soc_yara_match_cb cb, void *arg);

/* A regular file read whole into memory, for hashing and scanning the same
 * bytes. */
typedef struct soc_yara_file {
  uint8_t *data; /* owned: soc_yarascan_file_clear */
  size_t len;    /* bytes in data: the whole file unless too_large */
  uint64_t size; /* the file's size as read */
  int too_large; /* size > max_bytes: data is empty, sha256 still of all */
  uint8_t sha256[SOC_SHA256_LEN];
  int64_t mtime_ns;
  uid_t uid;
  mode_t mode;
} soc_yara_file;

/* Opens path read-only without following a final symlink (O_NOFOLLOW) and
 * without blocking on a FIFO, requires a regular file, reads it (at most
 * max_bytes kept; a bigger file is hashed in pieces and flagged too_large).
 * Returns 0; -ELOOP for a symlink, -EINVAL for anything not a regular file,
 * -ENOENT, -EACCES, -EIO ... from the system. */
int soc_yarascan_read_file(const char *path, size_t max_bytes, soc_yara_file *out);
void soc_yarascan_file_clear(soc_yara_file *f);

/* read_file, then a scan with filename/filepath/extension/owner taken from
 * the path and the file (meta fields given override them). OUT: *info (may
 * be NULL) the file's size, hash and times. A too-large file is not scanned:
 * -EFBIG. */
int soc_yarascan_file(soc_yara_scanner *s, const char *path, size_t max_bytes,
                      const soc_yara_meta *meta, soc_yara_match_cb cb, void *arg,
                      soc_yara_file *info);

/* Fills meta from path and the file read: filename, filepath, extension
 * (".php", lower case), owner (user name, else uid) and filetype ("EXE",
 * "ELF", "ZIP", "GIF", "JPEG", "PNG", "PDF", ... by magic bytes, else "").
 * The strings point into path, f and buf (>= 256 bytes), which must outlive
 * meta. */
void soc_yarascan_meta_for(const char *path, const soc_yara_file *f, char *buf, size_t buflen,
                           soc_yara_meta *meta);

#endif
