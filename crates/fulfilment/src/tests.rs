use super::*;
use chrono::TimeZone;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "fulfil_secret_test";

fn sender(timeout: Duration) -> HttpNoticeSender {
    HttpNoticeSender::new(SecretString::from(SECRET), timeout).unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

/// What a shop computes to check a delivery: HMAC-SHA256 of `t.body`, in hex.
fn expected_signature(t: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn an_entry_is_posted_as_json_with_a_signature_the_shop_can_check() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let endpoint = Url::parse(&format!("{}/hooks", server.uri())).unwrap();
    sender(Duration::from_secs(5)).send(&endpoint, r#"{"id":"e1"}"#, at()).await.unwrap();
    let requests: Vec<Request> = server.received_requests().await.unwrap();
    let signature = requests[0].headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap().to_owned();
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert_eq!(body, r#"{"id":"e1"}"#);
    let t = at().timestamp();
    assert_eq!(signature, expected_signature(t, &body));
}

#[tokio::test]
async fn anything_but_a_2xx_is_a_failure_redirects_included() {
    let server = MockServer::start().await;
    Mock::given(path("/500")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    Mock::given(path("/302"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/ok"))
        .mount(&server)
        .await;
    Mock::given(path("/ok")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let sender = sender(Duration::from_secs(5));
    for (route, expected) in [("/500", "answered 500"), ("/302", "answered 302")] {
        let endpoint = Url::parse(&format!("{}{route}", server.uri())).unwrap();
        assert_eq!(sender.send(&endpoint, "{}", at()).await, Err(SendFailure(expected.to_owned())));
    }
}

#[tokio::test]
async fn a_slow_endpoint_fails_at_the_deadline_and_a_closed_port_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let endpoint = Url::parse(&format!("{}/slow", server.uri())).unwrap();
    let started = std::time::Instant::now();
    let failed = sender(Duration::from_millis(300)).send(&endpoint, "{}", at()).await;
    assert_eq!(failed, Err(SendFailure("no answer within 300 ms".to_owned())));
    assert!(started.elapsed() < Duration::from_secs(3));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let endpoint = Url::parse(&format!("http://user:secret@127.0.0.1:{port}/hooks")).unwrap();
    let failed = sender(Duration::from_secs(2)).send(&endpoint, "{}", at()).await.unwrap_err();
    assert_eq!(failed, SendFailure("could not connect".to_owned()));
    assert!(!failed.0.contains("secret"));
}
