#!/bin/bash
# YARA directory-scan benchmark: MB/s scanning a generated web-root tree with
# the same rules (rules/yara + the signature-base webshell set in
# tests/data/yara, 600+ rules), side by side in the same run:
#   - `yara -r -p 1` (the yara CLI, one thread, externals defined);
#   - `socagent --oneshot` with a watch input on the tree, one worker: the
#     real path, which also hashes every file (SHA-256) and writes the
#     baseline and any drafts to the store. The compiled-rules cache is warmed
#     first, so neither side pays compilation.
# Prints a Markdown table (CPU-seconds from /usr/bin/time: user + sys).
#
#   bench/yara.sh [BUILD_DIR] [MB]
#
# Needs: yara, python3, /usr/bin/time (scripts/install-deps.sh --bench).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
MB=${2:-200}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# a web root: directories of pages, scripts and assets, ~MB megabytes in all
python3 - "$W/www" "$MB" "$SRC/tests/data/yara/quiet" <<'PY'
import os, random, sys
root, mb, quiet = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(7)
seeds = [open(os.path.join(quiet, f), "rb").read() for f in sorted(os.listdir(quiet))]
words = b"the of and to in is for on with as by at from service citizen portal form data page".split()
total, i = 0, 0
while total < mb * 1024 * 1024:
    d = os.path.join(root, "site%02d" % (i % 40), "dir%02d" % (i % 13))
    os.makedirs(d, exist_ok=True)
    body = seeds[i % len(seeds)] + b" ".join(random.choice(words) for _ in range(random.randint(500, 12000)))
    ext = [".php", ".html", ".js", ".css", ".jsp", ".txt"][i % 6]
    with open(os.path.join(d, "f%06d%s" % (i, ext)), "wb") as f:
        f.write(body)
    total += len(body)
    i += 1
print("files", i, "bytes", total, file=sys.stderr)
PY
BYTES=$(du -sb "$W/www" | cut -f1)
FILES=$(find "$W/www" -type f | wc -l)
RULES=("$SRC"/rules/yara/*.yar "$SRC"/tests/data/yara/*.yar)

cat "${RULES[@]}" >/dev/null
/usr/bin/time -f "%U %S %e %M" -o "$W/t.yara" \
  yara -w -r -p 1 -d filename= -d filepath= -d extension= -d filetype= -d owner= \
  "${RULES[@]}" "$W/www" >"$W/yara.out" 2>"$W/yara.err" || true

mkdir -p "$W/empty"
agent_cfg() { # WEBROOT
  cat >"$W/agent.yaml" <<YAML
agent: { id: bench, agency: bench, authority: 36, state_dir: "$W/state" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: watch, id: "w$(basename "$1")", paths: [ "$1" ], max_file_size: 64MiB } ]
rules: { yara: [ $(printf '"%s", ' "${RULES[@]}" | sed 's/, $//') ] }
kafka: { brokers: "127.0.0.1:9" }
YAML
}
agent_cfg "$W/empty"
"$BIN/agent/socagent" -c "$W/agent.yaml" --oneshot 2>/dev/null   # compiles, fills the cache
agent_cfg "$W/www"
/usr/bin/time -f "%U %S %e %M" -o "$W/t.agent" \
  "$BIN/agent/socagent" -c "$W/agent.yaml" --oneshot 2>"$W/agent.err"

echo "| scanner | files | MB | matches | CPU-s | MB per CPU-s | wall s | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
row() { # label timefile matches
  read -r u s e m <"$2"
  awk -v l="$1" -v f="$FILES" -v b="$BYTES" -v u="$u" -v s="$s" -v e="$e" -v m="$m" -v n="$3" \
    'BEGIN { c = u + s; printf "| %s | %d | %.0f | %d | %.2f | %.1f | %.2f | %.0f |\n", l, f, b / 1048576, n, c, (b / 1048576) / (c > 0 ? c : 0.01), e, m / 1024 }'
}
row "yara -r -p 1 (CLI)" "$W/t.yara" "$(wc -l <"$W/yara.out")"
n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from finding_seen\").fetchone()[0])" "$W/state/agent.db")
row "socagent --oneshot (watch: read + SHA-256 + scan + baseline)" "$W/t.agent" "$n"
