//! Short (`make test`) or full (`FAULTS_FULL=1`, `make faults`) versions of the tests.

/// True when `FAULTS_FULL=1`: thousands of events and the faults' full durations.
pub fn full() -> bool {
    match std::env::var("FAULTS_FULL").as_deref() {
        Ok("1") => true,
        Ok("0") | Ok("") | Err(_) => false,
        Ok(other) => panic!("FAULTS_FULL must be 1 (the full fault tests) or 0, not {other:?}"),
    }
}

/// `short` in the short versions, `full` in the full ones.
pub fn pick<T>(short: T, full: T) -> T {
    if self::full() {
        full
    } else {
        short
    }
}

/// Which version runs, for the figures.
pub fn label() -> &'static str {
    pick("short", "full")
}
