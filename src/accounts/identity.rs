//! Who is asking: the session cookie's token is verified, then its session row and
//! user are loaded in one query (so revocation and deactivation take effect at once).
//! The result is cached in the request, so several extractors cost one query.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use chrono::{TimeDelta, Utc};

use super::tokens::Purpose;
use super::{Role, User};
use crate::startup::AppState;
use crate::web::error::AppError;

pub const SESSION_COOKIE: &str = "portal_session";

/// A signed-in user with a live session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub role: Role,
    pub session_id: String,
}

/// The caller, signed in or not. Extracting it never fails for a missing or bad
/// cookie; it fails only when the database cannot be asked (503).
#[derive(Clone, Debug)]
pub struct Identity(pub Option<SignedIn>);

/// A fresh session token to send back because the current one is past half its life.
#[derive(Clone)]
pub struct RenewedSessionCookie(pub Cookie<'static>);

impl FromRequest for Identity {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(cached) = req.extensions().get::<Identity>() {
            let cached = cached.clone();
            return Box::pin(async move { Ok(cached) });
        }
        let pending = req
            .extensions_mut()
            .get_or_insert_with(PendingIdentity::default)
            .clone();
        let req = req.clone();
        Box::pin(async move {
            let identity = pending
                .0
                .get_or_try_init(|| async {
                    let identity = resolve(&req).await?;
                    req.extensions_mut().insert(identity.clone());
                    Ok::<_, AppError>(identity)
                })
                .await?;
            Ok(identity.clone())
        })
    }
}

/// The look-up in progress, shared by the request's extractors: actix makes all of a handler's
/// extractors before it awaits any, so each would miss the cached [`Identity`] and look the session
/// up again (two look-ups per page, seen in PostgreSQL's statement log). They await this one instead.
#[derive(Clone, Default)]
struct PendingIdentity(Rc<tokio::sync::OnceCell<Identity>>);

async fn resolve(req: &HttpRequest) -> Result<Identity, AppError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(Identity(None));
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone();
    let now = Utc::now().naive_utc();
    let Ok(claims) = state.keys.verify(Purpose::Session, cookie.value(), now) else {
        return Ok(Identity(None));
    };
    let (Some(user_id), session_id) = (claims.user_id(), claims.jti.clone()) else {
        return Ok(Identity(None));
    };
    let ttl = TimeDelta::minutes(state.settings.session_token_minutes);
    let renew = claims.exp - now.and_utc().timestamp() < ttl.num_seconds() / 2;
    let lookup_id = session_id.clone();
    let user = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = super::load_session_user(conn, &lookup_id, now)?;
            if user.is_some() && renew {
                super::touch_session(conn, &lookup_id, now)?;
            }
            Ok(user)
        })
        .await?;
    let Some(user) = user.filter(|u| u.id == user_id) else {
        return Ok(Identity(None));
    };
    let Some(role) = user.role() else {
        return Ok(Identity(None));
    };
    if renew {
        let token = state.keys.issue(Purpose::Session, user.id, &session_id, None, now, ttl);
        req.extensions_mut()
            .insert(RenewedSessionCookie(session_cookie(token, state.settings.uses_https())));
    }
    Ok(Identity(Some(SignedIn { user, role, session_id })))
}

/// The session cookie: not readable by scripts, not sent on cross-site sub-requests,
/// `Secure` whenever the portal runs on https. No max-age: it ends with the browser.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

pub fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// A signed-in user, or 401 (pages turn that into a redirect to the sign-in page).
pub struct CurrentUser(pub SignedIn);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let identity = Identity::from_request(req, payload);
        Box::pin(async move { identity.await?.0.map(CurrentUser).ok_or(AppError::Unauthenticated) })
    }
}
