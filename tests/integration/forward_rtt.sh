#!/bin/bash
# A broker far away does not cost a core. An idempotent librdkafka producer
# keeps at most 5 messages in flight per partition (it counts messages, not
# requests), so the agent's joined messages of 256 events, all keyed by its
# id, went one request per round trip; a message that waits for that request longer than
# linger.ms sets the broker thread's next wake-up to now, and it polls
# without sleeping until the response. With linger.ms 20 and a broker 80 ms
# away, librdkafka's threads took about a core for the whole catch-up; with
# the agent's default they sleep. Counted as the share of the catch-up's wall
# time that librdkafka's threads spent on a CPU (/proc schedstat), which a
# poll loop puts near 1 whatever the machine's speed, and a sleeping thread
# near 0. The agent sends 256 events a message here (~120 KB of these
# lines), so that five messages in flight hold less than librdkafka's 2 MiB
# queue and the next ones wait in it for a request: the case linger.ms
# guards. At the default size (a quarter of the queue, docs/BENCHMARKS.md
# step 44) four messages fill the queue and none waits, whatever linger.ms
# (a drop of linger.ms to 20 then shows only in the warning below). Then
# every line is on the topic once, read by kcat. Then, with a
# linger.ms the round trip outgrows, the agent warns and says what to set,
# and its heartbeat carries the round trip.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
LINES=30000
RTT=80 # ms: four round trips stay well within linger.ms 500, so the first run must not warn
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T" --rtt $RTT
agent_config "$T" rtt logs/app.log \
  ", events_per_message: 256, properties: { statistics.interval.ms: \"1000\" }"
# a backlog: the agent starts behind by LINES lines
python3 - "$T/logs/app.log" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write("Dec  6 10:%02d:%02d host sshd[%d]: Failed password for invalid user u%d"
                " from 192.0.2.%d port %d ssh2\n" % (i // 3600 % 60, i // 60 % 60, 1000 + i % 5000,
                                                    i, i % 250 + 1, 1024 + i % 60000))
PY
t0=$(date +%s.%N)
(cd "$T" && exec "$AGENT" -c agent.yaml 2>agent.err) &
agent=$!
wait_delivered "$T/agent.yaml" "$LINES" 120 || fail "$LINES lines not delivered"
t1=$(date +%s.%N)
# seconds on a CPU of the agent's librdkafka threads (rdk:*), all of them
rdk_cpu() {
  local t
  for t in /proc/$agent/task/*; do
    case "$(cat "$t/comm")" in rdk:*) awk '{print $1 / 1e9}' "$t/schedstat" ;; esac
  done | awk '{s += $1} END {printf "%.3f\n", s}'
}
cpu=$(rdk_cpu)
share=$(echo "$cpu / ($t1 - $t0)" | bc -l)
printf 'catch-up of %d lines, broker %d ms away: %.1f s, librdkafka on a CPU %.2f s (%.0f %%)\n' \
  "$LINES" "$RTT" "$(echo "$t1 - $t0" | bc -l)" "$cpu" "$(echo "$share * 100" | bc -l)"
CHECKS=$((CHECKS + 1))
[ "$(echo "$share < 0.15" | bc -l)" = 1 ] ||
  fail "librdkafka's threads were on a CPU for $(printf %.0f "$(echo "$share * 100" | bc -l)") % of the catch-up"

# every line once on the topic, read by an independent client
consume soc.events >"$T/events.tsv"
check_py "every line once on the topic (kcat)" '
import json, sys
ids = [json.loads(l.split("\t", 3)[3])["event"]["id"] for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
assert len(ids) == n and len(set(ids)) == n, (len(ids), len(set(ids)), n)
' "$T/events.tsv" "$LINES"

kill $agent
wait $agent
STATUS=$? LAST="socagent (stopped with SIGTERM)" ERR=$(cat "$T/agent.err")
expect_status 0
expect_no_err "round trip to the brokers"

# The agent says so when the round trip outgrows linger.ms (librdkafka's
# statistics, here every second), and the heartbeat carries it.
agent_config "$T" rtt logs/app.log \
  ", properties: { linger.ms: \"100\", statistics.interval.ms: \"1000\" }"
echo "Dec  6 11:00:00 host sshd[1]: Accepted password for root from 192.0.2.7 port 4 ssh2" \
  >>"$T/logs/app.log"
(cd "$T" && exec "$AGENT" -c agent.yaml 2>agent.err) &
agent=$!
warned() { grep -q "round trip to the brokers is" "$T/agent.err"; }
wait_for 60 "the warning about linger.ms" warned
CHECKS=$((CHECKS + 1))
grep -q "with linger.ms 100 librdkafka polls without sleeping" "$T/agent.err" ||
  fail "the warning does not name linger.ms 100: $(cat "$T/agent.err")"
# the round trip in a heartbeat sent after the statistics came
rtt_beat() {
  timeout 30 kcat -C -b "$BOOTSTRAP" -t soc.heartbeat -o beginning -e -q 2>/dev/null |
    python3 -c '
import json, sys
rtts = [json.loads(l)["socagent"]["forward"].get("broker_rtt_ms") for l in sys.stdin if l.strip()]
rtts = [r for r in rtts if r is not None]
sys.exit(0 if rtts and int(sys.argv[1]) <= rtts[-1] <= 5000 else 1)' "$RTT"
}
wait_for 60 "a heartbeat with the round trip ($RTT to 5000 ms)" rtt_beat
kill $agent
wait $agent
STATUS=$? LAST="socagent (linger.ms 100, stopped with SIGTERM)" ERR=$(cat "$T/agent.err")
expect_status 0
finish
