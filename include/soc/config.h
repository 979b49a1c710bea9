/*
 * config — the agent's and the collector's YAML configuration files.
 *
 * Loading does two things: it parses the file into the structs below
 * (through the soc_field tables in config.c, which are also the source of
 * `--help-config`), and, with SOC_CONFIG_CHECK_REFERENCES, validates
 * everything the file points at: the asset inventory, rule files (YARA is
 * compiled), pcap BPF filters (compiled), librdkafka properties (set on a
 * scratch configuration), listen addresses. Every problem goes into one
 * soc_diag as FILE:LINE:COL, so an operator sees all of them at once.
 *
 * Relative paths in a file are resolved against that file's folder, so a
 * config works the same whatever the working directory (systemd starts us
 * in /).
 *
 * Ownership: a soc_config owns every string and array in it; soc_config_free
 * releases them all. The structs are read-only for everybody else.
 */
#ifndef SOC_CONFIG_H
#define SOC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "soc/assets.h"
#include "soc/diag.h"
#include "soc/rules.h"

typedef enum {
  SOC_INPUT_FILE = 1,
  SOC_INPUT_SYSLOG,
  SOC_INPUT_PCAP,
  SOC_INPUT_WATCH,
  SOC_INPUT_JOURNALD,
} soc_input_type;

typedef struct soc_kv {
  char *key;
  char *value;
  unsigned line, col;
} soc_kv;

typedef struct soc_contact {
  char *name;
  char *phone;
  char *email;
} soc_contact;

typedef struct soc_input_config {
  soc_input_type type;
  char *type_name;
  char *id;           /* source id; default "<type>-<index>", part of event.id */
  unsigned line, col; /* where the input was declared */
  /* file, watch */
  char **paths;
  size_t npaths;
  char **exclude;
  size_t nexclude;
  /* file */
  int64_t max_line_bytes;   /* longer lines are cut and flagged */
  char *encoding;           /* "utf-8" or "big5" (any iconv name is accepted) */
  int64_t flush_partial_ms; /* a last line without newline is flushed after this idle time */
  char *format;             /* "syslog" (default), "raw", "json", "auditd" or "access" */
  char *time_field;         /* format json: path of the time; default "@timestamp" */
  char *host_field;         /* format json: path of the host name; NULL: none */
  char *read_from;          /* "beginning" (default) or "end": new files at first start */
  int64_t poll_ms;          /* how often open files are checked for growth */
  int64_t rotate_wait_ms;   /* a rotated or deleted file, read to its end, is kept open this long */
  /* file, syslog */
  char *timezone; /* of timestamps without a zone; default: agent.timezone */
  /* syslog: "udp://HOST:PORT" or "tcp://HOST:PORT" */
  char *listen;
  int64_t max_message_bytes;
  int64_t max_connections;
  int64_t max_conn_per_addr; /* TCP connections at once from one address */
  int64_t idle_timeout_ms;   /* a TCP connection silent this long is closed */
  int64_t recv_buffer;
  /* pcap: exactly one of interface and file */
  char *interface;
  char *file;
  char *bpf;
  int64_t snaplen;
  int64_t buffer_size;
  int promiscuous;
  /* watch (agent/watch.c) */
  char *asset;           /* inventory key of the web server; NULL: the host name */
  char **report_changes; /* globs of pages whose change is a defacement */
  size_t nreport_changes;
  int64_t max_file_size;
  int64_t max_watches;
  int64_t rescan_interval_s; /* 0: only at start */
  int64_t workers;
  int64_t queue_size;
  int64_t flow_timeout; /* seconds a flow may be idle before its record is written */
  int64_t max_flows;    /* flow table cap; the least recently active is evicted */
  int64_t stream_depth; /* TCP bytes reassembled per direction (the "first N bytes") */
  int64_t body_max;     /* HTTP body bytes decoded per body */
  int flow_records;     /* emit a flow record per flow */
  int64_t scan_bytes;   /* YARA: first bytes of each TCP direction scanned (0: none) */
  int scan_bodies;      /* YARA: scan every extracted HTTP body */
  int scan_encrypted;   /* YARA: keep TLS application data and SSH ciphertext in streams */
  int64_t scan_memory;  /* bytes held for scanning at once, all flows together */
  /* journald (agent/inputs/input_journald.c); also read_from, poll_ms, max_message_bytes */
  char *directory; /* NULL: the local journal; else a folder of journal files */
  char **units;    /* _SYSTEMD_UNIT values (any of them) */
  size_t nunits;
  char **identifiers; /* SYSLOG_IDENTIFIER values */
  size_t nidentifiers;
  char **transports; /* _TRANSPORT values */
  size_t ntransports;
  char *priority;        /* most verbose PRIORITY taken: emerg..debug or 0..7 */
  char **skip_if_exists; /* the input stands down when one of these files exists */
  size_t nskip_if_exists;
} soc_input_config;

typedef struct soc_kafka_config {
  char *brokers;
  char *topic_prefix;
  char *group_id;             /* collector only */
  int64_t heartbeat_s;        /* agent only: seconds between heartbeats */
  int64_t flush_ms;           /* agent only: how long stopping waits for deliveries */
  int64_t events_per_message; /* agent only: events in one message on <prefix>.events (1-1024) */
  char *center_key;           /* agent only: the center's public key (base64); NULL: no
                                 decision is applied */
  soc_kv *properties;         /* passed to librdkafka as they are */
  size_t nproperties;
} soc_kafka_config;

typedef struct soc_config {
  char *path;     /* the file as given */
  char *base_dir; /* its folder */
  struct {
    char *id;
    char *agency;
    int64_t authority; /* 1..57, the guideline's appendix */
    char *state_dir;
    char *timezone; /* default zone of log timestamps without one */
    char *user;     /* NULL: keep the starting user; else drop to it when started as root */
    char *group;    /* NULL: the user's primary group */
  } agent;
  struct {
    int64_t max_bytes;
    int64_t hard_max_bytes;
    int64_t max_age; /* seconds */
    int64_t commit_ms;
    int64_t block_lines;
    char *codec;     /* "lz4" or "zstd": the blocks written (soc_journal_opts.codec) */
    char *spool_dir; /* the emergency spool (agent/spool.h) */
  } journal;
  soc_contact *contacts;
  size_t ncontacts;
  char *assets_path; /* NULL: no inventory, everything takes the default tier */
  soc_input_config *inputs;
  size_t ninputs;
  struct {
    char **log;
    size_t nlog;
    char **sigma; /* Sigma rule globs or folders, docs/SIGMA.md */
    size_t nsigma;
    /* rules.sigma_impact and rules.sigma_placeholders (docs/SIGMA.md); the
     * pairs and their strings are owned */
    soc_sigma_opts sigma_opts;
    char **yara;
    size_t nyara;
    int64_t yara_timeout_s;
  } rules;
  struct {
    char *regime;        /* deadline table id, rules/deadlines/<regime>.yaml */
    char *regimes_dir;   /* NULL: soc_regime_default_dir() */
    int64_t warn_before; /* seconds: a step this close to its due time raises deadline.near */
    int64_t check_ms;    /* how often the daemon evaluates the clocks */
    char *reporter_name, *reporter_phone, *reporter_fax, *reporter_email; /* NULL: contacts[0] */
    char *vendor; /* maintenance vendor, form step 1 */
  } report;
  struct {
    int64_t window_before;    /* seconds of journal before the first sighting in a bundle */
    int64_t max_bytes;        /* cap of one bundle's archive */
    int64_t chunk_bytes;      /* archive bytes per Kafka message */
    int64_t object_max_bytes; /* a matched object bigger than this is named, not kept */
  } evidence;
  struct {
    int64_t window_s; /* an alert and a draft sharing an entity this close: one intrusion */
  } triage;
  soc_kafka_config kafka;
  struct {
    char *listen; /* NULL: no endpoint; else loopback "HOST:PORT" (lib/base/metrics.c) */
  } metrics;
} soc_config;

typedef struct soc_collector_config {
  char *path;
  char *base_dir;
  struct {
    char *id;
    char *state_dir;
    int64_t agent_silence;       /* seconds without a heartbeat before an alert */
    int64_t orphan_chunks_after; /* seconds an evidence chunk waits for its manifest */
    char *store;                 /* NULL: center.db in state_dir; else a postgresql:// URL */
    int64_t retention;           /* seconds events are kept on PostgreSQL; 0: for ever */
  } collector;
  struct {
    char *regime;      /* deadline table for reports that name none (or an unknown one) */
    char *regimes_dir; /* NULL: soc_regime_default_dir() */
  } center;
  soc_kafka_config kafka;
  struct {
    char *listen;
  } metrics;
  struct {
    char *listen;         /* NULL: no console; "HOST:PORT", loopback unless TLS (docs/CONSOLE.md) */
    char *tls_cert;       /* NULL: plain HTTP; else HTTPS with this PEM chain ... */
    char *tls_key;        /* ... and this key */
    int64_t session_idle; /* seconds a session lives without a request */
  } console;
} soc_collector_config;

enum {
  /* Also load and validate the files and values the config points at. */
  SOC_CONFIG_CHECK_REFERENCES = 1u << 0,
};

/* Returns 0 and sets *out when the file has no errors (warnings allowed);
 * else -EINVAL (or another negative errno) with every problem in diag and
 * *out NULL. */
int soc_config_load(const char *path, unsigned flags, soc_config **out, soc_diag *diag);
/* Same, from memory; path is used for messages and relative paths. */
int soc_config_load_buffer(const char *path, const char *buf, size_t len, unsigned flags,
                           soc_config **out, soc_diag *diag);
void soc_config_free(soc_config *cfg);

int soc_collector_config_load(const char *path, unsigned flags, soc_collector_config **out,
                              soc_diag *diag);
void soc_collector_config_free(soc_collector_config *cfg);

/* Loads the asset inventory the config names (or the default-only one). */
int soc_config_load_assets(const soc_config *cfg, soc_assets **out, soc_diag *diag);

const char *soc_input_type_name(soc_input_type t);
/* A journald input's priority (emerg..debug, or "0".."7") as 0..7, or
 * -EINVAL. */
int soc_journald_priority(const char *name);

/* Expands glob patterns (rules.log, rules.yara) into the files they match,
 * in glob order; a pattern that matches nothing adds nothing. OUT: *files
 * (free with soc_config_glob_free), *nfiles. Returns 0 or -ENOMEM. */
int soc_config_glob(char *const *patterns, size_t npatterns, char ***files, size_t *nfiles);
void soc_config_glob_free(char **files, size_t n);
/* The same for rules.sigma: a pattern that names a folder stands for every
 * *.yml and *.yaml file under it, sorted. */
int soc_config_glob_sigma(char *const *patterns, size_t npatterns, char ***files, size_t *nfiles);

/* 1 when the input's exclude globs leave path out: a glob with a '/' is
 * matched against the whole path, others against the file name. */
int soc_input_excluded(const soc_input_config *in, const char *path);

/* Prints every key of the agent's (collector: 1) file with its default and help. */
void soc_config_print_doc(int collector, FILE *out);
/* --help-config[=FORMAT] of both programs: format NULL is the text of
 * soc_config_print_doc, "man" the same as man(7) source (the KEYS of
 * socagent.yaml(5) and soccollector.yaml(5) are built from it); another
 * is refused on stderr with -EINVAL. */
int soc_config_help(int collector, const char *format, FILE *out);

/* A parsed "udp://HOST:PORT" / "tcp://[V6]:PORT" listen address. */
typedef struct soc_listen {
  int tcp; /* 0: udp, 1: tcp */
  char host[256];
  unsigned port; /* 1..65535 */
} soc_listen;

/* Returns 0 or -EINVAL with a reason in why (static text). */
int soc_listen_parse(const char *s, soc_listen *out, const char **why);

#endif
