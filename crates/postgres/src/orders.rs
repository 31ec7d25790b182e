//! The SQL for orders and received events: insert an order, read orders, and load and commit what the
//! webhook's rule plans (`cycle.rs`).

use crate::dialect::PgDialect;
use crate::error::is_unique_violation;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::{Committed, Load, Order};
use payments_sql_store::records::{to_json, FactsRecord};
use payments_sql_store::{Change, OrderQuery, OrderSql};

/// An order with its items and row version as one JSON object (`OrderRow`), from `orders o`.
macro_rules! order_json {
    () => {
        "json_build_object('id', o.id, 'email', o.email, 'user_id', o.user_id, 'amount_minor', o.amount_minor, \
             'currency', o.currency, 'checkout_session_id', o.checkout_session_id, \
             'payment_intent_id', o.payment_intent_id, 'facts', o.facts, 'created_at', o.created_at, \
             'updated_at', o.updated_at, 'version', o.xmin::text::bigint, \
             'items', (SELECT coalesce(json_agg(json_build_object( \
                           'name', i.name, 'unit_amount_minor', i.unit_amount_minor, 'currency', i.currency, \
                           'quantity', i.quantity, 'image_url', i.image_url, 'sku', i.sku, \
                           'price_id', i.price_id) ORDER BY i.position), '[]') \
                       FROM order_items i WHERE i.order_id = o.id))"
    };
}

#[async_trait]
impl OrderSql for PgDialect {
    /// Inserts the order and its items in one statement (so atomically, without a transaction).
    async fn insert_order(&self, order: &Order) -> Result<bool, sqlx::Error> {
        let items = order.items();
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
            items.iter().map(|item| item.catalog().map(|c| c.sku.as_str())).collect();
        let price_ids: Vec<Option<&str>> =
            items.iter().map(|item| item.catalog().map(|c| c.price_id.as_str())).collect();
        let inserted = sqlx::query(
            "WITH new_order AS ( \
                 INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, \
                                     payment_intent_id, failure_reason, facts, created_at, updated_at, user_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12) RETURNING id) \
             INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, \
                                      image_url, sku, price_id) \
             SELECT new_order.id, item.* \
             FROM new_order, unnest($13::int[], $14::text[], $15::bigint[], $16::text[], $17::int[], \
                                    $18::text[], $19::text[], $20::text[]) \
                  AS item(position, name, unit_amount_minor, currency, quantity, image_url, sku, price_id)",
        )
        .bind(order.id().as_uuid())
        .bind(order.email().as_str())
        .bind(order.amount().minor())
        .bind(order.amount().currency().as_str())
        .bind(order.status().as_str())
        .bind(order.checkout_session_id().map(|id| id.as_str()))
        .bind(order.payment_intent_id().map(|id| id.as_str()))
        .bind(order.failure_reason())
        .bind(to_json(&FactsRecord::from(order.facts())))
        .bind(order.created_at())
        .bind(order.updated_at())
        .bind(order.user_id().map(|user| user.as_str()))
        .bind(positions)
        .bind(names)
        .bind(prices)
        .bind(currencies)
        .bind(quantities)
        .bind(images)
        .bind(skus)
        .bind(price_ids)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(error) if is_unique_violation(&error, "orders_pkey") => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn orders(&self, query: OrderQuery<'_>) -> Result<Vec<String>, sqlx::Error> {
        macro_rules! select {
            ($rest:literal) => {
                concat!("SELECT ", order_json!(), "::text FROM orders o ", $rest)
            };
        }
        let query = match query {
            OrderQuery::Id(id) => sqlx::query_scalar(select!("WHERE o.id = $1")).bind(id.as_uuid()),
            OrderQuery::Session(session) => {
                sqlx::query_scalar(select!("WHERE o.checkout_session_id = $1")).bind(session.as_str())
            }
            OrderQuery::All { limit } => {
                sqlx::query_scalar(select!("ORDER BY o.created_at, o.id LIMIT $1")).bind(i64::from(limit))
            }
            OrderQuery::OfUser { user, limit } => sqlx::query_scalar(select!(
                "WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2"
            ))
            .bind(user.as_str())
            .bind(i64::from(limit)),
        };
        query.fetch_all(&self.pool).await
    }

    async fn load(&self, loads: &[Load]) -> Result<Vec<String>, sqlx::Error> {
        Ok(crate::cycle::cycle(self, loads, &[]).await?.0)
    }

    async fn orphans(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>, i64)>, sqlx::Error> {
        // The count is taken over every matching row before LIMIT keeps the oldest.
        sqlx::query_as(
            "SELECT id, received_at, count(*) OVER () FROM stripe_events \
             WHERE outcome = 'orphaned' AND received_at < $1 ORDER BY received_at, id LIMIT 1",
        )
        .bind(before)
        .fetch_optional(&self.pool)
        .await
    }

    async fn commit(&self, changes: &[Change]) -> Result<Vec<Committed>, sqlx::Error> {
        Ok(crate::cycle::cycle(self, &[], changes).await?.1)
    }

    async fn cycle(
        &self,
        loads: &[Load],
        changes: &[Change],
    ) -> Result<(Vec<String>, Vec<Committed>), sqlx::Error> {
        crate::cycle::cycle(self, loads, changes).await
    }
}
