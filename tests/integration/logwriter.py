#!/usr/bin/env python3
"""A log writer for the ingestion tests: appends numbered syslog lines to
DIR/app.log and rotates it the way logrotate does, recording every line it
wrote in RECORD (one seq per line) so a test can check that the agent's
journal holds each of them exactly once.

  logwriter.py DIR RECORD --lines N --rotate-every K --mode rename|copytruncate|mixed
               [--rate LINES_PER_SEC] [--long-every M]
"""
import argparse
import os
import shutil
import time

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("record")
p.add_argument("--lines", type=int, default=10000)
p.add_argument("--rotate-every", type=int, default=1000)
p.add_argument("--mode", default="rename", choices=["rename", "copytruncate", "mixed"])
p.add_argument("--rate", type=float, default=0, help="lines per second; 0: as fast as possible")
p.add_argument("--long-every", type=int, default=0, help="every M-th line is 3000 bytes long")
p.add_argument("--hosts", type=int, default=1, help="host names web01..webNN, round robin")
a = p.parse_args()

path = os.path.join(a.dir, "app.log")
rotations = 0
f = open(path, "ab", buffering=0)
rec = open(a.record, "w")
start = time.monotonic()
for seq in range(1, a.lines + 1):
    pad = "x" * 3000 if a.long_every and seq % a.long_every == 0 else "payload"
    line = "Nov 25 07:%02d:%02d web%02d writer[42]: seq=%08d %s\n" % (
        (seq // 60) % 60, seq % 60, 1 + seq % a.hosts, seq, pad)
    f.write(line.encode())
    rec.write("%d\n" % seq)
    if a.rate:
        ahead = seq / a.rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    if seq % a.rotate_every == 0 and seq < a.lines:
        rotations += 1
        mode = a.mode
        if mode == "mixed":
            mode = "rename" if rotations % 2 else "copytruncate"
        target = "%s.%d" % (path, rotations)
        if mode == "rename":
            f.close()
            os.rename(path, target)
            f = open(path, "ab", buffering=0)
        else:
            shutil.copyfile(path, target)
            f.truncate(0)
            f.seek(0)
rec.close()
f.close()
