/*
 * level — the incident-level classifier of §2.3 (資安事件影響等級).
 *
 * The guideline states each level as a list of clauses, and SPEC.md turns
 * them into a table of impact × tier. This file keeps both shapes visible:
 * first every clause of §2.3 as its own constant, with the guideline's
 * words beside an English text, then small rule tables laid out like the
 * SPEC table that pick a clause for an impact. A level is never computed
 * apart from its clause, so the reason shown to an analyst cannot disagree
 * with the number.
 *
 * Several clauses have two halves joined by 抑或 ("or else"), e.g. (二)2:
 * a core system severely tampered, or a CII system slightly tampered. Each
 * half is its own entry with the same ref, so that the text names the half
 * that actually applied rather than both.
 *
 * Everything here is constant data and pure functions: safe from any
 * thread, and the clause pointers handed out are valid forever.
 */
#include "soc/level.h"

#include <errno.h>
#include <string.h>

/* §2.3(一) 4級 */
static const soc_level_clause leak_secret = {4, "§2.3(一)1", "national secret data leaked",
                                             "國家機密資料遭洩漏"};
static const soc_level_clause tamper_cii_severe = {
    4, "§2.3(一)2", "critical information infrastructure system or data severely tampered",
    "關鍵資訊基礎設施系統或資料遭嚴重竄改"};
static const soc_level_clause outage_cii_beyond = {
    4, "§2.3(一)3",
    "critical information infrastructure operation affected or system halted, "
    "not restored within the tolerable downtime",
    "關鍵資訊基礎設施運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"};

/* §2.3(二) 3級 */
static const soc_level_clause leak_classified = {
    3, "§2.3(二)1", "classified or sensitive data leaked", "密級或敏感資料遭洩漏"};
static const soc_level_clause tamper_core_severe = {
    3, "§2.3(二)2", "core business system or data severely tampered",
    "核心業務系統或資料遭嚴重竄改"};
static const soc_level_clause tamper_cii_minor = {
    3, "§2.3(二)2", "critical information infrastructure system or data slightly tampered",
    "關鍵資訊基礎設施系統或資料遭輕微竄改"};
static const soc_level_clause outage_core_beyond = {
    3, "§2.3(二)3",
    "core business operation affected or system halted, "
    "not restored within the tolerable downtime",
    "核心業務運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"};
static const soc_level_clause outage_cii_within = {
    3, "§2.3(二)3",
    "critical information infrastructure operation affected or system halted, "
    "restored within the tolerable downtime",
    "關鍵資訊基礎設施運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"};

/* §2.3(三) 2級 */
static const soc_level_clause leak_general_core = {
    2, "§2.3(三)1",
    "general data of a core business (critical information infrastructure "
    "included) leaked",
    "核心業務（含關鍵資訊基礎設施）一般資料遭洩漏"};
static const soc_level_clause tamper_noncore_severe = {
    2, "§2.3(三)2", "non-core business system or data severely tampered",
    "非核心業務系統或資料遭嚴重竄改"};
static const soc_level_clause tamper_core_minor = {2, "§2.3(三)2",
                                                   "core business system or data slightly tampered",
                                                   "核心業務系統或資料遭輕微竄改"};
static const soc_level_clause outage_noncore_beyond = {
    2, "§2.3(三)3",
    "non-core business operation affected or system halted, "
    "not restored within the tolerable downtime",
    "非核心業務運作遭影響或系統停頓，無法於可容忍中斷時間內回復正常運作"};
static const soc_level_clause outage_core_within = {
    2, "§2.3(三)3",
    "core business operation affected or system halted, "
    "restored within the tolerable downtime",
    "核心業務運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"};

/* §2.3(四) 1級 */
static const soc_level_clause leak_general_noncore = {
    1, "§2.3(四)1", "general data of a non-core business leaked", "非核心業務一般資料遭洩漏"};
static const soc_level_clause tamper_noncore_minor = {
    1, "§2.3(四)2", "non-core business system or data slightly tampered",
    "非核心業務系統或資料遭輕微竄改"};
static const soc_level_clause outage_noncore_within = {
    1, "§2.3(四)3",
    "non-core business operation affected or system halted, "
    "restored within the tolerable downtime",
    "非核心業務運作遭影響或系統停頓，於可容忍中斷時間內回復正常運作"};

/* The rows of the SPEC table for tampering and outage. The NONE row and
 * column stay NULL; inputs are validated before they index here. */
static const soc_level_clause *const tamper_rules[SOC_SEVERITY_SEVERE + 1][SOC_TIER_CII + 1] = {
    [SOC_SEVERITY_SEVERE] = {[SOC_TIER_CII] = &tamper_cii_severe,
                             [SOC_TIER_CORE] = &tamper_core_severe,
                             [SOC_TIER_NON_CORE] = &tamper_noncore_severe},
    [SOC_SEVERITY_MINOR] = {[SOC_TIER_CII] = &tamper_cii_minor,
                            [SOC_TIER_CORE] = &tamper_core_minor,
                            [SOC_TIER_NON_CORE] = &tamper_noncore_minor},
};

enum { OUTAGE_WITHIN = 0, OUTAGE_BEYOND = 1 };

static const soc_level_clause *const outage_rules[2][SOC_TIER_CII + 1] = {
    [OUTAGE_BEYOND] = {[SOC_TIER_CII] = &outage_cii_beyond,
                       [SOC_TIER_CORE] = &outage_core_beyond,
                       [SOC_TIER_NON_CORE] = &outage_noncore_beyond},
    [OUTAGE_WITHIN] = {[SOC_TIER_CII] = &outage_cii_within,
                       [SOC_TIER_CORE] = &outage_core_within,
                       [SOC_TIER_NON_CORE] = &outage_noncore_within},
};

/* Enum values arrive from config files and callers' structs, so anything
 * outside the declared range is treated as missing, never used as an index. */
static int tier_valid(soc_tier t) { return t >= SOC_TIER_NON_CORE && t <= SOC_TIER_CII; }

/* The data class decides a leak; the tier matters only for general data,
 * which is why a national secret is level 4 even on a non-core system. */
static const soc_level_clause *leak_clause(soc_data_class c, soc_tier t) {
  switch (c) {
    case SOC_DATA_NATIONAL_SECRET:
      return &leak_secret;
    case SOC_DATA_CLASSIFIED:
    case SOC_DATA_SENSITIVE:
      return &leak_classified;
    case SOC_DATA_GENERAL:
      return t == SOC_TIER_NON_CORE ? &leak_general_noncore : &leak_general_core;
    case SOC_DATA_NONE:
      break;
  }
  return NULL;
}

int soc_level_of(const soc_impact *impact, const soc_level_clause **clause) {
  const soc_level_clause *c = NULL;

  if (clause) *clause = NULL;
  if (!impact || !tier_valid(impact->tier)) return -EINVAL;

  switch (impact->kind) {
    case SOC_IMPACT_LEAK:
      c = leak_clause(impact->data_class, impact->tier);
      break;
    case SOC_IMPACT_TAMPER:
      if (impact->severity == SOC_SEVERITY_MINOR || impact->severity == SOC_SEVERITY_SEVERE)
        c = tamper_rules[impact->severity][impact->tier];
      break;
    case SOC_IMPACT_OUTAGE:
      /* "Restored within the tolerable downtime" includes the boundary, so
       * only a duration strictly greater than it is beyond. */
      if (impact->outage_seconds >= 0 && impact->tolerable_seconds >= 0)
        c = outage_rules[impact->outage_seconds > impact->tolerable_seconds
                             ? OUTAGE_BEYOND
                             : OUTAGE_WITHIN][impact->tier];
      break;
    case SOC_IMPACT_NONE:
      break;
  }
  if (!c) return -EINVAL;
  if (clause) *clause = c;
  return c->level;
}

int soc_level_classify(const soc_impact *impacts, size_t n, soc_level_result *out) {
  if (!out) return -EINVAL;
  memset(out, 0, sizeof *out);
  if (!impacts || n == 0 || n > SOC_LEVEL_MAX_IMPACTS) return -EINVAL;

  for (size_t i = 0; i < n; i++) {
    int level = soc_level_of(&impacts[i], &out->clauses[i]);
    if (level < 0) {
      /* All or nothing: a half-filled result could be mistaken for a
       * lower level than the incident really has. */
      memset(out, 0, sizeof *out);
      return level;
    }
    if (level > out->level) out->level = level;
  }
  out->n = n;
  return out->level;
}

/* Names, indexed by enum value. Index 0 is the NONE value, which parsers
 * never return for a match: "none" is not a valid name in a config file. */
static const char *const kind_names[] = {
    [SOC_IMPACT_NONE] = "none",
    [SOC_IMPACT_LEAK] = "leak",
    [SOC_IMPACT_TAMPER] = "tamper",
    [SOC_IMPACT_OUTAGE] = "outage",
};
static const char *const tier_names[] = {
    [SOC_TIER_NONE] = "none",
    [SOC_TIER_NON_CORE] = "non-core",
    [SOC_TIER_CORE] = "core",
    [SOC_TIER_CII] = "cii",
};
static const char *const data_class_names[] = {
    [SOC_DATA_NONE] = "none",
    [SOC_DATA_GENERAL] = "general",
    [SOC_DATA_SENSITIVE] = "sensitive",
    [SOC_DATA_CLASSIFIED] = "classified",
    [SOC_DATA_NATIONAL_SECRET] = "national-secret",
};
static const char *const severity_names[] = {
    [SOC_SEVERITY_NONE] = "none",
    [SOC_SEVERITY_MINOR] = "minor",
    [SOC_SEVERITY_SEVERE] = "severe",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII-only case folding, so the locale cannot change what a config file
 * means; '_' equals '-' because YAML keys and CLI flags use either. */
static int name_eq(const char *s, const char *name) {
  for (;; s++, name++) {
    int a = (unsigned char)*s;
    if (a >= 'A' && a <= 'Z')
      a += 'a' - 'A';
    else if (a == '_')
      a = '-';
    if (a != (unsigned char)*name) return 0;
    if (a == '\0') return 1;
  }
}

static size_t name_index(const char *s, const char *const *names, size_t count) {
  if (!s) return 0;
  for (size_t i = 1; i < count; i++) {
    if (name_eq(s, names[i])) return i;
  }
  return 0;
}

/* Never NULL, so callers can print a corrupt value without checking. */
static const char *name_at(size_t i, const char *const *names, size_t count) {
  return i < count ? names[i] : "unknown";
}

soc_impact_kind soc_impact_kind_parse(const char *s) {
  return (soc_impact_kind)name_index(s, kind_names, COUNT(kind_names));
}

soc_tier soc_tier_parse(const char *s) {
  if (s && name_eq(s, "noncore")) return SOC_TIER_NON_CORE;
  return (soc_tier)name_index(s, tier_names, COUNT(tier_names));
}

soc_data_class soc_data_class_parse(const char *s) {
  return (soc_data_class)name_index(s, data_class_names, COUNT(data_class_names));
}

soc_severity soc_severity_parse(const char *s) {
  return (soc_severity)name_index(s, severity_names, COUNT(severity_names));
}

const char *soc_impact_kind_name(soc_impact_kind k) {
  return name_at((size_t)k, kind_names, COUNT(kind_names));
}

const char *soc_tier_name(soc_tier t) { return name_at((size_t)t, tier_names, COUNT(tier_names)); }

const char *soc_data_class_name(soc_data_class c) {
  return name_at((size_t)c, data_class_names, COUNT(data_class_names));
}

const char *soc_severity_name(soc_severity s) {
  return name_at((size_t)s, severity_names, COUNT(severity_names));
}
