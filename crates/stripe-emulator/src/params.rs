//! Typed reads of decoded form parameters, with Stripe's error for each kind of bad value.

use crate::error::ApiError;
use crate::form::FormValue;
use crate::metadata::MetadataUpdate;

/// A view of one level of the parameter tree that knows its bracketed name, for error messages.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    value: &'a FormValue,
    path: String,
}

impl<'a> Params<'a> {
    /// The top level of a request's parameters.
    pub fn root(value: &'a FormValue) -> Self {
        Params { value, path: String::new() }
    }

    /// The bracketed name of `key` at this level (`line_items[0][price]`).
    pub fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}[{key}]", self.path)
        }
    }

    /// Refuses keys outside `allowed` with Stripe's `parameter_unknown`.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.value.entries().iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((key, _)) => Err(ApiError::unknown_param(&self.name(key))),
            None => Ok(()),
        }
    }

    /// Whether `key` was sent at all.
    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }

    /// The text of `key`, `""` included; a hash or array where text is expected is an error.
    pub fn text(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.value.get(key) {
            None => Ok(None),
            Some(FormValue::Text(text)) => Ok(Some(text)),
            Some(_) => Err(ApiError::bad_value(
                &self.name(key),
                format!("Invalid string: {} must be a string", self.name(key)),
            )),
        }
    }

    /// The text of `key`, with `""` read as absent (how Stripe reads an empty value on create).
    pub fn opt_text(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        Ok(self.text(key)?.filter(|text| !text.is_empty()))
    }

    /// The non-empty text of `key`, or `parameter_missing`.
    pub fn required_text(&self, key: &str) -> Result<&'a str, ApiError> {
        self.opt_text(key)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    /// An integer parameter.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.opt_text(key)? {
            None => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|_| {
                ApiError::invalid(format!("Invalid integer: {text}"))
                    .param(self.name(key))
                    .code("parameter_invalid_integer")
            }),
        }
    }

    /// A boolean parameter (`true` or `false`).
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.opt_text(key)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(text) => Err(ApiError::bad_value(&self.name(key), format!("Invalid boolean: {text}"))),
        }
    }

    /// A nested hash; text where a hash is expected is an error, `key=""` reads as absent.
    pub fn hash(&self, key: &str) -> Result<Option<Params<'a>>, ApiError> {
        match self.value.get(key) {
            None => Ok(None),
            Some(FormValue::Text(text)) if text.is_empty() => Ok(None),
            Some(value @ FormValue::Map(_)) => Ok(Some(Params { value, path: self.name(key) })),
            Some(_) => Err(ApiError::bad_value(
                &self.name(key),
                format!("Invalid hash: {} must be a hash", self.name(key)),
            )),
        }
    }

    /// The elements of an array parameter, each knowing its `key[i]` name.
    pub fn list(&self, key: &str) -> Result<Vec<Params<'a>>, ApiError> {
        let Some(value) = self.value.get(key) else { return Ok(Vec::new()) };
        if value.as_text() == Some("") {
            return Ok(Vec::new());
        }
        let elements = value.elements().map_err(|_| {
            ApiError::bad_value(&self.name(key), format!("Invalid array: {}", self.name(key)))
        })?;
        Ok(elements
            .into_iter()
            .enumerate()
            .map(|(i, value)| Params { value, path: format!("{}[{i}]", self.name(key)) })
            .collect())
    }

    /// An array of strings (`enabled_events[]`, `expand[]`).
    pub fn text_list(&self, key: &str) -> Result<Vec<&'a str>, ApiError> {
        self.list(key)?
            .into_iter()
            .map(|element| {
                element.value.as_text().ok_or_else(|| {
                    ApiError::bad_value(&element.path, format!("Invalid string: {}", element.path))
                })
            })
            .collect()
    }

    /// The `metadata` parameter as an update: `metadata=` clears, `metadata[k]=` removes `k`.
    pub fn metadata(&self, key: &str) -> Result<Option<MetadataUpdate>, ApiError> {
        match self.value.get(key) {
            None => Ok(None),
            Some(FormValue::Text(text)) if text.is_empty() => Ok(Some(MetadataUpdate::Clear)),
            Some(FormValue::Map(entries)) => {
                let mut changes = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let Some(text) = v.as_text() else {
                        let name = format!("{}[{k}]", self.name(key));
                        return Err(ApiError::bad_value(&name, format!("Invalid string: {name}")));
                    };
                    changes.push((k.clone(), (!text.is_empty()).then(|| text.to_owned())));
                }
                let update = MetadataUpdate::Set(changes);
                update.validate(&self.name(key))?;
                Ok(Some(update))
            }
            Some(_) => Err(ApiError::bad_value(
                &self.name(key),
                format!("Invalid hash: {} must be a hash", self.name(key)),
            )),
        }
    }
}
