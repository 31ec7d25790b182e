//! The catalog's rules: SKUs, prices, products and whole catalogs.
use super::*;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn price(id: &str, minor: i64) -> CatalogPrice {
    CatalogPrice::new(PriceKey::parse(id).unwrap(), usd(minor), None).unwrap()
}

#[test]
fn keys_accept_sku_shapes_only() {
    assert!(Sku::parse("course-rust_2.0").is_ok());
    assert!(Sku::parse("").is_err());
    assert!(Sku::parse("a b").is_err());
    assert!(Sku::parse(&"a".repeat(65)).is_err());
    assert!(PriceKey::parse("price/1").is_err());
}

#[test]
fn a_product_is_checked() {
    let sku = Sku::parse("mug").unwrap();
    assert!(Product::new(sku.clone(), "Mug", None, None, vec![price("mug-usd", 1200)]).is_ok());
    assert_eq!(
        Product::new(sku.clone(), " ", None, None, vec![price("mug-usd", 1200)]),
        Err(CatalogError::Name { sku: "mug".into() })
    );
    assert_eq!(
        Product::new(sku.clone(), "Mug", None, Some("ftp://x.org/a.png"), vec![price("p", 1)]),
        Err(CatalogError::Image { sku: "mug".into() })
    );
    assert_eq!(
        Product::new(sku.clone(), "Mug", None, None, vec![]),
        Err(CatalogError::NoPrice { sku: "mug".into() })
    );
    assert_eq!(
        Product::new(sku, "Mug", None, None, vec![price("p", 1), price("p", 2)]),
        Err(CatalogError::Duplicate { kind: "price id", value: "p".into() })
    );
    assert_eq!(
        CatalogPrice::new(PriceKey::parse("p").unwrap(), usd(0), None),
        Err(CatalogError::Amount { price: "p".into() })
    );
    let monthly = Recurring { interval: Interval::Month, interval_count: 0 };
    assert!(CatalogPrice::new(PriceKey::parse("p").unwrap(), usd(5), Some(monthly)).is_err());
}

#[test]
fn checkout_uses_the_first_active_one_time_price_in_the_currency() {
    let monthly = Recurring { interval: Interval::Month, interval_count: 1 };
    let recurring = CatalogPrice::new(PriceKey::parse("sub").unwrap(), usd(900), Some(monthly)).unwrap();
    let mut retired = price("old", 500);
    retired.active = false;
    let euro = CatalogPrice::new(
        PriceKey::parse("eur").unwrap(),
        Money::new(700, Currency::parse("eur").unwrap()).unwrap(),
        None,
    )
    .unwrap();
    let product = Product::new(
        Sku::parse("book").unwrap(),
        "Book",
        None,
        None,
        vec![recurring, retired, euro, price("now", 800)],
    )
    .unwrap();
    assert_eq!(product.checkout_price(Currency::USD).unwrap().id.as_str(), "now");
    assert_eq!(product.price("sub").unwrap().unit_amount.minor(), 900);
    assert!(product.price("missing").is_none());
}

#[test]
fn a_catalog_has_unique_skus_and_price_ids() {
    let a = Product::new(Sku::parse("a").unwrap(), "A", None, None, vec![price("p1", 1)]).unwrap();
    let b = Product::new(Sku::parse("b").unwrap(), "B", None, None, vec![price("p1", 2)]).unwrap();
    assert!(check_catalog(std::slice::from_ref(&a)).is_ok());
    assert_eq!(
        check_catalog(&[a.clone(), a.clone()]),
        Err(CatalogError::Duplicate { kind: "sku", value: "a".into() })
    );
    assert_eq!(check_catalog(&[a, b]), Err(CatalogError::Duplicate { kind: "price id", value: "p1".into() }));
}
