# The two set-up commands: `make run` (the service) and `make test` (everything CI runs).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test faults soak bench fuzz lint fmt postgres browser-deps check-rust check-lint-tools

check-rust:
	@command -v $(CARGO) >/dev/null || { echo "make: cargo is not installed: install Rust from https://rustup.rs (stable), then run make again" >&2; exit 1; }

check-lint-tools: check-rust
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt >/dev/null 2>&1 || { echo "make: rustfmt is missing: run \`rustup component add rustfmt\`" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy >/dev/null 2>&1 || { echo "make: clippy is missing: run \`rustup component add clippy\`" >&2; exit 1; }

postgres:
	@scripts/ensure-postgres.sh

## Chromium, Node.js and playwright-core for the browser test (installed if missing).
browser-deps:
	@scripts/ensure-browser.sh

## Runs the service on http://127.0.0.1:8080 with its storefront: on SQLite (data/payments.db) unless
## DATABASE_URL names Postgres, and with Stripe emulated in process unless STRIPE_SECRET_KEY is set.
run: check-rust
	@case "$${DATABASE_URL:-}" in postgres*) scripts/ensure-postgres.sh && scripts/ensure-database.sh "$$DATABASE_URL";; esac
	$(CARGO) run --locked -p payments-app --bin payments -- serve

## Runs every check and test: formatting and clippy (warnings are errors), unit, property, contract (SQLite
## and Postgres), adapter, emulator, whole-app on Postgres and again on SQLite, the fault tests' short versions
## (crates/app/tests/faults), the headless-Chromium browser test, and a build without the emulator that must
## refuse to start without a Stripe key.
test: check-rust lint postgres browser-deps
	@scripts/drop-test-databases.sh
	$(CARGO) test --locked --workspace --all-targets
	PAYMENTS_TEST_BACKEND=sqlite $(CARGO) test --locked -p payments-tests --test app
	$(CARGO) test --locked --workspace --doc
	@scripts/check-lean-build.sh

## The fault tests in full (thousands of events; Postgres stopped for 10 s, a row held for 30 s, the service
## killed, the database silent, a full disk, two processes on one SQLite file). Each starts what it needs: a
## private PostgreSQL cluster (the installed server's initdb and pg_ctl, in a temporary directory, on a free
## port) or a SQLite file, and the service as a separate process. Each prints one line of figures. The SQLite
## disk-full test mounts a tmpfs, so it needs root. Their short versions run in make test.
faults: check-rust postgres
	FAULTS_FULL=1 $(CARGO) test --locked --workspace --test faults -- --test-threads=1

## Two service processes on one private Postgres cluster: every event of SOAK_ORDERS (100,000) orders delivered
## three times, shuffled, split across both, the fulfilment outbox delivered to a local receiver. Prints one
## line of figures (events, duplicates, entries, duplicate deliveries, time). `make test` runs it with 2,000.
soak: check-rust postgres
	SOAK_ORDERS=$${SOAK_ORDERS:-100000} $(CARGO) test --locked -p payments-app --test faults two_instances -- --nocapture

## Measures webhook ingest (verified, deduplicated, committed events/s, p50, p99) on an optimised build,
## on a server cleared of earlier test databases; then the side-by-side run against the seed-style Express
## backend (../shared/perf, PEER_EVENTS orders), printing the ratios. It says what is missing for the second.
bench: check-rust postgres
	@scripts/drop-test-databases.sh
	$(CARGO) run --locked --release -p payments-bench
	@scripts/drop-test-databases.sh
	@scripts/bench-peer.sh

## Fuzzes the parsers (cargo-fuzz, installed if missing): the Stripe-Signature header, webhook events, checkout
## bodies, the emulator's form decoder and the catalog file, FUZZ_SECONDS (60) each with a memory limit;
## prints each target's executions and fails if one crashed. `make test` replays the corpus, not this.
fuzz: check-rust
	@scripts/fuzz.sh

lint: check-lint-tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
