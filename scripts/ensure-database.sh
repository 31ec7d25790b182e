#!/usr/bin/env bash
# Creates the database named in a postgres:// URL if it does not exist (make run's first start).
set -euo pipefail
url="$1"
case "$url" in postgres://*|postgresql://*) ;; *) exit 0 ;; esac
name="${url##*/}"; name="${name%%\?*}"
server="${url%/*}/postgres"
if command -v psql >/dev/null; then
  if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql "$server" -qc "CREATE DATABASE \"$name\"" && echo "ensure-database: created database $name" >&2
  fi
else
  echo "ensure-database: psql not found; create database $name yourself if the service cannot connect" >&2
fi
