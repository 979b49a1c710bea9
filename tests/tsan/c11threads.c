/*
 * c11threads — glibc's C11 threads as the pthread calls they stand for, so
 * that ThreadSanitizer sees librdkafka's threads. Only scripts/tsan.sh
 * builds it (CMake's SOC_TSAN_SHIM, into test_agent_forward alone); no
 * normal build, no package contains it.
 *
 * Why it exists. Debian's librdkafka 2.0.2 creates every thread it has (its
 * main thread, one per broker, the mock cluster's) with C11 thrd_create and
 * locks with mtx_* and cnd_*. glibc implements those on its internal
 * __pthread_* functions, so the TSan runtime's interceptors (pthread_create,
 * pthread_mutex_lock, ...) never run for them: the runtime does not know
 * librdkafka's threads, and the first allocation in one of them, a thread
 * without TSan state, fails a CHECK ("((thr->slot)) != (0)") and crashes
 * in __tsan::user_alloc (clang 14 and gcc 12 alike). The sanitizers have
 * no C11 interceptors: https://github.com/google/sanitizers/issues/1195.
 * Linked into the executable (which exports them, as librdkafka.so refers
 * to them), these definitions come before glibc's in librdkafka's symbol
 * lookup, and their pthread calls go to the interceptors.
 *
 * Why it is correct.
 * - glibc's thrd_t is a pthread_t, its mtx_t, cnd_t and once_flag have the
 *   size of pthread_mutex_t, pthread_cond_t and pthread_once_t, and glibc's
 *   own C11 functions just cast them (the asserts below check the sizes):
 *   an object one side initialises, the other may use.
 * - A thrd_start_t returns int, a pthread start routine void *: a small
 *   heap record carries the function and its argument to a trampoline that
 *   returns the int as a pointer, and thrd_join turns it back, as glibc's
 *   own thrd_join does.
 * - Return codes go through err() below, glibc's thrd_err_map: 0 is
 *   thrd_success, ENOMEM thrd_nomem, ETIMEDOUT thrd_timedout, EBUSY
 *   thrd_busy, anything else thrd_error.
 * - mtx_init accepts what glibc's does (mtx_plain or mtx_timed, either with
 *   or without mtx_recursive): mtx_recursive is PTHREAD_MUTEX_RECURSIVE, and
 *   mtx_timed needs nothing, every pthread mutex can be waited for with a
 *   deadline.
 * - cnd_timedwait's deadline is absolute on CLOCK_REALTIME, as is
 *   pthread_cond_timedwait's for a condition variable with default
 *   attributes (cnd_init's).
 *
 * What librdkafka 2.0.2 imports of C11 threads, and so what is here:
 *   nm -D --undefined-only /usr/lib/x86_64-linux-gnu/librdkafka.so.1 |
 *     grep -E 'thrd_|mtx_|cnd_|tss_|call_once'
 * minus thrd_current, which is pthread_self in glibc and synchronises
 * nothing. A later librdkafka that imports more (mtx_timedlock, tss_*) still
 * works, since the types are the same, but TSan does not see those calls:
 * add them here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is a pthread_t");
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is a pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is a pthread_cond_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread_once_t");

static int err(int e) {
  switch (e) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

typedef struct start {
  thrd_start_t fn;
  void *arg;
} start;

static void *trampoline(void *p) {
  start s = *(start *)p;
  free(p);
  return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg) {
  start *s = malloc(sizeof *s);
  if (!s) return thrd_nomem;
  s->fn = fn;
  s->arg = arg;
  int e = pthread_create((pthread_t *)thr, NULL, trampoline, s);
  if (e) free(s);
  return err(e);
}

int thrd_join(thrd_t thr, int *res) {
  void *r;
  int e = pthread_join((pthread_t)thr, &r);
  if (e == 0 && res) *res = (int)(intptr_t)r;
  return err(e);
}

int mtx_init(mtx_t *m, int type) {
  if ((type & ~mtx_recursive) != mtx_plain && (type & ~mtx_recursive) != mtx_timed)
    return thrd_error;
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  if (type & mtx_recursive) pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  int e = pthread_mutex_init((pthread_mutex_t *)m, &a);
  pthread_mutexattr_destroy(&a);
  return err(e);
}

int mtx_lock(mtx_t *m) { return err(pthread_mutex_lock((pthread_mutex_t *)m)); }
int mtx_unlock(mtx_t *m) { return err(pthread_mutex_unlock((pthread_mutex_t *)m)); }
void mtx_destroy(mtx_t *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }

int cnd_init(cnd_t *c) { return err(pthread_cond_init((pthread_cond_t *)c, NULL)); }
int cnd_signal(cnd_t *c) { return err(pthread_cond_signal((pthread_cond_t *)c)); }
int cnd_broadcast(cnd_t *c) { return err(pthread_cond_broadcast((pthread_cond_t *)c)); }
void cnd_destroy(cnd_t *c) { pthread_cond_destroy((pthread_cond_t *)c); }

int cnd_wait(cnd_t *c, mtx_t *m) {
  return err(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *c, mtx_t *m, const struct timespec *deadline) {
  return err(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, deadline));
}

void call_once(once_flag *flag, void (*fn)(void)) { pthread_once((pthread_once_t *)flag, fn); }
