//! Checkout against an in-memory order store and mocked catalog, customers and provider.

use super::*;
use crate::model::catalog::{CatalogPrice, Interval, PriceKey, Recurring, Sku};
use crate::model::ids::CustomerId;
use crate::model::line_item::LineItemError;
use crate::model::money::Money;
use crate::model::order_status::OrderStatus;
use crate::ports::catalog_store::MockCatalogStore;
use crate::ports::clock::MockClock;
use crate::ports::customer_store::MockCustomerStore;
use crate::ports::order_store::MockOrderStore;
use crate::ports::payment_gateway::{CheckoutSession, MockPaymentGateway};
use crate::services::pricing::CatalogItem;
use crate::testing::MemoryStore;
use chrono::{TimeZone, Utc};

pub(crate) fn settings() -> CheckoutSettings {
    CheckoutSettings {
        currency: Currency::USD,
        success_url: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}".to_owned(),
        cancel_url: "http://shop.test/cancel".to_owned(),
        portal_return_url: "http://shop.test/".to_owned(),
        allow_client_prices: false,
        allow_guest_checkout: true,
        session_ttl: chrono::Duration::hours(2),
    }
}

pub(crate) fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
    clock
}

fn email() -> Email {
    Email::parse("ada@example.com").unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

/// The catalog the tests sell from: a course at 49.00 USD (one-time) with a monthly plan, and a retired mug.
pub(crate) fn products() -> Vec<Product> {
    let once = CatalogPrice::new(PriceKey::parse("course-usd").unwrap(), usd(4900), None).unwrap();
    let monthly = Recurring { interval: Interval::Month, interval_count: 1 };
    let plan =
        CatalogPrice::new(PriceKey::parse("course-monthly").unwrap(), usd(900), Some(monthly)).unwrap();
    let course = Product::new(
        Sku::parse("course").unwrap(),
        "Course",
        Some("Rust for payments"),
        Some("https://cdn.example.com/course.png"),
        vec![once, plan],
    )
    .unwrap();
    let mut mug = Product::new(
        Sku::parse("mug").unwrap(),
        "Mug",
        None,
        None,
        vec![CatalogPrice::new(PriceKey::parse("mug-usd").unwrap(), usd(1200), None).unwrap()],
    )
    .unwrap();
    mug.active = false;
    vec![course, mug]
}

pub(crate) fn catalog() -> MockCatalogStore {
    let mut catalog = MockCatalogStore::new();
    catalog.expect_list_products().returning(|| Ok(products()));
    catalog
}

fn checkout(
    orders: Arc<dyn OrderStore>,
    customers: MockCustomerStore,
    gateway: MockPaymentGateway,
    settings: CheckoutSettings,
) -> Checkout {
    let ports = CheckoutPorts {
        orders,
        catalog: Arc::new(catalog()),
        customers: Arc::new(customers),
        gateway: Arc::new(gateway),
        clock: Arc::new(clock()),
    };
    Checkout::new(ports, settings)
}

fn session(id: &str) -> CheckoutSession {
    CheckoutSession {
        id: CheckoutSessionId::parse(id).unwrap(),
        url: Url::parse(&format!("https://checkout.stripe.com/c/pay/{id}")).unwrap(),
        expires_at: None,
    }
}

fn sku_line(sku: &str, quantity: u32) -> CartLine {
    CartLine::Catalog { item: crate::services::pricing::CatalogItem::Sku(Sku::parse(sku).unwrap()), quantity }
}

fn client(name: &str, minor: i64, sku: Option<&str>) -> CartLine {
    CartLine::Client {
        sku: sku.map(|sku| Sku::parse(sku).unwrap()),
        item: LineItem::new(name, usd(minor), 1, None).unwrap(),
    }
}

fn user(id: &str) -> Caller {
    Caller::User { id: UserId::parse(id).unwrap(), email: Some(Email::parse("user@example.com").unwrap()) }
}

/// A provider that opens `cs_test_1` for every order.
fn opening() -> MockPaymentGateway {
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().returning(|_| Ok(session("cs_test_1")));
    gateway
}

/// Checkout whose order store and provider must not be called.
fn untouched(settings: CheckoutSettings) -> Checkout {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().never();
    store.expect_load().never();
    store.expect_commit().never();
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().never();
    gateway.expect_create_customer().never();
    let mut customers = MockCustomerStore::new();
    customers.expect_insert_customer().never();
    checkout(Arc::new(store), customers, gateway, settings)
}

#[tokio::test]
async fn starting_a_checkout_stores_the_order_opens_a_session_with_a_derived_key_and_attaches_it() {
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| {
            request.idempotency_key == format!("checkout-session-{}", request.order.id())
                && request.success_url.contains("{CHECKOUT_SESSION_ID}")
                && request.order.amount().minor() == 9800
                && request.customer.is_none()
                // The clock's time plus the settings' two hours.
                && request.expires_at == Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap()
        })
        .times(1)
        .returning(|_| Ok(session("cs_test_123")));

    let started = checkout(store.clone(), MockCustomerStore::new(), gateway, settings())
        .start(&Caller::Guest, Some(email()), vec![sku_line("course", 2)])
        .await
        .unwrap();
    assert_eq!(started.session_id.as_str(), "cs_test_123");
    assert_eq!(started.url.as_str(), "https://checkout.stripe.com/c/pay/cs_test_123");
    let stored = store.find_order(started.order_id).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Pending);
    assert_eq!(stored.checkout_session_id(), Some(&started.session_id));
    let item = &stored.items()[0];
    assert_eq!((item.name(), item.unit_amount().minor(), item.quantity()), ("Course", 4900, 2));
    assert_eq!(item.image_url().map(Url::as_str), Some("https://cdn.example.com/course.png"));
    let catalog = item.catalog().unwrap();
    assert_eq!((catalog.sku.as_str(), catalog.price_id.as_str()), ("course", "course-usd"));
    assert_eq!(stored.user_id(), None);
}

#[tokio::test]
async fn an_empty_cart_touches_no_port() {
    let result = untouched(settings()).start(&Caller::Guest, Some(email()), vec![]).await;
    assert!(matches!(result, Err(StartCheckoutError::InvalidOrder(OrderError::NoItems))));
}

#[tokio::test]
async fn a_gateway_failure_marks_the_order_unpayable_and_is_reported() {
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .returning(|_| Err(GatewayError::Unavailable("connection refused".to_owned())));

    let result = checkout(store.clone(), MockCustomerStore::new(), gateway, settings())
        .start(&Caller::Guest, Some(email()), vec![sku_line("course", 1)])
        .await;
    let Err(StartCheckoutError::Gateway { order_id, source: GatewayError::Unavailable(_) }) = result else {
        panic!("expected an unavailable provider, got {result:?}");
    };
    let stored = store.find_order(order_id).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Canceled);
    assert!(stored.failure_reason().unwrap().contains("unavailable"));
    assert_eq!(stored.checkout_session_id(), None);
}

#[tokio::test]
async fn lines_the_catalog_cannot_sell_are_refused_and_nothing_is_stored() {
    let checkout = untouched(settings());
    let refuse = |line: CartLine| {
        let checkout = checkout.clone();
        async move { checkout.start(&Caller::Guest, Some(email()), vec![sku_line("course", 1), line]).await }
    };
    let unknown = refuse(sku_line("nothing", 1)).await;
    assert!(
        matches!(unknown, Err(StartCheckoutError::Price(PriceError::UnknownItem { index: 1, ref reference })) if reference == "sku nothing")
    );
    let retired = refuse(sku_line("mug", 1)).await;
    assert!(matches!(retired, Err(StartCheckoutError::Price(PriceError::NotForSale { index: 1, .. }))));
    let monthly = || CartLine::Catalog { item: CatalogItem::Price("course-monthly".into()), quantity: 1 };
    let two_plans = checkout.start(&Caller::Guest, Some(email()), vec![monthly(), monthly()]).await;
    assert!(
        matches!(two_plans, Err(StartCheckoutError::Price(PriceError::NotForSale { index: 1, ref reason, .. })) if reason.contains("one subscription")),
        "{two_plans:?}"
    );
    let too_many = refuse(sku_line("course", 1000)).await;
    assert!(matches!(
        too_many,
        Err(StartCheckoutError::Price(PriceError::InvalidLine { index: 1, source: LineItemError::Quantity }))
    ));
    let cheaper = refuse(client("Course", 1, None)).await;
    assert!(matches!(cheaper, Err(StartCheckoutError::Price(PriceError::PriceMismatch { index: 1, .. }))));
}

#[tokio::test]
async fn trusted_client_prices_sell_as_given_but_grant_no_product() {
    let store = Arc::new(MemoryStore::new());
    let settings = CheckoutSettings { allow_client_prices: true, ..settings() };
    let lines = vec![client("Course", 4900, None), client("Course", 1, None), client("Gift card", 100, None)];
    let started = checkout(store.clone(), MockCustomerStore::new(), opening(), settings)
        .start(&Caller::Guest, Some(email()), lines)
        .await
        .unwrap();
    let order = store.find_order(started.order_id).await.unwrap().unwrap();
    assert_eq!(order.amount().minor(), 4900 + 1 + 100);
    let linked: Vec<bool> = order.items().iter().map(|item| item.catalog().is_some()).collect();
    assert_eq!(linked, [true, false, false]);
}

#[tokio::test]
async fn guests_need_guest_checkout_and_an_email() {
    let closed = untouched(CheckoutSettings { allow_guest_checkout: false, ..settings() });
    let result = closed.start(&Caller::Guest, Some(email()), vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::AuthenticationRequired)));
    let open = untouched(settings());
    let result = open.start(&Caller::Guest, None, vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::EmailRequired)));
    let anonymous = Caller::User { id: UserId::parse("u1").unwrap(), email: None };
    let result = open.start(&anonymous, None, vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::EmailRequired)));
}

/// A customer store kept in memory behind the mock.
fn remembering_customers(stored: Arc<std::sync::Mutex<Option<Customer>>>) -> MockCustomerStore {
    let mut customers = MockCustomerStore::new();
    let read = stored.clone();
    customers.expect_find_customer().returning(move |_| Ok(read.lock().unwrap().clone()));
    customers.expect_insert_customer().returning(move |customer| {
        let mut slot = stored.lock().unwrap();
        Ok(slot.get_or_insert_with(|| customer.clone()).clone())
    });
    customers
}

#[tokio::test]
async fn a_users_first_checkouts_at_once_create_one_customer_and_every_session_uses_it() {
    let stored = Arc::new(std::sync::Mutex::new(None));
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_customer()
        .withf(|new| new.idempotency_key == "customer-u1" && new.user_id.as_str() == "u1")
        .times(1)
        .returning(|_| Ok(CustomerId::parse("cus_1").unwrap()));
    let opened = std::sync::atomic::AtomicU32::new(0);
    gateway
        .expect_create_checkout_session()
        .withf(|request| request.customer.as_ref().is_some_and(|c| c.as_str() == "cus_1"))
        .times(8)
        .returning(move |_| {
            Ok(session(&format!("cs_test_{}", opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed))))
        });
    let checkout = checkout(store.clone(), remembering_customers(stored.clone()), gateway, settings());
    let checkouts: Vec<_> = (0..8)
        .map(|_| {
            let checkout = checkout.clone();
            tokio::spawn(async move { checkout.start(&user("u1"), None, vec![sku_line("course", 1)]).await })
        })
        .collect();
    for started in checkouts {
        let started = started.await.unwrap().unwrap();
        let order = store.find_order(started.order_id).await.unwrap().unwrap();
        assert_eq!(order.user_id().map(UserId::as_str), Some("u1"));
        assert_eq!(order.email().as_str(), "user@example.com");
    }
    assert_eq!(stored.lock().unwrap().as_ref().unwrap().stripe_customer_id.as_str(), "cus_1");
}

#[tokio::test]
async fn a_customer_the_provider_cannot_create_stops_the_checkout_before_anything_is_stored() {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().never();
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_customer().returning(|_| Err(GatewayError::Unavailable("timeout".into())));
    gateway.expect_create_checkout_session().never();
    let mut customers = MockCustomerStore::new();
    customers.expect_find_customer().times(2).returning(|_| Ok(None));
    customers.expect_insert_customer().never();
    let result = checkout(Arc::new(store), customers, gateway, settings())
        .start(&user("u1"), None, vec![sku_line("course", 1)])
        .await;
    assert!(matches!(result, Err(StartCheckoutError::Customer(GatewayError::Unavailable(_)))));
}

#[tokio::test]
async fn guest_checkout_turned_off_still_lets_users_check_out() {
    let mut gateway = opening();
    gateway.expect_create_customer().never();
    let mut customers = MockCustomerStore::new();
    customers.expect_find_customer().returning(|user| {
        Ok(Some(Customer {
            user_id: user.clone(),
            stripe_customer_id: CustomerId::parse("cus_9").unwrap(),
            email: Email::parse("user@example.com").unwrap(),
            created_at: Utc::now(),
        }))
    });
    let settings = CheckoutSettings { allow_guest_checkout: false, ..settings() };
    checkout(Arc::new(MemoryStore::new()), customers, gateway, settings)
        .start(&user("u1"), None, vec![sku_line("course", 1)])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_recurring_price_opens_a_subscription_checkout_that_names_its_user_order_and_plan() {
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| {
            let Some(subscription) = &request.subscription else { return false };
            subscription.line == 1
                && subscription.recurring == Recurring { interval: Interval::Month, interval_count: 1 }
                && subscription.links.user_id == Some(UserId::parse("user-1").unwrap())
                && subscription.links.order_id == Some(request.order.id())
                && subscription.links.sku == Some(Sku::parse("course").unwrap())
                && subscription.links.price_key == Some(PriceKey::parse("course-monthly").unwrap())
        })
        .returning(|_| Ok(session("cs_test_sub")));
    let mut customers = MockCustomerStore::new();
    let customer = Customer {
        user_id: UserId::parse("user-1").unwrap(),
        stripe_customer_id: CustomerId::parse("cus_1").unwrap(),
        email: Email::parse("user@example.com").unwrap(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    };
    customers.expect_find_customer().returning(move |_| Ok(Some(customer.clone())));
    let monthly = CartLine::Catalog { item: CatalogItem::Price("course-monthly".into()), quantity: 1 };
    let started = checkout(store.clone(), customers, gateway, settings())
        .start(&user("user-1"), None, vec![sku_line("course", 1), monthly])
        .await
        .expect("a subscription checkout");
    let order = store.find_order(started.order_id).await.unwrap().unwrap();
    assert_eq!(order.amount().minor(), 4900 + 900, "the one-time line rides on the first invoice");
}

#[tokio::test]
async fn a_one_time_cart_opens_a_payment_checkout() {
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| request.subscription.is_none())
        .returning(|_| Ok(session("cs_test_once")));
    let store = Arc::new(MemoryStore::new());
    checkout(store, MockCustomerStore::new(), gateway, settings())
        .start(&Caller::Guest, Some(email()), vec![sku_line("course", 2)])
        .await
        .expect("a payment checkout");
}

fn opened_intent(id: &str) -> crate::ports::payment_gateway::OpenedPaymentIntent {
    crate::ports::payment_gateway::OpenedPaymentIntent {
        id: PaymentIntentId::parse(id).unwrap(),
        client_secret: format!("{id}_secret_abc"),
    }
}

#[tokio::test]
async fn a_payment_intent_is_created_for_a_stored_order_with_a_derived_key_and_recorded_on_it() {
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_payment_intent()
        .withf(|request| {
            request.idempotency_key == format!("payment-intent-{}", request.order.id())
                && request.order.amount().minor() == 4900
                && request.customer.is_none()
        })
        .times(1)
        .returning(|_| Ok(opened_intent("pi_123")));
    gateway.expect_create_checkout_session().never();

    let started = checkout(store.clone(), MockCustomerStore::new(), gateway, settings())
        .start_payment(&Caller::Guest, Some(email()), vec![sku_line("course", 1)])
        .await
        .unwrap();
    assert_eq!(started.payment_intent_id.as_str(), "pi_123");
    assert_eq!(started.client_secret, "pi_123_secret_abc");
    assert!(!format!("{started:?}").contains("secret_abc"), "Debug never shows the client secret");
    let stored = store.find_order(started.order_id).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Pending);
    assert_eq!(stored.payment_intent_id().map(PaymentIntentId::as_str), Some("pi_123"));
    assert_eq!(stored.checkout_session_id(), None);
}

#[tokio::test]
async fn a_recurring_price_is_not_paid_through_a_payment_intent_and_nothing_is_stored() {
    let mut checkout = untouched(settings());
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_payment_intent().never();
    checkout.ports.gateway = Arc::new(gateway);
    let line = CartLine::Catalog { item: CatalogItem::Price("course-monthly".to_owned()), quantity: 1 };
    let result = checkout.start_payment(&Caller::Guest, Some(email()), vec![line]).await;
    let Err(StartCheckoutError::Price(PriceError::NotForSale { reason, .. })) = result else {
        panic!("expected a refusal, got {result:?}");
    };
    assert!(reason.contains("Checkout Session"), "{reason}");
}

#[tokio::test]
async fn a_payment_intent_the_provider_refuses_leaves_the_order_unpayable() {
    let store = Arc::new(MemoryStore::new());
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_payment_intent().returning(|_| {
        Err(GatewayError::Rejected { code: Some("amount_too_small".into()), message: "too small".into() })
    });
    let result = checkout(store.clone(), MockCustomerStore::new(), gateway, settings())
        .start_payment(&Caller::Guest, Some(email()), vec![sku_line("course", 1)])
        .await;
    let Err(StartCheckoutError::Gateway { order_id, source: GatewayError::Rejected { .. } }) = result else {
        panic!("expected a refused intent, got {result:?}");
    };
    let stored = store.find_order(order_id).await.unwrap().unwrap();
    assert_eq!(stored.status(), OrderStatus::Canceled);
    assert!(stored.failure_reason().unwrap().ends_with("the payment provider refused the payment intent"));
}
