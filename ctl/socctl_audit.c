/*
 * socctl audit — checking and reading the audit log (issue 6).
 *
 *   socctl -c FILE audit verify [--json] [--anchor SEQ:HASH]
 *   socctl -c FILE audit list [--json] [--limit N]
 *
 * verify exits 0 only when every entry's hash, every link to the entry
 * before and the recorded head agree; otherwise it names the first entry
 * that does not, and exits 1, so that scripts and monitoring can alarm on
 * the exit status alone. --anchor holds the log to a head recorded off the
 * machine (the technical center keeps the one each heartbeat carries,
 * `soccollector agents --json`): a log cut back and given a new head
 * verifies on its own, but not against an earlier anchor. list shows the newest N entries (all by
 * default) oldest first, as stored: it vouches for nothing, verify does.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/utf8.h"
#include "socctl.h"
#include "soc/audit.h"
#include "soc/schema.h"

static int verify(soc_store *store, int json, int64_t anchor_seq, const char *anchor_hash) {
  soc_audit_report rep;
  int rc = soc_audit_verify_anchored(store, anchor_seq, anchor_hash, &rep);
  if (rc < 0) {
    fprintf(stderr, "socctl: cannot verify the audit log: %s\n", soc_store_errmsg(store));
    return 1;
  }
  if (json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "intact", fjson_object_new_boolean(rep.ok));
    fjson_object_object_add(o, "entries", fjson_object_new_int64(rep.entries));
    fjson_object_object_add(o, "head", fjson_object_new_string(rep.head));
    if (anchor_seq) fjson_object_object_add(o, "anchor", fjson_object_new_int64(anchor_seq));
    if (!rep.ok) {
      fjson_object_object_add(o, "bad_entry", fjson_object_new_int64(rep.bad_seq));
      fjson_object_object_add(o, "problem", fjson_object_new_string(rep.what));
    }
    printf("%s\n", fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PRETTY));
    fjson_object_put(o);
  } else if (rep.ok) {
    printf("audit log intact: %" PRId64 " entries, head %s%s\n", rep.entries,
           rep.head[0] ? rep.head : "(none)", anchor_seq ? ", the anchor is in it" : "");
  } else {
    printf("audit log broken at entry %" PRId64 ": %s\n", rep.bad_seq, rep.what);
  }
  return rep.ok ? 0 : 1;
}

typedef struct list_ctx {
  int json;
  fjson_object *arr;
} list_ctx;

static int list_row(void *arg, const soc_audit_row *r) {
  list_ctx *c = arg;
  if (c->json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object *details = fjson_tokener_parse(r->details);
    fjson_object_object_add(o, "seq", fjson_object_new_int64(r->seq));
    fjson_object_object_add(o, "ts_ns", fjson_object_new_int64(r->ts_ns));
    fjson_object_object_add(o, "actor", fjson_object_new_string(r->actor));
    fjson_object_object_add(o, "action", fjson_object_new_string(r->action));
    fjson_object_object_add(o, "object", fjson_object_new_string(r->object));
    /* a tampered row may hold anything: show it as a string then */
    fjson_object_object_add(o, "details", details ? details : fjson_object_new_string(r->details));
    fjson_object_object_add(o, "prev_hash", fjson_object_new_string(r->prev_hash));
    fjson_object_object_add(o, "hash", fjson_object_new_string(r->hash));
    fjson_object_array_add(c->arr, o);
    return 0;
  }
  char when[64] = "?";
  time_t t = (time_t)(r->ts_ns / 1000000000LL);
  struct tm tm;
  if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  /* Names and reasons are what an analyst typed (or a tampered row holds):
   * shown with control characters escaped, so none can clear the screen or
   * forge a line of this listing. */
  char actor[SOC_UTF8_PRINTABLE_BUF(256)], action[SOC_UTF8_PRINTABLE_BUF(64)],
      object[SOC_UTF8_PRINTABLE_BUF(256)], details[SOC_UTF8_PRINTABLE_BUF(1365)];
  printf("%6" PRId64 "  %s  %-12s %-16s %-20s %s  %.12s\n", r->seq, when,
         soc_utf8_printable(r->actor, actor, sizeof actor),
         soc_utf8_printable(r->action, action, sizeof action),
         r->object[0] ? soc_utf8_printable(r->object, object, sizeof object) : "-",
         soc_utf8_printable(r->details, details, sizeof details), r->hash);
  return 0;
}

static int list(soc_store *store, int json, int64_t limit) {
  int64_t max = 0;
  list_ctx c = {.json = json};
  if (soc_store_audit_max_seq(store, &max) < 0) goto fail;
  int64_t after = limit > 0 && max > limit ? max - limit : 0;
  if (json) c.arr = fjson_object_new_array();
  if (soc_store_audit_scan(store, after, 0, list_row, &c) < 0) {
    fjson_object_put(c.arr);
    goto fail;
  }
  if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(c.arr, FJSON_TO_STRING_PRETTY));
    fjson_object_put(c.arr);
  }
  return 0;
fail:
  fprintf(stderr, "socctl: cannot read the audit log: %s\n", soc_store_errmsg(store));
  return 1;
}

int soc_ctl_audit(const socctl_env *env, int argc, char **argv) {
  enum { O_JSON = 1, O_LIMIT, O_ANCHOR };
  static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
                                       {"limit", required_argument, NULL, O_LIMIT},
                                       {"anchor", required_argument, NULL, O_ANCHOR},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, result = 2, opt;
  int64_t limit = 0, anchor_seq = 0;
  char anchor_hash[SOC_AUDIT_HASH_HEX + 1] = "";
  const char *sub = argc > 1 ? argv[1] : NULL;
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  if (sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h"))) return soc_ctl_usage("audit", stdout);
  if (!sub || (strcmp(sub, "verify") && strcmp(sub, "list"))) goto bad_usage;
  /* the subcommand's own argv: its options follow it */
  while ((opt = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
    switch (opt) {
      case O_JSON:
        json = 1;
        break;
      case O_LIMIT:
        if (strcmp(sub, "list") || soc_parse_int(optarg, &limit) < 0 || limit < 1) goto bad_usage;
        break;
      case O_ANCHOR:
        if (strcmp(sub, "verify")) goto bad_usage;
        if (soc_audit_anchor_parse(optarg, &anchor_seq, anchor_hash) < 0) {
          fprintf(stderr,
                  "socctl audit: --anchor wants SEQ:HASH (an entry number, a colon and 64 "
                  "lower-case hex digits), not \"%s\"\n",
                  optarg);
          goto bad_usage;
        }
        break;
      case 'h':
        return soc_ctl_usage("audit", stdout);
      default:
        goto bad_usage;
    }
  }
  if (optind + 1 < argc) goto bad_usage;
  if ((result = soc_ctl_open_store(env, &cfg, &store)) != 0) goto out;
  result = !strcmp(sub, "verify") ? verify(store, json, anchor_seq, anchor_hash)
                                  : list(store, json, limit);
  goto out;
bad_usage:
  result = soc_ctl_usage("audit", stderr);
out:
  soc_store_close(store);
  soc_config_free(cfg);
  return result;
}
