#!/bin/bash
# Sigma's web rules on web server access logs (docs/SIGMA.md, format: access):
# - socctl rules test --format access: each attack line of an nginx/Apache
#   combined log fires its SigmaHQ webserver rule, a clean log fires none,
#   a forward proxy's log (absolute-form targets, CONNECT) fires proxy rules;
# - the syslog format: nginx's access_log syslog: lines (program nginx) get
#   the same fields; Apache's and nginx's error lines fire the
#   service: apache / nginx rules;
# - the agent's file input with format: access raises the same alerts, takes
#   the lines' own times, and counts the one line that is no access log as a
#   parse failure; socagent --check-config takes the format.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

CTL="$SOC_BIN/ctl/socctl"
AGENT="$SOC_BIN/agent/socagent"
WEB="$SOC_SRC/rules/sigma/web"
DATA="$SOC_TEST_DATA/sigma/web"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# the rule ids that fire in socctl's output, sorted
fired() { grep -o '^[0-9a-f-]\{36\} ' <<<"$OUT" | sort | tr -d ' ' | tr '\n' ' '; }
expect_fired() { # description ids...
  local want
  want=$( ((${#@} > 1)) && printf '%s\n' "${@:2}" | sort | tr '\n' ' ')
  CHECKS=$((CHECKS + 1))
  [ "$(fired)" = "$want" ] || fail "$1: fired '$(fired)', expected '$want'"
}

PATH_TRAVERSAL=7745c2ea-24a5-4290-b680-04359cb84b35
GIT_ENUM=953d460b-f810-420a-97a2-cfca4c98e602
F5_BASH=85254a62-22be-4239-b79c-2ec17e566c37
XSS=65354b83-a2ea-4ea6-8414-3ab38be0d409
RECON_UA=19aa4f58-94ca-45ff-bc34-92e533c0994a
WEBSHELL=7ff9db12-1b94-4a79-ba68-a2402c5d6729
PROXY_UA=fdd1bfb5-f60b-4a35-910e-f36ed3d0b32f
APACHE_SEGV=1da8ce0b-855d-4004-8860-7d64d42063b1
NGINX_CORE=59ec40bb-322e-40ab-808d-84fa690d7e56

run "$CTL" rules test --sigma "$WEB" --format access "$DATA/attacks.log"
expect_status 0
expect_err "socctl rules test: 41 Sigma rule(s) loaded, 0 refused"
expect_fired "attacks" $PATH_TRAVERSAL $GIT_ENUM $F5_BASH $XSS $RECON_UA $WEBSHELL
# the line's own time (+0100 taken), the client and the author
expect_out "$XSS key=- count=1 first=2026-12-06T20:16:40.000Z"
expect_out 'author="Saw Win Naung, Nasreddine Bencherchali": 203.0.113.80 - -'
run "$CTL" rules test --sigma "$WEB" --format access "$DATA/clean.log"
expect_status 0
expect_fired "a clean web server log"
run "$CTL" rules test --sigma "$WEB" --format access "$DATA/proxy.log"
expect_fired "a forward proxy's log" $PROXY_UA
# the same lines without format: access are no HTTP events
run "$CTL" rules test --sigma "$WEB" "$DATA/attacks.log"
expect_fired "attacks read as syslog (raw lines)"
run "$CTL" rules test --sigma "$WEB" "$DATA/nginx_syslog.log"
expect_fired "nginx over syslog" $RECON_UA $NGINX_CORE
run "$CTL" rules test --sigma "$WEB" "$DATA/error.log"
expect_fired "Apache's error log" $APACHE_SEGV
run "$CTL" rules test --sigma "$WEB" --format xml "$DATA/error.log"
expect_status 2
expect_err "expected syslog, json, auditd or access"

# the agent: file inputs with format: access, and the syslog format
mkdir -p "$T/state" "$T/logs"
cp "$DATA"/*.log "$T/logs/"
cat >"$T/agent.yaml" <<YAML
agent: { id: web01, agency: x, authority: 1, state_dir: $T/state }
contacts: [ { name: a, phone: "1" }, { name: b, phone: "2" } ]
inputs:
  - { type: file, id: access, paths: [ "$T/logs/attacks.log", "$T/logs/clean.log" ], format: access }
  - { type: file, id: proxy, paths: [ "$T/logs/proxy.log" ], format: access }
  - { type: file, id: errors, paths: [ "$T/logs/error.log", "$T/logs/nginx_syslog.log" ] }
  - { type: syslog, listen: "tcp://127.0.0.1:1514", format: access }
rules: { sigma: [ "$WEB" ] }
kafka: { brokers: "127.0.0.1:9" }
YAML
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 0
expect_err "rules.sigma: 41 Sigma rule(s) loaded, 0 refused"
sed -i '/tcp:\/\/127.0.0.1:1514/d' "$T/agent.yaml"
run "$AGENT" -c "$T/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/agent.yaml" alerts --json
check_py "the agent's alerts on access logs" '
import json, sys
a = json.loads(sys.argv[1])
got = sorted(x["rule"] for x in a)
want = sorted(sys.argv[2].split())
assert got == want, (got, want)
xss = [x for x in a if x["rule"] == "'$XSS'"][0]
assert xss["author"] == "Saw Win Naung, Nasreddine Bencherchali", xss' "$OUT" \
  "$PATH_TRAVERSAL $GIT_ENUM $F5_BASH $XSS $RECON_UA $WEBSHELL $PROXY_UA $RECON_UA $NGINX_CORE $APACHE_SEGV"
# the one line that is no access log, counted; the lines that are, not (the
# error log's lines have no syslog header: counted by the syslog format)
CHECKS=$((CHECKS + 1))
got=$(sqlite3 "$T/state/agent.db" "select input || '=' || value from counter where name = 'parse_failures' order by input" | tr '\n' ' ')
[ "$got" = "access=1 errors=3 proxy=0 " ] || fail "parse_failures: '$got', expected access=1 errors=3 proxy=0"
sed -i 's/format: access }/format: accesslog }/' "$T/agent.yaml"
run "$AGENT" -c "$T/agent.yaml" --check-config
expect_status 2
expect_err "format"

finish
