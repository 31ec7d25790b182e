#!/usr/bin/env bash
# Builds the service without its default features (no Stripe emulator, no test support) and checks that it
# refuses to start without a Stripe key, with one line naming the setting. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet --no-default-features -p payments-app --bin payments
binary="${CARGO_TARGET_DIR:-target}/debug/payments"
# An absolute CARGO_TARGET_DIR is used as it is; a relative one (or the default) is under the repository.
case "$binary" in /*) ;; *) binary="$PWD/$binary" ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
set +e
# No key, no config directory, no .env: the embedded defaults would emulate Stripe.
output=$(cd "$dir" && env -i PATH="$PATH" HOME="$dir" "$binary" serve 2>&1)
status=$?
set -e
lines=$(printf '%s\n' "$output" | grep -c .)
if [ "$status" -eq 0 ] || [ "$lines" -ne 1 ] || ! grep -q "STRIPE_SECRET_KEY" <<<"$output" \
    || ! grep -q "no Stripe emulator" <<<"$output"; then
    echo "check-lean-build: expected one line naming STRIPE_SECRET_KEY and the missing emulator, and a failure;" >&2
    echo "got exit $status and:" >&2
    printf '%s\n' "$output" >&2
    exit 1
fi
if cargo tree --locked -e normal --no-default-features -p payments-app 2>/dev/null | grep -q "payments-stripe-emulator"; then
    echo "check-lean-build: the build without default features still depends on the emulator" >&2
    exit 1
fi
echo "check-lean-build: a build without the emulator refuses to start without a key: $output"
