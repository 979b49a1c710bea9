#!/bin/bash
# Differential check of the traffic pipeline between two builds: the same
# captures through `socagent --oneshot` with the shipped rules/yara, then
# what each run kept compared — the journaled events (`socctl journal
# export`), the counters, the alerts, drafts, their evidence and objects,
# the dedupe marks and the outbox's topics and keys. Wall-clock columns
# (when a draft was discovered, when an outbox row was made) and the
# outbox's payloads (which carry them) are left out.
#
#   bench/pcap_diff.sh BEFORE_BUILD AFTER_BUILD [PCAP...]
#
# Without PCAPs: every capture in tests/data/pcap, each as its own input,
# and a 32 MiB capture of bench/gen_pcap.py (made under AFTER_BUILD/bench).
# Prints the differences and exits 1 when there are any.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
shift 2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if [ $# -eq 0 ]; then
  G="$B/bench/traffic-32M.pcap"
  mkdir -p "$B/bench"
  [ -s "$G" ] || python3 "$SRC/bench/gen_pcap.py" "$G" 32 500 "$SRC"/tests/data/pcap/*/*.pcap
  set -- "$SRC"/tests/data/pcap/*/*.pcap "$G"
fi

run() { # NAME BUILD PCAP...
  local d="$W/$1" bin=$2 i=0
  shift 2
  mkdir -p "$d"
  {
    cat <<YAML
agent: { id: diff, agency: diff, authority: 36, state_dir: "$d/state" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
journal: { max_bytes: 8GiB, hard_max_bytes: 8GiB }
kafka: { brokers: "127.0.0.1:9" }
rules: { yara: [ "$SRC/rules/yara/*.yar" ] }
inputs:
YAML
    for p in "$@"; do
      echo "  - { type: pcap, id: in$i, file: \"$p\" }"
      i=$((i + 1))
    done
  } >"$d/agent.yaml"
  "$bin/agent/socagent" -c "$d/agent.yaml" --oneshot 2>"$d/stderr" || { cat "$d/stderr" >&2; exit 2; }
  "$bin/ctl/socctl" -c "$d/agent.yaml" journal export >"$d/events.json" 2>/dev/null
  python3 - "$d/state/agent.db" >"$d/store.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for title, q in [
    ("counter", "SELECT input, name, value FROM counter ORDER BY input, name"),
    ("alert", "SELECT id, rule, key, host, asset, impact, level, first_ns, last_ns, count, draft FROM alert ORDER BY id"),
    ("alert_evidence", "SELECT alert, seq, source, stream, pos, ts, line FROM alert_evidence ORDER BY alert, seq"),
    ("draft", "SELECT id, rule, key, asset, status, level, first_ns, last_ns, count FROM draft ORDER BY id"),
    ("draft_evidence", "SELECT draft, seq, source, stream, pos, ts, line FROM draft_evidence ORDER BY draft, seq"),
    ("draft_object", "SELECT draft, sha256, name, size, kept, ts_ns FROM draft_object ORDER BY draft, sha256, name"),
    ("finding_seen", "SELECT rule, object, sha256 FROM finding_seen ORDER BY rule, object, sha256"),
    ("outbox", "SELECT topic, key, count(*) FROM outbox GROUP BY topic, key ORDER BY topic, key"),
]:
    print("==", title)
    for r in db.execute(q):
        print("|".join("" if v is None else str(v) for v in r))
PY
}

run a "$A" "$@"
run b "$B" "$@"
echo "events: $(wc -l <"$W/a/events.json") / $(wc -l <"$W/b/events.json");" \
  "alerts, drafts: $(grep -c . "$W/a/store.txt") / $(grep -c . "$W/b/store.txt") store lines"
rc=0
cmp -s "$W/a/events.json" "$W/b/events.json" || { echo "events differ:"; diff "$W/a/events.json" "$W/b/events.json" | head -20; rc=1; }
diff "$W/a/store.txt" "$W/b/store.txt" || rc=1
[ $rc -eq 0 ] && echo "same events, counters, alerts, drafts, evidence and objects"
exit $rc
