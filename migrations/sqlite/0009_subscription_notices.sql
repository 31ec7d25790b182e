-- See migrations/postgres/0013_subscription_notices.sql. SQLite cannot drop a NOT NULL in place: the table is
-- built again with the same rows.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY,
    order_id TEXT REFERENCES orders (id),
    subscription_id TEXT REFERENCES subscriptions (id),
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
    CHECK ((order_id IS NULL) <> (subscription_id IS NULL)),
    UNIQUE (order_id, sequence)
);
INSERT INTO outbox_new (id, order_id, sequence, type, payload, created_at, tx, position, status, attempts,
                        next_attempt_at, delivered_to, last_error, delivered_at)
    SELECT id, order_id, sequence, type, payload, created_at, tx, position, status, attempts, next_attempt_at,
           delivered_to, last_error, delivered_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_feed ON outbox (tx, position);
CREATE INDEX outbox_dead ON outbox (created_at, id) WHERE status = 'dead';
CREATE UNIQUE INDEX outbox_subscription_sequence ON outbox (subscription_id, sequence)
    WHERE subscription_id IS NOT NULL;
