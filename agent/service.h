/*
 * service — the daemon's side of its service manager: readiness, watchdog
 * and reload.
 *
 * READY=1 is sent on the loop's first turn, when every input is open and
 * registered, so `systemctl start` returns only once the agent really takes
 * in data. WATCHDOG=1 is sent from a loop timer: a loop that hangs (a
 * blocked commit, a stuck input) stops the pings and systemd restarts the
 * agent. SIGHUP asks the detector to reload its rules (detect.h).
 *
 * Ownership: borrows the loop and the detector; both must outlive the run.
 */
#ifndef SOC_AGENT_SERVICE_H
#define SOC_AGENT_SERVICE_H

#include "detect.h"
#include "loop.h"

/* Call before any thread starts (it blocks SIGHUP for all of them). */
int soc_service_arm(soc_loop *loop, soc_detect *det);
/* Tells the manager that the agent is stopping (commits and flushes follow). */
void soc_service_stopping(void);

#endif
