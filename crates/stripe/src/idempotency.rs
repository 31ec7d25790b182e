//! The `Idempotency-Key` sent with every create request.

use payments_domain::GatewayError;
use sha2::{Digest, Sha256};
use stripe::IdempotencyKey;

/// Stripe's limit on a key's length.
const MAX_KEY_LEN: usize = 255;

/// The key for `raw`: `raw` itself when an HTTP header can carry it as is (1 to 255 printable ASCII
/// characters, no spaces), else `sha256-` and the hex SHA-256 of `raw`. Either way one `raw` always gives the
/// same key, so retries and reruns stay idempotent; hashing only keeps keys derived from long or non-ASCII
/// values (a user id such as `ü…`) from failing every attempt.
/// Errors: [`GatewayError::Unknown`] for an empty `raw`, naming `what` the key was for.
pub(crate) fn stripe_idempotency_key(raw: &str, what: &str) -> Result<IdempotencyKey, GatewayError> {
    if raw.is_empty() {
        return Err(GatewayError::Unknown(anyhow::anyhow!("the idempotency key for {what} is empty")));
    }
    let sendable = raw.len() <= MAX_KEY_LEN && raw.bytes().all(|b| b.is_ascii_graphic());
    let key = if sendable { raw.to_owned() } else { format!("sha256-{}", hex::encode(Sha256::digest(raw))) };
    IdempotencyKey::new(key)
        .map_err(|e| GatewayError::Unknown(anyhow::anyhow!("unusable idempotency key for {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_keys_are_sent_as_they_are() {
        let key = "customer-auth0|42";
        assert_eq!(stripe_idempotency_key(key, "a customer").unwrap().as_str(), key);
        let longest = "k".repeat(255);
        assert_eq!(stripe_idempotency_key(&longest, "x").unwrap().as_str(), longest);
    }

    #[test]
    fn other_keys_become_one_stable_hash_each() {
        for raw in ["customer-ü", "with space", &"k".repeat(256), "tab\there"] {
            let key = stripe_idempotency_key(raw, "x").unwrap();
            assert!(key.as_str().starts_with("sha256-") && key.as_str().len() == 71, "{raw:?}: {key:?}");
            assert!(key.as_str().bytes().all(|b| b.is_ascii_graphic()));
            assert_eq!(key, stripe_idempotency_key(raw, "x").unwrap(), "{raw:?}");
        }
        assert_ne!(stripe_idempotency_key("a b", "x").unwrap(), stripe_idempotency_key("a  b", "x").unwrap());
    }

    #[test]
    fn an_empty_key_is_refused() {
        let err = stripe_idempotency_key("", "product mug").unwrap_err();
        assert!(err.to_string().contains("product mug"), "{err}");
    }
}
