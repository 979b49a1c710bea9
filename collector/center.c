/*
 * center — reports and evidence as they arrive, and the center's clocks
 * (center.h says what and why).
 */
#define _GNU_SOURCE
#include "center.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soc/bundle.h"
#include "soc/report.h"
#include "soc/tz.h"

#define REGIMES_MAX 8 /* other tables than center.regime that reports name */
#define SUPPORT_L34_S 3600
#define SUPPORT_L12_S 7200

struct soc_center {
  const soc_collector_config *cfg; /* borrowed */
  soc_regime *regime;              /* owned: center.regime */
  struct {
    char name[64];
    soc_regime *g; /* owned; NULL when it could not be loaded */
  } named[REGIMES_MAX];
  size_t nnamed;
};

static const char *regimes_dir(const soc_center *c) {
  return c->cfg->center.regimes_dir ? c->cfg->center.regimes_dir : soc_regime_default_dir();
}

int soc_center_new(const soc_collector_config *cfg, soc_center **out) {
  int result = -ENOMEM;
  soc_diag *diag = soc_diag_new();
  soc_center *c = calloc(1, sizeof *c);
  if (!out) return -EINVAL;
  *out = NULL;
  if (!c || !diag) goto out;
  c->cfg = cfg;
  result = soc_regime_load_named(regimes_dir(c), cfg->center.regime, &c->regime, diag);
  if (result < 0) {
    soc_diag_print(diag, stderr);
    fprintf(stderr, "soccollector: center.regime '%s' cannot be loaded\n", cfg->center.regime);
    goto out;
  }
  *out = c;
  c = NULL;
  result = 0;
out:
  soc_center_free(c);
  soc_diag_free(diag);
  return result;
}

void soc_center_free(soc_center *c) {
  if (!c) return;
  soc_regime_free(c->regime);
  for (size_t i = 0; i < c->nnamed; i++) soc_regime_free(c->named[i].g);
  free(c);
}

/* The table the report names, loaded once; center.regime when it names
 * none, or one that cannot be loaded (said once on stderr). */
static const soc_regime *regime_for(soc_center *c, fjson_object *doc) {
  const char *name = soc_report_str(doc, "regime");
  if (!name || !*name || !strcmp(name, soc_regime_id(c->regime)) || strlen(name) >= 64)
    return c->regime;
  for (size_t i = 0; i < c->nnamed; i++)
    if (!strcmp(c->named[i].name, name)) return c->named[i].g ? c->named[i].g : c->regime;
  if (c->nnamed == REGIMES_MAX) return c->regime;
  soc_diag *diag = soc_diag_new();
  soc_regime *g = NULL;
  if (diag && soc_regime_load_named(regimes_dir(c), name, &g, diag) < 0)
    fprintf(stderr, "soccollector: regime '%s' of a report cannot be loaded; using %s\n", name,
            soc_regime_id(c->regime));
  soc_diag_free(diag);
  snprintf(c->named[c->nnamed].name, sizeof c->named[0].name, "%s", name);
  c->named[c->nnamed++].g = g;
  return g ? g : c->regime;
}

static fjson_object *member(fjson_object *o, const char *a, const char *b) {
  fjson_object *x = NULL, *y = NULL;
  if (!o || !fjson_object_object_get_ex(o, a, &x)) return NULL;
  if (!b) return x;
  return fjson_object_is_type(x, fjson_type_object) && fjson_object_object_get_ex(x, b, &y) ? y
                                                                                            : NULL;
}

static int reject(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(char *why, size_t why_len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
  return 1;
}

/* 1 when id is "<agent>/..." : an agent speaks only for its own reports. */
static int owned_by(const char *id, const char *agent) {
  size_t n = strlen(agent);
  return !strncmp(id, agent, n) && id[n] == '/' && id[n + 1];
}

int soc_center_state_file(const soc_collector_config *cfg, const char *name, char *path,
                          size_t cap) {
  if (mkdir(cfg->collector.state_dir, 0750) < 0 && errno != EEXIST) {
    fprintf(stderr, "soccollector: cannot create %s: %s\n", cfg->collector.state_dir,
            strerror(errno));
    return -errno;
  }
  if ((size_t)snprintf(path, cap, "%s/%s", cfg->collector.state_dir, name) >= cap) {
    fprintf(stderr, "soccollector: state_dir is too long\n");
    return -ENAMETOOLONG;
  }
  return 0;
}

int soc_center_open(const soc_collector_config *cfg, soc_center_store **out) {
  char path[4096], err[600];
  int rc = soc_center_state_file(cfg, "center.db", path, sizeof path);
  if (rc < 0) return rc;
  rc = soc_center_store_open(path, out, err, sizeof err);
  if (rc < 0) fprintf(stderr, "soccollector: %s\n", err);
  return rc;
}

/* ---- reports ---- */

int soc_center_report_in(soc_center *c, soc_centerdb *s, const char *agent, const char *payload,
                         size_t len, int64_t now_ns, int *dup, char *why, size_t why_len) {
  (void)c;
  int result = 1, current = 0;
  *dup = 0;
  /* validate.c accepted it as JSON of at most 1 MiB; the store wants it
   * NUL-terminated. */
  char *body = strndup(payload, len);
  fjson_object *doc = body ? fjson_tokener_parse(body) : NULL;
  if (!body) return -ENOMEM;
  const char *schema = soc_report_str(doc, "schema"), *id = soc_report_str(doc, "id");
  fjson_object *rev = member(doc, "revision", NULL);
  int level = soc_report_level(doc);
  if (!schema || strcmp(schema, SOC_REPORT_SCHEMA)) {
    reject(why, why_len, "not a report (schema is not %s)", SOC_REPORT_SCHEMA);
  } else if (!id || strlen(id) >= SOC_BUNDLE_ID_MAX || !owned_by(id, agent)) {
    reject(why, why_len, "report id is missing or not of agent '%s'", agent);
  } else if (!rev || !fjson_object_is_type(rev, fjson_type_int) ||
             fjson_object_get_int64(rev) < 1) {
    reject(why, why_len, "%s: revision is not a positive integer", id);
  } else if (level < 1 || level > 4 || soc_report_state_parse(soc_report_str(doc, "state")) < 0) {
    reject(why, why_len, "%s: level must be 1-4 and state one of the report states", id);
  } else {
    soc_center_report r = {.id = id,
                           .agent = agent,
                           .agency = soc_report_str(doc, "agent.agency"),
                           .state = soc_report_str(doc, "state"),
                           .category = soc_report_str(doc, "event.category"),
                           .level = level,
                           .revision = fjson_object_get_int64(rev),
                           .discovered_ns = soc_report_time(doc, "event.discovered"),
                           .received_ns = now_ns,
                           .body = body};
    result = soc_centerdb_report_put(s, &r, &current);
    *dup = !result && !current;
    /* §3.3(三): the center tells these two of every level 3-4 incident, once
     * per level it reaches (arriving at 3, or re-levelled to 4 later). */
    if (!result && current && level >= 3) {
      result = soc_centerdb_notify(s, id, level, SOC_CENTER_NOTIFY_HSO, now_ns, NULL);
      if (!result) result = soc_centerdb_notify(s, id, level, SOC_CENTER_NOTIFY_NCSO, now_ns, NULL);
    }
  }
  fjson_object_put(doc);
  free(body);
  return result;
}

/* ---- evidence ---- */

/* state_dir/evidence[/failed]/<id with every byte outside [A-Za-z0-9._-]
 * as '+'>.tar; ids hold only '/' beyond that set, so this is one-to-one. */
static int bundle_path(const soc_center *c, const char *id, int failed, char *out, size_t cap) {
  char name[SOC_BUNDLE_ID_MAX];
  size_t i = 0;
  for (; id[i] && i < sizeof name - 1; i++) {
    char ch = id[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '.' || ch == '_' || ch == '-';
    name[i] = ok ? ch : '+';
  }
  name[i] = '\0';
  if ((size_t)snprintf(out, cap, "%s/evidence", c->cfg->collector.state_dir) >= cap)
    return -ENAMETOOLONG;
  if (mkdir(out, 0700) < 0 && errno != EEXIST) return -errno;
  if (failed &&
      ((size_t)snprintf(out, cap, "%s/evidence/failed", c->cfg->collector.state_dir) >= cap ||
       (mkdir(out, 0700) < 0 && errno != EEXIST)))
    return errno ? -errno : -ENAMETOOLONG;
  if ((size_t)snprintf(out, cap, "%s/evidence/%s%s.tar", c->cfg->collector.state_dir,
                       failed ? "failed/" : "", name) >= cap)
    return -ENAMETOOLONG;
  return 0;
}

/* Writes the archive whole, then renames it into place: a reader never
 * sees half an archive. */
static int write_file(const char *path, const uint8_t *data, size_t len) {
  char tmp[4200];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) return -ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  int rc = off == len && fsync(fd) == 0 ? 0 : -(errno ? errno : EIO);
  close(fd);
  if (!rc && rename(tmp, path) < 0) rc = -errno;
  if (rc) unlink(tmp);
  return rc;
}

typedef struct rebuild {
  uint8_t *buf;
  size_t size, next;
  char what[200];
} rebuild;

static int add_chunk(void *arg, int64_t seq, int64_t offset, const void *data, size_t len) {
  rebuild *b = arg;
  if (offset < 0 || (size_t)offset != b->next || len > b->size - b->next) {
    snprintf(b->what, sizeof b->what, "chunk %lld does not follow the one before it (offset %lld)",
             (long long)seq, (long long)offset);
    return 1;
  }
  memcpy(b->buf + b->next, data, len);
  b->next += len;
  return 0;
}

typedef struct bundle_copy {
  char id[SOC_BUNDLE_ID_MAX], state[16], path[4200];
  char *manifest;
  int64_t chunks, size, have;
} bundle_copy;

static int copy_bundle(void *arg, const soc_center_bundle *b) {
  bundle_copy *x = arg;
  snprintf(x->id, sizeof x->id, "%s", b->id);
  snprintf(x->state, sizeof x->state, "%s", b->state);
  snprintf(x->path, sizeof x->path, "%s", b->path);
  x->chunks = b->chunks;
  x->size = b->size;
  x->have = b->have;
  x->manifest = strdup(b->manifest);
  return x->manifest ? 0 : -ENOMEM;
}

/* Verifies archive against the manifest and files it as verified or failed. */
static int file_bundle(soc_center *c, soc_centerdb *s, const char *id, const uint8_t *archive,
                       size_t len, const char *manifest, const char *early, int64_t now_ns) {
  soc_bundle_check check = {0};
  char path[4200];
  int rc = 0;
  if (early)
    snprintf(check.what, sizeof check.what, "%s", early);
  else if ((rc = soc_bundle_verify(archive, len, manifest, &check)) < 0)
    return rc;
  if ((rc = bundle_path(c, id, !check.ok, path, sizeof path)) < 0 ||
      (rc = write_file(path, archive, len)) < 0) {
    fprintf(stderr, "soccollector: evidence %s: cannot write %s: %s\n", id, path, strerror(-rc));
    return soc_centerdb_bundle_set(s, id, "failed", "", "cannot be written to disk", now_ns);
  }
  if (!check.ok)
    fprintf(stderr, "soccollector: evidence %s FAILED verification (%s); kept apart in %s\n", id,
            check.what, path);
  return soc_centerdb_bundle_set(s, id, check.ok ? "verified" : "failed", path,
                                 check.ok ? "" : check.what, now_ns);
}

/* Once the manifest and every chunk are in: rebuild, verify, file. */
static int try_complete(soc_center *c, soc_centerdb *s, const char *id, int64_t now_ns) {
  bundle_copy x = {0};
  rebuild b = {0};
  int result = soc_centerdb_bundle_get(s, id, copy_bundle, &x);
  if (result == -ENOENT) return 0; /* no manifest yet */
  if (result || strcmp(x.state, "incomplete") || x.have < x.chunks) goto out;
  b.size = (size_t)x.size;
  result = -ENOMEM;
  if (!(b.buf = malloc(b.size ? b.size : 1))) goto out;
  result = soc_centerdb_chunks_scan(s, id, add_chunk, &b);
  if (result < 0) goto out;
  if (!result && b.next != b.size)
    snprintf(b.what, sizeof b.what, "the chunks hold %zu bytes, the manifest says %zu", b.next,
             b.size);
  result = file_bundle(c, s, id, b.buf, b.next, x.manifest, b.what[0] ? b.what : NULL, now_ns);
out:
  free(b.buf);
  free(x.manifest);
  return result;
}

int soc_center_evidence_in(soc_center *c, soc_centerdb *s, const char *agent, const void *payload,
                           size_t len, int64_t now_ns, int *dup, char *why, size_t why_len) {
  soc_bundle_msg m;
  int result = soc_bundle_msg_parse(payload, len, &m, why, why_len);
  *dup = 0;
  if (result == -EBADMSG) {
    result = 1;
  } else if (!result && (!owned_by(m.bundle, agent) || !owned_by(m.report, agent))) {
    result = reject(why, why_len, "bundle or report id is not of agent '%s'", agent);
  } else if (!result && m.is_manifest) {
    result = soc_centerdb_bundle_put(s, m.bundle, m.report, agent, (int64_t)m.chunks,
                                     (int64_t)m.size, m.manifest_json, dup);
  } else if (!result) {
    result = soc_centerdb_chunk_put(s, m.bundle, (int64_t)m.seq, (int64_t)m.offset, m.data, m.size,
                                    now_ns, dup);
  }
  if (!result && !*dup) result = try_complete(c, s, m.bundle, now_ns);
  soc_bundle_msg_clear(&m);
  return result;
}

static int read_file(const char *path, uint8_t **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  int rc = -EIO;
  *out = NULL;
  if (fd < 0) return -errno;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SOC_BUNDLE_ARCHIVE_MAX)
    goto out;
  rc = -ENOMEM;
  if (!(*out = malloc((size_t)st.st_size + 1))) goto out;
  size_t off = 0;
  while (off < (size_t)st.st_size) {
    ssize_t n = read(fd, *out + off, (size_t)st.st_size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  *len = off;
  rc = 0;
out:
  close(fd);
  return rc;
}

int soc_center_bundle_recheck(soc_center *c, soc_centerdb *s, const char *id, int64_t now_ns,
                              char *what, size_t what_len) {
  bundle_copy x = {0};
  uint8_t *archive = NULL;
  size_t len = 0;
  soc_bundle_check check = {0};
  char moved[4200];
  int result = soc_centerdb_bundle_get(s, id, copy_bundle, &x);
  if (result) goto out;
  result = 1;
  if (!x.path[0]) {
    snprintf(what, what_len, "not on disk yet (%lld of %lld chunks)", (long long)x.have,
             (long long)x.chunks);
    goto out;
  }
  int rc = read_file(x.path, &archive, &len);
  if (rc == -ENOMEM) {
    result = rc;
    goto out;
  }
  if (rc < 0)
    snprintf(check.what, sizeof check.what, "the archive on disk cannot be read: %s",
             strerror(-rc));
  else if ((rc = soc_bundle_verify(archive, len, x.manifest, &check)) < 0) {
    result = rc;
    goto out;
  }
  snprintf(what, what_len, "%s", check.ok ? x.path : check.what);
  if (check.ok) {
    result = soc_centerdb_bundle_set(s, id, "verified", x.path, "", now_ns);
    goto out;
  }
  /* What fails now is kept apart like what failed on arrival. */
  if (archive && bundle_path(c, id, 1, moved, sizeof moved) == 0 && strcmp(moved, x.path) &&
      rename(x.path, moved) == 0)
    snprintf(x.path, sizeof x.path, "%s", moved);
  rc = soc_centerdb_bundle_set(s, id, "failed", archive ? x.path : "", check.what, now_ns);
  result = rc ? rc : 1;
out:
  free(archive);
  free(x.manifest);
  return result;
}

/* ---- the clocks ---- */

typedef struct apply_ctx {
  fjson_object *doc;
} apply_ctx;

/* When the level in force was set: the level history's last entry. */
static int64_t level_set_at(fjson_object *doc) {
  fjson_object *levels = member(doc, "levels", NULL);
  int n = levels && fjson_object_is_type(levels, fjson_type_array)
              ? (int)fjson_object_array_length(levels)
              : 0;
  if (n <= 0) return 0;
  fjson_object *at = member(fjson_object_array_get_idx(levels, n - 1), "at", NULL);
  int64_t ns = 0;
  return at && fjson_object_is_type(at, fjson_type_string) &&
                 soc_time_parse_ns(fjson_object_get_string(at), &ns) == 0
             ? ns
             : 0;
}

/* Lays one of the center's decisions over the agent's document unless the
 * agent has applied it already (or has moved on since: a later re-level by
 * the agency stands). Refusals are fine: the document says why. */
static int apply_decision(void *arg, const char *kind, int64_t at_ns, const char *body) {
  apply_ctx *x = arg;
  char why[SOC_REPORT_WHY_MAX];
  fjson_object *d = fjson_tokener_parse(body);
  const char *by = soc_report_str(d, "by"), *reason = soc_report_str(d, "reason");
  if (!d || !by) goto out;
  if (!strcmp(kind, "review") && !soc_report_time(x->doc, "review.at")) {
    soc_report_review(x->doc, by, soc_report_str(d, "result"), "center", at_ns, why, sizeof why);
  } else if (!strcmp(kind, "level")) {
    int level = soc_report_level(d);
    if (level != soc_report_level(x->doc) && level_set_at(x->doc) < at_ns)
      soc_report_relevel(x->doc, level, by, reason ? reason : "", at_ns, why, sizeof why);
  } else if (!strcmp(kind, "support") && !soc_report_time(x->doc, "support.dispatched")) {
    soc_report_support_dispatched(x->doc, by, at_ns, why, sizeof why);
  }
out:
  fjson_object_put(d);
  return 0;
}

static soc_deadline_status judge(int64_t due, int64_t done, int64_t now_s) {
  if (done) return done <= due ? SOC_DEADLINE_MET : SOC_DEADLINE_OVERDUE;
  return now_s && now_s > due ? SOC_DEADLINE_OVERDUE : SOC_DEADLINE_OPEN;
}

int soc_center_view_of(soc_center *c, soc_centerdb *s, const soc_center_report *r, int64_t now_s,
                       soc_center_view *v) {
  memset(v, 0, sizeof *v);
  v->doc = fjson_tokener_parse(r->body);
  if (!v->doc) return -EBADMSG;
  apply_ctx x = {.doc = v->doc};
  int rc = soc_centerdb_decisions_scan(s, r->id, apply_decision, &x);
  if (rc) return rc;
  v->regime = regime_for(c, v->doc);
  rc = soc_report_deadlines(v->doc, v->regime, now_s, v->dl, sizeof v->dl / sizeof v->dl[0],
                            &v->ndl);
  if (rc) return rc;
  v->review_status = SOC_DEADLINE_WAITING;
  for (size_t i = 0; i < v->ndl; i++) {
    if (!strcmp(v->dl[i].step->id, "review")) {
      v->review_status = v->dl[i].status;
      v->review_due = v->dl[i].due;
      v->review_done = v->dl[i].done;
    }
    v->overdue |= v->dl[i].status == SOC_DEADLINE_OVERDUE && !v->dl[i].done;
  }
  /* The dispatch clock is not in the regime tables: it runs only when the
   * agency asked for support (form step 4), which a table step (levels ×
   * anchor) cannot express. It counts from the review, the supervisor's or
   * the center's: §3.3(二), 1 h for levels 3-4, 2 h for 1-2. */
  fjson_object *req = member(v->doc, "support", "requested");
  v->support_requested =
      req && fjson_object_is_type(req, fjson_type_boolean) && fjson_object_get_boolean(req);
  v->support_status = SOC_DEADLINE_WAITING;
  int64_t reviewed = soc_report_time(v->doc, "review.at") / 1000000000;
  if (v->support_requested && reviewed) {
    v->support_due = reviewed + (soc_report_level(v->doc) >= 3 ? SUPPORT_L34_S : SUPPORT_L12_S);
    v->support_done = soc_report_time(v->doc, "support.dispatched") / 1000000000;
    v->support_status = judge(v->support_due, v->support_done, now_s);
    v->overdue |= v->support_status == SOC_DEADLINE_OVERDUE && !v->support_done;
  }
  return 0;
}

void soc_center_view_clear(soc_center_view *v) {
  if (!v) return;
  fjson_object_put(v->doc);
  v->doc = NULL;
}

typedef struct sweep_ctx {
  soc_center *c;
  soc_centerdb *s;
  int64_t now_s;
  char **ids, **whys;
  size_t n, cap;
} sweep_ctx;

static int sweep_one(void *arg, const soc_center_report *r) {
  sweep_ctx *x = arg;
  soc_center_view v;
  if (r->flagged_ns || !strcmp(r->state, "closed")) return 0;
  int rc = soc_center_view_of(x->c, x->s, r, x->now_s, &v);
  if (!rc && v.review_status == SOC_DEADLINE_OVERDUE && !v.review_done) {
    if (x->n == x->cap) {
      size_t cap = x->cap ? x->cap * 2 : 16;
      char **ids = realloc(x->ids, cap * sizeof *ids),
           **whys = ids ? realloc(x->whys, cap * sizeof *whys) : NULL;
      if (ids) x->ids = ids;
      if (whys) x->whys = whys;
      if (!ids || !whys)
        rc = -ENOMEM;
      else
        x->cap = cap;
    }
    if (!rc) {
      char why[160];
      snprintf(why, sizeof why, "supervisor review of a level %d report overdue (%s)",
               soc_report_level(v.doc),
               soc_report_str(v.doc, "regime") ? soc_report_str(v.doc, "regime") : "");
      x->ids[x->n] = strdup(r->id);
      x->whys[x->n] = strdup(why);
      if (!x->ids[x->n] || !x->whys[x->n]) {
        free(x->ids[x->n]);
        free(x->whys[x->n]);
        rc = -ENOMEM;
      } else {
        x->n++;
      }
    }
  }
  soc_center_view_clear(&v);
  return rc == -EBADMSG ? 0 : rc; /* a document we cannot read is shown by incidents */
}

int soc_center_sweep(soc_center *c, soc_centerdb *s, int64_t now_ns, size_t *flagged) {
  sweep_ctx x = {.c = c, .s = s, .now_s = now_ns / 1000000000};
  int result = soc_centerdb_reports_scan(s, sweep_one, &x);
  /* Flagged after the scan: the rows are not changed under a running query. */
  for (size_t i = 0; i < x.n && !result; i++) {
    result = soc_centerdb_report_flag(s, x.ids[i], now_ns, x.whys[i]);
    if (!result)
      fprintf(stderr, "soccollector: report %s: %s; flagged for the center's direct review\n",
              x.ids[i], x.whys[i]);
  }
  if (flagged) *flagged = result ? 0 : x.n;
  for (size_t i = 0; i < x.n; i++) {
    free(x.ids[i]);
    free(x.whys[i]);
  }
  free(x.ids);
  free(x.whys);
  return result;
}

/* ---- the summary (§3.3(三)) ---- */

typedef struct sum_ctx {
  soc_center *c;
  soc_centerdb *s;
  int64_t since_ns, now_s;
  soc_center_sum_row *rows;
  size_t n, cap;
} sum_ctx;

static int sum_cmp(const void *a, const void *b) {
  const soc_center_sum_row *x = a, *y = b;
  int d = strcmp(x->agency, y->agency);
  if (!d) d = x->level - y->level;
  return d ? d : strcmp(x->category, y->category);
}

static int sum_one(void *arg, const soc_center_report *r) {
  sum_ctx *x = arg;
  soc_center_view v;
  if (x->since_ns && r->discovered_ns < x->since_ns) return 0;
  int rc = soc_center_view_of(x->c, x->s, r, x->now_s, &v);
  if (rc) {
    soc_center_view_clear(&v);
    return rc == -EBADMSG ? 0 : rc; /* a document we cannot read is shown by incidents */
  }
  /* The level in force at the center: a re-level by the center counts. */
  soc_center_sum_row key = {.level = soc_report_level(v.doc)};
  snprintf(key.agency, sizeof key.agency, "%s", r->agency);
  snprintf(key.category, sizeof key.category, "%s", r->category);
  size_t i = 0;
  while (i < x->n && sum_cmp(&x->rows[i], &key)) i++;
  if (i == x->n) {
    if (x->n == x->cap) {
      size_t cap = x->cap ? x->cap * 2 : 16;
      soc_center_sum_row *rows = realloc(x->rows, cap * sizeof *rows);
      if (!rows) {
        soc_center_view_clear(&v);
        return -ENOMEM;
      }
      x->rows = rows;
      x->cap = cap;
    }
    x->rows[x->n++] = key;
  }
  if (soc_report_state_of(v.doc) == SOC_REPORT_CLOSED) {
    x->rows[i].closed++;
  } else {
    x->rows[i].open++;
    if (v.overdue || r->flagged_ns) x->rows[i].overdue++;
  }
  soc_center_view_clear(&v);
  return 0;
}

int soc_center_summary(soc_center *c, soc_centerdb *s, int64_t since_ns, int64_t now_ns,
                       soc_center_sum_row **rows, size_t *n) {
  sum_ctx x = {.c = c, .s = s, .since_ns = since_ns, .now_s = now_ns / 1000000000};
  *rows = NULL;
  *n = 0;
  int result = soc_centerdb_reports_scan(s, sum_one, &x);
  if (result) {
    free(x.rows);
    return result;
  }
  if (x.n) qsort(x.rows, x.n, sizeof *x.rows, sum_cmp);
  *rows = x.rows;
  *n = x.n;
  return 0;
}
