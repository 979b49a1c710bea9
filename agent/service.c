/*
 * service — sd_notify messages and SIGHUP for the daemon (see service.h).
 */
#include "service.h"

#include <errno.h>
#include <stdio.h>

#include "soc/notify.h"

static void on_ready(void *arg) {
  (void)arg;
  soc_notify("READY=1\nSTATUS=inputs open, taking in data");
}

static void on_watchdog(void *arg) {
  (void)arg;
  soc_notify("WATCHDOG=1");
}

static void on_hup(void *arg) {
  fprintf(stderr, "socagent: SIGHUP: reloading the rules\n");
  soc_notify("RELOADING=1");
  soc_detect_reload(arg);
  /* the detector loads on its own thread; the agent itself is ready again */
  soc_notify("READY=1");
}

int soc_service_arm(soc_loop *loop, soc_detect *det) {
  int rc = soc_loop_on_hup(loop, on_hup, det);
  if (rc < 0) return rc;
  soc_timer *ready = soc_loop_add_timer(loop, 0, on_ready, NULL);
  if (!ready) return -ENOMEM;
  soc_loop_timer_kick(ready);
  int64_t every = soc_notify_watchdog_ms();
  if (every > 0 && !soc_loop_add_timer(loop, every, on_watchdog, NULL)) return -ENOMEM;
  return 0;
}

void soc_service_stopping(void) { soc_notify("STOPPING=1"); }
