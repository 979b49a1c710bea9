/*
 * report_export — STIX 2.1 and the step-by-step form (report_export.h).
 */
#include "soc/report_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/event.h"
#include "soc/hash.h"
#include "soc/json_obj.h"
#include "soc/report.h"

/* STIX 2.1 §2.9: the namespace of deterministic SCO ids. */
static const uint8_t stix_sco_ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                        0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};
/* Ours, for the SDOs of a report (a v4 UUID drawn once). */
static const uint8_t socagent_ns[16] = {0x6f, 0x1c, 0x2a, 0x8e, 0x53, 0x0b, 0x4d, 0x3a,
                                        0x9e, 0x27, 0x41, 0xc5, 0x88, 0x6d, 0x10, 0xf4};

static fjson_object *get(fjson_object *o, const char *k) {
  fjson_object *v = NULL;
  return o && fjson_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *str(fjson_object *r, const char *path) {
  const char *s = soc_report_str(r, path);
  return s ? s : "";
}

/* "<type>--<uuid5(ns, a + "\n" + b)>" */
static void stix_id(const char *type, const uint8_t ns[16], const char *a, const char *b, char *out,
                    size_t cap) {
  char name[1024], uuid[SOC_UUID_STR_LEN + 1] = "00000000-0000-5000-8000-000000000000";
  int n = snprintf(name, sizeof name, "%s\n%s", a, b ? b : "");
  soc_uuid5(ns, name, n < 0 ? 0 : (size_t)n >= sizeof name ? sizeof name - 1 : (size_t)n, uuid);
  snprintf(out, cap, "%s--%s", type, uuid);
}

static fjson_object *sdo(const char *type, const char *id, const char *created,
                         const char *modified) {
  fjson_object *o = fjson_object_new_object();
  soc_json_add_str(o, "type", type);
  soc_json_add_str(o, "spec_version", "2.1");
  soc_json_add_str(o, "id", id);
  soc_json_add_str(o, "created", created);
  soc_json_add_str(o, "modified", modified);
  return o;
}

int soc_report_export_stix(fjson_object *r, char **out) {
  char incident[128], identity[128], bundle[128];
  *out = NULL;
  const char *rid = soc_report_str(r, "id");
  if (!rid) return -EINVAL;
  const char *created = str(r, "confirmed.at"), *modified = soc_report_str(r, "updated");
  if (!modified) modified = created;
  const char *first = str(r, "event.first_seen"), *last = str(r, "event.last_seen");
  fjson_object *b = fjson_object_new_object(), *objs = fjson_object_new_array();
  if (!b || !objs) return -ENOMEM;

  stix_id("bundle", socagent_ns, rid, modified, bundle, sizeof bundle);
  soc_json_add_str(b, "type", "bundle");
  soc_json_add_str(b, "id", bundle);
  fjson_object_object_add(b, "objects", objs);

  stix_id("identity", socagent_ns, "agency", str(r, "agent.agency"), identity, sizeof identity);
  fjson_object *who = sdo("identity", identity, created, created);
  soc_json_add_str(who, "name", str(r, "agent.agency"));
  soc_json_add_str(who, "identity_class", "organization");
  fjson_object_array_add(objs, who);

  stix_id("incident", socagent_ns, rid, "incident", incident, sizeof incident);
  fjson_object *inc = sdo("incident", incident, created, modified);
  char name[512];
  snprintf(name, sizeof name, "%s: %s (level %d)", rid, str(r, "event.description"),
           soc_report_level(r));
  soc_json_add_str(inc, "name", name);
  soc_json_add_str(inc, "description",
                   *str(r, "event.scope") ? str(r, "event.scope") : str(r, "event.subtype"));
  soc_json_add_str(inc, "created_by_ref", identity);
  fjson_object *labels = fjson_object_new_array();
  fjson_object_array_add(labels, fjson_object_new_string(str(r, "event.category")));
  fjson_object_object_add(inc, "labels", labels);
  fjson_object *ext = fjson_object_new_array(), *e = fjson_object_new_object();
  soc_json_add_str(e, "source_name", "socagent");
  soc_json_add_str(e, "external_id", rid);
  fjson_object_array_add(ext, e);
  fjson_object_object_add(inc, "external_references", ext);
  /* custom properties carry what STIX has no field for (§2.3 level, 通報 state) */
  fjson_object_object_add(inc, "x_tw_incident_level", fjson_object_new_int(soc_report_level(r)));
  soc_json_add_str(inc, "x_tw_report_state", str(r, "state"));
  soc_json_add_str(inc, "x_tw_category_zh", str(r, "event.category_zh"));
  soc_json_add_str(inc, "x_tw_discovered", str(r, "event.discovered"));
  fjson_object_array_add(objs, inc);

  fjson_object *inds = get(get(r, "event"), "indicators");
  int64_t count = 0;
  fjson_object *cnt = get(get(r, "event"), "count");
  if (cnt) count = fjson_object_get_int64(cnt);
  for (int i = 0; inds && i < fjson_object_array_length(inds); i++) {
    fjson_object *x = fjson_object_array_get_idx(inds, i);
    const char *type = str(x, "type"), *value = str(x, "value");
    if (strcmp(type, "ipv4-addr") && strcmp(type, "ipv6-addr")) continue;
    char sco[128], ind[128], od[128], sig[128], rel[128], pattern[256], json_value[200];
    /* an SCO's id is from its JSON-serialised id-contributing property */
    snprintf(json_value, sizeof json_value, "{\"value\":\"%s\"}", value);
    char uuid[SOC_UUID_STR_LEN + 1];
    soc_uuid5(stix_sco_ns, json_value, strlen(json_value), uuid);
    snprintf(sco, sizeof sco, "%s--%s", type, uuid);
    fjson_object *addr = fjson_object_new_object();
    soc_json_add_str(addr, "type", type);
    soc_json_add_str(addr, "spec_version", "2.1");
    soc_json_add_str(addr, "id", sco);
    soc_json_add_str(addr, "value", value);
    fjson_object_array_add(objs, addr);

    stix_id("indicator", socagent_ns, rid, value, ind, sizeof ind);
    fjson_object *in = sdo("indicator", ind, created, modified);
    snprintf(pattern, sizeof pattern, "[%s:value = '%s']", type, value);
    snprintf(name, sizeof name, "%s seen in %s", value, rid);
    soc_json_add_str(in, "name", name);
    soc_json_add_str(in, "pattern", pattern);
    soc_json_add_str(in, "pattern_type", "stix");
    soc_json_add_str(in, "valid_from", *first ? first : created);
    soc_json_add_str(in, "created_by_ref", identity);
    fjson_object_array_add(objs, in);

    stix_id("observed-data", socagent_ns, rid, value, od, sizeof od);
    fjson_object *o = sdo("observed-data", od, created, modified);
    soc_json_add_str(o, "first_observed", *first ? first : created);
    soc_json_add_str(o, "last_observed", *last ? last : created);
    fjson_object_object_add(o, "number_observed", fjson_object_new_int64(count > 0 ? count : 1));
    fjson_object *refs = fjson_object_new_array();
    fjson_object_array_add(refs, fjson_object_new_string(sco));
    fjson_object_object_add(o, "object_refs", refs);
    fjson_object_array_add(objs, o);

    stix_id("sighting", socagent_ns, rid, value, sig, sizeof sig);
    fjson_object *s = sdo("sighting", sig, created, modified);
    soc_json_add_str(s, "sighting_of_ref", ind);
    soc_json_add_str(s, "first_seen", *first ? first : created);
    soc_json_add_str(s, "last_seen", *last ? last : created);
    fjson_object_object_add(s, "count", fjson_object_new_int64(count > 0 ? count : 1));
    refs = fjson_object_new_array();
    fjson_object_array_add(refs, fjson_object_new_string(od));
    fjson_object_object_add(s, "observed_data_refs", refs);
    refs = fjson_object_new_array();
    fjson_object_array_add(refs, fjson_object_new_string(identity));
    fjson_object_object_add(s, "where_sighted_refs", refs);
    fjson_object_array_add(objs, s);

    stix_id("relationship", socagent_ns, rid, value, rel, sizeof rel);
    fjson_object *l = sdo("relationship", rel, created, modified);
    soc_json_add_str(l, "relationship_type", "related-to");
    soc_json_add_str(l, "source_ref", ind);
    soc_json_add_str(l, "target_ref", incident);
    fjson_object_array_add(objs, l);
  }
  const char *json = fjson_object_to_json_string_ext(b, FJSON_TO_STRING_PRETTY);
  size_t n = strlen(json);
  *out = malloc(n + 2);
  if (*out) {
    memcpy(*out, json, n);
    memcpy(*out + n, "\n", 2);
  }
  fjson_object_put(b);
  return *out ? 0 : -ENOMEM;
}

/* ---- the form, step by step ---- */

static const char *yes_no(fjson_object *r, const char *path) {
  const char *leaf = strrchr(path, '.');
  char parent[64];
  snprintf(parent, sizeof parent, "%.*s", (int)(leaf - path), path);
  fjson_object *p = get(r, parent), *v = get(p, leaf + 1);
  return v && fjson_object_get_boolean(v) ? "yes 是" : "no 否";
}

static int64_t num(fjson_object *r, const char *a, const char *b) {
  fjson_object *v = get(b ? get(r, a) : r, b ? b : a);
  return v ? fjson_object_get_int64(v) : 0;
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* Columns a label takes on a terminal: CJK characters are two wide, so
 * printf's byte-counted padding would leave the values ragged. */
static size_t columns(const char *s) {
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned cp = *p;
    int n = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
    if (n == 3) cp = (unsigned)((p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f));
    w += n >= 3 && cp >= 0x1100 ? 2 : 1;
    for (int i = 0; i < n && *p; i++) p++;
  }
  return w;
}

static void line(FILE *f, const char *label, const char *value) {
  size_t w = columns(label);
  fprintf(f, "  %s%*s %s\n", label, w < 36 ? (int)(36 - w) : 0, "", or_dash(value));
}

static void cia_line(FILE *f, fjson_object *r, const char *k, const char *label) {
  fjson_object *c = get(get(r, "impact"), k);
  char v[600], lv[24];
  int64_t l = num(c, "level", NULL);
  snprintf(lv, sizeof lv, "%lld", (long long)l);
  snprintf(v, sizeof v, "%s%s%s", l ? lv : "not assessed 未評估", *str(c, "reason") ? " — " : "",
           str(c, "reason"));
  line(f, label, v);
}

static const char *const affects[] = {"", "1 no 無", "2 unsure 不確定", "3 yes 有"};
static const char *const sectors[] = {"",
                                      "1 water 水資源",
                                      "2 energy 能源",
                                      "3 communications 通訊傳播",
                                      "4 transport 交通",
                                      "5 banking/finance 金融",
                                      "6 emergency/hospitals 緊急救援與醫院",
                                      "7 key government 重要政府機關",
                                      "8 science parks 高科技園區"};
static const char *const response_status[] = {"", "1 not done 未完成",
                                              "2 damage controlled 損害控制",
                                              "3 controlled and recovered 完成損害控制與復原"};

int soc_report_export_text(fjson_object *r, int64_t now_s, char **out) {
  char *buf = NULL;
  size_t len = 0;
  *out = NULL;
  if (!soc_report_str(r, "id")) return -EINVAL;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return -ENOMEM;
  fjson_object *ev = get(r, "event");
  fprintf(f, "資通安全事件通報單 — cyber security incident notification form\n");
  fprintf(f, "report %s, revision %lld, state %s, level %d (regime %s)\n\n", str(r, "id"),
          (long long)num(r, "revision", NULL), str(r, "state"), soc_report_level(r),
          str(r, "regime"));

  fprintf(f, "Step 1  basic data 基本資料\n");
  line(f, "report time 通報時間", str(r, "event.reported"));
  line(f, "agency 機關", str(r, "basic.agency"));
  char auth[256];
  snprintf(auth, sizeof auth, "%lld %s", (long long)num(r, "basic", "authority"),
           str(r, "basic.authority_name"));
  line(f, "supervisory authority 主管機關", auth);
  line(f, "reporter 通報人", str(r, "basic.reporter.name"));
  line(f, "phone 電話", str(r, "basic.reporter.phone"));
  line(f, "fax 傳真", str(r, "basic.reporter.fax"));
  line(f, "e-mail 電子郵件", str(r, "basic.reporter.email"));
  line(f, "on behalf of 代為通報", str(r, "basic.on_behalf_of"));
  line(f, "maintenance vendor 委外廠商", str(r, "basic.vendor"));

  fprintf(f, "\nStep 2  event 事件資料\n");
  line(f, "discovery time 知悉時間", str(r, "event.discovered"));
  line(f, "report time 通報時間", str(r, "event.reported"));
  char cat[256];
  snprintf(cat, sizeof cat, "%s %s / %s", str(r, "event.category_zh"), str(r, "event.category"),
           str(r, "event.subtype"));
  line(f, "category / sub-type 事件分類", cat);
  line(f, "description 事件說明", str(r, "event.description"));
  line(f, "affected scope 影響範圍", str(r, "event.scope"));
  line(f, "red-team exercise 演練", yes_no(r, "event.red_team"));
  int64_t a = num(ev, "affects_others", NULL);
  line(f, "affects others or CI 影響其他機關", a >= 1 && a <= 3 ? affects[a] : "-");
  fjson_object *sec = get(ev, "sectors");
  for (int i = 0; sec && i < fjson_object_array_length(sec); i++) {
    int64_t s = fjson_object_get_int64(fjson_object_array_get_idx(sec, i));
    line(f, i ? "" : "CI sectors 關鍵基礎設施領域", s >= 1 && s <= 8 ? sectors[s] : "?");
  }
  line(f, "found by 發現方式", str(r, "event.found_by"));
  line(f, "external notice 外部通知編號", str(r, "event.external_ref"));
  line(f, "victim is a CI provider", yes_no(r, "event.victim_ci_provider"));
  fjson_object *hosts = get(ev, "hosts");
  for (int i = 0; hosts && i < fjson_object_array_length(hosts); i++)
    line(f, i ? "" : "hosts 主機", fjson_object_get_string(fjson_object_array_get_idx(hosts, i)));
  char span[128];
  snprintf(span, sizeof span, "%s .. %s (%lld sightings)", str(r, "event.first_seen"),
           str(r, "event.last_seen"), (long long)num(ev, "count", NULL));
  line(f, "seen 觀察期間", span);

  fprintf(f, "\nStep 3  impact 影響等級\n");
  cia_line(f, r, "confidentiality", "confidentiality 機密性");
  cia_line(f, r, "integrity", "integrity 完整性");
  cia_line(f, r, "availability", "availability 可用性");
  char lvl[600];
  snprintf(lvl, sizeof lvl, "%d — %s %s", soc_report_level(r), str(r, "impact.clause.ref"),
           str(r, "impact.clause.text_zh"));
  line(f, "overall level 事件等級", lvl);

  fprintf(f, "\nStep 4  support 支援申請\n");
  line(f, "support wanted 是否需要支援", yes_no(r, "support.requested"));
  line(f, "what 需求", str(r, "support.what"));
  line(f, "dispatched 派員時間", str(r, "support.dispatched"));

  fprintf(f, "\nStep 5  response 應變處置 (續報)\n");
  fjson_object *resp = get(r, "response"), *kept = get(resp, "evidence_kept");
  for (int i = 0; kept && i < fjson_object_array_length(kept); i++) {
    fjson_object *k = fjson_object_array_get_idx(kept, i);
    char v[512];
    snprintf(v, sizeof v, "%s, %s .. %s", str(k, "kind"), str(k, "from"), str(k, "to"));
    line(f, i ? "" : "evidence kept 保存紀錄", v);
  }
  char samples[32];
  snprintf(samples, sizeof samples, "%lld", (long long)num(resp, "malware_samples", NULL));
  line(f, "malware samples 惡意程式樣本數", samples);
  line(f, "analysis 分析", str(r, "response.analysis"));
  fjson_object *cont = get(resp, "containment");
  for (int i = 0; cont && i < fjson_object_array_length(cont); i++) {
    fjson_object *c = fjson_object_array_get_idx(cont, i);
    char v[600];
    snprintf(v, sizeof v, "%s (%s)", str(c, "measure"), or_dash(str(c, "at")));
    line(f, i ? "" : "containment 處置措施", v);
  }
  line(f, "summary 摘要", str(r, "response.summary"));
  int64_t st = num(resp, "status", NULL);
  line(f, "status 處理狀態", st >= 1 && st <= 3 ? response_status[st] : "-");
  line(f, "completed 完成時間", str(r, "response.completed"));

  fprintf(f, "\nStep 6  closure 結案 (結報)\n");
  line(f, "affected assets 受害資產", str(r, "closure.assets"));
  line(f, "environment 環境", str(r, "closure.environment"));
  line(f, "root cause 事件原因", str(r, "closure.root_cause"));
  line(f, "hardening 補強措施", str(r, "closure.hardening"));
  line(f, "management measures 管理措施", str(r, "closure.measures"));
  line(f, "handler 處理人員", str(r, "closure.handler"));
  line(f, "closed 結案時間", str(r, "closure.closed"));

  if (num(resp, "status", NULL) == 3) {
    fprintf(f, "\nClosure summary 結案摘要 (§4.1(三)4)\n");
    line(f, "course 事件經過", str(r, "closure_summary.course"));
    line(f, "damage 損害情形", str(r, "closure_summary.damage"));
    line(f, "later impact 後續影響", str(r, "closure_summary.later_impact"));
    line(f, "response 處理情形", str(r, "closure_summary.response"));
    line(f, "hardening 補強措施", str(r, "closure_summary.hardening"));
  }

  fprintf(f, "\nFilings 通報紀錄\n");
  fjson_object *fl = get(r, "filings");
  for (int i = 0; fl && i < fjson_object_array_length(fl); i++) {
    fjson_object *x = fjson_object_array_get_idx(fl, i);
    fprintf(f, "  %s  status %lld %-10s via %-8s level %lld  by %s\n", str(x, "at"),
            (long long)num(x, "status", NULL), str(x, "kind"), str(x, "via"),
            (long long)num(x, "level", NULL), str(x, "by"));
  }
  if (!fl || !fjson_object_array_length(fl)) fprintf(f, "  (not filed yet)\n");
  if (get(r, "phone_backfill_owed") && fjson_object_get_boolean(get(r, "phone_backfill_owed")))
    fprintf(f, "  ! reported by phone: the platform filing is still owed (補登)\n");

  fprintf(f, "\nDeadlines 時限\n");
  fjson_object *dl = get(r, "deadlines");
  for (int i = 0; dl && i < fjson_object_array_length(dl); i++) {
    fjson_object *x = fjson_object_array_get_idx(dl, i);
    fprintf(f, "  %-14s %-10s due %-24s %-8s %s%s\n", str(x, "step"), str(x, "who"),
            or_dash(str(x, "due")), str(x, "status"), *str(x, "done") ? "done " : "",
            str(x, "done"));
  }
  if (now_s) {
    char ts[SOC_EVENT_TIME_BUF];
    if (soc_event_format_time(now_s * 1000000000LL, 0, ts, sizeof ts) == 0)
      fprintf(f, "  (as of %s)\n", ts);
  }
  if (fclose(f) != 0) {
    free(buf);
    return -ENOMEM;
  }
  *out = buf;
  return 0;
}
