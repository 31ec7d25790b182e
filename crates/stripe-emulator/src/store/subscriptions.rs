//! Creating, changing and canceling subscriptions, with the events Stripe sends for each.

use super::billing::{Attempt, TRIAL_WILL_END_NOTICE};
use super::invoices::Pending;
use super::Store;
use crate::cards;
use crate::error::ApiError;
use crate::ids;
use crate::metadata::{Metadata, MetadataUpdate};
use crate::model::invoice::{InvoiceLine, LineOrigin};
use crate::model::subscription::{Cancellation, Subscription, SubscriptionItem, SubscriptionStatus};
use serde_json::{Map, Value};

/// `payment_behavior` on create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaymentBehavior {
    /// Charge now; `incomplete` if the first invoice cannot be paid (Stripe's default).
    #[default]
    ChargeOrIncomplete,
    /// Start `incomplete` without charging: the first invoice waits for the customer.
    StartIncomplete,
    /// Refuse (402) if the first invoice cannot be paid; nothing is created.
    ChargeOrRefuse,
}

/// A validated request for a subscription.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    /// The customer's id (it exists).
    pub customer: String,
    /// Recurring prices (they exist, share a currency and an interval) and quantities.
    pub items: Vec<(String, i64)>,
    /// One-time prices and quantities billed on the first invoice (a checkout session's one-time lines).
    pub add_invoice_items: Vec<(String, i64)>,
    /// The payment method to charge (attached to the customer), else the customer's default.
    pub default_payment_method: Option<String>,
    /// The end of a free trial (in the future).
    pub trial_end: Option<i64>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// Free text.
    pub description: Option<String>,
    /// End at the end of the first period.
    pub cancel_at_period_end: bool,
    /// What to do if the first invoice cannot be paid.
    pub payment_behavior: PaymentBehavior,
    /// The customer is paying on the checkout page (the 0341 card pays then).
    pub on_session: bool,
}

/// A validated update (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    /// `cancel_at_period_end`.
    pub cancel_at_period_end: Option<bool>,
    /// `metadata`.
    pub metadata: Option<MetadataUpdate>,
    /// `default_payment_method` (resolved; `Some(None)` clears it).
    pub default_payment_method: Option<Option<String>>,
    /// `description`.
    pub description: Option<Option<String>>,
    /// `trial_end=now`: the trial ends and the first paid period starts at once.
    pub end_trial_now: bool,
    /// `cancellation_details[comment]`.
    pub comment: Option<String>,
    /// `cancellation_details[feedback]`.
    pub feedback: Option<String>,
}

/// The top-level fields of `before` that differ in `after`, with their old values.
pub(super) fn previous_attributes(before: &Value, after: &Value) -> Option<Value> {
    let changed: Map<String, Value> = before
        .as_object()?
        .iter()
        .filter(|(k, v)| after.get(k.as_str()) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!changed.is_empty()).then_some(Value::Object(changed))
}

impl Store {
    /// Subscription `id` in Stripe's shape (`Null` if there is none).
    pub fn subscription_json_by_id(&self, id: &str) -> Value {
        self.subscriptions.get(id).map(|s| self.subscription_json(s)).unwrap_or(Value::Null)
    }

    /// Runs `f` on subscription `id`, emits the events it collected, then `customer.subscription.updated`
    /// with the previous values of the fields that changed, if any did.
    pub(super) fn change_subscription<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Store, &mut Pending) -> T,
    ) -> T {
        let before = self.subscription_json_by_id(id);
        let mut pending = Pending::new();
        let out = f(self, &mut pending);
        self.emit_pending(pending);
        let after = self.subscription_json_by_id(id);
        if let Some(previous) = previous_attributes(&before, &after) {
            self.emit("customer.subscription.updated", after, Some(previous));
        }
        out
    }

    /// Creates a subscription with its first invoice, finalized and charged (unless a trial makes it free
    /// or `default_incomplete` leaves it to the customer). Events, in order: `customer.subscription.created`
    /// (as it ends up), `invoice.created`, `invoice.finalized`, the payment intent's and charge's,
    /// `invoice.paid` and `invoice.payment_succeeded` (or `invoice.payment_failed`), then
    /// `customer.subscription.trial_will_end` for a trial shorter than 3 days. Returns its id.
    ///
    /// Errors (nothing is created): no payment method while one is needed (400); `error_if_incomplete` with
    /// a card that will be declined (402).
    pub fn create_subscription(&mut self, new: NewSubscription) -> Result<String, ApiError> {
        let price =
            |id: &str| self.prices.get(id).cloned().ok_or_else(|| ApiError::no_such("price", id, None));
        let first = price(&new.items.first().ok_or_else(|| ApiError::missing("items"))?.0)?;
        let recurring =
            first.recurring.clone().ok_or_else(|| ApiError::invalid("A recurring price is required."))?;
        let recurring_total: i64 =
            new.items.iter().map(|(id, qty)| price(id).map(|p| p.unit_amount * qty)).sum::<Result<_, _>>()?;
        let one_time_total: i64 = new
            .add_invoice_items
            .iter()
            .map(|(id, qty)| price(id).map(|p| p.unit_amount * qty))
            .sum::<Result<_, _>>()?;
        let first_total = one_time_total + if new.trial_end.is_some() { 0 } else { recurring_total };
        let method = new
            .default_payment_method
            .clone()
            .or_else(|| self.customers.get(&new.customer).and_then(|c| c.default_payment_method.clone()));
        let charging = first_total > 0 && new.payment_behavior != PaymentBehavior::StartIncomplete;
        if charging && method.is_none() {
            return Err(ApiError::invalid(
                "This customer has no attached payment source or default payment method. Please consider adding \
                 a default payment method. For more information, visit \
                 https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.",
            ));
        }
        let will_fail = method
            .as_ref()
            .and_then(|m| self.payment_methods.get(m))
            .is_some_and(|m| m.later_charges_fail && !new.on_session);
        if charging && will_fail && new.payment_behavior == PaymentBehavior::ChargeOrRefuse {
            return Err(ApiError::card_declined(&cards::OFF_SESSION_DECLINE));
        }

        let now = self.now;
        let id = ids::new_id("sub_");
        let items: Vec<SubscriptionItem> = new
            .items
            .iter()
            .map(|(price, quantity)| SubscriptionItem {
                id: ids::new_id("si_"),
                created: now,
                price: price.clone(),
                quantity: *quantity,
            })
            .collect();
        let mut sub = Subscription {
            id: id.clone(),
            created: now,
            customer: new.customer.clone(),
            currency: first.currency.clone(),
            status: SubscriptionStatus::Incomplete,
            items,
            recurring,
            metadata: new.metadata,
            description: new.description,
            default_payment_method: new.default_payment_method,
            billing_cycle_anchor: new.trial_end.unwrap_or(now),
            cycle: if new.trial_end.is_some() { -1 } else { 0 },
            current_period_start: now,
            current_period_end: now,
            cancel_at_period_end: new.cancel_at_period_end,
            canceled_at: new.cancel_at_period_end.then_some(now),
            ended_at: None,
            cancellation: Cancellation {
                reason: new.cancel_at_period_end.then_some("cancellation_requested"),
                ..Cancellation::default()
            },
            trial_start: new.trial_end.map(|_| now),
            trial_end: new.trial_end,
            trial_will_end_sent: false,
            start_date: now,
            latest_invoice: None,
        };
        sub.current_period_end = sub.period_end(sub.cycle + 1);
        let (start, end) = (sub.current_period_start, sub.current_period_end);
        self.subscriptions.insert(sub);

        let mut pending = Pending::new();
        let mut lines = self.period_lines(&id, start, end, new.trial_end.is_some());
        lines.extend(self.one_time_lines(&new.add_invoice_items, now));
        let invoice = self.draft_invoice(&id, "subscription_create", lines, (now, now), &mut pending);
        self.finalize_invoice(&invoice, &mut pending);
        let outcome = if charging || first_total == 0 {
            self.attempt_invoice(&invoice, new.on_session, &mut pending)
        } else {
            self.invoice_payment_intent(&invoice, &mut pending);
            Attempt::NotAttempted
        };
        if let Some(sub) = self.subscriptions.get_mut(&id) {
            sub.status = match (outcome, new.trial_end) {
                (Attempt::Paid, Some(_)) => SubscriptionStatus::Trialing,
                (Attempt::Paid, None) => SubscriptionStatus::Active,
                _ => SubscriptionStatus::Incomplete,
            };
        }
        let json = self.subscription_json_by_id(&id);
        self.emit("customer.subscription.created", json, None);
        self.emit_pending(pending);
        if new.trial_end.is_some_and(|end| end - now <= TRIAL_WILL_END_NOTICE) && outcome == Attempt::Paid {
            self.send_trial_will_end(&id);
        }
        Ok(id)
    }

    /// Invoice lines for one-time prices on a first invoice (as invoice items).
    fn one_time_lines(&self, items: &[(String, i64)], now: i64) -> Vec<InvoiceLine> {
        items
            .iter()
            .filter_map(|(price, quantity)| {
                let price = self.prices.get(price)?;
                Some(InvoiceLine {
                    id: ids::new_id("il_"),
                    description: self
                        .products
                        .get(&price.product)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    price: price.id.clone(),
                    product: price.product.clone(),
                    unit_amount: price.unit_amount,
                    quantity: *quantity,
                    period_start: now,
                    period_end: now,
                    origin: LineOrigin::InvoiceItem(ids::new_id("ii_")),
                })
            })
            .collect()
    }

    /// Applies an update (`customer.subscription.updated` when something changed). `trial_end=now` ends a
    /// trial at once: `customer.subscription.trial_will_end` (if not sent yet), the first paid period's
    /// invoice and its payment, then the update.
    ///
    /// Errors: no such subscription (404); a canceled one can only change its metadata and cancellation
    /// details; an incomplete one cannot be scheduled to cancel; `trial_end=now` outside a trial (400).
    pub fn update_subscription(&mut self, id: &str, change: SubscriptionChange) -> Result<(), ApiError> {
        let sub = self.subscriptions.get(id).ok_or_else(|| ApiError::no_such("subscription", id, None))?;
        let touches_billing = change.cancel_at_period_end.is_some()
            || change.default_payment_method.is_some()
            || change.description.is_some()
            || change.end_trial_now;
        if sub.status.is_terminal() && touches_billing {
            return Err(ApiError::invalid(
                "A canceled subscription can only update its cancellation_details and metadata.",
            ));
        }
        if sub.status == SubscriptionStatus::Incomplete
            && (change.cancel_at_period_end.is_some() || change.end_trial_now)
        {
            return Err(ApiError::invalid(
                "This subscription is `incomplete`: until its first invoice is paid, only its metadata and \
                 default payment method can be updated.",
            ));
        }
        if change.end_trial_now && sub.status != SubscriptionStatus::Trialing {
            return Err(ApiError::bad_value("trial_end", "This subscription is not in a trial."));
        }
        if change.end_trial_now {
            self.send_trial_will_end(id);
        }
        let now = self.now;
        let outcome = self.change_subscription(id, |store, pending| {
            let sub = store.subscriptions.get_mut(id).expect("found above");
            if let Some(update) = change.metadata {
                update.apply(&mut sub.metadata);
            }
            if let Some(method) = change.default_payment_method {
                sub.default_payment_method = method;
            }
            if let Some(description) = change.description {
                sub.description = description;
            }
            if change.comment.is_some() {
                sub.cancellation.comment = change.comment;
            }
            if change.feedback.is_some() {
                sub.cancellation.feedback = change.feedback;
            }
            if let Some(cancel) = change.cancel_at_period_end {
                if cancel != sub.cancel_at_period_end {
                    sub.cancel_at_period_end = cancel;
                    sub.canceled_at = cancel.then_some(now);
                    sub.cancellation.reason = cancel.then_some("cancellation_requested");
                }
            }
            if !change.end_trial_now {
                return Attempt::NotAttempted;
            }
            sub.trial_end = Some(now);
            sub.billing_cycle_anchor = now;
            sub.cycle = -1;
            sub.current_period_end = now;
            store.start_period(id, "subscription_update", pending)
        });
        if outcome == Attempt::Exhausted {
            self.exhaust_retries(id);
        }
        Ok(())
    }

    /// `DELETE /v1/subscriptions/{id}`: cancels at once (`customer.subscription.deleted`).
    ///
    /// Errors: no such subscription (404); already canceled (400).
    pub fn cancel_subscription(
        &mut self,
        id: &str,
        comment: Option<String>,
        feedback: Option<String>,
    ) -> Result<(), ApiError> {
        let sub =
            self.subscriptions.get_mut(id).ok_or_else(|| ApiError::no_such("subscription", id, None))?;
        if sub.status.is_terminal() {
            return Err(ApiError::invalid(
                "A canceled subscription can only update its cancellation_details and metadata.",
            ));
        }
        if comment.is_some() {
            sub.cancellation.comment = comment;
        }
        if feedback.is_some() {
            sub.cancellation.feedback = feedback;
        }
        self.end_subscription(id, Some("cancellation_requested"));
        Ok(())
    }

    /// Ends a subscription now: `canceled`, `ended_at` now, automatic collection of its invoices stopped (an
    /// `incomplete` one's first invoice voided), then `customer.subscription.deleted`. `reason` is given for
    /// a cancellation decided now; a scheduled one keeps the reason and time of its request.
    pub(super) fn end_subscription(&mut self, id: &str, reason: Option<&'static str>) {
        let now = self.now;
        let Some(sub) = self.subscriptions.get_mut(id) else { return };
        let incomplete = sub.status == SubscriptionStatus::Incomplete;
        sub.status = SubscriptionStatus::Canceled;
        sub.ended_at = Some(now);
        if let Some(reason) = reason {
            sub.canceled_at = Some(now);
            sub.cancellation.reason = Some(reason);
        }
        sub.canceled_at = sub.canceled_at.or(Some(now));
        sub.cancellation.reason = sub.cancellation.reason.or(Some("cancellation_requested"));
        let mut pending = Pending::new();
        if incomplete {
            self.void_open_invoices(id, &mut pending);
        }
        self.stop_collection(id);
        self.emit_pending(pending);
        let json = self.subscription_json_by_id(id);
        self.emit("customer.subscription.deleted", json, None);
    }
}
