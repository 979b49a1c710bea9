/*
 * rules — log rules (docs/RULES.md is the contract): loading rule files and
 * matching events against every rule at once.
 *
 * Loading. Each file is refused as a whole when anything in it is wrong,
 * with every problem reported as FILE:LINE:COL through one soc_diag; the
 * other files still load. A rule id taken by an earlier good file, or a
 * `correlate.after` naming a rule that did not load, refuses the file too.
 * The result is immutable, so any number of threads may match against one
 * soc_rules at the same time, each with its own soc_match_ctx.
 *
 * Matching. Every literal of every rule (contains/startswith/endswith/equals
 * text and the longest literal each regex requires) is compiled into one
 * Aho-Corasick automaton per subject field; one pass over a line names the
 * rules that can possibly match, and only those are evaluated. A rule with
 * no usable literal is evaluated on every line (and a regex that causes this
 * is warned about at load time).
 *
 * What a hit does to the event: the rule's `captures` are written onto the
 * event with soc_event_set just before the rule's callback, and only when
 * the whole match block (where conditions included) holds, so a rule that
 * failed leaves no trace for the rules after it. A captured value that the
 * event refuses (not an address for an IP field, not a number for an
 * integer field) leaves that field unset; the rule still matches.
 *
 * Ownership: a soc_rules owns its rules; a const soc_rule * and every string
 * it returns stay valid until soc_rules_free. A soc_match_ctx belongs to one
 * thread and to the soc_rules it was made for.
 */
#ifndef SOC_RULES_H
#define SOC_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "soc/diag.h"
#include "soc/event.h"
#include "soc/level.h"

/* Bounds; a rule file is untrusted input. */
#define SOC_RULE_ID_MAX 64          /* bytes of an id: [A-Za-z0-9._-] */
#define SOC_RULES_MAX 100000        /* rules in one set */
#define SOC_RULE_TEXT_MAX 4096      /* bytes of one pattern, title, description ... */
#define SOC_RULE_PATTERNS_MAX 256   /* patterns in one any/all/none list */
#define SOC_RULE_CONDITIONS_MAX 256 /* where conditions in one rule, nested ones included */
#define SOC_RULE_LIST_MAX 1024      /* items of a list (program, in, cidr, ...) */
#define SOC_RULE_CAPTURES_MAX 32    /* entries of `captures` */
#define SOC_RULE_GROUP_BY_MAX 8     /* fields of correlate.group_by */
#define SOC_RULE_COUNT_MAX 1000     /* correlate.count; also the hits kept per key */

/* The guideline's event categories (the notification form's 事件分類). */
typedef enum {
  SOC_CATEGORY_NONE = 0,
  SOC_CATEGORY_WEB_ATTACK,        /* web-attack 網頁攻擊 */
  SOC_CATEGORY_INTRUSION,         /* intrusion 非法入侵 */
  SOC_CATEGORY_DENIAL_OF_SERVICE, /* denial-of-service 阻斷服務 */
  SOC_CATEGORY_EQUIPMENT,         /* equipment 設備異常 */
  SOC_CATEGORY_OTHER,             /* other 其他 */
} soc_incident_category;

/* "web-attack" ...; "none" for NONE, "unknown" outside the enum. */
const char *soc_incident_category_name(soc_incident_category c);
/* The notification form's name of the category (網頁攻擊, ...; 其他 for other). */
const char *soc_incident_category_name_zh(soc_incident_category c);
/* Exact names above (ASCII case ignored, '_' taken for '-'); NONE if unknown. */
soc_incident_category soc_incident_category_parse(const char *s);

/* A field name of a rule's correlate: or incident: block, resolved when the
 * set is loaded (soc_rules_field_get reads it). Owned by the rule. */
typedef struct soc_rules_field soc_rules_field;

/* What a hit means under the guideline (the rule's `incident:` block). */
typedef struct soc_rule_incident {
  soc_incident_category category;
  const char *subtype;           /* free text, "" when not given */
  soc_impact_kind impact;        /* leak, tamper or outage; NONE with alert_only */
  int alert_only;                /* impact: none (an attempt, a probe): alerts, no draft */
  soc_severity severity;         /* tamper only, else NONE */
  soc_data_class data_class;     /* leak only; NONE with data_from_asset set means "asset" */
  int data_from_asset;           /* leak: take the asset's highest data class */
  int64_t outage_minutes;        /* outage: minutes known at detection, >= 0 */
  const char *const *asset_from; /* fields to find the asset by, first found wins */
  const soc_rules_field *const *asset_from_fields; /* the same, resolved */
  size_t nasset_from;
  /* incident.group_by: the fields whose values tie a firing to other alerts
   * and drafts of the same host (docs/TRIAGE.md); group_by_set 0: the
   * detector takes correlate.group_by without host.name */
  const char *const *group_by;
  const soc_rules_field *const *group_by_fields; /* the same, resolved */
  size_t ngroup_by;
  int group_by_set;
} soc_rule_incident;

typedef struct soc_rule soc_rule;

/* A rule's `correlate:` block, resolved. Durations in nanoseconds. */
typedef struct soc_rule_correlate {
  const char *const *group_by; /* fields of the key; n == 0: one key for all hits */
  const soc_rules_field *const *group_by_fields; /* the same, resolved */
  size_t ngroup_by;
  int64_t count;                         /* 1..SOC_RULE_COUNT_MAX hits (or distinct values) */
  int64_t within_ns;                     /* window the hits must fall in; 0 when count is 1 */
  const char *distinct;                  /* count distinct values of this field; NULL: count hits */
  const soc_rules_field *distinct_field; /* the same, resolved */
  const soc_rule *after;                 /* sequence: this rule must have fired first; NULL: none */
  int64_t after_within_ns;
  int64_t suppress_ns; /* quiet time after a firing; 0: none */
  /* count_max > 0: the count must also be at most count_max; count_neq >
   * 0: it must not be count_neq. Only the end of the window can tell: the
   * window opens at a key's first hit, lasts within_ns, and is decided when
   * event time passes its end (count_max, count_neq < SOC_RULE_COUNT_MAX) */
  int64_t count_max;
  int64_t count_neq;
  /* Sigma temporal: fires when every one of members fired for the same key
   * within within_ns (in this order when ordered); member i's key is read
   * with member_group_by[i] (ngroup_by fields). Such a rule matches no
   * event itself: its members feed it. nmembers 0: none. counting: the
   * members' firings are hits counted as above instead (Sigma's
   * event_count and value_count of several rules), member i's distinct
   * field member_distinct[i] (distinct is the last one's). */
  const soc_rule *const *members;
  const char *const *const *member_group_by;
  const soc_rules_field *const *const *member_group_by_fields; /* the same, resolved */
  size_t nmembers;
  int ordered;
  int counting;
  const char *const *member_distinct;
  const soc_rules_field *const *member_distinct_fields; /* the same, resolved */
  /* 1 + the group_by field whose value names the host (Sigma's Computer),
   * for the event of a window decided at its end; 0: none */
  size_t host_by;
} soc_rule_correlate;

typedef struct soc_rules soc_rules;

/* Why a Sigma rule was refused (docs/SIGMA.md lists what each means). */
typedef enum {
  SOC_SIGMA_SYNTAX,      /* not a Sigma rule: YAML, missing or malformed keys */
  SOC_SIGMA_CORRELATION, /* a correlation rule or an aggregation (| count) */
  SOC_SIGMA_LOGSOURCE,   /* no input of ours provides this logsource */
  SOC_SIGMA_FIELD,       /* a field with no mapping for the logsource */
  SOC_SIGMA_MODIFIER,    /* an unknown modifier or combination */
  SOC_SIGMA_VALUE,       /* a value the modifier can not take (bad CIDR, number...) */
  SOC_SIGMA_REGEX,       /* a regex PCRE2 refuses */
  SOC_SIGMA_CONDITION,   /* a condition that does not parse or names no selection */
  SOC_SIGMA_LIMIT,       /* bigger than the engine's bounds */
  SOC_SIGMA_REASONS
} soc_sigma_reason;

/* "syntax", "correlation", ... as the summary prints them. */
const char *soc_sigma_reason_name(int reason);

typedef struct soc_rules_stats {
  size_t files_ok;
  size_t files_failed;
  size_t rules;      /* rules loaded */
  size_t literals;   /* distinct literals in the automata */
  size_t unanchored; /* rules evaluated on every line */
  size_t warnings;
  size_t sigma_loaded;  /* Sigma rules loaded (counted in rules too) */
  size_t sigma_refused; /* Sigma rules refused, by reason below */
  size_t sigma_reasons[SOC_SIGMA_REASONS];
} soc_rules_stats;

/* "N Sigma rule(s) loaded, M refused (k field, ...)" into buf. */
void soc_rules_sigma_summary(const soc_rules_stats *st, char *buf, size_t len);

/* Loads the files (already expanded, no globs) in order. Every problem goes
 * into diag. Returns 0 when the good files loaded (st->files_failed tells
 * whether some were refused), or a negative errno when nothing could be
 * built at all (-ENOMEM). OUT: *out (may be NULL to only check), owned by
 * the caller. st may be NULL. */
int soc_rules_load(const char *const *files, size_t n, soc_rules **out, soc_rules_stats *st,
                   soc_diag *diag);
/* The same plus Sigma rule files (docs/SIGMA.md), one rule a file, after
 * ours. A Sigma rule the engine can not run exactly is refused with a
 * warning naming the reason (counted in st->sigma_reasons); its file
 * still counts as good. */
int soc_rules_load_with_sigma(const char *const *files, size_t n, const char *const *sigma,
                              size_t nsigma, soc_rules **out, soc_rules_stats *st, soc_diag *diag);
/* The operator's tables for Sigma rules (rules.sigma_impact and
 * rules.sigma_placeholders, docs/SIGMA.md), borrowed for the call. */
typedef struct soc_sigma_pair {
  const char *key, *value;
} soc_sigma_pair;
typedef struct soc_sigma_opts {
  /* an ATT&CK tactic tag ("attack.impact") or a rule id, and the tier its
   * hits take: "tamper", "leak" (drafts) or "alert"; a rule id outranks
   * its tags, a tag given here replaces the built-in one */
  const soc_sigma_pair *impact;
  size_t nimpact;
  /* expand's placeholders: one pair per value, the name without '%' */
  const soc_sigma_pair *placeholders;
  size_t nplaceholders;
} soc_sigma_opts;
/* soc_rules_load_with_sigma with the operator's tables (opts may be NULL:
 * the built-in impact table and no placeholders). */
int soc_rules_load_sigma_opts(const char *const *files, size_t n, const char *const *sigma,
                              size_t nsigma, const soc_sigma_opts *opts, soc_rules **out,
                              soc_rules_stats *st, soc_diag *diag);
/* Sigma rules from memory, n buffers named names[i] (fuzzing), with the
 * operator's tables (opts may be NULL). */
int soc_rules_load_sigma_buffers(const char *const *names, const char *const *bufs,
                                 const size_t *lens, size_t n, const soc_sigma_opts *opts,
                                 soc_rules **out, soc_rules_stats *st, soc_diag *diag);
/* One Sigma rule from memory (tests, fuzzing). */
int soc_rules_load_sigma_buffer(const char *name, const char *buf, size_t len, soc_rules **out,
                                soc_rules_stats *st, soc_diag *diag);
/* One rule file from memory (tests, fuzzing); name is used in messages. */
int soc_rules_load_buffer(const char *name, const char *buf, size_t len, soc_rules **out,
                          soc_rules_stats *st, soc_diag *diag);
/* NULL is a no-op. */
void soc_rules_free(soc_rules *rules);

size_t soc_rules_count(const soc_rules *rules);
/* 1 when some rule of the set reads or writes the field name anywhere (a
 * pattern, a condition, a capture, correlate's group_by or distinct,
 * incident's asset_from or group_by; "a|b" names a and b), else 0: a
 * caller may then leave the field unset (the detector: event.id). */
int soc_rules_names_field(const soc_rules *rules, const char *name);
/* The i-th rule in load order (file order, then order in the file); NULL
 * past the end. */
const soc_rule *soc_rules_at(const soc_rules *rules, size_t i);
/* The rule with this id, or NULL. */
const soc_rule *soc_rules_find(const soc_rules *rules, const char *id);

/* Accessors. Strings are never NULL ("" when not given). */
size_t soc_rule_index(const soc_rule *r); /* position in soc_rules_at order */
const char *soc_rule_id(const soc_rule *r);
const char *soc_rule_title(const soc_rule *r);
const char *soc_rule_description(const soc_rule *r);
const char *soc_rule_file(const soc_rule *r);
/* Sigma rules: level (informational .. critical) and author; "" for ours. */
const char *soc_rule_level(const soc_rule *r);
const char *soc_rule_author(const soc_rule *r);
int soc_rule_is_sigma(const soc_rule *r);
/* A Sigma rule that a correlation (generate: false) uses and none with
 * generate: true: its hits feed the correlator but are not alerts of
 * their own. */
int soc_rule_silent(const soc_rule *r);
unsigned soc_rule_line(const soc_rule *r);
/* OUT: *n. The list is owned by the rule. */
const char *const *soc_rule_mitre(const soc_rule *r, size_t *n);
const char *const *soc_rule_references(const soc_rule *r, size_t *n);
const soc_rule_incident *soc_rule_incident_of(const soc_rule *r);
/* NULL when the rule has no `correlate:` (every hit fires). */
const soc_rule_correlate *soc_rule_correlation(const soc_rule *r);
/* Whether the automaton can skip this rule (it has a required literal). */
int soc_rule_anchored(const soc_rule *r);

/* Per-thread scratch for matching. */
typedef struct soc_match_ctx soc_match_ctx;

/* Returns NULL when out of memory. The ctx may only be used with rules. */
soc_match_ctx *soc_match_ctx_new(const soc_rules *rules);
/* NULL is a no-op. */
void soc_match_ctx_free(soc_match_ctx *ctx);

/* Evaluates every rule, without the automaton: only for tests and the fuzz
 * harness, which compare the two. */
#define SOC_MATCH_NO_PREFILTER 1u
void soc_match_ctx_set_flags(soc_match_ctx *ctx, unsigned flags);

/* Events whose filling is finished only when needed (the detector's: most
 * lines match no rule, and their access-log fields, ids... are never read).
 * After soc_match_ctx_defer(ctx, ready, n, later, nlater, complete, arg),
 * an event passed to soc_rules_match right after soc_match_ctx_pending(ctx)
 * holds already the string and integer fields ready[0..n) of what it will
 * hold; complete(ev, arg) sets the rest, of the extras only those named in
 * later[0..nlater). Matching calls it once, before it reads any other field
 * (an extra, event.id, ...), before the automata scan extras when one of
 * them scans an extra named in later, and before the first hit's captures
 * are written; or never. A rule thus reads, and a hit sees, the event
 * complete would have made before matching, as long as complete changes
 * none of the ready fields and none of the extras the event holds. After
 * soc_rules_match the event may still lack the rest. The lists are read
 * during the call; arg is borrowed. */
typedef void (*soc_match_complete_cb)(soc_event *ev, void *arg);
void soc_match_ctx_defer(soc_match_ctx *ctx, const soc_ecs_field *ready, size_t n,
                         const char *const *later, size_t nlater, soc_match_complete_cb complete,
                         void *arg);
void soc_match_ctx_pending(soc_match_ctx *ctx);

typedef struct soc_match_stats {
  uint64_t events;
  uint64_t candidates; /* rules evaluated */
  uint64_t hits;
  uint64_t regex_limits; /* regex matches cut short by the match limit (as no match) */
  uint64_t regexes;      /* regex executions */
  uint64_t regex_skips;  /* regexes not run: a literal each match needs was not in the field */
} soc_match_stats;
void soc_match_ctx_stats(const soc_match_ctx *ctx, soc_match_stats *out);

/* Called for each rule that matches, in soc_rules_at order, with the rule's
 * captures already set on ev. It reads ev but does not change its fields:
 * the later rules reuse results of regexes they share with earlier ones.
 * Return 0 to go on, a negative value to stop (soc_rules_match then
 * returns it). */
typedef int (*soc_rule_hit_cb)(const soc_rule *rule, soc_event *ev, void *arg);

/* Matches ev against every rule. Returns the number of rules that matched,
 * or the callback's negative value, or -EINVAL (a ctx of other rules). */
int soc_rules_match(const soc_rules *rules, soc_match_ctx *ctx, soc_event *ev, soc_rule_hit_cb cb,
                    void *arg);

/* The value of a field the way rules read it: string fields and extras as
 * they are, integer fields in decimal, plus log.syslog.facility.name and
 * log.syslog.severity.name derived from the codes; "a|b" is the first of
 * a and b that is there (Sigma's fields in several event shapes). buf (at least 32 bytes)
 * receives numbers. NULL when unset. Used by correlation for group_by. */
const char *soc_rules_field_value(const soc_event *ev, const char *name, char *buf, size_t buflen);
/* soc_rules_field_value of a resolved name (f from the rule's structs),
 * without looking the name up; NULL when unset or f is NULL. */
const char *soc_rules_field_get(const soc_event *ev, const soc_rules_field *f, char *buf,
                                size_t buflen);

#endif
