/*
 * sign — Ed25519 signatures (libsodium) over a Kafka message: who sent it
 * is proved by a key, not by a name in a header.
 *
 * What is signed is the topic, the message key and the payload, each with
 * its length, after a fixed label, so a signature made for one topic or
 * key cannot be moved to another message. It is Ed25519ph (the message is
 * hashed once with SHA-512 in pieces, then signed), so nothing is copied
 * to put the three parts together.
 *
 * Text forms: a public key is its 32 bytes in base64 (44 characters), a
 * signature its 64 bytes in base64 (88); both travel in Kafka headers and
 * in configuration files. A fingerprint is the first 16 bytes of the
 * SHA-256 of the public key, in hex, in groups of four: what people compare.
 *
 * Key files: the secret key file holds the 32-byte seed in base64 and a
 * newline, mode 0600; "<file>.pub" holds the public key the same way, mode
 * 0644, for the commands that only show it. The secret is never printed.
 *
 * Ownership: a soc_sign_key is owned by whoever got it from
 * soc_sign_key_load and is freed (its secret wiped) by soc_sign_key_free.
 * A soc_sign_pub is a plain value.
 */
#ifndef SOC_SIGN_H
#define SOC_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "soc/hash.h"

#define SOC_SIGN_PUB_LEN 32
#define SOC_SIGN_PUB_TEXT 44 /* base64 of a public key, without the NUL */
#define SOC_SIGN_SIG_TEXT 88 /* base64 of a signature, without the NUL */
#define SOC_SIGN_FPR_TEXT 39 /* "xxxx:xxxx:...": 8 groups of 4 hex digits */

typedef struct soc_sign_pub {
  uint8_t bytes[SOC_SIGN_PUB_LEN];
} soc_sign_pub;

typedef struct soc_sign_key soc_sign_key;

/* Loads the secret key in path; with create, makes a new pair first when
 * the file does not exist (0600, and path.pub 0644; two starts racing end
 * with one key). OUT: *out; *created = 1 when it was made now (may be NULL).
 * Returns 0, or a negative errno with err saying what is wrong with which
 * file (-EBADMSG: not a key file; -EPERM: readable by others). */
int soc_sign_key_load(const char *path, int create, soc_sign_key **out, int *created, char *err,
                      size_t errlen);
void soc_sign_key_free(soc_sign_key *k);
const soc_sign_pub *soc_sign_key_pub(const soc_sign_key *k);

/* The signature of (topic, key, payload) as text into out (SOC_SIGN_SIG_TEXT
 * + 1 bytes). key may be NULL when key_len is 0. Returns 0 or -EIO. */
int soc_sign_message(const soc_sign_key *k, const char *topic, const void *key, size_t key_len,
                     const void *payload, size_t len, char out[SOC_SIGN_SIG_TEXT + 1]);
/* 0 when sig (sig_len bytes of text, not NUL-terminated) is pub's signature
 * of (topic, key, payload); -EBADMSG when it is not or is not a signature. */
int soc_sign_verify(const soc_sign_pub *pub, const char *topic, const void *key, size_t key_len,
                    const void *payload, size_t len, const void *sig, size_t sig_len);

/* ---- batches: one signature for many messages ----------------------------------
 * Signing each message costs ~20 µs and verifying ~55 µs. A batch of up to
 * SOC_SIGN_BATCH_MAX messages is signed once instead: each message's leaf
 * is the SHA-256 of (label, topic, key, payload); the leaves (padded with
 * zero leaves to a power of two) make a Merkle tree, and the root is signed.
 * Each message carries the root's signature and its proof (its index and
 * the sibling hashes up to the root), so it can still be checked alone, in
 * any order, on any partition; a checker that has seen the root verified
 * for a key needs only the hashes for the rest of the batch. */
#define SOC_SIGN_BATCH_MAX 64
#define SOC_SIGN_DEPTH_MAX 6 /* log2(SOC_SIGN_BATCH_MAX) */
/* Events joined in one message (below) need no proofs, so their batch may
 * be larger: one Ed25519 signature for up to 1024 events, a tree of depth
 * 10 at most (the signed root names its depth, and proofs stay within
 * SOC_SIGN_DEPTH_MAX, so no root of one form passes for the other's).
 * 1024, not 256 as before: an idempotent producer keeps at most five
 * *messages* in flight, so the events a message holds bound what one round
 * trip to the brokers carries (docs/BENCHMARKS.md, issue 20 step 44). */
#define SOC_SIGN_JOINED_MAX 1024
#define SOC_SIGN_JOINED_DEPTH_MAX 10 /* log2(SOC_SIGN_JOINED_MAX) */
#define SOC_SIGN_HASH_LEN 32
/* "INDEX:DEPTH:" and the siblings in base64 */
#define SOC_SIGN_PROOF_TEXT (8 + 4 * ((SOC_SIGN_DEPTH_MAX * SOC_SIGN_HASH_LEN + 2) / 3))

void soc_sign_leaf(const char *topic, const void *key, size_t key_len, const void *payload,
                   size_t len, uint8_t out[SOC_SIGN_HASH_LEN]);
/* The same leaf through c, a context the caller keeps for many leaves
 * (restarted here): no allocation per leaf, for the forwarder's hot path. */
void soc_sign_leaf_with(soc_sha256_ctx *c, const char *topic, const void *key, size_t key_len,
                        const void *payload, size_t len, uint8_t out[SOC_SIGN_HASH_LEN]);

/* The leaves of n messages of one topic (a joined message's events), as
 * soc_sign_leaf makes them, out[i] for items[i] (event = payload); two at
 * a time where the CPU allows (soc_sha256_many). */
typedef struct soc_sign_item soc_sign_item;
void soc_sign_leaves(const char *topic, const soc_sign_item *items, size_t n,
                     uint8_t (*out)[SOC_SIGN_HASH_LEN]);

typedef struct soc_sign_batch {
  char sig[SOC_SIGN_SIG_TEXT + 1];                         /* the root's signature */
  char proof[SOC_SIGN_BATCH_MAX][SOC_SIGN_PROOF_TEXT + 1]; /* message i's proof */
} soc_sign_batch;
/* Signs the n leaves (1..SOC_SIGN_BATCH_MAX). Returns 0, -EINVAL, -ENOMEM or -EIO. */
int soc_sign_batch_make(const soc_sign_key *k, const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        soc_sign_batch *out);
/* The root that leaf and proof (text, proof_len bytes) lead to. Returns 0,
 * or -EBADMSG when the proof is not one. */
int soc_sign_proof_root(const uint8_t leaf[SOC_SIGN_HASH_LEN], const void *proof, size_t proof_len,
                        uint8_t root[SOC_SIGN_HASH_LEN], unsigned *depth);
/* An event's signature in one header ("sig"): the sender's public key, the
 * batch root's signature and the event's proof, in their text forms,
 * joined by '.' (a character none of them has). It replaces three headers
 * (agent.key, sig.root, sig.proof) with the same values: librdkafka
 * allocates, copies and frees every header of every message, which was
 * about a tenth of the forwarder's CPU. Collectors take both forms. */
#define SOC_SIGN_PACKED_TEXT (SOC_SIGN_PUB_TEXT + 1 + SOC_SIGN_SIG_TEXT + 1 + SOC_SIGN_PROOF_TEXT)
typedef struct soc_sign_parts {
  const char *key, *root_sig, *proof; /* into the packed text, not NUL-terminated */
  size_t key_len, root_sig_len, proof_len;
} soc_sign_parts;
/* Writes key_text, root_sig and proof (NUL-terminated texts) joined into
 * out. Returns the length, or 0 when a part is not of its length. */
size_t soc_sign_pack(const char *key_text, const char *root_sig, const char *proof,
                     char out[SOC_SIGN_PACKED_TEXT + 1]);
/* Splits a packed value (len bytes) into its three parts, each of its
 * form's length (the key and root signature exactly, the proof 1 to
 * SOC_SIGN_PROOF_TEXT). Returns 0 or -EBADMSG; what the parts say is
 * checked where they are used. */
int soc_sign_unpack(const void *packed, size_t len, soc_sign_parts *out);

/* ---- a whole batch in one message ------------------------------------------------
 * The events of one signed batch travel as one Kafka message: the payload
 * is their JSON texts joined by '\n' (none at the end; the agent's JSON
 * writer escapes every control character, and an event that has a raw
 * newline all the same travels alone in the form above), the header
 * "sig.batch" holds the sender's public key and the root's signature
 * joined by '.', and the header "keys" each event's message key, in order,
 * as its length in decimal (no leading zero), ':' and its bytes. The
 * leaves, the tree and the signed root are the ones above: a checker
 * rebuilds the root from all the events and checks the one signature, no
 * proof needed. Any other count, order or byte gives another root. */
#define SOC_SIGN_BATCH_PACKED_TEXT (SOC_SIGN_PUB_TEXT + 1 + SOC_SIGN_SIG_TEXT)
#define SOC_SIGN_MSGKEY_MAX 1024 /* an event's message key: a host name or a source */
#define SOC_SIGN_KEYS_TEXT (SOC_SIGN_JOINED_MAX * (4 + 1 + SOC_SIGN_MSGKEY_MAX))
/* The root of the tree of the n leaves (1..SOC_SIGN_JOINED_MAX) and its
 * depth, as soc_sign_batch_make signs it (which takes SOC_SIGN_BATCH_MAX). Returns 0, -EINVAL or
 * -EIO. */
int soc_sign_batch_root(const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        uint8_t root[SOC_SIGN_HASH_LEN], unsigned *depth);
/* The root's signature alone (no proofs: a joined batch needs none) of
 * 1..SOC_SIGN_JOINED_MAX leaves, the same text soc_sign_batch_make gives
 * in sig. Returns 0, -EINVAL, -ENOMEM
 * or -EIO. */
int soc_sign_batch_sign(const soc_sign_key *k, const uint8_t (*leaves)[SOC_SIGN_HASH_LEN], size_t n,
                        char out[SOC_SIGN_SIG_TEXT + 1]);
/* Appends key (len bytes, at most SOC_SIGN_MSGKEY_MAX) framed for "keys"
 * at out + *used (cap bytes in all). Returns 0, or -ENOSPC / -EINVAL. */
int soc_sign_keys_add(char *out, size_t cap, size_t *used, const void *key, size_t len);
/* One event of a batched message, pointing into the payload and the keys. */
struct soc_sign_item {
  const char *event, *key;
  size_t event_len, key_len;
};
/* Splits a batched message into its events and their keys: 1 to
 * SOC_SIGN_JOINED_MAX events, none empty, exactly as many keys, each framed
 * as soc_sign_keys_add frames it, nothing after the last. OUT: out[0..*n).
 * Returns 0 or -EBADMSG with *why (a static text) saying what is wrong. */
int soc_sign_batch_split(const void *payload, size_t len, const void *keys, size_t keys_len,
                         soc_sign_item out[SOC_SIGN_JOINED_MAX], size_t *n, const char **why);
/* Writes the "sig.batch" value: key_text (SOC_SIGN_PUB_TEXT bytes) and
 * root_sig (SOC_SIGN_SIG_TEXT bytes) joined by '.', exactly
 * SOC_SIGN_BATCH_PACKED_TEXT bytes, not NUL-terminated. */
void soc_sign_pack_batch(const char *key_text, const char *root_sig,
                         char out[SOC_SIGN_BATCH_PACKED_TEXT]);
/* Splits a "sig.batch" value (len bytes) into the key and the root's
 * signature (out->proof NULL). Returns 0 or -EBADMSG. */
int soc_sign_unpack_batch(const void *packed, size_t len, soc_sign_parts *out);

/* The nodes of one batch tree met so far, kept by whoever checks many of
 * its messages: the siblings in the proofs of one batch are the same few
 * nodes, so a message's path is hashed only up to the first node already
 * known, and from there its proof is compared with the known nodes instead
 * of hashed. Every node kept was computed by SHA-256 from its children, so
 * the tree changes what is computed, never the root a proof leads to. Heap
 * order: node 1 is the root, node (1 << (depth - level)) + index a node of
 * that level (0: the leaves). The caller allocates it zeroed. */
typedef struct soc_sign_tree {
  int used;
  unsigned depth;
  uint64_t known[2]; /* one bit per node */
  uint8_t node[2 << SOC_SIGN_DEPTH_MAX][SOC_SIGN_HASH_LEN];
} soc_sign_tree;
/* One proof's path as computed: kept into a tree once its root is verified. */
typedef struct soc_sign_path {
  unsigned idx, depth;
  unsigned top; /* the level where it met the tree, or depth */
  uint8_t node[SOC_SIGN_DEPTH_MAX + 1][SOC_SIGN_HASH_LEN]; /* leaf .. top */
  uint8_t sib[SOC_SIGN_DEPTH_MAX][SOC_SIGN_HASH_LEN];
} soc_sign_path;
/* soc_sign_proof_root, stopping where the path meets t (NULL: none) and
 * the rest of the proof is t's. OUT: *path. Same returns. */
int soc_sign_proof_root_tree(const soc_sign_tree *t, const uint8_t leaf[SOC_SIGN_HASH_LEN],
                             const void *proof, size_t proof_len, uint8_t root[SOC_SIGN_HASH_LEN],
                             unsigned *depth, soc_sign_path *path);
/* Keeps path's nodes in t; a tree of another root is replaced. Call it
 * only with the path of a root verified (a forged one would only waste the
 * slot: its nodes are hashes all the same). */
void soc_sign_tree_keep(soc_sign_tree *t, const soc_sign_path *path);
/* 0 when sig (text) is pub's signature of the root of a tree of depth. */
int soc_sign_verify_root(const soc_sign_pub *pub, const uint8_t root[SOC_SIGN_HASH_LEN],
                         unsigned depth, const void *sig, size_t sig_len);

/* Key rotation: the agent's old key signs (as if a message on this topic,
 * keyed by the agent id) the new public key's 32 bytes; the collector
 * takes the new key on that certificate. No real topic has a space. */
#define SOC_SIGN_ROTATION_TOPIC "socagent key rotation"

/* A public key from its text (len bytes, surrounding blanks ignored).
 * Returns 0 or -EINVAL. */
int soc_sign_pub_parse(const char *text, size_t len, soc_sign_pub *out);
/* Reads a public key file (path.pub or any file holding one). */
int soc_sign_pub_load(const char *path, soc_sign_pub *out, char *err, size_t errlen);
void soc_sign_pub_text(const soc_sign_pub *pub, char out[SOC_SIGN_PUB_TEXT + 1]);
void soc_sign_fingerprint(const soc_sign_pub *pub, char out[SOC_SIGN_FPR_TEXT + 1]);

#endif
