//! The Create Checkout Session request for an order: what Stripe is asked to collect, and how the
//! resulting session and payment point back at the order.

use payments_domain::{CheckoutRequest, Interval, LineItem, Recurring, SubscriptionLinks};
use std::collections::HashMap;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval, CreateCheckoutSessionPaymentIntentData,
    CreateCheckoutSessionSubscriptionData, ProductData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_types::Currency;

/// The metadata key that carries our order id on sessions and payment intents; webhook parsing reads it back.
pub(crate) const ORDER_ID_METADATA_KEY: &str = "order_id";

/// Stripe's longest (and default) session lifetime: an `expires_at` this far after the order was created is
/// left out, so a clock a little ahead of Stripe's never makes it "more than 24 hours" from the session's
/// creation (Stripe refuses that).
const LONGEST_SESSION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// A session for the request's order: one line per item, naming its synced Stripe price or else described
/// inline, the user's Stripe customer when the
/// request names one (else the order's email, as `customer_email`: Stripe refuses both), the redirect URLs as
/// given, the expiry (`expires_at`, unless it is Stripe's default of 24 hours), and the order id as metadata and
/// as client reference. A payment-mode session puts the order id on
/// its payment intent too; a subscription-mode one (the request names a subscription) gives its recurring line
/// the schedule and puts the subscription's links in the subscription's metadata.
pub(crate) fn checkout_session_form(request: &CheckoutRequest) -> CreateCheckoutSession {
    let order = &request.order;
    let order_id = order.id().to_string();
    let metadata = HashMap::from([(ORDER_ID_METADATA_KEY.to_owned(), order_id.clone())]);
    let mut lines: Vec<CreateCheckoutSessionLineItems> = order
        .items()
        .iter()
        .enumerate()
        .map(|(index, item)| match request.line_prices.get(index).and_then(Option::as_ref) {
            Some(price) => synced_line(price.as_str(), item),
            None => line_item(item),
        })
        .collect();
    let form = match &request.subscription {
        None => {
            let mut payment_intent_data = CreateCheckoutSessionPaymentIntentData::new();
            payment_intent_data.metadata = Some(metadata.clone());
            CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Payment)
                .payment_intent_data(payment_intent_data)
        }
        Some(subscription) => {
            if let Some(price) = lines.get_mut(subscription.line).and_then(|line| line.price_data.as_mut()) {
                price.recurring = Some(recurring(subscription.recurring));
            }
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(subscription_metadata(&subscription.links));
            data.trial_period_days = subscription.trial_period_days;
            CreateCheckoutSession::new().mode(CheckoutSessionMode::Subscription).subscription_data(data)
        }
    };
    let form = form.line_items(lines);
    let form = match &request.customer {
        Some(customer) => form.customer(customer.as_str()),
        None => form.customer_email(order.email().as_str()),
    };
    let form = match request.expires_at - order.created_at() {
        lifetime if lifetime >= LONGEST_SESSION => form,
        _ => form.expires_at(request.expires_at.timestamp()),
    };
    form
        // Kept verbatim: Stripe substitutes `{CHECKOUT_SESSION_ID}` itself.
        .success_url(request.success_url.as_str())
        .cancel_url(request.cancel_url.as_str())
        .client_reference_id(order_id)
        .metadata(metadata)
}

fn recurring(recurring: Recurring) -> CreateCheckoutSessionLineItemsPriceDataRecurring {
    use CreateCheckoutSessionLineItemsPriceDataRecurringInterval as Unit;
    let interval = match recurring.interval {
        Interval::Day => Unit::Day,
        Interval::Week => Unit::Week,
        Interval::Month => Unit::Month,
        Interval::Year => Unit::Year,
    };
    CreateCheckoutSessionLineItemsPriceDataRecurring {
        interval,
        interval_count: Some(u64::from(recurring.interval_count)),
    }
}

/// The subscription's metadata: what its events need to say whose it is and what it sells.
fn subscription_metadata(links: &SubscriptionLinks) -> HashMap<String, String> {
    let pairs = [
        (crate::billing_parser::USER_ID_METADATA_KEY, links.user_id.as_ref().map(|u| u.as_str().to_owned())),
        (ORDER_ID_METADATA_KEY, links.order_id.map(|o| o.to_string())),
        (crate::billing_parser::SKU_METADATA_KEY, links.sku.as_ref().map(|s| s.as_str().to_owned())),
        (crate::billing_parser::PRICE_METADATA_KEY, links.price_key.as_ref().map(|p| p.as_str().to_owned())),
    ];
    pairs.into_iter().filter_map(|(key, value)| Some((key.to_owned(), value?))).collect()
}

/// A line naming the Stripe price the catalog was synced to (Stripe's reports and tax then see the real price).
fn synced_line(price: &str, item: &LineItem) -> CreateCheckoutSessionLineItems {
    let mut line = CreateCheckoutSessionLineItems::new();
    line.price = Some(price.to_owned());
    line.quantity = Some(u64::from(item.quantity()));
    line
}

fn line_item(item: &LineItem) -> CreateCheckoutSessionLineItems {
    let mut product = ProductData::new(item.name());
    product.images = item.image_url().map(|url| vec![url.to_string()]);

    let unit = item.unit_amount();
    // Infallible: every code is accepted, unknown ones are sent as written.
    let currency: Currency = unit.currency().as_str().parse().unwrap_or_else(|never| match never {});
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(unit.minor());
    price.product_data = Some(product);

    let mut line = CreateCheckoutSessionLineItems::new();
    line.price_data = Some(price);
    line.quantity = Some(u64::from(item.quantity()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use payments_domain::{Currency as DomainCurrency, CustomerId, Email, Money, Order, OrderId};
    use stripe::StripeRequest;

    fn request() -> CheckoutRequest {
        let eur = DomainCurrency::parse("eur").unwrap();
        let items = vec![
            LineItem::new("Mug", Money::new(1250, eur).unwrap(), 2, Some("https://cdn.example.com/mug.png"))
                .unwrap(),
            LineItem::new("Tea & biscuits", Money::new(300, eur).unwrap(), 1, None).unwrap(),
        ];
        let order =
            Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), items, Utc::now())
                .unwrap();
        CheckoutRequest {
            expires_at: order.created_at() + chrono::TimeDelta::hours(2),
            order,
            success_url: "https://shop.example/ok?session={CHECKOUT_SESSION_ID}&x=1".into(),
            cancel_url: "https://shop.example/cancel".into(),
            idempotency_key: "checkout-1".into(),
            customer: None,
            subscription: None,
            line_prices: vec![],
        }
    }

    fn form_pairs(request: &CheckoutRequest) -> HashMap<String, String> {
        let body = checkout_session_form(request).build().body.expect("a POST has a form body");
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
    }

    #[test]
    fn a_synced_line_names_its_stripe_price_and_the_others_stay_inline() {
        let mut request = request();
        request.line_prices = vec![None, Some(payments_domain::StripePriceId::parse("price_tea").unwrap())];
        let form = form_pairs(&request);
        assert_eq!(form.get("line_items[0][price_data][unit_amount]").map(String::as_str), Some("1250"));
        assert_eq!(form.get("line_items[1][price]").map(String::as_str), Some("price_tea"));
        assert_eq!(form.get("line_items[1][quantity]").map(String::as_str), Some("1"));
        assert!(!form.keys().any(|key| key.starts_with("line_items[1][price_data]")), "{form:?}");
    }

    #[test]
    fn the_form_describes_every_item_and_points_back_at_the_order() {
        let request = request();
        let form = form_pairs(&request);
        let order_id = request.order.id().to_string();
        let expect =
            |key: &str, value: &str| assert_eq!(form.get(key).map(String::as_str), Some(value), "{key}");

        expect("mode", "payment");
        expect("line_items[0][price_data][currency]", "eur");
        expect("line_items[0][price_data][unit_amount]", "1250");
        expect("line_items[0][price_data][product_data][name]", "Mug");
        expect("line_items[0][price_data][product_data][images][0]", "https://cdn.example.com/mug.png");
        expect("line_items[0][quantity]", "2");
        expect("line_items[1][price_data][product_data][name]", "Tea & biscuits");
        expect("line_items[1][quantity]", "1");
        assert!(!form.contains_key("line_items[1][price_data][product_data][images][0]"));
        expect("customer_email", "ada@example.com");
        expect("success_url", "https://shop.example/ok?session={CHECKOUT_SESSION_ID}&x=1");
        expect("cancel_url", "https://shop.example/cancel");
        expect("client_reference_id", &order_id);
        expect("metadata[order_id]", &order_id);
        expect("payment_intent_data[metadata][order_id]", &order_id);
        assert!(!form.contains_key("customer"));
    }

    #[test]
    fn the_session_expires_when_the_request_says_unless_that_is_stripes_default() {
        let mut request = request();
        let expires_at = request.expires_at.timestamp().to_string();
        assert_eq!(form_pairs(&request).get("expires_at"), Some(&expires_at));
        request.expires_at = request.order.created_at() + chrono::TimeDelta::hours(24);
        assert!(!form_pairs(&request).contains_key("expires_at"), "24 hours is Stripe's default, left out");
    }

    #[test]
    fn a_known_customer_replaces_the_email() {
        let mut request = request();
        request.customer = Some(CustomerId::parse("cus_QXg1o8vcGmoR32").unwrap());
        let form = form_pairs(&request);
        assert_eq!(form.get("customer").map(String::as_str), Some("cus_QXg1o8vcGmoR32"));
        assert!(!form.contains_key("customer_email"), "Stripe refuses customer and customer_email together");
        assert_eq!(form.get("metadata[order_id]"), Some(&request.order.id().to_string()));
    }

    #[test]
    fn a_subscription_checkout_gives_its_recurring_line_the_schedule_and_the_subscription_its_links() {
        use payments_domain::{Interval, PriceKey, Recurring, Sku, SubscriptionCheckout, UserId};
        let mut request = request();
        let order_id = request.order.id();
        request.subscription = Some(SubscriptionCheckout {
            line: 1,
            recurring: Recurring { interval: Interval::Month, interval_count: 3 },
            trial_period_days: Some(14),
            links: SubscriptionLinks {
                user_id: Some(UserId::parse("user-1").unwrap()),
                order_id: Some(order_id),
                sku: Some(Sku::parse("tea").unwrap()),
                price_key: Some(PriceKey::parse("tea-quarterly").unwrap()),
            },
        });
        let form = form_pairs(&request);
        let expect =
            |key: &str, value: &str| assert_eq!(form.get(key).map(String::as_str), Some(value), "{key}");
        expect("mode", "subscription");
        expect("line_items[1][price_data][recurring][interval]", "month");
        expect("line_items[1][price_data][recurring][interval_count]", "3");
        assert!(
            !form.contains_key("line_items[0][price_data][recurring][interval]"),
            "one-time lines stay so"
        );
        expect("subscription_data[metadata][user_id]", "user-1");
        expect("subscription_data[trial_period_days]", "14");
        expect("subscription_data[metadata][order_id]", &order_id.to_string());
        expect("subscription_data[metadata][sku]", "tea");
        expect("subscription_data[metadata][price_id]", "tea-quarterly");
        expect("metadata[order_id]", &order_id.to_string());
        assert!(
            !form.keys().any(|key| key.starts_with("payment_intent_data")),
            "Stripe refuses payment_intent_data in subscription mode"
        );
    }
}
