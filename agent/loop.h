/*
 * loop — the agent's single-threaded event loop (epoll).
 *
 * Every input, the commit timer and signal handling run on one thread:
 * the inputs hand lines to the journal without locks, and a commit can not
 * race a read. Work that could block for long (compression is not such
 * work; YARA scans will be) belongs on other threads that post back.
 *
 * Ownership: the loop owns its timers; callers own the fds they add.
 */
#ifndef SOC_AGENT_LOOP_H
#define SOC_AGENT_LOOP_H

#include <stdint.h>

typedef struct soc_loop soc_loop;
typedef struct soc_timer soc_timer;

/* events: EPOLLIN, EPOLLOUT, ... as received. */
typedef void (*soc_fd_cb)(void *arg, int fd, uint32_t events);
typedef void (*soc_timer_cb)(void *arg);

soc_loop *soc_loop_new(void);
/* Every fd must have been removed already; timers are freed. */
void soc_loop_free(soc_loop *loop);

int soc_loop_add_fd(soc_loop *loop, int fd, uint32_t events, soc_fd_cb cb, void *arg);
int soc_loop_mod_fd(soc_loop *loop, int fd, uint32_t events);
int soc_loop_del_fd(soc_loop *loop, int fd);

/* A timer that fires every interval_ms (0: only when soc_loop_timer_kick
 * asks). Returns NULL when out of memory. */
soc_timer *soc_loop_add_timer(soc_loop *loop, int64_t interval_ms, soc_timer_cb cb, void *arg);
/* Makes the timer fire on the next turn of the loop. */
void soc_loop_timer_kick(soc_timer *t);

/* Runs until soc_loop_stop or a SIGTERM/SIGINT (which the loop takes over
 * with signalfd). Returns 0, or a negative errno from epoll. */
int soc_loop_run(soc_loop *loop);
void soc_loop_stop(soc_loop *loop);
/* Takes SIGHUP over too: it calls cb on the loop's thread (between two
 * callbacks) instead of stopping. Call it before any thread starts, so that
 * every thread inherits the blocked signal and none dies of it. */
int soc_loop_on_hup(soc_loop *loop, soc_timer_cb cb, void *arg);
/* The signal that stopped the loop, 0 if none. */
int soc_loop_stop_signal(const soc_loop *loop);

/* CLOCK_MONOTONIC in ms (the wall clock: soc_now_real_ns, soc/tz.h). */
int64_t soc_now_mono_ms(void);

#endif
