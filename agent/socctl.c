/*
 * socctl — dispatches `socctl [-c FILE] COMMAND [ARGS]` to the command's
 * function. Global options come before the command, as with git and
 * systemctl, so each command is free to define its own flags.
 */
#include "socctl.h"

#include <stdio.h>
#include <string.h>

#include "soc/diag.h"

#define DEFAULT_CONFIG SOC_SYSCONFDIR "/socagent.yaml"

static const struct command {
  const char *name;
  int (*run)(const socctl_env *env, int argc, char **argv);
  const char *help;
} commands[] = {
    {"classify", socctl_classify, "suggest an incident level under §2.3 and say which clause"},
    {"journal", socctl_journal, "read back what the agent has kept: journal export | stats"},
    {"rules", socctl_rules, "try log rules on log lines: rules test -r FILE [LOGFILE...]"},
    {"status", socctl_status, "inputs, positions, journal, forwarding lag, broker, counters"},
    {"drafts", socctl_drafts, "draft incidents with their suggested level and time left"},
    {"show", socctl_show, "one draft with its evidence and the level's justification"},
    {"deadlines", socctl_deadlines, "legal clocks of an incident from a regime table (tw-2026, nis2, ...)"},
    {"confirm", socctl_confirm, "confirm an open draft: confirm ID --analyst NAME [--level N --reason T]"},
    {"reject", socctl_reject, "reject an open draft: reject ID --analyst NAME --reason TEXT"},
    {"merge", socctl_merge, "merge open drafts into the first: merge ID ID... --analyst NAME"},
    {"note", socctl_note, "add a note to a draft: note ID TEXT --analyst NAME"},
    {"audit", socctl_audit, "check the hash-chained audit log: audit verify | list"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: socctl [-c FILE] COMMAND [ARGS]\n"
               "  -c, --config FILE   agent configuration (default " DEFAULT_CONFIG ")\n"
               "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf(out, "`socctl COMMAND --help` shows a command's options.\n");
}

int socctl_open_store(const socctl_env *env, soc_config **cfg, soc_store **store) {
  char path[4096], err[600];
  soc_diag *diag = soc_diag_new();
  *cfg = NULL;
  *store = NULL;
  if (!diag) return 1;
  int rc = soc_config_load(env->config_path, 0, cfg, diag);
  /* warnings are --check-config's business; a failure shows everything */
  if (rc < 0) soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (rc < 0) {
    fprintf(stderr, "socctl: %s: configuration refused\n", env->config_path);
    return 2;
  }
  snprintf(path, sizeof path, "%s/agent.db", (*cfg)->agent.state_dir);
  if (soc_store_open(path, SOC_STORE_GROUP_WRITE, store, err, sizeof err) < 0) {
    fprintf(stderr, "socctl: %s\n", err);
    soc_config_free(*cfg);
    *cfg = NULL;
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  socctl_env env = {.config_path = DEFAULT_CONFIG};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
      env.config_path = argv[++i];
      env.config_given = 1;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
      printf("socctl %s\n", SOC_VERSION);
      return 0;
    } else {
      fprintf(stderr, "socctl: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (i == argc) {
    usage(stderr);
    return 2;
  }
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
    if (!strcmp(argv[i], commands[c].name)) return commands[c].run(&env, argc - i, argv + i);
  fprintf(stderr, "socctl: unknown command '%s'\n", argv[i]);
  usage(stderr);
  return 2;
}
