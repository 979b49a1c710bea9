/*
 * Unit tests for sign: key files (created once, 0600, refused when others
 * may read them), signatures that bind the topic, the key and the payload,
 * and the text forms people copy.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "soc/hash.h"
#include "soc/sign.h"

static char dir[] = "/tmp/test_sign.XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", dir, name);
}

static void test_key_created_once(void **state) {
  (void)state;
  char path[256], pubpath[300], err[256];
  struct stat st;
  soc_sign_key *a = NULL, *b = NULL;
  int created = 0;
  path_of(path, sizeof path, "agent.key");
  assert_int_equal(soc_sign_key_load(path, 0, &a, NULL, err, sizeof err), -ENOENT);
  assert_int_equal(soc_sign_key_load(path, 1, &a, &created, err, sizeof err), 0);
  assert_int_equal(created, 1);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  snprintf(pubpath, sizeof pubpath, "%s.pub", path);
  assert_int_equal(stat(pubpath, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  /* loaded again: the same key, not a new one */
  assert_int_equal(soc_sign_key_load(path, 1, &b, &created, err, sizeof err), 0);
  assert_int_equal(created, 0);
  assert_memory_equal(soc_sign_key_pub(a)->bytes, soc_sign_key_pub(b)->bytes, SOC_SIGN_PUB_LEN);
  soc_sign_pub p;
  assert_int_equal(soc_sign_pub_load(path, &p, err, sizeof err), 0);
  assert_memory_equal(p.bytes, soc_sign_key_pub(a)->bytes, SOC_SIGN_PUB_LEN);
  /* a lost .pub is written again from the secret */
  unlink(pubpath);
  soc_sign_key_free(b);
  assert_int_equal(soc_sign_key_load(path, 1, &b, NULL, err, sizeof err), 0);
  assert_int_equal(soc_sign_pub_load(pubpath, &p, err, sizeof err), 0);
  assert_memory_equal(p.bytes, soc_sign_key_pub(a)->bytes, SOC_SIGN_PUB_LEN);
  soc_sign_key_free(a);
  soc_sign_key_free(b);
  /* readable by others: refused, with the file named */
  chmod(path, 0644);
  assert_int_equal(soc_sign_key_load(path, 1, &a, NULL, err, sizeof err), -EPERM);
  assert_non_null(strstr(err, "agent.key"));
  assert_null(a);
}

static void test_bad_key_file(void **state) {
  (void)state;
  char path[256], err[256];
  soc_sign_key *k = NULL;
  path_of(path, sizeof path, "junk.key");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("not base64 at all\n", f);
  fclose(f);
  chmod(path, 0600);
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), -EBADMSG);
  assert_non_null(strstr(err, "not a secret key"));
}

static void test_sign_binds_everything(void **state) {
  (void)state;
  char path[256], err[256], sig[SOC_SIGN_SIG_TEXT + 1];
  soc_sign_key *k = NULL, *other = NULL;
  path_of(path, sizeof path, "s.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  path_of(path, sizeof path, "other.key");
  assert_int_equal(soc_sign_key_load(path, 1, &other, NULL, err, sizeof err), 0);
  const soc_sign_pub *pub = soc_sign_key_pub(k);
  const char *payload = "{\"agent\":{\"id\":\"a\"}}";
  size_t len = strlen(payload);
  assert_int_equal(soc_sign_message(k, "soc.events", "host", 4, payload, len, sig), 0);
  assert_int_equal(strlen(sig), SOC_SIGN_SIG_TEXT);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len, sig, strlen(sig)),
                   0);
  /* each part is bound: topic, key, payload, and where one ends */
  assert_int_equal(soc_sign_verify(pub, "soc.alerts", "host", 4, payload, len, sig, 88), -EBADMSG);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "hosT", 4, payload, len, sig, 88), -EBADMSG);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len - 1, sig, 88),
                   -EBADMSG);
  assert_int_equal(soc_sign_verify(pub, "soc.events", NULL, 0, payload, len, sig, 88), -EBADMSG);
  /* another key's signature, a cut one, garbage */
  assert_int_equal(
      soc_sign_verify(soc_sign_key_pub(other), "soc.events", "host", 4, payload, len, sig, 88),
      -EBADMSG);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len, sig, 87), -EBADMSG);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len, NULL, 0), -EBADMSG);
  char bad[SOC_SIGN_SIG_TEXT + 1];
  memcpy(bad, sig, sizeof bad);
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len, bad, 88), -EBADMSG);
  memset(bad, '!', 88);
  assert_int_equal(soc_sign_verify(pub, "soc.events", "host", 4, payload, len, bad, 88), -EBADMSG);
  /* empty key and payload are fine to sign */
  assert_int_equal(soc_sign_message(k, "t", NULL, 0, "", 0, sig), 0);
  assert_int_equal(soc_sign_verify(pub, "t", "", 0, "", 0, sig, 88), 0);
  soc_sign_key_free(k);
  soc_sign_key_free(other);
}

static void test_text_forms(void **state) {
  (void)state;
  char path[256], err[256], text[SOC_SIGN_PUB_TEXT + 1], fpr[SOC_SIGN_FPR_TEXT + 1];
  soc_sign_key *k = NULL;
  soc_sign_pub p;
  path_of(path, sizeof path, "t.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  soc_sign_pub_text(soc_sign_key_pub(k), text);
  assert_int_equal(strlen(text), SOC_SIGN_PUB_TEXT);
  char spaced[80];
  snprintf(spaced, sizeof spaced, "  %s\n", text);
  assert_int_equal(soc_sign_pub_parse(spaced, strlen(spaced), &p), 0);
  assert_memory_equal(p.bytes, soc_sign_key_pub(k)->bytes, SOC_SIGN_PUB_LEN);
  assert_int_equal(soc_sign_pub_parse(text, 43, &p), -EINVAL);
  assert_int_equal(soc_sign_pub_parse("AAAA", 4, &p), -EINVAL);
  assert_int_equal(soc_sign_pub_parse("", 0, &p), -EINVAL);
  soc_sign_fingerprint(soc_sign_key_pub(k), fpr);
  assert_int_equal(strlen(fpr), SOC_SIGN_FPR_TEXT);
  for (int i = 0; i < SOC_SIGN_FPR_TEXT; i++)
    assert_true(i % 5 == 4 ? fpr[i] == ':' : strchr("0123456789abcdef", fpr[i]) != NULL);
  soc_sign_key_free(k);
}

/* One signature for a batch: every message checks alone against it, a
 * changed message or a proof of another one does not. */
static void check_batch(soc_sign_key *k, size_t n) {
  uint8_t leaves[SOC_SIGN_BATCH_MAX][SOC_SIGN_HASH_LEN], root[SOC_SIGN_HASH_LEN];
  char payload[SOC_SIGN_BATCH_MAX][32];
  static soc_sign_batch b;
  unsigned depth = 99;
  for (size_t i = 0; i < n; i++) {
    snprintf(payload[i], sizeof payload[i], "{\"n\":%zu}", i);
    soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]), leaves[i]);
  }
  assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, &b), 0);
  const soc_sign_pub *pub = soc_sign_key_pub(k);
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[SOC_SIGN_HASH_LEN];
    soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]), leaf);
    assert_int_equal(soc_sign_proof_root(leaf, b.proof[i], strlen(b.proof[i]), root, &depth), 0);
    assert_int_equal(soc_sign_verify_root(pub, root, depth, b.sig, strlen(b.sig)), 0);
    /* the same proof for a changed payload, another topic: another root */
    soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]) - 1, leaf);
    assert_int_equal(soc_sign_proof_root(leaf, b.proof[i], strlen(b.proof[i]), root, &depth), 0);
    assert_int_equal(soc_sign_verify_root(pub, root, depth, b.sig, strlen(b.sig)), -EBADMSG);
    soc_sign_leaf("soc.alerts", "h", 1, payload[i], strlen(payload[i]), leaf);
    assert_int_equal(soc_sign_proof_root(leaf, b.proof[i], strlen(b.proof[i]), root, &depth), 0);
    assert_int_equal(soc_sign_verify_root(pub, root, depth, b.sig, strlen(b.sig)), -EBADMSG);
    /* message i with the proof of another */
    if (n > 1) {
      soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]), leaf);
      const char *other = b.proof[(i + 1) % n];
      assert_int_equal(soc_sign_proof_root(leaf, other, strlen(other), root, &depth), 0);
      assert_int_equal(soc_sign_verify_root(pub, root, depth, b.sig, strlen(b.sig)), -EBADMSG);
    }
  }
  /* the root's signature is not a message signature, nor the reverse */
  assert_int_equal(soc_sign_verify(pub, "soc.events", "h", 1, payload[0], strlen(payload[0]), b.sig,
                                   strlen(b.sig)),
                   -EBADMSG);
}

static void test_batch(void **state) {
  (void)state;
  char path[256], err[256];
  soc_sign_key *k = NULL;
  path_of(path, sizeof path, "b.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  check_batch(k, 1);
  check_batch(k, 2);
  check_batch(k, 3); /* depth 2: 64 bytes of siblings, the proof ends in "==" */
  check_batch(k, 5);
  check_batch(k, SOC_SIGN_BATCH_MAX);
  uint8_t leaves[SOC_SIGN_BATCH_MAX + 1][SOC_SIGN_HASH_LEN] = {{0}}, root[SOC_SIGN_HASH_LEN];
  static soc_sign_batch b;
  unsigned depth = 0;
  assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves,
                                       SOC_SIGN_BATCH_MAX + 1, &b),
                   -EINVAL);
  /* proofs that are not: index outside the tree, too deep, cut, junk */
  static const char *const bad[] = {
      "4:2:"
      "AAAA",
      "0:7:",
      "1:1:AAAA",
      "x",
      "",
      "0:1:!!!!"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(soc_sign_proof_root(leaves[0], bad[i], strlen(bad[i]), root, &depth),
                     -EBADMSG);
  soc_sign_key_free(k);
}

/* The tree of a batch's verified nodes changes how much is hashed, never
 * the root a proof leads to: a batch checked in a scattered order costs one
 * SHA-256 per node of the tree, not six per message; a changed message, or
 * a proof changed above where it meets the tree, leads to the root that the
 * plain computation gives, which is not the batch's. */
static void check_tree(soc_sign_key *k, size_t n, unsigned hashes_max) {
  uint8_t leaves[SOC_SIGN_BATCH_MAX][SOC_SIGN_HASH_LEN], root[SOC_SIGN_HASH_LEN],
      plain[SOC_SIGN_HASH_LEN], real[SOC_SIGN_HASH_LEN];
  char payload[SOC_SIGN_BATCH_MAX][32];
  static soc_sign_batch b;
  static soc_sign_tree t;
  soc_sign_path path;
  unsigned depth = 0, hashes = 0;
  memset(&t, 0, sizeof t);
  for (size_t i = 0; i < n; i++) {
    snprintf(payload[i], sizeof payload[i], "{\"t\":%zu}", i);
    soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]), leaves[i]);
  }
  assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, &b), 0);
  assert_int_equal(soc_sign_proof_root(leaves[0], b.proof[0], strlen(b.proof[0]), real, &depth), 0);
  for (size_t j = 0; j < n; j++) {
    size_t i = j * 37 % n; /* 37 is prime to n: every message once */
    assert_int_equal(soc_sign_proof_root_tree(&t, leaves[i], b.proof[i], strlen(b.proof[i]), root,
                                              &depth, &path),
                     0);
    assert_memory_equal(root, real, sizeof real);
    assert_int_equal(path.top, j ? path.top : depth); /* the first one hashes all the way */
    hashes += path.top;
    soc_sign_tree_keep(&t, &path);
  }
  assert_true(hashes <= hashes_max);
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[SOC_SIGN_HASH_LEN];
    char proof[SOC_SIGN_PROOF_TEXT + 1];
    soc_sign_leaf("soc.events", "h", 1, payload[i], strlen(payload[i]) - 1, leaf);
    assert_int_equal(
        soc_sign_proof_root_tree(&t, leaf, b.proof[i], strlen(b.proof[i]), root, &depth, &path), 0);
    assert_int_equal(path.top, depth);
    assert_memory_not_equal(root, real, sizeof real);
    /* the top sibling changed: the leaf meets the tree, the rest does not */
    size_t len = strlen(b.proof[i]);
    memcpy(proof, b.proof[i], len + 1);
    proof[len - 8] = proof[len - 8] == 'A' ? 'B' : 'A';
    assert_int_equal(soc_sign_proof_root(leaves[i], proof, len, plain, &depth), 0);
    assert_int_equal(soc_sign_proof_root_tree(&t, leaves[i], proof, len, root, &depth, &path), 0);
    assert_memory_equal(root, plain, sizeof plain);
    assert_memory_not_equal(root, real, sizeof real);
  }
}

static void test_batch_tree(void **state) {
  (void)state;
  char path[256], err[256];
  soc_sign_key *k = NULL;
  path_of(path, sizeof path, "t.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  check_tree(k, SOC_SIGN_BATCH_MAX, SOC_SIGN_BATCH_MAX - 1);
  check_tree(k, 5, 7); /* padded to 8: the zero leaves' nodes are in the proofs */
  soc_sign_key_free(k);
}

/* A leaf through a context kept for many (the forwarder's) is the leaf
 * soc_sign_leaf makes, whatever the context hashed before. */
static void test_leaf_with(void **state) {
  (void)state;
  soc_sha256_ctx *c = soc_sha256_new();
  assert_non_null(c);
  char payload[300];
  for (size_t i = 0; i < 40; i++) {
    uint8_t want[SOC_SIGN_HASH_LEN], got[SOC_SIGN_HASH_LEN];
    memset(payload, 'a' + (int)(i % 26), sizeof payload);
    size_t len = i * 7 % sizeof payload, klen = i % 3;
    soc_sign_leaf("soc.events", "host", klen, payload, len, want);
    if (i % 2) soc_sha256_update(c, "left over", 9); /* a half-fed context */
    soc_sign_leaf_with(c, "soc.events", "host", klen, payload, len, got);
    assert_memory_equal(got, want, SOC_SIGN_HASH_LEN);
  }
  soc_sha256_free(c);
}

/* A leaf is SHA-256 of its spelled-out input (the label with its NUL, and
 * each part after its length as 8 bytes, big-endian), whatever the
 * lengths of the topic and the key: short, at and past what is gathered
 * before one update. */
static void put_len_be(uint8_t *p, size_t len) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
}

static void test_leaf_bytes(void **state) {
  (void)state;
  static const char label[] = "socagent message leaf v1";
  const size_t tlens[] = {1, 10, 200, 300}, klens[] = {0, 1, 100, 199, 250, 600};
  char topic[301], key[600], payload[800];
  static uint8_t in[sizeof label + 24 + sizeof topic + sizeof key + sizeof payload];
  memset(key, 'k', sizeof key);
  memset(payload, 'p', sizeof payload);
  for (size_t t = 0; t < sizeof tlens / sizeof *tlens; t++)
    for (size_t k = 0; k < sizeof klens / sizeof *klens; k++) {
      uint8_t want[SOC_SIGN_HASH_LEN], got[SOC_SIGN_HASH_LEN];
      size_t n = 0, plen = (t * 131 + k * 17) % sizeof payload;
      memset(topic, 't', tlens[t]);
      topic[tlens[t]] = '\0';
      memcpy(in, label, sizeof label);
      n = sizeof label;
      put_len_be(in + n, tlens[t]);
      memcpy(in + n + 8, topic, tlens[t]);
      n += 8 + tlens[t];
      put_len_be(in + n, klens[k]);
      memcpy(in + n + 8, key, klens[k]);
      n += 8 + klens[k];
      put_len_be(in + n, plen);
      memcpy(in + n + 8, payload, plen);
      n += 8 + plen;
      assert_int_equal(soc_sha256(in, n, want), 0);
      soc_sign_leaf(topic, key, klens[k], payload, plen, got);
      assert_memory_equal(got, want, SOC_SIGN_HASH_LEN);
    }
}

/* The packed "sig" header: the three texts joined, split back to the same
 * texts, which still verify; anything else is not one. */
static void test_packed(void **state) {
  (void)state;
  char path[256], err[256], key_text[SOC_SIGN_PUB_TEXT + 1], packed[SOC_SIGN_PACKED_TEXT + 1];
  soc_sign_key *k = NULL;
  static soc_sign_batch b;
  uint8_t leaves[3][SOC_SIGN_HASH_LEN], root[SOC_SIGN_HASH_LEN];
  unsigned depth = 99;
  soc_sign_parts parts;
  soc_sign_pub pub;
  path_of(path, sizeof path, "p.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  soc_sign_pub_text(soc_sign_key_pub(k), key_text);
  for (size_t i = 0; i < 3; i++) soc_sign_leaf("soc.events", "h", 1, "{}", 2 - i % 2, leaves[i]);
  assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, 3, &b), 0);
  for (size_t i = 0; i < 3; i++) {
    size_t len = soc_sign_pack(key_text, b.sig, b.proof[i], packed);
    assert_int_equal(len, SOC_SIGN_PUB_TEXT + SOC_SIGN_SIG_TEXT + 2 + strlen(b.proof[i]));
    assert_int_equal(soc_sign_unpack(packed, len, &parts), 0);
    assert_int_equal(parts.key_len, SOC_SIGN_PUB_TEXT);
    assert_memory_equal(parts.key, key_text, SOC_SIGN_PUB_TEXT);
    assert_int_equal(parts.root_sig_len, SOC_SIGN_SIG_TEXT);
    assert_memory_equal(parts.root_sig, b.sig, SOC_SIGN_SIG_TEXT);
    assert_int_equal(parts.proof_len, strlen(b.proof[i]));
    assert_memory_equal(parts.proof, b.proof[i], parts.proof_len);
    assert_int_equal(soc_sign_pub_parse(parts.key, parts.key_len, &pub), 0);
    assert_int_equal(soc_sign_proof_root(leaves[i], parts.proof, parts.proof_len, root, &depth), 0);
    assert_int_equal(soc_sign_verify_root(&pub, root, depth, parts.root_sig, parts.root_sig_len),
                     0);
  }
  /* not packed: a part of another length, a third dot, nothing after the
   * second dot, a part missing, too long */
  size_t len = soc_sign_pack(key_text, b.sig, b.proof[0], packed);
  char bad[SOC_SIGN_PACKED_TEXT + 40];
  assert_int_equal(soc_sign_unpack(packed, len - strlen(b.proof[0]), &parts), -EBADMSG);
  assert_int_equal(soc_sign_unpack(packed, len - strlen(b.proof[0]) - 1, &parts), -EBADMSG);
  assert_int_equal(soc_sign_unpack(packed + 1, len - 1, &parts), -EBADMSG);
  memcpy(bad, packed, len);
  bad[len - 1] = '.';
  assert_int_equal(soc_sign_unpack(bad, len, &parts), -EBADMSG);
  memcpy(bad, packed, len);
  bad[10] = '.';
  assert_int_equal(soc_sign_unpack(bad, len, &parts), -EBADMSG);
  memcpy(bad, packed, len);
  bad[SOC_SIGN_PUB_TEXT + 5] = '.';
  assert_int_equal(soc_sign_unpack(bad, len, &parts), -EBADMSG);
  memset(bad, 'A', sizeof bad);
  bad[SOC_SIGN_PUB_TEXT] = bad[SOC_SIGN_PUB_TEXT + 1 + SOC_SIGN_SIG_TEXT] = '.';
  assert_int_equal(soc_sign_unpack(bad, SOC_SIGN_PACKED_TEXT, &parts), 0);
  assert_int_equal(soc_sign_unpack(bad, SOC_SIGN_PACKED_TEXT + 1, &parts), -EBADMSG);
  assert_int_equal(soc_sign_unpack(NULL, 0, &parts), -EBADMSG);
  /* parts of other lengths are not packed either */
  assert_int_equal(soc_sign_pack(key_text, b.sig, "", packed), 0);
  assert_int_equal(soc_sign_pack(key_text + 1, b.sig, b.proof[0], packed), 0);
  assert_int_equal(soc_sign_pack(key_text, b.sig + 1, b.proof[0], packed), 0);
  soc_sign_key_free(k);
}

/* A whole batch in one message (sign.h): the root rebuilt from all the
 * events is the one every proof of soc_sign_batch_make leads to, and its
 * signature verifies; any other count or order of the leaves gives
 * another root. The keys' framing takes back exactly what was added, and
 * the split refuses every message that is not framed as it says. */
static void test_joined(void **state) {
  (void)state;
  char path[256], err[256];
  soc_sign_key *k = NULL;
  path_of(path, sizeof path, "j.key");
  assert_int_equal(soc_sign_key_load(path, 1, &k, NULL, err, sizeof err), 0);
  static soc_sign_batch b;
  uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN], root[SOC_SIGN_HASH_LEN],
      other[SOC_SIGN_HASH_LEN], via[SOC_SIGN_HASH_LEN];
  static char payload[SOC_SIGN_JOINED_MAX * 16], keys[SOC_SIGN_KEYS_TEXT];
  size_t plen = 0, klen = 0, n = 0;
  unsigned depth = 0, d2 = 0;
  const char *why = "";
  soc_sign_item items[SOC_SIGN_JOINED_MAX];
  for (size_t i = 0; i < SOC_SIGN_JOINED_MAX; i++) {
    char key[16];
    int kl = snprintf(key, sizeof key, "h%zu", i % 3 ? i : 0);
    if (i) payload[plen++] = '\n';
    plen += (size_t)snprintf(payload + plen, sizeof payload - plen, "{\"t\":%zu}", i);
    assert_int_equal(soc_sign_keys_add(keys, sizeof keys, &klen, key, (size_t)kl), 0);
  }
  assert_int_equal(soc_sign_batch_split(payload, plen, keys, klen, items, &n, &why), 0);
  assert_int_equal(n, SOC_SIGN_JOINED_MAX);
  assert_int_equal(items[5].key_len, 2);
  assert_memory_equal(items[5].key, "h5", 2);
  assert_memory_equal(items[6].key, "h0", 2);
  assert_int_equal(items[63].event_len, strlen("{\"t\":63}"));
  for (size_t i = 0; i < n; i++)
    soc_sign_leaf("soc.events", items[i].key, items[i].key_len, items[i].event, items[i].event_len,
                  leaves[i]);
  /* with proofs up to 64 leaves; joined (no proofs) up to SOC_SIGN_JOINED_MAX */
  for (size_t cnt = 1; cnt <= n; cnt = cnt < n / 2 ? cnt * 2 + 1 : n + 1) {
    char alone[SOC_SIGN_SIG_TEXT + 1];
    unsigned want = 0;
    while ((1u << want) < cnt) want++;
    assert_int_equal(
        soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, cnt, root, &depth), 0);
    assert_int_equal(depth, want);
    assert_int_equal(
        soc_sign_batch_sign(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, cnt, alone), 0);
    assert_int_equal(soc_sign_verify_root(soc_sign_key_pub(k), root, depth, alone, strlen(alone)),
                     0);
    if (cnt > SOC_SIGN_BATCH_MAX) {
      assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, cnt, &b),
                       -EINVAL);
      continue;
    }
    assert_int_equal(soc_sign_batch_make(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, cnt, &b),
                     0);
    assert_int_equal(
        soc_sign_proof_root(leaves[cnt - 1], b.proof[cnt - 1], strlen(b.proof[cnt - 1]), via, &d2),
        0);
    assert_memory_equal(root, via, SOC_SIGN_HASH_LEN);
    assert_int_equal(depth, d2);
    assert_string_equal(alone, b.sig); /* Ed25519 is deterministic */
  }
  /* all of them; one fewer, two swapped */
  assert_int_equal(
      soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, root, &depth), 0);
  assert_int_equal(depth, SOC_SIGN_JOINED_DEPTH_MAX);
  char all[SOC_SIGN_SIG_TEXT + 1];
  assert_int_equal(soc_sign_batch_sign(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, all), 0);
  assert_int_equal(soc_sign_verify_root(soc_sign_key_pub(k), root, depth, all, strlen(all)), 0);
  assert_int_equal(soc_sign_verify_root(soc_sign_key_pub(k), root, depth - 1, all, strlen(all)),
                   -EBADMSG); /* the depth is signed */
  assert_int_equal(
      soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n - 1, other, &d2), 0);
  assert_memory_not_equal(root, other, SOC_SIGN_HASH_LEN);
  uint8_t tmp[SOC_SIGN_HASH_LEN];
  memcpy(tmp, leaves[1], sizeof tmp);
  memcpy(leaves[1], leaves[2], sizeof tmp);
  memcpy(leaves[2], tmp, sizeof tmp);
  assert_int_equal(soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, other, &d2),
                   0);
  assert_memory_not_equal(root, other, SOC_SIGN_HASH_LEN);
  assert_int_equal(soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, 0, other, &d2),
                   -EINVAL);
  assert_int_equal(soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves,
                                       SOC_SIGN_JOINED_MAX + 1, other, &d2),
                   -EINVAL);
  /* framing: a key too long, no room */
  static char big[SOC_SIGN_MSGKEY_MAX + 1];
  size_t used = 0;
  char small[8];
  assert_int_equal(soc_sign_keys_add(keys, sizeof keys, &used, big, sizeof big), -EINVAL);
  assert_int_equal(soc_sign_keys_add(small, sizeof small, &used, "abcdefgh", 8), -ENOSPC);
  used = 0;
  assert_int_equal(soc_sign_keys_add(small, sizeof small, &used, "", 0), 0);
  assert_int_equal(used, 2);
  assert_memory_equal(small, "0:", 2);
  /* split: what is not framed as it says */
  static const struct {
    const char *payload, *keys;
  } bad[] = {
      {"{}", ""},
      {"", "0:"},
      {"{}\n", "0:0:"},
      {"\n{}", "0:0:"},
      {"{}\n\n{}", "0:0:0:"},
      {"{}\n{}", "1:a"},
      {"{}", "1:a1:b"},
      {"{}", "01:a"},
      {"{}", "2:a"},
      {"{}", "1a"},
      {"{}", ":a"},
      {"{}", "1025:a"},
      {"{}", "99999999:a"},
      {"{}", "-1:a"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(soc_sign_batch_split(bad[i].payload, strlen(bad[i].payload), bad[i].keys,
                                          strlen(bad[i].keys), items, &n, &why),
                     -EBADMSG);
    assert_true(why[0] != '\0');
  }
  /* 257 events */
  static char many[SOC_SIGN_JOINED_MAX * 4], many_keys[SOC_SIGN_JOINED_MAX * 4];
  size_t ml = 0, mk = 0;
  for (size_t i = 0; i <= SOC_SIGN_JOINED_MAX; i++) {
    if (i) many[ml++] = '\n';
    many[ml++] = '1';
    assert_int_equal(soc_sign_keys_add(many_keys, sizeof many_keys, &mk, "", 0), 0);
  }
  assert_int_equal(soc_sign_batch_split(many, ml, many_keys, mk, items, &n, &why), -EBADMSG);
  assert_int_equal(soc_sign_batch_split(many, ml - 2, many_keys, mk - 2, items, &n, &why), 0);
  assert_int_equal(n, SOC_SIGN_JOINED_MAX);
  /* the header: a key and a root signature, nothing else */
  char text[SOC_SIGN_BATCH_PACKED_TEXT + 2], pub[SOC_SIGN_PUB_TEXT + 1];
  soc_sign_parts parts;
  soc_sign_pub_text(soc_sign_key_pub(k), pub);
  soc_sign_pack_batch(pub, b.sig, text);
  assert_memory_equal(text, pub, SOC_SIGN_PUB_TEXT);
  assert_int_equal(text[SOC_SIGN_PUB_TEXT], '.');
  assert_memory_equal(text + SOC_SIGN_PUB_TEXT + 1, b.sig, SOC_SIGN_SIG_TEXT);
  assert_int_equal(soc_sign_unpack_batch(text, SOC_SIGN_BATCH_PACKED_TEXT, &parts), 0);
  assert_ptr_equal(parts.root_sig, text + SOC_SIGN_PUB_TEXT + 1);
  assert_null(parts.proof);
  assert_int_equal(soc_sign_unpack_batch(text, SOC_SIGN_BATCH_PACKED_TEXT - 1, &parts), -EBADMSG);
  text[SOC_SIGN_PUB_TEXT] = ',';
  assert_int_equal(soc_sign_unpack_batch(text, SOC_SIGN_BATCH_PACKED_TEXT, &parts), -EBADMSG);
  soc_sign_key_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_created_once),
      cmocka_unit_test(test_bad_key_file),
      cmocka_unit_test(test_sign_binds_everything),
      cmocka_unit_test(test_text_forms),
      cmocka_unit_test(test_batch),
      cmocka_unit_test(test_batch_tree),
      cmocka_unit_test(test_leaf_with),
      cmocka_unit_test(test_leaf_bytes),
      cmocka_unit_test(test_packed),
      cmocka_unit_test(test_joined),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
