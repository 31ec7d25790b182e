//! The storage contract: what every storage adapter must do for the
//! [`OrderStore`](payments_domain::OrderStore), [`CatalogStore`](payments_domain::CatalogStore) and
//! [`CustomerStore`](payments_domain::CustomerStore) ports, written once against the ports and run on each
//! adapter.
//!
//! An adapter's test crate implements [`Harness`] (a fresh, empty, migrated store, and a way to read the
//! rows the ports do not expose) and expands [`store_contract_tests!`], which turns every case in [`cases`]
//! into one `#[tokio::test]`:
//!
//! ```ignore
//! struct Sqlite { /* ... */ }
//! #[async_trait::async_trait]
//! impl payments_store_contract::Harness for Sqlite { /* ... */ }
//! payments_store_contract::store_contract_tests!(Sqlite);
//! ```

pub mod cases;
pub mod fixtures;
mod harness;

pub use harness::{Harness, LegacyRows, StoredEvent};

/// Expands to one `#[tokio::test]` per contract case, each on a fresh `$harness` (a type implementing
/// [`Harness`]). The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) among its
/// dev-dependencies. A new case in [`cases`] must be named here too.
#[macro_export]
macro_rules! store_contract_tests {
    ($harness:ty) => {
        $crate::store_contract_tests!(@cases $harness;
            an_inserted_order_reads_back_as_it_was_saved,
            inserting_an_existing_order_id_is_a_duplicate_and_keeps_the_first,
            orders_are_listed_oldest_first_ties_by_id_up_to_the_limit,
            orders_inserted_at_once_each_land_whole_and_a_duplicate_among_them_is_refused_alone,
            an_order_with_a_user_and_catalog_items_reads_back_as_it_was_saved,
            a_users_orders_are_listed_newest_first_ties_by_id_up_to_the_limit,
            the_store_answers_a_ping,
            each_order_change_writes_its_outbox_entries_with_it_in_sequence,
            a_change_that_does_not_commit_writes_no_outbox_entry,
            due_entries_are_claimed_first_per_order_leased_retried_and_redelivered,
            the_feed_reads_every_entry_once_in_order_from_any_cursor,
            two_instances_claiming_at_once_never_claim_one_entry_twice,
            the_backlog_counts_pending_and_dead_entries_and_the_oldest_pending,
            the_reconciliation_watermark_only_moves_forward,
            pending_orders_are_listed_oldest_first_when_older_than_asked,
            an_order_is_found_by_its_checkout_session_once_attached,
            attaching_a_second_session_to_an_order_is_refused,
            checkout_writes_to_an_unknown_order_are_not_found,
            a_failed_checkout_leaves_the_order_canceled,
            a_paid_checkout_event_is_recorded_and_applied_together,
            an_event_delivered_twice_is_applied_once_and_stored_once,
            an_unknown_event_type_is_stored_without_touching_orders,
            an_event_for_another_session_is_refused_and_changes_nothing,
            a_refused_event_is_stored_once_without_an_order_and_its_body_byte_for_byte,
            orphans_received_before_a_time_are_counted_and_the_oldest_named,
            an_event_naming_an_unattached_session_is_kept_then_applied_on_attach,
            an_event_naming_an_order_not_yet_created_is_kept_then_applied_on_attach,
            a_refund_naming_only_its_payment_intent_is_adopted_by_the_payment,
            a_load_finds_the_order_and_the_kept_events_naming_its_ids_oldest_first,
            a_write_planned_on_a_version_the_order_no_longer_has_is_stale_and_writes_nothing,
            a_write_of_an_event_recorded_meanwhile_is_a_duplicate_and_writes_nothing,
            a_kept_event_is_stale_once_an_order_has_an_id_it_names,
            an_order_write_is_stale_when_a_kept_event_naming_the_order_was_missed,
            an_order_write_is_stale_when_an_event_it_adopts_is_no_longer_kept,
            writes_committed_together_are_each_all_or_nothing,
            rows_stored_before_record_types_still_load_and_a_kept_one_is_adopted,
            one_event_delivered_32_times_at_once_is_applied_once,
            thirty_two_distinct_webhooks_at_once_all_succeed_and_converge,
            checkouts_and_their_webhooks_at_once_all_succeed_and_pay,
            a_new_product_reads_back_with_its_prices_in_catalog_order_and_no_stripe_ids,
            upserting_by_sku_updates_the_product_and_keeps_its_stripe_ids,
            a_price_whose_terms_changed_loses_its_stripe_price_id,
            products_are_listed_by_sku,
            catalog_writes_are_seen_at_once_by_their_store_and_soon_by_another,
            recording_a_stripe_id_for_an_unknown_product_or_price_fails,
            a_stripe_id_recorded_for_one_product_or_price_is_refused_for_another,
            a_user_without_a_customer_has_no_customer,
            the_first_customer_stored_for_a_user_wins,
            thirty_two_first_customers_of_one_user_at_once_store_one,
            a_stripe_customer_of_one_user_is_refused_for_another,
            subscription_events_build_one_record_newest_first_each_event_stored_once,
            a_subscription_write_on_a_stale_version_writes_nothing,
            each_subscription_change_writes_its_outbox_entries_with_it_in_sequence,
            a_subscription_belongs_to_the_user_of_its_customer_when_its_checkout_named_none,
            sixteen_events_of_one_subscription_at_once_all_succeed_and_keep_the_newest,
        );
    };
    (@cases $harness:ty; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let harness = <$harness as $crate::Harness>::fresh().await;
                $crate::cases::$case(&harness).await;
            }
        )*
    };
}
