/*
 * socctl — the analyst's and operator's command line. Each subcommand lives
 * in its own socctl_<name>.c and is listed in socctl.c's table.
 */
#ifndef SOCCTL_H
#define SOCCTL_H

typedef struct socctl_env {
  const char *config_path; /* -c FILE, or the default */
  int config_given;        /* 1 when -c was on the command line */
} socctl_env;

/* Each returns the process exit status: 0 done, 1 failed, 2 bad usage. */
int socctl_classify(const socctl_env *env, int argc, char **argv);

#endif
