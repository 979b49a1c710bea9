# Shared by the forwarding tests: a development broker (tests/broker) on
# loopback, an agent config that points at it, and waiting for the
# forwarder to catch up.

BROKER_PID=""
start_broker() { # dir [socbroker args...]
  local dir=$1
  shift
  rm -f "$dir/bootstrap"
  BROKER_DIR=$dir
  "$SOC_BIN/tests/broker/socbroker" --prefix soc --bootstrap-file "$dir/bootstrap" "$@" \
    </dev/null >"$dir/broker.out" 2>"$dir/broker.err" &
  BROKER_PID=$!
  for _ in $(seq 100); do
    [ -s "$dir/bootstrap" ] && break
    kill -0 "$BROKER_PID" 2>/dev/null || break
    sleep 0.05
  done
  # Without an address every later check fails for a reason that is not
  # the test's: say so once, with the broker's own words, and stop.
  if [ ! -s "$dir/bootstrap" ]; then
    echo "FAIL: the development broker did not start (pid $BROKER_PID$(kill -0 "$BROKER_PID" 2>/dev/null || echo ', exited')): $(tail -5 "$dir/broker.err" 2>/dev/null)" >&2
    exit 1
  fi
  BOOTSTRAP=$(cat "$dir/bootstrap")
}

# For fail (lib.sh): a broker that went away under a test explains most of
# what fails after it, and it left its reason in broker.err.
broker_gone_note() {
  [ -n "${BROKER_PID:-}" ] && ! kill -0 "$BROKER_PID" 2>/dev/null || return 0
  echo "  the development broker (pid $BROKER_PID) is gone; its stderr: $(tail -5 "$BROKER_DIR/broker.err" 2>/dev/null)" >&2
}

stop_broker() {
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  BROKER_PID=""
}

# agent_config dir id glob [extra yaml for kafka]
agent_config() {
  cat >"$1/agent.yaml" <<YAML
agent: { id: $2, agency: test, authority: 36, state_dir: state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs:
  - { type: file, id: app, paths: [ "$3" ], poll_interval: 20ms, rotate_wait: 200ms }
journal: { commit_interval: 50ms }
kafka: { brokers: "$BOOTSTRAP", heartbeat_interval: 1s, flush_timeout: 5s ${4:-} }
YAML
}

# lag_of cfg: lines in the journal not yet delivered, or -1
lag_of() {
  "$SOC_BIN/ctl/socctl" -c "$1" status --json 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["forward"]["lag_lines"])' 2>/dev/null ||
    echo -1
}

# wait_delivered cfg lines timeout_s: until the journal holds `lines` lines and
# all of them are delivered. It looks at least once: with a timeout of 1 s
# (one look, inside wait_for) a second that turned between reading the clock
# for the deadline and for the loop left the loop unrun and `lines` unset,
# and set -u then ended the whole test without a word (wait_for sends the
# call's stderr to /dev/null): integration.idle failed so once in CI.
wait_delivered() {
  local deadline=$(($(date +%s) + $3)) lines=""
  while :; do
    lines=$("$SOC_BIN/ctl/socctl" -c "$1" status --json 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["journal"]["lines"], d["forward"]["lag_lines"])' 2>/dev/null)
    [ "$lines" = "$2 0" ] && return 0
    [ "$(date +%s)" -lt $deadline ] || break
    sleep 0.2
  done
  echo "wait_delivered: gave up at '$lines' (journal lines, lag)" >&2
  return 1
}

# consume topic -> stdout, '%p\t%o\t%k\t%s\n' a line per event: a message of
# joined events (kafka.events_per_message) is split into its events, each
# with its own key (kafka_events.py)
consume() {
  timeout 60 kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -J 2>/dev/null |
    python3 "$SOC_SRC/tests/integration/kafka_events.py"
}

# enroll_agent center_cfg agent_cfg: makes the agent's key (as its first
# start would) and enrols it at the center, as an operator does
enroll_agent() {
  local out id agency key
  out=$("$SOC_BIN/agent/socagent" -c "$2" --print-key) || return 1
  id=$(sed -n 's/^agent: *\([^ ]*\) (agency .*)$/\1/p' <<<"$out")
  agency=$(sed -n 's/^agent: *[^ ]* (agency \(.*\))$/\1/p' <<<"$out")
  key=$(sed -n 's/^public key: *//p' <<<"$out")
  "$SOC_BIN/collector/soccollector" -c "$1" enroll "$id" --key "$key" --agency "$agency" \
    --by test >/dev/null
}

# center_key center_cfg: the center's public key, for kafka.center_key
center_key() {
  "$SOC_BIN/collector/soccollector" -c "$1" key | sed -n 's/^public key: *//p'
}

# signed_send topic key keyfile agent_id [kcat args...] < payload: one
# message as kcat alone would send it, signed with keyfile (tests/integration/socsign.c)
signed_send() {
  local topic=$1 key=$2 keyfile=$3 agent=$4 payload sig pub
  shift 4
  payload=$(cat)
  sig=$(printf '%s' "$payload" | "$SOC_BIN/tests/socsign" "$keyfile" "$topic" "$key")
  pub=$("$SOC_BIN/tests/socsign" "$keyfile" --pub)
  printf '%s\t%s\n' "$key" "$payload" |
    kcat -P -b "$BOOTSTRAP" -t "$topic" -K '\t' -H "agent.id=$agent" -H schema.version=1 \
      -H "agent.key=$pub" -H "signature=$sig" "$@"
}

# center_config FILE STATE_DIR: a collector "center" on the development broker.
# The broker holds a stopped member's partitions until its session times out
# (45 s by default) before the next start gets them: 6 s here.
center_config() {
  cat >"$1" <<YAML
collector: { id: center, state_dir: "$2" }
kafka:
  brokers: "$BOOTSTRAP"
  topic_prefix: soc
  group_id: soccollector
  properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
YAML
}
