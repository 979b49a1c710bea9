#!/bin/bash
# socbroker, the Kafka-protocol broker the other integration tests and the
# demo run against, checked with a client that is not ours (kcat): the
# topics and their partitions, 1000 keyed messages there and back, counted
# with the high watermarks as the broker's limits ask; an outage (SIGUSR1)
# in which a producer gets no delivery and the undelivered message never
# appears, and the recovery (SIGUSR2) for a new and for a long-lived client;
# the stdin control protocol on a three-broker cluster; clean exits. Every
# wait is bounded, every address is on loopback.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

BROKER="$SOC_BIN/tests/broker/socbroker"
T=$(mktemp -d)
PID="" PID2="" CONSUMER=""
cleanup() {
  for p in $CONSUMER $PID $PID2; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

check() { # check DESCRIPTION COMMAND...: one check that COMMAND succeeds
  local what=$1
  shift
  CHECKS=$((CHECKS + 1))
  "$@" || fail "$what"
}

# wait_text FILE TEXT SECONDS: until FILE holds TEXT (a fixed string)
wait_text() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# wait_exit PID SECONDS: reaps PID into STATUS; one still running after
# SECONDS is a hang, killed so that the status says so (137)
wait_exit() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z* | "") break ;; esac
    sleep 0.05
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1"
  STATUS=$?
}

# high_watermark ADDR TOPIC PARTITIONS: the sum of the partitions' high
# watermarks (the offset for "latest", timestamp -1)
high_watermark() {
  local args=() p
  for ((p = 0; p < $3; p++)); do args+=(-t "$2:$p:-1"); done
  timeout 20 kcat -Q -b "$1" "${args[@]}" 2>/dev/null |
    awk '/ offset /{ s += $NF } END { print s + 0 }'
}

# --- usage ------------------------------------------------------------------
run "$BROKER" --help
expect_status 0
expect_out "--bootstrap-file"
expect_out "5 MB"
run "$BROKER" --no-such-flag
expect_status 2
run "$BROKER" --brokers 0
expect_status 2
expect_err "--brokers: expected 1 to"
run "$BROKER" --rtt 10001
expect_status 2
expect_err "--rtt: expected 0 to 10000 (ms), got '10001'"
run "$BROKER" --rtt 5ms
expect_status 2
expect_err "--rtt: expected 0 to 10000 (ms), got '5ms'"
run "$BROKER" --topics "ok,not ok"
expect_status 2
expect_err "'not ok' is not a valid topic name"

# --- start: the address in the file, on stdout, and the pid -------------------
"$BROKER" --prefix soc --bootstrap-file "$T/bootstrap" --pid-file "$T/pid" \
  </dev/null >"$T/broker.out" 2>"$T/broker.err" &
PID=$!
LAST="socbroker --prefix soc --bootstrap-file $T/bootstrap --pid-file $T/pid" OUT="" ERR=""
for ((i = 0; i < 200; i++)); do [ -s "$T/bootstrap" ] && break; sleep 0.05; done
if [ ! -s "$T/bootstrap" ]; then
  ERR=$(cat "$T/broker.err")
  fail "no bootstrap file after 10 s"
  finish
fi
ADDR=$(cat "$T/bootstrap")
check "bootstrap address on loopback: '$ADDR'" grep -qE '^127\.0\.0\.1:[0-9]+$' "$T/bootstrap"
check "stdout's first line is the address" wait_text "$T/broker.out" "$ADDR" 5
check "first stdout line" [ "$(head -n1 "$T/broker.out")" = "$ADDR" ]
check "pid file holds the pid" [ "$(cat "$T/pid" 2>/dev/null)" = "$PID" ]

# --- metadata: seven topics of four partitions ---------------------------------
run timeout 20 kcat -L -b "$ADDR"
expect_status 0
expect_out " 1 brokers:"
for t in events netflow alerts incidents reports evidence heartbeat; do
  expect_out "topic \"soc.$t\" with 4 partitions:"
done
expect_out " 7 topics:"

# --- 1000 keyed messages there and back ----------------------------------------
for ((i = 0; i < 1000; i++)); do echo "host$((i % 37)):event $i from host$((i % 37))"; done >"$T/sent"
run timeout 60 kcat -P -b "$ADDR" -t soc.events -K: -l "$T/sent"
expect_status 0
run timeout 60 kcat -C -b "$ADDR" -t soc.events -o beginning -e -q -f '%k:%s\n'
expect_status 0
printf '%s\n' "$OUT" | sort >"$T/got"
sort "$T/sent" >"$T/sent.sorted"
check "1000 messages back, got $(wc -l <"$T/got")" [ "$(wc -l <"$T/got")" -eq 1000 ]
check "the same keys and values" cmp -s "$T/sent.sorted" "$T/got"
# Same key, same partition: each key's values come back in the order sent.
run timeout 60 kcat -C -b "$ADDR" -t soc.events -o beginning -e -q -f '%p %k:%s\n'
check "one partition per key" [ "$(awk '{ split($2, k, ":"); print k[1], $1 }' <<<"$OUT" |
  sort -u | cut -d' ' -f1 | uniq -d | wc -l)" -eq 0 ]
HW=$(high_watermark "$ADDR" soc.events 4)
check "high watermarks sum to 1000, got $HW" [ "$HW" -eq 1000 ]

# --- outage: every broker down (SIGUSR1) -----------------------------------------
# A consumer that lives through the outage; a short reconnect backoff so
# that it notices the broker is back within a second, as our clients will.
timeout 120 kcat -E -C -u -b "$ADDR" -t soc.events -o end -f '%k:%s\n' \
  -X reconnect.backoff.max.ms=500 >"$T/live.out" 2>"$T/live.err" &
CONSUMER=$!
# Ready when it has read a marker sent after it started (a fixed sleep is
# not enough on a loaded machine: with -o end, a consumer that had not yet
# fetched its offsets would start after the messages the test looks for).
for ((i = 0; i < 100; i++)); do
  echo "ready:marker $i" | timeout 10 kcat -P -b "$ADDR" -t soc.events -K: >/dev/null 2>&1
  grep -q '^ready:' "$T/live.out" 2>/dev/null && break
  sleep 0.2
done
kill -USR1 "$PID"
check "broker reports itself down" wait_text "$T/broker.err" "socbroker: broker 1 down" 5
echo "lost:sent while down" >"$T/down"
run timeout 30 kcat -E -P -b "$ADDR" -t soc.events -K: -X message.timeout.ms=2000 -l "$T/down"
check "producer fails while down (status $STATUS)" [ "$STATUS" -eq 1 ]
expect_err "Message timed out"
run timeout 20 kcat -L -b "$ADDR" -m 2
check "metadata fails while down (status $STATUS)" [ "$STATUS" -ne 0 ]

# --- recovery (SIGUSR2) ---------------------------------------------------------
kill -USR2 "$PID"
check "broker reports itself up" wait_text "$T/broker.err" "socbroker: broker 1 up" 5
for ((i = 0; i < 10; i++)); do echo "back:after $i"; done >"$T/after"
# The default message timeout: librdkafka reconnects on its own backoff.
run timeout 30 kcat -P -b "$ADDR" -t soc.events -K: -l "$T/after"
expect_status 0
run timeout 30 kcat -C -b "$ADDR" -t soc.events -o beginning -e -q -f '%k:%s\n'
expect_status 0
MARKERS=$(grep -c '^ready:' <<<"$OUT")
check "1010 messages after the outage (and $MARKERS marker(s))" \
  [ "$(grep -vc '^ready:' <<<"$OUT")" -eq 1010 ]
expect_out "back:after 9"
expect_no_out "lost:sent while down"
HW=$(high_watermark "$ADDR" soc.events 4)
check "high watermarks sum to 1010 + markers, got $HW" [ "$HW" -eq $((1010 + MARKERS)) ]
check "the long-lived consumer got all ten after the outage" \
  wait_text "$T/live.out" "back:after 9" 15
check "... and nothing lost in it" [ "$(grep -c '^back:' "$T/live.out")" -eq 10 ]
kill "$CONSUMER" 2>/dev/null
wait "$CONSUMER" 2>/dev/null
CONSUMER=""

# --- stdin control on three brokers ---------------------------------------------
mkfifo "$T/ctl"
"$BROKER" --brokers 3 --partitions 2 --topics a,b --topics a \
  <"$T/ctl" >"$T/b2.out" 2>"$T/b2.err" &
PID2=$!
exec 7>"$T/ctl"
LAST="socbroker --brokers 3 --partitions 2 --topics a,b (commands on stdin)" OUT="" ERR=""
check "three addresses on stdout" wait_text "$T/b2.out" "," 10
ADDR2=$(head -n1 "$T/b2.out")
check "three loopback addresses: '$ADDR2'" \
  grep -qE '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' <<<"$ADDR2"
run timeout 20 kcat -L -b "$ADDR2"
expect_out " 3 brokers:"
expect_out " 2 topics:"
expect_out "topic \"a\" with 2 partitions:"
expect_out "replicas: 1,2,3" # replication factor min(3, N)
printf 'down 2\nstatus\nfrob\ndown 4\nup\n' >&7
check "down 2 acknowledged" wait_text "$T/b2.out" "ok down 2" 5
check "status" wait_text "$T/b2.out" "ok 1=up 2=down 3=up" 5
check "unknown command refused" wait_text "$T/b2.out" "error: unknown command 'frob'" 5
check "no broker 4" wait_text "$T/b2.out" "error: no broker '4'" 5
check "up acknowledged" wait_text "$T/b2.out" "ok up all" 5
check "status line on stderr" wait_text "$T/b2.err" "socbroker: broker 2 down" 5
check "broker 2 back up" wait_text "$T/b2.err" "socbroker: broker 2 up" 5
echo quit >&7
check "quit acknowledged" wait_text "$T/b2.out" "ok quit" 5
exec 7>&-
wait_exit "$PID2" 10
PID2=""
expect_status 0

# --- stop: stdin at EOF all along did not stop it; SIGTERM does ---------------------
LAST="socbroker --prefix soc (stopped by SIGTERM)" OUT="" ERR=$(cat "$T/broker.err")
check "still running with stdin at EOF" kill -0 "$PID"
kill -TERM "$PID"
wait_exit "$PID" 10
PID=""
expect_status 0
check "bootstrap file removed on exit" [ ! -e "$T/bootstrap" ]
check "pid file removed on exit" [ ! -e "$T/pid" ]

finish
