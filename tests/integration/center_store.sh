#!/bin/bash
# The center sees an agent's store lose data (issue 17): heartbeats carry
# the store's id and newest journal block; after a kill -9 and a lost -wal
# file the agent starts with a store that went back (and a new id), and the
# collector flags the agent (`agents`, `agents --json`) and records an alert
# (`stats`), once.
# With SOC_TEST_STORE=postgresql (integration.center_store_pg) the center is on
# a throwaway PostgreSQL (pg_lib.sh). KEEP=1 keeps its folder (printed).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $T"
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_broker "$T"
mkdir -p "$T/a/logs"
agent_config "$T/a" st "logs/app.log"
center_config "$T/center.yaml" "$T/center"
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
enroll_agent "$T/center.yaml" "$T/a/agent.yaml" || fail "cannot enrol st"
"$COLL" -c "$T/center.yaml" 2>"$T/c.err" &
CPID=$!
lines() { # from to
  for i in $(seq "$1" "$2"); do echo "Nov 25 08:00:00 web01 app[1]: n=$i"; done >>"$T/a/logs/app.log"
}
store_of() { # what the center holds of the agent's store, as "id block flag"
  "$COLL" -c "$T/center.yaml" agents --json 2>/dev/null | python3 -c '
import json, sys
for a in json.load(sys.stdin)["agents"]:
    if a["id"] == "st":
        s = a.get("store", {})
        print(s.get("id", "-"), s.get("block", 0), s.get("flag", "-"))'
}
wait_store() { # python condition over id, block, flag
  for _ in $(seq 300); do
    read -r id block flag <<<"$(store_of)"
    python3 -c "import sys; id, block, flag = sys.argv[1], int(sys.argv[2] or 0), sys.argv[3]; sys.exit(0 if ($1) else 1)" \
      "${id:--}" "${block:-0}" "${flag:--}" && return 0
    sleep 0.2
  done
  fail "the center never saw: $1 (at: $(store_of))"
}
cd "$T/a" || exit 1
lines 1 100
"$AGENT" -c agent.yaml 2>"$T/a1.err" &
APID=$!
wait_delivered agent.yaml 100 60 || fail "not delivered"
kill -TERM $APID; wait $APID
lines 101 200
"$AGENT" -c agent.yaml 2>"$T/a2.err" &
APID=$!
wait_delivered agent.yaml 200 60 || fail "not delivered"
wait_store "block >= 2 and flag == '-'"
read -r first_id _ <<<"$(store_of)"
kill -9 $APID; wait $APID 2>/dev/null
rm -f state/agent.db-wal state/agent.db-shm
"$AGENT" -c agent.yaml 2>"$T/a3.err" &
APID=$!
wait_store "id != '$first_id' and flag.startswith('store replaced or gone back: id $first_id')"
kill -TERM $APID; wait $APID
run cat "$T/a3.err"
expect_out "STORE WENT BACKWARDS"
run "$COLL" -c "$T/center.yaml" agents
expect_out "  STORE: store replaced or gone back: id $first_id with journal blocks up to"
run "$COLL" -c "$T/center.yaml" stats
expect_out "center store: agent st: store replaced or gone back: id $first_id"
CHECKS=$((CHECKS + 1))
[ "$(grep -c "center store: agent st" <<<"$OUT")" = 1 ] || fail "the alert was recorded more than once"
kill -TERM $CPID; wait $CPID
run cat "$T/c.err"
expect_out "soccollector: STORE: agent st: store replaced or gone back"
stop_broker
finish
