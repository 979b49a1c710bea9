/*
 * ingest — inputs to journal, and the commit that makes it all durable.
 *
 * Why one transaction per commit interval: SQLite in WAL mode with
 * synchronous=FULL costs one fsync per commit, whatever the size. Grouping
 * all lines of ~200 ms (and every input's positions) into one transaction
 * makes the fsync cost per line vanish while bounding what a power cut can
 * take back to lines whose positions were not saved either, which are then
 * read again: nothing is lost and nothing is doubled.
 *
 * Retention runs every RETENTION_EVERY_MS inside a commit, so trimming and
 * writing never interleave. Data dropped before it was forwarded (the hard
 * cap) is reported on stderr and counted: an operator must see it.
 *
 * A commit that fails for want of space or for an I/O error (ENOSPC, EIO,
 * SQLITE_FULL) blocks intake: every input is paused at its next line (files
 * stop being read, sockets stop being read, so the kernel's buffers and the
 * senders hold the rest), the cause is said with the path and the free
 * space once and then every minute, and the commit is retried with a
 * doubling backoff instead of every commit_interval. The first commit that
 * works lifts the block and resumes the inputs. What is in memory when the
 * agent is stopped while blocked goes to the emergency spool (spool.c).
 */
#include "ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "soc/access_log.h"
#include "soc/syslog.h"
#include "soc/utf8.h"
#include "spool.h"
#include "storemark.h"

#define RETENTION_EVERY_MS 10000
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 30000
#define SAY_EVERY_MS 60000
#define DISK_LOW_BYTES (4 * 1024 * 1024) /* a failed open with less free is said as such */
#define JOURNAL_SOURCE "journal"

static const char *const counter_names[SOC_CTR_COUNT] = {
    [SOC_CTR_LINES] = "lines",
    [SOC_CTR_BYTES] = "bytes",
    [SOC_CTR_TRUNCATED] = "truncated",
    [SOC_CTR_PARTIAL] = "partial_lines",
    [SOC_CTR_INVALID_UTF8] = "invalid_utf8",
    [SOC_CTR_CONVERT_ERRORS] = "convert_errors",
    [SOC_CTR_PARSE_FAILURES] = "parse_failures",
    [SOC_CTR_DROPPED] = "dropped",
    [SOC_CTR_CONNECTIONS] = "connections",
    [SOC_CTR_REFUSED] = "connections_refused",
    [SOC_CTR_FRAMING_ERRORS] = "framing_errors",
    [SOC_CTR_FILES_OPENED] = "files_opened",
    [SOC_CTR_ROTATIONS] = "rotations",
    [SOC_CTR_TRUNCATIONS] = "truncations",
    [SOC_CTR_READ_ERRORS] = "read_errors",
    [SOC_CTR_WAITS] = "journal_waits",
    [SOC_CTR_IDLE_CLOSED] = "connections_idle_closed",
    [SOC_CTR_EVICTED] = "connections_evicted",
};

const char *soc_counter_name(soc_counter c) {
  return (unsigned)c < SOC_CTR_COUNT ? counter_names[c] : "unknown";
}

struct soc_ingest {
  const soc_config *cfg;
  soc_loop *loop;
  soc_store *store;
  soc_storemark *mark; /* agent.db held to its marker (storemark.h) */
  soc_journal *journal;
  soc_timer *commit_timer;
  soc_input *inputs;
  size_t ninputs;
  int dirty; /* positions changed since the last commit */
  /* The counters as the store holds them (saved) and as the commit under
   * way leaves them (writing): each input's SOC_CTR_COUNT, then the
   * journal's lost and retired lines; INT64_MIN: not written yet. */
  int64_t *ctr_saved, *ctr_writing;
  /* told after each commit: the readers of the journal (soc_ingest_on_commit) */
  struct {
    void (*fn)(void *);
    void *arg;
  } hooks[SOC_INGEST_HOOKS];
  size_t nhooks;
  int64_t last_retention_ms;
  int64_t lost_lines;    /* dropped unforwarded by the hard cap, since start */
  int64_t retired_lines; /* forwarded lines removed by retention (size or age) */
  int64_t commit_failures;
  int last_commit_error;
  int started; /* soc_ingest_start has opened the inputs */
  int blocked; /* a commit failed for space or I/O: intake stopped */
  int64_t blocked_since_ms, retry_at_ms, backoff_ms, full_said_ms;
  int stopping;               /* the inputs hand what they hold: the block does not apply */
  int64_t resource_said_ms;   /* when a resource error was last said */
  int64_t resource_failed_ms; /* and when one last happened */
  int64_t resource_unsaid;    /* resource errors since then, not said */
  soc_yara_engine *yara;      /* borrowed, may be NULL */
};

soc_loop *soc_ingest_loop(soc_ingest *ing) { return ing->loop; }
void soc_ingest_set_yara(soc_ingest *ing, soc_yara_engine *engine) { ing->yara = engine; }
soc_yara_engine *soc_ingest_yara(soc_ingest *ing) { return ing->yara; }
soc_store *soc_ingest_store(soc_ingest *ing) { return ing->store; }
const soc_config *soc_ingest_config(soc_ingest *ing) { return ing->cfg; }

void soc_ingest_touch(soc_ingest *ing) { ing->dirty = 1; }

void soc_ingest_kick(soc_ingest *ing) {
  ing->dirty = 1;
  if (ing->commit_timer) soc_loop_timer_kick(ing->commit_timer);
}

#define RESOURCE_SAY_EVERY_MS 60000
#define RESOURCE_PAUSE_MS 1000

int soc_ingest_resources_short(soc_ingest *ing) {
  return ing->resource_failed_ms && soc_now_mono_ms() - ing->resource_failed_ms < RESOURCE_PAUSE_MS;
}

void soc_ingest_resource_error(soc_ingest *ing, const char *input, const char *path,
                               const char *what, int err) {
  int64_t now = soc_now_mono_ms();
  ing->resource_failed_ms = now;
  if (ing->resource_said_ms && now - ing->resource_said_ms < RESOURCE_SAY_EVERY_MS) {
    ing->resource_unsaid++;
    return;
  }
  fprintf(stderr,
          "socagent: %s: %s: %s: %s (%lld more such error(s) since this was last said; "
          "said once a minute; raise the limit, see socagent --check-config)\n",
          input, path, what, strerror(err), (long long)ing->resource_unsaid);
  ing->resource_said_ms = now;
  ing->resource_unsaid = 0;
}

/* Appends to the journal and counts; pauses the input when it is full. */
static int append(soc_input *in, const char *source, int64_t stream, const soc_jline *line) {
  soc_ingest *ing = in->ingest;
  if (ing->blocked && !ing->stopping) {
    in->paused = 1;
    in->counters[SOC_CTR_WAITS]++;
    return -EAGAIN; /* the commit timer retries, with its backoff */
  }
  int rc = soc_journal_append(ing->journal, source, stream, line);
  if (rc == -EAGAIN) {
    in->paused = 1;
    in->counters[SOC_CTR_WAITS]++;
    soc_ingest_kick(ing);
    return -EAGAIN;
  }
  if (rc < 0) return rc;
  in->counters[SOC_CTR_LINES]++;
  in->counters[SOC_CTR_BYTES] += (int64_t)line->len;
  ing->dirty = 1;
  return 0;
}

/* Which of an input's lines get the syslog header peek, decided once from
 * its format rather than by comparing names per line: syslog lines; json
 * lines that do not start with the object (JSON wrapped in syslog); access
 * lines (nginx's access_log syslog:), a raw one being fine when its time
 * peek finds one; raw and auditd lines have none. */
enum { HEADER_NONE, HEADER_SYSLOG, HEADER_ACCESS, HEADER_UNLESS_JSON };

static int header_of(const char *format) {
  if (!format || !strcmp(format, "syslog")) return HEADER_SYSLOG;
  if (!strcmp(format, "access")) return HEADER_ACCESS;
  if (!strcmp(format, "json")) return HEADER_UNLESS_JSON;
  return HEADER_NONE;
}

int soc_ingest_line(soc_input *in, const char *source, int64_t stream, soc_jline *line) {
  char host[256];
  host[0] = '\0';
  line->ts_ns = line->recv_ns;
  int peek = in->header != HEADER_NONE;
  if (in->header == HEADER_UNLESS_JSON) {
    size_t lead = 0;
    while (lead < line->len && (line->data[lead] == ' ' || line->data[lead] == '\t')) lead++;
    peek = !(lead < line->len && line->data[lead] == '{');
  }
  int unparsed = 0;
  if (peek) {
    soc_syslog_opts o = {.tz = in->tz, .recv_ns = line->recv_ns};
    unparsed = soc_syslog_peek(line->data, line->len, &o, host, sizeof host, &line->ts_ns) ==
                   SOC_SYSLOG_RAW &&
               (in->header != HEADER_ACCESS || !soc_access_line_ok(line->data, line->len));
  }
  line->host = host;
  int rc = append(in, source, stream, line);
  line->host = NULL;
  /* counted once the line is taken: a line the full journal refused comes
   * again after the commit, and was counted twice */
  if (rc < 0) return rc;
  if (unparsed) in->counters[SOC_CTR_PARSE_FAILURES]++;
  if (line->flags & SOC_JLINE_TRUNCATED) in->counters[SOC_CTR_TRUNCATED]++;
  if (line->flags & SOC_JLINE_PARTIAL) in->counters[SOC_CTR_PARTIAL]++;
  if (soc_utf8_valid_prefix(line->data, line->len) != line->len)
    in->counters[SOC_CTR_INVALID_UTF8]++;
  return 0;
}

int soc_ingest_event(soc_input *in, const char *source, int64_t stream, soc_jline *line) {
  line->flags |= SOC_JLINE_EVENT;
  line->host = NULL;
  return append(in, source, stream, line);
}

static int64_t forwarded_upto(soc_ingest *ing) {
  char buf[32];
  if (soc_store_meta_get(ing->store, "forward.cursor", buf, sizeof buf, NULL) < 0) return 0;
  return strtoll(buf, NULL, 10);
}

/* Only the counters that changed since the last commit are written: a
 * commit moves two of an input's twenty (lines, bytes) and each row costs
 * about 10,000 instructions, a fixed cost per commit that a live log pays
 * five times a second (docs/BENCHMARKS.md, step 41). */
static int write_counters(soc_ingest *ing) {
  for (size_t i = 0; i < ing->ninputs; i++) {
    soc_input *in = &ing->inputs[i];
    size_t at = i * SOC_CTR_COUNT;
    for (size_t c = 0; c < SOC_CTR_COUNT; c++) {
      int rc = soc_store_counter_put(ing->store, in->cfg->id, counter_names[c], in->counters[c],
                                     ing->ctr_saved[at + c], &ing->ctr_writing[at + c]);
      if (rc < 0) return rc;
    }
    if (in->ops->save_counters) {
      int rc = in->ops->save_counters(in, ing->store);
      if (rc < 0) return rc;
    }
  }
  size_t at = ing->ninputs * SOC_CTR_COUNT;
  int rc = soc_store_counter_put(ing->store, JOURNAL_SOURCE, "lost_lines", ing->lost_lines,
                                 ing->ctr_saved[at], &ing->ctr_writing[at]);
  if (rc == 0)
    rc = soc_store_counter_put(ing->store, JOURNAL_SOURCE, "retired_lines", ing->retired_lines,
                               ing->ctr_saved[at + 1], &ing->ctr_writing[at + 1]);
  return rc;
}

/* The body of one commit, inside the transaction. */
static int write_all(soc_ingest *ing) {
  int rc = soc_journal_flush(ing->journal);
  for (size_t i = 0; rc == 0 && i < ing->ninputs; i++)
    if (ing->inputs[i].ops->checkpoint)
      rc = ing->inputs[i].ops->checkpoint(&ing->inputs[i], ing->store);
  int64_t now = soc_now_mono_ms();
  if (rc == 0 && now - ing->last_retention_ms >= RETENTION_EVERY_MS) {
    soc_journal_trim tr;
    rc = soc_journal_enforce(ing->journal, forwarded_upto(ing), soc_now_real_ns(), &tr);
    if (rc == 0) {
      ing->last_retention_ms = now;
      ing->retired_lines += tr.lines;
      if (tr.lost_lines) {
        ing->lost_lines += tr.lost_lines;
        fprintf(stderr,
                "socagent: journal: DATA LOST: the journal reached journal.hard_max_bytes and "
                "%lld line(s) (%lld block(s)) not yet forwarded were deleted; %lld lost since "
                "start\n",
                (long long)tr.lost_lines, (long long)tr.lost_blocks, (long long)ing->lost_lines);
      }
    }
  }
  /* after retention, so that what it deleted is counted in this commit */
  if (rc == 0) rc = write_counters(ing);
  return rc;
}

/* Free and total bytes of the file system that holds path; -1 unknown. */
static void space_of(const char *path, int64_t *avail, int64_t *total) {
  struct statvfs sv;
  *avail = *total = -1;
  if (statvfs(path, &sv) == 0) {
    *avail = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
    *total = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
  }
}

/* A commit failed for space or I/O: intake stops until one works. */
static void block_intake(soc_ingest *ing, int rc, const char *why, int64_t now) {
  if (!ing->blocked) {
    ing->blocked = 1;
    ing->blocked_since_ms = now;
    ing->backoff_ms = BACKOFF_FIRST_MS;
  } else {
    ing->backoff_ms = ing->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ing->backoff_ms * 2;
  }
  ing->retry_at_ms = now + ing->backoff_ms;
  if (ing->full_said_ms && now - ing->full_said_ms < SAY_EVERY_MS) return;
  ing->full_said_ms = now;
  int64_t avail, total;
  space_of(ing->cfg->agent.state_dir, &avail, &total);
  fprintf(stderr,
          "socagent: journal: %s: %s (state folder %s); %lld of %lld bytes free "
          "on its file system; taking nothing in until a commit works (files and sockets are "
          "not read meanwhile; UDP drops are counted), retrying every %llds at most; %zu "
          "line(s) wait in memory; said again every minute\n",
          rc == -ENOSPC ? "DISK FULL" : "I/O ERROR", why, ing->cfg->agent.state_dir,
          (long long)avail, (long long)total, (long long)(BACKOFF_MAX_MS / 1000),
          soc_journal_pending_lines(ing->journal));
}

static size_t ctr_count(const soc_ingest *ing) { return ing->ninputs * SOC_CTR_COUNT + 2; }

static int space_error(int rc) { return rc == -ENOSPC || rc == -EIO || rc == -EDQUOT; }

int soc_ingest_commit(soc_ingest *ing) {
  if (!ing->dirty && !soc_journal_pending_lines(ing->journal)) return 0;
  int64_t now = soc_now_mono_ms();
  if (ing->blocked && now < ing->retry_at_ms && !ing->stopping) return -EAGAIN;
  int rc = soc_store_begin(ing->store);
  if (rc == 0) rc = write_all(ing);
  if (rc == 0) rc = soc_store_commit(ing->store);
  if (rc < 0) {
    /* The reason first: SQLite may have rolled the transaction back
     * itself (a full disk does), and a rollback then fails too. */
    char why[600];
    snprintf(why, sizeof why, "%s", soc_store_errmsg(ing->store));
    soc_store_rollback(ing->store);
    ing->commit_failures++;
    if (space_error(rc)) {
      block_intake(ing, rc, why, now);
    } else if (rc != ing->last_commit_error) {
      /* Said once per kind of failure, not once per 200 ms. */
      fprintf(stderr, "socagent: journal: commit failed, will retry: %s\n", why);
    }
    ing->last_commit_error = rc;
    soc_journal_done(ing->journal, 0);
    return rc;
  }
  if (ing->blocked)
    fprintf(stderr,
            "socagent: journal: commits work again after %lld failure(s) in %llds; "
            "taking in again\n",
            (long long)ing->commit_failures, (long long)((now - ing->blocked_since_ms) / 1000));
  else if (ing->last_commit_error)
    fprintf(stderr, "socagent: journal: commits work again after %lld failure(s)\n",
            (long long)ing->commit_failures);
  ing->blocked = 0;
  ing->full_said_ms = 0;
  ing->commit_failures = 0;
  ing->last_commit_error = 0;
  soc_journal_done(ing->journal, 1);
  memcpy(ing->ctr_saved, ing->ctr_writing, ctr_count(ing) * sizeof *ing->ctr_saved);
  ing->dirty = 0;
  soc_storemark_committed(ing->mark);
  for (size_t i = 0; i < ing->ninputs; i++)
    if (ing->inputs[i].ops->committed) ing->inputs[i].ops->committed(&ing->inputs[i]);
  for (size_t i = 0; i < ing->nhooks; i++) ing->hooks[i].fn(ing->hooks[i].arg);
  for (size_t i = 0; i < ing->ninputs; i++) {
    soc_input *in = &ing->inputs[i];
    if (in->paused) {
      in->paused = 0;
      if (in->ops->resume) in->ops->resume(in);
    }
  }
  return 0;
}

static void on_commit_timer(void *arg) { soc_ingest_commit(arg); }

int soc_ingest_on_commit(soc_ingest *ing, void (*fn)(void *), void *arg) {
  if (ing->nhooks == SOC_INGEST_HOOKS) return -ENOSPC;
  ing->hooks[ing->nhooks].fn = fn;
  ing->hooks[ing->nhooks++].arg = arg;
  return 0;
}

/* Counters go on from where the last run left them: totals since the
 * store was created, which is what an operator comparing with a sender's
 * count wants. */
static int load_counter(void *arg, const char *input, const char *name, int64_t value) {
  soc_ingest *ing = arg;
  if (strcmp(input, JOURNAL_SOURCE) == 0 && strcmp(name, "lost_lines") == 0)
    ing->lost_lines = value;
  if (strcmp(input, JOURNAL_SOURCE) == 0 && strcmp(name, "retired_lines") == 0)
    ing->retired_lines = value;
  for (size_t i = 0; i < ing->ninputs; i++) {
    if (strcmp(ing->inputs[i].cfg->id, input) != 0) continue;
    for (int c = 0; c < SOC_CTR_COUNT; c++)
      if (strcmp(counter_names[c], name) == 0) ing->inputs[i].counters[c] = value;
  }
  return 0;
}

static const soc_input_ops *ops_for(soc_input_type t) {
  switch (t) {
    case SOC_INPUT_FILE:
      return &soc_input_file_ops;
    case SOC_INPUT_SYSLOG:
      return &soc_input_syslog_ops;
    case SOC_INPUT_PCAP:
      return &soc_input_pcap_ops;
    case SOC_INPUT_JOURNALD:
      return &soc_input_journald_ops;
    default:
      return NULL;
  }
}

static int open_store(soc_ingest *ing) {
  char path[4096], err[600];
  const char *dir = ing->cfg->agent.state_dir;
  if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
    fprintf(stderr, "socagent: cannot create state_dir %s: %s\n", dir, strerror(errno));
    return -errno;
  }
  snprintf(path, sizeof path, "%s/agent.db", dir);
  int rc = soc_store_open(path, SOC_STORE_AGENT, &ing->store, err, sizeof err);
  if (rc < 0) {
    int64_t avail, total;
    space_of(dir, &avail, &total);
    fprintf(stderr, "socagent: %s\n", err);
    if (avail >= 0 && avail < DISK_LOW_BYTES)
      fprintf(stderr,
              "socagent: %s: only %lld of %lld bytes free on its file system: a full "
              "disk, not a damaged store? Make room and start again\n",
              dir, (long long)avail, (long long)total);
    return rc;
  }
  /* before any reader of the store makes an event.id with its id */
  return soc_storemark_new(ing->store, ing->cfg, path, &ing->mark);
}

int soc_ingest_new(const soc_config *cfg, soc_ingest **out) {
  int result = -ENOMEM;
  soc_ingest *ing = calloc(1, sizeof *ing);
  *out = NULL;
  if (!ing) goto out;
  ing->cfg = cfg;
  ing->loop = soc_loop_new();
  if (!ing->loop) goto out;
  result = open_store(ing);
  if (result < 0) goto out;
  soc_journal_opts jo = {
      .max_bytes = cfg->journal.max_bytes,
      .hard_max_bytes = cfg->journal.hard_max_bytes,
      .max_age_sec = cfg->journal.max_age,
      .block_lines = (uint32_t)cfg->journal.block_lines,
      .codec = cfg->journal.codec && strcmp(cfg->journal.codec, "zstd") == 0
                   ? SOC_JOURNAL_CODEC_ZSTD
                   : SOC_JOURNAL_CODEC_LZ4,
  };
  result = soc_journal_open(ing->store, &jo, &ing->journal);
  if (result < 0) goto out;
  /* before the inputs read their next sequences, which it may move on */
  if (cfg->journal.spool_dir)
    soc_spool_take(ing->store, ing->journal, cfg->journal.spool_dir, cfg->agent.id);
  result = -ENOMEM;
  ing->inputs = calloc(cfg->ninputs ? cfg->ninputs : 1, sizeof *ing->inputs);
  if (!ing->inputs) goto out;
  for (size_t i = 0; i < cfg->ninputs; i++) {
    if (cfg->inputs[i].type == SOC_INPUT_WATCH) continue; /* not lines: agent/watch.c */
    const soc_input_ops *ops = ops_for(cfg->inputs[i].type);
    if (!ops) {
      fprintf(stderr, "socagent: %s: %s inputs are not built into this version yet; skipped\n",
              cfg->inputs[i].id, soc_input_type_name(cfg->inputs[i].type));
      continue;
    }
    soc_input *in = &ing->inputs[ing->ninputs];
    in->ops = ops;
    in->cfg = &cfg->inputs[i];
    in->ingest = ing;
    if (soc_tz_parse(in->cfg->timezone ? in->cfg->timezone : "local", &in->tz) < 0)
      soc_tz_parse("UTC", &in->tz);
    in->header = header_of(in->cfg->format);
    result = ops->create(in);
    if (result < 0) goto out;
    ing->ninputs++;
  }
  result = soc_store_counters_scan(ing->store, load_counter, ing);
  if (result < 0) goto out;
  result = -ENOMEM;
  ing->ctr_saved = malloc(ctr_count(ing) * sizeof *ing->ctr_saved);
  ing->ctr_writing = malloc(ctr_count(ing) * sizeof *ing->ctr_writing);
  if (!ing->ctr_saved || !ing->ctr_writing) goto out;
  for (size_t i = 0; i < ctr_count(ing); i++) ing->ctr_saved[i] = INT64_MIN;
  ing->commit_timer = soc_loop_add_timer(ing->loop, cfg->journal.commit_ms, on_commit_timer, ing);
  result = ing->commit_timer ? 0 : -ENOMEM;
out:
  if (result == 0)
    *out = ing;
  else
    soc_ingest_free(ing);
  return result;
}

void soc_ingest_free(soc_ingest *ing) {
  if (!ing) return;
  for (size_t i = 0; i < ing->ninputs; i++) ing->inputs[i].ops->destroy(&ing->inputs[i]);
  free(ing->inputs);
  free(ing->ctr_saved);
  free(ing->ctr_writing);
  soc_journal_free(ing->journal);
  soc_storemark_free(ing->mark);
  soc_store_close(ing->store);
  soc_loop_free(ing->loop);
  free(ing);
}

int soc_ingest_start(soc_ingest *ing) {
  if (ing->started) return 0;
  for (size_t i = 0; i < ing->ninputs; i++) {
    int rc = ing->inputs[i].ops->start(&ing->inputs[i]);
    if (rc < 0) return rc;
  }
  ing->started = 1;
  return 0;
}

/* Lines of inputs that cannot be read again (network, live capture) go to
 * the spool; a file input's are read again from the file. */
static int spool_keep(void *arg, const char *source) {
  const soc_config *cfg = arg;
  for (size_t i = 0; i < cfg->ninputs; i++)
    if (strcmp(cfg->inputs[i].id, source) == 0)
      return cfg->inputs[i].type == SOC_INPUT_SYSLOG ||
             (cfg->inputs[i].type == SOC_INPUT_PCAP && cfg->inputs[i].interface);
  return 1; /* unknown: keep rather than lose */
}

/* Stopping with lines that could not be committed. Returns 0 when nothing
 * is lost (spooled, or to be read again). */
static int spool_pending(soc_ingest *ing) {
  size_t pending = soc_journal_pending_lines(ing->journal);
  int64_t lines = 0;
  const char *dir = ing->cfg->journal.spool_dir;
  int rc = dir ? soc_spool_write(ing->journal, dir, ing->cfg->agent.id, spool_keep,
                                 (void *)ing->cfg, &lines)
               : -ENOENT;
  if (rc == 0)
    fprintf(stderr,
            "socagent: journal: %lld line(s) of network inputs that could not be committed were "
            "written to the emergency spool in %s, to be taken back at the next start; %lld "
            "line(s) of file inputs will be read again from their files\n",
            (long long)lines, dir, (long long)pending - lines);
  else
    fprintf(stderr,
            "socagent: journal: DATA LOST: %zu line(s) could not be committed, and the emergency "
            "spool in %s could not be written (%s); network lines among them are lost, file "
            "lines will be read again from their files\n",
            pending, dir ? dir : "(none)", strerror(-rc));
  soc_journal_discard(ing->journal);
  return rc;
}

int soc_ingest_run(soc_ingest *ing) {
  int rc = soc_ingest_start(ing);
  if (rc < 0) return rc;
  rc = soc_loop_run(ing->loop);
  /* What was read before the signal is committed before we go, including
   * what inputs still hold in memory; if the store cannot take it, what
   * cannot be read again goes to the spool. */
  ing->stopping = 1;
  int crc = 0;
  for (size_t i = 0; crc == 0 && i < ing->ninputs; i++) {
    soc_input *in = &ing->inputs[i];
    while (in->ops->stop && (crc = in->ops->stop(in)) == -EAGAIN)
      if ((crc = soc_ingest_commit(ing)) < 0) break;
  }
  ing->dirty = 1; /* the counters, at least: what happened since the last line */
  if (crc == 0) crc = soc_ingest_commit(ing);
  if (crc < 0 && soc_journal_pending_lines(ing->journal)) crc = spool_pending(ing);
  return rc < 0 ? rc : crc;
}

int soc_ingest_oneshot(soc_ingest *ing) {
  int failed = 0, nfailed = 0;
  for (size_t i = 0; i < ing->ninputs; i++) {
    soc_input *in = &ing->inputs[i];
    if (!in->ops->drain) continue;
    for (;;) {
      int rc = in->ops->drain(in);
      if (rc == 0) break;
      if (rc != -EAGAIN) {
        if (!failed) failed = rc;
        nfailed++;
        break;
      }
      rc = soc_ingest_commit(ing);
      if (rc < 0) return rc;
    }
  }
  ing->dirty = 1; /* the counters, at least */
  int rc = soc_ingest_commit(ing);
  if (nfailed)
    fprintf(stderr,
            "socagent: %d input(s) could not be read completely (first: %s); what was "
            "read is kept\n",
            nfailed, strerror(-failed));
  return rc < 0 ? rc : failed;
}
