#!/usr/bin/env python3
"""Writes numbered entries into the journal through journald's native
socket ("seq=N" in MESSAGE), at a steady rate, and appends each N to the
record file once journald has accepted the datagram. check_journal.py then
compares the agent's journal with the record.

  journalwriter.py RECORD --count N [--rate R] [--start S] [--identifier ID]
"""
import argparse
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("record")
p.add_argument("--count", type=int, required=True)
p.add_argument("--rate", type=float, default=2000.0)
p.add_argument("--start", type=int, default=0)
p.add_argument("--identifier", default="jwriter")
a = p.parse_args()

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect("/run/systemd/journal/socket")
t0 = time.monotonic()
with open(a.record, "a") as rec:
    for i in range(a.start, a.start + a.count):
        msg = "MESSAGE=seq=%d\nSYSLOG_IDENTIFIER=%s\nPRIORITY=6\n" % (i, a.identifier)
        s.send(msg.encode())
        rec.write("%d\n" % i)
        due = t0 + (i - a.start + 1) / a.rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
