/*
 * input_pcap — traffic as an input: a live interface (libpcap, the fd in
 * the agent's epoll loop) or a pcap / pcapng file, through lib/netmon.c
 * into network metadata events.
 *
 * Events, not lines. netmon builds ECS events; each is written as its JSON
 * and journaled with the SOC_JLINE_EVENT flag (journal.h), in the same
 * journal as log lines, so the forwarder ships it and the detector sees it
 * through the same normalize.c (which reads the JSON back instead of
 * parsing a log line). Keeping the JSON rather than a private encoding
 * means `socctl journal export` shows exactly what the center receives.
 *
 * Positions. An event's position (the source of its event.id) is its
 * number within its stream:
 *  - a file is one stream, numbered by a hash of its identity (device,
 *    inode, size, mtime), events counted from 0. Reading a file is
 *    deterministic, so reading it again yields the same events in the same
 *    order: the checkpoint saves "identity events-committed", and a restart
 *    in the middle reads the file again from the start and drops the events
 *    below that number. Once read to its end the file is marked done and
 *    never read again (a new file at that path is a new identity);
 *  - a live capture is stream 0, with the next number saved at each
 *    checkpoint. Packets cannot be read twice, so what was captured but not
 *    committed at a crash is lost, not doubled.
 *
 * Back-pressure. When the journal is full an event waits in a small queue
 * and the input stops reading packets until resume(): a live capture then
 * leaves packets in the kernel buffer (and counts what the kernel drops),
 * a file simply waits.
 *
 * YARA. With rules.yara set, agent/netscan.c scans the first scan_bytes of
 * every TCP direction (less its ciphertext, unless scan_encrypted) and
 * every HTTP body (netmon's hooks), and drafts what
 * matches in the same commit as the events (checkpoint below).
 *
 * A broken file (truncated mid-record, garbage) is read as far as it goes:
 * the error is reported on stderr and counted (`pcap_errors`), and what was
 * read is kept. The packets that do not decode are counted by reason
 * (`decode.*`, `malformed`); see `socctl status`.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "ingest.h"
#include "netscan.h"
#include "soc/hash.h"
#include "soc/netmon.h"

#define BATCH_PACKETS 4096 /* per turn of the loop, so other inputs get theirs */
#define MAX_BASE 96        /* counters of ours kept from the last run */

typedef struct queued {
  char *json;
  size_t len;
  int64_t ts_ns;
  uint64_t pos;
} queued;

typedef struct base_counter {
  char name[48];
  int64_t value;
} base_counter;

typedef struct pcap_state {
  soc_input *in;
  pcap_t *p;
  int linktype;
  int live;
  int fd; /* live: pcap's selectable fd, registered */
  soc_netmon *nm;
  soc_netscan *scan; /* NULL: no YARA rules, nothing scanned */
  soc_timer *work;   /* file (daemon): the next batch; both: after resume */
  soc_timer *tick;   /* live: expire flows when no packet comes */
  char *json;        /* SOC_EVENT_JSON_MAX */
  queued *q;         /* events the journal could not take yet */
  size_t qhead, qn, qcap;
  uint64_t seq;        /* position of the next event */
  uint64_t skip_below; /* file: events already committed by an earlier run */
  int64_t stream;
  char ident[128]; /* file: "dev:ino:size:mtime" */
  char key[160];   /* store meta key of our position */
  int eof;         /* file: read to its end and flushed */
  int done;        /* file: marked done in the store (or to be, at checkpoint) */
  int64_t pcap_errors, kernel_drops_base;
  base_counter base[MAX_BASE];
  size_t nbase;
} pcap_state;

static soc_loop *loop_of(pcap_state *st) { return soc_ingest_loop(st->in->ingest); }

/* ---- events into the journal ------------------------------------------------- */

static int hand(pcap_state *st, const char *json, size_t len, int64_t ts, uint64_t pos) {
  soc_jline line = {
      .data = json, .len = len, .pos = pos, .ts_ns = ts, .recv_ns = soc_now_real_ns()};
  return soc_ingest_event(st->in, st->in->cfg->id, st->stream, &line);
}

/* Offers the queued events; -EAGAIN while the journal is full. */
static int drain_queue(pcap_state *st) {
  while (st->qn) {
    queued *e = &st->q[st->qhead];
    int rc = hand(st, e->json, e->len, e->ts_ns, e->pos);
    if (rc < 0) return rc;
    free(e->json);
    st->qhead = (st->qhead + 1) % st->qcap;
    st->qn--;
  }
  st->qhead = 0;
  return 0;
}

static int enqueue(pcap_state *st, const char *json, size_t len, int64_t ts, uint64_t pos) {
  if (st->qn == st->qcap) {
    size_t cap = st->qcap ? st->qcap * 2 : 64;
    queued *q = malloc(cap * sizeof *q);
    if (!q) return -ENOMEM;
    for (size_t i = 0; i < st->qn; i++) q[i] = st->q[(st->qhead + i) % st->qcap];
    free(st->q);
    st->q = q;
    st->qcap = cap;
    st->qhead = 0;
  }
  queued *e = &st->q[(st->qhead + st->qn) % st->qcap];
  if (!(e->json = malloc(len))) return -ENOMEM;
  memcpy(e->json, json, len);
  e->len = len;
  e->ts_ns = ts;
  e->pos = pos;
  st->qn++;
  return 0;
}

static void on_event(void *arg, soc_event *ev) {
  pcap_state *st = arg;
  size_t len = 0;
  int64_t ts = 0;
  uint64_t pos = st->seq++;
  if (pos < st->skip_below) return; /* journaled by the run before a restart */
  soc_event_get_time(ev, &ts);
  if (soc_event_write_json(ev, st->json, SOC_EVENT_JSON_MAX, &len) < 0) return;
  if (!st->qn && hand(st, st->json, len, ts, pos) == 0) return;
  if (enqueue(st, st->json, len, ts, pos) < 0) st->in->counters[SOC_CTR_DROPPED]++;
}

static void on_stream(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len,
                      uint64_t offset) {
  soc_netscan_stream(((pcap_state *)arg)->scan, flow, dir, bytes, len, offset);
}

static void on_body(void *arg, soc_flow *flow, const soc_http_txn *txn, int dir,
                    const uint8_t *bytes, size_t len, uint64_t offset, int final) {
  soc_netscan_body(((pcap_state *)arg)->scan, flow, txn, dir, bytes, len, offset, final);
}

static void on_opaque(void *arg, soc_flow *flow, int dir, const uint8_t *bytes, size_t len) {
  soc_netscan_opaque(((pcap_state *)arg)->scan, flow, dir, bytes, len);
}

static void on_flow_end(void *arg, soc_flow *flow) {
  soc_netscan_flow_end(((pcap_state *)arg)->scan, flow);
}

/* ---- reading ------------------------------------------------------------------ */

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data) {
  pcap_state *st = (pcap_state *)arg;
  int64_t ts = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * 1000LL;
  soc_netmon_packet(st->nm, st->linktype, data, h->caplen, h->len, ts);
}

/* File: reads up to max packets. Returns 0 at the end of the file (and
 * everything handed over), 1 when there is more, -EAGAIN when paused. */
static int read_file(pcap_state *st, int max) {
  int rc = drain_queue(st);
  if (rc < 0) return rc;
  if (st->eof) return 0;
  for (int i = 0; i < max && !st->in->paused; i++) {
    struct pcap_pkthdr *h;
    const u_char *data;
    rc = pcap_next_ex(st->p, &h, &data);
    if (rc == 1) {
      on_packet((u_char *)st, h, data);
      continue;
    }
    if (rc == PCAP_ERROR) {
      st->pcap_errors++;
      fprintf(stderr,
              "socagent: %s: %s: the file is damaged or cut short: %s; what was read before "
              "is kept\n",
              st->in->cfg->id, st->in->cfg->file, pcap_geterr(st->p));
    }
    /* PCAP_ERROR_BREAK: the end. Flows still open end with the file. */
    soc_netmon_flush(st->nm);
    st->eof = 1;
    break;
  }
  if (st->in->paused || st->qn) return -EAGAIN;
  if (st->eof) {
    st->done = 1;
    soc_ingest_touch(st->in->ingest);
    return 0;
  }
  return 1;
}

static int in_drain(soc_input *in) {
  pcap_state *st = in->state;
  if (st->live) return 0; /* --oneshot reads files; an interface has no end */
  if (!st->p) return 0;
  for (;;) {
    int rc = read_file(st, BATCH_PACKETS);
    if (rc <= 0) return rc;
  }
}

static void on_work(void *arg) {
  pcap_state *st = arg;
  if (st->live) {
    if (drain_queue(st) == 0) soc_loop_mod_fd(loop_of(st), st->fd, EPOLLIN);
    return;
  }
  if (st->p && read_file(st, BATCH_PACKETS) == 1) soc_loop_timer_kick(st->work);
}

static void on_readable(void *arg, int fd, uint32_t events) {
  pcap_state *st = arg;
  (void)fd;
  (void)events;
  if (drain_queue(st) < 0) {
    soc_loop_mod_fd(loop_of(st), st->fd, 0);
    return;
  }
  int n = pcap_dispatch(st->p, BATCH_PACKETS, on_packet, (u_char *)st);
  if (n == PCAP_ERROR) {
    st->pcap_errors++;
    fprintf(stderr, "socagent: %s: capture on %s failed: %s\n", st->in->cfg->id,
            st->in->cfg->interface, pcap_geterr(st->p));
  }
  /* Stop reading while the journal is full: the kernel buffer holds what
   * comes meanwhile, and what it cannot hold shows in `dropped`. */
  if (st->in->paused || st->qn) soc_loop_mod_fd(loop_of(st), st->fd, 0);
}

static void on_tick(void *arg) {
  pcap_state *st = arg;
  struct pcap_stat ps;
  soc_netmon_tick(st->nm, soc_now_real_ns());
  if (pcap_stats(st->p, &ps) == 0)
    st->in->counters[SOC_CTR_DROPPED] = st->kernel_drops_base + (int64_t)ps.ps_drop;
  soc_ingest_touch(st->in->ingest); /* counters and the position */
}

/* The bpf filter applies to files as to interfaces (tcpdump -r does too). */
static int set_filter(pcap_state *st) {
  const soc_input_config *c = st->in->cfg;
  struct bpf_program prog;
  if (!c->bpf || !*c->bpf) return 0;
  if (pcap_compile(st->p, &prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
      pcap_setfilter(st->p, &prog) < 0) {
    fprintf(stderr, "socagent: %s: bpf '%s': %s\n", c->id, c->bpf, pcap_geterr(st->p));
    pcap_freecode(&prog);
    return -EINVAL;
  }
  pcap_freecode(&prog);
  return 0;
}

static int open_live(pcap_state *st) {
  const soc_input_config *c = st->in->cfg;
  char err[PCAP_ERRBUF_SIZE];
  int rc;
  st->p = pcap_create(c->interface, err);
  if (!st->p) {
    fprintf(stderr, "socagent: %s: cannot capture on %s: %s\n", c->id, c->interface, err);
    return -ENODEV;
  }
  pcap_set_snaplen(st->p, (int)c->snaplen);
  pcap_set_buffer_size(st->p, (int)c->buffer_size);
  pcap_set_promisc(st->p, c->promiscuous);
  pcap_set_timeout(st->p, 100);
  rc = pcap_activate(st->p);
  if (rc < 0) {
    fprintf(stderr, "socagent: %s: cannot capture on %s: %s%s\n", c->id, c->interface,
            pcap_statustostr(rc),
            rc == PCAP_ERROR_PERM_DENIED ? " (the agent needs CAP_NET_RAW)" : "");
    return -EPERM;
  }
  if (rc > 0) fprintf(stderr, "socagent: %s: %s: %s\n", c->id, c->interface, pcap_geterr(st->p));
  if ((rc = set_filter(st)) < 0) return rc;
  if (pcap_setnonblock(st->p, 1, err) < 0 || (st->fd = pcap_get_selectable_fd(st->p)) < 0) {
    fprintf(stderr, "socagent: %s: %s cannot be polled\n", c->id, c->interface);
    return -EIO;
  }
  st->linktype = pcap_datalink(st->p);
  return 0;
}

/* Opens the file unless it was read to its end by an earlier run. */
static int open_file(pcap_state *st, soc_store *store) {
  const soc_input_config *c = st->in->cfg;
  char err[PCAP_ERRBUF_SIZE], saved[256];
  struct stat sb;
  if (stat(c->file, &sb) < 0) {
    fprintf(stderr, "socagent: %s: %s: %s\n", c->id, c->file, strerror(errno));
    return -errno;
  }
  snprintf(st->ident, sizeof st->ident, "%llu:%llu:%lld:%lld", (unsigned long long)sb.st_dev,
           (unsigned long long)sb.st_ino, (long long)sb.st_size, (long long)sb.st_mtime);
  uint8_t h[SOC_SHA256_LEN];
  soc_sha256(st->ident, strlen(st->ident), h);
  int64_t s = 0;
  for (int i = 0; i < 7; i++) s = s << 8 | h[i];
  st->stream = s ? s : 1;
  /* "IDENT done" or "IDENT N": what an earlier run did with this file. */
  if (soc_store_meta_get(store, st->key, saved, sizeof saved, NULL) == 0) {
    size_t il = strlen(st->ident);
    if (!strncmp(saved, st->ident, il) && saved[il] == ' ') {
      if (!strcmp(saved + il + 1, "done")) {
        st->done = st->eof = 1;
        return 0;
      }
      st->skip_below = strtoull(saved + il + 1, NULL, 10);
    }
  }
  st->p = pcap_open_offline(c->file, err);
  if (!st->p) {
    st->pcap_errors++;
    fprintf(stderr, "socagent: %s: %s is not a pcap or pcapng file I can read: %s\n", c->id,
            c->file, err);
    st->done = st->eof = 1; /* counted and said; nothing to read */
    return 0;
  }
  st->linktype = pcap_datalink(st->p);
  return set_filter(st);
}

/* ---- counters ------------------------------------------------------------------ */

static int load_base(void *arg, const char *input, const char *name, int64_t value) {
  pcap_state *st = arg;
  if (strcmp(input, st->in->cfg->id) || st->nbase == MAX_BASE) return 0;
  for (int c = 0; c < SOC_CTR_COUNT; c++)
    if (!strcmp(name, soc_counter_name((soc_counter)c))) return 0;
  base_counter *b = &st->base[st->nbase++];
  snprintf(b->name, sizeof b->name, "%s", name);
  b->value = value;
  if (!strcmp(name, "flows.active")) b->value = 0; /* a gauge, not a total */
  return 0;
}

static int64_t base_of(pcap_state *st, const char *name) {
  for (size_t i = 0; i < st->nbase; i++)
    if (!strcmp(st->base[i].name, name)) return st->base[i].value;
  return 0;
}

typedef struct save_ctx {
  pcap_state *st;
  soc_store *store;
  int rc;
} save_ctx;

static void save_one(void *arg, const char *name, int64_t value) {
  save_ctx *c = arg;
  if (c->rc == 0)
    c->rc = soc_store_counter_set(c->store, c->st->in->cfg->id, name, base_of(c->st, name) + value);
}

static int in_save_counters(soc_input *in, soc_store *store) {
  pcap_state *st = in->state;
  save_ctx c = {st, store, 0};
  soc_netmon_counters(st->nm, save_one, &c);
  if (st->scan) soc_netscan_counters(st->scan, save_one, &c);
  save_one(&c, "pcap_errors", st->pcap_errors);
  return c.rc;
}

/* ---- the input ----------------------------------------------------------------- */

static int in_create(soc_input *in) {
  int result = -ENOMEM;
  const soc_input_config *c = in->cfg;
  soc_store *store = soc_ingest_store(in->ingest);
  pcap_state *st = calloc(1, sizeof *st);
  if (!st) goto out;
  in->state = st;
  st->in = in;
  st->fd = -1;
  st->live = c->interface != NULL;
  if (!(st->json = malloc(SOC_EVENT_JSON_MAX))) goto out;
  if ((result = soc_netscan_new(in, &st->scan)) < 0) goto out;
  result = -ENOMEM;
  soc_netmon_opts o = {
      .flow = {.max_flows = (uint32_t)c->max_flows, .timeout_ns = c->flow_timeout * 1000000000LL},
      .tcp = {.depth = (uint64_t)c->stream_depth},
      .body_max = (size_t)c->body_max,
      .flow_records = c->flow_records,
      .arg = st,
      .on_event = on_event,
  };
  if (st->scan) {
    /* the scanned first bytes are reassembled even past stream_depth */
    if (c->scan_bytes > c->stream_depth) o.tcp.depth = (uint64_t)c->scan_bytes;
    o.on_stream_data = on_stream;
    o.on_body = on_body;
    if (!c->scan_encrypted) o.on_opaque = on_opaque;
    o.on_flow_end = on_flow_end;
  }
  if (!(st->nm = soc_netmon_new(&o))) goto out;
  snprintf(st->key, sizeof st->key, "pcap.%s.position", c->id);
  result = soc_store_counters_scan(store, load_base, st);
  if (result < 0) goto out;
  st->kernel_drops_base = in->counters[SOC_CTR_DROPPED];
  if (st->live) {
    char saved[32];
    if (soc_store_meta_get(store, st->key, saved, sizeof saved, NULL) == 0)
      st->seq = strtoull(saved, NULL, 10);
  } else {
    result = open_file(st, store);
    if (result < 0) goto out;
  }
  result = 0;
out:
  return result;
}

static int in_start(soc_input *in) {
  pcap_state *st = in->state;
  int rc;
  if (!(st->work = soc_loop_add_timer(loop_of(st), 0, on_work, st))) return -ENOMEM;
  if (!st->live) {
    soc_loop_timer_kick(st->work);
    return 0;
  }
  if ((rc = open_live(st)) < 0) return rc;
  if (!(st->tick = soc_loop_add_timer(loop_of(st), 1000, on_tick, st))) return -ENOMEM;
  return soc_loop_add_fd(loop_of(st), st->fd, EPOLLIN, on_readable, st);
}

static int in_checkpoint(soc_input *in, soc_store *store) {
  pcap_state *st = in->state;
  char v[256];
  int rc = st->scan ? soc_netscan_write(st->scan, store) : 0;
  if (rc < 0) return rc;
  if (st->live) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)(st->seq - st->qn));
  } else {
    if (!st->p) return 0; /* done by an earlier run, or unreadable: nothing to save */
    if (st->done)
      snprintf(v, sizeof v, "%s done", st->ident);
    else
      snprintf(v, sizeof v, "%s %llu", st->ident, (unsigned long long)(st->seq - st->qn));
  }
  return soc_store_meta_set(store, st->key, v);
}

static void in_committed(soc_input *in) {
  pcap_state *st = in->state;
  if (st->scan) soc_netscan_committed(st->scan);
}

static void in_resume(soc_input *in) {
  pcap_state *st = in->state;
  if (st->work) soc_loop_timer_kick(st->work);
}

static int in_stop(soc_input *in) {
  pcap_state *st = in->state;
  /* A capture's open flows end with it; a file read half-way is read
   * again from the start next time (see the top of the file). */
  if (st->live && st->p) {
    soc_netmon_flush(st->nm);
    if (st->fd >= 0) soc_loop_del_fd(loop_of(st), st->fd);
    st->fd = -1;
  }
  return drain_queue(st);
}

static void in_destroy(soc_input *in) {
  pcap_state *st = in->state;
  if (!st) return;
  if (st->fd >= 0) soc_loop_del_fd(loop_of(st), st->fd);
  /* Flows still open end here without a journal to take them, nor a
   * commit to draft what a scan would find. */
  st->skip_below = UINT64_MAX;
  soc_netscan_close(st->scan);
  soc_netmon_free(st->nm);
  soc_netscan_free(st->scan);
  if (st->p) pcap_close(st->p);
  for (size_t i = 0; i < st->qn; i++) free(st->q[(st->qhead + i) % st->qcap].json);
  free(st->q);
  free(st->json);
  free(st);
  in->state = NULL;
}

const soc_input_ops soc_input_pcap_ops = {
    .type = SOC_INPUT_PCAP,
    .create = in_create,
    .start = in_start,
    .drain = in_drain,
    .checkpoint = in_checkpoint,
    .committed = in_committed,
    .resume = in_resume,
    .stop = in_stop,
    .destroy = in_destroy,
    .save_counters = in_save_counters,
};
