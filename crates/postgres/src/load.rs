//! The webhook's read, for a group of loads in one query: for each, in order, whether its event id is known,
//! the order it names (by order id, else session, else payment intent) with its row version, and the kept
//! events naming the load's ids or the order's, oldest first. No lock is taken: `payments_commit` checks
//! that what was read still holds.

use crate::orders::order_json;
use payments_domain::Load;
use sqlx::PgPool;

const LOAD: &str = concat!(
    "SELECT json_build_object( \
         'known', EXISTS (SELECT 1 FROM stripe_events WHERE id = ev.event_id), \
         'order', CASE WHEN o.id IS NULL THEN NULL ELSE ",
    order_json!(),
    " END, \
         'kept', (SELECT coalesce(json_agg(json_build_array(k.id, k.event) ORDER BY k.created_at, k.id), '[]') \
                  FROM stripe_events k \
                  WHERE k.outcome = 'orphaned' AND k.id IS DISTINCT FROM ev.event_id \
                    AND (k.order_ref = ANY (ARRAY[ev.order_ref, ev.also_order, o.id]) \
                         OR k.session_id = ANY (ARRAY[ev.session_id, ev.also_session, o.checkout_session_id]) \
                         OR k.payment_intent_id = ANY (ARRAY[ev.payment_intent_id, ev.also_intent, \
                                                             o.payment_intent_id]))))::text \
     FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[]) \
          WITH ORDINALITY AS ev(event_id, order_ref, session_id, payment_intent_id, also_order, also_session, \
                                also_intent, n) \
     LEFT JOIN LATERAL ( \
         SELECT orders.*, orders.xmin FROM orders WHERE id = coalesce( \
             (SELECT id FROM orders WHERE id = ev.order_ref), \
             (SELECT id FROM orders WHERE checkout_session_id = ev.session_id), \
             (SELECT id FROM orders WHERE payment_intent_id = ev.payment_intent_id LIMIT 1))) AS o ON true \
     ORDER BY ev.n"
);

/// One `LoadRow` per load, in order.
pub(crate) async fn load(pool: &PgPool, loads: &[Load]) -> Result<Vec<String>, sqlx::Error> {
    let text = |pick: fn(&Load) -> Option<&str>| loads.iter().map(pick).collect::<Vec<_>>();
    sqlx::query_scalar(LOAD)
        .bind(text(|load| load.event_id.as_ref().map(|id| id.as_str())))
        .bind(loads.iter().map(|load| load.find.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
        .bind(text(|load| load.find.session_id.as_ref().map(|id| id.as_str())))
        .bind(text(|load| load.find.payment_intent_id.as_ref().map(|id| id.as_str())))
        .bind(loads.iter().map(|load| load.also.order_id.map(|id| id.as_uuid())).collect::<Vec<_>>())
        .bind(text(|load| load.also.session_id.as_ref().map(|id| id.as_str())))
        .bind(text(|load| load.also.payment_intent_id.as_ref().map(|id| id.as_str())))
        .fetch_all(pool)
        .await
}
