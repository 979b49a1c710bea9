/*
 * socctl status — what the agent is doing, read from its store.
 *
 *   socctl -c FILE status [--json]
 *
 * Everything comes from the store that the agent commits to, so status
 * works whether the agent is running or not, and shows exactly what a
 * restart would resume from: each input with its files and committed
 * positions (or network sequence), the journal's size, how far forwarding
 * has got (the lag is what the journal holds past the cursor), the broker
 * state the forwarder last saw, and every counter.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "status.h"
#include "socctl.h"

typedef struct counters_ctx {
  fjson_object *by_input;
} counters_ctx;

static int add_counter(void *arg, const char *input, const char *name, int64_t value) {
  counters_ctx *c = arg;
  fjson_object *o = NULL;
  if (!fjson_object_object_get_ex(c->by_input, input, &o)) {
    o = fjson_object_new_object();
    fjson_object_object_add(c->by_input, input, o);
  }
  fjson_object_object_add(o, name, fjson_object_new_int64(value));
  return 0;
}

static fjson_object *input_status(soc_store *store, const soc_input_config *in) {
  fjson_object *o = fjson_object_new_object();
  fjson_object_object_add(o, "id", fjson_object_new_string(in->id));
  fjson_object_object_add(o, "type", fjson_object_new_string(soc_input_type_name(in->type)));
  if (in->type == SOC_INPUT_FILE) {
    soc_stream_row *rows = NULL;
    size_t n = 0;
    fjson_object *files = fjson_object_new_array();
    if (soc_store_streams_load(store, in->id, &rows, &n) == 0)
      for (size_t i = 0; i < n; i++) {
        fjson_object *f = fjson_object_new_object();
        fjson_object_object_add(f, "path", fjson_object_new_string(rows[i].path));
        fjson_object_object_add(f, "stream", fjson_object_new_int64(rows[i].id));
        fjson_object_object_add(f, "offset", fjson_object_new_int64((int64_t)rows[i].offset));
        fjson_object_object_add(
            f, "state",
            fjson_object_new_string(rows[i].state == SOC_STREAM_ACTIVE ? "active" : "draining"));
        fjson_object_array_add(files, f);
      }
    free(rows);
    fjson_object_object_add(o, "files", files);
  } else if (in->type == SOC_INPUT_SYSLOG) {
    uint64_t seq = 0;
    soc_store_seq_get(store, in->id, &seq);
    fjson_object_object_add(o, "listen", fjson_object_new_string(in->listen ? in->listen : ""));
    fjson_object_object_add(o, "next_sequence", fjson_object_new_int64((int64_t)seq));
  } else if (in->type == SOC_INPUT_JOURNALD) {
    char key[SOC_STORE_META_KEY_MAX], cursor[1024];
    uint64_t seq = 0;
    soc_store_seq_get(store, in->id, &seq);
    snprintf(key, sizeof key, SOC_JOURNALD_CURSOR_KEY "%s", in->id);
    fjson_object_object_add(o, "journal",
                            fjson_object_new_string(in->directory ? in->directory : "local"));
    if (soc_store_meta_get(store, key, cursor, sizeof cursor, NULL) == 0)
      fjson_object_object_add(o, "cursor", fjson_object_new_string(cursor));
    fjson_object_object_add(o, "next_sequence", fjson_object_new_int64((int64_t)seq));
  }
  return o;
}

/* o.a.b, or o.a when b is NULL; NULL when absent. */
static fjson_object *get(fjson_object *o, const char *a, const char *b) {
  fjson_object *x = NULL, *y = NULL;
  if (!fjson_object_object_get_ex(o, a, &x)) return NULL;
  if (!b) return x;
  return fjson_object_object_get_ex(x, b, &y) ? y : NULL;
}

static int64_t get_int(fjson_object *o, const char *a, const char *b) {
  fjson_object *v = get(o, a, b);
  return v ? fjson_object_get_int64(v) : 0;
}

static const char *get_str(fjson_object *o, const char *a, const char *b) {
  fjson_object *v = get(o, a, b);
  return v ? fjson_object_get_string(v) : "";
}

typedef struct print_ctx {
  const char *input;
  int all; /* print zero values too */
} print_ctx;

static int print_counter(void *arg, const char *input, const char *name, int64_t value) {
  const print_ctx *p = arg;
  if (strcmp(input, p->input) == 0 && (value || p->all))
    printf("  %-20s %lld\n", name, (long long)value);
  return 0;
}

static int add_damage(void *arg, const soc_block_meta *m, const char *why) {
  fjson_object *b = fjson_object_new_object();
  fjson_object_object_add(b, "block", fjson_object_new_int64(m->id));
  fjson_object_object_add(b, "input", fjson_object_new_string(m->source));
  fjson_object_object_add(b, "stream", fjson_object_new_int64(m->stream));
  fjson_object_object_add(b, "first_pos", fjson_object_new_int64((int64_t)m->first_pos));
  fjson_object_object_add(b, "last_pos", fjson_object_new_int64((int64_t)m->last_pos));
  fjson_object_object_add(b, "lines", fjson_object_new_int64(m->lines));
  fjson_object_object_add(b, "reason", fjson_object_new_string(why));
  fjson_object_array_add(arg, b);
  return 0;
}

/* DATA DAMAGED: journal blocks a reader found damaged and skipped. */
static void print_damage(fjson_object *st) {
  fjson_object *d = NULL;
  fjson_object_object_get_ex(st, "damaged_blocks", &d);
  int n = d ? fjson_object_array_length(d) : 0;
  if (!n) return;
  printf("DATA DAMAGED: %d journal block(s) skipped (socctl journal verify checks them all)\n", n);
  for (int i = 0; i < n; i++) {
    fjson_object *b = fjson_object_array_get_idx(d, i);
    printf("  block %lld: input %s, stream %lld, positions %lld-%lld, %lld line(s): %s\n",
           (long long)get_int(b, "block", NULL), get_str(b, "input", NULL),
           (long long)get_int(b, "stream", NULL), (long long)get_int(b, "first_pos", NULL),
           (long long)get_int(b, "last_pos", NULL), (long long)get_int(b, "lines", NULL),
           get_str(b, "reason", NULL));
  }
}

static void print_text(fjson_object *st, soc_store *store) {
  fjson_object *inputs = NULL;
  printf("agent %s (%s, authority %lld), store %s\n", get_str(st, "agent", "id"),
         get_str(st, "agent", "agency"), (long long)get_int(st, "agent", "authority"),
         get_str(st, "agent", "store_id"));
  printf("journal: %lld line(s), %lld block(s), %lld bytes stored\n",
         (long long)get_int(st, "journal", "lines"), (long long)get_int(st, "journal", "blocks"),
         (long long)get_int(st, "journal", "stored_bytes"));
  print_damage(st);
  printf("forwarding: %lld line(s) behind (%lld block(s)), broker %s, %lld delivered\n",
         (long long)get_int(st, "forward", "lag_lines"),
         (long long)get_int(st, "forward", "lag_blocks"), get_str(st, "forward", "broker"),
         (long long)get_int(st, "forward", "delivered"));
  printf("reports: %lld open clock(s), %lld overdue step(s) (socctl deadlines)\n",
         (long long)get_int(st, "reports", "open_clocks"),
         (long long)get_int(st, "reports", "overdue_steps"));
  fjson_object_object_get_ex(st, "inputs", &inputs);
  int n = inputs ? fjson_object_array_length(inputs) : 0;
  for (int i = 0; i < n; i++) {
    fjson_object *in = fjson_object_array_get_idx(inputs, i), *v = NULL, *files = NULL;
    fjson_object_object_get_ex(in, "id", &v);
    const char *id = fjson_object_get_string(v);
    fjson_object_object_get_ex(in, "type", &v);
    printf("input %s (%s)\n", id, fjson_object_get_string(v));
    if (fjson_object_object_get_ex(in, "files", &files))
      for (int j = 0; j < fjson_object_array_length(files); j++) {
        fjson_object *f = fjson_object_array_get_idx(files, j), *p = NULL, *off = NULL, *s = NULL;
        fjson_object_object_get_ex(f, "path", &p);
        fjson_object_object_get_ex(f, "offset", &off);
        fjson_object_object_get_ex(f, "state", &s);
        printf("  %s at byte %lld (%s)\n", fjson_object_get_string(p),
               (long long)fjson_object_get_int64(off), fjson_object_get_string(s));
      }
    if (fjson_object_object_get_ex(in, "cursor", &v))
      printf("  journal cursor %s\n", fjson_object_get_string(v));
    if (fjson_object_object_get_ex(in, "next_sequence", &v))
      printf("  next sequence %lld\n", (long long)fjson_object_get_int64(v));
    print_ctx pc = {.input = id};
    soc_store_counters_scan(store, print_counter, &pc);
  }
  printf("forwarder\n");
  print_ctx pc = {.input = "forward", .all = 1};
  soc_store_counters_scan(store, print_counter, &pc);
}

int soc_ctl_status(const socctl_env *env, int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int json = 0, opt;
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
  if (optind < argc) {
    fprintf(stderr, "socctl status: unexpected argument '%s'\n", argv[optind]);
    return soc_ctl_usage(argv[0], stderr);
  }
  soc_config *cfg = NULL;
  soc_store *store = NULL;
  int status = soc_ctl_open_store(env, &cfg, &store);
  if (status) return status;
  status = 1;
  char buf[256];
  soc_agent_status as;
  soc_regime *regime = NULL;
  soc_diag *diag = soc_diag_new();
  const char *dir = cfg->report.regimes_dir ? cfg->report.regimes_dir : soc_regime_default_dir();
  if (diag && soc_regime_load_named(dir, cfg->report.regime, &regime, diag) < 0) regime = NULL;
  soc_diag_free(diag);
  if (soc_agent_status_read(store, regime, soc_now_real_ns() / 1000000000LL, &as) < 0) {
    fprintf(stderr, "socctl status: %s\n", soc_store_errmsg(store));
    goto out;
  }
  fjson_object *st = fjson_object_new_object(), *agent = fjson_object_new_object(),
               *journal = fjson_object_new_object(), *fw = fjson_object_new_object(),
               *inputs = fjson_object_new_array();
  counters_ctx cc = {.by_input = fjson_object_new_object()};
  fjson_object_object_add(agent, "id", fjson_object_new_string(cfg->agent.id));
  fjson_object_object_add(agent, "agency", fjson_object_new_string(cfg->agent.agency));
  fjson_object_object_add(agent, "authority", fjson_object_new_int64(cfg->agent.authority));
  fjson_object_object_add(agent, "state_dir", fjson_object_new_string(cfg->agent.state_dir));
  if (soc_store_meta_get(store, "store.id", buf, sizeof buf, NULL) == 0)
    fjson_object_object_add(agent, "store_id", fjson_object_new_string(buf));
  fjson_object_object_add(st, "agent", agent);
  fjson_object_object_add(journal, "lines", fjson_object_new_int64(as.journal.lines));
  fjson_object_object_add(journal, "blocks", fjson_object_new_int64(as.journal.blocks));
  fjson_object_object_add(journal, "raw_bytes", fjson_object_new_int64(as.journal.raw_bytes));
  fjson_object_object_add(journal, "stored_bytes", fjson_object_new_int64(as.journal.stored_bytes));
  fjson_object_object_add(journal, "last_block", fjson_object_new_int64(as.journal.last_id));
  fjson_object_object_add(st, "journal", journal);
  fjson_object *damaged = fjson_object_new_array();
  soc_store_block_damage_scan(store, add_damage, damaged);
  fjson_object_object_add(journal, "damaged",
                          fjson_object_new_int64((int64_t)fjson_object_array_length(damaged)));
  fjson_object_object_add(st, "damaged_blocks", damaged);
  fjson_object_object_add(fw, "cursor", fjson_object_new_int64(as.forward_cursor));
  fjson_object_object_add(fw, "lag_lines", fjson_object_new_int64(as.lag.lines));
  fjson_object_object_add(fw, "lag_blocks", fjson_object_new_int64(as.lag.blocks));
  if (soc_store_meta_get(store, "forward.broker", buf, sizeof buf, NULL) < 0)
    snprintf(buf, sizeof buf, "never contacted");
  fjson_object_object_add(fw, "broker", fjson_object_new_string(buf));
  fjson_object_object_add(fw, "brokers", fjson_object_new_string(cfg->kafka.brokers));
  soc_store_counters_scan(store, add_counter, &cc);
  fjson_object_object_add(fw, "delivered",
                          fjson_object_new_int64(get_int(cc.by_input, "forward", "delivered")));
  fjson_object_object_add(st, "forward", fw);
  fjson_object *rep = fjson_object_new_object();
  fjson_object_object_add(rep, "open_clocks", fjson_object_new_int64(as.open_clocks));
  fjson_object_object_add(rep, "overdue_steps", fjson_object_new_int64(as.overdue_steps));
  fjson_object_object_add(st, "reports", rep);
  for (size_t i = 0; i < cfg->ninputs; i++)
    fjson_object_array_add(inputs, input_status(store, &cfg->inputs[i]));
  fjson_object_object_add(st, "inputs", inputs);
  fjson_object_object_add(st, "counters", cc.by_input);
  if (json)
    printf("%s\n", fjson_object_to_json_string_ext(st, FJSON_TO_STRING_PLAIN));
  else
    print_text(st, store);
  fjson_object_put(st);
  status = 0;
out:
  soc_regime_free(regime);
  soc_store_close(store);
  soc_config_free(cfg);
  return status;
}
