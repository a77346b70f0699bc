#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `postgres.sh start` prints its DATABASE_URL.
# Uses Debian's postgresql package (installed with apt when run as root).
set -euo pipefail
PORT=${PG_PORT:-54329}
DATA=${PG_DATA:-/tmp/ccc-postgres-$PORT}
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN=$(find_bin)
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql package..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BIN=$(find_bin)
  else
    echo "PostgreSQL is not installed: sudo apt-get install postgresql" >&2
    exit 1
  fi
fi
# PostgreSQL refuses to run as root; as root, run it as Debian's postgres user.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
      as_owner "$BIN/initdb" -D "$DATA" -U course --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      # fsync off: a test database that is thrown away does not need durability.
      as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -o \
        "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    fi
    # No autovacuum: the tests roll back big transactions (a 500-student class), and an autovacuum
    # that then finds only dead rows records reltuples=0. The planner trusts that and estimates one
    # row for tables the next test fills, choosing nested-loop scans that take minutes. Tables left
    # unanalysed are estimated from their size instead. Applied to a server already running too.
    "$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U course -d postgres \
      -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U course course 2>/dev/null || true
    echo "postgres://course@127.0.0.1:$PORT/course"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
