#!/bin/bash
# A collector that fell behind the broker's retention (issue 17): it read
# and committed 10 messages, then stopped; 700 more (7 MB) arrived, more than the
# development broker keeps per partition (about 5 MB), so the oldest were
# removed unread. At the next start the collector is moved on to the oldest
# message left (auto.offset.reset); it counts the messages it never saw
# ("expired" in stats), says which offsets, and records an alert.
# With SOC_TEST_STORE=postgresql (integration.collector_expired_pg) the center is on
# a throwaway PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; rm -rf "$T"' EXIT
start_broker "$T" --partitions 1
center_config "$T/center.yaml" "$T/center"
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
produce() { # n size
  python3 -c 'import sys; n, k = int(sys.argv[1]), int(sys.argv[2]); sys.stdout.write(("m" * k + "\n") * n)' "$1" "$2" |
    kcat -P -b "$BOOTSTRAP" -t soc.events -p 0 || fail "kcat produce"
}
stat() { # name: the counter of collector "center"
  "$COLL" -c "$T/center.yaml" stats --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("center", {}).get(sys.argv[1], 0))' "$1"
}
collect_until() { # consumed
  "$COLL" -c "$T/center.yaml" 2>>"$T/c.err" &
  local pid=$!
  for _ in $(seq 600); do [ "$(stat consumed)" = "$1" ] && break; sleep 0.1; done
  kill -TERM $pid
  wait $pid
}

produce 10 100
collect_until 10
CHECKS=$((CHECKS + 1))
[ "$(stat consumed)" = 10 ] || fail "first run: $(stat consumed) consumed"
produce 700 10000
low=$(timeout 60 kcat -C -b "$BOOTSTRAP" -t soc.events -p 0 -o beginning -c 1 -f '%o\n' 2>/dev/null)
CHECKS=$((CHECKS + 1))
[ "${low:-0}" -gt 10 ] || fail "test premise: the broker kept everything (first offset ${low:-?})"
collect_until $((10 + 710 - low))
CHECKS=$((CHECKS + 1))
[ "$(stat expired)" = $((low - 10)) ] || fail "expired $(stat expired), expected $((low - 10))"
run cat "$T/c.err"
expect_out "soccollector: EXPIRED: $((low - 10)) message(s) of soc.events partition 0 (offsets 10-$((low - 1))) were removed by the broker's retention before this collector read them"
run "$COLL" -c "$T/center.yaml" stats
expect_status 0
expect_out "expired"
expect_out "center expired: EXPIRED: $((low - 10)) message(s) of soc.events partition 0"
# nothing more expired: a restart counts nothing again
produce 5 100
collect_until $((10 + 715 - low))
CHECKS=$((CHECKS + 1))
[ "$(stat expired)" = $((low - 10)) ] || fail "after a restart: expired $(stat expired)"
stop_broker
finish
