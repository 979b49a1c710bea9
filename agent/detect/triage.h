/*
 * triage — the one way every detector turns what it saw into alerts and
 * drafts (docs/TRIAGE.md).
 *
 * Every rule firing is an alert: kept on the agent (table alert, `socctl
 * alerts`) and sent to <prefix>.alerts as ECS, with no clock. A draft (the
 * §3.1 clock, a level and a clause, copies on <prefix>.incidents) exists
 * only where a rule shows impact (leak, tamper, outage). Alerts and drafts
 * that share an entity (a source address, a user name, a file's SHA-256 ...)
 * on the same host within triage.window are one intrusion: a draft takes in
 * the alerts that led to it and the later ones of the same chain, and its
 * level is the highest its members justify, naming that member.
 *
 * Everything is written in the caller's transaction (the detector's block,
 * the watcher's batch, the pcap input's commit), with the correlation state
 * and the caller's own marks, so a crash keeps all or nothing.
 *
 * Ownership: everything in soc_signal is borrowed for the call.
 */
#ifndef SOC_AGENT_TRIAGE_H
#define SOC_AGENT_TRIAGE_H

#include <json.h> /* libfastjson */
#include <stdint.h>

#include "soc/assets.h"
#include "soc/config.h"
#include "soc/level.h"
#include "soc/rules.h"
#include "soc/store.h"

#define SOC_TRIAGE_EVIDENCE_MAX 50        /* lines kept per alert */
#define SOC_TRIAGE_DRAFT_EVIDENCE_MAX 500 /* per draft: room for every member's */

typedef struct soc_entity {
  const char *kind; /* an ECS field name: source.ip, user.name, file.hash.sha256 ... */
  const char *value;
} soc_entity;

typedef struct soc_signal {
  /* what fired */
  const char *rule_id; /* at most SOC_DRAFT_RULE_MAX - 1 bytes kept */
  const char *ruleset; /* rule.ruleset of the alert (YARA "namespace:rule"); NULL: none */
  const char *title, *description;
  const char *const *mitre;
  size_t nmitre;
  const char *const *references;
  size_t nreferences;
  const char
      *author; /* a Sigma rule's: named wherever its matches are shown (DRL 1.1); NULL: none */
  soc_incident_category category;
  const char *subtype;
  soc_impact_kind impact; /* NONE with alert_only */
  int alert_only;         /* impact: none: an alert, never a draft of its own */
  const soc_asset_match *asset;
  const soc_level_result *level; /* NULL with alert_only */
  /* where and when */
  const char *host;   /* host.name; "" or NULL: the asset's name scopes the grouping */
  const char *module; /* event.module of the alert: the input */
  const char *key;    /* the rule's key: correlation key, or the object found */
  const char *message;
  int64_t first_ns, last_ns; /* from the lines */
  int64_t count; /* the alert's count when this makes it; an alert found counts 1 more */
  int fired;     /* 1: a firing (an ECS alert goes out); 0: a later hit */
  /* what ties it to other alerts and drafts */
  const soc_entity *entities;
  size_t nentities;
  int join_host;                /* group_by names host.name: any open draft of the host */
  int timeless;                 /* an object found: the same (rule, object) or content joins
                                 * its alert and open draft whenever seen, not only within
                                 * triage.window */
  fjson_object *ecs;            /* fields added to the ECS alert (file.*, yara ...); may be NULL */
  fjson_object *detail;         /* the draft body's "finding"; may be NULL */
  const soc_evidence_row *lead; /* what led to a firing: kept only when it makes the alert */
  size_t nlead;
  const soc_evidence_row *evidence; /* this sighting; .draft and .seq are set here */
  size_t nevidence;
  int memo_asked; /* soc_triage_memo_hit said 0 for this later hit: not asked again */
} soc_signal;

typedef struct soc_triage_out {
  int64_t alert; /* 0: nothing recorded (a later hit of an expired alert) */
  int64_t draft; /* 0: the alert stands alone */
  int new_alert, new_draft;
} soc_triage_out;

/* Records sig: the alert found or made, its evidence and entities, the
 * draft it joins, makes or takes others into, and the outbox rows. Returns
 * 0 or a negative errno (the store's message in soc_store_errmsg). */
int soc_triage_record(const soc_config *cfg, soc_store *store, const soc_signal *sig,
                      soc_triage_out *out);

/* A caller that records many later hits of the same alerts in one
 * transaction (the detector's block) keeps a memo of them: a later hit of
 * an alert that no open draft holds (or of none) is then counted in memory
 * and its evidence numbered from the memo, instead of finding the alert and
 * counting its evidence again with a query per hit. The counts are written
 * back once per alert by soc_triage_memo_flush (or soc_triage_memo_write),
 * and before any other call that reads alerts; the caller writes them
 * before it commits, and drops the memo after a rollback. What the memo
 * knows holds while no other connection changes alerts or drafts (their
 * counts and evidence are the memo's own to write): inside a
 * transaction (BEGIN IMMEDIATE: nobody else writes meanwhile), and into the
 * next one when soc_store_triage_version at its start is what it was
 * before the last commit (else the caller drops it). Ownership: the
 * caller's; one per store connection. */
typedef struct soc_triage_memo soc_triage_memo;
soc_triage_memo *soc_triage_memo_new(void);
void soc_triage_memo_free(soc_triage_memo *memo);
/* Writes the counts held back and forgets every alert: 0 or the store's error. */
int soc_triage_memo_flush(soc_triage_memo *memo, soc_store *store);
/* Writes the counts held back, still knowing every alert: 0 or the store's
 * error. */
int soc_triage_memo_write(soc_triage_memo *memo, soc_store *store);
/* Forgets every alert without writing (the transaction was rolled back). */
void soc_triage_memo_drop(soc_triage_memo *memo);
/* soc_triage_record with a memo (NULL: none); the same rows at commit. */
int soc_triage_record_memo(const soc_config *cfg, soc_store *store, soc_triage_memo *memo,
                           const soc_signal *sig, soc_triage_out *out);
/* The memo's part of soc_triage_record_memo for a later hit (not a firing)
 * of a non-empty host, which reads only sig's rule_id, key, host, times,
 * timeless and evidence: 1 when the memo counted it (or knows there is
 * nothing to count), so the asset, level and entities the rest would read
 * need not be looked up; 0 when soc_triage_record_memo must record the
 * whole signal, with memo_asked set; -EINVAL for a firing, no memo or an
 * empty host, or the store's error. */
int soc_triage_memo_hit(const soc_config *cfg, soc_store *store, soc_triage_memo *memo,
                        const soc_signal *sig, soc_triage_out *out);

/* An analyst's promotion (socctl promote): a new open draft holding the
 * alerts ids, its §3.1 clock starting now, at the highest level its members
 * justify, at least that of minor tampering of the asset. Returns 0 and
 * *draft; -ENOENT (*bad_alert: no such alert), -EEXIST (*bad_alert is in
 * the open draft *draft already), or a store error. In the caller's
 * transaction. */
int soc_triage_promote(const soc_config *cfg, soc_store *store, const soc_assets *assets,
                       const int64_t *ids, size_t n, int64_t *draft, int64_t *bad_alert);

/* The envelope every ECS alert on <prefix>.alerts shares: @timestamp,
 * event (id when given, kind alert, dataset, module), agent (id, agency)
 * and host.name when given. The caller adds its part and owns the result. */
fjson_object *soc_alert_envelope(const soc_config *cfg, int64_t ts_ns, const char *id,
                                 const char *dataset, const char *module, const char *host);

#endif
