#!/bin/bash
# The shipped log rule pack (rules/log/*.yaml), through `socctl rules test`:
# - every rule fires on tests/data/rules/<RULE-ID>.fire.log, exactly as many
#   times and for exactly the keys listed below, both with its own file alone
#   and with the whole pack (so no other rule of the pack fires there too);
# - nothing of the whole pack fires on any <RULE-ID>.quiet.log (benign lines
#   that look alike, and volumes just under the thresholds);
# - the pack loads in `socagent --check-config` with no error and no warning;
# - on real data (loghub's OpenSSH_2k.log): the brute-force rule names the
#   heavy sources, only the brute-force family fires, and the lines that are
#   not part of an attack raise nothing; loghub's Apache error log raises
#   nothing either.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"
AGENT="$SOC_BIN/agent/socagent"
RULES="$SOC_SRC/rules/log"
DATA="$SOC_TEST_DATA/rules"
LOGS="$SOC_TEST_DATA/logs"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

PACK=()
for f in "$RULES"/*.yaml; do PACK+=(-r "$f"); done

# The firings in $OUT (socctl's --json lines) as sorted "RULE=KEY" words.
firings() {
  python3 -c '
import json, sys
print(" ".join(sorted("%s=%s" % (d["rule"], d["key"]) for d in map(json.loads, filter(str.strip, sys.stdin)))))' <<<"$OUT"
}

# expect_firings WHAT "EXPECTED WORDS": the firings equal the words (any order).
expect_firings() {
  CHECKS=$((CHECKS + 1))
  local got want
  got=$(firings)
  want=$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort | paste -sd' ' -)
  [ "$got" = "$want" ] || fail "$1: fired [$got], expected [$want]"
}

# expect_field RULE KEY FIELD VALUE: the (first) firing of RULE for KEY carries
# FIELD=VALUE, an ECS field that the rule's captures set on the event ("None"
# for unset). KEY '*': some firing of RULE carries it.
expect_field() {
  CHECKS=$((CHECKS + 1))
  local got
  got=$(python3 -c '
import json, sys
rule, key, field, want = sys.argv[1:5]
got = []
for d in map(json.loads, filter(str.strip, sys.stdin)):
    if d["rule"] == rule and key in ("*", d["key"]):
        v = d["event"]
        for part in field.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        got.append(str(v))
print(want if key == "*" and want in got else (got[0] if got else "no firing"))' "$1" "$2" "$3" "$4" <<<"$OUT")
  [ "$got" = "$4" ] || fail "$1 key $2: $3 is '$got', expected '$4'"
}

# Each fixture and what it must raise. A word is RULE=KEY for one firing; the
# key is the correlation key, its fields joined by '|' ("" without correlate).
EXPECT='
SOC-SSH-001    SOC-SSH-001=203.0.113.7
SOC-SSH-002    SOC-SSH-002=198.51.100.23
SOC-SSH-003    SOC-SSH-001=198.51.100.40 SOC-SSH-001=203.0.113.7 SOC-SSH-001=198.51.100.23 SOC-SSH-003=203.0.113.7
SOC-SSH-004    SOC-SSH-004=db01|10.10.0.5 SOC-SSH-004=db01|2001:db8:10::66
SOC-AUTH-001   SOC-AUTH-001=220-135-151-1.hinet-ip.hinet.net SOC-AUTH-001=::ffff:203.0.113.45
SOC-AUTH-002   SOC-AUTH-002=web01|alice
SOC-AUTH-003   SOC-AUTH-003=web01|bob SOC-AUTH-003=web01|carol SOC-AUTH-003=db01|intern
SOC-AUTH-004   SOC-AUTH-004=web01|www-data SOC-AUTH-004=web01|tomcat SOC-AUTH-004=web02|apache
SOC-ACCT-001   SOC-ACCT-001=web01|backup2 SOC-ACCT-001=db01|svc_web
SOC-ACCT-002   SOC-ACCT-002=web01|toor SOC-ACCT-002=web01|backup2 SOC-ACCT-002=db01|oper
SOC-ACCT-003   SOC-ACCT-003=web01|backup2|sudo SOC-ACCT-003=web01|eve|docker SOC-ACCT-003=db01|oper|wheel SOC-ACCT-003=db01|alice,mallory|adm
SOC-WEB-001    SOC-WEB-001=203.0.113.50 SOC-WEB-001=198.51.100.77 SOC-WEB-001=192.0.2.33 SOC-WEB-001=2001:db8:4::1f
SOC-WEB-002    SOC-WEB-002=203.0.113.61 SOC-WEB-002=198.51.100.90 SOC-WEB-002=192.0.2.44
SOC-WEB-003    SOC-WEB-003=203.0.113.70 SOC-WEB-003=198.51.100.71 SOC-WEB-003=192.0.2.72 SOC-WEB-003=203.0.113.73
SOC-WEB-004    SOC-WEB-004=203.0.113.80 SOC-WEB-004=198.51.100.81 SOC-WEB-004=192.0.2.82 SOC-WEB-004=192.0.2.83
SOC-WEB-005    SOC-WEB-005=203.0.113.90 SOC-WEB-005=198.51.100.91 SOC-WEB-005=192.0.2.92
SOC-WEB-006    SOC-WEB-006=203.0.113.100
SOC-WEB-007    SOC-WEB-007=203.0.113.110 SOC-WEB-007=198.51.100.111 SOC-WEB-007=192.0.2.112 SOC-WEB-007=2001:db8:7::20
SOC-FW-001     SOC-FW-001=203.0.113.120
SOC-FW-002     SOC-FW-002=198.51.100.10|443
SOC-FW-003     SOC-FW-003=198.51.100.10
SOC-SYS-001    SOC-SYS-001=web01|nginx.service SOC-SYS-001=web01|php8.2-fpm.service SOC-SYS-001=db01|mariadb.service SOC-SYS-001=app01|tomcat8.service
SOC-SYS-002    SOC-SYS-002=app01 SOC-SYS-002=db01 SOC-SYS-001=app01|tomcat10.service
SOC-SYS-003    SOC-SYS-003=web01 SOC-SYS-003=db01 SOC-SYS-003=app01
SOC-TAMPER-001 SOC-TAMPER-001= SOC-TAMPER-001= SOC-TAMPER-001= SOC-TAMPER-001= SOC-TAMPER-001= SOC-TAMPER-001= SOC-TAMPER-001=
SOC-TAMPER-002 SOC-TAMPER-002= SOC-TAMPER-002= SOC-TAMPER-002= SOC-TAMPER-002= SOC-TAMPER-002= SOC-TAMPER-002=
'

# Every rule of the pack has a fixture pair and a line above, and every
# fixture belongs to a rule of the pack.
ids=$(sed -n 's/^- id: \(SOC-[A-Z]*-[0-9]*\)$/\1/p' "$RULES"/*.yaml | sort)
CHECKS=$((CHECKS + 1))
[ -n "$ids" ] || fail "no rule ids found in $RULES"
for id in $ids; do
  CHECKS=$((CHECKS + 1))
  [ -f "$DATA/$id.fire.log" ] && [ -f "$DATA/$id.quiet.log" ] || fail "$id: no fixture pair in $DATA"
  CHECKS=$((CHECKS + 1))
  grep -q "^$id " <<<"$EXPECT" || fail "$id: no expectation in rule_pack.sh"
done
for f in "$DATA"/*.log; do
  id=$(basename "$f" | sed 's/\.\(fire\|quiet\)\.log$//')
  CHECKS=$((CHECKS + 1))
  grep -qx "$id" <<<"$ids" || fail "$f: no rule $id in the pack"
done

while read -r id want; do
  [ -n "$id" ] || continue
  own=$(grep -l "^- id: $id\$" "$RULES"/*.yaml)

  # the rule's own file, alone
  run "$CTL" rules test -r "$own" --json "$DATA/$id.fire.log"
  expect_status 0
  expect_firings "$id.fire.log with $(basename "$own")" "$want"
  run "$CTL" rules test -r "$own" --json "$DATA/$id.quiet.log"
  expect_status 0
  expect_firings "$id.quiet.log with $(basename "$own")" ""

  # the whole pack: no other rule joins in
  run "$CTL" rules test "${PACK[@]}" --json "$DATA/$id.fire.log"
  expect_status 0
  expect_firings "$id.fire.log with the pack" "$want"
  run "$CTL" rules test "${PACK[@]}" --json "$DATA/$id.quiet.log"
  expect_status 0
  expect_firings "$id.quiet.log with the pack" ""
done <<<"$EXPECT"

# Spot checks of the captures: the ECS fields a draft is built from.
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-SSH-003.fire.log"
expect_field SOC-SSH-003 203.0.113.7 user.name backup
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-AUTH-001.fire.log"
expect_field SOC-AUTH-001 ::ffff:203.0.113.45 source.ip ::ffff:203.0.113.45
expect_field SOC-AUTH-001 220-135-151-1.hinet-ip.hinet.net source.ip None
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-AUTH-004.fire.log"
expect_field SOC-AUTH-004 "web01|www-data" process.command_line /usr/bin/id
expect_field SOC-AUTH-004 "web02|apache" user.effective.name root
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-ACCT-003.fire.log"
expect_field SOC-ACCT-003 "web01|eve|docker" user.name root
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-WEB-003.fire.log"
expect_field SOC-WEB-003 203.0.113.70 url.original "/download.php?file=../../../../etc/passwd"
expect_field SOC-WEB-003 203.0.113.70 http.response.status_code 200
expect_field SOC-WEB-003 203.0.113.70 http.request.method GET
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-WEB-007.fire.log"
expect_field SOC-WEB-007 203.0.113.110 user_agent.original "sqlmap/1.7.11#stable (https://sqlmap.org)"
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-FW-001.fire.log"
expect_field SOC-FW-001 203.0.113.120 destination.ip 198.51.100.10
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-SYS-002.fire.log"
expect_field SOC-SYS-002 app01 process.name java
expect_field SOC-SYS-002 db01 process.pid 3145
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-SYS-003.fire.log"
expect_field SOC-SYS-003 web01 file.path /var/log/nginx/access.log
run "$CTL" rules test "${PACK[@]}" --json "$DATA/SOC-TAMPER-001.fire.log"
expect_field SOC-TAMPER-001 "*" file.path /var/log/audit/audit.log
expect_field SOC-TAMPER-001 "*" process.command_line "/usr/bin/cp /dev/null /var/log/lastlog"

# The whole pack in an agent configuration: it loads, with no error and no
# warning about any rule (a regex without a literal for the prefilter would
# be warned about).
cat > "$T/pack.yaml" <<YAML
agent: { id: a, agency: x, authority: 1 }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
rules: { log: [ "$RULES/*.yaml" ] }
kafka: { brokers: "127.0.0.1:9092" }
YAML
run "$AGENT" -c "$T/pack.yaml" --check-config
expect_status 0
expect_out "configuration OK"
CHECKS=$((CHECKS + 1))
! grep -q "rules/log" <<<"$OUT$ERR" || fail "--check-config has something to say about the pack"
run "$CTL" rules test "${PACK[@]}" --stats /dev/null
expect_status 0
expect_err "(unanchored 0,"

# Acceptance on real data: loghub's OpenSSH_2k.log (one day of a server on
# the Internet, Dec 10). The sources with the most failed passwords, counted
# the way SOC-SSH-001 counts (rsyslog's "message repeated" lines aside):
#
#   grep -E 'Failed (password|keyboard-interactive/pam) for' OpenSSH_2k.log |
#     grep -v 'message repeated' | grep -oE 'from [0-9.]+ port' |
#     awk '{print $2}' | sort | uniq -c | sort -rn | head -8
#
#     286 183.62.140.253     10:54-11:04
#      80 187.141.143.180    09:12-09:20
#      46 103.99.0.122       09:11-09:12 and 11:03-11:04
#      26 112.95.230.3       07:27-07:28
#      18 5.188.10.180       08:24-08:26
#      17 185.190.58.151     09:07-09:12
#       7 123.235.32.19      below the threshold (10 in 5 minutes)
#       6 119.4.203.64
#
# The six heavy sources each pass 10 failures in 5 minutes; nobody else does.
# 103.99.0.122 came back after the 30 minutes of suppression and fires twice.
run "$CTL" rules test -r "$RULES/ssh.yaml" --json "$LOGS/OpenSSH_2k.log"
expect_status 0
expect_out '"rule":"SOC-SSH-001","title":"SSH brute force from one address","key":"183.62.140.253"'
CHECKS=$((CHECKS + 1))
got=$(python3 -c '
import json, sys
print(" ".join(sorted({d["key"] for d in map(json.loads, filter(str.strip, sys.stdin)) if d["rule"] == "SOC-SSH-001"})))' <<<"$OUT")
want="103.99.0.122 112.95.230.3 183.62.140.253 185.190.58.151 187.141.143.180 5.188.10.180"
[ "$got" = "$want" ] || fail "OpenSSH_2k.log: SOC-SSH-001 named [$got], expected [$want]"

# With the whole pack, only the brute-force family fires: SOC-SSH-001,
# SOC-SSH-002 (the same sources trying many invalid names) and SOC-AUTH-001
# (PAM's view of the same failures); not a login, session or disconnect.
run "$CTL" rules test "${PACK[@]}" --json "$LOGS/OpenSSH_2k.log"
expect_status 0
CHECKS=$((CHECKS + 1))
other=$(python3 -c '
import json, sys
print(" ".join(sorted({d["rule"] for d in map(json.loads, filter(str.strip, sys.stdin))} - {"SOC-SSH-001", "SOC-SSH-002", "SOC-AUTH-001"})))' <<<"$OUT")
[ -z "$other" ] || fail "OpenSSH_2k.log: rules outside the brute-force family fired: $other"

# The lines that are not part of an attack (logins, sessions, disconnects,
# closed connections: 516 of the 2000) raise nothing at all.
grep -v -E 'Failed |Invalid user|invalid user|authentication failure|POSSIBLE BREAK-IN|check pass; user unknown|ignoring max retries|message repeated|Too many authentication failures' \
  "$LOGS/OpenSSH_2k.log" > "$T/benign.log"
CHECKS=$((CHECKS + 1))
[ "$(wc -l < "$T/benign.log")" -eq 516 ] || fail "benign subset of OpenSSH_2k.log: $(wc -l < "$T/benign.log") lines, expected 516"
run "$CTL" rules test "${PACK[@]}" --json "$T/benign.log"
expect_status 0
expect_firings "benign lines of OpenSSH_2k.log" ""

# loghub's Apache error log (mod_jk notices, "Directory index forbidden"):
# not one firing.
run "$CTL" rules test "${PACK[@]}" --json "$LOGS/Apache_2k.log"
expect_status 0
expect_firings "Apache_2k.log" ""

finish
