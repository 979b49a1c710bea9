#!/bin/bash
# Traffic metadata end to end, on real captures from the Suricata test
# suite (tests/data/pcap, each with the test.yaml Suricata checks): socagent
# --oneshot reads pcap files into the journal, and the events the detector
# and the forwarder see (socctl journal export --ecs) carry the HTTP, DNS,
# TLS and SSH fields those files expect. A damaged file and a file that is
# no pcap are counted and reported, not fatal; a second run adds nothing.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/pcap_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
P="$SOC_TEST_DATA/pcap"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# A capture cut in the middle of a packet record, and one that is no pcap.
head -c 4000 "$P/http-all-headers/input.pcap" >"$T/cut.pcap"
printf 'this is not a capture file\n' >"$T/junk.pcap"

{
  cat <<YAML
agent: { id: pcap-test, agency: Test Agency, authority: 1, state_dir: $T/state }
contacts:
  - { name: A, phone: "02-0000-0001", email: a@example.org }
  - { name: B, phone: "02-0000-0002", email: b@example.org }
kafka: { brokers: "127.0.0.1:9" }
inputs:
YAML
  suricata_clean_inputs "$P"
  cat <<YAML
  - { type: pcap, id: cut, file: $T/cut.pcap }
  - { type: pcap, id: junk, file: $T/junk.pcap, flow_records: false }
YAML
} >"$T/agent.yaml"

run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
expect_err "cut: $T/cut.pcap: the file is damaged or cut short"
expect_err "junk: $T/junk.pcap is not a pcap or pcapng file"

run "$CTL" -c "$T/agent.yaml" journal export --ecs
expect_status 0
printf '%s\n' "$OUT" >"$T/events.json"
python3 - "$T/events.json" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: event fields" >&2; }
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def of(action, **match):
    out = []
    for e in evs:
        if e["event"].get("action") != action:
            continue
        ok = True
        for k, v in match.items():
            node = e
            for part in k.split("__"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            ok = ok and node == v
        if ok:
            out.append(e)
    return out
ids = [e["event"]["id"] for e in evs]
assert len(ids) == len(set(ids)), "event.id not unique"
for e in evs:
    assert e["event"]["kind"] == "event" and e["event"]["category"] == "network", e

# http-all-headers: Host www.ethereal.com, Content-Length 18070 (test.yaml)
# (the cut copy of it gives a second one, its body cut short with the file)
hs = of("http_request", url__domain="www.ethereal.com")
assert len(hs) == 2, hs
h = [x for x in hs if x["http"]["response"]["body"]["bytes"] == 18070]
assert len(h) == 1, hs
h = h[0]
assert h["url"]["original"] == "/download.html" and h["url"]["path"] == "/download.html", h
assert h["http"]["request"]["method"] == "GET" and h["http"]["response"]["status_code"] == 200, h
assert h["http"]["response"]["body"]["bytes"] == 18070, h
assert h["http"]["response"]["mime_type"] == "text/html", h
assert h["user_agent"]["original"].startswith("Mozilla/5.0"), h
assert h["source"]["port"] == 3372 and h["destination"]["port"] == 80, h

# filemagic-flowbits: a wget user agent fetching a PDF (sids 1, 4)
p = of("http_request", url__domain="home.regit.org")
assert len(p) == 1, p
p = p[0]
assert p["user_agent"]["original"].lower().startswith("wget"), p
assert p["url"]["original"].endswith("pdf") and p["http"]["response"]["mime_type"] == "application/pdf", p

# http-brotli-ce: 3 HTTP transactions on one flow, and 1 flow record
b = of("http_request", url__domain="www.google.com")
assert len(b) == 3, b
assert sorted(x["http"]["response"]["status_code"] for x in b) == [200, 200, 204], b
assert len([e for e in evs if e["event"]["action"] == "network_flow"
            and e["destination"].get("ip") == "172.217.170.68"]) == 1

# dns-tcp-multirequest-buffer: 20 requests and 20 responses over TCP
q = of("dns_query", network__transport="tcp")
a = of("dns_answer", network__transport="tcp")
assert len(q) == 20 and len(a) == 20, (len(q), len(a))
assert sorted(x["dns"]["question"]["name"] for x in q) == sorted("%d.google.com" % i for i in range(20))
assert all(x["dns"]["question"]["type"] == "A" for x in q + a)
# (the resolver answered NXDOMAIN to these made-up names)
assert all(x["dns"]["response_code"] == "NXDOMAIN" for x in a), a[0]
assert {x["dns"]["id"] for x in q} == {x["dns"]["id"] for x in a}

# tls-alpn-log-detect-02: SNI *icloud*, client ALPN [h2, http/1.1], server http/1.1
t = of("tls_handshake")
assert len(t) == 1, t
t = t[0]["tls"]
assert "icloud" in t["client"]["server_name"], t
assert t["client"]["supported_protocols"] == ["h2", "http/1.1"], t
assert t["next_protocol"] == "http/1.1" and t["version"] == "1.2", t

# ssh-hassh: the HASSH values of test.yaml
s = of("ssh_handshake")
assert len(s) == 1, s
s = s[0]["ssh"]
assert s["client"]["hassh"] == "2dd6531c7e89d3c925db9214711be76a", s
assert s["server"]["hassh"] == "6832f1ce43d4397c2c0a3e2f8c94334e", s
assert s["server"]["software"] == "OpenSSH_7.4" and s["client"]["proto_version"] == "2.0", s

# flow records: bytes and packets add up
for f in [e for e in evs if e["event"]["action"] == "network_flow"]:
    assert f["network"]["bytes"] == f["source"]["bytes"] + f["destination"]["bytes"], f
    assert f["network"]["packets"] == f["source"]["packets"] + f["destination"]["packets"], f
    assert f["event"]["duration"] >= 0 and f["network"]["community_id"].startswith("1:"), f
print(len(evs), "events checked")
PY
CHECKS=$((CHECKS + 1))
before=$(wc -l <"$T/events.json")

# The damaged file: counted, and the packets before the cut were read.
run "$CTL" -c "$T/agent.yaml" status
expect_status 0
python3 - "$OUT" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: counters in status" >&2; }
import re, sys
cur, counters = None, {}
for line in sys.argv[1].splitlines():
    m = re.match(r"input (\S+) \(pcap\)", line)
    if m:
        cur = m.group(1)
    elif cur and line.startswith("  "):
        k, v = line.split()
        counters.setdefault(cur, {})[k] = int(v)
    else:
        cur = None
assert counters["cut"]["pcap_errors"] == 1 and counters["cut"]["packets"] > 0, counters["cut"]
assert counters["junk"]["pcap_errors"] == 1, counters["junk"]
assert counters["dns-tcp"]["dns.messages"] == 40, counters["dns-tcp"]
assert counters["http-brotli"]["http.requests"] == 3, counters["http-brotli"]
PY
CHECKS=$((CHECKS + 1))

# A second run reads nothing twice.
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/agent.yaml" journal export
expect_status 0
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq "$before" ] || fail "second run changed the journal: $before lines before"

finish
