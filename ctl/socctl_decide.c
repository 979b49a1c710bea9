/*
 * socctl confirm / reject / merge / note — an analyst's decisions on drafts.
 *
 *   socctl -c FILE confirm ID --analyst NAME [--level N --reason TEXT] [--category C]
 *   socctl -c FILE reject ID --analyst NAME --reason TEXT
 *   socctl -c FILE merge ID ID... --analyst NAME
 *   socctl -c FILE note ID TEXT --analyst NAME
 *   socctl -c FILE promote ALERT-ID... --analyst NAME [--level N]
 *
 * A draft is only a suggestion (§6.2 punishes false reports); these commands
 * are where a person decides. Each decision is one store transaction that
 * (1) rewrites the draft row and its JSON body, (2) appends an entry to the
 * hash-chained audit log (soc_audit_append_tx, so the decision can never
 * commit without its entry), and (3) puts the updated body in the outbox
 * under "incidents", so the technical center sees what was decided. Either
 * all three happen or none does.
 *
 * Only open drafts can be confirmed, rejected or merged: a decision is made
 * once. A level different from the suggested one needs a reason, which goes
 * into the body as "level_override" so the report can justify it. Merging
 * keeps the first id: the others become "merged" with "merged_into", their
 * counts and time spans are folded into the survivor, and their evidence
 * stays attached to them (the survivor lists them under "merged"). Notes
 * are free text and may be added to a draft in any state.
 *
 * Exit status: 0 done, 1 store failure, 2 bad usage or a refused decision.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socctl.h"
#include "soc/tz.h"
#include "soc/audit.h"
#include "soc/event.h"
#include "soc/json_obj.h"
#include "soc/rules.h"
#include "triage.h"

#define MAX_IDS 64

typedef struct opts {
  const char *analyst, *reason, *category, *text;
  int level; /* -1: not given */
  int64_t ids[MAX_IDS];
  size_t nids;
} opts;

/* Parses the common options; `positional_text` takes one free-text word
 * after the ids (note). Returns 0; -1 after --help (printed); or prints the
 * problem and the usage and returns 2. */
static int parse(int argc, char **argv, int positional_text, opts *o) {
  enum { O_ANALYST = 1, O_REASON, O_CATEGORY, O_LEVEL };
  static const struct option longopts[] = {{"analyst", required_argument, NULL, O_ANALYST},
                                           {"reason", required_argument, NULL, O_REASON},
                                           {"category", required_argument, NULL, O_CATEGORY},
                                           {"level", required_argument, NULL, O_LEVEL},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  int opt;
  memset(o, 0, sizeof *o);
  o->level = -1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
      case O_ANALYST:
        o->analyst = optarg;
        break;
      case O_REASON:
        o->reason = optarg;
        break;
      case O_CATEGORY:
        o->category = optarg;
        break;
      case O_LEVEL:
        if (soc_ctl_parse_level(cmd, optarg, &o->level)) return 2;
        break;
      case 'h':
        soc_ctl_usage(cmd, stdout);
        return -1;
      default:
        return soc_ctl_usage(cmd, stderr);
    }
  }
  for (int i = optind; i < argc; i++) {
    if (positional_text && o->nids == 1 && !o->text) {
      o->text = argv[i];
    } else if (o->nids < MAX_IDS && soc_ctl_parse_id(argv[i], &o->ids[o->nids]) == 0) {
      o->nids++;
    } else {
      fprintf(stderr, "socctl %s: \"%s\" is not a draft id\n", cmd, argv[i]);
      return soc_ctl_usage(cmd, stderr);
    }
  }
  if (!o->nids) return soc_ctl_usage(cmd, stderr);
  if (!o->analyst || !*o->analyst || strlen(o->analyst) >= SOC_AUDIT_FIELD_MAX) {
    fprintf(stderr, "socctl %s: --analyst NAME is required (who decides)\n", cmd);
    return 2;
  }
  return 0;
}

/* Loads draft id and parses its body. OUT: *row (clear it), *body (put it). */
static int load(socctl_tx *d, int64_t id, int must_be_open, soc_draft_row *row,
                fjson_object **body) {
  int rc = soc_store_draft_get(d->store, id, row);
  if (rc == -ENOENT) {
    fprintf(stderr, "socctl %s: no draft %lld\n", d->cmd, (long long)id);
    return 2;
  }
  if (rc < 0) {
    fprintf(stderr, "socctl %s: %s\n", d->cmd, soc_store_errmsg(d->store));
    return 1;
  }
  if (must_be_open && strcmp(row->status, "open")) {
    fprintf(stderr, "socctl %s: draft %lld is %s, not open: it was already decided\n", d->cmd,
            (long long)id, row->status);
    return 2;
  }
  *body = row->body ? fjson_tokener_parse(row->body) : NULL;
  if (!*body || !fjson_object_is_type(*body, fjson_type_object)) {
    if (*body) fjson_object_put(*body);
    *body = fjson_object_new_object();
  }
  return 0;
}

/* Writes row (with body) back and copies the body to the outbox. */
static int save(socctl_tx *d, soc_draft_row *row, fjson_object *body) {
  soc_json_add_str(body, "status", row->status);
  fjson_object_object_add(body, "level", fjson_object_new_int(row->level));
  fjson_object_object_add(body, "count", fjson_object_new_int64(row->count));
  soc_json_add_time(body, "first_seen", row->first_ns);
  soc_json_add_time(body, "last_seen", row->last_ns);
  char *json = strdup(fjson_object_to_json_string_ext(body, FJSON_TO_STRING_PLAIN));
  if (!json) {
    fprintf(stderr, "socctl %s: out of memory\n", d->cmd);
    return 1;
  }
  free(row->body);
  row->body = json;
  fjson_object *h = NULL;
  const char *key =
      fjson_object_object_get_ex(body, "host", &h) ? fjson_object_get_string(h) : NULL;
  if (!key || !*key) key = d->cfg->agent.id;
  if (soc_store_draft_put(d->store, row) < 0 ||
      soc_store_outbox_add(d->store, "incidents", key, json, strlen(json), NULL) < 0) {
    fprintf(stderr, "socctl %s: %s\n", d->cmd, soc_store_errmsg(d->store));
    return 1;
  }
  return 0;
}

static int audit(socctl_tx *d, const char *analyst, int64_t id, fjson_object *details) {
  char object[48];
  snprintf(object, sizeof object, "draft:%lld", (long long)id);
  return soc_ctl_tx_audit(d, analyst, object, details);
}

static fjson_object *from_to_str(const char *from, const char *to) {
  fjson_object *o = fjson_object_new_object();
  soc_json_add_str(o, "from", from);
  soc_json_add_str(o, "to", to);
  return o;
}

/* ---- confirm ---------------------------------------------------------------- */

int soc_ctl_confirm(const socctl_env *env, int argc, char **argv) {
  opts o;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1) return soc_ctl_usage(argv[0], stderr);
  soc_incident_category cat = SOC_CATEGORY_NONE;
  if (o.category && (cat = soc_incident_category_parse(o.category)) == SOC_CATEGORY_NONE) {
    fprintf(stderr,
            "socctl confirm: unknown category \"%s\" (web-attack, intrusion, "
            "denial-of-service, equipment, other)\n",
            o.category);
    return 2;
  }
  socctl_tx d;
  soc_draft_row row = {0};
  fjson_object *body = NULL, *details = fjson_object_new_object();
  int from_level = 0;
  char from_cat[64] = "";
  if ((status = soc_ctl_tx_open(&d, env, "confirm"))) goto out;
  if ((status = load(&d, o.ids[0], 1, &row, &body))) goto out;
  from_level = row.level;
  if (o.level > 0 && o.level != row.level && (!o.reason || !*o.reason)) {
    fprintf(stderr, "socctl confirm: changing draft %lld from level %d to %d needs --reason\n",
            (long long)row.id, row.level, o.level);
    status = 2;
    goto out;
  }
  fjson_object_object_add(details, "status", from_to_str(row.status, "confirmed"));
  snprintf(row.status, sizeof row.status, "confirmed");
  if (o.level > 0 && o.level != row.level) {
    fjson_object *ov = fjson_object_new_object();
    fjson_object_object_add(ov, "from", fjson_object_new_int(row.level));
    fjson_object_object_add(ov, "to", fjson_object_new_int(o.level));
    soc_json_add_str(ov, "reason", o.reason);
    soc_json_add_str(ov, "by", o.analyst);
    fjson_object_object_add(body, "level_override", ov);
    fjson_object_object_add(details, "level", fjson_object_get(ov));
    row.level = o.level;
  }
  if (o.category) {
    fjson_object *c = NULL;
    snprintf(from_cat, sizeof from_cat, "%s",
             fjson_object_object_get_ex(body, "category", &c) ? fjson_object_get_string(c) : "");
    const char *to = soc_incident_category_name(cat);
    if (strcmp(from_cat, to)) {
      fjson_object_object_add(details, "category", from_to_str(from_cat, to));
      soc_json_add_str(body, "category", to);
      soc_json_add_str(body, "category_zh", soc_incident_category_name_zh(cat));
    }
  }
  fjson_object *conf = fjson_object_new_object();
  soc_json_add_str(conf, "by", o.analyst);
  int64_t at = soc_now_real_ns();
  soc_json_add_time(conf, "at", at);
  fjson_object_object_add(body, "confirmed", conf);
  if ((status = save(&d, &row, body))) goto out;
  if ((status = soc_ctl_report_create(&d, &row, body, o.analyst, at))) goto out;
  status = audit(&d, o.analyst, row.id, details);
out:
  status = soc_ctl_tx_close(&d, status);
  if (!status) {
    printf("draft %lld confirmed by %s (level %d", (long long)row.id, o.analyst, from_level);
    if (row.level != from_level) printf(" → %d: %s", row.level, o.reason);
    fjson_object *c = NULL;
    if (fjson_object_object_get_ex(details, "category", &c))
      printf("; category %s → %s", from_cat, soc_incident_category_name(cat));
    printf(")\n");
  }
  if (body) fjson_object_put(body);
  fjson_object_put(details);
  soc_draft_row_clear(&row);
  return status;
}

/* ---- reject ----------------------------------------------------------------- */

int soc_ctl_reject(const socctl_env *env, int argc, char **argv) {
  opts o;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1 || o.level > 0 || o.category) return soc_ctl_usage(argv[0], stderr);
  if (!o.reason || !*o.reason) {
    fprintf(stderr, "socctl reject: --reason is required (why this is not an incident)\n");
    return 2;
  }
  socctl_tx d;
  soc_draft_row row = {0};
  fjson_object *body = NULL, *details = fjson_object_new_object();
  if ((status = soc_ctl_tx_open(&d, env, "reject"))) goto out;
  if ((status = load(&d, o.ids[0], 1, &row, &body))) goto out;
  fjson_object_object_add(details, "status", from_to_str(row.status, "rejected"));
  soc_json_add_str(details, "reason", o.reason);
  snprintf(row.status, sizeof row.status, "rejected");
  fjson_object *rej = fjson_object_new_object();
  soc_json_add_str(rej, "by", o.analyst);
  soc_json_add_time(rej, "at", soc_now_real_ns());
  soc_json_add_str(rej, "reason", o.reason);
  fjson_object_object_add(body, "rejected", rej);
  if ((status = save(&d, &row, body))) goto out;
  status = audit(&d, o.analyst, row.id, details);
out:
  status = soc_ctl_tx_close(&d, status);
  if (!status) printf("draft %lld rejected by %s: %s\n", (long long)row.id, o.analyst, o.reason);
  if (body) fjson_object_put(body);
  fjson_object_put(details);
  soc_draft_row_clear(&row);
  return status;
}

/* ---- merge ------------------------------------------------------------------ */

int soc_ctl_merge(const socctl_env *env, int argc, char **argv) {
  opts o;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids < 2 || o.level > 0 || o.category) return soc_ctl_usage(argv[0], stderr);
  for (size_t i = 0; i < o.nids; i++)
    for (size_t j = i + 1; j < o.nids; j++)
      if (o.ids[i] == o.ids[j]) {
        fprintf(stderr, "socctl merge: draft %lld is named twice\n", (long long)o.ids[i]);
        return 2;
      }
  socctl_tx d;
  soc_draft_row keep = {0};
  fjson_object *body = NULL, *details = fjson_object_new_object();
  fjson_object *merged = fjson_object_new_array();
  int64_t count_before = 0;
  if ((status = soc_ctl_tx_open(&d, env, "merge"))) goto out;
  if ((status = load(&d, o.ids[0], 1, &keep, &body))) goto out;
  count_before = keep.count;
  fjson_object *prior = NULL;
  if (fjson_object_object_get_ex(body, "merged", &prior) &&
      fjson_object_is_type(prior, fjson_type_array)) {
    for (int k = 0; k < fjson_object_array_length(prior); k++)
      fjson_object_array_add(merged, fjson_object_get(fjson_object_array_get_idx(prior, k)));
  }
  for (size_t i = 1; i < o.nids; i++) {
    soc_draft_row other = {0};
    fjson_object *ob = NULL;
    if ((status = load(&d, o.ids[i], 1, &other, &ob)) == 0) {
      keep.count += other.count;
      if (other.first_ns && (!keep.first_ns || other.first_ns < keep.first_ns))
        keep.first_ns = other.first_ns;
      if (other.last_ns > keep.last_ns) keep.last_ns = other.last_ns;
      snprintf(other.status, sizeof other.status, "merged");
      fjson_object_object_add(ob, "merged_into", fjson_object_new_int64(keep.id));
      fjson_object *mb = fjson_object_new_object();
      soc_json_add_str(mb, "by", o.analyst);
      soc_json_add_time(mb, "at", soc_now_real_ns());
      fjson_object_object_add(ob, "merge", mb);
      fjson_object_array_add(merged, fjson_object_new_int64(other.id));
      status = save(&d, &other, ob);
    }
    if (ob) fjson_object_put(ob);
    soc_draft_row_clear(&other);
    if (status) goto out;
  }
  fjson_object_object_add(body, "merged", fjson_object_get(merged));
  if ((status = save(&d, &keep, body))) goto out;
  fjson_object *ids = fjson_object_new_array();
  for (size_t i = 1; i < o.nids; i++) fjson_object_array_add(ids, fjson_object_new_int64(o.ids[i]));
  fjson_object_object_add(details, "merged", ids);
  fjson_object *cnt = fjson_object_new_object();
  fjson_object_object_add(cnt, "from", fjson_object_new_int64(count_before));
  fjson_object_object_add(cnt, "to", fjson_object_new_int64(keep.count));
  fjson_object_object_add(details, "count", cnt);
  status = audit(&d, o.analyst, keep.id, details);
out:
  status = soc_ctl_tx_close(&d, status);
  if (!status) {
    printf("draft %lld merged with", (long long)keep.id);
    for (size_t i = 1; i < o.nids; i++) printf("%s %lld", i > 1 ? "," : "", (long long)o.ids[i]);
    printf(" by %s (count %lld → %lld)\n", o.analyst, (long long)count_before,
           (long long)keep.count);
  }
  if (body) fjson_object_put(body);
  fjson_object_put(details);
  fjson_object_put(merged);
  soc_draft_row_clear(&keep);
  return status;
}

/* ---- note ------------------------------------------------------------------- */

int soc_ctl_note(const socctl_env *env, int argc, char **argv) {
  opts o;
  int status = parse(argc, argv, 1, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.nids != 1 || !o.text || !*o.text || o.level > 0 || o.category || o.reason)
    return soc_ctl_usage(argv[0], stderr);
  if (strlen(o.text) > SOC_AUDIT_DETAILS_MAX / 2) {
    fprintf(stderr, "socctl note: the note is too long (at most %d bytes)\n",
            SOC_AUDIT_DETAILS_MAX / 2);
    return 2;
  }
  socctl_tx d;
  soc_draft_row row = {0};
  fjson_object *body = NULL, *details = fjson_object_new_object();
  if ((status = soc_ctl_tx_open(&d, env, "note"))) goto out;
  if ((status = load(&d, o.ids[0], 0, &row, &body))) goto out;
  fjson_object *notes = NULL;
  if (!fjson_object_object_get_ex(body, "notes", &notes) ||
      !fjson_object_is_type(notes, fjson_type_array)) {
    notes = fjson_object_new_array();
    fjson_object_object_add(body, "notes", notes);
  }
  fjson_object *n = fjson_object_new_object();
  soc_json_add_str(n, "by", o.analyst);
  soc_json_add_time(n, "at", soc_now_real_ns());
  soc_json_add_str(n, "text", o.text);
  fjson_object_array_add(notes, n);
  soc_json_add_str(details, "text", o.text);
  if ((status = save(&d, &row, body))) goto out;
  status = audit(&d, o.analyst, row.id, details);
out:
  status = soc_ctl_tx_close(&d, status);
  if (!status)
    printf("note added to draft %lld (%s) by %s\n", (long long)row.id, row.status, o.analyst);
  if (body) fjson_object_put(body);
  fjson_object_put(details);
  soc_draft_row_clear(&row);
  return status;
}

/* ---- promote ---------------------------------------------------------------- */

/* Alerts judged an incident by a person (an attempt that the analyst knows
 * got further, a probe of a system that matters): one new draft holding
 * them, its §3.1 clock starting now, from that awareness. */
int soc_ctl_promote(const socctl_env *env, int argc, char **argv) {
  opts o;
  int status = parse(argc, argv, 0, &o);
  if (status) return status < 0 ? 0 : status;
  if (o.reason || o.category) return soc_ctl_usage(argv[0], stderr);
  socctl_tx d;
  soc_draft_row row = {0};
  soc_assets *assets = NULL;
  fjson_object *body = NULL, *details = fjson_object_new_object(), *ids = fjson_object_new_array();
  int64_t draft = 0, bad = 0;
  if ((status = soc_ctl_tx_open(&d, env, "promote"))) goto out;
  soc_diag *diag = soc_diag_new();
  int rc = soc_config_load_assets(d.cfg, &assets, diag);
  soc_diag_print(diag, stderr);
  soc_diag_free(diag);
  if (rc < 0) {
    status = 2;
    goto out;
  }
  rc = soc_triage_promote(d.cfg, d.store, assets, o.ids, o.nids, &draft, &bad);
  if (rc == -ENOENT || rc == -EEXIST) {
    if (rc == -ENOENT)
      fprintf(stderr, "socctl promote: no alert %lld\n", (long long)bad);
    else
      fprintf(stderr, "socctl promote: alert %lld is in open draft %lld already\n", (long long)bad,
              (long long)draft);
    status = 2;
    goto out;
  }
  if (rc < 0) {
    fprintf(stderr, "socctl promote: %s\n", soc_store_errmsg(d.store));
    status = 1;
    goto out;
  }
  if ((status = load(&d, draft, 1, &row, &body))) goto out;
  for (size_t i = 0; i < o.nids; i++) fjson_object_array_add(ids, fjson_object_new_int64(o.ids[i]));
  fjson_object *p = fjson_object_new_object();
  soc_json_add_str(p, "by", o.analyst);
  soc_json_add_time(p, "at", row.discovered_ns);
  fjson_object_object_add(p, "alerts", fjson_object_get(ids));
  fjson_object_object_add(body, "promoted", p);
  fjson_object *from = NULL;
  if (!fjson_object_object_get_ex(body, "level_from", &from)) {
    from = fjson_object_new_object();
    soc_json_add_str(from, "analyst", o.analyst);
    fjson_object_object_add(body, "level_from", from);
  }
  if (o.level > 0 && o.level != row.level) {
    /* the clause stays that of the suggestion; the analyst's level is noted over it */
    fjson_object *ov = fjson_object_new_object();
    fjson_object_object_add(ov, "from", fjson_object_new_int(row.level));
    fjson_object_object_add(ov, "to", fjson_object_new_int(o.level));
    soc_json_add_str(ov, "by", o.analyst);
    fjson_object_object_add(body, "level_override", ov);
    row.level = o.level;
  }
  fjson_object_object_add(details, "alerts", fjson_object_get(ids));
  fjson_object_object_add(details, "level", fjson_object_new_int(row.level));
  if ((status = save(&d, &row, body))) goto out;
  status = audit(&d, o.analyst, row.id, details);
out:
  status = soc_ctl_tx_close(&d, status);
  if (!status)
    printf("alert(s) promoted by %s into draft %lld (level %d); report due within 1 h (§3.1)\n",
           o.analyst, (long long)row.id, row.level);
  if (body) fjson_object_put(body);
  fjson_object_put(details);
  fjson_object_put(ids);
  soc_assets_free(assets);
  soc_draft_row_clear(&row);
  return status;
}
