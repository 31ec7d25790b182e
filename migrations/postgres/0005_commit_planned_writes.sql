-- Webhook writes planned by the domain (crates/domain/src/model/plan.rs), committed here only if what they were
-- planned on still holds: payments_commit replaces payments_record_event (0003) and payments_record_events
-- (0004), which decided what an event does in SQL.

-- The body of each event is kept as the text received (jsonb reordered it, and refused some valid JSON).
ALTER TABLE stripe_events ALTER COLUMN payload TYPE text USING payload::text;

DROP FUNCTION payments_record_event(text, text, timestamptz, jsonb, jsonb, uuid, text, text, timestamptz, bigint[],
                                    uuid, bigint, text, text, jsonb, text, text, timestamptz, text, jsonb, text[],
                                    text[], text[]);
DROP FUNCTION payments_record_events(text[], text[], timestamptz[], text[], uuid[], text[], text[], timestamptz[],
                                     bigint[], uuid[], bigint[], text[], text[], text[], text[], text[],
                                     timestamptz[], text[], text[]);

-- Commits a group of planned writes (crates/postgres/src/commit.rs), one element per write in parallel arrays,
-- the adopted events of every element flattened into the p_adopted_* arrays (p_adopted_ns: the element each
-- belongs to, 1-based). No two elements touch one id (the service splits a group that would), so each
-- element's checks see what was committed before, and none of the group's own writes.
--   1. Takes the advisory locks `p_lock_keys` (every element's ids, ascending) before anything else: every
--      write to an order, and every kept event, takes the locks of the ids it touches, so whatever a check
--      below reads was committed by a transaction that has ended.
--   2. Per element: 'duplicate' if its event id is recorded; else, by kind,
--        'stored': the event is recorded;
--        'kept':   the event is kept, unless an order has an id it names ('stale');
--        'order':  the order is written and its event recorded as applied, and its adopted events marked
--                  applied, only if the order still has the row version planned on, every adopted event is
--                  still kept, and no other kept event names one of the order's ids; otherwise 'stale'.
--      'done' when written. A 'stale' or 'duplicate' element writes nothing.
--   3. Returns the answers in the elements' order.
-- An event id recorded by a transaction that took none of these locks (the same id sent with other ids) can
-- still be found only when inserting: then SQLSTATE PY001 undoes the whole call, and every element is stale.
CREATE FUNCTION payments_commit(
    p_lock_keys bigint[],
    p_kinds text[],
    p_ats timestamptz[],
    p_event_ids text[],
    p_event_types text[],
    p_event_createds timestamptz[],
    p_payloads text[],
    p_event_records text[],
    p_order_refs uuid[],
    p_session_ids text[],
    p_payment_intent_ids text[],
    p_outcomes text[],
    p_effects text[],
    p_order_ids uuid[],
    p_versions bigint[],
    p_statuses text[],
    p_failure_reasons text[],
    p_facts text[],
    p_order_session_ids text[],
    p_order_payment_intent_ids text[],
    p_order_updated_ats timestamptz[],
    p_adopted_counts int[],
    p_adopted_ns int[],
    p_adopted_ids text[],
    p_adopted_outcomes text[],
    p_adopted_effects text[]
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
        FROM unnest(p_kinds, p_ats, p_event_ids, p_event_types, p_event_createds, p_payloads, p_event_records,
                    p_order_refs, p_session_ids, p_payment_intent_ids, p_outcomes, p_effects, p_order_ids,
                    p_versions, p_statuses, p_failure_reasons, p_facts, p_order_session_ids,
                    p_order_payment_intent_ids, p_order_updated_ats, p_adopted_counts)
             WITH ORDINALITY AS i(kind, at, event_id, event_type, created_at, payload, record, order_ref,
                                  session_id, payment_intent_id, outcome, effect, order_id, version, status,
                                  failure_reason, facts, order_session_id, order_payment_intent_id, updated_at,
                                  adopted_count, n)),
    adopted AS (
        SELECT * FROM unnest(p_adopted_ns, p_adopted_ids, p_adopted_outcomes, p_adopted_effects)
                      AS a(n, id, outcome, effect)),
    known AS (
        SELECT i.n FROM input i
        WHERE i.event_id IS NOT NULL AND EXISTS (SELECT 1 FROM stripe_events e WHERE e.id = i.event_id)),
    fresh AS (
        SELECT i.* FROM input i WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.n = i.n)),
    -- (Data-modifying CTEs run whether or not the final SELECT reads them.)
    holding AS (
        SELECT i.n FROM fresh i
        WHERE i.kind = 'order'
          AND EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id AND o.xmin::text::bigint = i.version)
          AND (SELECT count(*) FROM adopted a JOIN stripe_events e ON e.id = a.id AND e.outcome = 'orphaned'
               WHERE a.n = i.n) = i.adopted_count
          AND NOT EXISTS (
              SELECT 1 FROM stripe_events e
              WHERE e.outcome = 'orphaned'
                AND (e.order_ref = i.order_id OR e.session_id = i.order_session_id
                     OR e.payment_intent_id = i.order_payment_intent_id)
                AND e.id IS DISTINCT FROM i.event_id
                AND NOT EXISTS (SELECT 1 FROM adopted a WHERE a.n = i.n AND a.id = e.id))),
    keeping AS (
        SELECT i.n FROM fresh i
        WHERE i.kind = 'kept'
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_ref)
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.checkout_session_id = i.session_id)
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.payment_intent_id = i.payment_intent_id)),
    done AS (
        SELECT n FROM holding
        UNION ALL SELECT n FROM keeping
        UNION ALL SELECT n FROM fresh WHERE kind = 'stored'),
    written AS (
        UPDATE orders o
        SET status = i.status, failure_reason = i.failure_reason, facts = i.facts::jsonb,
            checkout_session_id = i.order_session_id, payment_intent_id = i.order_payment_intent_id,
            updated_at = i.updated_at
        FROM input i JOIN holding h ON h.n = i.n
        WHERE o.id = i.order_id
        RETURNING i.n),
    marked AS (
        UPDATE stripe_events e
        SET order_id = i.order_id, outcome = a.outcome, effect = a.effect::jsonb, applied_at = i.at, event = NULL
        FROM adopted a JOIN holding h ON h.n = a.n JOIN input i ON i.n = a.n
        WHERE e.id = a.id
        RETURNING 1),
    recorded AS (
        INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                   payment_intent_id, order_id, outcome, effect, received_at, applied_at)
        SELECT i.event_id, i.event_type, i.created_at, i.payload, i.record::jsonb, i.order_ref, i.session_id,
               i.payment_intent_id, CASE WHEN i.kind = 'order' THEN i.order_id END, i.outcome,
               i.effect::jsonb, i.at, CASE WHEN i.kind = 'order' THEN i.at END
        FROM input i JOIN done d ON d.n = i.n
        WHERE i.event_id IS NOT NULL
        ON CONFLICT (id) DO NOTHING
        RETURNING 1)
    SELECT array_agg(CASE WHEN k.n IS NOT NULL THEN 'duplicate'
                          WHEN d.n IS NOT NULL THEN 'done'
                          ELSE 'stale' END ORDER BY i.n),
           (SELECT count(*) FROM input i JOIN done d ON d.n = i.n WHERE i.event_id IS NOT NULL)
               - (SELECT count(*) FROM recorded)
    INTO answers, n_lost
    FROM input i
    LEFT JOIN known k ON k.n = i.n
    LEFT JOIN done d ON d.n = i.n;
    IF n_lost <> 0 THEN
        RAISE EXCEPTION 'an event of the group is recorded already' USING ERRCODE = 'PY001';
    END IF;
    RETURN answers;
END
$$;
