/*
 * pg_center — the center's tables on PostgreSQL (pg_center.h): the
 * connection, the schema and the ingest path (pg_center_report.c has the
 * reporting workflow).
 *
 * Why the shapes differ from center.db:
 *  - event is partitioned by the day of the event's own @timestamp, so that
 *    retention drops a partition instead of deleting rows, and so that a
 *    replay (which carries the same @timestamp) lands in the partition that
 *    already holds its first copy: the key (agent, id, day) is then as good
 *    as (agent, id) for the exactly-once rule;
 *  - counters are per collector and added once per batch, so collectors
 *    sharing the database never wait on each other's rows;
 *  - the migrations run under a session advisory lock: of collectors
 *    starting together, one migrates and the others find it done.
 * Statements are prepared once per connection; after a reconnection (the
 * server restarted) they are prepared again.
 */
#include "soc/pg_center.h"

#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg_center_internal.h"
#include "soc/tz.h"

#define DAY_CACHE 64
#define MIGRATE_LOCK 0x736f6363656e7472LL /* "soccentr": the advisory lock's key */

static const char *const migrations[] = {
    /* 1: the ingest path */
    "CREATE TABLE event(\n"
    "  id text NOT NULL, agent text NOT NULL, host text NOT NULL, ts text NOT NULL,\n"
    "  day date NOT NULL, topic text NOT NULL, partition integer NOT NULL,\n"
    "  \"offset\" bigint NOT NULL, received_ns bigint NOT NULL, body text NOT NULL,\n"
    "  PRIMARY KEY(agent, id, day)\n"
    ") PARTITION BY RANGE(day);\n"
    "CREATE TABLE message(\n"
    "  topic text NOT NULL, partition integer NOT NULL, \"offset\" bigint NOT NULL,\n"
    "  agent text NOT NULL, key bytea NOT NULL, received_ns bigint NOT NULL, body text NOT NULL,\n"
    "  PRIMARY KEY(topic, partition, \"offset\"));\n"
    "CREATE TABLE quarantine(\n"
    "  topic text NOT NULL, partition integer NOT NULL, \"offset\" bigint NOT NULL,\n"
    "  key bytea NOT NULL, reason text NOT NULL, detail text NOT NULL, size bigint NOT NULL,\n"
    "  received_ns bigint NOT NULL, payload bytea NOT NULL,\n"
    "  PRIMARY KEY(topic, partition, \"offset\"));\n"
    "CREATE TABLE agent(\n"
    "  id text PRIMARY KEY, agency text NOT NULL, authority bigint NOT NULL,\n"
    "  version text NOT NULL, seen_ns bigint NOT NULL, hb_ts text NOT NULL,\n"
    "  uptime_s bigint NOT NULL, lag_lines bigint NOT NULL, broker text NOT NULL,\n"
    "  counters text NOT NULL, audit_seq bigint NOT NULL DEFAULT 0,\n"
    "  audit_head text NOT NULL DEFAULT '', store_id text NOT NULL DEFAULT '',\n"
    "  store_block bigint NOT NULL DEFAULT 0, store_flag text NOT NULL DEFAULT '',\n"
    "  store_flag_ns bigint NOT NULL DEFAULT 0);\n"
    "CREATE TABLE counter(\n"
    "  collector text NOT NULL, name text NOT NULL, value bigint NOT NULL,\n"
    "  PRIMARY KEY(collector, name));\n"
    "CREATE TABLE center_alert(\n"
    "  id bigserial PRIMARY KEY, collector text NOT NULL, ts_ns bigint NOT NULL,\n"
    "  kind text NOT NULL, message text NOT NULL);\n"
    "CREATE TABLE enrolment(\n"
    "  agent text PRIMARY KEY, key text NOT NULL, agency text NOT NULL, state text NOT NULL,\n"
    "  \"by\" text NOT NULL, os_user text NOT NULL, at_ns bigint NOT NULL,\n"
    "  prev_key text NOT NULL DEFAULT '', rotated_ns bigint NOT NULL DEFAULT 0);\n"
    "CREATE TABLE pending_key(\n"
    "  agent text NOT NULL, key text NOT NULL, first_ns bigint NOT NULL,\n"
    "  last_ns bigint NOT NULL, messages bigint NOT NULL, PRIMARY KEY(agent, key));",
    /* 2: the reporting workflow (pg_center_report.c), center.db's tables
     * and columns under the same names: the latest revision of each report
     * and every revision, the notifications owed for levels 3-4, the
     * center's decisions (the outbox: pending while delivered_ns is 0),
     * evidence bundles and their chunks. soc_jsonb reads a body as JSON, or
     * as NULL when it is not, as SQLite's json_valid lets campaigns do; the
     * partial index is the one campaigns' scan of the alerts needs. */
    "CREATE TABLE report(\n"
    "  id text PRIMARY KEY, agent text NOT NULL, agency text NOT NULL, level integer NOT NULL,\n"
    "  state text NOT NULL, category text NOT NULL, revision bigint NOT NULL,\n"
    "  discovered_ns bigint NOT NULL, received_ns bigint NOT NULL,\n"
    "  flagged_ns bigint NOT NULL DEFAULT 0, flag text NOT NULL DEFAULT '', body text NOT NULL);\n"
    "CREATE TABLE report_revision(\n"
    "  id text NOT NULL, revision bigint NOT NULL, received_ns bigint NOT NULL,\n"
    "  body text NOT NULL, PRIMARY KEY(id, revision));\n"
    "CREATE TABLE notification(\n"
    "  report text NOT NULL, level integer NOT NULL, who text NOT NULL, at_ns bigint NOT NULL,\n"
    "  PRIMARY KEY(report, level, who));\n"
    "CREATE TABLE decision(\n"
    "  n bigint PRIMARY KEY, id text UNIQUE NOT NULL, report text NOT NULL, kind text NOT NULL,\n"
    "  at_ns bigint NOT NULL, \"by\" text NOT NULL, topic text NOT NULL, body text NOT NULL,\n"
    "  delivered_ns bigint NOT NULL DEFAULT 0);\n"
    "CREATE INDEX decision_report ON decision(report);\n"
    "CREATE INDEX decision_pending ON decision(n) WHERE delivered_ns = 0;\n"
    "CREATE TABLE evidence_chunk(\n"
    "  bundle text NOT NULL, seq bigint NOT NULL, \"offset\" bigint NOT NULL, data bytea NOT "
    "NULL,\n"
    "  received_ns bigint NOT NULL, PRIMARY KEY(bundle, seq));\n"
    "CREATE TABLE bundle(\n"
    "  id text PRIMARY KEY, report text NOT NULL, agent text NOT NULL, chunks bigint NOT NULL,\n"
    "  size bigint NOT NULL, manifest text NOT NULL, state text NOT NULL DEFAULT 'incomplete',\n"
    "  path text NOT NULL DEFAULT '', reason text NOT NULL DEFAULT '',\n"
    "  checked_ns bigint NOT NULL DEFAULT 0);\n"
    "CREATE INDEX message_alerts ON message(received_ns) WHERE topic LIKE '%.alerts';\n"
    "CREATE FUNCTION soc_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$\n"
    "BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;",
    /* 3: the web console (pg_center_console.c): its accounts and its audit
     * log, center.db's console_user, audit and meta (the log's head) under
     * the same names. */
    "CREATE TABLE console_user(\n"
    "  name text PRIMARY KEY, hash text NOT NULL, role text NOT NULL, agency text NOT NULL,\n"
    "  authority bigint NOT NULL, disabled integer NOT NULL DEFAULT 0,\n"
    "  changed_ns bigint NOT NULL);\n"
    "CREATE TABLE audit(\n"
    "  seq bigint PRIMARY KEY, ts_ns bigint NOT NULL, actor text NOT NULL,\n"
    "  action text NOT NULL, object text NOT NULL, details text NOT NULL,\n"
    "  prev_hash text NOT NULL, hash text NOT NULL);\n"
    "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);",
    /* 4: the round trip to the Kafka brokers that each agent's last
     * heartbeat named, NULL when it named none (center.db's migration 10) */
    "ALTER TABLE agent ADD COLUMN broker_rtt_ms bigint;",
};

/* The event table's columns in the order the binary COPY sends them. */
#define EVENT_NAMES "id, agent, host, ts, day, topic, partition, \"offset\", received_ns, body"

enum {
  P_EVENT,
  P_MESSAGE,
  P_QUARANTINE,
  P_AGENT,
  P_COUNTER,
  P_KEY_OF,
  P_PENDING,
  P_ROTATE,
  P_FLAG,
  P_ALERT,
  P_COUNT
};

static const char *const prepared_sql[P_COUNT] = {
    /* the events copied to the stage since the last insert, in one
     * statement that also empties the stage */
    [P_EVENT] = "WITH s AS (DELETE FROM event_stage RETURNING *) INSERT INTO event(" EVENT_NAMES
                ") SELECT " EVENT_NAMES " FROM s ON CONFLICT DO NOTHING",
    [P_MESSAGE] =
        "INSERT INTO message(topic, partition, \"offset\", agent, key, received_ns, body)"
        " VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    [P_QUARANTINE] =
        "INSERT INTO quarantine(topic, partition, \"offset\", key, reason, detail,"
        " size, received_ns, payload) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT DO NOTHING",
    /* store_center.c's upsert, in PostgreSQL's words */
    [P_AGENT] =
        "INSERT INTO agent(id, agency, authority, version, seen_ns, hb_ts, uptime_s,"
        " lag_lines, broker, counters, audit_seq, audit_head, store_id, store_block,"
        " broker_rtt_ms)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT(id) DO UPDATE SET agency = excluded.agency,"
        " authority = excluded.authority, version = excluded.version,"
        " seen_ns = excluded.seen_ns, hb_ts = excluded.hb_ts,"
        " uptime_s = excluded.uptime_s, lag_lines = excluded.lag_lines,"
        " broker = excluded.broker, counters = excluded.counters,"
        " broker_rtt_ms = excluded.broker_rtt_ms,"
        " audit_head = CASE WHEN excluded.audit_seq > agent.audit_seq"
        "   THEN excluded.audit_head ELSE agent.audit_head END,"
        " audit_seq = greatest(agent.audit_seq, excluded.audit_seq),"
        " store_flag_ns = CASE WHEN excluded.store_id = '' OR agent.store_id = '' THEN"
        "   agent.store_flag_ns WHEN excluded.store_id != agent.store_id"
        "   OR excluded.store_block < agent.store_block THEN excluded.seen_ns"
        "   ELSE agent.store_flag_ns END,"
        " store_flag = CASE WHEN excluded.store_id = '' OR agent.store_id = '' THEN"
        "   agent.store_flag WHEN excluded.store_id != agent.store_id THEN"
        "   format('store replaced or gone back: id %s with journal blocks up to %s,"
        " now id %s with %s',"
        "     agent.store_id, agent.store_block, excluded.store_id, excluded.store_block)"
        "   WHEN excluded.store_block < agent.store_block THEN"
        "   format('store went backwards: journal blocks up to %s, after %s',"
        "     excluded.store_block, agent.store_block)"
        "   ELSE agent.store_flag END,"
        " store_id = CASE WHEN excluded.store_id = '' THEN agent.store_id"
        "   ELSE excluded.store_id END,"
        " store_block = CASE WHEN excluded.store_id = '' THEN agent.store_block"
        "   ELSE excluded.store_block END"
        " WHERE excluded.seen_ns > agent.seen_ns",
    [P_COUNTER] =
        "INSERT INTO counter(collector, name, value) VALUES($1, $2, $3)"
        " ON CONFLICT(collector, name) DO UPDATE SET value = counter.value + excluded.value",
    [P_KEY_OF] = "SELECT key, agency, state, prev_key, rotated_ns FROM enrolment WHERE agent = $1",
    [P_PENDING] =
        "INSERT INTO pending_key(agent, key, first_ns, last_ns, messages)"
        " VALUES($1, $2, $3, $3, 1) ON CONFLICT(agent, key) DO UPDATE SET"
        " last_ns = greatest(pending_key.last_ns, excluded.last_ns),"
        " messages = pending_key.messages + 1",
    [P_ROTATE] =
        "UPDATE enrolment SET prev_key = key, key = $2, rotated_ns = $3"
        " WHERE agent = $1 AND state = '" SOC_CENTER_ENROLLED "' AND key <> $2",
    [P_FLAG] =
        "SELECT store_flag FROM agent WHERE id = $1 AND store_flag_ns = $2"
        " AND store_flag != ''",
    [P_ALERT] = "INSERT INTO center_alert(collector, ts_ns, kind, message) VALUES($1, $2, $3, $4)",
};

/* The events not yet copied to the server, as rows of PostgreSQL's binary
 * COPY format: a row is its field count, then each field's length and
 * bytes, integers big-endian. Nothing is escaped: a body goes as it came
 * (the validator let only UTF-8 without NUL through), and the server parses
 * no text for it either. */
typedef struct copybuf {
  unsigned char *p; /* owned */
  size_t len, cap;
} copybuf;

#define EVENT_COLUMNS 10
#define EVENT_ROWS 10000           /* events per COPY, at most: a collector's whole batch */
#define EVENT_BYTES (16 << 20)     /* and bytes (their bodies and the rest) */
#define COPY_MAX (2 * EVENT_BYTES) /* a full buffer and one more row the validator let through */

struct soc_pg_center {
  copybuf rows;        /* the events not yet copied to the stage */
  size_t pending;      /* how many */
  size_t staged;       /* events in the stage, not yet inserted */
  int64_t late_dups;   /* duplicates found by inserts since the last flush that asked */
  PGconn *conn;        /* owned */
  char *url;           /* owned */
  int64_t retention_s; /* 0: events kept */
  int prepared;        /* statements prepared on this connection */
  int days[DAY_CACHE]; /* days (since 1970) whose partition exists */
  size_t ndays;
  char err[512];
};

int soc_pg_fail(soc_pg_center *pg, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pg->err, sizeof pg->err, fmt, ap);
  va_end(ap);
  return rc;
}

/* Records res's error (and frees res) when it is not expected. */
static int check(soc_pg_center *pg, PGresult *res, ExecStatusType expected, const char *what) {
  if (PQresultStatus(res) == expected) return 0;
  const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn);
  soc_pg_fail(pg, -EIO, "%s: %s", what, msg && *msg ? msg : "PostgreSQL failed");
  /* strip libpq's trailing newline */
  size_t n = strlen(pg->err);
  if (n && pg->err[n - 1] == '\n') pg->err[n - 1] = '\0';
  PQclear(res);
  return -EIO;
}

/* check, where a failure with SQLSTATE `a` or `b` (NULL: none) is an
 * answer rather than an error: then returns 1, res freed and nothing
 * recorded. */
static int check_unless(soc_pg_center *pg, PGresult *res, ExecStatusType expected, const char *what,
                        const char *a, const char *b) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (state && ((a && !strcmp(state, a)) || (b && !strcmp(state, b)))) {
    PQclear(res);
    return 1;
  }
  return check(pg, res, expected, what);
}

static int exec(soc_pg_center *pg, const char *sql, const char *what) {
  PGresult *res = PQexec(pg->conn, sql);
  int rc = check(pg, res,
                 PQresultStatus(res) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK, what);
  if (!rc) PQclear(res);
  return rc;
}

/* Checks res; OUT: *out (may be NULL: res is freed) res, owned by the
 * caller. */
static int hand_over(soc_pg_center *pg, PGresult *res, ExecStatusType want, PGresult **out,
                     const char *what) {
  int rc = check(pg, res, want, what);
  if (rc) return rc;
  if (out)
    *out = res;
  else
    PQclear(res);
  return 0;
}

/* Runs prepared statement i with n parameters. Lengths and formats may be
 * NULL (all text, NUL-terminated). OUT: *out (may be NULL) the result,
 * owned by the caller. */
static int run(soc_pg_center *pg, int i, int n, const char *const *v, const int *len,
               const int *fmt, PGresult **out, const char *what) {
  char name[8];
  snprintf(name, sizeof name, "p%d", i);
  PGresult *res = PQexecPrepared(pg->conn, name, n, v, len, fmt, 0);
  ExecStatusType want = i == P_KEY_OF || i == P_FLAG ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
  return hand_over(pg, res, want, out, what);
}

/* 1 when the last insert of res changed nothing; frees res. */
static int unchanged(PGresult *res) {
  int dup = strcmp(PQcmdTuples(res), "0") == 0;
  PQclear(res);
  return dup;
}

static int connect_db(soc_pg_center *pg) {
  if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) return 0;
  if (pg->conn) PQfinish(pg->conn);
  pg->prepared = 0;
  pg->ndays = 0;
  pg->conn = PQconnectdb(pg->url);
  if (!pg->conn) return soc_pg_fail(pg, -ENOMEM, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(pg->conn) != CONNECTION_OK) {
    int rc = soc_pg_fail(pg, -EIO, "cannot connect to PostgreSQL: %s", PQerrorMessage(pg->conn));
    size_t n = strlen(pg->err);
    if (n && pg->err[n - 1] == '\n') pg->err[n - 1] = '\0';
    return rc;
  }
  /* the server's notices (a table already there) are not the operator's */
  return exec(pg, "SET client_min_messages TO warning", "cannot set up the connection");
}

static int prepare_all(soc_pg_center *pg) {
  if (pg->prepared) return 0;
  /* the session's stage for the events, unlogged and private: emptied by
   * P_EVENT, and by each commit or rollback */
  int rc =
      exec(pg, "CREATE TEMP TABLE IF NOT EXISTS event_stage (LIKE event) ON COMMIT DELETE ROWS",
           "cannot create the event stage");
  if (rc) return rc;
  for (int i = 0; i < P_COUNT; i++) {
    char name[8];
    snprintf(name, sizeof name, "p%d", i);
    PGresult *res = PQprepare(pg->conn, name, prepared_sql[i], 0, NULL);
    if ((rc = check(pg, res, PGRES_COMMAND_OK, "cannot prepare the center's statements")))
      return rc;
    PQclear(res);
  }
  pg->prepared = 1;
  return 0;
}

static int migrate(soc_pg_center *pg) {
  char sql[128];
  int result = -EIO, locked = 0;
  snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)MIGRATE_LOCK);
  if (exec(pg, sql, "cannot take the migration lock")) goto out;
  locked = 1;
  if (exec(pg, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)",
           "cannot create schema_version"))
    goto out;
  PGresult *res = PQexec(pg->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
  if (check(pg, res, PGRES_TUPLES_OK, "cannot read the schema version")) goto out;
  long have = strtol(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  long known = (long)(sizeof migrations / sizeof migrations[0]);
  if (have > known) {
    result = soc_pg_fail(pg, -EPROTO,
                         "the database's schema is version %ld, newer than this collector's %ld: "
                         "upgrade this collector",
                         have, known);
    goto out;
  }
  for (long v = have; v < known; v++) {
    snprintf(sql, sizeof sql, "INSERT INTO schema_version(version) VALUES(%ld)", v + 1);
    if (exec(pg, "BEGIN", "cannot migrate")) goto out;
    if (exec(pg, migrations[v], "cannot migrate") || exec(pg, sql, "cannot migrate") ||
        exec(pg, "COMMIT", "cannot migrate")) {
      exec(pg, "ROLLBACK", "cannot roll a migration back");
      goto out;
    }
  }
  result = 0;
out:
  if (locked) {
    char err[sizeof pg->err];
    memcpy(err, pg->err, sizeof err);
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)MIGRATE_LOCK);
    exec(pg, sql, "cannot release the migration lock");
    memcpy(pg->err, err, sizeof err);
  }
  return result;
}

int soc_pg_center_open(const char *url, int64_t retention_s, soc_pg_center **out, char *err,
                       size_t cap) {
  int result = -EINVAL;
  soc_pg_center *pg = NULL;
  if (!out || !url) goto out;
  *out = NULL;
  result = -ENOMEM;
  pg = calloc(1, sizeof *pg);
  if (!pg || !(pg->url = strdup(url))) goto out;
  pg->retention_s = retention_s;
  result = connect_db(pg);
  if (!result) result = migrate(pg);
  if (!result) result = prepare_all(pg);
  if (result) goto out;
  *out = pg;
  pg = NULL;
out:
  if (result && err && cap)
    snprintf(err, cap, "%s", pg && pg->err[0] ? pg->err : strerror(-result));
  soc_pg_center_free(pg);
  return result;
}

void soc_pg_center_free(soc_pg_center *pg) {
  if (!pg) return;
  free(pg->rows.p);
  if (pg->conn) PQfinish(pg->conn);
  free(pg->url);
  free(pg);
}

const char *soc_pg_center_errmsg(const soc_pg_center *pg) {
  return pg && pg->err[0] ? pg->err : "no error";
}

int soc_pg_center_begin(soc_pg_center *pg) {
  int rc = connect_db(pg);
  if (!rc) rc = prepare_all(pg);
  if (!rc) rc = exec(pg, "BEGIN", "cannot begin a transaction");
  return rc;
}

int soc_pg_center_read_begin(soc_pg_center *pg) {
  int rc = connect_db(pg);
  if (!rc) rc = exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot begin a read");
  return rc;
}

int soc_pg_center_commit(soc_pg_center *pg) {
  /* events still waiting would be lost with their offsets committed */
  if (pg->pending || pg->staged)
    return soc_pg_fail(pg, -EPROTO, "events not flushed before the commit");
  int rc = exec(pg, "COMMIT", "cannot commit");
  /* a partition created in a transaction that did not commit is not there */
  if (rc) pg->ndays = 0;
  return rc;
}

void soc_pg_center_rollback(soc_pg_center *pg) {
  char err[sizeof pg->err];
  memcpy(err, pg->err, sizeof err);
  if (PQstatus(pg->conn) == CONNECTION_OK) exec(pg, "ROLLBACK", "cannot roll back");
  memcpy(pg->err, err, sizeof err);
  pg->ndays = 0;
  pg->pending = pg->staged = 0;
  pg->late_dups = 0;
  pg->rows.len = 0;
}

int soc_pg_center_in_transaction(soc_pg_center *pg) {
  PGTransactionStatusType t = PQtransactionStatus(pg->conn);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

/* ---- partitions by day ------------------------------------------------------------ */

/* The number of n digits at p, or -1. */
static int digits(const char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* Days since 1970-01-01 of a "YYYY-MM-DD..." timestamp; a timestamp that
 * does not start so goes to day 0, always the same for the same event (a
 * replay must find its first copy's partition: the answer never changes).
 * Read by hand on every event; sscanf and timegm, a tenth of the
 * collector's time, only for what is not plain digits (a one-digit day). */
static int day_of(const char *ts) {
  static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int y = digits(ts, 4), m = y >= 0 && ts[4] == '-' ? digits(ts + 5, 2) : -1;
  int d = m >= 0 && ts[7] == '-' ? digits(ts + 8, 2) : -1;
  if (y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0, p = y - 1;
    int leaps = (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    return (y - 1970) * 365 + leaps + before[m - 1] + (m > 2 && leap) + d - 1;
  }
  char tail;
  if (strlen(ts) < 10 || sscanf(ts, "%4d-%2d-%2d%c", &y, &m, &d, &tail) < 3 || ts[4] != '-' ||
      ts[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
    return 0;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
  time_t t = timegm(&tm);
  return t < 0 ? 0 : (int)(t / 86400);
}

/* The day as YYYY-MM-DD, or as its partition's name. */
static void day_text(int day, char *out, size_t cap, int partition_name) {
  time_t t = (time_t)day * 86400;
  struct tm tm;
  gmtime_r(&t, &tm);
  if (partition_name)
    strftime(out, cap, "event_%Y%m%d", &tm);
  else
    strftime(out, cap, "%Y-%m-%d", &tm);
}

/* Makes sure day's partition exists, in the open transaction.
 *
 * Collectors sharing the database meet a new day together (the first
 * events of a day, or of a new center): the second one's CREATE waits for
 * the first one's transaction and, once that committed, fails ("relation
 * ... already exists", or a unique violation in the catalog). Outside a
 * savepoint that failure took the second one's whole batch with it: rolled
 * back, a pause of a second and the batch read again, in every two-member
 * run of bench/collector.sh on PostgreSQL. In a savepoint it only means the
 * partition is there now, made by the other: rolled back to, and used. */
static int partition_for(soc_pg_center *pg, int day) {
  for (size_t i = 0; i < pg->ndays; i++)
    if (pg->days[i] == day) return 0;
  char name[32], from[16], to[16], sql[256];
  day_text(day, name, sizeof name, 1);
  day_text(day, from, sizeof from, 0);
  day_text(day + 1, to, sizeof to, 0);
  snprintf(sql, sizeof sql, "SELECT to_regclass('%s') IS NOT NULL", name);
  PGresult *res = PQexec(pg->conn, sql);
  if (check(pg, res, PGRES_TUPLES_OK, "cannot look for an event partition")) return -EIO;
  int exists = PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  if (!exists) {
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s PARTITION OF event FOR VALUES FROM ('%s') TO ('%s')",
             name, from, to);
    static const char what[] = "cannot create an event partition";
    if (exec(pg, "SAVEPOINT partition", what)) return -EIO;
    /* duplicate_table, unique_violation: another collector's, committed */
    res = PQexec(pg->conn, sql);
    int theirs = check_unless(pg, res, PGRES_COMMAND_OK, what, "42P07", "23505");
    if (theirs < 0) return -EIO;
    if (!theirs) PQclear(res); /* check keeps a result it accepts */
    if ((theirs && exec(pg, "ROLLBACK TO SAVEPOINT partition", what)) ||
        exec(pg, "RELEASE SAVEPOINT partition", what))
      return -EIO;
  }
  if (pg->ndays == DAY_CACHE) pg->ndays = 0;
  pg->days[pg->ndays++] = day;
  return 0;
}

int soc_pg_center_maintain(soc_pg_center *pg, int *dropped) {
  int result = 0, n = 0;
  if (dropped) *dropped = 0;
  if (!pg->retention_s) return 0;
  if ((result = connect_db(pg)) < 0) return result;
  PGresult *res = PQexec(pg->conn,
                         "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                         " WHERE i.inhparent = 'event'::regclass ORDER BY 1");
  if (check(pg, res, PGRES_TUPLES_OK, "cannot list the event partitions")) return -EIO;
  int64_t keep_from = (soc_now_real_ns() / 1000000000 - pg->retention_s) / 86400;
  for (int r = 0; r < PQntuples(res) && !result; r++) {
    const char *name = PQgetvalue(res, r, 0);
    int y, m, d;
    if (sscanf(name, "event_%4d%2d%2d", &y, &m, &d) != 3) continue;
    char ts[16];
    snprintf(ts, sizeof ts, "%04d-%02d-%02d", y, m, d);
    /* a partition goes when its whole day is older than the retention */
    if (day_of(ts) + 1 > keep_from) continue;
    char sql[96];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", name);
    result = exec(pg, sql, "cannot drop an expired event partition");
    if (!result) n++;
  }
  PQclear(res);
  pg->ndays = 0;
  if (dropped) *dropped = n;
  return result;
}

/* ---- the hot path ----------------------------------------------------------------- */

/* Appends n bytes of v to b, which grows up to EVENT_BYTES and a row. */
static int put(copybuf *b, const void *v, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + n) cap *= 2;
    if (cap > COPY_MAX) return -ENOMEM;
    unsigned char *p = realloc(b->p, cap);
    if (!p) return -ENOMEM;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, v, n);
  b->len += n;
  return 0;
}

static int put_u16(copybuf *b, uint16_t v) {
  v = htobe16(v);
  return put(b, &v, 2);
}

static int put_u32(copybuf *b, uint32_t v) {
  v = htobe32(v);
  return put(b, &v, 4);
}

/* One field: its length, then its bytes. */
static int put_field(copybuf *b, const void *v, size_t n) {
  int rc = put_u32(b, (uint32_t)n);
  return rc ? rc : put(b, v, n);
}

static int put_i32_field(copybuf *b, int32_t v) {
  int rc = put_u32(b, 4);
  return rc ? rc : put_u32(b, (uint32_t)v);
}

static int put_i64_field(copybuf *b, int64_t v) {
  uint64_t x = htobe64((uint64_t)v);
  int rc = put_u32(b, 8);
  return rc ? rc : put(b, &x, 8);
}

/* Sends pg->rows (trailer included) with one COPY into table. OUT: *dup 1
 * when it failed on a duplicate key (the error is then not recorded). */
static int copy_to(soc_pg_center *pg, const char *table, int *dup) {
  char sql[128];
  *dup = 0;
  snprintf(sql, sizeof sql, "COPY %s(" EVENT_NAMES ") FROM STDIN (FORMAT binary)", table);
  PGresult *res = PQexec(pg->conn, sql);
  int rc = check(pg, res, PGRES_COPY_IN, "cannot copy events");
  if (rc) return rc;
  PQclear(res); /* check keeps a result it accepts: the caller's to free */
  int sent = PQputCopyData(pg->conn, (const char *)pg->rows.p, (int)pg->rows.len) == 1;
  if (PQputCopyEnd(pg->conn, sent ? NULL : "the collector could not send the rows") != 1)
    return check(pg, NULL, PGRES_COMMAND_OK, "cannot copy events");
  /* the COPY's own result, then the NULL that ends it */
  res = PQgetResult(pg->conn);
  /* unique_violation: a replay, for copy_out to stage */
  rc = check_unless(pg, res, PGRES_COMMAND_OK, "cannot copy events", "23505", NULL);
  *dup = rc == 1;
  if (!rc) PQclear(res);
  while ((res = PQgetResult(pg->conn))) PQclear(res);
  return *dup ? -EEXIST : rc;
}

/* Stores the events of pg->rows. Straight into the event table, in a
 * savepoint: one pass, one index descent per event. A replay (a collector
 * restarted, partitions moved) holds events stored before, and a COPY
 * cannot skip them: then the savepoint is rolled back and the same rows go
 * to the session's stage (event_stage, a temporary table emptied at each
 * commit), from which soc_pg_center_flush inserts what is new. */
static int copy_out(soc_pg_center *pg) {
  static const unsigned char trailer[2] = {0xff, 0xff};
  int dup = 0;
  if (!pg->pending) return 0;
  int rc = put(&pg->rows, trailer, sizeof trailer);
  if (rc) return soc_pg_fail(pg, rc, "out of memory for a batch of events");
  rc = exec(pg, "SAVEPOINT events", "cannot copy events");
  if (!rc) rc = copy_to(pg, "event", &dup);
  if (!rc) rc = exec(pg, "RELEASE SAVEPOINT events", "cannot copy events");
  if (dup) {
    rc = exec(pg, "ROLLBACK TO SAVEPOINT events", "cannot copy events");
    if (!rc) rc = exec(pg, "RELEASE SAVEPOINT events", "cannot copy events");
    if (!rc) rc = copy_to(pg, "event_stage", &dup);
    if (!rc) pg->staged += pg->pending;
  }
  if (!rc) pg->pending = pg->rows.len = 0;
  return rc;
}

int soc_pg_center_flush(soc_pg_center *pg, int64_t *late_dups) {
  int rc = copy_out(pg);
  if (!rc && late_dups && pg->staged) {
    PGresult *res = NULL;
    rc = run(pg, P_EVENT, 0, NULL, NULL, NULL, &res, "cannot store events");
    if (!rc) {
      pg->late_dups += (int64_t)pg->staged - strtoll(PQcmdTuples(res), NULL, 10);
      PQclear(res);
    }
    pg->staged = 0;
  }
  if (late_dups) *late_dups = rc ? 0 : pg->late_dups;
  if (late_dups || rc) pg->late_dups = 0;
  if (rc) pg->pending = pg->staged = pg->rows.len = 0;
  return rc;
}

int soc_pg_center_event_put(soc_pg_center *pg, const soc_center_origin *o, const char *id,
                            const char *agent, const char *host, const char *ts, const char *body,
                            size_t len, int *dup) {
  if (!pg || !o || !id || !agent || !host || !ts || !body) return -EINVAL;
  if (dup) *dup = 0;
  int day = day_of(ts);
  int rc = partition_for(pg, day);
  if (rc) return rc;
  /* the file's header before the first row: signature, flags, no extension */
  static const unsigned char header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
  if (!pg->rows.len) rc = put(&pg->rows, header, sizeof header);
  const char *text[4] = {id, agent, host, ts};
  if (!rc) rc = put_u16(&pg->rows, EVENT_COLUMNS);
  for (int i = 0; i < 4 && !rc; i++) rc = put_field(&pg->rows, text[i], strlen(text[i]));
  /* a date is days since 2000-01-01 */
  if (!rc) rc = put_i32_field(&pg->rows, day - 10957);
  if (!rc) rc = put_field(&pg->rows, o->topic, strlen(o->topic));
  if (!rc) rc = put_i32_field(&pg->rows, o->partition);
  if (!rc) rc = put_i64_field(&pg->rows, o->offset);
  if (!rc) rc = put_i64_field(&pg->rows, o->received_ns);
  if (!rc) rc = put_field(&pg->rows, body, len);
  if (rc) return soc_pg_fail(pg, rc, "out of memory for a batch of events");
  pg->pending++;
  if (pg->pending >= EVENT_ROWS || pg->rows.len >= EVENT_BYTES) rc = copy_out(pg);
  return rc;
}

int soc_pg_center_message_put(soc_pg_center *pg, const soc_center_origin *o, const char *agent,
                              const void *key, size_t key_len, const char *body, size_t len,
                              int *dup) {
  if (!pg || !o || !agent || !body || (key_len && !key)) return -EINVAL;
  if (key_len > SOC_CENTER_KEY_MAX) key_len = SOC_CENTER_KEY_MAX;
  char part[16], off[24], recv[24];
  snprintf(part, sizeof part, "%d", (int)o->partition);
  snprintf(off, sizeof off, "%lld", (long long)o->offset);
  snprintf(recv, sizeof recv, "%lld", (long long)o->received_ns);
  const char *v[7] = {o->topic, part, off, agent, key ? key : "", recv, body};
  int lens[7] = {[4] = (int)key_len, [6] = (int)len}, fmts[7] = {[4] = 1, [6] = 1};
  PGresult *res = NULL;
  int rc = run(pg, P_MESSAGE, 7, v, lens, fmts, &res, "cannot store a message");
  if (rc) return rc;
  int d = unchanged(res);
  if (dup) *dup = d;
  return 0;
}

int soc_pg_center_quarantine_put(soc_pg_center *pg, const soc_center_origin *o, const void *key,
                                 size_t key_len, const char *reason, const char *detail,
                                 const void *payload, size_t size, int *dup) {
  if (!pg || !o || !reason || !detail || (key_len && !key) || (size && !payload)) return -EINVAL;
  if (key_len > SOC_CENTER_KEY_MAX) key_len = SOC_CENTER_KEY_MAX;
  size_t head = size < SOC_CENTER_QUARANTINE_HEAD ? size : SOC_CENTER_QUARANTINE_HEAD;
  char part[16], off[24], recv[24], sz[24];
  snprintf(part, sizeof part, "%d", (int)o->partition);
  snprintf(off, sizeof off, "%lld", (long long)o->offset);
  snprintf(recv, sizeof recv, "%lld", (long long)o->received_ns);
  snprintf(sz, sizeof sz, "%zu", size);
  const char *v[9] = {o->topic, part, off,  key ? key : "",        reason,
                      detail,   sz,   recv, payload ? payload : ""};
  /* bytea, not text: what is kept is whatever was sent, broken UTF-8 too */
  int lens[9] = {[3] = (int)key_len, [8] = (int)head}, fmts[9] = {[3] = 1, [8] = 1};
  PGresult *res = NULL;
  int rc = run(pg, P_QUARANTINE, 9, v, lens, fmts, &res, "cannot quarantine a message");
  if (rc) return rc;
  int d = unchanged(res);
  if (dup) *dup = d;
  return 0;
}

int soc_pg_center_agent_seen(soc_pg_center *pg, const soc_center_agent *a) {
  if (!pg || !a || !a->id || !a->agency || !a->version || !a->hb_ts || !a->broker || !a->counters)
    return -EINVAL;
  char n[5][24];
  snprintf(n[0], sizeof n[0], "%lld", (long long)a->authority);
  snprintf(n[1], sizeof n[1], "%lld", (long long)a->seen_ns);
  snprintf(n[2], sizeof n[2], "%lld", (long long)a->uptime_s);
  snprintf(n[3], sizeof n[3], "%lld", (long long)a->lag_lines);
  snprintf(n[4], sizeof n[4], "%lld", (long long)a->audit_seq);
  char block[24], rtt[24];
  snprintf(block, sizeof block, "%lld", (long long)a->store_block);
  snprintf(rtt, sizeof rtt, "%lld", (long long)a->broker_rtt_ms);
  const char *v[15] = {a->id,
                       a->agency,
                       n[0],
                       a->version,
                       n[1],
                       a->hb_ts,
                       n[2],
                       n[3],
                       a->broker,
                       a->counters,
                       n[4],
                       a->audit_head ? a->audit_head : "",
                       a->store_id ? a->store_id : "",
                       block,
                       a->broker_rtt_ms >= 0 ? rtt : NULL}; /* unknown: NULL */
  return run(pg, P_AGENT, 15, v, NULL, NULL, NULL, "cannot record an agent's heartbeat");
}

int soc_pg_center_agent_flag(soc_pg_center *pg, const char *agent, int64_t seen_ns, char *flag,
                             size_t cap) {
  char seen[24];
  flag[0] = '\0';
  snprintf(seen, sizeof seen, "%lld", (long long)seen_ns);
  const char *v[2] = {agent, seen};
  PGresult *res = NULL;
  int rc = run(pg, P_FLAG, 2, v, NULL, NULL, &res, "cannot read an agent's store flag");
  if (rc) return rc;
  int found = PQntuples(res) > 0;
  if (found) snprintf(flag, cap, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  return found;
}

int soc_pg_center_alert_add(soc_pg_center *pg, const char *collector, const char *kind,
                            const char *message) {
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)soc_now_real_ns());
  const char *v[4] = {collector, at, kind, message};
  return run(pg, P_ALERT, 4, v, NULL, NULL, NULL, "cannot record an alert");
}

int soc_pg_center_counter_add(soc_pg_center *pg, const char *collector, const char *name,
                              int64_t delta) {
  if (!pg || !collector || !name) return -EINVAL;
  if (!delta) return 0;
  char d[24];
  snprintf(d, sizeof d, "%lld", (long long)delta);
  const char *v[3] = {collector, name, d};
  return run(pg, P_COUNTER, 3, v, NULL, NULL, NULL, "cannot update a counter");
}

int soc_pg_center_key_of(soc_pg_center *pg, const char *agent, soc_center_key_row *out) {
  if (!pg || !agent || !out) return -EINVAL;
  memset(out, 0, sizeof *out);
  const char *v[1] = {agent};
  PGresult *res = NULL;
  int rc = run(pg, P_KEY_OF, 1, v, NULL, NULL, &res, "cannot read an agent's key");
  if (rc) return rc;
  int result = -ENOENT;
  if (PQntuples(res) > 0) {
    snprintf(out->key, sizeof out->key, "%s", PQgetvalue(res, 0, 0));
    snprintf(out->agency, sizeof out->agency, "%s", PQgetvalue(res, 0, 1));
    out->revoked = strcmp(PQgetvalue(res, 0, 2), SOC_CENTER_ENROLLED) != 0;
    snprintf(out->prev_key, sizeof out->prev_key, "%s", PQgetvalue(res, 0, 3));
    out->rotated_ns = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    result = 0;
  }
  PQclear(res);
  return result;
}

int soc_pg_center_rotate(soc_pg_center *pg, const char *agent, const char *key, int64_t at_ns) {
  if (!pg || !agent || !key) return -EINVAL;
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)at_ns);
  const char *v[3] = {agent, key, at};
  return run(pg, P_ROTATE, 3, v, NULL, NULL, NULL, "cannot rotate an agent's key");
}

int soc_pg_center_pending_seen(soc_pg_center *pg, const char *agent, const char *key,
                               int64_t at_ns) {
  if (!pg || !agent || !key) return -EINVAL;
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)at_ns);
  const char *v[3] = {agent, key, at};
  return run(pg, P_PENDING, 3, v, NULL, NULL, NULL, "cannot record a pending key");
}

int soc_pg_query(soc_pg_center *pg, const char *sql, int n, const char *const *v, const int *len,
                 const int *fmt, int binary, ExecStatusType want, PGresult **out,
                 const char *what) {
  PGresult *res = PQexecParams(pg->conn, sql, n, NULL, v, len, fmt, binary);
  return hand_over(pg, res, want, out, what);
}

/* One unprepared statement with text parameters (commands, not the hot
 * path). OUT: *out (may be NULL) as run's. */
static int query(soc_pg_center *pg, const char *sql, int n, const char *const *v,
                 ExecStatusType want, PGresult **out, const char *what) {
  return soc_pg_query(pg, sql, n, v, NULL, NULL, 0, want, out, what);
}

int soc_pg_center_enrol(soc_pg_center *pg, const soc_center_enrolment *e) {
  if (!pg || !e || !e->agent || !e->key || !e->agency || !e->by || !e->os_user) return -EINVAL;
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)e->at_ns);
  const char *v[6] = {e->agent, e->key, e->agency, e->by, e->os_user, at};
  int rc = query(pg,
                 "INSERT INTO enrolment(agent, key, agency, state, \"by\", os_user, at_ns)"
                 " VALUES($1, $2, $3, '" SOC_CENTER_ENROLLED
                 "', $4, $5, $6)"
                 " ON CONFLICT(agent) DO UPDATE SET key = excluded.key, agency = excluded.agency,"
                 " state = excluded.state, \"by\" = excluded.\"by\", os_user = excluded.os_user,"
                 " at_ns = excluded.at_ns, prev_key = '', rotated_ns = 0",
                 6, v, PGRES_COMMAND_OK, NULL, "cannot enrol an agent");
  if (!rc)
    rc = query(pg, "DELETE FROM pending_key WHERE agent = $1 AND key = $2", 2, v, PGRES_COMMAND_OK,
               NULL, "cannot clear a pending key");
  return rc;
}

int soc_pg_center_revoke(soc_pg_center *pg, const char *agent, const char *by, const char *os_user,
                         int64_t at_ns) {
  if (!pg || !agent || !by || !os_user) return -EINVAL;
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)at_ns);
  const char *v[4] = {agent, by, os_user, at};
  PGresult *res = NULL;
  int rc = query(pg,
                 "UPDATE enrolment SET state = '" SOC_CENTER_REVOKED
                 "', \"by\" = $2,"
                 " os_user = $3, at_ns = $4, prev_key = '' WHERE agent = $1",
                 4, v, PGRES_COMMAND_OK, &res, "cannot revoke a key");
  if (rc) return rc;
  if (unchanged(res)) return soc_pg_fail(pg, -ENOENT, "agent '%s' is not enrolled", agent);
  return 0;
}

/* ---- reading ---------------------------------------------------------------------- */

int soc_pg_center_events_count(soc_pg_center *pg, const char *agent, int64_t *n) {
  if (!pg || !n) return -EINVAL;
  const char *v[1] = {agent};
  PGresult *res = NULL;
  int rc = query(
      pg, agent ? "SELECT count(*) FROM event WHERE agent = $1" : "SELECT count(*) FROM event",
      agent ? 1 : 0, v, PGRES_TUPLES_OK, &res, "cannot count events");
  if (rc) return rc;
  *n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return 0;
}

int soc_pg_center_counters_scan(soc_pg_center *pg, soc_center_counter_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  PGresult *res = NULL;
  int rc = query(pg, "SELECT collector, name, value FROM counter ORDER BY collector, name", 0, NULL,
                 PGRES_TUPLES_OK, &res, "cannot read counters");
  for (int r = 0; !rc && r < PQntuples(res); r++)
    rc = cb(arg, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
            strtoll(PQgetvalue(res, r, 2), NULL, 10));
  PQclear(res);
  return rc;
}

#define INT(r, c) SOC_PG_INT(res, r, c)

int soc_pg_center_agents_scan(soc_pg_center *pg, soc_center_agent_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  PGresult *res = NULL;
  int rc = query(pg,
                 "SELECT id, agency, authority, version, seen_ns, hb_ts, uptime_s, lag_lines,"
                 " broker, counters, audit_seq, audit_head, store_id, store_block, store_flag,"
                 " store_flag_ns, broker_rtt_ms FROM agent ORDER BY id",
                 0, NULL, PGRES_TUPLES_OK, &res, "cannot read agents");
  for (int r = 0; !rc && r < PQntuples(res); r++) {
    soc_center_agent a = {.id = PQgetvalue(res, r, 0),
                          .agency = PQgetvalue(res, r, 1),
                          .authority = INT(r, 2),
                          .version = PQgetvalue(res, r, 3),
                          .seen_ns = INT(r, 4),
                          .hb_ts = PQgetvalue(res, r, 5),
                          .uptime_s = INT(r, 6),
                          .lag_lines = INT(r, 7),
                          .broker = PQgetvalue(res, r, 8),
                          .counters = PQgetvalue(res, r, 9),
                          .audit_seq = INT(r, 10),
                          .audit_head = PQgetvalue(res, r, 11),
                          .store_id = PQgetvalue(res, r, 12),
                          .store_block = INT(r, 13),
                          .store_flag = PQgetvalue(res, r, 14),
                          .store_flag_ns = INT(r, 15),
                          .broker_rtt_ms = PQgetisnull(res, r, 16) ? -1 : INT(r, 16)};
    rc = cb(arg, &a);
  }
  PQclear(res);
  return rc;
}

int soc_pg_center_enrolments_scan(soc_pg_center *pg, soc_center_enrolment_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  PGresult *res = NULL;
  int rc = query(
      pg,
      "SELECT agent, key, agency, state, \"by\", os_user, at_ns, 0, 0, 0 AS o,"
      " prev_key, rotated_ns FROM enrolment UNION ALL SELECT agent, key, '', '" SOC_CENTER_PENDING
      "', '', '', first_ns, last_ns, messages, 1 AS o, '', 0 FROM pending_key"
      " ORDER BY o, agent, key",
      0, NULL, PGRES_TUPLES_OK, &res, "cannot read the enrolments");
  for (int r = 0; !rc && r < PQntuples(res); r++) {
    soc_center_enrolment e = {.agent = PQgetvalue(res, r, 0),
                              .key = PQgetvalue(res, r, 1),
                              .agency = PQgetvalue(res, r, 2),
                              .state = PQgetvalue(res, r, 3),
                              .by = PQgetvalue(res, r, 4),
                              .os_user = PQgetvalue(res, r, 5),
                              .at_ns = INT(r, 6),
                              .last_ns = INT(r, 7),
                              .messages = INT(r, 8),
                              .prev_key = PQgetvalue(res, r, 10),
                              .rotated_ns = INT(r, 11)};
    rc = cb(arg, &e);
  }
  PQclear(res);
  return rc;
}

int soc_pg_center_quarantine_scan(soc_pg_center *pg, size_t limit, soc_center_rejected_cb cb,
                                  void *arg) {
  if (!pg || !cb) return -EINVAL;
  char lim[24];
  snprintf(lim, sizeof lim, "%zu", limit);
  const char *v[1] = {limit ? lim : NULL}; /* NULL: LIMIT ALL */
  PGresult *res = NULL;
  /* key and payload in binary: they are bytes as they came */
  int rc = soc_pg_query(pg,
                        "SELECT topic, partition, \"offset\", key, reason, detail, size,"
                        " received_ns, payload FROM quarantine"
                        " ORDER BY received_ns, topic, partition, \"offset\" LIMIT $1::bigint",
                        1, v, NULL, NULL, 1, PGRES_TUPLES_OK, &res, "cannot read the quarantine");
  for (int r = 0; !rc && r < PQntuples(res); r++) {
    uint32_t part;
    memcpy(&part, PQgetvalue(res, r, 1), 4);
    soc_center_rejected q = {.topic = PQgetvalue(res, r, 0),
                             .partition = (int32_t)be32toh(part),
                             .offset = soc_pg_int8(res, r, 2),
                             .key = PQgetvalue(res, r, 3),
                             .key_len = (size_t)PQgetlength(res, r, 3),
                             .reason = PQgetvalue(res, r, 4),
                             .detail = PQgetvalue(res, r, 5),
                             .size = soc_pg_int8(res, r, 6),
                             .received_ns = soc_pg_int8(res, r, 7),
                             .payload = PQgetvalue(res, r, 8),
                             .payload_len = (size_t)PQgetlength(res, r, 8)};
    rc = cb(arg, &q);
  }
  PQclear(res);
  return rc;
}

int soc_pg_center_alerts_scan(soc_pg_center *pg, size_t limit, soc_center_alert_cb cb, void *arg) {
  if (!pg || !cb) return -EINVAL;
  char lim[24];
  snprintf(lim, sizeof lim, "%zu", limit);
  const char *v[1] = {limit ? lim : NULL}; /* NULL: LIMIT ALL */
  PGresult *res = NULL;
  int rc = query(pg,
                 "SELECT collector, ts_ns, kind, message FROM (SELECT * FROM center_alert"
                 " ORDER BY id DESC LIMIT $1::bigint) newest ORDER BY id",
                 1, v, PGRES_TUPLES_OK, &res, "cannot read alerts");
  for (int r = 0; !rc && r < PQntuples(res); r++)
    rc = cb(arg, PQgetvalue(res, r, 0), INT(r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
  PQclear(res);
  return rc;
}
