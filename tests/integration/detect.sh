#!/bin/bash
# Detection end to end, through the agent: the shipped rules over real data
# (loghub's OpenSSH sample) make drafts that name the heaviest brute-force
# source; a brute force that straddles a restart is still caught (the
# correlation state is in the store); a kill -9 in the middle of detection
# neither loses nor doubles a draft; drafts carry their level, clause,
# asset, evidence with journal references, and the report clock.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

. "$SOC_SRC/tests/integration/detect_lib.sh"
config() { detect_config "$1" detect; }

# --- real data: the heaviest source is named, on the asset the host maps to
config "$T/real"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/real/logs/"
run "$AGENT" -c "$T/real/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/real/agent.yaml" drafts --json
expect_status 0
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: drafts on OpenSSH_2k.log" >&2; }
import json, sys
drafts = json.loads(sys.argv[1])
brute = [d for d in drafts if d["rule"] == "SOC-SSH-001"]
keys = {d["key"] for d in brute}
assert "183.62.140.253" in keys, keys
top = max(brute, key=lambda d: d["count"])
assert top["key"] == "183.62.140.253", top
assert all(d["asset"] == "ssh-gateway" for d in brute), brute
# core asset, minor tampering: level 2 under §2.3(三)2
assert all(d["level"] == 2 for d in brute), brute
assert all(0 < d["report_due_in_s"] <= 3600 for d in drafts)
print("brute-force keys:", sorted(keys))
PY
CHECKS=$((CHECKS + 1))
id=$("$CTL" -c "$T/real/agent.yaml" drafts --json | python3 -c 'import json,sys; print(max((d for d in json.load(sys.stdin) if d["rule"]=="SOC-SSH-001"), key=lambda d: d["count"])["id"])')
run "$CTL" -c "$T/real/agent.yaml" show "$id"
expect_status 0
expect_out "suggested level 2: §2.3(三)2"
expect_out "asset: ssh-gateway (tier core, found by host)"
expect_out "key: 183.62.140.253"
expect_out "Failed password for"
expect_out "report due within 1 h (§3.1)"
run "$CTL" -c "$T/real/agent.yaml" show "$id" --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["evidence"] and d["evidence"][0]["block"] >= 1 and d["clause"]["ref"] == "§2.3(三)2", d' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: show --json" >&2; }
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/real/agent.yaml" show 99999
expect_status 2

# --- a brute force that straddles a restart: 6 failures, stop, 6 more
config "$T/split"
fail_lines() { # from to
  for i in $(seq "$1" "$2"); do
    printf 'Nov 25 08:00:%02d gw01 sshd[%d]: Failed password for root from 198.51.100.77 port %d ssh2\n' \
      "$i" $((1000 + i)) $((40000 + i))
  done >>"$T/split/logs/auth.log"
}
fail_lines 1 6
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" drafts
expect_out "no open drafts"
fail_lines 7 12
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" drafts
expect_out "198.51.100.77"
# once, not twice, when nothing new comes
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" drafts --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len([x for x in d if x["rule"]=="SOC-SSH-001"]) == 1, d' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: one draft after re-runs" >&2; }
CHECKS=$((CHECKS + 1))

# --- kill -9 during detection: the same drafts as an undisturbed run
config "$T/calm"
config "$T/crash"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/calm/logs/"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/crash/logs/"
"$AGENT" -c "$T/calm/agent.yaml" --oneshot 2>/dev/null
seed_random
for _ in $(seq 10); do
  "$AGENT" -c "$T/crash/agent.yaml" 2>/dev/null &
  kill_after "$T/kills.log" $! "0.0$((RANDOM % 9 + 1))"
done
cat "$T/kills.log"
"$AGENT" -c "$T/crash/agent.yaml" --oneshot 2>/dev/null
summary() { "$CTL" -c "$1" drafts --json | python3 -c 'import json,sys; print(sorted((d["rule"], d["key"], d["count"]) for d in json.load(sys.stdin)))'; }
CHECKS=$((CHECKS + 1))
[ "$(summary "$T/calm/agent.yaml")" = "$(summary "$T/crash/agent.yaml")" ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: drafts differ after kill -9" >&2; diff <(summary "$T/calm/agent.yaml") <(summary "$T/crash/agent.yaml") >&2; }

# --- alerts and drafts travel through the forwarder to <prefix>.alerts and
# <prefix>.incidents; kcat reads them back as JSON
. "$SOC_SRC/tests/integration/kafka_lib.sh"
start_broker "$T/real"
sed -i "s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\"|" "$T/real/agent.yaml"
run "$AGENT" -c "$T/real/agent.yaml" --forward-once
expect_status 0
consume soc.alerts >"$T/alerts.tsv"
consume soc.incidents >"$T/incidents.tsv"
python3 - "$T/alerts.tsv" "$T/incidents.tsv" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: alerts/incidents on Kafka" >&2; }
import json, sys
alerts = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1]) if l.strip()]
incidents = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[2]) if l.strip()]
assert alerts and incidents, (len(alerts), len(incidents))
assert any(a["rule"]["id"] == "SOC-SSH-001" and a["key"] == "183.62.140.253" for a in alerts)
assert all(a["agent"]["id"] == "detect" and a["event"]["kind"] == "alert" for a in alerts)
top = [i for i in incidents if i["rule"]["id"] == "SOC-SSH-001" and i["key"] == "183.62.140.253"]
assert top and top[0]["level"] == 2 and top[0]["asset"]["name"] == "ssh-gateway", top[:1]
print("kafka: %d alerts, %d incident copies" % (len(alerts), len(incidents)))
PY
CHECKS=$((CHECKS + 1))
stop_broker

finish
