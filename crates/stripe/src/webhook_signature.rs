//! The `Stripe-Signature` header: HMAC-SHA256 over `"{timestamp}.{raw body}"`, keyed with the whole
//! endpoint secret (`whsec_...` included), hex in one or more `v1=` entries.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use payments_domain::WebhookError;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::time::Duration;
use subtle::{Choice, ConstantTimeEq};

/// Splits a comma-separated list of signing secrets (one per active endpoint secret while rolling one),
/// trimming each and dropping empty entries.
pub fn parse_secrets(comma_separated: &str) -> Vec<SecretString> {
    comma_separated.split(',').map(str::trim).filter(|s| !s.is_empty()).map(SecretString::from).collect()
}

/// Builds a Stripe-Signature header value `t={timestamp},v1={hex hmac}` for tests, benchmarks and emulators.
pub fn signature_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(sign(secret.as_bytes(), timestamp, payload)))
}

/// Checks `header` against `payload`: some `v1` must match some secret, and the timestamp must not be
/// further than `tolerance` from `now`: older is a replay, and a timestamp far in the future would let a
/// captured delivery be replayed until then (Stripe's libraries check only the past).
pub(crate) fn verify_signature(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[SecretString],
    tolerance: Duration,
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let header = parse_header(header)?;
    let mut matched = Choice::from(0);
    for secret in secrets {
        let expected = sign(secret.expose_secret().as_bytes(), header.timestamp, payload);
        for candidate in &header.v1 {
            matched |= expected.as_slice().ct_eq(candidate.as_slice());
        }
    }
    if !bool::from(matched) {
        return Err(WebhookError::NoMatchingSignature);
    }
    let age_seconds = now.timestamp().saturating_sub(header.timestamp);
    let tolerance_seconds = tolerance.as_secs();
    if age_seconds.unsigned_abs() > tolerance_seconds {
        return Err(WebhookError::TimestampOutsideTolerance { age_seconds, tolerance_seconds });
    }
    Ok(())
}

/// What the header says: when it was signed, and the decodable `v1` signatures.
#[derive(Debug)]
pub(crate) struct SignatureHeader {
    pub(crate) timestamp: i64,
    pub(crate) v1: Vec<Vec<u8>>,
}

/// Reads `t=...,v1=...[,v1=...][,v0=...]`. Unknown schemes and pieces without `=` are ignored; a `v1`
/// that is not hex is kept out of the comparison (it can only fail to match).
pub(crate) fn parse_header(header: Option<&str>) -> Result<SignatureHeader, WebhookError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(WebhookError::MissingSignature)?;
    let mut timestamp = None;
    let mut v1_seen = false;
    let mut v1 = Vec::new();
    for (key, value) in header.split(',').filter_map(|item| item.split_once('=')) {
        match key.trim() {
            "t" if timestamp.is_none() => {
                timestamp = Some(value.trim().parse::<i64>().map_err(|_| WebhookError::MalformedSignature)?);
            }
            "v1" => {
                v1_seen = true;
                v1.extend(hex::decode(value.trim()).ok());
            }
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if v1_seen => Ok(SignatureHeader { timestamp, v1 }),
        _ => Err(WebhookError::MalformedSignature),
    }
}

pub(crate) fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const T: i64 = 1_700_000_000;
    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    fn at(unix: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix, 0).unwrap()
    }

    fn secrets(list: &str) -> Vec<SecretString> {
        parse_secrets(list)
    }

    fn verify(header: Option<&str>, body: &[u8], secrets_list: &str, now: i64) -> Result<(), WebhookError> {
        verify_signature(body, header, &secrets(secrets_list), FIVE_MINUTES, at(now))
    }

    fn v1(secret: &str, timestamp: i64, body: &[u8]) -> String {
        hex::encode(sign(secret.as_bytes(), timestamp, body))
    }

    #[test]
    fn a_valid_signature_passes() {
        let header = signature_header(SECRET, T, BODY);
        assert_eq!(verify(Some(&header), BODY, SECRET, T + 10), Ok(()));
    }

    #[test]
    fn the_signature_matches_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{body}"), lowercase hex, as Stripe's libraries compute it.
        let header = signature_header(SECRET, T, BODY);
        let (t, sig) = header.split_once(",v1=").unwrap();
        assert_eq!(t, "t=1700000000");
        assert_eq!(sig.len(), 64);
        assert!(sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{T}.").as_bytes());
        mac.update(BODY);
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let header = format!("t={T},v1={},v1={},v0=abc", "00".repeat(32), v1(SECRET, T, BODY));
        assert_eq!(verify(Some(&header), BODY, SECRET, T), Ok(()));
    }

    #[test]
    fn a_delivery_signed_with_the_second_rotated_secret_passes() {
        let header = signature_header("whsec_new", T, BODY);
        assert_eq!(verify(Some(&header), BODY, " whsec_old , whsec_new ,", T), Ok(()));
        assert_eq!(verify(Some(&header), BODY, "whsec_old", T), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn a_forged_signature_is_rejected() {
        let header = signature_header("whsec_attacker", T, BODY);
        assert_eq!(verify(Some(&header), BODY, SECRET, T), Err(WebhookError::NoMatchingSignature));
        let garbage = format!("t={T},v1=not-hex");
        assert_eq!(verify(Some(&garbage), BODY, SECRET, T), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn a_tampered_body_is_rejected() {
        let header = signature_header(SECRET, T, BODY);
        let tampered = br#"{"id":"evt_1","type":"checkout.session.completed","x":1}"#;
        assert_eq!(verify(Some(&header), tampered, SECRET, T), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        let header = format!("t={},v1={}", T + 1, v1(SECRET, T, BODY));
        assert_eq!(verify(Some(&header), BODY, SECRET, T + 1), Err(WebhookError::NoMatchingSignature));
    }

    #[test]
    fn a_stale_timestamp_is_rejected_and_the_tolerance_is_configurable() {
        let header = signature_header(SECRET, T, BODY);
        assert_eq!(verify(Some(&header), BODY, SECRET, T + 300), Ok(()));
        assert_eq!(
            verify(Some(&header), BODY, SECRET, T + 301),
            Err(WebhookError::TimestampOutsideTolerance { age_seconds: 301, tolerance_seconds: 300 })
        );
        let lenient =
            verify_signature(BODY, Some(&header), &secrets(SECRET), Duration::from_secs(3600), at(T + 301));
        assert_eq!(lenient, Ok(()));
        let strict =
            verify_signature(BODY, Some(&header), &secrets(SECRET), Duration::from_secs(10), at(T + 11));
        assert_eq!(
            strict,
            Err(WebhookError::TimestampOutsideTolerance { age_seconds: 11, tolerance_seconds: 10 })
        );
    }

    #[test]
    fn a_timestamp_in_the_future_is_accepted_within_the_tolerance_only() {
        let header = signature_header(SECRET, T + 120, BODY);
        assert_eq!(verify(Some(&header), BODY, SECRET, T), Ok(()), "clocks differ a little");
        let header = signature_header(SECRET, T + 301, BODY);
        let far = verify(Some(&header), BODY, SECRET, T);
        assert_eq!(
            far,
            Err(WebhookError::TimestampOutsideTolerance { age_seconds: -301, tolerance_seconds: 300 })
        );
        assert!(far.unwrap_err().to_string().contains("301 s in the future, tolerance is 300 s"));
    }

    #[test]
    fn a_missing_or_blank_header_is_missing() {
        assert_eq!(verify(None, BODY, SECRET, T), Err(WebhookError::MissingSignature));
        assert_eq!(verify(Some("  "), BODY, SECRET, T), Err(WebhookError::MissingSignature));
    }

    #[test]
    fn malformed_headers_are_malformed() {
        let sig = v1(SECRET, T, BODY);
        for header in [
            format!("v1={sig}"),
            format!("t={T}"),
            format!("t=yesterday,v1={sig}"),
            "garbage".to_owned(),
            format!("t={T},v0={sig}"),
        ] {
            assert_eq!(
                verify(Some(&header), BODY, SECRET, T),
                Err(WebhookError::MalformedSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn unknown_schemes_and_spaces_are_tolerated() {
        let header = format!(" t={T} , v2=zzz , v1={} ", v1(SECRET, T, BODY));
        assert_eq!(verify(Some(&header), BODY, SECRET, T), Ok(()));
    }

    #[test]
    fn error_messages_say_what_to_check() {
        assert!(WebhookError::MissingSignature.to_string().contains("Stripe-Signature header is missing"));
        assert!(WebhookError::NoMatchingSignature.to_string().contains("raw request body"));
        let stale = WebhookError::TimestampOutsideTolerance { age_seconds: 301, tolerance_seconds: 300 };
        assert!(stale.to_string().contains("301 s ago, tolerance is 300 s"));
    }

    #[test]
    fn secrets_are_split_trimmed_and_blank_ones_dropped() {
        let parsed = parse_secrets(" whsec_a ,, whsec_b ,");
        let exposed: Vec<&str> = parsed.iter().map(|s| s.expose_secret()).collect();
        assert_eq!(exposed, ["whsec_a", "whsec_b"]);
        assert!(parse_secrets(" , ").is_empty());
    }
}
