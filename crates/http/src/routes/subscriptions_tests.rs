//! Subscription routes against mocked ports: views, who may see what, changes sent to Stripe, error codes.

use crate::test_support::{bearer, now, send, user_token, Ports, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use payments_domain::{
    BillingSnapshot, Currency, Customer, CustomerId, Email, EventId, GatewayError, InvoiceId,
    InvoiceSnapshot, InvoiceStatus, Money, Sku, Subscription, SubscriptionAction, SubscriptionId,
    SubscriptionLinks, SubscriptionQuery, SubscriptionSnapshot, SubscriptionStatus, UserId,
};
use serde_json::json;

fn ada() -> (actix_web::http::header::HeaderName, String) {
    bearer(&user_token("auth0|ada", Some("ada@example.com")))
}

/// Ada's `sub_1` in `status`, with a failed renewal invoice.
fn record(status: &str) -> Subscription {
    let id = SubscriptionId::parse("sub_1").unwrap();
    let mut record = Subscription::new(id.clone());
    let snapshot = BillingSnapshot::Subscription(SubscriptionSnapshot {
        id: id.clone(),
        customer: CustomerId::parse("cus_ada").unwrap(),
        status: SubscriptionStatus::parse(status),
        current_period_end: Some(now() + chrono::Duration::days(30)),
        cancel_at_period_end: false,
        canceled_at: None,
        trial_end: None,
        price: None,
        links: SubscriptionLinks {
            user_id: Some(UserId::parse("auth0|ada").unwrap()),
            sku: Some(Sku::parse("course").unwrap()),
            ..SubscriptionLinks::default()
        },
    });
    record.merge(&snapshot, now(), &EventId::parse("evt_1").unwrap());
    let invoice = BillingSnapshot::Invoice(InvoiceSnapshot {
        id: InvoiceId::parse("in_1").unwrap(),
        subscription: id,
        status: InvoiceStatus::Open,
        amount_due: Some(Money::new(900, Currency::USD).unwrap()),
        attempt_count: 1,
        next_payment_attempt: Some(now() + chrono::Duration::days(3)),
        payment_failed: true,
        created: now(),
    });
    record.merge(&invoice, now(), &EventId::parse("evt_2").unwrap());
    record
}

/// Ports whose store holds `record` as ada's.
fn holding(record: Subscription) -> Ports {
    let mut ports = Ports::new();
    ports.subscriptions.expect_list_subscriptions().returning(move |query| match query {
        SubscriptionQuery::Id(id) if id.as_str() == "sub_1" => {
            Ok(vec![(record.clone(), Some(UserId::parse("auth0|ada").unwrap()))])
        }
        SubscriptionQuery::OfUser { user, .. } if user.as_str() == "auth0|ada" => {
            Ok(vec![(record.clone(), None)])
        }
        SubscriptionQuery::All { .. } => Ok(vec![(record.clone(), None)]),
        _ => Ok(vec![]),
    });
    ports
}

#[actix_web::test]
async fn a_users_subscription_shows_its_status_period_and_failed_invoice() {
    let reply = send(
        holding(record("past_due")).services(),
        TestRequest::get().uri("/api/v1/subscriptions/sub_1").insert_header(ada()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(reply.body["status"], "past_due");
    assert_eq!(reply.body["grantsAccess"], true);
    assert_eq!(reply.body["sku"], "course");
    assert_eq!(reply.body["currentPeriodEnd"], "2026-12-23T12:00:00.000Z");
    assert_eq!(
        reply.body["latestInvoice"],
        json!({"id": "in_1", "status": "open", "amountDue": 900, "currency": "usd", "attemptCount": 1,
               "paymentFailed": true, "nextPaymentAttempt": "2026-11-26T12:00:00.000Z",
               "createdAt": "2026-11-23T12:00:00.000Z"})
    );
    let list = send(
        holding(record("active")).services(),
        TestRequest::get().uri("/api/v1/subscriptions").insert_header(ada()),
    )
    .await;
    assert_eq!(list.body["subscriptions"][0]["id"], "sub_1");
    let admin = send(
        holding(record("active")).services(),
        TestRequest::get().uri("/api/v1/subscriptions/sub_1").insert_header(bearer(ADMIN_KEY)),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK);
}

#[actix_web::test]
async fn someone_elses_subscription_is_not_found_and_bad_ids_and_guests_are_refused() {
    let bob = bearer(&user_token("auth0|bob", None));
    send(
        holding(record("active")).services(),
        TestRequest::get().uri("/api/v1/subscriptions/sub_1").insert_header(bob.clone()),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "subscription_not_found");
    let mut ports = holding(record("active"));
    ports.billing.expect_change_subscription().never();
    let cancel = TestRequest::post()
        .uri("/api/v1/subscriptions/sub_1/cancel")
        .insert_header(bob)
        .set_json(json!({"atPeriodEnd": true}));
    send(ports.services(), cancel).await.assert_error(StatusCode::NOT_FOUND, "subscription_not_found");
    send(
        Ports::new().services(),
        TestRequest::get().uri("/api/v1/subscriptions/not%20an%20id").insert_header(ada()),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_subscription_id");
    send(Ports::new().services(), TestRequest::get().uri("/api/v1/subscriptions"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
}

#[actix_web::test]
async fn a_cancel_is_sent_to_stripe_and_answered_202_with_the_record_as_it_stands() {
    for (at_period_end, action) in
        [(true, SubscriptionAction::CancelAtPeriodEnd), (false, SubscriptionAction::CancelNow)]
    {
        let mut ports = holding(record("active"));
        ports
            .billing
            .expect_change_subscription()
            .withf(move |id, sent, key| {
                id.as_str() == "sub_1" && *sent == action && key.contains("after-evt_1")
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let request = TestRequest::post()
            .uri("/api/v1/subscriptions/sub_1/cancel")
            .insert_header(ada())
            .set_json(json!({"atPeriodEnd": at_period_end}));
        let reply = send(ports.services(), request).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
        assert_eq!(reply.body["requested"], action.as_str());
        assert_eq!(reply.body["subscription"]["status"], "active", "it changes when Stripe's event arrives");
    }
}

#[actix_web::test]
async fn changes_that_cannot_be_made_get_clear_codes_and_reach_no_one() {
    let refused = |record: Subscription, path: &'static str, body: serde_json::Value| async move {
        let mut ports = holding(record);
        ports.billing.expect_change_subscription().never();
        let request = TestRequest::post().uri(path).insert_header(ada()).set_json(body);
        send(ports.services(), request).await
    };
    refused(record("canceled"), "/api/v1/subscriptions/sub_1/cancel", json!({"atPeriodEnd": false}))
        .await
        .assert_error(StatusCode::CONFLICT, "subscription_ended");
    refused(record("active"), "/api/v1/subscriptions/sub_1/resume", json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "subscription_not_canceling");
    refused(record("active"), "/api/v1/subscriptions/sub_1/cancel", json!({"atPeriodEnd": "soon"}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
}

#[actix_web::test]
async fn stripe_down_during_a_cancel_is_a_502_and_changes_nothing() {
    let mut ports = holding(record("active"));
    ports
        .billing
        .expect_change_subscription()
        .times(1)
        .returning(|_, _, _| Err(GatewayError::Unavailable("connection refused".into())));
    let request = TestRequest::post()
        .uri("/api/v1/subscriptions/sub_1/cancel")
        .insert_header(ada())
        .set_json(json!({"atPeriodEnd": true}));
    send(ports.services(), request)
        .await
        .assert_error(StatusCode::BAD_GATEWAY, "payment_provider_unavailable");
}

#[actix_web::test]
async fn the_billing_portal_opens_for_the_users_customer() {
    let mut ports = Ports::new();
    ports.customers.expect_find_customer().returning(|user| {
        Ok((user.as_str() == "auth0|ada").then(|| Customer {
            user_id: user.clone(),
            stripe_customer_id: CustomerId::parse("cus_ada").unwrap(),
            email: Email::parse("ada@example.com").unwrap(),
            created_at: now(),
        }))
    });
    ports
        .billing
        .expect_create_portal_session()
        .withf(|customer, back| customer.as_str() == "cus_ada" && back == "http://shop.test/")
        .returning(|_, _| Ok("https://billing.example/p/session/1".parse().unwrap()));
    let services = ports.services();
    let reply =
        send(services.clone(), TestRequest::post().uri("/api/v1/billing-portal").insert_header(ada())).await;
    assert_eq!(
        (reply.status, reply.body.clone()),
        (StatusCode::OK, json!({"url": "https://billing.example/p/session/1"}))
    );
    send(
        services.clone(),
        TestRequest::post()
            .uri("/api/v1/billing-portal")
            .insert_header(bearer(&user_token("auth0|bob", None))),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "no_billing_account");
    send(services, TestRequest::post().uri("/api/v1/billing-portal").insert_header(bearer(ADMIN_KEY)))
        .await
        .assert_error(StatusCode::FORBIDDEN, "users_only");
}
