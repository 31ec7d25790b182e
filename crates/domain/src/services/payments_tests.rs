//! The services against mocked ports.

use super::*;
use crate::model::catalog::{CatalogPrice, CatalogRef, Interval, PriceKey, Product, Recurring, Sku};
use crate::model::ids::CustomerId;
use crate::model::ids::EventId;
use crate::model::line_item::LineItemError;
use crate::model::money::Money;
use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
use crate::model::purchase::{PurchaseState, PurchaseStatus};
use crate::model::transition::Effect;
use crate::model::user::{Caller, Customer, UserId};
use crate::ports::catalog_store::MockCatalogStore;
use crate::ports::clock::MockClock;
use crate::ports::customer_store::MockCustomerStore;
use crate::ports::order_store::{MockOrderStore, ReceivedEvent};
use crate::ports::payment_gateway::{CheckoutSession, MockPaymentGateway};
use crate::ports::webhook_verifier::MockWebhookVerifier;
use crate::OrderStatus;
use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

fn settings() -> CheckoutSettings {
    CheckoutSettings {
        currency: Currency::USD,
        success_url: "http://shop.test/success?session_id={CHECKOUT_SESSION_ID}".to_owned(),
        cancel_url: "http://shop.test/cancel".to_owned(),
        allow_client_prices: false,
        allow_guest_checkout: true,
    }
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
    clock
}

fn items() -> Vec<LineItem> {
    vec![LineItem::new("Course", Money::new(4900, Currency::USD).unwrap(), 2, None).unwrap()]
}

fn email() -> Email {
    Email::parse("ada@example.com").unwrap()
}

fn payments(store: MockOrderStore, gateway: MockPaymentGateway, verifier: MockWebhookVerifier) -> Payments {
    with_ports(store, catalog(), MockCustomerStore::new(), gateway, verifier, settings())
}

fn with_ports(
    orders: MockOrderStore,
    catalog: MockCatalogStore,
    customers: MockCustomerStore,
    gateway: MockPaymentGateway,
    verifier: MockWebhookVerifier,
    settings: CheckoutSettings,
) -> Payments {
    Payments::new(
        Ports {
            orders: Arc::new(orders),
            catalog: Arc::new(catalog),
            customers: Arc::new(customers),
            gateway: Arc::new(gateway),
            verifier: Arc::new(verifier),
            clock: Arc::new(clock()),
        },
        settings,
    )
}

/// The catalog the tests sell from: a course at 49.00 USD (one-time) with a monthly plan, and a retired mug.
fn products() -> Vec<Product> {
    let usd = |minor| Money::new(minor, Currency::USD).unwrap();
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

fn catalog() -> MockCatalogStore {
    let mut catalog = MockCatalogStore::new();
    catalog.expect_list_products().returning(|| Ok(products()));
    catalog
}

fn client_lines() -> Vec<CartLine> {
    items().into_iter().map(|item| CartLine::Client { sku: None, item }).collect()
}

#[tokio::test]
async fn starting_a_checkout_stores_the_order_opens_a_session_with_a_derived_key_and_attaches_it() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| order.amount.minor() == 9800 && order.status == OrderStatus::Pending)
        .times(1)
        .returning(|_| Ok(()));
    store
        .expect_attach_checkout_session()
        .withf(|_, session, _| session.as_str() == "cs_test_123")
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| {
            request.idempotency_key == format!("checkout-session-{}", request.order.id)
                && request.success_url.contains("{CHECKOUT_SESSION_ID}")
        })
        .times(1)
        .returning(|_| {
            Ok(CheckoutSession {
                id: CheckoutSessionId::parse("cs_test_123").unwrap(),
                url: Url::parse("https://checkout.stripe.com/c/pay/cs_test_123").unwrap(),
                expires_at: None,
            })
        });

    let started = payments(store, gateway, MockWebhookVerifier::new())
        .start_checkout(&Caller::Guest, Some(email()), client_lines())
        .await
        .unwrap();
    assert_eq!(started.session_id.as_str(), "cs_test_123");
    assert_eq!(started.url.as_str(), "https://checkout.stripe.com/c/pay/cs_test_123");
}

#[tokio::test]
async fn an_invalid_order_touches_no_port() {
    let result = payments(MockOrderStore::new(), MockPaymentGateway::new(), MockWebhookVerifier::new())
        .start_checkout(&Caller::Guest, Some(email()), vec![])
        .await;
    assert!(matches!(result, Err(StartCheckoutError::InvalidOrder(OrderError::NoItems))));
}

#[tokio::test]
async fn a_gateway_failure_marks_the_order_unpayable_and_is_reported() {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().times(1).returning(|_| Ok(()));
    store
        .expect_mark_checkout_failed()
        .withf(|_, reason, _| reason.contains("unavailable"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    store.expect_attach_checkout_session().never();
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .returning(|_| Err(GatewayError::Unavailable("connection refused".to_owned())));

    let result = payments(store, gateway, MockWebhookVerifier::new())
        .start_checkout(&Caller::Guest, Some(email()), client_lines())
        .await;
    assert!(matches!(result, Err(StartCheckoutError::Gateway { source: GatewayError::Unavailable(_), .. })));
}

fn received() -> ReceivedEvent {
    ReceivedEvent {
        event: PaymentEvent {
            id: EventId::parse("evt_1").unwrap(),
            event_type: "checkout.session.expired".to_owned(),
            created: Utc::now(),
            kind: PaymentEventKind::CheckoutExpired,
            refs: EventRefs { order_id: Some(OrderId::new_v7()), ..EventRefs::default() },
        },
        payload: "{}".to_owned(),
    }
}

#[tokio::test]
async fn a_verified_event_is_recorded_and_its_outcome_returned() {
    let mut verifier = MockWebhookVerifier::new();
    verifier
        .expect_verify()
        .withf(|payload, header, _| payload == b"body" && *header == Some("t=1,v1=ab"))
        .returning(|_, _, _| Ok(received()));
    let mut store = MockOrderStore::new();
    let order_id = OrderId::new_v7();
    store.expect_record_event().times(1).returning(move |_, _| {
        Ok(RecordOutcome::Applied {
            order_id,
            effect: Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Expired },
            adopted: 0,
        })
    });
    let outcome = payments(store, MockPaymentGateway::new(), verifier)
        .handle_webhook(b"body", Some("t=1,v1=ab"))
        .await
        .unwrap();
    assert!(matches!(outcome, RecordOutcome::Applied { order_id: id, .. } if id == order_id));
}

#[tokio::test]
async fn a_badly_signed_delivery_never_reaches_the_store() {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_verify().returning(|_, _, _| Err(WebhookError::NoMatchingSignature));
    let mut store = MockOrderStore::new();
    store.expect_record_event().never();
    let result =
        payments(store, MockPaymentGateway::new(), verifier).handle_webhook(b"{}", Some("t=1,v1=00")).await;
    assert!(matches!(result, Err(HandleWebhookError::Rejected(WebhookError::NoMatchingSignature))));
}

#[tokio::test]
async fn a_store_outage_is_reported_so_the_sender_retries() {
    let mut verifier = MockWebhookVerifier::new();
    verifier.expect_verify().returning(|_, _, _| Ok(received()));
    let mut store = MockOrderStore::new();
    store.expect_record_event().returning(|_, _| Err(StoreError::Unavailable("pool timed out".to_owned())));
    let result =
        payments(store, MockPaymentGateway::new(), verifier).handle_webhook(b"{}", Some("t=1")).await;
    assert!(matches!(result, Err(HandleWebhookError::Store(StoreError::Unavailable(_)))));
}

#[tokio::test]
async fn reading_an_unknown_order_is_not_found() {
    let mut store = MockOrderStore::new();
    let id = OrderId::new_v7();
    store.expect_find_order().with(eq(id)).returning(|_| Ok(None));
    store.expect_find_order_by_session().returning(|_| Ok(None));
    let payments = payments(store, MockPaymentGateway::new(), MockWebhookVerifier::new());
    assert!(matches!(payments.order(id).await, Err(GetOrderError::NotFound)));
    let session = CheckoutSessionId::parse("cs_test_x").unwrap();
    assert!(matches!(payments.order_by_session(&session).await, Err(GetOrderError::NotFound)));
}

fn session(id: &str) -> CheckoutSession {
    CheckoutSession {
        id: CheckoutSessionId::parse(id).unwrap(),
        url: Url::parse(&format!("https://checkout.stripe.com/c/pay/{id}")).unwrap(),
        expires_at: None,
    }
}

fn sku_line(sku: &str, quantity: u32) -> CartLine {
    CartLine::Catalog { item: CatalogItem::Sku(Sku::parse(sku).unwrap()), quantity }
}

fn user(id: &str) -> Caller {
    Caller::User { id: UserId::parse(id).unwrap(), email: Some(Email::parse("user@example.com").unwrap()) }
}

/// A store that accepts the order and the session; the gateway opens `cs_test_1`.
fn accepting() -> (MockOrderStore, MockPaymentGateway) {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().returning(|_| Ok(()));
    store.expect_attach_checkout_session().returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().returning(|_| Ok(session("cs_test_1")));
    (store, gateway)
}

#[tokio::test]
async fn a_catalog_line_is_priced_named_and_linked_by_the_server() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| {
            let item = &order.items[0];
            order.amount.minor() == 9800
                && item.name() == "Course"
                && item.unit_amount().minor() == 4900
                && item.image_url().is_some_and(|url| url.as_str() == "https://cdn.example.com/course.png")
                && item
                    .catalog()
                    .is_some_and(|c| c.sku.as_str() == "course" && c.price_id.as_str() == "course-usd")
                && order.user_id.is_none()
        })
        .times(1)
        .returning(|_| Ok(()));
    store.expect_attach_checkout_session().times(1).returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_checkout_session()
        .withf(|request| request.customer.is_none())
        .times(1)
        .returning(|_| Ok(session("cs_test_1")));
    let payments = payments(store, gateway, MockWebhookVerifier::new());
    let started =
        payments.start_checkout(&Caller::Guest, Some(email()), vec![sku_line("course", 2)]).await.unwrap();
    assert_eq!(started.session_id.as_str(), "cs_test_1");
}

#[tokio::test]
async fn a_catalog_line_by_price_id_uses_that_price() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| {
            order.amount.minor() == 4900
                && order.items[0].catalog().unwrap().price_id.as_str() == "course-usd"
        })
        .times(1)
        .returning(|_| Ok(()));
    store.expect_attach_checkout_session().returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().returning(|_| Ok(session("cs_test_1")));
    let line = CartLine::Catalog { item: CatalogItem::Price("course-usd".to_owned()), quantity: 1 };
    payments(store, gateway, MockWebhookVerifier::new())
        .start_checkout(&Caller::Guest, Some(email()), vec![line])
        .await
        .unwrap();
}

/// Payments whose store and gateway must not be called.
fn untouched(settings: CheckoutSettings) -> Payments {
    let mut store = MockOrderStore::new();
    store.expect_insert_order().never();
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().never();
    gateway.expect_create_customer().never();
    let mut customers = MockCustomerStore::new();
    customers.expect_insert_customer().never();
    with_ports(store, catalog(), customers, gateway, MockWebhookVerifier::new(), settings)
}

#[tokio::test]
async fn lines_the_catalog_cannot_sell_are_refused_and_nothing_is_stored() {
    let payments = untouched(settings());
    let refuse = |line: CartLine| {
        let payments = payments.clone();
        async move {
            payments.start_checkout(&Caller::Guest, Some(email()), vec![sku_line("course", 1), line]).await
        }
    };
    let unknown = refuse(sku_line("nothing", 1)).await;
    assert!(
        matches!(unknown, Err(StartCheckoutError::UnknownItem { index: 1, ref reference }) if reference == "sku nothing")
    );
    let retired = refuse(sku_line("mug", 1)).await;
    assert!(matches!(retired, Err(StartCheckoutError::NotForSale { index: 1, .. })));
    let recurring =
        refuse(CartLine::Catalog { item: CatalogItem::Price("course-monthly".into()), quantity: 1 }).await;
    assert!(
        matches!(recurring, Err(StartCheckoutError::NotForSale { ref reason, .. }) if reason.contains("recurring"))
    );
    let unknown_price =
        refuse(CartLine::Catalog { item: CatalogItem::Price("price_nope".into()), quantity: 1 }).await;
    assert!(matches!(unknown_price, Err(StartCheckoutError::UnknownItem { index: 1, .. })));
    let too_many = refuse(sku_line("course", 1000)).await;
    assert!(matches!(
        too_many,
        Err(StartCheckoutError::InvalidLine { index: 1, source: LineItemError::Quantity })
    ));
}

fn client(name: &str, minor: i64, sku: Option<&str>) -> CartLine {
    CartLine::Client {
        sku: sku.map(|sku| Sku::parse(sku).unwrap()),
        item: LineItem::new(name, Money::new(minor, Currency::USD).unwrap(), 1, None).unwrap(),
    }
}

#[tokio::test]
async fn a_client_price_below_the_catalog_is_a_mismatch_whichever_way_the_item_is_named() {
    let payments = untouched(settings());
    for line in
        [client("Course", 1, None), client("course", 4899, None), client("Anything", 100, Some("course"))]
    {
        let result = payments.start_checkout(&Caller::Guest, Some(email()), vec![line]).await;
        match result {
            Err(StartCheckoutError::PriceMismatch { index: 0, name, expected, .. }) => {
                assert_eq!(name, "Course");
                assert_eq!(expected.map(|price| price.minor()), Some(4900));
            }
            other => panic!("expected a price mismatch, got {other:?}"),
        }
    }
    let unknown =
        payments.start_checkout(&Caller::Guest, Some(email()), vec![client("Gift card", 100, None)]).await;
    assert!(matches!(unknown, Err(StartCheckoutError::UnknownItem { index: 0, .. })));
}

#[tokio::test]
async fn trusted_client_prices_sell_as_given_but_grant_no_product() {
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| {
            order.amount.minor() == 4900 + 1 + 100
                && order.items[0].catalog().is_some()
                && order.items[1].catalog().is_none()
                && order.items[2].catalog().is_none()
        })
        .times(1)
        .returning(|_| Ok(()));
    store.expect_attach_checkout_session().returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_checkout_session().returning(|_| Ok(session("cs_test_1")));
    let settings = CheckoutSettings { allow_client_prices: true, ..settings() };
    let payments =
        with_ports(store, catalog(), MockCustomerStore::new(), gateway, MockWebhookVerifier::new(), settings);
    let lines = vec![client("Course", 4900, None), client("Course", 1, None), client("Gift card", 100, None)];
    payments.start_checkout(&Caller::Guest, Some(email()), lines).await.unwrap();
}

#[tokio::test]
async fn guests_need_guest_checkout_and_an_email() {
    let closed = untouched(CheckoutSettings { allow_guest_checkout: false, ..settings() });
    let result = closed.start_checkout(&Caller::Guest, Some(email()), vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::AuthenticationRequired)));
    let open = untouched(settings());
    let result = open.start_checkout(&Caller::Guest, None, vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::EmailRequired)));
    let anonymous = Caller::User { id: UserId::parse("u1").unwrap(), email: None };
    let result = open.start_checkout(&anonymous, None, vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::EmailRequired)));
}

/// A customer store kept in memory behind the mock, counting inserts.
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
    let mut store = MockOrderStore::new();
    store
        .expect_insert_order()
        .withf(|order| {
            order.user_id.as_ref().is_some_and(|user| user.as_str() == "u1")
                && order.email.as_str() == "user@example.com"
        })
        .times(8)
        .returning(|_| Ok(()));
    store.expect_attach_checkout_session().returning(|_, _, _| Ok(()));
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_create_customer()
        .withf(|new| new.idempotency_key == "customer-u1" && new.user_id.as_str() == "u1")
        .times(1)
        .returning(|_| Ok(CustomerId::parse("cus_1").unwrap()));
    gateway
        .expect_create_checkout_session()
        .withf(|request| request.customer.as_ref().is_some_and(|c| c.as_str() == "cus_1"))
        .times(8)
        .returning(|_| Ok(session("cs_test_1")));
    let payments = with_ports(
        store,
        catalog(),
        remembering_customers(stored.clone()),
        gateway,
        MockWebhookVerifier::new(),
        settings(),
    );
    let checkouts: Vec<_> = (0..8)
        .map(|_| {
            let payments = payments.clone();
            tokio::spawn(async move {
                payments.start_checkout(&user("u1"), None, vec![sku_line("course", 1)]).await
            })
        })
        .collect();
    for checkout in checkouts {
        checkout.await.unwrap().unwrap();
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
    let payments = with_ports(store, catalog(), customers, gateway, MockWebhookVerifier::new(), settings());
    let result = payments.start_checkout(&user("u1"), None, vec![sku_line("course", 1)]).await;
    assert!(matches!(result, Err(StartCheckoutError::Customer(GatewayError::Unavailable(_)))));
}

#[tokio::test]
async fn guest_checkout_turned_off_still_lets_users_check_out() {
    let (store, gateway) = accepting();
    let mut gateway = gateway;
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
    let payments = with_ports(store, catalog(), customers, gateway, MockWebhookVerifier::new(), settings);
    payments.start_checkout(&user("u1"), None, vec![sku_line("course", 1)]).await.unwrap();
}

fn order_of(owner: Option<&str>) -> Order {
    let mut order = Order::new(OrderId::new_v7(), email(), items(), Utc::now()).unwrap();
    order.user_id = owner.map(|id| UserId::parse(id).unwrap());
    order
}

fn reading(orders: Vec<Order>) -> Payments {
    let mut store = MockOrderStore::new();
    let by_id = orders.clone();
    store.expect_find_order().returning(move |id| Ok(by_id.iter().find(|o| o.id == id).cloned()));
    let by_session = orders.clone();
    store.expect_find_order_by_session().returning(move |session| {
        Ok(by_session.iter().find(|o| o.checkout_session_id.as_ref() == Some(session)).cloned())
    });
    let of_user = orders;
    store.expect_list_orders_of_user().returning(move |user, _| {
        Ok(of_user.iter().filter(|o| o.user_id.as_ref() == Some(user)).cloned().collect())
    });
    payments(store, MockPaymentGateway::new(), MockWebhookVerifier::new())
}

#[tokio::test]
async fn users_see_their_own_orders_only_and_guests_need_the_session_id() {
    let mut mine = order_of(Some("u1"));
    mine.checkout_session_id = Some(CheckoutSessionId::parse("cs_test_mine").unwrap());
    let mut guest = order_of(None);
    guest.checkout_session_id = Some(CheckoutSessionId::parse("cs_test_guest").unwrap());
    let payments = reading(vec![mine.clone(), guest.clone()]);

    assert_eq!(payments.order_for(&user("u1"), mine.id).await.unwrap().id, mine.id);
    assert!(matches!(payments.order_for(&user("u2"), mine.id).await, Err(GetOrderError::NotFound)));
    assert!(matches!(payments.order_for(&user("u1"), guest.id).await, Err(GetOrderError::NotFound)));
    assert!(matches!(
        payments.order_for(&Caller::Guest, guest.id).await,
        Err(GetOrderError::AuthenticationRequired)
    ));
    assert_eq!(payments.order_for(&Caller::Admin, mine.id).await.unwrap().id, mine.id);

    let mine_session = mine.checkout_session_id.clone().unwrap();
    let guest_session = guest.checkout_session_id.clone().unwrap();
    assert_eq!(payments.order_by_session_for(&Caller::Guest, &guest_session).await.unwrap().id, guest.id);
    assert!(matches!(
        payments.order_by_session_for(&Caller::Guest, &mine_session).await,
        Err(GetOrderError::NotFound)
    ));
    assert!(matches!(
        payments.order_by_session_for(&user("u2"), &mine_session).await,
        Err(GetOrderError::NotFound)
    ));
    assert_eq!(payments.order_by_session_for(&user("u1"), &mine_session).await.unwrap().id, mine.id);
    assert_eq!(payments.order_by_session_for(&Caller::Admin, &mine_session).await.unwrap().id, mine.id);
}

#[tokio::test]
async fn purchase_status_follows_the_users_orders_and_needs_a_user() {
    let course = products()[0].clone();
    let linked = |status: OrderStatus| {
        let price = &course.prices[0];
        let item = LineItem::new("Course", price.unit_amount, 1, None)
            .unwrap()
            .with_catalog(CatalogRef { sku: course.sku.clone(), price_id: price.id.clone() });
        let mut order = Order::new(OrderId::new_v7(), email(), vec![item], Utc::now()).unwrap();
        order.user_id = Some(UserId::parse("u1").unwrap());
        order.status = status;
        order
    };
    let payments = reading(vec![linked(OrderStatus::Failed), linked(OrderStatus::Paid)]);
    let sku = Sku::parse("course").unwrap();
    assert_eq!(
        payments.purchase_status(&user("u1"), &sku).await.unwrap(),
        PurchaseState::Status(PurchaseStatus::Completed)
    );
    assert_eq!(payments.purchase_status(&user("u2"), &sku).await.unwrap(), PurchaseState::NotPurchased);
    let missing = Sku::parse("nothing").unwrap();
    assert!(matches!(
        payments.purchase_status(&user("u1"), &missing).await,
        Err(GetOrderError::ProductNotFound)
    ));
    assert!(matches!(
        payments.purchase_status(&Caller::Guest, &sku).await,
        Err(GetOrderError::AuthenticationRequired)
    ));
    assert!(matches!(payments.purchase_status(&Caller::Admin, &sku).await, Err(GetOrderError::UsersOnly)));
    let purchases = payments.purchases(&user("u1")).await.unwrap();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].status, PurchaseStatus::Completed);
}

#[tokio::test]
async fn only_active_products_and_prices_are_listed() {
    let mut catalog = MockCatalogStore::new();
    catalog.expect_list_products().returning(|| {
        let mut products = products();
        let mut retired = CatalogPrice::new(
            PriceKey::parse("course-old").unwrap(),
            Money::new(3900, Currency::USD).unwrap(),
            None,
        )
        .unwrap();
        retired.active = false;
        products[0].prices.push(retired);
        Ok(products)
    });
    let payments = with_ports(
        MockOrderStore::new(),
        catalog,
        MockCustomerStore::new(),
        MockPaymentGateway::new(),
        MockWebhookVerifier::new(),
        settings(),
    );
    let listed = payments.products().await.unwrap();
    assert_eq!(listed.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(), ["course"]);
    let prices: Vec<&str> = listed[0].prices.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(prices, ["course-usd", "course-monthly"], "the retired price is not listed");
}
