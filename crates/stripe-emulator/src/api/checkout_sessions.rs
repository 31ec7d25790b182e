//! `/v1/checkout/sessions`: create (payment or subscription mode), retrieve, list, list line items, expire.

use super::checkout_subscription::{check_mode_parameters, subscription_data};
use super::list::{self, Created};
use super::prices::{recurring, tax_behavior, unit_amount};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::checkout_session::{PaymentIntentData, SessionMode, SessionStatus};
use crate::money;
use crate::params::Params;
use crate::store::{NewLineItem, NewSession, PriceRef, ProductRef, Store};
use serde_json::Value;

/// Create parameters Stripe accepts (2023-08-16 and later); unsupported ones that change the flow are
/// refused below, the others are ignored.
const CREATE_PARAMS: &[&str] = &[
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "expand",
    "expires_at",
    "integration_identifier",
    "invoice_creation",
    "line_items",
    "locale",
    "managed_payments",
    "metadata",
    "mode",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
];

const PAYMENT_INTENT_DATA_PARAMS: &[&str] = &[
    "application_fee_amount",
    "capture_method",
    "description",
    "metadata",
    "on_behalf_of",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_data",
    "transfer_group",
];

/// Payment method types the hosted page can take: cards, and a delayed bank debit.
const SUPPORTED_METHODS: &[&str] = &["card", "us_bank_account", "sepa_debit"];

const MIN_LIFETIME: i64 = 30 * 60;
const MAX_LIFETIME: i64 = 24 * 3600;

fn refuse_unless(p: &Params<'_>, key: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match p.opt_text(key)? {
        Some(value) if !allowed.contains(&value) => Err(ApiError::bad_value(
            key,
            format!("The emulator supports {key} = {} only.", allowed.join(" or ")),
        )),
        _ => Ok(()),
    }
}

fn url(p: &Params<'_>, key: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = p.opt_text(key)? else { return Ok(None) };
    match url::Url::parse(text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(Some(text.to_owned())),
        _ => Err(ApiError::bad_value(key, "Not a valid URL").code("url_invalid")),
    }
}

fn product_ref(price_data: &Params<'_>) -> Result<ProductRef, ApiError> {
    match (price_data.opt_text("product")?, price_data.hash("product_data")?) {
        (Some(id), None) => Ok(ProductRef::Existing(id.to_owned())),
        (None, Some(data)) => Ok(ProductRef::Inline {
            name: data.required_text("name")?.to_owned(),
            description: data.opt_text("description")?.map(str::to_owned),
            images: data.text_list("images")?.into_iter().map(str::to_owned).collect(),
            metadata: data.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        }),
        _ => Err(ApiError::invalid(format!(
            "You must specify exactly one of {} or {}.",
            price_data.name("product"),
            price_data.name("product_data")
        ))
        .param(price_data.name("product_data"))),
    }
}

fn line_item(item: &Params<'_>, index: usize) -> Result<NewLineItem, ApiError> {
    let param = format!("line_items[{index}]");
    let price = match (item.opt_text("price")?, item.hash("price_data")?) {
        (Some(id), None) => PriceRef::Existing(id.to_owned()),
        (None, Some(data)) => PriceRef::Inline {
            recurring: recurring(&data)?,
            currency: money::parse_currency(data.required_text("currency")?, &data.name("currency"))?,
            unit_amount: unit_amount(&data)?,
            product: product_ref(&data)?,
            tax_behavior: tax_behavior(data.opt_text("tax_behavior")?, &data.name("tax_behavior"))?,
        },
        _ => {
            return Err(ApiError::invalid(format!(
                "You must specify either `price` or `price_data` for each line item ({param})."
            ))
            .param(param))
        }
    };
    let quantity = item.integer("quantity")?.ok_or_else(|| {
        ApiError::invalid(format!("Quantity is required. Add `quantity` to `{param}`."))
            .param(format!("{param}[quantity]"))
            .code("parameter_missing")
    })?;
    if quantity < 1 {
        return Err(ApiError::bad_value(&format!("{param}[quantity]"), "Quantity must be at least 1."));
    }
    Ok(NewLineItem { price, quantity, param })
}

fn payment_intent_data(p: &Params<'_>) -> Result<PaymentIntentData, ApiError> {
    let Some(data) = p.hash("payment_intent_data")? else { return Ok(PaymentIntentData::default()) };
    data.allow_only(PAYMENT_INTENT_DATA_PARAMS)?;
    refuse_unless(&data, "capture_method", &["automatic", "automatic_async"])?;
    Ok(PaymentIntentData {
        metadata: data.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        description: data.opt_text("description")?.map(str::to_owned),
        receipt_email: data.opt_text("receipt_email")?.map(str::to_owned),
    })
}

fn expires_at(p: &Params<'_>, now: i64) -> Result<Option<i64>, ApiError> {
    let Some(at) = p.integer("expires_at")? else { return Ok(None) };
    if at < now + MIN_LIFETIME {
        return Err(ApiError::bad_value(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
        ));
    }
    if at > now + MAX_LIFETIME {
        return Err(ApiError::bad_value(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        ));
    }
    Ok(Some(at))
}

/// `POST /v1/checkout/sessions` (no event, as on Stripe).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    refuse_unless(p, "mode", &["payment", "subscription"])?;
    let mode = match p.opt_text("mode")? {
        Some("subscription") => SessionMode::Subscription,
        _ => SessionMode::Payment,
    };
    check_mode_parameters(p, mode == SessionMode::Subscription)?;
    refuse_unless(p, "ui_mode", &["hosted", "hosted_page"])?;
    refuse_unless(p, "customer_creation", &["always", "if_required"])?;
    let line_items = p
        .list("line_items")?
        .iter()
        .enumerate()
        .map(|(i, item)| line_item(item, i))
        .collect::<Result<Vec<_>, _>>()?;
    if line_items.is_empty() {
        return Err(ApiError::missing("line_items"));
    }
    let customer = p.opt_text("customer")?.map(str::to_owned);
    let customer_email = p.opt_text("customer_email")?.map(str::to_owned);
    if customer.is_some() && customer_email.is_some() {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: customer, customer_email.",
        )
        .param("customer_email"));
    }
    if customer_email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(ApiError::bad_value("customer_email", "Invalid email address").code("email_invalid"));
    }
    let client_reference_id = p.opt_text("client_reference_id")?.map(str::to_owned);
    if client_reference_id.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(ApiError::bad_value(
            "client_reference_id",
            "client_reference_id must be at most 200 characters.",
        ));
    }
    let payment_method_types: Vec<String> =
        p.text_list("payment_method_types")?.into_iter().map(str::to_owned).collect();
    if let Some(other) = payment_method_types.iter().find(|t| !SUPPORTED_METHODS.contains(&t.as_str())) {
        return Err(ApiError::bad_value(
            "payment_method_types",
            format!(
                "The emulator supports payment_method_types {} only, not {other}.",
                SUPPORTED_METHODS.join(", ")
            ),
        ));
    }
    let new = NewSession {
        mode,
        subscription_data: subscription_data(p)?,
        line_items,
        customer,
        customer_email,
        always_create_customer: p.opt_text("customer_creation")? == Some("always"),
        success_url: url(p, "success_url")?.ok_or_else(|| ApiError::missing("success_url"))?,
        cancel_url: url(p, "cancel_url")?,
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        client_reference_id,
        payment_intent_data: payment_intent_data(p)?,
        expires_at: expires_at(p, store.now)?,
        payment_method_types,
        locale: p.opt_text("locale")?.map(str::to_owned),
        submit_type: p.opt_text("submit_type")?.map(str::to_owned),
    };
    let id = store.create_session(new)?;
    found(store.sessions.get(&id), "checkout.session", &id, |s| store.session_json(s))
}

/// `GET /v1/checkout/sessions/{id}` (`expand[]=payment_intent`, `expand[]=line_items`…).
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.sessions.get(call.id), "checkout.session", call.id, |s| store.session_json(s))
}

/// `GET /v1/checkout/sessions`, filtered by `customer`, `payment_intent`, `subscription`, `status`,
/// `customer_details[email]` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "created",
        "customer",
        "customer_details",
        "ending_before",
        "expand",
        "limit",
        "payment_intent",
        "payment_link",
        "starting_after",
        "status",
        "subscription",
    ])?;
    let customer = p.opt_text("customer")?;
    let payment_intent = p.opt_text("payment_intent")?;
    let subscription = p.opt_text("subscription")?;
    let status = p.opt_text("status")?;
    let details = p.hash("customer_details")?;
    let email = match &details {
        Some(d) => d.opt_text("email")?,
        None => None,
    };
    let created = Created::from(p)?;
    let items = store
        .sessions
        .newest_first()
        .filter(|s| customer.is_none_or(|c| s.customer.as_deref() == Some(c)))
        .filter(|s| payment_intent.is_none_or(|pi| s.payment_intent.as_deref() == Some(pi)))
        .filter(|s| subscription.is_none_or(|sub| s.subscription.as_deref() == Some(sub)))
        .filter(|s| status.is_none_or(|st| s.status.as_str() == st) && created.admits(s.created))
        .filter(|s| email.is_none_or(|e| s.details_email.as_deref() == Some(e)))
        .map(|s| store.session_json(s))
        .collect();
    list::page("/v1/checkout/sessions", items, p)
}

/// `GET /v1/checkout/sessions/{id}/line_items`.
pub fn line_items(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let session =
        store.sessions.get(call.id).ok_or_else(|| ApiError::no_such("checkout.session", call.id, None))?;
    let items = store.line_items_json(session);
    list::page(&format!("/v1/checkout/sessions/{}/line_items", call.id), items, &call.params)
}

/// `POST /v1/checkout/sessions/{id}/expire`: only while open (events `checkout.session.expired`, and
/// `payment_intent.canceled` if a payment intent was waiting).
pub fn expire(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    store.expire_session(call.id)?;
    let session = store.sessions.get(call.id).filter(|s| s.status == SessionStatus::Expired);
    found(session, "checkout.session", call.id, |s| store.session_json(s))
}
