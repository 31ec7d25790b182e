//! One cycle of the webhook's writer: the planned changes waiting are committed, then the loads waiting are
//! loaded, in one call of `payments_cycle_notify` (migrations/postgres/0010_outbox.sql: `payments_cycle` of
//! 0005_planned_writes.sql, then the outbox entries of the writes it made) — or in one call per
//! round of changes that touch no id in common, the loads going with the last.

use crate::dialect::PgDialect;
use crate::locks::key;
use payments_domain::{Committed, Load};
use payments_sql_store::{Change, ChangeKind};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// The SQLSTATE `payments_cycle` raises when an event id turns out to be recorded only when inserting it:
/// the whole call is undone.
const RECORDED_MEANWHILE: &str = "PY001";

/// Commits `changes`, then loads `loads`, answering for each in order.
pub(crate) async fn cycle(
    dialect: &PgDialect,
    loads: &[Load],
    changes: &[Change],
) -> Result<(Vec<String>, Vec<Committed>), sqlx::Error> {
    let mut answers = vec![Committed::Stale; changes.len()];
    let mut rounds = rounds(changes);
    let last = rounds.pop().unwrap_or_default();
    for round in rounds {
        let members: Vec<&Change> = round.iter().map(|&n| &changes[n]).collect();
        let (_, answered) = call(dialect, &[], &members).await?;
        for (n, answer) in round.into_iter().zip(answered) {
            answers[n] = answer;
        }
    }
    let members: Vec<&Change> = last.iter().map(|&n| &changes[n]).collect();
    let (loaded, answered) = match call(dialect, loads, &members).await? {
        (Some(loaded), answered) => (loaded, answered),
        // The commit was undone: its changes are stale, and the loads are loaded again on their own.
        (None, answered) => (call(dialect, loads, &[]).await?.0.unwrap_or_default(), answered),
    };
    for (n, answer) in last.into_iter().zip(answered) {
        answers[n] = answer;
    }
    Ok((loaded, answers))
}

/// The changes (by position) in rounds of changes that share no id, each round in order. Two that share an id
/// would not see each other's writes within one statement; the later one goes into a later round, which sees
/// the earlier one's committed work.
fn rounds(changes: &[Change]) -> Vec<Vec<usize>> {
    let mut rounds: Vec<(BTreeSet<String>, Vec<usize>)> = Vec::new();
    for (n, change) in changes.iter().enumerate() {
        let ids = change.ids();
        // The first round after every round this change shares an id with.
        let after = rounds.iter().rposition(|(taken, _)| ids.iter().any(|id| taken.contains(id)));
        let target = after.map_or(0, |last| last + 1);
        match rounds.get_mut(target) {
            Some((taken, members)) => {
                taken.extend(ids);
                members.push(n);
            }
            None => rounds.push((ids.into_iter().collect(), vec![n])),
        }
    }
    rounds.into_iter().map(|(_, members)| members).collect()
}

/// The element's kind for `payments_cycle`: `plain` for the usual write (an order change with its event and no
/// adopted event), which it writes with a leaner statement.
fn kind(change: &Change) -> &'static str {
    match change.kind {
        ChangeKind::Order if change.event.is_some() && change.adopted.is_empty() => "plain",
        kind => kind.as_str(),
    }
}

/// One call of `payments_cycle` committing `members` (which share no id), then loading `loads`. Answers the
/// loaded rows (`None` when the call was undone because an event of `members` was recorded meanwhile: every
/// member is then stale) and each member's answer.
async fn call(
    dialect: &PgDialect,
    loads: &[Load],
    members: &[&Change],
) -> Result<(Option<Vec<String>>, Vec<Committed>), sqlx::Error> {
    let mut keys: Vec<i64> = members.iter().flat_map(|change| change.ids()).map(|id| key(&id)).collect();
    keys.sort_unstable();
    keys.dedup();
    let event = |pick: fn(&payments_sql_store::EventColumns) -> Option<&str>| {
        members.iter().map(|change| change.event.as_ref().and_then(pick)).collect::<Vec<_>>()
    };
    let order = |pick: fn(&payments_sql_store::OrderColumns) -> Option<&str>| {
        members.iter().map(|change| change.order.as_ref().and_then(pick)).collect::<Vec<_>>()
    };
    let adopted: Vec<(i32, &payments_sql_store::AdoptedColumns)> = members
        .iter()
        .zip(1..)
        .flat_map(|(change, n)| change.adopted.iter().map(move |adopted| (n, adopted)))
        .collect();
    let notices: Vec<(i32, &payments_sql_store::NoticeColumns)> = members
        .iter()
        .zip(1..)
        .flat_map(|(change, n)| change.notices.iter().map(move |notice| (n, notice)))
        .collect();
    let text = |pick: fn(&Load) -> Option<&str>| loads.iter().map(pick).collect::<Vec<_>>();
    let answers = sqlx::query_as::<_, (Option<Vec<String>>, Option<Vec<String>>)>(
        "SELECT answers, loaded FROM payments_cycle_notify($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                                                           $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
                                                           $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, \
                                                           $36, $37)",
    )
    .bind(keys)
    .bind(members.iter().map(|change| kind(change)).collect::<Vec<_>>())
    .bind(members.iter().map(|change| change.at).collect::<Vec<_>>())
    .bind(event(|e| Some(e.id.as_str())))
    .bind(event(|e| Some(e.event_type.as_str())))
    .bind(members.iter().map(|change| change.event.as_ref().map(|e| e.created)).collect::<Vec<_>>())
    .bind(event(|e| Some(&*e.payload)))
    .bind(event(|e| e.record.as_deref()))
    .bind(members.iter().map(|change| change.event.as_ref().and_then(|e| e.order_ref)).collect::<Vec<_>>())
    .bind(event(|e| e.session_id.as_deref()))
    .bind(event(|e| e.payment_intent_id.as_deref()))
    .bind(event(|e| Some(e.outcome.as_str())))
    .bind(event(|e| e.effect.as_deref()))
    .bind(members.iter().map(|change| change.order.as_ref().map(|o| o.id)).collect::<Vec<_>>())
    .bind(members.iter().map(|change| change.order.as_ref().map(|o| o.version)).collect::<Vec<_>>())
    .bind(order(|o| Some(o.status)))
    .bind(order(|o| o.failure_reason.as_deref()))
    .bind(order(|o| Some(o.facts.as_str())))
    .bind(order(|o| o.session_id.as_deref()))
    .bind(order(|o| o.payment_intent_id.as_deref()))
    .bind(members.iter().map(|change| change.order.as_ref().map(|o| o.updated_at)).collect::<Vec<_>>())
    .bind(
        members
            .iter()
            .map(|change| i32::try_from(change.adopted.len()).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(adopted.iter().map(|(n, _)| *n).collect::<Vec<_>>())
    .bind(adopted.iter().map(|(_, a)| a.id.as_str()).collect::<Vec<_>>())
    .bind(adopted.iter().map(|(_, a)| a.outcome.as_str()).collect::<Vec<_>>())
    .bind(adopted.iter().map(|(_, a)| a.effect.as_str()).collect::<Vec<_>>())
    .bind(text(|load| load.event_id.as_ref().map(|id| id.as_str())))
    .bind(loads.iter().map(|load| load.find.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
    .bind(text(|load| load.find.session_id.as_ref().map(|id| id.as_str())))
    .bind(text(|load| load.find.payment_intent_id.as_ref().map(|id| id.as_str())))
    .bind(loads.iter().map(|load| load.also.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
    .bind(text(|load| load.also.session_id.as_ref().map(|id| id.as_str())))
    .bind(text(|load| load.also.payment_intent_id.as_ref().map(|id| id.as_str())))
    .bind(notices.iter().map(|(n, _)| *n).collect::<Vec<_>>())
    .bind(notices.iter().map(|(_, notice)| notice.id).collect::<Vec<_>>())
    .bind(notices.iter().map(|(_, notice)| notice.kind).collect::<Vec<_>>())
    .bind(notices.iter().map(|(_, notice)| &*notice.payload).collect::<Vec<_>>())
    .fetch_one(&dialect.pool)
    .await;
    dialect.counts.calls.fetch_add(1, Ordering::Relaxed);
    dialect.counts.writes.fetch_add(members.len() as u64, Ordering::Relaxed);
    let (answers, loaded) = match answers {
        Ok((answers, loaded)) => (answers.unwrap_or_default(), loaded.unwrap_or_default()),
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some(RECORDED_MEANWHILE) => {
            tracing::debug!("an event of the group was recorded meanwhile; the group is planned again");
            return Ok((None, vec![Committed::Stale; members.len()]));
        }
        Err(error) => return Err(error),
    };
    if loaded.len() != loads.len() {
        return Err(sqlx::Error::Protocol(format!(
            "payments_cycle loaded {} rows for {} loads",
            loaded.len(),
            loads.len()
        )));
    }
    if answers.len() != members.len() {
        return Err(sqlx::Error::Protocol(format!(
            "payments_cycle answered {} times for {} writes",
            answers.len(),
            members.len()
        )));
    }
    let answers = answers
        .iter()
        .map(|answer| match answer.as_str() {
            "done" => Ok(Committed::Done),
            "duplicate" => Ok(Committed::Duplicate),
            "stale" => Ok(Committed::Stale),
            "busy" => Ok(Committed::Busy),
            other => Err(sqlx::Error::Protocol(format!("payments_cycle answered {other:?}"))),
        })
        .collect::<Result<_, _>>()?;
    Ok((Some(loaded), answers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use payments_domain::EventOutcome;
    use payments_sql_store::EventColumns;

    fn stored(id: &str, pi: Option<&str>) -> Change {
        Change {
            kind: ChangeKind::Stored,
            at: Utc::now(),
            event: Some(EventColumns {
                id: id.to_owned(),
                event_type: "x".to_owned(),
                created: Utc::now(),
                payload: "{}".into(),
                order_ref: None,
                session_id: None,
                payment_intent_id: pi.map(str::to_owned),
                outcome: EventOutcome::Stored,
                effect: None,
                record: None,
            }),
            order: None,
            adopted: Vec::new(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn changes_sharing_an_id_go_into_later_rounds_in_order() {
        let changes = [
            stored("evt_1", Some("pi_1")),
            stored("evt_2", Some("pi_2")),
            stored("evt_3", Some("pi_1")),
            stored("evt_1", None),
            stored("evt_4", None),
        ];
        assert_eq!(rounds(&changes), vec![vec![0, 1, 4], vec![2, 3]]);
        assert_eq!(rounds(&changes[..2]), vec![vec![0, 1]]);
    }
}
