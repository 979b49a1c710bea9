/*
 * config — the agent's and the collector's configuration files.
 *
 * The shape of each section lives in a soc_field table below; parsing,
 * defaults, "did you mean" and `--help-config` all come from those tables.
 * What a table can not say (one of two keys, a number that must be in the
 * guideline's appendix, a BPF filter that must compile) is checked by hand
 * after the tables have run, still reporting FILE:LINE:COL.
 *
 * The loader never stops at the first problem: an operator fixing a config
 * wants the whole list in one run of --check-config.
 */
#include "soc/config.h"
#include "soc/deadline.h"
#include "soc/sign.h" /* kafka.events_per_message is bounded by a joined batch */

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <glob.h>
#include <grp.h>
#include <iconv.h>
#include <libgen.h>
#include <pwd.h>
#include <librdkafka/rdkafka.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soc/authority.h"
#include "soc/metrics.h"
#include "soc/rules.h"
#include "soc/schema.h"
#include "soc/sign.h"
#include "soc/tz.h"
#include "soc/yamldoc.h"
#include "soc/yararules.h"

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define MAX_LIST_ITEMS 4096

/* ---- section tables ------------------------------------------------------ */

static const soc_field agent_fields[] = {
    {.key = "id",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.id),
     .flags = SOC_FIELD_REQUIRED,
     .help = "this agent's unique name: letters, digits, '.', '_' or '-', at most 64"},
    {.key = "agency",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.agency),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the agency (機關) the agent reports for"},
    {.key = "authority",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_config, agent.authority),
     .flags = SOC_FIELD_REQUIRED,
     .min = 1,
     .max = SOC_AUTHORITY_COUNT,
     .help = "supervisory authority (主管機關), by number in the guideline's appendix (1-57)"},
    {.key = "state_dir",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.state_dir),
     .def = "/var/lib/socagent",
     .flags = SOC_FIELD_PATH,
     .help = "where the store and evidence are kept"},
    {.key = "timezone",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.timezone),
     .def = "local",
     .help = "zone of log timestamps that carry none: local, UTC, +08:00 or Asia/Taipei"},
    {.key = "user",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.user),
     .help = "started as root: after opening its inputs, run as this user, keeping only "
             "CAP_NET_RAW (and only for pcap interfaces); unset: stay who started it"},
    {.key = "group",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, agent.group),
     .help = "with agent.user: run with this group (default: the user's primary group)"},
};

/* The Prometheus endpoint (lib/base/metrics.c, docs/OPERATIONS.md), the
 * same key for the agent and the collector. */
#define METRICS_FIELDS(T)                                                              \
  {                                                                                    \
    .key = "listen", .type = SOC_FIELD_STRING, .offset = offsetof(T, metrics.listen),  \
    .help =                                                                            \
        "serve Prometheus metrics at http://HOST:PORT/metrics; HOST must be loopback " \
        "(127.0.0.1, [::1]); a port above 1023; unset: no endpoint"                    \
  }
static const soc_field metrics_fields[] = {METRICS_FIELDS(soc_config)};
/* The web console (collector/console.c, docs/CONSOLE.md). */
static const soc_field console_fields[] = {
    {.key = "listen",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, console.listen),
     .help = "serve the web console at HOST:PORT: HTTPS with tls_cert and tls_key (any "
             "address), else plain HTTP for a reverse proxy that adds TLS, on a loopback HOST "
             "only (127.0.0.1, [::1]); unset: no console"},
    {.key = "tls_cert",
     .type = SOC_FIELD_STRING,
     .flags = SOC_FIELD_PATH,
     .offset = offsetof(soc_collector_config, console.tls_cert),
     .help = "the console's certificate chain (PEM, the server's first): HTTPS on console.listen"},
    {.key = "tls_key",
     .type = SOC_FIELD_STRING,
     .flags = SOC_FIELD_PATH,
     .offset = offsetof(soc_collector_config, console.tls_key),
     .help = "the private key of tls_cert (PEM); readable by the collector only"},
    {.key = "session_idle",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_collector_config, console.session_idle),
     .def = "30m",
     .help = "a console session without a request for this long is logged out"},
};
static const soc_field collector_metrics_fields[] = {METRICS_FIELDS(soc_collector_config)};

static const soc_field journal_fields[] = {
    {.key = "max_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_config, journal.max_bytes),
     .def = "1GiB",
     .min = 1048576,
     .max = INT64_MAX,
     .help = "soft cap: past it the oldest forwarded data goes"},
    {.key = "hard_max_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_config, journal.hard_max_bytes),
     .def = "4GiB",
     .min = 1048576,
     .max = INT64_MAX,
     .help = "hard cap: past it even data not yet forwarded goes, counted and reported"},
    {.key = "max_age",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_config, journal.max_age),
     .def = "180d",
     .min = 0,
     .max = 86400LL * 3650,
     .help = "forwarded data older than this goes (0: kept until the size caps)"},
    {.key = "commit_interval",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_config, journal.commit_ms),
     .def = "200ms",
     .min = 1,
     .max = 60000,
     .help = "longest time a line waits in memory before it is committed"},
    {.key = "block_lines",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_config, journal.block_lines),
     .def = "1024",
     .min = 1,
     .max = 100000,
     .help = "lines per compressed journal block"},
    {.key = "codec",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, journal.codec),
     .def = "lz4",
     .help = "compression of the journal blocks written: lz4 (less CPU, about 1.7 times the "
             "bytes of zstd) or zstd; blocks of either are read"},
    {.key = "spool_dir",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, journal.spool_dir),
     .def = "/run/socagent",
     .flags = SOC_FIELD_PATH,
     .help = "where network lines that could not be committed (disk full) go at a stop, on "
             "another file system; taken back at the next start"},
};

static const soc_field contact_fields[] = {
    {.key = "name",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_contact, name),
     .flags = SOC_FIELD_REQUIRED,
     .help = "security contact's name (§2.4)"},
    {.key = "phone",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_contact, phone),
     .help = "phone number"},
    {.key = "email",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_contact, email),
     .help = "e-mail address"},
};

static int parse_sigma_impact(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                              const char *where);
static int parse_sigma_placeholders(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                                    const char *where);
static void release_sigma_impact(void *dst);
static void release_sigma_placeholders(void *dst);

static const soc_field rules_fields[] = {
    {.key = "log",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_config, rules.log),
     .count_offset = offsetof(soc_config, rules.nlog),
     .flags = SOC_FIELD_PATH,
     .help = "glob patterns of log rule files (YAML)"},
    {.key = "sigma",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_config, rules.sigma),
     .count_offset = offsetof(soc_config, rules.nsigma),
     .flags = SOC_FIELD_PATH,
     .help = "glob patterns of Sigma rule files or folders (docs/SIGMA.md)"},
    {.key = "sigma_impact",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(soc_config, rules.sigma_opts),
     .parse = parse_sigma_impact,
     .release = release_sigma_impact,
     .help = "ATT&CK tags (attack.impact) and Sigma rule ids to tamper, leak (drafts) or alert; "
             "over the built-in table (docs/SIGMA.md)"},
    {.key = "sigma_placeholders",
     .type = SOC_FIELD_CUSTOM,
     .offset = offsetof(soc_config, rules.sigma_opts),
     .parse = parse_sigma_placeholders,
     .release = release_sigma_placeholders,
     .help = "values of the %placeholders% of Sigma's expand modifier: name: [values]"},
    {.key = "yara",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_config, rules.yara),
     .count_offset = offsetof(soc_config, rules.nyara),
     .flags = SOC_FIELD_PATH,
     .help = "glob patterns of YARA rule files"},
    {.key = "yara_timeout",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_config, rules.yara_timeout_s),
     .def = "10s",
     .min = 1,
     .max = 3600,
     .help = "longest one YARA scan may take; a scan past it is stopped and counted"},
};

static const soc_field report_fields[] = {
    {.key = "regime",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.regime),
     .def = "tw-2026",
     .help = "deadline table in force: tw-2026, tw-2018, nis2, gdpr, dora, or your own"},
    {.key = "regimes_dir",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.regimes_dir),
     .flags = SOC_FIELD_PATH,
     .help = "folder of the deadline tables (default: the installed rules/deadlines)"},
    {.key = "warn_before",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_config, report.warn_before),
     .def = "15m",
     .min = 0,
     .max = 604800,
     .help = "a step due within this time raises a deadline.near alert"},
    {.key = "check_interval",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_config, report.check_ms),
     .def = "30s",
     .min = 10,
     .max = 3600000,
     .help = "how often the agent evaluates the clocks of open reports"},
    {.key = "reporter_name",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.reporter_name),
     .help = "the reporter on the form (step 1); default: the first contact"},
    {.key = "reporter_phone",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.reporter_phone),
     .help = "reporter's phone"},
    {.key = "reporter_fax",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.reporter_fax),
     .help = "reporter's fax"},
    {.key = "reporter_email",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.reporter_email),
     .help = "reporter's e-mail"},
    {.key = "vendor",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_config, report.vendor),
     .help = "maintenance vendor (委外廠商), form step 1"},
};

static const soc_field evidence_fields[] = {
    {.key = "window_before",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_config, evidence.window_before),
     .def = "24h",
     .min = 0,
     .max = 31536000,
     .help = "journal lines kept in a level 3-4 bundle from this long before the first sighting"},
    {.key = "max_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_config, evidence.max_bytes),
     .def = "64MiB",
     .min = 65536,
     .max = 1073741824,
     .help = "cap of one evidence bundle"},
    {.key = "chunk_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_config, evidence.chunk_bytes),
     .def = "256KiB",
     .min = 1024,
     .max = 4194304,
     .help =
         "bundle bytes per Kafka message (before base64: keep 4/3 of it under message.max.bytes)"},
    {.key = "object_max_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_config, evidence.object_max_bytes),
     .def = "8MiB",
     .min = 0,
     .max = 1073741824,
     .help =
         "a file or stream YARA matched is kept with its draft, for the bundle, up to this size"},
};

/* Triage (docs/TRIAGE.md): how far apart in the lines' time an alert and a
 * draft that share an entity may be and still be one intrusion. */
static const soc_field triage_fields[] = {
    {.key = "window",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_config, triage.window_s),
     .def = "1h",
     .min = 1,
     .max = 604800,
     .help =
         "alerts and drafts on one host sharing an entity this close together are one intrusion"},
};

static int parse_properties(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                            const char *where);
static void release_properties(void *dst);

#define KAFKA_FIELDS(...)                                               \
  {.key = "brokers",                                                    \
   .type = SOC_FIELD_STRING,                                            \
   .offset = offsetof(soc_kafka_config, brokers),                       \
   .flags = SOC_FIELD_REQUIRED,                                         \
   .help = "bootstrap brokers, HOST:PORT[,HOST:PORT...]"},              \
      {.key = "topic_prefix",                                           \
       .type = SOC_FIELD_STRING,                                        \
       .offset = offsetof(soc_kafka_config, topic_prefix),              \
       .def = "soc",                                                    \
       .help = "topics are <prefix>.events, <prefix>.alerts, ..."},     \
      {.key = "properties",                                             \
       .type = SOC_FIELD_CUSTOM,                                        \
       .offset = offsetof(soc_kafka_config, properties),                \
       .parse = parse_properties,                                       \
       .release = release_properties,                                   \
       .help = "any librdkafka property, e.g. security.protocol: ssl"}, \
      __VA_ARGS__

static const soc_field kafka_fields[] = {KAFKA_FIELDS(
    {.key = "heartbeat_interval",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_kafka_config, heartbeat_s),
     .def = "30s",
     .min = 1,
     .max = 86400,
     .help = "how often the agent reports its counters, journal size and lag"},
    {.key = "flush_timeout",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_kafka_config, flush_ms),
     .def = "10s",
     .min = 0,
     .max = 600000,
     .help = "how long stopping waits for messages in flight (what is left stays in the journal)"},
    {.key = "events_per_message",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_kafka_config, events_per_message),
     .def = "1024",
     .min = 1,
     .max = SOC_SIGN_JOINED_MAX,
     .help = "events in one Kafka message on <prefix>.events, under one signature (1: one event "
             "per message, the older form; upgrade the collectors first)"},
    {.key = "center_key",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_kafka_config, center_key),
     .help = "the technical center's public key (`soccollector key`); only decisions it signed "
             "are applied"})};
static const soc_field collector_kafka_fields[] = {
    KAFKA_FIELDS({.key = "group_id",
                  .type = SOC_FIELD_STRING,
                  .offset = offsetof(soc_kafka_config, group_id),
                  .def = "soccollector",
                  .help = "Kafka consumer group shared by the collectors"})};

/* Every input type shares these keys; its own follow. */
#define INPUT_COMMON                                                                 \
  {.key = "type",                                                                    \
   .type = SOC_FIELD_STRING,                                                         \
   .offset = offsetof(soc_input_config, type_name),                                  \
   .flags = SOC_FIELD_REQUIRED,                                                      \
   .help = "file, syslog, pcap, watch or journald"},                                 \
  {                                                                                  \
    .key = "id", .type = SOC_FIELD_STRING, .offset = offsetof(soc_input_config, id), \
    .help = "stable source id (part of every event.id); default <type>-<index>"      \
  }

#define INPUT_TIMEZONE                                                                           \
  {                                                                                              \
    .key = "timezone", .type = SOC_FIELD_STRING, .offset = offsetof(soc_input_config, timezone), \
    .help = "zone of timestamps that carry none; default agent.timezone"                         \
  }

/* format: json (docs/SIGMA.md): where a JSON line keeps its time and host. */
#define INPUT_JSON                                                                     \
  {.key = "time_field",                                                                \
   .type = SOC_FIELD_STRING,                                                           \
   .offset = offsetof(soc_input_config, time_field),                                   \
   .def = "'@timestamp'",                                                              \
   .help = "format: json: dotted path of the event time (RFC 3339 or epoch seconds)"}, \
  {                                                                                    \
    .key = "host_field", .type = SOC_FIELD_STRING,                                     \
    .offset = offsetof(soc_input_config, host_field),                                  \
    .help = "format: json: dotted path of the host name, e.g. Event.System.Computer"   \
  }

static const soc_field file_input_fields[] = {
    INPUT_COMMON,
    {.key = "paths",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, paths),
     .count_offset = offsetof(soc_input_config, npaths),
     .flags = SOC_FIELD_REQUIRED | SOC_FIELD_PATH,
     .help = "glob patterns of files to tail"},
    {.key = "exclude",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, exclude),
     .count_offset = offsetof(soc_input_config, nexclude),
     .help = "glob patterns of file names to leave out"},
    {.key = "max_line_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, max_line_bytes),
     .def = "64KiB",
     .min = 256,
     .max = 16777216,
     .help = "longer lines are cut, flagged and counted"},
    {.key = "encoding",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, encoding),
     .def = "utf-8",
     .help = "utf-8, or big5 (any iconv name) to convert"},
    {.key = "flush_partial_after",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_input_config, flush_partial_ms),
     .def = "5s",
     .min = 1,
     .max = 86400000,
     .help = "a last line without its newline is taken after this idle time"},
    {.key = "format",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, format),
     .def = "syslog",
     .help = "syslog (headers parsed, raw when they do not parse), raw, json (one JSON "
             "object a line), auditd (audit.log records) or access (web server access log: "
             "NCSA common/combined)"},
    {.key = "read_from",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, read_from),
     .def = "beginning",
     .help = "where to start in a file seen for the first time: beginning or end"},
    {.key = "poll_interval",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_input_config, poll_ms),
     .def = "250ms",
     .min = 10,
     .max = 60000,
     .help = "how often files are checked for new data, rotation and new matches"},
    {.key = "rotate_wait",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_input_config, rotate_wait_ms),
     .def = "30s",
     .min = 0,
     .max = 86400000,
     .help = "a rotated or deleted file, once read to its end, stays open this long for late "
             "writes"},
    INPUT_TIMEZONE,
    INPUT_JSON,
};

static const soc_field syslog_input_fields[] = {
    INPUT_COMMON,
    {.key = "listen",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, listen),
     .flags = SOC_FIELD_REQUIRED,
     .help = "udp://HOST:PORT or tcp://HOST:PORT"},
    {.key = "max_message_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, max_message_bytes),
     .def = "64KiB",
     .min = 480,
     .max = 16777216,
     .help = "longer messages are cut, flagged and counted"},
    {.key = "max_connections",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, max_connections),
     .def = "256",
     .min = 1,
     .max = 65536,
     .help = "TCP connections at once; at the maximum the least recently active one is closed "
             "for a new one"},
    {.key = "max_connections_per_address",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, max_conn_per_addr),
     .def = "64",
     .min = 1,
     .max = 65536,
     .help = "TCP connections at once from one address; more are refused and counted"},
    {.key = "idle_timeout",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_input_config, idle_timeout_ms),
     .def = "10m",
     .min = 100,
     .max = 604800000,
     .help = "a TCP connection that sends nothing this long is closed"},
    {.key = "recv_buffer",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, recv_buffer),
     .def = "4MiB",
     .min = 65536,
     .max = 1073741824,
     .help = "socket receive buffer (SO_RCVBUF)"},
    {.key = "format",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, format),
     .def = "syslog",
     .help = "syslog, raw, json (a message that is a JSON object, with or without a syslog "
             "header), auditd or access (web server access log lines, with or without one)"},
    INPUT_TIMEZONE,
    INPUT_JSON,
};

static const soc_field pcap_input_fields[] = {
    INPUT_COMMON,
    {.key = "interface",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, interface),
     .help = "capture live on this interface"},
    {.key = "file",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, file),
     .flags = SOC_FIELD_PATH,
     .help = "or read this pcap/pcapng file"},
    {.key = "bpf",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, bpf),
     .help = "BPF capture filter, as tcpdump takes it"},
    {.key = "snaplen",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, snaplen),
     .def = "65535",
     .min = 64,
     .max = 262144,
     .help = "bytes kept of each packet"},
    {.key = "buffer_size",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, buffer_size),
     .def = "16MiB",
     .min = 65536,
     .max = 2147483647,
     .help = "kernel capture buffer"},
    {.key = "promiscuous",
     .type = SOC_FIELD_BOOL,
     .offset = offsetof(soc_input_config, promiscuous),
     .def = "false",
     .help = "put the interface in promiscuous mode"},
    {.key = "flow_timeout",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_input_config, flow_timeout),
     .def = "120s",
     .min = 1,
     .max = 86400,
     .help = "a flow idle this long ends (its record is written)"},
    {.key = "max_flows",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, max_flows),
     .def = "65536",
     .min = 16,
     .max = 16777216,
     .help = "flows tracked at once; past it the least recently active is ended and counted"},
    {.key = "stream_depth",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, stream_depth),
     .def = "1MiB",
     .min = 1024,
     .max = 1073741824,
     .help = "TCP bytes reassembled and parsed per direction of a flow"},
    {.key = "body_max",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, body_max),
     .def = "1MiB",
     .min = 1024,
     .max = 268435456,
     .help = "HTTP body bytes decoded (chunked, gzip) per body, for scanners"},
    {.key = "flow_records",
     .type = SOC_FIELD_BOOL,
     .offset = offsetof(soc_input_config, flow_records),
     .def = "true",
     .help = "write one event per flow (bytes, packets, duration, TCP flags)"},
    /* agent/input_pcap.c; only with rules.yara */
    {.key = "scan_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, scan_bytes),
     .def = "1MiB",
     .min = 0,
     .max = 268435456,
     .help = "YARA scans the first bytes of each TCP direction, reassembled, once (0: no "
             "stream is scanned)"},
    {.key = "scan_bodies",
     .type = SOC_FIELD_BOOL,
     .offset = offsetof(soc_input_config, scan_bodies),
     .def = "true",
     .help = "YARA scans every HTTP body (decoded, up to body_max)"},
    {.key = "scan_encrypted",
     .type = SOC_FIELD_BOOL,
     .offset = offsetof(soc_input_config, scan_encrypted),
     .def = "false",
     .help = "YARA also scans ciphertext in streams: TLS application data and SSH after "
             "its key exchange (no signature can be seen in it)"},
    {.key = "scan_memory",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, scan_memory),
     .def = "64MiB",
     .min = 65536,
     .max = 17179869184LL,
     .help = "bytes held for scanning, all flows together; past it an object is scanned "
             "with what it has (counted as scan.early)"},
};

static const soc_field watch_input_fields[] = {
    INPUT_COMMON,
    {.key = "paths",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, paths),
     .count_offset = offsetof(soc_input_config, npaths),
     .flags = SOC_FIELD_REQUIRED | SOC_FIELD_PATH,
     .help = "directories to watch (web roots)"},
    {.key = "exclude",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, exclude),
     .count_offset = offsetof(soc_input_config, nexclude),
     .help = "glob patterns of file names to leave out"},
    /* agent/watch.c */
    {.key = "asset",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, asset),
     .help = "host name or address the inventory knows the web server by; default the host name"},
    {.key = "report_changes",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, report_changes),
     .count_offset = offsetof(soc_input_config, nreport_changes),
     .help = "file-name globs of pages whose change against the baseline is drafted as a "
             "defacement (e.g. \"*.html\"); default none: changes are only scanned"},
    {.key = "max_file_size",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, max_file_size),
     .def = "16MiB",
     .min = 1024,
     .max = 1073741824,
     .help = "bigger files are hashed for the baseline but not scanned"},
    {.key = "max_watches",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, max_watches),
     .def = "8192",
     .min = 1,
     .max = 1048576,
     .help = "directories watched at most (inotify); past it, an error and a counter"},
    {.key = "rescan_interval",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_input_config, rescan_interval_s),
     .def = "1h",
     .min = 0,
     .max = 604800,
     .help = "a full rescan against the baseline this often (0: only at start)"},
    {.key = "workers",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, workers),
     .def = "1",
     .min = 1,
     .max = 16,
     .help = "scanning threads, each with its own YARA scanner"},
    {.key = "queue_size",
     .type = SOC_FIELD_INT,
     .offset = offsetof(soc_input_config, queue_size),
     .def = "4096",
     .min = 16,
     .max = 1048576,
     .help = "changed files waiting to be scanned; when full, a rescan is done instead"},
};

static const soc_field journald_input_fields[] = {
    INPUT_COMMON,
    {.key = "directory",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, directory),
     .flags = SOC_FIELD_PATH,
     .help = "read the journal files in this folder; default the local system journal "
             "(/var/log/journal, /run/log/journal)"},
    {.key = "units",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, units),
     .count_offset = offsetof(soc_input_config, nunits),
     .help = "take only entries of these systemd units (_SYSTEMD_UNIT, e.g. ssh.service)"},
    {.key = "identifiers",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, identifiers),
     .count_offset = offsetof(soc_input_config, nidentifiers),
     .help = "take only entries with these syslog identifiers (SYSLOG_IDENTIFIER, e.g. sshd)"},
    {.key = "transports",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, transports),
     .count_offset = offsetof(soc_input_config, ntransports),
     .help = "take only entries that came by these transports (_TRANSPORT: syslog, journal, "
             "stdout, kernel, audit, driver)"},
    {.key = "priority",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, priority),
     .def = "debug",
     .help = "take entries of this priority and more urgent: emerg, alert, crit, err, warning, "
             "notice, info, debug (or 0..7)"},
    {.key = "read_from",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_input_config, read_from),
     .def = "beginning",
     .help = "where a first start begins: beginning (the oldest entry kept) or end; later "
             "starts go on from the saved cursor"},
    {.key = "poll_interval",
     .type = SOC_FIELD_MILLIS,
     .offset = offsetof(soc_input_config, poll_ms),
     .def = "250ms",
     .min = 10,
     .max = 60000,
     .help = "how often the journal is checked for new entries, rotation and vacuum"},
    {.key = "max_message_bytes",
     .type = SOC_FIELD_SIZE,
     .offset = offsetof(soc_input_config, max_message_bytes),
     .def = "64KiB",
     .min = 480,
     .max = 16777216,
     .help = "longer MESSAGE fields are cut, flagged and counted"},
    {.key = "skip_if_exists",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(soc_input_config, skip_if_exists),
     .count_offset = offsetof(soc_input_config, nskip_if_exists),
     .flags = SOC_FIELD_PATH,
     .help = "files whose presence at start means a syslog daemon writes the same messages "
             "to files another input reads (e.g. /var/log/auth.log): the input then stands "
             "down, so nothing is read twice"},
};

static const struct input_kind {
  soc_input_type type;
  const char *name;
  const soc_field *fields;
  size_t nfields;
} input_kinds[] = {
    {SOC_INPUT_FILE, "file", file_input_fields, NFIELDS(file_input_fields)},
    {SOC_INPUT_SYSLOG, "syslog", syslog_input_fields, NFIELDS(syslog_input_fields)},
    {SOC_INPUT_PCAP, "pcap", pcap_input_fields, NFIELDS(pcap_input_fields)},
    {SOC_INPUT_WATCH, "watch", watch_input_fields, NFIELDS(watch_input_fields)},
    {SOC_INPUT_JOURNALD, "journald", journald_input_fields, NFIELDS(journald_input_fields)},
};

static const soc_field collector_fields[] = {
    {.key = "id",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, collector.id),
     .def = "center",
     .help = "this collector's name"},
    {.key = "state_dir",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, collector.state_dir),
     .def = "/var/lib/soccollector",
     .flags = SOC_FIELD_PATH,
     .help = "where center.db and the evidence bundles are kept"},
    {.key = "agent_silence",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_collector_config, collector.agent_silence),
     .def = "5m",
     .min = 1,
     .max = 86400 * 7,
     .help = "an agent silent for longer raises an alert"},
    {.key = "orphan_chunks_after",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_collector_config, collector.orphan_chunks_after),
     .def = "24h",
     .min = 1,
     .max = 86400 * 365,
     .help = "evidence chunks whose manifest has not come by then are deleted and counted"},
    {.key = "store",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, collector.store),
     .help = "absent: center.db in state_dir (SQLite); postgresql://... : a shared PostgreSQL"},
    {.key = "retention",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(soc_collector_config, collector.retention),
     .def = "0",
     .min = 0,
     .max = 86400 * 3650,
     .help = "PostgreSQL: events older than this go, a day's partition at a time; 0: kept"},
};

static const char *const agent_sections[] = {"agent",    "contacts", "assets",  "inputs",
                                             "rules",    "kafka",    "journal", "report",
                                             "evidence", "triage",   "metrics", NULL};
static const soc_field center_fields[] = {
    {.key = "regime",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, center.regime),
     .def = "tw-2026",
     .help = "deadline table for a report whose own \"regime\" cannot be loaded"},
    {.key = "regimes_dir",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(soc_collector_config, center.regimes_dir),
     .flags = SOC_FIELD_PATH,
     .help = "folder of the deadline tables (default: the installed rules/deadlines)"},
};

static const char *const collector_sections[] = {"collector", "kafka",   "center",
                                                 "metrics",   "console", NULL};

/* ---- small validators ---------------------------------------------------- */

typedef struct loader {
  soc_schema_ctx ctx;
  unsigned flags;
} loader;

static int is_name(const char *s, size_t max) {
  size_t n = 0;
  if (!s || !*s) return 0;
  for (; s[n]; n++)
    if (!isalnum((unsigned char)s[n]) && !strchr("._-", s[n])) return 0;
  return n <= max;
}

static int parse_port(const char *s, unsigned *port) {
  int64_t v;
  if (soc_parse_int(s, &v) < 0 || v < 1 || v > 65535) return -EINVAL;
  *port = (unsigned)v;
  return 0;
}

/* Splits "HOST:PORT" or "[V6]:PORT". host must hold 256 bytes. */
static int split_host_port(const char *s, char host[256], unsigned *port, const char **why) {
  const char *colon;
  size_t hlen;
  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') return *why = "expected [IPv6]:PORT", -EINVAL;
    hlen = (size_t)(close - s - 1);
    s++;
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return *why = "expected HOST:PORT", -EINVAL;
    hlen = (size_t)(colon - s);
  }
  if (hlen == 0 || hlen >= 256) return *why = "the host is empty or too long", -EINVAL;
  memcpy(host, s, hlen);
  host[hlen] = '\0';
  if (parse_port(colon + 1, port) < 0) return *why = "the port must be 1-65535", -EINVAL;
  return 0;
}

int soc_listen_parse(const char *s, soc_listen *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (strncmp(s, "udp://", 6) == 0)
    out->tcp = 0;
  else if (strncmp(s, "tcp://", 6) == 0)
    out->tcp = 1;
  else
    return *why = "expected udp://HOST:PORT or tcp://HOST:PORT", -EINVAL;
  return split_host_port(s + 6, out->host, &out->port, why);
}

/* ---- custom field parsers ------------------------------------------------ */

static int parse_properties(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                            const char *where) {
  soc_kv **props = dst;
  size_t *count = (size_t *)((char *)dst + offsetof(soc_kafka_config, nproperties) -
                             offsetof(soc_kafka_config, properties));
  if (soc_ynode_is_null(node)) return 0;
  if (node->kind != SOC_YNODE_MAP) {
    soc_schema_error(ctx, node,
                     "%s.properties: expected a mapping of librdkafka properties, got %s", where,
                     soc_ynode_kind_name(node));
    return -EINVAL;
  }
  *props = calloc(node->n ? node->n : 1, sizeof **props);
  if (!*props) return -ENOMEM;
  int result = 0;
  for (size_t i = 0; i < node->n; i++) {
    const soc_ynode *k = node->items[2 * i], *v = node->items[2 * i + 1];
    if (v->kind != SOC_YNODE_SCALAR) {
      soc_schema_error(ctx, v, "%s.properties.%s: expected a scalar value, got %s", where, k->value,
                       soc_ynode_kind_name(v));
      result = -EINVAL;
      continue;
    }
    soc_kv *kv = &(*props)[(*count)++];
    kv->key = strdup(k->value);
    kv->value = strdup(v->value);
    kv->line = k->line;
    kv->col = k->col;
    if (!kv->key || !kv->value) return -ENOMEM;
  }
  return result;
}

/* Sigma's tables into pairs (owned strings): one per map entry, or per
 * value of a list when lists is set. */
static int sigma_pairs(const soc_ynode *node, const soc_schema_ctx *ctx, const char *what,
                       int lists, const soc_sigma_pair **out, size_t *n) {
  soc_sigma_pair *p;
  size_t cap = 0;
  int result = 0;
  if (soc_ynode_is_null(node)) return 0;
  if (node->kind != SOC_YNODE_MAP) {
    soc_schema_error(ctx, node, "rules.%s: expected a mapping, got %s", what,
                     soc_ynode_kind_name(node));
    return -EINVAL;
  }
  for (size_t i = 0; i < node->n; i++) {
    const soc_ynode *v = node->items[2 * i + 1];
    cap += lists && v->kind == SOC_YNODE_SEQ ? v->n : 1;
  }
  if (!(p = calloc(cap ? cap : 1, sizeof *p))) return -ENOMEM;
  *out = p;
  for (size_t i = 0; i < node->n; i++) {
    const soc_ynode *k = node->items[2 * i], *v = node->items[2 * i + 1];
    size_t nv = lists && v->kind == SOC_YNODE_SEQ ? v->n : 1;
    for (size_t j = 0; j < nv; j++) {
      const soc_ynode *e = lists && v->kind == SOC_YNODE_SEQ ? v->items[j] : v;
      if (e->kind != SOC_YNODE_SCALAR || soc_ynode_is_null(e)) {
        soc_schema_error(ctx, e, "rules.%s.%s: expected %s, got %s", what, k->value,
                         lists ? "a value or a list of values" : "a value", soc_ynode_kind_name(e));
        result = -EINVAL;
        continue;
      }
      char *key = strdup(k->value), *val = strdup(e->value);
      p[*n] = (soc_sigma_pair){key, val};
      (*n)++;
      if (!key || !val) return -ENOMEM;
    }
  }
  return result;
}

static void sigma_pairs_free(const soc_sigma_pair **pairs, size_t *n) {
  for (size_t i = 0; *pairs && i < *n; i++) {
    free((char *)(*pairs)[i].key);
    free((char *)(*pairs)[i].value);
  }
  free((soc_sigma_pair *)*pairs);
  *pairs = NULL;
  *n = 0;
}

static int parse_sigma_impact(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                              const char *where) {
  soc_sigma_opts *o = dst;
  (void)where;
  int result = sigma_pairs(node, ctx, "sigma_impact", 0, &o->impact, &o->nimpact);
  for (size_t i = 0; result == 0 && i < o->nimpact; i++) {
    const char *v = o->impact[i].value;
    if (!strcmp(v, "tamper") || !strcmp(v, "leak") || !strcmp(v, "alert")) continue;
    soc_schema_error(ctx, soc_ynode_get(node, o->impact[i].key),
                     "rules.sigma_impact.%s: '%s': expected tamper, leak or alert",
                     o->impact[i].key, v);
    result = -EINVAL;
  }
  return result;
}

static int parse_sigma_placeholders(const soc_ynode *node, void *dst, const soc_schema_ctx *ctx,
                                    const char *where) {
  soc_sigma_opts *o = dst;
  (void)where;
  int result = sigma_pairs(node, ctx, "sigma_placeholders", 1, &o->placeholders, &o->nplaceholders);
  for (size_t i = 0; result == 0 && i < o->nplaceholders; i++) {
    if (o->placeholders[i].key[0] && !strchr(o->placeholders[i].key, '%')) continue;
    soc_schema_error(ctx, soc_ynode_get(node, o->placeholders[i].key),
                     "rules.sigma_placeholders: '%s': a name, without the %%s",
                     o->placeholders[i].key);
    result = -EINVAL;
  }
  return result;
}

static void release_sigma_impact(void *dst) {
  soc_sigma_opts *o = dst;
  sigma_pairs_free(&o->impact, &o->nimpact);
}

static void release_sigma_placeholders(void *dst) {
  soc_sigma_opts *o = dst;
  sigma_pairs_free(&o->placeholders, &o->nplaceholders);
}

static void release_properties(void *dst) {
  soc_kv **props = dst;
  size_t *count = (size_t *)((char *)dst + offsetof(soc_kafka_config, nproperties) -
                             offsetof(soc_kafka_config, properties));
  for (size_t i = 0; *props && i < *count; i++) {
    free((*props)[i].key);
    free((*props)[i].value);
  }
  free(*props);
  *props = NULL;
  *count = 0;
}

/* ---- sections ------------------------------------------------------------ */

static int load_kafka(loader *l, const soc_ynode *node, soc_kafka_config *k, int collector) {
  const soc_field *fields = collector ? collector_kafka_fields : kafka_fields;
  size_t n = collector ? NFIELDS(collector_kafka_fields) : NFIELDS(kafka_fields);
  int result = soc_schema_apply(fields, n, node, k, &l->ctx, "kafka");
  if (!node) return result;
  if (k->topic_prefix && !is_name(k->topic_prefix, 200)) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "topic_prefix"),
                     "kafka.topic_prefix: '%s' is not a valid topic name part; expected letters, "
                     "digits, '.', '_' or '-'",
                     k->topic_prefix);
    result = -EINVAL;
  }
  soc_sign_pub pub;
  if (k->center_key && soc_sign_pub_parse(k->center_key, strlen(k->center_key), &pub) < 0) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "center_key"),
                     "kafka.center_key: not a public key; expected the 44 base64 characters "
                     "`soccollector key` prints");
    result = -EINVAL;
  }
  if (k->brokers && !k->brokers[strspn(k->brokers, " ,")]) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "brokers"),
                     "kafka.brokers: empty; expected HOST:PORT[,HOST:PORT...]");
    result = -EINVAL;
  } else if (k->brokers) {
    char *list = strdup(k->brokers), *save = NULL;
    if (!list) return -ENOMEM;
    for (char *b = strtok_r(list, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
      char host[256];
      unsigned port;
      const char *why = NULL;
      while (*b == ' ') b++;
      /* librdkafka accepts an optional scheme such as PLAINTEXT:// */
      char *scheme = strstr(b, "://");
      if (scheme) b = scheme + 3;
      if (split_host_port(b, host, &port, &why) < 0) {
        soc_schema_error(&l->ctx, soc_ynode_get(node, "brokers"), "kafka.brokers: '%s': %s", b,
                         why);
        result = -EINVAL;
      }
    }
    free(list);
  }
  if ((l->flags & SOC_CONFIG_CHECK_REFERENCES) && k->nproperties) {
    /* librdkafka is the authority on its own properties: ask it. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    for (size_t i = 0; conf && i < k->nproperties; i++) {
      const soc_kv *kv = &k->properties[i];
      if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        soc_diag_add(l->ctx.diag, SOC_DIAG_ERROR, l->ctx.file, kv->line, kv->col,
                     "kafka.properties.%s: %s", kv->key, errstr);
        result = -EINVAL;
      }
    }
    if (conf) rd_kafka_conf_destroy(conf);
  }
  return result;
}

static int load_contacts(loader *l, const soc_ynode *node, soc_config *cfg) {
  int result = 0;
  if (!node || soc_ynode_is_null(node)) {
    soc_schema_warning(&l->ctx, node,
                       "no security contacts: §2.4 asks every agency to register at least 2");
    return 0;
  }
  if (node->kind != SOC_YNODE_SEQ) {
    soc_schema_error(&l->ctx, node, "contacts: expected a list of {name, phone, email}, got %s",
                     soc_ynode_kind_name(node));
    return -EINVAL;
  }
  if (node->n > MAX_LIST_ITEMS) {
    soc_schema_error(&l->ctx, node, "contacts: more than %d entries", MAX_LIST_ITEMS);
    return -EINVAL;
  }
  cfg->contacts = calloc(node->n ? node->n : 1, sizeof *cfg->contacts);
  if (!cfg->contacts) return -ENOMEM;
  cfg->ncontacts = node->n;
  for (size_t i = 0; i < node->n; i++) {
    char where[32];
    const soc_ynode *c = node->items[i];
    soc_contact *ct = &cfg->contacts[i];
    snprintf(where, sizeof where, "contacts[%zu]", i);
    if (soc_schema_apply(contact_fields, NFIELDS(contact_fields), c, ct, &l->ctx, where) < 0)
      result = -EINVAL;
    else if (!ct->phone && !ct->email) {
      soc_schema_error(&l->ctx, c,
                       "%s: contact '%s' has neither phone nor email; expected at least one", where,
                       ct->name);
      result = -EINVAL;
    }
    if (ct->email && (!strchr(ct->email, '@') || strchr(ct->email, ' '))) {
      soc_schema_error(&l->ctx, soc_ynode_get(c, "email"),
                       "%s.email: '%s' is not an e-mail address", where, ct->email);
      result = -EINVAL;
    }
  }
  if (node->n < 2)
    soc_schema_warning(
        &l->ctx, node,
        "only %zu security contact(s): §2.4 asks every agency to register at least 2", node->n);
  return result;
}

static const struct input_kind *input_kind_by_name(const char *name) {
  for (size_t i = 0; name && i < NFIELDS(input_kinds); i++)
    if (strcmp(input_kinds[i].name, name) == 0) return &input_kinds[i];
  return NULL;
}

int soc_journald_priority(const char *name) {
  static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                      "warning", "notice", "info", "debug"};
  for (int i = 0; name && i < 8; i++)
    if (strcmp(name, names[i]) == 0 || (name[0] == '0' + i && name[1] == '\0')) return i;
  return -EINVAL;
}

const char *soc_input_type_name(soc_input_type t) {
  for (size_t i = 0; i < NFIELDS(input_kinds); i++)
    if (input_kinds[i].type == t) return input_kinds[i].name;
  return "unknown";
}

static int check_bpf(const loader *l, const soc_ynode *node, const char *where, const char *bpf) {
  struct bpf_program prog;
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
  int result = -EINVAL;
  if (!p) return -ENOMEM;
  if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0) {
    pcap_freecode(&prog);
    result = 0;
  } else {
    soc_schema_error(&l->ctx, node, "%s.bpf: '%s' does not compile: %s", where, bpf,
                     pcap_geterr(p));
  }
  pcap_close(p);
  return result;
}

/* value must be one of choices (NULL-terminated); reports and returns
 * -EINVAL otherwise. */
static int check_choice(const loader *l, const soc_ynode *node, const char *where, const char *key,
                        const char *value, const char *const *choices) {
  char list[256] = "";
  size_t used = 0;
  for (size_t i = 0; choices[i]; i++) {
    if (value && strcmp(value, choices[i]) == 0) return 0;
    int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
    if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
  }
  if (!value) return 0;
  soc_schema_error(&l->ctx, soc_ynode_get(node, key),
                   "%s.%s: unknown value '%s'; expected one of: %s", where, key, value, list);
  return -EINVAL;
}

static int check_timezone(const loader *l, const soc_ynode *node, const char *where,
                          const char *tz) {
  soc_tz z;
  if (!tz || soc_tz_parse(tz, &z) == 0) return 0;
  soc_schema_error(
      &l->ctx, soc_ynode_get(node, "timezone"),
      "%s.timezone: unknown zone '%s'; expected local, UTC, an offset such as +08:00 or a "
      "name such as Asia/Taipei",
      where, tz);
  return -EINVAL;
}

static int check_encoding(const loader *l, const soc_ynode *node, const char *where,
                          const char *enc) {
  if (!enc || !strcasecmp(enc, "utf-8") || !strcasecmp(enc, "utf8")) return 0;
  iconv_t cd = iconv_open("UTF-8", enc);
  if (cd != (iconv_t)-1) {
    iconv_close(cd);
    return 0;
  }
  soc_schema_error(&l->ctx, soc_ynode_get(node, "encoding"),
                   "%s.encoding: '%s' is not an encoding iconv knows; expected e.g. utf-8 or big5",
                   where, enc);
  return -EINVAL;
}

/* Checks of one input that go beyond its table. */
static int check_input(const loader *l, const soc_ynode *node, const soc_input_config *in,
                       const char *where) {
  static const char *const formats[] = {"syslog", "raw", "json", "auditd", "access", NULL};
  static const char *const starts[] = {"beginning", "end", NULL};
  int result = 0;
  if (check_timezone(l, node, where, in->timezone) < 0) result = -EINVAL;
  if (check_encoding(l, node, where, in->encoding) < 0) result = -EINVAL;
  if (check_choice(l, node, where, "format", in->format, formats) < 0) result = -EINVAL;
  if (check_choice(l, node, where, "read_from", in->read_from, starts) < 0) result = -EINVAL;
  switch (in->type) {
    case SOC_INPUT_SYSLOG: {
      soc_listen ls;
      const char *why = NULL;
      if (in->listen && soc_listen_parse(in->listen, &ls, &why) < 0) {
        soc_schema_error(&l->ctx, soc_ynode_get(node, "listen"), "%s.listen: '%s': %s", where,
                         in->listen, why);
        result = -EINVAL;
      }
      break;
    }
    case SOC_INPUT_PCAP:
      if (!!in->interface == !!in->file) {
        soc_schema_error(&l->ctx, node,
                         "%s: a pcap input needs exactly one of 'interface' and 'file'", where);
        result = -EINVAL;
      }
      if (in->bpf && (l->flags & SOC_CONFIG_CHECK_REFERENCES) &&
          check_bpf(l, soc_ynode_get(node, "bpf"), where, in->bpf) < 0)
        result = -EINVAL;
      if (in->file && (l->flags & SOC_CONFIG_CHECK_REFERENCES) && access(in->file, R_OK) != 0) {
        soc_schema_error(&l->ctx, soc_ynode_get(node, "file"), "%s.file: cannot read '%s': %s",
                         where, in->file, strerror(errno));
        result = -EINVAL;
      }
      break;
    case SOC_INPUT_FILE:
      for (size_t i = 0; (l->flags & SOC_CONFIG_CHECK_REFERENCES) && i < in->npaths; i++) {
        glob_t g;
        if (glob(in->paths[i], 0, NULL, &g) != 0)
          soc_schema_warning(
              &l->ctx, soc_ynode_get(node, "paths"),
              "%s.paths: '%s' matches no file yet; it will be picked up when it appears", where,
              in->paths[i]);
        else
          globfree(&g);
      }
      break;
    case SOC_INPUT_JOURNALD:
      if (in->priority && soc_journald_priority(in->priority) < 0) {
        soc_schema_error(&l->ctx, soc_ynode_get(node, "priority"),
                         "%s.priority: unknown priority '%s'; expected emerg, alert, crit, err, "
                         "warning, notice, info, debug or 0..7",
                         where, in->priority);
        result = -EINVAL;
      }
      if (in->directory && (l->flags & SOC_CONFIG_CHECK_REFERENCES)) {
        struct stat st;
        if (stat(in->directory, &st) != 0 || !S_ISDIR(st.st_mode))
          soc_schema_warning(&l->ctx, soc_ynode_get(node, "directory"),
                             "%s.directory: '%s' is not a directory (yet)", where, in->directory);
      }
      break;
    case SOC_INPUT_WATCH:
      for (size_t i = 0; (l->flags & SOC_CONFIG_CHECK_REFERENCES) && i < in->npaths; i++) {
        struct stat st;
        if (stat(in->paths[i], &st) != 0 || !S_ISDIR(st.st_mode))
          soc_schema_warning(&l->ctx, soc_ynode_get(node, "paths"),
                             "%s.paths: '%s' is not a directory (yet)", where, in->paths[i]);
      }
      break;
  }
  return result;
}

static int load_inputs(loader *l, const soc_ynode *node, soc_config *cfg) {
  int result = 0;
  if (!node || soc_ynode_is_null(node)) {
    soc_schema_warning(&l->ctx, node, "no inputs: the agent will have nothing to read");
    return 0;
  }
  if (node->kind != SOC_YNODE_SEQ) {
    soc_schema_error(&l->ctx, node, "inputs: expected a list of inputs, got %s",
                     soc_ynode_kind_name(node));
    return -EINVAL;
  }
  if (node->n > MAX_LIST_ITEMS) {
    soc_schema_error(&l->ctx, node, "inputs: more than %d entries", MAX_LIST_ITEMS);
    return -EINVAL;
  }
  cfg->inputs = calloc(node->n ? node->n : 1, sizeof *cfg->inputs);
  if (!cfg->inputs) return -ENOMEM;
  for (size_t i = 0; i < node->n; i++) {
    char where[32];
    const soc_ynode *in_node = node->items[i];
    soc_input_config *in = &cfg->inputs[cfg->ninputs];
    snprintf(where, sizeof where, "inputs[%zu]", i);
    in->line = in_node->line;
    in->col = in_node->col;
    const soc_ynode *type = soc_ynode_get(in_node, "type");
    const struct input_kind *kind =
        type && type->kind == SOC_YNODE_SCALAR ? input_kind_by_name(type->value) : NULL;
    if (in_node->kind != SOC_YNODE_MAP) {
      soc_schema_error(&l->ctx, in_node, "%s: expected a mapping with a 'type', got %s", where,
                       soc_ynode_kind_name(in_node));
      result = -EINVAL;
      continue;
    }
    if (!kind) {
      static const char *const names[] = {"file", "syslog", "pcap", "watch", "journald", NULL};
      const char *hint =
          type && type->kind == SOC_YNODE_SCALAR ? soc_schema_suggest(type->value, names) : NULL;
      if (!type)
        soc_schema_error(&l->ctx, in_node,
                         "%s: missing 'type'; expected one of: file, syslog, pcap, watch, journald",
                         where);
      else
        soc_schema_error(&l->ctx, type,
                         "%s.type: unknown input type '%.100s'%s%s%s; expected one of: file, "
                         "syslog, pcap, watch, journald",
                         where, type->kind == SOC_YNODE_SCALAR ? type->value : "?",
                         hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
      result = -EINVAL;
      continue;
    }
    in->type = kind->type;
    cfg->ninputs++;
    if (soc_schema_apply(kind->fields, kind->nfields, in_node, in, &l->ctx, where) < 0)
      result = -EINVAL;
    if (!in->id) {
      char id[32];
      snprintf(id, sizeof id, "%s-%zu", kind->name, i);
      in->id = strdup(id);
      if (!in->id) return -ENOMEM;
    } else if (!is_name(in->id, 64)) {
      soc_schema_error(&l->ctx, soc_ynode_get(in_node, "id"),
                       "%s.id: '%s' is not a valid id; expected letters, digits, '.', '_' or '-'",
                       where, in->id);
      result = -EINVAL;
    }
    for (size_t j = 0; j + 1 < cfg->ninputs; j++)
      if (strcmp(cfg->inputs[j].id, in->id) == 0) {
        soc_schema_error(&l->ctx, in_node,
                         "%s: duplicate input id '%s' (also inputs[%zu]); ids must be unique",
                         where, in->id, j);
        result = -EINVAL;
      }
    if (check_input(l, in_node, in, where) < 0) result = -EINVAL;
    /* inputs that read timestamps inherit the agent's zone (their table
     * owns the string, so only they get one) */
    if ((in->type == SOC_INPUT_FILE || in->type == SOC_INPUT_SYSLOG) && !in->timezone &&
        cfg->agent.timezone && !(in->timezone = strdup(cfg->agent.timezone)))
      return -ENOMEM;
  }
  return result;
}

/* Expands the glob patterns of one rule kind and checks each file. */
static int check_rule_files(loader *l, const soc_ynode *node, char **patterns, size_t n, int yara) {
  int result = 0;
  size_t nfiles = 0, cap = 0;
  char **files = NULL;
  for (size_t i = 0; i < n; i++) {
    glob_t g;
    if (glob(patterns[i], 0, NULL, &g) != 0) {
      soc_schema_warning(&l->ctx, node, "rules.%s: '%s' matches no file", yara ? "yara" : "log",
                         patterns[i]);
      continue;
    }
    for (size_t j = 0; j < g.gl_pathc; j++) {
      if (nfiles == cap) {
        cap = cap ? cap * 2 : 16;
        char **nf = realloc(files, cap * sizeof *nf);
        if (!nf) {
          globfree(&g);
          result = -ENOMEM;
          goto out;
        }
        files = nf;
      }
      files[nfiles] = strdup(g.gl_pathv[j]);
      if (!files[nfiles]) {
        globfree(&g);
        result = -ENOMEM;
        goto out;
      }
      nfiles++;
    }
    globfree(&g);
  }
  if (yara && nfiles) {
    soc_yara_stats st;
    if (soc_yararules_compile((const char *const *)files, nfiles, NULL, &st, l->ctx.diag) < 0 ||
        st.files_failed)
      result = -EINVAL;
  } else if (nfiles) {
    /* the real loader, so every rule error is listed with its position */
    soc_rules_stats st;
    if (soc_rules_load((const char *const *)files, nfiles, NULL, &st, l->ctx.diag) < 0 ||
        st.files_failed)
      result = -EINVAL;
  }
out:
  for (size_t i = 0; i < nfiles; i++) free(files[i]);
  free(files);
  return result;
}

/* rules.sigma: every rule loaded or refused with its reason (warnings),
 * and the summary. Refused Sigma rules do not fail the check: a folder of
 * SigmaHQ rules always holds some that no input of ours can run. */
static int check_sigma_files(loader *l, const soc_ynode *node, char **patterns, size_t n,
                             const soc_sigma_opts *opts) {
  char **files = NULL;
  size_t nfiles = 0;
  int result = 0;
  if (!n) return 0;
  if (soc_config_glob_sigma(patterns, n, &files, &nfiles) < 0) return -ENOMEM;
  if (!nfiles) {
    soc_schema_warning(&l->ctx, node, "rules.sigma: the patterns match no file");
  } else {
    soc_rules_stats st;
    char sum[512];
    if (soc_rules_load_sigma_opts(NULL, 0, (const char *const *)files, nfiles, opts, NULL, &st,
                                  l->ctx.diag) < 0 ||
        st.files_failed)
      result = -EINVAL;
    soc_rules_sigma_summary(&st, sum, sizeof sum);
    soc_schema_warning(&l->ctx, node, "rules.sigma: %s", sum);
  }
  soc_config_glob_free(files, nfiles);
  return result;
}

static int check_agent(loader *l, const soc_ynode *node, soc_config *cfg) {
  int result = 0;
  if (cfg->agent.id && !is_name(cfg->agent.id, 64)) {
    soc_schema_error(
        &l->ctx, soc_ynode_get(node, "id"),
        "agent.id: '%s' is not a valid id; expected 1-64 letters, digits, '.', '_' or '-'",
        cfg->agent.id);
    result = -EINVAL;
  }
  if (cfg->agent.authority && !soc_authority_find((int)cfg->agent.authority)) {
    soc_schema_error(
        &l->ctx, soc_ynode_get(node, "authority"),
        "agent.authority: %lld is not in the guideline's list of supervisory authorities",
        (long long)cfg->agent.authority);
    result = -EINVAL;
  }
  soc_tz tz;
  if (cfg->agent.timezone && soc_tz_parse(cfg->agent.timezone, &tz) < 0) {
    soc_schema_error(
        &l->ctx, soc_ynode_get(node, "timezone"),
        "agent.timezone: unknown zone '%s'; expected local, UTC, an offset such as +08:00 or "
        "a name such as Asia/Taipei",
        cfg->agent.timezone);
    result = -EINVAL;
  }
  /* Checked here, so that a typo stops ExecStartPre instead of the start. */
  if ((l->flags & SOC_CONFIG_CHECK_REFERENCES) && cfg->agent.user && !getpwnam(cfg->agent.user)) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "user"),
                     "agent.user: no user '%s' on this system", cfg->agent.user);
    result = -EINVAL;
  }
  if (cfg->agent.group && !cfg->agent.user) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "group"), "agent.group: needs agent.user");
    result = -EINVAL;
  } else if ((l->flags & SOC_CONFIG_CHECK_REFERENCES) && cfg->agent.group &&
             !getgrnam(cfg->agent.group)) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "group"),
                     "agent.group: no group '%s' on this system", cfg->agent.group);
    result = -EINVAL;
  }
  struct stat st;
  if ((l->flags & SOC_CONFIG_CHECK_REFERENCES) && cfg->agent.state_dir &&
      stat(cfg->agent.state_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "state_dir"),
                     "agent.state_dir: '%s' is not a directory", cfg->agent.state_dir);
    result = -EINVAL;
  }
  return result;
}

/* ---- top level ----------------------------------------------------------- */

/* metrics: the one-key table, then the address (loopback only). */
static int load_metrics(loader *l, const soc_ynode *node, const soc_field *fields, void *cfg,
                        char **listen) {
  struct sockaddr_storage ss;
  socklen_t sl;
  const char *why = NULL;
  if (soc_schema_apply(fields, 1, node, cfg, &l->ctx, "metrics") < 0) return -EINVAL;
  if (*listen && soc_metrics_listen_parse(*listen, &ss, &sl, &why) < 0) {
    soc_schema_error(&l->ctx, soc_ynode_get(node, "listen"), "metrics.listen: '%s': %s", *listen,
                     why);
    return -EINVAL;
  }
  return 0;
}

static int check_sections(loader *l, const soc_ynode *root, const char *const *sections) {
  int result = 0;
  for (size_t i = 0; i < root->n; i++) {
    const soc_ynode *key = root->items[2 * i];
    size_t j = 0;
    while (sections[j] && strcmp(sections[j], key->value) != 0) j++;
    if (!sections[j]) {
      soc_schema_unknown_key(&l->ctx, key, "the top level", sections);
      result = -EINVAL;
    }
  }
  return result;
}

/* Loads the document (from buf when it is not NULL, else from the file) and
 * fills path/base_dir; both config kinds start so. */
static int open_document(const char *path, const char *buf, size_t len, soc_ydoc **doc,
                         char **path_copy, char **base_dir, soc_diag *diag) {
  int result =
      buf ? soc_ydoc_load_buffer(path, buf, len, doc, diag) : soc_ydoc_load_file(path, doc, diag);
  if (result < 0) return result;
  const soc_ynode *root = soc_ydoc_root(*doc);
  if (!root || root->kind != SOC_YNODE_MAP) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, root ? root->line : 1, root ? root->col : 1,
                 "expected a mapping of sections at the top level, got %s",
                 root ? soc_ynode_kind_name(root) : "an empty file");
    return -EINVAL;
  }
  char *tmp = strdup(path);
  *path_copy = strdup(path);
  if (!tmp || !*path_copy) {
    free(tmp);
    return -ENOMEM;
  }
  /* Absolute, so that paths stay right if the daemon changes directory. */
  *base_dir = realpath(dirname(tmp), NULL);
  if (!*base_dir) *base_dir = strdup(dirname(strcpy(tmp, path)));
  free(tmp);
  return *base_dir ? 0 : -ENOMEM;
}

int soc_config_load(const char *path, unsigned flags, soc_config **out, soc_diag *diag) {
  return soc_config_load_buffer(path, NULL, 0, flags, out, diag);
}

int soc_config_load_buffer(const char *path, const char *buf, size_t len, unsigned flags,
                           soc_config **out, soc_diag *diag) {
  int result = -ENOMEM;
  soc_ydoc *doc = NULL;
  soc_config *cfg = calloc(1, sizeof *cfg);
  *out = NULL;
  if (!cfg) goto out;
  result = open_document(path, buf, len, &doc, &cfg->path, &cfg->base_dir, diag);
  if (result < 0) goto out;
  const soc_ynode *root = soc_ydoc_root(doc);
  loader l = {.ctx = {.file = path, .base_dir = cfg->base_dir, .diag = diag}, .flags = flags};
  int bad = check_sections(&l, root, agent_sections) < 0;

  const soc_ynode *agent = soc_ynode_get(root, "agent");
  if (!agent) {
    soc_schema_error(&l.ctx, root, "missing required section 'agent' (id, agency, authority)");
    bad = 1;
  } else {
    bad |= soc_schema_apply(agent_fields, NFIELDS(agent_fields), agent, cfg, &l.ctx, "agent") < 0;
    bad |= check_agent(&l, agent, cfg) < 0;
  }
  bad |= load_contacts(&l, soc_ynode_get(root, "contacts"), cfg) < 0;

  const soc_ynode *assets = soc_ynode_get(root, "assets");
  if (assets && !soc_ynode_is_null(assets)) {
    if (assets->kind != SOC_YNODE_SCALAR) {
      soc_schema_error(&l.ctx, assets, "assets: expected the path of an assets.yaml file, got %s",
                       soc_ynode_kind_name(assets));
      bad = 1;
    } else if (!(cfg->assets_path = soc_path_resolve(cfg->base_dir, assets->value))) {
      goto out;
    }
  } else {
    soc_schema_warning(&l.ctx, root,
                       "no 'assets' inventory: every host takes the default tier (non-core)");
  }
  bad |= load_inputs(&l, soc_ynode_get(root, "inputs"), cfg) < 0;

  const soc_ynode *rules = soc_ynode_get(root, "rules");
  bad |= soc_schema_apply(rules_fields, NFIELDS(rules_fields), rules, cfg, &l.ctx, "rules") < 0;
  bad |= soc_schema_apply(journal_fields, NFIELDS(journal_fields), soc_ynode_get(root, "journal"),
                          cfg, &l.ctx, "journal") < 0;
  bad |= soc_schema_apply(report_fields, NFIELDS(report_fields), soc_ynode_get(root, "report"), cfg,
                          &l.ctx, "report") < 0;
  bad |= soc_schema_apply(evidence_fields, NFIELDS(evidence_fields),
                          soc_ynode_get(root, "evidence"), cfg, &l.ctx, "evidence") < 0;
  bad |= load_metrics(&l, soc_ynode_get(root, "metrics"), metrics_fields, cfg,
                      &cfg->metrics.listen) < 0;
  bad |= soc_schema_apply(triage_fields, NFIELDS(triage_fields), soc_ynode_get(root, "triage"), cfg,
                          &l.ctx, "triage") < 0;
  static const char *const codecs[] = {"lz4", "zstd", NULL};
  bad |= check_choice(&l, soc_ynode_get(root, "journal"), "journal", "codec", cfg->journal.codec,
                      codecs) < 0;
  if (cfg->journal.hard_max_bytes && cfg->journal.hard_max_bytes < cfg->journal.max_bytes) {
    soc_schema_error(
        &l.ctx, soc_ynode_get(root, "journal"),
        "journal: hard_max_bytes (%lld) is below max_bytes (%lld); expected it at or above",
        (long long)cfg->journal.hard_max_bytes, (long long)cfg->journal.max_bytes);
    bad = 1;
  }

  const soc_ynode *kafka = soc_ynode_get(root, "kafka");
  if (!kafka) {
    soc_schema_error(&l.ctx, root,
                     "missing required section 'kafka' (brokers, topic_prefix, properties)");
    bad = 1;
  } else {
    bad |= load_kafka(&l, kafka, &cfg->kafka, 0) < 0;
  }

  if (flags & SOC_CONFIG_CHECK_REFERENCES) {
    if (cfg->assets_path) {
      soc_assets *a = NULL;
      bad |= soc_assets_load(cfg->assets_path, &a, diag) < 0;
      soc_assets_free(a);
    }
    bad |= check_rule_files(&l, rules, cfg->rules.log, cfg->rules.nlog, 0) < 0;
    bad |= check_rule_files(&l, rules, cfg->rules.yara, cfg->rules.nyara, 1) < 0;
    bad |= check_sigma_files(&l, rules, cfg->rules.sigma, cfg->rules.nsigma,
                             &cfg->rules.sigma_opts) < 0;
    soc_regime *regime = NULL;
    const char *dir = cfg->report.regimes_dir ? cfg->report.regimes_dir : soc_regime_default_dir();
    bad |= soc_regime_load_named(dir, cfg->report.regime, &regime, diag) < 0;
    soc_regime_free(regime);
  }
  result = bad ? -EINVAL : 0;
out:
  soc_ydoc_free(doc);
  if (result == 0)
    *out = cfg;
  else
    soc_config_free(cfg);
  return result;
}

int soc_config_load_assets(const soc_config *cfg, soc_assets **out, soc_diag *diag) {
  if (!cfg->assets_path) {
    *out = soc_assets_new_default(SOC_TIER_NON_CORE, -1);
    return *out ? 0 : -ENOMEM;
  }
  return soc_assets_load(cfg->assets_path, out, diag);
}

int soc_config_glob(char *const *patterns, size_t npatterns, char ***files, size_t *nfiles) {
  int result = 0;
  size_t n = 0, cap = 0;
  char **v = NULL;
  for (size_t i = 0; result == 0 && i < npatterns; i++) {
    glob_t g;
    if (glob(patterns[i], 0, NULL, &g) != 0) continue;
    for (size_t j = 0; result == 0 && j < g.gl_pathc; j++) {
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        char **nv = realloc(v, cap * sizeof *nv);
        if (!nv) {
          result = -ENOMEM;
          break;
        }
        v = nv;
      }
      if (!(v[n] = strdup(g.gl_pathv[j])))
        result = -ENOMEM;
      else
        n++;
    }
    globfree(&g);
  }
  if (result < 0) {
    soc_config_glob_free(v, n);
    v = NULL;
    n = 0;
  }
  *files = v;
  *nfiles = n;
  return result;
}

/* Appends the *.yml / *.yaml files under dir (depth-bounded) to v. */
static int sigma_walk(const char *dir, int depth, char ***v, size_t *n, size_t *cap) {
  int result = 0;
  DIR *d;
  struct dirent *e;
  if (depth > 16 || !(d = opendir(dir))) return 0;
  while (result == 0 && (e = readdir(d))) {
    char path[4096];
    struct stat st;
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.') continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      result = sigma_walk(path, depth + 1, v, n, cap);
      continue;
    }
    if (!S_ISREG(st.st_mode) || !((len > 4 && !strcmp(e->d_name + len - 4, ".yml")) ||
                                  (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))))
      continue;
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 64;
      char **nv = realloc(*v, nc * sizeof *nv);
      if (!nv) {
        result = -ENOMEM;
        break;
      }
      *v = nv;
      *cap = nc;
    }
    if (!((*v)[*n] = strdup(path)))
      result = -ENOMEM;
    else
      (*n)++;
  }
  closedir(d);
  return result;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int soc_config_glob_sigma(char *const *patterns, size_t npatterns, char ***files, size_t *nfiles) {
  char **g = NULL, **v = NULL;
  size_t ng = 0, n = 0, cap = 0;
  int result = soc_config_glob(patterns, npatterns, &g, &ng);
  for (size_t i = 0; result == 0 && i < ng; i++) {
    struct stat st;
    size_t start = n;
    if (stat(g[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      result = sigma_walk(g[i], 0, &v, &n, &cap);
      /* load order is rule order: make it the same on every file system */
      if (n > start) qsort(v + start, n - start, sizeof *v, cmp_str);
      continue;
    }
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      char **nv = realloc(v, nc * sizeof *nv);
      if (!nv) {
        result = -ENOMEM;
        break;
      }
      v = nv;
      cap = nc;
    }
    v[n] = g[i];
    g[i] = NULL;
    n++;
  }
  soc_config_glob_free(g, ng);
  if (result < 0) {
    soc_config_glob_free(v, n);
    v = NULL;
    n = 0;
  }
  *files = v;
  *nfiles = n;
  return result;
}

void soc_config_glob_free(char **files, size_t n) {
  for (size_t i = 0; files && i < n; i++) free(files[i]);
  free(files);
}

int soc_input_excluded(const soc_input_config *c, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; i < c->nexclude; i++)
    if (fnmatch(c->exclude[i], strchr(c->exclude[i], '/') ? path : base, 0) == 0) return 1;
  return 0;
}

static void release_input(soc_input_config *in) {
  const struct input_kind *kind = NULL;
  for (size_t k = 0; k < NFIELDS(input_kinds); k++)
    if (input_kinds[k].type == in->type) kind = &input_kinds[k];
  if (kind) soc_schema_release(kind->fields, kind->nfields, in);
  free(in->id);
  in->id = NULL;
}

void soc_config_free(soc_config *cfg) {
  if (!cfg) return;
  soc_schema_release(agent_fields, NFIELDS(agent_fields), cfg);
  for (size_t i = 0; cfg->contacts && i < cfg->ncontacts; i++)
    soc_schema_release(contact_fields, NFIELDS(contact_fields), &cfg->contacts[i]);
  free(cfg->contacts);
  for (size_t i = 0; i < cfg->ninputs; i++) release_input(&cfg->inputs[i]);
  free(cfg->inputs);
  soc_schema_release(rules_fields, NFIELDS(rules_fields), cfg);
  soc_schema_release(journal_fields, NFIELDS(journal_fields), cfg);
  soc_schema_release(report_fields, NFIELDS(report_fields), cfg);
  soc_schema_release(evidence_fields, NFIELDS(evidence_fields), cfg);
  soc_schema_release(triage_fields, NFIELDS(triage_fields), cfg);
  soc_schema_release(kafka_fields, NFIELDS(kafka_fields), &cfg->kafka);
  soc_schema_release(metrics_fields, NFIELDS(metrics_fields), cfg);
  free(cfg->assets_path);
  free(cfg->path);
  free(cfg->base_dir);
  free(cfg);
}

int soc_collector_config_load(const char *path, unsigned flags, soc_collector_config **out,
                              soc_diag *diag) {
  int result = -ENOMEM;
  soc_ydoc *doc = NULL;
  struct sockaddr_storage console_ss;
  socklen_t console_sl;
  const char *why = NULL;
  soc_collector_config *cfg = calloc(1, sizeof *cfg);
  *out = NULL;
  if (!cfg) goto out;
  result = open_document(path, NULL, 0, &doc, &cfg->path, &cfg->base_dir, diag);
  if (result < 0) goto out;
  const soc_ynode *root = soc_ydoc_root(doc);
  loader l = {.ctx = {.file = path, .base_dir = cfg->base_dir, .diag = diag}, .flags = flags};
  int bad = check_sections(&l, root, collector_sections) < 0;
  bad |= soc_schema_apply(collector_fields, NFIELDS(collector_fields),
                          soc_ynode_get(root, "collector"), cfg, &l.ctx, "collector") < 0;
  if (cfg->collector.id && !is_name(cfg->collector.id, 64)) {
    soc_schema_error(
        &l.ctx, soc_ynode_get(soc_ynode_get(root, "collector"), "id"),
        "collector.id: '%s' is not a valid id; expected letters, digits, '.', '_' or '-'",
        cfg->collector.id);
    bad = 1;
  }
  bad |= soc_schema_apply(center_fields, NFIELDS(center_fields), soc_ynode_get(root, "center"), cfg,
                          &l.ctx, "center") < 0;
  bad |= load_metrics(&l, soc_ynode_get(root, "metrics"), collector_metrics_fields, cfg,
                      &cfg->metrics.listen) < 0;
  bad |= soc_schema_apply(console_fields, NFIELDS(console_fields), soc_ynode_get(root, "console"),
                          cfg, &l.ctx, "console") < 0;
  int console_tls = cfg->console.tls_cert || cfg->console.tls_key;
  if (console_tls && (!cfg->console.tls_cert || !cfg->console.tls_key)) {
    soc_schema_error(&l.ctx, soc_ynode_get(root, "console"),
                     "console: tls_cert and tls_key go together (the certificate and its key)");
    bad = 1;
  }
  if (cfg->console.listen &&
      (console_tls
           ? soc_listen_parse_any(cfg->console.listen, &console_ss, &console_sl, &why)
           : soc_metrics_listen_parse(cfg->console.listen, &console_ss, &console_sl, &why)) < 0) {
    soc_schema_error(&l.ctx, soc_ynode_get(soc_ynode_get(root, "console"), "listen"),
                     "console.listen: '%s': %s%s", cfg->console.listen, why,
                     console_tls ? ""
                                 : " (plain HTTP; set console.tls_cert and console.tls_key to "
                                   "serve HTTPS on another address)");
    bad = 1;
  }
  if (!bad && (flags & SOC_CONFIG_CHECK_REFERENCES)) {
    soc_regime *regime = NULL;
    const char *dir = cfg->center.regimes_dir ? cfg->center.regimes_dir : soc_regime_default_dir();
    bad |= soc_regime_load_named(dir, cfg->center.regime, &regime, diag) < 0;
    soc_regime_free(regime);
  }
  const soc_ynode *kafka = soc_ynode_get(root, "kafka");
  if (!kafka) {
    soc_schema_error(&l.ctx, root,
                     "missing required section 'kafka' (brokers, topic_prefix, group_id)");
    bad = 1;
  } else {
    bad |= load_kafka(&l, kafka, &cfg->kafka, 1) < 0;
  }
  result = bad ? -EINVAL : 0;
out:
  soc_ydoc_free(doc);
  if (result == 0)
    *out = cfg;
  else
    soc_collector_config_free(cfg);
  return result;
}

void soc_collector_config_free(soc_collector_config *cfg) {
  if (!cfg) return;
  soc_schema_release(collector_fields, NFIELDS(collector_fields), cfg);
  soc_schema_release(center_fields, NFIELDS(center_fields), cfg);
  soc_schema_release(collector_kafka_fields, NFIELDS(collector_kafka_fields), &cfg->kafka);
  soc_schema_release(collector_metrics_fields, NFIELDS(collector_metrics_fields), cfg);
  soc_schema_release(console_fields, NFIELDS(console_fields), cfg);
  free(cfg->path);
  free(cfg->base_dir);
  free(cfg);
}

/* One walk over every key table, as text (--help-config) or man source. */
static void heading(int man, const char *title, const char *note, FILE *out) {
  if (!man) {
    fprintf(out, "%s:%s%s\n", title, note ? " " : "", note ? note : "");
    return;
  }
  fputs(".SS \"", out);
  soc_schema_roff(title, out);
  fputs("\"\n", out);
  if (note) {
    soc_schema_roff(note, out);
    fputc('\n', out);
  }
}

/* The sections of each file in --help-config's order; NULL fields: a
 * heading only. The agent's inputs go between the two halves. */
typedef struct doc_section {
  const char *title, *note, *prefix;
  const soc_field *fields;
  size_t n;
} doc_section;

#define DOC(title, note, prefix, table) \
  { title, note, prefix, table, NFIELDS(table) }
static const doc_section agent_doc_head[] = {
    DOC("agent", NULL, "agent", agent_fields),
    DOC("contacts", "(list, at least 2 per §2.4)", "contacts[]", contact_fields),
    {"assets", "path of the asset inventory (assets.yaml)", NULL, NULL, 0},
};
static const doc_section agent_doc_tail[] = {
    DOC("rules", NULL, "rules", rules_fields),
    DOC("journal", NULL, "journal", journal_fields),
    DOC("report", NULL, "report", report_fields),
    DOC("evidence", NULL, "evidence", evidence_fields),
    DOC("triage", NULL, "triage", triage_fields),
    DOC("kafka", NULL, "kafka", kafka_fields),
    DOC("metrics", NULL, "metrics", metrics_fields),
};
static const doc_section collector_doc[] = {
    DOC("collector", NULL, "collector", collector_fields),
    DOC("kafka", NULL, "kafka", collector_kafka_fields),
    DOC("center", NULL, "center", center_fields),
    DOC("metrics", NULL, "metrics", collector_metrics_fields),
    DOC("console", NULL, "console", console_fields),
};
#undef DOC

static void print_sections(const doc_section *d, size_t n, int man, FILE *out) {
  for (size_t i = 0; i < n; i++) {
    heading(man, d[i].title, d[i].note, out);
    if (d[i].fields)
      (man ? soc_schema_print_man : soc_schema_print_doc)(d[i].fields, d[i].n, d[i].prefix, out);
  }
}

static void print_config_doc(int collector, int man, FILE *out) {
  if (collector) {
    print_sections(collector_doc, NFIELDS(collector_doc), man, out);
    return;
  }
  print_sections(agent_doc_head, NFIELDS(agent_doc_head), man, out);
  for (size_t i = 0; i < NFIELDS(input_kinds); i++) {
    char section[32], title[48];
    snprintf(section, sizeof section, "inputs[type=%s]", input_kinds[i].name);
    snprintf(title, sizeof title, "inputs, type %s", input_kinds[i].name);
    doc_section d = {title, NULL, section, input_kinds[i].fields, input_kinds[i].nfields};
    print_sections(&d, 1, man, out);
  }
  print_sections(agent_doc_tail, NFIELDS(agent_doc_tail), man, out);
}

void soc_config_print_doc(int collector, FILE *out) { print_config_doc(collector, 0, out); }

int soc_config_help(int collector, const char *format, FILE *out) {
  if (format && strcmp(format, "man") != 0) {
    fprintf(stderr, "--help-config=%s: unknown format; expected none (text) or man\n", format);
    return -EINVAL;
  }
  print_config_doc(collector, format != NULL, out);
  return 0;
}
