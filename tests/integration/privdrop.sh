#!/bin/bash
# A root start without systemd: the agent opens its inputs as root (here a
# syslog listener on a privileged port), then becomes agent.user before any
# thread starts. Every thread must show the user's ids, no capability but
# CAP_NET_RAW (and that one only with a pcap interface input), no way back
# (bounding set, no_new_privs), and the state folder must be the user's.
# Needs root: the CI runs as root (and fails the test without it); elsewhere
# the test is skipped.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] ||
  skip "privdrop.sh starts the agent as root to watch it drop privileges; run it as root (the CI does)"
AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
chmod 755 "$T" # the user must reach the log file and the config (reload)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir "$T/logs"
printf 'Nov 25 08:00:00 host1 app: hello\n' >"$T/logs/app.log"
chmod 644 "$T/logs/app.log"
USER_ID=$(id -u nobody)
GROUP_ID=$(getent group nogroup | cut -d: -f3)
PORT=$(python3 -c 'import random; print(random.randrange(600, 1000))')

config() { # extra input lines
  cat >"$T/agent.yaml" <<YAML
agent: { id: pd, agency: test, authority: 36, state_dir: state, user: nobody, group: nogroup }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs:
  - { type: file, id: app, paths: [ "logs/*.log" ], poll_interval: 20ms }
  - { type: syslog, id: net, listen: "udp://127.0.0.1:$PORT" }
$1
rules: { log: [ "$SOC_SRC/rules/log/*.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
}

# start_agent: runs it, waits for its threads (detector, librdkafka)
threads_up() { [ "$(ls /proc/$PID/task 2>/dev/null | wc -l)" -ge 3 ]; }
start_agent() {
  "$AGENT" -c "$T/agent.yaml" 2>"$T/err" &
  PID=$!
  wait_for 10 "the agent's threads" threads_up
}

# every_task FIELD VALUE: in each thread's /proc status, FIELD is VALUE (fields
# joined by one space)
every_task() {
  local t n=0 bad=0
  for t in /proc/$PID/task/*; do
    n=$((n + 1))
    [ "$(awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$t/status")" = "$2" ] || bad=1
  done
  CHECKS=$((CHECKS + 1))
  [ $n -ge 3 ] && [ $bad -eq 0 ] || {
    FAILS=$((FAILS + 1))
    echo "FAIL: $1 is not '$2' in all of $n thread(s):" >&2
    grep -H "^$1:" /proc/$PID/task/*/status >&2
  }
}

# --- with a pcap interface input: CAP_NET_RAW stays, nothing else
config '  - { type: pcap, id: cap, interface: lo }'
start_agent
every_task Uid "$USER_ID $USER_ID $USER_ID $USER_ID"
every_task Gid "$GROUP_ID $GROUP_ID $GROUP_ID $GROUP_ID"
every_task Groups "$GROUP_ID"
every_task CapEff 0000000000002000
every_task CapPrm 0000000000002000
every_task CapBnd 0000000000002000
every_task CapAmb 0000000000000000
every_task NoNewPrivs 1
# the privileged port was bound before the drop: a message sent to it lands
python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"<13>Nov 25 08:00:01 host2 app: over udp", ("127.0.0.1", int(sys.argv[1])))' $PORT
over_udp() { "$CTL" -c "$T/agent.yaml" journal export 2>/dev/null | grep -q "over udp"; }
wait_for 10 "the message over udp in the journal" over_udp
run "$CTL" -c "$T/agent.yaml" journal export
expect_out "over udp"
expect_out "hello"
kill -TERM $PID
wait $PID
STATUS=$?
expect_status 0
run cat "$T/err"
expect_out "running as user nobody (uid $USER_ID, gid $GROUP_ID) with CAP_NET_RAW only"
run stat -c '%U:%G %a' "$T/state" "$T/state/agent.db"
expect_out "nobody:nogroup 750"
expect_out "nobody:nogroup 660"

# --- without one: no capability at all
config ''
start_agent
every_task Uid "$USER_ID $USER_ID $USER_ID $USER_ID"
every_task CapEff 0000000000000000
every_task CapPrm 0000000000000000
every_task CapBnd 0000000000000000
kill -TERM $PID
wait $PID
STATUS=$?
expect_status 0
run cat "$T/err"
expect_out "with no capabilities"

# --- an unknown user stops --check-config and the start
sed -i 's/user: nobody, group: nogroup/user: no-such-user-here/' "$T/agent.yaml"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "agent.user: no user 'no-such-user-here' on this system"
finish
