-- Reconciliation: see migrations/postgres/0011_reconciliation.sql.
CREATE TABLE reconciliation (
    singleton INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
    through TEXT NOT NULL
);
CREATE INDEX orders_pending_by_age ON orders (created_at, id) WHERE status = 'pending';
