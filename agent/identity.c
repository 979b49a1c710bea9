/*
 * identity — the agent's key pair (identity.h).
 */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* state_dir/agent.key<suffix> into buf. */
static int file_path(const soc_config *cfg, const char *suffix, char *buf, size_t cap) {
  if ((size_t)snprintf(buf, cap, "%s/" KEY_FILE "%s", cfg->agent.state_dir, suffix) >= cap) {
    fprintf(stderr, "socagent: agent.state_dir is too long\n");
    return -ENAMETOOLONG;
  }
  return 0;
}

/* "NEWKEY CERT\n" into agent.key.cert, through a temporary file. */
static int write_cert(const char *path, const char *text) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return -errno;
  size_t len = strlen(text);
  int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  int rc = ok ? 0 : -errno;
  if (close(fd) < 0 && !rc) rc = -errno;
  if (!rc && rename(tmp, path) < 0) rc = -errno;
  if (rc) unlink(tmp);
  return rc;
}

int soc_agent_key_rotate(const soc_config *cfg) {
  int result = -EIO;
  char cur[4096], next[4096], cert_path[4096], err[600];
  char pub[SOC_SIGN_PUB_TEXT + 1], cert[SOC_SIGN_SIG_TEXT + 1], line[256];
  soc_sign_key *old = NULL, *fresh = NULL;
  if (file_path(cfg, "", cur, sizeof cur) < 0 || file_path(cfg, ".next", next, sizeof next) < 0 ||
      file_path(cfg, ".cert", cert_path, sizeof cert_path) < 0)
    return -ENAMETOOLONG;
  if ((result = soc_agent_key_load(cfg, 0, &old)) < 0) return result;
  unlink(next); /* a rotation that stopped half-way starts again */
  if ((result = soc_sign_key_load(next, 1, &fresh, NULL, err, sizeof err)) < 0) {
    fprintf(stderr, "socagent: %s\n", err);
    goto out;
  }
  const soc_sign_pub *np = soc_sign_key_pub(fresh);
  soc_sign_pub_text(np, pub);
  if ((result = soc_sign_message(old, SOC_SIGN_ROTATION_TOPIC, cfg->agent.id, strlen(cfg->agent.id),
                                 np->bytes, sizeof np->bytes, cert)) < 0)
    goto out;
  snprintf(line, sizeof line, "%s %s\n", pub, cert);
  /* the certificate first: one that names a key not in use is ignored */
  if ((result = write_cert(cert_path, line)) < 0) {
    fprintf(stderr, "socagent: %s: %s\n", cert_path, strerror(-result));
    goto out;
  }
  char next_pub[4200], cur_pub[4200];
  snprintf(next_pub, sizeof next_pub, "%s.pub", next);
  snprintf(cur_pub, sizeof cur_pub, "%s.pub", cur);
  if (rename(next, cur) < 0 || rename(next_pub, cur_pub) < 0) {
    result = -errno;
    fprintf(stderr, "socagent: cannot put the new key in place: %s\n", strerror(errno));
    goto out;
  }
  result = 0;
out:
  soc_sign_key_free(old);
  soc_sign_key_free(fresh);
  return result;
}

void soc_agent_key_cert(const soc_config *cfg, const soc_sign_key *k, char *out) {
  char path[4096], line[256], pub[SOC_SIGN_PUB_TEXT + 1];
  out[0] = '\0';
  if (file_path(cfg, ".cert", path, sizeof path) < 0) return;
  FILE *f = fopen(path, "re");
  if (!f) return;
  soc_sign_pub_text(soc_sign_key_pub(k), pub);
  if (fgets(line, sizeof line, f) &&
      strlen(line) == SOC_SIGN_PUB_TEXT + 1 + SOC_SIGN_SIG_TEXT + 1 &&
      !strncmp(line, pub, SOC_SIGN_PUB_TEXT) && line[SOC_SIGN_PUB_TEXT] == ' ') {
    memcpy(out, line + SOC_SIGN_PUB_TEXT + 1, SOC_SIGN_SIG_TEXT);
    out[SOC_SIGN_SIG_TEXT] = '\0';
  }
  fclose(f);
}
