//! Times as stored: fixed-width RFC 3339 text, so that comparing the text compares the times.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-01-02T03:04:05.678901Z`: always six fractional digits (Postgres' precision) and `Z`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_times_sort_as_text_in_time_order() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let later = whole + chrono::Duration::nanoseconds(1_500);
        assert_eq!(timestamp(whole), "2026-01-02T03:04:05.000000Z");
        assert_eq!(timestamp(later), "2026-01-02T03:04:05.000001Z");
        assert!(timestamp(whole) < timestamp(later));
    }
}
