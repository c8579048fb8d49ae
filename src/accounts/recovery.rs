//! A forgotten password: an e-mail with a single-use link valid for one hour. The answer
//! is the same whether or not the address has an account. Setting the new password
//! ends every session of the account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use super::password;
use super::rate_limit::{self, RetryAfter};
use super::tokens::{self, Purpose};
use crate::i18n::Language;
use crate::jobs;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, client_ip, see_other, url_escape};

pub const RESET_LINK_HOURS: i64 = 1;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(forgot_page)
        .service(forgot)
        .service(forgot_sent)
        .service(reset_page)
        .service(reset);
}

#[get("/password/forgot")]
async fn forgot_page(page: PageContext) -> AppResult<HttpResponse> {
    page.render(
        "pages/forgot",
        json!({ "values": { "email": "" }, "errors": FieldErrors::new().to_json() }),
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

#[post("/password/forgot")]
async fn forgot(req: HttpRequest, page: PageContext, CsrfForm(form): CsrfForm<ForgotForm>) -> AppResult<HttpResponse> {
    let Some(email) = super::normalise_email(&form.email) else {
        let mut errors = FieldErrors::new();
        errors.add(
            "email",
            if form.email.trim().is_empty() {
                "field-required"
            } else {
                "email-invalid"
            },
        );
        return page.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/forgot",
            json!({ "values": { "email": form.email }, "errors": errors.to_json() }),
        );
    };
    let state = page.data();
    let address = client_ip(&req, &state.settings.trusted_proxies);
    let now = Utc::now().naive_utc();
    let outcome = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<Result<(), RetryAfter>, AppError> {
                for (limit, key) in [
                    (rate_limit::RESET_PER_ADDRESS, address.as_str()),
                    (rate_limit::RESET_PER_ACCOUNT, email.as_str()),
                ] {
                    if let Err(retry) = rate_limit::hit(conn, limit, key, now)? {
                        return Ok(Err(retry));
                    }
                }
                if let Some(user) = super::find_by_email(conn, &email)?.filter(|u| u.deactivated_at.is_none()) {
                    let token = state.keys.issue(
                        Purpose::PasswordReset,
                        user.id,
                        &tokens::random_id(),
                        None,
                        now,
                        TimeDelta::hours(RESET_LINK_HOURS),
                    );
                    let mail = state.emails.render(
                        "password_reset",
                        Language::from_code(&user.language).unwrap_or_default(),
                        &user.email,
                        json!({
                            "name": user.display_name,
                            "link": state.link(&format!("/password/reset?token={}", url_escape(&token))),
                            "hours": RESET_LINK_HOURS,
                        }),
                    )?;
                    jobs::enqueue_email(conn, &mail, now)?;
                } else {
                    // Same work as for a known account, so the answer's timing says nothing.
                    let _ = state.emails.render(
                        "password_reset",
                        Language::Nl,
                        "nobody@example.invalid",
                        json!({ "name": "", "link": "", "hours": 1 }),
                    );
                }
                Ok(Ok(()))
            }
        })
        .await?;
    if let Err(RetryAfter(seconds)) = outcome {
        return Err(AppError::RateLimited {
            retry_after_seconds: seconds,
        });
    }
    Ok(see_other("/password/forgot/sent"))
}

#[get("/password/forgot/sent")]
async fn forgot_sent(page: PageContext) -> AppResult<HttpResponse> {
    page.render(
        "pages/notice",
        json!({ "heading": page.t("forgot-sent-title"), "message": page.t("forgot-sent-text"), "link_href": "/login", "link_text": page.t("nav-login") }),
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn invalid_link(page: &PageContext) -> AppResult<HttpResponse> {
    page.render_with_status(
        StatusCode::BAD_REQUEST,
        "pages/notice",
        json!({ "heading": page.t("link-invalid-title"), "message": page.t("link-invalid-text"), "link_href": "/password/forgot", "link_text": page.t("forgot-title") }),
    )
}

#[get("/password/reset")]
async fn reset_page(page: PageContext, query: web::Query<TokenQuery>) -> AppResult<HttpResponse> {
    if page
        .state()
        .keys
        .verify(Purpose::PasswordReset, &query.token, Utc::now().naive_utc())
        .is_err()
    {
        return invalid_link(&page);
    }
    page.render(
        "pages/reset",
        json!({ "token": query.token, "errors": FieldErrors::new().to_json() }),
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

#[post("/password/reset")]
async fn reset(page: PageContext, CsrfForm(form): CsrfForm<ResetForm>) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let Ok(claims) = page.state().keys.verify(Purpose::PasswordReset, &form.token, now) else {
        return invalid_link(&page);
    };
    let Some(user_id) = claims.user_id() else {
        return invalid_link(&page);
    };
    let state = page.data();
    let user = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(super::find_by_id(conn, user_id)?) })
        .await?;
    let Some(user) = user.filter(|u| u.deactivated_at.is_none()) else {
        return invalid_link(&page);
    };

    let mut errors = FieldErrors::new();
    if let Err(problem) = password::check_new_password(&form.password, &user.email) {
        errors.add("password", problem.message_key());
    }
    if form.password != form.password_repeat {
        errors.add("password_repeat", "password-mismatch");
    }
    if !errors.is_empty() {
        return page.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/reset",
            json!({ "token": form.token, "errors": errors.to_json() }),
        );
    }
    let jti = claims.jti.clone();
    let hash = password::hash(form.password).await;
    let changed = state
        .db
        .run(move |conn| -> Result<bool, AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<bool, AppError> {
                if !super::use_token_once(conn, &jti, now)? {
                    return Ok(false);
                }
                super::update_password_hash(conn, user_id, &hash, now)?;
                super::revoke_all_sessions(conn, user_id, now)?;
                Ok(true)
            })
        })
        .await?;
    if !changed {
        return invalid_link(&page);
    }
    tracing::info!(user_id, "password reset; all sessions ended");
    Ok(see_other("/login?notice=password-changed"))
}
