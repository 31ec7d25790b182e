//! Each test's figures, printed on one line (to stderr, directly, so that they show in a passing run too).

use crate::deliver::{Answer, Attempt, Report};
use crate::verify::Verdict;
use std::io::Write;
use std::time::Duration;

/// A span of the run (from its start) during which a fault was in place.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// When the fault was injected.
    pub from: Duration,
    /// When it was removed.
    pub to: Duration,
}

impl Window {
    /// The attempts of `report` that were waiting for their answer at some moment of the window.
    pub fn attempts<'a>(&self, report: &'a Report) -> impl Iterator<Item = &'a Attempt> + 'a {
        let (from, to) = (self.from, self.to);
        report.attempts.iter().filter(move |attempt| attempt.at < to && attempt.end() > from)
    }

    /// The attempts whose HTTP answer came within the window.
    pub fn answered<'a>(&self, report: &'a Report) -> impl Iterator<Item = &'a Attempt> + 'a {
        let (from, to) = (self.from, self.to);
        report.answers().filter(move |attempt| attempt.end() >= from && attempt.end() <= to)
    }

    /// The attempts that began and ended within the window.
    pub fn inside<'a>(&self, report: &'a Report) -> impl Iterator<Item = &'a Attempt> + 'a {
        let (from, to) = (self.from, self.to);
        report.attempts.iter().filter(move |attempt| attempt.at >= from && attempt.end() <= to)
    }
}

/// The longest answer (an HTTP answer, whatever its status) among `attempts`.
pub fn longest<'a>(attempts: impl Iterator<Item = &'a Attempt>) -> Duration {
    attempts.filter(|a| matches!(a.answer, Answer::Http { .. })).map(|a| a.took).max().unwrap_or_default()
}

/// Prints `fault figures: {test} ({short|full}): ...` with the counts of `report` and `verdict`, the number of
/// faults injected, and the longest answer during `windows` and overall; `extra` is appended.
pub fn print(test: &str, report: &Report, verdict: &Verdict, windows: &[Window], extra: &str) {
    let duplicates = report.deliveries.len() - verdict.events;
    let answered_duplicate = report
        .answers()
        .filter(|a| matches!(&a.answer, Answer::Http { outcome: Some(o), .. } if o == "duplicate"))
        .count();
    let unavailable = report.answers().filter(|a| a.answer.unavailable()).count();
    let failed = report.attempts.iter().filter(|a| matches!(a.answer, Answer::Failed { .. })).count();
    let during = windows
        .iter()
        .map(|window| {
            if window.attempts(report).any(|a| matches!(a.answer, Answer::Http { .. })) {
                ms(longest(window.attempts(report)))
            } else {
                "none (no answer)".to_owned()
            }
        })
        .collect::<Vec<_>>();
    let line = format!(
        "fault figures: {test} ({}): {} events delivered ({} deliveries, {duplicates} duplicates sent, \
         {answered_duplicate} answered duplicate; {} attempts: {unavailable} answered 503, {failed} without an \
         answer), {} faults injected, {} events lost, {} events applied twice, longest webhook answer during \
         the fault {}, overall {}{}{extra}",
        crate::scale::label(),
        verdict.events,
        report.deliveries.len(),
        report.attempts.len(),
        windows.len(),
        verdict.lost,
        verdict.applied_twice,
        if during.is_empty() { "-".to_owned() } else { during.join(" / ") },
        ms(longest(report.attempts.iter())),
        if extra.is_empty() { "" } else { "; " },
    );
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `1234 ms`.
pub fn ms(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

/// The `p`-quantile (0 to 1) of `durations`.
pub fn quantile(durations: &[Duration], p: f64) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}
