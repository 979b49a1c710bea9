/*
 * hash — SHA-256 through OpenSSL's libcrypto (already pulled in by libyara),
 * used for deterministic event ids, evidence and the audit chain.
 */
#ifndef SOC_HASH_H
#define SOC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SOC_SHA256_LEN 32
#define SOC_SHA256_HEX_LEN 64

/* out receives 32 bytes. Returns 0, or -EIO if libcrypto fails. */
int soc_sha256(const void *data, size_t len, uint8_t out[SOC_SHA256_LEN]);
/* SHA-1, for formats that name it (the Community ID); out receives 20
 * bytes. Returns as soc_sha256. */
#define SOC_SHA1_LEN 20
int soc_sha1(const void *data, size_t len, uint8_t out[SOC_SHA1_LEN]);
/* Lower-case hex of n bytes into out, which must hold 2*n+1 bytes. */
void soc_hex(const uint8_t *bytes, size_t n, char *out);

/* Incremental form, for data that arrives in pieces. Opaque. */
typedef struct soc_sha256_ctx soc_sha256_ctx;
soc_sha256_ctx *soc_sha256_new(void);
int soc_sha256_update(soc_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; the context can not be updated afterwards. */
int soc_sha256_final(soc_sha256_ctx *c, uint8_t out[SOC_SHA256_LEN]);
/* Starts c again, empty, finished or not: one context kept for many
 * messages costs no allocation per message (a new context is one).
 * Returns 0, -EINVAL or -EIO. */
int soc_sha256_restart(soc_sha256_ctx *c);
void soc_sha256_free(soc_sha256_ctx *c);

/* The state after a fixed prefix, kept to hash many messages that start
 * with it (event ids: one per log line, the same agent and source each
 * time): each hash then starts from a copy of that state (plain memory)
 * instead of hashing the prefix again. Opaque; NULL
 * when out of memory or libcrypto fails. Not thread-safe: its owner's. */
typedef struct soc_sha256_prefix soc_sha256_prefix;
soc_sha256_prefix *soc_sha256_prefix_new(const void *prefix, size_t len);
/* SHA-256 of prefix followed by data into out. Returns 0, -EINVAL, or
 * -EIO when libcrypto fails. */
int soc_sha256_prefix_hash(soc_sha256_prefix *p, const void *data, size_t len,
                           uint8_t out[SOC_SHA256_LEN]);
void soc_sha256_prefix_free(soc_sha256_prefix *p);

/* Many messages hashed two at a time: out[i] = SHA-256(m[i].head ||
 * m[i].body) for i < n (either piece may be empty, and a NULL pointer only
 * with a length of 0), the digests every other function here gives. With
 * the CPU's SHA extensions (x86-64 SHA-NI) two messages run interleaved in
 * one function, at little more than the cost of one: a single message is
 * one chain of dependent rounds, which leaves the unit idle for most of
 * each round's latency; a lane whose message ends takes the next one.
 * Without them, OpenSSL's, one after the other. Like the rest of this
 * file it bypasses OpenSSL's providers (docs/BENCHMARKS.md, steps 15 and
 * 26). Returns 0, -EINVAL or -EIO. Thread-safe. */
typedef struct soc_sha256_parts {
  const void *head, *body;
  size_t head_len, body_len;
} soc_sha256_parts;
int soc_sha256_many(const soc_sha256_parts *m, size_t n, uint8_t (*out)[SOC_SHA256_LEN]);
/* Which path soc_sha256_many takes: native 1 asks for the CPU's
 * extensions (taken only where the CPU has them; the default), 0 for
 * OpenSSL's (for tests: both paths on one machine). Returns 1 when the
 * extensions are now in use, else 0. Call it before hashing starts in
 * other threads. */
int soc_sha256_many_native(int native);

/* FNV-1a of the string s, from h (SOC_FNV1A_SEED to start): not
 * cryptographic, only to spread keys over hash buckets or workers. */
#define SOC_FNV1A_SEED UINT64_C(1469598103934665603)
static inline uint64_t soc_fnv1a(uint64_t h, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    h = (h ^ *p) * UINT64_C(1099511628211);
  return h;
}

/* An RFC 9562 version-5 UUID (SHA-1 of namespace and name): the same name
 * always gives the same id, as STIX 2.1 wants for its objects. out: 37
 * bytes ("xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx"). Returns 0 or -EIO. */
#define SOC_UUID_STR_LEN 36
int soc_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[SOC_UUID_STR_LEN + 1]);

#endif
