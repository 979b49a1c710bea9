/*
 * notify — systemd's readiness and watchdog protocol (sd_notify), by hand.
 *
 * A Type=notify service tells systemd "READY=1" once it is really serving,
 * "WATCHDOG=1" at least every WatchdogSec, and "STOPPING=1" when it starts
 * to shut down, by sending a datagram to the unix socket named in
 * $NOTIFY_SOCKET. The protocol is a line of text on a socket, so a few lines
 * of code spare the agent a dependency on libsystemd (and on its own
 * dependencies). Without $NOTIFY_SOCKET (started by hand, in tests, by
 * another supervisor) every call is a no-op.
 *
 * Ownership: nothing is kept between calls; the environment is only read.
 */
#ifndef SOC_NOTIFY_H
#define SOC_NOTIFY_H

#include <stdint.h>

/* Sends one state string ("READY=1", "WATCHDOG=1", "STATUS=...") to the
 * service manager. Returns 1 when sent, 0 when there is no manager to tell,
 * or a negative errno. */
int soc_notify(const char *state);

/* How often the main loop should send WATCHDOG=1, in ms: half of
 * $WATCHDOG_USEC (as systemd recommends), 0 when no watchdog is asked for
 * or $WATCHDOG_PID names another process. */
int64_t soc_notify_watchdog_ms(void);

#endif
