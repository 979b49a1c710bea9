#!/bin/sh
# The README's main job: what socagent does, on bundled sample data with the
# example configuration. Run from the source tree after building into build/.
# Later steps (broker, ingestion, drafts, reports, collector) join as they
# are built.
set -eu
cd "$(dirname "$0")/.."
BIN=${SOC_BIN:-build}
AGENT="$BIN/agent/socagent"
CTL="$BIN/agent/socctl"
CFG=examples/socagent.yaml

step() { printf '\n== %s\n' "$*"; }
STATE=build/demo-state
rm -rf "$STATE"
mkdir -p "$STATE"
BROKER_PID=""
trap '[ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null' EXIT

step "1. Check the agent's configuration and everything it points at"
"$AGENT" -c "$CFG" --check-config

step "2. Check the collector's configuration"
"$BIN/collector/soccollector" -c examples/soccollector.yaml --check-config

step "3. Take in the bundled sample logs (4,000 real sshd and Apache lines) and keep them"
"$AGENT" -c "$CFG" --oneshot 2>&1 | grep -v "not built into this version yet" || true
"$CTL" -c "$CFG" journal stats

step "4. Read back what host LabSZ logged (the first 3 lines)"
"$CTL" -c "$CFG" journal export --host LabSZ | head -n 3

step "5. Start a development Kafka broker (the one the tests use) and forward the journal"
"$BIN/tests/broker/socbroker" --prefix soc --bootstrap-file "$STATE/bootstrap" \
  </dev/null >/dev/null 2>"$STATE/broker.log" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$STATE/bootstrap" ] && break; sleep 0.05; done
export SOC_KAFKA_BROKERS="$(cat "$STATE/bootstrap")"
echo "broker at $SOC_KAFKA_BROKERS"
"$AGENT" -c "$CFG" --forward-once 2>&1 | grep -v "not built into this version yet" || true
"$CTL" -c "$CFG" status | sed -n '3p'
echo "kcat (an independent Kafka client) reads the first event back from soc.events:"
kcat -C -b "$SOC_KAFKA_BROKERS" -t soc.events -o beginning -c 1 -e -q | head -c 400; echo

step "6. Level an incident under §2.3: the citizen portal (web01, core) was defaced"
"$CTL" -c "$CFG" classify --host web01 --impact tamper --severity severe

step "7. The water SCADA network (CII) has been down 45 minutes; it tolerates 30"
"$CTL" -c "$CFG" classify --host 198.51.100.7 --impact outage --outage-minutes 45

step "8. A host the inventory does not know: the default tier applies, and says so"
"$CTL" -c "$CFG" classify --host 203.0.113.9 --impact leak --data-class general

step "9. The same, for machines"
"$CTL" -c "$CFG" classify --host web01 --impact leak --json
