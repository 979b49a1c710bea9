/*
 * yararules — see the header.
 *
 * libyara's compiler can not take a file back once yr_compiler_add_file has
 * failed on it (the compiler is then unusable), so each file is first
 * compiled alone in a scratch compiler; only files that pass are added to
 * the real one. That doubles the compile time of a rule set, which is paid
 * once at start-up or reload, never per scan.
 */
#include "soc/yararules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yara.h>

typedef struct compile_ctx {
  soc_diag *diag;
  const char *file;
  size_t warnings;
  int report;
} compile_ctx;

static void on_message(int level, const char *file_name, int line, const YR_RULE *rule,
                       const char *message, void *user) {
  compile_ctx *c = user;
  (void)rule;
  if (!c->report) return;
  if (level == YARA_ERROR_LEVEL_WARNING) c->warnings++;
  soc_diag_add(c->diag, level == YARA_ERROR_LEVEL_ERROR ? SOC_DIAG_ERROR : SOC_DIAG_WARNING,
               file_name ? file_name : c->file, line > 0 ? (unsigned)line : 0, 0, "YARA: %s",
               message);
}

/* Also turns `include` off: a rule file must not pull in other files (an
 * untrusted set could name any file the agent can read, and libyara leaks
 * its lexer buffer when an included file fails to parse). Sets are given as
 * globs in rules.yara instead. */
static int define_externals(YR_COMPILER *comp) {
  yr_compiler_set_include_callback(comp, NULL, NULL, NULL);
  static const char *const names[] = {"filename", "filepath", "extension", "filetype", "owner"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (yr_compiler_define_string_variable(comp, names[i], "") != ERROR_SUCCESS) return -ENOMEM;
  return 0;
}

/* Adds one file to comp; returns the number of errors libyara reported, or
 * -errno when the file can not be opened. */
static int add_file(YR_COMPILER *comp, compile_ctx *c, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    int err = errno;
    if (c->report)
      soc_diag_add(c->diag, SOC_DIAG_ERROR, path, 0, 0, "cannot open YARA rule file: %s",
                   strerror(err));
    return -err;
  }
  c->file = path;
  /* A namespace per file: two vendors' sets often reuse a rule name. */
  int errors = yr_compiler_add_file(comp, f, path, path);
  fclose(f);
  return errors;
}

static int file_compiles(compile_ctx *c, const char *path) {
  YR_COMPILER *scratch = NULL;
  int ok = 0;
  if (yr_compiler_create(&scratch) != ERROR_SUCCESS) return 0;
  yr_compiler_set_callback(scratch, on_message, c);
  if (define_externals(scratch) == 0) ok = add_file(scratch, c, path) == 0;
  yr_compiler_destroy(scratch);
  return ok;
}

int soc_yararules_compile(const char *const *files, size_t nfiles, YR_RULES **out,
                          soc_yara_stats *stats, soc_diag *diag) {
  int result = -ENOMEM;
  YR_COMPILER *comp = NULL;
  YR_RULES *rules = NULL;
  compile_ctx c = {.diag = diag, .report = 1};
  soc_yara_stats st = {0};
  if (out) *out = NULL;
  if (yr_initialize() != ERROR_SUCCESS) {
    soc_diag_add(diag, SOC_DIAG_ERROR, NULL, 0, 0, "cannot initialise libyara");
    return -ENOMEM;
  }
  if (yr_compiler_create(&comp) != ERROR_SUCCESS || define_externals(comp) < 0) goto out;
  yr_compiler_set_callback(comp, on_message, &c);
  for (size_t i = 0; i < nfiles; i++) {
    if (!file_compiles(&c, files[i])) {
      st.files_failed++;
      continue;
    }
    /* Already reported by the scratch pass; stay quiet the second time. */
    c.report = 0;
    if (add_file(comp, &c, files[i]) == 0)
      st.files_ok++;
    else
      st.files_failed++;
    c.report = 1;
  }
  st.warnings = c.warnings;
  if (yr_compiler_get_rules(comp, &rules) != ERROR_SUCCESS) goto out;
  YR_RULE *rule;
  yr_rules_foreach(rules, rule) st.rules++;
  result = (nfiles && !st.files_ok) ? -EINVAL : 0;
out:
  if (comp) yr_compiler_destroy(comp);
  if (stats) *stats = st;
  if (result == 0 && out) {
    *out = rules;
    rules = NULL;
  }
  if (rules) yr_rules_destroy(rules);
  if (result != 0 || !out) yr_finalize();
  return result;
}

void soc_yararules_shutdown(void) { yr_finalize(); }
