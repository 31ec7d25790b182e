//! An in-memory [`OrderStore`] that keeps the port's promises, for tests of the services and of what
//! depends on them (feature `mocks`). It is not a product: it forgets everything when dropped.

use crate::model::event_outcome::EventOutcome;
use crate::model::ids::{CheckoutSessionId, EventId, OrderId, SubscriptionId};
use crate::model::order::Order;
use crate::model::outbox::{NoticeKind, NoticeSubject};
use crate::model::payment_event::{EventRefs, PaymentEvent};
use crate::model::plan::{Applied, Load, LoadedOrder, OrderWrite, RowVersion, Snapshot};
use crate::model::subscription::Subscription;
use crate::model::transition::Effect;
use crate::model::user::UserId;
use crate::ports::order_store::{
    Committed, InsertOrderError, OrderStore, Orphans, ReceivedEvent, StoreError, Write,
};
use crate::ports::subscription_store::{SubscriptionQuery, SubscriptionStore, SubscriptionWrite};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One recorded event, as [`MemoryStore`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// The event as received.
    pub received: ReceivedEvent,
    /// What became of it.
    pub outcome: EventOutcome,
    /// The order it was applied to.
    pub order_id: Option<OrderId>,
    /// What it did to that order.
    pub effect: Option<Effect>,
    /// When it was recorded.
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<OrderId, (Order, RowVersion)>,
    events: BTreeMap<EventId, RecordedEvent>,
    subscriptions: BTreeMap<SubscriptionId, (Subscription, RowVersion)>,
    notices: Vec<(NoticeSubject, NoticeKind)>,
}

/// Orders and events in memory, with row versions: see the module's doc.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every recorded event.
    pub fn events(&self) -> Vec<RecordedEvent> {
        self.lock().events.values().cloned().collect()
    }

    /// The recorded event `id`.
    pub fn event(&self, id: &EventId) -> Option<RecordedEvent> {
        self.lock().events.get(id).cloned()
    }

    /// The outbox entries written, in order: each subject and what it told of.
    pub fn notices(&self) -> Vec<(NoticeSubject, NoticeKind)> {
        self.lock().notices.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn find(&self, refs: &EventRefs) -> Option<&(Order, RowVersion)> {
        let by_id = refs.order_id.and_then(|id| self.orders.get(&id));
        let by = |matches: &dyn Fn(&Order) -> bool| self.orders.values().find(|(order, _)| matches(order));
        by_id
            .or_else(|| {
                refs.session_id.as_ref().and_then(|s| by(&|o: &Order| o.checkout_session_id() == Some(s)))
            })
            .or_else(|| {
                refs.payment_intent_id
                    .as_ref()
                    .and_then(|p| by(&|o: &Order| o.payment_intent_id() == Some(p)))
            })
    }

    /// Kept events naming any id of `refs`, except `except`.
    fn kept_naming<'a>(
        &'a self,
        refs: &'a [EventRefs],
        except: &'a [&EventId],
    ) -> impl Iterator<Item = &'a RecordedEvent> {
        self.events.values().filter(move |recorded| {
            let theirs = &recorded.received.event.refs;
            recorded.outcome == EventOutcome::Orphaned
                && !except.contains(&&recorded.received.event.id)
                && refs.iter().any(|ours| ours.shares_an_id_with(theirs))
        })
    }

    fn load(&self, load: &Load) -> Snapshot {
        let known = load.event_id.as_ref().is_some_and(|id| self.events.contains_key(id));
        let order = self.find(&load.find).cloned();
        let mut search = vec![load.find.clone(), load.also.clone()];
        if let Some((order, _)) = &order {
            search.push(order.refs());
        }
        let except: Vec<&EventId> = load.event_id.iter().collect();
        let mut kept: Vec<PaymentEvent> =
            self.kept_naming(&search, &except).map(|recorded| recorded.received.event.clone()).collect();
        kept.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Snapshot { known, order: order.map(|(order, version)| LoadedOrder { order, version }), kept }
    }

    fn commit(&mut self, write: Write, now: DateTime<Utc>) -> Committed {
        match write {
            Write::Event { received, outcome } => {
                if self.events.contains_key(&received.event.id) {
                    return Committed::Duplicate;
                }
                if outcome == EventOutcome::Orphaned && self.find(&received.event.refs).is_some() {
                    return Committed::Stale;
                }
                let id = received.event.id.clone();
                let recorded =
                    RecordedEvent { received, outcome, order_id: None, effect: None, received_at: now };
                self.events.insert(id, recorded);
                Committed::Done
            }
            Write::Order { received, write } => self.commit_order(received, *write, now),
        }
    }

    fn commit_order(
        &mut self,
        received: Option<ReceivedEvent>,
        write: OrderWrite,
        now: DateTime<Utc>,
    ) -> Committed {
        if received.as_ref().is_some_and(|received| self.events.contains_key(&received.event.id)) {
            return Committed::Duplicate;
        }
        let OrderWrite { order, version, event, adopted, notices } = write;
        let current = self.orders.get(&order.id()).map(|(_, version)| *version);
        let still_kept = adopted.iter().all(|applied| {
            self.events
                .get(&applied.event_id)
                .is_some_and(|recorded| recorded.outcome == EventOutcome::Orphaned)
        });
        let mut except: Vec<&EventId> = adopted.iter().map(|applied| &applied.event_id).collect();
        if let Some(received) = &received {
            except.push(&received.event.id);
        }
        let missed = self.kept_naming(&[order.refs()], &except).next().is_some();
        if current != Some(version) || !still_kept || missed {
            return Committed::Stale;
        }
        let order_id = order.id();
        self.orders.insert(order_id, (order, RowVersion(version.0 + 1)));
        self.notices.extend(notices.into_iter().map(|kind| (NoticeSubject::Order(order_id), kind)));
        let mark = |recorded: &mut RecordedEvent, applied: &Applied| {
            recorded.outcome = applied.outcome();
            recorded.order_id = Some(order_id);
            recorded.effect = Some(applied.effect.clone());
        };
        for applied in &adopted {
            if let Some(recorded) = self.events.get_mut(&applied.event_id) {
                mark(recorded, applied);
            }
        }
        if let (Some(received), Some(applied)) = (received, event) {
            let mut recorded = RecordedEvent {
                received,
                outcome: EventOutcome::Stored,
                order_id: None,
                effect: None,
                received_at: now,
            };
            mark(&mut recorded, &applied);
            self.events.insert(applied.event_id, recorded);
        }
        Committed::Done
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn insert_order(&self, order: &Order) -> Result<(), InsertOrderError> {
        let mut state = self.lock();
        if state.orders.contains_key(&order.id()) {
            return Err(InsertOrderError::Duplicate(order.id()));
        }
        state.orders.insert(order.id(), (order.clone(), RowVersion(1)));
        Ok(())
    }

    async fn find_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.lock().orders.get(&id).map(|(order, _)| order.clone()))
    }

    async fn find_order_by_session(&self, session: &CheckoutSessionId) -> Result<Option<Order>, StoreError> {
        let state = self.lock();
        let found = state.orders.values().find(|(order, _)| order.checkout_session_id() == Some(session));
        Ok(found.map(|(order, _)| order.clone()))
    }

    async fn list_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        let mut orders: Vec<Order> = self.lock().orders.values().map(|(order, _)| order.clone()).collect();
        orders.sort_by_key(|order| (order.created_at(), order.id()));
        orders.truncate(limit as usize);
        Ok(orders)
    }

    async fn list_orders_of_user(&self, user: &UserId, limit: u32) -> Result<Vec<Order>, StoreError> {
        let state = self.lock();
        let mut orders: Vec<Order> = state
            .orders
            .values()
            .filter(|(order, _)| order.user_id() == Some(user))
            .map(|(order, _)| order.clone())
            .collect();
        orders.sort_by_key(|order| std::cmp::Reverse((order.created_at(), order.id())));
        orders.truncate(limit as usize);
        Ok(orders)
    }

    async fn load(&self, loads: Vec<Load>) -> Result<Vec<Snapshot>, StoreError> {
        let state = self.lock();
        Ok(loads.iter().map(|load| state.load(load)).collect())
    }

    async fn commit(&self, writes: Vec<Write>, now: DateTime<Utc>) -> Result<Vec<Committed>, StoreError> {
        let mut state = self.lock();
        Ok(writes.into_iter().map(|write| state.commit(write, now)).collect())
    }

    async fn orphans_received_before(&self, before: DateTime<Utc>) -> Result<Orphans, StoreError> {
        let state = self.lock();
        let mut orphans: Vec<(DateTime<Utc>, &EventId)> = state
            .events
            .values()
            .filter(|recorded| recorded.outcome == EventOutcome::Orphaned && recorded.received_at < before)
            .map(|recorded| (recorded.received_at, &recorded.received.event.id))
            .collect();
        orphans.sort();
        Ok(Orphans {
            count: orphans.len() as u64,
            oldest: orphans.first().map(|(at, id)| ((*id).clone(), *at)),
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait]
impl SubscriptionStore for MemoryStore {
    async fn load_subscription(
        &self,
        id: &SubscriptionId,
    ) -> Result<Option<(Subscription, RowVersion)>, StoreError> {
        Ok(self.lock().subscriptions.get(id).cloned())
    }

    async fn commit_subscription(
        &self,
        write: SubscriptionWrite,
        now: DateTime<Utc>,
    ) -> Result<Committed, StoreError> {
        let mut state = self.lock();
        if state.events.contains_key(&write.received.event.id) {
            return Ok(Committed::Duplicate);
        }
        let id = write.subscription.id().clone();
        let current = state.subscriptions.get(&id).map(|(_, version)| *version);
        if current != write.version {
            return Ok(Committed::Stale);
        }
        let next = RowVersion(write.version.map_or(0, |version| version.0 + 1));
        let subject = NoticeSubject::Subscription(id.clone());
        state.notices.extend(write.notices.iter().map(|kind| (subject.clone(), *kind)));
        state.subscriptions.insert(id, (write.subscription, next));
        let recorded = RecordedEvent {
            received: write.received.clone(),
            outcome: write.outcome,
            order_id: None,
            effect: None,
            received_at: now,
        };
        state.events.insert(write.received.event.id, recorded);
        Ok(Committed::Done)
    }

    async fn list_subscriptions<'a>(
        &self,
        query: SubscriptionQuery<'a>,
    ) -> Result<Vec<(Subscription, Option<UserId>)>, StoreError> {
        let state = self.lock();
        let owner = |subscription: &Subscription| {
            subscription.state().and_then(|seen| seen.snapshot.links.user_id.clone())
        };
        let mut found: Vec<(Subscription, Option<UserId>)> = state
            .subscriptions
            .values()
            .filter(|(subscription, _)| subscription.state().is_some())
            .map(|(subscription, _)| (subscription.clone(), owner(subscription)))
            .filter(|(subscription, user)| match query {
                SubscriptionQuery::Id(id) => subscription.id() == id,
                SubscriptionQuery::All { .. } => true,
                SubscriptionQuery::OfUser { user: wanted, .. } => user.as_ref() == Some(wanted),
            })
            .collect();
        found.reverse();
        if let SubscriptionQuery::All { limit } | SubscriptionQuery::OfUser { limit, .. } = query {
            found.truncate(limit as usize);
        }
        Ok(found)
    }
}
