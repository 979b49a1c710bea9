# Shared by the integration scripts: run a command, then check its status
# and output. Every failed check is reported; finish exits non-zero if any.
FAILS=0
CHECKS=0
OUT=""
ERR=""
STATUS=0

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
