#!/usr/bin/env python3
# Prints the detector's correlation state as the agent reads it back
# (soc_store_detect_state_scan): "rule|key|hex(state)" per live key, in
# (rule, key) order. The three forms are read older to newer, the newest
# record of a key winning: detect_state, detect_state_log (before agent.db
# migration 15) and the records packed in detect_state_pack (from 15 on;
# format in lib/store/store_detect.c; from 16 on a row may be a zstd frame
# of them, which the zstd command decodes). For comparing runs, as
# `select * from detect_state_now` did before the view went.
#
#   bench/state_dump.py STATE_DIR/agent.db
import sqlite3
import subprocess
import sys

db = sqlite3.connect(sys.argv[1])
tables = {r[0] for r in db.execute("select name from sqlite_schema where type = 'table'")}
last = {}
for t, q in (("detect_state", "select rule, key, state from detect_state"),
             ("detect_state_log", "select rule, key, state from detect_state_log order by seq")):
    if t in tables:
        for rule, key, state in db.execute(q):
            last[(rule.encode(), key.encode())] = bytes(state)
if "detect_state_pack" in tables:
    cols = {r[1] for r in db.execute("pragma table_info(detect_state_pack)")}
    q = "select body, %s from detect_state_pack order by seq" % ("codec" if "codec" in cols else "0")
    for body, codec in db.execute(q):
        if codec == 1:  # a zstd frame of the records (migration 16)
            body = subprocess.run(["zstd", "-dcq"], input=body, capture_output=True, check=True).stdout
        elif codec != 0:
            sys.exit("detect_state_pack: unknown codec %d" % codec)
        at = 0
        while at < len(body):
            rl, kl, sl = body[at], body[at + 1] << 8 | body[at + 2], body[at + 3] << 8 | body[at + 4]
            rule = body[at + 5:at + 5 + rl]
            key = body[at + 6 + rl:at + 6 + rl + kl]
            state = body[at + 7 + rl + kl:at + 7 + rl + kl + sl]
            last[(bytes(rule), bytes(key))] = bytes(state)
            at += 7 + rl + kl + sl
for (rule, key), state in sorted(last.items()):
    if state:
        print("%s|%s|%s" % (rule.decode(), key.decode(), state.hex()))
