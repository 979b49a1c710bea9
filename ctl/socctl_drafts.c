/*
 * socctl drafts / show — what the detector has drafted, for an analyst.
 *
 *   socctl -c FILE drafts [--all] [--json]
 *   socctl -c FILE show ID [--json]
 *
 * A draft is not a report: §6.2 punishes false reports, so nothing leaves
 * as a report before a person confirms it (issue 6). What an analyst needs
 * to decide is here: the suggested level and the clause of §2.3 behind it,
 * the asset and how it was found, the rule, how often and since when, the
 * evidence lines with where they are in the journal, and the time left on
 * the one-hour report clock of §3.1, which started when the draft was made.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socctl.h"
#include "soc/event.h"
#include "soc/tz.h"

#define REPORT_CLOCK_NS (3600LL * 1000000000LL)

/* "42m left", "overdue by 5m" */
static void time_left(int64_t discovered_ns, char *buf, size_t len) {
  int64_t left = (discovered_ns + REPORT_CLOCK_NS - soc_now_real_ns()) / 1000000000LL;
  int64_t m = (left < 0 ? -left : left) / 60;
  if (left >= 0)
    snprintf(buf, len, "%lldm left", (long long)m);
  else
    snprintf(buf, len, "overdue by %lldh%02lldm", (long long)(m / 60), (long long)(m % 60));
}

static void fmt_time(int64_t ns, char *buf, size_t len) {
  if (soc_event_format_time(ns, 0, buf, len) < 0) snprintf(buf, len, "-");
}

static const char *body_str(fjson_object *body, const char *a, const char *b) {
  fjson_object *x = NULL, *y = NULL;
  if (!body || !fjson_object_object_get_ex(body, a, &x)) return "";
  if (!b) return fjson_object_get_string(x);
  return fjson_object_object_get_ex(x, b, &y) ? fjson_object_get_string(y) : "";
}

/* A key wider than the column shows its end: for a file path, the file. */
static const char *key_tail(const char *key, char *buf, size_t len) {
  size_t n = strlen(key), keep = 16;
  if (n <= 18) return key;
  const char *t = key + n - keep;
  while ((*t & 0xC0) == 0x80) t++; /* not inside a UTF-8 character */
  snprintf(buf, len, "..%s", t);
  return buf;
}

typedef struct list_ctx {
  int json;
  fjson_object *arr;
  size_t n;
} list_ctx;

static int list_one(void *arg, const soc_draft_row *r) {
  list_ctx *c = arg;
  fjson_object *body = fjson_tokener_parse(r->body);
  char left[32], first[40], key[24];
  time_left(r->discovered_ns, left, sizeof left);
  fmt_time(r->first_ns, first, sizeof first);
  if (c->json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "id", fjson_object_new_int64(r->id));
    fjson_object_object_add(o, "status", fjson_object_new_string(r->status));
    fjson_object_object_add(o, "level", fjson_object_new_int(r->level));
    fjson_object_object_add(o, "category",
                            fjson_object_new_string(body_str(body, "category", NULL)));
    fjson_object_object_add(o, "clause", fjson_object_new_string(body_str(body, "clause", "ref")));
    fjson_object_object_add(o, "asset", fjson_object_new_string(r->asset));
    fjson_object_object_add(o, "rule", fjson_object_new_string(r->rule));
    fjson_object_object_add(o, "key", fjson_object_new_string(r->key));
    fjson_object_object_add(o, "count", fjson_object_new_int64(r->count));
    fjson_object_object_add(o, "first_seen", fjson_object_new_string(first));
    fjson_object_object_add(
        o, "report_due_in_s",
        fjson_object_new_int64((r->discovered_ns + REPORT_CLOCK_NS - soc_now_real_ns()) /
                               1000000000LL));
    fjson_object_array_add(c->arr, o);
  } else {
    if (!c->n)
      printf("%-5s %-5s %-9s %-17s %-14s %-13s %-18s %6s  %-20s %-17s %s\n", "ID", "LEVEL",
             "STATUS", "CATEGORY", "ASSET", "RULE", "KEY", "COUNT", "FIRST SEEN",
             "REPORT (§3.1, 1h)", "CLAUSE");
    /* the clause last: it is the one column that is not ASCII */
    printf("%-5lld %-5d %-9s %-17s %-14.14s %-13.13s %-18.18s %6lld  %-20s %-17s %s\n",
           (long long)r->id, r->level, r->status, body_str(body, "category", NULL), r->asset,
           r->rule, key_tail(r->key, key, sizeof key), (long long)r->count, first,
           strcmp(r->status, "open") ? "-" : left, body_str(body, "clause", "ref"));
  }
  c->n++;
  if (body) fjson_object_put(body);
  return 0;
}

static int drafts(const socctl_env *env, int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"all", no_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, all = 0, opt;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        json = 1;
        break;
      case 'a':
        all = 1;
        break;
      case 'h':
        return soc_ctl_usage(argv[0], stdout);
      default:
        return soc_ctl_usage(argv[0], stderr);
    }
  }
  if (optind < argc) return soc_ctl_usage(argv[0], stderr);
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  list_ctx c = {.json = json, .arr = fjson_object_new_array()};
  if (soc_store_drafts_scan(store, all ? NULL : "open", list_one, &c) < 0) {
    fprintf(stderr, "socctl drafts: %s\n", soc_store_errmsg(store));
    status = 1;
  } else if (json) {
    printf("%s\n", fjson_object_to_json_string_ext(c.arr, FJSON_TO_STRING_PLAIN));
  } else if (!c.n) {
    printf("no %sdrafts\n", all ? "" : "open ");
  }
  fjson_object_put(c.arr);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

typedef struct show_ctx {
  int json;
  fjson_object *arr;
} show_ctx;

static int show_evidence(void *arg, const soc_evidence_row *e) {
  show_ctx *c = arg;
  char ts[40];
  fmt_time(e->ts, ts, sizeof ts);
  if (c->json) {
    fjson_object *o = fjson_object_new_object();
    fjson_object_object_add(o, "block", fjson_object_new_int64(e->block));
    fjson_object_object_add(o, "source", fjson_object_new_string(e->source));
    fjson_object_object_add(o, "stream", fjson_object_new_int64(e->stream));
    fjson_object_object_add(o, "position", fjson_object_new_int64((int64_t)e->pos));
    fjson_object_object_add(o, "time", fjson_object_new_string(ts));
    fjson_object_object_add(o, "line", fjson_object_new_string_len(e->line, (int)e->len));
    fjson_object_array_add(c->arr, o);
  } else {
    printf("  [%s/%lld @%llu, block %lld] %.*s\n", e->source, (long long)e->stream,
           (unsigned long long)e->pos, (long long)e->block, (int)e->len, (const char *)e->line);
  }
  return 0;
}

/* The alerts the draft holds (triage.c), and which of them gives the level. */
static void print_members(fjson_object *body) {
  fjson_object *arr = NULL;
  if (!body || !fjson_object_object_get_ex(body, "members", &arr)) return;
  size_t n = (size_t)fjson_object_array_length(arr);
  if (*body_str(body, "level_from", "analyst"))
    printf("level from the analyst %s; %zu alert(s):\n", body_str(body, "level_from", "analyst"),
           n);
  else
    printf("level from alert %s (%s); %zu alert(s):\n", body_str(body, "level_from", "alert"),
           body_str(body, "level_from", "rule"), n);
  for (size_t i = 0; i < n; i++) {
    fjson_object *m = fjson_object_array_get_idx(arr, (int)i);
    printf("  alert %s %-14s impact %-6s level %s  %s hit(s) %s .. %s  key %s  %s\n",
           body_str(m, "alert", NULL), body_str(m, "rule", NULL), body_str(m, "impact", NULL),
           body_str(m, "level", NULL), body_str(m, "count", NULL), body_str(m, "first_seen", NULL),
           body_str(m, "last_seen", NULL), body_str(m, "key", NULL), body_str(m, "title", NULL));
  }
}

static int show(const socctl_env *env, int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int json = 0, opt;
  int64_t id = 0;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        json = 1;
        break;
      case 'h':
        return soc_ctl_usage(argv[0], stdout);
      default:
        return soc_ctl_usage(argv[0], stderr);
    }
  }
  if (optind != argc - 1 || soc_ctl_parse_id(argv[optind], &id) < 0)
    return soc_ctl_usage(argv[0], stderr);
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  soc_draft_row r = {0};
  int rc = soc_store_draft_get(store, id, &r);
  if (rc == -ENOENT) {
    fprintf(stderr, "socctl show: no draft %lld\n", (long long)id);
    status = 2;
    goto out;
  }
  if (rc < 0) {
    fprintf(stderr, "socctl show: %s\n", soc_store_errmsg(store));
    status = 1;
    goto out;
  }
  fjson_object *body = fjson_tokener_parse(r.body);
  show_ctx c = {.json = json, .arr = fjson_object_new_array()};
  if (json) {
    if (!body) body = fjson_object_new_object();
    soc_store_evidence_scan(store, r.id, show_evidence, &c);
    fjson_object_object_add(body, "evidence", c.arr);
    fjson_object_object_add(body, "status", fjson_object_new_string(r.status));
    fjson_object_object_add(body, "count", fjson_object_new_int64(r.count));
    printf("%s\n", fjson_object_to_json_string_ext(body, FJSON_TO_STRING_PLAIN));
  } else {
    char first[40], last[40], disc[40], left[32];
    fmt_time(r.first_ns, first, sizeof first);
    fmt_time(r.last_ns, last, sizeof last);
    fmt_time(r.discovered_ns, disc, sizeof disc);
    time_left(r.discovered_ns, left, sizeof left);
    printf("draft %lld (%s): %s\n", (long long)r.id, r.status, body_str(body, "rule", "title"));
    printf("suggested level %d: %s %s (%s)\n", r.level, body_str(body, "clause", "ref"),
           body_str(body, "clause", "text"), body_str(body, "clause", "text_zh"));
    printf("category: %s (%s), %s\n", body_str(body, "category", NULL),
           body_str(body, "category_zh", NULL), body_str(body, "subtype", NULL));
    printf("asset: %s (tier %s, found by %s%s)\n", r.asset, body_str(body, "asset", "tier"),
           body_str(body, "asset", "match"),
           strcmp(body_str(body, "asset", "fallback"), "true") == 0 ? ", fallback" : "");
    printf("rule: %s — %s\n", r.rule, body_str(body, "rule", "description"));
    printf("key: %s; %lld hit(s) from %s to %s\n", r.key, (long long)r.count, first, last);
    printf("discovered %s; report due within 1 h (§3.1): %s\n", disc,
           strcmp(r.status, "open") ? "-" : left);
    print_members(body);
    printf("evidence:\n");
    soc_store_evidence_scan(store, r.id, show_evidence, &c);
    fjson_object_put(c.arr);
  }
  if (body) fjson_object_put(body);
out:
  soc_draft_row_clear(&r);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

int soc_ctl_drafts(const socctl_env *env, int argc, char **argv) { return drafts(env, argc, argv); }
int soc_ctl_show(const socctl_env *env, int argc, char **argv) { return show(env, argc, argv); }
