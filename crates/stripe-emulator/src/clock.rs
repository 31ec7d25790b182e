//! The emulator's clock: real time plus an offset that tests move forward.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds of real time, plus an offset moved by the control API.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    /// The emulator's time, in Unix seconds.
    pub fn now(&self) -> i64 {
        real_now() + self.offset()
    }

    /// How far the clock has been moved forward, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset_seconds.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `seconds` and returns the new time.
    pub fn advance(&self, seconds: i64) -> i64 {
        self.offset_seconds.fetch_add(seconds, Ordering::SeqCst);
        self.now()
    }

    /// Puts the clock back to real time.
    pub fn reset(&self) {
        self.offset_seconds.store(0, Ordering::SeqCst);
    }
}

/// Real Unix seconds (webhook signatures use real time: receivers check them against their own clock).
pub fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_and_reset_undoes_it() {
        let clock = Clock::default();
        let before = clock.now();
        let after = clock.advance(3600);
        assert!((3600..=3601).contains(&(after - before)));
        assert_eq!(clock.offset(), 3600);
        clock.reset();
        assert!(clock.now() - before <= 1);
    }
}
