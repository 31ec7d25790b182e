//! Stripe-style identifiers: a prefix (`cus_`, `cs_test_`, `evt_`…) and random base-62 characters.

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` random base-62 characters, from v4 UUIDs (the workspace has no `rand`).
pub fn random_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            // 248 is the largest multiple of 62 below 256: rejecting the rest keeps characters uniform.
            if *byte < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(*byte % 62)] as char);
            }
        }
    }
    out
}

/// A new identifier: `prefix` and 24 random characters (`pi_3Mtw…`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_token(24))
}

/// A new Checkout Session id: Stripe's are much longer than other ids (`cs_test_a1…`, 66 characters).
pub fn new_checkout_session_id() -> String {
    format!("cs_test_{}", random_token(58))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_prefix_and_differ() {
        let a = new_id("cus_");
        let b = new_id("cus_");
        assert!(a.starts_with("cus_") && a.len() == 28, "{a}");
        assert_ne!(a, b);
        assert!(a[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(new_checkout_session_id().len(), 66);
    }
}
