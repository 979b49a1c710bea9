"""The console's main flow over HTTP, against a real agent's report:
console_flow.py PORT PASSWORD REPORT-ID"""
import re
import sys
import time
import urllib.parse

import console_http as ch
from console_http import check, csrf_of, req

ch.PORT = int(sys.argv[1])
PW, RID = sys.argv[2], sys.argv[3]

ana = ch.login("ana", PW)
st, _, body = req("GET", "/", cookie=ana)
check(st == 200 and RID in body, "the agency's analyst sees its report")
check("已通報" in body and "data-since" not in body, "a filed report's §3.1 clock has stopped")
# the draft's new status comes on soc.incidents, beside the report
for _ in range(600):
    _, _, body = req("GET", "/", cookie=ana)
    if "<td>confirmed</td>" in body:
        break
    time.sleep(0.1)
check("<td>confirmed</td>" in body, "the confirmed draft, as the agent forwarded it")
st, _, body = req("GET", "/report?id=" + RID, cookie=ana)
check(st == 200, "the report page: %s" % st)
check("通報單 (步驟 1–6)" in body and "Step 6" in body and "data-due" in body,
      "the form and the clocks on the page")
check('action="/review"' not in body, "no review form for an analyst")
st, h, text = req("GET", "/report.txt?id=" + RID, cookie=ana)
check(st == 200 and "attachment" in h.get("content-disposition", ""), "the text form downloads")
st, _, stix = req("GET", "/report.stix?id=" + RID, cookie=ana)
check(st == 200 and '"type": "bundle"' in stix or '"type":"bundle"' in stix, "STIX downloads")

olga = ch.login("olga", PW)
for p in ["/", "/report?id=" + RID, "/report.txt?id=" + RID]:
    st, _, body = req("GET", p, cookie=olga)
    check(RID not in body and (p == "/" or st == 404), "another agency's analyst: %s %s" % (p, st))

rev = ch.login("rev", PW)
st, _, body = req("GET", "/report?id=" + RID, cookie=rev)
check(st == 200 and 'action="/review"' in body, "the reviewer has the review form")
token = csrf_of(rev)
st, _, body = req("POST", "/review", "id=%s&result=%s&csrf=%s" % (RID, urllib.parse.quote("審核通過"), token), cookie=rev)
check(st == 303, "the review recorded: %s %s" % (st, body))
st, _, body = req("GET", "/report?id=" + RID, cookie=rev)
check(re.search(r"<td>review</td><td>[^<]*</td><td>rev</td>", body) is not None,
      "the decision listed with its account")

# the collector produces it, the agent applies it and sends the new revision
applied = False
for _ in range(600):
    _, _, body = req("GET", "/report?id=" + RID, cookie=ana)
    if "代理程式已套用" in body:
        applied = True
        break
    time.sleep(0.1)
check(applied, "the console shows the review applied by the agent")
verified = False
for _ in range(600):
    _, _, body = req("GET", "/report?id=" + RID, cookie=ana)
    if 'class="bundle-ok">verified' in body:
        verified = True
        break
    time.sleep(0.1)
check(verified, "the evidence bundle shown verified")
st, _, body = req("POST", "/review", "id=%s&result=again&csrf=%s" % (RID, token), cookie=rev)
check(st == 409, "a second review is refused by the lifecycle: %s" % st)

boss = ch.login("boss", PW)
st, _, body = req("GET", "/agents", cookie=boss)
check(st == 200 and "ag1" in body, "the center's agents page")
ch.done("console_flow")
