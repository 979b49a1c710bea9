#!/usr/bin/env python3
"""SigmaHQ regression samples through `socctl rules test --format json`.

usage: sigma_samples.py SOCCTL PACK SAMPLES EXPECTED [--write] [-- EXTRA_ARGS...]

Each sample folder holds info.yml (the rule that must fire) and the Windows
event(s) as pretty JSON, several objects possibly one after another; they are
sent one object a line, as NXLog or Winlogbeat would, in one run over the
whole pack. For every sample the set of rules that fired must equal the line
in EXPECTED ("<sample> <rule> [<rule>...]"), which must hold the named rule.
--write prints that file instead of checking it (for docs/SIGMA.md).
"""
import json
import os
import re
import subprocess
import sys


def samples(root):
    dec = json.JSONDecoder()
    for d, _, files in sorted(os.walk(root)):
        if "info.yml" not in files:
            continue
        info = open(os.path.join(d, "info.yml")).read()
        rule = re.search(r"rule_metadata:\s*\n\s*- id:\s*(\S+)", info).group(1)
        lines = []
        for f in sorted(files):
            if not f.endswith(".json"):
                continue
            s, i = open(os.path.join(d, f)).read(), 0
            while True:
                while i < len(s) and s[i].isspace():
                    i += 1
                if i >= len(s):
                    break
                o, i = dec.raw_decode(s, i)
                lines.append(json.dumps(o, separators=(",", ":")))
        yield os.path.relpath(d, root), rule, lines


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ctl, pack, root, expected = argv[:4]
    write = "--write" in argv
    all_samples = list(samples(root))
    owner = {}
    for name, _, lines in all_samples:
        for line in lines:
            owner.setdefault(line, set()).add(name)
    feed = "".join(l + "\n" for _, _, lines in all_samples for l in lines)
    p = subprocess.run([ctl, "rules", "test", "--sigma", pack, "--format", "json",
                        "--time-field", "Event.System.TimeCreated.SystemTime",
                        "--host-field", "Event.System.Computer", "--json"] + extra,
                       input=feed, capture_output=True, text=True)
    if p.returncode != 0:
        print("socctl failed:", p.stderr[-2000:], file=sys.stderr)
        return 1
    fired = {name: set() for name, _, _ in all_samples}
    for out in p.stdout.splitlines():
        d = json.loads(out)
        for name in owner.get(d["line"], ()):
            fired[name].add(d["rule"])
    if write:
        for name, rule, _ in all_samples:
            others = sorted(fired[name] - {rule})
            print(name, rule, *others)
        return 0
    want = {}
    for line in open(expected):
        w = line.split()
        if w:
            want[w[0]] = (w[1], set(w[1:]))
    bad = 0
    for name, rule, _ in all_samples:
        if rule not in fired[name]:
            print("FAIL: %s: rule %s did not fire (fired: %s)" % (name, rule, sorted(fired[name])))
            bad += 1
        elif name not in want or want[name][0] != rule or want[name][1] != fired[name]:
            print("FAIL: %s: fired %s, expected %s" % (name, sorted(fired[name]),
                                                       sorted(want.get(name, ("", set()))[1])))
            bad += 1
    print("%d sample(s), %d failed" % (len(all_samples), bad))
    return 1 if bad or not all_samples else 0


sys.exit(main())
