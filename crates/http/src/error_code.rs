//! Every code a client can read in an error body, each with the status it comes with: the one list of what
//! this API answers when it refuses or fails.

use actix_web::http::StatusCode;

macro_rules! error_codes {
    ($($variant:ident = $name:literal, $status:ident, $doc:literal;)*) => {
        /// An error code (`{"error": {"code": ...}}`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $doc] $variant,)*
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients read it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// The status it is answered with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = "invalid_json", BAD_REQUEST, "The body is not JSON, or not the JSON expected.";
    InvalidBody = "invalid_body", BAD_REQUEST, "The body could not be read.";
    InvalidQuery = "invalid_query", BAD_REQUEST, "The query string could not be read.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body is not `application/json`.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "The body is over its limit.";
    InvalidEmail = "invalid_email", UNPROCESSABLE_ENTITY, "Not an email address.";
    EmailRequired = "email_required", UNPROCESSABLE_ENTITY, "A guest gave no email, or a token has no email claim.";
    InvalidCart = "invalid_cart", UNPROCESSABLE_ENTITY, "The cart is empty, too long, or mixes currencies.";
    InvalidItem = "invalid_item", UNPROCESSABLE_ENTITY, "A cart line breaks a rule (name, price, quantity, image); 400 when a catalog line names neither a product nor a price, or both.";
    AmountTooLarge = "amount_too_large", UNPROCESSABLE_ENTITY, "The total is above what one checkout may charge.";
    UnknownItem = "unknown_item", UNPROCESSABLE_ENTITY, "A cart line names nothing in the catalog.";
    PriceMismatch = "price_mismatch", UNPROCESSABLE_ENTITY, "A client-priced line is not at the catalog's price.";
    CurrencyNotAvailable = "currency_not_available", UNPROCESSABLE_ENTITY, "The checkout's `currency` is not a currency code, or a line has no price in it.";
    NotForSale = "not_for_sale", UNPROCESSABLE_ENTITY, "A cart line names something that cannot be bought here.";
    PaymentProviderRejected = "payment_provider_rejected", BAD_GATEWAY, "Stripe refused the request.";
    PaymentProviderUnavailable = "payment_provider_unavailable", BAD_GATEWAY, "Stripe could not be reached.";
    MissingSignature = "missing_signature", BAD_REQUEST, "A webhook came without `Stripe-Signature`.";
    InvalidSignature = "invalid_signature", BAD_REQUEST, "A webhook's signature is malformed or matches no secret.";
    TimestampOutOfTolerance = "timestamp_out_of_tolerance", BAD_REQUEST, "A webhook's signature is too old, or dated too far in the future.";
    MalformedPayload = "malformed_payload", BAD_REQUEST, "A correctly signed webhook is not a readable event.";
    InvalidOrderId = "invalid_order_id", BAD_REQUEST, "An order id that is not a UUID.";
    InvalidSessionId = "invalid_session_id", BAD_REQUEST, "A Checkout Session id that is not one.";
    InvalidLimit = "invalid_limit", BAD_REQUEST, "A list's `limit` out of range.";
    InvalidCursor = "invalid_cursor", BAD_REQUEST, "A feed `after` that is not the `next_cursor` of an earlier page.";
    InvalidOutboxStatus = "invalid_outbox_status", BAD_REQUEST, "An outbox `status` other than `pending`, `delivered` or `dead`.";
    InvalidOutboxId = "invalid_outbox_id", BAD_REQUEST, "An outbox entry id that is not a UUID.";
    OutboxEntryNotFound = "outbox_entry_not_found", NOT_FOUND, "No outbox entry has this id.";
    OrderNotFound = "order_not_found", NOT_FOUND, "No such order, or one the caller may not see.";
    ProductNotFound = "product_not_found", NOT_FOUND, "No such product.";
    InvalidSubscriptionId = "invalid_subscription_id", BAD_REQUEST, "A subscription id that is not Stripe's (`sub_...`).";
    SubscriptionNotFound = "subscription_not_found", NOT_FOUND, "No such subscription, or one the caller may not see.";
    SubscriptionEnded = "subscription_ended", CONFLICT, "The subscription has ended (canceled or expired): nothing can change it.";
    SubscriptionNotCanceling = "subscription_not_canceling", CONFLICT, "A resume of a subscription that is not set to cancel at its period's end.";
    NoBillingAccount = "no_billing_account", CONFLICT, "The user has no Stripe customer yet (it is made at the first checkout).";
    IdempotencyKeyRequired = "idempotency_key_required", BAD_REQUEST, "A refund came without an `Idempotency-Key` header.";
    InvalidIdempotencyKey = "invalid_idempotency_key", BAD_REQUEST, "An `Idempotency-Key` that is empty, over 200 characters or not printable ASCII.";
    IdempotencyKeyReused = "idempotency_key_reused", CONFLICT, "An `Idempotency-Key` used for this order with another amount or reason.";
    InvalidRefund = "invalid_refund", UNPROCESSABLE_ENTITY, "A refund `amount` below 1, or an unknown `reason`.";
    RefundExceedsPayment = "refund_exceeds_payment", UNPROCESSABLE_ENTITY, "A refund above what was paid less refunds made or pending; nothing was sent to Stripe.";
    OrderNotRefundable = "order_not_refundable", CONFLICT, "The order is not paid (or is disputed or held for review): there is nothing to refund.";
    RefundsNotAllowed = "refunds_not_allowed", FORBIDDEN, "Users may not refund here (`refunds.allow_users` is off), or the order's refund window has closed.";
    RefundRejected = "refund_rejected", UNPROCESSABLE_ENTITY, "Stripe refused the refund; nothing was refunded.";
    AuthenticationRequired = "authentication_required", UNAUTHORIZED, "The request needs credentials.";
    InvalidToken = "invalid_token", UNAUTHORIZED, "A bearer token that is malformed, forged, or for someone else.";
    TokenExpired = "token_expired", UNAUTHORIZED, "A user token past its `exp`.";
    TokensNotAccepted = "tokens_not_accepted", UNAUTHORIZED, "A bearer token, with no JWT key configured.";
    AdminOnly = "admin_only", FORBIDDEN, "An endpoint for the admin API key only.";
    UsersOnly = "users_only", FORBIDDEN, "An endpoint for signed-in users only.";
    NotFound = "not_found", NOT_FOUND, "No such route.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "The route does not answer this method.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "Too many guest checkouts from one address: wait `Retry-After` seconds.";
    CheckoutTimedOut = "checkout_timed_out", SERVICE_UNAVAILABLE, "A checkout did not finish within its deadline: retry.";
    NotReady = "not_ready", SERVICE_UNAVAILABLE, "The store does not answer (readiness).";
    StoreUnavailable = "store_unavailable", SERVICE_UNAVAILABLE, "The store is unavailable: retry later.";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "A failure the service logged and does not show.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_snake_case_unique_and_an_error_status() {
        let names: HashSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code:?}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code:?}");
        }
    }

    #[test]
    fn the_readme_names_every_code_a_client_can_get() {
        let readme = include_str!("../../../README.md");
        let missing: Vec<&str> =
            ErrorCode::ALL.iter().map(|code| code.as_str()).filter(|code| !readme.contains(code)).collect();
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }
}
