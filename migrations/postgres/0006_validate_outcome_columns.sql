-- Validates the constraint 0005 added NOT VALID, in a transaction of its own: it scans stripe_events under a
-- SHARE UPDATE EXCLUSIVE lock, which lets webhooks keep writing meanwhile.
ALTER TABLE stripe_events VALIDATE CONSTRAINT stripe_events_outcome_columns;
