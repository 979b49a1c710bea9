/*
 * socctl confirm / reject / merge / note / promote — an analyst's decisions
 * on drafts.
 *
 *   socctl -c FILE confirm ID --analyst NAME [--level N --reason TEXT] [--category C]
 *   socctl -c FILE reject ID --analyst NAME --reason TEXT
 *   socctl -c FILE merge ID ID... --analyst NAME
 *   socctl -c FILE note ID TEXT --analyst NAME
 *   socctl -c FILE promote ALERT-ID... --analyst NAME [--level N]
 *
 * The decisions themselves are agent/analyst.c's, shared with the center's
 * console (its decisions reach the agent's inbox); here they get their
 * options, one store transaction (socctl_tx: the change, its hash-chained
 * audit entry and its outbox copy commit together or not at all) and their
 * one line of output.
 *
 * Exit status: 0 done, 1 store failure, 2 bad usage or a refused decision.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyst.h"
#include "socctl.h"

#define MAX_IDS SOC_ANALYST_IDS_MAX

typedef struct opts {
  const char *analyst, *reason, *category, *text;
  int level; /* -1: not given */
  int64_t ids[MAX_IDS];
  size_t nids;
} opts;

/* Parses the common options; `positional_text` takes one free-text word
 * after the ids (note). Returns 0; -1 after --help (printed); or prints the
 * problem and the usage and returns 2. */
static int parse(int argc, char **argv, int positional_text, opts *o) {
  enum { O_ANALYST = 1, O_REASON, O_CATEGORY, O_LEVEL };
  static const struct option longopts[] = {{"analyst", required_argument, NULL, O_ANALYST},
                                           {"reason", required_argument, NULL, O_REASON},
                                           {"category", required_argument, NULL, O_CATEGORY},
                                           {"level", required_argument, NULL, O_LEVEL},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  int opt;
  memset(o, 0, sizeof *o);
  o->level = -1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
      case O_ANALYST:
        o->analyst = optarg;
        break;
      case O_REASON:
        o->reason = optarg;
        break;
      case O_CATEGORY:
        o->category = optarg;
        break;
      case O_LEVEL:
        if (soc_ctl_parse_level(cmd, optarg, &o->level)) return 2;
        break;
      case 'h':
        soc_ctl_usage(cmd, stdout);
        return -1;
      default:
        return soc_ctl_usage(cmd, stderr);
    }
  }
  for (int i = optind; i < argc; i++) {
    if (positional_text && o->nids == 1 && !o->text) {
      o->text = argv[i];
    } else if (o->nids < MAX_IDS && soc_ctl_parse_id(argv[i], &o->ids[o->nids]) == 0) {
      o->nids++;
    } else {
      fprintf(stderr, "socctl %s: \"%s\" is not a draft id\n", cmd, argv[i]);
      return soc_ctl_usage(cmd, stderr);
    }
  }
  if (!o->nids) return soc_ctl_usage(cmd, stderr);
  if (!o->analyst || !*o->analyst || strlen(o->analyst) >= SOC_AUDIT_FIELD_MAX) {
    fprintf(stderr, "socctl %s: --analyst NAME is required (who decides)\n", cmd);
    return 2;
  }
  return 0;
}

typedef int (*decide_fn)(soc_analyst *a, const opts *o, soc_analyst_result *res);

/* One decision in socctl's transaction: agent/analyst.c makes it, the
 * audit entry follows. Returns the exit status. OUT: *res. */
static int run(const socctl_env *env, const char *cmd, const opts *o, decide_fn fn,
               soc_analyst_result *res) {
  socctl_tx d;
  soc_regime *g = NULL;
  soc_assets *assets = NULL;
  fjson_object *details = fjson_object_new_object();
  char object[48];
  memset(res, 0, sizeof *res);
  int status = soc_ctl_tx_open(&d, env, cmd);
  if (status) goto out;
  if (!strcmp(cmd, "confirm") && (status = soc_ctl_load_regime(cmd, d.cfg, &g))) goto out;
  if (!strcmp(cmd, "promote")) {
    soc_diag *diag = soc_diag_new();
    int rc = soc_config_load_assets(d.cfg, &assets, diag);
    soc_diag_print(diag, stderr);
    soc_diag_free(diag);
    if (rc < 0) {
      status = 2;
      goto out;
    }
  }
  soc_analyst a = {.cfg = d.cfg,
                   .store = d.store,
                   .regime = g,
                   .assets = assets,
                   .by = o->analyst,
                   .details = details};
  int rc = fn(&a, o, res);
  if (rc < 0) {
    fprintf(stderr, "socctl %s: %s\n", cmd, a.why);
    status = rc == -EIO || rc == -ENOMEM ? 1 : 2;
    goto out;
  }
  snprintf(object, sizeof object, "draft:%lld", (long long)res->draft);
  status = soc_ctl_tx_audit(&d, o->analyst, object, details);
out:
  status = soc_ctl_tx_close(&d, status);
  soc_regime_free(g);
  soc_assets_free(assets);
  fjson_object_put(details);
  return status;
}

/* ---- confirm ---------------------------------------------------------------- */

static int do_confirm(soc_analyst *a, const opts *o, soc_analyst_result *res) {
  return soc_analyst_confirm(a, o->ids[0], o->level, o->reason, o->category, res);
}

int soc_ctl_confirm(const socctl_env *env, int argc, char **argv) {
  opts o;
  soc_analyst_result res;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1) return soc_ctl_usage(argv[0], stderr);
  if ((status = run(env, "confirm", &o, do_confirm, &res))) return status;
  printf("draft %lld confirmed by %s (level %d", (long long)res.draft, o.analyst, res.level_from);
  if (res.level != res.level_from) printf(" → %d: %s", res.level, o.reason);
  if (strcmp(res.category, res.category_from))
    printf("; category %s → %s", res.category_from, res.category);
  printf(")\n");
  return 0;
}

/* ---- reject ----------------------------------------------------------------- */

static int do_reject(soc_analyst *a, const opts *o, soc_analyst_result *res) {
  return soc_analyst_reject(a, o->ids[0], o->reason, res);
}

int soc_ctl_reject(const socctl_env *env, int argc, char **argv) {
  opts o;
  soc_analyst_result res;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1 || o.level > 0 || o.category) return soc_ctl_usage(argv[0], stderr);
  if (!o.reason || !*o.reason) {
    fprintf(stderr, "socctl reject: --reason is required (why this is not an incident)\n");
    return 2;
  }
  if ((status = run(env, "reject", &o, do_reject, &res))) return status;
  printf("draft %lld rejected by %s: %s\n", (long long)res.draft, o.analyst, o.reason);
  return 0;
}

/* ---- merge ------------------------------------------------------------------ */

static int do_merge(soc_analyst *a, const opts *o, soc_analyst_result *res) {
  return soc_analyst_merge(a, o->ids, o->nids, res);
}

int soc_ctl_merge(const socctl_env *env, int argc, char **argv) {
  opts o;
  soc_analyst_result res;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids < 2 || o.level > 0 || o.category) return soc_ctl_usage(argv[0], stderr);
  if ((status = run(env, "merge", &o, do_merge, &res))) return status;
  printf("draft %lld merged with", (long long)res.draft);
  for (size_t i = 1; i < o.nids; i++) printf("%s %lld", i > 1 ? "," : "", (long long)o.ids[i]);
  printf(" by %s (count %lld → %lld)\n", o.analyst, (long long)res.count_from,
         (long long)res.count);
  return 0;
}

/* ---- note ------------------------------------------------------------------- */

static int do_note(soc_analyst *a, const opts *o, soc_analyst_result *res) {
  return soc_analyst_note(a, o->ids[0], o->text, res);
}

int soc_ctl_note(const socctl_env *env, int argc, char **argv) {
  opts o;
  soc_analyst_result res;
  int status = parse(argc, argv, 1, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1 || !o.text || !*o.text || o.level > 0 || o.category || o.reason)
    return soc_ctl_usage(argv[0], stderr);
  if ((status = run(env, "note", &o, do_note, &res))) return status;
  printf("note added to draft %lld (%s) by %s\n", (long long)res.draft, res.status, o.analyst);
  return 0;
}

/* ---- promote ---------------------------------------------------------------- */

static int do_promote(soc_analyst *a, const opts *o, soc_analyst_result *res) {
  return soc_analyst_promote(a, o->ids, o->nids, o->level > 0 ? o->level : 0, res);
}

int soc_ctl_promote(const socctl_env *env, int argc, char **argv) {
  opts o;
  soc_analyst_result res;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.reason || o.category) return soc_ctl_usage(argv[0], stderr);
  if ((status = run(env, "promote", &o, do_promote, &res))) return status;
  printf("alert(s) promoted by %s into draft %lld (level %d); report due within 1 h (§3.1)\n",
         o.analyst, (long long)res.draft, res.level);
  return 0;
}
