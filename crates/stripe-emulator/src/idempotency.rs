//! Idempotency keys: the first answer to a key is replayed for the same request; the same key with other
//! parameters is refused.

use std::collections::HashMap;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The request it answered: method, path and canonical parameters.
    pub fingerprint: String,
    /// Its HTTP status.
    pub status: u16,
    /// Its JSON body.
    pub body: String,
    /// Its `Request-Id`.
    pub request_id: String,
}

/// What a key means for a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Not seen: run the request.
    New,
    /// Seen with the same request: replay this answer.
    Replay(StoredResponse),
    /// Seen with another request: refuse.
    Mismatch,
}

/// Answers by API key and Idempotency-Key (keys are per account on Stripe; here per API key).
#[derive(Debug, Default)]
pub struct IdempotencyCache {
    entries: HashMap<(String, String), StoredResponse>,
}

impl IdempotencyCache {
    /// What `key` means for a request with `fingerprint`.
    pub fn lookup(&self, api_key: &str, key: &str, fingerprint: &str) -> Lookup {
        match self.entries.get(&(api_key.to_owned(), key.to_owned())) {
            None => Lookup::New,
            Some(stored) if stored.fingerprint == fingerprint => Lookup::Replay(stored.clone()),
            Some(_) => Lookup::Mismatch,
        }
    }

    /// Keeps the answer to `key` (the first one stays if two requests raced).
    pub fn store(&mut self, api_key: &str, key: &str, response: StoredResponse) {
        self.entries.entry((api_key.to_owned(), key.to_owned())).or_insert(response);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(fingerprint: &str) -> StoredResponse {
        StoredResponse {
            fingerprint: fingerprint.into(),
            status: 200,
            body: "{}".into(),
            request_id: "req_1".into(),
        }
    }

    #[test]
    fn a_key_replays_for_the_same_request_and_refuses_another() {
        let mut cache = IdempotencyCache::default();
        assert_eq!(cache.lookup("sk_test_a", "k", "POST /v1/customers?email=a"), Lookup::New);
        cache.store("sk_test_a", "k", response("POST /v1/customers?email=a"));
        assert_eq!(
            cache.lookup("sk_test_a", "k", "POST /v1/customers?email=a"),
            Lookup::Replay(response("POST /v1/customers?email=a"))
        );
        assert_eq!(cache.lookup("sk_test_a", "k", "POST /v1/customers?email=b"), Lookup::Mismatch);
        assert_eq!(cache.lookup("sk_test_other", "k", "POST /v1/customers?email=b"), Lookup::New);
    }
}
