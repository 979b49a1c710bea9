#!/bin/bash
# End-to-end benchmark: a 1-million-line file into Kafka, side by side in
# one run on the same development broker (tests/broker/socbroker):
#   socagent   file -> journal -> ECS JSON -> Kafka (idempotent, acks=all, lz4)
#   rsyslog    imfile -> omkafka (the line as it is, no JSON; with mixed
#              input also a 3-field JSON template)
#   kcat -P -l the raw limit: lines as they are, no parsing, no journal
# With INPUT "mixed" the lines come from bench/gen_mixed.py (sshd, nginx,
# iptables, cron, sudo, with attackers in them) instead of the sshd sample,
# and socagent runs a second time with the shipped rules (rules/log): that
# run ends when the topic holds every line and the detector has looked at
# every line (its "lines" counter in agent.db).
# With REPEAT=K (default 1) the socagent and kcat rows are taken K times,
# interleaved (without rules, with rules, kcat; then again), each time on an
# empty topic and a new state, and the run ends with the ratios of each
# round and their medians: on a shared machine one round's ratio moves by
# ±15-30 %, the median of a few far less. rsyslog runs once.
# Each socagent row is also given by thread (ingest, detect, forward,
# librdkafka: the agent names its threads), since one thread's CPU moves far
# less than the process's; with mixed input `socctl rules test` runs the same
# rules on the same lines (what matching itself costs, parse included).
# AGENT_KAFKA and AGENT_PROPS set more of the agents' kafka map and
# kafka.properties (bench/lib.sh), e.g. AGENT_PROPS='queue.buffering.max.kbytes:
# "4096"', to compare settings on one build.
# Each run starts from an empty topic; it ends when the topic's high
# watermarks add up to the number of lines (socagent: when its own count of
# delivered events does; kafka.events_per_message puts up to 256 events in
# one message). Reports lines/s, CPU-seconds per
# million lines and peak RSS, as a Markdown table.
#
#   [REPEAT=K] bench/forward.sh [BUILD_DIR] [LINES] [sshd|mixed]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-1000000}
INPUT=${3:-sshd}
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
if [ "$INPUT" = mixed ]; then
  python3 "$SRC/bench/gen_mixed.py" "$W/input.log" "$N"
else
  python3 "$SRC/bench/gen_lines.py" "$W/input.log" "$N"
fi
PARTS=4
REPEAT=${REPEAT:-1}
TOPICS=rsyslog,rsyslogjson
for r in $(seq "$REPEAT"); do TOPICS=$TOPICS,agent$r.events,rules$r.events,kcat$r; done

# sum of the high watermarks of topic $1
produced() { watermark "$B" "$1" $PARTS -1; }
wait_topic() { # topic count timeout
  local topic=$1 count=$2
  holds_all() { [ "$(produced "$topic")" -ge "$count" ]; }
  until_true "$3" holds_all
}
wait_delivered() { # agent_dir count timeout: the agent's delivered counter (events)
  local db=$1/state/agent.db count=$2
  all_delivered() {
    [ "$(sqlite3 "$db" "SELECT value FROM counter WHERE input = 'forward' AND name = 'delivered'" \
      2>/dev/null)" -ge "$count" ] 2>/dev/null
  }
  until_true "$3" all_delivered
}

"$BIN/tests/broker/socbroker" --partitions $PARTS --topics "$TOPICS" \
  --bootstrap-file "$W/boot" </dev/null >/dev/null 2>&1 &
for _ in $(seq 100); do [ -s "$W/boot" ] && break; sleep 0.05; done
B=$(cat "$W/boot")

echo "| pipeline | lines | seconds | lines/s | CPU-s per 1M lines | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"

# cpu_per_m CPU_SECONDS: CPU-s per 1M lines, for the ratios
cpu_per_m() { echo "$1 * 1000000 / $N" | bc -l; }

# --- socagent: the daemon, until the topic holds every line (round $1)
agent_round() {
  local d=$W/a$1
  agent_kafka_yaml "$d" "$W/input.log" "$B" agent$1
  t0=$(now)
  "$BIN/agent/socagent" -c "$d/agent.yaml" 2>"$d/err" &
  A=$!
  wait_delivered "$d" "$N" 900
  t1=$(now)
  local c
  c=$(cpu_of $A)
  row "socagent file -> Kafka (ECS JSON)" "$N" "$(echo "$t1 - $t0" | bc -l)" "$c" "$(rss_of $A)"
  CPU_WITHOUT[$1]=$(cpu_per_m "$c")
  THREADS_WITHOUT[$1]=$(threads_of $A)
  kill $A; wait $A 2>/dev/null || true
}

# --- socagent with the shipped rules: also until the detector has seen every line
rules_round() {
  local d=$W/d$1
  agent_kafka_yaml "$d" "$W/input.log" "$B" rules$1
  echo "rules: { log: [ \"$SRC/rules/log/*.yaml\" ] }" >>"$d/agent.yaml"
  detected() {
    [ "$(sqlite3 "$d/state/agent.db" \
      "SELECT value FROM counter WHERE input = 'detect' AND name = 'lines'" 2>/dev/null)" \
      -ge "$N" ] 2>/dev/null
  }
  t0=$(now)
  "$BIN/agent/socagent" -c "$d/agent.yaml" 2>"$d/err" &
  A=$!
  wait_delivered "$d" "$N" 900
  until_true 900 detected
  t1=$(now)
  local c
  c=$(cpu_of $A)
  row "socagent file -> Kafka, shipped rules (rules/log)" "$N" "$(echo "$t1 - $t0" | bc -l)" \
    "$c" "$(rss_of $A)"
  CPU_WITH[$1]=$(cpu_per_m "$c")
  THREADS_WITH[$1]=$(threads_of $A)
  kill $A; wait $A 2>/dev/null || true
  sqlite3 "$d/state/agent.db" "SELECT name, value FROM counter WHERE input = 'detect'" |
    tr '\n' ' ' | sed 's/^/detector: /' >"$W/counters"
}

# --- kcat -P -l: the raw limit
kcat_round() {
  t0=$(now)
  /usr/bin/time -f "%U %S %M" -o "$W/kcat.time" kcat -P -b "$B" -t kcat$1 -l -z lz4 \
    -X acks=all -X enable.idempotence=true "$W/input.log"
  wait_topic kcat$1 "$N" 900
  t1=$(now)
  read -r u s m < "$W/kcat.time"
  row "kcat -P -l (raw line, no journal)" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"
  CPU_KCAT[$1]=$(cpu_per_m "$(echo "$u + $s" | bc -l)")
}

declare -a CPU_WITHOUT CPU_WITH CPU_KCAT THREADS_WITHOUT THREADS_WITH
# --- rsyslog: imfile -> omkafka, the line as it is; with mixed input also a
# 3-field JSON template (time, host, message)
rsyslog_run() { # NAME TOPIC TEMPLATE
  rsyslog_conf "$W/r" "$W/input.log" "$B" "$2" "$3"
  rm -f "$W/r/imfile-state"*
  t0=$(now)
  rsyslogd -n -f "$W/r/rsyslog.conf" -i "$W/r/pid" 2>/dev/null &
  R=$!
  wait_topic "$2" "$N" 900
  t1=$(now)
  row "$1" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(cpu_of $R)" "$(rss_of $R)"
  kill $R; wait $R 2>/dev/null || true
}
rsyslog_run "rsyslog imfile -> omkafka (raw line)" rsyslog line
[ "$INPUT" != mixed ] || rsyslog_run "rsyslog imfile -> omkafka (3-field JSON template)" rsyslogjson json

for r in $(seq "$REPEAT"); do
  agent_round "$r"
  [ "$INPUT" != mixed ] || rules_round "$r"
  kcat_round "$r"
done
# --- what matching alone costs: socctl rules test on the same lines, the
# same rules, the parse included (no journal, no store, no Kafka); the bar
# the agent's detector thread is held to
if [ "$INPUT" = mixed ]; then
  t0=$(now)
  /usr/bin/time -f "%U %S %M" -o "$W/match.time" "$BIN/ctl/socctl" rules test \
    $(printf -- '-r %s ' "$SRC"/rules/log/*.yaml) --timezone +08:00 -q "$W/input.log"
  t1=$(now)
  read -r u s m < "$W/match.time"
  row "socctl rules test, shipped rules (parse + match + correlate)" "$N" \
    "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"
fi
# --- CrowdSec replaying the same lines, when it is installed (the first
# CROWDSEC_LINES of them: its default scenarios take about 1 CPU-ms a line;
# 0: not at all)
if [ "$INPUT" = mixed ] && [ "${CROWDSEC_LINES:-1}" != 0 ] && command -v crowdsec >/dev/null; then
  "$SRC/bench/crowdsec.sh" "$W/input.log" "${CROWDSEC_LINES:-100000}"
fi
echo
[ -s "$W/counters" ] 2>/dev/null && cat "$W/counters" && echo
# each socagent row by thread, CPU-s per 1M lines
per_m() { # "k=v ..." -> the same per 1M lines
  local kv out=""
  for kv in $1; do out="$out ${kv%%=*}=$(printf %.2f "$(cpu_per_m "${kv#*=}")")"; done
  echo "${out# }"
}
for r in $(seq "$REPEAT"); do
  echo "round $r threads, CPU-s per 1M lines: without rules $(per_m "${THREADS_WITHOUT[$r]}")"
  [ "$INPUT" != mixed ] || echo "round $r threads, CPU-s per 1M lines: with rules    $(per_m "${THREADS_WITH[$r]}")"
done
echo
# the ratios of each round and, over rounds, their medians
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
if [ "$REPEAT" -gt 1 ] || [ "$INPUT" = mixed ]; then
  declare -a R_WITH R_KCAT R_DETECT
  for r in $(seq "$REPEAT"); do
    R_KCAT[$r]=$(echo "${CPU_WITHOUT[$r]} / ${CPU_KCAT[$r]}" | bc -l)
    line="round $r: without rules / kcat $(printf %.2f "${R_KCAT[$r]}")"
    if [ "$INPUT" = mixed ]; then
      R_WITH[$r]=$(echo "${CPU_WITH[$r]} / ${CPU_WITHOUT[$r]}" | bc -l)
      # the detector thread's share: with <= 1.25x without needs it (and
      # what it costs the other threads) at most 0.25x without
      d=$(per_m "${THREADS_WITH[$r]}" | sed 's/.*detect=\([0-9.]*\).*/\1/')
      R_DETECT[$r]=$(echo "$d / ${CPU_WITHOUT[$r]}" | bc -l)
      line="$line; with rules / without $(printf %.2f "${R_WITH[$r]}")"
      line="$line; detector thread / without $(printf %.2f "${R_DETECT[$r]}")"
    fi
    echo "$line"
  done
  line="median of $REPEAT: without rules / kcat $(printf %.2f "$(median "${R_KCAT[@]}")")"
  [ "$INPUT" != mixed ] || line="$line; with rules / without $(printf %.2f "$(median "${R_WITH[@]}")")"
  [ "$INPUT" != mixed ] || line="$line; detector thread / without $(printf %.2f "$(median "${R_DETECT[@]}")")"
  echo "$line"
  echo
fi
echo "input: $INPUT, $N lines, $(stat -c %s "$W/input.log") bytes; broker: socbroker ($PARTS partitions); $(nproc) cores; $(date -u +%Y-%m-%d)"
