/*
 * socagent — the agent daemon's entry point.
 *
 * Loads the configuration, then either checks it (--check-config), reads
 * every file input to its end once (--oneshot), or runs until SIGTERM or
 * SIGINT, committing what it has read before it exits. Exit codes that
 * systemd's ExecStartPre and scripts can act on: 0 fine, 2 configuration
 * invalid, 1 anything else.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/config.h"
#include "detect.h"
#include "forward.h"
#include "status.h"
#include "identity.h"
#include "ingest.h"
#include "privdrop.h"
#include "service.h"
#include "soc/diag.h"
#include "soc/tz.h"
#include "workflow.h"
#include "fdlimit.h"
#include "watch.h"
#include "yara.h"

#define DEFAULT_CONFIG SOC_SYSCONFDIR "/socagent.yaml"

static void usage(FILE *out) {
  fprintf(out,
          "usage: socagent [-c FILE] [--oneshot] [--forward-once] [--check-config | --help-config |"
          " --version | --print-key | --rotate-key]\n"
          "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG
          ")\n"
          "      --oneshot       read every file input to its current end, commit, exit 0\n"
          "      --now T         with --oneshot: judge the reports' clocks as of T (drills,\n"
          "                      tests), e.g. 2026-11-25T10:00Z or @EPOCH\n"
          "      --forward-once  send what the journal holds to Kafka, wait for delivery\n"
          "                      (up to kafka.flush_timeout; exit 3 if some is left,\n"
          "                      4 if damaged journal blocks were skipped)\n"
          "      --check-config  validate the file and everything it points at, then exit\n"
          "                      (0: valid, 2: invalid; every problem as FILE:LINE:COL)\n"
          "      --help-config   list every configuration key with its default\n"
          "                      (--help-config=man: as man(7) source, for socagent.yaml(5))\n"
          "      --print-key     the agent's public key and how to enrol it at the center\n"
          "                      (made now if this is before the first start)\n"
          "      --rotate-key    a new key pair, certified by the old one: the center takes\n"
          "                      it with the agent's next message (restart the agent)\n"
          "  -V, --version       print the version\n");
}

/* The key is made here when the agent has not started yet, so that it
 * can be enrolled at the center before it sends anything. */
static int print_key(const soc_config *cfg) {
  soc_sign_key *k = NULL;
  if (mkdir(cfg->agent.state_dir, 0750) < 0 && errno != EEXIST) {
    fprintf(stderr, "socagent: cannot create state_dir %s: %s\n", cfg->agent.state_dir,
            strerror(errno));
    return 1;
  }
  if (soc_agent_key_load(cfg, 1, &k) < 0) return 1;
  soc_agent_key_print(cfg, soc_sign_key_pub(k), stdout);
  soc_sign_key_free(k);
  return 0;
}

static int rotate_key(const soc_config *cfg) {
  soc_sign_key *k = NULL;
  if (soc_agent_key_rotate(cfg) < 0 || soc_agent_key_load(cfg, 0, &k) < 0) return 1;
  printf(
      "the agent's new key; the old one signed it, and the center takes it with the first\n"
      "message the agent sends after its restart (or enrol it by hand):\n");
  soc_agent_key_print(cfg, soc_sign_key_pub(k), stdout);
  soc_sign_key_free(k);
  return 0;
}

static void wake_detect(void *d) { soc_detect_wake(d); }
static void wake_forward(void *f) { soc_forward_wake(f); }

/* Daemon: ingestion on this thread, detection and forwarding on their own,
 * until a signal. */
static int run_daemon(const soc_config *cfg) {
  soc_ingest *ing = NULL;
  soc_detect *det = NULL;
  soc_forward *fw = NULL;
  soc_workflow *wf = NULL;
  soc_yara_engine *yara = NULL;
  soc_watch *watch = NULL;
  soc_agent_metrics *metrics = NULL;
  int rc = soc_ingest_new(cfg, &ing);
  if (rc == 0) rc = soc_ingest_start(ing);
  /* Inputs are open, no thread exists yet: the one point where a root
   * start becomes agent.user, so that every thread runs unprivileged. */
  if (rc == 0) rc = soc_privdrop(cfg);
  if (rc == 0) rc = soc_detect_new(cfg, &det);
  if (rc == 0) rc = soc_service_arm(soc_ingest_loop(ing), det);
  if (rc == 0) rc = soc_forward_new(cfg, &fw); /* librdkafka starts its threads here */
  if (rc == 0) rc = soc_workflow_new(cfg, &wf);
  if (rc == 0) rc = soc_agent_yara_new(cfg, &yara);
  if (rc == 0) soc_ingest_set_yara(ing, yara); /* captured streams and bodies */
  if (rc == 0) rc = soc_watch_new(cfg, yara, &watch);
  /* the journal's readers sleep until a commit wakes them */
  if (rc == 0) rc = soc_ingest_on_commit(ing, wake_detect, det);
  if (rc == 0) rc = soc_ingest_on_commit(ing, wake_forward, fw);
  if (rc == 0) soc_detect_on_commit(det, wake_forward, fw);
  if (rc == 0) soc_workflow_on_outbox(wf, wake_forward, fw);
  if (rc == 0) rc = soc_detect_start(det);
  if (rc == 0) rc = soc_forward_start(fw);
  if (rc == 0) rc = soc_workflow_start(wf);
  if (rc == 0) rc = soc_watch_start(watch);
  if (rc == 0) rc = soc_agent_metrics_start(cfg, &metrics);
  if (rc == 0) rc = soc_ingest_run(ing);
  soc_service_stopping();
  soc_agent_metrics_free(metrics);
  soc_watch_free(watch); /* watch and ingest before the engine their scanners use */
  soc_workflow_free(wf);
  soc_detect_free(det);
  soc_forward_free(fw); /* stops: in-flight messages get kafka.flush_timeout */
  soc_ingest_free(ing);
  soc_yarascan_engine_free(yara);
  if (rc < 0) fprintf(stderr, "socagent: stopped on an error: %s\n", strerror(-rc));
  return rc < 0 ? 1 : 0;
}

/* --oneshot and/or --forward-once. Exit 3: not everything was delivered
 * within kafka.flush_timeout (it stays in the journal for the next run). */
static int run_once(const soc_config *cfg, int ingest, int forward, int64_t now_s) {
  int rc = 0;
  if (ingest) {
    /* one engine for the captures read and the watched directories */
    soc_yara_engine *yara = NULL;
    soc_ingest *ing = NULL;
    rc = soc_ingest_new(cfg, &ing); /* makes agent.state_dir, where the rules are cached */
    if (rc == 0) rc = soc_agent_yara_new(cfg, &yara);
    if (rc == 0) soc_ingest_set_yara(ing, yara);
    if (rc == 0) rc = soc_ingest_oneshot(ing);
    soc_ingest_free(ing);
    /* then the rules over what the journal holds, so drafts are there too */
    soc_detect *det = NULL;
    if (rc == 0) rc = soc_detect_new(cfg, &det);
    if (rc == 0) rc = soc_detect_drain(det);
    soc_detect_free(det);
    /* and the watched directories against their baseline */
    soc_watch *watch = NULL;
    if (rc == 0) rc = soc_watch_new(cfg, yara, &watch);
    if (rc == 0) rc = soc_watch_drain(watch);
    soc_watch_free(watch);
    soc_yarascan_engine_free(yara);
    /* and the reports' clocks and bundles, which the daemon does periodically */
    soc_workflow *wf = NULL;
    if (rc == 0) rc = soc_workflow_new(cfg, &wf);
    if (rc == 0) rc = soc_workflow_tick(wf, now_s);
    soc_workflow_free(wf);
  }
  if (rc == 0 && forward) {
    soc_forward *fw = NULL;
    rc = soc_forward_new(cfg, &fw);
    if (rc == 0) rc = soc_forward_drain(fw, cfg->kafka.flush_ms);
    int64_t damaged = fw ? soc_forward_damaged(fw) : 0;
    soc_forward_free(fw);
    if (rc == -ETIMEDOUT) {
      fprintf(stderr,
              "socagent: not everything was delivered within kafka.flush_timeout; "
              "the rest stays in the journal\n");
      return 3;
    }
    if (rc == 0 && damaged) {
      fprintf(stderr,
              "socagent: %lld damaged journal block(s) skipped, not sent (DATA DAMAGED, "
              "see socctl journal verify)\n",
              (long long)damaged);
      return 4;
    }
  }
  if (rc < 0) fprintf(stderr, "socagent: stopped on an error: %s\n", strerror(-rc));
  return rc < 0 ? 1 : 0;
}

/* --check-config: whether the inputs fit in the descriptors the agent will
 * have (the soft limit raised to the hard one, as at every start). Returns
 * the number of warnings printed. */
static size_t check_fds(const char *path, const soc_config *cfg) {
  int64_t files = 0, limit = soc_fdlimit_raise(), need = soc_fdlimit_needed(cfg, &files);
  if (limit < 0 || need <= limit) return 0;
  fprintf(stderr,
          "%s: warning: the inputs need up to %lld file descriptors (%lld file(s) matched now, "
          "max_connections of each TCP listener, the agent's own), more than the limit of %lld: "
          "files past it cannot be read and connections are refused; raise it (LimitNOFILE= in "
          "the service unit, ulimit -n)\n",
          path, (long long)need, (long long)files, (long long)limit);
  return 1;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 'C'},
                                       {"help-config", optional_argument, NULL, 'H'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"oneshot", no_argument, NULL, 'O'},
                                       {"forward-once", no_argument, NULL, 'F'},
                                       {"now", required_argument, NULL, 'N'},
                                       {"print-key", no_argument, NULL, 'K'},
                                       {"rotate-key", no_argument, NULL, 'R'},
                                       {NULL, 0, NULL, 0}};
  const char *path = DEFAULT_CONFIG;
  int check = 0, oneshot = 0, forward_once = 0, key = 0, opt;
  int64_t now_s = 0;
  while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
    switch (opt) {
      case 'c':
        path = optarg;
        break;
      case 'C':
        check = 1;
        break;
      case 'O':
        oneshot = 1;
        break;
      case 'F':
        forward_once = 1;
        break;
      case 'K':
        key = 1;
        break;
      case 'R':
        key = 2;
        break;
      case 'N':
        if (soc_time_parse(optarg, &now_s) < 0) {
          fprintf(stderr, "socagent: --now '%s' is not a time; expected e.g. 2026-11-25T10:00Z\n",
                  optarg);
          return 2;
        }
        break;
      case 'H':
        return soc_config_help(0, optarg, stdout) == 0 ? 0 : 2;
      case 'V':
        printf("socagent %s\n", SOC_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "socagent: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  soc_fdlimit_raise(); /* before anything opens: see fdlimit.h */
  soc_diag *diag = soc_diag_new();
  soc_config *cfg = NULL;
  if (!diag) return 1;
  int rc = soc_config_load(path, check ? SOC_CONFIG_CHECK_REFERENCES : 0, &cfg, diag);
  soc_diag_print(diag, stderr);
  int status = 0;
  if (rc < 0) {
    fprintf(stderr, "socagent: %s: %zu error(s), %zu warning(s); configuration refused\n", path,
            soc_diag_errors(diag), soc_diag_warnings(diag));
    status = 2;
  } else if (check) {
    size_t warnings = soc_diag_warnings(diag) + check_fds(path, cfg);
    printf("%s: configuration OK (agent %s, %zu input(s), %zu contact(s), %zu warning(s))\n", path,
           cfg->agent.id, cfg->ninputs, cfg->ncontacts, warnings);
  } else if (key == 2) {
    status = rotate_key(cfg);
  } else if (key) {
    status = print_key(cfg);
  } else {
    status =
        oneshot || forward_once ? run_once(cfg, oneshot, forward_once, now_s) : run_daemon(cfg);
  }
  soc_config_free(cfg);
  soc_diag_free(diag);
  return status;
}
