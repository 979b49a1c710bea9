/*
 * diag — a bounded list of formatted diagnostics.
 *
 * Messages are formatted once, on add, so a caller can free the file name it
 * passed right after. The list is capped: a hostile or badly broken file can
 * produce an error per byte, and we would rather say "and 12345 more" than
 * run out of memory while complaining.
 */
#include "soc/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct soc_diag {
  char **msgs;
  size_t n;
  size_t cap;
  size_t errors;
  size_t warnings;
  size_t dropped;
};

soc_diag *soc_diag_new(void) { return calloc(1, sizeof(soc_diag)); }

void soc_diag_free(soc_diag *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n; i++) free(d->msgs[i]);
  free(d->msgs);
  free(d);
}

/* Formats the location prefix and the message into one heap string. */
static char *format_message(soc_diag_severity sev, const char *file, unsigned line, unsigned col,
                            const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static char *format_message(soc_diag_severity sev, const char *file, unsigned line, unsigned col,
                            const char *fmt, va_list ap) {
  char body[1024];
  char loc[512] = "";
  const char *what = sev == SOC_DIAG_ERROR ? "error" : "warning";
  vsnprintf(body, sizeof body, fmt, ap);
  if (file && line && col)
    snprintf(loc, sizeof loc, "%s:%u:%u: ", file, line, col);
  else if (file && line)
    snprintf(loc, sizeof loc, "%s:%u: ", file, line);
  else if (file)
    snprintf(loc, sizeof loc, "%s: ", file);
  size_t len = strlen(loc) + strlen(what) + strlen(body) + 3;
  char *s = malloc(len);
  if (s) snprintf(s, len, "%s%s: %s", loc, what, body);
  return s;
}

void soc_diag_add(soc_diag *d, soc_diag_severity sev, const char *file, unsigned line, unsigned col,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  soc_diag_vadd(d, sev, file, line, col, fmt, ap);
  va_end(ap);
}

void soc_diag_vadd(soc_diag *d, soc_diag_severity sev, const char *file, unsigned line,
                   unsigned col, const char *fmt, va_list ap) {
  if (!d) return;
  if (sev == SOC_DIAG_ERROR)
    d->errors++;
  else
    d->warnings++;
  if (d->n >= SOC_DIAG_MAX) {
    d->dropped++;
    return;
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    char **m = realloc(d->msgs, cap * sizeof *m);
    if (!m) {
      d->dropped++;
      return;
    }
    d->msgs = m;
    d->cap = cap;
  }
  char *s = format_message(sev, file, line, col, fmt, ap);
  if (!s) {
    d->dropped++;
    return;
  }
  d->msgs[d->n++] = s;
}

size_t soc_diag_errors(const soc_diag *d) { return d ? d->errors : 0; }
size_t soc_diag_warnings(const soc_diag *d) { return d ? d->warnings : 0; }
size_t soc_diag_count(const soc_diag *d) { return d ? d->n : 0; }

const char *soc_diag_message(const soc_diag *d, size_t i) {
  return d && i < d->n ? d->msgs[i] : NULL;
}

int soc_diag_contains(const soc_diag *d, const char *needle) {
  for (size_t i = 0; d && i < d->n; i++)
    if (strstr(d->msgs[i], needle)) return 1;
  return 0;
}

void soc_diag_print(const soc_diag *d, FILE *out) {
  if (!d) return;
  for (size_t i = 0; i < d->n; i++) fprintf(out, "%s\n", d->msgs[i]);
  if (d->dropped) fprintf(out, "... and %zu more message(s) not shown\n", d->dropped);
}
