-- Webhook writes planned by the domain (crates/domain/src/model/plan.rs), committed here only if what they were
-- planned on still holds: payments_commit replaces payments_record_event (0003) and payments_record_events
-- (0004), which decided what an event does in SQL.

-- The body of each event is kept as the text received (jsonb reordered it, and refused some valid JSON).
ALTER TABLE stripe_events ALTER COLUMN payload TYPE text USING payload::text;

-- An event from another Stripe mode or account is refused without an order (a refusal for naming another
-- order's ids still has one). Added NOT VALID, so no scan of the table under this lock: 0006 validates it.
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_outcome_columns;
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_outcome_columns CHECK (
    (order_id IS NOT NULL) = (applied_at IS NOT NULL AND effect IS NOT NULL)
    AND (outcome NOT IN ('applied', 'ignored') OR order_id IS NOT NULL)
    AND (outcome NOT IN ('orphaned', 'stored') OR order_id IS NULL)
    AND (outcome <> 'orphaned' OR event IS NOT NULL)
) NOT VALID;

DROP FUNCTION payments_record_event(text, text, timestamptz, jsonb, jsonb, uuid, text, text, timestamptz, bigint[],
                                    uuid, bigint, text, text, jsonb, text, text, timestamptz, text, jsonb, text[],
                                    text[], text[]);
DROP FUNCTION payments_record_events(text[], text[], timestamptz[], text[], uuid[], text[], text[], timestamptz[],
                                     bigint[], uuid[], bigint[], text[], text[], text[], text[], text[],
                                     timestamptz[], text[], text[]);

-- One cycle of the webhook's writer (crates/postgres/src/cycle.rs), in one round trip and one transaction:
-- first it commits a group of planned writes, then it loads what a group of events needs (which sees those
-- writes), so each event is loaded in one cycle and committed in a later one, and each cycle carries both.
--
-- Commit: one element per write in parallel arrays,
-- the adopted events of every element flattened into the p_adopted_* arrays (p_adopted_ns: the element each
-- belongs to, 1-based). No two elements touch one id (the service splits a group that would), so each
-- element's checks see what was committed before, and none of the group's own writes.
--   1. Takes the advisory locks `p_lock_keys` (every element's ids, ascending) before anything else: every
--      write to an order, and every kept event, takes the locks of the ids it touches, so whatever a check
--      below reads was committed by a transaction that has ended.
--   2. Per element: 'duplicate' if its event id is recorded; else, by kind,
--        'plain':  an order change with its event and no adopted event (the usual one, in a leaner statement),
--                  as 'order' below;
--        'stored': the event is recorded;
--        'kept':   the event is kept, unless an order has an id it names ('stale');
--        'order':  the order is written and its event recorded as applied, and its adopted events marked
--                  applied, only if the order still has the row version planned on, every adopted event is
--                  still kept, and no other kept event names one of the order's ids; otherwise 'stale'.
--      'busy' when another transaction holds its order's row (not waited for); 'done' when written. A 'stale',
--      'busy' or 'duplicate' element writes nothing.
--   3. Answers in the elements' order (`answers`).
-- Load: one element per load in parallel arrays (the event id whose being recorded is asked, the order id,
-- session and payment intent to find the order by, and more ids to find kept events by); answers one JSON text
-- per load, in order (`loaded`): whether the event id is recorded, the order (by order id, else session, else
-- payment intent) with its row version (xmin), and the kept events naming the load's ids or the order's, oldest
-- first. Loading takes no lock: the next cycle's commit checks that what was loaded still holds.
-- An event id recorded by a transaction that took none of these locks (the same id sent with other ids) can
-- still be found only when inserting: then SQLSTATE PY001 undoes the whole call, and every element is stale.
CREATE FUNCTION payments_cycle(
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
    p_adopted_effects text[],
    p_load_event_ids text[],
    p_load_order_refs uuid[],
    p_load_session_ids text[],
    p_load_payment_intent_ids text[],
    p_load_also_orders uuid[],
    p_load_also_sessions text[],
    p_load_also_intents text[],
    OUT answers text[],
    OUT loaded text[]
)
LANGUAGE plpgsql
-- Its plans are made once per connection and kept: made while the tables were small, they would scan them
-- whole once they are not. Every lookup here has an index; keep the planner to it. And keep the plans: its
-- statements take the function's arrays as parameters, for which the planner would otherwise plan each call
-- again (most of a small call's cost).
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    n_lost bigint;
    n_plain int;
    free_orders uuid[];
    plain_ns bigint[];
    plain_answers text[];
    other_ns bigint[];
    other_answers text[];
BEGIN
    IF cardinality(p_kinds) > 0 THEN
        PERFORM count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM unnest(p_lock_keys) AS k) AS taken;
        n_plain := cardinality(array_positions(p_kinds, 'plain'));
        -- The orders to write, locked now; one another transaction holds is skipped, not waited for: its
        -- write answers 'busy', and no other write of the group waits for it.
        SELECT coalesce(array_agg(f.id), '{}') INTO free_orders
        FROM (SELECT o.id FROM orders o WHERE o.id = ANY (p_order_ids) FOR UPDATE SKIP LOCKED) AS f;
    END IF;

    -- The usual write, an event applied to its order adopting nothing ('plain'), in a lean statement.
    IF n_plain > 0 THEN
        WITH input AS (
            SELECT *
            FROM unnest(p_kinds, p_ats, p_event_ids, p_event_types, p_event_createds, p_payloads, p_order_refs,
                        p_session_ids, p_payment_intent_ids, p_outcomes, p_effects, p_order_ids, p_versions,
                        p_statuses, p_failure_reasons, p_facts, p_order_session_ids, p_order_payment_intent_ids,
                        p_order_updated_ats)
                 WITH ORDINALITY AS i(kind, at, event_id, event_type, created_at, payload, order_ref, session_id,
                                      payment_intent_id, outcome, effect, order_id, version, status, failure_reason,
                                      facts, order_session_id, order_payment_intent_id, updated_at, n)
            WHERE kind = 'plain'),
        known AS (
            SELECT i.n FROM input i WHERE EXISTS (SELECT 1 FROM stripe_events e WHERE e.id = i.event_id)),
        written AS (
            UPDATE orders o
            SET status = i.status, failure_reason = i.failure_reason, facts = i.facts::jsonb,
                checkout_session_id = i.order_session_id, payment_intent_id = i.order_payment_intent_id,
                updated_at = i.updated_at
            FROM input i
            WHERE o.id = i.order_id AND o.xmin::text::bigint = i.version AND i.order_id = ANY (free_orders)
              AND NOT EXISTS (SELECT 1 FROM known k WHERE k.n = i.n)
              AND NOT EXISTS (SELECT 1 FROM stripe_events e
                              WHERE e.outcome = 'orphaned' AND e.order_ref = i.order_id AND e.id <> i.event_id)
              AND NOT EXISTS (SELECT 1 FROM stripe_events e
                              WHERE e.outcome = 'orphaned' AND e.session_id = i.order_session_id
                                AND e.id <> i.event_id)
              AND NOT EXISTS (SELECT 1 FROM stripe_events e
                              WHERE e.outcome = 'orphaned' AND e.payment_intent_id = i.order_payment_intent_id
                                AND e.id <> i.event_id)
            RETURNING i.n),
        recorded AS (
            INSERT INTO stripe_events (id, type, created_at, payload, event, order_ref, session_id,
                                       payment_intent_id, order_id, outcome, effect, received_at, applied_at)
            SELECT i.event_id, i.event_type, i.created_at, i.payload, NULL, i.order_ref, i.session_id,
                   i.payment_intent_id, i.order_id, i.outcome, i.effect::jsonb, i.at, i.at
            FROM input i JOIN written w ON w.n = i.n
            ON CONFLICT (id) DO NOTHING
            RETURNING 1)
        SELECT array_agg(i.n ORDER BY i.n),
               array_agg(CASE WHEN k.n IS NOT NULL THEN 'duplicate'
                              WHEN w.n IS NOT NULL THEN 'done'
                              WHEN NOT i.order_id = ANY (free_orders) THEN 'busy'
                              ELSE 'stale' END ORDER BY i.n),
               (SELECT count(*) FROM written) - (SELECT count(*) FROM recorded)
        INTO plain_ns, plain_answers, n_lost
        FROM input i
        LEFT JOIN known k ON k.n = i.n
        LEFT JOIN written w ON w.n = i.n;
        IF n_lost <> 0 THEN
            RAISE EXCEPTION 'an event of the group is recorded already' USING ERRCODE = 'PY001';
        END IF;
    END IF;

    -- Every other write: events stored or kept, order changes that adopt kept events or come with no event.
    IF n_plain < cardinality(p_kinds) THEN
        WITH input AS (
            SELECT *
            FROM unnest(p_kinds, p_ats, p_event_ids, p_event_types, p_event_createds, p_payloads, p_event_records,
                        p_order_refs, p_session_ids, p_payment_intent_ids, p_outcomes, p_effects, p_order_ids,
                        p_versions, p_statuses, p_failure_reasons, p_facts, p_order_session_ids,
                        p_order_payment_intent_ids, p_order_updated_ats, p_adopted_counts)
                 WITH ORDINALITY AS i(kind, at, event_id, event_type, created_at, payload, record, order_ref,
                                      session_id, payment_intent_id, outcome, effect, order_id, version, status,
                                      failure_reason, facts, order_session_id, order_payment_intent_id, updated_at,
                                      adopted_count, n)
            WHERE kind <> 'plain'),
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
            WHERE i.kind = 'order' AND i.order_id = ANY (free_orders)
              AND EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id AND o.xmin::text::bigint = i.version)
              AND (SELECT count(*) FROM adopted a JOIN stripe_events e ON e.id = a.id AND e.outcome = 'orphaned'
                   WHERE a.n = i.n) = i.adopted_count
              -- One lookup per id, each on its index of kept events.
              AND NOT EXISTS (
                  SELECT 1 FROM stripe_events e
                  WHERE e.outcome = 'orphaned' AND e.order_ref = i.order_id AND e.id IS DISTINCT FROM i.event_id
                    AND NOT EXISTS (SELECT 1 FROM adopted a WHERE a.n = i.n AND a.id = e.id))
              AND NOT EXISTS (
                  SELECT 1 FROM stripe_events e
                  WHERE e.outcome = 'orphaned' AND e.session_id = i.order_session_id
                    AND e.id IS DISTINCT FROM i.event_id
                    AND NOT EXISTS (SELECT 1 FROM adopted a WHERE a.n = i.n AND a.id = e.id))
              AND NOT EXISTS (
                  SELECT 1 FROM stripe_events e
                  WHERE e.outcome = 'orphaned' AND e.payment_intent_id = i.order_payment_intent_id
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
        SELECT array_agg(i.n ORDER BY i.n),
               array_agg(CASE WHEN k.n IS NOT NULL THEN 'duplicate'
                              WHEN d.n IS NOT NULL THEN 'done'
                              WHEN i.kind = 'order' AND NOT i.order_id = ANY (free_orders) THEN 'busy'
                              ELSE 'stale' END ORDER BY i.n),
               (SELECT count(*) FROM input i JOIN done d ON d.n = i.n WHERE i.event_id IS NOT NULL)
                   - (SELECT count(*) FROM recorded)
        INTO other_ns, other_answers, n_lost
        FROM input i
        LEFT JOIN known k ON k.n = i.n
        LEFT JOIN done d ON d.n = i.n;
        IF n_lost <> 0 THEN
            RAISE EXCEPTION 'an event of the group is recorded already' USING ERRCODE = 'PY001';
        END IF;
    END IF;

    answers := CASE
        WHEN other_ns IS NULL THEN plain_answers
        WHEN plain_ns IS NULL THEN other_answers
        ELSE (SELECT array_agg(a.answer ORDER BY a.n)
              FROM (SELECT * FROM unnest(plain_ns, plain_answers) AS p(n, answer)
                    UNION ALL SELECT * FROM unnest(other_ns, other_answers) AS o(n, answer)) AS a)
    END;

    IF cardinality(p_load_event_ids) > 0 THEN
        SELECT array_agg(l.row ORDER BY l.n) INTO loaded
        FROM (
            SELECT ev.n, json_build_object(
                'known', EXISTS (SELECT 1 FROM stripe_events WHERE id = ev.event_id),
                'order', CASE WHEN o.id IS NULL THEN NULL ELSE
                  json_build_object('id', o.id, 'email', o.email, 'user_id', o.user_id, 'amount_minor', o.amount_minor, 
                  'currency', o.currency, 'checkout_session_id', o.checkout_session_id, 
                  'payment_intent_id', o.payment_intent_id, 'facts', o.facts, 'created_at', o.created_at, 
                  'updated_at', o.updated_at, 'version', o.xmin::text::bigint, 
                  'items', (SELECT coalesce(json_agg(json_build_object( 
                  'name', i.name, 'unit_amount_minor', i.unit_amount_minor, 'currency', i.currency, 
                  'quantity', i.quantity, 'image_url', i.image_url, 'sku', i.sku, 
                  'price_id', i.price_id) ORDER BY i.position), '[]') 
                  FROM order_items i WHERE i.order_id = o.id)) END,
                'kept', (SELECT coalesce(json_agg(json_build_array(k.id, k.event) ORDER BY k.created_at, k.id), '[]')
                         FROM stripe_events k
                         WHERE k.outcome = 'orphaned' AND k.id IS DISTINCT FROM ev.event_id
                           AND (k.order_ref = ANY (ARRAY[ev.order_ref, ev.also_order, o.id])
                                OR k.session_id = ANY (ARRAY[ev.session_id, ev.also_session, o.checkout_session_id])
                                OR k.payment_intent_id = ANY (ARRAY[ev.payment_intent_id, ev.also_intent,
                                                                    o.payment_intent_id])))
            )::text AS row
            FROM unnest(p_load_event_ids, p_load_order_refs, p_load_session_ids, p_load_payment_intent_ids,
                        p_load_also_orders, p_load_also_sessions, p_load_also_intents)
                 WITH ORDINALITY AS ev(event_id, order_ref, session_id, payment_intent_id, also_order, also_session,
                                       also_intent, n)
            LEFT JOIN LATERAL (
                SELECT orders.*, orders.xmin FROM orders WHERE id = coalesce(
                    (SELECT id FROM orders WHERE id = ev.order_ref),
                    (SELECT id FROM orders WHERE checkout_session_id = ev.session_id),
                    (SELECT id FROM orders WHERE payment_intent_id = ev.payment_intent_id LIMIT 1))) AS o ON true
        ) AS l;
    END IF;
END
$$;
