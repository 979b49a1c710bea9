/*
 * socsign — a helper of the integration tests: signs a message the way an
 * agent or the center does (soc/sign.h), so a test can play a sender with
 * kcat, honest or not.
 *
 *   socsign KEYFILE --pub               the public key (the pair is made if absent)
 *   socsign KEYFILE TOPIC KEY < PAYLOAD the signature header's value
 *   socsign KEYFILE --batch TOPIC KEYS < PAYLOAD
 *                                       the sig.batch header's value for events
 *                                       joined in one message (KEYS: the "keys"
 *                                       header's value)
 *
 * The payload is stdin exactly, without a newline added or taken away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/sign.h"

/* The sig.batch value over the events of payload and their keys. */
static int batch(const soc_sign_key *k, const char *topic, const char *keys, const char *payload,
                 size_t len) {
  soc_sign_item items[SOC_SIGN_JOINED_MAX];
  uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
  char sig[SOC_SIGN_SIG_TEXT + 1], pub[SOC_SIGN_PUB_TEXT + 1], packed[SOC_SIGN_BATCH_PACKED_TEXT];
  size_t n = 0;
  const char *why = "";
  if (soc_sign_batch_split(payload, len, keys, strlen(keys), items, &n, &why) < 0) {
    fprintf(stderr, "socsign: %s\n", why);
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    soc_sign_leaf(topic, items[i].key, items[i].key_len, items[i].event, items[i].event_len,
                  leaves[i]);
  if (soc_sign_batch_sign(k, (const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, sig) < 0) return 1;
  soc_sign_pub_text(soc_sign_key_pub(k), pub);
  soc_sign_pack_batch(pub, sig, packed);
  printf("%.*s\n", (int)sizeof packed, packed);
  return 0;
}

int main(int argc, char **argv) {
  char err[600], out[SOC_SIGN_SIG_TEXT + 1];
  soc_sign_key *k = NULL;
  static char payload[1 << 21];
  if (argc < 3 || argc > 5 || (argc == 5 && strcmp(argv[2], "--batch"))) {
    fprintf(stderr,
            "usage: socsign KEYFILE --pub | socsign KEYFILE TOPIC KEY < PAYLOAD | "
            "socsign KEYFILE --batch TOPIC KEYS < PAYLOAD\n");
    return 2;
  }
  if (soc_sign_key_load(argv[1], 1, &k, NULL, err, sizeof err) < 0) {
    fprintf(stderr, "socsign: %s\n", err);
    return 1;
  }
  if (argc == 3) {
    char text[SOC_SIGN_PUB_TEXT + 1];
    soc_sign_pub_text(soc_sign_key_pub(k), text);
    printf("%s\n", text);
    soc_sign_key_free(k);
    return 0;
  }
  size_t len = fread(payload, 1, sizeof payload, stdin);
  if (argc == 5) {
    int rc = batch(k, argv[3], argv[4], payload, len);
    soc_sign_key_free(k);
    return rc;
  }
  int rc = soc_sign_message(k, argv[2], argv[3], strlen(argv[3]), payload, len, out);
  soc_sign_key_free(k);
  if (rc < 0) return 1;
  printf("%s\n", out);
  return 0;
}
