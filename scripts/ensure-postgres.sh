#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at DATABASE_URL's host and port (default 127.0.0.1:5432) and lets
# user postgres in. If none answers and the host is this machine, it starts the local cluster, or installs
# Debian's postgresql package (as root) and starts it with trust auth on 127.0.0.1. Otherwise it stops with
# a message saying exactly what is missing.
set -euo pipefail

url="${TEST_DATABASE_URL:-${DATABASE_URL:-}}"
case "$url" in postgres://*|postgresql://*) ;; *) url="postgres://postgres@127.0.0.1:5432/postgres" ;; esac
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"; hostport="${hostport%%\?*}"
host="${hostport%%:*}"; port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=5432
[ -z "$host" ] && host=127.0.0.1

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }
say() { echo "ensure-postgres: $*" >&2; }

if answers; then exit 0; fi

case "$host" in
  127.0.0.1|localhost|::1) ;;
  *) say "no PostgreSQL answers at $host:$port (from DATABASE_URL) and it is not this machine: start it, or point DATABASE_URL at one."; exit 1 ;;
esac

start_cluster() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$version" ] || return 1
  say "starting the local PostgreSQL $version cluster"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start || true
  fi
  for _ in $(seq 1 30); do answers && return 0; sleep 0.5; done
  return 1
}

if start_cluster; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  say "no PostgreSQL answers at $host:$port, and installing one needs root. Either run 'sudo apt-get install -y postgresql' and start it, or set DATABASE_URL to a server that lets user postgres in."
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  say "no PostgreSQL answers at $host:$port and this is not a Debian-like machine (no apt-get): install PostgreSQL 13 or newer and let user postgres in on 127.0.0.1:$port."
  exit 1
fi

say "installing PostgreSQL from Debian's packages (one time)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq postgresql >/dev/null
version=$(ls /etc/postgresql | sort -V | tail -n 1)
hba="/etc/postgresql/$version/main/pg_hba.conf"
# Tests connect as postgres over TCP without a password, as on the CI machines.
if ! grep -q "payments: trust local tcp" "$hba"; then
  sed -i '1i # payments: trust local tcp\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi
sed -i "s/^#\?port = .*/port = $port/" "/etc/postgresql/$version/main/postgresql.conf"
if start_cluster; then exit 0; fi
say "PostgreSQL was installed but does not answer at $host:$port; see /var/log/postgresql/."
exit 1
