/*
 * watch — see the header for the why; here, the how.
 *
 * A file's life: inotify says IN_CLOSE_WRITE or IN_MOVED_TO (a file
 * written in place, or uploaded elsewhere and renamed in, as most uploaders
 * and deploy tools do); the path goes to its worker's queue; the worker
 * reads it once (O_NOFOLLOW, at most max_file_size kept), hashes those
 * bytes, compares them with the baseline, scans them if they are new or
 * changed, and collects what it found. Findings and baseline rows are
 * written in batches (one transaction for up to BATCH files) so a rescan of
 * a big tree is not one fsync per file; the scanning itself happens outside
 * any transaction, so a slow scan never holds the store's write lock.
 *
 * A crash between the scan and the commit loses nothing: the baseline was
 * not updated either, so the next start sees the file as changed again and
 * drafts it then; a crash after the commit is covered by finding_seen.
 *
 * Limits: max_watches directories per input (inotify watches cost kernel
 * memory; past the limit, or the kernel's own fs.inotify.max_user_watches,
 * the directories left are seen only by rescans, which the agent says
 * once and counts as watch_limit); queue_size paths per worker; BATCH
 * files per transaction; FINDINGS_MAX findings per file; DEPTH_MAX levels
 * of directories.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draft.h"
#include "finding.h"
#include "loop.h"
#include "soc/tz.h"
#include "soc/hash.h"
#include "soc/store.h"
#include "soc/thread.h"

#define BATCH 64
#define FINDINGS_MAX 16
#define DEPTH_MAX 64
#define EVIDENCE_MAX_BYTES (SOC_STREAM_PATH_MAX + 2048)
#define POLL_MS 250
#define WATCH_MASK                                                                         \
  (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | \
   IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define DEFACE_RULE "SOC-WATCH-001"

/* Counters of one watch input, kept as totals since the store was made. */
enum {
  C_FILES_HASHED,
  C_FILES_SCANNED,
  C_MATCHES,
  C_DRAFTS,
  C_BASELINE_NEW,
  C_BASELINE_CHANGED,
  C_BASELINE_DELETED,
  C_TOO_LARGE,
  C_READ_ERRORS,
  C_SKIPPED,
  C_SCAN_TIMEOUTS,
  C_SCAN_ERRORS,
  C_WATCHES,
  C_WATCH_LIMIT,
  C_QUEUE_OVERFLOWS,
  C_RESCANS,
  C_COUNT
};
static const char *const counter_names[C_COUNT] = {
    "files_hashed", "files_scanned",    "yara_matches",     "drafts",
    "baseline_new", "baseline_changed", "baseline_deleted", "too_large",
    "read_errors",  "skipped",          "scan_timeouts",    "scan_errors",
    "watches",      "watch_limit",      "queue_overflows",  "rescans"};
/* the engine's, under the input name "yara" */
static const char *const yara_names[] = {"scans", "matches", "timeouts", "errors", "bytes"};
#define NYARA (sizeof yara_names / sizeof yara_names[0])

typedef struct watched {
  const soc_input_config *cfg;
  char asset[256];
  atomic_int force_scan; /* the rules changed since the last full scan */
  atomic_llong ctr[C_COUNT];
} watched;

typedef struct item {
  size_t input;
  int deleted; /* the file is gone: drop its baseline row */
  soc_watch_file_row row;
  int is_new, changed;
  int64_t drafted;           /* set by flush */
  soc_found f[FINDINGS_MAX]; /* waiting for the batch's transaction */
  size_t nf;
  soc_yara_file file; /* the content, held until flush when something was found */
} item;

typedef struct job {
  size_t input;
  int dir; /* walk it (a new directory) */
  char *path;
} job;

typedef struct worker {
  struct soc_watch *w;
  size_t index;
  pthread_t thread;
  int started;
  soc_store *store;
  soc_yara_scanner *scanner;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job *q; /* a ring of queue_size jobs */
  size_t qcap, qhead, qlen;
  int rescan;
  item *pending; /* BATCH items */
  size_t npending;
} worker;

typedef struct wdir {
  int wd;
  size_t input;
  char *path;
} wdir;

struct soc_watch {
  const soc_config *cfg;
  soc_yara_engine *engine; /* borrowed, may be NULL */
  soc_assets *assets;
  char host[256];
  watched *in;
  size_t nin;
  worker *workers;
  size_t nworkers;
  int ifd;
  wdir *dirs;
  size_t ndirs, capdirs;
  pthread_t thread;
  int started;
  atomic_int stop;
  atomic_int rescans_left; /* workers still in their first full rescan */
  int64_t yara_base[NYARA];
  int64_t next_rescan_ms;
  int limit_said;
};

static uint64_t path_hash(const char *p) { return soc_fnv1a(SOC_FNV1A_SEED, p); }

static int mine(const worker *k, const char *path) {
  return k->w->nworkers <= 1 || path_hash(path) % k->w->nworkers == k->index;
}

static void count(watched *in, int c, int64_t n) { atomic_fetch_add(&in->ctr[c], n); }

/* ---- findings ------------------------------------------------------------------ */

static void item_clear(item *it) {
  for (size_t i = 0; i < it->nf; i++) soc_found_clear(&it->f[i]);
  soc_yarascan_file_clear(&it->file);
  memset(it, 0, sizeof *it);
}

static fjson_object *file_ecs(const item *it) {
  fjson_object *file = fjson_object_new_object(), *hash = fjson_object_new_object();
  const char *base = strrchr(it->row.path, '/');
  soc_json_add_str(file, "path", it->row.path);
  soc_json_add_str(file, "name", base ? base + 1 : it->row.path);
  fjson_object_object_add(file, "size", fjson_object_new_int64(it->row.size));
  soc_json_add_time(file, "mtime", it->row.mtime_ns);
  soc_json_add_str(hash, "sha256", it->row.sha256);
  fjson_object_object_add(file, "hash", hash);
  return file;
}

typedef struct scan_ctx {
  item *it;
  watched *in;
} scan_ctx;

static int on_match(void *arg, const soc_yara_match *m) {
  scan_ctx *c = arg;
  item *it = c->it;
  char what[SOC_STREAM_PATH_MAX + 128];
  if (it->nf == FINDINGS_MAX) return 0; /* counted as matches, not drafted */
  snprintf(what, sizeof what, "file %s sha256=%s size=%lld", it->row.path, it->row.sha256,
           (long long)it->row.size);
  /* a rule that says nothing is read as what a watched web root holds: a
   * web trojan (webshell), tampering with the site */
  soc_found *f = &it->f[it->nf];
  if (soc_found_from_yara(f, m, SOC_CATEGORY_WEB_ATTACK, what) < 0) return 0;
  it->nf++;
  fjson_object_object_add(f->detail, "file", file_ecs(it));
  fjson_object_object_add(f->ecs, "file", file_ecs(it));
  count(c->in, C_MATCHES, 1);
  return 0;
}

static void deface_finding(item *it, const char *old_sha, int64_t old_size) {
  soc_found *f = &it->f[it->nf++];
  char ev[EVIDENCE_MAX_BYTES];
  f->rule_id = strdup(DEFACE_RULE);
  f->title = strdup("Web page changed against the baseline (possible defacement)");
  f->description = strdup(
      "A page under a watched web root no longer has the content recorded "
      "in the baseline. Check whether the change was a deployment.");
  f->reference = strdup("");
  f->category = SOC_CATEGORY_WEB_ATTACK;
  f->subtype = strdup("defacement");
  f->impact = SOC_IMPACT_TAMPER;
  f->severity = SOC_SEVERITY_SEVERE;
  snprintf(ev, sizeof ev, "file %s changed: sha256 %s -> %s, size %lld -> %lld", it->row.path,
           old_sha, it->row.sha256, (long long)old_size, (long long)it->row.size);
  f->evidence = strdup(ev);
  fjson_object *b = fjson_object_new_object();
  soc_json_add_str(b, "sha256", old_sha);
  fjson_object_object_add(b, "size", fjson_object_new_int64(old_size));
  f->detail = fjson_object_new_object();
  fjson_object_object_add(f->detail, "file", file_ecs(it));
  fjson_object_object_add(f->detail, "baseline", b);
  f->ecs = fjson_object_new_object();
  fjson_object_object_add(f->ecs, "file", file_ecs(it));
}

static int reports_changes(const soc_input_config *c, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; i < c->nreport_changes; i++)
    if (fnmatch(c->report_changes[i], base, 0) == 0) return 1;
  return 0;
}

/* ---- the batch ------------------------------------------------------------------- */

static void write_counters(worker *k) {
  soc_watch *w = k->w;
  for (size_t i = 0; i < w->nin; i++)
    for (int c = 0; c < C_COUNT; c++)
      soc_store_counter_set(k->store, w->in[i].cfg->id, counter_names[c],
                            atomic_load(&w->in[i].ctr[c]));
  if (!w->engine) return;
  soc_yara_counters yc;
  soc_yarascan_counters(w->engine, &yc);
  const int64_t now[NYARA] = {yc.scans, yc.matches, yc.timeouts, yc.errors, yc.bytes};
  for (size_t i = 0; i < NYARA; i++)
    soc_store_counter_set(k->store, "yara", yara_names[i], w->yara_base[i] + now[i]);
  soc_store_counter_set(k->store, "yara", "rules", yc.rules);
}

static int flush(worker *k) {
  soc_watch *w = k->w;
  int rc = soc_store_begin(k->store);
  for (size_t i = 0; rc == 0 && i < k->npending; i++) {
    item *it = &k->pending[i];
    watched *in = &w->in[it->input];
    if (it->deleted) {
      rc = soc_store_watch_file_delete(k->store, in->cfg->id, it->row.path);
      continue;
    }
    rc = soc_store_watch_file_put(k->store, &it->row);
    for (size_t j = 0; rc == 0 && j < it->nf; j++) {
      const char *refs[1];
      soc_finding fi;
      soc_found_to_finding(&it->f[j], refs, &fi);
      fi.asset_key = in->asset;
      fi.host = w->host;
      fi.source = in->cfg->id;
      fi.object = it->row.path;
      fi.sha256 = it->row.sha256;
      fi.ts_ns = soc_now_real_ns();
      fi.object_bytes = it->file.data;
      fi.object_len = it->file.len;
      fi.object_size = (int64_t)it->file.size;
      soc_finding_sink sink = {.cfg = w->cfg, .store = k->store, .assets = w->assets};
      rc = soc_finding_draft(&sink, &fi);
      if (rc > 0) it->drafted++, rc = 0;
    }
  }
  /* counted before the commit so the count lands with the drafts; taken
   * back if they do not */
  for (size_t i = 0; i < k->npending; i++)
    count(&w->in[k->pending[i].input], C_DRAFTS, k->pending[i].drafted);
  if (rc == 0) write_counters(k);
  if (rc == 0) rc = soc_store_commit(k->store);
  if (rc < 0) {
    fprintf(stderr, "socagent: watch: %s; the files will be looked at again by the next rescan\n",
            soc_store_errmsg(k->store));
    soc_store_rollback(k->store);
    for (size_t i = 0; i < k->npending; i++)
      count(&w->in[k->pending[i].input], C_DRAFTS, -k->pending[i].drafted);
  }
  for (size_t i = 0; i < k->npending; i++) item_clear(&k->pending[i]);
  k->npending = 0;
  return rc;
}

/* One file: read, hash, compare, scan; the result joins the batch. */
static void look_at(worker *k, size_t input, const char *path, int force) {
  soc_watch *w = k->w;
  watched *in = &w->in[input];
  soc_yara_file f;
  soc_watch_file_row old;
  if (soc_input_excluded(in->cfg, path)) return;
  if (strlen(path) >= SOC_STREAM_PATH_MAX) {
    count(in, C_SKIPPED, 1);
    return;
  }
  if (k->npending == BATCH) flush(k);
  item *it = &k->pending[k->npending];
  memset(it, 0, sizeof *it);
  it->input = input;
  snprintf(it->row.input, sizeof it->row.input, "%s", in->cfg->id);
  snprintf(it->row.path, sizeof it->row.path, "%s", path);
  int rc = soc_yarascan_read_file(path, (size_t)in->cfg->max_file_size, &f);
  int have_old = soc_store_watch_file_get(k->store, in->cfg->id, path, &old) == 0;
  if (rc == -ENOENT || rc == -ENOTDIR) {
    if (have_old) {
      it->deleted = 1;
      k->npending++;
      count(in, C_BASELINE_DELETED, 1);
    }
    return;
  }
  if (rc == -ELOOP || rc == -EINVAL) { /* a symlink, a FIFO, a device: never followed */
    count(in, C_SKIPPED, 1);
    return;
  }
  if (rc < 0) {
    count(in, C_READ_ERRORS, 1);
    return;
  }
  count(in, C_FILES_HASHED, 1);
  soc_hex(f.sha256, SOC_SHA256_LEN, it->row.sha256);
  it->row.size = (int64_t)f.size;
  it->row.mtime_ns = f.mtime_ns;
  it->is_new = !have_old;
  it->changed = have_old && strcmp(old.sha256, it->row.sha256) != 0;
  if (!it->is_new && !it->changed && !force) {
    /* same content: only a new mtime to note, if that */
    if (old.mtime_ns != it->row.mtime_ns || old.size != it->row.size) k->npending++;
    soc_yarascan_file_clear(&f);
    return;
  }
  if (it->is_new) count(in, C_BASELINE_NEW, 1);
  if (it->changed) {
    count(in, C_BASELINE_CHANGED, 1);
    if (reports_changes(in->cfg, path)) deface_finding(it, old.sha256, old.size);
  }
  if (f.too_large) {
    count(in, C_TOO_LARGE, 1);
  } else if (k->scanner) {
    soc_yara_meta meta;
    char buf[512];
    scan_ctx c = {.it = it, .in = in};
    soc_yarascan_meta_for(path, &f, buf, sizeof buf, &meta);
    rc = soc_yarascan_buffer(k->scanner, f.data, f.len, &meta, on_match, &c);
    count(in, C_FILES_SCANNED, 1);
    if (rc == -ETIMEDOUT) {
      count(in, C_SCAN_TIMEOUTS, 1);
      fprintf(stderr, "socagent: %s: YARA scan of %s timed out (rules.yara_timeout)\n", in->cfg->id,
              path);
    } else if (rc < 0) {
      count(in, C_SCAN_ERRORS, 1);
    }
  }
  if (it->nf)
    it->file = f; /* kept for the draft's evidence */
  else
    soc_yarascan_file_clear(&f);
  k->npending++;
}

/* Every regular file below dir that belongs to this worker. */
static void walk(worker *k, size_t input, const char *dir, int depth, int force) {
  if (depth > DEPTH_MAX || atomic_load(&k->w->stop)) return;
  DIR *d = opendir(dir);
  if (!d) return;
  char path[SOC_STREAM_PATH_MAX];
  for (struct dirent *de; (de = readdir(d));) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) continue;
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!soc_input_excluded(k->w->in[input].cfg, path)) walk(k, input, path, depth + 1, force);
    } else if (S_ISREG(st.st_mode) && mine(k, path)) {
      look_at(k, input, path, force);
    }
  }
  closedir(d);
}

typedef struct gone_ctx {
  worker *k;
  size_t input;
  char **paths;
  size_t n, cap;
} gone_ctx;

static int collect_gone(void *arg, const soc_watch_file_row *r) {
  gone_ctx *g = arg;
  struct stat st;
  if (!mine(g->k, r->path)) return 0;
  if (lstat(r->path, &st) == 0 && S_ISREG(st.st_mode)) return 0;
  if (g->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 64;
    char **v = realloc(g->paths, nc * sizeof *v);
    if (!v) return -ENOMEM;
    g->paths = v;
    g->cap = nc;
  }
  return (g->paths[g->n] = strdup(r->path)) ? (g->n++, 0) : -ENOMEM;
}

/* A full rescan: every file against the baseline, then the baseline rows
 * whose files are gone (deleted while the agent was down, or unseen by a
 * full queue). */
static void rescan(worker *k) {
  soc_watch *w = k->w;
  for (size_t i = 0; i < w->nin && !atomic_load(&w->stop); i++) {
    watched *in = &w->in[i];
    if (k->index == 0) count(in, C_RESCANS, 1);
    for (size_t p = 0; p < in->cfg->npaths; p++)
      walk(k, i, in->cfg->paths[p], 0, atomic_load(&in->force_scan));
    gone_ctx g = {.k = k, .input = i};
    soc_store_watch_files_scan(k->store, in->cfg->id, collect_gone, &g);
    for (size_t j = 0; j < g.n; j++) {
      look_at(k, i, g.paths[j], 0);
      free(g.paths[j]);
    }
    free(g.paths);
  }
  flush(k);
  /* the last worker to finish its first rescan records the rules it used */
  if (atomic_fetch_sub(&w->rescans_left, 1) == 1 && w->engine && !atomic_load(&w->stop)) {
    for (size_t i = 0; i < w->nin; i++) {
      char key[SOC_STORE_META_KEY_MAX];
      snprintf(key, sizeof key, "watch.%s.rules", w->in[i].cfg->id);
      if (soc_store_meta_set(k->store, key, soc_yarascan_digest(w->engine)) == 0)
        atomic_store(&w->in[i].force_scan, 0);
    }
  }
}

/* ---- workers ------------------------------------------------------------------------ */

static void enqueue(worker *k, size_t input, const char *path, int dir) {
  pthread_mutex_lock(&k->mu);
  if (k->qlen == k->qcap) {
    /* no room: a rescan sees everything this path would have shown */
    if (!k->rescan) count(&k->w->in[input], C_QUEUE_OVERFLOWS, 1);
    k->rescan = 1;
  } else {
    char *p = strdup(path);
    if (p) {
      job *j = &k->q[(k->qhead + k->qlen++) % k->qcap];
      j->input = input;
      j->dir = dir;
      j->path = p;
    } else {
      k->rescan = 1;
    }
  }
  pthread_cond_signal(&k->cv);
  pthread_mutex_unlock(&k->mu);
}

static void *work(void *arg) {
  worker *k = arg;
  soc_watch *w = k->w;
  while (!atomic_load(&w->stop)) {
    job j = {0};
    int full = 0;
    pthread_mutex_lock(&k->mu);
    if (!k->qlen && !k->rescan) {
      const struct timespec ts = soc_thread_deadline(CLOCK_REALTIME, POLL_MS);
      pthread_cond_timedwait(&k->cv, &k->mu, &ts);
    }
    if (k->rescan) {
      full = 1;
      k->rescan = 0;
    } else if (k->qlen) {
      j = k->q[k->qhead];
      k->qhead = (k->qhead + 1) % k->qcap;
      k->qlen--;
    }
    int more = k->qlen > 0;
    pthread_mutex_unlock(&k->mu);
    if (full) {
      rescan(k);
    } else if (j.path) {
      if (j.dir)
        walk(k, j.input, j.path, 0, 0);
      else
        look_at(k, j.input, j.path, 0);
      free(j.path);
    }
    if (!more && k->npending) flush(k);
  }
  if (k->npending) flush(k);
  return NULL;
}

static int worker_init(soc_watch *w, worker *k, size_t index, size_t qcap) {
  char path[4096], err[600];
  k->w = w;
  k->index = index;
  k->rescan = 1;
  pthread_mutex_init(&k->mu, NULL);
  pthread_cond_init(&k->cv, NULL);
  if (!(k->q = calloc(qcap, sizeof *k->q)) || !(k->pending = calloc(BATCH, sizeof *k->pending)))
    return -ENOMEM;
  k->qcap = qcap;
  snprintf(path, sizeof path, "%s/agent.db", w->cfg->agent.state_dir);
  int rc = soc_store_open(path, SOC_STORE_AGENT, &k->store, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "socagent: watch: %s\n", err);
    return rc;
  }
  return w->engine ? soc_yarascan_scanner_new(w->engine, &k->scanner) : 0;
}

static void worker_free(worker *k) {
  if (!k->w) return;
  for (size_t i = 0; i < k->qlen; i++) free(k->q[(k->qhead + i) % k->qcap].path);
  for (size_t i = 0; i < k->npending; i++) item_clear(&k->pending[i]);
  free(k->q);
  free(k->pending);
  soc_yarascan_scanner_free(k->scanner);
  soc_store_close(k->store);
  pthread_mutex_destroy(&k->mu);
  pthread_cond_destroy(&k->cv);
}

static int make_workers(soc_watch *w, size_t n, size_t qcap) {
  w->workers = calloc(n, sizeof *w->workers);
  if (!w->workers) return -ENOMEM;
  w->nworkers = n;
  atomic_store(&w->rescans_left, (int)n);
  for (size_t i = 0; i < n; i++) {
    int rc = worker_init(w, &w->workers[i], i, qcap);
    if (rc < 0) return rc;
  }
  return 0;
}

/* ---- inotify ------------------------------------------------------------------------ */

static wdir *dir_of(soc_watch *w, int wd) {
  for (size_t i = 0; i < w->ndirs; i++) /* a few thousand ints: a scan is fine */
    if (w->dirs[i].wd == wd) return &w->dirs[i];
  return NULL;
}

static void forget_dir(soc_watch *w, wdir *d) {
  free(d->path);
  *d = w->dirs[--w->ndirs];
}

/* Watches dir and every directory below it, up to max_watches. */
static void add_tree(soc_watch *w, size_t input, const char *dir, int depth) {
  watched *in = &w->in[input];
  if (depth > DEPTH_MAX || soc_input_excluded(in->cfg, dir)) return;
  int wd = -1;
  if (atomic_load(&in->ctr[C_WATCHES]) < in->cfg->max_watches)
    wd = inotify_add_watch(w->ifd, dir, WATCH_MASK);
  else
    errno = ENOSPC;
  if (wd < 0) {
    if (errno == ENOSPC) {
      count(in, C_WATCH_LIMIT, 1);
      if (!w->limit_said++)
        fprintf(stderr,
                "socagent: %s: cannot watch %s: the limit of directories is reached "
                "(max_watches %lld, or the kernel's fs.inotify.max_user_watches); "
                "directories past it are seen only by rescans (counter watch_limit)\n",
                in->cfg->id, dir, (long long)in->cfg->max_watches);
    } else if (depth == 0) {
      fprintf(stderr, "socagent: %s: cannot watch %s: %s\n", in->cfg->id, dir, strerror(errno));
    }
    return;
  }
  if (!dir_of(w, wd)) {
    if (w->ndirs == w->capdirs) {
      size_t nc = w->capdirs ? w->capdirs * 2 : 64;
      wdir *v = realloc(w->dirs, nc * sizeof *v);
      if (!v) return;
      w->dirs = v;
      w->capdirs = nc;
    }
    w->dirs[w->ndirs] = (wdir){.wd = wd, .input = input, .path = strdup(dir)};
    if (!w->dirs[w->ndirs].path) return;
    w->ndirs++;
    count(in, C_WATCHES, 1);
  }
  DIR *d = opendir(dir);
  char path[SOC_STREAM_PATH_MAX];
  for (struct dirent *de; d && (de = readdir(d));) {
    struct stat st;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) continue;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) add_tree(w, input, path, depth + 1);
  }
  if (d) closedir(d);
}

static void rescan_all(soc_watch *w) {
  for (size_t i = 0; i < w->nworkers; i++) {
    worker *k = &w->workers[i];
    pthread_mutex_lock(&k->mu);
    k->rescan = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
  }
}

static void on_event(soc_watch *w, const struct inotify_event *ev) {
  if (ev->mask & IN_Q_OVERFLOW) {
    for (size_t i = 0; i < w->nin; i++) count(&w->in[i], C_QUEUE_OVERFLOWS, 1);
    rescan_all(w);
    return;
  }
  wdir *d = dir_of(w, ev->wd);
  if (!d) return;
  if (ev->mask & (IN_IGNORED | IN_DELETE_SELF)) {
    if (ev->mask & IN_IGNORED) {
      count(&w->in[d->input], C_WATCHES, -1);
      forget_dir(w, d);
    }
    return;
  }
  if (!ev->len) return;
  char path[SOC_STREAM_PATH_MAX];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", d->path, ev->name) >= sizeof path) return;
  size_t input = d->input;
  if (soc_input_excluded(w->in[input].cfg, path)) return;
  if (ev->mask & IN_ISDIR) {
    if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
      /* files may be in it already: watch it, then walk it */
      add_tree(w, input, path, 1);
      for (size_t i = 0; i < w->nworkers; i++) enqueue(&w->workers[i], input, path, 1);
    } else if (ev->mask & IN_MOVED_FROM) {
      /* its watches would report under the old name: drop them; a rescan
       * takes the files' rows out of the baseline */
      size_t n = strlen(path);
      for (size_t i = 0; i < w->ndirs; i++)
        if (!strncmp(w->dirs[i].path, path, n) &&
            (w->dirs[i].path[n] == '/' || !w->dirs[i].path[n]))
          inotify_rm_watch(w->ifd, w->dirs[i].wd);
      rescan_all(w);
    }
    return;
  }
  if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
    enqueue(&w->workers[w->nworkers > 1 ? path_hash(path) % w->nworkers : 0], input, path, 0);
}

static void *watch_thread(void *arg) {
  soc_watch *w = arg;
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  int64_t interval_ms = 0;
  for (size_t i = 0; i < w->nin; i++) {
    int64_t ms = w->in[i].cfg->rescan_interval_s * 1000;
    if (ms > 0 && (!interval_ms || ms < interval_ms)) interval_ms = ms;
  }
  w->next_rescan_ms = interval_ms ? soc_now_mono_ms() + interval_ms : 0;
  while (!atomic_load(&w->stop)) {
    struct pollfd p = {.fd = w->ifd, .events = POLLIN};
    int n = poll(&p, 1, POLL_MS);
    if (w->next_rescan_ms && soc_now_mono_ms() >= w->next_rescan_ms) {
      rescan_all(w);
      w->next_rescan_ms = soc_now_mono_ms() + interval_ms;
    }
    if (n <= 0) continue;
    ssize_t len = read(w->ifd, buf, sizeof buf);
    for (ssize_t off = 0; len > 0 && off < len;) {
      const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
      on_event(w, ev);
      off += (ssize_t)(sizeof *ev + ev->len);
    }
  }
  return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int load_counter(void *arg, const char *input, const char *name, int64_t value) {
  soc_watch *w = arg;
  if (!strcmp(input, "yara")) {
    for (size_t i = 0; i < NYARA; i++)
      if (!strcmp(name, yara_names[i])) w->yara_base[i] = value;
    return 0;
  }
  for (size_t i = 0; i < w->nin; i++) {
    if (strcmp(w->in[i].cfg->id, input) != 0) continue;
    for (int c = 0; c < C_COUNT; c++)
      if (c != C_WATCHES && !strcmp(counter_names[c], name)) atomic_store(&w->in[i].ctr[c], value);
  }
  return 0;
}

int soc_watch_new(const soc_config *cfg, soc_yara_engine *engine, soc_watch **out) {
  int result = -ENOMEM;
  char path[4096], err[600];
  soc_store *store = NULL;
  soc_watch *w = calloc(1, sizeof *w);
  *out = NULL;
  if (!w) return -ENOMEM;
  w->cfg = cfg;
  w->engine = engine;
  w->ifd = -1;
  for (size_t i = 0; i < cfg->ninputs; i++) w->nin += cfg->inputs[i].type == SOC_INPUT_WATCH;
  result = 0;
  if (!w->nin) goto out;
  result = -ENOMEM;
  if (!(w->in = calloc(w->nin, sizeof *w->in))) goto out;
  if (gethostname(w->host, sizeof w->host - 1) < 0) snprintf(w->host, sizeof w->host, "localhost");
  for (size_t i = 0, j = 0; i < cfg->ninputs; i++) {
    if (cfg->inputs[i].type != SOC_INPUT_WATCH) continue;
    w->in[j].cfg = &cfg->inputs[i];
    snprintf(w->in[j].asset, sizeof w->in[j].asset, "%s",
             cfg->inputs[i].asset ? cfg->inputs[i].asset : w->host);
    j++;
  }
  soc_diag *diag = soc_diag_new();
  result = soc_config_load_assets(cfg, &w->assets, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (result < 0) goto out;
  snprintf(path, sizeof path, "%s/agent.db", cfg->agent.state_dir);
  if ((result = soc_store_open(path, SOC_STORE_AGENT, &store, err, sizeof err)) < 0) {
    fprintf(stderr, "socagent: watch: %s\n", err);
    goto out;
  }
  if ((result = soc_store_counters_scan(store, load_counter, w)) < 0) goto out;
  for (size_t i = 0; engine && i < w->nin; i++) {
    char key[SOC_STORE_META_KEY_MAX], digest[SOC_SHA256_HEX_LEN + 1];
    snprintf(key, sizeof key, "watch.%s.rules", w->in[i].cfg->id);
    atomic_store(&w->in[i].force_scan,
                 soc_store_meta_get(store, key, digest, sizeof digest, NULL) != 0 ||
                     strcmp(digest, soc_yarascan_digest(engine)) != 0);
  }
out:
  soc_store_close(store);
  if (result == 0)
    *out = w;
  else
    soc_watch_free(w);
  return result;
}

int soc_watch_drain(soc_watch *w) {
  if (!w->nin) return 0;
  int rc = make_workers(w, 1, 16);
  if (rc < 0) return rc;
  rescan(&w->workers[0]);
  return 0;
}

int soc_watch_start(soc_watch *w) {
  size_t n = 1, qcap = 16;
  if (!w->nin) return 0;
  for (size_t i = 0; i < w->nin; i++) {
    if ((size_t)w->in[i].cfg->workers > n) n = (size_t)w->in[i].cfg->workers;
    if ((size_t)w->in[i].cfg->queue_size > qcap) qcap = (size_t)w->in[i].cfg->queue_size;
  }
  w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->ifd < 0) {
    fprintf(stderr, "socagent: watch: inotify: %s\n", strerror(errno));
    return -errno;
  }
  int rc = make_workers(w, n, qcap);
  if (rc < 0) return rc;
  /* watches first, then the rescan: a change in between is seen twice at
   * worst, never missed */
  for (size_t i = 0; i < w->nin; i++) {
    for (size_t p = 0; p < w->in[i].cfg->npaths; p++) add_tree(w, i, w->in[i].cfg->paths[p], 0);
    fprintf(stderr, "socagent: %s: watching %lld director%s\n", w->in[i].cfg->id,
            (long long)atomic_load(&w->in[i].ctr[C_WATCHES]),
            atomic_load(&w->in[i].ctr[C_WATCHES]) == 1 ? "y" : "ies");
  }
  for (size_t i = 0; i < n; i++) {
    if ((rc = pthread_create(&w->workers[i].thread, NULL, work, &w->workers[i])) != 0) return -rc;
    w->workers[i].started = 1;
    soc_thread_name(w->workers[i].thread, "soc:watch/%zu", i);
  }
  if ((rc = pthread_create(&w->thread, NULL, watch_thread, w)) != 0) return -rc;
  w->started = 1;
  soc_thread_name(w->thread, "soc:watch");
  return 0;
}

void soc_watch_stop(soc_watch *w) {
  if (!w) return;
  atomic_store(&w->stop, 1);
  if (w->started) pthread_join(w->thread, NULL);
  w->started = 0;
  for (size_t i = 0; i < w->nworkers; i++) {
    worker *k = &w->workers[i];
    if (!k->started) continue;
    pthread_mutex_lock(&k->mu);
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    k->started = 0;
  }
}

void soc_watch_free(soc_watch *w) {
  if (!w) return;
  soc_watch_stop(w);
  for (size_t i = 0; i < w->nworkers; i++) worker_free(&w->workers[i]);
  free(w->workers);
  for (size_t i = 0; i < w->ndirs; i++) free(w->dirs[i].path);
  free(w->dirs);
  if (w->ifd >= 0) close(w->ifd);
  soc_assets_free(w->assets);
  free(w->in);
  free(w);
}
