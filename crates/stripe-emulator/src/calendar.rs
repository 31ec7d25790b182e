//! Billing periods in UTC: adding days, weeks, months or years to a Unix time as Stripe bills them.
//!
//! A month is a calendar month from the billing anchor, with the day clamped to the month's length
//! (anchored on the 31st, periods end on Feb 28 or 29, Mar 31, Apr 30…). Periods are always counted from
//! the anchor, so a clamped month does not shift the ones after it.

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`): (year, month 1–12, day 1–31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let next =
        if month == 12 { days_from_civil(year + 1, 1, 1) } else { days_from_civil(year, month + 1, 1) };
    next - days_from_civil(year, month, 1)
}

fn add_months(at: i64, months: i64) -> i64 {
    let days = at.div_euclid(DAY);
    let time_of_day = at.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(days);
    let total = year * 12 + (month - 1) + months;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let day = day.min(days_in_month(year, month));
    days_from_civil(year, month, day) * DAY + time_of_day
}

/// `anchor` plus `periods` × `interval_count` of `interval` (`day`, `week`, `month` or `year`).
pub fn add_intervals(anchor: i64, interval: &str, interval_count: i64, periods: i64) -> i64 {
    let n = interval_count.saturating_mul(periods);
    match interval {
        "day" => anchor.saturating_add(n.saturating_mul(DAY)),
        "week" => anchor.saturating_add(n.saturating_mul(7 * DAY)),
        "year" => add_months(anchor, n.saturating_mul(12)),
        _ => add_months(anchor, n),
    }
}

/// `2024-01-31`: the UTC date of a Unix time, for pages.
pub fn date(at: i64) -> String {
    let (year, month, day) = civil_from_days(at.div_euclid(DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-31T10:00:00Z
    const JAN_31_2024: i64 = 1_706_695_200;

    #[test]
    fn dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_753, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_753), (2024, 1, 31));
        assert_eq!(date(JAN_31_2024), "2024-01-31");
    }

    #[test]
    fn months_clamp_to_the_month_and_count_from_the_anchor() {
        let feb = add_intervals(JAN_31_2024, "month", 1, 1);
        assert_eq!(civil_from_days(feb / DAY), (2024, 2, 29));
        assert_eq!(feb % DAY, JAN_31_2024 % DAY, "the time of day is kept");
        let mar = add_intervals(JAN_31_2024, "month", 1, 2);
        assert_eq!(civil_from_days(mar / DAY), (2024, 3, 31));
        let quarter = add_intervals(JAN_31_2024, "month", 3, 1);
        assert_eq!(civil_from_days(quarter / DAY), (2024, 4, 30));
        let next_year = add_intervals(JAN_31_2024, "year", 1, 1);
        assert_eq!(civil_from_days(next_year / DAY), (2025, 1, 31));
        let leap_day = days_from_civil(2024, 2, 29) * DAY;
        assert_eq!(civil_from_days(add_intervals(leap_day, "year", 1, 1) / DAY), (2025, 2, 28));
    }

    #[test]
    fn days_and_weeks_are_fixed_lengths() {
        assert_eq!(add_intervals(JAN_31_2024, "day", 3, 2), JAN_31_2024 + 6 * DAY);
        assert_eq!(add_intervals(JAN_31_2024, "week", 2, 1), JAN_31_2024 + 14 * DAY);
    }
}
