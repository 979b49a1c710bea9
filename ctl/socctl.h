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
#include "soc/deadline.h"
#include "soc/store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One command: socctl.c's table lists them all, and is what both
 * `socctl --help` (name and summary) and `socctl COMMAND --help` (usage)
 * print, so a command's synopsis is written once.
 *
 * run gets the command's own argv (argv[0] is its name) and parses it with
 * getopt_long: the dispatcher sets optind to 0 before, which makes glibc
 * start afresh (permuting options and operands) on that argv. */
typedef struct socctl_command {
  const char *name;
  int (*run)(const struct socctl_env *env, int argc, char **argv);
  const char *summary; /* one line, for socctl --help */
  const char *usage;   /* after "usage: socctl [-c FILE] ": synopsis and option notes, each
                          line ending in a newline */
} socctl_command;

/* Prints command name's usage: to stdout for --help (returns 0), to stderr
 * after bad usage (returns 2, the exit status for it). */
int soc_ctl_usage(const char *name, FILE *out);
/* A --level value, 1 to 4; prints the problem. Returns 0 or 2 (bad usage). */
int soc_ctl_parse_level(const char *cmd, const char *v, int *level);

/* Each returns the process exit status: 0 done, 1 failed, 2 bad usage. */
int soc_ctl_classify(const socctl_env *env, int argc, char **argv);
int soc_ctl_journal(const socctl_env *env, int argc, char **argv);
int soc_ctl_rules(const socctl_env *env, int argc, char **argv);
int soc_ctl_status(const socctl_env *env, int argc, char **argv);
int soc_ctl_drafts(const socctl_env *env, int argc, char **argv);
int soc_ctl_show(const socctl_env *env, int argc, char **argv);
int soc_ctl_alerts(const socctl_env *env, int argc, char **argv);
int soc_ctl_deadlines(const socctl_env *env, int argc, char **argv);
int soc_ctl_audit(const socctl_env *env, int argc, char **argv);
int soc_ctl_confirm(const socctl_env *env, int argc, char **argv);
int soc_ctl_reject(const socctl_env *env, int argc, char **argv);
int soc_ctl_merge(const socctl_env *env, int argc, char **argv);
int soc_ctl_note(const socctl_env *env, int argc, char **argv);
int soc_ctl_promote(const socctl_env *env, int argc, char **argv);
int soc_ctl_reports(const socctl_env *env, int argc, char **argv);
int soc_ctl_report(const socctl_env *env, int argc, char **argv);
/* socctl deadlines without a regime: the clocks of the stored reports as of
 * now (ns; 0: the real time), --json, --overdue (exit status 3 when any). */
int soc_ctl_report_deadlines(const socctl_env *env, int json, int overdue, int64_t now);
int soc_ctl_report_change(const socctl_env *env, int argc, char **argv); /* file, review, ... */
int soc_ctl_key(const socctl_env *env, int argc, char **argv);

/* Loads the agent's config and opens its store (state_dir/agent.db).
 * Problems are printed. OUT: *cfg and *store, both owned by the caller.
 * Returns the exit status to use on failure (0 on success). */
int soc_ctl_open_store(const socctl_env *env, soc_config **cfg, soc_store **store);

/* A positive decimal id (a draft's, a report's). Returns 0 or -1. */
int soc_ctl_parse_id(const char *s, int64_t *out);
/* "3h12m left", "overdue by 1d02h" for secs until a due time. */
void soc_ctl_fmt_left(int64_t secs, char *buf, size_t len);
/* A time option's value (soc_time_parse_ns formats); prints the problem.
 * Returns 0 or 2 (bad usage). */
int soc_ctl_parse_time(const char *cmd, const char *opt, const char *v, int64_t *ns);

/* One change in progress: the config and store open, a write transaction
 * begun. Every change an analyst makes is one of these, so that the change,
 * its audit entry and its outbox copy commit together or not at all. */
typedef struct socctl_tx {
  const char *cmd;
  soc_config *cfg;  /* owned */
  soc_store *store; /* owned */
  int in_tx;
} socctl_tx;

/* Returns 0 or the exit status to fail with (the problem printed). */
int soc_ctl_tx_open(socctl_tx *t, const socctl_env *env, const char *cmd);
/* Commits when status is 0, else rolls back; closes everything. Returns
 * the final status (1 when the commit failed). */
int soc_ctl_tx_close(socctl_tx *t, int status);
/* Appends the audit entry for this change (details: a JSON object,
 * borrowed). Returns 0 or the exit status to fail with. */
struct fjson_object;
int soc_ctl_tx_audit(socctl_tx *t, const char *actor, const char *object,
                     struct fjson_object *details);

/* Loads the agent's deadline table (report.regime); prints the problem.
 * OUT: *out, owned by the caller. Returns 0 or the exit status to fail with. */
int soc_ctl_load_regime(const char *cmd, const soc_config *cfg, soc_regime **out);

#endif
