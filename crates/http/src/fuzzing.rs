//! The entry point of the checkout body's fuzz target in `fuzz/` (`cargo fuzz`, `make fuzz`) and of the test
//! that replays its corpus in `make test`, behind the `fuzzing` feature: not part of the adapter's API.

use crate::dto::checkout::{AnyCheckoutRequest, CheckoutRequest, ValidCheckout};
use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::ResponseError;
use payments_domain::{Currency, MAX_LINE_ITEMS};

/// Both checkout bodies, as their routes read them: JSON (as actix's `web::Json` parses it) into the DTOs, then
/// checked into domain values.
///
/// Properties: no input panics; a body that is refused is refused with a 400 or a 422 that renders; one that
/// is accepted holds 1 to [`MAX_LINE_ITEMS`] lines.
pub fn checkout_body(data: &[u8]) {
    // `POST /api/v1/checkout/sessions`: either body.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        check(AnyCheckoutRequest::from_json(value).and_then(|request| request.validate(Currency::USD)));
    }
    // `POST /create-checkout-session`: the seed's body.
    if let Ok(request) = serde_json::from_slice::<CheckoutRequest>(data) {
        check(request.validate(Currency::USD));
    }
}

fn check(result: Result<ValidCheckout, ApiError>) {
    match result {
        Ok(valid) => {
            assert!(
                (1..=MAX_LINE_ITEMS).contains(&valid.lines.len()),
                "{} lines accepted",
                valid.lines.len()
            );
        }
        Err(error) => {
            let status = error.status_code();
            assert!(
                matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY),
                "a checkout body refused with {status}: {error:?}"
            );
            assert_eq!(error.error_response().status(), status);
        }
    }
}
