/*
 * sigma_internal — the field mapping that sigma.c compiles Sigma rules
 * with (sigma_map.c holds it as data): which of our events a Sigma
 * logsource means, and where in those events a Sigma field is.
 */
#ifndef SOC_SIGMA_INTERNAL_H
#define SOC_SIGMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "soc/event.h"

typedef enum {
  SIGMA_SRC_SYSLOG,  /* Linux syslog lines: keywords search message */
  SIGMA_SRC_WEB,     /* HTTP transactions: the pcap input's, access-log lines */
  SIGMA_SRC_WINDOWS, /* Windows events taken in as JSON (format: json) */
  SIGMA_SRC_AUDITD,  /* Linux audit records (format: auditd) */
} sigma_src_kind;

/* Every event of the logsource satisfies all that is set here. */
typedef struct sigma_source {
  const char *name; /* "windows/process_creation", for messages */
  sigma_src_kind kind;
  const char *const *programs;  /* process.name is one of these; NULL: any */
  uint32_t facilities;          /* bit per syslog facility; 0: any */
  const char *const *datasets;  /* event.dataset is one of these; NULL: any */
  const char *const *channels;  /* Windows Channel is one of these (ASCII case ignored) */
  const char *const *event_ids; /* Windows EventID is one of these */
} sigma_source;

/* The source a Sigma logsource (any part may be NULL) means, or NULL when
 * no input of ours provides it. */
const sigma_source *soc_sigma_map_source(const char *product, const char *category,
                                         const char *service);

#define SIGMA_FIELD_ALTS 5
/* The event fields (one per event shape we accept, at most
 * SIGMA_FIELD_ALTS) that the Sigma field name maps to for source s, written
 * into out[i] (SOC_EVENT_KEY_MAX + 1 bytes each). keywords: field is NULL
 * (the full-text field). Returns how many, 0 when there is no mapping. */
size_t soc_sigma_map_field(const sigma_source *s, const char *field,
                           char out[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1]);

#endif
