/*
 * yara — see the header.
 */
#include "yara.h"

#include <stdio.h>

int soc_agent_yara_new(const soc_config *cfg, soc_yara_engine **out) {
  char **files = NULL;
  size_t n = 0;
  *out = NULL;
  int result = soc_config_glob(cfg->rules.yara, cfg->rules.nyara, &files, &n);
  if (result < 0 || !n) goto out;
  soc_diag *diag = soc_diag_new();
  soc_yara_engine_opts o = {.files = (const char *const *)files,
                            .nfiles = n,
                            .cache_dir = cfg->agent.state_dir,
                            .timeout_s = (int)cfg->rules.yara_timeout_s};
  result = soc_yarascan_engine_new(&o, out, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (result < 0) {
    fprintf(stderr, "socagent: yara: no rule file compiled; YARA scanning is off\n");
    goto out;
  }
  soc_yara_counters c;
  soc_yarascan_counters(*out, &c);
  fprintf(stderr, "socagent: yara: %lld rule(s) from %zu file(s), %s\n", (long long)c.rules, n,
          c.cache_hits ? "loaded from the cache" : "compiled");
out:
  soc_config_glob_free(files, n);
  return result;
}
