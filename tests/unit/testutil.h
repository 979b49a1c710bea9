/*
 * testutil — small helpers the unit tests share (header-only, tests only).
 */
#ifndef SOC_TESTUTIL_H
#define SOC_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char test_dir_path[64];
static pid_t test_dir_owner;

/* Removes path and, for a folder, everything under it (symlinks not followed). */
static inline void test_dir_remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char child[4096];
      if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < (int)sizeof child)
        test_dir_remove_tree(child);
    }
    if (d) closedir(d);
  }
  if (remove(path) != 0) fprintf(stderr, "test_dir: could not remove %s\n", path);
}

/* Only the process that made the folder removes it: a forked child that
 * calls exit() must not pull it from under its parent. */
static inline void test_dir_remove(void) {
  if (test_dir_path[0] && getpid() == test_dir_owner) test_dir_remove_tree(test_dir_path);
}

/* A fresh private folder for one test binary, removed with everything in it
 * when the binary exits. */
static inline const char *test_dir(void) {
  if (!test_dir_path[0]) {
    snprintf(test_dir_path, sizeof test_dir_path, "/tmp/soctest.XXXXXX");
    if (!mkdtemp(test_dir_path)) abort();
    test_dir_owner = getpid();
    atexit(test_dir_remove);
  }
  return test_dir_path;
}

/* Writes content to test_dir()/name and returns the path (static buffer,
 * one per call site is enough for our tests: copy it if you keep two). */
static inline const char *write_file(const char *name, const char *content) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", test_dir(), name);
  FILE *f = fopen(path, "w");
  if (!f) abort();
  fputs(content, f);
  fclose(f);
  return path;
}

/* Fails the test, showing every message, unless one contains needle.
 * Needs cmocka.h and soc/diag.h included first. */
#define assert_diag_contains(d, needle)                         \
  do {                                                          \
    if (!soc_diag_contains((d), (needle))) {                    \
      soc_diag_print((d), stderr);                              \
      fail_msg("expected a message containing '%s'", (needle)); \
    }                                                           \
  } while (0)

#endif
