-- The webhook's write in one statement (crates/postgres/src/optimistic.rs: one read, one write).
--
-- The service reads, without locks, the order an event names (with its row version, xmin) and the kept
-- events that name the order's ids, applies them in memory with the domain's transition, then calls this
-- function with the result. The function writes it only if what was read still holds:
--   1. it takes the advisory locks `p_lock_keys` (ascending: the event's ids and the order's, see locks.rs),
--      waiting as needed, before any row lock, so no orphan naming those ids can commit unseen;
--   2. without an order (`p_order_id` NULL): still no order may match the event's ids; the event is kept;
--   3. with one: the kept events naming the order's ids (after applying) must be exactly `p_adopted_ids`,
--      the order's row version must still be `p_order_version` (the update is conditional on it), and then
--      the event is inserted as applied and the adopted events are marked applied to the order.
-- It returns 'stale' when a check fails (nothing written: the service reads again), 'duplicate' when the
-- event id is already recorded (nothing written), 'recorded' otherwise. A duplicate found only after the
-- order was updated raises SQLSTATE PY001, so the statement, and with it the update, is undone.
CREATE FUNCTION payments_record_event(
    p_event_id text,
    p_event_type text,
    p_event_created_at timestamptz,
    p_event_payload jsonb,
    p_event_json jsonb,
    p_event_order_ref uuid,
    p_event_session_id text,
    p_event_payment_intent_id text,
    p_at timestamptz,
    p_lock_keys bigint[],
    p_order_id uuid,
    p_order_version bigint,
    p_order_changed boolean,
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
BEGIN
    -- unnest yields the keys in array order and each row's lock is taken as it is produced.
    PERFORM count(pg_advisory_xact_lock(k)) FROM unnest(p_lock_keys) AS k;

    IF p_order_id IS NULL THEN
        -- Kept as an orphan, unless an order matching the event's ids appeared since the read.
        IF EXISTS (SELECT 1 FROM orders o
                   WHERE o.id = p_event_order_ref
                      OR o.checkout_session_id = p_event_session_id
                      OR o.payment_intent_id = p_event_payment_intent_id) THEN
            RETURN 'stale';
        END IF;
        INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                   payment_intent_id, outcome, received_at)
        VALUES (p_event_id, p_event_type, p_event_created_at, p_event_payload, p_event_json, p_event_order_ref,
                p_event_session_id, p_event_payment_intent_id, 'orphaned', p_at)
        ON CONFLICT (id) DO NOTHING;
        RETURN CASE WHEN FOUND THEN 'recorded' ELSE 'duplicate' END;
    END IF;

    -- The kept events naming the order's ids must be exactly those adopted.
    IF EXISTS (SELECT 1 FROM stripe_events e
               WHERE e.outcome = 'orphaned' AND e.id <> p_event_id AND e.id <> ALL (p_adopted_ids)
                 AND (e.order_ref = p_order_id
                      OR e.session_id = p_order_session_id
                      OR e.payment_intent_id = p_order_payment_intent_id)) THEN
        RETURN 'stale';
    END IF;
    IF cardinality(p_adopted_ids) > 0
       AND (SELECT count(*) FROM stripe_events e WHERE e.id = ANY (p_adopted_ids) AND e.outcome = 'orphaned')
           <> cardinality(p_adopted_ids) THEN
        RETURN 'stale';
    END IF;

    -- The order is written (or, when unchanged, locked) only at the row version read.
    IF p_order_changed THEN
        UPDATE orders o
        SET status = p_order_status, failure_reason = p_order_failure_reason, facts = p_order_facts,
            checkout_session_id = p_order_session_id, payment_intent_id = p_order_payment_intent_id,
            updated_at = p_order_updated_at
        WHERE o.id = p_order_id AND o.xmin::text::bigint = p_order_version;
    ELSE
        PERFORM FROM orders o WHERE o.id = p_order_id AND o.xmin::text::bigint = p_order_version FOR SHARE;
    END IF;
    IF NOT FOUND THEN
        RETURN 'stale';
    END IF;

    INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id, payment_intent_id,
                               order_id, outcome, effect, received_at, applied_at)
    VALUES (p_event_id, p_event_type, p_event_created_at, p_event_payload, p_event_json, p_event_order_ref,
            p_event_session_id, p_event_payment_intent_id, p_order_id, p_event_outcome, p_event_effect, p_at, p_at)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        -- Another delivery of this event committed after the read: undo the order's update with the statement.
        RAISE EXCEPTION 'event % is already recorded', p_event_id USING ERRCODE = 'PY001';
    END IF;

    IF cardinality(p_adopted_ids) > 0 THEN
        UPDATE stripe_events e
        SET order_id = p_order_id, outcome = a.outcome, effect = a.effect::jsonb, applied_at = p_at
        FROM unnest(p_adopted_ids, p_adopted_outcomes, p_adopted_effects) AS a(id, outcome, effect)
        WHERE e.id = a.id;
    END IF;

    RETURN 'recorded';
END
$$;
