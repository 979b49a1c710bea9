#!/bin/bash
# Two system users share the state folder (issue 17): the agent runs as its
# own user with a 2770 folder of a group an analyst is in; after every
# start, whichever thread opened agent.db last (ingestion, detection,
# watched directories, the workflow), agent.db and its -wal and -shm stay
# 0660, and the analyst can use socctl on them.
# Needs root (useradd, runuser). Under CI=true a run without root fails
# rather than skips: there the test must be able to run.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "shared_state.sh needs root to make two users (useradd, runuser)"
AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
chmod 755 "$T"
SUF=$$
AU="socagt$SUF" AN="socana$SUF" GR="socgrp$SUF"
PID=""
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  userdel "$AU" 2>/dev/null
  userdel "$AN" 2>/dev/null
  groupdel "$GR" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
groupadd -r "$GR" || { echo "FAIL: groupadd" >&2; exit 1; }
useradd -r -M -d /nonexistent -s /usr/sbin/nologin -g "$GR" "$AU" || { echo "FAIL: useradd" >&2; exit 1; }
useradd -r -M -d /nonexistent -s /usr/sbin/nologin -G "$GR" "$AN" || { echo "FAIL: useradd" >&2; exit 1; }
mkdir -p "$T/state" "$T/logs" "$T/www"
chown "$AU:$GR" "$T/state"
chmod 2770 "$T/state"
printf 'Nov 25 08:00:00 host1 sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2\n' >"$T/logs/app.log"
echo '<html>hello</html>' >"$T/www/index.html"
chmod -R a+rX "$T/logs" "$T/www"
cat >"$T/agent.yaml" <<YAML
agent: { id: sh, agency: test, authority: 36, state_dir: "$T/state", timezone: UTC }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs:
  - { type: file, id: app, paths: [ "$T/logs/*.log" ], poll_interval: 20ms }
  - { type: watch, id: web, paths: [ "$T/www" ] }
rules: { log: [ "$SOC_SRC/rules/log/*.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
chmod 644 "$T/agent.yaml"

modes_ok() { # when
  local f m
  for f in "$T/state/agent.db" "$T/state/agent.db-wal" "$T/state/agent.db-shm"; do
    [ -e "$f" ] || continue
    m=$(stat -c %a "$f")
    CHECKS=$((CHECKS + 1))
    [ "$m" = 660 ] || fail "$1: $f is $m, expected 660"
  done
}

for i in 1 2 3; do
  run runuser -u "$AU" -- "$AGENT" -c "$T/agent.yaml" --oneshot
  expect_status 0
  modes_ok "oneshot $i"
  run runuser -u "$AN" -- "$CTL" -c "$T/agent.yaml" status
  expect_status 0
  expect_out "agent sh (test, authority 36)"
done
runuser -u "$AU" -- "$AGENT" -c "$T/agent.yaml" 2>"$T/agent.err" &
PID=$!
for _ in $(seq 100); do
  [ -n "$(runuser -u "$AN" -- "$CTL" -c "$T/agent.yaml" status --json 2>/dev/null | grep '"broker"')" ] && break
  sleep 0.1
done
sleep 1 # the workflow and watch threads have opened their connections by now
modes_ok "daemon running"
run runuser -u "$AN" -- "$CTL" -c "$T/agent.yaml" journal export
expect_status 0
expect_out "Failed password for root"
run runuser -u "$AN" -- "$CTL" -c "$T/agent.yaml" journal verify
expect_status 0
kill -TERM "$PID"
wait "$PID"
PID=""
modes_ok "daemon stopped"
run runuser -u "$AN" -- "$CTL" -c "$T/agent.yaml" drafts
expect_status 0
finish
