//! Stripe's test cards and what each one does.

/// What happens when a card is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBehaviour {
    /// The payment succeeds.
    Succeed,
    /// The payment succeeds, then a dispute opens (4000000000000259).
    SucceedThenDispute,
    /// 3-D Secure is required (4000002500003155, 4000002760003184, 4000000000003220).
    RequireThreeDSecure,
    /// The payment is declined.
    Decline(Decline),
}

/// A decline as Stripe reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    /// The error code (`card_declined`, `expired_card`…).
    pub code: &'static str,
    /// The issuer's reason (`generic_decline`, `insufficient_funds`…).
    pub decline_code: &'static str,
    /// For the customer.
    pub message: &'static str,
}

const fn decline(code: &'static str, decline_code: &'static str, message: &'static str) -> CardBehaviour {
    CardBehaviour::Decline(Decline { code, decline_code, message })
}

const CARDS: &[(&str, CardBehaviour)] = &[
    ("4000000000000259", CardBehaviour::SucceedThenDispute),
    ("4000002500003155", CardBehaviour::RequireThreeDSecure),
    ("4000002760003184", CardBehaviour::RequireThreeDSecure),
    ("4000000000003220", CardBehaviour::RequireThreeDSecure),
    ("4000000000000002", decline("card_declined", "generic_decline", "Your card was declined.")),
    ("4000000000000341", decline("card_declined", "generic_decline", "Your card was declined.")),
    ("4000000000009995", decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    ("4000000000009987", decline("card_declined", "lost_card", "Your card was declined.")),
    ("4000000000009979", decline("card_declined", "stolen_card", "Your card was declined.")),
    ("4100000000000019", decline("card_declined", "fraudulent", "Your card was declined.")),
    ("4000000000000069", decline("expired_card", "expired_card", "Your card has expired.")),
    (
        "4000000000000127",
        decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ),
    (
        "4000000000000119",
        decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
];

/// Stripe's 4000 0000 0000 5126 (`pm_card_refundFail`): the charge succeeds, and a refund of it succeeds, then
/// fails (`refund.failed`).
pub const REFUND_FAIL: &str = "4000000000005126";

/// Stripe's 4000 0000 0000 0341 (`pm_card_chargeCustomerFail`): it can be attached to a customer (and
/// pays on the checkout page), but every later, off-session charge is declined.
pub const CHARGE_CUSTOMER_FAIL: &str = "4000000000000341";

/// How Stripe declines a later charge of [`CHARGE_CUSTOMER_FAIL`].
pub const OFF_SESSION_DECLINE: Decline =
    Decline { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." };

/// What `number` (digits only) does; any other valid number succeeds, as Stripe's other test cards do.
pub fn behaviour(number: &str) -> CardBehaviour {
    CARDS.iter().find(|(n, _)| *n == number).map_or(CardBehaviour::Succeed, |(_, behaviour)| *behaviour)
}

/// The digits of a typed card number (spaces and dashes dropped), if it is 12–19 digits and passes the
/// Luhn check; `None` is what Checkout's form reports as "Your card number is invalid."
pub fn normalize(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    luhn(&digits).then_some(digits)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The card brand Stripe reports for `number`.
pub fn brand(number: &str) -> &'static str {
    match number.as_bytes() {
        [b'4', ..] => "visa",
        [b'5', b'1'..=b'5', ..] | [b'2', ..] => "mastercard",
        [b'3', b'4' | b'7', ..] => "amex",
        [b'6', ..] => "discover",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_behave_as_on_stripe() {
        assert_eq!(behaviour("4242424242424242"), CardBehaviour::Succeed);
        assert_eq!(behaviour("4000000000000259"), CardBehaviour::SucceedThenDispute);
        assert_eq!(behaviour("4000002500003155"), CardBehaviour::RequireThreeDSecure);
        let CardBehaviour::Decline(d) = behaviour("4000000000009995") else { panic!() };
        assert_eq!((d.code, d.decline_code), ("card_declined", "insufficient_funds"));
        let CardBehaviour::Decline(d) = behaviour("4000000000000069") else { panic!() };
        assert_eq!(d.code, "expired_card");
    }

    #[test]
    fn typed_numbers_are_normalized_and_luhn_checked() {
        assert_eq!(normalize("4242 4242 4242 4242").as_deref(), Some("4242424242424242"));
        assert_eq!(normalize("4242424242424241"), None);
        assert_eq!(normalize("abcd"), None);
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        // Every listed test card passes the Luhn check, so none is refused as mistyped.
        assert!(CARDS.iter().all(|(n, _)| normalize(n).is_some()));
    }
}
