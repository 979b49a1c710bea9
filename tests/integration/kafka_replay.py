#!/usr/bin/env python3
"""Produces again, with kcat, the messages kcat -J printed (stdin): each to
its topic, with its key, headers and payload as they were; a payload of
events joined one a line stays one message.

  kcat -C ... -J | kafka_replay.py BOOTSTRAP
"""
import json
import subprocess
import sys

for line in sys.stdin:
    if not line.strip():
        continue
    m = json.loads(line)
    h = m.get("headers") or []
    args = ["kcat", "-P", "-b", sys.argv[1], "-t", m["topic"], "-K", "\t", "-D", "\x1e"]
    for k, v in zip(h[0::2], h[1::2]):
        args += ["-H", "%s=%s" % (k, v)]
    body = (m.get("key") or "").encode() + b"\t" + (m.get("payload") or "").encode() + b"\x1e"
    subprocess.run(args, input=body, check=True, stderr=subprocess.DEVNULL)
