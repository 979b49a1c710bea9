/*
 * socctl key — the agent's public key and its fingerprint, for enrolling
 * the agent at the center (docs/SECURITY.md).
 *
 *   socctl -c FILE key
 *
 * Read from agent.key.pub, so an analyst who may not read the secret key
 * can still show it.
 */
#include <getopt.h>
#include <stdio.h>

#include "identity.h"
#include "soc/diag.h"
#include "socctl.h"

int soc_ctl_key(const socctl_env *env, int argc, char **argv) {
  soc_config *cfg = NULL;
  soc_sign_pub pub;
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    return soc_ctl_usage(argv[0], opt == 'h' ? stdout : stderr);
  if (optind < argc) return soc_ctl_usage(argv[0], stderr);
  soc_diag *diag = soc_diag_new();
  if (!diag) return 1;
  int rc = soc_config_load(env->config_path, 0, &cfg, diag);
  if (rc < 0) soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (rc < 0) {
    fprintf(stderr, "socctl: %s: configuration refused\n", env->config_path);
    return 2;
  }
  int status = soc_agent_pub_load(cfg, &pub) < 0 ? 1 : 0;
  if (!status) soc_agent_key_print(cfg, &pub, stdout);
  soc_config_free(cfg);
  return status;
}
