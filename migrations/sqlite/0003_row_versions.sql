-- The webhook's writes are planned by the domain on what the store loaded and committed only if it still holds
-- (crates/sqlite/src/commit.rs): an order's row version tells whether it changed since it was loaded.
ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- An event's reading (`event`) is kept only while the event is: a kept event needs it to be applied later; an
-- applied one has its payload and effect (as in migrations/postgres/0003). The body is kept as received: the
-- service has parsed it as JSON before storing it. SQLite cannot drop NOT NULL from a column, so the table is
-- rebuilt (sqlx runs each migration in a transaction; foreign keys to it are checked at commit).
CREATE TABLE stripe_events_new (
    id                TEXT NOT NULL PRIMARY KEY,
    type              TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    payload           TEXT NOT NULL,
    event             TEXT CHECK (event IS NULL OR json_valid(event)),
    order_ref         TEXT,
    session_id        TEXT,
    payment_intent_id TEXT,
    order_id          TEXT REFERENCES orders (id),
    -- A subscription or invoice event is recorded against its subscription (0004) rather than an order.
    subscription_id   TEXT,
    outcome           TEXT NOT NULL CHECK (outcome IN ('applied', 'ignored', 'refused', 'orphaned', 'stored')),
    effect            TEXT CHECK (effect IS NULL OR json_valid(effect)),
    received_at       TEXT NOT NULL,
    applied_at        TEXT,
    -- A refused event has an order when it named another order's ids, none when it came from another Stripe mode
    -- or account.
    CONSTRAINT stripe_events_outcome_columns CHECK (
        NOT (order_id IS NOT NULL AND subscription_id IS NOT NULL)
        AND (order_id IS NOT NULL OR subscription_id IS NOT NULL) = (applied_at IS NOT NULL AND effect IS NOT NULL)
        AND (outcome NOT IN ('applied', 'ignored') OR order_id IS NOT NULL OR subscription_id IS NOT NULL)
        AND (outcome NOT IN ('orphaned', 'stored') OR (order_id IS NULL AND subscription_id IS NULL))
        AND (outcome <> 'orphaned' OR event IS NOT NULL)
    )
) STRICT;

INSERT INTO stripe_events_new
SELECT id, type, created_at, payload, event, order_ref, session_id, payment_intent_id, order_id, NULL, outcome,
       effect, received_at, applied_at
FROM stripe_events;
DROP TABLE stripe_events;
ALTER TABLE stripe_events_new RENAME TO stripe_events;

CREATE INDEX stripe_events_order_id_idx ON stripe_events (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX stripe_events_orphans_by_order_ref ON stripe_events (order_ref) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_session ON stripe_events (session_id) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_payment_intent ON stripe_events (payment_intent_id) WHERE outcome = 'orphaned';
