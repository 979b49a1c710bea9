/*
 * authority — the guideline's appendix (附件 主管機關列表): the 57
 * supervisory authorities by number and name. An agency's config names its
 * authority by number; unknown numbers are rejected.
 */
#ifndef SOC_AUTHORITY_H
#define SOC_AUTHORITY_H

#include <stddef.h>

typedef struct soc_authority {
  int number;       /* 1..57 */
  const char *name; /* the appendix's Chinese name */
} soc_authority;

#define SOC_AUTHORITY_COUNT 57

/* NULL for an unknown number. Static storage. */
const soc_authority *soc_authority_find(int number);
/* The i-th entry (0-based) in appendix order; NULL past the end. */
const soc_authority *soc_authority_at(size_t i);

#endif
