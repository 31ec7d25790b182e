-- Signed-in users and the product catalog: the SQLite twin of migrations/postgres/0002_catalog_users.sql, with
-- the same tables, columns and meaning (types mapped as in 0001_init.sql; booleans are INTEGER 0 or 1).

-- The user (a token's `sub`) who placed the order; NULL for a guest checkout.
ALTER TABLE orders ADD COLUMN user_id TEXT;
-- list_orders_of_user pages one user's orders newest first, ties by id (a backward scan of this index).
-- Guest orders are never listed by user, so they stay out of it.
CREATE INDEX orders_user_id_created_at_id_idx ON orders (user_id, created_at, id) WHERE user_id IS NOT NULL;

-- The catalog product and price a line sold at, when it came from the catalog (a paid order grants them).
-- No foreign keys: a line keeps what was sold, as it was sold (its own name and amount), whatever the
-- catalog does later; the catalog is never deleted from anyway.
ALTER TABLE order_items ADD COLUMN sku TEXT;
-- A reference names both the product and the price, or nothing (SQLite adds a table's CHECK only with a
-- column, so it rides on the second one).
ALTER TABLE order_items ADD COLUMN price_id TEXT
    CONSTRAINT order_items_catalog_ref CHECK ((sku IS NULL) = (price_id IS NULL));

CREATE TABLE products (
    -- The catalog's id for it, stable across databases and Stripe accounts.
    sku               TEXT    NOT NULL PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 64),
    name              TEXT    NOT NULL,
    description       TEXT,
    image_url         TEXT,
    -- A product the catalog file no longer lists is made inactive, never deleted: orders refer to it.
    active            INTEGER NOT NULL CHECK (active IN (0, 1)),
    -- Set by the sync once Stripe created the product; one Stripe product per SKU.
    stripe_product_id TEXT    UNIQUE,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
) STRICT;

CREATE TABLE prices (
    -- The catalog's id for the price, unique across the whole catalog (as Stripe's lookup keys are).
    id                       TEXT    NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    sku                      TEXT    NOT NULL REFERENCES products (sku),
    -- Where the price stands in its product's list: list_products returns prices in catalog order. Not
    -- unique: an upsert renumbers a product's prices one row at a time.
    position                 INTEGER NOT NULL CHECK (position >= 0),
    unit_amount_minor        INTEGER NOT NULL CHECK (unit_amount_minor > 0),
    currency                 TEXT    NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^a-z]*'),
    -- NULL for a one-time price; otherwise how often it charges.
    recurring_interval       TEXT    CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
    recurring_interval_count INTEGER CHECK (recurring_interval_count BETWEEN 1 AND 365),
    -- A price missing from an upserted product is kept (orders refer to it) but made inactive.
    active                   INTEGER NOT NULL CHECK (active IN (0, 1)),
    -- Set by the sync once Stripe created the price; cleared when the amount, currency or recurrence
    -- changes, since Stripe prices are immutable and the next sync creates a new one.
    stripe_price_id          TEXT    UNIQUE,
    created_at               TEXT    NOT NULL,
    updated_at               TEXT    NOT NULL,
    -- A recurrence has both its unit and its count, or it is a one-time price.
    CONSTRAINT prices_recurrence CHECK ((recurring_interval IS NULL) = (recurring_interval_count IS NULL))
) STRICT;

-- list_products reads each product's prices in catalog order.
CREATE INDEX prices_sku_position_idx ON prices (sku, position);

CREATE TABLE customers (
    -- One Stripe customer per user: the first one stored wins, so racing first checkouts share it.
    user_id            TEXT NOT NULL PRIMARY KEY,
    stripe_customer_id TEXT NOT NULL UNIQUE,
    -- The email the customer was created with at Stripe.
    email              TEXT NOT NULL,
    created_at         TEXT NOT NULL
) STRICT;
