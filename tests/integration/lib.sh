# Shared by the integration scripts: run a command, then check its status
# and output. Every failed check is reported; finish exits non-zero if any.
FAILS=0
CHECKS=0
OUT=""
ERR=""
STATUS=0
LAST=""

run() {
  local o e
  o=$(mktemp) e=$(mktemp)
  "$@" >"$o" 2>"$e"
  STATUS=$?
  OUT=$(cat "$o")
  ERR=$(cat "$e")
  rm -f "$o" "$e"
  LAST="$*"
}

fail() {
  FAILS=$((FAILS + 1))
  echo "FAIL: $*" >&2
  echo "  command: $LAST" >&2
  echo "  stdout: $OUT" | head -20 >&2
  echo "  stderr: $ERR" | head -20 >&2
  if command -v broker_gone_note >/dev/null; then broker_gone_note; fi
}

expect_status() {
  CHECKS=$((CHECKS + 1))
  [ "$STATUS" -eq "$1" ] || fail "exit status $STATUS, expected $1"
}

expect_out() {
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$1" <<<"$OUT" || fail "stdout lacks: $1"
}

expect_err() {
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks: $1"
}

expect_no_out() {
  CHECKS=$((CHECKS + 1))
  ! grep -qF -- "$1" <<<"$OUT" || fail "stdout has: $1"
}

expect_no_err() {
  CHECKS=$((CHECKS + 1))
  ! grep -qF -- "$1" <<<"$ERR" || fail "stderr has: $1"
}

finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
  exit $?
}

# check_py DESCRIPTION PYTHON-CODE [ARGS...]: one check, a python assertion
# over the args (sys.argv[1:])
check_py() {
  local what=$1 code=$2
  shift 2
  CHECKS=$((CHECKS + 1))
  python3 -c "$code" "$@" || { FAILS=$((FAILS + 1)); echo "FAIL: $what" >&2; }
}

# skip REASON...: this machine cannot run the test. On a developer's machine
# that is a skip (exit 77, which ctest shows as skipped); under CI (CI=true)
# the machine is meant to have root, the tools and the kernel features, so a
# skip there would hide a test that never ran: it is a failure.
skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: under CI this test must run, but: $*" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, so a
# test waits on a condition and not on a guess of how long something takes.
# The deadline is only there to end a test that would hang; past it, one
# failed check that names WHAT, and a non-zero return.
wait_for() {
  local limit=$1 what=$2
  local deadline=$((SECONDS + limit))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      CHECKS=$((CHECKS + 1))
      FAILS=$((FAILS + 1))
      echo "FAIL: waited ${limit}s in vain for: $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# output_is EXPECTED COMMAND...: succeeds when COMMAND prints EXPECTED (a
# condition for wait_for).
output_is() {
  local want=$1
  shift
  [ "$("$@" 2>/dev/null)" = "$want" ]
}

# seed_random: the kill-loop tests draw their kill instants from bash's
# RANDOM, seeded from SOC_TEST_SEED when given (to replay a failure) or
# else from the clock; the seed is printed first, so every run can be
# replayed.
seed_random() {
  SEED=${SOC_TEST_SEED:-$(($(date +%s%N) % 1000000007))}
  RANDOM=$SEED
  echo "seed: $SEED (replay: SOC_TEST_SEED=$SEED ctest -R <this test>)"
}

# kill_after LOG PID DELAY: lets PID run DELAY seconds, kills it with SIGKILL
# and appends when to LOG (UTC, to read against the agent's stderr and the
# writer's record when a run fails).
kill_after() {
  sleep "$3"
  kill -9 "$2" 2>/dev/null
  wait "$2" 2>/dev/null
  echo "$(date -u +%H:%M:%S.%N | cut -c1-15) killed pid $2 after ${3}s" >>"$1"
}
