//! Registering webhook endpoints.

use super::Store;
use crate::ids;
use crate::metadata::Metadata;
use crate::model::webhook_endpoint::WebhookEndpoint;

impl Store {
    /// Registers an enabled endpoint with a new `whsec_` secret; returns its id.
    pub fn create_endpoint(
        &mut self,
        url: String,
        enabled_events: Vec<String>,
        api_version: Option<String>,
        description: Option<String>,
        metadata: Metadata,
    ) -> String {
        let endpoint = WebhookEndpoint {
            id: ids::new_id("we_"),
            created: self.now,
            url,
            enabled_events,
            api_version,
            description,
            enabled: true,
            metadata,
            secret: format!("whsec_{}", ids::random_token(32)),
        };
        let id = endpoint.id.clone();
        self.endpoints.insert(endpoint);
        id
    }
}
