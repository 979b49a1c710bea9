#!/bin/bash
# A journal block damaged on disk (issue 17): a flipped bit in one block and
# a flipped byte in another, written into agent.db itself, past SQLite's
# own checks. Each is caught by the block's checksum, named (id, input,
# positions), skipped whole by the export and by the forwarder alike, and
# never hides the blocks after it; export and --forward-once exit non-zero;
# verify finds both; status counts them as DATA DAMAGED; the center gets
# one alert per block, however many readers found it.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T"
agent_config "$T" dmg "logs/app.log"
sed -i 's|journal: { commit_interval: 50ms }|journal: { commit_interval: 50ms, block_lines: 100 }|' \
  "$T/agent.yaml"
for i in $(seq -w 1 500); do
  echo "Nov 25 08:00:00 web01 app[1]: line seq=$i $(printf 'x%.0s' $(seq 1 $((10#$i % 7))))"
done >"$T/logs/app.log"
cd "$T" || exit 1
run "$AGENT" -c agent.yaml --oneshot
expect_status 0
DB="$T/state/agent.db"
[ ! -e "$DB-wal" ] || [ ! -s "$DB-wal" ] || { FAILS=$((FAILS + 1)); echo "FAIL: WAL left" >&2; }

# flip BLOCK XOR: xor one byte of the block's stored data, in the file
flip() {
  python3 - "$DB" "$1" "$2" <<'PY'
import sqlite3, sys
db, block, xor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
data = c.execute("select data from journal_block where id=?", (block,)).fetchone()[0]
c.close()
probe = data[20:52]  # inside the zstd frame, well clear of its header
raw = bytearray(open(db, "rb").read())
at = raw.find(probe)
assert at >= 0 and raw.find(probe, at + 1) < 0, "block bytes not found once in the file"
raw[at + 5] ^= xor
open(db, "r+b").write(raw)
PY
}
flip 2 1    # one bit
flip 4 255  # one byte
CHECKS=$((CHECKS + 1))
[ "$(sqlite3 "$DB" 'pragma quick_check')" = ok ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: the flips should pass SQLite's check (test premise)" >&2; }

run "$CTL" -c agent.yaml journal export
expect_status 1
expect_err "journal block 2 (input app, stream 1, positions"
expect_err "journal block 4 (input app, stream 1, positions"
expect_err "checksum mismatch"
expect_err "2 damaged block(s) skipped"
CHECKS=$((CHECKS + 1))
[ "$(grep -c 'seq=' <<<"$OUT")" = 300 ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: export: $(grep -c 'seq=' <<<"$OUT") lines, expected 300" >&2; }
expect_out "seq=100 "   # the block before
expect_out "seq=201 "   # between the damaged ones
expect_out "seq=500 "   # and the last one after them
expect_no_out "seq=101 "
expect_no_out "seq=400 "

run "$CTL" -c agent.yaml journal verify
expect_status 1
expect_out "5 block(s) read, 3 intact (300 line(s)), 2 damaged"

run "$CTL" -c agent.yaml status
expect_status 0
expect_out "DATA DAMAGED: 2 journal block(s) skipped"
expect_out "block 2: input app, stream 1, positions"

run "$AGENT" -c agent.yaml --forward-once
expect_status 4
expect_err "journal block 2 (input app"
expect_err "2 damaged journal block(s) skipped"
consume soc.events >"$T/events.tsv"
consume soc.alerts >"$T/alerts.tsv"
check_py "the forwarder sent the 300 intact lines, each once" '
import json, sys
evs = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1]) if l.strip()]
seqs = sorted(int(e["message"].split("seq=")[1].split()[0]) for e in evs)
assert seqs == list(range(1, 101)) + list(range(201, 301)) + list(range(401, 501)), len(seqs)
' "$T/events.tsv"
check_py "one alert per damaged block, naming it" '
import json, sys
al = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1]) if l.strip()]
dm = [a for a in al if a["event"]["action"] == "journal.damaged"]
assert sorted(a["journal"]["block"] for a in dm) == [2, 4], dm
assert all(a["journal"]["input"] == "app" and a["journal"]["lines"] == 100 for a in dm), dm
' "$T/alerts.tsv"
stop_broker
finish
