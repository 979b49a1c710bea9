# A throwaway PostgreSQL cluster for a test (Debian's postgresql package):
# initdb into a folder of its own, the server on a Unix socket in that
# folder and on no TCP port, so tests running side by side never meet.
# PostgreSQL refuses to run as root: as root the cluster belongs to nobody.
#
#   start_pg            sets PG_DIR, PG_URL (postgresql://... for
#                       collector.store) and PG_SQL (psql on that database);
#                       skips the test when PostgreSQL is not installed
#   restart_pg [mode]   stops the server (pg_ctl -m immediate: as a crash) and
#                       starts it again on the same data
#   stop_pg             stops it and removes the folder
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_as() { # runs a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

pg_ctl_start() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-k $PG_DIR -c listen_addresses= -c fsync=on" start >/dev/null
}

start_pg() {
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || skip "PostgreSQL is not installed (postgresql)"
  PG_DIR=$(mktemp -d /tmp/socpg.XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown nobody "$PG_DIR"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U soc --auth=trust -E UTF8 --no-locale \
    >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    return 1
  }
  pg_ctl_start || {
    cat "$PG_DIR/log" >&2
    return 1
  }
  "$PG_BIN/psql" -h "$PG_DIR" -U soc -d postgres -qAt -c "CREATE DATABASE center" >/dev/null ||
    return 1
  PG_URL="postgresql://soc@/center?host=$PG_DIR"
  PG_SQL="$PG_BIN/psql -h $PG_DIR -U soc -d center -qAt -c"
}

restart_pg() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-immediate}" -w stop >/dev/null
  pg_ctl_start
}

stop_pg() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$PG_DIR"
}

# The center's store, for the collector tests that run on either: their _pg
# variants (tests/CMakeLists.txt) set SOC_TEST_STORE=postgresql.
#   center_store FILE...  on PostgreSQL starts the cluster (once) and points
#                         each collector configuration FILE at it; on
#                         center.db does nothing
#   center_sql SQL        runs SQL (written for both) on the store: center.db
#                         at $CENTER_DB (default $T/center/center.db), or the
#                         cluster's database; rows on stdout, columns by |
STORE=${SOC_TEST_STORE:-sqlite}

center_store() {
  [ "$STORE" = postgresql ] || return 0
  if [ -z "${PG_URL:-}" ]; then
    start_pg || return 1
  fi
  local f
  for f in "$@"; do
    sed -i "s|^collector: { |collector: { store: \"$PG_URL\", |" "$f"
    grep -q "store: \"$PG_URL\"" "$f" || return 1
  done
}

center_sql() {
  if [ "$STORE" = postgresql ]; then
    $PG_SQL "$1"
  else
    sqlite3 -cmd ".timeout 10000" "${CENTER_DB:-$T/center/center.db}" "$1"
  fi
}
