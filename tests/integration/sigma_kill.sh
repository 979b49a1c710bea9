#!/bin/bash
# Sigma correlation rules (docs/SIGMA.md) across kill -9: an agent killed
# again and again while it detects ends with exactly the correlation alerts
# of an undisturbed run (no firing lost or doubled), for each type: a count
# that is reached (of one rule and of two), a count that must stay low
# (decided when its window closes), both rules in any order, and one after
# the other.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/sigma"
base() { # id name text
  cat >"$T/sigma/$1.yml" <<YAML
title: $3
id: $1
name: $2
logsource: { product: linux, service: sshd }
detection:
  keywords: [ '$3' ]
  condition: keywords
YAML
}
base t-fail fail 'Failed password'
base t-invalid invalid 'Invalid user'
corr() { # id body
  printf 'title: %s\nid: %s\ncorrelation:\n%s\n' "$1" "$1" "$2" >"$T/sigma/$1.yml"
}
corr c-count '  type: event_count
  rules: [ fail ]
  timespan: 1m
  condition: { gte: 5 }'
corr c-low '  type: event_count
  rules: [ invalid ]
  timespan: 30s
  condition: { lte: 2 }'
corr c-both '  type: event_count
  rules: [ fail, invalid ]
  timespan: 1m
  condition: { gte: 10 }'
corr c-temporal '  type: temporal
  rules: [ fail, invalid ]
  timespan: 10s'
corr c-ordered '  type: temporal_ordered
  rules: [ invalid, fail ]
  timespan: 5s'

config() {
  mkdir -p "$1/logs"
  cat >"$1/agent.yaml" <<YAML
agent: { id: sk, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: auth, paths: [ "logs/*.log" ], poll_interval: 20ms } ]
rules: { sigma: [ "$T/sigma" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
  # ten days of loghub's OpenSSH sample (20,000 lines): long enough to be
  # killed in the middle of (the sample's last line has no newline: added)
  for day in $(seq 10 19); do
    sed "s/^Dec 10 /Dec $day /" "$SOC_TEST_DATA/logs/OpenSSH_2k.log"
    echo
  done >"$1/logs/auth.log"
}
config "$T/calm"
config "$T/crash"
run "$AGENT" -c "$T/calm/agent.yaml" --oneshot
expect_status 0
expect_err "7 Sigma rule(s) loaded, 0 refused"
seed_random
for _ in $(seq 10); do
  "$AGENT" -c "$T/crash/agent.yaml" 2>/dev/null &
  kill_after "$T/kills.log" $! "0.$((RANDOM % 3))$((RANDOM % 9 + 1))"
done
cat "$T/kills.log"
"$AGENT" -c "$T/crash/agent.yaml" --oneshot 2>/dev/null
summary() {
  "$CTL" -c "$1" alerts --json | python3 -c '
import json, sys
print(sorted((a["rule"], a["key"], a["count"], a["first_seen"], a["last_seen"]) for a in json.load(sys.stdin)))'
}
summary "$T/calm/agent.yaml" >"$T/calm.txt"
summary "$T/crash/agent.yaml" >"$T/crash.txt"
check_py "every type fired, and only the correlations made alerts" '
import ast, sys
s = ast.literal_eval(open(sys.argv[1]).read())
assert {a[0] for a in s} == {"c-count", "c-both", "c-low", "c-temporal", "c-ordered"}, s' "$T/calm.txt"
CHECKS=$((CHECKS + 1))
cmp -s "$T/calm.txt" "$T/crash.txt" ||
  fail "correlation alerts differ after kill -9: $(diff "$T/calm.txt" "$T/crash.txt")"
finish
