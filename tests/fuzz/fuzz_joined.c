/*
 * libFuzzer harness: a message of joined events as the collector takes it
 * apart (soc_sign_batch_split, sign.h) and rebuilds its root from, from
 * anyone who can write to the events topic. The first input byte is the
 * length of the "keys" header value taken from the input (times 4, so a
 * few keys of any length fit); the rest is the payload. Invariants: a
 * split that succeeds has 1 to SOC_SIGN_JOINED_MAX events, none empty and
 * none holding a newline, each pointing inside the payload, and joined
 * again with newlines they are the payload byte for byte; the keys framed
 * again are the header byte for byte (one text per list of keys); and the
 * root of their leaves is computed. A split that fails says why.
 */
#include <stdint.h>
#include <string.h>

#include "soc/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static soc_sign_item items[SOC_SIGN_JOINED_MAX];
  static char keys_again[SOC_SIGN_KEYS_TEXT];
  uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN], root[SOC_SIGN_HASH_LEN];
  size_t n = 0, used = 0, at = 0;
  unsigned depth = 0;
  const char *why = NULL;
  if (size < 1) return 0;
  size_t klen = (size_t)data[0] * 4;
  if (klen > size - 1) klen = size - 1;
  const char *keys = (const char *)data + 1, *payload = keys + klen;
  size_t plen = size - 1 - klen;
  if (soc_sign_batch_split(payload, plen, keys, klen, items, &n, &why) < 0) {
    if (!why || !why[0] || n) __builtin_trap();
    return 0;
  }
  if (!n || n > SOC_SIGN_JOINED_MAX) __builtin_trap();
  for (size_t i = 0; i < n; i++) {
    const soc_sign_item *it = &items[i];
    if (!it->event_len || it->event != payload + at || memchr(it->event, '\n', it->event_len) ||
        at + it->event_len > plen || (i + 1 < n && payload[at + it->event_len] != '\n'))
      __builtin_trap();
    at += it->event_len + 1;
    if (it->key_len > SOC_SIGN_MSGKEY_MAX || it->key < keys || it->key + it->key_len > keys + klen)
      __builtin_trap();
    if (soc_sign_keys_add(keys_again, sizeof keys_again, &used, it->key, it->key_len) < 0)
      __builtin_trap();
    soc_sign_leaf("soc.events", it->key, it->key_len, it->event, it->event_len, leaves[i]);
  }
  if (at != plen + 1 || used != klen || memcmp(keys_again, keys, klen)) __builtin_trap();
  if (soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, root, &depth) < 0 ||
      depth > SOC_SIGN_JOINED_DEPTH_MAX || (1u << depth) < n)
    __builtin_trap();
  return 0;
}
