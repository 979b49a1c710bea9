/*
 * finding — a detection that is not a log line (a YARA match on a file, on
 * a reassembled TCP stream or on an HTTP body; a page changed against the
 * baseline)
 * turned into an alert and, when its rule shows impact, a draft, through
 * triage.c as the log rules are: the alert and its evidence, the draft
 * (draft.c's body plus the finding's own detail; several rules on one
 * object's content are one draft), the matched object, the outbox rows —
 * all in the caller's transaction, so a crash keeps them, the dedupe mark
 * and the caller's own state together or not at all.
 *
 * A finding is drafted once per (rule, object, sha256): found again (a
 * rescan after a restart) it changes nothing; the same object with new
 * content counts again on the open draft of (rule, object, asset). With a
 * key (traffic), findings of one (rule, key) fold into one alert: see
 * soc_finding.key.
 *
 * Ownership: everything in soc_finding is borrowed for the call.
 */
#ifndef SOC_AGENT_FINDING_H
#define SOC_AGENT_FINDING_H

#include <json.h> /* libfastjson */
#include <stdint.h>

#include "soc/assets.h"
#include "soc/config.h"
#include "soc/level.h"
#include "soc/rules.h"
#include "soc/store.h"
#include "soc/yarascan.h"

typedef struct soc_finding {
  const char *rule_id;   /* the draft's rule: at most SOC_DRAFT_RULE_MAX - 1 bytes kept */
  const char *seen_rule; /* the dedupe key's rule (e.g. "namespace:rule"); NULL: rule_id */
  const char *title, *description;
  const char *const *references;
  size_t nreferences;
  soc_incident_category category;
  const char *subtype; /* the form's sub-type, e.g. "defacement", "web trojan" */
  soc_impact_kind impact;
  int alert_only;        /* impact none: an alert, a draft only with others */
  soc_severity severity; /* of a tampering */
  const char *asset_key; /* host name or address looked up in the inventory */
  const char *host;      /* host.name */
  const char *source;    /* the input's id */
  const char *object;    /* file path, or a sighting in traffic: with the rule and sha256, the
                          * mark that it was drafted */
  /* The alert's key when NULL is not object. Traffic folds on the content
   * (netscan: "sha256:HEX"): the first finding of (rule, key) on the host
   * fires an alert; later ones are hits on it, counted on it and on its
   * open draft with their evidence, but no new alert goes out. NULL: the
   * key is object, and every finding fires. */
  const char *key;
  /* Traffic: the conversation, "tcp CLIENT -> SERVER:PORT", an entity of
   * the alert beside the content's SHA-256 (kind network.conversation), so
   * the objects two hosts exchange are one draft, as they were when it was
   * the key. It stays out of the alert's JSON: the finding's ecs sets the
   * whole network object after the entities. NULL: none. */
  const char *conversation;
  /* What found it is never read twice (a live capture): no mark that it
   * was drafted is kept (finding_seen would grow a row per sighting), and
   * every sighting counts. */
  int unmarked;
  const char *sha256;   /* hex, of the object's content */
  int64_t ts_ns;        /* when it was seen */
  fjson_object *ecs;    /* ECS fields of the alert (file.*, ...): copied into it */
  fjson_object *detail; /* added to the draft's body as "finding" */
  const char *evidence; /* one line of text for the evidence list */
  /* The object that matched, kept with the draft for the evidence bundle
   * when object_len == object_size <= evidence.object_max_bytes; otherwise
   * only its name, size and hash are. object_size 0 and no bytes: none. */
  const void *object_bytes;
  size_t object_len;
  int64_t object_size;
} soc_finding;

typedef struct soc_finding_sink {
  const soc_config *cfg;
  soc_store *store;
  const soc_assets *assets;
} soc_finding_sink;

/* In the caller's transaction. Returns 1 when drafted (a new draft or a
 * count on the open one), 0 when this finding was drafted before, or a
 * negative errno (the store's message in soc_store_errmsg). */
int soc_finding_draft(const soc_finding_sink *k, const soc_finding *f);

/* A finding between the scan that made it and the transaction that drafts
 * it (watch.c batches files, input_pcap.c waits for the journal's commit):
 * it owns its strings and JSON (soc_found_clear). */
typedef struct soc_found {
  char *rule_id, *seen_rule, *title, *description, *reference, *subtype, *evidence;
  soc_incident_category category;
  soc_impact_kind impact;
  int alert_only; /* the rule's meta says impact none */
  soc_severity severity;
  fjson_object *detail; /* the draft's "finding" */
  fjson_object *ecs;    /* ECS fields of the alert */
} soc_found;

/* A YARA match as a finding, the same for files and traffic: the rule's
 * meta (id, title, description, reference, category, subtype, impact,
 * severity) with dflt_category where the rule names none; detail and ecs
 * get "yara" (rule, namespace, tags, meta, the strings with their offsets);
 * evidence is `what` (which object: "file /x sha256=... size=...") followed
 * by the rule and its strings. The caller adds what the object was (file.*,
 * source.*, ...) to detail and ecs. Returns 0 or -ENOMEM (f cleared). */
int soc_found_from_yara(soc_found *f, const soc_yara_match *m, soc_incident_category dflt_category,
                        const char *what);
void soc_found_clear(soc_found *f);
/* The rule part of a soc_finding (rule, title, texts, category, impact,
 * severity, detail, ecs, evidence) from f; refs: room for its reference.
 * The caller sets the asset, host, source, object, sha256 and time. */
void soc_found_to_finding(const soc_found *f, const char *refs[1], soc_finding *out);

#endif
