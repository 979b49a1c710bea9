/*
 * campaign — the technical center's view across agencies (docs/TRIAGE.md):
 * a source (an address, or a file's SHA-256) that the alerts of several
 * agencies name within a window, and a notice to each agency it touched.
 *
 * A notice is a decision message (socagent.decision/1, kind "notice") on
 * the agency's decision topic, recorded in center.db's decision outbox like
 * the center's other decisions, once per (source, agency): running the
 * command again notifies only agencies that were not told before.
 *
 * Ownership: everything is borrowed for the call.
 */
#ifndef SOC_COLLECTOR_CAMPAIGN_H
#define SOC_COLLECTOR_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "soc/config.h"
#include "centerdb.h"
#include "soc/store_center.h"

#define SOC_CAMPAIGN_MIN_AGENCIES 2  /* a source is a campaign at this many agencies */
#define SOC_CAMPAIGN_NOTICES_MAX 256 /* notices recorded by one run */

#define SOC_CAMPAIGN_AGENCIES_MAX 64 /* listed per campaign; more are counted */

typedef struct soc_campaign_agency {
  char *agency;
  int64_t alerts;
} soc_campaign_agency;

/* One source several agencies' alerts named. */
typedef struct soc_campaign {
  char kind[32]; /* source.ip, file.hash.sha256 ... */
  char *source;
  soc_campaign_agency ag[SOC_CAMPAIGN_AGENCIES_MAX];
  size_t nag, more; /* more: agencies past SOC_CAMPAIGN_AGENCIES_MAX */
  int64_t alerts, first_ns, last_ns;
} soc_campaign;

/* The campaigns of alerts received since since_ns, each to cb (valid during
 * the call), nothing recorded: the console's campaigns page. A non-zero
 * return from cb stops and is returned; else 0 or a store error. */
typedef int (*soc_campaign_cb)(void *arg, const soc_campaign *c);
int soc_campaigns_scan(soc_centerdb *s, int64_t since_ns, soc_campaign_cb cb, void *arg);

/* Prints the campaigns of alerts received since since_ns (text or JSON)
 * and records a notice for each agency not told before, in one
 * transaction. OUT: ns[] (room for SOC_CAMPAIGN_NOTICES_MAX) the decision
 * numbers recorded, *made their count. Returns the exit status. */
/* The same notices without printing (the console's campaigns page): 0 or
 * a store error (said on stderr, nothing recorded). */
int soc_campaigns_notify(const soc_collector_config *cfg, soc_centerdb *s, int64_t since_ns,
                         int64_t now_ns, int64_t *ns, size_t *made);
int soc_campaigns_run(const soc_collector_config *cfg, soc_centerdb *s, int json, int64_t since_ns,
                      int64_t now_ns, int64_t *ns, size_t *made);

#endif
