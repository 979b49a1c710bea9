/*
 * console — the web console served by soccollector (console.listen,
 * docs/CONSOLE.md): accounts and roles, sessions, the reports each account
 * may see, and an audit row for every action.
 *
 * Security model: nothing but /login answers without a session; a session
 * is a random token in an HttpOnly SameSite=Strict cookie, kept in memory
 * only (a restart logs everybody out) and ended by logout or idleness;
 * every POST carries the session's CSRF token; failed logins are counted
 * per account and a burst locks the account's login for a while. An
 * analyst sees its own agency only, a reviewer the agencies whose agents
 * report to its authority, the center everything; what an account may not
 * see answers exactly as what does not exist.
 *
 * Ownership: cfg is borrowed and must outlive the handle.
 */
#ifndef SOC_COLLECTOR_CONSOLE_H
#define SOC_COLLECTOR_CONSOLE_H

#include "centerdb.h"
#include "soc/config.h"

typedef struct soc_console soc_console;

/* Nothing (and *out NULL) when console.listen is unset. Returns 0 or a
 * negative errno (message on stderr). */
int soc_console_start(const soc_collector_config *cfg, soc_console **out);
/* NULL is a no-op. */
void soc_console_free(soc_console *c);
/* For --check-config: with console.tls_cert, that the certificate and key
 * load and match. Returns 0 or -EINVAL with why filled. */
int soc_console_check(const soc_collector_config *cfg, char *why, unsigned why_len);
/* 1 once after the console recorded a decision (then 0 until the next), so
 * the collector's loop sends the outbox at once instead of at its next
 * sweep: a person waits for it. Any thread; NULL: 0. */
int soc_console_decided(soc_console *c);

/* The stored form of a password: Argon2id (crypto_pwhash_str_alg) with
 * libsodium's interactive limits. OUT: out (NUL-terminated). 0 or -ENOMEM. */
#define SOC_CONSOLE_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
int soc_console_hash(const char *password, size_t len, char out[SOC_CONSOLE_HASH_MAX]);

/* One action of account's on target into the center's hash-chained audit
 * log (audit.h), on center.db or PostgreSQL: actor the account, details
 * {"detail": detail}. In db's open transaction if any. Returns 0 or a
 * negative errno. */
int soc_console_audit(soc_centerdb *db, const char *account, const char *action, const char *target,
                      const char *detail);

/* `soccollector user add|passwd|disable ...`: -1 when argv[0] is not
 * "user", else the exit status. */
int soc_console_user_command(const soc_collector_config *cfg, int argc, char **argv);

#endif
