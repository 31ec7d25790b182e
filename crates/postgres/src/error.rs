//! sqlx failures translated to the port's [`StoreError`], without ever quoting the database URL.

use payments_domain::StoreError;
use sqlx::error::ErrorKind;

/// Translates a sqlx failure: the server cannot be reached, is overloaded, shutting down, aborted the
/// transaction for a deadlock or a serialization conflict, or stopped a statement for its lock or statement
/// timeout → [`StoreError::Unavailable`] (retrying may
/// succeed); anything else → [`StoreError::Unknown`]. Unique violations that mean a duplicate are mapped by
/// the caller, which knows which constraint means what (see [`is_unique_violation`]).
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match unavailable_reason(&error) {
        Some(reason) => StoreError::Unavailable(reason),
        None => StoreError::Unknown(anyhow::Error::new(error)),
    }
}

/// True when `error` is a unique violation of `constraint`.
pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if db.kind() == ErrorKind::UniqueViolation && db.constraint() == Some(constraint))
}

/// A short description when `error` means "try again later". sqlx's own messages for these variants name
/// neither the URL nor the password, and server messages never contain the password.
fn unavailable_reason(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Some(error.to_string()),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            // 55P03: a lock not had within lock_timeout; 57014 (class 57): a statement past statement_timeout.
            let transient = ["08", "53", "57"].iter().any(|class| code.starts_with(class))
                || code == "55P03"
                || code == "40001"
                || code == "40P01";
            transient.then(|| format!("database error {code}: {}", db.message()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable_and_the_rest_unknown() {
        assert!(matches!(store_error(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(store_error(sqlx::Error::Io(refused)), StoreError::Unavailable(_)));
        assert!(matches!(store_error(sqlx::Error::RowNotFound), StoreError::Unknown(_)));
    }
}
