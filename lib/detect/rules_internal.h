/*
 * rules_internal — the compiled form of a rule set, shared by the loader
 * (rules.c, which builds it) and the matcher (rules_match.c, which reads
 * it). Nothing outside those two files (and the unit test of the literal
 * analysis) sees these structures.
 *
 * Everything here is immutable once soc_rules_load returns, which is what
 * lets any number of threads match against one set with no lock.
 */
#ifndef SOC_RULES_INTERNAL_H
#define SOC_RULES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "soc/rules.h"
#include "soc/yamldoc.h"

/* Longest literal put into an automaton: any part of a required literal is
 * required too, so cutting keeps the prefilter exact while bounding the
 * automaton's size by the number of rules. */
#define RULES_LIT_MAX 32

/* How a field name is read from an event, resolved once at load time so
 * that matching does no name lookups. */
typedef enum {
  FREF_STR,      /* a known string field: ecs */
  FREF_INT,      /* a known integer field: ecs, read as decimal text */
  FREF_FACILITY, /* log.syslog.facility.name, from the code */
  FREF_SEVERITY, /* log.syslog.severity.name, from the code */
  FREF_EVENT_ID, /* event.id */
  FREF_EXTRA,    /* any other dotted name: name */
} fref_kind;

typedef struct fref {
  fref_kind kind;
  int ecs;           /* FREF_STR, FREF_INT */
  char *name;        /* owned: the name as written */
  soc_event_key key; /* FREF_EXTRA: the name, checked once */
  /* FREF_EXTRA: the extra whose automaton also scans this one (owned;
   * NULL: its own). Sigma maps one field to several event shapes
   * (Event.EventData.X, winlog.event_data.X ...) with the same literals:
   * one automaton for all of them keeps the memory of one. */
  char *scan_as;
} fref;

/* A rule's field name outside its match block (correlate.group_by and
 * distinct, incident.asset_from and group_by, a Sigma correlation's member
 * keys), resolved once the set is built, so that a hit reads it with no name
 * lookup: "a|b" is one alternative each, tried in order, as
 * soc_rules_field_value tries them. An alternative the resolver refuses is
 * read by its name (by_name), the way soc_rules_field_value reads it. */
typedef struct field_alt {
  fref f;
  int by_name;
} field_alt;

struct soc_rules_field {
  size_t n;
  field_alt alt[];
};

typedef enum { PAT_CONTAINS, PAT_STARTSWITH, PAT_ENDSWITH, PAT_EQUALS, PAT_REGEX } pat_kind;

/* One (capture index, group number) pair a regex provides. */
typedef struct capgroup {
  uint16_t cap;
  uint16_t group;
} capgroup;

typedef struct pattern {
  pat_kind kind;
  int nocase; /* plain patterns: ASCII case folded; regex: PCRE2_CASELESS */
  fref field;
  char *text; /* owned: the pattern as written */
  size_t len;
  pcre2_code *re; /* PAT_REGEX */
  int jit;        /* pcre2_jit_compile succeeded */
  capgroup *cg;   /* owned: groups that feed the rule's captures, in capture order */
  size_t ncg;
  unsigned line, col; /* of the text in the rule file, for warnings */
  /* A regex or contains whose required literals an automaton looks for: 1 + its index
   * among them (soc_rules.npid), 0 for none. rules_match.c sets it. */
  uint32_t pid;
  /* The same for a second set of literals a regex requires (both must be
   * found for it to run), 0 for none. */
  uint32_t pid2;
  /* 1 + its memo slot when other patterns are the same regex on the same
   * field (soc_rules.nmemo), 0 for none. rules_match.c sets it. */
  uint32_t memo;
} pattern;

typedef struct capmap {
  char *group;  /* owned: the named group */
  fref target;  /* the field it is written to */
  int validate; /* an IP or integer field: the event may refuse a value */
} capmap;

/* C_ALL_OF, C_PATTERN, C_GE, C_LE and C_FIELDREF come from Sigma rules
 * (sigma.c), whose detection is any boolean tree of field tests. */
typedef enum {
  C_EQUALS,
  C_IN,
  C_NOT_IN,
  C_EXISTS,
  C_CIDR,
  C_GT,
  C_LT,
  C_ANY_OF,
  C_NOT,
  C_ALL_OF,
  C_PATTERN,
  C_GE,
  C_LE,
  C_FIELDREF,
} cond_op;

typedef struct cidr_net {
  uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
  int len;          /* 0..128 */
} cidr_net;

typedef struct cond {
  cond_op op;
  fref field;  /* not for C_ANY_OF / C_NOT */
  int cap;     /* index of the rule's capture writing this field, or -1 */
  char **vals; /* C_EQUALS (1), C_IN, C_NOT_IN: owned */
  size_t *lens;
  size_t nvals;
  int exists;     /* C_EXISTS */
  cidr_net *nets; /* C_CIDR: owned */
  size_t nnets;
  double num;       /* C_GT, C_LT, C_GE, C_LE */
  struct cond *sub; /* C_ANY_OF, C_ALL_OF: nsub, C_NOT: 1; owned */
  size_t nsub;
  pattern *pat; /* C_PATTERN: owned; field is pat->field */
  fref ref;     /* C_FIELDREF: field's value equals this field's */
} cond;

struct soc_rule {
  size_t index;
  char *id, *title, *description, *file; /* owned; never NULL */
  unsigned line, col;
  char **mitre, **refs;
  size_t nmitre, nrefs;
  soc_rule_incident incident;
  char *subtype;
  char **asset_from;
  size_t nasset_from;
  char **triage_by; /* incident.group_by */
  size_t ntriage_by;

  /* match */
  char **programs;
  size_t nprograms;
  const uint32_t *prog_ids; /* programs' slots in soc_rules.prog_names (borrowed from the set) */
  uint32_t facilities;      /* bit per facility code; 0: any */
  pattern *all, *any, *none;
  size_t nall, nany, nnone;
  capmap *caps;
  size_t ncaps;
  cond *where;
  size_t nwhere;
  int anchored;
  int rewrites_anchor; /* a capture writes a field an automaton scans */
  int rewrites_memo;   /* a capture writes a field a shared regex reads */
  /* Sigma rules: patterns of the where tree one of which every match
   * satisfies (borrowed from the tree; the array is owned). When set they
   * are the rule's anchor instead of all/any. */
  const pattern **req;
  size_t nreq;
  char *level;  /* owned; Sigma's level, "" for our rules */
  char *author; /* owned; Sigma's author, "" for our rules */
  int sigma;
  char *sigma_name;                     /* owned; Sigma's `name`, NULL when none */
  const struct sigma_source *sigma_src; /* Sigma: its logsource's mapping */
  const soc_rule *match_of; /* Sigma correlation: matches what this rule (same set) matches */
  int silent;               /* Sigma: a correlation uses it with generate: false */
  int generate;             /* Sigma: a correlation uses it with generate: true (outranks silent) */

  /* correlate */
  int has_corr;
  soc_rule_correlate corr;
  char **group_by;
  char *distinct;
  char *after_id;           /* resolved into corr.after once every file is in */
  const soc_rule **members; /* Sigma temporal: corr.members (borrowed rules; owned array) */
  char ***member_group_by;  /* corr.member_group_by: owned, nmember_group_by x ngroup_by */
  char **member_distinct;   /* corr.member_distinct: owned, nmember_group_by; NULL: none */
  size_t nmember_group_by;
  unsigned after_line, after_col;
  /* The names incident and corr list, resolved (owned; the public structs
   * borrow them), each array as long as its names' (build_set makes them). */
  soc_rules_field **asset_from_f, **triage_by_f, **group_by_f, *distinct_f;
  soc_rules_field ***member_group_by_f, **member_distinct_f;
};

/* One Aho-Corasick automaton over the literals of one subject field, as a
 * DFA: bytes are first mapped to classes (ASCII letters folded, bytes that
 * occur in no literal share class 0), so a row is ncls entries. An entry is
 * the next state's row offset less out_from. The states that end a literal
 * (their own or one of their suffixes') are numbered last, from out_from
 * on, so an entry is negative unless its state ends one: the scan tells an
 * output by a sign, four parts' at once by one AND, with no mask on its
 * chain of loads. */
typedef struct ac_auto {
  fref field;
  uint8_t cls[256];
  uint32_t ncls;
  uint32_t nstates;
  uint32_t nliterals; /* distinct literals: states with their own output */
  uint32_t out_from;  /* row offset of the first state that ends a literal */
  uint64_t row_magic; /* row offset -> state by a multiply (rules_match.c row_state) */
  int32_t *delta;     /* nstates * ncls: row offsets less out_from */
  uint8_t *depth;     /* per state: bytes of its literals' prefix (at most RULES_LIT_MAX) */
  /* per state: its range in out_rules, the ids of every literal that ends
   * in it (its own and its suffixes'), ascending: out_nrules rules, then
   * the patterns' pids (rules_match.c ac_flatten) */
  uint32_t *out_start;
  uint32_t *out_count;
  uint32_t *out_nrules;
  uint32_t *out_rules;
} ac_auto;

/* An extra field's name and the automaton that scans it. */
typedef struct ac_ref {
  const char *name; /* NULL: an empty slot; borrowed from the set */
  soc_event_key key;
  uint32_t ac;
} ac_ref;

struct soc_rules {
  soc_rule **rules;
  size_t n;
  soc_rule **by_id; /* sorted by id, for soc_rules_find */
  ac_auto *ac;
  size_t nac;
  /* Automata of extra fields are found from the event's extras through
   * this table (by name hash, open addressing, ac index + 1; 0 empty), so
   * a set with automata for hundreds of names an event mostly lacks does
   * not look each of them up on every line. */
  struct ac_ref *ac_extra;
  size_t ac_extra_cap; /* a power of two, or 0 */
  size_t nac_extra;    /* names in it: none, and no line walks its extras */
  uint32_t *ac_plain;  /* the other automata, by index */
  size_t nac_plain;
  uint32_t *unanchored; /* rule indexes evaluated on every line, ascending */
  size_t nunanchored;
  uint32_t max_groups; /* the most capture groups of any regex, for match data */
  size_t max_caps;
  size_t npid;  /* patterns with a pid: marked after the rules in soc_match_ctx */
  size_t nmemo; /* memo slots of regexes written more than once */
  /* Every rule's `program` names, each once, by rules_match.c prog_hash
   * (open addressing; name NULL: empty): a line's process.name is looked
   * up once and each rule's filter compares slots, not strings. */
  struct prog_slot {
    const char *name; /* borrowed from a rule */
    size_t len;
  } * prog_names;
  size_t prog_cap;    /* a power of two, or 0 when no rule has a program */
  uint32_t *prog_ids; /* the rules' prog_ids, one after the other */
};

/* rules.c: resolves a field name (checked syntax) into *out; -EINVAL for a
 * bad name, -ENOMEM. probe is a scratch event. */
int soc_rules_fref_resolve(const char *name, soc_event *probe, fref *out);
void soc_rules_fref_release(fref *f);

/* rules_match.c: builds rules->ac and rules->unanchored from the rules'
 * literals (soc_rules_pattern_literals below). Returns 0, -ENOMEM or -E2BIG. */
int soc_rules_build_automata(soc_rules *rules);
void soc_rules_free_automata(soc_rules *rules);
/* What the prefilter's pass of automaton rules->ac[ac] over text p marks:
 * the rule indexes and pids, ascending, into ids (room for rules->n +
 * rules->npid); returns their number. ctx is of rules. For the tests,
 * which hold it to a plain walk of the automaton from every byte. */
size_t soc_rules_scan_ids(soc_match_ctx *ctx, size_t ac, const uint8_t *p, size_t n, uint32_t *ids);

/* The literals at least one of which every subject that pattern p matches
 * contains, ASCII-folded, each at most RULES_LIT_MAX bytes; n == 0 when
 * none is known. Set size is capped: more alternatives count as none. */
#define RULES_LITSET_MAX 8
typedef struct litset {
  size_t n;
  size_t len[RULES_LITSET_MAX];
  char lit[RULES_LITSET_MAX][RULES_LIT_MAX];
} litset;
void soc_rules_pattern_literals(const pattern *p, litset *out);

/* Whether rule r is anchored (the automaton can skip it). When it is not,
 * *blame is the first regex of any/all without a literal (NULL when the
 * rule has no positive pattern at all), for the loader's warning. */
int soc_rules_rule_anchor_blame(const soc_rule *r, const pattern **blame);

/* rules.c: frees what c owns (not c itself). */
void soc_rules_cond_release(cond *c);
/* rules.c: frees a rule and everything it owns; NULL is a no-op. */
void soc_rules_rule_free(soc_rule *r);
/* rules.c: "192.0.2.0/24", "2001:db8::/32" or a bare address into *out
 * (IPv4 as v4-mapped IPv6); -EINVAL otherwise. */
int soc_rules_parse_net(const char *s, cidr_net *out);
/* rules.c: compiles p->text as a PCRE2 regex (UTF, caseless when
 * p->nocase, plus extra options) and JITs it. 0, or -EINVAL with the
 * reason in err. */
int soc_rules_regex_compile(pattern *p, uint32_t extra, char *err, size_t errlen);

/* sigma.c: finds a loaded rule by Sigma id or name, for correlations. */
typedef soc_rule *(*rules_sigma_lookup)(void *arg, const char *name);

/* sigma.c: compiles one Sigma correlation document, whose rules are found
 * through lookup (and marked silent unless it says generate: true). As
 * soc_rules_sigma_compile otherwise. */
int soc_rules_sigma_compile_correlation(const soc_ynode *root, const char *file, soc_diag *diag,
                                        const soc_sigma_opts *opts, rules_sigma_lookup lookup,
                                        void *arg, soc_rule **out, int *reason);

/* sigma.c: compiles one Sigma rule document (docs/SIGMA.md), with the
 * operator's tables (opts, may be NULL). *out is the
 * rule, or NULL when it is refused: then a warning with the reason is in
 * diag and *reason says which (SOC_SIGMA_*). Returns 0 or -ENOMEM. */
int soc_rules_sigma_compile(const soc_ynode *root, const char *file, soc_event *probe,
                            soc_diag *diag, const soc_sigma_opts *opts, soc_rule **out,
                            int *reason);

/* RFC 5424 facility keywords by code, as event.c writes them. */
extern const char *const soc_rules_facility_names[24];

#endif
