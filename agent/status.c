/*
 * status — see the header.
 *
 * Metric names follow Fluent Bit's and Vector's conventions: the program
 * as prefix, the subsystem, the unit, and _total on counters
 * (socagent_input_records_total{input="journal"}). Every counter in the
 * store becomes one metric by a fixed rule (docs/OPERATIONS.md has the
 * table): a configured input's counters are socagent_input_<name>_total
 * with an input label, lines and dropped named records as the peers name
 * them; every other source's are socagent_<source>_<name>_total. A few
 * values the store keeps with the counters are levels, not counts
 * (GAUGES), and are written without _total.
 *
 * The endpoint's thread opens its own connection to agent.db (SQLite
 * connections are not shared between threads) and reads committed
 * values: what a crash would leave, the same as socctl status shows.
 */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soc/metrics.h"
#include "soc/report.h"

static const char *const GAUGES[] = {"rules", "standing_down", NULL};

#define MAX_STEPS 32

typedef struct clock_ctx {
  const soc_regime *g;
  int64_t now_s;
  soc_agent_status *out;
} clock_ctx;

/* The steps of one report as `socctl deadlines` shows them: not done and
 * with a due time (WAITING has none yet) is an open clock. */
static int count_clocks(void *arg, const soc_report_row *row) {
  clock_ctx *c = arg;
  soc_deadline d[MAX_STEPS];
  size_t n = 0;
  fjson_object *r = row->body ? fjson_tokener_parse(row->body) : NULL;
  if (r && fjson_object_is_type(r, fjson_type_object) &&
      soc_report_deadlines(r, c->g, c->now_s, d, MAX_STEPS, &n) == 0)
    for (size_t i = 0; i < n; i++) {
      if (d[i].done || d[i].status == SOC_DEADLINE_WAITING) continue;
      c->out->open_clocks++;
      if (d[i].status == SOC_DEADLINE_OVERDUE) c->out->overdue_steps++;
    }
  if (r) fjson_object_put(r);
  return 0;
}

int soc_agent_status_read(soc_store *store, const soc_regime *regime, int64_t now_s,
                          soc_agent_status *out) {
  char buf[32];
  memset(out, 0, sizeof *out);
  if (soc_store_meta_get(store, "forward.cursor", buf, sizeof buf, NULL) == 0)
    out->forward_cursor = strtoll(buf, NULL, 10);
  int rc = soc_store_block_totals(store, &out->journal);
  if (rc == 0) rc = soc_store_block_totals_after(store, out->forward_cursor, &out->lag);
  clock_ctx c = {regime, now_s, out};
  if (rc == 0 && regime) rc = soc_store_reports_scan(store, NULL, count_clocks, &c);
  return rc;
}

struct soc_agent_metrics {
  const soc_config *cfg;
  soc_metrics_server *server;
  soc_store *store;   /* the server thread's own, opened at the first scrape */
  soc_regime *regime; /* report.regime, for the clocks; NULL when it did not load */
  int64_t started;    /* CLOCK_REALTIME seconds */
};

typedef struct render_ctx {
  soc_agent_metrics *m;
  soc_metrics_text *t;
  int rc;
} render_ctx;

static int is_gauge(const char *name) {
  for (size_t i = 0; GAUGES[i]; i++)
    if (strcmp(GAUGES[i], name) == 0) return 1;
  return 0;
}

/* The peers' names for our counters' (input: lines, dropped; forward:
 * delivery_errors; journal: lost_lines, retired_lines). */
static const char *rename_counter(const char *source, const char *name, int input) {
  if (input && strcmp(name, "lines") == 0) return "records";
  if (input && strcmp(name, "dropped") == 0) return "dropped_records";
  if (strcmp(source, "forward") == 0 && strcmp(name, "delivery_errors") == 0) return "errors";
  if (strcmp(source, "journal") == 0 && strcmp(name, "lost_lines") == 0) return "lost_records";
  if (strcmp(source, "journal") == 0 && strcmp(name, "retired_lines") == 0)
    return "retention_deleted_records";
  return name;
}

static int add_counter(void *arg, const char *source, const char *name, int64_t value) {
  render_ctx *c = arg;
  char metric[SOC_METRICS_NAME_MAX];
  int input = 0;
  for (size_t i = 0; i < c->m->cfg->ninputs; i++)
    if (strcmp(c->m->cfg->inputs[i].id, source) == 0) input = 1;
  int gauge = is_gauge(name);
  const char *n = rename_counter(source, name, input);
  if (input)
    snprintf(metric, sizeof metric, "socagent_input_%s%s", n, gauge ? "" : "_total");
  else
    snprintf(metric, sizeof metric, "socagent_%s_%s%s", source, n, gauge ? "" : "_total");
  int rc = soc_metrics_add(c->t, metric, gauge ? SOC_METRIC_GAUGE : SOC_METRIC_COUNTER,
                           input ? "an input's counter (socctl status)" : "socctl status counter",
                           input ? "input" : NULL, input ? source : NULL, value);
  if (rc < 0 && c->rc == 0) c->rc = rc;
  return 0;
}

static int render(void *arg, soc_metrics_text *t) {
  soc_agent_metrics *m = arg;
  char path[4096], err[600];
  soc_agent_status st;
  if (!m->store) {
    snprintf(path, sizeof path, "%s/agent.db", m->cfg->agent.state_dir);
    if (soc_store_open(path, SOC_STORE_GROUP_WRITE, &m->store, err, sizeof err) < 0) {
      fprintf(stderr, "socagent: metrics: %s\n", err);
      return -EIO;
    }
  }
  int rc = soc_agent_status_read(m->store, m->regime, (int64_t)time(NULL), &st);
  if (rc < 0) return rc;
  struct {
    const char *name, *help;
    soc_metric_type type;
    int64_t value;
  } fixed[] = {
      {"socagent_up", "1 while the agent serves metrics", SOC_METRIC_GAUGE, 1},
      {"socagent_uptime_seconds", "seconds since the agent started", SOC_METRIC_GAUGE,
       (int64_t)time(NULL) - m->started},
      {"socagent_journal_records", "lines and events the journal holds", SOC_METRIC_GAUGE,
       st.journal.lines},
      {"socagent_journal_bytes", "bytes the journal stores (compressed)", SOC_METRIC_GAUGE,
       st.journal.stored_bytes},
      {"socagent_journal_raw_bytes", "bytes of the lines the journal holds, uncompressed",
       SOC_METRIC_GAUGE, st.journal.raw_bytes},
      {"socagent_forward_lag_records", "journal lines not yet delivered to Kafka", SOC_METRIC_GAUGE,
       st.lag.lines},
      {"socagent_forward_lag_blocks", "journal blocks not yet delivered to Kafka", SOC_METRIC_GAUGE,
       st.lag.blocks},
      {"socagent_report_open_clocks", "report steps not done whose clock runs", SOC_METRIC_GAUGE,
       st.open_clocks},
      {"socagent_report_overdue_steps", "report steps not done and past their due time",
       SOC_METRIC_GAUGE, st.overdue_steps},
  };
  for (size_t i = 0; rc == 0 && i < sizeof fixed / sizeof *fixed; i++)
    rc =
        soc_metrics_add(t, fixed[i].name, fixed[i].type, fixed[i].help, NULL, NULL, fixed[i].value);
  render_ctx c = {.m = m, .t = t};
  if (rc == 0) rc = soc_store_counters_scan(m->store, add_counter, &c);
  return rc < 0 ? rc : c.rc;
}

int soc_agent_metrics_start(const soc_config *cfg, soc_agent_metrics **out) {
  *out = NULL;
  if (!cfg->metrics.listen) return 0;
  soc_agent_metrics *m = calloc(1, sizeof *m);
  if (!m) return -ENOMEM;
  m->cfg = cfg;
  m->started = (int64_t)time(NULL);
  /* the workflow thread loads the same table and reports a problem with it */
  const char *dir = cfg->report.regimes_dir ? cfg->report.regimes_dir : soc_regime_default_dir();
  soc_diag *diag = soc_diag_new();
  if (diag && soc_regime_load_named(dir, cfg->report.regime, &m->regime, diag) < 0)
    m->regime = NULL;
  soc_diag_free(diag);
  int rc = soc_metrics_server_start(cfg->metrics.listen, render, m, &m->server);
  if (rc < 0) {
    fprintf(stderr, "socagent: metrics: cannot listen on %s: %s\n", cfg->metrics.listen,
            strerror(-rc));
    soc_regime_free(m->regime);
    free(m);
    return rc;
  }
  *out = m;
  return 0;
}

unsigned soc_agent_metrics_port(const soc_agent_metrics *m) {
  return m ? soc_metrics_server_port(m->server) : 0;
}

void soc_agent_metrics_free(soc_agent_metrics *m) {
  if (!m) return;
  soc_metrics_server_free(m->server); /* joins the thread: the store is ours again */
  soc_store_close(m->store);
  soc_regime_free(m->regime);
  free(m);
}
