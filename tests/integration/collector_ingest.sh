#!/bin/bash
# The collector's ingest: two agents (alpha fed by a writer while it runs,
# beta with a file written whole, stopped once it is delivered) send to one
# development broker; two collectors in one consumer group share one center.db. Midway, one
# collector is killed with SIGKILL and started again. A hostile corpus is
# produced with kcat around good events. Afterwards:
#  - every line written is in center.db's event table exactly once, with
#    nothing else from those agents (count == lines written, and the set of
#    messages equals the set of lines);
#  - each hostile message is in quarantine with the reason its key names
#    (an event well formed but unsigned, or signed by a key nobody
#    enrolled, too), and the good events around them landed; a re-sent
#    event is counted as a duplicate, not stored twice;
#  - `agents` lists both agents from their heartbeats; beta, which stopped
#    first, is SILENT after agent_silence (5s: heartbeats every 1s arrive late on a
#    loaded CI machine), alpha is OK until it stops
#    too;
#  - the brokers answer RTT ms late (socbroker --rtt): alpha's heartbeats
#    carry the round trip librdkafka measured (statistics every second),
#    and `agents` shows it, at least RTT; beta's statistics are off, so
#    its heartbeats name none and `agents` shows it unknown (- and null);
#  - SIGTERM stops a collector with status 0.
# With SOC_TEST_STORE=postgresql (integration.collector_ingest_pg) the same
# runs on a throwaway PostgreSQL (pg_lib.sh), which is also restarted
# (pg_ctl -m immediate, as a crash) mid-feed; there the commands not yet on
# PostgreSQL (the console) must refuse clearly, the migrations survive a race, and
# collector.retention drops an old day.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"
STORE=${SOC_TEST_STORE:-sqlite}

AGENT="$SOC_BIN/agent/socagent"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $T"
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
ALPHA_LINES=3000
BETA_LINES=1500
RTT=20 # ms: every broker's answer this late
start_broker "$T" --partitions 4 --rtt $RTT
mkdir -p "$T/alpha/logs" "$T/beta/logs"
agent_config "$T/alpha" alpha "logs/app.log" ', properties: { statistics.interval.ms: "1000" }'
agent_config "$T/beta" beta "logs/app.log" ', properties: { statistics.interval.ms: "0" }'
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center, agent_silence: 5s }
kafka:
  brokers: "$BOOTSTRAP"
  topic_prefix: soc
  group_id: soccollector
  # a SIGKILLed member holds its partitions until its session times out
  properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
YAML
if [ "$STORE" = postgresql ]; then
  start_pg || { fail "cannot start PostgreSQL"; finish; }
  # four collectors' commands at once on a new database: one migrates under
  # the advisory lock, the others wait and find the schema there
  "$PG_BIN/psql" -h "$PG_DIR" -U soc -d postgres -qAt -c "CREATE DATABASE race" >/dev/null
  sed "s|^collector: { id: center, |collector: { id: center, store: \"${PG_URL/\/center/\/race}\", |" \
    "$T/center.yaml" >"$T/race.yaml"
  RACE=()
  for i in 1 2 3 4; do
    "$COLL" -c "$T/race.yaml" events --count >"$T/race$i.out" 2>&1 &
    RACE+=($!)
  done
  wait "${RACE[@]}"
  run cat "$T"/race?.out
  expect_out "0
0
0
0"
  expect_no_out "cannot"
  run "$PG_BIN/psql" -h "$PG_DIR" -U soc -d race -qAt -c "SELECT count(*), max(version) FROM schema_version"
  expect_out "4|4"
  sed -i "s|^collector: { id: center, |collector: { id: center, store: \"$PG_URL\", |" "$T/center.yaml"
fi
sed 's/id: center,/id: center2,/' "$T/center.yaml" >"$T/center2.yaml"
# sql QUERY: the rows of a query on the center's store, tab-separated
sql() {
  if [ "$STORE" = postgresql ]; then
    $PG_SQL "$1" -F $'\t'
  else
    sqlite3 -separator $'\t' "file:$T/center/center.db?mode=ro" "$1"
  fi
}
# the operator enrols both agents, and kc, which kcat plays below
enroll_agent "$T/center.yaml" "$T/alpha/agent.yaml" || fail "cannot enrol alpha"
enroll_agent "$T/center.yaml" "$T/beta/agent.yaml" || fail "cannot enrol beta"
"$COLL" -c "$T/center.yaml" enroll kc --key "$("$SOC_BIN/tests/socsign" "$T/kc.key" --pub)" \
  --agency test >/dev/null || fail "cannot enrol kc"

# count_events [--agent ID]
count_events() { "$COLL" -c "$T/center.yaml" events --count "$@" 2>/dev/null || echo -1; }
# wait_count N timeout_s
wait_count() {
  local deadline=$(($(date +%s) + $2)) n=-1
  while [ "$(date +%s)" -lt $deadline ]; do
    n=$(count_events)
    [ "$n" = "$1" ] && return 0
    sleep 0.2
  done
  echo "wait_count: gave up at $n of $1" >&2
  return 1
}

"$COLL" -c "$T/center.yaml" 2>"$T/c1.err" &
C1=$!
"$COLL" -c "$T/center2.yaml" 2>"$T/c2.err" &
C2=$!

# alpha: a daemon, while a writer appends numbered lines
"$AGENT" -c "$T/alpha/agent.yaml" 2>"$T/alpha.err" &
ALPHA=$!
python3 - "$T/alpha/logs/app.log" $ALPHA_LINES <<'PY' &
import sys, time
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "a") as f:
    for i in range(1, n + 1):
        f.write("alpha line %06d\n" % i)
        if i % 100 == 0:
            f.flush()
            time.sleep(0.05)
PY
WRITER=$!

# beta: a file written whole, sent once
python3 -c 'import sys; [print("beta line %06d" % i) for i in range(1, int(sys.argv[1]) + 1)]' \
  $BETA_LINES >"$T/beta/logs/app.log"
"$AGENT" -c "$T/beta/agent.yaml" 2>"$T/beta.err" &
BETA=$!

# a collector dies mid-stream (once events flow) and comes back
events_flow() { [ "$(count_events)" -gt 0 ]; }
wait_for 60 "the first events at the center" events_flow
kill -9 $C1
wait $C1 2>/dev/null
# PostgreSQL dies mid-feed too: the other collector's batches fail, roll back
# and are read again from Kafka once it is back
if [ "$STORE" = postgresql ]; then
  restart_pg immediate || fail "PostgreSQL did not come back"
  CHECKS=$((CHECKS + 1))
fi
"$COLL" -c "$T/center.yaml" 2>>"$T/c1.err" &
C1=$!

# the hostile corpus, keyed "q-<expected reason>", around good events
ID() { printf '%032x' "$1"; }
good() { # n
  printf 'good\t{"@timestamp":"2025-11-25T08:00:00Z","event":{"id":"%s"},"agent":{"id":"kc"},"host":{"name":"kc"},"message":"good %d"}\n' "$(ID "$1")" "$1"
}
# a good event, signed by kc's enrolled key
send_good() { good "$1" | cut -f2- | signed_send soc.events good "$T/kc.key" kc; }
send_good 1
{
  printf 'q-not_json\tnot json at all\n'
  printf 'q-not_object\t[1,2,3]\n'
  printf 'q-not_json\t{"agent":{"id":"kc"},"event":{"id":"%s"}} {}\n' "$(ID 99)"
  printf 'q-bad_event_id\t{"agent":{"id":"kc"},"event":{"id":"NOT-AN-ID"}}\n'
  printf 'q-bad_event_id\t{"agent":{"id":"kc"}}\n'
  printf 'q-agent_mismatch\t{"agent":{"id":"alpha"},"event":{"id":"%s"}}\n' "$(ID 98)"
  printf 'q-no_agent_id\t{"event":{"id":"%s"}}\n' "$(ID 97)"
  printf 'q-not_utf8\t{"agent":{"id":"kc"},"message":"\xff\xfe"}\n'
  good 7 | sed 's/^good/q-unsigned/' # well formed, but anyone could have sent it
} >"$T/corpus.tsv"
kcat -P -b "$BOOTSTRAP" -t soc.events -K '\t' -H agent.id=kc -H schema.version=1 <"$T/corpus.tsv"
send_good 2
send_good 3
send_good 1 # a replay: a duplicate, not a second row
# signed, but by a key nobody enrolled for kc2: quarantined, the key pending
good 8 | cut -f2- | sed 's/"kc"/"kc2"/g' | signed_send soc.events q-unenrolled "$T/kc2.key" kc2
good 4 | sed 's/^good/q-missing_header/' |
  kcat -P -b "$BOOTSTRAP" -t soc.events -K '\t' -H schema.version=1
good 5 | sed 's/^good/q-schema_version/' |
  kcat -P -b "$BOOTSTRAP" -t soc.events -K '\t' -H agent.id=kc -H schema.version=2
good 6 | sed 's/^good/q-bad_agent_id/' |
  kcat -P -b "$BOOTSTRAP" -t soc.events -K '\t' -H 'agent.id=k c' -H schema.version=1
python3 -c 'import sys; sys.stdout.write("q-too_large\t{\"agent\":{\"id\":\"kc\"},\"x\":\"" + "a" * 1100000 + "\"}\n")' |
  kcat -P -b "$BOOTSTRAP" -t soc.events -K '\t' -H agent.id=kc -H schema.version=1 \
    -X message.max.bytes=2000000
# a heartbeat whose audit anchor is not an entry number and a SHA-256
printf 'q-bad_field\t{"@timestamp":"2025-11-25T08:00:00Z","agent":{"id":"kc","version":"x"},"socagent":{"agency":"a","authority":1,"audit":{"seq":3,"head":"not a hash"}}}\n' |
  kcat -P -b "$BOOTSTRAP" -t soc.heartbeat -K '\t' -H agent.id=kc -H schema.version=1
HOSTILE=15
GOOD=3

wait $WRITER
# beta stops once it has sent everything: its heartbeats stop with it
run wait_delivered "$T/beta/agent.yaml" $BETA_LINES 60
expect_status 0
kill -TERM $BETA
wait $BETA
run wait_delivered "$T/alpha/agent.yaml" $ALPHA_LINES 60
expect_status 0
TOTAL=$((ALPHA_LINES + BETA_LINES + GOOD))
run wait_count $TOTAL 60
expect_status 0

# exactly once, and exactly the lines written
sql "SELECT agent, id, body FROM event" >"$T/events.tsv"
run python3 - "$T/events.tsv" $ALPHA_LINES $BETA_LINES <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[1])]
want = {"alpha": int(sys.argv[2]), "beta": int(sys.argv[3])}
for agent, n in want.items():
    msgs = [json.loads(b)["message"] for (a, _, b) in rows if a == agent]
    expect = {"%s line %06d" % (agent, i) for i in range(1, n + 1)}
    print("%s: rows=%d distinct=%d missing=%d extra=%d" % (agent, len(msgs), len(set(msgs)),
          len(expect - set(msgs)), len(set(msgs) - expect)))
print("ids: rows=%d distinct=%d" % (len(rows), len({i for (_, i, _) in rows})))
PY
expect_status 0
expect_out "alpha: rows=$ALPHA_LINES distinct=$ALPHA_LINES missing=0 extra=0"
expect_out "beta: rows=$BETA_LINES distinct=$BETA_LINES missing=0 extra=0"
expect_out "ids: rows=$TOTAL distinct=$TOTAL"
run count_events --agent kc
expect_out "$GOOD"

# the quarantine: every hostile message, each with the reason its key names.
# Their keys put them on other partitions than the good events, which may
# still be with the killed collector until its session times out (6 s): all
# events in does not mean all quarantined yet.
quarantined() { sql "select count(*) from quarantine" 2>/dev/null || echo -1; }
wait_for 30 "$HOSTILE messages quarantined" output_is "$HOSTILE" quarantined
if [ "$STORE" = postgresql ]; then
  # the reports' commands, the console's accounts and the console itself
  # run on PostgreSQL too (center_reports_pg, campaigns_pg and console_pg
  # test them), with no center.db made beside it
  for cmd in incidents summary campaigns; do
    run "$COLL" -c "$T/center.yaml" $cmd
    expect_status 0
  done
  run "$COLL" -c "$T/center.yaml" user disable nobody
  expect_status 2
  expect_err "nobody is no account"
  CPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed "s|^kafka:|console: { listen: \"127.0.0.1:$CPORT\" }\nkafka:|" "$T/center.yaml" >"$T/console.yaml"
  "$COLL" -c "$T/console.yaml" 2>"$T/console.err" &
  CONSOLE_PID=$!
  login_page() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CPORT/login")" = 200 ]; }
  wait_for 30 "the console on PostgreSQL answering" login_page
  kill "$CONSOLE_PID" && wait "$CONSOLE_PID" 2>/dev/null
  [ ! -e "$T/center/center.db" ] || fail "a center.db was made beside PostgreSQL"
  CHECKS=$((CHECKS + 1))
fi
run "$COLL" -c "$T/center.yaml" quarantine --json
expect_status 0
echo "$OUT" >"$T/q.json"
run python3 - "$T/q.json" $HOSTILE <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
bad = [r for r in rows if r["key"] != "q-" + r["reason"]]
print("quarantined=%d wrong=%d" % (len(rows), len(bad)))
for r in bad: print("  ", r["key"], r["reason"], r["detail"])
big = [r for r in rows if r["reason"] == "too_large"]
assert big and big[0]["size"] > 1000000 and len(big[0]["payload"]) <= 4096, big
PY
expect_status 0
expect_out "quarantined=$HOSTILE wrong=0"
run "$COLL" -c "$T/center.yaml" quarantine
expect_out "reason=not_json"
# kc2's key waits for an operator, with the command that would enrol it
run "$COLL" -c "$T/center.yaml" agents
expect_out "kc2                      pending"
expect_out "soccollector enroll kc2 --key $("$SOC_BIN/tests/socsign" "$T/kc2.key" --pub)"

# counters: the replayed event is a duplicate; quarantine counted by reason
run "$COLL" -c "$T/center.yaml" stats --json
echo "$OUT" >"$T/stats.json"
run python3 - "$T/stats.json" $TOTAL $HOSTILE <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
tot = lambda k: sum(c.get(k, 0) for c in s.values())
print("events=%d quarantined=%d duplicates>=1:%s not_json=%d" % (tot("events"), tot("quarantined"),
      tot("duplicates") >= 1, tot("quarantined.not_json")))
PY
expect_out "events=$TOTAL quarantined=$HOSTILE duplicates>=1:True not_json=2"

# agents from heartbeats: beta stopped at once, so it turns SILENT while
# alpha still beats
agent_is() { "$COLL" -c "$T/center.yaml" agents 2>/dev/null | grep -qE "^$1 .*$2\$"; }
wait_for 60 "beta SILENT at the center" agent_is beta SILENT
run "$COLL" -c "$T/center.yaml" agents
expect_status 0
expect_out "alpha"
grep -E '^beta .* - SILENT$' <<<"$OUT" >/dev/null || fail "beta is not SILENT, its round trip unknown"
grep -E '^alpha .* [0-9]+ms OK$' <<<"$OUT" >/dev/null || fail "alpha is not OK with a round trip"
CHECKS=$((CHECKS + 2))
kill -TERM $ALPHA
wait $ALPHA
wait_for 60 "alpha SILENT at the center" agent_is alpha SILENT
run "$COLL" -c "$T/center.yaml" agents --json
expect_status 0
echo "$OUT" >"$T/agents.json"
run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % (a["id"], a["status"]) for a in d["agents"]), "silent=%d" % d["silent"])
a = [x for x in d["agents"] if x["id"] == "alpha"][0]
assert a["agency"] == "test" and a["authority"] == 36 and a["counters"]["app"]["lines"] >= 1, a
assert type(a["broker_rtt_ms"]) is int and a["broker_rtt_ms"] >= int(sys.argv[2]), a
b = [x for x in d["agents"] if x["id"] == "beta"][0]
assert "broker_rtt_ms" in b and b["broker_rtt_ms"] is None, b
' "$T/agents.json" "$RTT"
expect_status 0
expect_out "alpha=SILENT beta=SILENT silent=2"

# retention: kc's events (of 2025-11-25) are in a day's partition of their
# own; a collector keeping 30 days drops it whole, alpha's and beta's stay
if [ "$STORE" = postgresql ]; then
  partitions() { sql "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                      WHERE i.inhparent = 'event'::regclass ORDER BY 1" | tr '\n' ' '; }
  run partitions
  expect_out "event_20251125"
  sed 's/id: center,/id: center3, retention: 30d,/' "$T/center.yaml" >"$T/center3.yaml"
  "$COLL" -c "$T/center3.yaml" 2>"$T/c3.err" &
  C3=$!
  wait_for 60 "kc's old day dropped" output_is 0 count_events --agent kc
  run partitions
  expect_no_out "event_20251125"
  run count_events
  expect_out "$((ALPHA_LINES + BETA_LINES))"
  grep -q "1 day(s) of events past collector.retention dropped" "$T/c3.err" ||
    fail "collector 3 did not say it dropped a day"
  CHECKS=$((CHECKS + 1))
  kill -TERM $C3
  wait $C3
fi

# the operator revokes kc: its key is listed revoked; kc2 was never enrolled
run "$COLL" -c "$T/center.yaml" revoke kc --by test
expect_status 0
run "$COLL" -c "$T/center.yaml" agents
expect_out "kc                       revoked"
run "$COLL" -c "$T/center.yaml" revoke kc2 --by test
expect_status 2
expect_err "agent 'kc2' is not enrolled"

# a clean stop
kill -TERM $C1 $C2
wait $C1
STATUS=$?
expect_status 0
wait $C2
STATUS=$?
expect_status 0
grep -q "stopped:" "$T/c2.err" || fail "collector 2 did not report its stop"
CHECKS=$((CHECKS + 1))
stop_broker
finish
