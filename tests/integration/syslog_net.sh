#!/bin/bash
# The network syslog input, end to end: a running socagent with UDP and
# TCP listeners on loopback, several senders at once, every framing and
# every malformed case the issue names; then, after SIGTERM (the agent
# commits on the way out), the journal must hold every message exactly
# once, from the right sender, cut and flagged where it should be, and the
# counters must say what happened. A second run fills the journal's memory
# on purpose (backpressure) and continues the positions of the first.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
DUMP="$SOC_BIN/tests/journal_dump"
SEND="python3 $SOC_SRC/tests/integration/syslog_send.py"
T=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

read -r P_UDP P_TCP P_TCP6 P_JTCP P_JUDP <<<"$($SEND ports 5)"
STATE="$T/state"

cat >"$T/agent.yaml" <<YAML
agent: { id: t1, agency: test, authority: 1, state_dir: "$STATE", timezone: UTC }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
journal: { commit_interval: 100ms }
inputs:
  - { type: syslog, id: udp-in, listen: "udp://127.0.0.1:$P_UDP", max_message_bytes: 1024 }
  - { type: syslog, id: tcp-in, listen: "tcp://127.0.0.1:$P_TCP", max_message_bytes: 1024,
      max_connections: 16 }
  - { type: syslog, id: tcp6-in, listen: "tcp://[::1]:$P_TCP6", max_connections: 2,
      max_connections_per_address: 2 }
  - { type: syslog, id: junk-tcp, listen: "tcp://127.0.0.1:$P_JTCP", max_message_bytes: 4096 }
  - { type: syslog, id: junk-udp, listen: "udp://127.0.0.1:$P_JUDP", max_message_bytes: 4096 }
kafka: { brokers: "127.0.0.1:9092" }
YAML

# counter INPUT NAME: the value the agent last committed
counter() {
  sqlite3 "$STATE/agent.db" "select value from counter where input='$1' and name='$2'" 2>/dev/null
}

expect_counter() {
  CHECKS=$((CHECKS + 1))
  local got
  got=$(counter "$1" "$2")
  [ "$got" = "$3" ] || { FAILS=$((FAILS + 1)); echo "FAIL: counter $1.$2 = '$got', expected $3" >&2; }
}

# Runs the checks of spec file $1 against the journal.
expect_journal() {
  CHECKS=$((CHECKS + 1))
  "$DUMP" "$STATE/agent.db" >"$T/dump.txt" || { FAILS=$((FAILS + 1)); echo "FAIL: journal_dump" >&2; return; }
  local out
  out=$($SEND check "$T/dump.txt" "$1")
  [ -z "$out" ] || { FAILS=$((FAILS + 1)); echo "$out" >&2; }
}

start_agent() {
  "$AGENT" -c "$1" 2>"$T/agent.err" &
  PID=$!
}

stop_agent() {
  CHECKS=$((CHECKS + 1))
  if ! kill -0 "$PID" 2>/dev/null; then
    FAILS=$((FAILS + 1))
    echo "FAIL: the agent is gone before SIGTERM" >&2
    cat "$T/agent.err" >&2
  fi
  kill -TERM "$PID"
  wait "$PID"
  STATUS=$?
  PID=""
  LAST="socagent -c $1 (stopped by SIGTERM)"
  OUT="" ERR=$(cat "$T/agent.err")
  expect_status 0
}

# waits until the committed journal holds marker m=$2 of input $1
wait_marker() {
  for _ in $(seq 300); do
    "$DUMP" "$STATE/agent.db" 2>/dev/null | grep -q "^$1"$'\t'".*m=$2" && return 0
    sleep 0.1
  done
  echo "FAIL: m=$2 never reached the journal of $1" >&2
  FAILS=$((FAILS + 1))
}

# ---- run 1: every case -------------------------------------------------------
start_agent "$T/agent.yaml"
run $SEND wait-tcp 127.0.0.1 "$P_TCP"
expect_status 0
run $SEND wait-tcp ::1 "$P_TCP6"
expect_status 0
run $SEND wait-tcp 127.0.0.1 "$P_JTCP"
expect_status 0

# another agent on a port in use: a clear error, and no start
sed -e "s|state_dir: \"$STATE\"|state_dir: \"$T/state2\"|" "$T/agent.yaml" >"$T/clash.yaml"
run "$AGENT" -c "$T/clash.yaml"
expect_status 1
expect_err "socagent: udp-in: cannot listen on udp://127.0.0.1:$P_UDP: Address already in use"

run $SEND udp 127.0.0.1 "$P_UDP"
expect_status 0
run $SEND tcp-bulk 127.0.0.1 "$P_TCP" 4 500
expect_status 0
run $SEND tcp-cases 127.0.0.1 "$P_TCP"
expect_status 0
run $SEND tcp-refuse ::1 "$P_TCP6" 2
expect_status 0
run $SEND corpus-tcp 127.0.0.1 "$P_JTCP"
expect_status 0
run $SEND corpus-udp 127.0.0.1 "$P_JUDP"
expect_status 0
# UDP has no end to wait for: a last datagram, in order behind the rest
python3 -c "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for p in sys.argv[1:]: s.sendto(b'<13>Oct 11 22:14:15 host app: m=udp-end', ('127.0.0.1', int(p)))" \
  "$P_UDP" "$P_JUDP"
wait_marker udp-in udp-end
wait_marker junk-udp udp-end
stop_agent "$T/agent.yaml"

cat >"$T/spec1" <<SPEC
udp-in marker udp-3164 1 flags=- host=mymachine peerlike=127.0.0.1:
udp-in marker udp-5424 1 flags=- host=mymachine.example.com
udp-in marker udp-raw 1 flags=- host=-
udp-in marker udp-junk 1 flags=-
udp-in marker udp-long 1 flags=T len=1024
udp-in seq 100 200
udp-in lines 206
udp-in peers 127.0.0.1:
udp-in positions 0
tcp-in seq 0 500
tcp-in seq 1 500
tcp-in seq 2 500
tcp-in seq 3 500
tcp-in marker tcp-raw 1 flags=-
tcp-in marker tcp-nul-a 1 flags=- data=junk\\x01\\x02\\xff\\x20m=tcp-nul-a
tcp-in marker tcp-nul-b 1 flags=- data=m=tcp-nul-b
tcp-in marker tcp-after-nul 1 flags=-
tcp-in marker tcp-long 1 flags=T len=1024
tcp-in marker tcp-long-tail 0
tcp-in marker tcp-after-long 1 flags=-
tcp-in marker tcp-octet-crlf 1 flags=- data=<13>Oct\\x2011\\x2022:14:15\\x20host\\x20app:\\x20m=tcp-octet-crlf
tcp-in marker tcp-after-octet 1 flags=-
tcp-in marker tcp-badcount 1 flags=-
tcp-in marker tcp-after-badcount 1 flags=-
tcp-in marker tcp-leadingzero 1 flags=-
tcp-in marker tcp-partial 1 flags=P
tcp-in marker tcp-partial-octet 1 flags=P data=<13>Oct\\x2011\\x2022:14:15\\x20host\\x20app:\\x20m=tcp-partial-octet
tcp-in lines 2013
tcp-in peers 127.0.0.1:
tcp-in positions 0
tcp6-in marker v6-0 1 peerlike=[::1]:
tcp6-in marker v6-1 1 peerlike=[::1]:
tcp6-in lines 2
junk-tcp seq 201 230
junk-udp seq 200 230
SPEC
expect_journal "$T/spec1"

# the operator's view agrees: socctl journal export prints the same lines
if [ -x "$SOC_BIN/ctl/socctl" ]; then
  run "$SOC_BIN/ctl/socctl" -c "$T/agent.yaml" journal export --source tcp-in
  expect_status 0
  CHECKS=$((CHECKS + 1))
  [ "$(grep -c ' s=[0-3] n=[0-9]* An application' <<<"$OUT")" = 2000 ] ||
    fail "socctl journal export: not 2000 bulk lines"
  expect_out "plain text, not syslog m=tcp-raw"
  expect_no_out "m=tcp-long-tail"
fi

expect_counter udp-in lines 206
expect_counter udp-in truncated 1
expect_counter udp-in parse_failures 2
expect_counter udp-in dropped 0
expect_counter tcp-in lines 2013
expect_counter tcp-in bytes "$($SEND sum-bytes "$T/dump.txt" tcp-in)"
expect_counter udp-in bytes "$($SEND sum-bytes "$T/dump.txt" udp-in)"
expect_counter tcp-in truncated 1
expect_counter tcp-in partial_lines 2
expect_counter tcp-in framing_errors 2
expect_counter tcp-in parse_failures 6
expect_counter tcp-in connections 13
expect_counter tcp-in connections_refused 0
expect_counter tcp6-in connections 3
expect_counter tcp6-in connections_refused 1
CHECKS=$((CHECKS + 1))
[ "$(sqlite3 "$STATE/agent.db" "select seq from source_seq where input='tcp-in'")" = 2013 ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: tcp-in's next position is not saved as 2013" >&2; }

# ---- run 2: backpressure, and positions that go on from run 1 --------------
# commit_interval 60s: only a full journal (16 MiB pending) makes a commit,
# so ~38 MB from four senders must pause and resume the input.
sed -e 's/commit_interval: 100ms/commit_interval: 60s/' "$T/agent.yaml" >"$T/agent2.yaml"
# counters are totals since the store was made: later runs add to them
tcp_before=$(counter tcp-in lines)
start_agent "$T/agent2.yaml"
run $SEND wait-tcp 127.0.0.1 "$P_TCP"
expect_status 0
run $SEND tcp-bulk 127.0.0.1 "$P_TCP" 4 10000 10 700
expect_status 0
stop_agent "$T/agent2.yaml"
cat >"$T/spec2" <<SPEC
tcp-in seq 10 10000
tcp-in seq 11 10000
tcp-in seq 12 10000
tcp-in seq 13 10000
tcp-in seq 0 500
tcp-in lines 42013
tcp-in positions 0
SPEC
expect_journal "$T/spec2"
expect_counter tcp-in lines $((tcp_before + 40000))
CHECKS=$((CHECKS + 1))
waits=$(counter tcp-in journal_waits)
[ "${waits:-0}" -gt 0 ] || { FAILS=$((FAILS + 1)); echo "FAIL: the journal never made tcp-in wait" >&2; }

# ---- run 3: a UDP flood while the journal is full ---------------------------
# 6000 datagrams of 4000 bytes (24 MB) with no commit but the ones a full
# journal asks for: the input pauses, the kernel buffer fills and drops.
# Every datagram must be either in the journal or in the kernel's count.
udp_before=$(counter junk-udp lines)
start_agent "$T/agent2.yaml"
run $SEND wait-tcp 127.0.0.1 "$P_JTCP"
run $SEND udp-flood 127.0.0.1 "$P_JUDP" 6000 4000
expect_status 0
stop_agent "$T/agent2.yaml"
cat >"$T/spec3" <<SPEC
junk-udp seq 300 6000 lossy
junk-udp positions 0
SPEC
expect_journal "$T/spec3"
CHECKS=$((CHECKS + 1))
got=$($SEND count "$T/dump.txt" junk-udp 300)
dropped=$(counter junk-udp dropped)
echo "udp flood: $got of 6000 in the journal, ${dropped:-?} dropped by the kernel," \
  "$(counter junk-udp journal_waits) journal wait(s)"
[ $((got + ${dropped:-0})) -eq 6000 ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: udp flood: $got received + ${dropped:-?} dropped != 6000" >&2; }
# the last end marker carries the final drop count; each that came is a line
ends=$(grep -c "^junk-udp"$'\t'".*m=flood-end" "$T/dump.txt")
CHECKS=$((CHECKS + 1))
[ "$ends" -ge 1 ] || { FAILS=$((FAILS + 1)); echo "FAIL: no flood-end marker arrived" >&2; }
expect_counter junk-udp lines $((udp_before + got + ends))

# ---- run 4: stopping keeps what a sender had half sent ----------------------
# A sender is in the middle of a message when SIGTERM comes: what arrived
# is committed, flagged partial, rather than lost with the connection.
start_agent "$T/agent.yaml"
run $SEND wait-tcp 127.0.0.1 "$P_TCP"
python3 - "$P_TCP" "$T/sent" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"<13>Nov 25 08:00:00 web01 app: unfinished at stop m=stop-partial")
open(sys.argv[2], "w").close()
time.sleep(60)
PY
HOLDER=$!
# sent, then read by the agent: nothing left queued on its end of the connection
agent_read_all() {
  [ -e "$T/sent" ] &&
    ss -tnH state established "( sport = :$P_TCP )" | awk '$1 != 0 { q = 1 } END { exit q || !NR }'
}
wait_for 20 "the agent to read the half-sent message" agent_read_all
stop_agent "$T/agent.yaml"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
CHECKS=$((CHECKS + 1))
"$DUMP" "$STATE/agent.db" | grep "m=stop-partial" | grep -q "^tcp-in"$'\t'"[0-9]*"$'\t'"P" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: the half-sent message was lost at stop" >&2; }

finish
