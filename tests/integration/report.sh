#!/bin/bash
# The reporting workflow end to end in the agent (issue 6), on a controlled
# clock: a level-4 and a level-1 incident from confirmation to closure.
# Every step goes through socctl; the clocks are judged with --now (socctl)
# and `socagent --oneshot --now` (the daemon's pass: deadline alerts once,
# and the level 3-4 evidence bundle, rebuilt here from its outbox chunks and
# checked file by file against its BagIt manifest).
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

. "$SOC_SRC/tests/integration/detect_lib.sh"
detect_config "$T" rpt
attempts_drafted "$T"
cat >> "$T/agent.yaml" <<YAML
report: { regime: tw-2026, warn_before: 15m, reporter_name: 王小明, reporter_phone: "02-1234" }
evidence: { window_before: 30d, chunk_bytes: 4KiB }
YAML
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/logs/"
# The sample's last line has no newline: the file input takes it only after
# flush_partial_after (5 s) of wall time, so under load it could land between
# the pass that builds the bundle and the check that counts the host's lines.
# Partial lines have their own tests; here the file is whole.
printf '\n' >>"$T/logs/OpenSSH_2k.log"
C=(-c "$T/agent.yaml")
DB="$T/state/agent.db"

# at OFFSET: discovery + OFFSET seconds as an @EPOCH time
at() { echo "@$((DISC + $1))"; }
alerts() { sqlite3 "$DB" "select count(*) from outbox where topic='alerts' and cast(payload as text) like '%\"deadline.$1\"%'"; }

run "$AGENT" "${C[@]}" --oneshot
expect_status 0
read -r A B < <("$CTL" "${C[@]}" drafts --json | python3 -c '
import json, sys
d = sorted(x["id"] for x in json.load(sys.stdin))
print(d[0], d[1])')

# --- level 4: confirmed → a report with its clocks
run "$CTL" "${C[@]}" confirm "$A" --analyst 王小明 --level 4 --reason "core database exfiltration suspected"
expect_status 0
run "$CTL" "${C[@]}" report "$A"
expect_status 0
DISC=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.fromisoformat(d["event"]["discovered"].replace("Z","+00:00")).timestamp()))' "$OUT")
check_py "new report" '
import json, sys
r = json.loads(sys.argv[1])
assert r["schema"] == "socagent.report/1" and r["id"] == "rpt/" + sys.argv[2] and r["state"] == "confirmed", r["id"]
assert r["level"] == 4 and r["impact"]["level"] == 4 and r["regime"] == "tw-2026"
assert r["basic"]["reporter"]["name"] == "王小明" and r["basic"]["authority"] == 36
assert r["event"]["hosts"] == ["LabSZ"] and r["event"]["indicators"] and r["evidence"], r["event"]
assert [l["level"] for l in r["levels"]] == [r["levels"][0]["level"], 4]
d = {x["step"]: x for x in r["deadlines"]}
assert d["report"]["status"] == "open" and d["review"]["status"] == "waiting", d' "$OUT" "$A"

# --- the daemon's pass: 50 min in, the report step is nearly due (once)
run "$AGENT" "${C[@]}" --oneshot --now "$(at 3000)"
expect_status 0
check_py "one near alert" 'import sys; assert sys.argv[1] == "1" and sys.argv[2] == "0", sys.argv' "$(alerts near)" "$(alerts overdue)"
run "$AGENT" "${C[@]}" --oneshot --now "$(at 3100)"
check_py "raised once" 'import sys; assert sys.argv[1] == "1", sys.argv' "$(alerts near)"
# 2 h in: overdue, and it stands out
run "$AGENT" "${C[@]}" --oneshot --now "$(at 7200)"
check_py "overdue alert" 'import sys; assert sys.argv[1] == "1", sys.argv' "$(alerts overdue)"
run "$CTL" "${C[@]}" deadlines --overdue --now "$(at 7200)"
expect_status 3
expect_out "OVERDUE"
run "$CTL" "${C[@]}" reports --now "$(at 7200)"
expect_out "OVERDUE"

# --- the evidence bundle went out with no one asking: rebuild and verify it
check_py "bundle rebuilt from its chunks verifies" '
import hashlib, json, sqlite3, sys
sys.path.insert(0, sys.argv[4])
from bundle_outbox import rebuild
db, rid = sqlite3.connect(sys.argv[1]), "rpt/" + sys.argv[2]
files, man, data = rebuild(sys.argv[1], rid)
assert man["chunks"] > 1, man
for need in ("bagit.txt", "bag-info.txt", "custody.json", "manifest-sha256.txt", "tagmanifest-sha256.txt",
             "data/logs/LabSZ.log", "data/evidence.jsonl", "data/report.json"):
    assert need in files, (need, sorted(files))
log = files["data/logs/LabSZ.log"].decode().splitlines()
assert len(log) == int(sys.argv[3]) > 1000, (len(log), sys.argv[3])   # every line of the host in the window
cu = json.loads(files["custody.json"]); assert cu["report"] == rid and cu["agent"] == "rpt" and cu["confirmed_by"] == "王小明", cu
assert "External-Identifier: " + rid in files["bag-info.txt"].decode()
r = json.loads(db.execute("select body from report where id=?", (int(sys.argv[2]),)).fetchone()[0])
assert r["bundle"]["state"] == "queued" and r["bundle"]["sha256"] == man["sha256"], r["bundle"]
assert r["bundle"]["objects"] == 0 and not any(f.startswith("data/yara/") for f in files), sorted(files)
# one flipped byte: the hash of the archive no longer matches
bad = bytearray(data); bad[len(bad) // 2] ^= 1
assert hashlib.sha256(bytes(bad)).hexdigest() != man["sha256"]' "$DB" "$A" "$("$CTL" "${C[@]}" journal export --host LabSZ | wc -l)" "$SOC_SRC/tests/integration"
N_EV=$(sqlite3 "$DB" "select count(*) from outbox where topic='evidence'")
run "$AGENT" "${C[@]}" --oneshot --now "$(at 7300)"
check_py "bundle built once" 'import sys; assert sys.argv[1] == sys.argv[2], sys.argv' "$N_EV" "$(sqlite3 "$DB" "select count(*) from outbox where topic='evidence'")"

# --- the lifecycle: phone report (platform down), back-fill, review, re-level, recovery, closure
run "$CTL" "${C[@]}" review "$A" --analyst 主管 --at "$(at 600)"
expect_status 2
expect_err "has not been filed yet"
run "$CTL" "${C[@]}" file "$A" --analyst 王小明 --via phone --at "$(at 2400)"
expect_status 0
expect_out "state confirmed → reported"
run "$CTL" "${C[@]}" file "$A" --analyst 王小明 --via platform --at "$(at 9000)"
expect_status 0
run "$CTL" "${C[@]}" review "$A" --analyst 主管 --result "level agreed" --at "$(at 9600)"
expect_status 0
run "$CTL" "${C[@]}" deadlines --json --now "$(at 9600)"
check_py "report met by phone; review 2 h after the phone report, met" '
import json, sys
d = {(x["report"], x["step"]): x for x in json.loads(sys.argv[1])}; a = int(sys.argv[2])
assert d[(a, "report")]["status"] == "met" and d[(a, "review")]["status"] == "met", d
assert d[(a, "recovery")]["status"] == "open" and d[(a, "recovery")]["left_s"] == 36 * 3600 - 9600, d[(a, "recovery")]' "$OUT" "$A"
run "$CTL" "${C[@]}" relevel "$A" --level 3 --analyst 主管 --reason "no data left the network" --at "$(at 10000)"
expect_status 0
run "$CTL" "${C[@]}" set "$A" --analyst 王小明 event.description="SSH brute force on the gateway" \
  "response.containment=blocked 183.62.140.253 on fw01|2025-12-10T04:00Z" support.requested=no \
  closure.root_cause="weak password" closure_summary.course="brute force, one account guessed"
expect_status 0
run "$CTL" "${C[@]}" set "$A" --analyst 王小明 event.affects_others=7
expect_status 2
expect_err "expected a number from 1 to 3"
run "$CTL" "${C[@]}" recover "$A" --analyst 王小明 --status controlled --at "$(at 20000)"
expect_status 0
run "$CTL" "${C[@]}" recover "$A" --analyst 王小明 --status recovered --at "$(at 40000)"
expect_status 0
run "$CTL" "${C[@]}" close "$A" --analyst 王小明 --at "$(at 50000)"
expect_status 0
expect_out "state recovered → closed"
run "$CTL" "${C[@]}" report "$A" --now "$(at 50000)"
check_py "closed level-3 report" '
import json, sys
r = json.loads(sys.argv[1])
assert r["state"] == "closed" and r["level"] == 3
assert [(f["status"], f["kind"], f["via"]) for f in r["filings"]] == [(1, "initial", "phone"), (1, "backfill", "platform"),
    (2, "re-report", "platform"), (3, "follow-up", "platform"), (3, "follow-up", "platform"), (5, "closure", "platform")], r["filings"]
assert r["levels"][-1]["level"] == 3 and r["levels"][-1]["relevel"] and r["levels"][-1]["by"] == "主管"
assert r["response"]["status"] == 3 and r["response"]["containment"][0]["measure"] == "blocked 183.62.140.253 on fw01"
d = {x["step"]: x for x in r["deadlines"]}
assert d["recovery"]["status"] == "met" and d["investigation"]["status"] == "open", d' "$OUT"
run "$CTL" "${C[@]}" report "$A" --format text
expect_out "Step 5  response 應變處置"
expect_out "Closure summary 結案摘要"
expect_out "brute force, one account guessed"
run "$CTL" "${C[@]}" report "$A" --format stix
check_py "stix bundle" 'import json,sys; b=json.loads(sys.argv[1]); t=[o["type"] for o in b["objects"]]; assert b["type"]=="bundle" and "incident" in t and "indicator" in t and "sighting" in t and "observed-data" in t, t' "$OUT"
# a month after recovery the investigation report is overdue
run "$CTL" "${C[@]}" deadlines --overdue --json --now "$(at 3000000)"
expect_status 3
check_py "investigation overdue" 'import json,sys; d=json.loads(sys.argv[1]); assert [(x["report"], x["step"]) for x in d] == [(int(sys.argv[2]), "investigation")], d' "$OUT" "$A"
run "$CTL" "${C[@]}" investigation "$A" --analyst 王小明 --at "$(at 2000000)"
expect_status 0
run "$CTL" "${C[@]}" deadlines --overdue --now "$(at 3000000)"
expect_status 0

# --- level 1: 8 h review, 72 h recovery, no bundle, no investigation
run "$CTL" "${C[@]}" confirm "$B" --analyst 李大華 --level 1 --reason "lab machine"
expect_status 0
run "$CTL" "${C[@]}" file "$B" --analyst 李大華 --at "$(at 1800)"
expect_status 0
run "$CTL" "${C[@]}" report "$B" --now "$(at 1800)"
check_py "level-1 clocks" '
import json, sys
r = json.loads(sys.argv[1]); d = {x["step"]: x for x in r["deadlines"]}
assert set(d) == {"report", "review", "recovery"}, d
assert d["report"]["status"] == "met" and d["review"]["status"] == "open" and r["bundle"] is None' "$OUT"
run "$AGENT" "${C[@]}" --oneshot --now "$(at $((1800 + 9 * 3600)))"
check_py "level-1 review overdue after 8 h" 'import json,sys,sqlite3; db=sqlite3.connect(sys.argv[1]); a=[json.loads(p) for (p,) in db.execute("select payload from outbox where topic=\"alerts\"")]; assert any(x["event"]["action"]=="deadline.overdue" and x["deadline"]["step"]=="review" and x["report"]["number"]==int(sys.argv[2]) for x in a if "deadline" in x), a[-3:]' "$DB" "$B"
check_py "no bundle for level 1" 'import sys; assert sys.argv[1] == sys.argv[2], sys.argv' "$N_EV" "$(sqlite3 "$DB" "select count(*) from outbox where topic='evidence'")"
run "$CTL" "${C[@]}" recover "$B" --analyst 李大華 --status recovered --at "$(at 7200)"
run "$CTL" "${C[@]}" close "$B" --analyst 李大華 --at "$(at 7300)"
expect_status 0
run "$CTL" "${C[@]}" report "$B"
check_py "level-1 closure is status 4" 'import json,sys; r=json.loads(sys.argv[1]); assert r["filings"][-1]["status"]==4 and r["state"]=="closed", r["filings"]' "$OUT"

# --- every change is in the audit log; the center got every revision
run "$CTL" "${C[@]}" audit verify --json
check_py "audit intact" 'import json,sys; d=json.loads(sys.argv[1]); assert d["intact"] and d["entries"] >= 15, d' "$OUT"
check_py "report revisions in the outbox" 'import json,sys,sqlite3; db=sqlite3.connect(sys.argv[1]); v=[json.loads(p)["revision"] for (p,) in db.execute("select payload from outbox where topic=\"reports\" and key=?", ("rpt/"+sys.argv[2],))]; assert v == list(range(1, len(v)+1)) and len(v) >= 10, v' "$DB" "$A"
finish
