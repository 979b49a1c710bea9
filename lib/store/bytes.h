/*
 * bytes — a growable byte buffer, private to the store library: the
 * journal's blocks and the correlation state's records grow the same way.
 */
#ifndef SOC_STORE_BYTES_H
#define SOC_STORE_BYTES_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct soc_bytes {
  uint8_t *p; /* owned */
  size_t len, cap;
} soc_bytes;

/* Room for more bytes after b->len, the capacity doubled (from 4 KiB) as
 * often as it takes. Returns 0, or -ENOMEM with b as it was. */
static inline int soc_bytes_reserve(soc_bytes *b, size_t more) {
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return -ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

#endif
