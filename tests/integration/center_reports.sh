#!/bin/bash
# The technical center's side of the reporting workflow (issue 7), against
# the development broker: an agent confirms a level-3 report, files it and
# ships it with its evidence bundle (socagent --oneshot, --forward-once);
# two collectors in one group (one center.db) take it in. Then:
#  - `incidents` shows the report with its notifications and the bundle
#    verified; `evidence verify` re-checks the archive on disk (exit 0);
#  - a tampered copy of the bundle (one byte flipped in a chunk, its chunk
#    hash recomputed as an attacker on the topic could) is rebuilt, fails
#    verification and is kept apart in evidence/failed/, flagged;
#  - the archive corrupted on disk: `evidence verify` exits 1;
#  - replaying every message changes nothing (same counts);
#  - 2 h after the filing without a review: `overdue --now` flags the report
#    for the center's direct review; `summary --json` counts it overdue;
#  - `review --level 4` is recorded and produced to soc.center.<agency>,
#    which the collectors themselves do not consume; a second level-3-4
#    notification follows; with support requested, the dispatch clock runs
#    from the review and `support` stops it;
#  - a decision whose command is killed while Kafka is down (committed, not
#    delivered) leaves center.db unlocked, and the next collector to start
#    delivers it exactly once.
# With SOC_TEST_STORE=postgresql (integration.center_reports_pg) the same
# runs with the center on a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/detect_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $T"
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_broker "$T" --partitions 2

mkdir -p "$T/a"
detect_config "$T/a" ag1
attempts_drafted "$T/a"
sed -i "s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\"|; s|agency: test|agency: 測試_機關|" "$T/a/agent.yaml"
cat >>"$T/a/agent.yaml" <<YAML
report: { regime: tw-2026 }
evidence: { window_before: 30d, chunk_bytes: 16KiB }
YAML
head -600 "$SOC_TEST_DATA/logs/OpenSSH_2k.log" >"$T/a/logs/auth.log"
A=(-c "$T/a/agent.yaml")

cat >"$T/center.yaml" <<YAML
collector: { id: center, state_dir: center }
center: { regime: tw-2026 }
kafka:
  brokers: "$BOOTSTRAP"
  topic_prefix: soc
  group_id: soccollector
  properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
YAML
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
sed 's/id: center,/id: center2,/' "$T/center.yaml" >"$T/center2.yaml"
C=(-c "$T/center.yaml")
run "$COLL" "${C[@]}" --check-config
expect_status 0
enroll_agent "$T/center.yaml" "$T/a/agent.yaml" || fail "cannot enrol ag1"

# --- the agent: a level-3 report, filed, with its bundle
run "$AGENT" "${A[@]}" --oneshot
expect_status 0
D=$("$CTL" "${A[@]}" drafts --json | python3 -c 'import json,sys; print(sorted(x["id"] for x in json.load(sys.stdin))[0])')
run "$CTL" "${A[@]}" confirm "$D" --analyst 王小明 --level 3 --reason "gateway brute force"
expect_status 0
run "$CTL" "${A[@]}" report "$D"
DISC=$(python3 -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); print(int(datetime.datetime.fromisoformat(d["event"]["discovered"].replace("Z","+00:00")).timestamp()))' "$OUT")
at() { echo "@$((DISC + $1))"; }
run "$CTL" "${A[@]}" set "$D" --analyst 王小明 support.requested=yes
expect_status 0
run "$CTL" "${A[@]}" file "$D" --analyst 王小明 --at "$(at 1800)"
expect_status 0
run "$AGENT" "${A[@]}" --oneshot --now "$(at 1900)"
expect_status 0
run "$AGENT" "${A[@]}" --forward-once
expect_status 0
RID="ag1/$D"
LINES=$("$CTL" "${A[@]}" journal export | wc -l)

"$COLL" -c "$T/center.yaml" 2>"$T/c1.err" &
C1=$!
"$COLL" -c "$T/center2.yaml" 2>"$T/c2.err" &
C2=$!

bundle_ok() { "$COLL" "${C[@]}" evidence 2>/dev/null | grep -q "verified"; }
events_in() { [ "$("$COLL" "${C[@]}" events --count 2>/dev/null)" = "$LINES" ]; }
wait_for 60 "the bundle verified" bundle_ok || cat "$T/c1.err" "$T/c2.err" | tail -5 >&2
wait_for 60 "$LINES events in" events_in || echo "  events: $("$COLL" "${C[@]}" events --count)" >&2

run "$COLL" "${C[@]}" incidents --json --now "$(at 2000)"
expect_status 0
check_py "the report at the center" '
import json, sys
l = json.loads(sys.argv[1]); assert len(l) == 1, l
r = l[0]
assert r["id"] == sys.argv[2] and r["level"] == 3 and r["state"] == "reported" and r["agency"] == "測試_機關", r
assert r["notifications"] == 2 and r["bundle_state"] == "verified" and r["flagged"] is None, r
c = {x["step"]: x for x in r["clocks"]}
assert c["review"]["status"] == "open" and c["support"]["status"] == "waiting", c' "$OUT" "$RID"
BID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["bundle"])' "$OUT")
run "$COLL" "${C[@]}" evidence verify "$BID"
expect_status 0
expect_out "verified"
ARCH=$(ls "$T"/center/evidence/*.tar)
[ "$(stat -c %a "$ARCH")" = 600 ] || fail "archive mode $(stat -c %a "$ARCH")"

# --- a tampered copy under a new bundle id: rebuilt, fails, kept apart
consume soc.evidence | python3 -c '
import base64, hashlib, json, sys
out = open(sys.argv[1], "w")
for line in sys.stdin:
    p, o, k, v = line.rstrip("\n").split("\t", 3)
    m = json.loads(v)
    m["bundle"] += "x"
    if m["type"] == "chunk" and m["seq"] == 1:
        d = bytearray(base64.b64decode(m["data"])); d[100] ^= 1
        m["data"] = base64.b64encode(bytes(d)).decode(); m["sha256"] = hashlib.sha256(d).hexdigest()
    out.write(m["bundle"] + "\t" + json.dumps(m) + "\n")' "$T/tampered"
# sent as the agent itself would (its own key): the bundle must still fail
resend_as_ag1() { # topic < lines of key<TAB>payload
  while IFS=$'\t' read -r key payload; do
    printf '%s' "$payload" | signed_send "$1" "$key" "$T/a/state/agent.key" ag1 2>/dev/null
  done
}
resend_as_ag1 soc.evidence <"$T/tampered"
failed_ok() { "$COLL" "${C[@]}" evidence 2>/dev/null | grep -q "${BID}x .*failed"; }
wait_for 60 "the tampered bundle flagged" failed_ok || "$COLL" "${C[@]}" evidence >&2
run "$COLL" "${C[@]}" evidence
expect_out "sha256"
ls "$T"/center/evidence/failed/*.tar >/dev/null 2>&1 || fail "nothing in evidence/failed"
run "$COLL" "${C[@]}" evidence verify "${BID}x"
expect_status 1

# --- replay: the agent's whole outbox again changes nothing
consume soc.reports | cut -f3- >"$T/reports.replay"
resend_as_ag1 soc.reports <"$T/reports.replay"
dups() { "$COLL" "${C[@]}" stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); n=sum(v.get("duplicates",0) for v in d.values()); sys.exit(0 if n >= int(sys.argv[1]) else 1)' "$(wc -l <"$T/reports.replay")"; }
wait_for 60 "the replayed reports seen as duplicates" dups
check_py "one report row, every revision once" 'import sys; assert sys.argv[1]=="1", sys.argv; n=[int(x) for x in sys.argv[2].split("|")]; assert n[0]==n[1]>=3, n' \
  "$(center_sql "select count(*) from report")" \
  "$(center_sql "select count(*), count(distinct revision) from report_revision")"

# --- the archive corrupted on disk
printf 'X' | dd of="$ARCH" bs=1 seek=700 conv=notrunc 2>/dev/null
run "$COLL" "${C[@]}" evidence verify "$BID"
expect_status 1
expect_out "FAILED"

# --- the supervisor's review is 2 h after the filing: not yet, then overdue and flagged
run "$COLL" "${C[@]}" overdue --now "$(at 5000)"
expect_status 0
run "$COLL" "${C[@]}" overdue --now "$(at $((1800 + 7201)))"
expect_status 3
expect_out "FLAGGED"
expect_out "review"
run "$COLL" "${C[@]}" summary --json --now "$(at 9100)"
check_py "summary" 'import json,sys; d=json.loads(sys.argv[1]); r=d["rows"]; assert r==[{"agency":"測試_機關","level":3,"category":r[0]["category"],"open":1,"overdue":1,"closed":0}] and d["total"]["open"]==1, d' "$OUT"
run "$COLL" "${C[@]}" summary --since "$(at 100)"
expect_out "total"

# --- the center reviews directly and raises the level; the decisions go to the agency's topic
run "$COLL" "${C[@]}" review "$RID" --by 技服中心 --level 4 --reason "data left the network" --result "reviewed by the center" --at "$(at 9200)"
expect_status 0
expect_out "soc.center._e6_b8_ac_e8_a9_a6___e6_a9_9f_e9_97_9c"
run "$COLL" "${C[@]}" review "$RID" --by 技服中心 --at "$(at 9300)"
expect_status 2
expect_err "already reviewed"
consume soc.center._e6_b8_ac_e8_a9_a6___e6_a9_9f_e9_97_9c >"$T/decisions"
check_py "decision messages" '
import json, sys
m = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1])]
assert [(x["kind"], x["report"]) for x in m] == [("level", sys.argv[2]), ("review", sys.argv[2])], m
assert m[0]["level"] == 4 and m[0]["by"] == "技服中心" and m[0]["reason"] == "data left the network" and m[0]["schema"] == "socagent.decision/1", m[0]
assert m[1]["result"] == "reviewed by the center" and m[0]["id"] != m[1]["id"], m[1]' "$T/decisions" "$RID"
run "$COLL" "${C[@]}" incidents --json --now "$(at 9400)"
check_py "level 4, reviewed by the center, support clock from the review" '
import json, sys
r = json.loads(sys.argv[1])[0]; c = {x["step"]: x for x in r["clocks"]}
assert r["level"] == 4 and r["notifications"] == 4 and r["state"] == "reviewed", r
assert c["support"]["status"] == "open", c["support"]' "$OUT"
run "$COLL" "${C[@]}" overdue --now "$(at $((9200 + 3601)))"
expect_status 3
expect_out "support"
run "$COLL" "${C[@]}" support "$RID" --by 技服中心 --at "$(at 10000)"
expect_status 0
run "$COLL" "${C[@]}" incidents --json --now "$(at 13000)"
check_py "support met" 'import json,sys; c={x["step"]: x for x in json.loads(sys.argv[1])[0]["clocks"]}; assert c["support"]["status"]=="met", c' "$OUT"

# the collectors do not consume their own decisions
check_py "no center topic consumed" 'import sys; assert sys.argv[1]=="0", sys.argv' \
  "$(center_sql "select (select count(*) from message where topic like 'soc.center.%') + (select count(*) from quarantine where topic like 'soc.center.%')")"
run "$COLL" "${C[@]}" review nope/1 --by x
expect_status 1
expect_err "no report nope/1"

kill -TERM $C1 $C2
for n in 1 2; do
  pid=C$n
  wait "${!pid}"
  rc=$?
  # a collector that died on its own says why in its log: show it with the failure
  [ $rc -eq 0 ] || { fail "collector $n exit $rc"; tail -20 "$T/c$n.err" >&2; }
done

# --- a decision committed while Kafka is down, its command killed before any
# delivery report: the store is not write-locked meanwhile, the decision stays
# pending, and a collector that starts afterwards delivers it, once
DB="$T/center/center.db"
TOPIC=soc.center._e6_b8_ac_e8_a9_a6___e6_a9_9f_e9_97_9c
pending() { center_sql "select count(*) from decision where delivered_ns = 0"; }
# center.db: another writer gets the write lock; PostgreSQL: the decision's
# row is not held by an open transaction
unlocked() {
  if [ "$STORE" = postgresql ]; then
    timeout 5 $PG_SQL "SET lock_timeout = '1s'; SELECT n FROM decision WHERE delivered_ns = 0 FOR UPDATE" >/dev/null
  else
    timeout 5 sqlite3 -cmd ".timeout 1000" "$DB" "BEGIN IMMEDIATE; ROLLBACK;"
  fi
}
kill -USR1 "$BROKER_PID" # every broker down
"$COLL" "${C[@]}" review "$RID" --by 技服中心 --level 3 --reason "contained" --at "$(at 13100)" \
  >"$T/late.out" 2>"$T/late.err" &
LATE=$!
one_pending() { [ "$(pending)" = 1 ]; }
wait_for 60 "the decision committed before delivery" one_pending || cat "$T/late.err" >&2
unlocked || fail "the store is write-locked while a decision waits for Kafka"
kill -9 $LATE
wait $LATE 2>/dev/null
DID=$(center_sql "select id from decision where delivered_ns = 0")
kill -USR2 "$BROKER_PID"
"$COLL" -c "$T/center.yaml" 2>"$T/c3.err" &
C3=$!
none_pending() { [ "$(pending)" = 0 ]; }
wait_for 60 "the pending decision delivered" none_pending || tail -5 "$T/c3.err" >&2
consume "$TOPIC" >"$T/decisions2"
check_py "the decision delivered once, after the restart" '
import json, sys
m = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1])]
ids = [x["id"] for x in m]
assert ids.count(sys.argv[2]) == 1 and len(ids) == len(set(ids)) == 4, ids
late = [x for x in m if x["id"] == sys.argv[2]][0]
assert late["kind"] == "level" and late["level"] == 3, late' "$T/decisions2" "$DID"
kill -TERM $C3
wait $C3 || { fail "collector 3 exit $?"; tail -20 "$T/c3.err" >&2; }
finish
