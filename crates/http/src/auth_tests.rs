//! Bearer tokens and the admin key, through the app, against mocked ports.

use super::*;
use crate::test_support::{
    auth_options, bearer, hs256_token, send, send_with, unix_now, user_claims, user_token, Ports, Reply,
    ADMIN_KEY, AUDIENCE, HS256_SECRET, ISSUER,
};
use crate::HttpOptions;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{json, Value};
use std::sync::Mutex;

const RS256_PUBLIC: &str = include_str!("../tests/fixtures/jwt_rs256_public.pem");
const RS256_PRIVATE: &str = include_str!("../tests/fixtures/jwt_rs256_private.pem");
/// `{"alg":"none","typ":"JWT"}`, base64url.
const ALG_NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

fn rs256_options() -> AuthOptions {
    AuthOptions::new()
        .with_jwt(JwtSettings::new(JwtKey::Rs256PublicPem(RS256_PUBLIC.to_owned()), ISSUER, AUDIENCE))
        .unwrap()
}

fn rs256_token(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(RS256_PRIVATE.as_bytes()).unwrap();
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::RS256), claims, &key).unwrap()
}

/// What `GET /api/v1/orders` makes of `authorization` under `options`: the reply, and the user whose orders
/// were listed (`Some("admin")` when every order was).
async fn who(options: AuthOptions, authorization: Option<&str>) -> (Reply, Option<String>) {
    let seen = Arc::new(Mutex::new(None));
    let mut ports = Ports::new();
    let cell = Arc::clone(&seen);
    ports.store.expect_list_orders_of_user().returning(move |user, _| {
        *cell.lock().unwrap() = Some(user.to_string());
        Ok(vec![])
    });
    let cell = Arc::clone(&seen);
    ports.store.expect_list_orders().returning(move |_| {
        *cell.lock().unwrap() = Some("admin".to_owned());
        Ok(vec![])
    });
    let mut request = TestRequest::get().uri("/api/v1/orders");
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value));
    }
    let reply =
        send_with(ports.services(), HttpOptions { auth: options, ..HttpOptions::default() }, request).await;
    let seen = seen.lock().unwrap().clone();
    (reply, seen)
}

/// Asserts `token` is refused under `options` with `code`, is not echoed, and reached no port.
async fn refused(options: AuthOptions, token: &str, code: &str) -> Reply {
    let (reply, seen) = who(options, Some(&format!("Bearer {token}"))).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, code);
    assert_eq!(seen, None, "no port is used");
    assert!(!reply.body.to_string().contains(token), "the token is echoed: {}", reply.body);
    reply
}

#[actix_web::test]
async fn a_valid_hs256_token_makes_its_subject_the_caller() {
    let (reply, seen) = who(auth_options(), Some(&format!("Bearer {}", user_token("auth0|ada", None)))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("auth0|ada"));
}

#[actix_web::test]
async fn a_valid_rs256_token_makes_its_subject_the_caller() {
    let token = rs256_token(&user_claims("google-oauth2|123", Some("ada@example.com")));
    let (reply, seen) = who(rs256_options(), Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("google-oauth2|123"));
}

#[actix_web::test]
async fn the_scheme_is_case_insensitive_and_an_audience_list_may_hold_ours() {
    let mut claims = user_claims("u1", None);
    claims["aud"] = json!(["other-api", AUDIENCE]);
    let token = hs256_token(&claims, HS256_SECRET);
    let (reply, seen) = who(auth_options(), Some(&format!("bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("u1"));
}

#[actix_web::test]
async fn no_header_is_a_guest() {
    let (reply, seen) = who(auth_options(), None).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
    assert_eq!(seen, None);
}

#[actix_web::test]
async fn a_malformed_header_or_token_is_invalid() {
    for value in
        ["Bearer", "Bearer ", "Basic YWRhOnNlY3JldA==", "Token abc", "Bearer a b", "Bearer abc.def.ghi"]
    {
        let (reply, seen) = who(auth_options(), Some(value)).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
        assert_eq!(
            reply.headers.get("www-authenticate").unwrap(),
            r#"Bearer realm="payments", error="invalid_token""#
        );
        assert_eq!(seen, None, "{value}");
    }
    refused(auth_options(), "not-a-jwt", "invalid_token").await;
}

#[actix_web::test]
async fn a_bad_signature_is_invalid() {
    let other_secret = hs256_token(&user_claims("u1", None), "another-secret-another-secret-another-secret");
    let reply = refused(auth_options(), &other_secret, "invalid_token").await;
    assert!(reply.message().contains("signature"), "{}", reply.message());

    // Ada's signature over Eve's claims.
    let ada = user_token("auth0|ada", None);
    let eve = user_token("auth0|eve", None);
    let ada: Vec<&str> = ada.split('.').collect();
    let eve: Vec<&str> = eve.split('.').collect();
    let forged = format!("{}.{}.{}", ada[0], eve[1], ada[2]);
    refused(auth_options(), &forged, "invalid_token").await;
}

#[actix_web::test]
async fn a_token_signed_with_another_algorithm_is_invalid() {
    // HS256 where RS256 is configured (the classic key-confusion attack signs with the public key).
    let with_public_key = hs256_token(&user_claims("u1", None), RS256_PUBLIC);
    let reply = refused(rs256_options(), &with_public_key, "invalid_token").await;
    assert!(reply.message().contains("algorithm"), "{}", reply.message());

    // RS256 where HS256 is configured.
    let rs256 = rs256_token(&user_claims("u1", None));
    let reply = refused(auth_options(), &rs256, "invalid_token").await;
    assert!(reply.message().contains("algorithm"), "{}", reply.message());

    // No signature at all.
    let payload = user_token("u1", None).split('.').nth(1).unwrap().to_owned();
    refused(auth_options(), &format!("{ALG_NONE_HEADER}.{payload}."), "invalid_token").await;
}

#[actix_web::test]
async fn an_expired_token_is_token_expired_but_the_leeway_is_allowed() {
    let mut claims = user_claims("u1", None);
    claims["exp"] = json!(unix_now() - 3600);
    let reply = refused(auth_options(), &hs256_token(&claims, HS256_SECRET), "token_expired").await;
    assert!(reply.message().contains("expired"), "{}", reply.message());

    claims["exp"] = json!(unix_now() - 10);
    let (reply, seen) =
        who(auth_options(), Some(&format!("Bearer {}", hs256_token(&claims, HS256_SECRET)))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("u1"));
}

#[actix_web::test]
async fn a_token_not_valid_yet_is_invalid() {
    let mut claims = user_claims("u1", None);
    claims["nbf"] = json!(unix_now() + 3600);
    refused(auth_options(), &hs256_token(&claims, HS256_SECRET), "invalid_token").await;
}

#[actix_web::test]
async fn a_wrong_or_missing_issuer_or_audience_is_invalid() {
    let cases = [
        ("iss", Some(json!("https://evil.example/")), "issuer"),
        ("iss", None, "iss"),
        ("aud", Some(json!("another-api")), "audience"),
        ("aud", Some(json!(["a", "b"])), "audience"),
        ("aud", None, "aud"),
    ];
    for (claim, value, mentioned) in cases {
        let mut claims = user_claims("u1", None);
        match value {
            Some(value) => claims[claim] = value,
            None => {
                claims.as_object_mut().unwrap().remove(claim);
            }
        }
        let reply = refused(auth_options(), &hs256_token(&claims, HS256_SECRET), "invalid_token").await;
        assert!(reply.message().contains(mentioned), "{claim}: {}", reply.message());
    }
}

#[actix_web::test]
async fn a_missing_or_invalid_subject_or_expiry_is_invalid() {
    let cases: [(&str, Option<Value>, &str); 6] = [
        ("sub", None, "no sub claim"),
        ("sub", Some(json!("")), "sub claim is not a valid user id"),
        ("sub", Some(json!(42)), "no sub claim"),
        ("sub", Some(json!("a\nb")), "sub claim is not a valid user id"),
        ("exp", None, "no valid exp claim"),
        ("exp", Some(json!("tomorrow")), "no valid exp claim"),
    ];
    for (claim, value, mentioned) in cases {
        let mut claims = user_claims("u1", None);
        match value {
            Some(value) => claims[claim] = value,
            None => {
                claims.as_object_mut().unwrap().remove(claim);
            }
        }
        let reply = refused(auth_options(), &hs256_token(&claims, HS256_SECRET), "invalid_token").await;
        assert!(reply.message().contains(mentioned), "{claim}: {}", reply.message());
    }
}

#[actix_web::test]
async fn tokens_are_not_accepted_without_a_jwt_key() {
    let token = user_token("u1", None);
    let reply = refused(AuthOptions::default(), &token, "tokens_not_accepted").await;
    assert!(reply.message().contains("no JWT key is configured"), "{}", reply.message());
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), r#"Bearer realm="payments""#);

    // With only an admin key, a JWT is still "not accepted"; anything else is a wrong key.
    let admin_only = AuthOptions::new().with_admin_key(&SecretString::from(ADMIN_KEY)).unwrap();
    refused(admin_only.clone(), &token, "tokens_not_accepted").await;
    refused(admin_only.clone(), "wrong-admin-key-0123456789", "invalid_token").await;
    let (reply, seen) = who(admin_only, Some(&format!("Bearer {ADMIN_KEY}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("admin"));

    // And with nothing configured, a guest is still a guest.
    let (reply, _) = who(AuthOptions::default(), None).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "authentication_required");
}

#[actix_web::test]
async fn the_admin_key_makes_the_caller_the_admin_and_a_wrong_key_is_refused() {
    let (reply, seen) = who(auth_options(), Some(&format!("Bearer {ADMIN_KEY}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(seen.as_deref(), Some("admin"));

    for wrong in [&ADMIN_KEY[..ADMIN_KEY.len() - 1], &format!("{ADMIN_KEY}x"), "x"] {
        refused(auth_options(), wrong, "invalid_token").await;
    }
}

#[actix_web::test]
async fn a_user_token_on_the_admin_route_is_forbidden() {
    let mut ports = Ports::new();
    ports.store.expect_list_orders().never();
    let request =
        TestRequest::get().uri("/api/v1/admin/orders").insert_header(bearer(&user_token("u1", None)));
    send(ports.services(), request).await.assert_error(StatusCode::FORBIDDEN, "admin_only");
}

#[actix_web::test]
async fn the_email_claim_is_the_users_email_and_an_invalid_one_is_ignored() {
    let valid = auth_options().caller_of(&user_token("u1", Some("ada@example.com"))).unwrap();
    assert_eq!(
        valid,
        Caller::User {
            id: UserId::parse("u1").unwrap(),
            email: Some(Email::parse("ada@example.com").unwrap())
        }
    );
    for odd in [json!("not-an-email"), json!(42), json!(null)] {
        let mut claims = user_claims("u1", None);
        claims["email"] = odd.clone();
        let caller = auth_options().caller_of(&hs256_token(&claims, HS256_SECRET)).unwrap();
        assert_eq!(caller, Caller::User { id: UserId::parse("u1").unwrap(), email: None }, "{odd}");
    }
}

#[test]
fn misconfigurations_are_refused_without_quoting_the_key() {
    let hs = |secret: &str, issuer: &str, audience: &str| {
        AuthOptions::new().with_jwt(JwtSettings::new(
            JwtKey::Hs256(SecretString::from(secret)),
            issuer,
            audience,
        ))
    };
    assert_eq!(hs("short-secret", ISSUER, AUDIENCE).unwrap_err(), AuthConfigError::WeakSecret);
    assert_eq!(hs(HS256_SECRET, " ", AUDIENCE).unwrap_err(), AuthConfigError::MissingIssuer);
    assert_eq!(hs(HS256_SECRET, ISSUER, "").unwrap_err(), AuthConfigError::MissingAudience);

    let pem = |pem: &str| {
        AuthOptions::new().with_jwt(JwtSettings::new(
            JwtKey::Rs256PublicPem(pem.to_owned()),
            ISSUER,
            AUDIENCE,
        ))
    };
    assert_eq!(pem("not a pem").unwrap_err(), AuthConfigError::InvalidPublicKey);
    assert!(pem(RS256_PUBLIC).is_ok());

    let mut slack = JwtSettings::new(JwtKey::Hs256(SecretString::from(HS256_SECRET)), ISSUER, AUDIENCE);
    slack.leeway_secs = 3600;
    assert_eq!(AuthOptions::new().with_jwt(slack).unwrap_err(), AuthConfigError::Leeway(3600));

    let just_short = "k".repeat(crate::auth::MIN_ADMIN_KEY_CHARS - 1);
    for key in ["", "too-short", &just_short, "has a space in it somewhere", &"k".repeat(513)] {
        let err = AuthOptions::new().with_admin_key(&SecretString::from(key)).unwrap_err();
        assert_eq!(err, AuthConfigError::InvalidAdminKey);
        assert!(key.is_empty() || !err.to_string().contains(key));
    }
    let just_long_enough = "k".repeat(crate::auth::MIN_ADMIN_KEY_CHARS);
    assert!(AuthOptions::new().with_admin_key(&SecretString::from(just_long_enough)).is_ok());
}

#[test]
fn options_never_show_their_secrets() {
    let options = auth_options();
    assert!(options.accepts_user_tokens() && options.has_admin_key());
    let shown = format!("{options:?}");
    assert!(!shown.contains(HS256_SECRET) && !shown.contains(ADMIN_KEY), "{shown}");
    assert!(shown.contains("HS256") && shown.contains(ISSUER), "{shown}");
    let none = AuthOptions::default();
    assert!(!none.accepts_user_tokens() && !none.has_admin_key());
}
