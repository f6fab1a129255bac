#!/bin/sh
# The postgres service of the docker-compose `postgres` profile (runs as user postgres):
# on the first start, a database cluster in $PGDATA (a volume) with the superuser
# $POSTGRES_USER (password $POSTGRES_PASSWORD, scram-sha-256 over TCP) and the database
# $POSTGRES_DB; then the server, listening on every address of the container.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-sluice}
POSTGRES_DB=${POSTGRES_DB:-sluice}
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "sluice-postgres: set POSTGRES_PASSWORD (the password of the superuser $POSTGRES_USER)" >&2
  exit 2
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "sluice-postgres: made a database cluster in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
