#!/usr/bin/env bash
# Drops the per-test databases (payments_test_*) earlier test runs left behind, so they do not pile up.
set -euo pipefail
url="${TEST_DATABASE_URL:-${DATABASE_URL:-}}"
case "$url" in postgres://*|postgresql://*) ;; *) url="postgres://postgres@127.0.0.1:5432/postgres" ;; esac
command -v psql >/dev/null || exit 0
server="${url%/*}/postgres"
psql "$server" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'payments\_test\_%'" 2>/dev/null |
  while read -r name; do
    [ -n "$name" ] && psql "$server" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
