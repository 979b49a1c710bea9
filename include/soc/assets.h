/*
 * assets — the asset inventory (assets.yaml): which hosts, addresses and
 * networks belong to which business system, and how much that system
 * matters under §2.3 (tier, data classes, tolerable downtime).
 *
 * File format:
 *
 *   default:                       # used for anything unmatched
 *     tier: non-core
 *     tolerable_downtime: 8h
 *   assets:
 *     - name: web-portal
 *       tier: core                 # cii | core | non-core
 *       hosts: [web01, www.example.gov.tw]
 *       addresses: [192.0.2.10, 192.0.2.0/24, "2001:db8::/48"]
 *       data_classes: [sensitive, general]
 *       tolerable_downtime: 4h     # 90s, 30m, 4h, 2d, or plain seconds
 *       owner: 資訊室
 *
 * Lookup is by host name (case-insensitive, exact) or by IP address; among
 * the address entries, the longest prefix wins. A caller that knows both the
 * host name and the address of an event tries the name first: a name is the
 * operator's explicit word, an address may be shared (NAT, proxies). What is
 * not found falls back to the default, and the result says so.
 *
 * Ownership: soc_assets owns every asset and string; pointers handed out
 * stay valid until soc_assets_free.
 */
#ifndef SOC_ASSETS_H
#define SOC_ASSETS_H

#include <stddef.h>
#include <stdint.h>

#include "soc/diag.h"
#include "soc/level.h"

typedef struct soc_asset {
  const char *name;
  soc_tier tier;
  unsigned data_classes;     /* bit (1u << soc_data_class) per class held */
  int64_t tolerable_seconds; /* -1 when not stated */
  const char *owner;         /* may be NULL */
  unsigned line;             /* where it was defined in the file */
} soc_asset;

typedef struct soc_assets soc_assets;

typedef enum {
  SOC_MATCH_DEFAULT = 0, /* nothing matched: the fallback */
  SOC_MATCH_HOST,
  SOC_MATCH_ADDRESS, /* an exact address or a CIDR */
} soc_match_kind;

typedef struct soc_asset_match {
  const soc_asset *asset; /* the matched asset, or the default pseudo-asset */
  soc_match_kind kind;
  int prefix_len; /* for SOC_MATCH_ADDRESS: the prefix that won */
  int fallback;   /* 1 when kind == SOC_MATCH_DEFAULT */
} soc_asset_match;

/* Loads and validates path. Every problem goes into diag; returns 0 and
 * sets *out when the file had no errors, else a negative errno (-EINVAL
 * for content errors) and *out is NULL. */
int soc_assets_load(const char *path, soc_assets **out, soc_diag *diag);
/* An empty inventory whose default is the given tier (used when the config
 * names no assets file). */
soc_assets *soc_assets_new_default(soc_tier tier, int64_t tolerable_seconds);
void soc_assets_free(soc_assets *a);

size_t soc_assets_count(const soc_assets *a);
const soc_asset *soc_assets_at(const soc_assets *a, size_t i);
const soc_asset *soc_assets_by_name(const soc_assets *a, const char *name);
const soc_asset *soc_assets_default(const soc_assets *a);

/* Looks key up as an IP address if it parses as one, else as a host name.
 * Always fills *out (falling back to the default). */
void soc_assets_lookup(const soc_assets *a, const char *key, soc_asset_match *out);

/* The highest data class the asset holds, SOC_DATA_NONE if none stated. */
soc_data_class soc_asset_top_data_class(const soc_asset *asset);

#endif
