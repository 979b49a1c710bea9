/*
 * deadline — the legal clocks of an incident, as data.
 *
 * Every regime (Taiwan's 資通安全事件通報及應變辦法 and its 2026 amendment,
 * NIS2, GDPR, DORA) says the same kind of thing: "within D after event E,
 * party P does S, for incidents of these levels". So a regime is a table of
 * such steps in a YAML file under rules/deadlines/, and a later amendment or
 * another regime is a new table, not new code. The file format:
 *
 *   id: tw-2026
 *   title: ...
 *   source: the legal reference
 *   steps:
 *     - id: report
 *       title: Report on the notification platform
 *       title_zh: 通報登錄          # optional
 *       who: agency                  # agency | supervisor | center | ...
 *       levels: [3, 4]               # or: all
 *       from: discovery              # discovery | report | review | recovery | classification
 *       within: 1h                   # 90s, 30m, 36h, 3d, 1w, or 1mo (a calendar month)
 *       clause: "§4"
 *       completes: report            # optional: the anchor that marks this step done
 *
 * Computing is a pure function of the regime, the level and the times known
 * so far, so a level change is simply a recompute with the new level. What
 * was already done on time under the old level stays met: the caller passes
 * the previous level and when it changed (soc_incident_times.prev_level,
 * level_changed_at), and a step completed before the change is also judged
 * by the due time of the level in force then: the step with the same id for
 * the old level (one id may appear once per level, e.g. "review" 2h for
 * [3, 4] and 8h for [1, 2]). A regulator cannot
 * retroactively make an on-time review late by raising the level afterwards.
 *
 * Times are seconds since the epoch, UTC; 0 means "not yet". Calendar-month
 * steps land on the same day and time of day N months later, in UTC, clamped
 * to the month's last day (Jan 31 + 1mo = Feb 28, or Feb 29 in a leap year).
 *
 * Ownership: a soc_regime owns its steps and strings; pointers handed out
 * (steps, and soc_deadline.step) stay valid until soc_regime_free.
 */
#ifndef SOC_DEADLINE_H
#define SOC_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "soc/diag.h"

typedef enum {
  SOC_ANCHOR_NONE = -1,
  SOC_ANCHOR_DISCOVERY = 0,  /* awareness, 知悉 */
  SOC_ANCHOR_REPORT,         /* the (first) report was filed */
  SOC_ANCHOR_REVIEW,         /* the supervisor's review was done */
  SOC_ANCHOR_RECOVERY,       /* recovery or damage control was completed */
  SOC_ANCHOR_CLASSIFICATION, /* the incident was classified (DORA: as major) */
  SOC_ANCHOR_COUNT
} soc_anchor;

typedef struct soc_deadline_step {
  const char *id, *title, *title_zh, *who, *clause; /* title_zh, clause may be NULL */
  unsigned levels; /* bit (1u << level) for each level 1..4 the step applies to */
  soc_anchor from;
  soc_anchor completes; /* SOC_ANCHOR_NONE: completion comes from soc_incident_times.done */
  int64_t within_s;     /* when within_months == 0 */
  int within_months;    /* calendar months, UTC */
  unsigned line;        /* where it was defined */
} soc_deadline_step;

typedef struct soc_regime soc_regime;

/* Completion of a step that no anchor marks (e.g. the investigation report). */
typedef struct soc_step_done {
  const char *step; /* step id */
  int64_t at;
} soc_step_done;

typedef struct soc_incident_times {
  int64_t at[SOC_ANCHOR_COUNT]; /* indexed by soc_anchor; 0 = has not happened */
  const soc_step_done *done;    /* may be NULL */
  size_t ndone;
  int64_t now;              /* 0: unknown, so an undone step is only "open" */
  int prev_level;           /* 0: the level never changed */
  int64_t level_changed_at; /* when prev_level was replaced by the current level */
} soc_incident_times;

typedef enum {
  SOC_DEADLINE_WAITING = 0, /* the anchor has not happened: no due time yet */
  SOC_DEADLINE_OPEN,        /* not done, not (known to be) past due */
  SOC_DEADLINE_MET,         /* done at or before the due time */
  SOC_DEADLINE_OVERDUE,     /* done late (done != 0), or not done and now > due */
} soc_deadline_status;

typedef struct soc_deadline {
  const soc_deadline_step *step; /* owned by the regime */
  soc_deadline_status status;
  int64_t due;  /* 0 while WAITING */
  int64_t done; /* completion time, 0 when not done */
} soc_deadline;

/* Loads and validates one regime file. Every problem goes into diag as
 * FILE:LINE:COL; returns 0 and sets *out when there were no errors, else a
 * negative errno (-EINVAL for content errors) and *out is NULL. */
int soc_regime_load(const char *path, soc_regime **out, soc_diag *diag);
/* Loads DIR/NAME.yaml when that file exists (dir may be NULL), else the
 * built-in copy of a shipped table (rules/deadlines/ compiled in), else
 * fails with -ENOENT. NAME must be a plain name ([A-Za-z0-9._-], no "/"). */
int soc_regime_load_named(const char *dir, const char *name, soc_regime **out, soc_diag *diag);
void soc_regime_free(soc_regime *r); /* NULL is a no-op */
/* Where the installed tables are: SOC_DATADIR/rules/deadlines. */
const char *soc_regime_default_dir(void);

const char *soc_regime_id(const soc_regime *r);
const char *soc_regime_title(const soc_regime *r);
const char *soc_regime_source(const soc_regime *r);
size_t soc_regime_nsteps(const soc_regime *r);
const soc_deadline_step *soc_regime_step(const soc_regime *r, size_t i);

/* The anchor's name ("discovery", ...), or "?" */
const char *soc_deadline_anchor_name(soc_anchor a);
/* "waiting", "open", "met", "overdue" */
const char *soc_deadline_status_name(soc_deadline_status s);

/* anchor + months calendar months in UTC, clamped to the month's end. */
int64_t soc_deadline_add_months(int64_t anchor, int months);

/* Fills out[0..*n) with each step that applies to level (1..4), in file
 * order. OUT: *n. Returns 0, -EINVAL for a bad level or NULL argument,
 * -ENOSPC when cap is too small (then *n is the count needed). */
int soc_deadlines_compute(const soc_regime *r, int level, const soc_incident_times *t,
                          soc_deadline *out, size_t cap, size_t *n);

#endif
