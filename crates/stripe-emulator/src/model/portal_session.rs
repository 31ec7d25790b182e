//! Customer portal sessions (`bps_`): a link to the emulator's portal page for one customer.

use super::Row;
use serde_json::{json, Value};
use url::Url;

/// A portal session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    /// `bps_…`
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The customer whose subscriptions it shows.
    pub customer: String,
    /// The portal configuration (`bpc_…`, the emulator's one default configuration).
    pub configuration: String,
    /// Where the page's "return" link goes.
    pub return_url: Option<String>,
    /// The requested locale.
    pub locale: Option<String>,
}

impl Row for PortalSession {
    fn id(&self) -> &str {
        &self.id
    }
}

impl PortalSession {
    /// The portal page's address.
    pub fn page_url(&self, base_url: &Url) -> String {
        format!("{base_url}billing_portal/{}", self.id)
    }

    /// The session in Stripe's `billing_portal.session` shape.
    pub fn to_json(&self, base_url: &Url) -> Value {
        json!({
            "id": self.id,
            "object": "billing_portal.session",
            "configuration": self.configuration,
            "created": self.created,
            "customer": self.customer,
            "customer_account": null,
            "flow": null,
            "livemode": false,
            "locale": self.locale,
            "on_behalf_of": null,
            "return_url": self.return_url,
            "url": self.page_url(base_url)
        })
    }
}
