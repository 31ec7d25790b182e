//! The SQL for orders: insert, read, list (all, or one user's), and lock one for a change.

use crate::error::{is_unique_violation, store_error};
use crate::rows::OrderRow;
use payments_domain::{CheckoutSessionId, EventRefs, Order, OrderId, StoreError, UserId};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, PgPool};

/// The columns of an order with its items as one JSON array in position order (alias `o` for `orders`).
macro_rules! order_columns {
    () => {
        "o.id, o.email, o.user_id, o.amount_minor, o.currency, o.status, o.checkout_session_id, \
         o.payment_intent_id, o.failure_reason, o.facts, o.created_at, o.updated_at, \
         (SELECT coalesce(jsonb_agg(jsonb_build_object( \
                     'name', i.name, 'unit_amount_minor', i.unit_amount_minor, 'currency', i.currency, \
                     'quantity', i.quantity, 'image_url', i.image_url, \
                     'sku', i.sku, 'price_id', i.price_id) ORDER BY i.position), '[]'::jsonb) \
          FROM order_items i WHERE i.order_id = o.id) AS items"
    };
}
pub(crate) use order_columns;

/// `SELECT` of an order with its items: one round trip per order.
macro_rules! select_order {
    () => {
        concat!("SELECT ", order_columns!(), " FROM orders o ")
    };
}

/// Inserts the order and its items in one statement (so atomically, without a transaction).
pub(crate) async fn insert(pool: &PgPool, order: &Order) -> Result<(), StoreError> {
    let items = &order.items;
    let positions: Vec<i32> = (0..).take(items.len()).collect();
    let names: Vec<&str> = items.iter().map(|item| item.name()).collect();
    let prices: Vec<i64> = items.iter().map(|item| item.unit_amount().minor()).collect();
    let currencies: Vec<String> =
        items.iter().map(|item| item.unit_amount().currency().to_string()).collect();
    // At most 999 (the domain's MAX_QUANTITY); a larger value would fail the column's CHECK anyway.
    let quantities: Vec<i32> =
        items.iter().map(|item| i32::try_from(item.quantity()).unwrap_or(i32::MAX)).collect();
    let images: Vec<Option<&str>> =
        items.iter().map(|item| item.image_url().map(|url| url.as_str())).collect();
    let skus: Vec<Option<&str>> =
        items.iter().map(|item| item.catalog().map(|catalog| catalog.sku.as_str())).collect();
    let price_ids: Vec<Option<&str>> =
        items.iter().map(|item| item.catalog().map(|catalog| catalog.price_id.as_str())).collect();
    sqlx::query(
        "WITH new_order AS ( \
             INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, \
                                 payment_intent_id, failure_reason, facts, created_at, updated_at, user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id) \
         INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, \
                                  image_url, sku, price_id) \
         SELECT new_order.id, item.* \
         FROM new_order, unnest($13::int[], $14::text[], $15::bigint[], $16::text[], $17::int[], \
                                $18::text[], $19::text[], $20::text[]) \
              AS item(position, name, unit_amount_minor, currency, quantity, image_url, sku, price_id)",
    )
    .bind(order.id.as_uuid())
    .bind(order.email.as_str())
    .bind(order.amount.minor())
    .bind(order.amount.currency().as_str())
    .bind(order.status.as_str())
    .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
    .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(order.failure_reason.as_deref())
    .bind(Json(&order.facts))
    .bind(order.created_at)
    .bind(order.updated_at)
    .bind(order.user_id.as_ref().map(|user| user.as_str()))
    .bind(positions)
    .bind(names)
    .bind(prices)
    .bind(currencies)
    .bind(quantities)
    .bind(images)
    .bind(skus)
    .bind(price_ids)
    .execute(pool)
    .await
    .map_err(|error| match is_unique_violation(&error, "orders_pkey") {
        true => StoreError::Duplicate(order.id),
        false => store_error(error),
    })?;
    Ok(())
}

/// The order with this id.
pub(crate) async fn find_by_id(pool: &PgPool, id: OrderId) -> Result<Option<Order>, StoreError> {
    let query = sqlx::query_as(concat!(select_order!(), "WHERE o.id = $1")).bind(id.as_uuid());
    one(pool, query).await
}

/// The order with this Checkout Session.
pub(crate) async fn find_by_session(
    pool: &PgPool,
    session_id: &CheckoutSessionId,
) -> Result<Option<Order>, StoreError> {
    let query = sqlx::query_as(concat!(select_order!(), "WHERE o.checkout_session_id = $1"))
        .bind(session_id.as_str());
    one(pool, query).await
}

/// At most `limit` orders, oldest first, ties by id.
pub(crate) async fn list(pool: &PgPool, limit: u32) -> Result<Vec<Order>, StoreError> {
    let rows: Vec<OrderRow> =
        sqlx::query_as(concat!(select_order!(), "ORDER BY o.created_at, o.id LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(store_error)?;
    rows.into_iter().map(|row| row.into_order().map_err(StoreError::Unknown)).collect()
}

/// At most `limit` of `user`'s orders, newest first, ties by id (descending).
pub(crate) async fn list_of_user(pool: &PgPool, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError> {
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        select_order!(),
        "WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2"
    ))
    .bind(user.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    rows.into_iter().map(|row| row.into_order().map_err(StoreError::Unknown)).collect()
}

/// The order with this id, locked until the transaction ends.
pub(crate) async fn lock_by_id(conn: &mut PgConnection, id: OrderId) -> Result<Option<Order>, StoreError> {
    let query = sqlx::query_as(concat!(select_order!(), "WHERE o.id = $1 FOR UPDATE")).bind(id.as_uuid());
    one(conn, query).await
}

/// The order an event names, locked until the transaction ends: by order id, else by session, else by
/// payment intent.
pub(crate) async fn lock_for_event(
    conn: &mut PgConnection,
    refs: &EventRefs,
) -> Result<Option<Order>, StoreError> {
    let query = sqlx::query_as(concat!(
        select_order!(),
        "WHERE o.id = $1 OR o.checkout_session_id = $2 OR o.payment_intent_id = $3 \
         ORDER BY (o.id = $1) IS TRUE DESC, (o.checkout_session_id = $2) IS TRUE DESC \
         LIMIT 1 FOR UPDATE"
    ))
    .bind(refs.order_id.map(|id| id.as_uuid()))
    .bind(refs.session_id.as_ref().map(|id| id.as_str()))
    .bind(refs.payment_intent_id.as_ref().map(|id| id.as_str()));
    one(conn, query).await
}

type OrderQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Postgres, OrderRow, sqlx::postgres::PgArguments>;

async fn one<'c>(executor: impl PgExecutor<'c>, query: OrderQuery<'_>) -> Result<Option<Order>, StoreError> {
    let row = query.fetch_optional(executor).await.map_err(store_error)?;
    row.map(|row| row.into_order().map_err(StoreError::Unknown)).transpose()
}
