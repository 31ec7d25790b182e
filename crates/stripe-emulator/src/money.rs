//! Currencies and amounts: validation, Stripe's minimum charge, and display on the checkout page.

use crate::error::ApiError;

/// Currencies without a minor unit (amounts are whole units).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof",
    "xpf",
];

/// The largest amount Stripe accepts (eight digits).
const MAX_AMOUNT: i64 = 99_999_999;

/// A lowercase three-letter currency code from a parameter, or `parameter_invalid`.
pub fn parse_currency(text: &str, param: &str) -> Result<String, ApiError> {
    let lower = text.to_ascii_lowercase();
    if lower.len() == 3 && lower.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(lower)
    } else {
        Err(ApiError::bad_value(param, format!("Invalid currency: {text}")))
    }
}

/// Checks a total against Stripe's minimum charge (the equivalent of 0.50 USD) and maximum.
pub fn check_amount(amount: i64, currency: &str, param: &str) -> Result<(), ApiError> {
    let minimum = minimum_charge(currency);
    if amount < minimum {
        return Err(ApiError::bad_value(
            param,
            format!(
                "The Checkout Session's total amount due must add up to at least {}",
                format_amount(minimum, currency)
            ),
        ));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::bad_value(param, "Amount must be no more than 99,999,999."));
    }
    Ok(())
}

/// Stripe's minimum charge in `currency` (the equivalent of 0.50 USD; the emulator knows GBP's 0.30).
fn minimum_charge(currency: &str) -> i64 {
    match currency {
        "gbp" => 30,
        _ => 50,
    }
}

/// Checks a payment intent's `amount`: a positive integer, at least the minimum charge, at most eight digits
/// (`amount_too_small`, `amount_too_large`, as Stripe answers).
pub fn check_payment_amount(amount: i64, currency: &str) -> Result<(), ApiError> {
    let minimum = minimum_charge(currency);
    if amount < 1 {
        return Err(ApiError::bad_value("amount", "This value must be greater than or equal to 1."));
    }
    if amount < minimum {
        return Err(ApiError::invalid(format!(
            "Amount must be at least {} {currency}",
            format_amount(minimum, currency).split(' ').next().unwrap_or_default()
        ))
        .param("amount")
        .code("amount_too_small"));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::invalid("Amount must be no more than 99,999,999.")
            .param("amount")
            .code("amount_too_large"));
    }
    Ok(())
}

/// The delayed bank debit offered for a currency: ACH in USD, SEPA otherwise.
pub fn delayed_debit_for(currency: &str) -> &'static str {
    if currency == "usd" {
        "us_bank_account"
    } else {
        "sepa_debit"
    }
}

/// `1234, "usd"` → `12.34 USD`; `500, "jpy"` → `500 JPY`.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency) {
        format!("{amount} {code}")
    } else {
        let sign = if amount < 0 { "-" } else { "" };
        let abs = amount.unsigned_abs();
        format!("{sign}{}.{:02} {code}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_display_in_major_units_except_zero_decimal_currencies() {
        assert_eq!(format_amount(1234, "usd"), "12.34 USD");
        assert_eq!(format_amount(5, "eur"), "0.05 EUR");
        assert_eq!(format_amount(500, "jpy"), "500 JPY");
    }

    #[test]
    fn totals_below_the_minimum_charge_are_refused() {
        assert!(check_amount(49, "usd", "line_items").is_err());
        assert!(check_amount(50, "usd", "line_items").is_ok());
        assert!(check_amount(100_000_000, "usd", "line_items").is_err());
        assert_eq!(parse_currency("USD", "currency").unwrap(), "usd");
        assert!(parse_currency("us", "currency").is_err());
    }
}
