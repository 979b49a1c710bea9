#!/bin/bash
# Forwarding through a broker outage: a writer appends lines of four hosts
# while the agent forwards; the broker goes down for a while in the middle
# of the stream and comes back. Every line must arrive, with no duplicate,
# each host's lines in the order written; kcat (an independent client)
# reads them and every message must parse as ECS JSON. The events travel
# joined (kafka.events_per_message, 256 by default): fewer messages than
# events, the agent's delivered counter counts events, and a collector
# started afterwards stores every event exactly once. The heartbeat topic
# carries the agent's counters.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T"
agent_config "$T" outage "logs/app.log"

"$AGENT" -c "$T/agent.yaml" 2>"$T/agent.err" &
AGENT_PID=$!
python3 "$SOC_SRC/tests/integration/logwriter.py" "$T/logs" "$T/record" --lines 4000 \
  --rotate-every 100000 --rate 1000 --hosts 4 &
WRITER=$!
# down in the middle of the stream: once some lines are delivered
delivered() {
  "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status --json 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["forward"]["delivered"] <= 0)'
}
wait_for 60 "the first lines delivered" delivered
kill -USR1 "$BROKER_PID" # down
broker_down() { "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status | grep -q "broker down"; }
wait_for 60 "the agent to see the broker down" broker_down
run "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status
expect_out "broker down"
kill -USR2 "$BROKER_PID" # up
wait "$WRITER"
run wait_delivered "$T/agent.yaml" 4000 60
expect_status 0
run "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status
expect_out "forwarding: 0 line(s) behind"
expect_out "broker up"
consume soc.events >"$T/events.tsv"
run python3 "$SOC_SRC/tests/integration/check_kafka.py" "$T/record" --ordered <"$T/events.tsv"
expect_status 0
if [ "$STATUS" -ne 0 ]; then
  # what to look at when it fails: the agent's side, the broker's watermarks
  echo "--- agent stderr:" >&2
  tail -n 30 "$T/agent.err" >&2
  echo "--- high watermarks:" >&2
  for p in 0 1 2 3; do timeout 10 kcat -Q -b "$BOOTSTRAP" -t "soc.events:$p:-1" 2>&1 >&2; done
  "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status >&2
fi
expect_out "written=4000 delivered=4000 distinct=4000 missing=0 duplicates=0"
echo "$OUT"
MESSAGES=$(timeout 60 kcat -C -b "$BOOTSTRAP" -t soc.events -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)
check_py "joined: $MESSAGES messages for 4000 events, 4000 delivered" '
import json, sys
assert 0 < int(sys.argv[1]) < 4000 / 4, sys.argv[1]
assert json.loads(sys.argv[2])["forward"]["delivered"] == 4000, sys.argv[2]' \
  "$MESSAGES" "$("$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" status --json)"
# kcat alone reads the joined messages as NDJSON: a JSON event a line,
# with its key in the "keys" header
timeout 60 kcat -C -b "$BOOTSTRAP" -t soc.events -o beginning -e -q -f '%s\n' >"$T/plain.ndjson" 2>/dev/null
check_py "kcat -f %s: 4000 JSON events, one a line" '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
assert len(lines) == 4000, len(lines)
assert all(json.loads(l)["agent"]["id"] == "outage" for l in lines)' "$T/plain.ndjson"
CHECKS=$((CHECKS + 1))
timeout 60 kcat -C -b "$BOOTSTRAP" -t soc.events -o beginning -c 1 -e -q -f '%k %h\n' >"$T/first.h" 2>/dev/null
grep -q '^outage agent.id=outage,schema.version=1,sig.batch=[^,]*,keys=[0-9]*:web0' "$T/first.h" ||
  fail "the first message's key and headers: $(cut -c1-200 "$T/first.h")"

# the center: every event once
center_config "$T/center.yaml" "$T/center"
enroll_agent "$T/center.yaml" "$T/agent.yaml" || fail "cannot enrol the agent"
"$SOC_BIN/collector/soccollector" -c "$T/center.yaml" 2>"$T/collector.err" &
COLLECTOR=$!
center_has() { [ "$("$SOC_BIN/collector/soccollector" -c "$T/center.yaml" events --count)" = 4000 ]; }
wait_for 60 "4000 events at the center" center_has
kill -TERM "$COLLECTOR"
wait "$COLLECTOR"
run "$SOC_BIN/collector/soccollector" -c "$T/center.yaml" stats --json
check_py "the center: 4000 events, no duplicate, nothing quarantined" '
import json, sys
s = json.loads(sys.argv[1])["center"]
assert s["events"] == 4000 and s.get("duplicates", 0) == 0 and s.get("quarantined", 0) == 0, s' "$OUT"

# the heartbeat: JSON with the counters of the input and the forwarder
consume soc.heartbeat | tail -n 1 | cut -f4 >"$T/hb.json"
run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["socagent"]
assert d["agent"]["id"] == "outage", d["agent"]
assert s["counters"]["app"]["lines"] >= 1, s["counters"]
assert "lag_lines" in s["forward"] and "stored_bytes" in s["journal"]
print("heartbeat ok: lag", s["forward"]["lag_lines"])
' "$T/hb.json"
expect_status 0

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
STATUS=$?
expect_status 0
stop_broker
finish
