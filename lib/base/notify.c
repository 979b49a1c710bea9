/*
 * notify — sd_notify without libsystemd (see include/soc/notify.h).
 *
 * $NOTIFY_SOCKET is a path ("/run/systemd/notify") or, with a leading '@',
 * a name in the abstract namespace. The message is sent with a single
 * sendto() on a fresh SOCK_DGRAM socket: systemd reads the sender's
 * credentials from the datagram, so nothing else is needed. The socket is
 * made close-on-exec and never kept, so no descriptor leaks into children.
 */
#include "soc/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int soc_notify(const char *state) {
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (!path || !*path) return 0;
  size_t len = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path) return -EINVAL;
  memcpy(sa.sun_path, path, len);
  if (path[0] == '@') sa.sun_path[0] = '\0'; /* abstract: no file, no terminating NUL */
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  int result = n < 0 ? -errno : 1;
  close(fd);
  return result;
}

int64_t soc_notify_watchdog_ms(void) {
  const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
  if (!usec || !*usec) return 0;
  /* Set for a process we started? Then it is not for us. */
  if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid()) return 0;
  char *end = NULL;
  long long us = strtoll(usec, &end, 10);
  if (*end || us <= 0) return 0;
  int64_t ms = us / 2000;
  return ms > 0 ? ms : 1;
}
