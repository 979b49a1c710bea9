/*
 * libFuzzer harness: what a Kafka header carries into soc/sign.h — a public
 * key (agent.key, soc_sign_pub_parse), a signature (signature,
 * soc_sign_verify, and sig.root, soc_sign_verify_root) and a batch proof
 * (sig.proof, soc_sign_proof_root), and the three packed into one header
 * (sig, soc_sign_unpack) — from anyone who can write to a topic.
 * Invariants: a public key that parses prints back as 44 characters that
 * parse to the same key; nothing verifies but the real signature, and the
 * real one verifies only the exact (topic, key, payload) it was made for;
 * a proof that parses has a depth within SOC_SIGN_DEPTH_MAX, and the only
 * root our one-message batch signature covers is that message's leaf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soc/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static soc_sign_key *key;

static void make_key(void) {
  char path[64], err[256];
  snprintf(path, sizeof path, "/tmp/fuzz_sign.%ld.key", (long)getpid());
  if (soc_sign_key_load(path, 1, &key, NULL, err, sizeof err) < 0) __builtin_trap();
  unlink(path);
  strcat(path, ".pub");
  unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_sign_pub pub, again;
  char text[SOC_SIGN_PUB_TEXT + 1], sig[SOC_SIGN_SIG_TEXT + 1];
  if (!key) make_key();
  if (soc_sign_pub_parse((const char *)data, size, &pub) == 0) {
    soc_sign_pub_text(&pub, text);
    if (strlen(text) != SOC_SIGN_PUB_TEXT || soc_sign_pub_parse(text, strlen(text), &again) ||
        memcmp(pub.bytes, again.bytes, sizeof pub.bytes))
      __builtin_trap();
  }
  const soc_sign_pub *mine = soc_sign_key_pub(key);
  /* the input as a signature of a fixed message */
  if (soc_sign_verify(mine, "soc.events", "k", 1, "{}", 2, data, size) == 0) __builtin_trap();
  /* the input as a payload: its real signature, and only for it */
  if (soc_sign_message(key, "soc.events", "k", 1, data, size, sig) < 0 ||
      soc_sign_verify(mine, "soc.events", "k", 1, data, size, sig, strlen(sig)) != 0)
    __builtin_trap();
  if (size && soc_sign_verify(mine, "soc.events", "k", 1, data, size - 1, sig, strlen(sig)) == 0)
    __builtin_trap();
  /* the input as a batch proof of a fixed message */
  static soc_sign_batch b;
  static uint8_t leaf[SOC_SIGN_HASH_LEN];
  uint8_t root[SOC_SIGN_HASH_LEN];
  unsigned depth = 99;
  if (!b.sig[0]) {
    soc_sign_leaf("soc.events", "k", 1, "{}", 2, leaf);
    if (soc_sign_batch_make(key, (const uint8_t(*)[SOC_SIGN_HASH_LEN]) & leaf, 1, &b) < 0)
      __builtin_trap();
  }
  if (soc_sign_proof_root(leaf, data, size, root, &depth) == 0) {
    if (depth > SOC_SIGN_DEPTH_MAX) __builtin_trap();
    /* a root the signature covers is the real one: a one-leaf tree's */
    if (soc_sign_verify_root(mine, root, depth, b.sig, strlen(b.sig)) == 0 &&
        (depth != 0 || memcmp(root, leaf, sizeof root)))
      __builtin_trap();
  }
  /* the input as a packed "sig" header: its parts lie inside it, each of
   * its form's length, and (without NUL bytes, as texts) pack again to the
   * same text */
  soc_sign_parts parts;
  if (soc_sign_unpack(data, size, &parts) == 0) {
    if (parts.key != (const char *)data || parts.key_len != SOC_SIGN_PUB_TEXT ||
        parts.root_sig_len != SOC_SIGN_SIG_TEXT || !parts.proof_len ||
        parts.proof_len > SOC_SIGN_PROOF_TEXT ||
        parts.proof + parts.proof_len != (const char *)data + size)
      __builtin_trap();
    char k[SOC_SIGN_PUB_TEXT + 1], r[SOC_SIGN_SIG_TEXT + 1], p[SOC_SIGN_PROOF_TEXT + 1];
    char packed[SOC_SIGN_PACKED_TEXT + 1];
    if (!memchr(data, '\0', size)) {
      memcpy(k, parts.key, parts.key_len);
      k[parts.key_len] = '\0';
      memcpy(r, parts.root_sig, parts.root_sig_len);
      r[parts.root_sig_len] = '\0';
      memcpy(p, parts.proof, parts.proof_len);
      p[parts.proof_len] = '\0';
      if (soc_sign_pack(k, r, p, packed) != size || memcmp(packed, data, size)) __builtin_trap();
    }
  }
  return 0;
}
