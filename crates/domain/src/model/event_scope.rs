//! Which Stripe events the service takes: those of its own mode (test or live), from its own account or a
//! connected account it was told about. Any other event is recorded as refused and changes nothing.

/// Which Stripe mode and account an event comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOrigin {
    /// Stripe's `livemode`: sent by a live account (real money), not a test one.
    pub livemode: bool,
    /// Stripe's `account`: the connected account it happened on, for a platform's endpoint.
    pub account: Option<String>,
}

/// The events a deployment takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventScope {
    /// Live mode (a live key), or test mode.
    pub livemode: bool,
    /// Connected accounts whose events it takes, besides its own.
    pub connected_accounts: Vec<String>,
}

impl EventScope {
    /// Why an event from `origin` is not taken, or `None` when it is.
    pub fn refusal(&self, origin: &EventOrigin) -> Option<String> {
        if origin.livemode != self.livemode {
            let (event, service) = if origin.livemode { ("live", "test") } else { ("test", "live") };
            return Some(format!("a {event}-mode event sent to a {service}-mode service"));
        }
        match &origin.account {
            Some(account) if !self.connected_accounts.iter().any(|taken| taken == account) => {
                Some(format!("an event of connected account {account}, which is not configured"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(livemode: bool, account: Option<&str>) -> EventOrigin {
        EventOrigin { livemode, account: account.map(str::to_owned) }
    }

    #[test]
    fn only_the_services_mode_and_configured_accounts_are_taken() {
        let test = EventScope::default();
        let live = EventScope { livemode: true, connected_accounts: vec!["acct_1Known".to_owned()] };
        assert_eq!(test.refusal(&origin(false, None)), None);
        assert_eq!(live.refusal(&origin(true, None)), None);
        assert_eq!(live.refusal(&origin(true, Some("acct_1Known"))), None);
        assert_eq!(
            live.refusal(&origin(false, None)).as_deref(),
            Some("a test-mode event sent to a live-mode service")
        );
        assert_eq!(
            test.refusal(&origin(true, None)).as_deref(),
            Some("a live-mode event sent to a test-mode service")
        );
        assert!(test.refusal(&origin(false, Some("acct_1Known"))).unwrap().contains("acct_1Known"));
        assert!(live.refusal(&origin(false, Some("acct_1Known"))).is_some(), "the mode is checked too");
    }
}
