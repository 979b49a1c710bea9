#!/bin/bash
# socctl's one way of doing things: every command is an entry of one table,
# which `socctl --help` lists and `socctl COMMAND --help` prints the usage
# of (exit 0, stdout); bad usage exits 2 with the usage on stderr; options
# go anywhere among the operands (getopt_long); `socctl deadlines` chooses
# its form by the options it was given, and refuses a mix of the two.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"

run "$CTL" --help
expect_status 0
commands=$(awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}' <<<"$OUT")
check_py "socctl --help lists the commands" '
import sys
names = sys.argv[1].split()
want = "classify journal rules status drafts alerts show deadlines confirm reject merge promote note reports report file review recover close relevel investigation set audit key".split()
assert names == want, names' "$commands"
for c in $commands; do
  run "$CTL" "$c" --help
  expect_status 0
  expect_out "usage: socctl [-c FILE] $c"
done
run "$CTL" confirm 1 --no-such-option
expect_status 2
expect_err "usage: socctl [-c FILE] confirm ID --analyst NAME"
run "$CTL" --no-such-option
expect_status 2
run "$CTL" -V
expect_out "socctl "

# deadlines: an incident's clocks, options in any order
run "$CTL" deadlines --now 2026-01-05T10:00Z --level 3 --discovered 2026-01-05T09:30Z --regime tw-2026 --json
expect_status 0
check_py "deadlines from a regime table" '
import json, sys
d = json.loads(sys.argv[1])
assert d["regime"] == "tw-2026" and d["level"] == 3, d
r = [x for x in d["deadlines"] if x["step"] == "report"][0]
assert r["due"] == "2026-01-05T10:30:00Z" and r["left_s"] == 1800, r' "$OUT"
run "$CTL" deadlines --regime tw-2026 --level 3
expect_status 2
expect_err "--regime, --level and --discovered are required"
run "$CTL" deadlines --overdue --level 3 --regime tw-2026 --discovered 2026-01-05T09:30Z
expect_status 2
expect_err "--overdue is for the stored reports' clocks"
run "$CTL" deadlines --level 5 --regime tw-2026 --discovered 2026-01-05T09:30Z
expect_status 2
expect_err "--level must be 1 to 4"
finish
