-- Validates the constraint 0007 added NOT VALID, in a transaction of its own (SHARE UPDATE EXCLUSIVE: webhooks
-- keep writing meanwhile).
ALTER TABLE stripe_events VALIDATE CONSTRAINT stripe_events_outcome_columns;
