/*
 * store — SQLite with WAL, checked on open, migrated in place.
 *
 * The schema is the list of migrations below: migration i takes the schema
 * from version i to i + 1, and PRAGMA user_version records how far a file
 * has come. Adding a table later is one more entry at the end; entries
 * already shipped are never edited, because files out in the field have run
 * them. Each migration runs in its own BEGIN IMMEDIATE transaction that
 * first re-reads user_version, so two processes opening the same new file at
 * once cannot both apply a step, and a crash mid-way leaves the file at the
 * last whole version.
 *
 * Why the settings:
 * - WAL lets readers (socctl, the forwarder's cursor) run alongside the
 *   writer, and turns each commit into one sequential append.
 * - synchronous=FULL syncs the WAL on every commit. The agent checkpoints a
 *   log file's position only after the events are committed; with NORMAL a
 *   power cut could drop a commit whose events the source no longer offers.
 *   Batching keeps the number of commits, and so of syncs, small.
 * - The busy timeout rides out another process's short write (socctl
 *   recording an analyst's decision) instead of failing at once.
 * - quick_check reads every page once (it skips index cross-checks, which
 *   integrity_check does), so a damaged file is reported by name at start,
 *   not as a puzzling error in the middle of a run.
 * - The file is created by us, before SQLite sees it, so its mode does not
 *   depend on the umask of whoever started the process. SQLite gives new
 *   -wal and -shm files the database file's mode; companions left by an
 *   older run get it from us.
 */
#include "soc/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_internal.h"

#define BUSY_TIMEOUT_MS 5000
#define QUICK_CHECK_LINES 3 /* problems quoted in the error; the rest are counted */

static const char *const migrations[] = {
    /* 1: metadata (agent id, schema notes, ...) */
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value TEXT NOT NULL\n"
    ");",
    /* 2: the journal (blocks of raw lines), file positions, network
     * sequences and input counters. See store_journal.c and store_files.c. */
    "CREATE TABLE journal_block(\n"
    "  id INTEGER PRIMARY KEY,\n"  /* commit order; the forwarder's cursor */
    "  source TEXT NOT NULL,\n"    /* input id */
    "  stream INTEGER NOT NULL,\n" /* file stream id, 0 for network inputs */
    "  first_pos INTEGER NOT NULL,\n"
    "  last_pos INTEGER NOT NULL,\n"
    "  first_ts INTEGER NOT NULL,\n" /* event time, ns since the epoch */
    "  last_ts INTEGER NOT NULL,\n"
    "  lines INTEGER NOT NULL,\n"
    "  raw_bytes INTEGER NOT NULL,\n"
    "  codec INTEGER NOT NULL,\n"
    "  hosts TEXT NOT NULL,\n" /* distinct host names, '\\n'-separated */
    "  data BLOB NOT NULL\n"
    ");\n"
    "CREATE INDEX journal_block_ts ON journal_block(first_ts, last_ts);\n"
    "CREATE TABLE file_stream(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  input TEXT NOT NULL,\n"
    "  path TEXT NOT NULL,\n"
    "  dev INTEGER NOT NULL,\n"
    "  ino INTEGER NOT NULL,\n"
    "  fp_len INTEGER NOT NULL,\n"
    "  fp BLOB NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  state INTEGER NOT NULL,\n"
    "  flags INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX file_stream_input ON file_stream(input, state);\n"
    "CREATE TABLE source_seq(input TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL);\n"
    "CREATE TABLE counter(\n"
    "  input TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  value INTEGER NOT NULL,\n"
    "  PRIMARY KEY(input, name)\n"
    ");",
    /* 3: detection (store_detect.c): correlation state, drafts and their
     * evidence, and the outbox the forwarder ships to Kafka. */
    "CREATE TABLE detect_state(\n"
    "  rule TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  state BLOB NOT NULL,\n"
    "  PRIMARY KEY(rule, key)\n"
    ");\n"
    "CREATE TABLE draft(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  rule TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  asset TEXT NOT NULL,\n"
    "  status TEXT NOT NULL,\n" /* open, confirmed, rejected, merged */
    "  level INTEGER NOT NULL,\n"
    "  first_ns INTEGER NOT NULL,\n"
    "  last_ns INTEGER NOT NULL,\n"
    "  discovered_ns INTEGER NOT NULL,\n" /* the §3.1 clock starts here */
    "  count INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL\n" /* the draft as JSON: everything else */
    ");\n"
    "CREATE INDEX draft_open ON draft(rule, key, asset, status);\n"
    "CREATE TABLE draft_evidence(\n"
    "  draft INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  block INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL,\n"
    "  stream INTEGER NOT NULL,\n"
    "  pos INTEGER NOT NULL,\n"
    "  ts INTEGER NOT NULL,\n"
    "  line BLOB NOT NULL,\n"
    "  PRIMARY KEY(draft, seq)\n"
    ");\n"
    "CREATE TABLE outbox(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  topic TEXT NOT NULL,\n" /* suffix: alerts, incidents, reports, evidence */
    "  key TEXT NOT NULL,\n"
    "  payload BLOB NOT NULL,\n"
    "  created_ns INTEGER NOT NULL\n"
    ");",
    /* 4: when a block's newest line was read, so that retention by age goes
     * by the agent's clock, not by the times written in the lines (a replay
     * of last year's logs is not old data to throw away). */
    "ALTER TABLE journal_block ADD COLUMN recv_last INTEGER NOT NULL DEFAULT 0;",
    /* 5: the audit log (store_audit.c, audit.c): append-only, each entry
     * chained to the one before by prev_hash; the head (last seq and hash)
     * is kept in meta as "audit.head" so a removed tail shows too. */
    "CREATE TABLE audit(\n"
    "  seq INTEGER PRIMARY KEY,\n" /* 1, 2, 3 ...: a gap is a removed entry */
    "  ts_ns INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  object TEXT NOT NULL,\n"
    "  details TEXT NOT NULL,\n"   /* JSON object */
    "  prev_hash TEXT NOT NULL,\n" /* hex SHA-256 of the entry before; 64 zeros first */
    "  hash TEXT NOT NULL\n"       /* hex SHA-256 of this entry, see audit.c */
    ");",
    /* 6: reports (store_report.c, report.c). Like drafts, the columns are
     * what lists select on and the form itself is the JSON body; alerts
     * about a report's clocks are raised once per (step, kind, due time), so
     * a re-level that moves a due time raises again; the center's decisions
     * are applied once by their id. */
    "CREATE TABLE report(\n"
    "  id INTEGER PRIMARY KEY,\n" /* the confirmed draft's id */
    "  state TEXT NOT NULL,\n"
    "  level INTEGER NOT NULL,\n"
    "  revision INTEGER NOT NULL,\n"
    "  discovered_ns INTEGER NOT NULL,\n"
    "  updated_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE deadline_alert(\n"
    "  report INTEGER NOT NULL,\n"
    "  step TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"   /* near, overdue */
    "  due INTEGER NOT NULL,\n" /* epoch seconds */
    "  raised_ns INTEGER NOT NULL,\n"
    "  PRIMARY KEY(report, step, kind, due)\n"
    ");\n"
    "CREATE TABLE center_decision(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  report INTEGER NOT NULL,\n"
    "  applied_ns INTEGER NOT NULL\n"
    ");",
    /* 7: watched directories (store_watch.c): the baseline of every file
     * (what a changed page is compared with, also across restarts), and the
     * YARA and baseline findings already drafted, so a rescan never drafts
     * the same (rule, object, content) twice. */
    "CREATE TABLE watch_file(\n"
    "  input TEXT NOT NULL,\n"
    "  path TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  mtime_ns INTEGER NOT NULL,\n"
    "  sha256 TEXT NOT NULL,\n" /* hex */
    "  PRIMARY KEY(input, path)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE finding_seen(\n"
    "  rule TEXT NOT NULL,\n"   /* namespace:rule for YARA */
    "  object TEXT NOT NULL,\n" /* file path, or a flow's id */
    "  sha256 TEXT NOT NULL,\n" /* of the content that matched */
    "  ts_ns INTEGER NOT NULL,\n"
    "  PRIMARY KEY(rule, object, sha256)\n"
    ") WITHOUT ROWID;",
    /* 8: the objects YARA matched (store_watch.c), kept with the draft they
     * made, so a level 3-4 evidence bundle carries them even after the
     * attacker removed the file or the stream is long gone. Content-
     * addressed: a webshell found on many drafts is kept once. */
    "CREATE TABLE object(\n"
    "  sha256 TEXT PRIMARY KEY NOT NULL,\n" /* hex, of bytes */
    "  bytes BLOB NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE draft_object(\n"
    "  draft INTEGER NOT NULL REFERENCES draft(id),\n"
    "  sha256 TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"    /* file path, or flow and direction */
    "  size INTEGER NOT NULL,\n" /* of the object; bytes absent when too large */
    "  kept INTEGER NOT NULL,\n" /* 1: the bytes are in object */
    "  ts_ns INTEGER NOT NULL,\n"
    "  PRIMARY KEY(draft, sha256, name)\n"
    ") WITHOUT ROWID;",
    /* 9: triage (store_detect.c, docs/TRIAGE.md). Every firing is an alert
     * (no clock); a draft is made only where a rule shows impact, and it
     * takes in the alerts that share an entity with it on the same host:
     * alert.draft names the draft (0: none). The entities of each alert
     * (source.ip=..., file.hash.sha256=...) with when they were last seen
     * are what the grouping looks up. */
    "CREATE TABLE alert(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  rule TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  host TEXT NOT NULL,\n"
    "  asset TEXT NOT NULL,\n"
    "  impact TEXT NOT NULL,\n"      /* none, leak, tamper, outage */
    "  level INTEGER NOT NULL,\n"    /* what its rule alone gives; 0 for none */
    "  first_ns INTEGER NOT NULL,\n" /* from the lines */
    "  last_ns INTEGER NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  draft INTEGER NOT NULL,\n" /* the draft that took it in; 0: none */
    "  body TEXT NOT NULL\n"      /* the ECS alert of its first firing */
    ");\n"
    "CREATE INDEX alert_key ON alert(rule, key, host);\n"
    "CREATE INDEX alert_draft ON alert(draft);\n"
    "CREATE TABLE alert_evidence(\n"
    "  alert INTEGER NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  block INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL,\n"
    "  stream INTEGER NOT NULL,\n"
    "  pos INTEGER NOT NULL,\n"
    "  ts INTEGER NOT NULL,\n"
    "  line BLOB NOT NULL,\n"
    "  PRIMARY KEY(alert, seq)\n"
    ");\n"
    "CREATE TABLE alert_entity(\n"
    "  host TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n" /* an ECS field name */
    "  value TEXT NOT NULL,\n"
    "  alert INTEGER NOT NULL,\n"
    "  PRIMARY KEY(host, kind, value, alert)\n"
    ") WITHOUT ROWID;",
    /* 10: notices from the technical center (agent/inbox.c, docs/TRIAGE.md):
     * a source its view across agencies found alerting at several of them,
     * kept once by the decision's id and shown by `socctl alerts`. */
    "CREATE TABLE center_notice(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n" /* the center's decision id */
    "  at_ns INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n" /* source.ip, file.hash.sha256 */
    "  source TEXT NOT NULL,\n"
    "  body TEXT NOT NULL\n" /* the message as it came */
    ") WITHOUT ROWID;",
    /* 11: every journal block carries a SHA-256 of its content and columns
     * (store_journal.c), checked on every read: SQLite's own checks cover
     * its pages' structure, not a flipped bit inside a row. NULL for blocks
     * written before. A block found damaged is recorded once in
     * journal_damage with what its row still says, so status can count it
     * after retention has removed the block itself. */
    "ALTER TABLE journal_block ADD COLUMN checksum BLOB;\n"
    "CREATE TABLE journal_damage(\n"
    "  block INTEGER PRIMARY KEY,\n" /* journal_block id */
    "  source TEXT NOT NULL,\n"
    "  stream INTEGER NOT NULL,\n"
    "  first_pos INTEGER NOT NULL,\n"
    "  last_pos INTEGER NOT NULL,\n"
    "  lines INTEGER NOT NULL,\n"
    "  why TEXT NOT NULL,\n"
    "  found_ns INTEGER NOT NULL\n"
    ");",
    /* 12: the store's own random id, made once with the file (or at this
     * upgrade): part of every event.id (normalize.c), so that a store made
     * new, or one that lost commits and was given a new id at start
     * (agent/storemark.c), never repeats an id the center already holds. */
    "INSERT OR IGNORE INTO meta(key, value) VALUES('store.id', lower(hex(randomblob(16))));",
    /* 13: correlation state in one b-tree keyed by (rule, key): as a rowid
     * table each key written back (one per key a block changed) went into
     * its primary-key index and into the table, two b-trees; the rows are
     * small (a key, a state of tens of bytes), what WITHOUT ROWID is for
     * (docs/BENCHMARKS.md, bench/keys.sh). */
    "CREATE TABLE detect_state_13(\n"
    "  rule TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  state BLOB NOT NULL,\n"
    "  PRIMARY KEY(rule, key)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO detect_state_13(rule, key, state) SELECT rule, key, state FROM detect_state;\n"
    "DROP TABLE detect_state;\n"
    "ALTER TABLE detect_state_13 RENAME TO detect_state;",
    /* 14: correlation state written back as appended rows. With many live
     * keys every key a block changed was an update somewhere in the state's
     * b-tree: a different page per key, all written at the block's commit
     * (bench/keys.sh: 100,000 keys cost twice what 10 do). A block now
     * appends its changes to detect_state_log (the b-tree's last pages;
     * an empty state: the key went away); when the log has grown to three
     * times the live keys, the detector clears it (and detect_state) and
     * appends every live key's state again (agent/detect/detect.c).
     * detect_state_now is the state as a whole: the table's rows (written
     * before this migration) that the log has no newer row for, and the
     * newest row of each key in the log. */
    "CREATE TABLE detect_state_log(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  rule TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  state BLOB NOT NULL\n"
    ");\n"
    "CREATE VIEW detect_state_now(rule, key, state) AS\n"
    "  WITH last(rule, key, state, seq) AS (\n"
    "    SELECT rule, key, state, max(seq) FROM detect_state_log GROUP BY rule, key)\n"
    "  SELECT rule, key, state FROM detect_state AS s WHERE NOT EXISTS (\n"
    "    SELECT 1 FROM last WHERE last.rule = s.rule AND last.key = s.key)\n"
    "  UNION ALL SELECT rule, key, state FROM last WHERE length(state) > 0;\n"
    /* and the newest alert of a rule on a host, by index (triage.c asks it
     * once per block before it looks up each new key of the rule) */
    "CREATE INDEX alert_recent ON alert(rule, host, last_ns);",
    /* 15: correlation state packed, one row per transaction. With 100,000
     * live keys nearly every line changes a key, and a row per changed key
     * (5,500 instructions of SQLite each) cost more than the rest of the
     * detector (bench/keys.sh: 2.2x the cost per line of 10 keys). The
     * keys a transaction changed are now records of one blob in
     * detect_state_pack (their format: store_detect.c), written at its
     * commit; n is how many, so that the detector knows the log's length
     * without reading it. A view cannot take the blob apart, so
     * detect_state_now goes: soc_store_detect_state_scan reads the three
     * forms (detect_state, detect_state_log, detect_state_pack, older to
     * newer) and keeps each key's newest; a clear empties all three. */
    "CREATE TABLE detect_state_pack(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  n INTEGER NOT NULL,\n"
    "  body BLOB NOT NULL\n"
    ");\n"
    "DROP VIEW detect_state_now;",
    /* 16: packed rows compressed. With 100,000 live keys a transaction
     * packs about one record a line (80 MB per 1M lines of bench/keys.sh),
     * which SQLite wrote twice (the WAL, then the file at a checkpoint) and
     * the kernel copied each time: the process's biggest cost that grew
     * with the keys. Records repeat the rule, most of a key and a state's
     * header, and zstd's fastest level takes them to a fraction. codec 1:
     * body is a zstd frame of the records; 0: the records as 15 wrote
     * them (a row that would not shrink is still written so). */
    "ALTER TABLE detect_state_pack ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;",
    /* 17: journal blocks may be LZ4 (codec 2, journal.codec, lib/store/journal.c).
     * Nothing in the tables changes; the version does, so that an agent before
     * it refuses the file (schema newer than its own) rather than take every
     * LZ4 block for a damaged one and step over its lines. */
    "SELECT 1;",
    /* 18: a version of the alerts and drafts (soc_store_triage_version),
     * bumped by triggers, so by every writer however it writes: triage's
     * memo of later hits (agent/detect/triage.h) holds across the
     * detector's transactions while it stays, where PRAGMA data_version
     * changed at every commit of the ingest's journal blocks. An alert's
     * times and count, and its evidence lines, leave it: only the triage
     * that counts an alert writes them (the detector, for its rules), most
     * at every commit, where a trigger would cost each such write about half
     * again (9,400 instructions for a count). An older agent or socctl,
     * which would write without the triggers, refuses the file by its
     * version. */
    "CREATE TABLE triage_version(id INTEGER PRIMARY KEY CHECK(id = 1), n INTEGER NOT NULL);\n"
    "INSERT INTO triage_version(id, n) VALUES(1, 0);\n"
    "CREATE TRIGGER alert_added AFTER INSERT ON alert\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER alert_changed\n"
    "  AFTER UPDATE OF id, rule, key, host, asset, impact, level, draft, body ON alert\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER alert_removed AFTER DELETE ON alert\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER draft_added AFTER INSERT ON draft\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER draft_changed AFTER UPDATE ON draft\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER draft_removed AFTER DELETE ON draft\n"
    "  BEGIN UPDATE triage_version SET n = n + 1 WHERE id = 1; END;",
};

#define MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* The technical center's database (center.db, soc_center_store_open) is a different schema with its
 * own history of migrations, kept here so that one migrate() serves both. Its first step stamps
 * PRAGMA application_id, so that neither program mistakes the other's file for its own at a lower
 * version. See store_center.c for the tables' reasons. Entries already shipped are never edited. */
#define CENTER_APPLICATION_ID 0x534f4343 /* "SOCC" */
static const char *const center_migrations[] = {
    /* 1: events (deduplicated by event.id), other topics' messages,
     * quarantine, agents (from heartbeats) and the collectors' counters. */
    "PRAGMA application_id = 1397703491;\n" /* CENTER_APPLICATION_ID */
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE event(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n" /* event.id: what makes a replay harmless */
    "  agent TEXT NOT NULL,\n"
    "  host TEXT NOT NULL,\n"
    "  ts TEXT NOT NULL,\n" /* @timestamp as the agent wrote it */
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX event_agent ON event(agent);\n"
    "CREATE TABLE message(\n" /* alerts, incidents, ...: kept as they came */
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  agent TEXT NOT NULL,\n"
    "  key BLOB NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  PRIMARY KEY(topic, partition, offset)\n"
    ");\n"
    "CREATE TABLE quarantine(\n"
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  key BLOB NOT NULL,\n"
    "  reason TEXT NOT NULL,\n"
    "  detail TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL,\n" /* the whole payload's; only its head is kept */
    "  received_ns INTEGER NOT NULL,\n"
    "  payload BLOB NOT NULL,\n"
    "  PRIMARY KEY(topic, partition, offset)\n"
    ");\n"
    "CREATE TABLE agent(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  agency TEXT NOT NULL,\n"
    "  authority INTEGER NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  seen_ns INTEGER NOT NULL,\n" /* the last heartbeat's Kafka time, never in the future */
    "  hb_ts TEXT NOT NULL,\n"      /* its @timestamp, as the agent wrote it */
    "  uptime_s INTEGER NOT NULL,\n"
    "  lag_lines INTEGER NOT NULL,\n"
    "  broker TEXT NOT NULL,\n"
    "  counters TEXT NOT NULL\n" /* JSON */
    ");\n"
    "CREATE TABLE counter(\n"
    "  collector TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  value INTEGER NOT NULL,\n"
    "  PRIMARY KEY(collector, name)\n"
    ");",
    /* 2: the center's side of the workflow (store_center_report.c): the
     * latest revision of each report and every revision, the notifications
     * owed for levels 3-4, the center's decisions, and evidence bundles
     * rebuilt from their chunks. */
    "CREATE TABLE report(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n" /* "<agent id>/<number>" */
    "  agent TEXT NOT NULL,\n"
    "  agency TEXT NOT NULL,\n"
    "  level INTEGER NOT NULL,\n"
    "  state TEXT NOT NULL,\n"
    "  category TEXT NOT NULL,\n"
    "  revision INTEGER NOT NULL,\n" /* the highest seen: never goes back */
    "  discovered_ns INTEGER NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  flagged_ns INTEGER NOT NULL DEFAULT 0,\n" /* review overdue: the center reviews it (§3.3(一))
                                                  */
    "  flag TEXT NOT NULL DEFAULT '',\n"
    "  body TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE report_revision(\n"
    "  id TEXT NOT NULL,\n"
    "  revision INTEGER NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  PRIMARY KEY(id, revision)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE notification(\n" /* levels 3-4, §3.3(三) */
    "  report TEXT NOT NULL,\n"
    "  level INTEGER NOT NULL,\n"
    "  who TEXT NOT NULL,\n"
    "  at_ns INTEGER NOT NULL,\n"
    "  PRIMARY KEY(report, level, who)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE decision(\n"
    "  n INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id TEXT UNIQUE NOT NULL,\n" /* "<collector id>/<n>" */
    "  report TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n" /* review | level | support */
    "  at_ns INTEGER NOT NULL,\n"
    "  by TEXT NOT NULL,\n"
    "  body TEXT NOT NULL\n" /* the message as produced */
    ");\n"
    "CREATE INDEX decision_report ON decision(report);\n"
    "CREATE TABLE evidence_chunk(\n"
    "  bundle TEXT NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  data BLOB NOT NULL,\n"
    "  PRIMARY KEY(bundle, seq)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE bundle(\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  report TEXT NOT NULL,\n"
    "  agent TEXT NOT NULL,\n"
    "  chunks INTEGER NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  manifest TEXT NOT NULL,\n"
    "  state TEXT NOT NULL DEFAULT 'incomplete',\n" /* incomplete | verified | failed */
    "  path TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  checked_ns INTEGER NOT NULL DEFAULT 0\n"
    ");",
    /* 3: events in arrival order (a rowid table) with event.id in a unique
     * index. Keyed by the id itself (random hex), every insert landed on a
     * random leaf of a table holding the whole bodies: each batch rewrote
     * about one 4 KiB page per event to the WAL and read as many back
     * (bench/collector.sh: 16,000 events/s, 60 % of the time in the
     * kernel). Now the bodies are appended and only the small index pages
     * are touched at random. */
    "CREATE TABLE event_new(\n"
    "  id TEXT NOT NULL UNIQUE,\n" /* event.id: what makes a replay harmless */
    "  agent TEXT NOT NULL,\n"
    "  host TEXT NOT NULL,\n"
    "  ts TEXT NOT NULL,\n"
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO event_new(id, agent, host, ts, topic, partition, offset, received_ns, body)\n"
    "  SELECT id, agent, host, ts, topic, partition, offset, received_ns, body FROM event\n"
    "  ORDER BY received_ns;\n"
    "DROP TABLE event;\n"
    "ALTER TABLE event_new RENAME TO event;\n"
    "CREATE INDEX event_agent ON event(agent);",
    /* 4: the decision table becomes the center's outbox. A decision is
     * committed with the topic it goes to and produced after the commit,
     * and delivered_ns is set when Kafka acknowledges it: the write lock is
     * no longer held while Kafka is waited for, and a decision whose
     * delivery was never confirmed is produced again. Those recorded before
     * were only committed once delivered. */
    "ALTER TABLE decision ADD COLUMN topic TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE decision ADD COLUMN delivered_ns INTEGER NOT NULL DEFAULT 0;\n"
    "UPDATE decision SET delivered_ns = max(at_ns, 1);\n"
    "CREATE INDEX decision_pending ON decision(n) WHERE delivered_ns = 0;",
    /* 5: the head of each agent's audit log, from its heartbeats: the
     * anchor `socctl audit verify --anchor` holds the agent's log to. The
     * highest entry seen is kept, so a log cut back on the agent cannot
     * lower it. */
    "ALTER TABLE agent ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE agent ADD COLUMN audit_head TEXT NOT NULL DEFAULT '';",
    /* 6: signed messages (docs/SECURITY.md). The keys an operator enrolled
     * (or revoked) per agent id, and the keys seen from agents nobody
     * enrolled yet, for an operator to look at. event.id is unique per
     * agent only: an id is the hash of public inputs, so another sender
     * could otherwise take an agent's ids before it and have its real
     * events dropped as duplicates. Chunks get their arrival time, so those
     * whose manifest never comes expire. */
    "CREATE TABLE enrolment(\n"
    "  agent TEXT PRIMARY KEY NOT NULL,\n"
    "  key TEXT NOT NULL,\n" /* Ed25519 public key, base64 */
    "  agency TEXT NOT NULL,\n"
    "  state TEXT NOT NULL,\n"   /* enrolled | revoked */
    "  by TEXT NOT NULL,\n"      /* the name the operator gave */
    "  os_user TEXT NOT NULL,\n" /* who ran the command */
    "  at_ns INTEGER NOT NULL,\n"
    "  prev_key TEXT NOT NULL DEFAULT '',\n" /* the key the agent rotated away from */
    "  rotated_ns INTEGER NOT NULL DEFAULT 0\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE pending_key(\n"
    "  agent TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  first_ns INTEGER NOT NULL,\n"
    "  last_ns INTEGER NOT NULL,\n"
    "  messages INTEGER NOT NULL,\n"
    "  PRIMARY KEY(agent, key)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE event_new(\n"
    "  id TEXT NOT NULL,\n"
    "  agent TEXT NOT NULL,\n"
    "  host TEXT NOT NULL,\n"
    "  ts TEXT NOT NULL,\n"
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  received_ns INTEGER NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  UNIQUE(agent, id)\n" /* also the index by agent */
    ");\n"
    "INSERT INTO event_new(id, agent, host, ts, topic, partition, offset, received_ns, body)\n"
    "  SELECT id, agent, host, ts, topic, partition, offset, received_ns, body FROM event\n"
    "  ORDER BY rowid;\n"
    "DROP TABLE event;\n"
    "ALTER TABLE event_new RENAME TO event;\n"
    "ALTER TABLE evidence_chunk ADD COLUMN received_ns INTEGER NOT NULL DEFAULT 0;\n"
    "UPDATE evidence_chunk SET received_ns ="
    " CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER);",
    /* 7: the collectors' own alerts (store_center.c): what the center lost
     * or could not do, such as messages the broker's retention removed
     * before they were read. Kept in the transaction of the batch that
     * found them. */
    "CREATE TABLE center_alert(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  collector TEXT NOT NULL,\n"
    "  ts_ns INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n" /* e.g. expired */
    "  message TEXT NOT NULL\n"
    ");\n"
    /* and each agent's store, from its heartbeats: its id and newest
     * journal block, and what the center made of a change (a store that
     * was replaced or went backwards: the agent lost data) */
    "ALTER TABLE agent ADD COLUMN store_id TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE agent ADD COLUMN store_block INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE agent ADD COLUMN store_flag TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE agent ADD COLUMN store_flag_ns INTEGER NOT NULL DEFAULT 0;",
    /* console (collector/console.c): its accounts, with Argon2id hashes,
     * and what each account did, one row per action. */
    "CREATE TABLE console_user(\n"
    "  name TEXT PRIMARY KEY NOT NULL,\n"
    "  hash TEXT NOT NULL,\n"         /* crypto_pwhash_str */
    "  role TEXT NOT NULL,\n"         /* analyst | reviewer | center */
    "  agency TEXT NOT NULL,\n"       /* analyst: the one agency it sees */
    "  authority INTEGER NOT NULL,\n" /* reviewer: the agencies' authority number */
    "  disabled INTEGER NOT NULL DEFAULT 0,\n"
    "  changed_ns INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE console_audit(\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  at_ns INTEGER NOT NULL,\n"
    "  account TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  target TEXT NOT NULL,\n"
    "  detail TEXT NOT NULL\n"
    ");",
    /* the console's actions (and `soccollector user`) go into a
     * hash-chained log, the agent's own format (audit.c, store_audit.c):
     * each entry chained to the one before by prev_hash, the head kept in
     * meta as "audit.head". console_audit keeps the rows made before it
     * and is no longer written. */
    "CREATE TABLE audit(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  ts_ns INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  object TEXT NOT NULL,\n"
    "  details TEXT NOT NULL,\n"
    "  prev_hash TEXT NOT NULL,\n"
    "  hash TEXT NOT NULL\n"
    ");",
    /* the round trip to the Kafka brokers that each agent's last heartbeat
     * named (socagent.forward.broker_rtt_ms): an agent on a slow link
     * catches up slowly. NULL when it named none (an older agent, or none
     * measured yet), which is what the rows already there get. */
    "ALTER TABLE agent ADD COLUMN broker_rtt_ms INTEGER;",
};

#define CENTER_MIGRATIONS ((int)(sizeof center_migrations / sizeof center_migrations[0]))

int soc_store_schema_version(void) { return MIGRATIONS; }

const char *soc_store_errmsg(const soc_store *s) { return s ? s->err : ""; }

/* Maps an SQLite result code to the errno codes of store.h. */
static int sqlite_errno(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return -EBUSY;
    case SQLITE_NOMEM:
      return -ENOMEM;
    case SQLITE_FULL:
      return -ENOSPC;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return -EBADMSG;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return -EACCES;
    case SQLITE_CANTOPEN:
      return -ENOENT;
    default:
      return -EIO;
  }
}

int soc_store_fail(soc_store *s, int code, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(s->err, sizeof s->err, "%s: ", s->path);
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof s->err) vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

int soc_store_fail_sql(soc_store *s, int rc, const char *what) {
  return soc_store_fail(s, sqlite_errno(rc), "%s: %s", what, sqlite3_errmsg(s->db));
}

const char *soc_store_text(sqlite3_stmt *st, int col) {
  const unsigned char *v = sqlite3_column_text(st, col);
  return v ? (const char *)v : "";
}

sqlite3_stmt *soc_store_stmt(soc_store *s, soc_store_stmt_id id, const char *sql) {
  if (!s->stmts[id] && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id],
                                          NULL) != SQLITE_OK) {
    soc_store_fail_sql(s, sqlite3_errcode(s->db), "cannot prepare a statement");
    return NULL;
  }
  sqlite3_reset(s->stmts[id]);
  sqlite3_clear_bindings(s->stmts[id]);
  return s->stmts[id];
}

int soc_store_bindv(sqlite3_stmt *st, const char *fmt, va_list ap) {
  int rc = SQLITE_OK;
  for (int i = 1; rc == SQLITE_OK && fmt && fmt[i - 1]; i++) {
    if (fmt[i - 1] == 's') {
      rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_STATIC);
    } else if (fmt[i - 1] == 't') {
      const char *p = va_arg(ap, const char *);
      size_t n = va_arg(ap, size_t);
      rc = sqlite3_bind_text64(st, i, p, n, SQLITE_STATIC, SQLITE_UTF8);
    } else if (fmt[i - 1] == 'i') {
      rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
    } else if (fmt[i - 1] == 'b') {
      const void *p = va_arg(ap, const void *);
      size_t n = va_arg(ap, size_t);
      /* an empty blob, not NULL: the columns are NOT NULL */
      rc = sqlite3_bind_blob64(st, i, p ? p : "", n, SQLITE_STATIC);
    } else {
      rc = SQLITE_MISUSE; /* a letter the binder does not know: a bug in the caller */
    }
  }
  return rc;
}

int soc_store_bind(sqlite3_stmt *st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = soc_store_bindv(st, fmt, ap);
  va_end(ap);
  return rc;
}

int soc_store_prep(soc_store *s, sqlite3_stmt **st, const char *what, const char *sql,
                   const char *fmt, ...) {
  va_list ap;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  if (rc == SQLITE_OK) {
    va_start(ap, fmt);
    rc = soc_store_bindv(*st, fmt, ap);
    va_end(ap);
  }
  if (rc == SQLITE_OK) return 0;
  rc = soc_store_fail_sql(s, rc, what);
  sqlite3_finalize(*st);
  *st = NULL;
  return rc;
}

sqlite3_stmt *soc_store_cached(soc_store *s, soc_store_stmt_id id, const char *sql,
                               const char *what, const char *fmt, ...) {
  va_list ap;
  sqlite3_stmt *st = soc_store_stmt(s, id, sql);
  if (!st) return NULL;
  va_start(ap, fmt);
  int rc = soc_store_bindv(st, fmt, ap);
  va_end(ap);
  if (rc == SQLITE_OK) return st;
  soc_store_fail_sql(s, rc, what);
  sqlite3_reset(st);
  return NULL;
}

int soc_store_step(soc_store *s, sqlite3_stmt *st, const char *what, int *changed) {
  int rc = sqlite3_step(st);
  int result = rc == SQLITE_DONE ? 0 : soc_store_fail_sql(s, rc, what);
  if (!result && changed) *changed = sqlite3_changes(s->db) > 0;
  sqlite3_reset(st);
  return result;
}

int soc_store_done(soc_store *s, sqlite3_stmt *st, const char *what, int *changed) {
  int result = soc_store_step(s, st, what, changed);
  sqlite3_finalize(st);
  return result;
}

int soc_store_rows_kept(soc_store *s, sqlite3_stmt *st, const char *what, int missing,
                        int (*row)(sqlite3_stmt *, void *, void *), void *cb, void *arg) {
  int result = 0, rc, n = 0;
  if (!st) return -EIO;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    n++;
    if ((result = row(st, cb, arg)) != 0) break;
  }
  if (!result && rc != SQLITE_DONE && rc != SQLITE_ROW) result = soc_store_fail_sql(s, rc, what);
  if (!result && !n && missing) result = soc_store_fail(s, missing, "%s: not found", what);
  sqlite3_reset(st);
  return result;
}

int soc_store_rows(soc_store *s, sqlite3_stmt *st, const char *what, int missing,
                   int (*row)(sqlite3_stmt *, void *, void *), void *cb, void *arg) {
  int result = soc_store_rows_kept(s, st, what, missing, row, cb, arg);
  sqlite3_finalize(st);
  return result;
}

int soc_store_int_row(sqlite3_stmt *st, void *cb, void *arg) {
  (void)cb;
  *(int64_t *)arg = sqlite3_column_int64(st, 0);
  return 0;
}

int soc_store_exec(soc_store *s, const char *sql, const char *what) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : soc_store_fail_sql(s, rc, what);
}

/* Runs a statement that yields one integer. */
static int query_int(soc_store *s, const char *sql, int *out) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    result = soc_store_fail_sql(s, rc, sql);
    goto out;
  }
  *out = sqlite3_column_int(st, 0);
  result = 0;
out:
  sqlite3_finalize(st);
  return result;
}

/* Creates the file, or opens an existing one, and gives it `mode` exactly.
 * A symlink is refused: a root daemon must not be steered into writing
 * elsewhere. A companion (-wal, -shm) is only fixed, never created, and is
 * named in messages; the database itself is named by soc_store_fail() already. */
static int set_file_mode(soc_store *s, const char *path, mode_t mode, int companion) {
  int result = -EIO;
  struct stat st;
  const char *name = companion ? path : "database file";
  /* An existing file is only looked at and chmod-ed by name, never opened:
   * closing any descriptor of a file drops every POSIX lock this process
   * holds on it, and another connection of ours (the forwarder's, the
   * ingest loop's) may hold SQLite's locks on it right now. */
  if (lstat(path, &st) == 0) {
    if (S_ISLNK(st.st_mode))
      return soc_store_fail(s, -ELOOP, "%s is a symbolic link; refusing to follow it", name);
    if (S_ISDIR(st.st_mode)) return soc_store_fail(s, -EISDIR, "%s is a directory", name);
    if (!S_ISREG(st.st_mode)) return soc_store_fail(s, -EINVAL, "%s is not a regular file", name);
    if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
      return soc_store_fail(s, -errno, "cannot set mode %04o on %s: %s", (unsigned)mode, name,
                            strerror(errno));
    return 0;
  }
  if (errno != ENOENT)
    return soc_store_fail(s, -errno, "cannot stat %s: %s", name, strerror(errno));
  if (companion) return 0;
  /* New: create it with the mode, whatever the umask; nobody has it open. */
  int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    result = -errno;
    if (errno == EEXIST) return set_file_mode(s, path, mode, companion); /* lost a race */
    return soc_store_fail(s, result, "cannot create %s: %s", name, strerror(errno));
  }
  result = fchmod(fd, mode) < 0 ? soc_store_fail(s, -errno, "cannot set mode %04o on %s: %s",
                                                 (unsigned)mode, name, strerror(errno))
                                : 0;
  close(fd);
  return result;
}

static int set_modes(soc_store *s, mode_t mode) {
  static const char *const suffixes[] = {"-wal", "-shm"};
  char companion[4096];
  int rc = set_file_mode(s, s->path, mode, 0);
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0] && !rc; i++) {
    if ((size_t)snprintf(companion, sizeof companion, "%s%s", s->path, suffixes[i]) >=
        sizeof companion)
      return soc_store_fail(s, -ENAMETOOLONG, "path too long");
    rc = set_file_mode(s, companion, mode, 1);
  }
  return rc;
}

/* quick_check answers one row "ok", or rows describing each problem. */
static int check_integrity(soc_store *s) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  char problems[SOC_STORE_ERR_MAX / 2] = "";
  size_t used = 0;
  int rc, nbad = 0;
  rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *line = (const char *)sqlite3_column_text(st, 0);
    if (line && !strcmp(line, "ok")) continue;
    if (nbad++ < QUICK_CHECK_LINES && used < sizeof problems) {
      int n = snprintf(problems + used, sizeof problems - used, "%s%s", used ? "; " : "",
                       line ? line : "?");
      used += n > 0 ? (size_t)n : 0;
    }
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
      result = soc_store_fail(s, -EBADMSG, "not an SQLite database, or corrupt (%s)",
                              sqlite3_errmsg(s->db));
    else
      result = soc_store_fail_sql(s, rc, "integrity check failed");
    goto out;
  }
  if (nbad) {
    result = soc_store_fail(s, -EBADMSG, "database is corrupt (%d problem%s: %s)", nbad,
                            nbad == 1 ? "" : "s", problems);
    goto out;
  }
  result = 0;
out:
  sqlite3_finalize(st);
  return result;
}

/* Two processes that open a new file at the same moment (two collectors
 * started together on one center.db) both switch it to WAL. The switch
 * wants an exclusive lock, and SQLite answers SQLITE_BUSY at once instead of
 * calling the busy handler (the loser holds a shared lock: waiting could
 * deadlock), so the second process failed to start about one time in six
 * (integration.center_reports, "collector 1 exit 1"). It waits here instead,
 * as long as the busy timeout, re-reading: the winner's WAL is what it
 * finds. */
#define WAL_RETRY_MS 20
static int enable_wal(soc_store *s) {
  int result = -EIO;
  sqlite3_stmt *st = NULL;
  const char *mode;
  int rc;
  for (int waited = 0;; waited += WAL_RETRY_MS) {
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS) break;
    sqlite3_finalize(st);
    st = NULL;
    sqlite3_sleep(WAL_RETRY_MS);
  }
  if (rc != SQLITE_ROW) {
    result = soc_store_fail_sql(s, rc, "cannot enable WAL");
    goto out;
  }
  /* SQLite answers with the mode in force, which stays the old one where
   * WAL is impossible (e.g. no shared memory on a network file system). */
  mode = (const char *)sqlite3_column_text(st, 0);
  if (!mode || strcmp(mode, "wal")) {
    result = soc_store_fail(
        s, -EIO, "cannot enable WAL (journal mode is %s); is it on a network file system?",
        mode ? mode : "unknown");
    goto out;
  }
  result = 0;
out:
  sqlite3_finalize(st);
  return result;
}

/* Applies the migrations that the file has not had yet, one transaction
 * each. */
static int migrate(soc_store *s, int center) {
  int result = -EIO;
  char sql[64];
  int version = 0, app = 0;
  const char *const *steps = center ? center_migrations : migrations;
  const int nsteps = center ? CENTER_MIGRATIONS : MIGRATIONS;
  for (;;) {
    result = soc_store_exec(s, "BEGIN IMMEDIATE", "cannot start a schema migration");
    if (result) return result;
    result = query_int(s, "PRAGMA user_version", &version);
    if (!result) result = query_int(s, "PRAGMA application_id", &app);
    if (result) goto out;
    if (version > 0 && (app == CENTER_APPLICATION_ID) != (center != 0)) {
      result = soc_store_fail(s, -EBADMSG, "is %s store, not %s one",
                              app == CENTER_APPLICATION_ID ? "a collector's" : "an agent's",
                              center ? "a collector's" : "an agent's");
      goto out;
    }
    if (version > nsteps) {
      result = soc_store_fail(s, -ENOTSUP,
                              "schema version %d is newer than this program's %d; "
                              "it was written by a newer socagent, use that version or later",
                              version, nsteps);
      goto out;
    }
    if (version < 0) {
      result = soc_store_fail(s, -EBADMSG, "invalid schema version %d", version);
      goto out;
    }
    if (version == nsteps) break;
    result = soc_store_exec(s, steps[version], "schema migration failed");
    if (result) goto out;
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", version + 1);
    result = soc_store_exec(s, sql, "cannot record the schema version");
    if (result) goto out;
    result = soc_store_exec(s, "COMMIT", "cannot commit a schema migration");
    if (result) goto out;
  }
  result = soc_store_exec(s, "COMMIT", "cannot finish the schema check");
out:
  if (result && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return result;
}

/* Opens path into s (zeroed by the caller, which closes it on failure);
 * center selects center.db's schema. */
static int open_into(soc_store *s, const char *path, unsigned flags, int center, char *err,
                     size_t errlen) {
  int result = -ENOMEM;
  mode_t mode = flags & SOC_STORE_GROUP_WRITE ? 0660 : flags & SOC_STORE_GROUP_READ ? 0640 : 0600;
  int rc;
  if (!(s->path = strdup(path))) {
    if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  result = set_modes(s, mode);
  if (result) goto out;
  rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK) {
    result = s->db ? soc_store_fail_sql(s, rc, "cannot open")
                   : soc_store_fail(s, -ENOMEM, "out of memory");
    goto out;
  }
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  /* Refuses writes that could corrupt the file (writable_schema, ...). */
  sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
  result = check_integrity(s);
  if (!result) result = enable_wal(s);
  if (!result) result = soc_store_exec(s, "PRAGMA synchronous=FULL", "cannot set synchronous mode");
  if (!result) result = soc_store_exec(s, "PRAGMA foreign_keys=ON", "cannot enable foreign keys");
  if (!result) result = migrate(s, center);
out:
  if (result && err && errlen && s->err[0]) snprintf(err, errlen, "%s", s->err);
  return result;
}

/* Opens path into a zeroed allocation of size bytes: a soc_store, or a
 * soc_center_store (whose first member is one, so both close alike). */
static int open_kind(const char *path, unsigned flags, int center, size_t size, soc_store **out,
                     char *err, size_t errlen) {
  int result = -EINVAL;
  soc_store *s = NULL;
  if (out) *out = NULL;
  if (err && errlen) err[0] = '\0';
  if (!path || !*path || !out || (flags & ~(SOC_STORE_GROUP_READ | SOC_STORE_GROUP_WRITE))) {
    if (err && errlen) snprintf(err, errlen, "store: invalid arguments");
    goto out;
  }
  result = -ENOMEM;
  if (!(s = calloc(1, size))) {
    if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  if ((result = open_into(s, path, flags, center, err, errlen))) goto out;
  *out = s;
  s = NULL;
out:
  soc_store_close(s);
  return result;
}

int soc_store_open(const char *path, unsigned flags, soc_store **out, char *err, size_t errlen) {
  return open_kind(path, flags, 0, sizeof(soc_store), out, err, errlen);
}

void soc_store_close(soc_store *s) {
  if (!s) return;
  if (s->db && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  for (size_t i = 0; i < SOC_STMT_COUNT; i++) sqlite3_finalize(s->stmts[i]);
  sqlite3_close_v2(s->db);
  soc_store_state_free(s);
  free(s->path);
  free(s);
}

int soc_center_store_open(const char *path, soc_center_store **out, char *err, size_t errlen) {
  soc_store *s = NULL;
  int result = open_kind(path, 0, 1, sizeof(soc_center_store), out ? &s : NULL, err, errlen);
  if (out) *out = (soc_center_store *)(void *)s;
  return result;
}

void soc_center_store_close(soc_center_store *c) { soc_store_close(soc_center_conn(c)); }

const char *soc_center_store_errmsg(const soc_center_store *c) {
  return c ? soc_store_errmsg(&c->s) : "";
}
int soc_center_store_begin(soc_center_store *c) { return soc_store_begin(soc_center_conn(c)); }
int soc_center_store_commit(soc_center_store *c) { return soc_store_commit(soc_center_conn(c)); }
int soc_center_store_rollback(soc_center_store *c) {
  return soc_store_rollback(soc_center_conn(c));
}
int soc_center_store_in_transaction(soc_center_store *c) {
  return soc_store_in_transaction(soc_center_conn(c));
}
soc_store *soc_center_store_audit_log(soc_center_store *c) { return soc_center_conn(c); }

int soc_store_begin(soc_store *s) {
  if (!s) return -EINVAL;
  if (!sqlite3_get_autocommit(s->db))
    return soc_store_fail(s, -EINVAL, "a transaction is already open");
  soc_store_state_drop(s);
  return soc_store_exec(s, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

int soc_store_triage_version(soc_store *s, int64_t *out) {
  const char *what = "cannot read the triage version";
  if (!s || !out) return -EINVAL;
  /* kept prepared: the detector asks twice a transaction */
  sqlite3_stmt *st = soc_store_cached(s, SOC_STMT_TRIAGE_VERSION,
                                      "SELECT n FROM triage_version WHERE id = 1", what, "");
  if (!st) return -EIO;
  int rc = sqlite3_step(st);
  int result = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? soc_store_fail(s, -ENOENT, "%s: no row", what)
                                   : soc_store_fail_sql(s, rc, what);
  if (!result) *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return result;
}

int soc_store_commit(soc_store *s) {
  if (!s) return -EINVAL;
  if (sqlite3_get_autocommit(s->db))
    return soc_store_fail(s, -EINVAL, "commit without a transaction");
  int result = soc_store_state_flush(s); /* the state commits with the rest */
  return result ? result : soc_store_exec(s, "COMMIT", "cannot commit");
}

int soc_store_rollback(soc_store *s) {
  if (!s) return -EINVAL;
  if (sqlite3_get_autocommit(s->db))
    return soc_store_fail(s, -EINVAL, "rollback without a transaction");
  soc_store_state_drop(s);
  return soc_store_exec(s, "ROLLBACK", "cannot roll back");
}

int soc_store_renew_id(soc_store *s) {
  return soc_store_exec(s,
                        "INSERT OR REPLACE INTO meta(key, value)"
                        " VALUES('store.id', lower(hex(randomblob(16))))",
                        "cannot make a new store id");
}

/* name is one of the callers' fixed identifiers, never input. */
static int savepoint_sql(soc_store *s, const char *verb, const char *name, const char *what) {
  char sql[160];
  if (!s || !name || !*name || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) ||
      (size_t)snprintf(sql, sizeof sql, "%s %s%s%s", verb, name,
                       strcmp(verb, "ROLLBACK TO") ? "" : "; RELEASE ",
                       strcmp(verb, "ROLLBACK TO") ? "" : name) >= sizeof sql)
    return -EINVAL;
  return soc_store_exec(s, sql, what);
}

/* The correlation state put so far is written at a savepoint's edges, so
 * that the puts kept in the handle are always the innermost savepoint's:
 * written with it when it is released, forgotten when it is rolled back. */
int soc_store_savepoint(soc_store *s, const char *name) {
  int result = s ? soc_store_state_flush(s) : 0;
  return result ? result : savepoint_sql(s, "SAVEPOINT", name, "cannot begin a savepoint");
}

int soc_store_release(soc_store *s, const char *name) {
  int result = s ? soc_store_state_flush(s) : 0;
  return result ? result : savepoint_sql(s, "RELEASE", name, "cannot release a savepoint");
}

/* ROLLBACK TO keeps the savepoint open; the RELEASE after it ends it. */
int soc_store_rollback_to(soc_store *s, const char *name) {
  if (s) soc_store_state_drop(s);
  return savepoint_sql(s, "ROLLBACK TO", name, "cannot roll back a savepoint");
}

int soc_store_meta_get(soc_store *s, const char *key, char *buf, size_t buflen, size_t *len) {
  int result = -EINVAL;
  sqlite3_stmt *st = NULL;
  const unsigned char *v;
  size_t n;
  int rc;
  if (!s || !key || !buf || !buflen) goto out;
  buf[0] = '\0';
  if ((result = soc_store_prep(s, &st, "cannot read meta", "SELECT value FROM meta WHERE key = ?1",
                               "s", key)) < 0)
    goto out;
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    result = soc_store_fail(s, -ENOENT, "no meta key '%s'", key);
    goto out;
  }
  if (rc != SQLITE_ROW) {
    result = soc_store_fail_sql(s, rc, "cannot read meta");
    goto out;
  }
  /* Read the text first: column_bytes is only the text's length after it. */
  v = sqlite3_column_text(st, 0);
  n = (size_t)sqlite3_column_bytes(st, 0);
  if (!v) {
    result = soc_store_fail_sql(s, SQLITE_NOMEM, "cannot read meta");
    goto out;
  }
  if (len) *len = n;
  if (n >= buflen) {
    result = soc_store_fail(s, -ENOSPC, "meta value of '%s' is %zu bytes, buffer holds %zu", key, n,
                            buflen - 1);
    goto out;
  }
  memcpy(buf, v, n + 1);
  result = 0;
out:
  sqlite3_finalize(st);
  return result;
}

int soc_store_meta_set(soc_store *s, const char *key, const char *value) {
  static const char what[] = "cannot write meta";
  sqlite3_stmt *st = NULL;
  if (!s || !key || !*key || !value || strlen(key) > SOC_STORE_META_KEY_MAX ||
      strlen(value) > SOC_STORE_META_VALUE_MAX)
    return -EINVAL;
  /* kept prepared: the detector moves its cursor after every block */
  st = soc_store_cached(s, SOC_STMT_META_SET,
                        "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", what, "ss", key,
                        value);
  return st ? soc_store_step(s, st, what, NULL) : -EIO;
}
