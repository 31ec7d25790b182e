-- The fulfilment outbox (crates/domain/src/model/outbox.rs): what a shop is told about its orders, written in
-- the same transaction as the order change it tells of (payments_cycle_notify below), then delivered to the
-- shop's endpoints or read from the feed.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    -- The entry's place among its order's, from 1: delivered in this order.
    sequence integer NOT NULL CHECK (sequence > 0),
    type text NOT NULL,
    -- The order view the API shows, right after the change (JSON text).
    payload text NOT NULL,
    created_at timestamptz NOT NULL,
    -- The feed's order: the writing transaction's id, then the entry's position. The feed only shows
    -- entries of transactions older than every one still running, so one committed late is never passed.
    tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    position bigint GENERATED ALWAYS AS IDENTITY,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While pending: when it is due (a claim sets it to the end of its lease).
    next_attempt_at timestamptz NOT NULL,
    -- The endpoints that answered 2xx (a JSON array of text).
    delivered_to text NOT NULL DEFAULT '[]',
    last_error text,
    delivered_at timestamptz,
    UNIQUE (order_id, sequence)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_pending_by_order ON outbox (order_id, sequence) WHERE status = 'pending';
CREATE UNIQUE INDEX outbox_feed ON outbox (tx, position);
CREATE INDEX outbox_by_status ON outbox (status, created_at, id);

-- payments_cycle (0005), then the outbox entries of every element it answered 'done', in the same
-- transaction: p_notice_ns says which element (1-based) each entry belongs to; an element's entries take the
-- next sequence numbers of its order, in the order given. No two elements of one call touch one order.
CREATE FUNCTION payments_cycle_notify(
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
    p_notice_ns int[],
    p_notice_ids uuid[],
    p_notice_types text[],
    p_notice_payloads text[],
    OUT answers text[],
    OUT loaded text[]
)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
BEGIN
    SELECT c.answers, c.loaded INTO answers, loaded
    FROM payments_cycle(p_lock_keys, p_kinds, p_ats, p_event_ids, p_event_types, p_event_createds, p_payloads,
                        p_event_records, p_order_refs, p_session_ids, p_payment_intent_ids, p_outcomes, p_effects,
                        p_order_ids, p_versions, p_statuses, p_failure_reasons, p_facts, p_order_session_ids,
                        p_order_payment_intent_ids, p_order_updated_ats, p_adopted_counts, p_adopted_ns,
                        p_adopted_ids, p_adopted_outcomes, p_adopted_effects, p_load_event_ids, p_load_order_refs,
                        p_load_session_ids, p_load_payment_intent_ids, p_load_also_orders, p_load_also_sessions,
                        p_load_also_intents) AS c;
    IF cardinality(p_notice_ns) > 0 THEN
        INSERT INTO outbox (id, order_id, sequence, type, payload, created_at, next_attempt_at)
        SELECT x.id, p_order_ids[x.n],
               coalesce((SELECT max(o.sequence) FROM outbox o WHERE o.order_id = p_order_ids[x.n]), 0)
                   + row_number() OVER (PARTITION BY x.n ORDER BY x.k),
               x.type, x.payload, p_ats[x.n], p_ats[x.n]
        FROM unnest(p_notice_ns, p_notice_ids, p_notice_types, p_notice_payloads)
             WITH ORDINALITY AS x(n, id, type, payload, k)
        WHERE answers[x.n] = 'done'
        ORDER BY x.n, x.k;
    END IF;
END
$$;
