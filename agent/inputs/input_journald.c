/*
 * input_journald — the systemd journal, read with sd-journal (libsystemd).
 *
 * Debian 12 no longer installs a syslog daemon: sshd, sudo, su and the
 * kernel log only to the journal, so on such a host this input is where
 * the log rules get their lines.
 *
 * Why it is built this way:
 *
 *  - Position. The journal names every entry by a cursor ("s=<seqnum
 *    id>;i=<seqnum>;b=<boot>;m=<monotonic>;t=<realtime>;x=<xor hash>"),
 *    which stays meaningful across rotation, vacuum and reboots. The
 *    cursor of the last entry handed over is saved with the input's next
 *    sequence number (the position, and so the event.id, of the next
 *    entry) in the commit that writes the entries (input.h): kill -9 at
 *    any instant resumes exactly after the last committed entry. The
 *    journal inputs of other shippers lost or doubled entries precisely
 *    where they kept their cursor apart from their output.
 *
 *  - Resuming. sd_journal_seek_cursor puts the reader at the cursor's
 *    place even when its entry no longer exists; the next entry is then
 *    the first after that place (by sequence number within one journal,
 *    by time across journals). sd_journal_test_cursor tells which case it
 *    is: our own last entry is skipped; a missing one means the entries
 *    between it and the next one kept were vacuumed or the journal was
 *    cleared while the agent was down. That is data lost before we saw
 *    it, so it is said on stderr and counted (gaps; and, within one
 *    journal and without matches, the entries missed, from the sequence
 *    numbers).
 *
 *  - Rotation and vacuum while reading. sd-journal keeps every file it has
 *    open mapped, so a rotated file is read to its end and a vacuumed one
 *    only ends what could still be read of it; sd_journal_process, called
 *    on every poll, makes it notice the new files and the removed ones.
 *    Files are polled (poll_interval), as the file input polls its files:
 *    a journal with no news costs one inotify read.
 *
 *  - Events, not lines. An entry has fields, not a syslog header, so the
 *    entry is turned into the ECS event a syslog line becomes (message,
 *    host, process name and pid, severity and facility), plus
 *    systemd.unit and systemd.transport as Elastic's journald input names
 *    them (lib/event/journald_entry.c, pure, unit tested and fuzzed), and
 *    is journaled as a ready event (SOC_JLINE_EVENT). Every log rule then
 *    works on it unchanged.
 *
 *  - Backpressure. When the journal is full, the entry just read stays
 *    current (the reader does not move) and is offered again on resume.
 *
 *  - Not twice. skip_if_exists names the files a syslog daemon writes
 *    (/var/log/auth.log): where one exists, the file input reads them, and
 *    this input stands down for the run, since the same messages are in
 *    both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "ingest.h"
#include "input.h"
#include "soc/event.h"
#include "soc/journald_entry.h"

#define CURSOR_MAX 512    /* journald's cursors are ~150 bytes */
#define TURN_ENTRIES 4096 /* entries per turn, so commits and other inputs get theirs */

typedef struct journald_state {
  soc_input *in;
  sd_journal *j;
  soc_timer *timer;
  soc_event *ev;
  char *json;        /* SOC_EVENT_JSON_MAX bytes */
  int standing_down; /* skip_if_exists matched: reads nothing */
  int filtered;      /* matches are set: sequence numbers jump by design */
  int current;       /* the reader is on an entry not handed over yet */
  int have_last;     /* `last` holds the cursor of the last entry handed over */
  char last[CURSOR_MAX];
  uint64_t next_seq; /* position of the next entry */
  uint64_t saved_seq, saving_seq;
  int unsaved_start;    /* read_from: end chose a cursor the store does not hold yet */
  int64_t gaps, missed; /* counters of our own (save_counters) */
} journald_state;

static const char *input_id(const journald_state *st) { return st->in->cfg->id; }

/* ---- cursors ---------------------------------------------------------------- */

/* The seqnum id and seqnum a cursor carries ("s=...;i=<hex>;..."). Returns
 * 0, or -EINVAL when it does not say. */
static int cursor_seqnum(const char *cursor, char *id, size_t idcap, uint64_t *seqnum) {
  const char *s = strstr(cursor, "s="), *i = strstr(cursor, ";i=");
  if (!s || !i || s > i || (size_t)(i - s - 2) >= idcap) return -EINVAL;
  memcpy(id, s + 2, (size_t)(i - s - 2));
  id[i - s - 2] = '\0';
  char *end;
  errno = 0;
  *seqnum = strtoull(i + 3, &end, 16);
  return errno || end == i + 3 ? -EINVAL : 0;
}

/* The cursor of the current entry into buf. Returns 0 or a negative errno. */
static int current_cursor(journald_state *st, char *buf, size_t cap) {
  char *c = NULL;
  int rc = sd_journal_get_cursor(st->j, &c);
  if (rc < 0) return rc;
  rc = strlen(c) < cap ? 0 : -ENAMETOOLONG;
  if (rc == 0) memcpy(buf, c, strlen(c) + 1);
  free(c);
  return rc;
}

/* ---- entries to events ------------------------------------------------------ */

/* soc_journald_get_fn over the current entry. */
static const char *field(void *arg, const char *name, size_t *len) {
  journald_state *st = arg;
  const void *d;
  size_t l, nl = strlen(name);
  if (sd_journal_get_data(st->j, name, &d, &l) < 0 || l <= nl) return NULL;
  *len = l - nl - 1;
  return (const char *)d + nl + 1;
}

/* Fills st->ev from the current entry (lib/event/journald_entry.c).
 * Returns whether MESSAGE had to be cut. */
static int build_event(journald_state *st, int64_t *ts_ns) {
  uint64_t usec = 0;
  *ts_ns =
      sd_journal_get_realtime_usec(st->j, &usec) == 0 ? (int64_t)usec * 1000 : soc_now_real_ns();
  return soc_journald_entry_event(st->ev, field, st, *ts_ns,
                                  (size_t)st->in->cfg->max_message_bytes);
}

/* Hands the current entry over. Returns 0 or -EAGAIN (it stays current). */
static int hand_current(journald_state *st) {
  char cursor[CURSOR_MAX];
  int64_t ts_ns;
  int rc = current_cursor(st, cursor, sizeof cursor);
  if (rc < 0) {
    st->in->counters[SOC_CTR_READ_ERRORS]++;
    return 0; /* an entry with no cursor can not be resumed after: it is skipped */
  }
  int cut = build_event(st, &ts_ns);
  size_t len = 0;
  if (soc_event_write_json(st->ev, st->json, SOC_EVENT_JSON_MAX, &len) < 0) {
    st->in->counters[SOC_CTR_READ_ERRORS]++;
    return 0;
  }
  soc_jline l = {.data = st->json,
                 .len = len,
                 .pos = st->next_seq,
                 .ts_ns = ts_ns,
                 .recv_ns = soc_now_real_ns(),
                 .flags = cut ? SOC_JLINE_TRUNCATED : 0};
  rc = soc_ingest_event(st->in, input_id(st), 0, &l);
  if (rc == -EAGAIN) return rc;
  if (rc < 0) {
    st->in->counters[SOC_CTR_READ_ERRORS]++;
    fprintf(stderr, "socagent: %s: an entry was lost: %s\n", input_id(st), strerror(-rc));
  }
  if (cut) st->in->counters[SOC_CTR_TRUNCATED]++;
  if (!st->filtered && st->have_last) {
    char id_prev[64], id_now[64];
    uint64_t prev, now;
    if (cursor_seqnum(st->last, id_prev, sizeof id_prev, &prev) == 0 &&
        cursor_seqnum(cursor, id_now, sizeof id_now, &now) == 0 && strcmp(id_prev, id_now) == 0 &&
        now > prev + 1)
      st->missed += (int64_t)(now - prev - 1);
  }
  memcpy(st->last, cursor, sizeof cursor);
  st->have_last = 1;
  st->next_seq++;
  return 0;
}

/* ---- reading ------------------------------------------------------------------ */

/* Reads up to `budget` entries. Returns 0 (*more set when the budget ran
 * out first), -EAGAIN (journal full) or another negative errno. */
static int read_entries(journald_state *st, size_t budget, int *more) {
  *more = 0;
  while (budget--) {
    if (!st->current) {
      int r = sd_journal_next(st->j);
      if (r < 0) {
        st->in->counters[SOC_CTR_READ_ERRORS]++;
        return r;
      }
      if (r == 0) return 0;
      st->current = 1;
    }
    int rc = hand_current(st);
    if (rc < 0) return rc;
    st->current = 0;
  }
  *more = 1;
  return 0;
}

static void on_poll(void *arg) {
  journald_state *st = arg;
  int more = 0;
  if (st->in->paused) return;
  (void)sd_journal_process(st->j);
  if (read_entries(st, TURN_ENTRIES, &more) < 0) return;
  if (more) soc_loop_timer_kick(st->timer);
  if (st->next_seq != st->saved_seq) soc_ingest_touch(st->in->ingest);
}

/* ---- opening -------------------------------------------------------------------- */

static int add_matches(journald_state *st) {
  const soc_input_config *c = st->in->cfg;
  char m[1024];
  int rc = 0;
  struct {
    const char *field;
    char **values;
    size_t n;
  } sets[] = {
      {"_SYSTEMD_UNIT", c->units, c->nunits},
      {"SYSLOG_IDENTIFIER", c->identifiers, c->nidentifiers},
      {"_TRANSPORT", c->transports, c->ntransports},
  };
  /* Values of one field are alternatives (OR); different fields must all
   * hold (AND), which is how sd-journal combines matches of different
   * fields within one conjunction. */
  for (size_t s = 0; rc == 0 && s < sizeof sets / sizeof *sets; s++)
    for (size_t i = 0; rc == 0 && i < sets[s].n; i++) {
      int n = snprintf(m, sizeof m, "%s=%s", sets[s].field, sets[s].values[i]);
      rc = n > 0 && (size_t)n < sizeof m ? sd_journal_add_match(st->j, m, (size_t)n) : -EINVAL;
      st->filtered = 1;
    }
  int prio = soc_journald_priority(c->priority ? c->priority : "debug");
  for (int p = 0; rc == 0 && prio >= 0 && prio < 7 && p <= prio; p++) {
    int n = snprintf(m, sizeof m, "PRIORITY=%d", p);
    rc = sd_journal_add_match(st->j, m, (size_t)n);
    st->filtered = 1;
  }
  return rc;
}

/* Puts the reader where the saved cursor says, or where read_from says on
 * a first start. */
static int position(journald_state *st) {
  soc_store *store = soc_ingest_store(st->in->ingest);
  char key[SOC_STORE_META_KEY_MAX];
  snprintf(key, sizeof key, SOC_JOURNALD_CURSOR_KEY "%s", input_id(st));
  int rc = soc_store_meta_get(store, key, st->last, sizeof st->last, NULL);
  if (rc == -ENOENT) {
    int end = st->in->cfg->read_from && strcmp(st->in->cfg->read_from, "end") == 0;
    if (!end) return sd_journal_seek_head(st->j);
    /* The tail itself: previous() lands on the last entry, which is old. */
    rc = sd_journal_seek_tail(st->j);
    if (rc == 0 && sd_journal_previous(st->j) > 0 &&
        current_cursor(st, st->last, sizeof st->last) == 0) {
      /* saved at the first commit, so that a restart before any new
       * entry does not skip what came in between */
      st->have_last = st->unsaved_start = 1;
      soc_ingest_touch(st->in->ingest);
    }
    return rc < 0 ? rc : 0;
  }
  if (rc < 0) return rc;
  st->have_last = 1;
  rc = sd_journal_seek_cursor(st->j, st->last);
  if (rc < 0) {
    fprintf(stderr,
            "socagent: %s: the saved journal cursor is not valid (%s); reading from "
            "the oldest entry\n",
            input_id(st), strerror(-rc));
    st->gaps++;
    st->have_last = 0;
    return sd_journal_seek_head(st->j);
  }
  rc = sd_journal_next(st->j);
  if (rc <= 0) return rc; /* nothing at or after it yet: new entries come later */
  if (sd_journal_test_cursor(st->j, st->last) > 0) return 0; /* on our own last entry */
  /* The entry of the cursor is gone: the first entry after its place is
   * current and is read next. */
  char now[CURSOR_MAX], id_prev[64], id_now[64];
  uint64_t prev, seq;
  st->current = 1;
  st->gaps++;
  if (current_cursor(st, now, sizeof now) == 0 &&
      cursor_seqnum(st->last, id_prev, sizeof id_prev, &prev) == 0 &&
      cursor_seqnum(now, id_now, sizeof id_now, &seq) == 0 && strcmp(id_prev, id_now) == 0 &&
      seq > prev + 1) {
    if (!st->filtered) st->missed += (int64_t)(seq - prev - 1);
    fprintf(stderr,
            "socagent: %s: the last entry read is no longer in the journal (vacuumed "
            "while the agent was stopped): going on with the oldest entry after it; %llu "
            "entr%s between them were deleted unread\n",
            input_id(st), (unsigned long long)(seq - prev - 1), seq - prev - 1 == 1 ? "y" : "ies");
  } else {
    fprintf(stderr,
            "socagent: %s: the last entry read is no longer in the journal (cleared "
            "or vacuumed while the agent was stopped): going on with the oldest entry after "
            "it; what was between them is lost\n",
            input_id(st));
  }
  st->have_last = 0; /* no sequence comparison across the gap: counted above */
  return 0;
}

/* Our own counters go on from where the last run left them, like the
 * SOC_CTR_* ones (ingest.c). */
static int load_counter(void *arg, const char *input, const char *name, int64_t value) {
  journald_state *st = arg;
  if (strcmp(input, input_id(st)) != 0) return 0;
  if (strcmp(name, "journal_gaps") == 0) st->gaps = value;
  if (strcmp(name, "entries_missed") == 0) st->missed = value;
  return 0;
}

static int any_exists(const soc_input_config *c, const char **which) {
  for (size_t i = 0; i < c->nskip_if_exists; i++)
    if (access(c->skip_if_exists[i], F_OK) == 0) {
      *which = c->skip_if_exists[i];
      return 1;
    }
  return 0;
}

/* ---- the input's callbacks ---------------------------------------------------- */

static int journald_create(soc_input *in) {
  int result = -ENOMEM;
  const char *which = NULL;
  journald_state *st = calloc(1, sizeof *st);
  if (!st) goto out;
  st->in = in;
  in->state = st;
  st->ev = soc_event_new();
  st->json = malloc(SOC_EVENT_JSON_MAX);
  if (!st->ev || !st->json) goto out;
  result = soc_store_seq_get(soc_ingest_store(in->ingest), in->cfg->id, &st->next_seq);
  if (result < 0) goto out;
  st->saved_seq = st->saving_seq = st->next_seq;
  result = soc_store_counters_scan(soc_ingest_store(in->ingest), load_counter, st);
  if (result < 0) goto out;
  if (any_exists(in->cfg, &which)) {
    fprintf(stderr,
            "socagent: %s: %s exists, so a syslog daemon writes the journal's messages "
            "to files: this input stands down (skip_if_exists)\n",
            in->cfg->id, which);
    st->standing_down = 1;
    result = 0;
    goto out;
  }
  if (in->cfg->directory)
    result = sd_journal_open_directory(&st->j, in->cfg->directory, 0);
  else
    result = sd_journal_open(&st->j, SD_JOURNAL_LOCAL_ONLY);
  if (result < 0) {
    fprintf(stderr, "socagent: %s: cannot open the journal%s%s: %s\n", in->cfg->id,
            in->cfg->directory ? " in " : "", in->cfg->directory ? in->cfg->directory : "",
            strerror(-result));
    goto out;
  }
  /* MESSAGE is cut by us at max_message_bytes; sd-journal's own default
   * threshold (64 KiB) would cut compressed fields silently. */
  (void)sd_journal_set_data_threshold(st->j, 0);
  result = add_matches(st);
  if (result < 0) {
    fprintf(stderr, "socagent: %s: bad journal match: %s\n", in->cfg->id, strerror(-result));
    goto out;
  }
  result = position(st);
  if (result < 0)
    fprintf(stderr, "socagent: %s: cannot position in the journal: %s\n", in->cfg->id,
            strerror(-result));
out:
  return result;
}

static int journald_start(soc_input *in) {
  journald_state *st = in->state;
  if (st->standing_down) return 0;
  /* Asking for the fd turns on sd-journal's inotify watch, which is what
   * sd_journal_process reads on each poll to see new and removed files. */
  int fd = sd_journal_get_fd(st->j);
  if (fd < 0)
    fprintf(stderr, "socagent: %s: no inotify on the journal (%s): new files are seen late\n",
            in->cfg->id, strerror(-fd));
  st->timer = soc_loop_add_timer(soc_ingest_loop(in->ingest), in->cfg->poll_ms, on_poll, st);
  if (!st->timer) return -ENOMEM;
  soc_loop_timer_kick(st->timer);
  return 0;
}

static int journald_drain(soc_input *in) {
  journald_state *st = in->state;
  int more = 1;
  if (st->standing_down) return 0;
  while (more) {
    int rc = read_entries(st, TURN_ENTRIES, &more);
    if (rc < 0) return rc;
  }
  return 0;
}

static int journald_checkpoint(soc_input *in, soc_store *store) {
  journald_state *st = in->state;
  char key[SOC_STORE_META_KEY_MAX];
  if (st->next_seq == st->saved_seq && !st->unsaved_start) return 0;
  snprintf(key, sizeof key, SOC_JOURNALD_CURSOR_KEY "%s", in->cfg->id);
  int rc = soc_store_meta_set(store, key, st->last);
  if (rc == 0) rc = soc_store_seq_set(store, in->cfg->id, st->next_seq);
  if (rc == 0) st->saving_seq = st->next_seq;
  return rc;
}

static void journald_committed(soc_input *in) {
  journald_state *st = in->state;
  if (st->saving_seq == st->next_seq) st->unsaved_start = 0;
  st->saved_seq = st->saving_seq;
}

static void journald_resume(soc_input *in) {
  journald_state *st = in->state;
  if (st->timer) soc_loop_timer_kick(st->timer);
}

static int journald_save_counters(soc_input *in, soc_store *store) {
  journald_state *st = in->state;
  int rc = soc_store_counter_set(store, in->cfg->id, "journal_gaps", st->gaps);
  if (rc == 0) rc = soc_store_counter_set(store, in->cfg->id, "entries_missed", st->missed);
  if (rc == 0) rc = soc_store_counter_set(store, in->cfg->id, "standing_down", st->standing_down);
  return rc;
}

static void journald_destroy(soc_input *in) {
  journald_state *st = in->state;
  if (!st) return;
  sd_journal_close(st->j);
  soc_event_free(st->ev);
  free(st->json);
  free(st);
  in->state = NULL;
}

const soc_input_ops soc_input_journald_ops = {
    .type = SOC_INPUT_JOURNALD,
    .create = journald_create,
    .start = journald_start,
    .drain = journald_drain,
    .checkpoint = journald_checkpoint,
    .committed = journald_committed,
    .resume = journald_resume,
    .destroy = journald_destroy,
    .save_counters = journald_save_counters,
};
