/*
 * report_export — a report document (report.h) in the two other shapes
 * people need: a STIX 2.1 bundle for the threat-intelligence side of the
 * technical center, and the national form laid out step by step, in the
 * platform's order with its Chinese labels, for filing by hand when the
 * platform must be typed into (or is down and the form is read out on the
 * phone).
 *
 * STIX ids are UUIDv5: an SDO's from the report id and its role, an SCO's
 * (ipv4-addr ...) from its value in the namespace that STIX 2.1 gives, so
 * exporting the same report twice, or the same address from two reports,
 * gives the same ids and a consumer merges rather than duplicates.
 *
 * Ownership: r is borrowed; *out is malloc'd and owned by the caller.
 * Returns 0, -EINVAL (not a report document), -ENOMEM.
 */
#ifndef SOC_REPORT_EXPORT_H
#define SOC_REPORT_EXPORT_H

#include <json.h> /* libfastjson */
#include <stdint.h>

int soc_report_export_stix(fjson_object *r, char **out);
/* now_s: the time the clocks are shown against (0: not shown). */
int soc_report_export_text(fjson_object *r, int64_t now_s, char **out);

#endif
