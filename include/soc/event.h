/*
 * event — one normalised event, named in Elastic Common Schema (ECS) terms,
 * and its JSON form.
 *
 * Inputs fill an event from a log line, a syslog message or a flow; rules
 * read it; the forwarder ships its JSON. Field names are ECS names, so the
 * technical center's tools (Elastic, OpenSearch, Wazuh, Splunk) read the
 * JSON without a mapping. Dotted names become nested objects:
 * host.name = "a" is written {"host":{"name":"a"}}.
 *
 * Everything that goes in is copied, and every copy is text (see utf8.h):
 * bytes that are not valid UTF-8, and NUL bytes, are replaced by U+FFFD and
 * the event is flagged SOC_EVENT_INVALID_UTF8. Nothing raw ever reaches the
 * JSON. Every value has a size cap and the event as a whole has a byte
 * budget, so that one hostile line cannot make an event, or its JSON, grow
 * without bound; whatever is cut or dropped is flagged too. The flags are
 * written into the JSON as tags ("invalid_utf8", "truncated",
 * "fields_dropped"), so the center sees them.
 *
 * Ownership: a soc_event owns copies of every string given to it; strings
 * it returns are owned by it and stay valid until the field is set again,
 * or the event is reset or freed. A soc_event is not thread-safe.
 */
#ifndef SOC_EVENT_H
#define SOC_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* The ECS fields an event knows by name. Strings unless marked. */
typedef enum {
  SOC_ECS_EVENT_KIND,
  SOC_ECS_EVENT_CATEGORY,
  SOC_ECS_EVENT_TYPE,
  SOC_ECS_EVENT_ACTION,
  SOC_ECS_EVENT_OUTCOME,
  SOC_ECS_EVENT_SEVERITY, /* integer */
  SOC_ECS_EVENT_DATASET,
  SOC_ECS_EVENT_MODULE,
  SOC_ECS_EVENT_ORIGINAL,
  SOC_ECS_HOST_NAME,
  SOC_ECS_HOST_IP,          /* IPv4 or IPv6 address */
  SOC_ECS_SOURCE_IP,        /* IPv4 or IPv6 address */
  SOC_ECS_SOURCE_PORT,      /* integer 0..65535 */
  SOC_ECS_DESTINATION_IP,   /* IPv4 or IPv6 address */
  SOC_ECS_DESTINATION_PORT, /* integer 0..65535 */
  SOC_ECS_USER_NAME,
  SOC_ECS_PROCESS_NAME,
  SOC_ECS_PROCESS_PID, /* integer >= 0 */
  SOC_ECS_MESSAGE,
  SOC_ECS_LOG_FILE_PATH,
  SOC_ECS_LOG_OFFSET,               /* integer >= 0 */
  SOC_ECS_LOG_SYSLOG_FACILITY_CODE, /* integer 0..23; the name is added */
  SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, /* integer 0..7; the name is added */
  SOC_ECS_LOG_SYSLOG_HOSTNAME,
  SOC_ECS_LOG_SYSLOG_APPNAME,
  SOC_ECS_LOG_SYSLOG_PROCID,
  SOC_ECS_LOG_SYSLOG_MSGID,
  SOC_ECS_LOG_SYSLOG_VERSION,
  SOC_ECS_NETWORK_TRANSPORT,
  SOC_ECS_NETWORK_PROTOCOL,
  SOC_ECS_NETWORK_DIRECTION,
  SOC_ECS_NETWORK_TYPE,
  SOC_ECS_NETWORK_COMMUNITY_ID,
  SOC_ECS_NETWORK_BYTES,   /* integer >= 0 */
  SOC_ECS_NETWORK_PACKETS, /* integer >= 0 */
  SOC_ECS_RULE_ID,
  /* What the agent writes on every event, known by name so that setting
   * them costs no name lookup. */
  SOC_ECS_EVENT_INGESTED, /* RFC 3339, when the agent read the line */
  SOC_ECS_AGENT_ID,
  SOC_ECS_AGENT_NAME,
  SOC_ECS_AGENT_TYPE,
  SOC_ECS_AGENT_VERSION,
  SOC_ECS_ORGANIZATION_NAME,
  SOC_ECS_LOG_SOURCE_ADDRESS, /* the sender, "address:port" */
  SOC_ECS_COUNT
} soc_ecs_field;

/* The ECS version whose names we use; written as ecs.version. */
#define SOC_ECS_VERSION "8.11.0"

/* Caps. A value longer than SOC_EVENT_VALUE_MAX bytes (after repair) is
 * cut at a character boundary. All values, extra keys and tags together
 * stay within SOC_EVENT_BYTES_MAX, which keeps the JSON (at most 6 bytes per
 * stored byte, for \u00XX escapes, plus the structure) under the 1 MB that
 * Kafka brokers accept by default. */
#define SOC_EVENT_VALUE_MAX (64 * 1024)
#define SOC_EVENT_BYTES_MAX (128 * 1024)
#define SOC_EVENT_EXTRA_MAX 64   /* extra fields */
#define SOC_EVENT_KEY_MAX 128    /* bytes in an extra field's dotted key */
#define SOC_EVENT_TAG_MAX 32     /* tags, not counting the flag tags */
#define SOC_EVENT_SD_MAX 64      /* syslog structured-data parameters */
#define SOC_EVENT_SD_NAME_MAX 64 /* bytes in an SD-ID or a parameter name */
/* The longest JSON any event can have, with its NUL: every stored byte
 * escaped to six, plus the names and punctuation. A buffer this size never
 * gets -ENOSPC from soc_event_write_json. */
#define SOC_EVENT_JSON_MAX (6 * SOC_EVENT_BYTES_MAX + 64 * 1024)

/* event.id: lower-case hex, see soc_event_make_id. */
#define SOC_EVENT_ID_LEN 32
/* Longest id that soc_event_set_id accepts. */
#define SOC_EVENT_ID_MAX 64
/* Longest agent id or source id that soc_event_make_id accepts. */
#define SOC_EVENT_ID_INPUT_MAX 1024
/* Room for "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" and its NUL. */
#define SOC_EVENT_TIME_BUF 32
/* The length of what soc_event_format_time writes with digits digits. */
#define SOC_EVENT_TIME_LEN(digits) (20 + ((digits) ? 1 + (digits) : 0))

/* Flags that record what was done to make the input fit. */
#define SOC_EVENT_INVALID_UTF8 (1u << 0) /* some bytes became U+FFFD */
#define SOC_EVENT_TRUNCATED (1u << 1)    /* some value was cut */
#define SOC_EVENT_DROPPED (1u << 2)      /* some field or tag did not fit */

typedef struct soc_event soc_event;

/* Returns NULL when out of memory. */
soc_event *soc_event_new(void);
/* NULL is a no-op. */
void soc_event_free(soc_event *ev);
/* Clears every field and flag, so one event can be refilled per line. */
void soc_event_reset(soc_event *ev);
/* soc_event_reset, but string field f stays when ev holds exactly
 * v[0..len) there: what soc_event_set_str(ev, f, v, len) on the reset
 * event would leave, for a v the caller knows f takes as it is (valid
 * UTF-8, an address where f is one, len <= SOC_EVENT_VALUE_MAX): a
 * stream's constant field, set again for every line, is compared instead
 * of copied and checked. Returns 1 when f stayed, else 0 (f is unset, and
 * the caller sets it). */
int soc_event_reset_keeping(soc_event *ev, soc_ecs_field f, const char *v, size_t len);

/* The ECS name of f ("host.name"); NULL for an f out of range. */
const char *soc_ecs_field_name(soc_ecs_field f);
/* The field called name, or -ENOENT when it is not one of soc_ecs_field. */
int soc_ecs_field_lookup(const char *name);

/* @timestamp, in nanoseconds since the Unix epoch, UTC. */
void soc_event_set_time(soc_event *ev, int64_t ns);
/* Returns 0 and the time, or -ENOENT when none was set. */
int soc_event_get_time(const soc_event *ev, int64_t *ns /* OUT */);

/* Writes ns as RFC 3339 in UTC ("2024-05-01T08:30:00.123456Z") with
 * digits = 0, 3, 6 or 9 fractional digits into buf. Returns 0, -EINVAL for
 * other digits, -ENOSPC when buflen < SOC_EVENT_TIME_BUF, -ERANGE for a
 * year outside 0000..9999. */
int soc_event_format_time(int64_t ns, unsigned digits, char *buf, size_t buflen);

/* Derives the deterministic event.id from where the event came from:
 * agent_id (this agent), source_id (one input's stable id, e.g. a file's
 * identity) and position (the event's offset or sequence number in that
 * source). A replay after a crash yields the same id, so the collector can
 * drop the duplicate. out receives SOC_EVENT_ID_LEN hex digits and a NUL.
 * Returns 0, -EINVAL for NULL or over-long (> SOC_EVENT_ID_INPUT_MAX)
 * inputs, -EIO when hashing fails. */
int soc_event_make_id(const char *agent_id, const char *source_id, uint64_t position,
                      char out[SOC_EVENT_ID_LEN + 1]);
/* The ids of one (agent, source) at many positions, as soc_event_make_id
 * makes them, each hashing only from its position on (soc_sha256_prefix).
 * NULL for the inputs soc_event_make_id refuses, or out of memory. Not
 * thread-safe: its owner's. make returns 0 or -EIO. */
typedef struct soc_event_ids soc_event_ids;
soc_event_ids *soc_event_ids_new(const char *agent_id, const char *source_id);
int soc_event_ids_make(soc_event_ids *g, uint64_t position, char out[SOC_EVENT_ID_LEN + 1]);
/* Sets ev's event.id to what soc_event_ids_make gives for position, made
 * in place (hex needs no check). 0, -EINVAL for NULL, or -EIO (ev's id
 * then unchanged). */
int soc_event_ids_set(soc_event_ids *g, uint64_t position, soc_event *ev);
void soc_event_ids_free(soc_event_ids *g);
/* Sets event.id: 1..SOC_EVENT_ID_MAX characters of [A-Za-z0-9._:-], else
 * -EINVAL. */
int soc_event_set_id(soc_event *ev, const char *id);
/* event.id, or NULL when none was set. */
const char *soc_event_get_id(const soc_event *ev);

/* Sets the string field f from value[0..len) (value need not be
 * NUL-terminated; it may be NULL when len is 0). The copy is repaired and
 * capped as described above. Returns 0 (also when the value had to be
 * repaired or cut: see soc_event_flags), -EINVAL when f is not a string
 * field or an IP field gets something that is not an address, -ENOSPC when
 * the event's byte budget is used up (the field is then left unset and the
 * event flagged SOC_EVENT_DROPPED), -ENOMEM. */
int soc_event_set_str(soc_event *ev, soc_ecs_field f, const char *value, size_t len);
/* 1 when soc_event_set_str takes value[0..len) into f on an event with room
 * for it and memory to spare (any text for a string field, an address for
 * an IP field), else 0: the check without the copy. */
int soc_event_str_takes(soc_ecs_field f, const char *value, size_t len);
/* soc_event_set_str for a value that soc_event_str_takes took for f (and
 * not changed since): the address check is not made again. */
int soc_event_set_str_taken(soc_event *ev, soc_ecs_field f, const char *value, size_t len);
/* Sets the integer field f. Returns 0, or -EINVAL when f is not an integer
 * field or value is outside its range. */
int soc_event_set_int(soc_event *ev, soc_ecs_field f, int64_t value);
/* The string field f, or NULL when it is unset or not a string field. */
const char *soc_event_get_str(const soc_event *ev, soc_ecs_field f);
/* soc_event_get_str with its length (strlen of it: a value holds no NUL),
 * for a reader that needs both. OUT: *len, 0 with NULL. */
const char *soc_event_get_strn(const soc_event *ev, soc_ecs_field f, size_t *len);
/* Returns 0 and the integer field f, or -ENOENT when it is unset or not an
 * integer field. */
int soc_event_get_int(const soc_event *ev, soc_ecs_field f, int64_t *value /* OUT */);

/* Sets a field by its dotted name, for parsers and rules that add fields
 * we do not know in advance. A name of soc_ecs_field goes to that field (an
 * integer field takes a decimal number); any other name becomes an extra
 * string field. An extra's name is 1..SOC_EVENT_KEY_MAX bytes of segments
 * of [A-Za-z0-9_-] joined by single dots, and must not clash with the
 * nesting of another field: with host.name known, "host" and
 * "host.name.x" are refused, "host.domain" is fine. Setting an extra again
 * replaces its value. Returns as soc_event_set_str; also -EINVAL for a bad
 * or clashing name, -ENOSPC past SOC_EVENT_EXTRA_MAX extras (flagged
 * SOC_EVENT_DROPPED). */
int soc_event_set(soc_event *ev, const char *name, const char *value, size_t len);
/* The string value of the field or extra called name, or NULL when it is
 * unset or an integer field. */
const char *soc_event_get(const soc_event *ev, const char *name);

/* An extra's name checked once, for a reader that asks for the same
 * names on every event (rules), or a parser that sets them on every line:
 * the _keyed calls then skip the check. */
typedef struct soc_event_key {
  uint32_t hash;
  uint32_t len;
  uint32_t rank; /* where the JSON writer puts it among the known fields */
  uint32_t form; /* its JSON key made once (soc_event_key_to_set); 0 for none */
} soc_event_key;
/* Writes v in decimal, as the JSON writer writes integer fields, and a NUL
 * into buf, which needs room for the digits, a '-' and the NUL
 * (SOC_EVENT_DECIMAL_MAX for any v); returns the length, as snprintf's
 * "%lld" would. */
#define SOC_EVENT_DECIMAL_MAX 21
size_t soc_event_decimal(int64_t v, char *buf);
/* Returns 0 and *k when name is one an extra may have, else -EINVAL. */
int soc_event_key_of(const char *name, soc_event_key *k);
/* soc_event_key_of for a parser's constant names that it sets on every
 * line: the key also carries the name's JSON key, made here once, so that
 * the writer copies it instead of writing it a byte at a time. The keys
 * made so live as long as the process, in a table of a few hundred: past
 * it a key has none (and works as soc_event_key_of's). */
int soc_event_key_to_set(const char *name, soc_event_key *k);
/* soc_event_get(ev, name) for a name that soc_event_key_of accepted as k. */
const char *soc_event_get_keyed(const soc_event *ev, const char *name, const soc_event_key *k);
/* soc_event_set and soc_event_set_json for such a name (an extra's, never
 * a known field's); they return as those do. */
int soc_event_set_keyed(soc_event *ev, const char *name, const soc_event_key *k, const char *value,
                        size_t len);
int soc_event_set_json_keyed(soc_event *ev, const char *name, const soc_event_key *k,
                             const char *json, size_t len);
/* soc_event_set_json_keyed with v written as soc_event_decimal writes it,
 * without checking the text it makes. */
int soc_event_set_int_keyed(soc_event *ev, const char *name, const soc_event_key *k, int64_t v);

/* The i-th extra field, for a reader that looks at every one (the rules'
 * prefilter): its name, and its value as soc_event_get gives it; *k is
 * what soc_event_key_of gives for the name, with the extra's JSON key when
 * it was set with one. NULL past the end. */
const char *soc_event_extra_at(const soc_event *ev, size_t i, const char **value, soc_event_key *k);

/* Sets the extra field called name (not a known field's name) to a JSON
 * value written as it is: a number, an array (dns.answers,
 * tls.client.supported_protocols), an object. json[0..len) must parse,
 * hold no floating point, and fit whole in SOC_EVENT_VALUE_MAX and the
 * event's budget: JSON is never cut. Strings in it are repaired like
 * other values. Returns 0, -EINVAL for a bad name or bad JSON, -E2BIG,
 * -ENOSPC (flagged SOC_EVENT_DROPPED), -ENOMEM. soc_event_get returns the
 * JSON text. */
int soc_event_set_json(soc_event *ev, const char *name, const char *json, size_t len);

/* Adds the fields of a JSON object as soc_event_write_json writes them
 * (nested objects become dotted names, strings and known integer fields
 * go where they belong, other values through soc_event_set_json, "tags"
 * become tags). @timestamp, ecs.version and event.id are left out: the
 * caller sets time and id. For events kept as JSON (the journal's
 * pre-built events). Returns 0, -EINVAL when json is not an object,
 * -ENOMEM; fields that do not fit are dropped and flagged as usual. */
int soc_event_from_json(soc_event *ev, const char *json, size_t len);

/* Adds a tag (text, 1..SOC_EVENT_KEY_MAX bytes after repair; longer is
 * cut). A tag already present is not added twice. Returns 0, -EINVAL for an
 * empty tag, -ENOSPC past SOC_EVENT_TAG_MAX tags (flagged
 * SOC_EVENT_DROPPED), -ENOMEM. */
int soc_event_add_tag(soc_event *ev, const char *tag, size_t len);

/* Adds one RFC 5424 structured-data parameter, written as
 * log.syslog.structured_data.<sd_id>.<name> = value. IDs and names are
 * repaired like values and cut at SOC_EVENT_SD_NAME_MAX bytes. A repeated
 * (sd_id, name) pair keeps the last value. Returns 0, -EINVAL for an empty
 * id or name, -ENOSPC past SOC_EVENT_SD_MAX parameters or the byte budget
 * (flagged SOC_EVENT_DROPPED), -ENOMEM. */
int soc_event_add_sd_param(soc_event *ev, const char *sd_id, size_t id_len, const char *name,
                           size_t name_len, const char *value, size_t value_len);

/* Makes dst a copy of src: fields, extras, tags, parameters, flags, time
 * and id. For a caller that starts many events from the same fields:
 * copying them skips the checks that setting them anew would repeat.
 * Returns 0, -EINVAL for NULL, -ENOMEM (dst is then left reset). */
int soc_event_copy(soc_event *dst, const soc_event *src);

/* Makes t a template for many events (the forwarder's fields of a stream):
 * the JSON of its fields is written once, here, in runs of fields that sort
 * next to each other, and so are its extras' keys (as
 * soc_event_key_to_set makes them); soc_event_write_json of a copy of t
 * (soc_event_copy) copies a run's bytes where the copy still has exactly
 * those fields as t had them and nothing of its own sorts among them; else
 * it writes them as always. The bytes are the same either way. A field of
 * t or of a copy set again afterwards is simply written anew; a reset
 * forgets it all. The copy keeps its own copy of the runs, and a copy of t
 * made onto it again skips the fields it has not set since. Returns 0,
 * -EINVAL for NULL, -ENOMEM (t then has no runs, and is otherwise whole). */
int soc_event_template(soc_event *t);

/* SOC_EVENT_* flags of what was repaired, cut or dropped so far. */
unsigned soc_event_flags(const soc_event *ev);

/* The bytes ev's budget (SOC_EVENT_BYTES_MAX) has left: values that add up
 * to no more, after repair, are all kept whole whatever their order. */
size_t soc_event_room(const soc_event *ev);

/* The event as one line of JSON (no newline), NUL-terminated.
 * OUT: *json, owned by the caller, free() it. *len (may be NULL), its length.
 * Returns 0, -EINVAL when @timestamp is unset, -ENOMEM. */
int soc_event_to_json(const soc_event *ev, char **json, size_t *len);

/* The same JSON written into buf[0..cap), NUL-terminated, without
 * allocating: for a caller that serialises one event after another into a
 * buffer it keeps. OUT: *len (may be NULL), the length without the NUL.
 * Returns 0, -EINVAL when @timestamp is unset or buf is NULL, -ENOSPC when
 * cap is too small (buf then holds no usable JSON; SOC_EVENT_JSON_MAX is
 * always enough). */
int soc_event_write_json(const soc_event *ev, char *buf, size_t cap, size_t *len);

#endif
