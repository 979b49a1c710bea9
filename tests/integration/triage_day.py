#!/usr/bin/env python3
"""A realistic day of one agency's logs, for the triage test (triage.sh).

    triage_day.py OUTDIR [SEED]

Writes OUTDIR/auth.log (RFC 3164 syslog of three servers: gw01, db01, app01)
and OUTDIR/access.log (Apache combined log of the portal), and prints a JSON
manifest of what it hid in them: the attempts (brute-force sources that never
get in, web scanners, a port scan) and the three intrusions:

  guess   db01: guessing from one address succeeds, then a UID-0 account is
          created and put in the sudo group in that session;
  wipe    app01: a user logged in from an unusual address wipes the logs;
  shell   the portal: a scanner that then uploads a webshell and runs it.

Everything else is background: administrators' key logins and sudo, cron,
automation logging in as root with a key from a handful of addresses, and
3,000 ordinary web requests. Random but reproducible (SEED).
"""
import json
import os
import random
import sys

DAY = (2026, 11, 25)
MON = "Nov"


def ts3164(sec):
    h, m, s = sec // 3600, sec // 60 % 60, sec % 60
    return "%s %2d %02d:%02d:%02d" % (MON, DAY[2], h, m, s)


def ts_clf(sec):
    h, m, s = sec // 3600, sec // 60 % 60, sec % 60
    return "%02d/%s/%d:%02d:%02d:%02d +0800" % (DAY[2], MON, DAY[0], h, m, s)


class Day:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.auth = []  # (sec, line)
        self.web = []
        self.pid = 2000

    def next_pid(self):
        self.pid += self.r.randint(1, 40)
        return self.pid

    def sys(self, sec, host, prog, msg, pid=None):
        tag = "%s[%d]" % (prog, pid if pid else self.next_pid()) if prog != "kernel" else "kernel"
        self.auth.append((sec, "%s %s %s: %s" % (ts3164(sec), host, tag, msg)))

    def req(self, sec, ip, method, url, status, size, ua):
        self.web.append((sec, '%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s"'
                         % (ip, ts_clf(sec), method, url, status, size, ua)))


BROWSER = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
           "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"]
PAGES = ["/", "/index.html", "/news/2026/11/notice.html", "/services/apply", "/css/site.css",
         "/js/app.js", "/img/logo.png", "/contact", "/faq", "/search?q=tax+form", "/login"]


def background(d):
    r = d.r
    admins = [("alice", "10.0.0.21"), ("bob", "10.0.0.22"), ("deploy", "10.0.0.5")]
    for host in ("gw01", "db01", "app01"):
        # cron every 10 minutes
        for sec in range(120, 86400, 600):
            pid = d.next_pid()
            d.sys(sec, host, "CRON", "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", pid)
            d.sys(sec, host, "CRON", "(root) CMD (/usr/lib/sysstat/debian-sa1 1 1)", pid)
            d.sys(sec + 1, host, "CRON", "pam_unix(cron:session): session closed for user root", pid)
        # administrators' key logins and sudo
        for _ in range(12):
            user, ip = r.choice(admins)
            sec = r.randint(8 * 3600, 19 * 3600)
            pid = d.next_pid()
            d.sys(sec, host, "sshd", "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:k3Yq" % (user, ip, r.randint(40000, 60000)), pid)
            d.sys(sec, host, "sshd", "pam_unix(sshd:session): session opened for user %s(uid=1000) by (uid=0)" % user, pid)
            d.sys(sec + 30, host, "sudo", "   %s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl status nginx" % (user, user))
            d.sys(sec + 31, host, "sudo", "pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=1000)" % user)
            d.sys(sec + 600, host, "sshd", "pam_unix(sshd:session): session closed for user %s" % user, pid)
        # automation: root logins with a key from a few addresses (an alert each, no clock)
        for i in range(6):
            sec = r.randint(0, 86000)
            d.sys(sec, host, "sshd", "Accepted publickey for root from 10.0.1.%d port %d ssh2: RSA SHA256:aut0" % (10 + i % 3, r.randint(40000, 60000)))
    for _ in range(3000):
        sec = r.randint(0, 86399)
        ip = "%d.%d.%d.%d" % (r.choice([1, 36, 61, 111, 114, 118, 220]), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
        page = r.choice(PAGES)
        status = 200 if r.random() > 0.02 else 304
        d.req(sec, ip, "GET", page, status, r.randint(200, 40000), r.choice(BROWSER))


def brute_force(d, ip, host, start, n, users):
    """n guesses that never succeed."""
    sec = start
    for i in range(n):
        user = d.r.choice(users)
        pid = d.next_pid()
        port = d.r.randint(30000, 65000)
        if user in ("root", "oracle"):
            d.sys(sec, host, "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s" % (ip, user), pid)
            d.sys(sec + 2, host, "sshd", "Failed password for %s from %s port %d ssh2" % (user, ip, port), pid)
        else:
            d.sys(sec, host, "sshd", "Invalid user %s from %s port %d" % (user, ip, port), pid)
            d.sys(sec + 1, host, "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s" % ip, pid)
            d.sys(sec + 2, host, "sshd", "Failed password for invalid user %s from %s port %d ssh2" % (user, ip, port), pid)
        sec += d.r.randint(3, 12)
    return sec


def attempts(d, m):
    r = d.r
    users = ["root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "guest", "pi", "ftp"]
    for i in range(12):
        ip = "%d.%d.%d.%d" % (r.choice([45, 61, 103, 112, 183, 185, 218, 222]), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
        host = r.choice(["gw01", "gw01", "db01", "app01"])
        brute_force(d, ip, host, r.randint(0, 80000), r.randint(15, 40), users)
        m["brute_force"].append(ip)
    # web scanners: 404 floods with a scanner's user agent, injection probes
    for i in range(4):
        ip = "198.18.%d.%d" % (i, r.randint(1, 254))
        sec = r.randint(0, 80000)
        ua = r.choice(["Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)", "sqlmap/1.8.2#stable (https://sqlmap.org)", BROWSER[0]])
        for j in range(60):
            d.req(sec + j, ip, "GET", "/%s%d.php" % (r.choice(["admin", "backup", "old", "test", "wp-login", "phpmyadmin"]), j), 404, 210, ua)
        d.req(sec + 61, ip, "GET", "/news?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", 500, 320, ua)
        d.req(sec + 62, ip, "GET", "/download?file=../../../../etc/passwd", 403, 199, ua)
        m["scanners"].append(ip)
    # a port scan of the gateway
    ip = "192.0.2.200"
    sec = r.randint(0, 80000)
    for port in range(20, 60):
        d.sys(sec, "gw01", "kernel", "[1220600.%06d] IPTABLES-DROP: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=%s DST=198.51.100.10 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=%d PROTO=TCP SPT=61234 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0" % (port, ip, r.randint(1, 65000), port))
    m["port_scan"] = ip


def intrusions(d, m):
    # guess: db01, from 203.0.113.66, at 02:10
    ip = "203.0.113.66"
    sec = brute_force(d, ip, "db01", 2 * 3600 + 600, 25, ["oracle", "root", "admin"])
    pid = d.next_pid()
    d.sys(sec + 5, "db01", "sshd", "Accepted password for oracle from %s port 51234 ssh2" % ip, pid)
    d.sys(sec + 5, "db01", "sshd", "pam_unix(sshd:session): session opened for user oracle(uid=1001) by (uid=0)", pid)
    d.sys(sec + 95, "db01", "useradd", "new group: name=sysupd, GID=0")
    d.sys(sec + 96, "db01", "useradd", "new user: name=sysupd, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/1")
    d.sys(sec + 140, "db01", "usermod", "add 'sysupd' to group 'sudo'")
    d.sys(sec + 140, "db01", "usermod", "add 'sysupd' to shadow group 'sudo'")
    m["intrusions"].append({"name": "guess", "host": "db01", "source": ip,
                            "rules": ["SOC-SSH-001", "SOC-SSH-003", "SOC-ACCT-002", "SOC-ACCT-003"],
                            "first": ts3164(2 * 3600 + 600)})
    # wipe: app01, bob from an unusual address at 13:40
    sec = 13 * 3600 + 40 * 60
    pid = d.next_pid()
    d.sys(sec, "app01", "sshd", "Accepted password for bob from 198.51.100.23 port 40022 ssh2", pid)
    d.sys(sec + 200, "app01", "sudo", "     bob : TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/shred -u -z /var/log/auth.log")
    d.sys(sec + 230, "app01", "sudo", "     bob : TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/truncate -s 0 /var/log/syslog")
    m["intrusions"].append({"name": "wipe", "host": "app01", "user": "bob",
                            "rules": ["SOC-TAMPER-001"], "first": ts3164(sec + 200)})
    # shell: the portal, 192.0.2.99 at 21:05: scans, uploads, runs
    ip = "192.0.2.99"
    sec = 21 * 3600 + 5 * 60
    for j in range(40):
        d.req(sec + j, ip, "GET", "/%s.php" % d.r.choice(["upload", "uploader", "fileupload", "up", "admin/upload"]) + "?v=%d" % j, 404, 210, BROWSER[2])
    d.req(sec + 50, ip, "POST", "/uploads/avatar.php", 200, 52, BROWSER[2])
    d.req(sec + 70, ip, "GET", "/uploads/avatar.php?cmd=id", 200, 54, BROWSER[2])
    d.req(sec + 75, ip, "GET", "/uploads/avatar.php?cmd=cat%20/etc/passwd", 200, 1830, BROWSER[2])
    m["intrusions"].append({"name": "shell", "source": ip, "rules": ["SOC-WEB-005"],
                            "first": "%02d/%s/%d:21:05" % (DAY[2], MON, DAY[0])})


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    d = Day(seed)
    m = {"brute_force": [], "scanners": [], "port_scan": None, "intrusions": []}
    background(d)
    attempts(d, m)
    intrusions(d, m)
    os.makedirs(out, exist_ok=True)
    for name, lines in (("auth.log", d.auth), ("access.log", d.web)):
        with open(os.path.join(out, name), "w") as f:
            for _, line in sorted(lines, key=lambda x: x[0]):
                f.write(line + "\n")
    m["lines"] = {"auth": len(d.auth), "web": len(d.web)}
    print(json.dumps(m))


if __name__ == "__main__":
    main()
