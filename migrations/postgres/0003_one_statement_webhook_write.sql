-- The webhook's write in one statement (crates/postgres/src/optimistic.rs: one read, one write).

-- An event's domain reading (`event`) is kept only while the event is: a kept event needs it to be applied
-- later; an applied one has its payload and effect. Rows applied before this migration keep theirs.
ALTER TABLE stripe_events ALTER COLUMN event DROP NOT NULL;
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_applied_to_an_order;
-- One constraint rather than two: each is evaluated on every write.
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_outcome_columns CHECK (
    (outcome IN ('applied', 'ignored', 'refused')) = (order_id IS NOT NULL AND applied_at IS NOT NULL AND effect IS NOT NULL)
    AND (outcome <> 'orphaned' OR event IS NOT NULL)
);

--
-- The service reads, without locks, the order an event names (with its row version, xmin) and the kept
-- events that name the order's ids, applies them in memory with the domain's transition, then calls this
-- function with the result. The function writes it only if what was read still holds:
--   1. it takes the advisory locks `p_lock_keys` (ascending: the event's ids and the order's, see locks.rs),
--      waiting as needed, before any row lock, so no orphan naming those ids can commit unseen;
--   2. without an order (`p_order_id` NULL): still no order may match the event's ids; the event is kept;
--   3. with one: the adopted events must still be kept, no other kept event may name the order's ids (after
--      applying), and the order's row version must still be `p_order_version`; then the order is written
--      (unchanged too: that locks it), the event is inserted as applied, and the adopted events are marked
--      applied to the order.
-- It returns 'stale' when a check fails (nothing written: the service reads again), 'duplicate' when the
-- event id is already recorded (nothing written), 'recorded' otherwise. A duplicate found only after the
-- order was updated raises SQLSTATE PY001, so the statement, and with it the update, is undone.
CREATE FUNCTION payments_record_event(
    p_event_id text,
    p_event_type text,
    p_event_created_at timestamptz,
    p_event_payload jsonb,
    -- The event's domain reading, kept with an orphan (NULL otherwise).
    p_event_json jsonb,
    p_event_order_ref uuid,
    p_event_session_id text,
    p_event_payment_intent_id text,
    p_at timestamptz,
    p_lock_keys bigint[],
    p_order_id uuid,
    p_order_version bigint,
    p_order_status text,
    p_order_failure_reason text,
    p_order_facts jsonb,
    p_order_session_id text,
    p_order_payment_intent_id text,
    p_order_updated_at timestamptz,
    p_event_outcome text,
    p_event_effect jsonb,
    p_adopted_ids text[],
    p_adopted_outcomes text[],
    p_adopted_effects text[]
) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    lock_key bigint;
    n_written bigint;
    n_recorded bigint;
BEGIN
    FOREACH lock_key IN ARRAY p_lock_keys LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;

    IF p_order_id IS NULL THEN
        -- Kept as an orphan, unless an order matching the event's ids appeared since the read.
        INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                   payment_intent_id, outcome, received_at)
        SELECT p_event_id, p_event_type, p_event_created_at, p_event_payload, p_event_json, p_event_order_ref,
               p_event_session_id, p_event_payment_intent_id, 'orphaned', p_at
        WHERE NOT EXISTS (SELECT 1 FROM orders o
                          WHERE o.id = p_event_order_ref
                             OR o.checkout_session_id = p_event_session_id
                             OR o.payment_intent_id = p_event_payment_intent_id)
        ON CONFLICT (id) DO NOTHING;
        IF FOUND THEN
            RETURN 'recorded';
        END IF;
        RETURN CASE WHEN EXISTS (SELECT 1 FROM stripe_events WHERE id = p_event_id) THEN 'duplicate' ELSE 'stale' END;
    END IF;

    -- Events adopted must still be kept. (Nested, so the usual case, nothing adopted, runs no query.)
    IF cardinality(p_adopted_ids) > 0 THEN
        IF (SELECT count(*) FROM stripe_events e WHERE e.id = ANY (p_adopted_ids) AND e.outcome = 'orphaned')
           <> cardinality(p_adopted_ids) THEN
            RETURN 'stale';
        END IF;
    END IF;

    -- The order is written only at the row version read, and only if no kept event naming its ids (after
    -- applying) was left out; then the event is recorded, in the same statement.
    WITH written AS (
        UPDATE orders o
        SET status = p_order_status, failure_reason = p_order_failure_reason, facts = p_order_facts,
            checkout_session_id = p_order_session_id, payment_intent_id = p_order_payment_intent_id,
            updated_at = p_order_updated_at
        WHERE o.id = p_order_id AND o.xmin::text::bigint = p_order_version
          AND NOT EXISTS (SELECT 1 FROM stripe_events e
                          WHERE e.outcome = 'orphaned' AND e.id <> p_event_id AND e.id <> ALL (p_adopted_ids)
                            AND (e.order_ref = p_order_id
                                 OR e.session_id = p_order_session_id
                                 OR e.payment_intent_id = p_order_payment_intent_id))
        RETURNING o.id),
    recorded AS (
        INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                   payment_intent_id, order_id, outcome, effect, received_at, applied_at)
        SELECT p_event_id, p_event_type, p_event_created_at, p_event_payload, NULL, p_event_order_ref,
               p_event_session_id, p_event_payment_intent_id, written.id, p_event_outcome, p_event_effect, p_at,
               p_at
        FROM written
        ON CONFLICT (id) DO NOTHING
        RETURNING 1)
    SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM recorded) INTO n_written, n_recorded;
    IF n_written = 0 THEN
        RETURN 'stale';
    END IF;
    IF n_recorded = 0 THEN
        -- Another delivery of this event committed after the read: undo the order's update with the statement.
        RAISE EXCEPTION 'event % is already recorded', p_event_id USING ERRCODE = 'PY001';
    END IF;

    IF cardinality(p_adopted_ids) > 0 THEN
        UPDATE stripe_events e
        SET order_id = p_order_id, outcome = a.outcome, effect = a.effect::jsonb, applied_at = p_at, event = NULL
        FROM unnest(p_adopted_ids, p_adopted_outcomes, p_adopted_effects) AS a(id, outcome, effect)
        WHERE e.id = a.id;
    END IF;

    RETURN 'recorded';
END
$$;
