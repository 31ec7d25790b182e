//! What became of a received event, as it is recorded beside it.

use crate::model::transition::Effect;
use std::fmt;
use std::str::FromStr;

/// What became of a received event. Stores keep it with the event; [`EventOutcome::as_str`] is its one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventOutcome {
    /// Applied to its order, which learnt something from it.
    Applied,
    /// Applied to its order, which knew it already (a repeat of what other events said).
    Ignored,
    /// It names another order, session or payment intent than the order found (recorded against that order), or
    /// it comes from another Stripe mode or account than the service takes (recorded against none): nothing
    /// changed.
    Refused,
    /// No order has any id it names yet: kept, and applied once one does.
    Orphaned,
    /// Its type changes no order: kept for the record only.
    Stored,
}

impl EventOutcome {
    /// Every outcome.
    pub const ALL: [EventOutcome; 5] = [
        EventOutcome::Applied,
        EventOutcome::Ignored,
        EventOutcome::Refused,
        EventOutcome::Orphaned,
        EventOutcome::Stored,
    ];

    /// How an event that had `effect` on its order is recorded.
    pub fn of(effect: &Effect) -> Self {
        match effect {
            Effect::Changed { .. } | Effect::Recorded => EventOutcome::Applied,
            Effect::Ignored => EventOutcome::Ignored,
            Effect::Refused { .. } => EventOutcome::Refused,
        }
    }

    /// The snake_case name, as stored and shown.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventOutcome::Applied => "applied",
            EventOutcome::Ignored => "ignored",
            EventOutcome::Refused => "refused",
            EventOutcome::Orphaned => "orphaned",
            EventOutcome::Stored => "stored",
        }
    }

    /// True for the outcomes of an event that is always recorded against an order.
    pub fn has_order(&self) -> bool {
        matches!(self, EventOutcome::Applied | EventOutcome::Ignored)
    }
}

impl fmt::Display for EventOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an [`EventOutcome`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an event outcome")]
pub struct UnknownOutcome(pub String);

impl FromStr for EventOutcome {
    type Err = UnknownOutcome;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        EventOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
            .ok_or_else(|| UnknownOutcome(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::order_status::OrderStatus;

    #[test]
    fn every_outcome_reads_back_from_its_name() {
        for outcome in EventOutcome::ALL {
            assert_eq!(outcome.as_str().parse::<EventOutcome>(), Ok(outcome));
        }
        assert!("applid".parse::<EventOutcome>().is_err());
    }

    #[test]
    fn an_effect_decides_how_its_event_is_recorded() {
        let changed = Effect::Changed { from: OrderStatus::Pending, to: OrderStatus::Paid };
        assert_eq!(EventOutcome::of(&changed), EventOutcome::Applied);
        assert_eq!(EventOutcome::of(&Effect::Recorded), EventOutcome::Applied);
        assert_eq!(EventOutcome::of(&Effect::Ignored), EventOutcome::Ignored);
        assert_eq!(EventOutcome::of(&Effect::Refused { reason: "x".to_owned() }), EventOutcome::Refused);
        assert!(EventOutcome::Ignored.has_order() && !EventOutcome::Orphaned.has_order());
    }
}
