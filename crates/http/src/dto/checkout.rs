//! The checkout requests — the seed's `{email, cartItems}` and the catalog's `{items, email}` — their checks,
//! and the answer to them.

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::http::StatusCode;
use payments_domain::{
    CartLine, CatalogItem, Currency, Email, LineItem, LineItemError, Money, OrderError, Sku, StartedCheckout,
    MAX_LINE_ITEMS, MAX_QUANTITY, STRIPE_MAX_AMOUNT_MINOR,
};
use serde::{Deserialize, Serialize};

/// The longest price id a catalog item may name (a catalog price id or a Stripe `price_...` id).
const MAX_PRICE_ID_CHARS: usize = 255;

/// `POST /create-checkout-session` as the seed's client sends it. The email may be left out by a signed-in
/// user whose token carries one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckoutRequest {
    #[serde(default)]
    email: Option<String>,
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
    /// The catalog product the line is for; without it, the product is found by name.
    #[serde(default)]
    sku: Option<String>,
}

/// `POST /api/v1/checkout/sessions` with catalog items: the server prices every line.
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogCheckoutRequest {
    items: Vec<CatalogCartItem>,
    #[serde(default)]
    email: Option<String>,
    /// The currency to price every line in (`"eur"`); absent: the configured checkout currency.
    #[serde(default)]
    currency: Option<String>,
}

/// One catalog line: exactly one of `sku` (the product at its checkout price) or `price_id` (a catalog or
/// Stripe price id), and a quantity.
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogCartItem {
    #[serde(default)]
    sku: Option<String>,
    #[serde(default, alias = "priceId")]
    price_id: Option<String>,
    quantity: serde_json::Number,
}

/// Either body of `POST /api/v1/checkout/sessions`, told apart by its `items` or `cartItems` field.
#[derive(Debug)]
pub(crate) enum AnyCheckoutRequest {
    /// The seed's client-priced cart.
    Seed(CheckoutRequest),
    /// Catalog items.
    Catalog(CatalogCheckoutRequest),
}

/// A checkout request whose every field passed its checks, ready for the domain.
#[derive(Debug)]
pub(crate) struct ValidCheckout {
    /// Who pays, if the request says (a signed-in user's token may say instead).
    pub(crate) email: Option<Email>,
    /// What is bought.
    pub(crate) lines: Vec<CartLine>,
    /// The name of the request's list of lines (`cartItems` or `items`), for error messages.
    pub(crate) list: &'static str,
    /// The currency asked for; `None`: the configured one.
    pub(crate) currency: Option<Currency>,
}

impl CheckoutRequest {
    /// Builds the domain values, or says which field is wrong (422). Prices and the order total are checked
    /// by the domain.
    pub(crate) fn validate(self, currency: Currency) -> Result<ValidCheckout, ApiError> {
        const LIST: &str = "cartItems";
        let email = optional_email(self.email.as_deref())?;
        check_count(self.cart_items.len(), LIST)?;
        let lines = self
            .cart_items
            .iter()
            .enumerate()
            .map(|(index, item)| item.to_cart_line(currency).map_err(|rule| item_error(LIST, index, &rule)))
            .collect::<Result<_, _>>()?;
        Ok(ValidCheckout { email, lines, list: LIST, currency: None })
    }
}

impl CatalogCheckoutRequest {
    /// Builds the domain values: a line that names neither or both of `sku` and `price_id` is a 400, a bad
    /// value a 422. Whether the items exist and can be bought is checked by the domain.
    pub(crate) fn validate(self) -> Result<ValidCheckout, ApiError> {
        const LIST: &str = "items";
        let email = optional_email(self.email.as_deref())?;
        check_count(self.items.len(), LIST)?;
        let lines = self
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| item.to_cart_line(index))
            .collect::<Result<_, _>>()?;
        let currency = match self.currency.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(Currency::parse(code).map_err(|_| {
                unprocessable(
                    ErrorCode::CurrencyNotAvailable,
                    format!("currency must be a three-letter ISO 4217 code such as \"eur\", got {code:?}."),
                )
            })?),
        };
        Ok(ValidCheckout { email, lines, list: LIST, currency })
    }
}

impl AnyCheckoutRequest {
    /// Reads either body from parsed JSON: `items` makes it a catalog checkout, `cartItems` the seed's.
    pub(crate) fn from_json(value: serde_json::Value) -> Result<Self, ApiError> {
        let Some(object) = value.as_object() else {
            return Err(bad_request(ErrorCode::InvalidJson, "The body must be a JSON object."));
        };
        let invalid =
            |e: serde_json::Error| bad_request(ErrorCode::InvalidJson, format!("The body is not valid: {e}"));
        match (object.contains_key("items"), object.contains_key("cartItems")) {
            (true, false) => serde_json::from_value(value).map(AnyCheckoutRequest::Catalog).map_err(invalid),
            (false, true) => serde_json::from_value(value).map(AnyCheckoutRequest::Seed).map_err(invalid),
            (true, true) => Err(bad_request(
                ErrorCode::InvalidJson,
                "The body may hold `items` (catalog items) or `cartItems` (priced cart items), not both.",
            )),
            (false, false) => Err(bad_request(
                ErrorCode::InvalidJson,
                "The body must hold `items` (catalog items: [{\"sku\" or \"price_id\", \"quantity\"}]) or \
                 `cartItems` (priced cart items).",
            )),
        }
    }

    /// Checks the body (see [`CheckoutRequest::validate`] and [`CatalogCheckoutRequest::validate`]).
    pub(crate) fn validate(self, currency: Currency) -> Result<ValidCheckout, ApiError> {
        match self {
            AnyCheckoutRequest::Seed(request) => request.validate(currency),
            AnyCheckoutRequest::Catalog(request) => request.validate(),
        }
    }
}

/// The request's email: absent, `null` or blank is `None` (the token's email or a 422 `email_required` then);
/// anything else must be an address.
fn optional_email(raw: Option<&str>) -> Result<Option<Email>, ApiError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => Email::parse(raw).map(Some).map_err(|_| {
            unprocessable(ErrorCode::InvalidEmail, "email must be a valid email address (name@example.com).")
        }),
    }
}

fn check_count(count: usize, list: &str) -> Result<(), ApiError> {
    match count {
        0 => Err(order_error(&OrderError::NoItems, list)),
        n if n > MAX_LINE_ITEMS => Err(order_error(&OrderError::TooManyItems(n), list)),
        _ => Ok(()),
    }
}

/// Why one cart item was refused: a domain rule, or a field of the request that is not acceptable.
enum ItemRule {
    Domain(LineItemError),
    PriceNotWhole,
    Sku,
}

impl CartItem {
    fn to_cart_line(&self, currency: Currency) -> Result<CartLine, ItemRule> {
        let minor = self.price.as_i64().ok_or(ItemRule::PriceNotWhole)?;
        let price = Money::new(minor, currency).map_err(|_| ItemRule::Domain(LineItemError::Price))?;
        let quantity = quantity(&self.quantity).ok_or(ItemRule::Domain(LineItemError::Quantity))?;
        let item =
            LineItem::new(&self.name, price, quantity, self.image.as_deref()).map_err(ItemRule::Domain)?;
        let sku = match self.sku.as_deref().map(str::trim).filter(|sku| !sku.is_empty()) {
            None => None,
            Some(sku) => Some(Sku::parse(sku).map_err(|_| ItemRule::Sku)?),
        };
        Ok(CartLine::Client { sku, item })
    }
}

impl CatalogCartItem {
    fn to_cart_line(&self, index: usize) -> Result<CartLine, ApiError> {
        const LIST: &str = "items";
        let item = match (&self.sku, &self.price_id) {
            (Some(sku), None) => {
                CatalogItem::Sku(Sku::parse(sku.trim()).map_err(|_| item_error(LIST, index, &ItemRule::Sku))?)
            }
            (None, Some(price_id)) => {
                let price_id = price_id.trim();
                let ok = !price_id.is_empty()
                    && price_id.len() <= MAX_PRICE_ID_CHARS
                    && price_id.bytes().all(|b| b.is_ascii_graphic());
                if !ok {
                    return Err(unprocessable(ErrorCode::InvalidItem,
                        format!(
                            "{LIST}[{index}].price_id must be 1 to {MAX_PRICE_ID_CHARS} visible ASCII characters"
                        ),
                    ));
                }
                CatalogItem::Price(price_id.to_owned())
            }
            (Some(_), Some(_)) => {
                return Err(shapeless_item(format!(
                    "{LIST}[{index}] names both a sku and a price_id; name exactly one."
                )))
            }
            (None, None) => {
                return Err(shapeless_item(format!(
                    "{LIST}[{index}] must name a product by sku or a price by price_id."
                )))
            }
        };
        let quantity = quantity(&self.quantity)
            .filter(|quantity| (1..=MAX_QUANTITY).contains(quantity))
            .ok_or_else(|| item_error(LIST, index, &ItemRule::Domain(LineItemError::Quantity)))?;
        Ok(CartLine::Catalog { item, quantity })
    }
}

/// A JSON number as a quantity: a fractional, negative or huge one is `None`, breaking the same rule as 0.
fn quantity(number: &serde_json::Number) -> Option<u32> {
    number.as_u64().and_then(|q| u32::try_from(q).ok())
}

fn item_error(list: &str, index: usize, rule: &ItemRule) -> ApiError {
    let message = match rule {
        // The domain's messages start with the field's name ("quantity must be between 1 and 999").
        ItemRule::Domain(err) => format!("{list}[{index}].{err}"),
        ItemRule::PriceNotWhole => {
            format!("{list}[{index}].price must be a whole number of minor units (1999 for 19.99)")
        }
        ItemRule::Sku => format!("{list}[{index}].sku must be 1 to 64 letters, digits, '-', '_' or '.'"),
    };
    unprocessable(ErrorCode::InvalidItem, message)
}

/// What a client reads when the order as a whole is refused; `list` names the request's list of lines.
pub(crate) fn order_error(err: &OrderError, list: &str) -> ApiError {
    match err {
        OrderError::NoItems => {
            unprocessable(ErrorCode::InvalidCart, format!("{list} must hold at least one item."))
        }
        OrderError::TooManyItems(n) => unprocessable(
            ErrorCode::InvalidCart,
            format!("{list} may hold at most {MAX_LINE_ITEMS} items, got {n}."),
        ),
        OrderError::MixedCurrencies => {
            unprocessable(ErrorCode::InvalidCart, "All items must be priced in one currency.")
        }
        OrderError::TotalTooLarge(_) | OrderError::Overflow => unprocessable(
            ErrorCode::AmountTooLarge,
            format!("The order total is above the limit of {STRIPE_MAX_AMOUNT_MINOR} minor units."),
        ),
    }
}

/// A 422 with `code`.
pub(crate) fn unprocessable(code: ErrorCode, message: impl Into<String>) -> ApiError {
    debug_assert_eq!(code.status(), StatusCode::UNPROCESSABLE_ENTITY);
    ApiError::new(code, message)
}

/// A 400 `invalid_item`: a catalog line that names neither a product nor a price, or both.
fn shapeless_item(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidItem, message).with_status(StatusCode::BAD_REQUEST)
}

fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
    debug_assert_eq!(code.status(), StatusCode::BAD_REQUEST);
    ApiError::new(code, message)
}

/// The answer to a checkout that was opened: where to send the customer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckoutCreated {
    url: String,
    order_id: String,
    session_id: String,
}

/// A payment started in the custom flow (201): what the shop's card form confirms with stripe.js.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentIntentCreated {
    order_id: String,
    payment_intent_id: String,
    client_secret: String,
    publishable_key: Option<String>,
}

impl PaymentIntentCreated {
    pub(crate) fn new(started: &payments_domain::StartedPayment, publishable_key: Option<String>) -> Self {
        Self {
            order_id: started.order_id.to_string(),
            payment_intent_id: started.payment_intent_id.to_string(),
            client_secret: started.client_secret.clone(),
            publishable_key,
        }
    }
}

/// `GET /api/v1/config`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FrontEndConfig {
    pub(crate) publishable_key: Option<String>,
    pub(crate) currencies: Vec<String>,
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
