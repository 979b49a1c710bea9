/*
 * pg_center_internal — what pg_center.c shares with the other files of the
 * PostgreSQL store (pg_center_report.c, pg_center_console.c); not part of
 * pg_center.h.
 */
#ifndef SOC_PG_CENTER_INTERNAL_H
#define SOC_PG_CENTER_INTERNAL_H

#include <endian.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/pg_center.h"

/* Records why the last call failed (printf-style); returns rc. */
int soc_pg_fail(soc_pg_center *pg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One unprepared statement (commands, not the hot path): n parameters v,
 * of lengths len and formats fmt (both may be NULL: all text), results in
 * binary when binary is 1. OUT: *out (may be NULL: freed) the result when
 * its status is want, owned by the caller. */
int soc_pg_query(soc_pg_center *pg, const char *sql, int n, const char *const *v, const int *len,
                 const int *fmt, int binary, ExecStatusType want, PGresult **out, const char *what);

/* A write of one row with text parameters (as soc_pg_query's). OUT:
 * *changed (may be NULL) 1 when it inserted or updated a row. */
int soc_pg_write(soc_pg_center *pg, const char *sql, int n, const char *const *v, const int *len,
                 const int *fmt, int *changed, const char *what);
/* Rows of a read, each handed to row(res, r, cb, arg); missing < 0 is
 * returned (with "<what>: not found") when there is none. */
int soc_pg_rows(soc_pg_center *pg, const char *sql, int n, const char *const *v, int binary,
                const char *what, int missing, int (*row)(const PGresult *, int, void *, void *),
                void *cb, void *arg);

/* Text of v in b (room for any int64). */
static inline const char *soc_pg_i64(char b[24], int64_t v) {
  snprintf(b, 24, "%lld", (long long)v);
  return b;
}

/* Column c of row r of a text result, as an integer. */
#define SOC_PG_INT(res, r, c) strtoll(PQgetvalue(res, r, c), NULL, 10)

/* Column c of row r of a binary result, a bigint. */
static inline int64_t soc_pg_int8(const PGresult *res, int r, int c) {
  uint64_t v;
  memcpy(&v, PQgetvalue(res, r, c), sizeof v);
  return (int64_t)be64toh(v);
}

#endif
