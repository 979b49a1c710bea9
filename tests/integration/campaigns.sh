#!/bin/bash
# The center sees campaigns (issue 15): one address guesses SSH passwords at
# three agencies (each has its own agent; every agency also sees an address
# of its own). The collector's `campaigns` finds the shared address with its
# three agencies and counts, and not the others; each agency is sent a
# notice on its decision topic, once; each agent keeps it and shows it in
# `socctl alerts`. With SOC_TEST_STORE=postgresql (integration.campaigns_pg)
# the center is on a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/detect_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; rm -rf "$T"' EXIT
start_broker "$T"

guess() { # file host address
  for i in $(seq 10 25); do
    printf 'Nov 25 08:00:%02d %s sshd[%d]: Failed password for root from %s port %d ssh2\n' \
      "$i" "$2" $((1000 + i)) "$3" $((40000 + i))
  done >>"$1"
}
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center }
kafka:
  brokers: "$BOOTSTRAP"
  topic_prefix: soc
  group_id: soccollector
YAML
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
# the center's key, which the agents check its notices with
CENTER_KEY=$(cd "$T" && center_key "$T/center.yaml")
n=0
for a in north south east; do
  n=$((n + 1))
  detect_config "$T/$a" "ag-$a"
  sed -i "s|agency: test|agency: agency-$a|; s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\", heartbeat_interval: 1s, center_key: \"$CENTER_KEY\"|" "$T/$a/agent.yaml"
  (cd "$T" && enroll_agent "$T/center.yaml" "$T/$a/agent.yaml") || fail "enrolling ag-$a"
  guess "$T/$a/logs/auth.log" "gw-$a" 203.0.113.250
  guess "$T/$a/logs/auth.log" "gw-$a" "198.51.100.$n"
  run "$AGENT" -c "$T/$a/agent.yaml" --oneshot
  expect_status 0
  run "$AGENT" -c "$T/$a/agent.yaml" --forward-once
  expect_status 0
done

C=(-c "$T/center.yaml")
(cd "$T" && exec "$COLL" -c "$T/center.yaml" 2>"$T/collector.err") &
CPID=$!
alerts_in() { center_sql "select count(*) from message where topic='soc.alerts'" 2>/dev/null || echo 0; }
for _ in $(seq 150); do
  [ "$(alerts_in)" -ge 6 ] && break
  sleep 0.2
done
kill $CPID
wait $CPID 2>/dev/null
CHECKS=$((CHECKS + 1))
[ "$(alerts_in)" -ge 6 ] || fail "the collector has $(alerts_in) alerts, expected 6 or more"

(cd "$T" && "$COLL" -c "$T/center.yaml" campaigns --json) >"$T/campaigns.json" 2>"$T/campaigns.err"
CHECKS=$((CHECKS + 1))
python3 - "$T/campaigns.json" <<'PY' || fail "the campaign view"
import json, sys
c = json.load(open(sys.argv[1]))
assert [(x["kind"], x["source"], x["agencies"]) for x in c] == [("source.ip", "203.0.113.250", 3)], c
by = {a["agency"]: a["alerts"] for a in c[0]["by_agency"]}
assert sorted(by) == ["agency-east", "agency-north", "agency-south"] and all(n >= 1 for n in by.values()), by
assert c[0]["alerts"] == sum(by.values()), c[0]
PY
# again: the same campaign, no notice recorded a second time
cd "$T" || exit 1
run "$COLL" -c "$T/center.yaml" campaigns
expect_status 0
expect_out "203.0.113.250"
expect_out "agency-north: "
CHECKS=$((CHECKS + 1))
grep -q "notice(s) to agencies recorded" <<<"$OUT" && fail "notices recorded twice"
CHECKS=$((CHECKS + 1))
[ "$(center_sql "select count(*) from decision where kind='notice'")" = 3 ] ||
  fail "expected 3 notices in the center's decisions"

# each agent reads its agency's topic and shows the notice
for a in north south east; do
  "$AGENT" -c "$T/$a/agent.yaml" 2>"$T/$a/agent.err" &
done
notices() { "$CTL" -c "$T/$1/agent.yaml" alerts --notices --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0; }
for a in north south east; do
  for _ in $(seq 150); do
    [ "$(notices $a)" = 1 ] && break
    sleep 0.2
  done
  run "$CTL" -c "$T/$a/agent.yaml" alerts
  expect_out "notices from the technical center:"
  expect_out "source.ip 203.0.113.250 alerted at 3 agencies"
  expect_out "SOC-SSH-001    gw-$a"
done
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
stop_broker
finish
