/*
 * report — the notification report (通報單) and its lifecycle, as a JSON
 * document (docs/REPORTS.md is the contract).
 *
 * A confirmed draft becomes a report holding the national form's six steps,
 * the filings made, the level history and the legal clocks. Every change is
 * a function here that checks the transition is allowed, records who did it
 * and when, and leaves the document consistent; the caller stores it
 * (store_report.c), appends the audit entry and puts the new revision in the
 * outbox, in one transaction. Keeping the rules in one pure module means the
 * agent's socctl, the agent applying the technical center's decisions, and
 * the collector judging deadlines all read the same document the same way.
 *
 * States: confirmed → reported (初報, or by phone when the platform is down)
 * → reviewed (by the supervisor, or directly by the center when the
 * supervisor is late) → contained (damage controlled) → recovered (續報)
 * → closed (結報). Review may come after containment: the state then stays
 * where it is and only review.at is set. A level change at any point before
 * closure is a re-level: the level history and a re-report filing record
 * it, and the clocks are recomputed (soc_deadlines_compute keeps what was
 * done on time under the old level).
 *
 * Ownership: functions take a borrowed fjson_object * document and modify
 * it in place; strings are borrowed for the call. Errors: -EINVAL (bad
 * argument, message in why), -EPERM (not allowed in this state, message in
 * why), -ENOMEM.
 */
#ifndef SOC_REPORT_H
#define SOC_REPORT_H

#include <json.h> /* libfastjson */
#include <stddef.h>
#include <stdint.h>

#include "soc/deadline.h"
#include "soc/store.h"

#define SOC_REPORT_SCHEMA "socagent.report/1"
#define SOC_REPORT_EVIDENCE_MAX 200 /* lines copied into the document; the bundle has all */
#define SOC_REPORT_WHY_MAX 256

typedef enum {
  SOC_REPORT_CONFIRMED = 0,
  SOC_REPORT_REPORTED,
  SOC_REPORT_REVIEWED,
  SOC_REPORT_CONTAINED,
  SOC_REPORT_RECOVERED,
  SOC_REPORT_CLOSED,
  SOC_REPORT_STATE_COUNT
} soc_report_state;

const char *soc_report_state_name(soc_report_state s);
/* -1 for an unknown name. */
int soc_report_state_parse(const char *s);

/* Who files: the agent's identity and the form's step 1. Strings may be NULL. */
typedef struct soc_report_origin {
  const char *agent_id, *agency;
  int authority;
  const char *reporter_name, *reporter_phone, *reporter_fax, *reporter_email;
  const char *vendor;
  const char *regime; /* deadline table id */
} soc_report_origin;

/* A new report (state confirmed) from a confirmed draft's JSON body (as
 * socctl show --json prints it): number is the draft's id, at_ns when it
 * was confirmed, by the analyst. OUT: *out, owned by the caller
 * (fjson_object_put). */
int soc_report_new(const soc_report_origin *o, int64_t number, fjson_object *draft, const char *by,
                   int64_t at_ns, fjson_object **out);
/* Folds a merged draft's hosts, rules, indicators, span and count in. */
int soc_report_fold_draft(fjson_object *r, int64_t number, fjson_object *draft);
/* Appends one evidence line (at most SOC_REPORT_EVIDENCE_MAX are kept;
 * returns 1 when the line was dropped for that reason). */
int soc_report_add_evidence(fjson_object *r, const char *source, int64_t stream, uint64_t pos,
                            int64_t ts_ns, const char *line, size_t len);

/* ---- reading ---- */
soc_report_state soc_report_state_of(fjson_object *r);
int soc_report_level(fjson_object *r);
int64_t soc_report_number(fjson_object *r);
/* The string at a dotted path ("event.category"), or NULL. */
const char *soc_report_str(fjson_object *r, const char *path);
/* The time at a dotted path in ns since the epoch, 0 when null or absent. */
int64_t soc_report_time(fjson_object *r, const char *path);

/* ---- the lifecycle; at_ns is when it happened (may be earlier than now) ---- */
/* via: "platform" or "phone". The first filing reports the incident (初報,
 * status 1); later ones are edits (status 2). A phone report stands for the
 * report in time (§4: platform unreachable) and leaves a platform filing
 * owed: the next "platform" filing is its back-fill (status 1). */
int soc_report_file(fjson_object *r, const char *via, const char *by, int64_t at_ns, char *why,
                    size_t why_len);
/* The supervisor's (or the center's: source "center") review. */
int soc_report_review(fjson_object *r, const char *by, const char *result, const char *source,
                      int64_t at_ns, char *why, size_t why_len);
/* status 2: damage controlled, 3: controlled and recovered (續報, status 3).
 * The first of them completes the recovery clock. */
int soc_report_recover(fjson_object *r, int status, const char *by, int64_t at_ns, char *why,
                       size_t why_len);
/* 結報: filing status 4 (levels 1–2) or 5 (3–4). Needs recovery. */
int soc_report_close(fjson_object *r, const char *by, int64_t at_ns, char *why, size_t why_len);
/* A level change: needs a reason; refused when closed or unchanged. */
int soc_report_relevel(fjson_object *r, int level, const char *by, const char *reason,
                       int64_t at_ns, char *why, size_t why_len);
/* Levels 3–4: the investigation, handling and improvement report was submitted. */
int soc_report_investigation(fjson_object *r, const char *by, int64_t at_ns, char *why,
                             size_t why_len);
/* The center dispatched the support that was requested. */
int soc_report_support_dispatched(fjson_object *r, const char *by, int64_t at_ns, char *why,
                                  size_t why_len);
/* Sets a form field that a person fills: path is one of
 * soc_report_settable(i) (e.g. "event.description", "support.requested",
 * "impact.confidentiality.level"); value is text, parsed by the field's type
 * (text, bool yes/no, level 0-4, choice, list of numbers, time). A list
 * field ("response.containment", "response.evidence_kept") appends. */
int soc_report_set(fjson_object *r, const char *path, const char *value, char *why, size_t why_len);
/* The i-th settable path and a short help; NULL past the end. */
const char *soc_report_settable(size_t i, const char **help);

/* ---- the clocks ---- */
/* The clocks of r under regime g as of now_s (0: unknown). */
int soc_report_deadlines(fjson_object *r, const soc_regime *g, int64_t now_s, soc_deadline *out,
                         size_t cap, size_t *n);
/* The "deadlines" array recomputed as of now_s (for showing a report
 * without changing it). */
int soc_report_refresh_deadlines(fjson_object *r, const soc_regime *g, int64_t now_s);
/* Called after every change: revision + 1, updated time, and the
 * deadlines refreshed. */
int soc_report_touch(fjson_object *r, const soc_regime *g, int64_t now_s);

/* The one way a changed report is kept: touch (revision, clocks as of
 * now_s), store the row, and queue the revision for <prefix>.reports,
 * inside the caller's transaction. Returns 0 or a store error. */
int soc_report_save(soc_store *s, fjson_object *r, const soc_regime *g, int64_t now_s);

#endif
