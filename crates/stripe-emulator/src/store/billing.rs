//! Subscriptions on the emulator's clock: what falls due (trial reminders and ends, renewals, scheduled
//! cancellations, retries of failed invoices, first invoices left unpaid) runs in time order, each step at
//! its own time, whenever the store is used after the clock passed it.

use super::Store;
use crate::config::{EmulatorConfig, RetriesExhausted};
use crate::model::invoice::InvoiceStatus;
use crate::model::subscription::SubscriptionStatus;
use std::collections::HashMap;

/// Billing steps one use of the store runs at most; what is still due runs at the next use (the
/// background sweep uses the store every second).
pub const STEPS_PER_PASS: usize = 100;

/// `customer.subscription.trial_will_end` is sent this long before the trial ends.
pub const TRIAL_WILL_END_NOTICE: i64 = 3 * 86_400;

/// An `incomplete` subscription whose first invoice stays unpaid this long becomes `incomplete_expired`.
pub const INCOMPLETE_LIFETIME: i64 = 23 * 3600;

/// How failed invoices are retried, and what then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingSettings {
    /// Seconds from each failed attempt to the next retry.
    pub retry_delays: Vec<i64>,
    /// What a subscription becomes when the last retry fails.
    pub when_retries_exhausted: RetriesExhausted,
}

impl From<&EmulatorConfig> for BillingSettings {
    fn from(config: &EmulatorConfig) -> Self {
        BillingSettings {
            retry_delays: config
                .invoice_retry_schedule
                .iter()
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .collect(),
            when_retries_exhausted: config.when_retries_exhausted,
        }
    }
}

/// What falls due for a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Due {
    TrialWillEnd,
    EndTrial,
    Renew,
    CancelAtPeriodEnd,
    Retry(String),
    ExpireIncomplete,
}

impl Store {
    /// Runs what fell due, oldest first, up to `limit` steps; each step's events are dated when it fell
    /// due. Returns whether more is due.
    pub fn run_billing(&mut self, limit: usize) -> bool {
        let now = self.now;
        for _ in 0..limit {
            let Some((at, subscription, due)) = self.next_due(now) else {
                self.now = now;
                return false;
            };
            self.now = at;
            self.run_due(&subscription, due);
        }
        self.now = now;
        self.next_due(now).is_some()
    }

    /// Whether billing work is due that the last passes left for later.
    pub fn billing_due(&self) -> bool {
        self.next_due(self.now).is_some()
    }

    /// The earliest step due by `now`: its time, its subscription and what it is.
    fn next_due(&self, now: i64) -> Option<(i64, String, Due)> {
        let mut retries: HashMap<&str, (i64, &str)> = HashMap::new();
        for invoice in self.invoices.iter() {
            let (Some(at), Some(sub)) = (invoice.next_payment_attempt, invoice.subscription.as_deref())
            else {
                continue;
            };
            if invoice.status == InvoiceStatus::Open && retries.get(sub).is_none_or(|(t, _)| at < *t) {
                retries.insert(sub, (at, &invoice.id));
            }
        }
        let mut best: Option<(i64, String, Due)> = None;
        for sub in self.subscriptions.iter() {
            let mut candidates: Vec<(i64, Due)> = Vec::new();
            match sub.status {
                SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired => continue,
                SubscriptionStatus::Incomplete => {
                    candidates.push((sub.created + INCOMPLETE_LIFETIME, Due::ExpireIncomplete));
                }
                SubscriptionStatus::Trialing => {
                    let end = sub.trial_end.unwrap_or(sub.current_period_end);
                    if !sub.trial_will_end_sent {
                        candidates.push((end - TRIAL_WILL_END_NOTICE, Due::TrialWillEnd));
                    }
                    let step = if sub.cancel_at_period_end { Due::CancelAtPeriodEnd } else { Due::EndTrial };
                    candidates.push((end, step));
                }
                SubscriptionStatus::Active | SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid => {
                    if let Some((at, invoice)) = retries.get(sub.id.as_str()) {
                        candidates.push((*at, Due::Retry((*invoice).to_owned())));
                    }
                    let step = if sub.cancel_at_period_end { Due::CancelAtPeriodEnd } else { Due::Renew };
                    candidates.push((sub.current_period_end, step));
                }
            }
            // The first candidate wins a tie: a reminder before the trial's end, a retry before a renewal.
            for (at, due) in candidates {
                if at <= now && best.as_ref().is_none_or(|(t, _, _)| at < *t) {
                    best = Some((at, sub.id.clone(), due));
                }
            }
        }
        best
    }

    fn run_due(&mut self, id: &str, due: Due) {
        match due {
            Due::TrialWillEnd => self.send_trial_will_end(id),
            Due::EndTrial | Due::Renew => {
                let outcome = self.change_subscription(id, |store, pending| {
                    store.start_period(id, "subscription_cycle", pending)
                });
                if outcome == Attempt::Exhausted {
                    self.exhaust_retries(id);
                }
            }
            Due::CancelAtPeriodEnd => self.end_subscription(id, None),
            Due::Retry(invoice) => self.retry_invoice(id, &invoice),
            Due::ExpireIncomplete => self.expire_incomplete(id),
        }
    }

    /// Sends `customer.subscription.trial_will_end` (once).
    pub(super) fn send_trial_will_end(&mut self, id: &str) {
        let Some(sub) = self.subscriptions.get_mut(id) else { return };
        if sub.trial_will_end_sent {
            return;
        }
        sub.trial_will_end_sent = true;
        let json = self.subscription_json_by_id(id);
        self.emit("customer.subscription.trial_will_end", json, None);
    }

    /// An automatic retry of a failed invoice; a success makes a past-due subscription active again, the
    /// last failure ends it as the settings say.
    fn retry_invoice(&mut self, id: &str, invoice: &str) {
        let outcome = self.change_subscription(id, |store, pending| {
            let outcome = store.attempt_invoice(invoice, false, pending);
            store.after_attempt(id, outcome);
            outcome
        });
        if outcome == Attempt::Exhausted {
            self.exhaust_retries(id);
        }
    }

    /// An `incomplete` subscription whose first invoice was never paid: `incomplete_expired`, the invoice
    /// voided (`invoice.voided`, then `customer.subscription.updated`).
    fn expire_incomplete(&mut self, id: &str) {
        let now = self.now;
        self.change_subscription(id, |store, pending| {
            store.void_open_invoices(id, pending);
            if let Some(sub) = store.subscriptions.get_mut(id) {
                sub.status = SubscriptionStatus::IncompleteExpired;
                sub.canceled_at = Some(now);
                sub.ended_at = Some(now);
            }
        });
    }
}

/// What an attempt led to, for the subscription's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    /// Paid (or nothing was due).
    Paid,
    /// Failed; another automatic attempt is scheduled.
    Failed,
    /// Failed, and it was the last automatic attempt.
    Exhausted,
    /// Not attempted (a draft for an `unpaid` subscription, or the first invoice left for the customer).
    NotAttempted,
}

impl Store {
    /// The subscription's status after an attempt at one of its invoices: paid up makes it active, a
    /// failure makes it past due.
    pub(super) fn after_attempt(&mut self, id: &str, outcome: Attempt) {
        let still_failing = self.invoices.iter().any(|i| {
            i.subscription.as_deref() == Some(id) && i.status == InvoiceStatus::Open && i.attempt_count > 0
        });
        let Some(sub) = self.subscriptions.get_mut(id) else { return };
        match (outcome, sub.status) {
            (Attempt::Paid, SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid) if !still_failing => {
                sub.status = SubscriptionStatus::Active;
            }
            (Attempt::Paid, SubscriptionStatus::Trialing | SubscriptionStatus::Incomplete) => {
                sub.status = SubscriptionStatus::Active;
            }
            (
                Attempt::Failed | Attempt::Exhausted,
                SubscriptionStatus::Active | SubscriptionStatus::Trialing,
            ) => {
                sub.status = SubscriptionStatus::PastDue;
            }
            _ => {}
        }
    }

    /// After the last retry failed: canceled (`customer.subscription.deleted`, reason `payment_failed`) or
    /// `unpaid` (`customer.subscription.updated`), as the settings say.
    pub(super) fn exhaust_retries(&mut self, id: &str) {
        if self.subscriptions.get(id).is_none_or(|sub| sub.status.is_terminal()) {
            return;
        }
        match self.billing.when_retries_exhausted {
            RetriesExhausted::Cancel => self.end_subscription(id, Some("payment_failed")),
            RetriesExhausted::MarkUnpaid => self.change_subscription(id, |store, _| {
                if let Some(sub) = store.subscriptions.get_mut(id) {
                    sub.status = SubscriptionStatus::Unpaid;
                }
            }),
        }
    }
}
