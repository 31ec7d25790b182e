//! The `Stripe-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`, keyed with the whole
//! `whsec_…` string, as Stripe signs.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The lowercase hex HMAC-SHA256 of `"{timestamp}.{payload}"` under `secret`.
pub fn sign(secret: &str, timestamp: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The header value for `payload` signed at `timestamp`.
pub fn header(secret: &str, timestamp: i64, payload: &str) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_payload_keyed_with_the_whole_secret() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec_test'
        let expected = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";
        let signature = sign("whsec_test", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(signature, expected);
        assert_eq!(header("whsec_test", 1_700_000_000, r#"{"a":1}"#), format!("t=1700000000,v1={signature}"));
    }
}
