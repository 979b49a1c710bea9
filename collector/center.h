/*
 * center — the technical center's side of the reporting workflow
 * (docs/REPORTS.md; SPEC §3.2-3.3): reports and evidence bundles as they
 * arrive, the center's clocks, and the operator's commands on them
 * (center_cli.c).
 *
 * The center keeps the agent's document as the agent sent it (the highest
 * revision) and its own decisions apart; its view of a report is the
 * document with the decisions the agent has not applied yet laid over it,
 * through the same lifecycle functions the agent uses (lib/report.c), so
 * both sides judge the same clocks the same way.
 *
 * Ownership: a soc_center borrows the configuration and owns the deadline
 * tables it loaded. Store calls run inside the caller's transaction.
 */
#ifndef SOC_COLLECTOR_CENTER_H
#define SOC_COLLECTOR_CENTER_H

#include <json.h>
#include <stddef.h>
#include <stdint.h>

#include "soc/config.h"
#include "soc/deadline.h"
#include "centerdb.h"
#include "soc/store_center.h"

/* Who §3.3(三) says the center informs of a level 3-4 incident. */
#define SOC_CENTER_NOTIFY_HSO "行政院國土安全辦公室 (Office of Homeland Security, Executive Yuan)"
#define SOC_CENTER_NOTIFY_NCSO "國家安全會議國家資通安全辦公室 (NSC national cyber security office)"

typedef struct soc_center soc_center;

/* Loads center.regime. OUT: *out. -ENOENT (message on stderr) when it
 * cannot be loaded. */
int soc_center_new(const soc_collector_config *cfg, soc_center **out);
void soc_center_free(soc_center *c); /* NULL is a no-op */

/* A message of <prefix>.reports (validated JSON naming agent). Returns 0,
 * 1 when the document is not a report this agent may send (why says what;
 * the caller quarantines it), or a negative store error. OUT: *dup 1 when
 * this revision was there already. */
int soc_center_report_in(soc_center *c, soc_centerdb *s, const char *agent, const char *payload,
                         size_t len, int64_t now_ns, int *dup, char *why, size_t why_len);
/* A message of <prefix>.evidence from agent: kept, and when its bundle is
 * complete, rebuilt, verified and written under state_dir/evidence/.
 * Returns as soc_center_report_in. */
int soc_center_evidence_in(soc_center *c, soc_centerdb *s, const char *agent, const void *payload,
                           size_t len, int64_t now_ns, int *dup, char *why, size_t why_len);

/* The center's view of one report as of now_s. */
typedef struct soc_center_view {
  fjson_object *doc;        /* owned: the document with the center's decisions applied */
  const soc_regime *regime; /* borrowed from the center */
  soc_deadline dl[16];
  size_t ndl;
  soc_deadline_status review_status;
  int64_t review_due, review_done; /* seconds; 0: not yet */
  int support_requested;
  soc_deadline_status support_status; /* WAITING until reviewed */
  int64_t support_due, support_done;
  int overdue; /* any clock overdue and not done */
} soc_center_view;
int soc_center_view_of(soc_center *c, soc_centerdb *s, const soc_center_report *r, int64_t now_s,
                       soc_center_view *v);
void soc_center_view_clear(soc_center_view *v);

/* Flags every open report whose supervisor review is overdue as of now_ns
 * for the center's direct review (§3.3(一)). OUT: *flagged (may be NULL):
 * how many were newly flagged. */
int soc_center_sweep(soc_center *c, soc_centerdb *s, int64_t now_ns, size_t *flagged);

/* One row of the summary (§3.3(三)): the reports of one agency, level (the
 * center's view, so a re-level by the center counts) and category. */
typedef struct soc_center_sum_row {
  char agency[256], category[64];
  int level;
  int64_t open, overdue, closed; /* overdue: open ones with a clock overdue, or flagged */
} soc_center_sum_row;
/* Counts the reports discovered since since_ns (0: all) as of now_ns,
 * sorted by agency, level, category. OUT: *rows (owned by the caller:
 * free()), *n. */
int soc_center_summary(soc_center *c, soc_centerdb *s, int64_t since_ns, int64_t now_ns,
                       soc_center_sum_row **rows, size_t *n);

/* Re-reads a bundle's archive on disk and verifies it against its manifest;
 * a failure moves it to evidence/failed/ and flags the bundle. Returns 0
 * ok, 1 failed (what says why), negative errno when it cannot be checked. */
int soc_center_bundle_recheck(soc_center *c, soc_centerdb *s, const char *id, int64_t now_ns,
                              char *what, size_t what_len);

/* The path of a file in state_dir (made if needed) into path (cap bytes).
 * Problems are printed. Returns 0 or a negative errno. */
int soc_center_state_file(const soc_collector_config *cfg, const char *name, char *path,
                          size_t cap);
/* Opens state_dir/center.db, creating the folder if needed; problems are
 * printed. OUT: *out, owned by the caller. Returns 0 or a negative errno. */
int soc_center_open(const soc_collector_config *cfg, soc_center_store **out);

/* The operator's commands on reports, evidence and decisions (center_cli.c).
 * Returns the exit status, or -1 when argv[0] is not one of them. */
int soc_center_command(const soc_collector_config *cfg, int argc, char **argv);

#endif
