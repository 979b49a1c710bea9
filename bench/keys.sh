#!/bin/bash
# Correlation-state benchmark: the detector's CPU per line with 10, 10,000
# and 100,000 live correlation keys. Each input has LINES sshd failures from
# K source addresses in turn; one rule counts distinct user names per source
# address (the user is always root, so it never fires: only the state is
# kept and written back). `socagent --oneshot` reads the file into its
# journal and runs the detector over it; the same run without rules is
# subtracted, which leaves the detector's own cost. Prints a Markdown table.
#
#   bench/keys.sh [BUILD_DIR] [LINES]
#
# Needs: python3, /usr/bin/time.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}
N=${2:-200000}
W=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "kept: $W" >&2
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cat >"$W/rule.yaml" <<'YAML'
- id: BENCH-KEYS
  title: distinct users per address (never fires)
  match:
    program: [ sshd ]
    any:
      - regex: 'Failed password for (?<user>\S+) from (?<ip>[0-9.]+) port'
    captures: { user: user.name, ip: source.ip }
  correlate:
    group_by: [ source.ip ]
    distinct: user.name
    count: 2
    within: 24h
  incident:
    category: intrusion
    subtype: abnormal-login attempts (brute force)
    impact: none
    asset_from: [ host.name, host.ip ]
YAML

run() { # K rules(yes|no) -> "cpu_seconds rss_kib"
  local d="$W/$1-$2"
  mkdir -p "$d"
  python3 - "$d/input.log" "$N" "$1" <<'PY'
import sys
out, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(out, "w") as f:
    for i in range(n):
        t, a = i // 50, i % k
        f.write("Nov %2d %02d:%02d:%02d bench sshd[%d]: Failed password for root from 10.%d.%d.%d port 22 ssh2\n"
                % (1 + t // 86400, (t // 3600) % 24, (t // 60) % 60, t % 60, 1000 + i % 5000,
                   a >> 16 & 255, a >> 8 & 255, a & 255))
PY
  local rules="[]"
  [ "$2" = yes ] && rules="[ \"$W/rule.yaml\" ]"
  cat >"$d/agent.yaml" <<YAML
agent: { id: bench, agency: bench, authority: 36, state_dir: $d/state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: bench, paths: [ "$d/input.log" ] } ]
kafka: { brokers: "127.0.0.1:9", topic_prefix: bench }
rules: { log: $rules }
YAML
  /usr/bin/time -f "%U %S %M" -o "$d/time" "$BIN/agent/socagent" -c "$d/agent.yaml" --oneshot \
    >/dev/null 2>"$d/err" || { cat "$d/err" >&2; exit 1; }
  if grep -q "error" "$d/err"; then cat "$d/err" >&2; exit 1; fi
  awk '{print $1 + $2, $3}' "$d/time"
}

echo "| live keys | lines | CPU-s per 1M lines, no rules | with the rule | detector alone | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"
for K in 10 10000 100000; do
  read -r c0 _ < <(run "$K" no)
  read -r c1 m1 < <(run "$K" yes)
  awk -v k="$K" -v n="$N" -v a="$c0" -v b="$c1" -v m="$m1" 'BEGIN{
    printf "| %d | %d | %.2f | %.2f | %.2f | %.1f |\n", k, n, a*1e6/n, b*1e6/n, (b-a)*1e6/n, m/1024 }'
done
