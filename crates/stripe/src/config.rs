//! What the Stripe gateway needs to talk to Stripe.

use secrecy::SecretString;
use std::time::Duration;
use url::Url;

/// Settings for [`crate::StripeGateway`]. `Debug` never shows the secret key.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// The secret (`sk_...`) or restricted (`rk_...`) API key.
    pub secret_key: SecretString,
    /// Where the Stripe API lives; [`StripeConfig::DEFAULT_API_BASE`] unless testing against an emulator.
    pub api_base: Url,
    /// How long one HTTP attempt may take, answer included.
    pub timeout: Duration,
    /// How long one operation may take, its retries included: past it the operation fails as unavailable
    /// (so a checkout, two operations at most, has a deadline of twice this).
    pub deadline: Duration,
}

impl StripeConfig {
    /// Stripe's own API.
    pub const DEFAULT_API_BASE: &'static str = "https://api.stripe.com/";
    /// The default [`StripeConfig::deadline`].
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(8);

    /// A timeout that leaves room for Stripe's slower answers without holding a customer for long.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Settings for Stripe's own API with the default timeout.
    pub fn new(secret_key: SecretString) -> Self {
        Self {
            secret_key,
            api_base: default_api_base(),
            timeout: Self::DEFAULT_TIMEOUT,
            deadline: Self::DEFAULT_DEADLINE,
        }
    }
}

fn default_api_base() -> Url {
    // A constant, checked by the test below: this cannot fail at run time.
    Url::parse(StripeConfig::DEFAULT_API_BASE).expect("the default Stripe API base is a valid URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_stripe_and_debug_hides_the_key() {
        let config = StripeConfig::new(SecretString::from("sk_test_hidden123"));
        assert_eq!(config.api_base.as_str(), "https://api.stripe.com/");
        assert_eq!(config.timeout, StripeConfig::DEFAULT_TIMEOUT);
        let printed = format!("{config:?}");
        assert!(!printed.contains("sk_test_hidden123"), "{printed}");
        assert!(printed.contains("REDACTED"), "{printed}");
    }
}
