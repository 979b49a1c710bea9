#!/bin/bash
# socctl classify: the §2.3 levels, the inventory lookups and the fallback,
# as text and as JSON.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"
CFG="$SOC_SRC/examples/socagent.yaml"

run "$CTL" classify --impact tamper --tier core --severity severe
expect_status 0
expect_out "level 3"
expect_out "§2.3(二)2: core business system or data severely tampered"

run "$CTL" classify --impact leak --tier non-core --data-class national-secret
expect_out "level 4"
expect_out "§2.3(一)1"

# the boundary: exactly the tolerable downtime is "restored within"
run "$CTL" classify --impact outage --tier cii --outage-minutes 30 --tolerable-minutes 30
expect_out "level 3"
run "$CTL" classify --impact outage --tier cii --outage-minutes 31 --tolerable-minutes 30
expect_out "level 4"

# several impacts: the highest wins, every clause is listed
run "$CTL" classify --tier core --impact tamper --severity minor --impact outage \
  --outage-minutes 10 --tolerable-minutes 5
expect_out "level 3"
expect_out "§2.3(三)2"
expect_out "§2.3(二)3"

# from the inventory: by host name, by address, by asset name, and the fallback
run "$CTL" -c "$CFG" classify --host web01 --impact outage --outage-minutes 241
expect_out "level 3"
expect_out "asset: citizen-portal (tier core), matched by host name"
run "$CTL" -c "$CFG" classify --host 198.51.100.7 --impact tamper --severity severe
expect_out "level 4"
expect_out "asset: water-scada (tier cii), matched by address /24"
run "$CTL" -c "$CFG" classify --asset intranet-wiki --impact leak
expect_out "level 1"
expect_out "[data class from the asset]"
run "$CTL" -c "$CFG" classify --host 203.0.113.9 --impact tamper --severity severe
expect_out "level 2"
expect_out "[fallback]"

# JSON for machines
run "$CTL" -c "$CFG" classify --host web01 --impact leak --json
expect_status 0
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["level"]==3, d; assert d["asset"]["name"]=="citizen-portal"; assert d["asset"]["fallback"] is False; assert d["clauses"][0]["ref"]=="§2.3(二)1"' "$OUT" \
  || fail "JSON output not as expected: $OUT"
CHECKS=$((CHECKS + 1))

# bad usage is explained and exits 2
run "$CTL" classify --impact leak --tier core
expect_status 2
expect_err "impact 1 (leak) needs --data-class"
run "$CTL" classify --impact flood --tier core
expect_status 2
expect_err "--impact 'flood': expected leak, tamper or outage"
run "$CTL" classify --impact outage --tier core --outage-minutes -5 --tolerable-minutes 1
expect_status 2
run "$CTL" -c "$CFG" classify --asset no-such --impact leak
expect_status 2
expect_err "no asset named 'no-such'"
run "$CTL" frobnicate
expect_status 2
expect_err "unknown command 'frobnicate'"

finish
