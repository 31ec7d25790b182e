//! The outbox's admin endpoints against a mocked outbox store.

use crate::test_support::{bearer, now, send, user_token, Ports, ADMIN_KEY};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use payments_domain::{
    FeedCursor, NoticeKind, NoticeSubject, OrderId, OutboxEntry, OutboxStatus, StoreError,
};
use uuid::Uuid;

const ENTRY: &str = "5b3f0c52-3d3e-4c1a-9a55-2f1f6f0a7b10";

fn entry(status: OutboxStatus, position: i64) -> OutboxEntry {
    OutboxEntry {
        id: Uuid::parse_str(ENTRY).unwrap(),
        kind: NoticeKind::OrderPaid,
        subject: NoticeSubject::Order(OrderId::parse("01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f").unwrap()),
        sequence: 1,
        payload: r#"{"id":"01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f","status":"paid"}"#.to_owned(),
        created_at: now(),
        status,
        attempts: 7,
        next_attempt_at: now(),
        delivered_to: vec!["http://shop.test/a".to_owned()],
        last_error: Some("http://shop.test/b: answered 500".to_owned()),
        delivered_at: None,
        cursor: FeedCursor { tx: 12, position },
    }
}

fn admin() -> (actix_web::http::header::HeaderName, String) {
    bearer(ADMIN_KEY)
}

#[actix_web::test]
async fn the_feed_pages_from_a_cursor_and_says_where_to_go_on() {
    let mut ports = Ports::new();
    ports
        .outbox
        .expect_feed()
        .withf(|after, limit| *after == Some(FeedCursor { tx: 3, position: 9 }) && *limit == 2)
        .times(1)
        .returning(|_, _| Ok(vec![entry(OutboxStatus::Pending, 10), entry(OutboxStatus::Delivered, 11)]));
    let reply = send(
        ports.services(),
        TestRequest::get().uri("/api/v1/admin/events?after=3-9&limit=2").insert_header(admin()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["object"], "list");
    assert_eq!(reply.body["has_more"], true);
    assert_eq!(reply.body["next_cursor"], "12-11");
    let first = &reply.body["data"][0];
    assert_eq!(first["id"], ENTRY);
    assert_eq!(first["type"], "order.paid");
    assert_eq!(first["created"], now().timestamp());
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["data"]["object"]["status"], "paid");
    assert_eq!(first["delivery"]["status"], "pending");
    assert_eq!(first["delivery"]["attempts"], 7);
    assert_eq!(first["cursor"], "12-10");
}

#[actix_web::test]
async fn the_feed_refuses_a_foreign_cursor_a_bad_limit_and_anyone_but_the_admin() {
    for (uri, status, code) in [
        ("/api/v1/admin/events?after=abc", StatusCode::BAD_REQUEST, "invalid_cursor"),
        ("/api/v1/admin/events?limit=501", StatusCode::BAD_REQUEST, "invalid_limit"),
        ("/api/v1/admin/outbox?status=lost", StatusCode::BAD_REQUEST, "invalid_outbox_status"),
        ("/api/v1/admin/outbox?limit=0", StatusCode::BAD_REQUEST, "invalid_limit"),
    ] {
        let reply = send(Ports::new().services(), TestRequest::get().uri(uri).insert_header(admin())).await;
        reply.assert_error(status, code);
    }
    let reply = send(Ports::new().services(), TestRequest::get().uri("/api/v1/admin/events")).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
    let user = bearer(&user_token("user_1", Some("a@b.co")));
    let reply =
        send(Ports::new().services(), TestRequest::get().uri("/api/v1/admin/outbox").insert_header(user))
            .await;
    reply.assert_error(StatusCode::FORBIDDEN, "admin_only");
}

#[actix_web::test]
async fn dead_entries_are_listed_by_default() {
    let mut ports = Ports::new();
    ports
        .outbox
        .expect_list_outbox()
        .withf(|status, limit| *status == OutboxStatus::Dead && *limit == 100)
        .times(1)
        .returning(|_, _| Ok(vec![entry(OutboxStatus::Dead, 1)]));
    let reply =
        send(ports.services(), TestRequest::get().uri("/api/v1/admin/outbox").insert_header(admin())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["data"][0]["delivery"]["status"], "dead");
    assert_eq!(reply.body["data"][0]["delivery"]["last_error"], "http://shop.test/b: answered 500");
    assert_eq!(reply.body["data"][0]["delivery"]["next_attempt_at"], serde_json::Value::Null);
}

#[actix_web::test]
async fn redelivering_answers_the_entry_made_pending_or_a_404() {
    let mut ports = Ports::new();
    ports
        .outbox
        .expect_redeliver()
        .withf(|id, at| id.to_string() == ENTRY && *at == now())
        .times(1)
        .returning(|_, _| Ok(Some(entry(OutboxStatus::Pending, 1))));
    let uri = format!("/api/v1/admin/outbox/{ENTRY}/redeliver");
    let reply = send(ports.services(), TestRequest::post().uri(&uri).insert_header(admin())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["delivery"]["status"], "pending");

    let mut ports = Ports::new();
    ports.outbox.expect_redeliver().times(1).returning(|_, _| Ok(None));
    let reply = send(ports.services(), TestRequest::post().uri(&uri).insert_header(admin())).await;
    reply.assert_error(StatusCode::NOT_FOUND, "outbox_entry_not_found");

    let reply = send(
        Ports::new().services(),
        TestRequest::post().uri("/api/v1/admin/outbox/nope/redeliver").insert_header(admin()),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_outbox_id");

    let mut ports = Ports::new();
    ports.outbox.expect_redeliver().returning(|_, _| Err(StoreError::Unavailable("down".to_owned())));
    let reply = send(ports.services(), TestRequest::post().uri(&uri).insert_header(admin())).await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable");
}
