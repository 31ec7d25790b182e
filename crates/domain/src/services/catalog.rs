//! Loading the catalog file into the store, and publishing the catalog at the payment provider.

use crate::model::catalog::{check_catalog, CatalogError, Product};
use crate::ports::catalog_store::CatalogStore;
use crate::ports::clock::Clock;
use crate::ports::order_store::StoreError;
use crate::ports::payment_gateway::{CatalogGateway, GatewayError};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a catalog load or sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogReport {
    /// Products written (load) or created at the provider (sync).
    pub products: usize,
    /// Prices created at the provider (sync).
    pub prices: usize,
    /// Products made inactive because the file no longer lists them (load).
    pub retired: usize,
}

/// Why the catalog could not be loaded or synced.
#[derive(Debug, thiserror::Error)]
pub enum CatalogServiceError {
    /// The catalog is not acceptable; nothing was written.
    #[error(transparent)]
    Invalid(#[from] CatalogError),
    /// The provider refused or failed; what was created before is stored, a new run goes on from there.
    #[error("the payment provider failed while syncing {what}: {source}")]
    Gateway {
        /// The product or price.
        what: String,
        /// What the provider said.
        source: GatewayError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The catalog's maintenance: load at start-up, sync on demand.
#[derive(Clone)]
pub struct Catalog {
    store: Arc<dyn CatalogStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Wires the service.
    pub fn new(store: Arc<dyn CatalogStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Makes the store hold `products` (upsert by SKU, see [`CatalogStore::upsert_product`]); stored
    /// products the list no longer names are made inactive, never deleted (orders refer to them).
    pub async fn load(&self, products: &[Product]) -> Result<CatalogReport, CatalogServiceError> {
        check_catalog(products)?;
        let now = self.clock.now();
        for product in products {
            self.store.upsert_product(product, now).await?;
        }
        let listed: BTreeSet<_> = products.iter().map(|product| &product.sku).collect();
        let mut retired = 0;
        for mut stored in self.store.list_products().await? {
            if stored.active && !listed.contains(&stored.sku) {
                stored.active = false;
                self.store.upsert_product(&stored, now).await?;
                retired += 1;
            }
        }
        Ok(CatalogReport { products: products.len(), prices: 0, retired })
    }

    /// Creates at the provider every active product and price that has no provider id yet, and stores the
    /// ids. Idempotency keys are derived from the SKU and from the price's id and terms, so a rerun after a
    /// failure never creates a second copy.
    pub async fn sync(&self, gateway: &dyn CatalogGateway) -> Result<CatalogReport, CatalogServiceError> {
        let mut report = CatalogReport::default();
        for product in self.store.list_products().await? {
            if !product.active {
                continue;
            }
            let stripe_product = match &product.stripe_product_id {
                Some(id) => id.clone(),
                None => {
                    let key = format!("catalog-product-{}", product.sku);
                    let id = gateway.create_product(&product, &key).await.map_err(|source| {
                        CatalogServiceError::Gateway { what: format!("product {}", product.sku), source }
                    })?;
                    self.store.set_stripe_product_id(&product.sku, &id).await?;
                    report.products += 1;
                    id
                }
            };
            for price in product.prices.iter().filter(|price| price.active && price.stripe_price_id.is_none())
            {
                let recurring = price
                    .recurring
                    .map(|r| format!("-{}x{}", r.interval.as_str(), r.interval_count))
                    .unwrap_or_default();
                let key = format!(
                    "catalog-price-{}-{}-{}{recurring}",
                    price.id,
                    price.unit_amount.minor(),
                    price.unit_amount.currency()
                );
                let id = gateway.create_price(&stripe_product, price, &key).await.map_err(|source| {
                    CatalogServiceError::Gateway { what: format!("price {}", price.id), source }
                })?;
                self.store.set_stripe_price_id(&price.id, &id).await?;
                report.prices += 1;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{CatalogPrice, Interval, PriceKey, Recurring, Sku};
    use crate::model::ids::{StripePriceId, StripeProductId};
    use crate::model::money::{Currency, Money};
    use crate::ports::catalog_store::MockCatalogStore;
    use crate::ports::clock::SystemClock;
    use crate::ports::payment_gateway::MockCatalogGateway;
    use mockall::predicate::eq;

    fn product(sku: &str, prices: &[(&str, i64, bool)]) -> Product {
        let prices = prices
            .iter()
            .map(|(id, minor, monthly)| {
                let recurring = monthly.then_some(Recurring { interval: Interval::Month, interval_count: 1 });
                CatalogPrice::new(
                    PriceKey::parse(id).unwrap(),
                    Money::new(*minor, Currency::USD).unwrap(),
                    recurring,
                )
                .unwrap()
            })
            .collect();
        Product::new(Sku::parse(sku).unwrap(), sku, None, None, prices).unwrap()
    }

    fn service(store: MockCatalogStore) -> Catalog {
        Catalog::new(Arc::new(store), Arc::new(SystemClock))
    }

    #[tokio::test]
    async fn loading_upserts_every_product_and_retires_those_no_longer_listed() {
        let mut store = MockCatalogStore::new();
        let file = vec![product("a", &[("a-usd", 100, false)]), product("b", &[("b-usd", 200, false)])];
        let mut gone = product("old", &[("old-usd", 300, false)]);
        gone.stripe_product_id = Some(StripeProductId::parse("prod_old").unwrap());
        let mut stored = file.clone();
        stored.push(gone);
        store
            .expect_upsert_product()
            .withf(|p, _| p.active && p.sku.as_str() != "old")
            .times(2)
            .returning(|_, _| Ok(()));
        store
            .expect_upsert_product()
            .withf(|p, _| p.sku.as_str() == "old" && !p.active)
            .times(1)
            .returning(|_, _| Ok(()));
        store.expect_list_products().returning(move || Ok(stored.clone()));
        let report = service(store).load(&file).await.unwrap();
        assert_eq!(report, CatalogReport { products: 2, prices: 0, retired: 1 });
    }

    #[tokio::test]
    async fn an_invalid_catalog_writes_nothing() {
        let mut store = MockCatalogStore::new();
        store.expect_upsert_product().never();
        let twice = vec![product("a", &[("a-usd", 100, false)]), product("a", &[("a2", 100, false)])];
        let result = service(store).load(&twice).await;
        assert!(matches!(
            result,
            Err(CatalogServiceError::Invalid(CatalogError::Duplicate { kind: "sku", .. }))
        ));
    }

    #[tokio::test]
    async fn sync_creates_only_what_the_provider_lacks_with_derived_keys() {
        let mut synced = product("a", &[("a-usd", 100, false), ("a-monthly", 900, true)]);
        synced.stripe_product_id = Some(StripeProductId::parse("prod_a").unwrap());
        synced.prices[0].stripe_price_id = Some(StripePriceId::parse("price_a").unwrap());
        let fresh = product("b", &[("b-usd", 200, false)]);
        let mut retired = product("c", &[("c-usd", 300, false)]);
        retired.active = false;
        let listed = vec![synced, fresh, retired];
        let mut store = MockCatalogStore::new();
        store.expect_list_products().returning(move || Ok(listed.clone()));
        store
            .expect_set_stripe_product_id()
            .with(eq(Sku::parse("b").unwrap()), eq(StripeProductId::parse("prod_b").unwrap()))
            .times(1)
            .returning(|_, _| Ok(()));
        store.expect_set_stripe_price_id().times(2).returning(|_, _| Ok(()));
        let mut gateway = MockCatalogGateway::new();
        gateway
            .expect_create_product()
            .withf(|p, key| p.sku.as_str() == "b" && key == "catalog-product-b")
            .times(1)
            .returning(|_, _| Ok(StripeProductId::parse("prod_b").unwrap()));
        gateway
            .expect_create_price()
            .withf(|product, price, key| {
                (product.as_str() == "prod_a"
                    && key == "catalog-price-a-monthly-900-usd-monthx1"
                    && price.recurring.is_some())
                    || (product.as_str() == "prod_b" && key == "catalog-price-b-usd-200-usd")
            })
            .times(2)
            .returning(|_, price, _| {
                Ok(StripePriceId::parse(&format!("price_{}", price.id.as_str().replace('-', "_"))).unwrap())
            });
        let report = service(store).sync(&gateway).await.unwrap();
        assert_eq!(report, CatalogReport { products: 1, prices: 2, retired: 0 });
    }

    #[tokio::test]
    async fn a_provider_failure_stops_the_sync_and_names_what_failed() {
        let listed = vec![product("a", &[("a-usd", 100, false)])];
        let mut store = MockCatalogStore::new();
        store.expect_list_products().returning(move || Ok(listed.clone()));
        store.expect_set_stripe_product_id().times(1).returning(|_, _| Ok(()));
        store.expect_set_stripe_price_id().never();
        let mut gateway = MockCatalogGateway::new();
        gateway.expect_create_product().returning(|_, _| Ok(StripeProductId::parse("prod_a").unwrap()));
        gateway.expect_create_price().returning(|_, _, _| {
            Err(GatewayError::Rejected { code: Some("parameter_invalid".into()), message: "no".into() })
        });
        let error = service(store).sync(&gateway).await.unwrap_err();
        assert!(error.to_string().contains("price a-usd"), "{error}");
    }
}
