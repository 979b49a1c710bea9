#!/bin/bash
# YARA over captured traffic (agent/netscan.c), on the Suricata test
# captures with the shipped rules/yara: the EICAR file written over SMB is
# found in smb-eicar-file and in smb-eicar-file-segmentation-random, where
# no packet holds the whole string and only the reassembled stream does;
# the EICAR file uploaded over HTTP is found in its body, and each byte of
# that capture is scanned once (a body's bytes are not scanned again as
# part of its stream); TLS application data and SSH after its key exchange
# are left out of the streams unless scan_encrypted is set.
# Each match is drafted through the same path as a watched file's, with the
# flow tuple, rule, strings and offsets, and the object's SHA-256 in the
# evidence, and the object's bytes kept with the draft. Captures
# without EICAR stay quiet though scanned; a second run drafts nothing new;
# without rules.yara nothing is scanned.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/pcap_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
P="$SOC_TEST_DATA/pcap"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

head_yaml() { # STATE-DIR
  cat <<YAML
agent: { id: pcap-yara, agency: Test Agency, authority: 1, state_dir: $1 }
contacts:
  - { name: A, phone: "02-0000-0001", email: a@example.org }
  - { name: B, phone: "02-0000-0002", email: b@example.org }
kafka: { brokers: "127.0.0.1:9" }
YAML
}

{
  head_yaml "$T/hit"
  cat <<YAML
rules: { yara: ["$SOC_SRC/rules/yara/*.yar"] }
inputs:
  - { type: pcap, id: smb, file: $P/smb-eicar-file/input.pcap }
  - { type: pcap, id: smb-seg, file: $P/smb-eicar-file-segmentation-random/input.pcap }
  - { type: pcap, id: http-post, file: $P/http-post-file/input.pcap }
YAML
} >"$T/hit.yaml"
{
  head_yaml "$T/quiet"
  cat <<YAML
rules: { yara: ["$SOC_SRC/rules/yara/*.yar"] }
inputs:
YAML
  suricata_clean_inputs "$P"
} >"$T/quiet.yaml"
{
  head_yaml "$T/norules"
  cat <<YAML
inputs:
  - { type: pcap, id: smb, file: $P/smb-eicar-file/input.pcap }
YAML
} >"$T/norules.yaml"

# The premise: one packet of smb-eicar-file holds the whole EICAR string,
# no packet of the segmented capture does (read with a plain pcap reader).
check_py "premise: only reassembly finds EICAR in the segmented capture" '
import struct, sys
eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
def packets(path):
    d = open(path, "rb").read()
    end = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off = 24
    while off + 16 <= len(d):
        incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
        yield d[off + 16:off + 16 + incl]
        off += 16 + incl
assert any(eicar in p for p in packets(sys.argv[1]))
assert not any(eicar in p for p in packets(sys.argv[2]))
' "$P/smb-eicar-file/input.pcap" "$P/smb-eicar-file-segmentation-random/input.pcap"

run "$AGENT" -c "$T/hit.yaml" --oneshot
expect_status 0
expect_err "yara: 12 rule(s)"

check_py "EICAR drafted from both SMB captures and the HTTP upload, evidence complete" '
import hashlib, json, sqlite3, sys
state = sys.argv[1]
db = sqlite3.connect(state + "/agent.db")
drafts = db.execute("SELECT id, rule, key, count, body FROM draft").fetchall()
assert drafts and all(d[1] == "SOC-YARA-005" for d in drafts), drafts
ev = {}
for did, src, line in db.execute("SELECT draft, source, line FROM draft_evidence"):
    ev.setdefault(src, []).append(line.decode() if isinstance(line, bytes) else line)
assert set(ev) == {"smb", "smb-seg", "http-post"}, ev
for tup, src in (("192.168.1.100:47114 -> 192.168.1.3:445", "smb"),
                 ("192.168.1.100:47870 -> 192.168.1.3:445", "smb-seg")):
    assert len(ev[src]) == 1, ev[src]
    assert ev[src][0].startswith("stream tcp " + tup + " client-to-server "), ev[src]
kinds = sorted(l.split()[0] for l in ev["http-post"])
assert kinds == ["http-body"], ev["http-post"]
body = [l for l in ev["http-post"] if l.startswith("http-body")][0]
assert " url=http://" in body, body
alerts = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox WHERE topic = \"alerts\"")]
assert len(alerts) == 3, len(alerts)
eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
for a in alerts:
    assert a["rule"]["id"] == "SOC-YARA-005" and a["event"]["kind"] == "alert", a
    assert a["source"]["ip"] and a["destination"]["port"] in (445, 8065), a
    assert a["network"]["transport"] == "tcp" and a["network"]["community_id"].startswith("1:"), a
    f = a["file"]
    # the object kept with the draft for the evidence bundle: its bytes hash to the sha256
    assert f["type"] in ("stream", "http-body"), f
    row = db.execute("SELECT o.bytes, d.size, d.kept FROM object o JOIN draft_object d"
                     " ON d.sha256 = o.sha256 WHERE d.draft = ? AND o.sha256 = ?",
                     (a["draft"], f["hash"]["sha256"])).fetchone()
    assert row and row[2] == 1 and row[1] == f["size"], (row, f)
    data = bytes(row[0])
    assert hashlib.sha256(data).hexdigest() == f["hash"]["sha256"] and len(data) == f["size"], f
    # the offsets are offsets in that object
    whole = [s for s in a["yara"]["strings"] if s["id"] == "$whole"][0]
    assert data[whole["offset"]:whole["offset"] + len(eicar)] == eicar, whole
for d in drafts:
    fnd = json.loads(d[4])["finding"]
    assert fnd["yara"]["rule"] == "SOC_EICAR_Test_File" and fnd["file"]["hash"]["sha256"], fnd
' "$T/hit"

check_py "each byte of the HTTP upload scanned once: stream less bodies, and bodies" '
import sqlite3, struct, sys
d = open(sys.argv[2], "rb").read()
end = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
assert struct.unpack(end + "I", d[20:24])[0] == 0  # DLT_NULL: a 4-byte header
off, payload = 24, 0
while off + 16 <= len(d):
    incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
    ip = d[off + 20:off + 16 + incl]
    off += 16 + incl
    if ip[0] >> 4 == 6:
        proto, seg = ip[6], ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        proto, seg = ip[9], ip[(ip[0] & 15) * 4:struct.unpack(">H", ip[2:4])[0]]
    if proto == 6:
        payload += len(seg) - (seg[12] >> 4) * 4
c = dict(sqlite3.connect(sys.argv[1]).execute(
    "SELECT name, value FROM counter WHERE input = \"http-post\""))
assert c["scan.bodies"] >= 1 and c["scan.bytes"] == payload, (c, payload)
' "$T/hit/agent.db" "$P/http-post-file/input.pcap"

run "$SOC_BIN/ctl/socctl" -c "$T/hit.yaml" status
expect_status 0
expect_out "scan.streams"
expect_out "scan.drafts"

# Again: the files are done, nothing new is drafted.
before=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM draft_evidence").fetchone()[0])' "$T/hit/agent.db")
run "$AGENT" -c "$T/hit.yaml" --oneshot
expect_status 0
check_py "a second run drafts nothing" '
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM draft_evidence").fetchone()[0]
assert n == int(sys.argv[2]), (n, sys.argv[2])
' "$T/hit/agent.db" "$before"

# Traffic without EICAR (HTTP pages and a PDF, DNS, TLS, SSH): scanned, quiet.
run "$AGENT" -c "$T/quiet.yaml" --oneshot
expect_status 0
check_py "no draft from captures without EICAR, though they were scanned" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT count(*) FROM draft").fetchone()[0] == 0
c = dict(((i, n), v) for i, n, v in db.execute("SELECT input, name, value FROM counter"))
assert c[("http-headers", "scan.bodies")] >= 1 and c[("http-pdf", "scan.bodies")] >= 1, c
for i in ("http-headers", "http-pdf", "http-brotli", "dns-tcp", "tls-alpn", "ssh"):
    assert c[(i, "scan.streams")] >= 2, (i, c)
    assert c[(i, "scan.matches")] == 0, (i, c)
' "$T/quiet/agent.db"

# The limits. The segmented SMB stream holds the string at 824-891: the
# first 900 bytes show it, the first 850 do not. A 64 KiB scan_memory
# cannot hold the 18 KB page of http-all-headers as stream and body at once:
# scanned early with what it has, counted.
{
  head_yaml "$T/limits"
  cat <<YAML
rules: { yara: ["$SOC_SRC/rules/yara/*.yar"] }
inputs:
  - { type: pcap, id: seg-900, file: $P/smb-eicar-file-segmentation-random/input.pcap, scan_bytes: 900 }
  - { type: pcap, id: seg-850, file: $P/smb-eicar-file-segmentation-random/input.pcap, scan_bytes: 850 }
  - { type: pcap, id: tight, file: $P/http-all-headers/input.pcap, scan_memory: 64KiB }
YAML
} >"$T/limits.yaml"
run "$AGENT" -c "$T/limits.yaml" --oneshot
expect_status 0
check_py "scan_bytes bounds what is scanned; scan_memory scans early" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
src = [r[0] for r in db.execute("SELECT source FROM draft_evidence")]
assert src == ["seg-900"], src
c = dict(((i, n), v) for i, n, v in db.execute("SELECT input, name, value FROM counter"))
assert c[("seg-850", "scan.streams")] == 2 and c[("seg-850", "scan.matches")] == 0, c
assert c[("tight", "scan.early")] >= 1 and c[("tight", "scan.matches")] == 0, c
' "$T/limits/agent.db"

# Ciphertext is left out of stream objects (netmon's on_opaque): the
# payload of TLS application_data records and SSH after NEWKEYS, counted as
# scan.opaque_bytes; scan_encrypted: true keeps it. Two rules made from the
# captures themselves: 16 bytes of the TLS server's handshake (plaintext,
# always scanned) and 16 bytes of its first application_data record (seen
# only with scan_encrypted).
python3 - "$P/tls-alpn-log-detect-02/input.pcap" "$P/ssh-hassh/input.pcap" "$T" <<'PY'
import struct, sys
def streams(path):
    d = open(path, "rb").read()
    end = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack(end + "I", d[20:24])[0]
    hdr = {1: 14, 101: 0}[link]  # Ethernet or raw IP (IPv4 in both)
    off, st = 24, {}
    while off + 16 <= len(d):
        incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
        ip = d[off + 16 + hdr:off + 16 + incl]
        off += 16 + incl
        if ip[9] != 6:
            continue
        t = ip[(ip[0] & 15) * 4:struct.unpack(">H", ip[2:4])[0]]
        pl = t[(t[12] >> 4) * 4:]
        if pl:
            st.setdefault(struct.unpack(">HH", t[:4]), {})[struct.unpack(">I", t[4:8])[0]] = pl
    return {k: b"".join(v[q] for q in sorted(v)) for k, v in st.items()}
opaque, plain, cipher = 0, None, None
for (sp, dp), b in streams(sys.argv[1]).items():
    i = 0
    while i + 5 <= len(b):
        typ, n = b[i], struct.unpack(">H", b[i + 3:i + 5])[0]
        body = b[i + 5:i + 5 + n]
        if typ == 23:
            opaque += len(body)
        if sp == 443 and typ == 22 and not plain and n > 64:
            plain = body[32:48]
        if sp == 443 and typ == 23 and not cipher and n > 64:
            cipher = body[32:48]
        i += 5 + n
ssh = 0
for b in streams(sys.argv[2]).values():
    i = b.index(b"\n") + 1
    while True:
        n, msg = struct.unpack(">I", b[i:i + 4])[0], b[i + 5]
        i += 4 + n
        if msg == 21:
            break
    ssh += len(b) - i
hexs = lambda x: " ".join("%02x" % c for c in x)
open(sys.argv[3] + "/enc.yar", "w").write(
    "rule TLS_Handshake_Bytes { strings: $a = { %s } condition: $a }\n"
    "rule TLS_Ciphertext_Bytes { strings: $a = { %s } condition: $a }\n" % (hexs(plain), hexs(cipher)))
open(sys.argv[3] + "/enc.expect", "w").write("%d %d\n" % (opaque, ssh))
PY
{
  head_yaml "$T/enc"
  cat <<YAML
rules: { yara: ["$T/enc.yar"] }
inputs:
  - { type: pcap, id: tls, file: $P/tls-alpn-log-detect-02/input.pcap }
  - { type: pcap, id: tls-all, file: $P/tls-alpn-log-detect-02/input.pcap, scan_encrypted: true }
  - { type: pcap, id: ssh, file: $P/ssh-hassh/input.pcap }
  - { type: pcap, id: ssh-all, file: $P/ssh-hassh/input.pcap, scan_encrypted: true }
YAML
} >"$T/enc.yaml"
run "$AGENT" -c "$T/enc.yaml" --oneshot
expect_status 0
check_py "TLS application data and SSH after NEWKEYS left out, the handshakes scanned" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tls, ssh = map(int, open(sys.argv[2]).read().split())
c = dict(((i, n), v) for i, n, v in db.execute("SELECT input, name, value FROM counter"))
assert tls > 1000 and ssh > 100, (tls, ssh)
assert c[("tls", "scan.opaque_bytes")] == tls and c[("ssh", "scan.opaque_bytes")] == ssh, c
assert c[("tls-all", "scan.opaque_bytes")] == 0 and c[("ssh-all", "scan.opaque_bytes")] == 0, c
assert c[("tls", "scan.bytes")] + tls == c[("tls-all", "scan.bytes")], c
assert c[("ssh", "scan.bytes")] + ssh == c[("ssh-all", "scan.bytes")], c
# the handshake bytes are found either way, the ciphertext bytes only when kept
assert c[("tls", "scan.matches")] == 1 and c[("tls-all", "scan.matches")] == 2, c
' "$T/enc/agent.db" "$T/enc.expect"

# A repeated object folds: the EICAR upload and the SMB write, each
# repeated in ~100 conversations of their own (bench/gen_pcap.py), are two
# alerts (one per content, key sha256:HEX) and two drafts, each counting
# every sighting with its evidence line; one alert each goes out.
python3 "$SOC_SRC/bench/gen_pcap.py" "$T/repeat.pcap" 1 1 "$P/http-post-file/input.pcap" \
  "$P/smb-eicar-file/input.pcap" 2>"$T/repeat.log"
{
  head_yaml "$T/repeat"
  cat <<YAML
rules: { yara: ["$SOC_SRC/rules/yara/*.yar"] }
inputs:
  - { type: pcap, id: repeat, file: $T/repeat.pcap }
YAML
} >"$T/repeat.yaml"
run "$AGENT" -c "$T/repeat.yaml" --oneshot
expect_status 0
check_py "repeats of one object fold into one alert and one draft, every sighting counted" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
reps = int(open(sys.argv[2]).read().split()[1])
assert reps > 50, reps
alerts = db.execute("SELECT key, count, draft FROM alert ORDER BY key").fetchall()
assert len(alerts) == 2 and all(a[0].startswith("sha256:") and a[1] == reps for a in alerts), alerts
assert len({a[2] for a in alerts}) == 2, alerts
drafts = db.execute("SELECT id, key, count FROM draft").fetchall()
assert len(drafts) == 2 and all(d[2] == reps for d in drafts), drafts
for d in drafts:
    n = db.execute("SELECT count(*) FROM draft_evidence WHERE draft = ?", (d[0],)).fetchone()[0]
    assert n == reps, (d, n)
    lines = [r[0] for r in db.execute("SELECT line FROM draft_evidence WHERE draft = ?", (d[0],))]
    assert len({l.split(b" sha256=")[0] for l in lines}) == reps, lines[:3]  # each its own flow
assert db.execute("SELECT count(*) FROM outbox WHERE topic = \"alerts\"").fetchone()[0] == 2
c = dict(db.execute("SELECT name, value FROM counter WHERE input = \"repeat\""))
assert c["scan.drafts"] == 2 * reps and c["scan.matches"] == 2 * reps, c
assert db.execute("SELECT count(*) FROM object").fetchone()[0] == 2
' "$T/repeat/agent.db" "$T/repeat.log"

# No rules.yara: nothing scanned, nothing drafted, nothing kept.
run "$AGENT" -c "$T/norules.yaml" --oneshot
expect_status 0
check_py "without rules nothing is scanned" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/agent.db")
assert db.execute("SELECT count(*) FROM draft").fetchone()[0] == 0
assert not db.execute("SELECT count(*) FROM counter WHERE name LIKE \"scan.%\"").fetchone()[0]
assert not db.execute("SELECT count(*) FROM object").fetchone()[0]
' "$T/norules"

finish
