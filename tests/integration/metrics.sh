#!/bin/bash
# The Prometheus endpoint (metrics.listen) of the agent and the collector:
# the text passes a strict parser of the format (check_metrics.py, and
# promtool where it is installed); its numbers are socctl status's; other
# paths and methods are refused; only loopback addresses are accepted.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PARSE="python3 $SOC_SRC/tests/integration/check_metrics.py"

# value NAME_WITH_LABELS FILE: the sample's value from check_metrics.py's output
value() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

scrape() { # url out-file: parsed samples in out-file; the raw text in out-file.raw
  curl -sf "$1" >"$2.raw" || return 1
  $PARSE <"$2.raw" >"$2"
}

# --- off by default; a non-loopback address is refused ----------------------
mkdir -p "$T/logs"
PORT=$(free_port)
agent_yaml() { # metrics line
  cat >"$T/agent.yaml" <<YAML
agent: { id: m1, agency: test, authority: 36, state_dir: state }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: app, paths: [ "logs/*.log" ], poll_interval: 20ms } ]
rules: { log: [ "$SOC_SRC/rules/log/ssh.yaml" ] }
journal: { commit_interval: 50ms }
kafka: { brokers: "127.0.0.1:9" }
$1
YAML
}
agent_yaml 'metrics: { listen: "0.0.0.0:9464" }'
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "metrics.listen: '0.0.0.0:9464': the endpoint has no authentication: only a loopback address"
agent_yaml 'metrics: { listen: "127.0.0.1:http" }'
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "metrics.listen: '127.0.0.1:http': the port must be a number"

# --- the agent ------------------------------------------------------------------
agent_yaml "metrics: { listen: \"127.0.0.1:$PORT\" }"
# 12 failed logins from one address: a SOC-SSH-001 alert, which the analyst
# promotes to a draft and confirms into a report whose clocks then run
for i in $(seq 10 21); do
  echo "Dec  6 10:00:$i host sshd[1]: Failed password for root from 192.0.2.7 port 40$i ssh2" >>"$T/logs/a.log"
done
"$AGENT" -c "$T/agent.yaml" 2>"$T/agent.err" &
agent=$!
for _ in $(seq 100); do
  "$CTL" -c "$T/agent.yaml" alerts --json 2>/dev/null | grep -q SOC-SSH-001 && break
  sleep 0.1
done
run "$CTL" -c "$T/agent.yaml" promote 1 --analyst tester
expect_status 0
run "$CTL" -c "$T/agent.yaml" confirm 1 --analyst tester
expect_status 0
CHECKS=$((CHECKS + 1))
for _ in $(seq 100); do
  [ "$("$CTL" -c "$T/agent.yaml" status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["app"]["lines"])' 2>/dev/null)" = 12 ] && break
  sleep 0.1
done
scrape "http://127.0.0.1:$PORT/metrics" "$T/agent.prom" || fail "the agent's /metrics does not parse: $(tail -3 "$T/agent.prom.raw")"
run "$CTL" -c "$T/agent.yaml" status --json
printf '%s' "$OUT" >"$T/status.json"
check_py "the endpoint's numbers are socctl status's" '
import json, sys
st = json.load(open(sys.argv[1]))
m = dict(l.rsplit(" ", 1) for l in open(sys.argv[2]).read().splitlines())
def v(k): return int(float(m[k]))
assert v("socagent_input_records_total{input=\"app\"}") == st["counters"]["app"]["lines"] == 12, m
assert v("socagent_input_bytes_total{input=\"app\"}") == st["counters"]["app"]["bytes"], m
assert v("socagent_journal_records") == st["journal"]["lines"], m
assert v("socagent_journal_bytes") == st["journal"]["stored_bytes"], m
assert v("socagent_forward_lag_records") == st["forward"]["lag_lines"], m
assert v("socagent_forward_delivered_total") == st["forward"]["delivered"], m
assert v("socagent_journal_lost_records_total") == 0, m
assert v("socagent_report_open_clocks") == st["reports"]["open_clocks"] > 0, m
assert v("socagent_detect_alerts_opened_total") == st["counters"]["detect"]["alerts_opened"] == 1, m
assert v("socagent_detect_drafts_opened_total") == st["counters"]["detect"]["drafts_opened"], m
assert v("socagent_report_overdue_steps") == st["reports"]["overdue_steps"], m
assert v("socagent_up") == 1
' "$T/status.json" "$T/agent.prom"
if command -v promtool >/dev/null; then
  run promtool check metrics <"$T/agent.prom.raw"
  expect_status 0
fi
run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other"
expect_out 404
run curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics"
expect_out 405
# a client that sends nothing does not hold the endpoint for others
exec 9<>"/dev/tcp/127.0.0.1/$PORT"
run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
expect_out 200
exec 9<&-
# its threads are named, as top -H and perf show them (the kernel keeps 15 bytes)
CHECKS=$((CHECKS + 1))
names=$(cat /proc/$agent/task/*/comm | sort -u | tr '\n' ' ')
for n in socagent soc:detect soc:forward soc:workflow soc:http; do
  case " $names" in *" $n "*) ;; *) fail "no thread named $n among: $names" ;; esac
done
kill $agent
wait $agent
STATUS=$? LAST="socagent (stopped with SIGTERM)" ERR=$(cat "$T/agent.err")
expect_status 0

# --- the collector ---------------------------------------------------------------
start_broker "$T"
CPORT=$(free_port)
cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center, agent_silence: 5s }
kafka: { brokers: "$BOOTSTRAP", topic_prefix: soc, group_id: soccollector }
metrics: { listen: "127.0.0.1:$CPORT" }
YAML
"$COLL" -c "$T/center.yaml" 2>"$T/coll.err" &
coll=$!
CHECKS=$((CHECKS + 1))
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$CPORT/metrics" >/dev/null && break; sleep 0.1; done
scrape "http://127.0.0.1:$CPORT/metrics" "$T/coll.prom" || fail "the collector's /metrics does not parse: $(cat "$T/coll.err")"
CHECKS=$((CHECKS + 1))
[ "$(value soccollector_up "$T/coll.prom")" = 1 ] && [ "$(value soccollector_agents "$T/coll.prom")" = 0 ] ||
  fail "soccollector_up / soccollector_agents missing: $(cat "$T/coll.prom")"
kill $coll
wait $coll
STATUS=$? LAST="soccollector (stopped with SIGTERM)" ERR=$(cat "$T/coll.err")
expect_status 0

# --- retention: forwarded lines deleted by journal.max_age are counted ---------
mkdir -p "$T/r/logs"
cat >"$T/r/agent.yaml" <<YAML
agent: { id: m2, agency: test, authority: 36, state_dir: state }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: app, paths: [ "logs/*.log" ] } ]
journal: { block_lines: 1, max_age: 1s }
kafka: { brokers: "$BOOTSTRAP" }
metrics: { listen: "127.0.0.1:$PORT" }
YAML
for i in 1 2 3 4 5; do echo "Dec  6 10:00:0$i host app[1]: line $i" >>"$T/r/logs/a.log"; done
run "$AGENT" -c "$T/r/agent.yaml" --oneshot --forward-once
expect_status 0
sleep 1.5 # the blocks must be older than max_age
run "$AGENT" -c "$T/r/agent.yaml" --oneshot
expect_status 0
"$AGENT" -c "$T/r/agent.yaml" 2>"$T/r/agent.err" &
agent=$!
CHECKS=$((CHECKS + 1))
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null && break; sleep 0.1; done
scrape "http://127.0.0.1:$PORT/metrics" "$T/r.prom" || fail "/metrics does not parse"
# five one-line blocks delivered; all but the newest (never deleted) aged out
CHECKS=$((CHECKS + 1))
[ "$(value socagent_journal_retention_deleted_records_total "$T/r.prom")" = 4 ] &&
  [ "$("$CTL" -c "$T/r/agent.yaml" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["journal"]["retired_lines"])')" = 4 ] ||
  fail "retention deletions: $(grep retention "$T/r.prom")"
kill $agent
wait $agent

finish
