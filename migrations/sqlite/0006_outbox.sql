-- The fulfilment outbox (see migrations/postgres/0010_outbox.sql): entries written in the same transaction as
-- the order change they tell of (crates/sqlite/src/commit.rs). Writes never overlap on SQLite, so an entry's
-- feed position is simply the next number (tx stays 0).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    sequence INTEGER NOT NULL CHECK (sequence > 0),
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    tx INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    delivered_to TEXT NOT NULL DEFAULT '[]',
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (order_id, sequence)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_pending_by_order ON outbox (order_id, sequence) WHERE status = 'pending';
CREATE INDEX outbox_feed ON outbox (tx, position);
CREATE INDEX outbox_by_status ON outbox (status, created_at, id);
