#!/usr/bin/env python3
"""Writes N realistic log rules (docs/RULES.md) for the rule benchmark.

  gen_rules.py OUT N [SEED]

A real set is a few rules that fit the traffic at hand and many that watch
for other things; so here: up to ten rules written for the OpenSSH lines
that gen_lines.py produces (brute force with correlation, invalid users,
break-in attempts ...), and the rest drawn from templates of what agencies'
rule sets look for elsewhere (web attacks, privilege escalation, malware
downloads, kernel and mail events), made distinct by their parameters. About
half are plain `contains`, a tenth startswith/endswith/equals, and two
fifths regexes with a required literal, some with captures and correlation.
"""
import random
import sys

SSH = [
    ("Failed password", r"Failed password for (?:invalid user )?(?<user>\S+) from (?<ip>[0-9.]+) port",
     "{ group_by: [ source.ip ], count: 5, within: 1m, suppress: 10m }"),
    ("Invalid user", r"Invalid user (?<user>\S*) from (?<ip>[0-9.]+)",
     "{ group_by: [ source.ip ], distinct: user.name, count: 3, within: 10m }"),
    ("break-in", r"\[(?<ip>[0-9.]+)\] failed - POSSIBLE BREAK-IN ATTEMPT", None),
    ("pam failure", r"authentication failure;.* rhost=(?<ip>[0-9.]+)(?: user=(?<user>\S+))?",
     "{ group_by: [ source.ip ], count: 10, within: 5m }"),
    ("no identification", "contains:Did not receive identification string", None),
    ("max retries", "contains:ignoring max retries", None),
    ("root login", r"Accepted (?:password|publickey) for root from (?<ip>[0-9.]+)", None),
    ("disconnect", r"Received disconnect from (?<ip>[0-9.]+): 11: Bye Bye", None),
    ("no auth methods", "contains:No more user authentication methods available", None),
    ("closed preauth", "endswith:[preauth]", None),
]

USERS = ["root", "admin", "oracle", "postgres", "git", "test", "ubuntu", "support", "guest",
         "ftpuser", "mysql", "nagios", "pi", "deploy", "jenkins", "backup", "www-data", "user1"]
BINS = ["bash", "sh", "nc", "ncat", "python3", "perl", "curl", "wget", "socat", "chmod", "chown",
        "crontab", "useradd", "passwd", "tcpdump", "nmap", "base64", "openssl", "ssh-keygen", "dd"]
PATHS = ["/etc/passwd", "/etc/shadow", "/root/.ssh/authorized_keys", "/etc/sudoers", "/tmp/.X11",
         "/dev/shm/", "/var/www/html/", "/etc/crontab", "/proc/self/environ", "/boot/grub",
         "/etc/ld.so.preload", "/usr/lib/systemd/system/", "/etc/rc.local", "/var/log/auth.log"]
WEB = ["union select", "information_schema", "<script>", "javascript:", "../..", "%2e%2e%2f",
       "cmd.exe", "powershell -enc", "/wp-login.php", "/xmlrpc.php", "phpmyadmin", "eval(",
       "base64_decode(", "${jndi:", "/cgi-bin/", ".env", "/.git/config", "sleep(", "benchmark(",
       "/actuator/", "/solr/admin", "struts", "/owa/auth", "/remote/fgt_lang", "/vpn/../"]
KERNEL = ["segfault at", "Out of memory: Killed process", "possible SYN flooding on port",
          "blocked for more than 120 seconds", "EXT4-fs error", "I/O error, dev", "martian source",
          "nf_conntrack: table full", "Call Trace:", "general protection fault", "BUG: soft lockup",
          "audit: type=1400", "apparmor=\"DENIED\"", "promiscuous mode", "device eth0 entered"]
MAIL = ["SASL LOGIN authentication failed", "Relay access denied", "reject: RCPT from",
        "too many errors after AUTH", "lost connection after AUTH", "warning: hostname",
        "NOQUEUE: reject", "status=bounced", "spamd: identified spam", "virus found"]
PROGS = ["sudo", "su", "nginx", "apache2", "kernel", "postfix/smtpd", "auditd", "cron", "dovecot",
         "named", "vsftpd", "mysqld", "httpd", "systemd", "php-fpm"]


def q(s):
    return "'" + s.replace("'", "''") + "'"


def regex_escape(s):
    out = []
    for ch in s:
        out.append("\\" + ch if ch in ".^$*+?()[]{}|\\/" else ch)
    return "".join(out)


def other_rule(r, i):
    """One rule of the kind that watches for something else."""
    kind = r.random()
    corr = None
    fam = r.choice(["web", "priv", "kernel", "mail", "file"])
    prog = None
    if fam == "web":
        lit = r.choice(WEB) + r.choice(["", "/" + r.choice(USERS), "=" + str(r.randint(1, 999))])
        prog = r.choice(["nginx", "apache2", "httpd", None])
        rx = r"(?<ip>[0-9.]+) \S+ \S+ \[[^\]]+\] \"(?:GET|POST) [^\"]*" + regex_escape(lit)
    elif fam == "priv":
        u, b = r.choice(USERS), r.choice(BINS)
        tmpl = r.choice(["COMMAND=/usr/bin/%s", "COMMAND=/bin/%s", "FAILED SU (to %s)",
                         "pam_unix(sudo:session): session opened for user %s"])
        lit = tmpl % (b if "COMMAND" in tmpl else u)
        prog = r.choice(["sudo", "su", None])
        rx = r"(?<user>\S+) : .*" + regex_escape(lit) + r"(?:\s+(?<args>.*))?"
    elif fam == "kernel":
        lit = r.choice(KERNEL) + r.choice(["", " " + str(r.randint(0, 9999))] * 2)
        prog = "kernel"
        rx = r"\[\s*\d+\.\d+\] " + regex_escape(lit)
    elif fam == "mail":
        lit = r.choice(MAIL) + r.choice(["", ": " + r.choice(USERS), " " + str(r.randint(1, 999))])
        prog = r.choice(["postfix/smtpd", "dovecot", None])
        rx = regex_escape(lit) + r".*\[(?<ip>[0-9.]+)\]"
    else:
        lit = r.choice(PATHS) + r.choice(["", r.choice(BINS), "." + str(r.randint(1, 99))])
        prog = r.choice(["auditd", None])
        rx = r"name=\"" + regex_escape(lit) + r"\".*(?:uid|auid)=(?<uid>\d+)"
    lines = ["- id: BENCH-%04d" % i, "  title: %s" % q("%s watch %d" % (fam, i)),
             "  incident: { category: %s, impact: %s }" % (
                 "web-attack" if fam == "web" else "intrusion",
                 "tamper, severity: minor" if fam != "kernel" else "outage"),
             "  match:"]
    if prog and r.random() < 0.5:
        lines.append("    program: [ %s ]" % prog)
    if kind < 0.5:
        lines.append("    all: [ { contains: %s%s } ]" % (q(lit), ", nocase: true" if r.random() < 0.2 else ""))
    elif kind < 0.6:
        k = r.choice(["startswith", "endswith", "equals"])
        lines.append("    any: [ { %s: %s } ]" % (k, q(lit)))
    else:
        lines.append("    any: [ { regex: %s } ]" % q(rx))
        caps = [n for n in ("ip", "user", "uid", "args") if "(?<%s>" % n in rx]
        target = {"ip": "source.ip", "user": "user.name", "uid": "user.id", "args": "process.args"}
        if caps:
            lines.append("    captures: { %s }" % ", ".join("%s: %s" % (c, target[c]) for c in caps))
        if "ip" in caps and r.random() < 0.3:
            corr = "  correlate: { group_by: [ source.ip ], count: 5, within: 2m }"
    if r.random() < 0.1:
        lines.append("    none: [ { contains: %s } ]" % q(r.choice(USERS) + "@localhost"))
    if corr:
        lines.append(corr)
    return "\n".join(lines) + "\n"


def ssh_rule(i, spec):
    title, pat, corr = spec
    lines = ["- id: SSH-%03d" % i, "  title: %s" % q(title),
             "  incident: { category: intrusion, subtype: abnormal-login, impact: tamper, severity: minor }",
             "  match:", "    program: [ sshd ]"]
    if ":" in pat and pat.split(":", 1)[0] in ("contains", "startswith", "endswith", "equals"):
        k, v = pat.split(":", 1)
        lines.append("    all: [ { %s: %s } ]" % (k, q(v)))
    else:
        lines.append("    any: [ { regex: %s } ]" % q(pat))
        caps = [c for c in ("ip", "user") if "(?<%s>" % c in pat]
        if caps:
            lines.append("    captures: { %s }" % ", ".join(
                "%s: %s" % (c, "source.ip" if c == "ip" else "user.name") for c in caps))
    if corr:
        lines.append("  correlate: " + corr)
    return "\n".join(lines) + "\n"


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    nssh = min(len(SSH), max(1, n // 2))
    with open(out, "w", encoding="utf-8") as f:
        for i in range(nssh):
            f.write(ssh_rule(i, SSH[i]))
        for i in range(n - nssh):
            f.write(other_rule(r, i))


main()
