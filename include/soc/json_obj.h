/*
 * json_obj — the two ways every document we build with libfastjson (draft
 * bodies, reports, alerts, decisions) adds a text and a time, so they all
 * write them alike.
 *
 * Ownership: o is borrowed and gains a new child; strings are copied.
 */
#ifndef SOC_JSON_OBJ_H
#define SOC_JSON_OBJ_H

#include <json.h> /* libfastjson */
#include <stdint.h>

/* o[k] = v ("" for NULL). */
void soc_json_add_str(fjson_object *o, const char *k, const char *v);
/* o[k] = the RFC 3339 UTC time of ns with milliseconds; nothing is added
 * when ns cannot be written as one. */
void soc_json_add_time(fjson_object *o, const char *k, int64_t ns);
/* The JSON object text holds (a stored body), or NULL when text is NULL or
 * holds anything else. Owned by the caller. */
fjson_object *soc_json_parse_object(const char *text);
/* A new array of the n strings of v (copied), owned by the caller. */
fjson_object *soc_json_strings(const char *const *v, size_t n);

#endif
