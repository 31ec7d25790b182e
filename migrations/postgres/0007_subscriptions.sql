-- Subscriptions (crates/domain/src/model/subscription.rs): one row per Stripe subscription, its record (the
-- newest snapshot of it and of its latest invoice, versioned JSON: crates/sql-store/src/subscription_records.rs)
-- and the columns queries need. `status` stays NULL while only invoice events have named it.
CREATE TABLE subscriptions (
    id                 text        PRIMARY KEY,
    customer_id        text,
    -- The user its checkout named; else its owner is the user whose Stripe customer it bills (customers).
    user_id            text,
    sku                text,
    status             text,
    current_period_end timestamptz,
    record             text        NOT NULL,
    version            bigint      NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id) WHERE customer_id IS NOT NULL;

-- A subscription or invoice event is recorded against its subscription rather than an order. The outcome
-- constraint is added NOT VALID (no scan under this lock); 0008 validates it.
ALTER TABLE stripe_events ADD COLUMN subscription_id text;
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_outcome_columns;
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_outcome_columns CHECK (
    num_nonnulls(order_id, subscription_id) <= 1
    AND (num_nonnulls(order_id, subscription_id) = 1) = (applied_at IS NOT NULL AND effect IS NOT NULL)
    AND (outcome NOT IN ('applied', 'ignored') OR num_nonnulls(order_id, subscription_id) = 1)
    AND (outcome NOT IN ('orphaned', 'stored') OR num_nonnulls(order_id, subscription_id) = 0)
    AND (outcome <> 'orphaned' OR event IS NOT NULL)
) NOT VALID;
