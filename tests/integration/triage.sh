#!/bin/bash
# Triage (issue 15, docs/TRIAGE.md) on a realistic day made by our own
# generator (triage_day.py: background administration, a dozen brute-force
# sources that never get in, web scanners, a port scan, three intrusions):
# `socctl drafts` shows exactly one draft per intrusion, each holding its
# rules and evidence, with times from the lines; every attempt is an alert
# that no draft took in. loghub's OpenSSH_2k and Apache_2k give no draft.
set -u
. "$SOC_SRC/tests/integration/lib.sh"

AGENT="$SOC_BIN/agent/socagent"
CTL="$SOC_BIN/ctl/socctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

. "$SOC_SRC/tests/integration/detect_lib.sh"

detect_config "$T/day" day
python3 "$SOC_SRC/tests/integration/triage_day.py" "$T/day/logs" >"$T/manifest.json"
run "$AGENT" -c "$T/day/agent.yaml" --oneshot
expect_status 0
"$CTL" -c "$T/day/agent.yaml" drafts --json >"$T/drafts.json"
"$CTL" -c "$T/day/agent.yaml" alerts --json >"$T/alerts.json"
for id in $(python3 -c 'import json,sys; print(" ".join(str(d["id"]) for d in json.load(open(sys.argv[1]))))' "$T/drafts.json"); do
  "$CTL" -c "$T/day/agent.yaml" show "$id" --json
done >"$T/shown.jsonl"
CHECKS=$((CHECKS + 1))
python3 - "$T/manifest.json" "$T/drafts.json" "$T/alerts.json" "$T/shown.jsonl" <<'PY' || fail "the day's triage"
import json, sys
m = json.load(open(sys.argv[1]))
drafts = json.load(open(sys.argv[2]))
alerts = json.load(open(sys.argv[3]))
shown = {d["id"]: d for d in map(json.loads, open(sys.argv[4]))}
print("%d auth + %d web lines: %d draft(s), %d alert(s)" % (m["lines"]["auth"], m["lines"]["web"], len(drafts), len(alerts)))
for d in drafts:
    s = shown[d["id"]]
    print("  draft %d level %d %s %s: %s" % (d["id"], d["level"], d["rule"], d["key"], sorted({x["rule"] for x in s["members"]})))
assert len(drafts) == 3, drafts

def draft_of(pred):
    found = [shown[d["id"]] for d in drafts if pred(shown[d["id"]])]
    assert len(found) == 1, found
    return found[0]

def rules(s):
    return {x["rule"] for x in s["members"]}

guess, wipe, shell = m["intrusions"]
# guessing that succeeds, then an account: one draft with all four rules
g = draft_of(lambda s: "SOC-SSH-003" in rules(s))
assert set(guess["rules"]) <= rules(g) and g["host"] == "db01", (rules(g), g["host"])
assert g["level_from"]["rule"] in ("SOC-SSH-003", "SOC-ACCT-002"), g["level_from"]
assert g["first_seen"].startswith("2026-11-24T18:1"), g["first_seen"]   # 02:10 +08:00, from the lines
text = "\n".join(e["line"] for e in g["evidence"])
for want in ("Failed password for", "Accepted password for oracle from " + guess["source"], "name=sysupd, UID=0", "add 'sysupd' to group 'sudo'"):
    assert want in text, want
# the logs wiped: one draft
w = draft_of(lambda s: "SOC-TAMPER-001" in rules(s))
assert w["host"] == "app01" and w["count"] == 2, (w["host"], w["count"])
assert any("shred -u -z /var/log/auth.log" in e["line"] for e in w["evidence"])
# the webshell: one draft with the probes of the same address
s = draft_of(lambda s: "SOC-WEB-005" in rules(s))
assert s["key"] == shell["source"] and all(x["key"] == shell["source"] for x in s["members"]), s["members"]
assert any("/uploads/avatar.php?cmd=id" in e["line"] for e in s["evidence"])
assert s["first_seen"].startswith("2026-11-25T13:05"), s["first_seen"]   # 21:05 +08:00, from the line
# every attempt is an alert, none taken into a draft, none with a level
by_key = {}
for a in alerts:
    by_key.setdefault(a["key"], []).append(a)
for ip in m["brute_force"]:
    assert any(a["rule"] == "SOC-SSH-001" for a in by_key[ip]), ip
    assert all(a["draft"] == 0 and a["impact"] == "none" and a["level"] == 0 for a in by_key[ip]), by_key[ip]
for ip in m["scanners"]:
    assert any(a["rule"] == "SOC-WEB-006" for a in by_key[ip]), ip
    assert all(a["draft"] == 0 and a["impact"] == "none" for a in by_key[ip]), by_key[ip]
assert [a["rule"] for a in by_key[m["port_scan"]]] == ["SOC-FW-001"] and by_key[m["port_scan"]][0]["draft"] == 0
# automation's root key logins: alerts, not drafts
assert all(a["draft"] == 0 for a in alerts if a["rule"] == "SOC-SSH-004" and "|10.0.1." in a["key"])
# a draft holds only alerts of its own host
for d in shown.values():
    assert {a["host"] for a in alerts if a["draft"] == d["id"]} == {d["host"] if d["host"] else a["host"]}, d["id"]
PY
run "$CTL" -c "$T/day/agent.yaml" alerts
expect_out "SOC-FW-001"

# --- an analyst promotes attempts into a draft: the clock starts now; both
# alerts of one source in it; into the audit chain; refusals change nothing
read -r P1 P2 IN < <(python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))
ip = m["brute_force"][0]
mine = [x["id"] for x in a if x["key"] == ip]
print(mine[0], mine[1], [x["id"] for x in a if x["draft"]][0])' "$T/alerts.json" "$T/manifest.json")
run "$CTL" -c "$T/day/agent.yaml" promote "$IN" --analyst 王小明
expect_status 2
expect_err "is in open draft"
run "$CTL" -c "$T/day/agent.yaml" promote 99999 --analyst 王小明
expect_status 2
expect_err "no alert 99999"
run "$CTL" -c "$T/day/agent.yaml" promote "$P1" "$P2"
expect_status 2
run "$CTL" -c "$T/day/agent.yaml" promote "$P1" "$P2" --analyst 王小明 --level 2
expect_status 0
expect_out "into draft 4 (level 2); report due within 1 h (§3.1)"
run "$CTL" -c "$T/day/agent.yaml" show 4 --json
check_py "the promoted draft" '
import json, sys
d = json.loads(sys.argv[1])
assert d["status"] == "open" and d["level"] == 2 and d["promoted"]["by"] == "王小明", d
assert sorted(m["alert"] for m in d["members"]) == sorted([int(sys.argv[2]), int(sys.argv[3])]), d["members"]
assert d["level_from"] == {"analyst": "王小明"} and d["evidence"], d' "$OUT" "$P1" "$P2"
run "$CTL" -c "$T/day/agent.yaml" audit list --json
check_py "promotion in the audit chain" '
import json, sys
e = json.loads(sys.argv[1])
e = e["entries"] if isinstance(e, dict) else e
assert [x["action"] for x in e] == ["promote"] and e[0]["object"] == "draft:4", e' "$OUT"
run "$CTL" -c "$T/day/agent.yaml" audit verify
expect_status 0
run "$CTL" -c "$T/day/agent.yaml" promote "$P1" --analyst 王小明
expect_status 2

# --- loghub's real samples: attackers are alerts, no draft
detect_config "$T/loghub" loghub
cp "$SOC_TEST_DATA/logs/OpenSSH_2k.log" "$SOC_TEST_DATA/logs/Apache_2k.log" "$T/loghub/logs/"
run "$AGENT" -c "$T/loghub/agent.yaml" --oneshot
expect_status 0
run "$CTL" -c "$T/loghub/agent.yaml" drafts
expect_out "no open drafts"
run "$CTL" -c "$T/loghub/agent.yaml" alerts --json
CHECKS=$((CHECKS + 1))
python3 -c '
import json, sys
a = json.loads(sys.argv[1])
assert a and all(x["draft"] == 0 and x["impact"] == "none" for x in a), a
# one alert per source and rule within the window
seen = [(x["rule"], x["key"], x["first_seen"][:13]) for x in a]
assert len(seen) == len(set(seen)), seen' "$OUT" || fail "loghub: alerts only"

finish
