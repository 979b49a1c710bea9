"""What the console's HTTP tests share: one request per connection, a login,
the CSRF token of a session's page, and counted checks."""
import http.client
import re
import sys

PORT = 0
FAILS = 0


def check(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL:", what, file=sys.stderr)


def req(method, path, body=None, cookie=None, headers=None):
    """(status, headers with lower-case names, body text)"""
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body.encode() if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    out = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), data)
    c.close()
    return out


def login(name, pw):
    """The session cookie ("soc_session=..."), or None."""
    st, h, _ = req("POST", "/login", "user=%s&password=%s" % (name, pw))
    if st != 303 or "set-cookie" not in h:
        return None
    return h["set-cookie"].split(";")[0]


def csrf_of(cookie):
    _, _, body = req("GET", "/", cookie=cookie)
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', body)
    return m.group(1) if m else ""


def done(name):
    print("%s: %d failed" % (name, FAILS))
    sys.exit(1 if FAILS else 0)
