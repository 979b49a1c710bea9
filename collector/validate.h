/*
 * validate — the collector's judgement of one Kafka message, as a pure
 * function: bytes and headers in, a verdict out. No Kafka, no SQLite, no
 * clock, so that the fuzzer can drive it alone and a unit test needs no
 * broker.
 *
 * Anything can be on the wire: a misconfigured agent, another program
 * writing to our topics, a hostile host inside an agency. A message is
 * accepted only when it is UTF-8 JSON, an object, no bigger than
 * SOC_COLLECTOR_MSG_MAX, names its agent in the body consistently with the
 * `agent.id` header, and (events) carries a well-formed event.id. Everything
 * else gets a reason, and the caller keeps it in quarantine; nothing here
 * can make the caller stop or crash.
 */
#ifndef SOC_COLLECTOR_VALIDATE_H
#define SOC_COLLECTOR_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "soc/audit.h"        /* SOC_AUDIT_HASH_HEX */
#include "soc/store_center.h" /* SOC_STORE_ID_LEN */

#define SOC_COLLECTOR_MSG_MAX (1u << 20) /* bigger messages are quarantined */
/* A message of events joined (soc/sign.h: up to 64 events, each within
 * SOC_COLLECTOR_MSG_MAX): bigger ones are quarantined whole. The agent
 * keeps its messages under message.max.bytes and 1 MiB. */
#define SOC_COLLECTOR_BATCH_MSG_MAX (16u << 20)
#define SOC_COLLECTOR_JSON_DEPTH 64 /* deeper nesting is not JSON we accept */
#define SOC_COLLECTOR_AGENT_MAX 64  /* agent ids: config.c's rule */
#define SOC_COLLECTOR_HOST_MAX 255
#define SOC_COLLECTOR_TS_MAX 63
#define SOC_COLLECTOR_TEXT_MAX 255 /* agency, version, broker */
#define SOC_COLLECTOR_SCHEMA "1"   /* the schema.version we read */
/* A heartbeat's socagent.forward.broker_rtt_ms above this is refused: the
 * agent reads it from librdkafka's statistics, which only measure requests
 * that were answered, and librdkafka gives up on a request after
 * socket.timeout.ms, at most 300,000 ms. An hour leaves room for a future
 * librdkafka and still refuses what no link produces: a broken or hostile
 * sender. */
#define SOC_COLLECTOR_RTT_MAX_MS 3600000

/* What the topic's suffix says the message should be. */
typedef enum {
  SOC_COLLECTOR_EVENTS,    /* <prefix>.events: headers required, event.id required */
  SOC_COLLECTOR_HEARTBEAT, /* <prefix>.heartbeat: body agent.id; headers checked if present */
  SOC_COLLECTOR_REPORTS,   /* <prefix>.reports: like OTHER; center.c reads the document */
  SOC_COLLECTOR_EVIDENCE,  /* <prefix>.evidence: agent.id header required, the body names
                              no agent (docs/REPORTS.md); center.c parses the rest */
  SOC_COLLECTOR_OTHER,     /* alerts, incidents, ...: like heartbeats, kept as they are */
} soc_collector_kind;

typedef enum {
  SOC_COLLECTOR_OK = 0,
  SOC_COLLECTOR_TOO_LARGE,
  SOC_COLLECTOR_NOT_UTF8,
  SOC_COLLECTOR_NOT_JSON,
  SOC_COLLECTOR_NOT_OBJECT,
  SOC_COLLECTOR_NO_HEADER,      /* agent.id or schema.version header missing */
  SOC_COLLECTOR_BAD_SCHEMA,     /* schema.version is not ours */
  SOC_COLLECTOR_BAD_AGENT,      /* an agent id that is not 1-64 of [A-Za-z0-9._-] */
  SOC_COLLECTOR_NO_AGENT,       /* no agent.id string in the body */
  SOC_COLLECTOR_AGENT_MISMATCH, /* body and header name different agents */
  SOC_COLLECTOR_BAD_EVENT_ID,   /* missing, or not 32 lowercase hex digits */
  SOC_COLLECTOR_BAD_FIELD,      /* a field we store has the wrong type or size */
  /* Who sent it (soccollector.c, after the checks here): */
  SOC_COLLECTOR_UNSIGNED,        /* no signature header */
  SOC_COLLECTOR_UNENROLLED,      /* no key enrolled for its agent id */
  SOC_COLLECTOR_REVOKED,         /* its agent's key is revoked */
  SOC_COLLECTOR_BAD_SIGNATURE,   /* not signed by its agent's enrolled key */
  SOC_COLLECTOR_AGENCY_MISMATCH, /* speaks for another agency than its agent's */
  SOC_COLLECTOR_BAD_BATCH,       /* events joined in one message, not framed as sign.h says */
  SOC_COLLECTOR_REASONS
} soc_collector_reason;

/* One message. Pointers are borrowed; header values are not NUL-terminated
 * and NULL when the header is absent. */
typedef struct soc_collector_msg {
  soc_collector_kind kind;
  const void *payload;
  size_t len;
  const void *hdr_agent;
  size_t hdr_agent_len;
  const void *hdr_schema;
  size_t hdr_schema_len;
} soc_collector_msg;

/* The verdict: the reason and, when accepted, what the store needs. */
typedef struct soc_collector_verdict {
  soc_collector_reason reason;
  char detail[160]; /* words for the quarantine row */
  char agent[SOC_COLLECTOR_AGENT_MAX + 1];
  char event_id[33];                       /* events */
  char host[SOC_COLLECTOR_HOST_MAX + 1];   /* events; "" when absent */
  char ts[SOC_COLLECTOR_TS_MAX + 1];       /* @timestamp; "" when absent */
  char agency[SOC_COLLECTOR_TEXT_MAX + 1]; /* heartbeats, reports; "" when absent */
  /* heartbeats */
  char version[SOC_COLLECTOR_TEXT_MAX + 1];
  char broker[SOC_COLLECTOR_TEXT_MAX + 1];
  int64_t authority, uptime_s, lag_lines;
  char *counters;                          /* owned: JSON text, or NULL */
  int64_t audit_seq;                       /* heartbeat: the audit log's head, 0 if none */
  char audit_head[SOC_AUDIT_HASH_HEX + 1]; /* its hash, 64 lower-case hex digits */
  char store_id[SOC_STORE_ID_LEN + 1];     /* heartbeat: the agent's store id, "" if none */
  int64_t store_block;                     /* and its newest journal block */
  int64_t broker_rtt_ms; /* heartbeat: the slowest broker's round trip, -1 if it named none */
} soc_collector_verdict;

/* Judges m. OUT: *v, always filled (clear it with soc_collector_verdict_clear).
 * Returns v->reason; -ENOMEM (and reason OK) only when memory ran out, which
 * says nothing about the message. */
int soc_collector_validate(const soc_collector_msg *m, soc_collector_verdict *v);
/* The same judgement with libfastjson alone, without the scanner that takes
 * well-formed events in one pass: the reference the fuzz harness and
 * test_collector_validate hold soc_collector_validate to. */
int soc_collector_validate_reference(const soc_collector_msg *m, soc_collector_verdict *v);
/* 1 when two verdicts say the same in every field. */
int soc_collector_verdict_same(const soc_collector_verdict *a, const soc_collector_verdict *b);
void soc_collector_verdict_clear(soc_collector_verdict *v);
/* The header checks of soc_collector_validate alone (a message of joined
 * events, before its events are judged one by one). Returns the reason. */
int soc_collector_check_headers(const soc_collector_msg *m, soc_collector_verdict *v);
/* "too_large", "not_json", ...: the names the quarantine keeps. */
const char *soc_collector_reason_name(soc_collector_reason r);
/* The kind of a topic name: prefix + ".events", ".heartbeat", ".reports",
 * ".evidence", else OTHER. */
soc_collector_kind soc_collector_topic_kind(const char *topic, const char *prefix);
/* 1 when s (len bytes) is a valid agent id. */
int soc_collector_agent_id_ok(const char *s, size_t len);

#endif
