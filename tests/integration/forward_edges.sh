#!/bin/bash
# Forwarding's edge cases: an event larger than Kafka takes is replaced by a
# stub with the same id, tagged and counted, while the whole line stays in
# the journal; the producer's defaults (idempotence, acks=all) hold even
# when kafka.properties sets other things; status reports a broker that
# was never reachable.
set -u
. "$SOC_SRC/tests/integration/lib.sh"
. "$SOC_SRC/tests/integration/kafka_lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/logs"
start_broker "$T"
agent_config "$T" edges "logs/app.log" ", properties: { message.max.bytes: 4000, linger.ms: 5 }"
{
  echo "Nov 25 08:00:00 web01 app[1]: small seq=00000001"
  printf 'Nov 25 08:00:01 web01 app[1]: big seq=00000002 %s\n' "$(head -c 9000 /dev/zero | tr '\0' 'x')"
  echo "Nov 25 08:00:02 web01 app[1]: small seq=00000003"
} >"$T/logs/app.log"
run "$AGENT" -c "$T/agent.yaml" --oneshot --forward-once
expect_status 0
consume soc.events >"$T/events.tsv"
python3 - "$T/events.tsv" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: too-large event" >&2; }
import json, sys
evs = [json.loads(l.split("\t", 3)[3]) for l in open(sys.argv[1]) if l.strip()]
assert len(evs) == 3, len(evs)
big = [e for e in evs if "seq=00000002" in e["message"]]
assert len(big) == 1 and "too_large_for_kafka" in big[0].get("tags", []), big
assert len(json.dumps(big[0])) < 4000
assert len({e["event"]["id"] for e in evs}) == 3
print("stub:", len(json.dumps(big[0])), "bytes, tags", big[0]["tags"])
PY
CHECKS=$((CHECKS + 1))
run "$CTL" -c "$T/agent.yaml" status
expect_out "too_large            1"
# the journal keeps the whole line
CHECKS=$((CHECKS + 1))
[ "$("$CTL" -c "$T/agent.yaml" journal export | awk 'length($0) > 9000' | wc -l)" = 1 ] ||
  { FAILS=$((FAILS + 1)); echo "FAIL: the whole big line is not in the journal" >&2; }

# An event whose JSON does not fit where a joined batch writes it in place
# (60,000 control characters: 360,000 bytes escaped, past the 64 KiB kept
# free) goes through the forwarder's buffer: it and its neighbours arrive
# whole, in order, in one message.
W="$T/wide"
mkdir -p "$W/logs"
agent_config "$W" wide "logs/w.log"
{
  echo "Nov 25 08:00:00 web02 app[1]: wide seq=00000001"
  printf 'Nov 25 08:00:01 web02 app[1]: wide seq=00000002 %s\n' "$(head -c 60000 /dev/zero | tr '\0' '\001')"
  echo "Nov 25 08:00:02 web02 app[1]: wide seq=00000003"
} >"$W/logs/w.log"
run "$AGENT" -c "$W/agent.yaml" --oneshot --forward-once
expect_status 0
consume soc.events >"$T/wide.tsv"
python3 - "$T/wide.tsv" <<'PY' || { FAILS=$((FAILS + 1)); echo "FAIL: an event past the room kept in place" >&2; }
import json, sys
rows = [l.rstrip("\n").split("\t", 3) for l in open(sys.argv[1]) if "wide seq=" in l]
evs = [json.loads(r[3]) for r in rows]
assert [e["message"][:14] for e in evs] == ["wide seq=00000"] * 3, evs
assert [e["message"].split()[1] for e in evs] == ["seq=00000001", "seq=00000002", "seq=00000003"]
assert evs[1]["message"] == "wide seq=00000002 " + "\x01" * 60000, len(evs[1]["message"])
assert len({(r[0], r[1]) for r in rows}) == 1, "not one message"
print("wide:", len(rows[1][3]), "bytes of JSON")
PY
CHECKS=$((CHECKS + 1))
stop_broker

# a broker that is not there: status says so, the journal keeps everything
sed -i "s|brokers: \"[^\"]*\"|brokers: \"127.0.0.1:9\"|" "$T/agent.yaml"
echo "Nov 25 08:00:03 web01 app[1]: small seq=00000004" >>"$T/logs/app.log"
run "$AGENT" -c "$T/agent.yaml" --oneshot --forward-once
expect_status 3
expect_err "the rest stays in the journal"
run "$CTL" -c "$T/agent.yaml" status
expect_out "forwarding: 1 line(s) behind"
expect_out "broker down"
finish
