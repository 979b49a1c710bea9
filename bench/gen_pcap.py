#!/usr/bin/env python3
"""A large capture for bench/pcap.sh, made from the small real ones.

    gen_pcap.py OUT.pcap MEGABYTES EVERY PCAP...

Writes an Ethernet pcap of at least MEGABYTES MiB: the given captures one
after another, again and again. Each repetition is its own set of flows
(the IPv4 addresses' middle octets, or an IPv6 address byte, carry the
repetition number in both directions, so a conversation stays one; checksums are left as they were: neither
socagent nor tcpdump -w checks them, as Suricata's tests run with -k none)
and its
own stretch of time (each capture's packets are moved to follow the last
one's, so flows end by their timeouts as in a long live capture).
Captures whose file name contains "eicar" or "post-file" (the ones that hold
the EICAR test file) go in only every EVERY-th repetition, so a run drafts a
handful of findings, not thousands. Captures of other link types (BSD loopback,
Linux cooked, raw IP) are given an Ethernet header.
"""
import struct
import sys

ETH_IP4, ETH_IP6 = b"\x08\x00", b"\x86\xdd"
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"


def read(path):
    d = open(path, "rb").read()
    end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = d[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(end + "I", d[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(d):
        sec, frac, incl, _ = struct.unpack(end + "IIII", d[off:off + 16])
        pkt = d[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        eth = to_ethernet(link, pkt)
        if eth:
            out.append((ts, eth))
    return out


def to_ethernet(link, p):
    if link == 1:
        return p
    if link == 0 and len(p) > 4:  # BSD loopback: family in host order
        fam = struct.unpack("<I", p[:4])[0] if p[1:4] == b"\0\0\0" else struct.unpack(">I", p[:4])[0]
        return MAC + (ETH_IP4 if fam == 2 else ETH_IP6) + p[4:]
    if link == 113 and len(p) > 16:  # Linux cooked: protocol at 14
        return MAC + p[14:16] + p[16:]
    if link == 101 and p:  # raw IP
        return MAC + (ETH_IP4 if p[0] >> 4 == 4 else ETH_IP6) + p
    return None


def relabel(eth, rep):
    """The packet with the repetition number in its addresses."""
    off = 12
    while eth[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    et, ip = eth[off:off + 2], off + 2
    hi, lo = (rep >> 8) & 0xFF, rep & 0xFF
    b = bytearray(eth)
    if et == ETH_IP4 and len(b) >= ip + 20:
        for a in (ip + 12, ip + 16):  # x.HI.LO.y, both addresses
            b[a + 1] ^= hi
            b[a + 2] ^= lo
    elif et == ETH_IP6 and len(b) >= ip + 40:
        for a in (ip + 8, ip + 24):
            b[a + 4] ^= hi
            b[a + 5] ^= lo
    return bytes(b)


def main():
    out, mb, every, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    caps = [(p, read(p)) for p in paths]
    want = mb * 1024 * 1024
    written, rep, t = 24, 0, 1700000000 * 1000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while written < want:
            for path, pkts in caps:
                special = "eicar" in path or "post-file" in path
                if not pkts or (special and rep % every):
                    continue
                first = pkts[0][0]
                for ts, eth in pkts:
                    p = relabel(eth, rep)
                    at = t + max(0, ts - first)
                    f.write(struct.pack("<IIII", at // 1000000, at % 1000000, len(p), len(p)))
                    f.write(p)
                    written += 16 + len(p)
                t = at + 1000000
            rep += 1
    print("repetitions", rep, "bytes", written, file=sys.stderr)


if __name__ == "__main__":
    main()
