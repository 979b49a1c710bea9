/*
 * identity — the agent's key pair (identity.h).
 */
#include "identity.h"

#include <errno.h>
#include <string.h>

#define KEY_FILE "agent.key"

static int key_path(const soc_config *cfg, char *buf, size_t cap) {
  if ((size_t)snprintf(buf, cap, "%s/" KEY_FILE, cfg->agent.state_dir) >= cap) {
    fprintf(stderr, "socagent: agent.state_dir is too long\n");
    return -ENAMETOOLONG;
  }
  return 0;
}

int soc_agent_key_load(const soc_config *cfg, int create, soc_sign_key **out) {
  char path[4096], err[600];
  int created = 0;
  int rc = key_path(cfg, path, sizeof path);
  if (rc < 0) return rc;
  rc = soc_sign_key_load(path, create, out, &created, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "socagent: the agent's key: %s\n", err);
    return rc;
  }
  if (created) {
    char fpr[SOC_SIGN_FPR_TEXT + 1];
    soc_sign_fingerprint(soc_sign_key_pub(*out), fpr);
    fprintf(stderr,
            "socagent: made the agent's key %s (fingerprint %s); the center accepts "
            "nothing from this agent until it is enrolled (socagent --print-key)\n",
            path, fpr);
  }
  return 0;
}

int soc_agent_pub_load(const soc_config *cfg, soc_sign_pub *out) {
  char path[4096], err[600];
  int rc = key_path(cfg, path, sizeof path);
  if (rc < 0) return rc;
  rc = soc_sign_pub_load(path, out, err, sizeof err);
  if (rc < 0)
    fprintf(stderr, "socctl: %s%s\n", err,
            rc == -ENOENT ? " (the agent makes its key at its first start, or with "
                            "`socagent --print-key`)"
                          : "");
  return rc;
}

void soc_agent_key_print(const soc_config *cfg, const soc_sign_pub *pub, FILE *out) {
  char text[SOC_SIGN_PUB_TEXT + 1], fpr[SOC_SIGN_FPR_TEXT + 1];
  soc_sign_pub_text(pub, text);
  soc_sign_fingerprint(pub, fpr);
  fprintf(out,
          "agent:       %s (agency %s)\n"
          "public key:  %s\n"
          "fingerprint: %s\n"
          "enrol it at the center (compare the fingerprint over the phone):\n"
          "  soccollector enroll %s --key %s --agency %s --by NAME\n",
          cfg->agent.id, cfg->agent.agency, text, fpr, cfg->agent.id, text, cfg->agent.agency);
}
