#!/bin/bash
# Watched web roots end to end, through the agent daemon: a webshell dropped
# into the web root becomes a draft (category web-attack, 網頁攻擊, with the
# file, rule, matched strings and SHA-256 as evidence); a page edited after
# the baseline becomes a defacement draft; a benign file stays quiet; kill -9
# and a restart neither lose nor double a draft; changes made while the agent
# is down are found at start; socctl status shows the YARA counters.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/www/upload" "$T/www/static"
cp "$SOC_TEST_DATA/www/index.html" "$T/www/index.html"
echo '<html><body>about us</body></html>' >"$T/www/about.html"
cat >"$T/agent.yaml" <<YAML
agent: { id: web01, agency: test, authority: 36, state_dir: state }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
assets: assets.yaml
inputs:
  - type: watch
    id: webroot
    paths: [ "$T/www" ]
    exclude: [ "*.log", "$T/www/static/*" ]
    asset: portal.example
    report_changes: [ "*.html", "*.php" ]
rules: { yara: [ "$SOC_SRC/rules/yara/*.yar" ] }
kafka: { brokers: "127.0.0.1:9" }
YAML
cat >"$T/assets.yaml" <<YAML
default: { tier: non-core, tolerable_downtime: 8h }
assets:
  - { name: citizen-portal, tier: core, hosts: [portal.example], tolerable_downtime: 4h }
YAML

run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 0

drafts_json() { "$CTL" -c "$T/agent.yaml" drafts --all --json 2>/dev/null; }
# drafts_hold PYTHON-CONDITION-ON-d: the drafts (a list) make it true
drafts_hold() {
  drafts_json | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}
# wait_drafts PYTHON-CONDITION-ON-d: until the drafts make it true
wait_drafts() { wait_for 30 "drafts where $1" drafts_hold "$1" || drafts_json >&2; }

# counter_at_least NAME N: the webroot input's counter NAME is N or more
counter_at_least() {
  "$CTL" -c "$T/agent.yaml" status --json 2>/dev/null |
    python3 -c "import json,sys; c=json.load(sys.stdin)['counters'].get('webroot',{}); sys.exit(0 if c.get('$1',0) >= $2 else 1)"
}
wait_counter() { wait_for 30 "counter $1 to reach $2" counter_at_least "$1" "$2"; }

start() {
  "$AGENT" -c "$T/agent.yaml" 2>>"$T/agent.err" &
  PID=$!
}

# --- first start: the baseline is made; nothing is drafted
start
wait_counter baseline_new 2
run "$CTL" -c "$T/agent.yaml" drafts
expect_out "no open drafts"

# --- a webshell dropped into the upload folder (written elsewhere, moved in)
cp "$SOC_TEST_DATA/yara/fire/SOC_Webshell_PHP_Eval_Request.php" "$T/shell.tmp"
mv "$T/shell.tmp" "$T/www/upload/img.php"
wait_drafts 'any(x["rule"] == "SOC-YARA-001" for x in d)'
# --- a benign page and an excluded file: quiet
cp "$SOC_TEST_DATA/yara/quiet/contact.php" "$T/www/contact.php"
cp "$SOC_TEST_DATA/yara/fire/SOC_Webshell_PHP_Command_Request.php" "$T/www/static/x.php"
# --- a defacement: an existing page edited in place
echo '<html><body>HACKED BY nobody</body></html>' >"$T/www/index.html"
wait_drafts 'any(x["rule"] == "SOC-WATCH-001" for x in d)'
# the benign file was looked at (hashed) before we judge it quiet
wait_counter baseline_new 4
run "$CTL" -c "$T/agent.yaml" drafts --json
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: drafts after the first changes" >&2; }
import json, sys
d = json.loads(sys.argv[1])
assert sorted(x["rule"] for x in d) == ["SOC-WATCH-001", "SOC-YARA-001"], d
assert all(x["asset"] == "citizen-portal" and x["category"] == "web-attack" for x in d), d
assert not any(x["key"].endswith(("contact.php", "x.php")) for x in d), d
PY
CHECKS=$((CHECKS + 1))

id=$(drafts_json | python3 -c 'import json,sys; print([x["id"] for x in json.load(sys.stdin) if x["rule"]=="SOC-YARA-001"][0])')
run "$CTL" -c "$T/agent.yaml" show "$id" --json
python3 - "$OUT" "$T/www/upload/img.php" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: webshell draft body" >&2; }
import hashlib, json, sys
d = json.loads(sys.argv[1])
path = sys.argv[2]
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
assert d["category"] == "web-attack" and d["category_zh"] == "網頁攻擊", d
assert d["impact"] == "tamper" and d["subtype"] == "web trojan", d
assert d["asset"]["name"] == "citizen-portal" and d["asset"]["match"] == "host", d
assert d["level"] == 3, d  # core asset, severe tampering: §2.3(二)2
f = d["finding"]
assert f["file"]["path"] == path and f["file"]["hash"]["sha256"] == sha, f
assert f["yara"]["rule"] == "SOC_Webshell_PHP_Eval_Request", f
s = f["yara"]["strings"]
assert any(x["offset"] > 0 and "eval" in x["data"] for x in s), s
ev = d["evidence"][0]["line"]
assert path in ev and sha in ev and "SOC_Webshell_PHP_Eval_Request" in ev, ev
PY
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/agent.yaml" show "$id"
expect_out "category: web-attack (網頁攻擊), web trojan"
expect_out "asset: citizen-portal (tier core, found by host)"

# --- kill -9, then changes while down: an edited page, a new miner
kill -9 "$PID"
wait "$PID" 2>/dev/null
echo '<html><body>about them</body></html>' >"$T/www/about.html"
cp "$SOC_TEST_DATA/yara/fire/SOC_Miner_Stratum_Pool.sh" "$T/www/upload/run.sh"
rm "$T/www/contact.php"
start
wait_drafts 'sum(x["rule"] == "SOC-WATCH-001" for x in d) == 2 and any(x["rule"] == "SOC-YARA-011" for x in d)'
kill -TERM "$PID"
wait "$PID"
# --- and once more: a restart with nothing new drafts nothing twice
start
wait_counter rescans 3   # written with the rescan's last batch, in its transaction
kill -TERM "$PID"
wait "$PID"
run "$CTL" -c "$T/agent.yaml" drafts --json
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: drafts after the restarts" >&2; }
import json, sys
d = json.loads(sys.argv[1])
rules = sorted(x["rule"] for x in d)
assert rules == ["SOC-WATCH-001", "SOC-WATCH-001", "SOC-YARA-001", "SOC-YARA-011"], rules
assert all(x["count"] == 1 for x in d), d
PY
CHECKS=$((CHECKS + 1))
miner=$(drafts_json | python3 -c 'import json,sys; print([x["id"] for x in json.load(sys.stdin) if x["rule"]=="SOC-YARA-011"][0])')
run "$CTL" -c "$T/agent.yaml" show "$miner"
expect_out "category: intrusion (非法入侵)"

# --- the counters
run "$CTL" -c "$T/agent.yaml" status
expect_out "baseline_deleted"
run "$CTL" -c "$T/agent.yaml" status --json
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: status counters" >&2; }
import json, sys
c = json.loads(sys.argv[1])["counters"]
y, w = c["yara"], c["webroot"]
assert y["rules"] == 12 and y["scans"] >= 5 and y["matches"] >= 2 and y["timeouts"] == 0, y
assert w["baseline_changed"] == 2 and w["baseline_deleted"] == 1 and w["drafts"] == 4, w
assert w["watches"] >= 3 and w["watch_limit"] == 0, w
PY
CHECKS=$((CHECKS + 1))
# the compiled rules were cached and loaded again
grep -q "loaded from the cache" "$T/agent.err" || { FAILS=$((FAILS + 1)); echo "FAIL: cache not used" >&2; }
CHECKS=$((CHECKS + 1))

# --- the alerts waiting for the center are ECS
python3 - "$T/state/agent.db" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: outbox alerts" >&2; }
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
alerts = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox WHERE topic = 'alerts'")]
assert len(alerts) == 4, len(alerts)
a = [x for x in alerts if x["rule"]["id"] == "SOC-YARA-001"][0]
assert a["event"]["kind"] == "alert" and a["file"]["hash"]["sha256"] and a["file"]["path"], a
assert a["rule"]["name"] and a["host"]["name"], a
PY
CHECKS=$((CHECKS + 1))

# --- the webshell, confirmed at level 3, goes to the center in the evidence
# bundle (§4.1(二)7) as it was scanned, even after the attacker removed it
sha=$(sha256sum "$T/www/upload/img.php" | cut -d' ' -f1)
cp "$T/www/upload/img.php" "$T/img.php.orig"
rm "$T/www/upload/img.php"
run "$CTL" -c "$T/agent.yaml" confirm "$id" --analyst 王小明
expect_status 0
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
check_py "the matched webshell is in the level-3 bundle" '
import json, sys
sys.path.insert(0, sys.argv[1])
from bundle_outbox import rebuild
files, man, _ = rebuild(sys.argv[2], "web01/" + sys.argv[3])
assert files["data/yara/" + sys.argv[4]] == open(sys.argv[5], "rb").read(), sorted(files)
objs = [json.loads(l) for l in files["data/yara/objects.jsonl"].decode().splitlines()]
assert [(o["draft"], o["sha256"], o["file"]) for o in objs] == [(int(sys.argv[3]), sys.argv[4], "yara/" + sys.argv[4])], objs
assert objs[0]["name"].endswith("/upload/img.php") and objs[0]["size"] == len(files["data/yara/" + sys.argv[4]]), objs
assert json.loads(files["custody.json"])["objects"] == 1
' "$SOC_SRC/tests/integration" "$T/state/agent.db" "$id" "$sha" "$T/img.php.orig"

# --- a watch limit is said and counted, not silent
mkdir -p "$T/lim/www/a" "$T/lim/www/b"
sed -e "s#$T/www#$T/lim/www#" -e 's#state_dir: state#state_dir: state2#' \
    -e 's#report_changes:#max_watches: 1\n    report_changes:#' "$T/agent.yaml" >"$T/lim.yaml"
"$AGENT" -c "$T/lim.yaml" 2>"$T/lim.err" &
LPID=$!
wait_for 30 "the watch limit message" grep -q "limit of directories" "$T/lim.err"
kill -TERM "$LPID"; wait "$LPID"
grep -q "max_watches 1" "$T/lim.err" || { FAILS=$((FAILS + 1)); echo "FAIL: watch limit message" >&2; cat "$T/lim.err" >&2; }
CHECKS=$((CHECKS + 1))

finish
