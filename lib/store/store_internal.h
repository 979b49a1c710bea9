/*
 * store_internal — what the store's files share (store.c, store_journal.c,
 * store_files.c) and nobody else sees: the handle's layout, error helpers
 * and the cache of prepared statements. Hot statements (a block insert per
 * commit, a checkpoint per file, the detector's per hit) are prepared once
 * per connection.
 */
#ifndef SOC_STORE_INTERNAL_H
#define SOC_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>
#include <zstd.h>

#include "soc/store.h"
#include "soc/store_center.h"

#include "bytes.h"

#define SOC_STORE_ERR_MAX 512

typedef enum {
  SOC_STMT_BLOCK_INSERT,
  SOC_STMT_STREAM_INSERT,
  SOC_STMT_STREAM_UPDATE,
  SOC_STMT_SEQ_SET,
  SOC_STMT_COUNTER_SET,
  /* the detector's and triage's, one per hit or firing (store_detect.c) */
  SOC_STMT_STATE_PUT,
  SOC_STMT_DRAFT_GET,
  SOC_STMT_DRAFT_PUT,
  SOC_STMT_EVIDENCE_ADD,
  SOC_STMT_ALERT_EVIDENCE_ADD,
  SOC_STMT_EVIDENCE_COUNT,
  SOC_STMT_ALERT_EVIDENCE_COUNT,
  SOC_STMT_OUTBOX_ADD,
  SOC_STMT_ALERT_FIND,
  SOC_STMT_ALERT_GET,
  SOC_STMT_ALERT_PUT,
  SOC_STMT_ALERT_EVIDENCE_COPY,
  SOC_STMT_ALERT_ENTITY_PUT,
  SOC_STMT_ALERT_TOUCH,
  SOC_STMT_ALERT_LAST,
  SOC_STMT_ENTITY_SCAN,
  SOC_STMT_ENTITY_SCAN_GROUPED,
  /* once per block: the detector's state log size, cursor and triage version */
  SOC_STMT_STATE_ROWS,
  SOC_STMT_META_SET,
  SOC_STMT_TRIAGE_VERSION,
  /* once per block: the journal's reader (the detector, the forwarder) */
  SOC_STMT_BLOCK_SCAN,
  SOC_STMT_BLOCK_NEXT,
  SOC_STMT_COUNT
} soc_store_stmt_id;

struct soc_store {
  sqlite3 *db; /* owned */
  char *path;  /* owned */
  char err[SOC_STORE_ERR_MAX];
  sqlite3_stmt *stmts[SOC_STMT_COUNT]; /* owned, prepared on first use */
  /* correlation state put in the open transaction, not yet written
   * (store_detect.c): state_n records */
  soc_bytes state;
  int64_t state_n;
  /* a packed row's compression (store_detect.c): the context, made at the
   * first row, and room for the frame */
  ZSTD_CCtx *state_zc;
  soc_bytes state_z;
};

/* center.db's handle is a connection like any other: the type of its own is
 * for the callers (store_center.h), so the center's files work on its s. */
struct soc_center_store {
  soc_store s;
};
/* The connection of c; NULL for NULL, so the callee's argument check holds. */
static inline soc_store *soc_center_conn(soc_center_store *c) { return c ? &c->s : NULL; }

/* Records "<path>: <what>" as the last error and returns code. */
int soc_store_fail(soc_store *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* soc_store_fail for an SQLite error: adds SQLite's message, maps the code. */
int soc_store_fail_sql(soc_store *s, int rc, const char *what);
/* Runs SQL without results. */
int soc_store_exec(soc_store *s, const char *sql, const char *what);
/* Column col as text; "" for NULL (a row edited by hand), so readers fail a
 * check instead of crashing. */
const char *soc_store_text(sqlite3_stmt *st, int col);

/* The cached statement id, prepared from sql on first use, reset and with
 * its bindings cleared. NULL (and the error recorded) when it fails. */
sqlite3_stmt *soc_store_stmt(soc_store *s, soc_store_stmt_id id, const char *sql);

/* The typed binder: binds st's parameters ?1, ?2 ... from fmt, one letter
 * per parameter: 's' text (const char *; NULL binds NULL), 't' text of a
 * length (const char *, then size_t), 'i' int64_t (cast narrower and
 * unsigned values: they are read as int64_t), 'b' blob (const void *, then
 * size_t). Nothing is copied: the values must stay valid until st is reset
 * or finalized. Returns SQLite's code (SQLITE_OK). Every statement of the
 * store is bound through it. */
int soc_store_bind(sqlite3_stmt *st, const char *fmt, ...);
int soc_store_bindv(sqlite3_stmt *st, const char *fmt, va_list ap);
/* Prepares sql and binds it as soc_store_bind does. OUT: *st, finalized and
 * NULL on failure, which is recorded as "<what>: <SQLite's message>". */
int soc_store_prep(soc_store *s, sqlite3_stmt **st, const char *what, const char *sql,
                   const char *fmt, ...);
/* The cached statement id (soc_store_stmt) bound as soc_store_bind binds;
 * NULL, the error recorded as "<what>: ...", when either fails. */
sqlite3_stmt *soc_store_cached(soc_store *s, soc_store_stmt_id id, const char *sql,
                               const char *what, const char *fmt, ...);

/* Running them. soc_store_step steps a write to its end and resets st (a
 * statement kept prepared); soc_store_done does the same and finalizes st (one
 * prepared per call). OUT: *changed (may be NULL), whether a row changed.
 * soc_store_rows steps a query prepared per call, calling row(st, cb, arg)
 * for each row; a non-zero return stops and is returned; missing is
 * returned when there was no row (0 for scans); it finalizes st. */
int soc_store_step(soc_store *s, sqlite3_stmt *st, const char *what, int *changed);
int soc_store_done(soc_store *s, sqlite3_stmt *st, const char *what, int *changed);
int soc_store_rows(soc_store *s, sqlite3_stmt *st, const char *what, int missing,
                   int (*row)(sqlite3_stmt *, void *, void *), void *cb, void *arg);
/* soc_store_rows for a statement kept prepared (soc_store_cached): st is
 * reset, not finalized; NULL (the cached statement's failure, recorded)
 * returns -EIO. */
int soc_store_rows_kept(soc_store *s, sqlite3_stmt *st, const char *what, int missing,
                        int (*row)(sqlite3_stmt *, void *, void *), void *cb, void *arg);
/* The correlation state put in the open transaction: written as one row
 * (at commit, before a read of it), or forgotten (at rollback). */
int soc_store_state_flush(soc_store *s);
void soc_store_state_drop(soc_store *s);
/* Frees what the handle holds for the state (at close). */
void soc_store_state_free(soc_store *s);

/* A row function for soc_store_rows: column 0 into *(int64_t *)arg. */
int soc_store_int_row(sqlite3_stmt *st, void *cb, void *arg);

#endif
