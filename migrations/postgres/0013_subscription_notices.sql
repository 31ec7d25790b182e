-- Outbox entries of subscriptions (`subscription.*`, crates/domain/src/model/outbox.rs): an entry tells of an
-- order or of a subscription, never both; each subject numbers its own entries from 1. The subscription's
-- entries are written with its record (crates/postgres/src/subscriptions.rs). The claim's "first pending of
-- its subject" reads (order_id, sequence) or (subscription_id, sequence); the second index is partial, so the
-- order entries written on the webhook's path never touch it.
ALTER TABLE outbox ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN subscription_id text REFERENCES subscriptions (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_subject CHECK ((order_id IS NULL) <> (subscription_id IS NULL));
CREATE UNIQUE INDEX outbox_subscription_sequence ON outbox (subscription_id, sequence)
    WHERE subscription_id IS NOT NULL;
