#!/bin/bash
# The journald input against a real systemd-journald (private, see
# journald_lib.sh): entries written with logger and systemd-cat become the
# ECS events syslog lines become, and the shipped SSH rule drafts a brute
# force from them; matches by identifier, priority, unit and transport; a
# directory of journal files; resuming from the saved cursor; a cursor
# vacuumed away while the agent was stopped (gap said and counted, the rest
# read once); a cleared journal; skip_if_exists; read_from: end.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/journald_lib.sh"
journald_namespace "$@"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
DUMP="$SOC_BIN/tests/journal_dump"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T" "$JCONF"' EXIT
LOGGER="logger -u /run/systemd/journal/dev-log"

cat >"$T/agent.yaml" <<YAML
agent: { id: jd, agency: test, authority: 36, state_dir: state }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs:
  - { type: journald, id: all }
  - { type: journald, id: ssh, identifiers: [ sshd ] }
  - { type: journald, id: errors, priority: err }
  - { type: journald, id: stdout, transports: [ stdout ] }
  - { type: journald, id: files, directory: /var/log/journal }
  - { type: journald, id: standby, skip_if_exists: [ "$T/auth.log" ] }
  - { type: journald, id: tail, read_from: end }
rules: { log: [ "$SOC_SRC/rules/log/*.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
touch "$T/auth.log"

# count SOURCE PATTERN: journal lines of that input whose data matches
count() { "$DUMP" "$T/state/agent.db" | awk -F'\t' -v s="$1" '$1 == s' | grep -c -- "$2"; }
counter() { # input name
  "$CTL" -c "$T/agent.yaml" status --json |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(c.get(sys.argv[1],{}).get(sys.argv[2],0))' "$1" "$2"
}

# --- entries as events; rules fire on them --------------------------------
for port in $(seq 40001 40012); do
  $LOGGER -t sshd -p auth.info "Failed password for root from 203.0.113.7 port $port ssh2"
done
echo "disk on fire" | systemd-cat -t app -p err
echo "just chatter" | systemd-cat -t app -p info
journald_sync
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
expect_err "standby: $T/auth.log exists"
run "$CTL" -c "$T/agent.yaml" journal export --ecs --source all
expect_status 0
printf '%s\n' "$OUT" >"$T/ecs.json"
check_py "an sshd entry is the ECS event a syslog line is" '
import json, socket, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ssh = [e for e in evs if e.get("process", {}).get("name") == "sshd"]
assert len(ssh) == 12, len(ssh)
e = ssh[0]
assert e["message"].startswith("Failed password for root from 203.0.113.7 port 4000"), e
assert e["log"]["syslog"]["severity"]["code"] == 6, e
assert e["log"]["syslog"]["facility"]["code"] == 4, e
assert e["log"]["syslog"]["appname"] == "sshd", e
assert e["process"]["pid"] > 0, e
assert e["systemd"]["transport"] == "syslog", e
assert e["host"]["name"] == socket.gethostname(), e
assert e["@timestamp"].startswith("20"), e
assert len({x["event"]["id"] for x in evs}) == len(evs), "event ids repeat"
app = [x for x in evs if x.get("process", {}).get("name") == "app"]
assert [x["systemd"]["transport"] for x in app] == ["stdout", "stdout"], app
assert app[0]["log"]["syslog"]["severity"]["code"] == 3, app
' "$T/ecs.json"
run "$CTL" -c "$T/agent.yaml" alerts --json
expect_status 0
check_py "the SSH brute-force rule alerts on journal entries (an attempt: no draft)" '
import json, sys
d = [x for x in json.loads(sys.argv[1]) if x["rule"] == "SOC-SSH-001"]
assert [(x["key"], x["draft"]) for x in d] == [("203.0.113.7", 0)], d
' "$OUT"

# --- matches, a directory, standing down -----------------------------------
CHECKS=$((CHECKS + 1))
[ "$(count ssh 'Failed password')" = 12 ] && [ "$(count ssh 'disk on fire')" = 0 ] &&
  [ "$(count ssh 'chatter')" = 0 ] || fail "identifiers: [sshd] took other entries or missed some"
CHECKS=$((CHECKS + 1))
[ "$(count errors 'disk on fire')" = 1 ] && [ "$(count errors 'Failed password')" = 0 ] &&
  [ "$(count errors 'chatter')" = 0 ] || fail "priority: err took a less urgent entry"
CHECKS=$((CHECKS + 1))
[ "$(count stdout 'disk on fire')" = 1 ] && [ "$(count stdout 'Failed password')" = 0 ] ||
  fail "transports: [stdout] took a syslog entry"
CHECKS=$((CHECKS + 1))
[ "$(count files 'Failed password')" = 12 ] && [ "$(count files 'disk on fire')" = 1 ] ||
  fail "directory: the journal files in /var/log/journal were not all read"
CHECKS=$((CHECKS + 1))
[ "$(count standby '.')" = 0 ] && [ "$(counter standby standing_down)" = 1 ] ||
  fail "skip_if_exists: the input read although $T/auth.log exists"

# --- resuming: nothing twice, the new entries once --------------------------
# The system journal is live (other processes log while tests run), so
# "nothing twice" is checked on the entries the first run took, not on the
# total.
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
CHECKS=$((CHECKS + 1))
[ "$(count all 'Failed password')" = 12 ] && [ "$(count all 'disk on fire')" = 1 ] &&
  [ "$(count all 'just chatter')" = 1 ] ||
  fail "a second run read entries again: sshd $(count all 'Failed password') (want 12)," \
    "disk $(count all 'disk on fire') (want 1), chatter $(count all 'just chatter') (want 1)"
for i in 1 2 3; do $LOGGER -t resume "resume-$i"; done
journald_sync
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
CHECKS=$((CHECKS + 1))
[ "$(count all 'resume-')" = 3 ] && [ "$(count all 'Failed password')" = 12 ] ||
  fail "after a restart: resume-* $(count all 'resume-') (want 3), sshd $(count all 'Failed password') (want 12)"
CHECKS=$((CHECKS + 1))
[ "$(count tail 'Failed password')" = 0 ] && [ "$(count tail 'resume-')" = 3 ] ||
  fail "read_from: end: sshd $(count tail 'Failed password') (want 0), resume-* $(count tail 'resume-') (want 3)"
run "$CTL" -c "$T/agent.yaml" status
expect_status 0
expect_out "journal cursor s="

# --- the cursor vacuumed away while the agent was stopped ------------------
journalctl --rotate >/dev/null 2>&1
for i in $(seq 1 50); do $LOGGER -t vac "vacuumed-$i"; done
journald_sync
journalctl --rotate >/dev/null 2>&1
journalctl --rotate >/dev/null 2>&1
for i in 1 2 3 4 5; do $LOGGER -t vac "kept-$i"; done
journald_sync
run journalctl --vacuum-files=1
CHECKS=$((CHECKS + 1))
[ "$(journalctl -q -t vac | grep -c vacuumed-)" = 0 ] || fail "the test's vacuum left the entries in place"
gaps=$(counter all journal_gaps)
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
expect_err "all: the last entry read is no longer in the journal"
CHECKS=$((CHECKS + 1))
[ "$(count all 'kept-')" = 5 ] && [ "$(count all 'vacuumed-')" = 0 ] ||
  fail "after a vacuum: kept-* $(count all 'kept-') (want 5), vacuumed-* $(count all 'vacuumed-')"
CHECKS=$((CHECKS + 1))
[ "$(counter all journal_gaps)" = $((gaps + 1)) ] && [ "$(counter all entries_missed)" -ge 50 ] ||
  fail "the gap was not counted: journal_gaps $(counter all journal_gaps), entries_missed $(counter all entries_missed)"

# --- a cleared journal --------------------------------------------------------
journald_stop
rm -rf /var/log/journal/* /run/log/journal/*
journald_start
for i in 1 2 3 4; do $LOGGER -t fresh "fresh-$i"; done
journald_sync
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
CHECKS=$((CHECKS + 1))
[ "$(count all 'fresh-')" = 4 ] && [ "$(count all 'kept-')" = 5 ] ||
  fail "after clearing: fresh-* $(count all 'fresh-') (want 4), kept-* $(count all 'kept-') (want 5)"
CHECKS=$((CHECKS + 1))
[ "$(counter all journal_gaps)" = $((gaps + 2)) ] || fail "the cleared journal was not counted as a gap"

journald_stop
finish
