//! `/v1/prices`: create, retrieve, list (per-unit prices, one-time or recurring with licensed usage).

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::ids;
use crate::model::price::{Price, Recurring};
use crate::model::product::Product;
use crate::money;
use crate::store::Store;
use serde_json::Value;

const CREATE_PARAMS: &[&str] = &[
    "active",
    "billing_scheme",
    "currency",
    "currency_options",
    "custom_unit_amount",
    "expand",
    "lookup_key",
    "metadata",
    "nickname",
    "product",
    "product_data",
    "recurring",
    "tax_behavior",
    "tiers",
    "tiers_mode",
    "transfer_lookup_key",
    "transform_quantity",
    "unit_amount",
    "unit_amount_decimal",
];

/// A tax behaviour parameter (`inclusive`, `exclusive`, `unspecified`).
pub fn tax_behavior(text: Option<&str>, param: &str) -> Result<Option<String>, ApiError> {
    match text {
        None => Ok(None),
        Some(t @ ("inclusive" | "exclusive" | "unspecified")) => Ok(Some(t.to_owned())),
        Some(t) => Err(ApiError::bad_value(param, format!("Invalid {param}: {t}"))),
    }
}

/// `unit_amount`, or a whole-number `unit_amount_decimal`; required, at least 0.
pub fn unit_amount(p: &crate::params::Params<'_>) -> Result<i64, ApiError> {
    let amount = match (p.integer("unit_amount")?, p.opt_text("unit_amount_decimal")?) {
        (Some(amount), _) => amount,
        (None, Some(decimal)) => decimal.parse::<i64>().map_err(|_| {
            ApiError::bad_value(
                &p.name("unit_amount_decimal"),
                "The emulator supports whole-number amounts only.",
            )
        })?,
        (None, None) => return Err(ApiError::missing(&p.name("unit_amount"))),
    };
    if amount < 0 {
        return Err(ApiError::bad_value(&p.name("unit_amount"), "Invalid non-negative integer"));
    }
    Ok(amount)
}

/// `recurring[interval]` (day, week, month, year) and `recurring[interval_count]` (default 1; at most a year's
/// worth, as on Stripe), if given. Metered usage is not emulated.
pub fn recurring(p: &crate::params::Params<'_>) -> Result<Option<Recurring>, ApiError> {
    let Some(data) = p.hash("recurring")? else {
        return Ok(None);
    };
    data.allow_only(&["interval", "interval_count", "usage_type"])?;
    if data.opt_text("usage_type")?.is_some_and(|usage| usage != "licensed") {
        return Err(ApiError::bad_value(
            &data.name("usage_type"),
            "The emulator supports licensed usage only.",
        ));
    }
    let interval = data.required_text("interval")?;
    let max = match interval {
        "day" => 365,
        "week" => 52,
        "month" => 12,
        "year" => 1,
        other => {
            return Err(ApiError::bad_value(&data.name("interval"), format!("Invalid interval: {other}")));
        }
    };
    let interval_count = data.integer("interval_count")?.unwrap_or(1);
    if !(1..=max).contains(&interval_count) {
        return Err(ApiError::bad_value(
            &data.name("interval_count"),
            format!("The interval count must be between 1 and {max} for interval={interval}."),
        ));
    }
    Ok(Some(Recurring { interval: interval.to_owned(), interval_count }))
}

/// `POST /v1/prices` (event `price.created`; `product_data` also creates the product).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    for unsupported in ["tiers", "custom_unit_amount", "transform_quantity", "currency_options"] {
        if p.has(unsupported) {
            return Err(ApiError::bad_value(
                unsupported,
                format!("The emulator supports per-unit prices only ({unsupported})."),
            ));
        }
    }
    let recurring = recurring(p)?;
    let currency = money::parse_currency(p.required_text("currency")?, "currency")?;
    let unit_amount = unit_amount(p)?;
    let product = match (p.opt_text("product")?, p.hash("product_data")?) {
        (Some(id), None) if store.products.contains(id) => id.to_owned(),
        (Some(id), None) => return Err(ApiError::no_such("product", id, Some("product"))),
        (None, Some(data)) => {
            let product = Product {
                id: ids::new_id("prod_"),
                created: store.now,
                updated: store.now,
                name: data.required_text("name")?.to_owned(),
                description: None,
                active: data.boolean("active")?.unwrap_or(true),
                images: Vec::new(),
                metadata: data.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
                url: None,
            };
            let id = product.id.clone();
            store.emit("product.created", product.to_json(), None);
            store.products.insert(product);
            id
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: product, product_data.",
            )
            .param("product"))
        }
        (None, None) => return Err(ApiError::missing("product")),
    };
    let price = Price {
        id: ids::new_id("price_"),
        created: store.now,
        product,
        currency,
        unit_amount,
        active: p.boolean("active")?.unwrap_or(true),
        nickname: p.opt_text("nickname")?.map(str::to_owned),
        lookup_key: p.opt_text("lookup_key")?.map(str::to_owned),
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        tax_behavior: tax_behavior(p.opt_text("tax_behavior")?, "tax_behavior")?
            .unwrap_or_else(|| "unspecified".to_owned()),
        recurring,
    };
    let json = store.price_json(&price);
    store.emit("price.created", json.clone(), None);
    store.prices.insert(price);
    Ok(json)
}

/// `GET /v1/prices/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.prices.get(call.id), "price", call.id, |p| store.price_json(p))
}

/// `GET /v1/prices`, filtered by `active`, `currency`, `product`, `type`, `lookup_keys[]` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "active",
        "created",
        "currency",
        "ending_before",
        "expand",
        "limit",
        "lookup_keys",
        "product",
        "recurring",
        "starting_after",
        "type",
    ])?;
    let active = p.boolean("active")?;
    let currency = p.opt_text("currency")?;
    let product = p.opt_text("product")?;
    let lookup_keys = p.text_list("lookup_keys")?;
    let kind = p.opt_text("type")?;
    let recurring_only = kind == Some("recurring") || p.has("recurring");
    let one_time_only = kind == Some("one_time");
    let created = Created::from(p)?;
    let items = store
        .prices
        .newest_first()
        .filter(|x| (!recurring_only || x.recurring.is_some()) && (!one_time_only || x.recurring.is_none()))
        .filter(|x| active.is_none_or(|a| x.active == a) && currency.is_none_or(|c| x.currency == c))
        .filter(|x| product.is_none_or(|id| x.product == id) && created.admits(x.created))
        .filter(|x| {
            lookup_keys.is_empty() || x.lookup_key.as_deref().is_some_and(|k| lookup_keys.contains(&k))
        })
        .map(|x| store.price_json(x))
        .collect();
    list::page("/v1/prices", items, p)
}
