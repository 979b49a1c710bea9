#!/bin/bash
# Detection end to end, through the agent: the shipped rules over real data
# (loghub's OpenSSH sample) make alerts, no drafts, naming the heaviest
# brute-force source; a brute force that straddles a restart is still caught
# (the correlation state is in the store), and the login that follows it is
# one draft holding both; a kill -9 in the middle of detection neither loses
# nor doubles an alert, a draft or their grouping; drafts carry their level,
# clause, asset, members, evidence with journal references, and the clock.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

. "$SOC_SRC/tests/integration/detect_lib.sh"
config() { detect_config "$1" detect; }

# --- real data: attempts are alerts (no clock, no draft), one per source,
# on the asset the host maps to; the heaviest source is named
config "$T/real"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/real/logs/"
run "$AGENT" -c "$T/real/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/real/agent.yaml" drafts
expect_out "no open drafts"
run "$CTL" -c "$T/real/agent.yaml" alerts --json
expect_status 0
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: alerts on OpenSSH_2k.log" >&2; }
import json, sys
alerts = json.loads(sys.argv[1])
brute = [a for a in alerts if a["rule"] == "SOC-SSH-001"]
keys = [a["key"] for a in brute]
assert "183.62.140.253" in keys, keys
top = max(brute, key=lambda a: a["count"])
assert top["key"] == "183.62.140.253", top
assert all(a["asset"] == "ssh-gateway" and a["host"] == "LabSZ" for a in alerts), alerts
assert all(a["impact"] == "none" and a["level"] == 0 and a["draft"] == 0 for a in alerts), alerts
# one alert per source and rule, unless the source came back after triage.window
assert len(keys) - len(set(keys)) <= 2, keys
print("brute-force alerts:", sorted(set(keys)))
PY
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/real/agent.yaml" alerts
expect_out "SOC-SSH-001    LabSZ            183.62.140.253"

# --- a brute force that straddles a restart: 6 failures, stop, 6 more; then
# the login that succeeds makes one draft that takes in the guessing
config "$T/split"
fail_lines() { # from to
  for i in $(seq "$1" "$2"); do
    printf 'Nov 25 08:00:%02d gw01 sshd[%d]: Failed password for root from 198.51.100.77 port %d ssh2\n' \
      "$i" $((1000 + i)) $((40000 + i))
  done >>"$T/split/logs/auth.log"
}
fail_lines 1 6
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" alerts
expect_out "no alerts"
fail_lines 7 12
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" alerts
expect_out "198.51.100.77"
run "$CTL" -c "$T/split/agent.yaml" drafts
expect_out "no open drafts"
# once, not twice, when nothing new comes
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" alerts --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len([x for x in d if x["rule"]=="SOC-SSH-001"]) == 1, d' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: one alert after re-runs" >&2; }
CHECKS=$((CHECKS + 1))
printf 'Nov 25 08:01:30 gw01 sshd[2001]: Accepted password for root from 198.51.100.77 port 41000 ssh2\n' >>"$T/split/logs/auth.log"
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" drafts --json
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: the login's draft" >&2; }
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 1 and d[0]["rule"] == "SOC-SSH-003" and d[0]["key"] == "198.51.100.77", d
assert d[0]["asset"] == "ssh-gateway" and 0 < d[0]["report_due_in_s"] <= 3600, d
assert d[0]["first_seen"].endswith("00:00:01Z"), d   # the first guess, from the line
PY
CHECKS=$((CHECKS + 1))
id=$("$CTL" -c "$T/split/agent.yaml" drafts --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run "$CTL" -c "$T/split/agent.yaml" show "$id"
expect_status 0
expect_out "suggested level 3: §2.3(二)2"
expect_out "asset: ssh-gateway (tier core, found by host)"
expect_out "level from alert"
expect_out "SOC-SSH-001    impact none"
expect_out "SOC-SSH-003    impact tamper"
expect_out "Failed password for root from 198.51.100.77 port 40012"
expect_out "Accepted password for root"
expect_out "report due within 1 h (§3.1)"
run "$CTL" -c "$T/split/agent.yaml" show "$id" --json
python3 -c '
import json,sys
d = json.loads(sys.argv[1])
assert d["evidence"] and d["evidence"][0]["block"] >= 1 and d["clause"]["ref"] == "§2.3(二)2", d
# the guessing, the login after it, and the root login it also is
assert sorted(m["rule"] for m in d["members"]) == ["SOC-SSH-001", "SOC-SSH-003", "SOC-SSH-004"], d["members"]
assert d["level_from"]["rule"] == "SOC-SSH-003", d["level_from"]
# in the order of the lines: the guessing (hits since the restart), then the login
assert len(d["evidence"]) >= 7 and "Failed password" in d["evidence"][0]["line"], d["evidence"]
assert "Accepted password" in d["evidence"][-1]["line"], d["evidence"]' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: show --json" >&2; }
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/split/agent.yaml" alerts --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 3 and len({x["draft"] for x in d}) == 1 and d[0]["draft"] > 0, d' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: both alerts in the draft" >&2; }
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/split/agent.yaml" show 99999
expect_status 2
# decided is decided: a later login of the same address (within the rule's
# suppression, so no new firing) counts on its alert and makes no new draft
run "$CTL" -c "$T/split/agent.yaml" confirm "$id" --analyst 王小明
expect_status 0
printf 'Nov 25 08:05:00 gw01 sshd[2002]: Accepted password for root from 198.51.100.77 port 41001 ssh2\n' >>"$T/split/logs/auth.log"
run "$AGENT" -c "$T/split/agent.yaml" --oneshot
run "$CTL" -c "$T/split/agent.yaml" drafts --all --json
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 1 and d[0]["status"] == "confirmed", d' "$OUT" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: a decided draft stays one" >&2; }
CHECKS=$((CHECKS + 1))

# --- kill -9 during detection: the same alerts and drafts as an undisturbed
# run, with the grouping (a login after the heaviest source's guessing)
config "$T/calm"
config "$T/crash"
for d in calm crash; do
  cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/$d/logs/"
  printf 'Dec 10 11:05:10 LabSZ sshd[25600]: Accepted password for root from 183.62.140.253 port 40022 ssh2\n' >>"$T/$d/logs/OpenSSH_2k.log"
done
"$AGENT" -c "$T/calm/agent.yaml" --oneshot 2>/dev/null
seed_random
for _ in $(seq 10); do
  "$AGENT" -c "$T/crash/agent.yaml" 2>/dev/null &
  kill_after "$T/kills.log" $! "0.0$((RANDOM % 9 + 1))"
done
cat "$T/kills.log"
"$AGENT" -c "$T/crash/agent.yaml" --oneshot 2>/dev/null
summary() {
  "$CTL" -c "$1" drafts --json | python3 -c 'import json,sys; print(sorted((d["rule"], d["key"], d["count"]) for d in json.load(sys.stdin)))'
  "$CTL" -c "$1" alerts --json | python3 -c 'import json,sys; print(sorted((d["rule"], d["key"], d["count"], d["draft"] > 0) for d in json.load(sys.stdin)))'
}
CHECKS=$((CHECKS + 1))
[ "$(summary "$T/calm/agent.yaml")" = "$(summary "$T/crash/agent.yaml")" ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: drafts differ after kill -9" >&2; diff <(summary "$T/calm/agent.yaml") <(summary "$T/crash/agent.yaml") >&2; }
CHECKS=$((CHECKS + 1))
"$CTL" -c "$T/calm/agent.yaml" drafts --json | python3 -c '
import json,sys; d = json.load(sys.stdin)
assert len(d) == 1 and d[0]["rule"] == "SOC-SSH-003" and d[0]["count"] > 270, d' ||
  { FAILS=$((FAILS + 1)); echo "FAIL: the grouped draft of the kill test" >&2; }

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
assert alerts and not incidents, (len(alerts), len(incidents))
top = [a for a in alerts if a["rule"]["id"] == "SOC-SSH-001" and a["key"] == "183.62.140.253"]
assert top and top[0]["impact"] == "none" and top[0]["draft"] == 0, top[:1]
assert top[0]["host"]["name"] == "LabSZ" and top[0]["source"]["ip"] == "183.62.140.253", top[:1]
assert all(a["agent"]["id"] == "detect" and a["event"]["kind"] == "alert" for a in alerts)
print("kafka: %d alerts, no incident copies" % len(alerts))
PY
CHECKS=$((CHECKS + 1))
stop_broker

finish
