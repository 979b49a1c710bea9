#!/bin/bash
# The literal prefilter never loses a match: the shipped log rules over the
# test logs and over generated mixed lines with attackers in them
# (bench/gen_mixed.py) give the same hits and the same firings with the
# prefilter and without it (--no-prefilter evaluates every rule and runs
# every regex), and with it fewer regexes run.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

RULES=()
for f in "$SOC_SRC"/rules/log/*.yaml; do RULES+=(-r "$f"); done
python3 "$SOC_SRC/bench/gen_mixed.py" "$T/mixed.log" 20000 >/dev/null ||
  fail "gen_mixed.py failed"

# "hits N" and "regexes run N" from --stats
stat_of() { sed -n "s/.*; $1 \([0-9]*\)[;( ].*/\1/p" "$2" | head -1; }

for log in "$SOC_TEST_DATA"/logs/*.log "$T/mixed.log"; do
  name=$(basename "$log")
  "$CTL" rules test "${RULES[@]}" --timezone +08:00 --json --stats "$log" \
    >"$T/fast.out" 2>"$T/fast.err"
  fs=$?
  "$CTL" rules test "${RULES[@]}" --timezone +08:00 --json --stats --no-prefilter "$log" \
    >"$T/slow.out" 2>"$T/slow.err"
  ss=$?
  CHECKS=$((CHECKS + 1))
  [ "$fs" -eq 0 ] && [ "$ss" -eq 0 ] || fail "$name: exit $fs / $ss: $(cat "$T/fast.err" "$T/slow.err")"
  CHECKS=$((CHECKS + 1))
  cmp -s "$T/fast.out" "$T/slow.out" || fail "$name: firings differ with the prefilter"
  fh=$(stat_of hits "$T/fast.err")
  sh=$(stat_of hits "$T/slow.err")
  fr=$(stat_of "regexes run" "$T/fast.err")
  sr=$(stat_of "regexes run" "$T/slow.err")
  CHECKS=$((CHECKS + 1))
  [ -n "$fh" ] && [ "$fh" = "$sh" ] || fail "$name: hits $fh with the prefilter, $sh without"
  CHECKS=$((CHECKS + 1))
  [ -n "$fr" ] && [ -n "$sr" ] && [ "$fr" -lt "$sr" ] ||
    fail "$name: regexes run $fr with the prefilter, $sr without"
done
# the mixed lines have attackers in them: the comparison covered firings
CHECKS=$((CHECKS + 1))
[ -s "$T/fast.out" ] || fail "mixed.log: no firings at all"

finish
