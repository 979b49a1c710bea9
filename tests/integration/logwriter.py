#!/usr/bin/env python3
"""A log writer for the ingestion tests: appends numbered syslog lines to
DIR/app.log and rotates it the way logrotate does, recording every line it
wrote in RECORD (one seq per line) so a test can check that the agent's
journal holds each of them exactly once.

  logwriter.py DIR RECORD --lines N --rotate-every K --mode rename|copytruncate|mixed
               [--rate LINES_PER_SEC] [--long-every M] [--known-by AGENT_DB]

With --known-by, a file is renamed away only once the agent's store has a
stream for it: a file renamed to a name the glob does not match is only
promised to a reader that knew it (found again by inode after a restart),
and on a loaded machine a killed agent may not have started at all within
one rotation. The writer waits on that condition, not on a guess of speed.
"""
import argparse
import os
import shutil
import sqlite3
import sys
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
p.add_argument("--known-by", help="the agent's agent.db: rename a file only once it has its stream")
a = p.parse_args()


def known(db, ino):
    """Whether the agent's store has a stream for inode ino (False while it cannot be read)."""
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        try:
            return c.execute("select 1 from file_stream where ino = ?", (ino,)).fetchone() is not None
        finally:
            c.close()
    except sqlite3.Error:
        return False


def wait_known(path):
    ino, deadline = os.stat(path).st_ino, time.monotonic() + 300
    while not known(a.known_by, ino):
        if time.monotonic() > deadline:
            sys.exit("logwriter: the agent did not take in %s (inode %d) in 300 s" % (path, ino))
        time.sleep(0.02)

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
            if a.known_by:
                wait_known(path)
            f.close()
            os.rename(path, target)
            f = open(path, "ab", buffering=0)
        else:
            shutil.copyfile(path, target)
            f.truncate(0)
            f.seek(0)
rec.close()
f.close()
