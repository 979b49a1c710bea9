#!/usr/bin/env python3
"""Compares the agent's journal export (stdin) with a writer's record:
every recorded seq must appear exactly once. Prints a summary line and
exits 1 on any loss or duplicate.

  socctl journal export | check_journal.py RECORD [--allow-extra]
"""
import re
import sys
from collections import Counter

record = [int(l) for l in open(sys.argv[1]) if l.strip()]
seen = Counter()
other = 0
for line in sys.stdin.buffer:
    m = re.search(rb"seq=(\d+)", line)
    if m:
        seen[int(m.group(1))] += 1
    else:
        other += 1
missing = [s for s in record if seen[s] == 0]
dups = {s: n for s, n in seen.items() if n > 1}
extra = [s for s in seen if s not in set(record)]
print("written=%d journal=%d missing=%d duplicated=%d unexpected=%d other_lines=%d" % (
    len(record), sum(seen.values()), len(missing), len(dups), len(extra), other))
if missing:
    print("first missing:", missing[:10])
if dups:
    print("first duplicated:", sorted(dups.items())[:10])
sys.exit(1 if missing or dups or extra else 0)
