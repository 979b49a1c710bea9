/*
 * testutil — small helpers the unit tests share (header-only, tests only).
 */
#ifndef SOC_TESTUTIL_H
#define SOC_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh private folder for one test binary; removed by nobody (ctest
 * runs in the build tree's temp space and the OS cleans /tmp). */
static inline const char *test_dir(void) {
  static char dir[64];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/soctest.XXXXXX");
    if (!mkdtemp(dir)) abort();
  }
  return dir;
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
#define assert_diag_contains(d, needle)                                  \
  do {                                                                   \
    if (!soc_diag_contains((d), (needle))) {                             \
      soc_diag_print((d), stderr);                                       \
      fail_msg("expected a message containing '%s'", (needle));         \
    }                                                                    \
  } while (0)

#endif
