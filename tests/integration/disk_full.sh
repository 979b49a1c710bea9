#!/bin/bash
# A full disk (issue 17), on a small tmpfs as the state folder, with a file
# input and a TCP syslog input:
#  1. while full, intake stops (the file is not read on, the sockets are not
#     read: the senders' kernel buffers hold the rest), "DISK FULL" is said
#     once with the path and the free space; once there is room again,
#     every line and every message is committed, exactly once;
#  2. SIGTERM while full: the TCP messages in the kernel's buffers and in
#     memory go to the emergency spool (another file system), the file's
#     lines are left to be read again; the next start takes the spool back,
#     exactly once, and later messages do not reuse its sequences; a start
#     while the disk is still full says so and keeps the spool.
# Needs root (mount). Under CI=true a run without root fails.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "disk_full.sh needs root to mount a small tmpfs"
AGENT="$SOC_BIN/agent/socagent"
DUMP="$SOC_BIN/tests/journal_dump"
SEND="python3 $SOC_SRC/tests/integration/syslog_send.py"
T=$(mktemp -d)
STATE="$T/state"
PID="" SPID=""
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
  umount "$STATE" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$STATE" "$T/logs"
mount -t tmpfs -o size=3m tmpfs "$STATE" || { echo "FAIL: mount" >&2; exit 1; }
read -r P_TCP <<<"$($SEND ports 1)"
cat >"$T/agent.yaml" <<YAML
agent: { id: df, agency: test, authority: 1, state_dir: "$STATE", timezone: UTC }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
journal: { commit_interval: 50ms, spool_dir: "$T/spool" }
inputs:
  - { type: file, id: app, paths: [ "$T/logs/app.log" ], poll_interval: 50ms }
  - { type: syslog, id: net, listen: "tcp://127.0.0.1:$P_TCP" }
kafka: { brokers: "127.0.0.1:9" }
YAML
: >"$T/logs/app.log"

start() {
  "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
  PID=$!
  $SEND wait-tcp 127.0.0.1 "$P_TCP" || fail "the agent does not listen"
}
fill() { dd if=/dev/zero of="$STATE/filler" bs=16k 2>/dev/null; sync; }
unfill() { rm -f "$STATE/filler"; }
file_lines() { # tag from to
  for i in $(seq "$2" "$3"); do echo "Nov 25 08:00:00 web01 app[1]: f=$1 n=$i"; done >>"$T/logs/app.log"
}
# tcp TAG N: a sender in the background; it waits for the agent to close
tcp() {
  python3 - "$P_TCP" "$1" "$2" >"$T/sender.out" 2>&1 <<'PY' &
import socket, sys
port, tag, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
data = b"".join(b"<13>Oct 11 22:14:15 h1 app: t=%s n=%d\n" % (tag.encode(), i) for i in range(n))
s.sendall(data)
print(len(data), flush=True)
s.shutdown(socket.SHUT_WR)
s.settimeout(120)
while s.recv(4096):
    pass
PY
  SPID=$!
}
count() { "$DUMP" "$STATE/agent.db" 2>/dev/null | grep -c "$1" ; }
wait_count() { # pattern n
  for _ in $(seq 600); do [ "$(count "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "never $2 lines of $1 (at $(count "$1"))"
}
wait_err() {
  for _ in $(seq 600); do grep -q "$1" "$T/agent.err" && return 0; sleep 0.1; done
  fail "the agent never said: $1"
}
# every line of the journal once: no position of an input twice, no text twice
exactly_once() {
  "$DUMP" "$STATE/agent.db" >"$T/dump.txt"
  CHECKS=$((CHECKS + 1))
  [ -z "$(cut -f1,2 "$T/dump.txt" | sort | uniq -d)" ] || fail "$1: a position twice"
  CHECKS=$((CHECKS + 1))
  [ -z "$(cut -f6 "$T/dump.txt" | sort | uniq -d)" ] || fail "$1: a line twice"
}

# ---- 1: full while running, then room again --------------------------------
start
file_lines a 1 100
tcp a 100
wait_count "t=a " 100
wait_count "f=a " 100
wait "$SPID"
fill
file_lines b 1 3000
tcp b 3000
wait_err "DISK FULL"
sleep 1 # the file and the socket have data; nothing is taken in
run cat "$T/agent.err"
expect_out "socagent: journal: DISK FULL: $STATE/agent.db: cannot commit: database or disk is full (state folder $STATE); "
expect_out "bytes free on its file system; taking nothing in until a commit works"
CHECKS=$((CHECKS + 1))
[ "$(grep -c "DISK FULL" <<<"$OUT")" = 1 ] || fail "DISK FULL said $(grep -c "DISK FULL" <<<"$OUT") times"
unfill
wait_count "t=b " 3000
wait_count "f=b " 3000
wait "$SPID"
SPID=""
wait_err "commits work again"
exactly_once "after room came back"

# ---- 2: SIGTERM while full ---------------------------------------------------
fill
file_lines c 1 1000
tcp c 1000
for _ in $(seq 300); do [ -s "$T/sender.out" ] && break; sleep 0.1; done
sent=$(head -1 "$T/sender.out")
# until the agent's socket holds all of it (it is not reading)
for _ in $(seq 300); do
  q=$(ss -Htn state established "( sport = :$P_TCP )" | awk '{s += $1} END {print s + 0}')
  [ "$q" -ge "$sent" ] && break
  sleep 0.1
done
wait_err "DISK FULL"
kill -TERM "$PID"
wait "$PID"
STATUS=$?
PID=""
expect_status 0 # nothing lost: spooled, or left in the file
wait "$SPID"
SPID=""
run cat "$T/agent.err"
expect_out "line(s) of network inputs that could not be committed were written to the emergency spool in $T/spool"
CHECKS=$((CHECKS + 1))
[ "$(ls "$T/spool" | grep -c '^df\..*\.spool$')" = 1 ] || fail "no spool file: $(ls "$T/spool")"
# a start while the disk is still full: said as a full disk, not as a
# damaged store, and the spool stays for later
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 1
expect_err "cannot take back spool $T/spool/df."
expect_err ": No space left on device; kept for the next start"
expect_err "socagent: journal: DISK FULL: $STATE/agent.db"
expect_no_err "integrity check failed"
unfill
: >"$T/agent.err"
start
tcp d 50
wait_count "t=d " 50
wait "$SPID"
SPID=""
kill -TERM "$PID"
wait "$PID"
PID=""
run cat "$T/agent.err"
expect_out "took back 1000 line(s) from the emergency spool $T/spool/df."
CHECKS=$((CHECKS + 1))
[ -z "$(ls "$T/spool")" ] || fail "the spool is still there: $(ls "$T/spool")"
CHECKS=$((CHECKS + 1))
[ "$(count "t=c ")" = 1000 ] && [ "$(count "f=c ")" = 1000 ] ||
  fail "after the spool: $(count "t=c ") of 1000 messages, $(count "f=c ") of 1000 file lines"
exactly_once "after the spool"
# ---- and once only --------------------------------------------------------
: >"$T/agent.err"
start
kill -TERM "$PID"
wait "$PID"
PID=""
run cat "$T/agent.err"
expect_no_out "took back"
CHECKS=$((CHECKS + 1))
[ "$(count "t=c ")" = 1000 ] || fail "a second start took the spool again"
finish
