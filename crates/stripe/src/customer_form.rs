//! The Create Customer request for a user.

use payments_domain::NewCustomer;
use std::collections::HashMap;
use stripe_core::customer::CreateCustomer;

/// The metadata key that carries our user id on Stripe customers.
pub(crate) const USER_ID_METADATA_KEY: &str = "user_id";

/// A customer with the user's email and the user id as metadata.
pub(crate) fn customer_form(customer: &NewCustomer) -> CreateCustomer {
    CreateCustomer::new()
        .email(customer.email.as_str())
        .metadata(HashMap::from([(USER_ID_METADATA_KEY.to_owned(), customer.user_id.to_string())]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_domain::{Email, UserId};
    use stripe::StripeRequest;

    #[test]
    fn the_form_holds_the_email_and_the_user_id() {
        let customer = NewCustomer {
            user_id: UserId::parse("auth0|42").unwrap(),
            email: Email::parse("ada@example.com").unwrap(),
            idempotency_key: "customer-auth0|42".into(),
        };
        let built = customer_form(&customer).build();
        let body = built.body.expect("a POST has a form body");
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(
            form,
            HashMap::from([
                ("email".to_owned(), "ada@example.com".to_owned()),
                ("metadata[user_id]".to_owned(), "auth0|42".to_owned()),
            ])
        );
    }
}
