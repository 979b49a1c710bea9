/*
 * fdlimit — raising the descriptor limit, and what the inputs need
 * (fdlimit.h).
 */
#include "fdlimit.h"

#include <glob.h>
#include <string.h>
#include <sys/resource.h>

/* The agent's own: three store connections and a few more for socctl-like
 * work, librdkafka's broker sockets and pipes, signalfd, epoll, timers. */
#define OWN_FDS 64

int64_t soc_fdlimit_raise(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
  }
  return rl.rlim_cur == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_cur;
}

int64_t soc_fdlimit_needed(const soc_config *cfg, int64_t *files) {
  int64_t need = OWN_FDS, matched = 0;
  for (size_t i = 0; i < cfg->ninputs; i++) {
    const soc_input_config *in = &cfg->inputs[i];
    if (in->type == SOC_INPUT_FILE) {
      for (size_t p = 0; p < in->npaths; p++) {
        glob_t g;
        if (glob(in->paths[p], GLOB_NOSORT, NULL, &g) != 0) continue;
        for (size_t k = 0; k < g.gl_pathc; k++)
          if (!soc_input_excluded(in, g.gl_pathv[k])) matched++;
        globfree(&g);
      }
    } else if (in->type == SOC_INPUT_SYSLOG && in->listen &&
               strncmp(in->listen, "tcp://", 6) == 0) {
      need += 1 + in->max_connections;
    } else {
      need += 2; /* a socket, a capture handle, an inotify descriptor and its pipe */
    }
  }
  if (files) *files = matched;
  return need + matched;
}
