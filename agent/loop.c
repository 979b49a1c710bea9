/*
 * loop — epoll plus a short list of timers.
 *
 * Timers are few (a commit timer, a poll timer per file input, heartbeat),
 * so they are kept in an array and the next deadline is found by a scan;
 * a heap would be more code for no measurable gain. Signals arrive through
 * signalfd so that stopping is just another event, handled between two
 * callbacks, never inside one.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64

typedef struct fd_entry {
  int fd;
  soc_fd_cb cb;
  void *arg;
  struct fd_entry *next;
} fd_entry;

struct soc_timer {
  int64_t interval_ms, due_ms;
  soc_timer_cb cb;
  void *arg;
  soc_timer *next;
};

struct soc_loop {
  int ep;
  int sigfd;
  int stop;
  int stop_signal;
  soc_timer_cb hup_cb;
  void *hup_arg;
  fd_entry *fds;
  soc_timer *timers;
};

int64_t soc_now_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

soc_loop *soc_loop_new(void) {
  soc_loop *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->sigfd = -1;
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  if (l->ep < 0) {
    free(l);
    return NULL;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (l->sigfd < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sigfd, &ev) < 0) {
    soc_loop_free(l);
    return NULL;
  }
  return l;
}

void soc_loop_free(soc_loop *l) {
  if (!l) return;
  while (l->fds) {
    fd_entry *e = l->fds;
    l->fds = e->next;
    free(e);
  }
  while (l->timers) {
    soc_timer *t = l->timers;
    l->timers = t->next;
    free(t);
  }
  if (l->sigfd >= 0) close(l->sigfd);
  close(l->ep);
  free(l);
}

int soc_loop_add_fd(soc_loop *l, int fd, uint32_t events, soc_fd_cb cb, void *arg) {
  fd_entry *e = calloc(1, sizeof *e);
  if (!e) return -ENOMEM;
  e->fd = fd;
  e->cb = cb;
  e->arg = arg;
  struct epoll_event ev = {.events = events, .data.ptr = e};
  if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = -errno;
    free(e);
    return err;
  }
  e->next = l->fds;
  l->fds = e;
  return 0;
}

static fd_entry *find_fd(soc_loop *l, int fd, fd_entry ***link) {
  for (fd_entry **p = &l->fds; *p; p = &(*p)->next)
    if ((*p)->fd == fd) {
      if (link) *link = p;
      return *p;
    }
  return NULL;
}

int soc_loop_mod_fd(soc_loop *l, int fd, uint32_t events) {
  fd_entry *e = find_fd(l, fd, NULL);
  if (!e) return -ENOENT;
  struct epoll_event ev = {.events = events, .data.ptr = e};
  return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int soc_loop_del_fd(soc_loop *l, int fd) {
  fd_entry **link = NULL;
  fd_entry *e = find_fd(l, fd, &link);
  if (!e) return -ENOENT;
  epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
  *link = e->next;
  /* An event for this fd may still be in the batch being dispatched: the
   * dispatcher re-checks membership, so freeing here is safe. */
  free(e);
  return 0;
}

soc_timer *soc_loop_add_timer(soc_loop *l, int64_t interval_ms, soc_timer_cb cb, void *arg) {
  soc_timer *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->interval_ms = interval_ms;
  t->due_ms = interval_ms > 0 ? soc_now_mono_ms() + interval_ms : INT64_MAX;
  t->cb = cb;
  t->arg = arg;
  t->next = l->timers;
  l->timers = t;
  return t;
}

void soc_loop_timer_kick(soc_timer *t) { t->due_ms = 0; }

void soc_loop_stop(soc_loop *l) { l->stop = 1; }

int soc_loop_on_hup(soc_loop *l, soc_timer_cb cb, void *arg) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || signalfd(l->sigfd, &set, 0) < 0) return -errno;
  l->hup_cb = cb;
  l->hup_arg = arg;
  return 0;
}
int soc_loop_stop_signal(const soc_loop *l) { return l->stop_signal; }

static int still_registered(soc_loop *l, fd_entry *e) {
  for (fd_entry *p = l->fds; p; p = p->next)
    if (p == e) return 1;
  return 0;
}

static void run_timers(soc_loop *l) {
  int64_t now = soc_now_mono_ms();
  for (soc_timer *t = l->timers; t && !l->stop; t = t->next) {
    if (t->due_ms > now) continue;
    t->due_ms = t->interval_ms > 0 ? now + t->interval_ms : INT64_MAX;
    t->cb(t->arg);
  }
}

static int next_timeout(soc_loop *l) {
  int64_t now = soc_now_mono_ms(), next = INT64_MAX;
  for (soc_timer *t = l->timers; t; t = t->next)
    if (t->due_ms < next) next = t->due_ms;
  if (next == INT64_MAX) return -1;
  if (next <= now) return 0;
  return next - now > 60000 ? 60000 : (int)(next - now);
}

int soc_loop_run(soc_loop *l) {
  struct epoll_event evs[MAX_EVENTS];
  l->stop = 0;
  while (!l->stop) {
    int n = epoll_wait(l->ep, evs, MAX_EVENTS, next_timeout(l));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (int i = 0; i < n && !l->stop; i++) {
      fd_entry *e = evs[i].data.ptr;
      if (!e) {
        struct signalfd_siginfo si;
        if (read(l->sigfd, &si, sizeof si) != (ssize_t)sizeof si) continue;
        if (si.ssi_signo == SIGHUP && l->hup_cb) {
          l->hup_cb(l->hup_arg);
        } else {
          l->stop_signal = (int)si.ssi_signo;
          l->stop = 1;
        }
        continue;
      }
      if (still_registered(l, e)) e->cb(e->arg, e->fd, evs[i].events);
    }
    run_timers(l);
  }
  return 0;
}
