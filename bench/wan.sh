#!/bin/bash
# A catch-up across a WAN: a file of LINES mixed lines (bench/gen_mixed.py)
# already written, sent to the development broker answering RTT ms late
# (socbroker --rtt), side by side in one run with kcat sending the same
# lines with the same producer settings (idempotent, acks=all, lz4). For
# each round trip, one fresh broker and, on it:
#   socagent   the daemon without rules, until its delivered counter holds
#              every line: CPU of the whole agent and of librdkafka's
#              threads (the part a broker thread polling without sleeping
#              shows in: docs/BENCHMARKS.md, step 43), and the wall time
#   kcat -P -l until it exits (all delivered)
# The agent's kafka.properties can be set for a run, to compare settings on
# one build: AGENT_PROPS='linger.ms: "20"', and other keys of its kafka
# block: AGENT_KAFKA='events_per_message: 64' (bench/lib.sh); kcat's the
# same way: KCAT_PROPS='-X linger.ms=500'. A round trip of 0 is loopback.
#
#   [AGENT_PROPS=...] [AGENT_KAFKA=...] [KCAT_PROPS=...] bench/wan.sh [BUILD_DIR] [LINES] [RTT_MS...]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-200000}
shift $(($# < 2 ? $# : 2))
RTTS=${*:-0 20 50 100}
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
python3 "$SRC/bench/gen_mixed.py" "$W/input.log" "$N"
PARTS=4

librdkafka_of() { threads_of "$1" | sed 's/.*librdkafka=\([0-9.]*\).*/\1/'; }

echo "agent kafka: {${AGENT_KAFKA:+$AGENT_KAFKA, }properties: {${AGENT_PROPS:-}}}; kcat: -z lz4 -X enable.idempotence=true -X acks=all ${KCAT_PROPS:-}"
echo
echo "| round trip ms | socagent CPU-s per 1M lines (librdkafka) | seconds | events/s | kcat CPU-s per 1M lines | seconds | lines/s | socagent ÷ kcat CPU | socagent peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for rtt in $RTTS; do
  rm -f "$W/boot"
  "$BIN/tests/broker/socbroker" --partitions $PARTS --topics wan.events,kcat --rtt "$rtt" \
    --bootstrap-file "$W/boot" </dev/null >/dev/null 2>&1 &
  BROKER=$!
  for _ in $(seq 100); do [ -s "$W/boot" ] && break; sleep 0.05; done
  B=$(cat "$W/boot")

  d=$W/a$rtt
  agent_kafka_yaml "$d" "$W/input.log" "$B" wan
  all_delivered() {
    [ "$(sqlite3 "$d/state/agent.db" \
      "SELECT value FROM counter WHERE input = 'forward' AND name = 'delivered'" \
      2>/dev/null)" -ge "$N" ] 2>/dev/null
  }
  t0=$(now)
  "$BIN/agent/socagent" -c "$d/agent.yaml" 2>"$d/err" &
  A=$!
  until_true 900 all_delivered
  t1=$(now)
  a_cpu=$(cpu_of $A)
  a_rdk=$(librdkafka_of $A)
  a_rss=$(rss_of $A)
  kill $A
  wait $A 2>/dev/null || true
  a_s=$(echo "$t1 - $t0" | bc -l)

  t0=$(now)
  # shellcheck disable=SC2086 # KCAT_PROPS is a list of options
  /usr/bin/time -f "%U %S" -o "$W/kcat.time" kcat -P -b "$B" -t kcat -l -z lz4 \
    -X enable.idempotence=true -X acks=all ${KCAT_PROPS:-} "$W/input.log"
  t1=$(now)
  read -r u s <"$W/kcat.time"
  k_cpu=$(echo "$u + $s" | bc -l)
  k_s=$(echo "$t1 - $t0" | bc -l)
  [ "$(watermark "$B" kcat $PARTS -1)" -ge "$N" ] || { echo "kcat: the topic is short" >&2; exit 1; }

  kill $BROKER
  wait $BROKER 2>/dev/null || true
  awk -v r="$rtt" -v n="$N" -v ac="$a_cpu" -v ar="$a_rdk" -v as="$a_s" -v kc="$k_cpu" -v ks="$k_s" -v m="$a_rss" 'BEGIN{
    printf "| %d | %.2f (%.2f) | %.1f | %.0f | %.2f | %.1f | %.0f | %.2f | %.1f |\n",
      r, ac * 1e6 / n, ar * 1e6 / n, as, n / as, kc * 1e6 / n, ks, n / ks, ac / kc, m / 1024 }'
done
