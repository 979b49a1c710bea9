/*
 * libFuzzer harness: the config loader on arbitrary bytes. This drives
 * yamldoc (the parser that also reads rule files) and every schema table.
 * References are not followed, so the harness touches no files.
 */
#include <stddef.h>
#include <stdint.h>

#include "soc/config.h"
#include "soc/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  soc_diag *d = soc_diag_new();
  soc_config *cfg = NULL;
  if (soc_config_load_buffer("/fuzz/agent.yaml", (const char *)data, size, 0, &cfg, d) == 0 && !cfg)
    __builtin_trap();
  soc_config_free(cfg);
  soc_diag_free(d);
  return 0;
}
