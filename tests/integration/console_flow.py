"""The console's main flow over HTTP, against a real agent's drafts:
console_flow.py PORT PASSWORD AGENT DRAFT REJECT1 REJECT2 CENTER-STORE BROWSER-DRAFT

CENTER-STORE is center.db's path, or a postgresql:// URL read with $PSQL.

The analyst confirms DRAFT at level 3, rejects REJECT1 and REJECT2 at once
with a reason, fills and files the report; the agent applies each decision
(agent/analyst.c, the report's lifecycle) and the console shows it applied.
Another agency's analyst gets 404 on every page and action; the reviewer
reviews; the center sees the report in its summary."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse

import console_http as ch
from console_http import check, csrf_of, req

ch.PORT = int(sys.argv[1])
PW, AG, D, R1, R2, DB, B = sys.argv[2:9]
RID = "%s/%s" % (AG, D)
q = urllib.parse.quote


def bodies(sql):
    """The JSON bodies a query on the center's store selects (its only
    column), parsed; the JSON is read here so that one query serves both
    stores."""
    if DB.startswith("postgresql://"):
        out = subprocess.run([os.environ["PSQL"], DB, "-qAt", "-c", sql], capture_output=True,
                             text=True, check=True).stdout
        rows = out.splitlines()
    else:
        db = sqlite3.connect(DB, timeout=10)
        rows = [r[0] for r in db.execute(sql)]
        db.close()
    return [json.loads(r) for r in rows]


def form(**kw):
    """A form body; a list value repeats its key."""
    parts = []
    for k, v in kw.items():
        for one in v if isinstance(v, list) else [v]:
            parts.append("%s=%s" % (k.replace("_", "."), q(str(one))))
    return "&".join(parts)


def wait(what, cond):
    start = time.monotonic()
    for _ in range(600):
        if cond():
            print("console_flow: %.1f s until %s" % (time.monotonic() - start, what))
            return True
        time.sleep(0.1)
    check(False, what)
    return False


def page(path, cookie):
    return req("GET", path, cookie=cookie)


ana = ch.login("ana", PW)
tok = csrf_of(ana)
st, _, body = page("/", ana)
DLINK = 'href="/draft?id=%s"' % RID
check(st == 200 and 'form="bulk" name="sel" value="%s"' % RID in body,
      "the analyst's triage lists the open draft to select")
st, _, body = page("/?status=rejected", ana)
check(st == 200 and DLINK not in body, "the filter on status leaves the open draft out")
st, _, body = page("/?status=open&sort=level&q=" + q(AG), ana)
check(st == 200 and DLINK in body, "filtered by status and text, sorted by level")
st, _, body = page("/?q=no-such-thing", ana)
check(st == 200 and DLINK not in body, "a text nothing matches lists no draft")
st, _, body = page("/draft?id=" + RID, ana)
check(st == 200 and 'action="/confirm"' in body and 'action="/reject"' in body,
      "the draft page has the analyst's decisions")

# no CSRF token: refused, nothing recorded
st, _, _ = req("POST", "/confirm", form(sel=RID, level=3, reason="x"), cookie=ana)
check(st == 403, "a confirm without the CSRF token is refused: %s" % st)

# another agency's analyst: nothing, on every page and every action
olga = ch.login("olga", PW)
otok = csrf_of(olga)
st, _, body = page("/", olga)
check(DLINK not in body and AG not in body, "another agency's triage lists nothing of the agent")
for p in ["/draft?id=" + RID]:
    st, _, _ = page(p, olga)
    check(st == 404, "another agency's analyst: GET %s: %s" % (p, st))
for path, extra in [("/confirm", dict(level=3, reason="x")), ("/reject", dict(reason="x")),
                    ("/merge", {}), ("/draft-note", dict(text="x")), ("/assign", dict(to="olga")),
                    ("/promote", {})]:
    sel = [RID, "%s/%s" % (AG, R1)] if path == "/merge" else ["%s/1" % AG] if path == "/promote" else RID
    st, _, _ = req("POST", path, form(sel=sel, csrf=otok, **extra), cookie=olga)
    check(st == 404, "another agency's analyst: POST %s: %s" % (path, st))

# the analyst decides: confirm at level 3, a note, an assignment, two rejected at once
st, h, body = req("POST", "/confirm", form(sel=RID, level=3, reason="gateway brute force",
                                          category="intrusion", csrf=tok), cookie=ana)
check(st == 303 and h.get("location") == "/draft?id=" + RID, "confirm recorded: %s %s" % (st, body))
st, _, body = req("POST", "/draft-note", form(sel=RID, text="已通知機房", csrf=tok), cookie=ana)
check(st == 303, "a note on the draft: %s %s" % (st, body))
st, _, body = req("POST", "/assign", form(sel="%s/%s" % (AG, R1), to="王小明", csrf=tok), cookie=ana)
check(st == 303, "an assignment: %s %s" % (st, body))
st, h, body = req("POST", "/reject", form(sel=["%s/%s" % (AG, R1), "%s/%s" % (AG, R2)],
                                          reason="掃描雜訊 scanner noise", csrf=tok), cookie=ana)
check(st == 303 and h.get("location") == "/", "two drafts rejected at once: %s %s" % (st, body))
st, _, body = req("POST", "/reject", form(sel=RID, csrf=tok), cookie=ana)
check(st == 409, "a reject without a reason is refused: %s" % st)

# the agent applies them: the report comes, the drafts' new states come
wait("the report the console's confirm made reaches the center",
     lambda: page("/report?id=" + RID, ana)[0] == 200)
wait("the draft page shows the confirm applied by the agent",
     lambda: page("/draft?id=" + RID, ana)[2].count("代理程式已套用") >= 2)
wait("both rejected drafts, as the agent forwarded them",
     lambda: all(">%s/%s<" % (AG, r) in page("/?status=rejected", ana)[2] for r in (R1, R2)))
st, _, body = page("/draft?id=%s/%s" % (AG, R1), ana)
check("王小明" in body and "scanner noise" in body, "the rejected draft shows its reason and assignee")
st, _, body = req("POST", "/confirm", form(sel="%s/%s" % (AG, R1), csrf=tok), cookie=ana)
check(st == 409, "a rejected draft cannot be confirmed: %s" % st)

# a bulk action decides every draft it can and lists each refusal: the
# rejected draft is refused, one that does not exist is not found, the open
# one is assigned all the same
BID = "%s/%s" % (AG, B)
st, _, body = req("POST", "/assign", form(sel=["%s/%s" % (AG, R1), BID, "%s/999999" % AG],
                                          to="王小明", csrf=tok), cookie=ana)
rows = dict(re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", body))
check(st == 200 and rows.get(BID, "").startswith("已記錄 #"), "bulk: the open draft assigned: %s %s" % (st, rows))
check(rows.get("%s/%s" % (AG, R1), "").startswith("拒絕: "), "bulk: the rejected draft refused: %s" % rows)
check(rows.get("%s/999999" % AG) == "拒絕: not found", "bulk: an unknown draft not found: %s" % rows)
wait("the agent applies the bulk's assignment",
     lambda: "代理程式已套用" in page("/draft?id=" + BID, ana)[2])
st, _, body = req("POST", "/reject", form(sel=["%s/%s" % (AG, R1), "%s/%s" % (AG, R2)],
                                          reason="again", csrf=tok), cookie=ana)
check(st == 409 and body.count("拒絕: ") == 2, "bulk: none recorded is a 409 listing both: %s" % st)

# the report: level 3, the form to fill, prefilled from the draft
st, _, body = page("/report?id=" + RID, ana)
check(st == 200 and "等級 3" in body, "the report is level 3")
check("通報單 (步驟 1–6)" in body and "data-due" in body, "the form and the clocks on the page")
check('action="/review"' not in body and 'action="/file"' in body, "the analyst files, not reviews")
st, _, body = page("/form?id=" + RID, ana)
check(st == 200 and "步驟 6" in body and "事件說明" in body and "Step 3" in body,
      "the form's Steps with the guideline's names")
check('name="f.event.category" value="intrusion"' in body, "the form prefilled from the draft")
st, _, body = req("POST", "/set", form(id=RID, f_impact_integrity_level=9, csrf=tok), cookie=ana)
check(st == 409, "an impact level of 9 is refused: %s %s" % (st, body))
st, _, body = req("POST", "/set", form(id=RID, f_event_description="SSH 暴力破解閘道器",
                                       f_impact_availability_level=2,
                                       f_impact_availability_reason="登入服務緩慢", csrf=tok),
                  cookie=ana)
check(st == 303, "the form saved: %s %s" % (st, body))
st, _, body = req("POST", "/file", form(id=RID, via="platform", csrf=tok), cookie=ana)
check(st == 303, "the report filed: %s %s" % (st, body))
wait("the agent applied the form and the filing",
     lambda: page("/report?id=" + RID, ana)[2].count("代理程式已套用") >= 2)
st, _, body = page("/report?id=" + RID, ana)
check("SSH 暴力破解閘道器" in body, "the agent's new revision holds the description")
st, h, text = page("/report.txt?id=" + RID, ana)
check(st == 200 and "attachment" in h.get("content-disposition", ""), "the text form downloads")
st, _, stix = page("/report.stix?id=" + RID, ana)
check(st == 200 and ('"type": "bundle"' in stix or '"type":"bundle"' in stix), "STIX downloads")

for p in ["/report?id=" + RID, "/report.txt?id=" + RID, "/report.stix?id=" + RID, "/form?id=" + RID]:
    st, _, body = page(p, olga)
    check(st == 404 and RID not in body, "another agency's analyst: GET %s: %s" % (p, st))
for p in ["/set", "/file", "/recover", "/close", "/investigation", "/note", "/review", "/level",
          "/support"]:
    st, _, _ = req("POST", p, form(id=RID, f_event_scope="x", via="phone", status="controlled",
                                   text="x", result="x", level=4, reason="x", csrf=otok),
                   cookie=olga)
    check(st == 404, "another agency's analyst: POST %s: %s" % (p, st))

# the reviewer reviews within its clock
rev = ch.login("rev", PW)
st, _, body = page("/report?id=" + RID, rev)
check(st == 200 and 'action="/review"' in body and 'action="/file"' not in body,
      "the reviewer reviews and does not file")
rtok = csrf_of(rev)
st, _, body = req("POST", "/review", form(id=RID, result="審核通過", csrf=rtok), cookie=rev)
check(st == 303, "the review recorded: %s %s" % (st, body))
st, _, body = page("/report?id=" + RID, rev)
check(re.search(r"<td>review</td><td>[^<]*</td><td>rev</td>", body) is not None,
      "the decision listed with its account")
wait("the console shows the review applied by the agent",
     lambda: page("/report?id=" + RID, ana)[2].count("代理程式已套用") >= 3)
met = [b for b in bodies("select body from report where id = '%s'" % RID)
       if b.get("review", {}).get("at") is not None]
check(len(met) == 1, "the center holds the reviewed revision")
wait("the evidence bundle shown verified",
     lambda: 'class="bundle-ok">verified' in page("/report?id=" + RID, ana)[2])
st, _, body = page("/report?id=" + RID, ana)
m = re.search(r'class="bundle-get" href="(/bundle\?id=[^"]+)"', body)
check(m is not None, "a verified bundle has its download link")
if m:
    st, h, tar = page(m.group(1).replace("&amp;", "&"), ana)
    check(st == 200 and h.get("content-type") == "application/x-tar" and
          "attachment" in h.get("content-disposition", "") and "bagit.txt" in tar,
          "the bundle downloads as its BagIt tar: %s %s" % (st, h.get("content-type")))
    st, _, _ = page(m.group(1).replace("&amp;", "&"), olga)
    check(st == 404, "another agency's analyst cannot download it: %s" % st)
st, _, body = req("POST", "/review", form(id=RID, result="again", csrf=rtok), cookie=rev)
check(st == 409, "a second review is refused by the lifecycle: %s" % st)

# the center: the report in the summary
boss = ch.login("boss", PW)
st, _, body = page("/summary", boss)
check(st == 200 and "<td>test</td><td>3</td>" in body, "the center's summary counts it")
st, _, body = page("/agents", boss)
check(st == 200 and AG in body, "the center's agents page")

# promote an alert of a rejected draft into a new draft, then merge it
# with the agent's last open draft (the browser keeps the fourth)
alert = [(b["alert"],) for b in bodies("select body from message where topic = 'soc.alerts'")
         if b.get("draft") == int(R1)][:1]
alert = alert[0] if alert else None
check(alert is not None, "an alert of the rejected draft at the center")
if alert:
    st, h, body = req("POST", "/promote", form(sel="%s/%d" % (AG, alert[0]), level=2, csrf=tok),
                      cookie=ana)
    check(st == 303 and h.get("location") == "/", "the promotion recorded: %s %s" % (st, body))
    new = []

    def promoted():
        new[:] = [b["id"] for b in bodies("select body from message where topic = 'soc.incidents'")
                  if b.get("promoted", {}).get("by") == "ana"]
        return bool(new)
    if wait("the agent's new draft of the promoted alert", promoted):
        # the same alert again: the agent refuses (it is in the open draft
        # just made), says so in that draft, and the triage page shows it
        st, _, body = req("POST", "/promote", form(sel="%s/%d" % (AG, alert[0]), csrf=tok),
                          cookie=ana)
        check(st == 303, "the second promotion recorded at the center: %s %s" % (st, body))
        why = "alert %d is in open draft %s already" % (alert[0], new[0])
        wait("the agent's refusal of the promotion on the triage page",
             lambda: why in page("/", ana)[2])
        st, _, body = page("/", ana)
        check("代理程式拒絕的決定" in body and "<td>promote</td>" in body and
              'href="/draft?id=%s/%s"' % (AG, new[0]) in body, "the refused promotion listed")
        st, _, body = page("/", olga)
        check(why not in body, "another agency's analyst does not see the refusal")
        last = max(b["id"] for b in bodies("select body from message where topic = 'soc.incidents'")
                   if b.get("status") == "open" and b["id"] not in (new[0], B))
        st, _, body = req("POST", "/merge", form(sel=["%s/%s" % (AG, new[0]), "%s/%s" % (AG, last)],
                                                 csrf=tok), cookie=ana)
        check(st == 303, "the merge recorded: %s %s" % (st, body))
        wait("the merged draft, as the agent forwarded it",
             lambda: ">merged<" in page("/?status=merged", ana)[2]
             or "/draft?id=%s/%s" % (AG, last) in page("/?status=merged", ana)[2])

# logout: the cookie is worth nothing after it
st, _, _ = req("POST", "/logout", form(csrf=tok), cookie=ana)
check(st == 303, "logout")
st, h, _ = page("/draft?id=" + RID, ana)
check(st == 303 and h.get("location") == "/login", "the old cookie goes to the login: %s" % st)
st, _, _ = req("POST", "/confirm", form(sel=RID, level=3, csrf=tok), cookie=ana)
check(st == 403, "the old cookie and token decide nothing: %s" % st)
ch.done("console_flow")
