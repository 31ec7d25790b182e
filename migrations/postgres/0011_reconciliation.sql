-- Reconciliation (crates/domain/src/services/reconcile.rs): when the last complete run started (every event
-- Stripe created before it was fetched), and the pending orders it checks, oldest first.
CREATE TABLE reconciliation (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    through timestamptz NOT NULL
);
CREATE INDEX orders_pending_by_age ON orders (created_at, id) WHERE status = 'pending';
