#!/bin/bash
# Nothing lost, nothing doubled: a writer appends numbered lines and rotates
# (rename, copytruncate, both) while the agent is killed with SIGKILL at
# random instants (seeded, each logged), 25 times. Afterwards the journal must hold every line
# the writer wrote exactly once. The writer renames a file away only once the
# agent has taken it in (logwriter.py --known-by): what is promised for a file
# that leaves the glob, and what a loaded machine may not reach in time.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
seed_random
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

# knows DIR: the agent of DIR has a stream for the current logs/app.log
knows() {
  python3 - "$1/state/agent.db" "$1/logs/app.log" <<'PY'
import os, sqlite3, sys
try:
    ino = os.stat(sys.argv[2]).st_ino
    c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=1)
    sys.exit(0 if c.execute("select 1 from file_stream where ino = ?", (ino,)).fetchone() else 1)
except (OSError, sqlite3.Error):
    sys.exit(1)
PY
}

scenario() { # name mode glob
  local name=$1 mode=$2 glob=$3 dir="$T/$1"
  mkdir -p "$dir/logs"
  cat > "$dir/agent.yaml" <<YAML
agent: { id: kill-$name, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs:
  - { type: file, id: app, paths: [ "$glob" ], poll_interval: 20ms, rotate_wait: 200ms }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9092" }
YAML
  python3 "$SOC_SRC/tests/integration/logwriter.py" "$dir/logs" "$dir/record" \
    --lines 20000 --rotate-every 1500 --mode "$mode" --rate 4000 --long-every 997 \
    --known-by "$dir/state/agent.db" &
  local writer=$! kills=0
  while kill -0 $writer 2>/dev/null || [ $kills -lt 25 ]; do
    "$AGENT" -c "$dir/agent.yaml" 2>>"$dir/agent.err" &
    local agent=$!
    # every other run is killed only once it has taken in the current file,
    # so the writer, which waits for that before a rename, always gets on
    # however slowly a loaded machine starts the agent; the others die at
    # any instant, starting up included
    if [ $((kills % 2)) = 1 ] && kill -0 $writer 2>/dev/null; then
      wait_for 120 "the agent ($name) to take in logs/app.log" knows "$dir"
    fi
    kill_after "$dir/kills.log" $agent "0.$((RANDOM % 4 + 1))"
    kills=$((kills + 1))
  done
  wait $writer || fail "$name: the writer failed (logwriter.py)"
  run "$AGENT" -c "$dir/agent.yaml" --oneshot
  expect_status 0
  local fails=$FAILS
  run bash -c "'$CTL' -c '$dir/agent.yaml' journal export | python3 '$SOC_SRC/tests/integration/check_journal.py' '$dir/record'"
  expect_status 0
  expect_out "written=20000 journal=20000 missing=0 duplicated=0"
  echo "$name: $kills kills: $OUT"
  cat "$dir/kills.log"
  # Seen once under load (a copytruncate chunk read twice): which stream
  # took which positions, and what the agents said, is what would tell how.
  if [ "$FAILS" -ne "$fails" ]; then
    echo "--- $name: file streams (id, path, ino, fp_len, offset, state, flags)"
    sqlite3 "$dir/state/agent.db" "SELECT id, path, ino, fp_len, offset, state, flags FROM file_stream ORDER BY id"
    echo "--- $name: journal blocks (id, stream, first_pos, last_pos, lines)"
    sqlite3 "$dir/state/agent.db" "SELECT id, stream, first_pos, last_pos, lines FROM journal_block ORDER BY id"
    echo "--- $name: the agents' stderr, last 40 lines"
    tail -40 "$dir/agent.err"
  fi >&2
}

# rename rotation, rotated files no longer match: drained through the open
# descriptor, or found again by inode after a restart
scenario rename rename "logs/app.log"
# copytruncate and rename alternating, rotated files match the glob: copies
# are recognised by their fingerprint and not read twice
scenario mixed mixed "logs/app.log*"

finish
