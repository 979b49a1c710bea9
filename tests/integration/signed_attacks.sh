#!/bin/bash
# Issue 16: what someone with write access to the Kafka topics could do with
# kcat alone, each now harmless. The victim is agent "victim" (agency test),
# enrolled; mallory holds the key of another enrolled agent, "mal" (agency
# other: a stolen or compromised agent), and one nobody enrolled. Before the
# victim sends anything, mallory sends:
#  - events carrying the ids the victim's next events will have (an id is a
#    hash of public inputs: a rehearsal agent with the same id, input and log
#    computes them), once as "victim" with her key, once as "mal" with mal's;
#  - a chunk under the victim's coming bundle id, as victim and as mal;
#  - a level-4 report in the victim's name, and one of mal's own that speaks
#    for the victim's agency;
#  - a heartbeat in the victim's name raising its audit anchor to 999999:fff…;
#  - a heartbeat from a key nobody enrolled;
# and, after the victim, its first message of joined events (64 under one
# signature) with one byte changed, two events swapped, one dropped, one
# appended (to a shorter message; 1025 events are a bad_batch), a key changed, replayed (duplicates), its events signed by
# mal's key in the victim's name (squatting) and in mal's (agent
# mismatch), mixed with the packed form, fewer keys than events, an empty
# event (bad_batch); one of its events alone with the proof recomputed,
# changed; the same in the form of an agent before the packed "sig"
# header (taken unchanged, refused changed), and with both forms at once
# (refused) (joined_attacks.py).
# Then the victim sends for real, and the collector starts. Afterwards every
# one of the victim's events is stored, its bundle verifies, its report is
# the level it filed, no notification was made for a forgery, its anchor is
# its own, mallory's messages are in quarantine with their reasons, the
# unknown key is pending. Last, orphan chunks (no manifest ever) expire,
# counted.
# With SOC_TEST_STORE=postgresql (integration.signed_attacks_pg) the center
# is on a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/detect_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
COLL="$SOC_BIN/collector/soccollector"
SIGN="$SOC_BIN/tests/socsign"
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $T"
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_broker "$T" --partitions 1 # one partition: mallory's messages come first

# the victim, and a rehearsal copy of it that forwards under another prefix
for d in victim rehearsal; do
  detect_config "$T/$d" victim
  attempts_drafted "$T/$d" # the report below needs a draft from the sample's guessing
  # 64 a message, not the default 256: the attacks below take one event out
  # of a joined message with its proof, and a proof is 6 levels at most
  sed -i "s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\", events_per_message: 64|" "$T/$d/agent.yaml"
  echo 'evidence: { window_before: 30d, chunk_bytes: 16KiB }' >>"$T/$d/agent.yaml"
  head -600 "$SOC_TEST_DATA/logs/OpenSSH_2k.log" >"$T/$d/logs/auth.log"
done
sed -i 's|brokers: "\([^"]*\)"|brokers: "\1", topic_prefix: rehearsal|' "$T/rehearsal/agent.yaml"
V=(-c "$T/victim/agent.yaml")
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center, orphan_chunks_after: 1s }
kafka: { brokers: "$BOOTSTRAP", topic_prefix: soc, group_id: soccollector }
YAML
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
C=(-c "$T/center.yaml")
enroll_agent "$T/center.yaml" "$T/victim/agent.yaml" || fail "cannot enrol victim"
# a name with a terminal title sequence is refused, not recorded
run "$COLL" "${C[@]}" enroll mal --key "$("$SIGN" "$T/mal.key" --pub)" --agency other \
  --by $'ops\e]0;pwned\a'
expect_status 2
run "$COLL" "${C[@]}" enroll mal --key "$("$SIGN" "$T/mal.key" --pub)" --agency other --by ops
expect_status 0

# the victim's incident: a level-3 report filed, its bundle in the outbox
run "$AGENT" "${V[@]}" --oneshot
expect_status 0
D=$("$CTL" "${V[@]}" drafts --json | python3 -c 'import json,sys; print(sorted(x["id"] for x in json.load(sys.stdin))[0])')
run "$CTL" "${V[@]}" confirm "$D" --analyst $'amy\e[2J' --level 3 --reason "gateway brute force"
expect_status 0
run "$CTL" "${V[@]}" file "$D" --analyst amy
expect_status 0
run "$AGENT" "${V[@]}" --oneshot
expect_status 0
LINES=$("$CTL" "${V[@]}" journal export | wc -l)
BID="victim/$D/evidence"

# the rehearsal: the victim's coming ids, learnt from a copy of its store (a
# leaked backup: event.id holds the store's random id, so a store of
# mallory's own would not give them)
rm -rf "$T/rehearsal/state"
cp -a "$T/victim/state" "$T/rehearsal/state"
"$AGENT" -c "$T/rehearsal/agent.yaml" --forward-once >/dev/null 2>&1
consume rehearsal.events | cut -f4 >"$T/ids.json"
[ "$(wc -l <"$T/ids.json")" = "$LINES" ] || fail "the rehearsal forwarded $(wc -l <"$T/ids.json") of $LINES"

# --- mallory, first
as() { # agent keyfile topic key < payload
  signed_send "$3" "$4" "$2" "$1" 2>/dev/null
}
# the victim's ids, 20 in its name and 20 in mal's
head -20 "$T/ids.json" | while IFS= read -r e; do
  printf '%s' "$e" | sed 's/"message":"[^"]*"/"message":"forged"/' | as victim "$T/mal.key" soc.events LabSZ
done
sed -n '21,40p' "$T/ids.json" | while IFS= read -r e; do
  printf '%s' "$e" | sed 's/"id":"victim"/"id":"mal"/; s/"message":"[^"]*"/"message":"forged"/' |
    as mal "$T/mal.key" soc.events LabSZ
done
CHUNK='{"schema":"socagent.evidence/1","type":"chunk","bundle":"'$BID'","report":"victim/'$D'","seq":0,"offset":0,"size":4,"sha256":"88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589","data":"YWJjZA=="}'
printf '%s' "$CHUNK" | as victim "$T/mal.key" soc.evidence "$BID"
printf '%s' "$CHUNK" | as mal "$T/mal.key" soc.evidence "$BID"
REPORT='{"schema":"socagent.report/1","id":"victim/'$D'","revision":99,"level":4,"state":"reviewed","agent":{"id":"victim","agency":"test"},"event":{"category":"intrusion","discovered":"2026-01-01T00:00:00Z"}}'
printf '%s' "$REPORT" | as victim "$T/mal.key" soc.reports "victim/$D"
printf '%s' "$REPORT" | sed "s|victim/$D|mal/1|; s|\"id\":\"victim\"|\"id\":\"mal\"|" |
  as mal "$T/mal.key" soc.reports mal/1
HB='{"@timestamp":"2026-01-01T00:00:00Z","agent":{"id":"victim","version":"x"},"socagent":{"agency":"test","authority":36,"audit":{"seq":999999,"head":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}}}'
printf '%s' "$HB" | as victim "$T/mal.key" soc.heartbeat victim
printf '%s' "$HB" | sed 's/"victim"/"newcomer"/' | as newcomer "$T/unknown.key" soc.heartbeat newcomer

# --- the victim, for real; then the center
run "$AGENT" "${V[@]}" --forward-once
expect_status 0
# its first message (after mallory's 40): its events joined under one
# signature (kafka.events_per_message), replayed and changed in every way
# joined_attacks.py knows; and one of its events alone, with the proof
# computed from the others: in the packed form, changed; in the form of an
# agent before the packed "sig" header (agent.key, sig.root and sig.proof
# apart), taken unchanged (a duplicate of the victim's own), refused
# changed; with both forms at once, refused
timeout 60 kcat -C -b "$BOOTSTRAP" -t soc.events -p 0 -o 40 -e -q -J >"$T/joined.json" 2>/dev/null
NJOINED=$(head -1 "$T/joined.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["payload"].split("\n")))')
python3 "$SOC_SRC/tests/integration/joined_attacks.py" "$BOOTSTRAP" "$SIGN" "$T/mal.key" \
  <"$T/joined.json" >"$T/attacks" || fail "joined_attacks.py failed"
[ "$(wc -l <"$T/attacks")" = 16 ] || fail "sent $(wc -l <"$T/attacks") of 16 attacks"
"$COLL" "${C[@]}" 2>"$T/c.err" &
CPID=$!
wait_for() { # CMD...: until it exits 0 (30 s)
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "wait_for: gave up on $*" >&2
  return 1
}
victim_events() { [ "$("$COLL" "${C[@]}" events --count --agent victim)" = "$LINES" ]; }
wait_for victim_events || fail "pre-empted event ids: victim has $("$COLL" "${C[@]}" events --count --agent victim) of $LINES events"
bundle_ok() { "$COLL" "${C[@]}" evidence 2>/dev/null | grep -q "^$BID .*verified"; }
wait_for bundle_ok || fail "evidence squatting: $("$COLL" "${C[@]}" evidence)"
quarantined() { [ "$(center_sql "select count(*) from quarantine")" = 40 ]; }
wait_for quarantined || fail "quarantine holds $(center_sql "select count(*) from quarantine") of 40"
old_form_taken() {
  "$COLL" "${C[@]}" stats --json | python3 -c '
import json, sys
sys.exit(0 if sum(v.get("duplicates", 0) for v in json.load(sys.stdin).values()) >= 1 + int(sys.argv[1]) else 1)' "$NJOINED"
}
wait_for old_form_taken || fail "the victim's event in the older form, or its replayed message, was not taken as duplicates"
CHECKS=$((CHECKS + 3))

check_py "mallory's events: refused in the victim's name, stored apart in mal's" '
import sys
assert sys.argv[1:] == ["0", "20", "20"], sys.argv[1:]' \
  "$(center_sql "select count(*) from event where agent = 'victim' and body like '%forged%'")" \
  "$(center_sql "select count(*) from event where agent = 'mal'")" \
  "$(center_sql "select count(*) from event a join event b on a.id = b.id where a.agent = 'victim' and b.agent = 'mal'")"
check_py "forged report: the victim's report is the one it filed, no notification for a forgery" '
import sys
rows = [r.split("|") for r in sys.argv[1].splitlines()]
assert len(rows) == 1 and rows[0][0] == "victim/" + sys.argv[3] and rows[0][1] == "3" and int(rows[0][2]) < 99, rows
assert sys.argv[2] == "0", sys.argv[2]' \
  "$(center_sql "select id, level, revision from report order by id")" \
  "$(center_sql "select count(*) from notification where level = 4")" "$D"
run "$COLL" "${C[@]}" agents --json
echo "$OUT" >"$T/agents.json"
check_py "forged heartbeat: the anchor is the victim's own, the newcomer pending" '
import json, sys
d = json.load(open(sys.argv[1]))
v = [a for a in d["agents"] if a["id"] == "victim"]
assert len(v) == 1 and not v[0].get("audit_anchor", "").startswith("999999:"), v
assert [a["id"] for a in d["agents"]] == ["victim"], d["agents"]
states = sorted((k["agent"], k["state"]) for k in d["keys"])
assert states == [("mal", "enrolled"), ("newcomer", "pending"), ("victim", "enrolled")], states' "$T/agents.json"
run "$COLL" "${C[@]}" quarantine --json
echo "$OUT" >"$T/q.json"
check_py "each forgery in quarantine, with its reason" '
import collections, json, sys
rows = json.load(open(sys.argv[1]))
c = collections.Counter((r["topic"], r["reason"]) for r in rows)
want = {("soc.events", "bad_signature"): 29, ("soc.events", "agent_mismatch"): 1,
        ("soc.events", "bad_batch"): 4, ("soc.evidence", "bad_signature"): 1,
        ("soc.evidence", "bad_field"): 1, ("soc.reports", "bad_signature"): 1,
        ("soc.reports", "agency_mismatch"): 1, ("soc.heartbeat", "bad_signature"): 1,
        ("soc.heartbeat", "unenrolled"): 1}
# the rest: the rehearsal agent is not on our topics; the victim sent nothing bad
assert dict(c) == want, dict(c)' "$T/q.json"
run "$COLL" "${C[@]}" stats --json
check_py "a joined message refused is counted per event: mal's 4 events in one row count 4" '
import json, sys
s = json.loads(sys.argv[1])["center"]
assert s["quarantined.agent_mismatch"] == 4, s
assert s["quarantined.bad_batch"] == 4, s' "$OUT"

# --- terminal safety: what was typed is shown, its control characters escaped
run "$CTL" "${V[@]}" audit list
expect_out 'amy\x1b[2J'
check_py "no control character reaches the terminal; the OS user is in the entry" '
import json, subprocess, sys
coll, ctl = [sys.argv[1], "-c", sys.argv[2]], [sys.argv[3], "-c", sys.argv[4]]
for cmd in (coll + ["agents"], coll + ["quarantine"], ctl + ["audit", "list"]):
    out = subprocess.run(cmd, capture_output=True).stdout
    assert not any(b < 0x20 and b not in (0x0a,) or b == 0x7f for b in out), (cmd, out[:200])
rows = json.loads(subprocess.run(ctl + ["audit", "list", "--json"], capture_output=True).stdout)
assert any(r["details"].get("os_user") for r in rows if isinstance(r["details"], dict)), rows
 ' "$COLL" "$T/center.yaml" "$CTL" "$T/victim/agent.yaml"

# --- orphan chunks: mal'"'"'s own bundle, whose manifest never comes, expires
printf '%s' "$CHUNK" | sed "s|$BID|mal/7/evidence|; s|victim/$D|mal/7|" | as mal "$T/mal.key" soc.evidence mal/7/evidence
orphan_in() { [ "$(center_sql "select count(*) from evidence_chunk where bundle = 'mal/7/evidence'")" = 1 ]; }
wait_for orphan_in || fail "mal's chunk was not kept"
kill -TERM $CPID
wait $CPID
sleep 1.1 # collector.orphan_chunks_after
"$COLL" "${C[@]}" 2>>"$T/c.err" &
CPID=$!
orphan_gone() { [ "$(center_sql "select count(*) from evidence_chunk where bundle = 'mal/7/evidence'")" = 0 ]; }
wait_for orphan_gone || fail "the orphan chunk did not expire"
CHECKS=$((CHECKS + 1))
run "$COLL" "${C[@]}" stats --json
check_py "orphan chunks counted, the victim's bundle kept" '
import json, sys
s = json.loads(sys.argv[1])["center"]
assert s["orphan_chunks_expired"] >= 1 and s["orphan_bytes_expired"] >= 4, s
assert int(sys.argv[2]) >= 1, sys.argv[2]' \
  "$OUT" "$(center_sql "select count(*) from evidence_chunk where bundle = '$BID'")"
kill -TERM $CPID
wait $CPID
expect_status 0
stop_broker
finish
