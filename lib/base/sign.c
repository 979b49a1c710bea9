/*
 * sign — Ed25519ph over (topic, key, payload), key files (sign.h).
 */
#define _GNU_SOURCE
#include "soc/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "soc/hash.h"

/* Changing what is signed changes this label, so old and new signatures
 * can never be mistaken for each other. */
static const char LABEL[] = "socagent message signature v1";
#define SEED_TEXT 44 /* base64 of the 32-byte seed */
#define FILE_MAX 256 /* a key file is one line */

struct soc_sign_key {
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  soc_sign_pub pub;
};

static int ready(void) { return sodium_init() < 0 ? -EIO : 0; }

static int from_b64(const char *text, size_t len, uint8_t *out, size_t want) {
  size_t got = 0;
  const char *end = NULL;
  if (sodium_base642bin(out, want, text, len, " \t\r\n", &got, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got != want || (end && end != text + len))
    return -EINVAL;
  return 0;
}

/* Each base64 character's value plus one; 0: not one. */
static const uint8_t b64_values[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64};

/* Public base64 (a proof, a signature) in its one form, as b64() writes
 * it: no blanks, '=' padding, the unused bits zero. Table lookups: sodium's
 * decoder runs in constant time, which secrets need (from_b64) and which
 * cost a tenth of a collector's time on the proof of every message. */
static int from_b64_public(const char *text, size_t len, uint8_t *out, size_t want) {
  const unsigned char *t = (const unsigned char *)text;
  size_t pad = (3 - want % 3) % 3, whole = want / 3, o = 0;
  if (len != 4 * ((want + 2) / 3)) return -EINVAL;
  for (size_t g = 0; g < whole; g++, t += 4, o += 3) {
    unsigned a = b64_values[t[0]], b = b64_values[t[1]], c = b64_values[t[2]], d = b64_values[t[3]];
    if (!a || !b || !c || !d) return -EINVAL;
    uint32_t v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
    out[o] = (uint8_t)(v >> 16);
    out[o + 1] = (uint8_t)(v >> 8);
    out[o + 2] = (uint8_t)v;
  }
  if (!pad) return 0;
  /* the last group: 2 or 3 characters, then '=' for the rest */
  unsigned a = b64_values[t[0]], b = b64_values[t[1]], c = pad == 1 ? b64_values[t[2]] : 1;
  if (!a || !b || !c || t[3] != '=' || (pad == 2 && t[2] != '=')) return -EINVAL;
  uint32_t v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6;
  out[o] = (uint8_t)(v >> 16);
  if (pad == 1) out[o + 1] = (uint8_t)(v >> 8);
  /* the bits past the last byte must be zero */
  return (pad == 1 ? v & 0xff : v & 0xffff) ? -EINVAL : 0;
}

int soc_sign_pub_parse(const char *text, size_t len, soc_sign_pub *out) {
  if (!text || ready() < 0) return -EINVAL;
  return from_b64(text, len, out->bytes, sizeof out->bytes);
}

void soc_sign_pub_text(const soc_sign_pub *pub, char out[SOC_SIGN_PUB_TEXT + 1]) {
  sodium_bin2base64(out, SOC_SIGN_PUB_TEXT + 1, pub->bytes, sizeof pub->bytes,
                    sodium_base64_VARIANT_ORIGINAL);
}

void soc_sign_fingerprint(const soc_sign_pub *pub, char out[SOC_SIGN_FPR_TEXT + 1]) {
  uint8_t d[SOC_SHA256_LEN] = {0};
  char hex[2 * SOC_SHA256_LEN + 1];
  soc_sha256(pub->bytes, sizeof pub->bytes, d);
  soc_hex(d, 16, hex);
  size_t o = 0;
  for (size_t i = 0; i < 32; i++) {
    if (i && i % 4 == 0) out[o++] = ':';
    out[o++] = hex[i];
  }
  out[o] = '\0';
}

/* The signed bytes: the label, then each part as an 8-byte big-endian
 * length and the bytes, so no two different messages give the same input. */
static void feed(crypto_sign_state *st, const void *p, size_t len) {
  uint8_t n[8];
  for (int i = 0; i < 8; i++) n[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  crypto_sign_update(st, n, sizeof n);
  if (len) crypto_sign_update(st, p, len);
}

static void feed_all(crypto_sign_state *st, const char *topic, const void *key, size_t key_len,
                     const void *payload, size_t len) {
  crypto_sign_init(st);
  crypto_sign_update(st, (const uint8_t *)LABEL, sizeof LABEL);
  feed(st, topic, strlen(topic));
  feed(st, key, key_len);
  feed(st, payload, len);
}

int soc_sign_message(const soc_sign_key *k, const char *topic, const void *key, size_t key_len,
                     const void *payload, size_t len, char out[SOC_SIGN_SIG_TEXT + 1]) {
  crypto_sign_state st;
  uint8_t sig[crypto_sign_BYTES];
  feed_all(&st, topic, key, key_len, payload, len);
  if (crypto_sign_final_create(&st, sig, NULL, k->sk) != 0) return -EIO;
  sodium_bin2base64(out, SOC_SIGN_SIG_TEXT + 1, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  return 0;
}

int soc_sign_verify(const soc_sign_pub *pub, const char *topic, const void *key, size_t key_len,
                    const void *payload, size_t len, const void *sig, size_t sig_len) {
  crypto_sign_state st;
  uint8_t raw[crypto_sign_BYTES];
  if (!sig || sig_len != SOC_SIGN_SIG_TEXT || ready() < 0 ||
      from_b64(sig, sig_len, raw, sizeof raw) < 0)
    return -EBADMSG;
  feed_all(&st, topic, key, key_len, payload, len);
  return crypto_sign_final_verify(&st, raw, pub->bytes) == 0 ? 0 : -EBADMSG;
}

/* ---- batches ------------------------------------------------------------------- */

static const char LEAF_LABEL[] = "socagent message leaf v1";
static const char ROOT_LABEL[] = "socagent batch root v1";

/* The hashes are OpenSSL's (hash.h), which use the CPU's SHA extensions
 * where there are some: on the dev box a proof took 4.6 µs with
 * libsodium's portable SHA-256. */

/* A leaf's input before its payload (the label, the topic, the key and
 * the three lengths), gathered so that each message feeds SHA-256 twice
 * rather than seven times: the same bytes, a tenth of the calls' cost. */
typedef struct {
  soc_sha256_ctx *c; /* NULL: the head is only gathered (soc_sign_leaves) */
  size_t n;
  int over; /* without c: the head does not fit in b */
  uint8_t b[256];
} gather;

static void gather_flush(gather *g) {
  if (g->n) soc_sha256_update(g->c, g->b, g->n);
  g->n = 0;
}

static void gather_put(gather *g, const void *p, size_t len) {
  if (len > sizeof g->b - g->n) {
    if (!g->c) {
      g->over = 1;
      return;
    }
    gather_flush(g);
    if (len > sizeof g->b) {
      soc_sha256_update(g->c, p, len);
      return;
    }
  }
  memcpy(g->b + g->n, p, len);
  g->n += len;
}

/* A length as 8 bytes, big-endian: what comes before each part. */
static void gather_len(gather *g, size_t len) {
  uint8_t n[8];
  for (int i = 0; i < 8; i++) n[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  gather_put(g, n, sizeof n);
}

/* What a leaf hashes before its payload: the label, the topic, the key
 * and the three lengths. */
static void leaf_head(gather *g, const char *topic, size_t topic_len, const void *key,
                      size_t key_len, size_t len) {
  gather_put(g, LEAF_LABEL, sizeof LEAF_LABEL);
  gather_len(g, topic_len);
  gather_put(g, topic, topic_len);
  gather_len(g, key_len);
  gather_put(g, key, key_len);
  gather_len(g, len);
}

void soc_sign_leaf_with(soc_sha256_ctx *c, const char *topic, const void *key, size_t key_len,
                        const void *payload, size_t len, uint8_t out[SOC_SIGN_HASH_LEN]) {
  gather g = {.c = c};
  /* without memory the leaf is all ones: it matches no proof, so the
   * message is refused rather than accepted */
  memset(out, 0xff, SOC_SIGN_HASH_LEN);
  if (soc_sha256_restart(c) < 0) return;
  leaf_head(&g, topic, strlen(topic), key, key_len, len);
  gather_flush(&g);
  soc_sha256_update(c, payload, len);
  if (soc_sha256_final(c, out) < 0) memset(out, 0xff, SOC_SIGN_HASH_LEN);
}

void soc_sign_leaf(const char *topic, const void *key, size_t key_len, const void *payload,
                   size_t len, uint8_t out[SOC_SIGN_HASH_LEN]) {
  soc_sha256_ctx *c = soc_sha256_new();
  soc_sign_leaf_with(c, topic, key, key_len, payload, len, out);
  soc_sha256_free(c);
}

/* A chunk of leaves at a time: their heads on the stack (4 KiB). */
#define LEAVES_CHUNK 16

void soc_sign_leaves(const char *topic, const soc_sign_item *items, size_t n,
                     uint8_t (*out)[SOC_SIGN_HASH_LEN]) {
  size_t topic_len = strlen(topic);
  for (size_t first = 0; first < n; first += LEAVES_CHUNK) {
    gather head[LEAVES_CHUNK];
    soc_sha256_parts parts[LEAVES_CHUNK];
    uint8_t digest[LEAVES_CHUNK][SOC_SHA256_LEN];
    size_t at[LEAVES_CHUNK], k = 0;
    for (size_t i = first; i < n && i < first + LEAVES_CHUNK; i++) {
      gather *g = &head[k];
      g->c = NULL;
      g->n = 0;
      g->over = 0;
      leaf_head(g, topic, topic_len, items[i].key, items[i].key_len, items[i].event_len);
      if (g->over) { /* a topic and key past 200 bytes: alone, through a context */
        soc_sign_leaf(topic, items[i].key, items[i].key_len, items[i].event, items[i].event_len,
                      out[i]);
        continue;
      }
      parts[k] = (soc_sha256_parts){
          .head = g->b, .head_len = g->n, .body = items[i].event, .body_len = items[i].event_len};
      at[k++] = i;
    }
    /* a failure leaves all ones, which match no root: refused, not accepted */
    if (soc_sha256_many(parts, k, digest) < 0) memset(digest, 0xff, sizeof digest);
    for (size_t j = 0; j < k; j++) memcpy(out[at[j]], digest[j], SOC_SIGN_HASH_LEN);
  }
}

/* An inner node: a prefix byte no leaf input starts with (leaves start
 * with LEAF_LABEL), so a node can never pass for a message. */
static const uint8_t NODE_PREFIX = 1;
static void node(soc_sha256_ctx *c, const uint8_t *l, const uint8_t *r, uint8_t *out) {
  uint8_t in[1 + 2 * SOC_SIGN_HASH_LEN];
  in[0] = NODE_PREFIX;
  memcpy(in + 1, l, SOC_SIGN_HASH_LEN);
  memcpy(in + 1 + SOC_SIGN_HASH_LEN, r, SOC_SIGN_HASH_LEN);
  if (soc_sha256_restart(c) < 0 || soc_sha256_update(c, in, sizeof in) < 0 ||
      soc_sha256_final(c, out) < 0)
    memset(out, 0xff, SOC_SIGN_HASH_LEN);
}

/* What the key signs: the label, the tree's depth, the root. */
static void root_message(const uint8_t *root, unsigned depth, uint8_t *msg, size_t *len) {
  memcpy(msg, ROOT_LABEL, sizeof ROOT_LABEL);
  msg[sizeof ROOT_LABEL] = (uint8_t)depth;
  memcpy(msg + sizeof ROOT_LABEL + 1, root, SOC_SIGN_HASH_LEN);
  *len = sizeof ROOT_LABEL + 1 + SOC_SIGN_HASH_LEN;
}

static const char B64_TAB[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/* The two characters of every 12 bits, so a group of 3 bytes is two look-ups. */
static char b64_pairs[4096][2];
static pthread_once_t b64_pairs_once = PTHREAD_ONCE_INIT;

static void b64_pairs_fill(void) {
  for (unsigned v = 0; v < 4096; v++) {
    b64_pairs[v][0] = B64_TAB[v >> 6];
    b64_pairs[v][1] = B64_TAB[v & 63];
  }
}

/* Base64 (RFC 4648, padded: sodium's ORIGINAL variant) of n bytes into out,
 * which holds cap >= 4 * ((n + 2) / 3) + 1 bytes. The proofs are public: no
 * need for sodium's constant-time encoder, which was a tenth of the
 * forwarder's CPU at one proof per message. */
static void b64(char *out, size_t cap, const uint8_t *in, size_t n) {
  size_t o = 0;
  if (cap < 4 * ((n + 2) / 3) + 1) {
    if (cap) out[0] = '\0';
    return;
  }
  pthread_once(&b64_pairs_once, b64_pairs_fill);
  size_t i = 0;
  /* whole groups, two characters at a time: a proof is 64 groups */
  for (; i + 3 <= n; i += 3, o += 4) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    memcpy(out + o, b64_pairs[v >> 12], 2);
    memcpy(out + o + 2, b64_pairs[v & 0xfff], 2);
  }
  if (i < n) { /* 1 or 2 bytes left: '=' for the missing */
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = B64_TAB[v >> 18];
    out[o++] = B64_TAB[v >> 12 & 63];
    out[o++] = i + 1 < n ? B64_TAB[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  out[o] = '\0';
}

_Static_assert(SOC_SIGN_BATCH_MAX <= 100 && SOC_SIGN_DEPTH_MAX < 10,
               "a proof's index has two digits at most, its depth one");

/* Every level of the tree of n leaves (1..SOC_SIGN_JOINED_MAX), padded
 * with zero leaves to a power of two: level l starts at base[l], the root
 * is tree[base[*depth]]. A level's nodes are hashed two at a time
 * (soc_sha256_many): each node's children lie side by side, its input is
 * the prefix byte and those 64 bytes. Returns 0 or -EIO. */
static int build_tree(const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                      uint8_t tree[2 * SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN],
                      size_t base[SOC_SIGN_JOINED_DEPTH_MAX + 1], unsigned *depth) {
  soc_sha256_parts parts[SOC_SIGN_JOINED_MAX / 2];
  size_t width = 1, at = 0;
  unsigned d = 0;
  while (width < n) width *= 2, d++;
  /* the padding leaves only: the levels above are all written */
  memset(tree + n, 0, (width - n) * SOC_SIGN_HASH_LEN);
  memcpy(tree, leaves, n * SOC_SIGN_HASH_LEN);
  for (unsigned l = 0, w = (unsigned)width; l <= d; l++, w /= 2) {
    base[l] = at;
    if (l) {
      for (unsigned i = 0; i < w; i++)
        parts[i] = (soc_sha256_parts){.head = &NODE_PREFIX,
                                      .head_len = 1,
                                      .body = tree[base[l - 1] + 2 * i],
                                      .body_len = 2 * SOC_SIGN_HASH_LEN};
      if (soc_sha256_many(parts, w, tree + at) < 0) return -EIO;
    }
    at += w;
  }
  *depth = d;
  return 0;
}

int soc_sign_batch_root(const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        uint8_t root[SOC_SIGN_HASH_LEN], unsigned *depth) {
  uint8_t tree[2 * SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
  size_t base[SOC_SIGN_JOINED_DEPTH_MAX + 1];
  if (!n || n > SOC_SIGN_JOINED_MAX) return -EINVAL;
  int rc = build_tree(leaves, n, tree, base, depth);
  if (rc < 0) return rc;
  memcpy(root, tree[base[*depth]], SOC_SIGN_HASH_LEN);
  return 0;
}

/* The root's signature as text into out. */
static int sign_root(const soc_sign_key *k, const uint8_t *root, unsigned depth,
                     char out[SOC_SIGN_SIG_TEXT + 1]) {
  uint8_t msg[sizeof ROOT_LABEL + 1 + SOC_SIGN_HASH_LEN], sig[crypto_sign_BYTES];
  size_t mlen = 0;
  root_message(root, depth, msg, &mlen);
  if (crypto_sign_detached(sig, NULL, msg, mlen, k->sk) != 0) return -EIO;
  b64(out, SOC_SIGN_SIG_TEXT + 1, sig, sizeof sig);
  return 0;
}

int soc_sign_batch_sign(const soc_sign_key *k, const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        char out[SOC_SIGN_SIG_TEXT + 1]) {
  uint8_t root[SOC_SIGN_HASH_LEN];
  unsigned depth = 0;
  int rc = soc_sign_batch_root(leaves, n, root, &depth);
  return rc < 0 ? rc : sign_root(k, root, depth, out);
}

int soc_sign_batch_make(const soc_sign_key *k, const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        soc_sign_batch *out) {
  /* every level of the tree, the leaves first: 2 * 64 nodes at most here */
  uint8_t tree[2 * SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
  size_t base[SOC_SIGN_JOINED_DEPTH_MAX + 1];
  unsigned depth = 0;
  if (!n || n > SOC_SIGN_BATCH_MAX) return -EINVAL;
  if (build_tree(leaves, n, tree, base, &depth) < 0) return -EIO;
  if (sign_root(k, tree[base[depth]], depth, out->sig) < 0) return -EIO;
  for (size_t i = 0; i < n; i++) {
    uint8_t path[SOC_SIGN_DEPTH_MAX * SOC_SIGN_HASH_LEN];
    size_t idx = i;
    for (unsigned l = 0; l < depth; l++, idx /= 2)
      memcpy(path + l * SOC_SIGN_HASH_LEN, tree[base[l] + (idx ^ 1)], SOC_SIGN_HASH_LEN);
    /* "INDEX:DEPTH:" by hand: snprintf was a tenth of the signing here;
     * the index is below 64 and the depth below 10 */
    char *p = out->proof[i];
    size_t w = 0;
    if (i >= 10) p[w++] = (char)('0' + i / 10);
    p[w++] = (char)('0' + i % 10);
    p[w++] = ':';
    p[w++] = (char)('0' + depth);
    p[w++] = ':';
    b64(p + w, sizeof out->proof[i] - w, path, depth * SOC_SIGN_HASH_LEN);
  }
  return 0;
}

size_t soc_sign_pack(const char *key_text, const char *root_sig, const char *proof,
                     char out[SOC_SIGN_PACKED_TEXT + 1]) {
  size_t kl = strlen(key_text), rl = strlen(root_sig), pl = strlen(proof);
  if (kl != SOC_SIGN_PUB_TEXT || rl != SOC_SIGN_SIG_TEXT || !pl || pl > SOC_SIGN_PROOF_TEXT)
    return 0;
  memcpy(out, key_text, kl);
  out[kl] = '.';
  memcpy(out + kl + 1, root_sig, rl);
  out[kl + 1 + rl] = '.';
  memcpy(out + kl + rl + 2, proof, pl + 1);
  return kl + rl + 2 + pl;
}

int soc_sign_unpack(const void *packed, size_t len, soc_sign_parts *out) {
  const char *p = packed;
  size_t proof_at = SOC_SIGN_PUB_TEXT + 1 + SOC_SIGN_SIG_TEXT + 1;
  if (!p || len <= proof_at || len > SOC_SIGN_PACKED_TEXT || p[SOC_SIGN_PUB_TEXT] != '.' ||
      p[proof_at - 1] != '.' || memchr(p + proof_at, '.', len - proof_at) ||
      memchr(p, '.', SOC_SIGN_PUB_TEXT) ||
      memchr(p + SOC_SIGN_PUB_TEXT + 1, '.', SOC_SIGN_SIG_TEXT))
    return -EBADMSG;
  *out = (soc_sign_parts){.key = p,
                          .key_len = SOC_SIGN_PUB_TEXT,
                          .root_sig = p + SOC_SIGN_PUB_TEXT + 1,
                          .root_sig_len = SOC_SIGN_SIG_TEXT,
                          .proof = p + proof_at,
                          .proof_len = len - proof_at};
  return 0;
}

void soc_sign_pack_batch(const char *key_text, const char *root_sig,
                         char out[SOC_SIGN_BATCH_PACKED_TEXT]) {
  memcpy(out, key_text, SOC_SIGN_PUB_TEXT);
  out[SOC_SIGN_PUB_TEXT] = '.';
  memcpy(out + SOC_SIGN_PUB_TEXT + 1, root_sig, SOC_SIGN_SIG_TEXT);
}

int soc_sign_unpack_batch(const void *packed, size_t len, soc_sign_parts *out) {
  const char *p = packed;
  if (!p || len != SOC_SIGN_BATCH_PACKED_TEXT || p[SOC_SIGN_PUB_TEXT] != '.' ||
      memchr(p, '.', SOC_SIGN_PUB_TEXT) ||
      memchr(p + SOC_SIGN_PUB_TEXT + 1, '.', SOC_SIGN_SIG_TEXT))
    return -EBADMSG;
  *out = (soc_sign_parts){.key = p,
                          .key_len = SOC_SIGN_PUB_TEXT,
                          .root_sig = p + SOC_SIGN_PUB_TEXT + 1,
                          .root_sig_len = SOC_SIGN_SIG_TEXT};
  return 0;
}

int soc_sign_keys_add(char *out, size_t cap, size_t *used, const void *key, size_t len) {
  char num[8];
  size_t d = 0;
  if (len > SOC_SIGN_MSGKEY_MAX || (len && !key)) return -EINVAL;
  /* the length's digits, last first */
  for (size_t v = len; d == 0 || v; v /= 10) num[d++] = (char)('0' + v % 10);
  if (cap - *used < d + 1 + len) return -ENOSPC;
  for (size_t i = 0; i < d; i++) out[*used + i] = num[d - 1 - i];
  out[*used + d] = ':';
  if (len) memcpy(out + *used + d + 1, key, len);
  *used += d + 1 + len;
  return 0;
}

/* SOC_SIGN_JOINED_MAX in the words of a refusal */
#define TEXT_OF(x) #x
#define TEXT(x) TEXT_OF(x)
#define JOINED_MAX_TEXT TEXT(SOC_SIGN_JOINED_MAX)

/* The next key of a "keys" header at p[*at..len): a length without
 * leading zeros, at most SOC_SIGN_MSGKEY_MAX, ':' and that many bytes. */
static int next_key(const char *p, size_t len, size_t *at, soc_sign_item *it) {
  size_t i = *at, v = 0, digits = 0;
  while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 5)
    v = v * 10 + (size_t)(p[i++] - '0'), digits++;
  if (!digits || (digits > 1 && p[*at] == '0') || v > SOC_SIGN_MSGKEY_MAX || i >= len ||
      p[i] != ':' || len - i - 1 < v)
    return -EBADMSG;
  it->key = p + i + 1;
  it->key_len = v;
  *at = i + 1 + v;
  return 0;
}

int soc_sign_batch_split(const void *payload, size_t len, const void *keys, size_t keys_len,
                         soc_sign_item out[SOC_SIGN_JOINED_MAX], size_t *n, const char **why) {
  const char *p = payload, *end = p + len;
  size_t count = 0, at = 0;
  *n = 0;
  *why = "no events or no keys";
  if (!p || !len || !keys || !keys_len) return -EBADMSG;
  for (const char *s = p;; count++) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    if (count == SOC_SIGN_JOINED_MAX) {
      *why = "more than " JOINED_MAX_TEXT " events";
      return -EBADMSG;
    }
    if (e == s) {
      *why = "an empty event (two newlines together, or one at an end)";
      return -EBADMSG;
    }
    out[count].event = s;
    out[count].event_len = (size_t)(e - s);
    if (next_key(keys, keys_len, &at, &out[count]) < 0) {
      *why = "fewer keys than events, or a key not framed as LEN:KEY";
      return -EBADMSG;
    }
    if (!nl) break;
    s = nl + 1;
  }
  if (at != keys_len) {
    *why = "more keys than events";
    return -EBADMSG;
  }
  *n = count + 1;
  *why = "";
  return 0;
}

static int tree_has(const soc_sign_tree *t, unsigned h, const uint8_t *v) {
  return (t->known[h / 64] >> (h % 64) & 1) && !memcmp(t->node[h], v, SOC_SIGN_HASH_LEN);
}

/* 1 when the path's node cur at level l is t's and so are the proof's
 * siblings from there up: then the root is t's. */
static int tree_meets(const soc_sign_tree *t, const uint8_t *cur, const uint8_t *path, unsigned l,
                      unsigned d, unsigned idx) {
  if (!t || !t->used || t->depth != d || !tree_has(t, (1u << (d - l)) + (idx >> l), cur)) return 0;
  for (unsigned k = l; k < d; k++)
    if (!tree_has(t, ((1u << (d - k)) + (idx >> k)) ^ 1u, path + k * SOC_SIGN_HASH_LEN)) return 0;
  return 1;
}

int soc_sign_proof_root_tree(const soc_sign_tree *t, const uint8_t leaf[SOC_SIGN_HASH_LEN],
                             const void *proof, size_t proof_len, uint8_t root[SOC_SIGN_HASH_LEN],
                             unsigned *depth, soc_sign_path *out) {
  const char *p = proof;
  uint8_t path[SOC_SIGN_DEPTH_MAX * SOC_SIGN_HASH_LEN], cur[SOC_SIGN_HASH_LEN];
  unsigned idx = 0, d = 0, l = 0;
  size_t used = 0;
  if (!proof || proof_len > SOC_SIGN_PROOF_TEXT || ready() < 0) return -EBADMSG;
  /* "INDEX:DEPTH:" exactly as soc_sign_batch_make writes it: decimal
   * without sign, blanks or leading zeros, so one proof has one text */
  while (used < proof_len && used < 3 && p[used] >= '0' && p[used] <= '9')
    idx = idx * 10 + (unsigned)(p[used++] - '0');
  if (!used || used > 2 || (used == 2 && p[0] == '0') || used + 3 > proof_len || p[used] != ':' ||
      p[used + 1] < '0' || p[used + 1] > '9' || p[used + 2] != ':')
    return -EBADMSG;
  d = (unsigned)(p[used + 1] - '0');
  used += 3;
  if (d > SOC_SIGN_DEPTH_MAX || idx >= (1u << d)) return -EBADMSG;
  if (d && from_b64_public(p + used, proof_len - used, path, d * SOC_SIGN_HASH_LEN) < 0)
    return -EBADMSG;
  if (!d && used != proof_len) return -EBADMSG;
  out->idx = idx;
  out->depth = d;
  memcpy(cur, leaf, SOC_SIGN_HASH_LEN);
  /* made at the first node hashed (none when the leaf meets the tree); a
   * NULL one (no memory) gives nodes of all ones: no root, the proof fails */
  soc_sha256_ctx *c = NULL;
  for (; l < d && !tree_meets(t, cur, path, l, d, idx); l++) {
    const uint8_t *sib = path + l * SOC_SIGN_HASH_LEN;
    memcpy(out->node[l], cur, SOC_SIGN_HASH_LEN);
    memcpy(out->sib[l], sib, SOC_SIGN_HASH_LEN);
    if (!c) c = soc_sha256_new();
    if (idx >> l & 1)
      node(c, sib, cur, cur);
    else
      node(c, cur, sib, cur);
  }
  soc_sha256_free(c);
  memcpy(out->node[l], cur, SOC_SIGN_HASH_LEN);
  out->top = l;
  memcpy(root, l < d ? t->node[1] : cur, SOC_SIGN_HASH_LEN);
  *depth = d;
  return 0;
}

int soc_sign_proof_root(const uint8_t leaf[SOC_SIGN_HASH_LEN], const void *proof, size_t proof_len,
                        uint8_t root[SOC_SIGN_HASH_LEN], unsigned *depth) {
  soc_sign_path path;
  return soc_sign_proof_root_tree(NULL, leaf, proof, proof_len, root, depth, &path);
}

static void tree_put(soc_sign_tree *t, unsigned h, const uint8_t *v) {
  memcpy(t->node[h], v, SOC_SIGN_HASH_LEN);
  t->known[h / 64] |= 1ull << (h % 64);
}

void soc_sign_tree_keep(soc_sign_tree *t, const soc_sign_path *path) {
  unsigned d = path->depth;
  /* a path that met t is of t's tree; one computed to its root starts
   * the tree again unless that root is t's */
  if (path->top == d && (!t->used || t->depth != d || !tree_has(t, 1, path->node[d]))) {
    memset(t->known, 0, sizeof t->known);
    t->used = 1;
    t->depth = d;
  }
  for (unsigned l = 0; l < path->top; l++) {
    unsigned h = (1u << (d - l)) + (path->idx >> l);
    tree_put(t, h, path->node[l]);
    tree_put(t, h ^ 1u, path->sib[l]);
  }
  tree_put(t, (1u << (d - path->top)) + (path->idx >> path->top), path->node[path->top]);
}

int soc_sign_verify_root(const soc_sign_pub *pub, const uint8_t root[SOC_SIGN_HASH_LEN],
                         unsigned depth, const void *sig, size_t sig_len) {
  uint8_t raw[crypto_sign_BYTES], msg[sizeof ROOT_LABEL + 1 + SOC_SIGN_HASH_LEN];
  size_t mlen = 0;
  if (!sig || sig_len != SOC_SIGN_SIG_TEXT || ready() < 0 ||
      from_b64(sig, sig_len, raw, sizeof raw) < 0)
    return -EBADMSG;
  root_message(root, depth, msg, &mlen);
  return crypto_sign_verify_detached(raw, msg, mlen, pub->bytes) == 0 ? 0 : -EBADMSG;
}

/* ---- key files ---------------------------------------------------------------- */

/* Reads a one-line file of at most FILE_MAX bytes. private: refuse it when
 * others than its owner may read it. */
static int read_small(const char *path, int private, char *buf, size_t *len, char *err,
                      size_t errlen) {
  int result = -EIO;
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    result = -errno;
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return result;
  }
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a plain file", path);
    goto out;
  }
  if (private && (st.st_mode & 077)) {
    result = -EPERM;
    snprintf(err, errlen, "%s: mode %03o; a secret key must be 0600 (chmod 600 it)", path,
             (unsigned)(st.st_mode & 0777));
    goto out;
  }
  ssize_t n = read(fd, buf, FILE_MAX);
  if (n < 0) {
    result = -errno;
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    goto out;
  }
  *len = (size_t)n;
  result = 0;
out:
  close(fd);
  return result;
}

/* Writes text to path through a temporary file: with exclusive, linked
 * into place only if path does not exist yet (-EEXIST otherwise). */
static int write_file(const char *path, const char *text, mode_t mode, int exclusive, char *err,
                      size_t errlen) {
  int result = -EIO;
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
    snprintf(err, errlen, "%s: path too long", path);
    return -ENAMETOOLONG;
  }
  unlink(tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    result = -errno;
    snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    return result;
  }
  size_t len = strlen(text);
  int ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  if (close(fd) < 0) ok = 0;
  if (!ok) {
    result = -errno;
    snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    goto out;
  }
  if ((exclusive ? link(tmp, path) : rename(tmp, path)) < 0) {
    result = -errno;
    if (errno != EEXIST) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    goto out;
  }
  result = 0;
out:
  unlink(tmp);
  return result;
}

static int write_pub(const char *path, const soc_sign_pub *pub, char *err, size_t errlen) {
  char name[4096], text[SOC_SIGN_PUB_TEXT + 2];
  if ((size_t)snprintf(name, sizeof name, "%s.pub", path) >= sizeof name) {
    snprintf(err, errlen, "%s: path too long", path);
    return -ENAMETOOLONG;
  }
  soc_sign_pub_text(pub, text);
  strcat(text, "\n");
  return write_file(name, text, 0644, 0, err, errlen);
}

/* A new seed, linked into place unless another process was first. */
static int create_key(const char *path, char *err, size_t errlen) {
  uint8_t seed[crypto_sign_SEEDBYTES];
  char text[SEED_TEXT + 2];
  randombytes_buf(seed, sizeof seed);
  sodium_bin2base64(text, SEED_TEXT + 1, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
  strcat(text, "\n");
  int rc = write_file(path, text, 0600, 1, err, errlen);
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(text, sizeof text);
  return rc == -EEXIST ? 0 : rc;
}

int soc_sign_key_load(const char *path, int create, soc_sign_key **out, int *created, char *err,
                      size_t errlen) {
  int result = -EIO;
  char buf[FILE_MAX];
  uint8_t seed[crypto_sign_SEEDBYTES];
  size_t len = 0;
  soc_sign_key *k = NULL;
  *out = NULL;
  if (created) *created = 0;
  if (ready() < 0) {
    snprintf(err, errlen, "libsodium cannot start");
    return -EIO;
  }
  if (create && access(path, F_OK) < 0 && errno == ENOENT) {
    if ((result = create_key(path, err, errlen)) < 0) return result;
    if (created) *created = 1;
  }
  if ((result = read_small(path, 1, buf, &len, err, errlen)) < 0) goto out;
  result = -EBADMSG;
  while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) len--;
  if (from_b64(buf, len, seed, sizeof seed) < 0) {
    snprintf(err, errlen, "%s: not a secret key (one line: 32 bytes in base64)", path);
    goto out;
  }
  result = -ENOMEM;
  if (!(k = sodium_malloc(sizeof *k))) goto out;
  crypto_sign_seed_keypair(k->pub.bytes, k->sk, seed);
  result = 0;
  /* The .pub file is only a copy for the commands that show the key: one
   * missing or stale is written again, never trusted. */
  if (create) {
    soc_sign_pub have;
    if (soc_sign_pub_load(path, &have, err, errlen) < 0 ||
        memcmp(have.bytes, k->pub.bytes, sizeof have.bytes))
      result = write_pub(path, &k->pub, err, errlen);
  }
out:
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(buf, sizeof buf);
  if (result == 0)
    *out = k;
  else
    soc_sign_key_free(k);
  return result;
}

int soc_sign_pub_load(const char *path, soc_sign_pub *out, char *err, size_t errlen) {
  char buf[FILE_MAX], name[4096];
  size_t len = 0;
  size_t n = strlen(path);
  /* Given the secret key's path, the public key is beside it. */
  if ((size_t)snprintf(name, sizeof name, "%s%s", path,
                       n > 4 && !strcmp(path + n - 4, ".pub") ? "" : ".pub") >= sizeof name) {
    snprintf(err, errlen, "%s: path too long", path);
    return -ENAMETOOLONG;
  }
  int rc = read_small(name, 0, buf, &len, err, errlen);
  if (rc < 0) return rc;
  if (soc_sign_pub_parse(buf, len, out) < 0) {
    snprintf(err, errlen, "%s: not a public key (one line: 32 bytes in base64)", name);
    return -EBADMSG;
  }
  return 0;
}

void soc_sign_key_free(soc_sign_key *k) {
  if (k) sodium_free(k); /* wipes it */
}

const soc_sign_pub *soc_sign_key_pub(const soc_sign_key *k) { return &k->pub; }
