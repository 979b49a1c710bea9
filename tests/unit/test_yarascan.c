/*
 * yarascan: the compiled-rules cache (miss, hit, recompile on a changed
 * source), the external variables, matches with their strings and offsets
 * (bounded), the timeout path, the bounded file reader, and the shipped
 * rule pack: every rule in rules/yara fires on its file in
 * tests/data/yara/fire and no rule fires on tests/data/yara/quiet; the
 * signature-base webshell set loads and runs.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
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

#include "soc/config.h"
#include "soc/hash.h"
#include "soc/yarascan.h"

typedef struct fx {
  char dir[64];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/test_yarascan.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(data, 1, len, fp), len);
  fclose(fp);
}

static void write_text(const char *path, const char *s) { write_file(path, s, strlen(s)); }

static size_t count_caches(const char *dir) {
  size_t n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *de; d && (de = readdir(d));) n += fnmatch("yara-*.yarc", de->d_name, 0) == 0;
  if (d) closedir(d);
  return n;
}

static soc_yara_engine *engine_of(const char *const *files, size_t n, const char *cache,
                                  int timeout) {
  soc_yara_engine *e = NULL;
  soc_diag *diag = soc_diag_new();
  soc_yara_engine_opts o = {.files = files, .nfiles = n, .cache_dir = cache, .timeout_s = timeout};
  int rc = soc_yarascan_engine_new(&o, &e, diag);
  if (rc != 0) soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  assert_int_equal(rc, 0);
  return e;
}

/* ---- the cache ------------------------------------------------------------------ */

static void cache_miss_hit_recompile(void **state) {
  fx *f = *state;
  char rule[128], cache[128];
  soc_yara_counters c;
  snprintf(rule, sizeof rule, "%s/a.yar", f->dir);
  snprintf(cache, sizeof cache, "%s/state", f->dir);
  assert_int_equal(mkdir(cache, 0700), 0);
  write_text(rule, "rule one { strings: $a = \"alpha\" condition: $a }\n");
  const char *files[] = {rule};

  soc_yara_engine *e = engine_of(files, 1, cache, 0);
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.cache_hits, 0); /* first start: compiled */
  assert_int_equal(c.rules, 1);
  char digest1[SOC_SHA256_HEX_LEN + 1];
  snprintf(digest1, sizeof digest1, "%s", soc_yarascan_digest(e));
  soc_yarascan_engine_free(e);
  assert_int_equal(count_caches(cache), 1);

  e = engine_of(files, 1, cache, 0);
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.cache_hits, 1); /* unchanged sources: loaded */
  assert_string_equal(soc_yarascan_digest(e), digest1);
  soc_yara_scanner *s = NULL;
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
  assert_int_equal(soc_yarascan_buffer(s, "xx alpha", 8, NULL, NULL, NULL), 1);
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);

  /* a changed source: compiled again, the old cache replaced */
  write_text(rule,
             "rule one { strings: $a = \"beta\" condition: $a }\n"
             "rule two { condition: filesize > 1000 }\n");
  e = engine_of(files, 1, cache, 0);
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.cache_hits, 0);
  assert_int_equal(c.rules, 2);
  assert_string_not_equal(soc_yarascan_digest(e), digest1);
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
  assert_int_equal(soc_yarascan_buffer(s, "xx alpha", 8, NULL, NULL, NULL), 0);
  assert_int_equal(soc_yarascan_buffer(s, "xx beta", 7, NULL, NULL, NULL), 1);
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);
  assert_int_equal(count_caches(cache), 1);

  /* a damaged cache is compiled over, not trusted */
  DIR *d = opendir(cache);
  for (struct dirent *de; (de = readdir(d));)
    if (fnmatch("yara-*.yarc", de->d_name, 0) == 0) {
      char p[512];
      snprintf(p, sizeof p, "%s/%s", cache, de->d_name);
      write_text(p, "not compiled rules");
    }
  closedir(d);
  e = engine_of(files, 1, cache, 0);
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.cache_hits, 0);
  assert_int_equal(c.rules, 2);
  soc_yarascan_engine_free(e);
}

/* libyara's fault handler stays on only when a source may use a module
 * (yarascan.c): the word "import" or "include" anywhere, also across the
 * reader's 64 KiB chunks; scanning works either way. */
static void fault_handler_only_with_modules(void **state) {
  fx *f = *state;
  static const struct {
    size_t at; /* where the word starts; 0: no word */
    const char *word;
    int guarded;
  } cases[] = {{0, "", 0},           {10, "import", 1},
               {65533, "import", 1}, {65530, "include", 1},
               {65536, "import", 1}, {65535, "include", 1}};
  char path[128];
  size_t len = 70000;
  char *text = malloc(len + 100);
  assert_non_null(text);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    /* a comment of len bytes with the word in it, then a rule */
    memset(text, 'x', len);
    memcpy(text, "//", 2);
    if (cases[i].at) memcpy(text + cases[i].at, cases[i].word, strlen(cases[i].word));
    snprintf(text + len, 100, "\nrule r { strings: $a = \"needle\" condition: $a }\n");
    snprintf(path, sizeof path, "%s/m%zu.yar", f->dir, i);
    write_text(path, text);
    const char *files[] = {path};
    soc_yara_engine *e = engine_of(files, 1, NULL, 0);
    soc_yara_counters c;
    soc_yarascan_counters(e, &c);
    assert_int_equal(c.guarded, cases[i].guarded);
    soc_yara_scanner *s = NULL;
    assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
    assert_int_equal(soc_yarascan_buffer(s, "a needle", 8, NULL, NULL, NULL), 1);
    assert_int_equal(soc_yarascan_buffer(s, "a noodle", 8, NULL, NULL, NULL), 0);
    soc_yarascan_scanner_free(s);
    soc_yarascan_engine_free(e);
  }
  /* a real import */
  snprintf(path, sizeof path, "%s/math.yar", f->dir);
  write_text(path, "import \"math\"\nrule m { condition: math.entropy(0, filesize) >= 0 }\n");
  const char *files[] = {path};
  soc_yara_engine *e = engine_of(files, 1, NULL, 0);
  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.guarded, 1);
  soc_yarascan_engine_free(e);
  free(text);
}

static void broken_rules_refused(void **state) {
  fx *f = *state;
  char bad[128], good[128];
  snprintf(bad, sizeof bad, "%s/bad.yar", f->dir);
  snprintf(good, sizeof good, "%s/good.yar", f->dir);
  write_text(bad, "rule broken { condition: $nope }\n");
  write_text(good, "rule fine { condition: true }\n");
  soc_yara_engine *e = NULL;
  soc_diag *diag = soc_diag_new();
  const char *only_bad[] = {bad};
  soc_yara_engine_opts o = {.files = only_bad, .nfiles = 1};
  assert_int_equal(soc_yarascan_engine_new(&o, &e, diag), -EINVAL);
  assert_null(e);
  assert_true(soc_diag_errors(diag) >= 1);
  soc_diag_free(diag);
  /* one broken file does not take the others down */
  const char *both[] = {bad, good};
  diag = soc_diag_new();
  o = (soc_yara_engine_opts){.files = both, .nfiles = 2};
  assert_int_equal(soc_yarascan_engine_new(&o, &e, diag), 0);
  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.rules, 1);
  soc_yarascan_engine_free(e);
  soc_diag_free(diag);
}

/* ---- matches and externals ------------------------------------------------------- */

typedef struct seen {
  char rules[8][64];
  size_t n;
  size_t nstrings, strings_total;
  uint64_t first_offset;
  char first_id[16], meta_id[32], tag[16];
} seen;

static int collect(void *arg, const soc_yara_match *m) {
  seen *s = arg;
  if (s->n < 8) snprintf(s->rules[s->n++], 64, "%s", m->rule);
  s->nstrings = m->nstrings;
  s->strings_total = m->strings_total;
  if (m->nstrings) {
    s->first_offset = m->strings[0].offset;
    snprintf(s->first_id, sizeof s->first_id, "%s", m->strings[0].id);
  }
  const char *id = soc_yara_match_meta(m, "id");
  snprintf(s->meta_id, sizeof s->meta_id, "%s", id ? id : "");
  snprintf(s->tag, sizeof s->tag, "%s", m->ntags ? m->tags[0] : "");
  return 0;
}

static int fired(const seen *s, const char *rule) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->rules[i], rule)) return 1;
  return 0;
}

static void externals_and_strings(void **state) {
  fx *f = *state;
  char rule[128], file[128];
  snprintf(rule, sizeof rule, "%s/ext.yar", f->dir);
  write_text(rule,
             "rule by_name : web { meta: id = \"T-1\" n = 7 b = true\n"
             "  condition: filename == \"shell.php\" and extension == \".php\" and\n"
             "  filetype == \"GIF\" and owner != \"\" and filepath matches /\\/shell\\.php$/ }\n"
             "rule many { strings: $x = \"zz\" condition: #x > 20 }\n"
             "rule typed { condition: filetype == \"http-body\" }\n");
  const char *files[] = {rule};
  soc_yara_engine *e = engine_of(files, 1, NULL, 0);
  soc_yara_scanner *s = NULL;
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);

  /* a GIF-headed PHP file, as webshells hide */
  snprintf(file, sizeof file, "%s/shell.PHP", f->dir);
  write_text(file, "GIF89a<?php echo 1; ?>");
  seen sn = {0};
  soc_yara_file info;
  assert_int_equal(soc_yarascan_file(s, file, 1 << 20, &(soc_yara_meta){.filename = "shell.php"},
                                     collect, &sn, &info),
                   0); /* filepath ends in .PHP: the regex wants lower case */
  snprintf(file, sizeof file, "%s/shell.php", f->dir);
  write_text(file, "GIF89a<?php echo 1; ?>");
  memset(&sn, 0, sizeof sn);
  assert_int_equal(soc_yarascan_file(s, file, 1 << 20, NULL, collect, &sn, &info), 1);
  assert_true(fired(&sn, "by_name"));
  assert_string_equal(sn.meta_id, "T-1");
  assert_string_equal(sn.tag, "web");
  assert_int_equal(info.size, 22);
  uint8_t md[SOC_SHA256_LEN];
  soc_sha256("GIF89a<?php echo 1; ?>", 22, md);
  assert_memory_equal(info.sha256, md, SOC_SHA256_LEN);

  /* a buffer with the caller's externals; matched strings bounded */
  char buf[200];
  memset(buf, '.', sizeof buf);
  for (int i = 0; i < 40; i++) memcpy(buf + 10 + i * 4, "zz", 2);
  memset(&sn, 0, sizeof sn);
  soc_yara_meta meta = {.filetype = "http-body", .filepath = "10.0.0.1:80-10.0.0.2:5555"};
  assert_int_equal(soc_yarascan_buffer(s, buf, sizeof buf, &meta, collect, &sn), 2);
  assert_true(fired(&sn, "many") && fired(&sn, "typed"));
  /* "many" alone, for its strings */
  memset(&sn, 0, sizeof sn);
  assert_int_equal(soc_yarascan_buffer(s, buf, sizeof buf, NULL, collect, &sn), 1);
  assert_int_equal(sn.nstrings, SOC_YARA_STRINGS_MAX);
  assert_int_equal(sn.strings_total, 40);
  assert_int_equal(sn.first_offset, 10);
  assert_string_equal(sn.first_id, "$x");
  /* a variable defined only when it changes: back to http-body, twice,
   * then in a buffer of its own with the same text */
  for (int i = 0; i < 2; i++) {
    memset(&sn, 0, sizeof sn);
    assert_int_equal(soc_yarascan_buffer(s, buf, sizeof buf, &meta, collect, &sn), 2);
    assert_true(fired(&sn, "typed"));
  }
  char kind[16] = "http-body";
  meta.filetype = kind;
  memset(&sn, 0, sizeof sn);
  assert_int_equal(soc_yarascan_buffer(s, buf, sizeof buf, &meta, collect, &sn), 2);
  memcpy(kind, "stream", 7);
  memset(&sn, 0, sizeof sn);
  assert_int_equal(soc_yarascan_buffer(s, buf, sizeof buf, &meta, collect, &sn), 1);
  assert_false(fired(&sn, "typed"));

  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.scans, 8);
  assert_int_equal(c.matches, 11);
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);
}

static void timeout_counted(void **state) {
  fx *f = *state;
  char rule[128];
  snprintf(rule, sizeof rule, "%s/slow.yar", f->dir);
  /* ~10^10 steps on 100 KB: far beyond a one-second budget on any machine */
  write_text(rule,
             "rule slow { condition: for all i in (0..filesize - 1) : "
             "(for all j in (0..filesize - 1) : (uint8(i) != 0xff or uint8(j) != 0xfe)) }\n");
  const char *files[] = {rule};
  soc_yara_engine *e = engine_of(files, 1, NULL, 1);
  soc_yara_scanner *s = NULL;
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
  size_t n = 100000;
  char *buf = calloc(1, n);
  assert_int_equal(soc_yarascan_buffer(s, buf, n, NULL, NULL, NULL), -ETIMEDOUT);
  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_int_equal(c.timeouts, 1);
  assert_int_equal(c.matches, 0);
  free(buf);
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);
}

static void file_reader_bounds(void **state) {
  fx *f = *state;
  char file[128], link[128], fifo[128];
  soc_yara_file yf;
  snprintf(file, sizeof file, "%s/big.bin", f->dir);
  size_t n = 300000;
  uint8_t *data = malloc(n);
  for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 7);
  write_file(file, data, n);
  uint8_t md[SOC_SHA256_LEN];
  soc_sha256(data, n, md);
  /* bigger than the bound: not kept, still hashed whole */
  assert_int_equal(soc_yarascan_read_file(file, 65536, &yf), 0);
  assert_true(yf.too_large);
  assert_int_equal(yf.len, 0);
  assert_int_equal(yf.size, n);
  assert_memory_equal(yf.sha256, md, sizeof md);
  soc_yarascan_file_clear(&yf);
  assert_int_equal(soc_yarascan_read_file(file, n, &yf), 0);
  assert_false(yf.too_large);
  assert_int_equal(yf.len, n);
  assert_memory_equal(yf.data, data, n);
  soc_yarascan_file_clear(&yf);
  free(data);
  /* never through a symlink, never a FIFO */
  snprintf(link, sizeof link, "%s/link.php", f->dir);
  assert_int_equal(symlink(file, link), 0);
  assert_int_equal(soc_yarascan_read_file(link, n, &yf), -ELOOP);
  snprintf(fifo, sizeof fifo, "%s/fifo", f->dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(soc_yarascan_read_file(fifo, n, &yf), -EINVAL);
  assert_int_equal(soc_yarascan_read_file(f->dir, n, &yf), -EINVAL);
  char missing[160];
  snprintf(missing, sizeof missing, "%s/none", f->dir);
  assert_int_equal(soc_yarascan_read_file(missing, n, &yf), -ENOENT);
}

/* ---- the shipped rule pack ------------------------------------------------------------ */

static soc_yara_engine *pack_engine(void) {
  char pattern[512];
  char *pats[1] = {pattern};
  char **files = NULL;
  size_t n = 0;
  snprintf(pattern, sizeof pattern, "%s/rules/yara/*.yar", SOC_SOURCE_DIR);
  assert_int_equal(soc_config_glob(pats, 1, &files, &n), 0);
  assert_true(n >= 5);
  soc_yara_engine *e = engine_of((const char *const *)files, n, NULL, 0);
  soc_config_glob_free(files, n);
  return e;
}

static void rule_pack_fire_and_quiet(void **state) {
  fx *f = *state;
  soc_yara_engine *e = pack_engine();
  soc_yara_scanner *s = NULL;
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
  char dir[512], path[1024];
  size_t nfire = 0;
  /* fire/<RULE>.<ext>: RULE must be among the rules that match */
  snprintf(dir, sizeof dir, "%s/yara/fire", SOC_TEST_DATA);
  DIR *d = opendir(dir);
  assert_non_null(d);
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.') continue;
    char rule[300];
    snprintf(rule, sizeof rule, "%s", de->d_name);
    *strchr(rule, '.') = '\0';
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    seen sn = {0};
    int n = soc_yarascan_file(s, path, 1 << 20, NULL, collect, &sn, NULL);
    if (n < 1 || !fired(&sn, rule))
      fail_msg("%s: rule %s did not fire (%d matches)", path, rule, n);
    nfire++;
  }
  closedir(d);
  /* the EICAR file is made here rather than kept in the tree */
  snprintf(path, sizeof path, "%s/eicar.com", f->dir);
  char eicar[80];
  snprintf(eicar, sizeof eicar, "%s%s", "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
           "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
  write_text(path, eicar);
  seen sn = {0};
  assert_int_equal(soc_yarascan_file(s, path, 1 << 20, NULL, collect, &sn, NULL), 1);
  assert_true(fired(&sn, "SOC_EICAR_Test_File"));
  nfire++;
  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_int_equal(nfire, (size_t)c.rules); /* every rule has its fire file */
  /* quiet/: nothing at all */
  snprintf(dir, sizeof dir, "%s/yara/quiet", SOC_TEST_DATA);
  d = opendir(dir);
  assert_non_null(d);
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    memset(&sn, 0, sizeof sn);
    int n = soc_yarascan_file(s, path, 1 << 20, NULL, collect, &sn, NULL);
    if (n != 0) fail_msg("%s: %d rule(s) fired, first %s", path, n, sn.rules[0]);
  }
  closedir(d);
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);
}

static void signature_base_loads_and_runs(void **state) {
  (void)state;
  char pattern[512];
  char *pats[1] = {pattern};
  char **files = NULL;
  size_t n = 0;
  snprintf(pattern, sizeof pattern, "%s/yara/*.yar", SOC_TEST_DATA);
  assert_int_equal(soc_config_glob(pats, 1, &files, &n), 0);
  assert_int_equal(n, 3);
  soc_diag *diag = soc_diag_new();
  soc_yara_engine *e = NULL;
  soc_yara_engine_opts o = {.files = (const char *const *)files, .nfiles = n};
  assert_int_equal(soc_yarascan_engine_new(&o, &e, diag), 0);
  assert_int_equal(soc_diag_errors(diag), 0);
  soc_diag_free(diag);
  soc_config_glob_free(files, n);
  soc_yara_counters c;
  soc_yarascan_counters(e, &c);
  assert_true(c.rules > 600);
  soc_yara_scanner *s = NULL;
  assert_int_equal(soc_yarascan_scanner_new(e, &s), 0);
  char path[1024];
  snprintf(path, sizeof path, "%s/yara/fire/SOC_Tool_Webshell_Manager_Client.php", SOC_TEST_DATA);
  seen sn = {0};
  assert_true(soc_yarascan_file(s, path, 1 << 20, NULL, collect, &sn, NULL) >= 1);
  assert_true(fired(&sn, "ChinaChopper_Generic"));
  soc_yarascan_scanner_free(s);
  soc_yarascan_engine_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(cache_miss_hit_recompile, setup, teardown),
      cmocka_unit_test_setup_teardown(broken_rules_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(fault_handler_only_with_modules, setup, teardown),
      cmocka_unit_test_setup_teardown(externals_and_strings, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(file_reader_bounds, setup, teardown),
      cmocka_unit_test_setup_teardown(rule_pack_fire_and_quiet, setup, teardown),
      cmocka_unit_test(signature_base_loads_and_runs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
