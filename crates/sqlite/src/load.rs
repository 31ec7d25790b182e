//! The webhook's read, one statement per load on a reader: whether its event id is known, the order it
//! names (by order id, else session, else payment intent) with its row version, and the kept events naming
//! the load's ids or the order's, oldest first. The commit checks that what was read still holds.

use crate::orders::order_json;
use payments_domain::Load;
use sqlx::SqlitePool;

const LOAD: &str = concat!(
    "WITH found AS ( \
         SELECT * FROM orders WHERE id = coalesce( \
             (SELECT id FROM orders WHERE id = ?2), \
             (SELECT id FROM orders WHERE checkout_session_id = ?3), \
             (SELECT id FROM orders WHERE payment_intent_id = ?4 LIMIT 1))) \
     SELECT json_object( \
         'known', json(CASE WHEN EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1) THEN 'true' ELSE 'false' END), \
         'order', json((SELECT ",
    order_json!(),
    " FROM found o)), \
         'kept', json((SELECT json_group_array(json_array(k.id, json(k.event))) FROM ( \
             SELECT k.id, k.event FROM stripe_events k \
             WHERE k.outcome = 'orphaned' AND k.id IS NOT ?1 \
               AND (k.order_ref IN (?2, ?5, (SELECT id FROM found)) \
                    OR k.session_id IN (?3, ?6, (SELECT checkout_session_id FROM found)) \
                    OR k.payment_intent_id IN (?4, ?7, (SELECT payment_intent_id FROM found))) \
             ORDER BY k.created_at, k.id) AS k)))"
);

/// One `LoadRow` per load, in order, read on one reader connection.
pub(crate) async fn load(reader: &SqlitePool, loads: &[Load]) -> Result<Vec<String>, sqlx::Error> {
    let mut conn = reader.acquire().await?;
    let mut rows = Vec::with_capacity(loads.len());
    for load in loads {
        let row: String = sqlx::query_scalar(LOAD)
            .bind(load.event_id.as_ref().map(|id| id.as_str()))
            .bind(load.find.order_id.map(|id| id.to_string()))
            .bind(load.find.session_id.as_ref().map(|id| id.as_str()))
            .bind(load.find.payment_intent_id.as_ref().map(|id| id.as_str()))
            .bind(load.also.order_id.map(|id| id.to_string()))
            .bind(load.also.session_id.as_ref().map(|id| id.as_str()))
            .bind(load.also.payment_intent_id.as_ref().map(|id| id.as_str()))
            .fetch_one(&mut *conn)
            .await?;
        rows.push(row);
    }
    Ok(rows)
}
