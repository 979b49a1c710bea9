/*
 * socbroker — a Kafka-protocol broker for the tests and the demo.
 *
 * Apache Kafka cannot be installed on the machines we build on, but
 * librdkafka ships a mock cluster that speaks the real wire protocol on
 * loopback: produce (idempotent too), fetch, metadata, consumer groups with
 * committed offsets. This program only hosts one such cluster in its own
 * process, so that the agent, the collector and kcat can all talk to it as
 * they would to a real cluster, and so that a test can pull the brokers down
 * and bring them back to exercise the outage paths.
 *
 * The mock cluster needs an rd_kafka_t for its bookkeeping; a producer that is
 * never given a bootstrap server and never produces does that job. The
 * cluster runs on librdkafka's own thread; our thread only waits on a
 * signalfd and on stdin and turns what arrives into set_down / set_up calls.
 * All the signals we act on are blocked before librdkafka starts its threads,
 * so they inherit the mask and no signal ever runs code behind our back: the
 * kernel queues them on the signalfd and we read them like any other input.
 *
 * The bootstrap address list is the first line of stdout and, with
 * --bootstrap-file, the content of that file, which appears in one rename()
 * once the topics exist: a script may wait for the file and then use it.
 * Both that file and --pid-file are removed again on a clean exit, so a
 * stale address from an earlier run is never mistaken for a live one.
 *
 * Limits of the mock (librdkafka 2.0.2) that tests must design around:
 *  - each partition keeps only about its newest 5 MB; older messages are
 *    dropped and the low watermark moves up. Count what was produced with
 *    the high watermark, not high - low, and consume while producing (or use
 *    more partitions) when a test moves more than that;
 *  - nothing is written to disk: a restart starts from empty topics;
 *  - a broker that is "down" closes its connections and its listening
 *    socket (clients see "Connection refused"), but its partitions keep it
 *    as their leader: where Kafka would elect another, they go dark;
 *  - a topic that nobody created is created on first use with 4 partitions,
 *    whatever --partitions says.
 *
 * Exit codes: 0 after SIGTERM, SIGINT or "quit"; 2 bad usage; 1 anything else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Ceilings that keep a typo from asking librdkafka for absurd amounts of
 * threads, sockets or memory; far above what a test needs. */
#define MAX_BROKERS 32
#define MAX_PARTITIONS 1024
#define MAX_RTT_MS 10000
#define MAX_TOPICS 64
#define MAX_TOPIC_NAME 249 /* Kafka's own limit */
#define MAX_LINE 256       /* one stdin command */

static const char *const prefix_suffixes[] = {"events",  "netflow",  "alerts",   "incidents",
                                              "reports", "evidence", "heartbeat"};
#define N_PREFIX_SUFFIXES (sizeof prefix_suffixes / sizeof prefix_suffixes[0])

/* Pause between two control calls into the mock cluster; see mock_pace(). */
#define MOCK_SPACING_NS 2000000L

typedef struct broker {
  int brokers;
  int partitions;
  int rtt_ms;               /* every response this late (--rtt) */
  char *topics[MAX_TOPICS]; /* owned */
  int n_topics;
  const char *bootstrap_file; /* argv's */
  const char *pid_file;       /* argv's */
  bool wrote_bootstrap_file;
  bool wrote_pid_file;
  rd_kafka_t *rk;                    /* owned; hosts the cluster */
  rd_kafka_mock_cluster_t *mcluster; /* owned */
  bool up[MAX_BROKERS + 1];          /* by broker id, 1..brokers */
  struct timespec last_call;         /* when the last control call returned */
} broker;

static void usage(FILE *out) {
  fprintf(out,
          "usage: socbroker [--brokers N] [--partitions P] [--topics a,b,c] [--prefix PFX]\n"
          "                 [--bootstrap-file FILE] [--pid-file FILE] [--rtt MS]\n"
          "A Kafka-protocol broker on 127.0.0.1 for tests and demos (librdkafka's mock\n"
          "cluster). Prints the bootstrap address list as the first line of stdout.\n"
          "  --brokers N          brokers in the cluster, ids 1..N (default 1, at most %d)\n"
          "  --partitions P       partitions of each topic (default 4, at most %d)\n"
          "  --topics a,b,c       topics to create (replication factor min(N,3)); any\n"
          "                       other topic is created on first use, with 4 partitions\n"
          "  --prefix PFX         also create PFX.events, PFX.netflow, PFX.alerts,\n"
          "                       PFX.incidents, PFX.reports, PFX.evidence, PFX.heartbeat\n"
          "  --bootstrap-file F   write the address list to F (atomically, once the\n"
          "                       topics exist); removed on a clean exit\n"
          "  --pid-file F         write the process id to F; removed on a clean exit\n"
          "  --rtt MS             each broker answers every request MS milliseconds late\n"
          "                       (a WAN's round trip; default 0, at most %d)\n"
          "Control: SIGUSR1 takes every broker down, SIGUSR2 brings them all up;\n"
          "SIGTERM or SIGINT stops (exit 0). Commands on stdin, one a line, each\n"
          "answered on stdout by 'ok ...' or 'error: ...':\n"
          "  down [ID]   up [ID]   status   quit\n"
          "Limits: each partition keeps only about the newest 5 MB; older messages are\n"
          "dropped and the low watermark moves up, so count with the high watermark.\n"
          "Nothing is kept on disk. A down broker keeps its partition leaderships.\n"
          "Example: build/tests/broker/socbroker --prefix soc --bootstrap-file /tmp/kafka\n"
          "         kcat -L -b \"$(cat /tmp/kafka)\"\n",
          MAX_BROKERS, MAX_PARTITIONS, MAX_RTT_MS);
}

/* A decimal integer in [lo, hi] and nothing else; 0 on success. */
static int parse_int(const char *s, int lo, int hi, int *out) {
  int result = -EINVAL;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) goto out;
  *out = (int)v;
  result = 0;
out:
  return result;
}

/* An option's integer in [lo, hi], or a message naming the option (and
 * the unit, if any) and what it got; 0 on success. */
static int int_option(const char *flag, const char *unit, const char *s, int lo, int hi, int *out) {
  if (parse_int(s, lo, hi, out) == 0) return 0;
  fprintf(stderr, "socbroker: %s: expected %d to %d%s, got '%s'\n", flag, lo, hi, unit, s);
  return -EINVAL;
}

/* Kafka accepts [a-zA-Z0-9._-], 1 to 249 characters, but not "." or "..". */
static bool topic_name_ok(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > MAX_TOPIC_NAME) return false;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/* Takes ownership of name. Duplicates are dropped so that "--topics
 * soc.events --prefix soc" does not try to create soc.events twice. */
static int add_topic(broker *b, char *name) {
  int result = -EINVAL;
  if (!topic_name_ok(name)) {
    fprintf(stderr, "socbroker: '%s' is not a valid topic name ([a-zA-Z0-9._-], 1-%d chars)\n",
            name, MAX_TOPIC_NAME);
    goto out;
  }
  for (int i = 0; i < b->n_topics; i++) {
    if (strcmp(b->topics[i], name) == 0) {
      result = 0;
      goto out;
    }
  }
  if (b->n_topics == MAX_TOPICS) {
    fprintf(stderr, "socbroker: more than %d topics\n", MAX_TOPICS);
    goto out;
  }
  b->topics[b->n_topics++] = name;
  name = NULL;
  result = 0;
out:
  free(name);
  return result;
}

static int add_topic_list(broker *b, const char *list) {
  int result = -EINVAL;
  const char *p = list;
  for (;;) {
    size_t len = strcspn(p, ",");
    if (len > 0) {
      char *name = strndup(p, len);
      if (name == NULL) {
        result = -ENOMEM;
        goto out;
      }
      if (add_topic(b, name) < 0) goto out;
    }
    if (p[len] == '\0') break;
    p += len + 1;
  }
  result = 0;
out:
  return result;
}

static int add_prefix_topics(broker *b, const char *prefix) {
  int result = -EINVAL;
  for (size_t i = 0; i < N_PREFIX_SUFFIXES; i++) {
    char *name = NULL;
    if (asprintf(&name, "%s.%s", prefix, prefix_suffixes[i]) < 0) {
      result = -ENOMEM;
      goto out;
    }
    if (add_topic(b, name) < 0) goto out;
  }
  result = 0;
out:
  return result;
}

/* Writes text to path through a temporary file in the same directory and a
 * rename(), so a reader polling for path sees nothing or all of it. */
static int write_file_atomically(const char *path, const char *text) {
  int result = -EIO;
  char *tmp = NULL;
  int fd = -1;
  if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
    tmp = NULL;
    result = -ENOMEM;
    goto out;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    result = -errno;
    goto out;
  }
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = -errno;
      goto out;
    }
    done += (size_t)n;
  }
  if (close(fd) < 0) {
    fd = -1;
    result = -errno;
    goto out;
  }
  fd = -1;
  if (rename(tmp, path) < 0) {
    result = -errno;
    goto out;
  }
  result = 0;
out:
  if (fd >= 0) close(fd);
  if (result < 0 && tmp != NULL) {
    unlink(tmp);
    fprintf(stderr, "socbroker: cannot write %s: %s\n", path, strerror(-result));
  }
  free(tmp);
  return result;
}

/*
 * Every control call (topic create, broker up/down) is an op that our thread
 * hands to the mock cluster's thread and waits for. In librdkafka 2.0.2 that
 * thread answers an op and only then drains its wake-up pipe, so an op queued
 * in between loses its wake-up and waits for the thread's 1 s poll timeout
 * (measured: 0-2 s more for creating seven topics, at random). Leaving the
 * thread a moment after each answer to get back to poll() closes the window
 * in practice (no stall in hundreds of starts, also under full CPU load); if
 * it ever misses, the cost is a second of delay, not a wrong result.
 */
static void mock_pace(broker *b) {
  struct timespec now, wait;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long elapsed =
      (long)(now.tv_sec - b->last_call.tv_sec) * 1000000000L + (now.tv_nsec - b->last_call.tv_nsec);
  if (elapsed >= 0 && elapsed < MOCK_SPACING_NS) {
    wait.tv_sec = 0;
    wait.tv_nsec = MOCK_SPACING_NS - elapsed;
    while (nanosleep(&wait, &wait) < 0 && errno == EINTR) continue;
  }
}

static void mock_done(broker *b) { clock_gettime(CLOCK_MONOTONIC, &b->last_call); }

static int cluster_start(broker *b) {
  int result = -EIO;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The host instance never connects anywhere; keep it from announcing that
   * it has no bootstrap servers, which would only confuse a reader. */
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "socbroker: %s\n", err);
    rd_kafka_conf_destroy(conf);
    goto out;
  }
  b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err); /* takes conf */
  if (b->rk == NULL) {
    fprintf(stderr, "socbroker: cannot create the host instance: %s\n", err);
    goto out;
  }
  b->mcluster = rd_kafka_mock_cluster_new(b->rk, b->brokers);
  if (b->mcluster == NULL) {
    fprintf(stderr, "socbroker: cannot create the mock cluster\n");
    goto out;
  }
  mock_done(b);
  int replication = b->brokers < 3 ? b->brokers : 3;
  for (int i = 0; i < b->n_topics; i++) {
    mock_pace(b);
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(b->mcluster, b->topics[i], b->partitions, replication);
    mock_done(b);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "socbroker: cannot create topic %s: %s\n", b->topics[i], rd_kafka_err2str(e));
      goto out;
    }
  }
  for (int id = 1; id <= b->brokers; id++) {
    b->up[id] = true;
    if (b->rtt_ms) {
      mock_pace(b);
      rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_rtt(b->mcluster, id, b->rtt_ms);
      mock_done(b);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "socbroker: cannot set broker %d's RTT: %s\n", id, rd_kafka_err2str(e));
        goto out;
      }
    }
  }
  result = 0;
out:
  return result;
}

static void cluster_stop(broker *b) {
  /* The cluster lives on b->rk's bookkeeping, so it goes first. */
  if (b->mcluster != NULL) rd_kafka_mock_cluster_destroy(b->mcluster);
  b->mcluster = NULL;
  if (b->rk != NULL) rd_kafka_destroy(b->rk);
  b->rk = NULL;
}

/* Takes broker id (or 0: all of them) up or down; the answer for stdin's
 * protocol goes to ack, which may be NULL for signals. */
static int set_state(broker *b, int id, bool up, char *ack, size_t ack_size) {
  int result = -EIO;
  int first = id == 0 ? 1 : id, last = id == 0 ? b->brokers : id;
  for (int i = first; i <= last; i++) {
    mock_pace(b);
    rd_kafka_resp_err_t e = up ? rd_kafka_mock_broker_set_up(b->mcluster, i)
                               : rd_kafka_mock_broker_set_down(b->mcluster, i);
    mock_done(b);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "socbroker: broker %d: cannot set %s: %s\n", i, up ? "up" : "down",
              rd_kafka_err2str(e));
      if (ack != NULL) snprintf(ack, ack_size, "error: broker %d: %s", i, rd_kafka_err2str(e));
      goto out;
    }
    if (b->up[i] != up) fprintf(stderr, "socbroker: broker %d %s\n", i, up ? "up" : "down");
    b->up[i] = up;
  }
  if (ack != NULL) {
    if (id == 0)
      snprintf(ack, ack_size, "ok %s all", up ? "up" : "down");
    else
      snprintf(ack, ack_size, "ok %s %d", up ? "up" : "down", id);
  }
  result = 0;
out:
  return result;
}

/* Acknowledgements go out one flushed line at a time so that a script
 * reading our stdout through a pipe sees each one when it happens. Stdout
 * may be gone (SIGPIPE is ignored); the broker keeps running regardless. */
static void reply(const char *line) {
  printf("%s\n", line);
  fflush(stdout);
}

/* One stdin command; sets *quit for "quit". */
static void handle_command(broker *b, char *line, bool *quit) {
  char ack[128];
  char *save = NULL;
  char *verb = strtok_r(line, " \t\r", &save);
  char *arg = verb != NULL ? strtok_r(NULL, " \t\r", &save) : NULL;
  char *extra = arg != NULL ? strtok_r(NULL, " \t\r", &save) : NULL;
  if (verb == NULL) return; /* an empty line is no command */
  if (extra != NULL) {
    reply("error: too many arguments");
    return;
  }
  if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
    int id = 0;
    if (arg != NULL && parse_int(arg, 1, b->brokers, &id) < 0) {
      snprintf(ack, sizeof ack, "error: no broker '%.32s' (ids are 1 to %d)", arg, b->brokers);
      reply(ack);
      return;
    }
    set_state(b, id, verb[0] == 'u', ack, sizeof ack);
    reply(ack);
  } else if (strcmp(verb, "status") == 0 && arg == NULL) {
    /* "ok 1=up 2=down ..." — at most MAX_BROKERS entries of 7 bytes. */
    char buf[8 + MAX_BROKERS * 16];
    size_t used = (size_t)snprintf(buf, sizeof buf, "ok");
    for (int i = 1; i <= b->brokers && used < sizeof buf; i++)
      used +=
          (size_t)snprintf(buf + used, sizeof buf - used, " %d=%s", i, b->up[i] ? "up" : "down");
    reply(buf);
  } else if (strcmp(verb, "quit") == 0 && arg == NULL) {
    reply("ok quit");
    *quit = true;
  } else {
    snprintf(ack, sizeof ack, "error: unknown command '%.32s' (down [ID], up [ID], status, quit)",
             verb);
    reply(ack);
  }
}

/* Line assembly for stdin with a hard maximum: a longer line is answered
 * with one error and skipped up to its newline. */
typedef struct line_reader {
  char buf[MAX_LINE + 1];
  size_t len;
  bool skipping;
} line_reader;

/* Reads what stdin has; returns 0, or 1 at EOF (or on a read error, which
 * we treat the same: the broker must outlive its controller). */
static int read_commands(broker *b, line_reader *lr, bool *quit) {
  int result = 1;
  char chunk[512];
  ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    result = 0;
    goto out;
  }
  if (n <= 0) goto out;
  for (ssize_t i = 0; i < n && !*quit; i++) {
    char c = chunk[i];
    if (c == '\n') {
      if (!lr->skipping) {
        lr->buf[lr->len] = '\0';
        handle_command(b, lr->buf, quit);
      }
      lr->len = 0;
      lr->skipping = false;
    } else if (lr->skipping) {
      continue;
    } else if (lr->len == MAX_LINE) {
      reply("error: line too long");
      lr->skipping = true;
    } else {
      lr->buf[lr->len++] = c;
    }
  }
  result = 0;
out:
  return result;
}

static int run(broker *b, int sfd) {
  int result = -EIO;
  line_reader lr = {.len = 0, .skipping = false};
  bool stdin_open = fcntl(STDIN_FILENO, F_GETFD) >= 0, quit = false;
  while (!quit) {
    struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
                          {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      result = -errno;
      goto out;
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      ssize_t n = read(sfd, &si, sizeof si);
      if (n == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
          fprintf(stderr, "socbroker: %s, stopping\n", strsignal((int)si.ssi_signo));
          quit = true;
        } else if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
          /* Failures are already on stderr; there is no one to answer.
           * A signal sent again before we read the first is merged with
           * it, and of two pending ones SIGUSR1 is read first: a script
           * waits for the status line on stderr before the next signal. */
          set_state(b, 0, si.ssi_signo == SIGUSR2, NULL, 0);
        }
      }
    }
    if (stdin_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
      if ((p[1].revents & POLLNVAL) || read_commands(b, &lr, &quit) == 1) stdin_open = false;
    }
  }
  result = 0;
out:
  return result;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"brokers", required_argument, NULL, 'b'},
                                       {"partitions", required_argument, NULL, 'p'},
                                       {"topics", required_argument, NULL, 't'},
                                       {"prefix", required_argument, NULL, 'P'},
                                       {"bootstrap-file", required_argument, NULL, 'f'},
                                       {"pid-file", required_argument, NULL, 'i'},
                                       {"rtt", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int result = 1;
  int sfd = -1, opt;
  broker b = {.brokers = 1, .partitions = 4};
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (opt) {
      case 'b':
        if (int_option("--brokers", "", optarg, 1, MAX_BROKERS, &b.brokers) < 0) {
          result = 2;
          goto out;
        }
        break;
      case 'p':
        if (int_option("--partitions", "", optarg, 1, MAX_PARTITIONS, &b.partitions) < 0) {
          result = 2;
          goto out;
        }
        break;
      case 't':
        if (add_topic_list(&b, optarg) < 0) {
          result = 2;
          goto out;
        }
        break;
      case 'P':
        if (add_prefix_topics(&b, optarg) < 0) {
          result = 2;
          goto out;
        }
        break;
      case 'r':
        if (int_option("--rtt", " (ms)", optarg, 0, MAX_RTT_MS, &b.rtt_ms) < 0) {
          result = 2;
          goto out;
        }
        break;
      case 'f':
        b.bootstrap_file = optarg;
        break;
      case 'i':
        b.pid_file = optarg;
        break;
      case 'h':
        usage(stdout);
        result = 0;
        goto out;
      default:
        usage(stderr);
        result = 2;
        goto out;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "socbroker: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    result = 2;
    goto out;
  }

  /* Before any librdkafka thread exists, so that they all inherit the mask
   * and the signals can only arrive through the signalfd. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
    perror("socbroker: sigprocmask");
    goto out;
  }
  sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) {
    perror("socbroker: signalfd");
    goto out;
  }
  /* A test that stops reading our stdout must not kill the broker. */
  signal(SIGPIPE, SIG_IGN);
  /* Stdin may be the terminal of a shell that put us in the background: a
   * read() there would stop the whole broker (SIGTTIN). Ignored, the read
   * fails with EIO instead, and we simply stop listening to stdin. */
  signal(SIGTTIN, SIG_IGN);

  if (cluster_start(&b) < 0) goto out;
  const char *bootstraps = rd_kafka_mock_cluster_bootstraps(b.mcluster);

  if (b.pid_file != NULL) {
    char pid[32];
    snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (write_file_atomically(b.pid_file, pid) < 0) goto out;
    b.wrote_pid_file = true;
  }
  if (b.bootstrap_file != NULL) {
    char *line = NULL;
    if (asprintf(&line, "%s\n", bootstraps) < 0) goto out;
    int rc = write_file_atomically(b.bootstrap_file, line);
    free(line);
    if (rc < 0) goto out;
    b.wrote_bootstrap_file = true;
  }
  reply(bootstraps);
  fprintf(stderr, "socbroker: %d broker(s) at %s, %d topic(s) of %d partition(s)\n", b.brokers,
          bootstraps, b.n_topics, b.partitions);

  if (run(&b, sfd) < 0) goto out;
  result = 0;
out:
  /* Remove the files before the cluster goes, so that nobody reads an
   * address that is about to stop answering. */
  if (b.wrote_bootstrap_file) unlink(b.bootstrap_file);
  if (b.wrote_pid_file) unlink(b.pid_file);
  cluster_stop(&b);
  for (int i = 0; i < b.n_topics; i++) free(b.topics[i]);
  if (sfd >= 0) close(sfd);
  return result;
}
