#!/bin/bash
# The README opens with exactly two commands, and .ci/run runs the second
# one verbatim: a README that drifts from CI fails here.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

mapfile -t cmds < <(awk '/^```sh$/{f=1;next} /^```$/{if(f){n++};f=0;if(n==2)exit} f' "$SOC_SRC/README.md")
CHECKS=$((CHECKS + 1))
[ "${#cmds[@]}" -eq 2 ] || fail "the README should open with two commands, found ${#cmds[@]}"
CHECKS=$((CHECKS + 1))
grep -qxF -- "${cmds[1]}" "$SOC_SRC/.ci/run" || fail ".ci/run does not run the README's test command: ${cmds[1]}"
CHECKS=$((CHECKS + 1))
grep -qF "scripts/demo.sh" <<<"${cmds[0]}" || fail "the first command should run the demo"

# the demo itself runs on the built tree and tells its story in order
run env SOC_BIN="$SOC_BIN" sh "$SOC_SRC/scripts/demo.sh"
expect_status 0
expect_out "== 1. Check the agent's configuration"
expect_out "configuration OK (agent web01"
expect_out "journal: 4000 line(s)"
expect_out "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"
expect_out "level 3"
expect_out "level 4"
expect_out "[fallback]"
expect_out "forwarding: 0 line(s) behind (0 block(s)), broker up, 4000 delivered"
expect_out '"dataset":"socagent.file"' 
expect_out '"level":3'

finish
