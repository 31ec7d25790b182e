-- See migrations/postgres/0012_fewer_outbox_indexes.sql.
DROP INDEX outbox_pending_by_order;
DROP INDEX outbox_by_status;
CREATE INDEX outbox_dead ON outbox (created_at, id) WHERE status = 'dead';
