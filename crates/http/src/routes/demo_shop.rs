//! The demo storefront's shop side of fulfilment: `POST /demo/fulfilment` takes the outbox's deliveries the
//! way a shop should (the signature checked against the raw body, the timestamp fresh, the entry id deduped)
//! and `GET /demo/fulfilment` shows the last ones, so `make run` shows a paid order reaching the shop.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// How many deliveries the demo shop shows.
const KEPT: usize = 50;
/// How old a signature may be.
const TOLERANCE_SECS: i64 = 300;

/// The demo shop: the key the service signs its deliveries to it with, and what it received.
#[derive(Debug)]
pub struct DemoShop {
    secret: SecretString,
    received: Mutex<VecDeque<Received>>,
}

impl DemoShop {
    /// A shop checking deliveries against `secret`.
    pub fn new(secret: SecretString) -> Self {
        Self { secret, received: Mutex::new(VecDeque::new()) }
    }
}

/// One delivery the shop took.
#[derive(Debug, Clone, Serialize)]
struct Received {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    order_id: Option<String>,
    subscription_id: Option<String>,
    sequence: i64,
    /// The order's or subscription's status right after the change.
    status: String,
    received_at: String,
    /// The same id came before: a shop does the work once.
    duplicate: bool,
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/demo/fulfilment")
            .route(web::post().to(take))
            .route(web::get().to(list))
            .default_service(web::to(|| async { super::method_not_allowed_many("GET, POST") })),
    );
}

/// True when `header` (`t=...,v1=...`) signs `body` with `secret`, at most five minutes from `now`.
fn signed(secret: &str, header: &str, body: &[u8], now: DateTime<Utc>) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else { return false };
    if (now.timestamp() - timestamp).abs() > TOLERANCE_SECS {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = hex_lower(&mac.finalize().into_bytes());
    signatures.iter().any(|signature| bool::from(signature.as_bytes().ct_eq(expected.as_bytes())))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn take(shop: web::Data<DemoShop>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    // The demo shop's own clock: it is the shop, not the service.
    let now = Utc::now();
    let header = request.headers().get("payments-signature").and_then(|value| value.to_str().ok());
    if !header.is_some_and(|header| signed(shop.secret.expose_secret(), header, &body, now)) {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "bad signature"}));
    }
    let Ok(entry) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "not JSON"}));
    };
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let mut received = shop.received.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let id = text(&entry["id"]);
    let duplicate = received.iter().any(|earlier| earlier.id == id);
    received.push_front(Received {
        id,
        kind: text(&entry["type"]),
        order_id: entry["order_id"].as_str().map(str::to_owned),
        subscription_id: entry["subscription_id"].as_str().map(str::to_owned),
        sequence: entry["sequence"].as_i64().unwrap_or_default(),
        status: text(&entry["data"]["object"]["status"]),
        received_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duplicate,
    });
    received.truncate(KEPT);
    tracing::info!(entry = %received[0].id, kind = %received[0].kind, "the demo shop received a fulfilment entry");
    HttpResponse::NoContent().finish()
}

async fn list(shop: web::Data<DemoShop>) -> HttpResponse {
    let received: Vec<Received> =
        shop.received.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter().cloned().collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"received": received}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn header(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex_lower(&mac.finalize().into_bytes()))
    }

    #[test]
    fn only_a_fresh_signature_of_the_body_with_the_key_passes() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let (secret, body) = ("demo_secret_0123456789", br#"{"id":"e1"}"#);
        let t = now.timestamp();
        assert!(signed(secret, &header(secret, t, body), body, now));
        assert!(signed(secret, &format!("v1=00,{}", header(secret, t, body)), body, now), "any v1 may match");
        assert!(!signed("another_key_0123456789", &header(secret, t, body), body, now));
        assert!(!signed(secret, &header(secret, t, body), br#"{"id":"e2"}"#, now));
        assert!(!signed(secret, &header(secret, t - 301, body), body, now), "too old");
        assert!(!signed(secret, "v1=abc", body, now));
        assert!(!signed(secret, "", body, now));
    }
}
