-- Webhook writes of concurrent deliveries in one statement (crates/postgres/src/batch.rs).
--
-- The service reads, in one query, the orders a group of events names (each with its row version, xmin),
-- applies each event in memory, and calls this function with the results: one element per event, in
-- parallel arrays. Only events whose order was found, which adopt no kept event, and whose lock keys no
-- other element shares are grouped; everything else takes payments_record_event (0003) on its own.
-- The function:
--   1. takes the advisory locks `p_lock_keys` (every element's keys, ascending), before any row lock, as
--      payments_record_event does, so each sees the other's committed work;
--   2. then, for each element, in one statement: if its event id is recorded by now, answers 'duplicate';
--      otherwise writes its order only at the row version read and only if no kept event names the order's
--      ids (after applying), and records the event as applied to it ('recorded'); else answers 'stale',
--      writing nothing for it (the service reads that one again, on its own);
--   3. returns the answers in the elements' order.
-- An event id that turns out to be recorded after its order was written (only a transaction that had not
-- committed at the check can do that) raises SQLSTATE PY001: the whole call is undone and the service
-- writes each event on its own.
CREATE FUNCTION payments_record_events(
    p_event_ids text[],
    p_event_types text[],
    p_event_created_ats timestamptz[],
    -- Raw payloads, as text: each is cast to jsonb.
    p_event_payloads text[],
    p_event_order_refs uuid[],
    p_event_session_ids text[],
    p_event_payment_intent_ids text[],
    p_ats timestamptz[],
    p_lock_keys bigint[],
    p_order_ids uuid[],
    p_order_versions bigint[],
    p_order_statuses text[],
    p_order_failure_reasons text[],
    p_order_facts text[],
    p_order_session_ids text[],
    p_order_payment_intent_ids text[],
    p_order_updated_ats timestamptz[],
    p_event_outcomes text[],
    p_event_effects text[]
) RETURNS text[]
LANGUAGE plpgsql
-- Its plans are made once per connection and kept: made while the tables were small, they would scan them
-- whole once they are not. Every lookup here has an index; keep the planner to it.
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    answers text[];
    n_lost bigint;
BEGIN
    PERFORM count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM unnest(p_lock_keys) AS k) AS taken;

    WITH input AS (
        SELECT *
        FROM unnest(p_event_ids, p_event_types, p_event_created_ats, p_event_payloads, p_event_order_refs,
                    p_event_session_ids, p_event_payment_intent_ids, p_ats, p_order_ids, p_order_versions,
                    p_order_statuses, p_order_failure_reasons, p_order_facts, p_order_session_ids,
                    p_order_payment_intent_ids, p_order_updated_ats, p_event_outcomes, p_event_effects)
             WITH ORDINALITY AS i(event_id, event_type, created_at, payload, order_ref, session_id,
                                  payment_intent_id, at, order_id, version, status, failure_reason, facts,
                                  order_session_id, order_payment_intent_id, updated_at, outcome, effect, n)),
    known AS (
        SELECT i.n FROM input i WHERE EXISTS (SELECT 1 FROM stripe_events e WHERE e.id = i.event_id)),
    written AS (
        UPDATE orders o
        SET status = i.status, failure_reason = i.failure_reason, facts = i.facts::jsonb,
            checkout_session_id = i.order_session_id, payment_intent_id = i.order_payment_intent_id,
            updated_at = i.updated_at
        FROM input i
        WHERE o.id = i.order_id AND o.xmin::text::bigint = i.version
          AND NOT EXISTS (SELECT 1 FROM known k WHERE k.n = i.n)
          AND NOT EXISTS (SELECT 1 FROM stripe_events e
                          WHERE e.outcome = 'orphaned' AND e.id <> i.event_id
                            AND (e.order_ref = i.order_id
                                 OR e.session_id = i.order_session_id
                                 OR e.payment_intent_id = i.order_payment_intent_id))
        RETURNING i.n),
    recorded AS (
        INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                   payment_intent_id, order_id, outcome, effect, received_at, applied_at)
        SELECT i.event_id, i.event_type, i.created_at, i.payload::jsonb, NULL, i.order_ref, i.session_id,
               i.payment_intent_id, i.order_id, i.outcome, i.effect::jsonb, i.at, i.at
        FROM input i JOIN written w ON w.n = i.n
        ON CONFLICT (id) DO NOTHING
        RETURNING 1)
    SELECT array_agg(CASE WHEN k.n IS NOT NULL THEN 'duplicate'
                          WHEN w.n IS NOT NULL THEN 'recorded'
                          ELSE 'stale' END ORDER BY i.n),
           (SELECT count(*) FROM written) - (SELECT count(*) FROM recorded)
    INTO answers, n_lost
    FROM input i
    LEFT JOIN known k ON k.n = i.n
    LEFT JOIN written w ON w.n = i.n;
    IF n_lost <> 0 THEN
        RAISE EXCEPTION 'an event of the group is already recorded' USING ERRCODE = 'PY001';
    END IF;
    RETURN answers;
END
$$;

-- The same for the one-event write: its lookups all have indexes too.
ALTER FUNCTION payments_record_event(text, text, timestamptz, jsonb, jsonb, uuid, text, text, timestamptz, bigint[],
                                     uuid, bigint, text, text, jsonb, text, text, timestamptz, text, jsonb, text[],
                                     text[], text[])
    SET enable_seqscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off;
