/*
 * thread — pthread_setname_np behind a printf format, and wait deadlines
 * (see the header).
 *
 * The name is cut to the kernel's 15 bytes here: pthread_setname_np refuses
 * a longer one with ERANGE instead of truncating it.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "soc/thread.h"

#include <stdarg.h>
#include <stdio.h>

void soc_thread_name(pthread_t t, const char *fmt, ...) {
  char name[16];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  (void)pthread_setname_np(t, name);
}

struct timespec soc_thread_deadline(clockid_t clock, int64_t ms) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_sec += (time_t)(ms / 1000);
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}
