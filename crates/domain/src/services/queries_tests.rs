//! Reads, and who may see what.

use super::*;
use crate::model::catalog::{CatalogPrice, CatalogRef, PriceKey};
use crate::model::email::Email;
use crate::model::line_item::LineItem;
use crate::model::money::{Currency, Money};
use crate::model::order_status::OrderStatus;
use crate::model::payment_facts::PaymentFacts;
use crate::model::purchase::PurchaseStatus;
use crate::ports::catalog_store::MockCatalogStore;
use crate::ports::order_store::MockOrderStore;
use crate::testing::MemoryStore;
use chrono::Utc;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD).unwrap()
}

fn course() -> Product {
    let price = CatalogPrice::new(PriceKey::parse("course-usd").unwrap(), usd(4900), None).unwrap();
    Product::new(Sku::parse("course").unwrap(), "Course", None, None, vec![price]).unwrap()
}

fn catalog(products: Vec<Product>) -> MockCatalogStore {
    let mut catalog = MockCatalogStore::new();
    catalog.expect_list_products().returning(move || Ok(products.clone()));
    catalog
}

fn user(id: &str) -> Caller {
    Caller::User { id: UserId::parse(id).unwrap(), email: None }
}

/// An order of the course, placed by `owner` (a guest's if `None`), in `status`, with session `session`.
fn order_of(owner: Option<&str>, status: OrderStatus, session: &str) -> Order {
    let product = course();
    let price = &product.prices[0];
    let item = LineItem::new("Course", price.unit_amount, 1, None)
        .unwrap()
        .with_catalog(CatalogRef { sku: product.sku.clone(), price_id: price.id.clone() });
    let mut order =
        Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), vec![item], Utc::now())
            .unwrap();
    if let Some(owner) = owner {
        order = order.placed_by(UserId::parse(owner).unwrap());
    }
    let mut stored = order.into_stored();
    stored.facts = PaymentFacts::leading_to(status, stored.amount);
    stored.checkout_session_id = Some(CheckoutSessionId::parse(session).unwrap());
    Order::restore(stored).unwrap()
}

async fn reading(orders: &[Order]) -> Queries {
    let store = MemoryStore::new();
    for order in orders {
        store.insert_order(order).await.unwrap();
    }
    let store = Arc::new(store);
    Queries::new(store.clone(), store, Arc::new(catalog(vec![course()])))
}

#[tokio::test]
async fn reading_an_unknown_order_is_not_found() {
    let queries = reading(&[]).await;
    assert!(matches!(queries.order(OrderId::new_v7()).await, Err(GetOrderError::NotFound)));
    let session = CheckoutSessionId::parse("cs_test_x").unwrap();
    assert!(matches!(queries.order_by_session(&session).await, Err(GetOrderError::NotFound)));
}

#[tokio::test]
async fn users_see_their_own_orders_only_and_guests_need_the_session_id() {
    let mine = order_of(Some("u1"), OrderStatus::Pending, "cs_test_mine");
    let guest = order_of(None, OrderStatus::Pending, "cs_test_guest");
    let queries = reading(&[mine.clone(), guest.clone()]).await;

    assert_eq!(queries.order_for(&user("u1"), mine.id()).await.unwrap().id(), mine.id());
    assert!(matches!(queries.order_for(&user("u2"), mine.id()).await, Err(GetOrderError::NotFound)));
    assert!(matches!(queries.order_for(&user("u1"), guest.id()).await, Err(GetOrderError::NotFound)));
    assert!(matches!(
        queries.order_for(&Caller::Guest, guest.id()).await,
        Err(GetOrderError::AuthenticationRequired)
    ));
    assert_eq!(queries.order_for(&Caller::Admin, mine.id()).await.unwrap().id(), mine.id());

    let mine_session = mine.checkout_session_id().unwrap();
    let guest_session = guest.checkout_session_id().unwrap();
    assert_eq!(queries.order_by_session_for(&Caller::Guest, guest_session).await.unwrap().id(), guest.id());
    assert!(matches!(
        queries.order_by_session_for(&Caller::Guest, mine_session).await,
        Err(GetOrderError::NotFound)
    ));
    assert!(matches!(
        queries.order_by_session_for(&user("u2"), mine_session).await,
        Err(GetOrderError::NotFound)
    ));
    assert_eq!(queries.order_by_session_for(&user("u1"), mine_session).await.unwrap().id(), mine.id());
    assert_eq!(queries.order_by_session_for(&Caller::Admin, mine_session).await.unwrap().id(), mine.id());
}

#[tokio::test]
async fn purchase_status_follows_the_users_orders_and_needs_a_user() {
    let failed = order_of(Some("u1"), OrderStatus::Failed, "cs_test_1");
    let paid = order_of(Some("u1"), OrderStatus::Paid, "cs_test_2");
    let queries = reading(&[failed, paid]).await;
    let sku = Sku::parse("course").unwrap();
    let status = |caller| {
        let (queries, sku) = (&queries, &sku);
        async move { queries.purchase_status(&caller, sku).await.unwrap().map(|purchase| purchase.status) }
    };
    assert_eq!(status(user("u1")).await, Some(PurchaseStatus::Completed));
    assert_eq!(status(user("u2")).await, None);
    let missing = Sku::parse("nothing").unwrap();
    assert!(matches!(
        queries.purchase_status(&user("u1"), &missing).await,
        Err(GetOrderError::ProductNotFound)
    ));
    assert!(matches!(
        queries.purchase_status(&Caller::Guest, &sku).await,
        Err(GetOrderError::AuthenticationRequired)
    ));
    assert!(matches!(queries.purchase_status(&Caller::Admin, &sku).await, Err(GetOrderError::UsersOnly)));
    let purchases = queries.purchases(&user("u1")).await.unwrap();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].status, PurchaseStatus::Completed);
}

#[tokio::test]
async fn only_active_products_and_prices_are_listed() {
    let mut course = course();
    let mut retired = CatalogPrice::new(PriceKey::parse("course-old").unwrap(), usd(3900), None).unwrap();
    retired.active = false;
    course.prices.push(retired);
    let mut mug = course.clone();
    mug.sku = Sku::parse("mug").unwrap();
    mug.active = false;
    let queries = Queries::new(
        Arc::new(MockOrderStore::new()),
        Arc::new(MemoryStore::new()),
        Arc::new(catalog(vec![course, mug])),
    );
    let listed = queries.products().await.unwrap();
    assert_eq!(listed.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(), ["course"]);
    let prices: Vec<&str> = listed[0].prices.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(prices, ["course-usd"], "the retired price is not listed");
}

#[tokio::test]
async fn a_users_subscription_grants_its_product_while_stripe_says_so() {
    use crate::model::ids::{CustomerId, EventId, SubscriptionId};
    use crate::model::payment_event::{EventRefs, PaymentEvent, PaymentEventKind};
    use crate::model::subscription::SubscriptionStatus;
    use crate::model::subscription::{BillingSnapshot, SubscriptionLinks, SubscriptionSnapshot};
    use crate::ports::order_store::ReceivedEvent;
    use crate::services::billing::record_billing_event;

    let store = Arc::new(MemoryStore::new());
    let queries = Queries::new(store.clone(), store.clone(), Arc::new(catalog(vec![course()])));
    let event = |n: i64, status: &str| {
        let billing = BillingSnapshot::Subscription(SubscriptionSnapshot {
            id: SubscriptionId::parse("sub_1").unwrap(),
            customer: CustomerId::parse("cus_1").unwrap(),
            status: SubscriptionStatus::parse(status),
            current_period_end: Some(Utc::now() + chrono::Duration::days(30)),
            cancel_at_period_end: false,
            canceled_at: None,
            trial_end: None,
            price: None,
            links: SubscriptionLinks {
                user_id: Some(UserId::parse("u1").unwrap()),
                sku: Some(Sku::parse("course").unwrap()),
                ..SubscriptionLinks::default()
            },
        });
        let event = PaymentEvent {
            id: EventId::parse(&format!("evt_{n}")).unwrap(),
            event_type: "customer.subscription.updated".to_owned(),
            created: Utc::now() + chrono::Duration::seconds(n),
            kind: PaymentEventKind::Unknown,
            refs: EventRefs::default(),
        };
        (ReceivedEvent { billing: Some(billing.clone()), ..ReceivedEvent::new(event, "{}") }, billing)
    };
    let sku = Sku::parse("course").unwrap();
    let state = || async { queries.purchase_status(&user("u1"), &sku).await.unwrap().map(|p| p.status) };
    assert_eq!(state().await, None);

    let (received, billing) = event(1, "active");
    record_billing_event(&*store, &received, &billing, Utc::now()).await.unwrap();
    assert_eq!(state().await, Some(PurchaseStatus::Completed));
    let purchases = queries.purchases(&user("u1")).await.unwrap();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].subscription.as_ref().map(|s| s.id.as_str()), Some("sub_1"));
    assert!(queries.purchases(&user("u2")).await.unwrap().is_empty(), "someone else's");

    let (received, billing) = event(2, "canceled");
    record_billing_event(&*store, &received, &billing, Utc::now()).await.unwrap();
    assert_eq!(state().await, Some(PurchaseStatus::Ended));
    assert!(queries.purchases(&user("u1")).await.unwrap().is_empty(), "an ended subscription grants nothing");
}
