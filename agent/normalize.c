/*
 * normalize — see the header. Per-input time zones are parsed once; file
 * paths are looked up in the store by stream id and cached, since a block
 * holds lines of one stream and streams are few.
 */
#include "normalize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soc/syslog.h"
#include "soc/tz.h"

#define PATHS_CACHED 64

typedef struct input_info {
  const soc_input_config *cfg;
  soc_tz tz;
} input_info;

typedef struct path_entry {
  int64_t stream;
  char path[SOC_STREAM_PATH_MAX];
} path_entry;

struct soc_normalizer {
  const soc_config *cfg;
  soc_store *store;
  input_info *inputs;
  size_t ninputs;
  path_entry *paths; /* PATHS_CACHED, replaced round-robin */
  size_t next_path;
  char hostname[256];
};

soc_normalizer *soc_normalizer_new(const soc_config *cfg, soc_store *store) {
  soc_normalizer *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->cfg = cfg;
  n->store = store;
  n->inputs = calloc(cfg->ninputs ? cfg->ninputs : 1, sizeof *n->inputs);
  n->paths = calloc(PATHS_CACHED, sizeof *n->paths);
  if (!n->inputs || !n->paths) {
    soc_normalizer_free(n);
    return NULL;
  }
  for (size_t i = 0; i < cfg->ninputs; i++) {
    n->inputs[i].cfg = &cfg->inputs[i];
    if (soc_tz_parse(cfg->inputs[i].timezone ? cfg->inputs[i].timezone : "local",
                     &n->inputs[i].tz) < 0)
      soc_tz_parse("UTC", &n->inputs[i].tz);
  }
  n->ninputs = cfg->ninputs;
  if (gethostname(n->hostname, sizeof n->hostname - 1) < 0) n->hostname[0] = '\0';
  return n;
}

void soc_normalizer_free(soc_normalizer *n) {
  if (!n) return;
  free(n->inputs);
  free(n->paths);
  free(n);
}

static const input_info *info_of(soc_normalizer *n, const char *source) {
  for (size_t i = 0; i < n->ninputs; i++)
    if (strcmp(n->inputs[i].cfg->id, source) == 0) return &n->inputs[i];
  return NULL;
}

const soc_input_config *soc_normalizer_input(soc_normalizer *n, const char *source) {
  const input_info *in = info_of(n, source);
  return in ? in->cfg : NULL;
}

static const char *stream_path(soc_normalizer *n, int64_t stream) {
  for (size_t i = 0; i < PATHS_CACHED; i++)
    if (n->paths[i].stream == stream) return n->paths[i].path;
  soc_stream_row row;
  if (soc_store_stream_get(n->store, stream, &row) < 0) return NULL;
  path_entry *e = &n->paths[n->next_path++ % PATHS_CACHED];
  e->stream = stream;
  memcpy(e->path, row.path, sizeof e->path);
  return e->path;
}

static void set_text(soc_event *ev, const char *name, const char *v) {
  if (v && *v) soc_event_set(ev, name, v, strlen(v));
}

void soc_normalize(soc_normalizer *n, const soc_jentry *e, soc_event *ev) {
  const input_info *in = info_of(n, e->source);
  char id[SOC_EVENT_ID_LEN + 1], src[SOC_STORE_META_KEY_MAX + 32];
  soc_event_reset(ev);
  if (in && in->cfg->format && strcmp(in->cfg->format, "raw") == 0) {
    soc_event_set_str(ev, SOC_ECS_MESSAGE, e->line.data, e->line.len);
    soc_event_set_time(ev, e->line.ts_ns);
  } else {
    soc_syslog_opts o = {.recv_ns = e->line.recv_ns};
    if (in) o.tz = in->tz;
    soc_syslog_parse(e->line.data, e->line.len, &o, ev);
  }
  if (e->stream)
    snprintf(src, sizeof src, "%s/%lld", e->source, (long long)e->stream);
  else
    snprintf(src, sizeof src, "%s", e->source);
  if (soc_event_make_id(n->cfg->agent.id, src, e->line.pos, id) == 0) soc_event_set_id(ev, id);
  int is_file = in && in->cfg->type == SOC_INPUT_FILE;
  if (is_file) {
    set_text(ev, "log.file.path", stream_path(n, e->stream));
    soc_event_set_int(ev, SOC_ECS_LOG_OFFSET, (int64_t)e->line.pos);
    if (!soc_event_get_str(ev, SOC_ECS_HOST_NAME)) set_text(ev, "host.name", n->hostname);
  } else {
    set_text(ev, "log.source.address", e->line.peer);
  }
  if (e->line.flags & SOC_JLINE_TRUNCATED) soc_event_add_tag(ev, "line_truncated", 14);
  if (e->line.flags & SOC_JLINE_PARTIAL) soc_event_add_tag(ev, "line_partial", 12);
  if (e->line.flags & SOC_JLINE_BAD_ENCODING) soc_event_add_tag(ev, "encoding_errors", 15);
}
