//! Sign-in, sign-out and the personal start page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use super::identity::{SESSION_COOKIE, removal_cookie, session_cookie};
use super::password;
use super::rate_limit::{self, RetryAfter};
use super::tokens::Purpose;
use super::{NewSession, User};
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, EmptyForm, PageContext, client_ip, safe_local_path, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(login_page).service(login).service(logout);
    super::registration::routes(config);
    super::recovery::routes(config);
    super::settings_pages::routes(config);
    super::invites::routes(config);
    super::api_tokens::routes(config);
    super::admin::routes(config);
    super::conflicts::routes(config);
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// Notices a redirect may ask the sign-in page to show (never free text from the URL).
const LOGIN_NOTICES: [&str; 2] = ["password-changed", "notice-signed-out-everywhere"];

#[get("/login")]
async fn login_page(page: PageContext, query: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    if page.user().is_some() {
        return Ok(see_other("/dashboard"));
    }
    let notice = query.notice.as_deref().filter(|n| LOGIN_NOTICES.contains(n)).map(|n| {
        if n == "password-changed" {
            "notice-password-reset"
        } else {
            n
        }
    });
    page.render(
        "pages/login",
        json!({ "email": "", "next": safe_local_path(query.next.as_deref()), "error": null, "notice": notice }),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/login")]
async fn login(req: HttpRequest, page: PageContext, CsrfForm(form): CsrfForm<LoginForm>) -> AppResult<HttpResponse> {
    let state = page.state();
    let now = Utc::now().naive_utc();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let max_lifetime = TimeDelta::hours(state.settings.session_max_hours);
    let (email, password) = (form.email.clone(), form.password);
    let account_key = super::normalise_email(&email).unwrap_or_else(|| email.trim().to_lowercase());
    // 1. Rate limits and the account, 2. the password without holding a connection, 3. the session.
    let found: Result<Option<User>, RetryAfter> = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            // Counted before the password is checked, for unknown addresses too.
            for (limit, key) in [
                (rate_limit::SIGN_IN_PER_ADDRESS, ip.as_str()),
                (rate_limit::SIGN_IN_PER_ACCOUNT, account_key.as_str()),
            ] {
                if let Err(retry) = rate_limit::hit(conn, limit, key, now)? {
                    return Ok(Err(retry));
                }
            }
            Ok(Ok(super::find_for_sign_in(conn, &email)?))
        })
        .await?;
    let signed_in: Result<Option<(User, String)>, RetryAfter> = match found {
        Err(retry) => Err(retry),
        Ok(user) => {
            let verdict = password::verify(user.as_ref().map(|u| u.password_hash.clone()), password.clone()).await;
            let rehash = verdict == password::Verification::ValidNeedsRehash;
            match user {
                Some(user) if verdict != password::Verification::Invalid && user.deactivated_at.is_none() => {
                    let new_hash = if rehash {
                        Some(password::hash(password).await)
                    } else {
                        None
                    };
                    let ip = client_ip(&req, &state.settings.trusted_proxies);
                    let session = state
                        .db
                        .run(move |conn| -> Result<_, AppError> {
                            if let Some(hash) = new_hash {
                                super::update_password_hash(conn, user.id, &hash, now)?;
                            }
                            let session = super::start_session(
                                conn,
                                NewSession {
                                    user_id: user.id,
                                    user_agent: &user_agent,
                                    client_ip: &ip,
                                },
                                now,
                                max_lifetime,
                            )?;
                            Ok((user, session))
                        })
                        .await?;
                    Ok(Some(session))
                }
                _ => Ok(None),
            }
        }
    };
    let signed_in = match signed_in {
        Ok(signed_in) => signed_in,
        Err(RetryAfter(seconds)) => {
            tracing::warn!("sign-in rate limit reached");
            return Err(AppError::RateLimited {
                retry_after_seconds: seconds,
            });
        }
    };
    let next = safe_local_path(form.next.as_deref());
    let Some((user, session_id)) = signed_in else {
        tracing::info!("sign-in refused");
        return page.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/login",
            json!({ "email": form.email, "next": next, "error": "login-failed" }),
        );
    };
    tracing::info!(user_id = user.id, "signed in");
    let token = state.keys.issue(
        Purpose::Session,
        user.id,
        &session_id,
        None,
        now,
        TimeDelta::minutes(state.settings.session_token_minutes),
    );
    let target = if next == "/" { "/dashboard".to_owned() } else { next };
    let mut response = see_other(&target);
    response
        .add_cookie(&session_cookie(token, state.settings.uses_https()))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[post("/logout")]
async fn logout(page: PageContext, CsrfForm(_): CsrfForm<EmptyForm>) -> AppResult<HttpResponse> {
    if let Some(signed_in) = page.user() {
        let session_id = signed_in.session_id.clone();
        let now = Utc::now().naive_utc();
        page.state()
            .db
            .run(move |conn| -> Result<_, AppError> { Ok(super::revoke_session(conn, &session_id, now)?) })
            .await?;
    }
    let mut response = see_other("/");
    response
        .add_cookie(&removal_cookie(SESSION_COOKIE))
        .map_err(AppError::internal)?;
    Ok(response)
}
