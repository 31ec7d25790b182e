//! Subscription invoices: drafting one for a period, finalizing it, and each payment attempt with its
//! payment intent, charge and events.

use super::billing::Attempt;
use super::Store;
use crate::cards;
use crate::ids;
use crate::model::charge::{ChargeFailure, ChargeStatus};
use crate::model::invoice::{Invoice, InvoiceLine, InvoiceStatus, LineOrigin};
use crate::model::payment_intent::{PaymentError, PaymentIntent, PaymentIntentStatus};
use crate::model::subscription::{describe_interval, SubscriptionStatus};
use crate::money::format_amount;
use serde_json::Value;

/// Events collected by an operation, emitted in the order Stripe sends them once it is done.
pub type Pending = Vec<(&'static str, Value, Option<Value>)>;

impl Store {
    /// Emits collected events, in order.
    pub(super) fn emit_pending(&mut self, pending: Pending) {
        for (event_type, object, previous) in pending {
            self.emit(event_type, object, previous);
        }
    }

    /// The lines billing subscription `id`'s items for a period (at no charge during a trial).
    pub(super) fn period_lines(&self, id: &str, start: i64, end: i64, trial: bool) -> Vec<InvoiceLine> {
        let Some(sub) = self.subscriptions.get(id) else { return Vec::new() };
        sub.items
            .iter()
            .filter_map(|item| {
                let price = self.prices.get(&item.price)?;
                let name = self.products.get(&price.product).map(|p| p.name.clone()).unwrap_or_default();
                let description = if trial {
                    format!("Trial period for {name}")
                } else {
                    let every = describe_interval(&sub.recurring);
                    let every = every.strip_prefix("every ").unwrap_or(&every);
                    let at = format_amount(price.unit_amount, &price.currency);
                    format!("{} × {name} (at {at} / {every})", item.quantity)
                };
                Some(InvoiceLine {
                    id: ids::new_id("il_"),
                    description,
                    price: price.id.clone(),
                    product: price.product.clone(),
                    unit_amount: if trial { 0 } else { price.unit_amount },
                    quantity: item.quantity,
                    period_start: start,
                    period_end: end,
                    origin: LineOrigin::SubscriptionItem(item.id.clone()),
                })
            })
            .collect()
    }

    /// A draft invoice for subscription `id` (`invoice.created` collected); returns its id.
    pub(super) fn draft_invoice(
        &mut self,
        id: &str,
        billing_reason: &'static str,
        lines: Vec<InvoiceLine>,
        period: (i64, i64),
        pending: &mut Pending,
    ) -> String {
        let sub = self.subscriptions.get(id).expect("the caller found it");
        let customer = self.customers.get(&sub.customer);
        let invoice = Invoice {
            id: ids::new_id("in_"),
            created: self.now,
            customer: sub.customer.clone(),
            customer_email: customer.and_then(|c| c.email.clone()),
            customer_name: customer.and_then(|c| c.name.clone()),
            currency: sub.currency.clone(),
            subscription: Some(id.to_owned()),
            subscription_metadata: sub.metadata.clone(),
            billing_reason,
            status: InvoiceStatus::Draft,
            lines,
            amount_paid: 0,
            attempt_count: 0,
            next_payment_attempt: None,
            auto_advance: true,
            period_start: period.0,
            period_end: period.1,
            number: None,
            finalized_at: None,
            paid_at: None,
            voided_at: None,
            payment_intent: None,
            payment_record: None,
        };
        let invoice_id = invoice.id.clone();
        pending.push(("invoice.created", invoice.to_json(), None));
        self.invoices.insert(invoice);
        if let Some(sub) = self.subscriptions.get_mut(id) {
            sub.latest_invoice = Some(invoice_id.clone());
        }
        invoice_id
    }

    /// Finalizes a draft (`open`, numbered; `invoice.finalized` collected).
    pub(super) fn finalize_invoice(&mut self, id: &str, pending: &mut Pending) {
        let Some(invoice) = self.invoices.get(id) else { return };
        let number = self.customers.get_mut(&invoice.customer).map(|customer| {
            let number = format!("{}-{:04}", customer.invoice_prefix, customer.next_invoice_sequence);
            customer.next_invoice_sequence += 1;
            number
        });
        let invoice = self.invoices.get_mut(id).expect("found above");
        invoice.status = InvoiceStatus::Open;
        invoice.number = number;
        invoice.finalized_at = Some(self.now);
        pending.push(("invoice.finalized", invoice.to_json(), None));
    }

    /// The payment method an invoice of subscription `id` is charged to: the subscription's default, else
    /// the customer's `invoice_settings.default_payment_method`.
    pub(super) fn billing_method(&self, subscription: &str) -> Option<String> {
        let sub = self.subscriptions.get(subscription)?;
        sub.default_payment_method
            .clone()
            .or_else(|| self.customers.get(&sub.customer).and_then(|c| c.default_payment_method.clone()))
    }

    /// The invoice's payment intent, made on its first attempt (`payment_intent.created` collected).
    pub(super) fn invoice_payment_intent(&mut self, id: &str, pending: &mut Pending) -> String {
        let invoice = self.invoices.get(id).expect("the caller found it");
        if let Some(pi) = &invoice.payment_intent {
            return pi.clone();
        }
        let pi_id = ids::new_id("pi_");
        let description = if invoice.billing_reason == "subscription_create" {
            "Subscription creation"
        } else {
            "Subscription update"
        };
        let pi = PaymentIntent {
            client_secret: format!("{pi_id}_secret_{}", ids::random_token(25)),
            id: pi_id.clone(),
            created: self.now,
            amount: invoice.total(),
            currency: invoice.currency.clone(),
            status: PaymentIntentStatus::RequiresPaymentMethod,
            metadata: Default::default(),
            description: Some(description.to_owned()),
            customer: Some(invoice.customer.clone()),
            latest_charge: None,
            last_payment_error: None,
            payment_method: None,
            payment_method_types: vec!["card".to_owned()],
            canceled_at: None,
            three_d_secure_url: None,
            return_url: None,
            use_stripe_sdk: false,
            cancellation_reason: None,
            automatic_payment_methods: None,
            receipt_email: None,
        };
        pending.push(("payment_intent.created", pi.to_json(), None));
        self.payment_intents.insert(pi);
        let invoice = self.invoices.get_mut(id).expect("found above");
        invoice.payment_intent = Some(pi_id.clone());
        invoice.payment_record = Some(ids::new_id("inpay_"));
        pi_id
    }

    /// One payment attempt of an open invoice with its subscription's payment method. `on_session`: the
    /// customer is paying on the checkout page (the 0341 card goes through then). Events collected: the
    /// payment intent's and charge's, then `invoice.paid` and `invoice.payment_succeeded`, or
    /// `invoice.payment_failed` with `attempt_count` and `next_payment_attempt`.
    pub(super) fn attempt_invoice(&mut self, id: &str, on_session: bool, pending: &mut Pending) -> Attempt {
        let Some(invoice) = self.invoices.get(id) else { return Attempt::NotAttempted };
        if invoice.status != InvoiceStatus::Open {
            return Attempt::NotAttempted;
        }
        let subscription = invoice.subscription.clone().unwrap_or_default();
        if invoice.total() == 0 {
            let invoice = self.invoices.get_mut(id).expect("found above");
            invoice.status = InvoiceStatus::Paid;
            invoice.paid_at = Some(self.now);
            invoice.next_payment_attempt = None;
            let json = invoice.to_json();
            pending.push(("invoice.paid", json.clone(), None));
            pending.push(("invoice.payment_succeeded", json, None));
            return Attempt::Paid;
        }
        let method = self.billing_method(&subscription).and_then(|pm| self.payment_methods.get(&pm).cloned());
        let pi_id = self.invoice_payment_intent(id, pending);
        let succeeds = method.as_ref().is_some_and(|m| on_session || !m.later_charges_fail);
        if let Some(saved) = &method {
            let email = saved.email.clone().unwrap_or_default();
            let status = if succeeds { ChargeStatus::Succeeded } else { ChargeStatus::Failed };
            let charge_id = self.new_charge(&pi_id, saved.method.clone(), Some(&email), status);
            let decline = cards::OFF_SESSION_DECLINE;
            let charge = self.charges.get_mut(&charge_id).expect("just made");
            if !succeeds {
                charge.failure = Some(ChargeFailure {
                    code: decline.code.to_owned(),
                    message: decline.message.to_owned(),
                    reason: Some(decline.decline_code.to_owned()),
                });
            }
            let charge_json = charge.to_json();
            let pi = self.payment_intents.get_mut(&pi_id).expect("made above");
            pi.latest_charge = Some(charge_id.clone());
            if succeeds {
                pi.status = PaymentIntentStatus::Succeeded;
                pi.payment_method = Some(saved.method.clone());
                pi.last_payment_error = None;
                pending.push(("payment_intent.succeeded", pi.to_json(), None));
                pending.push(("charge.succeeded", charge_json, None));
            } else {
                pi.status = PaymentIntentStatus::RequiresPaymentMethod;
                pi.payment_method = None;
                pi.last_payment_error = Some(PaymentError {
                    kind: "card_error",
                    code: decline.code.to_owned(),
                    decline_code: Some(decline.decline_code.to_owned()),
                    message: decline.message.to_owned(),
                    charge: Some(charge_id),
                    payment_method_type: "card",
                });
                pending.push(("charge.failed", charge_json, None));
                pending.push(("payment_intent.payment_failed", pi.to_json(), None));
            }
        }
        let first_unpaid =
            self.subscriptions.get(&subscription).is_some_and(|s| s.status == SubscriptionStatus::Incomplete);
        let now = self.now;
        let delays = self.billing.retry_delays.clone();
        let invoice = self.invoices.get_mut(id).expect("found above");
        invoice.attempt_count += 1;
        if succeeds {
            invoice.status = InvoiceStatus::Paid;
            invoice.amount_paid = invoice.total();
            invoice.paid_at = Some(now);
            invoice.next_payment_attempt = None;
            let json = invoice.to_json();
            pending.push(("invoice.paid", json.clone(), None));
            pending.push(("invoice.payment_succeeded", json, None));
            return Attempt::Paid;
        }
        // A first invoice left unpaid is not retried: the subscription stays `incomplete`, then expires.
        let delay = if first_unpaid { None } else { delays.get(invoice.attempt_count as usize - 1).copied() };
        invoice.next_payment_attempt = delay.map(|d| now.saturating_add(d));
        if delay.is_none() {
            invoice.auto_advance = first_unpaid;
        }
        pending.push(("invoice.payment_failed", invoice.to_json(), None));
        match (delay, first_unpaid) {
            (Some(_), _) | (None, true) => Attempt::Failed,
            (None, false) => Attempt::Exhausted,
        }
    }

    /// Moves subscription `id` into its next period (the first after its trial, or a renewal) and bills it:
    /// a new invoice, finalized and charged, or left a draft for an `unpaid` subscription. The caller
    /// emits `customer.subscription.updated`.
    pub(super) fn start_period(
        &mut self,
        id: &str,
        billing_reason: &'static str,
        pending: &mut Pending,
    ) -> Attempt {
        let Some(sub) = self.subscriptions.get_mut(id) else { return Attempt::NotAttempted };
        let (previous_start, previous_end) = (sub.current_period_start, sub.current_period_end);
        sub.cycle += 1;
        sub.current_period_start = previous_end;
        sub.current_period_end = sub.period_end(sub.cycle + 1);
        let (start, end, unpaid) =
            (sub.current_period_start, sub.current_period_end, sub.status == SubscriptionStatus::Unpaid);
        let lines = self.period_lines(id, start, end, false);
        let invoice = self.draft_invoice(id, billing_reason, lines, (previous_start, previous_end), pending);
        if unpaid {
            if let Some(invoice) = self.invoices.get_mut(&invoice) {
                invoice.auto_advance = false;
            }
            return Attempt::NotAttempted;
        }
        self.finalize_invoice(&invoice, pending);
        let outcome = self.attempt_invoice(&invoice, false, pending);
        self.after_attempt(id, outcome);
        outcome
    }

    /// Stops automatic collection of subscription `id`'s open invoices (it was canceled).
    pub(super) fn stop_collection(&mut self, id: &str) {
        let open: Vec<String> = self
            .invoices
            .iter()
            .filter(|i| i.subscription.as_deref() == Some(id) && i.status != InvoiceStatus::Paid)
            .map(|i| i.id.clone())
            .collect();
        for invoice in open {
            if let Some(invoice) = self.invoices.get_mut(&invoice) {
                invoice.auto_advance = false;
                invoice.next_payment_attempt = None;
            }
        }
    }

    /// Voids subscription `id`'s open invoices (`invoice.voided` collected for each).
    pub(super) fn void_open_invoices(&mut self, id: &str, pending: &mut Pending) {
        let open: Vec<String> = self
            .invoices
            .iter()
            .filter(|i| i.subscription.as_deref() == Some(id) && i.status == InvoiceStatus::Open)
            .map(|i| i.id.clone())
            .collect();
        for invoice in open {
            let Some(invoice) = self.invoices.get_mut(&invoice) else { continue };
            invoice.status = InvoiceStatus::Void;
            invoice.voided_at = Some(self.now);
            invoice.auto_advance = false;
            invoice.next_payment_attempt = None;
            pending.push(("invoice.voided", invoice.to_json(), None));
        }
    }
}
