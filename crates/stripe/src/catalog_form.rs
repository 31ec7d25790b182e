//! The Create Product and Create Price requests for the catalog: what Stripe shows, and how each object
//! points back at the catalog entry it was made from.

use payments_domain::{CatalogPrice, Interval, Product, StripeProductId};
use std::collections::HashMap;
use stripe_product::price::{CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval};
use stripe_product::product::CreateProduct;
use stripe_types::Currency;

/// The metadata key that carries the product's SKU on Stripe products.
pub(crate) const SKU_METADATA_KEY: &str = "sku";
/// The metadata key that carries the catalog price id on Stripe prices.
pub(crate) const PRICE_ID_METADATA_KEY: &str = "price_id";

/// A product with the catalog's name, description and image, and the SKU as metadata.
pub(crate) fn product_form(product: &Product) -> CreateProduct {
    let mut form = CreateProduct::new(product.name.as_str())
        .metadata(HashMap::from([(SKU_METADATA_KEY.to_owned(), product.sku.to_string())]));
    if let Some(description) = &product.description {
        form = form.description(description.as_str());
    }
    if let Some(image) = &product.image_url {
        form = form.images(vec![image.to_string()]);
    }
    form
}

/// A per-unit price of `product`: amount and currency, the schedule when recurring, and the catalog price id
/// as metadata.
pub(crate) fn price_form(product: &StripeProductId, price: &CatalogPrice) -> CreatePrice {
    let amount = &price.unit_amount;
    // Infallible: every code is accepted, unknown ones are sent as written.
    let currency: Currency = amount.currency().as_str().parse().unwrap_or_else(|never| match never {});
    let mut form = CreatePrice::new(currency)
        .product(product.as_str())
        .unit_amount(amount.minor())
        .metadata(HashMap::from([(PRICE_ID_METADATA_KEY.to_owned(), price.id.to_string())]));
    if let Some(recurring) = price.recurring {
        let mut schedule = CreatePriceRecurring::new(interval(recurring.interval));
        schedule.interval_count = Some(u64::from(recurring.interval_count));
        form = form.recurring(schedule);
    }
    form
}

fn interval(interval: Interval) -> CreatePriceRecurringInterval {
    match interval {
        Interval::Day => CreatePriceRecurringInterval::Day,
        Interval::Week => CreatePriceRecurringInterval::Week,
        Interval::Month => CreatePriceRecurringInterval::Month,
        Interval::Year => CreatePriceRecurringInterval::Year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_domain::{Currency as DomainCurrency, Money, PriceKey, Recurring, Sku};
    use stripe::StripeRequest;

    fn pairs(request: &impl StripeRequest) -> HashMap<String, String> {
        let body = request.build().body.expect("a POST has a form body");
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
    }

    fn owned(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn price(id: &str, minor: i64, currency: &str, recurring: Option<Recurring>) -> CatalogPrice {
        let amount = Money::new(minor, DomainCurrency::parse(currency).unwrap()).unwrap();
        CatalogPrice::new(PriceKey::parse(id).unwrap(), amount, recurring).unwrap()
    }

    #[test]
    fn a_product_sends_name_description_image_and_sku() {
        let product = Product::new(
            Sku::parse("mug-2.0").unwrap(),
            "Mug & saucer",
            Some("Stoneware, 300 ml"),
            Some("https://cdn.example.com/mug.png"),
            vec![price("mug-usd", 1200, "usd", None)],
        )
        .unwrap();
        assert_eq!(
            pairs(&product_form(&product)),
            owned(&[
                ("name", "Mug & saucer"),
                ("description", "Stoneware, 300 ml"),
                ("images[0]", "https://cdn.example.com/mug.png"),
                ("metadata[sku]", "mug-2.0"),
            ])
        );
    }

    #[test]
    fn a_bare_product_sends_name_and_sku_only() {
        let product =
            Product::new(Sku::parse("mug").unwrap(), "Mug", None, None, vec![price("p", 1, "usd", None)])
                .unwrap();
        assert_eq!(pairs(&product_form(&product)), owned(&[("name", "Mug"), ("metadata[sku]", "mug")]));
    }

    #[test]
    fn a_one_time_price_has_no_schedule() {
        let product = StripeProductId::parse("prod_QXg1hqf4jFNsqG").unwrap();
        assert_eq!(
            pairs(&price_form(&product, &price("mug-eur", 1250, "eur", None))),
            owned(&[
                ("product", "prod_QXg1hqf4jFNsqG"),
                ("currency", "eur"),
                ("unit_amount", "1250"),
                ("metadata[price_id]", "mug-eur"),
            ])
        );
    }

    #[test]
    fn a_recurring_price_sends_interval_and_count() {
        let product = StripeProductId::parse("prod_1").unwrap();
        for (interval, name) in [
            (Interval::Day, "day"),
            (Interval::Week, "week"),
            (Interval::Month, "month"),
            (Interval::Year, "year"),
        ] {
            let quarterly = Recurring { interval, interval_count: 3 };
            let form = pairs(&price_form(&product, &price("sub", 900, "usd", Some(quarterly))));
            assert_eq!(form.get("recurring[interval]").map(String::as_str), Some(name));
            assert_eq!(form.get("recurring[interval_count]").map(String::as_str), Some("3"));
            assert_eq!(form.get("unit_amount").map(String::as_str), Some("900"));
            assert_eq!(form.len(), 6, "{form:?}");
        }
    }
}
