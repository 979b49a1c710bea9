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
 *
 * soc_sha256_many hashes a batch of messages (a joined message's leaves)
 * two at a time with the CPU's SHA extensions, written here from Intel's
 * description of the instructions: sha256rnds2 does two rounds, and one
 * message is a chain of 32 of them, each waiting for the last, so the
 * unit can run a second, independent chain in the gaps (on Zen 4 about
 * 1.7 times the throughput of OpenSSL's one chain, issue 20, step 26).
 * The path is chosen once by CPUID; where the CPU lacks the extensions
 * (and under valgrind, which hides them) OpenSSL's SHA256_* run instead.
 * Both paths bypass OpenSSL's providers, as the functions above do: a
 * FIPS build of the agent would have to route these digests through a
 * validated provider (they are integrity checks of signed events, not
 * key material; the signature itself is libsodium's Ed25519).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "soc/hash.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA_NI 1
#endif

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

/* ---- many messages, two at a time ---------------------------------------------- */

/* A message's 64-byte blocks, its padding included, one at a time:
 * straight from the caller's bytes where a whole block lies in one piece,
 * else gathered in tmp (a block across the two pieces, and the last one or
 * two blocks with the 0x80 byte and the length in bits). */
typedef struct {
  const uint8_t *p[2];
  size_t n[2];
  unsigned part; /* the piece being read; 2 once both are read */
  int marked;    /* the 0x80 after the message is written */
  int done;      /* the length is written: no block is left */
  uint64_t bits;
  uint8_t tmp[64];
} lane;

static void lane_start(lane *l, const soc_sha256_parts *m) {
  l->p[0] = m->head;
  l->n[0] = m->head_len;
  l->p[1] = m->body;
  l->n[1] = m->body_len;
  l->part = 0;
  l->marked = l->done = 0;
  l->bits = ((uint64_t)m->head_len + (uint64_t)m->body_len) * 8u;
}

/* The next block, or NULL when the message has no more. */
static const uint8_t *lane_next(lane *l) {
  size_t k = 0;
  if (l->done) return NULL;
  while (l->part < 2 && !l->n[l->part]) l->part++;
  if (l->part < 2 && l->n[l->part] >= 64) {
    const uint8_t *b = l->p[l->part];
    l->p[l->part] += 64;
    l->n[l->part] -= 64;
    return b;
  }
  while (k < 64 && l->part < 2) {
    if (!l->n[l->part]) {
      l->part++;
      continue;
    }
    size_t t = l->n[l->part] < 64 - k ? l->n[l->part] : 64 - k;
    memcpy(l->tmp + k, l->p[l->part], t);
    k += t;
    l->p[l->part] += t;
    l->n[l->part] -= t;
  }
  if (k == 64) return l->tmp;
  if (!l->marked) {
    l->tmp[k++] = 0x80;
    l->marked = 1;
  }
  memset(l->tmp + k, 0, 64 - k);
  if (k <= 56) { /* room for the length: the last block */
    for (int i = 0; i < 8; i++) l->tmp[56 + i] = (uint8_t)(l->bits >> (56 - 8 * i));
    l->done = 1;
  }
  return l->tmp;
}

static int many_openssl(const soc_sha256_parts *m, size_t n, uint8_t (*out)[SOC_SHA256_LEN]) {
  for (size_t i = 0; i < n; i++) {
    SHA256_CTX c;
    if (SHA256_Init(&c) != 1 ||
        (m[i].head_len && SHA256_Update(&c, m[i].head, m[i].head_len) != 1) ||
        (m[i].body_len && SHA256_Update(&c, m[i].body, m[i].body_len) != 1) ||
        SHA256_Final(out[i], &c) != 1)
      return -EIO;
  }
  return 0;
}

#ifdef SHA_NI
#define SHA_NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t round_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* A state as sha256rnds2 wants it: the words A, B, E, F in one register
 * and C, D, G, H in the other, the first named in the highest lane. */
typedef struct {
  __m128i abef, cdgh;
} ni_state;

SHA_NI_TARGET static ni_state ni_start(void) {
  return (ni_state){_mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c),
                    _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19)};
}

/* The digest, big-endian A..H: the high halves of CDGH and ABEF are
 * D, C, B, A from the lowest lane up, the low halves H, G, F, E; reversing
 * all 16 bytes of each puts both the words and their bytes in order. */
SHA_NI_TARGET static void ni_digest(ni_state s, uint8_t out[SOC_SHA256_LEN]) {
  const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(_mm_unpackhi_epi64(s.cdgh, s.abef), reverse));
  _mm_storeu_si128((__m128i *)(out + 16),
                   _mm_shuffle_epi8(_mm_unpacklo_epi64(s.cdgh, s.abef), reverse));
}

/* One block of each of two messages, their rounds interleaved. The
 * schedule keeps the last four groups of four words: group r + 4 comes
 * from groups r .. r + 3 (msg1, the align of r + 2 and r + 3, msg2). */
SHA_NI_TARGET static void ni_blocks(ni_state s[2], const uint8_t *b0, const uint8_t *b1) {
  const __m128i swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  const uint8_t *b[2] = {b0, b1};
  __m128i w[2][4], abef[2], cdgh[2];
  for (int m = 0; m < 2; m++) {
    abef[m] = s[m].abef;
    cdgh[m] = s[m].cdgh;
    for (int i = 0; i < 4; i++)
      w[m][i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b[m] + 16 * i)), swap);
  }
  /* unrolled whole, so that w, abef and cdgh stay in registers */
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) {
    const __m128i k = _mm_loadu_si128((const __m128i *)(round_k + 4 * r));
#pragma GCC unroll 2
    for (int m = 0; m < 2; m++) {
      __m128i wk = _mm_add_epi32(w[m][r & 3], k);
      cdgh[m] = _mm_sha256rnds2_epu32(cdgh[m], abef[m], wk);
      abef[m] = _mm_sha256rnds2_epu32(abef[m], cdgh[m], _mm_shuffle_epi32(wk, 0x0e));
      if (r < 12) {
        __m128i x = _mm_sha256msg1_epu32(w[m][r & 3], w[m][(r + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[m][(r + 3) & 3], w[m][(r + 2) & 3], 4));
        w[m][r & 3] = _mm_sha256msg2_epu32(x, w[m][(r + 3) & 3]);
      }
    }
  }
  for (int m = 0; m < 2; m++) {
    s[m].abef = _mm_add_epi32(s[m].abef, abef[m]);
    s[m].cdgh = _mm_add_epi32(s[m].cdgh, cdgh[m]);
  }
}

/* Two lanes; each takes the next message when its own ends. A lane with
 * nothing left runs the other's block into a state nobody reads: the pair
 * costs about what one chain does. */
SHA_NI_TARGET static int many_ni(const soc_sha256_parts *m, size_t n,
                                 uint8_t (*out)[SOC_SHA256_LEN]) {
  lane l[2];
  ni_state s[2];
  const uint8_t *blk[2] = {NULL, NULL};
  size_t who[2] = {0, 0}, next = 0;
  for (;;) {
    for (int i = 0; i < 2; i++)
      if (!blk[i] && next < n) {
        lane_start(&l[i], &m[next]);
        who[i] = next++;
        s[i] = ni_start();
        blk[i] = lane_next(&l[i]);
      }
    if (!blk[0] && !blk[1]) break;
    ni_blocks(s, blk[0] ? blk[0] : blk[1], blk[1] ? blk[1] : blk[0]);
    for (int i = 0; i < 2; i++)
      if (blk[i] && !(blk[i] = lane_next(&l[i]))) ni_digest(s[i], out[who[i]]);
  }
  OPENSSL_cleanse(l, sizeof l);
  return 0;
}

static int cpu_has_sha_ni(void) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & bit_SHA) != 0;
}
#else
static int cpu_has_sha_ni(void) { return 0; }
#endif

static atomic_int many_ni_on;
static int cpu_sha_ni;
static pthread_once_t many_once = PTHREAD_ONCE_INIT;

static void many_probe(void) {
  cpu_sha_ni = cpu_has_sha_ni();
  atomic_store(&many_ni_on, cpu_sha_ni);
}

int soc_sha256_many_native(int native) {
  pthread_once(&many_once, many_probe);
  atomic_store(&many_ni_on, native && cpu_sha_ni);
  return atomic_load(&many_ni_on);
}

int soc_sha256_many(const soc_sha256_parts *m, size_t n, uint8_t (*out)[SOC_SHA256_LEN]) {
  if ((!m || !out) && n) return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if ((!m[i].head && m[i].head_len) || (!m[i].body && m[i].body_len)) return -EINVAL;
  pthread_once(&many_once, many_probe);
#ifdef SHA_NI
  if (atomic_load_explicit(&many_ni_on, memory_order_relaxed)) return many_ni(m, n, out);
#endif
  return many_openssl(m, n, out);
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
