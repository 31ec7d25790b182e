-- Orders, their items, and every Stripe event received (the webhook's idempotency log): the SQLite twin of
-- migrations/postgres/0001_init.sql, with the same tables, columns and meaning.
--
-- SQLite has no uuid, timestamptz or jsonb, so: ids are lowercase hyphenated UUID text; times are RFC 3339 UTC
-- text with exactly six fractional digits (`2026-01-02T03:04:05.678901Z`), so text order is time order; JSON
-- is text that json_valid accepts. STRICT tables refuse a value of the wrong type as Postgres would.

CREATE TABLE orders (
    id                  TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    email               TEXT    NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency            TEXT    NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^a-z]*'),
    status              TEXT    NOT NULL CHECK (status IN (
                                    'pending', 'paid', 'failed', 'expired', 'canceled', 'refunded',
                                    'partially_refunded', 'disputed', 'needs_review')),
    checkout_session_id TEXT    UNIQUE,
    payment_intent_id   TEXT,
    failure_reason      TEXT,
    -- serde_json of the domain's PaymentFacts: the status is derived from these.
    facts               TEXT    NOT NULL CHECK (json_valid(facts)),
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
) STRICT;

-- Events that name only a payment intent (refunds, disputes) find their order through it.
CREATE INDEX orders_payment_intent_id_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
-- list_orders pages by creation time, ties by id.
CREATE INDEX orders_created_at_id_idx ON orders (created_at, id);

CREATE TABLE order_items (
    order_id          TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0),
    name              TEXT    NOT NULL,
    unit_amount_minor INTEGER NOT NULL CHECK (unit_amount_minor > 0),
    currency          TEXT    NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^a-z]*'),
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    image_url         TEXT,
    PRIMARY KEY (order_id, position)
) STRICT;

CREATE TABLE stripe_events (
    -- Stripe's event id: a second delivery of the same event conflicts here and changes nothing.
    id                TEXT NOT NULL PRIMARY KEY,
    type              TEXT NOT NULL,
    -- When Stripe created the event.
    created_at        TEXT NOT NULL,
    -- The body exactly as received, for audit and replays.
    payload           TEXT NOT NULL CHECK (json_valid(payload)),
    -- serde_json of the domain's PaymentEvent, so a kept (orphaned) event can be applied later.
    event             TEXT NOT NULL CHECK (json_valid(event)),
    -- The ids the event names.
    order_ref         TEXT,
    session_id        TEXT,
    payment_intent_id TEXT,
    -- The order the event was applied to.
    order_id          TEXT REFERENCES orders (id),
    outcome           TEXT NOT NULL CHECK (outcome IN ('applied', 'ignored', 'refused', 'orphaned', 'stored')),
    -- serde_json of the domain's Effect, once applied.
    effect            TEXT CHECK (effect IS NULL OR json_valid(effect)),
    received_at       TEXT NOT NULL,
    applied_at        TEXT,
    -- An event was applied to an order exactly when it has one.
    CONSTRAINT stripe_events_applied_to_an_order CHECK (
        (outcome IN ('applied', 'ignored', 'refused')) = (order_id IS NOT NULL AND applied_at IS NOT NULL AND effect IS NOT NULL)
    )
) STRICT;

CREATE INDEX stripe_events_order_id_idx ON stripe_events (order_id) WHERE order_id IS NOT NULL;
-- Orphans are adopted when an order learns one of the ids they name.
CREATE INDEX stripe_events_orphans_by_order_ref ON stripe_events (order_ref) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_session ON stripe_events (session_id) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_payment_intent ON stripe_events (payment_intent_id) WHERE outcome = 'orphaned';
