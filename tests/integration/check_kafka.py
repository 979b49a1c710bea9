#!/usr/bin/env python3
"""Checks what reached Kafka against a writer's record. Reads kcat output
in the form '%p\\t%o\\t%k\\t%s\\n' (partition, offset, key, JSON) on stdin.

  kcat ... -f '%p\\t%o\\t%k\\t%s\\n' | check_kafka.py RECORD [--ordered]

Every recorded seq must be there at least once; every copy of one line
must carry the same event.id; every message must be JSON with the ECS
fields the forwarder promises, keyed by its host.name. With --ordered,
there must be no duplicates and each host's lines must come in the order
they were written. Exits 1 on any failure, after a summary line.
"""
import json
import re
import sys
from collections import defaultdict

record = [int(l) for l in open(sys.argv[1]) if l.strip()]
ordered = "--ordered" in sys.argv
ids = defaultdict(set)
by_part = defaultdict(list)
bad = []
for raw in sys.stdin.buffer:
    parts = raw.rstrip(b"\n").split(b"\t", 3)
    if len(parts) != 4:
        bad.append("not 4 fields: %r" % raw[:80])
        continue
    p, o, key, payload = int(parts[0]), int(parts[1]), parts[2].decode(), parts[3]
    try:
        ev = json.loads(payload)
    except ValueError as e:
        bad.append("not JSON at %d/%d: %s" % (p, o, e))
        continue
    for field in ("@timestamp", "message"):
        if field not in ev:
            bad.append("no %s at %d/%d" % (field, p, o))
    eid = ev.get("event", {}).get("id")
    host = ev.get("host", {}).get("name")
    if not eid or ev.get("agent", {}).get("type") != "socagent":
        bad.append("no event.id / agent at %d/%d" % (p, o))
    if key != host:
        bad.append("key %r is not host.name %r" % (key, host))
    m = re.search(r"seq=(\d+)", ev.get("message", ""))
    if not m:
        continue
    seq = int(m.group(1))
    ids[seq].add(eid)
    by_part[p].append((o, host, seq))

missing = [s for s in record if s not in ids]
dup_ids = [s for s, v in ids.items() if len(v) > 1]
copies = sum(1 for p in by_part.values() for _ in p)
out_of_order = 0
if ordered:
    for p, msgs in by_part.items():
        last = {}
        for o, host, seq in sorted(msgs):
            if seq <= last.get(host, 0):
                out_of_order += 1
            last[host] = seq
dups = copies - len(ids)
print("written=%d delivered=%d distinct=%d missing=%d duplicates=%d ids_differ=%d "
      "out_of_order=%d bad=%d" % (len(record), copies, len(ids), len(missing), dups,
                                  len(dup_ids), out_of_order, len(bad)))
for b in bad[:5]:
    print("  " + b)
if missing:
    print("  first missing:", missing[:10])
fail = missing or dup_ids or bad or out_of_order or (ordered and dups)
sys.exit(1 if fail else 0)
