/*
 * soccollector — the technical center's side: entry point.
 *
 * For now it loads and checks its configuration; the consumer group and
 * the center's store are added as they are built (see ARCHITECTURE.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "soc/config.h"
#include "soc/diag.h"

#define DEFAULT_CONFIG "/etc/soccollector/soccollector.yaml"

static void usage(FILE *out) {
  fprintf(out,
          "usage: soccollector [-c FILE] [--check-config] [--help-config] [--version]\n"
          "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
          "      --check-config  validate the file, then exit (0: valid, 2: invalid)\n"
          "      --help-config   list every configuration key with its default\n"
          "  -V, --version       print the version\n");
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'C'},
      {"help-config", no_argument, NULL, 'H'},  {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  const char *path = DEFAULT_CONFIG;
  int check = 0, opt;
  while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
    switch (opt) {
      case 'c': path = optarg; break;
      case 'C': check = 1; break;
      case 'H': soc_config_print_doc(1, stdout); return 0;
      case 'V': printf("soccollector %s\n", SOC_VERSION); return 0;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  soc_diag *diag = soc_diag_new();
  soc_collector_config *cfg = NULL;
  if (!diag) return 1;
  int rc = soc_collector_config_load(path, check ? SOC_CONFIG_CHECK_REFERENCES : 0, &cfg, diag);
  soc_diag_print(diag, stderr);
  int status = 0;
  if (rc < 0) {
    fprintf(stderr, "soccollector: %s: %zu error(s), %zu warning(s); configuration refused\n",
            path, soc_diag_errors(diag), soc_diag_warnings(diag));
    status = 2;
  } else if (check) {
    printf("%s: configuration OK (collector %s, group %s)\n", path, cfg->collector.id,
           cfg->kafka.group_id);
  } else {
    fprintf(stderr, "soccollector: the consumer is not built yet; use --check-config\n");
    status = 1;
  }
  soc_collector_config_free(cfg);
  soc_diag_free(diag);
  return status;
}
