-- Each outbox entry is written on the webhook's path: keep the indexes every insert must update to the ones
-- the hot queries need (the claim: outbox_due and the (order_id, sequence) key; the feed: outbox_feed; by id).
-- Operators' lists of dead entries use a partial index no pending entry touches; pending and delivered lists
-- are rare and may scan.
DROP INDEX outbox_pending_by_order;
DROP INDEX outbox_by_status;
CREATE INDEX outbox_dead ON outbox (created_at, id) WHERE status = 'dead';
