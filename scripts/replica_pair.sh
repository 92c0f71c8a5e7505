#!/usr/bin/env bash
# A throwaway PostgreSQL primary and its streaming standby (made with pg_basebackup -R, as a
# production replica is made: docs/scaling.md, "A read replica"), for the replica tests
# (tests/core/test_replica.py) and for trying the router by hand. Both live under DIR,
# listen on 127.0.0.1 only with trust authentication, and are meant to be thrown away.
#
#   scripts/replica_pair.sh start DIR [PRIMARY_PORT] [STANDBY_PORT]   # default 5440 5441
#   scripts/replica_pair.sh stop-standby DIR | start-standby DIR      # the replica down, back
#   scripts/replica_pair.sh stop DIR                                  # both stopped, DIR removed
#
# PostgreSQL refuses to run as root: run as root, the clusters are run by the `postgres`
# user, which then owns DIR. The binaries are PG_BIN, or the newest under /usr/lib/postgresql.
set -euo pipefail

command=${1:?"usage: $0 start|stop|stop-standby|start-standby DIR [PRIMARY_PORT] [STANDBY_PORT]"}
dir=${2:?"DIR missing"}
primary_port=${3:-5440}
standby_port=${4:-5441}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "no PostgreSQL binaries (set PG_BIN)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() { # data directory, log file
  as_owner "$bin/pg_ctl" -D "$1" -l "$2" -w -t 30 start >/dev/null
}

stop_cluster() { # data directory
  if [ -f "$1/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$1" -m immediate -w -t 30 stop >/dev/null || true
  fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C \
      --no-sync >/dev/null
    # A test's cluster: small, and with no durability to pay for (it is thrown away).
    # Replication needs nothing beyond the defaults (wal_level=replica, 10 WAL senders,
    # the `replication` lines of a trust pg_hba.conf).
    cat >>"$dir/primary/postgresql.conf" <<EOF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    start_cluster "$dir/primary" "$dir/primary.log"
    # The standby as production makes one: a base backup streamed with its WAL (-X stream),
    # -R writing standby.signal and primary_conninfo, a checkpoint at once (-c fast).
    as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
      -D "$dir/standby" -R -X stream -c fast
    echo "port = $standby_port" >>"$dir/standby/postgresql.conf"
    start_cluster "$dir/standby" "$dir/standby.log"
    for _ in $(seq 100); do
      streaming=$("$bin/psql" -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -Atc \
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)
      [ "$streaming" = 1 ] && break
      sleep 0.1
    done
    [ "$streaming" = 1 ] || { echo "the standby does not stream" >&2; exit 1; }
    echo "primary postgres://postgres@127.0.0.1:$primary_port/postgres"
    echo "standby postgres://postgres@127.0.0.1:$standby_port/postgres"
    ;;
  stop-standby)
    stop_cluster "$dir/standby"
    ;;
  start-standby)
    start_cluster "$dir/standby" "$dir/standby.log"
    ;;
  stop)
    stop_cluster "$dir/standby"
    stop_cluster "$dir/primary"
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac
