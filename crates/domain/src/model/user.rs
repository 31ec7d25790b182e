//! Who is asking: a signed-in user, a guest, or the operator; and the Stripe customer kept per user.

use crate::model::email::Email;
use crate::model::ids::CustomerId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest user id accepted (a token's `sub`).
pub const MAX_USER_ID_CHARS: usize = 255;

/// A user's id, as the identity provider names it (a token's `sub`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

/// Why a string is not a user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a user id must be 1 to {MAX_USER_ID_CHARS} printable characters")]
pub struct UserIdError;

impl UserId {
    /// Parses `raw`: 1 to 255 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, UserIdError> {
        let ok =
            !raw.is_empty() && raw.chars().count() <= MAX_USER_ID_CHARS && !raw.chars().any(char::is_control);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(UserIdError)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

/// Who makes a request, as the inbound adapter authenticated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: may start a guest checkout (if allowed) and read a guest order by its session id.
    Guest,
    /// A user with a verified token.
    User {
        /// The token's subject.
        id: UserId,
        /// The token's `email` claim, if it had a valid one.
        email: Option<Email>,
    },
    /// The operator, with the admin API key: may read every order.
    Admin,
}

impl Caller {
    /// The user, if the caller is one.
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Caller::User { id, .. } => Some(id),
            Caller::Guest | Caller::Admin => None,
        }
    }
}

/// The Stripe customer created for a user on their first checkout and reused afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The user.
    pub user_id: UserId,
    /// Stripe's customer.
    pub stripe_customer_id: CustomerId,
    /// The email the customer was created with.
    pub email: Email,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_printable_and_bounded() {
        assert_eq!(UserId::parse("auth0|42").unwrap().as_str(), "auth0|42");
        assert_eq!(UserId::parse(""), Err(UserIdError));
        assert_eq!(UserId::parse("a\nb"), Err(UserIdError));
        assert_eq!(UserId::parse(&"u".repeat(256)), Err(UserIdError));
        assert!(UserId::parse(&"ü".repeat(255)).is_ok());
    }

    #[test]
    fn only_users_have_a_user_id() {
        let id = UserId::parse("u1").unwrap();
        assert_eq!(Caller::User { id: id.clone(), email: None }.user(), Some(&id));
        assert_eq!(Caller::Guest.user(), None);
        assert_eq!(Caller::Admin.user(), None);
    }
}
