/*
 * level — the incident-level classifier of the guideline's §2.3.
 *
 * A pure function: no I/O, no allocation, no global state. Each impact is
 * levelled on its own by the table below (SPEC.md), and an incident's level
 * is the highest that any one of its impacts reaches; every impact's clause
 * is kept, so a person can see why.
 *
 *   impact               level 4         level 3              level 2                 level 1
 *   leak                 national secret classified/sensitive general data, core/CII  general,
 * non-core tamper, severe       CII             core                 non-core                -
 *   tamper, minor        -               CII                  core                    non-core
 *   outage > tolerable   CII             core                 non-core                -
 *   outage <= tolerable  -               CII                  core                    non-core
 *
 * "Restored within the tolerable downtime" includes the boundary: an outage
 * of exactly the tolerable downtime is within it. An outage still going on is
 * levelled by its duration so far, so re-running the classifier as the clock
 * passes the tolerable downtime re-levels it upward.
 */
#ifndef SOC_LEVEL_H
#define SOC_LEVEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  SOC_IMPACT_NONE = 0,
  SOC_IMPACT_LEAK,   /* 洩漏 */
  SOC_IMPACT_TAMPER, /* 竄改 */
  SOC_IMPACT_OUTAGE, /* 運作遭影響或系統停頓 */
} soc_impact_kind;

typedef enum {
  SOC_TIER_NONE = 0,
  SOC_TIER_NON_CORE, /* 非核心業務 */
  SOC_TIER_CORE,     /* 核心業務 */
  SOC_TIER_CII,      /* 關鍵資訊基礎設施 */
} soc_tier;

typedef enum {
  SOC_DATA_NONE = 0,
  SOC_DATA_GENERAL,         /* 一般資料 */
  SOC_DATA_SENSITIVE,       /* 敏感 */
  SOC_DATA_CLASSIFIED,      /* 密級 */
  SOC_DATA_NATIONAL_SECRET, /* 國家機密 */
} soc_data_class;

typedef enum {
  SOC_SEVERITY_NONE = 0,
  SOC_SEVERITY_MINOR,  /* 輕微 */
  SOC_SEVERITY_SEVERE, /* 嚴重 */
} soc_severity;

typedef struct soc_impact {
  soc_impact_kind kind;
  soc_tier tier;             /* all kinds */
  soc_data_class data_class; /* leak only */
  soc_severity severity;     /* tamper only */
  int64_t outage_seconds;    /* outage only: duration so far, >= 0 */
  int64_t tolerable_seconds; /* outage only: the asset's tolerable downtime, >= 0 */
} soc_impact;

/* One clause of §2.3 that decided a level. Static storage, never freed. */
typedef struct soc_level_clause {
  int level;           /* 1..4 */
  const char *ref;     /* e.g. "§2.3(二)2" */
  const char *text;    /* English, e.g. "core business system severely tampered" */
  const char *text_zh; /* the guideline's words */
} soc_level_clause;

#define SOC_LEVEL_MAX_IMPACTS 16

typedef struct soc_level_result {
  int level;                                              /* 1..4: the highest */
  size_t n;                                               /* == number of impacts */
  const soc_level_clause *clauses[SOC_LEVEL_MAX_IMPACTS]; /* one per impact, same order */
} soc_level_result;

/* Levels one impact. Returns the level 1..4 and sets *clause, or -EINVAL if
 * the impact lacks what its kind needs (a tier; a data class for a leak; a
 * severity for tampering; non-negative durations for an outage). Fields that
 * the kind does not use are ignored. clause may be NULL; on error *clause is
 * set to NULL. */
int soc_level_of(const soc_impact *impact, const soc_level_clause **clause);

/* Levels n impacts (1 <= n <= SOC_LEVEL_MAX_IMPACTS). Returns the overall
 * level, or -EINVAL (out is then zeroed) if any impact is invalid. */
int soc_level_classify(const soc_impact *impacts, size_t n, soc_level_result *out);

/* Names used in config files, rules and the CLI ("leak", "tamper",
 * "outage"; "cii", "core", "non-core"; "national-secret", "classified",
 * "sensitive", "general"; "minor", "severe"). Parsers return the NONE value
 * for an unknown name. Parsing ignores ASCII case and takes '_' for '-';
 * "noncore" is also a non-core tier. Name functions return "none" for the
 * NONE value and "unknown" for a value outside the enum, never NULL. */
soc_impact_kind soc_impact_kind_parse(const char *s);
soc_tier soc_tier_parse(const char *s);
soc_data_class soc_data_class_parse(const char *s);
soc_severity soc_severity_parse(const char *s);
const char *soc_impact_kind_name(soc_impact_kind k);
const char *soc_tier_name(soc_tier t);
const char *soc_data_class_name(soc_data_class c);
const char *soc_severity_name(soc_severity s);

#endif
