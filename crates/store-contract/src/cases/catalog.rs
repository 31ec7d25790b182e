//! The product catalog: upsert by SKU, listing, and the Stripe ids a sync records.

use crate::fixtures::{money, now, price, product, recurring_price, stripe_price_id, stripe_product_id, usd};
use crate::Harness;
use payments_domain::{CatalogStore, Interval, PriceKey, Product, Sku, StoreError, StripePriceId};

/// The catalog's one product, which must be the only one.
async fn only_product(catalog: &dyn CatalogStore) -> Product {
    let mut products = catalog.list_products().await.expect("list_products");
    assert_eq!(products.len(), 1, "one product is stored: {products:?}");
    products.remove(0)
}

/// Records Stripe price `id` for catalog price `key`.
async fn set_price_id(catalog: &dyn CatalogStore, key: &str, id: &StripePriceId) {
    let key = PriceKey::parse(key).expect("a valid price id");
    catalog.set_stripe_price_id(&key, id).await.expect("set_stripe_price_id");
}

/// `result` is [`StoreError::Unknown`] with a message naming `what`.
fn assert_unknown_naming(result: Result<(), StoreError>, what: &str) {
    match result {
        Err(StoreError::Unknown(error)) => assert!(error.to_string().contains(what), "{what}: {error}"),
        other => panic!("expected StoreError::Unknown naming {what}, got {other:?}"),
    }
}

/// A new product reads back as upserted, description, image and every price included (inactive or
/// recurring ones too), prices in catalog order; the Stripe ids it carries are ignored.
pub async fn a_new_product_reads_back_with_its_prices_in_catalog_order_and_no_stripe_ids(
    harness: &impl Harness,
) {
    let catalog = harness.catalog();
    assert!(catalog.list_products().await.expect("list_products").is_empty());
    let mut retired = price("mug-old", usd(900));
    retired.active = false;
    retired.stripe_price_id = Some(stripe_price_id());
    let mut mug = Product::new(
        Sku::parse("mug").expect("a valid sku"),
        "Mug",
        Some("A mug for tea"),
        Some("https://example.com/mug.png"),
        vec![
            recurring_price("mug-monthly", usd(500), Interval::Month, 1)
                .with_trial_days(Some(14))
                .expect("a recurring price takes a trial"),
            price("mug-usd", usd(1200)),
            retired,
            price("mug-eur", money(1100, "eur")),
        ],
    )
    .expect("a valid product");
    mug.stripe_product_id = Some(stripe_product_id());
    catalog.upsert_product(&mug, now()).await.expect("upsert_product");

    let mut expected = mug.clone();
    expected.stripe_product_id = None;
    for price in &mut expected.prices {
        price.stripe_price_id = None;
    }
    assert_eq!(only_product(catalog.as_ref()).await, expected);
}

/// Upserting a stored SKU updates the product and its prices by price id: name, description, image and
/// active flag change; listed prices take the new catalog order; a price no longer listed is kept but
/// inactive, after the listed ones. Stored Stripe ids are kept (those in the upserted product ignored), and
/// a price listed again comes back active with its own.
pub async fn upserting_by_sku_updates_the_product_and_keeps_its_stripe_ids(harness: &impl Harness) {
    let catalog = harness.catalog();
    let first = product(
        "mug",
        "Mug",
        vec![price("mug-a", usd(1000)), price("mug-b", usd(2000)), price("mug-c", usd(3000))],
    );
    catalog.upsert_product(&first, now()).await.expect("upsert_product");
    let stripe_product = stripe_product_id();
    let (a, b, c) = (stripe_price_id(), stripe_price_id(), stripe_price_id());
    catalog.set_stripe_product_id(&first.sku, &stripe_product).await.expect("set_stripe_product_id");
    set_price_id(catalog.as_ref(), "mug-a", &a).await;
    set_price_id(catalog.as_ref(), "mug-b", &b).await;
    set_price_id(catalog.as_ref(), "mug-c", &c).await;

    let mut second = Product::new(
        first.sku.clone(),
        "Big mug",
        Some("Holds more tea"),
        Some("https://example.com/big-mug.png"),
        vec![price("mug-d", usd(4000)), price("mug-b", usd(2000)), price("mug-a", usd(1000))],
    )
    .expect("a valid product");
    second.stripe_product_id = Some(stripe_product_id());
    second.prices[1].stripe_price_id = Some(stripe_price_id());
    catalog.upsert_product(&second, now()).await.expect("upsert_product");
    let mut expected = second.clone();
    expected.stripe_product_id = Some(stripe_product.clone());
    expected.prices[0].stripe_price_id = None;
    expected.prices[1].stripe_price_id = Some(b.clone());
    expected.prices[2].stripe_price_id = Some(a.clone());
    let mut dropped = price("mug-c", usd(3000));
    dropped.active = false;
    dropped.stripe_price_id = Some(c.clone());
    expected.prices.push(dropped);
    assert_eq!(only_product(catalog.as_ref()).await, expected);

    // What the catalog load does to a product its file no longer lists: the stored copy, made inactive.
    let mut retired = expected.clone();
    retired.active = false;
    catalog.upsert_product(&retired, now()).await.expect("upsert_product");
    assert_eq!(only_product(catalog.as_ref()).await, retired);

    let third = product("mug", "Mug", vec![price("mug-c", usd(3000))]);
    catalog.upsert_product(&third, now()).await.expect("upsert_product");
    let mut expected = third.clone();
    expected.stripe_product_id = Some(stripe_product);
    expected.prices[0].stripe_price_id = Some(c);
    for (key, amount, stripe) in [("mug-d", 4000, None), ("mug-b", 2000, Some(b)), ("mug-a", 1000, Some(a))] {
        let mut dropped = price(key, usd(amount));
        dropped.active = false;
        dropped.stripe_price_id = stripe;
        expected.prices.push(dropped);
    }
    assert_eq!(only_product(catalog.as_ref()).await, expected);
}

/// Stripe prices are immutable: a price whose amount, currency or recurrence (unit or count) changed loses
/// its Stripe price id, so the next sync creates a new one; an unchanged price keeps its own, and a new id
/// can be recorded for a changed one.
pub async fn a_price_whose_terms_changed_loses_its_stripe_price_id(harness: &impl Harness) {
    let catalog = harness.catalog();
    let monthly = |key: &str, count: u32| recurring_price(key, usd(900), Interval::Month, count);
    let first = product(
        "course",
        "Course",
        vec![
            price("same", usd(1000)),
            price("amount", usd(1000)),
            price("currency", usd(1000)),
            monthly("interval", 1),
            monthly("count", 1),
            price("now-recurring", usd(1000)),
            monthly("now-one-time", 1),
        ],
    );
    catalog.upsert_product(&first, now()).await.expect("upsert_product");
    let mut ids = Vec::new();
    for price in &first.prices {
        let id = stripe_price_id();
        set_price_id(catalog.as_ref(), price.id.as_str(), &id).await;
        ids.push(id);
    }

    let second = product(
        "course",
        "Course",
        vec![
            price("same", usd(1000)),
            price("amount", usd(1500)),
            price("currency", money(1000, "eur")),
            recurring_price("interval", usd(900), Interval::Year, 1),
            monthly("count", 3),
            recurring_price("now-recurring", usd(1000), Interval::Week, 1),
            price("now-one-time", usd(900)),
        ],
    );
    catalog.upsert_product(&second, now()).await.expect("upsert_product");
    let mut expected = second.clone();
    expected.prices[0].stripe_price_id = Some(ids[0].clone());
    assert_eq!(only_product(catalog.as_ref()).await, expected);

    let renewed = stripe_price_id();
    set_price_id(catalog.as_ref(), "amount", &renewed).await;
    expected.prices[1].stripe_price_id = Some(renewed);
    assert_eq!(only_product(catalog.as_ref()).await, expected);
}

/// `list_products` returns every product (inactive ones too) by SKU, in the order [`Sku`] sorts (bytes:
/// upper case before lower case).
pub async fn products_are_listed_by_sku(harness: &impl Harness) {
    let catalog = harness.catalog();
    let mut tea = product("tea", "Tea", vec![price("tea-usd", usd(800))]);
    tea.active = false;
    let upserted = [
        tea,
        product("mug", "Mug", vec![price("mug-usd", usd(1200))]),
        product("Zeta", "Zeta", vec![price("zeta-usd", usd(100))]),
        product("apple-pie", "Apple pie", vec![price("pie-usd", usd(450))]),
    ];
    for product in &upserted {
        catalog.upsert_product(product, now()).await.expect("upsert_product");
    }
    let mut expected = upserted.to_vec();
    expected.sort_by(|a, b| a.sku.cmp(&b.sku));
    let listed = catalog.list_products().await.expect("list_products");
    let skus: Vec<&str> = listed.iter().map(|product| product.sku.as_str()).collect();
    assert_eq!(skus, ["Zeta", "apple-pie", "mug", "tea"]);
    assert_eq!(listed, expected);
}

/// Recording a Stripe id for a SKU or price id the catalog does not hold is [`StoreError::Unknown`], says
/// which, and changes nothing.
pub async fn recording_a_stripe_id_for_an_unknown_product_or_price_fails(harness: &impl Harness) {
    let catalog = harness.catalog();
    let mug = product("mug", "Mug", vec![price("mug-usd", usd(1200))]);
    catalog.upsert_product(&mug, now()).await.expect("upsert_product");

    let sku = Sku::parse("no-such-product").expect("a valid sku");
    let refused = catalog.set_stripe_product_id(&sku, &stripe_product_id()).await;
    assert_unknown_naming(refused, "no-such-product");
    let key = PriceKey::parse("no-such-price").expect("a valid price id");
    let refused = catalog.set_stripe_price_id(&key, &stripe_price_id()).await;
    assert_unknown_naming(refused, "no-such-price");
    assert_eq!(only_product(catalog.as_ref()).await, mug);
}

/// A Stripe product or price id belongs to one catalog entry: recording it for a second one is
/// [`StoreError::Unknown`], and the first keeps it.
pub async fn a_stripe_id_recorded_for_one_product_or_price_is_refused_for_another(harness: &impl Harness) {
    let catalog = harness.catalog();
    let mug = product("mug", "Mug", vec![price("mug-usd", usd(1200)), price("mug-eur", money(1100, "eur"))]);
    let tea = product("tea", "Tea", vec![price("tea-usd", usd(800))]);
    catalog.upsert_product(&mug, now()).await.expect("upsert_product");
    catalog.upsert_product(&tea, now()).await.expect("upsert_product");
    let (stripe_product, stripe_price) = (stripe_product_id(), stripe_price_id());
    catalog.set_stripe_product_id(&mug.sku, &stripe_product).await.expect("set_stripe_product_id");
    set_price_id(catalog.as_ref(), "mug-usd", &stripe_price).await;

    let refused = catalog.set_stripe_product_id(&tea.sku, &stripe_product).await;
    assert_unknown_naming(refused, stripe_product.as_str());
    let key = PriceKey::parse("mug-eur").expect("a valid price id");
    let refused = catalog.set_stripe_price_id(&key, &stripe_price).await;
    assert_unknown_naming(refused, stripe_price.as_str());

    let mut expected_mug = mug.clone();
    expected_mug.stripe_product_id = Some(stripe_product);
    expected_mug.prices[0].stripe_price_id = Some(stripe_price);
    assert_eq!(catalog.list_products().await.expect("list_products"), [expected_mug, tea]);
}

/// A read sees this store's own catalog writes at once, and another store's (another process's) within a
/// store's catalog cache time (`payments_sql_store::CATALOG_TTL`, one second): checked here against a bound
/// of three seconds.
pub async fn catalog_writes_are_seen_at_once_by_their_store_and_soon_by_another(harness: &impl Harness) {
    let catalog = harness.catalog();
    let other: std::sync::Arc<dyn CatalogStore> = std::sync::Arc::new(harness.another_store().await);
    let priced = |amount| product("mug", "Mug", vec![price("mug-usd", usd(amount))]);
    let amount = |product: Product| product.prices[0].unit_amount.minor();

    catalog.upsert_product(&priced(1000), now()).await.expect("upsert_product");
    assert_eq!(amount(only_product(&*catalog).await), 1000);
    assert_eq!(amount(only_product(&*other).await), 1000, "read (and kept) by the other store too");
    catalog.upsert_product(&priced(1100), now()).await.expect("upsert_product");
    assert_eq!(amount(only_product(&*catalog).await), 1100, "its own write is seen at once");
    let id = stripe_price_id();
    set_price_id(&*catalog, "mug-usd", &id).await;
    assert_eq!(only_product(&*catalog).await.prices[0].stripe_price_id, Some(id), "and its Stripe ids");

    other.upsert_product(&priced(1200), now()).await.expect("upsert_product");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let seen = amount(only_product(&*catalog).await);
        if seen == 1200 {
            break;
        }
        assert_eq!(seen, 1100, "before it sees the other store's write, the store reads its last catalog");
        assert!(std::time::Instant::now() < deadline, "another store's catalog write unseen after 3 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
