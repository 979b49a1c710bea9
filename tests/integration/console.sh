#!/bin/bash
# The web console's security (docs/CONSOLE.md): console.listen off by
# default and loopback only; `soccollector user add|passwd|disable`; then,
# over HTTP (console_check.py): nothing without a login, another agency's
# analyst gets nothing of A (every page and action tried), a change without
# the CSRF token is refused, a cookie is useless after logout, the login is
# rate-limited, requests are bounded; and a disabled account's session ends.
# The store is seeded with two agencies' agents and reports directly: what
# is tested here is what the console shows of the store, not how reports get
# there (center_reports.sh does that). With SOC_TEST_STORE=postgresql
# (integration.console_pg) the same runs with the center on a throwaway
# PostgreSQL (pg_lib.sh).
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"
. "$SOC_SRC/tests/integration/pg_lib.sh"

COLL="$SOC_BIN/collector/soccollector"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; stop_pg; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PW="correct horse battery"

start_broker "$T"
center_config "$T/center.yaml" "$T/center"
center_store "$T/center.yaml" || { fail "cannot start PostgreSQL"; finish; }
C=(-c "$T/center.yaml")

# --- loopback only ----------------------------------------------------------------
cp "$T/center.yaml" "$T/bad.yaml"
echo 'console: { listen: "0.0.0.0:8443" }' >>"$T/bad.yaml"
run "$COLL" -c "$T/bad.yaml" --check-config
expect_status 2
expect_err "console.listen: '0.0.0.0:8443': the endpoint has no authentication: only a loopback address"
expect_err "set console.tls_cert and console.tls_key"
# HTTPS with a configured certificate: any address; both files, and matching
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null || fail "openssl req"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null
cp "$T/center.yaml" "$T/tls.yaml"
echo "console: { listen: \"0.0.0.0:8443\", tls_cert: \"$T/tls.crt\", tls_key: \"$T/tls.key\" }" >>"$T/tls.yaml"
run "$COLL" -c "$T/tls.yaml" --check-config
expect_status 0
cp "$T/center.yaml" "$T/tls.yaml"
echo "console: { listen: \"0.0.0.0:8443\", tls_cert: \"$T/tls.crt\" }" >>"$T/tls.yaml"
run "$COLL" -c "$T/tls.yaml" --check-config
expect_status 2
expect_err "tls_cert and tls_key go together"
cp "$T/center.yaml" "$T/tls.yaml"
echo "console: { listen: \"0.0.0.0:8443\", tls_cert: \"$T/tls.crt\", tls_key: \"$T/other.key\" }" >>"$T/tls.yaml"
run "$COLL" -c "$T/tls.yaml" --check-config
expect_status 2
expect_err "console.tls_key: $T/other.key: "
expect_err "mismatch"
cp "$T/center.yaml" "$T/tls.yaml"
echo "console: { listen: \"0.0.0.0:8443\", tls_cert: \"$T/none.crt\", tls_key: \"$T/tls.key\" }" >>"$T/tls.yaml"
run "$COLL" -c "$T/tls.yaml" --check-config
expect_status 2
expect_err "console.tls_cert: $T/none.crt"
run "$COLL" "${C[@]}" --help-config
expect_out "console.listen"

# --- accounts ---------------------------------------------------------------------
add() { printf '%s\n' "$PW" | "$COLL" "${C[@]}" user add "$@"; }
run add ana --role analyst --agency A
expect_status 0
run add bob --role analyst --agency B
run add rev --role reviewer --authority 36
run add boss --role center
expect_status 0
run add ana --role analyst --agency A
expect_status 2
expect_err "ana exists already"
run add eve --role analyst
expect_status 2
expect_err "an analyst needs --agency"
run bash -c "echo short | '$COLL' -c '$T/center.yaml' user add eve --role center"
expect_status 2
expect_err "at least 12 characters"
run bash -c "printf '%s\n' '$PW' | '$COLL' -c '$T/center.yaml' user passwd nobody"
expect_status 2
expect_err "nobody is no account"
check_py "Argon2id hashes, never the password" '
import sys
rows = [r.split("|") for r in sys.argv[1].splitlines()]
assert [r[0] for r in rows] == ["ana", "bob", "boss", "rev"], rows
assert all(r[1].startswith("$argon2id$") and sys.argv[2] not in r[1] for r in rows), rows
assert ("rev", "36") == (rows[3][0], rows[3][4]) and rows[0][3] == "A", rows
assert sys.argv[3] == "4", sys.argv[3]
' "$(center_sql "select name, hash, role, agency, authority from console_user order by name")" "$PW" \
  "$(center_sql "select count(*) from audit where action = 'add' and actor like 'os:%'")"

# two agencies, one agent and one report each (A's agent reports to authority
# 36), in SQL both stores read
NOW=$(date +%s%N)
for x in agA:A:36:confirmed:85 agB:B:12:reported:NULL; do
  IFS=: read -r ag agency auth state rtt <<<"$x"
  center_sql "insert into agent(id, agency, authority, version, seen_ns, hb_ts, uptime_s,
      lag_lines, broker, counters, broker_rtt_ms) values ('$ag', '$agency', $auth, 't', $NOW, '',
      0, 0, '', '{}', $rtt);
    insert into report(id, agent, agency, level, state, category, revision, discovered_ns,
      received_ns, body) values ('$ag/1', '$ag', '$agency', 3, '$state', 'intrusion', 1, $NOW,
      $NOW, '{\"id\":\"$ag/1\",\"secret\":\"of-$agency\"}');
    insert into message(topic, partition, \"offset\", agent, key, received_ns, body) values
      ('soc.incidents', 0, $auth, '$ag', 'h', $NOW, '{\"id\":1,\"level\":3,\"rule\":{\"title\":\"rule-of-$agency\"},\"status\":\"open\",\"report_due\":\"2030-01-01T00:00:00Z\",\"clause\":{\"ref\":\"4.1\"}}');
    insert into message(topic, partition, \"offset\", agent, key, received_ns, body) values
      ('soc.alerts', 0, $auth, '$ag', 'h', $NOW, '{\"alert\":7,\"draft\":1,\"level\":3,\"rule\":{\"name\":\"alert-of-$agency\"},\"agent\":{\"agency\":\"$agency\"},\"source\":{\"ip\":\"203.0.113.9\"}}');" ||
    fail "cannot seed the store"
done

# --- the console ------------------------------------------------------------------
PORT=$(free_port)
echo "console: { listen: \"127.0.0.1:$PORT\" }" >>"$T/center.yaml"
"$COLL" "${C[@]}" 2>"$T/coll.err" &
CPID=$!
up() { curl -s -o /dev/null "http://127.0.0.1:$PORT/login"; }
wait_for 30 "the console listening" up
CHECKS=$((CHECKS + 1))
python3 "$SOC_SRC/tests/integration/console_check.py" "$PORT" "$PW" agA/1 agB/1 ||
  { FAILS=$((FAILS + 1)); echo "FAIL: console_check.py" >&2; }

# a disabled account's open session ends at its next request
cookie=$(curl -s -o /dev/null -D - --data-urlencode "user=boss" --data-urlencode "password=$PW" \
  "http://127.0.0.1:$PORT/login" | sed -n 's/^Set-Cookie: \(soc_session=[0-9a-f]*\).*/\1/p')
run curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT/agents"
expect_out 200
run "$COLL" "${C[@]}" user disable boss
expect_status 0
run curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT/agents"
expect_out 303
check_py "every action in the audit with its account" '
import sys
acts = set(tuple(r.split("|")) for r in sys.argv[1].splitlines())
for want in [("ana", "login"), ("ana", "login-failed"), ("ana", "note"), ("ana", "logout"),
             ("ana", "refused"), ("bob", "login-locked"), ("ana", "view"), ("os:" + sys.argv[2], "disable")]:
    assert want in acts, (want, acts)
' "$(center_sql "select actor, action from audit")" "$(id -un)"

# --- HTTPS in the collector -----------------------------------------------------------
kill "$CPID" && wait "$CPID" 2>/dev/null
SPORT=$(free_port)
echo "console: { listen: \"127.0.0.1:$SPORT\", tls_cert: \"$T/tls.crt\", tls_key: \"$T/tls.key\" }" >>"$T/tls2.yaml"
grep -v '^console:' "$T/center.yaml" >"$T/https.yaml"
cat "$T/tls2.yaml" >>"$T/https.yaml"
"$COLL" -c "$T/https.yaml" 2>"$T/https.err" &
sup() { curl -sk -o /dev/null "https://127.0.0.1:$SPORT/login"; }
wait_for 30 "the console listening over TLS" sup
grep -q "console at https://127.0.0.1:$SPORT/" "$T/https.err" || fail "the HTTPS address not said: $(cat "$T/https.err")"
run curl -sk -w '%{http_code}' "https://127.0.0.1:$SPORT/login"
expect_out 200
expect_out "登入"
run curl -s --cacert "$T/tls.crt" -o /dev/null -w '%{http_code}' "https://localhost:$SPORT/login"
expect_out 200
# plain HTTP to the TLS port gets no page
run curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/login"
[ "$OUT" != 200 ] || fail "plain HTTP answered on the HTTPS port"
# log in over TLS: the cookie is Secure; the session works through the front
hdrs=$(curl -sk -o /dev/null -D - --data-urlencode "user=ana" --data-urlencode "password=$PW" \
  "https://127.0.0.1:$SPORT/login")
grep -qi '^Set-Cookie: soc_session=[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict; Secure' <<<"$hdrs" ||
  fail "no Secure session cookie over TLS: $hdrs"
cookie=$(sed -n 's/^Set-Cookie: \(soc_session=[0-9a-f]*\).*/\1/p' <<<"$hdrs")
run curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/"
expect_out 200
# a TLS client that stops in the middle of its handshake holds one of the
# front's workers, not the console: curl's page comes while the stalled
# connection is still open (served one at a time, curl would wait until the
# front dropped the stalled one)
check_py "a page over TLS while another client stalls its handshake" '
import select, socket, subprocess, sys
port = int(sys.argv[1])
stall = socket.create_connection(("127.0.0.1", port), timeout=30)
stall.send(b"\x16\x03\x01")
out = subprocess.run(["curl", "-sk", "-m", "30", "-o", "/dev/null", "-w", "%{http_code}",
                      "https://127.0.0.1:%d/login" % port], capture_output=True, text=True)
assert out.stdout == "200", "curl: %r %r" % (out.stdout, out.stderr)
assert not select.select([stall], [], [], 0)[0], "the stalled handshake was dropped first"
' "$SPORT"

# --- the audit is a hash chain: intact, then one entry edited -------------------------
run add cto --role center
expect_status 0
hdrs=$(curl -sk -o /dev/null -D - --data-urlencode "user=cto" --data-urlencode "password=$PW" \
  "https://127.0.0.1:$SPORT/login")
cookie=$(sed -n 's/^Set-Cookie: \(soc_session=[0-9a-f]*\).*/\1/p' <<<"$hdrs")
run curl -sk -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/audit"
expect_out "稽核鏈完整"
expect_out "<td>note</td>"
check_py "the console's chain verifies as the agent's does" '
import sys
rows = [r.split("|") for r in sys.argv[1].splitlines()]
assert len(rows) > 20 and rows[0][1] == "0" * 64, rows[:2]
assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows))), "a broken link"
assert sys.argv[2].endswith(rows[-1][2]), sys.argv[2]
' "$(center_sql "select seq, prev_hash, hash from audit order by seq")" \
  "$(center_sql "select value from meta where key = 'audit.head'")"
# the center's campaigns: one address both agencies' alerts name; not for analysts
run curl -sk -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/campaigns"
expect_out "<td>source.ip</td><td>203.0.113.9</td><td>2</td><td>2</td>"
expect_out "A (1), B (1)"
hdrs=$(curl -sk -o /dev/null -D - --data-urlencode "user=ana" --data-urlencode "password=$PW" \
  "https://127.0.0.1:$SPORT/login")
acookie=$(sed -n 's/^Set-Cookie: \(soc_session=[0-9a-f]*\).*/\1/p' <<<"$hdrs")
run curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: $acookie" "https://127.0.0.1:$SPORT/campaigns"
expect_out 404
# the notices to the campaign's agencies, from the page: center staff only,
# with the CSRF token, once per agency (as `soccollector campaigns`), audited
csrf_in() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$1" | head -1; }
ctok=$(csrf_in "$(curl -sk -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/campaigns")")
atok=$(csrf_in "$(curl -sk -H "Cookie: $acookie" "https://127.0.0.1:$SPORT/")")
notify() { curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $1" -d "days=1&csrf=$2" \
  "https://127.0.0.1:$SPORT/campaigns/notify"; }
notices() { center_sql "select count(*) from decision where kind = 'notice'"; }
run notify "$cookie" ""
expect_out 403
run notify "$acookie" "$atok"
expect_out 404
[ "$(notices)" = 0 ] || fail "a refused notify recorded notices: $(notices)"
run notify "$cookie" "$ctok"
expect_out "303 https://127.0.0.1:$SPORT/campaigns?days=1&notified=2"
[ "$(notices)" = 2 ] || fail "expected a notice to each of the 2 agencies: $(notices)"
run notify "$cookie" "$ctok"
expect_out "notified=0"
[ "$(notices)" = 2 ] || fail "notices recorded twice: $(notices)"
run curl -sk -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/campaigns?days=1&notified=2"
expect_out '<p id="notified">已記錄的機關通知: 2</p>'
[ "$(center_sql "select count(*) from audit where action = 'notify' and actor = 'cto'")" = 2 ] ||
  fail "the notifications are not in the audit"
# the collector may be writing (the notices just sent): wait for the lock
center_sql "update audit set details = '{\"detail\":\"nothing\"}' where seq = 3"
run curl -sk -H "Cookie: $cookie" "https://127.0.0.1:$SPORT/audit"
expect_out "稽核鏈遭竄改 #3"
finish
