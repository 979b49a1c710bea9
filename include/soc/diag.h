/*
 * diag — collected diagnostics in the `FILE:LINE:COL: severity: message`
 * form that compilers use, so an operator's editor can jump to the spot.
 *
 * Loaders (config, assets, rules) never stop at the first problem: they add
 * every problem they find to a soc_diag and keep going, so that one run of
 * `--check-config` lists them all. The caller decides what to do with the
 * count of errors.
 *
 * Ownership: a soc_diag owns copies of every string given to it.
 */
#ifndef SOC_DIAG_H
#define SOC_DIAG_H

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>

typedef enum { SOC_DIAG_ERROR = 0, SOC_DIAG_WARNING = 1 } soc_diag_severity;

typedef struct soc_diag soc_diag;

/* Returns NULL when out of memory. */
soc_diag *soc_diag_new(void);
/* NULL is a no-op. */
void soc_diag_free(soc_diag *d);

/* Adds one message. file may be NULL (then the message has no location);
 * line and col are 1-based, 0 means unknown. Past SOC_DIAG_MAX messages,
 * further ones are only counted: a hostile file must not make us allocate
 * without bound. */
#define SOC_DIAG_MAX 1000
void soc_diag_add(soc_diag *d, soc_diag_severity sev, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The same with a va_list, for wrappers. */
void soc_diag_vadd(soc_diag *d, soc_diag_severity sev, const char *file, unsigned line,
                   unsigned col, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

size_t soc_diag_errors(const soc_diag *d);
size_t soc_diag_warnings(const soc_diag *d);
/* Number of stored messages (at most SOC_DIAG_MAX). */
size_t soc_diag_count(const soc_diag *d);
/* The i-th stored message, already formatted; NULL past the end.
 * The string is owned by d. */
const char *soc_diag_message(const soc_diag *d, size_t i);
/* Whether any stored message contains needle (for tests and callers that
 * must react to one kind of problem). */
int soc_diag_contains(const soc_diag *d, const char *needle);

/* Prints every message, one per line, then a line with the totals if any
 * were dropped past SOC_DIAG_MAX. */
void soc_diag_print(const soc_diag *d, FILE *out);

#endif
