#!/usr/bin/env python3
"""Senders and checks for tests/integration/syslog_net.sh.

Every test message carries a marker the checks look for ("m=NAME" or
"s=SENDER n=NUMBER"), so "arrived exactly once" is a count over the
journal's dump. TCP senders end with shutdown(SHUT_WR) and wait for the
agent to close: the agent closes only after it has handed every byte of
the connection to its journal, so when a sender returns, its messages
are in the agent's memory and the SIGTERM commit will keep them.
"""
import random
import re
import socket
import sys
import threading
import time

RFC3164 = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
RFC5424 = (b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
           b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
           b'[examplePriority@32473 class="high"] An application event log entry')


def free_ports(n):
    """n port numbers free for both UDP and TCP on 127.0.0.1 and ::1."""
    ports, keep = [], []
    while len(ports) < n:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        try:
            for fam, typ, host in ((socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
                                   (socket.AF_INET6, socket.SOCK_STREAM, "::1"),
                                   (socket.AF_INET6, socket.SOCK_DGRAM, "::1")):
                s = socket.socket(fam, typ)
                s.bind((host, p))
                keep.append(s)
        except OSError:
            continue
        keep.append(t)
        ports.append(p)
    for s in keep:
        s.close()
    return ports


def tcp_connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(60)
    s.connect((host, port))
    return s


def tcp_finish(s):
    """Half-closes and waits for the agent to close: all was handed over."""
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()


def send_chunked(s, data, rnd):
    """Sends in random pieces, so frames straddle reads."""
    i = 0
    while i < len(data):
        n = rnd.choice((1, 7, 100, 1500, 9000, 70000))
        s.sendall(data[i:i + n])
        i += n


def octet(msg):
    return str(len(msg)).encode() + b" " + msg


def bulk_message(sender, n):
    return RFC5424.replace(b"An application", b"s=%d n=%d An application" % (sender, n))


def cmd_wait_tcp(host, port):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            tcp_finish(tcp_connect(host, int(port)))
            return 0
        except OSError:
            time.sleep(0.05)
    return 1


def cmd_udp(host, port):
    """The UDP cases: one datagram each, paced so loopback does not drop."""
    port = int(port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dgrams = [
        RFC3164 + b" m=udp-3164",
        RFC5424 + b" m=udp-5424\n",
        b"this is not syslog at all m=udp-raw\r\n",
        b"\x00\xff\xfe junk \x01\x02\x00 m=udp-junk\x00",
        b"<13>Oct 11 22:14:15 host app: m=udp-long " + b"L" * 3000,
    ]
    dgrams += [b"<13>Oct 11 22:14:15 host app: s=100 n=%d" % n for n in range(200)]
    for d in dgrams:
        s.sendto(d, (host, port))
        time.sleep(0.0005)
    return 0


def cmd_udp_flood(host, port, count, size):
    """count datagrams of size bytes as fast as we can (sender 300), then,
    once the agent has had time to catch up, end markers: the last one it
    receives carries the kernel's final drop count."""
    port, count, size = int(port), int(count), int(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    for n in range(count):
        head = b"<13>Oct 11 22:14:15 host app: s=300 n=%d " % n
        s.sendto(head + b"f" * (size - len(head)), (host, port))
    for _ in range(3):
        time.sleep(0.5)
        s.sendto(b"<13>Oct 11 22:14:15 host app: m=flood-end", (host, port))
    return 0


def cmd_tcp_bulk(host, port, senders, count, base="0", pad="0"):
    """senders connections at once, count messages each, sender ids from
    base: even senders frame by newline, odd ones by octet counting, and
    the fourth switches framing every message (detection is per message).
    pad adds that many bytes to each message."""
    port, senders, count, base, pad = int(port), int(senders), int(count), int(base), int(pad)
    errors = []

    def run(k):
        sender = base + k
        try:
            rnd = random.Random(sender)
            parts = []
            for n in range(count):
                msg = bulk_message(sender, n) + (b" " + b"p" * pad if pad else b"")
                counted = k % 2 == 1 and not (k == 3 and n % 2 == 0)
                if counted:
                    parts.append(octet(msg))
                else:
                    parts.append(msg + (b"\r\n" if n % 3 == 0 else b"\n"))
            s = tcp_connect(host, port)
            send_chunked(s, b"".join(parts), rnd)
            tcp_finish(s)
        except Exception as e:  # reported below
            errors.append("sender %d: %r" % (sender, e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


def cmd_tcp_cases(host, port):
    """One connection per case, so each case's framing state is its own."""
    port = int(port)
    hdr = b"<13>Oct 11 22:14:15 host app: "
    cases = [
        # a raw line, no syslog header
        b"plain text, not syslog m=tcp-raw\n",
        # NUL as a terminator, binary bytes kept
        b"junk\x01\x02\xff m=tcp-nul-a\x00m=tcp-nul-b\x00\x00\n" + hdr + b"m=tcp-after-nul\n",
        # over-long (max_message_bytes 1024): cut, flagged, rest skipped
        hdr + b"m=tcp-long " + b"A" * 3000 + b" m=tcp-long-tail\n" + hdr + b"m=tcp-after-long\n",
        # the same, octet-counted within the limit, then newline
        octet(hdr + b"m=tcp-octet-crlf\r\n") + hdr + b"m=tcp-after-octet\n",
        # a count that can not be right: framing error, newline from then on
        b"99999999 " + hdr + b"m=tcp-badcount\n" + octet(hdr + b"m=tcp-after-badcount") + b"\n",
        b"007 " + hdr + b"m=tcp-leadingzero\n",
        # closes in the middle of a message
        hdr + b"m=tcp-partial",
        b"200 " + hdr + b"m=tcp-partial-octet",
    ]
    for data in cases:
        s = tcp_connect(host, port)
        send_chunked(s, data, random.Random(len(data)))
        tcp_finish(s)
    return 0


def cmd_tcp_refuse(host, port, keep):
    """Holds keep connections open, checks that one more is closed at
    once, sends a message on each held one, and closes them."""
    port, keep = int(port), int(keep)
    held = [tcp_connect(host, port) for _ in range(keep)]
    time.sleep(0.3)  # the agent accepts the held ones first
    extra = tcp_connect(host, port)
    extra.settimeout(10)
    try:
        closed = extra.recv(1) == b""
    except ConnectionResetError:
        closed = True
    extra.close()
    for i, s in enumerate(held):
        s.sendall(RFC3164 + b" m=v6-%d\n" % i)
        tcp_finish(s)
    if not closed:
        print("the connection over max_connections was not closed", file=sys.stderr)
        return 1
    return 0


def corpus():
    """Malformed messages that a parser might choke on."""
    c = [
        b"",
        b"\x00\x00\x00",
        b"<",
        b"<>",
        b"<34",
        b"<34>",
        b"<999999999999999999999>1 - - - - - - x",
        b"<-1>Oct 11 22:14:15 h t: x",
        b"<34>1",
        b"<34>1 ",
        b"<34>1 2003-13-45T99:99:99Z h a p m - x",
        b"<34>1 2003-10-11T22:14:15.0000000000000000001+99:99 h a p m - x",
        b"<34>1 - - - - - [",
        b"<34>1 - - - - - [" + b"[" * 5000,
        b'<34>1 - - - - - [a b="\\',
        b'<34>1 - - - - - [a b="' + b"\\]" * 2000,
        b'<34>1 - - - - - [a@1 ' + b'x="y" ' * 3000 + b"]",
        b"<34>1 " + b"H" * 5000 + b" a p m - x",
        b"<34>Feb 30 25:61:61 h t: x",
        b"<34>Oct 11 22:14:15",
        b"<34>Oct 11 22:14:15 ",
        b"<34>Oct 11 22:14:15 " + b"h" * 5000,
        b"<34>Oct 11 22:14:15 h " + b"t" * 5000 + b"[",
        b"<34>Oct 11 22:14:15 h t[" + b"9" * 100 + b"]: x",
        b"<34>2024-02-30T25:00:00+08:00 h t: x",
        b"\xc3\x28\xa0\xa1\xf0\x28\x8c\x28 invalid utf-8",
        b"\xef\xbb\xbf<34>1 - - - - - BOM",
        b"\x1b[31mansi\x1b[0m",
        b"\r\r\r",
        b"\t \t",
    ]
    rnd = random.Random(42)
    for _ in range(200):
        n = rnd.choice((1, 5, 50, 500, 3000))
        c.append(bytes(rnd.getrandbits(8) for _ in range(n)))
    return c


def cmd_corpus_udp(host, port):
    port = int(port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, bad in enumerate(corpus()):
        s.sendto(bad, (host, port))
        s.sendto(b"<13>Oct 11 22:14:15 host app: s=200 n=%d" % i, (host, port))
        time.sleep(0.0005)
    return 0


def cmd_corpus_tcp(host, port):
    """Each malformed message as a newline-framed line that starts with no
    digit (so it can not be read as a count) between good lines; then the
    whole corpus, raw, on a connection of its own."""
    port = int(port)
    parts = []
    for i, bad in enumerate(corpus()):
        bad = bad.replace(b"\n", b" ").replace(b"\x00", b" ")
        parts.append(b"x" + bad + b"\n")
        parts.append(b"<13>Oct 11 22:14:15 host app: s=201 n=%d\n" % i)
    s = tcp_connect(host, port)
    send_chunked(s, b"".join(parts), random.Random(7))
    tcp_finish(s)
    s = tcp_connect(host, port)
    send_chunked(s, b"".join(corpus()), random.Random(8))
    tcp_finish(s)
    return 0


def unescape(data):
    """The bytes journal_dump escaped as \\xHH."""
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def cmd_count(dump, source, sender):
    """How many distinct messages of sender reached source."""
    pat = re.compile(rb"s=" + sender.encode() + rb" n=(\d+)(?!\d)")
    seen = set()
    with open(dump, "rb") as f:
        for line in f:
            fields = line.rstrip(b"\n").split(b"\t", 5)
            m = pat.search(fields[5])
            if fields[0].decode() == source and m:
                seen.add(int(m.group(1)))
    print(len(seen))
    return 0


def cmd_sum_bytes(dump, source):
    """The bytes of SOURCE's lines in the dump: what its counter must say."""
    total = 0
    with open(dump, "rb") as f:
        for line in f:
            fields = line.rstrip(b"\n").split(b"\t", 5)
            if fields[0].decode() == source:
                total += len(unescape(fields[5]))
    print(total)
    return 0


def cmd_check(dump, spec):
    """spec: lines "SOURCE KIND ARG EXPECT": KIND marker: the message with
    m=ARG appears EXPECT times; KIND seq: sender ARG's n=0..EXPECT-1 each
    appear exactly once and nothing else. Prints a line per failure."""
    rows = []
    with open(dump, "rb") as f:
        for line in f:
            src, pos, flags, peer, host, data = line.rstrip(b"\n").split(b"\t", 5)
            rows.append((src.decode(), int(pos), flags.decode(), peer.decode(),
                         host.decode(), data))
    fails = 0
    for want in open(spec):
        want = want.split()
        if not want or want[0].startswith("#"):
            continue
        src, kind, arg = want[0], want[1], want[2]
        mine = [r for r in rows if r[0] == src]
        if kind == "marker":
            # m=NAME ends at a non-name byte
            pat = re.compile(rb"m=" + re.escape(arg.encode()) + rb"(?![\w-])")
            hits = [r for r in mine if pat.search(r[5])]
            expect = int(want[3])
            if len(hits) != expect:
                print("FAIL: %s: m=%s seen %d time(s), expected %d" % (src, arg, len(hits), expect))
                fails += 1
            for opt in want[4:]:
                key, _, val = opt.partition("=")
                for r in hits:
                    got = {"flags": r[2], "peer": r[3], "host": r[4]}.get(key)
                    if key == "peerlike":
                        ok = r[3].startswith(val)
                    elif key == "len":
                        ok = len(unescape(r[5])) == int(val)
                    elif key == "data":  # \xHH in the spec for spaces and the like
                        ok = unescape(r[5]) == unescape(val.encode())
                    else:
                        ok = got == val
                    if not ok:
                        print("FAIL: %s: m=%s: %s: got %r (flags %s peer %s host %s)" %
                              (src, arg, opt, r[5][:120], r[2], r[3], r[4]))
                        fails += 1
        elif kind == "seq":
            pat = re.compile(rb"s=" + arg.encode() + rb" n=(\d+)(?!\d)")
            seen = {}
            for r in mine:
                m = pat.search(r[5])
                if m:
                    seen[int(m.group(1))] = seen.get(int(m.group(1)), 0) + 1
            expect = int(want[3])
            if len(want) > 4 and want[4] == "lossy":
                # UDP under pressure: no doubles, nothing invented, and
                # the count that arrived is printed for the caller
                doubled = [n for n, c in seen.items() if c > 1]
                extra = [n for n in seen if n >= expect]
                if doubled or extra:
                    print("FAIL: %s: sender %s: %d doubled, %d extra" %
                          (src, arg, len(doubled), len(extra)))
                    fails += 1
                continue
            missing = [n for n in range(expect) if n not in seen]
            doubled = [n for n, c in seen.items() if c > 1]
            extra = [n for n in seen if n >= expect]
            if missing or doubled or extra:
                print("FAIL: %s: sender %s: %d missing (%s), %d doubled (%s), %d extra" %
                      (src, arg, len(missing), missing[:10], len(doubled), doubled[:10], len(extra)))
                fails += 1
        elif kind == "positions":
            # positions of SOURCE are unique and run from ARG without gaps
            pos = sorted(r[1] for r in mine)
            want_pos = list(range(int(arg), int(arg) + len(pos)))
            if pos != want_pos:
                print("FAIL: %s: positions are not %s..: first %s last %s, %d lines, %d unique" %
                      (src, arg, pos[:1], pos[-1:], len(pos), len(set(pos))))
                fails += 1
        elif kind == "lines":
            if len(mine) != int(arg):
                print("FAIL: %s: %d lines, expected %s" % (src, len(mine), arg))
                fails += 1
        elif kind == "peers":
            # every line's sender looks like ARG (a prefix)
            bad = [r for r in mine if not r[3].startswith(arg)]
            if bad:
                print("FAIL: %s: %d line(s) with peer not %s..., e.g. %s" %
                      (src, len(bad), arg, bad[0][3]))
                fails += 1
    return 1 if fails else 0


def main():
    cmds = {n[4:].replace("_", "-"): f for n, f in globals().items() if n.startswith("cmd_")}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print("usage: syslog_send.py {%s} ARGS..." % ",".join(sorted(cmds)), file=sys.stderr)
        return 2
    return cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "ports":
        print(" ".join(str(p) for p in free_ports(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(main())
