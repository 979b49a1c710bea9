#!/bin/bash
# The analyst's decisions on drafts (issue 6): confirm (with a level override
# that needs a reason, and a category), reject, merge, note. Each decision is
# one transaction: the draft row, a hash-chained audit entry and an outbox
# copy for the technical center. Decisions are made once; refusals exit 2;
# an edited audit entry is caught by `audit verify`.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

. "$SOC_SRC/tests/integration/detect_lib.sh"
detect_config "$T" analyst
attempts_drafted "$T"
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$T/logs/"
C=(-c "$T/agent.yaml")
DB="$T/state/agent.db"

incidents() { sqlite3 "$DB" "select count(*) from outbox where topic='incidents'"; }

run "$AGENT" "${C[@]}" --oneshot
expect_status 0
read -r A B M1 M2 M3 < <("$CTL" "${C[@]}" drafts --json | python3 -c '
import json, sys
d = sorted(x["id"] for x in json.load(sys.stdin))
assert len(d) >= 5, d
print(*d[:5])')
check_py "five drafts to work on" 'import sys; assert all(a.isdigit() for a in sys.argv[1:6])' "${A:-}" "${B:-}" "${M1:-}" "${M2:-}" "${M3:-}"
LEVEL=$("$CTL" "${C[@]}" show "$A" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["level"])')
NEW=$((LEVEL % 4 + 1))
OUT0=$(incidents)

# --- refusals before any decision: nothing written
run "$CTL" "${C[@]}" confirm "$A" --analyst 王小明 --level "$NEW"
expect_status 2
expect_err "needs --reason"
run "$CTL" "${C[@]}" confirm "$A" --analyst 王小明 --category phishing
expect_status 2
expect_err "unknown category"
run "$CTL" "${C[@]}" confirm 999999 --analyst 王小明
expect_status 2
expect_err "no draft 999999"
run "$CTL" "${C[@]}" confirm "$A"
expect_status 2
run "$CTL" "${C[@]}" audit verify --json
check_py "refusals leave no audit entry" 'import json,sys; d=json.loads(sys.argv[1]); assert d["intact"] and d["entries"]==0, d' "$OUT"

# --- confirm with a level override and a category
run "$CTL" "${C[@]}" confirm "$A" --analyst 王小明 --level "$NEW" --reason "database server behind it" --category intrusion
expect_status 0
expect_out "draft $A confirmed by 王小明 (level $LEVEL → $NEW: database server behind it"
run "$CTL" "${C[@]}" show "$A" --json
check_py "confirmed draft body" '
import json, sys
d = json.loads(sys.argv[1]); old, new = int(sys.argv[2]), int(sys.argv[3])
assert d["status"] == "confirmed" and d["level"] == new, d
assert d["level_override"] == {"from": old, "to": new, "reason": "database server behind it", "by": "王小明"}, d["level_override"]
assert d["category"] == "intrusion" and d["confirmed"]["by"] == "王小明"' "$OUT" "$LEVEL" "$NEW"
run "$CTL" "${C[@]}" drafts --all --json
check_py "drafts lists the new level" 'import json,sys; d={x["id"]:x for x in json.loads(sys.argv[1])}; a=d[int(sys.argv[2])]; assert a["status"]=="confirmed" and a["level"]==int(sys.argv[3]), a' "$OUT" "$A" "$NEW"

# --- reject, merge, note
run "$CTL" "${C[@]}" reject "$B" --analyst 李大華
expect_status 2
expect_err "--reason is required"
run "$CTL" "${C[@]}" reject "$B" --analyst 李大華 --reason "scanner run by our own red team"
expect_status 0
expect_out "draft $B rejected by 李大華: scanner run by our own red team"
CNT=$("$CTL" "${C[@]}" drafts --json | python3 -c 'import json,sys; d={x["id"]:x["count"] for x in json.load(sys.stdin)}; print(sum(d[int(i)] for i in sys.argv[1:]))' "$M1" "$M2" "$M3")
EV2=$(sqlite3 "$DB" "select count(*) from draft_evidence where draft=$M2")
run "$CTL" "${C[@]}" merge "$M1" "$M2" "$M3" --analyst 王小明
expect_status 0
expect_out "draft $M1 merged with $M2, $M3 by 王小明"
run "$CTL" "${C[@]}" show "$M1" --json
check_py "merge survivor" 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="open" and d["count"]==int(sys.argv[2]) and d["merged"]==[int(sys.argv[3]), int(sys.argv[4])], d' "$OUT" "$CNT" "$M2" "$M3"
run "$CTL" "${C[@]}" show "$M2" --json
check_py "merged draft" 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="merged" and d["merged_into"]==int(sys.argv[2]) and len(d["evidence"])==int(sys.argv[3]), d' "$OUT" "$M1" "$EV2"
run "$CTL" "${C[@]}" note "$A" "called the DBA, password rotated" --analyst 陳美玲
expect_status 0
expect_out "note added to draft $A (confirmed) by 陳美玲"
run "$CTL" "${C[@]}" show "$A" --json
check_py "note in body" 'import json,sys; n=json.loads(sys.argv[1])["notes"]; assert len(n)==1 and n[0]["by"]=="陳美玲" and n[0]["text"]=="called the DBA, password rotated" and n[0]["at"], n' "$OUT"

# --- decisions are made once
run "$CTL" "${C[@]}" confirm "$B" --analyst 王小明
expect_status 2
expect_err "draft $B is rejected, not open"
run "$CTL" "${C[@]}" merge "$A" "$M1" --analyst 王小明
expect_status 2
run "$CTL" "${C[@]}" reject "$M2" --analyst 王小明 --reason x
expect_status 2

# --- the audit log: 4 entries, who did what to which draft
run "$CTL" "${C[@]}" audit verify --json
expect_status 0
check_py "audit intact with 4 entries" 'import json,sys; d=json.loads(sys.argv[1]); assert d["intact"] and d["entries"]==4, d' "$OUT"
run "$CTL" "${C[@]}" audit list --json
check_py "audit entries" '
import json, sys
e = json.loads(sys.argv[1]); A, B, M1 = sys.argv[2:5]
got = [(x["actor"], x["action"], x["object"]) for x in e]
assert sorted(got) == sorted([("王小明", "confirm", "draft:" + A), ("李大華", "reject", "draft:" + B),
                              ("王小明", "merge", "draft:" + M1), ("陳美玲", "note", "draft:" + A)]), got
c = [x for x in e if x["action"] == "confirm"][0]["details"]
assert c["status"] == {"from": "open", "to": "confirmed"} and c["level"]["reason"] == "database server behind it", c' "$OUT" "$A" "$B" "$M1"

# --- the technical center gets a copy of each changed draft (A, B, 3 merged, A's note)
OUT1=$(incidents)
check_py "outbox incident copies" 'import sys; assert int(sys.argv[2]) - int(sys.argv[1]) == 6, sys.argv' "$OUT0" "$OUT1"

# --- an edited audit entry is caught
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""UPDATE audit SET details='{"status":{"from":"open","to":"rejected"}}' WHERE seq=1""")
db.commit()
PY
run "$CTL" "${C[@]}" audit verify
expect_status 1
expect_out "broken at entry 1"

finish
