#!/bin/bash
# CrowdSec (Debian's crowdsec 1.4.6) replaying a syslog file, for the record
# beside bench/forward.sh's rows: `crowdsec -dsn file://FILE -type syslog
# -no-api` with its local API in a second process on loopback, both from a
# private copy of /etc/crowdsec (nothing under /etc or /var is written).
# Two rule sets: the sshd scenarios alone, then the default set Debian
# enables (sshd, HTTP probing, CVE scenarios). CPU and peak RSS are the
# replaying process's (the local API only stores the decisions).
#
#   bench/crowdsec.sh FILE [LINES]   LINES: the first LINES lines of FILE
#   (default: all); prints Markdown table rows, as bench/forward.sh does
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/lib.sh"
FILE=$1
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
if [ -n "${2:-}" ]; then head -n "$2" "$FILE" >"$W/input.log"; else cp "$FILE" "$W/input.log"; fi
N=$(wc -l <"$W/input.log")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# run NAME KEEP: the replay with the scenarios whose file name matches KEEP
run() {
  local c=$W/cs
  rm -rf "$c" && mkdir -p "$c/data"
  cp -a /etc/crowdsec "$c/etc"
  cp -a /var/lib/crowdsec/data/*.txt /var/lib/crowdsec/data/*regex* "$c/data/" 2>/dev/null || true
  find "$c/etc/scenarios" -name '*.yaml' ! -name "$2" -delete
  sed -e "s#/etc/crowdsec/#$c/etc/#g" -e "s#/var/lib/crowdsec/data/#$c/data/#g" \
    -e "s#log_dir: /var/log/#log_dir: $c/#" -e 's#daemonize: true#daemonize: false#' \
    -e "s#127.0.0.1:8080#127.0.0.1:$PORT#" -e 's#enabled: true#enabled: false#' \
    /etc/crowdsec/config.yaml >"$c/config.yaml"
  printf 'url: http://127.0.0.1:%s\n' "$PORT" >"$c/etc/local_api_credentials.yaml"
  cscli -c "$c/config.yaml" machines add bench --password "bench-$$-$RANDOM" \
    -f "$c/etc/local_api_credentials.yaml" >/dev/null 2>&1
  crowdsec -c "$c/config.yaml" -no-cs >/dev/null 2>&1 &
  local api=$!
  api_up() { (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
  until_true 30 api_up
  local t0 t1
  t0=$(now)
  /usr/bin/time -f "%U %S %M" -o "$c/time" crowdsec -c "$c/config.yaml" \
    -dsn "file://$W/input.log" -type syslog -no-api >/dev/null 2>&1
  t1=$(now)
  kill $api
  wait $api 2>/dev/null || true
  read -r u s m <"$c/time"
  row "$1" "$N" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$u + $s" | bc -l)" "$m"
}
run "crowdsec replay, sshd scenarios" 'ssh-*'
run "crowdsec replay, Debian's default scenarios" '*'
