/*
 * hash — SHA-256 over OpenSSL's EVP interface.
 *
 * The digest is fetched from the default provider once per process and then
 * reused: with OpenSSL 3 every EVP_sha256() lookup goes through the provider
 * table, and event ids take a hash per log line: the lookup alone doubled
 * the cost of hashing an id (about 280 ns against 130 ns on the dev box).
 */
#include "soc/hash.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

struct soc_sha256_ctx {
  EVP_MD_CTX *md; /* owned */
  int finished;   /* set by final; further updates are refused */
};

static EVP_MD *sha256_md; /* fetched once, kept until exit */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

static const EVP_MD *sha256(void) {
  pthread_once(&sha256_once, sha256_fetch);
  return sha256_md;
}

/* SHA-1 for the flows' Community IDs, one per flow: EVP_sha1()'s implicit
 * fetch cost twice the digest. */
static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void) { sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL); }

/* data[0..len) digested by md into out, which takes want bytes. */
static int one_shot(const EVP_MD *md, const void *data, size_t len, uint8_t *out, unsigned want) {
  unsigned int n = 0;
  if (!out || (!data && len)) return -EINVAL;
  if (!md) return -EIO;
  if (EVP_Digest(data ? data : "", len, out, &n, md, NULL) != 1 || n != want) return -EIO;
  return 0;
}

int soc_sha256(const void *data, size_t len, uint8_t out[SOC_SHA256_LEN]) {
  return one_shot(sha256(), data, len, out, SOC_SHA256_LEN);
}

int soc_sha1(const void *data, size_t len, uint8_t out[SOC_SHA1_LEN]) {
  pthread_once(&sha1_once, sha1_fetch);
  return one_shot(sha1_md, data, len, out, SOC_SHA1_LEN);
}

void soc_hex(const uint8_t *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  out[2 * n] = '\0';
}

soc_sha256_ctx *soc_sha256_new(void) {
  const EVP_MD *md = sha256();
  soc_sha256_ctx *c = NULL;
  if (!md) return NULL;
  c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->md = EVP_MD_CTX_new();
  if (!c->md || EVP_DigestInit_ex(c->md, md, NULL) != 1) {
    soc_sha256_free(c);
    return NULL;
  }
  return c;
}

int soc_sha256_update(soc_sha256_ctx *c, const void *data, size_t len) {
  if (!c || c->finished || (!data && len)) return -EINVAL;
  if (!len) return 0;
  return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -EIO;
}

int soc_sha256_final(soc_sha256_ctx *c, uint8_t out[SOC_SHA256_LEN]) {
  unsigned int n = 0;
  if (!c || c->finished || !out) return -EINVAL;
  c->finished = 1;
  if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != SOC_SHA256_LEN) return -EIO;
  return 0;
}

int soc_sha256_restart(soc_sha256_ctx *c) {
  if (!c) return -EINVAL;
  c->finished = 0;
  return EVP_DigestInit_ex(c->md, sha256(), NULL) == 1 ? 0 : -EIO;
}

void soc_sha256_free(soc_sha256_ctx *c) {
  if (!c) return;
  EVP_MD_CTX_free(c->md);
  free(c);
}

struct soc_sha256_prefix {
  EVP_MD_CTX *after; /* the prefix absorbed; owned */
  EVP_MD_CTX *work;  /* a copy of it, finished for each message; owned */
};

soc_sha256_prefix *soc_sha256_prefix_new(const void *prefix, size_t len) {
  const EVP_MD *md = sha256();
  soc_sha256_prefix *p = NULL;
  if ((!prefix && len) || !md || !(p = calloc(1, sizeof *p))) return NULL;
  if (!(p->after = EVP_MD_CTX_new()) || !(p->work = EVP_MD_CTX_new()) ||
      EVP_DigestInit_ex(p->after, md, NULL) != 1 ||
      (len && EVP_DigestUpdate(p->after, prefix, len) != 1)) {
    soc_sha256_prefix_free(p);
    return NULL;
  }
  return p;
}

int soc_sha256_prefix_hash(soc_sha256_prefix *p, const void *data, size_t len,
                           uint8_t out[SOC_SHA256_LEN]) {
  unsigned int n = 0;
  if (!p || !out || (!data && len)) return -EINVAL;
  if (EVP_MD_CTX_copy_ex(p->work, p->after) != 1 ||
      (len && EVP_DigestUpdate(p->work, data, len) != 1) ||
      EVP_DigestFinal_ex(p->work, out, &n) != 1 || n != SOC_SHA256_LEN)
    return -EIO;
  return 0;
}

void soc_sha256_prefix_free(soc_sha256_prefix *p) {
  if (!p) return;
  EVP_MD_CTX_free(p->after);
  EVP_MD_CTX_free(p->work);
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
