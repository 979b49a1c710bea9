#!/bin/bash
# Reload (SIGHUP) on a running agent: a broken rule file is refused with a
# clear error naming it, and the rules loaded before go on detecting; a good
# new rule set then replaces them and its new rule fires. Readiness and
# stopping are told to a service manager's notify socket (sd_notify).
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/logs" "$T/rules"
cat >"$T/agent.yaml" <<YAML
agent: { id: reload, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: app, paths: [ "logs/*.log" ], poll_interval: 20ms } ]
rules: { log: [ "rules/*.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
rule() { # id marker
  printf -- '- id: %s\n  title: marker %s\n  match: { any: [ { contains: "%s" } ] }\n  incident: { category: other, impact: tamper, severity: minor }\n' "$1" "$2" "$2"
}
rule TEST-ALPHA MARKER-ALPHA >"$T/rules/test.yaml"
line() { printf 'Nov 25 08:00:00 host1 app: %s\n' "$1" >>"$T/logs/app.log"; }

# the agent's notify socket: a datagram listener that writes what it gets
python3 - "$T/notify" "$T/notes" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n")
        out.flush()
PY
wait_for 10 "the notify socket" test -S "$T/notify"

count_of() { # rule -> the count of its open draft, or 0
  "$CTL" -c "$T/agent.yaml" drafts --json 2>/dev/null |
    python3 -c 'import json,sys; print(sum(d["count"] for d in json.load(sys.stdin) if d["rule"]==sys.argv[1]))' "$1"
}
count_is() { [ "$(count_of "$1")" = "$2" ]; }

line "MARKER-ALPHA first"
NOTIFY_SOCKET="$T/notify" "$AGENT" -c "$T/agent.yaml" 2>"$T/err" &
PID=$!
wait_for 30 "READY=1" grep -q "READY=1" "$T/notes"
wait_for 30 "the first draft" count_is TEST-ALPHA 1

# a broken rule file: refused, with the file and line, and the old rules stay
printf -- '- id: TEST-BROKEN\n  title: broken\n  match: { any: [ { regex: "(unclosed" } ] }\n' >"$T/rules/test.yaml"
kill -HUP $PID
wait_for 30 "the refusal" grep -q "reload refused" "$T/err"
run cat "$T/err"
expect_out "reload refused: the new rule set has errors"
expect_out "rules/test.yaml:"
expect_out "the 1 rule(s) loaded before stay active"
line "MARKER-ALPHA second"
wait_for 30 "detection with the old rules" count_is TEST-ALPHA 2
kill -0 $PID 2>/dev/null || fail "the agent died on a bad reload"

# a good new set: the new rule fires, the old one goes on
{ rule TEST-ALPHA MARKER-ALPHA; rule TEST-BETA MARKER-BETA; } >"$T/rules/test.yaml"
kill -HUP $PID
wait_for 30 "the new rules" grep -q "2 log rule(s) now active (1 before)" "$T/err"
line "MARKER-BETA first"
line "MARKER-ALPHA third"
wait_for 30 "the new rule's draft" count_is TEST-BETA 1
wait_for 30 "the old rule still" count_is TEST-ALPHA 3

kill -TERM $PID
wait $PID
STATUS=$?
expect_status 0
wait_for 30 "STOPPING=1" grep -q "STOPPING=1" "$T/notes"
run cat "$T/notes"
expect_out "RELOADING=1"
finish
