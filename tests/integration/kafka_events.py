#!/usr/bin/env python3
"""kcat -J on stdin, one line per event on stdout as '%p\\t%o\\t%k\\t%s'.

A message of joined events (docs/SECURITY.md: header sig.batch, the
events' JSON one a line, their keys in the header "keys" as LEN:KEY...)
becomes one line per event, with that event's key and the message's
partition and offset; any other message is one line as kcat prints it.
A joined message whose keys do not frame as many keys as it has events
is printed as it is, for the checker to refuse.
"""
import json
import sys


def keys_of(text):
    keys, i = [], 0
    while i < len(text):
        colon = text.index(b":", i)
        n = int(text[i:colon])
        keys.append(text[colon + 1:colon + 1 + n])
        i = colon + 1 + n
    return keys


def enc(v):
    return v.encode("utf-8", "surrogateescape") if v is not None else b""


def main():
    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        m = json.loads(raw.decode("utf-8", "surrogateescape"))
        h = m.get("headers") or []
        hdrs = dict(zip(h[0::2], h[1::2]))
        p, o, key, payload = m["partition"], m["offset"], enc(m.get("key")), enc(m.get("payload"))
        events = [(key, payload)]
        if "sig.batch" in hdrs:
            lines = payload.split(b"\n")
            try:
                keys = keys_of(enc(hdrs.get("keys")))
            except ValueError:
                keys = []
            if len(keys) == len(lines):
                events = list(zip(keys, lines))
        for k, v in events:
            out.write(b"%d\t%d\t%s\t%s\n" % (p, o, k, v))


if __name__ == "__main__":
    main()
