//! Sorting async-stripe's failures into the domain's [`GatewayError`]s, and keeping the key out of them.

use payments_domain::GatewayError;
use stripe::StripeError;

/// async-stripe's text for an error status whose body is not a Stripe error object (its status is lost).
const UNREADABLE_ERROR_BODY: &str = "error deserializing Stripe error";

/// What one attempt's failure means for the next attempt.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth trying again with the same idempotency key; becomes [`GatewayError::Unavailable`] at the end.
    Transient(String),
    /// Final: trying again gets the same answer.
    Final(GatewayError),
}

/// Classifies one failed call. `secret_key` is only used to make sure Stripe's messages never echo it.
pub(crate) fn classify(error: StripeError, secret_key: &str) -> Failure {
    match error {
        StripeError::Stripe(api, status) if is_transient_status(status) => {
            Failure::Transient(format!("Stripe answered HTTP {status} ({})", api.type_.as_str()))
        }
        StripeError::Stripe(api, status) => {
            let code = api
                .code
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_else(|| api.type_.as_str().to_owned());
            let message = if status == 401 {
                // Stripe's own 401 text quotes part of the key: say what to check instead.
                "Stripe did not accept the API key (HTTP 401); check the configured secret key".to_owned()
            } else {
                match api.message.as_deref() {
                    Some(message) => redact_keys(message, secret_key),
                    None => format!("Stripe refused the request (HTTP {status})"),
                }
            };
            Failure::Final(GatewayError::Rejected { code: Some(code), message })
        }
        StripeError::Timeout => Failure::Transient("no answer from Stripe within the timeout".to_owned()),
        StripeError::ClientError(reason) => {
            Failure::Transient(format!("could not reach Stripe: {}", redact_keys(&reason, secret_key)))
        }
        // An error status with a body that is not Stripe's error object comes from something in front of
        // Stripe (a proxy or an outage page), which is what 5xx answers look like from there.
        StripeError::JSONDeserialize(reason) if reason == UNREADABLE_ERROR_BODY => {
            Failure::Transient("Stripe answered with an error that is not a Stripe error object".to_owned())
        }
        StripeError::JSONDeserialize(reason) => Failure::Final(GatewayError::Unknown(anyhow::anyhow!(
            "Stripe's answer could not be read: {reason}"
        ))),
        StripeError::ConfigError(reason) => Failure::Final(GatewayError::Unknown(anyhow::anyhow!(
            "the Stripe client is misconfigured: {}",
            redact_keys(&reason, secret_key)
        ))),
    }
}

/// 429 (rate limited), 409 (the same idempotency key is still being processed, e.g. after our own
/// timeout) and 5xx may succeed later; any other answer will not.
fn is_transient_status(status: u16) -> bool {
    matches!(status, 409 | 429 | 500..=599)
}

/// Replaces the secret key, and anything shaped like a Stripe secret or restricted key
/// (`sk_...`, `rk_...`, masked or not), with `[redacted]`.
pub(crate) fn redact_keys(text: &str, secret_key: &str) -> String {
    let text = if secret_key.is_empty() { text.to_owned() } else { text.replace(secret_key, "[redacted]") };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some((start, len)) = next_key_like(rest) {
        out.push_str(&rest[..start]);
        out.push_str("[redacted]");
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// The byte offset and length of the first `sk_`/`rk_` token that starts a word, if any.
fn next_key_like(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|start| {
        let starts_word = start == 0 || !is_key_byte(bytes[start - 1]);
        let prefixed = bytes[start..].starts_with(b"sk_") || bytes[start..].starts_with(b"rk_");
        if !(starts_word && prefixed) {
            return None;
        }
        let len = bytes[start..].iter().take_while(|b| is_key_byte(**b)).count();
        Some((start, len))
    })
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'*'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted_from_stripe_messages_and_other_words_are_kept() {
        let message =
            "Invalid API Key provided: sk_test_****************1234. Ask task_owner; key 'rk_live_abc'.";
        assert_eq!(
            redact_keys(message, "sk_test_abcdef1234"),
            "Invalid API Key provided: [redacted]. Ask task_owner; key '[redacted]'."
        );
        assert_eq!(redact_keys("echo sk_test_abcdef1234!", "sk_test_abcdef1234"), "echo [redacted]!");
        assert_eq!(redact_keys("nothing to hide", ""), "nothing to hide");
    }

    #[test]
    fn only_rate_limits_conflicts_and_server_errors_are_transient() {
        for status in [409, 429, 500, 502, 503, 504] {
            assert!(is_transient_status(status), "{status}");
        }
        for status in [400, 401, 402, 403, 404] {
            assert!(!is_transient_status(status), "{status}");
        }
    }

    #[test]
    fn timeouts_and_connection_failures_are_transient_unreadable_answers_are_not() {
        assert!(matches!(classify(StripeError::Timeout, "sk"), Failure::Transient(_)));
        assert!(matches!(classify(StripeError::ClientError("refused".into()), "sk"), Failure::Transient(_)));
        assert!(matches!(
            classify(StripeError::JSONDeserialize(UNREADABLE_ERROR_BODY.into()), "sk"),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(StripeError::JSONDeserialize("error deserializing request data".into()), "sk"),
            Failure::Final(GatewayError::Unknown(_))
        ));
    }
}
