/*
 * fileio — see the header.
 */
#include "soc/fileio.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

int soc_write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? -errno : -EIO;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}
