#!/bin/bash
# Collector benchmark: events per second from Kafka into center.db, with one
# collector and with two in one consumer group (sharing one center.db), side
# by side in the same run with the read limit:
#   kcat -C      the same topic from the beginning to /dev/null (no group,
#                no parsing, no store): what librdkafka can hand over;
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
# refuses to measure if a low watermark moved). A collector run ends when
# center.db holds all N events; its seconds are counted from the first
# partition assignment (the group join, ~3 s of the mock broker's
# rebalance delay, is shown apart). CPU is user + system of the collectors,
# RSS their peak.
#
#   bench/collector.sh [BUILD_DIR] [EVENTS] [PARTITIONS]
#
# PROFILE=FILE: the one-member run on PostgreSQL is also sampled by
# `perf record -a` into FILE, for `perf report --comm soccollector` and
# `--comm postgres` (where each side's time goes). CALLGRIND=FILE: that
# collector runs under valgrind --tool=callgrind instead (instruction counts
# per function, which the other engineers' load does not move; its rate is
# then meaningless).
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
PARTS=${3:-$(((N + 7999) / 8000 > 16 ? (N + 7999) / 8000 : 16))}
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
skip() { echo "no PostgreSQL rows: $*" >>"$W/notes"; PG_BIN=""; }
. "$SRC/tests/integration/pg_lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; rm -rf "$W"' EXIT
# The agent keys events by host.name: 256 hosts instead of the sample's one
# spread them over the partitions, as many hosts at many agencies would.
python3 "$SRC/bench/gen_lines.py" "$W/lines" "$N"
awk '{ sub(/ LabSZ /, " srv" (NR % 256) " "); print }' "$W/lines" >"$W/input.log"

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

# --- load: the agent forwards N events (and a few heartbeats)
agent_kafka_yaml "$W/agent" "$W/input.log" "$B" bench
# One event a message, keyed by host: joined messages (the default) are keyed
# by the agent id, and this run's one agent would put every event on one
# partition, which one member of a group reads alone (and the broker keeps
# ~5 MB of). A center spreads joined events over its collectors by agent.
sed -i 's/topic_prefix: bench }/topic_prefix: bench, events_per_message: 1 }/' "$W/agent/agent.yaml"
grep -q 'events_per_message: 1' "$W/agent/agent.yaml"
"$BIN/agent/socagent" -c "$W/agent/agent.yaml" 2>"$W/agent/err" &
A=$!
# its own count of delivered events (kafka.events_per_message joins up to
# 64 events in one message, all of an agent's on one partition)
loaded() {
  [ "$(sqlite3 "$W/agent/state/agent.db" \
    "SELECT value FROM counter WHERE input = 'forward' AND name = 'delivered'" 2>/dev/null)" \
    -ge "$N" ] 2>/dev/null
}
until_true 900 loaded
kill $A
wait $A 2>/dev/null || true
LOW=$(watermark "$B" bench.events "$PARTS" -2)
[ "$LOW" = 0 ] || { echo "the broker dropped $LOW events (raise PARTITIONS)" >&2; exit 1; }
KEY=$("$BIN/agent/socagent" -c "$W/agent/agent.yaml" --print-key 2>/dev/null |
  sed -n 's/^public key: *//p' || true)
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
  # the operator's enrolment of the agent (a build from before signatures
  # has no such command, and checks nothing)
  if [ -n "$KEY" ]; then
    "$BIN/collector/soccollector" -c "$d/c1.yaml" enroll bench --key "$KEY" --agency bench \
      >/dev/null
  fi
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
  kill -TERM "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
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
echo "input: $N events, $BYTES bytes of ECS JSON (mean $((BYTES / N)) B) on $PARTS partitions;" \
  "broker: socbroker; $(nproc) cores; $(date -u +%Y-%m-%d)"
