//! The entry points of the fuzz targets in `fuzz/` (`cargo fuzz`, `make fuzz`) and of the test that replays
//! their corpus in `make test`, behind the `fuzzing` feature: not part of the adapter's API.
//!
//! Each takes arbitrary bytes, runs them through the code a webhook delivery goes through, and panics only
//! where a property the service relies on does not hold.

use crate::event_parser::parse_event;
use crate::verifier::StripeWebhookVerifier;
use crate::webhook_signature::{parse_header, sign, verify_signature};
use chrono::{DateTime, Utc};
use payments_domain::{PaymentEventKind, WebhookVerifier};
use secrecy::SecretString;
use std::time::Duration;

const SECRET: &str = "whsec_fuzzing";

/// A fixed "now", so that a run is reproducible.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time")
}

/// The `Stripe-Signature` parser and check. `data` is the header, a newline, then the body it signs.
///
/// Properties: no input panics; the parser keeps no more signature bytes than the header has hex digits for;
/// and a header the parser accepts verifies once a correct `v1` for its timestamp is added to it.
pub fn signature_header(data: &[u8]) {
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    // actix hands the verifier only headers that are visible ASCII; anything UTF-8 is tried here.
    let Ok(header) = std::str::from_utf8(header) else { return };
    let secrets = [SecretString::from(SECRET)];
    let any_age = Duration::from_secs(u64::MAX);
    let _ = verify_signature(payload, Some(header), &secrets, Duration::from_secs(300), now());
    let Ok(parsed) = parse_header(Some(header)) else { return };
    let kept: usize = parsed.v1.iter().map(Vec::len).sum();
    assert!(kept <= header.len() / 2, "{kept} signature bytes kept from a {}-byte header", header.len());
    let v1 = hex::encode(sign(SECRET.as_bytes(), parsed.timestamp, payload));
    let completed = format!("{header},v1={v1}");
    assert_eq!(
        verify_signature(payload, Some(&completed), &secrets, any_age, now()),
        Ok(()),
        "an accepted header with a correct v1 added must verify: {completed:?}"
    );
}

/// The event parser, alone and behind a correct signature. `data` is a webhook body.
///
/// Properties: no input panics; a signed body is read exactly as the parser reads it; an event read keeps the
/// body as received, which has no NUL (no database column takes one), and its type, account and failure
/// reason are printable and bounded.
pub fn event(data: &[u8]) {
    let parsed = parse_event(data, now());
    let verifier = StripeWebhookVerifier::new(vec![SecretString::from(SECRET)], Duration::from_secs(300))
        .expect("a valid secret");
    let header = crate::signature_header(SECRET, now().timestamp(), data);
    assert_eq!(
        verifier.verify(data, Some(&header), now()),
        parsed,
        "a signed body reads as the parser reads it"
    );
    let Ok(received) = parsed else { return };
    assert_eq!(received.payload.as_bytes(), data, "the payload is kept as received");
    assert!(!received.payload.contains('\0'), "a payload with a NUL was accepted");
    printable(&received.event.event_type, 255);
    if let Some(account) = &received.origin.account {
        printable(account, 255);
    }
    if let PaymentEventKind::PaymentFailed { reason: Some(reason) } = &received.event.kind {
        printable(reason, 500);
    }
}

fn printable(text: &str, max_chars: usize) {
    assert!(
        text.chars().count() <= max_chars,
        "{} characters kept, at most {max_chars}",
        text.chars().count()
    );
    assert!(!text.chars().any(char::is_control), "a control character kept in {text:?}");
}
