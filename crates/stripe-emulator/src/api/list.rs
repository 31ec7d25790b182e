//! Stripe's list envelope and cursor pagination (`limit`, `starting_after`, `ending_before`), and the
//! `created` filter (`created=…` or `created[gte]=…`).

use crate::error::ApiError;
use crate::params::Params;
use serde_json::{json, Value};

/// One page of `items` (newest first) as `{"object": "list", "data", "has_more", "url"}`.
pub fn page(url: &str, items: Vec<Value>, params: &Params<'_>) -> Result<Value, ApiError> {
    let limit = match params.integer("limit")? {
        None => 10,
        Some(limit @ 1..=100) => usize::try_from(limit).unwrap_or(10),
        Some(_) => {
            return Err(ApiError::bad_value("limit", "Invalid limit: must be between 1 and 100"));
        }
    };
    let position = |param: &str, cursor: &str| {
        items
            .iter()
            .position(|item| item["id"] == cursor)
            .ok_or_else(|| ApiError::no_such("object", cursor, Some(param)))
    };
    let (data, has_more) = if let Some(cursor) = params.opt_text("starting_after")? {
        let start = position("starting_after", cursor)? + 1;
        let rest = &items[start..];
        (rest.iter().take(limit).cloned().collect::<Vec<_>>(), rest.len() > limit)
    } else if let Some(cursor) = params.opt_text("ending_before")? {
        let end = position("ending_before", cursor)?;
        let start = end.saturating_sub(limit);
        (items[start..end].to_vec(), start > 0)
    } else {
        (items.iter().take(limit).cloned().collect(), items.len() > limit)
    };
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": url }))
}

/// The `created` filter of a list request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Created {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl Created {
    /// Reads `created=t` or `created[gt|gte|lt|lte]=t`.
    pub fn from(params: &Params<'_>) -> Result<Self, ApiError> {
        if let Ok(Some(exact)) = params.integer("created") {
            return Ok(Created { gte: Some(exact), lte: Some(exact), ..Created::default() });
        }
        let Some(range) = params.hash("created")? else { return Ok(Created::default()) };
        range.allow_only(&["gt", "gte", "lt", "lte"])?;
        Ok(Created {
            gt: range.integer("gt")?,
            gte: range.integer("gte")?,
            lt: range.integer("lt")?,
            lte: range.integer("lte")?,
        })
    }

    /// Whether an object created at `t` passes.
    pub fn admits(&self, t: i64) -> bool {
        self.gt.is_none_or(|b| t > b)
            && self.gte.is_none_or(|b| t >= b)
            && self.lt.is_none_or(|b| t < b)
            && self.lte.is_none_or(|b| t <= b)
    }
}
