//! Escaping text for HTML: everything a caller or customer typed goes through [`escape`].

use std::fmt::Write;

/// `text` with `& < > " '` escaped, safe in element content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A `href` value: only `http(s)` URLs are linked, so a `javascript:` URL cannot run.
pub fn href(url: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with('/') {
        escape(url)
    } else {
        "#".to_owned()
    }
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main>\
         <footer>Stripe emulator · test mode</footer></body></html>",
        escape(title)
    );
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}\
main{max-width:34rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 2px 8px #0002}\
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.amount{text-align:right}\
tr.total td{border-top:1px solid #ddd;font-weight:bold}label{display:block;margin-top:1rem}\
input[type=text],input[type=email]{width:100%;padding:.5rem;box-sizing:border-box}\
button{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#b00020;font-weight:bold}\
.hint{color:#697386;font-size:.85rem}footer{text-align:center;color:#697386;font-size:.8rem}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#x27;s&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(href("https://shop.test/cancel?a=1&b=2"), "https://shop.test/cancel?a=1&amp;b=2");
        assert_eq!(href("javascript:alert(1)"), "#");
    }
}
