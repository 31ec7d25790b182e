//! Cart pricing: what each line of a client's cart sells, at which price. A pure function of the catalog.

use crate::model::catalog::{CatalogPrice, CatalogRef, PriceKey, Product, Recurring, Sku};
use crate::model::line_item::{LineItem, LineItemError};
use crate::model::money::{Currency, Money};
use url::Url;

/// What a catalog line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogItem {
    /// A product: sold at its first active one-time price in the checkout currency.
    Sku(Sku),
    /// A price, by its catalog id or its Stripe price id: a one-time price, or a recurring one (a
    /// subscription: see [`subscription_terms`]).
    Price(String),
}

impl std::fmt::Display for CatalogItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatalogItem::Sku(sku) => write!(f, "sku {sku}"),
            CatalogItem::Price(id) => write!(f, "price {id}"),
        }
    }
}

/// One line of a cart as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartLine {
    /// A catalog item: the server sets name, image and price.
    Catalog {
        /// What is bought.
        item: CatalogItem,
        /// How many.
        quantity: u32,
    },
    /// The seed's client-priced line. It must name a catalog product (by `sku`, else by its name) and carry
    /// that product's price, unless client prices are allowed; once matched it sells under the catalog's name
    /// and image.
    Client {
        /// The product, if the client named it.
        sku: Option<Sku>,
        /// The line as the client described it.
        item: LineItem,
    },
}

/// How lines are priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingRules {
    /// The currency every line is sold in.
    pub currency: Currency,
    /// Sell client-priced lines that do not match the catalog as sent (they grant no product).
    pub allow_client_prices: bool,
}

/// Why a cart line cannot be sold. `index` is the line's position (0-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// A line names nothing in the catalog.
    #[error("item {index}: {reference} is not in the catalog")]
    UnknownItem {
        /// The line's position.
        index: usize,
        /// What it named.
        reference: String,
    },
    /// A line's price is not the catalog's.
    #[error("item {index} ({name}): the price {given} differs from the catalog price{}", expected_text(.expected))]
    PriceMismatch {
        /// The line's position.
        index: usize,
        /// The product's name.
        name: String,
        /// The client's price.
        given: Money,
        /// The catalog's price in that currency, if it has one.
        expected: Option<Money>,
    },
    /// A line names a product or price that cannot be bought in a one-time checkout.
    #[error("item {index}: {reference} cannot be bought here: {reason}")]
    NotForSale {
        /// The line's position.
        index: usize,
        /// What it named.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A line names a product or price on sale, but not in the checkout's currency.
    #[error("item {index}: {reference} has no price in {currency}")]
    CurrencyNotAvailable {
        /// The line's position.
        index: usize,
        /// What it named.
        reference: String,
        /// The checkout's currency.
        currency: Currency,
    },
    /// A line built from the catalog is not acceptable (a quantity out of range).
    #[error("item {index}: {source}")]
    InvalidLine {
        /// The line's position.
        index: usize,
        /// What is wrong.
        source: LineItemError,
    },
}

fn expected_text(expected: &Option<Money>) -> String {
    match expected {
        Some(price) => format!(" {price}"),
        None => " (it has none in this currency)".to_owned(),
    }
}

/// The order line that cart line `index` sells, priced by the catalog `products` (or, when the rules allow,
/// by the client).
pub fn price_line(
    products: &[Product],
    rules: PricingRules,
    index: usize,
    line: CartLine,
) -> Result<LineItem, PriceError> {
    match line {
        CartLine::Catalog { item, quantity } => catalog_line(products, rules.currency, index, item, quantity),
        CartLine::Client { sku, item } => client_line(products, rules, index, sku, item),
    }
}

/// A catalog line: the product and price it names, at the catalog's name, image and amount.
fn catalog_line(
    products: &[Product],
    currency: Currency,
    index: usize,
    item: CatalogItem,
    quantity: u32,
) -> Result<LineItem, PriceError> {
    let not_for_sale = |reason: String| PriceError::NotForSale { index, reference: item.to_string(), reason };
    let not_in_currency =
        || PriceError::CurrencyNotAvailable { index, reference: item.to_string(), currency };
    let found = match &item {
        CatalogItem::Sku(sku) => products.iter().find(|p| p.sku == *sku).map(|product| {
            let price = product.checkout_price(currency).ok_or_else(|| {
                if product.prices.iter().any(CatalogPrice::is_one_time_and_active) {
                    not_in_currency()
                } else {
                    not_for_sale(format!("it has no active one-time price in {currency}"))
                }
            });
            (product, price)
        }),
        CatalogItem::Price(id) => products.iter().find_map(|product| {
            product.price(id).map(|price| {
                let usable = if !price.active {
                    Err(not_for_sale("the price is no longer active".to_owned()))
                } else if price.unit_amount.currency() != currency {
                    Err(not_in_currency())
                } else {
                    Ok(price)
                };
                (product, usable)
            })
        }),
    };
    let Some((product, price)) = found else {
        return Err(PriceError::UnknownItem { index, reference: item.to_string() });
    };
    if !product.active {
        return Err(not_for_sale("the product is no longer sold".to_owned()));
    }
    let price = price?;
    let image = product.image_url.as_ref().map(Url::as_str);
    let line = LineItem::new(&product.name, price.unit_amount, quantity, image)
        .map_err(|source| PriceError::InvalidLine { index, source })?;
    Ok(line.with_catalog(CatalogRef { sku: product.sku.clone(), price_id: price.id.clone() }))
}

/// A client-priced line: it must match a catalog product and its price, unless client prices are allowed.
fn client_line(
    products: &[Product],
    rules: PricingRules,
    index: usize,
    sku: Option<Sku>,
    item: LineItem,
) -> Result<LineItem, PriceError> {
    let product = match &sku {
        Some(sku) => products.iter().find(|p| p.sku == *sku && p.active),
        None => products.iter().find(|p| p.active && p.name.eq_ignore_ascii_case(item.name())),
    };
    let expected =
        product.and_then(|p| p.checkout_price(item.unit_amount().currency()).map(|price| (p, price)));
    match (product, expected) {
        // Sold as the catalog shows it: the client picks neither the name nor the image Stripe displays.
        (Some(_), Some((product, price))) if price.unit_amount == item.unit_amount() => {
            let image = product.image_url.as_ref().map(Url::as_str);
            let line = LineItem::new(&product.name, price.unit_amount, item.quantity(), image)
                .map_err(|source| PriceError::InvalidLine { index, source })?;
            Ok(line.with_catalog(CatalogRef { sku: product.sku.clone(), price_id: price.id.clone() }))
        }
        // Trusted client prices: the line is sold as given but grants no catalog product.
        _ if rules.allow_client_prices => Ok(item),
        (Some(product), expected) => Err(PriceError::PriceMismatch {
            index,
            name: product.name.clone(),
            given: item.unit_amount(),
            expected: expected.map(|(_, price)| price.unit_amount),
        }),
        (None, _) => Err(PriceError::UnknownItem {
            index,
            reference: match sku {
                Some(sku) => format!("sku {sku}"),
                None => format!("an item named {:?}", item.name()),
            },
        }),
    }
}

/// What a cart subscribes to: its one recurring line's schedule, product and price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionTerms {
    /// Which of the items it is.
    pub line: usize,
    /// How often it renews.
    pub recurring: Recurring,
    /// The product it sells.
    pub sku: Sku,
    /// The catalog price.
    pub price_key: PriceKey,
    /// Days of free trial it starts with.
    pub trial_period_days: Option<u32>,
}

/// The subscription `items` (priced by [`price_line`]) start, if one names a recurring price: then the checkout
/// is a subscription, its one-time lines billed with the first invoice (as Stripe does).
/// A price with a free trial is checked out alone: nothing is due at checkout then, and the order is for
/// what is due.
/// Errors: [`PriceError::NotForSale`] for a second recurring line (one checkout, one subscription), and for any
/// other line beside a price with a free trial.
pub fn subscription_terms(
    products: &[Product],
    items: &[LineItem],
) -> Result<Option<SubscriptionTerms>, PriceError> {
    let mut terms = None;
    for (index, item) in items.iter().enumerate() {
        let Some(catalog) = item.catalog() else { continue };
        let price = products
            .iter()
            .find(|product| product.sku == catalog.sku)
            .and_then(|product| product.price(catalog.price_id.as_str()));
        let Some((recurring, trial_period_days)) =
            price.and_then(|price| Some((price.recurring?, price.trial_period_days)))
        else {
            continue;
        };
        if trial_period_days.is_some() && items.len() > 1 {
            return Err(PriceError::NotForSale {
                index,
                reference: format!("price {}", catalog.price_id),
                reason: "a subscription with a free trial is checked out alone".to_owned(),
            });
        }
        if terms.is_some() {
            return Err(PriceError::NotForSale {
                index,
                reference: format!("price {}", catalog.price_id),
                reason: "a checkout starts one subscription: it holds one recurring price at most".to_owned(),
            });
        }
        terms = Some(SubscriptionTerms {
            line: index,
            recurring,
            sku: catalog.sku.clone(),
            price_key: catalog.price_id.clone(),
            trial_period_days,
        });
    }
    Ok(terms)
}

#[cfg(test)]
#[path = "pricing_tests.rs"]
mod tests;
