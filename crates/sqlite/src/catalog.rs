//! The SQL for the product catalog: upsert a product by SKU, list them all, and record the Stripe ids a sync
//! created. Every write is one write transaction (see `write.rs`).

use crate::dialect::SqliteDialect;
use crate::error::is_unique_violation;
use crate::timestamp::timestamp;
use crate::write;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::Product;
use payments_sql_store::{CatalogSql, IdRecorded, StripeId};

#[async_trait]
impl CatalogSql for SqliteDialect {
    /// Inserts `product` or updates the one with its SKU, in one write transaction (see
    /// [`CatalogStore::upsert_product`](payments_domain::CatalogStore)).
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let now = timestamp(now);
        let mut tx = write::begin(&self.writer).await?;
        // The Stripe product id is never written here: the stored one is kept, the one in `product` ignored.
        sqlx::query(
            "INSERT INTO products (sku, name, description, image_url, active, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, description = excluded.description, \
                                         image_url = excluded.image_url, active = excluded.active, \
                                         updated_at = excluded.updated_at",
        )
        .bind(product.sku.as_str())
        .bind(&product.name)
        .bind(product.description.as_deref())
        .bind(product.image_url.as_ref().map(|url| url.as_str()))
        .bind(product.active)
        .bind(&now)
        .execute(&mut *tx)
        .await?;

        // One statement per price: a product has few, and this needs no care for SQLite's limit on bound
        // parameters. A stored Stripe price id is kept while Stripe's copy still matches: same product, amount,
        // currency and recurrence (`IS` compares NULLs as equal). Otherwise it is cleared (Stripe prices are
        // immutable, and belong to one Stripe product), and the next sync creates a new one. A price id named
        // under another SKU moves to this one.
        for (position, price) in product.prices.iter().enumerate() {
            sqlx::query(
                "INSERT INTO prices (id, sku, position, unit_amount_minor, currency, recurring_interval, \
                                 recurring_interval_count, active, trial_period_days, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9) \
             ON CONFLICT (id) DO UPDATE SET \
                 sku = excluded.sku, position = excluded.position, \
                 unit_amount_minor = excluded.unit_amount_minor, currency = excluded.currency, \
                 recurring_interval = excluded.recurring_interval, \
                 recurring_interval_count = excluded.recurring_interval_count, active = excluded.active, \
                 trial_period_days = excluded.trial_period_days, updated_at = excluded.updated_at, \
                 stripe_price_id = CASE \
                     WHEN prices.sku IS excluded.sku \
                      AND prices.unit_amount_minor IS excluded.unit_amount_minor \
                      AND prices.currency IS excluded.currency \
                      AND prices.recurring_interval IS excluded.recurring_interval \
                      AND prices.recurring_interval_count IS excluded.recurring_interval_count \
                     THEN prices.stripe_price_id END",
            )
            .bind(price.id.as_str())
            .bind(product.sku.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(price.unit_amount.minor())
            .bind(price.unit_amount.currency().as_str())
            .bind(price.recurring.map(|r| r.interval.as_str()))
            .bind(price.recurring.map(|r| i64::from(r.interval_count)))
            .bind(price.active)
            .bind(&now)
            .bind(price.trial_period_days.map(i64::from))
            .execute(&mut *tx)
            .await?;
        }

        // Prices the product no longer lists are kept (orders refer to them) but made inactive, after the listed
        // ones, in their previous order.
        let listed: Vec<&str> = product.prices.iter().map(|price| price.id.as_str()).collect();
        let listed = serde_json::to_string(&listed).map_err(|error| sqlx::Error::Encode(Box::new(error)))?;
        let retired: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM prices WHERE sku = ?1 AND id NOT IN (SELECT value FROM json_each(?2)) \
         ORDER BY position, id",
        )
        .bind(product.sku.as_str())
        .bind(listed)
        .fetch_all(&mut *tx)
        .await?;
        for (rank, id) in retired.iter().enumerate() {
            let position = product.prices.len().saturating_add(rank);
            sqlx::query("UPDATE prices SET active = 0, position = ?2, updated_at = ?3 WHERE id = ?1")
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// Every product with every price: products by SKU (SQLite's binary collation: byte order, as
    /// [`payments_domain::Sku`] sorts), prices in catalog order. `active` is a JSON boolean, not SQLite's 0 or 1.
    async fn products(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
        "SELECT json_object('sku', p.sku, 'name', p.name, 'description', p.description, \
                    'image_url', p.image_url, 'active', json(CASE WHEN p.active THEN 'true' ELSE 'false' END), \
                    'stripe_product_id', p.stripe_product_id, \
                    'prices', json((SELECT json_group_array(json_object( \
                            'id', r.id, 'unit_amount_minor', r.unit_amount_minor, 'currency', r.currency, \
                            'recurring_interval', r.recurring_interval, \
                            'recurring_interval_count', r.recurring_interval_count, \
                            'active', json(CASE WHEN r.active THEN 'true' ELSE 'false' END), \
                            'stripe_price_id', r.stripe_price_id, 'trial_period_days', r.trial_period_days) \
                        ORDER BY r.position, r.id) \
                 FROM prices r WHERE r.sku = p.sku))) \
         FROM products p ORDER BY p.sku",
    )
    .fetch_all(&self.reader)
    .await
    }

    /// Records a Stripe product or price id, in one write transaction.
    async fn set_stripe_id(&self, id: StripeId<'_>, now: DateTime<Utc>) -> Result<IdRecorded, sqlx::Error> {
        let (table, key_column, key, column, stripe_id) = id.parts();
        let sql = format!("UPDATE {table} SET {column} = ?2, updated_at = ?3 WHERE {key_column} = ?1");
        let mut tx = write::begin(&self.writer).await?;
        let recorded =
            match sqlx::query(&sql).bind(key).bind(stripe_id).bind(timestamp(now)).execute(&mut *tx).await {
                Ok(done) if done.rows_affected() == 0 => IdRecorded::NoSuch,
                Ok(_) => IdRecorded::Done,
                Err(error) if is_unique_violation(&error, &format!("{table}.{column}")) => IdRecorded::Taken,
                Err(error) => return Err(error),
            };
        tx.commit().await?;
        Ok(recorded)
    }
}
