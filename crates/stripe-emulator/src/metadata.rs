//! Metadata as Stripe keeps it: string keys and values, set and unset key by key.

use crate::error::ApiError;
use std::collections::BTreeMap;

/// An object's metadata.
pub type Metadata = BTreeMap<String, String>;

/// A metadata change from a request: `metadata=` clears everything, `metadata[k]=` removes `k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataUpdate {
    /// Remove every key.
    Clear,
    /// Set (`Some`) or remove (`None`) each key.
    Set(Vec<(String, Option<String>)>),
}

const MAX_KEYS: usize = 50;
const MAX_KEY_LEN: usize = 40;
const MAX_VALUE_LEN: usize = 500;

impl MetadataUpdate {
    /// Checks Stripe's limits: 50 keys, keys up to 40 characters, values up to 500.
    pub fn validate(&self, param: &str) -> Result<(), ApiError> {
        let MetadataUpdate::Set(changes) = self else { return Ok(()) };
        if changes.len() > MAX_KEYS {
            return Err(ApiError::bad_value(param, format!("Invalid {param}: at most {MAX_KEYS} keys")));
        }
        for (key, value) in changes {
            if key.chars().count() > MAX_KEY_LEN {
                return Err(ApiError::bad_value(
                    &format!("{param}[{key}]"),
                    format!("Metadata keys can be at most {MAX_KEY_LEN} characters long."),
                ));
            }
            if value.as_ref().is_some_and(|v| v.chars().count() > MAX_VALUE_LEN) {
                return Err(ApiError::bad_value(
                    &format!("{param}[{key}]"),
                    format!("Metadata values can be at most {MAX_VALUE_LEN} characters long."),
                ));
            }
        }
        Ok(())
    }

    /// Applies the change to `metadata`.
    pub fn apply(self, metadata: &mut Metadata) {
        match self {
            MetadataUpdate::Clear => metadata.clear(),
            MetadataUpdate::Set(changes) => {
                for (key, value) in changes {
                    match value {
                        Some(value) => metadata.insert(key, value),
                        None => metadata.remove(&key),
                    };
                }
            }
        }
    }

    /// The metadata a new object starts with.
    pub fn into_new(self) -> Metadata {
        let mut metadata = Metadata::new();
        self.apply(&mut metadata);
        metadata
    }
}
