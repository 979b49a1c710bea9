#!/usr/bin/env python3
"""Appends the lines of SRC to DST at RATE lines a second, a chunk every
50 ms, as a live log grows: a daemon tailing DST then commits the ingest's
journal blocks between the detector's transactions, as it does in service
(a file read whole is caught up with in few large transactions, as in
--oneshot). For measuring the daemon's cost per line at a given rate
(docs/BENCHMARKS.md, step 34).

  feed.py SRC DST RATE
"""
import sys
import time

src, dst, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(src, "rb") as f:
    lines = f.readlines()
per = max(1, int(rate * 0.05))
t0 = time.time()
with open(dst, "ab", buffering=0) as out:
    for i in range(0, len(lines), per):
        out.write(b"".join(lines[i : i + per]))
        wait = t0 + (i + per) / rate - time.time()
        if wait > 0:
            time.sleep(wait)
