/*
 * fileio — the one loop every writer of a file needs: write(2) may write
 * less than asked (a signal, a full pipe), so keep going until all is out.
 */
#ifndef SOC_FILEIO_H
#define SOC_FILEIO_H

#include <stddef.h>

/* Writes all n bytes of p to fd, retrying after EINTR. Returns 0, or a
 * negative errno (-EIO when write(2) wrote nothing and said nothing). */
int soc_write_all(int fd, const void *p, size_t n);

#endif
