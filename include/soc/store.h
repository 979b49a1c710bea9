/*
 * store — the agent's and the collector's SQLite database.
 *
 * Everything durable lives here: today a small key/value table of metadata;
 * later the event journal, source checkpoints, drafts, the outbox and the
 * audit trail. No other module writes SQL: each of those gets functions in
 * this interface, so the schema, its migrations and its transactions stay
 * in one file.
 *
 * Opening a store creates the file if needed with mode 0600 (0640 with
 * SOC_STORE_GROUP_READ), whatever the umask, and sets the same mode on its
 * -wal and -shm companions; checks the file with PRAGMA quick_check; turns
 * on WAL; and brings the schema up to date, one migration per transaction.
 * A file written by a newer version of this program is refused rather than
 * guessed at. Every error message names the file.
 *
 * Errors are negative errno codes:
 *   -EBADMSG   the file is not an SQLite database, or is corrupt
 *   -ENOTSUP   the schema is newer than this program
 *   -EBUSY     another process held a lock past the busy timeout
 *   -ENOSPC    the disk is full
 *   -EACCES, -ENOENT, -ELOOP, ...  from opening the file
 *   -EIO       any other SQLite failure
 * soc_store_errmsg() then has the words.
 *
 * A soc_store is used by one thread at a time.
 */
#ifndef SOC_STORE_H
#define SOC_STORE_H

#include <stddef.h>

/* soc_store_open flags */
#define SOC_STORE_GROUP_READ (1u << 0) /* files get mode 0640, not 0600 */

/* Longest value soc_store_meta_set takes, and longest key. */
#define SOC_STORE_META_VALUE_MAX 65536
#define SOC_STORE_META_KEY_MAX 256

typedef struct soc_store soc_store;

/* Opens (creating if missing) the store at path.
 * OUT: *out, owned by the caller, close with soc_store_close; NULL on error.
 * On error, err (errlen bytes, may be NULL/0) receives a message naming the
 * file. Returns 0 or a negative errno code as above; -EINVAL for a NULL
 * path or out, or unknown flags. */
int soc_store_open(const char *path, unsigned flags, soc_store **out, char *err, size_t errlen);
/* Rolls back an open transaction and closes. NULL is a no-op. */
void soc_store_close(soc_store *s);

/* The schema version this program writes (the number of migrations). */
int soc_store_schema_version(void);
/* The message of the last failed call on s; "" when none. Owned by s. */
const char *soc_store_errmsg(const soc_store *s);

/* Explicit transactions, for callers that group several writes; without
 * one, each call commits on its own. begin takes the write lock at once
 * (BEGIN IMMEDIATE), so a transaction never fails half-way for a lock.
 * begin inside a transaction, and commit or rollback outside one, return
 * -EINVAL: SQLite has no nesting, and pretending would hide a bug. */
int soc_store_begin(soc_store *s);
int soc_store_commit(soc_store *s);
int soc_store_rollback(soc_store *s);

/* Copies the value of key, NUL-terminated, into buf.
 * OUT: *len (may be NULL), the value's length, also when it did not fit.
 * Returns 0, -ENOENT when key is absent, -ENOSPC when buf is too small
 * (buf then holds ""), -EINVAL for NULL arguments. */
int soc_store_meta_get(soc_store *s, const char *key, char *buf, size_t buflen, size_t *len);
/* Inserts or replaces key = value. Returns 0, -EINVAL for NULL, empty or
 * over-long arguments, or an error as above. */
int soc_store_meta_set(soc_store *s, const char *key, const char *value);

#endif
