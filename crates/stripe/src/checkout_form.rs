//! The Create Checkout Session request for an order: what Stripe is asked to collect, and how the
//! resulting session and payment point back at the order.

use payments_domain::{CheckoutRequest, LineItem};
use std::collections::HashMap;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ProductData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_types::Currency;

/// The metadata key that carries our order id on sessions and payment intents; webhook parsing reads it back.
pub(crate) const ORDER_ID_METADATA_KEY: &str = "order_id";

/// A payment-mode session for the request's order: one inline price per line item, the user's Stripe
/// customer when the request names one (else the order's email, as `customer_email`: Stripe refuses both),
/// the redirect URLs as given, and the order id as metadata (on the session and on its payment intent)
/// and as client reference.
pub(crate) fn checkout_session_form(request: &CheckoutRequest) -> CreateCheckoutSession {
    let order = &request.order;
    let order_id = order.id().to_string();
    let metadata = HashMap::from([(ORDER_ID_METADATA_KEY.to_owned(), order_id.clone())]);
    let mut payment_intent_data = CreateCheckoutSessionPaymentIntentData::new();
    payment_intent_data.metadata = Some(metadata.clone());

    let form = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(order.items().iter().map(line_item).collect::<Vec<_>>());
    let form = match &request.customer {
        Some(customer) => form.customer(customer.as_str()),
        None => form.customer_email(order.email().as_str()),
    };
    form
        // Kept verbatim: Stripe substitutes `{CHECKOUT_SESSION_ID}` itself.
        .success_url(request.success_url.as_str())
        .cancel_url(request.cancel_url.as_str())
        .client_reference_id(order_id)
        .metadata(metadata)
        .payment_intent_data(payment_intent_data)
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
            order,
            success_url: "https://shop.example/ok?session={CHECKOUT_SESSION_ID}&x=1".into(),
            cancel_url: "https://shop.example/cancel".into(),
            idempotency_key: "checkout-1".into(),
            customer: None,
        }
    }

    fn form_pairs(request: &CheckoutRequest) -> HashMap<String, String> {
        let body = checkout_session_form(request).build().body.expect("a POST has a form body");
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
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
    fn a_known_customer_replaces_the_email() {
        let mut request = request();
        request.customer = Some(CustomerId::parse("cus_QXg1o8vcGmoR32").unwrap());
        let form = form_pairs(&request);
        assert_eq!(form.get("customer").map(String::as_str), Some("cus_QXg1o8vcGmoR32"));
        assert!(!form.contains_key("customer_email"), "Stripe refuses customer and customer_email together");
        assert_eq!(form.get("metadata[order_id]"), Some(&request.order.id().to_string()));
    }
}
