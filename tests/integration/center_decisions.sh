#!/bin/bash
# The technical center's decisions reach the agent (issues 6, 7): a review
# done by the center and a level change, produced by an independent client
# (kcat) on the agency's topic, are applied to the report once each — a
# replayed message, a decision about another agent's report and a broken
# message change nothing — with an audit entry, and a kill -9 and restart of
# the agent does not apply anything twice.
# Only the center decides (issue 16): kcat plays the center with its key
# (kafka.center_key), and mallory, who can write to the topic too, sends
# first a decision of her own under the id the center uses next (c1/2,
# re-levelling to 1) and an unsigned one: neither is applied, and the
# center's own c1/2 still is.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/detect_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
start_broker "$T"
detect_config "$T" cd1
attempts_drafted "$T"
CENTER_KEY=$("$SOC_BIN/tests/socsign" "$T/center.key" --pub)
# a short session, so that the group gives the killed agent's partition to
# the restarted one in seconds rather than librdkafka's 45
sed -i "s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\", heartbeat_interval: 1s, center_key: \"$CENTER_KEY\", properties: { session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\" }|" "$T/agent.yaml"
echo 'report: { check_interval: 200ms }' >>"$T/agent.yaml"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/logs/"
C=(-c "$T/agent.yaml")
DB="$T/state/agent.db"

run "$AGENT" "${C[@]}" --oneshot
A=$("$CTL" "${C[@]}" drafts --json | python3 -c 'import json,sys; print(min(x["id"] for x in json.load(sys.stdin)))')
run "$CTL" "${C[@]}" confirm "$A" --analyst amy --level 3 --reason "core gateway"
expect_status 0
run "$CTL" "${C[@]}" file "$A" --analyst amy
expect_status 0
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)

"$AGENT" "${C[@]}" 2>"$T/agent.err" &
PID=$!

decision() { # id kind extra-json
  printf '{"schema":"socagent.decision/1","id":"%s","report":"cd1/%s","kind":"%s","at":"%s","by":"TWCERT 林","reason":"center review"%s}\n' \
    "$1" "$A" "$2" "$NOW" "${3:-}"
}
# mallory first: her key, then none
decision c1/2 level ',"level":1' | sed 's/TWCERT 林/center:mallory/' |
  signed_send soc.center.test "cd1/$A" "$T/mallory.key" center 2>/dev/null
decision c1/2 review ',"result":"unsigned"' |
  kcat -P -b "$BOOTSTRAP" -t soc.center.test -k "cd1/$A" 2>/dev/null
# then the center
{
  decision c1/1 review ',"result":"level confirmed by the center"'
  decision c1/2 level ',"level":4'
  decision c1/1 review ',"result":"a replay"'
  printf '{"schema":"socagent.decision/1","id":"c1/3","report":"other/%s","kind":"level","at":"%s","by":"x","level":1,"reason":"not ours"}\n' "$A" "$NOW"
  echo 'this is not JSON'
} | while IFS= read -r line; do
  printf '%s' "$line" | signed_send soc.center.test "cd1/$A" "$T/center.key" center 2>/dev/null
done

applied() { sqlite3 "$DB" "select count(*) from audit where action='center.decision'"; }
wait_for 30 "the two decisions applied" output_is 2 applied
run "$CTL" "${C[@]}" report "$A"
check_py "review and level applied from the center" '
import json, sys
r = json.loads(sys.argv[1])
assert r["review"]["source"] == "center" and r["review"]["by"] == "TWCERT 林" and r["review"]["result"] == "level confirmed by the center", r["review"]
assert r["state"] == "reviewed" and r["level"] == 4 and r["levels"][-1]["by"] == "TWCERT 林", (r["state"], r["level"])
d = r["center_decisions"]
assert [(x["id"], x["applied"]) for x in d] == [("c1/1", True), ("c1/2", True)], d' "$OUT"
REFUSED=$(sqlite3 "$DB" "select value from counter where input = 'inbox' and name = 'refused'")
MALLORY=$(sqlite3 "$DB" "select count(*) from audit where actor like '%mallory%'")
check_py "mallory's decisions refused and counted" \
  'import sys; assert sys.argv[1:] == ["2", "0"], sys.argv' "$REFUSED" "$MALLORY"
grep -q "not signed by the center's key" "$T/agent.err" || fail "the refusal is not said"
CHECKS=$((CHECKS + 1))

# a crash and a restart, then the center sends both decisions again (its
# outbox delivers at least once) followed by a new one on the same
# partition: once the new one is applied the agent has read the two again
# after its restart, and applied neither twice
kill -9 $PID
wait $PID 2>/dev/null
"$AGENT" "${C[@]}" 2>>"$T/agent.err" &
PID=$!
{
  decision c1/1 review ',"result":"level confirmed by the center"'
  decision c1/2 level ',"level":4'
  decision c1/4 review ',"result":"after the restart"'
} | while IFS= read -r line; do
  printf '%s' "$line" | signed_send soc.center.test "cd1/$A" "$T/center.key" center 2>/dev/null
done
wait_for 30 "the decision after the restart" output_is 3 applied
# and a heartbeat after it, which carries the audit head checked below
hb_head() {
  consume soc.heartbeat | tail -n 1 | cut -f4 |
    python3 -c 'import json,sys; a=json.load(sys.stdin)["socagent"]["audit"]; print("%d:%s" % (a["seq"], a["head"]))'
}
wait_for 30 "a heartbeat with the audit head" output_is \
  "$(sqlite3 "$DB" "select value from meta where key='audit.head'")" hb_head
kill $PID
wait $PID
check_py "applied once across a restart, the redelivered two read again" '
import sys
assert sys.argv[1].split() == ["c1/1", "c1/2", "c1/4"], sys.argv' \
  "$(sqlite3 "$DB" "select json_extract(details, '$.id') from audit where action='center.decision' order by seq" | tr '\n' ' ')"
run "$CTL" "${C[@]}" audit verify
expect_status 0
check_py "the report went back to the center" 'import sys; assert int(sys.argv[1]) >= 4, sys.argv' \
  "$(sqlite3 "$DB" "select count(*) from outbox where topic='reports'")"

# the audit head leaves the machine with every heartbeat, and is an anchor:
# someone who cuts the log back and rewrites its head fools a plain verify,
# not one held to what the center recorded
HB=$(consume soc.heartbeat | tail -n 1 | cut -f4)
HEAD=$(sqlite3 "$DB" "select value from meta where key='audit.head'")
check_py "the heartbeat carries the audit head and the rule counts" '
import json, sys
s = json.loads(sys.argv[1])["socagent"]
assert "%d:%s" % (s["audit"]["seq"], s["audit"]["head"]) == sys.argv[2], (s.get("audit"), sys.argv[2])
assert s["rules"]["log"] > 0, s["rules"]' "$HB" "$HEAD"
run "$CTL" "${C[@]}" audit verify --anchor "$HEAD"
expect_status 0
expect_out "the anchor is in it"
CUT=${HEAD%%:*}
sqlite3 "$DB" "delete from audit where seq = $CUT;
  update meta set value = (select seq || ':' || hash from audit where seq = $CUT - 1) where key = 'audit.head'"
run "$CTL" "${C[@]}" audit verify
expect_status 0
run "$CTL" "${C[@]}" audit verify --anchor "$HEAD"
expect_status 1
expect_out "audit log broken at entry $CUT: entry missing: it was recorded off this machine"
run "$CTL" "${C[@]}" audit verify --anchor "1:nothex"
expect_status 2
stop_broker
finish
