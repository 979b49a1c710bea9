#!/usr/bin/env python3
"""What someone who can write to the events topic can do with one of an
agent's messages of joined events (docs/SECURITY.md), each sent with kcat.

  joined_attacks.py BOOTSTRAP SOCSIGN MALKEY < an agent's messages as kcat -J prints them

The first message is the one changed; an event is appended to the first
one with fewer events than it (a 1025th is refused by the bound alone). The
messages' events are taken apart here with the wire form as
docs/SECURITY.md states it (leaves, tree, proofs recomputed in Python, an
implementation apart from lib/base/sign.c). Prints one line per message
sent: its name and what the collector must make of it.
"""
import base64
import hashlib
import json
import subprocess
import sys

from kafka_events import keys_of  # the same directory: the framing read once

bootstrap, socsign, malkey = sys.argv[1:4]
msgs = [json.loads(line) for line in sys.stdin if line.strip()]
m = msgs[0]
TOPIC = m["topic"]


def headers(m):
    h = m["headers"]
    return dict(zip(h[0::2], h[1::2]))


hdrs = headers(m)
packed = hdrs["sig.batch"]
events = m["payload"].encode().split(b"\n")


def keys_text(keys):
    return b"".join(b"%d:%s" % (len(k), k) for k in keys)


keys = keys_of(hdrs["keys"].encode())
assert len(keys) == len(events) > 3, (len(keys), len(events))
assert keys_text(keys) == hdrs["keys"].encode()


def n8(b):
    return len(b).to_bytes(8, "big") + b


def leaf(key, payload):
    return hashlib.sha256(b"socagent message leaf v1\0" + n8(TOPIC.encode()) + n8(key) +
                          n8(payload)).digest()


def proof(i):
    level = [leaf(k, e) for k, e in zip(keys, events)]
    width, depth = 1, 0
    while width < len(level):
        width, depth = width * 2, depth + 1
    level += [bytes(32)] * (width - len(level))
    sibs, idx = b"", i
    while len(level) > 1:
        sibs += level[idx ^ 1]
        level = [hashlib.sha256(b"\1" + level[j] + level[j + 1]).digest()
                 for j in range(0, len(level), 2)]
        idx //= 2
    return "%d:%d:%s" % (i, depth, base64.b64encode(sibs).decode())


def send(name, want, key, payload, headers):
    args = ["kcat", "-P", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-K", "\t", "-D", "\x1e"]
    for k, v in headers:
        args += ["-H", "%s=%s" % (k, v)]
    subprocess.run(args, input=key + b"\t" + payload + b"\x1e", check=True,
                   stderr=subprocess.DEVNULL)
    print(name, want)


def joined(evs, ks, extra=(), sig=packed, agent="victim"):
    return [("agent.id", agent), ("schema.version", "1"), ("sig.batch", sig),
            ("keys", keys_text(ks).decode())] + list(extra)


def forged_id(e, digit):
    d = json.loads(e)
    d["event"]["id"] = d["event"]["id"][:-1] + digit
    d["message"] = "forged"
    return json.dumps(d, separators=(",", ":")).encode()


key_text, root_sig = packed.split(".")
ident = [("agent.id", "victim"), ("schema.version", "1")]
k0, e0 = keys[0], events[0]
# --- one event of it alone, with the proof Python computed: the packed form of
# today's agent, then the three headers of an older one
p0 = proof(0)
single = ident + [("sig", "%s.%s.%s" % (key_text, root_sig, p0))]
send("single-changed", "bad_signature", k0,
     e0.replace(b'"message":"', b'"message":"forged in a batch ', 1), single)
old = ident + [("agent.key", key_text), ("sig.root", root_sig), ("sig.proof", p0)]
send("single-old-form", "duplicate", k0, e0, old)
send("single-old-form-changed", "bad_signature", k0,
     e0.replace(b'"message":"', b'"message":"forged, old form ', 1), old)
send("single-both-forms", "bad_signature", k0, e0, single + [("sig.proof", p0)])
# --- the joined message, changed
ak = m["key"].encode()
one_byte = list(events)
i = one_byte[3].index(b'"id":"') + 6 + 31  # the event.id's last hex digit
one_byte[3] = one_byte[3][:i] + (b"0" if one_byte[3][i:i + 1] != b"0" else b"1") + one_byte[3][i + 1:]
send("one-byte", "bad_signature", ak, b"\n".join(one_byte), joined(one_byte, keys))
swapped = list(events)
swapped[1], swapped[2] = swapped[2], swapped[1]
send("swapped", "bad_signature", ak, b"\n".join(swapped), joined(swapped, keys))
send("dropped", "bad_signature", ak, b"\n".join(events[:-1]), joined(events[:-1], keys[:-1]))
many = (events * (1025 // len(events) + 1))[:1025]
many_keys = (keys * (1025 // len(keys) + 1))[:1025]
send("1025-events", "bad_batch", ak, b"\n".join(many), joined(many, many_keys))
short = [x for x in msgs if "sig.batch" in headers(x) and
         x["payload"].count("\n") < len(events) - 1][0]
short_events = short["payload"].encode().split(b"\n") + [forged_id(e0, "f")]
short_keys = keys_of(headers(short)["keys"].encode()) + [k0]
send("appended", "bad_signature", ak, b"\n".join(short_events),
     joined(short_events, short_keys, sig=headers(short)["sig.batch"]))
send("keys-changed", "bad_signature", ak, b"\n".join(events),
     joined(events, [b"other"] + keys[1:]))
send("replayed", "duplicates", ak, b"\n".join(events), joined(events, keys))
# --- signed by mallory: in the victim's name, and in her own with the victim's events
squat = events[:3] + [forged_id(e0, "e")]
squat_keys = keys[:4]
mal_sig = subprocess.run([socsign, malkey, "--batch", TOPIC, keys_text(squat_keys).decode()],
                         input=b"\n".join(squat), capture_output=True, check=True).stdout
send("squatting", "bad_signature", ak, b"\n".join(squat),
     joined(squat, squat_keys, sig=mal_sig.decode().strip()))
send("mal-with-victim-events", "agent_mismatch", b"mal", b"\n".join(squat),
     joined(squat, squat_keys, sig=mal_sig.decode().strip(), agent="mal"))
# --- not framed as the wire form says
send("mixed-forms", "bad_batch", ak, b"\n".join(events),
     joined(events, keys, extra=[("sig", "%s.%s.%s" % (key_text, root_sig, p0))]))
send("fewer-keys", "bad_batch", ak, b"\n".join(events), joined(events, keys[:-1]))
send("empty-event", "bad_batch", ak, b"\n".join(events[:-1]) + b"\n",
     joined(events[:-1] + [b""], keys[:-1] + [b""]))
