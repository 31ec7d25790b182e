//! The SQL for orders: insert, read, list (all, or one user's), and read one inside a write transaction.

use crate::error::store_error;
use crate::rows::{json, OrderRow};
use crate::timestamp::timestamp;
use crate::write;
use payments_domain::{CheckoutSessionId, EventRefs, Order, OrderId, StoreError, UserId};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor, SqlitePool};

/// `SELECT` of an order with its items as one JSON array in position order: one statement per order.
macro_rules! select_order {
    () => {
        "SELECT o.id, o.email, o.user_id, o.amount_minor, o.currency, o.status, o.checkout_session_id, \
                o.payment_intent_id, o.failure_reason, o.facts, o.created_at, o.updated_at, \
                (SELECT json_group_array(json_object( \
                            'name', i.name, 'unit_amount_minor', i.unit_amount_minor, 'currency', i.currency, \
                            'quantity', i.quantity, 'image_url', i.image_url, \
                            'sku', i.sku, 'price_id', i.price_id) ORDER BY i.position) \
                 FROM order_items i WHERE i.order_id = o.id) AS items \
         FROM orders o "
    };
}

/// Inserts the order and its items in one write transaction; an existing id is [`StoreError::Duplicate`].
pub(crate) async fn insert(writer: &SqlitePool, order: &Order) -> Result<(), StoreError> {
    let mut tx = write::begin(writer).await?;
    let inserted = sqlx::query(
        "INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, \
                             payment_intent_id, failure_reason, facts, created_at, updated_at, user_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING",
    )
    .bind(order.id.to_string())
    .bind(order.email.as_str())
    .bind(order.amount.minor())
    .bind(order.amount.currency().as_str())
    .bind(order.status.as_str())
    .bind(order.checkout_session_id.as_ref().map(|id| id.as_str()))
    .bind(order.payment_intent_id.as_ref().map(|id| id.as_str()))
    .bind(order.failure_reason.as_deref())
    .bind(json(&order.facts, "facts")?)
    .bind(timestamp(order.created_at))
    .bind(timestamp(order.updated_at))
    .bind(order.user_id.as_ref().map(|user| user.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Duplicate(order.id));
    }
    // At most 100 items of 9 values: well under SQLite's limit of bound parameters.
    let mut items = QueryBuilder::<Sqlite>::new(
        "INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, \
                                  image_url, sku, price_id) ",
    );
    items.push_values(order.items.iter().enumerate(), |mut row, (position, item)| {
        row.push_bind(order.id.to_string())
            .push_bind(i64::try_from(position).unwrap_or(i64::MAX))
            .push_bind(item.name().to_owned())
            .push_bind(item.unit_amount().minor())
            .push_bind(item.unit_amount().currency().as_str().to_owned())
            .push_bind(i64::from(item.quantity()))
            .push_bind(item.image_url().map(|url| url.as_str().to_owned()))
            .push_bind(item.catalog().map(|catalog| catalog.sku.as_str().to_owned()))
            .push_bind(item.catalog().map(|catalog| catalog.price_id.as_str().to_owned()));
    });
    items.build().execute(&mut *tx).await.map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}

/// The order with this id.
pub(crate) async fn find_by_id<'c>(
    executor: impl SqliteExecutor<'c>,
    id: OrderId,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query_as(concat!(select_order!(), "WHERE o.id = ?1"))
        .bind(id.to_string())
        .fetch_optional(executor)
        .await;
    one(row)
}

/// The order with this Checkout Session.
pub(crate) async fn find_by_session(
    pool: &SqlitePool,
    session_id: &CheckoutSessionId,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query_as(concat!(select_order!(), "WHERE o.checkout_session_id = ?1"))
        .bind(session_id.as_str())
        .fetch_optional(pool)
        .await;
    one(row)
}

/// At most `limit` orders, oldest first, ties by id (stored times sort as text, see `timestamp.rs`).
pub(crate) async fn list(pool: &SqlitePool, limit: u32) -> Result<Vec<Order>, StoreError> {
    let rows: Vec<OrderRow> =
        sqlx::query_as(concat!(select_order!(), "ORDER BY o.created_at, o.id LIMIT ?1"))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(store_error)?;
    rows.into_iter().map(|row| row.into_order().map_err(StoreError::Unknown)).collect()
}

/// At most `limit` of `user`'s orders, newest first, ties by id (descending).
pub(crate) async fn list_of_user(
    pool: &SqlitePool,
    user: &UserId,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        select_order!(),
        "WHERE o.user_id = ?1 ORDER BY o.created_at DESC, o.id DESC LIMIT ?2"
    ))
    .bind(user.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    rows.into_iter().map(|row| row.into_order().map_err(StoreError::Unknown)).collect()
}

/// The order an event names, inside a write transaction: by order id, else by session, else by payment
/// intent.
pub(crate) async fn find_for_event(
    conn: &mut SqliteConnection,
    refs: &EventRefs,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query_as(concat!(
        select_order!(),
        "WHERE o.id = ?1 OR o.checkout_session_id = ?2 OR o.payment_intent_id = ?3 \
         ORDER BY coalesce(o.id = ?1, 0) DESC, coalesce(o.checkout_session_id = ?2, 0) DESC \
         LIMIT 1"
    ))
    .bind(refs.order_id.map(|id| id.to_string()))
    .bind(refs.session_id.as_ref().map(|id| id.as_str()))
    .bind(refs.payment_intent_id.as_ref().map(|id| id.as_str()))
    .fetch_optional(conn)
    .await;
    one(row)
}

fn one(row: Result<Option<OrderRow>, sqlx::Error>) -> Result<Option<Order>, StoreError> {
    let row = row.map_err(store_error)?;
    row.map(|row| row.into_order().map_err(StoreError::Unknown)).transpose()
}
