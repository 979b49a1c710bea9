#!/bin/bash
# unit.center's tests (tests/unit/test_center.c: reports and revisions,
# notifications, the center's clocks and flags, decisions and their outbox,
# evidence bundles and chunks, the summary) on a throwaway PostgreSQL
# (pg_lib.sh) instead of center.db: the same assertions through the same
# interface (collector/centerdb.h), each test on an emptied database.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"
trap 'stop_pg' EXIT
start_pg || { fail "cannot start PostgreSQL"; finish; }
run env SOC_TEST_PG_URL="$PG_URL" "$SOC_BIN/tests/test_center"
expect_status 0
[ "$STATUS" -eq 0 ] || echo "$OUT" | grep -E "FAILED|ERROR|Failure|\[  " | head -40 >&2
finish
