/*
 * metrics — see the header. Names: soccollector_<counter>_total with a
 * collector label (several collectors may share a center.db), and the
 * gauges soccollector_agents and soccollector_agents_silent.
 */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/metrics.h"
#include "centerdb.h"
#include "soc/store_center.h"

struct soc_collector_metrics {
  const soc_collector_config *cfg;
  soc_metrics_server *server;
  soc_centerdb *db; /* the server thread's own, opened at the first scrape */
  int64_t started;
};

typedef struct render_ctx {
  soc_metrics_text *t;
  int64_t now_ns, silence_ns;
  int64_t agents, silent;
  int rc;
} render_ctx;

static int add_counter(void *arg, const char *collector, const char *name, int64_t value) {
  render_ctx *c = arg;
  char metric[SOC_METRICS_NAME_MAX];
  snprintf(metric, sizeof metric, "soccollector_%s_total", name);
  int rc = soc_metrics_add(c->t, metric, SOC_METRIC_COUNTER, "soccollector stats counter",
                           "collector", collector, value);
  if (rc < 0 && c->rc == 0) c->rc = rc;
  return 0;
}

static int count_agent(void *arg, const soc_center_agent *a) {
  render_ctx *c = arg;
  c->agents++;
  if (c->now_ns - a->seen_ns > c->silence_ns) c->silent++;
  return 0;
}

static int render(void *arg, soc_metrics_text *t) {
  soc_collector_metrics *m = arg;
  struct timespec now;
  if (!m->db && soc_centerdb_open(m->cfg, &m->db) < 0) return -EIO;
  clock_gettime(CLOCK_REALTIME, &now);
  render_ctx c = {.t = t,
                  .now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
                  .silence_ns = m->cfg->collector.agent_silence * 1000000000};
  int rc = soc_centerdb_counters_scan(m->db, add_counter, &c);
  if (rc == 0) rc = soc_centerdb_agents_scan(m->db, count_agent, &c);
  if (rc == 0)
    rc = soc_metrics_add(t, "soccollector_up", SOC_METRIC_GAUGE,
                         "1 while the collector serves metrics", NULL, NULL, 1);
  if (rc == 0)
    rc = soc_metrics_add(t, "soccollector_uptime_seconds", SOC_METRIC_GAUGE,
                         "seconds since the collector started", NULL, NULL,
                         (int64_t)now.tv_sec - m->started);
  if (rc == 0)
    rc = soc_metrics_add(t, "soccollector_agents", SOC_METRIC_GAUGE,
                         "agents that have sent a heartbeat", NULL, NULL, c.agents);
  if (rc == 0)
    rc = soc_metrics_add(t, "soccollector_agents_silent", SOC_METRIC_GAUGE,
                         "agents without a heartbeat for collector.agent_silence", NULL, NULL,
                         c.silent);
  return rc < 0 ? rc : c.rc;
}

int soc_collector_metrics_start(const soc_collector_config *cfg, soc_collector_metrics **out) {
  *out = NULL;
  if (!cfg->metrics.listen) return 0;
  soc_collector_metrics *m = calloc(1, sizeof *m);
  if (!m) return -ENOMEM;
  m->cfg = cfg;
  m->started = (int64_t)time(NULL);
  int rc = soc_metrics_server_start(cfg->metrics.listen, render, m, &m->server);
  if (rc < 0) {
    fprintf(stderr, "soccollector: metrics: cannot listen on %s: %s\n", cfg->metrics.listen,
            strerror(-rc));
    free(m);
    return rc;
  }
  *out = m;
  return 0;
}

void soc_collector_metrics_free(soc_collector_metrics *m) {
  if (!m) return;
  soc_metrics_server_free(m->server);
  soc_centerdb_free(m->db);
  free(m);
}
