//! Stripe's form encoding: `a[b][0][c]=v` nests, `a[]=v` appends, keys and values are percent-encoded.
//!
//! stripe-node and stripe-python send indexed arrays (`line_items[0][price]`); curl users often send
//! `expand[]=x`. Both decode to the same tree here.

use std::fmt;

/// The most names a key may have (`a[b][c]` has three): the deepest Stripe parameters have six
/// (`line_items[0][price_data][product_data][metadata][key]`). Decoding, the canonical form and dropping a
/// tree recurse once per level, so an unbounded depth (`a[][][]…`, two bytes a level) would overflow a
/// server thread's stack.
pub const MAX_KEY_DEPTH: usize = 32;

/// A decoded form value: text, a map in the order keys first appeared, or a list from `key[]=` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    /// A leaf value.
    Text(String),
    /// `key[name]=...` entries, in first-seen order (numeric names are array indices).
    Map(Vec<(String, FormValue)>),
    /// `key[]=...` entries, in order.
    List(Vec<FormValue>),
}

/// Why a form body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A key whose brackets do not balance, such as `a[b`.
    #[error("Invalid parameter name: {0}")]
    MalformedKey(String),
    /// The same key used both as a value and as a hash or array, such as `a=1&a[b]=2`.
    #[error("Invalid hash: {0} is used both as a value and as a hash or array")]
    Conflict(String),
    /// An array whose entries are not all indexed by integers, such as `a[0]=x&a[b]=y`.
    #[error("Invalid array: {0}")]
    InvalidArray(String),
    /// A key with more than [`MAX_KEY_DEPTH`] names, such as `a[][][]…`.
    #[error("Invalid parameter name: {0} nests deeper than {MAX_KEY_DEPTH} levels")]
    TooDeep(String),
}

impl Default for FormValue {
    fn default() -> Self {
        FormValue::Map(Vec::new())
    }
}

impl FormValue {
    /// Decodes an `application/x-www-form-urlencoded` body (or query string) into a tree.
    pub fn parse(input: &[u8]) -> Result<FormValue, FormError> {
        let mut root = FormValue::default();
        for (key, value) in url::form_urlencoded::parse(input) {
            if key.is_empty() {
                continue;
            }
            let path = split_key(&key)?;
            insert(&mut root, &path, value.into_owned(), &key)?;
        }
        Ok(root)
    }

    /// The value at `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&FormValue> {
        match self {
            FormValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text when this is a leaf.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FormValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The entries of a map, in first-seen order (empty for text and lists).
    pub fn entries(&self) -> &[(String, FormValue)] {
        match self {
            FormValue::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The elements of an array: a `[]` list, or a map indexed `0, 1, 2…` (sorted by index; gaps are
    /// allowed, as Stripe allows them). A single text value counts as a one-element array.
    pub fn elements(&self) -> Result<Vec<&FormValue>, FormError> {
        match self {
            FormValue::List(items) => Ok(items.iter().collect()),
            FormValue::Text(_) => Ok(vec![self]),
            FormValue::Map(entries) => {
                let mut indexed = entries
                    .iter()
                    .map(|(k, v)| {
                        k.parse::<usize>().map(|i| (i, v)).map_err(|_| FormError::InvalidArray(k.clone()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                indexed.sort_by_key(|(i, _)| *i);
                Ok(indexed.into_iter().map(|(_, v)| v).collect())
            }
        }
    }

    /// Every leaf as `(bracketed key, value)`, sorted: two requests with the same parameters, in any
    /// order, have the same canonical form (idempotency compares them).
    pub fn canonical(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten(self, String::new(), &mut out);
        out.sort();
        out
    }
}

impl fmt::Display for FormValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self.canonical();
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            serializer.append_pair(k, v);
        }
        f.write_str(&serializer.finish())
    }
}

fn flatten(value: &FormValue, prefix: String, out: &mut Vec<(String, String)>) {
    let child = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}[{name}]")
        }
    };
    match value {
        FormValue::Text(text) => out.push((prefix, text.clone())),
        FormValue::Map(entries) => entries.iter().for_each(|(k, v)| flatten(v, child(k), out)),
        FormValue::List(items) => {
            items.iter().enumerate().for_each(|(i, v)| flatten(v, child(&i.to_string()), out))
        }
    }
}

/// `a[b][]` → `["a", "b", ""]`; an empty segment means "append". At most [`MAX_KEY_DEPTH`] segments.
fn split_key(key: &str) -> Result<Vec<&str>, FormError> {
    let malformed = || FormError::MalformedKey(key.to_owned());
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => return Ok(vec![key]),
    };
    if head.is_empty() {
        return Err(malformed());
    }
    let mut path = vec![head];
    while !rest.is_empty() {
        if path.len() == MAX_KEY_DEPTH {
            return Err(FormError::TooDeep(key.to_owned()));
        }
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let close = inner.find(']').ok_or_else(malformed)?;
        path.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Ok(path)
}

fn insert(node: &mut FormValue, path: &[&str], value: String, key: &str) -> Result<(), FormError> {
    let conflict = || FormError::Conflict(key.to_owned());
    let Some((segment, rest)) = path.split_first() else {
        if matches!(node, FormValue::List(_)) || !node.entries().is_empty() {
            return Err(conflict());
        }
        *node = FormValue::Text(value);
        return Ok(());
    };
    if segment.is_empty() {
        if matches!(node, FormValue::Map(entries) if entries.is_empty()) {
            *node = FormValue::List(Vec::new());
        }
        let FormValue::List(items) = node else { return Err(conflict()) };
        let mut child = FormValue::default();
        insert(&mut child, rest, value, key)?;
        items.push(child);
        return Ok(());
    }
    let FormValue::Map(entries) = node else { return Err(conflict()) };
    let position = match entries.iter().position(|(k, _)| k == segment) {
        Some(i) => i,
        None => {
            entries.push(((*segment).to_owned(), FormValue::default()));
            entries.len() - 1
        }
    };
    let child = &mut entries[position].1;
    // A later `a[b]` after `a=1` is a conflict, but `a=` then `a=x` simply overwrites.
    if !rest.is_empty() && matches!(child, FormValue::Text(_)) {
        return Err(conflict());
    }
    insert(child, rest, value, key)
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
