/*
 * center_topic — the name of the topic on which the technical center sends
 * its decisions to one agency's agents: <prefix>.center.<agency>
 * (docs/REPORTS.md). The collector produces there and the agent consumes
 * from there, so both sides compute the name with this one function.
 *
 * Kafka allows only [A-Za-z0-9._-] in topic names, and agency names are
 * free text (often Chinese), so the agency is encoded: letters, digits,
 * '.' and '-' stay as they are, '_' becomes "__", and every other byte
 * becomes '_' and two lowercase hex digits ("行政院" → "_e8_a1_8c_e6_94_bf_e9_99_a2").
 * The encoding is one-to-one, so two agencies never share a topic.
 */
#ifndef SOC_CENTER_TOPIC_H
#define SOC_CENTER_TOPIC_H

#include <stddef.h>

#define SOC_CENTER_TOPIC_MAX 249 /* Kafka's limit on a topic name */

/* Writes the topic name into out (cap bytes with the NUL). Returns its
 * length, -EINVAL for NULL or empty arguments, -ENAMETOOLONG when it would
 * pass SOC_CENTER_TOPIC_MAX or cap. */
int soc_center_topic(const char *prefix, const char *agency, char *out, size_t cap);

#endif
