//! The entry point of the form decoder's fuzz target in `fuzz/` (`cargo fuzz`, `make fuzz`) and of the test
//! that replays its corpus in `make test`, behind the `fuzzing` feature: not part of the emulator's API.

use crate::form::FormValue;

/// A form body (or query string) decoded as the API and the hosted page decode it, then read as they read it:
/// every array's elements, and the canonical form idempotency compares.
///
/// Properties: no input panics; the tree is bounded by the input (at most a node per input byte, and text no
/// more than three times the input: an invalid byte becomes U+FFFD); the canonical form is bounded too, and
/// decodes back to the same canonical form.
pub fn form(data: &[u8]) {
    let Ok(form) = FormValue::parse(data) else { return };
    let (nodes, text) = size(&form);
    assert!(nodes <= data.len() + 1, "{nodes} nodes from {} bytes", data.len());
    assert!(text <= 3 * data.len(), "{text} bytes of text from {} bytes", data.len());
    let encoded = form.to_string();
    assert!(
        encoded.len() <= 16 * data.len(),
        "a {}-byte canonical form of {} bytes",
        encoded.len(),
        data.len()
    );
    let again = FormValue::parse(encoded.as_bytes()).expect("the canonical form decodes");
    assert_eq!(again.canonical(), form.canonical(), "the canonical form of {encoded:?} changed");
}

/// How many nodes the tree has and how many bytes of text (keys and values) it holds; reads every array's
/// elements on the way.
fn size(value: &FormValue) -> (usize, usize) {
    let _ = value.elements();
    match value {
        FormValue::Text(text) => (1, text.len()),
        FormValue::Map(entries) => entries.iter().fold((1, 0), |(nodes, text), (key, child)| {
            let (child_nodes, child_text) = size(child);
            (nodes + child_nodes, text + key.len() + child_text)
        }),
        FormValue::List(items) => items.iter().map(size).fold((1, 0), |(n, t), (cn, ct)| (n + cn, t + ct)),
    }
}
