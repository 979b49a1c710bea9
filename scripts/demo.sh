#!/bin/sh
# The README's main job: the whole mission on one machine, with the example
# configuration and the bundled sample data — a development Kafka broker, the
# agent on real logs and captures, alerts for the attempts and drafts with
# their levels for what shows impact, an analyst's
# confirmation of a level-3 incident, its report, clocks and evidence bundle,
# and the technical center's collector receiving all of it. No Kafka cluster,
# no root, no network interface. Run from the source tree after building
# into build/ (SOC_BIN=DIR for another build folder).
set -eu
cd "$(dirname "$0")/.."
BIN=${SOC_BIN:-build}
AGENT="$BIN/agent/socagent"
CTL="$BIN/ctl/socctl"
COLL="$BIN/collector/soccollector"
CFG=examples/socagent.yaml
CCFG=examples/soccollector.yaml
STATE=build/demo-state   # the agent's state_dir in $CFG
CSTATE=build/demo-center # the collector's state_dir in $CCFG
PIDS=""

stop_all() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

# wait_for WHAT COMMAND...: runs COMMAND until it succeeds, saying after a
# second what it waits for (counting the seconds on a terminal) and how long
# it took; gives up after 2 minutes (SOC_DEMO_WAIT seconds: the tests give
# a machine under load longer), or at once when a program it started stopped.
wait_for() {
  what=$1
  shift
  t0=$(date +%s)
  said=""
  while ! "$@" >/dev/null 2>&1; do
    for p in $PIDS; do
      if ! kill -0 "$p" 2>/dev/null; then
        printf '\n  gave up waiting for %s: a program it needs stopped; the logs are in %s and %s\n' \
          "$what" "$STATE" "$CSTATE" >&2
        tail -n 3 "$STATE/agent.log" "$CSTATE/collector.log" >&2 2>/dev/null
        exit 1
      fi
    done
    n=$(($(date +%s) - t0))
    if [ "$n" -ge "${SOC_DEMO_WAIT:-120}" ]; then
      printf '\n  gave up waiting for %s; the logs are in %s and %s\n' "$what" "$STATE" "$CSTATE" >&2
      exit 1
    fi
    if [ "$n" -ge 1 ] && [ -t 1 ]; then
      printf '\r  waiting for %s ... %d s' "$what" "$n"
      said=1
    elif [ "$n" -ge 1 ] && [ -z "$said" ]; then
      printf '  waiting for %s ...\n' "$what"
      said=1
    fi
    sleep 0.2
  done
  [ -n "$said" ] && printf '\r  %s: done after %d s        \n' "$what" $(($(date +%s) - t0))
  return 0
}

# json_true JSON-COMMAND PYTHON-EXPRESSION-ON-d: the command's JSON output, judged
json_true() {
  out=$($1) || return 1
  printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"
}
json_get() {
  $1 | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

rm -rf "$STATE" "$CSTATE"
mkdir -p "$STATE/www/upload" "$CSTATE"
cp tests/data/www/index.html "$STATE/www/" # the citizen portal's web root, a copy to attack
SOC_DEMO_WWW="$PWD/$STATE/www"              # the watch input of $CFG
export SOC_DEMO_WWW
# the console (console.listen of $CCFG): any free loopback port unless set
SOC_CONSOLE_LISTEN=${SOC_CONSOLE_LISTEN:-127.0.0.1:0}
export SOC_CONSOLE_LISTEN
# the agent's syslog input of $CFG: a free loopback port unless set, so that
# the demo starts beside anything else on 5514 (another demo, a syslog relay)
SOC_DEMO_SYSLOG=${SOC_DEMO_SYSLOG:-udp://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export SOC_DEMO_SYSLOG

step "1. Check both configurations, then start a development Kafka broker on loopback"
"$AGENT" -c "$CFG" --check-config
"$COLL" -c "$CCFG" --check-config
"$BIN/tests/broker/socbroker" --prefix soc --bootstrap-file "$STATE/bootstrap" \
  </dev/null >/dev/null 2>"$STATE/broker.log" &
PIDS="$!"
wait_for "the broker" test -s "$STATE/bootstrap"
SOC_KAFKA_BROKERS=$(cat "$STATE/bootstrap")
export SOC_KAFKA_BROKERS
echo "broker at $SOC_KAFKA_BROKERS (librdkafka's mock cluster, the one the tests use)"
echo "The center accepts only what is signed by a key an operator enrolled. The agent makes its"
echo "key pair at its first start (here, now: socagent --print-key); one command enrols it:"
KEY=$("$AGENT" -c "$CFG" --print-key | sed -n 's/^public key: *//p')
echo "  soccollector -c $CCFG enroll web01 --key $KEY --agency 臺北市政府資訊局 --by 技服中心"
"$COLL" -c "$CCFG" enroll web01 --key "$KEY" --agency 臺北市政府資訊局 --by 技服中心
echo "The web console's accounts: an analyst of the agency and the center's staff (password on stdin):"
CONSOLE_PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c 1-14)
echo "  soccollector -c $CCFG user add 王小明 --role analyst --agency 臺北市政府資訊局"
printf '%s\n' "$CONSOLE_PW" | "$COLL" -c "$CCFG" user add 王小明 --role analyst --agency 臺北市政府資訊局 >/dev/null
printf '%s\n' "$CONSOLE_PW" | "$COLL" -c "$CCFG" user add twcert --role center >/dev/null

step "2. Start the collector and the agent: sample logs and captures in, forwarded to Kafka"
"$COLL" -c "$CCFG" 2>"$CSTATE/collector.log" &
PIDS="$! $PIDS"
"$AGENT" -c "$CFG" 2>"$STATE/agent.log" &
PIDS="$! $PIDS"
# every pcap read to its end, every log line kept, and nothing left to forward
wait_for "the sample data to be read and forwarded" json_true "$CTL -c $CFG status --json" \
  'd["counters"]["sample-logs"]["lines"] >= 4000 and all(d["counters"].get(i, {}).get("events", 0) > 0 for i in ("pcap-http", "pcap-dns", "pcap-tls", "pcap-ssh", "pcap-smb", "pcap-smb-seg")) and d["forward"]["lag_lines"] == 0 and d["forward"]["delivered"] >= d["journal"]["lines"]'
"$CTL" -c "$CFG" status | sed -n '2,3p'
echo "kcat (an independent Kafka client) reads the HTTP requests of the capture back from soc.events:"
kcat -C -b "$SOC_KAFKA_BROKERS" -t soc.events -o beginning -e -q 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["event"]["dataset"] == "network.http":
        h, u = e["http"], e.get("url", {})
        print("  %s [%s]:%s -> [%s]:%s %s %s -> %s" % (e["@timestamp"], e["source"]["ip"], e["source"]["port"],
              e["destination"]["ip"], e["destination"]["port"], h["request"]["method"], u.get("original", ""),
              h.get("response", {}).get("status_code", "-")))'


step "3. Meanwhile an attacker uploads a PHP webshell into the portal's web root"
cp tests/data/yara/fire/SOC_Webshell_PHP_Eval_Request.php "$STATE/upload.tmp"
mv "$STATE/upload.tmp" "$STATE/www/upload/img.php"
echo "$STATE/www/upload/img.php: $(sha256sum "$STATE/www/upload/img.php" | cut -c 1-16)..."
wait_for "the webshell to be drafted" json_true "$CTL -c $CFG drafts --json" \
  'any(x["rule"] == "SOC-YARA-001" for x in d)'
echo "The drafts: only where the evidence shows impact (§2.3), one per intrusion, each with its"
echo "suggested level, the clause behind it, and the time left to report (§3.1: one hour):"
"$CTL" -c "$CFG" drafts
DRAFT=$(json_get "$CTL -c $CFG drafts --json" '[x["id"] for x in d if x["rule"] == "SOC-YARA-001"][0]')
echo "Beside them, the alerts: attempts, probes and scans (no clock), and the draft that took each in:"
"$CTL" -c "$CFG" alerts
json_get "$CTL -c $CFG alerts --json" '"%d alert(s) in all, %d of them in a draft" % (len(d), len([x for x in d if x["draft"]]))'

step "4. An analyst confirms the level-3 draft: a report, its clocks and its evidence bundle"
"$CTL" -c "$CFG" show "$DRAFT" | sed -n '1,4p'
echo "Our rule and the signature-base rules found the same file: one draft holds them all."
"$CTL" -c "$CFG" show "$DRAFT" | sed -n '/^level from alert/,/^evidence:/p' | sed '$d'
"$CTL" -c "$CFG" confirm "$DRAFT" --analyst 王小明
"$CTL" -c "$CFG" file "$DRAFT" --analyst 王小明 --via platform
"$CTL" -c "$CFG" deadlines
wait_for "the evidence bundle" json_true "$CTL -c $CFG report $DRAFT --format json" \
  'd.get("bundle") and d["bundle"]["state"] == "queued"'
json_get "$CTL -c $CFG report $DRAFT --format json" \
  '"evidence bundle %s: %d bytes, sha256 %s..., %d journal line(s), %d object(s) YARA matched, %d chunk(s) to soc.evidence" % (d["bundle"]["id"], d["bundle"]["size"], d["bundle"]["sha256"][:16], d["bundle"]["lines"], d["bundle"]["objects"], d["bundle"]["chunks"])'

step "5. The technical center: the feed, the report and the bundle, verified"
wait_for "the collector to verify the bundle" sh -c \
  "\"$COLL\" -c $CCFG evidence | grep -q verified"
wait_for "a heartbeat of the agent since the analyst's work" json_true "$COLL -c $CCFG agents --json" \
  'd["agents"][0]["lag_lines"] == 0 and d["agents"][0]["counters"]["webroot"]["drafts"] > 0 and d["agents"][0].get("audit_anchor")'
"$COLL" -c "$CCFG" stats | grep -E ' (consumed|events|quarantined) '
"$COLL" -c "$CCFG" agents
"$COLL" -c "$CCFG" incidents
"$COLL" -c "$CCFG" evidence
"$COLL" -c "$CCFG" summary
CONSOLE=$(sed -n 's/^soccollector: console at //p' "$CSTATE/collector.log" | head -n 1)
echo "The web console: $CONSOLE   logins: 王小明 (the agency's analyst) or twcert (the center),"
echo "password $CONSOLE_PW (SOC_DEMO_CONSOLE=1 keeps everything running until Enter)"
if [ "${SOC_DEMO_CONSOLE:-}" = 1 ]; then
  printf 'press Enter to stop the demo: '
  read -r _
fi
ANCHOR=$(json_get "$COLL -c $CCFG agents --json" 'd["agents"][0].get("audit_anchor", "")')
echo "The center keeps the head of the agent's audit log ($ANCHOR); the agent's log is held to it:"
"$CTL" -c "$CFG" audit verify --anchor "$ANCHOR"

step "6. Stop everything; the stores are yours to look inside"
stop_all
echo "agent:     $STATE/agent.db   the journal, drafts, reports, audit log, outbox (sqlite3 $STATE/agent.db .tables)"
echo "collector: $CSTATE/center.db   events, reports, notifications, decisions"
for t in "$CSTATE"/evidence/*.tar; do
  echo "bundle:    $t   (tar -xf it; sha256sum -c manifest-sha256.txt inside)"
done
echo "logs:      $STATE/agent.log, $CSTATE/collector.log"
