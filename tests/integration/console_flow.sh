#!/bin/bash
# The console's main flow with a real agent (docs/CONSOLE.md): the agent's
# drafts reach the center; over HTTP (console_flow.py) its agency's analyst
# confirms one at level 3 in the console, rejects two others at once with a
# reason, fills the national form and files it; each decision goes through
# the signed outbox to the agent, which applies it as socctl would (the
# report, then the level-3 evidence bundle), and the console shows it
# applied. Another agency's analyst gets nothing (every page and action),
# the authority's reviewer reviews in the console, the center sees it in
# the summary.
# Then the same in a real browser (console_browser.py: headless chromium,
# chromium-driver, python3-selenium) with a screenshot of every page under
# the build tree (console-screenshots/). Without chromium the browser part
# is skipped, and under CI=true that is a failure.
# With SOC_TEST_STORE=postgresql (integration.console_flow_pg) the same runs
# with the center on a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/detect_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PW="correct horse battery"
PORT=$(free_port)
start_broker "$T"

center_config "$T/center.yaml" "$T/center"
echo 'center: { regime: tw-2026 }' >>"$T/center.yaml"
echo "console: { listen: \"127.0.0.1:$PORT\" }" >>"$T/center.yaml"
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
C=(-c "$T/center.yaml")
CENTER_KEY=$(center_key "$T/center.yaml")
[ -n "$CENTER_KEY" ] || fail "no center key"

mkdir -p "$T/a"
detect_config "$T/a" ag1
attempts_drafted "$T/a"
sed -i "s|brokers: \"127.0.0.1:9\"|brokers: \"$BOOTSTRAP\", heartbeat_interval: 1s, center_key: \"$CENTER_KEY\", properties: { session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\" }|" "$T/a/agent.yaml"
cat >>"$T/a/agent.yaml" <<YAML
report: { regime: tw-2026, check_interval: 200ms }
evidence: { window_before: 30d, chunk_bytes: 16KiB }
YAML
head -600 "$SOC_TEST_DATA/logs/OpenSSH_2k.log" >"$T/a/logs/auth.log"
A=(-c "$T/a/agent.yaml")
enroll_agent "$T/center.yaml" "$T/a/agent.yaml" || fail "cannot enrol ag1"

for u in "ana --role analyst --agency test" "olga --role analyst --agency other" \
  "rev --role reviewer --authority 36" "boss --role center"; do
  # shellcheck disable=SC2086
  printf '%s\n' "$PW" | "$COLL" "${C[@]}" user add $u >/dev/null || fail "user add $u"
done

run "$AGENT" "${A[@]}" --oneshot
expect_status 0
DRAFTS=$("$CTL" "${A[@]}" drafts --json | python3 -c 'import json,sys; print(" ".join(str(i) for i in sorted(x["id"] for x in json.load(sys.stdin))))')
read -r D R1 R2 B _ <<<"$DRAFTS"
[ -n "${B:-}" ] || fail "four drafts expected from the sample, got: $DRAFTS"
RID="ag1/$D"

"$AGENT" "${A[@]}" 2>"$T/agent.err" &
"$COLL" "${C[@]}" 2>"$T/coll.err" &
drafts_at_center() {
  [ "$(center_sql "select count(*) from message where topic = 'soc.incidents' and agent = 'ag1'")" -ge 3 ]
}
wait_for 60 "the drafts at the center" drafts_at_center || tail -5 "$T/coll.err" "$T/agent.err" >&2

# The analyst confirms, fills and files in the console; the agent applies
# each decision as socctl would (agent/analyst.c, the report's lifecycle)
CHECKS=$((CHECKS + 1))
# the center's store for the script: center.db's path, or PostgreSQL's URL
# (read with $PSQL)
STORE_ARG=$T/center/center.db
[ "$STORE" = postgresql ] && STORE_ARG=$PG_URL
PSQL="${PG_BIN:-}/psql" python3 "$SOC_SRC/tests/integration/console_flow.py" "$PORT" "$PW" "ag1" "$D" "$R1" "$R2" "$STORE_ARG" "$B" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: console_flow.py" >&2; }
check_py "the agent applied the console's decisions once each, as the analyst" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def n(action, actor):
    return db.execute("select count(*) from audit where action = ? and actor = ?", (action, actor)).fetchone()[0]
assert n("center.decision", "center:rev") == 1, n("center.decision", "center:rev")
assert n("confirm", "center:ana") == 1, n("confirm", "center:ana")
assert n("reject", "center:ana") == 2, n("reject", "center:ana")
assert n("center.decision", "center:ana") == 2, "set and file: %d" % n("center.decision", "center:ana")
st = dict(db.execute("select id, status from draft").fetchall())
assert st[int(sys.argv[2])] == "confirmed" and st[int(sys.argv[3])] == "rejected", st
assert st[int(sys.argv[4])] == "rejected", st
state = db.execute("select state from report where id = ?", (int(sys.argv[2]),)).fetchone()
assert state is not None and state[0] == "reviewed", "the report the console confirmed, filed and reviewed: %s" % state
' "$T/a/state/agent.db" "$D" "$R1" "$R2"

# --- the browser ------------------------------------------------------------------
SHOTS="$SOC_BIN/console-screenshots"
# Debian's python3-selenium is for Debian's python3, which another python3
# first on PATH (pyenv) would not see
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null ||
  ! "$PY" -c 'import selenium' 2>/dev/null; then
  [ "$FAILS" -eq 0 ] || check_py "the browser's confirm and filing applied by the agent" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
st = db.execute("select state, level from report where id = ?", (int(sys.argv[2]),)).fetchone()
assert st == ("reported", 3), st
' "$T/a/state/agent.db" "$B"
finish
  skip "no chromium, chromedriver or python3-selenium (scripts/install-deps.sh installs them)"
fi
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
CHECKS=$((CHECKS + 1))
"$PY" "$SOC_SRC/tests/integration/console_browser.py" "$PORT" "$PW" "$RID" "$SHOTS" "ag1/$B" ||
  { FAILS=$((FAILS + 1)); echo "FAIL: console_browser.py" >&2; }
check_py "the browser's confirm and filing applied by the agent" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
st = db.execute("select state, level from report where id = ?", (int(sys.argv[2]),)).fetchone()
assert st == ("reported", 3), st
' "$T/a/state/agent.db" "$B"
# A failure here was seen once under a loaded ctest -j2 and not
# reproduced: what the agent and the collector said, and what the agent
# applied, is what would tell why.
if [ "$FAILS" -ne 0 ]; then
  echo "--- agent.err, last 40 lines" && tail -40 "$T/agent.err"
  echo "--- coll.err, last 40 lines" && tail -40 "$T/coll.err"
  echo "--- the agent's audit, last 20 entries"
  sqlite3 "$T/a/state/agent.db" "SELECT seq, action, actor, object FROM audit ORDER BY seq DESC LIMIT 20" || true
  # whether the center refused the browser's step (409, "decision-refused")
  # or recorded it and the agent never applied it
  echo "--- the center's audit, last 20 entries"
  center_sql "SELECT seq, actor, action, object, details FROM audit ORDER BY seq DESC LIMIT 20" || true
  echo "--- the center's decisions"
  center_sql "SELECT n, report, kind, by FROM decision ORDER BY n" || true
fi >&2
finish
