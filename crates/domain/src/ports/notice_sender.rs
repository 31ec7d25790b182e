//! How outbox entries reach a shop: one signed POST to one endpoint.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use url::Url;

/// Why an endpoint did not take an entry, in words fit for an operator (no secret in them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SendFailure(pub String);

/// Sends an entry's body to a shop's endpoint.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NoticeSender: Send + Sync + 'static {
    /// POSTs `body` (JSON) to `endpoint`, signed as of `signed_at`, within the sender's deadline. `Ok` only
    /// for a 2xx answer. Errors: [`SendFailure`] for any other answer, a timeout or a broken connection.
    async fn send(&self, endpoint: &Url, body: &str, signed_at: DateTime<Utc>) -> Result<(), SendFailure>;
}
