/*
 * input — what every input (file tail, network syslog, pcap, watch) is to
 * the agent: one constant struct of callbacks, and a soc_input handle that
 * carries its configuration, counters and private state.
 *
 * The contract that makes "nothing lost" hold:
 *  - an input hands lines to soc_ingest_line (ingest.h) and remembers, per
 *    stream, the position just past the last line handed over;
 *  - checkpoint() writes those positions into the store, and is called in
 *    the same transaction that writes the lines, so both land or neither;
 *  - committed() says that transaction is durable;
 *  - when soc_ingest_line says -EAGAIN, the input stops reading (keeping the
 *    line it could not hand over) until resume() is called.
 */
#ifndef SOC_AGENT_INPUT_H
#define SOC_AGENT_INPUT_H

#include <stdint.h>

#include "soc/config.h"
#include "soc/store.h"
#include "soc/tz.h"

struct soc_ingest;

/* Counters every input keeps (those that do not apply stay 0). */
typedef enum {
  SOC_CTR_LINES,          /* lines or messages taken in */
  SOC_CTR_BYTES,          /* their bytes */
  SOC_CTR_TRUNCATED,      /* cut at max_line_bytes / max_message_bytes */
  SOC_CTR_PARTIAL,        /* last lines flushed without a newline */
  SOC_CTR_INVALID_UTF8,   /* lines with bytes that are not UTF-8 */
  SOC_CTR_CONVERT_ERRORS, /* lines that iconv could not fully convert */
  SOC_CTR_PARSE_FAILURES, /* syslog headers that did not parse (kept raw) */
  SOC_CTR_DROPPED,        /* messages lost before we saw them (kernel UDP drops) */
  SOC_CTR_CONNECTIONS,    /* TCP connections accepted */
  SOC_CTR_REFUSED,        /* TCP connections refused (per address, out of fds, memory) */
  SOC_CTR_FRAMING_ERRORS, /* bad octet counts and the like */
  SOC_CTR_FILES_OPENED,
  SOC_CTR_ROTATIONS,   /* renamed or deleted files drained and released */
  SOC_CTR_TRUNCATIONS, /* files truncated in place (copytruncate) */
  SOC_CTR_READ_ERRORS, /* I/O errors while reading */
  SOC_CTR_WAITS,       /* times the input paused for the journal */
  SOC_CTR_IDLE_CLOSED, /* TCP connections closed after idle_timeout */
  SOC_CTR_EVICTED,     /* TCP connections closed at max_connections for a new one */
  SOC_CTR_COUNT
} soc_counter;

const char *soc_counter_name(soc_counter c);

typedef struct soc_input soc_input;

typedef struct soc_input_ops {
  soc_input_type type;
  /* Allocates in->state from in->cfg and loads positions from the store.
   * Reports problems to stderr. */
  int (*create)(soc_input *in);
  /* Registers fds and timers on the agent's loop (daemon mode). Runs while a
   * root start still has root (before privdrop.c): whatever needs privilege
   * (a capture handle, a port below 1024) is opened here, not later. */
  int (*start)(soc_input *in);
  /* --oneshot: read everything there is now. Returns 0 when done, -EAGAIN
   * when the journal needs a commit first, another negative errno on error. */
  int (*drain)(soc_input *in);
  /* Inside the commit transaction: write positions. */
  int (*checkpoint)(soc_input *in, soc_store *store);
  /* The transaction is durable. */
  void (*committed)(soc_input *in);
  /* Room again after a commit. */
  void (*resume)(soc_input *in);
  /* The agent is stopping: hand over whatever is held in memory (messages
   * read but kept while paused, a sender's unfinished message, flagged
   * partial). Returns 0, or -EAGAIN to be called again after a commit.
   * May be NULL. */
  int (*stop)(soc_input *in);
  /* Unregisters and frees in->state. */
  void (*destroy)(soc_input *in);
  /* Inside the commit transaction: counters of the input's own beyond
   * SOC_CTR_* (soc_store_counter_set under its id). May be NULL. */
  int (*save_counters)(soc_input *in, soc_store *store);
} soc_input_ops;

struct soc_input {
  const soc_input_ops *ops;
  const soc_input_config *cfg; /* borrowed from the agent's config */
  struct soc_ingest *ingest;   /* borrowed */
  soc_tz tz;
  int header; /* which lines get the syslog header peek: ingest.c decides it from cfg->format */
  int paused; /* waiting for resume() */
  int64_t counters[SOC_CTR_COUNT];
  void *state;
};

extern const soc_input_ops soc_input_file_ops;
extern const soc_input_ops soc_input_syslog_ops;
extern const soc_input_ops soc_input_pcap_ops;
extern const soc_input_ops soc_input_journald_ops;

/* The store's meta key of a journald input's committed cursor is this
 * prefix and the input's id (read by socctl status too). */
#define SOC_JOURNALD_CURSOR_KEY "journald.cursor."

#endif
