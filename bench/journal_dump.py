#!/usr/bin/env python3
"""Prints an agent.db's journal block by block and line by line, to compare
what two builds took in from the same input (diff the outputs):

  bench/journal_dump.py STATE/agent.db [--recv] >dump

A block: its id, source, stream, first and last position, line count, raw
bytes and host index. A line: its position, time, flags, host, peer and
bytes. Receive times are clock readings, so they are left out unless --recv
is given; a line whose time is its receive time (no time of its own) shows
R instead. zstd blocks are decompressed with the zstd command, LZ4 blocks
(codec 2: a 4-byte little-endian decoded size, then one LZ4 block) by
lz4_block below. The counters follow at the end.
"""
import sqlite3
import subprocess
import sys


def varint(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return x, i


def lz4_length(b, i, n):
    if n == 15:
        while True:
            c = b[i]
            i += 1
            n += c
            if c != 255:
                break
    return n, i


def lz4_block(b):
    size = int.from_bytes(b[:4], "little")
    out, i = bytearray(), 4
    while i < len(b):
        token = b[i]
        i += 1
        n, i = lz4_length(b, i, token >> 4)
        out += b[i:i + n]
        i += n
        if i >= len(b):
            break
        off = b[i] | b[i + 1] << 8
        i += 2
        n, i = lz4_length(b, i, token & 15)
        for _ in range(n + 4):
            out.append(out[-off])
    assert len(out) == size, "LZ4 block: %d bytes, said %d" % (len(out), size)
    return bytes(out)


def unzigzag(v):
    return (v >> 1) ^ -(v & 1)


def main():
    db, recv = sys.argv[1], "--recv" in sys.argv[2:]
    con = sqlite3.connect(db)
    out = sys.stdout
    for row in con.execute(
            "select id, source, stream, first_pos, last_pos, first_ts, last_ts, lines, raw_bytes,"
            " codec, hosts, recv_last, data from journal_block order by id"):
        bid, src, stream, fpos, lpos, fts, lts, n, raw, codec, hosts, recv_last, data = row
        times = " %d %d %d" % (fts, lts, recv_last) if recv else ""
        out.write("B %s %s %s %s %s %s %s %s %r%s\n" % (bid, src, stream, fpos, lpos, n, raw, codec,
                                                        hosts, times))
        if codec == 2:
            plain = lz4_block(data)
        else:
            plain = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE,
                                   check=True).stdout
        # Each time is encoded against the lowest time of the lines before it
        # (the first line's at first); first_ts is the lowest of the block.
        i, low, lines = 0, 0, []
        for _ in range(n):
            dpos, i = varint(plain, i)
            dts, i = varint(plain, i)
            drecv, i = varint(plain, i)
            flags, i = varint(plain, i)
            fields = []
            for _ in range(3):
                length, i = varint(plain, i)
                fields.append(plain[i:i + length])
                i += length
            rel = low + unzigzag(dts)
            low = min(low, rel)
            lines.append((dpos, rel, drecv, flags, fields))
        assert i == len(plain), "block %s: bytes after its lines" % bid
        for dpos, rel, drecv, flags, (host, peer, text) in lines:
            ts = fts - low + rel
            shown = "R" if drecv == 0 and not recv else str(ts)
            extra = " %d" % (ts + unzigzag(drecv)) if recv else ""
            out.write("L %d %s %d %r %r %r%s\n" % (fpos + dpos, shown, flags, host, peer, text, extra))
    for r in con.execute("select input, name, value from counter order by 1, 2"):
        out.write("C %r\n" % (r,))


main()
