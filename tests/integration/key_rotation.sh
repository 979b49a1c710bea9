#!/bin/bash
# Issue 16, rotation: an agent makes a new key with `socagent --rotate-key`;
# the old key certifies the new one, and the center takes it from the
# agent's next message without a person. What the old key signed before is
# still taken (it may arrive after the rotation: four partitions). A
# certificate from any other key rotates nothing, and a rotation replayed
# changes nothing.
# With SOC_TEST_STORE=postgresql (integration.key_rotation_pg) the center is on
# a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
COLL="$SOC_BIN/collector/soccollector"
SIGN="$SOC_BIN/tests/socsign"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; rm -rf "$T"' EXIT
start_broker "$T" --partitions 4
mkdir -p "$T/logs"
agent_config "$T" a1 "logs/app.log"
A=(-c "$T/agent.yaml")
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center }
kafka: { brokers: "$BOOTSTRAP", topic_prefix: soc, group_id: soccollector }
YAML
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
C=(-c "$T/center.yaml")
enroll_agent "$T/center.yaml" "$T/agent.yaml" || fail "cannot enrol a1"
fpr() { sed -n 's/^fingerprint: *//p'; }
OLD=$("$AGENT" "${A[@]}" --print-key | fpr)

# 100 lines under the old key
python3 -c 'import sys; [print("before %03d" % i) for i in range(100)]' >"$T/logs/app.log"
run "$AGENT" "${A[@]}" --oneshot
run "$AGENT" "${A[@]}" --forward-once
expect_status 0
timeout 30 kcat -C -b "$BOOTSTRAP" -t soc.events -o beginning -c 1 -e -q -J >"$T/old.json" 2>/dev/null

# the rotation, then 100 lines under the new key
run "$AGENT" "${A[@]}" --rotate-key
expect_status 0
NEW=$(fpr <<<"$OUT")
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "no new key: $OUT"
[ "$(stat -c %a "$T/state/agent.key")" = 600 ] || fail "the new key is not 0600"
python3 -c 'import sys; [print("after %03d" % i) for i in range(100)]' >>"$T/logs/app.log"
run "$AGENT" "${A[@]}" --oneshot
run "$AGENT" "${A[@]}" --forward-once
expect_status 0
CHECKS=$((CHECKS + 2))

# mallory certifies her own key as a1's next, with her key
MAL=$("$SIGN" "$T/mal.key" --pub)
BAD_CERT=$(python3 -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.argv[1]))' "$MAL" |
  "$SIGN" "$T/mal.key" "socagent key rotation" a1)
printf '{"agent":{"id":"a1"},"event":{"id":"%032x"},"message":"mallory"}' 7 |
  signed_send soc.events a1 "$T/mal.key" a1 -H "key.cert=$BAD_CERT" 2>/dev/null

"$COLL" "${C[@]}" 2>"$T/c.err" &
CPID=$!
all_in() { [ "$("$COLL" "${C[@]}" events --count --agent a1)" = 200 ]; }
for _ in $(seq 150); do all_in && break; sleep 0.2; done
all_in || fail "events: $("$COLL" "${C[@]}" events --count --agent a1) of 200 (quarantine: $("$COLL" "${C[@]}" quarantine | cut -c1-160))"
q() { center_sql "select count(*) from quarantine"; }
for _ in $(seq 50); do [ "$(q)" = 1 ] && break; sleep 0.2; done
run "$COLL" "${C[@]}" agents
expect_out "a1                       enrolled $NEW  agency test, by test"
expect_out "; rotated by the agent from $OLD at "
run "$COLL" "${C[@]}" quarantine
expect_out "reason=bad_signature"
check_py "only mallory's message refused" 'import sys; assert sys.argv[1] == "1", sys.argv' "$(q)"
grep -q "agent a1 rotated its key to $NEW" "$T/c.err" || fail "the rotation is not said"
CHECKS=$((CHECKS + 1))

# an old message again (old key, old certificate-less headers): still the
# agent's own, a duplicate; the enrolled key stays the new one
python3 "$SOC_SRC/tests/integration/kafka_replay.py" "$BOOTSTRAP" <"$T/old.json"
dups() { "$COLL" "${C[@]}" stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["center"].get("duplicates", 0) >= 1 else 1)'; }
for _ in $(seq 50); do dups && break; sleep 0.2; done
dups || fail "the old message was not taken as the agent's (a duplicate)"
CHECKS=$((CHECKS + 1))
run "$COLL" "${C[@]}" agents
expect_out "a1                       enrolled $NEW "
kill -TERM $CPID
wait $CPID
expect_status 0
stop_broker
finish
