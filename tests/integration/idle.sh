#!/bin/bash
# An idle agent sleeps: with its journal forwarded and looked at, and
# nothing new, the forwarder and the detector wait to be woken by the
# ingest's commits (or a second at most) instead of polling the journal
# every 50 and 100 ms. Counted by each named thread's voluntary context
# switches (/proc), not by time: over three idle seconds the two threads
# woke about 60 and 30 times before, now a handful. Then a line appended
# is still forwarded and looked at.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T"
cat >"$T/agent.yaml" <<YAML
agent: { id: idle, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: app, paths: [ "logs/app.log" ] } ]
rules: { log: [ "$SOC_SRC/rules/log/ssh.yaml" ] }
kafka: { brokers: "$BOOTSTRAP" }
YAML
for i in $(seq 1 20); do
  echo "Dec  6 10:00:00 host sshd[1]: Failed password for root from 192.0.2.7 port $((40000 + i)) ssh2"
done >"$T/logs/app.log"
(cd "$T" && exec "$AGENT" -c agent.yaml 2>agent.err) &
agent=$!
counter() { # input name: its value in the agent's store
  "$CTL" -c "$T/agent.yaml" status --json 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1']['$2'])" 2>/dev/null
}
wait_for 60 "20 lines delivered" wait_delivered "$T/agent.yaml" 20 1
wait_for 60 "20 lines looked at" output_is 20 counter detect lines
# the thread named $1's voluntary context switches
switches() {
  local t
  for t in /proc/$agent/task/*; do
    [ "$(cat "$t/comm")" = "$1" ] && awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status"
  done
}
# nothing left to do: the alerts shipped and the outbox cursor saved past them
outbox_saved() {
  [ "$(sqlite3 "$T/state/agent.db" "SELECT (SELECT value FROM meta WHERE key = 'forward.outbox_cursor')
    = (SELECT max(id) FROM outbox)")" = 1 ]
}
wait_for 60 "the alerts shipped and saved" outbox_saved
f0=$(switches soc:forward) d0=$(switches soc:detect)
sleep 3
f1=$(switches soc:forward) d1=$(switches soc:detect)
echo "over 3 idle seconds: soc:forward woke $((f1 - f0)) times, soc:detect $((d1 - d0))"
CHECKS=$((CHECKS + 2))
[ -n "$f0" ] && [ $((f1 - f0)) -le 12 ] || fail "the idle forwarder woke $((f1 - f0)) times in 3 s"
[ -n "$d0" ] && [ $((d1 - d0)) -le 12 ] || fail "the idle detector woke $((d1 - d0)) times in 3 s"

echo "Dec  6 10:00:30 host sshd[1]: Accepted password for root from 192.0.2.7 port 41000 ssh2" \
  >>"$T/logs/app.log"
wait_for 60 "the appended line delivered" wait_delivered "$T/agent.yaml" 21 1
wait_for 60 "the appended line looked at" output_is 21 counter detect lines
kill $agent
wait $agent
STATUS=$? LAST="socagent (stopped with SIGTERM)" ERR=$(cat "$T/agent.err")
expect_status 0
finish
