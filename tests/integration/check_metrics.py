#!/usr/bin/env python3
"""A strict parser of the Prometheus text exposition format (0.0.4), for
the metrics endpoint's tests (promtool is in Debian only inside the
prometheus server package). Reads the text on stdin; exits 1 with the
line and the reason on the first violation; else prints each sample as
`name{labels} value` to stdout, so a test can look values up.

Checked: every line is a comment (# HELP / # TYPE with a valid name and
type) or a sample; a family's # HELP and # TYPE come once, before its
samples; a family's samples are contiguous; names and label names match
the format's patterns; label values are quoted with only \\\\, \\" and \\n
escapes; values are numbers; counters are named *_total; the text ends
with a newline.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s=%s(?:,%s=%s)*,?)?\})? (\S+)( -?\d+)?$" % (NAME, LABEL, VALUE, LABEL, VALUE))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)

text = sys.stdin.read()
def bad(n, line, why):
    print("line %d: %s: %r" % (n, why, line), file=sys.stderr)
    sys.exit(1)

if not text.endswith("\n"):
    bad(0, text[-40:], "does not end with a newline")
helps, types, done, current = set(), {}, set(), None
for n, line in enumerate(text.split("\n")[:-1], 1):
    if line.startswith("#"):
        m = HELP.match(line) or TYPE.match(line)
        if not m:
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                bad(n, line, "malformed HELP/TYPE")
            continue
        name = m.group(1)
        if name in done:
            bad(n, line, "family %s comes back after other families" % name)
        if line.startswith("# HELP"):
            if name in helps:
                bad(n, line, "second HELP")
            helps.add(name)
        else:
            if name in types:
                bad(n, line, "second TYPE")
            types[name] = m.group(2)
        if current and current != name:
            done.add(current)
        current = name
        continue
    m = SAMPLE.match(line)
    if not m:
        bad(n, line, "not a sample")
    name = m.group(1)
    try:
        float(m.group(3))
    except ValueError:
        bad(n, line, "value is not a number")
    if name in done:
        bad(n, line, "samples of %s are not contiguous" % name)
    if current != name:
        if name in types:
            bad(n, line, "TYPE of %s is not right before its samples" % name)
        if current:
            done.add(current)
        current = name
    if types.get(name) == "counter" and not name.endswith("_total"):
        bad(n, line, "a counter not named *_total")
    print(line)
