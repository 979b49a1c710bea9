/*
 * input_syslog — syslog over the network: one UDP socket or one TCP
 * listener per input, on the agent's single-threaded epoll loop.
 *
 * Why it is built this way:
 *
 *  - No threads. Every message is handed to the journal from the loop's
 *    thread, so there are no locks between reading and committing, and
 *    "the journal is full" can be obeyed at once: we simply stop reading.
 *    The kernel then holds what senders keep sending: TCP flow control
 *    slows them down; a full UDP buffer drops datagrams, which the kernel
 *    counts and we report (SO_RXQ_OVFL). Nothing here ever sleeps.
 *
 *  - UDP is read with recvmmsg, a batch of datagrams per system call: at
 *    tens of thousands of messages a second the per-call cost is what
 *    limits a reader. One datagram is one message (RFC 5426). A datagram
 *    longer than max_message_bytes comes back cut (MSG_TRUNC) and is
 *    flagged. The drop count in SO_RXQ_OVFL's control message is the
 *    socket's running total, so we store the latest value, never a sum.
 *
 *  - TCP framing (RFC 6587) is decided per message, as rsyslog and
 *    syslog-ng do: a frame that starts with a digit run and a space is
 *    octet-counted ("LEN SP MSG"), anything else runs to a newline (or a
 *    NUL, which some senders use). A count that can not be right (leading
 *    zero, longer than max_message_bytes) is a framing error: the sender
 *    is not speaking octet counting, so the connection is read by
 *    newline from then on and the digits stay part of the message. The
 *    cost of deciding per message is the RFC's own ambiguity: a raw
 *    newline-framed line that starts with "12 " is taken as counted.
 *    The framing is a pure state machine of its own (lib/syslog_frame.c),
 *    unit tested and fuzzed apart from the sockets.
 *
 *  - Memory is bounded per connection: a receive buffer grows on demand
 *    up to max_message_bytes plus room for a count header, and never
 *    past it. A newline-framed message longer than the maximum is cut at
 *    it, flagged, and the rest skipped up to its terminator. So a sender
 *    can cost at most max_message_bytes (+32) of our memory, and
 *    max_connections senders at most that many times over.
 *
 *  - Senders cannot lock out senders. Connections are kept in order of
 *    their last activity; one silent for idle_timeout is closed, one more
 *    than max_connections_per_address from one address is refused, and at
 *    max_connections the least recently active one is closed for the new
 *    one (before refusing it outright, as this did, let 256 idle
 *    connections keep every real sender out for as long as they stayed).
 *    A connection about to be closed is read first: a paused input's
 *    connections look silent while the kernel holds their data. Refusals
 *    and closes are counted, and said at most once a minute.
 *
 *  - Positions: a network input has no file offsets, so each message
 *    gets the input's next sequence number (event.id is derived from it).
 *    The next number is saved in the same transaction as the messages
 *    (checkpoint), so a restart neither reuses a committed position nor
 *    leaves a gap that means anything.
 *
 *  - Backpressure: when soc_ingest_line says -EAGAIN, the message stays
 *    where it is (in the connection's buffer, or in the UDP batch) and
 *    every descriptor of the input leaves the loop. Removing them, rather
 *    than asking for no events, matters: epoll reports a reset connection
 *    (EPOLLHUP/EPOLLERR) even with an empty event mask, and the loop would
 *    spin. resume() kicks a timer that first hands over what was kept,
 *    then puts the descriptors back.
 */
#define _GNU_SOURCE /* recvmmsg, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest.h"
#include "input.h"
#include "soc/syslog_frame.h"

#define UDP_BATCH 32         /* datagrams per recvmmsg */
#define UDP_ROUNDS 8         /* recvmmsg calls per readiness event */
#define UDP_SLOT_MAX 65536u  /* no UDP payload is longer (IPv6 jumbograms aside) */
#define TCP_READS 8          /* reads per connection per readiness event */
#define TCP_BUF_START 16384u /* a connection's first buffer; grows to its cap */
#define ACCEPTS_PER_EVENT 64
#define PEER_MAX (INET6_ADDRSTRLEN + 16)
#define SWEEP_MIN_MS 50
#define STOP_READ_ROUNDS 64 /* conn_read calls per connection at a stop */
#define SWEEP_MAX_MS 1000

typedef struct syslog_state syslog_state;

typedef struct conn {
  syslog_state *st;
  int fd;
  int registered; /* on the loop now */
  char peer[PEER_MAX];
  char *buf;
  size_t bufcap;               /* allocated; grows up to st->conn_cap */
  size_t start, len;           /* unprocessed bytes are buf[start..len) */
  soc_frame_state fs;          /* framing of buf[start..len): lib/syslog_frame.c */
  int eof;                     /* the peer closed (or reset): flush, then close */
  int64_t recv_ns;             /* when the last bytes arrived */
  int64_t active_ms;           /* monotonic: accepted, or the last bytes arrived */
  char addr[INET6_ADDRSTRLEN]; /* the peer's address, for the per-address limit */
  struct conn *prev, *next;    /* most recently active first */
} conn;

/* What was refused or closed since it was last said (once a minute). */
typedef struct conn_news {
  int64_t per_addr, no_fd, other, evicted, idle;
  char last_addr[INET6_ADDRSTRLEN];
} conn_news;

typedef struct udp_slot {
  struct sockaddr_storage from;
  char ctrl[CMSG_SPACE(sizeof(uint32_t)) + 64];
} udp_slot;

struct syslog_state {
  soc_input *in;
  soc_listen addr;
  size_t max; /* max_message_bytes */
  int fd;     /* the UDP socket or the TCP listener */
  int registered;
  int spare_fd;        /* /dev/null, given up to accept() and refuse when out of fds */
  soc_timer *timer;    /* resume: hand over what was kept, then read again */
  int64_t drops_base;  /* drops counted by earlier runs (the kernel's count starts at 0) */
  uint64_t next_seq;   /* position of the next message */
  uint64_t saved_seq;  /* what the store holds */
  uint64_t saving_seq; /* what the open transaction writes */
  /* UDP */
  char *slots; /* UDP_BATCH buffers of slot_len bytes */
  size_t slot_len;
  udp_slot *meta;
  struct mmsghdr *msgs;
  struct iovec *iov;
  unsigned udp_next, udp_count; /* the batch not yet handed over: [next, count) */
  int64_t udp_recv_ns;
  /* TCP */
  conn *conns, *tail; /* most and least recently active */
  size_t nconns;
  soc_timer *sweep; /* closes idle connections, says what was refused */
  conn_news news;
  int64_t news_said_ms;
  size_t conn_cap; /* max_message_bytes + SOC_FRAME_SLACK */
  int errors_said; /* error messages written to stderr (capped at 10) */
};

static const char *input_id(const syslog_state *st) { return st->in->cfg->id; }

static soc_loop *loop_of(const syslog_state *st) { return soc_ingest_loop(st->in->ingest); }

/* "1.2.3.4:514" or "[::1]:514"; an IPv4-mapped IPv6 address (a dual-stack
 * listener) is written as the IPv4 address it is. OUT: ip (may be NULL),
 * the address alone. */
static void format_peer(const struct sockaddr_storage *ss, char *out, size_t cap,
                        char ip_out[INET6_ADDRSTRLEN]) {
  char ip[INET6_ADDRSTRLEN] = "unknown";
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof ip);
      snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
      snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    }
  } else {
    snprintf(out, cap, "unknown");
  }
  if (ip_out) memcpy(ip_out, ip, sizeof ip);
}

/* ---- handing messages over ------------------------------------------------ */

/* Hands one message. Trailing newlines, CRs and NULs are framing, not
 * content; an empty message carries nothing and takes no position.
 * Returns 0 (taken, or dropped on an error that retrying would not fix)
 * or -EAGAIN (not taken: pause). */
static int hand(syslog_state *st, const char *peer, const char *data, size_t len, uint32_t flags,
                int64_t recv_ns) {
  while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == '\0')) len--;
  if (!len) return 0;
  soc_jline l = {.data = data,
                 .len = len,
                 .pos = st->next_seq,
                 .recv_ns = recv_ns,
                 .flags = flags,
                 .peer = peer};
  int rc = soc_ingest_line(st->in, input_id(st), 0, &l);
  if (rc == -EAGAIN) return rc;
  if (rc < 0) {
    /* Only -ENOMEM can get here (lengths are far below the journal's
     * limit). Holding the message would stall every sender for good. */
    st->in->counters[SOC_CTR_READ_ERRORS]++;
    if (st->errors_said++ < 10)
      fprintf(stderr, "socagent: %s: a message from %s was lost: %s\n", input_id(st), peer,
              strerror(-rc));
    return 0;
  }
  st->next_seq++;
  return 0;
}

/* ---- registering and pausing ----------------------------------------------- */

static void on_udp(void *arg, int fd, uint32_t events);
static void on_listener(void *arg, int fd, uint32_t events);
static void on_conn(void *arg, int fd, uint32_t events);
static void on_resume(void *arg);

static int register_main(syslog_state *st) {
  if (st->registered || st->fd < 0) return 0;
  int rc = soc_loop_add_fd(loop_of(st), st->fd, EPOLLIN, st->addr.tcp ? on_listener : on_udp, st);
  if (rc == 0) st->registered = 1;
  return rc;
}

static int register_conn(conn *c) {
  if (c->registered) return 0;
  int rc = soc_loop_add_fd(loop_of(c->st), c->fd, EPOLLIN | EPOLLRDHUP, on_conn, c);
  if (rc == 0) c->registered = 1;
  return rc;
}

/* The journal is full: no descriptor of ours is watched until resume(). */
static void pause_all(syslog_state *st) {
  if (st->registered) {
    soc_loop_del_fd(loop_of(st), st->fd);
    st->registered = 0;
  }
  for (conn *c = st->conns; c; c = c->next)
    if (c->registered) {
      soc_loop_del_fd(loop_of(st), c->fd);
      c->registered = 0;
    }
}

/* ---- UDP ------------------------------------------------------------------- */

/* Hands the datagrams of the current batch not handed yet. */
static int udp_hand_batch(syslog_state *st) {
  char peer[PEER_MAX];
  while (st->udp_next < st->udp_count) {
    unsigned i = st->udp_next;
    struct msghdr *h = &st->msgs[i].msg_hdr;
    uint32_t flags = (h->msg_flags & MSG_TRUNC) ? SOC_JLINE_TRUNCATED : 0;
    format_peer(&st->meta[i].from, peer, sizeof peer, NULL);
    int rc = hand(st, peer, st->slots + (size_t)i * st->slot_len, st->msgs[i].msg_len, flags,
                  st->udp_recv_ns);
    if (rc < 0) return rc;
    st->udp_next++;
  }
  return 0;
}

/* The kernel's count of datagrams dropped on this socket, when it says. */
static void udp_read_drops(syslog_state *st, struct msghdr *h) {
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
        cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
      uint32_t drops;
      memcpy(&drops, CMSG_DATA(cm), sizeof drops);
      st->in->counters[SOC_CTR_DROPPED] = st->drops_base + (int64_t)drops;
    }
  }
}

/* Reads batches until the socket is empty, the round budget is spent, or
 * the journal asks us to wait. Returns 0 or -EAGAIN (journal). */
static int udp_read(syslog_state *st) {
  for (int round = 0; round < UDP_ROUNDS; round++) {
    for (unsigned i = 0; i < UDP_BATCH; i++) {
      struct msghdr *h = &st->msgs[i].msg_hdr;
      h->msg_name = &st->meta[i].from;
      h->msg_namelen = sizeof st->meta[i].from;
      h->msg_iov = &st->iov[i];
      h->msg_iovlen = 1;
      h->msg_control = st->meta[i].ctrl;
      h->msg_controllen = sizeof st->meta[i].ctrl;
      h->msg_flags = 0;
      st->iov[i].iov_base = st->slots + (size_t)i * st->slot_len;
      st->iov[i].iov_len = st->slot_len;
    }
    int n = recvmmsg(st->fd, st->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) st->in->counters[SOC_CTR_READ_ERRORS]++;
      return 0;
    }
    st->udp_recv_ns = soc_now_real_ns();
    st->udp_next = 0;
    st->udp_count = (unsigned)n;
    for (int i = 0; i < n; i++) udp_read_drops(st, &st->msgs[i].msg_hdr);
    int rc = udp_hand_batch(st);
    if (rc < 0) return rc;
    if (n < UDP_BATCH) return 0;
  }
  return 0;
}

static void on_udp(void *arg, int fd, uint32_t events) {
  syslog_state *st = arg;
  (void)fd;
  (void)events;
  if (st->in->paused) return;
  if (udp_read(st) == -EAGAIN) pause_all(st);
}

/* ---- TCP framing ----------------------------------------------------------- */

/* Hands every complete frame in c's buffer (all of it at eof). Returns 0
 * or -EAGAIN; what was not handed stays in the buffer. The framing itself
 * (octet counting, newline/NUL, cuts and skips) is lib/syslog_frame.c. */
static int conn_process(conn *c) {
  syslog_state *st = c->st;
  int rc = 0;
  while (c->start < c->len) {
    soc_frame f;
    int k = soc_frame_next(&c->fs, c->buf + c->start, c->len - c->start, c->eof, &f);
    if (f.bad_count) st->in->counters[SOC_CTR_FRAMING_ERRORS]++;
    if (k == SOC_FRAME_NEED_MORE) break;
    if (k == SOC_FRAME_MESSAGE) {
      rc = hand(st, c->peer, c->buf + c->start + f.off, f.len, f.flags, c->recv_ns);
      if (rc < 0) break;
    }
    c->start += f.consumed;
    soc_frame_done(&c->fs, &f);
  }
  /* Keep the rest at the front, so the buffer's room is all for reading. */
  if (c->start) {
    memmove(c->buf, c->buf + c->start, c->len - c->start);
    c->len -= c->start;
    c->start = 0;
  }
  return rc;
}

/* ---- TCP connections ------------------------------------------------------- */

static void conn_unlink(conn *c) {
  syslog_state *st = c->st;
  if (c->prev)
    c->prev->next = c->next;
  else
    st->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    st->tail = c->prev;
  c->prev = c->next = NULL;
}

static void conn_push_front(conn *c) {
  syslog_state *st = c->st;
  c->next = st->conns;
  c->prev = NULL;
  if (st->conns)
    st->conns->prev = c;
  else
    st->tail = c;
  st->conns = c;
}

static void conn_close(conn *c) {
  syslog_state *st = c->st;
  if (c->registered) soc_loop_del_fd(loop_of(st), c->fd);
  close(c->fd);
  conn_unlink(c);
  st->nconns--;
  free(c->buf);
  free(c);
}

/* Room to read into: grows the buffer (doubling, up to its cap). Returns
 * the bytes free, 0 when at the cap and full (cannot happen: a full buffer
 * always holds a frame, see soc_frame_next). */
static size_t conn_room(conn *c) {
  size_t cap = c->st->conn_cap;
  if (c->len == c->bufcap && c->bufcap < cap) {
    size_t want = c->bufcap * 2 < cap ? c->bufcap * 2 : cap;
    char *b = realloc(c->buf, want);
    if (b) {
      c->buf = b;
      c->bufcap = want;
    }
  }
  return c->bufcap - c->len;
}

/* Reads what c has for us and hands the frames. Returns 0, or -EAGAIN when
 * the journal is full. When the peer is gone and everything is handed, c is
 * closed (and freed): *closed says so. */
static int conn_read(conn *c, int *closed) {
  int rc = 0;
  *closed = 0;
  for (int i = 0; i < TCP_READS && !c->eof; i++) {
    size_t room = conn_room(c);
    if (!room) {
      /* Defensive: never reached, as a full buffer holds a frame. */
      c->len = c->start = 0;
      c->fs.skipping = 1;
      room = conn_room(c);
    }
    ssize_t got = read(c->fd, c->buf + c->len, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got <= 0) {
      c->eof = 1; /* closed, or reset: either way nothing more comes */
      break;
    }
    c->recv_ns = soc_now_real_ns();
    c->active_ms = soc_now_mono_ms();
    if (c->st->conns != c) {
      conn_unlink(c);
      conn_push_front(c);
    }
    c->len += (size_t)got;
    rc = conn_process(c);
    if (rc < 0) return rc;
    if ((size_t)got < room) break; /* the socket is empty: let others run */
  }
  if (c->eof) {
    rc = conn_process(c);
    if (rc < 0) return rc;
    conn_close(c);
    *closed = 1;
  }
  return 0;
}

static void on_conn(void *arg, int fd, uint32_t events) {
  conn *c = arg;
  syslog_state *st = c->st;
  int closed;
  (void)fd;
  (void)events;
  if (st->in->paused) return;
  if (conn_read(c, &closed) == -EAGAIN) pause_all(st);
}

enum { IDLE_KEPT = 0, IDLE_CLOSED = 1, IDLE_PEER_GONE = 2 };

/* Closes c unless it turns out to be active: what is waiting on it is read
 * and handed first. Returns IDLE_CLOSED, IDLE_KEPT (it sent something and
 * is now the most recently active), IDLE_PEER_GONE (it had closed), or
 * -EAGAIN (the journal is full: c stays, pause). */
static int close_if_idle(conn *c) {
  int64_t before = c->active_ms;
  int closed = 0;
  int rc = conn_read(c, &closed);
  if (rc < 0) return rc;
  if (closed) return IDLE_PEER_GONE;
  if (c->active_ms != before) return IDLE_KEPT;
  /* its unfinished message is handed as partial, as at the peer's close */
  c->eof = 1;
  rc = conn_process(c);
  if (rc < 0) return rc; /* on_resume hands the rest and closes it */
  conn_close(c);
  return IDLE_CLOSED;
}

/* Appends ", <n> <what>" when n is not 0. */
static void news_part(char *buf, size_t cap, size_t *used, int64_t n, const char *what) {
  if (!n || *used >= cap) return;
  int k = snprintf(buf + *used, cap - *used, "%s%lld %s", *used ? ", " : "", (long long)n, what);
  if (k > 0) *used += (size_t)k;
}

/* What was refused or closed since it was last said: at most once a
 * minute, or now (force: stopping). */
static void say_news(syslog_state *st, int64_t now_ms, int force) {
  conn_news *n = &st->news;
  char buf[1024], what[160];
  size_t used = 0;
  if (!n->per_addr && !n->no_fd && !n->other && !n->evicted && !n->idle) return;
  if (!force && st->news_said_ms && now_ms - st->news_said_ms < 60000) return;
  snprintf(what, sizeof what, "refused over max_connections_per_address (%lld, the latest from %s)",
           (long long)st->in->cfg->max_conn_per_addr, n->last_addr);
  news_part(buf, sizeof buf, &used, n->per_addr, what);
  news_part(buf, sizeof buf, &used, n->no_fd, "refused out of file descriptors");
  news_part(buf, sizeof buf, &used, n->other, "refused out of memory or with the journal full");
  snprintf(what, sizeof what, "closed at max_connections (%lld) for new ones",
           (long long)st->in->cfg->max_connections);
  news_part(buf, sizeof buf, &used, n->evicted, what);
  news_part(buf, sizeof buf, &used, n->idle, "closed after idle_timeout");
  fprintf(stderr, "socagent: %s: TCP connections %s: %s\n", input_id(st),
          st->news_said_ms ? "in the last minute" : "since start", buf);
  memset(n, 0, sizeof *n);
  st->news_said_ms = now_ms;
}

/* Closes the connections silent for idle_timeout, least recently active
 * first, and says what happened. */
static void on_sweep(void *arg) {
  syslog_state *st = arg;
  int64_t now = soc_now_mono_ms();
  while (!st->in->paused && st->tail && now - st->tail->active_ms >= st->in->cfg->idle_timeout_ms) {
    int rc = close_if_idle(st->tail);
    if (rc == -EAGAIN) {
      pause_all(st);
      break;
    }
    if (rc == IDLE_CLOSED) {
      st->in->counters[SOC_CTR_IDLE_CLOSED]++;
      st->news.idle++;
    }
  }
  say_news(st, now, 0);
}

/* Accepts and closes one pending connection when we are out of
 * descriptors, so the listener does not stay readable forever. */
static void refuse_without_fd(syslog_state *st) {
  if (st->spare_fd < 0) return;
  close(st->spare_fd);
  int fd = accept(st->fd, NULL, NULL);
  if (fd >= 0) {
    close(fd);
    st->in->counters[SOC_CTR_REFUSED]++;
    st->news.no_fd++;
  }
  st->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Room for one more connection from addr. Returns 1 yes; 0 refused (and
 * counted); -EAGAIN refused because the journal is full (pause). */
static int make_room(syslog_state *st, const char *addr) {
  size_t same = 0;
  for (conn *c = st->conns; c; c = c->next)
    if (strcmp(c->addr, addr) == 0) same++;
  if (same >= (size_t)st->in->cfg->max_conn_per_addr) {
    st->news.per_addr++;
    snprintf(st->news.last_addr, sizeof st->news.last_addr, "%s", addr);
    return 0;
  }
  while (st->nconns >= (size_t)st->in->cfg->max_connections) {
    int rc = close_if_idle(st->tail);
    if (rc < 0) return rc;
    if (rc == IDLE_CLOSED) {
      st->in->counters[SOC_CTR_EVICTED]++;
      st->news.evicted++;
    }
  }
  return 1;
}

static void on_listener(void *arg, int fd, uint32_t events) {
  syslog_state *st = arg;
  (void)events;
  if (st->in->paused) return;
  for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) refuse_without_fd(st);
      say_news(st, soc_now_mono_ms(), 0);
      return;
    }
    char addr[INET6_ADDRSTRLEN], peer[PEER_MAX];
    format_peer(&ss, peer, sizeof peer, addr);
    int room = make_room(st, addr);
    if (room <= 0) {
      close(cfd);
      st->in->counters[SOC_CTR_REFUSED]++;
      if (room == -EAGAIN) {
        st->news.other++;
        pause_all(st);
        return;
      }
      continue;
    }
    conn *c = calloc(1, sizeof *c);
    size_t first = TCP_BUF_START < st->conn_cap ? TCP_BUF_START : st->conn_cap;
    char *buf = c ? malloc(first) : NULL;
    if (!buf) {
      free(c);
      close(cfd);
      st->in->counters[SOC_CTR_REFUSED]++;
      st->news.other++;
      continue;
    }
    /* A sender whose host died without a FIN would hold its slot for
     * ever; keepalive lets the kernel find out (after its 2 h default). */
    int one = 1;
    setsockopt(cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    c->st = st;
    c->fd = cfd;
    c->buf = buf;
    c->bufcap = first;
    soc_frame_init(&c->fs, st->max);
    memcpy(c->peer, peer, sizeof c->peer);
    memcpy(c->addr, addr, sizeof c->addr);
    c->active_ms = soc_now_mono_ms();
    conn_push_front(c);
    st->nconns++;
    if (register_conn(c) < 0) {
      conn_close(c);
      st->in->counters[SOC_CTR_REFUSED]++;
      st->news.other++;
      continue;
    }
    st->in->counters[SOC_CTR_CONNECTIONS]++;
  }
  say_news(st, soc_now_mono_ms(), 0);
}

/* ---- listening ------------------------------------------------------------- */

/* Asks for the receive buffer; as root, past net.core.rmem_max. Says so
 * when the kernel gave less, since drops then come sooner. */
static void set_rcvbuf(syslog_state *st) {
  int want =
      st->in->cfg->recv_buffer > INT32_MAX / 2 ? INT32_MAX / 2 : (int)st->in->cfg->recv_buffer;
  if (setsockopt(st->fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) == 0) return;
  setsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  int got = 0;
  socklen_t gl = sizeof got;
  /* Linux reports twice the size asked (it counts its bookkeeping). */
  if (getsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got / 2 < want)
    fprintf(stderr,
            "socagent: %s: recv_buffer %d asked, the kernel gave %d (raise net.core.rmem_max, "
            "or run as root)\n",
            input_id(st), want, got / 2);
}

/* Creates, configures and binds the socket. Returns 0 or a negative errno;
 * *what names the step that failed. */
static int open_socket(syslog_state *st, const struct addrinfo *ai, const char **what) {
  int one = 1;
  *what = "cannot listen on";
  st->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (st->fd < 0) return -errno;
  if (st->addr.tcp) {
    /* A restart must not wait for TIME_WAIT to clear. (Not for UDP: there
     * SO_REUSEADDR would let a second agent share the port silently.) */
    setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  } else {
    if (setsockopt(st->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) < 0)
      fprintf(stderr, "socagent: %s: kernel drop counts are not available: %s\n", input_id(st),
              strerror(errno));
    set_rcvbuf(st);
  }
  if (bind(st->fd, ai->ai_addr, ai->ai_addrlen) < 0) return -errno;
  if (st->addr.tcp && listen(st->fd, SOMAXCONN) < 0) return -errno;
  return 0;
}

static int syslog_start(soc_input *in) {
  syslog_state *st = in->state;
  int result = -EINVAL;
  struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                           .ai_socktype = st->addr.tcp ? SOCK_STREAM : SOCK_DGRAM};
  struct addrinfo *ai = NULL;
  char port[16];
  const char *what = "cannot resolve";
  st->drops_base = in->counters[SOC_CTR_DROPPED];
  snprintf(port, sizeof port, "%u", st->addr.port);
  int g = getaddrinfo(st->addr.host, port, &hints, &ai);
  if (g != 0) {
    fprintf(stderr, "socagent: %s: cannot resolve %s: %s\n", input_id(st), in->cfg->listen,
            gai_strerror(g));
    goto out;
  }
  result = open_socket(st, ai, &what);
  if (result < 0) {
    fprintf(stderr, "socagent: %s: %s %s: %s\n", input_id(st), what, in->cfg->listen,
            strerror(-result));
    goto out;
  }
  result = -ENOMEM;
  st->timer = soc_loop_add_timer(loop_of(st), 0, on_resume, st);
  if (!st->timer) goto out;
  if (st->addr.tcp) {
    /* a quarter of the timeout late at most, and not more often than
     * SWEEP_MIN_MS: a walk of the idle end of the list is cheap */
    int64_t every = in->cfg->idle_timeout_ms / 4;
    every = every < SWEEP_MIN_MS ? SWEEP_MIN_MS : every > SWEEP_MAX_MS ? SWEEP_MAX_MS : every;
    st->sweep = soc_loop_add_timer(loop_of(st), every, on_sweep, st);
    if (!st->sweep) goto out;
  }
  result = register_main(st);
out:
  if (ai) freeaddrinfo(ai);
  if (result < 0 && st->fd >= 0) {
    close(st->fd);
    st->fd = -1;
  }
  return result;
}

/* ---- resuming -------------------------------------------------------------- */

/* After a commit: first what was kept (the UDP batch, the connections'
 * buffers, closed connections' last bytes), then the descriptors again. */
static void on_resume(void *arg) {
  syslog_state *st = arg;
  if (st->in->paused) return;
  if (udp_hand_batch(st) < 0) return;
  conn *next;
  for (conn *c = st->conns; c; c = next) {
    next = c->next;
    if (conn_process(c) < 0) return;
    if (c->eof) conn_close(c);
  }
  register_main(st);
  for (conn *c = st->conns; c; c = c->next) register_conn(c);
}

static void syslog_resume(soc_input *in) {
  syslog_state *st = in->state;
  if (st->timer) soc_loop_timer_kick(st->timer);
}

/* ---- the rest of the input's callbacks ------------------------------------- */

static int syslog_create(soc_input *in) {
  int result = -ENOMEM;
  const char *why = NULL;
  syslog_state *st = calloc(1, sizeof *st);
  if (!st) goto out;
  st->in = in;
  st->fd = -1;
  st->spare_fd = -1;
  in->state = st;
  result = -EINVAL;
  if (!in->cfg->listen || soc_listen_parse(in->cfg->listen, &st->addr, &why) < 0) {
    fprintf(stderr, "socagent: %s: listen '%s': %s\n", in->cfg->id,
            in->cfg->listen ? in->cfg->listen : "", why ? why : "missing");
    goto out;
  }
  st->max = (size_t)in->cfg->max_message_bytes;
  st->conn_cap = st->max + SOC_FRAME_SLACK;
  result = -ENOMEM;
  if (!st->addr.tcp) {
    st->slot_len = st->max < UDP_SLOT_MAX ? st->max : UDP_SLOT_MAX;
    st->slots = malloc(UDP_BATCH * st->slot_len);
    st->meta = calloc(UDP_BATCH, sizeof *st->meta);
    st->msgs = calloc(UDP_BATCH, sizeof *st->msgs);
    st->iov = calloc(UDP_BATCH, sizeof *st->iov);
    if (!st->slots || !st->meta || !st->msgs || !st->iov) goto out;
  } else {
    st->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  result = soc_store_seq_get(soc_ingest_store(in->ingest), in->cfg->id, &st->next_seq);
  st->saved_seq = st->saving_seq = st->next_seq;
out:
  return result;
}

static int syslog_checkpoint(soc_input *in, soc_store *store) {
  syslog_state *st = in->state;
  if (st->next_seq == st->saved_seq) return 0;
  int rc = soc_store_seq_set(store, in->cfg->id, st->next_seq);
  if (rc == 0) st->saving_seq = st->next_seq;
  return rc;
}

static void syslog_committed(soc_input *in) {
  syslog_state *st = in->state;
  st->saved_seq = st->saving_seq;
}

/* Stopping: what was read must reach the journal before the last commit,
 * down to a sender's unfinished message (flagged partial). What the
 * kernel still holds for the connections (a paused input left it there)
 * is read first: senders were told it arrived. */
static int syslog_stop(soc_input *in) {
  syslog_state *st = in->state;
  say_news(st, soc_now_mono_ms(), 1);
  int rc = udp_hand_batch(st);
  conn *next;
  for (conn *c = st->conns; rc == 0 && c; c = next) {
    int closed = 0;
    next = c->next;
    /* conn_read stops after TCP_READS reads; an empty socket costs one */
    for (int i = 0; rc == 0 && !closed && i < STOP_READ_ROUNDS; i++) rc = conn_read(c, &closed);
  }
  for (conn *c = st->conns; rc == 0 && c; c = c->next) {
    rc = conn_process(c);
    if (rc == 0 && c->len > c->start && !c->fs.skipping) {
      rc = hand(st, c->peer, c->buf + c->start, c->len - c->start, SOC_JLINE_PARTIAL, c->recv_ns);
      if (rc == 0) c->start = c->len;
    }
  }
  return rc;
}

static void syslog_destroy(soc_input *in) {
  syslog_state *st = in->state;
  if (!st) return;
  while (st->conns) conn_close(st->conns);
  if (st->fd >= 0) {
    if (st->registered) soc_loop_del_fd(loop_of(st), st->fd);
    close(st->fd);
  }
  if (st->spare_fd >= 0) close(st->spare_fd);
  free(st->slots);
  free(st->meta);
  free(st->msgs);
  free(st->iov);
  free(st);
  in->state = NULL;
}

const soc_input_ops soc_input_syslog_ops = {
    .type = SOC_INPUT_SYSLOG,
    .create = syslog_create,
    .start = syslog_start,
    .drain = NULL, /* nothing to read to an end: senders decide when they are done */
    .checkpoint = syslog_checkpoint,
    .committed = syslog_committed,
    .resume = syslog_resume,
    .stop = syslog_stop,
    .destroy = syslog_destroy,
};
