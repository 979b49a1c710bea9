#!/bin/bash
# The network syslog input against senders that misbehave (issue 17):
# a line feed inside an octet-counted frame stays inside that one message,
# in the journal and in the export.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
DUMP="$SOC_BIN/tests/journal_dump"
SEND="python3 $SOC_SRC/tests/integration/syslog_send.py"
T=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

read -r P_TCP <<<"$($SEND ports 1)"
STATE="$T/state"
cat >"$T/agent.yaml" <<YAML
agent: { id: t1, agency: test, authority: 1, state_dir: "$STATE", timezone: UTC }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
journal: { commit_interval: 100ms }
inputs:
  - { type: syslog, id: tcp-in, listen: "tcp://127.0.0.1:$P_TCP" }
kafka: { brokers: "127.0.0.1:9" }
YAML

"$AGENT" -c "$T/agent.yaml" 2>"$T/agent.err" &
PID=$!
run $SEND wait-tcp 127.0.0.1 "$P_TCP"
expect_status 0

# ---- a line feed inside an octet-counted frame -----------------------------
python3 - "$P_TCP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
msg = b"<13>Oct 11 22:14:15 web01 app: m=lf-inside first half\nOct 11 22:14:15 otherhost sshd: forged"
s.sendall(str(len(msg)).encode() + b" " + msg + b"27 <13>Oct 11 22:14:16 web01 x")
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
PY
kill -TERM "$PID"
wait "$PID"
PID=""
"$DUMP" "$STATE/agent.db" >"$T/dump.txt"
CHECKS=$((CHECKS + 1))
[ "$(wc -l <"$T/dump.txt")" = 2 ] && grep -q 'm=lf-inside first half\\x0aOct 11 22:14:15 otherhost sshd: forged$' "$T/dump.txt" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: the frame is not one journal line:" >&2; cat "$T/dump.txt" >&2; }
run "$CTL" -c "$T/agent.yaml" journal export
expect_status 0
expect_out "m=lf-inside first half#012Oct 11 22:14:15 otherhost sshd: forged"
CHECKS=$((CHECKS + 1))
[ "$(grep -c . <<<"$OUT")" = 2 ] || fail "export: $(grep -c . <<<"$OUT") lines, expected 2"
run "$CTL" -c "$T/agent.yaml" journal export --ecs
check_py "--ecs keeps the line feed inside the message" '
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines()]
assert len(evs) == 2, len(evs)
assert "first half\nOct 11 22:14:15 otherhost sshd: forged" in evs[0]["message"], evs[0]
assert evs[0]["host"]["name"] == "web01", evs[0]
' "$OUT"
finish
