/*
 * auditd — one line of Linux audit.log into an event: the input option
 * `format: auditd` (docs/SIGMA.md), what Sigma's auditd rules read.
 *
 *   type=EXECVE msg=audit(1700000000.123:42): argc=2 a0="ls" a1=2D6C61
 *
 * Every key=value becomes auditd.<key> (auditd.type, auditd.a0,
 * auditd.exe...), quotes removed; the hex that auditd writes for a value
 * with spaces or odd bytes (EXECVE arguments, proctitle, comm, exe, name,
 * cwd) is decoded, proctitle's NULs between arguments becoming spaces. The
 * enriched form's keys after the 0x1d separator (SYSCALL=execve, AUID=...)
 * are taken the same way. The time is the audit(...) stamp; the whole
 * line is the message.
 */
#ifndef SOC_AUDITD_H
#define SOC_AUDITD_H

#include <stddef.h>

#include "soc/event.h"

/* Adds the record in line[0..len) to ev. Returns 0, -EINVAL when the line
 * has no type= (it is then only the message), -ENOMEM. */
int soc_event_from_audit_line(soc_event *ev, const char *line, size_t len);

#endif
