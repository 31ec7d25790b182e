//! The catalog file (`config/catalog.toml`): products and their prices, read into domain products.

use anyhow::Context;
use payments_domain::{CatalogPrice, Currency, Interval, Money, PriceKey, Product, Recurring, Sku};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    products: Vec<ProductEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductEntry {
    sku: String,
    name: String,
    description: Option<String>,
    image: Option<String>,
    #[serde(default)]
    prices: Vec<PriceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    id: String,
    currency: String,
    unit_amount: i64,
    recurring: Option<RecurringEntry>,
    /// Days of free trial a subscription to this (recurring) price starts with.
    trial_period_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecurringEntry {
    interval: String,
    #[serde(default = "one")]
    interval_count: u32,
}

fn one() -> u32 {
    1
}

/// Reads and checks the catalog at `path`. Errors name the file and the product or price at fault.
pub fn read(path: &Path) -> anyhow::Result<Vec<Product>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the catalog {} (catalog.path)", path.display()))?;
    parse(&text).with_context(|| format!("the catalog {} (catalog.path)", path.display()))
}

/// Parses catalog TOML.
pub fn parse(text: &str) -> anyhow::Result<Vec<Product>> {
    let file: CatalogFile = config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .context("not a valid catalog")?;
    let products = file.products.into_iter().map(product).collect::<anyhow::Result<Vec<Product>>>()?;
    payments_domain::check_catalog(&products)?;
    Ok(products)
}

fn product(entry: ProductEntry) -> anyhow::Result<Product> {
    let sku = Sku::parse(&entry.sku)?;
    let prices = entry
        .prices
        .into_iter()
        .map(|price| {
            let what = format!("product {sku}, price {}", price.id);
            catalog_price(price).with_context(|| what)
        })
        .collect::<anyhow::Result<Vec<CatalogPrice>>>()?;
    Ok(Product::new(sku, &entry.name, entry.description.as_deref(), entry.image.as_deref(), prices)?)
}

fn catalog_price(entry: PriceEntry) -> anyhow::Result<CatalogPrice> {
    let currency = Currency::parse(&entry.currency)?;
    let recurring = match entry.recurring {
        None => None,
        Some(recurring) => Some(Recurring {
            interval: Interval::parse(&recurring.interval).with_context(|| {
                format!("interval {:?} is not day, week, month or year", recurring.interval)
            })?,
            interval_count: recurring.interval_count,
        }),
    };
    let price =
        CatalogPrice::new(PriceKey::parse(&entry.id)?, Money::new(entry.unit_amount, currency)?, recurring)?;
    Ok(price.with_trial_days(entry.trial_period_days)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_parses() {
        let products =
            read(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/catalog.toml"))).unwrap();
        let skus: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus, ["rust-course", "ebook", "stickers"]);
        let course = &products[0];
        assert_eq!(course.checkout_price(Currency::USD).unwrap().unit_amount.minor(), 4900);
        let monthly = course.prices.iter().find(|p| p.id.as_str() == "rust-course-monthly-usd").unwrap();
        assert_eq!(monthly.recurring, Some(Recurring { interval: Interval::Month, interval_count: 1 }));
        let yen = course.checkout_price(Currency::parse("jpy").unwrap()).unwrap();
        assert_eq!(yen.unit_amount.minor(), 7500);
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| format!("{:#}", parse(text).unwrap_err());
        let bad_amount = "[[products]]\nsku = \"a\"\nname = \"A\"\n[[products.prices]]\nid = \"p\"\ncurrency = \"usd\"\nunit_amount = 0\n";
        assert!(err(bad_amount).contains("price p"), "{}", err(bad_amount));
        let bad_interval = "[[products]]\nsku = \"a\"\nname = \"A\"\n[[products.prices]]\nid = \"p\"\ncurrency = \"usd\"\nunit_amount = 5\nrecurring = { interval = \"fortnight\" }\n";
        assert!(err(bad_interval).contains("fortnight"), "{}", err(bad_interval));
        let trial_once = "[[products]]\nsku = \"a\"\nname = \"A\"\n[[products.prices]]\nid = \"p\"\ncurrency = \"usd\"\nunit_amount = 5\ntrial_period_days = 7\n";
        assert!(err(trial_once).contains("free trial"), "{}", err(trial_once));
        let no_price = "[[products]]\nsku = \"a\"\nname = \"A\"\n";
        assert!(err(no_price).contains("no price"), "{}", err(no_price));
        let unknown_field = "[[products]]\nsku = \"a\"\nname = \"A\"\ncolour = \"red\"\n";
        assert!(err(unknown_field).contains("colour"), "{}", err(unknown_field));
        let twice = "[[products]]\nsku = \"a\"\nname = \"A\"\n[[products.prices]]\nid = \"p\"\ncurrency = \"usd\"\nunit_amount = 5\n[[products]]\nsku = \"b\"\nname = \"B\"\n[[products.prices]]\nid = \"p\"\ncurrency = \"usd\"\nunit_amount = 5\n";
        assert!(err(twice).contains("appears twice"), "{}", err(twice));
        assert!(parse("").unwrap().is_empty());
    }
}
