//! Rendering pages: every page gets the language, the signed-in user, a CSRF token and
//! the language switch through [`PageContext`]; forms come in through [`CsrfForm`],
//! which refuses a request whose token does not belong to the caller.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::accounts::identity::{Identity, SignedIn};
use crate::i18n::{self, Language};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};

pub const LANGUAGE_COOKIE: &str = "portal_lang";
/// Anonymous visitors get a random value here; their forms' CSRF tokens derive from it.
pub const ANON_CSRF_COOKIE: &str = "portal_csrf";
const CSRF_FIELD: &str = "csrf_token";
const FORM_LIMIT_BYTES: usize = 256 * 1024;

pub struct PageContext {
    pub language: Language,
    pub identity: Option<SignedIn>,
    pub csrf_token: String,
    /// Set when an anonymous visitor had no CSRF cookie yet.
    new_anon_cookie: Option<Cookie<'static>>,
    path: String,
    state: web::Data<AppState>,
}

impl FromRequest for PageContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let identity = Identity::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let identity = identity.await?.0;
            Ok(PageContext::with_identity(&req, identity))
        })
    }
}

impl PageContext {
    /// The context of a request whose caller is already known (the error pages, which must not
    /// always ask the database who it is).
    pub fn with_identity(req: &HttpRequest, identity: Option<SignedIn>) -> PageContext {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState is registered")
            .clone();
        let language = page_language(req, identity.as_ref());
        let (seed, new_anon_cookie) = match (&identity, req.cookie(ANON_CSRF_COOKIE)) {
            (Some(signed_in), _) => (session_seed(signed_in), None),
            (None, Some(cookie)) => (anon_seed(cookie.value()), None),
            (None, None) => {
                let value = crate::accounts::tokens::random_id();
                let cookie = Cookie::build(ANON_CSRF_COOKIE, value.clone())
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.settings.uses_https())
                    .finish();
                (anon_seed(&value), Some(cookie))
            }
        };
        let csrf_token = state.keys.mac("csrf", &seed);
        let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        PageContext {
            language,
            identity,
            csrf_token,
            new_anon_cookie,
            path,
            state,
        }
    }
}

fn session_seed(signed_in: &SignedIn) -> String {
    format!("session:{}", signed_in.session_id)
}

fn anon_seed(cookie: &str) -> String {
    format!("anonymous:{cookie}")
}

pub fn page_language(req: &HttpRequest, identity: Option<&SignedIn>) -> Language {
    Language::negotiate(
        req.cookie(LANGUAGE_COOKIE).as_ref().map(|c| c.value()),
        identity.map(|s| s.user.language.as_str()),
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    )
}

impl PageContext {
    pub fn t(&self, key: &str) -> String {
        i18n::translate(self.language, key)
    }

    pub fn user(&self) -> Option<&SignedIn> {
        self.identity.as_ref()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Whether a submitted CSRF token is this caller's (for forms read by hand).
    pub fn csrf_token_matches(&self, submitted: &str) -> bool {
        let expected = self.csrf_token.as_bytes();
        expected.len() == submitted.len()
            && expected
                .iter()
                .zip(submitted.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// A handle on the shared state to move into blocking work.
    pub fn data(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The data every template receives, merged with the page's own.
    fn layout_data(&self, page: Value) -> Value {
        let user = self.identity.as_ref().map(|s| {
            let actor = crate::policy::Actor::from(s);
            json!({
                "name": s.user.display_name,
                "email": s.user.email,
                "role": s.role.as_str(),
                "can_invite": crate::policy::can_invite(&actor, crate::accounts::Role::ProviderStaff, actor.provider_id),
                "can_use_api": crate::policy::can_use_api_tokens(&actor),
                "can_manage_users": crate::policy::can_manage_users(&actor),
                "sees_all_cases": crate::policy::can_see_all_cases(&actor),
                "can_manage_webhooks": crate::webhooks::can_manage_webhooks(&actor),
                "declares_conflicts": crate::policy::can_take_staffing_step(
                    &actor,
                    crate::policy::Relation::None,
                    crate::policy::StaffingStep::DeclareConflicts,
                ),
            })
        });
        let back = url_escape(&self.path);
        let languages: Vec<Value> = Language::ALL
            .iter()
            .map(|l| json!({ "code": l.code(), "current": *l == self.language, "href": format!("/language/{}?back={back}", l.code()) }))
            .collect();
        let mut data = json!({
            "lang": self.language.code(),
            "user": user,
            "csrf_token": self.csrf_token,
            "languages": languages,
            "path": self.path,
        });
        if let (Value::Object(base), Value::Object(extra)) = (&mut data, page) {
            base.extend(extra);
        }
        data
    }

    pub fn render(&self, template: &str, page: Value) -> AppResult<HttpResponse> {
        self.render_with_status(actix_web::http::StatusCode::OK, template, page)
    }

    pub fn render_with_status(
        &self,
        status: actix_web::http::StatusCode,
        template: &str,
        page: Value,
    ) -> AppResult<HttpResponse> {
        // A context made from the value itself: `render(&value)` would first deep-copy it.
        let context = handlebars::Context::from(self.layout_data(page));
        let body = self.state.templates.render_with_context(template, &context)?;
        let mut response = HttpResponse::build(status);
        response.content_type("text/html; charset=utf-8");
        // Pages show personal data: never cache them in shared caches or the back button.
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(cookie) = &self.new_anon_cookie {
            response.cookie(cookie.clone());
        }
        Ok(response.body(body))
    }
}

/// Percent-encodes a path for use as a query value.
pub fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Only a local path may be a redirect target (no `//host` or `https://host`).
pub fn safe_local_path(candidate: Option<&str>) -> String {
    match candidate {
        Some(path)
            if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.contains("://") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// An url-encoded form whose `csrf_token` field was checked against the caller's
/// session (or anonymous cookie). Handlers receive the parsed form only if it matches.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (sign out, revoke, withdraw).
#[derive(serde::Deserialize)]
pub struct EmptyForm {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let identity = Identity::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let identity = identity.await?.0;
            let body = body.await.map_err(|_| AppError::PayloadTooLarge)?;
            if body.len() > FORM_LIMIT_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("malformed form".into()))?;
            let submitted = fields
                .iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            let seed = match (&identity, req.cookie(ANON_CSRF_COOKIE)) {
                (Some(signed_in), _) => session_seed(signed_in),
                (None, Some(cookie)) => anon_seed(cookie.value()),
                (None, None) => return Err(AppError::Forbidden("csrf")),
            };
            if !state.keys.verify_mac("csrf", &seed, submitted) {
                return Err(AppError::Forbidden("csrf"));
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
            Ok(CsrfForm(form))
        })
    }
}

/// The client's address for rate limits and the session list: the peer, or, when the
/// peer is a configured trusted proxy, the last address it forwarded for.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[String]) -> String {
    let peer = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.rsplit(',')
                .map(str::trim)
                .find(|hop| !trusted_proxies.iter().any(|p| p == hop))
        })
        .map(str::to_owned)
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(safe_local_path(Some("/zaken/12")), "/zaken/12");
        assert_eq!(safe_local_path(Some("//evil.example")), "/");
        assert_eq!(safe_local_path(Some("https://evil.example")), "/");
        assert_eq!(safe_local_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_local_path(None), "/");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_escape("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
    }
}
