//! `/v1/customers`: create, retrieve, update, list (by email) and search.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::params::Params;
use crate::search_query::Query;
use crate::store::{NewCustomer, Store};
use serde_json::{json, Value};

/// Create parameters Stripe accepts; the emulator keeps email, name, phone, description, metadata,
/// `payment_method` and `invoice_settings[default_payment_method]`, and ignores the rest.
const CREATE_PARAMS: &[&str] = &[
    "address",
    "balance",
    "cash_balance",
    "coupon",
    "description",
    "email",
    "expand",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "payment_method",
    "phone",
    "preferred_locales",
    "promotion_code",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "tax_id_data",
    "test_clock",
    "validate",
];

const UPDATE_PARAMS: &[&str] = &[
    "address",
    "balance",
    "cash_balance",
    "coupon",
    "default_source",
    "description",
    "email",
    "expand",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "promotion_code",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "validate",
];

fn email(params: &Params<'_>) -> Result<Option<String>, ApiError> {
    match params.text("email")? {
        Some(email) if !email.is_empty() && !email.contains('@') => {
            Err(ApiError::bad_value("email", format!("Invalid email address: {email}")).code("email_invalid"))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// `POST /v1/customers` (event `customer.created`).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    let text = |key| p.opt_text(key).map(|t| t.map(str::to_owned));
    let new = NewCustomer {
        email: email(p)?.filter(|e| !e.is_empty()),
        name: text("name")?,
        phone: text("phone")?,
        description: text("description")?,
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        default_payment_method: None,
    };
    let default_method = match p.hash("invoice_settings")? {
        Some(settings) => settings.opt_text("default_payment_method")?,
        None => None,
    };
    let id = store.create_customer_with_methods(new, p.opt_text("payment_method")?, default_method)?;
    found(store.customers.get(&id), "customer", &id, |c| c.to_json())
}

/// `GET /v1/customers/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.customers.get(call.id), "customer", call.id, |c| c.to_json())
}

/// `POST /v1/customers/{id}`: `""` unsets a field (event `customer.updated` when something changed).
pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(UPDATE_PARAMS)?;
    let set = |key| -> Result<Option<Option<String>>, ApiError> {
        Ok(p.text(key)?.map(|t| (!t.is_empty()).then(|| t.to_owned())))
    };
    let (email_change, name, phone, description) =
        (email(p)?.map(|e| (!e.is_empty()).then_some(e)), set("name")?, set("phone")?, set("description")?);
    let metadata = p.metadata("metadata")?;
    let default_method = match p.hash("invoice_settings")? {
        Some(settings) => settings.text("default_payment_method")?,
        None => None,
    };
    if !store.customers.contains(call.id) {
        return Err(ApiError::no_such("customer", call.id, None));
    }
    let default_method = match default_method {
        None => None,
        Some("") => Some(None),
        Some(given) => Some(Some(store.customer_payment_method(
            given,
            call.id,
            "invoice_settings[default_payment_method]",
        )?)),
    };
    store
        .update_customer(call.id, |customer| {
            if let Some(method) = default_method {
                customer.default_payment_method = method;
            }
            if let Some(v) = email_change {
                customer.email = v;
            }
            if let Some(v) = name {
                customer.name = v;
            }
            if let Some(v) = phone {
                customer.phone = v;
            }
            if let Some(v) = description {
                customer.description = v;
            }
            if let Some(update) = metadata {
                update.apply(&mut customer.metadata);
            }
        })
        .ok_or_else(|| ApiError::no_such("customer", call.id, None))
}

/// `GET /v1/customers`, filtered by exact `email` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["created", "email", "ending_before", "expand", "limit", "starting_after", "test_clock"])?;
    let email = p.opt_text("email")?;
    let created = Created::from(p)?;
    let items = store
        .customers
        .newest_first()
        .filter(|c| email.is_none_or(|e| c.email.as_deref() == Some(e)) && created.admits(c.created))
        .map(|c| c.to_json())
        .collect();
    list::page("/v1/customers", items, p)
}

/// `GET /v1/customers/search?query=email:'…'`.
pub fn search(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["expand", "limit", "page", "query"])?;
    let query = Query::parse(p.required_text("query")?)?;
    let limit = usize::try_from(p.integer("limit")?.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
    let offset: usize = match p.opt_text("page")? {
        Some(page) => page.parse().map_err(|_| ApiError::bad_value("page", "Invalid page token."))?,
        None => 0,
    };
    let hits: Vec<Value> = store
        .customers
        .newest_first()
        .filter(|c| {
            query.matches(|field| match field {
                "email" => c.email.clone(),
                "name" => c.name.clone(),
                "phone" => c.phone.clone(),
                "description" => c.description.clone(),
                other => other
                    .strip_prefix("metadata[")
                    .and_then(|k| k.strip_suffix(']'))
                    .and_then(|k| c.metadata.get(k).cloned()),
            })
        })
        .map(|c| c.to_json())
        .collect();
    let has_more = hits.len() > offset + limit;
    let data: Vec<Value> = hits.into_iter().skip(offset).take(limit).collect();
    Ok(json!({
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": has_more.then(|| (offset + limit).to_string()),
        "url": "/v1/customers/search"
    }))
}
