//! sqlx failures translated to the port's [`StoreError`].

use payments_domain::StoreError;
use sqlx::error::ErrorKind;

/// SQLite's primary result codes that mean "try again later" (<https://sqlite.org/rescode.html>): the file
/// is locked by another process past the busy timeout, memory or disk ran out, the disk failed, or the file
/// cannot be opened.
const TRANSIENT: [(i32, &str); 7] = [
    (5, "SQLITE_BUSY"),
    (6, "SQLITE_LOCKED"),
    (7, "SQLITE_NOMEM"),
    (10, "SQLITE_IOERR"),
    (13, "SQLITE_FULL"),
    (14, "SQLITE_CANTOPEN"),
    (15, "SQLITE_PROTOCOL"),
];

/// Translates a sqlx failure: the pool or file cannot serve now → [`StoreError::Unavailable`] (retrying may
/// succeed); anything else → [`StoreError::Unknown`].
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match unavailable_reason(&error) {
        Some(reason) => StoreError::Unavailable(reason),
        None => StoreError::Unknown(anyhow::Error::new(error)),
    }
}

/// True when `error` is a unique violation of `table.column` (SQLite names no constraint, only the columns:
/// `UNIQUE constraint failed: prices.stripe_price_id`).
pub(crate) fn is_unique_violation(error: &sqlx::Error, column: &str) -> bool {
    let sqlx::Error::Database(db) = error else { return false };
    let columns = db.message().rsplit(": ").next().unwrap_or_default();
    db.kind() == ErrorKind::UniqueViolation && columns.split(", ").any(|named| named == column)
}

/// A short description when `error` means "try again later".
fn unavailable_reason(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => Some(error.to_string()),
        sqlx::Error::Database(db) => {
            // sqlx reports the extended result code; its low byte is the primary code.
            let code: i32 = db.code()?.parse().ok()?;
            let (_, name) = TRANSIENT.iter().find(|(primary, _)| *primary == code & 0xff)?;
            Some(format!("database error {name}: {}", db.message()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_failures_are_unavailable_and_the_rest_unknown() {
        assert!(matches!(store_error(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        let gone = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert!(matches!(store_error(sqlx::Error::Io(gone)), StoreError::Unavailable(_)));
        assert!(matches!(store_error(sqlx::Error::RowNotFound), StoreError::Unknown(_)));
    }
}
