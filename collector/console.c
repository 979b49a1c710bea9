/*
 * console — see the header. Pages are written whole into a memory stream
 * and sent with their length; the listener (lib/base/metrics.c) serves one
 * request at a time on its own thread, which also owns the session table
 * and its own connection to center.db, so neither needs a lock.
 */
#define _GNU_SOURCE /* open_memstream */
#include "console.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "center.h"
#include "decide.h"
#include "soc/deadline.h"
#include "soc/report.h"
#include "soc/report_export.h"
#include "soc/metrics.h"
#include "soc/store_center.h"
#include "soc/tz.h"

#define SESSIONS_MAX 256
#define TOKEN_HEX 65 /* 32 random bytes in hex, NUL */
#define NAME_MAX_LEN 64
#define FIELD_MAX 2048
#define FAILED_MAX 64
/* Failed logins of one account within FAIL_WINDOW lock its login for
 * FAIL_WINDOW: five guesses per ten minutes, whatever the source. */
#define FAIL_LIMIT 5
#define FAIL_WINDOW_NS (600 * INT64_C(1000000000))
#define COOKIE "soc_session"

typedef struct session {
  char token[TOKEN_HEX], csrf[TOKEN_HEX];
  char name[NAME_MAX_LEN + 1];
  int64_t last_ns;
} session;

typedef struct failed {
  char name[NAME_MAX_LEN + 1];
  int count;
  int64_t first_ns;
} failed;

/* The account behind a request, read again from center.db at each request
 * so that `user disable` ends its sessions at once. */
typedef struct acct {
  char name[NAME_MAX_LEN + 1], role[16], agency[NAME_MAX_LEN + 1];
  int64_t authority;
  int disabled;
  int found;
} acct;

struct soc_console {
  const soc_collector_config *cfg;
  soc_center *center; /* the regimes, for the clocks and the decisions' checks */
  soc_metrics_server *server;
  soc_center_store *store;          /* the server thread's own, opened at the first request */
  char decoy[SOC_CONSOLE_HASH_MAX]; /* checked for unknown names: as slow as a real one */
  session sessions[SESSIONS_MAX];
  failed failures[FAILED_MAX];
};

/* One request being answered. */
typedef struct req {
  soc_console *c;
  int fd;
  const soc_http_request *http;
  char path[256], query[512], rest[512]; /* rest: the query without lang= */
  int en;                                /* English rather than Traditional Chinese */
  session *s;
  acct a;
  int64_t now_ns;
} req;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static const char *T(const req *q, const char *zh, const char *en) { return q->en ? en : zh; }

/* ---- forms, queries and cookies -------------------------------------------- */

static int param(const req *q, const char *key, char *out, size_t cap) {
  if (!strcmp(q->http->method, "POST"))
    return soc_http_form_get(q->http->body, q->http->body_len, key, out, cap);
  return soc_http_form_get(q->query, strlen(q->query), key, out, cap);
}

static void esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
      case '<':
        fputs("&lt;", f);
        break;
      case '>':
        fputs("&gt;", f);
        break;
      case '&':
        fputs("&amp;", f);
        break;
      case '"':
        fputs("&quot;", f);
        break;
      case '\'':
        fputs("&#39;", f);
        break;
      default:
        fputc(*s, f);
    }
  }
}

static void iso(char *out, size_t cap, int64_t ns) {
  time_t t = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- answers ----------------------------------------------------------------- */

/* Every answer: no caching, no framing, nothing from elsewhere. */
#define SECURITY_HEADERS                                                                    \
  "Cache-Control: no-store\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n" \
  "Referrer-Policy: no-referrer\r\n"                                                        \
  "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; form-action 'self'\r\n"

static int answer(req *q, const char *status, const char *extra, const char *type, const char *body,
                  size_t n) {
  char headers[1024];
  snprintf(headers, sizeof headers, SECURITY_HEADERS "%s", extra ? extra : "");
  soc_http_respond(q->fd, status, headers, type, body, n);
  return 0;
}

static int redirect(req *q, const char *to, const char *cookie) {
  char extra[512];
  snprintf(extra, sizeof extra, "Location: %s\r\n%s", to, cookie ? cookie : "");
  return answer(q, "303 See Other", extra, "text/plain; charset=utf-8", "", 0);
}

static int plain(req *q, const char *status, const char *text) {
  return answer(q, status, NULL, "text/plain; charset=utf-8", text, strlen(text));
}

/* 404 both for what does not exist and for what the account may not see. */
static int not_found(req *q) { return plain(q, "404 Not Found", "not found\n"); }

static const char css[] =
    "body{font-family:sans-serif;margin:0;font-size:14px;color:#222}"
    "header{background:#1d3557;color:#fff;padding:6px 12px;display:flex;gap:16px;"
    "align-items:center}header a{color:#fff}header form{margin-left:auto}"
    "main{padding:12px;max-width:1340px}table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#eef}pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;"
    "padding:6px;max-height:360px;overflow:auto}.late{color:#b00;font-weight:bold}"
    "label{display:block;margin:6px 0}.err{color:#b00}";

/* The clocks: every element with data-since (ms) shows the time since, and
 * turns red past data-limit (ms). */
static const char js[] =
    "function tick(){var n=Date.now();document.querySelectorAll('[data-since]').forEach("
    "function(e){var d=Math.floor((n-e.dataset.since)/1000),h=Math.floor(d/3600),"
    "m=Math.floor(d%3600/60);e.textContent=h+'h'+('0'+m).slice(-2)+'m';"
    "if(e.dataset.limit&&n-e.dataset.since>e.dataset.limit)e.className='late';});"
    "document.querySelectorAll('[data-due]').forEach(function(e){var d=Math.floor("
    "(e.dataset.due-n)/1000),a=Math.abs(d),h=Math.floor(a/3600),m=Math.floor(a%3600/60);"
    "e.textContent=(d<0?'-':'')+h+'h'+('0'+m).slice(-2)+'m';if(d<0)e.className='late';});}"
    "tick();setInterval(tick,30000);";

static void page_head(req *q, FILE *f, const char *title) {
  fprintf(f, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">",
          q->en ? "en" : "zh-Hant-TW");
  fputs("<meta name=\"viewport\" content=\"width=device-width\"><title>", f);
  esc(f, title);
  fputs(
      " — SOC</title><link rel=\"stylesheet\" href=\"/console.css\">"
      "<script src=\"/console.js\" defer></script></head><body><header><b>SOC</b>",
      f);
  if (q->s) {
    fprintf(f, "<a href=\"/\">%s</a>", T(q, "事件分流", "Triage"));
    if (!strcmp(q->a.role, "center")) {
      fprintf(f, "<a href=\"/summary\">%s</a>", T(q, "總覽", "Summary"));
      fprintf(f, "<a href=\"/agents\">%s</a>", T(q, "代理程式", "Agents"));
      fprintf(f, "<a href=\"/quarantine\">%s</a>", T(q, "隔離區", "Quarantine"));
      fprintf(f, "<a href=\"/audit\">%s</a>", T(q, "稽核紀錄", "Audit"));
    }
    fputs("<a href=\"?", f);
    esc(f, q->rest);
    fprintf(f, "%slang=%s\">%s</a><span>", q->rest[0] ? "&amp;" : "", q->en ? "zh" : "en",
            q->en ? "中文" : "English");
    esc(f, q->a.name);
    fprintf(f,
            " (%s)</span><form method=\"post\" action=\"/logout\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
            "<button>%s</button></form>",
            q->a.role, q->s->csrf, T(q, "登出", "Log out"));
  }
  fputs("</header><main>", f);
}

/* A page being written: a memory stream. */
typedef struct page {
  FILE *f;
  char *buf;
  size_t len;
} page;

/* Ends the page, sends it and frees it. */
static int page_send(req *q, page *p) {
  fputs("</main></body></html>", p->f);
  if (fclose(p->f) != 0)
    plain(q, "500 Internal Server Error", "out of memory\n");
  else
    answer(q, "200 OK", NULL, "text/html; charset=utf-8", p->buf, p->len);
  free(p->buf);
  p->buf = NULL;
  return 0;
}

/* "<h1>title</h1><table>" and a header row of the NULL-terminated columns. */
static void table_head(FILE *f, const char *title, ...) {
  va_list ap;
  fputs("<h1>", f);
  esc(f, title);
  fputs("</h1><table><tr>", f);
  va_start(ap, title);
  for (const char *c; (c = va_arg(ap, const char *));) {
    fputs("<th>", f);
    esc(f, c);
    fputs("</th>", f);
  }
  va_end(ap);
  fputs("</tr>", f);
}

/* A page's stream with its head written, or NULL (the 500 sent). */
static FILE *page_open(req *q, const char *title, page *p) {
  *p = (page){0};
  p->f = open_memstream(&p->buf, &p->len);
  if (!p->f) {
    plain(q, "500 Internal Server Error", "out of memory\n");
    return NULL;
  }
  page_head(q, p->f, title);
  return p->f;
}

static void audit(req *q, const char *account, const char *action, const char *target,
                  const char *detail) {
  if (soc_store_console_audit(q->c->store, q->now_ns, account, action, target, detail) < 0)
    fprintf(stderr, "soccollector: console: %s\n", soc_center_store_errmsg(q->c->store));
}

/* ---- accounts and sessions ------------------------------------------------------ */

static int copy_account(void *arg, const soc_console_user *u) {
  acct *a = arg;
  snprintf(a->name, sizeof a->name, "%s", u->name);
  snprintf(a->role, sizeof a->role, "%s", u->role);
  snprintf(a->agency, sizeof a->agency, "%s", u->agency);
  a->authority = u->authority;
  a->disabled = u->disabled;
  a->found = 1;
  return 0;
}

typedef struct hash_copy {
  char hash[crypto_pwhash_STRBYTES];
  acct a;
} hash_copy;

static int copy_hash(void *arg, const soc_console_user *u) {
  hash_copy *h = arg;
  snprintf(h->hash, sizeof h->hash, "%s", u->hash);
  return copy_account(&h->a, u);
}

static void new_token(char out[TOKEN_HEX]) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(out, TOKEN_HEX, raw, sizeof raw);
}

/* The live session the cookie names, or NULL; an idle one is dropped. */
static session *session_find(req *q) {
  char token[TOKEN_HEX + 8];
  soc_http_cookie(q->http, COOKIE, token, sizeof token);
  if (strlen(token) != TOKEN_HEX - 1) return NULL;
  for (size_t i = 0; i < SESSIONS_MAX; i++) {
    session *s = &q->c->sessions[i];
    if (!s->token[0] || sodium_memcmp(s->token, token, TOKEN_HEX - 1) != 0) continue;
    if (q->now_ns - s->last_ns > q->c->cfg->console.session_idle * INT64_C(1000000000)) {
      memset(s, 0, sizeof *s);
      return NULL;
    }
    return s;
  }
  return NULL;
}

static session *session_new(soc_console *c, const char *name, int64_t now) {
  session *s = &c->sessions[0];
  for (size_t i = 0; i < SESSIONS_MAX; i++) { /* a free slot, else the idlest */
    if (!c->sessions[i].token[0]) {
      s = &c->sessions[i];
      break;
    }
    if (c->sessions[i].last_ns < s->last_ns) s = &c->sessions[i];
  }
  memset(s, 0, sizeof *s);
  new_token(s->token);
  new_token(s->csrf);
  snprintf(s->name, sizeof s->name, "%s", name);
  s->last_ns = now;
  return s;
}

static failed *failures_of(soc_console *c, const char *name, int64_t now, int make) {
  failed *oldest = &c->failures[0];
  for (size_t i = 0; i < FAILED_MAX; i++) {
    failed *f = &c->failures[i];
    if (f->name[0] && now - f->first_ns > FAIL_WINDOW_NS) memset(f, 0, sizeof *f);
    if (f->name[0] && !strcmp(f->name, name)) return f;
    if (f->first_ns < oldest->first_ns) oldest = f;
  }
  if (!make) return NULL;
  memset(oldest, 0, sizeof *oldest);
  snprintf(oldest->name, sizeof oldest->name, "%s", name);
  oldest->first_ns = now;
  return oldest;
}

/* ---- what an account may see ------------------------------------------------------ */

typedef struct authority_check {
  const char *agency;
  int64_t authority;
  int yes;
} authority_check;

static int agency_under(void *arg, const soc_center_agent *a) {
  authority_check *k = arg;
  if (!strcmp(a->agency, k->agency) && a->authority == k->authority) k->yes = 1;
  return 0;
}

static int may_see(req *q, const char *agency) {
  if (!strcmp(q->a.role, "center")) return 1;
  if (!strcmp(q->a.role, "analyst")) return q->a.agency[0] && !strcmp(q->a.agency, agency);
  if (!strcmp(q->a.role, "reviewer")) {
    authority_check k = {.agency = agency, .authority = q->a.authority};
    if (soc_store_center_agents_scan(q->c->store, agency_under, &k) < 0) return 0;
    return k.yes;
  }
  return 0;
}

/* ---- pages ---------------------------------------------------------------------------- */

static int login_page(req *q, const char *error) {
  page pg;
  FILE *f = page_open(q, T(q, "登入", "Log in"), &pg);
  if (!f) return 0;
  fprintf(f, "<h1>%s</h1>", T(q, "資安事件通報平台 登入", "SOC console: log in"));
  if (error) fprintf(f, "<p class=\"err\">%s</p>", error);
  fprintf(f,
          "<form method=\"post\" action=\"/login\"><label>%s <input name=\"user\" "
          "autocomplete=\"username\" maxlength=\"64\" required></label><label>%s <input "
          "type=\"password\" name=\"password\" autocomplete=\"current-password\" "
          "maxlength=\"256\" required></label><button>%s</button></form>"
          "<p><a href=\"/login?lang=%s\">%s</a></p>",
          T(q, "帳號", "Account"), T(q, "密碼", "Password"), T(q, "登入", "Log in"),
          q->en ? "zh" : "en", q->en ? "中文" : "English");
  return page_send(q, &pg);
}

static int login(req *q) {
  char name[NAME_MAX_LEN + 1], password[257];
  hash_copy h = {0};
  param(q, "user", name, sizeof name);
  param(q, "password", password, sizeof password);
  failed *fl = failures_of(q->c, name, q->now_ns, 0);
  if (fl && fl->count >= FAIL_LIMIT) {
    audit(q, name, "login-locked", "", "too many failed logins");
    sodium_memzero(password, sizeof password);
    return plain(q, "429 Too Many Requests", "too many failed logins; try again later\n");
  }
  int rc = name[0] ? soc_store_console_user_get(q->c->store, name, copy_hash, &h) : -ENOENT;
  /* one Argon2id verification whether the name exists or not, so that the
   * answer's time does not tell which names are accounts */
  int match =
      crypto_pwhash_str_verify(rc == 0 ? h.hash : q->c->decoy, password, strlen(password)) == 0;
  int ok = rc == 0 && !h.a.disabled && match;
  sodium_memzero(password, sizeof password);
  if (!ok) {
    fl = failures_of(q->c, name, q->now_ns, 1);
    fl->count++;
    audit(q, name, "login-failed", "", rc == 0 && h.a.disabled ? "disabled" : "");
    return login_page(q, T(q, "帳號或密碼錯誤", "wrong account or password"));
  }
  if ((fl = failures_of(q->c, name, q->now_ns, 0))) memset(fl, 0, sizeof *fl);
  session *s = session_new(q->c, name, q->now_ns);
  audit(q, name, "login", "", "");
  /* Secure when the TLS proxy in front says the browser speaks HTTPS */
  char cookie[256], proto[16] = "";
  soc_http_header(q->http, "X-Forwarded-Proto", proto, sizeof proto);
  snprintf(cookie, sizeof cookie,
           "Set-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s\r\n", s->token,
           !strcasecmp(proto, "https") ? "; Secure" : "");
  return redirect(q, "/", cookie);
}

typedef struct triage_ctx {
  req *q;
  FILE *f;
  size_t rows;
} triage_ctx;

static int triage_row(void *arg, const soc_center_report *r) {
  triage_ctx *t = arg;
  if (!may_see(t->q, r->agency)) return 0;
  char disc[32];
  iso(disc, sizeof disc, r->discovered_ns);
  fputs("<tr><td><a href=\"/report?id=", t->f);
  esc(t->f, r->id);
  fputs("\">", t->f);
  esc(t->f, r->id);
  fputs("</a></td><td>", t->f);
  esc(t->f, r->agency);
  fprintf(t->f, "</td><td>%d</td><td>", r->level);
  esc(t->f, r->state);
  fputs("</td><td>", t->f);
  esc(t->f, r->category);
  /* §3.1's clock runs until the report is filed (state confirmed). */
  if (!strcmp(r->state, "confirmed"))
    fprintf(t->f,
            "</td><td>%s</td><td><span data-since=\"%" PRId64
            "\" data-limit=\"3600000\"></span>%s</td></tr>",
            disc, r->discovered_ns / 1000000, r->flagged_ns ? " ⚠" : "");
  else
    fprintf(t->f, "</td><td>%s</td><td>%s%s</td></tr>", disc, T(t->q, "已通報", "filed"),
            r->flagged_ns ? " ⚠" : "");
  t->rows++;
  return 0;
}

#define TRIAGE_SHOWN 200 /* newest drafts and alerts shown */

typedef struct messages_ctx {
  req *q;
  FILE *f;
  size_t rows;
} messages_ctx;

/* body's field at a dotted path as text ("" when absent). */
static const char *field(fjson_object *body, const char *path) {
  char part[64];
  fjson_object *o = body;
  while (o && *path) {
    size_t n = strcspn(path, ".");
    snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), path);
    if (!fjson_object_object_get_ex(o, part, &o)) return "";
    path += n + (path[n] == '.');
  }
  const char *v = o ? fjson_object_get_string(o) : NULL;
  return v ? v : "";
}

static void cells(FILE *f, fjson_object *body, const char *const *paths) {
  for (; *paths; paths++) {
    fputs("<td>", f);
    esc(f, field(body, *paths));
    fputs("</td>", f);
  }
}

/* A draft as the agent forwarded it (soc.incidents): its own clock, from
 * report_due, runs while it is open. */
static int draft_row(void *arg, const char *agent, const char *agency, int64_t received_ns,
                     const char *text) {
  messages_ctx *k = arg;
  static const char *const cols[] = {"level",      "rule.title", "clause.ref",
                                     "asset.name", "first_seen", "last_seen",
                                     "count",      "status",     NULL};
  (void)received_ns;
  if (!may_see(k->q, agency)) return 0;
  fjson_object *body = fjson_tokener_parse(text);
  if (!body) return 0;
  int64_t due = 0;
  fputs("<tr><td>", k->f);
  esc(k->f, agent);
  fputs("/", k->f);
  esc(k->f, field(body, "id"));
  fputs("</td>", k->f);
  cells(k->f, body, cols);
  if (!strcmp(field(body, "status"), "open") &&
      soc_time_parse_ns(field(body, "report_due"), &due) == 0)
    fprintf(k->f, "<td><span data-due=\"%" PRId64 "\"></span></td></tr>", due / 1000000);
  else
    fputs("<td>-</td></tr>", k->f);
  fjson_object_put(body);
  k->rows++;
  return 0;
}

static int alert_row(void *arg, const char *agent, const char *agency, int64_t received_ns,
                     const char *text) {
  messages_ctx *k = arg;
  static const char *const cols[] = {"alert",      "draft",     "level", "rule.name", "impact",
                                     "first_seen", "last_seen", "count", NULL};
  (void)received_ns;
  if (!may_see(k->q, agency)) return 0;
  fjson_object *body = fjson_tokener_parse(text);
  if (!body) return 0;
  fputs("<tr><td>", k->f);
  esc(k->f, agent);
  fputs("</td>", k->f);
  cells(k->f, body, cols);
  fputs("</tr>", k->f);
  fjson_object_put(body);
  k->rows++;
  return 0;
}

/* The rows of <prefix>.<kind>'s latest messages, and the table's end. */
static void messages_rows(messages_ctx *m, const char *kind, const char *id_path,
                          soc_console_message_cb row) {
  char topic[300];
  snprintf(topic, sizeof topic, "%s.%s", m->q->c->cfg->kafka.topic_prefix, kind);
  soc_store_console_latest_scan(m->q->c->store, topic, id_path, TRIAGE_SHOWN, row, m);
  fputs("</table>", m->f);
}

static int triage_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "事件分流", "Triage"), &pg);
  if (!f) return 0;
  messages_ctx m = {.q = q, .f = f};
  table_head(f, T(q, "草稿 (代理程式轉送)", "Drafts (as the agents forward them)"),
             T(q, "編號", "ID"), T(q, "等級", "Level"), T(q, "規則", "Rule"),
             T(q, "條款", "Clause"), T(q, "資產", "Asset"), T(q, "首次", "First seen"),
             T(q, "最後", "Last seen"), T(q, "次數", "Count"), T(q, "狀態", "Status"),
             T(q, "§3.1 通報期限", "§3.1 report due"), NULL);
  messages_rows(&m, "incidents", "$.id", draft_row);
  table_head(f, T(q, "警示", "Alerts"), T(q, "代理程式", "Agent"), T(q, "警示", "Alert"),
             T(q, "草稿", "Draft"), T(q, "等級", "Level"), T(q, "規則", "Rule"),
             T(q, "影響", "Impact"), T(q, "首次", "First seen"), T(q, "最後", "Last seen"),
             T(q, "次數", "Count"), NULL);
  messages_rows(&m, "alerts", "$.alert", alert_row);
  table_head(
      f, T(q, "通報", "Reports"), T(q, "編號", "ID"), T(q, "機關", "Agency"), T(q, "等級", "Level"),
      T(q, "狀態", "State"), T(q, "事件分類", "Category"), T(q, "知悉時間", "Discovered"),
      T(q, "§3.1 知悉後經過 (1 小時內通報)", "§3.1 since discovery (report within 1 h)"), NULL);
  triage_ctx t = {.q = q, .f = f};
  int rc = soc_store_center_reports_scan(q->c->store, triage_row, &t);
  fputs("</table>", f);
  if (rc < 0) fprintf(f, "<p class=\"err\">%s</p>", T(q, "無法讀取", "cannot read the store"));
  if (!t.rows && !m.rows) fprintf(f, "<p>%s</p>", T(q, "沒有資料", "nothing yet"));
  return page_send(q, &pg);
}

typedef struct report_copy {
  soc_center_report r;
  char *body;
  char id[256], agency[NAME_MAX_LEN + 1], state[32], category[64];
} report_copy;

static int copy_report(void *arg, const soc_center_report *r) {
  report_copy *x = arg;
  x->r = *r;
  snprintf(x->id, sizeof x->id, "%s", r->id);
  snprintf(x->agency, sizeof x->agency, "%s", r->agency);
  snprintf(x->state, sizeof x->state, "%s", r->state);
  snprintf(x->category, sizeof x->category, "%s", r->category);
  x->body = strdup(r->body);
  return x->body ? 0 : -ENOMEM;
}

typedef struct notes_ctx {
  FILE *f;
  const char *id;
} notes_ctx;

static int note_row(void *arg, int64_t seq, int64_t at_ns, const char *account, const char *action,
                    const char *target, const char *detail) {
  notes_ctx *n = arg;
  (void)seq;
  if (strcmp(action, "note") || strcmp(target, n->id)) return 0;
  char at[32];
  iso(at, sizeof at, at_ns);
  fprintf(n->f, "<li>%s ", at);
  esc(n->f, account);
  fputs(": ", n->f);
  esc(n->f, detail);
  fputs("</li>", n->f);
  return 0;
}

/* The report the request names, when the account may see it; else the
 * answer is sent (404) and -ENOENT returned. */
static int visible_report(req *q, report_copy *x) {
  char id[256];
  if (param(q, "id", id, sizeof id) < 0 || !id[0]) goto none;
  if (soc_store_center_report_get(q->c->store, id, copy_report, x) < 0) goto none;
  if (!may_see(q, x->agency)) goto none;
  return 0;
none:
  not_found(q);
  return -ENOENT;
}

/* A form posting to action about report id, with the session's CSRF token. */
static void form_open(req *q, FILE *f, const char *action, const char *id) {
  fprintf(f,
          "<form method=\"post\" action=\"%s\"><input type=\"hidden\" name=\"csrf\" "
          "value=\"%s\"><input type=\"hidden\" name=\"id\" value=\"",
          action, q->s->csrf);
  esc(f, id);
  fputs("\">", f);
}

/* One clock: its step, clause, who owes it, when due (with a live
 * countdown while open), when done, and its status. */
static void clock_row(req *q, FILE *f, const char *zh, const char *en, const char *clause,
                      const char *who, soc_deadline_status st, int64_t due, int64_t done) {
  char d1[32] = "-", d2[32] = "-";
  if (due) iso(d1, sizeof d1, due * 1000000000);
  if (done) iso(d2, sizeof d2, done * 1000000000);
  fputs("<tr><td>", f);
  esc(f, q->en || !zh ? en : zh);
  fputs("</td><td>", f);
  esc(f, clause ? clause : "");
  fputs("</td><td>", f);
  esc(f, who);
  fprintf(f, "</td><td>%s", d1);
  if (due && !done) fprintf(f, " <span data-due=\"%" PRId64 "\"></span>", due * 1000);
  fprintf(f, "</td><td>%s</td><td%s>%s</td></tr>", d2,
          st == SOC_DEADLINE_OVERDUE ? " class=\"late\"" : "", soc_deadline_status_name(st));
}

static void clocks(req *q, FILE *f, const soc_center_view *v) {
  table_head(f, T(q, "時限", "Clocks"), T(q, "步驟", "Step"), T(q, "條文", "Clause"),
             T(q, "應辦者", "Who"), T(q, "期限 (剩餘)", "Due (left)"), T(q, "完成", "Done"),
             T(q, "狀態", "Status"), NULL);
  for (size_t i = 0; i < v->ndl; i++)
    clock_row(q, f, v->dl[i].step->title_zh, v->dl[i].step->title, v->dl[i].step->clause,
              v->dl[i].step->who, v->dl[i].status, v->dl[i].due, v->dl[i].done);
  if (v->support_requested)
    clock_row(q, f, "技術支援派遣", "support dispatched", NULL, "center", v->support_status,
              v->support_due, v->support_done);
  fputs("</table>", f);
}

typedef struct decisions_ctx {
  req *q;
  FILE *f;
  fjson_object *applied; /* the agent's record of them: "center_decisions" */
} decisions_ctx;

/* A decision of the center's on the report, and whether the agent's latest
 * revision says it applied it. */
static int decision_row(void *arg, const char *kind, int64_t at_ns, const char *body) {
  decisions_ctx *k = arg;
  char at[32];
  fjson_object *d = fjson_tokener_parse(body);
  const char *id = d ? soc_report_str(d, "id") : NULL, *by = d ? soc_report_str(d, "by") : NULL;
  const char *state = T(k->q, "待代理程式套用", "waiting for the agent");
  int n = k->applied ? fjson_object_array_length(k->applied) : 0;
  for (int i = 0; id && i < n; i++) {
    fjson_object *e = fjson_object_array_get_idx(k->applied, i);
    const char *eid = soc_report_str(e, "id");
    fjson_object *ok = NULL;
    if (!eid || strcmp(eid, id)) continue;
    fjson_object_object_get_ex(e, "applied", &ok);
    state = fjson_object_get_boolean(ok) ? T(k->q, "代理程式已套用", "applied by the agent")
                                         : T(k->q, "代理程式拒絕", "refused by the agent");
  }
  iso(at, sizeof at, at_ns);
  fputs("<tr><td>", k->f);
  esc(k->f, id);
  fputs("</td><td>", k->f);
  esc(k->f, kind);
  fprintf(k->f, "</td><td>%s</td><td>", at);
  esc(k->f, by);
  fputs("</td><td class=\"applied\">", k->f);
  esc(k->f, state);
  fputs("</td></tr>", k->f);
  if (d) fjson_object_put(d);
  return 0;
}

static void decisions(req *q, FILE *f, const report_copy *x) {
  decisions_ctx k = {.q = q, .f = f};
  fjson_object *raw = fjson_tokener_parse(x->body);
  if (raw && (!fjson_object_object_get_ex(raw, "center_decisions", &k.applied) ||
              !fjson_object_is_type(k.applied, fjson_type_array)))
    k.applied = NULL;
  table_head(f, T(q, "中心決定", "The center's decisions"), "ID", T(q, "種類", "Kind"),
             T(q, "時間", "At"), T(q, "決定者", "By"), T(q, "套用", "Applied"), NULL);
  soc_store_center_decisions_scan(q->c->store, x->id, decision_row, &k);
  fputs("</table>", f);
  if (raw) fjson_object_put(raw);
  int center = !strcmp(q->a.role, "center");
  if (center || !strcmp(q->a.role, "reviewer")) {
    form_open(q, f, "/review", x->id);
    fprintf(f,
            "<label>%s <input name=\"result\" maxlength=\"500\" size=\"60\"></label>"
            "<button id=\"review\">%s</button></form>",
            T(q, "審核意見", "Review result"), T(q, "審核", "Review"));
  }
  if (center) {
    form_open(q, f, "/level", x->id);
    fprintf(f,
            "<label>%s <select name=\"level\"><option>1</option><option>2</option>"
            "<option>3</option><option>4</option></select></label><label>%s <input "
            "name=\"reason\" maxlength=\"500\" size=\"60\" required></label>"
            "<button>%s</button></form>",
            T(q, "調整等級", "New level"), T(q, "理由", "Reason"), T(q, "調整", "Re-level"));
    form_open(q, f, "/support", x->id);
    fprintf(f, "<button>%s</button></form>", T(q, "派遣技術支援", "Dispatch support"));
  }
}

typedef struct bundles_ctx {
  req *q;
  FILE *f;
  const char *report;
} bundles_ctx;

/* An evidence bundle of the report: its state as the center verified it
 * and its manifest. */
static int bundle_row(void *arg, const soc_center_bundle *b) {
  bundles_ctx *k = arg;
  if (strcmp(b->report, k->report)) return 0;
  fputs("<tr><td>", k->f);
  esc(k->f, b->id);
  fprintf(k->f, "</td><td class=\"bundle-%s\">", !strcmp(b->state, "verified") ? "ok" : "no");
  esc(k->f, b->state);
  fputs(" ", k->f);
  esc(k->f, b->reason);
  fprintf(k->f, "</td><td>%" PRId64 "/%" PRId64 "</td><td>%" PRId64 "</td><td><details><pre>",
          b->have, b->chunks, b->size);
  esc(k->f, b->manifest);
  fputs("</pre></details></td></tr>", k->f);
  return 0;
}

static void bundles(req *q, FILE *f, const char *report) {
  bundles_ctx k = {.q = q, .f = f, .report = report};
  table_head(f, T(q, "證據包", "Evidence bundles"), "ID", T(q, "驗證", "Verification"),
             T(q, "分段", "Chunks"), T(q, "位元組", "Bytes"), T(q, "清單", "Manifest"), NULL);
  soc_store_center_bundles_scan(q->c->store, bundle_row, &k);
  fputs("</table>", f);
}

static int report_page(req *q) {
  report_copy x = {0};
  soc_center_view v = {0};
  char *form = NULL;
  if (visible_report(q, &x) < 0) goto out;
  soc_center_report row = {.id = x.id, .agency = x.agency, .body = x.body};
  int64_t now_s = q->now_ns / 1000000000;
  /* A document the center cannot read (kept as it came) is still shown raw. */
  int readable = soc_center_view_of(q->c->center, q->c->store, &row, now_s, &v) == 0 && v.doc;
  page pg;
  FILE *f = page_open(q, x.id, &pg);
  if (!f) goto out;
  fputs("<h1>", f);
  esc(f, x.id);
  fprintf(f, " — %s %d, ", T(q, "等級", "level"), x.r.level);
  esc(f, x.state);
  fprintf(f, "</h1><p><a href=\"/report.txt?id=");
  esc(f, x.id);
  fprintf(f, "\">%s</a> · <a href=\"/report.stix?id=", T(q, "通報單 (文字)", "the form (text)"));
  esc(f, x.id);
  fprintf(f, "\">STIX 2.1</a></p>");
  if (readable) clocks(q, f, &v);
  decisions(q, f, &x);
  bundles(q, f, x.id);
  fprintf(f, "<h2>%s</h2><pre id=\"form\">",
          T(q, "通報單 (步驟 1–6)", "The national form (Steps 1–6)"));
  if (readable && soc_report_export_text(v.doc, now_s, &form) == 0)
    esc(f, form);
  else
    fputs(T(q, "無法解讀這份通報", "this document cannot be read as a report"), f);
  fprintf(f, "</pre><h2>%s</h2><ul>", T(q, "註記", "Notes"));
  notes_ctx n = {.f = f, .id = x.id};
  soc_store_console_audit_scan(q->c->store, note_row, &n);
  fputs("</ul>", f);
  form_open(q, f, "/note", x.id);
  fprintf(f,
          "<label>%s <textarea name=\"text\" maxlength=\"1000\" rows=\"3\" cols=\"80\" required>"
          "</textarea></label><button>%s</button></form>",
          T(q, "新增註記", "Add a note"), T(q, "送出", "Save"));
  fprintf(f, "<details><summary>%s</summary><pre>", T(q, "原始 JSON", "The JSON as received"));
  esc(f, x.body);
  fputs("</pre></details>", f);
  audit(q, q->a.name, "view", x.id, "");
  page_send(q, &pg);
out:
  free(form);
  soc_center_view_clear(&v);
  free(x.body);
  return 0;
}

/* The form as text or STIX, as a download. */
static int report_export(req *q, int stix) {
  report_copy x = {0};
  fjson_object *doc = NULL;
  char *text = NULL, extra[400];
  if (visible_report(q, &x) < 0) goto out;
  doc = fjson_tokener_parse(x.body);
  int rc = !doc   ? -EINVAL
           : stix ? soc_report_export_stix(doc, &text)
                  : soc_report_export_text(doc, q->now_ns / 1000000000, &text);
  if (rc < 0) {
    plain(q, "500 Internal Server Error", "cannot export the report\n");
    goto out;
  }
  char name[256];
  size_t i = 0;
  for (; x.id[i] && i + 1 < sizeof name; i++) /* "ag1/3" -> "ag1-3" */
    name[i] = (x.id[i] == '/' || x.id[i] == '"' || (unsigned char)x.id[i] < 0x20) ? '-' : x.id[i];
  name[i] = '\0';
  snprintf(extra, sizeof extra, "Content-Disposition: attachment; filename=\"%s.%s\"\r\n", name,
           stix ? "stix.json" : "txt");
  audit(q, q->a.name, "download", x.id, stix ? "stix" : "text");
  answer(q, "200 OK", extra, stix ? "application/json" : "text/plain; charset=utf-8", text,
         strlen(text));
out:
  free(text);
  if (doc) fjson_object_put(doc);
  free(x.body);
  return 0;
}

/* review (reviewer, center), level and support (center): the center's
 * decision through the outbox, as `soccollector review|support` makes it. */
static int decide(req *q, const char *kind) {
  report_copy x = {0};
  char result[512] = "", reason[512] = "", level[4] = "", why[SOC_CENTER_DECIDE_WHY_MAX], to[320];
  int center = !strcmp(q->a.role, "center");
  if (!center && !(strcmp(kind, "review") == 0 && !strcmp(q->a.role, "reviewer")))
    return not_found(q);
  if (visible_report(q, &x) < 0) goto out;
  param(q, "result", result, sizeof result);
  param(q, "reason", reason, sizeof reason);
  param(q, "level", level, sizeof level);
  soc_center_decide_opts o = {.at_ns = q->now_ns,
                              .by = q->a.name,
                              .reason = reason[0] ? reason : NULL,
                              .result = result,
                              .level = atoi(level)};
  int64_t n = 0;
  int status =
      soc_center_decide(q->c->cfg, q->c->center, q->c->store, x.id, kind, &o, &n, why, sizeof why);
  audit(q, q->a.name, status ? "decision-refused" : kind, x.id, why);
  if (status) {
    plain(q, status == 2 ? "409 Conflict" : "500 Internal Server Error", why);
    goto out;
  }
  snprintf(to, sizeof to, "/report?id=%s", x.id);
  redirect(q, to, NULL);
out:
  free(x.body);
  return 0;
}

static int note(req *q) {
  report_copy x = {0};
  char text[FIELD_MAX], to[320];
  if (visible_report(q, &x) < 0) goto out;
  if (param(q, "text", text, sizeof text) < 0 || !text[0]) {
    plain(q, "400 Bad Request", "a note needs text\n");
    goto out;
  }
  audit(q, q->a.name, "note", x.id, text);
  snprintf(to, sizeof to, "/report?id=%s", x.id);
  redirect(q, to, NULL);
out:
  free(x.body);
  return 0;
}

typedef struct agents_ctx {
  req *q;
  FILE *f;
} agents_ctx;

static int agent_line(void *arg, const soc_center_agent *a) {
  agents_ctx *k = arg;
  char seen[32];
  int64_t silence_ns = k->q->c->cfg->collector.agent_silence * INT64_C(1000000000);
  iso(seen, sizeof seen, a->seen_ns);
  fputs("<tr><td>", k->f);
  esc(k->f, a->id);
  fputs("</td><td>", k->f);
  esc(k->f, a->agency);
  fprintf(k->f, "</td><td>%" PRId64 "</td><td>", a->authority);
  esc(k->f, a->version);
  fprintf(k->f, "</td><td>%s</td><td%s>%s</td></tr>", seen,
          k->q->now_ns - a->seen_ns > silence_ns ? " class=\"late\"" : "",
          k->q->now_ns - a->seen_ns > silence_ns ? T(k->q, "沉默", "silent")
                                                 : T(k->q, "正常", "alive"));
  return 0;
}

static int agents_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "代理程式", "Agents"), &pg);
  if (!f) return 0;
  table_head(f, T(q, "代理程式", "Agents"), "ID", T(q, "機關", "Agency"),
             T(q, "主管機關", "Authority"), T(q, "版本", "Version"),
             T(q, "最後心跳", "Last heartbeat"), T(q, "狀態", "State"), NULL);
  agents_ctx k = {.q = q, .f = f};
  soc_store_center_agents_scan(q->c->store, agent_line, &k);
  fputs("</table>", f);
  return page_send(q, &pg);
}

static int audit_line(void *arg, int64_t seq, int64_t at_ns, const char *account,
                      const char *action, const char *target, const char *detail) {
  FILE *f = arg;
  char at[32];
  iso(at, sizeof at, at_ns);
  fprintf(f, "<tr><td>%" PRId64 "</td><td>%s</td><td>", seq, at);
  esc(f, account);
  fputs("</td><td>", f);
  esc(f, action);
  fputs("</td><td>", f);
  esc(f, target);
  fputs("</td><td>", f);
  esc(f, detail);
  fputs("</td></tr>", f);
  return 0;
}

static int audit_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "稽核紀錄", "Audit"), &pg);
  if (!f) return 0;
  table_head(f, T(q, "稽核紀錄", "Audit"), "#", T(q, "時間", "At"), T(q, "帳號", "Account"),
             T(q, "動作", "Action"), T(q, "對象", "Target"), T(q, "內容", "Detail"), NULL);
  soc_store_console_audit_scan(q->c->store, audit_line, f);
  fputs("</table>", f);
  return page_send(q, &pg);
}

/* ---- the center's views --------------------------------------------------------------------- */

#define SUMMARY_ROWS 512
#define QUARANTINE_SHOWN 100

typedef struct summary_row {
  char agency[NAME_MAX_LEN + 1], category[32];
  int level;
  int64_t reports, open, overdue;
} summary_row;

typedef struct summary_ctx {
  req *q;
  FILE *f; /* the overdue table, written as they come */
  summary_row rows[SUMMARY_ROWS];
  size_t n, dropped;
} summary_ctx;

static int summary_add(void *arg, const soc_center_report *r) {
  summary_ctx *k = arg;
  soc_center_view v = {0};
  int overdue =
      soc_center_view_of(k->q->c->center, k->q->c->store, r, k->q->now_ns / 1000000000, &v) == 0 &&
      v.overdue;
  if (overdue) {
    fputs("<tr><td><a href=\"/report?id=", k->f);
    esc(k->f, r->id);
    fputs("\">", k->f);
    esc(k->f, r->id);
    fputs("</a></td><td>", k->f);
    esc(k->f, r->agency);
    fprintf(k->f, "</td><td>%d</td><td class=\"late\">", r->level);
    for (size_t i = 0; i < v.ndl; i++)
      if (v.dl[i].status == SOC_DEADLINE_OVERDUE) {
        esc(k->f,
            k->q->en || !v.dl[i].step->title_zh ? v.dl[i].step->title : v.dl[i].step->title_zh);
        fputs(" ", k->f);
      }
    if (v.support_status == SOC_DEADLINE_OVERDUE) fputs(T(k->q, "技術支援 ", "support "), k->f);
    fputs("</td></tr>", k->f);
  }
  soc_center_view_clear(&v);
  size_t i = 0;
  while (i < k->n && (strcmp(k->rows[i].agency, r->agency) || k->rows[i].level != r->level ||
                      strcmp(k->rows[i].category, r->category)))
    i++;
  if (i == k->n) {
    if (k->n == SUMMARY_ROWS) {
      k->dropped++;
      return 0;
    }
    summary_row *w = &k->rows[k->n++];
    snprintf(w->agency, sizeof w->agency, "%s", r->agency);
    snprintf(w->category, sizeof w->category, "%s", r->category);
    w->level = r->level;
  }
  k->rows[i].reports++;
  k->rows[i].open += strcmp(r->state, "closed") != 0;
  k->rows[i].overdue += overdue;
  return 0;
}

static int summary_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "總覽", "Summary"), &pg);
  if (!f) return 0;
  summary_ctx *k = calloc(1, sizeof *k);
  if (!k) {
    fclose(f);
    free(pg.buf);
    return plain(q, "500 Internal Server Error", "out of memory\n");
  }
  k->q = q;
  k->f = f;
  table_head(f, T(q, "逾期", "Overdue"), T(q, "編號", "ID"), T(q, "機關", "Agency"),
             T(q, "等級", "Level"), T(q, "逾期步驟", "Overdue steps"), NULL);
  soc_store_center_reports_scan(q->c->store, summary_add, k);
  fputs("</table>", f);
  table_head(f, T(q, "各機關統計", "Per agency, level and category"), T(q, "機關", "Agency"),
             T(q, "等級", "Level"), T(q, "事件分類", "Category"), T(q, "通報數", "Reports"),
             T(q, "未結案", "Open"), T(q, "逾期", "Overdue"), NULL);
  for (size_t i = 0; i < k->n; i++) {
    fputs("<tr><td>", f);
    esc(f, k->rows[i].agency);
    fprintf(f, "</td><td>%d</td><td>", k->rows[i].level);
    esc(f, k->rows[i].category);
    fprintf(f, "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64 "</td></tr>",
            k->rows[i].reports, k->rows[i].open, k->rows[i].overdue);
  }
  fputs("</table>", f);
  if (k->dropped) fprintf(f, "<p class=\"err\">+%zu</p>", k->dropped);
  free(k);
  return page_send(q, &pg);
}

static int quarantine_line(void *arg, const soc_center_rejected *r) {
  FILE *f = arg;
  char at[32];
  iso(at, sizeof at, r->received_ns);
  fprintf(f, "<tr><td>%s</td><td>", at);
  esc(f, r->topic);
  fprintf(f, " [%d] @%" PRId64 "</td><td>", r->partition, r->offset);
  esc(f, r->reason);
  fputs("</td><td>", f);
  esc(f, r->detail);
  fprintf(f, "</td><td>%" PRId64 "</td></tr>", r->size);
  return 0;
}

static int quarantine_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "隔離區", "Quarantine"), &pg);
  if (!f) return 0;
  table_head(f, T(q, "隔離區 (最近 100 筆)", "Quarantine (the last 100)"), T(q, "收到", "Received"),
             T(q, "來源", "From"), T(q, "原因", "Reason"), T(q, "細節", "Detail"),
             T(q, "位元組", "Bytes"), NULL);
  soc_store_center_quarantine_scan(q->c->store, QUARANTINE_SHOWN, quarantine_line, f);
  fputs("</table>", f);
  return page_send(q, &pg);
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

static int open_store(soc_console *c) {
  char path[4096], err[600];
  if (c->store) return 0;
  snprintf(path, sizeof path, "%s/center.db", c->cfg->collector.state_dir);
  if (soc_center_store_open(path, &c->store, err, sizeof err) < 0) {
    fprintf(stderr, "soccollector: console: %s\n", err);
    return -EIO;
  }
  return 0;
}

/* query without its lang= parameters, for links and redirects that keep
 * the page but change the language. */
static void without_lang(const char *query, char *out, size_t cap) {
  size_t o = 0;
  out[0] = '\0';
  for (const char *p = query; *p;) {
    size_t n = strcspn(p, "&");
    if (strncmp(p, "lang=", 5) != 0 && o + n + 2 < cap) {
      if (o) out[o++] = '&';
      memcpy(out + o, p, n);
      o += n;
      out[o] = '\0';
    }
    p += n + (p[n] == '&');
  }
}

static int dispatch(req *q) {
  const soc_http_request *r = q->http;
  const char *mark = strchr(r->target, '?');
  size_t pl = mark ? (size_t)(mark - r->target) : strlen(r->target);
  int post = !strcmp(r->method, "POST");
  if (pl >= sizeof q->path || (mark && strlen(mark + 1) >= sizeof q->query))
    return plain(q, "414 URI Too Long", "too long\n");
  memcpy(q->path, r->target, pl);
  snprintf(q->query, sizeof q->query, "%s", mark ? mark + 1 : "");
  without_lang(q->query, q->rest, sizeof q->rest);
  if (!post && strcmp(r->method, "GET")) return plain(q, "405 Method Not Allowed", "no\n");
  /* Language: ?lang= sets it, a cookie keeps it; Chinese unless English. */
  char lang[8], lang_cookie[64] = "";
  if (soc_http_form_get(q->query, strlen(q->query), "lang", lang, sizeof lang) == 0) {
    q->en = !strcmp(lang, "en");
    snprintf(lang_cookie, sizeof lang_cookie,
             "Set-Cookie: soc_lang=%s; Path=/; SameSite=Strict\r\n", q->en ? "en" : "zh");
  } else {
    soc_http_cookie(r, "soc_lang", lang, sizeof lang);
    q->en = !strcmp(lang, "en");
  }
  /* What needs no session: the stylesheet, the clocks' script, the login. */
  if (!post && !strcmp(q->path, "/console.css"))
    return answer(q, "200 OK", NULL, "text/css; charset=utf-8", css, sizeof css - 1);
  if (!post && !strcmp(q->path, "/console.js"))
    return answer(q, "200 OK", NULL, "text/javascript; charset=utf-8", js, sizeof js - 1);
  if (open_store(q->c) < 0) return plain(q, "503 Service Unavailable", "store unavailable\n");
  if (!strcmp(q->path, "/login")) {
    if (post) return login(q);
    if (lang_cookie[0]) return redirect(q, "/login", lang_cookie);
    return login_page(q, NULL);
  }
  /* Everything else: a session of an enabled account. */
  if ((q->s = session_find(q)) != NULL &&
      (soc_store_console_user_get(q->c->store, q->s->name, copy_account, &q->a) < 0 ||
       q->a.disabled)) {
    memset(q->s, 0, sizeof *q->s);
    q->s = NULL;
  }
  if (!q->s)
    return post ? plain(q, "403 Forbidden", "log in first\n") : redirect(q, "/login", NULL);
  q->s->last_ns = q->now_ns;
  if (post) {
    char csrf[TOKEN_HEX + 8];
    if (soc_http_form_get(r->body, r->body_len, "csrf", csrf, sizeof csrf) < 0 ||
        strlen(csrf) != TOKEN_HEX - 1 || sodium_memcmp(csrf, q->s->csrf, TOKEN_HEX - 1) != 0) {
      audit(q, q->a.name, "refused", q->path, "missing or wrong CSRF token");
      return plain(q, "403 Forbidden", "missing or wrong CSRF token\n");
    }
    if (!strcmp(q->path, "/logout")) {
      audit(q, q->a.name, "logout", "", "");
      memset(q->s, 0, sizeof *q->s);
      return redirect(q, "/login",
                      "Set-Cookie: " COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n");
    }
    if (!strcmp(q->path, "/note")) return note(q);
    if (!strcmp(q->path, "/review")) return decide(q, "review");
    if (!strcmp(q->path, "/level")) return decide(q, "level");
    if (!strcmp(q->path, "/support")) return decide(q, "support");
    return not_found(q);
  }
  if (lang_cookie[0]) {
    char to[sizeof q->path + sizeof q->rest + 1];
    snprintf(to, sizeof to, "%s%s%s", q->path, q->rest[0] ? "?" : "", q->rest);
    return redirect(q, to, lang_cookie);
  }
  if (!strcmp(q->path, "/")) return triage_page(q);
  if (!strcmp(q->path, "/report")) return report_page(q);
  if (!strcmp(q->path, "/report.txt")) return report_export(q, 0);
  if (!strcmp(q->path, "/report.stix")) return report_export(q, 1);
  if (!strcmp(q->a.role, "center")) {
    if (!strcmp(q->path, "/agents")) return agents_page(q);
    if (!strcmp(q->path, "/audit")) return audit_page(q);
    if (!strcmp(q->path, "/summary")) return summary_page(q);
    if (!strcmp(q->path, "/quarantine")) return quarantine_page(q);
  }
  return not_found(q);
}

static void handle(void *arg, int fd, const soc_http_request *r) {
  req q = {.c = arg, .fd = fd, .http = r, .now_ns = now_ns()};
  dispatch(&q);
}

int soc_console_start(const soc_collector_config *cfg, soc_console **out) {
  *out = NULL;
  if (!cfg->console.listen) return 0;
  if (sodium_init() < 0) return -EIO;
  soc_console *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  c->cfg = cfg;
  char random[32];
  randombytes_buf(random, sizeof random);
  int rc = soc_console_hash(random, sizeof random, c->decoy);
  if (rc == 0) rc = soc_center_new(cfg, &c->center);
  if (rc == 0) rc = soc_http_server_start(cfg->console.listen, handle, c, &c->server);
  if (rc < 0) {
    fprintf(stderr, "soccollector: console: cannot listen on %s: %s\n", cfg->console.listen,
            strerror(-rc));
    soc_console_free(c);
    return rc;
  }
  /* the port bound (listen may say 0), for the operator and the demo */
  fprintf(stderr, "soccollector: console at http://%.*s:%u/\n",
          (int)(strrchr(cfg->console.listen, ':') - cfg->console.listen), cfg->console.listen,
          soc_metrics_server_port(c->server));
  *out = c;
  return 0;
}

void soc_console_free(soc_console *c) {
  if (!c) return;
  soc_metrics_server_free(c->server);
  soc_center_store_close(c->store);
  soc_center_free(c->center);
  sodium_memzero(c->sessions, sizeof c->sessions);
  free(c);
}
