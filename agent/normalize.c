/*
 * normalize — see the header.
 */
#include "normalize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soc/syslog.h"
#include "soc/utf8.h"

struct soc_normalizer {
  const soc_config *cfg;
  soc_store *store;
  soc_tz *tz;          /* one per configured input, parsed once */
  soc_norm_stream cur; /* the last stream asked for */
  soc_event_ids *ids;  /* of cur's lines: made when cur changes */
  int skip_ids;
  char path[SOC_STREAM_PATH_MAX];
  char hostname[256];
  size_t hostlen;
  char store_id[SOC_STORE_ID_LEN + 1]; /* "" for a store that has none (never an agent's) */
  soc_syslog_later later; /* the lazy line's header fields that soc_normalize_rest sets */
};

soc_normalizer *soc_normalizer_new(const soc_config *cfg, soc_store *store) {
  soc_normalizer *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->cfg = cfg;
  n->store = store;
  n->tz = calloc(cfg->ninputs ? cfg->ninputs : 1, sizeof *n->tz);
  if (!n->tz) {
    free(n);
    return NULL;
  }
  for (size_t i = 0; i < cfg->ninputs; i++)
    if (soc_tz_parse(cfg->inputs[i].timezone ? cfg->inputs[i].timezone : "local", &n->tz[i]) < 0)
      soc_tz_parse("UTC", &n->tz[i]);
  if (store && soc_store_meta_get(store, "store.id", n->store_id, sizeof n->store_id, NULL) < 0)
    n->store_id[0] = '\0';
  if (gethostname(n->hostname, sizeof n->hostname - 1) < 0) n->hostname[0] = '\0';
  n->hostlen = strlen(n->hostname);
  return n;
}

void soc_normalizer_free(soc_normalizer *n) {
  if (!n) return;
  soc_event_ids_free(n->ids);
  free(n->tz);
  free(n);
}

void soc_normalizer_skip_ids(soc_normalizer *n, int skip) { n->skip_ids = skip; }

const soc_norm_stream *soc_normalizer_stream(soc_normalizer *n, const soc_jentry *e) {
  soc_norm_stream *st = &n->cur;
  if (st->source[0] && st->stream == e->stream && strcmp(st->source, e->source) == 0) return st;
  memset(st, 0, sizeof *st);
  snprintf(st->source, sizeof st->source, "%s", e->source);
  st->stream = e->stream;
  soc_tz_parse("UTC", &st->tz);
  for (size_t i = 0; i < n->cfg->ninputs; i++)
    if (strcmp(n->cfg->inputs[i].id, e->source) == 0) {
      st->in = &n->cfg->inputs[i];
      st->tz = n->tz[i];
    }
  st->raw = st->in && st->in->format && strcmp(st->in->format, "raw") == 0;
  st->json = st->in && st->in->format && strcmp(st->in->format, "json") == 0;
  st->auditd = st->in && st->in->format && strcmp(st->in->format, "auditd") == 0;
  st->access = st->in && st->in->format && strcmp(st->in->format, "access") == 0;
  st->is_file = st->in && st->in->type == SOC_INPUT_FILE;
  if (e->stream)
    snprintf(st->id_source, sizeof st->id_source, "%s/%s/%lld", n->store_id, e->source,
             (long long)e->stream);
  else
    snprintf(st->id_source, sizeof st->id_source, "%s/%s", n->store_id, e->source);
  soc_event_ids_free(n->ids);
  n->ids = soc_event_ids_new(n->cfg->agent.id, st->id_source);
  soc_stream_row row;
  if (st->is_file && soc_store_stream_get(n->store, e->stream, &row) == 0) {
    memcpy(n->path, row.path, sizeof n->path);
    st->path = n->path;
    st->pathlen = strnlen(n->path, sizeof n->path);
    st->path_as_is = st->pathlen <= SOC_EVENT_VALUE_MAX &&
                     soc_utf8_valid_prefix(n->path, st->pathlen) == st->pathlen;
  }
  return st;
}

/* The fields every line gets after its format's own: ids, the stream's
 * fields, tags. */
static void finish(soc_normalizer *n, const soc_norm_stream *st, const soc_jentry *e,
                   soc_event *ev) {
  /* no ids: an over-long source, refused as soc_event_make_id would */
  if (!n->skip_ids && n->ids) (void)soc_event_ids_set(n->ids, e->line.pos, ev);
  if (st->is_file) {
    soc_event_set_int(ev, SOC_ECS_LOG_OFFSET, (int64_t)e->line.pos);
    if (!soc_event_get_str(ev, SOC_ECS_HOST_NAME) && n->hostlen)
      soc_event_set_str(ev, SOC_ECS_HOST_NAME, n->hostname, n->hostlen);
  } else if (e->line.peer) {
    soc_event_set_str(ev, SOC_ECS_LOG_SOURCE_ADDRESS, e->line.peer, strlen(e->line.peer));
  }
  if (e->line.flags & SOC_JLINE_TRUNCATED) soc_event_add_tag(ev, "line_truncated", 14);
  if (e->line.flags & SOC_JLINE_PARTIAL) soc_event_add_tag(ev, "line_partial", 12);
  if (e->line.flags & SOC_JLINE_BAD_ENCODING) soc_event_add_tag(ev, "encoding_errors", 15);
}

/* What soc_normalize_into does after the syslog parse of a line in the
 * default format: the access-log fields, the ids and the stream's fields. */
static void finish_syslog(soc_normalizer *n, const soc_norm_stream *st, const soc_jentry *e,
                          soc_event *ev) {
  /* nginx's access_log syslog: and Apache piped to logger */
  (void)soc_event_access_from_syslog(ev);
  finish(n, st, e, ev);
}

/* Fills ev from e; with lazy, a line in the default format only up to its
 * syslog parse, and then returns 1: finish_syslog is left to do. */
static int fill(soc_normalizer *n, const soc_norm_stream *st, const soc_jentry *e, soc_event *ev,
                int lazy) {
  if (e->line.flags & SOC_JLINE_EVENT) {
    if (soc_event_from_json(ev, e->line.data, e->line.len) < 0) {
      /* Never expected (we wrote it); kept visible rather than lost. */
      soc_event_set_str(ev, SOC_ECS_MESSAGE, e->line.data, e->line.len);
      soc_event_add_tag(ev, "bad_event_json", 14);
    }
    soc_event_set_time(ev, e->line.ts_ns);
  } else if (st->raw) {
    soc_event_set_str(ev, SOC_ECS_MESSAGE, e->line.data, e->line.len);
    soc_event_set_time(ev, e->line.ts_ns);
  } else if (st->auditd) {
    if (soc_event_from_audit_line(ev, e->line.data, e->line.len) < 0)
      soc_event_add_tag(ev, "bad_auditd", 10);
    if (soc_event_get_time(ev, NULL) < 0) soc_event_set_time(ev, e->line.ts_ns);
  } else if (st->access) {
    soc_syslog_opts so = {.tz = st->tz, .recv_ns = e->line.recv_ns};
    if (soc_event_from_access_line(ev, e->line.data, e->line.len, &so) == -EINVAL)
      soc_event_add_tag(ev, "bad_access", 10);
    if (soc_event_get_time(ev, NULL) < 0) soc_event_set_time(ev, e->line.ts_ns);
  } else if (st->json) {
    soc_json_event_opts o = {.time_field = st->in->time_field, .host_field = st->in->host_field};
    soc_syslog_opts so = {.tz = st->tz, .recv_ns = e->line.recv_ns};
    int rc = soc_event_from_json_line_or_syslog(ev, e->line.data, e->line.len, &o, &so);
    if (rc < 0) soc_event_add_tag(ev, "bad_json", 8);
    if (!(rc > 0 && ((unsigned)rc & SOC_JSON_EVENT_TIME)) && soc_event_get_time(ev, NULL) < 0)
      soc_event_set_time(ev, e->line.ts_ns);
  } else {
    soc_syslog_opts o = {.tz = st->tz, .recv_ns = e->line.recv_ns};
    /* most lines are never finished, and no rule reads host.name or the
     * header's copies under log.syslog before it finishes the line */
    n->later.deferred = lazy;
    soc_syslog_parse_lazy(e->line.data, e->line.len, &o, ev, &n->later);
    if (lazy) return 1;
    finish_syslog(n, st, e, ev);
    return 0;
  }
  finish(n, st, e, ev);
  return 0;
}

void soc_normalize_into(soc_normalizer *n, const soc_norm_stream *st, const soc_jentry *e,
                        soc_event *ev) {
  (void)fill(n, st, e, ev, 0);
}

static const soc_norm_stream *begin(soc_normalizer *n, const soc_jentry *e, soc_event *ev) {
  const soc_norm_stream *st = soc_normalizer_stream(n, e);
  if (st->path && st->path_as_is) {
    /* every line of a file sets the same path: it stays from the line before */
    if (!soc_event_reset_keeping(ev, SOC_ECS_LOG_FILE_PATH, st->path, st->pathlen))
      soc_event_set_str(ev, SOC_ECS_LOG_FILE_PATH, st->path, st->pathlen);
  } else {
    soc_event_reset(ev);
    if (st->path) soc_event_set_str(ev, SOC_ECS_LOG_FILE_PATH, st->path, st->pathlen);
  }
  return st;
}

void soc_normalize(soc_normalizer *n, const soc_jentry *e, soc_event *ev) {
  soc_normalize_into(n, begin(n, e, ev), e, ev);
}

/* What begin and a syslog parse set, and finish_syslog never does. Not
 * host.name (the rest sets it when the line has none) nor the header's
 * copies under log.syslog (hostname, appname, procid, msgid): most lines
 * get them only from soc_normalize_rest (soc_syslog_parse_lazy). */
const soc_ecs_field soc_normalize_lazy_ready[] = {
    SOC_ECS_LOG_FILE_PATH,
    SOC_ECS_MESSAGE,
    SOC_ECS_PROCESS_NAME,
    SOC_ECS_PROCESS_PID,
    SOC_ECS_LOG_SYSLOG_FACILITY_CODE,
    SOC_ECS_LOG_SYSLOG_SEVERITY_CODE,
    SOC_ECS_LOG_SYSLOG_VERSION,
};
const size_t soc_normalize_lazy_nready =
    sizeof soc_normalize_lazy_ready / sizeof soc_normalize_lazy_ready[0];

int soc_normalize_lazy(soc_normalizer *n, const soc_jentry *e, soc_event *ev) {
  n->later.deferred = 0; /* a line of another format leaves none */
  return fill(n, begin(n, e, ev), e, ev, 1);
}

void soc_normalize_rest(soc_normalizer *n, const soc_jentry *e, soc_event *ev) {
  soc_syslog_later_set(e->line.data, &n->later, ev);
  n->later.deferred = 0;
  finish_syslog(n, soc_normalizer_stream(n, e), e, ev);
}
