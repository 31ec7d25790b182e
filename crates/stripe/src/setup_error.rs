//! Why the Stripe adapters could not be built from their settings.

/// A configuration the adapters refuse at start-up. Messages never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeSetupError {
    /// The API key is empty, or holds characters an HTTP header cannot carry.
    #[error("the Stripe secret key is {0}")]
    InvalidSecretKey(&'static str),
    /// The API base is not an absolute http(s) URL.
    #[error("the Stripe API base must be an http or https URL, got {0:?}")]
    InvalidApiBase(String),
    /// A zero timeout would fail every request.
    #[error("the Stripe request timeout must be greater than zero")]
    ZeroTimeout,
    /// async-stripe refused the client configuration.
    #[error("the Stripe client could not be built: {0}")]
    Client(String),
    /// A webhook verifier needs at least one signing secret.
    #[error("at least one Stripe webhook signing secret (whsec_...) is required")]
    NoWebhookSecrets,
    /// A webhook signing secret is blank.
    #[error("a Stripe webhook signing secret is empty")]
    EmptyWebhookSecret,
}
