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

#include "soc/config.h"
#include "soc/store.h"

/* Each returns the process exit status: 0 done, 1 failed, 2 bad usage. */
int socctl_classify(const socctl_env *env, int argc, char **argv);
int socctl_journal(const socctl_env *env, int argc, char **argv);
int socctl_rules(const socctl_env *env, int argc, char **argv);
int socctl_status(const socctl_env *env, int argc, char **argv);
int socctl_drafts(const socctl_env *env, int argc, char **argv);
int socctl_show(const socctl_env *env, int argc, char **argv);
int socctl_deadlines(const socctl_env *env, int argc, char **argv);
int socctl_audit(const socctl_env *env, int argc, char **argv);
int socctl_confirm(const socctl_env *env, int argc, char **argv);
int socctl_reject(const socctl_env *env, int argc, char **argv);
int socctl_merge(const socctl_env *env, int argc, char **argv);
int socctl_note(const socctl_env *env, int argc, char **argv);

/* Loads the agent's config and opens its store (state_dir/agent.db).
 * Problems are printed. OUT: *cfg and *store, both owned by the caller.
 * Returns the exit status to use on failure (0 on success). */
int socctl_open_store(const socctl_env *env, soc_config **cfg, soc_store **store);

#endif
