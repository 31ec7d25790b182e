//! One row per way a cart line is priced or refused.

use super::*;
use crate::model::catalog::{CatalogPrice, Interval, PriceKey, Recurring};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("eur").unwrap()).unwrap()
}

fn price(id: &str, amount: Money) -> CatalogPrice {
    CatalogPrice::new(PriceKey::parse(id).unwrap(), amount, None).unwrap()
}

/// A course at 49.00 USD (with a monthly plan and a retired price), a retired mug, and a poster sold in EUR
/// only.
fn products() -> Vec<Product> {
    let monthly = Recurring { interval: Interval::Month, interval_count: 1 };
    let plan =
        CatalogPrice::new(PriceKey::parse("course-monthly").unwrap(), usd(900), Some(monthly)).unwrap();
    let mut old = price("course-old", usd(3900));
    old.active = false;
    let course = Product::new(
        Sku::parse("course").unwrap(),
        "Course",
        None,
        Some("https://cdn.example.com/course.png"),
        vec![price("course-usd", usd(4900)), plan, old],
    )
    .unwrap();
    let mut mug =
        Product::new(Sku::parse("mug").unwrap(), "Mug", None, None, vec![price("mug-usd", usd(1200))])
            .unwrap();
    mug.active = false;
    let poster = Product::new(
        Sku::parse("poster").unwrap(),
        "Poster",
        None,
        None,
        vec![price("poster-eur", eur(900))],
    )
    .unwrap();
    vec![course, mug, poster]
}

fn sku(sku: &str, quantity: u32) -> CartLine {
    CartLine::Catalog { item: CatalogItem::Sku(Sku::parse(sku).unwrap()), quantity }
}

fn price_id(id: &str) -> CartLine {
    CartLine::Catalog { item: CatalogItem::Price(id.to_owned()), quantity: 1 }
}

fn client(name: &str, amount: Money, sku: Option<&str>) -> CartLine {
    CartLine::Client {
        sku: sku.map(|s| Sku::parse(s).unwrap()),
        item: LineItem::new(name, amount, 1, None).unwrap(),
    }
}

/// What a row expects: the line sold (name, unit amount, quantity, catalog product and price), or the
/// refusal's kind.
#[derive(Debug, PartialEq)]
enum Expected {
    Sold(String, Money, u32, Option<(String, String)>),
    Unknown,
    Mismatch(Option<Money>),
    NotForSale(String),
    NotInCurrency(Currency),
    Invalid,
}

fn sold(name: &str, amount: Money, quantity: u32, catalog: Option<(&str, &str)>) -> Expected {
    Expected::Sold(name.to_owned(), amount, quantity, catalog.map(|(s, p)| (s.to_owned(), p.to_owned())))
}

fn not_for_sale(reason: &str) -> Expected {
    Expected::NotForSale(reason.to_owned())
}

fn outcome(result: Result<LineItem, PriceError>) -> Expected {
    match result {
        Ok(line) => Expected::Sold(
            line.name().to_owned(),
            line.unit_amount(),
            line.quantity(),
            line.catalog().map(|c| (c.sku.as_str().to_owned(), c.price_id.as_str().to_owned())),
        ),
        Err(PriceError::UnknownItem { .. }) => Expected::Unknown,
        Err(PriceError::PriceMismatch { expected, .. }) => Expected::Mismatch(expected),
        Err(PriceError::NotForSale { reason, .. }) => Expected::NotForSale(reason),
        Err(PriceError::InvalidLine { .. }) => Expected::Invalid,
        Err(PriceError::CurrencyNotAvailable { currency, .. }) => Expected::NotInCurrency(currency),
    }
}

#[test]
fn every_kind_of_line_is_priced_by_the_catalog_or_refused() {
    use Expected::*;
    let strict = PricingRules { currency: Currency::USD, allow_client_prices: false };
    let trusting = PricingRules { allow_client_prices: true, ..strict };
    let in_eur = PricingRules { currency: Currency::parse("eur").unwrap(), ..strict };
    let rows: Vec<(&str, PricingRules, CartLine, Expected)> = vec![
        (
            "a sku sells its one-time price",
            strict,
            sku("course", 2),
            sold("Course", usd(4900), 2, Some(("course", "course-usd"))),
        ),
        (
            "a price id sells that price",
            strict,
            price_id("course-usd"),
            sold("Course", usd(4900), 1, Some(("course", "course-usd"))),
        ),
        (
            "a recurring price by id (a subscription)",
            strict,
            price_id("course-monthly"),
            sold("Course", usd(900), 1, Some(("course", "course-monthly"))),
        ),
        ("a retired price", strict, price_id("course-old"), not_for_sale("the price is no longer active")),
        ("a retired product", strict, sku("mug", 1), not_for_sale("the product is no longer sold")),
        ("a sku without a price in the currency", strict, sku("poster", 1), NotInCurrency(Currency::USD)),
        ("a price in another currency", strict, price_id("poster-eur"), NotInCurrency(Currency::USD)),
        (
            "the same price in its currency",
            in_eur,
            price_id("poster-eur"),
            sold("Poster", eur(900), 1, Some(("poster", "poster-eur"))),
        ),
        ("an unknown sku", strict, sku("nothing", 1), Unknown),
        ("an unknown price id", strict, price_id("nothing-usd"), Unknown),
        ("a quantity out of range", strict, sku("course", 1000), Invalid),
        (
            "a client line by name at the catalog price",
            strict,
            client("course", usd(4900), None),
            sold("Course", usd(4900), 1, Some(("course", "course-usd"))),
        ),
        (
            "a client line by sku at the catalog price",
            strict,
            client("Rust", usd(4900), Some("course")),
            sold("Course", usd(4900), 1, Some(("course", "course-usd"))),
        ),
        (
            "a client line below the catalog price",
            strict,
            client("Course", usd(100), None),
            Mismatch(Some(usd(4900))),
        ),
        (
            "a client line in a currency the product lacks",
            strict,
            client("Course", eur(4900), None),
            Mismatch(None),
        ),
        ("a client line for a retired product", strict, client("Mug", usd(1200), None), Unknown),
        ("a client line naming nothing", strict, client("Tea", usd(500), None), Unknown),
        (
            "trusted: a client line naming nothing sells as sent",
            trusting,
            client("Tea", usd(500), None),
            sold("Tea", usd(500), 1, None),
        ),
        (
            "trusted: a mismatched line sells as sent, unlinked",
            trusting,
            client("Course", usd(100), None),
            sold("Course", usd(100), 1, None),
        ),
        (
            "trusted: a matching line is still linked",
            trusting,
            client("Course", usd(4900), None),
            sold("Course", usd(4900), 1, Some(("course", "course-usd"))),
        ),
    ];
    let products = products();
    for (row, rules, line, expected) in rows {
        assert_eq!(outcome(price_line(&products, rules, 7, line)), expected, "{row}");
    }
}

#[test]
fn a_client_line_matched_to_the_catalog_shows_the_catalogs_name_and_image_at_its_quantity() {
    let rules = PricingRules { currency: Currency::USD, allow_client_prices: false };
    let line = CartLine::Client {
        sku: Some(Sku::parse("course").unwrap()),
        item: LineItem::new("FREE iPhone", usd(4900), 3, Some("https://evil.example/phish.png")).unwrap(),
    };
    let sold = price_line(&products(), rules, 0, line).unwrap();
    assert_eq!(
        (sold.name(), sold.image_url().map(Url::as_str), sold.quantity()),
        ("Course", Some("https://cdn.example.com/course.png"), 3)
    );
}

#[test]
fn a_refusal_names_the_lines_position() {
    let rules = PricingRules { currency: Currency::USD, allow_client_prices: false };
    let refused = price_line(&products(), rules, 3, sku("nothing", 1)).unwrap_err();
    assert_eq!(refused, PriceError::UnknownItem { index: 3, reference: "sku nothing".to_owned() });
}

#[test]
fn a_cart_with_one_recurring_line_starts_a_subscription_and_two_are_refused() {
    let rules = PricingRules { currency: Currency::USD, allow_client_prices: false };
    let products = products();
    let priced = |lines: Vec<CartLine>| -> Vec<LineItem> {
        lines
            .into_iter()
            .enumerate()
            .map(|(n, line)| price_line(&products, rules, n, line).unwrap())
            .collect()
    };
    assert_eq!(subscription_terms(&products, &priced(vec![sku("course", 1)])), Ok(None), "one-time only");
    let terms = subscription_terms(&products, &priced(vec![sku("course", 1), price_id("course-monthly")]));
    let monthly = Recurring { interval: Interval::Month, interval_count: 1 };
    assert_eq!(
        terms,
        Ok(Some(SubscriptionTerms {
            line: 1,
            recurring: monthly,
            sku: Sku::parse("course").unwrap(),
            price_key: PriceKey::parse("course-monthly").unwrap(),
            trial_period_days: None,
        })),
        "one-time lines ride on the first invoice"
    );
    let two =
        subscription_terms(&products, &priced(vec![price_id("course-monthly"), price_id("course-monthly")]));
    assert!(matches!(two, Err(PriceError::NotForSale { index: 1, .. })), "{two:?}");
}
