//! Signed tokens (JWT, HS256). Each purpose has its own audience, so a password-reset
//! link can never serve as a session and the other way round. Session tokens are also
//! tied to a stored session row, which is what makes sign-out and revocation immediate.

use chrono::{NaiveDateTime, TimeDelta};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const ISSUER: &str = "geschillenportaal";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Session,
    ConfirmEmail,
    PasswordReset,
    Invite,
}

impl Purpose {
    fn audience(self) -> &'static str {
        match self {
            Purpose::Session => "session",
            Purpose::ConfirmEmail => "confirm-email",
            Purpose::PasswordReset => "password-reset",
            Purpose::Invite => "invite",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Session id for sessions, a single-use id for the other purposes.
    pub jti: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// The e-mail address a confirmation or invite is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

/// The signing key, kept out of `Debug` output.
pub struct TokenKeys {
    secret: SecretString,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid token")]
pub struct InvalidToken;

impl TokenKeys {
    pub fn new(secret: SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            secret,
        }
    }

    pub fn issue(
        &self,
        purpose: Purpose,
        user_id: i64,
        jti: &str,
        email: Option<&str>,
        now: NaiveDateTime,
        ttl: TimeDelta,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            jti: jti.to_owned(),
            aud: purpose.audience().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.and_utc().timestamp(),
            exp: (now + ttl).and_utc().timestamp(),
            email: email.map(str::to_owned),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm (HS256 only, so `alg: none` is refused), issuer,
    /// audience and expiry against `now`.
    pub fn verify(&self, purpose: Purpose, token: &str, now: NaiveDateTime) -> Result<Claims, InvalidToken> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[purpose.audience()]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Expiry is checked below against the caller's clock, which tests can move.
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| InvalidToken)?
            .claims;
        if claims.exp <= now.and_utc().timestamp() {
            return Err(InvalidToken);
        }
        Ok(claims)
    }

    /// A keyed hash for values derived from the secret (CSRF tokens).
    pub fn mac(&self, domain: &str, value: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes()).expect("HMAC takes any key length");
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            mac.finalize().into_bytes(),
        )
    }

    /// Constant-time comparison of a submitted value with its expected MAC.
    pub fn verify_mac(&self, domain: &str, value: &str, submitted: &str) -> bool {
        let expected = self.mac(domain, value);
        expected.len() == submitted.len()
            && expected
                .bytes()
                .zip(submitted.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// A random identifier with 256 bits of entropy, URL-safe.
pub fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> TokenKeys {
        TokenKeys::new(SecretString::from(
            "test-secret-that-is-long-enough-for-hs256".to_owned(),
        ))
    }

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_token_verifies_for_its_own_purpose_only() {
        let token = keys().issue(Purpose::PasswordReset, 7, "abc", None, now(), TimeDelta::hours(1));
        assert_eq!(
            keys().verify(Purpose::PasswordReset, &token, now()).unwrap().user_id(),
            Some(7)
        );
        assert_eq!(keys().verify(Purpose::Session, &token, now()), Err(InvalidToken));
        assert_eq!(keys().verify(Purpose::ConfirmEmail, &token, now()), Err(InvalidToken));
    }

    #[test]
    fn an_expired_token_is_refused_at_the_second_it_expires() {
        let token = keys().issue(Purpose::Session, 7, "abc", None, now(), TimeDelta::minutes(20));
        assert!(
            keys()
                .verify(Purpose::Session, &token, now() + TimeDelta::seconds(1199))
                .is_ok()
        );
        assert_eq!(
            keys().verify(Purpose::Session, &token, now() + TimeDelta::minutes(20)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn a_changed_payload_breaks_the_signature() {
        let token = keys().issue(Purpose::Session, 7, "abc", None, now(), TimeDelta::minutes(20));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = URL_SAFE_NO_PAD.encode(payload.replace("\"sub\":\"7\"", "\"sub\":\"1\""));
        assert_eq!(
            keys().verify(Purpose::Session, &parts.join("."), now()),
            Err(InvalidToken)
        );
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        let token = keys().issue(Purpose::Session, 7, "abc", None, now(), TimeDelta::minutes(20));
        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            keys().verify(Purpose::Session, &format!("{header}.{payload}."), now()),
            Err(InvalidToken)
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = TokenKeys::new(SecretString::from(
            "another-secret-that-is-long-enough-for-it".to_owned(),
        ));
        let token = other.issue(Purpose::Session, 7, "abc", None, now(), TimeDelta::minutes(20));
        assert_eq!(keys().verify(Purpose::Session, &token, now()), Err(InvalidToken));
    }

    #[test]
    fn macs_compare_only_equal_values() {
        let k = keys();
        let mac = k.mac("csrf", "session-1");
        assert!(k.verify_mac("csrf", "session-1", &mac));
        assert!(!k.verify_mac("csrf", "session-2", &mac));
        assert!(!k.verify_mac("other", "session-1", &mac));
        assert!(!k.verify_mac("csrf", "session-1", ""));
    }
}
