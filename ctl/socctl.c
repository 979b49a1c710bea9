/*
 * socctl — dispatches `socctl [-c FILE] COMMAND [ARGS]` to the command's
 * function. Global options come before the command, as with git and
 * systemctl, so each command is free to define its own flags.
 */
#include "socctl.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "soc/audit.h"
#include "soc/diag.h"
#include "soc/tz.h"

#define DEFAULT_CONFIG SOC_SYSCONFDIR "/socagent.yaml"

static const socctl_command commands[] = {
    {"classify", soc_ctl_classify, "suggest an incident level under §2.3 and say which clause",
     "classify --impact leak|tamper|outage [options] [--impact ... [options]]\n"
     "  --impact KIND            leak, tamper or outage; repeat for several impacts\n"
     "  --tier TIER              cii, core or non-core\n"
     "  --data-class CLASS       national-secret, classified, sensitive or general (leak)\n"
     "  --severity S             minor or severe (tamper)\n"
     "  --outage-minutes N       how long the outage has lasted (outage)\n"
     "  --tolerable-minutes N    the asset's tolerable downtime (outage)\n"
     "  --asset NAME | --host H  take tier, data class and downtime from the inventory\n"
     "  --assets FILE            the inventory (default: the one the config names)\n"
     "  --json                   machine-readable output\n"},
    {"journal", soc_ctl_journal,
     "read back what the agent has kept: journal export | stats | verify",
     "journal export [--ecs] [--host H] [--source ID] [--since T] [--until T]\n"
     "       socctl [-c FILE] journal stats\n"
     "       socctl [-c FILE] journal verify\n"
     "  T: 2026-11-25T07:00:00+08:00, '2026-11-25 07:00' (agent.timezone), 2026-11-25,"
     " @EPOCH, or -2h / -30m / -7d back from now\n"},
    {"rules", soc_ctl_rules, "try log rules on log lines: rules test -r FILE [LOGFILE...]",
     "rules test -r RULEFILE [-r RULEFILE...] [options] [LOGFILE...]\n"
     "  -r, --rules FILE     a rule file (YAML, docs/RULES.md); repeat for several\n"
     "  --timezone Z         zone of timestamps that carry none (default local)\n"
     "  --json               one JSON object per firing\n"
     "  --max-keys N         correlation keys kept (default 100000)\n"
     "  -q, --quiet          print no firings (with --stats: only measure)\n"
     "  --stats              lines, hits, firings and CPU seconds on stderr\n"
     "  --no-prefilter       evaluate every rule on every line (same answers, slower;\n"
     "                       to measure the automaton or to check it)\n"
     "  --sigma PATH         Sigma rule files: a file, a glob or a folder (all *.yml\n"
     "                       under it); repeat for several (docs/SIGMA.md)\n"
     "  -v, --verbose        with --sigma: also list every Sigma rule loaded\n"
     "  --format F           syslog (default), json (each line a JSON object),\n"
     "                       auditd (audit.log) or access (web server access log),\n"
     "                       as the agent's inputs read them\n"
     "  --time-field P       json: dotted path of the event time (default @timestamp)\n"
     "  --host-field P       json: dotted path of the host name\n"
     "  --with-config        take rules.sigma_placeholders and rules.sigma_impact from\n"
     "                       the configuration (-c)\n"
     "Lines are read from the LOGFILEs, or stdin without any.\n"},
    {"status", soc_ctl_status, "inputs, positions, journal, forwarding lag, broker, counters",
     "status [--json]\n"},
    {"drafts", soc_ctl_drafts, "draft incidents with their suggested level and time left",
     "drafts [--all] [--json]\n"},
    {"alerts", soc_ctl_alerts,
     "rule firings kept on the agent (no clock), the draft that took each in, the center's notices",
     "alerts [--notices] [--json]\n"
     "  --notices   only the center's notices (campaigns seen at several agencies)\n"},
    {"show", soc_ctl_show, "one draft with its evidence and the level's justification",
     "show ID [--json]\n"},
    {"deadlines", soc_ctl_deadlines,
     "legal clocks: of the stored reports, or of an incident from a regime table",
     "deadlines [--overdue] [--json] [--now T]\n"
     "  the open clocks of the stored reports; with --overdue only those past due, and\n"
     "  exit status 3 when there is one (for monitoring)\n"
     "   or: socctl deadlines --regime NAME --level N --discovered T [--reported T]\n"
     "         [--reviewed T] [--recovered T] [--classified T] [--done STEP=T]...\n"
     "         [--now T] [--json] [--regimes-dir DIR]\n"
     "  the clocks of one incident, computed from a regime table, nothing stored.\n"
     "  T is ISO 8601 (2026-01-05T09:30Z, 2026-01-05T17:30+08:00; no zone = UTC) or @EPOCH.\n"
     "  --now defaults to the current time. Regimes: DIR/NAME.yaml (tw-2018, tw-2026,\n"
     "  nis2, gdpr, dora). A level change is a rerun with the new level.\n"},
    {"confirm", soc_ctl_confirm, "confirm an open draft: it becomes a report",
     "confirm ID --analyst NAME [--level N --reason TEXT] [--category C]\n"},
    {"reject", soc_ctl_reject, "reject an open draft: not an incident",
     "reject ID --analyst NAME --reason TEXT\n"},
    {"merge", soc_ctl_merge, "merge open drafts into the first",
     "merge ID ID... --analyst NAME   (the first id survives)\n"},
    {"promote", soc_ctl_promote, "make alerts a draft, its clock starting now",
     "promote ALERT-ID... --analyst NAME [--level N]\n"},
    {"note", soc_ctl_note, "add a note to a draft", "note ID TEXT --analyst NAME\n"},
    {"reports", soc_ctl_reports, "notification reports with their state and next deadline",
     "reports [--json] [--state S] [--now T]\n"},
    {"report", soc_ctl_report, "one report as JSON, STIX 2.1 or the form's text",
     "report ID [--format json|stix|text] [--now T]\n"},
    {"file", soc_ctl_report_change, "record a filing on the platform (or by phone)",
     "file ID --analyst NAME [--via platform|phone] [--at T]\n"},
    {"review", soc_ctl_report_change, "record the supervisor's review",
     "review ID --analyst NAME [--result TEXT] [--at T]\n"},
    {"recover", soc_ctl_report_change, "record damage control or recovery",
     "recover ID --analyst NAME --status controlled|recovered [--at T]\n"},
    {"close", soc_ctl_report_change, "close a recovered report (結報)",
     "close ID --analyst NAME [--at T]\n"},
    {"relevel", soc_ctl_report_change, "change a report's level",
     "relevel ID --level N --reason TEXT --analyst NAME [--at T]\n"},
    {"investigation", soc_ctl_report_change, "levels 3-4: the investigation report was submitted",
     "investigation ID --analyst NAME [--at T]\n"},
    {"set", soc_ctl_report_change, "fill form fields of a report (set --list shows them)",
     "set ID FIELD=VALUE... --analyst NAME\n"
     "       socctl [-c FILE] set --list\n"},
    {"audit", soc_ctl_audit, "check the hash-chained audit log: audit verify | list",
     "audit verify [--json] [--anchor SEQ:HASH]\n"
     "       socctl [-c FILE] audit list [--json] [--limit N]\n"},
    {"key", soc_ctl_key, "the agent's public key and fingerprint, to enrol it at the center",
     "key\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
  fprintf(out,
          "usage: socctl [-c FILE] COMMAND [ARGS]\n"
          "  -c, --config FILE   agent configuration (default " DEFAULT_CONFIG
          ")\n"
          "  -h, --help          this list\n"
          "  -V, --version       the version\n"
          "commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "`socctl COMMAND --help` shows a command's options.\n");
}

static const socctl_command *command_of(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(name, commands[i].name)) return &commands[i];
  return NULL;
}

int soc_ctl_usage(const char *name, FILE *out) {
  const socctl_command *c = command_of(name);
  if (c) fprintf(out, "usage: socctl [-c FILE] %s", c->usage);
  return out == stdout ? 0 : 2;
}

int soc_ctl_parse_level(const char *cmd, const char *v, int *level) {
  char *end = NULL;
  long l = strtol(v, &end, 10);
  if (*end || !*v || l < 1 || l > 4) {
    fprintf(stderr, "socctl %s: --level must be 1 to 4, not \"%s\"\n", cmd, v);
    return 2;
  }
  *level = (int)l;
  return 0;
}

int soc_ctl_open_store(const socctl_env *env, soc_config **cfg, soc_store **store) {
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

int soc_ctl_parse_id(const char *s, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || !*s || *end || v <= 0) return -1;
  *out = v;
  return 0;
}

void soc_ctl_fmt_left(int64_t secs, char *buf, size_t len) {
  int64_t a = secs < 0 ? -secs : secs, m = a / 60;
  if (m >= 24 * 60)
    snprintf(buf, len, "%s%lldd%02lldh%s", secs < 0 ? "overdue by " : "", (long long)(m / 1440),
             (long long)(m / 60 % 24), secs < 0 ? "" : " left");
  else
    snprintf(buf, len, "%s%lldh%02lldm%s", secs < 0 ? "overdue by " : "", (long long)(m / 60),
             (long long)(m % 60), secs < 0 ? "" : " left");
}

int soc_ctl_parse_time(const char *cmd, const char *opt, const char *v, int64_t *ns) {
  if (v && soc_time_parse_ns(v, ns) == 0) return 0;
  fprintf(stderr,
          "socctl %s: %s: '%s' is not a time; expected e.g. 2026-01-05T09:30Z, "
          "2026-01-05T17:30+08:00 or @1767605400\n",
          cmd, opt, v ? v : "");
  return 2;
}

int soc_ctl_tx_open(socctl_tx *t, const socctl_env *env, const char *cmd) {
  memset(t, 0, sizeof *t);
  t->cmd = cmd;
  int status = soc_ctl_open_store(env, &t->cfg, &t->store);
  if (status) return status;
  if (soc_store_begin(t->store) < 0) {
    fprintf(stderr, "socctl %s: %s\n", cmd, soc_store_errmsg(t->store));
    return 1;
  }
  t->in_tx = 1;
  return 0;
}

int soc_ctl_tx_close(socctl_tx *t, int status) {
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

int soc_ctl_tx_audit(socctl_tx *t, const char *actor, const char *object,
                     struct fjson_object *details) {
  /* The analyst's name is what they typed; who ran the command is what
   * the system says, kept beside it in the hashed entry. */
  struct passwd *pw = getpwuid(getuid());
  char user[64];
  if (pw && pw->pw_name)
    snprintf(user, sizeof user, "%s", pw->pw_name);
  else
    snprintf(user, sizeof user, "uid %u", (unsigned)getuid());
  if (details && fjson_object_is_type(details, fjson_type_object))
    fjson_object_object_add(details, "os_user", fjson_object_new_string(user));
  int rc =
      soc_audit_append_tx(t->store, actor, t->cmd, object,
                          fjson_object_to_json_string_ext(details, FJSON_TO_STRING_PLAIN), NULL);
  if (rc < 0) {
    fprintf(stderr, "socctl %s: cannot write the audit entry: %s\n", t->cmd,
            rc == -EBADMSG  ? "the audit head is missing (log tampered?)"
            : rc == -EINVAL ? "invalid field"
                            : soc_store_errmsg(t->store));
    return rc == -EINVAL ? 2 : 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'V'},
                                       {NULL, 0, NULL, 0}};
  socctl_env env = {.config_path = DEFAULT_CONFIG};
  int opt;
  /* "+": global options end at the command; what follows is the command's */
  while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
    switch (opt) {
      case 'c':
        env.config_path = optarg;
        env.config_given = 1;
        break;
      case 'h':
        usage(stdout);
        return 0;
      case 'V':
        printf("socctl %s\n", SOC_VERSION);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind == argc) {
    usage(stderr);
    return 2;
  }
  const socctl_command *c = command_of(argv[optind]);
  if (!c) {
    fprintf(stderr, "socctl: unknown command '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  int first = optind;
  optind = 0; /* see socctl_command */
  return c->run(&env, argc - first, argv + first);
}
