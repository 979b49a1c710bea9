/*
 * pg_center_internal — what pg_center.c shares with the other files of the
 * PostgreSQL store (pg_center_report.c); not part of pg_center.h.
 */
#ifndef SOC_PG_CENTER_INTERNAL_H
#define SOC_PG_CENTER_INTERNAL_H

#include <endian.h>
#include <libpq-fe.h>
#include <stdint.h>
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

/* Column c of row r of a text result, as an integer. */
#define SOC_PG_INT(res, r, c) strtoll(PQgetvalue(res, r, c), NULL, 10)

/* Column c of row r of a binary result, a bigint. */
static inline int64_t soc_pg_int8(const PGresult *res, int r, int c) {
  uint64_t v;
  memcpy(&v, PQgetvalue(res, r, c), sizeof v);
  return (int64_t)be64toh(v);
}

#endif
