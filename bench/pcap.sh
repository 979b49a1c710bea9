#!/bin/bash
# Traffic benchmark: Gbit/s and packets/s per CPU core reading a large pcap,
# side by side in the same run:
#   - `tcpdump -r FILE -w /dev/null`: libpcap reading the file and writing it
#     nowhere, the read limit;
#   - `socagent --oneshot` with a pcap input and no YARA rules: decode,
#     fragments, flows, TCP reassembly, DNS/HTTP/TLS/SSH events journaled;
#   - the same with the shipped rules/yara (the default: scan_bytes 1 MiB of
#     each TCP direction, every HTTP body).
# The capture (at least MB MiB, default 1024) is made by bench/gen_pcap.py
# from the Suricata captures in tests/data/pcap, repeated as new flows, under
# BUILD_DIR/bench (not kept in the tree). The YARA cache is warmed first.
# Rates are per CPU-second (user + sys from /usr/bin/time), so they read as
# "per core"; the agent's CPU includes its journal commits and the detector
# pass over the events that --oneshot makes.
#
#   bench/pcap.sh [BUILD_DIR] [MB]
#
# Needs: tcpdump, python3, /usr/bin/time (scripts/install-deps.sh --bench).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$SRC/build}" && pwd)
MB=${2:-1024}
PCAP="$BIN/bench/traffic-${MB}M.pcap"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

mkdir -p "$BIN/bench"
[ -s "$PCAP" ] || python3 "$SRC/bench/gen_pcap.py" "$PCAP" "$MB" 500 "$SRC"/tests/data/pcap/*/*.pcap
BYTES=$(stat -c %s "$PCAP")
cat "$PCAP" >/dev/null # the page cache, for every side alike

/usr/bin/time -f "%U %S %e %M" -o "$W/t.tcpdump" tcpdump -r "$PCAP" -w /dev/null 2>/dev/null

agent_cfg() { # NAME RULES-LINE
  cat >"$W/$1.yaml" <<YAML
agent: { id: bench, agency: bench, authority: 36, state_dir: "$W/$1" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: pcap, id: traffic, file: "$2" } ]
journal: { max_bytes: 8GiB, hard_max_bytes: 8GiB }
kafka: { brokers: "127.0.0.1:9" }
$3
YAML
}
agent_cfg plain "$PCAP" ""
agent_cfg yara "$PCAP" "rules: { yara: [ \"$SRC/rules/yara/*.yar\" ] }"
agent_cfg warm /dev/null "rules: { yara: [ \"$SRC/rules/yara/*.yar\" ] }"
sed -i "s|state_dir: \"$W/warm\"|state_dir: \"$W/yara\"|" "$W/warm.yaml"
"$BIN/agent/socagent" -c "$W/warm.yaml" --oneshot 2>/dev/null || true # compiles, fills the cache
for n in plain yara; do
  /usr/bin/time -f "%U %S %e %M" -o "$W/t.$n" "$BIN/agent/socagent" -c "$W/$n.yaml" --oneshot \
    2>"$W/$n.err" || { cat "$W/$n.err" >&2; exit 1; }
done

counter() { # STATE NAME
  python3 -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(
    "SELECT value FROM counter WHERE input = \"traffic\" AND name = ?", (sys.argv[2],)).fetchone()
print(r[0] if r else 0)' "$W/$1/agent.db" "$2"
}
PKTS=$(counter plain packets)

echo "capture: $(awk -v b="$BYTES" 'BEGIN{printf "%.0f", b / 1048576}') MiB, $PKTS packets," \
  "$(counter plain flows.created) flows, $(counter plain events) events;" \
  "with YARA: $(counter yara scan.streams) streams and $(counter yara scan.bodies) bodies scanned" \
  "($(awk -v b="$(counter yara scan.bytes)" 'BEGIN{printf "%.0f", b / 1048576}') MiB), $(counter yara scan.drafts) finding(s) drafted"
echo
echo "| reader | CPU-s | Gbit/s per core | packets/s per core | vs tcpdump | wall s | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
read -r u s _ _ <"$W/t.tcpdump"
BASE=$(awk -v u="$u" -v s="$s" 'BEGIN{c = u + s; print (c > 0 ? c : 0.01)}')
row() { # label timefile
  read -r u s e m <"$2"
  awk -v l="$1" -v b="$BYTES" -v p="$PKTS" -v u="$u" -v s="$s" -v e="$e" -v m="$m" -v base="$BASE" \
    'BEGIN { c = u + s; if (c <= 0) c = 0.01
             printf "| %s | %.2f | %.2f | %.0f | %.1fx | %.2f | %.0f |\n", l, c, b * 8 / c / 1e9,
                    p / c, c / base, e, m / 1024 }'
}
row "tcpdump -r FILE -w /dev/null" "$W/t.tcpdump"
row "socagent --oneshot, no YARA" "$W/t.plain"
row "socagent --oneshot, YARA (rules/yara)" "$W/t.yara"
