/*
 * soccollector — the technical center's side: consumes what the agents send
 * over Kafka into center.db, and answers questions about it.
 *
 * Nothing the agents sent may be lost, and nothing may be counted twice.
 * Kafka delivers at least once; the collector turns that into exactly once
 * at the center like this:
 *  - offsets are never committed automatically, nor stored on read
 *    (enable.auto.commit and enable.auto.offset.store are false, whatever
 *    the configuration says). A batch (up to BATCH_MAX messages or BATCH_MS)
 *    is written in one SQLite transaction; only after COMMIT succeeds are the
 *    next offsets stored and committed to Kafka, synchronously. A crash
 *    between the two replays the batch, never skips it;
 *  - a replay is harmless because events are keyed by their event.id (the
 *    agent derives it from agent, source and position) and inserted with
 *    INSERT OR IGNORE; replays are counted as duplicates;
 *  - when partitions are taken away (a rebalance, another collector joining,
 *    our own stop), the open batch is committed first, to SQLite and then to
 *    Kafka, so the next owner starts where we stopped;
 *  - when the store cannot take a batch (disk full, a lock held too long),
 *    it is rolled back and the partitions are sought back to the batch's
 *    first offsets, so the same messages come again after a pause.
 * A message that is not what an agent sends (validate.c says why) is kept in
 * the quarantine table with its reason and is consumed like any other: one
 * bad message must never stall its partition or stop the process.
 *
 * Who sent it is proved, not read from a header (docs/SECURITY.md): every
 * message must carry a signature over (topic, key, payload) by the key an
 * operator enrolled for the agent id it names, and speak for that agent's
 * agency. Anything else is quarantined too (unsigned, unenrolled, revoked,
 * bad_signature, agency_mismatch); a key seen from an agent id nobody
 * enrolled is kept as pending, for a person to enrol, never trusted by
 * itself. Only after that do its events, heartbeats (the audit anchor),
 * reports and evidence count, so nobody can take another agent's event
 * ids, bundle ids or anchor.
 *
 * Signals: SIGTERM and SIGINT are blocked before librdkafka starts its
 * threads (they inherit the mask), so the handler only ever runs on the main
 * thread, where it sets a flag that the poll loop, which never waits longer
 * than BATCH_MS, sees.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <librdkafka/rdkafka.h>

#include "enrol.h"
#include "soc/config.h"
#include "soc/diag.h"
#include "soc/event.h"
#include "soc/notify.h"
#include "soc/sign.h"
#include "soc/store_center.h"
#include "soc/utf8.h"
#include "soc/tz.h"
#include "center.h"
#include "centerdb.h"
#include "console.h"
#include "metrics.h"
#include "outbox.h"
#include "validate.h"

#define DEFAULT_CONFIG "/etc/soccollector/soccollector.yaml"
#define BATCH_MAX 10000           /* messages per store transaction */
#define BATCH_MS 200              /* and at most this long between commits */
#define RETRY_MS 1000             /* pause after the store refused a batch */
#define ERROR_REPEAT_S 10         /* the same Kafka error is logged at most this often */
#define SWEEP_MS 60000            /* how often the report clocks and the outbox are looked at */
#define OUTBOX_STOP_MS 2000       /* how long a stop waits for decisions in flight */
#define COMMITTED_TIMEOUT_MS 5000 /* asking the group coordinator for committed offsets */
#define ALERTS_SHOWN 20           /* stats: the newest alerts */

/* Counters kept per batch and added to center.db in its transaction, so they
 * are exactly as durable as what they count. */
enum {
  C_CONSUMED,
  C_EVENTS,
  C_DUPLICATES,
  C_HEARTBEATS,
  C_MESSAGES,
  C_QUARANTINED,
  C_ORPHAN_CHUNKS,
  C_ORPHAN_BYTES,
  C_EXPIRED,
  C_COUNT
};
static const char *const counter_names[C_COUNT] = {"consumed",
                                                   "events",
                                                   "duplicates",
                                                   "heartbeats",
                                                   "messages",
                                                   "quarantined",
                                                   "orphan_chunks_expired",
                                                   "orphan_bytes_expired",
                                                   "expired"};

/* The enrolled keys looked up in this batch: one SQLite lookup per agent
 * per batch, and a key enrolled or revoked meanwhile counts from the next. */
#define KEY_CACHE 64
typedef struct known_key {
  char agent[SOC_COLLECTOR_AGENT_MAX + 1];
  int state; /* K_NONE, K_ENROLLED, K_REVOKED */
  soc_sign_pub pub;
  char agency[SOC_CENTER_AGENCY_MAX + 1];
  int has_prev; /* the key it rotated away from, still taken */
  soc_sign_pub prev;
} known_key;

/* After an agent rotated its key, what it signed with the old one may
 * still be on its way (another partition, a collector that was down): the
 * old key is taken this long after the rotation. */
#define ROTATION_GRACE_NS (7 * 86400 * 1000000000LL)

enum { K_NONE, K_ENROLLED, K_REVOKED };

/* Batch roots verified with an enrolled key (sign.h): the other messages of
 * a signed batch cost hashes, not a verification. That a key signed a root
 * stays true, so the roots are kept across batches, by the key's bytes; a
 * key revoked meanwhile is refused before its roots are looked at. The
 * messages of one signed batch spread over partitions (the agent keys them
 * by host) and come back in several of the collector's batches: kept only
 * per batch, a root was verified again in each, which was half of a
 * collector's CPU. Direct-mapped by the root's first bytes: one compare. */
#define ROOT_CACHE 1024
typedef struct known_root {
  soc_sign_pub pub;
  uint8_t root[SOC_SIGN_HASH_LEN];
  unsigned depth;
  int used;
} known_root;

/* The batch trees met lately (soc_sign_tree): one message of a signed batch
 * then hashes its path only up to a node another message of the batch
 * already led to, about one SHA-256 instead of six. Only trees whose root
 * was verified are kept, with the key that verified it: a message whose
 * path meets one needs no look in the roots above. Direct-mapped by the
 * root's signature text (one per batch, and the same in all its messages),
 * 1024 trees of 4 KiB. */
#define TREE_CACHE 1024
typedef struct known_tree {
  soc_sign_tree t;
  soc_sign_pub pub; /* the key its root was verified with */
} known_tree;

/* How one message is signed: alone (sig), or in a batch (root_sig, and the
 * root its proof leads to). */
typedef struct msg_sig {
  const char *topic;
  const void *key, *payload;
  size_t key_len, len;
  const void *sig, *root_sig;
  size_t sig_len, root_sig_len;
  uint8_t root[SOC_SIGN_HASH_LEN];
  unsigned depth;
  const known_tree *met; /* the verified tree its proof met, or NULL */
} msg_sig;

typedef struct collector {
  const soc_collector_config *cfg; /* borrowed */
  soc_centerdb *db;                /* owned: center.db or PostgreSQL */
  soc_center *center;              /* owned: reports, evidence, clocks (center.db only) */
  soc_center_outbox *outbox;       /* owned: decisions not yet acknowledged (center.db only) */
  int64_t swept_ms;                /* last look for overdue reviews */
  rd_kafka_t *rk;                  /* owned */
  /* The open batch: per partition, the offset after its last message (to
   * store and commit) and its first message's (to seek back to). */
  rd_kafka_topic_partition_list_t *next, *first; /* owned */
  /* Per partition, the offset the next message should have: the committed
   * one at assignment, then past each message read. A message further on
   * means the broker's retention removed the ones between before we read
   * them (auto.offset.reset moved us to the oldest left). */
  rd_kafka_topic_partition_list_t *expect; /* owned */
  int in_tx;
  size_t batch;
  int64_t delta[C_COUNT];
  int64_t reasons[SOC_COLLECTOR_REASONS];
  int64_t total[C_COUNT]; /* this run, for the stop message */
  known_key keys[KEY_CACHE];
  size_t nkeys;
  known_root roots[ROOT_CACHE];
  known_tree *trees;         /* owned: TREE_CACHE */
  soc_sha256_ctx *leaf_hash; /* owned: every event's leaf, one context for all */
  rd_kafka_resp_err_t last_err;
  time_t last_err_at;
} collector;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: soccollector [-c FILE] [--check-config | --help-config | --version] [COMMAND]\n"
          "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG
          ")\n"
          "      --check-config  validate the file, then exit (0: valid, 2: invalid)\n"
          "      --help-config   list every configuration key with its default\n"
          "                      (--help-config=man: as man(7) source, for soccollector.yaml(5))\n"
          "  -V, --version       print the version\n"
          "commands (none: consume from Kafka into the store until SIGTERM):\n"
          "  agents [--json]                 agents seen in heartbeats, with their lag and\n"
          "                                  round trip to the brokers; SILENT after\n"
          "                                  collector.agent_silence without one; then\n"
          "                                  the keys: enrolled, revoked, pending\n"
          "  key                             the center's public key (kafka.center_key)\n"
          "  enroll AGENT-ID --key PUBKEY --agency AGENCY [--by NAME]\n"
          "                                  accept the agent's messages signed by PUBKEY\n"
          "  revoke AGENT-ID [--by NAME]     refuse them again\n"
          "  user add|passwd|disable NAME    the web console's accounts (password on stdin;\n"
          "                                  add: --role analyst --agency A | reviewer\n"
          "                                  --authority N | center), docs/CONSOLE.md\n"
          "  events --count [--agent ID]     how many events the store holds\n"
          "  quarantine [--json] [--limit N] rejected messages with their reasons\n"
          "  stats [--json]                  the collectors' counters\n"
          "  incidents|overdue [--json] [--now T]   reports, their clocks, flags, evidence\n"
          "  summary [--since T] [--json] [--now T] per agency, level, category\n"
          "  evidence [verify BUNDLE-ID]     bundles; verify re-checks the archive on disk\n"
          "  review REPORT-ID --by NAME [--result TEXT] [--level N --reason TEXT] [--at T]\n"
          "  support REPORT-ID --by NAME [--at T]   support dispatched\n"
          "  campaigns [--json] [--since T]  a source alerted on at several agencies (default:\n"
          "                                  the last day); each agency is sent a notice\n");
}

/* ---- the store -------------------------------------------------------------------- */

/* ---- batches ---------------------------------------------------------------------- */

static void batch_forget(collector *c) {
  if (c->next) rd_kafka_topic_partition_list_destroy(c->next);
  if (c->first) rd_kafka_topic_partition_list_destroy(c->first);
  c->next = rd_kafka_topic_partition_list_new(16);
  c->first = rd_kafka_topic_partition_list_new(16);
  c->batch = 0;
  c->nkeys = 0;
  memset(c->delta, 0, sizeof c->delta);
  memset(c->reasons, 0, sizeof c->reasons);
}

/* Notes that partition (topic, p) was read up to offset in this batch. */
static void batch_track(collector *c, const char *topic, int32_t p, int64_t offset) {
  rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(c->first, topic, p);
  if (!e) rd_kafka_topic_partition_list_add(c->first, topic, p)->offset = offset;
  e = rd_kafka_topic_partition_list_find(c->next, topic, p);
  if (!e) e = rd_kafka_topic_partition_list_add(c->next, topic, p);
  e->offset = offset + 1;
}

/* The store refused the batch: roll it back and read it again later. With
 * seek 0 (the partitions are being taken away) the next owner will. */
static void batch_abort(collector *c, int seek) {
  fprintf(stderr, "soccollector: %s; the batch of %zu message(s) is read again\n",
          soc_centerdb_errmsg(c->db), c->batch);
  if (c->in_tx) soc_centerdb_rollback(c->db);
  c->in_tx = 0;
  if (seek && c->first->cnt) {
    rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, c->first, 5000);
    if (e) {
      fprintf(stderr, "soccollector: kafka: cannot seek back: %s\n", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  }
  batch_forget(c);
}

/* Commits the open batch: the store first, then the offsets to Kafka.
 * Returns 0, or a negative errno when the store refused it (rolled back). */
static int batch_commit(collector *c, int seek_on_failure) {
  int result = 0;
  if (!c->in_tx) return 0;
  char name[64];
  int64_t late_dups = 0;
  result = soc_centerdb_flush(c->db, &late_dups);
  c->delta[C_EVENTS] -= late_dups;
  c->delta[C_DUPLICATES] += late_dups;
  for (int i = 0; i < C_COUNT && !result; i++)
    result = soc_centerdb_counter_add(c->db, c->cfg->collector.id, counter_names[i], c->delta[i]);
  for (int r = 1; r < SOC_COLLECTOR_REASONS && !result; r++) {
    snprintf(name, sizeof name, "quarantined.%s",
             soc_collector_reason_name((soc_collector_reason)r));
    result = soc_centerdb_counter_add(c->db, c->cfg->collector.id, name, c->reasons[r]);
  }
  if (!result) result = soc_centerdb_commit(c->db);
  if (result) {
    batch_abort(c, seek_on_failure);
    return result;
  }
  c->in_tx = 0;
  for (int i = 0; i < C_COUNT; i++) c->total[i] += c->delta[i];
  /* Stored offsets of partitions no longer ours fail one by one; the new
   * owner replays those messages and event.id drops them. */
  rd_kafka_offsets_store(c->rk, c->next);
  rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    fprintf(stderr,
            "soccollector: kafka: offset commit failed (%s); those messages will be "
            "read again and dropped as duplicates\n",
            rd_kafka_err2str(err));
  batch_forget(c);
  return 0;
}

/* An agent whose store was replaced or went backwards (this heartbeat
 * flagged it): said and recorded as an alert. */
static int check_store(collector *c, const char *agent, int64_t seen_ns) {
  char flag[512], msg[700];
  int rc = soc_centerdb_agent_flag(c->db, agent, seen_ns, flag, sizeof flag);
  if (rc <= 0) return rc;
  snprintf(msg, sizeof msg,
           "agent %s: %s: it lost data it had taken in (a lost -wal file, a restored backup)",
           agent, flag);
  fprintf(stderr, "soccollector: STORE: %s\n", msg);
  return soc_centerdb_alert_add(c->db, c->cfg->collector.id, "store", msg);
}

/* ---- one message ------------------------------------------------------------------ */

static const void *header(rd_kafka_headers_t *h, const char *name, size_t *len) {
  const void *v = NULL;
  *len = 0;
  if (!h || rd_kafka_header_get_last(h, name, &v, len) != RD_KAFKA_RESP_ERR_NO_ERROR) return NULL;
  return v ? v : ""; /* a header with a null value is present and empty */
}

/* Keeps m in quarantine with its reason, counted as events messages (the
 * events of a joined message refused in one row). */
static int quarantine_n(collector *c, const soc_center_origin *o, const rd_kafka_message_t *m,
                        const soc_collector_msg *msg, soc_collector_reason r, const char *detail,
                        int64_t events) {
  int dup = 0;
  int result = soc_centerdb_quarantine_put(c->db, o, m->key, m->key ? m->key_len : 0,
                                           soc_collector_reason_name(r), detail, msg->payload,
                                           msg->len, &dup);
  if (!result && !dup) {
    c->delta[C_QUARANTINED] += events;
    c->reasons[r] += events;
  }
  return result;
}

static int quarantine(collector *c, const soc_center_origin *o, const rd_kafka_message_t *m,
                      const soc_collector_msg *msg, soc_collector_reason r, const char *detail) {
  return quarantine_n(c, o, m, msg, r, detail, 1);
}

/* agent's enrolled key, from this batch's cache or center.db. NULL and
 * *err < 0 when the store failed. */
static known_key *key_of(collector *c, const char *agent, int64_t now_ns, int *err) {
  soc_center_key_row row;
  for (size_t i = 0; i < c->nkeys; i++)
    if (!strcmp(c->keys[i].agent, agent)) return &c->keys[i];
  /* full: start again, with the roots that name these entries */
  if (c->nkeys == KEY_CACHE) c->nkeys = 0;
  known_key *k = &c->keys[c->nkeys++];
  memset(k, 0, sizeof *k);
  snprintf(k->agent, sizeof k->agent, "%s", agent);
  int rc = soc_centerdb_key_of(c->db, agent, &row);
  if (rc < 0 && rc != -ENOENT) {
    *err = rc;
    k->agent[0] = '\0';
    return NULL;
  }
  if (rc == 0 && soc_sign_pub_parse(row.key, strlen(row.key), &k->pub) == 0)
    k->state = row.revoked ? K_REVOKED : K_ENROLLED;
  snprintf(k->agency, sizeof k->agency, "%s", row.agency);
  k->has_prev = rc == 0 && row.prev_key[0] && now_ns - row.rotated_ns < ROTATION_GRACE_NS &&
                soc_sign_pub_parse(row.prev_key, strlen(row.prev_key), &k->prev) == 0;
  return k;
}

/* 1 when m is signed by pub; k (the enrolled key pub is, or NULL) lets a
 * verified batch root be remembered and found again. */
static int signed_by(collector *c, const soc_sign_pub *pub, const known_key *k, const msg_sig *m) {
  if (m->sig)
    return soc_sign_verify(pub, m->topic, m->key, m->key_len, m->payload, m->len, m->sig,
                           m->sig_len) == 0;
  if (k && m->met && !memcmp(m->met->pub.bytes, pub->bytes, sizeof pub->bytes)) return 1;
  known_root *r = &c->roots[(m->root[0] | (unsigned)m->root[1] << 8) % ROOT_CACHE];
  if (k && r->used && r->depth == m->depth &&
      !memcmp(r->pub.bytes, pub->bytes, sizeof pub->bytes) &&
      !memcmp(r->root, m->root, SOC_SIGN_HASH_LEN))
    return 1;
  if (soc_sign_verify_root(pub, m->root, m->depth, m->root_sig, m->root_sig_len) < 0) return 0;
  if (k) {
    *r = (known_root){.pub = *pub, .depth = m->depth, .used = 1};
    memcpy(r->root, m->root, SOC_SIGN_HASH_LEN);
  }
  return 1;
}

/* 1 when the agent.key header (len bytes, NULL: none) is a public key. */
static int named_key(const char *named, size_t len, soc_sign_pub *pub) {
  return named && len == SOC_SIGN_PUB_TEXT && soc_sign_pub_parse(named, len, pub) == 0;
}

/* Who a message says signed it, and how: the signature (one of its
 * forms), the key it names and, after a rotation, the old key's
 * certificate of it. */
typedef struct claim {
  msg_sig s;
  const char *named; /* agent.key, or the key in a packed header; NULL: none */
  size_t key_len;
  const void *cert;
  size_t cert_len;
  known_tree *tree; /* a proof's tree, where its path is kept once verified */
  soc_sign_path path;
} claim;

static int judge_claim(collector *c, claim *cl, soc_collector_verdict *v, int64_t now_ns);

/* Is m signed by the key enrolled for v->agent, for its agency? Returns
 * SOC_COLLECTOR_OK or the reason (with v->detail), or a negative errno
 * from the store. The key the message names, when it verifies it and its
 * agent id has no key in force, is recorded as pending, for an operator to
 * enrol. */
static int authenticate(collector *c, const rd_kafka_message_t *m, rd_kafka_headers_t *h,
                        const char *topic, soc_collector_verdict *v, int64_t now_ns) {
  size_t proof_len = 0, packed_len = 0;
  claim cl = {.s = {.topic = topic,
                    .key = m->key,
                    .key_len = m->key ? m->key_len : 0,
                    .payload = m->payload ? m->payload : "",
                    .len = m->payload ? m->len : 0}};
  msg_sig *sp = &cl.s;
  sp->sig = header(h, "signature", &sp->sig_len);
  sp->root_sig = header(h, "sig.root", &sp->root_sig_len);
  const void *proof = header(h, "sig.proof", &proof_len);
  cl.named = header(h, "agent.key", &cl.key_len);
  cl.cert = header(h, "key.cert", &cl.cert_len);
  /* An event of this version: the key, the root's signature and the
   * proof in one header (sign.h); an older agent's sends them apart. A
   * message may carry one form, not both. */
  const void *packed = header(h, "sig", &packed_len);
  if (packed) {
    soc_sign_parts parts;
    if (sp->sig || sp->root_sig || proof || cl.named) {
      snprintf(v->detail, sizeof v->detail, "sig with signature, sig.root, sig.proof or agent.key");
      return SOC_COLLECTOR_BAD_SIGNATURE;
    }
    if (soc_sign_unpack(packed, packed_len, &parts) < 0) {
      snprintf(v->detail, sizeof v->detail, "sig is not a key, a root signature and a proof");
      return SOC_COLLECTOR_BAD_SIGNATURE;
    }
    cl.named = parts.key;
    cl.key_len = parts.key_len;
    sp->root_sig = parts.root_sig;
    sp->root_sig_len = parts.root_sig_len;
    proof = parts.proof;
    proof_len = parts.proof_len;
  }
  if (!sp->sig && !(sp->root_sig && proof)) {
    snprintf(v->detail, sizeof v->detail, "no signature header");
    return SOC_COLLECTOR_UNSIGNED;
  }
  if (!sp->sig) {
    uint8_t leaf[SOC_SIGN_HASH_LEN];
    uint32_t slot = 2166136261u; /* FNV-1a of the signature's first characters */
    for (size_t i = 0; i < sp->root_sig_len && i < 16; i++)
      slot = (slot ^ ((const uint8_t *)sp->root_sig)[i]) * 16777619u;
    cl.tree = &c->trees[slot % TREE_CACHE];
    soc_sign_leaf_with(c->leaf_hash, topic, sp->key, sp->key_len, sp->payload, sp->len, leaf);
    if (soc_sign_proof_root_tree(&cl.tree->t, leaf, proof, proof_len, sp->root, &sp->depth,
                                 &cl.path) < 0) {
      snprintf(v->detail, sizeof v->detail, "sig.proof is not a batch proof");
      return SOC_COLLECTOR_BAD_SIGNATURE;
    }
    if (cl.path.top < cl.path.depth) sp->met = cl.tree;
  }
  return judge_claim(c, &cl, v, now_ns);
}

/* authenticate for a message of joined events (sign.h): the root is
 * rebuilt from all of them, in order, and its one signature checked. */
static int authenticate_joined(collector *c, rd_kafka_headers_t *h, const char *topic,
                               const soc_sign_item *items, size_t n, soc_collector_verdict *v,
                               int64_t now_ns) {
  uint8_t leaves[SOC_SIGN_JOINED_MAX][SOC_SIGN_HASH_LEN];
  size_t packed_len = 0;
  soc_sign_parts parts;
  claim cl = {.s = {.topic = topic}};
  const void *packed = header(h, "sig.batch", &packed_len);
  cl.cert = header(h, "key.cert", &cl.cert_len);
  if (soc_sign_unpack_batch(packed, packed_len, &parts) < 0) {
    snprintf(v->detail, sizeof v->detail, "sig.batch is not a key and a root signature");
    return SOC_COLLECTOR_BAD_SIGNATURE;
  }
  cl.named = parts.key;
  cl.key_len = parts.key_len;
  cl.s.root_sig = parts.root_sig;
  cl.s.root_sig_len = parts.root_sig_len;
  soc_sign_leaves(topic, items, n, leaves);
  if (soc_sign_batch_root((const uint8_t(*)[SOC_SIGN_HASH_LEN])leaves, n, cl.s.root, &cl.s.depth) <
      0)
    return -ENOMEM;
  return judge_claim(c, &cl, v, now_ns);
}

/* The part of authenticate that all forms share: cl's signature against
 * the keys of v->agent. */
static int judge_claim(collector *c, claim *cl, soc_collector_verdict *v, int64_t now_ns) {
  const msg_sig *sp = &cl->s;
  const char *named = cl->named;
  size_t key_len = cl->key_len, cert_len = cl->cert_len;
  const void *cert = cl->cert;
  known_tree *tree = cl->tree;
  int err = 0;
  soc_collector_reason r = SOC_COLLECTOR_OK;
  known_key *k = key_of(c, v->agent, now_ns, &err);
  if (!k) return err;
  soc_sign_pub pub;
  /* The key the message names, parsed only where it counts: a rotation
   * (with a certificate), or a message the enrolled key did not sign. */
  int named_ok = cert && named_key(named, key_len, &pub);
  /* A rotation: the message is signed by the key it names, which the
   * enrolled key certified (key.cert) as this agent's next. */
  if (k->state == K_ENROLLED && named_ok && memcmp(pub.bytes, k->pub.bytes, sizeof pub.bytes) &&
      soc_sign_verify(&k->pub, SOC_SIGN_ROTATION_TOPIC, v->agent, strlen(v->agent), pub.bytes,
                      sizeof pub.bytes, cert, cert_len) == 0 &&
      signed_by(c, &pub, NULL, sp)) {
    char text[SOC_SIGN_PUB_TEXT + 1], fpr[SOC_SIGN_FPR_TEXT + 1];
    soc_sign_pub_text(&pub, text);
    soc_sign_fingerprint(&pub, fpr);
    if ((err = soc_centerdb_rotate(c->db, v->agent, text, now_ns)) < 0) return err;
    fprintf(stderr, "soccollector: agent %s rotated its key to %s (certified by the old one)\n",
            v->agent, fpr);
    k->prev = k->pub;
    k->has_prev = 1;
    k->pub = pub;
  }
  const soc_sign_pub *by = k->state != K_ENROLLED                         ? NULL
                           : signed_by(c, &k->pub, k, sp)                 ? &k->pub
                           : k->has_prev && signed_by(c, &k->prev, k, sp) ? &k->prev
                                                                          : NULL;
  if (by) {
    if (tree) {
      soc_sign_tree_keep(&tree->t, &cl->path);
      tree->pub = *by;
    }
    if (!v->agency[0] || !strcmp(v->agency, k->agency)) return SOC_COLLECTOR_OK;
    snprintf(v->detail, sizeof v->detail,
             "speaks for agency '%.40s'; its agent is enrolled "
             "for '%.40s'",
             v->agency, k->agency);
    return SOC_COLLECTOR_AGENCY_MISMATCH;
  }
  char fpr[SOC_SIGN_FPR_TEXT + 1] = "";
  if (!cert) named_ok = named_key(named, key_len, &pub);
  int provable = named_ok && signed_by(c, &pub, NULL, sp);
  /* A key in another's name is no candidate: an enrolled agent gets a new
   * key only from an operator who compared its fingerprint. */
  if (provable && (k->state == K_NONE ||
                   (k->state == K_REVOKED && memcmp(pub.bytes, k->pub.bytes, sizeof pub.bytes)))) {
    char text[SOC_SIGN_PUB_TEXT + 1];
    soc_sign_pub_text(&pub, text);
    soc_sign_fingerprint(&pub, fpr);
    if ((err = soc_centerdb_pending_seen(c->db, v->agent, text, now_ns)) < 0) return err;
  }
  r = k->state == K_NONE      ? SOC_COLLECTOR_UNENROLLED
      : k->state == K_REVOKED ? SOC_COLLECTOR_REVOKED
                              : SOC_COLLECTOR_BAD_SIGNATURE;
  snprintf(v->detail, sizeof v->detail, "%s%s%s%s",
           r == SOC_COLLECTOR_UNENROLLED ? "no key is enrolled for this agent id"
           : r == SOC_COLLECTOR_REVOKED  ? "this agent's key is revoked"
                                         : "not signed by this agent's enrolled key",
           fpr[0] ? "; key " : "", fpr, fpr[0] ? " is pending (soccollector agents)" : "");
  return r;
}

/* The headers of the other signature forms: none may be on a message of
 * joined events. */
static int other_form(rd_kafka_headers_t *h) {
  static const char *const names[] = {"sig", "signature", "sig.root", "sig.proof", "agent.key"};
  size_t len = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (header(h, names[i], &len)) return 1;
  return 0;
}

/* Events joined in one message (sign.h): its framing and its one
 * signature over all of its events are checked before anything is
 * stored, and what fails there is quarantined whole, with its reason.
 * Then each event is what it would be in a message of its own (validated,
 * stored or counted a duplicate); those that fail validation are refused
 * in one quarantine row (the message's origin is its key there), holding
 * the first of them, and counted one by one. Same returns as ingest. */
static int ingest_joined(collector *c, const rd_kafka_message_t *m, rd_kafka_headers_t *h,
                         const soc_collector_msg *msg, const soc_center_origin *o) {
  soc_sign_item items[SOC_SIGN_JOINED_MAX];
  size_t n = 0, keys_len = 0, bad = 0;
  const char *why = "";
  soc_collector_verdict v, ev;
  soc_collector_msg first_bad = *msg;
  soc_collector_reason first_r = SOC_COLLECTOR_OK;
  char detail[sizeof v.detail];
  int result = 0, rc = soc_collector_check_headers(msg, &v);
  const void *keys = header(h, "keys", &keys_len);
  if (rc != SOC_COLLECTOR_OK) {
    /* v.detail says which header */
  } else if (msg->kind != SOC_COLLECTOR_EVENTS || other_form(h)) {
    rc = SOC_COLLECTOR_BAD_BATCH;
    snprintf(v.detail, sizeof v.detail, "%s",
             msg->kind != SOC_COLLECTOR_EVENTS
                 ? "sig.batch on a topic other than events"
                 : "sig.batch with sig, signature, sig.root, sig.proof or agent.key");
  } else if (msg->len > SOC_COLLECTOR_BATCH_MSG_MAX) {
    rc = SOC_COLLECTOR_TOO_LARGE;
    snprintf(v.detail, sizeof v.detail, "%zu bytes of joined events, more than %u", msg->len,
             SOC_COLLECTOR_BATCH_MSG_MAX);
  } else if (soc_sign_batch_split(msg->payload, msg->len, keys, keys_len, items, &n, &why) < 0) {
    rc = SOC_COLLECTOR_BAD_BATCH;
    snprintf(v.detail, sizeof v.detail, "joined events: %s", why);
  } else {
    memcpy(v.agent, msg->hdr_agent, msg->hdr_agent_len); /* checked: a valid id */
    v.agent[msg->hdr_agent_len] = '\0';
    rc = authenticate_joined(c, h, o->topic, items, n, &v, o->received_ns);
  }
  if (rc < 0) return rc;
  if (rc != SOC_COLLECTOR_OK) {
    result = quarantine_n(c, o, m, msg, (soc_collector_reason)rc, v.detail, n ? (int64_t)n : 1);
    goto out;
  }
  for (size_t i = 0; i < n && !result; i++) {
    soc_collector_msg one = *msg;
    int dup = 0;
    one.payload = items[i].event;
    one.len = items[i].event_len;
    rc = soc_collector_validate(&one, &ev);
    if (rc < 0) {
      result = rc;
    } else if (rc == SOC_COLLECTOR_OK) {
      result = soc_centerdb_event_put(c->db, o, ev.event_id, ev.agent, ev.host, ev.ts, one.payload,
                                      one.len, &dup);
      if (!result) c->delta[dup ? C_DUPLICATES : C_EVENTS]++;
    } else if (!bad++) {
      first_bad = one;
      first_r = (soc_collector_reason)rc;
      snprintf(detail, sizeof detail, "event %zu of %zu: %.120s", i + 1, n, ev.detail);
    }
    soc_collector_verdict_clear(&ev);
  }
  if (!result && bad) result = quarantine_n(c, o, m, &first_bad, first_r, detail, (int64_t)bad);
out:
  soc_collector_verdict_clear(&v);
  if (!result) c->delta[C_CONSUMED]++;
  return result;
}

/* Writes one message into the open transaction. Returns 0 or a negative
 * errno (the store's or -ENOMEM): the batch must then be aborted. */
static int ingest(collector *c, const rd_kafka_message_t *m) {
  int result = -EIO;
  const char *topic = rd_kafka_topic_name(m->rkt);
  rd_kafka_headers_t *h = NULL;
  soc_collector_verdict v;
  int dup = 0;
  if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) h = NULL;
  soc_collector_msg msg = {
      .kind = soc_collector_topic_kind(topic, c->cfg->kafka.topic_prefix),
      .payload = m->payload,
      .len = m->payload ? m->len : 0,
  };
  msg.hdr_agent = header(h, "agent.id", &msg.hdr_agent_len);
  msg.hdr_schema = header(h, "schema.version", &msg.hdr_schema_len);
  soc_center_origin o = {.topic = topic,
                         .partition = m->partition,
                         .offset = m->offset,
                         .received_ns = soc_now_real_ns()};
  size_t joined_len = 0;
  if (header(h, "sig.batch", &joined_len)) return ingest_joined(c, m, h, &msg, &o);
  int rc = soc_collector_validate(&msg, &v);
  if (rc == SOC_COLLECTOR_OK) rc = authenticate(c, m, h, topic, &v, o.received_ns);
  if (rc < 0) {
    result = rc;
    goto out;
  }
  if (rc != SOC_COLLECTOR_OK) {
    result = quarantine(c, &o, m, &msg, (soc_collector_reason)rc, v.detail);
    goto out;
  }
  if (msg.kind == SOC_COLLECTOR_EVENTS) {
    result = soc_centerdb_event_put(c->db, &o, v.event_id, v.agent, v.host, v.ts, msg.payload,
                                    msg.len, &dup);
    if (!result) c->delta[dup ? C_DUPLICATES : C_EVENTS]++;
  } else if (msg.kind == SOC_COLLECTOR_HEARTBEAT) {
    /* The time Kafka gives the message, never later than now: a replayed
     * old heartbeat keeps its old time, and an agent whose clock runs ahead
     * cannot look alive in the future. */
    rd_kafka_timestamp_type_t tt;
    int64_t ms = rd_kafka_message_timestamp(m, &tt), seen = o.received_ns;
    if (ms > 0 && ms < seen / 1000000) seen = ms * 1000000;
    soc_center_agent a = {.id = v.agent,
                          .agency = v.agency,
                          .authority = v.authority,
                          .version = v.version,
                          .seen_ns = seen,
                          .hb_ts = v.ts,
                          .uptime_s = v.uptime_s,
                          .lag_lines = v.lag_lines,
                          .broker = v.broker,
                          .broker_rtt_ms = v.broker_rtt_ms,
                          .counters = v.counters ? v.counters : "{}",
                          .audit_seq = v.audit_seq,
                          .audit_head = v.audit_head,
                          .store_id = v.store_id,
                          .store_block = v.store_block};
    result = soc_centerdb_agent_seen(c->db, &a);
    if (!result) result = check_store(c, v.agent, seen);
    if (!result) c->delta[C_HEARTBEATS]++;
  } else if (msg.kind == SOC_COLLECTOR_REPORTS || msg.kind == SOC_COLLECTOR_EVIDENCE) {
    char why[sizeof v.detail];
    result = msg.kind == SOC_COLLECTOR_REPORTS
                 ? soc_center_report_in(c->center, c->db, v.agent, msg.payload, msg.len,
                                        o.received_ns, &dup, why, sizeof why)
                 : soc_center_evidence_in(c->center, c->db, v.agent, msg.payload, msg.len,
                                          o.received_ns, &dup, why, sizeof why);
    if (result == 1) { /* JSON from an agent, but not a report or evidence it may send */
      result = quarantine(c, &o, m, &msg, SOC_COLLECTOR_BAD_FIELD, why);
    } else if (!result) {
      c->delta[dup ? C_DUPLICATES : C_MESSAGES]++;
    }
  } else {
    result = soc_centerdb_message_put(c->db, &o, v.agent, m->key, m->key ? m->key_len : 0,
                                      msg.payload, msg.len, &dup);
    if (!result) c->delta[dup ? C_DUPLICATES : C_MESSAGES]++;
  }
out:
  soc_collector_verdict_clear(&v);
  if (!result) c->delta[C_CONSUMED]++;
  return result;
}

/* ---- messages lost to retention ------------------------------------------------------ */

/* Where each assigned partition's committed offset is: what the next
 * message read from it should have. */
static void expect_committed(collector *c, const rd_kafka_topic_partition_list_t *parts) {
  rd_kafka_topic_partition_list_t *copy = rd_kafka_topic_partition_list_copy(parts);
  if (rd_kafka_committed(c->rk, copy, COMMITTED_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < copy->cnt; i++) {
      const rd_kafka_topic_partition_t *p = &copy->elems[i];
      rd_kafka_topic_partition_t *e =
          rd_kafka_topic_partition_list_find(c->expect, p->topic, p->partition);
      if (!e) e = rd_kafka_topic_partition_list_add(c->expect, p->topic, p->partition);
      e->offset = p->err ? RD_KAFKA_OFFSET_INVALID : p->offset;
    }
  rd_kafka_topic_partition_list_destroy(copy);
}

/* Checks m against what was expected of its partition: counts, says and
 * records (in the batch's transaction) the messages that expired unread. */
static int check_expired(collector *c, const char *topic, const rd_kafka_message_t *m) {
  rd_kafka_topic_partition_t *e =
      rd_kafka_topic_partition_list_find(c->expect, topic, m->partition);
  if (!e) {
    e = rd_kafka_topic_partition_list_add(c->expect, topic, m->partition);
    e->offset = RD_KAFKA_OFFSET_INVALID;
  }
  int64_t from = e->offset;
  e->offset = m->offset + 1;
  if (from < 0 || m->offset <= from) return 0;
  char msg[512];
  snprintf(msg, sizeof msg,
           "EXPIRED: %" PRId64 " message(s) of %s partition %d (offsets %" PRId64 "-%" PRId64
           ") were removed by the broker's retention before this collector read them; they are "
           "lost to the center (an agent's journal keeps its lines until its own retention)",
           m->offset - from, topic, (int)m->partition, from, m->offset - 1);
  fprintf(stderr, "soccollector: %s\n", msg);
  c->delta[C_EXPIRED] += m->offset - from;
  return soc_centerdb_alert_add(c->db, c->cfg->collector.id, "expired", msg);
}

/* ---- Kafka -------------------------------------------------------------------------- */

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque) {
  collector *c = opaque;
  int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
  rd_kafka_error_t *e = NULL;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    fprintf(stderr, "soccollector: assigned %d partition(s)\n", parts->cnt);
    expect_committed(c, parts);
    if (cooperative)
      e = rd_kafka_incremental_assign(rk, parts);
    else
      rd_kafka_assign(rk, parts);
  } else {
    /* What was consumed from these partitions goes to SQLite and its offsets
     * to Kafka before they change hands, so the next owner starts there. */
    if (rd_kafka_assignment_lost(rk))
      fprintf(stderr, "soccollector: partitions lost; their batch is committed locally only\n");
    batch_commit(c, 1);
    fprintf(stderr, "soccollector: revoked %d partition(s)\n", parts->cnt);
    if (cooperative)
      e = rd_kafka_incremental_unassign(rk, parts);
    else
      rd_kafka_assign(rk, NULL);
  }
  if (e) {
    fprintf(stderr, "soccollector: kafka: rebalance: %s\n", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  }
}

static int set_prop(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) == RD_KAFKA_CONF_OK) return 0;
  fprintf(stderr, "soccollector: kafka.properties: %s: %s\n", k, err);
  return -EINVAL;
}

static int make_consumer(collector *c) {
  const soc_kafka_config *k = &c->cfg->kafka;
  char err[512];
  int result = -EINVAL;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf) return -ENOMEM;
  int bad = set_prop(conf, "bootstrap.servers", k->brokers) |
            set_prop(conf, "group.id", k->group_id) |
            set_prop(conf, "client.id", c->cfg->collector.id) |
            /* A new group reads all that Kafka still holds: the center
             * would rather see old events twice than miss them. */
            set_prop(conf, "auto.offset.reset", "earliest") |
            /* The regex subscription sees a topic created later (say the
             * first .alerts) at the next metadata refresh. */
            set_prop(conf, "topic.metadata.refresh.interval.ms", "10000");
  for (size_t i = 0; i < k->nproperties; i++)
    bad |= set_prop(conf, k->properties[i].key, k->properties[i].value);
  /* Not overridable: these two are what "nothing lost" rests on. */
  for (size_t i = 0; i < k->nproperties; i++)
    if (!strcmp(k->properties[i].key, "enable.auto.commit") ||
        !strcmp(k->properties[i].key, "enable.auto.offset.store"))
      fprintf(stderr,
              "soccollector: kafka.properties: %s is ignored; the collector commits "
              "offsets itself, after its store\n",
              k->properties[i].key);
  bad |= set_prop(conf, "enable.auto.commit", "false") |
         set_prop(conf, "enable.auto.offset.store", "false");
  if (bad) goto out;
  rd_kafka_conf_set_opaque(conf, c);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance);
  c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!c->rk) {
    fprintf(stderr, "soccollector: kafka: %s\n", err);
    goto out;
  }
  conf = NULL; /* rd_kafka_new took it */
  rd_kafka_poll_set_consumer(c->rk);
  result = 0;
out:
  if (conf) rd_kafka_conf_destroy(conf);
  return result;
}

/* "^<prefix>\.[^.]+$", with the prefix's dots escaped (config.c allows only
 * letters, digits, '.', '_' and '-' in it). The agents' topics have one
 * name after the prefix; the center's own <prefix>.center.<agency> have two
 * and are not ours to consume (they are for the agents). */
static int subscribe(collector *c) {
  char re[512];
  size_t n = 0;
  const char *p = c->cfg->kafka.topic_prefix;
  re[n++] = '^';
  for (; *p && n < sizeof re - 12; p++) {
    if (*p == '.') re[n++] = '\\';
    re[n++] = *p;
  }
  memcpy(re + n, "\\.[^.]+$", 9);
  rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(t, re, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, t);
  rd_kafka_topic_partition_list_destroy(t);
  if (err)
    fprintf(stderr, "soccollector: kafka: cannot subscribe to %s: %s\n", re, rd_kafka_err2str(err));
  else
    /* not the URL: it may hold a password */
    fprintf(
        stderr, "soccollector: %s: group %s, topics %s from %s into %s%s\n", c->cfg->collector.id,
        c->cfg->kafka.group_id, re, c->cfg->kafka.brokers,
        soc_centerdb_is_pg(c->cfg) ? "PostgreSQL (collector.store)" : c->cfg->collector.state_dir,
        soc_centerdb_is_pg(c->cfg) ? "" : "/center.db");
  return err ? -EIO : 0;
}

/* A consumer error: transport trouble is retried by librdkafka and only
 * logged (not more than once per ERROR_REPEAT_S for the same code); a fatal
 * error ends the run. Returns -1 on fatal. */
static int kafka_error(collector *c, const rd_kafka_message_t *m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return 0;
  if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(c->rk, why, sizeof why);
    fprintf(stderr, "soccollector: kafka: fatal: %s\n", why);
    return -1;
  }
  time_t now = time(NULL);
  if (m->err != c->last_err || now - c->last_err_at >= ERROR_REPEAT_S) {
    fprintf(stderr, "soccollector: kafka: %s\n", rd_kafka_message_errstr(m));
    c->last_err = m->err;
    c->last_err_at = now;
  }
  return 0;
}

/* Chunks whose bundle never got a manifest would otherwise grow center.db
 * for ever (anyone enrolled can send them): after
 * collector.orphan_chunks_after they go, counted, in the sweep's
 * transaction. */
static int expire_orphans(collector *c) {
  int64_t chunks = 0, bytes = 0;
  int64_t before = soc_now_real_ns() - c->cfg->collector.orphan_chunks_after * 1000000000;
  int rc = soc_centerdb_orphans_expire(c->db, before, &chunks, &bytes);
  if (!rc && chunks) {
    fprintf(stderr,
            "soccollector: %" PRId64 " evidence chunk(s) (%" PRId64
            " bytes) without a "
            "manifest for collector.orphan_chunks_after expired\n",
            chunks, bytes);
    rc = soc_centerdb_counter_add(c->db, c->cfg->collector.id, counter_names[C_ORPHAN_CHUNKS],
                                  chunks);
    if (!rc)
      rc = soc_centerdb_counter_add(c->db, c->cfg->collector.id, counter_names[C_ORPHAN_BYTES],
                                    bytes);
  }
  return rc;
}

static int run(const soc_collector_config *cfg) {
  int result = 1;
  collector c = {.cfg = cfg};
  soc_collector_metrics *metrics = NULL;
  soc_console *console = NULL;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  /* librdkafka's threads inherit this mask: the handler runs on ours. */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  batch_forget(&c);
  c.expect = rd_kafka_topic_partition_list_new(16);
  c.trees = calloc(TREE_CACHE, sizeof *c.trees);
  c.leaf_hash = soc_sha256_new();
  if (!c.next || !c.first || !c.expect || !c.trees || !c.leaf_hash) goto out;
  if (soc_centerdb_open(cfg, &c.db) < 0) goto out;
  if (soc_center_new(cfg, &c.center) < 0) goto out;
  /* Decisions committed by a command whose delivery was never confirmed
   * (Kafka down, the command killed) go out again now and at every sweep. */
  if (soc_center_outbox_new(cfg, c.db, &c.outbox) < 0) goto out;
  if (make_consumer(&c) < 0 || subscribe(&c) < 0) goto out;
  if (soc_collector_metrics_start(cfg, &metrics) < 0) goto out;
  if (soc_console_start(cfg, &console) < 0) goto out;
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  soc_notify("READY=1\nSTATUS=consuming");

  int fatal = 0;
  /* a batch lasts at most BATCH_MS (or a RETRY_MS pause), far below any
   * sane WatchdogSec, so one ping per batch keeps systemd's watchdog fed */
  int64_t watchdog_ms = soc_notify_watchdog_ms(), pinged = 0;
  while (!stop_requested && !fatal) {
    if (watchdog_ms && mono_ms() - pinged >= watchdog_ms) {
      soc_notify("WATCHDOG=1");
      pinged = mono_ms();
    }
    int64_t deadline = mono_ms() + BATCH_MS;
    int failed = 0;
    while (!stop_requested && c.batch < BATCH_MAX && !failed) {
      int64_t left = deadline - mono_ms();
      if (left <= 0) break;
      rd_kafka_message_t *m = rd_kafka_consumer_poll(c.rk, (int)left);
      if (!m) continue;
      if (m->err) {
        fatal = kafka_error(&c, m) < 0;
        rd_kafka_message_destroy(m);
        if (fatal) break;
        continue;
      }
      const char *topic = rd_kafka_topic_name(m->rkt);
      int rc = 0;
      if (!c.in_tx) {
        rc = soc_centerdb_begin(c.db);
        c.in_tx = rc == 0;
      }
      if (!rc) rc = check_expired(&c, topic, m);
      if (!rc) rc = ingest(&c, m);
      if (!rc) {
        batch_track(&c, topic, m->partition, m->offset);
        c.batch++;
      } else {
        /* This message is read again with the rest of the batch. */
        if (!rd_kafka_topic_partition_list_find(c.first, topic, m->partition))
          rd_kafka_topic_partition_list_add(c.first, topic, m->partition)->offset = m->offset;
        failed = 1;
      }
      rd_kafka_message_destroy(m);
    }
    if (failed || batch_commit(&c, 1) < 0) {
      if (failed) batch_abort(&c, 1);
      for (int i = 0; i < RETRY_MS / 50 && !stop_requested; i++) usleep(50000);
      continue;
    }
    /* Between batches, with no transaction open: delivery reports mark
     * decisions delivered; now and then, overdue supervisor reviews are
     * flagged and what is still undelivered goes out again. */
    if (c.outbox) soc_center_outbox_poll(c.outbox, 0);
    if (c.outbox && soc_console_decided(console) && soc_center_outbox_send(c.outbox) < 0)
      fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(c.db));
    if (mono_ms() - c.swept_ms < SWEEP_MS) continue;
    c.swept_ms = mono_ms();
    int dropped = 0;
    if (soc_centerdb_maintain(c.db, &dropped) < 0)
      fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(c.db));
    else if (dropped)
      fprintf(stderr, "soccollector: %d day(s) of events past collector.retention dropped\n",
              dropped);
    if (soc_center_outbox_send(c.outbox) < 0)
      fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(c.db));
    if (soc_centerdb_begin(c.db) == 0) {
      if (soc_center_sweep(c.center, c.db, soc_now_real_ns(), NULL) == 0 && expire_orphans(&c) == 0)
        soc_centerdb_commit(c.db);
      else
        soc_centerdb_rollback(c.db);
    }
  }
  soc_notify("STOPPING=1");
  batch_commit(&c, 0);
  result = fatal ? 1 : 0;
out:
  soc_console_free(console);
  soc_collector_metrics_free(metrics);
  if (c.rk) {
    /* Leaves the group: the revoke callback commits whatever is left. */
    rd_kafka_consumer_close(c.rk);
    rd_kafka_destroy(c.rk);
  }
  if (c.db)
    fprintf(stderr,
            "soccollector: stopped: %" PRId64 " consumed, %" PRId64 " event(s), %" PRId64
            " duplicate(s), %" PRId64 " heartbeat(s), %" PRId64 " other, %" PRId64 " quarantined\n",
            c.total[C_CONSUMED], c.total[C_EVENTS], c.total[C_DUPLICATES], c.total[C_HEARTBEATS],
            c.total[C_MESSAGES], c.total[C_QUARANTINED]);
  soc_center_outbox_free(c.outbox, OUTBOX_STOP_MS);
  soc_center_free(c.center);
  soc_centerdb_free(c.db);
  free(c.trees);
  soc_sha256_free(c.leaf_hash);
  if (c.next) rd_kafka_topic_partition_list_destroy(c.next);
  if (c.first) rd_kafka_topic_partition_list_destroy(c.first);
  if (c.expect) rd_kafka_topic_partition_list_destroy(c.expect);
  return result;
}

/* ---- commands --------------------------------------------------------------------- */

typedef struct agents_ctx {
  int json;
  int64_t now_ns, silence_ns;
  fjson_object *list;
  size_t n, silent;
} agents_ctx;

static int print_agent(void *arg, const soc_center_agent *a) {
  agents_ctx *x = arg;
  int64_t age_s = (x->now_ns - a->seen_ns) / 1000000000;
  int silent = x->now_ns - a->seen_ns > x->silence_ns;
  x->n++;
  x->silent += (size_t)silent;
  if (!x->json) {
    /* the agency and the version come from the agent's messages */
    char agency[SOC_UTF8_PRINTABLE_BUF(SOC_COLLECTOR_TEXT_MAX)],
        version[SOC_UTF8_PRINTABLE_BUF(SOC_COLLECTOR_TEXT_MAX)], rtt[24] = "-";
    if (a->broker_rtt_ms >= 0) snprintf(rtt, sizeof rtt, "%" PRId64 "ms", a->broker_rtt_ms);
    printf("%-24s %-16s %4" PRId64 " %-8s %8" PRId64 "s ago %8" PRId64 " %7s %s\n", a->id,
           soc_utf8_printable(a->agency, agency, sizeof agency), a->authority,
           soc_utf8_printable(a->version, version, sizeof version), age_s, a->lag_lines, rtt,
           silent ? "SILENT" : "OK");
    if (a->store_flag && a->store_flag[0]) printf("  STORE: %s\n", a->store_flag);
    return 0;
  }
  fjson_object *o = fjson_object_new_object();
  if (!o) return -ENOMEM;
  fjson_object_object_add(o, "id", fjson_object_new_string(a->id));
  fjson_object_object_add(o, "agency", fjson_object_new_string(a->agency));
  fjson_object_object_add(o, "authority", fjson_object_new_int64(a->authority));
  fjson_object_object_add(o, "version", fjson_object_new_string(a->version));
  fjson_object_object_add(o, "last_heartbeat", fjson_object_new_string(a->hb_ts));
  fjson_object_object_add(o, "seen_s_ago", fjson_object_new_int64(age_s));
  fjson_object_object_add(o, "uptime_s", fjson_object_new_int64(a->uptime_s));
  fjson_object_object_add(o, "lag_lines", fjson_object_new_int64(a->lag_lines));
  fjson_object_object_add(o, "broker", fjson_object_new_string(a->broker));
  /* null: the last heartbeat named none (an older agent, or no statistics yet) */
  fjson_object_object_add(o, "broker_rtt_ms",
                          a->broker_rtt_ms >= 0 ? fjson_object_new_int64(a->broker_rtt_ms) : NULL);
  fjson_object_object_add(o, "status", fjson_object_new_string(silent ? "SILENT" : "OK"));
  if (a->audit_seq > 0) {
    char anchor[96];
    snprintf(anchor, sizeof anchor, "%" PRId64 ":%s", a->audit_seq, a->audit_head);
    /* as `socctl audit verify --anchor` takes it */
    fjson_object_object_add(o, "audit_anchor", fjson_object_new_string(anchor));
  }
  if (a->store_id && a->store_id[0]) {
    fjson_object *so = fjson_object_new_object();
    fjson_object_object_add(so, "id", fjson_object_new_string(a->store_id));
    fjson_object_object_add(so, "block", fjson_object_new_int64(a->store_block));
    if (a->store_flag && a->store_flag[0])
      fjson_object_object_add(so, "flag", fjson_object_new_string(a->store_flag));
    fjson_object_object_add(o, "store", so);
  }
  fjson_object *counters = fjson_tokener_parse(a->counters); /* written by us from JSON */
  fjson_object_object_add(o, "counters", counters ? counters : fjson_object_new_object());
  fjson_object_array_add(x->list, o);
  return 0;
}

static int cmd_agents(const soc_collector_config *cfg, soc_centerdb *db, int json) {
  agents_ctx x = {.json = json,
                  .now_ns = soc_now_real_ns(),
                  .silence_ns = cfg->collector.agent_silence * 1000000000,
                  .list = json ? fjson_object_new_array() : NULL};
  if (json && !x.list) return 1;
  if (!json)
    printf("%-24s %-16s %4s %-8s %13s %8s %7s %s\n", "AGENT", "AGENCY", "AUTH", "VERSION",
           "HEARTBEAT", "LAG", "RTT", "STATUS");
  int rc = soc_centerdb_agents_scan(db, print_agent, &x);
  fjson_object *o = json ? fjson_object_new_object() : NULL;
  if (!rc) rc = soc_enrol_list(db, o);
  if (json && !rc) {
    fjson_object_object_add(o, "agents", x.list);
    fjson_object_object_add(o, "silent", fjson_object_new_int64((int64_t)x.silent));
    fjson_object_object_add(o, "agent_silence_s",
                            fjson_object_new_int64(cfg->collector.agent_silence));
    printf("%s\n", fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PRETTY));
  } else {
    fjson_object_put(x.list);
  }
  fjson_object_put(o);
  if (rc) fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(db));
  return rc ? 1 : 0;
}

typedef struct quarantine_ctx {
  int json;
  fjson_object *list;
} quarantine_ctx;

static int print_rejected(void *arg, const soc_center_rejected *r) {
  quarantine_ctx *x = arg;
  /* Shown as text with what is not replaced (U+FFFD), control bytes
   * included, so the terminal is safe from escape sequences. */
  char head[SOC_UTF8_REPAIRED_MAX(SOC_CENTER_QUARANTINE_HEAD) + 1],
      key[SOC_UTF8_REPAIRED_MAX(256) + 1];
  size_t hl = 0, kl = 0;
  soc_utf8_repair(r->payload, r->payload_len, head, sizeof head, &hl, NULL);
  soc_utf8_repair(r->key, r->key_len < 256 ? r->key_len : 256, key, sizeof key, &kl, NULL);
  if (!x->json) {
    for (size_t i = 0; i < hl; i++)
      if ((unsigned char)head[i] < 0x20 || head[i] == 0x7f) head[i] = '.';
    for (size_t i = 0; i < kl; i++)
      if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) key[i] = '.';
    /* the detail may quote what the message said */
    char detail[SOC_UTF8_PRINTABLE_BUF(160)];
    printf("%s[%d]@%" PRId64 " key=%s reason=%s size=%" PRId64 " (%s): %.120s\n", r->topic,
           r->partition, r->offset, key, r->reason, r->size,
           soc_utf8_printable(r->detail, detail, sizeof detail), head);
    return 0;
  }
  fjson_object *o = fjson_object_new_object();
  if (!o) return -ENOMEM;
  fjson_object_object_add(o, "topic", fjson_object_new_string(r->topic));
  fjson_object_object_add(o, "partition", fjson_object_new_int(r->partition));
  fjson_object_object_add(o, "offset", fjson_object_new_int64(r->offset));
  fjson_object_object_add(o, "key", fjson_object_new_string(key));
  fjson_object_object_add(o, "reason", fjson_object_new_string(r->reason));
  fjson_object_object_add(o, "detail", fjson_object_new_string(r->detail));
  fjson_object_object_add(o, "size", fjson_object_new_int64(r->size));
  fjson_object_object_add(o, "received_ns", fjson_object_new_int64(r->received_ns));
  fjson_object_object_add(o, "payload", fjson_object_new_string_len(head, (int)hl));
  fjson_object_array_add(x->list, o);
  return 0;
}

static int cmd_quarantine(soc_centerdb *db, int json, size_t limit) {
  quarantine_ctx x = {.json = json, .list = json ? fjson_object_new_array() : NULL};
  if (json && !x.list) return 1;
  int rc = soc_centerdb_quarantine_scan(db, limit, print_rejected, &x);
  if (json && !rc) printf("%s\n", fjson_object_to_json_string_ext(x.list, FJSON_TO_STRING_PRETTY));
  fjson_object_put(x.list);
  if (rc) fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(db));
  return rc ? 1 : 0;
}

static int print_counter(void *arg, const char *collector_id, const char *name, int64_t value) {
  fjson_object *all = arg, *o = NULL;
  if (!all) {
    printf("%-16s %-28s %" PRId64 "\n", collector_id, name, value);
    return 0;
  }
  if (!fjson_object_object_get_ex(all, collector_id, &o)) {
    o = fjson_object_new_object();
    fjson_object_object_add(all, collector_id, o);
  }
  fjson_object_object_add(o, name, fjson_object_new_int64(value));
  return 0;
}

/* Text: one line each. JSON: under "alerts" in its collector's object. */
static int print_alert(void *arg, const char *collector_id, int64_t ts_ns, const char *kind,
                       const char *message) {
  fjson_object *all = arg, *c = NULL, *list = NULL;
  char ts[SOC_EVENT_TIME_BUF];
  if (soc_event_format_time(ts_ns, 3, ts, sizeof ts) < 0) snprintf(ts, sizeof ts, "?");
  if (!all) {
    printf("%s %s %s: %s\n", ts, collector_id, kind, message);
    return 0;
  }
  if (!fjson_object_object_get_ex(all, collector_id, &c)) {
    c = fjson_object_new_object();
    fjson_object_object_add(all, collector_id, c);
  }
  if (!fjson_object_object_get_ex(c, "alerts", &list)) {
    list = fjson_object_new_array();
    fjson_object_object_add(c, "alerts", list);
  }
  fjson_object *o = fjson_object_new_object();
  fjson_object_object_add(o, "collector", fjson_object_new_string(collector_id));
  fjson_object_object_add(o, "time", fjson_object_new_string(ts));
  fjson_object_object_add(o, "kind", fjson_object_new_string(kind));
  fjson_object_object_add(o, "message", fjson_object_new_string(message));
  fjson_object_array_add(list, o);
  return 0;
}

/* The counters, then the newest alerts of the collectors themselves. */
static int cmd_stats(soc_centerdb *db, int json) {
  fjson_object *all = json ? fjson_object_new_object() : NULL;
  int rc = soc_centerdb_counters_scan(db, print_counter, all);
  if (!rc && !json) printf("alerts (the newest %d):\n", ALERTS_SHOWN);
  if (!rc) rc = soc_centerdb_alerts_scan(db, ALERTS_SHOWN, print_alert, all);
  if (all && !rc) printf("%s\n", fjson_object_to_json_string_ext(all, FJSON_TO_STRING_PRETTY));
  fjson_object_put(all);
  if (rc) fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(db));
  return rc ? 1 : 0;
}

static int command(const soc_collector_config *cfg, int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"count", no_argument, NULL, 'n'},
                                       {"agent", required_argument, NULL, 'a'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {NULL, 0, NULL, 0}};
  const char *cmd = argv[0], *agent = NULL;
  int json = 0, count = 0, opt, status = 2;
  long limit = 0;
  soc_centerdb *db = NULL;
  int center = soc_enrol_command(cfg, argc, argv);
  if (center < 0) center = soc_console_user_command(cfg, argc, argv);
  if (center < 0) center = soc_center_command(cfg, argc, argv);
  if (center >= 0) return center;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
      case 'j':
        json = 1;
        break;
      case 'n':
        count = 1;
        break;
      case 'a':
        agent = optarg;
        break;
      case 'l':
        limit = strtol(optarg, NULL, 10);
        break;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc || limit < 0) {
    usage(stderr);
    return 2;
  }
  int known = !strcmp(cmd, "agents") || !strcmp(cmd, "quarantine") || !strcmp(cmd, "stats") ||
              (!strcmp(cmd, "events") && count);
  if (!known) {
    fprintf(stderr, "soccollector: unknown command '%s'%s\n", cmd,
            !strcmp(cmd, "events") ? " (events takes --count)" : "");
    usage(stderr);
    return 2;
  }
  if (soc_centerdb_open(cfg, &db) < 0) return 1;
  if (!strcmp(cmd, "agents")) {
    status = cmd_agents(cfg, db, json);
  } else if (!strcmp(cmd, "quarantine")) {
    status = cmd_quarantine(db, json, (size_t)limit);
  } else if (!strcmp(cmd, "stats")) {
    status = cmd_stats(db, json);
  } else {
    int64_t n = 0;
    status = soc_centerdb_events_count(db, agent, &n) ? 1 : 0;
    if (status)
      fprintf(stderr, "soccollector: %s\n", soc_centerdb_errmsg(db));
    else
      printf("%" PRId64 "\n", n);
  }
  soc_centerdb_free(db);
  return status;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 'C'},
                                       {"help-config", optional_argument, NULL, 'H'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *path = DEFAULT_CONFIG;
  int check = 0, opt;
  /* '+': options end at the command, which has its own. */
  while ((opt = getopt_long(argc, argv, "+c:Vh", opts, NULL)) != -1) {
    switch (opt) {
      case 'c':
        path = optarg;
        break;
      case 'C':
        check = 1;
        break;
      case 'H':
        return soc_config_help(1, optarg, stdout) == 0 ? 0 : 2;
      case 'V':
        printf("soccollector %s\n", SOC_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (check && optind < argc) {
    usage(stderr);
    return 2;
  }
  soc_diag *diag = soc_diag_new();
  soc_collector_config *cfg = NULL;
  char why[400];
  if (!diag) return 1;
  int rc = soc_collector_config_load(path, check ? SOC_CONFIG_CHECK_REFERENCES : 0, &cfg, diag);
  soc_diag_print(diag, stderr);
  int status = 0;
  if (rc < 0) {
    fprintf(stderr, "soccollector: %s: %zu error(s), %zu warning(s); configuration refused\n", path,
            soc_diag_errors(diag), soc_diag_warnings(diag));
    status = 2;
  } else if (check && soc_console_check(cfg, why, sizeof why) < 0) {
    fprintf(stderr, "soccollector: %s: %s; configuration refused\n", path, why);
    status = 2;
  } else if (check) {
    printf("%s: configuration OK (collector %s, group %s)\n", path, cfg->collector.id,
           cfg->kafka.group_id);
  } else if (optind < argc) {
    status = command(cfg, argc - optind, argv + optind);
  } else {
    status = run(cfg);
  }
  soc_collector_config_free(cfg);
  soc_diag_free(diag);
  return status;
}
