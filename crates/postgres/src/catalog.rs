//! The SQL for the product catalog: upsert a product by SKU, list them all, and record the Stripe ids a sync
//! created.

use crate::dialect::PgDialect;
use crate::error::is_unique_violation;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use payments_domain::Product;
use payments_sql_store::{CatalogSql, IdRecorded, StripeId};

#[async_trait]
impl CatalogSql for PgDialect {
    /// Inserts `product` or updates the one with its SKU, in one transaction (see
    /// [`CatalogStore::upsert_product`](payments_domain::CatalogStore)). Concurrent upserts of one SKU take
    /// turns on the product's row, which the first statement locks.
    async fn upsert_product(&self, product: &Product, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // The Stripe product id is never written here: the stored one is kept, the one in `product` ignored.
        sqlx::query(
            "INSERT INTO products (sku, name, description, image_url, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, \
                                         image_url = EXCLUDED.image_url, active = EXCLUDED.active, \
                                         updated_at = EXCLUDED.updated_at",
        )
        .bind(product.sku.as_str())
        .bind(&product.name)
        .bind(product.description.as_deref())
        .bind(product.image_url.as_ref().map(|url| url.as_str()))
        .bind(product.active)
        .bind(now)
        .execute(&mut *tx)
        .await?;

        let prices = &product.prices;
        let ids: Vec<&str> = prices.iter().map(|price| price.id.as_str()).collect();
        let positions: Vec<i32> = (0..).take(prices.len()).collect();
        let amounts: Vec<i64> = prices.iter().map(|price| price.unit_amount.minor()).collect();
        let currencies: Vec<String> =
            prices.iter().map(|price| price.unit_amount.currency().to_string()).collect();
        let intervals: Vec<Option<&str>> =
            prices.iter().map(|price| price.recurring.map(|r| r.interval.as_str())).collect();
        // At most 365 (the domain's limit); a larger value would fail the column's CHECK anyway.
        let counts: Vec<Option<i32>> = prices
            .iter()
            .map(|price| price.recurring.map(|r| i32::try_from(r.interval_count).unwrap_or(i32::MAX)))
            .collect();
        let active: Vec<bool> = prices.iter().map(|price| price.active).collect();
        let trials: Vec<Option<i32>> = prices
            .iter()
            .map(|price| price.trial_period_days.map(|days| i32::try_from(days).unwrap_or(i32::MAX)))
            .collect();
        // A stored Stripe price id is kept while Stripe's copy still matches: same product, amount, currency and
        // recurrence. Otherwise it is cleared (Stripe prices are immutable, and belong to one Stripe product),
        // and the next sync creates a new one. A price id named under another SKU moves to this one.
        sqlx::query(
            "INSERT INTO prices (id, sku, position, unit_amount_minor, currency, recurring_interval, \
                             recurring_interval_count, active, trial_period_days, created_at, updated_at) \
         SELECT price.id, $1, price.position, price.unit_amount_minor, price.currency, \
                price.recurring_interval, price.recurring_interval_count, price.active, \
                price.trial_period_days, $2, $2 \
         FROM unnest($3::text[], $4::int[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::bool[], \
                     $10::int[]) \
              AS price(id, position, unit_amount_minor, currency, recurring_interval, \
                       recurring_interval_count, active, trial_period_days) \
         ON CONFLICT (id) DO UPDATE SET \
             sku = EXCLUDED.sku, position = EXCLUDED.position, \
             unit_amount_minor = EXCLUDED.unit_amount_minor, currency = EXCLUDED.currency, \
             recurring_interval = EXCLUDED.recurring_interval, \
             recurring_interval_count = EXCLUDED.recurring_interval_count, active = EXCLUDED.active, \
             trial_period_days = EXCLUDED.trial_period_days, updated_at = EXCLUDED.updated_at, \
             stripe_price_id = CASE \
                 WHEN (prices.sku, prices.unit_amount_minor, prices.currency, \
                       prices.recurring_interval, prices.recurring_interval_count) \
                      IS NOT DISTINCT FROM \
                      (EXCLUDED.sku, EXCLUDED.unit_amount_minor, EXCLUDED.currency, \
                       EXCLUDED.recurring_interval, EXCLUDED.recurring_interval_count) \
                 THEN prices.stripe_price_id END",
        )
        .bind(product.sku.as_str())
        .bind(now)
        .bind(&ids)
        .bind(positions)
        .bind(amounts)
        .bind(currencies)
        .bind(intervals)
        .bind(counts)
        .bind(active)
        .bind(trials)
        .execute(&mut *tx)
        .await?;

        // Prices the product no longer lists are kept (orders refer to them) but made inactive, after the listed
        // ones, in their previous order.
        let listed = i32::try_from(prices.len()).unwrap_or(i32::MAX);
        sqlx::query(
            "UPDATE prices SET active = false, position = $2 + retired.rank::int, updated_at = $3 \
         FROM (SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS rank \
               FROM prices WHERE sku = $1 AND id <> ALL($4)) AS retired \
         WHERE prices.id = retired.id",
        )
        .bind(product.sku.as_str())
        .bind(listed)
        .bind(now)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Every product with every price: products by SKU (byte order, as [`payments_domain::Sku`] sorts),
    /// prices in catalog order.
    async fn products(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
        "SELECT json_build_object('sku', p.sku, 'name', p.name, 'description', p.description, \
                    'image_url', p.image_url, 'active', p.active, 'stripe_product_id', p.stripe_product_id, \
                    'prices', (SELECT coalesce(json_agg(json_build_object( \
                                   'id', r.id, 'unit_amount_minor', r.unit_amount_minor, 'currency', r.currency, \
                                   'recurring_interval', r.recurring_interval, \
                                   'recurring_interval_count', r.recurring_interval_count, \
                                   'active', r.active, 'stripe_price_id', r.stripe_price_id, \
                                   'trial_period_days', r.trial_period_days) \
                               ORDER BY r.position, r.id), '[]') \
                               FROM prices r WHERE r.sku = p.sku))::text \
         FROM products p ORDER BY p.sku COLLATE \"C\"",
    )
    .fetch_all(&self.pool)
    .await
    }

    /// Records a Stripe product or price id.
    async fn set_stripe_id(&self, id: StripeId<'_>, now: DateTime<Utc>) -> Result<IdRecorded, sqlx::Error> {
        let (table, key_column, key, column, stripe_id) = id.parts();
        let sql = format!("UPDATE {table} SET {column} = $2, updated_at = $3 WHERE {key_column} = $1");
        let constraint = format!("{table}_{column}_key");
        match sqlx::query(&sql).bind(key).bind(stripe_id).bind(now).execute(&self.pool).await {
            Ok(done) if done.rows_affected() == 0 => Ok(IdRecorded::NoSuch),
            Ok(_) => Ok(IdRecorded::Done),
            Err(error) if is_unique_violation(&error, &constraint) => Ok(IdRecorded::Taken),
            Err(error) => Err(error),
        }
    }
}
