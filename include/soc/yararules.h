/*
 * yararules — compiling YARA rule files with the external variables that
 * common third-party sets expect (filename, filepath, extension, filetype,
 * owner), so that a set such as signature-base loads unchanged.
 *
 * A file that fails to compile is reported (FILE:LINE) and left out; the
 * other files still compile, because one broken download must not switch
 * off every other rule.
 *
 * The library is initialised on first use (yr_initialize is reference
 * counted); call soc_yararules_shutdown once per successful compile call
 * that returned rules, after freeing them with yr_rules_destroy.
 */
#ifndef SOC_YARARULES_H
#define SOC_YARARULES_H

#include <stddef.h>

#include "soc/diag.h"

typedef struct YR_RULES YR_RULES;

typedef struct soc_yara_stats {
  size_t files_ok;
  size_t files_failed;
  size_t rules; /* rules in the compiled set */
  size_t warnings;
} soc_yara_stats;

/* Compiles the files (already expanded, no globs). Returns 0 and *out
 * (owned by the caller, free with yr_rules_destroy then
 * soc_yararules_shutdown), or a negative errno when nothing could be compiled
 * at all. out may be NULL to only check. */
int soc_yararules_compile(const char *const *files, size_t nfiles, YR_RULES **out,
                          soc_yara_stats *stats, soc_diag *diag);
void soc_yararules_shutdown(void);

#endif
