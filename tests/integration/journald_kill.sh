#!/bin/bash
# Exactly once from the journal: a writer sends 12,000 numbered entries
# into a real systemd-journald (journald_lib.sh) while the agent is killed
# with SIGKILL 20 times at random instants; in between, the journal is
# rotated (journalctl --rotate) and vacuumed (journalctl --vacuum-files),
# only ever of files the agent has read. Afterwards the agent's journal
# must hold every entry exactly once.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/journald_lib.sh"
journald_namespace "$@"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T" "$JCONF"' EXIT

cat >"$T/agent.yaml" <<YAML
agent: { id: jd-kill, agency: test, authority: 36, state_dir: state }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: journald, id: jw, identifiers: [ jwriter ], poll_interval: 20ms } ]
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML

# The highest seq the agent has committed (0 before the first).
committed_seq() {
  "$CTL" -c "$T/agent.yaml" journal export 2>/dev/null |
    python3 -c 'import re,sys; print(max([int(m.group(1)) for m in re.finditer(r"seq=(\d+)", sys.stdin.read())] or [0]))'
}

python3 "$SOC_SRC/tests/integration/journalwriter.py" "$T/record" --count 12000 --rate 2000 &
writer=$!
kills=0 rotations=0 vacuums=0
while kill -0 $writer 2>/dev/null || [ $kills -lt 20 ]; do
  "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
  agent=$!
  sleep "0.$((RANDOM % 4 + 1))"
  kill -9 $agent
  wait $agent 2>/dev/null
  kills=$((kills + 1))
  if [ $((kills % 3)) -eq 0 ]; then
    journalctl --rotate >/dev/null 2>&1 && rotations=$((rotations + 1))
  fi
  if [ $((kills % 7)) -eq 0 ]; then
    # Vacuum only what the agent has read: all archived files but the
    # newest, once the agent has committed past what they hold (the last
    # seq journald had when they were archived is what it has now).
    journald_sync
    mark=$(tail -n 1 "$T/record" 2>/dev/null || echo 0)
    journalctl --rotate >/dev/null 2>&1
    "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
    agent=$!
    for i in $(seq 300); do [ "$(committed_seq)" -ge "$mark" ] && break; sleep 0.1; done
    kill -9 $agent
    wait $agent 2>/dev/null
    journalctl --vacuum-files=1 >/dev/null 2>&1 && vacuums=$((vacuums + 1))
  fi
done
wait $writer
journald_sync
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
run bash -c "'$CTL' -c '$T/agent.yaml' journal export | python3 '$SOC_SRC/tests/integration/check_journal.py' '$T/record'"
expect_status 0
expect_out "written=12000 journal=12000 missing=0 duplicated=0"
echo "$kills kills, $rotations rotations, $vacuums vacuums: $OUT"
CHECKS=$((CHECKS + 1))
[ $vacuums -ge 2 ] || fail "only $vacuums vacuum(s) ran"
run grep -c "no longer in the journal" "$T/agent.err"
CHECKS=$((CHECKS + 1))
[ "$OUT" = 0 ] || fail "the agent saw a gap: $(head -3 "$T/agent.err")"

journald_stop
finish
