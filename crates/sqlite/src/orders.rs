//! The SQL for orders and received events: insert an order, read orders, and load and commit what the
//! webhook's rule plans (`load.rs`, `commit.rs`).

use crate::dialect::SqliteDialect;
use crate::timestamp::timestamp;
use crate::write;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{Committed, Load, Order};
use payments_sql_store::records::{to_json, FactsRecord};
use payments_sql_store::{Change, OrderQuery, OrderSql};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// An order with its items and row version as one JSON object (`OrderRow`), from `orders o`. Subqueries
/// are wrapped in `json()`: a JSON value that comes out of a subquery is text again.
macro_rules! order_json {
    () => {
        "json_object('id', o.id, 'email', o.email, 'user_id', o.user_id, 'amount_minor', o.amount_minor, \
             'currency', o.currency, 'checkout_session_id', o.checkout_session_id, \
             'payment_intent_id', o.payment_intent_id, 'facts', json(o.facts), 'created_at', o.created_at, \
             'updated_at', o.updated_at, 'version', o.version, \
             'items', json((SELECT json_group_array(json_object( \
                                'name', i.name, 'unit_amount_minor', i.unit_amount_minor, 'currency', i.currency, \
                                'quantity', i.quantity, 'image_url', i.image_url, 'sku', i.sku, \
                                'price_id', i.price_id) ORDER BY i.position) \
                            FROM order_items i WHERE i.order_id = o.id)))"
    };
}
pub(crate) use order_json;

#[async_trait]
impl OrderSql for SqliteDialect {
    /// Inserts every order with its items in one write transaction (one sync to disk for the group).
    async fn insert_orders(&self, orders: &[Order]) -> Result<Vec<bool>, sqlx::Error> {
        let mut tx = write::begin(&self.writer).await?;
        let mut inserted = Vec::with_capacity(orders.len());
        for order in orders {
            inserted.push(insert_one(&mut tx, order).await?);
        }
        tx.commit().await.map(|()| inserted)
    }

    /// Stored times sort as text (see `timestamp.rs`), so time order is text order.
    async fn orders(&self, query: OrderQuery<'_>) -> Result<Vec<String>, sqlx::Error> {
        macro_rules! select {
            ($rest:literal) => {
                concat!("SELECT ", order_json!(), " FROM orders o ", $rest)
            };
        }
        let query = match query {
            OrderQuery::Id(id) => sqlx::query_scalar(select!("WHERE o.id = ?1")).bind(id.to_string()),
            OrderQuery::Session(session) => sqlx::query_scalar(select!("WHERE o.checkout_session_id = ?1"))
                .bind(session.as_str().to_owned()),
            OrderQuery::All { limit } => {
                sqlx::query_scalar(select!("ORDER BY o.created_at, o.id LIMIT ?1")).bind(i64::from(limit))
            }
            OrderQuery::OfUser { user, limit } => sqlx::query_scalar(select!(
                "WHERE o.user_id = ?1 ORDER BY o.created_at DESC, o.id DESC LIMIT ?2"
            ))
            .bind(user.as_str().to_owned())
            .bind(i64::from(limit)),
            OrderQuery::Pending { before, limit } => sqlx::query_scalar(select!(
                "WHERE o.status = 'pending' AND o.created_at < ?1 ORDER BY o.created_at, o.id LIMIT ?2"
            ))
            .bind(timestamp(before))
            .bind(i64::from(limit)),
        };
        query.fetch_all(&self.reader).await
    }

    async fn load(&self, loads: &[Load]) -> Result<Vec<String>, sqlx::Error> {
        crate::load::load(&self.reader, loads).await
    }

    async fn orphans(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>, i64)>, sqlx::Error> {
        // The count is taken over every matching row before LIMIT keeps the oldest.
        sqlx::query_as(
            "SELECT id, received_at, count(*) OVER () FROM stripe_events \
             WHERE outcome = 'orphaned' AND received_at < ?1 ORDER BY received_at, id LIMIT 1",
        )
        .bind(crate::timestamp::timestamp(before))
        .fetch_optional(&self.reader)
        .await
    }

    async fn commit(&self, changes: &[Change]) -> Result<Vec<Committed>, sqlx::Error> {
        crate::commit::commit(&self.writer, changes).await
    }
}

/// Inserts the order and its items unless its id exists; true when inserted.
async fn insert_one(conn: &mut SqliteConnection, order: &Order) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, \
                             payment_intent_id, failure_reason, facts, created_at, updated_at, user_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING",
    )
    .bind(order.id().to_string())
    .bind(order.email().as_str())
    .bind(order.amount().minor())
    .bind(order.amount().currency().as_str())
    .bind(order.status().as_str())
    .bind(order.checkout_session_id().map(|id| id.as_str()))
    .bind(order.payment_intent_id().map(|id| id.as_str()))
    .bind(order.failure_reason())
    .bind(to_json(&FactsRecord::from(order.facts())))
    .bind(timestamp(order.created_at()))
    .bind(timestamp(order.updated_at()))
    .bind(order.user_id().map(|user| user.as_str()))
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    // At most 100 items of 9 values: well under SQLite's limit of bound parameters.
    let mut items = QueryBuilder::<Sqlite>::new(
        "INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, \
                                  image_url, sku, price_id) ",
    );
    items.push_values(order.items().iter().enumerate(), |mut row, (position, item)| {
        row.push_bind(order.id().to_string())
            .push_bind(i64::try_from(position).unwrap_or(i64::MAX))
            .push_bind(item.name().to_owned())
            .push_bind(item.unit_amount().minor())
            .push_bind(item.unit_amount().currency().as_str().to_owned())
            .push_bind(i64::from(item.quantity()))
            .push_bind(item.image_url().map(|url| url.as_str().to_owned()))
            .push_bind(item.catalog().map(|catalog| catalog.sku.as_str().to_owned()))
            .push_bind(item.catalog().map(|catalog| catalog.price_id.as_str().to_owned()));
    });
    items.build().execute(&mut *conn).await?;
    Ok(true)
}
