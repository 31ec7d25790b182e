//! Creating and expiring checkout sessions.

use super::Store;
use crate::error::ApiError;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::checkout_session::{
    CheckoutSession, LineItem, PaymentIntentData, PaymentStatus, SessionMode, SessionStatus, SubscriptionData,
};
use crate::model::payment_intent::PaymentIntentStatus;
use crate::model::price::{Price, Recurring};
use crate::model::product::Product;
use crate::money;

/// Where a line's product comes from.
#[derive(Debug, Clone)]
pub enum ProductRef {
    /// An existing product's id.
    Existing(String),
    /// `product_data`: a product created with the session.
    Inline {
        /// Its name.
        name: String,
        /// Its description.
        description: Option<String>,
        /// Its images.
        images: Vec<String>,
        /// Its metadata.
        metadata: Metadata,
    },
}

/// Where a line's price comes from.
#[derive(Debug, Clone)]
pub enum PriceRef {
    /// `price`: an existing price's id.
    Existing(String),
    /// `price_data`: a price created with the session.
    Inline {
        /// Lowercase ISO currency.
        currency: String,
        /// In the currency's minor unit.
        unit_amount: i64,
        /// Its product.
        product: ProductRef,
        /// `inclusive`, `exclusive` or `unspecified`.
        tax_behavior: Option<String>,
        /// `recurring[interval|interval_count]`, for subscription mode.
        recurring: Option<Recurring>,
    },
}

/// One requested line.
#[derive(Debug, Clone)]
pub struct NewLineItem {
    /// Its price.
    pub price: PriceRef,
    /// How many (at least 1).
    pub quantity: i64,
    /// The parameter name, for errors (`line_items[0]`).
    pub param: String,
}

/// A validated request to create a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Payment or subscription.
    pub mode: SessionMode,
    /// For the subscription (subscription mode).
    pub subscription_data: SubscriptionData,
    /// The lines.
    pub line_items: Vec<NewLineItem>,
    /// An existing customer's id.
    pub customer: Option<String>,
    /// An email to prefill.
    pub customer_email: Option<String>,
    /// `customer_creation=always`.
    pub always_create_customer: bool,
    /// Where to go after paying.
    pub success_url: String,
    /// Where the cancel link goes.
    pub cancel_url: Option<String>,
    /// Key-value pairs.
    pub metadata: Metadata,
    /// The caller's reference.
    pub client_reference_id: Option<String>,
    /// For the payment intent.
    pub payment_intent_data: PaymentIntentData,
    /// Unix seconds, already checked against the 30 min – 24 h window.
    pub expires_at: Option<i64>,
    /// The requested payment method types (empty: card and a bank debit, as dynamic payment methods).
    pub payment_method_types: Vec<String>,
    /// The requested locale.
    pub locale: Option<String>,
    /// The requested submit type.
    pub submit_type: Option<String>,
}

/// Sessions expire 24 hours after creation unless `expires_at` says otherwise.
pub const DEFAULT_LIFETIME: i64 = 24 * 3600;

impl Store {
    /// Creates a session (no event: Stripe sends none for a new session) and returns its id.
    pub fn create_session(&mut self, new: NewSession) -> Result<String, ApiError> {
        if let Some(customer) = &new.customer {
            if !self.customers.contains(customer) {
                return Err(ApiError::no_such("customer", customer, Some("customer")));
            }
        }
        let mut lines = Vec::with_capacity(new.line_items.len());
        let mut currency: Option<String> = None;
        let mut interval: Option<Recurring> = None;
        let (mut recurring_total, mut one_time_total) = (0, 0);
        for item in &new.line_items {
            let price = self.resolve_price(item, new.mode)?;
            match (&price.recurring, &interval) {
                (Some(r), Some(first)) if r != first => {
                    return Err(ApiError::bad_value(
                        &item.param,
                        "Checkout does not support multiple prices with different billing intervals.",
                    ))
                }
                (Some(r), None) => interval = Some(r.clone()),
                _ => {}
            }
            if price.recurring.is_some() {
                recurring_total += price.unit_amount * item.quantity;
            } else {
                one_time_total += price.unit_amount * item.quantity;
            }
            match &currency {
                Some(c) if *c != price.currency => {
                    return Err(ApiError::bad_value(
                        &item.param,
                        "All line items must use the same currency.",
                    ))
                }
                _ => currency = Some(price.currency.clone()),
            }
            let description = self.products.get(&price.product).map(|p| p.name.clone()).unwrap_or_default();
            lines.push(LineItem {
                id: ids::new_id("li_"),
                price: price.id.clone(),
                description,
                quantity: item.quantity,
                unit_amount: price.unit_amount,
            });
        }
        let currency = currency.ok_or_else(|| ApiError::missing("line_items"))?;
        let amount_total: i64 = match new.mode {
            SessionMode::Payment => lines.iter().map(LineItem::amount).sum(),
            SessionMode::Subscription => {
                if interval.is_none() {
                    return Err(ApiError::bad_value(
                        "mode",
                        "You must provide at least one recurring price in `subscription` mode when using prices.",
                    ));
                }
                let trial = new.subscription_data.trial_period_days.is_some();
                one_time_total + if trial { 0 } else { recurring_total }
            }
        };
        if new.mode == SessionMode::Payment || amount_total > 0 {
            money::check_amount(amount_total, &currency, "line_items")?;
        }
        let payment_method_types = match (new.payment_method_types.is_empty(), new.mode) {
            (false, _) => new.payment_method_types,
            (true, SessionMode::Subscription) => vec!["card".to_owned()],
            (true, SessionMode::Payment) => {
                vec!["card".to_owned(), money::delayed_debit_for(&currency).to_owned()]
            }
        };
        let session = CheckoutSession {
            id: ids::new_checkout_session_id(),
            mode: new.mode,
            created: self.now,
            expires_at: new.expires_at.unwrap_or(self.now + DEFAULT_LIFETIME),
            status: SessionStatus::Open,
            payment_status: PaymentStatus::Unpaid,
            line_items: lines,
            currency,
            amount_total,
            customer: new.customer,
            customer_email: new.customer_email,
            details_email: None,
            always_create_customer: new.always_create_customer,
            success_url: new.success_url,
            cancel_url: new.cancel_url,
            metadata: new.metadata,
            client_reference_id: new.client_reference_id,
            payment_intent: None,
            payment_intent_data: new.payment_intent_data,
            payment_method_types,
            locale: new.locale,
            submit_type: new.submit_type,
            subscription_data: new.subscription_data,
            subscription: None,
            invoice: None,
        };
        let id = session.id.clone();
        self.sessions_expire_from =
            Some(self.sessions_expire_from.map_or(session.expires_at, |from| from.min(session.expires_at)));
        self.sessions.insert(session);
        Ok(id)
    }

    fn resolve_price(&mut self, item: &NewLineItem, mode: SessionMode) -> Result<Price, ApiError> {
        let recurring_in_payment_mode = |field: &str| {
            ApiError::bad_value(
                &format!("{}[{field}]", item.param),
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode \
                 or use only one-time prices.",
            )
        };
        match &item.price {
            PriceRef::Existing(id) => {
                let price = self
                    .prices
                    .get(id)
                    .ok_or_else(|| ApiError::no_such("price", id, Some(&format!("{}[price]", item.param))))?;
                if !price.active {
                    return Err(ApiError::bad_value(
                        &format!("{}[price]", item.param),
                        "The price specified is inactive. This field only accepts active prices.",
                    ));
                }
                if price.recurring.is_some() && mode == SessionMode::Payment {
                    return Err(recurring_in_payment_mode("price"));
                }
                Ok(price.clone())
            }
            PriceRef::Inline { currency, unit_amount, product, tax_behavior, recurring } => {
                if recurring.is_some() && mode == SessionMode::Payment {
                    return Err(recurring_in_payment_mode("price_data][recurring"));
                }
                let product = match product {
                    ProductRef::Existing(id) => {
                        if !self.products.contains(id) {
                            let param = format!("{}[price_data][product]", item.param);
                            return Err(ApiError::no_such("product", id, Some(&param)));
                        }
                        id.clone()
                    }
                    ProductRef::Inline { name, description, images, metadata } => {
                        let product = Product {
                            id: ids::new_id("prod_"),
                            created: self.now,
                            updated: self.now,
                            name: name.clone(),
                            description: description.clone(),
                            active: true,
                            images: images.clone(),
                            metadata: metadata.clone(),
                            url: None,
                        };
                        let id = product.id.clone();
                        self.products.insert(product);
                        id
                    }
                };
                // Inline prices exist (they can be retrieved) but are inactive, as on Stripe.
                let price = Price {
                    id: ids::new_id("price_"),
                    created: self.now,
                    product,
                    currency: currency.clone(),
                    unit_amount: *unit_amount,
                    active: false,
                    nickname: None,
                    lookup_key: None,
                    metadata: Metadata::new(),
                    tax_behavior: tax_behavior.clone().unwrap_or_else(|| "unspecified".to_owned()),
                    recurring: recurring.clone(),
                };
                self.prices.insert(price.clone());
                Ok(price)
            }
        }
    }

    /// Expires an open session: its payment intent, if still waiting, is canceled
    /// (`payment_intent.canceled`), then `checkout.session.expired`.
    pub fn expire_session(&mut self, id: &str) -> Result<(), ApiError> {
        let session = self.sessions.get(id).ok_or_else(|| ApiError::no_such("checkout.session", id, None))?;
        if session.status != SessionStatus::Open {
            return Err(ApiError::invalid(format!(
                "Only Checkout Sessions with a status of `open` can be expired. This session's status is `{}`.",
                session.status.as_str()
            )));
        }
        if let Some(pi_id) = session.payment_intent.clone() {
            if let Some(pi) = self.payment_intents.get_mut(&pi_id) {
                if matches!(
                    pi.status,
                    PaymentIntentStatus::RequiresPaymentMethod | PaymentIntentStatus::RequiresAction
                ) {
                    pi.status = PaymentIntentStatus::Canceled;
                    pi.canceled_at = Some(self.now);
                    pi.cancellation_reason = Some("abandoned".to_owned());
                    pi.three_d_secure_url = None;
                    let json = pi.to_json();
                    self.emit("payment_intent.canceled", json, None);
                }
            }
        }
        let session = self.sessions.get_mut(id).expect("checked above");
        session.status = SessionStatus::Expired;
        let json = session.to_json(&self.base_url);
        self.emit("checkout.session.expired", json, None);
        Ok(())
    }

    /// Expires every open session whose `expires_at` has passed on the emulator's clock.
    pub fn expire_due(&mut self) {
        // Nothing is due before the earliest open session's expiry: most requests stop here.
        match self.sessions_expire_from {
            None => return,
            Some(from) if from > self.now => return,
            Some(_) => {}
        }
        let due: Vec<String> = self
            .sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Open && s.expires_at <= self.now)
            .map(|s| s.id.clone())
            .collect();
        for id in due {
            // Each was open a line ago and the lock is held, so expiring cannot fail.
            let _ = self.expire_session(&id);
        }
        self.sessions_expire_from =
            self.sessions.iter().filter(|s| s.status == SessionStatus::Open).map(|s| s.expires_at).min();
    }
}
