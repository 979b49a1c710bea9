#!/bin/bash
# A live log at a steady rate, as on an agency's server: how much of a core
# each pipeline takes to keep up. bench/feed.py appends mixed lines
# (bench/gen_mixed.py) to an empty file at RATE lines a second for SECONDS;
# each pipeline tails that file into the development broker:
#   socagent               ECS JSON, signed, to Kafka (no rules)
#   socagent, rules/log    the same with the shipped rules
#   rsyslog                imfile -> omkafka with a 3-field JSON template
# One after the other, each on a new file and topic. A pipeline's CPU
# (user + system) is taken from when the feed starts until it has delivered
# every line (the agent: its delivered counter, and with rules the
# detector's lines counter; rsyslog: the topic's watermarks), and divided by
# SECONDS: the share of one core it needs at that rate. The agent's CPU is
# also given by thread. Prints a Markdown table. RATE 0 measures an idle
# pipeline: nothing is fed for SECONDS.
#
#   bench/live.sh [BUILD_DIR] [RATE] [SECONDS]     (defaults: build 10000 20)
#
# Needs: python3, kcat, rsyslog and rsyslog-kafka (their row is left out
# without them).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
RATE=${2:-10000}
SECS=${3:-20}
N=$((RATE * SECS))
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
[ "$N" = 0 ] || python3 "$SRC/bench/gen_mixed.py" "$W/lines" "$N"
feed() { # DST: the lines at RATE, or SECONDS of nothing
  if [ "$N" = 0 ]; then sleep "$SECS"; else python3 "$SRC/bench/feed.py" "$W/lines" "$1" "$RATE"; fi
}
PARTS=4
"$BIN/tests/broker/socbroker" --partitions $PARTS --topics "agent.events,rules.events,rsyslog" \
  --bootstrap-file "$W/boot" </dev/null >/dev/null 2>&1 &
for _ in $(seq 100); do [ -s "$W/boot" ] && break; sleep 0.05; done
B=$(cat "$W/boot")

counter() { # DB INPUT NAME: a counter of the agent's store, 0 before it exists
  local v
  v=$(sqlite3 "$1" "SELECT value FROM counter WHERE input = '$2' AND name = '$3'" 2>/dev/null)
  echo "${v:-0}"
}
share() { echo "$1 / $SECS * 100" | bc -l; } # CPU-s -> % of a core
echo "| pipeline ($RATE lines/s for $SECS s) | % of a core | peak RSS MiB | by thread, % of a core |"
echo "| --- | --- | --- | --- |"

agent_run() { # NAME PREFIX with-rules(yes|no)
  local d=$W/$2 rules=$3 c0 c1 t0
  : >"$W/$2.log"
  agent_kafka_yaml "$d" "$W/$2.log" "$B" "$2"
  [ "$rules" = no ] || echo "rules: { log: [ \"$SRC/rules/log/*.yaml\" ] }" >>"$d/agent.yaml"
  "$BIN/agent/socagent" -c "$d/agent.yaml" 2>"$d/err" &
  local A=$!
  # started: its store is open; then a second to settle
  until_true 60 test -s "$d/state/agent.db"
  sleep 1
  c0=$(cpu_of $A)
  t0=$(threads_of $A)
  feed "$W/$2.log"
  caught_up() {
    [ "$(counter "$d/state/agent.db" forward delivered)" -ge "$N" ] 2>/dev/null || return 1
    [ "$rules" = no ] || [ "$(counter "$d/state/agent.db" detect lines)" -ge "$N" ] 2>/dev/null
  }
  until_true 300 caught_up
  c1=$(cpu_of $A)
  # each thread's CPU over the feed: the difference of two threads_of lines
  local by
  by=$(printf '%s\n%s\n' "$t0" "$(threads_of $A)" | awk -v s="$SECS" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[NR, i] = kv[2]; k[i] = kv[1] } n = NF }
    END { for (i = 1; i <= n; i++) printf "%s %.1f ", k[i], (v[2, i] - v[1, i]) / s * 100 }')
  printf '| %s | %.1f | %.1f | %s|\n' "$1" "$(share "$(echo "$c1 - $c0" | bc -l)")" \
    "$(echo "$(rss_of $A) / 1024" | bc -l)" "$by"
  kill $A
  wait $A 2>/dev/null || true
}

rsyslog_run() {
  command -v rsyslogd >/dev/null && [ -e /usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so ] || return 0
  : >"$W/rsyslog.log"
  rsyslog_conf "$W/r" "$W/rsyslog.log" "$B" rsyslog json
  rsyslogd -n -f "$W/r/rsyslog.conf" -i "$W/r/pid" 2>/dev/null &
  local R=$! c0 c1
  sleep 2
  c0=$(cpu_of $R)
  feed "$W/rsyslog.log"
  holds_all() { [ "$(watermark "$B" rsyslog $PARTS -1)" -ge "$N" ]; }
  until_true 300 holds_all
  c1=$(cpu_of $R)
  printf '| rsyslog imfile -> omkafka (3-field JSON template) | %.1f | %.1f | |\n' \
    "$(share "$(echo "$c1 - $c0" | bc -l)")" "$(echo "$(rss_of $R) / 1024" | bc -l)"
  kill $R
  wait $R 2>/dev/null || true
}

agent_run "socagent file -> Kafka (ECS JSON)" agent no
agent_run "socagent file -> Kafka, shipped rules (rules/log)" rules yes
rsyslog_run
echo
echo "input: mixed lines (bench/gen_mixed.py) at $RATE lines/s for $SECS s; broker: socbroker ($PARTS partitions); $(nproc) cores; $(date -u +%Y-%m-%d)"
