#!/usr/bin/env python3
"""Writes N realistic syslog lines (the loghub OpenSSH sample, cycled, with
timestamps that move forward) to a file, for the ingestion benchmarks.

  gen_lines.py OUT N
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "tests", "data", "logs", "OpenSSH_2k.log")
bodies = []
for line in open(src, encoding="utf-8", errors="replace"):
    # "Dec 10 06:55:46 LabSZ sshd[24200]: message" -> keep host, tag, message
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) == 4:
        bodies.append(parts[3])
out, n = sys.argv[1], int(sys.argv[2])
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        t = i // 50  # 50 lines per second
        f.write("%s %2d %02d:%02d:%02d %s\n" % (
            months[10], 1 + (t // 86400) % 28, (t // 3600) % 24, (t // 60) % 60, t % 60,
            bodies[i % len(bodies)]))
