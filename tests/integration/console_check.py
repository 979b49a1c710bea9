"""The console's security, over plain HTTP (http.client, no browser):
who sees what, CSRF, logout, rate-limited login, bounded requests.
Usage: console_check.py PORT PASSWORD A_REPORT B_REPORT"""
import select
import socket
import sys
import time

import console_http as ch
from console_http import check, csrf_of, req

ch.PORT = int(sys.argv[1])
PW, A, B = sys.argv[2], sys.argv[3], sys.argv[4]


def login(name, pw=PW):
    return ch.login(name, pw)


PAGES = ["/", "/report?id=" + A, "/report?id=" + B, "/report.txt?id=" + A,
         "/report.stix?id=" + A, "/agents", "/audit", "/summary", "/quarantine"]
CENTER_ONLY = ["/agents", "/audit", "/summary", "/quarantine"]
ACTIONS = ["/note", "/review", "/level", "/support", "/logout"]
# every route the console has (collector/console.c dispatch), for the walk
# without a session
EVERY_GET = PAGES + ["/draft?id=a1/1", "/form?id=" + A, "/bundle?id=x", "/campaigns",
                     "/campaigns?days=7", "/nothing"]
EVERY_POST = ACTIONS + ["/set", "/file", "/recover", "/close", "/investigation", "/confirm",
                        "/reject", "/merge", "/draft-note", "/assign", "/promote",
                        "/campaigns/notify", "/nothing"]

# Without a session: only the login page (and its stylesheet and script).
for p in EVERY_GET:
    st, h, _ = req("GET", p)
    check(st == 303 and h.get("location") == "/login", "GET %s without login: %s" % (p, st))
for p in EVERY_POST:
    st, _, _ = req("POST", p, "id=%s&text=x&result=ok&level=4&reason=x&sel=a1/1" % A)
    check(st == 403, "POST %s without login: %s" % (p, st))
for p in ["/console.css", "/console.js", "/login"]:
    st, _, _ = req("GET", p)
    check(st == 200, "GET %s without login: %s" % (p, st))
st, h, body = req("GET", "/login")
check(st == 200 and 'name="password"' in body, "the login page")
check("default-src 'self'" in h.get("content-security-policy", ""), "CSP on every answer")
check(h.get("cache-control") == "no-store", "no caching")
st, _, body = req("GET", "/login?lang=en")
check(st == 303, "?lang= sets the language")

# A wrong password: no cookie.
check(login("ana", "wrong-password-123") is None, "a wrong password logs in")

ana = login("ana")
check(ana is not None, "ana logs in")
st, h, _ = req("POST", "/login", "user=ana&password=%s" % PW)
sc = h.get("set-cookie", "")
check("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc, "cookie flags: " + sc)
check("Secure" not in sc, "no Secure flag over plain HTTP: " + sc)
st, h, _ = req("POST", "/login", "user=ana&password=%s" % PW,
               headers={"X-Forwarded-Proto": "https"})
sc = h.get("set-cookie", "")
check(st == 303 and "; Secure" in sc and "HttpOnly" in sc, "Secure behind a TLS proxy: " + sc)

# ana (analyst of agency A) sees A and nothing of B, on every page and action.
st, _, body = req("GET", "/", cookie=ana)
check(st == 200 and A in body and B not in body, "ana's triage: A only")
check("rule-of-A" in body and "alert-of-A" in body and "rule-of-B" not in body and
      "alert-of-B" not in body, "ana's drafts and alerts: A's only")
check('data-due="1893456000000"' in body, "an open draft's §3.1 clock")
check("資安事件" in body or "事件分流" in body, "Traditional Chinese first")
check('data-since="' in body, "A, not filed yet, has its §3.1 clock")
st, _, body = req("GET", "/report?id=" + A, cookie=ana)
check(st == 200 and A in body, "ana reads A")
st, h, _ = req("GET", "/report?id=%s&lang=en" % A, cookie=ana)
check(st == 303 and h.get("location") == "/report?id=" + A and "soc_lang=en" in h.get("set-cookie", ""),
      "?lang=en keeps the page: %s %s" % (st, h.get("location")))
st, _, body = req("GET", "/report?id=" + A, cookie=ana + "; soc_lang=en")
check(st == 200 and "Notes" in body and ("?id=%s&amp;lang=zh" % A) in body, "the page in English")
token = csrf_of(ana)
check(len(token) == 64, "a CSRF token on the page")
for p in ["/report?id=" + B, "/report.txt?id=" + B, "/report.stix?id=" + B,
          "/report?id=nope/1"] + CENTER_ONLY:
    st, _, body = req("GET", p, cookie=ana)
    check(st == 404 and B not in body, "ana GET %s: %s" % (p, st))
for p in ["/note", "/review", "/level", "/support"]:
    st, _, _ = req("POST", p, "id=%s&text=mine&result=ok&level=4&reason=x&csrf=%s" % (B, token),
                   cookie=ana)
    check(st == 404, "ana POST %s on B: %s" % (p, st))
# an analyst makes no center decision, even on its own agency's report
for p in ["/review", "/level", "/support"]:
    st, _, _ = req("POST", p, "id=%s&result=ok&level=4&reason=x&csrf=%s" % (A, token), cookie=ana)
    check(st == 404, "ana POST %s on A: %s" % (p, st))

# CSRF: without or with a wrong token a change is refused.
st, _, _ = req("POST", "/note", "id=%s&text=nocsrf" % A, cookie=ana)
check(st == 403, "a note without the CSRF token: %s" % st)
st, _, _ = req("POST", "/note", "id=%s&text=badcsrf&csrf=%s" % (A, "0" * 64), cookie=ana)
check(st == 403, "a note with a wrong CSRF token: %s" % st)
st, _, _ = req("POST", "/note", "id=%s&text=checked+by+ana&csrf=%s" % (A, token), cookie=ana)
check(st == 303, "a note with the token: %s" % st)
st, _, body = req("GET", "/report?id=" + A, cookie=ana)
check("checked by ana" in body and "nocsrf" not in body and "badcsrf" not in body,
      "only the note with the token is kept")

# bob (agency B) sees nothing of A.
bob = login("bob")
btoken = csrf_of(bob)
st, _, body = req("GET", "/", cookie=bob)
check(st == 200 and B in body and A not in body, "bob's triage: B only")
check("rule-of-B" in body and "rule-of-A" not in body and "alert-of-A" not in body,
      "bob's drafts and alerts: B's only")
for p in ["/report?id=" + A, "/report.txt?id=" + A, "/report.stix?id=" + A] + CENTER_ONLY:
    st, _, body = req("GET", p, cookie=bob)
    check(st == 404 and "checked by ana" not in body, "bob GET %s: %s" % (p, st))
for p in ["/note", "/review", "/level", "/support"]:
    st, _, _ = req("POST", p, "id=%s&text=bob&result=ok&level=4&reason=x&csrf=%s" % (A, btoken),
                   cookie=bob)
    check(st == 404, "bob POST %s on A: %s" % (p, st))
# ana's token is no good in bob's session
st, _, _ = req("POST", "/note", "id=%s&text=cross&csrf=%s" % (B, token), cookie=bob)
check(st == 403, "another session's CSRF token: %s" % st)

# the reviewer of authority 36 sees A (its agent reports to 36), not B.
rev = login("rev")
st, _, body = req("GET", "/", cookie=rev)
check(st == 200 and A in body and B not in body, "the reviewer's agencies only")
check("rule-of-A" in body and "rule-of-B" not in body, "the reviewer's drafts")
for p in ["/report?id=" + B] + CENTER_ONLY:
    st, _, _ = req("GET", p, cookie=rev)
    check(st == 404, "the reviewer GET %s: %s" % (p, st))
rtoken = csrf_of(rev)
st, _, _ = req("POST", "/review", "id=%s&result=ok&csrf=%s" % (B, rtoken), cookie=rev)
check(st == 404, "the reviewer reviews B: %s" % st)
for p in ["/level", "/support"]:
    st, _, _ = req("POST", p, "id=%s&level=4&reason=x&csrf=%s" % (A, rtoken), cookie=rev)
    check(st == 404, "the reviewer POST %s: %s" % (p, st))

# center staff see everything.
boss = login("boss")
st, _, body = req("GET", "/", cookie=boss)
check(st == 200 and A in body and B in body, "the center sees A and B")
st, _, body = req("GET", "/agents", cookie=boss)
check(st == 200 and "agA" in body and "agB" in body, "the center's agents page")
# agA's last heartbeat named the round trip to its brokers, agB's none
rows = {r.split("</td>")[0]: r for r in body.split("<tr><td>")[1:]}
check("Kafka 往返時間" in body and "<td>85 ms</td>" in rows.get("agA", "") and
      "<td>-</td>" in rows.get("agB", ""), "the agents page's round trips: %s" % rows)
st, _, body = req("GET", "/agents", cookie=boss + "; soc_lang=en")
check(st == 200 and "Kafka round trip" in body, "the agents page in English")
st, _, body = req("GET", "/summary", cookie=boss)
check(st == 200 and "<td>A</td><td>3</td><td>intrusion</td><td>1</td>" in body and
      "<td>B</td><td>3</td><td>intrusion</td><td>1</td>" in body, "the center's summary")
st, _, body = req("GET", "/quarantine", cookie=boss)
check(st == 200, "the quarantine page: %s" % st)
st, _, body = req("GET", "/audit", cookie=boss)
check(st == 200 and "login-failed" in body and "checked by ana" in body and "refused" in body,
      "the audit page shows failed logins, notes and refusals")

# logout: the cookie is useless afterwards.
st, _, _ = req("POST", "/logout", "csrf=", cookie=ana)
check(st == 403, "logout without the token: %s" % st)
st, h, _ = req("POST", "/logout", "csrf=" + token, cookie=ana)
check(st == 303 and "Max-Age=0" in h.get("set-cookie", ""), "logout")
for p in PAGES:
    st, _, _ = req("GET", p, cookie=ana)
    check(st == 303, "GET %s after logout: %s" % (p, st))
st, _, _ = req("POST", "/note", "id=%s&text=late&csrf=%s" % (A, token), cookie=ana)
check(st == 403, "a note after logout: %s" % st)

# rate-limited login: after 5 failures even the right password is refused.
for _ in range(5):
    check(login("bob", "not-the-password") is None, "a wrong password")
st, _, _ = req("POST", "/login", "user=bob&password=%s" % PW)
check(st == 429, "the 6th login within the window: %s" % st)
# ... but bob's open session is not affected, and others still log in.
st, _, _ = req("GET", "/", cookie=bob)
check(st == 200, "bob's session survives the lock")
check(login("rev") is not None, "another account is not locked")

# bounded requests: a body beyond the limit is refused, the server lives on.
try:
    st, _, _ = req("POST", "/login", "user=x&password=" + "a" * 40000)
except (ConnectionResetError, BrokenPipeError):
    st = "reset"
check(st in (400, 431, "reset"), "an oversized request: %s" % st)
st, _, _ = req("GET", "/login")
check(st == 200, "the server answers after the oversized request")
# a head beyond the bound (no body): 431, the rest not read
big = socket.create_connection(("127.0.0.1", ch.PORT), timeout=10)
try:
    big.sendall(b"GET /login HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 20000 + b"\r\n\r\n")
    answer = big.recv(200)
except OSError:
    answer = b"reset"
big.close()
check(answer.startswith(b"HTTP/1.1 431") or answer == b"reset", "an oversized head: %r" % answer[:40])
st, _, _ = req("GET", "/login")
check(st == 200, "the server answers after the oversized head")

# a client stalled in the middle of its request head holds one of the
# server's workers, not the others' pages: its page comes while the stalled
# connection is still open (one at a time, the page would wait until the
# server dropped the stalled one)
stall = socket.create_connection(("127.0.0.1", ch.PORT), timeout=10)
stall.send(b"GET /login HTTP/1.1\r\nHost: a-stalled-client.example\r\n")
st, _, body = req("GET", "/login")
check(st == 200 and 'name="password"' in body, "a page while another client stalls: %s" % st)
check(not select.select([stall], [], [], 0)[0], "the stalled client was dropped first")
stall.close()

# a client sending a byte now and then is dropped (the 2 s are the whole
# request's, not each read's): sent 0.3 s apart, these 52 bytes would take 15 s;
# the server closes the connection long before
sock = socket.create_connection(("127.0.0.1", ch.PORT), timeout=10)
closed = False
for b in b"GET /login HTTP/1.1\r\nHost: a-slow-client.example\r\nX: y":
    try:
        sock.send(bytes([b]))
    except OSError:
        closed = True
        break
    time.sleep(0.3)
    if select.select([sock], [], [], 0)[0]:
        try:
            closed = sock.recv(100) == b""
        except OSError:
            closed = True
        break
sock.close()
check(closed, "a slow client is dropped")
st, _, _ = req("GET", "/login")
check(st == 200, "the server answers after the slow client")

ch.done("console_check")
