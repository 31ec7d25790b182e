-- Orders, their items, and every Stripe event received (the webhook's idempotency log).

CREATE TABLE orders (
    id                  uuid        PRIMARY KEY,
    email               text        NOT NULL,
    amount_minor        bigint      NOT NULL CHECK (amount_minor >= 0),
    currency            text        NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    status              text        NOT NULL CHECK (status IN (
                                        'pending', 'paid', 'failed', 'expired', 'canceled', 'refunded',
                                        'partially_refunded', 'disputed', 'needs_review')),
    checkout_session_id text        UNIQUE,
    payment_intent_id   text,
    failure_reason      text,
    -- serde_json of the domain's PaymentFacts: the status is derived from these.
    facts               jsonb       NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

-- Events that name only a payment intent (refunds, disputes) find their order through it.
CREATE INDEX orders_payment_intent_id_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
-- list_orders pages by creation time, ties by id.
CREATE INDEX orders_created_at_id_idx ON orders (created_at, id);

CREATE TABLE order_items (
    order_id          uuid    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          integer NOT NULL CHECK (position >= 0),
    name              text    NOT NULL,
    unit_amount_minor bigint  NOT NULL CHECK (unit_amount_minor > 0),
    currency          text    NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    image_url         text,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE stripe_events (
    -- Stripe's event id: a second delivery of the same event conflicts here and changes nothing.
    id                text        PRIMARY KEY,
    type              text        NOT NULL,
    -- When Stripe created the event.
    created_at        timestamptz NOT NULL,
    -- The body as received, for audit and replays.
    payload           jsonb       NOT NULL,
    -- serde_json of the domain's PaymentEvent, so a kept (orphaned) event can be applied later.
    event             jsonb       NOT NULL,
    -- The ids the event names.
    order_ref         uuid,
    session_id        text,
    payment_intent_id text,
    -- The order the event was applied to.
    order_id          uuid        REFERENCES orders (id),
    outcome           text        NOT NULL CHECK (outcome IN ('applied', 'ignored', 'refused', 'orphaned', 'stored')),
    -- serde_json of the domain's Effect, once applied.
    effect            jsonb,
    received_at       timestamptz NOT NULL,
    applied_at        timestamptz,
    -- An event was applied to an order exactly when it has one.
    CONSTRAINT stripe_events_applied_to_an_order CHECK (
        (outcome IN ('applied', 'ignored', 'refused')) = (order_id IS NOT NULL AND applied_at IS NOT NULL AND effect IS NOT NULL)
    )
);

CREATE INDEX stripe_events_order_id_idx ON stripe_events (order_id) WHERE order_id IS NOT NULL;
-- Orphans are adopted when an order learns one of the ids they name.
CREATE INDEX stripe_events_orphans_by_order_ref ON stripe_events (order_ref) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_session ON stripe_events (session_id) WHERE outcome = 'orphaned';
CREATE INDEX stripe_events_orphans_by_payment_intent ON stripe_events (payment_intent_id) WHERE outcome = 'orphaned';
