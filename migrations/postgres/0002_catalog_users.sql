-- Signed-in users and the product catalog: who placed an order, which catalog price each line sold at, the
-- catalog itself (products and their prices, with the Stripe ids a sync created), and the Stripe customer
-- kept per user.

-- The user (a token's `sub`) who placed the order; NULL for a guest checkout.
ALTER TABLE orders ADD COLUMN user_id text;
-- list_orders_of_user pages one user's orders newest first, ties by id (a backward scan of this index).
-- Guest orders are never listed by user, so they stay out of it.
CREATE INDEX orders_user_id_created_at_id_idx ON orders (user_id, created_at, id) WHERE user_id IS NOT NULL;

-- The catalog product and price a line sold at, when it came from the catalog (a paid order grants them).
-- No foreign keys: a line keeps what was sold, as it was sold (its own name and amount), whatever the
-- catalog does later; the catalog is never deleted from anyway.
ALTER TABLE order_items
    ADD COLUMN sku      text,
    ADD COLUMN price_id text,
    -- A reference names both the product and the price, or nothing.
    ADD CONSTRAINT order_items_catalog_ref CHECK ((sku IS NULL) = (price_id IS NULL));

CREATE TABLE products (
    -- The catalog's id for it, stable across databases and Stripe accounts.
    sku               text        PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 64),
    name              text        NOT NULL,
    description       text,
    image_url         text,
    -- A product the catalog file no longer lists is made inactive, never deleted: orders refer to it.
    active            boolean     NOT NULL,
    -- Set by the sync once Stripe created the product; one Stripe product per SKU.
    stripe_product_id text        UNIQUE,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE prices (
    -- The catalog's id for the price, unique across the whole catalog (as Stripe's lookup keys are).
    id                       text        PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    sku                      text        NOT NULL REFERENCES products (sku),
    -- Where the price stands in its product's list: list_products returns prices in catalog order. Not
    -- unique: an upsert renumbers a product's prices one row at a time.
    position                 integer     NOT NULL CHECK (position >= 0),
    unit_amount_minor        bigint      NOT NULL CHECK (unit_amount_minor > 0),
    currency                 text        NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    -- NULL for a one-time price; otherwise how often it charges.
    recurring_interval       text        CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
    recurring_interval_count integer     CHECK (recurring_interval_count BETWEEN 1 AND 365),
    -- A price missing from an upserted product is kept (orders refer to it) but made inactive.
    active                   boolean     NOT NULL,
    -- Set by the sync once Stripe created the price; cleared when the amount, currency or recurrence
    -- changes, since Stripe prices are immutable and the next sync creates a new one.
    stripe_price_id          text        UNIQUE,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    -- A recurrence has both its unit and its count, or it is a one-time price.
    CONSTRAINT prices_recurrence CHECK ((recurring_interval IS NULL) = (recurring_interval_count IS NULL))
);

-- list_products reads each product's prices in catalog order.
CREATE INDEX prices_sku_position_idx ON prices (sku, position);

CREATE TABLE customers (
    -- One Stripe customer per user: the first one stored wins, so racing first checkouts share it.
    user_id            text        PRIMARY KEY,
    stripe_customer_id text        NOT NULL UNIQUE,
    -- The email the customer was created with at Stripe.
    email              text        NOT NULL,
    created_at         timestamptz NOT NULL
);
