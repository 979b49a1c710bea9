/*
 * yara — the agent's one YARA engine (include/soc/yarascan.h), made from
 * rules.yara with the compiled rules cached in agent.state_dir. Every part
 * of the agent that scans (watched directories; captured streams and
 * bodies) shares it and makes its own scanners.
 */
#ifndef SOC_AGENT_YARA_H
#define SOC_AGENT_YARA_H

#include "soc/config.h"
#include "soc/yarascan.h"

/* OUT: *out, NULL when rules.yara names no file. Prints what it did and
 * every problem. Returns 0, or a negative errno when no rule file compiled. */
int soc_agent_yara_new(const soc_config *cfg, soc_yara_engine **out);

#endif
