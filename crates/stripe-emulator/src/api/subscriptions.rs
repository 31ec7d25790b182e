//! `/v1/subscriptions`: create, retrieve, list, update (`cancel_at_period_end`, `metadata`,
//! `default_payment_method`, `description`, `trial_end=now`, `cancellation_details`), cancel.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::model::subscription::SubscriptionStatus;
use crate::params::Params;
use crate::store::{NewSubscription, PaymentBehavior, Store, SubscriptionChange};
use serde_json::Value;

const CREATE_PARAMS: &[&str] = &[
    "add_invoice_items",
    "application_fee_percent",
    "automatic_tax",
    "backdate_start_date",
    "billing_cycle_anchor",
    "billing_cycle_anchor_config",
    "billing_mode",
    "billing_thresholds",
    "cancel_at",
    "cancel_at_period_end",
    "collection_method",
    "currency",
    "customer",
    "days_until_due",
    "default_payment_method",
    "default_source",
    "default_tax_rates",
    "description",
    "discounts",
    "expand",
    "invoice_settings",
    "items",
    "metadata",
    "off_session",
    "on_behalf_of",
    "payment_behavior",
    "payment_settings",
    "pending_invoice_item_interval",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_from_plan",
    "trial_period_days",
    "trial_settings",
];

/// Create and update parameters that would change billing in ways the emulator does not model.
const UNSUPPORTED: &[&str] = &[
    "application_fee_percent",
    "backdate_start_date",
    "billing_cycle_anchor",
    "billing_cycle_anchor_config",
    "billing_thresholds",
    "cancel_at",
    "days_until_due",
    "default_source",
    "discounts",
    "pause_collection",
    "pending_invoice_item_interval",
    "transfer_data",
];

const UPDATE_PARAMS: &[&str] = &[
    "add_invoice_items",
    "application_fee_percent",
    "automatic_tax",
    "billing_cycle_anchor",
    "billing_thresholds",
    "cancel_at",
    "cancel_at_period_end",
    "cancellation_details",
    "collection_method",
    "days_until_due",
    "default_payment_method",
    "default_source",
    "default_tax_rates",
    "description",
    "discounts",
    "expand",
    "invoice_settings",
    "items",
    "metadata",
    "off_session",
    "on_behalf_of",
    "pause_collection",
    "payment_behavior",
    "payment_settings",
    "pending_invoice_item_interval",
    "proration_behavior",
    "proration_date",
    "transfer_data",
    "trial_end",
    "trial_from_plan",
    "trial_settings",
];

fn refuse_unsupported(p: &Params<'_>, extra: &[&str]) -> Result<(), ApiError> {
    for key in UNSUPPORTED.iter().chain(extra) {
        if p.has(key) {
            return Err(ApiError::bad_value(
                key,
                format!("The emulator does not support `{key}` on subscriptions."),
            ));
        }
    }
    if p.opt_text("collection_method")?.is_some_and(|m| m != "charge_automatically") {
        return Err(ApiError::bad_value(
            "collection_method",
            "The emulator supports collection_method=charge_automatically only.",
        ));
    }
    Ok(())
}

/// `(price, quantity)` pairs of `items[]` or `add_invoice_items[]`, each an existing active price, recurring
/// or one-time as `recurring` says.
fn price_list(
    store: &Store,
    p: &Params<'_>,
    key: &str,
    recurring: bool,
) -> Result<Vec<(String, i64)>, ApiError> {
    let mut out = Vec::new();
    for item in p.list(key)? {
        item.allow_only(&["discounts", "metadata", "price", "price_data", "quantity", "tax_rates"])?;
        if item.has("price_data") {
            return Err(ApiError::bad_value(
                &item.name("price_data"),
                "The emulator supports existing prices only: create one with POST /v1/prices.",
            ));
        }
        let id = item.required_text("price")?;
        let param = item.name("price");
        let price = store.prices.get(id).ok_or_else(|| ApiError::no_such("price", id, Some(&param)))?;
        if !price.active {
            return Err(ApiError::bad_value(
                &param,
                "The price specified is inactive. This field only accepts active prices.",
            ));
        }
        match (recurring, price.recurring.is_some()) {
            (true, false) => {
                return Err(ApiError::bad_value(
                    &param,
                    "The price specified is set to `type=one_time` but this field only accepts prices with \
                     `type=recurring`.",
                ))
            }
            (false, true) => {
                return Err(ApiError::bad_value(
                    &param,
                    "The price specified is set to `type=recurring` but this field only accepts prices with \
                     `type=one_time`.",
                ))
            }
            _ => {}
        }
        let quantity = item.integer("quantity")?.unwrap_or(1);
        if quantity < 1 {
            return Err(ApiError::bad_value(&item.name("quantity"), "Quantity must be at least 1."));
        }
        out.push((id.to_owned(), quantity));
    }
    Ok(out)
}

/// `trial_end` (`now` or a future timestamp) or `trial_period_days`, as the end of the trial.
fn trial_end(p: &Params<'_>, now: i64) -> Result<Option<i64>, ApiError> {
    match (p.opt_text("trial_end")?, p.integer("trial_period_days")?) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
        )
        .param("trial_end")),
        (Some("now"), None) | (None, Some(0)) | (None, None) => Ok(None),
        (Some(_), None) => match p.integer("trial_end")? {
            Some(at) if at > now => Ok(Some(at)),
            _ => Err(ApiError::bad_value(
                "trial_end",
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
            )),
        },
        (None, Some(days @ 1..=730)) => Ok(Some(now + days * 86_400)),
        (None, Some(_)) => {
            Err(ApiError::bad_value("trial_period_days", "trial_period_days must be between 0 and 730."))
        }
    }
}

/// `POST /v1/subscriptions`.
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    refuse_unsupported(p, &[])?;
    let customer = p.required_text("customer")?;
    if !store.customers.contains(customer) {
        return Err(ApiError::no_such("customer", customer, Some("customer")));
    }
    let items = price_list(store, p, "items", true)?;
    if items.is_empty() {
        return Err(ApiError::missing("items"));
    }
    let add_invoice_items = price_list(store, p, "add_invoice_items", false)?;
    let prices: Vec<_> =
        items.iter().chain(&add_invoice_items).filter_map(|(id, _)| store.prices.get(id)).collect();
    let first = prices[0];
    if prices.iter().any(|price| price.currency != first.currency)
        || p.opt_text("currency")?.is_some_and(|c| !c.eq_ignore_ascii_case(&first.currency))
    {
        return Err(ApiError::bad_value("items", "Currency must match across all items of a subscription."));
    }
    if prices.iter().any(|price| price.recurring.is_some() && price.recurring != first.recurring) {
        return Err(ApiError::bad_value(
            "items",
            "Currency and interval fields must match across all plans on this subscription.",
        ));
    }
    let payment_behavior = match p.opt_text("payment_behavior")? {
        None | Some("allow_incomplete") => PaymentBehavior::ChargeOrIncomplete,
        Some("default_incomplete") => PaymentBehavior::StartIncomplete,
        Some("error_if_incomplete") => PaymentBehavior::ChargeOrRefuse,
        Some(other) => {
            return Err(ApiError::bad_value(
                "payment_behavior",
                format!("Invalid payment_behavior: {other} (allow_incomplete, default_incomplete or error_if_incomplete on create)"),
            ))
        }
    };
    let trial_end = trial_end(p, store.now)?;
    let new = NewSubscription {
        customer: customer.to_owned(),
        items,
        add_invoice_items,
        default_payment_method: None,
        trial_end,
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        description: p.opt_text("description")?.map(str::to_owned),
        cancel_at_period_end: p.boolean("cancel_at_period_end")?.unwrap_or(false),
        payment_behavior,
        on_session: false,
    };
    let default_payment_method = match p.opt_text("default_payment_method")? {
        Some(given) => Some(store.customer_payment_method(given, customer, "default_payment_method")?),
        None => None,
    };
    let id = store.create_subscription(NewSubscription { default_payment_method, ..new })?;
    Ok(store.subscription_json_by_id(&id))
}

/// `GET /v1/subscriptions/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.subscriptions.get(call.id), "subscription", call.id, |s| store.subscription_json(s))
}

/// `GET /v1/subscriptions`, filtered by `customer`, `price`, `status` (a status, `all` or `ended`; by default
/// every subscription but canceled ones, as on Stripe) and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "automatic_tax",
        "collection_method",
        "created",
        "current_period_end",
        "current_period_start",
        "customer",
        "customer_account",
        "ending_before",
        "expand",
        "limit",
        "price",
        "starting_after",
        "status",
        "test_clock",
    ])?;
    let customer = p.opt_text("customer")?;
    let price = p.opt_text("price")?;
    let status = p.opt_text("status")?;
    const STATUSES: &[&str] = &[
        "active",
        "all",
        "canceled",
        "ended",
        "incomplete",
        "incomplete_expired",
        "past_due",
        "paused",
        "trialing",
        "unpaid",
    ];
    if let Some(other) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::bad_value(
            "status",
            format!("Invalid status: must be one of {} (not {other})", STATUSES.join(", ")),
        ));
    }
    let admits_status = |s: SubscriptionStatus| match status {
        None => s != SubscriptionStatus::Canceled,
        Some("all") => true,
        Some("ended") => s.is_terminal(),
        Some(wanted) => s.as_str() == wanted,
    };
    let created = Created::from(p)?;
    let items = store
        .subscriptions
        .newest_first()
        .filter(|s| customer.is_none_or(|c| s.customer == c) && admits_status(s.status))
        .filter(|s| price.is_none_or(|id| s.items.iter().any(|i| i.price == id)) && created.admits(s.created))
        .map(|s| store.subscription_json(s))
        .collect();
    list::page("/v1/subscriptions", items, p)
}

/// `POST /v1/subscriptions/{id}`.
pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(UPDATE_PARAMS)?;
    refuse_unsupported(p, &["add_invoice_items", "items", "trial_from_plan"])?;
    let sub =
        store.subscriptions.get(call.id).ok_or_else(|| ApiError::no_such("subscription", call.id, None))?;
    let (customer, terminal) = (sub.customer.clone(), sub.status.is_terminal());
    let end_trial_now = match p.opt_text("trial_end")? {
        None => false,
        Some("now") => true,
        Some(_) => {
            return Err(ApiError::bad_value(
                "trial_end",
                "The emulator supports trial_end=now only on updates.",
            ))
        }
    };
    let details = p.hash("cancellation_details")?;
    if let Some(details) = &details {
        details.allow_only(&["comment", "feedback"])?;
    }
    let detail = |key: &str| -> Result<Option<String>, ApiError> {
        Ok(match &details {
            Some(d) => d.opt_text(key)?.map(str::to_owned),
            None => None,
        })
    };
    let default_payment_method = match p.text("default_payment_method")? {
        None => None,
        Some("") => Some(None),
        Some(_) if terminal => {
            return Err(ApiError::invalid(
                "A canceled subscription can only update its cancellation_details and metadata.",
            ))
        }
        Some(given) => {
            Some(Some(store.customer_payment_method(given, &customer, "default_payment_method")?))
        }
    };
    let change = SubscriptionChange {
        cancel_at_period_end: p.boolean("cancel_at_period_end")?,
        metadata: p.metadata("metadata")?,
        default_payment_method,
        description: p.text("description")?.map(|d| (!d.is_empty()).then(|| d.to_owned())),
        end_trial_now,
        comment: detail("comment")?,
        feedback: detail("feedback")?,
    };
    store.update_subscription(call.id, change)?;
    Ok(store.subscription_json_by_id(call.id))
}

/// `DELETE /v1/subscriptions/{id}`: cancels at once (`invoice_now` and `prorate` change nothing: there is no
/// usage or proration to bill).
pub fn cancel(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&["cancellation_details", "expand", "invoice_now", "prorate"])?;
    let (comment, feedback) = match p.hash("cancellation_details")? {
        Some(d) => {
            d.allow_only(&["comment", "feedback"])?;
            (d.opt_text("comment")?.map(str::to_owned), d.opt_text("feedback")?.map(str::to_owned))
        }
        None => (None, None),
    };
    store.cancel_subscription(call.id, comment, feedback)?;
    Ok(store.subscription_json_by_id(call.id))
}
