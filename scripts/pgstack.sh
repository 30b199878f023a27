#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for `make topology` (internal/deploy's TestProductionTopologyOnPostgreSQL),
# standing in for docker-compose.yml's postgresql service on a machine without Docker.
#
#   scripts/pgstack.sh bindir               prints PostgreSQL's bin directory, installing Debian's
#                                           `postgresql` package with apt-get first when it is missing
#   scripts/pgstack.sh start DIR PORT       initdb in DIR (must not exist or be empty) and start the server
#                                           on 127.0.0.1:PORT, user and password $PGSTACK_USER (temporal)
#   scripts/pgstack.sh stop DIR             stops the server of DIR (fast shutdown); DIR is kept
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user (created by
# the Debian package), or to a `csptransfer-pg` system user created here when there is none. The socket
# lives in DIR, so nothing outside DIR is touched. Set PGSTACK_BINDIR to use another installation.
set -euo pipefail

say() { echo "pgstack: $*" >&2; }
die() { say "$*"; exit 1; }

: "${PGSTACK_USER:=temporal}"
: "${PGSTACK_PASSWORD:=temporal}"

# find_bindir prints the newest PostgreSQL bin directory holding initdb, pg_ctl and postgres.
find_bindir() {
  local d cands=()
  if [ -n "${PGSTACK_BINDIR:-}" ]; then cands+=("$PGSTACK_BINDIR"); fi
  if command -v pg_config >/dev/null 2>&1; then cands+=("$(pg_config --bindir 2>/dev/null || true)"); fi
  # Debian keeps the server programs out of PATH, one directory per major version.
  while IFS= read -r d; do cands+=("$d"); done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4Vr)
  if command -v initdb >/dev/null 2>&1; then cands+=("$(dirname "$(readlink -f "$(command -v initdb)")")"); fi
  for d in "${cands[@]}"; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

install_postgresql() {
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is missing and installing it needs root: apt-get install postgresql"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is missing and there is no apt-get: install PostgreSQL (initdb, pg_ctl) or set PGSTACK_BINDIR"
  say "PostgreSQL is missing: installing Debian's postgresql package (apt-get)..."
  local log
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  # The package's post-install would create and start a cluster of its own on 5432: keep it from doing so.
  # policy-rc.d stops services from starting; create_main_cluster=false stops the main cluster.
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/50-csptransfer-pgstack.conf
  local ok=
  for attempt in 1 2 3; do
    if apt-get -o DPkg::Lock::Timeout=120 -qq update >>"$log" 2>&1 &&
      apt-get -o DPkg::Lock::Timeout=120 -qq install -y --no-install-recommends postgresql >>"$log" 2>&1; then
      ok=1 && break
    fi
    say "apt-get failed (attempt $attempt of 3); retrying..."
    sleep $((attempt * 5))
  done
  if [ -n "$made_policy" ]; then rm -f "$policy"; fi
  if [ -z "$ok" ]; then
    tail -30 "$log" >&2
    rm -f "$log"
    die "could not install postgresql with apt-get (last lines of its output above)"
  fi
  rm -f "$log"
}

bindir() {
  local d
  if d=$(find_bindir); then echo "$d" && return 0; fi
  install_postgresql
  d=$(find_bindir) || die "installed postgresql, but found no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin"
  say "installed PostgreSQL $("$d/postgres" --version | awk '{print $3}') in $d"
  echo "$d"
}

# pg_user is who owns and runs the cluster: ourselves, or as root a system user.
pg_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un && return 0; fi
  if id postgres >/dev/null 2>&1; then echo postgres && return 0; fi
  if ! id csptransfer-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin csptransfer-pg >/dev/null 2>&1 ||
      id csptransfer-pg >/dev/null 2>&1 || die "cannot create the system user csptransfer-pg to run PostgreSQL as"
  fi
  echo csptransfer-pg
}

# as_pg runs a command as the cluster's user (setpriv keeps the environment, unlike su).
as_pg() {
  local u=$1
  shift
  if [ "$u" = "$(id -un)" ]; then
    "$@"
  elif command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$u" -- "$@"
  else
    su -s /bin/sh "$u" -c "$(printf '%q ' "$@")"
  fi
}

start() {
  local dir=$1 port=$2 bin u
  case $port in '' | *[!0-9]*) die "PORT=$port is not a port number" ;; esac
  bin=$(bindir)
  u=$(pg_user)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  chmod 700 "$dir"
  if [ "$u" != "$(id -un)" ]; then chown "$u:" "$dir"; fi
  local pw="$dir/.pw"
  printf '%s\n' "$PGSTACK_PASSWORD" >"$pw"
  if [ "$u" != "$(id -un)" ]; then chown "$u:" "$pw"; fi
  # As compose's postgres image: password authentication over TCP for $PGSTACK_USER, the superuser.
  if ! as_pg "$u" "$bin/initdb" -D "$dir/data" -U "$PGSTACK_USER" --pwfile="$pw" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pw"
  if ! as_pg "$u" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=200 -c fsync=off" \
    start >/dev/null; then
    tail -30 "$dir/postgresql.log" >&2 || true
    die "PostgreSQL did not start on 127.0.0.1:$port (log: $dir/postgresql.log)"
  fi
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir/data, user $u)"
}

stop() {
  local dir=$1 bin u
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(find_bindir) || die "no PostgreSQL installation found"
  u=$(stat -c %U "$dir/data")
  as_pg "$u" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case ${1:-} in
  bindir) bindir ;;
  start) [ $# -eq 3 ] || die "usage: $0 start DIR PORT" && start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR" && stop "$2" ;;
  *) die "usage: $0 bindir | start DIR PORT | stop DIR" ;;
esac
