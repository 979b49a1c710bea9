#!/bin/bash
# Log-rule benchmark: lines per CPU-second of matching + correlation over a
# 1-million-line realistic syslog file (bench/gen_lines.py: the loghub
# OpenSSH sample, cycled), with 10, 100 and 1,000 generated rules
# (bench/gen_rules.py: mostly literals and regexes with a literal, a few
# with captures and correlation), through `socctl rules test --stats`,
# which times matching + correlation apart from syslog parsing. Each set
# also runs with --no-prefilter (every rule evaluated on every line) for
# comparison; with 1,000 rules that run reads only the first tenth of the
# file, and its rate is per line all the same. Prints a Markdown table.
#
# Then Sigma (docs/SIGMA.md): the shipped pack (rules/log, 26 rules) alone
# and with every SigmaHQ rule we ship (rules/sigma, 2,637) on the same
# syslog lines; and the same two sets on Windows events as JSON lines (the
# SigmaHQ regression samples in tests/data/sigma, cycled), read as
# `format: json` inputs read them.
#
#   bench/rules.sh [BUILD_DIR] [LINES]
#
# Needs: python3, /usr/bin/time.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-1000000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$SRC/bench/gen_lines.py" "$W/input.log" "$N"
head -n $((N / 10)) "$W/input.log" > "$W/tenth.log"

echo "| rules | prefilter | lines | rules evaluated per line | hits | firings | CPU-s match+correlate | lines per CPU-s, match+correlate | lines per CPU-s, with syslog parsing | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"

run() { # rules_file label prefilter(yes|no) input [more socctl arguments]
  local extra="" rules=() more=("${@:5}")
  [ "$3" = no ] && extra=--no-prefilter
  [ -n "$1" ] && rules=(-r "$1")
  /usr/bin/time -f "%M" -o "$W/rss" "$BIN/ctl/socctl" rules test -q --stats $extra \
    --timezone +08:00 "${rules[@]}" "${more[@]}" "$4" 2> "$W/stats"
  awk -v label="$2" -v pre="$3" -v rss="$(tail -n 1 "$W/rss")" '
    /^rules / {
      for (i = 1; i <= NF; i++) {
        if ($i == "lines") lines = $(i + 1)
        if ($i == "evaluated") evald = $(i + 1)
        if ($i == "hits") hits = $(i + 1)
        if ($i == "firings") fires = $(i + 1)
      }
      gsub(/;/, "", lines); gsub(/;/, "", evald); gsub(/;/, "", hits); gsub(/;/, "", fires)
    }
    /^cpu parse/ { parse = $3; match_s = $7 }
    END {
      printf "| %s | %s | %d | %.2f | %d | %d | %.2f | %.0f | %.0f | %.1f |\n", label, pre, lines,
        evald / lines, hits, fires, match_s, lines / match_s, lines / (match_s + parse), rss / 1024
    }' "$W/stats"
}

for R in 10 100 1000; do
  python3 "$SRC/bench/gen_rules.py" "$W/rules-$R.yaml" "$R"
  run "$W/rules-$R.yaml" "$R" yes "$W/input.log"
  if [ "$R" = 1000 ]; then
    run "$W/rules-$R.yaml" "$R" no "$W/tenth.log"
  else
    run "$W/rules-$R.yaml" "$R" no "$W/input.log"
  fi
done

# Sigma beside the shipped pack, on the same inputs
PACK=()
for f in "$SRC"/rules/log/*.yaml; do PACK+=(-r "$f"); done
python3 - "$SRC/tests/data/sigma/regression" "$W/win.jsonl" 200000 <<'PY'
import json, os, sys
dec = json.JSONDecoder()
events = []
for d, _, files in sorted(os.walk(sys.argv[1])):
    for f in sorted(files):
        if f.endswith(".json"):
            s, i = open(os.path.join(d, f)).read(), 0
            while True:
                while i < len(s) and s[i].isspace():
                    i += 1
                if i >= len(s):
                    break
                o, i = dec.raw_decode(s, i)
                events.append(json.dumps(o, separators=(",", ":")))
with open(sys.argv[2], "w") as out:
    for k in range(int(sys.argv[3])):
        out.write(events[k % len(events)] + "\n")
PY
JSONOPTS=(--format json --time-field Event.System.TimeCreated.SystemTime --host-field Event.System.Computer)
run "" "26 (rules/log), syslog" yes "$W/input.log" "${PACK[@]}"
run "" "26 + 2,637 Sigma, syslog" yes "$W/input.log" "${PACK[@]}" --sigma "$SRC/rules/sigma"
run "" "26 (rules/log), Windows JSON" yes "$W/win.jsonl" "${PACK[@]}" "${JSONOPTS[@]}"
run "" "26 + 2,637 Sigma, Windows JSON" yes "$W/win.jsonl" "${PACK[@]}" --sigma "$SRC/rules/sigma" \
  "${JSONOPTS[@]}"
