#!/bin/bash
# Forwarding across crashes: the agent is killed with SIGKILL 20 times while
# a writer appends (and rotates) and the forwarder sends. Afterwards every
# line must be in Kafka at least once, and every copy of a line must carry
# the same event.id, so the collector can drop the duplicates.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
T=$(mktemp -d)
seed_random
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T" --partitions 8
agent_config "$T" crash "logs/app.log"

python3 "$SOC_SRC/tests/integration/logwriter.py" "$T/logs" "$T/record" --lines 3000 \
  --rotate-every 700 --rate 600 --hosts 4 &
WRITER=$!
kills=0
while kill -0 $WRITER 2>/dev/null || [ $kills -lt 20 ]; do
  "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
  kill_after "$T/kills.log" $! "0.$((RANDOM % 3 + 2))"
  kills=$((kills + 1))
done
wait $WRITER
# one last run to the end: drain every file, deliver everything
"$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
pid=$!
run wait_delivered "$T/agent.yaml" 3000 90
expect_status 0
kill -TERM $pid
wait $pid
consume soc.events >"$T/events.tsv"
run python3 "$SOC_SRC/tests/integration/check_kafka.py" "$T/record" <"$T/events.tsv"
expect_status 0
expect_out "written=3000"
expect_out "missing=0"
expect_out "ids_differ=0"
echo "$kills kills: $OUT"
cat "$T/kills.log"
stop_broker
finish
