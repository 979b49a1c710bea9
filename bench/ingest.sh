#!/bin/bash
# Ingestion benchmark: file -> journal and syslog TCP -> journal, side by
# side in one run with rsyslog (imfile -> omfile, imtcp -> omfile) on the
# same 1-million-line file. Reports lines/s, CPU-seconds per million lines
# and peak RSS of each, as a Markdown table on stdout.
#
#   bench/ingest.sh [BUILD_DIR] [LINES] [sshd|mixed]
#
# With "mixed" the lines come from bench/gen_mixed.py (sshd, nginx,
# iptables, cron, sudo) instead of the sshd sample.
# Needs: rsyslog (Debian package), python3, /usr/bin/time. Only loopback.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-1000000}
INPUT=${3:-sshd}
W=$(mktemp -d)
. "$SRC/bench/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
if [ "$INPUT" = mixed ]; then
  python3 "$SRC/bench/gen_mixed.py" "$W/input.log" "$N"
else
  python3 "$SRC/bench/gen_lines.py" "$W/input.log" "$N"
fi
BYTES=$(stat -c %s "$W/input.log")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
wait_for() { # command-that-prints-a-number target timeout_s
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(eval "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
    [ "$(date +%s)" -lt $deadline ] || { echo "timeout waiting for $2 lines" >&2; return 1; }
    sleep 0.05
  done
}

echo "| pipeline | lines | seconds | lines/s | CPU-s per 1M lines | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"

# --- socagent: file -> journal (--oneshot reads to the end, commits, exits)
mkdir -p "$W/a1"
cat > "$W/a1/agent.yaml" <<YAML
agent: { id: bench, agency: bench, authority: 36, state_dir: $W/a1/state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: bench, paths: [ "$W/input.log" ] } ]
kafka: { brokers: "127.0.0.1:9092" }
YAML
t0=$(now)
/usr/bin/time -f "%U %S %M" -o "$W/a1/time" "$BIN/agent/socagent" -c "$W/a1/agent.yaml" --oneshot 2>/dev/null
t1=$(now)
read -r u s m < "$W/a1/time"
got=$(sqlite3 "$W/a1/state/agent.db" "select value from counter where input='bench' and name='lines'")
row "socagent file -> journal" "$got" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"

# --- rsyslog: imfile -> omfile
mkdir -p "$W/r1"
cat > "$W/r1/rsyslog.conf" <<CONF
global(workDirectory="$W/r1")
module(load="imfile")
input(type="imfile" File="$W/input.log" Tag="bench" ruleset="out")
ruleset(name="out") { action(type="omfile" file="$W/r1/out.log") }
CONF
t0=$(now)
rsyslogd -n -f "$W/r1/rsyslog.conf" -i "$W/r1/pid" &
R=$!
wait_for "wc -l < '$W/r1/out.log'" "$N" 600
t1=$(now)
row "rsyslog imfile -> omfile" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(cpu_of $R)" "$(rss_of $R)"
kill $R; wait $R 2>/dev/null || true

# --- syslog over TCP: a sender streams the file to the listener
send() { python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
s.close()
PY
}

if "$BIN/agent/socagent" --help-config | grep -q 'inputs\[type=syslog\].max_connections'; then
  P=$(free_port)
  mkdir -p "$W/a2"
  cat > "$W/a2/agent.yaml" <<YAML
agent: { id: bench, agency: bench, authority: 36, state_dir: $W/a2/state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: syslog, id: tcp, listen: "tcp://127.0.0.1:$P" } ]
kafka: { brokers: "127.0.0.1:9092" }
YAML
  "$BIN/agent/socagent" -c "$W/a2/agent.yaml" 2>/dev/null &
  A=$!
  wait_port "$P"
  t0=$(now)
  send "$P" "$W/input.log"
  wait_for "sqlite3 '$W/a2/state/agent.db' \"select value from counter where input='tcp' and name='lines'\"" "$N" 600
  t1=$(now)
  row "socagent syslog TCP -> journal" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(cpu_of $A)" "$(rss_of $A)"
  kill $A; wait $A 2>/dev/null || true
fi

P=$(free_port)
mkdir -p "$W/r2"
cat > "$W/r2/rsyslog.conf" <<CONF
global(workDirectory="$W/r2")
module(load="imtcp")
input(type="imtcp" port="$P" address="127.0.0.1" ruleset="out")
ruleset(name="out") { action(type="omfile" file="$W/r2/out.log") }
CONF
rsyslogd -n -f "$W/r2/rsyslog.conf" -i "$W/r2/pid" &
R=$!
wait_port "$P"
t0=$(now)
send "$P" "$W/input.log"
wait_for "wc -l < '$W/r2/out.log'" "$N" 600
t1=$(now)
row "rsyslog imtcp -> omfile" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(cpu_of $R)" "$(rss_of $R)"
kill $R; wait $R 2>/dev/null || true
echo
echo "input: $INPUT, $N lines, $BYTES bytes; $(nproc) cores; $(date -u +%Y-%m-%d)"
