#!/bin/bash
# Nothing lost, nothing doubled: a writer appends numbered lines and rotates
# (rename, copytruncate, both) while the agent is killed with SIGKILL at
# random instants (seeded, each logged), 25 times. Afterwards the journal must hold every line
# the writer wrote exactly once.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
seed_random
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

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
    --lines 20000 --rotate-every 1500 --mode "$mode" --rate 4000 --long-every 997 &
  local writer=$! kills=0
  while kill -0 $writer 2>/dev/null || [ $kills -lt 25 ]; do
    "$AGENT" -c "$dir/agent.yaml" 2>>"$dir/agent.err" &
    kill_after "$dir/kills.log" $! "0.$((RANDOM % 4 + 1))"
    kills=$((kills + 1))
  done
  wait $writer
  run "$AGENT" -c "$dir/agent.yaml" --oneshot
  expect_status 0
  run bash -c "'$CTL' -c '$dir/agent.yaml' journal export | python3 '$SOC_SRC/tests/integration/check_journal.py' '$dir/record'"
  expect_status 0
  expect_out "written=20000 journal=20000 missing=0 duplicated=0"
  echo "$name: $kills kills: $OUT"
  cat "$dir/kills.log"
}

# rename rotation, rotated files no longer match: drained through the open
# descriptor, or found again by inode after a restart
scenario rename rename "logs/app.log"
# copytruncate and rename alternating, rotated files match the glob: copies
# are recognised by their fingerprint and not read twice
scenario mixed mixed "logs/app.log*"

finish
