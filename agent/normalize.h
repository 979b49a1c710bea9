/*
 * normalize — one journal line back into an ECS event.
 *
 * The journal keeps lines as they came; every consumer (the detector, the
 * forwarder) turns them into events the same way: the syslog header parsed
 * in the input's time zone (or the whole line as the message for
 * `format: raw`), the deterministic event.id from (agent, store id,
 * source/stream, position), the file offset or the sender's address, the host name of
 * this machine for local files without one, the line's flags as tags.
 * Keeping it in one place keeps the detector's view and what the technical
 * center receives identical. Events the agent built itself (the pcap
 * input's network metadata) are journaled as their ECS JSON with the
 * SOC_JLINE_EVENT flag and read back with soc_event_from_json; their time
 * and event.id come from the journal line like any other's.
 *
 * What a line's stream says (its input, zone, format, file path, the
 * source part of its event.id) is looked up once per stream and cached:
 * a journal block holds lines of one stream.
 *
 * Ownership: a soc_normalizer borrows the config and the store (which must
 * outlive it); one per thread. The stream returned stays valid until the
 * next call with another stream.
 */
#ifndef SOC_AGENT_NORMALIZE_H
#define SOC_AGENT_NORMALIZE_H

#include "soc/access_log.h"
#include "soc/config.h"
#include "soc/auditd.h"
#include "soc/event.h"
#include "soc/json_event.h"
#include "soc/journal.h"
#include "soc/store.h"
#include "soc/tz.h"

typedef struct soc_norm_stream {
  const soc_input_config *in; /* NULL: the input is no longer configured */
  soc_tz tz;
  int raw;    /* format: raw */
  int json;   /* format: json */
  int auditd; /* format: auditd */
  int access; /* format: access */
  int is_file;
  const char *path; /* file inputs: the file's path, else NULL */
  size_t pathlen;
  int path_as_is; /* path is what log.file.path keeps of it (soc_event_reset_keeping) */
  /* "<store id>/<input>/<stream>" or "<store id>/<input>" */
  char id_source[SOC_STORE_ID_LEN + SOC_STORE_META_KEY_MAX + 32];
  char source[SOC_STORE_META_KEY_MAX];
  int64_t stream;
} soc_norm_stream;

typedef struct soc_normalizer soc_normalizer;

soc_normalizer *soc_normalizer_new(const soc_config *cfg, soc_store *store);
void soc_normalizer_free(soc_normalizer *n);

/* With skip, events get no event.id: a consumer that never reads it (the
 * detector, when no rule names the field) saves its SHA-256 per line. */
void soc_normalizer_skip_ids(soc_normalizer *n, int skip);

/* The stream of e (cached). */
const soc_norm_stream *soc_normalizer_stream(soc_normalizer *n, const soc_jentry *e);

/* Fills ev from e, adding to what ev holds already (the caller resets it or
 * copies a template into it first). st is soc_normalizer_stream(n, e). */
void soc_normalize_into(soc_normalizer *n, const soc_norm_stream *st, const soc_jentry *e,
                        soc_event *ev);

/* Resets ev and fills it from e. */
void soc_normalize(soc_normalizer *n, const soc_jentry *e, soc_event *ev);

/* soc_normalize, stopped after the syslog parse of a line in the default
 * format (returns 1; else 0 and ev is whole): soc_normalize_rest(n, e, ev)
 * then makes ev what soc_normalize would have, setting none of the fields
 * soc_normalize_lazy_ready lists, which ev holds already. For the detector,
 * which finishes only the lines a rule needs (soc_match_ctx_defer). */
int soc_normalize_lazy(soc_normalizer *n, const soc_jentry *e, soc_event *ev);
void soc_normalize_rest(soc_normalizer *n, const soc_jentry *e, soc_event *ev);
extern const soc_ecs_field soc_normalize_lazy_ready[];
extern const size_t soc_normalize_lazy_nready;

#endif
