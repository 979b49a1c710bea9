/*
 * thread — names for our threads, and deadlines for their timed waits.
 *
 * The agent runs ingest, detection, forwarding, the workflow, the watcher
 * and librdkafka's threads in one process. Named, they tell themselves apart
 * in `top -H`, `ps -L`, perf and /proc/PID/task/TID/comm, which is how an
 * operator sees which part of the agent uses the CPU (librdkafka already
 * names its own "rdk:…").
 */
#ifndef SOC_THREAD_H
#define SOC_THREAD_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Names thread t from a printf format; the kernel keeps the first 15 bytes.
 * Best effort: a name that cannot be set changes nothing else. */
void soc_thread_name(pthread_t t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The time ms (>= 0) from now on clock, as pthread_cond_timedwait takes
 * it: clock is the one the condition variable was made with. */
struct timespec soc_thread_deadline(clockid_t clock, int64_t ms);

#endif
