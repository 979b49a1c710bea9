/*
 * enrol — the center's key and the enrolment commands (enrol.h).
 */
#define _GNU_SOURCE
#include "enrol.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "center.h"
#include "centerdb.h"
#include "soc/event.h"
#include "soc/tz.h"
#include "soc/utf8.h"
#include "validate.h"

int soc_center_key_load(const soc_collector_config *cfg, int create, soc_sign_key **out) {
  char path[4096], err[600];
  int created = 0;
  int rc = soc_center_state_file(cfg, "center.key", path, sizeof path);
  if (rc < 0) return rc;
  rc = soc_sign_key_load(path, create, out, &created, err, sizeof err);
  if (rc < 0)
    fprintf(stderr, "soccollector: the center's key: %s\n", err);
  else if (created)
    fprintf(stderr,
            "soccollector: made the center's key %s; agents apply only decisions it "
            "signed (their kafka.center_key: soccollector key)\n",
            path);
  return rc;
}

/* The operating-system user running the command, for the record. */
static const char *os_user(char *buf, size_t cap) {
  struct passwd *pw = getpwuid(getuid());
  if (pw && pw->pw_name)
    snprintf(buf, cap, "%s", pw->pw_name);
  else
    snprintf(buf, cap, "uid %u", (unsigned)getuid());
  return buf;
}

static int cmd_key(const soc_collector_config *cfg) {
  soc_sign_key *k = NULL;
  char text[SOC_SIGN_PUB_TEXT + 1], fpr[SOC_SIGN_FPR_TEXT + 1];
  if (soc_center_key_load(cfg, 1, &k) < 0) return 1;
  soc_sign_pub_text(soc_sign_key_pub(k), text);
  soc_sign_fingerprint(soc_sign_key_pub(k), fpr);
  printf(
      "center:      %s\n"
      "public key:  %s\n"
      "fingerprint: %s\n"
      "in each agent's configuration:\n"
      "  kafka: { center_key: \"%s\" }\n",
      cfg->collector.id, text, fpr, text);
  soc_sign_key_free(k);
  return 0;
}

/* A name an operator gives: printable, bounded. */
static int name_ok(const char *what, const char *v, size_t max) {
  size_t n = v ? strlen(v) : 0;
  int ok = n > 0 && n <= max && soc_utf8_valid_prefix(v, n) == n;
  for (size_t i = 0; ok && i < n; i++) ok = (unsigned char)v[i] >= 0x20 && v[i] != 0x7f;
  if (!ok)
    fprintf(stderr, "soccollector: %s: expected 1-%zu printable characters of UTF-8\n", what, max);
  return ok;
}

static int cmd_enroll(const soc_collector_config *cfg, const char *agent, const char *key,
                      const char *agency, const char *by) {
  soc_centerdb *db = NULL;
  soc_sign_pub pub;
  char user[256], fpr[SOC_SIGN_FPR_TEXT + 1], text[SOC_SIGN_PUB_TEXT + 1];
  int status = 2;
  if (!soc_collector_agent_id_ok(agent, strlen(agent))) {
    fprintf(stderr,
            "soccollector enroll: '%s' is not an agent id; expected 1-64 letters, "
            "digits, '.', '_' or '-'\n",
            agent);
    return 2;
  }
  if (!key || soc_sign_pub_parse(key, strlen(key), &pub) < 0) {
    fprintf(stderr,
            "soccollector enroll: --key: expected the 44 base64 characters "
            "`socagent --print-key` shows\n");
    return 2;
  }
  if (!name_ok("enroll --agency", agency, SOC_CENTER_AGENCY_MAX) ||
      !name_ok("enroll --by", by, 255))
    return 2;
  soc_sign_pub_text(&pub, text);
  soc_sign_fingerprint(&pub, fpr);
  status = 1;
  if (soc_centerdb_open(cfg, &db) < 0) return 1;
  soc_center_key_row before;
  soc_center_enrolment e = {.agent = agent,
                            .key = text,
                            .agency = agency,
                            .by = by,
                            .os_user = os_user(user, sizeof user),
                            .at_ns = soc_now_real_ns()};
  int had = -1;
  if (soc_centerdb_begin(db) < 0 ||
      ((had = soc_centerdb_key_of(db, agent, &before)) < 0 && had != -ENOENT) ||
      soc_centerdb_enrol(db, &e) < 0 || soc_centerdb_commit(db) < 0) {
    fprintf(stderr, "soccollector enroll: %s\n", soc_centerdb_errmsg(db));
    soc_centerdb_rollback(db);
    goto out;
  }
  char safe_agency[SOC_UTF8_PRINTABLE_BUF(SOC_CENTER_AGENCY_MAX)],
      safe_by[SOC_UTF8_PRINTABLE_BUF(255)];
  printf("enrolled %s (agency %s), key fingerprint %s, by %s (%s)\n", agent,
         soc_utf8_printable(agency, safe_agency, sizeof safe_agency), fpr,
         soc_utf8_printable(by, safe_by, sizeof safe_by), user);
  if (had == 0 && strcmp(before.key, text)) {
    soc_sign_pub old;
    char old_fpr[SOC_SIGN_FPR_TEXT + 1] = "?";
    if (soc_sign_pub_parse(before.key, strlen(before.key), &old) == 0)
      soc_sign_fingerprint(&old, old_fpr);
    printf("it replaces the %s key %s: messages signed with that one are refused from now on\n",
           before.revoked ? SOC_CENTER_REVOKED : SOC_CENTER_ENROLLED, old_fpr);
  }
  status = 0;
out:
  soc_centerdb_free(db);
  return status;
}

static int cmd_revoke(const soc_collector_config *cfg, const char *agent, const char *by) {
  soc_centerdb *db = NULL;
  char user[256];
  if (!name_ok("revoke --by", by, 255)) return 2;
  if (soc_centerdb_open(cfg, &db) < 0) return 1;
  int rc = soc_centerdb_revoke(db, agent, by, os_user(user, sizeof user), soc_now_real_ns());
  char safe[SOC_UTF8_PRINTABLE_BUF(64)];
  if (rc < 0)
    fprintf(stderr, "soccollector revoke: %s\n", soc_centerdb_errmsg(db));
  else
    printf("revoked %s: its messages are quarantined as 'revoked' until it is enrolled again\n",
           soc_utf8_printable(agent, safe, sizeof safe));
  soc_centerdb_free(db);
  return rc == -ENOENT ? 2 : rc < 0 ? 1 : 0;
}

int soc_enrol_command(const soc_collector_config *cfg, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"agency", required_argument, NULL, 'a'},
                                       {"by", required_argument, NULL, 'b'},
                                       {NULL, 0, NULL, 0}};
  const char *cmd = argv[0], *key = NULL, *agency = NULL, *by = NULL;
  char user[256];
  int opt;
  if (strcmp(cmd, "key") && strcmp(cmd, "enroll") && strcmp(cmd, "revoke")) return -1;
  optind = 0; /* the agent id may come before the options */
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
      case 'k':
        key = optarg;
        break;
      case 'a':
        agency = optarg;
        break;
      case 'b':
        by = optarg;
        break;
      default:
        return 2;
    }
  }
  if (!strcmp(cmd, "key")) {
    if (optind != argc || key || agency || by) {
      fprintf(stderr, "usage: soccollector key\n");
      return 2;
    }
    return cmd_key(cfg);
  }
  if (optind + 1 != argc || (!strcmp(cmd, "revoke") && (key || agency))) {
    fprintf(stderr,
            "usage: soccollector enroll AGENT-ID --key PUBKEY --agency AGENCY [--by NAME]\n"
            "       soccollector revoke AGENT-ID [--by NAME]\n");
    return 2;
  }
  if (!by) by = os_user(user, sizeof user);
  return !strcmp(cmd, "enroll") ? cmd_enroll(cfg, argv[optind], key, agency, by)
                                : cmd_revoke(cfg, argv[optind], by);
}

/* ---- the listing ------------------------------------------------------------------ */

static int list_one(void *arg, const soc_center_enrolment *e) {
  fjson_object *list = arg;
  soc_sign_pub pub;
  char fpr[SOC_SIGN_FPR_TEXT + 1] = "?", when[SOC_EVENT_TIME_BUF] = "?";
  if (soc_sign_pub_parse(e->key, strlen(e->key), &pub) == 0) soc_sign_fingerprint(&pub, fpr);
  soc_event_format_time(e->at_ns, 0, when, sizeof when);
  int pending = !strcmp(e->state, SOC_CENTER_PENDING);
  /* a key the agent rotated to itself, certified by the one before */
  char prev_fpr[SOC_SIGN_FPR_TEXT + 1] = "", rotated[SOC_EVENT_TIME_BUF] = "";
  soc_sign_pub prev;
  if (e->prev_key && e->prev_key[0] &&
      soc_sign_pub_parse(e->prev_key, strlen(e->prev_key), &prev) == 0) {
    soc_sign_fingerprint(&prev, prev_fpr);
    soc_event_format_time(e->rotated_ns, 0, rotated, sizeof rotated);
  }
  if (!list) {
    char agent[SOC_UTF8_PRINTABLE_BUF(64)], agency[SOC_UTF8_PRINTABLE_BUF(SOC_CENTER_AGENCY_MAX)],
        by[SOC_UTF8_PRINTABLE_BUF(255)], user[SOC_UTF8_PRINTABLE_BUF(255)];
    soc_utf8_printable(e->agent, agent, sizeof agent);
    if (pending)
      printf("%-24s %-8s %s  %" PRId64
             " message(s) since %s: soccollector enroll %s --key %s "
             "--agency AGENCY\n",
             agent, e->state, fpr, e->messages, when, agent, e->key);
    else
      printf("%-24s %-8s %s  agency %s, by %s (%s) at %s%s%s%s%s\n", agent, e->state, fpr,
             soc_utf8_printable(e->agency, agency, sizeof agency),
             soc_utf8_printable(e->by, by, sizeof by),
             soc_utf8_printable(e->os_user, user, sizeof user), when,
             prev_fpr[0] ? "; rotated by the agent from " : "", prev_fpr, prev_fpr[0] ? " at " : "",
             rotated);
    return 0;
  }
  fjson_object *o = fjson_object_new_object();
  if (!o) return -ENOMEM;
  fjson_object_object_add(o, "agent", fjson_object_new_string(e->agent));
  fjson_object_object_add(o, "state", fjson_object_new_string(e->state));
  fjson_object_object_add(o, "key", fjson_object_new_string(e->key));
  fjson_object_object_add(o, "fingerprint", fjson_object_new_string(fpr));
  fjson_object_object_add(o, pending ? "first_seen" : "at", fjson_object_new_string(when));
  if (pending) {
    fjson_object_object_add(o, "messages", fjson_object_new_int64(e->messages));
  } else {
    fjson_object_object_add(o, "agency", fjson_object_new_string(e->agency));
    fjson_object_object_add(o, "by", fjson_object_new_string(e->by));
    fjson_object_object_add(o, "os_user", fjson_object_new_string(e->os_user));
    if (prev_fpr[0]) {
      fjson_object_object_add(o, "rotated_from", fjson_object_new_string(prev_fpr));
      fjson_object_object_add(o, "rotated_at", fjson_object_new_string(rotated));
    }
  }
  fjson_object_array_add(list, o);
  return 0;
}

int soc_enrol_list(soc_centerdb *db, fjson_object *json) {
  fjson_object *list = json ? fjson_object_new_array() : NULL;
  if (json && !list) return -ENOMEM;
  if (!json) printf("\nKEYS\n");
  int rc = soc_centerdb_enrolments_scan(db, list_one, list);
  if (json) fjson_object_object_add(json, "keys", list);
  return rc;
}
