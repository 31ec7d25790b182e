-- Subscriptions: as migrations/postgres/0007 (the stripe_events column and constraint came with 0003's rebuild).
CREATE TABLE subscriptions (
    id                 TEXT    NOT NULL PRIMARY KEY,
    customer_id        TEXT,
    user_id            TEXT,
    sku                TEXT,
    status             TEXT,
    current_period_end TEXT,
    record             TEXT    NOT NULL CHECK (json_valid(record)),
    version            INTEGER NOT NULL,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
) STRICT;
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id) WHERE customer_id IS NOT NULL;
