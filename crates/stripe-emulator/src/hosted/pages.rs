//! The checkout page's HTML: forms that POST back, no JavaScript, every user-provided text escaped.

use super::view::SessionView;
use crate::html::{escape, href, page};
use std::fmt::Write;

/// What the customer typed, to keep it in the form after an error.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The email field.
    pub email: String,
    /// The card number field.
    pub card_number: String,
    /// Whether the delayed debit was chosen.
    pub delayed: bool,
}

fn summary(view: &SessionView) -> String {
    let mut out = String::from("<table class=\"items\">");
    for line in &view.lines {
        let every = line.every.as_ref().map(|e| format!(" {}", escape(e))).unwrap_or_default();
        let _ = write!(
            out,
            "<tr class=\"item\"><td>{} × {}<br><span class=\"hint\">{} each{every}</span></td><td class=\"amount\">{}</td></tr>",
            escape(&line.name),
            line.quantity,
            escape(&line.unit),
            escape(&line.amount)
        );
    }
    let label = if view.recurring.is_some() { "Total due today" } else { "Total" };
    let _ = write!(
        out,
        "<tr class=\"total\"><td>{label}</td><td class=\"amount\" id=\"total\">{}</td></tr></table>",
        escape(&view.total)
    );
    if let Some(recurring) = &view.recurring {
        let then = format!("then {} {}", recurring.amount, recurring.every);
        let text = match recurring.trial_days {
            Some(days) => format!("{days}-day free trial, {then}"),
            None => format!("Subscription: {then}"),
        };
        let _ = write!(out, "<p class=\"recurring\" id=\"recurring\">{}</p>", escape(&text));
    }
    out
}

fn cancel_link(view: &SessionView) -> String {
    view.cancel_url
        .as_deref()
        .map(|url| format!("<p><a id=\"cancel\" href=\"{}\">Cancel and go back</a></p>", href(url)))
        .unwrap_or_default()
}

/// The payment form, with `error` shown above it after a decline.
pub fn checkout(view: &SessionView, error: Option<&str>, typed: &Typed) -> String {
    let heading = match &view.recurring {
        Some(recurring) if recurring.trial_days.is_some() => "Start your free trial".to_owned(),
        Some(recurring) => format!("Subscribe: {} {}", recurring.amount, recurring.every),
        None => format!("Pay {}", view.total),
    };
    let mut body = format!("<h1>{}</h1>{}", escape(&heading), summary(view));
    if let Some(error) = error {
        let _ = write!(body, "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>", escape(error));
    }
    let _ = write!(body, "<form method=\"post\" action=\"{}/pay\">", escape(&view.page_url));
    match &view.fixed_email {
        Some(email) => {
            let _ = write!(
                body,
                "<label>Email<input type=\"email\" name=\"email\" value=\"{}\" readonly></label>",
                escape(email)
            );
        }
        None => {
            let _ = write!(
                body,
                "<label>Email<input type=\"email\" name=\"email\" value=\"{}\" required autocomplete=\"email\"></label>",
                escape(&typed.email)
            );
        }
    }
    let card_checked = if typed.delayed { "" } else { " checked" };
    if view.accepts_cards {
        let _ = write!(
            body,
            "<fieldset><legend>Payment method</legend>\
             <label><input type=\"radio\" name=\"method\" value=\"card\"{card_checked}> Card</label>\
             <label>Card number<input type=\"text\" name=\"card_number\" value=\"{}\" inputmode=\"numeric\" \
             autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\"></label>\
             <label>Expiry (MM / YY)<input type=\"text\" name=\"card_expiry\" placeholder=\"12 / 34\"></label>\
             <label>CVC<input type=\"text\" name=\"card_cvc\" placeholder=\"123\"></label>",
            escape(&typed.card_number)
        );
    } else {
        body.push_str("<fieldset><legend>Payment method</legend>");
    }
    if let Some(method) = &view.delayed_method {
        let checked = if typed.delayed || !view.accepts_cards { " checked" } else { "" };
        let _ = write!(
            body,
            "<label><input type=\"radio\" name=\"method\" value=\"delayed\"{checked}> Bank debit (delayed) \
             <span class=\"hint\">({}; settles later)</span></label>",
            escape(method)
        );
    }
    let button = if view.recurring.is_some() { "Subscribe" } else { "Pay" };
    let _ = write!(body, "</fieldset><button type=\"submit\" id=\"pay\">{button}</button></form>");
    body.push_str(&cancel_link(view));
    if view.recurring.is_some() {
        body.push_str(
            "<p class=\"hint\">4000 0000 0000 0341 pays today, then every renewal is declined.</p>",
        );
    }
    body.push_str(
        "<p class=\"hint\">Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 declined · \
         4000 0000 0000 9995 insufficient funds · 4000 0000 0000 0069 expired · 4000 0000 0000 0119 processing \
         error · 4000 0000 0000 0259 succeeds then disputed · 4000 0025 0000 3155 3-D Secure.</p>",
    );
    page("Checkout", &body)
}

/// The 3-D Secure challenge: Complete or Fail.
pub fn three_d_secure(view: &SessionView) -> String {
    let body = format!(
        "<h1>3-D Secure authentication</h1><p>Your bank asks you to confirm the payment of {}.</p>\
         <form method=\"post\" action=\"{url}/three_d_secure\">\
         <button type=\"submit\" name=\"action\" value=\"complete\" id=\"complete\">Complete authentication</button> \
         <button type=\"submit\" name=\"action\" value=\"fail\" id=\"fail\">Fail authentication</button></form>",
        escape(&view.total),
        url = escape(&view.page_url)
    );
    page("3-D Secure", &body)
}

/// A delayed debit on its way, with the tester's Succeed and Fail buttons.
pub fn processing(view: &SessionView) -> String {
    let body = format!(
        "<h1>Payment processing</h1><p>Your bank debit of {} is on its way.</p>\
         <p><a href=\"{}\">Return to the merchant</a></p>\
         <h2>Emulator: settle the debit</h2>\
         <form method=\"post\" action=\"{url}/settle\">\
         <button type=\"submit\" name=\"outcome\" value=\"succeed\" id=\"succeed\">Succeed</button> \
         <button type=\"submit\" name=\"outcome\" value=\"fail\" id=\"fail\">Fail</button></form>",
        escape(&view.total),
        href(&view.success_url),
        url = escape(&view.page_url)
    );
    page("Payment processing", &body)
}

/// A final page: a heading, a sentence and a link.
pub fn notice(title: &str, message: &str, link: Option<(&str, &str)>) -> String {
    let mut body = format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message));
    if let Some((url, text)) = link {
        let _ = write!(body, "<p><a href=\"{}\">{}</a></p>", href(url), escape(text));
    }
    page(title, &body)
}
