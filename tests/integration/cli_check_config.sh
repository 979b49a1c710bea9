#!/bin/bash
# socagent/soccollector --check-config: exit codes and FILE:LINE:COL output
# as an operator (or systemd's ExecStartPre) sees them.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# the bundled example is valid
run "$AGENT" -c "$SOC_SRC/examples/socagent.yaml" --check-config
expect_status 0
expect_out "configuration OK (agent web01, 9 input(s), 2 contact(s), 0 warning(s))"

run "$COLL" -c "$SOC_SRC/examples/soccollector.yaml" --check-config
expect_status 0
expect_out "configuration OK (collector center, group soccollector)"

# a broken file: every problem, each with its position, and exit 2
cat > "$T/bad.yaml" <<'YAML'
agent: { id: web01, agency: x, authority: 99 }
contacts: [ { name: a, phone: "1" } ]
inputs:
  - { type: syslog, listen: "udp://127.0.0.1:70000" }
kafka: { brokers: "127.0.0.1:9092", propertys: {} }
YAML
run "$AGENT" -c "$T/bad.yaml" --check-config
expect_status 2
expect_err "$T/bad.yaml:1:43: error: agent.authority: expected an integer from 1 to 57, got '99'"
expect_err "$T/bad.yaml:2:11: warning: only 1 security contact(s)"
expect_err "$T/bad.yaml:4:29: error: inputs[0].listen: 'udp://127.0.0.1:70000': the port must be 1-65535"
expect_err "$T/bad.yaml:5:37: error: unknown key 'propertys' in kafka; did you mean 'properties'?"
expect_err "3 error(s), 2 warning(s); configuration refused"

# a file that is not there
run "$AGENT" -c "$T/missing.yaml" --check-config
expect_status 2
expect_err "$T/missing.yaml: error: cannot open: No such file or directory"

# the YARA set that ships with the tests (signature-base) loads as it is
cat > "$T/yara.yaml" <<YAML
agent: { id: a, agency: x, authority: 1 }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
rules: { yara: [ "$SOC_TEST_DATA/yara/*.yar" ] }
kafka: { brokers: "127.0.0.1:9092" }
YAML
run "$AGENT" -c "$T/yara.yaml" --check-config
expect_status 0

# agent.user / agent.group: an unknown one stops the check, not the start
cat > "$T/user.yaml" <<YAML
agent: { id: a, agency: x, authority: 1, user: no-such-user-here, group: no-such-group-here }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
kafka: { brokers: "127.0.0.1:9092" }
YAML
run "$AGENT" -c "$T/user.yaml" --check-config
expect_status 2
expect_err "user.yaml:1:48: error: agent.user: no user 'no-such-user-here' on this system"
expect_err "agent.group: no group 'no-such-group-here' on this system"
sed -i 's/user: no-such-user-here, //' "$T/user.yaml"
run "$AGENT" -c "$T/user.yaml" --check-config
expect_status 2
expect_err "agent.group: needs agent.user"

# the documentation of every key comes from the same tables
run "$AGENT" --help-config
expect_status 0
expect_out "agent.authority"
expect_out "inputs[type=pcap].bpf"
expect_out "agent.user"
run "$COLL" --help-config
expect_out "kafka.group_id"

# bad usage
run "$AGENT" --no-such-flag
expect_status 2

finish
