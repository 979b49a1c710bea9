#!/bin/bash
# A store that lost commits (issue 17). The -wal file deleted after kill -9:
# the agent says so loudly at start (STORE WENT BACKWARDS when the database
# file still holds an older state of the same store, STORE REPLACED when it
# comes back empty), raises an alert, and the messages it takes in next
# never get the event.ids of the lost ones, although their network
# sequences start over: the store id is part of every event.id.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
DUMP="$SOC_BIN/tests/journal_dump"
SEND="python3 $SOC_SRC/tests/integration/syslog_send.py"
T=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

read -r P_TCP <<<"$($SEND ports 1)"

setup() { # state dir
  STATE="$1"
  cat >"$T/agent.yaml" <<YAML
agent: { id: t1, agency: test, authority: 1, state_dir: "$STATE", timezone: UTC }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
journal: { commit_interval: 50ms }
inputs:
  - { type: syslog, id: tcp-in, listen: "tcp://127.0.0.1:$P_TCP" }
kafka: { brokers: "127.0.0.1:9" }
YAML
}

start() {
  "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
  PID=$!
  $SEND wait-tcp 127.0.0.1 "$P_TCP" || fail "agent did not listen"
}

stop() { # signal
  kill "-$1" "$PID"
  wait "$PID" 2>/dev/null
  PID=""
}

# send SENDER COUNT, and wait until the journal has committed them
send() {
  $SEND tcp-bulk 127.0.0.1 "$P_TCP" 1 "$2" "$1" >/dev/null || fail "send $1"
  for _ in $(seq 200); do
    [ "$("$DUMP" "$STATE/agent.db" 2>/dev/null | grep -c "s=$1 ")" = "$2" ] && return 0
    sleep 0.05
  done
  fail "sender $1: not committed"
}

# ids SENDER: the event.ids of that sender's messages, sorted
ids() {
  "$CTL" -c "$T/agent.yaml" journal export --ecs |
    python3 -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if "s=%s " % sys.argv[1] in e["message"]: print(e["event"]["id"])' "$1" | sort
}

lose_wal() {
  rm -f "$STATE/agent.db-wal" "$STATE/agent.db-shm"
}

alerts() { # action
  sqlite3 "$STATE/agent.db" "select count(*) from outbox where topic='alerts' and cast(payload as text) like '%\"action\":\"$1\"%'"
}

# ---- an older state of the same store: went backwards ----------------------
setup "$T/a"
start
send 1 100
stop TERM               # a clean stop: the database file holds sender 1
start
send 2 100
ids 2 >"$T/lost.ids"
stop KILL
lose_wal
: >"$T/agent.err"
start
send 3 100
stop TERM
run cat "$T/agent.err"
expect_out "STORE WENT BACKWARDS: $STATE/agent.db holds journal blocks up to 1, but blocks up to 2 were committed to it"
ids 3 >"$T/new.ids"
CHECKS=$((CHECKS + 1))
[ "$(wc -l <"$T/lost.ids")" = 100 ] && [ "$(wc -l <"$T/new.ids")" = 100 ] &&
  [ -z "$(comm -12 "$T/lost.ids" "$T/new.ids")" ] ||
  fail "event.ids of the lost messages came back: $(comm -12 "$T/lost.ids" "$T/new.ids" | wc -l)"
# the sequences did start over: that is what would have repeated the ids
CHECKS=$((CHECKS + 1))
[ "$("$DUMP" "$STATE/agent.db" | awk -F'\t' '/s=3 n=0 /{print $2}')" = 100 ] ||
  fail "test premise: sender 3 should start at sequence 100"
CHECKS=$((CHECKS + 1))
[ "$(alerts store.backwards)" = 1 ] || fail "no store.backwards alert"
# a normal restart says nothing
: >"$T/agent.err"
start
stop TERM
run cat "$T/agent.err"
expect_no_out "STORE"

# ---- nothing of the store left: replaced -------------------------------------
setup "$T/b"
: >"$T/agent.err"
start
send 4 50
stop KILL
lose_wal
start
send 5 50
stop TERM
run cat "$T/agent.err"
expect_out "STORE REPLACED: $STATE/agent.db is not the store this agent last committed to"
CHECKS=$((CHECKS + 1))
[ "$(alerts store.replaced)" = 1 ] || fail "no store.replaced alert"
finish
