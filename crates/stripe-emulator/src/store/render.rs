//! Rendering objects that refer to others (prices name products, sessions list line items), and
//! rendering any object by its id, for `expand[]`.

use super::Store;
use crate::model::checkout_session::CheckoutSession;
use crate::model::price::Price;
use crate::model::subscription::Subscription;
use serde_json::{json, Value};

impl Store {
    /// A price, with its product as an id.
    pub fn price_json(&self, price: &Price) -> Value {
        price.to_json(json!(price.product))
    }

    /// A session, without line items.
    pub fn session_json(&self, session: &CheckoutSession) -> Value {
        session.to_json(&self.base_url)
    }

    /// A session's line items in Stripe's `item` shape.
    pub fn line_items_json(&self, session: &CheckoutSession) -> Vec<Value> {
        session
            .line_items
            .iter()
            .map(|item| {
                let price = self.prices.get(&item.price).map(|p| self.price_json(p)).unwrap_or(Value::Null);
                item.to_json(&session.currency, price)
            })
            .collect()
    }

    /// A subscription, its items with their prices.
    pub fn subscription_json(&self, subscription: &Subscription) -> Value {
        subscription.to_json(|id| self.prices.get(id).map(|p| self.price_json(p)))
    }

    /// Any object by its id (what `expand[]` replaces an id with), if it exists.
    pub fn object_json(&self, id: &str) -> Option<Value> {
        let prefix = id.split_once('_').map_or("", |(p, _)| p);
        match prefix {
            "cus" => self.customers.get(id).map(|c| c.to_json()),
            "prod" => self.products.get(id).map(|p| p.to_json()),
            "price" => self.prices.get(id).map(|p| self.price_json(p)),
            "cs" => self.sessions.get(id).map(|s| self.session_json(s)),
            "pi" => self.payment_intents.get(id).map(|p| p.to_json()),
            "ch" => self.charges.get(id).map(|c| c.to_json()),
            "re" => self.refunds.get(id).map(|r| r.to_json()),
            "dp" => self.disputes.get(id).map(|d| d.to_json()),
            "evt" => self.events.get(id).map(|e| e.to_json()),
            "sub" => self.subscriptions.get(id).map(|s| self.subscription_json(s)),
            "in" => self.invoices.get(id).map(|i| i.to_json()),
            "pm" => self.payment_methods.get(id).map(|m| m.to_json()),
            "bps" => self.portal_sessions.get(id).map(|s| s.to_json(&self.base_url)),
            "we" => self.endpoints.get(id).map(|e| e.to_json(false)),
            // Products may carry a caller-chosen id without a prefix.
            _ => self.products.get(id).map(|p| p.to_json()),
        }
    }
}
