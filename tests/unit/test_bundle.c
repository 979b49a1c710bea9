/*
 * Unit tests for evidence bundles: build a bag, cut it into messages, parse
 * them back, rebuild and verify; then break it every way a network, a disk
 * or an attacker would, and check that verify says so in words. GNU tar
 * must extract what we build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "soc/bundle.h"
#include "soc/hash.h"
#include "testutil.h"

#define ID "agency-web01/13/1"
#define TOP "agency-web01_13_1"
#define REPORT "agency-web01/13"
#define CUSTODY \
  "{\"who\": \"analyst\", \"what\": \"auth logs\", \"when\": \"2026-11-25T10:05:55Z\"}"

static const char *const info[] = {"Source-Organization: Example Agency",
                                   "External-Identifier: " REPORT, NULL};

/* A bag of five files; LabSZ.log is written in pieces, 5000 bytes. */
typedef struct bag {
  soc_bundle *b;
  const uint8_t *archive;
  size_t len;
  char sha[65];
  char *manifest; /* owned */
} bag;

static char lab[5000];

static void make_bag(bag *g, const char *id, const char *long_path) {
  memset(g, 0, sizeof *g);
  for (size_t i = 0; i < sizeof lab; i++) lab[i] = (char)(i % 61 == 60 ? '\n' : 'a' + i % 26);
  assert_int_equal(soc_bundle_new(id, 1 << 20, &g->b), 0);
  assert_int_equal(soc_bundle_file_begin(g->b, "logs/LabSZ.log"), 0);
  assert_int_equal(soc_bundle_file_write(g->b, lab, 1200), 0);
  assert_int_equal(soc_bundle_file_write(g->b, lab + 1200, 0), 0);
  assert_int_equal(soc_bundle_file_write(g->b, lab + 1200, 3000), 0);
  assert_int_equal(soc_bundle_file_write(g->b, lab + 4200, 800), 0);
  assert_int_equal(soc_bundle_file_end(g->b), 0);
  assert_int_equal(soc_bundle_add(g->b, "evidence.jsonl", "{\"line\":1}\n", 11), 0);
  assert_int_equal(soc_bundle_add(g->b, "report.json", "{}", 2), 0);
  assert_int_equal(soc_bundle_add(g->b, "yara/hits.txt", "webshell\n", 9), 0);
  assert_int_equal(soc_bundle_add(g->b, "empty.log", "", 0), 0);
  if (long_path) assert_int_equal(soc_bundle_add(g->b, long_path, "long\n", 5), 0);
  assert_int_equal(soc_bundle_finish(g->b, info, CUSTODY, &g->archive, &g->len, g->sha), 0);
  assert_int_equal(soc_bundle_manifest_json(g->b, REPORT, 1000, &g->manifest), 0);
}

static void free_bag(bag *g) {
  soc_bundle_free(g->b);
  free(g->manifest);
}

static void expect_bad(const uint8_t *a, size_t len, const char *manifest, const char *needle) {
  soc_bundle_check c;
  assert_int_equal(soc_bundle_verify(a, len, manifest, &c), 0);
  if (c.ok || !strstr(c.what, needle))
    fail_msg("expected not ok with '%s', got ok=%d what='%s'", needle, c.ok, c.what);
  assert_int_equal(c.files, 0);
}

/* The manifest message with the archive's size and sha256 recomputed for a,
 * as an attacker who edits the archive would. Caller frees. */
static char *reseal(const char *manifest, const uint8_t *a, size_t len) {
  soc_bundle_msg m;
  char why[128], hex[65], old[160];
  uint8_t d[32];
  assert_int_equal(soc_bundle_msg_parse(manifest, strlen(manifest), &m, why, sizeof why), 0);
  assert_int_equal(soc_sha256(a, len, d), 0);
  soc_hex(d, 32, hex);
  snprintf(old, sizeof old, "\"size\":%zu,\"sha256\":\"%s\"", m.size, m.sha256);
  soc_bundle_msg_clear(&m);
  const char *at = strstr(manifest, old);
  assert_non_null(at);
  char *out = malloc(strlen(manifest) + 32);
  sprintf(out, "%.*s\"size\":%zu,\"sha256\":\"%s\"%s", (int)(at - manifest), manifest, len, hex,
          at + strlen(old));
  return out;
}

static void round_trip(const char *id, const char *long_path) {
  bag g;
  make_bag(&g, id, long_path);
  size_t n = soc_bundle_nchunks(g.b, 1000);
  assert_int_equal(n, (g.len + 999) / 1000);
  assert_true(n > 5);
  uint8_t *rebuilt = calloc(1, g.len);
  char why[256];
  soc_bundle_msg m;
  for (size_t i = 0; i < n; i++) {
    char *json = NULL;
    assert_int_equal(soc_bundle_chunk_json(g.b, REPORT, 1000, i, &json), 0);
    if (soc_bundle_msg_parse(json, strlen(json), &m, why, sizeof why)) fail_msg("%s", why);
    assert_false(m.is_manifest);
    assert_string_equal(m.bundle, id);
    assert_string_equal(m.report, REPORT);
    assert_int_equal(m.seq, i);
    assert_int_equal(m.offset, i * 1000);
    assert_true(m.offset + m.size <= g.len);
    memcpy(rebuilt + m.offset, m.data, m.size);
    soc_bundle_msg_clear(&m);
    free(json);
  }
  char *json = NULL;
  assert_int_equal(soc_bundle_chunk_json(g.b, REPORT, 1000, n, &json), -ERANGE);
  if (soc_bundle_msg_parse(g.manifest, strlen(g.manifest), &m, why, sizeof why))
    fail_msg("%s", why);
  assert_true(m.is_manifest);
  assert_int_equal(m.size, g.len);
  assert_int_equal(m.chunks, n);
  assert_string_equal(m.sha256, g.sha);
  assert_string_equal(m.manifest_json, g.manifest);
  soc_bundle_msg_clear(&m);

  soc_bundle_check c;
  assert_int_equal(soc_bundle_verify(rebuilt, g.len, g.manifest, &c), 0);
  if (!c.ok) fail_msg("%s", c.what);
  assert_int_equal(c.files, long_path ? 6 : 5);
  free(rebuilt);
  free_bag(&g);
}

static void test_round_trip(void **state) {
  (void)state;
  round_trip(ID, NULL);
}

/* Names past ustar's 255 bytes go through a pax header. */
static void test_long_names(void **state) {
  (void)state;
  char id[SOC_BUNDLE_ID_MAX], path[SOC_BUNDLE_PATH_MAX - 5];
  memset(id, 'i', sizeof id - 1);
  id[sizeof id - 1] = '\0';
  memset(path, 'p', sizeof path - 1);
  path[sizeof path - 1] = '\0';
  path[90] = '/';
  round_trip(id, path);
  /* one byte more is refused */
  soc_bundle *b = NULL;
  char longer[SOC_BUNDLE_PATH_MAX];
  memset(longer, 'p', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_int_equal(soc_bundle_new("x", 4096, &b), 0);
  assert_int_equal(soc_bundle_file_begin(b, longer), -EINVAL);
  soc_bundle_free(b);
}

static void expect_file(const char *path, const void *content, size_t len, int mode) {
  struct stat st;
  if (stat(path, &st)) fail_msg("%s: missing", path);
  assert_int_equal(st.st_size, len);
  if (mode) assert_int_equal(st.st_mode & 0777, mode);
  FILE *f = fopen(path, "rb");
  char *buf = malloc(len + 1);
  assert_int_equal(fread(buf, 1, len + 1, f), len);
  fclose(f);
  assert_memory_equal(buf, content, len);
  free(buf);
}

/* GNU tar reads the archive, short names and long (pax) ones alike. */
static void test_gnu_tar(void **state) {
  (void)state;
  char id[120], path[SOC_BUNDLE_PATH_MAX - 5], cmd[1024], file[1024];
  memset(id, 'k', sizeof id - 1);
  id[sizeof id - 1] = '\0';
  id[50] = '/';
  memset(path, 'q', sizeof path - 1);
  path[sizeof path - 1] = '\0';
  path[100] = '/';
  bag g;
  make_bag(&g, id, path);
  char top[SOC_BUNDLE_ID_MAX];
  snprintf(top, sizeof top, "%s", id);
  top[50] = '_';
  snprintf(file, sizeof file, "%s/b.tar", test_dir());
  FILE *f = fopen(file, "wb");
  assert_int_equal(fwrite(g.archive, 1, g.len, f), g.len);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd %s && mkdir gnu && tar -xf b.tar -C gnu", test_dir());
  assert_int_equal(system(cmd), 0);
  snprintf(file, sizeof file, "%s/gnu/%s/data/logs/LabSZ.log", test_dir(), top);
  expect_file(file, lab, sizeof lab, 0);
  snprintf(file, sizeof file, "%s/gnu/%s/data/%s", test_dir(), top, path);
  expect_file(file, "long\n", 5, 0);
  snprintf(file, sizeof file, "%s/gnu/%s/bagit.txt", test_dir(), top);
  static const char bagit[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
  expect_file(file, bagit, strlen(bagit), 0);
  /* sha256sum agrees with the bag's own manifest */
  snprintf(cmd, sizeof cmd, "cd %s/gnu/%s && sha256sum --quiet -c manifest-sha256.txt", test_dir(),
           top);
  assert_int_equal(system(cmd), 0);

  /* our extractor: the same files, 0600, and it will not overwrite */
  snprintf(file, sizeof file, "%s/ours", test_dir());
  assert_int_equal(soc_bundle_extract(g.archive, g.len, file), 0);
  snprintf(file, sizeof file, "%s/ours/%s/data/logs/LabSZ.log", test_dir(), top);
  expect_file(file, lab, sizeof lab, 0600);
  snprintf(file, sizeof file, "%s/ours/%s/data/%s", test_dir(), top, path);
  expect_file(file, "long\n", 5, 0600);
  snprintf(file, sizeof file, "%s/ours", test_dir());
  assert_int_equal(soc_bundle_extract(g.archive, g.len, file), -EEXIST);
  snprintf(cmd, sizeof cmd, "cd %s && diff -r gnu ours", test_dir());
  assert_int_equal(system(cmd), 0);
  free_bag(&g);
}

/* A link planted in the destination is not followed. */
static void test_extract_no_follow(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  char dir[512], link[600], target[512];
  snprintf(dir, sizeof dir, "%s/planted", test_dir());
  snprintf(target, sizeof target, "%s/elsewhere", test_dir());
  snprintf(link, sizeof link, "%s/" TOP, dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  assert_int_equal(mkdir(target, 0700), 0);
  assert_int_equal(symlink(target, link), 0);
  int r = soc_bundle_extract(g.archive, g.len, dir);
  assert_true(r == -ELOOP || r == -ENOTDIR);
  assert_int_equal(rmdir(target), 0); /* still empty */
  assert_int_equal(soc_bundle_extract(g.archive, g.len, NULL), -EINVAL);
  assert_int_equal(soc_bundle_extract(g.archive, g.len - 1, dir), -EBADMSG);
  free_bag(&g);
}

static void test_bag_info(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  char dir[512], file[600], cmd[2200];
  snprintf(dir, sizeof dir, "%s/info", test_dir());
  assert_int_equal(soc_bundle_extract(g.archive, g.len, dir), 0);
  snprintf(file, sizeof file, "%s/" TOP "/bag-info.txt", dir);
  snprintf(cmd, sizeof cmd,
           "grep -qx 'Payload-Oxum: 5022.5' %s && grep -qx 'External-Identifier: " REPORT
           "' %s && grep -q '^Bagging-Date: [0-9-]*$' %s",
           file, file, file);
  assert_int_equal(system(cmd), 0);
  snprintf(file, sizeof file, "%s/" TOP "/custody.json", dir);
  expect_file(file, CUSTODY, strlen(CUSTODY), 0600);
  free_bag(&g);
}

static void test_flipped_byte(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  uint8_t *a = malloc(g.len);
  for (size_t i = 0; i < g.len; i += 7) {
    memcpy(a, g.archive, g.len);
    a[i] ^= 0x20;
    expect_bad(a, g.len, g.manifest, "archive sha256");
  }
  free(a);
  free_bag(&g);
}

static void test_missing_chunk(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  /* chunk 2 never arrived: the rest closed up */
  uint8_t *a = malloc(g.len);
  memcpy(a, g.archive, 2000);
  memcpy(a + 2000, g.archive + 3000, g.len - 3000);
  expect_bad(a, g.len - 1000, g.manifest, "the manifest says");
  /* or left as zeros */
  memcpy(a, g.archive, g.len);
  memset(a + 2000, 0, 1000);
  expect_bad(a, g.len, g.manifest, "archive sha256");
  /* truncated, and also with the outer hash recomputed */
  expect_bad(g.archive, g.len - 1, g.manifest, "the manifest says");
  char *m = reseal(g.manifest, g.archive, g.len - 1);
  expect_bad(g.archive, g.len - 1, m, "cut short");
  free(m);
  m = reseal(g.manifest, g.archive, g.len - 512);
  expect_bad(g.archive, g.len - 512, m, "one end block of two");
  free(m);
  m = reseal(g.manifest, g.archive, 3000);
  expect_bad(g.archive, 3000, m, "");
  free(m);
  free(a);
  free_bag(&g);
}

/* The byte offset of the data of the entry whose name ends with suffix. */
static size_t entry_at(const uint8_t *a, size_t len, const char *suffix) {
  for (size_t at = 0; at + 512 <= len;) {
    char name[101] = {0};
    memcpy(name, a + at, 100);
    if (!name[0]) break;
    size_t size = strtoul((const char *)a + at + 124, NULL, 8);
    size_t nl = strlen(name), sl = strlen(suffix);
    if (nl >= sl && !strcmp(name + nl - sl, suffix)) return at;
    at += 512 + (size + 511) / 512 * 512;
  }
  fail_msg("no entry %s", suffix);
  return 0;
}

static void fix_checksum(uint8_t *h) {
  unsigned sum = 0;
  memset(h + 148, ' ', 8);
  for (size_t i = 0; i < 512; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
}

/* An attacker edits a log line and recomputes the archive's hash in the
 * manifest message: the bag's own manifest still catches it. */
static void test_outer_hash_recomputed(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  uint8_t *a = malloc(g.len);
  memcpy(a, g.archive, g.len);
  size_t at = entry_at(a, g.len, "data/logs/LabSZ.log");
  a[at + 512 + 100] ^= 1;
  char *m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "data/logs/LabSZ.log: sha256 mismatch (manifest-sha256.txt)");
  free(m);

  /* ...and its line in manifest-sha256.txt too: the tag manifest catches it */
  memcpy(a, g.archive, g.len);
  at = entry_at(a, g.len, "data/report.json");
  memcpy(a + at + 512, "[]", 2);
  uint8_t d[32];
  char hex[65];
  assert_int_equal(soc_sha256("[]", 2, d), 0);
  soc_hex(d, 32, hex);
  at = entry_at(a, g.len, "/manifest-sha256.txt");
  uint8_t *line = memmem(a + at + 512, 600, "  data/report.json", 18);
  assert_non_null(line);
  memcpy(line - 64, hex, 64);
  m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "manifest-sha256.txt: sha256 mismatch (tagmanifest-sha256.txt)");
  free(m);

  /* custody.json edited: the tag manifest */
  memcpy(a, g.archive, g.len);
  at = entry_at(a, g.len, "custody.json");
  a[at + 512 + 10] = 'X';
  m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "custody.json: sha256 mismatch (tagmanifest-sha256.txt)");
  free(m);

  /* the manifest message's files list edited */
  m = strdup(g.manifest);
  char *f = strstr(m, "\"size\":11,");
  assert_non_null(f);
  f[8] = '2';
  expect_bad(g.archive, g.len, m, "data/evidence.jsonl: 11 bytes, the manifest message says 12");
  free(m);
  free(a);
  free_bag(&g);
}

static void test_cap(void **state) {
  (void)state;
  soc_bundle *b = NULL;
  char big[6000] = {0};
  const uint8_t *a;
  size_t len;
  char sha[65];
  assert_int_equal(soc_bundle_new(ID, 4096, &b), 0);
  assert_int_equal(soc_bundle_add(b, "small.log", big, 100), 0);
  assert_int_equal(soc_bundle_file_begin(b, "big.log"), 0);
  assert_int_equal(soc_bundle_file_write(b, big, 1000), 0);
  assert_int_equal(soc_bundle_file_write(b, big, 2000), -EFBIG);
  assert_int_equal(soc_bundle_file_write(b, big, 1), -EFBIG);
  assert_int_equal(soc_bundle_file_end(b), -EFBIG);
  assert_int_equal(soc_bundle_add(b, "other.log", big, 1), -EFBIG);
  assert_int_equal(soc_bundle_finish(b, info, CUSTODY, &a, &len, sha), -EFBIG);
  soc_bundle_free(b);

  /* payload fits, the tag files do not */
  assert_int_equal(soc_bundle_new(ID, 4096, &b), 0);
  assert_int_equal(soc_bundle_add(b, "a.log", big, 2000), 0);
  assert_int_equal(soc_bundle_finish(b, info, CUSTODY, &a, &len, sha), -EFBIG);
  soc_bundle_free(b);

  /* an exact fit: the cap counts the end marker too */
  size_t need = 0;
  assert_int_equal(soc_bundle_new(ID, 1 << 20, &b), 0);
  assert_int_equal(soc_bundle_add(b, "a.log", big, 2000), 0);
  assert_int_equal(soc_bundle_finish(b, NULL, "{}", &a, &need, sha), 0);
  soc_bundle_free(b);
  assert_int_equal(soc_bundle_new(ID, need, &b), 0);
  assert_int_equal(soc_bundle_add(b, "a.log", big, 2000), 0);
  assert_int_equal(soc_bundle_finish(b, NULL, "{}", &a, &len, sha), 0);
  assert_int_equal(len, need);
  soc_bundle_free(b);
  assert_int_equal(soc_bundle_new(ID, need - 1, &b), 0);
  assert_int_equal(soc_bundle_add(b, "a.log", big, 2000), 0);
  assert_int_equal(soc_bundle_finish(b, NULL, "{}", &a, &len, sha), -EFBIG);
  soc_bundle_free(b);

  assert_int_equal(soc_bundle_new(ID, SOC_BUNDLE_ARCHIVE_MAX + 1u, &b), -EINVAL);
  assert_int_equal(soc_bundle_new(ID, 0, &b), -EINVAL);
}

static void test_bad_args(void **state) {
  (void)state;
  soc_bundle *b = NULL;
  const uint8_t *a;
  size_t len;
  char sha[65], *json = NULL;
  static const char *const bad_ids[] = {"", ".", "..", "a/../b", "a b", "a..b", "é", NULL};
  for (size_t i = 0; bad_ids[i]; i++)
    assert_int_equal(soc_bundle_new(bad_ids[i], 4096, &b), -EINVAL);
  char long_id[SOC_BUNDLE_ID_MAX + 1];
  memset(long_id, 'x', SOC_BUNDLE_ID_MAX);
  long_id[SOC_BUNDLE_ID_MAX] = '\0';
  assert_int_equal(soc_bundle_new(long_id, 4096, &b), -EINVAL);
  long_id[SOC_BUNDLE_ID_MAX - 1] = '\0';
  assert_int_equal(soc_bundle_new(long_id, 4096, &b), 0);
  soc_bundle_free(b);

  assert_int_equal(soc_bundle_new(ID, 1 << 20, &b), 0);
  static const char *const bad_paths[] = {"../x", "/abs", "a/../b", "a//b", "a/", "",  ".",
                                          "./a",  "a\\b", "x%y",    "a\nb", "..", NULL};
  for (size_t i = 0; bad_paths[i]; i++)
    if (soc_bundle_file_begin(b, bad_paths[i]) != -EINVAL) fail_msg("accepted '%s'", bad_paths[i]);
  assert_int_equal(soc_bundle_file_begin(b, NULL), -EINVAL);
  assert_int_equal(soc_bundle_add(b, "logs/a.log", "x", 1), 0);
  assert_int_equal(soc_bundle_add(b, "logs/a.log", "y", 1), -EEXIST);
  assert_int_equal(soc_bundle_add(b, "日誌/a..b.log", "y", 1), 0); /* UTF-8, ".." inside a name */
  /* out of order */
  assert_int_equal(soc_bundle_file_write(b, "x", 1), -EINVAL);
  assert_int_equal(soc_bundle_file_end(b), -EINVAL);
  assert_int_equal(soc_bundle_manifest_json(b, REPORT, 1000, &json), -EINVAL);
  assert_int_equal(soc_bundle_nchunks(b, 1000), 0);
  assert_int_equal(soc_bundle_file_begin(b, "c.log"), 0);
  assert_int_equal(soc_bundle_file_begin(b, "d.log"), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, NULL, "{}", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_file_end(b), 0);
  /* bad tag data leaves the bundle as it was */
  static const char *const bad_info[] = {"Payload-Oxum: 1.1", NULL};
  static const char *const bad_info2[] = {"no colon", NULL};
  static const char *const bad_info3[] = {"Key: two\nlines", NULL};
  assert_int_equal(soc_bundle_finish(b, bad_info, "{}", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, bad_info2, "{}", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, bad_info3, "{}", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, info, "[1]", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, info, "{} x", &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, info, NULL, &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, info, CUSTODY, &a, &len, sha), 0);
  /* finished: nothing more goes in */
  assert_int_equal(soc_bundle_add(b, "late.log", "x", 1), -EINVAL);
  assert_int_equal(soc_bundle_finish(b, info, CUSTODY, &a, &len, sha), -EINVAL);
  assert_int_equal(soc_bundle_manifest_json(b, "bad report", 1000, &json), -EINVAL);
  assert_int_equal(soc_bundle_manifest_json(b, REPORT, 0, &json), -EINVAL);
  assert_int_equal(soc_bundle_manifest_json(b, REPORT, SOC_BUNDLE_CHUNK_MAX + 1, &json), -EINVAL);
  assert_int_equal(soc_bundle_manifest_json(b, REPORT, SOC_BUNDLE_DEFAULT_CHUNK, &json), 0);
  soc_bundle_msg m;
  char why[256];
  if (soc_bundle_msg_parse(json, strlen(json), &m, why, sizeof why)) fail_msg("%s", why);
  assert_int_equal(m.chunks, 1);
  soc_bundle_msg_clear(&m);
  free(json);
  soc_bundle_free(b);
  soc_bundle_free(NULL);
  soc_bundle_msg_clear(NULL);
}

/* Edits the header of entry suffix with f, fixes its checksum and the
 * outer hash, and expects needle from both verify and extract. */
static void hostile(const bag *g, const char *suffix, void (*f)(uint8_t *h), const char *needle) {
  uint8_t *a = malloc(g->len);
  memcpy(a, g->archive, g->len);
  uint8_t *h = a + entry_at(a, g->len, suffix);
  f(h);
  if (strcmp(needle, "bad checksum")) fix_checksum(h);
  char *m = reseal(g->manifest, a, g->len);
  expect_bad(a, g->len, m, needle);
  char dir[256];
  snprintf(dir, sizeof dir, "%s/hostile", test_dir());
  assert_int_equal(soc_bundle_extract(a, g->len, dir), -EBADMSG);
  free(m);
  free(a);
}

static void h_flip(uint8_t *h) { h[0] ^= 1; }
static void h_huge(uint8_t *h) { memcpy(h + 124, "77777777777", 11); }
static void h_past(uint8_t *h) { memcpy(h + 124, "00000100000", 11); }
static void h_dotdot(uint8_t *h) {
  static const char name[] = TOP "/../etc/x.txt";
  memcpy(h, name, sizeof name);
}
static void h_abs(uint8_t *h) { memcpy(h, "/etc/passwd\0", 12); }
static void h_symlink(uint8_t *h) {
  h[156] = '2';
  memcpy(h + 157, "/etc/passwd", 11);
}
static void h_hardlink(uint8_t *h) { h[156] = '1'; }
static void h_device(uint8_t *h) { h[156] = '3'; }
static void h_gnu_long(uint8_t *h) { h[156] = 'L'; }
static void h_base256(uint8_t *h) {
  memset(h + 124, 0, 12);
  h[124] = 0x80;
  h[135] = 5;
}
static void h_magic(uint8_t *h) { memcpy(h + 257, "ustar  \0", 8); }
static void h_outside(uint8_t *h) { memcpy(h, "other/data/a.txt\0", 17); }
static void h_dup(uint8_t *h) { memcpy(h + strlen(TOP) + 6, "yara/hits.txt\0", 14); }
static void h_pax_bad(uint8_t *h) { h[156] = 'x'; }

static void test_hostile_headers(void **state) {
  (void)state;
  bag g;
  make_bag(&g, ID, NULL);
  hostile(&g, "data/report.json", h_flip, "bad checksum");
  hostile(&g, "data/report.json", h_huge, "size past the end");
  hostile(&g, "data/report.json", h_past, "size past the end");
  hostile(&g, "data/report.json", h_dotdot, "absolute, has \"..\"");
  hostile(&g, "data/report.json", h_abs, "absolute, has \"..\"");
  hostile(&g, "data/report.json", h_symlink, "entry type '2'");
  hostile(&g, "data/report.json", h_hardlink, "entry type '1'");
  hostile(&g, "data/report.json", h_device, "entry type '3'");
  hostile(&g, "data/report.json", h_gnu_long, "entry type 'L'");
  hostile(&g, "data/report.json", h_base256, "bad size field");
  hostile(&g, "data/report.json", h_magic, "not a POSIX ustar header");
  hostile(&g, "data/report.json", h_pax_bad, "extended header");
  /* these pass the stream checks: only verify can object */
  uint8_t *a = malloc(g.len);
  memcpy(a, g.archive, g.len);
  uint8_t *h = a + entry_at(a, g.len, "data/report.json");
  h_outside(h);
  fix_checksum(h);
  char *m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "other/data/a.txt: outside the bundle folder");
  free(m);
  memcpy(a, g.archive, g.len);
  h = a + entry_at(a, g.len, "data/evidence.jsonl");
  h_dup(h);
  fix_checksum(h);
  m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "data/yara/hits.txt: in the archive twice");
  free(m);
  /* junk after the end marker */
  memcpy(a, g.archive, g.len);
  a[g.len - 3] = 'x';
  m = reseal(g.manifest, a, g.len);
  expect_bad(a, g.len, m, "after the end-of-archive marker");
  free(m);
  /* no end marker at all */
  m = reseal(g.manifest, g.archive, g.len - 1024);
  expect_bad(g.archive, g.len - 1024, m, "no end-of-archive marker");
  free(m);
  free(a);
  free_bag(&g);
}

static void expect_parse_bad(const char *json, const char *needle) {
  soc_bundle_msg m;
  char why[256];
  assert_int_equal(soc_bundle_msg_parse(json, strlen(json), &m, why, sizeof why), -EBADMSG);
  if (!strstr(why, needle)) fail_msg("expected '%s', got '%s'", needle, why);
  assert_null(m.data);
  assert_null(m.manifest_json);
}

#define HEAD "{\"schema\":\"socagent.evidence/1\",\"bundle\":\"b\",\"report\":\"r\","
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_parse_bad(void **state) {
  (void)state;
  soc_bundle_msg m;
  char why[256];
  /* a good chunk first: "abc" */
  const char *good = HEAD
      "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":3,"
      "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJj\"}";
  assert_int_equal(soc_bundle_msg_parse(good, strlen(good), &m, why, sizeof why), 0);
  assert_memory_equal(m.data, "abc", 3);
  soc_bundle_msg_clear(&m);

  expect_parse_bad("", "1..");
  expect_parse_bad("not json", "not JSON");
  expect_parse_bad("{\"schema\":", "cut short");
  expect_parse_bad("{} {}", "at byte 3");
  expect_parse_bad("{}\n\t", "schema"); /* white space after the value is fine */
  expect_parse_bad("[1]", "schema");
  expect_parse_bad("{\"schema\":\"socagent.evidence/2\"}", "schema");
  expect_parse_bad(HEAD "\"type\":\"other\"}", "\"type\"");
  expect_parse_bad(
      "{\"schema\":\"socagent.evidence/1\",\"type\":\"chunk\",\"bundle\":\"../x\","
      "\"report\":\"r\"}",
      "must be ids");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":3,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YW=j\"}",
                   "not base64");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":3,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJ\"}",
                   "not base64");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":4,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJj\"}",
                   "3 bytes of data, size says 4");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":3,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJk\"}",
                   "sha256 mismatch");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":4194305,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJj\"}",
                   "a chunk needs");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":-1,\"offset\":0,\"size\":3,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":\"YWJj\"}",
                   "a chunk needs");
  expect_parse_bad(HEAD
                   "\"type\":\"chunk\",\"seq\":0,\"offset\":0,\"size\":3,"
                   "\"sha256\":\"" SHA_ABC "\",\"data\":3}",
                   "no data string");
  expect_parse_bad(HEAD
                   "\"type\":\"manifest\",\"chunks\":1,\"size\":1073741825,"
                   "\"sha256\":\"" SHA_ABC "\",\"files\":[],\"custody\":{}}",
                   "a manifest needs size");
  expect_parse_bad(HEAD
                   "\"type\":\"manifest\",\"chunks\":65537,\"size\":1000000,"
                   "\"sha256\":\"" SHA_ABC "\",\"files\":[],\"custody\":{}}",
                   "a manifest needs size");
  expect_parse_bad(HEAD
                   "\"type\":\"manifest\",\"chunks\":1,\"size\":10,"
                   "\"sha256\":\"" SHA_ABC "\",\"files\":[{\"path\":\"x\"}],\"custody\":{}}",
                   "files[0]");
  expect_parse_bad(HEAD
                   "\"type\":\"manifest\",\"chunks\":1,\"size\":10,"
                   "\"sha256\":\"" SHA_ABC "\",\"files\":[]}",
                   "custody");
  const char nul[] = HEAD "\"type\":\"chunk\"\0}";
  assert_int_equal(soc_bundle_msg_parse(nul, sizeof nul - 1, &m, why, sizeof why), -EBADMSG);
  assert_int_equal(soc_bundle_msg_parse(NULL, 1, &m, why, sizeof why), -EINVAL);
  assert_int_equal(soc_bundle_msg_parse(good, strlen(good), NULL, why, sizeof why), -EINVAL);
  assert_int_equal(soc_bundle_msg_parse("x", 1, &m, NULL, 0), -EBADMSG);

  /* verify refuses a chunk as manifest, and bad manifests, in words */
  soc_bundle_check c;
  expect_bad((const uint8_t *)"abc", 3, good, "a chunk, not a manifest");
  expect_bad((const uint8_t *)"abc", 3, "nope", "manifest message: not JSON");
  assert_int_equal(soc_bundle_verify(NULL, 0, NULL, &c), -EINVAL);
  assert_int_equal(soc_bundle_verify(NULL, 0, good, NULL), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_long_names),
      cmocka_unit_test(test_gnu_tar),
      cmocka_unit_test(test_extract_no_follow),
      cmocka_unit_test(test_bag_info),
      cmocka_unit_test(test_flipped_byte),
      cmocka_unit_test(test_missing_chunk),
      cmocka_unit_test(test_outer_hash_recomputed),
      cmocka_unit_test(test_cap),
      cmocka_unit_test(test_bad_args),
      cmocka_unit_test(test_hostile_headers),
      cmocka_unit_test(test_parse_bad),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  return failed;
}
