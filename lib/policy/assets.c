/*
 * assets — the inventory and its lookups.
 *
 * Every address is kept as 16 bytes: IPv4 as the v4-mapped IPv6 form
 * (::ffff:a.b.c.d, prefix + 96), so one longest-prefix loop serves both
 * families and "192.0.2.5" and "::ffff:192.0.2.5" find the same asset.
 * Prefix entries are sorted longest first, so the first hit is the most
 * specific. Host names are compared case-insensitively (DNS is).
 *
 * Lookups happen when a rule fires, not per log line, so a sorted array is
 * plenty; an inventory of a few thousand entries costs microseconds.
 */
#include "soc/assets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soc/schema.h"
#include "soc/yamldoc.h"

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define MAX_ASSETS 100000

typedef struct asset_raw {
  char *name;
  char *tier;
  char *owner;
  char **hosts;
  size_t nhosts;
  char **addresses;
  size_t naddresses;
  char **classes;
  size_t nclasses;
  int64_t tolerable;
} asset_raw;

static const soc_field asset_fields[] = {
    {.key = "name",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(asset_raw, name),
     .flags = SOC_FIELD_REQUIRED,
     .help = "the business system's name"},
    {.key = "tier",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(asset_raw, tier),
     .flags = SOC_FIELD_REQUIRED,
     .help = "cii, core or non-core"},
    {.key = "hosts",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(asset_raw, hosts),
     .count_offset = offsetof(asset_raw, nhosts),
     .help = "host names"},
    {.key = "addresses",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(asset_raw, addresses),
     .count_offset = offsetof(asset_raw, naddresses),
     .help = "IP addresses and CIDRs"},
    {.key = "data_classes",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(asset_raw, classes),
     .count_offset = offsetof(asset_raw, nclasses),
     .help = "national-secret, classified, sensitive, general"},
    {.key = "tolerable_downtime",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(asset_raw, tolerable),
     .min = 0,
     .max = 86400 * 365,
     .help = "the longest outage the business tolerates"},
    {.key = "owner",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(asset_raw, owner),
     .help = "who is responsible"},
};

static const soc_field default_fields[] = {
    {.key = "tier",
     .type = SOC_FIELD_STRING,
     .offset = offsetof(asset_raw, tier),
     .def = "non-core",
     .help = "tier of anything not in the inventory"},
    {.key = "tolerable_downtime",
     .type = SOC_FIELD_DURATION,
     .offset = offsetof(asset_raw, tolerable),
     .min = 0,
     .max = 86400 * 365,
     .help = "tolerable downtime of anything not in the inventory"},
    {.key = "data_classes",
     .type = SOC_FIELD_STRINGS,
     .offset = offsetof(asset_raw, classes),
     .count_offset = offsetof(asset_raw, nclasses),
     .help = "data classes assumed"},
};

typedef struct host_entry {
  char *host; /* owned */
  size_t asset;
} host_entry;

typedef struct prefix_entry {
  uint8_t addr[16];
  int len; /* 0..128, in the IPv6 space */
  size_t asset;
} prefix_entry;

struct soc_assets {
  soc_asset *assets;
  size_t n;
  soc_asset def;
  host_entry *hosts;
  size_t nhosts;
  prefix_entry *prefixes;
  size_t nprefixes;
};

void soc_assets_free(soc_assets *a) {
  if (!a) return;
  for (size_t i = 0; i < a->n; i++) {
    free((char *)a->assets[i].name);
    free((char *)a->assets[i].owner);
  }
  for (size_t i = 0; i < a->nhosts; i++) free(a->hosts[i].host);
  free(a->assets);
  free(a->hosts);
  free(a->prefixes);
  free(a);
}

soc_assets *soc_assets_new_default(soc_tier tier, int64_t tolerable_seconds) {
  soc_assets *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->def.name = "(default)";
  a->def.tier = tier;
  a->def.tolerable_seconds = tolerable_seconds;
  return a;
}

/* Parses "a.b.c.d", "v6", with an optional "/len". Returns 0 or -EINVAL. */
static int parse_prefix(const char *s, uint8_t addr[16], int *len) {
  char buf[INET6_ADDRSTRLEN + 8];
  const char *slash = strchr(s, '/');
  size_t alen = slash ? (size_t)(slash - s) : strlen(s);
  int v4 = 0, max;
  if (alen == 0 || alen >= INET6_ADDRSTRLEN) return -EINVAL;
  memcpy(buf, s, alen);
  buf[alen] = '\0';
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, buf, addr + 12) == 1) {
    addr[10] = addr[11] = 0xff;
    v4 = 1;
  } else if (inet_pton(AF_INET6, buf, addr) != 1) {
    return -EINVAL;
  }
  max = v4 ? 32 : 128;
  *len = max;
  if (slash) {
    int64_t v;
    if (soc_parse_int(slash + 1, &v) < 0 || v < 0 || v > max) return -EINVAL;
    *len = (int)v;
  }
  if (v4) *len += 96;
  return 0;
}

static int prefix_matches(const uint8_t *net, int len, const uint8_t *addr) {
  int full = len / 8, rest = len % 8;
  if (memcmp(net, addr, (size_t)full) != 0) return 0;
  if (!rest) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (net[full] & mask) == (addr[full] & mask);
}

static int has_host_bits(const uint8_t *net, int len) {
  for (int bit = len; bit < 128; bit++)
    if (net[bit / 8] & (0x80 >> (bit % 8))) return 1;
  return 0;
}

static int cmp_host(const void *x, const void *y) {
  return strcasecmp(((const host_entry *)x)->host, ((const host_entry *)y)->host);
}

static int cmp_prefix(const void *x, const void *y) {
  const prefix_entry *a = x, *b = y;
  return b->len - a->len;
}

static unsigned parse_classes(const asset_raw *r, const soc_schema_ctx *ctx, const soc_ynode *node,
                              const char *where, int *bad) {
  unsigned mask = 0;
  for (size_t i = 0; i < r->nclasses; i++) {
    soc_data_class c = soc_data_class_parse(r->classes[i]);
    if (c == SOC_DATA_NONE) {
      const soc_ynode *n = soc_ynode_get(node, "data_classes");
      soc_schema_error(ctx, n,
                       "%s.data_classes: unknown data class '%s'; expected national-secret, "
                       "classified, sensitive or general",
                       where, r->classes[i]);
      *bad = 1;
    }
    mask |= 1u << c;
  }
  return mask;
}

static soc_tier parse_tier(const asset_raw *r, const soc_schema_ctx *ctx, const soc_ynode *node,
                           const char *where, int *bad) {
  soc_tier t = r->tier ? soc_tier_parse(r->tier) : SOC_TIER_NONE;
  if (r->tier && t == SOC_TIER_NONE) {
    const soc_ynode *n = soc_ynode_get(node, "tier");
    soc_schema_error(ctx, n, "%s.tier: unknown tier '%s'; expected cii, core or non-core", where,
                     r->tier);
    *bad = 1;
  }
  return t;
}

/* Adds one asset's hosts and addresses to the indexes. */
static int index_asset(soc_assets *a, size_t idx, const asset_raw *r, const soc_ynode *node,
                       const soc_schema_ctx *ctx, const char *where, int *bad) {
  host_entry *h = realloc(a->hosts, (a->nhosts + r->nhosts + 1) * sizeof *h);
  if (!h) return -ENOMEM;
  a->hosts = h;
  for (size_t i = 0; i < r->nhosts; i++) {
    h[a->nhosts].host = strdup(r->hosts[i]);
    h[a->nhosts].asset = idx;
    if (!h[a->nhosts].host) return -ENOMEM;
    a->nhosts++;
  }
  prefix_entry *p = realloc(a->prefixes, (a->nprefixes + r->naddresses + 1) * sizeof *p);
  if (!p) return -ENOMEM;
  a->prefixes = p;
  const soc_ynode *an = soc_ynode_get(node, "addresses");
  for (size_t i = 0; i < r->naddresses; i++) {
    const soc_ynode *at = an && an->kind == SOC_YNODE_SEQ && i < an->n ? an->items[i] : an;
    prefix_entry *e = &p[a->nprefixes];
    if (parse_prefix(r->addresses[i], e->addr, &e->len) < 0) {
      soc_schema_error(ctx, at,
                       "%s.addresses: '%s' is not an IP address or CIDR; expected e.g. "
                       "192.0.2.10, 192.0.2.0/24 or 2001:db8::/48",
                       where, r->addresses[i]);
      *bad = 1;
      continue;
    }
    if (has_host_bits(e->addr, e->len))
      soc_schema_warning(ctx, at,
                         "%s.addresses: '%s' has host bits set beyond its prefix; they are ignored",
                         where, r->addresses[i]);
    e->asset = idx;
    a->nprefixes++;
  }
  return 0;
}

/* After all assets are in: sort, then report the same host or prefix given
 * to two assets, which would make the lookup depend on file order. */
static void finish_indexes(soc_assets *a, const soc_schema_ctx *ctx, int *bad) {
  if (a->nhosts) qsort(a->hosts, a->nhosts, sizeof *a->hosts, cmp_host);
  for (size_t i = 1; i < a->nhosts; i++)
    if (strcasecmp(a->hosts[i - 1].host, a->hosts[i].host) == 0) {
      const soc_asset *x = &a->assets[a->hosts[i - 1].asset], *y = &a->assets[a->hosts[i].asset];
      soc_diag_add(ctx->diag, SOC_DIAG_ERROR, ctx->file, y->line, 0,
                   "host '%s' is listed for both '%s' (line %u) and '%s'; a host belongs to "
                   "one asset",
                   a->hosts[i].host, x->name, x->line, y->name);
      *bad = 1;
    }
  if (a->nprefixes) qsort(a->prefixes, a->nprefixes, sizeof *a->prefixes, cmp_prefix);
  for (size_t i = 0; i < a->nprefixes; i++)
    for (size_t j = i + 1; j < a->nprefixes && a->prefixes[j].len == a->prefixes[i].len; j++)
      if (prefix_matches(a->prefixes[i].addr, a->prefixes[i].len, a->prefixes[j].addr)) {
        const soc_asset *x = &a->assets[a->prefixes[i].asset];
        const soc_asset *y = &a->assets[a->prefixes[j].asset];
        soc_diag_add(ctx->diag, SOC_DIAG_ERROR, ctx->file, y->line, 0,
                     "the same address range is listed for both '%s' (line %u) and '%s'", x->name,
                     x->line, y->name);
        *bad = 1;
      }
}

static int load_default(soc_assets *a, const soc_ynode *node, const soc_schema_ctx *ctx, int *bad) {
  asset_raw r = {.tolerable = -1};
  if (soc_schema_apply(default_fields, NFIELDS(default_fields), node, &r, ctx, "default") < 0)
    *bad = 1;
  a->def.name = "(default)";
  a->def.tier = parse_tier(&r, ctx, node, "default", bad);
  a->def.tolerable_seconds = r.tolerable;
  a->def.data_classes = parse_classes(&r, ctx, node, "default", bad);
  a->def.line = node ? node->line : 0;
  soc_schema_release(default_fields, NFIELDS(default_fields), &r);
  return 0;
}

int soc_assets_load(const char *path, soc_assets **out, soc_diag *diag) {
  int result = -ENOMEM;
  soc_ydoc *doc = NULL;
  soc_assets *a = calloc(1, sizeof *a);
  int bad = 0;
  *out = NULL;
  if (!a) goto out;
  result = soc_ydoc_load_file(path, &doc, diag);
  if (result < 0) goto out;
  result = -EINVAL;
  soc_schema_ctx ctx = {.file = path, .diag = diag};
  const soc_ynode *root = soc_ydoc_root(doc);
  if (!root || root->kind != SOC_YNODE_MAP) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, root ? root->line : 1, root ? root->col : 1,
                 "expected a mapping with 'default' and 'assets', got %s",
                 root ? soc_ynode_kind_name(root) : "an empty file");
    goto out;
  }
  static const char *const top[] = {"default", "assets", NULL};
  for (size_t i = 0; i < root->n; i++)
    if (strcmp(root->items[2 * i]->value, "default") &&
        strcmp(root->items[2 * i]->value, "assets")) {
      soc_schema_unknown_key(&ctx, root->items[2 * i], "the asset inventory", top);
      bad = 1;
    }
  load_default(a, soc_ynode_get(root, "default"), &ctx, &bad);

  const soc_ynode *list = soc_ynode_get(root, "assets");
  if (list && !soc_ynode_is_null(list) && list->kind != SOC_YNODE_SEQ) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, list->line, list->col,
                 "assets: expected a list of assets, got %s", soc_ynode_kind_name(list));
    goto out;
  }
  size_t n = list && list->kind == SOC_YNODE_SEQ ? list->n : 0;
  if (n > MAX_ASSETS) {
    soc_diag_add(diag, SOC_DIAG_ERROR, path, list->line, list->col,
                 "assets: %zu entries, more than the limit of %d", n, MAX_ASSETS);
    goto out;
  }
  a->assets = calloc(n ? n : 1, sizeof *a->assets);
  if (!a->assets) goto out;
  for (size_t i = 0; i < n; i++) {
    char where[32];
    const soc_ynode *node = list->items[i];
    asset_raw r = {.tolerable = -1};
    snprintf(where, sizeof where, "assets[%zu]", i);
    if (soc_schema_apply(asset_fields, NFIELDS(asset_fields), node, &r, &ctx, where) < 0) bad = 1;
    soc_asset *as = &a->assets[a->n++];
    as->name = r.name;
    as->owner = r.owner;
    r.name = r.owner = NULL;
    as->line = node->line;
    as->tier = parse_tier(&r, &ctx, node, where, &bad);
    as->data_classes = parse_classes(&r, &ctx, node, where, &bad);
    as->tolerable_seconds = r.tolerable;
    if (as->name)
      for (size_t j = 0; j + 1 < a->n; j++)
        if (a->assets[j].name && strcmp(a->assets[j].name, as->name) == 0) {
          soc_diag_add(diag, SOC_DIAG_ERROR, path, node->line, node->col,
                       "%s: duplicate asset name '%s' (first at line %u)", where, as->name,
                       a->assets[j].line);
          bad = 1;
        }
    if (!r.nhosts && !r.naddresses)
      soc_diag_add(diag, SOC_DIAG_WARNING, path, node->line, node->col,
                   "%s: asset '%s' has no hosts or addresses, so no event can match it", where,
                   as->name ? as->name : "?");
    int rc = index_asset(a, i, &r, node, &ctx, where, &bad);
    soc_schema_release(asset_fields, NFIELDS(asset_fields), &r);
    if (rc < 0) {
      result = rc;
      goto out;
    }
  }
  finish_indexes(a, &ctx, &bad);
  result = bad ? -EINVAL : 0;
out:
  soc_ydoc_free(doc);
  if (result == 0)
    *out = a;
  else
    soc_assets_free(a);
  return result;
}

size_t soc_assets_count(const soc_assets *a) { return a ? a->n : 0; }

const soc_asset *soc_assets_at(const soc_assets *a, size_t i) {
  return a && i < a->n ? &a->assets[i] : NULL;
}

const soc_asset *soc_assets_by_name(const soc_assets *a, const char *name) {
  for (size_t i = 0; a && name && i < a->n; i++)
    if (strcmp(a->assets[i].name, name) == 0) return &a->assets[i];
  return NULL;
}

const soc_asset *soc_assets_default(const soc_assets *a) { return a ? &a->def : NULL; }

void soc_assets_lookup(const soc_assets *a, const char *key, soc_asset_match *out) {
  uint8_t addr[16];
  int len;
  memset(out, 0, sizeof *out);
  out->asset = &a->def;
  out->kind = SOC_MATCH_DEFAULT;
  out->fallback = 1;
  if (!key || !*key) return;
  if (!strchr(key, '/') && parse_prefix(key, addr, &len) == 0) {
    for (size_t i = 0; i < a->nprefixes; i++)
      if (prefix_matches(a->prefixes[i].addr, a->prefixes[i].len, addr)) {
        out->asset = &a->assets[a->prefixes[i].asset];
        out->kind = SOC_MATCH_ADDRESS;
        /* Report the prefix as the operator wrote it (IPv4 without the +96). */
        int v4 = !memcmp(a->prefixes[i].addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) &&
                 a->prefixes[i].len >= 96;
        out->prefix_len = v4 ? a->prefixes[i].len - 96 : a->prefixes[i].len;
        out->fallback = 0;
        return;
      }
    return;
  }
  host_entry probe = {.host = (char *)key};
  const host_entry *h =
      a->nhosts ? bsearch(&probe, a->hosts, a->nhosts, sizeof *a->hosts, cmp_host) : NULL;
  if (h) {
    out->asset = &a->assets[h->asset];
    out->kind = SOC_MATCH_HOST;
    out->fallback = 0;
  }
}

soc_data_class soc_asset_top_data_class(const soc_asset *asset) {
  for (int c = SOC_DATA_NATIONAL_SECRET; c > SOC_DATA_NONE; c--)
    if (asset->data_classes & (1u << c)) return (soc_data_class)c;
  return SOC_DATA_NONE;
}
