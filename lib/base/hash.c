/*
 * hash — SHA-256 through OpenSSL's libcrypto.
 *
 * SHA-256 goes through libcrypto's own SHA256_Init/Update/Final, not EVP:
 * they run the same block function (SHA-NI where the CPU has it) on a plain
 * struct, while OpenSSL 3.0's EVP allocates, cleanses and frees its state at
 * every init and copy, and looks up engines and the library's init state at
 * every call: about 40 % of a 720-byte leaf's time outside the blocks (issue
 * 20, step 15). They are deprecated in OpenSSL 3, not removed, and give the
 * same digests (unit.sign, unit.event_golden). SHA-1 stays on EVP: one a flow.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "soc/hash.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

struct soc_sha256_ctx {
  SHA256_CTX md;
  int finished; /* set by final; further updates are refused */
};

/* SHA-1 for the flows' Community IDs, one per flow: fetched once, as
 * EVP_sha1()'s implicit fetch cost twice the digest. */
static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void) { sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL); }

int soc_sha256(const void *data, size_t len, uint8_t out[SOC_SHA256_LEN]) {
  SHA256_CTX c;
  if (!out || (!data && len)) return -EINVAL;
  if (SHA256_Init(&c) != 1 || SHA256_Update(&c, data ? data : "", len) != 1 ||
      SHA256_Final(out, &c) != 1)
    return -EIO;
  return 0;
}

int soc_sha1(const void *data, size_t len, uint8_t out[SOC_SHA1_LEN]) {
  unsigned int n = 0;
  pthread_once(&sha1_once, sha1_fetch);
  if (!out || (!data && len)) return -EINVAL;
  if (!sha1_md) return -EIO;
  if (EVP_Digest(data ? data : "", len, out, &n, sha1_md, NULL) != 1 || n != SOC_SHA1_LEN)
    return -EIO;
  return 0;
}

/* Every byte's two hex digits: one load a byte instead of two shifts,
 * masks and loads (each event's id is 16 bytes of hex). */
#define HEX_ROW(h) \
  h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" h "8" h "9" h "a" h "b" h "c" h "d" h "e" h "f"
static const char hex_pairs[] = HEX_ROW("0") HEX_ROW("1") HEX_ROW("2") HEX_ROW("3") HEX_ROW("4")
    HEX_ROW("5") HEX_ROW("6") HEX_ROW("7") HEX_ROW("8") HEX_ROW("9") HEX_ROW("a") HEX_ROW("b")
        HEX_ROW("c") HEX_ROW("d") HEX_ROW("e") HEX_ROW("f");
#undef HEX_ROW

void soc_hex(const uint8_t *bytes, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) memcpy(out + 2 * i, hex_pairs + 2 * bytes[i], 2);
  out[2 * n] = '\0';
}

soc_sha256_ctx *soc_sha256_new(void) {
  soc_sha256_ctx *c = calloc(1, sizeof *c);
  if (c && SHA256_Init(&c->md) != 1) {
    free(c);
    c = NULL;
  }
  return c;
}

int soc_sha256_update(soc_sha256_ctx *c, const void *data, size_t len) {
  if (!c || c->finished || (!data && len)) return -EINVAL;
  if (!len) return 0;
  return SHA256_Update(&c->md, data, len) == 1 ? 0 : -EIO;
}

int soc_sha256_final(soc_sha256_ctx *c, uint8_t out[SOC_SHA256_LEN]) {
  if (!c || c->finished || !out) return -EINVAL;
  c->finished = 1;
  return SHA256_Final(out, &c->md) == 1 ? 0 : -EIO;
}

int soc_sha256_restart(soc_sha256_ctx *c) {
  if (!c) return -EINVAL;
  c->finished = 0;
  return SHA256_Init(&c->md) == 1 ? 0 : -EIO;
}

void soc_sha256_free(soc_sha256_ctx *c) {
  if (!c) return;
  OPENSSL_cleanse(&c->md, sizeof c->md);
  free(c);
}

struct soc_sha256_prefix {
  SHA256_CTX after; /* the prefix absorbed: copied, as plain memory, for each message */
};

soc_sha256_prefix *soc_sha256_prefix_new(const void *prefix, size_t len) {
  soc_sha256_prefix *p = NULL;
  if ((!prefix && len) || !(p = calloc(1, sizeof *p))) return NULL;
  if (SHA256_Init(&p->after) != 1 || (len && SHA256_Update(&p->after, prefix, len) != 1)) {
    soc_sha256_prefix_free(p);
    return NULL;
  }
  return p;
}

int soc_sha256_prefix_hash(soc_sha256_prefix *p, const void *data, size_t len,
                           uint8_t out[SOC_SHA256_LEN]) {
  if (!p || !out || (!data && len)) return -EINVAL;
  SHA256_CTX work = p->after;
  if ((len && SHA256_Update(&work, data, len) != 1) || SHA256_Final(out, &work) != 1) return -EIO;
  return 0;
}

void soc_sha256_prefix_free(soc_sha256_prefix *p) {
  if (!p) return;
  OPENSSL_cleanse(p, sizeof *p);
  free(p);
}

int soc_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[SOC_UUID_STR_LEN + 1]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  int result = -EIO;
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 || EVP_DigestUpdate(c, ns, 16) != 1 ||
      EVP_DigestUpdate(c, name, len) != 1 || EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen < 16)
    goto out;
  md[6] = (uint8_t)((md[6] & 0x0f) | 0x50); /* version 5 */
  md[8] = (uint8_t)((md[8] & 0x3f) | 0x80); /* RFC variant */
  char hex[33];
  soc_hex(md, 16, hex);
  snprintf(out, SOC_UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
           hex + 20);
  result = 0;
out:
  EVP_MD_CTX_free(c);
  return result;
}
