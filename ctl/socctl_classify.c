/*
 * socctl classify — the §2.3 classifier from the command line.
 *
 *   socctl classify --impact tamper --tier core --severity severe
 *   socctl -c agent.yaml classify --host web01 --impact outage --outage-minutes 300
 *
 * Several impacts may be given: each --impact starts a new one, and the
 * options after it describe it. Options before the first --impact (and the
 * asset's tier, data classes and tolerable downtime, with --asset/--host)
 * are defaults for all of them. Where a value came from the inventory the
 * output says so, and a host that is not in the inventory is shown as a
 * fallback to the default tier, never silently.
 */
#include <errno.h>
#include <json.h> /* libfastjson */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socctl.h"
#include "soc/assets.h"
#include "soc/config.h"
#include "soc/diag.h"
#include "soc/level.h"
#include "soc/schema.h"

/* An impact as typed, before defaults are applied: NONE / -1 mean unset. */
typedef struct typed_impact {
  soc_impact v;
  int data_from_asset;
} typed_impact;

typedef struct classify_args {
  typed_impact impacts[SOC_LEVEL_MAX_IMPACTS];
  size_t n;
  soc_impact defaults;
  const char *asset_name;
  const char *host;
  const char *assets_file;
  int json;
} classify_args;

static soc_impact *target(classify_args *a) {
  return a->n ? &a->impacts[a->n - 1].v : &a->defaults;
}

static int minutes(const char *s, int64_t *seconds) {
  int64_t m;
  if (soc_parse_int(s, &m) < 0 || m < 0 || m > INT64_MAX / 60) return -EINVAL;
  *seconds = m * 60;
  return 0;
}

static int bad_arg(const char *opt, const char *val, const char *expected) {
  fprintf(stderr, "socctl classify: --%s '%s': expected %s\n", opt, val, expected);
  return 2;
}

static int parse_args(int argc, char **argv, classify_args *a) {
  enum { O_IMPACT = 1, O_TIER, O_DATA, O_SEV, O_OUT, O_TOL, O_ASSET, O_HOST, O_ASSETS, O_JSON };
  static const struct option opts[] = {{"impact", required_argument, NULL, O_IMPACT},
                                       {"tier", required_argument, NULL, O_TIER},
                                       {"data-class", required_argument, NULL, O_DATA},
                                       {"severity", required_argument, NULL, O_SEV},
                                       {"outage-minutes", required_argument, NULL, O_OUT},
                                       {"tolerable-minutes", required_argument, NULL, O_TOL},
                                       {"asset", required_argument, NULL, O_ASSET},
                                       {"host", required_argument, NULL, O_HOST},
                                       {"assets", required_argument, NULL, O_ASSETS},
                                       {"json", no_argument, NULL, O_JSON},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  a->defaults.outage_seconds = a->defaults.tolerable_seconds = -1;
  while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    soc_impact *t = target(a);
    switch (opt) {
      case O_IMPACT:
        if (a->n == SOC_LEVEL_MAX_IMPACTS) return bad_arg("impact", optarg, "at most 16 impacts");
        a->impacts[a->n].v = (soc_impact){
            .kind = soc_impact_kind_parse(optarg), .outage_seconds = -1, .tolerable_seconds = -1};
        if (a->impacts[a->n++].v.kind == SOC_IMPACT_NONE)
          return bad_arg("impact", optarg, "leak, tamper or outage");
        break;
      case O_TIER:
        if ((t->tier = soc_tier_parse(optarg)) == SOC_TIER_NONE)
          return bad_arg("tier", optarg, "cii, core or non-core");
        break;
      case O_DATA:
        if ((t->data_class = soc_data_class_parse(optarg)) == SOC_DATA_NONE)
          return bad_arg("data-class", optarg, "national-secret, classified, sensitive or general");
        break;
      case O_SEV:
        if ((t->severity = soc_severity_parse(optarg)) == SOC_SEVERITY_NONE)
          return bad_arg("severity", optarg, "minor or severe");
        break;
      case O_OUT:
        if (minutes(optarg, &t->outage_seconds) < 0)
          return bad_arg("outage-minutes", optarg, "a number of minutes, 0 or more");
        break;
      case O_TOL:
        if (minutes(optarg, &t->tolerable_seconds) < 0)
          return bad_arg("tolerable-minutes", optarg, "a number of minutes, 0 or more");
        break;
      case O_ASSET:
        a->asset_name = optarg;
        break;
      case O_HOST:
        a->host = optarg;
        break;
      case O_ASSETS:
        a->assets_file = optarg;
        break;
      case O_JSON:
        a->json = 1;
        break;
      case 'h':
        soc_ctl_usage("classify", stdout);
        return -1;
      default:
        soc_ctl_usage("classify", stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "socctl classify: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  if (!a->n) {
    fprintf(stderr, "socctl classify: say what happened with --impact leak|tamper|outage\n");
    soc_ctl_usage("classify", stderr);
    return 2;
  }
  if (a->asset_name && a->host) {
    fprintf(stderr, "socctl classify: give --asset or --host, not both\n");
    return 2;
  }
  return 0;
}

static int load_inventory(const socctl_env *env, const classify_args *a, soc_assets **out) {
  soc_diag *diag = soc_diag_new();
  int rc = -ENOMEM;
  if (!diag) return rc;
  if (a->assets_file) {
    rc = soc_assets_load(a->assets_file, out, diag);
  } else {
    soc_config *cfg = NULL;
    rc = soc_config_load(env->config_path, 0, &cfg, diag);
    if (rc == 0) rc = soc_config_load_assets(cfg, out, diag);
    soc_config_free(cfg);
  }
  if (rc < 0) {
    for (size_t i = 0; i < soc_diag_count(diag); i++)
      fprintf(stderr, "%s\n", soc_diag_message(diag, i));
    fprintf(stderr, "socctl classify: cannot read the asset inventory\n");
  }
  soc_diag_free(diag);
  return rc;
}

/* Fills what each impact left unset: first the options before --impact,
 * then the asset. Returns 0, or 2 with a message on what is missing. */
static int complete(classify_args *a, const soc_asset *asset) {
  for (size_t i = 0; i < a->n; i++) {
    soc_impact *v = &a->impacts[i].v;
    const soc_impact *d = &a->defaults;
    if (!v->tier) v->tier = d->tier ? d->tier : asset ? asset->tier : SOC_TIER_NONE;
    if (!v->data_class) v->data_class = d->data_class;
    if (!v->data_class && asset && v->kind == SOC_IMPACT_LEAK) {
      v->data_class = soc_asset_top_data_class(asset);
      a->impacts[i].data_from_asset = v->data_class != SOC_DATA_NONE;
    }
    if (!v->severity) v->severity = d->severity;
    if (v->outage_seconds < 0) v->outage_seconds = d->outage_seconds;
    if (v->tolerable_seconds < 0) v->tolerable_seconds = d->tolerable_seconds;
    if (v->tolerable_seconds < 0 && asset) v->tolerable_seconds = asset->tolerable_seconds;

    const char *missing = NULL;
    if (!v->tier)
      missing = "--tier (or --asset/--host)";
    else if (v->kind == SOC_IMPACT_LEAK && !v->data_class)
      missing = "--data-class";
    else if (v->kind == SOC_IMPACT_TAMPER && !v->severity)
      missing = "--severity";
    else if (v->kind == SOC_IMPACT_OUTAGE && v->outage_seconds < 0)
      missing = "--outage-minutes";
    else if (v->kind == SOC_IMPACT_OUTAGE && v->tolerable_seconds < 0)
      missing = "--tolerable-minutes (or an asset with tolerable_downtime)";
    if (missing) {
      fprintf(stderr, "socctl classify: impact %zu (%s) needs %s\n", i + 1,
              soc_impact_kind_name(v->kind), missing);
      return 2;
    }
  }
  return 0;
}

static const char *match_name(soc_match_kind k) {
  return k == SOC_MATCH_HOST ? "host" : k == SOC_MATCH_ADDRESS ? "address" : "default";
}

static void print_text(const classify_args *a, const soc_level_result *r,
                       const soc_asset_match *m) {
  printf("level %d\n", r->level);
  for (size_t i = 0; i < r->n; i++) {
    const soc_level_clause *c = r->clauses[i];
    printf("  %s: %s (%s) -> level %d%s\n", c->ref, c->text, c->text_zh, c->level,
           a->impacts[i].data_from_asset ? " [data class from the asset]" : "");
  }
  if (!m) return;
  if (m->fallback)
    printf("asset: %s is not in the inventory; the default applies (tier %s) [fallback]\n",
           a->host ? a->host : a->asset_name, soc_tier_name(m->asset->tier));
  else if (m->kind == SOC_MATCH_ADDRESS)
    printf("asset: %s (tier %s), matched by address /%d\n", m->asset->name,
           soc_tier_name(m->asset->tier), m->prefix_len);
  else
    printf("asset: %s (tier %s), matched by %s\n", m->asset->name, soc_tier_name(m->asset->tier),
           a->host ? "host name" : "name");
}

static void print_json(const classify_args *a, const soc_level_result *r,
                       const soc_asset_match *m) {
  fjson_object *o = fjson_object_new_object(), *cl = fjson_object_new_array();
  fjson_object_object_add(o, "level", fjson_object_new_int(r->level));
  for (size_t i = 0; i < r->n; i++) {
    const soc_level_clause *c = r->clauses[i];
    const soc_impact *v = &a->impacts[i].v;
    fjson_object *e = fjson_object_new_object();
    fjson_object_object_add(e, "impact", fjson_object_new_string(soc_impact_kind_name(v->kind)));
    fjson_object_object_add(e, "tier", fjson_object_new_string(soc_tier_name(v->tier)));
    fjson_object_object_add(e, "level", fjson_object_new_int(c->level));
    fjson_object_object_add(e, "ref", fjson_object_new_string(c->ref));
    fjson_object_object_add(e, "text", fjson_object_new_string(c->text));
    fjson_object_object_add(e, "text_zh", fjson_object_new_string(c->text_zh));
    if (a->impacts[i].data_from_asset)
      fjson_object_object_add(e, "data_class_from_asset", fjson_object_new_boolean(1));
    fjson_object_array_add(cl, e);
  }
  fjson_object_object_add(o, "clauses", cl);
  if (m) {
    fjson_object *as = fjson_object_new_object();
    fjson_object_object_add(as, "name", fjson_object_new_string(m->asset->name));
    fjson_object_object_add(as, "tier", fjson_object_new_string(soc_tier_name(m->asset->tier)));
    fjson_object_object_add(as, "match",
                            fjson_object_new_string(a->asset_name ? "name" : match_name(m->kind)));
    fjson_object_object_add(as, "fallback", fjson_object_new_boolean(m->fallback));
    fjson_object_object_add(o, "asset", as);
  }
  printf("%s\n", fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
  fjson_object_put(o);
}

int soc_ctl_classify(const socctl_env *env, int argc, char **argv) {
  int status = 1;
  classify_args a = {0};
  soc_assets *inv = NULL;
  soc_asset_match match, *m = NULL;
  soc_impact impacts[SOC_LEVEL_MAX_IMPACTS];
  soc_level_result r;

  int rc = parse_args(argc, argv, &a);
  if (rc) {
    status = rc < 0 ? 0 : rc;
    goto out;
  }
  if (a.asset_name || a.host) {
    if (load_inventory(env, &a, &inv) < 0) goto out;
    if (a.host) {
      soc_assets_lookup(inv, a.host, &match);
    } else {
      const soc_asset *as = soc_assets_by_name(inv, a.asset_name);
      if (!as) {
        fprintf(stderr, "socctl classify: no asset named '%s' in the inventory\n", a.asset_name);
        status = 2;
        goto out;
      }
      match = (soc_asset_match){.asset = as, .kind = SOC_MATCH_HOST};
    }
    m = &match;
  }
  status = complete(&a, m ? m->asset : NULL);
  if (status) goto out;
  for (size_t i = 0; i < a.n; i++) impacts[i] = a.impacts[i].v;
  if (soc_level_classify(impacts, a.n, &r) < 0) {
    fprintf(stderr, "socctl classify: the impacts given can not be levelled\n");
    status = 2;
    goto out;
  }
  if (a.json)
    print_json(&a, &r, m);
  else
    print_text(&a, &r, m);
  status = 0;
out:
  soc_assets_free(inv);
  return status;
}
