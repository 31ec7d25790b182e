//! Trying a Stripe call again when Stripe was briefly unavailable.

use crate::gateway_error::Failure;
use payments_domain::GatewayError;
use std::future::Future;
use std::time::Duration;

/// Pauses before the second and third attempts: short, since a customer is waiting for the redirect.
pub(crate) const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(300)];

/// Runs `attempt` once, then once more after each of `delays` while it fails transiently, all within
/// `deadline`: an attempt still running then is dropped, and no retry starts that would end after it.
/// The caller makes each attempt identical (same idempotency key), so a retry never does the work twice.
pub(crate) async fn with_retries<T, F, Fut>(
    operation: &'static str,
    delays: &[Duration],
    deadline: Duration,
    mut attempt: F,
) -> Result<T, GatewayError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let until = tokio::time::Instant::now() + deadline;
    let mut delays = delays.iter();
    loop {
        let Ok(attempted) = tokio::time::timeout_at(until, attempt()).await else {
            tracing::warn!(
                operation,
                deadline_ms = deadline.as_millis() as u64,
                "Stripe did not answer in time"
            );
            return Err(GatewayError::Unavailable(format!("no answer within {} ms", deadline.as_millis())));
        };
        match attempted {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transient(reason)) => {
                match delays.next().filter(|delay| tokio::time::Instant::now() + **delay < until) {
                    Some(delay) => {
                        tracing::warn!(operation, %reason, retry_in_ms = delay.as_millis() as u64, "Stripe unavailable; retrying");
                        tokio::time::sleep(*delay).await;
                    }
                    None => {
                        tracing::warn!(operation, %reason, "Stripe unavailable; giving up");
                        return Err(GatewayError::Unavailable(reason));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const FAST: [Duration; 2] = [Duration::from_millis(1), Duration::from_millis(1)];

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = with_retries("test", &FAST, Duration::from_secs(5), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(Failure::Transient("busy".into())),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(result.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn persistent_transient_failures_end_unavailable_after_three_attempts() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries("test", &FAST, Duration::from_secs(5), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure::Transient("HTTP 503".into()))
        })
        .await;
        assert!(matches!(result, Err(GatewayError::Unavailable(reason)) if reason == "HTTP 503"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_operation_that_does_not_answer_gives_up_at_its_deadline() {
        let started = std::time::Instant::now();
        let result: Result<(), _> = with_retries("test", &FAST, Duration::from_millis(100), || async {
            std::future::pending::<Result<(), Failure>>().await
        })
        .await;
        assert!(matches!(result, Err(GatewayError::Unavailable(reason)) if reason.contains("100 ms")));
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn final_failures_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries("test", &FAST, Duration::from_secs(5), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure::Final(GatewayError::Rejected { code: None, message: "no".into() }))
        })
        .await;
        assert!(matches!(result, Err(GatewayError::Rejected { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
