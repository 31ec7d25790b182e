# The two set-up commands: `make run` (the service) and `make test` (everything CI runs).
SHELL := /bin/bash
CARGO ?= cargo
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/payments

.PHONY: run test bench lint fmt postgres browser-deps check-rust

check-rust:
	@command -v $(CARGO) >/dev/null || { echo "make: cargo is not installed: install Rust from https://rustup.rs (stable), then run make again" >&2; exit 1; }

postgres:
	@scripts/ensure-postgres.sh

## Chromium, Node.js and playwright-core for the browser test (installed if missing).
browser-deps:
	@scripts/ensure-browser.sh

## Runs the service on http://127.0.0.1:8080 with its storefront; with no STRIPE_SECRET_KEY, Stripe is emulated in process.
run: check-rust postgres
	@scripts/ensure-database.sh "$(DATABASE_URL)"
	$(CARGO) run --locked -p payments-app --bin payments -- serve

## Runs every test: unit, property, adapter and whole-app, against a real Postgres.
test: check-rust postgres browser-deps
	@scripts/drop-test-databases.sh
	$(CARGO) test --locked --workspace --all-targets
	$(CARGO) test --locked --workspace --doc

## Measures webhook ingest (verified, deduplicated, committed events/s, p50, p99) on an optimised build.
bench: check-rust postgres
	$(CARGO) run --locked --release -p payments-bench

lint: check-rust
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
