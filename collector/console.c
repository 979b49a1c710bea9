/*
 * console — see the header. Pages are written whole into a memory stream
 * and sent with their length; the listener (lib/base/metrics.c) serves one
 * request at a time on its own thread, which also owns the session table
 * and its own connection to the store (center.db or PostgreSQL: centerdb.h),
 * so neither needs a lock.
 */
#define _GNU_SOURCE /* open_memstream */
#include "console.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "campaign.h"
#include "center.h"
#include "console_tls.h"
#include "decide.h"
#include "soc/audit.h"
#include "soc/deadline.h"
#include "soc/decision.h"
#include "soc/json_obj.h"
#include "soc/report.h"
#include "soc/report_export.h"
#include "soc/rules.h"
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

/* The account behind a request, read again from the store at each request
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
  soc_console_tls *tls;             /* NULL: plain HTTP on loopback */
  soc_centerdb *db;                 /* the server thread's own, opened at the first request */
  char decoy[SOC_CONSOLE_HASH_MAX]; /* checked for unknown names: as slow as a real one */
  session sessions[SESSIONS_MAX];
  failed failures[FAILED_MAX];
  atomic_int decided; /* set by the server threads, taken by the collector's loop */
  /* The server's workers read and answer their clients at once; what is
   * between (sessions, failures, the store) is one request's at a time. */
  pthread_mutex_t lock;
};

/* One request being answered. */
typedef struct req {
  soc_console *c;
  char *out; /* the answer, sent once the lock is let go */
  size_t out_len;
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

/* The nth (from 0) value of a key a POSTed form repeats (checkboxes). */
static int param_nth(const req *q, const char *key, size_t nth, char *out, size_t cap) {
  const char *s = q->http->body;
  size_t n = q->http->body_len, kl = strlen(key);
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && s[end] != '&') end++;
    if (end - i > kl && !strncmp(s + i, key, kl) && s[i + kl] == '=' && nth-- == 0)
      return soc_http_form_get(s + i, end - i, key, out, cap);
    i = end + 1;
  }
  return -ENOENT;
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
  free(q->out);
  /* out of memory: no answer, the connection closes */
  soc_http_response(status, headers, type, body, n, &q->out, &q->out_len);
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
      fprintf(f, "<a href=\"/campaigns\">%s</a>", T(q, "攻擊活動", "Campaigns"));
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

/* Ends the page, sends it with status and frees it. */
static int page_send_as(req *q, page *p, const char *status) {
  fputs("</main></body></html>", p->f);
  if (fclose(p->f) != 0)
    plain(q, "500 Internal Server Error", "out of memory\n");
  else
    answer(q, status, NULL, "text/html; charset=utf-8", p->buf, p->len);
  free(p->buf);
  p->buf = NULL;
  return 0;
}

static int page_send(req *q, page *p) { return page_send_as(q, p, "200 OK"); }

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

int soc_console_audit(soc_centerdb *db, const char *account, const char *action, const char *target,
                      const char *detail) {
  fjson_object *d = fjson_object_new_object();
  soc_json_add_str(d, "detail", detail);
  const char *json = fjson_object_to_json_string_ext(d, FJSON_TO_STRING_PLAIN);
  int rc = soc_centerdb_audit_append(db, account[0] ? account : "-", action, target, json);
  /* a name typed at the login that is no UTF-8 text is still a failed login */
  if (rc == -EINVAL) rc = soc_centerdb_audit_append(db, "?", action, "", json);
  fjson_object_put(d);
  return rc;
}

static void audit(req *q, const char *account, const char *action, const char *target,
                  const char *detail) {
  if (soc_console_audit(q->c->db, account, action, target, detail) < 0)
    fprintf(stderr, "soccollector: console: cannot audit %s: %s\n", action,
            soc_centerdb_errmsg(q->c->db));
}

/* An entry's "detail" (what soc_console_audit wrote); "" when none. */
static const char *entry_detail(const soc_audit_row *r, fjson_object **doc) {
  *doc = fjson_tokener_parse(r->details);
  const char *d = *doc ? soc_report_str(*doc, "detail") : NULL;
  return d ? d : "";
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
    if (soc_centerdb_agents_scan(q->c->db, agency_under, &k) < 0) return 0;
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
  int rc = name[0] ? soc_centerdb_user_get(q->c->db, name, copy_hash, &h) : -ENOENT;
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
  /* Secure over our own TLS, or when the TLS proxy in front says the
   * browser speaks HTTPS */
  char cookie[256], proto[16] = "";
  soc_http_header(q->http, "X-Forwarded-Proto", proto, sizeof proto);
  snprintf(cookie, sizeof cookie,
           "Set-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s\r\n", s->token,
           q->c->tls || !strcasecmp(proto, "https") ? "; Secure" : "");
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

/* The drafts shown: the latest copy of each as the agent forwarded it
 * (soc.incidents), filtered and sorted as the triage page's query asks. */
typedef struct draft_item {
  char agent[128];
  fjson_object *body;
  int64_t key;
} draft_item;

/* A decision made here that the agent refused, as the draft's body says
 * (center_decisions), shown on the triage page where bulk decisions and
 * promotions are made; a refused promotion is said in the open draft that
 * holds its alert. */
#define REFUSED_SHOWN 20
#define REFUSED_DAYS 7
typedef struct refusal {
  char draft[160], id[80], kind[16], by[NAME_MAX_LEN + 1], at[40], why[400];
} refusal;

typedef struct drafts_ctx {
  req *q;
  char status[16], text[128], sort[8];
  int level;
  draft_item *items;
  size_t n;
  refusal *refused; /* REFUSED_SHOWN of them */
  size_t n_refused;
} drafts_ctx;

/* The refused decisions of the last REFUSED_DAYS in body, into k. */
static void refusals_of(drafts_ctx *k, const char *agent, fjson_object *body) {
  fjson_object *list = NULL;
  if (!k->refused || !fjson_object_object_get_ex(body, "center_decisions", &list) ||
      !fjson_object_is_type(list, fjson_type_array))
    return;
  int n = fjson_object_array_length(list);
  for (int i = 0; i < n && k->n_refused < REFUSED_SHOWN; i++) {
    fjson_object *e = fjson_object_array_get_idx(list, i), *ok = NULL;
    int64_t at = 0;
    if (!fjson_object_object_get_ex(e, "applied", &ok) || fjson_object_get_boolean(ok) ||
        soc_time_parse_ns(field(e, "at"), &at) < 0 ||
        at < k->q->now_ns - REFUSED_DAYS * 86400 * INT64_C(1000000000))
      continue;
    refusal *r = &k->refused[k->n_refused++];
    snprintf(r->draft, sizeof r->draft, "%s/%s", agent, field(body, "id"));
    snprintf(r->id, sizeof r->id, "%s", field(e, "id"));
    snprintf(r->kind, sizeof r->kind, "%s", field(e, "kind"));
    snprintf(r->by, sizeof r->by, "%s", field(e, "by"));
    snprintf(r->at, sizeof r->at, "%s", field(e, "at"));
    snprintf(r->why, sizeof r->why, "%s", field(e, "refused"));
  }
}

static void refusals_table(req *q, FILE *f, const drafts_ctx *k) {
  if (!k->n_refused) return;
  table_head(f, T(q, "代理程式拒絕的決定", "Decisions the agents refused"), "ID",
             T(q, "種類", "Kind"), T(q, "草稿", "Draft"), T(q, "時間", "At"), T(q, "決定者", "By"),
             T(q, "拒絕理由", "Why"), NULL);
  for (size_t i = 0; i < k->n_refused; i++) {
    const refusal *r = &k->refused[i];
    const char *cells[] = {r->id, r->kind, r->draft, r->at, r->by, r->why};
    fputs("<tr class=\"refused\">", f);
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++) {
      fputs(c == 2 ? "<td><a href=\"/draft?id=" : "<td>", f);
      if (c == 2) {
        esc(f, r->draft);
        fputs("\">", f);
      }
      esc(f, cells[c]);
      fputs(c == 2 ? "</a></td>" : "</td>", f);
    }
    fputs("</tr>", f);
  }
  fputs("</table>", f);
}

static int64_t body_time(fjson_object *body, const char *path) {
  int64_t ns = 0;
  return soc_time_parse_ns(field(body, path), &ns) == 0 ? ns : 0;
}

/* Sort keys: the largest first, so times to come are negated. */
static int64_t sort_key(fjson_object *body, const char *sort) {
  if (!strcmp(sort, "level")) return atoi(field(body, "level"));
  if (!strcmp(sort, "count")) return atoll(field(body, "count"));
  if (!strcmp(sort, "first")) return -body_time(body, "first_seen");
  if (!strcmp(sort, "due")) {
    int64_t due = body_time(body, "report_due");
    return strcmp(field(body, "status"), "open") || !due ? INT64_MIN : -due;
  }
  return body_time(body, "last_seen");
}

static int draft_keep(void *arg, const char *agent, const char *agency, int64_t received_ns,
                      const char *text) {
  drafts_ctx *k = arg;
  (void)received_ns;
  if (!may_see(k->q, agency)) return 0;
  fjson_object *body = fjson_tokener_parse(text);
  if (!body) return 0;
  refusals_of(k, agent, body);
  if (k->n >= TRIAGE_SHOWN) {
    fjson_object_put(body);
    return 0;
  }
  static const char *const searched[] = {"rule.title", "asset.name", "clause.ref", "assigned.to",
                                         "host"};
  int match = !k->text[0] || strstr(agent, k->text);
  for (size_t i = 0; !match && i < sizeof searched / sizeof *searched; i++)
    match = strstr(field(body, searched[i]), k->text) != NULL;
  if (!match || (k->status[0] && strcmp(field(body, "status"), k->status)) ||
      atoi(field(body, "level")) < k->level) {
    fjson_object_put(body);
    return 0;
  }
  draft_item *it = &k->items[k->n++];
  snprintf(it->agent, sizeof it->agent, "%s", agent);
  it->body = body;
  it->key = sort_key(body, k->sort);
  return 0;
}

static int by_key(const void *a, const void *b) {
  const draft_item *x = a, *y = b;
  return x->key < y->key ? 1 : x->key > y->key ? -1 : 0;
}

/* 1 when the account decides on drafts: an analyst (its agency's) or the
 * center's staff; reviewers only review reports. */
static int decides(const req *q) {
  return !strcmp(q->a.role, "analyst") || !strcmp(q->a.role, "center");
}

static void draft_line(req *q, FILE *f, const draft_item *it) {
  static const char *const cols[] = {"level",       "rule.title", "clause.ref", "asset.name",
                                     "first_seen",  "last_seen",  "count",      "status",
                                     "assigned.to", NULL};
  fjson_object *body = it->body;
  int open = !strcmp(field(body, "status"), "open");
  int64_t due = 0;
  fputs("<tr><td>", f);
  if (open && decides(q)) {
    fputs("<input type=\"checkbox\" form=\"bulk\" name=\"sel\" value=\"", f);
    esc(f, it->agent);
    fprintf(f, "/%s\"> ", field(body, "id"));
  }
  fputs("<a href=\"/draft?id=", f);
  esc(f, it->agent);
  fprintf(f, "/%s\">", field(body, "id"));
  esc(f, it->agent);
  fputs("/", f);
  esc(f, field(body, "id"));
  fputs("</a></td>", f);
  cells(f, body, cols);
  if (open && soc_time_parse_ns(field(body, "report_due"), &due) == 0)
    fprintf(f, "<td><span data-due=\"%" PRId64 "\"></span></td></tr>", due / 1000000);
  else
    fputs("<td>-</td></tr>", f);
}

static void select_box(FILE *f, const char *name, const char *cur, const char *const *values,
                       const char *const *labels) {
  fprintf(f, "<select name=\"%s\">", name);
  for (size_t i = 0; values[i]; i++) {
    fprintf(f, "<option value=\"%s\"%s>", values[i], strcmp(cur, values[i]) ? "" : " selected");
    esc(f, labels[i]);
    fputs("</option>", f);
  }
  fputs("</select>", f);
}

/* The drafts' filter, their table, and the form that acts on the selected. */
static size_t drafts_table(req *q, FILE *f) {
  drafts_ctx k = {.q = q};
  char level[4] = "";
  char topic[300];
  param(q, "status", k.status, sizeof k.status);
  param(q, "q", k.text, sizeof k.text);
  param(q, "sort", k.sort, sizeof k.sort);
  param(q, "level", level, sizeof level);
  k.level = atoi(level);
  fprintf(f, "<h1>%s</h1><form method=\"get\" action=\"/\" class=\"filter\">",
          T(q, "草稿 (代理程式轉送)", "Drafts (as the agents forward them)"));
  static const char *const st_v[] = {"", "open", "confirmed", "rejected", "merged", NULL};
  const char *st_l[] = {T(q, "全部狀態", "any status"), T(q, "未決", "open"),
                        T(q, "已確認", "confirmed"),    T(q, "已駁回", "rejected"),
                        T(q, "已合併", "merged"),       NULL};
  select_box(f, "status", k.status, st_v, st_l);
  static const char *const lv_v[] = {"", "2", "3", "4", NULL};
  const char *lv_l[] = {T(q, "全部等級", "any level"), T(q, "2 級以上", "level 2+"),
                        T(q, "3 級以上", "level 3+"), T(q, "4 級", "level 4"), NULL};
  select_box(f, "level", level, lv_v, lv_l);
  static const char *const so_v[] = {"", "level", "due", "first", "count", NULL};
  const char *so_l[] = {T(q, "依最後發生", "by last seen"),  T(q, "依等級", "by level"),
                        T(q, "依通報期限", "by report due"), T(q, "依首次發生", "by first seen"),
                        T(q, "依次數", "by count"),          NULL};
  select_box(f, "sort", k.sort, so_v, so_l);
  fprintf(f, " <input name=\"q\" maxlength=\"100\" placeholder=\"%s\" value=\"",
          T(q, "規則、資產、代理程式…", "rule, asset, agent…"));
  esc(f, k.text);
  fprintf(f, "\"> <button id=\"filter\">%s</button></form><table><tr>", T(q, "篩選", "Filter"));
  const char *heads[] = {T(q, "編號", "ID"),
                         T(q, "等級", "Level"),
                         T(q, "規則", "Rule"),
                         T(q, "條款", "Clause"),
                         T(q, "資產", "Asset"),
                         T(q, "首次", "First seen"),
                         T(q, "最後", "Last seen"),
                         T(q, "次數", "Count"),
                         T(q, "狀態", "Status"),
                         T(q, "指派", "Assigned to"),
                         T(q, "§3.1 通報期限", "§3.1 report due"),
                         NULL};
  for (size_t i = 0; heads[i]; i++) {
    fputs("<th>", f);
    esc(f, heads[i]);
    fputs("</th>", f);
  }
  fputs("</tr>", f);
  k.refused = calloc(REFUSED_SHOWN, sizeof *k.refused);
  if ((k.items = calloc(TRIAGE_SHOWN, sizeof *k.items))) {
    snprintf(topic, sizeof topic, "%s.incidents", q->c->cfg->kafka.topic_prefix);
    soc_centerdb_latest_scan(q->c->db, topic, "$.id", TRIAGE_SHOWN * 4, draft_keep, &k);
    if (k.sort[0]) qsort(k.items, k.n, sizeof *k.items, by_key);
    for (size_t i = 0; i < k.n; i++) {
      draft_line(q, f, &k.items[i]);
      fjson_object_put(k.items[i].body);
    }
    free(k.items);
  }
  fputs("</table>", f);
  if (decides(q))
    fprintf(f,
            "<form id=\"bulk\" method=\"post\" action=\"/reject\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%s\">%s "
            "<input name=\"reason\" id=\"bulk-reason\" maxlength=\"500\" size=\"40\" "
            "placeholder=\"%s\"> <button id=\"bulk-reject\">%s</button> "
            "<button id=\"bulk-merge\" formaction=\"/merge\">%s</button></form>",
            q->s->csrf, T(q, "勾選的草稿:", "Selected drafts:"),
            T(q, "駁回理由", "why they are not incidents"), T(q, "駁回", "Reject"),
            T(q, "合併 (第一筆保留)", "Merge (the first stays)"));
  refusals_table(q, f, &k);
  free(k.refused);
  return k.n;
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
  if (decides(k->q)) {
    fputs("<input type=\"checkbox\" form=\"promote\" name=\"sel\" value=\"", k->f);
    esc(k->f, agent);
    fprintf(k->f, "/%s\"> ", field(body, "alert"));
  }
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
  soc_centerdb_latest_scan(m->q->c->db, topic, id_path, TRIAGE_SHOWN, row, m);
  fputs("</table>", m->f);
}

static int triage_page(req *q) {
  page pg;
  FILE *f = page_open(q, T(q, "事件分流", "Triage"), &pg);
  if (!f) return 0;
  messages_ctx m = {.q = q, .f = f};
  m.rows = drafts_table(q, f);
  table_head(f, T(q, "警示", "Alerts"), T(q, "代理程式", "Agent"), T(q, "警示", "Alert"),
             T(q, "草稿", "Draft"), T(q, "等級", "Level"), T(q, "規則", "Rule"),
             T(q, "影響", "Impact"), T(q, "首次", "First seen"), T(q, "最後", "Last seen"),
             T(q, "次數", "Count"), NULL);
  messages_rows(&m, "alerts", "$.alert", alert_row);
  if (decides(q))
    fprintf(f,
            "<form id=\"promote\" method=\"post\" action=\"/promote\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%s\">%s <select name=\"level\">"
            "<option value=\"0\">%s</option><option>1</option><option>2</option>"
            "<option>3</option><option>4</option></select> <button id=\"promote-go\">%s"
            "</button></form>",
            q->s->csrf, T(q, "勾選的警示升為事件草稿,等級", "Promote the selected alerts, level"),
            T(q, "建議", "suggested"), T(q, "升級", "Promote"));
  table_head(
      f, T(q, "通報", "Reports"), T(q, "編號", "ID"), T(q, "機關", "Agency"), T(q, "等級", "Level"),
      T(q, "狀態", "State"), T(q, "事件分類", "Category"), T(q, "知悉時間", "Discovered"),
      T(q, "§3.1 知悉後經過 (1 小時內通報)", "§3.1 since discovery (report within 1 h)"), NULL);
  triage_ctx t = {.q = q, .f = f};
  int rc = soc_centerdb_reports_scan(q->c->db, triage_row, &t);
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

static int note_row(void *arg, const soc_audit_row *r) {
  notes_ctx *n = arg;
  if (strcmp(r->action, "note") || strcmp(r->object, n->id)) return 0;
  char at[32];
  fjson_object *doc = NULL;
  iso(at, sizeof at, r->ts_ns);
  fprintf(n->f, "<li>%s ", at);
  esc(n->f, r->actor);
  fputs(": ", n->f);
  esc(n->f, entry_detail(r, &doc));
  fputs("</li>", n->f);
  if (doc) fjson_object_put(doc);
  return 0;
}

/* The report the request names, when the account may see it; else the
 * answer is sent (404) and -ENOENT returned. */
static int visible_report(req *q, report_copy *x) {
  char id[256];
  if (param(q, "id", id, sizeof id) < 0 || !id[0]) goto none;
  if (soc_centerdb_report_get(q->c->db, id, copy_report, x) < 0) goto none;
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
  int drafts;            /* 1: the decisions on drafts; 0: those on the report */
} decisions_ctx;

/* A decision of the center's on the report, and whether the agent's latest
 * revision says it applied it. */
static int decision_row(void *arg, const char *kind, int64_t at_ns, const char *body) {
  decisions_ctx *k = arg;
  char at[32];
  fjson_object *d = fjson_tokener_parse(body);
  const char *id = d ? soc_report_str(d, "id") : NULL, *by = d ? soc_report_str(d, "by") : NULL;
  const char *state = T(k->q, "待代理程式套用", "waiting for the agent"), *why = NULL;
  if (soc_decision_on_draft(kind) != k->drafts) goto out;
  int n = k->applied ? fjson_object_array_length(k->applied) : 0;
  for (int i = 0; id && i < n; i++) {
    fjson_object *e = fjson_object_array_get_idx(k->applied, i);
    const char *eid = soc_report_str(e, "id");
    fjson_object *ok = NULL;
    if (!eid || strcmp(eid, id)) continue;
    fjson_object_object_get_ex(e, "applied", &ok);
    state = fjson_object_get_boolean(ok) ? T(k->q, "代理程式已套用", "applied by the agent")
                                         : T(k->q, "代理程式拒絕", "refused by the agent");
    why = fjson_object_get_boolean(ok) ? NULL : soc_report_str(e, "refused");
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
  if (why) {
    fputs(": ", k->f);
    esc(k->f, why);
  }
  fputs("</td></tr>", k->f);
out:
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
  soc_centerdb_decisions_scan(q->c->db, x->id, decision_row, &k);
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
  fputs("</pre></details>", k->f);
  if (!strcmp(b->state, "verified") && b->path[0]) {
    fputs("<a class=\"bundle-get\" href=\"/bundle?id=", k->f);
    esc(k->f, b->id);
    fprintf(k->f, "\">%s</a>", T(k->q, "下載證據包", "download the bundle"));
  }
  fputs("</td></tr>", k->f);
  return 0;
}

static void bundles(req *q, FILE *f, const char *report) {
  bundles_ctx k = {.q = q, .f = f, .report = report};
  table_head(f, T(q, "證據包", "Evidence bundles"), "ID", T(q, "驗證", "Verification"),
             T(q, "分段", "Chunks"), T(q, "位元組", "Bytes"), T(q, "清單", "Manifest"), NULL);
  soc_centerdb_bundles_scan(q->c->db, bundle_row, &k);
  fputs("</table>", f);
}

/* ---- the report's own steps, made here for the agency ------------------------- */

/* 1 for the steps the agency makes on its report (an analyst of it may). */
static int agency_step(const char *kind) {
  static const char *const kinds[] = {"file", "set", "recover", "close", "investigation"};
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (!strcmp(kind, kinds[i])) return 1;
  return 0;
}

/* The national form's names for the fields a person fills (report.c's
 * soc_report_settable): the step and the guideline's Chinese name. */
static const struct form_label {
  const char *path;
  int step;
  const char *zh;
} form_labels[] = {
    {"basic.reporter.name", 1, "通報人姓名"},
    {"basic.reporter.phone", 1, "通報人電話"},
    {"basic.reporter.fax", 1, "通報人傳真"},
    {"basic.reporter.email", 1, "通報人電子郵件"},
    {"basic.on_behalf_of", 1, "代為通報機關"},
    {"basic.vendor", 1, "資安服務廠商"},
    {"event.category", 2, "事件分類"},
    {"event.subtype", 2, "事件子分類"},
    {"event.description", 2, "事件說明"},
    {"event.scope", 2, "影響範圍"},
    {"event.red_team", 2, "是否為紅隊演練"},
    {"event.affects_others", 2, "是否影響其他機關或關鍵基礎設施 (1 否, 2 不確定, 3 是)"},
    {"event.sectors", 2, "關鍵基礎設施領域"},
    {"event.found_by", 2, "事件發現方式"},
    {"event.external_ref", 2, "外部通報編號"},
    {"event.victim_ci_provider", 2, "受害者為關鍵基礎設施提供者"},
    {"impact.confidentiality.level", 3, "機密性衝擊等級"},
    {"impact.confidentiality.reason", 3, "機密性衝擊說明"},
    {"impact.integrity.level", 3, "完整性衝擊等級"},
    {"impact.integrity.reason", 3, "完整性衝擊說明"},
    {"impact.availability.level", 3, "可用性衝擊等級"},
    {"impact.availability.reason", 3, "可用性衝擊說明"},
    {"support.requested", 4, "是否需要技術支援"},
    {"support.what", 4, "需要支援內容"},
    {"response.evidence_kept", 5, "保留之資安紀錄 (種類|起|迄)"},
    {"response.malware_samples", 5, "惡意程式樣本數"},
    {"response.analysis", 5, "事件分析"},
    {"response.containment", 5, "應變處置措施 (措施|時間)"},
    {"response.summary", 5, "應變處置摘要"},
    {"closure.assets", 6, "受影響資產"},
    {"closure.environment", 6, "資安環境 (ISMS、廠商、SOC)"},
    {"closure.root_cause", 6, "事件根因"},
    {"closure.hardening", 6, "補強措施"},
    {"closure.measures", 6, "管理措施"},
    {"closure.handler", 6, "處理人員"},
};

static const struct form_label *form_label_of(const char *path) {
  for (size_t i = 0; i < sizeof form_labels / sizeof *form_labels; i++)
    if (!strcmp(form_labels[i].path, path)) return &form_labels[i];
  return NULL;
}

/* Fields whose value is a list the form appends to, not text to replace. */
static int appends(const char *help) { return !strncmp(help, "append", 6); }

/* The form's fields that differ from the report's (path -> text), or NULL
 * when none does. */
static fjson_object *changed_fields(req *q, const report_copy *x) {
  fjson_object *body = fjson_tokener_parse(x->body), *out = fjson_object_new_object();
  const char *help = NULL, *path;
  char key[160], value[FIELD_MAX];
  for (size_t i = 0; (path = soc_report_settable(i, &help)); i++) {
    snprintf(key, sizeof key, "f.%s", path);
    if (param(q, key, value, sizeof value) < 0) continue;
    if (appends(help) ? !value[0] : !strcmp(value, body ? field(body, path) : "")) continue;
    fjson_object_object_add(out, path, fjson_object_new_string(value));
  }
  if (body) fjson_object_put(body);
  if (!fjson_object_object_length(out)) {
    fjson_object_put(out);
    out = NULL;
  }
  return out;
}

/* The national form, Steps 1–6, to fill: every field a person fills, with
 * the guideline's name, prefilled from the report (the agent's draft made
 * it), sent as one "set" decision of the fields changed. */
static int form_page(req *q) {
  report_copy x = {0};
  fjson_object *body = NULL;
  static const char *const steps[][2] = {
      {"步驟 1 基本資料", "Step 1 basic data"},      {"步驟 2 事件", "Step 2 the event"},
      {"步驟 3 影響等級", "Step 3 impact"},          {"步驟 4 支援", "Step 4 support"},
      {"步驟 5 應變處置 (續報)", "Step 5 response"}, {"步驟 6 結案 (結報)", "Step 6 closure"}};
  if (strcmp(q->a.role, "analyst") && strcmp(q->a.role, "center")) return not_found(q);
  if (visible_report(q, &x) < 0) goto out;
  body = fjson_tokener_parse(x.body);
  page pg;
  FILE *f = page_open(q, x.id, &pg);
  if (!f) goto out;
  fprintf(f, "<h1>%s ", T(q, "填寫通報單", "Fill in the form"));
  esc(f, x.id);
  fputs("</h1>", f);
  form_open(q, f, "/set", x.id);
  for (int step = 1; step <= 6; step++) {
    fprintf(f, "<fieldset><legend>%s / %s</legend>", steps[step - 1][0], steps[step - 1][1]);
    const char *help = NULL, *path;
    for (size_t i = 0; (path = soc_report_settable(i, &help)); i++) {
      const struct form_label *l = form_label_of(path);
      if ((l ? l->step : 2) != step) continue;
      fputs("<label>", f);
      esc(f, l ? l->zh : path);
      fputs(" <small>", f);
      esc(f, help);
      fputs("</small><br><input size=\"80\" maxlength=\"1000\" name=\"f.", f);
      esc(f, path);
      fputs("\" value=\"", f);
      if (!appends(help) && body) esc(f, field(body, path));
      fputs("\"></label>", f);
    }
    fputs("</fieldset>", f);
  }
  fprintf(f, "<button id=\"save-form\">%s</button></form>",
          T(q, "儲存 (經代理程式套用)", "Save (the agent applies it)"));
  page_send(q, &pg);
out:
  if (body) fjson_object_put(body);
  free(x.body);
  return 0;
}

/* A step with a choice of two (value, label), posted as name; the button's
 * id is the action's name. */
static void choice_form(req *q, FILE *f, const char *action, const char *id, const char *label,
                        const char *name, const char *choices[2][2], const char *button) {
  form_open(q, f, action, id);
  fprintf(f, "<label>%s <select name=\"%s\">", label, name);
  for (int i = 0; i < 2; i++)
    fprintf(f, "<option value=\"%s\">%s</option>", choices[i][0], choices[i][1]);
  fprintf(f, "</select></label><button id=\"%s\">%s</button></form>", action + 1, button);
}

/* The agency's steps on the report page: fill, file, damage controlled /
 * recovered, close, investigation report. */
static void agency_forms(req *q, FILE *f, const report_copy *x) {
  fputs("<p><a id=\"fill\" href=\"/form?id=", f);
  esc(f, x->id);
  fprintf(f, "\">%s</a></p>", T(q, "填寫通報單 (步驟 1–6)", "Fill in the form (Steps 1–6)"));
  const char *via[][2] = {{"platform", T(q, "通報平台", "the platform")},
                          {"phone", T(q, "電話 (平台無法使用)", "phone (platform down)")}};
  choice_form(q, f, "/file", x->id, T(q, "通報方式", "Filed via"), "via", via,
              T(q, "通報", "File"));
  const char *st[][2] = {{"controlled", T(q, "損害控制", "damage controlled")},
                         {"recovered", T(q, "完成復原", "recovered")}};
  choice_form(q, f, "/recover", x->id, T(q, "處理狀態", "Status"), "status", st,
              T(q, "續報", "Report it"));
  form_open(q, f, "/close", x->id);
  fprintf(f, "<button id=\"close\">%s</button></form>", T(q, "結報", "Close"));
  form_open(q, f, "/investigation", x->id);
  fprintf(f, "<button id=\"investigation\">%s</button></form>",
          T(q, "調查報告已提交", "Investigation report submitted"));
}

static int report_page(req *q) {
  report_copy x = {0};
  soc_center_view v = {0};
  char *form = NULL;
  if (visible_report(q, &x) < 0) goto out;
  soc_center_report row = {.id = x.id, .agency = x.agency, .body = x.body};
  int64_t now_s = q->now_ns / 1000000000;
  /* A document the center cannot read (kept as it came) is still shown raw. */
  int readable = soc_center_view_of(q->c->center, q->c->db, &row, now_s, &v) == 0 && v.doc;
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
  if (!strcmp(q->a.role, "analyst") || !strcmp(q->a.role, "center")) agency_forms(q, f, &x);
  bundles(q, f, x.id);
  fprintf(f, "<h2>%s</h2><pre id=\"form\">",
          T(q, "通報單 (步驟 1–6)", "The national form (Steps 1–6)"));
  if (readable && soc_report_export_text(v.doc, now_s, &form) == 0)
    esc(f, form);
  else
    fputs(T(q, "無法解讀這份通報", "this document cannot be read as a report"), f);
  fprintf(f, "</pre><h2>%s</h2><ul>", T(q, "註記", "Notes"));
  notes_ctx n = {.f = f, .id = x.id};
  soc_centerdb_audit_scan(q->c->db, 0, 0, note_row, &n);
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

/* An id as a download's file name: "ag1/3" -> "ag1-3". */
static void file_name(const char *id, char *name, size_t cap) {
  size_t i = 0;
  for (; id[i] && i + 1 < cap; i++)
    name[i] = (id[i] == '/' || id[i] == '"' || (unsigned char)id[i] < 0x20) ? '-' : id[i];
  name[i] = '\0';
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
  file_name(x.id, name, sizeof name);
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

typedef struct bundle_copy {
  char id[256], report[256], path[4096];
  int verified;
} bundle_copy;

static int copy_bundle(void *arg, const soc_center_bundle *b) {
  bundle_copy *x = arg;
  snprintf(x->id, sizeof x->id, "%s", b->id);
  snprintf(x->report, sizeof x->report, "%s", b->report);
  snprintf(x->path, sizeof x->path, "%s", b->path);
  x->verified = !strcmp(b->state, "verified") && b->path[0];
  return 0;
}

/* A verified evidence bundle's archive (the BagIt tar the center checked),
 * for who may see its report; at most BUNDLE_SERVED_MAX bytes (larger ones
 * are fetched on the center's host). */
#define BUNDLE_SERVED_MAX (64 * 1024 * 1024)
static int bundle_download(req *q) {
  char id[256], extra[400], name[256];
  bundle_copy b = {0};
  report_copy x = {0};
  char *data = NULL;
  FILE *in = NULL;
  if (param(q, "id", id, sizeof id) < 0 ||
      soc_centerdb_bundle_get(q->c->db, id, copy_bundle, &b) < 0 ||
      soc_centerdb_report_get(q->c->db, b.report, copy_report, &x) < 0 || !may_see(q, x.agency) ||
      !b.verified) {
    not_found(q);
    goto out;
  }
  long n = -1;
  if ((in = fopen(b.path, "rb")) && fseek(in, 0, SEEK_END) == 0) n = ftell(in);
  if (n < 0 || n > BUNDLE_SERVED_MAX || fseek(in, 0, SEEK_SET) != 0 ||
      !(data = malloc(n ? (size_t)n : 1)) || fread(data, 1, (size_t)n, in) != (size_t)n) {
    plain(q, n > BUNDLE_SERVED_MAX ? "413 Content Too Large" : "500 Internal Server Error",
          "the bundle cannot be served here; fetch it on the center's host\n");
    goto out;
  }
  file_name(b.id, name, sizeof name);
  snprintf(extra, sizeof extra, "Content-Disposition: attachment; filename=\"%s.tar\"\r\n", name);
  audit(q, q->a.name, "download", b.id, "bundle");
  answer(q, "200 OK", extra, "application/x-tar", data, (size_t)n);
out:
  if (in) fclose(in);
  free(data);
  free(x.body);
  return 0;
}

/* review (reviewer, center), level and support (center): the center's
 * decision through the outbox, as `soccollector review|support` makes it. */
static int decide(req *q, const char *kind) {
  report_copy x = {0};
  fjson_object *fields = NULL;
  char result[512] = "", reason[512] = "", level[4] = "", why[SOC_CENTER_DECIDE_WHY_MAX], to[320];
  int center = !strcmp(q->a.role, "center"), own = agency_step(kind);
  if (!center && !(strcmp(kind, "review") == 0 && !strcmp(q->a.role, "reviewer")) &&
      !(own && !strcmp(q->a.role, "analyst")))
    return not_found(q);
  if (visible_report(q, &x) < 0) goto out;
  param(q, "result", result, sizeof result);
  param(q, "reason", reason, sizeof reason);
  param(q, "level", level, sizeof level);
  char via[16] = "", status_[16] = "";
  param(q, "via", via, sizeof via);
  param(q, "status", status_, sizeof status_);
  soc_center_decide_opts o = {.at_ns = q->now_ns,
                              .by = q->a.name,
                              .reason = reason[0] ? reason : NULL,
                              .result = result,
                              .level = atoi(level),
                              .via = via[0] ? via : NULL,
                              .status = status_[0] ? status_ : NULL};
  if (!strcmp(kind, "set") && !(o.fields = fields = changed_fields(q, &x))) {
    plain(q, "400 Bad Request", "no field changed\n");
    goto out;
  }
  int64_t n = 0;
  int status =
      soc_center_decide(q->c->cfg, q->c->center, q->c->db, x.id, kind, &o, &n, why, sizeof why);
  audit(q, q->a.name, status ? "decision-refused" : kind, x.id, why);
  if (status) {
    plain(q, status == 2 ? "409 Conflict" : "500 Internal Server Error", why);
    goto out;
  }
  atomic_store(&q->c->decided, 1);
  snprintf(to, sizeof to, "/report?id=%s", x.id);
  redirect(q, to, NULL);
out:
  if (fields) fjson_object_put(fields);
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

/* ---- drafts: the analyst's decisions --------------------------------------- */

typedef struct draft_copy {
  char agent[128], agency[NAME_MAX_LEN + 1];
  int64_t id;
  fjson_object *body;
} draft_copy;

static int copy_draft(void *arg, const char *agent, const char *agency, int64_t received_ns,
                      const char *text) {
  draft_copy *x = arg;
  (void)received_ns;
  snprintf(x->agent, sizeof x->agent, "%s", agent);
  snprintf(x->agency, sizeof x->agency, "%s", agency);
  x->body = fjson_tokener_parse(text);
  return 0;
}

/* "agent/number" split; the agent is what comes before the last '/'. */
static int split_ref(const char *ref, char *agent, size_t cap, int64_t *id) {
  const char *slash = strrchr(ref, '/');
  char *end = NULL;
  if (!slash || slash == ref || (size_t)(slash - ref) >= cap) return -EINVAL;
  long long v = strtoll(slash + 1, &end, 10);
  if (*end || v <= 0 || slash[1] < '1' || slash[1] > '9') return -EINVAL;
  snprintf(agent, cap, "%.*s", (int)(slash - ref), ref);
  *id = v;
  return 0;
}

/* A hidden field "sel" naming the draft, for the draft page's forms. */
static void draft_form(req *q, FILE *f, const char *action, const draft_copy *x) {
  fprintf(f,
          "<form method=\"post\" action=\"%s\"><input type=\"hidden\" name=\"csrf\" "
          "value=\"%s\"><input type=\"hidden\" name=\"sel\" value=\"",
          action, q->s->csrf);
  esc(f, x->agent);
  fprintf(f, "/%" PRId64 "\">", x->id);
}

/* A draft's form of one field (input: its element) and a button. */
static void one_field(req *q, FILE *f, const char *action, const draft_copy *x, const char *input,
                      const char *label, const char *id, const char *button) {
  draft_form(q, f, action, x);
  fprintf(f, "<label>%s %s</label><button id=\"%s\">%s</button></form>", label, input, id, button);
}

static void draft_forms(req *q, FILE *f, const draft_copy *x) {
  if (!strcmp(field(x->body, "status"), "open")) {
    draft_form(q, f, "/confirm", x);
    fprintf(f, "<label>%s <select name=\"level\"><option value=\"0\">%s %s</option>",
            T(q, "確認為資安事件,等級", "Confirm as an incident, level"), T(q, "建議", "suggested"),
            field(x->body, "level"));
    for (int l = 1; l <= 4; l++) fprintf(f, "<option>%d</option>", l);
    fprintf(f, "</select></label><label>%s <select name=\"category\"><option value=\"\">%s",
            T(q, "事件分類", "Category"), T(q, "不變", "as suggested"));
    for (int c = SOC_CATEGORY_WEB_ATTACK; c <= SOC_CATEGORY_OTHER; c++)
      fprintf(f, "<option value=\"%s\">%s / %s</option>", soc_incident_category_name(c),
              soc_incident_category_name_zh(c), soc_incident_category_name(c));
    fprintf(f,
            "</select></label><label>%s <input name=\"reason\" maxlength=\"500\" size=\"60\">"
            "</label><button id=\"confirm\">%s</button></form>",
            T(q, "等級變更理由", "Reason for another level"), T(q, "確認", "Confirm"));
    one_field(q, f, "/reject", x, "<input name=\"reason\" maxlength=\"500\" size=\"60\" required>",
              T(q, "駁回理由 (非資安事件)", "Why it is not an incident"), "reject",
              T(q, "駁回", "Reject"));
    one_field(q, f, "/assign", x, "<input name=\"to\" maxlength=\"64\" required>",
              T(q, "指派分析人員", "Assign to analyst"), "assign", T(q, "指派", "Assign"));
  }
  one_field(q, f, "/draft-note", x,
            "<textarea name=\"text\" maxlength=\"1000\" rows=\"2\" cols=\"80\" "
            "required></textarea>",
            T(q, "新增註記", "Add a note"), "draft-note", T(q, "送出", "Save"));
}

static int draft_page(req *q) {
  char ref[256], agent[128], report[300];
  draft_copy x = {0};
  if (param(q, "id", ref, sizeof ref) < 0 || split_ref(ref, agent, sizeof agent, &x.id) < 0)
    return not_found(q);
  char topic[300];
  snprintf(topic, sizeof topic, "%s.incidents", q->c->cfg->kafka.topic_prefix);
  if (soc_centerdb_latest_get(q->c->db, topic, "$.id", agent, x.id, copy_draft, &x) < 0 ||
      !x.body || !may_see(q, x.agency)) {
    not_found(q);
    goto out;
  }
  snprintf(report, sizeof report, "%s/%" PRId64, x.agent, x.id);
  page pg;
  FILE *f = page_open(q, report, &pg);
  if (!f) goto out;
  fprintf(f, "<h1>%s ", T(q, "草稿", "Draft"));
  esc(f, report);
  fprintf(f, " — %s %s, ", T(q, "等級", "level"), field(x.body, "level"));
  esc(f, field(x.body, "status"));
  fputs("</h1>", f);
  report_copy r = {0};
  if (soc_centerdb_report_get(q->c->db, report, copy_report, &r) == 0) {
    fputs("<p><a id=\"report-link\" href=\"/report?id=", f);
    esc(f, report);
    fprintf(f, "\">%s</a></p>", T(q, "通報單", "The report"));
  }
  free(r.body);
  static const char *const rows[][3] = {{"rule.title", "規則", "Rule"},
                                        {"clause.ref", "條款", "Clause"},
                                        {"asset.name", "資產", "Asset"},
                                        {"first_seen", "首次", "First seen"},
                                        {"last_seen", "最後", "Last seen"},
                                        {"count", "次數", "Count"},
                                        {"category", "事件分類", "Category"},
                                        {"assigned.to", "指派", "Assigned to"},
                                        {"rejected.reason", "駁回理由", "Rejected because"}};
  fputs("<table>", f);
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    fprintf(f, "<tr><th>%s</th><td>", T(q, rows[i][1], rows[i][2]));
    esc(f, field(x.body, rows[i][0]));
    fputs("</td></tr>", f);
  }
  fputs("</table>", f);
  decisions_ctx k = {.q = q, .f = f, .drafts = 1};
  if (!fjson_object_object_get_ex(x.body, "center_decisions", &k.applied) ||
      !fjson_object_is_type(k.applied, fjson_type_array))
    k.applied = NULL;
  table_head(f, T(q, "主控台的決定", "Decisions made here"), "ID", T(q, "種類", "Kind"),
             T(q, "時間", "At"), T(q, "決定者", "By"), T(q, "套用", "Applied"), NULL);
  soc_centerdb_decisions_scan(q->c->db, report, decision_row, &k);
  fputs("</table>", f);
  if (decides(q)) draft_forms(q, f, &x);
  fprintf(f, "<details><summary>%s</summary><pre>", T(q, "原始 JSON", "The JSON as received"));
  esc(f, fjson_object_to_json_string_ext(x.body, FJSON_TO_STRING_PRETTY));
  fputs("</pre></details>", f);
  audit(q, q->a.name, "view", report, "");
  page_send(q, &pg);
out:
  if (x.body) fjson_object_put(x.body);
  return 0;
}

/* confirm, reject, merge, note, assign (on the selected drafts) and promote
 * (the selected alerts): through decide.c and the outbox, for the agent's
 * inbox to apply. Reject, note and assign take many drafts, one decision
 * each; merge and promote make one decision of all. */
static int draft_decide(req *q, const char *kind) {
  char sel[SOC_CENTER_DRAFT_IDS_MAX][160], agent[128] = "", other[128];
  char level[4] = "", reason[512] = "", category[32] = "", text[FIELD_MAX] = "", to[80] = "";
  char next[320] = "/";
  int64_t ids[SOC_CENTER_DRAFT_IDS_MAX];
  size_t n = 0;
  if (!decides(q)) return not_found(q);
  while (n < SOC_CENTER_DRAFT_IDS_MAX && param_nth(q, "sel", n, sel[n], sizeof sel[n]) == 0) {
    if (split_ref(sel[n], n ? other : agent, sizeof agent, &ids[n]) < 0 ||
        (n && strcmp(other, agent)))
      return plain(q, "400 Bad Request", "one agent's drafts or alerts, as agent/number\n");
    n++;
  }
  if (!n) return plain(q, "400 Bad Request", "nothing selected\n");
  param(q, "level", level, sizeof level);
  param(q, "reason", reason, sizeof reason);
  param(q, "category", category, sizeof category);
  param(q, "text", text, sizeof text);
  param(q, "to", to, sizeof to);
  soc_center_decide_opts o = {.at_ns = q->now_ns,
                              .by = q->a.name,
                              .reason = reason[0] ? reason : NULL,
                              .level = atoi(level)};
  int together = !strcmp(kind, "merge") || !strcmp(kind, "promote");
  size_t items = together ? 1 : n, recorded = 0, unseen = 0;
  /* each item's outcome: its decision number, or 0 and why it was refused
   * (one agent's drafts are still decided one by one: a refused one does
   * not stop the others) */
  int64_t nums[SOC_CENTER_DRAFT_IDS_MAX] = {0};
  char whys[SOC_CENTER_DRAFT_IDS_MAX][SOC_CENTER_DECIDE_WHY_MAX];
  int first = 0;
  for (size_t i = 0; i < items; i++) {
    soc_center_draft_opts d = {.agent = agent,
                               .ids = together ? ids : &ids[i],
                               .n = together ? n : 1,
                               .category = category,
                               .text = text[0] ? text : NULL,
                               .to = to[0] ? to : NULL,
                               .agency_only = strcmp(q->a.role, "center") ? q->a.agency : NULL};
    whys[i][0] = '\0';
    int status = soc_center_decide_draft(q->c->cfg, q->c->db, kind, &o, &d, &nums[i], whys[i],
                                         sizeof whys[i]);
    audit(q, q->a.name, status ? "decision-refused" : kind, sel[i], whys[i]);
    if (status == 3) {
      /* as a draft that does not exist, whoever's it is */
      snprintf(whys[i], sizeof whys[i], "not found");
      unseen++;
    }
    if (status) {
      nums[i] = 0;
      if (!first) first = status;
      continue;
    }
    recorded++;
    atomic_store(&q->c->decided, 1);
  }
  if (recorded == items) {
    if (n == 1 && strcmp(kind, "promote")) snprintf(next, sizeof next, "/draft?id=%s", sel[0]);
    return redirect(q, next, NULL);
  }
  if (unseen == items) return not_found(q);
  if (items == 1)
    return plain(q, first == 2 ? "409 Conflict" : "500 Internal Server Error", whys[0]);
  /* many, not all recorded: each item's outcome; 409 when none was */
  page pg;
  FILE *f = page_open(q, T(q, "批次結果", "Bulk result"), &pg);
  if (!f) return 0;
  fprintf(f, "<p>%s: %zu / %zu</p>", T(q, "已記錄", "Recorded"), recorded, items);
  table_head(f, T(q, "批次結果", "Bulk result"), T(q, "草稿", "Draft"), T(q, "結果", "Result"),
             NULL);
  for (size_t i = 0; i < items; i++) {
    fputs("<tr><td>", f);
    esc(f, sel[i]);
    if (nums[i])
      fprintf(f, "</td><td>%s #%" PRId64 "</td></tr>", T(q, "已記錄", "recorded"), nums[i]);
    else {
      fprintf(f, "</td><td class=\"err\">%s: ", T(q, "拒絕", "refused"));
      esc(f, whys[i]);
      fputs("</td></tr>", f);
    }
  }
  fprintf(f, "</table><p><a href=\"/\">%s</a></p>", T(q, "回事件分流", "Back to triage"));
  return page_send_as(q, &pg, recorded ? "200 OK" : "409 Conflict");
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
  fprintf(k->f, "</td><td>%s</td><td>", seen);
  if (a->broker_rtt_ms >= 0)
    fprintf(k->f, "%" PRId64 " ms", a->broker_rtt_ms);
  else
    fputs("-", k->f);
  fprintf(k->f, "</td><td%s>%s</td></tr>",
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
             T(q, "最後心跳", "Last heartbeat"), T(q, "Kafka 往返時間", "Kafka round trip"),
             T(q, "狀態", "State"), NULL);
  agents_ctx k = {.q = q, .f = f};
  soc_centerdb_agents_scan(q->c->db, agent_line, &k);
  fputs("</table>", f);
  return page_send(q, &pg);
}

static int audit_line(void *arg, const soc_audit_row *r) {
  FILE *f = arg;
  char at[32];
  fjson_object *doc = NULL;
  iso(at, sizeof at, r->ts_ns);
  fprintf(f, "<tr><td>%" PRId64 "</td><td>%s</td><td>", r->seq, at);
  esc(f, r->actor);
  fputs("</td><td>", f);
  esc(f, r->action);
  fputs("</td><td>", f);
  esc(f, r->object);
  fputs("</td><td>", f);
  esc(f, entry_detail(r, &doc));
  fprintf(f, "</td><td class=\"hash\">%.12s…</td></tr>", r->hash);
  if (doc) fjson_object_put(doc);
  return 0;
}

/* The chain checked, then every entry, oldest first. */
static int audit_page(req *q) {
  page pg;
  soc_audit_report rep;
  FILE *f = page_open(q, T(q, "稽核紀錄", "Audit"), &pg);
  if (!f) return 0;
  if (soc_centerdb_audit_verify(q->c->db, &rep) < 0)
    fprintf(f, "<p class=\"err\" id=\"chain\">%s</p>", T(q, "無法讀取", "cannot read the store"));
  else if (rep.ok)
    fprintf(f, "<p id=\"chain\">%s: %" PRId64 " %s, %s <code>%s</code></p>",
            T(q, "稽核鏈完整", "the chain is intact"), rep.entries, T(q, "筆", "entries"),
            T(q, "鏈首", "head"), rep.head);
  else {
    fprintf(f, "<p class=\"err\" id=\"chain\">%s #%" PRId64 ": ",
            T(q, "稽核鏈遭竄改", "the chain is broken at"), rep.bad_seq);
    esc(f, rep.what);
    fputs("</p>", f);
  }
  table_head(f, T(q, "稽核紀錄", "Audit"), "#", T(q, "時間", "At"), T(q, "帳號", "Account"),
             T(q, "動作", "Action"), T(q, "對象", "Target"), T(q, "內容", "Detail"),
             T(q, "雜湊", "Hash"), NULL);
  soc_centerdb_audit_scan(q->c->db, 0, 0, audit_line, f);
  fputs("</table>", f);
  return page_send(q, &pg);
}

static int campaign_line(void *arg, const soc_campaign *c) {
  triage_ctx *k = arg; /* a page's table and its rows */
  char first[32], last[32];
  iso(first, sizeof first, c->first_ns);
  iso(last, sizeof last, c->last_ns);
  fputs("<tr><td>", k->f);
  esc(k->f, c->kind);
  fputs("</td><td>", k->f);
  esc(k->f, c->source);
  fprintf(k->f, "</td><td>%zu</td><td>%" PRId64 "</td><td>%s</td><td>%s</td><td>", c->nag + c->more,
          c->alerts, first, last);
  for (size_t i = 0; i < c->nag; i++) {
    esc(k->f, c->ag[i].agency);
    fprintf(k->f, " (%" PRId64 ")%s", c->ag[i].alerts, i + 1 < c->nag ? ", " : "");
  }
  if (c->more) fprintf(k->f, " … +%zu", c->more);
  fputs("</td></tr>", k->f);
  k->rows++;
  return 0;
}

/* ?days= or the form's days: 1 to 90, default 1. */
static int campaign_days(req *q) {
  char days_s[8] = "";
  param(q, "days", days_s, sizeof days_s);
  int days = atoi(days_s);
  return days < 1 || days > 90 ? 1 : days;
}

/* Sources that several agencies' alerts named (`soccollector campaigns`),
 * over the last ?days= (1 to 90; default 1), and the button that notifies
 * their agencies (/campaigns/notify). */
static int campaigns_page(req *q) {
  int days = campaign_days(q);
  char notified[8] = "";
  param(q, "notified", notified, sizeof notified);
  page pg;
  FILE *f = page_open(q, T(q, "跨機關攻擊活動", "Campaigns"), &pg);
  if (!f) return 0;
  triage_ctx k = {.q = q, .f = f};
  fprintf(f, "<p>%s %d %s</p>", T(q, "最近", "The last"), days, T(q, "天", "day(s)"));
  table_head(f, T(q, "跨機關攻擊活動", "Campaigns across agencies"), T(q, "種類", "Kind"),
             T(q, "來源", "Source"), T(q, "機關數", "Agencies"), T(q, "警示數", "Alerts"),
             T(q, "首次收到", "First received"), T(q, "最後收到", "Last received"),
             T(q, "機關 (警示)", "Agencies (alerts)"), NULL);
  int rc =
      soc_campaigns_scan(q->c->db, q->now_ns - days * INT64_C(86400000000000), campaign_line, &k);
  fputs("</table>", f);
  if (rc < 0) fprintf(f, "<p class=\"err\">%s</p>", T(q, "無法讀取", "cannot read the store"));
  if (!k.rows) fprintf(f, "<p>%s</p>", T(q, "沒有資料", "nothing yet"));
  if (notified[0])
    fprintf(f, "<p id=\"notified\">%s: %d</p>",
            T(q, "已記錄的機關通知", "Notices to agencies recorded"), atoi(notified));
  if (k.rows)
    fprintf(f,
            "<form method=\"post\" action=\"/campaigns/notify\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
            "<input type=\"hidden\" name=\"days\" value=\"%d\">"
            "<button id=\"notify\">%s</button></form>",
            q->s->csrf, days,
            T(q, "通知涉及的機關 (未通知過者)", "Notify their agencies (those not told before)"));
  return page_send(q, &pg);
}

/* The notices of `soccollector campaigns` for the same window, recorded in
 * the outbox and sent at once by the collector's loop. */
static int campaigns_notify(req *q) {
  int days = campaign_days(q);
  int64_t ns[SOC_CAMPAIGN_NOTICES_MAX];
  size_t made = 0;
  char detail[64], to[64];
  if (soc_campaigns_notify(q->c->cfg, q->c->db, q->now_ns - days * INT64_C(86400000000000),
                           q->now_ns, ns, &made) < 0)
    return plain(q, "500 Internal Server Error", "the notices cannot be recorded\n");
  snprintf(detail, sizeof detail, "%zu notice(s), %d day(s)", made, days);
  audit(q, q->a.name, "notify", "/campaigns", detail);
  if (made) atomic_store(&q->c->decided, 1);
  snprintf(to, sizeof to, "/campaigns?days=%d&notified=%zu", days, made);
  return redirect(q, to, NULL);
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
      soc_center_view_of(k->q->c->center, k->q->c->db, r, k->q->now_ns / 1000000000, &v) == 0 &&
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
  soc_centerdb_reports_scan(q->c->db, summary_add, k);
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
  soc_centerdb_quarantine_scan(q->c->db, QUARANTINE_SHOWN, quarantine_line, f);
  fputs("</table>", f);
  return page_send(q, &pg);
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

static int open_store(soc_console *c) {
  if (c->db) return 0;
  return soc_centerdb_open(c->cfg, &c->db) < 0 ? -EIO : 0;
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
      (soc_centerdb_user_get(q->c->db, q->s->name, copy_account, &q->a) < 0 || q->a.disabled)) {
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
    if (!strcmp(q->path, "/campaigns/notify"))
      return strcmp(q->a.role, "center") ? not_found(q) : campaigns_notify(q);
    if (q->path[0] == '/' && agency_step(q->path + 1)) return decide(q, q->path + 1);
    static const char *const drafts[][2] = {{"/confirm", "confirm"}, {"/reject", "reject"},
                                            {"/merge", "merge"},     {"/draft-note", "note"},
                                            {"/assign", "assign"},   {"/promote", "promote"}};
    for (size_t i = 0; i < sizeof drafts / sizeof *drafts; i++)
      if (!strcmp(q->path, drafts[i][0])) return draft_decide(q, drafts[i][1]);
    return not_found(q);
  }
  if (lang_cookie[0]) {
    char to[sizeof q->path + sizeof q->rest + 1];
    snprintf(to, sizeof to, "%s%s%s", q->path, q->rest[0] ? "?" : "", q->rest);
    return redirect(q, to, lang_cookie);
  }
  if (!strcmp(q->path, "/")) return triage_page(q);
  if (!strcmp(q->path, "/report")) return report_page(q);
  if (!strcmp(q->path, "/draft")) return draft_page(q);
  if (!strcmp(q->path, "/form")) return form_page(q);
  if (!strcmp(q->path, "/report.txt")) return report_export(q, 0);
  if (!strcmp(q->path, "/report.stix")) return report_export(q, 1);
  if (!strcmp(q->path, "/bundle")) return bundle_download(q);
  if (!strcmp(q->a.role, "center")) {
    if (!strcmp(q->path, "/agents")) return agents_page(q);
    if (!strcmp(q->path, "/audit")) return audit_page(q);
    if (!strcmp(q->path, "/summary")) return summary_page(q);
    if (!strcmp(q->path, "/quarantine")) return quarantine_page(q);
    if (!strcmp(q->path, "/campaigns")) return campaigns_page(q);
  }
  return not_found(q);
}

static void handle(void *arg, int fd, const soc_http_request *r) {
  req q = {.c = arg, .http = r, .now_ns = now_ns()};
  pthread_mutex_lock(&q.c->lock);
  dispatch(&q);
  pthread_mutex_unlock(&q.c->lock);
  /* a client slow to read its answer holds only its own worker */
  if (q.out) soc_http_send(fd, q.out, q.out_len);
  free(q.out);
}

int soc_console_start(const soc_collector_config *cfg, soc_console **out) {
  *out = NULL;
  if (!cfg->console.listen) return 0;
  if (sodium_init() < 0) return -EIO;
  soc_console *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  c->cfg = cfg;
  if (pthread_mutex_init(&c->lock, NULL) != 0) {
    free(c);
    return -ENOMEM;
  }
  char random[32];
  randombytes_buf(random, sizeof random);
  int rc = soc_console_hash(random, sizeof random, c->decoy);
  if (rc == 0) rc = soc_center_new(cfg, &c->center);
  /* With TLS the console itself listens where only the TLS front reaches it */
  const char *plain_at = cfg->console.tls_cert ? "127.0.0.1:0" : cfg->console.listen;
  if (rc == 0) rc = soc_http_server_start(plain_at, handle, c, &c->server);
  if (rc < 0)
    fprintf(stderr, "soccollector: console: cannot listen on %s: %s\n", plain_at, strerror(-rc));
  if (rc == 0 && cfg->console.tls_cert)
    rc = soc_console_tls_start(cfg->console.listen, cfg->console.tls_cert, cfg->console.tls_key,
                               soc_metrics_server_port(c->server), &c->tls);
  if (rc < 0) {
    soc_console_free(c);
    return rc;
  }
  /* the port bound (listen may say 0), for the operator and the demo */
  fprintf(stderr, "soccollector: console at %s://%.*s:%u/\n", c->tls ? "https" : "http",
          (int)(strrchr(cfg->console.listen, ':') - cfg->console.listen), cfg->console.listen,
          c->tls ? soc_console_tls_port(c->tls) : soc_metrics_server_port(c->server));
  *out = c;
  return 0;
}

int soc_console_decided(soc_console *c) { return c ? atomic_exchange(&c->decided, 0) : 0; }

int soc_console_check(const soc_collector_config *cfg, char *why, unsigned why_len) {
  if (!cfg->console.listen || !cfg->console.tls_cert) return 0;
  return soc_console_tls_check(cfg->console.tls_cert, cfg->console.tls_key, why, why_len);
}

void soc_console_free(soc_console *c) {
  if (!c) return;
  soc_console_tls_free(c->tls);
  soc_metrics_server_free(c->server);
  soc_centerdb_free(c->db);
  soc_center_free(c->center);
  sodium_memzero(c->sessions, sizeof c->sessions);
  pthread_mutex_destroy(&c->lock);
  free(c);
}
