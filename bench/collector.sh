#!/bin/bash
# Collector benchmark: events per second from Kafka into center.db, with one
# collector and with two in one consumer group (sharing one center.db), side
# by side in the same run with the read limit:
#   kcat -C      the same topic from the beginning to /dev/null (no group,
#                no parsing, no store): what librdkafka can hand over; and
#                again with fetch.wait.max.ms=10, which does not wait half
#                a second for the broker to say a partition has ended;
#   soccollector one member of a new group draining every event into
#                center.db (validation, the signature checked against the
#                agent's enrolled key, event.id dedup, SQLite, offsets
#                committed after each transaction);
#   2 x soccollector  two members of another new group, one center.db;
#   and both again on PostgreSQL (collector.store), a throwaway cluster of
#   Debian's postgresql on a Unix socket (tests/integration/pg_lib.sh), one
#   fresh database per run.
# The topic is loaded first by socagent itself (file -> journal -> ECS JSON ->
# lz4, as the agents forward), on enough partitions that the development
# broker keeps every message (it keeps only ~5 MB per partition; the script
# refuses to measure if a low watermark moved). By default one agent sends
# one event a message (events_per_message: 1), keyed by host: one agent's
# joined messages would all be keyed by its id, on one partition.
# AGENTS=K loads the topic as K agents instead (bench-a1 .. bench-aK, each
# with its own state dir and key, all enrolled; agent i tails the lines of
# the hosts h with h % K = i - 1, 256 / K hosts each), forwarding with the
# default events_per_message: what agents send, joined messages keyed by
# agent id, which land where those K ids hash to, as many agencies' agents
# would (AGENT_KAFKA still adds settings, e.g. 'events_per_message: 256').
# A collector run ends when center.db holds all N events; its seconds are
# counted from the first partition assignment (the group join, ~3 s of the
# mock broker's rebalance delay, is shown apart). CPU is user + system of
# the collectors, RSS their peak.
#
#   bench/collector.sh [BUILD_DIR] [EVENTS] [PARTITIONS]
#   AGENTS=16 bench/collector.sh [BUILD_DIR] [EVENTS] [PARTITIONS]
#
# The notes under the table say how the events lay on the topic (messages,
# events a message, partitions holding any, the busiest one's share) and,
# for two members, how many events each stored.
#
# PROFILE=FILE: the one-member run on PostgreSQL is also sampled by
# `perf record -a` into FILE, for `perf report --comm soccollector` and
# `--comm postgres` (where each side's time goes). CALLGRIND=FILE: that
# collector runs under valgrind --tool=callgrind instead (instruction counts
# per function, which the other engineers' load does not move; its rate is
# then meaningless).
#
# KEEP=1 keeps the work folder (each collector's log, center.db, the
# agents' state) and the PostgreSQL cluster's, and names them on stderr.
#
# Needs: kcat, sqlite3, python3, /usr/bin/time, postgresql (else its rows are
# left out). Only loopback.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-200000}
# The mock broker kept about 60,000 of these events per partition (its ~5 MB
# are of lz4 batches) and dropped older ones. The 256 host keys do not spread
# evenly (a partition may get three), so one partition per 8,000 events.
# Joined messages (AGENTS=K) take the same default, the same topic; but
# more partitions do not spread them, more agents do: the ids bench-a1..16
# put three agents on the busiest of 25 partitions (two of 16), and a
# joined message is about 80 B an event in lz4, so a partition keeps about
# 60,000 events too: 3/16 of N, N up to about 300,000 with AGENTS=16.
PARTS=${3:-$(((N + 7999) / 8000 > 16 ? (N + 7999) / 8000 : 16))}
AGENTS=${AGENTS:-}
case $AGENTS in
"" | [1-9] | [1-9][0-9] | 1[0-9][0-9] | 2[0-4][0-9] | 25[0-6]) ;;
*) echo "AGENTS=$AGENTS: expected 1 to 256 agents (one host at least each)" >&2; exit 2 ;;
esac
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
skip() { echo "no PostgreSQL rows: $*" >>"$W/notes"; PG_BIN=""; }
. "$SRC/tests/integration/pg_lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg
  if [ -n "${KEEP:-}" ]; then echo "kept $W ${PG_DIR:-}" >&2; else rm -rf "$W"; fi' EXIT
# The agent keys events by host.name: 256 hosts instead of the sample's one
# spread them over the partitions, as many hosts at many agencies would.
python3 "$SRC/bench/gen_lines.py" "$W/lines" "$N"
awk '{ sub(/ LabSZ /, " srv" (NR % 256) " "); print }' "$W/lines" >"$W/input.log"
# AGENTS=K: agent i's lines are those of its hosts
[ -z "$AGENTS" ] ||
  awk -v k="$AGENTS" -v w="$W" '{ print > (w "/input" (NR % 256 % k + 1) ".log") }' "$W/input.log"

"$BIN/tests/broker/socbroker" --partitions "$PARTS" --prefix bench \
  --bootstrap-file "$W/boot" </dev/null >/dev/null 2>&1 &
for _ in $(seq 100); do [ -s "$W/boot" ] && break; sleep 0.05; done
B=$(cat "$W/boot")

# events_in STATE_DIR [DATABASE]: events stored in center.db or in DATABASE,
# from the collectors' counters (committed with the events), which cost the
# store nothing to read where a count(*) every 50 ms would
EVENTS_SQL="select coalesce(sum(value), 0) from counter where name = 'events'"
events_in() {
  if [ -n "${2:-}" ]; then
    "$PG_BIN/psql" -h "$PG_DIR" -U soc -d "$2" -qAt -c "$EVENTS_SQL" 2>/dev/null || echo 0
  else
    sqlite3 "$1/center.db" "$EVENTS_SQL" 2>/dev/null || echo 0
  fi
}

# --- load: the agents forward N events (and a few heartbeats)
# AGENT_DIRS, AGENT_IDS and AGENT_LINES: each agent's folder, id and lines
if [ -z "$AGENTS" ]; then
  agent_kafka_yaml "$W/agent" "$W/input.log" "$B" bench
  # One event a message, keyed by host: joined messages (the default) are
  # keyed by the agent id, and this run's one agent would put every event on
  # one partition, which one member of a group reads alone (and the broker
  # keeps ~5 MB of). A center spreads joined events over its collectors by
  # agent: AGENTS=K.
  sed -i 's/topic_prefix: bench }/topic_prefix: bench, events_per_message: 1 }/' "$W/agent/agent.yaml"
  grep -q 'events_per_message: 1' "$W/agent/agent.yaml"
  AGENT_DIRS=("$W/agent") AGENT_IDS=(bench) AGENT_LINES=("$N")
else
  AGENT_DIRS=() AGENT_IDS=() AGENT_LINES=()
  for i in $(seq "$AGENTS"); do
    agent_kafka_yaml "$W/agent$i" "$W/input$i.log" "$B" bench "bench-a$i"
    AGENT_DIRS+=("$W/agent$i") AGENT_IDS+=("bench-a$i")
    AGENT_LINES+=("$(wc -l <"$W/input$i.log")")
  done
fi
AGENT_PIDS=()
for d in "${AGENT_DIRS[@]}"; do
  "$BIN/agent/socagent" -c "$d/agent.yaml" 2>"$d/err" &
  AGENT_PIDS+=($!)
done
# each agent's own count of delivered events (a joined message counts its
# events)
loaded() {
  local i
  for i in "${!AGENT_DIRS[@]}"; do
    [ "$(sqlite3 "${AGENT_DIRS[$i]}/state/agent.db" \
      "SELECT value FROM counter WHERE input = 'forward' AND name = 'delivered'" 2>/dev/null)" \
      -ge "${AGENT_LINES[$i]}" ] 2>/dev/null || return 1
  done
}
until_true 900 loaded
kill "${AGENT_PIDS[@]}"
wait "${AGENT_PIDS[@]}" 2>/dev/null || true
# Offsets count messages, joined or not: a low watermark above 0 means the
# broker dropped the oldest of a partition, whatever they held.
LOW=$(watermark "$B" bench.events "$PARTS" -2)
[ "$LOW" = 0 ] || {
  echo "the broker dropped $LOW messages (raise PARTITIONS; with AGENTS, raise AGENTS)" >&2
  exit 1
}
# each agent's key, for the operator's enrolment (none from a build before
# signatures)
KEYS=()
for d in "${AGENT_DIRS[@]}"; do
  KEYS+=("$("$BIN/agent/socagent" -c "$d/agent.yaml" --print-key 2>/dev/null |
    sed -n 's/^public key: *//p' || true)")
done
# how the events lie: messages (the high watermarks) and partitions holding any
MSGS=0 USED=0
for p in $(seq 0 $((PARTS - 1))); do
  h=$(kcat -Q -b "$B" -t "bench.events:$p:-1" 2>/dev/null | awk '{print $NF}' | tail -n 1)
  MSGS=$((MSGS + ${h:-0}))
  [ "${h:-0}" = 0 ] || USED=$((USED + 1))
done
BYTES=$(kcat -C -b "$B" -t bench.events -o beginning -e -q -f '%S\n' 2>/dev/null |
  awk '{s += $1} END {print s}')

echo "| consumer | events | seconds | events/s | CPU-s per 1M events | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"

# --- kcat -C: the read limit
t0=$(now)
/usr/bin/time -f "%U %S %M" -o "$W/kcat.time" \
  kcat -C -b "$B" -t bench.events -o beginning -e -q >/dev/null 2>&1
t1=$(now)
read -r u s m <"$W/kcat.time"
row "kcat -C (read limit, to /dev/null)" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"
# The same, without waiting for the end: kcat -e stops at the end of every
# partition, which a fetch that finds nothing new says only after the
# broker held it fetch.wait.max.ms (librdkafka's 500 ms), one or two such
# waits a run: at 200,000 events most of the row above (0.6-1.6 s, where
# this one took 0.07-0.3 s). A collector's run ends at its last row, with
# no such wait.
t0=$(now)
/usr/bin/time -f "%U %S %M" -o "$W/kcat.time" \
  kcat -C -b "$B" -t bench.events -o beginning -e -q -X fetch.wait.max.ms=10 >/dev/null 2>&1
t1=$(now)
read -r u s m <"$W/kcat.time"
row "kcat -C, fetch.wait.max.ms=10" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"

# --- soccollector: K members of a new group into one center.db
# pg_cpu: CPU seconds the PostgreSQL server spent so far: the postmaster,
# its live processes, and the backends that ended (reaped: cutime, cstime)
pg_cpu() {
  local pm c sum
  pm=$(head -1 "$PG_DIR/data/postmaster.pid")
  sum=$(awk '{print ($14+$15+$16+$17)/'"$(getconf CLK_TCK)"'}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do sum=$(echo "$sum + $(cpu_of "$c" 2>/dev/null || echo 0)" | bc -l); done
  echo "$sum"
}

# collectors K GROUP NAME [pg]: with pg, on a new database GROUP
collectors() {
  local k=$1 d="$W/$2" pids=() i t0 t1 tj cpu=0 rss=0 store="" db="" pg0=0
  mkdir -p "$d"
  if [ -n "${4:-}" ]; then
    db=$2
    "$PG_BIN/psql" -h "$PG_DIR" -U soc -d postgres -qAt -c "CREATE DATABASE $db" >/dev/null
    store=", store: \"postgresql://soc@/$db?host=$PG_DIR\""
  fi
  for i in $(seq "$k"); do
    cat >"$d/c$i.yaml" <<YAML
collector: { id: c$i, state_dir: $d/center$store }
kafka: { brokers: "$B", topic_prefix: bench, group_id: $2 }
YAML
  done
  # the operator's enrolment of each agent (a build from before signatures
  # has no such command, and checks nothing)
  for i in "${!AGENT_IDS[@]}"; do
    [ -n "${KEYS[$i]}" ] || continue
    "$BIN/collector/soccollector" -c "$d/c1.yaml" enroll "${AGENT_IDS[$i]}" --key "${KEYS[$i]}" \
      --agency bench >/dev/null
  done
  [ -n "$db" ] && pg0=$(pg_cpu)
  local perf=""
  if [ -n "${PROFILE:-}" ] && [ "$2" = pgone ]; then
    perf record -a -F 499 -o "$PROFILE" -q 2>/dev/null &
    perf=$!
  fi
  t0=$(now)
  local under=()
  [ -n "${CALLGRIND:-}" ] && [ "$2" = pgone ] &&
    under=(valgrind --tool=callgrind --callgrind-out-file="$CALLGRIND")
  for i in $(seq "$k"); do
    "${under[@]}" "$BIN/collector/soccollector" -c "$d/c$i.yaml" 2>"$d/c$i.err" &
    pids+=($!)
  done
  assigned() { grep -qs "assigned [1-9]" "$d"/c*.err; }
  until_true 60 assigned
  tj=$(now)
  all_in() { [ "$(events_in "$d/center" "$db")" -ge "$N" ]; }
  until_true 900 all_in
  t1=$(now)
  if [ -n "$perf" ]; then
    kill -INT "$perf"
    wait "$perf" 2>/dev/null || true
  fi
  for i in "${pids[@]}"; do
    cpu=$(echo "$cpu + $(cpu_of "$i")" | bc -l)
    rss=$((rss + $(rss_of "$i")))
  done
  row "$3" "$N" "$(echo "$t1 - $tj" | bc -l)" "$cpu" "$rss"
  echo "$3: group join $(echo "$tj - $t0" | bc -l | cut -c1-4) s before the first assignment" >>"$W/notes"
  # how the partitions shared the events: the busiest one's, and each member's
  local q
  q="select max(c), count(*) from (select partition, count(*) c from event group by partition)"
  if [ "$k" = 1 ] && [ -z "$db" ]; then
    echo "$3: the busiest of the $(sqlite3 -separator ' ' "$d/center/center.db" "$q" |
      awk '{print $2 " partitions holding events had " $1}') events" >>"$W/notes"
  fi
  q="select string_agg(collector || ' ' || value, ', ' order by collector) from counter where name = 'events'"
  if [ "$k" -gt 1 ]; then
    if [ -n "$db" ]; then
      q=$("$PG_BIN/psql" -h "$PG_DIR" -U soc -d "$db" -qAt -c "$q")
    else
      q=$(sqlite3 "$d/center/center.db" \
        "select group_concat(collector || ' ' || value, ', ') from (select * from counter where name = 'events' order by collector)")
    fi
    echo "$3: events stored by member: $q" >>"$W/notes"
  fi
  kill -TERM "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
  # A rebalance after the first assignment (the development broker has
  # answered a member's SyncGroup "Invalid request" when it came a few ms
  # after the leader's, then held the next rebalance ~45 s, the session
  # timeout): offsets not committed meanwhile, partitions read again. (A
  # commit that fails at the stop, when the other member left first, reads
  # nothing again and is not a note.)
  local redone
  redone=$(cat "$d"/c*.err | awk '/offset commit failed/ {f++}
    /stopped:/ {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^duplicate/) u += $i}
    END {if (u) printf "%d offset commits failed, %d events read again (duplicates)", f, u}')
  [ -z "$redone" ] ||
    echo "$3: A REBALANCE MID-RUN, the row measures it: $redone" >>"$W/notes"
  if [ -n "$db" ]; then
    sleep 1 # the backends end and are reaped
    echo "$3: the PostgreSQL server spent $(echo "($(pg_cpu) - $pg0) * 1000000 / $N" | bc -l |
      cut -c1-5) CPU-s per 1M events beside the collectors'" >>"$W/notes"
  fi
}
collectors 1 one "soccollector, 1 member"
collectors 2 two "soccollector, 2 members, one center.db"
start_pg >/dev/null 2>&1 || PG_BIN=""
if [ -n "$PG_BIN" ]; then
  collectors 1 pgone "soccollector on PostgreSQL, 1 member" pg
  collectors 2 pgtwo "soccollector on PostgreSQL, 2 members, one database" pg
fi

echo
cat "$W/notes"
if [ -z "$AGENTS" ]; then
  echo "load: 1 agent, one event a message keyed by host.name (events_per_message: 1)"
else
  echo "load: $AGENTS agents, $(echo "$N / $MSGS" | bc -l | cut -c1-6) events a message keyed by" \
    "agent id${AGENT_KAFKA:+ ($AGENT_KAFKA)}"
fi
echo "input: $N events, $BYTES bytes of ECS JSON (mean $((BYTES / N)) B) in $MSGS messages on" \
  "$USED of $PARTS partitions; broker: socbroker; $(nproc) cores; $(date -u +%Y-%m-%d)"
