//! Subscription reads and changes: who may see which, what may change, and what reaches the provider.

use super::*;
use crate::model::email::Email;
use crate::model::ids::{CustomerId, EventId};
use crate::model::subscription::{BillingSnapshot, SubscriptionLinks, SubscriptionSnapshot};
use crate::model::user::Customer;
use crate::ports::billing_gateway::MockBillingGateway;
use crate::ports::customer_store::MockCustomerStore;
use crate::ports::subscription_store::MockSubscriptionStore;
use chrono::{TimeZone, Utc};

fn id() -> SubscriptionId {
    SubscriptionId::parse("sub_1").unwrap()
}

fn ada() -> Caller {
    Caller::User { id: UserId::parse("ada").unwrap(), email: None }
}

fn bob() -> Caller {
    Caller::User { id: UserId::parse("bob").unwrap(), email: None }
}

/// Ada's subscription in `status`, set to cancel at the period's end or not, as event `evt_7` showed it.
fn record(status: &str, cancel_at_period_end: bool) -> Subscription {
    let mut record = Subscription::new(id());
    let snapshot = BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: id(),
        customer: CustomerId::parse("cus_ada").unwrap(),
        status: SubscriptionStatus::parse(status),
        current_period_end: None,
        cancel_at_period_end,
        canceled_at: None,
        trial_end: None,
        price: None,
        links: SubscriptionLinks::default(),
    });
    record.merge(
        &snapshot,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        &EventId::parse("evt_7").unwrap(),
    );
    record
}

fn store_of(record: Subscription) -> MockSubscriptionStore {
    let mut store = MockSubscriptionStore::new();
    store.expect_list_subscriptions().returning(move |query| match query {
        SubscriptionQuery::Id(wanted) if *wanted == id() => {
            Ok(vec![(record.clone(), Some(UserId::parse("ada").unwrap()))])
        }
        _ => Ok(vec![]),
    });
    store
}

fn service(store: MockSubscriptionStore, billing: MockBillingGateway) -> Subscriptions {
    let mut customers = MockCustomerStore::new();
    customers.expect_find_customer().returning(|user| {
        Ok((user.as_str() == "ada").then(|| Customer {
            user_id: user.clone(),
            stripe_customer_id: CustomerId::parse("cus_ada").unwrap(),
            email: Email::parse("ada@example.com").unwrap(),
            created_at: Utc::now(),
        }))
    });
    Subscriptions::new(Arc::new(store), Arc::new(customers), Arc::new(billing), "https://shop.test/".into())
}

/// A provider that must not be asked anything.
fn untouched() -> MockBillingGateway {
    let mut billing = MockBillingGateway::new();
    billing.expect_change_subscription().never();
    billing.expect_create_portal_session().never();
    billing
}

#[tokio::test]
async fn the_owner_and_the_admin_see_a_subscription_and_anyone_else_finds_nothing() {
    let subscriptions = service(store_of(record("active", false)), untouched());
    assert_eq!(subscriptions.get_for(&ada(), &id()).await.unwrap().id(), &id());
    assert_eq!(subscriptions.get_for(&Caller::Admin, &id()).await.unwrap().id(), &id());
    assert!(matches!(subscriptions.get_for(&bob(), &id()).await, Err(SubscriptionError::NotFound)));
    assert!(matches!(
        subscriptions.get_for(&Caller::Guest, &id()).await,
        Err(SubscriptionError::AuthenticationRequired)
    ));
    let other = SubscriptionId::parse("sub_2").unwrap();
    assert!(matches!(subscriptions.get_for(&ada(), &other).await, Err(SubscriptionError::NotFound)));
}

#[tokio::test]
async fn a_cancel_asks_the_provider_with_a_key_that_names_the_state_it_was_asked_in() {
    let mut billing = MockBillingGateway::new();
    billing
        .expect_change_subscription()
        .withf(|sub, action, key| {
            *sub == id()
                && *action == SubscriptionAction::CancelAtPeriodEnd
                && key == "subscription-sub_1-cancel_at_period_end-after-evt_7"
        })
        .times(2)
        .returning(|_, _, _| Ok(()));
    let subscriptions = service(store_of(record("active", false)), billing);
    for _ in 0..2 {
        let requested =
            subscriptions.change(&ada(), &id(), SubscriptionAction::CancelAtPeriodEnd).await.unwrap();
        assert_eq!(
            requested.subscription.status(),
            Some(&SubscriptionStatus::Active),
            "changed by the event only"
        );
    }
}

#[tokio::test]
async fn what_cannot_change_is_refused_before_the_provider_is_asked() {
    let ended = service(store_of(record("canceled", false)), untouched());
    for action in
        [SubscriptionAction::CancelNow, SubscriptionAction::CancelAtPeriodEnd, SubscriptionAction::Resume]
    {
        assert!(
            matches!(ended.change(&ada(), &id(), action).await, Err(SubscriptionError::Ended(ref s)) if s == "canceled")
        );
    }
    let running = service(store_of(record("active", false)), untouched());
    assert!(matches!(
        running.change(&ada(), &id(), SubscriptionAction::Resume).await,
        Err(SubscriptionError::NotCanceling)
    ));
    assert!(matches!(
        running.change(&bob(), &id(), SubscriptionAction::CancelNow).await,
        Err(SubscriptionError::NotFound)
    ));
}

#[tokio::test]
async fn a_provider_failure_is_reported_and_a_resume_of_a_canceling_subscription_is_sent() {
    let mut billing = MockBillingGateway::new();
    billing
        .expect_change_subscription()
        .withf(|_, action, _| *action == SubscriptionAction::Resume)
        .times(1)
        .returning(|_, _, _| Err(GatewayError::Unavailable("down".into())));
    let subscriptions = service(store_of(record("active", true)), billing);
    let failed = subscriptions.change(&ada(), &id(), SubscriptionAction::Resume).await;
    assert!(matches!(failed, Err(SubscriptionError::Gateway(GatewayError::Unavailable(_)))), "{failed:?}");
}

#[tokio::test]
async fn the_portal_is_opened_for_the_users_own_customer_only() {
    let mut billing = MockBillingGateway::new();
    billing
        .expect_create_portal_session()
        .withf(|customer, back| customer.as_str() == "cus_ada" && back == "https://shop.test/")
        .times(1)
        .returning(|_, _| Ok(Url::parse("https://billing.example/p/session/1").unwrap()));
    let subscriptions = service(MockSubscriptionStore::new(), billing);
    assert_eq!(
        subscriptions.portal_for(&ada()).await.unwrap().as_str(),
        "https://billing.example/p/session/1"
    );
    assert!(matches!(subscriptions.portal_for(&bob()).await, Err(SubscriptionError::NoCustomer)));
    assert!(matches!(subscriptions.portal_for(&Caller::Admin).await, Err(SubscriptionError::UsersOnly)));
    assert!(matches!(
        subscriptions.portal_for(&Caller::Guest).await,
        Err(SubscriptionError::AuthenticationRequired)
    ));
}

#[tokio::test]
async fn a_guest_lists_nothing_a_user_their_own_and_the_admin_every_one() {
    let mut store = MockSubscriptionStore::new();
    store.expect_list_subscriptions().returning(|query| match query {
        SubscriptionQuery::OfUser { user, .. } if user.as_str() == "ada" => {
            Ok(vec![(record("active", false), None)])
        }
        SubscriptionQuery::All { .. } => {
            Ok(vec![(record("active", false), None), (record("canceled", false), None)])
        }
        _ => Ok(vec![]),
    });
    let subscriptions = service(store, untouched());
    assert_eq!(subscriptions.list_for(&ada()).await.unwrap().len(), 1);
    assert_eq!(subscriptions.list_for(&bob()).await.unwrap().len(), 0);
    assert_eq!(subscriptions.list_for(&Caller::Admin).await.unwrap().len(), 2);
    assert!(matches!(
        subscriptions.list_for(&Caller::Guest).await,
        Err(SubscriptionError::AuthenticationRequired)
    ));
}
