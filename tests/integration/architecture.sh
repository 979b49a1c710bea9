#!/bin/bash
# ARCHITECTURE.md stays true of the tree: its folder table names every
# folder of the source (the top level, lib/*, agent/*, tests/*) and nothing
# that is not there, with the layers each lib/ folder may use as
# lib/CMakeLists.txt declares them; and every path its "Where things live"
# table names exists (a <name> or * in it stands for any name).
set -u
. "$SOC_SRC/tests/integration/lib.sh"

run python3 - "$SOC_SRC" <<'PY'
import glob, os, re, sys
root = sys.argv[1]
text = open(os.path.join(root, "ARCHITECTURE.md"), encoding="utf-8").read()

def table(heading):
    """The first column's `code` items of the table under heading."""
    part = text.split(heading, 1)[1]
    rows = []
    for line in part.split("\n"):
        if line.startswith("## ") and rows:
            break
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append(re.findall(r"`([^`]+)`", line.split(" | ")[0]))
    return rows[1:]  # the header row

bad = []
named = {p.rstrip("/") for row in table("## Folders") for p in row}
there = set()
for d in sorted(os.listdir(root)):
    if os.path.isdir(os.path.join(root, d)) and not d.startswith((".", "build")):
        there.add(d)
for parent in ("lib", "agent", "tests", "include"):
    for d in sorted(os.listdir(os.path.join(root, parent))):
        if os.path.isdir(os.path.join(root, parent, d)):
            there.add(parent + "/" + d)
# a parent folder has no row of its own: lib/, tests/, include/ have one per folder
for d in sorted(there - named - {"lib", "tests", "include"}):
    bad.append("folder %s/ has no row in ARCHITECTURE.md's folder table" % d)
for d in sorted(named - there):
    bad.append("ARCHITECTURE.md's folder table names %s/, which does not exist" % d)

# the layers each lib/ folder may use, as lib/CMakeLists.txt declares them
cm = open(os.path.join(root, "lib", "CMakeLists.txt"), encoding="utf-8").read()
for name, body in re.findall(r"soc_layer\((\w+)(.*?)\)\n", cm, re.S):
    m = re.search(r"LAYERS([^A-Z]*)", body)
    declared = set(m.group(1).split()) if m else set()
    row = [l for l in text.split("\n") if l.startswith("| `lib/%s/` |" % name)]
    if not row:
        continue  # reported above as a folder without a row
    said = {w.strip() for w in row[0].rstrip(" |").rsplit(" | ", 1)[1].split(",")} - {"\u2014", ""}
    if said != declared:
        bad.append("ARCHITECTURE.md says lib/%s/ may use %s; lib/CMakeLists.txt declares %s"
                   % (name, ", ".join(sorted(said)) or "nothing", ", ".join(sorted(declared)) or "nothing"))

for row in table("## Where things live"):
    for p in row:
        if "/" not in p or " " in p:
            continue  # a symbol or a command, not a path
        pattern = re.sub(r"<[^>]+>", "*", p)
        if not glob.glob(os.path.join(root, pattern)):
            bad.append("ARCHITECTURE.md names %s, which does not exist" % p)
print("\n".join(bad) if bad else "ARCHITECTURE.md matches the tree")
sys.exit(1 if bad else 0)
PY
expect_status 0
expect_out "ARCHITECTURE.md matches the tree"
finish
