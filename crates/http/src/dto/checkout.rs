//! The checkout request (the seed's `{email, cartItems}`), its checks, and the answer to it.

use crate::error::ApiError;
use actix_web::http::StatusCode;
use payments_domain::{
    Currency, Email, LineItem, LineItemError, Money, OrderError, StartedCheckout, MAX_LINE_ITEMS,
    STRIPE_MAX_AMOUNT_MINOR,
};
use serde::{Deserialize, Serialize};

/// `POST /create-checkout-session` as the seed's client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckoutRequest {
    email: String,
    cart_items: Vec<CartItem>,
}

/// One cart line. Numbers are kept as JSON numbers so that `19.99` is refused with a message naming the
/// item, rather than as a type error.
#[derive(Debug, Deserialize)]
pub(crate) struct CartItem {
    name: String,
    price: serde_json::Number,
    quantity: serde_json::Number,
    #[serde(default)]
    image: Option<String>,
}

/// A checkout request whose every field passed its domain constructor.
#[derive(Debug)]
pub(crate) struct ValidCheckout {
    /// Who pays.
    pub(crate) email: Email,
    /// What is bought, priced in the configured currency.
    pub(crate) items: Vec<LineItem>,
}

impl CheckoutRequest {
    /// Builds the domain values, or says which field is wrong (422). The order total is checked by the domain.
    pub(crate) fn validate(self, currency: Currency) -> Result<ValidCheckout, ApiError> {
        let email = Email::parse(&self.email).map_err(|_| {
            unprocessable("invalid_email", "email must be a valid email address (name@example.com).")
        })?;
        match self.cart_items.len() {
            0 => return Err(order_error(&OrderError::NoItems)),
            n if n > MAX_LINE_ITEMS => return Err(order_error(&OrderError::TooManyItems(n))),
            _ => {}
        }
        let items = self
            .cart_items
            .iter()
            .enumerate()
            .map(|(index, item)| item.to_line_item(currency).map_err(|rule| item_error(index, &rule)))
            .collect::<Result<_, _>>()?;
        Ok(ValidCheckout { email, items })
    }
}

/// Why one cart item was refused: a domain rule, or a number that is not a whole number.
enum ItemRule {
    Domain(LineItemError),
    PriceNotWhole,
}

impl CartItem {
    fn to_line_item(&self, currency: Currency) -> Result<LineItem, ItemRule> {
        let minor = self.price.as_i64().ok_or(ItemRule::PriceNotWhole)?;
        let price = Money::new(minor, currency).map_err(|_| ItemRule::Domain(LineItemError::Price))?;
        // A fractional, negative or huge quantity breaks the same rule as 0 or 1000.
        let quantity = self
            .quantity
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .ok_or(ItemRule::Domain(LineItemError::Quantity))?;
        LineItem::new(&self.name, price, quantity, self.image.as_deref()).map_err(ItemRule::Domain)
    }
}

fn item_error(index: usize, rule: &ItemRule) -> ApiError {
    let message = match rule {
        // The domain's messages start with the field's name ("quantity must be between 1 and 999").
        ItemRule::Domain(err) => format!("cartItems[{index}].{err}"),
        ItemRule::PriceNotWhole => {
            format!("cartItems[{index}].price must be a whole number of minor units (1999 for 19.99)")
        }
    };
    unprocessable("invalid_item", message)
}

/// What a client reads when the order as a whole is refused.
pub(crate) fn order_error(err: &OrderError) -> ApiError {
    match err {
        OrderError::NoItems => unprocessable("invalid_cart", "cartItems must hold at least one item."),
        OrderError::TooManyItems(n) => unprocessable(
            "invalid_cart",
            format!("cartItems may hold at most {MAX_LINE_ITEMS} items, got {n}."),
        ),
        OrderError::MixedCurrencies => {
            unprocessable("invalid_cart", "All items must be priced in one currency.")
        }
        OrderError::TotalTooLarge(_) | OrderError::Overflow => unprocessable(
            "amount_too_large",
            format!("The order total is above the limit of {STRIPE_MAX_AMOUNT_MINOR} minor units."),
        ),
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// The answer to a checkout that was opened: where to send the customer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckoutCreated {
    url: String,
    order_id: String,
    session_id: String,
}

impl From<&StartedCheckout> for CheckoutCreated {
    fn from(started: &StartedCheckout) -> Self {
        Self {
            url: started.url.to_string(),
            order_id: started.order_id.to_string(),
            session_id: started.session_id.to_string(),
        }
    }
}
