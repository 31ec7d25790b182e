//! API keys: `Authorization: Bearer sk_test_…`, or HTTP basic with the key as the user (as curl's `-u`).

use crate::error::ApiError;

/// The accepted key from an `Authorization` header value, or Stripe's 401.
pub fn authenticate(header: Option<&str>, accepted: &[String]) -> Result<String, ApiError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or_else(|| {
        ApiError::authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    })?;
    let key = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim().to_owned(),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
            let decoded = decode_base64(rest.trim()).and_then(|bytes| String::from_utf8(bytes).ok());
            let decoded = decoded.ok_or_else(|| {
                ApiError::authentication(
                    "Invalid API Key provided: the basic authorization header is malformed.",
                )
            })?;
            decoded.split_once(':').map_or(decoded.clone(), |(user, _)| user.to_owned())
        }
        _ => return Err(ApiError::authentication(
            "Invalid authorization header: use Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )),
    };
    let known = if accepted.is_empty() { key.starts_with("sk_test_") } else { accepted.contains(&key) };
    if known {
        Ok(key)
    } else {
        Err(ApiError::authentication(format!("Invalid API Key provided: {}", redact(&key))))
    }
}

/// `sk_test_****abcd`, as Stripe echoes unknown keys.
fn redact(key: &str) -> String {
    let prefix: String = key.chars().take(8).collect();
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    if key.chars().count() <= 12 {
        "*".repeat(key.chars().count())
    } else {
        format!("{prefix}****{tail}")
    }
}

/// Standard base64 (with or without padding); `None` if malformed.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let digits = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_keys_are_accepted() {
        assert_eq!(authenticate(Some("Bearer sk_test_123"), &[]).unwrap(), "sk_test_123");
        // base64("sk_test_123:") = c2tfdGVzdF8xMjM6
        assert_eq!(authenticate(Some("Basic c2tfdGVzdF8xMjM6"), &[]).unwrap(), "sk_test_123");
    }

    #[test]
    fn missing_live_and_unknown_keys_get_401() {
        for header in [None, Some(""), Some("Bearer sk_live_123"), Some("Token sk_test_1"), Some("Basic !!!")]
        {
            let error = authenticate(header, &[]).unwrap_err();
            assert_eq!(error.status.as_u16(), 401, "{header:?}");
        }
        let only = vec!["sk_test_only".to_owned()];
        assert!(authenticate(Some("Bearer sk_test_other"), &only).is_err());
        assert!(authenticate(Some("Bearer sk_test_only"), &only).is_ok());
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI").unwrap(), b"ab");
        assert_eq!(decode_base64("YWJj").unwrap(), b"abc");
    }
}
