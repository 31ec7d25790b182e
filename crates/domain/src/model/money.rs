//! Money in integer minor units of a currency.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The most a single Stripe Checkout Session may charge, in minor units (Stripe caps amounts at eight digits).
pub const STRIPE_MAX_AMOUNT_MINOR: i64 = 99_999_999;

/// An ISO 4217 currency code, stored lowercase as Stripe writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be a three-letter ISO 4217 code such as \"usd\", got {0:?}")]
pub struct CurrencyError(pub String);

/// Currencies Stripe charges in whole units (no minor unit), from Stripe's documentation.
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof",
    "xpf",
];

/// Currencies with three decimals (a minor unit is a thousandth), from Stripe's documentation.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

impl Currency {
    /// US dollars, the default checkout currency.
    pub const USD: Currency = Currency(*b"usd");

    /// Parses a three-letter code, case-insensitively.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let lower = code.trim().to_ascii_lowercase();
        match lower.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_lowercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(CurrencyError(code.to_owned())),
        }
    }

    /// The lowercase code, e.g. `"usd"`.
    pub fn as_str(&self) -> &str {
        // The bytes are checked ASCII letters at construction.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// True for currencies without a minor unit (JPY, KRW, ...): one minor unit is one whole unit.
    pub fn is_zero_decimal(&self) -> bool {
        ZERO_DECIMAL.contains(&self.as_str())
    }

    /// How many decimals a whole unit has: 0 (JPY, KRW...), 3 (KWD, BHD...) or 2.
    pub fn decimals(&self) -> u32 {
        if self.is_zero_decimal() {
            0
        } else if THREE_DECIMAL.contains(&self.as_str()) {
            3
        } else {
            2
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

/// An amount of money: integer minor units (cents for USD, yen for JPY) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Why an amount is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Amounts are never negative.
    #[error("amount must not be negative, got {0}")]
    Negative(i64),
    /// Adding or multiplying went past what an i64 holds.
    #[error("amount overflows")]
    Overflow,
    /// Two amounts of different currencies were combined.
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl Money {
    /// An amount of `minor` units; refuses negative amounts.
    pub fn new(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative(minor));
        }
        Ok(Self { minor, currency })
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// The amount in minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `self + other`, refusing other currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Money::new(minor, self.currency)
    }

    /// `self * factor`, refusing overflow.
    pub fn checked_mul(self, factor: u32) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(i64::from(factor)).ok_or(MoneyError::Overflow)?;
        Money::new(minor, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.currency.as_str().to_uppercase();
        match self.currency.decimals() {
            0 => write!(f, "{} {code}", self.minor),
            decimals => {
                let unit = 10_i64.pow(decimals);
                let width = decimals as usize;
                write!(f, "{}.{:0width$} {code}", self.minor / unit, self.minor % unit)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_normalised_to_lowercase() {
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "usd");
        assert!(Currency::parse("us").is_err());
        assert!(Currency::parse("us1").is_err());
        assert!(Currency::parse("euro").is_err());
    }

    #[test]
    fn amounts_show_in_their_currencys_decimals() {
        let money = |minor, code| Money::new(minor, Currency::parse(code).unwrap()).unwrap().to_string();
        assert_eq!(money(1500, "jpy"), "1500 JPY");
        assert_eq!(money(12345, "kwd"), "12.345 KWD");
        assert_eq!(money(5, "bhd"), "0.005 BHD");
        assert_eq!(money(1905, "eur"), "19.05 EUR");
        assert_eq!(Currency::parse("krw").unwrap().decimals(), 0);
        assert_eq!(Currency::parse("tnd").unwrap().decimals(), 3);
        assert_eq!(Currency::USD.decimals(), 2);
    }

    #[test]
    fn zero_decimal_currencies_are_known() {
        assert!(Currency::parse("jpy").unwrap().is_zero_decimal());
        assert!(Currency::parse("krw").unwrap().is_zero_decimal());
        assert!(!Currency::USD.is_zero_decimal());
        let yen = Money::new(1500, Currency::parse("jpy").unwrap()).unwrap();
        assert_eq!(yen.to_string(), "1500 JPY");
        assert_eq!(Money::new(1999, Currency::USD).unwrap().to_string(), "19.99 USD");
    }

    #[test]
    fn money_refuses_negative_overflow_and_mixed_currencies() {
        assert_eq!(Money::new(-1, Currency::USD), Err(MoneyError::Negative(-1)));
        let max = Money::new(i64::MAX, Currency::USD).unwrap();
        assert_eq!(max.checked_add(Money::new(1, Currency::USD).unwrap()), Err(MoneyError::Overflow));
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
        let eur = Money::new(1, Currency::parse("eur").unwrap()).unwrap();
        assert!(matches!(Money::zero(Currency::USD).checked_add(eur), Err(MoneyError::CurrencyMismatch(..))));
        assert_eq!(Money::new(250, Currency::USD).unwrap().checked_mul(3).unwrap().minor(), 750);
    }
}
