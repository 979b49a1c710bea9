#!/bin/bash
# The CI's own machinery can fail, and does when it should: skip() is a
# failure under CI=true and a skip (77) elsewhere; wait_for gives up at its
# deadline with a failed check and passes at once when the condition holds;
# seed_random replays the same draws from SOC_TEST_SEED; the fuzz replayer
# takes empty and odd-sized inputs; scripts/check-format.sh fails on a file
# that differs from .clang-format and passes once it matches.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LIB="$SOC_SRC/tests/integration/lib.sh"

run env CI=true bash -c ". '$LIB'; skip 'no such tool'; echo unreachable"
expect_status 1
expect_err "under CI this test must run, but: no such tool"
expect_no_out "unreachable"
run env -u CI bash -c ". '$LIB'; skip 'no such tool'"
expect_status 77
expect_out "SKIP: no such tool"

run bash -c ". '$LIB'; wait_for 1 'a file that never comes' test -e '$T/never'; echo \"rc=\$? fails=\$FAILS\""
expect_out "rc=1 fails=1"
expect_err "waited 1s in vain for: a file that never comes"
run bash -c ". '$LIB'; wait_for 1 'a folder' test -d '$T'; echo \"rc=\$? fails=\$FAILS\""
expect_out "rc=0 fails=0"

draws() { SOC_TEST_SEED=$1 bash -c ". '$LIB'; seed_random >/dev/null; echo \$RANDOM \$RANDOM \$RANDOM"; }
check_py "the same seed, the same draws" 'import sys; assert sys.argv[1] == sys.argv[2] != sys.argv[3], sys.argv' \
  "$(draws 42)" "$(draws 42)" "$(draws 43)"

# the replayer: each input at its own size, an empty one too
mkdir "$T/corpus"
: >"$T/corpus/empty"
printf 'x' >"$T/corpus/one"
head -c 4097 /dev/zero | tr '\0' 'a' >"$T/corpus/odd"
run "$SOC_BIN/tests/replay_syslog" "$T/corpus"
expect_status 0
expect_out "replayed 3 input(s)"

# the format check, in a repository of its own with one C file
mkdir -p "$T/repo/scripts"
cp "$SOC_SRC/scripts/check-format.sh" "$T/repo/scripts/"
cp "$SOC_SRC/.clang-format" "$T/repo/"
printf 'int  main( void ){return 0;}\n' >"$T/repo/a.c"
git -C "$T/repo" init -q && git -C "$T/repo" add -A
run sh "$T/repo/scripts/check-format.sh"
expect_status 1
expect_err "not formatted: a.c"
run sh "$T/repo/scripts/check-format.sh" --fix
expect_status 0
run sh "$T/repo/scripts/check-format.sh"
expect_status 0
expect_out "every C file matches"
finish
