# Shared by the detection tests (detect.sh, analyst.sh): an agent with the
# shipped rules and an inventory in which the OpenSSH sample's host (LabSZ)
# is a core asset.

# detect_config DIR AGENT_ID
detect_config() {
  mkdir -p "$1/logs"
  cat >"$1/agent.yaml" <<YAML
agent: { id: $2, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
assets: assets.yaml
inputs: [ { type: file, id: auth, paths: [ "logs/*.log" ], poll_interval: 20ms } ]
rules: { log: [ "$SOC_SRC/rules/log/*.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
YAML
  cat >"$1/assets.yaml" <<YAML
default: { tier: non-core, tolerable_downtime: 8h }
assets:
  - { name: ssh-gateway, tier: core, hosts: [LabSZ, gw01], tolerable_downtime: 4h }
YAML
}

# attempts_drafted DIR: the agent in DIR runs a copy of the shipped pack in
# which the attempts (impact: none) are drafted as minor tampering, as an
# agency may choose to; the analyst's and the report's tests need drafts from
# the OpenSSH sample, whose attackers never get in.
attempts_drafted() {
  mkdir -p "$1/rules"
  for f in "$SOC_SRC"/rules/log/*.yaml; do
    sed 's/^    impact: none$/    impact: tamper\n    severity: minor/' "$f" >"$1/rules/${f##*/}"
  done
  sed -i "s|\"$SOC_SRC/rules/log/\*.yaml\"|\"$1/rules/*.yaml\"|" "$1/agent.yaml"
}
