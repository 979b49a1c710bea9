#!/bin/bash
# Issue 16, transport: kafka.properties carries TLS and SASL to librdkafka as
# docs/SECURITY.md shows them. --check-config takes the documented settings
# for the agent and the collector and refuses a misspelled one with its
# position; and they are really applied: an agent told to speak TLS to the
# development broker (plain TCP) delivers nothing and says why, while the
# same agent without them delivers everything, signed.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
COLL="$SOC_BIN/collector/soccollector"
CA=/etc/ssl/certs/ca-certificates.crt
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
start_broker "$T"
mkdir -p "$T/logs"
printf 'line %d\n' 1 2 3 >"$T/logs/app.log"

TLS="properties: { security.protocol: ssl, ssl.ca.location: \"$CA\", socket.timeout.ms: \"2000\" }"
SASL="properties: { security.protocol: sasl_ssl, sasl.mechanisms: SCRAM-SHA-512, sasl.username: web01, sasl.password: secret, ssl.ca.location: \"$CA\" }"

# the documented settings pass --check-config, agent and collector
agent_config "$T" a1 "logs/app.log" ", $TLS"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 0
agent_config "$T" a1 "logs/app.log" ", $SASL"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 0
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center }
kafka: { brokers: "$BOOTSTRAP", $SASL }
YAML
run "$COLL" -c "$T/center.yaml" --check-config
expect_status 0

# a misspelled one is refused, with its position
agent_config "$T" a1 "logs/app.log" ", properties: { security.protocl: ssl }"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "security.protocl"

# applied: TLS against a plain-TCP broker delivers nothing
agent_config "$T" a1 "logs/app.log" ", $TLS"
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
run "$AGENT" -c "$T/agent.yaml" --forward-once
expect_status 3
grep -qi "ssl\|tls\|handshake" <<<"$ERR" || fail "no word of TLS in: $ERR"
CHECKS=$((CHECKS + 1))
# without them the same journal goes out, signed
agent_config "$T" a1 "logs/app.log"
run "$AGENT" -c "$T/agent.yaml" --forward-once
expect_status 0
run consume soc.events
check_py "all three lines delivered" 'import sys; assert len(sys.argv[1].splitlines()) == 3, sys.argv[1]' "$OUT"
stop_broker
finish
