//! A subset of Stripe's search query language, enough to find customers:
//! `email:'a@b.com'`, `name~'Jen'`, `metadata['key']:'value'`, `phone:"+1…"`, joined by `AND` or by `OR`.

use crate::error::ApiError;

/// How a clause compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `:` exact match (case-insensitive for emails, as Stripe's search is).
    Exact,
    /// `~` substring match.
    Contains,
}

/// One `field:value` clause; `field` is `email`, `name`… or `metadata[key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The field, with metadata keys as `metadata[key]`.
    pub field: String,
    /// How it compares.
    pub comparison: Comparison,
    /// The quoted value, unquoted.
    pub value: String,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Its clauses.
    pub clauses: Vec<Clause>,
    /// `OR` between clauses (else `AND`).
    pub any: bool,
}

impl Query {
    /// Parses `text`, or answers Stripe's 400 for the `query` parameter.
    pub fn parse(text: &str) -> Result<Query, ApiError> {
        let invalid = |why: &str| ApiError::bad_value("query", format!("Invalid search query: {why}"));
        let mut clauses = Vec::new();
        let mut joiners = Vec::new();
        let mut rest = text.trim();
        loop {
            let op = rest.find([':', '~']).ok_or_else(|| invalid("expected field:'value'"))?;
            let field = normalize_field(rest[..op].trim()).ok_or_else(|| invalid("unknown field"))?;
            let comparison =
                if rest.as_bytes()[op] == b':' { Comparison::Exact } else { Comparison::Contains };
            let after = rest[op + 1..].trim_start();
            let quote = after
                .chars()
                .next()
                .filter(|c| *c == '\'' || *c == '"')
                .ok_or_else(|| invalid("values must be quoted"))?;
            let close = after[1..].find(quote).ok_or_else(|| invalid("unterminated quote"))?;
            clauses.push(Clause { field, comparison, value: after[1..=close].to_owned() });
            rest = after[close + 2..].trim();
            if rest.is_empty() {
                break;
            }
            let (word, tail) =
                rest.split_once(char::is_whitespace).ok_or_else(|| invalid("expected AND or OR"))?;
            joiners.push(word.to_ascii_uppercase());
            rest = tail.trim();
        }
        let any = joiners.iter().any(|j| j == "OR");
        if joiners.iter().any(|j| j != "AND" && j != "OR") || (any && joiners.iter().any(|j| j == "AND")) {
            return Err(invalid("clauses must all be joined by AND or all by OR"));
        }
        Ok(Query { clauses, any })
    }

    /// Whether an object passes, given a lookup of its fields' values.
    pub fn matches(&self, field: impl Fn(&str) -> Option<String>) -> bool {
        let test = |clause: &Clause| {
            let Some(actual) = field(&clause.field) else { return false };
            let (actual, wanted) = (actual.to_lowercase(), clause.value.to_lowercase());
            match clause.comparison {
                Comparison::Exact => actual == wanted,
                Comparison::Contains => actual.contains(&wanted),
            }
        };
        if self.any {
            self.clauses.iter().any(test)
        } else {
            self.clauses.iter().all(test)
        }
    }
}

/// `metadata['k']` or `metadata["k"]` → `metadata[k]`; known plain fields pass through.
fn normalize_field(field: &str) -> Option<String> {
    if let Some(inner) = field.strip_prefix("metadata[").and_then(|f| f.strip_suffix(']')) {
        let key = inner.trim_matches(|c| c == '\'' || c == '"');
        return (!key.is_empty()).then(|| format!("metadata[{key}]"));
    }
    matches!(field, "email" | "name" | "phone" | "description").then(|| field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_and_metadata_clauses_parse_and_match() {
        let query = Query::parse("email:'Jenny@Example.com' AND metadata['order_id']:\"42\"").unwrap();
        assert_eq!(query.clauses.len(), 2);
        let fields = |f: &str| match f {
            "email" => Some("jenny@example.com".to_owned()),
            "metadata[order_id]" => Some("42".to_owned()),
            _ => None,
        };
        assert!(query.matches(fields));
        assert!(!Query::parse("email:'other@example.com'").unwrap().matches(fields));
        assert!(Query::parse("name~'jen' OR email:'x@y.z'").unwrap().any);
    }

    #[test]
    fn malformed_queries_are_refused() {
        for text in
            ["email", "email:unquoted", "email:'open", "colour:'red'", "email:'a' AND name:'b' OR phone:'c'"]
        {
            assert!(Query::parse(text).is_err(), "{text}");
        }
    }
}
