//! Who is calling: `Authorization: Bearer <token>`, where the token is a user's JWT or the operator's admin API
//! key. No header makes the caller a guest.
//!
//! [`AuthOptions`] (in [`crate::HttpOptions`]) says which tokens are accepted; handlers take a [`Authenticated`]
//! argument to learn the [`Caller`]. Tokens and keys are never logged nor echoed: error messages describe what
//! is wrong with a token, never quote it.

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use payments_domain::{Caller, Email, UserId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The clock skew allowed on `exp` and `nbf` unless [`JwtSettings::leeway_secs`] says otherwise, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// The largest clock skew [`AuthOptions::with_jwt`] accepts, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 300;
/// The shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash's 256 bits).
pub const MIN_HS256_SECRET_BYTES: usize = 32;
/// The shortest admin API key accepted, in characters.
pub const MIN_ADMIN_KEY_CHARS: usize = 24;
/// The longest admin API key accepted, in characters.
pub const MAX_ADMIN_KEY_CHARS: usize = 512;

/// The key user tokens are verified with.
#[derive(Debug, Clone)]
pub enum JwtKey {
    /// HS256 with a shared secret (at least [`MIN_HS256_SECRET_BYTES`] bytes).
    Hs256(SecretString),
    /// RS256 with the identity provider's RSA public key, PEM-encoded (`-----BEGIN PUBLIC KEY-----` or
    /// `-----BEGIN RSA PUBLIC KEY-----`).
    Rs256PublicPem(String),
}

/// How user tokens (JWTs) are verified. `exp`, `iss`, `aud` and `sub` are required and checked; `nbf` is checked
/// when present; only the key's algorithm is accepted.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// The verification key, which also fixes the one accepted algorithm.
    pub key: JwtKey,
    /// The `iss` a token must carry (the identity provider).
    pub issuer: String,
    /// An `aud` a token must carry (this service).
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (at most [`MAX_LEEWAY_SECS`]).
    pub leeway_secs: u64,
}

impl JwtSettings {
    /// Settings with the default leeway of [`DEFAULT_LEEWAY_SECS`].
    pub fn new(key: JwtKey, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self { key, issuer: issuer.into(), audience: audience.into(), leeway_secs: DEFAULT_LEEWAY_SECS }
    }
}

/// Why [`AuthOptions`] could not be built. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    /// The JWT issuer is empty.
    #[error("the JWT issuer must be set when a JWT key is configured")]
    MissingIssuer,
    /// The JWT audience is empty.
    #[error("the JWT audience must be set when a JWT key is configured")]
    MissingAudience,
    /// The HS256 secret is too short.
    #[error("the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes long")]
    WeakSecret,
    /// The RS256 key is not a PEM RSA public key.
    #[error("the RS256 key is not a PEM-encoded RSA public key")]
    InvalidPublicKey,
    /// The leeway is above [`MAX_LEEWAY_SECS`].
    #[error("the JWT leeway must be at most {MAX_LEEWAY_SECS} seconds, got {0}")]
    Leeway(u64),
    /// The admin API key is too short, too long, or holds characters other than visible ASCII.
    #[error(
        "the admin API key must be {MIN_ADMIN_KEY_CHARS} to {MAX_ADMIN_KEY_CHARS} visible ASCII characters \
         without spaces"
    )]
    InvalidAdminKey,
}

/// Which bearer tokens the service accepts. The default accepts none: every request without an
/// `Authorization` header is a guest's, and any bearer token is refused with `tokens_not_accepted`.
#[derive(Clone, Default)]
pub struct AuthOptions {
    jwt: Option<Arc<JwtVerifier>>,
    /// SHA-256 of the admin key: compared in constant time, whatever the presented token's length.
    admin_key_digest: Option<[u8; 32]>,
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("jwt", &self.jwt)
            .field("admin_key", &self.admin_key_digest.map(|_| "[configured]"))
            .finish()
    }
}

impl AuthOptions {
    /// No JWT key, no admin key (the same as `AuthOptions::default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts user tokens verified with `settings`.
    ///
    /// # Errors
    /// [`AuthConfigError`] if the issuer or audience is empty, the HS256 secret is short, the PEM is not an RSA
    /// public key, or the leeway is too large.
    pub fn with_jwt(mut self, settings: JwtSettings) -> Result<Self, AuthConfigError> {
        self.jwt = Some(Arc::new(JwtVerifier::new(settings)?));
        Ok(self)
    }

    /// Accepts `key` as `Authorization: Bearer <key>`, making the caller the operator ([`Caller::Admin`]).
    ///
    /// # Errors
    /// [`AuthConfigError::InvalidAdminKey`] unless the key is [`MIN_ADMIN_KEY_CHARS`] to [`MAX_ADMIN_KEY_CHARS`] visible ASCII
    /// characters.
    pub fn with_admin_key(mut self, key: &SecretString) -> Result<Self, AuthConfigError> {
        let key = key.expose_secret();
        let ok = (MIN_ADMIN_KEY_CHARS..=MAX_ADMIN_KEY_CHARS).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(AuthConfigError::InvalidAdminKey);
        }
        self.admin_key_digest = Some(Sha256::digest(key.as_bytes()).into());
        Ok(self)
    }

    /// Whether user tokens are accepted (a JWT key is configured).
    pub fn accepts_user_tokens(&self) -> bool {
        self.jwt.is_some()
    }

    /// Whether an admin API key is configured.
    pub fn has_admin_key(&self) -> bool {
        self.admin_key_digest.is_some()
    }

    /// The caller a bearer `token` stands for.
    fn caller_of(&self, token: &str) -> Result<Caller, AuthError> {
        if let Some(expected) = &self.admin_key_digest {
            let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if bool::from(presented.ct_eq(expected)) {
                return Ok(Caller::Admin);
            }
        }
        match &self.jwt {
            Some(verifier) => verifier.verify(token),
            // Something that is not JWT-shaped can only have been meant as the admin key.
            None if self.admin_key_digest.is_some() && token.split('.').count() != 3 => {
                Err(AuthError::Invalid("the token is neither a valid JWT nor the admin API key"))
            }
            None => Err(AuthError::TokensNotAccepted),
        }
    }
}

/// A JWT key with its validation rules, parsed once.
struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    algorithm: Algorithm,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .field("leeway_secs", &self.validation.leeway)
            .finish_non_exhaustive()
    }
}

/// The claims read from a verified token; `iss`, `aud`, `exp` and `nbf` are checked by `jsonwebtoken`.
/// Loosely typed, so that a missing or odd claim is reported by the validation rather than as bad JSON.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<serde_json::Value>,
    #[serde(default)]
    email: Option<serde_json::Value>,
}

impl JwtVerifier {
    fn new(settings: JwtSettings) -> Result<Self, AuthConfigError> {
        let issuer = settings.issuer.trim();
        let audience = settings.audience.trim();
        if issuer.is_empty() {
            return Err(AuthConfigError::MissingIssuer);
        }
        if audience.is_empty() {
            return Err(AuthConfigError::MissingAudience);
        }
        if settings.leeway_secs > MAX_LEEWAY_SECS {
            return Err(AuthConfigError::Leeway(settings.leeway_secs));
        }
        let (key, algorithm) = match &settings.key {
            JwtKey::Hs256(secret) => {
                let secret = secret.expose_secret().as_bytes();
                if secret.len() < MIN_HS256_SECRET_BYTES {
                    return Err(AuthConfigError::WeakSecret);
                }
                (DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            JwtKey::Rs256PublicPem(pem) => {
                let key = DecodingKey::from_rsa_pem(pem.trim().as_bytes())
                    .map_err(|_| AuthConfigError::InvalidPublicKey)?;
                (key, Algorithm::RS256)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = settings.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Self { key, validation, algorithm })
    }

    fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|err| AuthError::from_jwt(err.kind()))?
            .claims;
        let id = claims
            .sub
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(|sub| UserId::parse(sub).ok())
            .ok_or(AuthError::Invalid("the token's sub claim is not a valid user id"))?;
        // An unusable email claim is ignored: the request's email, if any, is used instead.
        let email =
            claims.email.as_ref().and_then(serde_json::Value::as_str).and_then(|e| Email::parse(e).ok());
        Ok(Caller::User { id, email })
    }
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthError {
    /// The header is not `Bearer <token>`, or the token is not one this service accepts.
    Invalid(&'static str),
    /// A valid token past its `exp`.
    Expired,
    /// A bearer token, but no JWT key is configured.
    TokensNotAccepted,
}

impl AuthError {
    fn from_jwt(kind: &ErrorKind) -> Self {
        AuthError::Invalid(match kind {
            ErrorKind::ExpiredSignature => return AuthError::Expired,
            ErrorKind::InvalidSignature => "the token's signature does not verify",
            ErrorKind::InvalidAlgorithm => {
                "the token is signed with an algorithm this service does not accept"
            }
            ErrorKind::InvalidIssuer => "the token was issued by an issuer this service does not trust",
            ErrorKind::InvalidAudience => "the token is meant for another audience",
            ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
            ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
                "exp" => "the token has no valid exp claim",
                "iss" => "the token has no iss claim",
                "aud" => "the token has no aud claim",
                "sub" => "the token has no sub claim",
                _ => "the token lacks a required claim",
            },
            _ => "the token is malformed",
        })
    }

    fn code(self) -> ErrorCode {
        match self {
            AuthError::Invalid(_) => ErrorCode::InvalidToken,
            AuthError::Expired => ErrorCode::TokenExpired,
            AuthError::TokensNotAccepted => ErrorCode::TokensNotAccepted,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let message = match err {
            AuthError::Invalid(reason) => format!("The bearer token was refused: {reason}."),
            AuthError::Expired => "The bearer token has expired; get a new one.".to_owned(),
            AuthError::TokensNotAccepted => {
                "This service accepts no bearer tokens: no JWT key is configured. \
                                             Send the request without an Authorization header."
                    .to_owned()
            }
        };
        let challenge = match err {
            AuthError::Invalid(_) | AuthError::Expired => r#"Bearer realm="payments", error="invalid_token""#,
            AuthError::TokensNotAccepted => r#"Bearer realm="payments""#,
        };
        ApiError::new(err.code(), message).with_challenge(challenge)
    }
}

/// The caller of a request, from its `Authorization` header and the app's [`AuthOptions`].
///
/// A request with credentials that are refused fails here with 401 (`invalid_token`, `token_expired` or
/// `tokens_not_accepted`), before its body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authenticated(pub(crate) Caller);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request).map(Authenticated))
    }
}

fn authenticate(request: &HttpRequest) -> Result<Caller, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller::Guest);
    };
    let fallback;
    let options = match request.app_data::<web::Data<AuthOptions>>() {
        Some(options) => options.get_ref(),
        None => {
            fallback = AuthOptions::default();
            &fallback
        }
    };
    let result = bearer_token(value).and_then(|token| options.caller_of(token));
    match result {
        Ok(caller) => {
            if let Caller::User { id, .. } = &caller {
                tracing::Span::current().record("user_id", tracing::field::display(id));
            }
            Ok(caller)
        }
        Err(err) => {
            // The reason only: never the header or the token.
            tracing::info!(code = err.code().as_str(), reason = ?err, "credentials refused");
            Err(err.into())
        }
    }
}

/// The token of `Bearer <token>` (the scheme in any case).
fn bearer_token(value: &header::HeaderValue) -> Result<&str, AuthError> {
    const EXPECTED: &str = "the Authorization header must be \"Bearer <token>\"";
    let value = value.to_str().map_err(|_| AuthError::Invalid(EXPECTED))?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Invalid(EXPECTED))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AuthError::Invalid(EXPECTED));
    }
    Ok(token)
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
