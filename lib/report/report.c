/*
 * report — the notification report document and its lifecycle (report.h).
 *
 * The document is a libfastjson tree rather than a C struct because its
 * shape is the national form's, which grows with each amendment; readers
 * ignore keys they do not know, so an older collector still reads a newer
 * agent's report. What must not drift is the meaning of the clocks' anchors,
 * so they are read in one place: times(), feeding soc_deadlines_compute.
 */
#include "soc/report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/authority.h"
#include "soc/event.h"
#include "soc/json_obj.h"
#include "soc/rules.h"
#include "soc/tz.h"
#include "soc/utf8.h"

#define TEXT_MAX 8192 /* bytes of one free-text form field */
#define LIST_MAX 64   /* entries of a list field (containment, evidence kept) */
#define DEADLINES_MAX 32

static const char *const state_names[SOC_REPORT_STATE_COUNT] = {
    "confirmed", "reported", "reviewed", "contained", "recovered", "closed"};

const char *soc_report_state_name(soc_report_state s) {
  return s >= 0 && s < SOC_REPORT_STATE_COUNT ? state_names[s] : "?";
}

int soc_report_state_parse(const char *s) {
  for (int i = 0; s && i < SOC_REPORT_STATE_COUNT; i++)
    if (!strcmp(s, state_names[i])) return i;
  return -1;
}

static int fail(int code, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int code, char *why, size_t why_len, const char *fmt, ...) {
  if (why && why_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* ---- JSON helpers ---- */

static fjson_object *get(fjson_object *o, const char *key) {
  fjson_object *v = NULL;
  return o && fjson_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The object at a dotted path; with create, missing objects are added. The
 * last component is returned in *leaf when leaf is given (then the parent
 * is returned). */
static fjson_object *walk(fjson_object *r, const char *path, int create, const char **leaf) {
  char part[64];
  fjson_object *o = r;
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    if (!dot && leaf) {
      *leaf = p;
      return o;
    }
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n >= sizeof part) return NULL;
    memcpy(part, p, n);
    part[n] = 0;
    fjson_object *next = get(o, part);
    if (!next || !fjson_object_is_type(next, fjson_type_object)) {
      if (!create) return NULL;
      next = fjson_object_new_object();
      fjson_object_object_add(o, part, next);
    }
    o = next;
    if (!dot) return o;
    p = dot + 1;
  }
}

static void put_int(fjson_object *o, const char *k, int64_t v) {
  fjson_object_object_add(o, k, fjson_object_new_int64(v));
}

static void put_bool(fjson_object *o, const char *k, int v) {
  fjson_object_object_add(o, k, fjson_object_new_boolean(v));
}

/* An RFC 3339 time with milliseconds, or null for 0. */
static void put_time(fjson_object *o, const char *k, int64_t ns) {
  fjson_object_object_add(o, k, NULL);
  if (ns > 0) soc_json_add_time(o, k, ns);
}

/* Copies key from src to dst (a new reference), when src has it. */
static void copy(fjson_object *dst, const char *k, fjson_object *src, const char *sk) {
  fjson_object *v = get(src, sk);
  if (v) fjson_object_object_add(dst, k, fjson_object_get(v));
}

const char *soc_report_str(fjson_object *r, const char *path) {
  const char *leaf = NULL;
  fjson_object *p = walk(r, path, 0, &leaf);
  fjson_object *v = p ? get(p, leaf) : NULL;
  return v && fjson_object_is_type(v, fjson_type_string) ? fjson_object_get_string(v) : NULL;
}

int64_t soc_report_time(fjson_object *r, const char *path) {
  int64_t ns = 0;
  const char *s = soc_report_str(r, path);
  return s && soc_time_parse_ns(s, &ns) == 0 ? ns : 0;
}

static int64_t int_at(fjson_object *r, const char *path) {
  const char *leaf = NULL;
  fjson_object *p = walk(r, path, 0, &leaf);
  fjson_object *v = p ? get(p, leaf) : NULL;
  return v ? fjson_object_get_int64(v) : 0;
}

soc_report_state soc_report_state_of(fjson_object *r) {
  int s = soc_report_state_parse(soc_report_str(r, "state"));
  return s < 0 ? SOC_REPORT_CONFIRMED : (soc_report_state)s;
}

int soc_report_level(fjson_object *r) { return (int)int_at(r, "level"); }
int64_t soc_report_number(fjson_object *r) { return int_at(r, "number"); }

static void set_state(fjson_object *r, soc_report_state s) {
  soc_json_add_str(r, "state", soc_report_state_name(s));
}

static fjson_object *array_at(fjson_object *o, const char *k) {
  fjson_object *a = get(o, k);
  if (!a || !fjson_object_is_type(a, fjson_type_array)) {
    a = fjson_object_new_array();
    fjson_object_object_add(o, k, a);
  }
  return a;
}

/* Appends v to the array of strings at o.k unless it is there. */
static void add_unique(fjson_object *o, const char *k, fjson_object *v) {
  fjson_object *a = array_at(o, k);
  const char *s = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);
  for (int i = 0; i < fjson_object_array_length(a); i++)
    if (!strcmp(fjson_object_to_json_string_ext(fjson_object_array_get_idx(a, i),
                                                FJSON_TO_STRING_PLAIN),
                s)) {
      fjson_object_put(v);
      return;
    }
  fjson_object_array_add(a, v);
}

/* ---- building ---- */

/* An indicator from a draft's correlation key, when the key is an address. */
static void add_indicator(fjson_object *ev, const char *key) {
  unsigned char buf[16];
  const char *type = NULL;
  if (!key || !*key) return;
  if (inet_pton(AF_INET, key, buf) == 1)
    type = "ipv4-addr";
  else if (inet_pton(AF_INET6, key, buf) == 1)
    type = "ipv6-addr";
  if (!type) return;
  fjson_object *ind = fjson_object_new_object();
  soc_json_add_str(ind, "type", type);
  soc_json_add_str(ind, "value", key);
  add_unique(ev, "indicators", ind);
}

static void fold(fjson_object *r, int64_t number, fjson_object *draft) {
  fjson_object *ev = walk(r, "event", 1, NULL);
  const char *host = soc_report_str(draft, "host");
  if (host && *host) add_unique(ev, "hosts", fjson_object_new_string(host));
  fjson_object *rule = get(draft, "rule");
  if (rule) {
    fjson_object *ru = fjson_object_new_object();
    copy(ru, "id", rule, "id");
    copy(ru, "title", rule, "title");
    copy(ru, "mitre", rule, "mitre");
    add_unique(ev, "rules", ru);
  }
  add_indicator(ev, soc_report_str(draft, "key"));
  int64_t first = soc_report_time(draft, "first_seen"), last = soc_report_time(draft, "last_seen");
  int64_t rf = soc_report_time(r, "event.first_seen"), rl = soc_report_time(r, "event.last_seen");
  if (first && (!rf || first < rf)) put_time(ev, "first_seen", first);
  if (last && last > rl) put_time(ev, "last_seen", last);
  put_int(ev, "count", int_at(r, "event.count") + int_at(draft, "count"));
  add_unique(r, "drafts", fjson_object_new_int64(number));
}

int soc_report_fold_draft(fjson_object *r, int64_t number, fjson_object *draft) {
  if (!r || !draft) return -EINVAL;
  fold(r, number, draft);
  return 0;
}

static fjson_object *cia(void) {
  fjson_object *o = fjson_object_new_object();
  put_int(o, "level", 0);
  soc_json_add_str(o, "reason", "");
  return o;
}

static void add_level(fjson_object *r, int level, const char *by, const char *reason, int64_t at_ns,
                      int relevel) {
  fjson_object *e = fjson_object_new_object();
  put_int(e, "level", level);
  put_time(e, "at", at_ns);
  soc_json_add_str(e, "by", by);
  soc_json_add_str(e, "reason", reason);
  put_bool(e, "relevel", relevel);
  fjson_object_array_add(array_at(r, "levels"), e);
}

int soc_report_new(const soc_report_origin *o, int64_t number, fjson_object *draft, const char *by,
                   int64_t at_ns, fjson_object **out) {
  char id[320];
  *out = NULL;
  if (!o || !o->agent_id || !draft || number <= 0 || !by) return -EINVAL;
  int level = (int)int_at(draft, "level");
  if (level < 1 || level > 4) return -EINVAL;
  fjson_object *r = fjson_object_new_object();
  if (!r) return -ENOMEM;
  const soc_authority *auth = soc_authority_find(o->authority);
  snprintf(id, sizeof id, "%s/%lld", o->agent_id, (long long)number);
  soc_json_add_str(r, "schema", SOC_REPORT_SCHEMA);
  soc_json_add_str(r, "id", id);
  put_int(r, "number", number);
  put_int(r, "revision", 0);
  set_state(r, SOC_REPORT_CONFIRMED);
  soc_json_add_str(r, "regime", o->regime);
  put_int(r, "level", level);

  fjson_object *ag = fjson_object_new_object();
  soc_json_add_str(ag, "id", o->agent_id);
  soc_json_add_str(ag, "agency", o->agency);
  put_int(ag, "authority", o->authority);
  soc_json_add_str(ag, "authority_name", auth ? auth->name : "");
  fjson_object_object_add(r, "agent", ag);

  fjson_object *basic = fjson_object_new_object();
  soc_json_add_str(basic, "agency", o->agency);
  put_int(basic, "authority", o->authority);
  soc_json_add_str(basic, "authority_name", auth ? auth->name : "");
  fjson_object *rep = fjson_object_new_object();
  soc_json_add_str(rep, "name", o->reporter_name);
  soc_json_add_str(rep, "phone", o->reporter_phone);
  soc_json_add_str(rep, "fax", o->reporter_fax);
  soc_json_add_str(rep, "email", o->reporter_email);
  fjson_object_object_add(basic, "reporter", rep);
  soc_json_add_str(basic, "on_behalf_of", "");
  soc_json_add_str(basic, "vendor", o->vendor);
  fjson_object_object_add(r, "basic", basic);

  fjson_object *ev = fjson_object_new_object();
  int64_t discovered = soc_report_time(draft, "discovered");
  put_time(ev, "discovered", discovered ? discovered : at_ns);
  put_time(ev, "reported", 0);
  copy(ev, "category", draft, "category");
  copy(ev, "category_zh", draft, "category_zh");
  copy(ev, "subtype", draft, "subtype");
  fjson_object *rule = get(draft, "rule");
  soc_json_add_str(ev, "description", soc_report_str(rule, "title"));
  soc_json_add_str(ev, "scope", "");
  put_bool(ev, "red_team", 0);
  put_int(ev, "affects_others", 1);
  fjson_object_object_add(ev, "sectors", fjson_object_new_array());
  soc_json_add_str(ev, "found_by", "self");
  soc_json_add_str(ev, "external_ref", "");
  put_bool(ev, "victim_ci_provider", 0);
  put_time(ev, "first_seen", 0);
  put_time(ev, "last_seen", 0);
  fjson_object_object_add(ev, "hosts", fjson_object_new_array());
  fjson_object *asset = get(draft, "asset"), *as = fjson_object_new_object();
  copy(as, "name", asset, "name");
  copy(as, "tier", asset, "tier");
  fjson_object_object_add(ev, "asset", as);
  fjson_object_object_add(ev, "rules", fjson_object_new_array());
  fjson_object_object_add(ev, "indicators", fjson_object_new_array());
  put_int(ev, "count", 0);
  fjson_object_object_add(r, "event", ev);

  fjson_object *imp = fjson_object_new_object();
  fjson_object_object_add(imp, "confidentiality", cia());
  fjson_object_object_add(imp, "integrity", cia());
  fjson_object_object_add(imp, "availability", cia());
  put_int(imp, "level", level);
  copy(imp, "clause", draft, "clause");
  fjson_object_object_add(r, "impact", imp);

  fjson_object *sup = fjson_object_new_object();
  put_bool(sup, "requested", 0);
  soc_json_add_str(sup, "what", "");
  put_time(sup, "dispatched", 0);
  fjson_object_object_add(r, "support", sup);

  fjson_object *resp = fjson_object_new_object();
  fjson_object_object_add(resp, "evidence_kept", fjson_object_new_array());
  put_int(resp, "malware_samples", 0);
  soc_json_add_str(resp, "analysis", "");
  fjson_object_object_add(resp, "containment", fjson_object_new_array());
  soc_json_add_str(resp, "summary", "");
  put_int(resp, "status", 1);
  put_time(resp, "completed", 0);
  fjson_object_object_add(r, "response", resp);

  fjson_object *clo = fjson_object_new_object();
  static const char *const closure_keys[] = {"assets",    "environment", "root_cause",
                                             "hardening", "measures",    "handler"};
  for (size_t i = 0; i < sizeof closure_keys / sizeof *closure_keys; i++)
    soc_json_add_str(clo, closure_keys[i], "");
  put_time(clo, "closed", 0);
  fjson_object_object_add(r, "closure", clo);

  fjson_object *inv = fjson_object_new_object();
  put_time(inv, "submitted", 0);
  fjson_object_object_add(r, "investigation", inv);

  fjson_object *rev = fjson_object_new_object();
  put_time(rev, "at", 0);
  soc_json_add_str(rev, "by", "");
  soc_json_add_str(rev, "result", "");
  soc_json_add_str(rev, "source", "");
  fjson_object_object_add(r, "review", rev);

  fjson_object *sum = fjson_object_new_object();
  static const char *const summary_keys[] = {"course", "damage", "later_impact", "response",
                                             "hardening"};
  for (size_t i = 0; i < sizeof summary_keys / sizeof *summary_keys; i++)
    soc_json_add_str(sum, summary_keys[i], "");
  fjson_object_object_add(r, "closure_summary", sum);

  fjson_object *conf = fjson_object_new_object();
  soc_json_add_str(conf, "by", by);
  put_time(conf, "at", at_ns);
  fjson_object_object_add(r, "confirmed", conf);

  fjson_object_object_add(r, "filings", fjson_object_new_array());
  fjson_object_object_add(r, "levels", fjson_object_new_array());
  fjson_object *ov = get(draft, "level_override");
  int suggested = ov ? (int)int_at(ov, "from") : level;
  add_level(r, suggested, "socagent", soc_report_str(draft, "clause.ref"), discovered, 0);
  if (ov && suggested != level)
    add_level(r, level, soc_report_str(ov, "by"), soc_report_str(ov, "reason"), at_ns, 0);
  fjson_object_object_add(r, "deadlines", fjson_object_new_array());
  fjson_object_object_add(r, "drafts", fjson_object_new_array());
  fjson_object_object_add(r, "evidence", fjson_object_new_array());
  fjson_object_object_add(r, "bundle", NULL);
  fold(r, number, draft);
  *out = r;
  return 0;
}

int soc_report_add_evidence(fjson_object *r, const char *source, int64_t stream, uint64_t pos,
                            int64_t ts_ns, const char *line, size_t len) {
  fjson_object *a = array_at(r, "evidence");
  if (fjson_object_array_length(a) >= SOC_REPORT_EVIDENCE_MAX) return 1;
  fjson_object *e = fjson_object_new_object();
  soc_json_add_str(e, "source", source);
  put_int(e, "stream", stream);
  put_int(e, "position", (int64_t)pos);
  put_time(e, "time", ts_ns);
  /* journal lines are raw bytes; the document is UTF-8 */
  size_t ok = soc_utf8_valid_prefix(line, len);
  fjson_object_object_add(e, "line", fjson_object_new_string_len(line, (int)ok));
  fjson_object_array_add(a, e);
  return 0;
}

/* ---- the lifecycle ---- */

static void add_filing(fjson_object *r, int status, const char *kind, const char *via,
                       const char *by, int64_t at_ns) {
  fjson_object *f = fjson_object_new_object();
  put_int(f, "status", status);
  soc_json_add_str(f, "kind", kind);
  put_time(f, "at", at_ns);
  soc_json_add_str(f, "via", via);
  soc_json_add_str(f, "by", by);
  put_int(f, "level", soc_report_level(r));
  fjson_object_array_add(array_at(r, "filings"), f);
}

static int not_closed(fjson_object *r, const char *what, char *why, size_t why_len) {
  if (soc_report_state_of(r) == SOC_REPORT_CLOSED)
    return fail(-EPERM, why, why_len, "report %lld is closed: cannot %s",
                (long long)soc_report_number(r), what);
  return 0;
}

static int check_at(fjson_object *r, int64_t at_ns, char *why, size_t why_len) {
  int64_t disc = soc_report_time(r, "event.discovered");
  if (at_ns <= 0) return fail(-EINVAL, why, why_len, "no time given");
  /* the form cannot say something happened before anyone knew of it;
   * millisecond rounding of stored times is tolerated */
  if (disc && at_ns + 1000000 < disc) {
    char ts[SOC_EVENT_TIME_BUF] = "";
    soc_event_format_time(disc, 0, ts, sizeof ts);
    return fail(-EINVAL, why, why_len, "that time is before the discovery (%s)", ts);
  }
  return 0;
}

int soc_report_file(fjson_object *r, const char *via, const char *by, int64_t at_ns, char *why,
                    size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if (!via || (strcmp(via, "platform") && strcmp(via, "phone")))
    return fail(-EINVAL, why, why_len, "--via must be platform or phone");
  if ((rc = not_closed(r, "file it again", why, why_len)) ||
      (rc = check_at(r, at_ns, why, why_len)))
    return rc;
  fjson_object *ev = walk(r, "event", 1, NULL);
  int first = soc_report_time(r, "event.reported") == 0;
  int backfill = !first && get(r, "phone_backfill_owed") &&
                 fjson_object_get_boolean(get(r, "phone_backfill_owed")) &&
                 !strcmp(via, "platform");
  if (first) {
    put_time(ev, "reported", at_ns);
    if (soc_report_state_of(r) == SOC_REPORT_CONFIRMED) set_state(r, SOC_REPORT_REPORTED);
  }
  if (first && !strcmp(via, "phone")) put_bool(r, "phone_backfill_owed", 1);
  if (backfill) put_bool(r, "phone_backfill_owed", 0);
  add_filing(r, first || backfill ? 1 : 2,
             first      ? "initial"
             : backfill ? "backfill"
                        : "edit",
             via, by, at_ns);
  return 0;
}

static int must_be_reported(fjson_object *r, const char *what, char *why, size_t why_len) {
  if (!soc_report_time(r, "event.reported"))
    return fail(-EPERM, why, why_len, "report %lld has not been filed yet: file it before %s",
                (long long)soc_report_number(r), what);
  return 0;
}

int soc_report_review(fjson_object *r, const char *by, const char *result, const char *source,
                      int64_t at_ns, char *why, size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if ((rc = not_closed(r, "review it", why, why_len)) ||
      (rc = must_be_reported(r, "a review", why, why_len)) ||
      (rc = check_at(r, at_ns, why, why_len)))
    return rc;
  if (soc_report_time(r, "review.at"))
    return fail(-EPERM, why, why_len, "report %lld was already reviewed",
                (long long)soc_report_number(r));
  fjson_object *rev = walk(r, "review", 1, NULL);
  put_time(rev, "at", at_ns);
  soc_json_add_str(rev, "by", by);
  soc_json_add_str(rev, "result", result);
  soc_json_add_str(rev, "source", source ? source : "agent");
  if (soc_report_state_of(r) == SOC_REPORT_REPORTED) set_state(r, SOC_REPORT_REVIEWED);
  return 0;
}

int soc_report_recover(fjson_object *r, int status, const char *by, int64_t at_ns, char *why,
                       size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if (status != 2 && status != 3)
    return fail(-EINVAL, why, why_len, "--status must be controlled or recovered");
  if ((rc = not_closed(r, "change its response", why, why_len)) ||
      (rc = must_be_reported(r, "a follow-up", why, why_len)) ||
      (rc = check_at(r, at_ns, why, why_len)))
    return rc;
  fjson_object *resp = walk(r, "response", 1, NULL);
  int64_t cur = int_at(r, "response.status");
  if (status <= cur)
    return fail(-EPERM, why, why_len, "report %lld is already %s", (long long)soc_report_number(r),
                cur == 3 ? "recovered" : "damage controlled");
  put_int(resp, "status", status);
  /* the clock (§6: 損害控制或復原) stops at the first of the two */
  if (!soc_report_time(r, "response.completed")) put_time(resp, "completed", at_ns);
  if (status == 3) put_time(resp, "recovered", at_ns);
  set_state(r, status == 3 ? SOC_REPORT_RECOVERED : SOC_REPORT_CONTAINED);
  add_filing(r, 3, "follow-up", "platform", by, at_ns);
  return 0;
}

int soc_report_close(fjson_object *r, const char *by, int64_t at_ns, char *why, size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if ((rc = not_closed(r, "close it again", why, why_len)) ||
      (rc = check_at(r, at_ns, why, why_len)))
    return rc;
  if (int_at(r, "response.status") != 3)
    return fail(-EPERM, why, why_len,
                "report %lld is not recovered yet: record recovery (recover --status recovered)"
                " before closing",
                (long long)soc_report_number(r));
  put_time(walk(r, "closure", 1, NULL), "closed", at_ns);
  set_state(r, SOC_REPORT_CLOSED);
  add_filing(r, soc_report_level(r) >= 3 ? 5 : 4, "closure", "platform", by, at_ns);
  return 0;
}

int soc_report_relevel(fjson_object *r, int level, const char *by, const char *reason,
                       int64_t at_ns, char *why, size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if (level < 1 || level > 4) return fail(-EINVAL, why, why_len, "--level must be 1 to 4");
  if (!reason || !*reason) return fail(-EINVAL, why, why_len, "a level change needs --reason");
  if ((rc = not_closed(r, "change its level", why, why_len)) ||
      (rc = check_at(r, at_ns, why, why_len)))
    return rc;
  int old = soc_report_level(r);
  if (level == old)
    return fail(-EPERM, why, why_len, "report %lld is already level %d",
                (long long)soc_report_number(r), level);
  put_int(r, "level", level);
  put_int(walk(r, "impact", 1, NULL), "level", level);
  add_level(r, level, by, reason, at_ns, 1);
  /* a change of level is reported again (§4: 等級變更應重新通報) */
  if (soc_report_time(r, "event.reported")) add_filing(r, 2, "re-report", "platform", by, at_ns);
  return 0;
}

int soc_report_investigation(fjson_object *r, const char *by, int64_t at_ns, char *why,
                             size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if ((rc = check_at(r, at_ns, why, why_len))) return rc;
  if (soc_report_level(r) < 3)
    return fail(-EPERM, why, why_len,
                "report %lld is level %d: the investigation report is owed for levels 3-4",
                (long long)soc_report_number(r), soc_report_level(r));
  if (soc_report_time(r, "investigation.submitted"))
    return fail(-EPERM, why, why_len, "its investigation report was already submitted");
  fjson_object *inv = walk(r, "investigation", 1, NULL);
  put_time(inv, "submitted", at_ns);
  soc_json_add_str(inv, "by", by);
  return 0;
}

int soc_report_support_dispatched(fjson_object *r, const char *by, int64_t at_ns, char *why,
                                  size_t why_len) {
  int rc;
  if (!r || !by) return fail(-EINVAL, why, why_len, "missing argument");
  if ((rc = check_at(r, at_ns, why, why_len))) return rc;
  fjson_object *sup = walk(r, "support", 1, NULL);
  put_time(sup, "dispatched", at_ns);
  soc_json_add_str(sup, "dispatched_by", by);
  return 0;
}

/* ---- form fields that a person fills ---- */

typedef enum { F_TEXT, F_BOOL, F_INT, F_CHOICE, F_INTS, F_CATEGORY, F_KEPT, F_MEASURE } ftype;

static const char *const found_by[] = {"self", "external", "other", NULL};

static const struct settable {
  const char *path;
  ftype type;
  int min, max;
  const char *const *choices;
  const char *help;
} settables[] = {
    {"basic.reporter.name", F_TEXT, 0, 0, NULL, "reporter's name"},
    {"basic.reporter.phone", F_TEXT, 0, 0, NULL, "reporter's phone"},
    {"basic.reporter.fax", F_TEXT, 0, 0, NULL, "reporter's fax"},
    {"basic.reporter.email", F_TEXT, 0, 0, NULL, "reporter's e-mail"},
    {"basic.on_behalf_of", F_TEXT, 0, 0, NULL, "agency this is filed for (代為通報)"},
    {"basic.vendor", F_TEXT, 0, 0, NULL, "maintenance vendor"},
    {"event.category", F_CATEGORY, 0, 0, NULL,
     "web-attack, intrusion, denial-of-service, equipment, other"},
    {"event.subtype", F_TEXT, 0, 0, NULL, "sub-type of the category"},
    {"event.description", F_TEXT, 0, 0, NULL, "what happened"},
    {"event.scope", F_TEXT, 0, 0, NULL, "affected scope"},
    {"event.red_team", F_BOOL, 0, 0, NULL, "a red-team exercise (yes/no)"},
    {"event.affects_others", F_INT, 1, 3, NULL,
     "affects other agencies or CI: 1 no, 2 unsure, 3 yes"},
    {"event.sectors", F_INTS, 1, 8, NULL, "CI sectors, e.g. 2,7 (1 water ... 8 science parks)"},
    {"event.found_by", F_CHOICE, 0, 0, found_by, "self, external or other"},
    {"event.external_ref", F_TEXT, 0, 0, NULL, "external notice number"},
    {"event.victim_ci_provider", F_BOOL, 0, 0, NULL, "the victim is a CI provider (yes/no)"},
    {"impact.confidentiality.level", F_INT, 0, 4, NULL, "confidentiality impact level, 0-4"},
    {"impact.confidentiality.reason", F_TEXT, 0, 0, NULL, "why"},
    {"impact.integrity.level", F_INT, 0, 4, NULL, "integrity impact level, 0-4"},
    {"impact.integrity.reason", F_TEXT, 0, 0, NULL, "why"},
    {"impact.availability.level", F_INT, 0, 4, NULL, "availability impact level, 0-4"},
    {"impact.availability.reason", F_TEXT, 0, 0, NULL, "why"},
    {"support.requested", F_BOOL, 0, 0, NULL, "support wanted from the center (yes/no)"},
    {"support.what", F_TEXT, 0, 0, NULL, "what support"},
    {"response.evidence_kept", F_KEPT, 0, 0, NULL,
     "append KIND|FROM|TO, e.g. firewall logs|2026-11-24T00:00Z|2026-11-25T00:00Z"},
    {"response.malware_samples", F_INT, 0, 1000000, NULL, "number of malware samples kept"},
    {"response.analysis", F_TEXT, 0, 0, NULL,
     "analysis: connections, accounts, files, data leaked"},
    {"response.containment", F_MEASURE, 0, 0, NULL,
     "append MEASURE|TIME, e.g. blocked 1.2.3.4 on fw01|2026-11-25T10:00Z"},
    {"response.summary", F_TEXT, 0, 0, NULL, "response summary"},
    {"closure.assets", F_TEXT, 0, 0, NULL, "affected assets: PCs, servers, IPs, URLs, OS"},
    {"closure.environment", F_TEXT, 0, 0, NULL, "ISMS, vendors, SOC and whether it alerted"},
    {"closure.root_cause", F_TEXT, 0, 0, NULL, "root cause"},
    {"closure.hardening", F_TEXT, 0, 0, NULL, "hardening done"},
    {"closure.measures", F_TEXT, 0, 0, NULL, "management measures"},
    {"closure.handler", F_TEXT, 0, 0, NULL, "who handled it"},
    {"closure_summary.course", F_TEXT, 0, 0, NULL, "§4.1(三)4: course of events"},
    {"closure_summary.damage", F_TEXT, 0, 0, NULL, "damage"},
    {"closure_summary.later_impact", F_TEXT, 0, 0, NULL, "possible later impact"},
    {"closure_summary.response", F_TEXT, 0, 0, NULL, "response"},
    {"closure_summary.hardening", F_TEXT, 0, 0, NULL, "hardening"},
};

const char *soc_report_settable(size_t i, const char **help) {
  if (i >= sizeof settables / sizeof *settables) return NULL;
  if (help) *help = settables[i].help;
  return settables[i].path;
}

static int parse_int(const char *s, int min, int max, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* "A|TIME" → text and time; a missing time is 0. */
static int split_time(const char *value, char *text, size_t cap, int64_t *at_ns) {
  const char *bar = strrchr(value, '|');
  size_t n = bar ? (size_t)(bar - value) : strlen(value);
  if (n >= cap) return -1;
  memcpy(text, value, n);
  text[n] = 0;
  *at_ns = 0;
  return bar && soc_time_parse_ns(bar + 1, at_ns) < 0 ? -1 : 0;
}

int soc_report_set(fjson_object *r, const char *path, const char *value, char *why,
                   size_t why_len) {
  const struct settable *f = NULL;
  int rc;
  if (!r || !path || !value) return fail(-EINVAL, why, why_len, "missing argument");
  for (size_t i = 0; i < sizeof settables / sizeof *settables; i++)
    if (!strcmp(settables[i].path, path)) f = &settables[i];
  if (!f) return fail(-EINVAL, why, why_len, "'%s' is not a form field that can be set", path);
  if ((rc = not_closed(r, "change its form", why, why_len))) return rc;
  size_t len = strlen(value);
  if (len > TEXT_MAX || soc_utf8_valid_prefix(value, len) != len)
    return fail(-EINVAL, why, why_len, "%s: expected UTF-8 text of at most %d bytes", path,
                TEXT_MAX);
  const char *leaf = NULL;
  fjson_object *parent = walk(r, path, 1, &leaf);
  int64_t v = 0;
  switch (f->type) {
    case F_TEXT:
      soc_json_add_str(parent, leaf, value);
      return 0;
    case F_BOOL:
      if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
        v = 1;
      else if (strcmp(value, "no") && strcmp(value, "false") && strcmp(value, "0"))
        return fail(-EINVAL, why, why_len, "%s: expected yes or no, got '%s'", path, value);
      put_bool(parent, leaf, (int)v);
      return 0;
    case F_INT:
      if (parse_int(value, f->min, f->max, &v) < 0)
        return fail(-EINVAL, why, why_len, "%s: expected a number from %d to %d, got '%s'", path,
                    f->min, f->max, value);
      put_int(parent, leaf, v);
      return 0;
    case F_CHOICE:
      for (const char *const *c = f->choices; *c; c++)
        if (!strcmp(*c, value)) {
          soc_json_add_str(parent, leaf, value);
          return 0;
        }
      return fail(-EINVAL, why, why_len, "%s: '%s' is not one of the choices (%s)", path, value,
                  f->help);
    case F_CATEGORY: {
      soc_incident_category c = soc_incident_category_parse(value);
      if (c == SOC_CATEGORY_NONE)
        return fail(-EINVAL, why, why_len, "%s: unknown category '%s' (%s)", path, value, f->help);
      soc_json_add_str(parent, "category", soc_incident_category_name(c));
      soc_json_add_str(parent, "category_zh", soc_incident_category_name_zh(c));
      return 0;
    }
    case F_INTS: {
      fjson_object *a = fjson_object_new_array();
      char buf[256];
      snprintf(buf, sizeof buf, "%s", value);
      for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok;
           tok = strtok_r(NULL, ", ", &save)) {
        if (parse_int(tok, f->min, f->max, &v) < 0) {
          fjson_object_put(a);
          return fail(-EINVAL, why, why_len, "%s: expected numbers from %d to %d, got '%s'", path,
                      f->min, f->max, tok);
        }
        fjson_object_array_add(a, fjson_object_new_int64(v));
      }
      fjson_object_object_add(parent, leaf, a);
      return 0;
    }
    case F_KEPT:
    case F_MEASURE: {
      char text[TEXT_MAX + 1], kind[TEXT_MAX + 1];
      int64_t t1 = 0, t2 = 0;
      fjson_object *a = array_at(parent, leaf);
      if (fjson_object_array_length(a) >= LIST_MAX)
        return fail(-EINVAL, why, why_len, "%s: already %d entries", path, LIST_MAX);
      fjson_object *e = fjson_object_new_object();
      if (f->type == F_MEASURE) {
        if (split_time(value, text, sizeof text, &t1) < 0 || !*text) goto bad_list;
        soc_json_add_str(e, "measure", text);
        put_time(e, "at", t1);
      } else {
        /* KIND|FROM|TO: split the last two bars */
        if (split_time(value, text, sizeof text, &t2) < 0 ||
            split_time(text, kind, sizeof kind, &t1) < 0 || !*kind || !t1 || !t2 || t2 < t1)
          goto bad_list;
        soc_json_add_str(e, "kind", kind);
        put_time(e, "from", t1);
        put_time(e, "to", t2);
      }
      fjson_object_array_add(a, e);
      return 0;
    bad_list:
      fjson_object_put(e);
      return fail(-EINVAL, why, why_len, "%s: expected %s", path, f->help + strlen("append "));
    }
  }
  return fail(-EINVAL, why, why_len, "%s: unsupported field", path);
}

/* ---- the clocks ---- */

static int64_t secs(int64_t ns) { return ns / 1000000000LL; }

/* The last re-level (the only one soc_incident_times can weigh): its
 * previous level and when it happened. */
static void last_relevel(fjson_object *r, int *prev, int64_t *at) {
  /* The center reads agents' documents: "levels" may be anything there. */
  fjson_object *a = get(r, "levels");
  int n = fjson_object_is_type(a, fjson_type_array) ? fjson_object_array_length(a) : 0;
  *prev = 0;
  *at = 0;
  for (int i = n; i-- > 1;) {
    fjson_object *e = fjson_object_array_get_idx(a, i);
    if (!fjson_object_get_boolean(get(e, "relevel"))) continue;
    *prev = (int)fjson_object_get_int64(get(fjson_object_array_get_idx(a, i - 1), "level"));
    *at = secs(soc_report_time(e, "at"));
    return;
  }
}

int soc_report_deadlines(fjson_object *r, const soc_regime *g, int64_t now_s, soc_deadline *out,
                         size_t cap, size_t *n) {
  soc_step_done done[1];
  soc_incident_times t = {.now = now_s, .done = done};
  if (!r || !g) return -EINVAL;
  t.at[SOC_ANCHOR_DISCOVERY] = secs(soc_report_time(r, "event.discovered"));
  t.at[SOC_ANCHOR_REPORT] = secs(soc_report_time(r, "event.reported"));
  t.at[SOC_ANCHOR_REVIEW] = secs(soc_report_time(r, "review.at"));
  t.at[SOC_ANCHOR_RECOVERY] = secs(soc_report_time(r, "response.completed"));
  t.at[SOC_ANCHOR_CLASSIFICATION] = secs(soc_report_time(r, "confirmed.at"));
  int64_t inv = secs(soc_report_time(r, "investigation.submitted"));
  if (inv) done[t.ndone++] = (soc_step_done){.step = "investigation", .at = inv};
  last_relevel(r, &t.prev_level, &t.level_changed_at);
  return soc_deadlines_compute(g, soc_report_level(r), &t, out, cap, n);
}

int soc_report_touch(fjson_object *r, const soc_regime *g, int64_t now_s) {
  if (!r || !g) return -EINVAL;
  put_int(r, "revision", int_at(r, "revision") + 1);
  put_time(r, "updated", now_s * 1000000000LL);
  return soc_report_refresh_deadlines(r, g, now_s);
}

int soc_report_refresh_deadlines(fjson_object *r, const soc_regime *g, int64_t now_s) {
  soc_deadline d[DEADLINES_MAX];
  size_t n = 0;
  int rc = soc_report_deadlines(r, g, now_s, d, DEADLINES_MAX, &n);
  if (rc < 0) return rc;
  fjson_object *a = fjson_object_new_array();
  for (size_t i = 0; i < n; i++) {
    fjson_object *e = fjson_object_new_object();
    soc_json_add_str(e, "step", d[i].step->id);
    soc_json_add_str(e, "title", d[i].step->title);
    soc_json_add_str(e, "title_zh", d[i].step->title_zh);
    soc_json_add_str(e, "who", d[i].step->who);
    soc_json_add_str(e, "clause", d[i].step->clause);
    put_time(e, "due", d[i].due * 1000000000LL);
    put_time(e, "done", d[i].done * 1000000000LL);
    soc_json_add_str(e, "status", soc_deadline_status_name(d[i].status));
    fjson_object_array_add(a, e);
  }
  fjson_object_object_add(r, "deadlines", a);
  return 0;
}

int soc_report_save(soc_store *s, fjson_object *r, const soc_regime *g, int64_t now_s) {
  int rc = soc_report_touch(r, g, now_s);
  if (rc < 0) return rc;
  const char *json = fjson_object_to_json_string_ext(r, FJSON_TO_STRING_PLAIN);
  soc_report_row row = {.id = soc_report_number(r),
                        .level = soc_report_level(r),
                        .revision = int_at(r, "revision"),
                        .discovered_ns = soc_report_time(r, "event.discovered"),
                        .updated_ns = now_s * 1000000000LL,
                        .body = (char *)json};
  snprintf(row.state, sizeof row.state, "%s", soc_report_state_name(soc_report_state_of(r)));
  const char *id = soc_report_str(r, "id");
  rc = soc_store_report_put(s, &row);
  if (rc == 0) rc = soc_store_outbox_add(s, "reports", id ? id : "", json, strlen(json), NULL);
  return rc;
}
