/*
 * socctl — dispatches `socctl [-c FILE] COMMAND [ARGS]` to the command's
 * function. Global options come before the command, as with git and
 * systemctl, so each command is free to define its own flags.
 */
#include "socctl.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/audit.h"
#include "soc/diag.h"
#include "soc/tz.h"

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
    {"reports", socctl_reports, "notification reports with their state and next deadline"},
    {"report", socctl_report, "one report: report ID [--format json|stix|text]"},
    {"file", socctl_report_change, "record a filing: file ID --analyst NAME [--via platform|phone] [--at T]"},
    {"review", socctl_report_change, "record the supervisor's review: review ID --analyst NAME [--result T]"},
    {"recover", socctl_report_change, "record damage control or recovery: recover ID --status controlled|recovered"},
    {"close", socctl_report_change, "close a recovered report (結報): close ID --analyst NAME"},
    {"relevel", socctl_report_change, "change a report's level: relevel ID --level N --reason T --analyst NAME"},
    {"investigation", socctl_report_change, "levels 3-4: the investigation report was submitted"},
    {"set", socctl_report_change, "fill form fields: set ID FIELD=VALUE... --analyst NAME (set --list)"},
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
  if (soc_store_open(path, SOC_STORE_AGENT, store, err, sizeof err) < 0) {
    fprintf(stderr, "socctl: %s\n", err);
    soc_config_free(*cfg);
    *cfg = NULL;
    return 1;
  }
  return 0;
}

int socctl_parse_id(const char *s, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || !*s || *end || v <= 0) return -1;
  *out = v;
  return 0;
}

void socctl_fmt_left(int64_t secs, char *buf, size_t len) {
  int64_t a = secs < 0 ? -secs : secs, m = a / 60;
  if (m >= 24 * 60)
    snprintf(buf, len, "%s%lldd%02lldh%s", secs < 0 ? "overdue by " : "", (long long)(m / 1440),
             (long long)(m / 60 % 24), secs < 0 ? "" : " left");
  else
    snprintf(buf, len, "%s%lldh%02lldm%s", secs < 0 ? "overdue by " : "", (long long)(m / 60),
             (long long)(m % 60), secs < 0 ? "" : " left");
}

int socctl_parse_time(const char *cmd, const char *opt, const char *v, int64_t *ns) {
  if (v && soc_time_parse_ns(v, ns) == 0) return 0;
  fprintf(stderr,
          "socctl %s: %s: '%s' is not a time; expected e.g. 2026-01-05T09:30Z, "
          "2026-01-05T17:30+08:00 or @1767605400\n",
          cmd, opt, v ? v : "");
  return 2;
}

int socctl_tx_open(socctl_tx *t, const socctl_env *env, const char *cmd) {
  memset(t, 0, sizeof *t);
  t->cmd = cmd;
  int status = socctl_open_store(env, &t->cfg, &t->store);
  if (status) return status;
  if (soc_store_begin(t->store) < 0) {
    fprintf(stderr, "socctl %s: %s\n", cmd, soc_store_errmsg(t->store));
    return 1;
  }
  t->in_tx = 1;
  return 0;
}

int socctl_tx_close(socctl_tx *t, int status) {
  if (t->in_tx) {
    if (status == 0 && soc_store_commit(t->store) < 0) {
      fprintf(stderr, "socctl %s: commit: %s\n", t->cmd, soc_store_errmsg(t->store));
      status = 1;
    }
    if (status != 0) soc_store_rollback(t->store);
  }
  soc_store_close(t->store);
  soc_config_free(t->cfg);
  t->store = NULL;
  t->cfg = NULL;
  t->in_tx = 0;
  return status;
}

int socctl_tx_audit(socctl_tx *t, const char *actor, const char *object,
                    struct fjson_object *details) {
  int rc = soc_audit_append_tx(t->store, actor, t->cmd, object,
                               fjson_object_to_json_string_ext(details, FJSON_TO_STRING_PLAIN),
                               NULL);
  if (rc < 0) {
    fprintf(stderr, "socctl %s: cannot write the audit entry: %s\n", t->cmd,
            rc == -EBADMSG ? "the audit head is missing (log tampered?)"
            : rc == -EINVAL ? "invalid field"
                            : soc_store_errmsg(t->store));
    return rc == -EINVAL ? 2 : 1;
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
