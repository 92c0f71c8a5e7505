#!/usr/bin/env bash
# A point-in-time recovery drill on throwaway clusters, with the commands of
# docs/operations.md ("Point-in-time recovery"): a primary archiving its WAL, a base backup,
# a row committed before the target time and one after, then the base backup recovered to
# that time on a second port. Prints the ids the recovered table holds (1 and 2, not 3);
# tests/registry/test_point_in_time_recovery.py runs it.
#
#   scripts/pitr_drill.sh DIR [PRIMARY_PORT] [RECOVERED_PORT]    # default 5450 5451
#
# PostgreSQL refuses to run as root: run as root, the clusters are run by the `postgres`
# user, which then owns DIR. DIR is removed at the end. The binaries are PG_BIN, or the
# newest under /usr/lib/postgresql.
set -euo pipefail

dir=${1:?"usage: $0 DIR [PRIMARY_PORT] [RECOVERED_PORT]"}
primary_port=${2:-5450}
recovered_port=${3:-5451}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "no PostgreSQL binaries (set PG_BIN)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
sql() { # port, statement
  "$bin/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 -c "$2"
}
cleanup() {
  for data in "$dir/recovered" "$dir/primary"; do
    if [ -f "$data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null || true
    fi
  done
  rm -rf "$dir"
}
[ ! -e "$dir" ] || { echo "$dir exists: the drill makes (and removes) a directory of its own" >&2; exit 2; }
trap cleanup EXIT

mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
as_owner mkdir "$dir/wal"
as_owner "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C \
  --no-sync >/dev/null
cat >>"$dir/primary/postgresql.conf" <<CONF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_buffers = 32MB
fsync = off
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $dir/wal/%f && cp %p $dir/wal/%f'
archive_timeout = 60
CONF
as_owner "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 30 start >/dev/null

sql "$primary_port" "CREATE TABLE drill (id int PRIMARY KEY, note text)"
sql "$primary_port" "INSERT INTO drill VALUES (1, 'before the base backup')"
as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
  -D "$dir/base" --format=tar --gzip --wal-method=stream --checkpoint=fast
sql "$primary_port" "INSERT INTO drill VALUES (2, 'after the base backup, before the target')"
target=$(sql "$primary_port" "SELECT clock_timestamp()")
sleep 1
sql "$primary_port" "INSERT INTO drill VALUES (3, 'after the target: the mistake')"
segment=$(sql "$primary_port" "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 300); do
  [ -f "$dir/wal/$segment" ] && break
  sleep 0.1
done
[ -f "$dir/wal/$segment" ] || { echo "WAL segment $segment was not archived" >&2; exit 1; }
as_owner "$bin/pg_ctl" -D "$dir/primary" -m fast -w stop >/dev/null

# The recovery, as docs/operations.md gives it.
as_owner mkdir -m 700 "$dir/recovered"
as_owner tar -xzf "$dir/base/base.tar.gz" -C "$dir/recovered"
as_owner tar -xzf "$dir/base/pg_wal.tar.gz" -C "$dir/recovered/pg_wal"
cat >>"$dir/recovered/postgresql.conf" <<CONF
port = $recovered_port
restore_command = 'cp $dir/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
as_owner touch "$dir/recovered/recovery.signal"
as_owner "$bin/pg_ctl" -D "$dir/recovered" -l "$dir/recovered.log" -w -t 60 start >/dev/null
for _ in $(seq 300); do
  [ "$(sql "$recovered_port" "SELECT pg_is_in_recovery()")" = f ] && break
  sleep 0.1
done
grep -o "recovery stopping before commit[^,]*" "$dir/recovered.log" >&2 || true
echo "recovered ids: $(sql "$recovered_port" "SELECT string_agg(id::text, ' ' ORDER BY id) FROM drill")"
