//! The Create PaymentIntent request for an order (the custom payment flow).

use crate::checkout_form::ORDER_ID_METADATA_KEY;
use payments_domain::PaymentIntentRequest;
use std::collections::HashMap;
use stripe_core::payment_intent::{CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods};
use stripe_types::Currency;

/// An intent for the order's total in its currency, with automatic payment methods, the order id in its
/// metadata (so its events, charges and refunds find the order), the order's email for the receipt, and the
/// user's customer when there is one.
pub(crate) fn payment_intent_form(request: &PaymentIntentRequest) -> CreatePaymentIntent {
    let order = &request.order;
    let amount = order.amount();
    // Infallible: every code is accepted, unknown ones are sent as written.
    let currency: Currency = amount.currency().as_str().parse().unwrap_or_else(|never| match never {});
    let form = CreatePaymentIntent::new(amount.minor(), currency)
        .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
        .metadata(HashMap::from([(ORDER_ID_METADATA_KEY.to_owned(), order.id().to_string())]))
        .receipt_email(order.email().as_str());
    match &request.customer {
        Some(customer) => form.customer(customer.as_str()),
        None => form,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use payments_domain::{Currency as DomainCurrency, CustomerId, Email, LineItem, Money, Order, OrderId};
    use stripe::StripeRequest;

    #[test]
    fn the_form_asks_for_the_orders_total_with_automatic_methods_and_names_the_order() {
        let jpy = DomainCurrency::parse("jpy").unwrap();
        let items = vec![LineItem::new("Tea", Money::new(1500, jpy).unwrap(), 2, None).unwrap()];
        let order =
            Order::new(OrderId::new_v7(), Email::parse("ada@example.com").unwrap(), items, Utc::now())
                .unwrap();
        let order_id = order.id().to_string();
        let request = PaymentIntentRequest {
            order,
            idempotency_key: "payment-intent-1".into(),
            customer: Some(CustomerId::parse("cus_ada").unwrap()),
        };
        let body = payment_intent_form(&request).build().body.expect("a POST has a form body");
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(
            form,
            HashMap::from([
                ("amount".to_owned(), "3000".to_owned()),
                ("currency".to_owned(), "jpy".to_owned()),
                ("automatic_payment_methods[enabled]".to_owned(), "true".to_owned()),
                ("metadata[order_id]".to_owned(), order_id),
                ("receipt_email".to_owned(), "ada@example.com".to_owned()),
                ("customer".to_owned(), "cus_ada".to_owned()),
            ])
        );
    }
}
