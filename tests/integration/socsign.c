/*
 * socsign — a helper of the integration tests: signs a message the way an
 * agent or the center does (soc/sign.h), so a test can play a sender with
 * kcat, honest or not.
 *
 *   socsign KEYFILE --pub               the public key (the pair is made if absent)
 *   socsign KEYFILE TOPIC KEY < PAYLOAD the signature header's value
 *
 * The payload is stdin exactly, without a newline added or taken away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/sign.h"

int main(int argc, char **argv) {
  char err[600], out[SOC_SIGN_SIG_TEXT + 1];
  soc_sign_key *k = NULL;
  static char payload[1 << 21];
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: socsign KEYFILE --pub | socsign KEYFILE TOPIC KEY < PAYLOAD\n");
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
  int rc = soc_sign_message(k, argv[2], argv[3], strlen(argv[3]), payload, len, out);
  soc_sign_key_free(k);
  if (rc < 0) return 1;
  printf("%s\n", out);
  return 0;
}
