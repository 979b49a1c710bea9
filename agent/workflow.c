/*
 * workflow — deadline alerts and level 3–4 evidence bundles (workflow.h).
 */
#include "workflow.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soc/audit.h"
#include "soc/bundle.h"
#include "soc/deadline.h"
#include "soc/event.h"
#include "soc/journal.h"
#include "soc/json_obj.h"
#include "soc/report.h"
#include "soc/store.h"
#include "soc/tz.h"
#include "soc/thread.h"
#include "damage.h"
#include "inbox.h"
#include "triage.h"

#define MAX_DEADLINES 32
#define MAX_HOSTS 64
#define SLEEP_SLICE_MS 100 /* how soon a stop request is seen */
#define ACTOR "socagent"

struct soc_workflow {
  const soc_config *cfg;
  soc_store *store;
  soc_regime *regime;
  soc_inbox *inbox; /* the daemon only: the center's decisions */
  char hostname[256];
  pthread_t thread;
  int started;
  atomic_int stop;
  void (*on_outbox)(void *); /* soc_workflow_on_outbox */
  void *on_outbox_arg;
};

/* Stores r as its next revision, queues it for the center, and audits
 * action (details borrowed). Inside the caller's transaction. */
static int save_report(soc_workflow *w, fjson_object *r, int64_t now_s, const char *action,
                       fjson_object *details) {
  char object[48];
  int rc = soc_report_save(w->store, r, w->regime, now_s);
  snprintf(object, sizeof object, "report:%lld", (long long)soc_report_number(r));
  if (rc == 0)
    rc = soc_audit_append_tx(w->store, ACTOR, action, object,
                             fjson_object_to_json_string_ext(details, FJSON_TO_STRING_PLAIN), NULL);
  return rc;
}

/* An ECS alert for the center, queued in the outbox. */
static int raise_alert(soc_workflow *w, fjson_object *r, const char *action, const char *message,
                       fjson_object *extra /* owned: put under "deadline" or NULL */,
                       int64_t now_s) {
  fjson_object *a = soc_alert_envelope(w->cfg, now_s * 1000000000LL, NULL, "socagent.workflow",
                                       "socagent", NULL),
               *ev = NULL, *rep = fjson_object_new_object();
  if (fjson_object_object_get_ex(a, "event", &ev)) soc_json_add_str(ev, "action", action);
  soc_json_add_str(rep, "id", soc_report_str(r, "id"));
  fjson_object_object_add(rep, "number", fjson_object_new_int64(soc_report_number(r)));
  fjson_object_object_add(rep, "level", fjson_object_new_int(soc_report_level(r)));
  soc_json_add_str(rep, "state", soc_report_state_name(soc_report_state_of(r)));
  fjson_object_object_add(a, "report", rep);
  if (extra) fjson_object_object_add(a, "deadline", extra);
  soc_json_add_str(a, "message", message);
  const char *json = fjson_object_to_json_string_ext(a, FJSON_TO_STRING_PLAIN);
  int rc = soc_store_outbox_add(w->store, "alerts", w->cfg->agent.id, json, strlen(json), NULL);
  fprintf(stderr, "socagent: %s\n", message);
  fjson_object_put(a);
  return rc;
}

/* ---- the clocks ---- */

static int check_clocks(soc_workflow *w, fjson_object *r, int64_t now_s) {
  soc_deadline d[MAX_DEADLINES];
  size_t n = 0;
  int rc = soc_report_deadlines(r, w->regime, now_s, d, MAX_DEADLINES, &n);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *kind = NULL;
    if (d[i].done || d[i].status == SOC_DEADLINE_WAITING) continue;
    if (d[i].status == SOC_DEADLINE_OVERDUE)
      kind = "overdue";
    else if (d[i].due - now_s <= w->cfg->report.warn_before)
      kind = "near";
    if (!kind) continue;
    int fresh = 0;
    rc = soc_store_deadline_alert_once(w->store, soc_report_number(r), d[i].step->id, kind,
                                       d[i].due, &fresh);
    if (rc < 0 || !fresh) continue;
    char due[SOC_EVENT_TIME_BUF] = "", msg[512], action[32];
    soc_event_format_time(d[i].due * 1000000000LL, 0, due, sizeof due);
    snprintf(action, sizeof action, "deadline.%s", kind);
    snprintf(msg, sizeof msg, "report %s (level %d): %s [%s, %s] %s %s", soc_report_str(r, "id"),
             soc_report_level(r), d[i].step->title, d[i].step->who,
             d[i].step->clause ? d[i].step->clause : "",
             kind[0] == 'o' ? "overdue since" : "due at", due);
    fjson_object *x = fjson_object_new_object();
    soc_json_add_str(x, "step", d[i].step->id);
    soc_json_add_str(x, "title", d[i].step->title);
    if (d[i].step->title_zh) soc_json_add_str(x, "title_zh", d[i].step->title_zh);
    soc_json_add_str(x, "who", d[i].step->who);
    if (d[i].step->clause) soc_json_add_str(x, "clause", d[i].step->clause);
    soc_json_add_str(x, "due", due);
    soc_json_add_str(x, "regime", soc_regime_id(w->regime));
    rc = raise_alert(w, r, action, msg, x, now_s);
  }
  return rc;
}

/* ---- the evidence bundle ---- */

typedef struct bag_ctx {
  soc_workflow *w;
  soc_bundle *b;
  const char *hosts[MAX_HOSTS];
  size_t nhosts;
  size_t host; /* the host whose file is being written */
  int64_t since_ns;
  int64_t lines;
  int64_t first_ns, last_ns;
  int rc;
} bag_ctx;

/* A line belongs to host h when its header names h, or when it has no host
 * and h is this machine (normalize.c names local files' lines so). */
static int line_of(const bag_ctx *c, const soc_jentry *e, const char *h) {
  const char *lh = e->line.host;
  if (lh && *lh) return !strcmp(lh, h);
  return !strcmp(h, c->w->hostname);
}

/* A damaged journal block is left out of the bundle, named and alerted
 * (damage.h); the bundle is made of the rest. */
static int note_damage(void *arg, const soc_block_meta *m, const char *why) {
  const soc_workflow *w = arg;
  soc_damage_note(w->store, w->cfg, "socagent: workflow: evidence bundle", m, why);
  return 0;
}

static int add_line(void *arg, const soc_jentry *e) {
  bag_ctx *c = arg;
  if (!line_of(c, e, c->hosts[c->host])) return 0;
  int rc = soc_bundle_file_write(c->b, e->line.data, e->line.len);
  if (rc == 0) rc = soc_bundle_file_write(c->b, "\n", 1);
  if (rc < 0) return rc;
  c->lines++;
  if (!c->first_ns || e->line.ts_ns < c->first_ns) c->first_ns = e->line.ts_ns;
  if (e->line.ts_ns > c->last_ns) c->last_ns = e->line.ts_ns;
  return 0;
}

static int collect_hosts(bag_ctx *c, fjson_object *r) {
  fjson_object *ev = NULL, *hs = NULL;
  if (!fjson_object_object_get_ex(r, "event", &ev) || !fjson_object_object_get_ex(ev, "hosts", &hs))
    return 0;
  for (int i = 0; i < fjson_object_array_length(hs) && c->nhosts < MAX_HOSTS; i++) {
    const char *h = fjson_object_get_string(fjson_object_array_get_idx(hs, i));
    /* a host name becomes a file name in the bag */
    if (h && *h && !strchr(h, '/') && strcmp(h, ".") && strcmp(h, "..") && strlen(h) < 128)
      c->hosts[c->nhosts++] = h;
  }
  return 0;
}

/* A JSON-lines file of the bag: one line per element of list (NULL: none). */
static int add_jsonl(soc_bundle *b, const char *path, fjson_object *list) {
  int rc = soc_bundle_file_begin(b, path);
  for (int i = 0; rc == 0 && list && i < fjson_object_array_length(list); i++) {
    const char *j =
        fjson_object_to_json_string_ext(fjson_object_array_get_idx(list, i), FJSON_TO_STRING_PLAIN);
    rc = soc_bundle_file_write(b, j, strlen(j));
    if (rc == 0) rc = soc_bundle_file_write(b, "\n", 1);
  }
  return rc == 0 ? soc_bundle_file_end(b) : rc;
}

/* The objects YARA matched on the report's drafts, each once by hash
 * under yara/, listed with where they were found in yara/objects.jsonl
 * (a row also for one too large to keep). */
typedef struct obj_ctx {
  bag_ctx *c;
  fjson_object *list;
  int64_t kept;
} obj_ctx;

static int add_object(void *arg, const soc_object_row *o) {
  obj_ctx *x = arg;
  char path[SOC_BUNDLE_PATH_MAX];
  int rc = 0;
  snprintf(path, sizeof path, "yara/%s", o->sha256);
  if (o->kept) {
    rc = soc_bundle_add(x->c->b, path, o->bytes, (size_t)o->size);
    if (rc == -EEXIST)
      rc = 0; /* the same content from another draft */
    else if (rc == 0)
      x->kept++;
  }
  if (rc < 0) return rc;
  fjson_object *e = fjson_object_new_object();
  fjson_object_object_add(e, "draft", fjson_object_new_int64(o->draft));
  soc_json_add_str(e, "name", o->name);
  soc_json_add_str(e, "sha256", o->sha256);
  fjson_object_object_add(e, "size", fjson_object_new_int64(o->size));
  soc_json_add_str(e, "file", o->kept ? path : "");
  soc_json_add_time(e, "found", o->ts_ns);
  fjson_object_array_add(x->list, e);
  return 0;
}

static int add_objects(bag_ctx *c, fjson_object *r, int64_t *kept) {
  fjson_object *ds = NULL;
  obj_ctx x = {.c = c, .list = fjson_object_new_array()};
  int rc = 0;
  if (fjson_object_object_get_ex(r, "drafts", &ds))
    for (int i = 0; rc == 0 && i < fjson_object_array_length(ds); i++)
      rc = soc_store_objects_scan(
          c->w->store, fjson_object_get_int64(fjson_object_array_get_idx(ds, i)), add_object, &x);
  if (rc == 0 && fjson_object_array_length(x.list) > 0)
    rc = add_jsonl(c->b, "yara/objects.jsonl", x.list);
  fjson_object_put(x.list);
  *kept = x.kept;
  return rc;
}

/* Builds and queues the bundle of r. OUT: fills info (the report's
 * "bundle" object). Returns 0, -EFBIG (cap), or another error. */
static int build_bundle(soc_workflow *w, fjson_object *r, int64_t now_s, fjson_object *info) {
  const soc_config *cfg = w->cfg;
  char bid[SOC_BUNDLE_ID_MAX], path[SOC_BUNDLE_PATH_MAX], sha[65] = "", *msg = NULL;
  bag_ctx c = {.w = w};
  const uint8_t *archive = NULL;
  size_t len = 0;
  int rc;
  snprintf(bid, sizeof bid, "%s/evidence", soc_report_str(r, "id"));
  soc_json_add_str(info, "id", bid);
  rc = soc_bundle_new(bid, (size_t)cfg->evidence.max_bytes, &c.b);
  if (rc < 0) goto out;
  collect_hosts(&c, r);
  int64_t first = soc_report_time(r, "event.first_seen");
  if (!first) first = soc_report_time(r, "event.discovered");
  c.since_ns = first - cfg->evidence.window_before * 1000000000LL;
  soc_block_query q = {.since_ns = c.since_ns > 0 ? c.since_ns : 0};
  for (c.host = 0; c.host < c.nhosts && rc == 0; c.host++) {
    snprintf(path, sizeof path, "logs/%s.log", c.hosts[c.host]);
    rc = soc_bundle_file_begin(c.b, path);
    if (rc == 0) rc = soc_journal_scan_checked(w->store, &q, add_line, &c, note_damage, w, NULL);
    if (rc == 0) rc = soc_bundle_file_end(c.b);
  }
  if (rc < 0) goto out;
  /* the lines the rules picked, as the report lists them, one JSON per line */
  fjson_object *evl = NULL;
  fjson_object_object_get_ex(r, "evidence", &evl);
  rc = add_jsonl(c.b, "evidence.jsonl", evl);
  int64_t objects = 0;
  if (rc == 0) rc = add_objects(&c, r, &objects);
  const char *rj = fjson_object_to_json_string_ext(r, FJSON_TO_STRING_PRETTY);
  if (rc == 0) rc = soc_bundle_add(c.b, "report.json", rj, strlen(rj));
  if (rc < 0) goto out;

  /* chain of custody: who collected what, when, from where, and why */
  char org[300], ext[300], contact[300], win_from[SOC_EVENT_TIME_BUF] = "",
                                         win_to[SOC_EVENT_TIME_BUF] = "";
  snprintf(org, sizeof org, "Source-Organization: %s", cfg->agent.agency);
  snprintf(ext, sizeof ext, "External-Identifier: %s", soc_report_str(r, "id"));
  snprintf(
      contact, sizeof contact, "Contact-Name: %s",
      soc_report_str(r, "basic.reporter.name") ? soc_report_str(r, "basic.reporter.name") : "");
  const char *bag_info[] = {org, ext, contact, NULL};
  soc_event_format_time(c.since_ns > 0 ? c.since_ns : 0, 3, win_from, sizeof win_from);
  soc_event_format_time(now_s * 1000000000LL, 3, win_to, sizeof win_to);
  fjson_object *cu = fjson_object_new_object(), *win = fjson_object_new_object(),
               *hl = fjson_object_new_array();
  soc_json_add_str(cu, "report", soc_report_str(r, "id"));
  soc_json_add_str(cu, "reason",
                   "§4.1(二)7: device system logs of a level 3-4 incident, sent proactively");
  soc_json_add_str(cu, "collected_by", "socagent " SOC_VERSION);
  soc_json_add_str(cu, "agent", cfg->agent.id);
  soc_json_add_str(cu, "agency", cfg->agent.agency);
  soc_json_add_str(cu, "machine", w->hostname);
  soc_json_add_str(cu, "confirmed_by", soc_report_str(r, "confirmed.by"));
  soc_json_add_time(cu, "collected_at", soc_now_real_ns());
  soc_json_add_str(cu, "source",
                   "the agent's journal (lines as received, unaltered), state_dir/agent.db");
  soc_json_add_str(win, "from", win_from);
  soc_json_add_str(win, "to", win_to);
  fjson_object_object_add(cu, "window", win);
  for (size_t i = 0; i < c.nhosts; i++)
    fjson_object_array_add(hl, fjson_object_new_string(c.hosts[i]));
  fjson_object_object_add(cu, "hosts", hl);
  fjson_object_object_add(cu, "lines", fjson_object_new_int64(c.lines));
  fjson_object_object_add(cu, "objects", fjson_object_new_int64(objects));
  if (objects)
    soc_json_add_str(
        cu, "objects_source",
        "the files and streams YARA matched, as scanned, kept with their drafts in agent.db");
  rc = soc_bundle_finish(c.b, bag_info, fjson_object_to_json_string_ext(cu, FJSON_TO_STRING_PRETTY),
                         &archive, &len, sha);
  fjson_object_put(cu);
  if (rc < 0) goto out;

  size_t chunk = (size_t)cfg->evidence.chunk_bytes, n = soc_bundle_nchunks(c.b, chunk);
  const char *rid = soc_report_str(r, "id");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    rc = soc_bundle_chunk_json(c.b, rid, chunk, i, &msg);
    if (rc == 0) rc = soc_store_outbox_add(w->store, "evidence", bid, msg, strlen(msg), NULL);
    free(msg);
    msg = NULL;
  }
  if (rc == 0) rc = soc_bundle_manifest_json(c.b, rid, chunk, &msg);
  if (rc == 0) rc = soc_store_outbox_add(w->store, "evidence", bid, msg, strlen(msg), NULL);
  if (rc < 0) goto out;
  soc_json_add_str(info, "state", "queued");
  fjson_object_object_add(info, "size", fjson_object_new_int64((int64_t)len));
  soc_json_add_str(info, "sha256", sha);
  fjson_object_object_add(info, "chunks", fjson_object_new_int64((int64_t)n));
  fjson_object_object_add(info, "lines", fjson_object_new_int64(c.lines));
  fjson_object_object_add(info, "objects", fjson_object_new_int64(objects));
  soc_json_add_time(info, "built", soc_now_real_ns());
  soc_json_add_str(info, "error", "");
out:
  free(msg);
  soc_bundle_free(c.b);
  return rc;
}

static int needs_bundle(fjson_object *r) {
  fjson_object *b = NULL;
  if (soc_report_level(r) < 3) return 0;
  return !fjson_object_object_get_ex(r, "bundle", &b) || !b ||
         !fjson_object_is_type(b, fjson_type_object);
}

/* ---- one pass ---- */

/* Report ids are gathered a page at a time, so that the scan's read
 * snapshot is not held while each report gets its own write transaction. */
#define PAGE 256

typedef struct page {
  int64_t after; /* ids above this one */
  int64_t ids[PAGE];
  size_t n;
} page;

static int gather(void *arg, const soc_report_row *row) {
  page *p = arg;
  if (row->id <= p->after) return 0;
  p->ids[p->n++] = row->id;
  return p->n == PAGE; /* full: stop the scan */
}

/* One report: its alerts, and its bundle when it needs one, in one transaction. */
static int one_report(soc_workflow *w, int64_t id, int64_t now_s) {
  soc_report_row row = {0};
  fjson_object *r = NULL, *info = NULL, *details = NULL;
  int rc = soc_store_begin(w->store);
  if (rc < 0) return rc;
  rc = soc_store_report_get(w->store, id, &row);
  if (rc < 0 || !(r = soc_json_parse_object(row.body))) goto out;
  rc = check_clocks(w, r, now_s);
  if (rc == 0 && needs_bundle(r)) {
    info = fjson_object_new_object();
    details = fjson_object_new_object();
    int brc = build_bundle(w, r, now_s, info);
    if (brc == -EFBIG) {
      char err[400], msg[512];
      snprintf(err, sizeof err,
               "the evidence bundle would pass evidence.max_bytes (%lld bytes): raise it, or "
               "narrow evidence.window_before; the journal keeps the lines meanwhile",
               (long long)w->cfg->evidence.max_bytes);
      soc_json_add_str(info, "state", "failed");
      soc_json_add_str(info, "error", err);
      snprintf(msg, sizeof msg, "report %s: %s", soc_report_str(r, "id"), err);
      rc = raise_alert(w, r, "evidence.failed", msg, NULL, now_s);
    } else if (brc < 0) {
      rc = brc;
    } else {
      char msg[512];
      fjson_object *sz = NULL, *ch = NULL;
      fjson_object_object_get_ex(info, "size", &sz);
      fjson_object_object_get_ex(info, "chunks", &ch);
      snprintf(msg, sizeof msg, "report %s: evidence bundle of %lld bytes in %lld chunk(s) queued",
               soc_report_str(r, "id"), (long long)fjson_object_get_int64(sz),
               (long long)fjson_object_get_int64(ch));
      fprintf(stderr, "socagent: %s\n", msg);
    }
    if (rc == 0) {
      fjson_object_object_add(details, "bundle", fjson_object_get(info));
      fjson_object_object_add(r, "bundle", fjson_object_get(info));
      rc = save_report(w, r, now_s, "evidence.bundle", details);
    }
  }
out:
  if (rc == 0) rc = soc_store_commit(w->store);
  if (rc < 0) {
    soc_store_rollback(w->store);
    fprintf(stderr, "socagent: workflow: report %lld: %s; will try again\n", (long long)id,
            rc == -ENOMEM ? "out of memory" : soc_store_errmsg(w->store));
  }
  if (r) fjson_object_put(r);
  if (info) fjson_object_put(info);
  if (details) fjson_object_put(details);
  soc_report_row_clear(&row);
  return rc;
}

int soc_workflow_tick(soc_workflow *w, int64_t now_s) {
  page p = {0};
  int result = 0;
  /* asked only for a hook: --oneshot's tick has none */
  int64_t queued = w->on_outbox ? soc_store_outbox_last(w->store) : 0;
  if (!now_s) now_s = soc_now_real_ns() / 1000000000LL;
  do {
    p.n = 0;
    int rc = soc_store_reports_scan(w->store, NULL, gather, &p);
    if (rc < 0) {
      fprintf(stderr, "socagent: workflow: %s\n", soc_store_errmsg(w->store));
      return rc;
    }
    for (size_t i = 0; i < p.n && !atomic_load(&w->stop); i++) {
      rc = one_report(w, p.ids[i], now_s);
      if (rc < 0 && !result) result = rc;
    }
    if (p.n) p.after = p.ids[p.n - 1];
  } while (p.n == PAGE && !atomic_load(&w->stop));
  if (w->on_outbox && soc_store_outbox_last(w->store) != queued) w->on_outbox(w->on_outbox_arg);
  return result;
}

void soc_workflow_on_outbox(soc_workflow *w, void (*fn)(void *), void *arg) {
  w->on_outbox = fn;
  w->on_outbox_arg = arg;
}

static void *run(void *arg) {
  soc_workflow *w = arg;
  while (!atomic_load(&w->stop)) {
    soc_workflow_tick(w, 0);
    for (int64_t slept = 0; slept < w->cfg->report.check_ms && !atomic_load(&w->stop);
         slept += SLEEP_SLICE_MS) {
      if (w->inbox)
        soc_inbox_poll(w->inbox, SLEEP_SLICE_MS);
      else
        usleep(SLEEP_SLICE_MS * 1000);
    }
  }
  return NULL;
}

int soc_workflow_new(const soc_config *cfg, soc_workflow **out) {
  char path[4096], err[600];
  int result = -ENOMEM;
  *out = NULL;
  soc_workflow *w = calloc(1, sizeof *w);
  soc_diag *diag = soc_diag_new();
  if (!w || !diag) goto out;
  w->cfg = cfg;
  if (gethostname(w->hostname, sizeof w->hostname - 1) < 0) w->hostname[0] = '\0';
  const char *dir = cfg->report.regimes_dir ? cfg->report.regimes_dir : soc_regime_default_dir();
  result = soc_regime_load_named(dir, cfg->report.regime, &w->regime, diag);
  soc_diag_print(diag, stderr);
  if (result < 0) goto out;
  snprintf(path, sizeof path, "%s/agent.db", cfg->agent.state_dir);
  result = soc_store_open(path, SOC_STORE_AGENT, &w->store, err, sizeof err);
  if (result < 0) fprintf(stderr, "socagent: workflow: %s\n", err);
out:
  soc_diag_free(diag);
  if (result < 0) {
    soc_workflow_free(w);
    return result;
  }
  *out = w;
  return 0;
}

int soc_workflow_start(soc_workflow *w) {
  /* a broker that cannot be reached only delays decisions; the clocks and
   * bundles go on without it */
  if (soc_inbox_new(w->cfg, w->store, w->regime, &w->inbox) < 0)
    fprintf(stderr, "socagent: workflow: the center's decisions will not be received\n");
  int rc = pthread_create(&w->thread, NULL, run, w);
  if (rc) return -rc;
  w->started = 1;
  soc_thread_name(w->thread, "soc:workflow");
  return 0;
}

void soc_workflow_stop(soc_workflow *w) {
  if (!w || !w->started) return;
  atomic_store(&w->stop, 1);
  pthread_join(w->thread, NULL);
  w->started = 0;
}

void soc_workflow_free(soc_workflow *w) {
  if (!w) return;
  soc_workflow_stop(w);
  soc_inbox_free(w->inbox);
  soc_store_close(w->store);
  soc_regime_free(w->regime);
  free(w);
}
