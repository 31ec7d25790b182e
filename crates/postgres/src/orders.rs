//! The SQL for orders and received events: insert an order, read orders, and load and commit what the
//! webhook's rule plans (`cycle.rs`).

use crate::dialect::PgDialect;
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
    /// Inserts every order and their items in one statement: one round trip and one commit for the group.
    async fn insert_orders(&self, orders: &[Order]) -> Result<Vec<bool>, sqlx::Error> {
        // An id twice in one group: the first is inserted (or not), the later ones are duplicates.
        let mut columns = OrderColumns::default();
        let mut first = Vec::with_capacity(orders.len());
        for order in orders {
            let seen = columns.ids.contains(&order.id().as_uuid());
            first.push(!seen);
            if !seen {
                columns.push(order);
            }
        }
        let inserted: Vec<uuid::Uuid> = sqlx::query_scalar(
            "WITH new_order AS ( \
                 INSERT INTO orders (id, email, amount_minor, currency, status, checkout_session_id, \
                                     payment_intent_id, failure_reason, facts, created_at, updated_at, user_id) \
                 SELECT o.id, o.email, o.amount_minor, o.currency, o.status, o.checkout_session_id, \
                        o.payment_intent_id, o.failure_reason, o.facts::jsonb, o.created_at, o.updated_at, \
                        o.user_id \
                 FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
                             $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], \
                             $12::text[]) \
                      AS o(id, email, amount_minor, currency, status, checkout_session_id, payment_intent_id, \
                           failure_reason, facts, created_at, updated_at, user_id) \
                 ON CONFLICT (id) DO NOTHING RETURNING id), \
             new_items AS ( \
                 INSERT INTO order_items (order_id, position, name, unit_amount_minor, currency, quantity, \
                                          image_url, sku, price_id) \
                 SELECT item.* \
                 FROM unnest($13::uuid[], $14::int[], $15::text[], $16::bigint[], $17::text[], $18::int[], \
                             $19::text[], $20::text[], $21::text[]) \
                      AS item(order_id, position, name, unit_amount_minor, currency, quantity, image_url, sku, \
                              price_id) \
                 WHERE item.order_id IN (SELECT id FROM new_order)) \
             SELECT id FROM new_order",
        )
        .bind(columns.ids)
        .bind(columns.emails)
        .bind(columns.amounts)
        .bind(columns.currencies)
        .bind(columns.statuses)
        .bind(columns.sessions)
        .bind(columns.payment_intents)
        .bind(columns.failure_reasons)
        .bind(columns.facts)
        .bind(columns.created)
        .bind(columns.updated)
        .bind(columns.users)
        .bind(columns.items.order_ids)
        .bind(columns.items.positions)
        .bind(columns.items.names)
        .bind(columns.items.prices)
        .bind(columns.items.currencies)
        .bind(columns.items.quantities)
        .bind(columns.items.images)
        .bind(columns.items.skus)
        .bind(columns.items.price_ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(orders
            .iter()
            .zip(first)
            .map(|(order, first)| first && inserted.contains(&order.id().as_uuid()))
            .collect())
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
            OrderQuery::Pending { before, limit } => sqlx::query_scalar(select!(
                "WHERE o.status = 'pending' AND o.created_at < $1 ORDER BY o.created_at, o.id LIMIT $2"
            ))
            .bind(before)
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

/// Orders as column arrays, for one `unnest` insert.
#[derive(Default)]
struct OrderColumns<'a> {
    ids: Vec<uuid::Uuid>,
    emails: Vec<&'a str>,
    amounts: Vec<i64>,
    currencies: Vec<String>,
    statuses: Vec<&'a str>,
    sessions: Vec<Option<&'a str>>,
    payment_intents: Vec<Option<&'a str>>,
    failure_reasons: Vec<Option<&'a str>>,
    facts: Vec<String>,
    created: Vec<DateTime<Utc>>,
    updated: Vec<DateTime<Utc>>,
    users: Vec<Option<&'a str>>,
    items: ItemColumns<'a>,
}

/// The orders' items as column arrays, each naming its order.
#[derive(Default)]
struct ItemColumns<'a> {
    order_ids: Vec<uuid::Uuid>,
    positions: Vec<i32>,
    names: Vec<&'a str>,
    prices: Vec<i64>,
    currencies: Vec<String>,
    quantities: Vec<i32>,
    images: Vec<Option<&'a str>>,
    skus: Vec<Option<&'a str>>,
    price_ids: Vec<Option<&'a str>>,
}

impl<'a> OrderColumns<'a> {
    fn push(&mut self, order: &'a Order) {
        let id = order.id().as_uuid();
        self.ids.push(id);
        self.emails.push(order.email().as_str());
        self.amounts.push(order.amount().minor());
        self.currencies.push(order.amount().currency().to_string());
        self.statuses.push(order.status().as_str());
        self.sessions.push(order.checkout_session_id().map(|id| id.as_str()));
        self.payment_intents.push(order.payment_intent_id().map(|id| id.as_str()));
        self.failure_reasons.push(order.failure_reason());
        self.facts.push(to_json(&FactsRecord::from(order.facts())));
        self.created.push(order.created_at());
        self.updated.push(order.updated_at());
        self.users.push(order.user_id().map(|user| user.as_str()));
        for (position, item) in (0..).zip(order.items()) {
            let items = &mut self.items;
            items.order_ids.push(id);
            items.positions.push(position);
            items.names.push(item.name());
            items.prices.push(item.unit_amount().minor());
            items.currencies.push(item.unit_amount().currency().to_string());
            // At most 999 (the domain's MAX_QUANTITY); a larger value would fail the column's CHECK anyway.
            items.quantities.push(i32::try_from(item.quantity()).unwrap_or(i32::MAX));
            items.images.push(item.image_url().map(|url| url.as_str()));
            items.skus.push(item.catalog().map(|c| c.sku.as_str()));
            items.price_ids.push(item.catalog().map(|c| c.price_id.as_str()));
        }
    }
}
