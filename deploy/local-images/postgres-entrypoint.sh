#!/bin/sh
# Entry point of the PostgreSQL image made by deploy/local-images.sh. On the first start
# (an empty $PGDATA) it creates the cluster with the superuser POSTGRES_USER (default
# postgres), whose password comes from POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD, and
# the database POSTGRES_DB (default: the user's name); connections from other hosts must
# give that password (scram-sha-256). Then it runs the server as the postgres user.
set -eu

if [ "${1:-}" != "postgres" ]; then
    exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /run/postgresql
    chown postgres:postgres "$PGDATA" /run/postgresql
    chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    for name in "$user" "$db"; do
        case "$name" in
        *[!a-z0-9_]* | "" | [0-9]*)
            echo "postgres-entrypoint: '$name': use lower-case letters, digits and _ for POSTGRES_USER and POSTGRES_DB" >&2
            exit 1
            ;;
        esac
    done
    if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        password=$(head -n 1 "$POSTGRES_PASSWORD_FILE")
    else
        password=${POSTGRES_PASSWORD:-}
    fi
    if [ -z "$password" ]; then
        echo "postgres-entrypoint: set POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD)" >&2
        exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 \
        --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.auto.conf"
    if [ "$db" != postgres ]; then
        echo "CREATE DATABASE $db OWNER $user" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "postgres-entrypoint: cluster created in $PGDATA (user $user, database $db)"
fi

exec "$@"
