"""The console's main flow in a real browser (headless chromium through
chromium-driver and selenium), at 1366x768, with a screenshot of each page:
console_browser.py PORT PASSWORD REPORT-ID SCREENSHOT-DIR DRAFT

The analyst also confirms DRAFT at level 3 in the browser, fills the form
and files the report, each applied by the agent before the next."""
import os
import struct
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.support.ui import WebDriverWait as _Wait

# chromedriver 156 reports an element whose page was replaced as this
# "unknown error", not as a stale element (seen in CI after a login's redirect)
GONE = "does not belong to the document"


class WebDriverWait:
    """A wait that looks again when the page was replaced under it (a form's
    redirect lands between finding an element and reading it)."""

    def __init__(self, drv, seconds):
        self.wait = _Wait(drv, seconds,
                          ignored_exceptions=(NoSuchElementException,
                                              StaleElementReferenceException))

    def until(self, cond):
        def look(d):
            try:
                return cond(d)
            except WebDriverException as e:
                if GONE in str(e.msg):
                    return False
                raise
        return self.wait.until(look)


def replaced(element):
    """Whether the page holding element was replaced (either way chromedriver says it)."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if GONE in str(e.msg):
            return True
        raise


PORT, PW, RID, SHOTS, DRAFT = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
BASE = "http://127.0.0.1:%d" % PORT
FAILS = 0


def check(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL:", what, file=sys.stderr)


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,768",
          "--disable-dev-shm-usage", "--lang=zh-TW"]:
    opts.add_argument(a)
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
drv.set_page_load_timeout(30)
n = 0


T0 = time.monotonic()


def shot(name):
    global n
    n += 1
    print("console_browser: %5.1f s: %s" % (time.monotonic() - T0, name))
    path = os.path.join(SHOTS, "%02d-%s.png" % (n, name))
    check(drv.save_screenshot(path), "screenshot " + path)
    # usable at 1366x768: the window is that screen, the screenshot what a
    # page has of it inside the browser's own bars (1366x625 in headless
    # chromium), and no page scrolls sideways
    win = drv.get_window_size()
    check((win["width"], win["height"]) == (1366, 768), "the window is 1366x768: %s" % win)
    with open(path, "rb") as f:
        size = struct.unpack(">II", f.read(24)[16:24])
    check(size[0] == 1366 and 500 <= size[1] <= 768, "the screenshot %s: %s" % (name, size))
    wide = drv.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(wide[0] <= wide[1], "%s scrolls sideways at 1366x768: %s" % (name, wide))
    # Traditional Chinese first (English only when asked for)
    lang = drv.execute_script("return document.documentElement.lang")
    check(lang == ("en" if name.endswith("-en") else "zh-Hant-TW"), "%s in %s" % (name, lang))


def login(name):
    drv.delete_all_cookies()
    drv.get(BASE + "/login")
    drv.find_element(By.NAME, "user").send_keys(name)
    drv.find_element(By.NAME, "password").send_keys(PW)
    drv.find_element(By.CSS_SELECTOR, "form button").click()
    # a click does not wait for the answer: the next page would cut it off
    WebDriverWait(drv, 20).until(lambda d: name in d.find_element(By.TAG_NAME, "header").text)


def logout():
    drv.find_element(By.CSS_SELECTOR, "header form button").click()
    WebDriverWait(drv, 20).until(lambda d: d.current_url.endswith("/login"))


try:
    drv.get(BASE + "/report?id=" + RID)
    check(drv.current_url.endswith("/login"), "the report needs a login")
    shot("login")
    # the agency's analyst: its report, the form, the clocks ticking, a note
    login("ana")
    check(RID in drv.page_source, "the analyst's triage lists the report")
    shot("triage")
    drv.find_element(By.CSS_SELECTOR, "a[href='/draft?id=%s']" % RID).click()
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.ID, "report-link"))
    check("代理程式已套用" in drv.page_source, "the draft page shows the confirm applied")
    shot("draft")
    drv.find_element(By.ID, "report-link").click()
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.ID, "form"))
    form = drv.find_element(By.ID, "form").text
    check("Step 1" in form and "Step 6" in form, "the national form on the page: %r" % form[:200])
    check(drv.find_element(By.CSS_SELECTOR, "[data-due]").text != "", "a deadline counts down")
    drv.find_element(By.NAME, "text").send_keys("已聯絡機房 — checked with the data centre")
    drv.find_element(By.CSS_SELECTOR, "form[action='/note'] button").click()
    WebDriverWait(drv, 20).until(lambda d: "已聯絡機房" in d.find_element(By.TAG_NAME, "ul").text)
    shot("report")
    drv.find_element(By.ID, "fill").click()
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.ID, "save-form"))
    check("SSH 暴力破解閘道器" in drv.page_source, "the form holds what was filled")
    shot("form")
    # a draft confirmed at level 3, its form filled and filed, all in the browser
    drv.get(BASE + "/draft?id=" + DRAFT)
    Select(drv.find_element(By.CSS_SELECTOR, "form[action='/confirm'] select[name='level']")
           ).select_by_visible_text("3")
    drv.find_element(By.CSS_SELECTOR, "form[action='/confirm'] input[name='reason']").send_keys(
        "閘道器遭暴力破解")
    drv.find_element(By.ID, "confirm").click()
    WebDriverWait(drv, 60).until(lambda d: (d.refresh() or True) and
                                 d.find_elements(By.ID, "report-link"))
    check("代理程式已套用" in drv.page_source, "the browser's confirm shown applied")
    shot("confirmed")
    drv.find_element(By.ID, "report-link").click()
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.ID, "fill"))
    drv.find_element(By.ID, "fill").click()
    field = WebDriverWait(drv, 20).until(
        lambda d: d.find_element(By.NAME, "f.event.description"))
    field.clear()
    field.send_keys("閘道器 SSH 暴力破解,已封鎖來源")
    drv.find_element(By.ID, "save-form").click()
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.ID, "file"))
    filing = drv.find_element(By.ID, "file")
    filing.click()
    # the answer replaces the page: the report again, or the center's
    # refusal as plain text, which the wait below would only time out on
    WebDriverWait(drv, 20).until(lambda d: replaced(filing))
    if not drv.find_elements(By.ID, "form"):
        check(False, "the filing was answered with: %r" % drv.find_element(By.TAG_NAME, "body").text)
    WebDriverWait(drv, 60).until(lambda d: (d.refresh() or True) and
                                 d.page_source.count("代理程式已套用") >= 2)
    check("閘道器 SSH 暴力破解" in drv.find_element(By.ID, "form").text,
          "the filled description in the agent's new revision")
    shot("filed")
    drv.get(BASE + "/?lang=en")
    check("Triage" in drv.page_source, "English on request")
    shot("triage-en")
    drv.get(BASE + "/?lang=zh")
    width = drv.execute_script("return document.documentElement.scrollWidth")
    check(width <= 1366, "no horizontal scrolling at 1366x768: %s" % width)
    logout()
    # the reviewer: the review is applied already (console_flow.py), shown so
    login("rev")
    drv.get(BASE + "/report?id=" + RID)
    check("代理程式已套用" in drv.page_source, "the reviewer sees the review applied")
    shot("review")
    logout()
    # the center: agents and the audit
    login("boss")
    drv.get(BASE + "/agents")
    check("ag1" in drv.page_source, "the agents page")
    shot("agents")
    drv.get(BASE + "/summary")
    check("<td>test</td><td>3</td>" in drv.page_source, "the summary counts the report")
    shot("summary")
    drv.get(BASE + "/quarantine")
    shot("quarantine")
    drv.get(BASE + "/audit")
    check("note" in drv.page_source and "review" in drv.page_source, "the audit page")
    shot("audit")
    logout()
finally:
    drv.quit()
print("console_browser: %d failed, screenshots in %s" % (FAILS, SHOTS))
sys.exit(1 if FAILS else 0)
