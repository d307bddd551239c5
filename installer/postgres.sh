#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests of the commune hub: on a
# machine without one (a fresh Debian), installs Debian's package and starts its cluster. Needs root
# to install or start; otherwise it says what to run. Never touches a server that already answers
# (a restart would break whatever runs against it): it only says when that server's wal_level is
# not 'logical' (the province replication test then starts a private cluster of its own).
# A cluster this script starts gets wal_level = logical (conf.d/commune-police.conf) beforehand.
set -u
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  level=$(psql -h 127.0.0.1 -U postgres -Atc "SHOW wal_level" postgres 2>/dev/null || true)
  if [ -n "$level" ] && [ "$level" != "logical" ]; then
    echo "PostgreSQL on 127.0.0.1:5432 runs with wal_level=$level; for province replication set" \
         "wal_level = logical and restart it when nothing runs against it" >&2
  fi
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "No PostgreSQL server on 127.0.0.1:5432 (as root: apt-get install postgresql, then start it)" >&2
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
for cluster in $(pg_lsclusters -h 2>/dev/null | awk '{print $1 "/" $2}'); do
  conf="/etc/postgresql/${cluster%/*}/${cluster#*/}/conf.d"
  if [ -d "$conf" ] && [ ! -e "$conf/commune-police.conf" ]; then
    printf '# commune-police: the province reads the hubs by logical replication\nwal_level = logical\n' \
      > "$conf/commune-police.conf"
  fi
  pg_ctlcluster "${cluster%/*}" "${cluster#*/}" start 2>/dev/null || true
done
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done
echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
exit 0
