#!/bin/bash
# Live capture: socagent captures on an interface while an HTTP request and
# a DNS query cross it, and the ECS events are in the journal after a
# SIGTERM; the EICAR file the HTTP server sends is drafted from the live
# stream. Everything happens between two network namespaces this test makes
# and joins with a veth pair (10.200.77.1 server, 10.200.77.2 client and
# agent); no other address is used. Root and iproute2 are needed: skipped
# (77) without them, a failure under CI.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "needs ip (iproute2)"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
NS_S="socpcap-s-$$" NS_C="socpcap-c-$$"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$NS_S" 2>/dev/null
  ip netns del "$NS_C" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

if ! ip netns add "$NS_S" 2>/dev/null || ! ip netns add "$NS_C" 2>/dev/null; then
  skip "cannot make network namespaces here"
fi
ip link add vs0 netns "$NS_S" type veth peer name vc0 netns "$NS_C" || exit 1
ip -n "$NS_S" addr add 10.200.77.1/24 dev vs0
ip -n "$NS_C" addr add 10.200.77.2/24 dev vc0
for ns in "$NS_S" "$NS_C"; do
  # no IPv6: its neighbour discovery would send to multicast addresses
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$NS_S" link set vs0 up
ip -n "$NS_C" link set vc0 up

# The server side: a web root with the EICAR file (made here, not kept in
# the tree) and a DNS server that answers every A question with its address.
mkdir -p "$T/www"
printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$' 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$T/www/eicar.com"
printf '<html><body>portal</body></html>\n' >"$T/www/index.html"
ip netns exec "$NS_S" python3 -m http.server 8080 --bind 10.200.77.1 --directory "$T/www" \
  >"$T/http.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_S" python3 - >"$T/dns.log" 2>&1 <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.200.77.1", 53))
s.settimeout(60)
for _ in range(20):
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        break
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    head = q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("10.200.77.1")
    s.sendto(head + question + answer, peer)
PY
PIDS+=($!)
# both servers listen before the client asks (a UDP question sent earlier is lost)
serving() {
  ip netns exec "$NS_S" ss -H -uln "sport = :53" | grep -q . &&
    ip netns exec "$NS_S" ss -H -tln "sport = :8080" | grep -q .
}
wait_for 30 "the DNS and HTTP servers" serving

cat >"$T/agent.yaml" <<YAML
agent: { id: pcap-live, agency: Test Agency, authority: 1, state_dir: $T/state }
contacts:
  - { name: A, phone: "02-0000-0001", email: a@example.org }
  - { name: B, phone: "02-0000-0002", email: b@example.org }
rules: { yara: ["$SOC_SRC/rules/yara/*.yar"] }
journal: { commit_interval: 100ms }
inputs:
  - { type: pcap, id: live, interface: vc0, flow_timeout: 2s }
kafka: { brokers: "127.0.0.1:9" }
YAML

ip netns exec "$NS_C" "$AGENT" -c "$T/agent.yaml" >"$T/agent.out" 2>"$T/agent.err" &
AGENT_PID=$!
PIDS+=($AGENT_PID)
# the capture is open once the status shows the input's counters
capturing() { "$CTL" -c "$T/agent.yaml" status 2>/dev/null | grep -q "input live (pcap)"; }
wait_for 30 "the live capture to open" capturing

# The client: a DNS question, then two pages over HTTP (bounded, in time too).
ip netns exec "$NS_C" python3 - <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: client" >&2; }
import socket, struct, urllib.request
q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
for part in b"portal.gov.test".split(b"."):
    q += bytes([len(part)]) + part
q += b"\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, ("10.200.77.1", 53))
r, _ = s.recvfrom(512)
assert r[:2] == b"\x51\x51" and r[-4:] == socket.inet_aton("10.200.77.1"), r
for page in ("index.html", "eicar.com"):
    req = urllib.request.Request("http://10.200.77.1:8080/" + page,
                                 headers={"Host": "portal.gov.test:8080", "User-Agent": "socagent-test/1"})
    body = urllib.request.urlopen(req, timeout=5).read()
    assert body, page
PY
# the last page's request is in the journal: the capture has seen the client
seen_last_page() { "$CTL" -c "$T/agent.yaml" journal export --ecs 2>/dev/null | grep -q '/eicar.com'; }
wait_for 30 "the last page in the journal" seen_last_page
kill -TERM "$AGENT_PID"
for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$AGENT_PID"
STATUS=$?
LAST="socagent (live on vc0), stopped by SIGTERM"
OUT=$(cat "$T/agent.out")
ERR=$(cat "$T/agent.err")
expect_status 0

run "$CTL" -c "$T/agent.yaml" journal export --ecs
expect_status 0
printf '%s\n' "$OUT" >"$T/events.json"
check_py "live events: DNS question and answer, two HTTP transactions, flow records" '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def act(a): return [e for e in evs if e["event"].get("action") == a]
for e in evs:
    assert e["source"]["ip"] in ("10.200.77.1", "10.200.77.2"), e
    assert e["destination"]["ip"] in ("10.200.77.1", "10.200.77.2"), e
q, a = act("dns_query"), act("dns_answer")
assert len(q) == 1 and len(a) == 1, (q, a)
assert q[0]["dns"]["question"]["name"] == "portal.gov.test" and q[0]["network"]["transport"] == "udp", q
assert a[0]["dns"]["resolved_ip"] == ["10.200.77.1"], a
h = act("http_request")
assert sorted(x["url"]["path"] for x in h) == ["/eicar.com", "/index.html"], h
for x in h:
    assert x["url"]["domain"] == "portal.gov.test" and x["http"]["response"]["status_code"] == 200, x
    assert x["user_agent"]["original"] == "socagent-test/1", x
    assert x["source"]["ip"] == "10.200.77.2" and x["destination"]["port"] == 8080, x
assert act("network_flow"), "no flow record"
' "$T/events.json"

check_py "the EICAR file sent over the live link is drafted" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ev = [r[0] for r in db.execute("SELECT line FROM draft_evidence WHERE source = \"live\"")]
ev = [l.decode() if isinstance(l, bytes) else l for l in ev]
assert any(l.startswith("http-body tcp 10.200.77.2:") and "server-to-client" in l
           and "url=http://portal.gov.test/eicar.com" in l for l in ev), ev
' "$T/state/agent.db"

finish
