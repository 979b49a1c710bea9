/*
 * libFuzzer harness: YARA rule text (rule files are untrusted input: a
 * third-party download, an operator's typo) through soc_yararules_compile,
 * which has libyara compile it twice (alone, then into the set) and must
 * report, never crash; when the text compiles, the rules also scan the
 * same bytes through yarascan with the external variables set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "soc/diag.h"
#include "soc/yarascan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HARNESS_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  if (size > HARNESS_MAX_INPUT) return 0;
  snprintf(path, sizeof path, "/tmp/fuzz_yararules.%ld.yar", (long)getpid());
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  const char *files[] = {path};
  soc_diag *diag = soc_diag_new();
  soc_yara_engine *e = NULL;
  soc_yara_engine_opts o = {.files = files, .nfiles = 1, .timeout_s = 1};
  if (soc_yarascan_engine_new(&o, &e, diag) == 0) {
    soc_yara_scanner *s = NULL;
    soc_yara_meta meta = {.filename = "a.php",
                          .filepath = "/var/www/a.php",
                          .extension = ".php",
                          .filetype = "",
                          .owner = "www-data"};
    if (soc_yarascan_scanner_new(e, &s) == 0) soc_yarascan_buffer(s, data, size, &meta, NULL, NULL);
    soc_yarascan_scanner_free(s);
    soc_yarascan_engine_free(e);
  }
  soc_diag_free(diag);
  unlink(path);
  return 0;
}
