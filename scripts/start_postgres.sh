#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the server's tests and prints its URL on the last line.
#
#     export CHOLLIMA_TEST_POSTGRES=$(bash scripts/start_postgres.sh | tail -1)
#
# Needs PostgreSQL's server programs (Debian: apt-get install postgresql). The cluster lives in
# a temporary folder owned by the `postgres` user (initdb refuses to run as root), listens on
# 127.0.0.1 only, trusts local connections, and is stopped by `pg_ctl -D DIR stop` (printed).
set -euo pipefail
# A free port unless one is asked for (another cluster may hold 5432 or 5433).
PORT="${CHOLLIMA_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "PostgreSQL's server programs are not installed (apt-get install postgresql)" >&2
    exit 1
fi
DIR="$(mktemp -d /tmp/chollima-pg.XXXXXX)"
as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres "$DIR"
        su postgres -s /bin/bash -c "$*"
    else
        bash -c "$*"
    fi
}
as_postgres "'$BIN/initdb' -D '$DIR/data' -A trust -U postgres >/dev/null"
as_postgres "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/log' -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on\" start >/dev/null"
echo "stop with: pg_ctl -D $DIR/data stop" >&2
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
