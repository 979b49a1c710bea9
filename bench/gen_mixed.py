#!/usr/bin/env python3
"""Writes N mixed syslog lines with attackers in them, for the detection
benchmarks (bench/forward.sh ... mixed): sshd (the loghub OpenSSH sample, with
its password guessers), nginx access lines (1 in 50 an SQL injection, XSS or
path traversal from a handful of addresses), iptables drops (1 in 10 a SYN
to a random port from a random address: a port scan that fills the
correlation state), cron and sudo. Timestamps move forward 50 lines a
second. Deterministic (a fixed seed).

  gen_mixed.py OUT N
"""
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "tests", "data", "logs", "OpenSSH_2k.log")
ssh = []
for line in open(src, encoding="utf-8", errors="replace"):
    parts = line.rstrip("\n").split(" ", 4)  # month day time host rest
    if len(parts) == 5:
        ssh.append(parts[4])
rnd = random.Random(20)
attacks = ["/item.php?id=1%20UNION%20SELECT%20null,version()--", "/search?q=<script>alert(1)</script>",
           "/download?f=../../../../etc/passwd", "/login?u=admin'%20or%20'1'='1"]
pages = ["/", "/index.html", "/news/2026/11/", "/static/app.js", "/static/site.css", "/api/v1/items?page=2",
         "/img/logo.png", "/contact"]
out, n = sys.argv[1], int(sys.argv[2])
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        t = i // 50
        ts = "Nov %2d %02d:%02d:%02d" % (1 + (t // 86400) % 28, (t // 3600) % 24, (t // 60) % 60, t % 60)
        k = i % 20
        if k < 6:
            body = "LabSZ " + ssh[i % len(ssh)]
        elif k < 12:
            if rnd.random() < 0.02:
                ip, url, st = "203.0.113.%d" % rnd.randint(1, 8), rnd.choice(attacks), 404
            else:
                ip, url, st = "10.1.%d.%d" % (rnd.randint(0, 9), rnd.randint(1, 254)), rnd.choice(pages), 200
            body = ('web1 nginx: %s - - [01/Nov/2026:%02d:%02d:%02d +0800] "GET %s HTTP/1.1" %d %d "-" '
                    '"Mozilla/5.0 (X11; Linux x86_64)"' % (ip, (t // 3600) % 24, (t // 60) % 60, t % 60, url,
                                                           st, rnd.randint(200, 40000)))
        elif k < 17:
            if rnd.random() < 0.1:
                src_ip = "198.51.%d.%d" % (rnd.randint(0, 255), rnd.randint(1, 254))
                dpt, flags = rnd.randint(1, 65535), "SYN"
            else:
                src_ip = "10.2.0.%d" % rnd.randint(1, 50)
                dpt, flags = rnd.choice([53, 123, 443]), "ACK"
            body = ("gw1 kernel: [%d.%06d] IPTABLES-DROP: IN=eth0 OUT= MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 "
                    "SRC=%s DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=%d DF PROTO=TCP SPT=%d DPT=%d "
                    "WINDOW=64240 RES=0x00 %s URGP=0" % (t, i % 1000000, src_ip, rnd.randint(1, 65535),
                                                       rnd.randint(1024, 65535), dpt, flags))
        elif k < 19:
            body = "app1 CRON[%d]: (root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)" % (2000 + i % 30000)
        else:
            body = ("app1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl "
                    "restart nginx")
        f.write("%s %s\n" % (ts, body))
