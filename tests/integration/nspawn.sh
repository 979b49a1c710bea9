#!/bin/bash
# The packaged agent under a real systemd: a minimal Debian 12 root made with
# mmdebstrap (cached in the build tree, keyed by the package's dependencies),
# booted with systemd-nspawn; the built .deb installed with dpkg; the unit
# started on the packaged default configuration (only the broker's address
# given, in a drop-in). Then, as a new user would find it:
#  - sshd-style failures written with logger reach the journal, the agent
#    (socctl status counts, a SOC-SSH-001 alert) and the local broker;
#  - it runs as the socagent user with CAP_NET_RAW alone;
#  - systemctl reload re-reads the rules;
#  - systemctl kill -s KILL while entries are written, then start: every
#    entry exactly once;
#  - a hung agent (SIGSTOP) is restarted by the watchdog;
#  - a pcap input captures on an interface inside the container;
#  - where a syslog file exists, the journal input stands down and the file
#    input reads it.
# It needs root, systemd-nspawn, mmdebstrap and (once, for the cache)
# Debian's archive. Where nspawn cannot run it says so and skips (77);
# under CI=true it fails instead.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

[ "$(id -u)" -eq 0 ] || skip "nspawn.sh boots a container and needs root"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (package systemd-container)"
command -v mmdebstrap >/dev/null || skip "no mmdebstrap (package mmdebstrap)"

T=$(mktemp -d /tmp/socagent-nspawn.XXXXXX)
NSPAWN="" C=""
cleanup() {
  if [ -n "$C" ]; then nsenter -t "$C" -a systemctl poweroff >/dev/null 2>&1; fi
  if [ -n "$NSPAWN" ]; then
    for _ in $(seq 50); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NSPAWN" 2>/dev/null
    wait "$NSPAWN" 2>/dev/null
  fi
  stop_broker
  kill -9 $(jobs -p) 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T" "/run/systemd/nspawn/propagate/socagent-test-$$"
}
trap cleanup EXIT

# --- the package, and a root with what it depends on -------------------------
# built and linted by the package.deb fixture (package_deb.sh)
DEB=$(ls "$SOC_BIN"/package-build/socagent_*.deb 2>/dev/null)
[ -n "$DEB" ] ||
  { echo "FAIL: no package in $SOC_BIN/package-build: run it through ctest (the package.deb test builds it)" >&2; exit 1; }
DEPS=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
  grep . | sort | tr '\n' ',')
INCLUDE="systemd,systemd-sysv,dbus,iproute2,procps,${DEPS%,}"
KEY=$(printf 'bookworm minbase %s' "$INCLUDE" | sha256sum | cut -c1-16)
ROOT="$SOC_BIN/nspawn-root/$KEY"
if [ ! -d "$ROOT" ]; then
  mkdir -p "$SOC_BIN/nspawn-root"
  rm -rf "$ROOT.tmp"
  if ! mmdebstrap --quiet --variant=minbase --include="$INCLUDE" bookworm "$ROOT.tmp" \
      >"$T/mmdebstrap.log" 2>&1; then
    rm -rf "$ROOT.tmp"
    skip "mmdebstrap could not make a Debian 12 root (is deb.debian.org reachable?): $(tail -3 "$T/mmdebstrap.log")"
  fi
  mv "$ROOT.tmp" "$ROOT"
fi

# --- a broker on the host's loopback, which the container shares ------------
start_broker "$T"
[ -n "$BOOTSTRAP" ] || { echo "FAIL: the broker did not start" >&2; exit 1; }

# --- boot: the cached root stays as it is (a tmpfs overlay takes the writes) --
systemd-nspawn -q --boot --register=no --keep-unit --volatile=overlay -D "$ROOT" \
  -M "socagent-test-$$" --bind-ro="$SOC_BIN/package-build:/debs" </dev/null \
  >"$T/nspawn.log" 2>&1 &
NSPAWN=$!
for _ in $(seq 100); do
  # the container's systemd: nspawn's child once it has exec'd (before,
  # the child is nspawn's own, and may be a helper that goes away)
  C=$(ps -o pid=,comm= --ppid "$NSPAWN" 2>/dev/null | awk '$2 == "systemd" { print $1; exit }')
  [ -n "$C" ] && break
  kill -0 "$NSPAWN" 2>/dev/null || break
  sleep 0.1
done
[ -n "$C" ] || skip "systemd-nspawn cannot run a container here: $(tail -3 "$T/nspawn.log")"
ct() { nsenter -t "$C" -a "$@"; }
# systemd's own socket appears a moment after the container's start
for _ in $(seq 100); do
  run timeout 60 nsenter -t "$C" -a systemctl is-system-running --wait
  [ -n "$OUT" ] && break
  sleep 0.2
done
CHECKS=$((CHECKS + 1))
[ "$OUT" = running ] || [ "$OUT" = degraded ] || { fail "the container did not boot"; finish; }

# --- install and start, as the deployment guide says -------------------------
run ct dpkg -i "/debs/$(basename "$DEB")"
expect_status 0
# the test's only changes: the broker, and short watchdog times so that a
# hung agent is restarted within the test's patience
ct mkdir -p /etc/systemd/system/socagent.service.d
ct sh -c "printf '[Service]\nEnvironment=SOC_KAFKA_BROKERS=$BOOTSTRAP\nWatchdogSec=3s\nRestartSec=1s\n' >/etc/systemd/system/socagent.service.d/test.conf"
ct systemctl daemon-reload
run ct systemctl enable --now socagent
expect_status 0
run ct systemctl show -P ActiveState,StatusText socagent
expect_out "active"
expect_out "inputs open, taking in data"

main_pid() { ct systemctl show -P MainPID socagent; }
PID=$(main_pid)
run ct sh -c "grep -E '^(Uid|CapEff|CapBnd|CapAmb)' /proc/$PID/status; id -u socagent"
check_py "the agent runs as socagent with CAP_NET_RAW alone" '
import sys
lines = dict(l.split(":", 1) for l in sys.argv[1].splitlines() if ":" in l)
uid = sys.argv[1].splitlines()[-1].strip()
assert lines["Uid"].split()[0] == uid, lines
for k in ("CapEff", "CapBnd"):
    assert lines[k].strip() == "0000000000002000", (k, lines[k])
' "$OUT"

status_json() { ct socctl status --json 2>/dev/null; }
# wait_for SECONDS PYTHON-CONDITION-ON-d (socctl status --json as d)
wait_status() {
  local deadline=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    status_json | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" 2>/dev/null &&
      return 0
    sleep 0.3
  done
  return 1
}

# --- sshd-style failures: journal, agent, rules, broker ----------------------
ct sh -c 'for i in $(seq 1 12); do logger -t sshd -p auth.info "Failed password for invalid user admin from 198.51.100.9 port $((40000 + i)) ssh2"; done'
run ct journalctl -q -t sshd --no-pager
CHECKS=$((CHECKS + 1))
[ "$(grep -c 'Failed password' <<<"$OUT")" = 12 ] || fail "the journal does not hold the 12 failures"
CHECKS=$((CHECKS + 1))
wait_status 30 'd["counters"]["journal"]["lines"] >= 12' || fail "socctl status: the journal input took nothing"
CHECKS=$((CHECKS + 1))
wait_status 5 'd["counters"]["system"]["lines"] == 0' ||
  fail "the file input read something although no syslog file exists"
CHECKS=$((CHECKS + 1))
for _ in $(seq 60); do
  ct socctl alerts --json 2>/dev/null | grep -q '"SOC-SSH-001"' && break
  sleep 0.5
done
ct socctl alerts --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x["rule"] == "SOC-SSH-001"]
assert [(x["key"], x["draft"]) for x in d] == [("198.51.100.9", 0)] and d[0]["count"] >= 10, d
' || fail "no SOC-SSH-001 alert for 198.51.100.9"
CHECKS=$((CHECKS + 1))
wait_status 30 'd["forward"]["lag_lines"] == 0 and d["forward"]["delivered"] > 0' ||
  fail "the forwarder did not deliver to the broker"
CHECKS=$((CHECKS + 1))
[ "$(consume soc.events | grep -c 'Failed password for invalid user admin from 198.51.100.9')" = 12 ] ||
  fail "soc.events does not hold the 12 failures once each"
CHECKS=$((CHECKS + 1))
consume soc.alerts | grep -q 'SOC-SSH-001' || fail "soc.alerts has no SOC-SSH-001 alert"

# --- systemctl reload re-reads the rules --------------------------------------
ct cp /usr/share/socagent/rules/log/ssh.yaml /tmp/ssh.yaml
ct sh -c "awk '/^- id: /{n++} n==1' /tmp/ssh.yaml | sed 's/SOC-SSH-001/TEST-RELOAD-001/' >/usr/share/socagent/rules/log/zz-reload-test.yaml"
run ct systemctl reload socagent
expect_status 0
CHECKS=$((CHECKS + 1))
for _ in $(seq 50); do
  ct journalctl -q -u socagent --no-pager | grep -q 'reload: .* log rule(s) now active' && break
  sleep 0.2
done
ct journalctl -q -u socagent --no-pager | grep 'reload: ' | tail -1 |
  python3 -c '
import re, sys
m = re.search(r"reload: (\d+) log rule\(s\) now active \((\d+) before\)", sys.stdin.read())
assert m and int(m.group(1)) == int(m.group(2)) + 1, m
' || fail "systemctl reload did not load the added rule"

# --- systemctl kill -s KILL while entries are written, then start ---------------
seq 1 3000 >"$T/record"
ct sh -c 'for b in $(seq 0 29); do seq $((b * 100 + 1)) $((b * 100 + 100)) | sed "s/^/seq=/" | systemd-cat -t jwriter; sleep 0.05; done' &
writer=$!
sleep 0.7
run ct systemctl kill -s KILL socagent
expect_status 0
sleep 0.3
run ct systemctl start socagent
expect_status 0
wait $writer
CHECKS=$((CHECKS + 1))
for _ in $(seq 100); do
  [ "$(ct socctl journal export 2>/dev/null | grep -c 'seq=')" -ge 3000 ] && break
  sleep 0.3
done
run bash -c "nsenter -t $C -a socctl journal export | python3 '$SOC_SRC/tests/integration/check_journal.py' '$T/record'"
expect_status 0
expect_out "written=3000 journal=3000 missing=0 duplicated=0"
run ct systemctl show -P NRestarts socagent
echo "kill -s KILL: $OUT restart(s) so far"

# --- a hung agent: the watchdog restarts it -----------------------------------
PID=$(main_pid)
ct kill -STOP "$PID"
CHECKS=$((CHECKS + 1))
for _ in $(seq 150); do
  NEW=$(main_pid)
  [ -n "$NEW" ] && [ "$NEW" != 0 ] && [ "$NEW" != "$PID" ] && break
  sleep 0.2
done
[ "$NEW" != "$PID" ] && [ "$NEW" != 0 ] || fail "the watchdog did not restart the stopped agent (MainPID $PID)"
run ct journalctl -q -u socagent --no-pager
expect_out "Watchdog timeout"

# --- capture on an interface, unprivileged --------------------------------------
ct sh -c "awk '/^  - type: journald/ { print \"  - { type: pcap, id: lo, interface: lo, bpf: \\\"udp port 53\\\" }\" } { print }' /etc/socagent/socagent.yaml >/tmp/a.yaml && cat /tmp/a.yaml >/etc/socagent/socagent.yaml"
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ct sh -c "echo 'metrics: { listen: \"127.0.0.1:$MPORT\" }' >>/etc/socagent/socagent.yaml"
run ct systemctl restart socagent
expect_status 0
# a DNS query for example.com: the capture makes a dns event of it at once
ct bash -c 'for i in 1 2 3; do printf "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01" >/dev/udp/127.0.0.1/53; sleep 0.1; done'
CHECKS=$((CHECKS + 1))
wait_status 30 'd["counters"]["lo"]["lines"] >= 1' || fail "the pcap input on lo captured nothing"
PID=$(main_pid)
run ct grep -E '^CapEff' "/proc/$PID/status"
expect_out "0000000000002000"
# the metrics endpoint under the unit's sandbox, scraped from the host (the
# container shares its network): the text parses and says what status says
# (the agent reads its own log lines from the journal too: compare once
# both are settled)
for _ in $(seq 20); do
  want=$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["journal"]["lines"])')
  run bash -c "curl -sf http://127.0.0.1:$MPORT/metrics | python3 '$SOC_SRC/tests/integration/check_metrics.py'"
  grep -qxF "socagent_input_records_total{input=\"journal\"} $want" <<<"$OUT" && break
  sleep 0.5
done
expect_status 0
expect_out "socagent_input_records_total{input=\"journal\"} $want"

# --- where a syslog daemon writes files, they are read and the journal is not ---
ct sh -c 'echo "Dec  6 10:00:00 vm sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2" >/var/log/auth.log; chgrp adm /var/log/auth.log; chmod 640 /var/log/auth.log'
run ct systemctl restart socagent
expect_status 0
CHECKS=$((CHECKS + 1))
wait_status 30 'd["counters"]["system"]["lines"] >= 1 and d["counters"]["journal"]["standing_down"] == 1' ||
  fail "with /var/log/auth.log present: the file input did not read it, or the journal input did not stand down"

finish
