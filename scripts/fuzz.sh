#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 60) each, one after the other, with a
# memory limit (FUZZ_RSS_MB, default 512) and each target's input bound, then prints per target the inputs
# executed and whether it crashed; fails if any did. Run by `make fuzz` (never by `make test`, which replays
# the corpus instead: tests/fuzz_corpus.rs).
#
# Inputs found on the way go to fuzz/target/corpus/<target> (not committed); FUZZ_KEEP=1 merges those that
# reach new code into the committed corpus fuzz/corpus/<target>. A crash's input is written to
# fuzz/artifacts/<target>/: commit it, and tests/fuzz_corpus.rs replays it from then on.
#
# Stable Rust: cargo-fuzz passes no -Z flag without a sanitizer, and the workspace forbids unsafe code, so
# the targets are built without AddressSanitizer (`--sanitizer none`), with debug assertions and overflow
# checks (`-a`). FUZZ_TARGETS picks targets (default: all).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-60}"
rss_mb="${FUZZ_RSS_MB:-512}"
# target:max_len (the largest input the service takes there)
bounds=(
    "signature_header:16384" # a header (actix takes at most 32 kB of headers), a newline, a body
    "event:65536"            # a webhook body (the service takes 1 MB; Stripe's events are a few kB)
    "checkout_body:65536"    # a checkout body (JSON_LIMIT_BYTES)
    "form:65536"             # an emulator form body or query string
    "catalog_file:16384"     # config/catalog.toml (3 kB)
)
say() { echo "fuzz: $*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz is missing: installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked || {
        say "could not install cargo-fuzz: run \`cargo install cargo-fuzz --locked\` (needs crates.io and a C++ compiler)"
        exit 1
    }
fi
command -v c++ >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null || {
    say "libFuzzer is built from C++: install a C++ compiler (apt-get install g++)"
    exit 1
}

build=(--sanitizer none --debug-assertions)
cargo fuzz build "${build[@]}"

summary=()
failed=0
for entry in "${bounds[@]}"; do
    target="${entry%%:*}" max_len="${entry##*:}"
    if [ -n "${FUZZ_TARGETS:-}" ] && ! grep -qw "$target" <<<"$FUZZ_TARGETS"; then continue; fi
    work="target/corpus/$target"
    mkdir -p "$work" "artifacts/$target"
    dict=()
    [ -f "dicts/$target.dict" ] && dict=("-dict=dicts/$target.dict")
    log="target/fuzz-$target.log"
    say "$target: ${seconds} s, -max_len=$max_len, -rss_limit_mb=$rss_mb"
    set +e
    cargo fuzz run "${build[@]}" "$target" "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb="$rss_mb" -timeout=10 \
        -print_final_stats=1 "${dict[@]}" >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    runs="${runs:-$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)}"
    if [ "$status" -eq 0 ]; then
        result="no crash"
    else
        failed=1
        artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')
        result="CRASHED (exit $status${artifact:+, reproducer $artifact}; see fuzz/$log)"
        tail -40 "$log" >&2
    fi
    if [ "${FUZZ_KEEP:-0}" = 1 ] && [ "$status" -eq 0 ]; then
        cargo fuzz run "${build[@]}" "$target" "corpus/$target" "$work" -- -merge=1 -max_len="$max_len" \
            -rss_limit_mb="$rss_mb" >>"$log" 2>&1
    fi
    summary+=("$(printf '%-17s %12s executions in %4s s  %s' "$target" "${runs:-?}" "$seconds" "$result")")
done

echo
echo "fuzz: results (-max_total_time=$seconds, -rss_limit_mb=$rss_mb)"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    say "a target crashed: fix the bug, keep the reproducer in fuzz/artifacts/<target>/ (make test replays it)"
    exit 1
fi
