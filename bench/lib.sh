# Shared by the benchmark scripts: measuring a process and printing a row.

# CPU seconds (user + system) and peak RSS (KiB) of a live process
cpu_of() { awk '{print ($14+$15)/'"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
rss_of() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
# threads_of PID: a live socagent's CPU seconds (user + system) by part, from
# its named threads: ingest (the main thread), detect, forward, librdkafka
# (its rdk:* threads) and other (workflow, watch, metrics). Each thread's
# time on a CPU in nanoseconds (schedstat), not stat's 10 ms ticks: a
# quiet thread's share would round to nothing.
threads_of() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm")" "$(awk '{print $1 / 1e9}' "$t/schedstat")"
  done | awk '
    { part = "other"
      if ($1 == "socagent") part = "ingest"
      else if ($1 == "soc:detect") part = "detect"
      else if ($1 == "soc:forward") part = "forward"
      else if ($1 ~ /^rdk:/) part = "librdkafka"
      c[part] += $2 }
    END { printf "ingest=%.2f detect=%.2f forward=%.2f librdkafka=%.2f other=%.2f\n",
          c["ingest"], c["detect"], c["forward"], c["librdkafka"], c["other"] }'
}
# row NAME LINES SECONDS CPU_SECONDS RSS_KIB
row() {
  awk -v n="$1" -v l="$2" -v s="$3" -v c="$4" -v r="$5" 'BEGIN{
    printf "| %s | %d | %.2f | %.0f | %.2f | %.1f |\n", n, l, s, l/s, c*1000000/l, r/1024 }'
}
# watermark BROKER TOPIC PARTITIONS -1|-2: the sum of the topic's high (-1)
# or low (-2) watermarks
watermark() {
  local sum=0 p w
  for p in $(seq 0 $(($3 - 1))); do
    w=$(kcat -Q -b "$1" -t "$2:$p:$4" 2>/dev/null | awk '{print $NF}' | tail -n 1)
    sum=$((sum + ${w:-0}))
  done
  echo $sum
}
# until_true TIMEOUT_S COMMAND...: runs COMMAND every 50 ms until it succeeds
until_true() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt $deadline ] || { echo "timeout: $*" >&2; return 1; }
    sleep 0.05
  done
}
# agent_kafka_yaml DIR INPUT BROKER PREFIX [ID]: DIR/agent.yaml, an agent
# (agent.id ID, default bench; state in DIR/state) that tails INPUT and
# forwards to BROKER under PREFIX; with AGENT_KAFKA (more
# keys of its kafka map, e.g. 'events_per_message: 64') and AGENT_PROPS
# (its kafka.properties, e.g. 'linger.ms: "20"') set in the environment,
# those too: to compare settings on one build
agent_kafka_yaml() {
  mkdir -p "$1"
  cat >"$1/agent.yaml" <<YAML
agent: { id: ${5:-bench}, agency: bench, authority: 36, state_dir: $1/state, timezone: "+08:00" }
contacts: [ {name: a, phone: "1"}, {name: b, phone: "2"} ]
inputs: [ { type: file, id: bench, paths: [ "$2" ] } ]
kafka: { brokers: "$3", topic_prefix: $4${AGENT_KAFKA:+, $AGENT_KAFKA}${AGENT_PROPS:+, properties: { $AGENT_PROPS \}} }
YAML
}
# rsyslog_conf DIR INPUT BROKER TOPIC TEMPLATE: DIR/rsyslog.conf, rsyslog
# tailing INPUT (imfile) into TOPIC on BROKER (omkafka, the producer settings
# the agent uses) with TEMPLATE: line (the message as it is) or json (a
# 3-field JSON template: time, host, message)
rsyslog_conf() {
  mkdir -p "$1"
  cat >"$1/rsyslog.conf" <<CONF
global(workDirectory="$1")
module(load="imfile")
module(load="omkafka")
template(name="line" type="string" string="%msg%")
template(name="json" type="string"
  string="{\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\",\\"host\\":\\"%hostname:::json%\\",\\"message\\":\\"%msg:::json%\\"}")
input(type="imfile" File="$2" Tag="bench" ruleset="out")
ruleset(name="out") { action(type="omkafka" broker=["$3"] topic="$4" template="$5"
  confParam=["compression.codec=lz4", "acks=all", "enable.idempotence=true"]) }
CONF
}
