//! The webhook's write, for a group of planned changes: one call of `payments_commit`
//! (migrations/postgres/0005_commit_planned_writes.sql) per round of changes that touch no id in common.

use crate::dialect::PgDialect;
use crate::locks::key;
use payments_domain::Committed;
use payments_sql_store::Change;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// The SQLSTATE `payments_commit` raises when an event id turns out to be recorded only when inserting it:
/// the whole call is undone.
const RECORDED_MEANWHILE: &str = "PY001";

/// Commits `changes`, answering for each in order.
pub(crate) async fn commit(dialect: &PgDialect, changes: &[Change]) -> Result<Vec<Committed>, sqlx::Error> {
    let mut answers = vec![Committed::Stale; changes.len()];
    for round in rounds(changes) {
        let members: Vec<&Change> = round.iter().map(|&n| &changes[n]).collect();
        let answered = call(dialect, &members).await?;
        for (n, answer) in round.into_iter().zip(answered) {
            answers[n] = answer;
        }
    }
    Ok(answers)
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

/// One call of `payments_commit` for `members`, which share no id.
async fn call(dialect: &PgDialect, members: &[&Change]) -> Result<Vec<Committed>, sqlx::Error> {
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
    let answers = sqlx::query_scalar::<_, Vec<String>>(
        "SELECT payments_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                                $19, $20, $21, $22, $23, $24, $25, $26)",
    )
    .bind(keys)
    .bind(members.iter().map(|change| change.kind.as_str()).collect::<Vec<_>>())
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
    .fetch_one(&dialect.pool)
    .await;
    dialect.counts.calls.fetch_add(1, Ordering::Relaxed);
    dialect.counts.writes.fetch_add(members.len() as u64, Ordering::Relaxed);
    let answers = match answers {
        Ok(answers) => answers,
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some(RECORDED_MEANWHILE) => {
            tracing::debug!("an event of the group was recorded meanwhile; the group is planned again");
            return Ok(vec![Committed::Stale; members.len()]);
        }
        Err(error) => return Err(error),
    };
    if answers.len() != members.len() {
        return Err(sqlx::Error::Protocol(format!(
            "payments_commit answered {} times for {} writes",
            answers.len(),
            members.len()
        )));
    }
    answers
        .iter()
        .map(|answer| match answer.as_str() {
            "done" => Ok(Committed::Done),
            "duplicate" => Ok(Committed::Duplicate),
            "stale" => Ok(Committed::Stale),
            other => Err(sqlx::Error::Protocol(format!("payments_commit answered {other:?}"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use payments_domain::EventOutcome;
    use payments_sql_store::{ChangeKind, EventColumns};

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
