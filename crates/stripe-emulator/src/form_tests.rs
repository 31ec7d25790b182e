use super::*;

fn text(s: &str) -> FormValue {
    FormValue::Text(s.to_owned())
}

#[test]
fn nested_brackets_and_indexed_arrays_decode_to_a_tree() {
    let form = FormValue::parse(
        b"line_items[0][price_data][currency]=usd&line_items[0][price_data][product_data][name]=T%20shirt\
          &line_items[0][quantity]=2&line_items[1][price]=price_1&line_items[1][quantity]=1\
          &metadata[order_id]=42&mode=payment",
    )
    .unwrap();
    let items = form.get("line_items").unwrap().elements().unwrap();
    assert_eq!(items.len(), 2);
    let price_data = items[0].get("price_data").unwrap();
    assert_eq!(price_data.get("currency"), Some(&text("usd")));
    assert_eq!(price_data.get("product_data").unwrap().get("name"), Some(&text("T shirt")));
    assert_eq!(items[1].get("price"), Some(&text("price_1")));
    assert_eq!(form.get("metadata").unwrap().get("order_id"), Some(&text("42")));
    assert_eq!(form.get("mode").and_then(FormValue::as_text), Some("payment"));
}

#[test]
fn empty_brackets_append_and_indices_sort_numerically() {
    let form = FormValue::parse(b"expand[]=payment_intent&expand[]=customer&a[10]=ten&a[2]=two").unwrap();
    let expand: Vec<_> = form.get("expand").unwrap().elements().unwrap();
    assert_eq!(expand, vec![&text("payment_intent"), &text("customer")]);
    let a: Vec<_> = form.get("a").unwrap().elements().unwrap();
    assert_eq!(a, vec![&text("two"), &text("ten")]);
}

#[test]
fn plus_and_percent_escapes_decode_in_keys_and_values() {
    let form = FormValue::parse(
        b"metadata%5Bnote%5D=a+b%26c&success_url=http%3A%2F%2Fx%2F%3Fs%3D%7BCHECKOUT_SESSION_ID%7D",
    )
    .unwrap();
    assert_eq!(form.get("metadata").unwrap().get("note"), Some(&text("a b&c")));
    assert_eq!(
        form.get("success_url").and_then(FormValue::as_text),
        Some("http://x/?s={CHECKOUT_SESSION_ID}")
    );
}

#[test]
fn a_key_used_as_value_and_hash_is_refused() {
    assert!(matches!(FormValue::parse(b"a=1&a[b]=2"), Err(FormError::Conflict(_))));
    assert!(matches!(FormValue::parse(b"a[b]=2&a=1"), Err(FormError::Conflict(_))));
    assert!(matches!(FormValue::parse(b"a[b=1"), Err(FormError::MalformedKey(_))));
    let form = FormValue::parse(b"a[0]=x&a[b]=y").unwrap();
    assert!(matches!(form.get("a").unwrap().elements(), Err(FormError::InvalidArray(_))));
}

#[test]
fn a_key_nested_deeper_than_the_limit_is_refused_without_recursing_into_it() {
    let key = |depth: usize| format!("a{}", "[b]".repeat(depth - 1));
    let deepest = FormValue::parse(format!("{}=x", key(MAX_KEY_DEPTH)).as_bytes()).unwrap();
    assert_eq!(deepest.canonical(), [(key(MAX_KEY_DEPTH), "x".to_owned())]);
    assert!(matches!(
        FormValue::parse(format!("{}=x", key(MAX_KEY_DEPTH + 1)).as_bytes()),
        Err(FormError::TooDeep(_))
    ));
    // 100 000 levels in 200 kB (under actix's default body limit) once overflowed the stack.
    let body = format!("a{}=x", "[]".repeat(100_000));
    assert!(matches!(FormValue::parse(body.as_bytes()), Err(FormError::TooDeep(_))));
}

#[test]
fn canonical_form_ignores_parameter_order() {
    let one = FormValue::parse(b"b=2&a[x]=1&a[y]=2").unwrap();
    let two = FormValue::parse(b"a[y]=2&a[x]=1&b=2").unwrap();
    assert_eq!(one.canonical(), two.canonical());
    assert_ne!(one.canonical(), FormValue::parse(b"b=3&a[x]=1&a[y]=2").unwrap().canonical());
    assert_eq!(one.to_string(), "a%5Bx%5D=1&a%5By%5D=2&b=2");
}
