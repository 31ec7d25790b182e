//! What the checkout page shows of a session, read from the store in one go.

use crate::model::checkout_session::{PaymentStatus, SessionMode, SessionStatus};
use crate::model::payment_intent::PaymentIntentStatus;
use crate::model::subscription::describe_interval;
use crate::money::format_amount;
use crate::store::Store;

/// One line as shown.
#[derive(Debug, Clone)]
pub struct LineView {
    /// The product's name.
    pub name: String,
    /// How many.
    pub quantity: i64,
    /// Formatted unit price.
    pub unit: String,
    /// Formatted line total.
    pub amount: String,
    /// `every month` for a recurring line.
    pub every: Option<String>,
}

/// What a subscription-mode session signs the customer up for.
#[derive(Debug, Clone)]
pub struct RecurringView {
    /// The formatted sum of the recurring lines, charged each period.
    pub amount: String,
    /// `every month`, `every 3 months`…
    pub every: String,
    /// A free trial's length in days.
    pub trial_days: Option<i64>,
}

/// A session as the page shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The page's own address (`{base}checkout/{id}`); forms post below it.
    pub page_url: String,
    /// The lines.
    pub lines: Vec<LineView>,
    /// Formatted total (what is due now).
    pub total: String,
    /// The subscription, in subscription mode.
    pub recurring: Option<RecurringView>,
    /// The email fixed by the session or its customer (the field is then read-only).
    pub fixed_email: Option<String>,
    /// Where the cancel link goes.
    pub cancel_url: Option<String>,
    /// Where success goes, with the session id filled in.
    pub success_url: String,
    /// Whether cards are offered.
    pub accepts_cards: bool,
    /// The delayed bank debit offered, if any.
    pub delayed_method: Option<String>,
    /// The session's state.
    pub status: SessionStatus,
    /// Whether it is paid.
    pub payment_status: PaymentStatus,
    /// Its payment intent's state, once there is one.
    pub payment_intent_status: Option<PaymentIntentStatus>,
}

impl SessionView {
    /// The view of session `id`, if it exists.
    pub fn load(store: &Store, id: &str) -> Option<SessionView> {
        let session = store.sessions.get(id)?;
        let interval = |price: &str| store.prices.get(price).and_then(|p| p.recurring.clone());
        let lines = session
            .line_items
            .iter()
            .map(|line| LineView {
                name: line.description.clone(),
                quantity: line.quantity,
                unit: format_amount(line.unit_amount, &session.currency),
                amount: format_amount(line.amount(), &session.currency),
                every: interval(&line.price).map(|r| describe_interval(&r)),
            })
            .collect();
        let recurring = session.line_items.iter().find_map(|l| interval(&l.price)).map(|r| {
            let per_period: i64 =
                session.line_items.iter().filter(|l| interval(&l.price).is_some()).map(|l| l.amount()).sum();
            RecurringView {
                amount: format_amount(per_period, &session.currency),
                every: describe_interval(&r),
                trial_days: session.subscription_data.trial_period_days,
            }
        });
        let recurring = recurring.filter(|_| session.mode == SessionMode::Subscription);
        let fixed_email = session.customer_email.clone().or_else(|| {
            session.customer.as_ref().and_then(|c| store.customers.get(c)).and_then(|c| c.email.clone())
        });
        Some(SessionView {
            page_url: session.page_url(&store.base_url),
            lines,
            total: format_amount(session.amount_total, &session.currency),
            recurring,
            fixed_email,
            cancel_url: session.cancel_url.clone(),
            success_url: session.success_redirect(),
            accepts_cards: session.accepts_cards(),
            delayed_method: session.delayed_method().map(str::to_owned),
            status: session.status,
            payment_status: session.payment_status,
            payment_intent_status: session
                .payment_intent
                .as_ref()
                .and_then(|pi| store.payment_intents.get(pi))
                .map(|pi| pi.status),
        })
    }
}
