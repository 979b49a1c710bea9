/*
 * socctl journal — reading back what the agent has kept.
 *
 *   socctl -c FILE journal export [--ecs] [--host H] [--source ID] [--since T] [--until T]
 *   socctl -c FILE journal verify
 *
 * export prints the lines exactly as they were taken in (converted to UTF-8
 * where the input said so), one per line, oldest commit first: a line feed
 * inside a message (an octet-counted syslog frame may carry one) is written
 * as "#012", as rsyslog does, so that it cannot pass for a line of its own,
 * e.g. another host's; --ecs keeps it in the JSON. Events the agent
 * built itself (network metadata) are kept, and printed, as their JSON.
 * With --ecs every line is printed as the ECS event that the detector sees
 * and the forwarder ships (normalize.c), with its event.id. It is what an
 * operator hands to an investigator, and what the level 3-4 log bundle is
 * made of. Times are RFC 3339 ("2026-11-25T07:00:00+08:00"), a date and
 * time in the agent's zone ("2026-11-25 07:00"), a date, "@EPOCH", or a
 * duration back from now ("-2h", "-30m").
 *
 * Every block is checked (damage.h): a damaged one is named on stderr,
 * recorded and skipped whole, the export goes on with the blocks after it
 * and exits 1 at the end. verify reads every block and says what it found.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "damage.h"
#include "normalize.h"
#include "socctl.h"
#include "soc/journal.h"
#include "soc/schema.h"
#include "soc/tz.h"

/* Parses the time forms above into ns since the epoch. */
static int parse_when(const char *s, const soc_tz *tz, int64_t *ns) {
  int64_t v;
  if (s[0] == '@') {
    if (soc_parse_int(s + 1, &v) < 0 || v > INT64_MAX / 1000000000LL || v < 0) return -EINVAL;
    *ns = v * 1000000000LL;
    return 0;
  }
  if (s[0] == '-') {
    if (soc_parse_duration(s + 1, &v) < 0) return -EINVAL;
    *ns = ((int64_t)time(NULL) - v) * 1000000000LL;
    return 0;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3) return -EINVAL;
  const char *rest = s + used;
  if (*rest == 'T' || *rest == ' ') {
    int n = 0;
    if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &n) != 2) return -EINVAL;
    rest += 1 + n;
    if (*rest == ':') {
      if (sscanf(rest + 1, "%2d%n", &sec, &n) != 1) return -EINVAL;
      rest += 1 + n;
    }
    if (*rest == '.')
      for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
      }
  }
  soc_tz zone = *tz;
  if (*rest && soc_tz_parse(rest, &zone) < 0) return -EINVAL;
  int64_t epoch;
  if (soc_tz_to_utc(&zone, y, mo, d, h, mi, sec, &epoch) < 0) return -EINVAL;
  /* nanoseconds in an int64 reach the year 2262 */
  if (epoch > INT64_MAX / 1000000000LL || epoch < INT64_MIN / 1000000000LL) return -EINVAL;
  *ns = epoch * 1000000000LL;
  return 0;
}

static int print_line(void *arg, const soc_jentry *e) {
  FILE *out = arg;
  const char *p = e->line.data, *end = p + e->line.len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    fwrite(p, 1, n, out);
    if (nl) fputs("#012", out);
    p += n + (nl ? 1 : 0);
  }
  fputc('\n', out);
  return ferror(out) ? -EIO : 0;
}

/* A damaged block: named, recorded once, alerted once (damage.h). */
typedef struct damage_ctx {
  const soc_config *cfg;
  soc_store *store;
  const char *who;
} damage_ctx;

static int note_damage(void *arg, const soc_block_meta *m, const char *why) {
  const damage_ctx *d = arg;
  soc_damage_note(d->store, d->cfg, d->who, m, why);
  return 0;
}

typedef struct ecs_ctx {
  soc_normalizer *norm;
  soc_event *ev;
  char *json;
} ecs_ctx;

static int print_ecs(void *arg, const soc_jentry *e) {
  ecs_ctx *c = arg;
  size_t len = 0;
  soc_normalize(c->norm, e, c->ev);
  if (soc_event_write_json(c->ev, c->json, SOC_EVENT_JSON_MAX, &len) < 0) return 0;
  fwrite(c->json, 1, len, stdout);
  fputc('\n', stdout);
  return ferror(stdout) ? -EIO : 0;
}

static int export_lines(const socctl_env *env, int argc, char **argv) {
  enum { O_HOST = 1, O_SOURCE, O_SINCE, O_UNTIL, O_ECS };
  static const struct option opts[] = {{"host", required_argument, NULL, O_HOST},
                                       {"source", required_argument, NULL, O_SOURCE},
                                       {"since", required_argument, NULL, O_SINCE},
                                       {"until", required_argument, NULL, O_UNTIL},
                                       {"ecs", no_argument, NULL, O_ECS},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *since = NULL, *until = NULL;
  soc_block_query q = {0};
  int opt, status = 2, ecs = 0;
  ecs_ctx ec = {0};
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case O_HOST:
        q.host = optarg;
        break;
      case O_SOURCE:
        q.source = optarg;
        break;
      case O_SINCE:
        since = optarg;
        break;
      case O_UNTIL:
        until = optarg;
        break;
      case O_ECS:
        ecs = 1;
        break;
      case 'h':
        soc_ctl_usage("journal", stdout);
        return 0;
      default:
        soc_ctl_usage("journal", stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "socctl journal export: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  soc_tz tz;
  if (soc_tz_parse(cfg->agent.timezone ? cfg->agent.timezone : "local", &tz) < 0)
    soc_tz_parse("UTC", &tz);
  status = 2;
  if (since && parse_when(since, &tz, &q.since_ns) < 0) {
    fprintf(stderr, "socctl journal export: --since '%s': not a time I understand\n", since);
    soc_ctl_usage("journal", stderr);
    goto out;
  }
  if (until && parse_when(until, &tz, &q.until_ns) < 0) {
    fprintf(stderr, "socctl journal export: --until '%s': not a time I understand\n", until);
    soc_ctl_usage("journal", stderr);
    goto out;
  }
  int rc;
  int64_t damaged = 0;
  damage_ctx dc = {.cfg = cfg, .store = store, .who = "socctl journal export"};
  if (ecs) {
    ec.norm = soc_normalizer_new(cfg, store);
    ec.ev = soc_event_new();
    ec.json = malloc(SOC_EVENT_JSON_MAX);
    status = 1;
    if (!ec.norm || !ec.ev || !ec.json) goto out;
    rc = soc_journal_scan_checked(store, &q, print_ecs, &ec, note_damage, &dc, &damaged);
  } else {
    rc = soc_journal_scan_checked(store, &q, print_line, stdout, note_damage, &dc, &damaged);
  }
  if (rc < 0) {
    fprintf(stderr, "socctl journal export: %s\n", soc_store_errmsg(store));
    status = 1;
    goto out;
  }
  status = fflush(stdout) == 0 ? 0 : 1;
  if (damaged) {
    fprintf(stderr,
            "socctl journal export: %lld damaged block(s) skipped; every other line was "
            "exported\n",
            (long long)damaged);
    status = 1;
  }
out:
  soc_normalizer_free(ec.norm);
  soc_event_free(ec.ev);
  free(ec.json);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

static int print_counter(void *arg, const char *input, const char *name, int64_t value) {
  (void)arg;
  if (value) printf("  %-20s %-20s %lld\n", input, name, (long long)value);
  return 0;
}

/* What the journal holds and what each input has counted (non-zero ones). */
static int stats(const socctl_env *env) {
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  soc_block_totals t;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  status = 1;
  if (soc_store_block_totals(store, &t) < 0) {
    fprintf(stderr, "socctl journal stats: %s\n", soc_store_errmsg(store));
    goto out;
  }
  printf("journal: %lld line(s) in %lld block(s), %lld bytes of text stored in %lld bytes\n",
         (long long)t.lines, (long long)t.blocks, (long long)t.raw_bytes,
         (long long)t.stored_bytes);
  printf("counters:\n");
  if (soc_store_counters_scan(store, print_counter, NULL) < 0) goto out;
  status = 0;
out:
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

typedef struct verify_ctx {
  int64_t blocks, unchecked, lines;
} verify_ctx;

static int count_block(void *arg, const soc_block_meta *m, const void *data, size_t len) {
  verify_ctx *v = arg;
  (void)data;
  (void)len;
  v->blocks++;
  if (m->check == SOC_BLOCK_UNCHECKED) v->unchecked++;
  return 0;
}

static int count_line(void *arg, const soc_jentry *e) {
  (void)e;
  ((verify_ctx *)arg)->lines++;
  return 0;
}

/* Every block: its checksum, then a full decode. Exit 1 when any is
 * damaged, each named on stderr. */
static int verify(const socctl_env *env) {
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  verify_ctx v = {0};
  soc_block_query q = {0};
  int64_t damaged = 0;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  damage_ctx dc = {.cfg = cfg, .store = store, .who = "socctl journal verify"};
  status = 1;
  if (soc_store_block_scan(store, &q, count_block, &v) < 0 ||
      soc_journal_scan_checked(store, &q, count_line, &v, note_damage, &dc, &damaged) < 0) {
    fprintf(stderr, "socctl journal verify: %s\n", soc_store_errmsg(store));
    goto out;
  }
  printf("journal: %lld block(s) read, %lld intact (%lld line(s)), %lld damaged\n",
         (long long)v.blocks, (long long)(v.blocks - damaged), (long long)v.lines,
         (long long)damaged);
  if (v.unchecked)
    printf("journal: %lld block(s) written before checksums: decoded, but cannot be verified\n",
           (long long)v.unchecked);
  status = damaged ? 1 : 0;
out:
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}

int soc_ctl_journal(const socctl_env *env, int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "export") == 0) return export_lines(env, argc - 1, argv + 1);
  if (argc == 2 && strcmp(argv[1], "stats") == 0) return stats(env);
  if (argc == 2 && strcmp(argv[1], "verify") == 0) return verify(env);
  return soc_ctl_usage("journal", argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
}
