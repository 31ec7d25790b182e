#!/usr/bin/env bash
# `make bench`'s second half: the side-by-side run of ../shared/perf (this service on Postgres and SQLite
# against the seed-style Express backend, in one run on this machine), so every figure is judged as a ratio to
# the peer. PEER_EVENTS (default 5000) orders, each event delivered twice; PEER_BENCH names the script.
# It says exactly what is missing when it cannot run, and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
script="${PEER_BENCH:-../shared/perf/side_by_side.py}"
missing=()
[[ -f "$script" ]] || missing+=("the side-by-side script at $script (set PEER_BENCH)")
for tool in python3 node npm pgbench; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ! command -v ab >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench-peer: installing ab (apache2-utils)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2-utils >/dev/null
    else
        missing+=("ab (Debian's apache2-utils)")
    fi
fi
if ((${#missing[@]})); then
    printf 'bench-peer: cannot run the side-by-side comparison; missing: %s\n' "$(IFS=';'; echo "${missing[*]}")" >&2
    exit 1
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
[[ "$target" = /* ]] || target="$PWD/$target"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "bench-peer: this service (Postgres, SQLite) and the Express peer, ${PEER_EVENTS:-5000} orders, one run"
out="$target/bench-peer.out"
TMPDIR="$tmp" PERF_TARGET="$target" PERF_ONLY="${PERF_ONLY:-project,sqlite,peer}" \
    python3 "$script" "${PEER_EVENTS:-5000}" >"$out"
# The script prints its figures as JSON, then the ratios: a line per service, then the ratios as printed.
python3 - "$out" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
start, end = text.index("{"), text.rindex("}") + 1
figures = json.loads(text[start:end])
names = {"project": "this service, Postgres", "project_sqlite": "this service, SQLite", "peer": "Express peer"}
print(f"{'':24} {'ingest/s':>9} {'p99 ms':>7} {'checkout/s':>11} {'p99 ms':>7} {'RSS MB':>7}")
for key, name in names.items():
    if key in figures:
        f = figures[key]
        print(f"{name:24} {float(f['ingest'].get('rps', 0)):9.0f} {float(f['ingest'].get('p99_ms', 0)):7.1f} "
              f"{float(f['checkout']['rps']):11.0f} {float(f['checkout']['p99_ms']):7.1f} {f['rss_mb']:7.1f}")
print(text[end:].strip())
PY
echo "bench-peer: the whole output is in $out"
